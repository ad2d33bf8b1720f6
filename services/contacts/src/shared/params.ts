// Path parameters that name a resource by id. An id that is not a UUID names
// nothing, so it is answered like an unknown id (404), and ids are
// lower-cased so that one contact has one stream whatever the caller's case.
import { Injectable, type PipeTransform } from '@nestjs/common';
import { NotFoundError } from '@engagement/decider';
import { isUuid } from '../domain';

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
