// The set-based path of a bulk import: a batch of rows written in a few
// statements instead of several round trips per row (import-row.ts, the
// single path, is about 4.6 round trips per row).
//
// Every row is checked exactly as the single path checks it (the DTO, then
// the create handler's dry run). Then:
// - the first valid row of each email in the batch is a fresh create: its
//   email's first reservation and its contact's events, appended together
//   with every other fresh create of the batch in one multi-stream append
//   per chunk (appendToStreams: all or nothing, each stream expecting
//   'no_stream'); the contacts' first data keys are made in one INSERT by the
//   personal-data store (data-keys.ts batches them);
// - the tags the batch names are resolved (created when missing) once per
//   batch, not once per row;
// - every other row takes the single path, after the fresh creates, with the
//   rows of one email in file order: a later row of an email updates the
//   contact an earlier row created; a row whose email was reserved before
//   (an existing contact, a crashed create) meets it exactly as a single
//   create would.
// A chunk refused because one of its emails was reserved meanwhile (or the
// batch is done again after a crash: its reservations are there) is tried
// again without the rows whose email is reserved, which go the single path;
// refused twice, all of its rows do. So the outcome of each row is what the
// single path gives, and a batch done again repeats itself: a row whose
// contact exists counts as created when its derived id names that contact.
// An event store without appendToStreams (EventStoreDB) gets the single
// path for every row.
import type { CommandContext } from '@engagement/decider';
import { DomainError } from '@engagement/decider';
import {
  APPEND_LIMITS,
  AppendToStreamsNotSupportedError,
  WrongExpectedRevisionError,
  type EventStore,
} from '@engagement/event-store';
import type {
  CreateContactHandler,
  CreateContactRequest,
  FreshCreate,
  PreparedCreate,
} from '../contacts/create-contact.handler';
import type { TagReference, TagResolver } from '../tags/tag-resolver';
import type { TagRef } from '../tags/tags.handler';
import type { ImportRow } from './import-parser';
import { applyImportRow, checkImportRow, rowFailure, type RowOutcome } from './import-row';

export interface ImportBatchOptions {
  /** Rows through the single path at once (default 16). */
  concurrency?: number;
  /** Multi-stream appends in flight at once for one batch (default 2: PostgreSQL works on one while we encode the next). */
  appendsInFlight?: number;
}

/** A fresh create and the row it is for. */
interface Fresh {
  index: number;
  create: FreshCreate;
}

/** JSON bytes we allow ourselves per multi-stream append (the store's limit, less room for encryption). */
const BYTES_PER_APPEND = Math.floor(APPEND_LIMITS.maxBatchBytes / 2);

export class ImportBatch {
  private readonly concurrency: number;
  private readonly appendsInFlight: number;

  constructor(
    private readonly handler: CreateContactHandler,
    private readonly tagResolver: TagResolver,
    /** The personal-data event store the handler appends through. */
    private readonly store: EventStore,
    options: ImportBatchOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 16;
    this.appendsInFlight = options.appendsInFlight ?? 2;
  }

  /**
   * Each row's outcome, in row order. Throws when something that is not a
   * row's fault failed (the database): the batch is then done again, which
   * repeats what was done.
   */
  async run(
    jobId: string,
    rows: readonly ImportRow[],
    context: CommandContext,
  ): Promise<RowOutcome[]> {
    const outcomes = new Array<RowOutcome | undefined>(rows.length);
    const requests = new Array<CreateContactRequest | undefined>(rows.length);
    const prepared = new Array<PreparedCreate | undefined>(rows.length);

    // 1. Each row checked as the single path checks it.
    await Promise.all(
      rows.map(async (row, index) => {
        const checked = await checkImportRow(jobId, row);
        if (checked.kind === 'failed') {
          outcomes[index] = checked;
          return;
        }
        requests[index] = checked.request;
        try {
          prepared[index] = this.handler.prepare(checked.request, context);
        } catch (error) {
          outcomes[index] = rowFailure(error);
        }
      }),
    );

    // 2. The first row of each email creates; the others go the single path.
    const single: number[] = [];
    const firsts: number[] = [];
    const seen = new Set<string>();
    prepared.forEach((row, index) => {
      if (row === undefined) return;
      if (seen.has(row.input.email) || !this.handler.appendsToStreams) single.push(index);
      else firsts.push(index);
      seen.add(row.input.email);
    });

    // 3. The tags, once for the batch; 4. the fresh creates.
    const tags = await this.resolveTags(
      firsts.flatMap((index) => prepared[index]!.tagRefs),
      context,
    );
    const fresh: Fresh[] = [];
    for (const index of firsts) {
      const row = prepared[index]!;
      const rowTags = row.tagRefs.map((ref) => tags.get(ref.slug));
      const create = rowTags.every((tag) => tag !== undefined)
        ? this.handler.freshCreate(row, rowTags as TagRef[], context)
        : null;
      if (create) fresh.push({ index, create });
      else single.push(index);
    }
    const notAppended = new Set(await this.appendFresh(fresh));
    for (const { index } of fresh) {
      if (notAppended.has(index)) single.push(index);
      else outcomes[index] = { kind: 'created' };
    }

    // 5. The rest, one row at a time per email, in file order.
    await this.runSingly(
      single.sort((a, b) => a - b),
      (index) => prepared[index]!.input.email,
      requests,
      outcomes,
      context,
    );
    return outcomes.map((outcome, index) => {
      if (outcome === undefined) throw new Error(`row ${rows[index].rowNumber} was not done`);
      return outcome;
    });
  }

