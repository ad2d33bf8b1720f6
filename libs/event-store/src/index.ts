export * from './event-store.port';
export * from './errors';
export { APPEND_LIMITS } from './append-validation';
export {
  PostgresEventStore,
  type PostgresEventStoreOptions,
} from './postgres/postgres-event-store';
export { createEventStore } from './create-event-store';
export * from './wire-format';
// For tests that need a second PostgreSQL server (a restore into a new cluster).
export { startFreshCluster, type FreshCluster } from './postgres/fresh-cluster.testing';
