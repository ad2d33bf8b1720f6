// What the CRM connectors report back (topics `crm.hubspot`,
// `crm.gohighlevel`), applied as this service's own commands:
// - CrmContactSynced: the contact's record in the CRM, linked in
//   external_mappings (LinkExternalMapping, the command behind PUT
//   /contacts/:id/external-mappings/:provider), so that a later change of
//   email updates the same CRM record;
// - CrmActivitySynced: the activity's synced_to_crms entry
//   (RecordActivitySynced).
// The connector pushes a contact again on every change; the link is written
// only when it is new or points elsewhere (read from the read model first),
// so repeated pushes add no events. Delivery is at least once and both
// commands are idempotent. A report the contact refuses (unknown, erased,
// already linked to another record of that CRM) cannot succeed later: it
// goes to the dead-letter topic.
import { PermanentMessageError } from '@engagement/bus';
import { isCrmSyncEventType, type CrmActivitySyncedData, type CrmContactSyncedData } from '@engagement/contracts';
import { DomainError } from '@engagement/decider';
import type { RecordedEvent } from '@engagement/event-store';
import { systemContext, type ServiceConsumerOptions } from '@engagement/service-runtime';
import type { Pool } from 'pg';
import type { UpdateContactHandler } from '../contacts/update-contact.handler';

export interface CrmSyncConsumerOptions {
  topics: string[];
  updateContact: UpdateContactHandler;
  pool: Pool;
  schema: string;
}

export function crmSyncConsumer(options: CrmSyncConsumerOptions): ServiceConsumerOptions {
  return {
    // Named after the schema, so that a test's contacts never joins the platform's group.
    groupId: `${options.schema.replace(/_/g, '-')}-crm-sync`,
    topics: options.topics,
    async handle(recorded: RecordedEvent) {
      if (!isCrmSyncEventType(recorded.type)) return;
      const context = systemContext(
        `service:connector-${String(recorded.data.provider)}`,
        recorded.metadata.correlationId,
        recorded.id,
      );
      try {
        if (recorded.type === 'CrmContactSynced') {
          const d = recorded.data as unknown as CrmContactSyncedData;
          if (await alreadyLinked(options, d.contactId, d.provider, d.externalId)) return;
          await options.updateContact.run(
            d.contactId,
            {
              type: 'LinkExternalMapping',
              contactId: d.contactId,
              provider: d.provider,
              externalId: d.externalId,
              url: null,
              syncDirection: 'push_only',
              syncedAt: d.syncedAt,
            },
            context,
          );
        } else if (recorded.type === 'CrmActivitySynced') {
          const d = recorded.data as unknown as CrmActivitySyncedData;
          await options.updateContact.run(
            d.contactId,
            {
              type: 'RecordActivitySynced',
              contactId: d.contactId,
              activityId: d.activityId,
              provider: d.provider,
              externalId: d.externalId,
              syncedAt: d.syncedAt,
            },
            context,
          );
        }
      } catch (error) {
        if (error instanceof DomainError)
          throw new PermanentMessageError(`${recorded.type} for contact ${String(recorded.data.contactId)}: ${error.message}`, {
            cause: error,
          });
        throw error;
      }
    },
  };
}

async function alreadyLinked(options: CrmSyncConsumerOptions, contactId: string, provider: string, externalId: string): Promise<boolean> {
  const { rows } = await options.pool.query<{ linked: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM "${options.schema}".contacts c, jsonb_array_elements(c.external_mappings) m
        WHERE c.id = $1 AND m->>'provider' = $2 AND m->>'id' = $3) AS linked`,
    [contactId, provider, externalId],
  );
  return rows[0]?.linked === true;
}
