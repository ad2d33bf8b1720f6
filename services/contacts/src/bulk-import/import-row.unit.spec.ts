// The import's shortcut past class-validator (plainlyValid) must never
// change a row's outcome: every record it lets through is one the DTO
// accepts, with the same values, and every other record gets the DTO's own
// errors.
import { checkImportRow, checkWithDto, plainlyValid } from './import-row';
import { parseCsvImport } from './import-parser';

const seedExample = {
  email: 'austin@example.com',
  firstName: 'Austin',
  lastName: 'Mao',
  properties: { company: 'Ceremonia', job_title: 'Founder', industry: 'SaaS' },
  tags: ['webinar-attendee', 'hot-lead'],
  syncToCrms: ['hubspot', 'gohighlevel'],
};

const records: Record<string, unknown>[] = [
  seedExample,
  { email: 'only@example.com' },
  {
    email: 'all@example.com',
    firstName: null,
    lastName: 'L',
    phone: '+14155550100',
    timezone: 'Europe/Paris',
    locale: 'fr',
    avatarUrl: 'https://example.com/a.png',
    lifecycleStage: 'customer',
    properties: { score: 3, vip: true, gone: null },
    tags: [],
    syncToCrms: [],
  },
  // Not for the shortcut: the DTO decides (some valid, some not).
  { email: 'source@example.com', source: 'api' },
  { email: 'unknown@example.com', nickname: 'x' },
  { email: null },
  {},
  { email: 7 },
  { email: `${'a'.repeat(320)}@example.com` },
  { email: 'n@example.com', firstName: 'x'.repeat(1_001) },
  { email: 'emoji@example.com', firstName: '😀'.repeat(600) },
  { email: 'tz@example.com', timezone: null },
  { email: 'locale@example.com', locale: 'x'.repeat(36) },
  { email: 'stage@example.com', lifecycleStage: 'boss' },
  { email: 'props@example.com', properties: { 'bad name': 1 } },
  { email: 'props@example.com', properties: { nested: { a: 1 } } },
  { email: 'props@example.com', properties: null },
  { email: 'tags@example.com', tags: 'hot' },
  { email: 'tags@example.com', tags: ['x'.repeat(101)] },
  { email: 'tags@example.com', tags: Array.from({ length: 51 }, (_, i) => `t${i}`) },
  { email: 'crm@example.com', syncToCrms: ['HubSpot'] },
  { email: 'crm@example.com', syncToCrms: [1] },
  JSON.parse('{"email":"proto@example.com","__proto__":{"x":1}}') as Record<string, unknown>,
];

describe('import rows: the shortcut past class-validator', () => {
  it('takes the common rows, the seed example among them', () => {
    expect(plainlyValid(seedExample)).toBe(true);
    expect(records.filter(plainlyValid)).toHaveLength(3);
    const [csv] = parseCsvImport(
      'email,first_name,tags,sync_to_crms,company\nc@example.com,C,a;b,hubspot,Acme\n',
    );
    expect(plainlyValid(csv.record!)).toBe(true);
  });

  it.each(records.map((record, i) => [i, record]))(
    'record %i: the same outcome as through the DTO',
    async (_i, record) => {
      const row = { rowNumber: 1, record };
      const checked = await checkImportRow('job', row);
      const byDto = await checkWithDto(record);
      if (plainlyValid(record)) expect(byDto.kind).toBe('dto');
      if (byDto.kind === 'failed') {
        expect(checked).toEqual(byDto);
        return;
      }
      expect(checked.kind).toBe('request');
      if (checked.kind !== 'request') return;
      const { dto } = byDto;
      expect(checked.request.input).toEqual({
        email: dto.email,
        firstName: dto.firstName,
        lastName: dto.lastName,
        phone: dto.phone,
        timezone: dto.timezone,
        locale: dto.locale,
        avatarUrl: dto.avatarUrl,
        lifecycleStage: dto.lifecycleStage,
        properties: dto.properties,
        syncToCrms: dto.syncToCrms,
        source: 'import',
      });
      expect(checked.request.tags).toEqual(dto.tags ?? []);
    },
  );
});
