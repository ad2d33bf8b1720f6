// 200 concurrent registrations for an event with 100 seats, side by side in
// one run:
//   gateway  our full path: client → API gateway (API key, rate limit,
//            signed service token) → events service (contacts upsert over
//            HTTP to the contacts service, the event's seats decided under
//            an expected revision, the registration appended; the read model
//            filled in the background);
//   plain    bench/plain-registrations: NestJS + TypeORM, one transaction per
//            registration: contact upsert, SELECT the event FOR UPDATE,
//            INSERT the registration, bump current_registrations.
// Each contender gets BENCH_ROUNDS (default 3) fresh events, BENCH_REGISTRATIONS
// (default 200) new emails fired at once for BENCH_SEATS (default 100) seats.
// Reports registrations/s (all answered / wall time), p50 and p99 latency,
// how many were seated (must be exactly the seats) and, for ours, whether
// current_registrations in the read model equals the seated rows once it
// caught up. The services run as child processes on ports BENCH_PORT_BASE
// (default 4420) to +3, with fresh schemas; their logs go to a temporary
// folder, named when a run fails. Prints a table and one JSON line; exits
// non-zero only on errors (a wrong seat count is an error).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { loadPlatformConfig } from '@engagement/config';

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const REGISTRATIONS = Number(process.env.BENCH_REGISTRATIONS || 200);
const SEATS = Number(process.env.BENCH_SEATS || 100);
const PORT_BASE = Number(process.env.BENCH_PORT_BASE || 4420);
const root = resolve(__dirname, '..');
const node = join(root, 'node_modules', '.bin', 'node');
const logDir = mkdtempSync(join(tmpdir(), 'bench-registrations-'));

const { databaseUrl, kafkaBrokers } = loadPlatformConfig();
const suffix = randomUUID().replace(/-/g, '').slice(0, 8);
const schemas = {
  contacts: `bench_reg_contacts_${suffix}`,
  events: `bench_reg_events_${suffix}`,
  store: `bench_reg_store_${suffix}`,
  gateway: `bench_reg_gateway_${suffix}`,
  plain: `bench_reg_plain_${suffix}`,
};
const ports = {
  contacts: PORT_BASE,
  events: PORT_BASE + 1,
  gateway: PORT_BASE + 2,
  plain: PORT_BASE + 3,
};
const apiKey = `eng_${randomBytes(32).toString('base64url')}`;
const children: ChildProcess[] = [];

function start(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  tsconfig = 'tsconfig.base.json',
) {
  const log = openSync(join(logDir, `${name}.log`), 'a');
  const child = spawn(node, ['-r', '@swc-node/register', join(root, entry)], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      PLATFORM_TOKEN_SECRET: tokenSecret,
      SWC_NODE_PROJECT: join(root, tsconfig),
      PGAPPNAME: `bench-${name}`,
      ...env,
    },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  children.push(child);
  return child;
}
const tokenSecret = randomBytes(32).toString('base64');

