// Uniqueness across streams, enforced at write time: "an email belongs to
// one contact", "a tag slug (and name) belongs to one tag". One event
// stream per reserved key (e.g. email-reservation-<sha256 of the email>);
// its last event says who holds the key. Taking a free key is an append
// with the revision that was read ('no_stream' the first time), so of any
// number of concurrent reservers exactly one wins: the event store's
// optimistic concurrency is the lock.
//
// A reservation is made before the holder's own stream records the key
// (the contact's ContactCreated, the tag's TagCreated), and released after
// the holder let go of it. A crash in between leaves a reservation whose
// holder does not (yet) hold the key. Such a reservation is not stuck:
// - a holder that is gone for good (erased contact, deleted tag) loses it
//   at once;
// - a holder that is absent or holds another value keeps it for a lease
//   (RESERVATION_LEASE_MS, counted from the reservation event), long enough
//   for the operation in flight to finish; after the lease it is taken over.
//   Absent holders are first fenced when the caller can (the contacts
//   service closes the never-created contact's stream), so that a very late
//   create can no longer succeed; operations that change a holder's value
//   check before their append that they are still inside the lease.
// Callers decide what "taken" means for them (409, an upsert, completing a
// crashed create), which is why reserve() reports instead of throwing.
import { ConflictError, nextEventIds, toNewEvent, type CommandContext } from '@engagement/decider';
import {
  WrongExpectedRevisionError,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type StreamAppend,
} from '@engagement/event-store';

/** How long an unfinished reservation is protected from a takeover. */
export const RESERVATION_LEASE_MS = 10_000;
const MAX_ATTEMPTS = 20;

type ReservationEvent =
  | { type: 'KeyReserved'; data: { holderId: string } }
  | { type: 'KeyReleased'; data: { holderId: string } };

/** What a holder's own stream says about the reserved key. */
export type HolderStatus =
  /** It holds the key: the reservation is settled. */
  | 'holds'
  /** It never will again (erased, deleted): the reservation is stale. */
  | 'gone'
  /** Its stream does not exist: a create in flight, or one that crashed. */
  | 'absent'
  /** It exists with another value: a change in flight, or a crash before a release. */
  | 'elsewhere';

export interface ReservationPolicy {
  statusOf(holderId: string): Promise<HolderStatus>;
  /**
   * Makes sure an absent holder can never appear (returns false when it
   * appeared meanwhile). Without a fence, absent holders keep their key.
   */
  fenceAbsentHolder?(holderId: string, context: CommandContext): Promise<boolean>;
}

export interface Reservation {
  /** Who holds the key; null when it is free. */
  holderId: string | null;
  /** Expected revision for the next append to the reservation stream. */
  expected: ExpectedRevision;
  /** When the last reservation event was written (ms since the epoch). */
  changedAt: number;
}

export type ReserveResult =
  | {
      outcome: 'reserved';
      reservedAt: number;
      /** True when the key had never been reserved before: this reservation began its stream. */
      firstEver: boolean;
    }
  | { outcome: 'taken'; holderId: string; status: HolderStatus };

export async function readReservation(store: EventStore, streamId: string): Promise<Reservation> {
  // A reservation stream is short (one event per change of holder); reading it whole is cheap.
  const events = await store.readStream(streamId);
  if (events.length === 0) return { holderId: null, expected: 'no_stream', changedAt: 0 };
  const last = events[events.length - 1];
  const holderId = last.type === 'KeyReserved' ? String(last.data.holderId) : null;
  return { holderId, expected: last.revision, changedAt: Date.parse(last.metadata.occurredAt) };
}

function reservationEvent(event: ReservationEvent, context: CommandContext, id?: string): NewEvent {
  // The time of the append itself, not of the request: leases count from it.
  const stamped = { ...context, now: new Date() };
  return toNewEvent(event, stamped, { schemaVersionOf: () => 1 }, id);
}

/**
 * The first reservation of a key, as one part of a multi-stream append
 * (EventStore.appendToStreams) with the holder's own events: the key and the
 * holder then appear together or not at all, so no crash can leave a
 * reservation without its holder. It expects 'no_stream': a key reserved
 * before makes the whole append fail, and the caller goes through reserve().
 */
