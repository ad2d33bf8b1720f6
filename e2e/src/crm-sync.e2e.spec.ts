// The seed's examples reach the CRMs: the gateway, contacts and both CRM
// connectors run as processes, each connector against its emulator (also a
// process). POST /api/contacts with syncToCrms ends with the contact in
// HubSpot and GoHighLevel, the CRM ids in its external_mappings and success
// rows in both connectors' crm_sync_logs; POST /api/activities ends with a
// HubSpot note and the activity's synced_to_crms. A dump of the database,
// the topics and the processes' logs holds none of the planted credentials.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { KafkajsBus, silentLogger } from '@engagement/bus';
import { findWorkspaceRoot } from '@engagement/config';
import { freePort, gatewayApi, startEmulatorProcess, waitForTruthy } from './e2e-support';
import { startPlatformUnderTest, type PlatformUnderTest } from './platform-under-test';

const root = findWorkspaceRoot();
const HUBSPOT_TOKEN = `pat-na1-PLANTED-${randomBytes(8).toString('hex')}`;
const GHL_TOKEN = `pit-PLANTED-${randomBytes(8).toString('hex')}`;
const LOCATION = 'EmulatorLocation0001';

let platform: PlatformUnderTest;
const emulators: ChildProcess[] = [];
let hubspotUrl: string;
let ghlUrl: string;

const waitFor = <T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs?: number,
) => waitForTruthy(what, probe, { timeoutMs, logs: () => platform?.logs() ?? '' });

const api = (method: string, path: string, body?: unknown) =>
  gatewayApi(platform)(method, path, body);

const admin = async <T>(url: string, path: string): Promise<T> =>
  (await (await fetch(`${url}/__emulator${path}`)).json()) as T;

beforeAll(async () => {
  const [hubspotPort, ghlPort] = [await freePort(), await freePort()];
  hubspotUrl = `http://127.0.0.1:${hubspotPort}`;
  emulators.push(
    await startEmulatorProcess(
      'hubspot',
      {
        HUBSPOT_EMULATOR_PORT: String(hubspotPort),
        HUBSPOT_EMULATOR_PRIVATE_APP_TOKEN: HUBSPOT_TOKEN,
      },
      `${hubspotUrl}/health`,
    ),
  );
  ghlUrl = `http://127.0.0.1:${ghlPort}`;
  emulators.push(
    await startEmulatorProcess(
      'gohighlevel',
      {
        GHL_EMULATOR_PORT: String(ghlPort),
        GHL_EMULATOR_PRIVATE_INTEGRATION_TOKEN: GHL_TOKEN,
        GHL_EMULATOR_DATA_DIR: join(root, '.data', `ghl-e2e-${randomUUID()}`),
      },
      `${ghlUrl}/health`,
    ),
  );
  platform = await startPlatformUnderTest({
    connectors: { hubspotApiBase: hubspotUrl, gohighlevelApiBase: ghlUrl },
  });
  const hubspot = await api('POST', '/api/integrations/hubspot', {
    provider: 'hubspot',
    displayName: 'HubSpot',
    providerType: 'crm',
    authType: 'api_key',
    credentials: { private_app_token: HUBSPOT_TOKEN },
  });
  if (hubspot.status !== 201) throw new Error(`connect hubspot: ${hubspot.status} ${JSON.stringify(hubspot.body)}\n${platform.logs().slice(-6000)}`);
  const ghl = await api('POST', '/api/integrations/gohighlevel', {
    provider: 'gohighlevel',
    displayName: 'GoHighLevel',
    providerType: 'crm',
    authType: 'api_key',
    credentials: { private_integration_token: GHL_TOKEN },
    config: { location_id: LOCATION },
  });
  if (ghl.status !== 201) throw new Error(`connect gohighlevel: ${ghl.status} ${JSON.stringify(ghl.body)}\n${platform.logs().slice(-6000)}`);
}, 240_000);

afterAll(async () => {
  await platform?.stop();
  for (const child of emulators) child.kill('SIGTERM');
});

