import { isValidSlug, MAX_SLUG_LENGTH, slugify } from './slug';

describe('slugify', () => {
  it.each([
    ['Hot Lead', 'hot-lead'],
    ['Webinar Attendee!', 'webinar-attendee'],
    ['  Café Owners  ', 'cafe-owners'],
    ['Q4 -- 2025', 'q4-2025'],
    ['already-a-slug', 'already-a-slug'],
    ['!!!', ''],
    ['日本語', ''],
  ])('%p → %p', (name, slug) => {
    expect(slugify(name)).toBe(slug);
  });

  it('cuts long names without leaving a trailing hyphen', () => {
    const slug = slugify('a'.repeat(63) + ' tail');
    expect(slug).toBe('a'.repeat(63));
    expect(slugify('word '.repeat(40)).length).toBeLessThanOrEqual(MAX_SLUG_LENGTH);
    expect(isValidSlug(slugify('word '.repeat(40)))).toBe(true);
  });
});

describe('isValidSlug', () => {
  it('accepts lower-case kebab-case up to 64 characters', () => {
    expect(isValidSlug('hot-lead')).toBe(true);
    expect(isValidSlug('q4-2025')).toBe(true);
    expect(isValidSlug('a'.repeat(64))).toBe(true);
  });

  it.each(['', 'Hot-Lead', 'hot_lead', '-hot', 'hot-', 'hot--lead', 'hot lead', 'a'.repeat(65)])(
    'refuses %p',
    (slug) => {
      expect(isValidSlug(slug)).toBe(false);
    },
  );
});
