// Links a contact record may hold (avatar, CRM record): absolute http(s)
// URLs only, so nothing like javascript: or file: ever reaches a UI.

export const MAX_URL_LENGTH = 2048;

/** The URL as given (trimmed), or null when it is not an absolute http(s) URL. */
export function canonicalHttpUrl(raw: string): string | null {
  const input = raw.trim();
  if (input.length === 0 || input.length > MAX_URL_LENGTH || !URL.canParse(input)) return null;
  const url = new URL(input);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return url.hostname.length > 0 ? input : null;
}
