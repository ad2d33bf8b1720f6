// The contact decider: which events a command causes on one contact's
// stream, given the events so far. Pure: ids come in the command, time in
// the context. Rule violations throw the typed errors of @engagement/decider
// (RuleViolationError 422 with a code and the field at fault, ConflictError
// 409, NotFoundError 404); a command that would change nothing returns [].
//
// Not decided here, on purpose:
// - One email, one contact. That invariant spans contacts, so a single
//   contact's stream cannot enforce it: the shell reserves the email in its
//   own reservation stream before CreateContact / ChangeContactEmail, and
//   releases the old one after.
// - GDPR erasure's crypto-shredding. The shell encrypts the personal fields
//   (contracts' PERSONAL_DATA_FIELDS) with the contact's key and destroys the
//   key on ContactErased; the decider only decides that erasure happened.
// - Tags exist and are unique by slug: the tag's own stream and the shell
//   (which resolves a slug to a tag id before AddContactTag) see to that.
import {
  ACTIVITY_SOURCES,
  ACTIVITY_TYPES,
  CONSENT_CHANNELS,
  CONTACT_SOURCES,
  CONTACT_STATUSES,
  LIFECYCLE_STAGES,
  PROPERTY_SOURCES,
  PROPERTY_TYPES,
  SYNC_DIRECTIONS,
  TAG_APPLIERS,
  type ActivityRecorded,
  type ActivitySource,
  type ActivityType,
  type ContactEvent,
  type ContactIdentityUpdatedData,
  type PropertySource,
  type TagApplier,
} from '@engagement/contracts';
import {
  ConflictError,
  NotFoundError,
  type CommandContext,
  type Decider,
} from '@engagement/decider';
import type { JsonObject } from '@engagement/event-store';
import type * as C from './contact.commands';
import type { ContactCommand } from './contact.commands';
import {
  checkEmail,
  checkExternalId,
  checkIp,
  checkLocale,
  checkName,
  checkOneOf,
  checkPhone,
  checkProvider,
  checkReason,
  checkScore,
  checkSyncToCrms,
  checkTimestamp,
  checkTimezone,
  checkUrl,
  checkUuid,
  invalid,
  MAX_LEAD_SCORE,
  MIN_LEAD_SCORE,
} from './field-checks';
import {
  evolveContact,
  initialContactState,
  type ContactRecord,
  type ContactState,
} from './contact.state';
import { isPropertyName, isRelatedToType } from './identifiers';
import { DEFAULT_LOCALE } from './locale';
import { canonicalPropertyValue, enumOptionsProblem } from './property-value';
import { isValidSlug } from './slug';
import { DEFAULT_TIMEZONE } from './timezone';

export const DEFAULT_LIFECYCLE_STAGE = 'lead';

function notFound(contactId: string): NotFoundError {
  return new NotFoundError(`Contact ${contactId} does not exist`, 'contact-not-found', {
    contactId,
  });
}

// ------------------------------------------------ activities the contact writes itself

/** Who caused a property change, in the activity log's vocabulary (which has no form or enrichment: a form arrives through the API, enrichment is automation). */
const ACTIVITY_SOURCE_OF_PROPERTY_SOURCE: Record<PropertySource, ActivitySource> = {
  manual: 'manual',
  form: 'api',
  api: 'api',
  crm_sync: 'crm_sync',
  enrichment: 'automation',
};

/** Who added or removed a tag, in the activity log's vocabulary. */
const ACTIVITY_SOURCE_OF_TAG_APPLIER: Record<TagApplier, ActivitySource> = {
  user: 'manual',
  automation: 'automation',
  crm_sync: 'crm_sync',
  api: 'api',
};

/**
 * The activity a property, tag or lifecycle change writes beside its own
 * event. It earns no lead score points: scoring rules apply to activities
 * recorded through RecordActivity, whose points the shell computed.
 */
