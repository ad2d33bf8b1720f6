import type { PropertyType } from '@engagement/contracts';
import {
  canonicalPropertyValue,
  enumOptionsProblem,
  MAX_PROPERTY_VALUE_LENGTH,
  type PropertyInput,
} from './property-value';

const value = (type: PropertyType, input: PropertyInput, options: string[] | null = null) =>
  canonicalPropertyValue(type, input, options);

describe('canonicalPropertyValue', () => {
  it.each<[PropertyType, PropertyInput, string]>([
    ['string', 'Ceremonia', 'Ceremonia'],
    ['string', '  kept as typed ', '  kept as typed '],
    ['string', '', ''],
    ['number', 42, '42'],
    ['number', 1.5, '1.5'],
    ['number', '1.50', '1.5'],
    ['number', ' 007 ', '7'],
    ['number', '-3', '-3'],
    ['number', '1e3', '1000'],
    ['number', -0, '0'],
    ['number', '.5', '0.5'],
    ['boolean', true, 'true'],
    ['boolean', false, 'false'],
    ['boolean', 'TRUE', 'true'],
    ['boolean', ' false ', 'false'],
    ['date', '2026-01-15', '2026-01-15'],
    ['date', '2026-01-15T12:00:00+02:00', '2026-01-15T10:00:00.000Z'],
  ])('%s %p is stored as %p', (type, input, expected) => {
    expect(value(type, input)).toEqual({ ok: true, value: expected });
  });

  it('takes an enum value that is one of its options, exactly', () => {
    expect(value('enum', 'SaaS', ['SaaS', 'Retail'])).toEqual({ ok: true, value: 'SaaS' });
    expect(value('enum', 'saas', ['SaaS', 'Retail']).ok).toBe(false);
    expect(value('enum', 'SaaS', null).ok).toBe(false);
  });

  it.each<[string, PropertyType, PropertyInput]>([
    ['a number for a string', 'string', 42],
    ['an overlong string', 'string', 'x'.repeat(MAX_PROPERTY_VALUE_LENGTH + 1)],
    ['text for a number', 'number', 'forty-two'],
    ['an empty number', 'number', ''],
    ['NaN', 'number', Number.NaN],
    ['Infinity', 'number', Number.POSITIVE_INFINITY],
    ['an overflowing number', 'number', '1e400'],
    ['a hex number', 'number', '0x10'],
    ['a boolean for a number', 'number', true],
    ['yes for a boolean', 'boolean', 'yes'],
    ['1 for a boolean', 'boolean', 1],
    ['a number for a date', 'date', 20260115],
    ['an impossible date', 'date', '2026-02-30'],
    ['a date in another format', 'date', '15/01/2026'],
    ['a timestamp without zone', 'date', '2026-01-15T10:00:00'],
    ['a boolean for an enum', 'enum', true],
  ])('refuses %s', (_why, type, input) => {
    expect(value(type, input, type === 'enum' ? ['a'] : null).ok).toBe(false);
  });
});

describe('enumOptionsProblem', () => {
  it('wants options for enums only', () => {
    expect(enumOptionsProblem('enum', ['a', 'b'])).toBeNull();
    expect(enumOptionsProblem('string', null)).toBeNull();
    expect(enumOptionsProblem('string', ['a'])).toMatch(/only for enum/);
    expect(enumOptionsProblem('enum', null)).toMatch(/needs its options/);
    expect(enumOptionsProblem('enum', [])).toMatch(/needs its options/);
  });

  it('wants distinct, non-blank, bounded options', () => {
    expect(enumOptionsProblem('enum', ['a', 'a'])).toMatch(/distinct/);
    expect(enumOptionsProblem('enum', ['a', ' '])).toMatch(/non-blank/);
    expect(enumOptionsProblem('enum', ['x'.repeat(201)])).toMatch(/at most 200/);
    expect(
      enumOptionsProblem(
        'enum',
        Array.from({ length: 501 }, (_, i) => `o${i}`),
      ),
    ).toMatch(/at most 500/);
  });
});
