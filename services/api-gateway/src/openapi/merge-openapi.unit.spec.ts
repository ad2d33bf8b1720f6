import type { OpenAPIObject } from '@nestjs/swagger';
import { ROUTES } from '../proxy/routes';
import { STAND_IN_OPENAPI } from '../testing/contacts-openapi.fixture';
import { mergeOpenApi } from './merge-openapi';

const gateway: OpenAPIObject = {
  openapi: '3.0.0',
  info: { title: 'gateway', version: '1' },
  paths: { '/api/api-keys': { get: { responses: {} } } },
  components: { schemas: { Problem: { type: 'object', properties: { a: { type: 'string' } } } } },
};

describe('mergeOpenApi', () => {
  it('exposes routed upstream paths under /api with the bearer scheme, and drops the rest', () => {
    const merged = mergeOpenApi(
      gateway,
      [{ upstream: 'contacts', document: STAND_IN_OPENAPI as unknown as OpenAPIObject }],
      ROUTES,
    );
    expect(Object.keys(merged.paths).sort()).toEqual([
      '/api/activities',
      '/api/api-keys',
      '/api/contacts',
      '/api/contacts/{id}',
      '/api/tags',
    ]);
    expect(merged.paths['/api/contacts']!.post!.security).toEqual([{ bearer: [] }]);
    expect(merged.components!.schemas!.CreateContactDto).toBeDefined();
    expect(merged.components!.securitySchemes!.bearer).toMatchObject({ scheme: 'bearer' });
    expect(merged.tags).toEqual([{ name: 'contacts' }]);
  });

  it('renames a clashing component and the references to it', () => {
    const upstream = {
      openapi: '3.0.0',
      info: { title: 'contacts', version: '1' },
      paths: {
        '/contacts': {
          get: {
            responses: {
              '404': {
                description: 'x',
                content: {
                  'application/json': { schema: { $ref: '#/components/schemas/Problem' } },
                },
              },
            },
          },
        },
      },
      components: { schemas: { Problem: { type: 'object' } } },
    } as unknown as OpenAPIObject;
    const merged = mergeOpenApi(gateway, [{ upstream: 'contacts', document: upstream }], ROUTES);
    expect(merged.components!.schemas!.contacts_Problem).toEqual({ type: 'object' });
    expect(merged.components!.schemas!.Problem).toEqual(gateway.components!.schemas!.Problem);
    expect(JSON.stringify(merged.paths['/api/contacts'])).toContain(
      '#/components/schemas/contacts_Problem',
    );
  });

  it('says which upstreams it could not reach', () => {
    const merged = mergeOpenApi(gateway, [{ upstream: 'contacts', document: null }], ROUTES);
    expect((merged as unknown as Record<string, unknown>)['x-unavailable-upstreams']).toEqual([
      'contacts',
    ]);
    expect(Object.keys(merged.paths)).toEqual(['/api/api-keys']);
  });
});
