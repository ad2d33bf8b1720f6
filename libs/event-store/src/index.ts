export * from './event-store.port';
export * from './errors';
export { APPEND_LIMITS } from './append-validation';
export {
  PostgresEventStore,
  type PostgresEventStoreOptions,
} from './postgres/postgres-event-store';
export { createEventStore } from './create-event-store';
export * from './wire-format';
