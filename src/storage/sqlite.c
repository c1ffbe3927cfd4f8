/*
 * sqlite.c — the SQLite instance storage backend (storage_impl.h).
 *
 * One handle = one SQLite connection, used by one thread at a time (the
 * connection is opened SQLITE_OPEN_NOMUTEX and caches prepared statements).
 * Several handles and processes share a file through WAL mode: readers see the
 * last committed transaction and never wait; every write runs in BEGIN
 * IMMEDIATE, so it takes the write lock before it reads anything it relies on
 * (the next seq) and waits up to BUSY_TIMEOUT_MS for another writer. That wait
 * is SQLite's polling, not a queue: a process committing back-to-back can keep
 * another waiting, so callers should write in batches, not in tight loops.
 *
 * Schema: `migrations` below, applied in order on open. The database records
 * its version in PRAGMA user_version and marks itself as tranche's with PRAGMA
 * application_id, so that a file of another application is refused rather
 * than written into. A migration is never edited once released: a change is a
 * new row.
 *
 * Invariants of dynamic_partitions: (name, key) unique; seq unique within a
 * name and increasing in order of addition — a new key gets max(seq)+1 of its
 * name, a present key keeps its row, so a deleted and re-added key goes last.
 *
 * Invariants of runs, events and status (migration 2): run and event ids
 * increase and are never reused (AUTOINCREMENT), so readers page by id.
 * partition_status and check_status are derived from events, in the
 * transaction that writes them (events_add) or ends their run (run_finish,
 * runs_reap): a status question never reads the log. A partition has a row
 * iff it has a status (no row: missing). prev_* are non-NULL only while the
 * row is in_progress, and hold what its run's end puts back.
 * materialization_id is the row's last materialization event: it survives
 * in_progress and failed, and goes with the row on a wipe.
 *
 * Invariants of the status change sequence (migration 3): counters
 * 'status_seq' is the last value handed out; a write transaction takes values
 * under its write lock (seq_take), so they increase in commit order. Every
 * change of a partition_status row stores a new value in its seq: one per
 * status event in events_add, one per run_finish or reaping transaction for
 * the rows it restores. A row that goes (a wipe, or a restore to "no row")
 * leaves a tombstone in partition_status_removed with the value of its
 * removal; a partition has a status row or a tombstone or neither, never
 * both (setting a status deletes its tombstone). So the rows and tombstones
 * of an asset with seq > S are exactly what changed after S, and the
 * (asset, seq) indexes make that a range scan. status_summary is a cache the
 * exec layer writes; nothing here reads its blob.
 *
 * Invariants of backfills (migration 3): runs.backfill_id and
 * backfills.last_run_id point at each other's rows (foreign keys); a
 * backfill's assets keep the order they were given in (seq). A backfill whose
 * run is reaped ends in the reaping transaction ("failed", or "canceled" when
 * it was canceling), unless a newer run has taken it over.
 *
 * Every value reaches SQL as a bound parameter. The only text formatted into
 * SQL is this file's own integer constants in PRAGMAs, which take no parameters.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <sqlite3.h>

#include "base/fs.h"
#include "storage/storage_impl.h"

#define BUSY_TIMEOUT_MS 5000
#define APPLICATION_ID 0x54524e43 /* "TRNC" */
#define TIMESTAMP_SIZE 32

static const struct migration {
	int version; /* rows are 1, 2, 3, ... in order; user_version = the last applied */
	const char *sql;
} migrations[] = {
	{1, "CREATE TABLE dynamic_partitions (\n"
	    "  name     TEXT NOT NULL CHECK (name <> ''),\n"
	    "  key      TEXT NOT NULL CHECK (key <> ''),\n"
	    "  seq      INTEGER NOT NULL,  -- place within name: order of addition\n"
	    "  added_at TEXT NOT NULL,     -- UTC, 2024-01-31T12:00:00Z\n"
	    "  PRIMARY KEY (name, key)\n"
	    ") WITHOUT ROWID;\n"
	    "CREATE UNIQUE INDEX dynamic_partitions_order ON dynamic_partitions (name, seq);\n"},
	/* Runs, the event log, and the latest status of every asset partition and
	 * check: derived from the events in the same transactions as they are
	 * written, so that a status question never reads the log. */
	{2, "CREATE TABLE runs (\n"
	    "  id              INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused\n"
	    "  status          TEXT NOT NULL\n"
	    "                  CHECK (status IN ('started', 'success', 'failure', 'canceled')),\n"
	    "  selection       TEXT NOT NULL,\n"
	    "  partitions      TEXT NOT NULL,\n"
	    "  launched_by     TEXT NOT NULL,\n"
	    "  host            TEXT NOT NULL,\n"
	    "  pid             INTEGER NOT NULL,\n"
	    "  process_start   TEXT,     -- identifies pid's process (boot id/start ticks); NULL: unknown\n"
	    "  created_at      INTEGER NOT NULL,  -- Unix ms\n"
	    "  ended_at        INTEGER,           -- Unix ms; NULL while started\n"
	    "  steps_total     INTEGER NOT NULL DEFAULT 0,\n"
	    "  steps_succeeded INTEGER NOT NULL DEFAULT 0,\n"
	    "  steps_failed    INTEGER NOT NULL DEFAULT 0,\n"
	    "  steps_skipped   INTEGER NOT NULL DEFAULT 0,\n"
	    "  error           TEXT\n"
	    ");\n"
	    "CREATE INDEX runs_status ON runs (status, host);\n"
	    "CREATE TABLE events (\n"
	    "  id         INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: readers page by id\n"
	    "  run_id     INTEGER REFERENCES runs (id),       -- NULL: no run\n"
	    "  ts         INTEGER NOT NULL,                   -- Unix ms\n"
	    "  type       TEXT NOT NULL,\n"
	    "  asset      TEXT,\n"
	    "  partition  TEXT,\n"
	    "  check_name TEXT,\n"
	    "  message    TEXT,\n"
	    "  data       TEXT                                -- a JSON object\n"
	    ");\n"
	    "CREATE INDEX events_run ON events (run_id, id);\n"
	    "CREATE INDEX events_asset ON events (asset, id) WHERE asset IS NOT NULL;\n"
	    "CREATE TABLE partition_status (\n"
	    "  asset              TEXT NOT NULL,\n"
	    "  partition          TEXT NOT NULL,  -- '' for an unpartitioned asset\n"
	    "  status             TEXT NOT NULL\n"
	    "                     CHECK (status IN ('materialized', 'failed', 'in_progress')),\n"
	    "  run_id             INTEGER,           -- the run that set status; NULL: none\n"
	    "  updated_at         INTEGER NOT NULL,  -- ts of the event that set status\n"
	    "  event_id           INTEGER NOT NULL,  -- the event that set status\n"
	    "  materialized_at    INTEGER NOT NULL DEFAULT 0,  -- ts of materialization_id, 0: none\n"
	    "  materialization_id INTEGER,  -- the last materialization event since the row exists\n"
	    "  -- While in_progress: status, run_id, updated_at, event_id before the run's\n"
	    "  -- step_start, put back if the run ends without another status. prev_status\n"
	    "  -- NULL: there was no row, and the row goes.\n"
	    "  prev_status        TEXT,\n"
	    "  prev_run_id        INTEGER,\n"
	    "  prev_updated_at    INTEGER,\n"
	    "  prev_event_id      INTEGER,\n"
	    "  PRIMARY KEY (asset, partition)\n"
	    ") WITHOUT ROWID;\n"
	    "CREATE INDEX partition_status_in_progress ON partition_status (run_id)\n"
	    "  WHERE status = 'in_progress';\n"
	    "CREATE TABLE check_status (\n"
	    "  asset      TEXT NOT NULL,\n"
	    "  check_name TEXT NOT NULL,\n"
	    "  partition  TEXT NOT NULL,\n"
	    "  passed     INTEGER NOT NULL CHECK (passed IN (0, 1)),\n"
	    "  severity   TEXT NOT NULL CHECK (severity IN ('warn', 'error')),\n"
	    "  message    TEXT,\n"
	    "  run_id     INTEGER,\n"
	    "  ts         INTEGER NOT NULL,\n"
	    "  event_id   INTEGER NOT NULL,\n"
	    "  PRIMARY KEY (asset, check_name, partition)\n"
	    ") WITHOUT ROWID;\n"
	    "CREATE INDEX check_status_partition ON check_status (asset, partition);\n"},
	/* Backfills, and the sequence of status changes behind the status summary.
	 * Rows of partition_status written before this migration take their event
	 * id as seq: every event id is at most the counter's first value. */
	{3, "CREATE TABLE backfills (\n"
	    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused\n"
	    "  status               TEXT NOT NULL\n"
	    "                       CHECK (status IN ('requested', 'running', 'completed',\n"
	    "                                         'failed', 'canceling', 'canceled')),\n"
	    "  selection            TEXT NOT NULL,\n"
	    "  partitions           TEXT NOT NULL,\n"
	    "  launched_by          TEXT NOT NULL,\n"
	    "  created_at           INTEGER NOT NULL,  -- Unix ms\n"
	    "  ended_at             INTEGER,           -- Unix ms; NULL while not ended\n"
	    "  partitions_total     INTEGER NOT NULL DEFAULT 0,\n"
	    "  partitions_succeeded INTEGER NOT NULL DEFAULT 0,\n"
	    "  partitions_failed    INTEGER NOT NULL DEFAULT 0,\n"
	    "  partitions_skipped   INTEGER NOT NULL DEFAULT 0,\n"
	    "  last_run_id          INTEGER REFERENCES runs (id),  -- NULL: no run yet\n"
	    "  error                TEXT\n"
	    ");\n"
	    "CREATE TABLE backfill_assets (\n"
	    "  backfill_id INTEGER NOT NULL REFERENCES backfills (id),\n"
	    "  seq         INTEGER NOT NULL,  -- the order the assets were given in\n"
	    "  asset       TEXT NOT NULL CHECK (asset <> ''),\n"
	    "  partitioned INTEGER NOT NULL CHECK (partitioned IN (0, 1)),\n"
	    "  n_requested INTEGER NOT NULL,\n"
	    "  requested   TEXT NOT NULL,  -- key ranges, one per line\n"
	    "  succeeded   TEXT NOT NULL DEFAULT '',\n"
	    "  failed      TEXT NOT NULL DEFAULT '',\n"
	    "  skipped     TEXT NOT NULL DEFAULT '',\n"
	    "  PRIMARY KEY (backfill_id, asset)\n"
	    ") WITHOUT ROWID;\n"
	    "CREATE UNIQUE INDEX backfill_assets_order ON backfill_assets (backfill_id, seq);\n"
	    "ALTER TABLE runs ADD COLUMN backfill_id INTEGER REFERENCES backfills (id);\n"
	    "CREATE INDEX runs_backfill ON runs (backfill_id, id) WHERE backfill_id IS NOT NULL;\n"
	    "CREATE TABLE counters (\n"
	    "  name  TEXT PRIMARY KEY,\n"
	    "  value INTEGER NOT NULL\n"
	    ") WITHOUT ROWID;\n"
	    "INSERT INTO counters (name, value) VALUES ('status_seq', max(\n"
	    "  (SELECT coalesce(max(id), 0) FROM events),\n"
	    "  (SELECT coalesce(max(event_id), 0) FROM partition_status)));\n"
	    "ALTER TABLE partition_status ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;\n"
	    "UPDATE partition_status SET seq = event_id;\n"
	    "CREATE INDEX partition_status_seq ON partition_status (asset, seq);\n"
	    "CREATE TABLE partition_status_removed (\n"
	    "  asset     TEXT NOT NULL,\n"
	    "  partition TEXT NOT NULL,\n"
	    "  seq       INTEGER NOT NULL,  -- the change that removed the row\n"
	    "  PRIMARY KEY (asset, partition)\n"
	    ") WITHOUT ROWID;\n"
	    "CREATE INDEX partition_status_removed_seq ON partition_status_removed (asset, seq);\n"
	    "CREATE TABLE status_summary (\n"
	    "  asset TEXT PRIMARY KEY,\n"
	    "  tag   TEXT NOT NULL,     -- which partitions definition the blob indexes\n"
	    "  seq   INTEGER NOT NULL,  -- the status change it is current to\n"
	    "  blob  BLOB NOT NULL      -- the exec layer's, opaque here\n"
	    ") WITHOUT ROWID;\n"},
	{4, "CREATE TABLE pool_starts (\n"
	    "  pool TEXT NOT NULL,\n"
	    "  ts   INTEGER NOT NULL  -- Unix ms: a step of the pool started (rates hold across runs)\n"
	    ");\n"
	    "CREATE INDEX pool_starts_pool ON pool_starts (pool, ts);\n"},
};

#define SCHEMA_LATEST ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* Prepared once per handle, on first use (SQL naming a table must wait for its migration). */
enum stmt_id {
	STMT_BEGIN,
	STMT_BEGIN_READ,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_JOURNAL_WAL,
	STMT_FOREIGN_KEYS_ON,
	STMT_IDENTITY,
	STMT_USER_VERSION,
	STMT_DYNAMIC_MAX_SEQ,
	STMT_DYNAMIC_INSERT,
	STMT_DYNAMIC_DELETE,
	STMT_DYNAMIC_KEYS,
	STMT_DYNAMIC_NAMES,
	STMT_RUN_INSERT,
	STMT_RUN_FINISH,
	STMT_RUN_REAP,
	STMT_RESTORE_DELETE,
	STMT_RESTORE_UPDATE,
	STMT_RUN_GET,
	STMT_RUN_MAX_ID,
	STMT_RUNS_LIST,
	STMT_RUNS_STARTED,
	STMT_EVENT_DATA_CHECK,
	STMT_EVENT_INSERT,
	STMT_STATUS_START,
	STMT_STATUS_MATERIALIZED,
	STMT_STATUS_FAILED,
	STMT_STATUS_WIPE,
	STMT_CHECKS_WIPE,
	STMT_CHECK_UPSERT,
	STMT_EVENTS_ALL,
	STMT_EVENTS_RUN,
	STMT_EVENTS_ASSET,
	STMT_EVENTS_RUN_ASSET,
	STMT_EVENTS_LATEST,
	STMT_EVENTS_LATEST_ASSET,
	STMT_STATUS_LIST,
	STMT_STATUS_COUNTS,
	STMT_LAST_MATERIALIZATION,
	STMT_CHECKS_ALL,
	STMT_CHECKS_ASSET,
	STMT_SEQ_NEXT,
	STMT_TOMBSTONES_ANY,
	STMT_TOMBSTONE_CLEAR,
	STMT_TOMBSTONE_SET,
	STMT_RESTORE_TOMBSTONES,
	STMT_CHANGES_SINCE,
	STMT_CHANGES_ALL,
	STMT_SUMMARY_GET,
	STMT_SUMMARY_PUT,
	STMT_BACKFILL_INSERT,
	STMT_BACKFILL_ASSET_INSERT,
	STMT_BACKFILL_GET,
	STMT_BACKFILL_ASSETS,
	STMT_BACKFILLS_LIST,
	STMT_BACKFILL_MAX_ID,
	STMT_BACKFILL_UPDATE,
	STMT_BACKFILL_ASSET_UPDATE,
	STMT_BACKFILL_CANCEL_READ,
	STMT_BACKFILL_CANCEL,
	STMT_BACKFILL_STATUS,
	STMT_BACKFILL_RUNS,
	STMT_BACKFILL_REAP,
	STMT_POOL_FORGET,
	STMT_POOL_START,
	STMT_POOL_STARTS,
	STMT_COUNT
};

