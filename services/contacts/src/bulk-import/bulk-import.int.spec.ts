// Bulk import end to end: a JSON-lines file of a few thousand contacts with
// bad rows among them is imported in the background; the job reports its
// counts and each bad row's errors, the good rows are applied, importing
// again updates instead of duplicating, a stopped worker's job resumes, a
// batch done again counts what the job did overall, and stopping does not
// wait for rows that hang.
import { randomUUID } from 'node:crypto';
import type { CommandContext } from '@engagement/decider';
import type {
  CreateContactHandler,
  CreateContactOutcome,
  CreateContactRequest,
} from '../contacts/create-contact.handler';
import { ImportWorker } from './import-worker';
import { importRow } from './import-row';
import { systemContext } from '../shared/command-context';
import { quietLog } from '../shared/log';
import { startTestApp, type TestApp } from '../shared/test-app.testing';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ importWorker: true });
});
afterAll(async () => {
  await t?.close();
});

const ROWS = 3_000;

/** Every 50th row is broken, in one of five ways; the rest are good. */
function importFile(prefix: string): { text: string; bad: Map<number, string> } {
  const bad = new Map<number, string>();
  const lines: string[] = [];
  for (let row = 1; row <= ROWS; row++) {
    const email = `${prefix}.${row}@example.com`;
    const good = {
      email,
      firstName: `Row${row}`,
      properties: { company: 'Acme', row },
      tags: ['imported', `wave-${row % 3}`],
    };
    if (row % 50 !== 0) {
      lines.push(JSON.stringify(good));
      continue;
    }
    switch ((row / 50) % 5) {
      case 0:
        lines.push(JSON.stringify({ ...good, email: 'not-an-address' }));
        bad.set(row, 'email');
        break;
      case 1:
        lines.push('{"email": broken json');
        bad.set(row, '');
        break;
      case 2:
        lines.push(JSON.stringify({ ...good, nickname: 'unknown field' }));
        bad.set(row, 'nickname');
        break;
      case 3:
        lines.push(JSON.stringify({ ...good, phone: '555-CALL-NOW' }));
        bad.set(row, 'phone');
        break;
      case 4:
        lines.push(JSON.stringify({ ...good, timezone: 'Mars/Olympus_Mons' }));
        bad.set(row, 'timezone');
        break;
    }
  }
  return { text: lines.join('\n') + '\n', bad };
}

