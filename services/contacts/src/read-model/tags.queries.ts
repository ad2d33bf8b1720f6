// The API's reads of tags: the list (by slug, cursor-paged) and one tag by
// id or by slug, each with the number of contacts it is applied to.
import { isUuid } from '../domain/identifiers';
import { decodeCursor, isTextPart, pageOf, pageSize, type Page, type PageRequest } from './cursor';
import { toTagView, type TagQueryRow, type TagView } from './contact-views';
import { schemaOf, type ReadModelSource } from './read-model-source';

const LIST = 'tags';

function tagSelect(s: string): string {
  return `SELECT t.*,
       (SELECT count(*)::int FROM ${s}.contact_tags ct WHERE ct.tag_id = t.id) AS contact_count
  FROM ${s}.tags t`;
}

export async function listTags(
  source: ReadModelSource,
  request: PageRequest = {},
): Promise<Page<TagView>> {
  const size = pageSize(request.limit);
  const params: unknown[] = [];
  let where = '';
  if (request.cursor) {
    const [slug] = decodeCursor(request.cursor, LIST, [isTextPart]);
    params.push(slug);
    where = 'WHERE t.slug > $1';
  }
  const { rows } = await source.db.query<TagQueryRow>(
    `${tagSelect(schemaOf(source))} ${where} ORDER BY t.slug LIMIT ${size + 1}`,
    params,
  );
  return pageOf(rows, size, toTagView, (row) => ({ list: LIST, key: [row.slug] }));
}

export async function getTagById(source: ReadModelSource, tagId: string): Promise<TagView | null> {
  if (!isUuid(tagId)) return null;
  const { rows } = await source.db.query<TagQueryRow>(
    `${tagSelect(schemaOf(source))} WHERE t.id = $1`,
    [tagId],
  );
  return rows.length === 0 ? null : toTagView(rows[0]);
}

export async function getTagBySlug(source: ReadModelSource, slug: string): Promise<TagView | null> {
  const { rows } = await source.db.query<TagQueryRow>(
    `${tagSelect(schemaOf(source))} WHERE t.slug = $1`,
    [slug],
  );
  return rows.length === 0 ? null : toTagView(rows[0]);
}
