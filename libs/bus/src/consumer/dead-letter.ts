// Dead letters: a message that can never be handled is copied, unchanged, to
// `<topic>.dlq` with headers saying why and where it came from, and only
// then committed, so it neither blocks its partition nor disappears.
import type { BusMessage, ConsumedMessage } from '../bus.port';

export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

export const DEAD_LETTER_HEADERS = {
  reason: 'dlq-reason',
  /**
   * `malformed` (the value is not an event), `permanent` (the handler refused
   * it) or `failed` (the handler kept failing with a programming error).
   */
  kind: 'dlq-kind',
  originalTopic: 'dlq-original-topic',
  originalPartition: 'dlq-original-partition',
  originalOffset: 'dlq-original-offset',
  consumerGroup: 'dlq-consumer-group',
  failedAt: 'dlq-failed-at',
} as const;

export type DeadLetterKind = 'malformed' | 'permanent' | 'failed';

export interface DeadLetter {
  topic: string;
  partition: number;
  offset: string;
  kind: DeadLetterKind;
  reason: string;
  deadLetterTopic: string;
}

// Kafka headers travel with every fetch; a handler's error text can be long.
const MAX_REASON_LENGTH = 2_000;

export function deadLetterMessage(
  source: ConsumedMessage & { topic: string; partition: number },
  failure: { kind: DeadLetterKind; reason: string },
  groupId: string,
): BusMessage {
  return {
    key: source.key ?? '',
    value: source.value,
    headers: {
      ...source.headers,
      [DEAD_LETTER_HEADERS.reason]: failure.reason.slice(0, MAX_REASON_LENGTH),
      [DEAD_LETTER_HEADERS.kind]: failure.kind,
      [DEAD_LETTER_HEADERS.originalTopic]: source.topic,
      [DEAD_LETTER_HEADERS.originalPartition]: String(source.partition),
      [DEAD_LETTER_HEADERS.originalOffset]: source.offset,
      [DEAD_LETTER_HEADERS.consumerGroup]: groupId,
      [DEAD_LETTER_HEADERS.failedAt]: new Date().toISOString(),
    },
  };
}
