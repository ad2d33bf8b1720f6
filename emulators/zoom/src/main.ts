// Starts the Zoom emulator on ZOOM_EMULATOR_PORT (default 4010), a test
// double of Zoom's OAuth and API v2 for development and tests (see the
// README's "Emulators of third parties"). ZOOM_EMULATOR_WEBHOOK_URL, when
// set, is where webhooks go until the admin API says otherwise.
//
//   SWC_NODE_PROJECT=./tsconfig.base.json node -r @swc-node/register emulators/zoom/src/main.ts
import { loadZoomEmulatorConfig } from './config';
import { startZoomEmulator } from './server';

async function main(): Promise<void> {
  const config = loadZoomEmulatorConfig();
  const emulator = await startZoomEmulator(config, {
    webhookUrl: process.env.ZOOM_EMULATOR_WEBHOOK_URL || undefined,
  });
  console.log(
    JSON.stringify({ level: 'info', msg: 'started', emulator: 'zoom', url: emulator.url }),
  );
  const stop = (signal: string) => {
    void emulator.close().then(() => {
      console.log(JSON.stringify({ level: 'info', msg: 'stopped', emulator: 'zoom', signal }));
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
      emulator: 'zoom',
      error: (err as Error).message,
    }),
  );
  process.exit(1);
});
