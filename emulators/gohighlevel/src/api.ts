// The public GoHighLevel API v2 the emulator answers (base
// services.leadconnectorhq.com): OAuth tokens, contacts (upsert, create,
// read, update, delete, the deprecated list GET /contacts/ with
// startAfter/startAfterId paging, and POST /contacts/search with page or
// searchAfter paging), tags and notes. A token only reaches its own
// location's contacts.
import { formBody, json, jsonBody, Request, route, Route } from '@engagement/emulator-kit';
import { randomUUID } from 'node:crypto';
import { Caller } from './auth';
import { normalisePhone, normaliseTags, parseContactInput } from './contact-input';
import { fail, invalidJson, oauthError, unprocessable } from './errors';
import { Contact, contactJson } from './store';
import type { GhlEmulator } from './emulator';

const SEARCH_MAX_PAGE_LIMIT = 500;
const SEARCH_MAX_RESULTS = 10_000;

export function apiRoutes(emu: GhlEmulator): Route[] {
  const { store } = emu;
  const caller = (req: Request) => req.locals.caller as Caller;
  const body = (req: Request) => jsonBody(req, invalidJson);
  const ownLocation = (req: Request, locationId: string | undefined | null) => {
    if (locationId && locationId !== caller(req).locationId) fail(403, 'The token does not have access to this location.');
  };
  const contactOr404 = (req: Request): Contact => {
    const c = store.get(caller(req).locationId, req.params.contactId!);
    if (!c) fail(400, 'Contact not found');
    return c;
  };

  return [
    route('POST', '/oauth/token', (req) => {
      const result = emu.auth.token(formBody(req), Date.now());
      return result.ok ? json(200, result.body) : oauthError(result.error, result.description);
    }),

    route('POST', '/contacts/upsert', (req) => {
      const parsed = parseContactInput(body(req), 'upsert');
      if (!parsed.ok) unprocessable(parsed.messages);
      const { input } = parsed;
      ownLocation(req, input.locationId);
      const now = Date.now();
      const match = store.duplicates.allowDuplicates && input.createNewIfDuplicateAllowed
        ? undefined
        : store.findDuplicate(input.locationId!, input.fields.email, input.fields.phone);
      if (match) {
        // The first field of the match order wins; the other is not written if it would duplicate another contact.
        const fields = { ...input.fields };
        const other = match.field === 'email' ? 'phone' : 'email';
        const clash = store.findDuplicate(input.locationId!, other === 'email' ? fields.email : undefined, other === 'phone' ? fields.phone : undefined);
        if (clash && clash.contact.id !== match.contact.id) delete fields[other];
        store.update(match.contact, fields, now);
        return json(200, { new: false, contact: contactJson(match.contact), traceId: randomUUID() });
      }
      const contact = store.create(input.locationId!, input.fields, now);
      return json(201, { new: true, contact: contactJson(contact), traceId: randomUUID() });
    }),

    route('GET', '/contacts/search/duplicate', (req) => {
      const locationId = req.query.get('locationId');
      if (!locationId) unprocessable(['locationId should not be empty']);
      ownLocation(req, locationId);
      const email = req.query.get('email')?.trim().toLowerCase();
      const number = req.query.get('number');
      const phone = number ? normalisePhone(number) : undefined;
      const found = store.findDuplicate(locationId, email, phone ?? undefined);
      return json(200, { contact: found ? contactJson(found.contact) : null });
    }),

    route('POST', '/contacts/search', (req) => {
      const b = (body(req) ?? {}) as Record<string, unknown>;
      if (typeof b.locationId !== 'string') unprocessable(['locationId should not be empty']);
      ownLocation(req, b.locationId);
      const pageLimit = b.pageLimit === undefined ? 20 : Number(b.pageLimit);
      if (!Number.isInteger(pageLimit) || pageLimit < 1 || pageLimit > SEARCH_MAX_PAGE_LIMIT)
        unprocessable([`pageLimit must not be greater than ${SEARCH_MAX_PAGE_LIMIT}`]);
      const page = b.page === undefined ? 1 : Number(b.page);
      if (!Number.isInteger(page) || page < 1) unprocessable(['page must be a positive number']);
      const filters = Array.isArray(b.filters) ? (b.filters as Array<Record<string, unknown>>) : [];
      let matched = store.inLocation(b.locationId).filter((c) => filters.every((f) => matchesFilter(c, f)));
      if (typeof b.query === 'string' && b.query !== '') {
        const q = b.query.toLowerCase();
        matched = matched.filter((c) =>
          ['firstName', 'lastName', 'name', 'email', 'phone', 'companyName'].some((k) => String(c.fields[k] ?? '').toLowerCase().includes(q)),
        );
      }
      let start = (page - 1) * pageLimit;
      if (Array.isArray(b.searchAfter) && b.searchAfter.length === 2) {
        const [afterMs, afterId] = b.searchAfter as [number, string];
        const i = matched.findIndex((c) => Date.parse(c.dateAdded) > afterMs || (Date.parse(c.dateAdded) === afterMs && c.id > afterId));
        start = i < 0 ? matched.length : i;
      } else if (start + pageLimit > SEARCH_MAX_RESULTS) unprocessable([`page * pageLimit must not exceed ${SEARCH_MAX_RESULTS}; use searchAfter`]);
      const results = matched.slice(start, start + pageLimit).map((c) => ({
        ...contactJson(c),
        searchAfter: [Date.parse(c.dateAdded), c.id],
      }));
      return json(200, { contacts: results, total: matched.length });
    }),

    route('GET', '/contacts', (req) => {
      const locationId = req.query.get('locationId');
      if (!locationId) unprocessable(['locationId should not be empty']);
      ownLocation(req, locationId);
      const limit = req.query.has('limit') ? Number(req.query.get('limit')) : 20;
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) unprocessable(['limit must not be greater than 100']);
      let all = store.inLocation(locationId);
      const query = req.query.get('query');
      if (query) {
        const q = query.toLowerCase();
        all = all.filter((c) => ['firstName', 'lastName', 'name', 'email', 'phone'].some((k) => String(c.fields[k] ?? '').toLowerCase().includes(q)));
      }
      const startAfterId = req.query.get('startAfterId');
      const startAfter = req.query.get('startAfter');
      let start = 0;
      if (startAfterId) {
        const i = all.findIndex((c) => c.id === startAfterId);
        start = i < 0 ? all.findIndex((c) => Date.parse(c.dateAdded) > Number(startAfter ?? 0)) : i + 1;
        if (start < 0) start = all.length;
      }
      const page = all.slice(start, start + limit);
      const last = page[page.length - 1];
      const more = start + limit < all.length;
      const nextParams = last ? new URLSearchParams({ locationId, limit: String(limit), startAfter: String(Date.parse(last.dateAdded)), startAfterId: last.id }) : null;
      return json(200, {
        contacts: page.map(contactJson),
        count: all.length,
        meta: {
          total: all.length,
          currentPage: Math.floor(start / limit) + 1,
          nextPage: more ? Math.floor(start / limit) + 2 : null,
          prevPage: start > 0 ? Math.floor(start / limit) : null,
          startAfterId: more && last ? last.id : null,
          startAfter: more && last ? Date.parse(last.dateAdded) : null,
          nextPageUrl: more && nextParams ? `${emu.url()}/contacts/?${nextParams}` : null,
        },
      });
    }),

    route('POST', '/contacts', (req) => {
      const parsed = parseContactInput(body(req), 'create');
      if (!parsed.ok) unprocessable(parsed.messages);
      const { input } = parsed;
      ownLocation(req, input.locationId);
      if (!store.duplicates.allowDuplicates) {
        const dup = store.findDuplicate(input.locationId!, input.fields.email, input.fields.phone);
        if (dup)
          fail(400, 'This location does not allow duplicated contacts.', {
            meta: { contactName: contactJson(dup.contact).contactName ?? null, contactId: dup.contact.id, matchingField: dup.field },
            traceId: randomUUID(),
          });
      }
      return json(201, { contact: contactJson(store.create(input.locationId!, input.fields, Date.now())) });
    }),

    route('GET', '/contacts/:contactId', (req) => json(200, { contact: contactJson(contactOr404(req)) })),

    route('PUT', '/contacts/:contactId', (req) => {
      const contact = contactOr404(req);
      const parsed = parseContactInput(body(req), 'update');
      if (!parsed.ok) unprocessable(parsed.messages);
      const fields = parsed.input.fields;
      if (!store.duplicates.allowDuplicates) {
        const dup = store.findDuplicate(contact.locationId, fields.email, fields.phone);
        if (dup && dup.contact.id !== contact.id)
          fail(400, 'This location does not allow duplicated contacts.', {
            meta: { contactId: dup.contact.id, matchingField: dup.field },
            traceId: randomUUID(),
          });
      }
      store.update(contact, fields, Date.now());
      return json(200, { succeded: true, contact: contactJson(contact) });
    }),

    route('DELETE', '/contacts/:contactId', (req) => {
      store.delete(contactOr404(req));
      return json(200, { succeded: true });
    }),

    route('POST', '/contacts/:contactId/tags', (req) => {
      const contact = contactOr404(req);
      store.addTags(contact, tagsOf(body(req)), Date.now());
      return json(201, { tags: contact.tags });
    }),

    route('DELETE', '/contacts/:contactId/tags', (req) => {
      const contact = contactOr404(req);
      store.removeTags(contact, tagsOf(body(req)), Date.now());
      return json(200, { tags: contact.tags });
    }),

    route('GET', '/contacts/:contactId/notes', (req) => {
      const contact = contactOr404(req);
      const notes = [...store.notes.values()].filter((n) => n.contactId === contact.id);
      return json(200, { notes });
    }),

    route('POST', '/contacts/:contactId/notes', (req) => {
      const contact = contactOr404(req);
      const b = (body(req) ?? {}) as Record<string, unknown>;
      const extra = Object.keys(b).filter((k) => !['body', 'userId', 'title', 'color', 'pinned'].includes(k));
      if (extra.length) unprocessable(extra.map((k) => `property ${k} should not exist`));
      if (typeof b.body !== 'string' || b.body === '') unprocessable(['body should not be empty', 'body must be a string']);
      const note = store.addNote(contact, b.body, typeof b.userId === 'string' ? b.userId : null, Date.now());
      return json(201, { note });
    }),
  ];
}

