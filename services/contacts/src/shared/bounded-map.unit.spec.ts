import { BoundedMap } from './bounded-map';

describe('BoundedMap', () => {
  it('keeps at most its bound, the newest entries, and forgets the oldest first', () => {
    const map = new BoundedMap<number, string>(10);
    for (let i = 0; i < 1_000; i++) map.set(i, `v${i}`);
    expect(map.size).toBeLessThanOrEqual(10);
    expect(map.get(999)).toBe('v999');
    expect(map.get(995)).toBe('v995');
    expect(map.has(0)).toBe(false);
    expect(map.get(500)).toBeUndefined();
  });

  it('replaces, deletes, and never holds a key twice', () => {
    const map = new BoundedMap<string, number>(4);
    map.set('a', 1);
    map.set('b', 2); // a and b move to the old generation
    map.set('a', 3);
    expect(map.get('a')).toBe(3);
    expect(map.size).toBe(2);
    map.delete('a');
    expect(map.has('a')).toBe(false);
    expect(map.get('b')).toBe(2);
  });
});
