// The projection's I/O: loads the rows a batch touches and writes what the
// fold decided, a few bulk statements per batch whatever its size. Rows
// travel as one JSON parameter each way: to_jsonb() out (times at full
// precision), jsonb_to_recordset() in. Table names are unqualified: the
// projection runner has set the search_path to the target schema.
import type { ClientBase } from 'pg';
import type { LoadedRows, RowChanges, RowsNeeded } from './contacts-read-model.fold';
import {
  ACTIVITY_COLUMNS,
  CONTACT_COLUMNS,
  CONTACT_TAG_COLUMNS,
  PROPERTY_COLUMNS,
  TAG_COLUMNS,
  type ColumnTypes,
} from './contacts-read-model.rows';

export async function loadRows(client: ClientBase, needed: RowsNeeded): Promise<LoadedRows> {
  return {
    contacts: await selectRows(client, 'contacts', 'id', needed.contactIds),
    properties: await selectRows(client, 'contact_properties', 'contact_id', needed.propertiesOf),
    contactTags: await selectRows(client, 'contact_tags', 'contact_id', needed.contactTagsOf),
    tags: await selectRows(client, 'tags', 'id', needed.tagIds),
  };
}

/**
 * Writes in an order no constraint objects to: tags before the links that
 * point at them, contacts before their properties, links and activities;
 * deletions and parked unique values before the rows that take them over.
 */
export async function writeChanges(client: ClientBase, changes: RowChanges): Promise<void> {
  await deleteRows(client, 'tags', changes.deletedTagIds);
  if (changes.movedTagIds.length > 0) {
    await client.query(
      `UPDATE tags SET name = 'moving:' || id, slug = 'moving-' || id WHERE id = ANY($1::uuid[])`,
      [changes.movedTagIds],
    );
  }
  await upsertRows(client, 'tags', TAG_COLUMNS, changes.tags, 'update');

  if (changes.movedContactIds.length > 0) {
    await client.query(
      `UPDATE contacts SET email = 'moving+' || id || '@moving.invalid' WHERE id = ANY($1::uuid[])`,
      [changes.movedContactIds],
    );
  }
  await upsertRows(client, 'contacts', CONTACT_COLUMNS, changes.contacts, 'update');

  await deleteRows(client, 'contact_properties', changes.deletedPropertyIds);
  await upsertRows(client, 'contact_properties', PROPERTY_COLUMNS, changes.properties, 'update');
  await deleteRows(client, 'contact_tags', changes.deletedContactTagIds);
  // A link never changes once made (a re-add after a removal is a new row).
  await upsertRows(client, 'contact_tags', CONTACT_TAG_COLUMNS, changes.contactTags, 'nothing');
  // An activity id already taken (recorded on another contact) keeps its first row.
  await upsertRows(client, 'activities', ACTIVITY_COLUMNS, changes.activities, 'nothing');
  for (const sync of changes.activitySyncs) {
    await client.query(
      `UPDATE activities
          SET synced_to_crms = COALESCE(
                (SELECT jsonb_agg(e) FROM jsonb_array_elements(synced_to_crms) e WHERE e->>'provider' <> $2),
                '[]'::jsonb) || jsonb_build_array($3::jsonb)
        WHERE id = $1`,
      [sync.activityId, sync.provider, JSON.stringify(sync.entry)],
    );
  }

  if (changes.erasedContactIds.length > 0) {
    // Earlier batches' activities; the fold already stripped this batch's.
    await client.query(
      `UPDATE activities SET activity_data = '{}'::jsonb WHERE contact_id = ANY($1::uuid[])`,
      [changes.erasedContactIds],
    );
  }
}

async function selectRows<Row>(
  client: ClientBase,
  table: string,
  column: string,
  ids: string[],
): Promise<Row[]> {
  if (ids.length === 0) return [];
  const { rows } = await client.query<{ row: Row }>(
    `SELECT to_jsonb(t) AS row FROM ${table} t WHERE ${column} = ANY($1::uuid[])`,
    [ids],
  );
  return rows.map((r) => r.row);
}

async function deleteRows(client: ClientBase, table: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await client.query(`DELETE FROM ${table} WHERE id = ANY($1::uuid[])`, [ids]);
}

/** One multi-row INSERT ... ON CONFLICT (id) for any number of rows (ids unique within `rows`). */
async function upsertRows<Row extends object>(
  client: ClientBase,
  table: string,
  columns: ColumnTypes<Row>,
  rows: Row[],
  onConflict: 'update' | 'nothing',
): Promise<void> {
  if (rows.length === 0) return;
  const names = Object.keys(columns);
  const definition = Object.entries(columns)
    .map(([name, type]) => `${name} ${type}`)
    .join(', ');
  const conflict =
    onConflict === 'nothing'
      ? 'DO NOTHING'
      : `DO UPDATE SET ${names
          .filter((n) => n !== 'id')
          .map((n) => `${n} = EXCLUDED.${n}`)
          .join(', ')}`;
  await client.query(
    `INSERT INTO ${table} (${names.join(', ')})
     SELECT ${names.join(', ')} FROM jsonb_to_recordset($1::jsonb) AS r(${definition})
     ON CONFLICT (id) ${conflict}`,
    [JSON.stringify(rows)],
  );
}
