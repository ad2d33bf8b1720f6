// Our BusLogger written through NestJS's Logger, so that inside a Nest
// application the bus logs where and how the application logs.
import { Logger } from '@nestjs/common';
import type { BusLogger, LogFields } from '../bus-logger';

export function nestBusLogger(context: string): BusLogger {
  const logger = new Logger(context);
  const withFields = (message: string, fields?: LogFields) =>
    fields && Object.keys(fields).length > 0 ? `${message} ${JSON.stringify(fields)}` : message;
  return {
    info: (message, fields) => logger.log(withFields(message, fields)),
    warn: (message, fields) => logger.warn(withFields(message, fields)),
    error: (message, fields) => logger.error(withFields(message, fields)),
  };
}
