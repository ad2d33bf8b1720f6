// Several commands on one stream decided as one: each is decided on the
// state the previous ones left, and all their events are appended together
// or not at all. This is how "create a contact with its properties and tags"
// (the seed's POST /api/contacts) stays atomic without a command that does
// everything: the shell hands handleCommand batchDecider(contactDecider) and
// the list [CreateContact, SetContactProperty..., AddContactTag...].
import type { CommandContext, Decider, DomainEvent } from '@engagement/decider';

export function decideAll<Command, Event extends DomainEvent, State>(
  decider: Decider<Command, Event, State>,
  commands: readonly Command[],
  state: State,
  context: CommandContext,
): Event[] {
  const events: Event[] = [];
  let current = state;
  for (const command of commands) {
    const decided = decider.decide(command, current, context);
    current = decided.reduce((s, e) => decider.evolve(s, e), current);
    events.push(...decided);
  }
  return events;
}

/** The same decider, taking a list of commands. */
export function batchDecider<Command, Event extends DomainEvent, State>(
  decider: Decider<Command, Event, State>,
): Decider<readonly Command[], Event, State> {
  return {
    initialState: decider.initialState,
    evolve: decider.evolve,
    decide: (commands, state, context) => decideAll(decider, commands, state, context),
  };
}
