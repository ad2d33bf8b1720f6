// Drives the Twilio emulator with the official `twilio` client (pointed at
// the emulator through a custom httpClient) and over plain HTTP, and checks
// the status callbacks it signs with twilio.validateRequest.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import { TWILIO_EMULATOR_DEFAULTS, startTwilioEmulator, type TwilioEmulator } from './index';

const config = { ...TWILIO_EMULATOR_DEFAULTS, port: 0, statusStepMs: 5 };
const { accountSid, authToken } = config;
const messagesPath = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
const basic = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;

/**
 * How a service points the official client at the emulator: the client's
 * documented `httpClient` option, a RequestClient that sends every request
 * to the emulator's origin instead of https://*.twilio.com.
 */
class EmulatorRequestClient extends twilio.RequestClient {
  constructor(private readonly baseUrl: string) {
    super();
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const target = new URL(opts.uri);
    const base = new URL(this.baseUrl);
    target.protocol = base.protocol;
    target.host = base.host;
    return super.request({ ...opts, uri: target.href });
  }
}

interface Callback {
  url: string;
  headers: IncomingHttpHeaders;
  params: Record<string, string>;
}

async function callbackReceiver() {
  const received: Callback[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const params = Object.fromEntries(
        new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
      );
      received.push({ url: `${origin}${req.url}`, headers: req.headers, params });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/twilio/status?tenant=t1`,
    received,
    /** Waits until `count` callbacks for this message arrived. */
    async forMessage(sid: string, count: number): Promise<Callback[]> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const mine = received.filter((c) => c.params.MessageSid === sid);
        if (mine.length >= count) return mine;
        if (Date.now() > deadline)
          throw new Error(`${mine.length} of ${count} callbacks for ${sid}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('Twilio emulator', () => {
  let emulator: TwilioEmulator;
  let receiver: Awaited<ReturnType<typeof callbackReceiver>>;

  const post = (form: Record<string, string>, auth = basic) =>
    fetch(`${emulator.url}${messagesPath}`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${emulator.url}/__emulator${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    emulator = await startTwilioEmulator(config);
    receiver = await callbackReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await emulator.close();
  });
  beforeEach(async () => {
    expect((await admin('POST', '/reset')).status).toBe(204);
  });

  it('sends an SMS from the official client and delivers signed status callbacks', async () => {
    const client = twilio(accountSid, authToken, {
      httpClient: new EmulatorRequestClient(emulator.url),
    });
    const message = await client.messages.create({
      to: '+15558675310',
      from: '+15017122661',
      body: 'Your webinar starts in 1 hour',
      statusCallback: receiver.url,
    });
    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(message.status).toBe('queued');
    expect(message.errorCode).toBeNull();

    const callbacks = await receiver.forMessage(message.sid, 2);
    expect(callbacks.map((c) => c.params.MessageStatus)).toEqual(['sent', 'delivered']);
    for (const callback of callbacks) {
      const signature = String(callback.headers['x-twilio-signature']);
      expect(twilio.validateRequest(authToken, signature, callback.url, callback.params)).toBe(
        true,
      );
      expect(
        twilio.validateRequest('another-token', signature, callback.url, callback.params),
      ).toBe(false);
      expect(callback.params).toMatchObject({
        To: '+15558675310',
        From: '+15017122661',
        AccountSid: accountSid,
      });
      expect(callback.params).not.toHaveProperty('ErrorCode');
    }

    const fetched = await client.messages(message.sid).fetch();
    expect(fetched.status).toBe('delivered');
    expect(fetched.dateSent).toBeInstanceOf(Date);
  });

  it('surfaces documented 400 errors through the official client', async () => {
    const client = twilio(accountSid, authToken, {
      httpClient: new EmulatorRequestClient(emulator.url),
    });
    await admin('POST', '/numbers', { number: '+15550000001', outcome: 'unsubscribed' });
    await expect(
      client.messages.create({ to: '+15550000001', from: '+15017122661', body: 'hi' }),
    ).rejects.toMatchObject({ status: 400, code: 21610 });
    await expect(
      client.messages.create({ to: '12', from: '+15017122661', body: 'hi' }),
    ).rejects.toMatchObject({
      status: 400,
      code: 21211,
    });
  });

  it('answers 401 code 20003 to wrong credentials', async () => {
    const res = await post(
      { To: '+15558675310', From: '+15017122661', Body: 'x' },
      `Basic ${Buffer.from(`${accountSid}:wrong`).toString('base64')}`,
    );
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({
      code: 20003,
      status: 401,
      more_info: 'https://www.twilio.com/docs/errors/20003',
    });
  });

  it('validates To, From and Body with Twilio error codes', async () => {
    const cases: [Record<string, string>, number][] = [
      [{ From: '+15017122661', Body: 'x' }, 21604],
      [{ To: 'not-a-number', From: '+15017122661', Body: 'x' }, 21211],
      [{ To: '+15558675310', Body: 'x' }, 21603],
      [{ To: '+15558675310', From: '+15017122661' }, 21602],
      [{ To: '+15558675310', From: '+15017122661', Body: 'x', StatusCallback: 'not a url' }, 21609],
    ];
    for (const [form, code] of cases) {
      const res = await post(form);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code });
    }
    const { messages } = (await (await admin('GET', '/messages')).json()) as {
      messages: unknown[];
    };
    expect(messages).toEqual([]);
  });

  it('ends messages to numbers marked failing as undelivered or failed, with their error code', async () => {
    await admin('POST', '/numbers', {
      number: '+15550000002',
      outcome: 'undelivered',
      errorCode: 30005,
    });
    await admin('POST', '/numbers', {
      number: '+15550000003',
      outcome: 'failed',
      errorCode: 30006,
    });
    const send = async (to: string) => {
      const res = await post({
        To: to,
        From: '+15017122661',
        Body: 'x',
        StatusCallback: receiver.url,
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { sid: string }).sid;
    };
    const undelivered = await receiver.forMessage(await send('+15550000002'), 2);
    expect(undelivered.map((c) => [c.params.MessageStatus, c.params.ErrorCode])).toEqual([
      ['sent', undefined],
      ['undelivered', '30005'],
    ]);
    const failedSid = await send('+15550000003');
    const failed = await receiver.forMessage(failedSid, 1);
    expect(failed.map((c) => [c.params.MessageStatus, c.params.ErrorCode])).toEqual([
      ['failed', '30006'],
    ]);

    const res = await fetch(
      `${emulator.url}/2010-04-01/Accounts/${accountSid}/Messages/${failedSid}.json`,
      {
        headers: { authorization: basic },
      },
    );
    expect(await res.json()).toMatchObject({
      status: 'failed',
      error_code: 30006,
      error_message: 'Landline or unreachable carrier',
    });

    expect((await admin('DELETE', '/numbers/+15550000003')).status).toBe(204);
    const again = await receiver.forMessage(await send('+15550000003'), 2);
    expect(again.map((c) => c.params.MessageStatus)).toEqual(['sent', 'delivered']);
  });

  it('handles whatsapp: addresses and Messaging Services like SMS', async () => {
    const service = `MG${'a'.repeat(32)}`;
    await admin('POST', '/numbers', { number: 'whatsapp:+15550000004', outcome: 'unsubscribed' });
    const refused = await post({
      To: 'whatsapp:+15550000004',
      MessagingServiceSid: service,
      Body: 'x',
    });
    expect(await refused.json()).toMatchObject({ code: 21610 });

    const res = await post({
      To: 'whatsapp:+15558675310',
      MessagingServiceSid: service,
      Body: 'Hola',
      StatusCallback: receiver.url,
    });
    expect(res.status).toBe(201);
    const message = (await res.json()) as {
      sid: string;
      status: string;
      from: string | null;
      messaging_service_sid: string;
    };
    expect(message).toMatchObject({
      status: 'accepted',
      from: null,
      messaging_service_sid: service,
    });
    const callbacks = await receiver.forMessage(message.sid, 3);
    expect(callbacks.map((c) => c.params.MessageStatus)).toEqual(['queued', 'sent', 'delivered']);
    expect(callbacks[0].params).toMatchObject({
      To: 'whatsapp:+15558675310',
      MessagingServiceSid: service,
    });

    const listed = (await (await admin('GET', '/messages?to=%2B15558675310')).json()) as {
      messages: { message: { sid: string; status: string }; callbacks: { status: number }[] }[];
    };
    expect(listed.messages.map((m) => m.message.sid)).toEqual([message.sid]);
    expect(listed.messages[0].callbacks.map((c) => c.status)).toEqual([204, 204, 204]);
  });

  it('answers injected 429 (code 20429) and 5xx faults, then recovers', async () => {
    await admin('POST', '/faults', { status: 429, count: 1, retryAfterSeconds: 2 });
    await admin('POST', '/faults', { status: 503, count: 1 });
    const limited = await post({ To: '+15558675310', From: '+15017122661', Body: 'x' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(await limited.json()).toMatchObject({ code: 20429, status: 429 });
    const unavailable = await post({ To: '+15558675310', From: '+15017122661', Body: 'x' });
    expect(unavailable.status).toBe(503);
    expect((await post({ To: '+15558675310', From: '+15017122661', Body: 'x' })).status).toBe(201);
    const { calls } = (await (await admin('GET', '/calls')).json()) as {
      calls: { status: number }[];
    };
    expect(calls.map((c) => c.status)).toEqual([429, 503, 201]);
  });
});
