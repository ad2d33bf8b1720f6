// Injection tokens for values the runtime hands to controllers.
export const READ_MODEL = Symbol('messaging read model');
export const MESSAGING_RUNTIME = Symbol('messaging runtime');
