// The Zoom emulator's HTTP server: Zoom's OAuth token endpoint and the API v2
// routes our adapters use (meetings, webinars, registrants, past
// participants), plus an admin API under /__emulator for tests (faults, calls
// received, reset, participants joining and leaving, webhooks). The route
// lists below (adminRoutes, sessionRoutes) are the whole surface.
import { randomBytes, createHmac } from 'node:crypto';
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
import type { ZoomEmulatorConfig } from './config';
import { checkBearer, tokenEndpoint, TokenStore } from './oauth';
import { page, Sessions, type Participant, type Session, type SessionKind } from './sessions';
import { post, WebhookSender, type WebhookTarget } from './webhooks';

/** How many calls the admin API keeps (the latest). */
const MAX_CALLS = 10_000;

export interface Call {
  at: string;
  method: string;
  path: string;
  query: string;
  status: number;
}

export interface ZoomEmulator {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startZoomEmulator(
  config: ZoomEmulatorConfig,
  options: { webhookUrl?: string } = {},
): Promise<ZoomEmulator> {
  let baseUrl = '';
  const tokens = new TokenStore();
  const sessions = new Sessions(() => baseUrl);
  const faults = new FaultInjector();
  /** Retry-After (seconds) of injected 429s: the latest fault that gave one, else 1. */
  let retryAfterSeconds = 1;
  const webhooks = new WebhookSender(() => config.webhookRetryDelaysMs, config.webhookTimeoutMs);
  let calls: Call[] = [];
  let webhookTarget: WebhookTarget | null = options.webhookUrl
    ? { url: options.webhookUrl, secretToken: config.webhookSecretToken }
    : null;

  const routes = [
    ...adminRoutes(),
    route('POST', '/oauth/token', (req) => tokenEndpoint(req, config, tokens, Date.now())),
    ...sessionRoutes(sessions),
  ];

  function adminRoutes(): Route[] {
    return [
      route('GET', '/health', () => ({ status: 200, body: { status: 'ok' } })),
      route('GET', '/__emulator/calls', () => ({ status: 200, body: { calls } })),
      route('POST', '/__emulator/reset', () => {
        tokens.clear();
        sessions.clear();
        faults.reset();
        retryAfterSeconds = 1;
        webhooks.clear();
        calls = [];
        webhookTarget = options.webhookUrl
          ? { url: options.webhookUrl, secretToken: config.webhookSecretToken }
          : null;
        return { status: 204 };
      }),
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
      route(
        'POST',
        '/__emulator/tokens/expire',
        () => (tokens.expireAll(Date.now()), { status: 204 }),
      ),
      route('GET', '/__emulator/webhook', () => ({
        status: 200,
        body: { url: webhookTarget?.url ?? null },
      })),
      route('PUT', '/__emulator/webhook', (req) => {
        const body = parseJson(req.rawBody) ?? {};
        if (typeof body.url !== 'string' || !/^https?:\/\//.test(body.url))
          return adminError('url must be an http(s) URL');
        if (body.secretToken !== undefined && typeof body.secretToken !== 'string')
          return adminError('secretToken must be a string');
        webhookTarget = {
          url: body.url,
          secretToken: (body.secretToken as string) ?? config.webhookSecretToken,
        };
        return { status: 204 };
      }),
      route('GET', '/__emulator/webhook/deliveries', () => ({
        status: 200,
        body: { deliveries: webhooks.list() },
      })),
      route('POST', '/__emulator/webhook/url-validation', async () => {
        if (!webhookTarget) return adminError('no webhook URL: PUT /__emulator/webhook first', 409);
        const plainToken = randomBytes(16).toString('base64url');
        const body = {
          payload: { plainToken },
          event_ts: Date.now(),
          event: 'endpoint.url_validation',
        };
        const result = await post(webhookTarget, body, config.webhookTimeoutMs);
        const expected = createHmac('sha256', webhookTarget.secretToken)
          .update(plainToken)
          .digest('hex');
        const answer = result.text ? parseJson(Buffer.from(result.text)) : null;
        const valid =
          result.status === 200 &&
          answer?.plainToken === plainToken &&
          answer?.encryptedToken === expected;
        return {
          status: 200,
          body: { valid, status: result.status, answer: answer ?? result.text ?? null },
        };
      }),
      route('POST', '/__emulator/meetings/:id/participants/join', (req) =>
        participantJoins('meeting', req),
      ),
      route('POST', '/__emulator/meetings/:id/participants/leave', (req) =>
        participantLeaves('meeting', req),
      ),
      route('POST', '/__emulator/webinars/:id/participants/join', (req) =>
        participantJoins('webinar', req),
      ),
      route('POST', '/__emulator/webinars/:id/participants/leave', (req) =>
        participantLeaves('webinar', req),
      ),
    ];
  }

  async function participantJoins(kind: SessionKind, req: Request): Promise<Reply> {
    const session = sessions.find(kind, req.params.id);
    if (!session) return adminError(`no ${kind} ${req.params.id}`, 404);
    const body = parseJson(req.rawBody) ?? {};
    const name = body.user_name ?? body.name;
    if (typeof name !== 'string' || !name) return adminError('user_name is required');
    let registrantId = '';
    if (typeof body.registrant_id === 'string' || typeof body.join_url === 'string') {
      const registrant = sessions.findRegistrant(session, {
        registrantId: body.registrant_id as string | undefined,
        joinUrl: body.join_url as string | undefined,
      });
      if (!registrant) return adminError('no such registrant for this ' + kind, 404);
      if (registrant.status !== 'approved')
        return adminError(`registrant is ${registrant.status}: Zoom would not let them in`, 409);
      registrantId = registrant.id;
    }
    const participant = sessions.join(
      session,
      { name, email: typeof body.email === 'string' ? body.email : '', registrantId },
      atOf(body.join_time),
    );
    const webhook = await notify(`${kind}.participant_joined`, session, participant);
    return { status: 200, body: { participant, webhook } };
  }

  async function participantLeaves(kind: SessionKind, req: Request): Promise<Reply> {
    const session = sessions.find(kind, req.params.id);
    if (!session) return adminError(`no ${kind} ${req.params.id}`, 404);
    const body = parseJson(req.rawBody) ?? {};
    const participant = sessions.leave(
      session,
      {
        participantUuid: body.participant_uuid as string | undefined,
        email: body.email as string | undefined,
        registrantId: body.registrant_id as string | undefined,
      },
      atOf(body.leave_time),
    );
    if (!participant) return adminError('no such participant in this ' + kind, 404);
    const webhook = await notify(
      `${kind}.participant_left`,
      session,
      participant,
      body.leave_reason,
    );
    return { status: 200, body: { participant, webhook } };
  }

  async function notify(event: string, session: Session, p: Participant, leaveReason?: unknown) {
    if (!webhookTarget) return null;
    const participant: Record<string, unknown> = {
      user_id: p.user_id,
      user_name: p.name,
      id: p.id,
      participant_uuid: p.participant_uuid,
      email: p.user_email,
      registrant_id: p.registrant_id,
      participant_user_id: '',
      customer_key: '',
      phone_number: '',
    };
    if (event.endsWith('_joined')) participant.join_time = p.join_time;
    else {
      participant.leave_time = p.leave_time;
      participant.leave_reason = typeof leaveReason === 'string' ? leaveReason : 'left the meeting';
    }
    return webhooks.send(webhookTarget, {
      event,
      event_ts: Date.now(),
      payload: {
        account_id: config.accountId,
        object: {
          id: String(session.id),
          uuid: session.uuid,
          host_id: session.host_id,
          topic: session.topic,
          type: session.type,
          start_time: session.start_time,
          timezone: session.timezone,
          duration: session.duration,
          participant,
        },
      },
    });
  }

  // Admin calls pass untouched; OAuth and API calls meet injected faults
  // first, API calls then need a valid bearer token, and all are recorded.
  const gate: Middleware = {
    before(req) {
      if (isAdmin(req.path)) return undefined;
      const status = faults.take(req.path, Date.now());
      if (status !== null) return faultReply(status, retryAfterSeconds);
      if (req.path.startsWith('/v2/')) return checkBearer(req, tokens, Date.now()) ?? undefined;
      return undefined;
    },
    after(req, reply) {
      if (isAdmin(req.path)) return;
      const query = req.query.toString();
      calls.push({
        at: new Date().toISOString(),
        method: req.method,
        path: req.path,
        query: query ? `?${query}` : '',
        status: reply.status,
      });
      // Keep the latest calls only: a long-running emulator must not grow without bound.
      if (calls.length > MAX_CALLS) calls.splice(0, calls.length - MAX_CALLS);
    },
  };
  const running = await listen(
    createRouter(routes, {
      middleware: [gate],
      notFound: (req) =>
        isAdmin(req.path) ? adminError(`no route ${req.method} ${req.path}`, 404) : notFound(),
    }),
    config.port,
    config.host,
  );
  const port = running.port;
  baseUrl = running.url;
  return {
    url: baseUrl,
    port,
    close: async () => {
      webhooks.clear();
      await running.close();
    },
  };
}

/** Meetings and webinars share their routes but for the path words. */
function sessionRoutes(sessions: Sessions): Route[] {
  const routes: Route[] = [];
  for (const kind of ['meeting', 'webinar'] as const) {
    const plural = `${kind}s`;
    const label = kind === 'meeting' ? 'Meeting' : 'Webinar';
    const notThere = (id: string): Reply => ({
      status: 404,
      body: { code: 3001, message: `${label} does not exist: ${id}.` },
    });
    const withSession = (handler: (s: Session, req: Request) => Reply) => (req: Request) => {
      const id = req.params.id;
      const session = /^\d+$/.test(id) ? sessions.find(kind, id) : null;
      return session ? handler(session, req) : notThere(id);
    };
    routes.push(
      route(`POST`, `/v2/users/:userId/${plural}`, (req) => {
        const body = parseJson(req.rawBody);
        if (!body) return invalidJson();
        const invalid = validateSession(body);
        if (invalid) return invalid;
        return {
          status: 201,
          body: view(sessions.create(kind, req.params.userId, body, new Date())),
        };
      }),
      route(
        'GET',
        `/v2/${plural}/:id`,
        withSession((session) => ({ status: 200, body: view(session) })),
      ),
      route(
        'PATCH',
        `/v2/${plural}/:id`,
        withSession((session, req) => {
          const body = parseJson(req.rawBody);
          if (!body) return invalidJson();
          const invalid = validateSession(body);
          if (invalid) return invalid;
          sessions.update(session, body);
          return { status: 204 };
        }),
      ),
      route(
        'DELETE',
        `/v2/${plural}/:id`,
        withSession((session) => (sessions.delete(session), { status: 204 })),
      ),
      route(
        'POST',
        `/v2/${plural}/:id/registrants`,
        withSession((session, req) => {
          const body = parseJson(req.rawBody);
          if (!body) return invalidJson();
          const errors = [
            ...(typeof body.email === 'string' && /^[^@\s]+@[^@\s]+$/.test(body.email)
              ? []
              : [{ field: 'email', message: 'Invalid field.' }]),
            ...(typeof body.first_name === 'string' && body.first_name
              ? []
              : [{ field: 'first_name', message: 'Invalid field.' }]),
          ];
          if (errors.length) return validationFailed(errors);
          const registrant = sessions.register(session, body, new Date());
          return {
            status: 201,
            body: {
              id: session.id,
              registrant_id: registrant.id,
              topic: session.topic,
              start_time: session.start_time,
              occurrences: [],
              // A registrant waiting for manual approval has no join URL yet.
              ...(registrant.status === 'approved' ? { join_url: registrant.join_url } : {}),
              participant_pinned_chat: false,
            },
          };
        }),
      ),
      route(
        'GET',
        `/v2/${plural}/:id/registrants`,
        withSession((session, req) => {
          const status = req.query.get('status') ?? 'approved';
          const result = page(
            sessions.registrantsOf(session).filter((r) => r.status === status),
            req.query,
          );
          if (typeof result === 'string')
            return validationFailed([{ field: 'page_size', message: result }]);
          const { items, ...paging } = result;
          return { status: 200, body: { ...paging, registrants: items } };
        }),
      ),
      route(
        'PUT',
        `/v2/${plural}/:id/registrants/status`,
        withSession((session, req) => {
          const body = parseJson(req.rawBody);
          if (!body) return invalidJson();
          if (!['approve', 'cancel', 'deny'].includes(body.action as string))
            return validationFailed([{ field: 'action', message: 'Invalid field.' }]);
          const who = Array.isArray(body.registrants)
            ? (body.registrants as { id?: string; email?: string }[])
            : [];
          sessions.setRegistrantStatus(session, body.action as string, who);
          return { status: 204 };
        }),
      ),
      route('GET', `/v2/past_${plural}/:uuid/participants`, (req) => {
        const session = sessions.find(kind, decodeAgain(req.params.uuid));
        if (!session) return notThere(req.params.uuid);
        const result = page(sessions.participantsOf(session), req.query);
        if (typeof result === 'string')
          return validationFailed([{ field: 'page_size', message: result }]);
        const { items, ...paging } = result;
        return {
          status: 200,
          body: {
            page_count: Math.ceil(paging.total_records / paging.page_size),
            ...paging,
            participants: items,
          },
        };
      }),
    );
  }
  return routes;
}

/** A session as Zoom answers it: without the emulator's own `kind`. */
function view(session: Session): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...session };
  delete copy.kind;
  return copy;
}

