import { diffSchemas, seedStatements } from './seed-schema';

describe('seedStatements', () => {
  it('takes the CREATE TABLE and CREATE INDEX statements of the named tables, without comments', () => {
    const markdown = [
      '```sql',
      'CREATE TABLE a (',
      '  id UUID PRIMARY KEY, -- the id',
      '  kind TEXT /* one of x | y */',
      ');',
      'CREATE INDEX idx_a_kind ON a(kind);',
      'CREATE TABLE b (id UUID);',
      '```',
    ].join('\n');
    expect(seedStatements(markdown, ['a'])).toEqual([
      'CREATE TABLE a ( id UUID PRIMARY KEY, kind TEXT )',
      'CREATE INDEX idx_a_kind ON a(kind)',
    ]);
  });
});

describe('diffSchemas', () => {
  it('reports missing, extra and changed facts', () => {
    const expected = new Map([
      ['column a.id', '#1 uuid'],
      ['column a.kind', '#2 text'],
    ]);
    const actual = new Map([
      ['column a.id', '#1 text'],
      ['column a.extra', '#3 text'],
    ]);
    expect(diffSchemas(expected, actual).map((d) => `${d.kind} ${d.key}`)).toEqual([
      'extra column a.extra',
      'changed column a.id',
      'missing column a.kind',
    ]);
  });
});
