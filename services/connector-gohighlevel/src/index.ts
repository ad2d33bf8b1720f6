// What operators' tools take from connector-gohighlevel: its projection.
import { connectorProjection } from '@engagement/connector-kit';

export function createConnectorGohighlevelProjection(schema = 'connector_gohighlevel') {
  return connectorProjection('gohighlevel', schema);
}
export { gohighlevelAdapter } from './gohighlevel/gohighlevel.adapter';