function changeActivity(
  contact: ContactRecord,
  activityId: string,
  activityType: ActivityType,
  activityData: JsonObject,
  source: ActivitySource,
  related: { type: string; id: string } | null,
  context: CommandContext,
): ActivityRecorded {
  return {
    type: 'ActivityRecorded',
    data: {
      contactId: contact.contactId,
      activityId,
      activityType,
      activityData,
      relatedToType: related?.type ?? null,
      relatedToId: related?.id ?? null,
      source,
      occurredAt: context.now.toISOString(),
      points: 0,
      syncToCrms: [],
    },
  };
}

/**
 * A command that carries an activityId was applied before when that
 * activity is recorded: a retry after a lost response, answered with
 * nothing new even if the change was undone in between.
 */
function alreadyApplied(contact: ContactRecord, activityId: string): boolean {
  return contact.activityIds.has(activityId);
}

// ---------------------------------------------------------------- decisions

function createContact(command: C.CreateContact, state: ContactState): ContactEvent[] {
  const email = checkEmail(command.email);
  if (state.kind !== 'absent') {
    // The same create again (a retry): nothing new. Anything else reuses an id.
    if (state.kind === 'live' && state.contact.email === email) return [];
    throw new ConflictError(`Contact ${command.contactId} already exists`, 'contact-exists', {
      contactId: command.contactId,
    });
  }
  return [
    {
      type: 'ContactCreated',
      data: {
        contactId: command.contactId,
        email,
        firstName: checkName('firstName', command.firstName ?? null),
        lastName: checkName('lastName', command.lastName ?? null),
        phone: checkPhone(command.phone ?? null),
        timezone: checkTimezone(command.timezone ?? DEFAULT_TIMEZONE),
        locale: checkLocale(command.locale ?? DEFAULT_LOCALE),
        avatarUrl: checkUrl('avatarUrl', command.avatarUrl ?? null),
        lifecycleStage: checkOneOf(
          'lifecycleStage',
          LIFECYCLE_STAGES,
          command.lifecycleStage ?? DEFAULT_LIFECYCLE_STAGE,
        ),
        source: checkOneOf('source', CONTACT_SOURCES, command.source),
        syncToCrms: checkSyncToCrms(command.syncToCrms),
      },
    },
  ];
}

function updateIdentity(command: C.UpdateContactIdentity, contact: ContactRecord): ContactEvent[] {
  const wanted: Omit<ContactIdentityUpdatedData, 'contactId'> = {};
  if (command.firstName !== undefined) wanted.firstName = checkName('firstName', command.firstName);
  if (command.lastName !== undefined) wanted.lastName = checkName('lastName', command.lastName);
  if (command.phone !== undefined) wanted.phone = checkPhone(command.phone);
  if (command.timezone !== undefined) wanted.timezone = checkTimezone(command.timezone);
  if (command.locale !== undefined) wanted.locale = checkLocale(command.locale);
  if (command.avatarUrl !== undefined) wanted.avatarUrl = checkUrl('avatarUrl', command.avatarUrl);

  // Only what differs from now goes into the event.
  const changed: ContactIdentityUpdatedData = { contactId: contact.contactId };
  let any = false;
  for (const key of Object.keys(wanted) as (keyof typeof wanted)[]) {
    if (wanted[key] !== contact[key]) {
      Object.assign(changed, { [key]: wanted[key] });
      any = true;
    }
  }
  return any ? [{ type: 'ContactIdentityUpdated', data: changed }] : [];
}

function changeEmail(command: C.ChangeContactEmail, contact: ContactRecord): ContactEvent[] {
  const email = checkEmail(command.email);
  if (email === contact.email) return [];
  return [
    {
      type: 'ContactEmailChanged',
      data: { contactId: contact.contactId, email, previousEmail: contact.email },
    },
  ];
}

