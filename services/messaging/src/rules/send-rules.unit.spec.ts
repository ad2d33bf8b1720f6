import {
  checkSendRules,
  endOfQuietHours,
  parseQuietHours,
  startOfLocalDay,
  type SendRulesInput,
} from './send-rules';

// 2026-01-15T18:00Z is 10:00 in Los Angeles and 19:00 in Paris.
const noonish = new Date('2026-01-15T18:00:00.000Z');
const consenting = {
  status: 'active' as const,
  erased: false,
  consent: { email: true, sms: true, marketing: true },
  timezone: 'America/Los_Angeles',
};
const base: SendRulesInput = {
  channel: 'email',
  kind: 'marketing',
  recipient: consenting,
  now: noonish,
  quietHours: parseQuietHours('21:00-08:00'),
  sentToday: 0,
  dailyCap: 3,
};

describe('send rules', () => {
  it('given a consenting active contact at 10:00 local, when marketing is sent, then it goes', () => {
    expect(checkSendRules(base)).toEqual({ verdict: 'send' });
  });

  it('blocks marketing without channel or marketing consent, and for unsubscribed or bounced contacts', () => {
    const without = (consent: Record<string, boolean>) => ({
      ...base,
      recipient: { ...consenting, consent },
    });
    expect(checkSendRules(without({ marketing: true }))).toMatchObject({
      verdict: 'block',
      rule: 'consent',
    });
    expect(checkSendRules(without({ email: true }))).toMatchObject({
      verdict: 'block',
      reason: 'no marketing consent',
    });
    for (const status of ['unsubscribed', 'bounced'] as const) {
      expect(checkSendRules({ ...base, recipient: { ...consenting, status } })).toMatchObject({
        verdict: 'block',
        rule: 'status',
      });
    }
  });

  it('lets transactional messages through without marketing consent, in quiet hours and over the cap', () => {
    const night = new Date('2026-01-15T07:00:00.000Z'); // 23:00 in Los Angeles
    expect(
      checkSendRules({
        ...base,
        kind: 'transactional',
        now: night,
        sentToday: 9,
        recipient: { ...consenting, consent: {} },
      }),
    ).toEqual({ verdict: 'send' });
  });

  it('never sends a transactional message to a channel unsubscribe, a deleted or an erased contact', () => {
    const t = { ...base, kind: 'transactional' as const };
    expect(
      checkSendRules({ ...t, recipient: { ...consenting, consent: { email: false } } }),
    ).toMatchObject({ rule: 'consent' });
    expect(checkSendRules({ ...t, recipient: { ...consenting, status: 'deleted' } })).toMatchObject(
      { verdict: 'block' },
    );
    expect(checkSendRules({ ...t, recipient: { ...consenting, erased: true } })).toMatchObject({
      rule: 'erased',
    });
    expect(checkSendRules({ ...t, recipient: null })).toMatchObject({ rule: 'unknown-contact' });
  });

  it('defers marketing in quiet hours of the contact’s own time zone until they end', () => {
    const paris = { ...consenting, timezone: 'Europe/Paris' };
    // 19:00 in Paris: not quiet yet; 22:30 in Paris: quiet until 08:00 Paris = 07:00Z next day.
    expect(checkSendRules({ ...base, recipient: paris })).toEqual({ verdict: 'send' });
    expect(
      checkSendRules({ ...base, recipient: paris, now: new Date('2026-01-15T21:30:00.000Z') }),
    ).toEqual({
      verdict: 'defer',
      rule: 'quiet-hours',
      until: new Date('2026-01-16T07:00:00.000Z'),
    });
  });

  it('caps marketing per contact and channel per day', () => {
    expect(checkSendRules({ ...base, sentToday: 3 })).toMatchObject({
      verdict: 'block',
      rule: 'frequency-cap',
    });
  });

  it('reads quiet hours from configuration, off included, and finds the local day start', () => {
    expect(parseQuietHours('off')).toBeNull();
    expect(() => parseQuietHours('9pm')).toThrow();
    expect(endOfQuietHours(noonish, 'UTC', { startMinute: 9 * 60, endMinute: 17 * 60 })).toBeNull();
    expect(startOfLocalDay(noonish, 'America/Los_Angeles')).toEqual(
      new Date('2026-01-15T08:00:00.000Z'),
    );
  });
});
