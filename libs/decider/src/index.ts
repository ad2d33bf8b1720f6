export * from './decider';
export * from './domain-errors';
export * from './command-handler';
export * from './given-when-then';
export * from './idempotency';
