// Shared helpers of the infra scripts: where the repo and .data/ are, and the
// file .data/platform.json that tells tests and services where PostgreSQL and
// Kafka are:
//   { "databaseUrl": "postgres://...", "kafkaBrokers": "127.0.0.1:9092",
//     "postgres": "external|local|embedded", "kafka": "external|local" }
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DATA_DIR = path.join(ROOT, '.data');
export const STATE_FILE = path.join(DATA_DIR, 'platform.json');

const KEY_ORDER = ['databaseUrl', 'kafkaBrokers', 'postgres', 'kafka'];

export function readState() {
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8'));
  } catch {
    return {};
  }
}

/** Merges `patch` into .data/platform.json (keys set to undefined are removed). */
export function updateState(patch) {
  const merged = { ...readState(), ...patch };
  const next = {};
  for (const k of [...KEY_ORDER, ...Object.keys(merged)])
    if (merged[k] !== undefined) next[k] = merged[k];
  mkdirSync(DATA_DIR, { recursive: true });
  if (Object.keys(next).length === 0) {
    rmSync(STATE_FILE, { force: true });
    return next;
  }
  const tmp = `${STATE_FILE}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(next, null, 2) + '\n');
  renameSync(tmp, STATE_FILE);
  return next;
}

/** The URL with its password shown as *** (for messages). */
export function redactUrl(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** True when this module's importer was run as `node <file>`. */
export function isMain(importMetaUrl) {
  return !!process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(importMetaUrl);
}

/**
 * Runs `fn` while holding the lock `.data/<name>.lock` (a directory holding
 * the owner's pid), so that two start/stop runs in one checkout do not race.
 * A lock whose owner is gone is taken over.
 */
export async function withLock(name, fn, { timeoutMs = 180_000 } = {}) {
  const dir = path.join(DATA_DIR, `${name}.lock`);
  const ownerFile = path.join(dir, 'pid');
  mkdirSync(DATA_DIR, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(ownerFile, String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let owner = NaN;
      try {
        owner = Number(readFileSync(ownerFile, 'utf8'));
      } catch {
        /* being created or removed right now */
      }
      if (Number.isInteger(owner) && owner > 0 && !pidAlive(owner)) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(
          `another start/stop in this checkout holds ${path.relative(ROOT, dir)} (pid ${owner})`,
        );
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}
