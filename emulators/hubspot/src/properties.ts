// The contact properties the emulated portal knows (a subset of HubSpot's
// defaults, plus any custom ones added through the admin API), and the
// validation HubSpot applies to written values: unknown properties are
// PROPERTY_DOESNT_EXIST, read-only ones READ_ONLY_VALUE, malformed emails
// INVALID_EMAIL, non-numbers in number properties INVALID_INTEGER, values
// outside an enumeration INVALID_OPTION.
import { propertyValueError, PropertyValueError } from './errors';

export interface PropertyDefinition {
  name: string;
  label: string;
  type: 'string' | 'number' | 'datetime' | 'date' | 'enumeration' | 'bool';
  fieldType: string;
  groupName: string;
  readOnlyValue: boolean;
  hasUniqueValue: boolean;
  hubspotDefined: boolean;
  options?: string[];
}

function p(
  name: string,
  label: string,
  type: PropertyDefinition['type'] = 'string',
  extra: Partial<PropertyDefinition> = {},
): PropertyDefinition {
  const fieldType = { string: 'text', number: 'number', datetime: 'date', date: 'date', enumeration: 'select', bool: 'booleancheckbox' }[type];
  return {
    name,
    label,
    type,
    fieldType,
    groupName: 'contactinformation',
    readOnlyValue: false,
    hasUniqueValue: false,
    hubspotDefined: true,
    ...extra,
  };
}

export const DEFAULT_CONTACT_PROPERTIES: PropertyDefinition[] = [
  p('email', 'Email'),
  p('firstname', 'First Name'),
  p('lastname', 'Last Name'),
  p('phone', 'Phone Number'),
  p('mobilephone', 'Mobile Phone Number'),
  p('company', 'Company Name'),
  p('website', 'Website URL'),
  p('jobtitle', 'Job Title'),
  p('address', 'Street Address'),
  p('city', 'City'),
  p('state', 'State/Region'),
  p('zip', 'Postal Code'),
  p('country', 'Country/Region'),
  p('date_of_birth', 'Date of birth'),
  p('hs_language', 'Preferred language'),
  p('hs_timezone', 'Time Zone'),
  p('hubspot_owner_id', 'Contact owner', 'enumeration', { options: [] }),
  p('lifecyclestage', 'Lifecycle Stage', 'enumeration', {
    options: ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist', 'other'],
  }),
  p('hs_lead_status', 'Lead Status', 'enumeration', {
    options: ['NEW', 'OPEN', 'IN_PROGRESS', 'OPEN_DEAL', 'UNQUALIFIED', 'ATTEMPTED_TO_CONTACT', 'CONNECTED', 'BAD_TIMING'],
  }),
  p('hs_object_id', 'Record ID', 'number', { readOnlyValue: true, hasUniqueValue: true }),
  p('createdate', 'Create Date', 'datetime', { readOnlyValue: true }),
  p('lastmodifieddate', 'Last Modified Date', 'datetime', { readOnlyValue: true }),
  p('hs_merged_object_ids', 'Merged Contact IDs', 'enumeration', { readOnlyValue: true }),
];

/** Properties a contact answer carries when the caller names none. */
export const DEFAULT_RETURNED = ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'];

export class PropertyCatalogue {
  private readonly byName = new Map<string, PropertyDefinition>();

  constructor(custom: PropertyDefinition[] = []) {
    for (const d of [...DEFAULT_CONTACT_PROPERTIES, ...custom]) this.byName.set(d.name, d);
  }

  get(name: string): PropertyDefinition | undefined {
    return this.byName.get(name);
  }

  all(): PropertyDefinition[] {
    return [...this.byName.values()];
  }

  add(def: PropertyDefinition): void {
    this.byName.set(def.name, def);
  }

  /** Normalised string values, or the list of what is wrong with them. */
  validate(
    input: Record<string, unknown>,
    options: { allowReadOnly?: boolean } = {},
  ): { values: Record<string, string>; errors: PropertyValueError[] } {
    const values: Record<string, string> = {};
    const errors: PropertyValueError[] = [];
    for (const [name, raw] of Object.entries(input)) {
      const def = this.byName.get(name);
      if (!def) {
        errors.push(propertyValueError(name, 'PROPERTY_DOESNT_EXIST', `Property "${name}" does not exist`));
        continue;
      }
      if (def.readOnlyValue && !options.allowReadOnly) {
        errors.push(propertyValueError(name, 'READ_ONLY_VALUE', `"${name}" is a read only property; its value cannot be set.`));
        continue;
      }
      const value = raw === null || raw === undefined ? '' : typeof raw === 'object' ? JSON.stringify(raw) : String(raw);
      const problem = value === '' ? null : checkValue(def, value);
      if (problem) {
        errors.push(propertyValueError(name, problem.error, problem.message));
        continue;
      }
      values[name] = name === 'email' ? value.trim().toLowerCase() : value;
    }
    return { values, errors };
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function checkValue(def: PropertyDefinition, value: string): { error: string; message: string } | null {
  if (def.name === 'email' && !EMAIL.test(value.trim()))
    return { error: 'INVALID_EMAIL', message: `Email address ${value} is invalid` };
  if (def.type === 'number' && !Number.isFinite(Number(value)))
    return { error: 'INVALID_INTEGER', message: `${value} was not a valid number.` };
  if (def.type === 'enumeration' && def.options && def.options.length > 0 && !def.options.includes(value))
    return { error: 'INVALID_OPTION', message: `${value} was not one of the allowed options: ${def.options.join(', ')}` };
  if ((def.type === 'datetime' || def.type === 'date') && toEpochMs(value) === null)
    return { error: 'INVALID_DATE', message: `${value} was not a valid date` };
  return null;
}

/** A date property value (epoch ms or ISO 8601) as epoch ms. */
export function toEpochMs(value: string): number | null {
  if (/^-?\d+$/.test(value)) return Number(value);
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : t;
}

export function propertyJson(def: PropertyDefinition, now: string) {
  return {
    name: def.name,
    label: def.label,
    type: def.type,
    fieldType: def.fieldType,
    description: '',
    groupName: def.groupName,
    options: (def.options ?? []).map((o, i) => ({ label: o, value: o, displayOrder: i, hidden: false })),
    displayOrder: -1,
    calculated: false,
    externalOptions: false,
    hasUniqueValue: def.hasUniqueValue,
    hidden: false,
    hubspotDefined: def.hubspotDefined,
    modificationMetadata: { archivable: !def.hubspotDefined, readOnlyDefinition: def.hubspotDefined, readOnlyValue: def.readOnlyValue },
    formField: !def.readOnlyValue,
    createdAt: now,
    updatedAt: now,
    archived: false,
  };
}
