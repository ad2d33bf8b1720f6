// The public HubSpot API the emulator answers: OAuth tokens, contacts (CRUD,
// list, search, batch upsert, GDPR delete), notes with contact associations,
// lists and their memberships, contact properties. Shapes follow HubSpot's
// CRM v3 reference; writes made here are the connector's, so their webhooks
// carry changeSource INTEGRATION.
import { formBody, HttpReply, json, jsonBody, Reply, Request, route, Route } from '@engagement/emulator-kit';
import { fail, invalidJson, notFound, oauthError, propertyValuesNotValid, validationError, PropertyValueError, propertyValueError } from './errors';
import { DEFAULT_RETURNED, propertyJson, toEpochMs } from './properties';
import { parseSearch, search } from './search';
import { ChangeSource, Contact, List, Note } from './store';
import type { HubSpotEmulator } from './emulator';

const MAX_BATCH = 100;
const NOTE_PROPERTIES = new Set(['hs_timestamp', 'hs_note_body', 'hubspot_owner_id', 'hs_attachment_ids']);
const NOTE_TO_CONTACT = 202;
const MAX_NOTE_BODY = 65_536;

export function apiRoutes(emu: HubSpotEmulator): Route[] {
  const { store, catalogue } = emu;
  const integration = (): ChangeSource => ({ changeSource: 'INTEGRATION', sourceId: String(emu.config.appId) });
  const body = (req: Request) => jsonBody(req, invalidJson);

  return [
    route('POST', '/oauth/v1/token', (req) => {
      const result = emu.auth.token(formBody(req), Date.now());
      return result.ok ? json(200, result.body) : oauthError(result.status, result.message);
    }),

    route('GET', '/crm/v3/properties/contacts', () => {
      const now = new Date().toISOString();
      return json(200, { results: catalogue.all().map((d) => propertyJson(d, now)) });
    }),

    route('GET', '/crm/v3/properties/contacts/:name', (req) => {
      const def = catalogue.get(req.params.name!);
      if (!def) fail(404, 'OBJECT_NOT_FOUND', `Unable to find property ${req.params.name} for object type contacts`);
      return json(200, propertyJson(def, new Date().toISOString()));
    }),

    route('POST', '/crm/v3/objects/contacts/batch/upsert', (req) => {
      const b = body(req) as { inputs?: unknown } | undefined;
      if (!b || !Array.isArray(b.inputs)) validationError('Invalid input JSON: inputs must be an array');
      const inputs = b.inputs as Array<{ id?: unknown; idProperty?: unknown; properties?: unknown }>;
      if (inputs.length === 0) validationError('inputs must contain at least one input');
      if (inputs.length > MAX_BATCH)
        validationError(`Batch size ${inputs.length} exceeds the maximum of ${MAX_BATCH} inputs`, {
          context: { maxBatchSize: [String(MAX_BATCH)] },
        });
      return batchUpsert(emu, inputs, integration(), Date.now());
    }),

    route('POST', '/crm/v3/objects/contacts/batch/read', (req) => {
      const b = (body(req) ?? {}) as { inputs?: unknown; idProperty?: unknown; properties?: unknown; propertiesWithHistory?: unknown };
      if (!Array.isArray(b.inputs)) validationError('Invalid input JSON: inputs must be an array');
      if (b.inputs.length > MAX_BATCH) validationError(`Batch size ${b.inputs.length} exceeds the maximum of ${MAX_BATCH} inputs`);
      const idProperty = typeof b.idProperty === 'string' ? b.idProperty : null;
      if (idProperty && !catalogue.get(idProperty)) validationError(`Property ${idProperty} does not exist`);
      const props = Array.isArray(b.properties) && b.properties.length ? b.properties.map(String) : DEFAULT_RETURNED;
      const history = Array.isArray(b.propertiesWithHistory) ? b.propertiesWithHistory.map(String) : null;
      const startedAt = new Date().toISOString();
      const results = [];
      const missing: string[] = [];
      for (const input of b.inputs as Array<{ id?: unknown }>) {
        const id = String(input?.id ?? '');
        const c = store.findBy(idProperty, id);
        if (c) results.push(contactJson(c, props, history));
        else missing.push(id);
      }
      const completedAt = new Date().toISOString();
      if (missing.length === 0) return json(200, { status: 'COMPLETE', results, startedAt, completedAt });
      return json(207, {
        status: 'COMPLETE',
        results,
        numErrors: 1,
        errors: [
          {
            status: 'error',
            category: 'OBJECT_NOT_FOUND',
            message: 'Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.',
            context: { ids: missing },
            errors: [],
            links: {},
          },
        ],
        startedAt,
        completedAt,
      });
    }),

    route('POST', '/crm/v3/objects/contacts/batch/archive', (req) => {
      const b = (body(req) ?? {}) as { inputs?: unknown };
      if (!Array.isArray(b.inputs)) validationError('Invalid input JSON: inputs must be an array');
      if (b.inputs.length > MAX_BATCH) validationError(`Batch size ${b.inputs.length} exceeds the maximum of ${MAX_BATCH} inputs`);
      const now = Date.now();
      for (const input of b.inputs as Array<{ id?: unknown }>) {
        const c = store.contact(String(input?.id ?? ''));
        if (c) store.archiveContact(c, integration(), now);
      }
      return json(204);
    }),

    route('POST', '/crm/v3/objects/contacts/search', (req) => {
      const parsed = parseSearch(body(req), (name) => catalogue.get(name) !== undefined);
      if (typeof parsed === 'string') validationError(parsed);
      const { total, page, nextAfter } = search(store.liveContacts(), parsed);
      const props = parsed.properties && parsed.properties.length > 0 ? parsed.properties : DEFAULT_RETURNED;
      return json(200, {
        total,
        results: page.map((c) => contactJson(c, props, null)),
        ...(nextAfter !== null ? { paging: { next: { after: String(nextAfter), link: '' } } } : {}),
      });
    }),

    route('POST', '/crm/v3/objects/contacts/gdpr-delete', (req) => {
      const b = body(req) as { objectId?: unknown; idProperty?: unknown } | undefined;
      if (!b || (typeof b.objectId !== 'string' && typeof b.objectId !== 'number')) validationError('objectId is required');
      const contact = store.findBy(typeof b.idProperty === 'string' ? b.idProperty : null, String(b.objectId));
      if (!contact) notFound();
      store.purgeContact(contact, integration(), Date.now());
      return json(204);
    }),

    route('POST', '/crm/v3/objects/contacts/merge', (req) => {
      const b = (body(req) ?? {}) as { primaryObjectId?: unknown; objectIdToMerge?: unknown };
      const primary = store.contact(String(b.primaryObjectId));
      const merged = store.contact(String(b.objectIdToMerge));
      if (!primary || !merged) notFound();
      if (primary.id === merged.id) validationError('A contact cannot be merged into itself');
      store.mergeContacts(primary, merged, integration(), Date.now());
      return json(200, contactJson(primary, null, null));
    }),

    route('POST', '/crm/v3/objects/contacts', (req) => {
      const b = body(req) as { properties?: unknown } | undefined;
      const values = validProperties(emu, b?.properties);
      if (values.email) {
        const existing = store.findBy('email', values.email);
        if (existing) fail(409, 'CONFLICT', `Contact already exists. Existing ID: ${existing.id}`);
      }
      const contact = store.createContact(values, integration(), Date.now());
      return json(201, contactJson(contact, null, null));
    }),

    route('GET', '/crm/v3/objects/contacts', (req) => {
      const limit = req.query.has('limit') ? Number(req.query.get('limit')) : 10;
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) validationError('limit must be between 1 and 100');
      const archived = req.query.get('archived') === 'true';
      const after = req.query.get('after');
      const all = store.liveContacts(archived);
      const start = after ? all.findIndex((c) => Number(c.id) > Number(after)) : 0;
      const page = start < 0 ? [] : all.slice(start, start + limit);
      const more = start >= 0 && start + limit < all.length;
      const props = listParam(req, 'properties');
      const last = page[page.length - 1];
      return json(200, {
        results: page.map((c) => contactJson(c, props.length ? props : DEFAULT_RETURNED, listParam(req, 'propertiesWithHistory'))),
        ...(more && last
          ? { paging: { next: { after: last.id, link: `${emu.url()}/crm/v3/objects/contacts?after=${last.id}&limit=${limit}` } } }
          : {}),
      });
    }),

    route('GET', '/crm/v3/objects/contacts/:id', (req) => {
      const contact = findForPath(emu, req);
      const props = listParam(req, 'properties');
      return json(200, contactJson(contact, props.length ? props : DEFAULT_RETURNED, listParam(req, 'propertiesWithHistory')));
    }),

    route('PATCH', '/crm/v3/objects/contacts/:id', (req) => {
      const contact = findForPath(emu, req);
      const b = body(req) as { properties?: unknown } | undefined;
      const values = validProperties(emu, b?.properties);
      if (values.email) {
        const other = store.findBy('email', values.email);
        if (other && other.id !== contact.id) fail(409, 'CONFLICT', `A contact with the email '${values.email}' already exists. Existing ID: ${other.id}`);
      }
      store.updateContact(contact, values, integration(), Date.now());
      return json(200, contactJson(contact, null, null));
    }),

    route('DELETE', '/crm/v3/objects/contacts/:id', (req) => {
      const contact = store.contact(req.params.id!);
      // HubSpot answers 204 whether or not the record still exists.
      if (contact) store.archiveContact(contact, integration(), Date.now());
      return json(204);
    }),

    route('POST', '/crm/v3/objects/notes', (req) => {
      const b = body(req) as { properties?: unknown; associations?: unknown } | undefined;
      return createNote(emu, b ?? {});
    }),

    route('GET', '/crm/v3/objects/notes/:id', (req) => {
      const note = store.notes.get(req.params.id!);
      if (!note) notFound();
      return json(200, noteJson(note));
    }),

    route('POST', '/crm/v3/lists', (req) => {
      const b = (body(req) ?? {}) as { name?: unknown; objectTypeId?: unknown; processingType?: unknown };
      if (typeof b.name !== 'string' || b.name.trim() === '') validationError('name is required');
      if (b.objectTypeId !== '0-1') validationError('objectTypeId must be 0-1 (contacts) in this emulator');
      if (b.processingType !== 'MANUAL' && b.processingType !== 'SNAPSHOT' && b.processingType !== 'DYNAMIC')
        validationError('processingType must be MANUAL, SNAPSHOT or DYNAMIC');
      for (const l of store.lists.values())
        if (l.name === b.name) fail(409, 'CONFLICT', `A list named ${b.name} already exists`);
      const list = store.createList(b.name, b.objectTypeId, b.processingType, Date.now());
      return json(200, { list: listJson(list) });
    }),

    route('GET', '/crm/v3/lists/:listId', (req) => json(200, { list: listJson(findList(emu, req)) })),

    route('GET', '/crm/v3/lists/:listId/memberships', (req) => {
      const list = findList(emu, req);
      return json(200, {
        results: [...list.members].map((recordId) => ({ recordId, membershipTimestamp: list.updatedAt })),
      });
    }),

    route('PUT', '/crm/v3/lists/:listId/memberships/add', (req) => {
      const { list, ids } = membershipChange(emu, req);
      const added: string[] = [];
      const missing: string[] = [];
      for (const id of ids) {
        const c = store.contact(id);
        if (!c) missing.push(id);
        else if (!list.members.has(c.id)) {
          list.members.add(c.id);
          added.push(c.id);
        }
      }
      list.updatedAt = new Date().toISOString();
      return json(200, { recordsIdsAdded: added, recordIdsMissing: missing });
    }),

    route('PUT', '/crm/v3/lists/:listId/memberships/remove', (req) => {
      const { list, ids } = membershipChange(emu, req);
      const removed: string[] = [];
      const missing: string[] = [];
      for (const id of ids) {
        if (list.members.delete(id)) removed.push(id);
        else missing.push(id);
      }
      list.updatedAt = new Date().toISOString();
      return json(200, { recordIdsRemoved: removed, recordIdsMissing: missing });
    }),
  ];
}

