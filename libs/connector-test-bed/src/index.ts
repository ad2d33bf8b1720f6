// Test support for the CRM connectors' integration tests, one copy for
// every connector (a test fixture library: nothing but tests imports it).
export * from './connector-test-bed';
