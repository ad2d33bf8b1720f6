// Reconciliation with a CRM (webhooks get lost): pages through the CRM's
// contacts with its documented pagination, applies each record through the
// same rules as a webhook (inbound-applier.ts: unchanged records do
// nothing, conflicts go by the policy), and saves its cursor and counts
// after every page, so a restarted connector resumes a run where it was.
// A full run (no `since`) then looks for contacts linked to records the
// CRM no longer has (deleted there) and applies the delete policy.
import { randomUUID } from 'node:crypto';
import { quoteIdent } from '@engagement/projections';
import type { Pool } from 'pg';
import type { Call } from '../sync/crm-adapter';
import { outcomeEventId } from '../sync/crm-pusher';
import type { InboundAdapter } from './inbound-adapter';
import type { InboundApplier, InboundResult } from './inbound-applier';
import type { ReceiverLog } from './webhook-receiver';

export interface ResyncCounts {
  compared: number;
  created: number;
  updated: number;
  unchanged: number;
  conflicts: number;
  unlinked: number;
  deleted: number;
  skipped: number;
  errors: number;
}

export interface ResyncReport {
  runId: string;
  status: 'running' | 'done' | 'failed';
  since: string | null;
  pages: number;
  counts: ResyncCounts;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

const EMPTY: ResyncCounts = { compared: 0, created: 0, updated: 0, unchanged: 0, conflicts: 0, unlinked: 0, deleted: 0, skipped: 0, errors: 0 };

function count(counts: ResyncCounts, result: InboundResult): void {
  const key: keyof ResyncCounts =
    result === 'conflict' ? 'conflicts' : result === 'failed' ? 'errors' : (result as Exclude<InboundResult, 'conflict' | 'failed'>);
  counts[key]++;
}

export class ResyncRunner {
  private readonly s: string;
  private readonly running = new Map<string, Promise<ResyncReport>>();
  private stopped = false;

  constructor(
    private readonly o: { pool: Pool; schema: string; provider: string; inbound: InboundAdapter; applier: InboundApplier; call: Call; log: ReceiverLog },
  ) {
    this.s = quoteIdent(o.schema);
  }

  /** Starts a run in the background; resolves with its id at once. */
  async start(since: string | null): Promise<string> {
    const runId = randomUUID();
    await this.o.pool.query(`INSERT INTO ${this.s}.resync_runs (id, since, counts) VALUES ($1, $2, $3)`, [runId, since, JSON.stringify(EMPTY)]);
    this.launch(runId);
    return runId;
  }

