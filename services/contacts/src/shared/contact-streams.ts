// Reading and writing one contact's stream (`contact-<uuid>`), through the
// personal-data event store, so deciders see plain events and the store
// keeps the personal fields encrypted. Every capability that changes a
// contact (contacts, activities, personal data, bulk import) goes through
// here: request → command(s) → decider → append.
import { schemaVersionOf, upcastContactEvent, type ContactEvent } from '@engagement/contracts';
import {
  nextEventIds,
  recordAppended,
  toNewEvent,
  type CommandContext,
  type CommandResult,
  type Decider,
} from '@engagement/decider';
import {
  DuplicateEventIdError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type StreamAppend,
} from '@engagement/event-store';
import {
  batchDecider,
  contactDecider,
  decideAll,
  type ContactCommand,
  type ContactState,
} from '../domain';
import { runCommand } from './run-command';

export type ContactResult = CommandResult<ContactEvent, ContactState>;

export function contactStreamId(contactId: string): string {
  return `contact-${contactId}`;
}

/** A decision on a stream that does not exist yet, to append together with other streams. */
export interface NewStreamDecision {
  /** This stream's part of the multi-stream append (expects 'no_stream'). */
  append: StreamAppend;
  /** The command's result once that append succeeded with `appended`. */
  result(appended: AppendResult): ContactResult;
}

const contactBatchDecider = batchDecider(contactDecider);
const upcasting = { upcast: upcastContactEvent, schemaVersionOf };

export class ContactStreams {
  /** @param store the personal-data event store (encrypting, decrypting). */
  constructor(readonly store: EventStore) {}

  /** The contact as its stream tells it now, and the stream's revision (-1n: no stream). */
  async load(contactId: string): Promise<{ state: ContactState; revision: bigint }> {
    const events = await this.store.readStream(contactStreamId(contactId));
    let state = contactDecider.initialState();
    for (const event of events) state = contactDecider.evolve(state, upcastContactEvent(event));
    const revision = events.length === 0 ? -1n : events[events.length - 1].revision;
    return { state, revision };
  }

  /** Decides the commands together and appends their events in one append (all or nothing). */
  run(contactId: string, commands: ContactCommand[], context: CommandContext) {
    return this.decide(contactId, contactBatchDecider, commands, context);
  }

  /** The same with a decider of the caller's (create-only, upsert), still on the contact's stream. */
  decide<Command>(
    contactId: string,
    decider: Decider<Command, ContactEvent, ContactState>,
    command: Command,
    context: CommandContext,
  ): Promise<ContactResult> {
    return runCommand(this.store, contactStreamId(contactId), decider, command, context, upcasting);
  }

  /**
   * The events a decider decides on a contact stream that does not exist
   * yet, ready to be appended (with 'no_stream') as a part of a multi-stream
   * append; null when it decides nothing or refuses on an empty stream (the
   * caller then runs the command the ordinary way, which reads the stream).
   */
  decideOnNewStream<Command>(
    contactId: string,
    decider: Decider<Command, ContactEvent, ContactState>,
    command: Command,
    context: CommandContext,
  ): NewStreamDecision | null {
    const streamId = contactStreamId(contactId);
    const initial = decider.initialState();
    let events: ContactEvent[];
    try {
      events = decider.decide(command, initial, context);
    } catch {
      return null;
    }
    if (events.length === 0) return null;
    // Under an Idempotency-Key the ids are derived (as in decideNew): a
    // retry of an append that went through is answered with its result.
    const ids = nextEventIds(context, streamId, events.length);
    return {
      append: {
        streamId,
        events: events.map((event, i) => toNewEvent(event, context, upcasting, ids[i])),
        expectedRevision: 'no_stream',
      },
      result: (appended) => {
        recordAppended(context, streamId, events.length);
        return {
          streamId,
          events,
          state: events.reduce((folded, event) => decider.evolve(folded, event), initial),
          revision: appended.nextExpectedRevision,
          position: appended.position,
        };
      },
    };
  }

  /**
   * decide() for a contact whose stream is known to be new (its id was just
   * given an email no contact ever had): decided on the initial state and
   * appended with 'no_stream', without reading the stream first. Should the
   * stream exist after all, the append is refused and this is decide().
   */
  async decideNew<Command>(
    contactId: string,
    decider: Decider<Command, ContactEvent, ContactState>,
    command: Command,
    context: CommandContext,
  ): Promise<ContactResult> {
    const streamId = contactStreamId(contactId);
    const state = decider.initialState();
    let events: ContactEvent[];
    try {
      events = decider.decide(command, state, context);
    } catch {
      // Whatever it is, the stream as it is decides it.
      return this.decide(contactId, decider, command, context);
    }
    if (events.length === 0) return this.decide(contactId, decider, command, context);
    try {
      // Under an Idempotency-Key, a retry whose first attempt created the
      // stream meets it here: the store answers a repeat of the same ids
      // with the first result; anything else falls back to decide().
      const ids = nextEventIds(context, streamId, events.length);
      const appended = await this.store.appendToStream(
        streamId,
        events.map((event, i) => toNewEvent(event, context, upcasting, ids[i])),
        { expectedRevision: 'no_stream' },
      );
      recordAppended(context, streamId, events.length);
      return {
        streamId,
        events,
        state: events.reduce((folded, event) => decider.evolve(folded, event), state),
        revision: appended.nextExpectedRevision,
        position: appended.position,
      };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError || error instanceof DuplicateEventIdError))
        throw error;
      return this.decide(contactId, decider, command, context);
    }
  }

  /**
   * Decides the commands on the current state without appending anything:
   * a dry run that throws the same 404 / 409 / 422 the real run would, so a
   * request is refused before it has side effects (reserving an email,
   * creating a tag). Returns the state it decided on.
   */
  async check(
    contactId: string,
    commands: ContactCommand[],
    context: CommandContext,
  ): Promise<ContactState> {
    const { state } = await this.load(contactId);
    decideAll(contactDecider, commands, state, context);
    return state;
  }
}
