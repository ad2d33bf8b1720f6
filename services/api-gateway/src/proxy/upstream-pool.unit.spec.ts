import { UpstreamPool, upstreamUrls } from './upstream-pool';

const instances = (...names: string[]) => names.map((name) => ({ name, up: true }));

describe('UpstreamPool.pick', () => {
  it('goes round-robin over the instances', () => {
    const pool = new UpstreamPool('contacts', instances('a', 'b', 'c'));
    expect(Array.from({ length: 6 }, () => pool.pick()!.name)).toEqual([
      'a',
      'b',
      'c',
      'a',
      'b',
      'c',
    ]);
  });

  it('skips instances that are down, and takes them back once up', () => {
    const all = instances('a', 'b', 'c');
    const pool = new UpstreamPool('contacts', all);
    all[1]!.up = false;
    expect(Array.from({ length: 4 }, () => pool.pick()!.name)).toEqual(['a', 'c', 'a', 'c']);
    all[1]!.up = true;
    expect(Array.from({ length: 3 }, () => pool.pick()!.name)).toEqual(['a', 'b', 'c']);
  });

  it('picks another instance than the one a request failed on', () => {
    const all = instances('a', 'b');
    const pool = new UpstreamPool('contacts', all);
    expect(pool.pick(all[0])!.name).toBe('b');
    expect(pool.pick(all[1])!.name).toBe('a');
    all[1]!.up = false;
    expect(pool.pick(all[0])!.name).toBe('b'); // down, but the only other one
  });

  it('still goes round-robin over all instances when none is up', () => {
    const all = instances('a', 'b');
    const pool = new UpstreamPool('contacts', all);
    for (const instance of all) instance.up = false;
    expect([pool.pick()!.name, pool.pick()!.name, pool.pick()!.name]).toEqual(['a', 'b', 'a']);
  });

  it('has no other instance to offer with one', () => {
    const all = instances('a');
    const pool = new UpstreamPool('contacts', all);
    all[0]!.up = false;
    expect(pool.pick()!.name).toBe('a');
    expect(pool.pick(all[0])).toBeUndefined();
  });
});

describe('upstreamUrls', () => {
  it('reads one URL or a comma-separated list', () => {
    expect(upstreamUrls('http://127.0.0.1:3101')).toEqual(['http://127.0.0.1:3101']);
    expect(upstreamUrls('http://127.0.0.1:3101, http://127.0.0.1:3111')).toEqual([
      'http://127.0.0.1:3101',
      'http://127.0.0.1:3111',
    ]);
  });
});
