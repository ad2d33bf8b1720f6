// Fault test: the relay process is killed with SIGKILL at random moments
// while 10,000 events flow, and started again each time. The relay's
// checkpoint moves only after Kafka acknowledged, so a restart re-sends
// what was in flight (duplicates on the topic are allowed) and loses
// nothing; the consumer records event ids with its rows, so the read model
// holds each event's effect exactly once.
import {
  checkReadModel,
  cleanUp,
  newPipelineRun,
  randomBetween,
  readTopicEventIds,
  sleep,
  startConsumer,
  startRelay,
  startWriter,
  storedEventIds,
  waitForApplied,
  writerDone,
} from './testing/pipeline-test-kit';

jest.setTimeout(240_000);

const EVENTS = 10_000;

describe('relay crash: SIGKILL at random points while 10,000 events flow', () => {
  const run = newPipelineRun('relaycrash');
  afterAll(() => cleanUp(run));

  it('puts every event on the topic at least once and into the read model exactly once', async () => {
    const consumer = startConsumer(run);
    let relay = startRelay(run);
    await Promise.all([consumer.ready, relay.ready]);
    const writer = startWriter(run, { count: EVENTS, rate: 1_000 });
    const written = writerDone(writer);
    await writer.ready;

    const kills = randomBetween(3, 5);
    for (let k = 0; k < kills; k++) {
      // A random moment after it started: reading, producing, or saving its checkpoint.
      await sleep(randomBetween(300, 2_500));
      relay.kill('SIGKILL');
      expect(await relay.exited).toEqual({ code: null, signal: 'SIGKILL' });
      relay = startRelay(run);
      await relay.ready;
    }
    expect(await written).toEqual({ written: EVENTS });

    await waitForApplied(run, EVENTS, 150_000);
    const ids = await storedEventIds(run);
    expect(ids).toHaveLength(EVENTS);
    const { copies, messages } = await readTopicEventIds(run, ids);
    expect(ids.filter((id) => !copies.has(id))).toEqual([]);
    expect(messages).toBeGreaterThanOrEqual(EVENTS); // more when a killed relay's batch was re-sent

    // Let the consumer take any re-sent duplicates still arriving, then check.
    await sleep(1_000);
    expect(await checkReadModel(run)).toEqual({
      unprocessed: 0,
      unknownProcessed: 0,
      processed: EVENTS,
      wrongContacts: [],
      contacts: 100,
    });
  });
});
