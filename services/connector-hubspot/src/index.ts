// What operators' tools take from connector-hubspot: its projection
// (integrations and crm_sync_logs in its schema, CONNECTOR_HUBSPOT_SCHEMA).
import { connectorProjection } from '@engagement/connector-kit';
import type { ProjectionDefinition } from '@engagement/projections';

export function connectorHubspotProjections(env: NodeJS.ProcessEnv = process.env): ProjectionDefinition[] {
  return [connectorProjection('hubspot', env.CONNECTOR_HUBSPOT_SCHEMA ?? 'connector_hubspot')];
}
