// Sending campaigns, resumably. A campaign that is due (scheduled time
// reached, or sent now) is claimed by one instance at a time (a lease with
// SKIP LOCKED); its audience is resolved once from messaging's replica of
// contacts into campaign_recipients, each with a message id of its own;
// then its pages of recipients are sent in batches (campaign-batch.ts:
// requested, checked against the rules, sent and recorded, chunk by chunk)
// and checkpointed (requested_at), so a crash resumes where it stopped: a
// message requested again is the same message (its stream exists), never a
// second one. Without batches (or where a batch cannot go on) each
// recipient's message is requested one by one and the send queue checks
// the rules (consent, status, quiet hours, the cap) and sends it.
import { DomainError } from '@engagement/decider';
import type { CampaignAudience, CampaignCreatedData } from '@engagement/contracts';
import { quoteIdent } from '@engagement/projections';
import { systemContext } from '@engagement/service-runtime';
import type { Pool } from 'pg';
import type { RecipientDirectory } from '../contacts-replica/recipient-directory';
import type { MessageRequester } from '../messages/request-message';
import { campaignStream, type MessagingStreams } from '../shared/messaging-streams';
import type { CampaignBatch } from './campaign-batch';
import { campaignDecider } from './campaign.decider';

export const CAMPAIGN_TABLES_SQL = (schema: string) => {
  const s = quoteIdent(schema);
  return [
    `CREATE TABLE IF NOT EXISTS ${s}.campaign_runs (
      campaign_id UUID PRIMARY KEY,
      claimed_until TIMESTAMPTZ,
      audience_resolved_at TIMESTAMPTZ,
      completed_at TIMESTAMPTZ
    )`,
    `CREATE TABLE IF NOT EXISTS ${s}.campaign_recipients (
      campaign_id UUID NOT NULL,
      contact_id UUID NOT NULL,
      message_id UUID NOT NULL,
      requested_at TIMESTAMPTZ,
      skipped TEXT,
      PRIMARY KEY (campaign_id, contact_id)
    )`,
    `CREATE INDEX IF NOT EXISTS idx_campaign_recipients_pending ON ${s}.campaign_recipients (campaign_id) WHERE requested_at IS NULL`,
  ];
};

export type CampaignRunnerOptions = {
  pool: Pool;
  schema: string;
  streams: MessagingStreams;
  requester: MessageRequester;
  recipients: RecipientDirectory;
  leaseMs: number;
  pollMs: number;
  /** Messages requested at once. */
  concurrency: number;
  /** Sends pages in batches (campaign-batch.ts); null: one message at a time through the send queue. */
  batch: CampaignBatch | null;
  clock?: () => Date;
  onRequested?: () => void;
  log: (message: string, fields?: Record<string, unknown>) => void;
};

export class CampaignRunner {
  private stopped = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly clock: () => Date;

