// Fault test: PostgreSQL refuses connections for a few seconds under load,
// then comes back; the relay and the consumer pause and resume, and nothing
// is lost or doubled.
//
// How the outage is made without stopping the PostgreSQL server that other
// tests share: the relay and the consumer reach PostgreSQL through TCP
// proxies in this test (TcpOutageProxy, node:net), one per process. Taking
// a proxy down closes its port (new connections: ECONNREFUSED) and cuts
// every open connection mid-query, so the process sees exactly what a
// crashed or restarting server looks like. The writer keeps appending
// straight to PostgreSQL meanwhile (load). The two outages overlap but are
// staggered by a second, so each process surely meets its own: the consumer
// still receives events while its database is gone (it must retry the same
// message, not skip it), and the relay's reads and checkpoint writes fail
// while the writer goes on (it must restart from its stored checkpoint).
import { TcpOutageProxy } from './testing/tcp-outage-proxy';
import {
  appliedCount,
  auditReadModel,
  checkReadModel,
  cleanUp,
  newPipelineRun,
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

const EVENTS = 5_000;

describe('database outage: PostgreSQL refuses connections for a few seconds under load', () => {
  const run = newPipelineRun('dboutage');
  const proxies: TcpOutageProxy[] = [];
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await cleanUp(run);
  });

  it('pauses the relay and the consumer, resumes them, and loses or doubles nothing', async () => {
    const database = new URL(run.databaseUrl);
    const target = { host: database.hostname, port: Number(database.port || 5432) };
    const relayProxy = await TcpOutageProxy.start(target);
    const consumerProxy = await TcpOutageProxy.start(target);
    proxies.push(relayProxy, consumerProxy);
    const through = (proxy: TcpOutageProxy) => ({
      DATABASE_URL: proxy.urlFor(run.databaseUrl),
      KAFKA_BROKERS: run.kafkaBrokers.join(','),
    });
    const consumer = startConsumer(run, through(consumerProxy));
    const relay = startRelay(run, through(relayProxy));
    await Promise.all([consumer.ready, relay.ready]);
    const writer = startWriter(run, { count: EVENTS, rate: 500 });
    const written = writerDone(writer);
    await waitForApplied(run, 1_000, 90_000);

    await consumerProxy.down();
    await sleep(1_000);
    await relayProxy.down();
    const appliedWhenDown = await appliedCount(run); // read directly, not through a proxy
    await sleep(3_000);
    // Paused: nothing can commit through a database it cannot reach.
    expect(await appliedCount(run)).toBe(appliedWhenDown);
    await consumerProxy.up();
    await sleep(1_000);
    await relayProxy.up();

    expect(await written).toEqual({ written: EVENTS });
    await waitForApplied(run, EVENTS, 150_000);
    // Both met the outage (their logs say they retried) and went on by themselves.
    expect(consumer.logs()).toMatch(/retrying/);
    expect(relay.logs()).toMatch(/restarting/);
    const running = (p: typeof relay) =>
      Promise.race([p.exited.then(() => false), sleep(100).then(() => true)]);
    expect(await running(consumer)).toBe(true);
    expect(await running(relay)).toBe(true);

    const ids = await storedEventIds(run);
    const { copies } = await readTopicEventIds(run, ids);
    expect(ids.filter((id) => !copies.has(id))).toEqual([]);
    await sleep(1_000);
    expect(await checkReadModel(run)).toEqual({
      unprocessed: 0,
      unknownProcessed: 0,
      processed: EVENTS,
      wrongContacts: [],
      contacts: 100,
    });
    const audit = await auditReadModel(run);
    expect(audit.output).toMatch('audit sample-contacts: identical');
    expect(audit.code).toBe(0);
  });
});
