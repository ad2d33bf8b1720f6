// Settings of the Twilio emulator, from the environment. The defaults are
// development credentials known to every test, never a real account's.

export interface TwilioEmulatorConfig {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  accountSid: string;
  authToken: string;
  /** Pause between two status changes of a message (queued → sent → delivered). */
  statusStepMs: number;
  /** The sender a Messaging Service picks when a message names no From. */
  messagingServiceFrom: string;
}

export const TWILIO_EMULATOR_DEFAULTS: TwilioEmulatorConfig = {
  host: '127.0.0.1',
  port: 4020,
  accountSid: 'AC00000000000000000000000000000001',
  authToken: 'emulator-auth-token',
  statusStepMs: 200,
  messagingServiceFrom: '+15005550006',
};

export function loadTwilioEmulatorConfig(
  env: NodeJS.ProcessEnv = process.env,
): TwilioEmulatorConfig {
  const d = TWILIO_EMULATOR_DEFAULTS;
  return {
    host: env.TWILIO_EMULATOR_HOST || d.host,
    port: env.TWILIO_EMULATOR_PORT ? Number(env.TWILIO_EMULATOR_PORT) : d.port,
    accountSid: env.TWILIO_EMULATOR_ACCOUNT_SID || d.accountSid,
    authToken: env.TWILIO_EMULATOR_AUTH_TOKEN || d.authToken,
    statusStepMs: env.TWILIO_EMULATOR_STATUS_STEP_MS
      ? Number(env.TWILIO_EMULATOR_STATUS_STEP_MS)
      : d.statusStepMs,
    messagingServiceFrom: d.messagingServiceFrom,
  };
}
