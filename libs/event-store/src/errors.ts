// Typed errors of the event store. Callers branch on the class (a conflict
// becomes HTTP 409, bad input 422), never on a message.
import type { ExpectedRevision } from './event-store.port';

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The stream's current revision; null when the stream does not exist. */
    readonly actual: bigint | null,
  ) {
    super(
      `Stream ${streamId}: expected revision ${String(expected)}, but it is ` +
        (actual === null ? 'no stream' : `at revision ${actual}`),
    );
    this.name = 'WrongExpectedRevisionError';
  }
}

/** The append or read was malformed; nothing was written. */
export class InvalidAppendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAppendError';
  }
}

/** Some, but not all, of the event ids of an append are already stored. */
export class DuplicateEventIdError extends Error {
  constructor(
    readonly streamId: string,
    readonly eventIds: string[],
  ) {
    super(
      `Stream ${streamId}: events ${eventIds.join(', ')} were already appended in another append`,
    );
    this.name = 'DuplicateEventIdError';
  }
}

/**
 * The adapter cannot append to several streams atomically (see the
 * EventStoreDB adapter); nothing was written.
 */
export class AppendToStreamsNotSupportedError extends Error {
  constructor(
    readonly adapter: string,
    reason: string,
  ) {
    super(`appendToStreams is not supported by the ${adapter} adapter: ${reason}`);
    this.name = 'AppendToStreamsNotSupportedError';
  }
}
