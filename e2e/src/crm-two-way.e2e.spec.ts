// Two-way CRM sync through the running platform: the gateway, contacts and
// both connectors as processes, each connector against its emulator (a
// process too), the emulators' signed webhooks going to the gateway's
// public /api/webhooks/<crm>. A contact edited in HubSpot is edited here
// and in GoHighLevel, once, with no echo traffic after; duplicate
// deliveries are applied once; bad signatures, stale timestamps and bodies
// of the wrong shape are refused and nothing is stored; concurrent edits
// converge by the conflict policy; a resync after 100 dropped webhooks
// brings both sides to the same state and a second one changes nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { findWorkspaceRoot } from '@engagement/config';
import {
  emulatorAdmin,
  freePort,
  gatewayApi,
  startEmulatorProcess,
  waitForTruthy,
} from './e2e-support';
import { startPlatformUnderTest, type PlatformUnderTest } from './platform-under-test';

const root = findWorkspaceRoot();
const HUBSPOT_SECRET = 'hubspot-emulator-client-secret';
const LOCATION = 'EmulatorLocation0001';

let platform: PlatformUnderTest;
const emulators: ChildProcess[] = [];
let hubspotUrl: string;
let ghlUrl: string;
let hubspotWebhookUrl: string;

const waitFor = <T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs?: number,
) => waitForTruthy(what, probe, { timeoutMs, logs: () => platform?.logs() ?? '' });

const api = (method: string, path: string, body?: unknown) =>
  gatewayApi(platform)(method, path, body);

const admin = emulatorAdmin;

/** API requests the emulator answered so far (its admin calls aside), by endpoint. */
async function apiTraffic(url: string): Promise<Record<string, number>> {
  const stats = await admin<{ byEndpoint: Record<string, { count: number }> }>(
    url,
    'GET',
    '/stats',
  );
  return Object.fromEntries(
    Object.entries(stats.byEndpoint)
      .filter(([e]) => !e.includes('/__emulator') && !e.includes('/health'))
      .map(([e, s]) => [e, s.count]),
  );
}

function difference(
  after: Record<string, number>,
  before: Record<string, number>,
): Record<string, number> {
  const diff: Record<string, number> = {};
  for (const [endpoint, count] of Object.entries(after))
    if (count !== (before[endpoint] ?? 0)) diff[endpoint] = count - (before[endpoint] ?? 0);
  return diff;
}

/** Waits until the webhooks gathered in both emulators are delivered and the connectors have applied them. */
async function settle(): Promise<void> {
  for (let round = 0; round < 3; round++) {
    await admin(hubspotUrl, 'POST', '/webhooks/flush');
    await admin(ghlUrl, 'POST', '/webhooks/flush');
    const crm = platform.connectors!;
    await waitFor('the inbound queues to drain', async () => {
      for (const schema of [crm.hubspotSchema, crm.gohighlevelSchema]) {
        const { rows } = await platform.pool.query(
          `SELECT count(*)::int AS n FROM "${schema}".inbound_changes WHERE status = 'pending'`,
        );
        if (rows[0].n > 0) return false;
        const pending = await platform.pool.query(
          `SELECT count(*)::int AS n FROM "${schema}".sync_contacts WHERE version > pushed_version AND NOT dead AND (sync_requested OR external_id IS NOT NULL)`,
        );
        if (pending.rows[0].n > 0) return false;
      }
      return true;
    });
    // The push that the last applied change caused may itself echo back: one more round catches it.
    await new Promise((r) => setTimeout(r, 1500));
  }
}

async function contactEvents(contactId: string): Promise<string[]> {
  const { rows } = await platform.pool.query(
    `SELECT event_type FROM "${platform.eventStoreSchema}".events WHERE stream_id = $1 ORDER BY global_position`,
    [`contact-${contactId}`],
  );
  return rows.map((r: { event_type: string }) => r.event_type);
}

async function hubspotContact(id: string): Promise<Record<string, string>> {
  const { results } = await admin<{
    results: Array<{ id: string; properties: Record<string, string> }>;
  }>(hubspotUrl, 'GET', '/contacts');
  return results.find((c) => c.id === id)!.properties;
}

