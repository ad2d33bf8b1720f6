// The contacts' data keys, one per contact (ids k1, k2... if a contact's key
// is ever rotated), stored wrapped by a master key in
// <schema>.personal_data_keys. This table is not a projection: it is the only
// copy of the keys, so it is never rebuilt, and erasure destroys a contact's
// keys here, which makes the personal fields of its events unreadable
// everywhere (crypto-shredding).
//
// Unwrapped keys are cached in memory for a short while (a command reads and
// appends the same contact; a projection batch decrypts many events of few
// contacts), as KeyObjects, made once per key and reused by every field
// encrypted or decrypted with it (field-cipher.ts says why). The master keys
// are KeyObjects too, made once at start. The cache is bounded in size and in
// time: a key destroyed by another process stops being usable here within
// the TTL; a key destroyed by this process is dropped from the cache at once,
// and a load that was in flight meanwhile cannot bring it back.
import type { KeyObject } from 'node:crypto';
import { NotFoundError } from '@engagement/decider';
import type { Pool } from 'pg';
import { newDataKey, secretKey, unwrapKey, wrapKey } from '@engagement/personal-data';
import { BoundedMap } from '../shared/bounded-map';
import type { MasterKeys } from './master-keys';

export type ContactKeys =
  | { state: 'none' }
  | { state: 'destroyed' }
  | { state: 'active'; currentKeyId: string; keys: ReadonlyMap<string, KeyObject> };

interface KeyRow {
  contact_id: string;
  key_id: string;
  wrapped_key: Buffer | null;
  master_key_id: string | null;
}

interface FirstKeyRequest {
  promise: Promise<ContactKeys>;
  resolve(keys: ContactKeys): void;
  reject(error: unknown): void;
}

/** Contacts given a first key in one statement, at most. */
const MAX_FIRST_KEYS_PER_STATEMENT = 500;

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

/** Who asked for a contact's keys (data_key_hand_outs). */
export type HandOutAudit = { caller: string; requestId: string };

/** What a hand-out gives: nothing (no personal data), "erased", or the keys in clear (base64). */
export type HandedOutKeys =
  | { state: 'none' }
  | { state: 'destroyed' }
  | { state: 'active'; keys: Record<string, string>; currentKeyId: string };

