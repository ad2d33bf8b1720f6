// Locales as BCP 47 language tags in their canonical form (en, en-US,
// zh-Hant-TW), as Intl canonicalises them. CRMs often send POSIX-style
// en_US: the underscore is read as a hyphen.

export const DEFAULT_LOCALE = 'en';

/** The canonical tag, or null when it is not a well-formed BCP 47 tag. */
export function canonicalLocale(raw: string): string | null {
  const input = raw.trim().replace(/_/g, '-');
  if (input.length === 0 || input.length > 35) return null;
  try {
    const [canonical] = Intl.getCanonicalLocales(input);
    return canonical ?? null;
  } catch {
    return null;
  }
}
