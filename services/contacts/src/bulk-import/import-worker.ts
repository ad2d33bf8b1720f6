// Processes bulk import jobs in the background, one job at a time per
// process: claim a job (a lease in import_jobs), read its file, and work
// through its rows in batches, a bounded number of rows in flight at once
// (rows are independent: each is one contact's append, plus its email
// reservation and tags). After each batch, its counters, row errors and the
// next row are recorded in one transaction, which also renews the lease.
//
// A batch that fails for a reason that is not a row's fault (the database
// went away) is done again after a pause, once every row of it in flight has
// settled; rows are idempotent, so rows of it that had been applied are
// applied again as no-ops (and still count as what they did the first time,
// see import-row.ts). After several failures in a row the job is marked
// failed with the reason.
//
// stop() takes no new row; the rows in flight get a short grace period
// (stopGraceMs) to finish. The rows done by then from the start of the batch
// are recorded, the lease is given back, and stop() returns; a row still in
// flight after the grace period is abandoned (its result is not recorded, the
// next process does it again).
import { randomUUID } from 'node:crypto';
import type { CreateContactHandler } from '../contacts/create-contact.handler';
import { systemContext } from '../shared/command-context';
import type { Log } from '../shared/log';
import type { BatchProgress, ImportJob, ImportJobs, RowError } from './import-jobs.table';
import type { ImportBatch } from './import-batch';
import { parseImport, type ImportRow } from './import-parser';
import { importRow, type RowOutcome } from './import-row';

export interface ImportWorkerOptions {
  batchSize?: number;
  /** Rows in flight at once within a batch (default 32; the runtime bounds it by its pool). */
  concurrency?: number;
  leaseMs?: number;
  /** How often to look for new jobs when not woken. */
  pollIntervalMs?: number;
  /** On stop, how long the rows in flight may take to finish before the batch is abandoned. */
  stopGraceMs?: number;
  /**
   * The set-based path (import-batch.ts): each batch in a few statements.
   * Without it, every row goes through the create handler on its own.
   */
  batches?: ImportBatch;
}

const MAX_BATCH_FAILURES = 5;

/** A batch as far as it went: each row's outcome, or undefined when it was not done. */
interface BatchRun {
  outcomes: (RowOutcome | undefined)[];
  /** Why it stopped short, when a row failed for a reason that is not the row's fault. */
  error?: Error;
}

