// The contacts' data keys, one per contact (ids k1, k2... if a contact's key
// is ever rotated), stored wrapped by a master key in
// <schema>.personal_data_keys. This table is not a projection: it is the only
// copy of the keys, so it is never rebuilt, and erasure destroys a contact's
// keys here, which makes the personal fields of its events unreadable
// everywhere (crypto-shredding).
//
// Unwrapped keys are cached in memory for a short while (a command reads and
// appends the same contact; a projection batch decrypts many events of few
// contacts). The cache is bounded in size and in time: a key destroyed by
// another process stops being usable here within the TTL.
import { NotFoundError } from '@engagement/decider';
import type { Pool } from 'pg';
import { newDataKey, unwrapKey, wrapKey } from './field-cipher';
import type { MasterKeys } from './master-keys';

export type ContactKeys =
  | { state: 'none' }
  | { state: 'destroyed' }
  | { state: 'active'; currentKeyId: string; keys: ReadonlyMap<string, Buffer> };

interface KeyRow {
  contact_id: string;
  key_id: string;
  wrapped_key: Buffer | null;
  master_key_id: string | null;
}

interface CachedKeys {
  keys: ContactKeys;
  expiresAt: number;
}

export interface DataKeyStoreOptions {
  cacheTtlMs?: number;
  maxCachedContacts?: number;
}

/** The first data key of every contact; a rotation would add k2, k3... */
const FIRST_KEY_ID = 'k1';

export function contactErasedError(contactId: string): NotFoundError {
  return new NotFoundError(`Contact ${contactId} was erased`, 'contact-erased', { contactId });
}

