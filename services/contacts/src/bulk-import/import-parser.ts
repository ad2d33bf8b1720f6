// Reading an uploaded import file into rows, before anything is imported:
// JSON lines (one contact object per line, the shape of POST /contacts) or
// CSV (RFC 4180: a header row, commas, "quoted" fields with "" for a quote,
// CRLF or LF). Row 1 is the first contact: the first non-blank line of a
// JSON-lines file, the line after the CSV header. A row that cannot be read
// becomes a row error; a file that cannot be read at all (a broken CSV
// header, too many rows) is refused at upload.
//
// CSV columns: email, firstName, lastName, phone, timezone, locale,
// avatarUrl, lifecycleStage (snake_case accepted too), tags and syncToCrms
// (several values separated by ";"), and any other column is a custom
// property of that name. Empty cells are left out.
import { RuleViolationError } from '@engagement/decider';

export type ImportFormat = 'ndjson' | 'csv';

export const MAX_IMPORT_ROWS = 100_000;

export interface ImportRow {
  rowNumber: number;
  /** The row as an object in the shape of POST /contacts; null when it could not be read. */
  record: Record<string, unknown> | null;
  /** Why the row could not be read. */
  problem?: string;
}

const CSV_FIELDS: Record<string, string> = {
  email: 'email',
  firstname: 'firstName',
  first_name: 'firstName',
  lastname: 'lastName',
  last_name: 'lastName',
  phone: 'phone',
  timezone: 'timezone',
  locale: 'locale',
  avatarurl: 'avatarUrl',
  avatar_url: 'avatarUrl',
  lifecyclestage: 'lifecycleStage',
  lifecycle_stage: 'lifecycleStage',
  tags: 'tags',
  synctocrms: 'syncToCrms',
  sync_to_crms: 'syncToCrms',
};
const LIST_FIELDS = new Set(['tags', 'syncToCrms']);
const PROPERTY_NAME = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;

function tooMany(): RuleViolationError {
  return new RuleViolationError(
    `An import holds at most ${MAX_IMPORT_ROWS} rows`,
    'too-many-rows',
    { field: 'body' },
  );
}

export function parseImport(format: ImportFormat, text: string): ImportRow[] {
  return format === 'ndjson' ? parseJsonLines(text) : parseCsvImport(text);
}

export function parseJsonLines(text: string): ImportRow[] {
  const rows: ImportRow[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    if (rows.length >= MAX_IMPORT_ROWS) throw tooMany();
    const rowNumber = rows.length + 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      rows.push({ rowNumber, record: null, problem: 'the line is not valid JSON' });
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      rows.push({ rowNumber, record: null, problem: 'the line is not a JSON object' });
      continue;
    }
    rows.push({ rowNumber, record: value as Record<string, unknown> });
  }
  return rows;
}

export function parseCsvImport(text: string): ImportRow[] {
  const records = parseCsv(text.replace(/^\uFEFF/, ''));
  const header = records.shift();
  if (!header || header.every((cell) => cell.trim() === '')) {
    throw new RuleViolationError('A CSV import starts with a header row', 'invalid-csv', {
      field: 'body',
    });
  }
  const columns = header.map((cell) => {
    const name = cell.trim();
    const field = CSV_FIELDS[name.toLowerCase()];
    if (field) return { field, property: false };
    if (!PROPERTY_NAME.test(name)) {
      throw new RuleViolationError(
        `CSV column "${name.slice(0, 100)}" is neither a contact field nor a valid property name`,
        'invalid-csv',
        { field: 'body' },
      );
    }
    return { field: name, property: true };
  });
  const rows: ImportRow[] = [];
  for (const cells of records) {
    if (cells.length === 1 && cells[0].trim() === '') continue; // a blank line
    if (rows.length >= MAX_IMPORT_ROWS) throw tooMany();
    const rowNumber = rows.length + 1;
    if (cells.length !== columns.length) {
      rows.push({
        rowNumber,
        record: null,
        problem: `the row has ${cells.length} cells; the header has ${columns.length}`,
      });
      continue;
    }
    const record: Record<string, unknown> = {};
    const properties: Record<string, string> = {};
    columns.forEach((column, i) => {
      const cell = cells[i].trim();
      if (cell === '') return;
      if (column.property) properties[column.field] = cell;
      else if (LIST_FIELDS.has(column.field)) {
        record[column.field] = cell
          .split(';')
          .map((item) => item.trim())
          .filter(Boolean);
      } else record[column.field] = cell;
    });
    if (Object.keys(properties).length > 0) record.properties = properties;
    rows.push({ rowNumber, record });
  }
  return rows;
}

/** The rest of a cell that is not (or no longer) quoted: up to the next comma or line end. */
const UNQUOTED = /[^,\r\n]*/y;

/**
 * RFC 4180 records: a list of cells per record. A quote opens a quoted
 * field only at the start of a cell; an unterminated quoted field is an
 * error for the whole file (everything after it would be misread). Scans
 * with indexOf and a sticky regex rather than character by character: a
 * 50 MB file is parsed inside the upload request.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let cells: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    let cell = '';
    if (text[pos] === '"') {
      const start = pos;
      const parts: string[] = [];
      pos++;
      for (;;) {
        const close = text.indexOf('"', pos);
        if (close === -1) {
          throw new RuleViolationError(
            `The CSV has a quoted field that never ends (at character ${start})`,
            'invalid-csv',
            { field: 'body' },
          );
        }
        parts.push(text.slice(pos, close));
        if (text[close + 1] === '"') {
          parts.push('"');
          pos = close + 2;
          continue;
        }
        pos = close + 1;
        break;
      }
      cell = parts.join('');
    }
    UNQUOTED.lastIndex = pos;
    UNQUOTED.exec(text);
    cell += text.slice(pos, UNQUOTED.lastIndex);
    pos = UNQUOTED.lastIndex;
    cells.push(cell);
    const delimiter = text[pos];
    if (delimiter === ',') {
      pos++;
      if (pos === text.length) cells.push(''); // "a," at the very end
      continue;
    }
    records.push(cells);
    cells = [];
    if (delimiter === '\r') pos += text[pos + 1] === '\n' ? 2 : 1;
    else if (delimiter === '\n') pos++;
  }
  if (cells.length > 0) records.push(cells);
  return records;
}
