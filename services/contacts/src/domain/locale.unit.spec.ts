import { canonicalLocale } from './locale';

describe('canonicalLocale', () => {
  it.each([
    ['en', 'en'],
    ['EN', 'en'],
    ['en-us', 'en-US'],
    ['en_US', 'en-US'],
    ['zh-hant-tw', 'zh-Hant-TW'],
    ['pt-BR', 'pt-BR'],
  ])('canonicalises %s to %s', (input, expected) => {
    expect(canonicalLocale(input)).toBe(expected);
  });

  it.each(['', 'x', 'english!', 'en--US', 'a'.repeat(36)])('refuses %p', (input) => {
    expect(canonicalLocale(input)).toBeNull();
  });
});
