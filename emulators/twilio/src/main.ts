// Starts the Twilio emulator on TWILIO_EMULATOR_PORT (default 4020), a test
// double of Twilio's Messages API for development and tests (see the
// README's "Emulators of third parties").
//
//   SWC_NODE_PROJECT=./tsconfig.base.json node -r @swc-node/register emulators/twilio/src/main.ts
import { loadTwilioEmulatorConfig } from './config';
import { startTwilioEmulator } from './server';

async function main(): Promise<void> {
  const config = loadTwilioEmulatorConfig();
  const emulator = await startTwilioEmulator(config);
  console.log(
    JSON.stringify({ level: 'info', msg: 'started', emulator: 'twilio', url: emulator.url }),
  );
  const stop = (signal: string) => {
    void emulator.close().then(() => {
      console.log(JSON.stringify({ level: 'info', msg: 'stopped', emulator: 'twilio', signal }));
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
      emulator: 'twilio',
      error: (err as Error).message,
    }),
  );
  process.exit(1);
});
