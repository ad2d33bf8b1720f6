// Routes kafkajs's own log lines into our logger, at warn and error only
// (kafkajs's info and debug lines are not even built: the client runs at WARN).
import { logLevel, type logCreator } from 'kafkajs';
import type { BusLogger } from '../bus-logger';

// kafkajs logs at ERROR every error response and every failed connection,
// although it retries them itself (a coordinator still loading, a group
// rebalancing, a broker restarting). What it cannot recover from reaches our
// code as a rejected call or a crash, and is logged there as an error; these
// lines are therefore warnings.
const RETRIED_BY_KAFKAJS = new Set(['Connection', 'BrokerPool']);

// kafkajs warns whenever an idempotent producer has bounded retries. Ours are
// bounded on purpose (see kafkajs-producer.ts), so the line is only noise.
const EXPECTED_WARNING = 'Limiting retries for the idempotent producer';

// While a broker is down kafkajs repeats the same line on every retry; one a
// while is enough (our own "could not ... (attempt n)" lines count the attempts).
const REPEAT_AFTER_MS = 30_000;

export function kafkajsLogCreator(logger: BusLogger): logCreator {
  const lastLogged = new Map<string, number>();
  const isRepeat = (line: string): boolean => {
    const now = Date.now();
    const last = lastLogged.get(line);
    if (last !== undefined && now - last < REPEAT_AFTER_MS) return true;
    if (lastLogged.size > 500) lastLogged.clear(); // bounded: lines can carry ids
    lastLogged.set(line, now);
    return false;
  };
  return () =>
    ({ namespace, level, log }) => {
      // Our logger stamps its own time and name.
      const { message, ...rest } = log;
      const fields = Object.fromEntries(
        Object.entries(rest).filter(([key]) => key !== 'timestamp' && key !== 'logger'),
      );
      const line = `kafkajs ${namespace}: ${message}`;
      if (isRepeat(line)) return;
      if (level === logLevel.ERROR && !RETRIED_BY_KAFKAJS.has(namespace))
        logger.error(line, fields);
      else if (level <= logLevel.WARN && !String(message).startsWith(EXPECTED_WARNING))
        logger.warn(line, fields);
    };
}
