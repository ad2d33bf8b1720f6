// The emulator's own admin API under /__emulator/ (not GoHighLevel's): reset,
// fault injection, token revocation, extra locations, duplicate settings,
// runtime limits, what is stored, request counters, webhook settings,
// switches and public keys, and edits "as a GoHighLevel user" that always
// send webhooks. Errors here are problem+json.
import { HttpReply, json, jsonBody, optionalNumber, parseFaultSpec, problem, Request, route, Route } from '@engagement/emulator-kit';
import { normaliseTags, parseContactInput } from './contact-input';
import { Contact, contactJson } from './store';
import type { GhlEmulator } from './emulator';
import { EVENT_TYPES } from './webhooks';

function bad(message: string): never {
  throw new HttpReply(problem(400, message));
}

function objectBody(req: Request): Record<string, unknown> {
  const b = jsonBody(req, () => problem(400, 'body is not valid JSON')) ?? {};
  if (typeof b !== 'object' || b === null || Array.isArray(b)) bad('body must be a JSON object');
  return b as Record<string, unknown>;
}

export function adminRoutes(emu: GhlEmulator): Route[] {
  const contactOr404 = (id: string): Contact => {
    const c = emu.store.contacts.get(id);
    if (!c) throw new HttpReply(problem(404, `contact ${id} not found`));
    return c;
  };
  const tags = (b: Record<string, unknown>): string[] => {
    if (!Array.isArray(b.tags) || b.tags.some((t) => typeof t !== 'string')) bad('tags must be a list of strings');
    return normaliseTags(b.tags as string[]);
  };

  return [
    route('GET', '/health', () => json(200, { status: 'ok', emulator: 'gohighlevel' })),

    route('GET', '/__emulator', () =>
      json(200, {
        emulator: 'gohighlevel',
        companyId: emu.config.companyId,
        locationId: emu.config.locationId,
        privateIntegrationToken: emu.config.privateIntegrationToken,
        clientId: emu.config.clientId,
        clientSecret: emu.config.clientSecret,
        appId: emu.auth.appId(),
        refreshToken: emu.config.refreshToken,
        authorizationCode: emu.config.authorizationCode,
        apiVersions: emu.config.apiVersions,
        webhookPublicKeyFile: emu.webhooks.keys.publicKeyFile(),
        limits: limits(emu),
      }),
    ),

    route('POST', '/__emulator/reset', () => {
      emu.reset();
      return json(200, { reset: true });
    }),

    route('GET', '/__emulator/config', () => json(200, { ...limits(emu), duplicates: emu.store.duplicates, echoApiChanges: emu.echoApiChanges })),
    route('PATCH', '/__emulator/config', (req) => {
      const b = objectBody(req);
      const c = emu.config;
      try {
        c.rateLimitMax = optionalNumber(b, 'rateLimitMax') ?? c.rateLimitMax;
        c.rateLimitIntervalMs = optionalNumber(b, 'rateLimitIntervalMs') ?? c.rateLimitIntervalMs;
        c.dailyLimit = optionalNumber(b, 'dailyLimit') ?? c.dailyLimit;
        c.accessTokenTtlSeconds = optionalNumber(b, 'accessTokenTtlSeconds') ?? c.accessTokenTtlSeconds;
      } catch (err) {
        bad((err as Error).message);
      }
      if (b.allowDuplicates !== undefined) {
        if (typeof b.allowDuplicates !== 'boolean') bad('allowDuplicates must be true or false');
        emu.store.duplicates.allowDuplicates = b.allowDuplicates;
      }
      if (b.matchOrder !== undefined) {
        const order = b.matchOrder;
        if (!Array.isArray(order) || order.length === 0 || order.some((f) => f !== 'email' && f !== 'phone')) bad('matchOrder must list email and/or phone');
        emu.store.duplicates.matchOrder = order as Array<'email' | 'phone'>;
      }
      if (b.echoApiChanges !== undefined) {
        if (typeof b.echoApiChanges !== 'boolean') bad('echoApiChanges must be true or false');
        emu.echoApiChanges = b.echoApiChanges;
      }
      emu.limiter.setLimit({ max: c.rateLimitMax, intervalMs: c.rateLimitIntervalMs });
      emu.daily.setMax(c.dailyLimit);
      return json(200, { ...limits(emu), duplicates: emu.store.duplicates, echoApiChanges: emu.echoApiChanges });
    }),

    route('POST', '/__emulator/faults', (req) => {
      const spec = parseFaultSpec(objectBody(req));
      if (typeof spec === 'string') bad(spec);
      emu.faults.add(spec, Date.now());
      return json(201, { faults: emu.faults.list(Date.now()) });
    }),
    route('GET', '/__emulator/faults', () => json(200, { faults: emu.faults.list(Date.now()), injected: emu.faults.injectedCount() })),
    route('DELETE', '/__emulator/faults', () => {
      emu.faults.clear();
      return json(200, { faults: [] });
    }),

    route('POST', '/__emulator/locations', (req) => {
      const b = objectBody(req);
      if (typeof b.locationId !== 'string' || !/^[A-Za-z0-9]{1,40}$/.test(b.locationId)) bad('locationId must be letters and digits');
      return json(201, { locationId: b.locationId, privateIntegrationToken: emu.auth.addLocation(b.locationId) });
    }),
    route('GET', '/__emulator/tokens', () => json(200, emu.auth.describe())),
    route('POST', '/__emulator/oauth/codes', (req) => {
      const b = objectBody(req);
      const locationId = typeof b.locationId === 'string' ? b.locationId : emu.config.locationId;
      if (!emu.auth.locations.has(locationId)) bad(`unknown location ${locationId}`);
      return json(201, { code: emu.auth.newCode(locationId), locationId });
    }),
    route('POST', '/__emulator/tokens/revoke', (req) => {
      const b = objectBody(req);
      const str = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : undefined);
      return json(200, {
        revoked: emu.auth.revoke({
          refreshToken: str('refreshToken'),
          accessToken: str('accessToken'),
          privateIntegrationToken: str('privateIntegrationToken'),
          locationId: str('locationId'),
        }),
      });
    }),
    route('POST', '/__emulator/tokens/expire', () => json(200, { expired: emu.auth.expireAccessTokens(Date.now()) })),

    route('GET', '/__emulator/contacts', () => json(200, { contacts: [...emu.store.contacts.values()].map(contactJson) })),
    route('GET', '/__emulator/notes', () => json(200, { notes: [...emu.store.notes.values()] })),
    route('GET', '/__emulator/tags', () => {
      const byTag: Record<string, string[]> = {};
      for (const c of emu.store.contacts.values()) for (const t of c.tags) (byTag[t] ??= []).push(c.id);
      return json(200, { tags: byTag });
    }),

    route('POST', '/__emulator/contacts', (req) => {
      const parsed = parseContactInput({ locationId: emu.config.locationId, ...objectBody(req) }, 'create');
      if (!parsed.ok) throw new HttpReply(problem(400, 'invalid contact', { errors: parsed.messages }));
      const { locationId, fields } = parsed.input;
      if (!emu.store.duplicates.allowDuplicates && emu.store.findDuplicate(locationId!, fields.email, fields.phone))
        bad('a contact with this email or phone exists');
      return json(201, { contact: contactJson(emu.asUser(() => emu.store.create(locationId!, fields, Date.now()))) });
    }),
    route('PUT', '/__emulator/contacts/:id', (req) => {
      const contact = contactOr404(req.params.id!);
      const parsed = parseContactInput(objectBody(req), 'update');
      if (!parsed.ok) throw new HttpReply(problem(400, 'invalid contact', { errors: parsed.messages }));
      emu.asUser(() => emu.store.update(contact, parsed.input.fields, Date.now()));
      return json(200, { contact: contactJson(contact) });
    }),
    route('DELETE', '/__emulator/contacts/:id', (req) => {
      const contact = contactOr404(req.params.id!);
      emu.asUser(() => emu.store.delete(contact));
      return json(204);
    }),
    route('POST', '/__emulator/contacts/:id/tags', (req) => {
      const contact = contactOr404(req.params.id!);
      emu.asUser(() => emu.store.addTags(contact, tags(objectBody(req)), Date.now()));
      return json(200, { tags: contact.tags });
    }),
    route('DELETE', '/__emulator/contacts/:id/tags', (req) => {
      const contact = contactOr404(req.params.id!);
      emu.asUser(() => emu.store.removeTags(contact, tags(objectBody(req)), Date.now()));
      return json(200, { tags: contact.tags });
    }),

    route('GET', '/__emulator/stats', () =>
      json(200, { ...emu.stats.snapshot(emu.limiter.peak()), limits: limits(emu), faultsInjected: emu.faults.injectedCount() }),
    ),
    route('DELETE', '/__emulator/stats', () => {
      emu.stats.reset();
      return json(200, { reset: true });
    }),

    route('GET', '/__emulator/webhooks', () => json(200, webhookSettings(emu))),
    route('PUT', '/__emulator/webhooks', (req) => {
      const b = objectBody(req);
      const s = emu.webhooks.settings;
      if (b.targetUrl !== undefined) {
        if (b.targetUrl !== null && (typeof b.targetUrl !== 'string' || !/^https?:\/\//.test(b.targetUrl)))
          bad('targetUrl must be an http(s) URL or null');
        s.targetUrl = b.targetUrl as string | null;
      }
      if (b.events !== undefined) {
        if (!Array.isArray(b.events) || b.events.some((t) => !(EVENT_TYPES as readonly string[]).includes(t)))
          bad(`events must be a list of ${EVENT_TYPES.join(', ')}`);
        s.events = b.events as string[];
      }
      if (b.legacySignature !== undefined) {
        if (typeof b.legacySignature !== 'boolean') bad('legacySignature must be true or false');
        s.legacySignature = b.legacySignature;
      }
      try {
        const p = emu.webhooks.sender.getPolicy();
        emu.webhooks.sender.setPolicy({
          maxAttempts: optionalNumber(b, 'maxAttempts') ?? p.maxAttempts,
          retryBaseMs: optionalNumber(b, 'retryBaseMs') ?? p.retryBaseMs,
          retryMaxMs: optionalNumber(b, 'retryMaxMs') ?? p.retryMaxMs,
          timeoutMs: optionalNumber(b, 'timeoutMs') ?? p.timeoutMs,
        });
      } catch (err) {
        bad((err as Error).message);
      }
      return json(200, webhookSettings(emu));
    }),
    route('GET', '/__emulator/webhooks/public-key', () => ({
      status: 200,
      body: emu.webhooks.keys.publicKeyPem,
      contentType: 'application/x-pem-file',
    })),
    route('GET', '/__emulator/webhooks/legacy-public-key', () => ({
      status: 200,
      body: emu.webhooks.keys.legacyKeys().publicKeyPem,
      contentType: 'application/x-pem-file',
    })),
    route('POST', '/__emulator/webhooks/drop', (req) => {
      const count = objectBody(req).count;
      if (!Number.isInteger(count) || (count as number) < 0) bad('count must be a non-negative integer');
      emu.webhooks.sender.dropNext(count as number);
      return json(200, emu.webhooks.sender.switches());
    }),
    route('POST', '/__emulator/webhooks/duplicate', (req) => {
      const enabled = objectBody(req).enabled;
      if (typeof enabled !== 'boolean') bad('enabled must be true or false');
      emu.webhooks.sender.setDuplicate(enabled);
      return json(200, emu.webhooks.sender.switches());
    }),
    route('POST', '/__emulator/webhooks/flush', async () => {
      await emu.webhooks.idle();
      return json(200, { deliveries: emu.webhooks.sender.deliveries().length });
    }),
    route('GET', '/__emulator/webhooks/deliveries', () => json(200, { deliveries: emu.webhooks.sender.deliveries() })),
  ];
}

function webhookSettings(emu: GhlEmulator) {
  return {
    ...emu.webhooks.settings,
    ...emu.webhooks.sender.getPolicy(),
    ...emu.webhooks.sender.switches(),
    publicKeyFile: emu.webhooks.keys.publicKeyFile(),
  };
}

function limits(emu: GhlEmulator) {
  const c = emu.config;
  return {
    rateLimitMax: c.rateLimitMax,
    rateLimitIntervalMs: c.rateLimitIntervalMs,
    dailyLimit: c.dailyLimit,
    accessTokenTtlSeconds: c.accessTokenTtlSeconds,
  };
}
