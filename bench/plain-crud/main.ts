// A plain CRUD contacts service: what a team would build without event
// sourcing, for bench/contacts-api.bench.ts to compare ours with. NestJS +
// TypeORM, class-validator on the body, one transaction per create writing
// the seed's contacts, contact_properties, tags and contact_tags rows;
// GET /contacts/:id reads them back (one query with joins).
//
//   PLAIN_CRUD_PORT=3201 PLAIN_CRUD_SCHEMA=plain_crud \
//   SWC_NODE_PROJECT=bench/tsconfig.json node -r @swc-node/register bench/plain-crud/main.ts
//
// PLAIN_CRUD_SCHEMA (default plain_crud) is created if missing and never
// dropped; DATABASE_URL, else the platform's database (loadPlatformConfig).
// PLAIN_CRUD_POOL_SIZE: TypeORM's pool, default 10 (TypeORM's own default).
import 'reflect-metadata';
import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadPlatformConfig } from '@engagement/config';
import { Client } from 'pg';
import { PlainCrudModule, type PlainCrudConfig } from './app.module';

function loadConfig(env: NodeJS.ProcessEnv = process.env): PlainCrudConfig {
  const schema = env.PLAIN_CRUD_SCHEMA || 'plain_crud';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`PLAIN_CRUD_SCHEMA must be a lower-case identifier; got "${schema}"`);
  }
  return {
    port: Number(env.PLAIN_CRUD_PORT || 3201),
    host: env.PLAIN_CRUD_HOST || '127.0.0.1',
    databaseUrl:
      env.DATABASE_URL ||
      loadPlatformConfig({ ...env, KAFKA_BROKERS: env.KAFKA_BROKERS || 'unused:9092' }).databaseUrl,
    schema,
    poolSize: Number(env.PLAIN_CRUD_POOL_SIZE || 10),
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  // TypeORM keeps its migrations table in the schema: it must exist first.
  const client = new Client({ connectionString: config.databaseUrl });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${config.schema}"`);
  } finally {
    await client.end();
  }

  const app = await NestFactory.create(PlainCrudModule.register(config), {
    logger: ['error', 'warn'],
  });
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  );
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  console.log(
    JSON.stringify({
      service: 'plain-crud',
      msg: 'started',
      url: `http://${config.host}:${config.port}`,
      schema: config.schema,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(
    JSON.stringify({
      service: 'plain-crud',
      msg: 'could not start',
      error: String((error as Error).stack ?? error),
    }),
  );
  process.exit(1);
});
