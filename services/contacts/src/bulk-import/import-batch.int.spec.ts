// The set-based path of bulk import gives each row what the single path
// gives it: the same outcomes, the same row errors, the same events, with
// rows that collide on email with each other, with existing contacts and
// with a crashed create; a batch done again repeats itself; an event store
// without appendToStreams gets the single path.
import { randomUUID } from 'node:crypto';
import { toNewEvent } from '@engagement/decider';
import { AppendToStreamsNotSupportedError, type EventStore } from '@engagement/event-store';
import { CreateContactHandler } from '../contacts/create-contact.handler';
import {
  emailReservationStreamId,
  EmailReservations,
} from '../email-reservation/email-reservation';
import { systemContext } from '../shared/command-context';
import { ContactStreams } from '../shared/contact-streams';
import { startTestApp, type TestApp } from '../shared/test-app.testing';
import { TagResolver } from '../tags/tag-resolver';
import { ImportBatch } from './import-batch';
import type { ImportRow } from './import-parser';
import { importRow, type RowOutcome } from './import-row';
import { ImportWorker } from './import-worker';
import { quietLog } from '../shared/log';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

/** What a crashed create of the old two-append path leaves: a reservation, no contact. */
async function danglingReservation(email: string): Promise<string> {
  const holderId = randomUUID();
  await t.runtime.eventStore.appendToStream(
    emailReservationStreamId(email, t.runtime.config.emailHashKey),
    [
      toNewEvent({ type: 'KeyReserved', data: { holderId } }, systemContext('crashed', 'c'), {
        schemaVersionOf: () => 1,
      }),
    ],
    { expectedRevision: 'no_stream' },
  );
  return holderId;
}

/**
 * A file for one run (its own addresses): fresh rows, rows repeating an
 * email of the file (in another case too), an existing contact's email, a
 * crashed create's email, bad rows of several kinds, and enough fresh rows
 * for several multi-stream appends.
 */
async function file(prefix: string): Promise<{ rows: ImportRow[]; emails: string[] }> {
  const email = (n: number | string) => `${prefix}.${n}@example.com`;
  const existing = await t.request('POST', '/contacts', {
    email: email('existing'),
    firstName: 'Was',
  });
  expect(existing.status).toBe(201);
  await danglingReservation(email('crashed'));
  const records: (Record<string, unknown> | null)[] = [
    { email: email(1), firstName: 'First', tags: ['batch-same'], properties: { company: 'Acme' } },
    { email: email(2) },
    { email: email(1), lastName: 'Second' },
    { email: 'not-an-address' },
    { email: email('existing'), firstName: 'Now', tags: ['batch-same'] },
    null,
    { email: email(2).toUpperCase() },
    { email: email(8), nickname: 'unknown field' },
    { email: email(9), tags: [`${prefix}-new-tag`] },
    { email: email('crashed'), firstName: 'Completed' },
    { email: email(11), lifecycleStage: 'bogus' },
    { email: email(1), properties: { company: 'Other', seats: 3 } },
    { email: email(13), phone: 'not a phone' },
  ];
  for (let n = 100; n < 550; n++) {
    records.push({ email: email(n), firstName: `Row${n}`, tags: ['batch-same', `w${n % 3}`] });
  }
  const rows = records.map((record, i) =>
    record === null
      ? { rowNumber: i + 1, record: null, problem: 'unreadable row' }
      : { rowNumber: i + 1, record },
  );
  const emails = [...new Set(records.flatMap((r) => (r ? [String(r.email).toLowerCase()] : [])))];
  // The colliding ones, and a sample of the rest (reading them all would take long).
  return { rows, emails: emails.filter((e) => e.includes('@')).slice(0, 20) };
}

