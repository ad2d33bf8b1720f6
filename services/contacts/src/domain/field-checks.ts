// Field checks for contact and tag commands: each returns the field's canonical
// value or throws a RuleViolationError (422) whose code says what is wrong
// and whose details name the field, which the HTTP edge turns into a
// problem+json field error. Built on the small validators beside it.
import { isIP } from 'node:net';
import { isOneOf } from '@engagement/contracts';
import { RuleViolationError } from '@engagement/decider';
import { isValidEmail, normaliseEmail } from './email';
import { isProviderKey, isUuid } from './identifiers';
import { canonicalTimestamp } from './iso-time';
import { canonicalLocale } from './locale';
import { isE164, normalisePhone } from './phone';
import { cleanText } from './text';
import { canonicalTimezone } from './timezone';
import { canonicalHttpUrl } from './url';

export const MAX_NAME_LENGTH = 255;
export const MAX_REASON_LENGTH = 500;
export const MAX_EXTERNAL_ID_LENGTH = 255;
export const MAX_SYNC_TO_CRMS = 20;
/** contacts.lead_score is an INTEGER column. */
export const MAX_LEAD_SCORE = 2_147_483_647;
export const MIN_LEAD_SCORE = -2_147_483_648;

export function invalid(field: string, code: string, message: string): RuleViolationError {
  return new RuleViolationError(message, code, { field });
}

export function checkEmail(raw: string): string {
  const email = normaliseEmail(raw);
  if (!isValidEmail(email)) throw invalid('email', 'invalid-email', 'email is not a valid address');
  return email;
}

export function checkName(field: string, raw: string | null): string | null {
  const result = cleanText(raw, MAX_NAME_LENGTH);
  if (!result.ok) throw invalid(field, 'invalid-name', `${field} ${result.reason}`);
  return result.value;
}

export function checkPhone(raw: string | null): string | null {
  if (raw === null || raw.trim() === '') return null;
  const phone = normalisePhone(raw);
  if (!isE164(phone)) {
    throw invalid('phone', 'invalid-phone', 'phone must be in E.164 form, e.g. +14155550100');
  }
  return phone;
}

export function checkTimezone(raw: string): string {
  const timezone = canonicalTimezone(raw);
  if (timezone === null) {
    throw invalid('timezone', 'invalid-timezone', `${raw} is not an IANA time zone`);
  }
  return timezone;
}

export function checkLocale(raw: string): string {
  const locale = canonicalLocale(raw);
  if (locale === null) {
    throw invalid('locale', 'invalid-locale', `${raw} is not a BCP 47 language tag`);
  }
  return locale;
}

export function checkUrl(field: string, raw: string | null): string | null {
  if (raw === null || raw.trim() === '') return null;
  const url = canonicalHttpUrl(raw);
  if (url === null) throw invalid(field, 'invalid-url', `${field} must be an absolute http(s) URL`);
  return url;
}

export function checkTimestamp(
  field: string,
  raw: string | undefined | null,
  fallback: Date,
): string {
  if (raw === undefined || raw === null) return fallback.toISOString();
  const timestamp = canonicalTimestamp(raw);
  if (timestamp === null) {
    throw invalid(field, 'invalid-timestamp', `${field} must be an ISO 8601 timestamp with a zone`);
  }
  return timestamp;
}

export function checkUuid(field: string, raw: string): string {
  if (!isUuid(raw)) throw invalid(field, 'invalid-id', `${field} must be a UUID`);
  return raw.toLowerCase();
}

/** The code names the field: lifecycleStage → invalid-lifecycle-stage. */
export function checkOneOf<const T extends readonly string[]>(
  field: string,
  values: T,
  raw: unknown,
): T[number] {
  if (isOneOf(values, raw)) return raw;
  const code = 'invalid-' + field.replace(/[A-Z]/g, (letter) => '-' + letter.toLowerCase());
  throw invalid(field, code, `${field} must be one of ${values.join(', ')}`);
}

export function checkProvider(field: string, raw: string): string {
  if (!isProviderKey(raw)) {
    throw invalid(field, 'invalid-provider', `${field} must be a provider key like hubspot`);
  }
  return raw;
}

export function checkSyncToCrms(raw: string[] | undefined): string[] {
  const providers = raw ?? [];
  if (providers.length > MAX_SYNC_TO_CRMS) {
    throw invalid(
      'syncToCrms',
      'invalid-provider',
      `syncToCrms names at most ${MAX_SYNC_TO_CRMS} CRMs`,
    );
  }
  // Order and repeats carry no meaning: one canonical list.
  return [...new Set(providers.map((p) => checkProvider('syncToCrms', p)))].sort();
}

/** A CRM's id for a record, list or tag: required, trimmed, bounded. */
export function checkExternalId(raw: string): string {
  const result = cleanText(raw, MAX_EXTERNAL_ID_LENGTH);
  if (!result.ok) throw invalid('externalId', 'invalid-external-id', `externalId ${result.reason}`);
  if (result.value === null)
    throw invalid('externalId', 'invalid-external-id', 'externalId is required');
  return result.value;
}

export function checkReason(raw: string): string {
  const result = cleanText(raw, MAX_REASON_LENGTH);
  if (!result.ok || result.value === null) {
    throw invalid(
      'reason',
      'invalid-reason',
      `reason ${result.ok ? 'is required' : result.reason}`,
    );
  }
  return result.value;
}

export function checkScore(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < MIN_LEAD_SCORE || value > MAX_LEAD_SCORE) {
    throw invalid(
      field,
      'invalid-lead-score',
      `${field} must be an integer that fits a 32-bit score`,
    );
  }
  return value;
}

export function checkIp(raw: string | null | undefined): string | null {
  if (raw === undefined || raw === null) return null;
  const ip = raw.trim();
  if (isIP(ip) === 0) throw invalid('ip', 'invalid-ip', 'ip must be an IPv4 or IPv6 address');
  return ip;
}