export class DataKeyStore {
  private readonly table: string;
  private readonly cache = new Map<string, CachedKeys>();
  private readonly loading = new Map<string, Promise<ContactKeys>>();
  private readonly ttlMs: number;
  private readonly maxCached: number;

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly masterKeys: MasterKeys,
    options: DataKeyStoreOptions = {},
  ) {
    this.table = `"${schema}".personal_data_keys`;
    this.ttlMs = options.cacheTtlMs ?? 60_000;
    this.maxCached = options.maxCachedContacts ?? 50_000;
  }

  /** Creates the table if missing; safe to run at every start, by several processes at once. */
  async prepare(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock(hashtextextended($1, 17))', [
        `personal-data-keys:${this.schema}`,
      ]);
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
          contact_id    uuid        NOT NULL,
          key_id        text        NOT NULL,
          wrapped_key   bytea,
          master_key_id text,
          created_at    timestamptz NOT NULL DEFAULT now(),
          destroyed_at  timestamptz,
          PRIMARY KEY (contact_id, key_id),
          CHECK ((wrapped_key IS NULL) = (destroyed_at IS NOT NULL))
        )`);
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 17))', [
          `personal-data-keys:${this.schema}`,
        ]);
      }
    } finally {
      client.release();
    }
  }

  /** The contact's keys: none yet, destroyed, or active. */
  async keysOf(contactId: string): Promise<ContactKeys> {
    const cached = this.cached(contactId);
    if (cached) return cached;
    const inFlight = this.loading.get(contactId);
    if (inFlight) return inFlight;
    const load = this.load([contactId])
      .then((found) => found.get(contactId) ?? { state: 'none' as const })
      .finally(() => this.loading.delete(contactId));
    this.loading.set(contactId, load);
    return load;
  }

  /** Loads the keys of many contacts in one query (a projection batch, an import batch). */
  async preload(contactIds: readonly string[]): Promise<void> {
    const missing = [...new Set(contactIds)].filter((id) => !this.cached(id));
    if (missing.length > 0) await this.load(missing);
  }

  /** The key to encrypt new events of the contact with; created on first use. */
  async currentKeyFor(contactId: string): Promise<{ keyId: string; key: Buffer }> {
    let keys = this.cached(contactId);
    if (keys === undefined) {
      // One round trip whether or not the key exists yet: insert a first key
      // (ON CONFLICT: a concurrent first use, or an erasure, got there first
      // and theirs stands), then read whatever the contact has.
      const wrapped = wrapKey(
        newDataKey(),
        this.currentMasterKey(),
        keyAad(contactId, FIRST_KEY_ID),
      );
      const { rows } = await this.pool.query<KeyRow>(
        `WITH inserted AS (
           INSERT INTO ${this.table} (contact_id, key_id, wrapped_key, master_key_id)
           VALUES ($1, $2, $3, $4) ON CONFLICT (contact_id, key_id) DO NOTHING
           RETURNING contact_id, key_id, wrapped_key, master_key_id, created_at
         )
         SELECT contact_id, key_id, wrapped_key, master_key_id FROM (
           SELECT * FROM inserted
           UNION ALL
           SELECT contact_id, key_id, wrapped_key, master_key_id, created_at FROM ${this.table}
            WHERE contact_id = $1 AND NOT EXISTS (SELECT 1 FROM inserted)
         ) k ORDER BY created_at, key_id`,
        [contactId, FIRST_KEY_ID, wrapped, this.masterKeys.currentId],
      );
      if (rows.length > 0) {
        keys = this.unwrapRows(contactId, rows);
        this.remember(contactId, keys);
      } else {
        // A concurrent first use committed its key after this statement's
        // snapshot was taken: the insert yielded to it, the select could not
        // see it yet. A new statement does.
        keys = (await this.load([contactId])).get(contactId) ?? { state: 'none' };
      }
    }
    if (keys.state === 'destroyed') throw contactErasedError(contactId);
    if (keys.state === 'none') throw new Error(`No data key could be created for ${contactId}`);
    return { keyId: keys.currentKeyId, key: keys.keys.get(keys.currentKeyId)! };
  }

  /**
   * Destroys every key of the contact, and leaves a tombstone so that no new
   * key is ever created for it. Idempotent.
   */
  async destroy(contactId: string): Promise<void> {
    await this.pool.query(
      `WITH destroyed AS (
         UPDATE ${this.table} SET wrapped_key = NULL, master_key_id = NULL,
                destroyed_at = coalesce(destroyed_at, now())
          WHERE contact_id = $1 RETURNING key_id
       )
       INSERT INTO ${this.table} (contact_id, key_id, wrapped_key, master_key_id, destroyed_at)
       SELECT $1, $2, NULL, NULL, now() WHERE NOT EXISTS (SELECT 1 FROM destroyed)
       ON CONFLICT (contact_id, key_id) DO UPDATE
         SET wrapped_key = NULL, master_key_id = NULL,
             destroyed_at = coalesce(${this.table}.destroyed_at, now())`,
      [contactId, FIRST_KEY_ID],
    );
    this.cache.set(contactId, {
      keys: { state: 'destroyed' },
      expiresAt: Date.now() + this.ttlMs,
    });
  }

  /**
   * Re-wraps every data key that an older master key wrapped with the
   * current one, so the older master key can then be retired. Returns how
   * many keys were re-wrapped.
   */
  async rewrapDataKeys(batchSize = 1_000): Promise<number> {
    let total = 0;
    for (;;) {
      const { rows } = await this.pool.query<KeyRow>(
        `SELECT contact_id, key_id, wrapped_key, master_key_id FROM ${this.table}
          WHERE wrapped_key IS NOT NULL AND master_key_id <> $1 LIMIT $2`,
        [this.masterKeys.currentId, batchSize],
      );
      if (rows.length === 0) return total;
      for (const row of rows) {
        const aad = keyAad(row.contact_id, row.key_id);
        const key = unwrapKey(row.wrapped_key!, this.masterKey(row.master_key_id!), aad);
        await this.pool.query(
          `UPDATE ${this.table} SET wrapped_key = $3, master_key_id = $4
            WHERE contact_id = $1 AND key_id = $2 AND wrapped_key IS NOT NULL`,
          [
            row.contact_id,
            row.key_id,
            wrapKey(key, this.currentMasterKey(), aad),
            this.masterKeys.currentId,
          ],
        );
      }
      total += rows.length;
    }
  }

  private cached(contactId: string): ContactKeys | undefined {
    const entry = this.cache.get(contactId);
    if (!entry) return undefined;
    if (entry.expiresAt < Date.now()) {
      this.cache.delete(contactId);
      return undefined;
    }
    return entry.keys;
  }

  private async load(contactIds: string[]): Promise<Map<string, ContactKeys>> {
    const { rows } = await this.pool.query<KeyRow>(
      `SELECT contact_id, key_id, wrapped_key, master_key_id FROM ${this.table}
        WHERE contact_id = ANY($1::uuid[]) ORDER BY contact_id, created_at, key_id`,
      [contactIds],
    );
    const byContact = new Map<string, KeyRow[]>();
    for (const row of rows) {
      const list = byContact.get(row.contact_id) ?? [];
      list.push(row);
      byContact.set(row.contact_id, list);
    }
    const found = new Map<string, ContactKeys>();
    for (const [contactId, keyRows] of byContact) {
      const keys = this.unwrapRows(contactId, keyRows);
      found.set(contactId, keys);
      this.remember(contactId, keys);
    }
    return found;
  }

  private unwrapRows(contactId: string, rows: KeyRow[]): ContactKeys {
    if (rows.length === 0) return { state: 'none' };
    const live = rows.filter((row) => row.wrapped_key !== null);
    // Erasure destroys all of a contact's keys at once: one destroyed key means all are.
    if (live.length < rows.length) return { state: 'destroyed' };
    const keys = new Map<string, Buffer>();
    for (const row of live) {
      const aad = keyAad(contactId, row.key_id);
      keys.set(row.key_id, unwrapKey(row.wrapped_key!, this.masterKey(row.master_key_id!), aad));
    }
    return { state: 'active', currentKeyId: live[live.length - 1].key_id, keys };
  }

  private remember(contactId: string, keys: ContactKeys): void {
    if (this.cache.size >= this.maxCached) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(contactId, { keys, expiresAt: Date.now() + this.ttlMs });
  }

  private currentMasterKey(): Buffer {
    return this.masterKey(this.masterKeys.currentId);
  }

  private masterKey(id: string): Buffer {
    const key = this.masterKeys.byId.get(id);
    if (!key) {
      throw new Error(
        `Data keys are wrapped with master key ${id}, which CONTACTS_MASTER_KEYS does not hold`,
      );
    }
    return key;
  }
}

/** Binds a wrapped key to its contact and key id: a row copied to another contact does not unwrap. */
function keyAad(contactId: string, keyId: string): string {
  return `${contactId.toLowerCase()}/${keyId}`;
}
