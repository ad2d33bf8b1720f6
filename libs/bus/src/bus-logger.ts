// The logger the bus writes through. Services pass their own (for example
// one that adds the trace id); the default writes one JSON object a line to
// stderr, which is what our log collection reads.

export type LogFields = Record<string, unknown>;

export interface BusLogger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export function jsonLinesLogger(name = 'bus'): BusLogger {
  const write = (level: string) => (message: string, fields?: LogFields) => {
    process.stderr.write(
      JSON.stringify({ level, time: new Date().toISOString(), logger: name, message, ...fields }) +
        '\n',
    );
  };
  return { info: write('info'), warn: write('warn'), error: write('error') };
}

/** Discards everything: for tests that assert on behaviour, not on logs. */
export const silentLogger: BusLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** A short, single-line description of anything thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  if (typeof error === 'object' && error !== null && 'message' in error)
    return String(error.message);
  return String(error);
}
