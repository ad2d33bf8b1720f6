// Event reminders end to end inside the service, with an injected clock:
// events and registrations arrive as they would from topic `events`, the
// scheduler requests each reminder when due, the send worker delivers it
// over SMTP, and the message stream carries ReminderSent. Reschedules move
// pending reminders; cancellations and the waitlist get none; two
// schedulers at once send each reminder once.
import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '@engagement/event-store';
import { applyKafkaBatch } from '@engagement/projections';
import { startTestBed, type TestBed } from '../shared/test-bed.testing';
import { ReminderScheduler } from './reminder-scheduler';

let position = 0n;
function incoming(
  streamId: string,
  type: string,
  data: Record<string, unknown>,
  at: Date,
): RecordedEvent {
  position++;
  return {
    id: randomUUID(),
    streamId,
    type,
    schemaVersion: 1,
    data: data as never,
    metadata: {
      correlationId: 'test',
      causationId: null,
      traceparent: null,
      actor: 'test',
      occurredAt: at.toISOString(),
    },
    revision: 0n,
    globalPosition: position,
  };
}

describe('event reminders', () => {
  let bed: TestBed;
  let now = new Date('2027-03-01T10:00:00.000Z');
  const startsAt = new Date('2027-03-03T10:00:00.000Z');

  beforeAll(async () => {
    bed = await startTestBed({ workersEnabled: false }, { clock: () => now });
  });
  afterAll(() => bed.close());

  const feed = (...events: RecordedEvent[]) =>
    applyKafkaBatch(
      bed.runtime.base.pool,
      { projection: bed.runtime.reminders, schema: bed.config.schema },
      events,
    );
  const eventCreated = (eventId: string, at = startsAt) =>
    incoming(
      `event-${eventId}`,
      'EventCreated',
      {
        eventId,
        title: 'Growth webinar',
        scheduledAt: at.toISOString(),
        timezone: 'UTC',
        durationMinutes: 60,
        platformUrl: 'https://zoom.us/j/1',
      },
      now,
    );
  const registered = (
    registrationId: string,
    eventId: string,
    contactId: string,
    status = 'registered',
  ) =>
    incoming(
      `registration-${registrationId}`,
      'RegistrationCreated',
      { registrationId, eventId, contactId, status, registeredAt: now.toISOString() },
      now,
    );
  const dueRows = async (registrationId: string) =>
    (
      await bed.pool.query(
        `SELECT reminder_type, due_at, state FROM ${bed.config.schema}.due_reminders WHERE registration_id = $1 ORDER BY due_at`,
        [registrationId],
      )
    ).rows;
  const mailsFor = (email: string) => bed.smtp.received.filter((m) => m.envelopeTo.includes(email));

  it('sends the 24 h and 1 h reminders when due, once each, with ReminderSent for the events service', async () => {
    const email = `r-${randomUUID().slice(0, 8)}@example.com`;
    const contactId = await bed.addContact({ email, consent: {} });
    const eventId = randomUUID();
    const registrationId = randomUUID();
    await feed(eventCreated(eventId), registered(registrationId, eventId, contactId));
    expect(
      (await dueRows(registrationId)).map((r) => [
        r.reminder_type,
        r.due_at.toISOString(),
        r.state,
      ]),
    ).toEqual([
      ['24h', '2027-03-02T10:00:00.000Z', 'pending'],
      ['1h', '2027-03-03T09:00:00.000Z', 'pending'],
    ]);

    expect(await bed.runtime.scheduler.runDue()).toBe(0);
    now = new Date('2027-03-02T10:00:01.000Z');
    expect(await bed.runtime.scheduler.runDue()).toBe(1);
    await bed.eventually(
      async () => (await bed.runtime.worker.drain()) >= 0 && mailsFor(email).length === 1,
    );
    expect(mailsFor(email)[0].subject).toBe('Reminder: Growth webinar starts in 24h');
    expect(mailsFor(email)[0].html).toContain('/track/click/'); // the join link, tracked

    const stored = await bed.runtime.base.eventStore.readAll({
      filter: { eventTypes: ['ReminderSent'] },
      maxCount: 1000,
    });
    const reminder = stored.events.find((e) => e.data.registrationId === registrationId);
    expect(reminder?.data).toMatchObject({
      registrationId,
      eventId,
      contactId,
      reminderType: '24h',
      channel: 'email',
    });

    // Running again, or from a second scheduler, sends nothing more.
    expect(await bed.runtime.scheduler.runDue()).toBe(0);
    await bed.runtime.worker.drain();
    expect(mailsFor(email)).toHaveLength(1);
  });

  it('moves pending reminders with a reschedule and cancels them with the registration', async () => {
    now = new Date('2027-03-01T10:00:00.000Z');
    const contactId = await bed.addContact();
    const eventId = randomUUID();
    const registrationId = randomUUID();
    await feed(eventCreated(eventId), registered(registrationId, eventId, contactId));
    await feed(
      incoming(
        `event-${eventId}`,
        'EventRescheduled',
        {
          eventId,
          previousScheduledAt: startsAt.toISOString(),
          scheduledAt: '2027-03-05T15:00:00.000Z',
          previousTimezone: 'UTC',
          timezone: 'UTC',
          durationMinutes: 60,
        },
        now,
      ),
    );
    expect(
      (await dueRows(registrationId)).map((r) => [
        r.reminder_type,
        r.due_at.toISOString(),
        r.state,
      ]),
    ).toEqual([
      ['24h', '2027-03-04T15:00:00.000Z', 'pending'],
      ['1h', '2027-03-05T14:00:00.000Z', 'pending'],
    ]);
    await feed(
      incoming(
        `registration-${registrationId}`,
        'RegistrationCancelled',
        { registrationId, eventId, contactId, heldSeat: true },
        now,
      ),
    );
    expect((await dueRows(registrationId)).map((r) => r.state)).toEqual(['cancelled', 'cancelled']);
  });

  it('plans none for a waitlisted registration, and plans them once it is promoted', async () => {
    now = new Date('2027-03-01T10:00:00.000Z');
    const contactId = await bed.addContact();
    const eventId = randomUUID();
    const registrationId = randomUUID();
    // The registration may arrive before its event: it is planned when the event comes.
    await feed(registered(registrationId, eventId, contactId, 'waitlisted'), eventCreated(eventId));
    expect(await dueRows(registrationId)).toEqual([]);
    await feed(
      incoming(
        `registration-${registrationId}`,
        'RegistrationPromoted',
        { registrationId, eventId, contactId },
        now,
      ),
    );
    expect(await dueRows(registrationId)).toHaveLength(2);
  });

  it('never doubles a reminder between two schedulers running at once', async () => {
    now = new Date('2027-03-01T10:00:00.000Z');
    const emails = Array.from({ length: 8 }, () => `p-${randomUUID().slice(0, 8)}@example.com`);
    const eventId = randomUUID();
    const events = [eventCreated(eventId)];
    for (const email of emails)
      events.push(registered(randomUUID(), eventId, await bed.addContact({ email })));
    await feed(...events);
    now = new Date('2027-03-03T09:00:01.000Z');
    const second = new ReminderScheduler({
      pool: bed.runtime.base.pool,
      schema: bed.config.schema,
      requester: bed.runtime.requester,
      recipients: bed.runtime.recipients,
      leaseMs: 60_000,
      pollMs: 1_000,
      batchSize: 2,
      clock: () => now,
      log: () => undefined,
    });
    const [a, b] = await Promise.all([bed.runtime.scheduler.runDue(), second.runDue()]);
    // Between them they took every due reminder (earlier tests' registrations have some due too).
    expect(a + b).toBeGreaterThanOrEqual(16);
    const { rows } = await bed.pool.query(
      `SELECT state, count(*)::int AS n FROM ${bed.config.schema}.due_reminders WHERE event_id = $1 GROUP BY state`,
      [eventId],
    );
    expect(rows).toEqual([{ state: 'requested', n: 16 }]);
    await bed.eventually(async () => {
      await bed.runtime.worker.drain();
      return emails.every((e) => mailsFor(e).length === 2);
    });
    await bed.runtime.worker.drain();
    expect(emails.map((e) => mailsFor(e).length)).toEqual(emails.map(() => 2));
  });
});
