// What the pusher asks of crm_field_state (inbound-ddl.ts): which contacts
// the CRM already has exactly as we would send them (a change that came
// from that CRM, or from another one with the same values: no push, so no
// loop), and recording what a push sent (so its echo is recognised).
import { quoteIdent } from '@engagement/projections';
import type { Pool } from 'pg';
import type { ContactPush, CrmTag } from '../sync/crm-adapter';
import { normalised } from './inbound-plan';

/** The pseudo-field holding the CRM's tag set (sorted names, JSON), when the CRM has tags. */
export const TAGS_FIELD = '__tags';

/** A tag's name in the CRM: its tag mapping, else its slug. */
export function crmTagName(tag: Pick<CrmTag, 'slug' | 'mappingType' | 'externalId'>): string {
  return tag.mappingType === 'tag' && tag.externalId ? tag.externalId : tag.slug;
}

export function tagSetValue(names: string[]): string {
  return JSON.stringify([...new Set(names)].sort());
}

export class CrmFieldState {
  private readonly s: string;

  constructor(
    private readonly pool: Pool,
    schema: string,
  ) {
    this.s = quoteIdent(schema);
  }

  /** Contacts (ids) the CRM already has with every field we would send and no tag to change. */
  async alreadyInCrm(items: ContactPush[]): Promise<Set<string>> {
    const candidates = items.filter((i) => i.externalId !== null && !i.emailChanged);
    if (candidates.length === 0) return new Set();
    const { rows } = await this.pool.query<{ contact_id: string; field: string; value: string | null }>(
      `SELECT contact_id, field, value FROM ${this.s}.crm_field_state WHERE contact_id = ANY($1::uuid[])`,
      [candidates.map((i) => i.contactId)],
    );
    const known = new Map<string, Map<string, string | null>>();
    for (const r of rows) {
      if (!known.has(r.contact_id)) known.set(r.contact_id, new Map());
      known.get(r.contact_id)!.set(r.field, r.value);
    }
    const same = new Set<string>();
    for (const item of candidates) {
      const fields = known.get(item.contactId);
      if (!fields) continue;
      const all = Object.entries(item.fields).every(([f, v]) => fields.has(f) && normalised(fields.get(f)) === normalised(v));
      // Tags to change: only when the CRM is known to have this very set already (it told us, or we pushed it).
      const tagsChange = item.tags.added.length + item.tags.removed.length > 0;
      const tagsThere = !tagsChange || fields.get(TAGS_FIELD) === tagSetValue(item.tags.current.map(crmTagName));
      if (all && tagsThere) same.add(item.contactId);
    }
    return same;
  }

  /**
   * A push succeeded: the CRM has these values now. Their time is that of our
   * change the push carried (the contact's changed_at), so that the conflict
   * policy compares the two changes' own times, not when they travelled.
   */
  async pushed(contactId: string, fields: Record<string, string>, at: string, tagNames?: string[]): Promise<void> {
    const entries = Object.entries(tagNames === undefined ? fields : { ...fields, [TAGS_FIELD]: tagSetValue(tagNames) });
    if (entries.length === 0) return;
    await this.pool.query(
      `INSERT INTO ${this.s}.crm_field_state (contact_id, field, value, origin, at, landed_at)
       SELECT $1, f, v, 'pushed', LEAST($4::timestamptz, COALESCE((SELECT changed_at FROM ${this.s}.sync_contacts WHERE contact_id = $1), $4::timestamptz)), $4::timestamptz
         FROM unnest($2::text[], $3::text[]) AS t(f, v)
        -- A push that finishes after the contact's erasure leaves nothing of it behind.
        WHERE NOT EXISTS (SELECT 1 FROM ${this.s}.sync_contacts WHERE contact_id = $1 AND erased)
       ON CONFLICT (contact_id, field) DO UPDATE SET value = EXCLUDED.value, origin = 'pushed', at = EXCLUDED.at, landed_at = EXCLUDED.landed_at`,
      [contactId, entries.map(([f]) => f), entries.map(([, v]) => normalised(v)), at],
    );
  }
}