/* The columns read into a tr_run, a tr_event_rec (events as "e") and a tr_check_status. */
#define RUN_COLUMNS                                                                          \
	"id, status, selection, partitions, launched_by, host, pid, created_at,"            \
	" coalesce(ended_at, 0), steps_total, steps_succeeded, steps_failed, steps_skipped, error," \
	" coalesce(backfill_id, 0)"
#define EVENT_COLUMNS                                                                        \
	"e.id, coalesce(e.run_id, 0), e.ts, e.type, e.asset, e.partition, e.check_name,"     \
	" e.message, e.data"
#define BACKFILL_COLUMNS                                                                     \
	"id, status, selection, partitions, launched_by, created_at, coalesce(ended_at, 0),"  \
	" partitions_total, partitions_succeeded, partitions_failed, partitions_skipped,"    \
	" coalesce(last_run_id, 0), error"
#define PSTATUS_COLUMNS                                                                      \
	"partition, status, coalesce(run_id, 0), updated_at, materialized_at, event_id,"         \
	" coalesce(materialization_id, 0)"
#define CHECK_COLUMNS                                                                        \
	"asset, check_name, partition, passed, severity, message, coalesce(run_id, 0), ts"

static const char *const stmt_sql[STMT_COUNT] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	/* A read of several statements from one snapshot; takes no lock. */
	[STMT_BEGIN_READ] = "BEGIN",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_JOURNAL_WAL] = "PRAGMA journal_mode = WAL",
	[STMT_FOREIGN_KEYS_ON] = "PRAGMA foreign_keys = ON",
	/* One statement, so one snapshot: read apart, the three could straddle another
	 * process's migration and describe a database that never existed. */
	[STMT_IDENTITY] = "SELECT a.application_id, v.user_version,"
			  " (SELECT count(*) FROM sqlite_master)"
			  " FROM pragma_application_id AS a, pragma_user_version AS v",
	[STMT_USER_VERSION] = "PRAGMA user_version",
	[STMT_DYNAMIC_MAX_SEQ] = "SELECT coalesce(max(seq), 0) FROM dynamic_partitions WHERE name = ?1",
	[STMT_DYNAMIC_INSERT] = "INSERT INTO dynamic_partitions (name, key, seq, added_at) "
				"VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name, key) DO NOTHING",
	[STMT_DYNAMIC_DELETE] = "DELETE FROM dynamic_partitions WHERE name = ?1 AND key = ?2",
	[STMT_DYNAMIC_KEYS] = "SELECT key FROM dynamic_partitions WHERE name = ?1 ORDER BY seq",
	/* Distinct names by skipping through the primary key: one index probe per
	 * name instead of a scan of every key. */
	[STMT_DYNAMIC_NAMES] =
		"WITH RECURSIVE names (name) AS ("
		" SELECT min(name) FROM dynamic_partitions"
		" UNION ALL"
		" SELECT (SELECT min(d.name) FROM dynamic_partitions d WHERE d.name > names.name)"
		" FROM names WHERE names.name IS NOT NULL)"
		" SELECT name FROM names WHERE name IS NOT NULL ORDER BY name",

	/* ---- runs ---- */
	[STMT_RUN_INSERT] = "INSERT INTO runs (status, selection, partitions, launched_by, host, pid,"
			    " process_start, created_at, steps_total, backfill_id)"
			    " VALUES ('started', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[STMT_RUN_FINISH] = "UPDATE runs SET status = ?2, ended_at = ?3, steps_total = ?4,"
			    " steps_succeeded = ?5, steps_failed = ?6, steps_skipped = ?7, error = ?8"
			    " WHERE id = ?1",
	/* Only if still started: the run may have ended since the reaper looked. */
	[STMT_RUN_REAP] = "UPDATE runs SET status = 'failure', ended_at = ?2, error = ?3"
			  " WHERE id = ?1 AND status = 'started'",
	/* The run's in-progress partitions go back to their status before it (all
	 * three through the partial index partition_status_in_progress), as status
	 * change ?2: the rows that go leave a tombstone first. */
	[STMT_RESTORE_TOMBSTONES] =
		"INSERT INTO partition_status_removed (asset, partition, seq)"
		" SELECT asset, partition, ?2 FROM partition_status"
		" WHERE status = 'in_progress' AND run_id = ?1 AND prev_status IS NULL"
		" ON CONFLICT (asset, partition) DO UPDATE SET seq = excluded.seq",
	[STMT_RESTORE_DELETE] = "DELETE FROM partition_status"
				" WHERE status = 'in_progress' AND run_id = ?1 AND prev_status IS NULL",
	[STMT_RESTORE_UPDATE] = "UPDATE partition_status SET status = prev_status,"
				" run_id = prev_run_id, updated_at = prev_updated_at,"
				" event_id = prev_event_id, prev_status = NULL, prev_run_id = NULL,"
				" prev_updated_at = NULL, prev_event_id = NULL, seq = ?2"
				" WHERE status = 'in_progress' AND run_id = ?1",
	[STMT_RUN_GET] = "SELECT " RUN_COLUMNS " FROM runs WHERE id = ?1",
	[STMT_RUN_MAX_ID] = "SELECT coalesce(max(id), 0) FROM runs",
	[STMT_RUNS_LIST] = "SELECT " RUN_COLUMNS " FROM runs ORDER BY id DESC LIMIT ?1",
	[STMT_RUNS_STARTED] = "SELECT id, pid, process_start FROM runs"
			      " WHERE status = 'started' AND host = ?1 ORDER BY id",

	/* ---- events and their effects ---- */
	/* NULL: fine; otherwise what is wrong with data ?1 (?2: a check's result).
	 * CASE stops at the first true branch, so json_type never sees bad JSON. */
	[STMT_EVENT_DATA_CHECK] =
		"SELECT CASE WHEN NOT json_valid(?1) THEN 'is not valid JSON'"
		" WHEN json_type(?1) <> 'object' THEN 'is not a JSON object'"
		" WHEN ?2 AND coalesce(json_type(?1, '$.passed'), '') NOT IN ('true', 'false')"
		"  THEN 'has no \"passed\": true or false'"
		" WHEN ?2 AND coalesce(json_extract(?1, '$.severity'), 'error')"
		"  NOT IN ('warn', 'error') THEN 'has a \"severity\" other than \"warn\" or \"error\"'"
		" END",
	[STMT_EVENT_INSERT] = "INSERT INTO events (run_id, ts, type, asset, partition, check_name,"
			      " message, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	/* The status effects bind ?1 asset, ?2 partition, ?3 run_id, ?4 ts, ?5 event id,
	 * ?6 the status change's seq.
	 * In UPDATE SET every right-hand side reads the row as it was. A step_start
	 * on a row already in progress (a retry, or a run that died unreaped) keeps
	 * the status from before the first one. */
	[STMT_STATUS_START] =
		"INSERT INTO partition_status (asset, partition, status, run_id, updated_at, event_id,"
		" seq) VALUES (?1, ?2, 'in_progress', ?3, ?4, ?5, ?6)"
		" ON CONFLICT (asset, partition) DO UPDATE SET"
		" prev_status = CASE WHEN status = 'in_progress' THEN prev_status ELSE status END,"
		" prev_run_id = CASE WHEN status = 'in_progress' THEN prev_run_id ELSE run_id END,"
		" prev_updated_at = CASE WHEN status = 'in_progress' THEN prev_updated_at"
		"  ELSE updated_at END,"
		" prev_event_id = CASE WHEN status = 'in_progress' THEN prev_event_id"
		"  ELSE event_id END,"
		" status = 'in_progress', run_id = excluded.run_id, updated_at = excluded.updated_at,"
		" event_id = excluded.event_id, seq = excluded.seq",
	[STMT_STATUS_MATERIALIZED] =
		"INSERT INTO partition_status (asset, partition, status, run_id, updated_at, event_id,"
		" materialized_at, materialization_id, seq)"
		" VALUES (?1, ?2, 'materialized', ?3, ?4, ?5, ?4, ?5, ?6)"
		" ON CONFLICT (asset, partition) DO UPDATE SET status = 'materialized',"
		" run_id = excluded.run_id, updated_at = excluded.updated_at,"
		" event_id = excluded.event_id, materialized_at = excluded.materialized_at,"
		" materialization_id = excluded.materialization_id, prev_status = NULL,"
		" prev_run_id = NULL, prev_updated_at = NULL, prev_event_id = NULL, seq = excluded.seq",
	[STMT_STATUS_FAILED] =
		"INSERT INTO partition_status (asset, partition, status, run_id, updated_at, event_id,"
		" seq) VALUES (?1, ?2, 'failed', ?3, ?4, ?5, ?6)"
		" ON CONFLICT (asset, partition) DO UPDATE SET status = 'failed',"
		" run_id = excluded.run_id, updated_at = excluded.updated_at,"
		" event_id = excluded.event_id, prev_status = NULL, prev_run_id = NULL,"
		" prev_updated_at = NULL, prev_event_id = NULL, seq = excluded.seq",
	[STMT_STATUS_WIPE] = "DELETE FROM partition_status WHERE asset = ?1 AND partition = ?2",
	[STMT_CHECKS_WIPE] = "DELETE FROM check_status WHERE asset = ?1 AND partition = ?2",
	/* ?1 asset, ?2 check, ?3 partition, ?4 data, ?5 message, ?6 run_id, ?7 ts, ?8 event id */
	[STMT_CHECK_UPSERT] =
		"INSERT INTO check_status (asset, check_name, partition, passed, severity, message,"
		" run_id, ts, event_id)"
		" VALUES (?1, ?2, ?3, json_extract(?4, '$.passed'),"
		" coalesce(json_extract(?4, '$.severity'), 'error'), ?5, ?6, ?7, ?8)"
		" ON CONFLICT (asset, check_name, partition) DO UPDATE SET passed = excluded.passed,"
		" severity = excluded.severity, message = excluded.message, run_id = excluded.run_id,"
		" ts = excluded.ts, event_id = excluded.event_id",

	/* ---- reading events and status ---- */
	/* One statement per filter, each with its index: ?1 after id, ?2 limit (-1: all). */
	[STMT_EVENTS_ALL] = "SELECT " EVENT_COLUMNS " FROM events e"
			    " WHERE e.id > ?1 ORDER BY e.id LIMIT ?2",
	[STMT_EVENTS_RUN] = "SELECT " EVENT_COLUMNS " FROM events e"
			    " WHERE e.run_id = ?3 AND e.id > ?1 ORDER BY e.id LIMIT ?2",
	[STMT_EVENTS_ASSET] = "SELECT " EVENT_COLUMNS " FROM events e"
			      " WHERE e.asset = ?3 AND e.id > ?1 ORDER BY e.id LIMIT ?2",
	/* Through the run's events, not the asset's: a run is bounded, an asset's
	 * history is not (SQLite would pick events_asset by itself). */
	[STMT_EVENTS_RUN_ASSET] = "SELECT " EVENT_COLUMNS " FROM events e INDEXED BY events_run"
				  " WHERE e.run_id = ?3 AND e.asset = ?4 AND e.id > ?1"
				  " ORDER BY e.id LIMIT ?2",
	/* Newest first, below ?1, at most ?2; ?3 type or NULL; ?4 asset, ?5 partition or NULL.
	 * The asset's through events_asset backwards, the rest through the primary key. */
	[STMT_EVENTS_LATEST] = "SELECT " EVENT_COLUMNS " FROM events e"
			       " WHERE e.id < ?1 AND (?3 IS NULL OR e.type = ?3)"
			       " ORDER BY e.id DESC LIMIT ?2",
	[STMT_EVENTS_LATEST_ASSET] = "SELECT " EVENT_COLUMNS " FROM events e"
				     " WHERE e.asset = ?4 AND e.id < ?1 AND (?3 IS NULL OR e.type = ?3)"
				     " AND (?5 IS NULL OR e.partition = ?5)"
				     " ORDER BY e.id DESC LIMIT ?2",
	[STMT_STATUS_LIST] = "SELECT " PSTATUS_COLUMNS " FROM partition_status"
			     " WHERE asset = ?1 ORDER BY partition",
	[STMT_STATUS_COUNTS] = "SELECT status, count(*) FROM partition_status WHERE asset = ?1"
			       " GROUP BY status",
	/* Through the status row: two primary-key lookups. */
	[STMT_LAST_MATERIALIZATION] = "SELECT " EVENT_COLUMNS " FROM partition_status s"
				      " JOIN events e ON e.id = s.materialization_id"
				      " WHERE s.asset = ?1 AND s.partition = ?2",
	[STMT_CHECKS_ALL] = "SELECT " CHECK_COLUMNS " FROM check_status"
			    " ORDER BY asset, check_name, partition",
	[STMT_CHECKS_ASSET] = "SELECT " CHECK_COLUMNS " FROM check_status WHERE asset = ?1"
			      " ORDER BY check_name, partition",

	/* ---- the sequence of status changes and the summary ---- */
	/* Takes ?1 new values; the row is the last of them. Under the write lock. */
	[STMT_SEQ_NEXT] = "UPDATE counters SET value = value + ?1 WHERE name = 'status_seq'"
			  " RETURNING value",
	/* A partition with a status row has no tombstone: status_changes reads each
	 * partition from one table or the other. Most of the time there is none. */
	[STMT_TOMBSTONES_ANY] = "SELECT EXISTS (SELECT 1 FROM partition_status_removed)",
	[STMT_TOMBSTONE_CLEAR] = "DELETE FROM partition_status_removed"
				 " WHERE asset = ?1 AND partition = ?2",
	[STMT_TOMBSTONE_SET] = "INSERT INTO partition_status_removed (asset, partition, seq)"
			       " VALUES (?1, ?2, ?3)"
			       " ON CONFLICT (asset, partition) DO UPDATE SET seq = excluded.seq",
	/* Rows and tombstones of ?1 changed after ?2, sorted by partition (the seq
	 * column last). After a seq: two range scans of the (asset, seq) indexes,
	 * then a sort of what changed. From the start: both tables in primary-key
	 * order, merged, nothing sorted. One statement: one snapshot. */
	[STMT_CHANGES_SINCE] =
		"SELECT " PSTATUS_COLUMNS ", seq FROM partition_status"
		" INDEXED BY partition_status_seq WHERE asset = ?1 AND seq > ?2"
		" UNION ALL"
		" SELECT partition, NULL, 0, 0, 0, 0, 0, seq FROM partition_status_removed"
		" INDEXED BY partition_status_removed_seq WHERE asset = ?1 AND seq > ?2"
		" ORDER BY 1",
	[STMT_CHANGES_ALL] =
		"SELECT " PSTATUS_COLUMNS ", seq FROM partition_status WHERE asset = ?1"
		" UNION ALL"
		" SELECT partition, NULL, 0, 0, 0, 0, 0, seq FROM partition_status_removed"
		" WHERE asset = ?1"
		" ORDER BY 1",
	[STMT_POOL_FORGET] = "DELETE FROM pool_starts WHERE pool = ?1 AND ts < ?2",
	[STMT_POOL_START] = "INSERT INTO pool_starts (pool, ts) VALUES (?1, ?2)",
	[STMT_POOL_STARTS] = "SELECT ts FROM pool_starts WHERE pool = ?1 AND ts >= ?2"
			     " ORDER BY ts DESC LIMIT ?3",
	[STMT_SUMMARY_GET] = "SELECT seq, blob FROM status_summary WHERE asset = ?1 AND tag = ?2",
	/* A summary current to an older seq does not replace one of the same tag. */
	[STMT_SUMMARY_PUT] = "INSERT INTO status_summary (asset, tag, seq, blob)"
			     " VALUES (?1, ?2, ?3, ?4)"
			     " ON CONFLICT (asset) DO UPDATE SET tag = excluded.tag,"
			     " seq = excluded.seq, blob = excluded.blob"
			     " WHERE excluded.tag <> status_summary.tag"
			     " OR excluded.seq >= status_summary.seq",

	/* ---- backfills ---- */
	[STMT_BACKFILL_INSERT] = "INSERT INTO backfills (status, selection, partitions, launched_by,"
				 " created_at, partitions_total)"
				 " VALUES ('requested', ?1, ?2, ?3, ?4, ?5)",
	[STMT_BACKFILL_ASSET_INSERT] = "INSERT INTO backfill_assets (backfill_id, seq, asset,"
				       " partitioned, n_requested, requested)"
				       " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[STMT_BACKFILL_GET] = "SELECT " BACKFILL_COLUMNS " FROM backfills WHERE id = ?1",
	[STMT_BACKFILL_ASSETS] = "SELECT asset, partitioned, n_requested, requested, succeeded,"
				 " failed, skipped FROM backfill_assets WHERE backfill_id = ?1"
				 " ORDER BY seq",
	[STMT_BACKFILLS_LIST] = "SELECT " BACKFILL_COLUMNS " FROM backfills ORDER BY id DESC"
				" LIMIT ?1",
	[STMT_BACKFILL_MAX_ID] = "SELECT coalesce(max(id), 0) FROM backfills",
	/* A canceling backfill stays so until the run working on it ends it. */
	[STMT_BACKFILL_UPDATE] =
		"UPDATE backfills SET status = CASE WHEN status = 'canceling'"
		"  AND ?2 NOT IN ('canceled', 'completed', 'failed') THEN 'canceling' ELSE ?2 END,"
		" ended_at = ?3, partitions_succeeded = ?4, partitions_failed = ?5,"
		" partitions_skipped = ?6, last_run_id = ?7, error = ?8 WHERE id = ?1",
	[STMT_BACKFILL_ASSET_UPDATE] = "UPDATE backfill_assets SET succeeded = ?3, failed = ?4,"
				       " skipped = ?5 WHERE backfill_id = ?1 AND asset = ?2",
	/* The backfill's status and its newest run (last_run_id, or the newest run
	 * naming it when last_run_id is not set yet) with what tells if it lives. */
	[STMT_BACKFILL_CANCEL_READ] =
		"SELECT b.status, r.id, r.status, r.host, r.pid, r.process_start FROM backfills b"
		" LEFT JOIN runs r ON r.id = coalesce(b.last_run_id,"
		"  (SELECT max(x.id) FROM runs x WHERE x.backfill_id = b.id))"
		" WHERE b.id = ?1",
	[STMT_BACKFILL_CANCEL] = "UPDATE backfills SET status = ?2, ended_at = CASE"
				 " WHEN ?2 = 'canceled' THEN coalesce(ended_at, ?3) ELSE ended_at END"
				 " WHERE id = ?1",
	[STMT_BACKFILL_STATUS] = "SELECT status FROM backfills WHERE id = ?1",
	/* One row with a NULL id: the backfill exists but has no run. */
	[STMT_BACKFILL_RUNS] = "SELECT r.id FROM backfills b LEFT JOIN runs r ON r.backfill_id = b.id"
			       " WHERE b.id = ?1 ORDER BY r.id",
	/* The backfill of a reaped run ?1 ends with it, unless a newer run took it over. */
	[STMT_BACKFILL_REAP] =
		"UPDATE backfills SET status = CASE WHEN status = 'canceling' THEN 'canceled'"
		"  ELSE 'failed' END, ended_at = ?2, error = ?3"
		" WHERE id = (SELECT backfill_id FROM runs WHERE id = ?1)"
		" AND status IN ('running', 'canceling') AND coalesce(last_run_id, 0) <= ?1",
};

