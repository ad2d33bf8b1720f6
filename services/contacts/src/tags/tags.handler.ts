// The tag commands: create, update, delete, CRM mappings, each decided by
// the tag decider on the tag's own stream (`tag-<uuid>`). Names and slugs
// are unique across tags; that spans streams, so it is enforced at write
// time with reservations (shared/reservations.ts), like emails:
//   slug-reservation-<slug>                      (slugs are not personal data)
//   tagname-reservation-<sha256 of the lower-case name>
// Names are unique regardless of case ("VIP" and "vip" would confuse
// everyone), which is stricter than the seed's UNIQUE(name), never looser.
// A tag's stream cannot be fenced the way a contact's can, so tag writes
// that take a key check that their reservation is still inside its lease.
import { createHash } from 'node:crypto';
import {
  schemaVersionOf,
  upcastTagEvent,
  type TagCategory,
  type TagCrmMappingType,
  type TagEvent,
} from '@engagement/contracts';
import {
  ConflictError,
  derivedId,
  type CommandContext,
  type CommandResult,
} from '@engagement/decider';
import type { EventStore } from '@engagement/event-store';
import {
  decideTag,
  initialTagState,
  tagDecider,
  type CreateTag,
  type TagCommand,
  type TagRecord,
  type TagState,
  type UpdateTag,
} from '../domain';
import {
  assertWithinLease,
  readReservation,
  release,
  reserve,
  type HolderStatus,
  type ReservationPolicy,
} from '../shared/reservations';
import { runCommand } from '../shared/run-command';

export type TagResult = CommandResult<TagEvent, TagState>;

export interface CreateTagInput {
  name: string;
  slug?: string;
  color?: string | null;
  description?: string | null;
  category?: TagCategory | null;
  isSystem?: boolean;
}

export type UpdateTagInput = Omit<UpdateTag, 'type' | 'tagId'>;

/** A tag as contacts refer to it. */
export interface TagRef {
  tagId: string;
  slug: string;
}

type TagKey = 'slug' | 'name';

export function tagStreamId(tagId: string): string {
  return `tag-${tagId}`;
}

function reservationStreamId(key: TagKey, value: string): string {
  return key === 'slug'
    ? `slug-reservation-${value}`
    : `tagname-reservation-${createHash('sha256').update(value.toLowerCase(), 'utf8').digest('hex')}`;
}

function holds(tag: TagRecord, key: TagKey, value: string): boolean {
  return key === 'slug' ? tag.slug === value : tag.name.toLowerCase() === value.toLowerCase();
}

const CACHE_TTL_MS = 10_000;

export class TagsHandler {
  /** Live tags by slug, for resolving the tags of contact requests without a read per request. */
  private readonly bySlug = new Map<string, TagRef & { expiresAt: number }>();

  constructor(private readonly store: EventStore) {}

  async load(tagId: string): Promise<TagState> {
    const events = await this.store.readStream(tagStreamId(tagId));
    return events.reduce(
      (state, event) => tagDecider.evolve(state, upcastTagEvent(event)),
      initialTagState(),
    );
  }

  async create(
    input: CreateTagInput,
    context: CommandContext,
  ): Promise<{ tagId: string; result: TagResult }> {
    // Under an Idempotency-Key a retry names the same tag (and finds it
    // created); one request may create several tags, told apart by name.
    const tagId = derivedId(context, `tag:${input.name}`);
    const command: CreateTag = { type: 'CreateTag', tagId, ...input };
    // A dry run first: invalid input is refused before anything is reserved.
    const [created] = decideTag(command, initialTagState());
    if (created?.type !== 'TagCreated') throw new Error('CreateTag decided no TagCreated');
    const { name, slug } = created.data;

    const bySlug = await this.reserve('slug', slug, tagId, context);
    const byName = await this.reserve('name', name, tagId, context).catch(async (error) => {
      await this.releaseQuietly('slug', slug, tagId, context);
      throw error;
    });
    try {
      assertWithinLease(Math.min(bySlug, byName));
      const result = await this.run(tagId, command, context);
      this.remember({ tagId, slug });
      return { tagId, result };
    } catch (error) {
      await this.releaseQuietly('slug', slug, tagId, context);
      await this.releaseQuietly('name', name, tagId, context);
      throw error;
    }
  }

