// Measures the contacts API over HTTP, end to end, and compares it in the
// same run with what a team would build without event sourcing:
//   gateway   our full path: client → API gateway (API key, rate limit,
//             proxy) → contacts service (decider, email reservation, event
//             store append; the read-model projection fills the seed's
//             tables in the background; GETs read those tables);
//   contacts  our contacts service called directly, without the gateway,
//             so the gateway's share is visible;
//   plain     bench/plain-crud: NestJS + TypeORM writing the seed's
//             contacts, contact_properties, tags and contact_tags rows in
//             one transaction per create (7 statements); GETs are TypeORM's
//             findOne with relations (2 queries).
//
// How:
// - The three services run as child processes of this file, on free ports,
//   with fresh random schemas (contacts, event store, api_gateway, plain),
//   a random API_BOOTSTRAP_KEY and the gateway's rate limit out of the way.
//   Their output goes to log files in a temporary folder (kept, and named,
//   when the run fails or BENCH_KEEP_LOGS=1). The contacts service's relay to
//   Kafka is off unless BENCH_RELAY=on: with it on, the bench's contacts are
//   produced to the platform's shared `contacts` topic.
// - Every request body is the seed's POST /api/contacts example with a new
//   email: three properties, two tags, two CRMs to sync to.
// - Each contender first warms up (creates at saturation, BENCH_WARMUP_SECONDS,
//   default 3). Then, for each workload, the contenders take turns (the first
//   one rotating from workload to workload), one at a time:
//   (a) creates at a fixed BENCH_CREATE_RATE (default 200) requests/s for
//       BENCH_SECONDS (default 10): achieved rate, p50/p99, non-2xx;
//   (b) creates at saturation, BENCH_CONNECTIONS (default 32) connections,
//       autocannon, BENCH_SECONDS: creates/s, p50/p99;
//   (c) GET by id at BENCH_GET_RATE (default 1,000) requests/s for
//       BENCH_SECONDS, over the contacts that contender created in (a).
//   Then (d), ours only, through the gateway: one NDJSON upload of
//   BENCH_IMPORT_CONTACTS (default 100,000) contacts to POST
//   /api/contacts/imports, the job polled until it is done (capped at
//   BENCH_IMPORT_TIMEOUT_SECONDS, default 90), then the time until the read
//   model holds them all (capped at BENCH_IMPORT_VISIBLE_TIMEOUT_SECONDS, default 60).
//   Beside it, as ratios: the ceiling, a plain COPY of the same number of
//   rows of the same shape into the seed's tables (contacts,
//   contact_properties, contact_tags of the plain schema, one transaction,
//   pg-copy-streams), and the floor, the plain CRUD service creating them
//   one by one (its creates/s at saturation, run (b), same row shape).
// - Fixed rates are open-loop: request i leaves at start + i/rate whether or
//   not earlier ones have been answered (keep-alive agent, up to 512 sockets),
//   and its latency counts from that planned time, so a server that falls
//   behind shows it in its percentiles instead of slowing the client down.
//   Requests still unanswered 5 to 10 s (BENCH_SECONDS, bounded) after the
//   last was sent are abandoned and count as "unanswered", with an infinite
//   latency, so that an overloaded server cannot stretch the run.
//   autocannon's own rate limit (overallRate) fires each connection's quota
//   for the second back to back and then idles (mcollina/autocannon#174), so
//   it measures bursts, not a rate; BENCH_FIXED_RATE_DRIVER=autocannon uses
//   it anyway. Saturation is autocannon (closed loop), with setupRequest
//   making a new body per request.
// - After each create run against our service, the bench waits until the
//   read model holds every contact created so far (the projection catching
//   up) before the next run starts; that wait is reported as "read model lag".
// - CPU (from /proc): the service processes on the path and their own
//   PostgreSQL backends (each service connects with its own PGAPPNAME), per
//   successful request, from the start of a run until the read model caught
//   up; and how many cores the rest of the machine kept busy meanwhile, since
//   a shared machine's other load moves every figure here (a WARNING says so
//   when it was more than a quarter of a core).
// - "Cost" for the 1.5x goal: CPU per create at saturation (the services on
//   the path + their backends) and creates/s at saturation, as ratios to the
//   plain path; latency ratios are printed too, but under an open-loop load a
//   path that falls behind the rate has latencies in seconds, not a ratio.
// - BENCH_CPU_PROF=1 runs every service with --cpu-prof; the profiles (whole
//   process lifetimes) are left in the log folder, which is then kept.
// Prints a table, then one JSON line with every figure. Exits non-zero only on
// errors, never because a goal was missed. Child processes are stopped and
// the schemas dropped at the end, also after an error or Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { loadPlatformConfig, PlatformNotRunningError } from '@engagement/config';
import { loadServiceTokenKey, signServiceToken } from '@engagement/service-auth';

// ---------------------------------------------------------------- settings

const SECONDS = Math.max(numberFromEnv('BENCH_SECONDS', 10), 0.5);
const WARMUP_SECONDS = numberFromEnv('BENCH_WARMUP_SECONDS', 3);
const CREATE_RATE = Math.max(numberFromEnv('BENCH_CREATE_RATE', 200), 1);
const GET_RATE = Math.max(numberFromEnv('BENCH_GET_RATE', 1_000), 1);
const CONNECTIONS = Math.max(Math.round(numberFromEnv('BENCH_CONNECTIONS', 32)), 1);
const IMPORT_CONTACTS = Math.round(numberFromEnv('BENCH_IMPORT_CONTACTS', 100_000));
const IMPORT_TIMEOUT_SECONDS = numberFromEnv('BENCH_IMPORT_TIMEOUT_SECONDS', 90);
const IMPORT_VISIBLE_TIMEOUT_SECONDS = numberFromEnv('BENCH_IMPORT_VISIBLE_TIMEOUT_SECONDS', 60);
const CATCH_UP_TIMEOUT_SECONDS = 120;
const DRAIN_SECONDS = Math.max(5, Math.min(SECONDS, 10));
const STARTUP_TIMEOUT_SECONDS = 180;
const RELAY = process.env.BENCH_RELAY === 'on';
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const KEEP_LOGS = CPU_PROF || process.env.BENCH_KEEP_LOGS === '1';
const FIXED_RATE_DRIVER =
  process.env.BENCH_FIXED_RATE_DRIVER === 'autocannon' ? 'autocannon' : 'paced';
const LOCAL_FALLBACK_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const ROOT = resolve(__dirname, '..');
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

const GOALS = {
  costRatio: 1.5,
  createP99Ms: 50,
  getP99Ms: 20,
  importPerSecond: 10_000,
};

// ---------------------------------------------------------------- types

type ContenderName = 'plain' | 'contacts' | 'gateway';

interface Contender {
  name: ContenderName;
  label: string;
  baseUrl: string;
  createPath: string;
  getPath: (id: string) => string;
  headers: Record<string, string>;
  /** The service processes a request of this contender goes through. */
  processes: Service[];
  /** Whether creates land in our read model through the projection. */
  projected: boolean;
  /** Ids of the contacts created in workload (a), for (c). */
  ids: string[];
}

interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

interface RunFigures extends Latency {
  driver: string;
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** Open loop only: requests abandoned DRAIN_SECONDS after the last was sent. */
  unanswered: number;
  statuses: Record<string, number>;
  seconds: number;
  /** 2xx answers per second. */
  perSecond: number;
  /** Time until the read model held every contact created so far (ours only). */
  readModelLagMs?: number;
  cpu?: CpuFigures;
}

