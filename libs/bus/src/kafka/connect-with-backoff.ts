// Connecting to a broker that is not there yet: try, log the failure as one
// clear line, wait (exponentially longer, capped), try again, until it works
// or the caller closes. A broker that starts after the service is normal on
// start-up and must not become a crash loop.
import { backoffDelay, sleep, type BackoffOptions } from '../backoff';
import { BusClosedError } from '../bus.port';
import { describeError, type BusLogger } from '../bus-logger';

export interface ConnectSettings {
  brokers: string[];
  logger: BusLogger;
  backoff: BackoffOptions;
  /** Aborted when the bus (or the producer, the consumer) closes. */
  signal: AbortSignal;
}

export async function connectWithBackoff<T>(
  what: string,
  attempt: () => Promise<T>,
  settings: ConnectSettings,
): Promise<T> {
  for (let failures = 0; ;) {
    if (settings.signal.aborted) throw new BusClosedError(`Kafka client (while trying to ${what})`);
    try {
      const result = await attempt();
      if (failures > 0)
        settings.logger.info(
          `Kafka ${settings.brokers.join(',')}: ${what}: done after ${failures + 1} attempts`,
        );
      return result;
    } catch (error) {
      if (settings.signal.aborted)
        throw new BusClosedError(`Kafka client (while trying to ${what})`);
      failures++;
      const delay = backoffDelay(failures, settings.backoff);
      settings.logger.warn(
        `Kafka ${settings.brokers.join(',')}: could not ${what} (attempt ${failures}: ${describeError(error)}); ` +
          `retrying in ${delay} ms`,
        { attempt: failures, retryInMs: delay },
      );
      await sleep(delay, settings.signal);
    }
  }
}
