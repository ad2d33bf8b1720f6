// A short-lived memory of API key lookups, keyed by the key's hash, so that
// an authenticated request does not cost a PostgreSQL round trip. Pure data
// structure (no I/O, the clock is injectable); ApiKeyStore decides when to
// read through it and when to evict.
//
// - A found key (active or revoked) is kept for ttlMs, a key that matched
//   nothing for negativeTtlMs (shorter: long enough to blunt a flood of the
//   same bad key, short enough that a key created on another gateway works
//   within a second).
// - Found keys and misses live in two separate maps, each bounded (the
//   oldest go first). Anyone can send random keys, so misses are cheap to
//   produce: kept apart, a flood of them only pushes out other misses and
//   never a valid key, which stays answered from memory.
// - evict(id) and clear() bump an epoch: a lookup that was already running
//   when the key was revoked may hand its (stale) answer to the request that
//   started it, but never stores it.
import type { ApiKeyRecord } from './api-key.store';

interface Entry<T> {
  value: T;
  expiresAt: number;
}

export interface ApiKeyCacheOptions {
  ttlMs: number;
  negativeTtlMs: number;
  /** Found keys held at most (default 10,000). */
  maxEntries?: number;
  /** Misses held at most (default 1,000). */
  maxNegativeEntries?: number;
  now?: () => number;
}

/** A Map bounded to `max` entries whose insertion order is the eviction order. */
class BoundedExpiringMap<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string, now: number): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: T, expiresAt: number): void {
    if (this.max <= 0) return;
    this.entries.delete(key); // re-inserted last
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAt });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  deleteWhere(matches: (value: T) => boolean): void {
    for (const [key, entry] of this.entries) if (matches(entry.value)) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

export class ApiKeyCache {
  private readonly found: BoundedExpiringMap<ApiKeyRecord>;
  private readonly missing: BoundedExpiringMap<true>;
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly now: () => number;
  private generation = 0;

  constructor(options: ApiKeyCacheOptions) {
    this.ttlMs = options.ttlMs;
    this.negativeTtlMs = Math.min(options.negativeTtlMs, options.ttlMs);
    this.found = new BoundedExpiringMap(options.maxEntries ?? 10_000);
    this.missing = new BoundedExpiringMap(options.maxNegativeEntries ?? 1_000);
    this.now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** Changes whenever something was evicted; pass it back to set(). */
  get epoch(): number {
    return this.generation;
  }

  /** Found keys held. */
  get size(): number {
    return this.found.size;
  }

  /** Misses held. */
  get negativeSize(): number {
    return this.missing.size;
  }

  /** The cached answer for this hash (a record, or null for "no such key"), or undefined if none is fresh. */
  get(hash: string): ApiKeyRecord | null | undefined {
    const now = this.now();
    const record = this.found.get(hash, now);
    if (record !== undefined) return record;
    return this.missing.get(hash, now) ? null : undefined;
  }

  /** Stores a lookup's answer, unless something was evicted since the lookup began (epoch). */
  set(hash: string, record: ApiKeyRecord | null, epoch: number): void {
    if (epoch !== this.generation) return;
    const ttl = record ? this.ttlMs : this.negativeTtlMs;
    if (ttl <= 0) return;
    const expiresAt = this.now() + ttl;
    if (record) {
      this.missing.delete(hash);
      this.found.set(hash, record, expiresAt);
    } else {
      this.found.delete(hash);
      this.missing.set(hash, true, expiresAt);
    }
  }

  /** Forgets the answer for one hash (a key was just created with it). */
  forget(hash: string): void {
    this.generation++;
    this.found.delete(hash);
    this.missing.delete(hash);
  }

  /** Forgets the key with this id (revoked). */
  evict(id: string): void {
    this.generation++;
    this.found.deleteWhere((record) => record.id === id);
  }

  clear(): void {
    this.generation++;
    this.found.clear();
    this.missing.clear();
  }
}
