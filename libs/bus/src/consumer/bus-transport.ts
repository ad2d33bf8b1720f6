// The NestJS side of consuming: a custom transport strategy over our Bus, so
// services write `@EventPattern('contacts') handle(@Payload() event: RecordedEvent)`.
// Register BusExceptionFilter on the microservice too, or a handler's bug
// cannot be told from a transient failure (see bus-exception-filter.ts).
// The pattern is the topic; the payload is the parsed RecordedEvent. Handlers
// are awaited one message at a time per partition, and the delivery rules
// (dead letters, retries, commits) are those of consumeEvents.
import { EventEmitter } from 'node:events';
import {
  EventPattern,
  Server,
  type CustomTransportStrategy,
  type MessageHandler,
} from '@nestjs/microservices';
import { finalize, isObservable, lastValueFrom } from 'rxjs';
import type { RecordedEvent } from '@engagement/event-store';
import type { BackoffOptions } from '../backoff';
import type { Bus, ConsumerHandle } from '../bus.port';
import type { BusLogger } from '../bus-logger';
import { BusContext } from './bus-context';
import { isMaskedByNest } from './bus-exception-filter';
import { consumeEvents, type ReceivedMessage, type RetryNotice } from './consume-events';
import type { DeadLetter } from './dead-letter';
import { nestBusLogger } from './nest-bus-logger';

/** `@EventPattern('contacts', BUS_TRANSPORT)` binds a handler to this transport only (in hybrid apps). */
export const BUS_TRANSPORT = Symbol('BusTransport');

/**
 * `@EventPattern(topic, BUS_TRANSPORT)` typed as a plain method decorator.
 * NestJS 12 types `@EventPattern('contacts')` so that the handler's
 * parameters after the payload must accept `unknown`, which rejects
 * `@Ctx() context: BusContext`; `@EventPattern<string>('contacts')` works too.
 */
export function BusEventPattern(topic: string): MethodDecorator {
  return EventPattern<string>(topic, BUS_TRANSPORT);
}

export interface BusTransportOptions {
  bus: Bus;
  /** The consumer group: one per service and purpose, e.g. `messaging.contacts-projection`. */
  groupId: string;
  /** Where a new group starts; default true. */
  fromBeginning?: boolean;
  /** Default: NestJS's Logger, so the application's logger settings apply. */
  logger?: BusLogger;
  retryBackoff?: BackoffOptions;
  /** Attempts before a message whose handler keeps throwing a programming error is dead-lettered; default 5. */
  programmingErrorAttempts?: number;
}

export type BusTransportEvents = {
  'dead-letter': (letter: DeadLetter) => void;
  retry: (notice: RetryNotice) => void;
};

export type BusTransportStatus = 'connected' | 'disconnected';

export class BusTransport
  extends Server<BusTransportEvents, BusTransportStatus>
  implements CustomTransportStrategy
{
  override transportId = BUS_TRANSPORT;
  // Handler failures come back to this transport (it awaits them), so Nest need not log them twice.
  override readonly propagatesEventHandlerErrors = true;
  private consumer: ConsumerHandle | undefined;
  private readonly events = new EventEmitter();
  private warnedMasked = false;

  constructor(private readonly options: BusTransportOptions) {
    super();
  }

  listen(callback: (error?: unknown) => void): void {
    const requestHandlers = [...this.messageHandlers].filter(
      ([, handler]) => !handler.isEventHandler,
    );
    if (requestHandlers.length > 0) {
      callback(
        new Error(
          `BusTransport serves @EventPattern only; @MessagePattern on: ${requestHandlers.map(([p]) => p).join(', ')}`,
        ),
      );
      return;
    }
    const topics = [...this.messageHandlers.keys()];
    if (topics.length === 0) {
      callback();
      return;
    }
    consumeEvents({
      bus: this.options.bus,
      groupId: this.options.groupId,
      topics,
      fromBeginning: this.options.fromBeginning,
      logger: this.options.logger ?? nestBusLogger(BusTransport.name),
      retryBackoff: this.options.retryBackoff,
      programmingErrorAttempts: this.options.programmingErrorAttempts,
      handle: (event, message) => this.dispatch(event, message),
      onDeadLetter: (letter) => this.events.emit('dead-letter', letter),
      onRetry: (notice) => {
        if (isMaskedByNest(notice.error) && !this.warnedMasked) {
          this.warnedMasked = true;
          (this.options.logger ?? nestBusLogger(BusTransport.name)).warn(
            'A handler failed with an error NestJS masked as "Internal server error": register ' +
              'BusExceptionFilter on the microservice, so that programming errors are dead-lettered after their retries',
            { groupId: this.options.groupId },
          );
        }
        this.events.emit('retry', notice);
      },
    }).then(
      (consumer) => {
        this.consumer = consumer;
        this._status$.next('connected');
        callback();
      },
      (error: unknown) => callback(error),
    );
  }

  /** Stops consuming. The bus belongs to whoever made it, and is left open. */
  async close(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = undefined;
    this._status$.next('disconnected');
  }

  on<EventKey extends keyof BusTransportEvents>(
    event: EventKey,
    callback: BusTransportEvents[EventKey],
  ): void {
    this.events.on(event, callback);
  }

  /** The Bus this transport consumes from. */
  unwrap<T>(): T {
    return this.options.bus as T;
  }

  // Like ServerKafka.handleEvent, but resolving only when the handler (and
  // the stream it may return) finished, and rejecting with its error:
  // consumeEvents decides from that error whether to retry or dead-letter.
  private dispatch(event: RecordedEvent, message: ReceivedMessage): Promise<void> {
    const handler: MessageHandler | null = this.getHandlerByPattern(message.topic);
    if (!handler)
      return Promise.reject(new Error(`No @EventPattern handler for topic ${message.topic}`));
    const context = new BusContext([message]);
    return new Promise<void>((resolve, reject) => {
      const hooked: unknown = this.runWithProcessingHooks(context, async (runEndHook) => {
        try {
          const result: unknown = await handler(event, context);
          if (isObservable(result))
            await lastValueFrom(result.pipe(finalize(runEndHook)), { defaultValue: undefined });
          else runEndHook();
          resolve();
        } catch (error) {
          reject(error);
          throw error;
        }
      });
      // The hook hands the rejection on; it was reported through reject above.
      if (hooked instanceof Promise) hooked.catch(() => undefined);
    });
  }
}
