// Test helper: an in-memory stand-in for EventStoreDB that speaks the real
// gRPC protocol (Streams.Read, Streams.BatchAppend, ServerFeatures), so the
// adapter can be driven through the real @eventstore/db-client without a
// server. It models just enough of ESDB: inclusive reads and exclusive
// subscriptions of $all, stream-prefix filters with checkpoints, caught-up,
// idempotent retries and wrong-expected-version answers (partial duplicates
// included). It proves the adapter's wiring to the client (and that close()
// does not hang), not ESDB's own semantics: those need the real contract run.
import { randomUUID } from 'node:crypto';
import {
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type ServerWritableStream,
} from '@grpc/grpc-js';
import { Any } from 'google-protobuf/google/protobuf/any_pb';
import { Empty as ProtobufEmpty } from 'google-protobuf/google/protobuf/empty_pb';
import {
  SupportedMethod,
  SupportedMethods,
} from '@eventstore/db-client/generated/serverfeatures_pb';
import { ServerFeaturesService } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import {
  AllStreamPosition,
  StreamIdentifier,
  UUID,
  WrongExpectedVersion,
} from '@eventstore/db-client/generated/shared_pb';
import { Code } from '@eventstore/db-client/generated/code_pb';
import { Status } from '@eventstore/db-client/generated/status_pb';
import {
  BatchAppendReq,
  BatchAppendResp,
  ReadReq,
  ReadResp,
} from '@eventstore/db-client/generated/streams_pb';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';

interface StoredEvent {
  streamId: string;
  id: string;
  type: string;
  data: Uint8Array;
  metadata: Uint8Array;
  revision: number;
  position: number;
}

/** Positions grow by this much per event, so positions are not dense (as in ESDB). */
const POSITION_STEP = 100;

export class FakeEventStoreDbServer {
  private readonly log: StoredEvent[] = [];
  private readonly liveSubscribers = new Set<(event: StoredEvent) => void>();
  private nextPosition = POSITION_STEP;
  private server: Server | undefined;
  /** Read calls the client cancelled. */
  cancelledReads = 0;

