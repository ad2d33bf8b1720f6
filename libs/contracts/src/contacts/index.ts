export * from './enumerations';
export * from './contact-events';
export * from './tag-events';
export * from './personal-data';
export * from './upcast';
