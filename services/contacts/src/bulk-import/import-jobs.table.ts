// Bulk import jobs and their progress, in <schema>.import_jobs and
// <schema>.import_job_errors. Not a projection: the jobs are work to do, not
// a view of events. A job holds its uploaded file until it is done (so a
// restart can resume it), then the file is dropped: it holds personal data
// that erasure could not otherwise reach. Progress moves one batch at a time
// in one transaction (counters, per-row errors, the next row), so a restart
// resumes at the first row of the batch it was in; rows are idempotent, so
// doing that batch's rows again is harmless.
//
// A process works on a job while it holds the job's lease; the lease is
// renewed with every batch, so a job whose process died is picked up by
// another (or the restarted) process once its lease runs out.
import type { FieldError } from '@engagement/http';
import type { Pool } from 'pg';
import type { ImportFormat } from './import-parser';

export type ImportStatus = 'queued' | 'running' | 'completed' | 'failed';

export interface ImportJob {
  id: string;
  format: ImportFormat;
  status: ImportStatus;
  total: number;
  /** Rows before this index (0-based) are done. */
  nextRow: number;
  processed: number;
  created: number;
  updated: number;
  failed: number;
  error: string | null;
  createdBy: string;
  correlationId: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface RowError extends FieldError {
  row: number;
}

export interface BatchProgress {
  nextRow: number;
  processed: number;
  created: number;
  updated: number;
  failed: number;
  errors: RowError[];
}

interface JobRow {
  id: string;
  format: ImportFormat;
  status: ImportStatus;
  total: number;
  next_row: number;
  processed: number;
  created: number;
  updated: number;
  failed: number;
  error: string | null;
  created_by: string;
  correlation_id: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const JOB_COLUMNS = `id, format, status, total, next_row, processed, created, updated, failed, error,
  created_by, correlation_id, created_at, started_at, finished_at`;

function toJob(row: JobRow): ImportJob {
  return {
    id: row.id,
    format: row.format,
    status: row.status,
    total: row.total,
    nextRow: row.next_row,
    processed: row.processed,
    created: row.created,
    updated: row.updated,
    failed: row.failed,
    error: row.error,
    createdBy: row.created_by,
    correlationId: row.correlation_id,
    createdAt: row.created_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
  };
}

export class ImportJobs {
  private readonly jobs: string;
  private readonly errors: string;

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {
    this.jobs = `"${schema}".import_jobs`;
    this.errors = `"${schema}".import_job_errors`;
  }

