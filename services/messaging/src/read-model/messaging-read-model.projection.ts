// The messaging read model: message_templates, sent_messages and campaigns,
// kept from the template, message and campaign streams. Rows come only from
// event data and metadata (times from occurredAt), so a rebuild reproduces
// them exactly and `npm run projections -- audit` can compare.
import {
  MESSAGING_EVENT_SCHEMA_VERSIONS,
  upcastMessagingEvent,
  type MessageRequestedData,
  type MessageSentData,
  type MessagingEvent,
  type TemplateFields,
} from '@engagement/contracts';
import type { RecordedEvent } from '@engagement/event-store';
import type { ProjectionDefinition } from '@engagement/projections';
import type { PoolClient } from 'pg';
import { messagingReadModelSql, uuidSchemaOf } from '../migrations/messaging-read-model.ddl';
import { openMessageFields } from '../messages/sealed-message-fields';

export const MESSAGING_READ_MODEL = 'messaging-read-model';

/**
 * `sealer` opens the personal fields messaging seals in its own events
 * (messages/sealed-message-fields.ts); an erased contact's open as null.
 */
export function messagingReadModelProjection(
  schema: string,
  sealer: Parameters<typeof openMessageFields>[0] = null,
): ProjectionDefinition {
  return {
    name: MESSAGING_READ_MODEL,
    schema,
    tables: [
      { name: 'campaigns', primaryKey: ['id'] },
      { name: 'message_templates', primaryKey: ['id'] },
      { name: 'sent_messages', primaryKey: ['id'] },
    ],
    source: 'event-store',
    // ContactErased too: what was sent to an erased contact loses its personal fields here.
    filter: {
      streamPrefixes: ['template-', 'message-', 'campaign-', 'contact-'],
      eventTypes: [...Object.keys(MESSAGING_EVENT_SCHEMA_VERSIONS), 'ContactErased'],
    },
    async migrate(client, target) {
      const uuidSchema = await uuidSchemaOf(client);
      for (const sql of messagingReadModelSql(target, uuidSchema)) await client.query(sql);
    },
    async apply(events, client) {
      // A campaign appends its messages' requests and outcomes many at a time: runs of
      // MessageRequested and MessageSent are written a run at a time (MessageRuns below), every
      // other event one by one after the runs before it.
      const runs = new MessageRuns();
      for (const stored of events) {
        const recorded = await openMessageFields(sealer, stored);
        if (await runs.take(recorded, client)) continue;
        await runs.flush(client);
        if (recorded.type === 'ContactErased') {
          await client.query(
            `UPDATE sent_messages SET recipient_email = NULL, recipient_phone = NULL, subject = NULL,
                    body_html = NULL, body_text = NULL, links_clicked = '[]'::jsonb, updated_at = $2
              WHERE contact_id = $1`,
            [recorded.data.contactId, recorded.metadata.occurredAt],
          );
          continue;
        }
        if (recorded.streamId.startsWith('template-slug-')) continue;
        await applyEvent(client, upcastMessagingEvent(recorded), recorded);
      }
      await runs.flush(client);
    },
  };
}

const TEMPLATE_COLUMNS: Record<keyof TemplateFields, string> = {
  slug: 'slug',
  name: 'name',
  description: 'description',
  channel: 'channel',
  subjectTemplate: 'subject_template',
  preheaderTemplate: 'preheader_template',
  contentSource: 'content_source',
  contentApiUrl: 'content_api_url',
  cachedContentHtml: 'cached_content_html',
  cachedContentText: 'cached_content_text',
  variables: 'variables',
  requiredVariables: 'required_variables',
  generationPrompt: 'generation_prompt',
  brandContext: 'brand_context',
  isVariant: 'is_variant',
  parentTemplateId: 'parent_template_id',
  variantName: 'variant_name',
  syncToCrm: 'sync_to_crm',
  crmTemplateMappings: 'crm_template_mappings',
  isActive: 'is_active',
};
const JSON_FIELDS = new Set([
  'variables',
  'requiredVariables',
  'brandContext',
  'crmTemplateMappings',
]);
const sqlValue = (field: string, value: unknown) =>
  JSON_FIELDS.has(field) && value !== null && value !== undefined ? JSON.stringify(value) : value;

/** Which campaign counter a message event moves. */
const CAMPAIGN_COUNTER: Partial<Record<MessagingEvent['type'], string>> = {
  MessageSent: 'sent_count',
  MessageDelivered: 'delivered_count',
  MessageBounced: 'bounced_count',
  MessageFailed: 'failed_count',
  MessageBlocked: 'blocked_count',
};

