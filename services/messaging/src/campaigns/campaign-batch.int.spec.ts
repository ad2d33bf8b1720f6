// The batched campaign path (campaign-batch.ts) decides what the
// one-message path decides: the same audience, run once through batches and
// once through the send queue, ends with the same outcome for each
// recipient (sent, blocked by which rule, deferred, failed, bounced, skipped
// and why), the same events in each message's stream, and the same mail
// received. (campaigns.int.spec.ts starts a batched run over after a crash:
// nothing is sent twice.)
import { randomUUID } from 'node:crypto';
import { localMinuteOfDay } from '../rules/send-rules';
import { startTestBed, type TestBed } from '../shared/test-bed.testing';

type Person = {
  label: string;
  contact: Parameters<TestBed['addContact']>[0];
  erased?: boolean;
  /** Campaign messages already sent to it today (the cap is 3). */
  sentToday?: number;
  refused?: boolean;
};

// In quiet hours where it is now 14 hours ahead of UTC, not in UTC.
const FAR_EAST = 'Pacific/Kiritimati';

const PEOPLE: Person[] = [
  { label: 'consenting', contact: {} },
  { label: 'second-consenting', contact: { firstName: 'Bo' } },
  { label: 'no-marketing-consent', contact: { consent: { email: true } } },
  { label: 'email-revoked', contact: { consent: { email: false, marketing: true } } },
  { label: 'unsubscribed', contact: { status: 'unsubscribed' } },
  { label: 'bounced', contact: { status: 'bounced' } },
  { label: 'erased', contact: {}, erased: true },
  { label: 'quiet-hours', contact: { timezone: FAR_EAST } },
  { label: 'capped', contact: {}, sentToday: 3 },
  { label: 'below-cap', contact: {}, sentToday: 2 },
  { label: 'no-address', contact: { email: null } },
  { label: 'refused', contact: {}, refused: true },
  { label: 'other-plan', contact: { properties: { plan: 'free' } } },
  { label: 'no-last-name', contact: { lastName: null } },
];

type Outcome = {
  skipped: string | null;
  status: string | null;
  errorCode: string | null;
  events: string[];
  received: number;
};

async function runCampaign(batched: boolean): Promise<Record<string, Outcome>> {
  const now = new Date();
  const farEast = localMinuteOfDay(now, FAR_EAST);
  const bed = await startTestBed(
    {
      workersEnabled: false,
      sendConcurrency: 4,
      quietHours: { startMinute: farEast, endMinute: (farEast + 60) % 1440 },
    },
    { campaignBatches: batched },
  );
  try {
    const template = await bed.request('POST', '/templates', {
      slug: 'same-outcomes',
      name: 'Same outcomes',
      channel: 'email',
      subjectTemplate: 'News for {{ contact.first_name }} {{ contact.last_name }}',
      cachedContentHtml: '<p>Hi {{ contact.first_name }}</p>',
      cachedContentText: 'Hi {{ contact.first_name }}',
      requiredVariables: ['contact.last_name'],
    });
    expect(template.status).toBe(201);
    // Earlier sends count toward the cap; they are seeded into the read model as its projection would.
    const earlier = randomUUID();
    await bed.pool.query(
      `INSERT INTO ${bed.config.schema}.campaigns (id, name, channel) VALUES ($1, 'earlier', 'email')`,
      [earlier],
    );
    const ids: Record<string, string> = {};
    for (const person of PEOPLE) {
      const email =
        person.contact?.email === null
          ? null
          : `${person.label}-${randomUUID().slice(0, 6)}@ex.com`;
      ids[person.label] = await bed.addContact({
        tags: ['same'],
        properties: { plan: 'pro' },
        ...person.contact,
        email,
      });
      if (person.erased) {
        await bed.pool.query(
          `UPDATE ${bed.config.schema}.contact_replica SET erased_at = now(), email = NULL WHERE contact_id = $1`,
          [ids[person.label]],
        );
      }
      if (person.refused && email) bed.smtp.refuse.add(email);
      for (let i = 0; i < (person.sentToday ?? 0); i++) {
        await bed.pool.query(
          `INSERT INTO ${bed.config.schema}.sent_messages (id, contact_id, campaign_id, channel, provider, status, sent_at)
           VALUES ($1, $2, $3, 'email', 'smtp', 'sent', now())`,
          [randomUUID(), ids[person.label], earlier],
        );
      }
    }
    const created = await bed.request('POST', '/campaigns', {
      name: 'Same outcomes',
      channel: 'email',
      templateId: template.body.id,
      audience: { tags: ['same'], properties: { plan: 'pro' } },
    });
    const campaignId = created.body.id;
    expect((await bed.request('POST', `/campaigns/${campaignId}/send`)).status).toBe(202);

    await bed.runtime.campaigns.runDue();
    const outcomes = async () => {
      const { rows } = await bed.pool.query<{
        contact_id: string;
        skipped: string | null;
        status: string | null;
        error_code: string | null;
      }>(
        `SELECT r.contact_id, r.skipped, m.status, m.error_code
           FROM ${bed.config.schema}.campaign_recipients r
           LEFT JOIN ${bed.config.schema}.sent_messages m ON m.id = r.message_id
          WHERE r.campaign_id = $1`,
        [campaignId],
      );
      return rows;
    };
    await bed.eventually(async () => {
      await bed.runtime.worker.drain();
      const rows = await outcomes();
      return rows.every((r) => r.skipped !== null || (r.status !== null && r.status !== 'queued'));
    });

    const rows = await outcomes();
    const { rows: messageIds } = await bed.pool.query<{ contact_id: string; message_id: string }>(
      `SELECT contact_id, message_id FROM ${bed.config.schema}.campaign_recipients WHERE campaign_id = $1`,
      [campaignId],
    );
    const result: Record<string, Outcome> = {};
    for (const person of PEOPLE) {
      const id = ids[person.label];
      const row = rows.find((r) => r.contact_id === id);
      const messageId = messageIds.find((m) => m.contact_id === id)?.message_id;
      const events = messageId
        ? (await bed.runtime.base.eventStore.readStream(`message-${messageId}`)).map((e) => e.type)
        : [];
      result[person.label] = {
        skipped: row?.skipped?.replace(id, '<id>') ?? null,
        status: row?.status ?? null,
        errorCode: row?.error_code ?? null,
        events,
        received: bed.smtp.received.filter((m) =>
          m.envelopeTo.some((to) => to.startsWith(`${person.label}-`)),
        ).length,
      };
    }
    return result;
  } finally {
    await bed.close();
  }
}

