// From the CRM's field names back to ours: the same data as the push
// (mapping/field-mapping.ts) read the other way. The integration's
// field_mappings first, then the provider's defaults; lifecycle stages by
// the provider's stage names reversed. A CRM field with no field here is
// ignored (and reported), never a failure.
import type { FieldMappings } from '../mapping/field-mapping';

/** What a contact request to the contacts service carries (PUT /contacts, PATCH /contacts/:id). */
export interface ContactChanges {
  email?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  phone?: string | null;
  lifecycleStage?: string | null;
  /** Custom properties: null removes. */
  properties: Record<string, string | null>;
  /** CRM fields nothing here corresponds to. */
  ignored: string[];
}

const IDENTITY: Record<string, 'email' | 'firstName' | 'lastName' | 'phone'> = {
  email: 'email',
  first_name: 'firstName',
  last_name: 'lastName',
  phone: 'phone',
};

/** CRM field → our field (the seed's names: first_name, company, ...). */
export function reverseFieldMap(provider: string, integrationMappings: FieldMappings, providerDefaults: Record<string, string>): Record<string, string> {
  const reverse: Record<string, string> = {};
  for (const [ours, crm] of Object.entries(providerDefaults)) reverse[crm] = ours;
  // The integration's own mappings win over the defaults.
  for (const [ours, byProvider] of Object.entries(integrationMappings ?? {})) {
    const crm = byProvider?.[provider];
    if (typeof crm === 'string' && crm !== '') reverse[crm] = ours;
  }
  return reverse;
}

export function toContactChanges(
  take: Record<string, string | null>,
  reverse: Record<string, string>,
  lifecycleStages: Record<string, string>,
): ContactChanges {
  const stageOf = Object.fromEntries(Object.entries(lifecycleStages).map(([ours, crm]) => [crm, ours]));
  const changes: ContactChanges = { properties: {}, ignored: [] };
  for (const [crmField, value] of Object.entries(take)) {
    const ours = reverse[crmField];
    if (ours === undefined || ours === 'lead_score') {
      // Lead scores are computed here from activities: never taken from a CRM.
      changes.ignored.push(crmField);
    } else if (IDENTITY[ours]) {
      changes[IDENTITY[ours]] = value;
    } else if (ours === 'lifecycle_stage') {
      changes.lifecycleStage = value === null ? null : (stageOf[value] ?? value);
    } else {
      changes.properties[ours] = value;
    }
  }
  return changes;
}

/** Our field name of a CRM field (for the conflict policy, which is set per our field). */
export function ourFieldOf(crmField: string, reverse: Record<string, string>): string {
  return reverse[crmField] ?? crmField;
}
