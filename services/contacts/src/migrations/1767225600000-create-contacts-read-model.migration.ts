// The first contacts migration: the seed's contacts, contact_properties,
// tags, contact_tags and activities tables (see contacts-read-model.ddl.ts).
import {
  createContactsReadModelSql,
  dropContactsReadModelSql,
  type DdlTarget,
} from './contacts-read-model.ddl';
import { SqlMigration } from './sql-migration';

export class CreateContactsReadModel1767225600000 extends SqlMigration {
  readonly name = 'CreateContactsReadModel1767225600000';

  upSql(target: DdlTarget): string[] {
    return createContactsReadModelSql(target);
  }

  downSql(target: DdlTarget): string[] {
    return dropContactsReadModelSql(target);
  }
}
