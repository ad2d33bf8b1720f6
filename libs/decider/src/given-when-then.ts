// given([events]).when(command).then([events]) for decider unit tests.
import type { CommandContext, Decider, DomainEvent } from './decider';

export const testContext: CommandContext = {
  now: new Date('2026-01-15T10:00:00.000Z'),
  actor: 'test',
  correlationId: 'test-correlation',
  causationId: null,
  traceparent: null,
};

export function given<Command, Event extends DomainEvent, State>(
  decider: Decider<Command, Event, State>,
  history: Event[],
  context: CommandContext = testContext,
) {
  const state = history.reduce((s, e) => decider.evolve(s, e), decider.initialState());
  return {
    when(command: Command) {
      const run = () => decider.decide(command, state, context);
      return {
        then(expected: Event[]): void {
          expect(run()).toEqual(expected);
        },
        thenThrows(
          error: abstract new (...args: never[]) => Error,
          match?: Record<string, unknown>,
        ): void {
          let thrown: unknown;
          try {
            run();
          } catch (e) {
            thrown = e;
          }
          expect(thrown).toBeInstanceOf(error);
          if (match) expect(thrown).toMatchObject(match);
        },
      };
    },
  };
}
