// Entry point for `npm start` (infra/platform.mjs): the GoHighLevel emulator
// on GHL_EMULATOR_PORT (4040), until SIGTERM/SIGINT.
import { startGhlEmulator } from './emulator';

async function main(): Promise<void> {
  const emulator = await startGhlEmulator();
  console.log(
    `[gohighlevel-emulator] listening on ${emulator.url()} (location ${emulator.config.locationId}); webhook public key in ${emulator.webhooks.keys.publicKeyFile()}`,
  );
  const stop = () => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  console.error('[gohighlevel-emulator] failed to start:', err);
  process.exit(1);
});
