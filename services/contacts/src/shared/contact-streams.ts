// Reading and writing one contact's stream (`contact-<uuid>`), through the
// personal-data event store, so deciders see plain events and the store
// keeps the personal fields encrypted. Every capability that changes a
// contact (contacts, activities, personal data, bulk import) goes through
// here: request → command(s) → decider → append.
import { schemaVersionOf, upcastContactEvent, type ContactEvent } from '@engagement/contracts';
import type { CommandContext, CommandResult, Decider } from '@engagement/decider';
import type { EventStore } from '@engagement/event-store';
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