interface CpuFigures {
  /** CPU milliseconds per 2xx answer: the services on the path, their PostgreSQL backends, this client. */
  servicesMsPerRequest: number;
  postgresMsPerRequest: number;
  clientMsPerRequest: number;
  /** Cores kept busy on average over the run: services + their backends + this client. */
  coresBusy: number;
  /** Cores kept busy by everything else on the machine (other load, PostgreSQL's own processes). */
  otherCoresBusy: number;
}

interface ImportFigures {
  contacts: number;
  bodyBytes: number;
  uploadMs: number;
  status: string;
  processed: number;
  created: number;
  updated: number;
  failed: number;
  capped: boolean;
  /** From the start of the upload until the job reported completed (polled every 250 ms). */
  seconds: number;
  contactsPerSecond: number;
  /** The job's own startedAt → finishedAt, as the worker recorded it. */
  workerSeconds: number | null;
  workerContactsPerSecond: number | null;
  /** From the start of the upload until the read model held them all. */
  visibleSeconds: number | null;
  visibleContactsPerSecond: number | null;
  visibleCapped: boolean;
  error: string | null;
  firstRowErrors: unknown[];
  /** Per processed row, from the upload until the read model held them all (or the cap). */
  cpu: CpuFigures;
  /** The ceiling: a plain COPY of as many rows of the same shape into the seed's tables. */
  copy: { seconds: number; contactsPerSecond: number } | null;
  /** The floor: the plain CRUD service creating rows of the same shape one by one (creates/s at saturation). */
  plainOneByOnePerSecond: number | null;
}

interface Results {
  postgres: string;
  database: string;
  databaseSource: string;
  schemas: Record<string, string>;
  creates: Record<ContenderName, RunFigures>;
  saturation: Record<ContenderName, RunFigures>;
  gets: Record<ContenderName, RunFigures>;
  warmup: Record<ContenderName, RunFigures>;
  bulkImport: ImportFigures | null;
  loadAverage: { start: number[]; end: number[] };
}

// ---------------------------------------------------------------- child processes

class Service {
  readonly child: ChildProcess;
  private exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly exitPromise: Promise<void>;

  constructor(
    readonly name: string,
    /** PGAPPNAME of its database connections: tells its backends apart in pg_stat_activity. */
    readonly appName: string,
    readonly baseUrl: string,
    readonly logFile: string,
    script: string,
    env: NodeJS.ProcessEnv,
    extraNodeArgs: string[] = [],
  ) {
    const fd = openSync(logFile, 'a');
    try {
      this.child = spawn(process.execPath, [...extraNodeArgs, '-r', '@swc-node/register', script], {
        cwd: ROOT,
        env: { ...env, PGAPPNAME: appName },
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    this.exitPromise = new Promise((resolveExit) => {
      this.child.once('exit', (code, signal) => {
        this.exited = { code, signal };
        resolveExit();
      });
      this.child.once('error', (error) => {
        log(`${this.name}: could not start: ${error.message}`);
        this.exited ??= { code: null, signal: null };
        resolveExit();
      });
    });
  }

  get pid(): number | undefined {
    return this.exited ? undefined : this.child.pid;
  }

  async waitUntilHealthy(timeoutMs: number): Promise<number> {
    const started = performance.now();
    const deadline = started + timeoutMs;
    for (;;) {
      if (this.exited) {
        throw new Error(
          `${this.name} exited (${this.exited.signal ?? `code ${this.exited.code}`}) before it was healthy:\n${this.tail()}`,
        );
      }
      try {
        const response = await fetch(`${this.baseUrl}/health`, {
          signal: AbortSignal.timeout(1_000),
        });
        await response.body?.cancel();
        if (response.ok) return performance.now() - started;
      } catch {
        // not listening yet
      }
      if (performance.now() > deadline) {
        throw new Error(
          `${this.name} was not healthy after ${timeoutMs / 1000} s:\n${this.tail()}`,
        );
      }
      await sleep(250);
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (!this.exited) {
        log(`${this.name}: no exit ${graceMs / 1000} s after SIGTERM; SIGKILL`);
        this.child.kill('SIGKILL');
      }
    }, graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  tail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

let nextFixedPort = Number(process.env.BENCH_PORT_BASE) || 0;

/** A free port; from BENCH_PORT_BASE upwards when it is set (a block of ports of one's own). */
function freePort(): Promise<number> {
  if (nextFixedPort > 0) return Promise.resolve(nextFixedPort++);
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

// ---------------------------------------------------------------- workload

const runTag = randomBytes(3).toString('hex');
let contactCounter = 0;

/** The seed's POST /api/contacts example, with a new email each time. */
function contactRecord(source: string): Record<string, unknown> {
  const n = ++contactCounter;
  return {
    email: `bench-${runTag}-${source}-${n}@example.com`,
    firstName: 'Austin',
    lastName: 'Mao',
    properties: { company: 'Ceremonia', job_title: 'Founder', industry: 'SaaS' },
    tags: ['webinar-attendee', 'hot-lead'],
    syncToCrms: ['hubspot', 'gohighlevel'],
  };
}

function contactBody(source: string): string {
  return JSON.stringify(contactRecord(source));
}

interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

/** Records ids from create answers ({ "id": ... }). */
function idCollector(into: string[]): (body: string) => void {
  return (body) => {
    const match = /"id"\s*:\s*"([0-9a-f-]{36})"/.exec(body);
    if (match) into.push(match[1]);
  };
}

// ---------------------------------------------------------------- drivers

/**
 * Open loop: request i is sent at start + i / rate, whatever happened to the
 * earlier ones, and its latency runs from that planned time. Requests still
 * unanswered DRAIN_SECONDS after the last one was sent are abandoned (their
 * sockets closed) and count as unanswered, with an infinite latency in the
 * percentiles: a server that cannot keep up does not stretch the run forever.
 */
async function runPaced(options: {
  contender: Contender;
  rate: number;
  seconds: number;
  next: (i: number) => RequestSpec;
  onOk?: (body: string) => void;
}): Promise<RunFigures> {
  const { contender, rate, seconds } = options;
  const url = new URL(contender.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const total = Math.max(1, Math.round(rate * seconds));
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  let abandoned = false;
  const inFlight = new Set<Promise<void>>();

  const send = (spec: RequestSpec, planned: number): Promise<void> =>
    new Promise<void>((resolveRequest) => {
      const headers: Record<string, string> = { ...contender.headers };
      const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
      if (body) headers['content-length'] = String(body.length);
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          method: spec.method,
          path: spec.path,
          headers,
          agent,
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            if (abandoned) return;
            const done = performance.now();
            const status = res.statusCode ?? 0;
            statuses[status] = (statuses[status] ?? 0) + 1;
            if (status >= 200 && status < 300) {
              ok++;
              latencies.push(done - planned);
              options.onOk?.(Buffer.concat(chunks).toString('utf8'));
            } else {
              non2xx++;
            }
            resolveRequest();
          });
          res.on('error', () => {
            if (!abandoned) errors++;
            resolveRequest();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        if (!abandoned) errors++;
        resolveRequest();
      });
      req.end(body);
    });

  const start = performance.now() + 5;
  const interval = 1000 / rate;
  while (sent < total) {
    const now = performance.now();
    while (sent < total && start + sent * interval <= now) {
      const planned = start + sent * interval;
      const p = send(options.next(sent), planned);
      inFlight.add(p);
      void p.then(() => inFlight.delete(p));
      sent++;
    }
    if (sent < total) {
      const wait = start + sent * interval - performance.now();
      await sleep(Math.max(0, Math.min(wait, 50)));
    }
  }
  let drainTimer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(inFlight),
    new Promise<void>((r) => (drainTimer = setTimeout(r, DRAIN_SECONDS * 1000))),
  ]);
  clearTimeout(drainTimer);
  const end = performance.now();
  abandoned = true;
  const unanswered = inFlight.size;
  for (let i = 0; i < unanswered; i++) latencies.push(Infinity);
  agent.destroy();
  const elapsed = Math.max(seconds, (end - start) / 1000);
  return {
    driver: `open loop, ${rate}/s`,
    sent,
    ok,
    non2xx,
    errors,
    unanswered,
    statuses,
    seconds: elapsed,
    perSecond: ok / elapsed,
    ...percentiles(latencies),
  };
}

interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  latency: { p50: number; p90: number; p99: number; max: number };
  statusCodeStats: Record<string, { count: number }>;
  requests: { sent: number };
}
interface AutocannonRequest {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
}
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  overallRate?: number;
  headers: Record<string, string>;
  requests: Array<{
    method: string;
    path: string;
    setupRequest: (request: AutocannonRequest) => AutocannonRequest;
    onResponse?: (status: number, body: string) => void;
  }>;
}
// autocannon ships no types (and no @types package is installed).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (
  options: AutocannonOptions,
) => Promise<AutocannonResult>;

