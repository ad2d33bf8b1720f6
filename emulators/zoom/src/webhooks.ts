// Sends Zoom webhooks the way Zoom signs them: headers
// `x-zm-request-timestamp` (Unix seconds) and `x-zm-signature` =
// `v0=` + hex(HMAC-SHA256(secret token, `v0:{timestamp}:{raw body}`)).
// A delivery that does not get a 2xx within the timeout is retried after
// each of the configured pauses; every attempt is kept for the admin API.
// The emulator only signs: verifying is the product adapter's job.
import { createHmac, randomUUID } from 'node:crypto';

export function zoomSignature(secretToken: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', secretToken).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

export interface Attempt {
  at: string;
  status: number | null;
  error?: string;
}

export interface Delivery {
  id: string;
  event: string;
  url: string;
  body: unknown;
  attempts: Attempt[];
  delivered: boolean;
}

export interface WebhookTarget {
  url: string;
  secretToken: string;
}

export class WebhookSender {
  private deliveries: Delivery[] = [];
  private timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly retryDelaysMs: () => number[],
    private readonly timeoutMs: number,
  ) {}

  /**
   * Sends an event; resolves after the first attempt (retries go on in the
   * background), with the delivery record that later attempts keep updating.
   */
  async send(
    target: WebhookTarget,
    body: { event: string; [k: string]: unknown },
  ): Promise<Delivery> {
    const delivery: Delivery = {
      id: randomUUID(),
      event: body.event,
      url: target.url,
      body,
      attempts: [],
      delivered: false,
    };
    this.deliveries.push(delivery);
    await this.attempt(target, delivery, 0);
    return delivery;
  }

  private async attempt(target: WebhookTarget, delivery: Delivery, retry: number): Promise<void> {
    const result = await post(target, delivery.body, this.timeoutMs);
    delivery.attempts.push({
      at: new Date().toISOString(),
      status: result.status,
      ...(result.error ? { error: result.error } : {}),
    });
    if (result.status !== null && result.status >= 200 && result.status < 300) {
      delivery.delivered = true;
      return;
    }
    const delay = this.retryDelaysMs()[retry];
    if (delay === undefined) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(target, delivery, retry + 1);
    }, delay);
    this.timers.add(timer);
  }

  list(): Delivery[] {
    return [...this.deliveries];
  }

  /** Forgets deliveries and cancels pending retries (reset, shutdown). */
  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.deliveries = [];
  }
}

/** One signed POST; answers the status and the raw answer body. */
export async function post(
  target: WebhookTarget,
  body: unknown,
  timeoutMs: number,
): Promise<{ status: number | null; error?: string; text?: string }> {
  const raw = JSON.stringify(body);
  const timestamp = String(Math.floor(Date.now() / 1000));
  try {
    const res = await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'Zoom Marketplace/1.0a',
        'x-zm-request-timestamp': timestamp,
        'x-zm-signature': zoomSignature(target.secretToken, timestamp, raw),
      },
      body: raw,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    return { status: null, error: (err as Error).message };
  }
}
