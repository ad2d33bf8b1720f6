// The API gateway's own CPU per proxied request (issue 13: <= 0.3 ms), without
// the contacts service's cost mixed in: the gateway process (main.ts as
// `npm start` runs it, access log on, to a file) in front of a stand-in
// upstream in its own process, a bare node:http server that answers like
// contacts does (a ~700-byte contact for a GET, 201 + Location for a create).
// Workloads, each after an uncounted warm-up:
//   (a) GET /api/contacts/:id at a fixed BENCH_GATEWAY_RATE (default 1,000)
//       requests/s for BENCH_SECONDS (default 10), open loop (request i
//       leaves at start + i/rate over a keep-alive agent), through the gateway;
//   (b) the same GETs straight to the stand-in: what a bare node:http server
//       costs per request, the yardstick for the gateway, which is a server
//       and a client of the stand-in at once;
//   (c) GETs and (d) POSTs at saturation, autocannon, BENCH_CONNECTIONS (32).
// CPU is read from /proc (utime + stime of each process) around each run.
// BENCH_CPU_PROF=1 runs the gateway with --cpu-prof and keeps the profile
// (whole process lifetime) in the log folder it names.
// Prints a table and one JSON line; the goal is compared, never asserted.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { loadPlatformConfig } from '@engagement/config';

const SECONDS = numberFromEnv('BENCH_SECONDS', 10);
const WARMUP_SECONDS = numberFromEnv('BENCH_WARMUP_SECONDS', 3);
const RATE = numberFromEnv('BENCH_GATEWAY_RATE', 1_000);
const CONNECTIONS = Math.round(numberFromEnv('BENCH_CONNECTIONS', 32));
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const GOAL_CPU_MS = 0.3;

interface AutocannonResult {
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p99: number };
}
// autocannon ships no types (and no @types package is installed).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (
  options: Record<string, unknown>,
) => Promise<AutocannonResult>;
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux
const ROOT = resolve(__dirname, '..');

// A stand-in for contacts, in its own process so its CPU is not the gateway's.
const UPSTREAM = `
const { createServer } = require('node:http');
const { randomUUID } = require('node:crypto');
const contact = JSON.stringify({
  id: '3f1c3c4e-8d0b-4d7e-9a53-6f2f1f1f0c11', email: 'austin@example.com', firstName: 'Austin',
  lastName: 'Powers', phone: '+44 20 7946 0958', company: 'Ministry of Defence',
  properties: { plan: 'enterprise', industry: 'espionage', source: 'webinar-2024-05' },
  tags: ['hot-lead', 'newsletter'], crms: [{ system: 'hubspot', id: 'hs-1' }, { system: 'salesforce', id: 'sf-1' }],
  createdAt: '2024-05-01T10:00:00.000Z', updatedAt: '2024-05-02T11:00:00.000Z', revision: 3,
  consent: { email: true, sms: false, updatedAt: '2024-05-01T10:00:00.000Z' }, padding: 'x'.repeat(120),
});
createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.method === 'POST') {
      const id = randomUUID();
      res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', location: '/contacts/' + id });
      res.end(JSON.stringify({ id, position: '42' }));
    } else {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', etag: 'W/"3"' });
      res.end(contact);
    }
  });
}).listen(Number(process.argv[1]), '127.0.0.1', () => process.send && process.send('up'));
`;

const CREATE_BODY = JSON.stringify({
  email: 'someone@example.com',
  firstName: 'Austin',
  lastName: 'Powers',
  properties: { plan: 'enterprise', industry: 'espionage', source: 'webinar' },
  tags: ['hot-lead', 'newsletter'],
  syncTo: ['hubspot', 'salesforce'],
});

interface Figures {
  workload: string;
  driver: string;
  ok: number;
  failed: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  gatewayCpuMs: number | null;
  upstreamCpuMs: number;
}

