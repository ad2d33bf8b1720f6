import { topicDurabilityFromEnv } from './topic-durability';

describe('topicDurabilityFromEnv', () => {
  it('defaults to one replica and one in sync (the local single broker)', () => {
    expect(topicDurabilityFromEnv({})).toEqual({ replicationFactor: 1, minInsyncReplicas: 1 });
  });

  it('reads a cluster setting', () => {
    expect(
      topicDurabilityFromEnv({ KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' }),
    ).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
  });

  it('refuses what is not a positive integer, and more in sync than replicas', () => {
    expect(() => topicDurabilityFromEnv({ KAFKA_REPLICATION_FACTOR: 'three' })).toThrow(
      'KAFKA_REPLICATION_FACTOR must be a positive integer',
    );
    expect(() => topicDurabilityFromEnv({ KAFKA_MIN_INSYNC_REPLICAS: '0' })).toThrow(
      'KAFKA_MIN_INSYNC_REPLICAS must be a positive integer',
    );
    expect(() =>
      topicDurabilityFromEnv({ KAFKA_REPLICATION_FACTOR: '1', KAFKA_MIN_INSYNC_REPLICAS: '2' }),
    ).toThrow('cannot exceed the replication factor');
  });
});
