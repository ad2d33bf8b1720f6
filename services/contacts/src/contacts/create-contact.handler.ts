// Creating a contact (POST /contacts), or upserting one by email (PUT
// /contacts, bulk import rows). The steps, in this order:
//   1. check the whole request against the domain rules (a dry run of the
//      decider), so invalid input is refused before anything is written;
//   then, in the common case (an email never reserved before, tags that all
//   exist), one multi-stream append: the email's first reservation and the
//   contact's events together, all or nothing. Otherwise (that append is
//   refused, or the event store has no appendToStreams):
//   2. reserve the email for the new contact id (email-reservation/);
//   3. resolve the tags, creating the ones that do not exist yet (tags/);
//   4. decide and append the contact's events in one append.
// When the email is taken, a create answers 409 with the holder's id and an
// upsert updates the holder instead. When the holder's stream does not
// exist (its create is in flight, or crashed after reserving), this request
// creates that very contact: the stream's 'no_stream' append lets exactly one
// create win, and a retry after a crash completes instead of being stuck.
import { randomUUID } from 'node:crypto';
import { derivedId, type CommandContext } from '@engagement/decider';
import {
  AppendToStreamsNotSupportedError,
  WrongExpectedRevisionError,
  type AppendResult,
  type StreamAppend,
} from '@engagement/event-store';
import { checkEmail, contactDecider, decideAll, initialContactState } from '../domain';
import type { EmailReservations } from '../email-reservation/email-reservation';
import type { ContactResult, ContactStreams } from '../shared/contact-streams';
import type { Reservation } from '../shared/reservations';
import { tagReferences, type TagReference, type TagResolver } from '../tags/tag-resolver';
import type { TagRef } from '../tags/tags.handler';
import {
  createCommands,
  createOnlyDecider,
  emailTaken,
  upsertDecider,
  type ContactInput,
} from './contact.command';

export type CreateMode = 'create' | 'upsert';

export interface CreateContactRequest {
  input: ContactInput;
  /** Tag slugs or names, as the request gave them. */
  tags: readonly string[];
  mode: CreateMode;
  /** Ids to use instead of random ones: bulk import derives them from the job and row, so a re-run repeats itself. */
  contactId?: string;
  /**
   * A fresh sequence of ids (for activities) each time it is called: each
   * write attempt takes one, so whichever path writes (one append, or the
   * long way) the same ids come out, and a row done again repeats itself.
   */
  newIds?: () => () => string;
}

export interface CreateContactOutcome {
  contactId: string;
  /** True when this request created the contact; false when it updated (or found) it. */
  created: boolean;
  result: ContactResult;
}

/** A request checked by the dry run, ready to be written. */
export interface PreparedCreate {
  contactId: string;
  input: ContactInput;
  tagRefs: TagReference[];
  mode: CreateMode;
  newIds: () => () => string;
}

/** The multi-stream append that creates a contact whose email was never reserved. */
export interface FreshCreate {
  contactId: string;
  /** The email's first reservation, then the contact's stream. */
  appends: [StreamAppend, StreamAppend];
  /** The outcome once the append succeeded, given the contact stream's result. */
  outcome(appended: AppendResult): CreateContactOutcome;
}

export class CreateContactHandler {
  /** False once the event store said it cannot append to several streams at once. */
  private oneAppend = true;

  constructor(
    private readonly contacts: ContactStreams,
    private readonly emails: EmailReservations,
    private readonly tagResolver: TagResolver,
  ) {}

  async execute(
    request: CreateContactRequest,
    context: CommandContext,
  ): Promise<CreateContactOutcome> {
    const prepared = this.prepare(request, context);
    const fresh = await this.createInOneAppend(prepared, context);
    return 'known' in fresh ? this.createSlowly(prepared, context, fresh.known) : fresh;
  }

  /**
   * 1. The dry run, with stand-in tag ids: every field's rule, before any
   * write. Throws the 422 the request deserves.
   */
  prepare(request: CreateContactRequest, context: CommandContext): PreparedCreate {
    const newIds = request.newIds ?? (() => randomUUID);
    // Under an Idempotency-Key a retry names the same contact (see createSlowly).
    const contactId = request.contactId ?? derivedId(context, 'contact');
    const input: ContactInput = { ...request.input, email: checkEmail(request.input.email) };
    const tagRefs = tagReferences(request.tags);
    const standIns = tagRefs.map((ref) => ({ tagId: randomUUID(), slug: ref.slug }));
    decideAll(
      contactDecider,
      createCommands(contactId, input, standIns, randomUUID),
      initialContactState(),
      context,
    );
    return { contactId, input, tagRefs, mode: request.mode, newIds };
  }

