// Deciding, field by field, what an inbound change from a CRM does here.
// Pure: the shell brings what we know (our current values, what the CRM had
// as far as we know, when our side last changed) and the policy.
//
// For each field the CRM reports:
// - our value already: nothing to do (our own echo, or a redelivery);
// - what we last sent or received for that field: our own echo of an
//   earlier push, overtaken by a newer change here; not applied;
// - otherwise a genuine change at the CRM. If our side did not change that
//   field since we last synced it, it is taken. If both sides changed it,
//   the conflict policy of the field decides: last writer wins (by the
//   change's own timestamp, the default), crm wins, or ours wins. A losing
//   CRM change is skipped with its reason, and ours is pushed back, so both
//   sides converge to the same value.

export const CONFLICT_POLICIES = ['last_writer_wins', 'crm_wins', 'ours_wins'] as const;
export type ConflictPolicy = (typeof CONFLICT_POLICIES)[number];

/** What the CRM has in a field as far as we know, and since when. */
export interface KnownValue {
  value: string | null;
  /** pushed: we sent it; received: the CRM told us. */
  origin: 'pushed' | 'received';
  /** When the change happened (ours for a push, the CRM's for a received value). */
  at: string;
  /** A push: when it reached the CRM (it overwrote whatever the CRM had then). */
  landedAt?: string | null;
}

export interface PlanInput {
  /** CRM field → the CRM's new value. */
  fields: Record<string, string | null>;
  occurredAt: string;
  /** Our current values in CRM field names (mapped); null when the contact is not here yet. */
  ours: Record<string, string> | null;
  /** When our side last changed (the connector's view of the contact). */
  oursChangedAt: string | null;
  known: Record<string, KnownValue>;
  policyOf(crmField: string): ConflictPolicy;
}

export interface InboundPlan {
  /** CRM field → value to apply here. */
  take: Record<string, string | null>;
  /** Fields whose value we already have (echoes, redeliveries). */
  unchanged: string[];
  /** CRM field → why the CRM's value was not taken. */
  skipped: Record<string, string>;
  /** A skipped field keeps our value: push it back so the CRM converges. */
  pushOurs: boolean;
}

/** '' and null are the same thing in a CRM field: no value. */
export function normalised(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

export function planInbound(input: PlanInput): InboundPlan {
  const plan: InboundPlan = { take: {}, unchanged: [], skipped: {}, pushOurs: false };
  const crmAt = Date.parse(input.occurredAt);
  for (const [field, raw] of Object.entries(input.fields)) {
    const value = normalised(raw);
    if (input.ours === null) {
      plan.take[field] = value;
      continue;
    }
    const ours = normalised(input.ours[field]);
    if (ours === value) {
      plan.unchanged.push(field);
      continue;
    }
    const known = input.known[field];
    if (known && normalised(known.value) === value) {
      plan.skipped[field] = known.origin === 'pushed' ? 'echo of our own push (a newer change here is on its way)' : 'already received';
      continue;
    }
    // Both sides changed the field: ours is not synced yet, or our push reached
    // the CRM after its change there (and overwrote it).
    const overwritten = known?.origin === 'pushed' && known.landedAt != null && Date.parse(known.landedAt) > crmAt;
    const pendingHere = known === undefined ? ours !== null : normalised(known.value) !== ours;
    if (!overwritten && !pendingHere) {
      plan.take[field] = value;
      continue;
    }
    const oursAt = overwritten && !pendingHere ? Date.parse(known!.at) : input.oursChangedAt === null ? Number.NEGATIVE_INFINITY : Date.parse(input.oursChangedAt);
    const policy = input.policyOf(field);
    if (policy === 'crm_wins' || (policy === 'last_writer_wins' && crmAt > oursAt)) {
      plan.take[field] = value;
    } else {
      plan.skipped[field] =
        policy === 'ours_wins'
          ? 'conflict: ours_wins'
          : `conflict: last_writer_wins, our change at ${new Date(oursAt).toISOString()} is newer than the CRM's at ${input.occurredAt}`;
      plan.pushOurs = true;
    }
  }
  return plan;
}

/**
 * The policy of one of our fields from the integration's config:
 * `conflict_policy: "crm_wins"` for all fields, or
 * `conflict_policy: {default: "last_writer_wins", fields: {phone: "crm_wins"}}`.
 */
export function conflictPolicyOf(config: Record<string, unknown>, ourField: string): ConflictPolicy {
  const setting = config.conflict_policy ?? config.conflictPolicy;
  const valid = (v: unknown): v is ConflictPolicy => typeof v === 'string' && (CONFLICT_POLICIES as readonly string[]).includes(v);
  if (valid(setting)) return setting;
  if (setting && typeof setting === 'object') {
    const { default: fallback, fields } = setting as { default?: unknown; fields?: Record<string, unknown> };
    const own = fields?.[ourField];
    if (valid(own)) return own;
    if (valid(fallback)) return fallback;
  }
  return 'last_writer_wins';
}
