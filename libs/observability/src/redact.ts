// Redaction: what keeps secrets out of log lines (and span error messages).
// Two rules, applied at any depth:
// - a key that names a secret (password, token, authorization, api key,
//   cookie, ...) has its value replaced by "[redacted]", whatever the value;
// - a string that looks like a secret wherever it appears (one of our API
//   keys, a Bearer token, the password in a connection URL) is masked inside
//   the string, because secrets also travel in messages and error texts.
// The result is plain JSON data (no bigint, Buffer, Map, cycles), ready for
// JSON.stringify.

export const REDACTED = '[redacted]';

const SECRET_KEY =
  /pass(word)?|secret|token|authorization|api[-_]?key|credential|master[-_]?key|cookie/i;

// Our API keys: `eng_` and 32 random bytes in base64url (43 characters).
// A longer run is masked whole: masking only its first 43 characters would
// leave part of whatever it is in the log.
const API_KEY = /eng_[A-Za-z0-9_-]{43,}/g;
// RFC 6750 b64token.
const BEARER = /\bBearer\s+[A-Za-z0-9\-._~+/]+=*/gi;
// scheme://user:password@host, as in DATABASE_URL.
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)[^\s/@]+@/gi;

/** Most nesting levels kept; deeper values are replaced, which also bounds the cost of one log line. */
const MAX_DEPTH = 10;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Masks the secrets a free text may contain. */
export function maskSecrets(text: string): string {
  return text
    .replace(API_KEY, `eng_${REDACTED}`)
    .replace(BEARER, `Bearer ${REDACTED}`)
    .replace(URL_PASSWORD, `$1${REDACTED}@`);
}

/** A JSON-safe copy of `value` with every secret key's value and every secret-looking string redacted. */
export function redact(value: unknown): unknown {
  return redactValue(value, 0, new Set());
}

function redactValue(value: unknown, depth: number, ancestors: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
      return maskSecrets(value);
    case 'number':
    case 'boolean':
    case 'undefined':
      return value;
    case 'bigint':
      // Event positions are bigints; JSON.stringify would throw on them.
      return value.toString();
    case 'symbol':
      return value.toString();
    case 'function':
      return `[function ${value.name || 'anonymous'}]`;
  }
  if (value === null) return null;
  const object = value as object;
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? null : object.toISOString();
  // Bytes are never written: they may be a key, a token or a whole payload.
  if (object instanceof Uint8Array) return `[${object.byteLength} bytes]`;
  if (ancestors.has(object)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';

  ancestors.add(object);
  try {
    if (Array.isArray(object)) return object.map((item) => redactValue(item, depth + 1, ancestors));
    if (object instanceof Set)
      return [...object].map((item) => redactValue(item, depth + 1, ancestors));
    if (object instanceof Map) return redactEntries(object.entries(), depth, ancestors);
    if (typeof Headers !== 'undefined' && object instanceof Headers)
      return redactEntries(object.entries(), depth, ancestors);
    if (object instanceof Error) return redactError(object, depth, ancestors);
    if (object instanceof URL) return maskSecrets(object.href);
    return redactEntries(Object.entries(object), depth, ancestors);
  } finally {
    ancestors.delete(object);
  }
}

function redactEntries(
  entries: Iterable<[unknown, unknown]>,
  depth: number,
  ancestors: Set<object>,
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [rawKey, item] of entries) {
    const key = String(rawKey);
    result[key] = isSecretKey(key) ? REDACTED : redactValue(item, depth + 1, ancestors);
  }
  return result;
}

// An Error's name, message and stack are not enumerable: copied by hand.
// Its own enumerable properties (a driver's `code`, an HTTP client's
// request config with an Authorization header) go through the key rule.
function redactError(error: Error, depth: number, ancestors: Set<object>): Record<string, unknown> {
  const result: Record<string, unknown> = {
    name: error.name,
    message: maskSecrets(error.message),
  };
  if (error.stack !== undefined) result.stack = maskSecrets(error.stack);
  Object.assign(result, redactEntries(Object.entries(error), depth, ancestors));
  if (error.cause !== undefined) result.cause = redactValue(error.cause, depth + 1, ancestors);
  if (error instanceof AggregateError)
    result.errors = redactValue(error.errors, depth + 1, ancestors);
  return result;
}