function setProperty(
  command: C.SetContactProperty,
  contact: ContactRecord,
  context: CommandContext,
): ContactEvent[] {
  if (!isPropertyName(command.name)) {
    throw invalid(
      'name',
      'invalid-property-name',
      'name must start with a letter and hold letters, digits, _ (at most 100)',
    );
  }
  const type = checkOneOf('propertyType', PROPERTY_TYPES, command.propertyType);
  const source = checkOneOf('source', PROPERTY_SOURCES, command.source);
  const activityId = checkUuid('activityId', command.activityId);
  const enumOptions = command.enumOptions ?? null;
  const optionsProblem = enumOptionsProblem(type, enumOptions);
  if (optionsProblem) throw invalid('enumOptions', 'invalid-enum-options', optionsProblem);
  const result = canonicalPropertyValue(type, command.value, enumOptions);
  if (!result.ok) {
    throw invalid('value', 'invalid-property-value', `value ${result.reason} (type ${type})`);
  }

  if (alreadyApplied(contact, activityId)) return [];
  const current = contact.properties.get(command.name);
  // The same value again is nothing new, whoever sends it: a CRM echoing back
  // a value we pushed must not start a sync loop.
  if (
    current &&
    current.value === result.value &&
    current.type === type &&
    JSON.stringify(current.enumOptions) === JSON.stringify(enumOptions)
  ) {
    return [];
  }
  return [
    {
      type: 'ContactPropertySet',
      data: {
        contactId: contact.contactId,
        name: command.name,
        value: result.value,
        type,
        enumOptions,
        source,
      },
    },
    changeActivity(
      contact,
      activityId,
      'property_changed',
      {
        propertyName: command.name,
        propertyType: type,
        from: current?.value ?? null,
        to: result.value,
      },
      ACTIVITY_SOURCE_OF_PROPERTY_SOURCE[source],
      null,
      context,
    ),
  ];
}

function removeProperty(
  command: C.RemoveContactProperty,
  contact: ContactRecord,
  context: CommandContext,
): ContactEvent[] {
  const source = checkOneOf('source', PROPERTY_SOURCES, command.source);
  const activityId = checkUuid('activityId', command.activityId);
  const current = contact.properties.get(command.name);
  if (!current || alreadyApplied(contact, activityId)) return [];
  return [
    {
      type: 'ContactPropertyRemoved',
      data: { contactId: contact.contactId, name: command.name, source },
    },
    changeActivity(
      contact,
      activityId,
      'property_changed',
      { propertyName: command.name, propertyType: current.type, from: current.value, to: null },
      ACTIVITY_SOURCE_OF_PROPERTY_SOURCE[source],
      null,
      context,
    ),
  ];
}

function addTag(
  command: C.AddContactTag,
  contact: ContactRecord,
  context: CommandContext,
): ContactEvent[] {
  const tagId = checkUuid('tagId', command.tagId);
  if (!isValidSlug(command.slug)) {
    throw invalid('slug', 'invalid-slug', 'slug must be lower-case kebab-case');
  }
  const appliedBy = checkOneOf('appliedBy', TAG_APPLIERS, command.appliedBy);
  const activityId = checkUuid('activityId', command.activityId);
  if (contact.tags.has(tagId) || alreadyApplied(contact, activityId)) return [];
  return [
    {
      type: 'ContactTagAdded',
      data: { contactId: contact.contactId, tagId, slug: command.slug, appliedBy },
    },
    changeActivity(
      contact,
      activityId,
      'tag_added',
      { tagId, slug: command.slug },
      ACTIVITY_SOURCE_OF_TAG_APPLIER[appliedBy],
      { type: 'tag', id: tagId },
      context,
    ),
  ];
}

function removeTag(
  command: C.RemoveContactTag,
  contact: ContactRecord,
  context: CommandContext,
): ContactEvent[] {
  const tagId = checkUuid('tagId', command.tagId);
  const removedBy = checkOneOf('removedBy', TAG_APPLIERS, command.removedBy);
  const activityId = checkUuid('activityId', command.activityId);
  const slug = contact.tags.get(tagId);
  if (slug === undefined || alreadyApplied(contact, activityId)) return [];
  return [
    { type: 'ContactTagRemoved', data: { contactId: contact.contactId, tagId, slug, removedBy } },
    changeActivity(
      contact,
      activityId,
      'tag_removed',
      { tagId, slug },
      ACTIVITY_SOURCE_OF_TAG_APPLIER[removedBy],
      { type: 'tag', id: tagId },
      context,
    ),
  ];
}

