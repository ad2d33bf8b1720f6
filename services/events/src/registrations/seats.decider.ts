// An event's seats (stream `seats-<event uuid>`, internal to this service):
// the capacity invariant, decided at write time. Every registration takes a
// seat or a place on the waitlist here first; the append carries the
// revision read, so concurrent registrations are decided one after another
// (a conflict decides again on fresh state) and the seated never outnumber
// the capacity, whatever the read model shows. A released seat promotes the
// oldest waitlisted registration in the same append, so two racing
// cancellations promote two different registrations, each exactly once.
//
// The capacity is the event's max_registrations when the command is
// decided (null: unlimited); a raised capacity promotes with Recheck.
import type { Decider, DomainEvent } from '@engagement/decider';

type Seat = { registrationId: string };
export type SeatsEvent =
  | DomainEvent<'SeatAllocated', Seat>
  | DomainEvent<'WaitlistJoined', Seat>
  | DomainEvent<'SeatReleased', Seat>
  | DomainEvent<'WaitlistLeft', Seat>
  | DomainEvent<'WaitlistPromoted', Seat>;

export const SEATS_EVENT_SCHEMA_VERSIONS: Record<SeatsEvent['type'], number> = {
  SeatAllocated: 1,
  WaitlistJoined: 1,
  SeatReleased: 1,
  WaitlistLeft: 1,
  WaitlistPromoted: 1,
};

export type SeatsCommand =
  | { type: 'Allocate'; registrationId: string; capacity: number | null }
  | { type: 'Release'; registrationId: string; capacity: number | null }
  | { type: 'Recheck'; capacity: number | null };

export interface SeatsState {
  /** Registrations holding a seat. */
  seated: Set<string>;
  /** Waiting registrations, oldest first. */
  waitlist: string[];
}

export type Allocation = 'seated' | 'waitlisted' | 'none';

export function allocationOf(state: SeatsState, registrationId: string): Allocation {
  if (state.seated.has(registrationId)) return 'seated';
  return state.waitlist.includes(registrationId) ? 'waitlisted' : 'none';
}

function hasRoom(capacity: number | null, seatedNow: number): boolean {
  return capacity === null || seatedNow < capacity;
}

/** Promotions while there is room: the oldest waiting first. */
function promotions(state: SeatsState, capacity: number | null, seatedNow: number): SeatsEvent[] {
  const events: SeatsEvent[] = [];
  let seated = seatedNow;
  for (const registrationId of state.waitlist) {
    if (!hasRoom(capacity, seated)) break;
    events.push({ type: 'WaitlistPromoted', data: { registrationId } });
    seated++;
  }
  return events;
}

export const seatsDecider: Decider<SeatsCommand, SeatsEvent, SeatsState> = {
  initialState: () => ({ seated: new Set(), waitlist: [] }),

  evolve(state, event) {
    const id = event.data.registrationId;
    const seated = new Set(state.seated);
    let waitlist = state.waitlist;
    switch (event.type) {
      case 'SeatAllocated':
        seated.add(id);
        break;
      case 'WaitlistJoined':
        waitlist = [...waitlist, id];
        break;
      case 'SeatReleased':
        seated.delete(id);
        break;
      case 'WaitlistLeft':
        waitlist = waitlist.filter((w) => w !== id);
        break;
      case 'WaitlistPromoted':
        waitlist = waitlist.filter((w) => w !== id);
        seated.add(id);
        break;
    }
    return { seated, waitlist };
  },

  decide(command, state) {
    switch (command.type) {
      case 'Allocate': {
        if (allocationOf(state, command.registrationId) !== 'none') return [];
        const registrationId = command.registrationId;
        // Nobody jumps the queue: while anyone waits, newcomers wait too.
        return hasRoom(command.capacity, state.seated.size) && state.waitlist.length === 0
          ? [{ type: 'SeatAllocated', data: { registrationId } }]
          : [{ type: 'WaitlistJoined', data: { registrationId } }];
      }
      case 'Release': {
        const registrationId = command.registrationId;
        const allocation = allocationOf(state, registrationId);
        if (allocation === 'waitlisted')
          return [{ type: 'WaitlistLeft', data: { registrationId } }];
        if (allocation === 'none') return [];
        const after = seatsDecider.evolve(state, {
          type: 'SeatReleased',
          data: { registrationId },
        });
        return [
          { type: 'SeatReleased', data: { registrationId } },
          ...promotions(after, command.capacity, after.seated.size),
        ];
      }
      case 'Recheck':
        return promotions(state, command.capacity, state.seated.size);
    }
  },
};

/** The registrations an outcome of the decider promoted. */
export function promotedBy(events: SeatsEvent[]): string[] {
  return events.filter((e) => e.type === 'WaitlistPromoted').map((e) => e.data.registrationId);
}
