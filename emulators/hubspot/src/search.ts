// CRM search as HubSpot documents it: filterGroups are ORed, the filters in a
// group ANDed (at most 5 groups, 6 filters per group, 18 in all); string
// comparisons ignore case; dates compare as instants (epoch ms or ISO 8601);
// at most 200 results a page and 10,000 in all, paged by an `after` offset.
import { toEpochMs } from './properties';
import { Contact } from './store';

export interface Filter {
  propertyName: string;
  operator: string;
  value?: unknown;
  values?: unknown[];
  highValue?: unknown;
}

export interface SearchRequest {
  filterGroups: { filters: Filter[] }[];
  sorts: { propertyName: string; direction: 'ASCENDING' | 'DESCENDING' }[];
  query?: string;
  properties?: string[];
  limit: number;
  after: number;
}

export const SEARCH_MAX_LIMIT = 200;
export const SEARCH_MAX_RESULTS = 10_000;
const OPERATORS = new Set([
  'EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'IN', 'NOT_IN',
  'HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'CONTAINS_TOKEN', 'NOT_CONTAINS_TOKEN',
]);

/** The request, or a message saying what is wrong with it. */
export function parseSearch(body: unknown, knownProperty: (name: string) => boolean): SearchRequest | string {
  if (typeof body !== 'object' || body === null) return 'The request body must be a JSON object';
  const b = body as Record<string, unknown>;
  const groups = b.filterGroups ?? [];
  if (!Array.isArray(groups)) return 'filterGroups must be an array';
  if (groups.length > 5) return 'Too many filter groups: at most 5 are allowed';
  let total = 0;
  const filterGroups: SearchRequest['filterGroups'] = [];
  for (const g of groups) {
    const filters = (g as { filters?: unknown }).filters ?? [];
    if (!Array.isArray(filters)) return 'filters must be an array';
    if (filters.length > 6) return 'Too many filters in a group: at most 6 are allowed';
    total += filters.length;
    for (const f of filters as Filter[]) {
      if (typeof f?.propertyName !== 'string') return 'Each filter needs a propertyName';
      if (!OPERATORS.has(f.operator)) return `Unknown operator ${String(f.operator)}`;
      if (!knownProperty(f.propertyName)) return `There was a problem with the request. Property ${f.propertyName} does not exist`;
    }
    filterGroups.push({ filters: filters as Filter[] });
  }
  if (total > 18) return 'Too many filters: at most 18 are allowed';
  const limit = b.limit === undefined ? 10 : Number(b.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > SEARCH_MAX_LIMIT)
    return `limit must be between 1 and ${SEARCH_MAX_LIMIT}`;
  const after = b.after === undefined || b.after === null || b.after === '' ? 0 : Number(b.after);
  if (!Number.isInteger(after) || after < 0) return 'after must be a non-negative integer';
  if (after + limit > SEARCH_MAX_RESULTS) return `The search API returns at most ${SEARCH_MAX_RESULTS} results for a query`;
  const sorts: SearchRequest['sorts'] = [];
  for (const s of (b.sorts as unknown[]) ?? []) {
    if (typeof s === 'string') sorts.push({ propertyName: s.replace(/^-/, ''), direction: s.startsWith('-') ? 'DESCENDING' : 'ASCENDING' });
    else if (s && typeof s === 'object') {
      const o = s as { propertyName?: string; direction?: string };
      if (typeof o.propertyName !== 'string') return 'Each sort needs a propertyName';
      sorts.push({ propertyName: o.propertyName, direction: o.direction === 'DESCENDING' ? 'DESCENDING' : 'ASCENDING' });
    }
  }
  const properties = Array.isArray(b.properties) ? (b.properties as unknown[]).map(String) : undefined;
  const query = typeof b.query === 'string' ? b.query : undefined;
  return { filterGroups, sorts, query, properties, limit, after };
}

