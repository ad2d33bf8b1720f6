// GoHighLevel webhooks from the emulated location: one POST per contact
// event, a flat body ({type, locationId, id, email, phone, firstName, ...,
// tags, customFields, dateAdded, timestamp, webhookId, appId}) signed with
// X-GHL-Signature = base64 Ed25519 over the raw body, and with the legacy
// X-WH-Signature (base64 RSA-SHA256) when that is switched on. The keys:
// the Ed25519 private key configured, else the one kept in dataDir, else a
// new one written there; the public key is always written to
// <dataDir>/webhook-public-key.pem for connectors to be configured with.
import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, randomUUID, sign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WebhookSender } from '@engagement/emulator-kit';
import { ContactChange, contactJson } from './store';

export const PUBLIC_KEY_FILE = 'webhook-public-key.pem';
export const LEGACY_PUBLIC_KEY_FILE = 'webhook-legacy-rsa-public-key.pem';
const PRIVATE_KEY_FILE = 'webhook-private-key.pem';
const LEGACY_PRIVATE_KEY_FILE = 'webhook-legacy-rsa-private-key.pem';

export const EVENT_TYPES = ['ContactCreate', 'ContactUpdate', 'ContactDelete', 'ContactTagUpdate', 'ContactDndUpdate'] as const;

export interface WebhookSettings {
  targetUrl: string | null;
  events: string[];
  legacySignature: boolean;
}

export class WebhookKeys {
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;
  private legacy: { privateKey: KeyObject; publicKeyPem: string } | null = null;

  constructor(private readonly dataDir: string, configured: string | null) {
    mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, PRIVATE_KEY_FILE);
    let pem: string;
    if (configured) pem = configured.includes('-----BEGIN') ? configured : readFileSync(configured, 'utf8');
    else if (existsSync(file)) pem = readFileSync(file, 'utf8');
    else {
      pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      writeFileSync(file, pem, { mode: 0o600 });
    }
    this.privateKey = createPrivateKey(pem);
    if (this.privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the GoHighLevel webhook key must be an Ed25519 private key');
    this.publicKeyPem = createPublicKey(this.privateKey).export({ type: 'spki', format: 'pem' }).toString();
    writeFileSync(path.join(dataDir, PUBLIC_KEY_FILE), this.publicKeyPem);
  }

  publicKeyFile(): string {
    return path.join(this.dataDir, PUBLIC_KEY_FILE);
  }

  /** The RSA key pair for X-WH-Signature, made (and kept in dataDir) the first time it is needed. */
  legacyKeys(): { privateKey: KeyObject; publicKeyPem: string } {
    if (this.legacy) return this.legacy;
    const file = path.join(this.dataDir, LEGACY_PRIVATE_KEY_FILE);
    let pem: string;
    if (existsSync(file)) pem = readFileSync(file, 'utf8');
    else {
      pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      writeFileSync(file, pem, { mode: 0o600 });
    }
    const privateKey = createPrivateKey(pem);
    const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
    writeFileSync(path.join(this.dataDir, LEGACY_PUBLIC_KEY_FILE), publicKeyPem);
    this.legacy = { privateKey, publicKeyPem };
    return this.legacy;
  }
}

export class GhlWebhooks {
  constructor(
    readonly settings: WebhookSettings,
    readonly keys: WebhookKeys,
    private readonly appId: () => string,
    readonly sender: WebhookSender,
  ) {}

  onChange(change: ContactChange): void {
    const url = this.settings.targetUrl;
    if (!url || !this.settings.events.includes(change.type)) return;
    const c = contactJson(change.contact) as Record<string, unknown>;
    const event = {
      type: change.type,
      locationId: c.locationId,
      id: c.id,
      address1: c.address1,
      city: c.city,
      state: c.state,
      companyName: c.companyName,
      country: c.country,
      source: c.source,
      dateAdded: c.dateAdded,
      dateOfBirth: c.dateOfBirth,
      dnd: c.dnd ?? false,
      dndSettings: c.dndSettings,
      email: c.email,
      name: c.contactName,
      firstName: c.firstName,
      lastName: c.lastName,
      phone: c.phone,
      postalCode: c.postalCode,
      tags: c.tags,
      website: c.website,
      attachments: [],
      assignedTo: c.assignedTo,
      customFields: c.customFields,
    };
    // Made once: retries and duplicates carry the same webhookId, as a receiver must expect.
    const body = JSON.stringify({ ...event, timestamp: new Date().toISOString(), webhookId: randomUUID(), appId: this.appId() });
    const legacy = this.settings.legacySignature ? this.keys.legacyKeys() : null;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-ghl-signature': sign(null, Buffer.from(body, 'utf8'), this.keys.privateKey).toString('base64'),
    };
    if (legacy) headers['x-wh-signature'] = sign('sha256', Buffer.from(body, 'utf8'), legacy.privateKey).toString('base64');
    this.sender.send(() => ({ url, body, headers }));
  }

  idle(): Promise<void> {
    return this.sender.idle();
  }

  reset(): void {
    this.sender.reset();
  }
}
