// Receiving a CRM's webhook: verify the signature on the raw bytes (401 for
// a bad or missing one, or a stale timestamp), then parse (400 for a body
// that is not the provider's shape), then store each change as an event on
// its own inbound stream and queue it in inbound_changes, and only then
// answer 2xx. The work happens after, in the applier. A redelivery (same
// provider event id) maps to the same event id and the same queue row: it
// is stored and applied once. Rejections are logged without the body.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { EventStore } from '@engagement/event-store';
import { problem, ProblemError } from '@engagement/http';
import { quoteIdent } from '@engagement/projections';
import type { Pool } from 'pg';
import type { CredentialCipher, CredentialEnvelope } from '../credentials/credential-envelope';
import type { IntegrationCommands } from '../integrations/integration-commands';
import { outcomeEventId } from '../sync/crm-pusher';
import type { InboundAdapter, InboundChange, RawWebhook, WebhookKeys } from './inbound-adapter';
import { INBOUND_EVENT_SCHEMA_VERSIONS, inboundStreamPrefix, type CrmWebhookReceivedData } from './inbound.events';

export interface ReceiverLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface WebhookReceiverOptions {
  pool: Pool;
  schema: string;
  provider: string;
  store: EventStore;
  cipher: CredentialCipher;
  commands: IntegrationCommands;
  adapter: InboundAdapter;
  log: ReceiverLog;
  env: NodeJS.ProcessEnv;
  /** Called after new changes were queued (wakes the applier). */
  queued(): void;
  now?: () => number;
}

interface IntegrationRow {
  id: string;
  status: string;
  config: Record<string, unknown>;
  webhook_url: string | null;
  webhook_secret: string | null;
}

function refusal(status: number, code: string, detail: string): ProblemError {
  return new ProblemError(problem(status, code, detail));
}

/** A PEM given as itself or as the path of a file holding it. */
function pemOf(value: unknown): string | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  if (value.includes('-----BEGIN')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch {
    return null;
  }
}

export class WebhookReceiver {
  private readonly s: string;
  private readonly prefix: string;

  constructor(private readonly o: WebhookReceiverOptions) {
    this.s = quoteIdent(o.schema);
    this.prefix = `CONNECTOR_${o.provider.toUpperCase()}`;
  }

  private async integration(): Promise<IntegrationRow | null> {
    const { rows } = await this.o.pool.query<IntegrationRow>(
      `SELECT id, status, config, webhook_url, webhook_secret FROM ${this.s}.integrations WHERE provider = $1`,
      [this.o.provider],
    );
    return rows[0] ?? null;
  }

  /** The secret and keys this integration verifies with: its own settings first, then the environment. */
  private async keys(integration: IntegrationRow): Promise<WebhookKeys> {
    const env = this.o.env;
    let secret: string | null = null;
    if (integration.webhook_secret) {
      const envelope = JSON.parse(integration.webhook_secret) as CredentialEnvelope;
      secret = this.o.cipher.decrypt(integration.id, envelope).webhook_secret ?? null;
    }
    if (secret === null) secret = (await this.o.commands.currentCredentials())?.credentials.client_secret ?? null;
    if (secret === null) secret = env[`${this.prefix}_WEBHOOK_SECRET`] ?? null;
    const config = integration.config ?? {};
    return {
      secret,
      publicKeyPem: pemOf(config.webhook_public_key) ?? pemOf(env[`${this.prefix}_WEBHOOK_PUBLIC_KEY`]),
      legacyPublicKeyPem: pemOf(config.legacy_webhook_public_key) ?? pemOf(env[`${this.prefix}_WEBHOOK_LEGACY_PUBLIC_KEY`]),
    };
  }

  /** The URI the provider signed: the integration's webhook URL when set (behind the gateway), else the request's. */
  private signedUri(integration: IntegrationRow, raw: RawWebhook): string {
    const configured = integration.webhook_url ?? this.o.env[`${this.prefix}_WEBHOOK_URL`];
    return configured && configured !== '' ? configured : raw.uri;
  }