  /**
   * The append that creates the contact together with its email's first
   * reservation, with tags already resolved; null when the decider does not
   * create on an empty stream. Bulk import appends many of these at once.
   */
  freshCreate(
    prepared: PreparedCreate,
    tags: readonly TagRef[],
    context: CommandContext,
  ): FreshCreate | null {
    const { contactId, input, mode } = prepared;
    const newId = prepared.newIds();
    const decider =
      mode === 'create'
        ? createOnlyDecider(contactId, createCommands(contactId, input, tags, newId))
        : upsertDecider(contactId, input, tags, newId);
    const contact = this.contacts.decideOnNewStream(contactId, decider, null, context);
    if (contact === null) return null;
    return {
      contactId,
      appends: [this.emails.firstReservation(input.email, contactId, context), contact.append],
      outcome: (appended) => ({ contactId, created: true, result: contact.result(appended) }),
    };
  }

  /** False when the event store cannot append to several streams at once. */
  get appendsToStreams(): boolean {
    return this.oneAppend;
  }

  /** Called when the event store refused a multi-stream append as unsupported. */
  noMultiStreamAppends(): void {
    this.oneAppend = false;
  }

  /**
   * The common case in one append: the email's first reservation and the new
   * contact's events. When it does not apply (a tag to create first, an
   * email reserved before, a contact stream that exists, an event store
   * without appendToStreams), nothing was written, and the caller goes the
   * long way, which handles every case (given the reservation when it was
   * read here).
   */
  private async createInOneAppend(
    prepared: PreparedCreate,
    context: CommandContext,
  ): Promise<CreateContactOutcome | { known: Reservation | undefined }> {
    if (!this.oneAppend) return { known: undefined };
    // An upsert often meets an existing contact (a registration by email, an
    // import of known addresses): it reads the reservation first, and the
    // long way then starts from what it read. A create expects a new address.
    const known =
      prepared.mode === 'upsert' ? await this.emails.current(prepared.input.email) : undefined;
    if (known && known.expected !== 'no_stream') return { known };
    // Only tags that exist: creating one before knowing the email is free
    // would leave it behind when the create is refused.
    const tags = await this.tagResolver.existing(prepared.tagRefs);
    if (tags === null) return { known };
    const fresh = this.freshCreate(prepared, tags, context);
    if (fresh === null) return { known };
    try {
      const [, appended] = await this.contacts.store.appendToStreams(fresh.appends);
      return fresh.outcome(appended);
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) return { known: undefined };
      if (error instanceof AppendToStreamsNotSupportedError) {
        this.noMultiStreamAppends();
        return { known };
      }
      throw error;
    }
  }

  /** 2. to 4.: reserve, resolve the tags, append the contact (or update the holder). */
  private async createSlowly(
    prepared: PreparedCreate,
    context: CommandContext,
    known: Reservation | undefined,
  ): Promise<CreateContactOutcome> {
    const { contactId, input, tagRefs } = prepared;
    const newId = prepared.newIds();
    // 2. The email.
    let target = contactId;
    const reservation = await this.emails.reserveForCreate(input.email, contactId, context, known);
    if (reservation.outcome === 'taken') {
      const { holderId, status } = reservation;
      if (status === 'elsewhere') throw emailTaken(holderId, true);
      // The holder is this very request's contact when a retry (same
      // Idempotency-Key) comes after a first attempt that went through: the
      // contact's stream then answers with the first result.
      if (status === 'holds' && prepared.mode === 'create' && holderId !== contactId)
        throw emailTaken(holderId);
      // holds + upsert: update the holder; absent: complete the holder's create.
      target = holderId;
    }

    // 3. The tags, 4. the contact. On a failure the reservation stays: the
    // next create of this email completes this contact id, and an email
    // change takes the address over after the lease (releasing it here could
    // race with a request that is completing this very contact).
    const tags = await this.tagResolver.resolve(tagRefs, context);
    const decider =
      prepared.mode === 'create'
        ? createOnlyDecider(target, createCommands(target, input, tags, newId))
        : upsertDecider(target, input, tags, newId);
    // An email never reserved before, reserved for this very id: the
    // contact's stream is new, no need to read it (decideNew checks anyway).
    const result =
      reservation.outcome === 'reserved' && reservation.firstEver && target === contactId
        ? await this.contacts.decideNew(target, decider, null, context)
        : await this.contacts.decide(target, decider, null, context);
    const created = result.events.some((event) => event.type === 'ContactCreated');
    return { contactId: target, created, result };
  }
}
