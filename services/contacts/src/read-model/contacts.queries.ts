// The API's reads of contacts: one contact with its properties and tags,
// the filtered list with cursor pagination, and a contact's properties and
// tags in detail. Erased contacts are gone to every reader (null, never
// listed); soft-deleted ones are returned by id with status deleted, and
// listed only when the filter asks for status deleted.
import { RuleViolationError } from '@engagement/decider';
import { MAX_LEAD_SCORE, MIN_LEAD_SCORE } from '../domain/field-checks';
import { isUuid } from '../domain/identifiers';
import { canonicalTimestamp } from '../domain/iso-time';
import {
  decodeCursor,
  isTimestampPart,
  isUuidPart,
  pageOf,
  pageSize,
  type Page,
  type PageRequest,
} from './cursor';
import {
  toContactTagView,
  toContactView,
  toPropertyView,
  type ContactQueryRow,
  type ContactTagQueryRow,
  type ContactTagView,
  type ContactView,
  type PropertyQueryRow,
  type PropertyView,
} from './contact-views';
import { schemaOf, type Queryable, type ReadModelSource } from './read-model-source';

export interface ContactListFilter {
  /** Exactly this status; when left out, every status but deleted. */
  status?: string;
  lifecycleStage?: string;
  /** Contacts carrying the tag with this slug. */
  tag?: string;
  /**
   * Contacts whose property `name` has exactly this value, compared in the
   * stored canonical form (numbers as "42", booleans as "true").
   */
  property?: { name: string; value: string };
  leadScoreMin?: number;
  leadScoreMax?: number;
  /** ISO 8601: contacts changed at or after this time. */
  updatedSince?: string;
}

export interface ContactListRequest extends PageRequest {
  /**
   * By (updated_at, id). Ascending (the default) suits syncing: a contact
   * changed while a client pages moves behind its cursor and is seen again,
   * never skipped. Descending shows the latest changes first.
   */
  order?: 'asc' | 'desc';
}

type ContactListRow = ContactQueryRow & { cursor_updated_at: string };

/** The contact row with its properties ([name, value, type] by name) and tag slugs, from one snapshot. */
function contactSelect(s: string): string {
  return `SELECT c.id, c.email, c.phone, c.first_name, c.last_name, c.external_mappings,
       c.timezone, c.locale, c.avatar_url, c.consent, c.lifecycle_stage, c.lead_score,
       c.last_activity_at, c.status, c.deleted_at, c.created_at, c.updated_at,
       to_json(c.updated_at) #>> '{}' AS cursor_updated_at,
       COALESCE((SELECT jsonb_agg(jsonb_build_array(p.property_name, p.property_value, p.property_type)
                                  ORDER BY p.property_name)
                   FROM ${s}.contact_properties p WHERE p.contact_id = c.id), '[]'::jsonb) AS property_list,
       COALESCE((SELECT jsonb_agg(t.slug ORDER BY t.slug)
                   FROM ${s}.contact_tags ct JOIN ${s}.tags t ON t.id = ct.tag_id
                  WHERE ct.contact_id = c.id), '[]'::jsonb) AS tag_slugs
  FROM ${s}.contacts c`;
}

/** The contact with its properties and tags; null when there is none or it was erased. */
export async function getContact(
  source: ReadModelSource,
  contactId: string,
): Promise<ContactView | null> {
  if (!isUuid(contactId)) return null;
  const { rows } = await source.db.query<ContactListRow>(
    `${contactSelect(schemaOf(source))} WHERE c.id = $1 AND c.erased_at IS NULL`,
    [contactId],
  );
  return rows.length === 0 ? null : toContactView(rows[0]);
}

