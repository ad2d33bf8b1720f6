// The SMTP emulator: an SMTP server (smtp-server) that accepts any mail,
// refuses configured recipients with 550 (hard bounce) or 450 (soft), keeps
// each message it accepts (see mailbox.ts), and an HTTP admin API to read
// and search them, change the refused recipients, and reset. No STARTTLS,
// so clients send in plain text on the local machine; AUTH only when a user
// and password are configured.
import type { AddressInfo } from 'node:net';
import {
  createRouter,
  listen,
  problem,
  route,
  type Reply,
  type Route,
} from '@engagement/emulator-kit';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import type { SmtpEmulatorConfig } from './config';
import { Mailbox } from './mailbox';

export interface SmtpEmulator {
  smtpPort: number;
  adminUrl: string;
  close(): Promise<void>;
}

/** An SMTP refusal: smtp-server answers with err.responseCode and err.message. */
function refusal(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

export async function startSmtpEmulator(config: SmtpEmulatorConfig): Promise<SmtpEmulator> {
  const mailbox = new Mailbox(config.dataDir);
  let rejections = { hard: [...config.rejectHard], soft: [...config.rejectSoft] };
  const withAuth = Boolean(config.user && config.password);

  const smtp = new SMTPServer({
    banner: 'engagement SMTP emulator',
    logger: false,
    size: config.maxMessageBytes,
    disabledCommands: withAuth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: !withAuth,
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (auth.username === config.user && auth.password === config.password)
        return callback(null, { user: auth.username });
      return callback(refusal(535, '5.7.8 Authentication credentials invalid'));
    },
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const recipient = address.address.toLowerCase();
      if (rejections.hard.includes(recipient))
        return callback(
          refusal(550, `5.1.1 <${address.address}>: Recipient address rejected: User unknown`),
        );
      if (rejections.soft.includes(recipient))
        return callback(
          refusal(
            450,
            `4.2.1 <${address.address}>: Mailbox temporarily unavailable, try again later`,
          ),
        );
      return callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded)
          return callback(refusal(552, '5.3.4 Message exceeds fixed maximum message size'));
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((parsed) => {
            const mailFrom = session.envelope.mailFrom;
            const mail = mailbox.add(
              raw,
              {
                mailFrom: mailFrom ? mailFrom.address : null,
                rcptTo: session.envelope.rcptTo.map((r) => r.address),
              },
              parsed,
            );
            callback(null, `Message queued as ${mail.id}`);
          })
          .catch((err: unknown) =>
            callback(refusal(451, `4.3.0 Could not store the message: ${(err as Error).message}`)),
          );
      });
    },
  });

  const routes: Route[] = [
    route('GET', '/health', () => ({ status: 200, body: { status: 'ok' } })),
    route('GET', '/__emulator/messages', (req) => ({
      status: 200,
      body: {
        messages: mailbox.search({
          to: req.query.get('to'),
          from: req.query.get('from'),
          messageId: req.query.get('messageId'),
          subject: req.query.get('subject'),
        }),
      },
    })),
    route('GET', '/__emulator/messages/:id', (req) => {
      const mail = mailbox.get(req.params.id);
      return mail ? { status: 200, body: mail } : adminError(`no message ${req.params.id}`, 404);
    }),
    route('GET', '/__emulator/messages/:id/raw', (req) => {
      const mail = mailbox.get(req.params.id);
      if (!mail) return adminError(`no message ${req.params.id}`, 404);
      // nodemailer and most clients send 7-bit mail, so the text is the file's bytes.
      return {
        status: 200,
        contentType: 'message/rfc822',
        body: mailbox.raw(mail).toString('utf8'),
      };
    }),
    route('DELETE', '/__emulator/messages', () => (mailbox.clear(), { status: 204 })),
    route('GET', '/__emulator/rejections', () => ({ status: 200, body: rejections })),
    route('PUT', '/__emulator/rejections', (req) => {
      const body = parseJson(req.rawBody) ?? {};
      const isList = (v: unknown) =>
        v === undefined || (Array.isArray(v) && v.every((a) => typeof a === 'string'));
      if (!isList(body.hard) || !isList(body.soft))
        return adminError('hard and soft must be arrays of addresses');
      rejections = {
        hard: ((body.hard as string[]) ?? []).map((a) => a.toLowerCase()),
        soft: ((body.soft as string[]) ?? []).map((a) => a.toLowerCase()),
      };
      return { status: 204 };
    }),
    route('POST', '/__emulator/reset', () => {
      mailbox.clear();
      rejections = { hard: [...config.rejectHard], soft: [...config.rejectSoft] };
      return { status: 204 };
    }),
  ];

  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(config.smtpPort, config.host, () => resolve());
  });
  // Once listening, a client that drops its connection mid-message (a sender killed with
  // SIGKILL) is an 'error' event of smtp-server: the server goes on serving the others.
  smtp.on('error', () => undefined);
  const admin = await listen(
    createRouter(routes, {
      notFound: (req) => adminError(`no route ${req.method} ${req.path}`, 404),
    }),
    config.adminPort,
    config.host,
  ).catch(async (err: unknown) => {
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    throw err;
  });
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  return {
    smtpPort,
    adminUrl: admin.url,
    close: async () => {
      await admin.close();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    },
  };
}

/** The admin API's own errors are problem+json (RFC 9457), like the platform's. */
const adminError = (detail: string, status = 400): Reply => problem(status, detail);

/** A JSON object body; {} when empty, null when it is not a JSON object. */
function parseJson(body: Buffer): Record<string, unknown> | null {
  if (body.length === 0) return {};
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
