import { canonicalTimestamp, isCalendarDate } from './iso-time';

describe('canonicalTimestamp', () => {
  it.each([
    ['2026-01-15T10:00:00Z', '2026-01-15T10:00:00.000Z'],
    ['2026-01-15T10:00Z', '2026-01-15T10:00:00.000Z'],
    ['2026-01-15T10:00:00.5Z', '2026-01-15T10:00:00.500Z'],
    ['2026-01-15T12:00:00+02:00', '2026-01-15T10:00:00.000Z'],
    ['2026-01-15T05:30:00-04:30', '2026-01-15T10:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('reads %s as %s', (input, expected) => {
    expect(canonicalTimestamp(input)).toBe(expected);
  });

  it.each([
    ['no zone', '2026-01-15T10:00:00'],
    ['a date only', '2026-01-15'],
    ['February 30 (Date would roll it into March)', '2026-02-30T00:00:00Z'],
    ['February 29 of a common year', '2026-02-29T00:00:00Z'],
    ['hour 24', '2026-01-15T24:00:00Z'],
    ['minute 60', '2026-01-15T10:60:00Z'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['offset over 14 hours', '2026-01-15T10:00:00+15:00'],
    ['free text', 'yesterday'],
    ['a number', '1736935200000'],
    ['space instead of T', '2026-01-15 10:00:00Z'],
  ])('refuses %s', (_why, input) => {
    expect(canonicalTimestamp(input)).toBeNull();
  });
});

describe('isCalendarDate', () => {
  it('accepts real dates only', () => {
    expect(isCalendarDate('2026-01-31')).toBe(true);
    expect(isCalendarDate('2000-02-29')).toBe(true);
    expect(isCalendarDate('0045-03-15')).toBe(true);
    expect(isCalendarDate('2026-04-31')).toBe(false);
    expect(isCalendarDate('2026-1-5')).toBe(false);
    expect(isCalendarDate('2026-01-15T00:00:00Z')).toBe(false);
  });
});
