import { cleanText } from './text';

describe('cleanText', () => {
  it('trims, and reads blank as none', () => {
    expect(cleanText('  Ada  ', 10)).toEqual({ ok: true, value: 'Ada' });
    expect(cleanText('   ', 10)).toEqual({ ok: true, value: null });
    expect(cleanText(null, 10)).toEqual({ ok: true, value: null });
  });

  it('keeps tabs and newlines but refuses other control characters', () => {
    expect(cleanText('line one\nline\ttwo', 100).ok).toBe(true);
    expect(cleanText('bell\u0007', 100).ok).toBe(false);
    expect(cleanText('nul\u0000', 100).ok).toBe(false);
  });

  it('bounds the length after trimming', () => {
    expect(cleanText(' abc ', 3)).toEqual({ ok: true, value: 'abc' });
    expect(cleanText('abcd', 3).ok).toBe(false);
  });
});
