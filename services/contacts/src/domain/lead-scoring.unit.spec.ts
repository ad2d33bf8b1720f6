import {
  activityPoints,
  DEFAULT_LEAD_SCORING_RULES,
  leadScoreAt,
  leadScoringRulesProblems,
  type LeadScoringRules,
} from './lead-scoring';

const now = new Date('2026-01-31T00:00:00.000Z');
const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();

const rules: LeadScoringRules = {
  points: { email_opened: 5, event_attended: 20, email_bounced: -10 },
  halfLifeDays: null,
};
const decaying: LeadScoringRules = { ...rules, halfLifeDays: 7 };

describe('activityPoints', () => {
  it('gives the points of the activity type, 0 for types without a rule', () => {
    expect(
      activityPoints(rules, { activityType: 'email_opened', occurredAt: daysAgo(400) }, now),
    ).toBe(5);
    expect(
      activityPoints(rules, { activityType: 'email_bounced', occurredAt: daysAgo(0) }, now),
    ).toBe(-10);
    expect(activityPoints(rules, { activityType: 'note_added', occurredAt: daysAgo(0) }, now)).toBe(
      0,
    );
  });

  it('halves the points every half-life, rounding toward zero', () => {
    const opened = (days: number) =>
      activityPoints(decaying, { activityType: 'event_attended', occurredAt: daysAgo(days) }, now);
    expect(opened(0)).toBe(20);
    expect(opened(6.9)).toBe(20);
    expect(opened(7)).toBe(10);
    expect(opened(14)).toBe(5);
    expect(opened(21)).toBe(2);
    expect(opened(70)).toBe(0);
  });

  it('decays negative points toward zero too, never to -0', () => {
    const bounced = (days: number) =>
      activityPoints(decaying, { activityType: 'email_bounced', occurredAt: daysAgo(days) }, now);
    expect(bounced(7)).toBe(-5);
    expect(bounced(21)).toBe(-1);
    expect(Object.is(bounced(28), 0)).toBe(true);
  });

  it('does not decay an activity dated after the scoring time', () => {
    expect(
      activityPoints(decaying, { activityType: 'email_opened', occurredAt: daysAgo(-30) }, now),
    ).toBe(5);
  });
});

describe('leadScoreAt', () => {
  it('sums the points of the activities', () => {
    const activities = [
      { activityType: 'email_opened' as const, occurredAt: daysAgo(1) },
      { activityType: 'event_attended' as const, occurredAt: daysAgo(8) },
      { activityType: 'email_bounced' as const, occurredAt: daysAgo(2) },
    ];
    expect(leadScoreAt(rules, activities, now)).toBe(15);
    expect(leadScoreAt(decaying, activities, now)).toBe(5);
    expect(leadScoreAt(rules, [], now)).toBe(0);
  });
});

describe('leadScoringRulesProblems', () => {
  it('accepts the defaults and refuses fractional points or half-lives', () => {
    expect(leadScoringRulesProblems(DEFAULT_LEAD_SCORING_RULES)).toEqual([]);
    expect(leadScoringRulesProblems({ points: { email_opened: 1.5 }, halfLifeDays: null })).toEqual(
      ['points for email_opened must be an integer'],
    );
    expect(leadScoringRulesProblems({ points: {}, halfLifeDays: 0 })).toHaveLength(1);
    expect(leadScoringRulesProblems({ points: {}, halfLifeDays: 2.5 })).toHaveLength(1);
  });
});
