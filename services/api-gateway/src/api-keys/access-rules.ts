// Which scope a request needs, decided from its method and path alone, so
// that one short list says who may do what. Everything not listed as public
// needs a key (fail closed: a new controller is protected by default).
import type { RequestPath } from '../http/request-path';
import type { Scope } from './api-key';

/** First path segments that answer without a key: probes and API docs. */
const PUBLIC_ROOTS = new Set(['health', 'ready', 'openapi.json', 'docs']);

/**
 * Paths under /api that answer without a key because the owning service
 * authenticates them otherwise: messaging's tracking links (open pixel,
 * click redirect, RFC 8058 unsubscribe: signed tokens in the path) and
 * provider callbacks (X-Twilio-Signature, the CRMs' webhook signatures).
 */
const PUBLIC_PATHS: string[][] = [
  ['api', 'track', '**'],
  ['api', 'webhooks', 'twilio', '**'],
  ['api', 'webhooks', 'hubspot', '**'],
  ['api', 'webhooks', 'gohighlevel', '**'],
];

/**
 * Paths that need a scope of their own whatever the method, as canonical
 * segments (decoded, lower-cased); `*` matches any one segment, a final `**`
 * any rest. The owning service checks the same scopes again.
 */
const SCOPED_PATHS: { path: string[]; scope: Scope }[] = [
  { path: ['api', 'api-keys', '**'], scope: 'admin' },
  // CRM credentials and what is pushed where: administrators only, reads included.
  { path: ['api', 'integrations', '**'], scope: 'admin' },
  { path: ['api', 'contacts', '*', 'erase'], scope: 'pii:erase' },
  { path: ['api', 'contacts', '*', 'export'], scope: 'pii:read' },
  { path: ['api', 'contacts', '*', 'history'], scope: 'pii:read' },
];

const READ_METHODS = new Set(['GET', 'HEAD']);

export function requiredScope(method: string, path: RequestPath): Scope | 'public' {
  const { canonical } = path;
  if (canonical.length > 0 && PUBLIC_ROOTS.has(canonical[0]!)) return 'public';
  if (PUBLIC_PATHS.some((pattern) => matches(pattern, canonical))) return 'public';
  const scoped = SCOPED_PATHS.find(({ path: pattern }) => matches(pattern, canonical));
  if (scoped) return scoped.scope;
  return READ_METHODS.has(method) ? 'read' : 'write';
}

function matches(pattern: string[], segments: string[]): boolean {
  const rest = pattern.at(-1) === '**';
  const fixed = rest ? pattern.slice(0, -1) : pattern;
  if (rest ? segments.length < fixed.length : segments.length !== fixed.length) return false;
  return fixed.every((part, i) => part === '*' || part === segments[i]);
}