struct sqlite_storage {
	struct tr_storage base; /* first: the front's tr_storage * points here */
	sqlite3 *db;
	char *path; /* as given, for messages */
	sqlite3_stmt *stmts[STMT_COUNT];
	/* Within events_add: 0 when no tombstone can exist, so setting a status
	 * need not look for one to delete (one statement less per event). */
	int tombstones;
	/* Read snapshots (read_begin): how deep, and whether the outermost began a
	 * transaction (0: the connection was already in one). */
	int snapshot_depth, snapshot_began;
};

static struct sqlite_storage *to_sqlite(tr_storage *st)
{
	return (struct sqlite_storage *)st;
}

/* Fills err from the connection's last error; returns TR_ENOMEM or TR_EIO. */
static int db_error(struct sqlite_storage *s, int sqlite_rc, tr_error *err)
{
	int primary = sqlite_rc & 0xff;

	return tr_error_set(err, primary == SQLITE_NOMEM ? TR_ENOMEM : TR_EIO, "%s%s",
			    sqlite3_errmsg(s->db),
			    primary == SQLITE_BUSY ? " (another process holds it; waited up to 5 s)" : "");
}

static int stmt_get(struct sqlite_storage *s, enum stmt_id id, sqlite3_stmt **out, tr_error *err)
{
	int rc = SQLITE_OK;

	if (!s->stmts[id]) {
		rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					&s->stmts[id], NULL);
		if (rc != SQLITE_OK)
			return db_error(s, rc, err);
	}
	*out = s->stmts[id];
	return 0;
}

/* Makes a cached statement ready for its next use; NULL is allowed. */
static void stmt_done(sqlite3_stmt *stmt)
{
	if (!stmt)
		return;
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

/* The text must stay valid until stmt_done: it is bound without a copy. */
static int bind_text(struct sqlite_storage *s, sqlite3_stmt *stmt, int index, const char *text,
		     tr_error *err)
{
	int rc = sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);

	return rc == SQLITE_OK ? 0 : db_error(s, rc, err);
}

static int bind_int64(struct sqlite_storage *s, sqlite3_stmt *stmt, int index,
		      sqlite3_int64 value, tr_error *err)
{
	int rc = sqlite3_bind_int64(stmt, index, value);

	return rc == SQLITE_OK ? 0 : db_error(s, rc, err);
}

/* Runs a statement that returns no row to completion and resets it. */
static int step_done(struct sqlite_storage *s, sqlite3_stmt *stmt, tr_error *err)
{
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_DONE) {
		sqlite3_reset(stmt);
		return 0;
	}
	if (rc == SQLITE_ROW)
		rc = tr_error_set(err, TR_EINTERNAL, "unexpected row from: %s", sqlite3_sql(stmt));
	else
		rc = db_error(s, rc, err);
	sqlite3_reset(stmt);
	return rc;
}

/* Runs a statement whose first row's first column is an integer and resets it. */
static int step_int64(struct sqlite_storage *s, sqlite3_stmt *stmt, sqlite3_int64 *value,
		      tr_error *err)
{
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_ROW) {
		*value = sqlite3_column_int64(stmt, 0);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = tr_error_set(err, TR_EINTERNAL, "no row from: %s", sqlite3_sql(stmt));
	} else {
		rc = db_error(s, rc, err);
	}
	sqlite3_reset(stmt);
	return rc;
}

static int exec_cached(struct sqlite_storage *s, enum stmt_id id, tr_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = stmt_get(s, id, &stmt, err);

	return rc ? rc : step_done(s, stmt, err);
}

static int query_int(struct sqlite_storage *s, enum stmt_id id, int *value, tr_error *err)
{
	sqlite3_stmt *stmt = NULL;
	sqlite3_int64 v = 0;
	int rc = stmt_get(s, id, &stmt, err);

	if (rc == 0 && (rc = step_int64(s, stmt, &v, err)) == 0)
		*value = (int)v;
	return rc;
}

