// Every call to a CRM goes through here: a token from the integration's
// rate limiter first, the current access token (refreshed ahead of expiry,
// or once after a 401), then the retry policy on failure: 429s wait their
// Retry-After (and pause the whole bucket, so no other call runs into the
// same wall) without counting as attempts, since the provider asked us to
// wait, not to give up; 5xx and timeouts back off with jitter and count;
// after the last attempt the caller gets a CrmCallError with action
// 'dead-letter', and a refused request (4xx) one with action 'fail'.
import { decideRetry, type CallFailure, type RetryPolicy, DEFAULT_RETRY_POLICY, describeFailure } from '../retry/retry-policy';
import type { RateLimiter } from '../rate-limit/token-bucket';

export class CrmCallError extends Error {
  constructor(
    readonly action: 'fail' | 'dead-letter',
    readonly failure: CallFailure,
    message: string,
  ) {
    super(message);
    this.name = 'CrmCallError';
  }
}

export interface CallStats {
  requests: number;
  rateLimited: number;
  retries: number;
}

export interface CrmCallerOptions {
  limiter: RateLimiter;
  /** The access token to send; `force` after a 401 asks for a refresh. */
  accessToken(force: boolean): Promise<string>;
  /** What went wrong, in the policy's terms; null when the error is not a call failure (a bug: rethrown). */
  describe(error: unknown): CallFailure | null;
  policy?: RetryPolicy;
  sleep?(ms: number): Promise<void>;
  onRetry?(info: { reason: string; delayMs: number; rateLimited: boolean }): void;
}

export class CrmCaller {
  readonly stats: CallStats = { requests: 0, rateLimited: 0, retries: 0 };
  private readonly policy: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: CrmCallerOptions) {
    this.policy = options.policy ?? DEFAULT_RETRY_POLICY;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async call<T>(work: (accessToken: string) => Promise<T>): Promise<T> {
    let attempt = 0;
    let refreshed = false;
    for (;;) {
      await this.options.limiter.take();
      const token = await this.options.accessToken(false);
      this.stats.requests++;
      try {
        return await work(token);
      } catch (error) {
        const failure = this.options.describe(error);
        if (failure === null) throw error;
        if (failure.kind === 'http' && failure.status === 401 && !refreshed) {
          // The token may have expired between our check and the call: refresh once.
          refreshed = true;
          await this.options.accessToken(true);
          continue;
        }
        const rateLimited = failure.kind === 'http' && failure.status === 429;
        if (rateLimited) this.stats.rateLimited++;
        else attempt++;
        const decision = decideRetry(failure, rateLimited ? 1 : attempt, this.policy);
        if (decision.action !== 'retry') {
          throw new CrmCallError(decision.action, failure, decision.reason);
        }
        this.stats.retries++;
        if (decision.rateLimited) this.options.limiter.pause(decision.delayMs);
        this.options.onRetry?.({ reason: describeFailure(failure), delayMs: decision.delayMs, rateLimited: decision.rateLimited });
        await this.sleep(decision.delayMs);
      }
    }
  }
}
