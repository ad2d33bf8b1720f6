import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ServiceIdentity } from './service-identity';
import { verifyServiceToken } from './service-token';
import { loadServiceTokenKey } from './token-key';

describe('a service identity', () => {
  it('signs tokens for each audience with its own name and scopes, reused until near expiry', () => {
    const key = randomBytes(32);
    let now = Date.parse('2026-12-04T12:00:00Z');
    const identity = new ServiceIdentity('events', ['write'], key, () => now);
    const first = identity.authorization('contacts');
    const claims = verifyServiceToken(key, first.slice('Bearer '.length), 'contacts', now);
    expect(claims).toMatchObject({
      subject: 'service:events',
      actor: 'service:events',
      scopes: ['write'],
    });
    expect(identity.authorization('contacts')).toBe(first);
    expect(identity.authorization('messaging')).not.toBe(first);
    now += 50_000; // past renewal (60 s tokens renewed 15 s before expiry)
    expect(identity.authorization('contacts')).not.toBe(first);
  });
});

describe('the token key', () => {
  it('stops a process outside development when it is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'token-key-'));
    expect(() => loadServiceTokenKey({ NODE_ENV: 'production' }, dir)).toThrow(
      /PLATFORM_TOKEN_SECRET must be set when NODE_ENV=production/,
    );
    expect(() => loadServiceTokenKey({ NODE_ENV: 'staging' }, dir)).toThrow(/must be set/);
  });

  it('is generated once in development and shared by every process of the checkout', () => {
    const dir = mkdtempSync(join(tmpdir(), 'token-key-'));
    const first = loadServiceTokenKey({}, dir);
    expect(loadServiceTokenKey({ NODE_ENV: 'test' }, dir).equals(first)).toBe(true);
    expect(readFileSync(join(dir, 'platform-token.key'), 'utf8').trim()).toBe(
      first.toString('base64'),
    );
  });

  it('is taken from PLATFORM_TOKEN_SECRET, which must be long enough', () => {
    const secret = randomBytes(32).toString('base64');
    expect(
      loadServiceTokenKey({ NODE_ENV: 'production', PLATFORM_TOKEN_SECRET: secret }).toString(
        'base64',
      ),
    ).toBe(secret);
    expect(() => loadServiceTokenKey({ PLATFORM_TOKEN_SECRET: 'c2hvcnQ=' })).toThrow(
      /at least 32 bytes/,
    );
  });
});