/* Appends the first column of every row to list, then resets stmt. */
static int collect_text(struct sqlite_storage *s, sqlite3_stmt *stmt, struct storage_strv *list,
			tr_error *err)
{
	int rc = 0;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const unsigned char *text = sqlite3_column_text(stmt, 0);
		int len = sqlite3_column_bytes(stmt, 0);

		if (!text) {
			rc = sqlite3_errcode(s->db) == SQLITE_NOMEM
				     ? tr_error_set(err, TR_ENOMEM, "out of memory reading a row")
				     : tr_error_set(err, TR_EINTERNAL, "NULL in a NOT NULL column");
			goto out;
		}
		if ((rc = storage_strv_add(list, (const char *)text, (size_t)len, err)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : db_error(s, rc, err);
out:
	sqlite3_reset(stmt);
	return rc;
}

static int txn_begin(struct sqlite_storage *s, tr_error *err)
{
	return exec_cached(s, STMT_BEGIN, err);
}

/* Starts a read-only transaction: the statements that follow see one snapshot. */
static int txn_begin_read(struct sqlite_storage *s, tr_error *err)
{
	return exec_cached(s, STMT_BEGIN_READ, err);
}

static int txn_commit(struct sqlite_storage *s, tr_error *err)
{
	return exec_cached(s, STMT_COMMIT, err);
}

/*
 * Rolls back the open transaction, if any: SQLite has already rolled back by
 * itself after some errors, and a failed COMMIT leaves it open. Called after
 * err is filled, so its own failure is not reported over the first one.
 */
static void txn_abort(struct sqlite_storage *s)
{
	if (!sqlite3_get_autocommit(s->db))
		exec_cached(s, STMT_ROLLBACK, NULL);
}

static void timestamp_now(char *buf, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%s", "1970-01-01T00:00:00Z");
}

/* ---- the operations ---- */

static void sqlite_close(tr_storage *st)
{
	struct sqlite_storage *s = to_sqlite(st);
	int i = 0;

	for (i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(s->stmts[i]);
	sqlite3_close_v2(s->db);
	free(s->path);
	free(s);
}

static int sqlite_schema_version(tr_storage *st, int *version, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	int rc = query_int(s, STMT_USER_VERSION, version, err);

	if (rc)
		tr_error_prefix(err, "%s: reading the schema version", s->path);
	return rc;
}

static int sqlite_dynamic_add(tr_storage *st, const char *name, const char *const *keys,
			      size_t key_count, size_t *changed, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *max_seq = NULL, *insert = NULL;
	sqlite3_int64 seq = 0;
	char now[TIMESTAMP_SIZE];
	size_t i = 0, added = 0;
	int rc = 0;

	timestamp_now(now, sizeof(now));
	if ((rc = txn_begin(s, err)) != 0)
		goto out;
	/* Read under the write lock: no other writer can hand out the same seq. */
	if ((rc = stmt_get(s, STMT_DYNAMIC_MAX_SEQ, &max_seq, err)) != 0 ||
	    (rc = bind_text(s, max_seq, 1, name, err)) != 0 ||
	    (rc = step_int64(s, max_seq, &seq, err)) != 0)
		goto out;
	if ((rc = stmt_get(s, STMT_DYNAMIC_INSERT, &insert, err)) != 0 ||
	    (rc = bind_text(s, insert, 1, name, err)) != 0 ||
	    (rc = bind_text(s, insert, 4, now, err)) != 0)
		goto out;
	for (i = 0; i < key_count; i++) {
		if ((rc = bind_text(s, insert, 2, keys[i], err)) != 0 ||
		    (rc = bind_int64(s, insert, 3, seq + 1, err)) != 0 ||
		    (rc = step_done(s, insert, err)) != 0)
			goto out;
		/* 0 when the key was present: it keeps its place and the seq is not used. */
		if (sqlite3_changes(s->db) > 0) {
			seq++;
			added++;
		}
	}
	rc = txn_commit(s, err);
out:
	stmt_done(max_seq);
	stmt_done(insert);
	if (rc) {
		txn_abort(s);
		tr_error_prefix(err, "%s: adding %zu keys to dynamic partitions \"%s\"", s->path,
				key_count, name);
		return rc;
	}
	*changed = added;
	return 0;
}

static int sqlite_dynamic_delete(tr_storage *st, const char *name, const char *const *keys,
				 size_t key_count, size_t *changed, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *delete = NULL;
	size_t i = 0, deleted = 0;
	int rc = 0;

	if ((rc = txn_begin(s, err)) != 0)
		goto out;
	if ((rc = stmt_get(s, STMT_DYNAMIC_DELETE, &delete, err)) != 0 ||
	    (rc = bind_text(s, delete, 1, name, err)) != 0)
		goto out;
	for (i = 0; i < key_count; i++) {
		if ((rc = bind_text(s, delete, 2, keys[i], err)) != 0 ||
		    (rc = step_done(s, delete, err)) != 0)
			goto out;
		deleted += (size_t)sqlite3_changes(s->db);
	}
	rc = txn_commit(s, err);
out:
	stmt_done(delete);
	if (rc) {
		txn_abort(s);
		tr_error_prefix(err, "%s: deleting %zu keys from dynamic partitions \"%s\"", s->path,
				key_count, name);
		return rc;
	}
	*changed = deleted;
	return 0;
}

static int sqlite_dynamic_keys(tr_storage *st, const char *name, char ***keys, size_t *key_count,
			       tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	struct storage_strv list = STORAGE_STRV_INIT;
	sqlite3_stmt *select = NULL;
	int rc = 0;

	/* One statement reads one snapshot: concurrent writers never show half an add. */
	if ((rc = stmt_get(s, STMT_DYNAMIC_KEYS, &select, err)) != 0 ||
	    (rc = bind_text(s, select, 1, name, err)) != 0)
		goto out;
	rc = collect_text(s, select, &list, err);
out:
	stmt_done(select);
	if (rc) {
		storage_strv_release(&list);
		tr_error_prefix(err, "%s: listing dynamic partitions \"%s\"", s->path, name);
		return rc;
	}
	*keys = list.items;
	*key_count = list.count;
	return 0;
}

static int sqlite_dynamic_names(tr_storage *st, char ***names, size_t *name_count, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	struct storage_strv list = STORAGE_STRV_INIT;
	sqlite3_stmt *select = NULL;
	int rc = 0;

	if ((rc = stmt_get(s, STMT_DYNAMIC_NAMES, &select, err)) != 0)
		goto out;
	rc = collect_text(s, select, &list, err);
out:
	stmt_done(select);
	if (rc) {
		storage_strv_release(&list);
		tr_error_prefix(err, "%s: listing the names of dynamic partitions", s->path);
		return rc;
	}
	*names = list.items;
	*name_count = list.count;
	return 0;
}

/* ---- reading rows ---- */

/* A copy of column col's text into *out; NULL for SQL NULL. */
static int column_text(sqlite3_stmt *stmt, int col, char **out, tr_error *err)
{
	const unsigned char *text = NULL;
	size_t len = 0;

	*out = NULL;
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		return 0;
	text = sqlite3_column_text(stmt, col);
	if (!text)
		return tr_error_set(err, TR_ENOMEM, "out of memory reading a row");
	len = (size_t)sqlite3_column_bytes(stmt, col);
	*out = malloc(len + 1);
	if (!*out)
		return tr_error_set(err, TR_ENOMEM, "out of memory reading a row");
	memcpy(*out, text, len);
	(*out)[len] = '\0';
	return 0;
}

/* A row of RUN_COLUMNS into *r (zeroed first; released on failure). */
static int read_run(sqlite3_stmt *stmt, tr_run *r, tr_error *err)
{
	int rc = 0;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(stmt, 0);
	r->pid = sqlite3_column_int64(stmt, 6);
	r->created_at = sqlite3_column_int64(stmt, 7);
	r->ended_at = sqlite3_column_int64(stmt, 8);
	r->steps_total = sqlite3_column_int64(stmt, 9);
	r->steps_succeeded = sqlite3_column_int64(stmt, 10);
	r->steps_failed = sqlite3_column_int64(stmt, 11);
	r->steps_skipped = sqlite3_column_int64(stmt, 12);
	if ((rc = column_text(stmt, 1, &r->status, err)) != 0 ||
	    (rc = column_text(stmt, 2, &r->selection, err)) != 0 ||
	    (rc = column_text(stmt, 3, &r->partitions, err)) != 0 ||
	    (rc = column_text(stmt, 4, &r->launched_by, err)) != 0 ||
	    (rc = column_text(stmt, 5, &r->host, err)) != 0 ||
	    (rc = column_text(stmt, 13, &r->error, err)) != 0)
		tr_run_release(r);
	else
		r->backfill_id = sqlite3_column_int64(stmt, 14);
	return rc;
}

/* A row of EVENT_COLUMNS into *ev (zeroed first; released on failure). */
static int read_event(sqlite3_stmt *stmt, tr_event_rec *ev, tr_error *err)
{
	int rc = 0;

	memset(ev, 0, sizeof(*ev));
	ev->id = sqlite3_column_int64(stmt, 0);
	ev->run_id = sqlite3_column_int64(stmt, 1);
	ev->ts = sqlite3_column_int64(stmt, 2);
	if ((rc = column_text(stmt, 3, &ev->type, err)) != 0 ||
	    (rc = column_text(stmt, 4, &ev->asset, err)) != 0 ||
	    (rc = column_text(stmt, 5, &ev->partition, err)) != 0 ||
	    (rc = column_text(stmt, 6, &ev->check, err)) != 0 ||
	    (rc = column_text(stmt, 7, &ev->message, err)) != 0 ||
	    (rc = column_text(stmt, 8, &ev->data, err)) != 0)
		tr_event_rec_release(ev);
	return rc;
}

/* A row of partition_status (STMT_STATUS_LIST's columns) into *row. */
static int read_pstatus(sqlite3_stmt *stmt, tr_pstatus *row, tr_error *err)
{
	int rc = 0;

	memset(row, 0, sizeof(*row));
	row->run_id = sqlite3_column_int64(stmt, 2);
	row->updated_at = sqlite3_column_int64(stmt, 3);
	row->materialized_at = sqlite3_column_int64(stmt, 4);
	row->event_id = sqlite3_column_int64(stmt, 5);
	row->materialization_id = sqlite3_column_int64(stmt, 6);
	if ((rc = column_text(stmt, 0, &row->partition, err)) != 0 ||
	    (rc = column_text(stmt, 1, &row->status, err)) != 0) {
		free(row->partition);
		row->partition = NULL;
	}
	return rc;
}

/* A row of CHECK_COLUMNS into *row. */
static int read_check_status(sqlite3_stmt *stmt, tr_check_status *row, tr_error *err)
{
	int rc = 0;

	memset(row, 0, sizeof(*row));
	row->passed = sqlite3_column_int(stmt, 3) != 0;
	row->run_id = sqlite3_column_int64(stmt, 6);
	row->ts = sqlite3_column_int64(stmt, 7);
	if ((rc = column_text(stmt, 0, &row->asset, err)) != 0 ||
	    (rc = column_text(stmt, 1, &row->check, err)) != 0 ||
	    (rc = column_text(stmt, 2, &row->partition, err)) != 0 ||
	    (rc = column_text(stmt, 4, &row->severity, err)) != 0 ||
	    (rc = column_text(stmt, 5, &row->message, err)) != 0) {
		free(row->asset);
		free(row->check);
		free(row->partition);
		free(row->severity);
		memset(row, 0, sizeof(*row));
	}
	return rc;
}

typedef int (*read_row_fn)(sqlite3_stmt *stmt, void *row, tr_error *err);
typedef void (*free_rows_fn)(void *rows, size_t n);

/*
 * Steps stmt to the end, reading each row with read into a growing array of
 * elem_size-byte elements; on success hands the array to *out, *n (NULL, 0
 * for no rows), on failure frees what was read with free_rows. Resets stmt.
 */
static int collect_rows(struct sqlite_storage *s, sqlite3_stmt *stmt, size_t elem_size,
			read_row_fn read, free_rows_fn free_rows, void **out, size_t *n,
			tr_error *err)
{
	void *rows = NULL;
	size_t count = 0, cap = 0;
	int rc = 0;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if ((rc = storage_array_reserve(&rows, &cap, count, elem_size, err)) != 0 ||
		    (rc = read(stmt, (char *)rows + count * elem_size, err)) != 0)
			goto out;
		count++;
	}
	rc = rc == SQLITE_DONE ? 0 : db_error(s, rc, err);
out:
	sqlite3_reset(stmt);
	if (rc) {
		free_rows(rows, count);
		return rc;
	}
	if (count == 0) {
		free(rows);
		rows = NULL;
	}
	*out = rows;
	*n = count;
	return 0;
}

static int read_run_row(sqlite3_stmt *stmt, void *row, tr_error *err)
{
	return read_run(stmt, row, err);
}

static int read_event_row(sqlite3_stmt *stmt, void *row, tr_error *err)
{
	return read_event(stmt, row, err);
}

static int read_pstatus_row(sqlite3_stmt *stmt, void *row, tr_error *err)
{
	return read_pstatus(stmt, row, err);
}

static int read_check_status_row(sqlite3_stmt *stmt, void *row, tr_error *err)
{
	return read_check_status(stmt, row, err);
}

static void free_runs(void *rows, size_t n)
{
	tr_runs_free(rows, n);
}

static void free_events(void *rows, size_t n)
{
	tr_event_recs_free(rows, n);
}

static void free_pstatus(void *rows, size_t n)
{
	tr_pstatus_free(rows, n);
}

static void free_check_status(void *rows, size_t n)
{
	tr_check_status_free(rows, n);
}

/* Binds a run id, an event's run_id or 0, as NULL when 0 ("no run"). */
static int bind_run_id(struct sqlite_storage *s, sqlite3_stmt *stmt, int index, int64_t run_id,
		       tr_error *err)
{
	int rc = run_id ? sqlite3_bind_int64(stmt, index, run_id) : sqlite3_bind_null(stmt, index);

	return rc == SQLITE_OK ? 0 : db_error(s, rc, err);
}

/* A size_t limit as SQL's LIMIT: 0 (all) and anything past int64 are -1. */
static sqlite3_int64 sql_limit(size_t limit)
{
	return limit == 0 || limit > (size_t)INT64_MAX ? -1 : (sqlite3_int64)limit;
}

/* ---- runs ---- */

static int sqlite_run_create(tr_storage *st, const tr_run *r, const char *process_start,
			     int64_t *id, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *insert = NULL;
	int rc = 0;

	/* One INSERT is its own transaction. */
	if ((rc = stmt_get(s, STMT_RUN_INSERT, &insert, err)) != 0 ||
	    (rc = bind_text(s, insert, 1, r->selection, err)) != 0 ||
	    (rc = bind_text(s, insert, 2, r->partitions, err)) != 0 ||
	    (rc = bind_text(s, insert, 3, r->launched_by, err)) != 0 ||
	    (rc = bind_text(s, insert, 4, r->host, err)) != 0 ||
	    (rc = bind_int64(s, insert, 5, r->pid, err)) != 0 ||
	    (rc = bind_text(s, insert, 6, process_start, err)) != 0 ||
	    (rc = bind_int64(s, insert, 7, r->created_at, err)) != 0 ||
	    (rc = bind_int64(s, insert, 8, r->steps_total, err)) != 0 ||
	    (rc = bind_run_id(s, insert, 9, r->backfill_id, err)) != 0)
		goto out;
	rc = sqlite3_step(insert);
	if (rc != SQLITE_DONE) {
		rc = sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_FOREIGNKEY
			     ? tr_error_set(err, TR_ENOTFOUND, "there is no backfill %lld",
					    (long long)r->backfill_id)
			     : db_error(s, rc, err);
		goto out;
	}
	rc = 0;
	*id = sqlite3_last_insert_rowid(s->db);
out:
	stmt_done(insert);
	if (rc)
		tr_error_prefix(err, "%s: creating a run", s->path);
	return rc;
}

/*
 * Takes count new values of the status change sequence (count > 0), the
 * first into *first; inside the caller's write transaction, which makes them
 * larger than every value taken before and by no one else.
 */
static int seq_take(struct sqlite_storage *s, int64_t count, int64_t *first, tr_error *err)
{
	sqlite3_stmt *next = NULL;
	sqlite3_int64 last = 0;
	int rc = 0;

	if ((rc = stmt_get(s, STMT_SEQ_NEXT, &next, err)) == 0 &&
	    (rc = bind_int64(s, next, 1, count, err)) == 0 &&
	    (rc = step_int64(s, next, &last, err)) == 0)
		*first = last - count + 1;
	stmt_done(next);
	return rc;
}

/*
 * Puts the partitions run id left in progress back to their status before
 * it, as status change seq: a row that goes leaves a tombstone.
 */
static int restore_in_progress(struct sqlite_storage *s, int64_t id, int64_t seq, tr_error *err)
{
	static const enum stmt_id ids[] = {STMT_RESTORE_TOMBSTONES, STMT_RESTORE_DELETE,
					   STMT_RESTORE_UPDATE};
	sqlite3_stmt *stmt = NULL;
	size_t i = 0;
	int rc = 0;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]) && rc == 0; i++) {
		if ((rc = stmt_get(s, ids[i], &stmt, err)) != 0)
			break;
		/* STMT_RESTORE_DELETE has no ?2. */
		if ((rc = bind_int64(s, stmt, 1, id, err)) == 0 &&
		    (ids[i] == STMT_RESTORE_DELETE || (rc = bind_int64(s, stmt, 2, seq, err)) == 0))
			rc = step_done(s, stmt, err);
		stmt_done(stmt);
	}
	if (rc)
		tr_error_prefix(err, "restoring the partitions it left in progress");
	return rc;
}

/* TR_ENOTFOUND for run id, saying which ids exist. */
static int run_not_found(struct sqlite_storage *s, int64_t id, tr_error *err)
{
	sqlite3_stmt *max = NULL;
	sqlite3_int64 last = 0;

	if (stmt_get(s, STMT_RUN_MAX_ID, &max, NULL) != 0 || step_int64(s, max, &last, NULL) != 0)
		last = -1;
	stmt_done(max);
	if (last > 0)
		return tr_error_set(err, TR_ENOTFOUND, "there is no run %lld (runs are 1 to %lld)",
				    (long long)id, (long long)last);
	return tr_error_set(err, TR_ENOTFOUND, "there is no run %lld%s", (long long)id,
			    last == 0 ? " (there are no runs yet)" : "");
}

