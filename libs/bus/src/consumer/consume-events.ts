// Consuming events from other services' topics with the delivery rules of
// the platform, with or without NestJS (BusTransport is built on this):
// - each partition's messages are handled one at a time, in order;
// - a message that is not an event, or that the handler refuses with a
//   PermanentMessageError, goes to `<topic>.dlq` and is then committed;
// - a programming error of the handler (TypeError, ReferenceError, ...:
//   a bug no retry can cure) is retried a few times, in case it came from a
//   passing state, then the message goes to `<topic>.dlq` too, so one bug
//   does not block its partition forever;
// - any other failure is transient: the same message is retried with
//   backoff (capped at a few seconds), never skipped, nothing committed.
// Delivery is at least once: handlers make their effects idempotent (applyOnce).
import {
  fromWireEvent,
  MalformedWireEventError,
  type RecordedEvent,
} from '@engagement/event-store';
import { backoffDelay, waitWhileHeartbeating, type BackoffOptions } from '../backoff';
import type {
  BatchContext,
  Bus,
  BusProducer,
  ConsumedMessage,
  ConsumerHandle,
  MessageBatch,
} from '../bus.port';
import { describeError, jsonLinesLogger, type BusLogger } from '../bus-logger';
import {
  deadLetterMessage,
  deadLetterTopic,
  type DeadLetter,
  type DeadLetterKind,
} from './dead-letter';
import { withConsumerSpan } from '@engagement/observability';
import { isPermanentMessageError } from './permanent-message-error';

/** The Kafka message an event arrived in. */
export interface ReceivedMessage extends ConsumedMessage {
  topic: string;
  partition: number;
}

export interface RetryNotice {
  topic: string;
  partition: number;
  offset: string;
  /** 1 for the first failure. */
  attempt: number;
  retryInMs: number;
  error: unknown;
}

export interface ConsumeEventsOptions {
  bus: Bus;
  groupId: string;
  topics: string[];
  /** Where a new group starts; default true: a new read model needs the whole history. */
  fromBeginning?: boolean;
  /** Handles one event; give this or handleBatch. */
  handle?(event: RecordedEvent, message: ReceivedMessage): Promise<void>;
  /**
   * Handles the events of one fetched batch (one partition, in offset order)
   * together, e.g. in one transaction (applyKafkaBatch): one commit per batch
   * instead of one per event. Malformed messages are dead-lettered first and
   * left out. A transient failure retries the whole batch; a
   * PermanentMessageError makes the batch go one event at a time, so that
   * only the refused event is dead-lettered (handlers are idempotent, so the
   * events applied before the refusal are skipped then).
   */
  handleBatch?(events: RecordedEvent[], messages: ReceivedMessage[]): Promise<void>;
  logger?: BusLogger;
  /** Waits between retries of a transiently failing message; default 100 ms doubling to 5 s. */
  retryBackoff?: BackoffOptions;
  /**
   * Attempts at a message whose handler keeps throwing a programming error
   * (see isProgrammingError) before it is dead-lettered; default 5.
   */
  programmingErrorAttempts?: number;
  onDeadLetter?(letter: DeadLetter): void;
  onRetry?(notice: RetryNotice): void;
}

export async function consumeEvents(options: ConsumeEventsOptions): Promise<ConsumerHandle> {
  if (!options.handle === !options.handleBatch) {
    throw new Error('consumeEvents needs exactly one of handle and handleBatch');
  }
  await options.bus.ensureTopics(
    options.topics.map((topic) => ({ topic: deadLetterTopic(topic), partitions: 1 })),
  );
  const deadLetters = options.bus.producer();
  const processor = new EventBatchProcessor(options, deadLetters);
  let consumer: ConsumerHandle;
  try {
    consumer = await options.bus.consume({
      groupId: options.groupId,
      topics: options.topics,
      fromBeginning: options.fromBeginning ?? true,
      eachBatch: (batch, context) => processor.process(batch, context),
    });
  } catch (error) {
    await deadLetters.close();
    throw error;
  }
  return {
    stop: async () => {
      await consumer.stop();
      await deadLetters.close();
    },
  };
}

type Outcome = { handled: true } | { handled: false; kind: DeadLetterKind; reason: string };

const DEFAULT_PROGRAMMING_ERROR_ATTEMPTS = 5;

/**
 * Errors that say the handler's code is wrong rather than that something it
 * depends on is down: retrying cannot cure them for good.
 */
export function isProgrammingError(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    error instanceof ReferenceError ||
    error instanceof SyntaxError ||
    error instanceof RangeError ||
    error instanceof EvalError ||
    error instanceof URIError
  );
}

/** What a handling attempt that gives up on a programming error dead-letters. */
function programmingFailure(error: unknown): Outcome {
  return { handled: false, kind: 'failed', reason: `handler error: ${describeError(error)}` };
}

class EventBatchProcessor {
  private readonly logger: BusLogger;
  private readonly retryBackoff: BackoffOptions;

  constructor(
    private readonly options: ConsumeEventsOptions,
    private readonly deadLetters: BusProducer,
  ) {
    this.logger = options.logger ?? jsonLinesLogger('consumer');
    this.retryBackoff = options.retryBackoff ?? { initialMs: 100, maxMs: 5_000 };
  }

