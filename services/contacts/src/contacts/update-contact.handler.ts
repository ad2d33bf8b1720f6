// Changes to an existing contact. Most are one command on the contact's
// stream (ContactStreams.run); the two that touch other streams first are
// spelled out here:
// - a new email: reserve the new address, append ContactEmailChanged, then
//   release the old address (in that order: the contact never holds an
//   address it has not reserved);
// - tags: resolve slugs or names to tags, creating missing ones, then add.
// Both check the request against the contact's current state first (a dry
// run of the decider), so that a refused request has written nothing.
import { randomUUID } from 'node:crypto';
import type { PropertySource, PropertyType, TagApplier } from '@engagement/contracts';
import type { CommandContext, Decider } from '@engagement/decider';
import type { ContactEvent } from '@engagement/contracts';
import {
  checkEmail,
  contactDecider,
  decideContact,
  type ContactCommand,
  type ContactState,
  type PropertyInput,
  type UpdateContactIdentity,
} from '../domain';
import type { EmailReservations } from '../email-reservation/email-reservation';
import type { ContactResult, ContactStreams } from '../shared/contact-streams';
import { assertWithinLease } from '../shared/reservations';
import { tagReferences, type TagResolver } from '../tags/tag-resolver';
import type { TagsHandler } from '../tags/tags.handler';
import { emailTaken, inferredPropertyType } from './contact.command';

export interface IdentityChanges {
  email?: string;
  firstName?: string | null;
  lastName?: string | null;
  phone?: string | null;
  timezone?: string;
  locale?: string;
  avatarUrl?: string | null;
}

export interface PropertyChange {
  value: PropertyInput;
  /** Default: the property's current type, else the value's own. */
  type?: PropertyType;
  enumOptions?: string[] | null;
  source: PropertySource;
}

export class UpdateContactHandler {
  constructor(
    private readonly contacts: ContactStreams,
    private readonly emails: EmailReservations,
    private readonly tagResolver: TagResolver,
    private readonly tags: TagsHandler,
  ) {}

  /** Any single change that needs nothing but the contact's own stream. */
  run(contactId: string, command: ContactCommand, context: CommandContext): Promise<ContactResult> {
    return this.contacts.run(contactId, [command], context);
  }

  /** PATCH /contacts/:id */
  async updateIdentity(
    contactId: string,
    changes: IdentityChanges,
    context: CommandContext,
  ): Promise<ContactResult> {
    const { email: rawEmail, ...identity } = changes;
    const update: UpdateContactIdentity = { type: 'UpdateContactIdentity', contactId, ...identity };
    if (rawEmail === undefined) return this.contacts.run(contactId, [update], context);

    const email = checkEmail(rawEmail);
    const commands: ContactCommand[] = [{ type: 'ChangeContactEmail', contactId, email }, update];
    const state = await this.contacts.check(contactId, commands, context);
    if (state.kind === 'live' && state.contact.email === email) {
      return this.contacts.run(contactId, commands, context);
    }

    const reservation = await this.emails.reserveForChange(email, contactId, context);
    if (reservation.outcome === 'taken') {
      throw emailTaken(reservation.holderId, reservation.status !== 'holds');
    }
    // A reservation left behind by a failure below is taken over after its lease.
    assertWithinLease(reservation.reservedAt);
    const result = await this.contacts.run(contactId, commands, context);
    for (const event of result.events) {
      if (event.type === 'ContactEmailChanged') {
        await this.emails.release(event.data.previousEmail, contactId, context);
      }
    }
    return result;
  }

  /** POST /contacts/:id/tags: slugs or names; missing tags are created. */
  async addTags(
    contactId: string,
    inputs: readonly string[],
    appliedBy: TagApplier,
    context: CommandContext,
  ): Promise<ContactResult> {
    const references = tagReferences(inputs);
    const commands = (tags: { tagId: string; slug: string }[]): ContactCommand[] =>
      tags.map((tag) => ({
        type: 'AddContactTag',
        contactId,
        tagId: tag.tagId,
        slug: tag.slug,
        appliedBy,
        activityId: randomUUID(),
      }));
    // Refuse unknown or deleted contacts before creating any tag.
    await this.contacts.check(
      contactId,
      commands(references.map((ref) => ({ tagId: randomUUID(), slug: ref.slug }))),
      context,
    );
    const tags = await this.tagResolver.resolve(references, context);
    return this.contacts.run(contactId, commands(tags), context);
  }

  /** DELETE /contacts/:id/tags/:slug; removing a tag the contact does not have changes nothing. */
  async removeTag(
    contactId: string,
    slug: string,
    removedBy: TagApplier,
    context: CommandContext,
  ): Promise<ContactResult> {
    const current = await this.tags.tagHolding('slug', slug);
    const decider = this.onState((state) => {
      const tags = state.kind === 'live' ? state.contact.tags : new Map<string, string>();
      // The tag as it is called now, else as it was called when it was applied.
      const tagId =
        current && tags.has(current.tagId)
          ? current.tagId
          : ([...tags].find(([, applied]) => applied === slug)?.[0] ?? randomUUID());
      return { type: 'RemoveContactTag', contactId, tagId, removedBy, activityId: randomUUID() };
    });
    return this.contacts.decide(contactId, decider, null, context);
  }

  /** PUT /contacts/:id/properties/:name */
  setProperty(
    contactId: string,
    name: string,
    change: PropertyChange,
    context: CommandContext,
  ): Promise<ContactResult> {
    const decider = this.onState((state) => {
      const current = state.kind === 'live' ? state.contact.properties.get(name) : undefined;
      const type = change.type ?? current?.type ?? inferredPropertyType(change.value);
      const enumOptions =
        change.enumOptions !== undefined
          ? change.enumOptions
          : type === current?.type
            ? current.enumOptions
            : null;
      return {
        type: 'SetContactProperty',
        contactId,
        name,
        value: change.value,
        propertyType: type,
        enumOptions,
        source: change.source,
        activityId: randomUUID(),
      };
    });
    return this.contacts.decide(contactId, decider, null, context);
  }

  /**
   * A decider whose command is built from the state handleCommand read, so
   * that defaults taken from the contact (a property's type, a tag's id)
   * are right on a retry after a concurrent change too.
   */
  private onState(
    build: (state: ContactState) => ContactCommand,
  ): Decider<null, ContactEvent, ContactState> {
    return {
      initialState: contactDecider.initialState,
      evolve: contactDecider.evolve,
      decide: (_command, state, context) => decideContact(build(state), state, context),
    };
  }
}
