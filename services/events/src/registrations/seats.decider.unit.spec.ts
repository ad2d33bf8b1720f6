import { given } from '@engagement/decider';
import { seatsDecider, type SeatsEvent } from './seats.decider';

const seat = (registrationId: string): SeatsEvent => ({
  type: 'SeatAllocated',
  data: { registrationId },
});
const wait = (registrationId: string): SeatsEvent => ({
  type: 'WaitlistJoined',
  data: { registrationId },
});
const release = (registrationId: string): SeatsEvent => ({
  type: 'SeatReleased',
  data: { registrationId },
});
const promote = (registrationId: string): SeatsEvent => ({
  type: 'WaitlistPromoted',
  data: { registrationId },
});

describe('seats decider', () => {
  it('seats while there is room, then waitlists; unlimited never waitlists', () => {
    given(seatsDecider, [seat('a')])
      .when({ type: 'Allocate', registrationId: 'b', capacity: 2 })
      .then([seat('b')]);
    given(seatsDecider, [seat('a'), seat('b')])
      .when({ type: 'Allocate', registrationId: 'c', capacity: 2 })
      .then([wait('c')]);
    given(seatsDecider, [seat('a'), seat('b')])
      .when({ type: 'Allocate', registrationId: 'c', capacity: null })
      .then([seat('c')]);
  });

  it('allocates a registration once, however often it is asked', () => {
    given(seatsDecider, [seat('a')])
      .when({ type: 'Allocate', registrationId: 'a', capacity: 1 })
      .then([]);
    given(seatsDecider, [seat('a'), wait('b')])
      .when({ type: 'Allocate', registrationId: 'b', capacity: 1 })
      .then([]);
  });

  it('lets nobody jump the queue while someone waits', () => {
    // Capacity raised from 1 to 2 but not rechecked yet: the newcomer still waits behind b.
    given(seatsDecider, [seat('a'), wait('b')])
      .when({ type: 'Allocate', registrationId: 'c', capacity: 2 })
      .then([wait('c')]);
  });

  it('promotes the oldest waiting registration when a seat is released, in the same decision', () => {
    given(seatsDecider, [seat('a'), seat('b'), wait('c'), wait('d')])
      .when({ type: 'Release', registrationId: 'a', capacity: 2 })
      .then([release('a'), promote('c')]);
  });

  it('promotes nobody twice: a second release of the same seat changes nothing', () => {
    given(seatsDecider, [seat('a'), seat('b'), wait('c'), wait('d'), release('a'), promote('c')])
      .when({ type: 'Release', registrationId: 'a', capacity: 2 })
      .then([]);
    // The next released seat goes to the next in line.
    given(seatsDecider, [seat('a'), seat('b'), wait('c'), wait('d'), release('a'), promote('c')])
      .when({ type: 'Release', registrationId: 'b', capacity: 2 })
      .then([release('b'), promote('d')]);
  });

  it('takes a waiting registration off the list without promoting anyone', () => {
    given(seatsDecider, [seat('a'), wait('b'), wait('c')])
      .when({ type: 'Release', registrationId: 'b', capacity: 1 })
      .then([{ type: 'WaitlistLeft', data: { registrationId: 'b' } }]);
  });

  it('seats the waiting when the capacity is raised', () => {
    given(seatsDecider, [seat('a'), wait('b'), wait('c'), wait('d')])
      .when({ type: 'Recheck', capacity: 3 })
      .then([promote('b'), promote('c')]);
  });
});
