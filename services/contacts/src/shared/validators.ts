// class-validator decorators for the JSON shapes the contacts API accepts
// beyond plain fields: the seed's properties map ({name: value}) and free
// JSON objects (activityData). Both are bounded (entries, depth, size), so
// that a client cannot make us store or process something huge.
import { ValidateBy, ValidateIf, type ValidationOptions } from 'class-validator';
import { MAX_PROPERTY_VALUE_LENGTH } from '../domain';

export const MAX_PROPERTIES_PER_REQUEST = 100;
export const MAX_TAGS_PER_REQUEST = 50;
export const MAX_JSON_OBJECT_BYTES = 64 * 1024;
const MAX_JSON_DEPTH = 10;
const PROPERTY_NAME = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why a properties map is unacceptable, or null when it is fine. */
export function propertyMapProblem(value: unknown, allowNull: boolean): string | null {
  if (!isPlainObject(value)) return 'must be an object of property name to value';
  const entries = Object.entries(value);
  if (entries.length > MAX_PROPERTIES_PER_REQUEST) {
    return `holds at most ${MAX_PROPERTIES_PER_REQUEST} properties`;
  }
  for (const [name, item] of entries) {
    if (!PROPERTY_NAME.test(name)) {
      return `has an invalid property name (letters, digits, _; starting with a letter; at most 100)`;
    }
    if (item === null && allowNull) continue;
    if (typeof item === 'string') {
      if (item.length > MAX_PROPERTY_VALUE_LENGTH) {
        return `${name} is longer than ${MAX_PROPERTY_VALUE_LENGTH} characters`;
      }
    } else if (typeof item === 'number') {
      if (!Number.isFinite(item)) return `${name} must be a finite number`;
    } else if (typeof item !== 'boolean') {
      return `${name} must be a string, number or boolean${allowNull ? ' (or null to remove it)' : ''}`;
    }
  }
  return null;
}

/** {name: string | number | boolean}, at most 100 entries, bounded values; `allowNull`: null removes. */
export function IsPropertyMap(allowNull: boolean, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPropertyMap',
      validator: {
        validate: (value) => propertyMapProblem(value, allowNull) === null,
        defaultMessage: (args) =>
          `${args?.property} ${propertyMapProblem(args?.value, allowNull) ?? 'is invalid'}`,
      },
    },
    options,
  );
}

function depth(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depth));
  if (isPlainObject(value)) return 1 + Math.max(0, ...Object.values(value).map(depth));
  return 0;
}

/** Why a free JSON object is unacceptable, or null when it is fine. */
export function jsonObjectProblem(value: unknown): string | null {
  if (!isPlainObject(value)) return 'must be a JSON object';
  const size = Buffer.byteLength(JSON.stringify(value));
  if (size > MAX_JSON_OBJECT_BYTES) return `is larger than ${MAX_JSON_OBJECT_BYTES} bytes`;
  if (depth(value) > MAX_JSON_DEPTH) return `is nested deeper than ${MAX_JSON_DEPTH} levels`;
  return null;
}

export function IsBoundedJsonObject(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isBoundedJsonObject',
      validator: {
        validate: (value) => jsonObjectProblem(value) === null,
        defaultMessage: (args) =>
          `${args?.property} ${jsonObjectProblem(args?.value) ?? 'is invalid'}`,
      },
    },
    options,
  );
}

/** One property value: a string (bounded), a finite number or a boolean. */
export function IsPropertyValue(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPropertyValue',
      validator: {
        validate: (value) =>
          (typeof value === 'string' && value.length <= MAX_PROPERTY_VALUE_LENGTH) ||
          (typeof value === 'number' && Number.isFinite(value)) ||
          typeof value === 'boolean',
        defaultMessage: (args) =>
          `${args?.property} must be a string of at most ${MAX_PROPERTY_VALUE_LENGTH} characters, a finite number or a boolean`,
      },
    },
    options,
  );
}

/**
 * Like @IsOptional(), but for fields that may be left out and may not be
 * null: null is then checked by the field's other decorators (and refused),
 * instead of being let through as "absent".
 */
export function IsOptionalNotNull(): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined);
}
