// Path parameters that name a resource by id. An id that is not a UUID names
// nothing, so it is answered like an unknown id (404), and ids are
// lower-cased so that one resource has one stream whatever the caller's case.
import { Injectable, type PipeTransform } from '@nestjs/common';
import { NotFoundError } from '@engagement/decider';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

@Injectable()
export class IdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !isUuid(value)) {
      throw new NotFoundError(
        `No resource has the id "${String(value).slice(0, 100)}"`,
        'not-found',
      );
    }
    return value.toLowerCase();
  }
}
