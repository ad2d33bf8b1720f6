// The PostgreSQL event store's schema, as ordered migrations. Applied by
// `migratePostgresEventStore` under an advisory lock, so that services and
// parallel tests starting together do not race each other.
//
// Positions and the "gap problem": a global position taken from a sequence
// is handed out when a row is inserted, but rows become visible when their
// transaction commits, and commits do not come in sequence order. A reader
// that has seen position 10 may later see 9 appear, and skip it. So the
// global position here is derived from the appending transaction's id
// instead: ((xid + offset) << 20) + index within the transaction.
//
// Which positions a reader may see (version 3): only those below the oldest
// append to THIS store still in flight. Every append first takes a shared
// advisory lock (the "in-flight" lock of the schema) before its transaction
// has an id, and holds it to its end; a transaction is visible to new
// snapshots before its locks are released. A reader first looks at the
// holders of that lock (pg_locks, which is not MVCC: it is the present) and
// at the next transaction id, and only then, in a later statement with a
// later snapshot, reads the events below
//   boundary = (min(xid of each holder, next xid) + offset) << 20.
// Any append that committed before the look is in that later snapshot; any
// append still in flight has an xid >= the boundary; any append that starts
// after the look gets an xid >= the next xid seen. So a reader never skips
// a late commit, and a transaction that is not an append (another
// application's batch, an operator's psql session, an audit's repeatable
// read transaction) delays nobody. Earlier versions used the cluster-wide
// xmin, which any open writing transaction anywhere held back.
//
// The offset (version 3): transaction ids restart low in a new cluster, so
// after a dump and restore new events would get positions below every
// checkpoint. `raise_position_offset()`, run at every connect, raises the
// offset above the highest stored position when that happens. Checkpoints
// handed to readers are always stored positions (never the boundary itself),
// so the highest stored position bounds every checkpoint.
import { quoteIdent } from '@engagement/sql-migrations';

