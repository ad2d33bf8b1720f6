// class-validator at the consumer's edge: a payload that fails validation
// will fail the same way on every delivery, so it is a permanent error and
// goes to the dead-letter topic instead of being retried forever.
import { ValidationPipe, type ValidationPipeOptions } from '@nestjs/common';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validate, type ValidatorOptions } from 'class-validator';
import { PermanentMessageError } from './permanent-message-error';

/** Builds the DTO from the plain data and validates it; throws PermanentMessageError with every failure. */
export async function validateMessage<T extends object>(
  dto: ClassConstructor<T>,
  plain: unknown,
  options: ValidatorOptions = { whitelist: true, forbidUnknownValues: true },
): Promise<T> {
  if (typeof plain !== 'object' || plain === null)
    throw new PermanentMessageError('Invalid message: not an object');
  const instance = plainToInstance(dto, plain);
  const errors = await validate(instance, options);
  if (errors.length > 0) throw PermanentMessageError.fromValidationErrors(errors);
  return instance;
}

/**
 * NestJS's ValidationPipe for message handlers (`@Payload(eventValidationPipe())`):
 * the pipe's own BadRequestException would reach the transport as an
 * unknown, hence transient, error and be retried forever.
 */
export function eventValidationPipe(
  options: Omit<ValidationPipeOptions, 'exceptionFactory'> = {},
): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    ...options,
    exceptionFactory: (errors) => PermanentMessageError.fromValidationErrors(errors),
  });
}