async function applyEvent(
  client: PoolClient,
  event: MessagingEvent,
  recorded: RecordedEvent,
): Promise<void> {
  const at = recorded.metadata.occurredAt;
  switch (event.type) {
    case 'TemplateCreated': {
      const { templateId, version, ...fields } = event.data;
      const keys = Object.keys(TEMPLATE_COLUMNS) as (keyof TemplateFields)[];
      const columns = keys.map((k) => TEMPLATE_COLUMNS[k]);
      const values = keys.map((k) => sqlValue(k, fields[k]));
      await client.query(
        `INSERT INTO message_templates (id, version, created_at, updated_at, ${columns.join(', ')})
         VALUES ($1, $2, $3, $3, ${columns.map((_, i) => `$${i + 4}`).join(', ')})
         ON CONFLICT (id) DO NOTHING`,
        [templateId, version, at, ...values],
      );
      return;
    }
    case 'TemplateRevised': {
      const { templateId, version, ...changes } = event.data;
      const entries = Object.entries(changes).filter(([k]) => k in TEMPLATE_COLUMNS);
      const sets = entries.map(
        ([k], i) => `${TEMPLATE_COLUMNS[k as keyof TemplateFields]} = $${i + 4}`,
      );
      await client.query(
        `UPDATE message_templates SET version = $2, updated_at = $3${sets.map((s) => `, ${s}`).join('')} WHERE id = $1`,
        [templateId, version, at, ...entries.map(([k, v]) => sqlValue(k, v))],
      );
      return;
    }
    case 'TemplateContentFetched':
      await client.query(
        `UPDATE message_templates SET cached_content_html = $2, cached_content_text = $3, updated_at = $4 WHERE id = $1`,
        [event.data.templateId, event.data.html, event.data.text, at],
      );
      return;
    case 'TemplateVersionUsed':
    case 'TemplateContentFallbackUsed':
    case 'TemplateSlugReserved':
    case 'MessageSending':
    case 'MessageAttemptFailed':
    case 'ReminderSent':
      return;

    case 'CampaignCreated': {
      const d = event.data;
      await client.query(
        `INSERT INTO campaigns (id, name, channel, kind, template_id, audience, variables, status, scheduled_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $8::timestamptz IS NULL THEN 'draft' ELSE 'scheduled' END, $8, $9, $9)
         ON CONFLICT (id) DO NOTHING`,
        [
          d.campaignId,
          d.name,
          d.channel,
          d.kind,
          d.templateId,
          JSON.stringify(d.audience),
          JSON.stringify(d.variables),
          d.scheduledAt,
          at,
        ],
      );
      return;
    }
    case 'CampaignRevised': {
      const d = event.data;
      await client.query(
        `UPDATE campaigns SET name = COALESCE($2, name), channel = COALESCE($3, channel), kind = COALESCE($4, kind),
                template_id = COALESCE($5, template_id), audience = COALESCE($6, audience),
                variables = COALESCE($7, variables), updated_at = $8
          WHERE id = $1`,
        [
          d.campaignId,
          d.name ?? null,
          d.channel ?? null,
          d.kind ?? null,
          d.templateId ?? null,
          d.audience ? JSON.stringify(d.audience) : null,
          d.variables ? JSON.stringify(d.variables) : null,
          at,
        ],
      );
      return;
    }
    case 'CampaignScheduled':
      await client.query(
        `UPDATE campaigns SET status = 'scheduled', scheduled_at = $2, updated_at = $3 WHERE id = $1`,
        [event.data.campaignId, event.data.scheduledAt, at],
      );
      return;
    case 'CampaignSendingStarted':
      await client.query(
        `UPDATE campaigns SET status = 'sending', started_at = $2, updated_at = $2 WHERE id = $1`,
        [event.data.campaignId, at],
      );
      return;
    case 'CampaignCompleted':
      await client.query(
        `UPDATE campaigns SET status = 'sent', completed_at = $2, audience_size = $3, updated_at = $2 WHERE id = $1`,
        [event.data.campaignId, at, event.data.audienceSize],
      );
      return;
    case 'CampaignCancelled':
      await client.query(
        `UPDATE campaigns SET status = 'cancelled', cancelled_at = $2, updated_at = $2 WHERE id = $1`,
        [event.data.campaignId, at],
      );
      return;

    case 'MessageRequested': {
      const d = event.data;
      await client.query(
        `INSERT INTO sent_messages (id, contact_id, registration_id, campaign_id, template_id, template_version,
                                    channel, provider, subject, body_html, body_text, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'queued', $12, $12)
         ON CONFLICT (id) DO NOTHING`,
        [
          d.messageId,
          d.contactId,
          d.registrationId,
          d.campaignId,
          d.templateId,
          d.templateVersion,
          d.channel,
          d.provider,
          d.subject,
          d.bodyHtml,
          d.bodyText,
          at,
        ],
      );
      return;
    }
    case 'MessageBlocked':
      await setMessage(
        client,
        event.data.messageId,
        at,
        `status = 'blocked', error_code = $3, error_message = $4`,
        [event.data.rule, event.data.reason],
      );
      break;
    case 'MessageDeferred':
      await setMessage(client, event.data.messageId, at, `status = 'deferred'`, []);
      return;
    case 'MessageSent': {
      const d = event.data;
      await setMessage(
        client,
        d.messageId,
        at,
        `status = 'sent', sent_at = $3, provider_message_id = $4, recipient_email = $5, recipient_phone = $6,
         provider_metadata = $7`,
        [
          d.sentAt,
          d.providerMessageId,
          d.recipientEmail,
          d.recipientPhone,
          JSON.stringify({ reconciled: d.reconciled }),
        ],
      );
      break;
    }
    case 'MessageFailed':
      await setMessage(
        client,
        event.data.messageId,
        at,
        `status = 'failed', failed_at = $3, error_code = $4, error_message = $5`,
        [event.data.failedAt, event.data.errorCode, event.data.errorMessage],
      );
      break;
    case 'MessageDelivered':
      await setMessage(
        client,
        event.data.messageId,
        at,
        `status = CASE WHEN status = 'sent' THEN 'delivered' ELSE status END, delivered_at = COALESCE(delivered_at, $3)`,
        [event.data.deliveredAt],
      );
      break;
    case 'MessageBounced':
      await setMessage(
        client,
        event.data.messageId,
        at,
        `status = 'bounced', bounced_at = $3, bounce_type = $4, error_code = $5, error_message = $6`,
        [
          event.data.bouncedAt,
          event.data.bounceType,
          event.data.errorCode,
          event.data.errorMessage,
        ],
      );
      break;
    case 'MessageOpened': {
      const { rows } = await client.query<{ first: boolean }>(
        `UPDATE sent_messages SET open_count = open_count + 1, opened_at = COALESCE(opened_at, $2), updated_at = $2
          WHERE id = $1 RETURNING open_count = 1 AS first`,
        [event.data.messageId, event.data.openedAt],
      );
      // A campaign counts people who opened, not opens.
      if (rows[0]?.first) await bumpCampaign(client, event.data.campaignId, 'opened_count', at);
      return;
    }
    case 'MessageClicked': {
      const { rows } = await client.query<{ first: boolean }>(
        `UPDATE sent_messages SET click_count = click_count + 1, clicked_at = COALESCE(clicked_at, $2),
                links_clicked = links_clicked || jsonb_build_array(jsonb_build_object('url', $3::text, 'clicked_at', $2::text)),
                updated_at = $2
          WHERE id = $1 RETURNING click_count = 1 AS first`,
        [event.data.messageId, event.data.clickedAt, event.data.url],
      );
      if (rows[0]?.first) await bumpCampaign(client, event.data.campaignId, 'clicked_count', at);
      return;
    }
    case 'RecipientUnsubscribed':
      await setMessage(
        client,
        event.data.messageId,
        at,
        `unsubscribed_at = COALESCE(unsubscribed_at, $3)`,
        [event.data.unsubscribedAt],
      );
      return;
  }
  const counter = CAMPAIGN_COUNTER[event.type];
  if (counter && 'campaignId' in event.data)
    await bumpCampaign(client, event.data.campaignId as string | null, counter, at);
}

