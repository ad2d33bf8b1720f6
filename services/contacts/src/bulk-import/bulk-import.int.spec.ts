// Bulk import end to end: a JSON-lines file of a few thousand contacts with
// bad rows among them is imported in the background; the job reports its
// counts and each bad row's errors, the good rows are applied, importing
// again updates instead of duplicating, and a stopped worker's job resumes.
import { randomUUID } from 'node:crypto';
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
    expect(await importRow(t.runtime.createContact, jobId, row, context)).toEqual({
      kind: 'updated',
    });
    expect(await t.eventCount()).toBe(events);
  });
});
