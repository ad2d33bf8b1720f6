// How durable the topics the platform creates are: how many brokers keep a
// copy of each partition, and how many of them must have a write before an
// acks=all produce is acknowledged. 1 and 1 for the local single broker; 3
// and 2 on a cluster, so that acks=all means what it says.

export interface TopicDurability {
  replicationFactor: number;
  minInsyncReplicas: number;
}

/** From KAFKA_REPLICATION_FACTOR and KAFKA_MIN_INSYNC_REPLICAS (default 1 and 1). */
export function topicDurabilityFromEnv(
  env: Record<string, string | undefined> = process.env,
): TopicDurability {
  const replicationFactor = positiveInteger(env, 'KAFKA_REPLICATION_FACTOR', 1);
  const minInsyncReplicas = positiveInteger(env, 'KAFKA_MIN_INSYNC_REPLICAS', 1);
  return checkedDurability({ replicationFactor, minInsyncReplicas });
}

export function checkedDurability(durability: TopicDurability): TopicDurability {
  const { replicationFactor, minInsyncReplicas } = durability;
  for (const [name, value] of Object.entries(durability)) {
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`Kafka topics: ${name} must be a positive integer, not ${value}`);
  }
  if (minInsyncReplicas > replicationFactor) {
    throw new Error(
      `Kafka topics: min.insync.replicas (${minInsyncReplicas}) cannot exceed the replication factor (${replicationFactor}): every acks=all write would fail`,
    );
  }
  return durability;
}

function positiveInteger(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^[1-9][0-9]*$/.test(raw))
    throw new Error(`${name} must be a positive integer, not "${raw}"`);
  return Number(raw);
}
