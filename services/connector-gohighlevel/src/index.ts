// What operators' tools take from connector-gohighlevel: its projection
// (integrations and crm_sync_logs in its schema, CONNECTOR_GOHIGHLEVEL_SCHEMA).
import { connectorProjection } from '@engagement/connector-kit';
import type { ProjectionDefinition } from '@engagement/projections';

export function connectorGohighlevelProjections(env: NodeJS.ProcessEnv = process.env): ProjectionDefinition[] {
  return [connectorProjection('gohighlevel', env.CONNECTOR_GOHIGHLEVEL_SCHEMA ?? 'connector_gohighlevel')];
}
