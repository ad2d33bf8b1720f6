// Event contracts between services: the event types, their data, their
// schema versions and upcasters. Services depend on this library, never on
// each other.
export * from './upcasting';
export * from './contacts';
export * from './messaging';
export * from './events';
export * from './crm';
