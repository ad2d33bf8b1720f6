import type { TagEvent } from '@engagement/contracts';
import { ConflictError, fold, given, NotFoundError, RuleViolationError } from '@engagement/decider';
import { tagDecider, type TagCommand } from './tag.decider';

const tagId = 'b0000000-0000-4000-8000-000000000001';

const created: TagEvent = {
  type: 'TagCreated',
  data: {
    tagId,
    name: 'Hot Lead',
    slug: 'hot-lead',
    color: null,
    description: null,
    category: null,
    isSystem: false,
  },
};
const systemCreated: TagEvent = { type: 'TagCreated', data: { ...created.data, isSystem: true } };
const deleted: TagEvent = { type: 'TagDeleted', data: { tagId, slug: 'hot-lead' } };
const hubspotList: TagEvent = {
  type: 'TagCrmMappingSet',
  data: { tagId, provider: 'hubspot', mappingType: 'list', externalId: '123' },
};

const on = (history: TagEvent[]) => ({
  when: (command: TagCommand) => given(tagDecider, history).when(command),
});

const oneOfEach: TagCommand[] = [
  { type: 'UpdateTag', tagId, name: 'Warm Lead' },
  { type: 'DeleteTag', tagId },
  { type: 'SetTagCrmMapping', tagId, provider: 'hubspot', mappingType: 'list', externalId: '1' },
  { type: 'RemoveTagCrmMapping', tagId, provider: 'hubspot' },
];

