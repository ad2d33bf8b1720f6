// Lead scoring: configurable rules that say how many points an activity is
// worth. A contact's score is the sum of its activities' points.
//
// How it fits the decider: the shell computes an activity's points with
// activityPoints() under the rules configured now and puts them in the
// RecordActivity command; the decider records them in ActivityRecorded and
// adds them to the score (ContactLeadScoreChanged). The rules never enter the
// event store, so changing them changes future scoring, not history.
//
// Decay, when configured: an activity's points halve every `halfLifeDays`
// days after it occurred (rounded toward zero, so old activities end up
// worth nothing). It is computed when scoring: an activity recorded late is
// worth less at once, and a periodic job re-scores contacts with
// leadScoreAt() over their activities and sends ChangeLeadScore with reason
// 'decay'. That re-score replaces the sum, so with decay on, manual score
// adjustments last until the next re-score: an accepted simplification.
import type { ActivityType } from '@engagement/contracts';

export interface LeadScoringRules {
  /** Points per activity type; negative points lower the score; a type not listed is worth 0. */
  points: Partial<Record<ActivityType, number>>;
  /** Points halve every this many days after the activity; null: no decay. */
  halfLifeDays: number | null;
}

export interface ScorableActivity {
  activityType: ActivityType;
  /** ISO 8601. */
  occurredAt: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A starting point, not a recommendation: engagement earns, bounces and no-shows cost. */
export const DEFAULT_LEAD_SCORING_RULES: LeadScoringRules = {
  points: {
    email_opened: 1,
    email_clicked: 3,
    email_bounced: -10,
    sms_clicked: 3,
    page_viewed: 1,
    form_submitted: 10,
    file_downloaded: 5,
    event_registered: 10,
    event_attended: 20,
    event_no_show: -5,
    call_completed: 10,
    meeting_scheduled: 15,
    deal_created: 25,
  },
  halfLifeDays: null,
};

/** The problems with a rule set ([] when it is usable): points are integers, the half-life a positive integer. */
export function leadScoringRulesProblems(rules: LeadScoringRules): string[] {
  const problems: string[] = [];
  for (const [type, points] of Object.entries(rules.points)) {
    if (!Number.isSafeInteger(points)) problems.push(`points for ${type} must be an integer`);
  }
  if (
    rules.halfLifeDays !== null &&
    !(Number.isSafeInteger(rules.halfLifeDays) && rules.halfLifeDays > 0)
  ) {
    problems.push('halfLifeDays must be a positive integer or null');
  }
  return problems;
}

/** The points an activity is worth at `at` under the rules. An activity dated after `at` has not decayed. */
export function activityPoints(
  rules: LeadScoringRules,
  activity: ScorableActivity,
  at: Date,
): number {
  const base = rules.points[activity.activityType] ?? 0;
  if (base === 0 || rules.halfLifeDays === null) return base;
  const ageDays = Math.max(0, (at.getTime() - Date.parse(activity.occurredAt)) / DAY_MS);
  const halvings = Math.floor(ageDays / rules.halfLifeDays);
  const points = Math.trunc(base / 2 ** halvings);
  return points === 0 ? 0 : points; // never -0
}

/** The score the activities add up to at `at`. */
export function leadScoreAt(
  rules: LeadScoringRules,
  activities: readonly ScorableActivity[],
  at: Date,
): number {
  return activities.reduce((sum, activity) => sum + activityPoints(rules, activity, at), 0);
}
