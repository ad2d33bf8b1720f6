// One import row, checked as the body of POST /contacts would be (the same
// DTO, the same limits), then upserted by email: a row for an email that
// exists updates that contact. Each row is all or nothing (one append for
// the contact), and its ids are derived from the job and the row number, so
// that processing a row again after a restart repeats itself instead of
// creating a second contact.
//
// A row counts as 'created' when the contact it wrote to is the one its
// derived id names, whichever attempt created it: a batch done again after a
// failure finds the contacts its lost attempt created, and the job still
// reports them as created, not updated. A row whose email belongs to another
// contact (one that existed before, or one an earlier row of the same file
// created) counts as 'updated'.
import { createHash } from 'node:crypto';
import { DomainError, type CommandContext } from '@engagement/decider';
import { WrongExpectedRevisionError } from '@engagement/event-store';
import { validationProblem, type FieldError } from '@engagement/http';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { LIFECYCLE_STAGES } from '@engagement/contracts';
import {
  CreateContactDto,
  MAX_CRMS,
  MAX_EMAIL_INPUT,
  MAX_LOCALE_INPUT,
  MAX_NAME_INPUT,
  MAX_PHONE_INPUT,
  MAX_TAG_INPUT,
  MAX_URL_INPUT,
  MAX_ZONE_INPUT,
  PROVIDER,
} from '../contacts/contact.dto';
import { MAX_TAGS_PER_REQUEST, propertyMapProblem } from '../shared/validators';
import type {
  CreateContactHandler,
  CreateContactRequest,
} from '../contacts/create-contact.handler';
import type { ImportRow } from './import-parser';

export type RowOutcome = { kind: 'created' | 'updated' } | { kind: 'failed'; errors: FieldError[] };

