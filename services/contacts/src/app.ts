// The contacts service's HTTP application, on top of a started runtime: the
// platform's app (JSON bodies up to 1 MB, problem+json, validation, OpenAPI
// at GET /openapi.json: @engagement/service-runtime) plus the raw import file
// up to 50 MB on /contacts/imports only.
import type { INestApplication } from '@nestjs/common';
import { createServiceApp } from '@engagement/service-runtime';
import { text } from 'express';
import { ContactsAppModule } from './app.module';
import { IMPORT_BODY_LIMIT, IMPORT_CONTENT_TYPES } from './bulk-import/bulk-import.controller';
import type { ContactsRuntime } from './runtime';

export { JSON_BODY_LIMIT } from '@engagement/service-runtime';

export function createContactsApp(runtime: ContactsRuntime): Promise<INestApplication> {
  return createServiceApp({
    module: ContactsAppModule.forRuntime(runtime),
    log: runtime.log,
    auth: { audience: runtime.config.name, key: runtime.config.serviceTokenKey },
    openApi: {
      title: 'Contacts service',
      description:
        'Contacts, tags, activities, GDPR export and erasure, bulk import. Commands answer ' +
        '{ id, position, revision }; GETs accept ?waitForPosition=<position>. Errors are ' +
        'RFC 9457 problem+json.',
    },
    configure: (app) =>
      app.use(
        '/contacts/imports',
        text({ limit: IMPORT_BODY_LIMIT, type: Object.keys(IMPORT_CONTENT_TYPES) }),
      ),
  });
}
