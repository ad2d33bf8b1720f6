// What to do after a call to a provider failed, decided from the failure
// alone (pure): a 429 waits what Retry-After says (the provider knows its
// window better than we do); a 5xx, a timeout or a broken connection waits
// an exponential backoff with full jitter; anything else (400, 404, 422) is
// the request's own fault and retrying would fail the same way. After
// `maxAttempts` the work goes to the dead letters, with the reason.

export type CallFailure =
  | { kind: 'http'; status: number; retryAfterSeconds: number | null; message: string }
  | { kind: 'timeout'; message: string }
  | { kind: 'network'; message: string };

export type RetryDecision =
  | { action: 'retry'; delayMs: number; reason: string; rateLimited: boolean }
  | { action: 'dead-letter'; reason: string }
  | { action: 'fail'; reason: string };

export interface RetryPolicy {
  /** Attempts in all, the first included, before a retryable failure is dead-lettered. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Used when a 429 has no Retry-After. */
  defaultRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 15,
  baseDelayMs: 250,
  maxDelayMs: 30_000,
  defaultRetryAfterMs: 10_000,
};

export function isRetryable(failure: CallFailure): boolean {
  if (failure.kind !== 'http') return true;
  return failure.status === 429 || failure.status === 408 || failure.status >= 500;
}

/**
 * Equal jitter: half of min(max, base·2^(attempt-1)) for sure, the other half
 * at random. The random half spreads retries of many workers apart; the sure
 * half makes the waits before a dead letter add up to a known least total
 * (about two minutes with the defaults), so a provider down for a minute
 * never costs us an item.
 */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** `attempt` is the number of the attempt that just failed (1 for the first). */
export function decideRetry(
  failure: CallFailure,
  attempt: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): RetryDecision {
  const reason = describeFailure(failure);
  if (!isRetryable(failure)) return { action: 'fail', reason };
  if (attempt >= policy.maxAttempts) {
    return { action: 'dead-letter', reason: `${reason} (gave up after ${attempt} attempts)` };
  }
  if (failure.kind === 'http' && failure.status === 429) {
    const delayMs =
      failure.retryAfterSeconds !== null
        ? Math.ceil(failure.retryAfterSeconds * 1000)
        : policy.defaultRetryAfterMs;
    return { action: 'retry', delayMs, reason, rateLimited: true };
  }
  return { action: 'retry', delayMs: backoffMs(attempt, policy, random), reason, rateLimited: false };
}

export function describeFailure(failure: CallFailure): string {
  return failure.kind === 'http'
    ? `HTTP ${failure.status}: ${failure.message}`
    : `${failure.kind}: ${failure.message}`;
}

/** Retry-After in seconds: a number of seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, (date - now) / 1000);
}