static int sqlite_run_finish(tr_storage *st, int64_t id, const tr_run *r, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *update = NULL;
	int64_t seq = 0;
	int rc = 0;

	if ((rc = txn_begin(s, err)) != 0)
		goto out;
	if ((rc = stmt_get(s, STMT_RUN_FINISH, &update, err)) != 0 ||
	    (rc = bind_int64(s, update, 1, id, err)) != 0 ||
	    (rc = bind_text(s, update, 2, r->status, err)) != 0 ||
	    (rc = bind_int64(s, update, 3, r->ended_at, err)) != 0 ||
	    (rc = bind_int64(s, update, 4, r->steps_total, err)) != 0 ||
	    (rc = bind_int64(s, update, 5, r->steps_succeeded, err)) != 0 ||
	    (rc = bind_int64(s, update, 6, r->steps_failed, err)) != 0 ||
	    (rc = bind_int64(s, update, 7, r->steps_skipped, err)) != 0 ||
	    (rc = bind_text(s, update, 8, r->error, err)) != 0 ||
	    (rc = step_done(s, update, err)) != 0)
		goto out;
	if (sqlite3_changes(s->db) == 0) {
		rc = run_not_found(s, id, err);
		goto out;
	}
	if ((rc = seq_take(s, 1, &seq, err)) != 0 || (rc = restore_in_progress(s, id, seq, err)) != 0)
		goto out;
	rc = txn_commit(s, err);
out:
	stmt_done(update);
	if (rc) {
		txn_abort(s);
		tr_error_prefix(err, "%s: finishing run %lld as %s", s->path, (long long)id,
				r->status);
	}
	return rc;
}

static int sqlite_run_get(tr_storage *st, int64_t id, tr_run *out, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *select = NULL;
	int rc = 0;

	if ((rc = stmt_get(s, STMT_RUN_GET, &select, err)) != 0 ||
	    (rc = bind_int64(s, select, 1, id, err)) != 0)
		goto out;
	rc = sqlite3_step(select);
	if (rc == SQLITE_ROW)
		rc = read_run(select, out, err);
	else if (rc == SQLITE_DONE)
		rc = run_not_found(s, id, err);
	else
		rc = db_error(s, rc, err);
out:
	stmt_done(select);
	if (rc)
		tr_error_prefix(err, "%s: reading run %lld", s->path, (long long)id);
	return rc;
}

static int sqlite_runs_list(tr_storage *st, size_t limit, tr_run **out, size_t *n, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *select = NULL;
	int rc = 0;

	if ((rc = stmt_get(s, STMT_RUNS_LIST, &select, err)) != 0 ||
	    (rc = bind_int64(s, select, 1, sql_limit(limit), err)) != 0)
		goto out;
	rc = collect_rows(s, select, sizeof(**out), read_run_row, free_runs, (void **)out, n, err);
out:
	stmt_done(select);
	if (rc)
		tr_error_prefix(err, "%s: listing runs", s->path);
	return rc;
}

struct orphan {
	int64_t run_id, pid;
};

/* host's started runs whose process is gone, into a new array *orphans. */
static int find_orphans(struct sqlite_storage *s, const char *host, struct orphan **orphans,
			size_t *n, tr_error *err)
{
	sqlite3_stmt *select = NULL;
	struct orphan *found = NULL;
	size_t count = 0, cap = 0;
	int rc = 0;

	if ((rc = stmt_get(s, STMT_RUNS_STARTED, &select, err)) != 0 ||
	    (rc = bind_text(s, select, 1, host, err)) != 0)
		goto out;
	while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
		const char *start = (const char *)sqlite3_column_text(select, 2);

		if (!storage_process_gone(sqlite3_column_int64(select, 1), start))
			continue;
		if ((rc = storage_array_reserve((void **)&found, &cap, count, sizeof(*found),
						err)) != 0)
			goto out;
		found[count].run_id = sqlite3_column_int64(select, 0);
		found[count].pid = sqlite3_column_int64(select, 1);
		count++;
	}
	rc = rc == SQLITE_DONE ? 0 : db_error(s, rc, err);
out:
	stmt_done(select);
	if (rc) {
		free(found);
		return rc;
	}
	*orphans = found;
	*n = count;
	return 0;
}

/*
 * Looks first without a write lock (the common answer is "none"), then ends
 * the orphans in one transaction. A dead process stays dead, so what was seen
 * holds; a run that ended meanwhile is left alone by STMT_RUN_REAP's guard.
 */
static int sqlite_runs_reap(tr_storage *st, const char *host, int64_t now_ms, size_t *reaped,
			    tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *update = NULL, *backfill = NULL;
	struct orphan *orphans = NULL;
	size_t n = 0, i = 0, count = 0;
	int64_t seq = 0;
	char message[128];
	int rc = 0;

	if ((rc = find_orphans(s, host, &orphans, &n, err)) != 0 || n == 0)
		goto out;
	if ((rc = txn_begin(s, err)) != 0 || (rc = stmt_get(s, STMT_RUN_REAP, &update, err)) != 0 ||
	    (rc = stmt_get(s, STMT_BACKFILL_REAP, &backfill, err)) != 0 ||
	    (rc = seq_take(s, 1, &seq, err)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		snprintf(message, sizeof(message),
			 "the tranche process (pid %lld) ended without finishing the run",
			 (long long)orphans[i].pid);
		if ((rc = bind_int64(s, update, 1, orphans[i].run_id, err)) != 0 ||
		    (rc = bind_int64(s, update, 2, now_ms, err)) != 0 ||
		    (rc = bind_text(s, update, 3, message, err)) != 0 ||
		    (rc = step_done(s, update, err)) != 0)
			goto out;
		if (sqlite3_changes(s->db) == 0)
			continue; /* it ended meanwhile */
		if ((rc = restore_in_progress(s, orphans[i].run_id, seq, err)) != 0)
			goto out;
		/* Its backfill, if it was working on one, ends with it: resumable. */
		if ((rc = bind_int64(s, backfill, 1, orphans[i].run_id, err)) != 0 ||
		    (rc = bind_int64(s, backfill, 2, now_ms, err)) != 0 ||
		    (rc = bind_text(s, backfill, 3, message, err)) != 0 ||
		    (rc = step_done(s, backfill, err)) != 0)
			goto out;
		count++;
	}
	rc = txn_commit(s, err);
out:
	stmt_done(update);
	stmt_done(backfill);
	free(orphans);
	if (rc) {
		txn_abort(s);
		tr_error_prefix(err, "%s: ending the runs of processes that are gone", s->path);
		return rc;
	}
	*reaped = count;
	return 0;
}

/* ---- events ---- */

/* "event 3 (of 10, materialization of \"sales\" \"2024-01\")" into buf, for messages. */
static const char *describe_event(const tr_event *ev, size_t i, size_t n, char *buf, size_t size)
{
	char asset[96], partition[96];

	if (!ev->asset) {
		snprintf(buf, size, "event %zu (of %zu, %s)", i, n, ev->type);
		return buf;
	}
	tr_error_quote(asset, sizeof(asset), ev->asset, strlen(ev->asset));
	if (ev->partition && *ev->partition)
		snprintf(buf, size, "event %zu (of %zu, %s of \"%s\" partition \"%s\")", i, n,
			 ev->type, asset,
			 tr_error_quote(partition, sizeof(partition), ev->partition,
					strlen(ev->partition)));
	else
		snprintf(buf, size, "event %zu (of %zu, %s of \"%s\")", i, n, ev->type, asset);
	return buf;
}

/* TR_EINVAL when an event's data is not a JSON object (or not a check result). */
static int check_event_data(struct sqlite_storage *s, const tr_event *ev, tr_error *err)
{
	sqlite3_stmt *check = NULL;
	char *problem = NULL;
	int rc = 0;

	if ((rc = stmt_get(s, STMT_EVENT_DATA_CHECK, &check, err)) != 0 ||
	    (rc = bind_text(s, check, 1, ev->data, err)) != 0 ||
	    (rc = bind_int64(s, check, 2,
			     storage_event_effect(ev->type) == STORAGE_EFFECT_CHECK, err)) != 0)
		goto out;
	rc = sqlite3_step(check);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? tr_error_set(err, TR_EINTERNAL, "no row checking data")
				       : db_error(s, rc, err);
		goto out;
	}
	if ((rc = column_text(check, 0, &problem, err)) != 0 || !problem)
		goto out;
	rc = tr_error_set(err, TR_EINVAL, "data %s; data is a JSON object%s", problem,
			  storage_event_effect(ev->type) == STORAGE_EFFECT_CHECK
				  ? ", for a check {\"passed\": true|false, \"severity\": "
				    "\"warn\"|\"error\"} (severity optional, default \"error\")"
				  : "");
out:
	free(problem);
	stmt_done(check);
	return rc;
}

/* Runs a statement binding ?1 asset and ?2 partition only. */
static int exec_partition(struct sqlite_storage *s, enum stmt_id id, const char *asset,
			  const char *partition, tr_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = 0;

	if ((rc = stmt_get(s, id, &stmt, err)) == 0 &&
	    (rc = bind_text(s, stmt, 1, asset, err)) == 0 &&
	    (rc = bind_text(s, stmt, 2, partition, err)) == 0)
		rc = step_done(s, stmt, err);
	stmt_done(stmt);
	return rc;
}

/*
 * Binds ?1 asset, ?2 partition, ?3 run_id, ?4 ts, ?5 event id, ?6 seq and runs
 * a status effect; the partition's tombstone, if it was wiped, goes.
 */
static int apply_status(struct sqlite_storage *s, enum stmt_id id, const tr_event *ev,
			int64_t event_id, int64_t seq, tr_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = 0;

	if ((rc = stmt_get(s, id, &stmt, err)) != 0 ||
	    (rc = bind_text(s, stmt, 1, ev->asset, err)) != 0 ||
	    (rc = bind_text(s, stmt, 2, ev->partition, err)) != 0 ||
	    (rc = bind_run_id(s, stmt, 3, ev->run_id, err)) != 0 ||
	    (rc = bind_int64(s, stmt, 4, ev->ts, err)) != 0 ||
	    (rc = bind_int64(s, stmt, 5, event_id, err)) != 0 ||
	    (rc = bind_int64(s, stmt, 6, seq, err)) != 0 || (rc = step_done(s, stmt, err)) != 0)
		goto out;
	if (s->tombstones)
		rc = exec_partition(s, STMT_TOMBSTONE_CLEAR, ev->asset, ev->partition, err);
out:
	stmt_done(stmt);
	return rc;
}

/*
 * The partition's status row goes, leaving a tombstone as status change seq
 * (none when there was no row: nothing changed), and its checks' results go.
 */
static int apply_wipe(struct sqlite_storage *s, const tr_event *ev, int64_t seq, tr_error *err)
{
	sqlite3_stmt *tombstone = NULL;
	int rc = 0;

	if ((rc = exec_partition(s, STMT_STATUS_WIPE, ev->asset, ev->partition, err)) != 0)
		return rc;
	if (sqlite3_changes(s->db) > 0) {
		if ((rc = stmt_get(s, STMT_TOMBSTONE_SET, &tombstone, err)) == 0 &&
		    (rc = bind_text(s, tombstone, 1, ev->asset, err)) == 0 &&
		    (rc = bind_text(s, tombstone, 2, ev->partition, err)) == 0 &&
		    (rc = bind_int64(s, tombstone, 3, seq, err)) == 0)
			rc = step_done(s, tombstone, err);
		stmt_done(tombstone);
		if (rc)
			return rc;
		s->tombstones = 1;
	}
	return exec_partition(s, STMT_CHECKS_WIPE, ev->asset, ev->partition, err);
}

static int apply_check(struct sqlite_storage *s, const tr_event *ev, int64_t event_id,
		       tr_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = 0;

	if ((rc = stmt_get(s, STMT_CHECK_UPSERT, &stmt, err)) != 0 ||
	    (rc = bind_text(s, stmt, 1, ev->asset, err)) != 0 ||
	    (rc = bind_text(s, stmt, 2, ev->check, err)) != 0 ||
	    (rc = bind_text(s, stmt, 3, ev->partition, err)) != 0 ||
	    (rc = bind_text(s, stmt, 4, ev->data, err)) != 0 ||
	    (rc = bind_text(s, stmt, 5, ev->message, err)) != 0 ||
	    (rc = bind_run_id(s, stmt, 6, ev->run_id, err)) != 0 ||
	    (rc = bind_int64(s, stmt, 7, ev->ts, err)) != 0 ||
	    (rc = bind_int64(s, stmt, 8, event_id, err)) != 0)
		goto out;
	rc = step_done(s, stmt, err);
out:
	stmt_done(stmt);
	return rc;
}

/* 1 when events of this type change a partition's status row (and take a seq). */
static int changes_status(const char *type)
{
	switch ((enum storage_effect)storage_event_effect(type)) {
	case STORAGE_EFFECT_IN_PROGRESS:
	case STORAGE_EFFECT_MATERIALIZED:
	case STORAGE_EFFECT_FAILED:
	case STORAGE_EFFECT_WIPE:
		return 1;
	case STORAGE_EFFECT_NONE:
	case STORAGE_EFFECT_CHECK:
		break;
	}
	return 0;
}

/*
 * Writes one event and applies its effect, inside the caller's transaction;
 * seq is the status change value it uses if its type changes status.
 */
static int add_event(struct sqlite_storage *s, const tr_event *ev, int64_t seq, tr_error *err)
{
	sqlite3_stmt *insert = NULL;
	int64_t event_id = 0;
	int rc = 0;

	if ((rc = stmt_get(s, STMT_EVENT_INSERT, &insert, err)) != 0 ||
	    (rc = bind_run_id(s, insert, 1, ev->run_id, err)) != 0 ||
	    (rc = bind_int64(s, insert, 2, ev->ts, err)) != 0 ||
	    (rc = bind_text(s, insert, 3, ev->type, err)) != 0 ||
	    (rc = bind_text(s, insert, 4, ev->asset, err)) != 0 ||
	    (rc = bind_text(s, insert, 5, ev->partition, err)) != 0 ||
	    (rc = bind_text(s, insert, 6, ev->check, err)) != 0 ||
	    (rc = bind_text(s, insert, 7, ev->message, err)) != 0 ||
	    (rc = bind_text(s, insert, 8, ev->data, err)) != 0)
		goto out;
	rc = sqlite3_step(insert);
	if (rc != SQLITE_DONE) {
		rc = sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_FOREIGNKEY
			     ? tr_error_set(err, TR_ENOTFOUND, "there is no run %lld",
					    (long long)ev->run_id)
			     : db_error(s, rc, err);
		goto out;
	}
	rc = 0;
	event_id = sqlite3_last_insert_rowid(s->db);
	switch ((enum storage_effect)storage_event_effect(ev->type)) {
	case STORAGE_EFFECT_NONE:
		break;
	case STORAGE_EFFECT_IN_PROGRESS:
		rc = apply_status(s, STMT_STATUS_START, ev, event_id, seq, err);
		break;
	case STORAGE_EFFECT_MATERIALIZED:
		rc = apply_status(s, STMT_STATUS_MATERIALIZED, ev, event_id, seq, err);
		break;
	case STORAGE_EFFECT_FAILED:
		rc = apply_status(s, STMT_STATUS_FAILED, ev, event_id, seq, err);
		break;
	case STORAGE_EFFECT_WIPE:
		rc = apply_wipe(s, ev, seq, err);
		break;
	case STORAGE_EFFECT_CHECK:
		rc = apply_check(s, ev, event_id, err);
		break;
	}
out:
	stmt_done(insert);
	return rc;
}