export async function listContacts(
  source: ReadModelSource,
  filter: ContactListFilter = {},
  request: ContactListRequest = {},
): Promise<Page<ContactView>> {
  const size = pageSize(request.limit);
  const order = request.order ?? 'asc';
  const list = `contacts:${order}`;
  const s = schemaOf(source);
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  const where = ['c.erased_at IS NULL'];

  where.push(
    filter.status === undefined
      ? `c.status IS DISTINCT FROM 'deleted'`
      : `c.status = ${param(filter.status)}`,
  );
  if (filter.lifecycleStage !== undefined)
    where.push(`c.lifecycle_stage = ${param(filter.lifecycleStage)}`);
  if (filter.tag !== undefined) {
    where.push(`EXISTS (SELECT 1 FROM ${s}.contact_tags ct JOIN ${s}.tags t ON t.id = ct.tag_id
                         WHERE ct.contact_id = c.id AND t.slug = ${param(filter.tag)})`);
  }
  if (filter.property !== undefined) {
    where.push(`EXISTS (SELECT 1 FROM ${s}.contact_properties p
                         WHERE p.contact_id = c.id AND p.property_name = ${param(filter.property.name)}
                           AND p.property_value = ${param(filter.property.value)})`);
  }
  if (filter.leadScoreMin !== undefined)
    where.push(`c.lead_score >= ${param(checkScore('leadScoreMin', filter.leadScoreMin))}`);
  if (filter.leadScoreMax !== undefined)
    where.push(`c.lead_score <= ${param(checkScore('leadScoreMax', filter.leadScoreMax))}`);
  if (filter.updatedSince !== undefined)
    where.push(
      `c.updated_at >= ${param(checkTime('updatedSince', filter.updatedSince))}::timestamptz`,
    );
  if (request.cursor) {
    const [updatedAt, id] = decodeCursor(request.cursor, list, [isTimestampPart, isUuidPart]);
    const after = order === 'asc' ? '>' : '<';
    where.push(
      `(c.updated_at, c.id) ${after} (${param(updatedAt)}::timestamptz, ${param(id)}::uuid)`,
    );
  }

  const direction = order === 'asc' ? 'ASC' : 'DESC';
  const { rows } = await source.db.query<ContactListRow>(
    `${contactSelect(s)} WHERE ${where.join(' AND ')}
      ORDER BY c.updated_at ${direction}, c.id ${direction} LIMIT ${size + 1}`,
    params,
  );
  return pageOf(rows, size, toContactView, (row) => ({
    list,
    key: [row.cursor_updated_at, row.id],
  }));
}

/** The contact's properties in detail, by name; null when there is no such contact. */
export async function listContactProperties(
  source: ReadModelSource,
  contactId: string,
): Promise<PropertyView[] | null> {
  if (!(await contactExists(source.db, schemaOf(source), contactId))) return null;
  const { rows } = await source.db.query<PropertyQueryRow>(
    `SELECT property_name, property_value, property_type, source, crm_field_mappings,
            last_synced_at, created_at, updated_at
       FROM ${schemaOf(source)}.contact_properties WHERE contact_id = $1 ORDER BY property_name`,
    [contactId],
  );
  return rows.map(toPropertyView);
}

/** The contact's tags in detail, by slug; null when there is no such contact. */
export async function listContactTags(
  source: ReadModelSource,
  contactId: string,
): Promise<ContactTagView[] | null> {
  const s = schemaOf(source);
  if (!(await contactExists(source.db, s, contactId))) return null;
  const { rows } = await source.db.query<ContactTagQueryRow>(
    `SELECT ct.tag_id, t.slug, t.name, ct.applied_at, ct.applied_by
       FROM ${s}.contact_tags ct JOIN ${s}.tags t ON t.id = ct.tag_id
      WHERE ct.contact_id = $1 ORDER BY t.slug`,
    [contactId],
  );
  return rows.map(toContactTagView);
}

/** A contact that a reader may see: it exists and was not erased. */
export async function contactExists(db: Queryable, s: string, contactId: string): Promise<boolean> {
  if (!isUuid(contactId)) return false;
  const { rowCount } = await db.query(
    `SELECT 1 FROM ${s}.contacts WHERE id = $1 AND erased_at IS NULL`,
    [contactId],
  );
  return rowCount === 1;
}

// Filters are checked before they reach SQL: a bad one is the client's mistake (422), not a 500.

function checkScore(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < MIN_LEAD_SCORE || value > MAX_LEAD_SCORE) {
    throw new RuleViolationError(`${field} must be a 32-bit integer`, 'invalid-filter', { field });
  }
  return value;
}

function checkTime(field: string, value: string): string {
  const timestamp = canonicalTimestamp(value);
  if (timestamp === null) {
    throw new RuleViolationError(
      `${field} must be an ISO 8601 timestamp with a zone`,
      'invalid-filter',
      { field },
    );
  }
  return timestamp;
}
