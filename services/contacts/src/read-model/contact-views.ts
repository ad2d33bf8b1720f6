// What the API returns for the read model's rows: plain, JSON-ready objects
// in camelCase, in the style of the seed's API examples (firstName,
// lastName, properties as a name → value map, tags by slug). The seed's
// JSONB shapes (external_mappings, consent, crm_tag_mappings,
// synced_to_crms) come out camelCased too, so a client sees one naming
// style. Pure functions from query rows (as pg returns them: Date for
// timestamptz, parsed JSON for jsonb) to views.
import type { ConsentJson, ExternalMappingJson } from './contacts-read-model.rows';

/** A property's value in its type: numbers and booleans as JSON numbers and booleans. */
export type PropertyValue = string | number | boolean | null;

export interface ExternalMappingView {
  provider: string;
  id: string | null;
  url: string | null;
  syncedAt: string | null;
  syncDirection: string;
}

export interface ConsentView {
  granted: boolean;
  updatedAt: string | null;
  ip: string | null;
}

export interface ContactView {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  phone: string | null;
  timezone: string;
  locale: string;
  avatarUrl: string | null;
  externalMappings: ExternalMappingView[];
  consent: Record<string, ConsentView>;
  lifecycleStage: string;
  leadScore: number;
  lastActivityAt: string | null;
  status: string;
  deletedAt: string | null;
  /** name → value, as POST /api/contacts takes them. */
  properties: Record<string, PropertyValue>;
  /** Slugs, sorted, as POST /api/contacts takes them. */
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

export interface PropertyView {
  name: string;
  value: PropertyValue;
  type: string;
  source: string;
  crmFieldMappings: Record<string, string>;
  lastSyncedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ContactTagView {
  tagId: string;
  slug: string;
  name: string;
  appliedAt: string;
  appliedBy: string;
}

export interface ActivityView {
  id: string;
  contactId: string;
  activityType: string;
  /** As recorded: its keys are the caller's, not renamed. */
  activityData: Record<string, unknown>;
  relatedToType: string | null;
  relatedToId: string | null;
  source: string | null;
  syncedToCrms: Array<{ provider: string; activityId: string | null; syncedAt: string | null }>;
  occurredAt: string;
  createdAt: string;
}

export interface TagView {
  id: string;
  name: string;
  slug: string;
  color: string | null;
  description: string | null;
  category: string | null;
  crmTagMappings: Record<string, { type: string; id: string }>;
  isSystem: boolean;
  /** Contacts the tag is applied to now (deleted ones included, erased ones too: counts stay). */
  contactCount: number;
  createdAt: string;
  updatedAt: string;
}

// ---------------------------------------------------------------- rows as queried

export interface ContactQueryRow {
  id: string;
  email: string;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  external_mappings: ExternalMappingJson[] | null;
  timezone: string | null;
  locale: string | null;
  avatar_url: string | null;
  consent: ConsentJson | null;
  lifecycle_stage: string | null;
  lead_score: number | null;
  last_activity_at: Date | null;
  status: string | null;
  deleted_at: Date | null;
  created_at: Date;
  updated_at: Date;
  /** [name, value, type] per property, by name. */
  property_list: Array<[string, string | null, string | null]>;
  tag_slugs: string[];
}

export interface PropertyQueryRow {
  property_name: string;
  property_value: string | null;
  property_type: string | null;
  source: string | null;
  crm_field_mappings: Record<string, string> | null;
  last_synced_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface ContactTagQueryRow {
  tag_id: string;
  slug: string;
  name: string;
  applied_at: Date;
  applied_by: string | null;
}

export interface ActivityQueryRow {
  id: string;
  contact_id: string;
  activity_type: string;
  activity_data: Record<string, unknown>;
  related_to_type: string | null;
  related_to_id: string | null;
  source: string | null;
  synced_to_crms: Array<Record<string, unknown>> | null;
  occurred_at: Date;
  created_at: Date;
}

export interface TagQueryRow {
  id: string;
  name: string;
  slug: string;
  color: string | null;
  description: string | null;
  category: string | null;
  crm_tag_mappings: Record<string, { type: string; id: string }> | null;
  is_system: boolean | null;
  contact_count: number;
  created_at: Date;
  updated_at: Date;
}

// ---------------------------------------------------------------- mapping

function iso(value: Date | null): string | null {
  return value === null ? null : value.toISOString();
}

/** contact_properties.property_value is text; the type says how to read it back. */
export function typedPropertyValue(value: string | null, type: string | null): PropertyValue {
  if (value === null) return null;
  if (type === 'number') return Number(value);
  if (type === 'boolean') return value === 'true';
  return value;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export function toContactView(row: ContactQueryRow): ContactView {
  return {
    id: row.id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    phone: row.phone,
    timezone: row.timezone ?? 'America/Los_Angeles',
    locale: row.locale ?? 'en',
    avatarUrl: row.avatar_url,
    externalMappings: (row.external_mappings ?? []).map((m) => ({
      provider: m.provider,
      id: m.id,
      url: m.url ?? null,
      syncedAt: m.synced_at ?? null,
      syncDirection: m.sync_direction,
    })),
    consent: Object.fromEntries(
      Object.entries(row.consent ?? {}).map(([channel, entry]) => [
        channel,
        { granted: entry.granted, updatedAt: entry.updated_at ?? null, ip: entry.ip ?? null },
      ]),
    ),
    lifecycleStage: row.lifecycle_stage ?? 'lead',
    leadScore: row.lead_score ?? 0,
    lastActivityAt: iso(row.last_activity_at),
    status: row.status ?? 'active',
    deletedAt: iso(row.deleted_at),
    properties: Object.fromEntries(
      row.property_list.map(([name, value, type]) => [name, typedPropertyValue(value, type)]),
    ),
    tags: row.tag_slugs,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function toPropertyView(row: PropertyQueryRow): PropertyView {
  return {
    name: row.property_name,
    value: typedPropertyValue(row.property_value, row.property_type),
    type: row.property_type ?? 'string',
    source: row.source ?? 'manual',
    crmFieldMappings: row.crm_field_mappings ?? {},
    lastSyncedAt: iso(row.last_synced_at),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function toContactTagView(row: ContactTagQueryRow): ContactTagView {
  return {
    tagId: row.tag_id,
    slug: row.slug,
    name: row.name,
    appliedAt: row.applied_at.toISOString(),
    appliedBy: row.applied_by ?? 'user',
  };
}

export function toActivityView(row: ActivityQueryRow): ActivityView {
  return {
    id: row.id,
    contactId: row.contact_id,
    activityType: row.activity_type,
    activityData: row.activity_data,
    relatedToType: row.related_to_type,
    relatedToId: row.related_to_id,
    source: row.source,
    syncedToCrms: (row.synced_to_crms ?? []).map((s) => ({
      provider: String(s.provider),
      activityId: stringOrNull(s.activity_id),
      syncedAt: stringOrNull(s.synced_at),
    })),
    occurredAt: row.occurred_at.toISOString(),
    createdAt: row.created_at.toISOString(),
  };
}

export function toTagView(row: TagQueryRow): TagView {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    color: row.color,
    description: row.description,
    category: row.category,
    crmTagMappings: row.crm_tag_mappings ?? {},
    isSystem: row.is_system ?? false,
    contactCount: row.contact_count,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
