export * from './enumerations';
export * from './event-events';
export * from './registration-events';
export * from './upcast';
