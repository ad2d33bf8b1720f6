// Property-based: whatever malformed input a client sends to a write
// endpoint (bodies that are not objects, wrong types, oversized strings,
// unknown fields, invalid emails, phones, time zones, bad path parameters,
// broken JSON), the answer is a 4xx problem+json and nothing is written to
// the event store.
import fc from 'fast-check';
import { canonicalTimezone, isE164, isValidEmail, normaliseEmail, normalisePhone } from '../domain';
import { startTestApp, uniqueEmail, type TestApp } from '../shared/test-app.testing';

type Kind =
  | 'string'
  | 'email'
  | 'phone'
  | 'timezone'
  | 'enum'
  | 'stringArray'
  | 'propertyMap'
  | 'jsonObject'
  | 'boolean'
  | 'uuid'
  | 'propertyValue';

interface Field {
  name: string;
  kind: Kind;
  /** Longest string accepted (string kinds). */
  max?: number;
  nullable?: boolean;
}

interface Endpoint {
  label: string;
  method: string;
  path: () => string;
  /** A valid body; the cases below break one thing in it. */
  base: () => Record<string, unknown>;
  fields: Field[];
}

let t: TestApp;
let contactId: string;
let tagId: string;

beforeAll(async () => {
  t = await startTestApp();
  const contact = await t.request('POST', '/contacts', { email: uniqueEmail('fuzz') });
  contactId = contact.body.id;
  const tag = await t.request('POST', '/tags', { name: `Fuzz ${Date.now()}` });
  tagId = tag.body.id;
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const identityFields: Field[] = [
  { name: 'firstName', kind: 'string', max: 1_000, nullable: true },
  { name: 'lastName', kind: 'string', max: 1_000, nullable: true },
  { name: 'phone', kind: 'phone', max: 64, nullable: true },
  { name: 'timezone', kind: 'timezone', max: 100 },
  { name: 'locale', kind: 'string', max: 35 },
  { name: 'avatarUrl', kind: 'string', max: 2_048, nullable: true },
];

const createFields: Field[] = [
  { name: 'email', kind: 'email', max: 320 },
  ...identityFields,
  { name: 'lifecycleStage', kind: 'enum' },
  { name: 'properties', kind: 'propertyMap' },
  { name: 'tags', kind: 'stringArray', max: 100 },
  { name: 'syncToCrms', kind: 'stringArray', max: 50 },
];

const endpoints: Endpoint[] = [
  {
    label: 'POST /contacts',
    method: 'POST',
    path: () => '/contacts',
    base: () => ({ email: uniqueEmail() }),
    fields: createFields,
  },
  {
    label: 'PUT /contacts',
    method: 'PUT',
    path: () => '/contacts',
    base: () => ({ email: uniqueEmail() }),
    fields: createFields,
  },
  {
    label: 'PATCH /contacts/:id',
    method: 'PATCH',
    path: () => `/contacts/${contactId}`,
    base: () => ({}),
    fields: [{ name: 'email', kind: 'email', max: 320 }, ...identityFields],
  },
  {
    label: 'POST /contacts/:id/tags',
    method: 'POST',
    path: () => `/contacts/${contactId}/tags`,
    base: () => ({ tags: ['fuzz-tag'] }),
    fields: [{ name: 'tags', kind: 'stringArray', max: 100 }],
  },
  {
    label: 'PUT /contacts/:id/properties/company',
    method: 'PUT',
    path: () => `/contacts/${contactId}/properties/company`,
    base: () => ({ value: 'Acme' }),
    fields: [
      { name: 'value', kind: 'propertyValue', max: 10_000 },
      { name: 'type', kind: 'enum' },
      { name: 'enumOptions', kind: 'stringArray', max: 200 },
      { name: 'source', kind: 'enum' },
    ],
  },
  {
    label: 'PUT /contacts/:id/consent/email',
    method: 'PUT',
    path: () => `/contacts/${contactId}/consent/email`,
    base: () => ({ granted: true }),
    fields: [
      { name: 'granted', kind: 'boolean' },
      { name: 'at', kind: 'string', max: 40 },
      { name: 'ip', kind: 'string', max: 64, nullable: true },
    ],
  },
  {
    label: 'PUT /contacts/:id/lifecycle-stage',
    method: 'PUT',
    path: () => `/contacts/${contactId}/lifecycle-stage`,
    base: () => ({ stage: 'mql' }),
    fields: [{ name: 'stage', kind: 'enum' }],
  },
  {
    label: 'PUT /contacts/:id/status',
    method: 'PUT',
    path: () => `/contacts/${contactId}/status`,
    base: () => ({ status: 'bounced' }),
    fields: [{ name: 'status', kind: 'enum' }],
  },
  {
    label: 'PUT /contacts/:id/external-mappings/hubspot',
    method: 'PUT',
    path: () => `/contacts/${contactId}/external-mappings/hubspot`,
    base: () => ({ externalId: '1', syncDirection: 'push_only' }),
    fields: [
      { name: 'externalId', kind: 'string', max: 255 },
      { name: 'url', kind: 'string', max: 2_048, nullable: true },
      { name: 'syncDirection', kind: 'enum' },
      { name: 'syncedAt', kind: 'string', max: 40, nullable: true },
    ],
  },
  {
    label: 'POST /tags',
    method: 'POST',
    path: () => '/tags',
    base: () => ({ name: `T ${Math.random()}` }),
    fields: [
      { name: 'name', kind: 'string', max: 1_000 },
      { name: 'slug', kind: 'string', max: 100 },
      { name: 'color', kind: 'string', max: 20, nullable: true },
      { name: 'description', kind: 'string', max: 10_000, nullable: true },
      { name: 'category', kind: 'enum', nullable: true },
      { name: 'isSystem', kind: 'boolean' },
    ],
  },
  {
    label: 'PATCH /tags/:id',
    method: 'PATCH',
    path: () => `/tags/${tagId}`,
    base: () => ({}),
    fields: [
      { name: 'name', kind: 'string', max: 1_000 },
      { name: 'slug', kind: 'string', max: 100 },
      { name: 'category', kind: 'enum', nullable: true },
    ],
  },
  {
    label: 'PUT /tags/:id/crm-mappings/hubspot',
    method: 'PUT',
    path: () => `/tags/${tagId}/crm-mappings/hubspot`,
    base: () => ({ mappingType: 'list', externalId: '1' }),
    fields: [
      { name: 'mappingType', kind: 'enum' },
      { name: 'externalId', kind: 'string', max: 1_000 },
    ],
  },
  {
    label: 'POST /activities',
    method: 'POST',
    path: () => '/activities',
    base: () => ({ contactId, activityType: 'page_viewed', activityData: { url: '/x' } }),
    fields: [
      { name: 'contactId', kind: 'uuid' },
      { name: 'activityType', kind: 'enum' },
      { name: 'activityData', kind: 'jsonObject' },
      { name: 'syncToCrms', kind: 'stringArray', max: 50 },
      { name: 'activityId', kind: 'uuid' },
      { name: 'occurredAt', kind: 'string', max: 40 },
      { name: 'relatedToType', kind: 'string', max: 50 },
      { name: 'source', kind: 'enum' },
    ],
  },
];

const KNOWN_FIELDS = new Set(endpoints.flatMap((e) => e.fields.map((f) => f.name)));

const notAString = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.array(fc.string(), { minLength: 1, maxLength: 3 }),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.string(), { minKeys: 1, maxKeys: 3 }),
);

