// The operators' command line for API keys, straight against the database
// (so it works before the gateway ever ran, e.g. to make the first key):
//   apikey create --scopes read,write [--name x]   prints the new key, and only it, to stdout
//   apikey list                                      ids, names, prefixes, scopes; no secrets
//   apikey revoke <id>
// Run from the repository root with `npm run apikey -- <command>`. stdout
// carries only the result (the key, or the list); messages go to stderr, so
// `KEY=$(npm run -s apikey -- create --scopes read)` works.
import { Pool } from 'pg';
import { loadGatewayConfig } from '../config';
import { migrateGatewaySchema } from '../database/migrations';
import { parseScopes } from './api-key';
import { ApiKeyStore } from './api-key.store';

const USAGE = `usage:
  apikey create --scopes read,write[,admin,pii:read,pii:erase] [--name <name>]
  apikey list
  apikey revoke <id>`;

export interface ApiKeyCliOutput {
  /** stdout: the result only (the new key, or the list). */
  out: (line: string) => void;
  /** stderr: everything meant for the person at the terminal. */
  err: (line: string) => void;
}

/** Returns the process exit code. */
export async function runApiKeyCli(
  args: string[],
  store: ApiKeyStore,
  { out, err }: ApiKeyCliOutput,
): Promise<number> {
  const [command, ...rest] = args;
  if (command === 'create') {
    const options = parseOptions(rest);
    const scopes = options && parseScopes(options.scopes ?? '');
    const name = options?.name ?? 'cli';
    if (!options || !scopes || name.length < 1 || name.length > 100) {
      err(
        'create needs --scopes with one or more of read, write, admin, pii:read, pii:erase; --name is 1 to 100 characters',
      );
      err(USAGE);
      return 2;
    }
    const { record, key } = await store.create(name, scopes);
    out(key);
    err(
      `created API key ${record.id} "${record.name}" (${record.prefix}…) with scopes ${scopes.join(',')}`,
    );
    err('the key is shown only now: store it somewhere safe');
    return 0;
  }
  if (command === 'list' && rest.length === 0) {
    for (const key of await store.list()) {
      out(
        `${key.id}  ${key.prefix.padEnd(12)}  ${key.scopes.join(',').padEnd(16)}  ` +
          `${key.revokedAt ? `revoked ${key.revokedAt}` : 'active'}  ${key.name}`,
      );
    }
    return 0;
  }
  if (command === 'revoke' && rest.length === 1) {
    const id = rest[0]!;
    if (!/^[0-9a-f-]{36}$/i.test(id) || !(await store.revoke(id))) {
      err(`no API key ${id}`);
      return 1;
    }
    err(`revoked API key ${id}`);
    return 0;
  }
  err(USAGE);
  return 2;
}

function parseOptions(args: string[]): Record<string, string> | null {
  const options: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i]!;
    const value = args[i + 1];
    if (!['--scopes', '--name'].includes(flag) || value === undefined) return null;
    options[flag.slice(2)] = value;
  }
  return options;
}

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  const pool = new Pool({ connectionString: config.databaseUrl, max: 1 });
  try {
    await migrateGatewaySchema(pool, config.schema);
    process.exitCode = await runApiKeyCli(
      process.argv.slice(2),
      new ApiKeyStore(pool, config.schema),
      {
        out: (line) => process.stdout.write(`${line}\n`),
        err: (line) => process.stderr.write(`${line}\n`),
      },
    );
  } finally {
    await pool.end();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`apikey: ${(error as Error).message}\n`);
    process.exitCode = 1;
  });
}
