// The tag decider: one tag's stream (`tag-<uuid>`), its commands, state and
// decisions, all small enough for one file. Pure, like the contact decider:
// the tag id comes in the command.
//
// Not decided here: names and slugs are unique across tags. That spans
// streams, so the shell reserves name and slug (as it does emails) before
// CreateTag / UpdateTag.
import {
  TAG_CATEGORIES,
  TAG_CRM_MAPPING_TYPES,
  isOneOf,
  type TagCategory,
  type TagCrmMappingType,
  type TagEvent,
  type TagUpdatedData,
} from '@engagement/contracts';
import {
  ConflictError,
  NotFoundError,
  RuleViolationError,
  type Decider,
} from '@engagement/decider';
import { checkExternalId, checkOneOf, checkProvider, invalid } from './field-checks';
import { isValidSlug, slugify } from './slug';
import { cleanText } from './text';

export const MAX_TAG_NAME_LENGTH = 100;
export const MAX_TAG_DESCRIPTION_LENGTH = 1000;

// ---------------------------------------------------------------- commands

export type CreateTag = {
  type: 'CreateTag';
  tagId: string;
  name: string;
  /** Default: derived from the name (slugify). */
  slug?: string;
  /** #rgb or #rrggbb. */
  color?: string | null;
  description?: string | null;
  category?: TagCategory | null;
  isSystem?: boolean;
};

/**
 * Only the fields present change; null clears. Renaming does not change the
 * slug: clients and automations refer to tags by slug, so it changes only
 * when asked for.
 */
export type UpdateTag = {
  type: 'UpdateTag';
  tagId: string;
  name?: string;
  slug?: string;
  color?: string | null;
  description?: string | null;
  category?: TagCategory | null;
};

export type DeleteTag = { type: 'DeleteTag'; tagId: string };

export type SetTagCrmMapping = {
  type: 'SetTagCrmMapping';
  tagId: string;
  provider: string;
  mappingType: TagCrmMappingType;
  externalId: string;
};

export type RemoveTagCrmMapping = { type: 'RemoveTagCrmMapping'; tagId: string; provider: string };

export type TagCommand = CreateTag | UpdateTag | DeleteTag | SetTagCrmMapping | RemoveTagCrmMapping;

// ---------------------------------------------------------------- state

export type TagCrmMapping = { mappingType: TagCrmMappingType; externalId: string };

export type TagRecord = {
  tagId: string;
  name: string;
  slug: string;
  color: string | null;
  description: string | null;
  category: TagCategory | null;
  isSystem: boolean;
  /** provider → mapping */
  crmMappings: ReadonlyMap<string, TagCrmMapping>;
};

export type TagState =
  { kind: 'absent' } | { kind: 'live'; tag: TagRecord } | { kind: 'deleted'; tag: TagRecord };

export function initialTagState(): TagState {
  return { kind: 'absent' };
}

export function evolveTag(state: TagState, event: TagEvent): TagState {
  if (event.type === 'TagCreated') {
    return state.kind === 'absent'
      ? { kind: 'live', tag: { ...event.data, crmMappings: new Map() } }
      : state;
  }
  if (state.kind === 'absent') return state;
  const tag = state.tag;
  switch (event.type) {
    case 'TagUpdated':
      // Holds only the changed fields (and the tag's own id).
      return { kind: state.kind, tag: { ...tag, ...event.data } };
    case 'TagDeleted':
      return { kind: 'deleted', tag };
    case 'TagCrmMappingSet': {
      const { provider, mappingType, externalId } = event.data;
      return {
        kind: state.kind,
        tag: {
          ...tag,
          crmMappings: new Map(tag.crmMappings).set(provider, { mappingType, externalId }),
        },
      };
    }
    case 'TagCrmMappingRemoved': {
      const crmMappings = new Map(tag.crmMappings);
      crmMappings.delete(event.data.provider);
      return { kind: state.kind, tag: { ...tag, crmMappings } };
    }
  }
}

// ---------------------------------------------------------------- checks

function checkName(raw: string): string {
  const result = cleanText(raw, MAX_TAG_NAME_LENGTH);
  if (!result.ok) throw invalid('name', 'invalid-tag-name', `name ${result.reason}`);
  if (result.value === null) throw invalid('name', 'invalid-tag-name', 'name is required');
  return result.value;
}

function checkSlug(raw: string): string {
  if (!isValidSlug(raw)) {
    throw invalid(
      'slug',
      'invalid-slug',
      'slug must be lower-case letters and digits in words joined by -, at most 64',
    );
  }
  return raw;
}

const HEX_COLOR = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i;

/** One spelling per colour: lower-case #rrggbb (#F0A becomes #ff00aa). */
function checkColor(raw: string | null): string | null {
  if (raw === null) return null;
  const color = raw.trim().toLowerCase();
  if (!HEX_COLOR.test(color)) {
    throw invalid('color', 'invalid-color', 'color must be a hex colour like #ff8800');
  }
  if (color.length === 7) return color;
  return '#' + [...color.slice(1)].map((digit) => digit + digit).join('');
}

