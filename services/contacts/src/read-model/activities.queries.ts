// A contact's activity timeline for the API: newest first, paged by an
// opaque cursor on (occurred_at, id), optionally one activity type only.
import {
  decodeCursor,
  isTimestampPart,
  isUuidPart,
  pageOf,
  pageSize,
  type Page,
  type PageRequest,
} from './cursor';
import { toActivityView, type ActivityQueryRow, type ActivityView } from './contact-views';
import { contactExists } from './contacts.queries';
import { schemaOf, type ReadModelSource } from './read-model-source';

export interface ActivityListRequest extends PageRequest {
  activityType?: string;
}

const LIST = 'activities';

/** The contact's activities, newest first; null when there is no such contact (or it was erased). */
export async function listContactActivities(
  source: ReadModelSource,
  contactId: string,
  request: ActivityListRequest = {},
): Promise<Page<ActivityView> | null> {
  const size = pageSize(request.limit);
  const s = schemaOf(source);
  if (!(await contactExists(source.db, s, contactId))) return null;
  const params: unknown[] = [contactId];
  const param = (value: unknown) => `$${params.push(value)}`;
  const where = ['a.contact_id = $1'];
  if (request.activityType !== undefined)
    where.push(`a.activity_type = ${param(request.activityType)}`);
  if (request.cursor) {
    const [occurredAt, id] = decodeCursor(request.cursor, LIST, [isTimestampPart, isUuidPart]);
    where.push(`(a.occurred_at, a.id) < (${param(occurredAt)}::timestamptz, ${param(id)}::uuid)`);
  }
  const { rows } = await source.db.query<ActivityQueryRow & { cursor_occurred_at: string }>(
    `SELECT a.*, to_json(a.occurred_at) #>> '{}' AS cursor_occurred_at
       FROM ${s}.activities a WHERE ${where.join(' AND ')}
      ORDER BY a.occurred_at DESC, a.id DESC LIMIT ${size + 1}`,
    params,
  );
  return pageOf(rows, size, toActivityView, (row) => ({
    list: LIST,
    key: [row.cursor_occurred_at, row.id],
  }));
}