/** Closed loop (or autocannon's bursty rate limit when `rate` is given). */
async function runAutocannon(options: {
  contender: Contender;
  connections: number;
  seconds: number;
  rate?: number;
  next: (i: number) => RequestSpec;
  onOk?: (body: string) => void;
}): Promise<RunFigures> {
  const { contender } = options;
  let i = 0;
  const first = options.next(-1);
  const result = await autocannon({
    url: contender.baseUrl,
    connections: options.connections,
    duration: options.seconds,
    overallRate: options.rate,
    headers: contender.headers,
    requests: [
      {
        method: first.method,
        path: first.path,
        setupRequest: (request) => {
          const spec = options.next(i++);
          return { ...request, method: spec.method, path: spec.path, body: spec.body };
        },
        onResponse: options.onOk
          ? (status, body) => {
              if (status >= 200 && status < 300) options.onOk!(body);
            }
          : undefined,
      },
    ],
  });
  const statuses = Object.fromEntries(
    Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]),
  );
  const ok = result['2xx'];
  return {
    driver:
      options.rate === undefined
        ? `autocannon, ${options.connections} connections`
        : `autocannon overallRate ${options.rate}/s, ${options.connections} connections`,
    sent: result.requests.sent,
    unanswered: 0,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    statuses,
    seconds: result.duration,
    perSecond: ok / result.duration,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
  };
}

function percentiles(values: number[]): Latency {
  if (values.length === 0) return { p50: NaN, p90: NaN, p99: NaN, max: NaN };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1] };
}

// ---------------------------------------------------------------- CPU

interface CpuSnapshot {
  services: number;
  /** CPU seconds of each PostgreSQL backend serving the contender's services, by pid. */
  backends: Map<number, number>;
  client: number;
  /** Busy CPU seconds of the whole machine (/proc/stat). */
  machine: number;
  at: number;
}

/** utime + stime of a process, in seconds; 0 when it is gone. */
function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Busy (not idle, not iowait) CPU seconds of the machine since boot. */
function machineCpuSeconds(): number {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = ticks.map(Number);
    void idle;
    void iowait;
    return (user + nice + system + irq + softirq + (steal || 0)) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/**
 * The backends of the contender's services: each service connects with
 * PGAPPNAME set to its own application name (node-postgres reads it, also
 * under TypeORM), so pg_stat_activity tells whose backend is whose, and the
 * other sessions on a shared database server are not counted.
 */
async function cpuSnapshot(admin: Client, contender: Contender): Promise<CpuSnapshot> {
  const { rows } = await admin.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE application_name = ANY($1)',
    [contender.processes.map((s) => s.appName)],
  );
  const usage = process.cpuUsage();
  return {
    services: contender.processes.reduce(
      (sum, s) => sum + (s.pid ? processCpuSeconds(s.pid) : 0),
      0,
    ),
    backends: new Map(rows.map(({ pid }) => [pid, processCpuSeconds(pid)])),
    client: (usage.user + usage.system) / 1e6,
    machine: machineCpuSeconds(),
    at: performance.now(),
  };
}

function cpuFigures(before: CpuSnapshot, after: CpuSnapshot, requests: number): CpuFigures {
  const per = (seconds: number) => (requests > 0 ? (seconds * 1000) / requests : NaN);
  const services = after.services - before.services;
  // Backends opened during the run count from zero; backends closed during it are lost (rare: the pools keep theirs).
  let postgres = 0;
  for (const [pid, cpu] of after.backends) postgres += cpu - (before.backends.get(pid) ?? 0);
  const client = after.client - before.client;
  const wall = (after.at - before.at) / 1000;
  const ours = services + postgres + client;
  return {
    servicesMsPerRequest: per(services),
    postgresMsPerRequest: per(postgres),
    clientMsPerRequest: per(client),
    coresBusy: ours / wall,
    otherCoresBusy: Math.max(0, (after.machine - before.machine - ours) / wall),
  };
}

// ---------------------------------------------------------------- the read model

class ReadModel {
  /** Contacts our service answered 2xx for (every run, both paths, the import). */
  expected = 0;

  constructor(
    readonly admin: Client,
    private readonly schema: string,
  ) {}

  async count(): Promise<number> {
    const { rows } = await this.admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${this.schema}".contacts`,
    );
    return rows[0].n;
  }

  /** Waits until the read model holds `expected` contacts; returns the ms waited, or null when capped. */
  async caughtUp(timeoutSeconds = CATCH_UP_TIMEOUT_SECONDS): Promise<number | null> {
    const started = performance.now();
    for (;;) {
      const n = await this.count();
      if (n >= this.expected) return performance.now() - started;
      if (performance.now() - started > timeoutSeconds * 1000) {
        log(
          `read model holds ${n} of ${this.expected} contacts after ${timeoutSeconds} s; going on`,
        );
        return null;
      }
      await sleep(50);
    }
  }
}

// ---------------------------------------------------------------- workloads

async function measure(
  contender: Contender,
  readModel: ReadModel,
  run: () => Promise<RunFigures>,
  createsOurs: boolean,
): Promise<RunFigures> {
  const before = await cpuSnapshot(readModel.admin, contender);
  const figures = await run();
  if (createsOurs) {
    readModel.expected += figures.ok;
    const lag = await readModel.caughtUp();
    figures.readModelLagMs = lag ?? NaN;
  }
  figures.cpu = cpuFigures(before, await cpuSnapshot(readModel.admin, contender), figures.ok);
  await sleep(500);
  return figures;
}

function createRun(
  contender: Contender,
  mode: 'warmup' | 'rate' | 'saturation',
): () => Promise<RunFigures> {
  const next = (): RequestSpec => ({
    method: 'POST',
    path: contender.createPath,
    body: contactBody(contender.name),
  });
  if (mode === 'warmup') {
    return () => runAutocannon({ contender, connections: 8, seconds: WARMUP_SECONDS, next });
  }
  if (mode === 'saturation') {
    return () => runAutocannon({ contender, connections: CONNECTIONS, seconds: SECONDS, next });
  }
  const onOk = idCollector(contender.ids);
  return FIXED_RATE_DRIVER === 'autocannon'
    ? () =>
        runAutocannon({
          contender,
          connections: Math.min(CONNECTIONS, CREATE_RATE),
          seconds: SECONDS,
          rate: CREATE_RATE,
          next,
          onOk,
        })
    : () => runPaced({ contender, rate: CREATE_RATE, seconds: SECONDS, next, onOk });
}

