// When an event's reminders are due for a registration: one per offset
// before the event's start (MESSAGING_REMINDER_OFFSETS, default 24h,1h, or
// the event's own offsets). Pure: the scheduler table is reconciled to what
// this returns whenever a registration or its event changes.
export type ReminderOffset = { reminderType: string; beforeMs: number };
export type PlannedReminder = { reminderType: string; dueAt: Date };

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `24h,1h`, `2d`, `15m` (`30s` for tests) → offsets; the text of each offset is its reminder type. */
export function parseReminderOffsets(value: string): ReminderOffset[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((text) => {
      const match = /^(\d+)([smhd])$/.exec(text);
      if (!match) throw new Error(`reminder offset must look like 24h, 90m or 2d, got ${text}`);
      return { reminderType: text, beforeMs: Number(match[1]) * UNIT_MS[match[2]] };
    });
}

export type ReminderPlanInput = {
  /** Registrations waitlisted or cancelled get no reminders. */
  registrationStatus: string;
  eventStatus: string;
  eventStartsAt: Date;
  offsets: readonly ReminderOffset[];
  /** Reminders that would be due before this (e.g. a 24h reminder for a registration 2 h before) are not planned. */
  now: Date;
};

const REMINDED_REGISTRATIONS = new Set(['registered', 'confirmed', 'attended']);
const CANCELLED_EVENTS = new Set(['cancelled', 'canceled', 'completed']);

export function planReminders(input: ReminderPlanInput): PlannedReminder[] {
  if (!REMINDED_REGISTRATIONS.has(input.registrationStatus)) return [];
  if (CANCELLED_EVENTS.has(input.eventStatus)) return [];
  return input.offsets
    .map((o) => ({
      reminderType: o.reminderType,
      dueAt: new Date(input.eventStartsAt.getTime() - o.beforeMs),
    }))
    .filter((r) => r.dueAt.getTime() > input.now.getTime());
}
