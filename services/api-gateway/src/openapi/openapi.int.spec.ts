import type { OpenAPIObject } from '@nestjs/swagger';
import { ROUTES } from '../proxy/routes';
import { startGateway, UpstreamStandIn, type TestGateway } from '../testing/gateway-harness';

describe('OpenAPI', () => {
  let upstream: UpstreamStandIn;
  let gateway: TestGateway;

  beforeAll(async () => {
    upstream = await UpstreamStandIn.start();
    gateway = await startGateway({ upstreams: { contacts: upstream.url } });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  it('serves the gateway paths and the upstream paths under /api in one document', async () => {
    const response = await fetch(`${gateway.url}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as OpenAPIObject;
    const paths = Object.keys(document.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/api-keys',
        '/api/api-keys/{id}',
        '/api/contacts',
        '/api/contacts/{id}',
        '/api/tags',
        '/api/activities',
        '/health',
        '/ready',
      ]),
    );
    expect(paths).not.toContain('/contacts');
    expect(paths.some((p) => p.startsWith('/api/*') || p.includes('openapi'))).toBe(false);
    expect(document.components!.securitySchemes!.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    expect(document.paths['/api/contacts']!.post!.security).toEqual([{ bearer: [] }]);
    expect(document.paths['/api/api-keys']!.post!.security).toEqual([{ bearer: [] }]);
    expect(document.components!.schemas).toHaveProperty('CreateApiKeyDto');
    expect(document.components!.schemas).toHaveProperty('CreateContactDto');
  });

  it('serves Swagger UI at /docs with the merged document', async () => {
    const page = await fetch(`${gateway.url}/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger-ui');
    const init = await fetch(`${gateway.url}/docs/swagger-ui-init.js`);
    expect(init.status).toBe(200);
    const script = await init.text();
    expect(script).toContain('/api/contacts/{id}');
    expect(script).toContain('/api/api-keys');
  });

  it('still serves its own paths when an upstream cannot be asked', async () => {
    const lonely = await startGateway({
      upstreams: { contacts: 'http://127.0.0.1:9', events: 'http://127.0.0.1:9' },
    });
    try {
      const document = (await (await fetch(`${lonely.url}/openapi.json`)).json()) as Record<
        string,
        unknown
      >;
      expect(Object.keys(document.paths as object)).toContain('/api/api-keys');
      // Every upstream the routing table names: none answers here.
      expect(document['x-unavailable-upstreams']).toEqual([
        ...new Set(ROUTES.map((route) => route.upstream)),
      ]);
    } finally {
      await lonely.close();
    }
  });
});
