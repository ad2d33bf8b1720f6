import { randomBytes } from 'node:crypto';
import { loadGatewayConfig } from './config';

const env = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/engagement',
  PLATFORM_TOKEN_SECRET: randomBytes(32).toString('base64'),
  ...extra,
});

describe('loadGatewayConfig', () => {
  it('takes a comma-separated list of instances for an upstream', () => {
    const config = loadGatewayConfig(
      env({ CONTACTS_URL: 'http://127.0.0.1:3101/, http://127.0.0.1:3111' }),
    );
    expect(config.upstreams.contacts).toBe('http://127.0.0.1:3101,http://127.0.0.1:3111');
  });

  it('refuses a list with an empty or malformed entry, naming the variable', () => {
    expect(() => loadGatewayConfig(env({ CONTACTS_URL: 'http://127.0.0.1:3101,' }))).toThrow(
      /CONTACTS_URL/,
    );
    expect(() =>
      loadGatewayConfig(env({ CONTACTS_URL: 'http://127.0.0.1:3101,localhost' })),
    ).toThrow(/CONTACTS_URL/);
  });

  it('reads the per-address limit of failed authentications', () => {
    const config = loadGatewayConfig(
      env({ AUTH_FAILURE_BURST: '5', AUTH_FAILURE_PER_SECOND: '0.5' }),
    );
    expect(config).toMatchObject({ authFailureBurst: 5, authFailurePerSecond: 0.5 });
  });

  it('trusts no proxy unless GATEWAY_TRUSTED_PROXIES lists it', () => {
    expect(loadGatewayConfig(env({})).trustedProxies).toEqual([]);
    expect(
      loadGatewayConfig(env({ GATEWAY_TRUSTED_PROXIES: '10.0.0.1, 10.0.0.2' })).trustedProxies,
    ).toEqual(['10.0.0.1', '10.0.0.2']);
  });
});