  constructor(private readonly options: CampaignRunnerOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  async prepare(): Promise<void> {
    for (const sql of CAMPAIGN_TABLES_SQL(this.options.schema)) await this.options.pool.query(sql);
  }

  start(): void {
    this.running = this.loop();
  }

  poke(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  /** Starts the campaigns whose time has come, then works on those sending; returns messages requested. */
  async runDue(): Promise<number> {
    const s = quoteIdent(this.options.schema);
    const now = this.clock();
    const { rows: due } = await this.options.pool.query<{ id: string }>(
      `SELECT id FROM ${s}.campaigns WHERE status = 'scheduled' AND scheduled_at <= $1`,
      [now],
    );
    for (const { id } of due) await this.startSending(id);
    let requested = 0;
    for (;;) {
      const campaignId = await this.claim();
      if (!campaignId) return requested;
      try {
        requested += await this.work(campaignId);
      } catch (error) {
        // A failure (database busy, a conflict) gives the campaign back at once, not after the lease.
        await this.options.pool
          .query(`UPDATE ${s}.campaign_runs SET claimed_until = NULL WHERE campaign_id = $1`, [
            campaignId,
          ])
          .catch(() => undefined);
        throw error;
      }
    }
  }

  /** Records that the campaign is sending (idempotent) and makes its run row. */
  async startSending(campaignId: string): Promise<void> {
    const context = { ...systemContext('messaging:campaigns', campaignId), now: this.clock() };
    await this.options.streams.run(
      campaignStream(campaignId),
      campaignDecider,
      { type: 'StartSending' },
      context,
    );
    await this.options.pool.query(
      `INSERT INTO ${quoteIdent(this.options.schema)}.campaign_runs (campaign_id) VALUES ($1) ON CONFLICT DO NOTHING`,
      [campaignId],
    );
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.runDue();
      } catch (error) {
        this.options.log('campaign runner failed; retrying', { error: (error as Error).message });
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollMs);
        this.wake = () => (clearTimeout(timer), resolve());
      });
    }
  }

  private async claim(): Promise<string | null> {
    const s = quoteIdent(this.options.schema);
    const now = this.clock();
    const { rows } = await this.options.pool.query<{ campaign_id: string }>(
      `UPDATE ${s}.campaign_runs SET claimed_until = $2
        WHERE campaign_id = (
          SELECT campaign_id FROM ${s}.campaign_runs
           WHERE completed_at IS NULL AND (claimed_until IS NULL OR claimed_until < $1)
           LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING campaign_id`,
      [now, new Date(now.getTime() + this.options.leaseMs)],
    );
    return rows[0]?.campaign_id ?? null;
  }

  private async work(campaignId: string): Promise<number> {
    const s = quoteIdent(this.options.schema);
    const { pool } = this.options;
    const { state } = await this.options.streams.load(campaignStream(campaignId), campaignDecider);
    if (!state.exists || state.status === 'cancelled') {
      await pool.query(`UPDATE ${s}.campaign_runs SET completed_at = $2 WHERE campaign_id = $1`, [
        campaignId,
        this.clock(),
      ]);
      return 0;
    }
    const campaign = state.campaign;
    await this.resolveAudience(campaign);

    let requested = 0;
    for (;;) {
      if (this.stopped) return requested;
      const { rows } = await pool.query<{ contact_id: string; message_id: string }>(
        `SELECT contact_id, message_id FROM ${s}.campaign_recipients
          WHERE campaign_id = $1 AND requested_at IS NULL LIMIT 500`,
        [campaignId],
      );
      if (rows.length === 0) break;
      // Keep the lease while working.
      const now = this.clock();
      await pool.query(`UPDATE ${s}.campaign_runs SET claimed_until = $2 WHERE campaign_id = $1`, [
        campaignId,
        new Date(now.getTime() + this.options.leaseMs),
      ]);
      if (this.options.batch) {
        const sent = await this.options.batch.sendPage(campaign, rows, (row) =>
          this.requestOne(campaign, row.contact_id, row.message_id),
        );
        if (sent !== null) {
          requested += sent;
          this.options.onRequested?.();
          continue;
        }
      }
      let next = 0;
      const worker = async () => {
        while (next < rows.length && !this.stopped) {
          const row = rows[next++];
          if (await this.requestOne(campaign, row.contact_id, row.message_id)) requested++;
        }
      };
      await Promise.all(Array.from({ length: this.options.concurrency }, worker));
      this.options.onRequested?.();
    }
    if (this.stopped) return requested;
    const { rows: counted } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${s}.campaign_recipients WHERE campaign_id = $1 AND skipped IS NULL`,
      [campaignId],
    );
    const context = { ...systemContext('messaging:campaigns', campaignId), now: this.clock() };
    await this.options.streams.run(
      campaignStream(campaignId),
      campaignDecider,
      { type: 'CompleteCampaign', audienceSize: counted[0].n },
      context,
    );
    await pool.query(
      `UPDATE ${s}.campaign_runs SET completed_at = $2, claimed_until = NULL WHERE campaign_id = $1`,
      [campaignId, this.clock()],
    );
    return requested;
  }

  /** Once per campaign: every contact of the replica that matches tags and stages (properties are checked per contact). */
  private async resolveAudience(campaign: CampaignCreatedData): Promise<void> {
    const s = quoteIdent(this.options.schema);
    const client = await this.options.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ audience_resolved_at: Date | null }>(
        `SELECT audience_resolved_at FROM ${s}.campaign_runs WHERE campaign_id = $1 FOR UPDATE`,
        [campaign.campaignId],
      );
      if (rows[0]?.audience_resolved_at) {
        await client.query('COMMIT');
        return;
      }
      const audience: CampaignAudience = campaign.audience;
      await client.query(
        `INSERT INTO ${s}.campaign_recipients (campaign_id, contact_id, message_id)
         SELECT $1::uuid, contact_id, md5($1::text || ':' || contact_id::text)::uuid
           FROM ${s}.contact_replica
          WHERE erased_at IS NULL AND status <> 'deleted'
            AND (cardinality($2::text[]) = 0 OR tags && $2::text[])
            AND (cardinality($3::text[]) = 0 OR lifecycle_stage = ANY($3::text[]))
         ON CONFLICT DO NOTHING`,
        [campaign.campaignId, audience.tags ?? [], audience.lifecycleStages ?? []],
      );
      await client.query(
        `UPDATE ${s}.campaign_runs SET audience_resolved_at = $2 WHERE campaign_id = $1`,
        [campaign.campaignId, this.clock()],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Requests one recipient's message and checkpoints it; a recipient that cannot get it is marked skipped. */
  private async requestOne(
    campaign: CampaignCreatedData,
    contactId: string,
    messageId: string,
  ): Promise<boolean> {
    const s = quoteIdent(this.options.schema);
    let skipped: string | null = null;
    try {
      const recipient = await this.options.recipients.find(contactId);
      const filters = Object.entries(campaign.audience.properties ?? {});
      if (recipient && filters.some(([name, value]) => recipient.properties[name] !== value)) {
        skipped = 'properties';
      } else {
        const context = {
          ...systemContext('messaging:campaigns', campaign.campaignId),
          now: this.clock(),
        };
        await this.options.requester.request(
          {
            messageId,
            template: campaign.templateId,
            contactId,
            channel: campaign.channel,
            variables: campaign.variables,
            kind: campaign.kind,
            campaignId: campaign.campaignId,
          },
          context,
          { recipient },
        );
      }
    } catch (error) {
      // The recipient cannot get this message (erased meanwhile, missing variables): recorded, not retried.
      if (!(error instanceof DomainError)) throw error;
      skipped = `${error.code}: ${error.message}`.slice(0, 500);
    }
    await this.options.pool.query(
      `UPDATE ${s}.campaign_recipients SET requested_at = $3, skipped = $4 WHERE campaign_id = $1 AND contact_id = $2`,
      [campaign.campaignId, contactId, this.clock(), skipped],
    );
    return skipped === null;
  }
}
