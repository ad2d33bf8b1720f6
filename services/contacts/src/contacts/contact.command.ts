// From a contact request (the seed's POST /contacts body, a PUT upsert, an
// import row) to the domain commands of one contact's stream. A create is
// CreateContact followed by a SetContactProperty per property and an
// AddContactTag per tag, decided together and appended in one append (see
// domain/command-batch.ts), so a contact never exists half-made.
//
// The deciders here wrap that batch for the two ways a request can meet an
// existing contact: a create refuses it (409 email-taken, with its id), an
// upsert updates it instead. They decide on the state handleCommand read, so
// a concurrent create of the same contact is handled on the retry.
import type {
  ActivitySource,
  ContactEvent,
  ContactSource,
  LifecycleStage,
  PropertySource,
  PropertyType,
  TagApplier,
} from '@engagement/contracts';
import { ConflictError, type CommandContext, type Decider } from '@engagement/decider';
import {
  contactDecider,
  decideAll,
  type ContactCommand,
  type ContactRecord,
  type ContactState,
  type PropertyInput,
} from '../domain';
import type { TagRef } from '../tags/tags.handler';

/** A contact as a request describes it; fields left out are "unchanged" (or the default). */
export interface ContactInput {
  email: string;
  firstName?: string | null;
  lastName?: string | null;
  phone?: string | null;
  timezone?: string;
  locale?: string;
  avatarUrl?: string | null;
  lifecycleStage?: LifecycleStage;
  /** name → value; null removes the property (upserts only). */
  properties?: Record<string, PropertyInput | null>;
  syncToCrms?: string[];
  source: ContactSource;
}

/** Where a contact came from, in the vocabularies of the events it causes. */
const PROPERTY_SOURCE: Record<ContactSource, PropertySource> = {
  api: 'api',
  manual: 'manual',
  form: 'form',
  import: 'api',
  crm_sync: 'crm_sync',
  registration: 'form',
};
const TAG_APPLIER: Record<ContactSource, TagApplier> = {
  api: 'api',
  manual: 'user',
  form: 'api',
  import: 'api',
  crm_sync: 'crm_sync',
  registration: 'automation',
};
const ACTIVITY_SOURCE: Record<ContactSource, ActivitySource> = {
  api: 'api',
  manual: 'manual',
  form: 'api',
  import: 'api',
  crm_sync: 'crm_sync',
  registration: 'automation',
};

/** A JSON value's own type: what a property gets when nobody said otherwise. */
export function inferredPropertyType(value: PropertyInput): PropertyType {
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  return 'string';
}

export function emailTaken(contactId: string, pending = false): ConflictError {
  return new ConflictError(
    pending
      ? 'The email is being taken by another contact right now; try again'
      : 'A contact with this email exists',
    'email-taken',
    pending ? { contactId, pending } : { contactId },
  );
}

/** The commands that create a contact with its properties and tags. */
export function createCommands(
  contactId: string,
  input: ContactInput,
  tags: readonly TagRef[],
  newId: () => string,
): ContactCommand[] {
  const commands: ContactCommand[] = [
    {
      type: 'CreateContact',
      contactId,
      email: input.email,
      firstName: input.firstName,
      lastName: input.lastName,
      phone: input.phone,
      timezone: input.timezone,
      locale: input.locale,
      avatarUrl: input.avatarUrl,
      lifecycleStage: input.lifecycleStage,
      source: input.source,
      syncToCrms: input.syncToCrms,
    },
  ];
  for (const [name, value] of Object.entries(input.properties ?? {})) {
    if (value === null) continue;
    commands.push({
      type: 'SetContactProperty',
      contactId,
      name,
      value,
      propertyType: inferredPropertyType(value),
      source: PROPERTY_SOURCE[input.source],
      activityId: newId(),
    });
  }
  for (const tag of tags) {
    commands.push({
      type: 'AddContactTag',
      contactId,
      tagId: tag.tagId,
      slug: tag.slug,
      appliedBy: TAG_APPLIER[input.source],
      activityId: newId(),
    });
  }
  return commands;
}

/**
 * The commands that bring an existing contact in line with the request:
 * identity fields given, lifecycle stage, properties (keeping a property's
 * declared type when it has one), tags added (never removed: a request
 * lists tags to apply, not the full set). The email is how the contact was
 * found, so it does not change.
 */
export function updateCommands(
  contact: ContactRecord,
  input: ContactInput,
  tags: readonly TagRef[],
  newId: () => string,
): ContactCommand[] {
  const contactId = contact.contactId;
  const commands: ContactCommand[] = [
    {
      type: 'UpdateContactIdentity',
      contactId,
      firstName: input.firstName,
      lastName: input.lastName,
      phone: input.phone,
      timezone: input.timezone,
      locale: input.locale,
      avatarUrl: input.avatarUrl,
    },
  ];
  if (input.lifecycleStage !== undefined) {
    commands.push({
      type: 'ChangeLifecycleStage',
      contactId,
      stage: input.lifecycleStage,
      source: ACTIVITY_SOURCE[input.source],
      activityId: newId(),
    });
  }
  for (const [name, value] of Object.entries(input.properties ?? {})) {
    const source = PROPERTY_SOURCE[input.source];
    if (value === null) {
      commands.push({
        type: 'RemoveContactProperty',
        contactId,
        name,
        source,
        activityId: newId(),
      });
      continue;
    }
    const current = contact.properties.get(name);
    commands.push({
      type: 'SetContactProperty',
      contactId,
      name,
      value,
      propertyType: current?.type ?? inferredPropertyType(value),
      enumOptions: current?.enumOptions ?? null,
      source,
      activityId: newId(),
    });
  }
  for (const tag of tags) {
    commands.push({
      type: 'AddContactTag',
      contactId,
      tagId: tag.tagId,
      slug: tag.slug,
      appliedBy: TAG_APPLIER[input.source],
      activityId: newId(),
    });
  }
  return commands;
}

/** Creates the contact, or refuses with 409 email-taken when its stream already has one. */
export function createOnlyDecider(
  contactId: string,
  commands: ContactCommand[],
): Decider<null, ContactEvent, ContactState> {
  return {
    initialState: contactDecider.initialState,
    evolve: contactDecider.evolve,
    decide(_command: null, state: ContactState, context: CommandContext) {
      // Erased: a crashed create that was fenced off meanwhile; the email is free again.
      if (state.kind === 'erased') throw emailTaken(contactId, true);
      if (state.kind !== 'absent') throw emailTaken(contactId);
      return decideAll(contactDecider, commands, state, context);
    },
  };
}

/** Creates the contact when its stream is empty, else updates it (an upsert by email). */
export function upsertDecider(
  contactId: string,
  input: ContactInput,
  tags: readonly TagRef[],
  newId: () => string,
): Decider<null, ContactEvent, ContactState> {
  return {
    initialState: contactDecider.initialState,
    evolve: contactDecider.evolve,
    decide(_command: null, state: ContactState, context: CommandContext) {
      if (state.kind === 'absent') {
        return decideAll(
          contactDecider,
          createCommands(contactId, input, tags, newId),
          state,
          context,
        );
      }
      if (state.kind === 'live' && state.contact.email !== input.email) {
        // Found by the email a moment ago, changed to another since: ask to try again.
        throw emailTaken(contactId, true);
      }
      // Deleted and erased contacts are refused by the contact decider (409, 404).
      const contact = state.kind === 'erased' ? null : state.contact;
      const commands = contact
        ? updateCommands(contact, input, tags, newId)
        : [{ type: 'UpdateContactIdentity' as const, contactId }];
      return decideAll(contactDecider, commands, state, context);
    },
  };
}