  async prepare(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock(hashtextextended($1, 19))', [
        `import-jobs:${this.schema}`,
      ]);
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${this.jobs} (
          id             uuid PRIMARY KEY,
          format         text        NOT NULL CHECK (format IN ('ndjson', 'csv')),
          status         text        NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
          payload        text,
          total          integer     NOT NULL,
          next_row       integer     NOT NULL DEFAULT 0,
          processed      integer     NOT NULL DEFAULT 0,
          created        integer     NOT NULL DEFAULT 0,
          updated        integer     NOT NULL DEFAULT 0,
          failed         integer     NOT NULL DEFAULT 0,
          error          text,
          lease_owner    text,
          lease_until    timestamptz,
          created_by     text        NOT NULL,
          correlation_id text        NOT NULL,
          created_at     timestamptz NOT NULL DEFAULT now(),
          updated_at     timestamptz NOT NULL DEFAULT now(),
          started_at     timestamptz,
          finished_at    timestamptz
        )`);
        await client.query(`CREATE INDEX IF NOT EXISTS import_jobs_pending_idx
          ON ${this.jobs} (created_at) WHERE status IN ('queued', 'running')`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${this.errors} (
          job_id     uuid    NOT NULL REFERENCES ${this.jobs} (id) ON DELETE CASCADE,
          row_number integer NOT NULL,
          field      text    NOT NULL,
          message    text    NOT NULL,
          PRIMARY KEY (job_id, row_number, field)
        )`);
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 19))', [
          `import-jobs:${this.schema}`,
        ]);
      }
    } finally {
      client.release();
    }
  }

  async create(job: {
    id: string;
    format: ImportFormat;
    payload: string;
    total: number;
    createdBy: string;
    correlationId: string;
  }): Promise<ImportJob> {
    const { rows } = await this.pool.query<JobRow>(
      `INSERT INTO ${this.jobs} (id, format, status, payload, total, created_by, correlation_id)
       VALUES ($1, $2, 'queued', $3, $4, $5, $6) RETURNING ${JOB_COLUMNS}`,
      [job.id, job.format, job.payload, job.total, job.createdBy, job.correlationId],
    );
    return toJob(rows[0]);
  }

  async get(id: string): Promise<ImportJob | null> {
    const { rows } = await this.pool.query<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM ${this.jobs} WHERE id = $1`,
      [id],
    );
    return rows.length === 0 ? null : toJob(rows[0]);
  }

  /** Row errors in row order, after `afterRow`, at most `limit`. */
  async rowErrors(id: string, afterRow: number, limit: number): Promise<RowError[]> {
    const { rows } = await this.pool.query<{ row_number: number; field: string; message: string }>(
      `SELECT row_number, field, message FROM ${this.errors}
        WHERE job_id = $1 AND row_number > $2 ORDER BY row_number, field LIMIT $3`,
      [id, afterRow, limit],
    );
    return rows.map((r) => ({ row: r.row_number, field: r.field, message: r.message }));
  }

  /**
   * Takes the oldest unfinished job whose lease is free (or ran out, or is
   * `owner`'s own: a job it let go of after an error) for `owner`, with its
   * file. Null when there is none.
   */
  async claim(owner: string, leaseMs: number): Promise<{ job: ImportJob; payload: string } | null> {
    const { rows } = await this.pool.query<JobRow & { payload: string }>(
      `UPDATE ${this.jobs} SET status = 'running', lease_owner = $1,
              lease_until = now() + $2 * interval '1 millisecond',
              started_at = coalesce(started_at, now()), updated_at = now()
        WHERE id = (SELECT id FROM ${this.jobs}
                     WHERE status IN ('queued', 'running')
                       AND (lease_until IS NULL OR lease_until < now() OR lease_owner = $1)
                     ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING ${JOB_COLUMNS}, payload`,
      [owner, leaseMs],
    );
    return rows.length === 0 ? null : { job: toJob(rows[0]), payload: rows[0].payload };
  }

  /**
   * Records one batch and renews the lease, in one transaction; false when
   * the lease was lost (another process has the job now).
   */
  async recordBatch(
    id: string,
    owner: string,
    leaseMs: number,
    expectedNextRow: number,
    progress: BatchProgress,
  ): Promise<boolean> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rowCount } = await client.query(
        `UPDATE ${this.jobs} SET next_row = $4, processed = processed + $5, created = created + $6,
                updated = updated + $7, failed = failed + $8,
                lease_until = now() + $9 * interval '1 millisecond', updated_at = now()
          WHERE id = $1 AND lease_owner = $2 AND next_row = $3 AND status = 'running'`,
        [
          id,
          owner,
          expectedNextRow,
          progress.nextRow,
          progress.processed,
          progress.created,
          progress.updated,
          progress.failed,
          leaseMs,
        ],
      );
      if (rowCount !== 1) {
        await client.query('ROLLBACK');
        return false;
      }
      if (progress.errors.length > 0) {
        await client.query(
          `INSERT INTO ${this.errors} (job_id, row_number, field, message)
           SELECT $1, r, f, m FROM unnest($2::int[], $3::text[], $4::text[]) AS e(r, f, m)
           ON CONFLICT DO NOTHING`,
          [
            id,
            progress.errors.map((e) => e.row),
            progress.errors.map((e) => e.field),
            progress.errors.map((e) => e.message.slice(0, 1_000)),
          ],
        );
      }
      await client.query('COMMIT');
      return true;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Done (completed or failed): the file is dropped, the lease given back. */
  async finish(id: string, owner: string, status: 'completed' | 'failed', error: string | null) {
    await this.pool.query(
      `UPDATE ${this.jobs} SET status = $3, error = $4, payload = NULL, lease_owner = NULL,
              lease_until = NULL, finished_at = now(), updated_at = now()
        WHERE id = $1 AND lease_owner = $2`,
      [id, owner, status, error],
    );
  }

  /** Gives the lease back early (on shutdown), so a restart does not wait for it to run out. */
  async releaseLease(id: string, owner: string): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.jobs} SET lease_owner = NULL, lease_until = NULL, updated_at = now()
        WHERE id = $1 AND lease_owner = $2`,
      [id, owner],
    );
  }
}
