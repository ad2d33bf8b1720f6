// GoHighLevel API v2 emulator (a test double): see emulator.ts.
export * from './emulator';
export * from './config';
export { PUBLIC_KEY_FILE, LEGACY_PUBLIC_KEY_FILE } from './webhooks';