async function main(): Promise<void> {
  const { databaseUrl } = loadPlatformConfig();
  const [upstreamPort, gatewayPort] = [await freePort(), await freePort()];
  const schema = `bench_gateway_${randomBytes(4).toString('hex')}`;
  const adminKey = `eng_${randomBytes(32).toString('base64url')}`;
  const logDir = mkdtempSync(join(tmpdir(), 'gateway-bench-'));
  const children: ChildProcess[] = [];
  log(`load average ${loadText()}; logs in ${logDir}`);
  try {
    const upstream = spawn(process.execPath, ['-e', UPSTREAM, String(upstreamPort)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(upstream);
    await new Promise((r) => upstream.once('message', r));

    const logFile = openSync(join(logDir, 'gateway.log'), 'a');
    // --cpu-prof writes at a normal exit only; Nest's shutdown hooks re-raise SIGTERM.
    const preload = join(logDir, 'exit-on-sigterm.cjs');
    writeFileSync(preload, "process.once('SIGTERM', () => process.exit(0));\n");
    const gateway = spawn(
      process.execPath,
      [
        ...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${logDir}`, '-r', preload] : []),
        '-r',
        '@swc-node/register',
        join(ROOT, 'services/api-gateway/src/main.ts'),
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', logFile, logFile],
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'),
          DATABASE_URL: databaseUrl,
          GATEWAY_PORT: String(gatewayPort),
          API_GATEWAY_SCHEMA: schema,
          API_BOOTSTRAP_KEY: adminKey,
          CONTACTS_URL: `http://127.0.0.1:${upstreamPort}`,
          RATE_LIMIT_PER_SECOND: '1000000',
          RATE_LIMIT_BURST: '1000000',
        },
      },
    );
    children.push(gateway);
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    await waitForHealth(`${gatewayUrl}/health`, gateway);

    const headers = { authorization: `Bearer ${adminKey}` };
    const getPath = `/api/contacts/${randomUUID()}`;
    const measure = async (
      workload: string,
      viaGateway: boolean,
      run: () => Promise<Omit<Figures, 'workload' | 'gatewayCpuMs' | 'upstreamCpuMs'>>,
    ): Promise<Figures> => {
      const before = { gateway: cpuTicks(gateway.pid!), upstream: cpuTicks(upstream.pid!) };
      const result = await run();
      const after = { gateway: cpuTicks(gateway.pid!), upstream: cpuTicks(upstream.pid!) };
      const perRequest = (ticks: number) =>
        (ticks * 1000) / CLOCK_TICKS_PER_SECOND / Math.max(result.ok, 1);
      const figures: Figures = {
        workload,
        ...result,
        gatewayCpuMs: viaGateway ? perRequest(after.gateway - before.gateway) : null,
        upstreamCpuMs: perRequest(after.upstream - before.upstream),
      };
      log(JSON.stringify(roundAll(figures)));
      return figures;
    };

    const gatewayGet = { base: gatewayUrl, path: getPath, headers };
    await paced(gatewayGet, RATE, WARMUP_SECONDS);
    const fixed = await measure(`GET through the gateway at ${RATE}/s`, true, () =>
      paced(gatewayGet, RATE, SECONDS),
    );
    const direct = await measure(`GET straight to the stand-in at ${RATE}/s`, false, () =>
      paced(
        { base: `http://127.0.0.1:${upstreamPort}`, path: '/contacts/x', headers: {} },
        RATE,
        SECONDS,
      ),
    );
    await saturate({ url: `${gatewayUrl}${getPath}`, method: 'GET', headers }, WARMUP_SECONDS);
    const getSaturated = await measure('GET through the gateway, saturation', true, () =>
      saturate({ url: `${gatewayUrl}${getPath}`, method: 'GET', headers }, SECONDS),
    );
    const post = {
      url: `${gatewayUrl}/api/contacts`,
      method: 'POST' as const,
      headers: { ...headers, 'content-type': 'application/json' },
      body: CREATE_BODY,
    };
    await saturate(post, WARMUP_SECONDS);
    const postSaturated = await measure('POST through the gateway, saturation', true, () =>
      saturate(post, SECONDS),
    );
    report([fixed, direct, getSaturated, postSaturated]);
  } finally {
    for (const child of children.reverse()) await stop(child);
    const admin = new Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await admin.end();
  }
}

function report(all: Figures[]): void {
  const [fixed, direct] = all;
  const cpu = (f: Figures) => (f.gatewayCpuMs === null ? '-' : `${f.gatewayCpuMs.toFixed(3)} ms`);
  const rows = all.map((f) => [
    f.workload,
    `${fmt(f.perSecond)}/s`,
    `${f.p50Ms.toFixed(1)} / ${f.p99Ms.toFixed(1)} ms`,
    cpu(f),
    `${f.upstreamCpuMs.toFixed(3)} ms`,
    f.failed > 0 ? `${f.failed} failed` : '',
  ]);
  const header = ['workload', 'answered', 'p50 / p99', 'gateway CPU/req', 'stand-in CPU/req', ''];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    console.log(cells.map((c, i) => c.padEnd(widths[i])).join('  '));
  console.log('');
  console.log(`Gateway benchmark (issue 13); 2 cores shared, load average now ${loadText()}`);
  line(header);
  line(widths.map((w) => '-'.repeat(w)));
  rows.forEach(line);
  const met = (fixed.gatewayCpuMs ?? Infinity) <= GOAL_CPU_MS;
  console.log(
    `\nGoal: gateway CPU per proxied GET at ${RATE}/s <= ${GOAL_CPU_MS} ms: ${fixed.gatewayCpuMs?.toFixed(3)} ms, ${met ? 'met' : 'MISSED'}; ` +
      `${((fixed.gatewayCpuMs ?? 0) / direct.upstreamCpuMs).toFixed(2)}x what the bare node:http stand-in spends answering the same GET`,
  );
  console.log(
    JSON.stringify({
      benchmark: 'gateway',
      at: new Date().toISOString(),
      settings: { seconds: SECONDS, rate: RATE, connections: CONNECTIONS },
      machine: { loadAverage: loadavg().map((l) => Math.round(l * 100) / 100) },
      goal: { gatewayCpuMsPerGet: GOAL_CPU_MS, met },
      runs: roundAll(all),
    }),
  );
}

// ---------------------------------------------------------------- drivers

/** Open loop: request i leaves at start + i / rate; latency counts from that planned time. */
async function paced(
  target: { base: string; path: string; headers: Record<string, string> },
  rate: number,
  seconds: number,
): Promise<Omit<Figures, 'workload' | 'gatewayCpuMs' | 'upstreamCpuMs'>> {
  const url = new URL(target.base);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.max(1, Math.round(rate * seconds));
  const latencies: number[] = [];
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  const send = (planned: number) =>
    new Promise<void>((done) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: target.path, headers: target.headers, agent },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) latencies.push(performance.now() - planned);
            else failed++;
            done();
          });
          res.on('error', () => (failed++, done()));
        },
      );
      req.on('error', () => (failed++, done()));
      req.end();
    });
  const start = performance.now() + 5;
  const interval = 1000 / rate;
  let sent = 0;
  while (sent < total) {
    while (sent < total && start + sent * interval <= performance.now()) {
      const p = send(start + sent * interval);
      inFlight.add(p);
      void p.then(() => inFlight.delete(p));
      sent++;
    }
    const wait = start + sent * interval - performance.now();
    if (sent < total) await new Promise((r) => setTimeout(r, Math.max(0, Math.min(wait, 50))));
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN;
  return {
    driver: `open loop ${rate}/s`,
    ok: latencies.length,
    failed,
    perSecond: latencies.length / elapsed,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
}

/** Closed loop at saturation (autocannon). */
async function saturate(
  options: { url: string; method: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
  seconds: number,
): Promise<Omit<Figures, 'workload' | 'gatewayCpuMs' | 'upstreamCpuMs'>> {
  const result = await autocannon({
    ...options,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
  });
  return {
    driver: `autocannon, ${CONNECTIONS} connections`,
    ok: result['2xx'],
    failed: result.non2xx + result.errors + result.timeouts,
    perSecond: result['2xx'] / seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
}

// ---------------------------------------------------------------- helpers

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

function freePort(): Promise<number> {
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

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number; got "${raw}"`);
  return value;
}

function roundAll<T>(value: T): T {
  if (typeof value === 'number')
    return (Number.isInteger(value) ? value : Math.round(value * 1000) / 1000) as T;
  if (Array.isArray(value)) return value.map(roundAll) as T;
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundAll(v)])) as T;
  return value;
}

function loadText(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function log(message: string): void {
  console.log(`[gateway bench] ${message}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('[gateway bench] failed:', error);
    process.exit(1);
  },
);
