// The api_keys table: create, find by key, list, revoke. Keys are stored
// only as their SHA-256 (see hashApiKey); a new key's value is returned
// once, to whoever created it, and never read back.
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { quoteIdent } from '../database/migrations';
import { displayPrefix, generateApiKey, hashApiKey, type Scope } from './api-key';

export interface ApiKeyRecord {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

interface Row {
  id: string;
  name: string;
  key_prefix: string;
  scopes: Scope[];
  created_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const COLUMNS = 'id, name, key_prefix, scopes, created_at, revoked_at, last_used_at';

/** last_used_at is written at most this often per key, not on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export class ApiKeyStore {
  private readonly table: string;
  private readonly lastTouched = new Map<string, number>();

  constructor(
    private readonly pool: Pool,
    schema: string,
  ) {
    this.table = `${quoteIdent(schema)}.api_keys`;
  }

  /** Creates a key with a fresh random value; the value is in the result and nowhere else. */
  async create(name: string, scopes: Scope[]): Promise<{ record: ApiKeyRecord; key: string }> {
    const key = generateApiKey();
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO ${this.table} (id, name, key_prefix, key_hash, scopes)
       VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [randomUUID(), name, displayPrefix(key), hashApiKey(key), scopes],
    );
    return { record: toRecord(rows[0]!), key };
  }

  /**
   * Makes sure a key with exactly this value exists with admin scope
   * (API_BOOTSTRAP_KEY). Safe to run on every start and from several
   * gateways at once. A bootstrap key that was revoked stays revoked:
   * revocation is an operator's decision that a restart must not undo.
   */
  async ensureBootstrapKey(key: string): Promise<ApiKeyRecord> {
    const hash = hashApiKey(key);
    await this.pool.query(
      `INSERT INTO ${this.table} (id, name, key_prefix, key_hash, scopes)
       VALUES ($1, 'bootstrap', $2, $3, ARRAY['admin'])
       ON CONFLICT (key_hash) DO NOTHING`,
      [randomUUID(), displayPrefix(key), hash],
    );
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.table} WHERE key_hash = $1`,
      [hash],
    );
    return toRecord(rows[0]!);
  }

  /** The key's record if the presented value matches a stored hash, revoked or not. */
  async findByKey(key: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.table} WHERE key_hash = $1`,
      [hashApiKey(key)],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.table} ORDER BY created_at, id`,
    );
    return rows.map(toRecord);
  }

  /** Returns false if no key has this id. Revoking a revoked key keeps its first revocation time. */
  async revoke(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE ${this.table} SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1`,
      [id],
    );
    return rowCount === 1;
  }

  /**
   * Records that a key was used. Writing on every request would turn every
   * read into a write, so this writes at most once a minute per key and
   * does not make the request wait for it.
   */
  touch(id: string, onError: (error: unknown) => void): void {
    const now = Date.now();
    const last = this.lastTouched.get(id);
    if (last !== undefined && now - last < LAST_USED_RESOLUTION_MS) return;
    this.lastTouched.set(id, now);
    this.pool
      .query(`UPDATE ${this.table} SET last_used_at = now() WHERE id = $1`, [id])
      .catch(onError);
  }
}

function toRecord(row: Row): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    prefix: row.key_prefix,
    scopes: row.scopes,
    createdAt: row.created_at.toISOString(),
    revokedAt: row.revoked_at?.toISOString() ?? null,
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
  };
}
