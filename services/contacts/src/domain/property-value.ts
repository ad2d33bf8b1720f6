// Custom property values: checked against the property's type and turned
// into the one string the seed stores (contact_properties.property_value is
// TEXT). One canonical form per value, so "1.50" and 1.5 are the same value
// and setting either twice records nothing the second time.
//
// Typed properties also take their value as a string, because forms and CRMs
// send everything as text; a string property takes only strings, so a client
// that sends a number where text was declared hears about it.
import type { PropertyType } from '@engagement/contracts';
import { canonicalTimestamp, isCalendarDate } from './iso-time';

export type PropertyInput = string | number | boolean;
export type PropertyValueResult = { ok: true; value: string } | { ok: false; reason: string };

export const MAX_PROPERTY_VALUE_LENGTH = 10_000;
export const MAX_ENUM_OPTIONS = 500;
export const MAX_ENUM_OPTION_LENGTH = 200;

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function ok(value: string): PropertyValueResult {
  return { ok: true, value };
}

function fail(reason: string): PropertyValueResult {
  return { ok: false, reason };
}

function canonicalNumber(input: PropertyInput): PropertyValueResult {
  let n: number;
  if (typeof input === 'number') n = input;
  else if (typeof input === 'string' && DECIMAL.test(input.trim())) n = Number(input.trim());
  else return fail('is not a number');
  // String() prints the shortest form that reads back as the same number; -0 prints "0".
  return Number.isFinite(n) ? ok(String(n)) : fail('is not a finite number');
}

function canonicalBoolean(input: PropertyInput): PropertyValueResult {
  if (typeof input === 'boolean') return ok(String(input));
  const text = typeof input === 'string' ? input.trim().toLowerCase() : '';
  return text === 'true' || text === 'false' ? ok(text) : fail('is not true or false');
}

/** A calendar date stays YYYY-MM-DD (a birthday has no time zone); a timestamp becomes UTC. */
function canonicalDate(input: PropertyInput): PropertyValueResult {
  if (typeof input !== 'string') return fail('is not an ISO 8601 date');
  const text = input.trim();
  if (isCalendarDate(text)) return ok(text);
  const timestamp = canonicalTimestamp(text);
  return timestamp
    ? ok(timestamp)
    : fail('is not an ISO 8601 date (YYYY-MM-DD) or timestamp with a zone');
}

function canonicalString(input: PropertyInput): PropertyValueResult {
  if (typeof input !== 'string') return fail('is not a string');
  return input.length <= MAX_PROPERTY_VALUE_LENGTH
    ? ok(input)
    : fail(`is longer than ${MAX_PROPERTY_VALUE_LENGTH} characters`);
}

/** An enum's value must be one of its options, exactly (case matters: options are labels). */
function canonicalEnum(
  input: PropertyInput,
  options: readonly string[] | null,
): PropertyValueResult {
  if (typeof input !== 'string') return fail('is not one of the options');
  return options?.includes(input) ? ok(input) : fail('is not one of the options');
}

/** Checks the value against the type; on success, its canonical string representation. */
export function canonicalPropertyValue(
  type: PropertyType,
  input: PropertyInput,
  enumOptions: readonly string[] | null,
): PropertyValueResult {
  switch (type) {
    case 'string':
      return canonicalString(input);
    case 'number':
      return canonicalNumber(input);
    case 'boolean':
      return canonicalBoolean(input);
    case 'date':
      return canonicalDate(input);
    case 'enum':
      return canonicalEnum(input, enumOptions);
  }
}

/**
 * Enum properties need their options: a non-empty list of distinct,
 * non-blank labels. Other types must not carry options (null or absent),
 * so a stored option list always means "this is an enum".
 * Returns why the options are wrong, or null when they are fine.
 */
export function enumOptionsProblem(
  type: PropertyType,
  options: readonly string[] | null,
): string | null {
  if (type !== 'enum') {
    return options === null ? null : `options are only for enum properties, not ${type}`;
  }
  if (options === null || options.length === 0) return 'an enum property needs its options';
  if (options.length > MAX_ENUM_OPTIONS) {
    return `an enum property has at most ${MAX_ENUM_OPTIONS} options`;
  }
  for (const option of options) {
    if (typeof option !== 'string' || option.trim().length === 0) {
      return 'options must be non-blank strings';
    }
    if (option.length > MAX_ENUM_OPTION_LENGTH) {
      return `options are at most ${MAX_ENUM_OPTION_LENGTH} characters`;
    }
  }
  return new Set(options).size === options.length ? null : 'options must be distinct';
}