  /** Each distinct tag of the batch by slug; a tag that cannot be resolved is left out (its rows go the single path, which reports why). */
  private async resolveTags(
    references: readonly TagReference[],
    context: CommandContext,
  ): Promise<Map<string, TagRef>> {
    const bySlug = new Map<string, TagReference>();
    for (const reference of references)
      if (!bySlug.has(reference.slug)) bySlug.set(reference.slug, reference);
    const resolved = new Map<string, TagRef>();
    await inLanes([...bySlug.values()], this.concurrency, async (reference) => {
      try {
        const [tag] = await this.tagResolver.resolve([reference], context);
        resolved.set(reference.slug, tag);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
      }
    });
    return resolved;
  }

  /**
   * Appends the fresh creates in chunks the store accepts, a few chunks at
   * once. Returns the rows that must take the single path instead.
   */
  private async appendFresh(fresh: readonly Fresh[]): Promise<number[]> {
    const single: number[] = [];
    await inLanes(chunks(fresh), this.appendsInFlight, async (chunk) => {
      single.push(...(await this.appendChunk(chunk, true)));
    });
    return single;
  }

  private async appendChunk(chunk: readonly Fresh[], mayRetry: boolean): Promise<number[]> {
    if (chunk.length === 0) return [];
    if (!this.handler.appendsToStreams) return chunk.map((row) => row.index);
    try {
      await this.store.appendToStreams(chunk.flatMap((row) => row.create.appends));
      return [];
    } catch (error) {
      if (error instanceof AppendToStreamsNotSupportedError) {
        this.handler.noMultiStreamAppends();
        return chunk.map((row) => row.index);
      }
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
    }
    if (!mayRetry) return chunk.map((row) => row.index);
    // Some email was reserved before: those rows go the single path, the others try again.
    const reserved = new Array<boolean>(chunk.length).fill(false);
    await inLanes(
      chunk.map((row, i) => ({ row, i })),
      this.concurrency,
      async ({ row, i }) => {
        const reservation = row.create.appends[0].streamId;
        reserved[i] = (await this.store.readStream(reservation, { maxCount: 1 })).length > 0;
      },
    );
    const retry = chunk.filter((_, i) => !reserved[i]);
    const taken = chunk.filter((_, i) => reserved[i]).map((row) => row.index);
    return [...taken, ...(await this.appendChunk(retry, false))];
  }

  /**
   * The single path for these rows: `concurrency` emails at once, the rows of
   * one email one after the other in the given order. A failure that is not
   * the row's ends it once the rows in flight settled (no retry runs beside
   * them), and is thrown.
   */
  private async runSingly(
    indexes: readonly number[],
    emailOf: (index: number) => string,
    requests: readonly (CreateContactRequest | undefined)[],
    outcomes: (RowOutcome | undefined)[],
    context: CommandContext,
  ): Promise<void> {
    const byEmail = new Map<string, number[]>();
    for (const index of indexes) {
      const email = emailOf(index);
      byEmail.set(email, [...(byEmail.get(email) ?? []), index]);
    }
    await inLanes([...byEmail.values()], this.concurrency, async (rowsOfEmail) => {
      for (const index of rowsOfEmail) {
        outcomes[index] = await applyImportRow(this.handler, requests[index]!, context);
      }
    });
  }
}

/** Fresh creates in groups that fit in one multi-stream append. */
function chunks(fresh: readonly Fresh[]): Fresh[][] {
  const result: Fresh[][] = [];
  let current: Fresh[] = [];
  let events = 0;
  let bytes = 0;
  for (const row of fresh) {
    const rowEvents = row.create.appends.reduce((n, append) => n + append.events.length, 0);
    const rowBytes = row.create.appends.reduce(
      (n, append) =>
        n + append.events.reduce((m, event) => m + JSON.stringify(event.data).length + 400, 0),
      0,
    );
    if (
      current.length > 0 &&
      (events + rowEvents > APPEND_LIMITS.maxEventsPerAppend || bytes + rowBytes > BYTES_PER_APPEND)
    ) {
      result.push(current);
      current = [];
      events = 0;
      bytes = 0;
    }
    current.push(row);
    events += rowEvents;
    bytes += rowBytes;
  }
  if (current.length > 0) result.push(current);
  return result;
}

/**
 * work(item) for every item, `lanes` at a time. The first failure stops
 * new items from starting; it is thrown once the items in flight settled.
 */
async function inLanes<T>(
  items: readonly T[],
  lanes: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (next < items.length && failure === undefined) {
      const item = items[next++];
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
  if (failure) throw failure.error;
}
