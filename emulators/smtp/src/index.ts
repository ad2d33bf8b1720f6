// The SMTP emulator, for tests that start it in-process.
export { loadSmtpEmulatorConfig, SMTP_EMULATOR_DEFAULTS, type SmtpEmulatorConfig } from './config';
export { startSmtpEmulator, type SmtpEmulator } from './server';
export type { ReceivedMail } from './mailbox';