  /** Starts on a free local port; returns the connection string. */
  async start(): Promise<string> {
    const server = new Server();
    server.addService(StreamsService, {
      read: (call: ServerWritableStream<ReadReq, ReadResp>) => this.read(call),
      batchAppend: (call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>) =>
        this.batchAppend(call),
    });
    server.addService(ServerFeaturesService, {
      getSupportedMethods: (
        _call: unknown,
        callback: (error: null, methods: SupportedMethods) => void,
      ) => {
        const method = new SupportedMethod();
        method.setServiceName('event_store.client.streams.streams');
        method.setMethodName('batchappend');
        const methods = new SupportedMethods();
        methods.setMethodsList([method]);
        methods.setEventStoreServerVersion('24.10.0');
        callback(null, methods);
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    this.server = server;
    return `esdb://127.0.0.1:${port}?tls=false`;
  }

  stop(): void {
    this.server?.forceShutdown();
  }

  /** Writes an event of the server's own, as ESDB does all the time. */
  appendSystemEvent(streamId = '$stats-127.0.0.1:2113', type = '$statsCollected'): void {
    this.store({
      streamId,
      id: randomUUID(),
      type,
      data: new Uint8Array(Buffer.from('{}')),
      metadata: new Uint8Array(),
      revision: 0,
    });
  }

  private read(call: ServerWritableStream<ReadReq, ReadResp>): void {
    call.on('cancelled', () => this.cancelledReads++);
    const options = call.request.getOptions()!;
    const all = options.getAll();
    if (!all) return this.readStream(call, options);
    const from = all.hasPosition() ? Number(all.getPosition()!.getCommitPosition()) : -1;
    if (!options.hasSubscription()) {
      // Reads of $all include the event at the position they start from.
      this.log
        .filter((e) => e.position >= from)
        .slice(0, Number(options.getCount()))
        .forEach((e) => call.write(eventResponse(e)));
      call.end();
      return;
    }
    const prefixes = options.getFilter()?.getStreamIdentifier()?.getPrefixList() ?? [];
    const matches = (e: StoredEvent) =>
      prefixes.length > 0
        ? prefixes.some((p) => e.streamId.startsWith(p))
        : !e.type.startsWith('$');
    const confirmation = new ReadResp.SubscriptionConfirmation();
    confirmation.setSubscriptionId(randomUUID());
    call.write(new ReadResp().setConfirmation(confirmation));
    // Subscriptions start strictly after their position.
    let last = from;
    for (const e of this.log.filter((e) => e.position > from)) {
      if (matches(e)) call.write(eventResponse(e));
      last = e.position;
    }
    if (last > from) call.write(checkpointResponse(last));
    call.write(new ReadResp().setCaughtUp(new ReadResp.CaughtUp()));
    const push = (e: StoredEvent) =>
      call.write(matches(e) ? eventResponse(e) : checkpointResponse(e.position));
    this.liveSubscribers.add(push);
    call.on('cancelled', () => this.liveSubscribers.delete(push));
  }

  private readStream(
    call: ServerWritableStream<ReadReq, ReadResp>,
    options: ReadReq.Options,
  ): void {
    const streamOptions = options.getStream()!;
    const identifier = streamOptions.getStreamIdentifier()!;
    const streamId = Buffer.from(identifier.getStreamName_asU8()).toString('utf8');
    const events = this.log.filter((e) => e.streamId === streamId);
    if (events.length === 0) {
      const notFound = new ReadResp.StreamNotFound();
      notFound.setStreamIdentifier(identifier);
      call.write(new ReadResp().setStreamNotFound(notFound));
    } else {
      const from = streamOptions.hasRevision() ? Number(streamOptions.getRevision()) : 0;
      events
        .filter((e) => e.revision >= from)
        .slice(0, Number(options.getCount()))
        .forEach((e) => call.write(eventResponse(e)));
    }
    call.end();
  }

  private batchAppend(call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>): void {
    const pending = new Map<
      string,
      { options: BatchAppendReq.Options; messages: BatchAppendReq.ProposedMessage[] }
    >();
    call.on('data', (request: BatchAppendReq) => {
      const correlationId = request.getCorrelationId()!;
      const key = correlationId.getString();
      const options = request.getOptions();
      if (options) pending.set(key, { options, messages: [] });
      const write = pending.get(key)!;
      write.messages.push(...request.getProposedMessagesList());
      if (!request.getIsFinal()) return;
      pending.delete(key);
      const response = new BatchAppendResp();
      response.setCorrelationId(correlationId);
      response.setStreamIdentifier(write.options.getStreamIdentifier());
      const outcome = this.append(write.options, write.messages);
      if ('current' in outcome) response.setError(wrongExpectedVersion(outcome.current));
      else response.setSuccess(success(outcome.last));
      call.write(response);
    });
    call.on('end', () => call.end());
  }

  private append(
    options: BatchAppendReq.Options,
    messages: BatchAppendReq.ProposedMessage[],
  ): { last: StoredEvent } | { current: number } {
    const streamId = Buffer.from(options.getStreamIdentifier()!.getStreamName_asU8()).toString(
      'utf8',
    );
    const stream = this.log.filter((e) => e.streamId === streamId);
    const current = stream.length - 1;
    const stored = messages.map((m) => stream.find((e) => e.id === m.getId()!.getString()));
    if (stored.every((e) => e !== undefined)) return { last: stored[stored.length - 1]! };
    // The first event already stored but not all: "corrupted idempotency".
    if (stored[0] !== undefined) return { current };
    if (options.hasStreamExists() && current < 0) return { current };
    const expected = options.hasStreamPosition()
      ? Number(options.getStreamPosition())
      : options.hasNoStream()
        ? -1
        : undefined;
    if (expected !== undefined && expected !== current) return { current };
    let last: StoredEvent | undefined;
    messages.forEach((m, i) => {
      last = this.store({
        streamId,
        id: m.getId()!.getString(),
        type: m.getMetadataMap().get('type')!,
        data: m.getData_asU8(),
        metadata: m.getCustomMetadata_asU8(),
        revision: current + 1 + i,
      });
    });
    return { last: last! };
  }

  private store(event: Omit<StoredEvent, 'position'>): StoredEvent {
    const stored = { ...event, position: this.nextPosition };
    this.nextPosition += POSITION_STEP;
    this.log.push(stored);
    for (const push of this.liveSubscribers) push(stored);
    return stored;
  }
}

function eventResponse(event: StoredEvent): ReadResp {
  const recorded = new ReadResp.ReadEvent.RecordedEvent();
  recorded.setId(new UUID().setString(event.id));
  recorded.setStreamIdentifier(new StreamIdentifier().setStreamName(Buffer.from(event.streamId)));
  recorded.setStreamRevision(String(event.revision));
  recorded.setCommitPosition(String(event.position));
  recorded.setPreparePosition(String(event.position));
  recorded
    .getMetadataMap()
    .set('type', event.type)
    .set('content-type', 'application/json')
    .set('created', '0');
  recorded.setData(event.data);
  recorded.setCustomMetadata(event.metadata);
  const readEvent = new ReadResp.ReadEvent();
  readEvent.setEvent(recorded);
  readEvent.setCommitPosition(String(event.position));
  return new ReadResp().setEvent(readEvent);
}

function checkpointResponse(position: number): ReadResp {
  const checkpoint = new ReadResp.Checkpoint();
  checkpoint.setCommitPosition(String(position));
  checkpoint.setPreparePosition(String(position));
  return new ReadResp().setCheckpoint(checkpoint);
}

function success(last: StoredEvent): BatchAppendResp.Success {
  const position = new AllStreamPosition();
  position.setCommitPosition(String(last.position));
  position.setPreparePosition(String(last.position));
  const result = new BatchAppendResp.Success();
  result.setCurrentRevision(String(last.revision));
  result.setPosition(position);
  return result;
}

function wrongExpectedVersion(current: number): Status {
  const details = new WrongExpectedVersion();
  if (current >= 0) details.setCurrentStreamRevision(String(current));
  else details.setCurrentNoStream(new ProtobufEmpty());
  const any = new Any();
  any.pack(details.serializeBinary(), 'event_store.client.WrongExpectedVersion');
  const status = new Status();
  status.setCode(Code.FAILED_PRECONDITION);
  status.setMessage('Wrong expected version');
  status.setDetails(any);
  return status;
}
