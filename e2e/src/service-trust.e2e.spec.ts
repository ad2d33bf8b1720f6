// Every service that `npm start` runs refuses callers without a valid
// service token: no token, a bad or expired one, or one for another service
// is a 401; a valid one without the scope a route needs is a 403. Tried on
// the running platform (the services listed in .data/platform.json), on a
// GET route taken from each service's own OpenAPI document, so a service
// that joins `npm start` joins this test.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findWorkspaceRoot } from '@engagement/config';
import { loadServiceTokenKey, signServiceToken } from '@engagement/service-auth';

interface RunningService {
  name: string;
  url: string;
  audience: string;
}

const state = JSON.parse(
  readFileSync(join(findWorkspaceRoot(), '.data', 'platform.json'), 'utf8'),
) as { services?: RunningService[] };
const services = state.services ?? [];

/** A GET route of the service that is not public, path parameters filled in. */
async function protectedRoute(service: RunningService): Promise<string> {
  const document = (await (await fetch(`${service.url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const path = Object.keys(document.paths).find(
    (p) => document.paths[p]!.get && !/^\/(health|ready|openapi)/.test(p),
  );
  if (!path) throw new Error(`${service.name} documents no GET route`);
  return path.replace(/\{[^}]+\}/g, randomUUID());
}

/**
 * What a caller needs to read: `read`, except where a service's whole API is
 * for administrators (the CRM connectors hold credentials), which also
 * refuses `read` alone.
 */
const READ_SCOPES: Record<string, string[]> = {
  'connector-hubspot': ['admin'],
  'connector-gohighlevel': ['admin'],
};

it('npm start runs the platform services this test checks', () => {
  expect(services.map((s) => s.name)).toContain('contacts');
});

describe.each(services.map((s) => [s.name, s] as const))(
  '%s, called directly',
  (_name, service) => {
    const key = loadServiceTokenKey();
    const token = (overrides: {
      scopes?: string[];
      audience?: string;
      at?: number;
      key?: Buffer;
    }) =>
      `Bearer ${signServiceToken(
        overrides.key ?? key,
        {
          subject: 'service:e2e',
          scopes: overrides.scopes ?? ['admin'],
          audience: overrides.audience ?? service.audience,
          requestId: randomUUID(),
        },
        overrides.at,
      )}`;

    const statusOf = async (authorization?: string) => {
      const path = await protectedRoute(service);
      const response = await fetch(`${service.url}${path}`, {
        headers: authorization ? { authorization } : {},
      });
      const type = response.headers.get('content-type') ?? '';
      await response.body?.cancel();
      return { status: response.status, problem: type.includes('application/problem+json') };
    };

    it('answers 401 without a token, with a bad, tampered, expired or misaddressed one', async () => {
      const valid = token({}).split('.');
      const refused = {
        none: undefined,
        garbage: 'Bearer garbage',
        tampered: `${valid[0]}.${valid[1]}.${'A'.repeat(43)}`,
        expired: token({ at: Date.now() - 10 * 60_000 }),
        otherService: token({ audience: `${service.audience}-other` }),
        otherKey: token({ key: randomBytes(32) }),
      };
      for (const [name, authorization] of Object.entries(refused)) {
        expect({ name, ...(await statusOf(authorization)) }).toEqual({
          name,
          status: 401,
          problem: true,
        });
      }
    });

    it('answers 403 to a valid token without the scope, and lets the right scope through', async () => {
      expect(await statusOf(token({ scopes: ['pii:erase'] }))).toEqual({
        status: 403,
        problem: true,
      });
      const readScopes = READ_SCOPES[service.audience] ?? ['read'];
      if (readScopes[0] !== 'read') {
        expect(await statusOf(token({ scopes: ['read', 'write'] }))).toEqual({ status: 403, problem: true });
      }
      const allowed = await statusOf(token({ scopes: readScopes }));
      expect([401, 403]).not.toContain(allowed.status);
    });
  },
);