describe('CRM sync through the running platform', () => {
  let contactId: string;

  it("puts the seed's contact in HubSpot and GoHighLevel, with the CRM ids in its external_mappings", async () => {
    const created = await api('POST', '/api/contacts', {
      email: 'user@example.com',
      firstName: 'Austin',
      lastName: 'Mao',
      properties: { company: 'Ceremonia', job_title: 'Founder', industry: 'SaaS' },
      tags: ['webinar-attendee', 'hot-lead'],
      syncToCrms: ['hubspot', 'gohighlevel'],
    });
    if (created.status !== 201) {
      const errors = platform.logs().split('\n').filter((line) => /"level":"error"|"level":50/.test(line));
      throw new Error(`POST /api/contacts: ${created.status} ${JSON.stringify(created.body)}\n${errors.join('\n').slice(-5000)}`);
    }
    contactId = created.body.id;

    const inHubspot = await waitFor('the contact in HubSpot', async () => {
      const { results } = await admin<{
        results: Array<{ id: string; properties: Record<string, string> }>;
      }>(hubspotUrl, '/contacts');
      return results.find(
        (c) => c.properties.email === 'user@example.com' && c.properties.company === 'Ceremonia',
      );
    });
    expect(inHubspot.properties).toMatchObject({
      firstname: 'Austin',
      lastname: 'Mao',
      jobtitle: 'Founder',
    });
    const inGhl = await waitFor('the contact in GoHighLevel', async () => {
      const { contacts } = await admin<{
        contacts: Array<{ id: string; email: string; tags: string[]; companyName?: string }>;
      }>(ghlUrl, '/contacts');
      return contacts.find((c) => c.email === 'user@example.com' && c.tags.length === 2);
    });
    expect(inGhl).toMatchObject({ companyName: 'Ceremonia' });

    const mappings = await waitFor('both CRM ids in external_mappings', async () => {
      const contact = await api('GET', `/api/contacts/${contactId}`);
      const list = contact.body.externalMappings as Array<{ provider: string; id: string }>;
      return list.length === 2 ? list : null;
    });
    expect(Object.fromEntries(mappings.map((m) => [m.provider, m.id]))).toEqual({
      hubspot: inHubspot.id,
      gohighlevel: inGhl.id,
    });

    const crm = platform.connectors!;
    for (const schema of [crm.hubspotSchema, crm.gohighlevelSchema]) {
      const { rows } = await platform.pool.query(
        `SELECT sync_type, status FROM "${schema}".crm_sync_logs WHERE entity_id = $1 AND sync_type = 'contact_create'`,
        [contactId],
      );
      expect(rows).toEqual([{ sync_type: 'contact_create', status: 'success' }]);
    }
  });

  it("turns the seed's activity into a HubSpot note and fills its synced_to_crms", async () => {
    const recorded = await api('POST', '/api/activities', {
      contactId,
      activityType: 'page_viewed',
      activityData: {
        url: '/landing/webinar',
        title: 'How to Build AI Funnels',
        durationSeconds: 45,
      },
      syncToCrms: ['hubspot'],
    });
    expect(recorded.status).toBe(201);
    const note = await waitFor('the note in HubSpot', async () => {
      const { results } = await admin<{
        results: Array<{ id: string; properties: Record<string, string> }>;
      }>(hubspotUrl, '/notes');
      return results.find((n) => n.properties.hs_note_body?.includes('How to Build AI Funnels'));
    });
    const activity = await waitFor('synced_to_crms', async () => {
      const list = await api('GET', `/api/contacts/${contactId}/activities`);
      const items = (list.body.items ?? list.body.data ?? list.body) as Array<{
        activityType: string;
        syncedToCrms: Array<{ provider: string; activityId: string }>;
      }>;
      return items.find((a) => a.activityType === 'page_viewed' && a.syncedToCrms.length > 0);
    });
    expect(activity.syncedToCrms).toEqual([
      expect.objectContaining({ provider: 'hubspot', activityId: note.id }),
    ]);
  });

  it('erases the contact: deleted in both CRMs, gone from the connectors\' tables, receipts for each CRM', async () => {
    const erased = await api('POST', `/api/contacts/${contactId}/erase`);
    expect(erased.status).toBe(200);
    await waitFor('the contact gone from HubSpot', async () => {
      const { results } = await admin<{ results: Array<{ properties: Record<string, string> }> }>(hubspotUrl, '/contacts');
      return !results.some((c) => c.properties.email === 'user@example.com');
    });
    await waitFor('the contact gone from GoHighLevel', async () => {
      const { contacts } = await admin<{ contacts: Array<{ email: string }> }>(ghlUrl, '/contacts');
      return !contacts.some((c) => c.email === 'user@example.com');
    });
    const crm = platform.connectors!;
    const report = await waitFor('receipts from both connectors', async () => {
      const run = platform.runTool('gdpr.main.ts', ['erasure-status', contactId], {
        ERASURE_SERVICES: 'contacts,connector-hubspot,connector-gohighlevel',
        CONNECTOR_HUBSPOT_SCHEMA: crm.hubspotSchema,
        CONNECTOR_GOHIGHLEVEL_SCHEMA: crm.gohighlevelSchema,
      });
      return run.status === 0 ? run.stdout : null;
    });
    expect(report).toContain('crm:hubspot');
    expect(report).toContain('crm:gohighlevel');
    // Every table of both connectors' schemas (erasure there is asynchronous: wait for it, bounded).
    const holding = async () => {
      const found: string[] = [];
      for (const schema of [crm.hubspotSchema, crm.gohighlevelSchema]) {
        const { rows: tables } = await platform.pool.query<{ table: string }>(
          `SELECT table_name AS table FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`,
          [schema],
        );
        for (const { table } of tables) {
          const { rows } = await platform.pool.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM "${schema}"."${table}" t WHERE t::text ILIKE '%user@example.com%'`,
          );
          if (rows[0]!.n > 0) found.push(`${schema}.${table}`);
        }
      }
      return found;
    };
    await waitFor('no connector table holding the email', async () => (await holding()).length === 0, 60_000).catch(() => undefined);
    expect(await holding()).toEqual([]);
    for (const schema of [crm.hubspotSchema, crm.gohighlevelSchema]) {
      const logs = await platform.pool.query(
        `SELECT count(*)::int AS n FROM "${schema}".crm_sync_logs WHERE entity_id = $1 AND payload IS NOT NULL`,
        [contactId],
      );
      expect(logs.rows[0].n).toBe(0);
    }
  });

  it('shows the integrations without secrets, and leaves no planted credential in a dump, on the topics or in the logs', async () => {
    for (const provider of ['hubspot', 'gohighlevel']) {
      const view = await api('GET', `/api/integrations/${provider}`);
      expect(view.status).toBe(200);
      expect(JSON.stringify(view.body)).not.toMatch(/PLANTED/);
    }
    const crm = platform.connectors!;
    const schemas = [
      platform.contactsSchema,
      platform.eventStoreSchema,
      platform.gatewaySchema,
      crm.hubspotSchema,
      crm.gohighlevelSchema,
    ];
    const dump = spawnSync(
      'pg_dump',
      ['--data-only', ...schemas.flatMap((s) => ['-n', s]), platform.databaseUrl],
      { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 },
    );
    expect(dump.status).toBe(0);
    expect(dump.stdout).toContain('IntegrationConnected');
    expect(dump.stdout).not.toContain(HUBSPOT_TOKEN);
    expect(dump.stdout).not.toContain(GHL_TOKEN);

    const bus = new KafkajsBus({
      brokers: platform.kafkaBrokers,
      clientId: 'e2e-dump',
      logger: silentLogger,
    });
    const seen: string[] = [];
    const topics = [platform.contactsTopic, crm.hubspotTopic, crm.gohighlevelTopic];
    const consumer = await bus.consume({
      groupId: `e2e-dump-${randomUUID()}`,
      topics,
      fromBeginning: true,
      eachBatch: async (batch) => {
        for (const m of batch.messages) seen.push(m.value.toString('utf8'));
      },
    });
    await waitFor(
      'the crm topics read',
      async () => seen.some((v) => v.includes('CrmContactSynced')),
      30_000,
    );
    await consumer.stop();
    await bus.close();
    expect(seen.join('\n')).not.toMatch(/PLANTED/);
    expect(platform.logs()).not.toMatch(/PLANTED/);
  });
});
