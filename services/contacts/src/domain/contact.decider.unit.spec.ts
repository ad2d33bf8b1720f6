import type { ActivityRecorded, ContactCreated, ContactEvent } from '@engagement/contracts';
import {
  ConflictError,
  fold,
  given,
  NotFoundError,
  RuleViolationError,
  testContext,
} from '@engagement/decider';
import type { ContactCommand } from './contact.commands';
import { contactDecider } from './contact.decider';
import { MAX_LEAD_SCORE } from './field-checks';

const contactId = 'c0000000-0000-4000-8000-000000000001';
const activityId = (n: number) => `a0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const tagId = 'b0000000-0000-4000-8000-000000000001';
const otherTagId = 'b0000000-0000-4000-8000-000000000002';
const relatedId = 'd0000000-0000-4000-8000-000000000001';
const now = testContext.now.toISOString();

const created: ContactCreated = {
  type: 'ContactCreated',
  data: {
    contactId,
    email: 'ann@example.com',
    firstName: 'Ann',
    lastName: 'Lee',
    phone: null,
    timezone: 'America/Los_Angeles',
    locale: 'en',
    avatarUrl: null,
    lifecycleStage: 'lead',
    source: 'api',
    syncToCrms: [],
  },
};
const deleted: ContactEvent = { type: 'ContactDeleted', data: { contactId, deletedAt: now } };
const erased: ContactEvent = { type: 'ContactErased', data: { contactId, erasedAt: now } };

/** The activity a change records beside its own event. */
function changeActivity(
  id: string,
  activityType: ActivityRecorded['data']['activityType'],
  activityData: ActivityRecorded['data']['activityData'],
  source: ActivityRecorded['data']['source'],
  related: { type: string; id: string } | null = null,
): ActivityRecorded {
  return {
    type: 'ActivityRecorded',
    data: {
      contactId,
      activityId: id,
      activityType,
      activityData,
      relatedToType: related?.type ?? null,
      relatedToId: related?.id ?? null,
      source,
      occurredAt: now,
      points: 0,
      syncToCrms: [],
    },
  };
}

const on = (history: ContactEvent[]) => ({
  when: (command: ContactCommand) => given(contactDecider, history).when(command),
});

/** One valid command of each kind, for the state rules that apply to all of them. */
const oneOfEach: ContactCommand[] = [
  { type: 'UpdateContactIdentity', contactId, firstName: 'Anne' },
  { type: 'ChangeContactEmail', contactId, email: 'anne@example.com' },
  {
    type: 'SetContactProperty',
    contactId,
    name: 'company',
    value: 'Acme',
    propertyType: 'string',
    source: 'api',
    activityId: activityId(90),
  },
  {
    type: 'RemoveContactProperty',
    contactId,
    name: 'company',
    source: 'api',
    activityId: activityId(91),
  },
  {
    type: 'AddContactTag',
    contactId,
    tagId,
    slug: 'hot-lead',
    appliedBy: 'api',
    activityId: activityId(92),
  },
  { type: 'RemoveContactTag', contactId, tagId, removedBy: 'api', activityId: activityId(93) },
  { type: 'GrantConsent', contactId, channel: 'email' },
  { type: 'RevokeConsent', contactId, channel: 'email' },
  {
    type: 'ChangeLifecycleStage',
    contactId,
    stage: 'mql',
    source: 'api',
    activityId: activityId(94),
  },
  { type: 'ChangeLeadScore', contactId, score: 10, reason: 'manual' },
  { type: 'ApplyLeadScoreDelta', contactId, delta: 5, reason: 'manual' },
  { type: 'ChangeContactStatus', contactId, status: 'bounced' },
  {
    type: 'LinkExternalMapping',
    contactId,
    provider: 'hubspot',
    externalId: '123',
    syncDirection: 'bidirectional',
  },
  { type: 'UnlinkExternalMapping', contactId, provider: 'hubspot' },
  {
    type: 'RecordActivity',
    contactId,
    activityId: activityId(95),
    activityType: 'page_viewed',
    activityData: {},
    source: 'api',
  },
];

describe('contact decider', () => {
  describe('CreateContact', () => {
    it('creates a contact with the seed defaults and a normalised email', () => {
      on([])
        .when({ type: 'CreateContact', contactId, email: '  Ann@Example.COM ', source: 'api' })
        .then([
          {
            type: 'ContactCreated',
            data: {
              contactId,
              email: 'ann@example.com',
              firstName: null,
              lastName: null,
              phone: null,
              timezone: 'America/Los_Angeles',
              locale: 'en',
              avatarUrl: null,
              lifecycleStage: 'lead',
              source: 'api',
              syncToCrms: [],
            },
          },
        ]);
    });

    it('stores every field in its canonical form', () => {
      on([])
        .when({
          type: 'CreateContact',
          contactId,
          email: 'user@example.com',
          firstName: ' Austin ',
          lastName: 'Mao',
          phone: '+1 (415) 555-0100',
          timezone: 'europe/paris',
          locale: 'fr_fr',
          avatarUrl: 'https://cdn.example.com/a.png',
          lifecycleStage: 'subscriber',
          source: 'form',
          syncToCrms: ['hubspot', 'gohighlevel', 'hubspot'],
        })
        .then([
          {
            type: 'ContactCreated',
            data: {
              contactId,
              email: 'user@example.com',
              firstName: 'Austin',
              lastName: 'Mao',
              phone: '+14155550100',
              timezone: 'Europe/Paris',
              locale: 'fr-FR',
              avatarUrl: 'https://cdn.example.com/a.png',
              lifecycleStage: 'subscriber',
              source: 'form',
              syncToCrms: ['gohighlevel', 'hubspot'],
            },
          },
        ]);
    });

    it('reads blank optional fields as none', () => {
      const [event] = contactDecider.decide(
        {
          type: 'CreateContact',
          contactId,
          email: 'a@example.com',
          firstName: '  ',
          phone: '',
          avatarUrl: ' ',
          source: 'api',
        },
        contactDecider.initialState(),
        testContext,
      );
      expect(event.data).toMatchObject({ firstName: null, phone: null, avatarUrl: null });
    });

    it('is idempotent: the same create again records nothing', () => {
      on([created])
        .when({ type: 'CreateContact', contactId, email: 'ANN@example.com', source: 'api' })
        .then([]);
    });

    it('refuses an id already used by another contact', () => {
      on([created])
        .when({ type: 'CreateContact', contactId, email: 'bob@example.com', source: 'api' })
        .thenThrows(ConflictError, { code: 'contact-exists', details: { contactId } });
    });

    it('refuses to create over a deleted or erased contact', () => {
      const command: ContactCommand = {
        type: 'CreateContact',
        contactId,
        email: 'ann@example.com',
        source: 'api',
      };
      on([created, deleted]).when(command).thenThrows(ConflictError, { code: 'contact-exists' });
      on([created, erased]).when(command).thenThrows(ConflictError, { code: 'contact-exists' });
    });

    it.each<[string, Partial<Extract<ContactCommand, { type: 'CreateContact' }>>, string, string]>([
      ['an invalid email', { email: 'not-an-email' }, 'email', 'invalid-email'],
      ['a phone not in E.164', { phone: '415 555 0100' }, 'phone', 'invalid-phone'],
      ['an unknown time zone', { timezone: 'Mars/Olympus' }, 'timezone', 'invalid-timezone'],
      ['a malformed locale', { locale: 'english!' }, 'locale', 'invalid-locale'],
      ['a javascript: avatar', { avatarUrl: 'javascript:alert(1)' }, 'avatarUrl', 'invalid-url'],
      [
        'a lifecycle stage not in the seed',
        { lifecycleStage: 'prospect' as never },
        'lifecycleStage',
        'invalid-lifecycle-stage',
      ],
      ['an unknown source', { source: 'fax' as never }, 'source', 'invalid-source'],
      ['an overlong first name', { firstName: 'x'.repeat(256) }, 'firstName', 'invalid-name'],
      [
        'a last name with control characters',
        { lastName: 'Lee\u0000' },
        'lastName',
        'invalid-name',
      ],
      ['a malformed CRM key', { syncToCrms: ['Hub Spot'] }, 'syncToCrms', 'invalid-provider'],
    ])('refuses %s', (_why, fields, field, code) => {
      on([])
        .when({
          type: 'CreateContact',
          contactId,
          email: 'a@example.com',
          source: 'api',
          ...fields,
        })
        .thenThrows(RuleViolationError, { code, status: 422, details: { field } });
    });
  });

  describe("the contact's state", () => {
    it.each(oneOfEach.map((c) => [c.type, c] as const))(
      '%s on a contact that does not exist: 404',
      (_type, command) => {
        on([]).when(command).thenThrows(NotFoundError, {
          code: 'contact-not-found',
          status: 404,
          details: { contactId },
        });
      },
    );

    it.each(oneOfEach.map((c) => [c.type, c] as const))(
      '%s on a deleted contact: 409',
      (_type, command) => {
        on([created, deleted])
          .when(command)
          .thenThrows(ConflictError, { code: 'contact-deleted', status: 409 });
      },
    );

    it.each(oneOfEach.map((c) => [c.type, c] as const))(
      '%s on an erased contact: 404',
      (_type, command) => {
        on([created, erased]).when(command).thenThrows(NotFoundError, { code: 'contact-erased' });
      },
    );

    it('refuses even deletion of a contact that does not exist', () => {
      on([]).when({ type: 'DeleteContact', contactId }).thenThrows(NotFoundError);
      on([]).when({ type: 'EraseContact', contactId }).thenThrows(NotFoundError);
    });
  });

  describe('UpdateContactIdentity', () => {
    it('records only the fields that change, in canonical form; null clears', () => {
      on([created])
        .when({
          type: 'UpdateContactIdentity',
          contactId,
          firstName: 'Ann',
          lastName: null,
          phone: '+44 20 7946 0958',
          timezone: 'utc',
          locale: 'en',
        })
        .then([
          {
            type: 'ContactIdentityUpdated',
            data: { contactId, lastName: null, phone: '+442079460958', timezone: 'UTC' },
          },
        ]);
    });

    it('is idempotent: the current values again record nothing', () => {
      const updated: ContactEvent = {
        type: 'ContactIdentityUpdated',
        data: { contactId, avatarUrl: 'https://x.example/a.png' },
      };
      on([created, updated])
        .when({
          type: 'UpdateContactIdentity',
          contactId,
          firstName: ' Ann ',
          avatarUrl: 'https://x.example/a.png',
        })
        .then([]);
      on([created]).when({ type: 'UpdateContactIdentity', contactId }).then([]);
    });

    it.each<
      [string, Partial<Extract<ContactCommand, { type: 'UpdateContactIdentity' }>>, string, string]
    >([
      ['phone', { phone: '12345' }, 'phone', 'invalid-phone'],
      ['timezone', { timezone: 'EST' }, 'timezone', 'invalid-timezone'],
      ['locale', { locale: '' }, 'locale', 'invalid-locale'],
      ['avatarUrl', { avatarUrl: 'ftp://x.example/a.png' }, 'avatarUrl', 'invalid-url'],
      ['firstName', { firstName: 'x'.repeat(300) }, 'firstName', 'invalid-name'],
    ])('refuses an invalid %s', (_name, fields, field, code) => {
      on([created])
        .when({ type: 'UpdateContactIdentity', contactId, ...fields })
        .thenThrows(RuleViolationError, { code, details: { field } });
    });
  });

  describe('ChangeContactEmail', () => {
    it('changes the email, normalised, keeping the previous one for the reservation', () => {
      on([created])
        .when({ type: 'ChangeContactEmail', contactId, email: ' Ann.Lee@Example.com' })
        .then([
          {
            type: 'ContactEmailChanged',
            data: { contactId, email: 'ann.lee@example.com', previousEmail: 'ann@example.com' },
          },
        ]);
    });

    it('is idempotent', () => {
      on([created])
        .when({ type: 'ChangeContactEmail', contactId, email: 'ANN@example.com' })
        .then([]);
    });

    it('refuses an invalid email', () => {
      on([created])
        .when({ type: 'ChangeContactEmail', contactId, email: 'ann@' })
        .thenThrows(RuleViolationError, { code: 'invalid-email', details: { field: 'email' } });
    });
  });

  describe('SetContactProperty', () => {
    const set = (
      fields: Partial<Extract<ContactCommand, { type: 'SetContactProperty' }>> = {},
    ): ContactCommand => ({
      type: 'SetContactProperty',
      contactId,
      name: 'company',
      value: 'Ceremonia',
      propertyType: 'string',
      source: 'api',
      activityId: activityId(1),
      ...fields,
    });
    const companySet: ContactEvent = {
      type: 'ContactPropertySet',
      data: {
        contactId,
        name: 'company',
        value: 'Ceremonia',
        type: 'string',
        enumOptions: null,
        source: 'api',
      },
    };
    const setActivity = changeActivity(
      activityId(1),
      'property_changed',
      { propertyName: 'company', propertyType: 'string', from: null, to: 'Ceremonia' },
      'api',
    );

    it('sets a new property and records a property_changed activity', () => {
      on([created]).when(set()).then([companySet, setActivity]);
    });

    it('replaces a value, with the old one in the activity', () => {
      on([created, companySet, setActivity])
        .when(set({ value: 'Acme', source: 'crm_sync', activityId: activityId(2) }))
        .then([
          {
            type: 'ContactPropertySet',
            data: {
              contactId,
              name: 'company',
              value: 'Acme',
              type: 'string',
              enumOptions: null,
              source: 'crm_sync',
            },
          },
          changeActivity(
            activityId(2),
            'property_changed',
            { propertyName: 'company', propertyType: 'string', from: 'Ceremonia', to: 'Acme' },
            'crm_sync',
          ),
        ]);
    });

    it('is idempotent: the current value again records nothing, whoever sends it', () => {
      on([created, companySet, setActivity])
        .when(set({ activityId: activityId(2), source: 'crm_sync' }))
        .then([]);
    });

    it('compares canonical values: "1.50" is 1.5', () => {
      const employees: ContactEvent = {
        type: 'ContactPropertySet',
        data: {
          contactId,
          name: 'employees',
          value: '1.5',
          type: 'number',
          enumOptions: null,
          source: 'api',
        },
      };
      on([created, employees])
        .when(
          set({
            name: 'employees',
            value: '1.50',
            propertyType: 'number',
            activityId: activityId(2),
          }),
        )
        .then([]);
    });

    it('a retried command (its activity already recorded) records nothing, even if the value moved on since', () => {
      const movedOn: ContactEvent = { ...companySet, data: { ...companySet.data, value: 'Other' } };
      on([created, companySet, setActivity, movedOn]).when(set()).then([]);
    });

    it('records a change of type even with the same text', () => {
      const events = contactDecider.decide(
        set({ name: 'zip', value: '94105', activityId: activityId(2) }),
        fold(contactDecider, [
          created,
          {
            type: 'ContactPropertySet',
            data: {
              contactId,
              name: 'zip',
              value: '94105',
              type: 'number',
              enumOptions: null,
              source: 'api',
            },
          },
        ]),
        testContext,
      );
      expect(events.map((e) => e.type)).toEqual(['ContactPropertySet', 'ActivityRecorded']);
    });

    it('sets typed values in canonical form', () => {
      on([created])
        .when(
          set({
            name: 'industry',
            value: 'SaaS',
            propertyType: 'enum',
            enumOptions: ['SaaS', 'Retail'],
            source: 'form',
          }),
        )
        .then([
          {
            type: 'ContactPropertySet',
            data: {
              contactId,
              name: 'industry',
              value: 'SaaS',
              type: 'enum',
              enumOptions: ['SaaS', 'Retail'],
              source: 'form',
            },
          },
          changeActivity(
            activityId(1),
            'property_changed',
            { propertyName: 'industry', propertyType: 'enum', from: null, to: 'SaaS' },
            'api',
          ),
        ]);
      const [event] = contactDecider.decide(
        set({ name: 'renewal', value: '2026-03-01T09:00:00+01:00', propertyType: 'date' }),
        fold(contactDecider, [created]),
        testContext,
      );
      expect(event.data).toMatchObject({ value: '2026-03-01T08:00:00.000Z', type: 'date' });
    });

    it.each<
      [string, Partial<Extract<ContactCommand, { type: 'SetContactProperty' }>>, string, string]
    >([
      ['a malformed name', { name: 'job title' }, 'name', 'invalid-property-name'],
      [
        'a value of the wrong type',
        { value: 'many', propertyType: 'number' },
        'value',
        'invalid-property-value',
      ],
      [
        'an enum value not among its options',
        { value: 'Gov', propertyType: 'enum', enumOptions: ['SaaS'] },
        'value',
        'invalid-property-value',
      ],
      ['an enum without options', { propertyType: 'enum' }, 'enumOptions', 'invalid-enum-options'],
      ['options on a string', { enumOptions: ['a'] }, 'enumOptions', 'invalid-enum-options'],
      [
        'an unknown type',
        { propertyType: 'json' as never },
        'propertyType',
        'invalid-property-type',
      ],
      ['an unknown source', { source: 'guess' as never }, 'source', 'invalid-source'],
      ['an activity id that is not a UUID', { activityId: '42' }, 'activityId', 'invalid-id'],
    ])('refuses %s', (_why, fields, field, code) => {
      on([created]).when(set(fields)).thenThrows(RuleViolationError, { code, details: { field } });
    });
  });

  describe('RemoveContactProperty', () => {
    const companySet: ContactEvent = {
      type: 'ContactPropertySet',
      data: {
        contactId,
        name: 'company',
        value: 'Acme',
        type: 'string',
        enumOptions: null,
        source: 'api',
      },
    };
    const remove: ContactCommand = {
      type: 'RemoveContactProperty',
      contactId,
      name: 'company',
      source: 'manual',
      activityId: activityId(3),
    };

    it('removes the property and records a property_changed activity', () => {
      on([created, companySet])
        .when(remove)
        .then([
          {
            type: 'ContactPropertyRemoved',
            data: { contactId, name: 'company', source: 'manual' },
          },
          changeActivity(
            activityId(3),
            'property_changed',
            { propertyName: 'company', propertyType: 'string', from: 'Acme', to: null },
            'manual',
          ),
        ]);
    });

    it('is idempotent: removing what is not there records nothing', () => {
      on([created]).when(remove).then([]);
      on([
        created,
        companySet,
        { type: 'ContactPropertyRemoved', data: { contactId, name: 'company', source: 'api' } },
      ])
        .when(remove)
        .then([]);
    });

    it('refuses an unknown source or a malformed activity id', () => {
      on([created, companySet])
        .when({ ...remove, source: 'x' as never })
        .thenThrows(RuleViolationError, { code: 'invalid-source' });
      on([created, companySet])
        .when({ ...remove, activityId: 'x' })
        .thenThrows(RuleViolationError, { code: 'invalid-id' });
    });
  });

  describe('AddContactTag / RemoveContactTag', () => {
    const add: ContactCommand = {
      type: 'AddContactTag',
      contactId,
      tagId,
      slug: 'hot-lead',
      appliedBy: 'automation',
      activityId: activityId(4),
    };
    const tagAdded: ContactEvent = {
      type: 'ContactTagAdded',
      data: { contactId, tagId, slug: 'hot-lead', appliedBy: 'automation' },
    };
    const remove: ContactCommand = {
      type: 'RemoveContactTag',
      contactId,
      tagId,
      removedBy: 'user',
      activityId: activityId(5),
    };

    it('adds a tag and records a tag_added activity related to the tag', () => {
      on([created])
        .when(add)
        .then([
          tagAdded,
          changeActivity(activityId(4), 'tag_added', { tagId, slug: 'hot-lead' }, 'automation', {
            type: 'tag',
            id: tagId,
          }),
        ]);
    });

    it('reads the tag id in lower case', () => {
      const [event] = contactDecider.decide(
        { ...add, tagId: tagId.toUpperCase() },
        fold(contactDecider, [created]),
        testContext,
      );
      expect(event.data).toMatchObject({ tagId });
    });

    it('is idempotent: adding a tag the contact has records nothing', () => {
      on([created, tagAdded])
        .when({ ...add, activityId: activityId(6) })
        .then([]);
    });

    it('removes a tag (slug from the state) and records a tag_removed activity', () => {
      on([created, tagAdded])
        .when(remove)
        .then([
          {
            type: 'ContactTagRemoved',
            data: { contactId, tagId, slug: 'hot-lead', removedBy: 'user' },
          },
          changeActivity(activityId(5), 'tag_removed', { tagId, slug: 'hot-lead' }, 'manual', {
            type: 'tag',
            id: tagId,
          }),
        ]);
    });

    it('is idempotent: removing a tag the contact does not have records nothing', () => {
      on([created, tagAdded])
        .when({ ...remove, tagId: otherTagId })
        .then([]);
      on([created]).when(remove).then([]);
    });

    it.each<[string, Partial<Extract<ContactCommand, { type: 'AddContactTag' }>>, string, string]>([
      ['a tag id that is not a UUID', { tagId: 'hot-lead' }, 'tagId', 'invalid-id'],
      ['a malformed slug', { slug: 'Hot Lead' }, 'slug', 'invalid-slug'],
      ['an unknown applier', { appliedBy: 'robot' as never }, 'appliedBy', 'invalid-applied-by'],
    ])('refuses %s', (_why, fields, field, code) => {
      on([created])
        .when({ ...add, ...fields } as ContactCommand)
        .thenThrows(RuleViolationError, { code, details: { field } });
    });

    it('refuses an unknown remover', () => {
      on([created, tagAdded])
        .when({ ...remove, removedBy: 'robot' } as never)
        .thenThrows(RuleViolationError, { code: 'invalid-removed-by' });
    });
  });

  describe('GrantConsent / RevokeConsent', () => {
    const granted: ContactEvent = {
      type: 'ContactConsentGranted',
      data: { contactId, channel: 'sms', at: now, ip: null },
    };
    const revoked: ContactEvent = {
      type: 'ContactConsentRevoked',
      data: { contactId, channel: 'sms', at: now, ip: null },
    };

    it('grants consent now, with no IP, by default', () => {
      on([created]).when({ type: 'GrantConsent', contactId, channel: 'sms' }).then([granted]);
    });

    it('keeps the time (in UTC) and IP it was given with', () => {
      on([created])
        .when({
          type: 'GrantConsent',
          contactId,
          channel: 'marketing',
          at: '2026-01-14T09:00:00+01:00',
          ip: ' 203.0.113.7 ',
        })
        .then([
          {
            type: 'ContactConsentGranted',
            data: {
              contactId,
              channel: 'marketing',
              at: '2026-01-14T08:00:00.000Z',
              ip: '203.0.113.7',
            },
          },
        ]);
      const [event] = contactDecider.decide(
        { type: 'GrantConsent', contactId, channel: 'email', ip: '2001:db8::1' },
        fold(contactDecider, [created]),
        testContext,
      );
      expect(event.data).toMatchObject({ ip: '2001:db8::1' });
    });

    it('is idempotent: granting what is granted records nothing, whatever the new time or IP', () => {
      on([created, granted])
        .when({ type: 'GrantConsent', contactId, channel: 'sms', ip: '198.51.100.1' })
        .then([]);
    });

    it('revokes granted consent', () => {
      on([created, granted])
        .when({ type: 'RevokeConsent', contactId, channel: 'sms' })
        .then([revoked]);
    });

    it('records an explicit opt-out on a channel never decided on', () => {
      on([created]).when({ type: 'RevokeConsent', contactId, channel: 'sms' }).then([revoked]);
    });

    it('is idempotent: revoking what is revoked records nothing', () => {
      on([created, granted, revoked])
        .when({ type: 'RevokeConsent', contactId, channel: 'sms' })
        .then([]);
    });

    it('grants again after a revocation', () => {
      on([created, granted, revoked])
        .when({ type: 'GrantConsent', contactId, channel: 'sms' })
        .then([granted]);
    });

    it.each<[string, Partial<Extract<ContactCommand, { type: 'GrantConsent' }>>, string, string]>([
      ['an unknown channel', { channel: 'fax' as never }, 'channel', 'invalid-channel'],
      ['a malformed IP', { ip: '999.1.1.1' }, 'ip', 'invalid-ip'],
      ['a time without zone', { at: '2026-01-14T09:00:00' }, 'at', 'invalid-timestamp'],
    ])('refuses %s', (_why, fields, field, code) => {
      on([created])
        .when({ type: 'GrantConsent', contactId, channel: 'email', ...fields })
        .thenThrows(RuleViolationError, { code, details: { field } });
      on([created])
        .when({ type: 'RevokeConsent', contactId, channel: 'email', ...fields })
        .thenThrows(RuleViolationError, { code, details: { field } });
    });
  });

  describe('ChangeLifecycleStage', () => {
    const change: ContactCommand = {
      type: 'ChangeLifecycleStage',
      contactId,
      stage: 'customer',
      source: 'crm_sync',
      activityId: activityId(7),
    };

    it('changes the stage and records a lifecycle_stage_changed activity', () => {
      on([created])
        .when(change)
        .then([
          {
            type: 'ContactLifecycleStageChanged',
            data: { contactId, from: 'lead', to: 'customer' },
          },
          changeActivity(
            activityId(7),
            'lifecycle_stage_changed',
            { from: 'lead', to: 'customer' },
            'crm_sync',
          ),
        ]);
    });

    it('allows moving back', () => {
      const toCustomer: ContactEvent = {
        type: 'ContactLifecycleStageChanged',
        data: { contactId, from: 'lead', to: 'customer' },
      };
      const events = contactDecider.decide(
        { ...change, stage: 'unqualified', activityId: activityId(8) },
        fold(contactDecider, [created, toCustomer]),
        testContext,
      );
      expect(events[0]).toEqual({
        type: 'ContactLifecycleStageChanged',
        data: { contactId, from: 'customer', to: 'unqualified' },
      });
    });

    it('is idempotent: the current stage again records nothing', () => {
      on([created])
        .when({ ...change, stage: 'lead' })
        .then([]);
    });

    it('refuses stages and sources not in the seed', () => {
      on([created])
        .when({ ...change, stage: 'prospect' as never })
        .thenThrows(RuleViolationError, { code: 'invalid-stage' });
      on([created])
        .when({ ...change, source: 'cron' as never })
        .thenThrows(RuleViolationError, { code: 'invalid-source' });
    });
  });

  describe('ChangeLeadScore / ApplyLeadScoreDelta', () => {
    const scored: ContactEvent = {
      type: 'ContactLeadScoreChanged',
      data: { contactId, from: 0, to: 40, reason: 'manual', activityId: null },
    };

    it('sets the score', () => {
      on([created])
        .when({ type: 'ChangeLeadScore', contactId, score: 40, reason: ' manual ' })
        .then([scored]);
    });

    it('is idempotent: the current score again records nothing', () => {
      on([created, scored])
        .when({ type: 'ChangeLeadScore', contactId, score: 40, reason: 'decay' })
        .then([]);
    });

    it('applies a delta, negative too', () => {
      on([created, scored])
        .when({ type: 'ApplyLeadScoreDelta', contactId, delta: -50, reason: 'spam complaint' })
        .then([
          {
            type: 'ContactLeadScoreChanged',
            data: { contactId, from: 40, to: -10, reason: 'spam complaint', activityId: null },
          },
        ]);
    });

    it('records nothing for a zero delta', () => {
      on([created])
        .when({ type: 'ApplyLeadScoreDelta', contactId, delta: 0, reason: 'noop' })
        .then([]);
    });

    it('refuses fractional or out-of-range scores, overflowing deltas and empty reasons', () => {
      on([created])
        .when({ type: 'ChangeLeadScore', contactId, score: 1.5, reason: 'x' })
        .thenThrows(RuleViolationError, {
          code: 'invalid-lead-score',
          details: { field: 'score' },
        });
      on([created])
        .when({ type: 'ChangeLeadScore', contactId, score: MAX_LEAD_SCORE + 1, reason: 'x' })
        .thenThrows(RuleViolationError, { code: 'invalid-lead-score' });
      on([created])
        .when({ type: 'ChangeLeadScore', contactId, score: 1, reason: '  ' })
        .thenThrows(RuleViolationError, { code: 'invalid-reason', details: { field: 'reason' } });
      const high: ContactEvent = {
        type: 'ContactLeadScoreChanged',
        data: { contactId, from: 0, to: MAX_LEAD_SCORE, reason: 'x', activityId: null },
      };
      on([created, high])
        .when({ type: 'ApplyLeadScoreDelta', contactId, delta: 1, reason: 'x' })
        .thenThrows(RuleViolationError, {
          code: 'lead-score-out-of-range',
          details: { field: 'delta' },
        });
      on([created])
        .when({ type: 'ApplyLeadScoreDelta', contactId, delta: Number.NaN, reason: 'x' })
        .thenThrows(RuleViolationError, {
          code: 'invalid-lead-score',
          details: { field: 'delta' },
        });
    });
  });

  describe('ChangeContactStatus', () => {
    it('changes the status', () => {
      on([created])
        .when({ type: 'ChangeContactStatus', contactId, status: 'unsubscribed' })
        .then([
          { type: 'ContactStatusChanged', data: { contactId, from: 'active', to: 'unsubscribed' } },
        ]);
    });

    it('is idempotent', () => {
      on([created]).when({ type: 'ChangeContactStatus', contactId, status: 'active' }).then([]);
    });

    it('leaves deletion to DeleteContact and refuses statuses not in the seed', () => {
      on([created])
        .when({ type: 'ChangeContactStatus', contactId, status: 'deleted' })
        .thenThrows(RuleViolationError, {
          code: 'use-delete-contact',
          details: { field: 'status' },
        });
      on([created])
        .when({ type: 'ChangeContactStatus', contactId, status: 'archived' as never })
        .thenThrows(RuleViolationError, { code: 'invalid-status' });
    });
  });

  describe('DeleteContact / EraseContact', () => {
    it('soft-deletes a contact', () => {
      on([created]).when({ type: 'DeleteContact', contactId }).then([deleted]);
    });

    it('is idempotent: deleting a deleted contact records nothing', () => {
      on([created, deleted]).when({ type: 'DeleteContact', contactId }).then([]);
    });

    it('erases a live or a deleted contact', () => {
      on([created]).when({ type: 'EraseContact', contactId }).then([erased]);
      on([created, deleted]).when({ type: 'EraseContact', contactId }).then([erased]);
    });

    it('is idempotent: erasing an erased contact records nothing', () => {
      on([created, erased]).when({ type: 'EraseContact', contactId }).then([]);
    });
  });

  describe('LinkExternalMapping / UnlinkExternalMapping', () => {
    const link: ContactCommand = {
      type: 'LinkExternalMapping',
      contactId,
      provider: 'hubspot',
      externalId: '12345',
      url: 'https://app.hubspot.com/contacts/12345',
      syncDirection: 'bidirectional',
      syncedAt: '2025-09-30T10:00:00Z',
    };
    const linked: ContactEvent = {
      type: 'ContactExternalMappingLinked',
      data: {
        contactId,
        provider: 'hubspot',
        externalId: '12345',
        url: 'https://app.hubspot.com/contacts/12345',
        syncDirection: 'bidirectional',
        syncedAt: '2025-09-30T10:00:00.000Z',
      },
    };

    it('links the contact to a CRM record', () => {
      on([created]).when(link).then([linked]);
    });

    it('links without url or syncedAt', () => {
      on([created])
        .when({
          type: 'LinkExternalMapping',
          contactId,
          provider: 'gohighlevel',
          externalId: 'abc-xyz',
          syncDirection: 'push_only',
        })
        .then([
          {
            type: 'ContactExternalMappingLinked',
            data: {
              contactId,
              provider: 'gohighlevel',
              externalId: 'abc-xyz',
              url: null,
              syncDirection: 'push_only',
              syncedAt: null,
            },
          },
        ]);
    });

    it('is idempotent: the same link again records nothing', () => {
      on([created, linked]).when(link).then([]);
    });

    it('refreshes the link of the same record (a new sync time)', () => {
      on([created, linked])
        .when({ ...link, syncedAt: '2025-10-01T10:00:00.000Z' })
        .then([{ ...linked, data: { ...linked.data, syncedAt: '2025-10-01T10:00:00.000Z' } }]);
    });

    it('refuses a second record of the same provider: unlink first', () => {
      on([created, linked])
        .when({ ...link, externalId: '67890' })
        .thenThrows(ConflictError, {
          code: 'external-mapping-exists',
          details: { provider: 'hubspot', externalId: '12345' },
        });
    });

    it('unlinks', () => {
      on([created, linked])
        .when({ type: 'UnlinkExternalMapping', contactId, provider: 'hubspot' })
        .then([
          {
            type: 'ContactExternalMappingUnlinked',
            data: { contactId, provider: 'hubspot', externalId: '12345' },
          },
        ]);
    });

    it('is idempotent: unlinking what is not linked records nothing', () => {
      on([created])
        .when({ type: 'UnlinkExternalMapping', contactId, provider: 'hubspot' })
        .then([]);
    });

    it.each<
      [string, Partial<Extract<ContactCommand, { type: 'LinkExternalMapping' }>>, string, string]
    >([
      ['a malformed provider', { provider: 'Hub Spot' }, 'provider', 'invalid-provider'],
      ['an empty external id', { externalId: ' ' }, 'externalId', 'invalid-external-id'],
      [
        'an overlong external id',
        { externalId: '9'.repeat(256) },
        'externalId',
        'invalid-external-id',
      ],
      ['a non-http url', { url: 'mailto:a@b.c' }, 'url', 'invalid-url'],
      [
        'an unknown direction',
        { syncDirection: 'both' as never },
        'syncDirection',
        'invalid-sync-direction',
      ],
      ['a malformed sync time', { syncedAt: 'yesterday' }, 'syncedAt', 'invalid-timestamp'],
    ])('refuses %s', (_why, fields, field, code) => {
      on([created])
        .when({ ...link, ...fields } as ContactCommand)
        .thenThrows(RuleViolationError, { code, details: { field } });
    });

    it('refuses a malformed provider when unlinking', () => {
      on([created])
        .when({ type: 'UnlinkExternalMapping', contactId, provider: '' })
        .thenThrows(RuleViolationError, { code: 'invalid-provider' });
    });
  });

  describe('RecordActivity', () => {
    const record = (
      fields: Partial<Extract<ContactCommand, { type: 'RecordActivity' }>> = {},
    ): ContactCommand => ({
      type: 'RecordActivity',
      contactId,
      activityId: activityId(10),
      activityType: 'page_viewed',
      activityData: {
        url: '/landing/webinar',
        title: 'How to Build AI Funnels',
        durationSeconds: 45,
      },
      source: 'api',
      ...fields,
    });
    const pageViewed: ActivityRecorded = {
      type: 'ActivityRecorded',
      data: {
        contactId,
        activityId: activityId(10),
        activityType: 'page_viewed',
        activityData: {
          url: '/landing/webinar',
          title: 'How to Build AI Funnels',
          durationSeconds: 45,
        },
        relatedToType: null,
        relatedToId: null,
        source: 'api',
        occurredAt: now,
        points: 0,
        syncToCrms: [],
      },
    };

    it("records an activity (the seed's POST /api/activities)", () => {
      on([created]).when(record()).then([pageViewed]);
    });

    it('keeps what it was given: related entity, time, CRMs to sync to', () => {
      on([created])
        .when(
          record({
            activityType: 'event_registered',
            activityData: { eventId: relatedId },
            relatedToType: 'event',
            relatedToId: relatedId.toUpperCase(),
            source: 'automation',
            occurredAt: '2026-01-14T08:00:00-05:00',
            syncToCrms: ['hubspot'],
          }),
        )
        .then([
          {
            type: 'ActivityRecorded',
            data: {
              ...pageViewed.data,
              activityType: 'event_registered',
              activityData: { eventId: relatedId },
              relatedToType: 'event',
              relatedToId: relatedId,
              source: 'automation',
              occurredAt: '2026-01-14T13:00:00.000Z',
              syncToCrms: ['hubspot'],
            },
          },
        ]);
    });

    it("adds the activity's points to the lead score", () => {
      on([created])
        .when(record({ activityType: 'event_attended', points: 20 }))
        .then([
          {
            type: 'ActivityRecorded',
            data: { ...pageViewed.data, activityType: 'event_attended', points: 20 },
          },
          {
            type: 'ContactLeadScoreChanged',
            data: {
              contactId,
              from: 0,
              to: 20,
              reason: 'activity:event_attended',
              activityId: activityId(10),
            },
          },
        ]);
    });

    it('stops the score at the column bound instead of refusing the activity', () => {
      const high: ContactEvent = {
        type: 'ContactLeadScoreChanged',
        data: { contactId, from: 0, to: MAX_LEAD_SCORE - 1, reason: 'x', activityId: null },
      };
      const events = contactDecider.decide(
        record({ points: 10 }),
        fold(contactDecider, [created, high]),
        testContext,
      );
      expect(events[1].data).toMatchObject({ from: MAX_LEAD_SCORE - 1, to: MAX_LEAD_SCORE });
    });

    it('is idempotent on the activity id: a redelivered activity records nothing', () => {
      on([created, pageViewed])
        .when(record({ activityType: 'email_opened', points: 5 }))
        .then([]);
    });

    it('treats an activity id written by a change (tag_added...) as taken too', () => {
      const tagActivity = changeActivity(activityId(10), 'tag_added', { tagId, slug: 'x' }, 'api', {
        type: 'tag',
        id: tagId,
      });
      on([created, tagActivity]).when(record()).then([]);
    });

    it.each<[string, Partial<Extract<ContactCommand, { type: 'RecordActivity' }>>, string, string]>(
      [
        [
          'an activity type not in the seed',
          { activityType: 'whatsapp_read' as never },
          'activityType',
          'invalid-activity-type',
        ],
        ['an activity id that is not a UUID', { activityId: 'evt-1' }, 'activityId', 'invalid-id'],
        [
          'activity data that is an array',
          { activityData: [] as never },
          'activityData',
          'invalid-activity-data',
        ],
        [
          'activity data that is null',
          { activityData: null as never },
          'activityData',
          'invalid-activity-data',
        ],
        [
          'a related type without an id',
          { relatedToType: 'event' },
          'relatedToId',
          'invalid-related-to',
        ],
        [
          'a related id without a type',
          { relatedToId: relatedId },
          'relatedToType',
          'invalid-related-to',
        ],
        [
          'a malformed related type',
          { relatedToType: 'Event!', relatedToId: relatedId },
          'relatedToType',
          'invalid-related-to',
        ],
        [
          'a related id that is not a UUID',
          { relatedToType: 'event', relatedToId: '42' },
          'relatedToId',
          'invalid-id',
        ],
        ['an unknown source', { source: 'zapier' as never }, 'source', 'invalid-source'],
        [
          'a time without zone',
          { occurredAt: '2026-01-14 08:00' },
          'occurredAt',
          'invalid-timestamp',
        ],
        ['fractional points', { points: 0.5 }, 'points', 'invalid-lead-score'],
        ['a malformed CRM key', { syncToCrms: ['HubSpot'] }, 'syncToCrms', 'invalid-provider'],
      ],
    )('refuses %s', (_why, fields, field, code) => {
      on([created])
        .when(record(fields))
        .thenThrows(RuleViolationError, { code, details: { field } });
    });
  });

  describe('evolve', () => {
    it('folds a history into the state decisions need', () => {
      const state = fold(contactDecider, [
        created,
        {
          type: 'ContactIdentityUpdated',
          data: { contactId, firstName: 'Anne', phone: '+14155550100' },
        },
        {
          type: 'ContactEmailChanged',
          data: { contactId, email: 'anne@example.com', previousEmail: 'ann@example.com' },
        },
        {
          type: 'ContactPropertySet',
          data: {
            contactId,
            name: 'company',
            value: 'Acme',
            type: 'string',
            enumOptions: null,
            source: 'api',
          },
        },
        { type: 'ContactTagAdded', data: { contactId, tagId, slug: 'hot-lead', appliedBy: 'api' } },
        { type: 'ContactConsentGranted', data: { contactId, channel: 'email', at: now, ip: null } },
        { type: 'ContactConsentRevoked', data: { contactId, channel: 'sms', at: now, ip: null } },
        { type: 'ContactLifecycleStageChanged', data: { contactId, from: 'lead', to: 'mql' } },
        {
          type: 'ContactLeadScoreChanged',
          data: { contactId, from: 0, to: 7, reason: 'x', activityId: null },
        },
        { type: 'ContactStatusChanged', data: { contactId, from: 'active', to: 'bounced' } },
        {
          type: 'ContactExternalMappingLinked',
          data: {
            contactId,
            provider: 'hubspot',
            externalId: '1',
            url: null,
            syncDirection: 'push_only',
            syncedAt: null,
          },
        },
        changeActivity(activityId(1), 'note_added', {}, 'manual'),
      ]);
      expect(state.kind).toBe('live');
      if (state.kind !== 'live') return;
      expect(state.contact).toMatchObject({
        email: 'anne@example.com',
        firstName: 'Anne',
        lastName: 'Lee',
        phone: '+14155550100',
        lifecycleStage: 'mql',
        leadScore: 7,
        status: 'bounced',
      });
      expect([...state.contact.properties.keys()]).toEqual(['company']);
      expect([...state.contact.tags]).toEqual([[tagId, 'hot-lead']]);
      expect([...state.contact.consent]).toEqual([
        ['email', true],
        ['sms', false],
      ]);
      expect(state.contact.externalMappings.get('hubspot')?.externalId).toBe('1');
      expect(state.contact.activityIds.has(activityId(1))).toBe(true);
    });

    it('marks deletion and erasure, and never changes the state it was given', () => {
      const live = fold(contactDecider, [created]);
      const afterDelete = contactDecider.evolve(live, deleted);
      expect(afterDelete.kind).toBe('deleted');
      expect(afterDelete.kind === 'deleted' && afterDelete.contact.status).toBe('deleted');
      expect(contactDecider.evolve(afterDelete, erased)).toEqual({ kind: 'erased' });
      const afterActivity = contactDecider.evolve(
        live,
        changeActivity(activityId(1), 'note_added', {}, 'manual'),
      );
      expect(live.kind === 'live' && live.contact.activityIds.size).toBe(0);
      expect(afterActivity.kind === 'live' && afterActivity.contact.activityIds.size).toBe(1);
    });

    it('ignores events before a creation', () => {
      expect(fold(contactDecider, [deleted])).toEqual({ kind: 'absent' });
    });
  });
});

describe('RecordActivitySynced (a CRM connector pushed the activity)', () => {
  const pageView = changeActivity(activityId(700), 'page_viewed', { url: '/landing' }, 'api');
  const synced: ContactEvent = {
    type: 'ActivitySyncedToCrm',
    data: { contactId, activityId: activityId(700), provider: 'hubspot', externalId: 'note-1', syncedAt: now },
  };
  const command: ContactCommand = {
    type: 'RecordActivitySynced',
    contactId,
    activityId: activityId(700),
    provider: 'hubspot',
    externalId: 'note-1',
    syncedAt: now,
  };

  it('records the CRM entry of the activity', () => given(contactDecider, [created, pageView]).when(command).then([synced]));

  it('records it once per provider', () => {
    given(contactDecider, [created, pageView, synced]).when(command).then([]);
    given(contactDecider, [created, pageView, synced])
      .when({ ...command, provider: 'gohighlevel' })
      .then([{ ...synced, data: { ...synced.data, provider: 'gohighlevel' } } as ContactEvent]);
  });

  it('refuses an activity the contact does not have', () =>
    given(contactDecider, [created]).when(command).thenThrows(NotFoundError, { code: 'activity-not-found' }));
});