  /**
   * The scheduled resync: with `resync_interval_minutes` in the integration's
   * config, an incremental run (since the last run started, or full the first
   * time) once the interval has passed and no run is going. One instance
   * decides, under a transaction lock, however many replicas run.
   */
  async startIfDue(): Promise<string | null> {
    const integration = await this.o.applier.integration();
    const minutes = Number(integration?.config?.resync_interval_minutes ?? 0);
    if (!integration || integration.status !== 'active' || !(minutes > 0)) return null;
    const client = await this.o.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 19))`, [`resync:${this.o.schema}`]);
      const { rows } = await client.query<{ running: boolean; last: Date | null }>(
        `SELECT bool_or(status = 'running') AS running, max(started_at) AS last FROM ${this.s}.resync_runs`,
      );
      const { running, last } = rows[0] ?? { running: false, last: null };
      if (running || (last !== null && Date.now() - last.getTime() < minutes * 60_000)) {
        await client.query('ROLLBACK');
        return null;
      }
      const runId = randomUUID();
      await client.query(`INSERT INTO ${this.s}.resync_runs (id, since, counts) VALUES ($1, $2, $3)`, [runId, last, JSON.stringify(EMPTY)]);
      await client.query('COMMIT');
      this.launch(runId);
      return runId;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Runs left unfinished by a stopped connector go on from their saved cursor. */
  async resumeUnfinished(): Promise<void> {
    const { rows } = await this.o.pool.query<{ id: string }>(`SELECT id FROM ${this.s}.resync_runs WHERE status = 'running'`);
    for (const { id } of rows) this.launch(id);
  }

  private launch(runId: string): void {
    if (this.running.has(runId)) return;
    const run = this.run(runId).finally(() => this.running.delete(runId));
    run.catch(() => undefined);
    this.running.set(runId, run);
  }

  /** Stops after the page in hand; the run stays `running` and resumes at the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }

  async idle(): Promise<void> {
    await Promise.allSettled([...this.running.values()]);
  }

  async report(runId: string): Promise<ResyncReport | null> {
    const { rows } = await this.o.pool.query<{
      id: string; status: ResyncReport['status']; since: Date | null; pages: number; counts: ResyncCounts; started_at: Date; finished_at: Date | null; error: string | null;
    }>(`SELECT id, status, since, pages, counts, started_at, finished_at, error FROM ${this.s}.resync_runs WHERE id = $1`, [runId]);
    const r = rows[0];
    if (!r) return null;
    return {
      runId: r.id,
      status: r.status,
      since: r.since?.toISOString() ?? null,
      pages: r.pages,
      counts: { ...EMPTY, ...r.counts },
      startedAt: r.started_at.toISOString(),
      finishedAt: r.finished_at?.toISOString() ?? null,
      error: r.error,
    };
  }

  private async run(runId: string): Promise<ResyncReport> {
    const { rows } = await this.o.pool.query<{ since: Date | null; cursor: string | null; counts: ResyncCounts; seen_external_ids: string[] }>(
      `SELECT since, cursor, counts, seen_external_ids FROM ${this.s}.resync_runs WHERE id = $1`,
      [runId],
    );
    const state = rows[0]!;
    const since = state.since?.toISOString() ?? null;
    const counts: ResyncCounts = { ...EMPTY, ...state.counts };
    let cursor = state.cursor;
    try {
      const integration = await this.o.applier.integration();
      if (!integration) throw new Error(`No ${this.o.provider} integration is connected`);
      const config = integration.config ?? {};
      for (;;) {
        const page = await this.o.inbound.listContacts(this.o.call, cursor, since, config, this.o.applier.crmFields(integration));
        const seen: string[] = [];
        for (const record of page.records) {
          seen.push(record.externalId);
          counts.compared++;
          const change = {
            dedupKey: `resync:${runId}:${record.externalId}`,
            externalId: record.externalId,
            kind: 'upsert' as const,
            fields: record.fields,
            tags: record.tags,
            occurredAt: record.updatedAt,
            label: 'resync',
          };
          try {
            count(counts, await this.o.applier.applyChange(integration, outcomeEventId(`resync:${runId}:${record.externalId}`), change, 'resync'));
          } catch (error) {
            counts.errors++;
            this.o.log.warn('resync: a record was not applied', { provider: this.o.provider, error: (error as Error).message });
          }
        }
        cursor = page.next;
        // The cursor and counts after every page: a restart resumes here.
        await this.o.pool.query(
          `UPDATE ${this.s}.resync_runs SET cursor = $2, pages = pages + 1, counts = $3,
             seen_external_ids = seen_external_ids || $4::jsonb WHERE id = $1`,
          [runId, cursor, JSON.stringify(counts), JSON.stringify(seen)],
        );
        if (cursor === null) break;
        if (this.stopped) return (await this.report(runId))!;
      }
      if (since === null) await this.detectDeleted(runId, integration, counts);
      await this.o.pool.query(`UPDATE ${this.s}.resync_runs SET status = 'done', counts = $2, finished_at = now() WHERE id = $1`, [runId, JSON.stringify(counts)]);
    } catch (error) {
      await this.o.pool.query(`UPDATE ${this.s}.resync_runs SET status = 'failed', error = $2, counts = $3, finished_at = now() WHERE id = $1`, [
        runId, (error as Error).message.slice(0, 500), JSON.stringify(counts),
      ]);
    }
    return (await this.report(runId))!;
  }

  /** Linked contacts whose record the full listing did not show: read once more, then the delete policy. */
  private async detectDeleted(runId: string, integration: NonNullable<Awaited<ReturnType<InboundApplier['integration']>>>, counts: ResyncCounts): Promise<void> {
    const { rows } = await this.o.pool.query<{ external_id: string }>(
      `SELECT DISTINCT c.external_id FROM ${this.s}.sync_contacts c, ${this.s}.resync_runs r
        WHERE r.id = $1 AND c.external_id IS NOT NULL AND NOT c.erased AND NOT (r.seen_external_ids ? c.external_id)`,
      [runId],
    );
    for (const { external_id } of rows) {
      if ((await this.o.inbound.readContact(this.o.call, external_id, integration.config ?? {}, this.o.applier.crmFields(integration))) !== null) continue;
      const change = { dedupKey: `resync-delete:${runId}:${external_id}`, externalId: external_id, kind: 'delete' as const, fields: null, tags: null, occurredAt: new Date().toISOString(), label: 'resync' };
      try {
        count(counts, await this.o.applier.applyChange(integration, outcomeEventId(change.dedupKey), change, 'resync'));
      } catch (error) {
        counts.errors++;
        this.o.log.warn('resync: a deleted record was not applied', { provider: this.o.provider, error: (error as Error).message });
      }
    }
  }
}