function batchUpsert(
  emu: HubSpotEmulator,
  inputs: Array<{ id?: unknown; idProperty?: unknown; properties?: unknown }>,
  source: ChangeSource,
  now: number,
): Reply {
  const startedAt = new Date(now).toISOString();
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  const prepared: Array<{ key: string; idProperty: string; values: Record<string, string> } | { key: string; errors: PropertyValueError[] }> = [];
  let usesEmail = false;
  for (const input of inputs) {
    const idProperty = typeof input.idProperty === 'string' ? input.idProperty : '';
    const def = emu.catalogue.get(idProperty);
    if (!def || !(idProperty === 'email' || def.hasUniqueValue) || idProperty === 'hs_object_id')
      validationError(`idProperty must be email or a property with unique values; got "${idProperty}"`);
    if (typeof input.id !== 'string' || input.id === '') validationError('Each input needs an id (the idProperty value)');
    usesEmail ||= idProperty === 'email';
    const key = idProperty === 'email' ? input.id.trim().toLowerCase() : input.id;
    if (seen.has(key)) duplicates.add(input.id);
    seen.add(key);
    const props = input.properties ?? {};
    if (typeof props !== 'object' || props === null || Array.isArray(props)) validationError('properties must be an object');
    const { values, errors } = emu.catalogue.validate({ ...(props as Record<string, unknown>), [idProperty]: input.id });
    prepared.push(errors.length ? { key: input.id, errors } : { key, idProperty, values });
  }
  if (duplicates.size > 0) validationError(`Duplicate IDs found in batch input: [${[...duplicates].join(', ')}]. IDs must be unique`);
  const failed = prepared.filter((p): p is { key: string; errors: PropertyValueError[] } => 'errors' in p);
  // With email as idProperty HubSpot does not do partial upserts: one bad input fails the batch.
  if (failed.length > 0 && (usesEmail || failed.length === prepared.length))
    throw new HttpReply(propertyValuesNotValid(failed.flatMap((f) => f.errors)));
  const results = [];
  for (const p of prepared) {
    if ('errors' in p) continue;
    const existing = emu.store.findBy(p.idProperty, p.key);
    if (existing) {
      emu.store.updateContact(existing, p.values, source, now);
      results.push({ ...contactJson(existing, null, null), new: false });
    } else {
      const created = emu.store.createContact(p.values, source, now);
      results.push({ ...contactJson(created, null, null), new: true });
    }
  }
  const completedAt = new Date().toISOString();
  if (failed.length === 0) return json(200, { status: 'COMPLETE', results, startedAt, completedAt });
  return json(207, {
    status: 'COMPLETE',
    results,
    numErrors: failed.length,
    errors: failed.map((f) => ({
      status: 'error',
      category: 'VALIDATION_ERROR',
      message: `Property values were not valid: ${JSON.stringify(f.errors)}`,
      context: { ids: [f.key] },
      errors: f.errors.map((e) => ({ message: e.message, code: e.error, context: { propertyName: [e.name] } })),
      links: {},
    })),
    startedAt,
    completedAt,
  });
}

