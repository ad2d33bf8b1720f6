// The service's log: one JSON object per line on stdout (stderr for
// errors), the shape every platform process writes. Never pass key material
// or personal data in fields.
export type LogLevel = 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Log {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export function jsonLog(service = 'contacts'): Log {
  const write =
    (level: LogLevel) =>
    (msg: string, fields: LogFields = {}) => {
      const line = JSON.stringify({
        time: new Date().toISOString(),
        level,
        service,
        msg,
        ...fields,
      });
      if (level === 'error') process.stderr.write(line + '\n');
      else process.stdout.write(line + '\n');
    };
  return { info: write('info'), warn: write('warn'), error: write('error') };
}

/** A log that keeps quiet (tests), but still reports errors. */
export function quietLog(): Log {
  const errors = jsonLog();
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