async function setMessage(
  client: PoolClient,
  messageId: string,
  at: string,
  sets: string,
  params: unknown[],
): Promise<void> {
  await client.query(`UPDATE sent_messages SET ${sets}, updated_at = $2 WHERE id = $1`, [
    messageId,
    at,
    ...params,
  ]);
}

async function bumpCampaign(
  client: PoolClient,
  campaignId: string | null,
  counter: string,
  at: string,
): Promise<void> {
  if (campaignId === null) return;
  await client.query(
    `UPDATE campaigns SET ${counter} = ${counter} + 1, updated_at = $2 WHERE id = $1`,
    [campaignId, at],
  );
}

/** Events that change nothing here: they neither join nor end a run. */
const NO_ROWS = new Set(['MessageSending', 'MessageAttemptFailed', 'ReminderSent']);

/**
 * Consecutive MessageRequested and MessageSent events (other messages'
 * MessageSending between them change nothing here), kept to be written in
 * one statement each, with the same rows the one-event statements of
 * applyEvent would leave: a MessageSent whose request is in the run writes
 * the requests first, and any other event writes both before it applies.
 */
class MessageRuns {
  private requested: { data: MessageRequestedData; at: string }[] = [];
  private requestedIds = new Set<string>();
  private sent: { data: MessageSentData; at: string }[] = [];