static int sqlite_events_add(tr_storage *st, const tr_event *evs, size_t n, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	char what[320];
	size_t i = 0;
	int64_t changes = 0, seq = 0;
	int rc = 0;

	/* Refuse bad data before taking the write lock. */
	for (i = 0; i < n; i++) {
		if (evs[i].data && (rc = check_event_data(s, &evs[i], err)) != 0) {
			tr_error_prefix(err, "%s", describe_event(&evs[i], i, n, what, sizeof(what)));
			tr_error_prefix(err, "%s: adding events (nothing written)", s->path);
			return rc;
		}
		changes += changes_status(evs[i].type);
	}
	if ((rc = txn_begin(s, err)) != 0)
		goto out;
	/* One value per status change, taken at once: one counter update per batch. */
	if (changes > 0 && (rc = seq_take(s, changes, &seq, err)) != 0)
		goto out;
	if (changes > 0 && (rc = query_int(s, STMT_TOMBSTONES_ANY, &s->tombstones, err)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((rc = add_event(s, &evs[i], seq, err)) != 0) {
			tr_error_prefix(err, "%s", describe_event(&evs[i], i, n, what, sizeof(what)));
			goto out;
		}
		seq += changes_status(evs[i].type);
	}
	rc = txn_commit(s, err);
out:
	if (rc) {
		txn_abort(s);
		tr_error_prefix(err, "%s: adding %zu events (nothing written)", s->path, n);
	}
	return rc;
}

static int sqlite_events_list(tr_storage *st, int64_t run_id, const char *asset, int64_t after_id,
			      size_t limit, tr_event_rec **out, size_t *n, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	enum stmt_id id = run_id ? (asset ? STMT_EVENTS_RUN_ASSET : STMT_EVENTS_RUN)
				 : (asset ? STMT_EVENTS_ASSET : STMT_EVENTS_ALL);
	sqlite3_stmt *select = NULL;
	int rc = 0;

	if ((rc = stmt_get(s, id, &select, err)) != 0 ||
	    (rc = bind_int64(s, select, 1, after_id, err)) != 0 ||
	    (rc = bind_int64(s, select, 2, sql_limit(limit), err)) != 0 ||
	    (run_id && (rc = bind_int64(s, select, 3, run_id, err)) != 0) ||
	    (asset && (rc = bind_text(s, select, run_id ? 4 : 3, asset, err)) != 0))
		goto out;
	rc = collect_rows(s, select, sizeof(**out), read_event_row, free_events, (void **)out, n,
			  err);
out:
	stmt_done(select);
	if (rc)
		tr_error_prefix(err, "%s: listing events", s->path);
	return rc;
}

static int sqlite_events_latest(tr_storage *st, const char *asset, const char *partition,
				const char *type, int64_t before_id, size_t limit, tr_event_rec **out,
				size_t *n, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *select = NULL;
	int rc = 0;

	if ((rc = stmt_get(s, asset ? STMT_EVENTS_LATEST_ASSET : STMT_EVENTS_LATEST, &select,
			   err)) != 0 ||
	    (rc = bind_int64(s, select, 1, before_id > 0 ? before_id : INT64_MAX, err)) != 0 ||
	    (rc = bind_int64(s, select, 2, sql_limit(limit), err)) != 0 ||
	    (rc = bind_text(s, select, 3, type, err)) != 0 ||
	    (asset && (rc = bind_text(s, select, 4, asset, err)) != 0) ||
	    (asset && (rc = bind_text(s, select, 5, partition, err)) != 0))
		goto out;
	rc = collect_rows(s, select, sizeof(**out), read_event_row, free_events, (void **)out, n,
			  err);
out:
	stmt_done(select);
	if (rc)
		tr_error_prefix(err, "%s: listing the latest events", s->path);
	return rc;
}

/* ---- status ---- */

static int sqlite_partition_status(tr_storage *st, const char *asset, tr_pstatus **out,
				   size_t *n, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *select = NULL;
	char quoted[96];
	int rc = 0;

	if ((rc = stmt_get(s, STMT_STATUS_LIST, &select, err)) != 0 ||
	    (rc = bind_text(s, select, 1, asset, err)) != 0)
		goto out;
	rc = collect_rows(s, select, sizeof(**out), read_pstatus_row, free_pstatus, (void **)out, n,
			  err);
out:
	stmt_done(select);
	if (rc)
		tr_error_prefix(err, "%s: reading the partition status of \"%s\"", s->path,
				tr_error_quote(quoted, sizeof(quoted), asset, strlen(asset)));
	return rc;
}

static int sqlite_status_counts(tr_storage *st, const char *asset, int64_t *materialized,
				int64_t *failed, int64_t *in_progress, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *select = NULL;
	int64_t counts[3] = {0, 0, 0};
	char quoted[96];
	int rc = 0;

	if ((rc = stmt_get(s, STMT_STATUS_COUNTS, &select, err)) != 0 ||
	    (rc = bind_text(s, select, 1, asset, err)) != 0)
		goto out;
	while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(select, 0);
		int64_t count = sqlite3_column_int64(select, 1);

		if (!status)
			continue; /* NOT NULL column: only out of memory gets here */
		if (strcmp(status, "materialized") == 0)
			counts[0] = count;
		else if (strcmp(status, "failed") == 0)
			counts[1] = count;
		else if (strcmp(status, "in_progress") == 0)
			counts[2] = count;
	}
	rc = rc == SQLITE_DONE ? 0 : db_error(s, rc, err);
out:
	stmt_done(select);
	if (rc) {
		tr_error_prefix(err, "%s: counting the partition status of \"%s\"", s->path,
				tr_error_quote(quoted, sizeof(quoted), asset, strlen(asset)));
		return rc;
	}
	*materialized = counts[0];
	*failed = counts[1];
	*in_progress = counts[2];
	return 0;
}

static int sqlite_last_materialization(tr_storage *st, const char *asset, const char *partition,
				       tr_event_rec *out, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *select = NULL;
	char quoted_asset[96], quoted_partition[96];
	int rc = 0;

	tr_error_quote(quoted_asset, sizeof(quoted_asset), asset, strlen(asset));
	tr_error_quote(quoted_partition, sizeof(quoted_partition), partition, strlen(partition));
	if ((rc = stmt_get(s, STMT_LAST_MATERIALIZATION, &select, err)) != 0 ||
	    (rc = bind_text(s, select, 1, asset, err)) != 0 ||
	    (rc = bind_text(s, select, 2, partition, err)) != 0)
		goto out;
	rc = sqlite3_step(select);
	if (rc == SQLITE_ROW)
		rc = read_event(select, out, err);
	else if (rc == SQLITE_DONE)
		rc = tr_error_set(err, TR_ENOTFOUND,
				  "no materialization of asset \"%s\"%s%s%s (never materialized, or "
				  "wiped since)",
				  quoted_asset, *partition ? " partition \"" : "", quoted_partition,
				  *partition ? "\"" : "");
	else
		rc = db_error(s, rc, err);
out:
	stmt_done(select);
	if (rc)
		tr_error_prefix(err, "%s: reading the last materialization", s->path);
	return rc;
}

static int sqlite_check_status(tr_storage *st, const char *asset, tr_check_status **out,
			       size_t *n, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *select = NULL;
	char quoted[96];
	int rc = 0;

	if ((rc = stmt_get(s, asset ? STMT_CHECKS_ASSET : STMT_CHECKS_ALL, &select, err)) != 0 ||
	    (asset && (rc = bind_text(s, select, 1, asset, err)) != 0))
		goto out;
	rc = collect_rows(s, select, sizeof(**out), read_check_status_row, free_check_status,
			  (void **)out, n, err);
out:
	stmt_done(select);
	if (rc) {
		if (asset)
			tr_error_prefix(err, "%s: reading the check status of \"%s\"", s->path,
					tr_error_quote(quoted, sizeof(quoted), asset, strlen(asset)));
		else
			tr_error_prefix(err, "%s: reading the check status of every asset", s->path);
	}
	return rc;
}


/* ---- the status change sequence and the summary ---- */

static int sqlite_status_changes(tr_storage *st, const char *asset, int64_t seq, tr_pstatus **out,
				 size_t *n, int64_t *now_seq, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *select = NULL;
	tr_pstatus *rows = NULL;
	size_t count = 0, cap = 0;
	int64_t last = seq;
	char quoted[96];
	int rc = 0;

	/* From the start, every row counts: read in primary-key order, no sort. */
	if ((rc = stmt_get(s, seq > 0 ? STMT_CHANGES_SINCE : STMT_CHANGES_ALL, &select, err)) != 0 ||
	    (rc = bind_text(s, select, 1, asset, err)) != 0 ||
	    (seq > 0 && (rc = bind_int64(s, select, 2, seq, err)) != 0))
		goto out;
	while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
		int64_t row_seq = sqlite3_column_int64(select, 7);

		if ((rc = storage_array_reserve((void **)&rows, &cap, count, sizeof(*rows), err)) != 0 ||
		    (rc = read_pstatus(select, &rows[count], err)) != 0)
			goto out;
		count++;
		if (row_seq > last)
			last = row_seq;
	}
	rc = rc == SQLITE_DONE ? 0 : db_error(s, rc, err);
out:
	stmt_done(select);
	if (rc) {
		tr_pstatus_free(rows, count);
		tr_error_prefix(err, "%s: reading the status changes of \"%s\"", s->path,
				tr_error_quote(quoted, sizeof(quoted), asset, strlen(asset)));
		return rc;
	}
	if (count == 0) {
		free(rows);
		rows = NULL;
	}
	*out = rows;
	*n = count;
	*now_seq = last;
	return 0;
}

static int sqlite_read_begin(tr_storage *st, int *began, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	int rc = 0;

	*began = 0;
	if (s->snapshot_depth++ > 0 || !sqlite3_get_autocommit(s->db))
		return 0;
	if ((rc = sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL)) != SQLITE_OK) {
		s->snapshot_depth--;
		rc = db_error(s, rc, err);
		tr_error_prefix(err, "%s: beginning a read snapshot", s->path);
		return rc;
	}
	s->snapshot_began = *began = 1;
	return 0;
}

static void sqlite_read_end(tr_storage *st)
{
	struct sqlite_storage *s = to_sqlite(st);

	if (s->snapshot_depth == 0 || --s->snapshot_depth > 0 || !s->snapshot_began)
		return;
	s->snapshot_began = 0;
	/* Nothing was written: COMMIT only ends the read (it cannot be busy). */
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
}

static int sqlite_summary_get(tr_storage *st, const char *asset, const char *tag, void **blob,
			      size_t *len, int64_t *seq, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *select = NULL;
	const void *data = NULL;
	size_t size = 0;
	char quoted[96];
	int rc = 0;

	if ((rc = stmt_get(s, STMT_SUMMARY_GET, &select, err)) != 0 ||
	    (rc = bind_text(s, select, 1, asset, err)) != 0 ||
	    (rc = bind_text(s, select, 2, tag, err)) != 0)
		goto out;
	rc = sqlite3_step(select);
	if (rc == SQLITE_DONE) {
		rc = 0; /* none, or of another tag */
		goto out;
	}
	if (rc != SQLITE_ROW) {
		rc = db_error(s, rc, err);
		goto out;
	}
	data = sqlite3_column_blob(select, 1);
	size = (size_t)sqlite3_column_bytes(select, 1);
	if (!data && size > 0) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory reading a summary");
		goto out;
	}
	/* Never NULL for a stored summary, even an empty one. */
	if (!(*blob = malloc(size ? size : 1))) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory reading a summary of %zu bytes",
				  size);
		goto out;
	}
	if (size)
		memcpy(*blob, data, size);
	*len = size;
	*seq = sqlite3_column_int64(select, 0);
	rc = 0;
out:
	stmt_done(select);
	if (rc)
		tr_error_prefix(err, "%s: reading the status summary of \"%s\"", s->path,
				tr_error_quote(quoted, sizeof(quoted), asset, strlen(asset)));
	return rc;
}

/*
 * The summary is a cache that a reader writes on its way: it waits for
 * another writer only SUMMARY_BUSY_MS, not the whole busy timeout, so that a
 * status question is not held up by a long backfill's commits.
 */
#define SUMMARY_BUSY_MS 100

static int sqlite_summary_put(tr_storage *st, const char *asset, const char *tag, const void *blob,
			      size_t len, int64_t seq, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *upsert = NULL;
	char quoted[96];
	int rc = 0;

	if ((rc = stmt_get(s, STMT_SUMMARY_PUT, &upsert, err)) != 0 ||
	    (rc = bind_text(s, upsert, 1, asset, err)) != 0 ||
	    (rc = bind_text(s, upsert, 2, tag, err)) != 0 ||
	    (rc = bind_int64(s, upsert, 3, seq, err)) != 0)
		goto out;
	rc = len > 0 ? sqlite3_bind_blob64(upsert, 4, blob, (sqlite3_uint64)len, SQLITE_STATIC)
		     : sqlite3_bind_zeroblob(upsert, 4, 0);
	if (rc != SQLITE_OK) {
		rc = db_error(s, rc, err);
		goto out;
	}
	sqlite3_busy_timeout(s->db, SUMMARY_BUSY_MS);
	rc = step_done(s, upsert, err);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
out:
	stmt_done(upsert);
	if (rc)
		tr_error_prefix(err, "%s: storing the status summary of \"%s\"", s->path,
				tr_error_quote(quoted, sizeof(quoted), asset, strlen(asset)));
	return rc;
}

