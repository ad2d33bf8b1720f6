import { RuleViolationError } from '@engagement/decider';
import { MAX_IMPORT_ROWS, parseCsv, parseCsvImport, parseJsonLines } from './import-parser';

describe('JSON lines', () => {
  it('numbers rows from the first non-blank line and reports unreadable ones', () => {
    const rows = parseJsonLines('{"email":"a@x.com"}\n\n[1]\n{oops\r\n{"email":"b@x.com"}\n');
    expect(rows.map((r) => r.rowNumber)).toEqual([1, 2, 3, 4]);
    expect(rows[0].record).toEqual({ email: 'a@x.com' });
    expect(rows[1]).toMatchObject({ record: null, problem: 'the line is not a JSON object' });
    expect(rows[2]).toMatchObject({ record: null, problem: 'the line is not valid JSON' });
    expect(rows[3].record).toEqual({ email: 'b@x.com' });
  });

  it('refuses more rows than allowed', () => {
    const text = '{}\n'.repeat(MAX_IMPORT_ROWS + 1);
    expect(() => parseJsonLines(text)).toThrow(RuleViolationError);
  });
});

describe('CSV', () => {
  it('reads RFC 4180: quotes, doubled quotes, commas and newlines inside quotes, CRLF', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n"multi\nline",\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['multi\nline', ''],
    ]);
  });

  it('maps known columns (either case style), lists, and properties', () => {
    const rows = parseCsvImport(
      '\uFEFFemail,first_name,lastName,tags,company,size\n' +
        'ann@x.com,Ann,Lee,vip; imported,"Acme, Inc",12\n' +
        'bob@x.com,,,,,\n',
    );
    expect(rows[0].record).toEqual({
      email: 'ann@x.com',
      firstName: 'Ann',
      lastName: 'Lee',
      tags: ['vip', 'imported'],
      properties: { company: 'Acme, Inc', size: '12' },
    });
    expect(rows[1].record).toEqual({ email: 'bob@x.com' });
  });

  it('reports rows whose cell count is off, and refuses broken files', () => {
    const rows = parseCsvImport('email,company\na@x.com\n');
    expect(rows[0]).toMatchObject({ rowNumber: 1, record: null });
    expect(() => parseCsvImport('')).toThrow(RuleViolationError);
    expect(() => parseCsvImport('email,"bad column!"\n')).toThrow(/neither a contact field/);
    expect(() => parseCsvImport('email\n"never closed\n')).toThrow(/never ends/);
  });
});

describe('CSV edge cases', () => {
  it('keeps trailing empty cells, stray quotes inside cells, and a last line without newline', () => {
    expect(parseCsv('a,\nb,c')).toEqual([
      ['a', ''],
      ['b', 'c'],
    ]);
    expect(parseCsv('a,')).toEqual([['a', '']]);
    expect(parseCsv('ab"c,"d"e\r')).toEqual([['ab"c', 'de']]);
    expect(parseCsv('\n')).toEqual([['']]);
    expect(parseCsv('')).toEqual([]);
  });

  it('parses 100,000 rows, the largest upload, with every row intact', () => {
    const csv = [
      'email,first_name,company,tags',
      ...Array.from(
        { length: 100_000 },
        (_, i) => `p${i}@example.com,First${i},"Acme, ${i}",vip;imported`,
      ),
    ].join('\n');
    // How fast is the benchmark's business (npm run bench -- contacts-api), not a test's.
    const rows = parseCsvImport(csv);
    expect(rows).toHaveLength(100_000);
    expect(rows[99_999]!.record).toEqual({
      email: 'p99999@example.com',
      firstName: 'First99999',
      tags: ['vip', 'imported'],
      properties: { company: 'Acme, 99999' },
    });
  });
});
