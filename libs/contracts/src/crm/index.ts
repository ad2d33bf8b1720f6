export * from './crm-sync-events';