  async receive(raw: RawWebhook): Promise<{ received: number; duplicates: number }> {
    const now = (this.o.now ?? Date.now)();
    const integration = await this.integration();
    const refuse = (status: number, code: string, detail: string) => {
      this.o.log.warn('webhook refused', { provider: this.o.provider, status, code, bytes: raw.body.length });
      return refusal(status, code, detail);
    };
    if (!integration || integration.status === 'disconnected') throw refuse(401, 'webhook-not-configured', `No ${this.o.provider} integration verifies webhooks here`);
    const verdict = this.o.adapter.verify({ ...raw, uri: this.signedUri(integration, raw) }, await this.keys(integration), now);
    if (verdict === 'stale') throw refuse(401, 'webhook-stale', 'The webhook timestamp is outside the 5-minute window');
    if (verdict !== 'valid') throw refuse(401, 'webhook-signature-invalid', 'The webhook signature is missing or does not verify');
    let body: unknown;
    try {
      body = JSON.parse(raw.body.toString('utf8'));
    } catch {
      throw refuse(400, 'webhook-malformed', 'The webhook body is not JSON');
    }
    const changes = this.o.adapter.parse(body, now);
    if (typeof changes === 'string') throw refuse(400, 'webhook-malformed', changes);
    let duplicates = 0;
    for (const change of changes) if (!(await this.store(integration.id, change, now))) duplicates++;
    if (changes.length > duplicates) this.o.queued();
    this.o.log.info('webhook received', { provider: this.o.provider, changes: changes.length, duplicates });
    return { received: changes.length - duplicates, duplicates };
  }

  /** Stores one change (event, then queue row); false when it was here already. */
  async store(integrationId: string, change: InboundChange, nowMs: number, via: 'webhook' | 'resync' = 'webhook'): Promise<boolean> {
    const id = outcomeEventId(`inbound:${this.o.provider}:${change.dedupKey}`);
    const receivedAt = new Date(nowMs).toISOString();
    if (via === 'webhook') {
      const data: CrmWebhookReceivedData = {
        provider: this.o.provider,
        integrationId,
        dedupKey: change.dedupKey,
        externalId: change.externalId,
        kind: change.kind,
        label: change.label,
        occurredAt: change.occurredAt,
        receivedAt,
        fieldNames: Object.keys(change.fields ?? {}).sort(),
        change: this.o.cipher.encrypt(integrationId, { change: JSON.stringify(change) }),
      };
      // Same event id for a redelivery: the store keeps the first and answers the retry alike.
      await this.o.store.appendToStream(
        `${inboundStreamPrefix(this.o.provider)}${id}`,
        [
          {
            id,
            type: 'CrmWebhookReceived',
            schemaVersion: INBOUND_EVENT_SCHEMA_VERSIONS.CrmWebhookReceived,
            data,
            metadata: {
              correlationId: id,
              causationId: null,
              traceparent: null,
              actor: `crm:${this.o.provider}`,
              occurredAt: receivedAt,
            },
          },
        ],
        { expectedRevision: 'any' },
      );
    }
    const { rowCount } = await this.o.pool.query(
      `INSERT INTO ${this.s}.inbound_changes (id, external_id, kind, label, change, occurred_at, received_at, via)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (id) DO NOTHING`,
      [id, change.externalId, change.kind, change.label, JSON.stringify(change), change.occurredAt, receivedAt, via],
    );
    return (rowCount ?? 0) > 0;
  }
}

/** A short, stable key from parts (HubSpot's eventId alone is not unique). */
export function dedupKeyOf(...parts: Array<string | number | undefined | null>): string {
  return createHash('sha256').update(parts.map((p) => String(p ?? '')).join('|')).digest('hex').slice(0, 40);
}
