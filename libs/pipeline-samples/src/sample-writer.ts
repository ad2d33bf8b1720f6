// The sample writer's workload: sample contacts, each one stream
// `<prefix><uuid>` whose first event is SampleContactCreated and every later
// one SampleContactRenamed (the events sampleContactsProjection reads).
// Event i goes to contact i % contacts, so all contacts grow together, at a
// steady rate or as fast as the store takes them. Used by the writer process
// and, in-process, by the pipeline benchmark.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { EventStore, NewEvent } from '@engagement/event-store';

export interface SampleWritePlan {
  /** Stream ids start with it, e.g. `samplecontact7f3a-`; the relay and projection filter on it. */
  streamPrefix: string;
  /** Events in all. */
  count: number;
  /** Streams the events are spread over. */
  contacts: number;
  /** Events per second; 0: as fast as the store takes them. */
  ratePerSecond: number;
  /** Appends in flight at once; each contact is always written by the same one, in order. */
  concurrency: number;
}

export interface AppendedSample {
  event: NewEvent;
  streamId: string;
  /** performance.timeOrigin + performance.now() when the append was called and when it resolved. */
  startedAt: number;
  committedAt: number;
  position: bigint;
}

export interface SampleWriteResult {
  written: number;
  lastPosition: bigint;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function sampleEvent(
  type: 'SampleContactCreated' | 'SampleContactRenamed',
  data: Record<string, string>,
): NewEvent {
  return {
    id: randomUUID(),
    type,
    schemaVersion: 1,
    data,
    metadata: {
      correlationId: randomUUID(),
      causationId: null,
      traceparent: null,
      actor: 'sample-writer',
      occurredAt: new Date().toISOString(),
    },
  };
}

/** Writes the plan's events; stops early (after the appends in flight) when `signal` aborts. */
export async function writeSampleContacts(
  store: EventStore,
  plan: SampleWritePlan,
  options: { signal?: AbortSignal; onAppended?: (appended: AppendedSample) => void } = {},
): Promise<SampleWriteResult> {
  const contacts = Math.max(1, Math.min(plan.contacts, plan.count));
  const concurrency = Math.max(1, Math.min(plan.concurrency, contacts));
  const streamIds = Array.from({ length: contacts }, () => `${plan.streamPrefix}${randomUUID()}`);
  const started = nowMs();
  let written = 0;
  let lastPosition = -1n;

  async function worker(w: number): Promise<void> {
    // Event i = revision * contacts + contact: this worker's contacts, in increasing i.
    for (let revision = 0; ; revision++) {
      for (let contact = w; contact < contacts; contact += concurrency) {
        const i = revision * contacts + contact;
        if (i >= plan.count || options.signal?.aborted) return;
        if (plan.ratePerSecond > 0) {
          const dueIn = started + (i * 1000) / plan.ratePerSecond - nowMs();
          if (dueIn > 0) await new Promise((resolve) => setTimeout(resolve, dueIn));
        }
        const event =
          revision === 0
            ? sampleEvent('SampleContactCreated', {
                email: `contact${contact}@example.com`,
                name: `Contact ${contact}`,
              })
            : sampleEvent('SampleContactRenamed', { name: `Contact ${contact} v${revision}` });
        const startedAt = nowMs();
        const position = await appendWithRetry(
          store,
          streamIds[contact],
          event,
          revision,
          options.signal,
        );
        if (position === undefined) return; // aborted while retrying
        written++;
        if (position > lastPosition) lastPosition = position;
        options.onAppended?.({
          event,
          streamId: streamIds[contact],
          startedAt,
          committedAt: nowMs(),
          position,
        });
      }
    }
  }

  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return { written, lastPosition };
}

// A failed append (database briefly away) is retried with the same event id:
// if the first attempt did commit, the store answers the retry as idempotent.
async function appendWithRetry(
  store: EventStore,
  streamId: string,
  event: NewEvent,
  revision: number,
  signal: AbortSignal | undefined,
): Promise<bigint | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await store.appendToStream(streamId, [event], {
        expectedRevision: revision === 0 ? 'no_stream' : BigInt(revision - 1),
      });
      return result.position;
    } catch (error) {
      if (signal?.aborted) return undefined;
      if (attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2_000)));
    }
  }
}