/** A UUID (version 8: "custom") derived from a name: the same name, the same id. */
export function derivedUuid(name: string): string {
  const hex = createHash('sha256').update(name, 'utf8').digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export async function importRow(
  handler: CreateContactHandler,
  jobId: string,
  row: ImportRow,
  context: CommandContext,
): Promise<RowOutcome> {
  const checked = await checkImportRow(jobId, row);
  if (checked.kind === 'failed') return checked;
  return applyImportRow(handler, checked.request, context);
}

/** A row as a create request, or the row's errors (the DTO's rules, as for POST /contacts). */
export async function checkImportRow(
  jobId: string,
  row: ImportRow,
): Promise<
  { kind: 'request'; request: CreateContactRequest } | Extract<RowOutcome, { kind: 'failed' }>
> {
  if (row.record === null) {
    return { kind: 'failed', errors: [{ field: '', message: row.problem ?? 'unreadable row' }] };
  }
  let dto: CreateContactDto;
  if (plainlyValid(row.record)) dto = row.record as unknown as CreateContactDto;
  else {
    const checked = await checkWithDto(row.record);
    if (checked.kind === 'failed') return checked;
    dto = checked.dto;
  }

  const rowKey = `${jobId}:${row.rowNumber}`;
  return {
    kind: 'request',
    request: {
      input: {
        email: dto.email,
        firstName: dto.firstName,
        lastName: dto.lastName,
        phone: dto.phone,
        timezone: dto.timezone,
        locale: dto.locale,
        avatarUrl: dto.avatarUrl,
        lifecycleStage: dto.lifecycleStage,
        properties: dto.properties,
        syncToCrms: dto.syncToCrms,
        source: 'import',
      },
      tags: dto.tags ?? [],
      mode: 'upsert',
      contactId: derivedUuid(rowKey),
      newIds: () => {
        let counter = 0;
        return () => derivedUuid(`${rowKey}:${++counter}`);
      },
    },
  };
}

/** The record checked by CreateContactDto, as POST /contacts checks its body: the DTO, or the row's errors. */
export async function checkWithDto(
  record: Record<string, unknown>,
): Promise<{ kind: 'dto'; dto: CreateContactDto } | Extract<RowOutcome, { kind: 'failed' }>> {
  const dto = plainToInstance(CreateContactDto, record);
  const problems = await validate(dto, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  if (problems.length > 0) {
    return { kind: 'failed', errors: validationProblem(problems).problem.errors ?? [] };
  }
  return { kind: 'dto', dto };
}

const DTO_FIELDS = new Set([
  'email',
  'firstName',
  'lastName',
  'phone',
  'timezone',
  'locale',
  'avatarUrl',
  'lifecycleStage',
  'properties',
  'tags',
  'syncToCrms',
]);
const STAGES: ReadonlySet<unknown> = new Set(LIFECYCLE_STAGES);

/**
 * True only for a record that CreateContactDto certainly accepts as it is:
 * the fields it knows (not `source`, which an import sets itself), each of
 * the right type and within the DTO's bounds (a string's length counted in
 * UTF-16 units, never less than class-validator's count). Such a record is
 * the request as class-validator would hand it over, so the import skips
 * class-validator for it: about a twentieth of a millisecond per row, for
 * the same outcome. Any other record, valid or not, goes through the DTO,
 * which gives the row's errors exactly as POST /contacts would.
 */
export function plainlyValid(record: Record<string, unknown>): boolean {
  if (Object.getPrototypeOf(record) !== Object.prototype) return false;
  for (const key in record) if (!DTO_FIELDS.has(key)) return false;
  const r = record as Record<string, unknown>;
  return (
    isText(r.email, MAX_EMAIL_INPUT) &&
    optionalText(r.firstName, MAX_NAME_INPUT, true) &&
    optionalText(r.lastName, MAX_NAME_INPUT, true) &&
    optionalText(r.phone, MAX_PHONE_INPUT, true) &&
    optionalText(r.avatarUrl, MAX_URL_INPUT, true) &&
    optionalText(r.timezone, MAX_ZONE_INPUT, false) &&
    optionalText(r.locale, MAX_LOCALE_INPUT, false) &&
    (r.lifecycleStage === undefined || STAGES.has(r.lifecycleStage)) &&
    (r.properties === undefined || propertyMapProblem(r.properties, true) === null) &&
    (r.tags === undefined ||
      textList(r.tags, MAX_TAGS_PER_REQUEST, (tag) => isText(tag, MAX_TAG_INPUT))) &&
    (r.syncToCrms === undefined ||
      textList(r.syncToCrms, MAX_CRMS, (crm) => typeof crm === 'string' && PROVIDER.test(crm)))
  );
}

function isText(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length <= max;
}

function optionalText(value: unknown, max: number, nullable: boolean): boolean {
  return value === undefined || (nullable && value === null) || isText(value, max);
}

function textList(value: unknown, max: number, each: (item: unknown) => boolean): boolean {
  return Array.isArray(value) && value.length <= max && value.every(each);
}

/** A checked row through the single-create path (create-contact.handler.ts). */
export async function applyImportRow(
  handler: CreateContactHandler,
  request: CreateContactRequest,
  context: CommandContext,
): Promise<RowOutcome> {
  try {
    const outcome = await handler.execute(request, context);
    return { kind: outcome.contactId === request.contactId ? 'created' : 'updated' };
  } catch (error) {
    return rowFailure(error);
  }
}

/**
 * A rule the row breaks (422), an email in flux or a busy contact (409):
 * the row's failure. Anything else (the database is down) is thrown: it
 * fails the batch, which is retried.
 */
export function rowFailure(error: unknown): Extract<RowOutcome, { kind: 'failed' }> {
  if (error instanceof WrongExpectedRevisionError) {
    return {
      kind: 'failed',
      errors: [
        { field: '', message: 'the contact was busy with other changes; import the row again' },
      ],
    };
  }
  if (!(error instanceof DomainError)) throw error;
  const field = typeof error.details.field === 'string' ? error.details.field : '';
  return { kind: 'failed', errors: [{ field, message: error.message }] };
}
