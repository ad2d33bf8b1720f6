// The Twilio emulator's HTTP server: the Messages API (send, fetch) with
// Basic auth AccountSid:AuthToken, status progression announced by signed
// status callbacks, and an admin API under /__emulator for tests (messages
// received, number outcomes, faults, calls, reset).
import {
  createRouter,
  FaultInjector,
  listen,
  parseFaultSpec,
  problem,
  route,
  type Middleware,
  type Reply,
  type Request,
  type Route,
} from '@engagement/emulator-kit';
import type { TwilioEmulatorConfig } from './config';
import {
  bareNumber,
  ERROR_MESSAGES,
  newMessage,
  parseSendRequest,
  rfc2822,
  statusSteps,
  type Message,
  type NumberRule,
  type Outcome,
  type TwilioError,
} from './messages';
import { twilioSignature } from './signature';

export interface Callback {
  at: string;
  url: string;
  params: Record<string, string>;
  status: number | null;
  error?: string;
}

/** A message with what the emulator did with it. */
export interface Received {
  message: Message;
  statusCallback: string | null;
  callbacks: Callback[];
}

/** How many calls the admin API keeps (the latest). */
const MAX_CALLS = 10_000;

export interface Call {
  at: string;
  method: string;
  path: string;
  status: number;
}

export interface TwilioEmulator {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startTwilioEmulator(config: TwilioEmulatorConfig): Promise<TwilioEmulator> {
  let received: Received[] = [];
  let calls: Call[] = [];
  const rules = new Map<string, NumberRule>();
  const faults = new FaultInjector();
  /** Retry-After (seconds) of injected 429s: the latest fault that said (none until one does). */
  let retryAfterSeconds: number | undefined;
  const timers = new Set<NodeJS.Timeout>();
  const base = `/2010-04-01/Accounts/:accountSid`;

  const api: Route[] = [
    route('POST', `${base}/Messages.json`, (req) => sendMessage(req)),
    // `:file` is `{Sid}.json`.
    route('GET', `${base}/Messages/:file`, (req) => fetchMessage(req)),
  ];

  const admin: Route[] = [
    route('GET', '/health', () => ({ status: 200, body: { status: 'ok' } })),
    route('GET', '/__emulator/messages', (req) => {
      const to = req.query.get('to');
      const sid = req.query.get('sid');
      const messages = received.filter(
        (r) =>
          (!to || bareNumber(r.message.to) === bareNumber(to)) && (!sid || r.message.sid === sid),
      );
      return { status: 200, body: { messages } };
    }),
    route('GET', '/__emulator/numbers', () => ({
      status: 200,
      body: { numbers: [...rules.values()] },
    })),
    route('POST', '/__emulator/numbers', (req) => {
      const body = parseJson(req.rawBody) ?? {};
      const number = typeof body.number === 'string' ? bareNumber(body.number) : '';
      if (!/^\+[1-9]\d{6,14}$/.test(number))
        return adminError('number must be an E.164 number (+…), whatsapp: allowed');
      if (!['unsubscribed', 'undelivered', 'failed'].includes(body.outcome as string))
        return adminError('outcome must be unsubscribed, undelivered or failed');
      if (body.errorCode !== undefined && !Number.isInteger(body.errorCode))
        return adminError('errorCode must be an integer (e.g. 30003, 30005, 30006)');
      rules.set(number, {
        number,
        outcome: body.outcome as Outcome,
        errorCode: (body.errorCode as number) ?? null,
      });
      return { status: 204 };
    }),
    route(
      'DELETE',
      '/__emulator/numbers/:number',
      (req) => (rules.delete(bareNumber(req.params.number)), { status: 204 }),
    ),
    route('GET', '/__emulator/faults', () => ({
      status: 200,
      body: { faults: faults.list(Date.now()) },
    })),
    route('POST', '/__emulator/faults', (req) => {
      const body = parseJson(req.rawBody) ?? {};
      const spec = parseFaultSpec(body);
      if (typeof spec === 'string') return adminError(spec);
      const retryAfter = body.retryAfterSeconds;
      if (retryAfter !== undefined && (typeof retryAfter !== 'number' || retryAfter < 0))
        return adminError('retryAfterSeconds must be a number ≥ 0');
      if (typeof retryAfter === 'number') retryAfterSeconds = retryAfter;
      faults.add(spec, Date.now());
      return { status: 201, body: { faults: faults.list(Date.now()) } };
    }),
    route('DELETE', '/__emulator/faults', () => (faults.clear(), { status: 204 })),
    route('GET', '/__emulator/calls', () => ({ status: 200, body: { calls } })),
    route('POST', '/__emulator/reset', () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      received = [];
      calls = [];
      rules.clear();
      faults.reset();
      retryAfterSeconds = undefined;
      return { status: 204 };
    }),
  ];

  function authenticate(req: Request): Reply | null {
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    const [user, password] = basic
      ? Buffer.from(basic[1], 'base64').toString('utf8').split(':')
      : [];
    if (user === config.accountSid && password === config.authToken) {
      if (req.params.accountSid === config.accountSid) return null;
      return twilioError({
        status: 404,
        code: 20404,
        message: `The requested resource ${req.path} was not found`,
      });
    }
    const reply = twilioError({ status: 401, code: 20003, message: 'Authenticate' });
    return {
      ...reply,
      headers: { ...reply.headers, 'www-authenticate': 'Basic realm="Twilio API"' },
    };
  }

