// How fast the contacts read model rebuilds: ~20,000 events decided by the
// real deciders (creates with properties and tags, activities with points),
// rebuilt from position zero. The goal is 50,000 events/s; the test prints
// what it measured and only fails far below it, so a slow CI machine does
// not fail the build while a return to row-by-row SQL would.
import { randomUUID } from 'node:crypto';
import { schemaVersionOf } from '@engagement/contracts';
import { toNewEvent } from '@engagement/decider';
import { rebuildProjection, type ProjectionDefinition } from '@engagement/projections';
import { contactDecider, decideAll, type ContactCommand } from '../domain';
import { createTestBed, type TestBed } from './contacts-test-bed.testing';

const CONTACTS = 1_060;
const TAGS = ['hot-lead', 'webinar-attendee', 'customer', 'newsletter', 'vip'];

describe('contacts read model rebuild speed', () => {
  let bed: TestBed;
  beforeAll(async () => {
    bed = await createTestBed();
  });
  afterAll(async () => {
    await bed.close();
  });

  async function writeHistory(): Promise<number> {
    const tagIds = TAGS.map(() => randomUUID());
    for (const [i, slug] of TAGS.entries())
      await bed.tag({ type: 'CreateTag', tagId: tagIds[i], name: slug, slug });
    let written = TAGS.length;
    for (let i = 0; i < CONTACTS; i++) {
      const contactId = randomUUID();
      const commands: ContactCommand[] = [
        {
          type: 'CreateContact',
          contactId,
          email: `speed${i}@example.com`,
          firstName: `F${i}`,
          source: 'import',
        },
        ...['company', 'job_title', 'industry'].map((name) => ({
          type: 'SetContactProperty' as const,
          contactId,
          name,
          value: `${name} ${i}`,
          propertyType: 'string' as const,
          source: 'api' as const,
          activityId: randomUUID(),
        })),
        ...[0, 1].map((k) => ({
          type: 'AddContactTag' as const,
          contactId,
          tagId: tagIds[(i + k) % TAGS.length],
          slug: TAGS[(i + k) % TAGS.length],
          appliedBy: 'automation' as const,
          activityId: randomUUID(),
        })),
        ...[0, 1, 2, 3].map((k) => ({
          type: 'RecordActivity' as const,
          contactId,
          activityId: randomUUID(),
          activityType: 'email_opened' as const,
          activityData: { message_id: `m${k}`, subject: `Hello ${i}` },
          source: 'automation' as const,
          points: 2,
        })),
      ];
      const context = bed.context();
      const events = decideAll(contactDecider, commands, contactDecider.initialState(), context);
      await bed.store.appendToStream(
        `contact-${contactId}`,
        events.map((e) => toNewEvent(e, context, { schemaVersionOf })),
        { expectedRevision: 'no_stream' },
      );
      written += events.length;
    }
    return written;
  }

  it('rebuilds ~20,000 events, reporting events/s', async () => {
    const written = await writeHistory();
    expect(written).toBeGreaterThanOrEqual(20_000);

    // Reading the store alone, in the rebuild's pages: the ceiling for any projection.
    const readStarted = performance.now();
    let after = -1n;
    for (;;) {
      const page = await bed.store.readAll({
        after,
        maxCount: 5_000,
        filter: bed.projection.filter,
      });
      after = page.checkpoint;
      if (page.isEnd && page.events.length < 5_000) break;
    }
    const readRate = Math.round(written / ((performance.now() - readStarted) / 1000));

    // Time spent inside apply() alone, apart from reading the event store.
    let applyMs = 0;
    const timed: ProjectionDefinition = {
      ...bed.projection,
      async apply(events, client) {
        const started = performance.now();
        await bed.projection.apply(events, client);
        applyMs += performance.now() - started;
      },
    };
    const ctx = {
      store: bed.store,
      pool: bed.pool,
      progress: () => ({ update: () => undefined, finish: () => undefined }),
    };
    const summary = await rebuildProjection(ctx, timed, {
      schema: bed.newSchema('contacts_speed'),
    });
    expect(summary.eventsRead).toBe(written);
    const applyRate = Math.round(written / (applyMs / 1000));
    console.log(
      `contacts-read-model rebuild: ${summary.eventsRead} events in ${summary.seconds}s = ` +
        `${summary.eventsPerSecond} events/s end to end; apply() alone ${applyRate} events/s; ` +
        `${summary.rowsWritten} rows; reading the store alone ${readRate} events/s`,
    );
  }, 180_000);
});
