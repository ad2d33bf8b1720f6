// What GoHighLevel accepts in a contact body (CreateContactDto, UpdateContactDto,
// UpsertContactDto of its v2 API) and how it stores it: unknown fields are
// refused ("property x should not exist", 422), emails kept lower-case,
// phones in E.164, custom fields as [{id, value}].

export const CONTACT_FIELDS = [
  'firstName', 'lastName', 'name', 'email', 'gender', 'phone', 'address1', 'city', 'state', 'postalCode',
  'website', 'timezone', 'dnd', 'dndSettings', 'inboundDndSettings', 'tags', 'customFields', 'source',
  'dateOfBirth', 'country', 'companyName', 'assignedTo',
] as const;

const STRING_FIELDS = new Set([
  'firstName', 'lastName', 'name', 'email', 'gender', 'phone', 'address1', 'city', 'state', 'postalCode',
  'website', 'timezone', 'source', 'country', 'companyName', 'assignedTo',
]);

export interface ContactInput {
  locationId?: string;
  fields: Record<string, unknown>;
  createNewIfDuplicateAllowed?: boolean;
}

/** The accepted fields, normalised, or the 422 messages. */
export function parseContactInput(
  body: unknown,
  kind: 'create' | 'update' | 'upsert',
): { ok: true; input: ContactInput } | { ok: false; messages: string[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, messages: ['body must be an object'] };
  const b = body as Record<string, unknown>;
  const messages: string[] = [];
  const fields: Record<string, unknown> = {};
  const allowed = new Set<string>([...CONTACT_FIELDS, ...(kind === 'update' ? [] : ['locationId']), ...(kind === 'upsert' ? ['createNewIfDuplicateAllowed'] : [])]);
  for (const [k, v] of Object.entries(b)) {
    if (!allowed.has(k)) {
      messages.push(`property ${k} should not exist`);
      continue;
    }
    if (k === 'locationId' || k === 'createNewIfDuplicateAllowed') continue;
    if (v === null || v === undefined) continue;
    if (STRING_FIELDS.has(k) && typeof v !== 'string') {
      messages.push(`${k} must be a string`);
      continue;
    }
    if (k === 'email') {
      const email = (v as string).trim().toLowerCase();
      if (email !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) messages.push('email must be an email');
      else fields.email = email;
    } else if (k === 'phone') {
      const phone = normalisePhone(v as string);
      if (phone === null) messages.push('phone must be a valid phone number');
      else fields.phone = phone;
    } else if (k === 'tags') {
      if (!Array.isArray(v) || v.some((t) => typeof t !== 'string')) messages.push('each value in tags must be a string');
      else fields.tags = normaliseTags(v as string[]);
    } else if (k === 'customFields') {
      const parsed = parseCustomFields(v);
      if (typeof parsed === 'string') messages.push(parsed);
      else fields.customFields = parsed;
    } else if (k === 'dnd') {
      if (typeof v !== 'boolean') messages.push('dnd must be a boolean value');
      else fields.dnd = v;
    } else fields[k] = v;
  }
  if (kind !== 'update' && (typeof b.locationId !== 'string' || b.locationId === '')) messages.push('locationId should not be empty');
  if (messages.length) return { ok: false, messages };
  return {
    ok: true,
    input: {
      locationId: typeof b.locationId === 'string' ? b.locationId : undefined,
      fields,
      createNewIfDuplicateAllowed: b.createNewIfDuplicateAllowed === true,
    },
  };
}

/** E.164: "+" and digits; ten digits without a country code are taken as North American. */
export function normalisePhone(raw: string): string | null {
  const trimmed = raw.trim();
  if (trimmed === '') return '';
  const digits = trimmed.replace(/[^\d]/g, '');
  if (digits.length < 7 || digits.length > 15) return null;
  if (trimmed.startsWith('+')) return `+${digits}`;
  return digits.length === 10 ? `+1${digits}` : `+${digits}`;
}

/** GoHighLevel keeps tags lower-case, without duplicates. */
export function normaliseTags(tags: string[]): string[] {
  return [...new Set(tags.map((t) => t.trim().toLowerCase()).filter(Boolean))];
}

function parseCustomFields(v: unknown): Array<{ id: string; value: unknown }> | string {
  if (!Array.isArray(v)) return 'customFields must be an array';
  const out: Array<{ id: string; value: unknown }> = [];
  for (const f of v as Array<Record<string, unknown>>) {
    const id = typeof f?.id === 'string' ? f.id : typeof f?.key === 'string' ? f.key : null;
    if (!id) return 'each custom field needs an id or a key';
    out.push({ id, value: f.field_value ?? f.value ?? null });
  }
  return out;
}
