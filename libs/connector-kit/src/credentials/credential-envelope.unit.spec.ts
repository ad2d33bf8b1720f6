import { randomBytes } from 'node:crypto';
import { CredentialCipher, CredentialCipherError } from './credential-envelope';
import { loadConnectorMasterKeys, parseMasterKeys } from './master-keys';

const key = () => randomBytes(32).toString('base64');
const planted = 'pat-na1-PLANTED-SECRET-0001';

describe('CredentialCipher', () => {
  const oldKeys = parseMasterKeys(`k1:${key()}`);
  const cipher = new CredentialCipher(oldKeys);

  it('round-trips credentials and keeps no secret in clear in the envelope', () => {
    const envelope = cipher.encrypt('int-1', { access_token: planted, refresh_token: 'r' });
    expect(JSON.stringify(envelope)).not.toContain(planted);
    expect(envelope.kid).toBe('k1');
    expect(cipher.decrypt('int-1', envelope)).toEqual({ access_token: planted, refresh_token: 'r' });
  });

  it('does not open an envelope copied to another integration, and says so without the secret', () => {
    const envelope = cipher.encrypt('int-1', { api_key: planted });
    expect(() => cipher.decrypt('int-2', envelope)).toThrow(CredentialCipherError);
    try {
      cipher.decrypt('int-2', envelope);
    } catch (error) {
      expect((error as Error).message).not.toContain(planted);
    }
  });

  it('re-wraps under a new current key; the old key can then be retired', () => {
    const envelope = cipher.encrypt('int-1', { api_key: planted });
    const k2 = key();
    const rotating = new CredentialCipher(parseMasterKeys(`k2:${k2},k1:${Buffer.from(oldKeys.byId.get('k1')!).toString('base64')}`));
    const rewrapped = rotating.rewrap('int-1', envelope)!;
    expect(rewrapped.kid).toBe('k2');
    expect(rewrapped.secret).toBe(envelope.secret);
    expect(rotating.rewrap('int-1', rewrapped)).toBeNull();
    const retired = new CredentialCipher(parseMasterKeys(`k2:${k2}`));
    expect(retired.decrypt('int-1', rewrapped)).toEqual({ api_key: planted });
    expect(() => retired.decrypt('int-1', envelope)).toThrow(/Master key k1 is not configured/);
  });
});

describe('loadConnectorMasterKeys', () => {
  it('fails closed outside development when CONNECTORS_MASTER_KEYS is unset', () => {
    expect(() => loadConnectorMasterKeys({ NODE_ENV: 'production' }, () => undefined, '/nonexistent/x')).toThrow(
      /must be set outside development/,
    );
    expect(() => loadConnectorMasterKeys({ NODE_ENV: 'staging' }, () => undefined, '/nonexistent/x')).toThrow();
  });

  it('reads the variable, current key first', () => {
    const keys = loadConnectorMasterKeys({ NODE_ENV: 'production', CONNECTORS_MASTER_KEYS: `a:${key()},b:${key()}` }, () => undefined);
    expect(keys.currentId).toBe('a');
    expect([...keys.byId.keys()]).toEqual(['a', 'b']);
  });

  it('refuses malformed keys', () => {
    expect(() => parseMasterKeys('a:c2hvcnQ=')).toThrow(/32 bytes/);
    expect(() => parseMasterKeys(`bad id:${key()}`)).toThrow(/simple key id/);
  });
});
