// A campaign to a tagged audience through the HTTP API, the campaign
// runner, the send queue and a real SMTP server: consenting members get
// one message each, the others are blocked, non-members get nothing; a
// resumed run sends nothing twice; the open pixel, a click, a one-click
// unsubscribe and the campaign's counts show up in the read model, which
// the operators' audit rebuilds identically.
import { auditProjection } from '@engagement/projections';
import { messagingReadModelProjection } from '../read-model/messaging-read-model.projection';
import { startTestBed, type TestBed } from '../shared/test-bed.testing';

describe('campaigns and tracking', () => {
  let bed: TestBed;
  beforeAll(async () => {
    bed = await startTestBed({ workersEnabled: false });
  });
  afterAll(() => bed.close());

  /** Runs the campaign and the send queue until every message of the campaign has an outcome. */
  const drainAll = async (campaignId: string) => {
    await bed.runtime.campaigns.runDue();
    await bed.eventually(async () => {
      await bed.runtime.worker.drain();
      const { rows } = await bed.pool.query(
        `SELECT (SELECT count(*)::int FROM ${bed.config.schema}.campaign_recipients WHERE campaign_id = $1 AND skipped IS NULL) AS wanted,
                (SELECT count(*)::int FROM ${bed.config.schema}.sent_messages WHERE campaign_id = $1 AND status NOT IN ('queued', 'deferred')) AS done`,
        [campaignId],
      );
      return rows[0].wanted > 0 && rows[0].wanted === rows[0].done;
    });
  };

  it('sends to consenting members of the audience only, once each, and tracks opens, clicks and unsubscribes', async () => {
    const template = await bed.request('POST', '/templates', {
      slug: 'spring',
      name: 'Spring',
      channel: 'email',
      subjectTemplate: 'Spring for {{ contact.first_name }}',
      cachedContentHtml: '<p><a href="https://shop.example.com/spring?x=1">Shop</a></p>',
      cachedContentText: 'Shop: https://shop.example.com/spring',
    });
    const vip = await bed.addContact({ tags: ['vip'], email: 'vip@example.com' });
    const vipNoConsent = await bed.addContact({
      tags: ['vip'],
      email: 'quiet@example.com',
      consent: { email: true },
    });
    await bed.addContact({ tags: ['other'], email: 'other@example.com' });

    const created = await bed.request('POST', '/campaigns', {
      name: 'Spring launch',
      channel: 'email',
      templateId: template.body.id,
      audience: { tags: ['vip'] },
    });
    expect(created.status).toBe(201);
    const campaignId = created.body.id;
    expect((await bed.request('POST', `/campaigns/${campaignId}/send`)).status).toBe(202);
    await drainAll(campaignId);

    expect(bed.smtp.received.map((m) => m.envelopeTo[0]).sort()).toEqual(['vip@example.com']);
    const messages = await bed.eventually(async () => {
      const r = await bed.request('GET', `/campaigns/${campaignId}/messages`);
      return r.body.items.length === 2 &&
        r.body.items.every((m: { status: string }) => m.status !== 'queued')
        ? r.body.items
        : null;
    });
    const byContact = Object.fromEntries(
      messages.map((m: { contactId: string }) => [m.contactId, m]),
    );
    expect(byContact[vip]).toMatchObject({ status: 'sent', campaignId });
    expect(byContact[vipNoConsent]).toMatchObject({ status: 'blocked', errorCode: 'consent' });

    // A crash after the requests, before the checkpoints: the run starts over and sends nothing twice.
    await bed.pool.query(
      `UPDATE ${bed.config.schema}.campaign_recipients SET requested_at = NULL WHERE campaign_id = $1`,
      [campaignId],
    );
    await bed.pool.query(
      `UPDATE ${bed.config.schema}.campaign_runs SET completed_at = NULL, claimed_until = NULL WHERE campaign_id = $1`,
      [campaignId],
    );
    await drainAll(campaignId);
    expect(bed.smtp.received).toHaveLength(1);

    // Tracking, as the recipient's mail client and the recipient would.
    const html = String(bed.smtp.received[0].html);
    const pixel = /src="http:\/\/gateway\.test\/api(\/track\/open\/[^"]+)"/.exec(html)![1];
    const click = /href="http:\/\/gateway\.test\/api(\/track\/click\/[^"]+)"/.exec(html)![1];
    const unsubscribe = /<http:\/\/gateway\.test\/api(\/track\/unsubscribe\/[^>]+)>/.exec(
      bed.smtp.received[0].headerLines
        .find((h) => h.key === 'list-unsubscribe')!
        .line.replace(/\r?\n[ \t]+/g, ' '),
    )![1];
    const opened = await bed.request('GET', pixel, undefined, { authorization: '' });
    expect(opened.status).toBe(200);
    expect(opened.headers.get('content-type')).toBe('image/gif');
    const clicked = await bed.request('GET', click, undefined, { authorization: '' });
    expect(clicked.status).toBe(302);
    expect(clicked.headers.get('location')).toBe('https://shop.example.com/spring?x=1');
    const forged = await bed.request(
      'GET',
      click.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
      undefined,
      { authorization: '' },
    );
    expect(forged.status).toBe(404);
    const unsubscribed = await bed.request('POST', unsubscribe, 'List-Unsubscribe=One-Click', {
      authorization: '',
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(unsubscribed.status).toBe(200);

    const row = await bed.eventually(async () => {
      const r = await bed.request('GET', `/messages/${byContact[vip].id}`);
      return r.body.unsubscribedAt ? r.body : null;
    });
    expect(row).toMatchObject({ openCount: 1, clickCount: 1 });
    expect(row.openedAt).not.toBeNull();
    expect(row.clickedAt).not.toBeNull();
    expect(row.linksClicked).toEqual([
      expect.objectContaining({ url: 'https://shop.example.com/spring?x=1' }),
    ]);

    const campaign = await bed.eventually(async () => {
      const r = await bed.request('GET', `/campaigns/${campaignId}`);
      return r.body.status === 'sent' && r.body.clickedCount === 1 ? r.body : null;
    });
    expect(campaign).toMatchObject({
      sentCount: 1,
      blockedCount: 1,
      openedCount: 1,
      clickedCount: 1,
      audienceSize: 2,
    });
    const stored = await bed.runtime.base.eventStore.readStream(`message-${byContact[vip].id}`);
    expect(stored.map((e) => e.type)).toEqual([
      'MessageRequested',
      'MessageSending',
      'MessageSent',
      'MessageOpened',
      'MessageClicked',
      'RecipientUnsubscribed',
    ]);
    expect(stored[5].data).toMatchObject({ consentChannel: 'email', contactId: vip });

    // The operators' audit rebuilds the read model from the events and finds it identical.
    const audit = await auditProjection(
      {
        store: bed.runtime.base.eventStore,
        pool: bed.pool,
        progress: () => ({ update: () => undefined, finish: () => undefined }),
      },
      messagingReadModelProjection(bed.config.schema),
    );
    expect(audit.differences).toEqual([]);
    expect(audit.rebuild.rowsWritten).toBeGreaterThan(0);
  });

  it('answers 401 without a service token on the API, but not on the tracking links', async () => {
    expect((await bed.request('GET', '/campaigns', undefined, { authorization: '' })).status).toBe(
      401,
    );
    expect(
      (await bed.request('GET', '/track/open/nope.nope', undefined, { authorization: '' })).status,
    ).toBe(404);
  });
});
