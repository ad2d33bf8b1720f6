import type { ContactEvent } from '@engagement/contracts';
import { RuleViolationError, testContext } from '@engagement/decider';
import { batchDecider, decideAll } from './command-batch';
import type { ContactCommand } from './contact.commands';
import { contactDecider } from './contact.decider';

const contactId = 'c0000000-0000-4000-8000-000000000001';
const tagId = 'b0000000-0000-4000-8000-000000000001';
const activityId = (n: number) => `a0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** The seed's POST /api/contacts: a contact with properties and tags, in one append. */
const createWithPropertiesAndTags: ContactCommand[] = [
  {
    type: 'CreateContact',
    contactId,
    email: 'user@example.com',
    firstName: 'Austin',
    lastName: 'Mao',
    source: 'api',
    syncToCrms: ['hubspot', 'gohighlevel'],
  },
  {
    type: 'SetContactProperty',
    contactId,
    name: 'company',
    value: 'Ceremonia',
    propertyType: 'string',
    source: 'api',
    activityId: activityId(1),
  },
  {
    type: 'SetContactProperty',
    contactId,
    name: 'job_title',
    value: 'Founder',
    propertyType: 'string',
    source: 'api',
    activityId: activityId(2),
  },
  {
    type: 'AddContactTag',
    contactId,
    tagId,
    slug: 'hot-lead',
    appliedBy: 'api',
    activityId: activityId(3),
  },
];

describe('decideAll', () => {
  it('decides each command on the state the previous ones left', () => {
    const events = decideAll(
      contactDecider,
      createWithPropertiesAndTags,
      contactDecider.initialState(),
      testContext,
    );
    expect(events.map((e) => e.type)).toEqual([
      'ContactCreated',
      'ContactPropertySet',
      'ActivityRecorded',
      'ContactPropertySet',
      'ActivityRecorded',
      'ContactTagAdded',
      'ActivityRecorded',
    ]);
  });

  it('leaves out what an earlier command in the batch already did', () => {
    const twice = [
      ...createWithPropertiesAndTags,
      { ...createWithPropertiesAndTags[3], activityId: activityId(4) },
    ];
    const events = decideAll(contactDecider, twice, contactDecider.initialState(), testContext);
    expect(events.filter((e: ContactEvent) => e.type === 'ContactTagAdded')).toHaveLength(1);
  });

  it('throws for the whole batch when one command breaks a rule, so nothing is half-applied', () => {
    const broken: ContactCommand[] = [
      ...createWithPropertiesAndTags,
      {
        type: 'SetContactProperty',
        contactId,
        name: 'employees',
        value: 'many',
        propertyType: 'number',
        source: 'api',
        activityId: activityId(5),
      },
    ];
    expect(() =>
      decideAll(contactDecider, broken, contactDecider.initialState(), testContext),
    ).toThrow(RuleViolationError);
  });
});

describe('batchDecider', () => {
  it('is the same decider over lists of commands', () => {
    const batch = batchDecider(contactDecider);
    const events = batch.decide(createWithPropertiesAndTags, batch.initialState(), testContext);
    const state = events.reduce(batch.evolve, batch.initialState());
    expect(state.kind === 'live' && [...state.contact.properties.keys()]).toEqual([
      'company',
      'job_title',
    ]);
    expect(batch.decide(createWithPropertiesAndTags, state, testContext)).toEqual([]);
  });
});
