// The Twilio emulator, for tests that start it in-process.
export {
  loadTwilioEmulatorConfig,
  TWILIO_EMULATOR_DEFAULTS,
  type TwilioEmulatorConfig,
} from './config';
export {
  startTwilioEmulator,
  type TwilioEmulator,
  type Received,
  type Callback,
  type Call,
} from './server';
