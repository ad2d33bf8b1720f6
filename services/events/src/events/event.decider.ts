// An event's lifecycle (stream `event-<uuid>`): create, update, schedule,
// reschedule, open and close registration, go live, complete, cancel,
// postpone, link to its platform's meeting. Only these transitions exist:
//
//   draft → scheduled → registration_open → registration_closed → live → completed
//   cancelled and postponed: from any state before completed
//   reschedule: draft, scheduled, registration_open/closed, postponed (postponed → scheduled)
//
// Anything else is a 409 naming the current status. Repeating a transition
// that already happened changes nothing (no event): a retried request is
// answered like the first.
import {
  ConflictError,
  NotFoundError,
  RuleViolationError,
  type CommandContext,
  type Decider,
} from '@engagement/decider';
import type {
  EventDetails,
  EventEvent,
  EventStatus,
  EventUpdatedData,
} from '@engagement/contracts';
import type { JsonObject } from '@engagement/event-store';

export interface EventState {
  exists: boolean;
  status: EventStatus;
  details: EventDetails | null;
}

type Changes = Omit<EventUpdatedData, 'eventId'>;

export type EventCommand =
  | { type: 'CreateEvent'; eventId: string; details: EventDetails }
  | { type: 'UpdateEvent'; eventId: string; changes: Changes }
  | { type: 'ScheduleEvent'; eventId: string }
  | {
      type: 'RescheduleEvent';
      eventId: string;
      scheduledAt: string;
      timezone?: string;
      durationMinutes?: number;
    }
  | { type: 'OpenRegistration'; eventId: string }
  | { type: 'CloseRegistration'; eventId: string }
  | { type: 'StartEvent'; eventId: string }
  | { type: 'CompleteEvent'; eventId: string }
  | { type: 'CancelEvent'; eventId: string; reason: string | null }
  | { type: 'PostponeEvent'; eventId: string; reason: string | null }
  | {
      type: 'LinkPlatform';
      eventId: string;
      platformEventId: string;
      platformUrl: string | null;
      platformMetadata: JsonObject | null;
    };

/** The transitions: the statuses each one may start from, and where it goes. */
const TRANSITIONS = {
  ScheduleEvent: { from: ['draft'], to: 'scheduled', action: 'schedule' },
  OpenRegistration: { from: ['scheduled'], to: 'registration_open', action: 'open registration' },
  CloseRegistration: {
    from: ['registration_open'],
    to: 'registration_closed',
    action: 'close registration',
  },
  StartEvent: { from: ['registration_closed'], to: 'live', action: 'start' },
  CompleteEvent: { from: ['live'], to: 'completed', action: 'complete' },
  CancelEvent: {
    from: ['draft', 'scheduled', 'registration_open', 'registration_closed', 'live', 'postponed'],
    to: 'cancelled',
    action: 'cancel',
  },
  PostponeEvent: {
    from: ['draft', 'scheduled', 'registration_open', 'registration_closed', 'live'],
    to: 'postponed',
    action: 'postpone',
  },
} as const satisfies Record<
  string,
  { from: readonly EventStatus[]; to: EventStatus; action: string }
>;

const RESCHEDULABLE: readonly EventStatus[] = [
  'draft',
  'scheduled',
  'registration_open',
  'registration_closed',
  'postponed',
];
const EDITABLE: readonly EventStatus[] = [
  'draft',
  'scheduled',
  'registration_open',
  'registration_closed',
  'live',
  'postponed',
];

export class InvalidTransitionError extends ConflictError {
  constructor(action: string, status: EventStatus) {
    super(`Cannot ${action} an event that is ${status}`, 'invalid-transition', {
      currentStatus: status,
    });
  }
}

