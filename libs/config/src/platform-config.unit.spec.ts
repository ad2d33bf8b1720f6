import { loadPlatformConfig } from './platform-config';

describe('loadPlatformConfig', () => {
  it('takes DATABASE_URL and a comma-separated KAFKA_BROKERS from the environment', () => {
    const config = loadPlatformConfig({
      DATABASE_URL: 'postgres://u@h:1/db',
      KAFKA_BROKERS: 'a:9092, b:9092,',
    });
    expect(config.databaseUrl).toBe('postgres://u@h:1/db');
    expect(config.kafkaBrokers).toEqual(['a:9092', 'b:9092']);
    expect(config.eventStoreConnectionString).toBeUndefined();
  });

  it('selects EventStoreDB only when EVENTSTORE_CONNECTION_STRING is non-empty', () => {
    const base = { DATABASE_URL: 'postgres://x', KAFKA_BROKERS: 'k:1' };
    expect(
      loadPlatformConfig({ ...base, EVENTSTORE_CONNECTION_STRING: '' }).eventStoreConnectionString,
    ).toBeUndefined();
    expect(
      loadPlatformConfig({ ...base, EVENTSTORE_CONNECTION_STRING: 'esdb://h:2113?tls=false' })
        .eventStoreConnectionString,
    ).toBe('esdb://h:2113?tls=false');
  });
});
