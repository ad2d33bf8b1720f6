// Injection tokens for what the Nest module provides by value and that has
// no class of its own to be injected by.
/** The read model's pool and schema (read-model/read-model-source.ts). */
export const READ_MODEL_SOURCE = Symbol('READ_MODEL_SOURCE');
/** The personal-data event store: contact events come out decrypted. */
export const CONTACT_EVENT_STORE = Symbol('CONTACT_EVENT_STORE');
/** The bulk import worker, or null in a process that does not run one. */
export const IMPORT_WORKER = Symbol('IMPORT_WORKER');
