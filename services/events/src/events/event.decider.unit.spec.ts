import {
  ConflictError,
  NotFoundError,
  RuleViolationError,
  given,
  testContext,
} from '@engagement/decider';
import type { EventDetails, EventEvent } from '@engagement/contracts';
import { eventDecider, type EventCommand } from './event.decider';

const eventId = '0c7e4f5e-1b2a-4c3d-8e9f-a0b1c2d3e4f5';
const details: EventDetails = {
  title: 'How to Build AI Funnels',
  description: null,
  type: 'webinar',
  platform: 'zoom_webinar',
  platformEventId: null,
  platformUrl: null,
  platformMetadata: null,
  scheduledAt: '2026-02-01T17:00:00.000Z',
  timezone: 'America/Los_Angeles',
  durationMinutes: 60,
  landingPageSlug: null,
  coverImageUrl: null,
  replayUrl: null,
  resourcesUrl: null,
  maxRegistrations: 100,
  contentContext: null,
};
const created: EventEvent = { type: 'EventCreated', data: { eventId, ...details } };
const scheduled: EventEvent = {
  type: 'EventScheduled',
  data: { eventId, scheduledAt: details.scheduledAt },
};
const opened: EventEvent = { type: 'EventRegistrationOpened', data: { eventId } };
const closed: EventEvent = { type: 'EventRegistrationClosed', data: { eventId } };
const started: EventEvent = {
  type: 'EventStarted',
  data: { eventId, startedAt: testContext.now.toISOString() },
};
const completed: EventEvent = {
  type: 'EventCompleted',
  data: { eventId, completedAt: testContext.now.toISOString() },
};
const postponed: EventEvent = { type: 'EventPostponed', data: { eventId, reason: null } };
const at = testContext.now.toISOString();
const cmd = (
  type: Exclude<
    EventCommand['type'],
    | 'CreateEvent'
    | 'UpdateEvent'
    | 'RescheduleEvent'
    | 'LinkPlatform'
    | 'CancelEvent'
    | 'PostponeEvent'
  >,
) => ({ type, eventId }) as EventCommand;

describe('event decider', () => {
  it('creates a draft; refuses a second create and a past time', () => {
    given(eventDecider, []).when({ type: 'CreateEvent', eventId, details }).then([created]);
    given(eventDecider, [created])
      .when({ type: 'CreateEvent', eventId, details })
      .thenThrows(ConflictError, { code: 'event-exists' });
    given(eventDecider, [])
      .when({
        type: 'CreateEvent',
        eventId,
        details: { ...details, scheduledAt: '2026-01-01T00:00:00.000Z' },
      })
      .thenThrows(RuleViolationError, {
        code: 'schedule-in-past',
        details: { field: 'scheduledAt' },
      });
  });

  it('walks draft → scheduled → registration_open → registration_closed → live → completed', () => {
    given(eventDecider, [created]).when(cmd('ScheduleEvent')).then([scheduled]);
    given(eventDecider, [created, scheduled]).when(cmd('OpenRegistration')).then([opened]);
    given(eventDecider, [created, scheduled, opened]).when(cmd('CloseRegistration')).then([closed]);
    given(eventDecider, [created, scheduled, opened, closed])
      .when(cmd('StartEvent'))
      .then([started]);
    given(eventDecider, [created, scheduled, opened, closed, started])
      .when(cmd('CompleteEvent'))
      .then([completed]);
  });

  it('answers an invalid transition with a 409 naming the current status', () => {
    given(eventDecider, [created])
      .when(cmd('StartEvent'))
      .thenThrows(ConflictError, {
        status: 409,
        code: 'invalid-transition',
        details: { currentStatus: 'draft' },
      });
    given(eventDecider, [created, scheduled, opened, closed, started, completed])
      .when({ type: 'CancelEvent', eventId, reason: null })
      .thenThrows(ConflictError, { details: { currentStatus: 'completed' } });
    given(eventDecider, [created, scheduled, opened, closed, started, completed])
      .when({ type: 'PostponeEvent', eventId, reason: null })
      .thenThrows(ConflictError, { details: { currentStatus: 'completed' } });
    given(eventDecider, [created, scheduled])
      .when(cmd('CompleteEvent'))
      .thenThrows(ConflictError, { details: { currentStatus: 'scheduled' } });
  });

  it('treats a repeated transition as done (no event)', () => {
    given(eventDecider, [created, scheduled]).when(cmd('ScheduleEvent')).then([]);
  });

  it('cancels and postpones from any state before completed', () => {
    for (const history of [
      [created],
      [created, scheduled],
      [created, scheduled, opened, closed, started],
    ]) {
      given(eventDecider, history)
        .when({ type: 'CancelEvent', eventId, reason: 'speaker ill' })
        .then([
          { type: 'EventCancelled', data: { eventId, cancelledAt: at, reason: 'speaker ill' } },
        ]);
      given(eventDecider, history)
        .when({ type: 'PostponeEvent', eventId, reason: null })
        .then([postponed]);
    }
    given(eventDecider, [created, postponed])
      .when({ type: 'CancelEvent', eventId, reason: null })
      .then([{ type: 'EventCancelled', data: { eventId, cancelledAt: at, reason: null } }]);
  });

  it('reschedules with old and new times; a postponed event is scheduled again', () => {
    const later = '2026-03-01T17:00:00.000Z';
    const rescheduled: EventEvent = {
      type: 'EventRescheduled',
      data: {
        eventId,
        previousScheduledAt: details.scheduledAt,
        scheduledAt: later,
        previousTimezone: details.timezone,
        timezone: 'Europe/Paris',
        durationMinutes: 60,
      },
    };
    given(eventDecider, [created, scheduled, postponed])
      .when({ type: 'RescheduleEvent', eventId, scheduledAt: later, timezone: 'Europe/Paris' })
      .then([rescheduled]);
    expect(
      eventDecider.evolve(eventDecider.evolve(eventDecider.initialState(), created), postponed)
        .status,
    ).toBe('postponed');
    const state = [created, scheduled, postponed, rescheduled].reduce(
      eventDecider.evolve,
      eventDecider.initialState(),
    );
    expect(state.status).toBe('scheduled');
    given(eventDecider, [created, scheduled, opened, closed, started])
      .when({ type: 'RescheduleEvent', eventId, scheduledAt: later })
      .thenThrows(ConflictError, { details: { currentStatus: 'live' } });
    given(eventDecider, [created, scheduled])
      .when({ type: 'RescheduleEvent', eventId, scheduledAt: details.scheduledAt })
      .then([]);
  });

  it('updates only what changed; nothing once completed', () => {
    given(eventDecider, [created])
      .when({
        type: 'UpdateEvent',
        eventId,
        changes: { title: details.title, maxRegistrations: 150 },
      })
      .then([{ type: 'EventUpdated', data: { eventId, maxRegistrations: 150 } }]);
    given(eventDecider, [created])
      .when({ type: 'UpdateEvent', eventId, changes: { title: details.title } })
      .then([]);
    given(eventDecider, [created, scheduled, opened, closed, started, completed])
      .when({ type: 'UpdateEvent', eventId, changes: { title: 'x' } })
      .thenThrows(ConflictError, { details: { currentStatus: 'completed' } });
  });

  it('knows no event it was never told about', () => {
    given(eventDecider, []).when(cmd('ScheduleEvent')).thenThrows(NotFoundError);
  });
});
