// The master keys that wrap the contacts' data keys. CONTACTS_MASTER_KEYS
// holds "keyId:base64-of-32-bytes", comma-separated, the current key first:
// new data keys are wrapped with it, older ones stay for unwrapping until
// every data key has been re-wrapped (rewrapDataKeys). In development, when
// the variable is unset, a key is generated once into
// .data/contacts-master-key so that restarts can still read their data.
// Key material is never logged.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findWorkspaceRoot } from '@engagement/config';
import { KEY_BYTES } from '@engagement/personal-data';

export interface MasterKeys {
  /** The key new data keys are wrapped with. */
  currentId: string;
  byId: ReadonlyMap<string, Buffer>;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function parseMasterKeys(spec: string): MasterKeys {
  const byId = new Map<string, Buffer>();
  let currentId: string | undefined;
  for (const entry of spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!KEY_ID.test(id)) {
      throw new Error(
        'CONTACTS_MASTER_KEYS: each entry must be "keyId:base64" with a simple key id',
      );
    }
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (key.length !== KEY_BYTES) {
      throw new Error(`CONTACTS_MASTER_KEYS: key ${id} must be ${KEY_BYTES} bytes, base64-encoded`);
    }
    if (byId.has(id)) throw new Error(`CONTACTS_MASTER_KEYS: key id ${id} appears twice`);
    byId.set(id, key);
    currentId ??= id;
  }
  if (currentId === undefined) throw new Error('CONTACTS_MASTER_KEYS holds no key');
  return { currentId, byId };
}

export interface MasterKeySource {
  masterKeys: string | undefined;
  environment: 'development' | 'production';
}

/** The configured master keys; in development, a generated one kept under .data/. */
export function loadMasterKeys(
  source: MasterKeySource,
  warn: (message: string) => void,
  file = join(findWorkspaceRoot(), '.data', 'contacts-master-key'),
): MasterKeys {
  if (source.masterKeys) return parseMasterKeys(source.masterKeys);
  if (source.environment === 'production') {
    throw new Error('CONTACTS_MASTER_KEYS must be set in production');
  }
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    const generated = `dev-${randomBytes(4).toString('hex')}:${randomBytes(KEY_BYTES).toString('base64')}`;
    try {
      // wx: when two processes start at once, the first one's key wins.
      writeFileSync(file, generated + '\n', { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
      warn(`CONTACTS_MASTER_KEYS is not set: generated a development master key into ${file}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  } else {
    warn(`CONTACTS_MASTER_KEYS is not set: using the development master key in ${file}`);
  }
  return parseMasterKeys(readFileSync(file, 'utf8').trim());
}
