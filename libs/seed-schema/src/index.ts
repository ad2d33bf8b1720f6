// Test support shared by every service whose read model follows the seed:
// the seed's DDL read out of shared/seed/abstract-schema-v2.md, and a
// schema's tables described as flat facts that two schemas are diffed on.
// Used only by *.int.spec.ts files (it was contacts' own; connectors use it too).
export * from './seed-schema';