/** A value that cannot be right for the field (the field's own type excluded). */
function wrongValue(field: Field): fc.Arbitrary<unknown> {
  // null means "clear" where a field is nullable, and is refused everywhere else.
  const nullIfRequired = field.nullable ? [] : [fc.constant(null)];
  switch (field.kind) {
    case 'string':
    case 'enum':
      return fc.oneof(notAString, ...nullIfRequired);
    case 'email':
      return fc.oneof(
        notAString,
        fc.string({ maxLength: 60 }).filter((s) => !isValidEmail(normaliseEmail(s))),
      );
    case 'phone':
      return fc.oneof(
        notAString,
        fc
          .string({ minLength: 1, maxLength: 30 })
          .filter((s) => s.trim() !== '' && !isE164(normalisePhone(s))),
        ...nullIfRequired,
      );
    case 'timezone':
      return fc.oneof(
        notAString,
        fc.string({ maxLength: 40 }).filter((s) => canonicalTimezone(s) === null),
        fc.constantFrom('EST', '+05:00', 'Mars/Olympus_Mons', 'europe berlin'),
        ...nullIfRequired,
      );
    case 'stringArray':
      return fc.oneof(
        fc.string(),
        fc.integer(),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.string(), { minKeys: 1 }),
        fc.array(fc.oneof(fc.integer(), fc.boolean(), fc.constant(null)), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.array(fc.string({ minLength: 1, maxLength: 10 }), { minLength: 60, maxLength: 80 }),
        ...nullIfRequired,
      );
    case 'propertyMap':
      return fc.oneof(
        fc.string(),
        fc.integer(),
        fc.array(fc.string(), { minLength: 1 }),
        fc.constant({ company: { nested: true } }),
        fc.constant({ company: ['a'] }),
        fc.constant({ '1bad name': 'x' }),
        fc.constant({ company: 'x'.repeat(10_001) }),
        fc.constant(Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`p${i}`, 'v']))),
        ...nullIfRequired,
      );
    case 'jsonObject':
      return fc.oneof(
        fc.string(),
        fc.integer(),
        fc.constant(null),
        fc.array(fc.integer(), { minLength: 1 }),
        fc.constant({ big: 'x'.repeat(70_000) }),
      );
    case 'boolean':
      return fc.oneof(
        fc.string(),
        fc.integer(),
        fc.constant('true'),
        fc.array(fc.boolean()),
        ...nullIfRequired,
      );
    case 'uuid':
      return fc.oneof(
        notAString,
        fc.string({ maxLength: 40 }).filter((s) => !/^[0-9a-f-]{36}$/i.test(s)),
        ...nullIfRequired,
      );
    case 'propertyValue':
      return fc.oneof(
        fc.constant(null),
        fc.array(fc.string(), { minLength: 1 }),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.string(), { minKeys: 1 }),
      );
  }
}