async function ghlContact(id: string): Promise<Record<string, unknown>> {
  const { contacts } = await admin<{ contacts: Array<Record<string, unknown>> }>(
    ghlUrl,
    'GET',
    '/contacts',
  );
  return contacts.find((c) => c.id === id)!;
}

async function createSyncedContact(
  email: string,
  firstName: string,
): Promise<{ contactId: string; hubspotId: string; ghlId: string }> {
  const created = await api('POST', '/api/contacts', {
    email,
    firstName,
    lastName: 'Lovelace',
    syncToCrms: ['hubspot', 'gohighlevel'],
  });
  expect(created.status).toBe(201);
  const contactId = created.body.id as string;
  const ids = await waitFor('both CRM ids', async () => {
    const crm = platform.connectors!;
    const h = await platform.pool.query(
      `SELECT external_id FROM "${crm.hubspotSchema}".sync_contacts WHERE contact_id = $1 AND external_id IS NOT NULL`,
      [contactId],
    );
    const g = await platform.pool.query(
      `SELECT external_id FROM "${crm.gohighlevelSchema}".sync_contacts WHERE contact_id = $1 AND external_id IS NOT NULL`,
      [contactId],
    );
    return h.rows[0] && g.rows[0]
      ? { hubspotId: h.rows[0].external_id as string, ghlId: g.rows[0].external_id as string }
      : null;
  });
  return { contactId, ...ids };
}

