import { conflictPolicyOf, planInbound, type PlanInput } from './inbound-plan';

const base: PlanInput = {
  fields: {},
  occurredAt: '2026-12-04T21:00:00.000Z',
  ours: { firstname: 'Ada', phone: '+14155550100' },
  oursChangedAt: '2026-12-04T20:00:00.000Z',
  known: {
    firstname: { value: 'Ada', origin: 'pushed', at: '2026-12-04T20:00:01.000Z' },
    phone: { value: '+14155550100', origin: 'pushed', at: '2026-12-04T20:00:01.000Z' },
  },
  policyOf: () => 'last_writer_wins',
};

describe('planInbound', () => {
  it('takes a change at the CRM to a field we did not change', () => {
    const plan = planInbound({ ...base, fields: { firstname: 'Grace' } });
    expect(plan).toEqual({ take: { firstname: 'Grace' }, unchanged: [], skipped: {}, pushOurs: false });
  });

  it('does nothing with a value we already have (our echo, a redelivery)', () => {
    const plan = planInbound({ ...base, fields: { firstname: 'Ada', phone: '+14155550100' } });
    expect(plan.take).toEqual({});
    expect(plan.unchanged.sort()).toEqual(['firstname', 'phone']);
  });

  it('recognises the echo of an older push when ours changed since', () => {
    const plan = planInbound({ ...base, ours: { firstname: 'Ann' }, fields: { firstname: 'Ada' } });
    expect(plan.take).toEqual({});
    expect(plan.skipped.firstname).toMatch(/echo/);
  });

  it('treats empty and missing as the same value', () => {
    const plan = planInbound({ ...base, ours: { firstname: 'Ada' }, known: {}, fields: { lastname: '' } });
    expect(plan.unchanged).toEqual(['lastname']);
  });

  describe('a field changed on both sides', () => {
    const both: PlanInput = { ...base, ours: { firstname: 'Ann' }, fields: { firstname: 'Grace' } };

    it('last writer wins by the change timestamps', () => {
      expect(planInbound({ ...both, oursChangedAt: '2026-12-04T20:59:00.000Z' }).take).toEqual({ firstname: 'Grace' });
      const older = planInbound({ ...both, oursChangedAt: '2026-12-04T21:00:05.000Z' });
      expect(older.take).toEqual({});
      expect(older.skipped.firstname).toMatch(/last_writer_wins/);
      expect(older.pushOurs).toBe(true);
    });

    it('crm wins, ours wins', () => {
      const late = { ...both, oursChangedAt: '2026-12-04T22:00:00.000Z' };
      expect(planInbound({ ...late, policyOf: () => 'crm_wins' }).take).toEqual({ firstname: 'Grace' });
      const ours = planInbound({ ...both, policyOf: () => 'ours_wins' });
      expect(ours.take).toEqual({});
      expect(ours.skipped.firstname).toBe('conflict: ours_wins');
      expect(ours.pushOurs).toBe(true);
    });
  });

  describe('a CRM change that our push overwrote there (it landed after the change)', () => {
    const overwritten: PlanInput = {
      ...base,
      ours: { firstname: 'Ann' },
      known: { firstname: { value: 'Ann', origin: 'pushed', at: '2026-12-04T20:59:50.000Z', landedAt: '2026-12-04T21:00:10.000Z' } },
      fields: { firstname: 'Grace' },
    };

    it('is a conflict: last writer wins by the two changes own times', () => {
      expect(planInbound(overwritten).take).toEqual({ firstname: 'Grace' });
      const older = planInbound({ ...overwritten, occurredAt: '2026-12-04T20:59:00.000Z' });
      expect(older.take).toEqual({});
      expect(older.skipped.firstname).toMatch(/last_writer_wins/);
      expect(older.pushOurs).toBe(true);
    });

    it('ours wins keeps ours', () => {
      const plan = planInbound({ ...overwritten, policyOf: () => 'ours_wins' });
      expect(plan.take).toEqual({});
      expect(plan.skipped.firstname).toBe('conflict: ours_wins');
    });

    it('is no conflict when the push landed before the CRM change', () => {
      expect(planInbound({ ...overwritten, policyOf: () => 'ours_wins', occurredAt: '2026-12-04T21:00:20.000Z' }).take).toEqual({ firstname: 'Grace' });
    });
  });

  it('takes everything for a contact we do not have yet', () => {
    expect(planInbound({ ...base, ours: null, fields: { email: 'a@x.io', firstname: '' } }).take).toEqual({ email: 'a@x.io', firstname: null });
  });
});

describe('conflictPolicyOf', () => {
  it('reads one policy, or a default with per-field ones, and falls back to last writer wins', () => {
    expect(conflictPolicyOf({}, 'phone')).toBe('last_writer_wins');
    expect(conflictPolicyOf({ conflict_policy: 'crm_wins' }, 'phone')).toBe('crm_wins');
    const config = { conflict_policy: { default: 'ours_wins', fields: { phone: 'crm_wins' } } };
    expect(conflictPolicyOf(config, 'phone')).toBe('crm_wins');
    expect(conflictPolicyOf(config, 'first_name')).toBe('ours_wins');
    expect(conflictPolicyOf({ conflict_policy: 'nonsense' }, 'phone')).toBe('last_writer_wins');
  });
});
