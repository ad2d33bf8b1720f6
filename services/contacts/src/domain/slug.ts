// Tag slugs: lower-case kebab-case ASCII (hot-lead, webinar-attendee), the
// names clients use for tags (the seed's POST /api/contacts sends
// "tags": ["webinar-attendee", "hot-lead"]). Derived from the tag's name
// when the client gives none.

export const MAX_SLUG_LENGTH = 64;

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export function isValidSlug(slug: string): boolean {
  return slug.length <= MAX_SLUG_LENGTH && SLUG.test(slug);
}

/** "Hot Lead!" → "hot-lead", "Café Owners" → "cafe-owners"; '' when nothing usable is left. */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '') // the accents NFKD split off their letters
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/-+$/, '');
}
