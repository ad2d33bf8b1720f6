// Starts the SMTP emulator: SMTP on SMTP_EMULATOR_PORT (default 2525), its
// HTTP admin API on SMTP_EMULATOR_ADMIN_PORT (default 4025), messages kept
// under SMTP_EMULATOR_DATA_DIR (default .data/smtp). A test double of a mail
// relay for development and tests (see the README's "Emulators of third
// parties").
//
//   SWC_NODE_PROJECT=./tsconfig.base.json node -r @swc-node/register emulators/smtp/src/main.ts
import { loadSmtpEmulatorConfig } from './config';
import { startSmtpEmulator } from './server';

async function main(): Promise<void> {
  const config = loadSmtpEmulatorConfig();
  const emulator = await startSmtpEmulator(config);
  console.log(
    JSON.stringify({
      level: 'info',
      msg: 'started',
      emulator: 'smtp',
      smtp: `smtp://${config.host}:${emulator.smtpPort}`,
      admin: emulator.adminUrl,
      dataDir: config.dataDir,
      auth: Boolean(config.user && config.password),
    }),
  );
  const stop = (signal: string) => {
    void emulator.close().then(() => {
      console.log(JSON.stringify({ level: 'info', msg: 'stopped', emulator: 'smtp', signal }));
      process.exit(0);
    });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(
    JSON.stringify({
      level: 'error',
      msg: 'failed to start',
      emulator: 'smtp',
      error: (err as Error).message,
    }),
  );
  process.exit(1);
});
