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
  /** The first contacts instance's URL. */
  contactsUrl: string;
  /** Every contacts instance (options.contactsInstances), each its own process on the same schemas. */
  contactsInstances: ServiceInstance[];
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
  /** Its names and keys: PlatformOptions.identity starts the same platform again. */
  identity: PlatformIdentity;
  pool: Pool;
  /** Everything the processes printed, for failure messages. */
  logs(): string;
  connectors: ConnectorsUnderTest | null;
  /** The messaging service (when PlatformOptions.messaging is given). */
  messaging: MessagingUnderTest | null;
  /** Runs an operators' tool (tools/ops/src/<tool>) against these processes' schemas and keys. */
  runTool(tool: string, args: string[], env?: NodeJS.ProcessEnv): SpawnSyncReturns<string>;
  /** runTool in the background: the tool's process, for a test that acts while it runs. */
  spawnTool(tool: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess;
  /** Stops the processes and keeps what they stored (stop() afterwards still drops it). */
  stopProcesses(): Promise<void>;
  /** Stops the processes and drops the schemas they created. */
  stop(): Promise<void>;
}

/**
 * What tells one platform under test from another: the suffix of its
 * schemas, topics and consumer groups, and its keys.
 */
export interface PlatformIdentity {
  suffix: string;
  masterKeys: string;
  apiKey: string;
  tokenKey: Buffer;
  connectorsMasterKeys: string;
  trackingSecret: Buffer;
}

function newIdentity(): PlatformIdentity {
  return {
    suffix: randomUUID().replace(/-/g, '').slice(0, 10),
    masterKeys: `e2e:${randomBytes(32).toString('base64')}`,
    apiKey: `eng_${randomBytes(32).toString('base64url')}`,
    tokenKey: randomBytes(32),
    connectorsMasterKeys: `e2e:${randomBytes(32).toString('base64')}`,
    trackingSecret: randomBytes(32),
  };
}

const root = findWorkspaceRoot();
const nodeBin = join(root, 'node_modules', '.bin', 'node');
/** How an operators' tool (tools/ops/src/<tool>) is run, as `npm run <tool>` does. */
const toolArgs = (tool: string, args: string[]) => [
  '-r',
  '@swc-node/register',
  join(root, 'tools', 'ops', 'src', tool),
  ...args,
];

/** One process of a service. */
export interface ServiceInstance {
  url: string;
  /** The process id (its lease connection is `lease <service> pid <pid>`). */
  pid: number;
  process: ChildProcess;
}

export interface PlatformOptions {
  /**
   * The database the processes use (default: the running platform's, from
   * .data/platform.json), e.g. a restored copy in another cluster.
   */
  databaseUrl?: string;
  /**
   * Start the platform with these names and keys (another platform's
   * `identity`: the same platform again, e.g. on a restore of its database);
   * default: new ones.
   */
  identity?: PlatformIdentity;
  /** Extra environment for every process (e.g. OTEL_EXPORTER_OTLP_ENDPOINT). */
  env?: NodeJS.ProcessEnv;
  /** Extra environment for the contacts processes only. */
  contactsEnv?: NodeJS.ProcessEnv;
  /**
   * How many contacts processes to run on the same schemas and topic (default
   * 1); the gateway gets all their URLs. The first is started (and ready)
   * before the others, so it takes the leases.
   */
  contactsInstances?: number;
  /** Extra environment for the gateway only. */
  gatewayEnv?: NodeJS.ProcessEnv;
  /**
   * Also run the messaging service, sending email to this SMTP server (an
   * emulator the test starts) and SMS to this Twilio API base; events then
   * reads its reminders.
   */
  messaging?: { smtpUrl: string; twilioApiBase?: string; env?: NodeJS.ProcessEnv };
  /** Also run the CRM connectors, pointed at these API bases (the emulators). */
  connectors?: { hubspotApiBase: string; gohighlevelApiBase: string };
}

/** The messaging service of a platform under test (when PlatformOptions.messaging is given). */
export interface MessagingUnderTest {
  url: string;
  schema: string;
  topic: string;
  trackingSecret: Buffer;
  /** kill -9 the messaging process, then start it again with the same settings and wait until it is healthy. */
  killAndRestart(): Promise<void>;
}

