// ISO 8601 times as events carry them: a full timestamp with a zone (Z or
// an offset), stored as UTC with milliseconds (Date.toISOString). Checked
// field by field because Date.parse quietly rolls 2026-02-30 over to March.

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))$/;
const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isRealDate(year: number, month: number, day: number): boolean {
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return (
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  );
}

/** The timestamp in UTC (2026-01-15T10:00:00.000Z), or null when it is not a valid ISO 8601 timestamp with a zone. */
export function canonicalTimestamp(raw: string): string | null {
  const match = TIMESTAMP.exec(raw.trim());
  if (!match) return null;
  const [
    ,
    year,
    month,
    day,
    hour,
    minute,
    second = '0',
    zone,
    offsetHours = '0',
    offsetMinutes = '0',
  ] = match;
  if (!isRealDate(Number(year), Number(month), Number(day))) return null;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return null;
  if (zone !== 'Z' && (Number(offsetHours) > 14 || Number(offsetMinutes) > 59)) return null;
  const time = Date.parse(raw.trim());
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

/** True for a real calendar date written YYYY-MM-DD. */
export function isCalendarDate(raw: string): boolean {
  const match = CALENDAR_DATE.exec(raw);
  return match !== null && isRealDate(Number(match[1]), Number(match[2]), Number(match[3]));
}