/**
 * Consent is a state per channel. Granting what is granted, or revoking what
 * is revoked, is nothing new: the first grant's time and IP stay the
 * evidence. Revoking a channel never decided on IS recorded: an explicit
 * opt-out is worth more than silence.
 */
function changeConsent(
  command: C.GrantConsent | C.RevokeConsent,
  contact: ContactRecord,
  context: CommandContext,
): ContactEvent[] {
  const channel = checkOneOf('channel', CONSENT_CHANNELS, command.channel);
  const at = checkTimestamp('at', command.at, context.now);
  const ip = checkIp(command.ip);
  const granted = command.type === 'GrantConsent';
  if (contact.consent.get(channel) === granted) return [];
  const data = { contactId: contact.contactId, channel, at, ip };
  return [
    granted ? { type: 'ContactConsentGranted', data } : { type: 'ContactConsentRevoked', data },
  ];
}

/** Any stage may follow any other: CRMs let people move a contact back as well as forward. */
function changeLifecycleStage(
  command: C.ChangeLifecycleStage,
  contact: ContactRecord,
  context: CommandContext,
): ContactEvent[] {
  const to = checkOneOf('stage', LIFECYCLE_STAGES, command.stage);
  const source = checkOneOf('source', ACTIVITY_SOURCES, command.source);
  const activityId = checkUuid('activityId', command.activityId);
  const from = contact.lifecycleStage;
  if (from === to || alreadyApplied(contact, activityId)) return [];
  return [
    { type: 'ContactLifecycleStageChanged', data: { contactId: contact.contactId, from, to } },
    changeActivity(
      contact,
      activityId,
      'lifecycle_stage_changed',
      { from, to },
      source,
      null,
      context,
    ),
  ];
}

function leadScoreChanged(
  contact: ContactRecord,
  to: number,
  reason: string,
  activityId: string | null,
): ContactEvent[] {
  if (to === contact.leadScore) return [];
  return [
    {
      type: 'ContactLeadScoreChanged',
      data: { contactId: contact.contactId, from: contact.leadScore, to, reason, activityId },
    },
  ];
}

function changeLeadScore(command: C.ChangeLeadScore, contact: ContactRecord): ContactEvent[] {
  return leadScoreChanged(
    contact,
    checkScore('score', command.score),
    checkReason(command.reason),
    null,
  );
}

function applyLeadScoreDelta(
  command: C.ApplyLeadScoreDelta,
  contact: ContactRecord,
): ContactEvent[] {
  const delta = checkScore('delta', command.delta);
  const reason = checkReason(command.reason);
  const to = contact.leadScore + delta;
  if (to < MIN_LEAD_SCORE || to > MAX_LEAD_SCORE) {
    throw invalid('delta', 'lead-score-out-of-range', 'the score would not fit a 32-bit score');
  }
  return leadScoreChanged(contact, to, reason, null);
}

function changeStatus(command: C.ChangeContactStatus, contact: ContactRecord): ContactEvent[] {
  const to = checkOneOf('status', CONTACT_STATUSES, command.status);
  if (to === 'deleted') {
    // Deletion has its own command and event, which also stop further changes.
    throw invalid(
      'status',
      'use-delete-contact',
      'a contact is deleted with DeleteContact, not a status change',
    );
  }
  if (to === contact.status) return [];
  return [
    {
      type: 'ContactStatusChanged',
      data: { contactId: contact.contactId, from: contact.status, to },
    },
  ];
}

