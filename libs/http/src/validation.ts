// Input validation at the edge: class-validator DTOs, unknown fields refused,
// every failure reported per field as a 422 problem.
import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { problem, ProblemError, type FieldError } from './problem-details';

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationProblem(errors),
  });
}

export function validationProblem(errors: ValidationError[]): ProblemError {
  const fields = flatten(errors);
  return new ProblemError(
    problem(422, 'validation-failed', `${fields.length} field(s) are invalid`, { errors: fields }),
  );
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = /^\d+$/.test(error.property)
      ? `${parent}[${error.property}]`
      : parent
        ? `${parent}.${error.property}`
        : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