// 2^20 events per transaction and 2^43 transaction ids fit in a bigint.
export const POSITION_SHIFT = 20;
/** First key of the schema's in-flight advisory lock ('EVST'); the second is hashtext(schema). */
export const IN_FLIGHT_CLASS = 1163285332;

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
    {
      // Version 3: in-flight appends bound visibility (not the cluster's
      // xmin), and a position offset that survives a restore. See the top.
      version: 3,
      sql: `
CREATE TABLE ${s}.position_offset (
  only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  xid_offset bigint  NOT NULL
);
INSERT INTO ${s}.position_offset (xid_offset) VALUES (0);

-- Takes part in the in-flight registry: called first by every append. An
-- append must be the first write of its transaction (or follow an append to
-- this store in it): a transaction id taken earlier could be below the
-- boundary a reader already went past.
CREATE FUNCTION ${s}.begin_append() RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
  v_offset bigint;
BEGIN
  IF pg_current_xact_id_if_assigned() IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM pg_locks l
        WHERE l.pid = pg_backend_pid() AND l.locktype = 'advisory' AND l.granted
          AND l.classid = ${IN_FLIGHT_CLASS}::oid AND l.objid = hashtext('${schema}')::oid AND l.objsubid = 2) THEN
    RAISE EXCEPTION 'an append to the event store must be the first write of its transaction'
      USING ERRCODE = 'P0001', HINT = 'EVTXN';
  END IF;
  PERFORM pg_advisory_xact_lock_shared(${IN_FLIGHT_CLASS}, hashtext('${schema}'));
  SELECT o.xid_offset INTO v_offset FROM ${s}.position_offset o;
  RETURN (pg_current_xact_id()::text::bigint + v_offset) << ${POSITION_SHIFT};
END
$fn$;

-- Positions below this are final: every append that can still commit one
-- below it has committed. Read it in one statement, and the events in a
-- later one (a later snapshot): see the top of postgres-event-store.schema.ts.
CREATE FUNCTION ${s}.visible_boundary() RETURNS bigint
LANGUAGE sql VOLATILE AS $fn$
  WITH snap AS (
    SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS next_xid
  ),
  holders AS (
    -- Each holder's own transaction id, as 32 bits: widen it with the next
    -- xid as reference. A holder without an id yet will get one >= next_xid.
    SELECT (SELECT min(t.transactionid::text::bigint) FROM pg_locks t
             WHERE t.locktype = 'transactionid' AND t.mode = 'ExclusiveLock' AND t.granted
               AND t.virtualtransaction = l.virtualtransaction) AS xid32
      FROM pg_locks l
     WHERE l.locktype = 'advisory' AND l.classid = ${IN_FLIGHT_CLASS}::oid
       AND l.objid = hashtext('${schema}')::oid AND l.objsubid = 2
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  ),
  widened AS (
    SELECT CASE WHEN d BETWEEN 1 AND 2147483648 THEN snap.next_xid - d ELSE snap.next_xid END AS xid
      FROM snap, holders,
           LATERAL (SELECT ((snap.next_xid % 4294967296) - holders.xid32 + 4294967296) % 4294967296 AS d) dd
  )
  SELECT (least((SELECT min(xid) FROM widened), (SELECT next_xid FROM snap))
          + (SELECT o.xid_offset FROM ${s}.position_offset o)) << ${POSITION_SHIFT}
$fn$;

-- One page of the log after p_after, below the boundary, optionally
-- filtered; with the highest stored position overall (head) and below the
-- boundary (below), both from the same snapshot as the page.
CREATE FUNCTION ${s}.read_all(p_after bigint, p_limit integer, p_prefixes text[], p_types text[])
RETURNS TABLE (boundary bigint, head bigint, below bigint,
               global_position bigint, stream_id text, revision bigint, event_id uuid, event_type text,
               schema_version integer, data jsonb, metadata jsonb)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_boundary bigint;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'read_all needs a fresh snapshot per statement: run it in READ COMMITTED';
  END IF;
  SELECT ${s}.visible_boundary() INTO v_boundary;
  RETURN QUERY
    WITH h AS (
      SELECT (SELECT max(x.global_position) FROM ${s}.events x) AS head,
             (SELECT max(x.global_position) FROM ${s}.events x WHERE x.global_position < v_boundary) AS below
    )
    SELECT v_boundary, h.head, h.below, e.global_position, e.stream_id, e.revision, e.event_id,
           e.event_type, e.schema_version, e.data, e.metadata
      FROM h
      LEFT JOIN LATERAL (
        SELECT x.global_position, x.stream_id, x.revision, x.event_id, x.event_type, x.schema_version, x.data, x.metadata
          FROM ${s}.events x
         WHERE x.global_position > p_after AND x.global_position < v_boundary
           AND (p_prefixes IS NULL OR x.stream_id LIKE ANY (p_prefixes))
           AND (p_types IS NULL OR x.event_type = ANY (p_types))
         ORDER BY x.global_position
         LIMIT p_limit
      ) e ON true;
END
$fn$;

-- Run at every connect: after a restore into a new cluster (transaction ids
-- restarted low), raises the offset so that new positions come above every
-- stored one. Holds the in-flight lock exclusively while it does, so no
-- append runs with the old offset meanwhile.
CREATE FUNCTION ${s}.raise_position_offset() RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
  v_max    bigint;
  v_next   bigint;
  v_offset bigint;
BEGIN
  SELECT max(e.global_position) INTO v_max FROM ${s}.events e;
  SELECT o.xid_offset INTO v_offset FROM ${s}.position_offset o;
  v_next := pg_snapshot_xmax(pg_current_snapshot())::text::bigint;
  IF v_max IS NULL OR ((v_next + v_offset) << ${POSITION_SHIFT}) > v_max THEN
    RETURN v_offset;
  END IF;
  PERFORM pg_advisory_xact_lock(${IN_FLIGHT_CLASS}, hashtext('${schema}'));
  SELECT max(e.global_position) INTO v_max FROM ${s}.events e;
  v_next := pg_current_xact_id()::text::bigint;
  v_offset := (v_max >> ${POSITION_SHIFT}) + 1 - v_next;
  UPDATE ${s}.position_offset SET xid_offset = greatest(xid_offset, v_offset);
  SELECT o.xid_offset INTO v_offset FROM ${s}.position_offset o;
  RETURN v_offset;
END
$fn$;

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
  v_first    bigint;
  v_base     bigint;
BEGIN
  v_first := ${s}.begin_append();
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

  SELECT coalesce(max(e.global_position) + 1, v_first) INTO v_base
    FROM ${s}.events e
   WHERE e.global_position >= v_first
     AND e.global_position < v_first + (1::bigint << ${POSITION_SHIFT});

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
    {
      // Version 4: several streams in one call, all or nothing. Stream locks
      // are taken in the order of their lock keys, so two multi-stream
      // appends never wait for each other in a circle. Outcomes per stream:
      // appended, or conflict (then nothing is written for any stream).
      version: 4,
      sql: `
CREATE FUNCTION ${s}.append_to_streams(
  p_streams       text[],
  p_expected      text[],
  p_event_streams integer[],
  p_ids           uuid[],
  p_types         text[],
  p_versions      integer[],
  p_data          jsonb[],
  p_metadata      jsonb[]
) RETURNS TABLE (stream_id text, outcome text, stream_revision bigint, last_position bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_count    integer := cardinality(p_ids);
  v_inserted integer;
  v_currents bigint[];
  v_conflict boolean := false;
  v_first    bigint;
  v_base     bigint;
BEGIN
  v_first := ${s}.begin_append();
  PERFORM pg_advisory_xact_lock(k.key)
     FROM (SELECT DISTINCT hashtextextended(x, 7) AS key FROM unnest(p_streams) AS x ORDER BY 1) k;

  SELECT array_agg((SELECT max(e.revision) FROM ${s}.events e WHERE e.stream_id = x.id) ORDER BY x.i)
    INTO v_currents
    FROM unnest(p_streams) WITH ORDINALITY AS x(id, i);

  FOR i IN 1 .. cardinality(p_streams) LOOP
    IF NOT (p_expected[i] = 'any'
            OR (p_expected[i] = 'no_stream' AND v_currents[i] IS NULL)
            OR (p_expected[i] = 'stream_exists' AND v_currents[i] IS NOT NULL)
            OR (p_expected[i] ~ '^[0-9]+$' AND v_currents[i] IS NOT NULL AND v_currents[i] = p_expected[i]::bigint)) THEN
      v_conflict := true;
      stream_id := p_streams[i];
      outcome := 'conflict';
      stream_revision := v_currents[i];
      last_position := NULL;
      RETURN NEXT;
    END IF;
  END LOOP;
  IF v_conflict THEN
    RETURN;
  END IF;

  SELECT coalesce(max(e.global_position) + 1, v_first) INTO v_base
    FROM ${s}.events e
   WHERE e.global_position >= v_first
     AND e.global_position < v_first + (1::bigint << ${POSITION_SHIFT});

  INSERT INTO ${s}.events (global_position, stream_id, revision, event_id, event_type, schema_version, data, metadata)
  SELECT v_base + x.i - 1, p_streams[x.si],
         coalesce(v_currents[x.si], -1) + row_number() OVER (PARTITION BY x.si ORDER BY x.i),
         x.id, x.type, x.version, x.data, x.metadata
    FROM unnest(p_event_streams, p_ids, p_types, p_versions, p_data, p_metadata)
         WITH ORDINALITY AS x(si, id, type, version, data, metadata, i)
  ON CONFLICT (event_id) DO NOTHING;
  GET DIAGNOSTICS v_inserted = ROW_COUNT;
  IF v_inserted < v_count THEN
    RAISE EXCEPTION 'event ids already stored' USING ERRCODE = 'P0001', HINT = 'EVDUP';
  END IF;

  RETURN QUERY
    SELECT p_streams[x.si], 'appended'::text,
           coalesce(v_currents[x.si], -1) + count(*), v_base + max(x.i) - 1
      FROM unnest(p_event_streams) WITH ORDINALITY AS x(si, i)
     GROUP BY x.si
     ORDER BY x.si;
END
$fn$;
`,
    },
    {
      // Version 5: read_all refuses to run on a standby, whose pg_locks
      // cannot show the primary's appends in flight.
      version: 5,
      sql: `
CREATE OR REPLACE FUNCTION ${s}.read_all(p_after bigint, p_limit integer, p_prefixes text[], p_types text[])
RETURNS TABLE (boundary bigint, head bigint, below bigint,
               global_position bigint, stream_id text, revision bigint, event_id uuid, event_type text,
               schema_version integer, data jsonb, metadata jsonb)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_boundary bigint;
BEGIN
  -- A standby's pg_locks does not show the primary's appends in flight.
  IF pg_is_in_recovery() THEN
    RAISE EXCEPTION 'read_all must run on the primary: a standby cannot see the appends in flight';
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'read_all needs a fresh snapshot per statement: run it in READ COMMITTED';
  END IF;
  SELECT ${s}.visible_boundary() INTO v_boundary;
  RETURN QUERY
    WITH h AS (
      SELECT (SELECT max(x.global_position) FROM ${s}.events x) AS head,
             (SELECT max(x.global_position) FROM ${s}.events x WHERE x.global_position < v_boundary) AS below
    )
    SELECT v_boundary, h.head, h.below, e.global_position, e.stream_id, e.revision, e.event_id,
           e.event_type, e.schema_version, e.data, e.metadata
      FROM h
      LEFT JOIN LATERAL (
        SELECT x.global_position, x.stream_id, x.revision, x.event_id, x.event_type, x.schema_version, x.data, x.metadata
          FROM ${s}.events x
         WHERE x.global_position > p_after AND x.global_position < v_boundary
           AND (p_prefixes IS NULL OR x.stream_id LIKE ANY (p_prefixes))
           AND (p_types IS NULL OR x.event_type = ANY (p_types))
         ORDER BY x.global_position
         LIMIT p_limit
      ) e ON true;
END
$fn$;
`,
    },
    {
      // Version 6: the offset raised after a restore leaves room for
      // checkpoints written by versions before 3 (see raise_position_offset).
      version: 6,
      sql: `
CREATE OR REPLACE FUNCTION ${s}.raise_position_offset() RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
  v_max    bigint;
  v_next   bigint;
  v_offset bigint;
BEGIN
  SELECT max(e.global_position) INTO v_max FROM ${s}.events e;
  SELECT o.xid_offset INTO v_offset FROM ${s}.position_offset o;
  v_next := pg_snapshot_xmax(pg_current_snapshot())::text::bigint;
  IF v_max IS NULL OR ((v_next + v_offset) << ${POSITION_SHIFT}) > v_max THEN
    RETURN v_offset;
  END IF;
  PERFORM pg_advisory_xact_lock(${IN_FLIGHT_CLASS}, hashtext('${schema}'));
  SELECT max(e.global_position) INTO v_max FROM ${s}.events e;
  v_next := pg_current_xact_id()::text::bigint;
  -- A margin of 2^31 transaction ids: a checkpoint written before version 3
  -- could be the old cluster's visibility boundary, above its last event.
  v_offset := (v_max >> ${POSITION_SHIFT}) + 1 + 2147483648 - v_next;
  UPDATE ${s}.position_offset SET xid_offset = greatest(xid_offset, v_offset);
  SELECT o.xid_offset INTO v_offset FROM ${s}.position_offset o;
  RETURN v_offset;
END
$fn$;
`,
    },
  ];
}
