// Which CRM field each of our contact fields goes to, decided from data:
// 1. the integration's field_mappings (seed: {"company": {"hubspot": "company",
//    "gohighlevel": "custom_company"}}), the most specific;
// 2. a property's own crm_field_mappings (seed: contact_properties), next;
// 3. the provider's defaults for the fields every CRM has (email, names,
//    phone, lifecycle stage, lead score).
// A property with none of these is skipped and reported, never a failure:
// a customer may store properties their CRM has no field for.

/** What we know of a contact when we push it (decrypted, current). */
export interface ContactSnapshot {
  email: string;
  firstName: string | null;
  lastName: string | null;
  phone: string | null;
  lifecycleStage: string | null;
  leadScore: number | null;
  /** Custom properties by name, canonical string values. */
  properties: Record<string, string>;
}

/** our field → provider → CRM field (the seed's field_mappings shape). */
export type FieldMappings = Record<string, Record<string, string>>;

export interface MappingInput {
  provider: string;
  contact: ContactSnapshot;
  integrationMappings: FieldMappings;
  /** property name → provider → CRM field (contact_properties.crm_field_mappings). */
  propertyMappings: FieldMappings;
  providerDefaults: Record<string, string>;
  /** Our lifecycle stage → the CRM's value, where the CRM names stages differently. */
  lifecycleStages: Record<string, string>;
}

export interface MappedContact {
  /** CRM field → value. */
  fields: Record<string, string>;
  /** Our fields and properties that have no CRM field for this provider. */
  skipped: string[];
}

/** Our standard fields, in the names field_mappings use (the seed's column names). */
const STANDARD_FIELDS = ['email', 'first_name', 'last_name', 'phone', 'lifecycle_stage', 'lead_score'] as const;

function standardValue(contact: ContactSnapshot, field: (typeof STANDARD_FIELDS)[number], stages: Record<string, string>): string | null {
  switch (field) {
    case 'email':
      return contact.email;
    case 'first_name':
      return contact.firstName;
    case 'last_name':
      return contact.lastName;
    case 'phone':
      return contact.phone;
    case 'lifecycle_stage':
      return contact.lifecycleStage === null ? null : (stages[contact.lifecycleStage] ?? contact.lifecycleStage);
    case 'lead_score':
      return contact.leadScore === null ? null : String(contact.leadScore);
  }
}

function targetOf(input: MappingInput, ourField: string, isProperty: boolean): string | null {
  const fromIntegration = input.integrationMappings[ourField]?.[input.provider];
  if (typeof fromIntegration === 'string' && fromIntegration !== '') return fromIntegration;
  if (isProperty) {
    const fromProperty = input.propertyMappings[ourField]?.[input.provider];
    if (typeof fromProperty === 'string' && fromProperty !== '') return fromProperty;
  }
  return input.providerDefaults[ourField] ?? null;
}

export function mapContactFields(input: MappingInput): MappedContact {
  const fields: Record<string, string> = {};
  const skipped: string[] = [];
  for (const field of STANDARD_FIELDS) {
    const value = standardValue(input.contact, field, input.lifecycleStages);
    if (value === null) continue;
    const target = targetOf(input, field, false);
    if (target === null) skipped.push(field);
    else fields[target] = value;
  }
  for (const [name, value] of Object.entries(input.contact.properties).sort(([a], [b]) => a.localeCompare(b))) {
    const target = targetOf(input, name, true);
    if (target === null) skipped.push(name);
    // A standard field set above wins over a property mapped onto the same CRM field.
    else if (!(target in fields)) fields[target] = value;
  }
  return { fields, skipped };
}
