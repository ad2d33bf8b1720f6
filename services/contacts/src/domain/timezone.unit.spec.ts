import { canonicalTimezone, DEFAULT_TIMEZONE } from './timezone';

describe('canonicalTimezone', () => {
  it.each([
    ['America/Los_Angeles', 'America/Los_Angeles'],
    ['Europe/Paris', 'Europe/Paris'],
    ['UTC', 'UTC'],
    ['utc', 'UTC'],
    ['america/new_york', 'America/New_York'],
    [' Asia/Tokyo ', 'Asia/Tokyo'],
    ['America/Argentina/Buenos_Aires', 'America/Argentina/Buenos_Aires'],
    // Current IANA names that V8's (CLDR) list spells the old way.
    ['Asia/Kolkata', 'Asia/Kolkata'],
    ['Europe/Kyiv', 'Europe/Kyiv'],
  ])('accepts %s as %s', (input, expected) => {
    expect(canonicalTimezone(input)).toBe(expected);
  });

  it.each([
    ['made up', 'Mars/Olympus_Mons'],
    ['an offset', '+05:00'],
    ['an abbreviation', 'EST'],
    ['empty', ''],
    ['a path', '../etc/passwd'],
  ])('refuses %s', (_why, input) => {
    expect(canonicalTimezone(input)).toBeNull();
  });

  it('accepts its own default', () => {
    expect(canonicalTimezone(DEFAULT_TIMEZONE)).toBe(DEFAULT_TIMEZONE);
  });
});
