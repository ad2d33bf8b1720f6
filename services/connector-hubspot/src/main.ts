// Starts connector-hubspot: the connector kit with the HubSpot adapter, on
// CONNECTOR_HUBSPOT_PORT (3104), pushing to HUBSPOT_API_BASE.
//
//   SWC_NODE_PROJECT=./tsconfig.base.json node -r @swc-node/register services/connector-hubspot/src/main.ts
import 'reflect-metadata';
import { HUBSPOT, loadConnectorConfig, startConnector } from '@engagement/connector-kit';
import { runServiceMain } from '@engagement/service-runtime';
import { hubspotAdapter } from './hubspot/hubspot.adapter';
import { hubspotInbound } from './webhooks/hubspot.inbound';

runServiceMain('connector-hubspot', async (log) => {
  const config = loadConnectorConfig(HUBSPOT);
  const connector = await startConnector({ config, adapter: hubspotAdapter(config.apiBaseUrl), inbound: hubspotInbound(config.apiBaseUrl), log });
  return {
    app: connector.app,
    runtime: connector,
    host: config.host,
    port: config.port,
    facts: { schema: config.schema, topic: config.topic, apiBase: config.apiBaseUrl },
  };
});
