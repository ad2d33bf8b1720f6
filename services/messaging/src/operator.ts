// What operators' tools need from the messaging service, without starting
// it: its read model's projection (message_templates, sent_messages,
// campaigns), for `npm run projections` and `npm run history` (tools/ops).
// The send queue, the reminder schedule and the replica of contacts are
// work tables fed from topics, not audited read models.
//
// The projection opens the personal fields messaging seals in its events
// with the contacts' data keys, asked of the running contacts service under
// messaging's identity (CONTACTS_URL, else the platform's default), as the
// service does: a rebuild then holds what the live read model holds.
import { ContactPersonalData } from '@engagement/personal-data';
import type { RecordedEvent } from '@engagement/event-store';
import type { ProjectionDefinition } from '@engagement/projections';
import { loadServiceTokenKey, ServiceIdentity } from '@engagement/service-auth';
import { schemaName } from '@engagement/service-runtime';
import { openMessageFields } from './messages/sealed-message-fields';
import { messagingReadModelProjection } from './read-model/messaging-read-model.projection';

function dataKeys(env: NodeJS.ProcessEnv): ContactPersonalData {
  return new ContactPersonalData({
    contactsUrl: (env.CONTACTS_URL ?? `http://127.0.0.1:${env.CONTACTS_PORT ?? 3101}`).split(
      ',',
    )[0]!,
    identity: new ServiceIdentity('messaging', ['pii:read'], loadServiceTokenKey(env)),
  });
}

export function messagingProjections(env: NodeJS.ProcessEnv = process.env): ProjectionDefinition[] {
  const sealer = dataKeys(env);
  return [
    messagingReadModelProjection(
      schemaName(env.MESSAGING_SCHEMA, 'messaging', 'MESSAGING_SCHEMA'),
      sealer,
    ),
  ];
}

/** Messaging's events with what it sealed in clear (null once the contact is erased). */
export function messagingReadable(
  env: NodeJS.ProcessEnv = process.env,
): (event: RecordedEvent) => Promise<RecordedEvent> {
  const keys = dataKeys(env);
  return (event) => openMessageFields(keys, event);
}