/** `npm run connectors -- <args>` against this platform's HubSpot connector. */
function runConnectorsTool(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, 'node_modules', '.bin', 'node'), ['-r', '@swc-node/register', join(root, 'tools', 'ops', 'src', 'connectors.main.ts'), ...args], {
      cwd: root,
      env: {
        ...process.env,
        SWC_NODE_PROJECT: join(root, 'tsconfig.base.json'),
        PLATFORM_TOKEN_SECRET: platform.tokenKey.toString('base64'),
        CONNECTOR_HUBSPOT_URL: platform.connectors!.hubspotUrl,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

beforeAll(async () => {
  const [hubspotPort, ghlPort] = [await freePort(), await freePort()];
  hubspotUrl = `http://127.0.0.1:${hubspotPort}`;
  emulators.push(
    await startEmulatorProcess(
      'hubspot',
      { HUBSPOT_EMULATOR_PORT: String(hubspotPort), HUBSPOT_EMULATOR_WEBHOOK_BATCH_DELAY_MS: '50' },
      `${hubspotUrl}/health`,
    ),
  );
  ghlUrl = `http://127.0.0.1:${ghlPort}`;
  emulators.push(
    await startEmulatorProcess(
      'gohighlevel',
      {
        GHL_EMULATOR_PORT: String(ghlPort),
        GHL_EMULATOR_DATA_DIR: join(root, '.data', `ghl-e2e-${randomUUID()}`),
      },
      `${ghlUrl}/health`,
    ),
  );
  platform = await startPlatformUnderTest({
    connectors: { hubspotApiBase: hubspotUrl, gohighlevelApiBase: ghlUrl },
  });
  hubspotWebhookUrl = `${platform.gatewayUrl}/api/webhooks/hubspot`;
  await admin(hubspotUrl, 'PUT', '/webhooks', { targetUrl: hubspotWebhookUrl });
  await admin(ghlUrl, 'PUT', '/webhooks', {
    targetUrl: `${platform.gatewayUrl}/api/webhooks/gohighlevel`,
  });
  const publicKey = await admin<string>(ghlUrl, 'GET', '/webhooks/public-key');
  const hubspot = await api('POST', '/api/integrations/hubspot', {
    provider: 'hubspot',
    displayName: 'HubSpot',
    providerType: 'crm',
    authType: 'api_key',
    credentials: { private_app_token: 'pat-na1-emulator-private-app-token' },
    // The URI HubSpot signs is the public one (the gateway's), not the connector's own.
    webhookUrl: hubspotWebhookUrl,
    webhookSecret: HUBSPOT_SECRET,
    config: {
      conflict_policy: { default: 'last_writer_wins', fields: { last_name: 'ours_wins' } },
    },
  });
  expect(hubspot.status).toBe(201);
  const ghl = await api('POST', '/api/integrations/gohighlevel', {
    provider: 'gohighlevel',
    displayName: 'GoHighLevel',
    providerType: 'crm',
    authType: 'api_key',
    credentials: { private_integration_token: 'pit-emulator-location-0001' },
    config: { location_id: LOCATION, webhook_public_key: publicKey },
  });
  expect(ghl.status).toBe(201);
}, 240_000);

afterAll(async () => {
  await platform?.stop();
  for (const child of emulators) child.kill('SIGTERM');
});

describe('two-way CRM sync', () => {
  it('one edit in HubSpot: one change here, one push to GoHighLevel, and no further traffic', async () => {
    const { contactId, hubspotId, ghlId } = await createSyncedContact(
      `loop-${randomUUID()}@example.com`,
      'Ada',
    );
    await settle();
    const eventsBefore = await contactEvents(contactId);
    const hubspotBefore = await apiTraffic(hubspotUrl);
    const ghlBefore = await apiTraffic(ghlUrl);

    await admin(hubspotUrl, 'PATCH', `/contacts/${hubspotId}`, {
      properties: { firstname: 'Grace' },
    });
    await waitFor(
      'the edit here',
      async () => (await api('GET', `/api/contacts/${contactId}`)).body.firstName === 'Grace',
    );
    await waitFor(
      'the edit in GoHighLevel',
      async () => (await ghlContact(ghlId)).firstName === 'Grace',
    );
    await settle();

    expect((await contactEvents(contactId)).slice(eventsBefore.length)).toEqual([
      'ContactIdentityUpdated',
    ]);
    expect(difference(await apiTraffic(ghlUrl), ghlBefore)).toEqual({ 'POST /contacts/upsert': 1 });
    expect(difference(await apiTraffic(hubspotUrl), hubspotBefore)).toEqual({});
    // Where it came from: the change is the CRM's, applied by the connector.
    const { rows } = await platform.pool.query(
      `SELECT metadata->>'actor' AS actor FROM "${platform.eventStoreSchema}".events WHERE stream_id = $1 ORDER BY global_position DESC LIMIT 1`,
      [`contact-${contactId}`],
    );
    expect(rows[0].actor).toBe('crm:hubspot');
    const logs = await platform.pool.query(
      `SELECT sync_type, sync_direction, status FROM "${platform.connectors!.hubspotSchema}".crm_sync_logs WHERE entity_id = $1 AND sync_direction = 'pull'`,
      [contactId],
    );
    expect(logs.rows).toContainEqual({
      sync_type: 'contact_update',
      sync_direction: 'pull',
      status: 'success',
    });
  });

  it('a contact created in HubSpot is created here, linked to its record, and not pushed back', async () => {
    const email = `made-in-hubspot-${randomUUID()}@example.com`;
    const hubspotBefore = await apiTraffic(hubspotUrl);
    const made = await admin<{ id: string }>(hubspotUrl, 'POST', '/contacts', { properties: { email, firstname: 'Katherine', lastname: 'Johnson', lifecyclestage: 'lead' } });
    const contactId = await waitFor('the contact here', async () => {
      const { rows } = await platform.pool.query(`SELECT contact_id FROM "${platform.connectors!.hubspotSchema}".sync_contacts WHERE external_id = $1`, [made.id]);
      return rows[0]?.contact_id as string | undefined;
    });
    const here = await waitFor('its CRM link', async () => {
      const body = (await api('GET', `/api/contacts/${contactId}`)).body;
      return body?.externalMappings?.some((m: { provider: string; id: string }) => m.provider === 'hubspot' && m.id === made.id) ? body : null;
    });
    expect(here).toMatchObject({ email, firstName: 'Katherine', lastName: 'Johnson' });
    await settle();
    // The record was read once (the creation webhook carries no values); nothing was written back.
    const traffic = difference(await apiTraffic(hubspotUrl), hubspotBefore);
    expect(Object.keys(traffic).every((endpoint) => endpoint.startsWith('GET '))).toBe(true);
    const { rows } = await platform.pool.query(
      `SELECT sync_type, status FROM "${platform.connectors!.hubspotSchema}".crm_sync_logs WHERE entity_id = $1 AND sync_direction = 'pull' AND status = 'success'`,
      [contactId],
    );
    expect(rows).toContainEqual({ sync_type: 'contact_create', status: 'success' });
  });

  it('a webhook delivered twice is applied once', async () => {
    const { contactId, hubspotId } = await createSyncedContact(
      `dup-${randomUUID()}@example.com`,
      'Ada',
    );
    await settle();
    const before = await contactEvents(contactId);
    await admin(hubspotUrl, 'POST', '/webhooks/duplicate', { enabled: true });
    try {
      await admin(hubspotUrl, 'PATCH', `/contacts/${hubspotId}`, { properties: { city: 'Lyon' } });
      await waitFor(
        'the edit here',
        async () =>
          (await api('GET', `/api/contacts/${contactId}`)).body.properties?.city === 'Lyon',
      );
      await settle();
    } finally {
      await admin(hubspotUrl, 'POST', '/webhooks/duplicate', { enabled: false });
    }
    const deliveries = await admin<{ deliveries: Array<{ body: string; delivered: boolean }> }>(
      hubspotUrl,
      'GET',
      '/webhooks/deliveries',
    );
    expect(
      deliveries.deliveries.filter((d) => d.body.includes('"city"') && d.body.includes(hubspotId))
        .length,
    ).toBeGreaterThanOrEqual(2);
    // One property change, with its property_changed activity (source crm_sync).
    expect((await contactEvents(contactId)).slice(before.length)).toEqual([
      'ContactPropertySet',
      'ActivityRecorded',
    ]);
    const { rows } = await platform.pool.query(
      `SELECT count(*)::int AS n FROM "${platform.connectors!.hubspotSchema}".crm_sync_logs WHERE sync_type = 'webhook_received' AND external_id = $1 AND payload->'fields' ? 'city'`,
      [hubspotId],
    );
    expect(rows[0].n).toBe(1);
  });

  it('refuses bad and missing signatures, stale timestamps and bodies of the wrong shape, and stores nothing', async () => {
    const crm = platform.connectors!;
    const count = async () =>
      (
        await platform.pool.query(
          `SELECT (SELECT count(*) FROM "${crm.hubspotSchema}".inbound_changes) + (SELECT count(*) FROM "${crm.gohighlevelSchema}".inbound_changes) AS n`,
        )
      ).rows[0].n;
    const before = await count();
    const body = JSON.stringify([
      {
        eventId: 1,
        subscriptionId: 1,
        portalId: 62515,
        appId: 54321,
        occurredAt: Date.now(),
        subscriptionType: 'contact.creation',
        attemptNumber: 0,
        objectId: 999999,
        changeSource: 'CRM_UI',
      },
    ]);
    const sign = (b: string, ts: string) =>
      createHmac('sha256', HUBSPOT_SECRET)
        .update(`POST${hubspotWebhookUrl}${b}${ts}`)
        .digest('base64');
    const post = (url: string, b: string, headers: Record<string, string>) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: b,
      });

    const now = String(Date.now());
    expect(
      (
        await post(hubspotWebhookUrl, body, {
          'x-hubspot-signature-v3': sign(body, now).replace(/^./, 'A'),
          'x-hubspot-request-timestamp': now,
        })
      ).status,
    ).toBe(401);
    expect(
      (await post(hubspotWebhookUrl, body, { 'x-hubspot-request-timestamp': now })).status,
    ).toBe(401);
    const old = String(Date.now() - 6 * 60 * 1000);
    const stale = await post(hubspotWebhookUrl, body, {
      'x-hubspot-signature-v3': sign(body, old),
      'x-hubspot-request-timestamp': old,
    });
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as { code: string }).code).toBe('webhook-stale');
    const wrongShape = JSON.stringify({ not: 'an array' });
    expect(
      (
        await post(hubspotWebhookUrl, wrongShape, {
          'x-hubspot-signature-v3': sign(wrongShape, now),
          'x-hubspot-request-timestamp': now,
        })
      ).status,
    ).toBe(400);
    const ghlBody = JSON.stringify({
      type: 'ContactUpdate',
      locationId: LOCATION,
      id: 'x',
      webhookId: randomUUID(),
      timestamp: new Date().toISOString(),
    });
    expect(
      (
        await post(`${platform.gatewayUrl}/api/webhooks/gohighlevel`, ghlBody, {
          'x-ghl-signature': Buffer.alloc(64).toString('base64'),
        })
      ).status,
    ).toBe(401);
    // The legacy signature is not accepted where its key is not configured.
    expect(
      (
        await post(`${platform.gatewayUrl}/api/webhooks/gohighlevel`, ghlBody, {
          'x-wh-signature': Buffer.alloc(256).toString('base64'),
        })
      ).status,
    ).toBe(401);
    // A correctly signed one passes (the control that shows the route works).
    expect(
      (
        await post(hubspotWebhookUrl, body, {
          'x-hubspot-signature-v3': sign(body, now),
          'x-hubspot-request-timestamp': now,
        })
      ).status,
    ).toBe(200);
    expect(Number(await count())).toBe(Number(before) + 1);
    const logs = platform.logs();
    expect(logs).toContain('webhook refused');
    expect(logs).not.toContain('not an array');
  });

  it('concurrent edits of a field here and in HubSpot converge by the policy, the loser logged as skipped', async () => {
    const { contactId, hubspotId, ghlId } = await createSyncedContact(
      `race-${randomUUID()}@example.com`,
      'Ada',
    );
    await settle();
    const crm = platform.connectors!;
    // Paused, the HubSpot connector neither pushes nor applies: both edits are then truly concurrent.
    expect((await api('POST', '/api/integrations/hubspot/pause')).status).toBe(200);
    expect(
      (await api('PATCH', `/api/contacts/${contactId}`, { firstName: 'Here', lastName: 'Ours' }))
        .status,
    ).toBe(200);
    await waitFor('the local edit at the HubSpot connector', async () => {
      const { rows } = await platform.pool.query(
        `SELECT first_name, last_name FROM "${crm.hubspotSchema}".sync_contacts WHERE contact_id = $1`,
        [contactId],
      );
      return rows[0]?.first_name === 'Here' && rows[0]?.last_name === 'Ours';
    });
    await new Promise((r) => setTimeout(r, 50));
    // Later, in HubSpot: first_name goes by last writer wins (HubSpot's is newer), last_name is ours_wins.
    await admin(hubspotUrl, 'PATCH', `/contacts/${hubspotId}`, {
      properties: { firstname: 'There', lastname: 'Theirs' },
    });
    await admin(hubspotUrl, 'POST', '/webhooks/flush');
    await waitFor('both webhooks stored', async () => {
      const { rows } = await platform.pool.query(
        `SELECT count(*)::int AS n FROM "${crm.hubspotSchema}".inbound_changes WHERE external_id = $1 AND status = 'pending'`,
        [hubspotId],
      );
      return rows[0].n === 2;
    });
    expect((await api('POST', '/api/integrations/hubspot/resume')).status).toBe(200);

    await waitFor('convergence', async () => {
      const here = (await api('GET', `/api/contacts/${contactId}`)).body;
      const hs = await hubspotContact(hubspotId);
      const ghl = await ghlContact(ghlId);
      return (
        here.firstName === 'There' &&
        hs.firstname === 'There' &&
        ghl.firstName === 'There' &&
        here.lastName === 'Ours' &&
        hs.lastname === 'Ours' &&
        ghl.lastName === 'Ours'
      );
    });
    await settle();
    const here = (await api('GET', `/api/contacts/${contactId}`)).body;
    expect([here.firstName, here.lastName]).toEqual(['There', 'Ours']);
    expect(await hubspotContact(hubspotId)).toMatchObject({ firstname: 'There', lastname: 'Ours' });
    expect(await ghlContact(ghlId)).toMatchObject({ firstName: 'There', lastName: 'Ours' });
    const { rows } = await platform.pool.query(
      `SELECT error_message FROM "${crm.hubspotSchema}".crm_sync_logs WHERE entity_id = $1 AND sync_direction = 'pull' AND status = 'skipped'`,
      [contactId],
    );
    expect(rows.map((r: { error_message: string }) => r.error_message)).toContainEqual(
      expect.stringMatching(/ours_wins|stale/),
    );
  });

  it('an edit in GoHighLevel reaches the contact here (tags too) and HubSpot, once', async () => {
    const { contactId, hubspotId, ghlId } = await createSyncedContact(`ghl-${randomUUID()}@example.com`, 'Ada');
    await settle();
    const ghlBefore = await apiTraffic(ghlUrl);
    await admin(ghlUrl, 'PUT', `/contacts/${ghlId}`, { city: 'Paris' });
    await admin(ghlUrl, 'POST', `/contacts/${ghlId}/tags`, { tags: ['from-ghl'] });
    await waitFor('the edit here', async () => {
      const here = (await api('GET', `/api/contacts/${contactId}`)).body;
      return here.properties?.city === 'Paris' && JSON.stringify(here.tags ?? []).includes('from-ghl');
    });
    await waitFor('the edit in HubSpot', async () => (await hubspotContact(hubspotId)).city === 'Paris');
    await settle();
    // Nothing went back to GoHighLevel: it had the change already.
    expect(difference(await apiTraffic(ghlUrl), ghlBefore)).toEqual({});
  });

  it('a resync after 100 dropped webhooks brings both sides to the same state; a second one changes nothing', async () => {
    const made = [];
    for (let i = 0; i < 10; i++)
      made.push(await createSyncedContact(`resync-${i}-${randomUUID()}@example.com`, `Person${i}`));
    await settle();
    await admin(hubspotUrl, 'PUT', '/webhooks', { batchDelayMs: 0 });
    await admin(hubspotUrl, 'POST', '/webhooks/drop', { count: 100 });
    for (let round = 0; round < 10; round++) {
      for (const [i, c] of made.entries()) {
        await admin(hubspotUrl, 'PATCH', `/contacts/${c.hubspotId}`, {
          properties: { city: `City${i}-${round}` },
        });
        await admin(hubspotUrl, 'POST', '/webhooks/flush');
      }
    }
    // All 100 were dropped: the switch has none left.
    expect((await admin<{ dropNext: number }>(hubspotUrl, 'GET', '/webhooks')).dropNext).toBe(0);
    await settle();
    for (const c of made)
      expect((await api('GET', `/api/contacts/${c.contactId}`)).body.properties?.city).not.toBe(
        `City${made.indexOf(c)}-9`,
      );

    const first = await api('POST', '/api/integrations/hubspot/resync', {});
    expect(first.status).toBe(202);
    const report = await waitFor('the resync report', async () => {
      const r = await api('GET', `/api/integrations/hubspot/resync/${first.body.runId}`);
      return r.body.status === 'done' ? r.body : null;
    });
    expect(report.counts).toMatchObject({ updated: 10, created: 0, errors: 0 });
    await settle();
    for (const [i, c] of made.entries()) {
      expect((await api('GET', `/api/contacts/${c.contactId}`)).body.properties.city).toBe(
        `City${i}-9`,
      );
      expect((await ghlContact(c.ghlId)).city).toBe(`City${i}-9`);
    }

    const hubspotBefore = await apiTraffic(hubspotUrl);
    const ghlBefore = await apiTraffic(ghlUrl);
    const eventsBefore = await Promise.all(made.map((c) => contactEvents(c.contactId)));
    // The second one from the operators' tool (npm run connectors -- resync hubspot).
    // Run asynchronously (not runTool's spawnSync): a blocked test process would find its kept-alive sockets closed.
    const tool = await runConnectorsTool(['resync', 'hubspot']);
    expect(tool.stderr).not.toContain('connectors:');
    expect(tool.status).toBe(0);
    const counts = Object.fromEntries([...tool.stdout.matchAll(/(\w+) (\d+)/g)].map((m) => [m[1], Number(m[2])]));
    expect(counts).toMatchObject({ created: 0, updated: 0, conflicts: 0, unlinked: 0, errors: 0 });
    expect(counts.compared).toBeGreaterThanOrEqual(10);
    expect(counts.unchanged).toBe(counts.compared);
    await settle();
    expect(await Promise.all(made.map((c) => contactEvents(c.contactId)))).toEqual(eventsBefore);
    expect(difference(await apiTraffic(ghlUrl), ghlBefore)).toEqual({});
    // The resync's own reads only.
    expect(
      Object.keys(difference(await apiTraffic(hubspotUrl), hubspotBefore)).every((e) =>
        e.startsWith('GET '),
      ),
    ).toBe(true);
  });
});
