import { isE164, normalisePhone } from './phone';

describe('normalisePhone', () => {
  it('removes the separators people type', () => {
    expect(normalisePhone(' +1 (415) 555-0100 ')).toBe('+14155550100');
    expect(normalisePhone('+44.20.7946.0958')).toBe('+442079460958');
  });

  it('guesses nothing: no country is added, 00 is not rewritten', () => {
    expect(normalisePhone('415 555 0100')).toBe('4155550100');
    expect(normalisePhone('0044 20 7946 0958')).toBe('00442079460958');
  });
});

describe('isE164', () => {
  it.each(['+14155550100', '+442079460958', '+12', '+123456789012345'])('accepts %s', (phone) => {
    expect(isE164(phone)).toBe(true);
  });

  it.each([
    ['no plus', '14155550100'],
    ['country code 0', '+04155550100'],
    ['one digit', '+1'],
    ['16 digits', '+1234567890123456'],
    ['letters', '+1415555CALL'],
    ['separators left in', '+1 415 555 0100'],
    ['empty', ''],
  ])('refuses %s', (_why, phone) => {
    expect(isE164(phone)).toBe(false);
  });
});
