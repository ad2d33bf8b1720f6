// The read model writes runs of MessageRequested and MessageSent a run at a
// time: the rows must be those the events leave one by one. A campaign
// (sent, blocked, a bounce) and later events on its messages (delivered,
// opened) are applied to one schema an event per transaction and to another
// all in one batch, and every table compares equal.
import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '@engagement/event-store';
import { compareTable, inTransaction, prepareProjection } from '@engagement/projections';
import { messageDecider } from '../messages/message.decider';
import { messageStream } from '../shared/messaging-streams';
import { startTestBed, type TestBed } from '../shared/test-bed.testing';
import { messagingReadModelProjection } from './messaging-read-model.projection';

let bed: TestBed;
beforeAll(async () => {
  bed = await startTestBed({ workersEnabled: false, sendConcurrency: 8 });
});
afterAll(() => bed.close());

it('leaves the same rows whether events come one by one or in one batch', async () => {
  const template = await bed.request('POST', '/templates', {
    slug: 'runs',
    name: 'Runs',
    channel: 'email',
    subjectTemplate: 'Hi {{ contact.first_name }}',
    cachedContentHtml: '<p>Hi</p>',
    cachedContentText: 'Hi',
  });
  for (let i = 0; i < 12; i++) {
    const email = `runs-${i}@example.com`;
    if (i === 3) bed.smtp.refuse.add(email);
    await bed.addContact({
      tags: ['runs'],
      email,
      consent: i % 5 === 4 ? { email: true } : { email: true, marketing: true },
    });
  }
  const created = await bed.request('POST', '/campaigns', {
    name: 'Runs',
    channel: 'email',
    templateId: template.body.id,
    audience: { tags: ['runs'] },
  });
  const campaignId = created.body.id;
  await bed.request('POST', `/campaigns/${campaignId}/send`);
  await bed.runtime.campaigns.runDue();
  const { rows } = await bed.pool.query<{ message_id: string }>(
    `SELECT message_id FROM ${bed.config.schema}.campaign_recipients WHERE campaign_id = $1`,
    [campaignId],
  );
  const context = {
    now: new Date(),
    actor: 'test',
    correlationId: randomUUID(),
    causationId: null,
    traceparent: null,
  };
  const sent: string[] = [];
  for (const { message_id } of rows) {
    const { state } = await bed.runtime.streams.load(messageStream(message_id), messageDecider);
    if (state.exists && state.status === 'sent') sent.push(message_id);
  }
  for (const messageId of sent.slice(0, 3)) {
    const stream = messageStream(messageId);
    await bed.runtime.streams.run(stream, messageDecider, { type: 'RecordDelivered' }, context);
    await bed.runtime.streams.run(stream, messageDecider, { type: 'RecordOpened' }, context);
  }

  const projection = messagingReadModelProjection(bed.config.schema);
  const events: RecordedEvent[] = [];
  for (let after = -1n; ;) {
    const read = await bed.runtime.base.eventStore.readAll({
      after: after < 0n ? undefined : after,
      filter: projection.filter,
    });
    events.push(...read.events);
    after = read.checkpoint;
    if (read.isEnd) break;
  }
  const types = new Set(events.map((e) => e.type));
  for (const type of ['MessageRequested', 'MessageSent', 'MessageBlocked', 'MessageBounced'])
    expect(types).toContain(type);

  const oneByOne = `${bed.config.schema}_one`;
  const batched = `${bed.config.schema}_all`;
  try {
    for (const schema of [oneByOne, batched]) await prepareProjection(bed.pool, projection, schema);
    for (const event of events)
      await inTransaction(bed.pool, oneByOne, (client) => projection.apply([event], client));
    await inTransaction(bed.pool, batched, (client) => projection.apply(events, client));

    const client = await bed.pool.connect();
    try {
      for (const table of projection.tables) {
        const compared = await compareTable(client, table, oneByOne, batched);
        expect({ table: table.name, differences: compared.differences }).toEqual({
          table: table.name,
          differences: [],
        });
      }
      const { rows: statuses } = await client.query(
        `SELECT status, count(*)::int AS n FROM ${batched}.sent_messages GROUP BY status ORDER BY status`,
      );
      expect(statuses).toEqual([
        { status: 'blocked', n: 2 },
        { status: 'bounced', n: 1 },
        { status: 'delivered', n: 3 },
        { status: 'sent', n: 6 },
      ]);
    } finally {
      client.release();
    }
  } finally {
    await bed.pool.query(`DROP SCHEMA IF EXISTS ${oneByOne} CASCADE`);
    await bed.pool.query(`DROP SCHEMA IF EXISTS ${batched} CASCADE`);
  }
});
