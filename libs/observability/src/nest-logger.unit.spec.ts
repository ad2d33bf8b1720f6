import { createLogger } from './logger';
import { NestJsonLogger } from './nest-logger';
import { REDACTED } from './redact';

function nestLogger() {
  const lines: string[] = [];
  const logger = new NestJsonLogger(
    createLogger('contacts', { write: (line) => lines.push(line), level: 'debug' }),
  );
  return { logger, entries: () => lines.map((l) => JSON.parse(l)) };
}

const stack = 'Error: boom\n    at handler (/app/src/x.ts:10:5)\n    at next (/app/y.ts:1:1)';

describe('NestJsonLogger', () => {
  it('maps Nest levels and takes the last string parameter as the context', () => {
    const { logger, entries } = nestLogger();
    logger.log('Nest application successfully started', 'NestApplication');
    logger.warn('deprecated option');
    logger.debug('resolving', 'InstanceLoader');
    logger.verbose('details');
    logger.fatal('cannot start', 'Bootstrap');
    expect(entries()).toMatchObject([
      { level: 'info', msg: 'Nest application successfully started', context: 'NestApplication' },
      { level: 'warn', msg: 'deprecated option' },
      { level: 'debug', msg: 'resolving', context: 'InstanceLoader' },
      { level: 'debug', msg: 'details' },
      { level: 'error', msg: 'cannot start', context: 'Bootstrap', fatal: true },
    ]);
    expect(entries()[1]).not.toHaveProperty('context');
  });

  it('reads error(message, stack, context) and error(message, undefined, context)', () => {
    const { logger, entries } = nestLogger();
    logger.error('boom', stack, 'ExceptionsHandler');
    logger.error('no stack', undefined, 'RoutesResolver');
    logger.error('only a stack', stack);
    expect(entries()).toMatchObject([
      { level: 'error', msg: 'boom', stack, context: 'ExceptionsHandler' },
      { level: 'error', msg: 'no stack', context: 'RoutesResolver' },
      { level: 'error', msg: 'only a stack', stack },
    ]);
    expect(entries()[2]).not.toHaveProperty('context');
  });

  it('logs Error and object messages through redaction', () => {
    const { logger, entries } = nestLogger();
    logger.error(new Error('bad header Bearer abc'), 'ExceptionsHandler');
    logger.log({ event: 'login', password: 'pw' }, 'Auth');
    const [error, object] = entries();
    expect(error).toMatchObject({
      msg: `bad header Bearer ${REDACTED}`,
      context: 'ExceptionsHandler',
      error: { name: 'Error', message: `bad header Bearer ${REDACTED}` },
    });
    expect(object).toMatchObject({
      details: { event: 'login', password: REDACTED },
      context: 'Auth',
    });
  });
});
