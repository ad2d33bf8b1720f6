// How far a consumer group is behind its topics (end offset minus committed
// offset, summed over partitions), for the sync status view.
// NOTE: this reads Kafka through kafkajs' admin client directly, because
// libs/bus has no lag query yet; it belongs behind the bus port (reported
// to the owners of libs/bus).
import { Kafka, logLevel } from 'kafkajs';

export async function consumerLag(
  brokers: string[],
  groupId: string,
  topics: string[],
): Promise<Record<string, number | null>> {
  const admin = new Kafka({
    clientId: `${groupId}-lag`,
    brokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  const lag: Record<string, number | null> = {};
  try {
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId, topics });
    for (const topic of topics) {
      try {
        const ends = await admin.fetchTopicOffsets(topic);
        const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
        lag[topic] = ends.reduce((sum, p) => {
          const at = Number(mine.find((m) => m.partition === p.partition)?.offset ?? '-1');
          const end = Number(p.high);
          return sum + (at < 0 ? end - Number(p.low) : Math.max(0, end - at));
        }, 0);
      } catch {
        lag[topic] = null;
      }
    }
  } catch {
    for (const topic of topics) lag[topic] ??= null;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  return lag;
}
