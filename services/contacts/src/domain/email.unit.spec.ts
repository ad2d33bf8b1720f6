import { isValidEmail, normaliseEmail } from './email';

describe('normaliseEmail', () => {
  it('trims and lower-cases', () => {
    expect(normaliseEmail('  Ann.Lee@Example.COM \n')).toBe('ann.lee@example.com');
  });
});

describe('isValidEmail', () => {
  it.each([
    'user@example.com',
    'first.last+tag@sub.example.co.uk',
    "o'brien@example.ie",
    'x@example.xn--p1ai',
    'a_b-c@my-domain.io',
    `${'a'.repeat(64)}@example.com`,
  ])('accepts %s', (email) => {
    expect(isValidEmail(email)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['no @', 'user.example.com'],
    ['two @', 'a@b@example.com'],
    ['nothing before @', '@example.com'],
    ['no domain dot', 'user@localhost'],
    ['leading dot', '.user@example.com'],
    ['double dot', 'us..er@example.com'],
    ['trailing dot in local part', 'user.@example.com'],
    ['space', 'us er@example.com'],
    ['label starting with -', 'user@-example.com'],
    ['empty label', 'user@example..com'],
    ['numeric TLD', 'user@example.123'],
    ['one-letter TLD', 'user@example.c'],
    ['IP literal', 'user@[127.0.0.1]'],
    ['quoted local part', '"user"@example.com'],
    ['upper case (not normalised)', 'User@example.com'],
    ['local part over 64', `${'a'.repeat(65)}@example.com`],
    ['over 254 characters', `a@${Array.from({ length: 5 }, () => 'b'.repeat(60)).join('.')}.com`],
    ['unicode domain (must be punycode)', 'user@exämple.com'],
  ])('refuses %s', (_why, email) => {
    expect(isValidEmail(email)).toBe(false);
  });
});
