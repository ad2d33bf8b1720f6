// Runs the seats decider for one event at a time per process, in batches:
// while one append to `seats-<event>` is in flight, the commands that arrive
// queue up, and the next round decides all of them, one after another on
// the evolving state, and appends their events together with the revision
// it read. 200 concurrent registrations thus make a handful of appends
// instead of 200 writers colliding on one stream. Another process writing
// the same stream still makes the append fail with a conflict: the round is
// then decided again on fresh state, so the invariant never rests on this
// queue, only on the expected revision.
import { toNewEvent, type CommandContext } from '@engagement/decider';
import { WrongExpectedRevisionError, type EventStore } from '@engagement/event-store';
import { seatsStream } from '../shared/streams';
import {
  SEATS_EVENT_SCHEMA_VERSIONS,
  allocationOf,
  seatsDecider,
  type Allocation,
  type SeatsCommand,
  type SeatsEvent,
  type SeatsState,
} from './seats.decider';

export interface SeatsOutcome {
  /** Where the registration named by the command stands after it. */
  allocation: Allocation;
  /** Registrations promoted from the waitlist by this command. */
  promoted: string[];
}

interface Pending {
  command: SeatsCommand;
  context: CommandContext;
  resolve(outcome: SeatsOutcome): void;
  reject(error: unknown): void;
}

const MAX_CONFLICT_ROUNDS = 50;

export class SeatAllocator {
  private readonly queues = new Map<string, Pending[]>();

  constructor(private readonly store: EventStore) {}

  decide(eventId: string, command: SeatsCommand, context: CommandContext): Promise<SeatsOutcome> {
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(eventId);
      const pending = { command, context, resolve, reject };
      if (queue) {
        queue.push(pending);
        return;
      }
      this.queues.set(eventId, [pending]);
      void this.drain(eventId);
    });
  }

  private async drain(eventId: string): Promise<void> {
    const queue = this.queues.get(eventId)!;
    while (queue.length > 0) {
      const round = queue.splice(0, queue.length);
      try {
        const outcomes = await this.decideRound(eventId, round);
        round.forEach((p, i) => p.resolve(outcomes[i]));
      } catch (error) {
        round.forEach((p) => p.reject(error));
      }
    }
    this.queues.delete(eventId);
  }

  private async decideRound(eventId: string, round: Pending[]): Promise<SeatsOutcome[]> {
    const streamId = seatsStream(eventId);
    for (let attempt = 1; ; attempt++) {
      const stored = await this.store.readStream(streamId);
      let state: SeatsState = seatsDecider.initialState();
      for (const e of stored) state = seatsDecider.evolve(state, e as unknown as SeatsEvent);
      const revision = stored.length === 0 ? -1n : stored[stored.length - 1].revision;

      const appended: ReturnType<typeof toNewEvent>[] = [];
      const outcomes: SeatsOutcome[] = [];
      for (const { command, context } of round) {
        const events = seatsDecider.decide(command, state, context);
        state = events.reduce((s, e) => seatsDecider.evolve(s, e), state);
        appended.push(
          ...events.map((e) =>
            toNewEvent(e, context, { schemaVersionOf: (t) => SEATS_EVENT_SCHEMA_VERSIONS[t] }),
          ),
        );
        outcomes.push({
          allocation:
            'registrationId' in command ? allocationOf(state, command.registrationId) : 'none',
          promoted: events
            .filter((e) => e.type === 'WaitlistPromoted')
            .map((e) => e.data.registrationId),
        });
      }
      if (appended.length === 0) return outcomes;
      try {
        await this.store.appendToStream(streamId, appended, {
          expectedRevision: revision === -1n ? 'no_stream' : revision,
        });
        return outcomes;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= MAX_CONFLICT_ROUNDS)
          throw error;
        await new Promise((r) => setTimeout(r, Math.random() * 10 * Math.min(attempt, 10)));
      }
    }
  }
}
