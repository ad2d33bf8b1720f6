// What operators' tools need from the messaging service, without starting
// it: its read model's projection (message_templates, sent_messages,
// campaigns), for `npm run projections` and `npm run history` (tools/ops).
// The send queue, the reminder schedule and the replica of contacts are
// work tables fed from topics, not audited read models.
import type { ProjectionDefinition } from '@engagement/projections';
import { schemaName } from '@engagement/service-runtime';
import { messagingReadModelProjection } from './read-model/messaging-read-model.projection';

export function messagingProjections(env: NodeJS.ProcessEnv = process.env): ProjectionDefinition[] {
  return [
    messagingReadModelProjection(schemaName(env.MESSAGING_SCHEMA, 'messaging', 'MESSAGING_SCHEMA')),
  ];
}
