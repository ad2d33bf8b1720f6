// The send queue: which messages still have something to do, and from
// when. A store-sourced projection keeps one row per message from its
// request to its last outcome (due_at moves with deferrals and retries);
// workers claim due rows with FOR UPDATE SKIP LOCKED and a lease, so two
// instances never work on one message at once, and a row whose worker died
// (kill -9 mid-send) comes back when its lease ends and is reconciled by
// the dispatcher instead of sent again.
//
// The lease column is the workers' own, not a fact of the events: this
// projection is a work queue, not a read model, and is not audited.
import type { RecordedEvent } from '@engagement/event-store';
import type { ProjectionDefinition } from '@engagement/projections';
import { quoteIdent } from '@engagement/projections';
import type { Pool } from 'pg';
import type { DispatchOutcome } from './dispatcher';

export const SEND_QUEUE = 'messaging-send-queue';

export function sendQueueProjection(schema: string): ProjectionDefinition {
  return {
    name: SEND_QUEUE,
    schema,
    tables: [{ name: 'send_queue', primaryKey: ['message_id'] }],
    source: 'event-store',
    filter: {
      streamPrefixes: ['message-'],
      eventTypes: [
        'MessageRequested',
        'MessageDeferred',
        'MessageAttemptFailed',
        'MessageSent',
        'MessageBlocked',
        'MessageFailed',
        'MessageBounced',
      ],
    },
    async migrate(client, target) {
      await client.query(`CREATE TABLE IF NOT EXISTS ${quoteIdent(target)}.send_queue (
        message_id UUID PRIMARY KEY,
        due_at TIMESTAMPTZ NOT NULL,
        claimed_until TIMESTAMPTZ
      )`);
      await client.query(
        `CREATE INDEX IF NOT EXISTS idx_send_queue_due ON ${quoteIdent(target)}.send_queue (due_at)`,
      );
    },
    async apply(events: RecordedEvent[], client) {
      const done: string[] = [];
      // Requests are inserted a run at a time (a campaign appends many at once); a later
      // change of one of them waits for the run's insert.
      let requested: { id: string; at: string }[] = [];
      const insertRequested = async () => {
        if (requested.length === 0) return;
        await client.query(
          `INSERT INTO send_queue (message_id, due_at)
           SELECT * FROM unnest($1::uuid[], $2::timestamptz[]) ON CONFLICT DO NOTHING`,
          [requested.map((r) => r.id), requested.map((r) => r.at)],
        );
        requested = [];
      };
      for (const e of events) {
        const id = String(e.data.messageId);
        if (e.type === 'MessageRequested') {
          requested.push({ id, at: e.metadata.occurredAt });
          continue;
        }
        await insertRequested();
        switch (e.type) {
          case 'MessageDeferred':
            await client.query(`UPDATE send_queue SET due_at = $2 WHERE message_id = $1`, [
              id,
              e.data.until,
            ]);
            break;
          case 'MessageAttemptFailed':
            await client.query(`UPDATE send_queue SET due_at = $2 WHERE message_id = $1`, [
              id,
              e.data.retryAt,
            ]);
            break;
          default:
            done.push(id);
        }
      }
      await insertRequested();
      if (done.length > 0)
        await client.query(`DELETE FROM send_queue WHERE message_id = ANY($1::uuid[])`, [done]);
    },
  };
}

export type SendWorkerOptions = {
  pool: Pool;
  schema: string;
  dispatch: (messageId: string) => Promise<DispatchOutcome>;
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  clock?: () => Date;
  log: (message: string, fields?: Record<string, unknown>) => void;
};

export class SendWorker {
  private stopped = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly clock: () => Date;

