// A small OpenAPI document shaped like the contacts service's, served by
// the stand-in upstream and used by the merge tests.
export const STAND_IN_OPENAPI = {
  openapi: '3.0.0',
  info: { title: 'contacts', version: '1' },
  paths: {
    '/contacts': {
      post: {
        operationId: 'createContact',
        requestBody: {
          content: {
            'application/json': { schema: { $ref: '#/components/schemas/CreateContactDto' } },
          },
        },
        responses: { '201': { description: 'created' } },
      },
      get: { operationId: 'listContacts', responses: { '200': { description: 'a page' } } },
    },
    '/contacts/{id}': {
      get: { operationId: 'getContact', responses: { '200': { description: 'the contact' } } },
    },
    '/tags': { get: { operationId: 'listTags', responses: { '200': { description: 'tags' } } } },
    '/activities': {
      post: { operationId: 'trackActivity', responses: { '201': { description: 'tracked' } } },
    },
    '/health': { get: { responses: { '200': { description: 'ok' } } } },
  },
  components: {
    schemas: {
      CreateContactDto: {
        type: 'object',
        properties: { email: { type: 'string' } },
        required: ['email'],
      },
    },
  },
  tags: [{ name: 'contacts' }],
};
