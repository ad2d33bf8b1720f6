// Sends an emulator's webhooks the way providers do: POST, retried with
// exponential backoff while the receiver answers non-2xx (or cannot be
// reached), each attempt rebuilt (bodies and signatures may carry the attempt
// number). Test switches: drop the next N webhooks without sending them, and
// send every delivered webhook twice (providers deliver at least once).

export interface OutgoingWebhook {
  url: string;
  body: string;
  headers: Record<string, string>;
}

export interface WebhookRetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  timeoutMs: number;
}

export interface DeliveryRecord {
  webhook: number;
  attempt: number;
  url: string;
  at: string;
  status: number | null;
  error: string | null;
  duplicate: boolean;
  dropped: boolean;
  body: string;
}

const MAX_RECORDS = 10_000;

export class WebhookSender {
  private nextWebhook = 1;
  private dropRemaining = 0;
  private duplicate = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private pending = 0;
  private idleWaiters: Array<() => void> = [];
  private records: DeliveryRecord[] = [];
  private generation = 0;

  constructor(private policy: WebhookRetryPolicy) {}

  setPolicy(policy: Partial<WebhookRetryPolicy>): void {
    this.policy = { ...this.policy, ...policy };
  }

  getPolicy(): WebhookRetryPolicy {
    return this.policy;
  }

  dropNext(count: number): void {
    this.dropRemaining = count;
  }

  setDuplicate(enabled: boolean): void {
    this.duplicate = enabled;
  }

  switches() {
    return { dropNext: this.dropRemaining, duplicate: this.duplicate };
  }

  /** Queues one webhook; `build(attempt)` makes each attempt (attempt 0 first). */
  send(build: (attempt: number) => OutgoingWebhook): void {
    const webhook = this.nextWebhook++;
    if (this.dropRemaining > 0) {
      this.dropRemaining--;
      const first = build(0);
      this.record({ webhook, attempt: 0, url: first.url, status: null, error: null, duplicate: false, dropped: true, body: first.body });
      return;
    }
    this.pending++;
    void this.attempt(webhook, build, 0, this.generation);
  }

  deliveries(): DeliveryRecord[] {
    return this.records;
  }

  /** Resolves once no webhook is waiting to be sent or retried. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Forgets queued retries, records and switches (the policy stays). */
  reset(): void {
    this.generation++;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pending = 0;
    this.records = [];
    this.dropRemaining = 0;
    this.duplicate = false;
    this.settle();
  }

  close(): void {
    this.reset();
  }

  private async attempt(webhook: number, build: (attempt: number) => OutgoingWebhook, attempt: number, gen: number) {
    const out = build(attempt);
    const result = await post(out, this.policy.timeoutMs);
    if (gen !== this.generation) return;
    this.record({ webhook, attempt, url: out.url, ...result, duplicate: false, dropped: false, body: out.body });
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    if (ok && this.duplicate) {
      const again = await post(out, this.policy.timeoutMs);
      if (gen !== this.generation) return;
      this.record({ webhook, attempt, url: out.url, ...again, duplicate: true, dropped: false, body: out.body });
    }
    if (!ok && attempt + 1 < this.policy.maxAttempts) {
      const delay = Math.min(this.policy.retryMaxMs, this.policy.retryBaseMs * 2 ** attempt);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void this.attempt(webhook, build, attempt + 1, gen);
      }, delay);
      this.timers.add(timer);
      return;
    }
    this.pending--;
    this.settle();
  }

  private record(r: Omit<DeliveryRecord, 'at'>): void {
    this.records.push({ ...r, at: new Date().toISOString() });
    if (this.records.length > MAX_RECORDS) this.records.splice(0, this.records.length - MAX_RECORDS);
  }

  private settle(): void {
    if (this.pending > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

async function post(out: OutgoingWebhook, timeoutMs: number): Promise<{ status: number | null; error: string | null }> {
  try {
    const res = await fetch(out.url, {
      method: 'POST',
      headers: out.headers,
      body: out.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    return { status: res.status, error: null };
  } catch (err) {
    return { status: null, error: err instanceof Error ? err.message : String(err) };
  }
}