export const eventDecider: Decider<EventCommand, EventEvent, EventState> = {
  initialState: () => ({ exists: false, status: 'draft', details: null }),

  evolve(state, event) {
    switch (event.type) {
      case 'EventCreated':
        return { exists: true, status: 'draft', details: withoutKey(event.data, 'eventId') };
      case 'EventUpdated':
        return {
          ...state,
          details: { ...state.details!, ...withoutKey(event.data, 'eventId') },
        };
      case 'EventScheduled':
        return { ...state, status: 'scheduled' };
      case 'EventRescheduled':
        return {
          ...state,
          status: state.status === 'postponed' ? 'scheduled' : state.status,
          details: {
            ...state.details!,
            scheduledAt: event.data.scheduledAt,
            timezone: event.data.timezone,
            durationMinutes: event.data.durationMinutes,
          },
        };
      case 'EventRegistrationOpened':
        return { ...state, status: 'registration_open' };
      case 'EventRegistrationClosed':
        return { ...state, status: 'registration_closed' };
      case 'EventStarted':
        return { ...state, status: 'live' };
      case 'EventCompleted':
        return { ...state, status: 'completed' };
      case 'EventCancelled':
        return { ...state, status: 'cancelled' };
      case 'EventPostponed':
        return { ...state, status: 'postponed' };
      case 'EventPlatformLinked':
        return {
          ...state,
          details: {
            ...state.details!,
            platformEventId: event.data.platformEventId,
            platformUrl: event.data.platformUrl ?? state.details!.platformUrl,
            platformMetadata: event.data.platformMetadata,
          },
        };
    }
  },

  decide(command, state, context) {
    if (command.type === 'CreateEvent') {
      if (state.exists) throw new ConflictError('An event with this id exists', 'event-exists');
      requireFuture(command.details.scheduledAt, context);
      return [{ type: 'EventCreated', data: { eventId: command.eventId, ...command.details } }];
    }
    if (!state.exists) throw new NotFoundError(`No event has the id ${command.eventId}`);
    const details = state.details!;
    const eventId = command.eventId;

    switch (command.type) {
      case 'UpdateEvent': {
        if (!EDITABLE.includes(state.status))
          throw new InvalidTransitionError('update', state.status);
        const changed = Object.fromEntries(
          Object.entries(command.changes).filter(
            ([key, value]) =>
              value !== undefined &&
              JSON.stringify(value) !== JSON.stringify(details[key as keyof EventDetails]),
          ),
        ) as Changes;
        if (Object.keys(changed).length === 0) return [];
        return [{ type: 'EventUpdated', data: { eventId, ...changed } }];
      }
      case 'RescheduleEvent': {
        if (!RESCHEDULABLE.includes(state.status))
          throw new InvalidTransitionError('reschedule', state.status);
        const timezone = command.timezone ?? details.timezone;
        const durationMinutes = command.durationMinutes ?? details.durationMinutes;
        const same =
          command.scheduledAt === details.scheduledAt &&
          timezone === details.timezone &&
          durationMinutes === details.durationMinutes;
        if (same && state.status !== 'postponed') return [];
        requireFuture(command.scheduledAt, context);
        return [
          {
            type: 'EventRescheduled',
            data: {
              eventId,
              previousScheduledAt: details.scheduledAt,
              scheduledAt: command.scheduledAt,
              previousTimezone: details.timezone,
              timezone,
              durationMinutes,
            },
          },
        ];
      }
      case 'LinkPlatform': {
        if (
          details.platformEventId === command.platformEventId &&
          JSON.stringify(details.platformMetadata) === JSON.stringify(command.platformMetadata)
        )
          return [];
        return [
          {
            type: 'EventPlatformLinked',
            data: {
              eventId,
              platformEventId: command.platformEventId,
              platformUrl: command.platformUrl,
              platformMetadata: command.platformMetadata,
            },
          },
        ];
      }
      default: {
        const transition = TRANSITIONS[command.type];
        if (state.status === transition.to) return [];
        if (!(transition.from as readonly EventStatus[]).includes(state.status))
          throw new InvalidTransitionError(transition.action, state.status);
        const at = context.now.toISOString();
        switch (command.type) {
          case 'ScheduleEvent':
            return [
              { type: 'EventScheduled', data: { eventId, scheduledAt: details.scheduledAt } },
            ];
          case 'OpenRegistration':
            return [{ type: 'EventRegistrationOpened', data: { eventId } }];
          case 'CloseRegistration':
            return [{ type: 'EventRegistrationClosed', data: { eventId } }];
          case 'StartEvent':
            return [{ type: 'EventStarted', data: { eventId, startedAt: at } }];
          case 'CompleteEvent':
            return [{ type: 'EventCompleted', data: { eventId, completedAt: at } }];
          case 'CancelEvent':
            return [
              {
                type: 'EventCancelled',
                data: { eventId, cancelledAt: at, reason: command.reason },
              },
            ];
          case 'PostponeEvent':
            return [{ type: 'EventPostponed', data: { eventId, reason: command.reason } }];
        }
      }
    }
  },
};

function requireFuture(scheduledAt: string, context: CommandContext): void {
  if (Date.parse(scheduledAt) <= context.now.getTime()) {
    throw new RuleViolationError('scheduledAt must be in the future', 'schedule-in-past', {
      field: 'scheduledAt',
    });
  }
}

/** Registration takes new registrations only while it is open. */
export function acceptsRegistrations(status: EventStatus): boolean {
  return status === 'registration_open';
}

function withoutKey<T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> {
  const copy = { ...value };
  delete copy[key];
  return copy;
}
