// Test support for seed-schema.int.spec.ts: reads the seed's DDL out of
// shared/seed/abstract-schema-v2.md and describes a schema's tables as flat
// facts (columns, constraints, indexes) that two schemas can be diffed on.
// Plain functions over text and a pg client; no test framework here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientBase } from 'pg';
import { findWorkspaceRoot } from '@engagement/config';

/** CI checks the repository out with shared/ beside it, as on our machines. */
export function seedDocumentPath(): string {
  return join(findWorkspaceRoot(), '..', 'shared', 'seed', 'abstract-schema-v2.md');
}

/**
 * The seed's CREATE TABLE and CREATE INDEX statements for `tables`, in the
 * seed's order, comments removed, unqualified (they go into the search_path).
 */
export function seedStatements(markdown: string, tables: readonly string[]): string[] {
  const blocks = [...markdown.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]);
  const statements = blocks
    .join('\n')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/--[^\n]*/g, '')
    .split(';')
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
  return statements.filter((sql) => {
    const table =
      /^CREATE TABLE (\w+)/i.exec(sql)?.[1] ??
      /^CREATE (?:UNIQUE )?INDEX \w+ ON (\w+)/i.exec(sql)?.[1];
    return table !== undefined && tables.includes(table);
  });
}

export function readSeedStatements(tables: readonly string[]): string[] {
  return seedStatements(readFileSync(seedDocumentPath(), 'utf8'), tables);
}

/** key → description, e.g. "column contacts.email" → "#2 text default=null nullable=NO". */
export type SchemaFacts = Map<string, string>;

/**
 * Columns (information_schema.columns), constraints (pg_constraint: primary
 * key, unique, foreign key with its delete rule, not null) and indexes
 * (pg_indexes) of `tables` in `schema`, with the schema's name taken out of
 * every definition so that two schemas compare.
 */
export async function describeSchema(
  client: ClientBase,
  schema: string,
  tables: readonly string[],
): Promise<SchemaFacts> {
  const facts: SchemaFacts = new Map();
  const unqualify = (text: string) => text.split(`${schema}.`).join('');
  // A search_path naming neither schema makes PostgreSQL qualify every name
  // it prints, so the one replace above catches them all.
  await client.query('SET search_path TO pg_catalog');
  try {
    const columns = await client.query<{
      table_name: string;
      column_name: string;
      ordinal_position: number;
      data_type: string;
      column_default: string | null;
      is_nullable: string;
    }>(
      `SELECT table_name, column_name, ordinal_position, data_type, column_default, is_nullable
         FROM information_schema.columns WHERE table_schema = $1 AND table_name = ANY($2)`,
      [schema, tables],
    );
    for (const c of columns.rows) {
      facts.set(
        `column ${c.table_name}.${c.column_name}`,
        `#${c.ordinal_position} ${c.data_type} default=${c.column_default === null ? 'null' : unqualify(c.column_default)} nullable=${c.is_nullable}`,
      );
    }

    const constraints = await client.query<{
      table_name: string;
      conname: string;
      definition: string;
    }>(
      `SELECT t.relname AS table_name, c.conname, c.contype::text || ' ' || pg_get_constraintdef(c.oid) AS definition
         FROM pg_constraint c
         JOIN pg_class t ON t.oid = c.conrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = $1 AND t.relname = ANY($2)`,
      [schema, tables],
    );
    for (const c of constraints.rows) {
      facts.set(`constraint ${c.table_name}.${c.conname}`, unqualify(c.definition));
    }

    const indexes = await client.query<{ tablename: string; indexname: string; indexdef: string }>(
      `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = ANY($2)`,
      [schema, tables],
    );
    for (const i of indexes.rows) {
      facts.set(`index ${i.tablename}.${i.indexname}`, unqualify(i.indexdef));
    }
  } finally {
    await client.query('RESET search_path');
  }
  return facts;
}

export interface SchemaDifference {
  kind: 'missing' | 'extra' | 'changed';
  key: string;
  expected: string | null;
  actual: string | null;
}

/** What `actual` has that `expected` lacks, lacks that it has, or has differently. */
export function diffSchemas(expected: SchemaFacts, actual: SchemaFacts): SchemaDifference[] {
  const differences: SchemaDifference[] = [];
  for (const [key, want] of expected) {
    const got = actual.get(key);
    if (got === undefined) differences.push({ kind: 'missing', key, expected: want, actual: null });
    else if (got !== want) differences.push({ kind: 'changed', key, expected: want, actual: got });
  }
  for (const [key, got] of actual) {
    if (!expected.has(key)) differences.push({ kind: 'extra', key, expected: null, actual: got });
  }
  return differences.sort((a, b) => a.key.localeCompare(b.key));
}
