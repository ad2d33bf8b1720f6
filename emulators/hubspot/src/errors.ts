// HubSpot's error bodies, as its CRM v3 API sends them:
// {status: "error", message, correlationId, category, ...}. OAuth errors have
// their own shape ({status: "BAD_REFRESH_TOKEN", message, ...}).
import { randomUUID } from 'node:crypto';
import { HttpReply, json, Reply } from '@engagement/emulator-kit';

export function hubspotError(
  status: number,
  category: string,
  message: string,
  extra: Record<string, unknown> = {},
): Reply {
  return json(status, { status: 'error', message, correlationId: randomUUID(), category, ...extra });
}

export function fail(status: number, category: string, message: string, extra: Record<string, unknown> = {}): never {
  throw new HttpReply(hubspotError(status, category, message, extra));
}

export function validationError(message: string, extra: Record<string, unknown> = {}): never {
  fail(400, 'VALIDATION_ERROR', message, extra);
}

/** One invalid property value, as HubSpot lists them in "Property values were not valid". */
export interface PropertyValueError {
  isValid: false;
  message: string;
  error: string;
  name: string;
  localizedErrorMessage: string;
}

export function propertyValueError(name: string, error: string, message: string): PropertyValueError {
  return { isValid: false, message, error, name, localizedErrorMessage: message };
}

export function propertyValuesNotValid(errors: PropertyValueError[]): Reply {
  return hubspotError(400, 'VALIDATION_ERROR', `Property values were not valid: ${JSON.stringify(errors)}`);
}

export function oauthError(status: string, message: string): Reply {
  return json(400, { status, message, correlationId: randomUUID(), requestId: randomUUID() });
}

export function notFound(): never {
  fail(404, 'OBJECT_NOT_FOUND', 'resource not found');
}

export function invalidJson(): Reply {
  return hubspotError(400, 'VALIDATION_ERROR', 'Invalid input JSON on line 1: the body is not valid JSON');
}
