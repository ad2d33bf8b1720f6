// The connector kit: what every CRM connector is made of besides its
// provider adapter. Provider facts as data, a token bucket per integration,
// the retry policy, field mapping, credential envelopes, the OAuth2
// refresher, the integration decider and its API, the crm_sync_logs
// projection, the contacts feed and the push loop, and the runtime that
// assembles them.
export * from './providers/provider-facts';
export * from './rate-limit/token-bucket';
export * from './retry/retry-policy';
export * from './mapping/field-mapping';
export * from './credentials/master-keys';
export * from './credentials/credential-envelope';
export * from './integrations/integration.events';
export * from './integrations/integration.decider';
export * from './integrations/integration-commands';
export * from './oauth/oauth-refresher';
export * from './migrations/connector-ddl';
export * from './sync-log/connector-projection';
export * from './sync/personal-data-reader';
export * from './sync/contacts-feed';
export * from './sync/crm-adapter';
export * from './sync/crm-caller';
export * from './sync/crm-pusher';
export * from './http/integration-views';
export * from './http/integrations.controller';
export * from './runtime/connector-config';
export * from './runtime/start-connector';
export * from './inbound/webhook-signatures';
export * from './inbound/inbound-adapter';
export * from './inbound/inbound.events';
export * from './inbound/inbound-plan';
export * from './inbound/reverse-mapping';
export * from './inbound/webhook-receiver';
export * from './inbound/resync-runner';
export * from './inbound/start-inbound';