describe('tag decider', () => {
  describe('CreateTag', () => {
    it('creates a tag with a slug derived from its name', () => {
      on([]).when({ type: 'CreateTag', tagId, name: '  Hot Lead ' }).then([created]);
    });

    it('keeps the given slug and canonical colour, description, category and system flag', () => {
      on([])
        .when({
          type: 'CreateTag',
          tagId,
          name: 'Webinar Attendee',
          slug: 'webinar-attendee',
          color: '#F0A',
          description: 'Attended at least one webinar',
          category: 'behavior',
          isSystem: true,
        })
        .then([
          {
            type: 'TagCreated',
            data: {
              tagId,
              name: 'Webinar Attendee',
              slug: 'webinar-attendee',
              color: '#ff00aa',
              description: 'Attended at least one webinar',
              category: 'behavior',
              isSystem: true,
            },
          },
        ]);
    });

    it('is idempotent: the same create again records nothing', () => {
      on([created]).when({ type: 'CreateTag', tagId, name: 'Hot Lead' }).then([]);
    });

    it('refuses an id already used by another tag, or a deleted one', () => {
      on([created])
        .when({ type: 'CreateTag', tagId, name: 'Cold Lead' })
        .thenThrows(ConflictError, { code: 'tag-exists' });
      on([created, deleted])
        .when({ type: 'CreateTag', tagId, name: 'Hot Lead' })
        .thenThrows(ConflictError, { code: 'tag-exists' });
    });

    it.each<[string, Partial<Extract<TagCommand, { type: 'CreateTag' }>>, string, string]>([
      ['a blank name', { name: '  ' }, 'name', 'invalid-tag-name'],
      ['an overlong name', { name: 'x'.repeat(101) }, 'name', 'invalid-tag-name'],
      ['a name that leaves no slug', { name: '!!!' }, 'slug', 'invalid-slug'],
      ['a malformed slug', { slug: 'Hot Lead' }, 'slug', 'invalid-slug'],
      ['a colour that is not hex', { color: 'red' }, 'color', 'invalid-color'],
      [
        'an overlong description',
        { description: 'x'.repeat(1001) },
        'description',
        'invalid-description',
      ],
      ['a category not in the seed', { category: 'vip' as never }, 'category', 'invalid-category'],
    ])('refuses %s', (_why, fields, field, code) => {
      on([])
        .when({ type: 'CreateTag', tagId, name: 'Hot Lead', ...fields })
        .thenThrows(RuleViolationError, { code, details: { field } });
    });
  });

  describe("the tag's state", () => {
    it.each(oneOfEach.map((c) => [c.type, c] as const))(
      '%s on a tag that does not exist: 404',
      (_type, command) => {
        on([])
          .when(command)
          .thenThrows(NotFoundError, { code: 'tag-not-found', details: { tagId } });
      },
    );

    it.each(oneOfEach.filter((c) => c.type !== 'DeleteTag').map((c) => [c.type, c] as const))(
      '%s on a deleted tag: 409',
      (_type, command) => {
        on([created, deleted]).when(command).thenThrows(ConflictError, { code: 'tag-deleted' });
      },
    );
  });

  describe('UpdateTag', () => {
    it('records only what changes; a rename keeps the slug; null clears', () => {
      const withColor: TagEvent = { type: 'TagUpdated', data: { tagId, color: '#ff8800' } };
      on([created, withColor])
        .when({
          type: 'UpdateTag',
          tagId,
          name: 'Warm Lead',
          color: null,
          category: null,
          description: '',
        })
        .then([{ type: 'TagUpdated', data: { tagId, name: 'Warm Lead', color: null } }]);
    });

    it('changes the slug only when asked', () => {
      on([created])
        .when({ type: 'UpdateTag', tagId, slug: 'warm-lead', category: 'segment' })
        .then([{ type: 'TagUpdated', data: { tagId, slug: 'warm-lead', category: 'segment' } }]);
    });

    it('is idempotent', () => {
      on([created]).when({ type: 'UpdateTag', tagId, name: 'Hot Lead', slug: 'hot-lead' }).then([]);
      on([created]).when({ type: 'UpdateTag', tagId }).then([]);
    });

    it('refuses invalid fields', () => {
      on([created])
        .when({ type: 'UpdateTag', tagId, slug: 'Bad Slug' })
        .thenThrows(RuleViolationError, { code: 'invalid-slug' });
      on([created])
        .when({ type: 'UpdateTag', tagId, name: '' })
        .thenThrows(RuleViolationError, { code: 'invalid-tag-name' });
      on([created])
        .when({ type: 'UpdateTag', tagId, color: '#12345' })
        .thenThrows(RuleViolationError, { code: 'invalid-color' });
    });
  });

  describe('DeleteTag', () => {
    it('deletes a tag', () => {
      on([created]).when({ type: 'DeleteTag', tagId }).then([deleted]);
    });

    it('is idempotent', () => {
      on([created, deleted]).when({ type: 'DeleteTag', tagId }).then([]);
    });

    it('refuses to delete a system tag', () => {
      on([systemCreated])
        .when({ type: 'DeleteTag', tagId })
        .thenThrows(RuleViolationError, { code: 'system-tag', status: 422 });
    });
  });

  describe('SetTagCrmMapping / RemoveTagCrmMapping', () => {
    it("sets a mapping (the seed's hubspot list)", () => {
      on([created])
        .when({
          type: 'SetTagCrmMapping',
          tagId,
          provider: 'hubspot',
          mappingType: 'list',
          externalId: ' 123 ',
        })
        .then([hubspotList]);
    });

    it('replaces a mapping, and records nothing for the same one', () => {
      on([created, hubspotList])
        .when({
          type: 'SetTagCrmMapping',
          tagId,
          provider: 'hubspot',
          mappingType: 'list',
          externalId: '456',
        })
        .then([
          {
            type: 'TagCrmMappingSet',
            data: { tagId, provider: 'hubspot', mappingType: 'list', externalId: '456' },
          },
        ]);
      on([created, hubspotList])
        .when({
          type: 'SetTagCrmMapping',
          tagId,
          provider: 'hubspot',
          mappingType: 'list',
          externalId: '123',
        })
        .then([]);
    });

    it('removes a mapping, and records nothing when there is none', () => {
      on([created, hubspotList])
        .when({ type: 'RemoveTagCrmMapping', tagId, provider: 'hubspot' })
        .then([{ type: 'TagCrmMappingRemoved', data: { tagId, provider: 'hubspot' } }]);
      on([created]).when({ type: 'RemoveTagCrmMapping', tagId, provider: 'hubspot' }).then([]);
    });

    it.each<[string, Partial<Extract<TagCommand, { type: 'SetTagCrmMapping' }>>, string, string]>([
      ['a malformed provider', { provider: 'Hub Spot' }, 'provider', 'invalid-provider'],
      [
        'an unknown mapping type',
        { mappingType: 'folder' as never },
        'mappingType',
        'invalid-mapping-type',
      ],
      ['an empty external id', { externalId: '' }, 'externalId', 'invalid-external-id'],
    ])('refuses %s', (_why, fields, field, code) => {
      on([created])
        .when({
          type: 'SetTagCrmMapping',
          tagId,
          provider: 'hubspot',
          mappingType: 'tag',
          externalId: 'hot-lead',
          ...fields,
        })
        .thenThrows(RuleViolationError, { code, details: { field } });
    });
  });

  describe('evolve', () => {
    it('folds updates and mappings, and marks deletion', () => {
      const state = fold(tagDecider, [
        created,
        { type: 'TagUpdated', data: { tagId, name: 'Warm Lead', color: '#ff8800' } },
        hubspotList,
        {
          type: 'TagCrmMappingSet',
          data: { tagId, provider: 'gohighlevel', mappingType: 'tag', externalId: 'hot-lead' },
        },
        { type: 'TagCrmMappingRemoved', data: { tagId, provider: 'hubspot' } },
        deleted,
      ]);
      expect(state.kind).toBe('deleted');
      if (state.kind === 'absent') return;
      expect(state.tag).toMatchObject({ name: 'Warm Lead', slug: 'hot-lead', color: '#ff8800' });
      expect([...state.tag.crmMappings.keys()]).toEqual(['gohighlevel']);
    });
  });
});
