// The contacts service's read side: the projection that keeps the seed's
// tables, and the queries the API answers from them.
export * from './contacts-read-model.projection';
export { erasedEmail } from './contacts-read-model.fold';
export * from './read-model-source';
export * from './cursor';
export * from './contact-views';
export * from './contacts.queries';
export * from './activities.queries';
export * from './tags.queries';
export * from './contact-export.queries';
