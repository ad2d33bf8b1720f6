// A token bucket per integration, sized at a share (≤ 90%) of the
// provider's documented budget, so that our own traffic never meets the
// provider's limit and the margin absorbs clock skew between us and them.
//
// Providers count in windows ("190 per 10 s"). A bucket lets through at most
// capacity + refill rate × window in any window, so both are chosen to sum
// to the allowed share: a small burst (a tenth of it) and the rest as a
// steady refill. take() waits until a token is there. Pure arithmetic over an
// injected clock (tests drive time by hand).
import type { RateBudget } from '../providers/provider-facts';

export const DEFAULT_BUDGET_SHARE = 0.9;
/** The part of the allowed share that may go out at once; the rest trickles. */
const BURST_FRACTION = 0.1;

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class TokenBucket {
  readonly capacity: number;
  private readonly refillPerMs: number;
  private tokens: number;
  private last: number;
  /** Callers waiting, served in order so that none starves. */
  private queue: Promise<void> = Promise.resolve();
  /** Until when the provider told us to stop (a 429's Retry-After). */
  private pausedUntil = 0;

  constructor(
    budget: RateBudget,
    share = DEFAULT_BUDGET_SHARE,
    private readonly clock: Clock = systemClock,
  ) {
    if (!(share > 0 && share <= DEFAULT_BUDGET_SHARE)) {
      throw new Error(`A bucket may use at most ${DEFAULT_BUDGET_SHARE * 100}% of the budget`);
    }
    const allowed = Math.max(1, Math.floor(budget.requests * share));
    this.capacity = Math.max(1, Math.floor(allowed * BURST_FRACTION));
    this.refillPerMs = Math.max(allowed - this.capacity, 1) / budget.intervalMs;
    this.tokens = this.capacity;
    this.last = clock.now();
  }

  /** Milliseconds until a token is available (0 when one is). Does not take it. */
  waitMs(): number {
    this.refill();
    const paused = Math.max(0, this.pausedUntil - this.clock.now());
    if (this.tokens >= 1) return paused;
    return Math.max(paused, Math.ceil((1 - this.tokens) / this.refillPerMs));
  }

  /** Takes a token now if there is one. */
  tryTake(): boolean {
    if (this.waitMs() > 0) return false;
    this.tokens -= 1;
    return true;
  }

  /** Waits for a token and takes it; callers are served in arrival order. */
  take(): Promise<void> {
    const turn = this.queue.then(async () => {
      for (;;) {
        const wait = this.waitMs();
        if (wait === 0) {
          this.tokens -= 1;
          return;
        }
        await this.clock.sleep(wait);
      }
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** The provider said 429: nobody sends before `ms` from now, and the bucket starts empty then. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
    this.tokens = Math.min(this.tokens, 0);
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.refillPerMs);
    this.last = now;
  }
}

/** Several buckets a call must all pass (burst, search, daily). */
export class RateLimiter {
  constructor(private readonly buckets: TokenBucket[]) {}

  async take(): Promise<void> {
    for (const bucket of this.buckets) await bucket.take();
  }

  pause(ms: number): void {
    for (const bucket of this.buckets) bucket.pause(ms);
  }
}
