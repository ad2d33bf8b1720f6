// Where the platform's infrastructure is: read from the environment first,
// then from `.data/platform.json`, which `npm start` writes after it has
// resolved (or started) PostgreSQL and Kafka. Every service, test and tool
// finds the database and the broker through this one function.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface PlatformConfig {
  databaseUrl: string;
  kafkaBrokers: string[];
  eventStoreConnectionString: string | undefined;
}

export class PlatformNotRunningError extends Error {
  constructor(missing: string) {
    super(
      `${missing} is not set and .data/platform.json was not found: run \`npm start\` first, ` +
        `or set DATABASE_URL and KAFKA_BROKERS.`,
    );
    this.name = 'PlatformNotRunningError';
  }
}

/** The repository root: the nearest folder above `from` that holds nx.json. */
export function findWorkspaceRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

interface PlatformFile {
  databaseUrl?: string;
  kafkaBrokers?: string;
}

function readPlatformFile(): PlatformFile {
  const file = join(findWorkspaceRoot(), '.data', 'platform.json');
  if (!existsSync(file)) return {};
  return JSON.parse(readFileSync(file, 'utf8')) as PlatformFile;
}

export function loadPlatformConfig(env: NodeJS.ProcessEnv = process.env): PlatformConfig {
  const file = env.DATABASE_URL && env.KAFKA_BROKERS ? {} : readPlatformFile();
  const databaseUrl = env.DATABASE_URL ?? file.databaseUrl;
  if (!databaseUrl) throw new PlatformNotRunningError('DATABASE_URL');
  const brokers = env.KAFKA_BROKERS ?? file.kafkaBrokers;
  if (!brokers) throw new PlatformNotRunningError('KAFKA_BROKERS');
  return {
    databaseUrl,
    kafkaBrokers: brokers
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    eventStoreConnectionString: env.EVENTSTORE_CONNECTION_STRING || undefined,
  };
}
