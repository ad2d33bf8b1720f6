// The decider: how every aggregate in the platform decides. Three plain
// functions over discriminated unions (after Emmett): decide turns a command
// and the current state into new events, evolve folds an event into state,
// initialState starts the fold. No I/O, no clock: time and actor arrive in
// the context, so decide stays pure and tests read given/when/then.
import type { JsonObject } from '@engagement/event-store';
import type { IdempotentRequest } from './idempotency';

/** An event as the domain sees it: a type and its JSON data. */
export interface DomainEvent<Type extends string = string, Data extends JsonObject = JsonObject> {
  type: Type;
  data: Data;
}

export interface CommandContext {
  /** When the command is decided; decide never reads a clock. */
  now: Date;
  /** Who asked: an API key id, a service name, 'system'. */
  actor: string;
  correlationId: string;
  causationId: string | null;
  traceparent: string | null;
  /**
   * Set when the client sent an Idempotency-Key: the request's event ids
   * (and the ids it makes up) derive from it, so a retry never doubles it
   * (idempotency.ts). Absent: random ids, each request its own command.
   */
  idempotency?: IdempotentRequest | null;
}

export interface Decider<Command, Event extends DomainEvent, State> {
  initialState(): State;
  evolve(state: State, event: Event): State;
  /** Returns the events the command causes; [] when it changes nothing (an idempotent repeat). Throws DomainError. */
  decide(command: Command, state: State, context: CommandContext): Event[];
}

/** Folds events into state. */
export function fold<Event extends DomainEvent, State>(
  decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve'>,
  events: Event[],
): State {
  return events.reduce((state, event) => decider.evolve(state, event), decider.initialState());
}