/** For each email: the types of the events of the contact holding it (ids and times aside). */
async function histories(emails: string[], prefix: string): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>();
  for (const email of emails) {
    const reservation = await t.storedEvents(
      emailReservationStreamId(email, t.runtime.config.emailHashKey),
    );
    const holder = reservation.at(-1)?.data.holderId;
    const events = holder ? await t.storedEvents(`contact-${String(holder)}`) : [];
    result.set(email.replace(prefix, 'p'), [
      `${reservation.length} reservation(s)`,
      ...events.map((e) => e.event_type),
    ]);
  }
  return result;
}

async function singlePath(jobId: string, rows: ImportRow[]): Promise<RowOutcome[]> {
  const context = systemContext('test', jobId);
  const outcomes: RowOutcome[] = [];
  for (const row of rows)
    outcomes.push(await importRow(t.runtime.createContact, jobId, row, context));
  return outcomes;
}

function batchPath(store: EventStore = t.runtime.contactStore) {
  const contacts = new ContactStreams(store);
  const emails = new EmailReservations(contacts, t.runtime.keys, t.runtime.config.emailHashKey);
  const tagResolver = new TagResolver(t.runtime.tags);
  const handler = new CreateContactHandler(contacts, emails, tagResolver);
  return new ImportBatch(handler, tagResolver, store);
}

