// Starts connector-gohighlevel: the connector kit with the GoHighLevel
// adapter, on CONNECTOR_GOHIGHLEVEL_PORT (3105), pushing to GHL_API_BASE.
//
//   SWC_NODE_PROJECT=./tsconfig.base.json node -r @swc-node/register services/connector-gohighlevel/src/main.ts
import 'reflect-metadata';
import { GOHIGHLEVEL, loadConnectorConfig, startConnector } from '@engagement/connector-kit';
import { runServiceMain } from '@engagement/service-runtime';
import { gohighlevelAdapter } from './gohighlevel/gohighlevel.adapter';
import { gohighlevelInbound } from './webhooks/gohighlevel.inbound';

runServiceMain('connector-gohighlevel', async (log) => {
  const config = loadConnectorConfig(GOHIGHLEVEL);
  const connector = await startConnector({ config, adapter: gohighlevelAdapter(config.apiBaseUrl), inbound: gohighlevelInbound(config.apiBaseUrl), log });
  return {
    app: connector.app,
    runtime: connector,
    host: config.host,
    port: config.port,
    facts: { schema: config.schema, topic: config.topic, apiBase: config.apiBaseUrl },
  };
});
