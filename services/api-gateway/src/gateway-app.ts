// Builds the gateway application: database first (migrations, bootstrap
// key), then the Nest app with its body parsing, error mapping and API
// docs. main.ts and the tests both start the gateway through here.
//
// Not createHttpService from @engagement/http: that parses every JSON body
// up front, while the gateway must keep proxied bodies as the bytes the
// client sent, read them only after the API key was checked, and allow a
// larger limit for imports. The pieces that matter (the problem+json
// filter, the validation pipe) are the same.
import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { createValidationPipe, ProblemDetailsFilter } from '@engagement/http';
import { json } from 'express';
import { Pool } from 'pg';
import { checkBootstrapKey } from './api-keys/api-key';
import { ApiKeyStore } from './api-keys/api-key.store';
import { AppModule } from './app.module';
import type { GatewayConfig } from './config';
import { migrateGatewaySchema } from './database/migrations';
import { correlationMiddleware } from './http/correlation.middleware';
import { BEARER_SCHEME } from './openapi/merge-openapi';
import { OpenApiService } from './openapi/openapi.service';

export interface GatewayAppOptions {
  /** Log levels; tests turn the noise down. */
  logLevels?: LogLevel[];
  /** Milliseconds from a monotonic clock for the rate limits; tests pass their own. */
  clock?: () => number;
}

export async function createGatewayApp(
  config: GatewayConfig,
  options: GatewayAppOptions = {},
): Promise<NestExpressApplication> {
  const logger = new ConsoleLogger({
    json: true,
    logLevels: options.logLevels ?? ['error', 'warn', 'log'],
  });
  if (config.bootstrapKey) checkBootstrapKey(config.bootstrapKey);

  const pool = new Pool({ connectionString: config.databaseUrl, max: 10 });
  try {
    await migrateGatewaySchema(pool, config.schema);
    if (config.bootstrapKey) {
      const key = await new ApiKeyStore(pool, config.schema).ensureBootstrapKey(
        config.bootstrapKey,
      );
      logger.log(
        key.revokedAt
          ? `API_BOOTSTRAP_KEY matches key ${key.id}, which was revoked: it stays revoked`
          : `API_BOOTSTRAP_KEY is admin key ${key.id}`,
        'ApiKeys',
      );
    }
  } catch (error) {
    await pool.end();
    throw error;
  }

  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.register(config, pool, options.clock),
    {
      bodyParser: false,
      logger,
    },
  );
  app.disable('x-powered-by');
  app.use(correlationMiddleware({ accessLog: logger.isLevelEnabled('log') }));
  // The gateway's own JSON endpoints; proxied bodies are read by ProxyController.
  app.use('/api/api-keys', json({ limit: '16kb' }));
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.useGlobalPipes(createValidationPipe());

  const gatewayDocument = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Engagement platform API')
      .setDescription('Contacts, tags, activities and API keys, through the API gateway.')
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer' }, BEARER_SCHEME)
      .build(),
  );
  const openApi = app.get(OpenApiService);
  openApi.useGatewayDocument(gatewayDocument);
  // Swagger UI at /docs, fed the merged document on every page load.
  SwaggerModule.setup('docs', app, gatewayDocument, {
    raw: false,
    customSiteTitle: 'Engagement platform API',
    patchDocumentOnRequest: () => openApi.document(),
  });
  return app;
}
