// The rows of the contacts read model as the projection reads and writes
// them: one type per seed table, field for column (snake_case, as stored),
// and the column types the bulk writes declare. Times are ISO 8601 strings
// throughout: they go in as the events carry them and come back out of
// to_jsonb() at full precision, so a row read and written back is unchanged.

/** One entry of contacts.external_mappings, in the seed's documented shape. */
export type ExternalMappingJson = {
  provider: string;
  /** The CRM's id for the contact; null only when its encryption key was destroyed. */
  id: string | null;
  url?: string;
  synced_at?: string;
  sync_direction: string;
};

/** contacts.consent: channel → {granted, updated_at, ip}, the seed's documented shape. */
export type ConsentJson = {
  [channel: string]: { granted: boolean; updated_at?: string; ip?: string };
};

export interface ContactRow {
  id: string;
  email: string;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  external_mappings: ExternalMappingJson[];
  timezone: string;
  locale: string;
  avatar_url: string | null;
  consent: ConsentJson;
  lifecycle_stage: string;
  lead_score: number;
  last_activity_at: string | null;
  status: string;
  deleted_at: string | null;
  created_at: string;
  updated_at: string;
  erased_at: string | null;
}

export interface PropertyRow {
  id: string;
  contact_id: string;
  property_name: string;
  property_value: string | null;
  property_type: string;
  crm_field_mappings: Record<string, string>;
  source: string;
  last_synced_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface TagRow {
  id: string;
  name: string;
  slug: string;
  color: string | null;
  description: string | null;
  category: string | null;
  crm_tag_mappings: { [provider: string]: { type: string; id: string } };
  is_system: boolean;
  created_at: string;
  updated_at: string;
}

export interface ContactTagRow {
  id: string;
  contact_id: string;
  tag_id: string;
  applied_at: string;
  applied_by: string;
}

export interface ActivityRow {
  id: string;
  contact_id: string;
  activity_type: string;
  activity_data: { [key: string]: unknown };
  related_to_type: string | null;
  related_to_id: string | null;
  source: string;
  synced_to_crms: unknown[];
  occurred_at: string;
  created_at: string;
}

/** Column → SQL type, for jsonb_to_recordset(); the compiler keeps it in step with the row type. */
export type ColumnTypes<Row> = { readonly [Column in keyof Row]-?: string };

export const CONTACT_COLUMNS: ColumnTypes<ContactRow> = {
  id: 'uuid',
  email: 'text',
  phone: 'text',
  first_name: 'text',
  last_name: 'text',
  external_mappings: 'jsonb',
  timezone: 'text',
  locale: 'text',
  avatar_url: 'text',
  consent: 'jsonb',
  lifecycle_stage: 'text',
  lead_score: 'integer',
  last_activity_at: 'timestamptz',
  status: 'text',
  deleted_at: 'timestamptz',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  erased_at: 'timestamptz',
};

export const PROPERTY_COLUMNS: ColumnTypes<PropertyRow> = {
  id: 'uuid',
  contact_id: 'uuid',
  property_name: 'text',
  property_value: 'text',
  property_type: 'text',
  crm_field_mappings: 'jsonb',
  source: 'text',
  last_synced_at: 'timestamptz',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
};

export const TAG_COLUMNS: ColumnTypes<TagRow> = {
  id: 'uuid',
  name: 'text',
  slug: 'text',
  color: 'text',
  description: 'text',
  category: 'text',
  crm_tag_mappings: 'jsonb',
  is_system: 'boolean',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
};

export const CONTACT_TAG_COLUMNS: ColumnTypes<ContactTagRow> = {
  id: 'uuid',
  contact_id: 'uuid',
  tag_id: 'uuid',
  applied_at: 'timestamptz',
  applied_by: 'text',
};

export const ACTIVITY_COLUMNS: ColumnTypes<ActivityRow> = {
  id: 'uuid',
  contact_id: 'uuid',
  activity_type: 'text',
  activity_data: 'jsonb',
  related_to_type: 'text',
  related_to_id: 'uuid',
  source: 'text',
  synced_to_crms: 'jsonb',
  occurred_at: 'timestamptz',
  created_at: 'timestamptz',
};