function createNote(emu: HubSpotEmulator, b: { properties?: unknown; associations?: unknown }): Reply {
  const props = b.properties;
  if (typeof props !== 'object' || props === null || Array.isArray(props)) validationError('properties must be an object');
  const values: Record<string, string> = {};
  const errors: PropertyValueError[] = [];
  for (const [k, v] of Object.entries(props as Record<string, unknown>)) {
    if (!NOTE_PROPERTIES.has(k)) errors.push(propertyValueError(k, 'PROPERTY_DOESNT_EXIST', `Property "${k}" does not exist`));
    else values[k] = v === null || v === undefined ? '' : String(v);
  }
  if (!values.hs_timestamp)
    errors.push(propertyValueError('hs_timestamp', 'REQUIRED_PROPERTY', 'hs_timestamp is required to create a note'));
  else if (toEpochMs(values.hs_timestamp) === null)
    errors.push(propertyValueError('hs_timestamp', 'INVALID_DATE', `${values.hs_timestamp} was not a valid date`));
  if ((values.hs_note_body ?? '').length > MAX_NOTE_BODY)
    errors.push(propertyValueError('hs_note_body', 'INVALID_STRING', `hs_note_body is longer than ${MAX_NOTE_BODY} characters`));
  if (errors.length) throw new HttpReply(propertyValuesNotValid(errors));
  const contactIds: string[] = [];
  const associations = b.associations ?? [];
  if (!Array.isArray(associations)) validationError('associations must be an array');
  for (const a of associations as Array<{ to?: { id?: unknown }; types?: Array<{ associationCategory?: unknown; associationTypeId?: unknown }> }>) {
    const toId = a?.to?.id;
    const types = a?.types ?? [];
    if (typeof toId !== 'string' && typeof toId !== 'number') validationError('Each association needs to.id');
    if (!types.some((t) => t.associationCategory === 'HUBSPOT_DEFINED' && Number(t.associationTypeId) === NOTE_TO_CONTACT))
      validationError(`Only note-to-contact associations (HUBSPOT_DEFINED, associationTypeId ${NOTE_TO_CONTACT}) are emulated`);
    const contact = emu.store.contact(String(toId));
    if (!contact) validationError(`One or more associations are invalid: contact ${String(toId)} does not exist`);
    contactIds.push(contact.id);
  }
  const note = emu.store.createNote(values, contactIds, Date.now());
  return json(201, noteJson(note));
}

