// IANA time zones. The list comes from the runtime (Intl.supportedValuesOf),
// plus UTC, which that list leaves out. V8's list uses CLDR's canonical ids,
// some of them outdated (Asia/Calcutta, Europe/Kiev), so a name the runtime's
// time zone database knows under a current IANA name (Asia/Kolkata,
// Europe/Kyiv) is accepted too, as long as it has the Area/Location shape:
// that keeps out offsets (+05:00) and abbreviations (EST) that Intl would
// also take but that are not zones.

export const DEFAULT_TIMEZONE = 'America/Los_Angeles';

let byLowerCase: Map<string, string> | undefined;

function supportedZones(): Map<string, string> {
  byLowerCase ??= new Map(
    [...Intl.supportedValuesOf('timeZone'), 'UTC'].map((zone) => [zone.toLowerCase(), zone]),
  );
  return byLowerCase;
}

const AREA_LOCATION = /^[A-Z][A-Za-z_-]*(\/[A-Z][A-Za-z0-9_+-]*)+$/;

function runtimeKnows(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The zone's canonical spelling, or null when it is not an IANA time zone. Case-insensitive for listed zones. */
export function canonicalTimezone(raw: string): string | null {
  const input = raw.trim();
  const listed = supportedZones().get(input.toLowerCase());
  if (listed) return listed;
  return AREA_LOCATION.test(input) && runtimeKnows(input) ? input : null;
}
