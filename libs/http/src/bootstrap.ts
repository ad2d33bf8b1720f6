// Starts a NestJS HTTP service the same way everywhere: bounded JSON bodies,
// the problem+json filter, the validation pipe, graceful shutdown, and a
// clear line saying where it listens.
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { json } from 'express';
import { createLogger, NestJsonLogger } from '@engagement/observability';
import { ProblemDetailsFilter } from './problem-details.filter';
import { createValidationPipe } from './validation';

export interface HttpServiceOptions {
  port: number;
  host?: string;
  /** Largest accepted JSON body, e.g. '1mb'. */
  bodyLimit?: string;
}

export async function createHttpService(
  module: Type<unknown>,
  bodyLimit = '1mb',
  serviceName = 'service',
): Promise<INestApplication> {
  const app = await NestFactory.create(module, {
    bodyParser: false,
    logger: new NestJsonLogger(createLogger(serviceName)),
  });
  app.use(json({ limit: bodyLimit, type: ['application/json', 'application/*+json'] }));
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  return app;
}

export async function startHttpService(
  module: Type<unknown>,
  name: string,
  options: HttpServiceOptions,
): Promise<INestApplication> {
  const app = await createHttpService(module, options.bodyLimit, name);
  const host = options.host ?? '127.0.0.1';
  await app.listen(options.port, host);
  console.log(
    JSON.stringify({
      level: 'info',
      service: name,
      msg: `listening on http://${host}:${options.port}`,
    }),
  );
  return app;
}
