// Builds the one OpenAPI document clients see: the gateway's own endpoints
// plus every upstream's, each upstream path moved to where the routing table
// exposes it (/contacts/{id} → /api/contacts/{id}) and marked as needing the
// bearer key. Upstream paths the gateway does not route (/health, /ready)
// are left out. Pure: the documents come in, one document goes out.
import type { OpenAPIObject, OperationObject, PathItemObject } from '@nestjs/swagger';
import type { ProxyRoute } from '../proxy/routes';

export const BEARER_SCHEME = 'bearer';

const OPERATIONS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Component sections copied from upstreams; their security schemes are replaced by ours. */
const COMPONENT_SECTIONS = [
  'schemas',
  'responses',
  'parameters',
  'examples',
  'requestBodies',
  'headers',
  'links',
  'callbacks',
] as const;

export interface UpstreamDocument {
  upstream: string;
  /** null when the upstream could not be asked. */
  document: OpenAPIObject | null;
}

type Section = Record<string, unknown>;

export function mergeOpenApi(
  gateway: OpenAPIObject,
  upstreams: UpstreamDocument[],
  routes: ProxyRoute[],
): OpenAPIObject {
  const merged: OpenAPIObject = structuredClone(gateway);
  merged.paths ??= {};
  merged.components ??= {};
  const components = merged.components as Record<string, Section | undefined>;
  const unavailable: string[] = [];

  for (const { upstream, document } of upstreams) {
    if (!document) {
      unavailable.push(upstream);
      continue;
    }
    const renamed = renameCollidingComponents(upstream, document, components);
    for (const [path, item] of Object.entries(renamed.paths ?? {})) {
      const gatewayPath = exposedPath(upstream, path, routes);
      if (gatewayPath) merged.paths[gatewayPath] = requireBearer(item);
    }
    const upstreamComponents = (renamed.components ?? {}) as Record<string, Section | undefined>;
    for (const section of COMPONENT_SECTIONS) {
      const entries = upstreamComponents[section];
      if (entries) components[section] = { ...components[section], ...entries };
    }
    const knownTags = new Set((merged.tags ?? []).map((tag) => tag.name));
    for (const tag of renamed.tags ?? []) {
      if (!knownTags.has(tag.name)) (merged.tags ??= []).push(tag);
    }
  }

  components.securitySchemes = {
    ...components.securitySchemes,
    [BEARER_SCHEME]: {
      type: 'http',
      scheme: 'bearer',
      description: 'An API key: `Authorization: Bearer eng_...`',
    },
  };
  if (unavailable.length > 0) {
    // Said in the document rather than failing it: the rest is still useful.
    (merged as unknown as Record<string, unknown>)['x-unavailable-upstreams'] = unavailable;
  }
  return merged;
}

function exposedPath(upstream: string, path: string, routes: ProxyRoute[]): string | null {
  for (const route of routes) {
    if (route.upstream !== upstream) continue;
    if (path === route.target || path.startsWith(`${route.target}/`)) {
      return `/${route.prefix.join('/')}${path.slice(route.target.length)}`;
    }
  }
  return null;
}

function requireBearer(item: PathItemObject): PathItemObject {
  const copy: PathItemObject = { ...item };
  for (const method of OPERATIONS) {
    const operation = copy[method];
    if (operation)
      copy[method] = { ...operation, security: [{ [BEARER_SCHEME]: [] }] } as OperationObject;
  }
  return copy;
}

/**
 * Two services may both define a schema called, say, ProblemDetails. Equal
 * definitions are simply shared; a different one is renamed
 * `<upstream>_<name>`, and every $ref in that upstream's document follows.
 */
function renameCollidingComponents(
  upstream: string,
  document: OpenAPIObject,
  existing: Record<string, Section | undefined>,
): OpenAPIObject {
  const refs = new Map<string, string>();
  const upstreamComponents = (document.components ?? {}) as Record<string, Section | undefined>;
  const components: Record<string, Section> = {};
  for (const section of COMPONENT_SECTIONS) {
    const entries = upstreamComponents[section];
    if (!entries) continue;
    components[section] = {};
    for (const [name, value] of Object.entries(entries)) {
      const taken = existing[section]?.[name];
      const collides = taken !== undefined && JSON.stringify(taken) !== JSON.stringify(value);
      const finalName = collides ? `${upstream}_${name}` : name;
      if (collides)
        refs.set(`#/components/${section}/${name}`, `#/components/${section}/${finalName}`);
      components[section][finalName] = value;
    }
  }
  const withNewNames = { ...document, components };
  return refs.size === 0 ? withNewNames : (rewriteRefs(withNewNames, refs) as OpenAPIObject);
}

function rewriteRefs(value: unknown, refs: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, refs));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [
      key,
      key === '$ref' && typeof child === 'string'
        ? (refs.get(child) ?? child)
        : rewriteRefs(child, refs),
    ]),
  );
}
