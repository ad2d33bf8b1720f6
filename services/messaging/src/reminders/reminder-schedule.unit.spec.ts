import { parseReminderOffsets, planReminders } from './reminder-schedule';

const now = new Date('2026-01-10T12:00:00.000Z');
const startsAt = new Date('2026-01-15T12:00:00.000Z');
const offsets = parseReminderOffsets('24h,1h');

describe('reminder schedule', () => {
  it('plans 24 h and 1 h before the event by default', () => {
    expect(
      planReminders({
        registrationStatus: 'registered',
        eventStatus: 'scheduled',
        eventStartsAt: startsAt,
        offsets,
        now,
      }),
    ).toEqual([
      { reminderType: '24h', dueAt: new Date('2026-01-14T12:00:00.000Z') },
      { reminderType: '1h', dueAt: new Date('2026-01-15T11:00:00.000Z') },
    ]);
  });

  it('moves with the event: a reschedule gives new due times', () => {
    const moved = new Date('2026-01-16T09:00:00.000Z');
    expect(
      planReminders({
        registrationStatus: 'registered',
        eventStatus: 'scheduled',
        eventStartsAt: moved,
        offsets,
        now,
      }).map((r) => r.dueAt),
    ).toEqual([new Date('2026-01-15T09:00:00.000Z'), new Date('2026-01-16T08:00:00.000Z')]);
  });

  it('plans none for waitlisted or cancelled registrations and cancelled events', () => {
    for (const registrationStatus of ['waitlisted', 'cancelled']) {
      expect(
        planReminders({
          registrationStatus,
          eventStatus: 'scheduled',
          eventStartsAt: startsAt,
          offsets,
          now,
        }),
      ).toEqual([]);
    }
    expect(
      planReminders({
        registrationStatus: 'registered',
        eventStatus: 'cancelled',
        eventStartsAt: startsAt,
        offsets,
        now,
      }),
    ).toEqual([]);
  });

  it('skips reminders already past when the registration comes late', () => {
    const late = new Date('2026-01-15T10:00:00.000Z');
    expect(
      planReminders({
        registrationStatus: 'confirmed',
        eventStatus: 'scheduled',
        eventStartsAt: startsAt,
        offsets,
        now: late,
      }),
    ).toEqual([{ reminderType: '1h', dueAt: new Date('2026-01-15T11:00:00.000Z') }]);
  });

  it('reads offsets in minutes, hours and days, and refuses anything else', () => {
    expect(parseReminderOffsets('2d, 90m, 30s')).toEqual([
      { reminderType: '2d', beforeMs: 172_800_000 },
      { reminderType: '90m', beforeMs: 5_400_000 },
      { reminderType: '30s', beforeMs: 30_000 },
    ]);
    expect(() => parseReminderOffsets('1 hour')).toThrow();
  });
});
