import { BadRequestException, NotFoundException } from '@nestjs/common';
import { ConflictError, RuleViolationError } from '@engagement/decider';
import { InvalidAppendError, WrongExpectedRevisionError } from '@engagement/event-store';
import { toProblem } from './problem-details.filter';

describe('toProblem', () => {
  it('keeps a domain error status, code and details', () => {
    expect(toProblem(new ConflictError('taken', 'email-taken', { contactId: 'c1' }))).toMatchObject(
      {
        status: 409,
        code: 'email-taken',
        detail: 'taken',
        details: { contactId: 'c1' },
      },
    );
    expect(
      toProblem(new RuleViolationError('bad phone', 'invalid-phone', { field: 'phone' })),
    ).toMatchObject({ status: 422 });
  });

  it('maps event store errors to 409 and 422', () => {
    expect(toProblem(new WrongExpectedRevisionError('contact-1', 2n, 3n))).toMatchObject({
      status: 409,
      code: 'concurrency-conflict',
      details: { expectedRevision: '2', actualRevision: '3' },
    });
    expect(toProblem(new InvalidAppendError('x')).status).toBe(422);
  });

  it('maps body-parser failures to 400 and 413 instead of 500', () => {
    expect(toProblem(Object.assign(new Error('x'), { type: 'entity.parse.failed' })).status).toBe(
      400,
    );
    expect(toProblem(Object.assign(new Error('x'), { type: 'entity.too.large' })).status).toBe(413);
  });

  it('keeps Nest HTTP exception statuses and hides the cause of unknown errors', () => {
    expect(toProblem(new NotFoundException()).status).toBe(404);
    expect(toProblem(new BadRequestException('nope')).status).toBe(400);
    const internal = toProblem(new Error('password=hunter2 leaked'));
    expect(internal.status).toBe(500);
    expect(JSON.stringify(internal)).not.toContain('hunter2');
  });
});

describe('database unavailable', () => {
  it('answers 503 with a retry hint when PostgreSQL refuses connections, 500 for other failures', () => {
    const tooMany = Object.assign(new Error('sorry, too many clients already'), { code: '53300' });
    expect(toProblem(tooMany)).toMatchObject({
      status: 503,
      code: 'database-unavailable',
      retryAfterSeconds: 1,
    });
    expect(toProblem(new Error('boom'))).toMatchObject({ status: 500, code: 'internal-error' });
  });
});
