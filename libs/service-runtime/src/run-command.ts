// handleCommand (read, fold, decide, append with the revision read) with
// more patience for busy streams: handleCommand itself retries a conflict at
// once a few times; when a stream is hot (many concurrent updates of one
// contact), a short random pause between rounds lets the writers spread out
// instead of colliding again. After the last round the conflict becomes a
// 409 problem. Also fills in the position when the command changed nothing,
// so a client always gets the position to wait for.
import {
  handleCommand,
  type CommandContext,
  type CommandResult,
  type Decider,
  type DomainEvent,
  type HandleCommandOptions,
} from '@engagement/decider';
import { WrongExpectedRevisionError, type EventStore } from '@engagement/event-store';

const ROUNDS = 5;
const RETRIES_PER_ROUND = 4;

export async function runCommand<Command, Event extends DomainEvent, State>(
  store: EventStore,
  streamId: string,
  decider: Decider<Command, Event, State>,
  command: Command,
  context: CommandContext,
  options: Omit<HandleCommandOptions<Event>, 'conflictRetries'>,
): Promise<CommandResult<Event, State>> {
  for (let round = 1; ; round++) {
    try {
      const result = await handleCommand(store, streamId, decider, command, context, {
        ...options,
        conflictRetries: RETRIES_PER_ROUND,
      });
      if (result.position !== null || result.revision < 0n) return result;
      return { ...result, position: await lastPosition(store, streamId, result.revision) };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError) || round >= ROUNDS) throw error;
      await sleep(Math.random() * 20 * round);
    }
  }
}

async function lastPosition(store: EventStore, streamId: string, revision: bigint) {
  const [last] = await store.readStream(streamId, { fromRevision: revision, maxCount: 1 });
  return last?.globalPosition ?? null;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