  /** True when the event joined a run (or changes nothing); false: flush, then apply it alone. */
  async take(recorded: RecordedEvent, client: PoolClient): Promise<boolean> {
    if (NO_ROWS.has(recorded.type)) return true;
    if (recorded.type !== 'MessageRequested' && recorded.type !== 'MessageSent') return false;
    const event = upcastMessagingEvent(recorded);
    const at = recorded.metadata.occurredAt;
    if (event.type === 'MessageRequested') {
      this.requested.push({ data: event.data, at });
      this.requestedIds.add(event.data.messageId);
      return true;
    }
    if (event.type !== 'MessageSent') return false;
    // Its row must exist first (a request and its outcome in one batch of events).
    if (this.requestedIds.has(event.data.messageId)) await this.flushRequested(client);
    this.sent.push({ data: event.data, at });
    return true;
  }

  async flush(client: PoolClient): Promise<void> {
    await this.flushRequested(client);
    await this.flushSent(client);
  }

  private async flushRequested(client: PoolClient): Promise<void> {
    const requested = this.requested;
    this.requested = [];
    this.requestedIds = new Set();
    if (requested.length > 0) {
      const column = <T>(f: (r: { data: MessageRequestedData; at: string }) => T) =>
        requested.map(f);
      await client.query(
        `INSERT INTO sent_messages (id, contact_id, registration_id, campaign_id, template_id, template_version,
                                    channel, provider, subject, body_html, body_text, status, created_at, updated_at)
         SELECT id, contact_id, registration_id, campaign_id, template_id, template_version,
                channel, provider, subject, body_html, body_text, 'queued', at, at
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::int[],
                       $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::timestamptz[])
             AS r(id, contact_id, registration_id, campaign_id, template_id, template_version,
                  channel, provider, subject, body_html, body_text, at)
         ON CONFLICT (id) DO NOTHING`,
        [
          column((r) => r.data.messageId),
          column((r) => r.data.contactId),
          column((r) => r.data.registrationId),
          column((r) => r.data.campaignId),
          column((r) => r.data.templateId),
          column((r) => r.data.templateVersion),
          column((r) => r.data.channel),
          column((r) => r.data.provider),
          column((r) => r.data.subject),
          column((r) => r.data.bodyHtml),
          column((r) => r.data.bodyText),
          column((r) => r.at),
        ],
      );
    }
  }

  private async flushSent(client: PoolClient): Promise<void> {
    const sent = this.sent;
    this.sent = [];
    if (sent.length > 0) {
      const column = <T>(f: (r: { data: MessageSentData; at: string }) => T) => sent.map(f);
      await client.query(
        `UPDATE sent_messages m
            SET status = 'sent', sent_at = s.sent_at, provider_message_id = s.provider_message_id,
                recipient_email = s.recipient_email, recipient_phone = s.recipient_phone,
                provider_metadata = s.provider_metadata, updated_at = s.at
           FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::jsonb[],
                       $7::timestamptz[])
             AS s(id, sent_at, provider_message_id, recipient_email, recipient_phone, provider_metadata, at)
          WHERE m.id = s.id`,
        [
          column((r) => r.data.messageId),
          column((r) => r.data.sentAt),
          column((r) => r.data.providerMessageId),
          column((r) => r.data.recipientEmail),
          column((r) => r.data.recipientPhone),
          column((r) => JSON.stringify({ reconciled: r.data.reconciled })),
          column((r) => r.at),
        ],
      );
      // Each campaign's count moves by its messages in the run; updated_at is the last one's, as one by one.
      const campaigns = new Map<string, { count: number; at: string }>();
      for (const { data, at } of sent) {
        if (data.campaignId === null) continue;
        campaigns.set(data.campaignId, {
          count: (campaigns.get(data.campaignId)?.count ?? 0) + 1,
          at,
        });
      }
      for (const [campaignId, { count, at }] of campaigns) {
        await client.query(
          `UPDATE campaigns SET sent_count = sent_count + $2, updated_at = $3 WHERE id = $1`,
          [campaignId, count, at],
        );
      }
    }
  }
}
