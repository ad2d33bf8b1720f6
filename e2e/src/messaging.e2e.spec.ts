// Messaging through the running processes: the gateway, contacts, events
// and messaging, with the SMTP emulator (a process) as the mail server.
// A contact made through the gateway reaches messaging's replica over
// Kafka (its personal fields encrypted, decrypted at send time with the
// contact's data keys); POST /api/messages sends it a real email; the open
// pixel and the click, fetched through the gateway without a key, come back
// to contacts as email_opened and email_clicked activities; a one-click
// unsubscribe revokes the contact's email consent. A campaign to a tagged
// audience reaches consenting members only; a hard bounce sets the
// contact's status. Reminders follow a reschedule and survive a kill -9 of
// messaging between them, neither lost nor doubled. Afterwards the
// operators' audit rebuilds messaging's read model and finds it identical.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startEmulatorProcess, waitForTruthy } from './e2e-support';
import { startPlatformUnderTest, type PlatformUnderTest } from './platform-under-test';

let platform: PlatformUnderTest;
let smtp: ChildProcess;
let adminUrl: string;
const mailDir = mkdtempSync(join(tmpdir(), 'e2e-smtp-'));
// The SMTP emulator refuses this recipient with 550: a hard bounce.
const bouncingAddress = `bounces-${randomUUID().slice(0, 8)}@example.com`;

const waitFor = <T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs?: number,
) => waitForTruthy(what, probe, { timeoutMs, logs: () => platform?.logs() ?? '' });

async function api(
  method: string,
  path: string,
  body?: unknown,
  key: string | null = platform.apiKey,
) {
  const response = await fetch(`${platform.gatewayUrl}${path}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      'content-type': 'application/json',
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // a pixel or a page
  }
  return { status: response.status, headers: response.headers, body: parsed as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

interface ReceivedMail {
  subject: string;
  receivedAt: string;
  html: string | null;
  listUnsubscribe: string | null;
}

async function mailsTo(address: string): Promise<ReceivedMail[]> {
  const r = await fetch(`${adminUrl}/__emulator/messages?to=${encodeURIComponent(address)}`);
  return ((await r.json()) as { messages: ReceivedMail[] }).messages;
}

beforeAll(async () => {
  const [smtpPort, adminPort] = [await freePort(), await freePort()];
  adminUrl = `http://127.0.0.1:${adminPort}`;
  smtp = await startEmulatorProcess(
    'smtp',
    {
      SMTP_EMULATOR_PORT: String(smtpPort),
      SMTP_EMULATOR_ADMIN_PORT: String(adminPort),
      SMTP_EMULATOR_DATA_DIR: mailDir,
      SMTP_EMULATOR_REJECT_HARD: bouncingAddress,
    },
    `${adminUrl}/health`,
  );
  platform = await startPlatformUnderTest({
    // Reminders 60 s and 40 s before the event: an event minutes ahead gets both within the test.
    messaging: {
      smtpUrl: `smtp://127.0.0.1:${smtpPort}?tls=off`,
      env: { MESSAGING_REMINDER_OFFSETS: '60s,40s' },
    },
  });
}, 180_000);

afterAll(async () => {
  await platform?.stop();
  smtp?.kill('SIGTERM');
  rmSync(mailDir, { recursive: true, force: true });
});

