// The routing table: which /api paths go to which upstream service, as data.
// A new service plugs in with one line here and its base URL in config.ts.
import type { RequestPath } from '../http/request-path';

export interface ProxyRoute {
  /** Canonical path segments the route owns, with everything below them. */
  prefix: string[];
  /** Name of the upstream in GatewayConfig.upstreams. */
  upstream: string;
  /** The upstream path that replaces the prefix. */
  target: string;
}

export const ROUTES: ProxyRoute[] = [
  { prefix: ['api', 'contacts'], upstream: 'contacts', target: '/contacts' },
  { prefix: ['api', 'tags'], upstream: 'contacts', target: '/tags' },
  { prefix: ['api', 'activities'], upstream: 'contacts', target: '/activities' },
  { prefix: ['api', 'events'], upstream: 'events', target: '/events' },
  { prefix: ['api', 'registrations'], upstream: 'events', target: '/registrations' },
  // One integration per CRM, each run by its own connector: the provider is the path's next segment.
  {
    prefix: ['api', 'integrations', 'hubspot'],
    upstream: 'connector-hubspot',
    target: '/integrations/hubspot',
  },
  {
    prefix: ['api', 'integrations', 'gohighlevel'],
    upstream: 'connector-gohighlevel',
    target: '/integrations/gohighlevel',
  },
  { prefix: ['api', 'templates'], upstream: 'messaging', target: '/templates' },
  { prefix: ['api', 'messages'], upstream: 'messaging', target: '/messages' },
  { prefix: ['api', 'campaigns'], upstream: 'messaging', target: '/campaigns' },
  { prefix: ['api', 'track'], upstream: 'messaging', target: '/track' },
  { prefix: ['api', 'webhooks', 'twilio'], upstream: 'messaging', target: '/webhooks/twilio' },
  // CRM webhooks, signed by the CRM (HubSpot v3, GoHighLevel Ed25519): public, verified by the connector.
  {
    prefix: ['api', 'webhooks', 'hubspot'],
    upstream: 'connector-hubspot',
    target: '/webhooks/hubspot',
  },
  {
    prefix: ['api', 'webhooks', 'gohighlevel'],
    upstream: 'connector-gohighlevel',
    target: '/webhooks/gohighlevel',
  },
];

/** Requests that may carry more than the default body limit: bulk uploads. */
const LARGE_BODY_ROUTES: { method: string; path: string[] }[] = [
  { method: 'POST', path: ['api', 'contacts', 'imports'] },
];

export interface ResolvedRoute {
  upstream: string;
  /** Path on the upstream, still percent-encoded as the client sent it. */
  upstreamPath: string;
}

export function resolveRoute(path: RequestPath): ResolvedRoute | null {
  const route = ROUTES.find((r) => r.prefix.every((part, i) => path.canonical[i] === part));
  if (!route) return null;
  const rest = path.segments.slice(route.prefix.length);
  return {
    upstream: route.upstream,
    upstreamPath: [route.target, ...rest].join('/'),
  };
}

export function takesLargeBody(method: string, path: RequestPath): boolean {
  return LARGE_BODY_ROUTES.some(
    (r) =>
      r.method === method &&
      r.path.length === path.canonical.length &&
      r.path.every((part, i) => part === path.canonical[i]),
  );
}
