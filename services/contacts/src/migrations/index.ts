// The contacts read model's schema: its migrations and the two runners.
export * from './contacts-read-model.ddl';
export * from './sql-migration';
export * from './contacts-migrations';
export { CreateContactsReadModel1767225600000 } from './1767225600000-create-contacts-read-model.migration';
