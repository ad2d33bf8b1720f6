// A registration (stream `registration-<uuid>`, the uuid derived from the
// event and the contact, so one contact has one registration per event:
// registration-id.ts). Its seat or waitlist place is decided first by the
// event's seats (seats.decider.ts) and arrives here in the command.
//
//   registered ⇄ confirmed; waitlisted → registered (promotion);
//   registered/confirmed/waitlisted → cancelled;
//   registered/confirmed/no_show → attended; registered/confirmed → no_show
//
// Repeats change nothing (no event), so retries and redeliveries are safe.
import { ConflictError, NotFoundError, type Decider } from '@engagement/decider';
import type {
  RegistrationCreatedData,
  RegistrationEvent,
  RegistrationStatus,
} from '@engagement/contracts';
import type { JsonObject } from '@engagement/event-store';

export interface RegistrationState {
  exists: boolean;
  status: RegistrationStatus;
  eventId: string;
  contactId: string;
  platformRegistrantId: string | null;
  platformJoinUrl: string | null;
  attendance: {
    attendedAt: string;
    durationMinutes: number | null;
    engagementScore: number | null;
  } | null;
  reminderMessageIds: string[];
}

type Names = { registrationId: string };

export type RegistrationCommand =
  | ({ type: 'Register' } & Omit<RegistrationCreatedData, 'registeredAt'>)
  | ({ type: 'Promote' } & Names)
  | ({ type: 'Confirm' } & Names)
  | ({ type: 'Cancel'; reason: string | null } & Names)
  | ({
      type: 'RecordAttendance';
      eventTitle: string;
      attendedAt: string;
      durationMinutes: number | null;
      engagementScore: number | null;
    } & Names)
  | ({ type: 'MarkNoShow'; eventTitle: string } & Names)
  | ({
      type: 'AddPlatformRegistrant';
      platformRegistrantId: string | null;
      platformJoinUrl: string | null;
      platformMetadata: JsonObject | null;
    } & Names)
  | ({
      type: 'RecordReminder';
      reminderType: string;
      channel: string;
      sentAt: string;
      messageId: string;
    } & Names);

export class RegistrationStatusError extends ConflictError {
  constructor(action: string, status: RegistrationStatus) {
    super(`Cannot ${action} a registration that is ${status}`, 'invalid-registration-status', {
      currentStatus: status,
    });
  }
}

const SEATED: readonly RegistrationStatus[] = ['registered', 'confirmed'];

export const registrationDecider: Decider<
  RegistrationCommand,
  RegistrationEvent,
  RegistrationState
> = {
  initialState: () => ({
    exists: false,
    status: 'registered',
    eventId: '',
    contactId: '',
    platformRegistrantId: null,
    platformJoinUrl: null,
    attendance: null,
    reminderMessageIds: [],
  }),

  evolve(state, event) {
    switch (event.type) {
      case 'RegistrationCreated':
        return {
          ...state,
          exists: true,
          status: event.data.status,
          eventId: event.data.eventId,
          contactId: event.data.contactId,
        };
      case 'RegistrationPromoted':
        return { ...state, status: 'registered' };
      case 'RegistrationConfirmed':
        return { ...state, status: 'confirmed' };
      case 'RegistrationCancelled':
        return { ...state, status: 'cancelled' };
      case 'RegistrationAttended':
        return {
          ...state,
          status: 'attended',
          attendance: {
            attendedAt: event.data.attendedAt,
            durationMinutes: event.data.durationMinutes,
            engagementScore: event.data.engagementScore,
          },
        };
      case 'RegistrationMarkedNoShow':
        return { ...state, status: 'no_show' };
      case 'PlatformRegistrantAdded':
        return {
          ...state,
          platformRegistrantId: event.data.platformRegistrantId,
          platformJoinUrl: event.data.platformJoinUrl,
        };
      case 'RegistrationReminderSent':
        return {
          ...state,
          reminderMessageIds: [...state.reminderMessageIds, event.data.messageId],
        };
    }
  },

  decide(command, state, context) {
    const at = context.now.toISOString();
    if (command.type === 'Register') {
      if (state.exists) return []; // one registration per contact and event: the caller answers with it
      const data = { ...command, registeredAt: at } as Partial<typeof command>;
      delete data.type;
      return [
        {
          type: 'RegistrationCreated',
          data: data as Omit<typeof command, 'type'> & { registeredAt: string },
        },
      ];
    }
    if (!state.exists)
      throw new NotFoundError(`No registration has the id ${command.registrationId}`);
    const names = {
      registrationId: command.registrationId,
      eventId: state.eventId,
      contactId: state.contactId,
    };
    switch (command.type) {
      case 'Promote':
        return state.status === 'waitlisted' ? [{ type: 'RegistrationPromoted', data: names }] : [];
      case 'Confirm':
        if (state.status === 'confirmed') return [];
        if (state.status !== 'registered')
          throw new RegistrationStatusError('confirm', state.status);
        return [{ type: 'RegistrationConfirmed', data: { ...names, confirmedAt: at } }];
      case 'Cancel':
        if (state.status === 'cancelled') return [];
        if (state.status === 'attended' || state.status === 'no_show')
          throw new RegistrationStatusError('cancel', state.status);
        return [
          {
            type: 'RegistrationCancelled',
            data: {
              ...names,
              cancelledAt: at,
              reason: command.reason,
              heldSeat: state.status !== 'waitlisted',
            },
          },
        ];
      case 'RecordAttendance': {
        if (state.status === 'cancelled' || state.status === 'waitlisted')
          throw new RegistrationStatusError('record attendance of', state.status);
        const attendance = {
          attendedAt: command.attendedAt,
          durationMinutes: command.durationMinutes,
          engagementScore: command.engagementScore,
        };
        if (JSON.stringify(state.attendance) === JSON.stringify(attendance)) return [];
        return [
          {
            type: 'RegistrationAttended',
            data: { ...names, eventTitle: command.eventTitle, ...attendance },
          },
        ];
      }
      case 'MarkNoShow':
        return SEATED.includes(state.status)
          ? [
              {
                type: 'RegistrationMarkedNoShow',
                data: { ...names, eventTitle: command.eventTitle },
              },
            ]
          : [];
      case 'AddPlatformRegistrant':
        if (
          state.status === 'cancelled' ||
          (state.platformRegistrantId === command.platformRegistrantId &&
            state.platformJoinUrl === command.platformJoinUrl)
        )
          return [];
        return [
          {
            type: 'PlatformRegistrantAdded',
            data: {
              ...names,
              platformRegistrantId: command.platformRegistrantId,
              platformJoinUrl: command.platformJoinUrl,
              platformMetadata: command.platformMetadata,
            },
          },
        ];
      case 'RecordReminder':
        if (state.reminderMessageIds.includes(command.messageId)) return [];
        return [
          {
            type: 'RegistrationReminderSent',
            data: {
              ...names,
              reminderType: command.reminderType,
              channel: command.channel,
              sentAt: command.sentAt,
              messageId: command.messageId,
            },
          },
        ];
    }
  },
};
