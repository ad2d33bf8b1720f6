// A short-lived memory of API key lookups, keyed by the key's hash, so that
// an authenticated request does not cost a PostgreSQL round trip. Pure data
// structure (no I/O, the clock is injectable); ApiKeyStore decides when to
// read through it and when to evict.
//
// - A found key (active or revoked) is kept for ttlMs, a key that matched
//   nothing for negativeTtlMs (shorter: long enough to blunt a flood of the
//   same bad key, short enough that a key created on another gateway works
//   within a second).
// - evict(id) and clear() bump an epoch: a lookup that was already running
//   when the key was revoked may hand its (stale) answer to the request that
//   started it, but never stores it.
// - At most maxEntries are held; the oldest go first, so a stream of random
//   keys cannot grow the map without bound.
import type { ApiKeyRecord } from './api-key.store';

interface Entry {
  record: ApiKeyRecord | null;
  expiresAt: number;
}

export interface ApiKeyCacheOptions {
  ttlMs: number;
  negativeTtlMs: number;
  maxEntries?: number;
  now?: () => number;
}

export class ApiKeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private generation = 0;

  constructor(options: ApiKeyCacheOptions) {
    this.ttlMs = options.ttlMs;
    this.negativeTtlMs = Math.min(options.negativeTtlMs, options.ttlMs);
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** Changes whenever something was evicted; pass it back to set(). */
  get epoch(): number {
    return this.generation;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached answer for this hash (a record, or null for "no such key"), or undefined if none is fresh. */
  get(hash: string): ApiKeyRecord | null | undefined {
    const entry = this.entries.get(hash);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(hash);
      return undefined;
    }
    return entry.record;
  }

  /** Stores a lookup's answer, unless something was evicted since the lookup began (epoch). */
  set(hash: string, record: ApiKeyRecord | null, epoch: number): void {
    if (epoch !== this.generation) return;
    const ttl = record ? this.ttlMs : this.negativeTtlMs;
    if (ttl <= 0) return;
    this.entries.delete(hash); // re-inserted last: the Map's order is the eviction order
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(hash, { record, expiresAt: this.now() + ttl });
  }

  /** Forgets the answer for one hash (a key was just created with it). */
  forget(hash: string): void {
    this.generation++;
    this.entries.delete(hash);
  }

  /** Forgets the key with this id (revoked). */
  evict(id: string): void {
    this.generation++;
    for (const [hash, entry] of this.entries) {
      if (entry.record?.id === id) this.entries.delete(hash);
    }
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}
