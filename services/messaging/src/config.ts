// The messaging service's settings, read once at start from the environment:
// what every service reads (MESSAGING_PORT, MESSAGING_SCHEMA,
// MESSAGING_TOPIC, …: loadServiceConfig) and its own. Tests build a
// MessagingConfig directly with their own schema, topics and ports.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findWorkspaceRoot } from '@engagement/config';
import {
  loadServiceConfig,
  positiveInteger,
  type ServiceConfig,
} from '@engagement/service-runtime';
import { parseQuietHours, type QuietHours } from './rules/send-rules';
import { parseReminderOffsets, type ReminderOffset } from './reminders/reminder-schedule';

export interface MessagingConfig extends ServiceConfig {
  smtpUrl: string;
  /** Simultaneous SMTP connections of the pool. */
  smtpPool: number;
  emailFrom: string;
  messageIdDomain: string;
  twilio: {
    apiBase: string;
    accountSid: string;
    authToken: string;
    smsFrom: string;
    whatsappFrom: string;
  };
  /** Where tracking links, the pixel and unsubscribe point: the gateway's public /api base. */
  publicUrl: string;
  /** Where Twilio posts status callbacks (the same public base, as Twilio sees it). */
  trackingSecret: Buffer;
  reminderOffsets: ReminderOffset[];
  quietHours: QuietHours;
  dailyCap: number;
  maxAttempts: number;
  retryBaseMs: number;
  /**
   * How long a worker holds what it claimed (a message, a reminder, a
   * campaign); work of an instance that died comes back after it.
   */
  leaseMs: number;
  /** Messages sent at once by this instance. */
  sendConcurrency: number;
  contactsTopic: string;
  eventsTopic: string;
  contactsUrl: string;
  /** Background workers (send queue, reminders, campaigns); off in tests that drive them. */
  workersEnabled: boolean;
}

export function loadMessagingConfig(env: NodeJS.ProcessEnv = process.env): MessagingConfig {
  const base = loadServiceConfig(
    { prefix: 'MESSAGING', port: 3103, schema: 'messaging', topic: 'messaging' },
    env,
  );
  return {
    ...base,
    smtpUrl: env.SMTP_URL ?? 'smtp://127.0.0.1:2525',
    smtpPool: positiveInteger(env.MESSAGING_SMTP_POOL, 5, 'MESSAGING_SMTP_POOL'),
    emailFrom: env.MESSAGING_EMAIL_FROM ?? 'Engagement <no-reply@engagement.local>',
    messageIdDomain: env.MESSAGING_MESSAGE_ID_DOMAIN ?? 'engagement.local',
    twilio: {
      apiBase: env.TWILIO_API_BASE ?? 'http://127.0.0.1:4020',
      // The emulator's development credentials; a real account's come from the environment.
      accountSid: env.TWILIO_ACCOUNT_SID ?? 'AC00000000000000000000000000000001',
      authToken: env.TWILIO_AUTH_TOKEN ?? 'emulator-auth-token',
      smsFrom: env.TWILIO_FROM ?? '+15005550006',
      whatsappFrom: env.TWILIO_WHATSAPP_FROM ?? 'whatsapp:+15005550006',
    },
    publicUrl: env.MESSAGING_PUBLIC_URL ?? 'http://127.0.0.1:3000/api',
    trackingSecret: trackingSecret(env),
    reminderOffsets: parseReminderOffsets(env.MESSAGING_REMINDER_OFFSETS ?? '24h,1h'),
    quietHours: parseQuietHours(env.MESSAGING_QUIET_HOURS),
    dailyCap: positiveInteger(env.MESSAGING_DAILY_CAP, 3, 'MESSAGING_DAILY_CAP'),
    maxAttempts: positiveInteger(env.MESSAGING_MAX_ATTEMPTS, 5, 'MESSAGING_MAX_ATTEMPTS'),
    retryBaseMs: positiveInteger(env.MESSAGING_RETRY_BASE_MS, 1000, 'MESSAGING_RETRY_BASE_MS'),
    leaseMs: positiveInteger(env.MESSAGING_LEASE_MS, 60_000, 'MESSAGING_LEASE_MS'),
    sendConcurrency: positiveInteger(
      env.MESSAGING_SEND_CONCURRENCY,
      20,
      'MESSAGING_SEND_CONCURRENCY',
    ),
    contactsTopic: env.CONTACTS_TOPIC ?? 'contacts',
    eventsTopic: env.EVENTS_TOPIC ?? 'events',
    contactsUrl: env.CONTACTS_URL ?? `http://127.0.0.1:${env.CONTACTS_PORT ?? 3101}`,
    workersEnabled: env.MESSAGING_WORKERS !== 'off',
  };
}

/**
 * MESSAGING_TRACKING_SECRET (base64, ≥ 16 bytes); in development a secret
 * generated once into .data/messaging-tracking.key, so links stay valid
 * across restarts. Production refuses to invent one.
 */
function trackingSecret(env: NodeJS.ProcessEnv): Buffer {
  if (env.MESSAGING_TRACKING_SECRET) return Buffer.from(env.MESSAGING_TRACKING_SECRET, 'base64');
  if (env.NODE_ENV === 'production')
    throw new Error('MESSAGING_TRACKING_SECRET is required in production');
  const file = join(findWorkspaceRoot(), '.data', 'messaging-tracking.key');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    try {
      writeFileSync(file, randomBytes(32).toString('base64'), { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}