function linkExternalMapping(
  command: C.LinkExternalMapping,
  contact: ContactRecord,
  context: CommandContext,
): ContactEvent[] {
  const provider = checkProvider('provider', command.provider);
  const externalId = checkExternalId(command.externalId);
  const url = checkUrl('url', command.url ?? null);
  const syncDirection = checkOneOf('syncDirection', SYNC_DIRECTIONS, command.syncDirection);
  const syncedAt =
    command.syncedAt === undefined || command.syncedAt === null
      ? null
      : checkTimestamp('syncedAt', command.syncedAt, context.now);

  const current = contact.externalMappings.get(provider);
  if (current && current.externalId !== externalId) {
    // Another CRM record of the same provider: a merge or a mistake. Unlink first, deliberately.
    throw new ConflictError(
      `Contact is already linked to ${provider} record ${current.externalId}`,
      'external-mapping-exists',
      {
        provider,
        externalId: current.externalId,
      },
    );
  }
  if (
    current &&
    current.url === url &&
    current.syncDirection === syncDirection &&
    current.syncedAt === syncedAt
  ) {
    return [];
  }
  return [
    {
      type: 'ContactExternalMappingLinked',
      data: { contactId: contact.contactId, provider, externalId, url, syncDirection, syncedAt },
    },
  ];
}

function unlinkExternalMapping(
  command: C.UnlinkExternalMapping,
  contact: ContactRecord,
): ContactEvent[] {
  const provider = checkProvider('provider', command.provider);
  const current = contact.externalMappings.get(provider);
  if (!current) return [];
  return [
    {
      type: 'ContactExternalMappingUnlinked',
      data: { contactId: contact.contactId, provider, externalId: current.externalId },
    },
  ];
}

function checkRelatedTo(command: C.RecordActivity): { type: string; id: string } | null {
  const type = command.relatedToType ?? null;
  const id = command.relatedToId ?? null;
  if (type === null && id === null) return null;
  if (type === null || id === null) {
    throw invalid(
      type === null ? 'relatedToType' : 'relatedToId',
      'invalid-related-to',
      'relatedToType and relatedToId go together',
    );
  }
  if (!isRelatedToType(type)) {
    throw invalid('relatedToType', 'invalid-related-to', 'relatedToType must be a lower-case word');
  }
  return { type, id: checkUuid('relatedToId', id) };
}

/**
 * Business idempotency: an activity id already recorded on this contact is
 * ignored, so consumers of other services' topics can redeliver freely.
 * Points (computed by the shell from the scoring rules) move the score with it.
 */
function recordActivitySynced(command: C.RecordActivitySynced, contact: ContactRecord, context: CommandContext): ContactEvent[] {
  const activityId = checkUuid('activityId', command.activityId);
  const provider = checkProvider('provider', command.provider);
  const externalId = checkExternalId(command.externalId);
  const syncedAt = checkTimestamp('syncedAt', command.syncedAt, context.now);
  if (!contact.activityIds.has(activityId)) {
    throw new NotFoundError(`Activity ${activityId} is not on contact ${contact.contactId}`, 'activity-not-found', {
      contactId: contact.contactId,
      activityId,
    });
  }
  if (contact.syncedActivities.has(`${activityId}:${provider}`)) return [];
  return [{ type: 'ActivitySyncedToCrm', data: { contactId: contact.contactId, activityId, provider, externalId, syncedAt } }];
}

