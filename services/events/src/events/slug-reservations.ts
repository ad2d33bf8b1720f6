// One event per landing page slug, at write time: the slug is reserved on a
// stream named after it (`reservation-<uuid of the slug>`) before the event
// takes it, with the revision read, so two events racing for one slug meet
// there and only one gets it. The seed has no unique index on the column,
// and the read model must stay the seed's; the rule lives here instead.
import { randomUUID } from 'node:crypto';
import { ConflictError, type CommandContext } from '@engagement/decider';
import { WrongExpectedRevisionError, type EventStore } from '@engagement/event-store';
import { reservationStream } from '../shared/streams';

export class SlugReservations {
  constructor(private readonly store: EventStore) {}

  /** Takes the slug for the event; a 409 when another event holds it. */
  async reserve(slug: string, eventId: string, context: CommandContext): Promise<void> {
    await this.change(slug, eventId, 'SlugReserved', context);
  }

  /** Gives the slug back, if this event holds it. */
  async release(slug: string, eventId: string, context: CommandContext): Promise<void> {
    await this.change(slug, eventId, 'SlugReleased', context);
  }

  private async change(
    slug: string,
    eventId: string,
    type: 'SlugReserved' | 'SlugReleased',
    context: CommandContext,
  ): Promise<void> {
    const streamId = reservationStream('slug', slug);
    for (let attempt = 1; ; attempt++) {
      const stored = await this.store.readStream(streamId);
      const last = stored.at(-1);
      const holder = last?.type === 'SlugReserved' ? String(last.data.eventId) : null;
      if (type === 'SlugReserved' && holder === eventId) return;
      if (type === 'SlugReleased' && holder !== eventId) return;
      if (type === 'SlugReserved' && holder !== null) {
        throw new ConflictError('Another event has this landing page slug', 'slug-taken', {
          field: 'landingPageSlug',
          eventId: holder,
        });
      }
      try {
        await this.store.appendToStream(
          streamId,
          [
            {
              id: randomUUID(),
              type,
              schemaVersion: 1,
              data: { eventId, slug },
              metadata: {
                correlationId: context.correlationId,
                causationId: context.causationId,
                traceparent: context.traceparent,
                actor: context.actor,
                occurredAt: context.now.toISOString(),
              },
            },
          ],
          { expectedRevision: last ? last.revision : 'no_stream' },
        );
        return;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= 5) throw error;
      }
    }
  }
}
