// The emulator's own admin API under /__emulator/ (not HubSpot's): reset,
// fault injection, token revocation, runtime limits, what is stored, request
// counters, webhook settings and switches, and edits "as a CRM user" that
// send webhooks with changeSource CRM_UI. Errors here are problem+json.
import { HttpReply, json, jsonBody, optionalNumber, parseFaultSpec, problem, Request, route, Route } from '@engagement/emulator-kit';
import { contactJson, listJson, noteJson } from './api';
import { PropertyDefinition } from './properties';
import { ChangeSource, Contact } from './store';
import type { HubSpotEmulator } from './emulator';
import { SUBSCRIPTION_TYPES } from './webhooks';

function bad(message: string): never {
  throw new HttpReply(problem(400, message));
}

function objectBody(req: Request): Record<string, unknown> {
  const b = jsonBody(req, () => problem(400, 'body is not valid JSON')) ?? {};
  if (typeof b !== 'object' || b === null || Array.isArray(b)) bad('body must be a JSON object');
  return b as Record<string, unknown>;
}

export function adminRoutes(emu: HubSpotEmulator): Route[] {
  const user = (): ChangeSource => ({ changeSource: 'CRM_UI', sourceId: `userId:${emu.config.userId}` });
  const contactOr404 = (id: string): Contact => {
    const c = emu.store.contact(id);
    if (!c) throw new HttpReply(problem(404, `contact ${id} not found`));
    return c;
  };
  const userProperties = (b: Record<string, unknown>): Record<string, string> => {
    if (typeof b.properties !== 'object' || b.properties === null) bad('properties must be an object');
    const { values, errors } = emu.catalogue.validate(b.properties as Record<string, unknown>);
    if (errors.length) throw new HttpReply(problem(400, 'invalid properties', { errors }));
    return values;
  };

  return [
    route('GET', '/health', () => json(200, { status: 'ok', emulator: 'hubspot' })),

    route('GET', '/__emulator', () =>
      json(200, {
        emulator: 'hubspot',
        portalId: emu.config.portalId,
        appId: emu.config.appId,
        userId: emu.config.userId,
        privateAppToken: emu.config.privateAppToken,
        clientId: emu.config.clientId,
        clientSecret: emu.config.clientSecret,
        refreshToken: emu.config.refreshToken,
        authorizationCode: emu.config.authorizationCode,
        limits: limits(emu),
      }),
    ),

    route('POST', '/__emulator/reset', () => {
      emu.reset();
      return json(200, { reset: true });
    }),

    route('GET', '/__emulator/config', () => json(200, limits(emu))),

    route('PATCH', '/__emulator/config', (req) => {
      const b = objectBody(req);
      try {
        const c = emu.config;
        c.rateLimitMax = optionalNumber(b, 'rateLimitMax') ?? c.rateLimitMax;
        c.oauthRateLimitMax = optionalNumber(b, 'oauthRateLimitMax') ?? c.oauthRateLimitMax;
        c.rateLimitIntervalMs = optionalNumber(b, 'rateLimitIntervalMs') ?? c.rateLimitIntervalMs;
        c.dailyLimit = optionalNumber(b, 'dailyLimit') ?? c.dailyLimit;
        c.searchPerSecond = optionalNumber(b, 'searchPerSecond') ?? c.searchPerSecond;
        c.searchIntervalMs = optionalNumber(b, 'searchIntervalMs') ?? c.searchIntervalMs;
        c.accessTokenTtlSeconds = optionalNumber(b, 'accessTokenTtlSeconds') ?? c.accessTokenTtlSeconds;
      } catch (err) {
        bad((err as Error).message);
      }
      applyLimits(emu);
      return json(200, limits(emu));
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

    route('GET', '/__emulator/tokens', () => json(200, emu.auth.describe())),
    route('POST', '/__emulator/oauth/codes', (req) => {
      const b = objectBody(req);
      const redirectUri = typeof b.redirectUri === 'string' ? b.redirectUri : null;
      return json(201, { code: emu.auth.newCode(redirectUri), redirectUri });
    }),
    route('POST', '/__emulator/tokens/revoke', (req) => {
      const b = objectBody(req);
      const revoked = emu.auth.revoke({
        refreshToken: typeof b.refreshToken === 'string' ? b.refreshToken : undefined,
        accessToken: typeof b.accessToken === 'string' ? b.accessToken : undefined,
        privateApp: b.privateApp === true,
      });
      return json(200, { revoked });
    }),
    route('POST', '/__emulator/tokens/expire', () => json(200, { expired: emu.auth.expireAccessTokens(Date.now()) })),

    route('GET', '/__emulator/contacts', () =>
      json(200, {
        results: [...emu.store.contacts.values()].map((c) => ({
          ...contactJson(c, null, null),
          propertiesWithHistory: c.history,
        })),
      }),
    ),
    route('POST', '/__emulator/contacts', (req) => {
      const values = userProperties(objectBody(req));
      if (values.email && emu.store.findBy('email', values.email)) bad(`a contact with email ${values.email} exists`);
      return json(201, contactJson(emu.store.createContact(values, user(), Date.now()), null, null));
    }),
    route('POST', '/__emulator/contacts/merge', (req) => {
      const b = objectBody(req);
      const primary = contactOr404(String(b.primaryObjectId));
      const merged = contactOr404(String(b.objectIdToMerge));
      if (primary.id === merged.id) bad('cannot merge a contact into itself');
      emu.store.mergeContacts(primary, merged, user(), Date.now());
      return json(200, contactJson(primary, null, null));
    }),
    route('PATCH', '/__emulator/contacts/:id', (req) => {
      const contact = contactOr404(req.params.id!);
      emu.store.updateContact(contact, userProperties(objectBody(req)), user(), Date.now());
      return json(200, contactJson(contact, null, null));
    }),
    route('DELETE', '/__emulator/contacts/:id', (req) => {
      emu.store.archiveContact(contactOr404(req.params.id!), user(), Date.now());
      return json(204);
    }),

    route('GET', '/__emulator/notes', () => json(200, { results: [...emu.store.notes.values()].map(noteJson) })),
    route('GET', '/__emulator/lists', () =>
      json(200, { results: [...emu.store.lists.values()].map((l) => ({ ...listJson(l), memberIds: [...l.members] })) }),
    ),

    route('POST', '/__emulator/properties', (req) => {
      const b = objectBody(req);
      if (typeof b.name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(b.name)) bad('name must be a lowercase property name');
      const type = (b.type as PropertyDefinition['type']) ?? 'string';
      if (!['string', 'number', 'datetime', 'date', 'enumeration', 'bool'].includes(type)) bad('unknown type');
      const def: PropertyDefinition = {
        name: b.name,
        label: typeof b.label === 'string' ? b.label : b.name,
        type,
        fieldType: type === 'enumeration' ? 'select' : type === 'number' ? 'number' : 'text',
        groupName: 'contactinformation',
        readOnlyValue: false,
        hasUniqueValue: b.hasUniqueValue === true,
        hubspotDefined: false,
        options: Array.isArray(b.options) ? b.options.map(String) : undefined,
      };
      emu.catalogue.add(def);
      return json(201, def);
    }),

    route('GET', '/__emulator/stats', () =>
      json(200, {
        ...emu.stats.snapshot({
          ...emu.limiter.peak(),
          ...emu.oauthLimiter.peak(),
          ...Object.fromEntries(Object.entries(emu.searchLimiter.peak()).map(([k, v]) => [`search:${k}`, v])),
        }),
        limits: limits(emu),
        faultsInjected: emu.faults.injectedCount(),
      }),
    ),
    route('DELETE', '/__emulator/stats', () => {
      emu.stats.reset();
      return json(200, { reset: true });
    }),

    route('GET', '/__emulator/webhooks', () =>
      json(200, { ...emu.webhooks.settings, ...emu.webhooks.sender.getPolicy(), ...emu.webhooks.sender.switches() }),
    ),
    route('PUT', '/__emulator/webhooks', (req) => {
      const b = objectBody(req);
      const s = emu.webhooks.settings;
      if (b.targetUrl !== undefined) {
        if (b.targetUrl !== null && (typeof b.targetUrl !== 'string' || !/^https?:\/\//.test(b.targetUrl)))
          bad('targetUrl must be an http(s) URL or null');
        s.targetUrl = b.targetUrl as string | null;
      }
      if (b.clientSecret !== undefined) {
        if (typeof b.clientSecret !== 'string' || b.clientSecret === '') bad('clientSecret must be a non-empty string');
        emu.config.clientSecret = b.clientSecret;
      }
      if (b.subscriptions !== undefined) {
        if (!Array.isArray(b.subscriptions) || b.subscriptions.some((t) => !(SUBSCRIPTION_TYPES as readonly string[]).includes(t)))
          bad(`subscriptions must be a list of ${SUBSCRIPTION_TYPES.join(', ')}`);
        s.subscriptions = b.subscriptions as string[];
      }
      if (b.propertyChangeProperties !== undefined) {
        if (b.propertyChangeProperties !== null && !Array.isArray(b.propertyChangeProperties))
          bad('propertyChangeProperties must be a list of property names or null');
        s.propertyChangeProperties = b.propertyChangeProperties as string[] | null;
      }
      try {
        s.batchDelayMs = optionalNumber(b, 'batchDelayMs') ?? s.batchDelayMs;
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
      return json(200, { ...s, ...emu.webhooks.sender.getPolicy(), ...emu.webhooks.sender.switches() });
    }),
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

function limits(emu: HubSpotEmulator) {
  const c = emu.config;
  return {
    rateLimitMax: c.rateLimitMax,
    oauthRateLimitMax: c.oauthRateLimitMax,
    rateLimitIntervalMs: c.rateLimitIntervalMs,
    dailyLimit: c.dailyLimit,
    searchPerSecond: c.searchPerSecond,
    searchIntervalMs: c.searchIntervalMs,
    accessTokenTtlSeconds: c.accessTokenTtlSeconds,
  };
}

function applyLimits(emu: HubSpotEmulator): void {
  const c = emu.config;
  emu.limiter.setLimit({ max: c.rateLimitMax, intervalMs: c.rateLimitIntervalMs });
  emu.oauthLimiter.setLimit({ max: c.oauthRateLimitMax, intervalMs: c.rateLimitIntervalMs });
  emu.searchLimiter.setLimit({ max: c.searchPerSecond, intervalMs: c.searchIntervalMs });
  emu.daily.setMax(c.dailyLimit);
}