export class ImportWorker {
  private readonly owner = `contacts-${randomUUID()}`;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private readonly stopGraceMs: number;
  private readonly batches: ImportBatch | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  /** Resolves when stop() is called. */
  private readonly stopping: Promise<void>;
  private signalStop!: () => void;
  /** Resolves stopGraceMs after stop() was called. */
  private graceOver: Promise<void> | undefined;
  private graceTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly jobs: ImportJobs,
    private readonly createContact: CreateContactHandler,
    private readonly log: Log,
    options: ImportWorkerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 250;
    this.concurrency = options.concurrency ?? 32;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.stopGraceMs = options.stopGraceMs ?? 2_000;
    this.batches = options.batches;
    this.stopping = new Promise((resolve) => (this.signalStop = resolve));
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** A new job was queued: look now rather than at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  /**
   * Takes no new row, lets the rows in flight finish (for stopGraceMs at
   * most), records what was done and gives the job's lease back for the next
   * process.
   */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.graceOver = new Promise((resolve) => {
        this.graceTimer = setTimeout(resolve, this.stopGraceMs);
      });
      this.signalStop();
    }
    this.wake();
    try {
      await this.running;
    } finally {
      clearTimeout(this.graceTimer);
    }
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
      await this.pause(this.pollIntervalMs, true);
    }
  }

  private async process(job: ImportJob, payload: string): Promise<void> {
    if (this.stopped) {
      // Stopped while claiming: give it back untouched.
      await this.jobs.releaseLease(job.id, this.owner);
      return;
    }
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
      const run = await this.runBatch(job.id, batch, { ...context, now: new Date() });
      if (this.stopped) {
        const kept = await this.keepDoneRows(job.id, nextRow, batch, run.outcomes);
        if (kept === null) return;
        nextRow += kept;
        break;
      }
      if (run.error) {
        failures++;
        const reason = run.error.message;
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
        await this.pause(500 * failures);
        continue;
      }
      failures = 0;
      const progress = tally(batch, run.outcomes);
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

  /**
   * The batch's rows, `concurrency` at a time. A row that fails for a reason
   * that is not its own (the database) ends the batch: no new row starts, and
   * the rows in flight settle before it returns, so a retry never runs beside
   * them. On stop, it returns when the rows in flight settled or the grace
   * period is over, whichever comes first.
   */
  private async runBatch(
    jobId: string,
    batch: ImportRow[],
    context: ReturnType<typeof systemContext>,
  ): Promise<BatchRun> {
    if (this.batches) return this.runSetBased(this.batches, jobId, batch, context);
    const outcomes = new Array<RowOutcome | undefined>(batch.length).fill(undefined);
    let error: Error | undefined;
    let next = 0;
    const lane = async () => {
      while (next < batch.length && error === undefined && !this.stopped) {
        const index = next++;
        try {
          outcomes[index] = await importRow(this.createContact, jobId, batch[index], context);
        } catch (failure) {
          error ??= failure as Error;
        }
      }
    };
    const lanes = Promise.all(
      Array.from({ length: Math.min(this.concurrency, batch.length) }, lane),
    );
    await Promise.race([lanes, this.stopping.then(() => this.graceOver)]);
    // A copy: rows abandoned after the grace period may still settle later.
    return { outcomes: [...outcomes], error };
  }

  /**
   * The batch on the set-based path: all of its rows' outcomes, or none (on
   * a failure, or when stopping outlasts the grace period: the next process
   * does the batch again, which repeats what this one did).
   */
  private async runSetBased(
    batches: ImportBatch,
    jobId: string,
    batch: ImportRow[],
    context: ReturnType<typeof systemContext>,
  ): Promise<BatchRun> {
    const none = () => new Array<RowOutcome | undefined>(batch.length).fill(undefined);
    const run = batches.run(jobId, batch, context).then(
      (outcomes): BatchRun => ({ outcomes }),
      (error: Error): BatchRun => ({ outcomes: none(), error }),
    );
    const abandoned = this.stopping
      .then(() => this.graceOver)
      .then((): BatchRun => ({ outcomes: none() }));
    return Promise.race([run, abandoned]);
  }

  /**
   * On stop: records the rows done from the start of the batch (the others
   * are left to the next process). Returns how many were recorded, or null
   * when the lease was lost.
   */
  private async keepDoneRows(
    jobId: string,
    fromRow: number,
    batch: ImportRow[],
    outcomes: readonly (RowOutcome | undefined)[],
  ): Promise<number | null> {
    const firstNotDone = outcomes.findIndex((outcome) => outcome === undefined);
    const kept = firstNotDone === -1 ? batch.length : firstNotDone;
    if (kept === 0) return 0;
    const progress = tally(batch.slice(0, kept), outcomes);
    progress.nextRow = fromRow + kept;
    try {
      if (!(await this.jobs.recordBatch(jobId, this.owner, this.leaseMs, fromRow, progress))) {
        this.log.warn('import job: lease lost; another process carries on', { jobId });
        return null;
      }
      return kept;
    } catch (error) {
      // The rows are done again by the next process; the lease is still given back.
      this.log.warn('import job: could not record the rows done before stopping', {
        jobId,
        error: (error as Error).message,
      });
      return 0;
    }
  }

  /** Waits `ms`, or less when stop() is called meanwhile (or, when `wakeable`, wake()). */
  private async pause(ms: number, wakeable = false): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
        if (wakeable) this.wakeUp = resolve;
      }),
      this.stopping,
    ]);
    clearTimeout(timer);
    if (wakeable) this.wakeUp = undefined;
  }
}

/** The counters and row errors of rows that were all done (outcomes by index in the batch). */
function tally(rows: ImportRow[], outcomes: readonly (RowOutcome | undefined)[]): BatchProgress {
  const progress: BatchProgress = {
    nextRow: 0,
    processed: rows.length,
    created: 0,
    updated: 0,
    failed: 0,
    errors: [],
  };
  rows.forEach((row, i) => {
    const outcome = outcomes[i];
    if (outcome === undefined) throw new Error(`row ${row.rowNumber} was not done`);
    if (outcome.kind === 'failed') {
      progress.failed++;
      progress.errors.push(...mergeByField(row.rowNumber, outcome.errors));
    } else progress[outcome.kind]++;
  });
  return progress;
}

/** One error per field of a row (the table keeps one), its messages joined. */
function mergeByField(row: number, errors: { field: string; message: string }[]): RowError[] {
  const byField = new Map<string, string[]>();
  for (const error of errors)
    byField.set(error.field, [...(byField.get(error.field) ?? []), error.message]);
  return [...byField].map(([field, messages]) => ({ row, field, message: messages.join('; ') }));
}
