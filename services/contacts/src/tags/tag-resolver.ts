// Turns the tags a contact request names ("webinar-attendee", "Hot Lead")
// into tag ids, creating the tags that do not exist yet. A name is looked up
// by its slug first ("Hot Lead" → hot-lead), then by name; only then is a
// tag created, named as given. Concurrent requests that name the same new
// tag race for its slug reservation: one creates the tag, the others wait a
// moment for it to exist and use it.
import { ConflictError, type CommandContext } from '@engagement/decider';
import { cleanText, invalid, isValidSlug, MAX_TAG_NAME_LENGTH, slugify } from '../domain';
import { RESERVATION_LEASE_MS } from '../shared/reservations';
import { sleep } from '../shared/run-command';
import type { TagRef, TagsHandler } from './tags.handler';

/** A tag as a request names it: the slug to look for, the name to create it with. */
export interface TagReference {
  slug: string;
  name: string;
}

const RETRYABLE = new Set([
  'tag-slug-taken',
  'tag-name-taken',
  'reservation-contention',
  'reservation-expired',
]);

/** One tag entry, checked without I/O; a 422 naming `field` when it cannot be a tag. */
export function tagReference(input: string, field: string): TagReference {
  const name = cleanText(input, MAX_TAG_NAME_LENGTH);
  if (!name.ok || name.value === null) {
    throw invalid(field, 'invalid-tag', `a tag is 1 to ${MAX_TAG_NAME_LENGTH} characters`);
  }
  const slug = isValidSlug(name.value) ? name.value : slugify(name.value);
  if (!isValidSlug(slug)) {
    throw invalid(field, 'invalid-tag', 'the tag has no letters or digits to make a slug from');
  }
  return { slug, name: name.value };
}

/** A request's tag entries (`tags[2]` named when one is wrong); repeats collapse into one. */
export function tagReferences(inputs: readonly string[], field = 'tags'): TagReference[] {
  const bySlug = new Map<string, TagReference>();
  inputs.forEach((input, index) => {
    const reference = tagReference(input, `${field}[${index}]`);
    if (!bySlug.has(reference.slug)) bySlug.set(reference.slug, reference);
  });
  return [...bySlug.values()];
}

export class TagResolver {
  constructor(private readonly tags: TagsHandler) {}

  async resolve(references: readonly TagReference[], context: CommandContext): Promise<TagRef[]> {
    const resolved: TagRef[] = [];
    for (const reference of references) resolved.push(await this.resolveOne(reference, context));
    return resolved;
  }

  /**
   * The tags when every one of them exists already, without creating any;
   * null as soon as one does not (the caller then resolves them with
   * resolve(), once it knows its command will go ahead).
   */
  async existing(references: readonly TagReference[]): Promise<TagRef[] | null> {
    const found: TagRef[] = [];
    for (const reference of references) {
      const existing =
        (await this.tags.tagHolding('slug', reference.slug)) ??
        (await this.tags.tagHolding('name', reference.name));
      if (!existing) return null;
      found.push(existing);
    }
    return found;
  }

  private async resolveOne(reference: TagReference, context: CommandContext): Promise<TagRef> {
    // Long enough to outlast a crashed creator's lease, after which its reservation is taken over.
    const deadline = Date.now() + RESERVATION_LEASE_MS + 2_000;
    for (;;) {
      const existing =
        (await this.tags.tagHolding('slug', reference.slug)) ??
        (await this.tags.tagHolding('name', reference.name));
      if (existing) return existing;
      try {
        const { tagId } = await this.tags.create(
          { name: reference.name, slug: reference.slug },
          context,
        );
        return { tagId, slug: reference.slug };
      } catch (error) {
        const retry =
          error instanceof ConflictError && RETRYABLE.has(error.code) && Date.now() < deadline;
        if (!retry) throw error;
        await sleep(10 + Math.random() * 40);
      }
    }
  }
}
