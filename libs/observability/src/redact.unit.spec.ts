import { isSecretKey, maskSecrets, redact, REDACTED } from './redact';

const apiKey = `eng_${'A1b2-C3d4_'.repeat(4)}xyz`; // eng_ + 43 base64url characters

describe('redact', () => {
  it('redacts the values of secret keys at any depth, whatever the value', () => {
    const input = {
      email: 'ada@example.com',
      password: 'hunter2',
      integration: {
        provider: 'hubspot',
        credentials: { clientId: 'abc', refresh: 'r' },
        nested: { deeper: { accessToken: 'at-1', client_secret: 's', count: 3 } },
      },
      masterKey: 'k',
      'master-key': 'k',
      apiKey: 'k',
      api_key: 'k',
      'x-api-key': 'k',
    };
    expect(redact(input)).toEqual({
      email: 'ada@example.com',
      password: REDACTED,
      integration: {
        provider: 'hubspot',
        credentials: REDACTED,
        nested: { deeper: { accessToken: REDACTED, client_secret: REDACTED, count: 3 } },
      },
      masterKey: REDACTED,
      'master-key': REDACTED,
      apiKey: REDACTED,
      api_key: REDACTED,
      'x-api-key': REDACTED,
    });
  });

  it('goes into arrays, and arrays of objects', () => {
    expect(
      redact({
        users: [
          { name: 'a', pass: 'p1' },
          { name: 'b', secret: ['s1', 's2'] },
        ],
        tags: ['vip', apiKey],
      }),
    ).toEqual({
      users: [
        { name: 'a', pass: REDACTED },
        { name: 'b', secret: REDACTED },
      ],
      tags: ['vip', `eng_${REDACTED}`],
    });
  });

  it('redacts header maps: plain objects in any case, Map and fetch Headers', () => {
    const headers = {
      'content-type': 'application/json',
      Authorization: 'Bearer abc.def.ghi',
      Cookie: 'session=1',
      'Set-Cookie': ['a=1', 'b=2'],
      'X-Api-Key': apiKey,
    };
    const expected = {
      'content-type': 'application/json',
      Authorization: REDACTED,
      Cookie: REDACTED,
      'Set-Cookie': REDACTED,
      'X-Api-Key': REDACTED,
    };
    expect(redact({ request: { headers } })).toEqual({ request: { headers: expected } });
    expect(redact(new Map(Object.entries(headers)))).toEqual(expected);
    expect(
      redact(
        new Headers({ 'content-type': 'text/plain', authorization: 'Bearer x', cookie: 'c=1' }),
      ),
    ).toEqual({ 'content-type': 'text/plain', authorization: REDACTED, cookie: REDACTED });
  });

  it('serialises errors with name, message and stack masked, own properties redacted, and their cause', () => {
    const cause = new Error(`upstream refused token Bearer eyJhbGciOi.payload.sig`);
    const error = Object.assign(new Error(`request with ${apiKey} failed`, { cause }), {
      code: 'E_UPSTREAM',
      config: { url: 'https://api.example.com', headers: { Authorization: 'Bearer zzz' } },
    });
    const out = redact({ error }) as { error: Record<string, unknown> };
    expect(out.error).toMatchObject({
      name: 'Error',
      message: `request with eng_${REDACTED} failed`,
      code: 'E_UPSTREAM',
      config: { url: 'https://api.example.com', headers: { Authorization: REDACTED } },
      cause: { name: 'Error', message: `upstream refused token Bearer ${REDACTED}` },
    });
    expect(out.error.stack).toEqual(expect.stringContaining(`request with eng_${REDACTED} failed`));
    expect(JSON.stringify(out)).not.toContain(apiKey);
    expect(JSON.stringify(out)).not.toContain('eyJhbGciOi');
    expect(JSON.stringify(out)).not.toContain('zzz');
  });

  it('masks API keys, Bearer tokens and URL passwords inside any string', () => {
    expect(maskSecrets(`key ${apiKey}, again:${apiKey}.`)).toBe(
      `key eng_${REDACTED}, again:eng_${REDACTED}.`,
    );
    expect(maskSecrets('authorization: bearer abc-DEF_123.x/y+z==')).toBe(
      `authorization: Bearer ${REDACTED}`,
    );
    expect(maskSecrets('postgres://app:s3cr%40t@db:5432/engagement')).toBe(
      `postgres://app:${REDACTED}@db:5432/engagement`,
    );
    // Not our key format, and URLs without a password, stay as they are.
    expect(maskSecrets('eng_short and http://host:8080/path and a@b.com')).toBe(
      'eng_short and http://host:8080/path and a@b.com',
    );
  });

  it('returns JSON-safe data: bigints as strings, bytes and cycles replaced, depth bounded', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const shared = { id: 1 };
    let deep: Record<string, unknown> = { bottom: true };
    for (let i = 0; i < 20; i++) deep = { deep };
    const out = redact({
      position: 12345678901234567890n,
      at: new Date('2026-01-02T03:04:05.000Z'),
      body: Buffer.from('secret bytes'),
      cyclic,
      twice: [shared, shared],
      deep,
    }) as Record<string, unknown>;
    expect(out.position).toBe('12345678901234567890');
    expect(out.at).toBe('2026-01-02T03:04:05.000Z');
    expect(out.body).toBe('[12 bytes]');
    expect(out.cyclic).toEqual({ name: 'loop', self: '[circular]' });
    // The same object twice is not a cycle.
    expect(out.twice).toEqual([{ id: 1 }, { id: 1 }]);
    expect(JSON.stringify(out)).toContain('[too deep]');
    expect(() => JSON.stringify(out)).not.toThrow();
  });

  it('recognises secret keys by the platform rule', () => {
    for (const key of [
      'password',
      'PASS',
      'clientSecret',
      'refresh_token',
      'Authorization',
      'apikey',
      'API-KEY',
      'credential',
      'master_key',
      'cookie',
    ]) {
      expect(isSecretKey(key)).toBe(true);
    }
    for (const key of ['email', 'name', 'contactId', 'provider', 'key']) {
      expect(isSecretKey(key)).toBe(false);
    }
  });
});
