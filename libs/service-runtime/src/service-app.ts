// The HTTP application of every service, on top of its started runtime:
// JSON bodies up to 1 MB (a service may add parsers of its own for some
// paths), the problem+json filter, the pipes that refuse unknown fields and
// validate DTOs (422 per field), and the OpenAPI document generated from the
// controllers and DTOs, served at GET /openapi.json (the gateway merges
// them). /health and /ready come with serviceModule(). Every other route
// needs a service token addressed to the service, with the route's scope
// (ServiceAuthGuard of @engagement/service-auth): the gateway's, or another
// service's own.
import type { DynamicModule, INestApplication, Provider, Type } from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import { ServiceAuthGuard } from '@engagement/service-auth';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import {
  createValidationPipe,
  HealthController,
  ProblemDetailsFilter,
  READINESS_CHECKS,
  type ReadinessCheck,
} from '@engagement/http';
import { json, type Request, type Response } from 'express';
import { nestLogger, type Log } from './log';
import { UnknownFieldsPipe } from './unknown-fields.pipe';

export const JSON_BODY_LIMIT = '1mb';

export interface ServiceAppOptions {
  /** The service's root module (serviceModule() gives its health routes). */
  module: DynamicModule | Type<unknown>;
  log: Log;
  openApi: { title: string; description: string };
  /** Who may call: tokens addressed to `audience`, verified with `key` (ServiceConfig's name and serviceTokenKey). */
  auth: { audience: string; key: Buffer };
  /** Body parsers for particular paths, before the JSON one (e.g. a large CSV upload). */
  configure?(app: INestApplication): void;
}

export async function createServiceApp(options: ServiceAppOptions): Promise<INestApplication> {
  const app = await NestFactory.create(options.module, {
    bodyParser: false,
    logger: nestLogger(options.log),
  });
  // Particular paths first: a parser that took a body leaves it to no other.
  options.configure?.(app);
  app.use(json({ limit: JSON_BODY_LIMIT, type: ['application/json', 'application/*+json'] }));
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.useGlobalGuards(
    new ServiceAuthGuard(options.auth.key, options.auth.audience, app.get(Reflector)),
  );
  app.useGlobalPipes(new UnknownFieldsPipe(), createValidationPipe());

  const document = openApiDocument(app, options.openApi);
  app
    .getHttpAdapter()
    .get('/openapi.json', (_request: Request, response: Response) => response.json(document));
  return app;
}

export function openApiDocument(
  app: INestApplication,
  info: { title: string; description: string },
): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(info.title)
    .setDescription(info.description)
    .setVersion('1.0')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/**
 * A service's Nest module: its controllers after the health routes, its
 * providers (given by value from the runtime), and the readiness checks
 * behind /ready.
 */
export function serviceModule(
  module: Type<unknown>,
  parts: { controllers: Type<unknown>[]; providers: Provider[]; readiness: ReadinessCheck[] },
): DynamicModule {
  return {
    module,
    controllers: [HealthController, ...parts.controllers],
    providers: [{ provide: READINESS_CHECKS, useValue: parts.readiness }, ...parts.providers],
  };
}