it('gives every recipient the same outcome in batches as one message at a time', async () => {
  const single = await runCampaign(false);
  const batched = await runCampaign(true);
  expect(batched).toEqual(single);
  // And the outcomes are the ones the rules call for.
  expect(single).toMatchObject({
    consenting: { status: 'sent', received: 1 },
    'second-consenting': { status: 'sent', received: 1 },
    'no-marketing-consent': { status: 'blocked', errorCode: 'consent', received: 0 },
    'email-revoked': { status: 'blocked', errorCode: 'consent' },
    unsubscribed: { status: 'blocked', errorCode: 'status' },
    bounced: { status: 'blocked', errorCode: 'status' },
    // Erased before the send: never in the audience.
    erased: { skipped: null, status: null, events: [], received: 0 },
    'quiet-hours': { status: 'deferred', received: 0 },
    capped: { status: 'blocked', errorCode: 'frequency-cap' },
    'below-cap': { status: 'sent', received: 1 },
    'no-address': { status: 'failed', errorCode: 'no-address' },
    refused: {
      status: 'bounced',
      events: ['MessageRequested', 'MessageSending', 'MessageBounced'],
    },
    'other-plan': { skipped: 'properties', status: null, events: [] },
    'no-last-name': { skipped: expect.stringMatching(/^missing-required-variables/) },
  });
  expect(single.consenting.events).toEqual(['MessageRequested', 'MessageSending', 'MessageSent']);
}, 120_000);

it('sends a chunk too big for one append one message at a time, each once', async () => {
  // Eight messages of ~700 KB each: more than one append may hold (4 MB), so the chunk's
  // append is refused and its messages go the one-message way.
  const bed = await startTestBed({ workersEnabled: false, sendConcurrency: 32 });
  try {
    const template = await bed.request('POST', '/templates', {
      slug: 'big',
      name: 'Big',
      channel: 'email',
      subjectTemplate: 'Big news',
      // Rendered, ~700 KB.
      cachedContentHtml: '<p>{% for i in (1..30000) %}All the news that fits. {% endfor %}</p>',
      cachedContentText: 'Big news',
    });
    expect(template.status).toBe(201);
    for (let i = 0; i < 8; i++) await bed.addContact({ tags: ['big'], email: `big-${i}@ex.com` });
    const created = await bed.request('POST', '/campaigns', {
      name: 'Big',
      channel: 'email',
      templateId: template.body.id,
      audience: { tags: ['big'] },
    });
    await bed.request('POST', `/campaigns/${created.body.id}/send`);
    await bed.runtime.campaigns.runDue();
    await bed.eventually(async () => {
      await bed.runtime.worker.drain();
      return bed.smtp.received.length >= 8;
    }, 30_000);
    const to = bed.smtp.received.map((m) => m.envelopeTo[0]).sort();
    expect(to).toEqual(Array.from({ length: 8 }, (_, i) => `big-${i}@ex.com`).sort());
  } finally {
    await bed.close();
  }
}, 120_000);
