// Free text fields (names, descriptions, external ids): trimmed, bounded,
// and free of control characters that would corrupt CSV exports and CRM
// payloads. An empty value means "none".

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export type TextResult = { ok: true; value: string | null } | { ok: false; reason: string };

/** Trims; '' becomes null; refuses text over maxLength characters or with control characters (tabs and newlines are fine). */
export function cleanText(raw: string | null, maxLength: number): TextResult {
  if (raw === null) return { ok: true, value: null };
  const value = raw.trim();
  if (value.length === 0) return { ok: true, value: null };
  if (value.length > maxLength) {
    return { ok: false, reason: `is longer than ${maxLength} characters` };
  }
  if (CONTROL_CHARACTERS.test(value)) return { ok: false, reason: 'contains control characters' };
  return { ok: true, value };
}