function getRun(contender: Contender): () => Promise<RunFigures> {
  const ids = contender.ids;
  if (ids.length === 0) throw new Error(`${contender.label}: no contacts were created to GET`);
  const next = (i: number): RequestSpec => ({
    method: 'GET',
    path: contender.getPath(ids[(Math.abs(i) * 7919) % ids.length]),
  });
  return FIXED_RATE_DRIVER === 'autocannon'
    ? () =>
        runAutocannon({
          contender,
          connections: Math.min(CONNECTIONS, GET_RATE),
          seconds: SECONDS,
          rate: GET_RATE,
          next,
        })
    : () => runPaced({ contender, rate: GET_RATE, seconds: SECONDS, next });
}

/** Runs `fn` for each contender, starting with the `turn`-th, one after the other. */
async function takeTurns(
  contenders: Contender[],
  turn: number,
  fn: (contender: Contender) => Promise<RunFigures>,
): Promise<Record<ContenderName, RunFigures>> {
  const out = {} as Record<ContenderName, RunFigures>;
  for (let k = 0; k < contenders.length; k++) {
    const contender = contenders[(turn + k) % contenders.length];
    out[contender.name] = await fn(contender);
  }
  return out;
}

async function bulkImport(gateway: Contender, readModel: ReadModel): Promise<ImportFigures> {
  const lines: string[] = [];
  for (let i = 0; i < IMPORT_CONTACTS; i++) lines.push(JSON.stringify(contactRecord('import')));
  const body = Buffer.from(`${lines.join('\n')}\n`);
  lines.length = 0;
  log(
    `bulk import: uploading ${IMPORT_CONTACTS} contacts (${(body.length / 1e6).toFixed(1)} MB NDJSON) through the gateway`,
  );

  const cpuBefore = await cpuSnapshot(readModel.admin, gateway);
  const started = performance.now();
  const upload = await fetch(`${gateway.baseUrl}/api/contacts/imports`, {
    method: 'POST',
    headers: {
      authorization: gateway.headers.authorization,
      'content-type': 'application/x-ndjson',
    },
    body,
  });
  const uploadMs = performance.now() - started;
  const accepted = (await upload.json()) as { id?: string; status?: string };
  if (upload.status !== 202 || !accepted.id) {
    throw new Error(
      `bulk import: upload answered ${upload.status}: ${JSON.stringify(accepted).slice(0, 500)}`,
    );
  }
  interface JobView {
    status: string;
    total: number;
    processed: number;
    created: number;
    updated: number;
    failed: number;
    errors: unknown[];
    error: string | null;
    startedAt: string | null;
    finishedAt: string | null;
  }
  let job: JobView | undefined;
  let capped = false;
  let lastLogged = 0;
  for (;;) {
    const response = await fetch(`${gateway.baseUrl}/api/contacts/imports/${accepted.id}`, {
      headers: { authorization: gateway.headers.authorization },
    });
    if (response.ok) {
      job = (await response.json()) as JobView;
      if (job.status === 'completed' || job.status === 'failed') break;
    } else {
      await response.body?.cancel();
    }
    const elapsed = (performance.now() - started) / 1000;
    if (elapsed > IMPORT_TIMEOUT_SECONDS) {
      capped = true;
      break;
    }
    if (elapsed - lastLogged >= 10) {
      lastLogged = elapsed;
      log(
        `bulk import: ${job?.status ?? '?'}, ${job?.processed ?? 0} of ${IMPORT_CONTACTS} rows after ${elapsed.toFixed(0)} s`,
      );
    }
    await sleep(250);
  }
  const seconds = (performance.now() - started) / 1000;
  const processed = job?.processed ?? 0;
  const created = job?.created ?? 0;
  const updated = job?.updated ?? 0;
  const workerSeconds =
    job?.startedAt && job.finishedAt
      ? (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000
      : null;

  // The import's contacts in the read model.
  readModel.expected += created;
  let visibleSeconds: number | null = null;
  let visibleCapped = false;
  if (!capped) {
    const waited = await readModel.caughtUp(IMPORT_VISIBLE_TIMEOUT_SECONDS);
    if (waited === null) visibleCapped = true;
    else visibleSeconds = (performance.now() - started) / 1000;
  }
  const cpu = cpuFigures(cpuBefore, await cpuSnapshot(readModel.admin, gateway), processed);
  return {
    contacts: IMPORT_CONTACTS,
    bodyBytes: body.length,
    uploadMs,
    status: capped ? `${job?.status ?? 'unknown'} (capped)` : (job?.status ?? 'unknown'),
    processed,
    created,
    updated,
    failed: job?.failed ?? 0,
    capped,
    seconds,
    contactsPerSecond: (created + updated) / seconds,
    workerSeconds,
    workerContactsPerSecond: workerSeconds ? (created + updated) / workerSeconds : null,
    visibleSeconds,
    visibleContactsPerSecond: visibleSeconds ? created / visibleSeconds : null,
    visibleCapped,
    error: job?.error ?? null,
    firstRowErrors: (job?.errors ?? []).slice(0, 3),
    cpu,
    copy: null,
    plainOneByOnePerSecond: null,
  };
}

/** Text-format COPY field: NULL as \N, backslash, tab and line breaks escaped. */
function copyField(value: string | null): string {
  if (value === null) return '\\N';
  return value.replace(
    /[\\\t\n\r]/g,
    (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!,
  );
}

async function copyRows(client: Client, sql: string, rows: (string | null)[][]): Promise<void> {
  const lines = function* () {
    for (let i = 0; i < rows.length; i += 1_000) {
      yield rows
        .slice(i, i + 1_000)
        .map((row) => row.map(copyField).join('\t') + '\n')
        .join('');
    }
  };
  await pipeline(Readable.from(lines()), client.query(copyFrom(sql)));
}

/**
 * The ceiling for the import: `count` rows of the import's shape written
 * with COPY into the seed's tables of the plain schema (contacts, their
 * three properties, their two tags), in one transaction; no checks, no
 * events, no read model to wait for.
 */
async function copyCeiling(
  databaseUrl: string,
  schema: string,
  count: number,
): Promise<{ seconds: number; contactsPerSecond: number }> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'bench-copy' });
  await client.connect();
  try {
    const q = (table: string) => `"${schema}".${table}`;
    const records = Array.from({ length: count }, () => contactRecord('copy'));
    const started = performance.now();
    const tagIds = new Map<string, string>();
    const slugs = [...new Set(records.flatMap((r) => r.tags as string[]))];
    await client.query('BEGIN');
    for (const slug of slugs) {
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO ${q('tags')} (name, slug) VALUES ($1, $1)
         ON CONFLICT (slug) DO UPDATE SET slug = EXCLUDED.slug RETURNING id`,
        [slug],
      );
      tagIds.set(slug, rows[0].id);
    }
    const contacts: (string | null)[][] = [];
    const properties: (string | null)[][] = [];
    const contactTags: (string | null)[][] = [];
    for (const record of records) {
      const id = randomUUID();
      contacts.push([id, String(record.email), String(record.firstName), String(record.lastName)]);
      for (const [name, value] of Object.entries(record.properties as Record<string, string>)) {
        properties.push([id, name, value, 'string', 'api']);
      }
      for (const slug of record.tags as string[]) contactTags.push([id, tagIds.get(slug)!, 'api']);
    }
    await copyRows(
      client,
      `COPY ${q('contacts')} (id, email, first_name, last_name) FROM STDIN`,
      contacts,
    );
    await copyRows(
      client,
      `COPY ${q('contact_properties')} (contact_id, property_name, property_value, property_type, source) FROM STDIN`,
      properties,
    );
    await copyRows(
      client,
      `COPY ${q('contact_tags')} (contact_id, tag_id, applied_by) FROM STDIN`,
      contactTags,
    );
    await client.query('COMMIT');
    const seconds = (performance.now() - started) / 1000;
    return { seconds, contactsPerSecond: count / seconds };
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------- main

const cleanups: Array<() => Promise<void>> = [];
let cleaningUp: Promise<void> | undefined;

function cleanUp(): Promise<void> {
  cleaningUp ??= (async () => {
    for (const step of cleanups.reverse()) await step().catch(warn);
  })();
  return cleaningUp;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the services and dropping the schemas`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const { url: databaseUrl, kafkaBrokers, source } = resolvePlatform();
  const runId = `bench_api_${Date.now().toString(36)}_${process.pid}`;
  const schemas = {
    contacts: `${runId}_contacts`,
    eventStore: `${runId}_es`,
    gateway: `${runId}_gw`,
    plain: `${runId}_plain`,
  };
  const apiKey = `bench-${randomBytes(24).toString('base64url')}`;
  const logDir = mkdtempSync(join(tmpdir(), 'contacts-api-bench-'));
  let failed = true;

  const admin = new Client({ connectionString: databaseUrl });
  await admin.connect();
  cleanups.push(async () => {
    await admin.end();
  });
  cleanups.push(async () => {
    for (const schema of Object.values(schemas)) {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(warn);
    }
  });
  cleanups.push(async () => {
    if (failed || KEEP_LOGS) log(`service logs kept in ${logDir}`);
    else rmSync(logDir, { recursive: true, force: true });
  });

  const loadAtStart = loadavg();
  const version = (await admin.query<{ v: string }>('SELECT version() AS v')).rows[0].v;
  log(`PostgreSQL: ${version.split(',')[0]} at ${redact(databaseUrl)} (from ${source})`);
  log(
    `${SECONDS} s per run; creates at ${CREATE_RATE}/s, saturation with ${CONNECTIONS} connections, ` +
      `GETs at ${GET_RATE}/s (${FIXED_RATE_DRIVER === 'paced' ? 'open loop' : 'autocannon overallRate'}); ` +
      `warm-up ${WARMUP_SECONDS} s; import of ${IMPORT_CONTACTS}; relay ${RELAY ? 'on' : 'off'}; ` +
      `schemas ${Object.values(schemas).join(', ')}; logs in ${logDir}`,
  );

  const [plainPort, contactsPort, gatewayPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: kafkaBrokers,
  };
  const services: Service[] = [];
  cleanups.push(async () => {
    await Promise.all(services.map((s) => s.stop()));
  });
  // --cpu-prof writes its profile at a normal exit only; Nest's shutdown hooks
  // end the gateway by re-raising the signal, so a preload exits first.
  const exitOnTerm = join(logDir, 'exit-on-sigterm.cjs');
  if (CPU_PROF) writeFileSync(exitOnTerm, "process.once('SIGTERM', () => process.exit(0));\n");
  const profArgs = (name: string) =>
    CPU_PROF
      ? [
          '--cpu-prof',
          `--cpu-prof-dir=${join(logDir, 'cpu-prof')}`,
          `--cpu-prof-name=${name}.cpuprofile`,
          '-r',
          exitOnTerm,
        ]
      : [];

  const contacts = new Service(
    'contacts',
    `${runId}-contacts`,
    `http://127.0.0.1:${contactsPort}`,
    join(logDir, 'contacts.log'),
    'services/contacts/src/main.ts',
    {
      ...baseEnv,
      SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'),
      CONTACTS_PORT: String(contactsPort),
      CONTACTS_SCHEMA: schemas.contacts,
      EVENT_STORE_SCHEMA: schemas.eventStore,
      CONTACTS_RELAY: RELAY ? 'on' : 'off',
      CONTACTS_IMPORT_WORKER: 'on',
      CONTACTS_MASTER_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    },
    profArgs('contacts'),
  );
  services.push(contacts);
  const gateway = new Service(
    'gateway',
    `${runId}-gateway`,
    `http://127.0.0.1:${gatewayPort}`,
    join(logDir, 'gateway.log'),
    'services/api-gateway/src/main.ts',
    {
      ...baseEnv,
      SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'),
      GATEWAY_PORT: String(gatewayPort),
      API_GATEWAY_SCHEMA: schemas.gateway,
      API_BOOTSTRAP_KEY: apiKey,
      CONTACTS_URL: contacts.baseUrl,
      RATE_LIMIT_PER_SECOND: '1000000',
      RATE_LIMIT_BURST: '1000000',
    },
    profArgs('gateway'),
  );
  services.push(gateway);
  const plain = new Service(
    'plain-crud',
    `${runId}-plain-crud`,
    `http://127.0.0.1:${plainPort}`,
    join(logDir, 'plain-crud.log'),
    'bench/plain-crud/main.ts',
    {
      ...baseEnv,
      SWC_NODE_PROJECT: join(ROOT, 'bench', 'tsconfig.json'),
      PLAIN_CRUD_PORT: String(plainPort),
      PLAIN_CRUD_SCHEMA: schemas.plain,
    },
    profArgs('plain-crud'),
  );
  services.push(plain);

  const startMs = await Promise.all(
    services.map((s) => s.waitUntilHealthy(STARTUP_TIMEOUT_SECONDS * 1000)),
  );
  log(
    `healthy: ${services.map((s, i) => `${s.name} ${(startMs[i] / 1000).toFixed(1)} s`).join(', ')}`,
  );

  const json = { 'content-type': 'application/json' };
  const contenders: Contender[] = [
    {
      name: 'plain',
      label: 'plain CRUD (direct)',
      baseUrl: plain.baseUrl,
      createPath: '/contacts',
      getPath: (id) => `/contacts/${id}`,
      headers: json,
      processes: [plain],
      projected: false,
      ids: [],
    },
    {
      name: 'contacts',
      label: 'contacts service (direct)',
      baseUrl: contacts.baseUrl,
      createPath: '/contacts',
      getPath: (id) => `/contacts/${id}`,
      // Called directly, the service still wants the token the gateway would have signed.
      headers: {
        ...json,
        authorization: `Bearer ${signServiceToken(loadServiceTokenKey(), {
          subject: 'service:bench',
          scopes: ['read', 'write'],
          audience: 'contacts',
          requestId: 'bench',
          ttlSeconds: 24 * 3600,
        })}`,
      },
      processes: [contacts],
      projected: true,
      ids: [],
    },
    {
      name: 'gateway',
      label: 'gateway → contacts',
      baseUrl: gateway.baseUrl,
      createPath: '/api/contacts',
      getPath: (id) => `/api/contacts/${id}`,
      headers: { ...json, authorization: `Bearer ${apiKey}` },
      processes: [gateway, contacts],
      projected: true,
      ids: [],
    },
  ];
  const readModel = new ReadModel(admin, schemas.contacts);

  // One create through each path first: a clear error now beats a table of non-2xx later.
  for (const contender of contenders) {
    const response = await fetch(`${contender.baseUrl}${contender.createPath}`, {
      method: 'POST',
      headers: contender.headers,
      body: contactBody(contender.name),
    });
    const text = await response.text();
    if (response.status !== 201) {
      throw new Error(
        `${contender.label}: POST ${contender.createPath} answered ${response.status}: ${text.slice(0, 500)}`,
      );
    }
    if (contender.projected) readModel.expected++;
  }

  const report = (label: string, contender: Contender, f: RunFigures) =>
    log(
      `${label}, ${contender.label}: ${fmt(f.perSecond)}/s, p50 ${ms(f.p50)}, p99 ${ms(f.p99)}, ` +
        `non-2xx ${f.non2xx}, errors ${f.errors}` +
        (f.unanswered > 0 ? `, unanswered ${f.unanswered}` : '') +
        (f.readModelLagMs !== undefined ? `, read model lag ${ms(f.readModelLagMs)}` : ''),
    );

  const warmup = await takeTurns(contenders, 0, async (c) => {
    const f = await measure(c, readModel, createRun(c, 'warmup'), c.projected);
    report('warm-up', c, f);
    return f;
  });
  const creates = await takeTurns(contenders, 0, async (c) => {
    const f = await measure(c, readModel, createRun(c, 'rate'), c.projected);
    report(`creates at ${CREATE_RATE}/s`, c, f);
    return f;
  });
  const saturation = await takeTurns(contenders, 1, async (c) => {
    const f = await measure(c, readModel, createRun(c, 'saturation'), c.projected);
    report('creates at saturation', c, f);
    return f;
  });
  const gets = await takeTurns(contenders, 2, async (c) => {
    const f = await measure(c, readModel, getRun(c), false);
    report(`GET by id at ${GET_RATE}/s`, c, f);
    return f;
  });

  let imported: ImportFigures | null = null;
  if (IMPORT_CONTACTS > 0) {
    imported = await bulkImport(contenders[2], readModel);
    imported.copy = await copyCeiling(databaseUrl, schemas.plain, IMPORT_CONTACTS);
    imported.plainOneByOnePerSecond = saturation.plain.perSecond;
    log(
      `bulk import ceiling: COPY of ${IMPORT_CONTACTS} rows into the seed's tables in ` +
        `${imported.copy.seconds.toFixed(2)} s: ${fmt(imported.copy.contactsPerSecond)} contacts/s`,
    );
    log(
      `bulk import: ${imported.status}, ${imported.created} created, ${imported.updated} updated, ` +
        `${imported.failed} failed in ${imported.seconds.toFixed(1)} s: ${fmt(imported.contactsPerSecond)} contacts/s` +
        (imported.visibleSeconds !== null
          ? `; all in the read model after ${imported.visibleSeconds.toFixed(1)} s`
          : ''),
    );
  }

  printReport({
    postgres: version.split(',')[0],
    database: redact(databaseUrl),
    databaseSource: source,
    schemas,
    creates,
    saturation,
    gets,
    warmup,
    bulkImport: imported,
    loadAverage: { start: loadAtStart, end: loadavg() },
  });
  failed = false;
}

// ---------------------------------------------------------------- report

/** ours / plain, to 2 decimals; NaN when either is not a finite figure (e.g. unanswered requests). */
function ratio(ours: number, plain: number): number {
  if (!Number.isFinite(ours) || !Number.isFinite(plain) || plain === 0) return NaN;
  return Math.round((ours / plain) * 100) / 100;
}

function printReport(r: Results): void {
  const names: ContenderName[] = ['plain', 'contacts', 'gateway'];
  type Row = {
    label: string;
    values: Record<ContenderName, string>;
    direct?: string;
    full?: string;
    goal?: string;
  };
  const rows: Row[] = [];
  const row = (
    label: string,
    pick: (name: ContenderName) => number,
    show: (n: number) => string,
    options: { ratio?: 'latency' | 'throughput'; goal?: string } = {},
  ) => {
    const values = Object.fromEntries(names.map((n) => [n, show(pick(n))])) as Record<
      ContenderName,
      string
    >;
    const shown = (r: number) => (Number.isFinite(r) && r > 0 ? `${r.toFixed(2)}x` : '-');
    const cost = (name: ContenderName) =>
      options.ratio === 'latency'
        ? shown(ratio(pick(name), pick('plain')))
        : options.ratio === 'throughput'
          ? shown(ratio(pick('plain'), pick(name)))
          : '';
    rows.push({
      label,
      values,
      direct: cost('contacts'),
      full: cost('gateway'),
      goal: options.goal,
    });
  };
  const met = (ok: boolean) => (ok ? 'met' : 'MISSED');
  /** Cores our processes kept busy / cores the rest of the machine did, during a workload. */
  const coresRow = (workload: string, runs: Record<ContenderName, RunFigures>) =>
    rows.push({
      label: `${workload}: cores busy (ours / other load)`,
      values: Object.fromEntries(
        names.map((n) => [
          n,
          `${runs[n].cpu!.coresBusy.toFixed(2)} / ${runs[n].cpu!.otherCoresBusy.toFixed(2)}`,
        ]),
      ) as Record<ContenderName, string>,
    });

  const c = r.creates;
  row(`creates @${CREATE_RATE}/s: achieved /s`, (n) => c[n].perSecond, fmt);
  row(`creates @${CREATE_RATE}/s: p50 ms`, (n) => c[n].p50, ms, { ratio: 'latency' });
  row(`creates @${CREATE_RATE}/s: p99 ms`, (n) => c[n].p99, ms, {
    ratio: 'latency',
    goal: `p99 < ${GOALS.createP99Ms} ms: ${met(c.gateway.p99 < GOALS.createP99Ms)}`,
  });
  row(
    `creates @${CREATE_RATE}/s: non-2xx + errors + unanswered`,
    (n) => c[n].non2xx + c[n].errors + c[n].unanswered,
    String,
  );
  row(
    `creates @${CREATE_RATE}/s: service CPU ms/create`,
    (n) => c[n].cpu!.servicesMsPerRequest,
    ms1,
    { ratio: 'latency' },
  );
  row(
    `creates @${CREATE_RATE}/s: postgres CPU ms/create`,
    (n) => c[n].cpu!.postgresMsPerRequest,
    ms1,
    { ratio: 'latency' },
  );
  coresRow(`creates @${CREATE_RATE}/s`, c);
  const s = r.saturation;
  row(`saturation (${CONNECTIONS} conn): creates/s`, (n) => s[n].perSecond, fmt, {
    ratio: 'throughput',
    goal: `cost <= ${GOALS.costRatio}x: ${met(s.plain.perSecond / s.gateway.perSecond <= GOALS.costRatio)}`,
  });
  row(
    `saturation: CPU ms/create (services + pg)`,
    (n) => s[n].cpu!.servicesMsPerRequest + s[n].cpu!.postgresMsPerRequest,
    ms1,
    {
      ratio: 'latency',
      goal: `cost <= ${GOALS.costRatio}x: ${met(
        (s.gateway.cpu!.servicesMsPerRequest + s.gateway.cpu!.postgresMsPerRequest) /
          (s.plain.cpu!.servicesMsPerRequest + s.plain.cpu!.postgresMsPerRequest) <=
          GOALS.costRatio,
      )}`,
    },
  );
  row(`saturation: p50 ms`, (n) => s[n].p50, ms, { ratio: 'latency' });
  row(`saturation: p99 ms`, (n) => s[n].p99, ms, { ratio: 'latency' });
  row(
    `saturation: non-2xx + errors + unanswered`,
    (n) => s[n].non2xx + s[n].errors + s[n].unanswered,
    String,
  );
  row(`saturation: service CPU ms/create`, (n) => s[n].cpu!.servicesMsPerRequest, ms1, {
    ratio: 'latency',
  });
  row(`saturation: postgres CPU ms/create`, (n) => s[n].cpu!.postgresMsPerRequest, ms1, {
    ratio: 'latency',
  });
  coresRow('saturation', s);
  row(`saturation: read model lag ms`, (n) => s[n].readModelLagMs ?? NaN, ms);
  const g = r.gets;
  row(`GET by id @${GET_RATE}/s: achieved /s`, (n) => g[n].perSecond, fmt);
  row(`GET by id @${GET_RATE}/s: p50 ms`, (n) => g[n].p50, ms, { ratio: 'latency' });
  row(`GET by id @${GET_RATE}/s: p99 ms`, (n) => g[n].p99, ms, {
    ratio: 'latency',
    goal: `p99 < ${GOALS.getP99Ms} ms: ${met(g.gateway.p99 < GOALS.getP99Ms)}`,
  });
  row(
    `GET by id: non-2xx + errors + unanswered`,
    (n) => g[n].non2xx + g[n].errors + g[n].unanswered,
    String,
  );
  row(`GET by id: service CPU ms/GET`, (n) => g[n].cpu!.servicesMsPerRequest, ms1, {
    ratio: 'latency',
  });
  row(`GET by id: postgres CPU ms/GET`, (n) => g[n].cpu!.postgresMsPerRequest, ms1, {
    ratio: 'latency',
  });
  coresRow('GET by id', g);

  const header = [
    'workload',
    'plain CRUD',
    'contacts direct',
    'gateway path',
    'direct/plain',
    'gateway/plain',
    'goal (gateway path)',
  ];
  const lines = rows.map((x) => [
    x.label,
    x.values.plain,
    x.values.contacts,
    x.values.gateway,
    x.direct ?? '',
    x.full ?? '',
    x.goal ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const printRow = (cells: string[]) =>
    console.log(
      cells
        .map((cell, i) => (i === 0 || i === 6 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
        .join('  ')
        .trimEnd(),
    );

  const totalCpu = (f: RunFigures) => f.cpu!.servicesMsPerRequest + f.cpu!.postgresMsPerRequest;
  const costOf = (name: ContenderName) => ({
    createP50: ratio(c[name].p50, c.plain.p50),
    createP99: ratio(c[name].p99, c.plain.p99),
    saturationThroughput: ratio(s.plain.perSecond, s[name].perSecond),
    saturationP50: ratio(s[name].p50, s.plain.p50),
    cpuPerCreate: ratio(totalCpu(s[name]), totalCpu(s.plain)),
    serviceCpuPerCreate: ratio(
      s[name].cpu!.servicesMsPerRequest,
      s.plain.cpu!.servicesMsPerRequest,
    ),
    postgresCpuPerCreate: ratio(
      s[name].cpu!.postgresMsPerRequest,
      s.plain.cpu!.postgresMsPerRequest,
    ),
    getP99: ratio(g[name].p99, g.plain.p99),
    cpuPerGet: ratio(totalCpu(g[name]), totalCpu(g.plain)),
  });
  const costs = costOf('gateway');
  const directCosts = costOf('contacts');
  const imp = r.bulkImport;
  const goals = {
    costAtMost1_5xPlain: {
      goal: `<= ${GOALS.costRatio}x plain CRUD (gateway path: CPU per create, services + their PostgreSQL backends, and creates/s, both at saturation)`,
      cpuPerCreateRatio: costs.cpuPerCreate,
      saturationThroughputRatio: costs.saturationThroughput,
      createP50RatioAtRate: costs.createP50,
      met: costs.cpuPerCreate <= GOALS.costRatio && costs.saturationThroughput <= GOALS.costRatio,
    },
    createP99At200: {
      goal: `p99 < ${GOALS.createP99Ms} ms`,
      p99Ms: round1(c.gateway.p99),
      met: c.gateway.p99 < GOALS.createP99Ms,
    },
    getP99At1000: {
      goal: `p99 < ${GOALS.getP99Ms} ms`,
      p99Ms: round1(g.gateway.p99),
      met: g.gateway.p99 < GOALS.getP99Ms,
    },
    bulkImport: {
      goal: `>= ${GOALS.importPerSecond} contacts/s`,
      contactsPerSecond: imp ? Math.round(imp.contactsPerSecond) : null,
      met: imp ? imp.contactsPerSecond >= GOALS.importPerSecond && !imp.capped : null,
    },
  };

  console.log('');
  console.log(
    `Contacts API benchmark (${SECONDS} s per run; latencies in ms; ratios: latency and CPU ours/plain, ` +
      `throughput plain/ours, i.e. how many times the plain path's cost)`,
  );
  printRow(header);
  printRow(widths.map((w) => '-'.repeat(w)));
  lines.forEach(printRow);
  console.log('');
  if (imp) {
    console.log(
      `Bulk import through the gateway: ${imp.contacts} contacts, ${(imp.bodyBytes / 1e6).toFixed(1)} MB NDJSON, ` +
        `upload ${ms(imp.uploadMs)} ms; job ${imp.status}: ${imp.created} created, ${imp.updated} updated, ${imp.failed} failed` +
        (imp.error ? ` (${imp.error})` : ''),
    );
    console.log(
      `  ${fmt(imp.contactsPerSecond)} contacts/s upload to job done (${imp.seconds.toFixed(1)} s)` +
        (imp.workerContactsPerSecond
          ? `; worker alone ${fmt(imp.workerContactsPerSecond)}/s (${imp.workerSeconds!.toFixed(1)} s)`
          : '') +
        (imp.visibleSeconds !== null
          ? `; all in the read model after ${imp.visibleSeconds.toFixed(1)} s (${fmt(imp.visibleContactsPerSecond!)}/s)`
          : imp.visibleCapped
            ? `; read model not caught up within ${IMPORT_VISIBLE_TIMEOUT_SECONDS} s after the job`
            : '') +
        `; goal >= ${fmt(GOALS.importPerSecond)}/s: ${met(Boolean(goals.bulkImport.met))}`,
    );
    console.log(
      `  CPU per row: services ${ms1(imp.cpu.servicesMsPerRequest)} ms, their PostgreSQL backends ` +
        `${ms1(imp.cpu.postgresMsPerRequest)} ms; cores busy: ours ${imp.cpu.coresBusy.toFixed(2)}, ` +
        `other load ${imp.cpu.otherCoresBusy.toFixed(2)}`,
    );
    const ours = imp.visibleContactsPerSecond ?? imp.contactsPerSecond;
    const oursLabel = imp.visibleContactsPerSecond ? 'upload to read model' : 'upload to job done';
    console.log(
      `  side by side: ours ${fmt(ours)}/s (${oursLabel})` +
        (imp.copy
          ? `; ceiling, plain COPY into the seed's tables ${fmt(imp.copy.contactsPerSecond)}/s: ours ${(ours / imp.copy.contactsPerSecond).toFixed(3)}x`
          : '') +
        (imp.plainOneByOnePerSecond
          ? `; floor, plain CRUD one by one ${fmt(imp.plainOneByOnePerSecond)}/s: ours ${(ours / imp.plainOneByOnePerSecond).toFixed(2)}x`
          : ''),
    );
    if (imp.firstRowErrors.length > 0)
      console.log(`  first row errors: ${JSON.stringify(imp.firstRowErrors)}`);
  }
  console.log(
    `Goals (gateway path): cost <= ${GOALS.costRatio}x plain: ${met(goals.costAtMost1_5xPlain.met)} ` +
      `(CPU per create ${costs.cpuPerCreate}x, creates/s at saturation ${costs.saturationThroughput}x; ` +
      `contacts direct: ${directCosts.cpuPerCreate}x and ${directCosts.saturationThroughput}x; ` +
      `latency at ${CREATE_RATE}/s: p50 ${costs.createP50}x, p99 ${costs.createP99}x); create p99 < ${GOALS.createP99Ms} ms at ${CREATE_RATE}/s: ${met(goals.createP99At200.met)}; ` +
      `GET p99 < ${GOALS.getP99Ms} ms at ${GET_RATE}/s: ${met(goals.getP99At1000.met)}; import >= ${fmt(GOALS.importPerSecond)}/s: ` +
      `${goals.bulkImport.met === null ? 'not run' : met(goals.bulkImport.met)}`,
  );
  const measured = [r.creates, r.saturation, r.gets].flatMap((runs) => names.map((n) => runs[n]));
  const otherCores =
    measured.reduce((sum, f) => sum + (f.cpu?.otherCoresBusy ?? 0), 0) / measured.length;
  const cores = coreCount();
  if (otherCores > 0.25) {
    console.log(
      `WARNING: other processes kept ${otherCores.toFixed(2)} of ${cores} cores busy on average during the runs ` +
        `(load average ${r.loadAverage.start.map((l) => l.toFixed(1)).join(' ')} at the start): absolute rates and ` +
        'latencies are worse than on an idle machine; the CPU-per-request figures and their ratios hold up best.',
    );
  }
  console.log('Notes:');
  console.log(
    `- fixed rates: ${c.plain.driver}; saturation: ${s.plain.driver}; warm-up: ${WARMUP_SECONDS} s at saturation (8 connections) per contender`,
  );
  console.log(
    '- service CPU: the node processes on the path (gateway path: gateway + contacts); postgres CPU: their own backends (by PGAPPNAME); both from the start of a run until the read model caught up. Cores busy: ours (services + backends + this client) / everything else on the machine',
  );
  console.log(
    '- our creates are answered once the events are appended; the read model (GET) follows through the projection ("read model lag": time after the last answer until it held every contact)',
  );
  console.log(
    `- contacts relay to Kafka: ${RELAY ? 'on' : 'off (BENCH_RELAY=on to include it)'}; plain CRUD: TypeORM pool of 10; a create is 5 statements between BEGIN and COMMIT, a GET is TypeORM findOne with relations (2 queries)`,
  );

  const figures = (f: RunFigures) => ({
    driver: f.driver,
    sent: f.sent,
    ok: f.ok,
    non2xx: f.non2xx,
    unanswered: f.unanswered,
    errors: f.errors,
    statuses: f.statuses,
    seconds: round1(f.seconds),
    perSecond: round1(f.perSecond),
    p50Ms: round1(f.p50),
    p90Ms: round1(f.p90),
    p99Ms: round1(f.p99),
    maxMs: round1(f.max),
    readModelLagMs: f.readModelLagMs === undefined ? undefined : round1(f.readModelLagMs),
    cpu: f.cpu && roundCpu(f.cpu),
  });
  const byContender = (runs: Record<ContenderName, RunFigures>) =>
    Object.fromEntries(names.map((n) => [n, figures(runs[n])]));
  console.log(
    JSON.stringify({
      benchmark: 'contacts-api',
      at: new Date().toISOString(),
      postgres: r.postgres,
      database: r.database,
      databaseSource: r.databaseSource,
      settings: {
        seconds: SECONDS,
        warmupSeconds: WARMUP_SECONDS,
        createRate: CREATE_RATE,
        getRate: GET_RATE,
        connections: CONNECTIONS,
        importContacts: IMPORT_CONTACTS,
        fixedRateDriver: FIXED_RATE_DRIVER,
        relay: RELAY,
        cores: coreCount(),
      },
      machine: {
        loadAverageStart: r.loadAverage.start.map(round2),
        loadAverageEnd: r.loadAverage.end.map(round2),
        otherCoresBusyMean: round2(otherCores),
      },
      contenders: {
        plain: 'plain CRUD (direct)',
        contacts: 'contacts service (direct)',
        gateway: 'gateway → contacts',
      },
      createsAtRate: byContender(r.creates),
      createsAtSaturation: byContender(r.saturation),
      getsAtRate: byContender(r.gets),
      warmup: byContender(r.warmup),
      bulkImport: imp && {
        ...imp,
        uploadMs: Math.round(imp.uploadMs),
        seconds: round1(imp.seconds),
        contactsPerSecond: Math.round(imp.contactsPerSecond),
        workerContactsPerSecond:
          imp.workerContactsPerSecond && Math.round(imp.workerContactsPerSecond),
        visibleSeconds: imp.visibleSeconds && round1(imp.visibleSeconds),
        visibleContactsPerSecond:
          imp.visibleContactsPerSecond && Math.round(imp.visibleContactsPerSecond),
        cpu: roundCpu(imp.cpu),
      },
      costRatios: { gatewayPath: costs, contactsDirect: directCosts },
      goals,
    }),
  );
}

// ---------------------------------------------------------------- helpers

function roundCpu(cpu: CpuFigures): CpuFigures {
  return {
    servicesMsPerRequest: round2(cpu.servicesMsPerRequest),
    postgresMsPerRequest: round2(cpu.postgresMsPerRequest),
    clientMsPerRequest: round2(cpu.clientMsPerRequest),
    coresBusy: round2(cpu.coresBusy),
    otherCoresBusy: round2(cpu.otherCoresBusy),
  };
}

function resolvePlatform(): { url: string; kafkaBrokers: string; source: string } {
  try {
    // Kafka is used only with BENCH_RELAY=on; the contacts service insists on a broker list anyway.
    const config = loadPlatformConfig({
      ...process.env,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? (RELAY ? undefined : 'unused:9092'),
    });
    return {
      url: config.databaseUrl,
      kafkaBrokers: config.kafkaBrokers.join(','),
      source: process.env.DATABASE_URL ? 'DATABASE_URL' : '.data/platform.json',
    };
  } catch (error) {
    if (!(error instanceof PlatformNotRunningError) || RELAY) throw error;
    return {
      url: LOCAL_FALLBACK_URL,
      kafkaBrokers: 'unused:9092',
      source: 'no DATABASE_URL nor .data/platform.json: the local server',
    };
  }
}

function coreCount(): number {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('processor')).length;
  } catch {
    return NaN;
  }
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`${name} must be a non-negative number; got "${raw}"`);
  }
  return value;
}

function sleep(msToWait: number): Promise<void> {
  return new Promise((r) => setTimeout(r, msToWait));
}

function fmt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-';
}

function ms(n: number): string {
  if (n === Infinity) return 'unanswered';
  return Number.isFinite(n) ? (n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US')) : '-';
}

function ms1(n: number): string {
  return Number.isFinite(n) ? n.toFixed(2) : '-';
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function log(message: string): void {
  console.log(`[contacts-api bench] ${message}`);
}

function warn(error: unknown): void {
  console.error('[contacts-api bench] cleanup failed:', error);
}

main()
  .then(
    () => 0,
    (error: unknown) => {
      console.error('[contacts-api bench] failed:', error);
      return 1;
    },
  )
  .then(async (code) => {
    await cleanUp();
    process.exit(code);
  });
