// connector-hubspot killed with SIGKILL in the middle of pushing: the
// process (its real main.ts) is killed while HubSpot holds only part of the
// contacts, started again, and in the end HubSpot holds every contact once.
// The rows it had not marked pushed are pushed again; the upsert is keyed on
// email, so a batch sent twice makes no second record.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Pool } from 'pg';
import { eventToMessage, KafkajsBus, silentLogger } from '@engagement/bus';
import { findWorkspaceRoot, loadPlatformConfig } from '@engagement/config';
import { signServiceToken } from '@engagement/service-auth';
import { EmulatorProcess, http, PRIVATE_APP_TOKEN, waitFor } from './testing/hubspot-test-bed.testing';

const root = findWorkspaceRoot();
const { databaseUrl, kafkaBrokers } = loadPlatformConfig();
const id = randomUUID().replace(/-/g, '').slice(0, 10);
const tokenKey = randomBytes(32);
const port = 4614;
const env = {
  ...process.env,
  SWC_NODE_PROJECT: join(root, 'tsconfig.base.json'),
  PLATFORM_TOKEN_SECRET: tokenKey.toString('base64'),
  CONNECTORS_MASTER_KEYS: `crash:${randomBytes(32).toString('base64')}`,
  CONNECTOR_HUBSPOT_PORT: String(port),
  CONNECTOR_HUBSPOT_SCHEMA: `connector_hubspot_k${id}`,
  EVENT_STORE_SCHEMA: `es_connector_hubspot_k${id}`,
  CONNECTOR_HUBSPOT_TOPIC: `crm.hubspot.k${id}`,
  CONNECTOR_HUBSPOT_CONTACTS_TOPIC: `contacts.k${id}`,
  CONNECTOR_HUBSPOT_GROUP: `connector-hubspot-k${id}`,
};

function startConnectorProcess(): ChildProcess {
  return spawn(join(root, 'node_modules', '.bin', 'node'), ['-r', '@swc-node/register', join(root, 'services/connector-hubspot/src/main.ts')], {
    cwd: root,
    env: { ...env, HUBSPOT_API_BASE: emulator.url },
    stdio: 'ignore',
  });
}

let emulator: EmulatorProcess;
let connector: ChildProcess;

beforeAll(async () => {
  emulator = await EmulatorProcess.start(4613);
});

afterAll(async () => {
  connector?.kill('SIGKILL');
  await emulator?.stop();
  const pool = new Pool({ connectionString: databaseUrl });
  await pool.query(`DROP SCHEMA IF EXISTS ${env.CONNECTOR_HUBSPOT_SCHEMA} CASCADE`);
  await pool.query(`DROP SCHEMA IF EXISTS ${env.EVENT_STORE_SCHEMA} CASCADE`);
  await pool.end();
});

it('pushes every contact exactly once across a SIGKILL in the middle of a run', async () => {
  connector = startConnectorProcess();
  const url = `http://127.0.0.1:${port}`;
  await waitFor('the connector', async () => (await fetch(`${url}/health`)).ok, 90_000);
  const token = `Bearer ${signServiceToken(tokenKey, { subject: 'apikey:test', scopes: ['admin'], audience: 'connector-hubspot', requestId: randomUUID() })}`;
  const connected = await http('POST', `${url}/integrations/hubspot`, {
    provider: 'hubspot', displayName: 'HubSpot', providerType: 'crm', authType: 'api_key',
    credentials: { private_app_token: PRIVATE_APP_TOKEN },
  }, token);
  expect(connected.status).toBe(201);

  // HubSpot answers slowly-failing 503s in bursts, so the run takes long enough to be cut.
  await emulator.admin('POST', '/faults', { status: 503, count: 6, pathPrefix: '/crm/v3/objects/contacts/batch' });
  const bus = new KafkajsBus({ brokers: kafkaBrokers, clientId: `crash-${id}`, logger: silentLogger });
  await bus.ensureTopics([{ topic: env.CONNECTOR_HUBSPOT_CONTACTS_TOPIC, partitions: 3 }]);
  const producer = bus.producer();
  const ids = Array.from({ length: 2000 }, () => randomUUID());
  const emails = new Set(ids.map((c) => `crash-${c}@example.com`));
  await producer.send(
    env.CONNECTOR_HUBSPOT_CONTACTS_TOPIC,
    ids.map((contactId, i) =>
      eventToMessage({
        id: randomUUID(),
        type: 'ContactCreated',
        schemaVersion: 1,
        data: {
          contactId, email: `crash-${contactId}@example.com`, firstName: 'Kill', lastName: 'Nine', phone: null,
          timezone: 'America/Los_Angeles', locale: 'en', avatarUrl: null, lifecycleStage: 'lead', source: 'api', syncToCrms: ['hubspot'],
        },
        metadata: { correlationId: randomUUID(), causationId: null, traceparent: null, actor: 'test', occurredAt: new Date().toISOString() },
        streamId: `contact-${contactId}`,
        revision: 0n,
        globalPosition: BigInt(i),
      }),
    ),
  );
  await producer.close();
  await bus.close();

  const inHubspot = async () => (await emulator.contacts()).filter((c) => emails.has(c.properties.email ?? '')).length;
  await waitFor('part of the contacts in HubSpot', async () => (await inHubspot()) > 0, 60_000);
  connector.kill('SIGKILL');
  await new Promise((resolve) => connector.once('exit', resolve));
  const before = await inHubspot();
  expect(before).toBeLessThan(2000);

  connector = startConnectorProcess();
  await waitFor('every contact in HubSpot', async () => (await inHubspot()) === 2000, 120_000);
  const all = (await emulator.contacts()).filter((c) => emails.has(c.properties.email ?? ''));
  expect(all).toHaveLength(2000);
  expect(new Set(all.map((c) => c.properties.email)).size).toBe(2000);
}, 300_000);
