// The data key cache, over a stand-in for the database: keys are KeyObjects
// made once per key, and a destroyed key leaves this process's cache at once,
// even when a read of it was in flight during the erasure.
import { randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import type { Pool } from 'pg';
import { DataKeyStore } from './data-keys';
import { newDataKey, wrapKey } from '@engagement/personal-data';

interface KeyRow {
  contact_id: string;
  key_id: string;
  wrapped_key: Buffer | null;
  master_key_id: string | null;
}

/** A pool that answers the store's statements from one in-memory contact; selects can be held back. */
function fakePool(rows: KeyRow[]) {
  const held: (() => void)[] = [];
  let holdSelects = false;
  let selects = 0;
  const pool = {
    async query(sql: string) {
      if (sql.includes('WITH destroyed')) {
        for (const row of rows) {
          row.wrapped_key = null;
          row.master_key_id = null;
        }
        return { rows: [] };
      }
      if (sql.trim().startsWith('SELECT contact_id')) {
        selects++;
        const answer = rows.map((row) => ({ ...row }));
        if (holdSelects) await new Promise<void>((resolve) => held.push(resolve));
        return { rows: answer };
      }
      throw new Error(`unexpected statement: ${sql}`);
    },
  };
  return {
    pool: pool as unknown as Pool,
    holdSelects: (on: boolean) => (holdSelects = on),
    releaseSelects: () => held.splice(0).forEach((resolve) => resolve()),
    selects: () => selects,
  };
}

function contactWithKey() {
  const master = randomBytes(32);
  const contactId = randomUUID();
  const dataKey = newDataKey();
  const rows: KeyRow[] = [
    {
      contact_id: contactId,
      key_id: 'k1',
      wrapped_key: wrapKey(dataKey, master, `${contactId}/k1`),
      master_key_id: 'm1',
    },
  ];
  const masterKeys = { currentId: 'm1', byId: new Map([['m1', master]]) };
  return { contactId, dataKey, rows, masterKeys };
}

function activeKey(keys: Awaited<ReturnType<DataKeyStore['keysOf']>>): KeyObject {
  if (keys.state !== 'active') throw new Error(`keys are ${keys.state}`);
  return keys.keys.get(keys.currentKeyId)!;
}

describe('data key store', () => {
  it('unwraps each key once into a KeyObject, reused from the cache', async () => {
    const { contactId, dataKey, rows, masterKeys } = contactWithKey();
    const db = fakePool(rows);
    const store = new DataKeyStore(db.pool, 'test', masterKeys);
    const first = activeKey(await store.keysOf(contactId));
    expect(first.type).toBe('secret');
    expect(first.export().equals(dataKey)).toBe(true);
    expect(activeKey(await store.keysOf(contactId))).toBe(first);
    expect((await store.currentKeyFor(contactId)).key).toBe(first);
    expect(db.selects()).toBe(1);
  });

  it('drops a destroyed key at once, and a read in flight during the erasure cannot bring it back', async () => {
    const { contactId, rows, masterKeys } = contactWithKey();
    const db = fakePool(rows);
    const store = new DataKeyStore(db.pool, 'test', masterKeys);

    activeKey(await store.keysOf(contactId));
    await store.destroy(contactId);
    expect(await store.keysOf(contactId)).toEqual({ state: 'destroyed' });
    await expect(store.currentKeyFor(contactId)).rejects.toMatchObject({ code: 'contact-erased' });

    // Another process's store: its read started before the erasure and answers after it.
    const other = contactWithKey();
    const otherDb = fakePool(other.rows);
    const racing = new DataKeyStore(otherDb.pool, 'test', other.masterKeys);
    otherDb.holdSelects(true);
    const inFlight = racing.keysOf(other.contactId);
    const preload = racing.preload([other.contactId]);
    await new Promise((resolve) => setImmediate(resolve));
    const snapshot = other.rows.map((row) => ({ ...row }));
    await racing.destroy(other.contactId);
    // The held reads answer with the rows as they were before the erasure.
    other.rows.splice(0, other.rows.length, ...snapshot);
    otherDb.releaseSelects();
    await preload;
    expect((await inFlight).state).toBe('destroyed');
    expect(await racing.keysOf(other.contactId)).toEqual({ state: 'destroyed' });
  });
});
