// The platform's structured logger: one JSON object per line on stdout
// (what our log collection reads), carrying the service name and the trace
// and span ids of the active span, so that a log line leads to its trace in
// Jaeger and a trace to its log lines. Every field goes through redaction
// first: no secret reaches a log line, however deeply it was nested.
//
// Its methods have the shape of the bus's BusLogger, so a service passes the
// same logger to KafkajsBus, startRelay and consumeEvents.
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { maskSecrets, redact } from './redact';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  /** The least severe level written; default LOG_LEVEL from the environment, else 'info'. */
  level?: LogLevel;
  /** Where each line (with its newline) goes; default stdout. */
  write?: (line: string) => void;
  now?: () => Date;
}

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  const minimum = SEVERITY[options.level ?? levelFromEnv(process.env.LOG_LEVEL)];
  const write = options.write ?? ((line: string) => void process.stdout.write(line));
  const now = options.now ?? (() => new Date());
  const at = (level: LogLevel) => (msg: string, fields?: LogFields) => {
    if (SEVERITY[level] < minimum) return;
    write(`${JSON.stringify(logEntry(service, level, msg, fields, now()))}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** One log line as an object: the fixed keys first, then the redacted fields. */
export function logEntry(
  service: string,
  level: LogLevel,
  msg: string,
  fields: LogFields | undefined,
  time: Date,
): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    time: time.toISOString(),
    level,
    service,
    msg: maskSecrets(String(msg)),
  };
  const span = trace.getActiveSpan()?.spanContext();
  if (span && isSpanContextValid(span)) {
    entry.trace_id = span.traceId;
    entry.span_id = span.spanId;
  }
  if (fields !== undefined) {
    const safe = redact(fields);
    if (safe !== null && typeof safe === 'object' && !Array.isArray(safe)) {
      // A field never overwrites a fixed key: `level` or `trace_id` must stay true.
      for (const [key, value] of Object.entries(safe)) if (!(key in entry)) entry[key] = value;
    } else {
      entry.fields = safe;
    }
  }
  return entry;
}

function levelFromEnv(value: string | undefined): LogLevel {
  const level = value?.toLowerCase();
  return level === 'debug' || level === 'warn' || level === 'error' ? level : 'info';
}
