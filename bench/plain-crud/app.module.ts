// The plain CRUD service's module: TypeORM on PostgreSQL, its tables made
// by the contacts service's own first migration (the seed's tables, same
// columns and indexes), run at start into this service's schema.
import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CreateContactsReadModel1767225600000 } from '../../services/contacts/src/migrations/1767225600000-create-contacts-read-model.migration';
import { ContactsController } from './contacts.controller';
import { ContactsService } from './contacts.service';
import { ENTITIES } from './entities';

export interface PlainCrudConfig {
  port: number;
  host: string;
  databaseUrl: string;
  schema: string;
  poolSize: number;
}

@Module({})
export class PlainCrudModule {
  static register(config: PlainCrudConfig): DynamicModule {
    return {
      module: PlainCrudModule,
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: config.databaseUrl,
          schema: config.schema,
          entities: ENTITIES,
          migrations: [CreateContactsReadModel1767225600000],
          migrationsRun: true,
          migrationsTableName: 'plain_crud_migrations',
          synchronize: false,
          poolSize: config.poolSize,
          logging: false,
        }),
      ],
      controllers: [ContactsController],
      providers: [ContactsService],
    };
  }
}