  async update(tagId: string, input: UpdateTagInput, context: CommandContext): Promise<TagResult> {
    const command: UpdateTag = { type: 'UpdateTag', tagId, ...input };
    const before = await this.load(tagId);
    // The dry run refuses unknown tags and invalid values, and says what changes.
    const [updated] = decideTag(command, before);
    if (updated?.type !== 'TagUpdated' || before.kind === 'absent') {
      return this.run(tagId, command, context);
    }
    const old = before.tag;
    const newSlug = updated.data.slug;
    const newName =
      updated.data.name !== undefined && !holds(old, 'name', updated.data.name)
        ? updated.data.name
        : undefined;
    const reservedAt: number[] = [];
    if (newSlug !== undefined) reservedAt.push(await this.reserve('slug', newSlug, tagId, context));
    if (newName !== undefined) {
      reservedAt.push(
        await this.reserve('name', newName, tagId, context).catch(async (error) => {
          if (newSlug !== undefined) await this.releaseQuietly('slug', newSlug, tagId, context);
          throw error;
        }),
      );
    }
    if (reservedAt.length > 0) assertWithinLease(Math.min(...reservedAt));
    const result = await this.run(tagId, command, context);
    // Only now that the tag holds its new values are the old ones free.
    if (newSlug !== undefined) {
      this.forget(old.slug);
      await release(this.store, reservationStreamId('slug', old.slug), tagId, context);
    }
    if (newName !== undefined) {
      await release(this.store, reservationStreamId('name', old.name), tagId, context);
    }
    return result;
  }

  async delete(tagId: string, context: CommandContext): Promise<TagResult> {
    const before = await this.load(tagId);
    const result = await this.run(tagId, { type: 'DeleteTag', tagId }, context);
    if (result.events.length > 0 && before.kind === 'live') {
      this.forget(before.tag.slug);
      await release(this.store, reservationStreamId('slug', before.tag.slug), tagId, context);
      await release(this.store, reservationStreamId('name', before.tag.name), tagId, context);
    }
    return result;
  }

  setCrmMapping(
    tagId: string,
    provider: string,
    mappingType: TagCrmMappingType,
    externalId: string,
    context: CommandContext,
  ): Promise<TagResult> {
    const command: TagCommand = {
      type: 'SetTagCrmMapping',
      tagId,
      provider,
      mappingType,
      externalId,
    };
    return this.run(tagId, command, context);
  }

  removeCrmMapping(tagId: string, provider: string, context: CommandContext): Promise<TagResult> {
    return this.run(tagId, { type: 'RemoveTagCrmMapping', tagId, provider }, context);
  }

  /** The live tag that holds this slug (or name), if any; answered from a short cache for slugs. */
  async tagHolding(key: TagKey, value: string): Promise<TagRef | null> {
    if (key === 'slug') {
      const cached = this.bySlug.get(value);
      if (cached && cached.expiresAt > Date.now())
        return { tagId: cached.tagId, slug: cached.slug };
    }
    const { holderId } = await readReservation(this.store, reservationStreamId(key, value));
    if (holderId === null) return null;
    const state = await this.load(holderId);
    if (state.kind !== 'live' || !holds(state.tag, key, value)) return null;
    const ref = { tagId: holderId, slug: state.tag.slug };
    this.remember(ref);
    return ref;
  }

  private run(tagId: string, command: TagCommand, context: CommandContext): Promise<TagResult> {
    return runCommand(this.store, tagStreamId(tagId), tagDecider, command, context, {
      upcast: upcastTagEvent,
      schemaVersionOf,
    });
  }

  /** Reserves the slug or name for the tag; returns when, or throws 409 with the holder. */
  private async reserve(
    key: TagKey,
    value: string,
    tagId: string,
    context: CommandContext,
  ): Promise<number> {
    const policy: ReservationPolicy = {
      statusOf: (holderId) => this.holderStatus(holderId, key, value),
      // Nothing to fence on a tag stream: the lease check before the append protects instead.
      fenceAbsentHolder: async () => true,
    };
    const outcome = await reserve(
      this.store,
      reservationStreamId(key, value),
      tagId,
      policy,
      context,
    );
    if (outcome.outcome === 'reserved') return outcome.reservedAt;
    throw new ConflictError(`A tag with this ${key} exists`, `tag-${key}-taken`, {
      tagId: outcome.holderId,
      [key]: value,
      ...(outcome.status === 'holds' ? {} : { pending: true }),
    });
  }

  private async holderStatus(holderId: string, key: TagKey, value: string): Promise<HolderStatus> {
    const state = await this.load(holderId);
    if (state.kind === 'absent') return 'absent';
    if (state.kind === 'deleted') return 'gone';
    return holds(state.tag, key, value) ? 'holds' : 'elsewhere';
  }

  private async releaseQuietly(
    key: TagKey,
    value: string,
    tagId: string,
    context: CommandContext,
  ): Promise<void> {
    // Best effort, after a failure: a reservation left behind is taken over
    // after its lease anyway. Never when the tag does hold the value (the
    // failure came after its append).
    try {
      const state = await this.load(tagId);
      if (state.kind === 'live' && holds(state.tag, key, value)) return;
      await release(this.store, reservationStreamId(key, value), tagId, context);
    } catch {
      // Left to the lease.
    }
  }

  private remember(ref: TagRef): void {
    if (this.bySlug.size > 10_000) this.bySlug.clear();
    this.bySlug.set(ref.slug, { ...ref, expiresAt: Date.now() + CACHE_TTL_MS });
  }

  private forget(slug: string): void {
    this.bySlug.delete(slug);
  }
}
