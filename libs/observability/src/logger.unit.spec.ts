import { createLogger, type LoggerOptions } from './logger';
import { REDACTED } from './redact';
import { useInMemoryTracing } from './testing/in-memory-tracing';
import { withSpan } from './trace-context';

useInMemoryTracing();

function capture(options: LoggerOptions = {}) {
  const lines: string[] = [];
  const logger = createLogger('contacts', {
    write: (line) => lines.push(line),
    now: () => new Date('2026-03-04T05:06:07.000Z'),
    ...options,
  });
  return { logger, lines, entries: () => lines.map((l) => JSON.parse(l)) };
}

describe('createLogger', () => {
  it('writes one JSON object per line with time, level, service and msg, then the fields', () => {
    const { logger, lines, entries } = capture();
    logger.info('contact created', { contactId: 'c-1', position: 42n });
    logger.warn('slow');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    expect(entries()).toEqual([
      {
        time: '2026-03-04T05:06:07.000Z',
        level: 'info',
        service: 'contacts',
        msg: 'contact created',
        contactId: 'c-1',
        position: '42',
      },
      { time: '2026-03-04T05:06:07.000Z', level: 'warn', service: 'contacts', msg: 'slow' },
    ]);
  });

  it('carries the trace and span ids of the active span', async () => {
    const { logger, entries } = capture();
    const ids = await withSpan('handle request', (span) => {
      logger.info('inside');
      return span.spanContext();
    });
    logger.info('outside');
    const [inside, outside] = entries();
    expect(inside).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
    expect(ids.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(outside).not.toHaveProperty('trace_id');
    expect(outside).not.toHaveProperty('span_id');
  });

  it('redacts fields and masks secrets in the message', () => {
    const { logger, lines, entries } = capture();
    const key = `eng_${'x'.repeat(43)}`;
    logger.error(`login with ${key} failed`, {
      headers: { authorization: 'Bearer t0ken', accept: 'application/json' },
      error: new Error('db password rejected for postgres://u:pw@db/x'),
    });
    expect(entries()[0]).toMatchObject({
      msg: `login with eng_${REDACTED} failed`,
      headers: { authorization: REDACTED, accept: 'application/json' },
      error: { name: 'Error', message: `db password rejected for postgres://u:${REDACTED}@db/x` },
    });
    expect(lines[0]).not.toContain(key);
    expect(lines[0]).not.toContain('t0ken');
    expect(lines[0]).not.toContain(':pw@');
  });

  it('never lets a field overwrite the fixed keys', () => {
    const { logger, entries } = capture();
    logger.info('real', { level: 'error', msg: 'fake', service: 'other', extra: 1 });
    expect(entries()[0]).toMatchObject({
      level: 'info',
      msg: 'real',
      service: 'contacts',
      extra: 1,
    });
  });

  it('leaves out levels below the configured one', () => {
    const { logger, entries } = capture({ level: 'warn' });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(entries().map((e) => e.level)).toEqual(['warn', 'error']);
  });
});
