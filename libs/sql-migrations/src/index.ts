export * from './sql-migrations';