function validProperties(emu: HubSpotEmulator, props: unknown): Record<string, string> {
  if (props === undefined) return {};
  if (typeof props !== 'object' || props === null || Array.isArray(props)) validationError('properties must be an object');
  const { values, errors } = emu.catalogue.validate(props as Record<string, unknown>);
  if (errors.length) throw new HttpReply(propertyValuesNotValid(errors));
  return values;
}

function findForPath(emu: HubSpotEmulator, req: Request): Contact {
  const idProperty = req.query.get('idProperty');
  if (idProperty && !emu.catalogue.get(idProperty)) validationError(`Property ${idProperty} does not exist`);
  const contact = emu.store.findBy(idProperty, req.params.id!);
  if (!contact) notFound();
  return contact;
}

function findList(emu: HubSpotEmulator, req: Request): List {
  const list = emu.store.lists.get(req.params.listId!);
  if (!list) fail(404, 'OBJECT_NOT_FOUND', `List ${req.params.listId} does not exist`);
  return list;
}

function membershipChange(emu: HubSpotEmulator, req: Request): { list: List; ids: string[] } {
  const list = findList(emu, req);
  if (list.processingType === 'DYNAMIC')
    validationError(`List ${list.listId} is a DYNAMIC list: only MANUAL and SNAPSHOT lists can have memberships changed`);
  const b = jsonBody(req, invalidJson);
  if (!Array.isArray(b)) validationError('The body must be an array of record ids');
  if (b.length > 100_000) validationError('At most 100,000 record ids per request');
  return { list, ids: b.map(String) };
}

