// Retries that never double, through the real gateway and contacts
// processes. Between them sits a proxy that forwards every request at once
// but holds the contacts service's answer to the first POST /activities
// past the gateway's timeout: the activity is recorded, yet the client gets
// a 504, which the gateway does not keep for replay. The client retries
// with the same Idempotency-Key; the gateway passed the key to the service,
// whose event ids derive from it, so the retry finds the first attempt's
// events and answers with its result: one activity, one lead-score change.
// The same without a key records the activity twice: a write without a key
// is at most once per request, and a client's retry is another request.
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startPlatformUnderTest, type PlatformUnderTest } from './platform-under-test';

/** Forwards to `target`; answers of requests `holdAnswer` picks come `holdMs` late. */
class SlowAnswers {
  target = '';
  holdAnswer: (method: string, path: string) => boolean = () => false;
  held = 0;
  private readonly server: Server;

  constructor(private readonly holdMs: number) {
    this.server = createServer((incoming, outgoing) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const url = new URL(incoming.url ?? '/', this.target);
        const hold = this.holdAnswer(incoming.method ?? '', url.pathname);
        // The service's request goes on whatever happens to the gateway's.
        const upstream = httpRequest(
          url,
          { method: incoming.method, headers: incoming.headers },
          (answer: IncomingMessage) => {
            const body: Buffer[] = [];
            answer.on('data', (chunk: Buffer) => body.push(chunk));
            answer.on('end', async () => {
              if (hold) {
                this.held++;
                await new Promise((r) => setTimeout(r, this.holdMs));
              }
              if (outgoing.destroyed) return;
              outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
              outgoing.end(Buffer.concat(body));
            });
          },
        );
        upstream.on('error', () => {
          if (!outgoing.destroyed) outgoing.writeHead(502).end();
        });
        upstream.end(Buffer.concat(chunks));
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

// Long enough that only the held answers miss it, even on a busy machine.
const GATEWAY_TIMEOUT_MS = 5_000;
let platform: PlatformUnderTest;
const proxy = new SlowAnswers(GATEWAY_TIMEOUT_MS + 2_000);

beforeAll(async () => {
  const proxyUrl = await proxy.listen();
  platform = await startPlatformUnderTest({
    gatewayEnv: { CONTACTS_URL: proxyUrl, UPSTREAM_TIMEOUT_MS: String(GATEWAY_TIMEOUT_MS) },
  });
  proxy.target = platform.contactsUrl;
});

afterAll(async () => {
  await platform?.stop();
  await proxy.close();
});

async function api(
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${platform.gatewayUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${platform.apiKey}`,
      'content-type': 'application/json',
      ...headers,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** The contact's activities and lead-score changes, as stored. */
async function storedFor(contactId: string) {
  const { rows } = await platform.pool.query<{ type: string; data: Record<string, unknown> }>(
    `SELECT event_type AS type, data FROM "${platform.eventStoreSchema}".events
      WHERE stream_id = $1 ORDER BY revision`,
    [`contact-${contactId}`],
  );
  return {
    activities: rows.filter((r) => r.type === 'ActivityRecorded'),
    scoreChanges: rows.filter((r) => r.type === 'ContactLeadScoreChanged'),
  };
}

/** Posts the activity; the first answer of a POST /activities is held past the gateway's timeout. */
async function timeoutThenRetry(contactId: string, headers: Record<string, string>) {
  const activity = { contactId, activityType: 'form_submitted', activityData: { form: 'demo' } };
  let first = true;
  proxy.holdAnswer = (method, path) => {
    const hold = first && method === 'POST' && path === '/activities';
    if (hold) first = false;
    return hold;
  };
  const timedOut = await api('POST', '/api/activities', activity, headers);
  const retried = await api('POST', '/api/activities', activity, headers);
  proxy.holdAnswer = () => false;
  return { timedOut, retried };
}

async function newContact() {
  const created = await api('POST', '/api/contacts', {
    email: `retry-${randomUUID().slice(0, 8)}@example.com`,
  });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

it('a retry with the same Idempotency-Key after a 504 records the activity once and answers with the first result', async () => {
  const contactId = await newContact();
  const { timedOut, retried } = await timeoutThenRetry(contactId, {
    'idempotency-key': randomUUID(),
  });
  expect(timedOut.status).toBe(504);
  expect(retried.status).toBe(201);

  const { activities, scoreChanges } = await storedFor(contactId);
  expect(activities).toHaveLength(1);
  expect(scoreChanges).toHaveLength(1);
  expect(scoreChanges[0]!.data).toMatchObject({ from: 0, to: 10 });
  // The first result: the activity the first attempt recorded, at its position.
  expect(retried.body.id).toBe(activities[0]!.data.activityId);

  const read = await fetch(
    `${platform.gatewayUrl}/api/contacts/${contactId}?waitForPosition=${retried.body.position}`,
    { headers: { authorization: `Bearer ${platform.apiKey}` } },
  );
  expect(read.status).toBe(200);
  const s = `"${platform.contactsSchema}"`;
  const rows = await platform.pool.query(`SELECT id FROM ${s}.activities WHERE contact_id = $1`, [
    contactId,
  ]);
  expect(rows.rowCount).toBe(1);
  const score = await platform.pool.query(`SELECT lead_score FROM ${s}.contacts WHERE id = $1`, [
    contactId,
  ]);
  expect(score.rows[0].lead_score).toBe(10);
});

it('the same retry without a key is another request: the activity is recorded twice', async () => {
  const contactId = await newContact();
  const { timedOut, retried } = await timeoutThenRetry(contactId, {});
  expect(timedOut.status).toBe(504);
  expect(retried.status).toBe(201);
  const { activities, scoreChanges } = await storedFor(contactId);
  expect(activities).toHaveLength(2);
  expect(scoreChanges.map((c) => c.data.to)).toEqual([10, 20]);
});

it('a contact created with a key and retried after a 504 is created once, with the same id', async () => {
  const created = async () =>
    (
      await platform.pool.query<{ stream_id: string }>(
        `SELECT stream_id FROM "${platform.eventStoreSchema}".events WHERE event_type = 'ContactCreated'`,
      )
    ).rows.map((r) => r.stream_id);
  const before = await created();
  const email = `retry-${randomUUID().slice(0, 8)}@example.com`;
  const key = randomUUID();
  let first = true;
  proxy.holdAnswer = (method, path) => {
    const hold = first && method === 'POST' && path === '/contacts';
    if (hold) first = false;
    return hold;
  };
  const timedOut = await api('POST', '/api/contacts', { email }, { 'idempotency-key': key });
  const retried = await api('POST', '/api/contacts', { email }, { 'idempotency-key': key });
  proxy.holdAnswer = () => false;
  expect(timedOut.status).toBe(504);
  expect(retried.status).toBe(201);
  const after = await created();
  expect(after.filter((stream) => !before.includes(stream))).toEqual([
    `contact-${retried.body.id}`,
  ]);
});
