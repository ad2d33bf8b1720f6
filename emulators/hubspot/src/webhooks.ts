// HubSpot webhooks from the emulated portal: contact changes become events
// ({eventId, subscriptionId, portalId, appId, occurredAt, subscriptionType,
// attemptNumber, objectId, changeSource, sourceId, ...}), gathered for
// `batchDelayMs` into one POST of up to 100 events, signed with
// X-HubSpot-Signature-v3 = base64(HMAC-SHA256(client secret, method + URI +
// body + timestamp)) and X-HubSpot-Request-Timestamp (ms); v1
// (X-HubSpot-Signature = hex SHA-256 of secret + body) comes along as HubSpot
// sends it too. Retries rebuild the batch with the next attemptNumber.
import { createHash, createHmac } from 'node:crypto';
import { WebhookSender } from '@engagement/emulator-kit';
import { ContactChange } from './store';

export const SUBSCRIPTION_TYPES = [
  'contact.creation',
  'contact.propertyChange',
  'contact.deletion',
  'contact.merge',
  'contact.privacyDeletion',
] as const;

export interface WebhookSettings {
  targetUrl: string | null;
  subscriptions: string[];
  /** Properties whose changes are sent (null: all of them). */
  propertyChangeProperties: string[] | null;
  batchDelayMs: number;
}

export type HubSpotEvent = Record<string, unknown> & { eventId: number; attemptNumber: number };

/** The characters HubSpot's request-validation guide says are URL-decoded in the URI before signing. */
const DECODED_FOR_SIGNING: Record<string, string> = {
  '%3A': ':', '%2F': '/', '%3F': '?', '%40': '@', '%21': '!', '%24': '$',
  '%27': "'", '%28': '(', '%29': ')', '%2A': '*', '%2C': ',', '%3B': ';',
};

export function signV3(clientSecret: string, method: string, uri: string, body: string, timestamp: string): string {
  const signedUri = uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => DECODED_FOR_SIGNING[m.toUpperCase()]!);
  return createHmac('sha256', clientSecret).update(`${method}${signedUri}${body}${timestamp}`, 'utf8').digest('base64');
}

export class HubSpotWebhooks {
  private queue: Omit<HubSpotEvent, 'attemptNumber'>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private nextEventId = 100;
  private readonly propertySubscriptionIds = new Map<string, number>();

  constructor(
    readonly settings: WebhookSettings,
    private readonly app: { portalId: number; appId: number; clientSecret: () => string },
    readonly sender: WebhookSender,
  ) {}

  onChange(change: ContactChange): void {
    if (!this.settings.targetUrl) return;
    const base = { portalId: this.app.portalId, appId: this.app.appId, occurredAt: change.at, changeSource: change.source.changeSource, sourceId: change.source.sourceId };
    const push = (type: string, subscriptionId: number, fields: Record<string, unknown>) => {
      if (!this.settings.subscriptions.includes(type)) return;
      this.queue.push({ eventId: this.nextEventId++, subscriptionId, ...base, subscriptionType: type, ...fields });
    };
    switch (change.type) {
      case 'creation':
        push('contact.creation', 1, { objectId: Number(change.contact.id), changeFlag: 'CREATED' });
        break;
      case 'propertyChange': {
        const wanted = this.settings.propertyChangeProperties;
        if (wanted && !wanted.includes(change.property)) return;
        push('contact.propertyChange', this.propertySubscriptionId(change.property), {
          objectId: Number(change.contact.id),
          propertyName: change.property,
          propertyValue: change.value,
        });
        break;
      }
      case 'deletion':
        push('contact.deletion', 2, { objectId: Number(change.contactId), changeFlag: 'DELETED' });
        break;
      case 'privacyDeletion':
        push('contact.privacyDeletion', 4, { objectId: Number(change.contactId) });
        break;
      case 'merge':
        push('contact.merge', 3, {
          objectId: Number(change.primaryId),
          primaryObjectId: Number(change.primaryId),
          mergedObjectIds: [Number(change.mergedId)],
          newObjectId: Number(change.primaryId),
          numberOfPropertiesMoved: change.moved,
        });
        break;
    }
    this.schedule();
  }

  /** Sends what is gathered now instead of after the batch delay. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const url = this.settings.targetUrl;
    while (this.queue.length > 0 && url) {
      const events = this.queue.splice(0, 100);
      const secret = this.app.clientSecret();
      this.sender.send((attempt) => {
        const body = JSON.stringify(events.map((e) => ({ ...e, attemptNumber: attempt })));
        const timestamp = String(Date.now());
        return {
          url,
          body,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'HubSpot Connect 2.0 (http://dev.hubspot.com/) (emulator)',
            'x-hubspot-signature-v3': signV3(secret, 'POST', url, body, timestamp),
            'x-hubspot-request-timestamp': timestamp,
            'x-hubspot-signature': createHash('sha256').update(secret + body, 'utf8').digest('hex'),
            'x-hubspot-signature-version': 'v1',
          },
        };
      });
    }
    this.queue = [];
  }

  /** Resolves when everything gathered has been sent and no retry is pending. */
  async idle(): Promise<void> {
    this.flush();
    await this.sender.idle();
  }

  reset(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
    this.sender.reset();
  }

  private schedule(): void {
    if (this.queue.length >= 100) return this.flush();
    if (!this.timer) this.timer = setTimeout(() => this.flush(), this.settings.batchDelayMs);
  }

  private propertySubscriptionId(property: string): number {
    let id = this.propertySubscriptionIds.get(property);
    if (!id) {
      id = 100 + this.propertySubscriptionIds.size;
      this.propertySubscriptionIds.set(property, id);
    }
    return id;
  }
}