function validateSession(body: Record<string, unknown>): Reply | null {
  const errors: { field: string; message: string }[] = [];
  if (body.topic !== undefined && (typeof body.topic !== 'string' || body.topic.length > 200))
    errors.push({ field: 'topic', message: 'Invalid field.' });
  if (body.type !== undefined && !Number.isInteger(body.type))
    errors.push({ field: 'type', message: 'Invalid field.' });
  if (body.duration !== undefined && !Number.isInteger(body.duration))
    errors.push({ field: 'duration', message: 'Invalid field.' });
  if (
    body.start_time !== undefined &&
    (typeof body.start_time !== 'string' || Number.isNaN(Date.parse(body.start_time)))
  )
    errors.push({ field: 'start_time', message: 'Invalid field.' });
  if (body.settings !== undefined && (typeof body.settings !== 'object' || body.settings === null))
    errors.push({ field: 'settings', message: 'Invalid field.' });
  return errors.length ? validationFailed(errors) : null;
}

function faultReply(status: number, retryAfterSeconds = 1): Reply {
  if (status === 429)
    return {
      status,
      headers: {
        'Retry-After': String(retryAfterSeconds),
        'X-RateLimit-Category': 'Light',
        'X-RateLimit-Type': 'QPS',
        'X-RateLimit-Limit': '30',
        'X-RateLimit-Remaining': '0',
      },
      body: {
        code: 429,
        message:
          'You have reached the maximum per-second rate limit for this API. Try again later.',
      },
    };
  return {
    status,
    body: {
      code: status,
      message: status >= 500 ? 'Service temporarily unavailable.' : 'Request failed.',
    },
  };
}

function atOf(value: unknown): Date {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value))
    ? new Date(value)
    : new Date();
}

const notFound = (): Reply => ({ status: 404, body: { code: 404, message: 'Not Found' } });
const invalidJson = (): Reply => ({
  status: 400,
  body: { code: 300, message: 'Request Body should be a valid JSON object.' },
});
const validationFailed = (errors: { field: string; message: string }[]): Reply => ({
  status: 400,
  body: { code: 300, message: 'Validation Failed.', errors },
});
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

/** Zoom asks for UUIDs that begin with `/` or contain `//` to be encoded twice: the router undid one. */
function decodeAgain(value: string): string {
  try {
    return /%[0-9A-Fa-f]{2}/.test(value) ? decodeURIComponent(value) : value;
  } catch {
    return value;
  }
}