export class DataKeyStore {
  private readonly table: string;
  private readonly handOuts: string;
  private readonly cache: BoundedMap<string, CachedKeys>;
  private readonly loading = new Map<string, Promise<ContactKeys>>();
  /** Contacts waiting for the next statement that creates first keys. */
  private readonly firstKeyRequests = new Map<string, FirstKeyRequest>();
  private creatingFirstKeys = false;
  private readonly ttlMs: number;
  /** The master keys as KeyObjects, by id. */
  private readonly masterKeyObjects: ReadonlyMap<string, KeyObject>;

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly masterKeys: MasterKeys,
    options: DataKeyStoreOptions = {},
  ) {
    this.table = `"${schema}".personal_data_keys`;
    this.handOuts = `"${schema}".data_key_hand_outs`;
    this.ttlMs = options.cacheTtlMs ?? 60_000;
    this.cache = new BoundedMap(options.maxCachedContacts ?? 50_000);
    this.masterKeyObjects = new Map(
      [...masterKeys.byId].map(([id, key]) => [id, secretKey(key)] as const),
    );
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
        // Who was handed which contact's keys, and when (the audit of handOut).
        await client.query(`CREATE TABLE IF NOT EXISTS ${this.handOuts} (
          contact_id    uuid        NOT NULL,
          caller        text        NOT NULL,
          request_id    text        NOT NULL,
          outcome       text        NOT NULL CHECK (outcome IN ('handed_out', 'erased', 'none')),
          handed_out_at timestamptz NOT NULL DEFAULT now()
        )`);
        await client.query(
          `CREATE INDEX IF NOT EXISTS data_key_hand_outs_contact ON ${this.handOuts} (contact_id, handed_out_at)`,
        );
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
      .then((found) => found.get(contactId) ?? this.cached(contactId) ?? { state: 'none' as const })
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
  async currentKeyFor(contactId: string): Promise<{ keyId: string; key: KeyObject }> {
    const keys = this.cached(contactId) ?? (await this.firstKeyOf(contactId));
    if (keys.state === 'destroyed') throw contactErasedError(contactId);
    if (keys.state === 'none') throw new Error(`No data key could be created for ${contactId}`);
    return { keyId: keys.currentKeyId, key: keys.keys.get(keys.currentKeyId)! };
  }

  /**
   * The contact's keys, a first key created if it has none. Contacts asked
   * for while a statement creating first keys is in flight go together in
   * the next one (many creates at once, an import's rows): one round trip
   * for all of them, and no waiting at all when nothing else is in flight.
   */
  private firstKeyOf(contactId: string): Promise<ContactKeys> {
    const queued = this.firstKeyRequests.get(contactId);
    if (queued) return queued.promise;
    let resolve!: FirstKeyRequest['resolve'];
    let reject!: FirstKeyRequest['reject'];
    const promise = new Promise<ContactKeys>((onKeys, onError) => {
      resolve = onKeys;
      reject = onError;
    });
    this.firstKeyRequests.set(contactId, { promise, resolve, reject });
    if (!this.creatingFirstKeys) void this.createFirstKeys();
    return promise;
  }

  private async createFirstKeys(): Promise<void> {
    this.creatingFirstKeys = true;
    try {
      while (this.firstKeyRequests.size > 0) {
        const requests = [...this.firstKeyRequests].slice(0, MAX_FIRST_KEYS_PER_STATEMENT);
        for (const [contactId] of requests) this.firstKeyRequests.delete(contactId);
        try {
          const found = await this.insertFirstKeys(requests.map(([contactId]) => contactId));
          for (const [contactId, request] of requests) {
            request.resolve(found.get(contactId) ?? { state: 'none' });
          }
        } catch (error) {
          for (const [, request] of requests) request.reject(error);
        }
      }
    } finally {
      this.creatingFirstKeys = false;
    }
  }

  /**
   * One round trip whether or not the keys exist yet: insert a first key for
   * each contact (ON CONFLICT: a concurrent first use, or an erasure, got
   * there first and theirs stands), then read whatever the contacts have.
   */
  private async insertFirstKeys(contactIds: string[]): Promise<Map<string, ContactKeys>> {
    // In one order, so that statements of several processes never deadlock.
    const ids = [...contactIds].sort();
    const fresh = new Map<string, { wrapped: Buffer; key: KeyObject }>();
    for (const contactId of ids) {
      const dataKey = newDataKey();
      const aad = keyAad(contactId, FIRST_KEY_ID);
      fresh.set(contactId, {
        wrapped: wrapKey(dataKey, this.currentMasterKey(), aad),
        key: secretKey(dataKey, true),
      });
    }
    // The select's snapshot does not see the rows the insert adds: it reads
    // the keys the contacts had before, the insert's RETURNING the new ones.
    const { rows } = await this.pool.query<KeyRow>(
      `WITH inserted AS (
         INSERT INTO ${this.table} (contact_id, key_id, wrapped_key, master_key_id)
         SELECT contact_id, $2::text, wrapped_key, $4::text
           FROM unnest($1::uuid[], $3::bytea[]) AS k(contact_id, wrapped_key)
         ON CONFLICT (contact_id, key_id) DO NOTHING
         RETURNING contact_id, key_id, wrapped_key, master_key_id, created_at
       )
       SELECT contact_id, key_id, wrapped_key, master_key_id FROM (
         SELECT * FROM inserted
         UNION ALL
         SELECT contact_id, key_id, wrapped_key, master_key_id, created_at FROM ${this.table}
          WHERE contact_id = ANY($1::uuid[])
       ) k ORDER BY contact_id, created_at, key_id`,
      [ids, FIRST_KEY_ID, ids.map((id) => fresh.get(id)!.wrapped), this.masterKeys.currentId],
    );
    const byContact = new Map<string, KeyRow[]>();
    for (const row of rows) {
      const list = byContact.get(row.contact_id) ?? [];
      list.push(row);
      byContact.set(row.contact_id, list);
    }
    const found = new Map<string, ContactKeys>();
    const unseen: string[] = [];
    for (const contactId of ids) {
      const keyRows = byContact.get(contactId);
      if (keyRows === undefined) unseen.push(contactId);
      else {
        const keys = this.unwrapRows(contactId, keyRows, fresh.get(contactId));
        found.set(contactId, this.remember(contactId, keys));
      }
    }
    if (unseen.length > 0) {
      // A concurrent first use committed its key after this statement's
      // snapshot was taken: the insert yielded to it, the select could not
      // see it yet. A new statement does.
      for (const [contactId, keys] of await this.load(unseen)) found.set(contactId, keys);
    }
    return found;
  }

  /**
   * The contact's data keys in clear (base64, by key id) for a service
   * entitled to its personal data, read from the table rather than the
   * cache so that an erasure by another process is never missed. Every
   * request is recorded, whatever its outcome.
   */
  async handOut(contactId: string, audit: HandOutAudit): Promise<HandedOutKeys> {
    return (await this.handOutMany([contactId], audit)).get(contactId)!;
  }

  /**
   * handOut for many contacts at once (a campaign's page): one read of the
   * table and one audit row per contact, in one statement each.
   */
  async handOutMany(
    contactIds: readonly string[],
    audit: HandOutAudit,
  ): Promise<Map<string, HandedOutKeys>> {
    const ids = [...new Set(contactIds.map((id) => id.toLowerCase()))];
    for (const id of ids) this.cache.delete(id);
    const loaded = await this.load(ids);
    const handedOut = new Map<string, HandedOutKeys>();
    for (const id of ids) {
      const keys = loaded.get(id) ?? { state: 'none' as const };
      if (keys.state !== 'active') {
        handedOut.set(id, keys);
        continue;
      }
      const clear: Record<string, string> = {};
      for (const [keyId, key] of keys.keys) clear[keyId] = key.export().toString('base64');
      handedOut.set(id, { state: 'active', keys: clear, currentKeyId: keys.currentKeyId });
    }
    await this.pool.query(
      `INSERT INTO ${this.handOuts} (contact_id, caller, request_id, outcome)
       SELECT contact_id, $2, $3, outcome FROM unnest($1::uuid[], $4::text[]) AS h(contact_id, outcome)`,
      [
        ids,
        audit.caller,
        audit.requestId,
        ids.map((id) => {
          const state = handedOut.get(id)!.state;
          return state === 'active' ? 'handed_out' : state === 'destroyed' ? 'erased' : 'none';
        }),
      ],
    );
    return handedOut;
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
    // Replaces the cached keys (and so drops their KeyObjects) at once.
    this.cache.delete(contactId);
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
        const rewrapped = wrapKey(key, this.currentMasterKey(), aad);
        key.fill(0);
        await this.pool.query(
          `UPDATE ${this.table} SET wrapped_key = $3, master_key_id = $4
            WHERE contact_id = $1 AND key_id = $2 AND wrapped_key IS NOT NULL`,
          [row.contact_id, row.key_id, rewrapped, this.masterKeys.currentId],
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
      found.set(contactId, this.remember(contactId, this.unwrapRows(contactId, keyRows)));
    }
    return found;
  }

  /**
   * The contact's keys from its rows. `fresh` is a key this process just
   * wrapped and inserted: when the rows hold it, it is used as is instead of
   * being unwrapped again.
   */
  private unwrapRows(
    contactId: string,
    rows: KeyRow[],
    fresh?: { wrapped: Buffer; key: KeyObject },
  ): ContactKeys {
    if (rows.length === 0) return { state: 'none' };
    const live = rows.filter((row) => row.wrapped_key !== null);
    // Erasure destroys all of a contact's keys at once: one destroyed key means all are.
    if (live.length < rows.length) return { state: 'destroyed' };
    const keys = new Map<string, KeyObject>();
    for (const row of live) {
      if (fresh && row.wrapped_key!.equals(fresh.wrapped)) {
        keys.set(row.key_id, fresh.key);
        continue;
      }
      const aad = keyAad(contactId, row.key_id);
      const raw = unwrapKey(row.wrapped_key!, this.masterKey(row.master_key_id!), aad);
      keys.set(row.key_id, secretKey(raw, true));
    }
    return { state: 'active', currentKeyId: live[live.length - 1].key_id, keys };
  }

  /**
   * Caches the keys just read, and returns what the contact's keys are now.
   * A contact this process destroyed the keys of stays destroyed: a read
   * that started before the erasure must not put its keys back in the cache.
   */
  private remember(contactId: string, keys: ContactKeys): ContactKeys {
    const current = this.cache.get(contactId);
    if (current?.keys.state === 'destroyed') return current.keys;
    // Past the bound, the oldest entries go (shared/bounded-map.ts).
    this.cache.set(contactId, { keys, expiresAt: Date.now() + this.ttlMs });
    return keys;
  }

  private currentMasterKey(): KeyObject {
    return this.masterKey(this.masterKeys.currentId);
  }

  private masterKey(id: string): KeyObject {
    const key = this.masterKeyObjects.get(id);
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