type Case = { endpoint: Endpoint; body: unknown; describe: string };

function casesFor(endpoint: Endpoint): fc.Arbitrary<Case> {
  const withField = (name: string, value: unknown) => ({ ...endpoint.base(), [name]: value });
  const wrongType = fc.constantFrom(...endpoint.fields).chain((field) =>
    wrongValue(field).map((value) => ({
      endpoint,
      body: withField(field.name, value),
      describe: `${field.name}: wrong`,
    })),
  );
  const bounded = endpoint.fields.filter((f) => f.max !== undefined && f.kind !== 'stringArray');
  const oversized =
    bounded.length > 0 &&
    fc.constantFrom(...bounded).chain((field) =>
      fc.integer({ min: 1, max: 100 }).map((extra) => ({
        endpoint,
        body: withField(field.name, 'a'.repeat(field.max! + extra)),
        describe: `${field.name}: oversized`,
      })),
    );
  const unknownField = fc
    .oneof(
      fc.string({ minLength: 1, maxLength: 20 }),
      fc.constantFrom('constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'),
    )
    .filter((name) => !KNOWN_FIELDS.has(name))
    .chain((name) =>
      fc
        .jsonValue()
        .map((value) => ({ endpoint, body: withField(name, value), describe: `unknown ${name}` })),
    );
  const notAnObject = fc
    .oneof(
      fc.array(fc.jsonValue(), { maxLength: 3 }),
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
    )
    .map((body) => ({ endpoint, body, describe: 'not an object' }));
  const arbitraries = [wrongType, unknownField, notAnObject];
  if (oversized) arbitraries.push(oversized);
  return fc.oneof(...arbitraries);
}

async function expectRefusedAndNothingWritten(
  send: () => Promise<{ status: number; contentType: string; body: unknown }>,
) {
  const before = await t.eventCount();
  const response = await send();
  if (response.status < 400 || response.status >= 500) {
    throw new Error(`answered ${response.status}: ${JSON.stringify(response.body).slice(0, 300)}`);
  }
  expect(response.contentType).toContain('application/problem+json');
  expect(await t.eventCount()).toBe(before);
}

