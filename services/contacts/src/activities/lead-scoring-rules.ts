// Where the lead scoring rules come from: CONTACTS_LEAD_SCORING_RULES holds
// either the rules as inline JSON or the path of a JSON file with them,
//   {"points": {"email_opened": 1, "form_submitted": 10}, "halfLifeDays": null}
// and without it the defaults of domain/lead-scoring.ts apply. The rules
// are checked at start (known activity types, integer points), so a typo
// stops the service instead of silently scoring nothing.
import { readFileSync } from 'node:fs';
import { ACTIVITY_TYPES, isOneOf } from '@engagement/contracts';
import {
  DEFAULT_LEAD_SCORING_RULES,
  leadScoringRulesProblems,
  type LeadScoringRules,
} from '../domain';

export function loadLeadScoringRules(setting: string | undefined): LeadScoringRules {
  if (setting === undefined) return DEFAULT_LEAD_SCORING_RULES;
  const json = setting.trim().startsWith('{') ? setting : readFileSync(setting, 'utf8');
  return parseLeadScoringRules(json);
}

export function parseLeadScoringRules(json: string): LeadScoringRules {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('CONTACTS_LEAD_SCORING_RULES is not valid JSON');
  }
  const value = raw as { points?: unknown; halfLifeDays?: unknown } | null;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof value.points !== 'object' ||
    value.points === null
  ) {
    throw new Error(
      'CONTACTS_LEAD_SCORING_RULES must be {"points": {activityType: points}, "halfLifeDays": n | null}',
    );
  }
  for (const type of Object.keys(value.points)) {
    if (!isOneOf(ACTIVITY_TYPES, type)) {
      throw new Error(`CONTACTS_LEAD_SCORING_RULES: "${type}" is not an activity type`);
    }
  }
  const rules: LeadScoringRules = {
    points: value.points as LeadScoringRules['points'],
    halfLifeDays: (value.halfLifeDays ?? null) as number | null,
  };
  const problems = leadScoringRulesProblems(rules);
  if (problems.length > 0) throw new Error(`CONTACTS_LEAD_SCORING_RULES: ${problems.join('; ')}`);
  return rules;
}
