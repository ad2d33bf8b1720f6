import { addressKey, clientAddress, FailedAuthLimiter } from './failed-auth-limiter';

describe('FailedAuthLimiter', () => {
  it('lets an address fail a burst of times, then refills at the configured rate', () => {
    let now = 0;
    const limiter = new FailedAuthLimiter(2, 3, () => now);
    expect(limiter.retryAfterSeconds('a')).toBe(0);
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfterSeconds('a')).toBe(0);
      limiter.recordFailure('a');
    }
    expect(limiter.retryAfterSeconds('a')).toBe(1);
    expect(limiter.retryAfterSeconds('b')).toBe(0);

    now += 500; // half a second at 2/s: one more attempt
    expect(limiter.retryAfterSeconds('a')).toBe(0);
    limiter.recordFailure('a');
    expect(limiter.retryAfterSeconds('a')).toBe(1);

    now += 60_000; // never more than the burst
    for (let i = 0; i < 3; i++) limiter.recordFailure('a');
    expect(limiter.retryAfterSeconds('a')).toBe(1);
  });

  it('says how long to wait when the rate is below one a second', () => {
    const limiter = new FailedAuthLimiter(0.1, 1, () => 0);
    limiter.recordFailure('a');
    expect(limiter.retryAfterSeconds('a')).toBe(10);
  });

  it('holds at most maxAddresses buckets, forgetting the least recently failed', () => {
    const limiter = new FailedAuthLimiter(1, 1, () => 0, 2);
    limiter.recordFailure('a');
    limiter.recordFailure('b');
    limiter.recordFailure('a');
    limiter.recordFailure('c');
    expect(limiter.size).toBe(2);
    expect(limiter.retryAfterSeconds('a')).toBe(1);
    expect(limiter.retryAfterSeconds('b')).toBe(0);
    expect(limiter.retryAfterSeconds('c')).toBe(1);
  });
});

describe('addressKey', () => {
  it('keeps IPv4 addresses, also IPv4-mapped ones', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts IPv6 per /64, however the address is written', () => {
    expect(addressKey('2001:db8:0:1::1')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:0db8:0000:0001:ffff:1:2:3')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('puts requests without an address together', () => {
    expect(addressKey(undefined)).toBe('unknown');
  });
});

describe('clientAddress', () => {
  const trusted = new Set(['10.0.0.1', '10.0.0.2']);

  it('is the connection peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress('203.0.113.7', '198.51.100.1', new Set())).toBe('203.0.113.7');
    expect(clientAddress('203.0.113.7', '198.51.100.1', trusted)).toBe('203.0.113.7');
  });

  it('behind trusted proxies, is the nearest X-Forwarded-For hop that is not one of them', () => {
    expect(clientAddress('10.0.0.1', '198.51.100.1', trusted)).toBe('198.51.100.1');
    expect(clientAddress('::ffff:10.0.0.1', '198.51.100.1', trusted)).toBe('198.51.100.1');
    // The client wrote the leftmost entry itself: it proves nothing.
    expect(clientAddress('10.0.0.1', 'forged, 198.51.100.1, 10.0.0.2', trusted)).toBe(
      '198.51.100.1',
    );
    expect(clientAddress('10.0.0.1', ['forged', '198.51.100.1'], trusted)).toBe('198.51.100.1');
  });

  it('falls back to the last hop it has when every hop is trusted or there is none', () => {
    expect(clientAddress('10.0.0.1', '10.0.0.2', trusted)).toBe('10.0.0.2');
    expect(clientAddress('10.0.0.1', undefined, trusted)).toBe('10.0.0.1');
    expect(clientAddress(undefined, '198.51.100.1', trusted)).toBeUndefined();
  });
});
