import { createHash } from 'node:crypto';
import { parseRequestPath } from '../http/request-path';
import { requiredScope } from './access-rules';
import { allows, displayPrefix, generateApiKey, hashApiKey, parseScopes } from './api-key';

const scope = (method: string, path: string) => requiredScope(method, parseRequestPath(path));

describe('requiredScope', () => {
  it('reads need read, everything else write', () => {
    expect(scope('GET', '/api/contacts')).toBe('read');
    expect(scope('HEAD', '/api/contacts/1')).toBe('read');
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
      expect(scope(method, '/api/contacts/1')).toBe('write');
  });

  it('key management needs admin, personal data its pii scopes, however the path is spelled', () => {
    expect(scope('GET', '/api/api-keys')).toBe('admin');
    expect(scope('DELETE', '/api/api-keys/7')).toBe('admin');
    expect(scope('GET', '/API/Api-Keys/')).toBe('admin');
    expect(scope('POST', '/api/contacts/1/erase')).toBe('pii:erase');
    expect(scope('POST', '/api/contacts/1/ERASE/')).toBe('pii:erase');
    expect(scope('POST', '/api//contacts/1/%65rase')).toBe('pii:erase');
    expect(scope('GET', '/api/contacts/1/export')).toBe('pii:read');
    expect(scope('GET', '/api/contacts/1/history')).toBe('pii:read');
    expect(scope('GET', '/api/contacts/1/activities')).toBe('read');
  });

  it('probes and docs are public; anything else needs a key', () => {
    expect(scope('GET', '/health')).toBe('public');
    expect(scope('GET', '/ready')).toBe('public');
    expect(scope('GET', '/openapi.json')).toBe('public');
    expect(scope('GET', '/something-new')).toBe('read');
  });

  it('refuses paths that could mean something else upstream', () => {
    for (const path of [
      '/api/contacts/1/../2/erase',
      '/api/contacts/%2e%2e/x',
      '/api/a%2Fb',
      '/api/%zz',
    ])
      expect(() => parseRequestPath(path)).toThrow(/dot segments|escapes/);
  });
});

describe('public paths', () => {
  it('lets signed tracking links and Twilio callbacks through without a key, nothing beside them', () => {
    expect(scope('GET', '/api/track/open/abc.def')).toBe('public');
    expect(scope('POST', '/api/track/unsubscribe/abc.def')).toBe('public');
    expect(scope('POST', '/api/webhooks/twilio/status')).toBe('public');
    expect(scope('POST', '/api/webhooks/hubspot')).toBe('public');
    expect(scope('POST', '/api/webhooks/gohighlevel')).toBe('public');
    expect(scope('POST', '/api/webhooks/other')).toBe('write');
    expect(scope('GET', '/api/tracking')).toBe('read');
    expect(scope('POST', '/api/messages')).toBe('write');
  });
});

describe('api keys', () => {
  it('are eng_ and 43 base64url characters, hashed with SHA-256', () => {
    const key = generateApiKey();
    expect(key).toMatch(/^eng_[A-Za-z0-9_-]{43}$/);
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(generateApiKey()).not.toBe(key);
    expect(displayPrefix(key)).toBe(key.slice(0, 12));
    expect(displayPrefix('an-operator-chosen-secret')).toBe('****');
  });

  it('hash as the hex SHA-256 of the key in UTF-8, as stored keys were hashed', () => {
    expect(hashApiKey('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(hashApiKey('clé-é')).toBe(
      createHash('sha256').update(Buffer.from('clé-é', 'utf8')).digest('hex'),
    );
  });

  it('scopes form a ladder', () => {
    expect(allows(['admin'], 'read')).toBe(true);
    expect(allows(['write'], 'read')).toBe(true);
    expect(allows(['write'], 'admin')).toBe(false);
    expect(allows(['read'], 'write')).toBe(false);
    expect(parseScopes('read, write,read')).toEqual(['read', 'write']);
    expect(parseScopes('read,root')).toBeNull();
    expect(parseScopes('')).toBeNull();
  });
});
