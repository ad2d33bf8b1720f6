// N contacts (BENCH_CONTACTS, default 10,000) created through the API gateway
// with syncToCrms ["hubspot", "gohighlevel"], pushed by both CRM connectors
// to their emulators, which enforce the documented limits (HubSpot 190 per
// 10 s for a private app, GoHighLevel 100 per 10 s per location). Reports:
//   - time until the gateway accepted all N, and until each emulator holds all N;
//   - requests each emulator received, their peak in any rolling 10-s window
//     against the budget (must never exceed it), and the 429s it sent
//     (goal: 0: the connectors' buckets run at 90% of the budget);
//   - contacts per CRM request (HubSpot batches ≤ 100; GoHighLevel upserts one).
// GoHighLevel's budget makes its side take about N / 9 seconds (10,000: about
// 19 minutes). The services and emulators run as child processes on ports
// BENCH_PORT_BASE (default 4630) to +5, with fresh schemas and topics; their
// logs go to a temporary folder. Prints a table and one JSON line.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { loadPlatformConfig } from '@engagement/config';

const CONTACTS = Number(process.env.BENCH_CONTACTS || 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY || 16);
const PORT_BASE = Number(process.env.BENCH_PORT_BASE || 4630);
const root = resolve(__dirname, '..');
const node = join(root, 'node_modules', '.bin', 'node');
const logDir = mkdtempSync(join(tmpdir(), 'bench-crm-sync-'));
const { databaseUrl, kafkaBrokers } = loadPlatformConfig();
const suffix = randomUUID().replace(/-/g, '').slice(0, 8);
const schemas = {
  contacts: `bench_crm_contacts_${suffix}`,
  store: `bench_crm_store_${suffix}`,
  gateway: `bench_crm_gateway_${suffix}`,
  hubspot: `bench_crm_hubspot_${suffix}`,
  gohighlevel: `bench_crm_ghl_${suffix}`,
};
const topics = { contacts: `bench-crm-contacts-${suffix}`, hubspot: `crm.hubspot.bench-${suffix}`, gohighlevel: `crm.gohighlevel.bench-${suffix}` };
const ports = {
  hubspotEmulator: PORT_BASE,
  ghlEmulator: PORT_BASE + 1,
  contacts: PORT_BASE + 2,
  hubspot: PORT_BASE + 3,
  gohighlevel: PORT_BASE + 4,
  gateway: PORT_BASE + 5,
};
const apiKey = `eng_${randomBytes(32).toString('base64url')}`;
const tokenSecret = randomBytes(32).toString('base64');
const children: ChildProcess[] = [];

function start(name: string, entry: string, env: NodeJS.ProcessEnv): void {
  const log = openSync(join(logDir, `${name}.log`), 'a');
  children.push(
    spawn(node, ['-r', '@swc-node/register', join(root, entry)], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        KAFKA_BROKERS: kafkaBrokers.join(','),
        PLATFORM_TOKEN_SECRET: tokenSecret,
        SWC_NODE_PROJECT: join(root, 'tsconfig.base.json'),
        EVENT_STORE_SCHEMA: schemas.store,
        ...env,
      },
      stdio: ['ignore', log, log],
    }),
  );
  closeSync(log);
}

async function healthy(url: string): Promise<void> {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not start; logs in ${logDir}`);
}

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`http://127.0.0.1:${ports.gateway}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.text() };
}

interface Stats {
  total: number;
  status429: number;
  peakPerRollingWindow: Record<string, number>;
  limits: Record<string, unknown>;
}
const stats = async (port: number) => (await (await fetch(`http://127.0.0.1:${port}/__emulator/stats`)).json()) as Stats;

