// Settings of the SMTP emulator, from the environment.
import path from 'node:path';

export interface SmtpEmulatorConfig {
  host: string;
  /** SMTP port; 0 picks a free one (tests). */
  smtpPort: number;
  /** HTTP admin API port; 0 picks a free one (tests). */
  adminPort: number;
  /** Where each message is kept as <id>.eml, plus index.jsonl (one JSON line each). */
  dataDir: string;
  /** When both are set, clients must AUTH (PLAIN or LOGIN) with them; else AUTH is off. */
  user: string | null;
  password: string | null;
  /** Recipients refused with 550 (hard bounce) and 450 (soft), compared case-insensitively. */
  rejectHard: string[];
  rejectSoft: string[];
  maxMessageBytes: number;
}

export const SMTP_EMULATOR_DEFAULTS: SmtpEmulatorConfig = {
  host: '127.0.0.1',
  smtpPort: 2525,
  adminPort: 4025,
  dataDir: path.join('.data', 'smtp'),
  user: null,
  password: null,
  rejectHard: [],
  rejectSoft: [],
  maxMessageBytes: 25 * 1024 * 1024,
};

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);

export function loadSmtpEmulatorConfig(env: NodeJS.ProcessEnv = process.env): SmtpEmulatorConfig {
  const d = SMTP_EMULATOR_DEFAULTS;
  return {
    host: env.SMTP_EMULATOR_HOST || d.host,
    smtpPort: env.SMTP_EMULATOR_PORT ? Number(env.SMTP_EMULATOR_PORT) : d.smtpPort,
    adminPort: env.SMTP_EMULATOR_ADMIN_PORT ? Number(env.SMTP_EMULATOR_ADMIN_PORT) : d.adminPort,
    dataDir: env.SMTP_EMULATOR_DATA_DIR || d.dataDir,
    user: env.SMTP_EMULATOR_USER || null,
    password: env.SMTP_EMULATOR_PASSWORD || null,
    rejectHard: list(env.SMTP_EMULATOR_REJECT_HARD),
    rejectSoft: list(env.SMTP_EMULATOR_REJECT_SOFT),
    maxMessageBytes: d.maxMessageBytes,
  };
}
