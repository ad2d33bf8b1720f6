// Entry point for `npm start` (infra/platform.mjs): the HubSpot emulator on
// HUBSPOT_EMULATOR_PORT (4030), until SIGTERM/SIGINT.
import { startHubSpotEmulator } from './emulator';

async function main(): Promise<void> {
  const emulator = await startHubSpotEmulator();
  console.log(`[hubspot-emulator] listening on ${emulator.url()} (portal ${emulator.config.portalId})`);
  const stop = () => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  console.error('[hubspot-emulator] failed to start:', err);
  process.exit(1);
});
