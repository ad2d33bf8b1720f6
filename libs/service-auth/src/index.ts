export * from './service-token';
export * from './token-key';
export * from './service-identity';
export * from './service-auth.guard';
export * from './service-instances';
