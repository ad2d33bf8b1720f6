// The thin shell around a decider: read the stream, fold, decide, append
// with the revision that was read. A concurrent writer makes the append
// fail with a conflict; the command is then decided again on fresh state
// (a bounded number of times), so no update is lost and none is applied
// on stale state. A request with an Idempotency-Key that finds its own
// events in the stream (a retry of an attempt that went through) gets the
// first result back instead (idempotency.ts).
import { randomUUID } from 'node:crypto';
import {
  DuplicateEventIdError,
  WrongExpectedRevisionError,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '@engagement/event-store';
import type { CommandContext, Decider, DomainEvent } from './decider';
import { alreadyAppended, nextEventIds, recordAppended } from './idempotency';

export interface HandleCommandOptions<Event extends DomainEvent> {
  /** Maps a stored event (any schema version) to the current domain event. */
  upcast: (event: RecordedEvent) => Event;
  /** The schema version written for each event type. */
  schemaVersionOf: (type: Event['type']) => number;
  /** Retries after a concurrency conflict; 0 answers the first conflict with the error. */
  conflictRetries?: number;
}

export interface CommandResult<Event extends DomainEvent, State> {
  streamId: string;
  events: Event[];
  state: State;
  /** The stream's revision after the command (-1n: still no stream). */
  revision: bigint;
  /** Global position of the last event appended; null when nothing was appended. */
  position: bigint | null;
}

export async function handleCommand<Command, Event extends DomainEvent, State>(
  store: EventStore,
  streamId: string,
  decider: Decider<Command, Event, State>,
  command: Command,
  context: CommandContext,
  options: HandleCommandOptions<Event>,
): Promise<CommandResult<Event, State>> {
  const retries = options.conflictRetries ?? 3;
  for (let attempt = 0; ; attempt++) {
    const stored = await store.readStream(streamId);
    const earlier = alreadyAppended(context, streamId, stored);
    if (earlier.length > 0)
      return firstResult(streamId, decider, stored, earlier, context, options);
    let state = decider.initialState();
    for (const event of stored) state = decider.evolve(state, options.upcast(event));
    const revision = stored.length === 0 ? -1n : stored[stored.length - 1].revision;

    const events = decider.decide(command, state, context);
    if (events.length === 0) return { streamId, events, state, revision, position: null };

    try {
      const ids = nextEventIds(context, streamId, events.length);
      const result = await store.appendToStream(
        streamId,
        events.map((e, i) => toNewEvent(e, context, options, ids[i])),
        {
          expectedRevision: revision === -1n ? 'no_stream' : revision,
        },
      );
      recordAppended(context, streamId, events.length);
      const next = events.reduce((s, e) => decider.evolve(s, e), state);
      return {
        streamId,
        events,
        state: next,
        revision: result.nextExpectedRevision,
        position: result.position,
      };
    } catch (error) {
      // A repeated id under a key: a first attempt appended meanwhile; the next read finds it.
      const raced = context.idempotency && error instanceof DuplicateEventIdError;
      if ((error instanceof WrongExpectedRevisionError || raced) && attempt < retries) continue;
      throw error;
    }
  }
}

/** What the first attempt of this request answered: the stream as it was right after its events. */
function firstResult<Event extends DomainEvent, State>(
  streamId: string,
  decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve'>,
  stored: RecordedEvent[],
  earlier: RecordedEvent[],
  context: CommandContext,
  options: HandleCommandOptions<Event>,
): CommandResult<Event, State> {
  const last = earlier[earlier.length - 1]!;
  let state = decider.initialState();
  for (const event of stored) {
    state = decider.evolve(state, options.upcast(event));
    if (event === last) break;
  }
  recordAppended(context, streamId, earlier.length);
  return {
    streamId,
    events: earlier.map(options.upcast),
    state,
    revision: last.revision,
    position: last.globalPosition,
  };
}

/** The event as appended: its id (random unless given: see nextEventIds), schema version and metadata. */
export function toNewEvent<Event extends DomainEvent>(
  event: Event,
  context: CommandContext,
  options: Pick<HandleCommandOptions<Event>, 'schemaVersionOf'>,
  id: string = randomUUID(),
): NewEvent {
  return {
    id,
    type: event.type,
    schemaVersion: options.schemaVersionOf(event.type),
    data: event.data,
    metadata: {
      correlationId: context.correlationId,
      causationId: context.causationId,
      traceparent: context.traceparent,
      actor: context.actor,
      occurredAt: context.now.toISOString(),
    },
  };
}
