import { ConflictError, NotFoundError, given, testContext } from '@engagement/decider';
import type { RegistrationEvent } from '@engagement/contracts';
import { registrationDecider } from './registration.decider';

const names = { registrationId: 'r1', eventId: 'e1', contactId: 'c1' };
const at = testContext.now.toISOString();
const createdData = {
  ...names,
  status: 'registered' as const,
  eventTitle: 'Webinar',
  registrationSource: 'api' as const,
  sourceUrl: null,
  utmParams: { source: 'linkedin' },
  formData: { company: 'Acme Corp' },
};
const register = { type: 'Register' as const, ...createdData };
const created: RegistrationEvent = {
  type: 'RegistrationCreated',
  data: { ...createdData, registeredAt: at },
};
const waitlisted: RegistrationEvent = {
  type: 'RegistrationCreated',
  data: { ...createdData, status: 'waitlisted', registeredAt: at },
};
const cancelled = (heldSeat: boolean): RegistrationEvent => ({
  type: 'RegistrationCancelled',
  data: { ...names, cancelledAt: at, reason: null, heldSeat },
});

describe('registration decider', () => {
  it('registers once; a repeat is answered with the existing registration (no event)', () => {
    given(registrationDecider, []).when(register).then([created]);
    given(registrationDecider, [created]).when(register).then([]);
  });

  it('promotes a waitlisted registration once', () => {
    const promoted: RegistrationEvent = { type: 'RegistrationPromoted', data: names };
    given(registrationDecider, [waitlisted])
      .when({ type: 'Promote', registrationId: 'r1' })
      .then([promoted]);
    given(registrationDecider, [waitlisted, promoted])
      .when({ type: 'Promote', registrationId: 'r1' })
      .then([]);
    given(registrationDecider, [waitlisted, cancelled(false)])
      .when({ type: 'Promote', registrationId: 'r1' })
      .then([]);
  });

  it('cancels saying whether a seat was held; a repeat changes nothing; not after attendance', () => {
    given(registrationDecider, [created])
      .when({ type: 'Cancel', registrationId: 'r1', reason: null })
      .then([cancelled(true)]);
    given(registrationDecider, [waitlisted])
      .when({ type: 'Cancel', registrationId: 'r1', reason: null })
      .then([cancelled(false)]);
    given(registrationDecider, [created, cancelled(true)])
      .when({ type: 'Cancel', registrationId: 'r1', reason: null })
      .then([]);
    const attended: RegistrationEvent = {
      type: 'RegistrationAttended',
      data: {
        ...names,
        eventTitle: 'Webinar',
        attendedAt: at,
        durationMinutes: 30,
        engagementScore: 70,
      },
    };
    given(registrationDecider, [created, attended])
      .when({ type: 'Cancel', registrationId: 'r1', reason: null })
      .thenThrows(ConflictError, { details: { currentStatus: 'attended' } });
  });

  it('records attendance; marks no-show only the seated without attendance', () => {
    const attend = {
      type: 'RecordAttendance' as const,
      registrationId: 'r1',
      eventTitle: 'Webinar',
      attendedAt: at,
      durationMinutes: 30,
      engagementScore: 70,
    };
    const attended: RegistrationEvent = {
      type: 'RegistrationAttended',
      data: {
        ...names,
        eventTitle: 'Webinar',
        attendedAt: at,
        durationMinutes: 30,
        engagementScore: 70,
      },
    };
    given(registrationDecider, [created]).when(attend).then([attended]);
    given(registrationDecider, [created, attended]).when(attend).then([]);
    given(registrationDecider, [created])
      .when({ type: 'MarkNoShow', registrationId: 'r1', eventTitle: 'Webinar' })
      .then([{ type: 'RegistrationMarkedNoShow', data: { ...names, eventTitle: 'Webinar' } }]);
    given(registrationDecider, [created, attended])
      .when({ type: 'MarkNoShow', registrationId: 'r1', eventTitle: 'Webinar' })
      .then([]);
    given(registrationDecider, [waitlisted])
      .when({ type: 'MarkNoShow', registrationId: 'r1', eventTitle: 'Webinar' })
      .then([]);
  });

  it('keeps each reminder once, by message id', () => {
    const reminder = {
      type: 'RecordReminder' as const,
      registrationId: 'r1',
      reminderType: '24h',
      channel: 'email',
      sentAt: at,
      messageId: 'm1',
    };
    const sent: RegistrationEvent = {
      type: 'RegistrationReminderSent',
      data: { ...names, reminderType: '24h', channel: 'email', sentAt: at, messageId: 'm1' },
    };
    given(registrationDecider, [created]).when(reminder).then([sent]);
    given(registrationDecider, [created, sent]).when(reminder).then([]);
  });

  it('confirms a seated registration only', () => {
    given(registrationDecider, [created])
      .when({ type: 'Confirm', registrationId: 'r1' })
      .then([{ type: 'RegistrationConfirmed', data: { ...names, confirmedAt: at } }]);
    given(registrationDecider, [waitlisted])
      .when({ type: 'Confirm', registrationId: 'r1' })
      .thenThrows(ConflictError, { details: { currentStatus: 'waitlisted' } });
    given(registrationDecider, [])
      .when({ type: 'Confirm', registrationId: 'r1' })
      .thenThrows(NotFoundError);
  });
});