async function healthy(url: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(1_000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer; logs in ${logDir}`);
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

interface RoundResult {
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  seated: number;
  waitlisted: number;
  failed: number;
  readModelAgrees?: boolean;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function fire(
  url: string,
  eventId: string,
  headers: Record<string, string>,
): Promise<RoundResult & { positions: bigint[] }> {
  const started = performance.now();
  const answers = await Promise.all(
    Array.from({ length: REGISTRATIONS }, async (_, i) => {
      const t0 = performance.now();
      const answer = await post(
        url,
        { email: `bench.${i}.${randomUUID().slice(0, 8)}@example.com`, eventId },
        headers,
      ).catch((error: Error) => ({ status: 0, body: { error: error.message } }));
      return { ...answer, ms: performance.now() - t0 };
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const latencies = answers.map((a) => a.ms).sort((a, b) => a - b);
  return {
    seconds,
    perSecond: REGISTRATIONS / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    seated: answers.filter((a) => a.status === 201 && a.body.status === 'registered').length,
    waitlisted: answers.filter((a) => a.status === 201 && a.body.status === 'waitlisted').length,
    failed: answers.filter((a) => a.status !== 201).length,
    positions: answers.filter((a) => a.body?.position).map((a) => BigInt(a.body.position)),
  };
}

async function oursRound(db: Client): Promise<RoundResult> {
  const headers = { authorization: `Bearer ${apiKey}` };
  const gateway = `http://127.0.0.1:${ports.gateway}`;
  const created = await post(
    `${gateway}/api/events`,
    {
      title: 'Bench webinar',
      type: 'webinar',
      platform: 'virtual_custom',
      scheduledAt: new Date(Date.now() + 86_400_000).toISOString(),
      maxRegistrations: SEATS,
    },
    headers,
  );
  if (created.status !== 201)
    throw new Error(`creating the event: ${JSON.stringify(created.body)}`);
  const eventId = created.body.id as string;
  for (const action of ['schedule', 'open-registration'])
    await post(`${gateway}/api/events/${eventId}/${action}`, {}, headers);
  const result = await fire(`${gateway}/api/registrations`, eventId, headers);
  const last = result.positions.reduce((a, b) => (a > b ? a : b), 0n);
  const read = await fetch(`${gateway}/api/events/${eventId}?waitForPosition=${last}`, { headers });
  const event = (await read.json()) as { currentRegistrations: number };
  const { rows } = await db.query(
    `SELECT count(*)::int AS n FROM "${schemas.events}".registrations WHERE event_id = $1 AND status NOT IN ('cancelled', 'waitlisted')`,
    [eventId],
  );
  return {
    ...result,
    readModelAgrees: event.currentRegistrations === rows[0].n && rows[0].n === SEATS,
  };
}

async function plainRound(): Promise<RoundResult> {
  const plain = `http://127.0.0.1:${ports.plain}`;
  const created = await post(`${plain}/events`, { maxRegistrations: SEATS });
  return fire(`${plain}/registrations`, created.body.id, {});
}

function summary(rounds: RoundResult[]) {
  const median = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return {
    perSecond: median(rounds.map((r) => r.perSecond)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    seated: rounds.map((r) => r.seated),
    waitlisted: rounds.map((r) => r.waitlisted),
    failed: rounds.reduce((n, r) => n + r.failed, 0),
    readModelAgrees: rounds.every((r) => r.readModelAgrees !== false),
  };
}

async function main(): Promise<void> {
  console.log(
    `${REGISTRATIONS} concurrent registrations for ${SEATS} seats, ${ROUNDS} rounds each; logs in ${logDir}`,
  );
  start('contacts', 'services/contacts/src/main.ts', {
    CONTACTS_PORT: String(ports.contacts),
    CONTACTS_SCHEMA: schemas.contacts,
    EVENT_STORE_SCHEMA: schemas.store,
    CONTACTS_RELAY: 'off',
    CONTACTS_EVENTS_TOPIC: 'off',
    CONTACTS_IMPORT_WORKER: 'off',
    CONTACTS_MASTER_KEYS: `bench:${randomBytes(32).toString('base64')}`,
  });
  start('events', 'services/events/src/main.ts', {
    EVENTS_PORT: String(ports.events),
    EVENTS_SCHEMA: schemas.events,
    EVENT_STORE_SCHEMA: schemas.store,
    EVENTS_RELAY: 'off',
    EVENTS_MESSAGING_TOPIC: 'off',
    CONTACTS_URL: `http://127.0.0.1:${ports.contacts}`,
  });
  start('api-gateway', 'services/api-gateway/src/main.ts', {
    GATEWAY_PORT: String(ports.gateway),
    API_GATEWAY_SCHEMA: schemas.gateway,
    API_BOOTSTRAP_KEY: apiKey,
    CONTACTS_URL: `http://127.0.0.1:${ports.contacts}`,
    EVENTS_URL: `http://127.0.0.1:${ports.events}`,
    RATE_LIMIT_PER_SECOND: '100000',
    RATE_LIMIT_BURST: '100000',
  });
  start(
    'plain-registrations',
    'bench/plain-registrations/main.ts',
    { PLAIN_REGISTRATIONS_PORT: String(ports.plain), PLAIN_REGISTRATIONS_SCHEMA: schemas.plain },
    'bench/tsconfig.json',
  );
  await Promise.all(
    [ports.contacts, ports.events, ports.gateway].map((port) =>
      healthy(`http://127.0.0.1:${port}/health`),
    ),
  );
  await waitForPlain();

  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    // Warm-up: one small round each (JIT, pools, token caches), not counted.
    await post(`http://127.0.0.1:${ports.plain}/registrations`, {
      email: 'warm@example.com',
      eventId: randomUUID(),
    });
    const ours: RoundResult[] = [];
    const plain: RoundResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate who goes first, so neither always meets a warmer database.
      if (round % 2 === 0) {
        ours.push(await oursRound(db));
        plain.push(await plainRound());
      } else {
        plain.push(await plainRound());
        ours.push(await oursRound(db));
      }
    }
    const o = summary(ours);
    const p = summary(plain);
    const fmt = (n: number) => n.toFixed(1).padStart(9);
    console.log(
      '\ncontender   regs/s     p50 ms     p99 ms   seated/round   waitlisted   failed  read model = rows',
    );
    console.log(
      `gateway  ${fmt(o.perSecond)}  ${fmt(o.p50)}  ${fmt(o.p99)}   ${o.seated.join(',').padEnd(12)}   ${o.waitlisted.join(',').padEnd(10)}   ${String(o.failed).padStart(6)}  ${o.readModelAgrees}`,
    );
    console.log(
      `plain    ${fmt(p.perSecond)}  ${fmt(p.p50)}  ${fmt(p.p99)}   ${p.seated.join(',').padEnd(12)}   ${p.waitlisted.join(',').padEnd(10)}   ${String(p.failed).padStart(6)}  -`,
    );
    console.log(
      `ratios (gateway / plain): regs/s ${(o.perSecond / p.perSecond).toFixed(2)}, p50 ${(o.p50 / p.p50).toFixed(2)}, p99 ${(o.p99 / p.p99).toFixed(2)}`,
    );
    const load = loadavg()[0];
    if (load > cpus().length)
      console.log(
        `WARNING: load average ${load.toFixed(1)} on ${cpus().length} cores: other work shares ` +
          'this machine; compare the ratios, not the rates',
      );
    console.log(
      JSON.stringify({
        bench: 'registrations',
        loadAverage: load,
        registrations: REGISTRATIONS,
        seats: SEATS,
        rounds: ROUNDS,
        gateway: o,
        plain: p,
      }),
    );
    const wrong =
      [...ours, ...plain].some((r) => r.seated !== SEATS || r.failed > 0) || !o.readModelAgrees;
    if (wrong)
      throw new Error(
        `a contender seated other than ${SEATS} or failed requests; logs in ${logDir}`,
      );
  } finally {
    await db.end();
  }
}

async function waitForPlain(): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const answer = await post(`http://127.0.0.1:${ports.plain}/events`, {}).catch(() => null);
    if (answer?.status === 201) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`plain-registrations did not start; logs in ${logDir}`);
}

async function cleanup(): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
        }),
    ),
  );
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  for (const schema of Object.values(schemas))
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await db.end();
}

main()
  .then(cleanup, async (error: unknown) => {
    console.error(`bench registrations: ${(error as Error).message}`);
    await cleanup();
    process.exitCode = 1;
  })
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
