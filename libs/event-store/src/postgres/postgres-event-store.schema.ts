// The PostgreSQL event store's schema, as ordered migrations. Applied by
// `migratePostgresEventStore` under an advisory lock, so that services and
// parallel tests starting together do not race each other.
//
// Positions and the "gap problem": a global position taken from a sequence
// is handed out when a row is inserted, but rows become visible when their
// transaction commits, and commits do not come in sequence order. A reader
// that has seen position 10 may later see 9 appear, and skip it. So the
// global position here is derived from the appending transaction's id
// instead: (xid << 20) + index within the transaction, and readers only read
// positions below (xmin of the current snapshot) << 20. Every transaction
// with a smaller xid has finished by then, and every transaction still to
// commit has xid >= xmin, hence positions above all that was read. A reader
// can therefore never skip a late commit; it only waits for it.
// 2^20 events per transaction and 2^43 transaction ids fit in a bigint.

export const POSITION_SHIFT = 20;

export function eventStoreMigrations(schema: string): { version: number; sql: string }[] {
  const s = quoteIdent(schema);
  return [
    {
      version: 1,
      sql: `
CREATE TABLE ${s}.events (
  global_position bigint PRIMARY KEY,
  stream_id       text        NOT NULL,
  revision        bigint      NOT NULL,
  event_id        uuid        NOT NULL,
  event_type      text        NOT NULL,
  schema_version  integer     NOT NULL,
  data            jsonb       NOT NULL,
  metadata        jsonb       NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT events_stream_revision_key UNIQUE (stream_id, revision),
  CONSTRAINT events_event_id_key UNIQUE (event_id)
);

-- One call appends one batch to one stream, atomically, in one round trip.
-- Appends to one stream are serialised by a transaction-scoped advisory lock
-- on the stream id; appends to different streams run in parallel.
-- Outcomes: appended | idempotent (every event id is already in this stream:
-- a retry, answered with the original result) | duplicate (some ids are
-- stored elsewhere) | conflict (the expected revision does not hold).
CREATE FUNCTION ${s}.append_to_stream(
  p_stream_id text,
  p_expected  text,
  p_ids       uuid[],
  p_types     text[],
  p_versions  integer[],
  p_data      jsonb[],
  p_metadata  jsonb[]
) RETURNS TABLE (outcome text, stream_revision bigint, last_position bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_count    integer := cardinality(p_ids);
  v_found    integer;
  v_in_stream integer;
  v_current  bigint;
  v_xid      bigint;
  v_base     bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_stream_id, 7));

  SELECT count(*), count(*) FILTER (WHERE e.stream_id = p_stream_id), max(e.revision), max(e.global_position)
    INTO v_found, v_in_stream, stream_revision, last_position
    FROM ${s}.events e WHERE e.event_id = ANY (p_ids);
  IF v_found > 0 THEN
    outcome := CASE WHEN v_in_stream = v_count THEN 'idempotent' ELSE 'duplicate' END;
    RETURN NEXT;
    RETURN;
  END IF;

  SELECT max(e.revision) INTO v_current FROM ${s}.events e WHERE e.stream_id = p_stream_id;
  IF NOT (p_expected = 'any'
          OR (p_expected = 'no_stream' AND v_current IS NULL)
          OR (p_expected = 'stream_exists' AND v_current IS NOT NULL)
          OR (p_expected ~ '^[0-9]+$' AND v_current IS NOT NULL AND v_current = p_expected::bigint)) THEN
    outcome := 'conflict';
    stream_revision := v_current;
    last_position := NULL;
    RETURN NEXT;
    RETURN;
  END IF;

  v_xid := pg_current_xact_id()::text::bigint;
  SELECT coalesce(max(e.global_position) + 1, v_xid << ${POSITION_SHIFT}) INTO v_base
    FROM ${s}.events e
   WHERE e.global_position >= (v_xid << ${POSITION_SHIFT})
     AND e.global_position < ((v_xid + 1) << ${POSITION_SHIFT});

  INSERT INTO ${s}.events (global_position, stream_id, revision, event_id, event_type, schema_version, data, metadata)
  SELECT v_base + x.i - 1, p_stream_id, coalesce(v_current, -1) + x.i, x.id, x.type, x.version, x.data, x.metadata
    FROM unnest(p_ids, p_types, p_versions, p_data, p_metadata) WITH ORDINALITY AS x(id, type, version, data, metadata, i);

  outcome := 'appended';
  stream_revision := coalesce(v_current, -1) + v_count;
  last_position := v_base + v_count - 1;
  RETURN NEXT;
END
$fn$;
`,
    },
    {
      // Version 2: no duplicate-id lookup before every insert. That lookup
      // ran on each append and, with a cached generic plan on a table not yet
      // analysed, became a sequential scan. Now the insert itself meets the
      // unique event_id index (ON CONFLICT DO NOTHING); when it inserted fewer
      // rows than given, the function raises EVDUP, which rolls the call back,
      // and the adapter then tells a retried append from a clash.
      version: 2,
      sql: `
CREATE OR REPLACE FUNCTION ${s}.append_to_stream(
  p_stream_id text,
  p_expected  text,
  p_ids       uuid[],
  p_types     text[],
  p_versions  integer[],
  p_data      jsonb[],
  p_metadata  jsonb[]
) RETURNS TABLE (outcome text, stream_revision bigint, last_position bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_count    integer := cardinality(p_ids);
  v_inserted integer;
  v_current  bigint;
  v_xid      bigint;
  v_base     bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_stream_id, 7));

  SELECT max(e.revision) INTO v_current FROM ${s}.events e WHERE e.stream_id = p_stream_id;
  IF NOT (p_expected = 'any'
          OR (p_expected = 'no_stream' AND v_current IS NULL)
          OR (p_expected = 'stream_exists' AND v_current IS NOT NULL)
          OR (p_expected ~ '^[0-9]+$' AND v_current IS NOT NULL AND v_current = p_expected::bigint)) THEN
    outcome := 'conflict';
    stream_revision := v_current;
    last_position := NULL;
    RETURN NEXT;
    RETURN;
  END IF;

  v_xid := pg_current_xact_id()::text::bigint;
  SELECT coalesce(max(e.global_position) + 1, v_xid << ${POSITION_SHIFT}) INTO v_base
    FROM ${s}.events e
   WHERE e.global_position >= (v_xid << ${POSITION_SHIFT})
     AND e.global_position < ((v_xid + 1) << ${POSITION_SHIFT});

  INSERT INTO ${s}.events (global_position, stream_id, revision, event_id, event_type, schema_version, data, metadata)
  SELECT v_base + x.i - 1, p_stream_id, coalesce(v_current, -1) + x.i, x.id, x.type, x.version, x.data, x.metadata
    FROM unnest(p_ids, p_types, p_versions, p_data, p_metadata) WITH ORDINALITY AS x(id, type, version, data, metadata, i)
  ON CONFLICT (event_id) DO NOTHING;
  GET DIAGNOSTICS v_inserted = ROW_COUNT;
  IF v_inserted < v_count THEN
    RAISE EXCEPTION 'event ids already stored' USING ERRCODE = 'P0001', HINT = 'EVDUP';
  END IF;

  outcome := 'appended';
  stream_revision := coalesce(v_current, -1) + v_count;
  last_position := v_base + v_count - 1;
  RETURN NEXT;
END
$fn$;
`,
    },
  ];
}

export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new Error(`Schema name "${name}" must be lower-case letters, digits and underscores`);
  }
  return `"${name}"`;
}
