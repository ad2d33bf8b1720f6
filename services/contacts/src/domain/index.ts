// The contacts service's pure domain: deciders for contacts and tags, and
// the validators and scoring they use. No I/O here.
export * from './contact.commands';
export * from './contact.state';
export * from './field-checks';
export * from './contact.decider';
export * from './tag.decider';
export * from './command-batch';
export * from './lead-scoring';
export * from './property-value';
export * from './email';
export * from './phone';
export * from './timezone';
export * from './locale';
export * from './iso-time';
export * from './slug';
export * from './identifiers';
export * from './text';
export * from './url';
