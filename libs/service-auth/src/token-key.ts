// Secrets every platform process reads from its environment: the service
// token key (PLATFORM_TOKEN_SECRET) and other keyed-hash secrets. Outside
// development a missing secret stops the process at start. In development
// (NODE_ENV unset, `development` or `test`) a secret is generated once into
// .data/<file>, where every process of the checkout finds the same one.
// Secret material is never logged.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findWorkspaceRoot } from '@engagement/config';

const MIN_SECRET_BYTES = 32;

export function isDevelopment(env: NodeJS.ProcessEnv = process.env): boolean {
  const mode = env.NODE_ENV;
  return mode === undefined || mode === '' || mode === 'development' || mode === 'test';
}

export function parseSecret(variable: string, value: string): Buffer {
  const secret = Buffer.from(value.trim(), 'base64');
  if (secret.length < MIN_SECRET_BYTES) {
    throw new Error(`${variable} must be at least ${MIN_SECRET_BYTES} bytes, base64-encoded`);
  }
  return secret;
}

export interface SecretSource {
  /** The environment variable holding the secret (base64). */
  variable: string;
  /** What it is for, in the start-up error. */
  purpose: string;
  /** The file under .data/ a development secret is kept in. */
  developmentFile: string;
}

export function loadSecret(
  source: SecretSource,
  env: NodeJS.ProcessEnv = process.env,
  dataDir = join(findWorkspaceRoot(), '.data'),
): Buffer {
  const value = env[source.variable];
  if (value) return parseSecret(source.variable, value);
  if (!isDevelopment(env)) {
    throw new Error(
      `${source.variable} must be set when NODE_ENV=${env.NODE_ENV}: ${source.purpose} ` +
        '(generate one with `openssl rand -base64 32`)',
    );
  }
  const file = join(dataDir, source.developmentFile);
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    try {
      // wx: when several processes start at once, the first one's secret wins.
      writeFileSync(file, randomBytes(MIN_SECRET_BYTES).toString('base64') + '\n', {
        mode: 0o600,
        flag: 'wx',
      });
      chmodSync(file, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return parseSecret(source.variable, readFileSync(file, 'utf8'));
}

/** The key service tokens are signed and verified with. */
export function loadServiceTokenKey(
  env: NodeJS.ProcessEnv = process.env,
  dataDir?: string,
): Buffer {
  return loadSecret(
    {
      variable: 'PLATFORM_TOKEN_SECRET',
      purpose: 'every service signs and verifies its calls with it',
      developmentFile: 'platform-token.key',
    },
    env,
    dataDir,
  );
}