  constructor(private readonly options: SendWorkerOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  start(): void {
    this.running = this.loop();
  }

  /** Look for work now rather than at the next poll. */
  poke(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  /** Claims and dispatches due messages until none is due; returns how many it handled. */
  async drain(): Promise<number> {
    let handled = 0;
    const inFlight = new Set<Promise<void>>();
    for (;;) {
      const free = this.options.concurrency - inFlight.size;
      const claimed = free > 0 && !this.stopped ? await this.claim(free) : [];
      for (const id of claimed) {
        const work = this.handle(id).finally(() => inFlight.delete(work));
        inFlight.add(work);
        handled++;
      }
      if (inFlight.size === 0) return handled;
      if (claimed.length === 0 || inFlight.size >= this.options.concurrency)
        await Promise.race(inFlight);
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.drain();
      } catch (error) {
        this.options.log('send worker failed; retrying', { error: (error as Error).message });
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollMs);
        this.wake = () => (clearTimeout(timer), resolve());
      });
    }
  }

  private async claim(limit: number): Promise<string[]> {
    const now = this.clock();
    const { rows } = await this.options.pool.query<{ message_id: string }>(
      `UPDATE ${quoteIdent(this.options.schema)}.send_queue q SET claimed_until = $2
        WHERE message_id IN (
          SELECT message_id FROM ${quoteIdent(this.options.schema)}.send_queue
           WHERE due_at <= $1 AND (claimed_until IS NULL OR claimed_until < $1)
           ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING message_id`,
      [now, new Date(now.getTime() + this.options.leaseMs), limit],
    );
    return rows.map((r) => r.message_id);
  }

  private async handle(messageId: string): Promise<void> {
    const table = `${quoteIdent(this.options.schema)}.send_queue`;
    try {
      const outcome = await this.options.dispatch(messageId);
      if (outcome.done) {
        // The projection deletes the row too; deleting now keeps it from being claimed again meanwhile.
        await this.options.pool.query(`DELETE FROM ${table} WHERE message_id = $1`, [messageId]);
      } else {
        await this.options.pool.query(
          `UPDATE ${table} SET due_at = $2, claimed_until = NULL WHERE message_id = $1`,
          [messageId, outcome.nextAt],
        );
      }
    } catch (error) {
      // Tried again shortly (not after the whole lease): the failure was ours (database busy, a conflict),
      // and an attempt that reached the provider is reconciled, never repeated.
      this.options.log('dispatch failed; trying again shortly', {
        messageId,
        error: (error as Error).message,
      });
      await this.options.pool
        .query(`UPDATE ${table} SET claimed_until = $2 WHERE message_id = $1`, [
          messageId,
          new Date(this.clock().getTime() + 2_000),
        ])
        .catch(() => undefined);
    }
  }
}

/**
 * Claims the queue rows of messages about to be appended and sent by a
 * batch (a campaign's chunk), before their MessageRequested exists: the
 * projection's insert then finds the row and leaves it, so no worker takes
 * a message the batch is sending. A row already there (a crash's leftover)
 * is left as it is. Once the lease ends, a row whose message is still
 * "sending" is reconciled by a worker, as after any crash.
 */
export async function claimForBatch(
  pool: Pool,
  schema: string,
  messageIds: readonly string[],
  now: Date,
  claimedUntil: Date,
): Promise<void> {
  await pool.query(
    `INSERT INTO ${quoteIdent(schema)}.send_queue (message_id, due_at, claimed_until)
     SELECT id, $2, $3 FROM unnest($1::uuid[]) AS id
     ON CONFLICT (message_id) DO NOTHING`,
    [messageIds, now, claimedUntil],
  );
}

/** Gives rows a batch claimed back to the workers: from `dueAt` (a deferral, a retry), or now. */
export async function releaseFromBatch(
  pool: Pool,
  schema: string,
  rows: readonly { messageId: string; dueAt: Date }[],
  claimedUntil: Date,
): Promise<void> {
  if (rows.length === 0) return;
  // Only rows this batch claimed (its lease): a row another process holds stays held.
  await pool.query(
    `UPDATE ${quoteIdent(schema)}.send_queue q SET due_at = r.due_at, claimed_until = NULL
       FROM unnest($1::uuid[], $2::timestamptz[]) AS r(message_id, due_at)
      WHERE q.message_id = r.message_id AND q.claimed_until = $3`,
    [rows.map((r) => r.messageId), rows.map((r) => r.dueAt), claimedUntil],
  );
}
