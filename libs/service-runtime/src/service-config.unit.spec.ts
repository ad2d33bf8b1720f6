import { loadServiceConfig, portNumber, positiveInteger, schemaName } from './service-config';

const platform = { DATABASE_URL: 'postgres://db/x', KAFKA_BROKERS: 'k1:9092,k2:9092' };

describe('service config', () => {
  it("reads a service's variables by its prefix, with the service's defaults", () => {
    const config = loadServiceConfig(
      { prefix: 'EVENTS', port: 3102, schema: 'events', topic: 'events' },
      { ...platform, EVENTS_TOPIC_PARTITIONS: '3', EVENTS_RELAY: 'off' },
    );
    expect(config).toMatchObject({
      name: 'events',
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

  it('names the service as service tokens address it, and fails closed without a token key', () => {
    const connector = loadServiceConfig(
      {
        prefix: 'CONNECTOR_HUBSPOT',
        port: 3104,
        schema: 'connector_hubspot',
        topic: 'crm.hubspot',
      },
      { ...platform, PLATFORM_TOKEN_SECRET: Buffer.alloc(32, 7).toString('base64') },
    );
    expect(connector.name).toBe('connector-hubspot');
    expect(connector.serviceTokenKey.equals(Buffer.alloc(32, 7))).toBe(true);
    expect(() =>
      loadServiceConfig(
        { prefix: 'EVENTS', port: 3102, schema: 'events', topic: 'events' },
        { ...platform, NODE_ENV: 'production' },
      ),
    ).toThrow('PLATFORM_TOKEN_SECRET must be set');
  });

  it('refuses values that would break the service later', () => {
    expect(() => schemaName('Events; DROP', 'x', 'EVENTS_SCHEMA')).toThrow('EVENTS_SCHEMA');
    expect(() => portNumber('70000', 1, 'EVENTS_PORT')).toThrow('EVENTS_PORT');
    expect(() => positiveInteger('0', 1, 'EVENTS_TOPIC_PARTITIONS')).toThrow('positive');
    expect(positiveInteger(undefined, 6, 'X')).toBe(6);
  });
});
