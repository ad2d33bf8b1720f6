// Sends NestJS's own log lines (module start-up, routes, unhandled
// exceptions) through our JSON logger, so that a service writes one format,
// with trace ids and redaction, instead of Nest's coloured console text:
//   NestFactory.create(AppModule, { logger: new NestJsonLogger(createLogger('contacts')) })
import type { LoggerService } from '@nestjs/common';
import type { LogFields, Logger, LogLevel } from './logger';

// What NestJS's ConsoleLogger recognises as a stack trace among the parameters.
const STACK = /^(.)+\n\s+at .+:\d+:\d+/;

export class NestJsonLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params, { fatal: true });
  }

  private write(level: LogLevel, message: unknown, params: unknown[], extra: LogFields = {}): void {
    const { context, stack, details } = splitParams(params);
    const fields: LogFields = { ...extra };
    if (context !== undefined) fields.context = context;
    let msg: string;
    if (typeof message === 'string') msg = message;
    else if (message instanceof Error) {
      msg = message.message;
      fields.error = message;
    } else if (typeof message === 'object' && message !== null) {
      msg = 'details';
      fields.details = message;
    } else msg = String(message);
    if (stack !== undefined) fields.stack = stack;
    if (details.length > 0) fields.params = details;
    this.logger[level](msg, fields);
  }
}

/**
 * Nest's calling convention: the last parameter, when a string, is the
 * context (the class that logs); error() may pass a stack before it. A
 * Logger with a context but no stack passes undefined in its place.
 */
function splitParams(params: unknown[]): {
  context: string | undefined;
  stack: string | undefined;
  details: unknown[];
} {
  const rest = [...params];
  let context: string | undefined;
  const last = rest[rest.length - 1];
  if (typeof last === 'string' && !STACK.test(last)) {
    context = last;
    rest.pop();
  }
  let stack: string | undefined;
  const details: unknown[] = [];
  for (const param of rest) {
    if (param === undefined) continue;
    if (stack === undefined && typeof param === 'string' && STACK.test(param)) stack = param;
    else details.push(param);
  }
  return { context, stack, details };
}
