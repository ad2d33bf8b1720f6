// The master keys that wrap the connectors' credential data keys.
// CONNECTORS_MASTER_KEYS holds "keyId:base64-of-32-bytes", comma-separated,
// the current key first (like contacts' CONTACTS_MASTER_KEYS): new envelopes
// are wrapped with it, older keys stay for unwrapping until every envelope
// was re-wrapped. Outside development (NODE_ENV unset, development or test)
// a missing variable stops the service: credentials are never stored under a
// key nobody manages. In development a key is generated once into
// .data/connectors-master-key. Key material is never logged.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findWorkspaceRoot } from '@engagement/config';

export const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const VARIABLE = 'CONNECTORS_MASTER_KEYS';

export interface MasterKeys {
  currentId: string;
  byId: ReadonlyMap<string, Buffer>;
}

export function parseMasterKeys(spec: string): MasterKeys {
  const byId = new Map<string, Buffer>();
  let currentId: string | undefined;
  for (const entry of spec.split(',').map((part) => part.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!KEY_ID.test(id)) throw new Error(`${VARIABLE}: each entry must be "keyId:base64" with a simple key id`);
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (key.length !== KEY_BYTES) throw new Error(`${VARIABLE}: key ${id} must be ${KEY_BYTES} bytes, base64-encoded`);
    if (byId.has(id)) throw new Error(`${VARIABLE}: key id ${id} appears twice`);
    byId.set(id, key);
    currentId ??= id;
  }
  if (currentId === undefined) throw new Error(`${VARIABLE} holds no key`);
  return { currentId, byId };
}

export function isDevelopment(env: NodeJS.ProcessEnv): boolean {
  const mode = env.NODE_ENV?.trim() ?? '';
  return mode === '' || mode === 'development' || mode === 'test';
}

export function loadConnectorMasterKeys(
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void,
  file = join(findWorkspaceRoot(), '.data', 'connectors-master-key'),
): MasterKeys {
  const spec = env[VARIABLE]?.trim();
  if (spec) return parseMasterKeys(spec);
  if (!isDevelopment(env)) throw new Error(`${VARIABLE} must be set outside development (NODE_ENV=${env.NODE_ENV})`);
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    const generated = `dev-${randomBytes(4).toString('hex')}:${randomBytes(KEY_BYTES).toString('base64')}`;
    try {
      // wx: when both connectors start at once, the first one's key wins.
      writeFileSync(file, generated + '\n', { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
      warn(`${VARIABLE} is not set: generated a development master key into ${file}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return parseMasterKeys(readFileSync(file, 'utf8').trim());
}
