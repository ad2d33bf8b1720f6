// Exponential backoff shared by everything in the bus that waits to try
// again: connecting to a broker, restarting the relay, retrying a message.

export interface BackoffOptions {
  /** Delay before the second attempt. */
  initialMs: number;
  /** The delay never grows past this. */
  maxMs: number;
}

/**
 * The delay after the given failed attempt (1 = the first failure): doubling
 * from initialMs up to maxMs, minus up to 20 % of jitter so that many
 * processes failing together do not all come back in the same millisecond.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const exponential = options.initialMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30);
  const capped = Math.min(exponential, options.maxMs);
  return Math.round(capped * (1 - Math.random() * 0.2));
}

/** Waits ms, or less when the signal aborts; it never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Waits ms inside a batch handler while keeping the consumer's group
 * membership alive: it heartbeats about every second and ends early when
 * the batch is no longer active (the consumer stops, the partition moved).
 */
export async function waitWhileHeartbeating(
  ms: number,
  context: { heartbeat(): Promise<void>; isActive(): boolean },
): Promise<void> {
  const until = Date.now() + ms;
  while (context.isActive() && Date.now() < until) {
    await sleep(Math.min(1_000, until - Date.now()));
    await context.heartbeat();
  }
}
