// Email addresses as the contacts service stores them: normalised (trimmed,
// lower-cased) so that one person's address is one key, and checked to be a
// sane, deliverable-looking address. Deliberately narrower than RFC 5322:
// no quoted local parts, no comments, no IP-literal domains; international
// domains in their punycode (xn--) form. What real sign-up forms and CRMs
// send passes; what would break a mail provider or a CRM does not.

export const MAX_EMAIL_LENGTH = 254;

/** Trims and lower-cases. Lower-casing the local part too is a product choice: users type Ann@ and ann@ for the same inbox. */
export function normaliseEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const TOP_LEVEL_LABEL = /^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** Expects a normalised address (see normaliseEmail). */
export function isValidEmail(email: string): boolean {
  if (email.length === 0 || email.length > MAX_EMAIL_LENGTH) return false;
  const at = email.lastIndexOf('@');
  if (at <= 0 || email.indexOf('@') !== at) return false;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length > 64 || !LOCAL_PART.test(local)) return false;
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  if (!labels.every((label) => DOMAIN_LABEL.test(label))) return false;
  return TOP_LEVEL_LABEL.test(labels[labels.length - 1]);
}
