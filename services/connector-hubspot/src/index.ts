// What operators' tools take from connector-hubspot: its projection.
import { connectorProjection } from '@engagement/connector-kit';

export function createConnectorHubspotProjection(schema = 'connector_hubspot') {
  return connectorProjection('hubspot', schema);
}
export { hubspotAdapter } from './hubspot/hubspot.adapter';