function recordActivity(
  command: C.RecordActivity,
  contact: ContactRecord,
  context: CommandContext,
): ContactEvent[] {
  const activityId = checkUuid('activityId', command.activityId);
  const activityType = checkOneOf('activityType', ACTIVITY_TYPES, command.activityType);
  if (
    typeof command.activityData !== 'object' ||
    command.activityData === null ||
    Array.isArray(command.activityData)
  ) {
    throw invalid('activityData', 'invalid-activity-data', 'activityData must be a JSON object');
  }
  const related = checkRelatedTo(command);
  const source = checkOneOf('source', ACTIVITY_SOURCES, command.source);
  const occurredAt = checkTimestamp('occurredAt', command.occurredAt, context.now);
  const points = checkScore('points', command.points ?? 0);
  const syncToCrms = checkSyncToCrms(command.syncToCrms);
  if (alreadyApplied(contact, activityId)) return [];

  const recorded: ActivityRecorded = {
    type: 'ActivityRecorded',
    data: {
      contactId: contact.contactId,
      activityId,
      activityType,
      activityData: command.activityData,
      relatedToType: related?.type ?? null,
      relatedToId: related?.id ?? null,
      source,
      occurredAt,
      points,
      syncToCrms,
    },
  };
  // An activity is never refused for its points: the score stops at the column's bounds instead.
  const to = Math.min(MAX_LEAD_SCORE, Math.max(MIN_LEAD_SCORE, contact.leadScore + points));
  return [recorded, ...leadScoreChanged(contact, to, `activity:${activityType}`, activityId)];
}

function decideOnLiveContact(
  command: ContactCommand,
  contact: ContactRecord,
  context: CommandContext,
): ContactEvent[] {
  switch (command.type) {
    case 'UpdateContactIdentity':
      return updateIdentity(command, contact);
    case 'ChangeContactEmail':
      return changeEmail(command, contact);
    case 'SetContactProperty':
      return setProperty(command, contact, context);
    case 'RemoveContactProperty':
      return removeProperty(command, contact, context);
    case 'AddContactTag':
      return addTag(command, contact, context);
    case 'RemoveContactTag':
      return removeTag(command, contact, context);
    case 'GrantConsent':
    case 'RevokeConsent':
      return changeConsent(command, contact, context);
    case 'ChangeLifecycleStage':
      return changeLifecycleStage(command, contact, context);
    case 'ChangeLeadScore':
      return changeLeadScore(command, contact);
    case 'ApplyLeadScoreDelta':
      return applyLeadScoreDelta(command, contact);
    case 'ChangeContactStatus':
      return changeStatus(command, contact);
    case 'DeleteContact':
      return [
        {
          type: 'ContactDeleted',
          data: { contactId: contact.contactId, deletedAt: context.now.toISOString() },
        },
      ];
    case 'LinkExternalMapping':
      return linkExternalMapping(command, contact, context);
    case 'UnlinkExternalMapping':
      return unlinkExternalMapping(command, contact);
    case 'RecordActivity':
      return recordActivity(command, contact, context);
    case 'RecordActivitySynced':
      return recordActivitySynced(command, contact, context);
    case 'CreateContact':
    case 'EraseContact':
      throw new Error(`${command.type} is decided before the contact's state is looked at`);
  }
}

export function decideContact(
  command: ContactCommand,
  state: ContactState,
  context: CommandContext,
): ContactEvent[] {
  if (command.type === 'CreateContact') return createContact(command, state);

  switch (state.kind) {
    case 'absent':
      throw notFound(command.contactId);
    case 'erased':
      // Erased is gone for good (404: to every reader the contact no longer
      // exists); erasing again is the one repeat that is not an error.
      if (command.type === 'EraseContact') return [];
      throw new NotFoundError(`Contact ${command.contactId} was erased`, 'contact-erased', {
        contactId: command.contactId,
      });
    case 'deleted':
      if (command.type === 'EraseContact') return [erased(command.contactId, context)];
      if (command.type === 'DeleteContact') return [];
      throw new ConflictError(`Contact ${command.contactId} is deleted`, 'contact-deleted', {
        contactId: command.contactId,
      });
    case 'live':
      if (command.type === 'EraseContact') return [erased(command.contactId, context)];
      return decideOnLiveContact(command, state.contact, context);
  }
}

function erased(contactId: string, context: CommandContext): ContactEvent {
  return { type: 'ContactErased', data: { contactId, erasedAt: context.now.toISOString() } };
}

export const contactDecider: Decider<ContactCommand, ContactEvent, ContactState> = {
  initialState: initialContactState,
  evolve: evolveContact,
  decide: decideContact,
};