async function waitForJob(id: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await t.request('GET', `/contacts/imports/${id}`);
    expect(response.status).toBe(200);
    if (response.body.status === 'completed' || response.body.status === 'failed')
      return response.body;
    if (Date.now() > deadline)
      throw new Error(
        `job ${id} still ${response.body.status}: ${JSON.stringify(response.body).slice(0, 300)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('bulk import', () => {
  it('imports a few thousand rows, reports the bad ones row by row, and applies the rest', async () => {
    const prefix = `bulk-${randomUUID().slice(0, 8)}`;
    const { text, bad } = importFile(prefix);
    const started = Date.now();
    const upload = await t.send('POST', '/contacts/imports', text, 'application/x-ndjson');
    expect(upload.status).toBe(202);
    expect(upload.body).toMatchObject({ status: 'queued', total: ROWS, processed: 0 });

    const job = await waitForJob(upload.body.id);
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `imported ${ROWS} rows in ${seconds.toFixed(1)} s (${(ROWS / seconds).toFixed(0)} rows/s)`,
    );
    expect(job).toMatchObject({
      status: 'completed',
      total: ROWS,
      processed: ROWS,
      created: ROWS - bad.size,
      updated: 0,
      failed: bad.size,
      errorsTruncated: false,
    });
    expect(job.errors.map((e: { row: number }) => e.row)).toEqual([...bad.keys()]);
    for (const error of job.errors) {
      expect(error.field).toBe(bad.get(error.row));
      expect(error.message.length).toBeGreaterThan(0);
    }

    // Applied: every good row is a contact with its properties and tags; no bad row is.
    const last = await t.query<{ position: string }>(
      `SELECT max(global_position)::text AS position FROM "${t.eventStoreSchema}".events`,
    );
    await t.runtime.projection.waitForPosition(BigInt(last[0].position), 30_000);
    const [{ count }] = await t.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM "${t.schema}".contacts WHERE email LIKE $1`,
      [`${prefix}.%`],
    );
    expect(count).toBe(ROWS - bad.size);
    const sample = await t.request(
      'GET',
      `/contacts?tag=wave-1&propertyName=row&propertyValue=7&limit=5`,
    );
    expect(sample.body.items).toHaveLength(1);
    expect(sample.body.items[0]).toMatchObject({
      email: `${prefix}.7@example.com`,
      firstName: 'Row7',
      properties: { company: 'Acme', row: 7 },
      tags: ['imported', 'wave-1'],
    });
    // The file is not kept once the job is done: it holds personal data.
    const [stored] = await t.query(`SELECT payload FROM "${t.schema}".import_jobs WHERE id = $1`, [
      upload.body.id,
    ]);
    expect(stored).toEqual({ payload: null });

    // The same file again: idempotent on email, every good row an update.
    const again = await t.send('POST', '/contacts/imports', text, 'application/x-ndjson');
    const second = await waitForJob(again.body.id);
    expect(second).toMatchObject({ created: 0, updated: ROWS - bad.size, failed: bad.size });
    const [{ count: after }] = await t.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM "${t.schema}".contacts WHERE email LIKE $1`,
      [`${prefix}.%`],
    );
    expect(after).toBe(ROWS - bad.size);
  }, 300_000);

  it('imports CSV, and a row for an existing email updates that contact', async () => {
    const email = `csv-${randomUUID().slice(0, 8)}@example.com`;
    const existing = await t.request('POST', '/contacts', { email, firstName: 'Before' });
    const csv = `email,first_name,tags,company\n${email},After,vip;csv,"Acme, Inc"\nnot-an-email,X,,\n`;
    const upload = await t.send('POST', '/contacts/imports', csv, 'text/csv; charset=utf-8');
    expect(upload.status).toBe(202);
    const job = await waitForJob(upload.body.id);
    expect(job).toMatchObject({ total: 2, created: 0, updated: 1, failed: 1 });
    expect(job.errors).toEqual([
      { row: 2, field: 'email', message: 'email is not a valid address' },
    ]);
    const history = await t.request('GET', `/contacts/${existing.body.id}/history`);
    const types = history.body.events.map((e: { type: string }) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(['ContactIdentityUpdated', 'ContactPropertySet', 'ContactTagAdded']),
    );
  });

  it('resumes a job where a stopped worker left it', async () => {
    const prefix = `resume-${randomUUID().slice(0, 8)}`;
    const rows = Array.from({ length: 1_200 }, (_, i) =>
      JSON.stringify({ email: `${prefix}.${i}@example.com` }),
    );
    await t.runtime.importWorker!.stop();
    const upload = await t.send(
      'POST',
      '/contacts/imports',
      rows.join('\n'),
      'application/x-ndjson',
    );

    // A worker that stops after its first batch, like a process shut down mid-job.
    const first = new ImportWorker(t.runtime.importJobs, t.runtime.createContact, quietLog(), {
      batchSize: 250,
      pollIntervalMs: 50,
    });
    first.start();
    const deadline = Date.now() + 60_000;
    while ((await t.runtime.importJobs.get(upload.body.id))!.processed === 0) {
      if (Date.now() > deadline) throw new Error('the first worker never got going');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await first.stop();
    const halfway = (await t.runtime.importJobs.get(upload.body.id))!;
    expect(halfway.status).toBe('running');
    expect(halfway.processed).toBeLessThan(1_200);

    const second = new ImportWorker(t.runtime.importJobs, t.runtime.createContact, quietLog(), {
      pollIntervalMs: 50,
    });
    second.start();
    try {
      const job = await waitForJob(upload.body.id);
      expect(job).toMatchObject({
        status: 'completed',
        processed: 1_200,
        created: 1_200,
        failed: 0,
      });
    } finally {
      await second.stop();
    }
  }, 120_000);

  it('a row done again (a batch redone after a crash) repeats itself instead of duplicating', async () => {
    const jobId = randomUUID();
    const row = {
      rowNumber: 1,
      record: { email: `redo-${randomUUID().slice(0, 8)}@example.com`, tags: ['redo'] },
    };
    const context = systemContext('test', 'redo');
    expect(await importRow(t.runtime.createContact, jobId, row, context)).toEqual({
      kind: 'created',
    });
    const events = await t.eventCount();
    // Still what the job did: this job's row created that contact.
    expect(await importRow(t.runtime.createContact, jobId, row, context)).toEqual({
      kind: 'created',
    });
    expect(await t.eventCount()).toBe(events);
    // The same email from another job's row is an update of that contact.
    expect(await importRow(t.runtime.createContact, randomUUID(), row, context)).toEqual({
      kind: 'updated',
    });
  });

  it('a batch done again after a failure reports what the job did overall', async () => {
    await t.runtime.importWorker!.stop();
    const prefix = `retry-${randomUUID().slice(0, 8)}`;
    const { jobId } = await queueJob(prefix, 300);
    // The database fails one row in the middle of the first batch, after
    // rows around it were applied: the batch is done again from its start.
    let calls = 0;
    const flaky = handlerWith((request, context, real) => {
      if (++calls === 120) throw new Error('sorry, too many clients already');
      return real.execute(request, context);
    });
    const worker = new ImportWorker(t.runtime.importJobs, flaky, quietLog(), {
      pollIntervalMs: 50,
    });
    worker.start();
    try {
      const job = await waitForJob(jobId);
      expect(calls).toBeGreaterThan(300);
      expect(job).toMatchObject({
        status: 'completed',
        processed: 300,
        created: 300,
        updated: 0,
        failed: 0,
      });
    } finally {
      await worker.stop();
    }
    // Each row's contact once, as the read model shows them.
    const last = await t.query<{ position: string }>(
      `SELECT max(global_position)::text AS position FROM "${t.eventStoreSchema}".events`,
    );
    await t.runtime.projection.waitForPosition(BigInt(last[0].position), 30_000);
    const [{ count: visible }] = await t.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM "${t.schema}".contacts WHERE email LIKE $1`,
      [`${prefix}.%`],
    );
    expect(visible).toBe(300);
  }, 120_000);

  it('stopping keeps the rows done, abandons rows that hang, and gives the job back at once', async () => {
    await t.runtime.importWorker!.stop();
    const prefix = `stop-${randomUUID().slice(0, 8)}`;
    const { jobId, total } = await queueJob(prefix, 400);
    // Rows 1 to 40 go through; from row 41 on, every row hangs until the test ends.
    const hanging: (() => void)[] = [];
    const stuck = handlerWith((request, context, real) => {
      const row = Number(/\.(\d+)@/.exec(request.input.email)![1]);
      if (row <= 40) return real.execute(request, context);
      return new Promise<never>((_, reject) =>
        hanging.push(() => reject(new Error('the test is over'))),
      );
    });
    const worker = new ImportWorker(t.runtime.importJobs, stuck, quietLog(), {
      pollIntervalMs: 50,
      concurrency: 8,
      stopGraceMs: 300,
    });
    worker.start();
    try {
      const deadline = Date.now() + 30_000;
      while (hanging.length < 8) {
        if (Date.now() > deadline) throw new Error(`only ${hanging.length} rows hang`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // The hanging rows are only released after stop() returns (finally,
      // below): that it returns at all shows it gave up on them after its
      // grace period instead of waiting for them.
      await worker.stop();
      expect(hanging.length).toBe(8);
    } finally {
      hanging.forEach((reject) => reject());
    }
    const [stopped] = await t.query<Record<string, unknown>>(
      `SELECT status, next_row, processed, created, lease_owner FROM "${t.schema}".import_jobs WHERE id = $1`,
      [jobId],
    );
    expect(stopped).toEqual({
      status: 'running',
      next_row: 40,
      processed: 40,
      created: 40,
      lease_owner: null,
    });

    // The next worker claims it at once (no lease to wait for) and finishes it.
    const next = new ImportWorker(t.runtime.importJobs, t.runtime.createContact, quietLog(), {
      pollIntervalMs: 50,
    });
    next.start();
    try {
      const job = await waitForJob(jobId, 60_000);
      expect(job).toMatchObject({ status: 'completed', processed: total, created: total });
    } finally {
      await next.stop();
    }
  }, 120_000);
});

/** A job of `rows` new contacts (prefix.1@example.com...), queued without waking any worker. */
async function queueJob(prefix: string, rows: number) {
  const lines = Array.from({ length: rows }, (_, i) =>
    JSON.stringify({ email: `${prefix}.${i + 1}@example.com`, tags: ['imported'] }),
  );
  const job = await t.runtime.importJobs.create({
    id: randomUUID(),
    format: 'ndjson',
    payload: lines.join('\n'),
    total: rows,
    createdBy: 'test',
    correlationId: randomUUID(),
  });
  return { jobId: job.id, total: rows };
}

/** The service's create handler with something of the test's in front of it. */
function handlerWith(
  execute: (
    request: CreateContactRequest,
    context: CommandContext,
    real: CreateContactHandler,
  ) => Promise<CreateContactOutcome>,
): CreateContactHandler {
  const real = t.runtime.createContact;
  return {
    execute: (request: CreateContactRequest, context: CommandContext) =>
      execute(request, context, real),
  } as unknown as CreateContactHandler;
}
