// HubSpot CRM v3 emulator (a test double): see emulator.ts.
export * from './emulator';
export * from './config';
export { signV3 } from './webhooks';
