// The api_keys table: create, find by key, list, revoke. Keys are stored
// only as their SHA-256 (see hashApiKey); a new key's value is returned
// once, to whoever created it, and never read back.
//
// Authentication reads through a short cache (lookup(), ApiKeyCache): a few
// seconds (API_KEY_CACHE_TTL_MS, default 5 s) for a known key, one second for
// a value that matched nothing. What that means for revocation:
// - revoked through this gateway (or this store): refused at once, the
//   entry is evicted before the DELETE answers;
// - revoked elsewhere (another gateway instance, `npm run apikey -- revoke`):
//   revoke() also sends a PostgreSQL NOTIFY, and every gateway LISTENs
//   (ApiKeyRevocationListener) and evicts the key, so it is refused within
//   the notification's round trip. Should a gateway's LISTEN connection be
//   down, its cache is emptied when it reconnects, and until then a revoked
//   key may still be accepted there for at most the TTL;
// - revoked by hand in SQL (no NOTIFY): accepted for at most the TTL.
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { quoteIdent } from '../database/migrations';
import { displayPrefix, generateApiKey, hashApiKey, type Scope } from './api-key';
import { ApiKeyCache } from './api-key.cache';

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

/** How long "no key has this value" is remembered (capped by the cache TTL). */
const NEGATIVE_CACHE_TTL_MS = 1_000;

/**
 * The channel revocations are announced on; the payload is
 * "<schema> <key id>", so gateways on other schemas ignore it.
 */
export const REVOCATION_CHANNEL = 'api_gateway_api_key_revoked';

export interface ApiKeyStoreOptions {
  /** How long lookup() may answer from memory; 0 (the default) reads the table every time. */
  cacheTtlMs?: number;
  /** The cache's clock (milliseconds); tests pass their own. */
  now?: () => number;
}

export class ApiKeyStore {
  readonly schema: string;
  private readonly table: string;
  private readonly lastTouched = new Map<string, number>();
  private readonly cache: ApiKeyCache;
  /** Lookups in progress, so that concurrent requests with one key share a query. */
  private readonly loading = new Map<string, Promise<ApiKeyRecord | null>>();

  constructor(
    private readonly pool: Pool,
    schema: string,
    options: ApiKeyStoreOptions = {},
  ) {
    this.schema = schema;
    this.table = `${quoteIdent(schema)}.api_keys`;
    const ttlMs = options.cacheTtlMs ?? 0;
    this.cache = new ApiKeyCache({ ttlMs, negativeTtlMs: NEGATIVE_CACHE_TTL_MS, now: options.now });
  }

  /** Creates a key with a fresh random value; the value is in the result and nowhere else. */
  async create(name: string, scopes: Scope[]): Promise<{ record: ApiKeyRecord; key: string }> {
    const key = generateApiKey();
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO ${this.table} (id, name, key_prefix, key_hash, scopes)
       VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [randomUUID(), name, displayPrefix(key), hashApiKey(key), scopes],
    );
    // 256 random bits: nobody presented this value before, but be exact.
    this.cache.forget(hashApiKey(key));
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
    return this.readByHash(hashApiKey(key));
  }

  /**
   * findByKey through the cache, for authenticating requests: the answer
   * may be up to the cache TTL old (see the top of this file for what that
   * means for revocation); lastUsedAt in it is not kept current.
   */
  lookup(key: string): Promise<ApiKeyRecord | null> {
    const hash = hashApiKey(key);
    if (!this.cache.enabled) return this.readByHash(hash);
    const cached = this.cache.get(hash);
    if (cached !== undefined) return Promise.resolve(cached);
    let loading = this.loading.get(hash);
    if (!loading) {
      const epoch = this.cache.epoch;
      const load = this.readByHash(hash).then(
        (record) => {
          this.cache.set(hash, record, epoch);
          if (this.loading.get(hash) === load) this.loading.delete(hash);
          return record;
        },
        (error: unknown) => {
          if (this.loading.get(hash) === load) this.loading.delete(hash);
          throw error;
        },
      );
      loading = load;
      this.loading.set(hash, load);
    }
    return loading;
  }

  /**
   * What lookup() would answer from memory alone: the record, null for a
   * remembered miss, undefined if it would have to read the table.
   */
  cached(key: string): ApiKeyRecord | null | undefined {
    return this.cache.enabled ? this.cache.get(hashApiKey(key)) : undefined;
  }

  /** Forgets what lookup() knew about this key id (it was revoked, maybe by another process). */
  evict(id: string): void {
    this.cache.evict(id);
    // A lookup already running may have read the key before the revocation.
    this.loading.clear();
  }

  /** Forgets everything lookup() knew (revocation notices may have been missed). */
  clearCache(): void {
    this.cache.clear();
    this.loading.clear();
  }

  private async readByHash(hash: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.table} WHERE key_hash = $1`,
      [hash],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.table} ORDER BY created_at, id`,
    );
    return rows.map(toRecord);
  }

  /**
   * Returns false if no key has this id. Revoking a revoked key keeps its
   * first revocation time. Evicts the key from this store's cache and, in
   * the same statement (so only if the revocation commits), NOTIFYs every
   * gateway listening on REVOCATION_CHANNEL.
   */
  async revoke(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `WITH revoked AS (
         UPDATE ${this.table} SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING id
       )
       SELECT pg_notify('${REVOCATION_CHANNEL}', $2::text || ' ' || id::text) FROM revoked`,
      [id, this.schema],
    );
    this.evict(id);
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
