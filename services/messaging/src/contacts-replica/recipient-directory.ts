// Who a message goes to: the replica's facts (for the send rules) and the
// contact's addresses and names in clear, decrypted at send time through
// the contacts service's data keys (@engagement/personal-data), and never
// stored by messaging in clear except in what was actually sent.
import type { JsonObject } from '@engagement/event-store';
import type { Pool } from 'pg';
import { quoteIdent } from '@engagement/projections';
import type { RecipientFacts } from '../rules/send-rules';

export type Recipient = {
  contactId: string;
  facts: RecipientFacts;
  lifecycleStage: string;
  tags: string[];
  locale: string;
  email: string | null;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  properties: Record<string, string>;
};

/** Turns the replica's encrypted personal fields into clear ones; 'erased' once the contact's keys are gone. */
export type PersonalFieldsReader = (
  contactId: string,
  fields: {
    email: string | null;
    phone: string | null;
    firstName: string | null;
    lastName: string | null;
    properties: Record<string, string>;
  },
) => Promise<
  | {
      email: string | null;
      phone: string | null;
      firstName: string | null;
      lastName: string | null;
      properties: Record<string, string>;
    }
  | 'erased'
>;

type ReplicaRow = {
  contact_id: string;
  status: RecipientFacts['status'];
  consent: Record<string, boolean>;
  timezone: string;
  locale: string;
  lifecycle_stage: string;
  tags: string[];
  properties: Record<string, string>;
  email: string | null;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  erased_at: Date | null;
};

export class RecipientDirectory {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly readPersonal: PersonalFieldsReader,
    /** Fetches many contacts' data keys at once, before findMany decrypts them one by one. */
    private readonly preloadKeys?: (contactIds: readonly string[]) => Promise<void>,
  ) {}

  /** The contact as messaging knows it, with personal fields in clear; null when unknown. */
  async find(contactId: string): Promise<Recipient | null> {
    const { rows } = await this.pool.query<ReplicaRow>(
      `SELECT * FROM ${quoteIdent(this.schema)}.contact_replica WHERE contact_id = $1`,
      [contactId],
    );
    return rows[0] ? this.recipientOf(rows[0]) : null;
  }

  /** Many contacts in one query (a campaign's page); the unknown ones are absent from the map. */
  async findMany(contactIds: readonly string[]): Promise<Map<string, Recipient>> {
    const { rows } = await this.pool.query<ReplicaRow>(
      `SELECT * FROM ${quoteIdent(this.schema)}.contact_replica WHERE contact_id = ANY($1::uuid[])`,
      [contactIds],
    );
    const live = rows.filter((row) => row.erased_at === null).map((row) => row.contact_id);
    if (this.preloadKeys && live.length > 0) await this.preloadKeys(live);
    const found = await Promise.all(rows.map((row) => this.recipientOf(row)));
    return new Map(found.map((recipient) => [recipient.contactId, recipient]));
  }

  private async recipientOf(row: ReplicaRow): Promise<Recipient> {
    const contactId = row.contact_id;
    let personal = {
      email: null,
      phone: null,
      firstName: null,
      lastName: null,
      properties: {},
    } as Awaited<ReturnType<PersonalFieldsReader>>;
    let erased = row.erased_at !== null;
    if (!erased) {
      personal = await this.readPersonal(contactId, {
        email: row.email,
        phone: row.phone,
        firstName: row.first_name,
        lastName: row.last_name,
        properties: row.properties,
      });
      if (personal === 'erased') erased = true;
    }
    const clear =
      personal === 'erased'
        ? { email: null, phone: null, firstName: null, lastName: null, properties: {} }
        : personal;
    return {
      contactId,
      facts: { status: row.status, erased, consent: row.consent, timezone: row.timezone },
      lifecycleStage: row.lifecycle_stage,
      tags: row.tags,
      locale: row.locale,
      ...clear,
    };
  }
}

/** The `contact` variables of a template: the seed's column names. */
export function contactVariables(recipient: Recipient): JsonObject {
  return {
    id: recipient.contactId,
    email: recipient.email,
    phone: recipient.phone,
    first_name: recipient.firstName,
    last_name: recipient.lastName,
    locale: recipient.locale,
    timezone: recipient.facts.timezone,
    lifecycle_stage: recipient.lifecycleStage,
    tags: recipient.tags,
    properties: recipient.properties,
  };
}
