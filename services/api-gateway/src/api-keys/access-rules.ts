// Which scope a request needs, decided from its method and path alone, so
// that one short list says who may do what. Everything not listed as public
// needs a key (fail closed: a new controller is protected by default).
import type { RequestPath } from '../http/request-path';
import type { Scope } from './api-key';

/** First path segments that answer without a key: probes and API docs. */
const PUBLIC_ROOTS = new Set(['health', 'ready', 'openapi.json', 'docs']);

/**
 * Paths that need admin whatever the method, as canonical segments
 * (decoded, lower-cased); `*` matches any one segment, a final `**` any rest.
 */
const ADMIN_PATHS: string[][] = [
  ['api', 'api-keys', '**'],
  ['api', 'contacts', '*', 'erase'],
];

const READ_METHODS = new Set(['GET', 'HEAD']);

export function requiredScope(method: string, path: RequestPath): Scope | 'public' {
  const { canonical } = path;
  if (canonical.length > 0 && PUBLIC_ROOTS.has(canonical[0]!)) return 'public';
  if (ADMIN_PATHS.some((pattern) => matches(pattern, canonical))) return 'admin';
  return READ_METHODS.has(method) ? 'read' : 'write';
}

function matches(pattern: string[], segments: string[]): boolean {
  const rest = pattern.at(-1) === '**';
  const fixed = rest ? pattern.slice(0, -1) : pattern;
  if (rest ? segments.length < fixed.length : segments.length !== fixed.length) return false;
  return fixed.every((part, i) => part === '*' || part === segments[i]);
}
