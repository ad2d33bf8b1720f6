export * from './message-events';
export * from './template-events';
export * from './upcast';
