// Messaging through the running processes: the gateway, contacts, events
// and messaging, with the SMTP emulator (a process) as the mail server.
// A contact made through the gateway reaches messaging's replica over
// Kafka (its personal fields encrypted, decrypted at send time with the
// contact's data keys); POST /api/messages sends it a real email; the open
// pixel and the click, fetched through the gateway without a key, come back
// to contacts as email_opened and email_clicked activities; a one-click
// unsubscribe revokes the contact's email consent.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findWorkspaceRoot } from '@engagement/config';
import { startPlatformUnderTest, type PlatformUnderTest } from './platform-under-test';

const root = findWorkspaceRoot();
let platform: PlatformUnderTest;
let smtp: ChildProcess;
let adminUrl: string;
const mailDir = mkdtempSync(join(tmpdir(), 'e2e-smtp-'));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for ${what}\n${platform?.logs().slice(-4000) ?? ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

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

beforeAll(async () => {
  const [smtpPort, adminPort] = [await freePort(), await freePort()];
  smtp = spawn(
    join(root, 'node_modules', '.bin', 'node'),
    ['-r', '@swc-node/register', join(root, 'emulators', 'smtp', 'src', 'main.ts')],
    {
      cwd: root,
      env: {
        ...process.env,
        SWC_NODE_PROJECT: join(root, 'tsconfig.base.json'),
        SMTP_EMULATOR_PORT: String(smtpPort),
        SMTP_EMULATOR_ADMIN_PORT: String(adminPort),
        SMTP_EMULATOR_DATA_DIR: mailDir,
      },
      stdio: 'ignore',
    },
  );
  adminUrl = `http://127.0.0.1:${adminPort}`;
  platform = await startPlatformUnderTest({
    // Reminders 60 s and 40 s before the event: an event 90 s ahead gets both within the test.
    messaging: {
      smtpUrl: `smtp://127.0.0.1:${smtpPort}?tls=off`,
      env: { MESSAGING_REMINDER_OFFSETS: '60s,40s' },
    },
  });
  await waitFor('the SMTP emulator', async () => (await fetch(`${adminUrl}/health`)).ok);
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

it('sends both reminders of a registration made through the gateway, and events records them in reminders_sent', async () => {
  const created = await api('POST', '/api/events', {
    title: 'Reminder webinar',
    type: 'webinar',
    platform: 'virtual_custom',
    platformUrl: 'https://example.com/live',
    scheduledAt: new Date(Date.now() + 90_000).toISOString(),
    timezone: 'UTC',
    durationMinutes: 30,
  });
  expect(created.status).toBe(201);
  for (const action of ['schedule', 'open-registration'])
    expect((await api('POST', `/api/events/${created.body.id}/${action}`)).status).toBe(200);
  const email = `reminded-${randomUUID().slice(0, 8)}@example.com`;
  const registered = await api('POST', '/api/registrations', {
    email,
    eventId: created.body.id,
    formData: {},
  });
  expect(registered.status).toBe(201);

  const mails = await waitFor(
    'both reminders',
    async () => {
      const r = await fetch(`${adminUrl}/__emulator/messages?to=${encodeURIComponent(email)}`);
      const { messages } = (await r.json()) as { messages: Array<{ subject: string }> };
      return messages.length >= 2 ? messages : null;
    },
    150_000,
  );
  expect(mails.map((m) => m.subject).sort()).toEqual([
    'Reminder: Reminder webinar starts in 40s',
    'Reminder: Reminder webinar starts in 60s',
  ]);
  const registration = await waitFor('reminders_sent', async () => {
    const r = await api('GET', `/api/registrations/${registered.body.id}`);
    return (r.body?.remindersSent ?? []).length >= 2 ? r.body : null;
  });
  expect(registration.remindersSent).toHaveLength(2);
  // Nothing more comes after both were sent.
  await new Promise((r) => setTimeout(r, 3_000));
  const after = await fetch(`${adminUrl}/__emulator/messages?to=${encodeURIComponent(email)}`);
  expect(((await after.json()) as { messages: unknown[] }).messages).toHaveLength(2);
}, 240_000);