function listParam(req: Request, name: string): string[] {
  return req.query
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

export function contactJson(c: Contact, props: string[] | null, withHistory: string[] | null) {
  const properties: Record<string, string | null> = {};
  if (props === null) for (const [k, v] of Object.entries(c.properties)) properties[k] = v === '' ? null : v;
  else for (const k of props) properties[k] = c.properties[k] === undefined || c.properties[k] === '' ? null : c.properties[k]!;
  const out: Record<string, unknown> = {
    id: c.id,
    properties,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    archived: c.archived,
    ...(c.archivedAt ? { archivedAt: c.archivedAt } : {}),
  };
  if (withHistory && withHistory.length)
    out.propertiesWithHistory = Object.fromEntries(withHistory.map((k) => [k, c.history[k] ?? []]));
  return out;
}

export function noteJson(n: Note) {
  return {
    id: n.id,
    properties: n.properties,
    createdAt: n.createdAt,
    updatedAt: n.updatedAt,
    archived: false,
    associations: {
      contacts: { results: n.contactIds.map((id) => ({ id, type: 'note_to_contact' })) },
    },
  };
}

export function listJson(l: List) {
  return {
    listId: l.listId,
    name: l.name,
    objectTypeId: l.objectTypeId,
    processingType: l.processingType,
    processingStatus: 'COMPLETE',
    listVersion: 1,
    size: l.members.size,
    createdAt: l.createdAt,
    updatedAt: l.updatedAt,
  };
}
