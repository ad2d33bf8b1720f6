// GoHighLevel's error bodies (its API is NestJS: {statusCode, message,
// error?}; validation failures are 422 with a list of messages). OAuth
// token errors follow RFC 6749 ({error, error_description}).
import { HttpReply, json, Reply } from '@engagement/emulator-kit';

const NAMES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function ghlError(statusCode: number, message: string | string[], extra: Record<string, unknown> = {}): Reply {
  return json(statusCode, { statusCode, message, error: NAMES[statusCode] ?? 'Error', ...extra });
}

export function fail(statusCode: number, message: string | string[], extra: Record<string, unknown> = {}): never {
  throw new HttpReply(ghlError(statusCode, message, extra));
}

export function unprocessable(messages: string[]): never {
  fail(422, messages);
}

export function invalidJson(): Reply {
  return ghlError(400, 'Unexpected token in JSON body');
}

export function oauthError(error: string, description: string): Reply {
  return json(error === 'invalid_client' ? 401 : 400, { error, error_description: description });
}
