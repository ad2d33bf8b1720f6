// The log a service writes: one JSON object per line (libs/observability's
// logger: redacted fields, trace ids), with the three levels services use.
// Tests take quietLog(); Nest's own chatter goes through nestLogger().
import { createLogger, type LogFields } from '@engagement/observability';

export type { LogFields };

export interface Log {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** The service's log: JSON lines on stdout. */
export function serviceLog(service: string): Log {
  return createLogger(service);
}

/** A log that keeps quiet (tests), but still reports errors, on stderr. */
export function quietLog(service = 'test'): Log {
  const errors = createLogger(service, { write: (line) => void process.stderr.write(line) });
  return { info: () => undefined, warn: () => undefined, error: errors.error };
}

/**
 * Nest's own messages through our log: warnings and errors only. Its info
 * lines (every route mapped, every module loaded) would drown the one line
 * per start and stop the service writes.
 */
export function nestLogger(log: Log) {
  const text = (message: unknown) =>
    typeof message === 'string' ? message : JSON.stringify(message);
  return {
    log: () => undefined,
    debug: () => undefined,
    verbose: () => undefined,
    warn: (message: unknown, context?: string) => log.warn(text(message), { context }),
    error: (message: unknown, ...rest: unknown[]) =>
      log.error(text(message), { details: rest.filter((r) => r !== undefined).map(text) }),
    fatal: (message: unknown, ...rest: unknown[]) =>
      log.error(text(message), { details: rest.filter((r) => r !== undefined).map(text) }),
  };
}
