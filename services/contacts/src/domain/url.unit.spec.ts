import { canonicalHttpUrl, MAX_URL_LENGTH } from './url';

describe('canonicalHttpUrl', () => {
  it('accepts absolute http and https URLs, trimmed', () => {
    expect(canonicalHttpUrl(' https://cdn.example.com/a.png ')).toBe(
      'https://cdn.example.com/a.png',
    );
    expect(canonicalHttpUrl('http://app.hubspot.com/contacts/12345')).toBe(
      'http://app.hubspot.com/contacts/12345',
    );
  });

  it.each([
    ['relative', '/avatar.png'],
    ['javascript:', 'javascript:alert(1)'],
    ['file:', 'file:///etc/passwd'],
    ['data:', 'data:image/png;base64,AAAA'],
    ['ftp:', 'ftp://example.com/a'],
    ['empty', ''],
    ['too long', `https://example.com/${'a'.repeat(MAX_URL_LENGTH)}`],
  ])('refuses %s', (_why, input) => {
    expect(canonicalHttpUrl(input)).toBeNull();
  });
});
