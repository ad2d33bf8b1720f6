// Phone numbers in E.164 (+ country code and subscriber number, at most 15
// digits), the form SMS and WhatsApp providers and CRMs agree on. People type
// spaces, dashes, dots and brackets: those are removed before the check, but
// nothing is guessed (no default country, no 00 prefix rewriting), so a
// number is never silently turned into someone else's.

const E164 = /^\+[1-9]\d{1,14}$/;
const SEPARATORS = /[\s().-]/g;

/** Removes the separators people type; does not validate. */
export function normalisePhone(raw: string): string {
  return raw.trim().replace(SEPARATORS, '');
}

export function isE164(phone: string): boolean {
  return E164.test(phone);
}