describe('bad input at every write endpoint', () => {
  for (const endpoint of endpoints) {
    it(
      endpoint.label,
      async () => {
        await fc.assert(
          fc.asyncProperty(casesFor(endpoint), async ({ body }) => {
            await expectRefusedAndNothingWritten(() =>
              t.send(endpoint.method, endpoint.path(), JSON.stringify(body), 'application/json'),
            );
          }),
          { numRuns: 150 },
        );
      },
      120_000,
    );
  }

  it('broken JSON, other content types, bad path parameters', async () => {
    const raw = fc.oneof(
      fc.constantFrom(
        '{',
        '{"email": }',
        '{"email": "a@b.co",}',
        "{'email': 'x'}",
        'nul',
        '\u0000',
      ),
      // (An empty body reads as {}: for PATCH that is "no change", not malformed.)
      fc.string({ maxLength: 50 }).filter((s) => {
        if (s.trim() === '') return false;
        try {
          const value = JSON.parse(s);
          return typeof value !== 'object';
        } catch {
          return true;
        }
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...endpoints), raw, async (endpoint, text) => {
        await expectRefusedAndNothingWritten(() =>
          t.send(endpoint.method, endpoint.path(), text, 'application/json'),
        );
      }),
      { numRuns: 150 },
    );
    const body = JSON.stringify({ email: uniqueEmail() });
    for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x']) {
      await expectRefusedAndNothingWritten(() => t.send('POST', '/contacts', body, type));
    }
    await expectRefusedAndNothingWritten(() =>
      t.send('POST', '/contacts', 'x'.repeat(2 * 1024 * 1024), 'application/json'),
    );
    const badPaths: [string, string, unknown][] = [
      ['PUT', `/contacts/${contactId}/properties/1-bad name`, { value: 'x' }],
      ['PUT', `/contacts/${contactId}/consent/carrier-pigeon`, { granted: true }],
      [
        'PUT',
        `/contacts/${contactId}/external-mappings/Hub Spot`,
        { externalId: '1', syncDirection: 'push_only' },
      ],
      ['PUT', `/contacts/not-a-uuid/status`, { status: 'active' }],
      ['PATCH', `/contacts/00000000-0000-4000-8000-000000000000`, { firstName: 'Nobody' }],
      [
        'POST',
        '/activities',
        {
          contactId: '00000000-0000-4000-8000-000000000000',
          activityType: 'page_viewed',
          activityData: {},
        },
      ],
      ['PUT', `/contacts/${contactId}/consent/email`, { granted: true, ip: 'not-an-ip' }],
      ['PUT', `/contacts/${contactId}/consent/email`, { granted: true, at: 'yesterday' }],
      ['POST', '/tags', { name: '!!!' }],
      ['POST', '/tags', { name: 'Fine', color: 'red' }],
      ['DELETE', `/tags/00000000-0000-4000-8000-000000000000`, undefined],
    ];
    for (const [method, path, json] of badPaths) {
      await expectRefusedAndNothingWritten(() =>
        json === undefined
          ? t.request(method, path)
          : t.send(method, encodeURI(path), JSON.stringify(json), 'application/json'),
      );
    }
  }, 120_000);

  it('bulk import: wrong content types and unreadable files are refused, and no job is made', async () => {
    const cases: [string, string][] = [
      ['{"email":"a@b.co"}', 'application/json'],
      ['email\n', 'text/csv'],
      ['', 'application/x-ndjson'],
      ['email,"bad!"\na@b.co,1\n', 'text/csv'],
      ['email\n"unterminated\n', 'text/csv'],
      ['hello', 'text/plain'],
    ];
    for (const [body, type] of cases) {
      await expectRefusedAndNothingWritten(() => t.send('POST', '/contacts/imports', body, type));
    }
    expect(await t.query(`SELECT id FROM "${t.schema}".import_jobs`)).toEqual([]);
  });
});
