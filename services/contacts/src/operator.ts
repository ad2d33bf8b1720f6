// What operators' tools need from the contacts service, without starting it:
// its projections (with the decryption of personal data they apply), and a
// reader that shows a contact stream's events in clear. Used by
// `npm run projections` and `npm run history` (tools/ops).
import type { Pool } from 'pg';
import type { RecordedEvent } from '@engagement/event-store';
import type { ProjectionDefinition } from '@engagement/projections';
import { loadContactsConfig, type ContactsConfig } from './config';
import { DataKeyStore } from './personal-data/data-keys';
import { loadMasterKeys } from './personal-data/master-keys';
import { PersonalDataCipher } from './personal-data/personal-data-cipher';
import { createContactsReadModelProjection } from './read-model';

export interface ContactsOperatorView {
  config: ContactsConfig;
  projections: ProjectionDefinition[];
  /** The event with personal fields in clear (placeholders once erased). */
  decrypt(event: RecordedEvent): Promise<RecordedEvent>;
}

export async function contactsOperatorView(
  pool: Pool,
  warn: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ContactsOperatorView> {
  const config = loadContactsConfig(env);
  const keys = new DataKeyStore(pool, config.schema, loadMasterKeys(config, warn));
  await keys.prepare();
  const cipher = new PersonalDataCipher(keys);
  const decrypt = (event: RecordedEvent) => cipher.decryptEvent(event);
  return {
    config,
    projections: [
      createContactsReadModelProjection({
        schema: config.schema,
        decrypt,
        preloadKeys: (events) => cipher.preloadKeys(events),
      }),
    ],
    decrypt,
  };
}
