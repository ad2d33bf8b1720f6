// Fault test: the consumer process is killed with SIGKILL several times
// while it applies 10,000 events, and started again each time in the same
// consumer group. Kafka then delivers again whatever was applied but not
// yet committed as an offset; the consumer finds those ids in
// processed_events (written in the same transaction as the rows) and skips
// them, so the read model holds each event's effect exactly once.
//
// Runtime note: a member killed with SIGKILL never leaves its group, so the
// restarted consumer waits until the broker expires the dead member's
// session (6 s here, the broker's minimum) before it gets the partitions.
import {
  appliedCount,
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
  waitFor,
  waitForApplied,
  writerDone,
} from './testing/pipeline-test-kit';

jest.setTimeout(300_000);

const EVENTS = 10_000;
const KILLS = 3;

describe('consumer crash: SIGKILL several times mid-flow', () => {
  const run = newPipelineRun('consumercrash');
  afterAll(() => cleanUp(run));

  it('applies each event exactly once in the read model', async () => {
    let consumer = startConsumer(run);
    const relay = startRelay(run);
    await Promise.all([consumer.ready, relay.ready]);
    // Slow enough that the flow outlasts three kills and restarts (about 7 s
    // each): a batched consumer catches up at once after every restart.
    const writer = startWriter(run, { count: EVENTS, rate: 250 });
    const written = writerDone(writer);

    // Mid-flow, at random points spread over the 10,000 events: once the
    // read model holds a random number of them, after a random short delay.
    const killAt = Array.from({ length: KILLS }, () => randomBetween(500, EVENTS - 1_500)).sort(
      (a, b) => a - b,
    );
    // Kills with events still to apply: the first always is (the writer is
    // far from done when the read model holds at most EVENTS - 1,500); a
    // slow machine may let the consumer catch up before a later one, which
    // the count below allows, instead of failing on timing.
    let midFlowKills = 0;
    for (const threshold of killAt) {
      await waitFor(
        `${threshold} events applied`,
        async () => (await appliedCount(run)) >= threshold,
        120_000,
      );
      await sleep(randomBetween(0, 500));
      consumer.kill('SIGKILL');
      expect(await consumer.exited).toEqual({ code: null, signal: 'SIGKILL' });
      if ((await appliedCount(run)) < EVENTS) midFlowKills += 1;
      consumer = startConsumer(run);
      await consumer.ready;
    }
    expect(midFlowKills).toBeGreaterThanOrEqual(1);
    expect(await written).toEqual({ written: EVENTS });

    await waitForApplied(run, EVENTS, 150_000);
    const ids = await storedEventIds(run);
    const { copies } = await readTopicEventIds(run, ids);
    expect(ids.filter((id) => !copies.has(id))).toEqual([]);
    await sleep(1_000); // let redelivered duplicates arrive, to be skipped
    expect(await checkReadModel(run)).toEqual({
      unprocessed: 0,
      unknownProcessed: 0,
      processed: EVENTS,
      wrongContacts: [],
      contacts: 100,
    });
  });
});
