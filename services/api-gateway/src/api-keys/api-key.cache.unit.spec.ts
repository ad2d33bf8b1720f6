import { hashApiKey } from './api-key';
import { ApiKeyCache } from './api-key.cache';
import { ApiKeyStore, type ApiKeyRecord } from './api-key.store';
import type { Pool } from 'pg';

const record = (id: string, revokedAt: string | null = null): ApiKeyRecord => ({
  id,
  name: 'k',
  prefix: 'eng_abcdefgh',
  scopes: ['read'],
  createdAt: '2025-01-01T00:00:00.000Z',
  revokedAt,
  lastUsedAt: null,
});

describe('ApiKeyCache', () => {
  let now = 0;
  const cache = () => new ApiKeyCache({ ttlMs: 5_000, negativeTtlMs: 1_000, now: () => now });
  beforeEach(() => (now = 0));

  it('keeps a found key for the TTL and a miss for the shorter negative TTL', () => {
    const c = cache();
    c.set('h1', record('a'), c.epoch);
    c.set('h2', null, c.epoch);
    expect(c.get('h1')).toMatchObject({ id: 'a' });
    expect(c.get('h2')).toBeNull();
    now = 999;
    expect(c.get('h2')).toBeNull();
    now = 1_000;
    expect(c.get('h2')).toBeUndefined();
    expect(c.get('h1')).toMatchObject({ id: 'a' });
    now = 5_000;
    expect(c.get('h1')).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('evicts a key by id, and drops answers of lookups that began before an eviction', () => {
    const c = cache();
    c.set('h1', record('a'), c.epoch);
    c.set('h2', record('b'), c.epoch);
    const before = c.epoch;
    c.evict('a');
    expect(c.get('h1')).toBeUndefined();
    expect(c.get('h2')).toMatchObject({ id: 'b' });
    c.set('h1', record('a'), before); // read before the revocation: not kept
    expect(c.get('h1')).toBeUndefined();
    c.clear();
    expect(c.get('h2')).toBeUndefined();
  });

  it('holds at most maxEntries found keys and maxNegativeEntries misses, dropping the oldest', () => {
    const c = new ApiKeyCache({
      ttlMs: 5_000,
      negativeTtlMs: 1_000,
      maxEntries: 2,
      maxNegativeEntries: 2,
      now: () => 0,
    });
    for (const hash of ['h1', 'h2', 'h3']) c.set(hash, null, c.epoch);
    for (const id of ['a', 'b', 'c']) c.set(`k${id}`, record(id), c.epoch);
    expect(c.negativeSize).toBe(2);
    expect(c.get('h1')).toBeUndefined();
    expect(c.get('h3')).toBeNull();
    expect(c.size).toBe(2);
    expect(c.get('ka')).toBeUndefined();
    expect(c.get('kc')).toMatchObject({ id: 'c' });
  });

  it('keeps valid keys through a flood of 10,000 random misses', () => {
    const c = cache();
    c.set('valid-1', record('a'), c.epoch);
    c.set('valid-2', record('b'), c.epoch);
    for (let i = 0; i < 10_000; i++) c.set(hashApiKey(`random-${i}`), null, c.epoch);
    expect(c.get('valid-1')).toMatchObject({ id: 'a' });
    expect(c.get('valid-2')).toMatchObject({ id: 'b' });
    expect(c.negativeSize).toBe(1_000);
    expect(c.get(hashApiKey('random-9999'))).toBeNull();
  });

  it('moves a hash between found and missing when its answer changes', () => {
    const c = cache();
    c.set('h1', null, c.epoch);
    c.set('h1', record('a'), c.epoch);
    expect(c.negativeSize).toBe(0);
    expect(c.get('h1')).toMatchObject({ id: 'a' });
    c.set('h1', null, c.epoch);
    expect(c.size).toBe(0);
    expect(c.get('h1')).toBeNull();
  });

  it('is off with a TTL of 0', () => {
    const c = new ApiKeyCache({ ttlMs: 0, negativeTtlMs: 1_000 });
    expect(c.enabled).toBe(false);
    c.set('h1', record('a'), c.epoch);
    c.set('h2', null, c.epoch);
    expect(c.size).toBe(0);
  });
});

describe('ApiKeyStore.lookup', () => {
  /** A pool that answers every SELECT with the rows of `table` and counts the queries. */
  function fakePool() {
    const table = new Map<string, { id: string; revoked: boolean }>();
    const queries: string[] = [];
    const pending: (() => void)[] = [];
    let hold = false;
    const pool = {
      query: (sql: string, params: unknown[]) => {
        queries.push(sql);
        const answer = () => {
          if (sql.includes('UPDATE')) {
            const id = params[0] as string;
            const found = [...table.values()].find((row) => row.id === id);
            if (found) found.revoked = true;
            return { rows: [], rowCount: found ? 1 : 0 };
          }
          const row = table.get(params[0] as string);
          return {
            rows: row
              ? [
                  {
                    id: row.id,
                    name: 'k',
                    key_prefix: 'eng_abcdefgh',
                    scopes: ['read'],
                    created_at: new Date(0),
                    revoked_at: row.revoked ? new Date(1) : null,
                    last_used_at: null,
                  },
                ]
              : [],
          };
        };
        if (!hold) return Promise.resolve(answer());
        return new Promise((resolve) => pending.push(() => resolve(answer())));
      },
    };
    return {
      pool: pool as unknown as Pool,
      table,
      queries,
      selects: () => queries.filter((sql) => sql.includes('SELECT id')).length,
      hold: (on: boolean) => (hold = on),
      release: () => pending.splice(0).forEach((go) => go()),
    };
  }

  it('reads a key once per TTL, shares a read between concurrent requests, and forgets a revoked key at once', async () => {
    const db = fakePool();
    db.table.set(hashApiKey('key-1'), { id: 'a', revoked: false });
    const store = new ApiKeyStore(db.pool, 'gw', { cacheTtlMs: 60_000 });

    db.hold(true);
    const both = Promise.all([store.lookup('key-1'), store.lookup('key-1')]);
    db.release();
    const [first, second] = await both;
    db.hold(false);
    expect(first).toMatchObject({ id: 'a', revokedAt: null });
    expect(second).toBe(first);
    expect(await store.lookup('key-1')).toBe(first);
    expect(db.selects()).toBe(1);

    expect(await store.revoke('a')).toBe(true);
    expect(db.queries.at(-1)).toContain('pg_notify');
    expect(await store.lookup('key-1')).toMatchObject({ id: 'a', revokedAt: expect.any(String) });
    expect(db.selects()).toBe(2);
  });

  it('does not keep what a lookup read before a revocation it overlapped', async () => {
    const db = fakePool();
    db.table.set(hashApiKey('key-1'), { id: 'a', revoked: false });
    const store = new ApiKeyStore(db.pool, 'gw', { cacheTtlMs: 60_000 });
    db.hold(true);
    const early = store.lookup('key-1');
    store.evict('a'); // as when another gateway's NOTIFY arrives
    db.release();
    expect(await early).toMatchObject({ revokedAt: null });
    db.hold(false);
    db.table.get(hashApiKey('key-1'))!.revoked = true;
    expect(await store.lookup('key-1')).toMatchObject({ revokedAt: expect.any(String) });
  });

  it('remembers an unknown key for a second at most', async () => {
    let now = 0;
    const db = fakePool();
    const store = new ApiKeyStore(db.pool, 'gw', { cacheTtlMs: 60_000, now: () => now });
    expect(await store.lookup('nope')).toBeNull();
    expect(await store.lookup('nope')).toBeNull();
    expect(db.selects()).toBe(1);
    expect(store.cached('nope')).toBeNull();
    now = 1_000;
    expect(store.cached('nope')).toBeUndefined();
    db.table.set(hashApiKey('nope'), { id: 'b', revoked: false }); // created elsewhere
    expect(await store.lookup('nope')).toMatchObject({ id: 'b' });
  });

  it('still answers a valid key from memory after lookups of 10,000 random keys', async () => {
    const now = 0;
    const db = fakePool();
    db.table.set(hashApiKey('valid'), { id: 'a', revoked: false });
    const store = new ApiKeyStore(db.pool, 'gw', { cacheTtlMs: 60_000, now: () => now });
    expect(await store.lookup('valid')).toMatchObject({ id: 'a' });
    for (let i = 0; i < 10_000; i++) expect(await store.lookup(`random-${i}`)).toBeNull();
    const selects = db.selects();
    expect(store.cached('valid')).toMatchObject({ id: 'a' });
    expect(await store.lookup('valid')).toMatchObject({ id: 'a' });
    expect(db.selects()).toBe(selects);
  });

  it('reads the table every time without a TTL (the command line)', async () => {
    const db = fakePool();
    const store = new ApiKeyStore(db.pool, 'gw');
    await store.lookup('x');
    await store.lookup('x');
    expect(db.selects()).toBe(2);
  });
});
