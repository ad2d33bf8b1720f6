// The events of a tag's stream (`tag-<uuid>`), published on the Kafka topic
// `contacts` beside the contact events. Same rules as contact-events.ts:
// JSON only, changed only by adding, otherwise a new version and an upcaster.
import type { DomainEvent } from '@engagement/decider';
import type { TagCategory, TagCrmMappingType } from './enumerations';

export type TagCreatedData = {
  tagId: string;
  /** Unique across tags (enforced by a reservation, not by the tag's stream). */
  name: string;
  /** Unique, lower-case kebab-case, e.g. hot-lead: what clients name tags by. */
  slug: string;
  /** Hex colour for the UI, lower-case #rrggbb. */
  color: string | null;
  description: string | null;
  category: TagCategory | null;
  /** System tags cannot be deleted. */
  isSystem: boolean;
};
export type TagCreated = DomainEvent<'TagCreated', TagCreatedData>;

/** Only the fields that changed are present; null clears a field. */
export type TagUpdatedData = {
  tagId: string;
  name?: string;
  slug?: string;
  color?: string | null;
  description?: string | null;
  category?: TagCategory | null;
};
export type TagUpdated = DomainEvent<'TagUpdated', TagUpdatedData>;

export type TagDeletedData = {
  tagId: string;
  slug: string;
};
/** The tag is gone; projections drop it from every contact (contact_tags cascades in the seed). */
export type TagDeleted = DomainEvent<'TagDeleted', TagDeletedData>;

/** One entry of tags.crm_tag_mappings, e.g. hubspot → {type: list, id: 123}. Set or replaced. */
export type TagCrmMappingSetData = {
  tagId: string;
  provider: string;
  mappingType: TagCrmMappingType;
  externalId: string;
};
export type TagCrmMappingSet = DomainEvent<'TagCrmMappingSet', TagCrmMappingSetData>;

export type TagCrmMappingRemovedData = {
  tagId: string;
  provider: string;
};
export type TagCrmMappingRemoved = DomainEvent<'TagCrmMappingRemoved', TagCrmMappingRemovedData>;

export type TagEvent =
  TagCreated | TagUpdated | TagDeleted | TagCrmMappingSet | TagCrmMappingRemoved;

export type TagEventType = TagEvent['type'];

/** The schema version each tag event type is written with today. */
export const TAG_EVENT_SCHEMA_VERSIONS = {
  TagCreated: 1,
  TagUpdated: 1,
  TagDeleted: 1,
  TagCrmMappingSet: 1,
  TagCrmMappingRemoved: 1,
} as const satisfies Record<TagEventType, number>;

export const TAG_EVENT_TYPES = Object.keys(TAG_EVENT_SCHEMA_VERSIONS) as TagEventType[];

export function isTagEventType(type: string): type is TagEventType {
  return Object.hasOwn(TAG_EVENT_SCHEMA_VERSIONS, type);
}
