// The one way a handler says "this message can never succeed, do not retry
// it": the consumer then moves it to the dead-letter topic and goes on. Any
// other error is taken as transient (a database down) and retried.
import { RpcException } from '@nestjs/microservices';
import type { ValidationError } from 'class-validator';

/**
 * Extends RpcException because of how NestJS handles a failing handler: its
 * exception filter turns any other error into `{ status: 'error', message:
 * 'Internal server error' }` before the transport sees it, which would make
 * every failure look transient. For an RpcException it passes on
 * getError(), and that is this very object.
 */
export class PermanentMessageError extends RpcException {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason);
    this.name = 'PermanentMessageError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }

  override getError(): PermanentMessageError {
    return this;
  }

  /** The failures of a class-validator validation, as one readable reason. */
  static fromValidationErrors(errors: ValidationError[]): PermanentMessageError {
    return new PermanentMessageError(
      `Invalid message: ${describeValidationErrors(errors).join('; ')}`,
    );
  }
}

export function isPermanentMessageError(error: unknown): error is PermanentMessageError {
  return error instanceof PermanentMessageError;
}

function describeValidationErrors(errors: ValidationError[], path = ''): string[] {
  return errors.flatMap((error) => {
    const property = path ? `${path}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((text) =>
      // class-validator starts its texts with the bare property name; show the full path.
      text.startsWith(error.property)
        ? property + text.slice(error.property.length)
        : `${property}: ${text}`,
    );
    return [...own, ...describeValidationErrors(error.children ?? [], property)];
  });
}