/* ---- pool starts ---- */

static int sqlite_pool_start(tr_storage *st, const char *pool, int64_t ts, int64_t forget_before,
			     tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *forget = NULL, *insert = NULL;
	int rc;

	if ((rc = txn_begin(s, err)) != 0)
		goto out;
	if ((rc = stmt_get(s, STMT_POOL_FORGET, &forget, err)) != 0 ||
	    (rc = bind_text(s, forget, 1, pool, err)) != 0 ||
	    (rc = bind_int64(s, forget, 2, forget_before, err)) != 0 ||
	    (rc = step_done(s, forget, err)) != 0 ||
	    (rc = stmt_get(s, STMT_POOL_START, &insert, err)) != 0 ||
	    (rc = bind_text(s, insert, 1, pool, err)) != 0 ||
	    (rc = bind_int64(s, insert, 2, ts, err)) != 0 ||
	    (rc = step_done(s, insert, err)) != 0 || (rc = txn_commit(s, err)) != 0)
		txn_abort(s);
out:
	stmt_done(forget);
	stmt_done(insert);
	if (rc)
		tr_error_prefix(err, "%s: recording a start of pool %s", s->path, pool);
	return rc;
}

static int sqlite_pool_starts(tr_storage *st, const char *pool, int64_t since, size_t limit,
			      int64_t **ts, size_t *n, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *select = NULL;
	int rc;

	if ((rc = stmt_get(s, STMT_POOL_STARTS, &select, err)) != 0 ||
	    (rc = bind_text(s, select, 1, pool, err)) != 0 ||
	    (rc = bind_int64(s, select, 2, since, err)) != 0 ||
	    (rc = bind_int64(s, select, 3, (sqlite3_int64)limit, err)) != 0)
		goto out;
	if (!(*ts = malloc((limit ? limit : 1) * sizeof(**ts)))) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	while ((rc = sqlite3_step(select)) == SQLITE_ROW && *n < limit)
		(*ts)[(*n)++] = sqlite3_column_int64(select, 0);
	rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : db_error(s, rc, err);
out:
	stmt_done(select);
	if (rc) {
		free(*ts);
		*ts = NULL;
		*n = 0;
		tr_error_prefix(err, "%s: reading the starts of pool %s", s->path, pool);
	}
	return rc;
}

/* ---- backfills ---- */

/* Binds text, NULL as "". */
static int bind_text_or_empty(struct sqlite_storage *s, sqlite3_stmt *stmt, int index,
			      const char *text, tr_error *err)
{
	return bind_text(s, stmt, index, text ? text : "", err);
}

/* A row of BACKFILL_COLUMNS into *b (zeroed first; released on failure). */
static int read_backfill(sqlite3_stmt *stmt, tr_backfill *b, tr_error *err)
{
	int rc = 0;

	memset(b, 0, sizeof(*b));
	b->id = sqlite3_column_int64(stmt, 0);
	b->created_at = sqlite3_column_int64(stmt, 5);
	b->ended_at = sqlite3_column_int64(stmt, 6);
	b->partitions_total = sqlite3_column_int64(stmt, 7);
	b->partitions_succeeded = sqlite3_column_int64(stmt, 8);
	b->partitions_failed = sqlite3_column_int64(stmt, 9);
	b->partitions_skipped = sqlite3_column_int64(stmt, 10);
	b->last_run_id = sqlite3_column_int64(stmt, 11);
	if ((rc = column_text(stmt, 1, &b->status, err)) != 0 ||
	    (rc = column_text(stmt, 2, &b->selection, err)) != 0 ||
	    (rc = column_text(stmt, 3, &b->partitions, err)) != 0 ||
	    (rc = column_text(stmt, 4, &b->launched_by, err)) != 0 ||
	    (rc = column_text(stmt, 12, &b->error, err)) != 0)
		tr_backfill_release(b);
	return rc;
}

static int read_backfill_row(sqlite3_stmt *stmt, void *row, tr_error *err)
{
	return read_backfill(stmt, row, err);
}

static void free_backfills(void *rows, size_t n)
{
	tr_backfills_free(rows, n);
}

/* A row of STMT_BACKFILL_ASSETS into *a (zeroed first; freed on failure). */
static int read_backfill_asset_row(sqlite3_stmt *stmt, void *row, tr_error *err)
{
	tr_backfill_asset *a = row;
	int rc = 0;

	memset(a, 0, sizeof(*a));
	a->partitioned = sqlite3_column_int(stmt, 1) != 0;
	a->n_requested = sqlite3_column_int64(stmt, 2);
	if ((rc = column_text(stmt, 0, &a->asset, err)) != 0 ||
	    (rc = column_text(stmt, 3, &a->requested, err)) != 0 ||
	    (rc = column_text(stmt, 4, &a->succeeded, err)) != 0 ||
	    (rc = column_text(stmt, 5, &a->failed, err)) != 0 ||
	    (rc = column_text(stmt, 6, &a->skipped, err)) != 0) {
		free(a->asset);
		free(a->requested);
		free(a->succeeded);
		free(a->failed);
		memset(a, 0, sizeof(*a));
	}
	return rc;
}

static void free_backfill_assets(void *rows, size_t n)
{
	tr_backfill_assets_free(rows, n);
}

/* Binds an optional id or time, 0 meaning none, as NULL for 0. */
static int bind_optional(struct sqlite_storage *s, sqlite3_stmt *stmt, int index, int64_t value,
			 tr_error *err)
{
	return bind_run_id(s, stmt, index, value, err);
}

/* TR_ENOTFOUND for backfill id, saying which ids exist. */
static int backfill_not_found(struct sqlite_storage *s, int64_t id, tr_error *err)
{
	sqlite3_stmt *max = NULL;
	sqlite3_int64 last = 0;

	if (stmt_get(s, STMT_BACKFILL_MAX_ID, &max, NULL) != 0 ||
	    step_int64(s, max, &last, NULL) != 0)
		last = -1;
	stmt_done(max);
	if (last > 0)
		return tr_error_set(err, TR_ENOTFOUND,
				    "there is no backfill %lld (backfills are 1 to %lld; `tranche "
				    "backfills` lists them)",
				    (long long)id, (long long)last);
	return tr_error_set(err, TR_ENOTFOUND, "there is no backfill %lld%s", (long long)id,
			    last == 0 ? " (there are no backfills yet)" : "");
}

/* Inserts asset i of a new backfill (?1 bound by the caller). */
static int insert_backfill_asset(struct sqlite_storage *s, sqlite3_stmt *insert,
				 const tr_backfill_asset *a, size_t i, tr_error *err)
{
	char quoted[96];
	int rc = 0;

	if ((rc = bind_int64(s, insert, 2, (sqlite3_int64)i, err)) != 0 ||
	    (rc = bind_text(s, insert, 3, a->asset, err)) != 0 ||
	    (rc = bind_int64(s, insert, 4, a->partitioned ? 1 : 0, err)) != 0 ||
	    (rc = bind_int64(s, insert, 5, a->n_requested, err)) != 0 ||
	    (rc = bind_text_or_empty(s, insert, 6, a->requested, err)) != 0)
		return rc;
	rc = sqlite3_step(insert);
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
		rc = tr_error_set(err, TR_EINVAL,
				  "asset %zu, \"%s\", is given twice; name each asset once", i,
				  tr_error_quote(quoted, sizeof(quoted), a->asset, strlen(a->asset)));
	else
		rc = db_error(s, rc, err);
	sqlite3_reset(insert);
	return rc;
}

static int sqlite_backfill_create(tr_storage *st, const tr_backfill *b,
				  const tr_backfill_asset *assets, size_t n_assets, int64_t *id,
				  tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *insert = NULL, *insert_asset = NULL;
	int64_t new_id = 0;
	size_t i = 0;
	int rc = 0;

	if ((rc = txn_begin(s, err)) != 0)
		goto out;
	if ((rc = stmt_get(s, STMT_BACKFILL_INSERT, &insert, err)) != 0 ||
	    (rc = bind_text_or_empty(s, insert, 1, b->selection, err)) != 0 ||
	    (rc = bind_text_or_empty(s, insert, 2, b->partitions, err)) != 0 ||
	    (rc = bind_text_or_empty(s, insert, 3, b->launched_by, err)) != 0 ||
	    (rc = bind_int64(s, insert, 4, b->created_at, err)) != 0 ||
	    (rc = bind_int64(s, insert, 5, b->partitions_total, err)) != 0 ||
	    (rc = step_done(s, insert, err)) != 0)
		goto out;
	new_id = sqlite3_last_insert_rowid(s->db);
	if ((rc = stmt_get(s, STMT_BACKFILL_ASSET_INSERT, &insert_asset, err)) != 0 ||
	    (rc = bind_int64(s, insert_asset, 1, new_id, err)) != 0)
		goto out;
	for (i = 0; i < n_assets; i++)
		if ((rc = insert_backfill_asset(s, insert_asset, &assets[i], i, err)) != 0)
			goto out;
	rc = txn_commit(s, err);
out:
	stmt_done(insert);
	stmt_done(insert_asset);
	if (rc) {
		txn_abort(s);
		tr_error_prefix(err, "%s: recording a backfill of %zu assets (nothing written)",
				s->path, n_assets);
		return rc;
	}
	*id = new_id;
	return 0;
}

static int sqlite_backfill_get(tr_storage *st, int64_t id, tr_backfill *out,
			       tr_backfill_asset **assets, size_t *n_assets, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *select = NULL, *select_assets = NULL;
	int rc = 0, got = 0;

	/* One snapshot: an update writes the backfill and its assets together. */
	if ((rc = txn_begin_read(s, err)) != 0)
		goto out;
	if ((rc = stmt_get(s, STMT_BACKFILL_GET, &select, err)) != 0 ||
	    (rc = bind_int64(s, select, 1, id, err)) != 0)
		goto out;
	rc = sqlite3_step(select);
	if (rc == SQLITE_ROW)
		got = (rc = read_backfill(select, out, err)) == 0;
	else if (rc == SQLITE_DONE)
		rc = backfill_not_found(s, id, err);
	else
		rc = db_error(s, rc, err);
	if (rc || !assets)
		goto out;
	if ((rc = stmt_get(s, STMT_BACKFILL_ASSETS, &select_assets, err)) != 0 ||
	    (rc = bind_int64(s, select_assets, 1, id, err)) != 0)
		goto out;
	rc = collect_rows(s, select_assets, sizeof(**assets), read_backfill_asset_row,
			  free_backfill_assets, (void **)assets, n_assets, err);
out:
	stmt_done(select);
	stmt_done(select_assets);
	if (rc == 0)
		rc = txn_commit(s, err);
	if (rc) {
		txn_abort(s);
		if (got)
			tr_backfill_release(out);
		if (assets && *assets) {
			tr_backfill_assets_free(*assets, *n_assets);
			*assets = NULL;
			*n_assets = 0;
		}
		tr_error_prefix(err, "%s: reading backfill %lld", s->path, (long long)id);
	}
	return rc;
}

static int sqlite_backfills_list(tr_storage *st, size_t limit, tr_backfill **out, size_t *n,
				 tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *select = NULL;
	int rc = 0;

	if ((rc = stmt_get(s, STMT_BACKFILLS_LIST, &select, err)) != 0 ||
	    (rc = bind_int64(s, select, 1, sql_limit(limit), err)) != 0)
		goto out;
	rc = collect_rows(s, select, sizeof(**out), read_backfill_row, free_backfills, (void **)out,
			  n, err);
out:
	stmt_done(select);
	if (rc)
		tr_error_prefix(err, "%s: listing backfills", s->path);
	return rc;
}

/* The outcome ranges of one asset of backfill id. */
static int update_backfill_asset(struct sqlite_storage *s, sqlite3_stmt *update, int64_t id,
				 const tr_backfill_asset *a, tr_error *err)
{
	char quoted[96];
	int rc = 0;

	if ((rc = bind_int64(s, update, 1, id, err)) != 0 ||
	    (rc = bind_text(s, update, 2, a->asset, err)) != 0 ||
	    (rc = bind_text_or_empty(s, update, 3, a->succeeded, err)) != 0 ||
	    (rc = bind_text_or_empty(s, update, 4, a->failed, err)) != 0 ||
	    (rc = bind_text_or_empty(s, update, 5, a->skipped, err)) != 0 ||
	    (rc = step_done(s, update, err)) != 0)
		return rc;
	if (sqlite3_changes(s->db) == 0)
		return tr_error_set(err, TR_EINVAL,
				    "backfill %lld has no asset \"%s\"; give assets it was "
				    "created with",
				    (long long)id,
				    tr_error_quote(quoted, sizeof(quoted), a->asset, strlen(a->asset)));
	return 0;
}

static int sqlite_backfill_update(tr_storage *st, int64_t id, const tr_backfill *b,
				  const tr_backfill_asset *assets, size_t n_assets, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *update = NULL, *update_asset = NULL;
	size_t i = 0;
	int rc = 0;

	if ((rc = txn_begin(s, err)) != 0)
		goto out;
	if ((rc = stmt_get(s, STMT_BACKFILL_UPDATE, &update, err)) != 0 ||
	    (rc = bind_int64(s, update, 1, id, err)) != 0 ||
	    (rc = bind_text(s, update, 2, b->status, err)) != 0 ||
	    (rc = bind_optional(s, update, 3, b->ended_at, err)) != 0 ||
	    (rc = bind_int64(s, update, 4, b->partitions_succeeded, err)) != 0 ||
	    (rc = bind_int64(s, update, 5, b->partitions_failed, err)) != 0 ||
	    (rc = bind_int64(s, update, 6, b->partitions_skipped, err)) != 0 ||
	    (rc = bind_optional(s, update, 7, b->last_run_id, err)) != 0 ||
	    (rc = bind_text(s, update, 8, b->error, err)) != 0)
		goto out;
	rc = sqlite3_step(update);
	if (rc != SQLITE_DONE) {
		rc = sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_FOREIGNKEY
			     ? tr_error_set(err, TR_ENOTFOUND, "last_run_id: there is no run %lld",
					    (long long)b->last_run_id)
			     : db_error(s, rc, err);
		goto out;
	}
	if (sqlite3_changes(s->db) == 0) {
		rc = backfill_not_found(s, id, err);
		goto out;
	}
	if ((rc = stmt_get(s, STMT_BACKFILL_ASSET_UPDATE, &update_asset, err)) != 0)
		goto out;
	for (i = 0; i < n_assets; i++)
		if ((rc = update_backfill_asset(s, update_asset, id, &assets[i], err)) != 0)
			goto out;
	rc = txn_commit(s, err);
out:
	stmt_done(update);
	stmt_done(update_asset);
	if (rc) {
		txn_abort(s);
		tr_error_prefix(err, "%s: updating backfill %lld (nothing written)", s->path,
				(long long)id);
	}
	return rc;
}