/** The CRM connectors of a platform under test (when PlatformOptions.connectors is given). */
export interface ConnectorsUnderTest {
  hubspotUrl: string;
  gohighlevelUrl: string;
  hubspotSchema: string;
  gohighlevelSchema: string;
  hubspotTopic: string;
  gohighlevelTopic: string;
  connectorsMasterKeys: string;
}

export async function startPlatformUnderTest(
  options: PlatformOptions = {},
): Promise<PlatformUnderTest> {
  const platformConfig = loadPlatformConfig();
  const databaseUrl = options.databaseUrl ?? platformConfig.databaseUrl;
  const { kafkaBrokers } = platformConfig;
  const identity = options.identity ?? newIdentity();
  const { suffix, masterKeys, apiKey, tokenKey } = identity;
  const contactsSchema = `contacts_e2e_${suffix}`;
  const eventStoreSchema = `event_store_e2e_${suffix}`;
  const gatewaySchema = `api_gateway_e2e_${suffix}`;
  const contactsTopic = `contacts-e2e-${suffix}`;
  const eventsSchema = `events_e2e_${suffix}`;
  const eventsTopic = `events-e2e-${suffix}`;
  // Never the platform's own `messaging` topic: these processes must not take its messages.
  const messagingTopic = `messaging-e2e-${suffix}`;
  const [gatewayPort, eventsPort, hubspotPort, gohighlevelPort, messagingPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const contactsPorts: number[] = [];
  for (let i = 0; i < (options.contactsInstances ?? 1); i++) contactsPorts.push(await freePort());
  const contactsPort = contactsPorts[0]!;
  const crm: ConnectorsUnderTest | null = options.connectors
    ? {
        hubspotUrl: `http://127.0.0.1:${hubspotPort}`,
        gohighlevelUrl: `http://127.0.0.1:${gohighlevelPort}`,
        hubspotSchema: `connector_hubspot_e2e_${suffix}`,
        gohighlevelSchema: `connector_gohighlevel_e2e_${suffix}`,
        hubspotTopic: `crm.hubspot-e2e-${suffix}`,
        gohighlevelTopic: `crm.gohighlevel-e2e-${suffix}`,
        connectorsMasterKeys: identity.connectorsMasterKeys,
      }
    : null;
  const messaging: MessagingUnderTest | null = options.messaging
    ? {
        url: `http://127.0.0.1:${messagingPort}`,
        schema: `messaging_e2e_${suffix}`,
        topic: messagingTopic,
        trackingSecret: identity.trackingSecret,
        killAndRestart: async () => {
          const killed = messagingProcess!;
          const exited = new Promise<void>((resolve) => killed.once('exit', () => resolve()));
          killed.kill('SIGKILL');
          await exited;
          messagingProcess = startService('messaging', output, messagingEnv!);
          await waitForHealth(`${messaging!.url}/health`, messagingProcess, output);
        },
      }
    : null;
  const output: string[] = [];
  const base = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: kafkaBrokers.join(','),
    PLATFORM_TOKEN_SECRET: tokenKey.toString('base64'),
    // Several copies of the platform run beside `npm start`'s on one PostgreSQL (max_connections
    // is often 100): small pools, which the tests' few concurrent requests do not exhaust.
    DB_POOL_SIZE: '4',
    ...options.env,
  };

  const contactsEnv = (port: number) => ({
    ...base,
    CONTACTS_PORT: String(port),
    CONTACTS_SCHEMA: contactsSchema,
    EVENT_STORE_SCHEMA: eventStoreSchema,
    CONTACTS_TOPIC: contactsTopic,
    CONTACTS_TOPIC_PARTITIONS: '3',
    CONTACTS_MASTER_KEYS: masterKeys,
    CONTACTS_EVENTS_TOPIC: eventsTopic,
    CONTACTS_MESSAGING_TOPIC: messagingTopic,
    // Never the platform's own crm.* topics: this contacts reads its connectors' reports, or none.
    CONTACTS_CRM_TOPICS: crm ? `${crm.hubspotTopic},${crm.gohighlevelTopic}` : 'off',
    ...options.contactsEnv,
  });
  const contactsProcesses = [startService('contacts', output, contactsEnv(contactsPort))];
  const contacts = contactsProcesses[0]!;
  const events = startService('events', output, {
    ...base,
    EVENTS_PORT: String(eventsPort),
    EVENTS_SCHEMA: eventsSchema,
    EVENT_STORE_SCHEMA: eventStoreSchema,
    EVENTS_TOPIC: eventsTopic,
    EVENTS_TOPIC_PARTITIONS: '3',
    CONTACTS_URL: `http://127.0.0.1:${contactsPort}`,
    // Without a messaging process, no reminders to read (and no group on the platform's topic).
    EVENTS_MESSAGING_TOPIC: messaging ? messagingTopic : 'off',
  });
  const messagingEnv: NodeJS.ProcessEnv | null =
    messaging && options.messaging
      ? {
          ...base,
          MESSAGING_PORT: String(messagingPort),
          MESSAGING_SCHEMA: messaging.schema,
          EVENT_STORE_SCHEMA: eventStoreSchema,
          MESSAGING_TOPIC: messagingTopic,
          MESSAGING_TOPIC_PARTITIONS: '3',
          CONTACTS_TOPIC: contactsTopic,
          EVENTS_TOPIC: eventsTopic,
          CONTACTS_URL: `http://127.0.0.1:${contactsPort}`,
          SMTP_URL: options.messaging.smtpUrl,
          TWILIO_API_BASE: options.messaging.twilioApiBase ?? 'http://127.0.0.1:4020',
          MESSAGING_PUBLIC_URL: `http://127.0.0.1:${gatewayPort}/api`,
          MESSAGING_TRACKING_SECRET: messaging.trackingSecret.toString('base64'),
          MESSAGING_QUIET_HOURS: 'off',
          ...options.messaging.env,
        }
      : null;
  let messagingProcess = messagingEnv ? startService('messaging', output, messagingEnv) : null;
  const connectorProcesses: ChildProcess[] = [];
  if (crm && options.connectors) {
    for (const [provider, port, schema, topic, apiBase] of [
      [
        'hubspot',
        hubspotPort,
        crm.hubspotSchema,
        crm.hubspotTopic,
        options.connectors.hubspotApiBase,
      ],
      [
        'gohighlevel',
        gohighlevelPort,
        crm.gohighlevelSchema,
        crm.gohighlevelTopic,
        options.connectors.gohighlevelApiBase,
      ],
    ] as const) {
      const prefix = `CONNECTOR_${provider.toUpperCase()}`;
      connectorProcesses.push(
        startService(`connector-${provider}`, output, {
          ...base,
          [`${prefix}_PORT`]: String(port),
          [`${prefix}_SCHEMA`]: schema,
          [`${prefix}_TOPIC`]: topic,
          [`${prefix}_TOPIC_PARTITIONS`]: '3',
          [`${prefix}_CONTACTS_TOPIC`]: contactsTopic,
          [`${prefix}_GROUP`]: `connector-${provider}-e2e-${suffix}`,
          EVENT_STORE_SCHEMA: eventStoreSchema,
          CONNECTORS_MASTER_KEYS: crm.connectorsMasterKeys,
          CONTACTS_URL: `http://127.0.0.1:${contactsPort}`,
          [provider === 'hubspot' ? 'HUBSPOT_API_BASE' : 'GHL_API_BASE']: apiBase,
        }),
      );
    }
  }
  const gateway = startService('api-gateway', output, {
    ...base,
    GATEWAY_PORT: String(gatewayPort),
    API_GATEWAY_SCHEMA: gatewaySchema,
    API_BOOTSTRAP_KEY: apiKey,
    CONTACTS_URL: contactsPorts.map((port) => `http://127.0.0.1:${port}`).join(','),
    EVENTS_URL: `http://127.0.0.1:${eventsPort}`,
    MESSAGING_URL: `http://127.0.0.1:${messagingPort}`,
    CONNECTOR_HUBSPOT_URL: `http://127.0.0.1:${hubspotPort}`,
    CONNECTOR_GOHIGHLEVEL_URL: `http://127.0.0.1:${gohighlevelPort}`,
    RATE_LIMIT_PER_SECOND: '100000',
    RATE_LIMIT_BURST: '100000',
    ...options.gatewayEnv,
  });
  const pool = new Pool({ connectionString: databaseUrl, max: 4 });
  const stopProcesses = async () => {
    await Promise.all([
      stopProcess(gateway),
      stopProcess(events),
      ...contactsProcesses.map(stopProcess),
      ...connectorProcesses.map(stopProcess),
      ...(messagingProcess ? [stopProcess(messagingProcess)] : []),
    ]);
  };
  const stop = async () => {
    await stopProcesses();
    const connectorSchemas = crm ? [crm.hubspotSchema, crm.gohighlevelSchema] : [];
    for (const schema of [
      contactsSchema,
      eventsSchema,
      eventStoreSchema,
      gatewaySchema,
      ...connectorSchemas,
      ...(messaging ? [messaging.schema] : []),
    ]) {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
    await pool.end();
  };
  try {
    await waitForHealth(`http://127.0.0.1:${contactsPort}/health`, contacts, output);
    for (const port of contactsPorts.slice(1)) {
      const instance = startService('contacts', output, contactsEnv(port));
      contactsProcesses.push(instance);
      await waitForHealth(`http://127.0.0.1:${port}/health`, instance, output);
    }
    await waitForHealth(`http://127.0.0.1:${eventsPort}/health`, events, output);
    await waitForHealth(`http://127.0.0.1:${gatewayPort}/health`, gateway, output);
    if (messaging && messagingProcess) {
      await waitForHealth(`${messaging.url}/health`, messagingProcess, output);
    }
    if (crm) {
      await waitForHealth(`${crm.hubspotUrl}/health`, connectorProcesses[0]!, output);
      await waitForHealth(`${crm.gohighlevelUrl}/health`, connectorProcesses[1]!, output);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const toolEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
    ...base,
    SWC_NODE_PROJECT: join(root, 'tsconfig.base.json'),
    CONTACTS_SCHEMA: contactsSchema,
    EVENT_STORE_SCHEMA: eventStoreSchema,
    CONTACTS_MASTER_KEYS: masterKeys,
    EVENTS_SCHEMA: eventsSchema,
    ...(messaging ? { MESSAGING_SCHEMA: messaging.schema } : {}),
    // Tools that open sealed fields ask these contacts for data keys, never the platform's own.
    CONTACTS_URL: contactsPorts.map((port) => `http://127.0.0.1:${port}`).join(','),
    ...env,
  });
  return {
    gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
    contactsUrl: `http://127.0.0.1:${contactsPort}`,
    contactsInstances: contactsProcesses.map((child, i) => ({
      url: `http://127.0.0.1:${contactsPorts[i]}`,
      pid: child.pid!,
      process: child,
    })),
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
    identity,
    pool,
    logs: () => output.join(''),
    connectors: crm,
    messaging,
    runTool: (tool, args, env = {}) =>
      spawnSync(nodeBin, toolArgs(tool, args), { cwd: root, encoding: 'utf8', env: toolEnv(env) }),
    spawnTool: (tool, args, env = {}) =>
      spawn(nodeBin, toolArgs(tool, args), {
        cwd: root,
        env: toolEnv(env),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    stopProcesses,
    stop,
  };
}

function startService(name: string, output: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(
    join(root, 'node_modules', '.bin', 'node'),
    // As `npm start` does (infra/services.mjs): telemetry preloaded.
    [
      '--disable-warning=TimeoutNegativeWarning',
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

function listenable(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : null));
    });
  });
}

let nextPortInRange: number | null = null;

/**
 * A port nobody listens on: any (the system's choice), or, where
 * E2E_PORT_RANGE=5100-5199 says so, the next free one in that range (for
 * machines where each person keeps to a block of ports).
 */
export async function freePort(): Promise<number> {
  const range = /^(\d+)-(\d+)$/.exec(process.env.E2E_PORT_RANGE ?? '');
  if (!range) {
    const port = await listenable(0);
    if (port === null) throw new Error('no free port');
    return port;
  }
  const [low, high] = [Number(range[1]), Number(range[2])];
  for (let tried = 0; tried <= high - low; tried++) {
    if (nextPortInRange === null || nextPortInRange > high) nextPortInRange = low;
    const port = await listenable(nextPortInRange++);
    if (port !== null) return port;
  }
  throw new Error(`no free port in E2E_PORT_RANGE ${process.env.E2E_PORT_RANGE}`);
}
