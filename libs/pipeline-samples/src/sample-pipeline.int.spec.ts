// The sample pair end to end, each part in its own process: the writer
// appends to its event store, the relay produces to Kafka, the consumer
// keeps its read model from the topic. Then the operators' replay tool
// rebuilds the consumer's projection from the event store and the audit
// finds no difference. Every process stops cleanly on SIGTERM.
import {
  auditReadModel,
  checkReadModel,
  cleanUp,
  newPipelineRun,
  readTopicEventIds,
  startConsumer,
  startRelay,
  startWriter,
  storedEventIds,
  waitForApplied,
  writerDone,
} from './testing/pipeline-test-kit';

jest.setTimeout(180_000);

describe('sample pipeline: writer → relay → Kafka → consumer, then replay', () => {
  const run = newPipelineRun('e2e');
  afterAll(() => cleanUp(run));

  it('delivers every event once into the read model, and the audit of a rebuild finds no difference', async () => {
    const consumer = startConsumer(run);
    const relay = startRelay(run);
    await Promise.all([consumer.ready, relay.ready]);
    const writer = startWriter(run, { count: 2_000, rate: 0, contacts: 50 });
    expect(await writerDone(writer)).toEqual({ written: 2_000 });

    await waitForApplied(run, 2_000, 120_000);
    const check = await checkReadModel(run);
    expect(check).toEqual({
      unprocessed: 0,
      unknownProcessed: 0,
      processed: 2_000,
      wrongContacts: [],
      contacts: 50,
    });
    const ids = await storedEventIds(run);
    const { copies } = await readTopicEventIds(run, ids);
    expect(ids.filter((id) => !copies.has(id))).toEqual([]);

    // Clean stops: each process reports it stopped and exits 0.
    for (const process of [relay, consumer]) {
      const stopped = new Promise((resolve) =>
        process.onReport((line) => 'stopped' in line && resolve(line)),
      );
      expect(await process.stop()).toEqual({ code: 0, signal: null });
      await expect(stopped).resolves.toMatchObject({ signal: 'SIGTERM' });
    }

    const audit = await auditReadModel(run);
    expect(audit.output).toMatch(/rebuild sample-contacts: 2000 events read, 50 rows written/);
    expect(audit.output).toMatch('audit sample-contacts: identical');
    expect(audit.code).toBe(0);
  });
});