it('sends a real email to a contact made through the gateway, and its open, click and unsubscribe reach the contact', async () => {
  const email = `e2e-${randomUUID().slice(0, 8)}@example.com`;
  const contact = await api('POST', '/api/contacts', { email, firstName: 'Austin' });
  expect(contact.status).toBe(201);
  const contactId = contact.body.id as string;
  expect(
    (await api('PUT', `/api/contacts/${contactId}/consent/email`, { granted: true })).status,
  ).toBe(200);

  const template = await api('POST', '/api/templates', {
    slug: `e2e-${randomUUID().slice(0, 8)}`,
    name: 'Welcome',
    channel: 'email',
    subjectTemplate: 'Welcome, {{ contact.first_name }}',
    cachedContentHtml:
      '<p>Hi {{ contact.first_name }}, <a href="https://example.com/start">start here</a></p>',
    cachedContentText: 'Hi {{ contact.first_name }}',
  });
  expect(template.status).toBe(201);

  // The contact reaches messaging's replica through topic `contacts`.
  const sent = await waitFor('the contact in messaging', async () => {
    const r = await api('POST', '/api/messages', {
      template: template.body.id,
      contactId,
      variables: {},
    });
    return r.status === 202 ? r : null;
  });
  const mail = await waitFor('the email', async () => {
    const r = await fetch(`${adminUrl}/__emulator/messages?to=${encodeURIComponent(email)}`);
    const { messages } = (await r.json()) as {
      messages: Array<{
        id: string;
        subject: string;
        html: string | null;
        listUnsubscribe: string | null;
      }>;
    };
    return messages[0];
  });
  expect(mail.subject).toBe('Welcome, Austin');

  const html = String(mail.html);
  const pixel = /src="http:\/\/127\.0\.0\.1:\d+(\/api\/track\/open\/[^"]+)"/.exec(html)![1];
  const click = /href="http:\/\/127\.0\.0\.1:\d+(\/api\/track\/click\/[^"]+)"/.exec(html)![1];
  expect((await api('GET', pixel, undefined, null)).status).toBe(200);
  const redirected = await api('GET', click, undefined, null);
  expect(redirected.status).toBe(302);
  expect(redirected.headers.get('location')).toBe('https://example.com/start');
  const unsubscribe = /<http:\/\/127\.0\.0\.1:\d+(\/api\/track\/unsubscribe\/[^>]+)>/.exec(
    String(mail.listUnsubscribe),
  )![1];
  const unsubscribed = await fetch(`${platform.gatewayUrl}${unsubscribe}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });
  expect(unsubscribed.status).toBe(200);

  const activities = await waitFor('the activities', async () => {
    const r = await api('GET', `/api/contacts/${contactId}/activities?limit=50`);
    const types = ((r.body?.items ?? []) as Array<{ activityType: string }>).map(
      (a) => a.activityType,
    );
    return ['email_sent', 'email_opened', 'email_clicked'].every((t) => types.includes(t))
      ? types
      : null;
  });
  expect(activities.filter((t: string) => t === 'email_sent')).toHaveLength(1);
  await waitFor('the revoked consent', async () => {
    const r = await api('GET', `/api/contacts/${contactId}`);
    return r.body?.consent?.email?.granted === false;
  });
  const message = await api('GET', `/api/messages/${sent.body.id}`);
  expect(message.body).toMatchObject({
    status: 'sent',
    openCount: 1,
    clickCount: 1,
    recipientEmail: email,
  });
  expect(message.body.unsubscribedAt).not.toBeNull();
}, 180_000);

it('sends a campaign to the consenting members of a tagged audience only; its open, click, hard bounce and unsubscribe reach the contacts', async () => {
  const tag = `e2e-${randomUUID().slice(0, 8)}`;
  const contactWith = async (email: string, tags: string[], consent: boolean) => {
    const created = await api('POST', '/api/contacts', { email, firstName: 'Ada', tags });
    expect(created.status).toBe(201);
    // A marketing send needs the channel's consent and marketing consent.
    if (consent)
      for (const channel of ['email', 'marketing'])
        expect(
          (
            await api('PUT', `/api/contacts/${created.body.id}/consent/${channel}`, {
              granted: true,
            })
          ).status,
        ).toBe(200);
    return created.body.id as string;
  };
  const readerAddress = `reader-${randomUUID().slice(0, 8)}@example.com`;
  const silentAddress = `silent-${randomUUID().slice(0, 8)}@example.com`;
  const outsiderAddress = `outsider-${randomUUID().slice(0, 8)}@example.com`;
  const reader = await contactWith(readerAddress, [tag], true);
  const bouncing = await contactWith(bouncingAddress, [tag], true);
  const silent = await contactWith(silentAddress, [tag], false);
  const outsider = await contactWith(outsiderAddress, ['someone-else'], true);

  // The audience is resolved from messaging's replica of contacts (topic `contacts`).
  const messagingSchema = platform.messaging!.schema;
  await waitFor('the contacts in messaging’s replica', async () => {
    const { rows } = await platform.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${messagingSchema}".contact_replica
        WHERE contact_id = ANY($1::uuid[]) AND (consent ->> 'marketing' = 'true' OR contact_id = $2)`,
      [[reader, bouncing, silent, outsider], silent],
    );
    return rows[0]!.n === 4;
  });
  const template = await api('POST', '/api/templates', {
    slug: `campaign-${randomUUID().slice(0, 8)}`,
    name: 'Launch',
    channel: 'email',
    subjectTemplate: 'Launch news for {{ contact.first_name }}',
    cachedContentHtml: '<p><a href="https://example.com/launch">See it</a></p>',
    cachedContentText: 'See it: https://example.com/launch',
  });
  expect(template.status).toBe(201);
  const campaign = await api('POST', '/api/campaigns', {
    name: 'Launch',
    channel: 'email',
    templateId: template.body.id,
    audience: { tags: [tag] },
  });
  expect(campaign.status).toBe(201);
  const campaignId = campaign.body.id as string;
  expect((await api('POST', `/api/campaigns/${campaignId}/send`)).status).toBe(202);

  const messages = await waitFor('the campaign’s three messages, each settled', async () => {
    const r = await api('GET', `/api/campaigns/${campaignId}/messages`);
    const items = (r.body?.items ?? []) as Array<{ id: string; contactId: string; status: string }>;
    return items.length === 3 && items.every((m) => !['queued', 'sending'].includes(m.status))
      ? items
      : null;
  });
  const byContact = Object.fromEntries(messages.map((m) => [m.contactId, m]));
  expect(byContact[reader]).toMatchObject({ status: 'sent', campaignId });
  expect(byContact[bouncing]).toMatchObject({ status: 'bounced', bounceType: 'hard' });
  expect(byContact[silent]).toMatchObject({ status: 'blocked' });
  expect(byContact[outsider]).toBeUndefined();
  expect(await mailsTo(readerAddress)).toHaveLength(1);
  for (const address of [bouncingAddress, silentAddress, outsiderAddress])
    expect(await mailsTo(address)).toHaveLength(0);

  // The reader opens, clicks and unsubscribes.
  const [mail] = await mailsTo(readerAddress);
  const html = String(mail!.html);
  const pixel = /src="http:\/\/127\.0\.0\.1:\d+(\/api\/track\/open\/[^"]+)"/.exec(html)![1]!;
  const click = /href="http:\/\/127\.0\.0\.1:\d+(\/api\/track\/click\/[^"]+)"/.exec(html)![1]!;
  expect((await api('GET', pixel, undefined, null)).status).toBe(200);
  expect((await api('GET', click, undefined, null)).headers.get('location')).toBe(
    'https://example.com/launch',
  );
  const unsubscribe = /<http:\/\/127\.0\.0\.1:\d+(\/api\/track\/unsubscribe\/[^>]+)>/.exec(
    String(mail!.listUnsubscribe),
  )![1];
  const unsubscribed = await fetch(`${platform.gatewayUrl}${unsubscribe}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });
  expect(unsubscribed.status).toBe(200);

  const activityTypes = async (contactId: string) => {
    const r = await api('GET', `/api/contacts/${contactId}/activities?limit=50`);
    return ((r.body?.items ?? []) as Array<{ activityType: string }>).map((a) => a.activityType);
  };
  await waitFor('the reader’s activities and revoked consent', async () => {
    const types = await activityTypes(reader);
    const contact = await api('GET', `/api/contacts/${reader}`);
    return (
      ['email_sent', 'email_opened', 'email_clicked'].every((t) => types.includes(t)) &&
      contact.body?.consent?.email?.granted === false
    );
  });
  await waitFor('the bounced contact’s status and activity', async () => {
    const contact = await api('GET', `/api/contacts/${bouncing}`);
    return (
      contact.body?.status === 'bounced' &&
      (await activityTypes(bouncing)).includes('email_bounced')
    );
  });
  const readerMessage = await api('GET', `/api/messages/${byContact[reader]!.id}`);
  expect(readerMessage.body).toMatchObject({ openCount: 1, clickCount: 1, campaignId });
  expect(readerMessage.body.unsubscribedAt).not.toBeNull();
  expect(await activityTypes(silent)).not.toContain('email_sent');
}, 180_000);

it('sends both reminders of a registration made through the gateway at the rescheduled times, once each across a kill -9 of messaging, and events records them in reminders_sent', async () => {
  // Reminders are 60 s and 40 s before the event (the suite's setting). The
  // event is created 120 s ahead, then moved 60 s later: every reminder then
  // falls due after its first due time, so a mail older than its moved due
  // time would be one sent at the old time.
  const created = await api('POST', '/api/events', {
    title: 'Reminder webinar',
    type: 'webinar',
    platform: 'virtual_custom',
    platformUrl: 'https://example.com/live',
    scheduledAt: new Date(Date.now() + 120_000).toISOString(),
    timezone: 'UTC',
    durationMinutes: 30,
  });
  expect(created.status).toBe(201);
  const eventId = created.body.id as string;
  for (const action of ['schedule', 'open-registration'])
    expect((await api('POST', `/api/events/${eventId}/${action}`)).status).toBe(200);
  const email = `reminded-${randomUUID().slice(0, 8)}@example.com`;
  const registered = await api('POST', '/api/registrations', { email, eventId, formData: {} });
  expect(registered.status).toBe(201);
  const movedTo = Date.now() + 180_000;
  const rescheduled = await api('POST', `/api/events/${eventId}/reschedule`, {
    scheduledAt: new Date(movedTo).toISOString(),
  });
  expect(rescheduled.status).toBe(200);

  const first = await waitFor(
    'the first reminder',
    async () => {
      const mails = await mailsTo(email);
      return mails.length >= 1 ? mails : null;
    },
    200_000,
  );
  expect(first.map((m) => m.subject)).toEqual(['Reminder: Reminder webinar starts in 60s']);
  expect(Date.parse(first[0]!.receivedAt)).toBeGreaterThanOrEqual(movedTo - 60_000);

  // Between the two reminders, messaging dies without warning and comes back.
  await platform.messaging!.killAndRestart();

  const mails = await waitFor(
    'the second reminder',
    async () => {
      const all = await mailsTo(email);
      return all.length >= 2 ? all : null;
    },
    120_000,
  );
  const second = mails.find((m) => m.subject === 'Reminder: Reminder webinar starts in 40s');
  expect(second).toBeDefined();
  expect(Date.parse(second!.receivedAt)).toBeGreaterThanOrEqual(movedTo - 40_000);
  const registration = await waitFor('reminders_sent', async () => {
    const r = await api('GET', `/api/registrations/${registered.body.id}`);
    return (r.body?.remindersSent ?? []).length >= 2 ? r.body : null;
  });
  expect(registration.remindersSent).toHaveLength(2);
  // Nothing more comes after both were sent: neither lost nor doubled.
  await new Promise((r) => setTimeout(r, 3_000));
  expect((await mailsTo(email)).map((m) => m.subject).sort()).toEqual([
    'Reminder: Reminder webinar starts in 40s',
    'Reminder: Reminder webinar starts in 60s',
  ]);
}, 330_000);

it("leaves a messaging read model that the operators' replay rebuilds identically", () => {
  // After the tests above: templates, a message opened, clicked and unsubscribed, a campaign
  // with a hard bounce, reminders moved and sent across a kill -9.
  // The rebuild opens the sealed fields with the contacts' keys, as the service does.
  const audit = platform.runTool('projections.main.ts', ['audit', 'messaging-read-model'], {
    CONTACTS_URL: platform.contactsUrl,
  });
  // On a failure the whole output shows what differs.
  expect(`${audit.stdout}${audit.stderr}`).toContain('audit messaging-read-model: identical');
  expect(audit.status).toBe(0);
});