function tagsOf(b: unknown): string[] {
  const tags = (b as { tags?: unknown } | undefined)?.tags;
  if (!Array.isArray(tags) || tags.length === 0 || tags.some((t) => typeof t !== 'string'))
    unprocessable(['tags must be an array', 'each value in tags must be a string']);
  return normaliseTags(tags as string[]);
}

/** The search filters the emulator supports: eq, not_eq, contains, exists, not_exists, range. */
function matchesFilter(c: Contact, f: Record<string, unknown>): boolean {
  const field = String(f.field ?? '');
  const actual = field === 'tags' ? c.tags : field === 'dateAdded' ? c.dateAdded : field === 'dateUpdated' ? c.dateUpdated : c.fields[field];
  const value = f.value;
  const asList = Array.isArray(actual) ? actual.map(String) : actual === undefined || actual === null || actual === '' ? [] : [String(actual)];
  const eq = (v: unknown) => asList.some((a) => a.toLowerCase() === String(v).toLowerCase());
  switch (f.operator) {
    case 'eq':
      return Array.isArray(value) ? value.some(eq) : eq(value);
    case 'not_eq':
      return Array.isArray(value) ? !value.some(eq) : !eq(value);
    case 'contains':
      return asList.some((a) => a.toLowerCase().includes(String(value).toLowerCase()));
    case 'exists':
      return asList.length > 0;
    case 'not_exists':
      return asList.length === 0;
    case 'range': {
      const r = (value ?? {}) as Record<string, unknown>;
      const t = asList[0] === undefined ? NaN : Date.parse(asList[0]);
      if (Number.isNaN(t)) return false;
      const at = (v: unknown) => (typeof v === 'number' ? v : Date.parse(String(v)));
      return (r.gt === undefined || t > at(r.gt)) && (r.gte === undefined || t >= at(r.gte)) && (r.lt === undefined || t < at(r.lt)) && (r.lte === undefined || t <= at(r.lte));
    }
    default:
      return false;
  }
}
