// Starts the real services as processes, the way `npm start` does, but with
// their own schemas, Kafka topic, ports and keys, so an e2e test file never
// shares state with another test or with a running platform. Stops them and
// drops what they created at the end.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Pool } from 'pg';
import { findWorkspaceRoot, loadPlatformConfig } from '@engagement/config';

export interface PlatformUnderTest {
  gatewayUrl: string;
  contactsUrl: string;
  eventsUrl: string;
  eventsSchema: string;
  /** The events service's topic (contacts consumes it for activities). */
  eventsTopic: string;
  apiKey: string;
  contactsSchema: string;
  eventStoreSchema: string;
  gatewaySchema: string;
  contactsTopic: string;
  masterKeys: string;
  /** PLATFORM_TOKEN_SECRET of these processes: tests sign their own service tokens with it. */
  tokenKey: Buffer;
  databaseUrl: string;
  kafkaBrokers: string[];
  pool: Pool;
  /** Everything the processes printed, for failure messages. */
  logs(): string;
  /** Runs an operators' tool (tools/ops/src/<tool>) against these processes' schemas and keys. */
  runTool(tool: string, args: string[], env?: NodeJS.ProcessEnv): SpawnSyncReturns<string>;
  stop(): Promise<void>;
}

const root = findWorkspaceRoot();

export interface PlatformOptions {
  /** Extra environment for both processes (e.g. OTEL_EXPORTER_OTLP_ENDPOINT). */
  env?: NodeJS.ProcessEnv;
}

export async function startPlatformUnderTest(
  options: PlatformOptions = {},
): Promise<PlatformUnderTest> {
  const { databaseUrl, kafkaBrokers } = loadPlatformConfig();
  const suffix = randomUUID().replace(/-/g, '').slice(0, 10);
  const contactsSchema = `contacts_e2e_${suffix}`;
  const eventStoreSchema = `event_store_e2e_${suffix}`;
  const gatewaySchema = `api_gateway_e2e_${suffix}`;
  const contactsTopic = `contacts-e2e-${suffix}`;
  const eventsSchema = `events_e2e_${suffix}`;
  const eventsTopic = `events-e2e-${suffix}`;
  const masterKeys = `e2e:${randomBytes(32).toString('base64')}`;
  const apiKey = `eng_${randomBytes(32).toString('base64url')}`;
  const tokenKey = randomBytes(32);
  const [contactsPort, gatewayPort, eventsPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const output: string[] = [];
  const base = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: kafkaBrokers.join(','),
    PLATFORM_TOKEN_SECRET: tokenKey.toString('base64'),
    ...options.env,
  };

  const contacts = startService('contacts', output, {
    ...base,
    CONTACTS_PORT: String(contactsPort),
    CONTACTS_SCHEMA: contactsSchema,
    EVENT_STORE_SCHEMA: eventStoreSchema,
    CONTACTS_TOPIC: contactsTopic,
    CONTACTS_TOPIC_PARTITIONS: '3',
    CONTACTS_MASTER_KEYS: masterKeys,
    CONTACTS_EVENTS_TOPIC: eventsTopic,
  });
  const events = startService('events', output, {
    ...base,
    EVENTS_PORT: String(eventsPort),
    EVENTS_SCHEMA: eventsSchema,
    EVENT_STORE_SCHEMA: eventStoreSchema,
    EVENTS_TOPIC: eventsTopic,
    EVENTS_TOPIC_PARTITIONS: '3',
    CONTACTS_URL: `http://127.0.0.1:${contactsPort}`,
  });
  const gateway = startService('api-gateway', output, {
    ...base,
    GATEWAY_PORT: String(gatewayPort),
    API_GATEWAY_SCHEMA: gatewaySchema,
    API_BOOTSTRAP_KEY: apiKey,
    CONTACTS_URL: `http://127.0.0.1:${contactsPort}`,
    EVENTS_URL: `http://127.0.0.1:${eventsPort}`,
    RATE_LIMIT_PER_SECOND: '100000',
    RATE_LIMIT_BURST: '100000',
  });
  const pool = new Pool({ connectionString: databaseUrl, max: 4 });
  const stop = async () => {
    await Promise.all([stopProcess(gateway), stopProcess(events), stopProcess(contacts)]);
    for (const schema of [contactsSchema, eventsSchema, eventStoreSchema, gatewaySchema]) {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
    await pool.end();
  };
  try {
    await waitForHealth(`http://127.0.0.1:${contactsPort}/health`, contacts, output);
    await waitForHealth(`http://127.0.0.1:${eventsPort}/health`, events, output);
    await waitForHealth(`http://127.0.0.1:${gatewayPort}/health`, gateway, output);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
    contactsUrl: `http://127.0.0.1:${contactsPort}`,
    eventsUrl: `http://127.0.0.1:${eventsPort}`,
    eventsSchema,
    eventsTopic,
    apiKey,
    contactsSchema,
    eventStoreSchema,
    gatewaySchema,
    contactsTopic,
    masterKeys,
    tokenKey,
    databaseUrl,
    kafkaBrokers,
    pool,
    logs: () => output.join(''),
    runTool: (tool, args, env = {}) =>
      spawnSync(
        join(root, 'node_modules', '.bin', 'node'),
        ['-r', '@swc-node/register', join(root, 'tools', 'ops', 'src', tool), ...args],
        {
          cwd: root,
          encoding: 'utf8',
          env: {
            ...base,
            SWC_NODE_PROJECT: join(root, 'tsconfig.base.json'),
            CONTACTS_SCHEMA: contactsSchema,
            EVENT_STORE_SCHEMA: eventStoreSchema,
            CONTACTS_MASTER_KEYS: masterKeys,
            EVENTS_SCHEMA: eventsSchema,
            ...env,
          },
        },
      ),
    stop,
  };
}

function startService(name: string, output: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(
    join(root, 'node_modules', '.bin', 'node'),
    // As `npm start` does (infra/services.mjs): telemetry preloaded.
    [
      '-r',
      '@swc-node/register',
      '-r',
      join(root, 'libs', 'observability', 'src', 'register.ts'),
      join(root, 'services', name, 'src', 'main.ts'),
    ],
    {
      cwd: root,
      env: { ...env, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (chunk: Buffer) => output.push(`[${name}] ${chunk.toString()}`));
  child.stderr?.on('data', (chunk: Buffer) => output.push(`[${name}] ${chunk.toString()}`));
  return child;
}

async function waitForHealth(url: string, child: ChildProcess, output: string[]): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${url}: the process exited (${child.exitCode}):\n${output.join('')}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within 90 s:\n${output.join('')}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
