import { quoteIdent } from './sql-migrations';

describe('quoteIdent', () => {
  it('quotes a lower-case name', () => {
    expect(quoteIdent('events_t_1a2b')).toBe('"events_t_1a2b"');
  });

  it('refuses what would need escaping instead of escaping it', () => {
    for (const name of ['Events', 'a-b', 'x"; DROP TABLE y; --', '1abc', '', 'a'.repeat(64)]) {
      expect(() => quoteIdent(name)).toThrow(/not a valid identifier/);
    }
  });
});
