// Refuses body and query fields that the DTO does not declare, by their own
// names. The validation pipe's whitelist looks names up in a plain object,
// so fields named like Object.prototype members ("constructor",
// "toString", "__proto__"...) slip through it; this pipe runs first and
// checks every own key of the raw input against the DTO's declared
// properties, answering 422 like the validation pipe does.
import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { problem, ProblemError } from '@engagement/http';
import { getMetadataStorage } from 'class-validator';

const declared = new Map<Function, Set<string>>(); // eslint-disable-line @typescript-eslint/no-unsafe-function-type

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
function declaredProperties(dto: Function): Set<string> {
  let names = declared.get(dto);
  if (!names) {
    const metadata = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
    names = new Set(metadata.map((m) => m.propertyName));
    declared.set(dto, names);
  }
  return names;
}

@Injectable()
export class UnknownFieldsPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body' && metadata.type !== 'query') return value;
    if (typeof metadata.metatype !== 'function') return value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const allowed = declaredProperties(metadata.metatype);
    if (allowed.size === 0) return value; // not a DTO
    const unknown = Object.keys(value).filter((key) => !allowed.has(key));
    if (unknown.length === 0) return value;
    const errors = unknown.map((field) => ({
      field,
      message: `property ${field} should not exist`,
    }));
    throw new ProblemError(
      problem(422, 'validation-failed', `${errors.length} field(s) are invalid`, { errors }),
    );
  }
}
