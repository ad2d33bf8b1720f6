// Processes bulk import jobs in the background, one job at a time per
// process: claim a job (a lease in import_jobs), read its file, and work
// through its rows in batches, a bounded number of rows in flight at once
// (rows are independent: each is one contact's append, plus its email
// reservation and tags). After each batch, its counters, row errors and the
// next row are recorded in one transaction, which also renews the lease.
//
// A batch that fails for a reason that is not a row's fault (the database
// went away) is done again after a pause; rows are idempotent, so rows of it
// that had been applied are applied again as no-ops. After several failures
// in a row the job is marked failed with the reason.
import { randomUUID } from 'node:crypto';
import type { CreateContactHandler } from '../contacts/create-contact.handler';
import { systemContext } from '../shared/command-context';
import type { Log } from '../shared/log';
import { sleep } from '../shared/run-command';
import type { BatchProgress, ImportJob, ImportJobs, RowError } from './import-jobs.table';
import { parseImport, type ImportRow } from './import-parser';
import { importRow, type RowOutcome } from './import-row';

export interface ImportWorkerOptions {
  batchSize?: number;
  /** Rows in flight at once within a batch. */
  concurrency?: number;
  leaseMs?: number;
  /** How often to look for new jobs when not woken. */
  pollIntervalMs?: number;
}

const MAX_BATCH_FAILURES = 5;

export class ImportWorker {
  private readonly owner = `contacts-${randomUUID()}`;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private stopped = false;
  private running: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly jobs: ImportJobs,
    private readonly createContact: CreateContactHandler,
    private readonly log: Log,
    options: ImportWorkerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 250;
    this.concurrency = options.concurrency ?? 16;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** A new job was queued: look now rather than at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Stops after the batch in progress; the job's lease is given back for the next process. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        const claimed = await this.jobs.claim(this.owner, this.leaseMs);
        if (claimed) {
          await this.process(claimed.job, claimed.payload);
          continue;
        }
      } catch (error) {
        this.log.error('import worker: could not claim or run a job', {
          error: (error as Error).message,
        });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollIntervalMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = undefined;
    }
  }

  private async process(job: ImportJob, payload: string): Promise<void> {
    let rows: ImportRow[];
    try {
      rows = parseImport(job.format, payload);
    } catch (error) {
      // Checked at upload, so only a file changed behind our back gets here.
      await this.jobs.finish(job.id, this.owner, 'failed', (error as Error).message);
      return;
    }
    const context = systemContext(job.createdBy, job.correlationId);
    this.log.info('import job: working', { jobId: job.id, total: job.total, fromRow: job.nextRow });
    let nextRow = job.nextRow;
    let failures = 0;
    while (nextRow < rows.length && !this.stopped) {
      const batch = rows.slice(nextRow, nextRow + this.batchSize);
      let progress: BatchProgress;
      try {
        progress = await this.runBatch(job.id, batch, { ...context, now: new Date() });
      } catch (error) {
        failures++;
        const reason = (error as Error).message;
        this.log.warn('import job: batch failed; trying again', {
          jobId: job.id,
          fromRow: nextRow,
          failures,
          error: reason,
        });
        if (failures >= MAX_BATCH_FAILURES) {
          await this.jobs.finish(
            job.id,
            this.owner,
            'failed',
            `Stopped at row ${nextRow + 1}: ${reason}`,
          );
          return;
        }
        await sleep(500 * failures);
        continue;
      }
      failures = 0;
      progress.nextRow = nextRow + batch.length;
      if (!(await this.jobs.recordBatch(job.id, this.owner, this.leaseMs, nextRow, progress))) {
        this.log.warn('import job: lease lost; another process carries on', { jobId: job.id });
        return;
      }
      nextRow = progress.nextRow;
    }
    if (nextRow >= rows.length) {
      await this.jobs.finish(job.id, this.owner, 'completed', null);
      this.log.info('import job: completed', { jobId: job.id });
    } else {
      // Stopping: give the job back now, so a restart resumes it without waiting for the lease.
      await this.jobs.releaseLease(job.id, this.owner);
      this.log.info('import job: paused', { jobId: job.id, nextRow });
    }
  }

  private async runBatch(
    jobId: string,
    batch: ImportRow[],
    context: ReturnType<typeof systemContext>,
  ): Promise<BatchProgress> {
    const outcomes = await mapConcurrently(batch, this.concurrency, (row) =>
      importRow(this.createContact, jobId, row, context),
    );
    const progress: BatchProgress = {
      nextRow: 0,
      processed: batch.length,
      created: 0,
      updated: 0,
      failed: 0,
      errors: [],
    };
    outcomes.forEach((outcome: RowOutcome, i) => {
      if (outcome.kind === 'failed') {
        progress.failed++;
        progress.errors.push(...mergeByField(batch[i].rowNumber, outcome.errors));
      } else progress[outcome.kind]++;
    });
    return progress;
  }
}

/** One error per field of a row (the table keeps one), its messages joined. */
function mergeByField(row: number, errors: { field: string; message: string }[]): RowError[] {
  const byField = new Map<string, string[]>();
  for (const error of errors)
    byField.set(error.field, [...(byField.get(error.field) ?? []), error.message]);
  return [...byField].map(([field, messages]) => ({ row, field, message: messages.join('; ') }));
}

/** Maps with at most `limit` promises in flight; results in input order; the first error wins. */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
