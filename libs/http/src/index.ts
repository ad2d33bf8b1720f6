export * from './problem-details';
export * from './problem-details.filter';
export * from './validation';
export * from './request-context';
export * from './health.controller';
export * from './bootstrap';
