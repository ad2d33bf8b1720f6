// The gateway's own cost per request, without the contacts service behind it:
// the gateway process (main.ts, as `npm start` runs it, access log on and
// written to a file) in front of a tiny stand-in upstream in its own process
// that answers like contacts does (201 + Location for a create, a ~700-byte
// contact for a GET), driven at saturation by autocannon.
//
//   node services/api-gateway/bench/measure-overhead.mjs [gateway-main.ts]
//
// Reports per workload: requests/s, p50/p99 latency, and CPU per request of
// the gateway process and of its own PostgreSQL backends (by PGAPPNAME), read
// from /proc (so PostgreSQL must run on this machine for the second figure).
// Settings: MEASURE_SECONDS (10), MEASURE_CONNECTIONS (32), MEASURE_WARMUP_SECONDS (3);
// MEASURE_CPU_PROF=1 leaves a --cpu-prof profile of the gateway in the log folder.
// The optional argument runs another copy of the gateway (e.g. the previous
// version extracted with `git archive`) to compare the two on one machine.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const gatewayMain = resolve(process.argv[2] ?? join(here, '../src/main.ts'));
const SECONDS = Number(process.env.MEASURE_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.MEASURE_WARMUP_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.MEASURE_CONNECTIONS ?? 32);
const CLOCK_TICKS_PER_SECOND = 100;
const CPU_PROF = process.env.MEASURE_CPU_PROF === '1';

const platform = JSON.parse(readFileSync(join(root, '.data/platform.json'), 'utf8'));
const databaseUrl = process.env.DATABASE_URL || platform.databaseUrl;

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

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return 0; // the process is gone
  }
}

async function backendPids(admin, appName) {
  const { rows } = await admin.query(
    'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
    [appName],
  );
  return rows.map((row) => row.pid);
}

async function snapshot(admin, gatewayPid, appName) {
  const pids = await backendPids(admin, appName);
  return {
    gateway: cpuTicks(gatewayPid),
    backends: new Map(pids.map((pid) => [pid, cpuTicks(pid)])),
    self: process.cpuUsage(),
  };
}

function cpuMs(before, after) {
  let backends = 0;
  for (const [pid, ticks] of after.backends) backends += ticks - (before.backends.get(pid) ?? 0);
  const tick = 1000 / CLOCK_TICKS_PER_SECOND;
  return { gateway: (after.gateway - before.gateway) * tick, postgres: backends * tick };
}

async function waitForHealth(url, child) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up`);
}

function run(options) {
  return new Promise((resolveRun, reject) => {
    autocannon({ connections: CONNECTIONS, pipelining: 1, ...options }, (error, result) =>
      error ? reject(error) : resolveRun(result),
    );
  });
}

async function main() {
  const [upstreamPort, gatewayPort] = [await freePort(), await freePort()];
  const schema = `api_gateway_measure_${randomBytes(4).toString('hex')}`;
  const appName = `measure-gw-${randomBytes(4).toString('hex')}`;
  const adminKey = `eng_${randomBytes(32).toString('base64url')}`;
  const logDir = mkdtempSync(join(tmpdir(), 'gateway-measure-'));
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();

  const upstream = spawn(process.execPath, ['-e', UPSTREAM, String(upstreamPort)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise((r) => upstream.once('message', r));

  const log = openSync(join(logDir, 'gateway.log'), 'a');
  // --cpu-prof writes at a normal exit only; Nest's shutdown hooks re-raise
  // SIGTERM, so a preload exits first.
  const preload = join(logDir, 'exit-on-sigterm.cjs');
  writeFileSync(preload, "process.once('SIGTERM', () => process.exit(0));\n");
  const profArgs = CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${logDir}`, '-r', preload, '-r', '@swc-node/register']
    : ['-r', '@swc-node/register'];
  const gateway = spawn(process.execPath, [...profArgs, gatewayMain], {
    cwd: root,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      SWC_NODE_PROJECT: join(root, 'tsconfig.base.json'),
      DATABASE_URL: databaseUrl,
      PGAPPNAME: appName,
      GATEWAY_PORT: String(gatewayPort),
      API_GATEWAY_SCHEMA: schema,
      API_BOOTSTRAP_KEY: adminKey,
      CONTACTS_URL: `http://127.0.0.1:${upstreamPort}`,
      RATE_LIMIT_PER_SECOND: '1000000',
      RATE_LIMIT_BURST: '1000000',
    },
  });
  const stop = async () => {
    for (const child of [gateway, upstream]) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    }
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  };

  try {
    const url = `http://127.0.0.1:${gatewayPort}`;
    await waitForHealth(`${url}/health`, gateway);
    const headers = { authorization: `Bearer ${adminKey}` };
    const workloads = [
      {
        name: 'GET /api/contacts/:id',
        method: 'GET',
        path: `/api/contacts/${randomUUID()}`,
        headers,
      },
      {
        name: 'POST /api/contacts',
        method: 'POST',
        path: '/api/contacts',
        headers: { ...headers, 'content-type': 'application/json' },
        body: CREATE_BODY,
      },
    ];
    console.log(
      `gateway ${gatewayMain}\n${CONNECTIONS} connections, ${SECONDS} s per workload, log ${logDir}/gateway.log`,
    );
    for (const workload of workloads) {
      const options = { url: `${url}${workload.path}`, ...workload };
      await run({ ...options, duration: WARMUP_SECONDS });
      const before = await snapshot(admin, gateway.pid, appName);
      const result = await run({ ...options, duration: SECONDS });
      const after = await snapshot(admin, gateway.pid, appName);
      const cpu = cpuMs(before, after);
      const ok = result['2xx'];
      const figures = {
        workload: workload.name,
        requests: ok,
        non2xx: result.non2xx + result.errors + result.timeouts,
        reqPerSecond: Math.round(ok / SECONDS),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        gatewayCpuMsPerRequest: Number((cpu.gateway / ok).toFixed(3)),
        postgresCpuMsPerRequest: Number((cpu.postgres / ok).toFixed(3)),
      };
      console.log(JSON.stringify(figures));
    }
  } finally {
    await stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
