// A plain registrations service: what a team would build without event
// sourcing, for bench/registrations.bench.ts to compare ours with. NestJS +
// TypeORM; one transaction per registration: upsert the contact by email,
// SELECT the event row FOR UPDATE (registrations of one event queue on that
// lock), count its seated registrations, INSERT the registration seated or
// waitlisted, bump current_registrations. The seed's events and
// registrations tables (the events service's own migration) and a minimal
// contacts table, in PLAIN_REGISTRATIONS_SCHEMA.
//
//   PLAIN_REGISTRATIONS_PORT=4423 PLAIN_REGISTRATIONS_SCHEMA=plain_reg \
//   SWC_NODE_PROJECT=bench/tsconfig.json node -r @swc-node/register bench/plain-registrations/main.ts
import 'reflect-metadata';
import {
  Body,
  Controller,
  HttpCode,
  Inject,
  Module,
  Post,
  ValidationPipe,
  type DynamicModule,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import { IsEmail, IsInt, IsOptional, IsUUID, Min } from 'class-validator';
import { Pool } from 'pg';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { loadPlatformConfig } from '@engagement/config';
import { applySqlMigrations } from '@engagement/sql-migrations';
import { eventsMigrations } from '../../services/events/src/read-model/events-read-model.ddl';

@Entity({ name: 'events' })
class EventRow {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'max_registrations', type: 'int', nullable: true }) maxRegistrations!:
    number | null;
  @Column({ name: 'current_registrations', type: 'int' }) currentRegistrations!: number;
}

class RegisterDto {
  @IsEmail() email!: string;
  @IsUUID() eventId!: string;
}
class CreateEventDto {
  @IsOptional() @IsInt() @Min(0) maxRegistrations?: number;
}

const CONFIG = Symbol('CONFIG');

@Controller()
class PlainController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: { schema: string },
  ) {}

  @Post('events')
  async createEvent(@Body() body: CreateEventDto) {
    const [row] = await this.db.query(
      `INSERT INTO "${this.config.schema}".events (title, type, platform, scheduled_at, max_registrations, status)
       VALUES ('bench', 'webinar', 'virtual_custom', now() + interval '1 day', $1, 'registration_open') RETURNING id`,
      [body.maxRegistrations ?? null],
    );
    return { id: row.id };
  }

  @Post('registrations')
  @HttpCode(201)
  register(@Body() body: RegisterDto) {
    const s = `"${this.config.schema}"`;
    return this.db.transaction(async (manager) => {
      const [contact] = await manager.query(
        `INSERT INTO ${s}.contacts (email) VALUES ($1)
         ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id`,
        [body.email.toLowerCase()],
      );
      const event = await manager
        .getRepository(EventRow)
        .createQueryBuilder('e')
        .setLock('pessimistic_write')
        .where('e.id = :id', { id: body.eventId })
        .getOne();
      if (!event) return { status: 'not-found' };
      const seated =
        event.maxRegistrations === null || event.currentRegistrations < event.maxRegistrations;
      const [registration] = await manager.query(
        `INSERT INTO ${s}.registrations (contact_id, event_id, status) VALUES ($1, $2, $3)
         ON CONFLICT (contact_id, event_id) DO NOTHING RETURNING id, status`,
        [contact.id, event.id, seated ? 'registered' : 'waitlisted'],
      );
      if (registration && seated)
        await manager.query(
          `UPDATE ${s}.events SET current_registrations = current_registrations + 1 WHERE id = $1`,
          [event.id],
        );
      return {
        id: registration?.id ?? null,
        contactId: contact.id,
        status: registration?.status ?? 'existing',
      };
    });
  }
}

@Module({})
class PlainModule {
  static register(config: {
    databaseUrl: string;
    schema: string;
    poolSize: number;
  }): DynamicModule {
    return {
      module: PlainModule,
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: config.databaseUrl,
          schema: config.schema,
          entities: [EventRow],
          synchronize: false,
          poolSize: config.poolSize,
          logging: false,
        }),
      ],
      controllers: [PlainController],
      providers: [{ provide: CONFIG, useValue: config }],
    };
  }
}

async function main(): Promise<void> {
  const schema = process.env.PLAIN_REGISTRATIONS_SCHEMA || 'plain_registrations';
  const databaseUrl = process.env.DATABASE_URL || loadPlatformConfig().databaseUrl;
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  await applySqlMigrations(pool, schema, [
    ...eventsMigrations(schema),
    {
      version: 100,
      sql: `CREATE TABLE "${schema}".contacts (id uuid PRIMARY KEY DEFAULT public.uuid_generate_v4(), email text UNIQUE NOT NULL)`,
    },
  ]);
  await pool.end();
  const app = await NestFactory.create(
    PlainModule.register({
      databaseUrl,
      schema,
      poolSize: Number(process.env.PLAIN_REGISTRATIONS_POOL_SIZE || 10),
    }),
    { logger: ['error', 'warn'] },
  );
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  );
  const port = Number(process.env.PLAIN_REGISTRATIONS_PORT || 4423);
  await app.listen(port, '127.0.0.1');
  console.log(JSON.stringify({ service: 'plain-registrations', msg: 'started', port, schema }));
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  console.error(String((error as Error).stack ?? error));
  process.exit(1);
});