  function sendMessage(req: Request): Reply {
    const unauthorized = authenticate(req);
    if (unauthorized) return unauthorized;
    const params = new URLSearchParams(req.rawBody.toString('utf8'));
    const request = parseSendRequest(params, rules);
    if ('code' in request) return twilioError(request);
    const message = newMessage(config.accountSid, request, new Date());
    const entry: Received = { message, statusCallback: request.statusCallback, callbacks: [] };
    received.push(entry);
    progress(
      entry,
      statusSteps(message.status as 'queued' | 'accepted', rules.get(bareNumber(message.to))),
    );
    return { status: 201, body: message };
  }

  function fetchMessage(req: Request): Reply {
    const unauthorized = authenticate(req);
    if (unauthorized) return unauthorized;
    const sid = req.params.file.endsWith('.json')
      ? req.params.file.slice(0, -'.json'.length)
      : null;
    const entry = received.find((r) => r.message.sid === sid);
    if (!entry)
      return twilioError({
        status: 404,
        code: 20404,
        message: `The requested resource ${req.path} was not found`,
      });
    return { status: 200, body: entry.message };
  }

  /** Moves the message one status at a time, sending each status callback before the next step. */
  function progress(entry: Received, steps: { status: string; errorCode: number | null }[]): void {
    const [step, ...rest] = steps;
    if (!step) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      const m = entry.message;
      const now = new Date();
      m.status = step.status;
      m.date_updated = rfc2822(now);
      if (step.status === 'queued' && !m.from) m.from = config.messagingServiceFrom;
      if (step.status === 'sent') m.date_sent = rfc2822(now);
      if (step.errorCode !== null) {
        m.error_code = step.errorCode;
        m.error_message = ERROR_MESSAGES[step.errorCode] ?? null;
      }
      void statusCallback(entry, step.errorCode).then(() => progress(entry, rest));
    }, config.statusStepMs);
    timers.add(timer);
  }

  async function statusCallback(entry: Received, errorCode: number | null): Promise<void> {
    const url = entry.statusCallback;
    if (!url) return;
    const m = entry.message;
    const params: Record<string, string> = {
      AccountSid: m.account_sid,
      ApiVersion: m.api_version,
      From: m.from ?? '',
      MessageSid: m.sid,
      MessageStatus: m.status,
      SmsSid: m.sid,
      SmsStatus: m.status,
      To: m.to,
    };
    if (m.messaging_service_sid) params.MessagingServiceSid = m.messaging_service_sid;
    if (errorCode !== null) params.ErrorCode = String(errorCode);
    const callback: Callback = { at: new Date().toISOString(), url, params, status: null };
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'user-agent': 'TwilioProxy/1.1',
          'x-twilio-signature': twilioSignature(config.authToken, url, params),
        },
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(15_000),
      });
      await res.arrayBuffer();
      callback.status = res.status;
    } catch (err) {
      // Twilio does not retry a status callback that fails: neither do we.
      callback.error = (err as Error).message;
    }
    entry.callbacks.push(callback);
  }

  // Admin calls pass untouched; API calls meet injected faults first, and
  // are recorded.
  const gate: Middleware = {
    before(req) {
      if (isAdmin(req.path)) return undefined;
      const status = faults.take(req.path, Date.now());
      return status === null ? undefined : faultReply(status, retryAfterSeconds);
    },
    after(req, reply) {
      if (isAdmin(req.path)) return;
      calls.push({
        at: new Date().toISOString(),
        method: req.method,
        path: req.path,
        status: reply.status,
      });
      // Keep the latest calls only: a long-running emulator must not grow without bound.
      if (calls.length > MAX_CALLS) calls.splice(0, calls.length - MAX_CALLS);
    },
  };
  const running = await listen(
    createRouter([...admin, ...api], {
      middleware: [gate],
      notFound: (req) =>
        isAdmin(req.path)
          ? adminError(`no route ${req.method} ${req.path}`, 404)
          : twilioError({
              status: 404,
              code: 20404,
              message: `The requested resource ${req.path} was not found`,
            }),
    }),
    config.port,
    config.host,
  );
  const port = running.port;
  return {
    url: `http://${config.host}:${port}`,
    port,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      await running.close();
    },
  };
}

/** Twilio's error body: `{code, message, more_info, status}`. */
function twilioError(error: TwilioError): Reply {
  return {
    status: error.status,
    body: {
      code: error.code,
      message: error.message,
      more_info: `https://www.twilio.com/docs/errors/${error.code}`,
      status: error.status,
    },
  };
}

function faultReply(status: number, retryAfterSeconds?: number): Reply {
  const code = status === 429 ? 20429 : status >= 500 ? 20500 : 20001;
  const message =
    status === 429
      ? 'Too Many Requests'
      : status >= 500
        ? 'Internal Server Error'
        : 'Request failed';
  const reply = twilioError({ status, code, message });
  if (retryAfterSeconds !== undefined) reply.headers = { 'retry-after': String(retryAfterSeconds) };
  return reply;
}

/** The admin API's own errors are problem+json (RFC 9457), like the platform's. */
const adminError = (detail: string, status = 400): Reply => problem(status, detail);

const isAdmin = (path: string) => path === '/health' || path.startsWith('/__emulator/');

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
