// Reads of messaging's read model for the GET endpoints: rows of the seed
// tables, answered in camelCase.
import { NotFoundError } from '@engagement/decider';
import { quoteIdent } from '@engagement/projections';
import type { Pool } from 'pg';

export type ReadModelSource = { pool: Pool; schema: string };

const camel = (row: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(row).map(([k, v]) => [
      k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()),
      v,
    ]),
  );

async function one(source: ReadModelSource, table: string, id: string, what: string) {
  const { rows } = await source.pool.query(
    `SELECT * FROM ${quoteIdent(source.schema)}.${table} WHERE id = $1`,
    [id],
  );
  if (!rows[0]) throw new NotFoundError(`${what} ${id} not found`, `${what}-not-found`);
  return camel(rows[0]);
}

export const getTemplate = (s: ReadModelSource, id: string) =>
  one(s, 'message_templates', id, 'template');
export const getMessage = (s: ReadModelSource, id: string) =>
  one(s, 'sent_messages', id, 'message');
export const getCampaign = (s: ReadModelSource, id: string) => one(s, 'campaigns', id, 'campaign');

export async function listTemplates(s: ReadModelSource, limit: number) {
  const { rows } = await s.pool.query(
    `SELECT * FROM ${quoteIdent(s.schema)}.message_templates ORDER BY slug LIMIT $1`,
    [limit],
  );
  return { items: rows.map(camel) };
}

export async function listMessages(
  s: ReadModelSource,
  filter: { contactId?: string; campaignId?: string; status?: string },
  limit: number,
) {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const [column, value] of [
    ['contact_id', filter.contactId],
    ['campaign_id', filter.campaignId],
    ['status', filter.status],
  ] as const) {
    if (value !== undefined) {
      params.push(value);
      where.push(`${column} = $${params.length}`);
    }
  }
  params.push(limit);
  const { rows } = await s.pool.query(
    `SELECT * FROM ${quoteIdent(s.schema)}.sent_messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at DESC, id LIMIT $${params.length}`,
    params,
  );
  return { items: rows.map(camel) };
}

export async function listCampaigns(s: ReadModelSource, limit: number) {
  const { rows } = await s.pool.query(
    `SELECT * FROM ${quoteIdent(s.schema)}.campaigns ORDER BY created_at DESC, id LIMIT $1`,
    [limit],
  );
  return { items: rows.map(camel) };
}

/** Per-variant counts of an A/B parent: sent, delivered, opened, clicked, per variant template. */
export async function variantStats(s: ReadModelSource, parentTemplateId: string) {
  const { rows } = await s.pool.query(
    `SELECT t.id AS template_id, t.variant_name,
            count(m.sent_at)::int AS sent, count(m.delivered_at)::int AS delivered,
            count(m.opened_at)::int AS opened, count(m.clicked_at)::int AS clicked
       FROM ${quoteIdent(s.schema)}.message_templates t
       LEFT JOIN ${quoteIdent(s.schema)}.sent_messages m ON m.template_id = t.id
      WHERE t.id = $1 OR t.parent_template_id = $1
      GROUP BY t.id, t.variant_name ORDER BY t.variant_name NULLS FIRST`,
    [parentTemplateId],
  );
  return { items: rows.map(camel) };
}