export function firstReservation(
  streamId: string,
  holderId: string,
  context: CommandContext,
): StreamAppend {
  return {
    streamId,
    // Derived under an Idempotency-Key, so that the store answers a retry of
    // the whole multi-stream append with its first result.
    events: [
      reservationEvent(
        { type: 'KeyReserved', data: { holderId } },
        context,
        nextEventIds(context, streamId, 1)[0],
      ),
    ],
    expectedRevision: 'no_stream',
  };
}

async function append(
  store: EventStore,
  streamId: string,
  event: ReservationEvent,
  expected: ExpectedRevision,
  context: CommandContext,
): Promise<boolean> {
  try {
    await store.appendToStream(streamId, [reservationEvent(event, context)], {
      expectedRevision: expected,
    });
    return true;
  } catch (error) {
    if (error instanceof WrongExpectedRevisionError) return false;
    throw error;
  }
}

/**
 * Reserves the key for holderId, or reports who holds it. A reservation the
 * holder already has is renewed (re-appended) when the holder does not hold
 * the key yet, so that its lease restarts and a takeover racing with it
 * loses.
 */
export async function reserve(
  store: EventStore,
  streamId: string,
  holderId: string,
  policy: ReservationPolicy,
  context: CommandContext,
  leaseMs = RESERVATION_LEASE_MS,
  /** The reservation as the caller just read it: saves this a round trip. */
  known?: Reservation,
): Promise<ReserveResult> {
  const reserved = { type: 'KeyReserved', data: { holderId } } as const;
  // Most keys are new: try that first, and read only when the stream exists.
  if (known === undefined || known.expected === 'no_stream') {
    if (await append(store, streamId, reserved, 'no_stream', context)) {
      return { outcome: 'reserved', reservedAt: Date.now(), firstEver: true };
    }
    known = undefined;
  }
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = known ?? (await readReservation(store, streamId));
    known = undefined;
    if (current.holderId === null) {
      if (await append(store, streamId, reserved, current.expected, context)) {
        return { outcome: 'reserved', reservedAt: Date.now(), firstEver: false };
      }
      continue;
    }
    const status = await policy.statusOf(current.holderId);
    if (current.holderId === holderId) {
      if (status === 'holds')
        return { outcome: 'reserved', reservedAt: Date.now(), firstEver: false };
      if (await append(store, streamId, reserved, current.expected, context)) {
        return { outcome: 'reserved', reservedAt: Date.now(), firstEver: false };
      }
      continue;
    }
    if (status === 'holds') return { outcome: 'taken', holderId: current.holderId, status };
    const leaseOver = Date.now() - current.changedAt > leaseMs;
    if (status !== 'gone' && !leaseOver) {
      return { outcome: 'taken', holderId: current.holderId, status };
    }
    if (status === 'absent') {
      if (!policy.fenceAbsentHolder)
        return { outcome: 'taken', holderId: current.holderId, status };
      if (!(await policy.fenceAbsentHolder(current.holderId, context))) continue;
    }
    if (await append(store, streamId, reserved, current.expected, context)) {
      return { outcome: 'reserved', reservedAt: Date.now(), firstEver: false };
    }
  }
  throw new ConflictError(
    'The key is being reserved by many requests at once; try again',
    'reservation-contention',
  );
}

/** Frees the key if holderId holds it; otherwise does nothing. */
export async function release(
  store: EventStore,
  streamId: string,
  holderId: string,
  context: CommandContext,
): Promise<void> {
  const released = { type: 'KeyReleased', data: { holderId } } as const;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await readReservation(store, streamId);
    if (current.holderId !== holderId) return;
    if (await append(store, streamId, released, current.expected, context)) return;
  }
  throw new ConflictError(
    'The key is changing hands too often; try again',
    'reservation-contention',
  );
}

/**
 * Called right before an append that makes the holder hold the key: refuses
 * when so much time passed since the reservation that a takeover may have
 * happened. Half the lease leaves room for the append itself.
 */
export function assertWithinLease(reservedAt: number, leaseMs = RESERVATION_LEASE_MS): void {
  if (Date.now() - reservedAt > leaseMs / 2) {
    throw new ConflictError(
      'The reservation took too long to use; try again',
      'reservation-expired',
    );
  }
}
