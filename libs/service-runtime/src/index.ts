// The common shape of a platform service, so that a service is its domain,
// its read model and a short composition root: configuration, runtime
// wiring (pool, event store, projections, relay, consumers, ordered stop),
// the HTTP app (body parsers, problem+json, validation, OpenAPI, health),
// main() with graceful shutdown, and the small pieces every command and
// query endpoint shares.
export * from './log';
export * from './service-config';
export * from './service-runtime';
export { startServiceRelay, type RunningRelay, type ServiceRelayOptions } from './service-relay';
export * from './reactor';
export * from './lease';
export * from './service-main';
export * from './service-app';
export * from './unknown-fields.pipe';
export * from './read-your-writes';
export * from './command-response';
export * from './run-command';
export * from './command-context';
export * from './id-pipe';
