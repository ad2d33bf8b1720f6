// Sends mail to the SMTP emulator with nodemailer, as the messaging service
// will, and reads it back through the admin API and the data folder.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import {
  SMTP_EMULATOR_DEFAULTS,
  startSmtpEmulator,
  type ReceivedMail,
  type SmtpEmulator,
} from './index';

const base = { ...SMTP_EMULATOR_DEFAULTS, smtpPort: 0, adminPort: 0 };

describe('SMTP emulator', () => {
  let dataDir: string;
  let emulator: SmtpEmulator;

  const transport = (auth?: { user: string; pass: string }) =>
    nodemailer.createTransport({ host: '127.0.0.1', port: emulator.smtpPort, secure: false, auth });
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${emulator.adminUrl}/__emulator${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const messages = async (query = '') =>
    ((await (await admin('GET', `/messages${query}`)).json()) as { messages: ReceivedMail[] })
      .messages;

  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'smtp-emulator-'));
    emulator = await startSmtpEmulator({ ...base, dataDir });
  });
  afterEach(async () => {
    await emulator.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps a multipart message as .eml and JSON, searchable by recipient and Message-ID', async () => {
    const info = await transport().sendMail({
      from: '"Events" <events@example.com>',
      to: 'ada@example.org',
      cc: 'Bob <bob@example.org>',
      subject: 'Your seat is confirmed',
      text: 'See you on Tuesday.',
      html: '<p>See you on <b>Tuesday</b>.</p>',
      messageId: '<m-1@engagement.test>',
      headers: {
        'List-Unsubscribe': '<https://example.com/u/opaque-token>',
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
      attachments: [
        {
          filename: 'invite.ics',
          content: 'BEGIN:VCALENDAR\nEND:VCALENDAR\n',
          contentType: 'text/calendar',
        },
      ],
    });
    expect(info.accepted).toEqual(['ada@example.org', 'bob@example.org']);

    const [mail] = await messages('?to=ADA@example.org');
    expect(mail).toMatchObject({
      envelope: { mailFrom: 'events@example.com', rcptTo: ['ada@example.org', 'bob@example.org'] },
      messageId: 'm-1@engagement.test',
      from: ['events@example.com'],
      to: ['ada@example.org'],
      cc: ['bob@example.org'],
      subject: 'Your seat is confirmed',
      listUnsubscribe: '<https://example.com/u/opaque-token>',
      listUnsubscribePost: 'List-Unsubscribe=One-Click',
      attachments: [{ filename: 'invite.ics', contentType: 'text/calendar' }],
    });
    expect(mail.text?.trim()).toBe('See you on Tuesday.');
    expect(mail.html).toContain('<b>Tuesday</b>');
    expect(mail.headers['content-type']).toMatch(/^multipart\/mixed/);

    expect((await messages('?messageId=%3Cm-1%40engagement.test%3E')).map((m) => m.id)).toEqual([
      mail.id,
    ]);
    expect(await messages('?to=bob@example.org')).toHaveLength(1);
    expect(await messages('?to=nobody@example.org')).toEqual([]);

    const raw = await admin('GET', `/messages/${mail.id}/raw`);
    expect(raw.headers.get('content-type')).toBe('message/rfc822');
    const eml = await raw.text();
    expect(eml).toContain('Subject: Your seat is confirmed');
    expect(readFileSync(path.join(dataDir, `${mail.id}.eml`), 'utf8')).toBe(eml);
    const index = readFileSync(path.join(dataDir, 'index.jsonl'), 'utf8').trim().split('\n');
    expect(index.map((line) => (JSON.parse(line) as ReceivedMail).id)).toEqual([mail.id]);
  });

  it('refuses configured recipients with 550 (hard) and 450 (soft), and takes the others', async () => {
    expect(
      (
        await admin('PUT', '/rejections', {
          hard: ['Gone@example.org'],
          soft: ['full@example.org'],
        })
      ).status,
    ).toBe(204);
    const info = await transport().sendMail({
      from: 'events@example.com',
      to: ['ok@example.org', 'gone@example.org', 'full@example.org'],
      subject: 'Mixed',
      text: 'x',
    });
    expect(info.accepted).toEqual(['ok@example.org']);
    expect(info.rejected).toEqual(['gone@example.org', 'full@example.org']);
    const codes = (info.rejectedErrors ?? []).map(
      (e) => (e as Error & { responseCode: number }).responseCode,
    );
    expect(codes).toEqual([550, 450]);
    const [mail] = await messages();
    expect(mail.envelope.rcptTo).toEqual(['ok@example.org']);

    await expect(
      transport().sendMail({
        from: 'events@example.com',
        to: 'gone@example.org',
        subject: 'Hard',
        text: 'x',
      }),
    ).rejects.toMatchObject({ code: 'EENVELOPE' });
    expect(await messages()).toHaveLength(1);
  });

  it('keeps messages across a restart and forgets them on reset', async () => {
    await transport().sendMail({
      from: 'a@example.com',
      to: 'b@example.org',
      subject: 'Kept',
      text: 'x',
    });
    await emulator.close();
    emulator = await startSmtpEmulator({ ...base, dataDir });
    const [mail] = await messages();
    expect(mail.subject).toBe('Kept');

    expect((await admin('POST', '/reset')).status).toBe(204);
    expect(await messages()).toEqual([]);
    expect(existsSync(mail.emlFile)).toBe(false);
    expect((await admin('GET', `/messages/${mail.id}`)).status).toBe(404);
  });

  it('asks for AUTH PLAIN/LOGIN when a user and password are configured', async () => {
    await emulator.close();
    emulator = await startSmtpEmulator({ ...base, dataDir, user: 'mailer', password: 's3cret' });
    const mail = { from: 'a@example.com', to: 'b@example.org', subject: 'Auth', text: 'x' };
    await expect(transport().sendMail(mail)).rejects.toMatchObject({ responseCode: 530 });
    await expect(transport({ user: 'mailer', pass: 'wrong' }).sendMail(mail)).rejects.toMatchObject(
      {
        responseCode: 535,
      },
    );
    await transport({ user: 'mailer', pass: 's3cret' }).sendMail(mail);
    expect(await messages('?subject=auth')).toHaveLength(1);
  });
});