export function search(contacts: Contact[], req: SearchRequest): { total: number; page: Contact[]; nextAfter: number | null } {
  const matched = contacts.filter((c) => matchesQuery(c, req.query) && matchesGroups(c, req.filterGroups));
  const sorted = [...matched].sort((a, b) => compareContacts(a, b, req.sorts));
  const page = sorted.slice(req.after, req.after + req.limit);
  const next = req.after + req.limit;
  return { total: matched.length, page, nextAfter: next < sorted.length && next < SEARCH_MAX_RESULTS ? next : null };
}

function matchesGroups(c: Contact, groups: SearchRequest['filterGroups']): boolean {
  if (groups.length === 0) return true;
  return groups.some((g) => g.filters.every((f) => matchesFilter(c, f)));
}

function matchesQuery(c: Contact, query: string | undefined): boolean {
  if (!query) return true;
  const q = query.toLowerCase();
  return ['email', 'firstname', 'lastname', 'phone', 'company'].some((k) => (c.properties[k] ?? '').toLowerCase().includes(q));
}

export function matchesFilter(c: Contact, f: Filter): boolean {
  const actual = c.properties[f.propertyName];
  const has = actual !== undefined && actual !== '';
  switch (f.operator) {
    case 'HAS_PROPERTY':
      return has;
    case 'NOT_HAS_PROPERTY':
      return !has;
    case 'EQ':
      return has && compare(f.propertyName, actual, f.value) === 0;
    case 'NEQ':
      return !has || compare(f.propertyName, actual, f.value) !== 0;
    case 'LT':
      return has && compare(f.propertyName, actual, f.value) < 0;
    case 'LTE':
      return has && compare(f.propertyName, actual, f.value) <= 0;
    case 'GT':
      return has && compare(f.propertyName, actual, f.value) > 0;
    case 'GTE':
      return has && compare(f.propertyName, actual, f.value) >= 0;
    case 'BETWEEN':
      return has && compare(f.propertyName, actual, f.value) >= 0 && compare(f.propertyName, actual, f.highValue) <= 0;
    case 'IN':
      return has && (f.values ?? []).some((v) => compare(f.propertyName, actual, v) === 0);
    case 'NOT_IN':
      return !has || !(f.values ?? []).some((v) => compare(f.propertyName, actual, v) === 0);
    case 'CONTAINS_TOKEN':
      return has && tokenMatch(actual, String(f.value ?? ''));
    case 'NOT_CONTAINS_TOKEN':
      return !has || !tokenMatch(actual, String(f.value ?? ''));
    default:
      return false;
  }
}

const DATE_PROPERTIES = new Set(['createdate', 'lastmodifieddate', 'date_of_birth']);

function compare(property: string, actual: string, expected: unknown): number {
  const e = expected === null || expected === undefined ? '' : String(expected);
  if (DATE_PROPERTIES.has(property)) {
    const a = toEpochMs(actual);
    const b = toEpochMs(e);
    if (a !== null && b !== null) return a - b;
  }
  if (property === 'hs_object_id' || (/^-?\d+(\.\d+)?$/.test(actual) && /^-?\d+(\.\d+)?$/.test(e)))
    return Number(actual) - Number(e);
  const a = actual.toLowerCase();
  const b = e.toLowerCase();
  return a < b ? -1 : a > b ? 1 : 0;
}

function tokenMatch(actual: string, token: string): boolean {
  const t = token.toLowerCase();
  if (t.startsWith('*')) return actual.toLowerCase().endsWith(t.slice(1));
  if (t.endsWith('*')) return actual.toLowerCase().split(/[\s@.]+/).some((w) => w.startsWith(t.slice(0, -1)));
  return actual.toLowerCase().split(/[\s@.]+/).includes(t) || actual.toLowerCase() === t;
}

function compareContacts(a: Contact, b: Contact, sorts: SearchRequest['sorts']): number {
  for (const s of sorts) {
    const va = a.properties[s.propertyName] ?? '';
    const vb = b.properties[s.propertyName] ?? '';
    const c = compare(s.propertyName, va, vb);
    if (c !== 0) return s.direction === 'DESCENDING' ? -c : c;
  }
  return Number(a.id) - Number(b.id);
}
