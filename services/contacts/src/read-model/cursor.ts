// Opaque cursors for keyset pagination, and the page request rules every
// list query shares. A cursor is the sort key of the last row a page
// returned, base64url-encoded JSON: clients pass it back untouched, and
// nothing in it is a secret (it holds a timestamp or slug and an id).
import { RuleViolationError } from '@engagement/decider';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export interface PageRequest {
  /** 1 to 200; 50 when left out. */
  limit?: number;
  /** The nextCursor of the previous page; the first page when left out or null. */
  cursor?: string | null;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export function pageSize(limit: number | undefined): number {
  const size = limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new RuleViolationError(
      `limit must be an integer from 1 to ${MAX_PAGE_SIZE}`,
      'invalid-limit',
      { field: 'limit' },
    );
  }
  return size;
}

/** The sort key of a row: e.g. [updatedAt, id], with the list it belongs to. */
export type CursorKey = { list: string; key: string[] };

export function encodeCursor(cursor: CursorKey): string {
  return Buffer.from(JSON.stringify([cursor.list, ...cursor.key]), 'utf8').toString('base64url');
}

/** What a key part must look like: checked before it reaches SQL, so a forged cursor is a 422, not a 500. */
export type KeyPartCheck = (part: string) => boolean;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** As PostgreSQL's to_json() prints a timestamptz: 2026-01-01T10:00:00.123456+00:00. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:\d{2})?|Z)$/;

export const isUuidPart: KeyPartCheck = (part) => UUID.test(part);
export const isTimestampPart: KeyPartCheck = (part) => TIMESTAMP.test(part);
export const isTextPart: KeyPartCheck = (part) => part.length <= 1_000;

/** The key a cursor holds; a cursor of another list, or not a cursor at all, is the client's mistake (422). */
export function decodeCursor(cursor: string, list: string, checks: KeyPartCheck[]): string[] {
  const parts = parseJson(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (
    !Array.isArray(parts) ||
    parts.length !== checks.length + 1 ||
    parts[0] !== list ||
    !checks.every((check, i) => typeof parts[i + 1] === 'string' && check(parts[i + 1]))
  ) {
    throw new RuleViolationError('cursor is not one this list gave out', 'invalid-cursor', {
      field: 'cursor',
    });
  }
  return parts.slice(1) as string[];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * Runs one keyset page: asks for one row more than the page holds, to know
 * whether there is a next page without counting.
 */
export function pageOf<Row, Item>(
  rows: Row[],
  size: number,
  toItem: (row: Row) => Item,
  cursorOf: (row: Row) => CursorKey,
): Page<Item> {
  const more = rows.length > size;
  const shown = more ? rows.slice(0, size) : rows;
  return {
    items: shown.map(toItem),
    nextCursor: more ? encodeCursor(cursorOf(shown[shown.length - 1])) : null,
  };
}