/*
 * 1 when the run read by STMT_BACKFILL_CANCEL_READ (columns 1-5) is a started
 * run whose process lives: on this host, as runs_reap judges it; on another
 * host it cannot be seen, so it is taken as alive.
 */
static int backfill_run_alive(sqlite3_stmt *stmt, const char *host)
{
	const char *run_status = (const char *)sqlite3_column_text(stmt, 2);
	const char *run_host = (const char *)sqlite3_column_text(stmt, 3);

	if (sqlite3_column_type(stmt, 1) == SQLITE_NULL || !run_status ||
	    strcmp(run_status, "started") != 0)
		return 0;
	if (!run_host || strcmp(run_host, host) != 0)
		return 1;
	return !storage_process_gone(sqlite3_column_int64(stmt, 4),
				     (const char *)sqlite3_column_text(stmt, 5));
}

static int sqlite_backfill_cancel(tr_storage *st, int64_t id, const char *host, int64_t now_ms,
				  char **status, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *read = NULL, *update = NULL;
	const char *next = NULL;
	char *was = NULL, *result = NULL;
	int rc = 0, alive = 0;

	/* Under the write lock: the status read is the one replaced. */
	if ((rc = txn_begin(s, err)) != 0)
		goto out;
	if ((rc = stmt_get(s, STMT_BACKFILL_CANCEL_READ, &read, err)) != 0 ||
	    (rc = bind_int64(s, read, 1, id, err)) != 0)
		goto out;
	rc = sqlite3_step(read);
	if (rc == SQLITE_DONE) {
		rc = backfill_not_found(s, id, err);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		rc = db_error(s, rc, err);
		goto out;
	}
	if ((rc = column_text(read, 0, &was, err)) != 0)
		goto out;
	alive = backfill_run_alive(read, host);
	stmt_done(read);
	read = NULL;
	if (!was || strcmp(was, "completed") == 0 || strcmp(was, "canceled") == 0) {
		rc = tr_error_set(err, TR_EINVAL, "backfill %lld is already %s; nothing to cancel",
				  (long long)id, was ? was : "ended");
		goto out;
	}
	/* Only a process at work on it can stop it; otherwise it stops here. */
	next = alive && (strcmp(was, "running") == 0 || strcmp(was, "canceling") == 0)
		       ? "canceling"
		       : "canceled";
	if (!(result = strdup(next))) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = stmt_get(s, STMT_BACKFILL_CANCEL, &update, err)) != 0 ||
	    (rc = bind_int64(s, update, 1, id, err)) != 0 ||
	    (rc = bind_text(s, update, 2, next, err)) != 0 ||
	    (rc = bind_int64(s, update, 3, now_ms, err)) != 0 ||
	    (rc = step_done(s, update, err)) != 0)
		goto out;
	rc = txn_commit(s, err);
out:
	stmt_done(read);
	stmt_done(update);
	free(was);
	if (rc) {
		txn_abort(s);
		free(result);
		tr_error_prefix(err, "%s: canceling backfill %lld", s->path, (long long)id);
		return rc;
	}
	*status = result;
	return 0;
}

static int sqlite_backfill_status(tr_storage *st, int64_t id, char **status, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *select = NULL;
	int rc = 0;

	if ((rc = stmt_get(s, STMT_BACKFILL_STATUS, &select, err)) != 0 ||
	    (rc = bind_int64(s, select, 1, id, err)) != 0)
		goto out;
	rc = sqlite3_step(select);
	if (rc == SQLITE_ROW)
		rc = column_text(select, 0, status, err);
	else if (rc == SQLITE_DONE)
		rc = backfill_not_found(s, id, err);
	else
		rc = db_error(s, rc, err);
out:
	stmt_done(select);
	if (rc)
		tr_error_prefix(err, "%s: reading the status of backfill %lld", s->path,
				(long long)id);
	return rc;
}

static int sqlite_backfill_runs(tr_storage *st, int64_t id, int64_t **run_ids, size_t *n,
				tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *select = NULL;
	int64_t *ids = NULL;
	size_t count = 0, cap = 0;
	int rc = 0, rows = 0;

	if ((rc = stmt_get(s, STMT_BACKFILL_RUNS, &select, err)) != 0 ||
	    (rc = bind_int64(s, select, 1, id, err)) != 0)
		goto out;
	while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
		rows++;
		if (sqlite3_column_type(select, 0) == SQLITE_NULL)
			continue; /* the backfill, without runs */
		if ((rc = storage_array_reserve((void **)&ids, &cap, count, sizeof(*ids), err)) != 0)
			goto out;
		ids[count++] = sqlite3_column_int64(select, 0);
	}
	if (rc != SQLITE_DONE)
		rc = db_error(s, rc, err);
	else
		rc = rows ? 0 : backfill_not_found(s, id, err);
out:
	stmt_done(select);
	if (rc) {
		free(ids);
		tr_error_prefix(err, "%s: listing the runs of backfill %lld", s->path,
				(long long)id);
		return rc;
	}
	if (count == 0) {
		free(ids);
		ids = NULL;
	}
	*run_ids = ids;
	*n = count;
	return 0;
}

static const struct tr_storage_ops sqlite_ops = {
	.backend = "SQLite",
	.close = sqlite_close,
	.schema_version = sqlite_schema_version,
	.dynamic_add = sqlite_dynamic_add,
	.dynamic_delete = sqlite_dynamic_delete,
	.dynamic_keys = sqlite_dynamic_keys,
	.dynamic_names = sqlite_dynamic_names,
	.run_create = sqlite_run_create,
	.run_finish = sqlite_run_finish,
	.run_get = sqlite_run_get,
	.runs_list = sqlite_runs_list,
	.runs_reap = sqlite_runs_reap,
	.events_add = sqlite_events_add,
	.events_list = sqlite_events_list,
	.events_latest = sqlite_events_latest,
	.partition_status = sqlite_partition_status,
	.status_counts = sqlite_status_counts,
	.last_materialization = sqlite_last_materialization,
	.check_status = sqlite_check_status,
	.backfill_create = sqlite_backfill_create,
	.backfill_get = sqlite_backfill_get,
	.backfills_list = sqlite_backfills_list,
	.backfill_update = sqlite_backfill_update,
	.backfill_cancel = sqlite_backfill_cancel,
	.backfill_status = sqlite_backfill_status,
	.backfill_runs = sqlite_backfill_runs,
	.summary_get = sqlite_summary_get,
	.summary_put = sqlite_summary_put,
	.pool_start = sqlite_pool_start,
	.pool_starts = sqlite_pool_starts,
	.status_changes = sqlite_status_changes,
	.read_begin = sqlite_read_begin,
	.read_end = sqlite_read_end,
};

/* ---- opening ---- */

/*
 * Switches the file to WAL (a no-op when it already is). Switching a new file
 * needs an exclusive lock, and when other processes are opening it at the
 * same moment SQLite answers BUSY at once, without its busy handler: so
 * retry here, for as long as the busy timeout.
 */
static int set_wal(struct sqlite_storage *s, tr_error *err)
{
	const int pause_ms = 5;
	sqlite3_stmt *journal = NULL;
	const char *mode = NULL;
	int rc = 0, waited_ms = 0;

	if ((rc = stmt_get(s, STMT_JOURNAL_WAL, &journal, err)) != 0)
		return rc;
	while ((rc = sqlite3_step(journal)) == SQLITE_BUSY && waited_ms < BUSY_TIMEOUT_MS) {
		sqlite3_reset(journal);
		sqlite3_sleep(pause_ms);
		waited_ms += pause_ms;
	}
	if (rc != SQLITE_ROW) {
		rc = db_error(s, rc, err);
	} else {
		mode = (const char *)sqlite3_column_text(journal, 0);
		rc = mode && strcasecmp(mode, "wal") == 0
			     ? 0
			     : tr_error_set(err, TR_EIO,
					    "cannot use WAL journal mode (SQLite kept \"%s\"); "
					    "is the file on a network filesystem?",
					    mode ? mode : "");
	}
	sqlite3_reset(journal);
	return rc;
}

/* Opens the connection and sets it up: busy timeout, WAL, foreign keys. */
static int db_connect(struct sqlite_storage *s, int in_memory, tr_error *err)
{
	const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	struct stat sb;
	int rc = 0;

	if (!in_memory && stat(s->path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return tr_error_set(err, TR_EIO, "it is a directory, not a database file");
	rc = sqlite3_open_v2(s->path, &s->db, flags, NULL);
	if (rc != SQLITE_OK)
		return s->db ? db_error(s, rc, err) : tr_error_set(err, TR_ENOMEM, "out of memory");
	if ((rc = sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS)) != SQLITE_OK)
		return db_error(s, rc, err);
	/* WAL is what lets readers and one writer in other processes work at once. An
	 * in-memory database has no file to share and stays in "memory" mode. */
	if (!in_memory && (rc = set_wal(s, err)) != 0)
		return rc;
	/* In WAL mode, NORMAL syncs at checkpoints instead of every commit: a
	 * crash or kill -9 of tranche loses nothing committed (the WAL is in the
	 * OS), only a power cut may lose the last transactions — which then
	 * describe partitions as they were before, never half-written ones. It
	 * turns a backfill's thousands of commits from fsyncs into writes. */
	if ((rc = sqlite3_exec(s->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL)) != SQLITE_OK)
		return db_error(s, rc, err);
	return exec_cached(s, STMT_FOREIGN_KEYS_ON, err);
}

/*
 * Sets *version to the database's schema version, after checking the file is
 * tranche's (or empty) and not from a newer tranche.
 */
static int check_identity(struct sqlite_storage *s, int *version, tr_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int application_id = 0, user_version = 0, objects = 0, rc = 0;

	if ((rc = stmt_get(s, STMT_IDENTITY, &stmt, err)) != 0)
		return rc;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		application_id = sqlite3_column_int(stmt, 0);
		user_version = sqlite3_column_int(stmt, 1);
		objects = sqlite3_column_int(stmt, 2);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? tr_error_set(err, TR_EINTERNAL, "no schema identity row")
				       : db_error(s, rc, err);
	}
	sqlite3_reset(stmt);
	if (rc)
		return rc;
	if (application_id == APPLICATION_ID) {
		if (user_version > SCHEMA_LATEST)
			return tr_error_set(err, TR_EIO,
					    "its schema version %d was written by a newer tranche "
					    "(this build knows versions up to %d); use that tranche "
					    "or a newer one with this database",
					    user_version, SCHEMA_LATEST);
		*version = user_version;
		return 0;
	}
	if (application_id == 0 && user_version == 0 && objects == 0) {
		*version = 0; /* a new, empty file */
		return 0;
	}
	return tr_error_set(err, TR_EIO,
			    "not a tranche instance database (it has %d schema objects, "
			    "application_id %d, user_version %d); give a new path or one that "
			    "tranche created",
			    objects, application_id, user_version);
}

/*
 * Applies the pending migrations, all in one transaction. The version is
 * read again under the write lock: another process may have just migrated.
 */
static int migrate(struct sqlite_storage *s, tr_error *err)
{
	char pragmas[96];
	int version = 0, rc = 0, i = 0;

	for (i = 0; i < SCHEMA_LATEST; i++)
		if (migrations[i].version != i + 1)
			return tr_error_set(err, TR_EINTERNAL,
					    "migration table: row %d has version %d, expected %d", i,
					    migrations[i].version, i + 1);
	if ((rc = check_identity(s, &version, err)) != 0 || version == SCHEMA_LATEST)
		return rc;
	if ((rc = txn_begin(s, err)) != 0)
		goto out;
	if ((rc = check_identity(s, &version, err)) != 0)
		goto out;
	for (i = version; i < SCHEMA_LATEST; i++) {
		rc = sqlite3_exec(s->db, migrations[i].sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			rc = db_error(s, rc, err);
			tr_error_prefix(err, "schema migration %d", migrations[i].version);
			goto out;
		}
	}
	/* PRAGMAs take no bound parameters; these are this file's constants. */
	snprintf(pragmas, sizeof(pragmas), "PRAGMA application_id = %d; PRAGMA user_version = %d;",
		 APPLICATION_ID, SCHEMA_LATEST);
	rc = sqlite3_exec(s->db, pragmas, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = db_error(s, rc, err);
		goto out;
	}
	rc = txn_commit(s, err);
out:
	if (rc)
		txn_abort(s);
	return rc;
}

/*
 * location is the text after "sqlite:" (or a bare path). "sqlite:///abs" is
 * taken as "/abs", as in other tools' sqlite URLs; "sqlite://host/..." is refused.
 */
int tr_storage_sqlite_open(const char *url, const char *location, tr_storage **out,
			   tr_error *err)
{
	struct sqlite_storage *s = NULL;
	int in_memory = 0, rc = 0;

	*out = NULL;
	if (strncmp(location, "///", 3) == 0)
		location += 2;
	else if (strncmp(location, "//", 2) == 0)
		return tr_error_set(err, TR_EINVAL,
				    "instance storage URL \"%s\": sqlite: takes a file path, not a "
				    "host; write sqlite:relative/file.db or sqlite:/absolute/file.db",
				    url);
	if (!*location)
		return tr_error_set(err, TR_EINVAL,
				    "instance storage URL \"%s\": no path after \"sqlite:\"; "
				    "write sqlite:PATH, e.g. sqlite:.tranche/instance.db",
				    url);
	in_memory = strcmp(location, ":memory:") == 0;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(location))) {
		free(s);
		return tr_error_set(err, TR_ENOMEM, "out of memory opening \"%s\"", url);
	}
	s->base.ops = &sqlite_ops;
	if (!in_memory && (rc = tr_mkdir_parents(s->path, err)) != 0)
		goto out;
	if ((rc = db_connect(s, in_memory, err)) != 0)
		goto out;
	rc = migrate(s, err);
out:
	if (rc) {
		tr_error_prefix(err, "%s: opening instance database", s->path);
		sqlite_close(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}
