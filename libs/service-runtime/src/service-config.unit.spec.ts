import { loadServiceConfig, portNumber, positiveInteger, schemaName } from './service-config';

const platform = { DATABASE_URL: 'postgres://db/x', KAFKA_BROKERS: 'k1:9092,k2:9092' };

describe('service config', () => {
  it("reads a service's variables by its prefix, with the service's defaults", () => {
    const config = loadServiceConfig(
      { prefix: 'EVENTS', port: 3102, schema: 'events', topic: 'events' },
      { ...platform, EVENTS_TOPIC_PARTITIONS: '3', EVENTS_RELAY: 'off' },
    );
    expect(config).toMatchObject({
      port: 3102,
      host: '127.0.0.1',
      databaseUrl: 'postgres://db/x',
      kafkaBrokers: ['k1:9092', 'k2:9092'],
      schema: 'events',
      eventStoreSchema: 'event_store',
      relayEnabled: false,
      topic: 'events',
      topicPartitions: 3,
    });
  });

  it('refuses values that would break the service later', () => {
    expect(() => schemaName('Events; DROP', 'x', 'EVENTS_SCHEMA')).toThrow('EVENTS_SCHEMA');
    expect(() => portNumber('70000', 1, 'EVENTS_PORT')).toThrow('EVENTS_PORT');
    expect(() => positiveInteger('0', 1, 'EVENTS_TOPIC_PARTITIONS')).toThrow('positive');
    expect(positiveInteger(undefined, 6, 'X')).toBe(6);
  });
});