function checkDescription(raw: string | null): string | null {
  const result = cleanText(raw, MAX_TAG_DESCRIPTION_LENGTH);
  if (!result.ok) {
    throw invalid('description', 'invalid-description', `description ${result.reason}`);
  }
  return result.value;
}

function checkCategory(raw: TagCategory | null): TagCategory | null {
  if (raw === null || isOneOf(TAG_CATEGORIES, raw)) return raw;
  throw invalid(
    'category',
    'invalid-category',
    `category must be one of ${TAG_CATEGORIES.join(', ')}`,
  );
}

// ---------------------------------------------------------------- decisions

function createTag(command: CreateTag, state: TagState): TagEvent[] {
  const name = checkName(command.name);
  const slug = command.slug === undefined ? slugify(name) : command.slug;
  if (!isValidSlug(slug)) {
    throw invalid(
      'slug',
      'invalid-slug',
      command.slug === undefined ? 'the name leaves no usable slug: give one' : 'slug is not valid',
    );
  }
  if (state.kind !== 'absent') {
    // The same create again (a retry) changes nothing; anything else reuses an id.
    if (state.kind === 'live' && state.tag.name === name && state.tag.slug === slug) return [];
    throw new ConflictError(`Tag ${command.tagId} already exists`, 'tag-exists', {
      tagId: command.tagId,
    });
  }
  return [
    {
      type: 'TagCreated',
      data: {
        tagId: command.tagId,
        name,
        slug,
        color: checkColor(command.color ?? null),
        description: checkDescription(command.description ?? null),
        category: checkCategory(command.category ?? null),
        isSystem: command.isSystem ?? false,
      },
    },
  ];
}

function updateTag(command: UpdateTag, tag: TagRecord): TagEvent[] {
  const wanted: Omit<TagUpdatedData, 'tagId'> = {};
  if (command.name !== undefined) wanted.name = checkName(command.name);
  if (command.slug !== undefined) wanted.slug = checkSlug(command.slug);
  if (command.color !== undefined) wanted.color = checkColor(command.color);
  if (command.description !== undefined) wanted.description = checkDescription(command.description);
  if (command.category !== undefined) wanted.category = checkCategory(command.category);

  const changed: TagUpdatedData = { tagId: tag.tagId };
  let any = false;
  for (const key of Object.keys(wanted) as (keyof typeof wanted)[]) {
    if (wanted[key] !== tag[key]) {
      Object.assign(changed, { [key]: wanted[key] });
      any = true;
    }
  }
  return any ? [{ type: 'TagUpdated', data: changed }] : [];
}

function deleteTag(tag: TagRecord): TagEvent[] {
  if (tag.isSystem) {
    throw new RuleViolationError(
      `Tag ${tag.slug} is a system tag and cannot be deleted`,
      'system-tag',
      {
        field: 'tagId',
        tagId: tag.tagId,
      },
    );
  }
  return [{ type: 'TagDeleted', data: { tagId: tag.tagId, slug: tag.slug } }];
}

function setCrmMapping(command: SetTagCrmMapping, tag: TagRecord): TagEvent[] {
  const provider = checkProvider('provider', command.provider);
  const mappingType = checkOneOf('mappingType', TAG_CRM_MAPPING_TYPES, command.mappingType);
  const externalId = checkExternalId(command.externalId);
  const current = tag.crmMappings.get(provider);
  if (current?.mappingType === mappingType && current.externalId === externalId) return [];
  return [
    { type: 'TagCrmMappingSet', data: { tagId: tag.tagId, provider, mappingType, externalId } },
  ];
}

function removeCrmMapping(command: RemoveTagCrmMapping, tag: TagRecord): TagEvent[] {
  if (!tag.crmMappings.has(command.provider)) return [];
  return [{ type: 'TagCrmMappingRemoved', data: { tagId: tag.tagId, provider: command.provider } }];
}

export function decideTag(command: TagCommand, state: TagState): TagEvent[] {
  if (command.type === 'CreateTag') return createTag(command, state);
  if (state.kind === 'absent') {
    throw new NotFoundError(`Tag ${command.tagId} does not exist`, 'tag-not-found', {
      tagId: command.tagId,
    });
  }
  if (state.kind === 'deleted') {
    if (command.type === 'DeleteTag') return [];
    throw new ConflictError(`Tag ${command.tagId} is deleted`, 'tag-deleted', {
      tagId: command.tagId,
    });
  }
  switch (command.type) {
    case 'UpdateTag':
      return updateTag(command, state.tag);
    case 'DeleteTag':
      return deleteTag(state.tag);
    case 'SetTagCrmMapping':
      return setCrmMapping(command, state.tag);
    case 'RemoveTagCrmMapping':
      return removeCrmMapping(command, state.tag);
  }
}

export const tagDecider: Decider<TagCommand, TagEvent, TagState> = {
  initialState: initialTagState,
  evolve: evolveTag,
  decide: (command, state) => decideTag(command, state),
};
