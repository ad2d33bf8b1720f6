// GDPR export, the read model's part: everything the contacts read model
// holds on one contact (the row, its properties, tags and activities), read
// from one snapshot. The write side adds the contact's event history.
import {
  toActivityView,
  toContactTagView,
  toPropertyView,
  type ActivityQueryRow,
  type ActivityView,
  type ContactTagQueryRow,
  type ContactTagView,
  type ContactView,
  type PropertyQueryRow,
  type PropertyView,
} from './contact-views';
import { getContact } from './contacts.queries';
import { inSnapshot, schemaOf, type ReadModelSource } from './read-model-source';

export interface ContactReadModelExport {
  contact: ContactView;
  properties: PropertyView[];
  tags: ContactTagView[];
  /** Every activity, oldest first. */
  activities: ActivityView[];
}

/** Null when there is no such contact, or it was erased (nothing personal is held any more). */
export async function exportContactReadModel(
  source: ReadModelSource,
  contactId: string,
): Promise<ContactReadModelExport | null> {
  const s = schemaOf(source);
  return inSnapshot(source.db, async (db) => {
    const contact = await getContact({ db, schema: source.schema }, contactId);
    if (contact === null) return null;
    const properties = await db.query<PropertyQueryRow>(
      `SELECT * FROM ${s}.contact_properties WHERE contact_id = $1 ORDER BY property_name`,
      [contactId],
    );
    const tags = await db.query<ContactTagQueryRow>(
      `SELECT ct.tag_id, t.slug, t.name, ct.applied_at, ct.applied_by
         FROM ${s}.contact_tags ct JOIN ${s}.tags t ON t.id = ct.tag_id
        WHERE ct.contact_id = $1 ORDER BY t.slug`,
      [contactId],
    );
    const activities = await db.query<ActivityQueryRow>(
      `SELECT * FROM ${s}.activities WHERE contact_id = $1 ORDER BY occurred_at, id`,
      [contactId],
    );
    return {
      contact,
      properties: properties.rows.map(toPropertyView),
      tags: tags.rows.map(toContactTagView),
      activities: activities.rows.map(toActivityView),
    };
  });
}
