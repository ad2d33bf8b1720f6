// A TypeORM migration whose SQL is plain data: upSql/downSql build the
// statements for a target schema. TypeORM runs it through up()/down() on
// the live schema; applyContactsMigrations() runs the very same statements
// through a pg client on rebuild and audit schemas. One definition, two
// runners, no drift between them.
import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { DdlTarget } from './contacts-read-model.ddl';
import { ENSURE_UUID_OSSP_SQL, UUID_OSSP_SCHEMA_SQL } from './contacts-read-model.ddl';

/** Runs one SQL statement; both runners provide one. */
export type RunSql = (sql: string) => Promise<Array<Record<string, unknown>>>;

export abstract class SqlMigration implements MigrationInterface {
  /** The class name with its 13-digit timestamp, as TypeORM records it. */
  abstract readonly name: string;
  abstract upSql(target: DdlTarget): string[];
  abstract downSql(target: DdlTarget): string[];

  async up(queryRunner: QueryRunner): Promise<void> {
    const run: RunSql = (sql) => queryRunner.query(sql);
    await runStatements(run, this.upSql(await resolveDdlTarget(run, schemaOf(queryRunner))));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const run: RunSql = (sql) => queryRunner.query(sql);
    await runStatements(run, this.downSql(await resolveDdlTarget(run, schemaOf(queryRunner))));
  }
}

/** The target schema comes from the DataSource's options, never from the migration. */
function schemaOf(queryRunner: QueryRunner): string {
  const schema = (queryRunner.connection.options as { schema?: string }).schema;
  if (!schema) throw new Error('The contacts migrations need the DataSource option `schema`');
  return schema;
}

/** Makes sure uuid_generate_v4() exists and finds its schema. */
export async function resolveDdlTarget(run: RunSql, schema: string): Promise<DdlTarget> {
  await run(ENSURE_UUID_OSSP_SQL);
  const rows = await run(UUID_OSSP_SCHEMA_SQL);
  return { schema, uuidSchema: String(rows[0].schema) };
}

export async function runStatements(run: RunSql, statements: string[]): Promise<void> {
  for (const sql of statements) await run(sql);
}

/** The 13-digit timestamp TypeORM reads from the end of a migration's name. */
export function timestampOf(migration: { name: string }): number {
  return Number(migration.name.slice(-13));
}