  async process(batch: MessageBatch, context: BatchContext): Promise<void> {
    const handleBatch = this.options.handleBatch;
    if (handleBatch) return this.processTogether(batch, context, handleBatch);
    for (const consumed of batch.messages) {
      // Throwing leaves the rest of the batch uncommitted, to be delivered again.
      if (!context.isActive()) throw new Error('Consumer stopping: batch abandoned');
      const message: ReceivedMessage = {
        ...consumed,
        topic: batch.topic,
        partition: batch.partition,
      };
      const outcome = await this.untilDone(
        message,
        context,
        () => this.handleOnce(message),
        programmingFailure,
      );
      if (!outcome.handled)
        await this.untilDone(message, context, () => this.sendToDeadLetters(message, outcome));
      await context.heartbeat();
    }
  }

  private async processTogether(
    batch: MessageBatch,
    context: BatchContext,
    handleBatch: NonNullable<ConsumeEventsOptions['handleBatch']>,
  ): Promise<void> {
    const events: RecordedEvent[] = [];
    const messages: ReceivedMessage[] = [];
    for (const consumed of batch.messages) {
      const message: ReceivedMessage = {
        ...consumed,
        topic: batch.topic,
        partition: batch.partition,
      };
      try {
        events.push(fromWireEvent(message.value));
        messages.push(message);
      } catch (error) {
        if (!(error instanceof MalformedWireEventError)) throw error;
        const failure = {
          handled: false as const,
          kind: 'malformed' as const,
          reason: error.message,
        };
        await this.untilDone(message, context, () => this.sendToDeadLetters(message, failure));
      }
    }
    if (events.length === 0) return;
    if (!context.isActive()) throw new Error('Consumer stopping: batch abandoned');
    const attempt =
      (some: RecordedEvent[], theirs: ReceivedMessage[]) => async (): Promise<Outcome> => {
        try {
          await handleBatch(some, theirs);
          return { handled: true };
        } catch (error) {
          if (isPermanentMessageError(error))
            return { handled: false, kind: 'permanent', reason: error.message };
          throw error;
        }
      };
    const together = await this.untilDone(
      messages[0],
      context,
      attempt(events, messages),
      programmingFailure,
    );
    if (together.handled) return;
    // Someone in the batch was refused (or kept failing on a bug): one at a
    // time, to dead-letter only that one.
    for (const [i, message] of messages.entries()) {
      if (!context.isActive()) throw new Error('Consumer stopping: batch abandoned');
      const outcome = await this.untilDone(
        message,
        context,
        attempt([events[i]], [message]),
        programmingFailure,
      );
      if (!outcome.handled)
        await this.untilDone(message, context, () => this.sendToDeadLetters(message, outcome));
      await context.heartbeat();
    }
  }

  private async handleOnce(message: ReceivedMessage): Promise<Outcome> {
    let event: RecordedEvent;
    try {
      event = fromWireEvent(message.value);
    } catch (error) {
      if (error instanceof MalformedWireEventError)
        return { handled: false, kind: 'malformed', reason: error.message };
      throw error;
    }
    try {
      // The handler runs in a consumer span continuing the event's trace.
      await withConsumerSpan(message, event, () => this.options.handle!(event, message));
      return { handled: true };
    } catch (error) {
      if (isPermanentMessageError(error))
        return { handled: false, kind: 'permanent', reason: error.message };
      throw error;
    }
  }

  private async sendToDeadLetters(
    message: ReceivedMessage,
    failure: { kind: DeadLetterKind; reason: string },
  ): Promise<void> {
    const topic = deadLetterTopic(message.topic);
    await this.deadLetters.send(topic, [deadLetterMessage(message, failure, this.options.groupId)]);
    this.logger.warn(
      `consumer ${this.options.groupId}: ${message.topic}[${message.partition}]@${message.offset} moved to ${topic}: ` +
        failure.reason,
      {
        groupId: this.options.groupId,
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
      },
    );
    this.options.onDeadLetter?.({
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      kind: failure.kind,
      reason: failure.reason,
      deadLetterTopic: topic,
    });
  }

  // Retries the same message in place (heartbeating, so the partition stays
  // ours) until it works or the consumer stops; nothing after it runs first.
  // With giveUp, a programming error ends the retries after a few attempts
  // with giveUp's answer instead.
  private async untilDone<T>(
    message: ReceivedMessage,
    context: BatchContext,
    work: () => Promise<T>,
    giveUp?: (error: unknown) => T,
  ): Promise<T> {
    const maxBugAttempts =
      this.options.programmingErrorAttempts ?? DEFAULT_PROGRAMMING_ERROR_ATTEMPTS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (!context.isActive()) throw error;
        if (giveUp && isProgrammingError(error) && attempt >= maxBugAttempts) return giveUp(error);
        const retryInMs = backoffDelay(attempt, this.retryBackoff);
        this.logger.warn(
          `consumer ${this.options.groupId}: ${message.topic}[${message.partition}]@${message.offset} failed ` +
            `(attempt ${attempt}: ${describeError(error)}); retrying in ${retryInMs} ms`,
          {
            groupId: this.options.groupId,
            topic: message.topic,
            partition: message.partition,
            attempt,
          },
        );
        this.options.onRetry?.({
          topic: message.topic,
          partition: message.partition,
          offset: message.offset,
          attempt,
          retryInMs,
          error,
        });
        await waitWhileHeartbeating(retryInMs, context);
      }
    }
  }
}
