// Starts and stops the platform's NestJS services as background processes
// (used by infra/platform.mjs). Each runs its TypeScript entry on the
// project's Node 24 through @swc-node/register (with telemetry preloaded:
// libs/observability/src/register.ts), logs to .data/logs/<name>.log,
// keeps its pid in .data/services/<name>.pid, and counts as started once its
// GET /health answers.
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { instanceName, instancePort } from './start-settings.mjs';
import { DATA_DIR, ROOT } from './state.mjs';

const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');
const LOG_DIR = path.join(DATA_DIR, 'logs');
const PID_DIR = path.join(DATA_DIR, 'services');
// TypeScript on the fly, then telemetry started (when an OTLP endpoint is
// set) before the entry loads anything it instruments. kafkajs 2.2 asks Node
// for a negative delay whenever a broker has not throttled it (Node 24 warns,
// then uses 1 ms, which is what kafkajs means): the warning is noise in every
// service's log, so it is silenced, and only it.
export const SERVICE_PRELOADS = [
  '--disable-warning=TimeoutNegativeWarning',
  '-r',
  '@swc-node/register',
  '-r',
  path.join(ROOT, 'libs', 'observability', 'src', 'register.ts'),
];
const START_TIMEOUT_MS = Number(process.env.SERVICE_START_TIMEOUT_MS || 90_000);

/**
 * A service: its name, TypeScript entry, and the port variable it listens on;
 * `audience` for the platform's own services: the name service tokens for it
 * are addressed to; `instance` (1-based) for the second and further
 * instances of a service (their own name, port, pid file and log).
 */
export function nodeService({
  name: serviceName,
  entry,
  portVariable,
  defaultPort,
  audience,
  instance = 1,
}) {
  const name = instanceName(serviceName, instance);
  const pidFile = path.join(PID_DIR, `${name}.pid`);
  const logFile = path.join(LOG_DIR, `${name}.log`);
  const port = () => instancePort(Number(process.env[portVariable] || defaultPort), instance);
  const url = () => `http://127.0.0.1:${port()}`;
  const say = (msg) => console.log(`[platform] ${name}: ${msg}`);

  return {
    name,
    /** The service this is an instance of (its name without the instance number). */
    service: serviceName,
    audience,
    url,
    /** The pid of this service's process when it runs, else null. */
    pid: () => runningPid(pidFile),
    async start(env) {
      const running = runningPid(pidFile);
      if (running) {
        say(`already running (pid ${running}) on ${url()}`);
        return;
      }
      if (await answers(`${url()}/health`)) {
        throw new Error(
          `port ${port()} already answers HTTP: another process holds it (set ${portVariable})`,
        );
      }
      mkdirSync(LOG_DIR, { recursive: true });
      mkdirSync(PID_DIR, { recursive: true });
      const log = openSync(logFile, 'a');
      const child = spawn(NODE, [...SERVICE_PRELOADS, path.join(ROOT, entry)], {
        cwd: ROOT,
        env: {
          ...env,
          SWC_NODE_PROJECT: path.join(ROOT, 'tsconfig.base.json'),
          [portVariable]: String(port()),
        },
        detached: true,
        stdio: ['ignore', log, log],
      });
      closeSync(log);
      writeFileSync(pidFile, String(child.pid));
      child.unref();
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (Date.now() < deadline) {
        if (!isAlive(child.pid)) {
          rmSync(pidFile, { force: true });
          throw new Error(
            `exited during start-up; last lines of ${path.relative(ROOT, logFile)}:\n${tail(logFile)}`,
          );
        }
        if (await answers(`${url()}/health`)) {
          say(`listening on ${url()} (pid ${child.pid}, log ${path.relative(ROOT, logFile)})`);
          return;
        }
        await sleep(250);
      }
      throw new Error(
        `no answer on ${url()}/health after ${START_TIMEOUT_MS / 1000}s; see ${path.relative(ROOT, logFile)}`,
      );
    },
    async stop() {
      const pid = runningPid(pidFile);
      if (!pid) {
        say('not running');
        rmSync(pidFile, { force: true });
        return;
      }
      process.kill(-pid, 'SIGTERM');
      for (let i = 0; i < 60 && isAlive(pid); i++) await sleep(250);
      if (isAlive(pid)) {
        say('did not stop within 15 s: SIGKILL');
        process.kill(-pid, 'SIGKILL');
      }
      rmSync(pidFile, { force: true });
      say('stopped');
    },
    async status() {
      const pid = runningPid(pidFile);
      const ok = pid && (await answers(`${url()}/health`));
      say(
        ok
          ? `running (pid ${pid}) on ${url()}`
          : pid
            ? `pid ${pid} alive but ${url()}/health does not answer`
            : 'not running',
      );
      return Boolean(ok);
    },
  };
}

function runningPid(pidFile) {
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : null;
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function answers(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return res.ok;
  } catch {
    return false;
  }
}

function tail(file, lines = 20) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