describe('the set-based import path', () => {
  it('gives every row the outcome, the errors and the events the single path gives it', async () => {
    const single = `single-${randomUUID().slice(0, 8)}`;
    const batched = `batched-${randomUUID().slice(0, 8)}`;
    const singleFile = await file(single);
    const batchFile = await file(batched);

    const singleJob = randomUUID();
    const expected = await singlePath(singleJob, singleFile.rows);
    const jobId = randomUUID();
    const outcomes = await batchPath().run(jobId, batchFile.rows, systemContext('test', jobId));

    // Row errors name the prefix-free fields and messages: the same for both files.
    expect(outcomes).toEqual(expected);
    expect(outcomes.filter((o) => o.kind === 'created')).toHaveLength(453);
    expect(outcomes.slice(0, 13).map((o) => o.kind)).toEqual([
      'created',
      'created',
      'updated',
      'failed',
      'updated',
      'failed',
      'updated',
      'failed',
      'created',
      'updated',
      'failed',
      'updated',
      'failed',
    ]);
    expect(await histories(batchFile.emails, batched)).toEqual(
      await histories(singleFile.emails, single),
    );

    // Done again (after a crash, say): the same outcomes, no contact twice,
    // and what the single path writes when it does its file again (the later
    // rows of an email re-apply their changes in file order), no more.
    const streams = async () =>
      (
        await t.query<{ count: number }>(
          `SELECT count(DISTINCT stream_id)::int AS count FROM "${t.eventStoreSchema}".events`,
        )
      )[0].count;
    const streamsBefore = await streams();
    let before = await t.eventCount();
    expect(await singlePath(singleJob, singleFile.rows)).toEqual(expected);
    const singleRedo = (await t.eventCount()) - before;
    before = await t.eventCount();
    const again = await batchPath().run(jobId, batchFile.rows, systemContext('test', jobId));
    expect(again).toEqual(outcomes);
    expect((await t.eventCount()) - before).toBe(singleRedo);
    expect(await streams()).toBe(streamsBefore);
  }, 120_000);

  it('on an event store without appendToStreams, every row goes the single path', async () => {
    const prefix = `no-multi-${randomUUID().slice(0, 8)}`;
    const { rows, emails } = await file(prefix);
    let refusals = 0;
    const store: EventStore = Object.create(t.runtime.contactStore);
    store.appendToStreams = async () => {
      refusals++;
      throw new AppendToStreamsNotSupportedError('test', 'a store without multi-stream appends');
    };
    const jobId = randomUUID();
    const outcomes = await batchPath(store).run(jobId, rows, systemContext('test', jobId));
    expect(outcomes.filter((o) => o.kind === 'created')).toHaveLength(453);
    // Asked once per append in flight at most, then never again.
    expect(refusals).toBeGreaterThanOrEqual(1);
    expect(refusals).toBeLessThanOrEqual(2);
    const reference = `no-multi-ref-${randomUUID().slice(0, 8)}`;
    const referenceFile = await file(reference);
    expect(outcomes).toEqual(await singlePath(randomUUID(), referenceFile.rows));
    expect(await histories(emails, prefix)).toEqual(
      await histories(referenceFile.emails, reference),
    );
  }, 120_000);

  it('a worker killed mid-import (appends committed, nothing recorded, lease left to run out): the next one resumes without doubles', async () => {
    const prefix = `killed-${randomUUID().slice(0, 8)}`;
    const total = 2_500;
    const emails = Array.from({ length: total }, (_, i) => `${prefix}.${i + 1}@example.com`);
    const job = await t.runtime.importJobs.create({
      id: randomUUID(),
      format: 'ndjson',
      payload: emails.map((email) => JSON.stringify({ email, tags: ['killed'] })).join('\n'),
      total,
      createdBy: 'test',
      correlationId: randomUUID(),
    });
    const contactStreams = async () =>
      (
        await t.query<{ count: number }>(
          `SELECT count(DISTINCT stream_id)::int AS count FROM "${t.eventStoreSchema}".events
            WHERE stream_id LIKE 'contact-%'`,
        )
      )[0].count;
    const contactsBefore = await contactStreams();

    // The process "dies" right after its fourth multi-stream append
    // committed: from then on nothing it starts ever finishes, as after kill -9.
    let appends = 0;
    let dead = false;
    const dying: EventStore = Object.create(t.runtime.contactStore);
    dying.appendToStreams = async (parts) => {
      if (dead) return new Promise<never>(() => {});
      const result = await t.runtime.contactStore.appendToStreams(parts);
      if (++appends === 4) dead = true;
      if (dead) return new Promise<never>(() => {});
      return result;
    };
    const first = new ImportWorker(t.runtime.importJobs, t.runtime.createContact, quietLog(), {
      batchSize: 1_000,
      leaseMs: 1_000,
      pollIntervalMs: 50,
      stopGraceMs: 0,
      batches: batchPath(dying),
    });
    first.start();
    const second = new ImportWorker(t.runtime.importJobs, t.runtime.createContact, quietLog(), {
      batchSize: 1_000,
      pollIntervalMs: 50,
      batches: batchPath(),
    });
    try {
      const deadline = Date.now() + 60_000;
      while (!dead) {
        if (Date.now() > deadline) throw new Error('the first worker never got going');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const atDeath = (await t.runtime.importJobs.get(job.id))!;
      expect(atDeath.processed).toBeLessThan(total);
      // The next process takes the job over once the dead one's lease ran out.
      second.start();
      for (;;) {
        const current = (await t.runtime.importJobs.get(job.id))!;
        if (current.status === 'completed' || current.status === 'failed') {
          expect(current).toMatchObject({
            status: 'completed',
            processed: total,
            created: total,
            updated: 0,
            failed: 0,
          });
          break;
        }
        if (Date.now() > deadline + 60_000) throw new Error('the job never completed');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await first.stop();
      await second.stop();
    }

    // Every address reserved once, for a contact created once; no other contact.
    const reservations = await t.query<{ stream_id: string; events: number; holder: string }>(
      `SELECT stream_id, count(*)::int AS events, max(data->>'holderId') AS holder
         FROM "${t.eventStoreSchema}".events WHERE stream_id = ANY($1) GROUP BY stream_id`,
      [emails.map((email) => emailReservationStreamId(email, t.runtime.config.emailHashKey))],
    );
    expect(reservations).toHaveLength(total);
    expect(reservations.every((r) => r.events === 1)).toBe(true);
    const [{ created }] = await t.query<{ created: number }>(
      `SELECT count(*)::int AS created FROM "${t.eventStoreSchema}".events
        WHERE stream_id = ANY($1) AND event_type = 'ContactCreated'`,
      [reservations.map((r) => `contact-${r.holder}`)],
    );
    expect(created).toBe(total);
    expect((await contactStreams()) - contactsBefore).toBe(total);
  }, 180_000);
});
