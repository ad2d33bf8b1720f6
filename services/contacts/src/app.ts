// The contacts service's HTTP application, on top of a started runtime:
// the body parsers (JSON up to 1 MB everywhere; the raw import file up to
// 50 MB on /contacts/imports only), the problem+json filter and validation
// pipe every platform service uses, and the OpenAPI document generated from
// the controllers and DTOs, served at GET /openapi.json.
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { createValidationPipe, ProblemDetailsFilter } from '@engagement/http';
import { json, text, type Request, type Response } from 'express';
import { ContactsAppModule } from './app.module';
import { IMPORT_BODY_LIMIT, IMPORT_CONTENT_TYPES } from './bulk-import/bulk-import.controller';
import type { ContactsRuntime } from './runtime';
import { nestLogger } from './shared/log';
import { UnknownFieldsPipe } from './shared/unknown-fields.pipe';

export const JSON_BODY_LIMIT = '1mb';

export async function createContactsApp(runtime: ContactsRuntime): Promise<INestApplication> {
  const app = await NestFactory.create(ContactsAppModule.forRuntime(runtime), {
    bodyParser: false,
    logger: nestLogger(runtime.log),
  });
  app.use(json({ limit: JSON_BODY_LIMIT, type: ['application/json', 'application/*+json'] }));
  app.use(
    '/contacts/imports',
    text({ limit: IMPORT_BODY_LIMIT, type: Object.keys(IMPORT_CONTENT_TYPES) }),
  );
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.useGlobalPipes(new UnknownFieldsPipe(), createValidationPipe());

  const document = openApiDocument(app);
  app
    .getHttpAdapter()
    .get('/openapi.json', (_request: Request, response: Response) => response.json(document));
  return app;
}

export function openApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Contacts service')
    .setDescription(
      'Contacts, tags, activities, GDPR export and erasure, bulk import. Commands answer ' +
        '{ id, position, revision }; GETs accept ?waitForPosition=<position>. Errors are ' +
        'RFC 9457 problem+json.',
    )
    .setVersion('1.0')
    .build();
  return SwaggerModule.createDocument(app, config);
}
