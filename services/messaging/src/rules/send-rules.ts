// The rules checked before every send, as one pure function: consent per
// channel, the contact's status, erasure, quiet hours in the contact's time
// zone, a daily frequency cap. Marketing needs everything; transactional
// messages (confirmations, reminders) ignore marketing consent, quiet hours
// and the cap, but never an unsubscribe from their channel, a deletion or an
// erasure. The shell records the verdict (MessageBlocked, MessageDeferred).
import type { MessageChannel, MessageKind } from '@engagement/contracts';

/** What messaging knows of a contact from the contacts topic (its replica). */
export type RecipientFacts = {
  status: 'active' | 'unsubscribed' | 'bounced' | 'deleted';
  erased: boolean;
  /** consent channel → granted; a channel absent was never given nor revoked. */
  consent: Record<string, boolean>;
  timezone: string;
};

export type QuietHours = { startMinute: number; endMinute: number } | null;

export type SendRulesInput = {
  channel: MessageChannel;
  kind: MessageKind;
  recipient: RecipientFacts | null;
  now: Date;
  quietHours: QuietHours;
  /** Messages of this kind already sent today (contact's day) on this channel. */
  sentToday: number;
  dailyCap: number;
};

export type SendVerdict =
  | { verdict: 'send' }
  | { verdict: 'block'; rule: string; reason: string }
  | { verdict: 'defer'; rule: string; until: Date };

/** The consent key that governs a channel (push and in-app have none of their own). */
export function consentChannelOf(channel: MessageChannel): string | null {
  return channel === 'email' || channel === 'sms' || channel === 'whatsapp' ? channel : null;
}

export function checkSendRules(input: SendRulesInput): SendVerdict {
  const { recipient, kind, channel } = input;
  if (recipient === null) return block('unknown-contact', 'the contact is not known to messaging');
  if (recipient.erased) return block('erased', 'the contact was erased');
  if (recipient.status === 'deleted') return block('status', 'the contact is deleted');

  const consentKey = consentChannelOf(channel);
  const channelConsent = consentKey === null ? undefined : recipient.consent[consentKey];
  // An explicit revocation of the channel is an unsubscribe: it binds every kind of message.
  if (channelConsent === false) return block('consent', `${consentKey} consent was revoked`);

  if (kind === 'marketing') {
    if (recipient.status !== 'active') return block('status', `the contact is ${recipient.status}`);
    if (consentKey !== null && channelConsent !== true) {
      return block('consent', `no ${consentKey} consent`);
    }
    if (recipient.consent.marketing !== true) return block('consent', 'no marketing consent');
    if (input.sentToday >= input.dailyCap) {
      return block(
        'frequency-cap',
        `${input.sentToday} ${channel} messages today (cap ${input.dailyCap})`,
      );
    }
    if (input.quietHours) {
      const until = endOfQuietHours(input.now, recipient.timezone, input.quietHours);
      if (until) return { verdict: 'defer', rule: 'quiet-hours', until };
    }
  }
  return { verdict: 'send' };
}

function block(rule: string, reason: string): SendVerdict {
  return { verdict: 'block', rule, reason };
}

/** Parses `21:00-08:00` into minutes of the day; '' or 'off' disables quiet hours. */
export function parseQuietHours(value: string | undefined): QuietHours {
  if (value === undefined) return { startMinute: 21 * 60, endMinute: 8 * 60 };
  if (value === '' || value === 'off') return null;
  const match = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(value);
  if (!match) throw new Error(`MESSAGING_QUIET_HOURS must look like 21:00-08:00, got ${value}`);
  const [h1, m1, h2, m2] = match.slice(1).map(Number);
  return { startMinute: h1 * 60 + m1, endMinute: h2 * 60 + m2 };
}

// One formatter per time zone: making one costs far more than using it, and a
// campaign asks for the same few zones thousands of times. Bounded: zones are few.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone: safeZone(timezone),
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    if (formatters.size >= 1000) formatters.clear();
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/** Minutes since local midnight in a time zone. */
export function localMinuteOfDay(now: Date, timezone: string): number {
  const parts = formatterOf(timezone).formatToParts(now);
  const hour = Number(parts.find((p) => p.type === 'hour')?.value);
  const minute = Number(parts.find((p) => p.type === 'minute')?.value);
  return hour * 60 + minute;
}

/** When the quiet window the contact is in ends; null when it is not in one. */
export function endOfQuietHours(
  now: Date,
  timezone: string,
  quiet: { startMinute: number; endMinute: number },
): Date | null {
  const minute = localMinuteOfDay(now, timezone);
  const { startMinute: start, endMinute: end } = quiet;
  const inside = start <= end ? minute >= start && minute < end : minute >= start || minute < end;
  if (!inside) return null;
  const wait = (end - minute + 24 * 60) % (24 * 60);
  const until = new Date(now.getTime() + wait * 60_000);
  until.setUTCSeconds(0, 0);
  return until;
}

/** The start of the contact's local day, as an instant (for counting today's sends). */
export function startOfLocalDay(now: Date, timezone: string): Date {
  const minute = localMinuteOfDay(now, timezone);
  const start = new Date(now.getTime() - minute * 60_000);
  start.setUTCSeconds(0, 0);
  return start;
}

function safeZone(timezone: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
    return timezone;
  } catch {
    return 'UTC';
  }
}
