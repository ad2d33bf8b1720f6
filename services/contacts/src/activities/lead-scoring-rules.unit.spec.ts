import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LEAD_SCORING_RULES } from '../domain';
import { loadLeadScoringRules } from './lead-scoring-rules';

describe('lead scoring rules', () => {
  it('uses the defaults when nothing is configured', () => {
    expect(loadLeadScoringRules(undefined)).toBe(DEFAULT_LEAD_SCORING_RULES);
  });

  it('reads inline JSON or a JSON file', () => {
    const inline = loadLeadScoringRules('{"points": {"page_viewed": 5}, "halfLifeDays": 30}');
    expect(inline).toEqual({ points: { page_viewed: 5 }, halfLifeDays: 30 });
    const file = join(mkdtempSync(join(tmpdir(), 'rules-')), 'rules.json');
    writeFileSync(file, '{"points": {"form_submitted": 7}}');
    expect(loadLeadScoringRules(file)).toEqual({
      points: { form_submitted: 7 },
      halfLifeDays: null,
    });
  });

  it('stops the service on rules it cannot apply', () => {
    expect(() => loadLeadScoringRules('{"points": {"page_visited": 1}}')).toThrow(
      /not an activity type/,
    );
    expect(() => loadLeadScoringRules('{"points": {"page_viewed": 1.5}}')).toThrow(/integer/);
    expect(() => loadLeadScoringRules('{"points": {}, "halfLifeDays": 0}')).toThrow(/halfLifeDays/);
    expect(() => loadLeadScoringRules('{nope')).toThrow(/not valid JSON/);
  });
});
