// The Zoom emulator, for tests that start it in-process.
export { loadZoomEmulatorConfig, ZOOM_EMULATOR_DEFAULTS, type ZoomEmulatorConfig } from './config';
export { startZoomEmulator, type ZoomEmulator, type Call } from './server';