async function countHubspot(prefix: string): Promise<number> {
  const { results } = (await (await fetch(`http://127.0.0.1:${ports.hubspotEmulator}/__emulator/contacts`)).json()) as {
    results: Array<{ properties: Record<string, string | null> }>;
  };
  return results.filter((c) => c.properties.email?.startsWith(prefix)).length;
}
async function countGhl(prefix: string): Promise<number> {
  const { contacts } = (await (await fetch(`http://127.0.0.1:${ports.ghlEmulator}/__emulator/contacts`)).json()) as {
    contacts: Array<{ email?: string }>;
  };
  return contacts.filter((c) => c.email?.startsWith(prefix)).length;
}

async function main(): Promise<void> {
  start('hubspot-emulator', 'emulators/hubspot/src/main.ts', { HUBSPOT_EMULATOR_PORT: String(ports.hubspotEmulator) });
  start('gohighlevel-emulator', 'emulators/gohighlevel/src/main.ts', {
    GHL_EMULATOR_PORT: String(ports.ghlEmulator),
    GHL_EMULATOR_DATA_DIR: join(logDir, 'ghl'),
  });
  start('contacts', 'services/contacts/src/main.ts', {
    CONTACTS_PORT: String(ports.contacts),
    CONTACTS_SCHEMA: schemas.contacts,
    CONTACTS_TOPIC: topics.contacts,
    CONTACTS_MASTER_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    CONTACTS_EVENTS_TOPIC: 'off',
    CONTACTS_CRM_TOPICS: `${topics.hubspot},${topics.gohighlevel}`,
  });
  const connectorsKey = `bench:${randomBytes(32).toString('base64')}`;
  for (const [provider, port, schema, topic, base] of [
    ['hubspot', ports.hubspot, schemas.hubspot, topics.hubspot, ['HUBSPOT_API_BASE', ports.hubspotEmulator]],
    ['gohighlevel', ports.gohighlevel, schemas.gohighlevel, topics.gohighlevel, ['GHL_API_BASE', ports.ghlEmulator]],
  ] as const) {
    const prefix = `CONNECTOR_${provider.toUpperCase()}`;
    start(`connector-${provider}`, `services/connector-${provider}/src/main.ts`, {
      [`${prefix}_PORT`]: String(port),
      [`${prefix}_SCHEMA`]: schema,
      [`${prefix}_TOPIC`]: topic,
      [`${prefix}_CONTACTS_TOPIC`]: topics.contacts,
      [`${prefix}_GROUP`]: `bench-${provider}-${suffix}`,
      CONNECTORS_MASTER_KEYS: connectorsKey,
      CONTACTS_URL: `http://127.0.0.1:${ports.contacts}`,
      [base[0]]: `http://127.0.0.1:${base[1]}`,
    });
  }
  start('api-gateway', 'services/api-gateway/src/main.ts', {
    GATEWAY_PORT: String(ports.gateway),
    API_GATEWAY_SCHEMA: schemas.gateway,
    API_BOOTSTRAP_KEY: apiKey,
    CONTACTS_URL: `http://127.0.0.1:${ports.contacts}`,
    CONNECTOR_HUBSPOT_URL: `http://127.0.0.1:${ports.hubspot}`,
    CONNECTOR_GOHIGHLEVEL_URL: `http://127.0.0.1:${ports.gohighlevel}`,
    RATE_LIMIT_PER_SECOND: '100000',
    RATE_LIMIT_BURST: '100000',
  });
  for (const port of Object.values(ports)) await healthy(`http://127.0.0.1:${port}`);

  for (const body of [
    { provider: 'hubspot', displayName: 'HubSpot', providerType: 'crm', authType: 'api_key', credentials: { private_app_token: 'pat-na1-emulator-private-app-token' } },
    {
      provider: 'gohighlevel', displayName: 'GoHighLevel', providerType: 'crm', authType: 'api_key',
      credentials: { private_integration_token: 'pit-emulator-location-0001' }, config: { location_id: 'EmulatorLocation0001' },
    },
  ]) {
    const answer = await api('POST', `/api/integrations/${body.provider}`, body);
    if (answer.status !== 201) throw new Error(`connect ${body.provider}: ${answer.status} ${answer.body}`);
  }

  const prefix = `bench-${suffix}-`;
  const started = performance.now();
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CONTACTS) {
        const i = next++;
        const answer = await api('POST', '/api/contacts', {
          email: `${prefix}${i}@example.com`,
          firstName: 'Bench',
          lastName: `Contact ${i}`,
          properties: { company: 'Ceremonia', job_title: 'Founder' },
          tags: ['bench'],
          syncToCrms: ['hubspot', 'gohighlevel'],
        });
        if (answer.status !== 201) failed++;
      }
    }),
  );
  const acceptedMs = performance.now() - started;
  if (failed > 0) throw new Error(`${failed} contacts were refused by the gateway; logs in ${logDir}`);

  const done: Record<string, number | null> = { hubspot: null, gohighlevel: null };
  const deadline = Date.now() + Number(process.env.BENCH_TIMEOUT_MS || 60 * 60_000);
  let last = '';
  while ((done.hubspot === null || done.gohighlevel === null) && Date.now() < deadline) {
    const [h, g] = [await countHubspot(prefix), await countGhl(prefix)];
    if (done.hubspot === null && h >= CONTACTS) done.hubspot = performance.now() - started;
    if (done.gohighlevel === null && g >= CONTACTS) done.gohighlevel = performance.now() - started;
    const line = `  hubspot ${h}/${CONTACTS}  gohighlevel ${g}/${CONTACTS}`;
    if (line !== last) process.stderr.write(`${line}  (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
    last = line;
    await new Promise((r) => setTimeout(r, 2_000));
  }
  const [hs, gs] = [await stats(ports.hubspotEmulator), await stats(ports.ghlEmulator)];
  const peak = (s: Stats) => Math.max(0, ...Object.values(s.peakPerRollingWindow));
  const result = {
    contacts: CONTACTS,
    acceptedSeconds: +(acceptedMs / 1000).toFixed(1),
    hubspot: {
      allThereSeconds: done.hubspot === null ? null : +(done.hubspot / 1000).toFixed(1),
      requests: hs.total,
      peakPer10s: peak(hs),
      budgetPer10s: 190,
      status429: hs.status429,
      contactsPerRequest: +(CONTACTS / Math.max(1, hs.total)).toFixed(1),
    },
    gohighlevel: {
      allThereSeconds: done.gohighlevel === null ? null : +(done.gohighlevel / 1000).toFixed(1),
      requests: gs.total,
      peakPer10s: peak(gs),
      budgetPer10s: 100,
      status429: gs.status429,
      contactsPerRequest: +(CONTACTS / Math.max(1, gs.total)).toFixed(2),
    },
  };
  console.log(`\nCRM sync: ${CONTACTS} contacts through the gateway with syncToCrms both`);
  console.log(`  accepted by the gateway in ${result.acceptedSeconds} s`);
  console.log('  crm          all there   requests  peak/10s  budget/10s  429s  contacts/request');
  for (const name of ['hubspot', 'gohighlevel'] as const) {
    const r = result[name];
    console.log(
      `  ${name.padEnd(12)} ${String(r.allThereSeconds ?? 'timeout').padStart(8)} s ${String(r.requests).padStart(9)} ${String(r.peakPer10s).padStart(9)} ${String(r.budgetPer10s).padStart(11)} ${String(r.status429).padStart(5)} ${String(r.contactsPerRequest).padStart(17)}`,
    );
  }
  console.log(JSON.stringify({ bench: 'crm-sync', ...result }));
  if (result.hubspot.peakPer10s > 190 || result.gohighlevel.peakPer10s > 100) console.log('  BUDGET EXCEEDED');
}

async function cleanUp(): Promise<void> {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 2_000));
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  for (const schema of Object.values(schemas)) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}

main()
  .then(cleanUp)
  .catch(async (error) => {
    console.error(`crm-sync bench failed: ${(error as Error).message} (logs in ${logDir})`);
    await cleanUp().catch(() => undefined);
    process.exit(1);
  });
