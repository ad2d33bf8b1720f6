// A map that holds at most `max` entries, dropping the oldest ones first, in
// O(1) per operation. The obvious way (a Map, and on each insert past the
// bound, delete the first key of keys()) is quadratic in V8: deleted entries
// stay in the table as holes until it is rehashed, and keys() walks over all
// of them from the start every time, which made an import of 100,000 rows
// spend most of its time looking for the oldest entry. Here entries live in
// two generations instead: new ones go to the young map; when it is half the
// bound, it becomes the old one and the previous old one is dropped whole.
export class BoundedMap<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly generation: number;

  constructor(max: number) {
    this.generation = Math.max(1, Math.floor(max / 2));
  }

  get(key: K): V | undefined {
    return this.young.get(key) ?? this.old.get(key);
  }

  has(key: K): boolean {
    return this.young.has(key) || this.old.has(key);
  }

  set(key: K, value: V): void {
    this.old.delete(key);
    this.young.set(key, value);
    if (this.young.size >= this.generation) this.roll();
  }

  /** Starts a new generation: the older one is dropped whole. */
  private roll(): void {
    this.old = this.young;
    this.young = new Map();
  }

  delete(key: K): void {
    this.young.delete(key);
    this.old.delete(key);
  }

  get size(): number {
    return this.young.size + this.old.size;
  }
}
