/*
 * tranche/storage.h — instance storage: where tranche keeps its own history:
 * runs and their steps, the event log, the latest status of every asset
 * partition and check, and dynamic partition keys.
 *
 * A store is chosen by URL and reached through one opaque handle, whatever the
 * backend. Backends in this build: SQLite ("sqlite:PATH" or a bare file path).
 * PostgreSQL ("postgres://...") is planned and refused for now.
 *
 * Threads and processes: a tr_storage handle is used by one thread at a time
 * (it caches prepared statements and has no lock of its own). Several handles —
 * in one process or in several — may use the same database at once: writes
 * are serialized by the database and wait up to 5 seconds for one another,
 * readers never wait for writers and always see whole transactions.
 *
 * Errors: every function returns 0 or a negative TR_E* code and fills err (may
 * be NULL) with a message naming the URL or database path. TR_EINVAL: a bad
 * argument or URL, nothing was touched. TR_EIO: the database could not be
 * opened, read or written (the message carries SQLite's); a failed write
 * changed nothing. TR_ENOMEM: out of memory.
 *
 * Ownership: strings passed in are only read during the call. String vectors
 * handed out (char **) belong to the caller, who frees them with tr_strv_free.
 */
#ifndef TRANCHE_STORAGE_H
#define TRANCHE_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "tranche/error.h"

typedef struct tr_storage tr_storage;

/*
 * Opens (creating if needed) the instance storage at url and brings its schema
 * up to date. url is "sqlite:PATH" or a bare PATH (no "scheme:" prefix); a
 * relative PATH is relative to the current directory; "sqlite::memory:" is a
 * private in-memory store. Missing parent directories are created. Pending
 * schema migrations run in one transaction: the database is left either at its
 * old version or at the newest, never between.
 *
 * Refused: an empty url, an unknown scheme, "postgres://" (not in this build)
 * — all TR_EINVAL, passwords in the url are not repeated in messages; a file
 * that is not a tranche instance database, or one whose schema was written by
 * a newer tranche — TR_EIO. On success *out is a new handle for
 * tr_storage_close; on failure *out is NULL.
 */
int tr_storage_open(const char *url, tr_storage **out, tr_error *err);

/* Closes the handle and frees it; NULL is allowed. */
void tr_storage_close(tr_storage *st);

/* The schema version of the open database (1 and up; grows as migrations are added). */
int tr_storage_schema_version(tr_storage *st, int *version, tr_error *err);

/*
 * Dynamic partitions: named, ordered sets of partition keys added at run time.
 *
 * A key's place is fixed when it is added: keys list in order of addition,
 * re-adding a present key keeps its place, and a key deleted then added again
 * goes to the end. Names and keys are arbitrary non-empty strings (the
 * partitions module checks key syntax before calling). Each add or delete is
 * one transaction: all of keys or none. Both are idempotent; *changed (changed
 * may be NULL) is how many keys were actually added or deleted (a key given
 * twice counts once). key_count 0 is a no-op and keys may then be NULL.
 * TR_EINVAL for a NULL or empty name, or a NULL or empty key (nothing is written).
 */
int tr_storage_dynamic_add(tr_storage *st, const char *name, const char *const *keys,
			   size_t key_count, size_t *changed, tr_error *err);
int tr_storage_dynamic_delete(tr_storage *st, const char *name, const char *const *keys,
			      size_t key_count, size_t *changed, tr_error *err);

/*
 * The keys of set `name`, in order, as a new vector of *key_count strings
 * (the caller frees it with tr_strv_free). A name with no keys gives
 * *keys = NULL, *key_count = 0: not an error. On error, the same.
 */
int tr_storage_dynamic_keys(tr_storage *st, const char *name, char ***keys, size_t *key_count,
			    tr_error *err);

/*
 * The names of all sets that have at least one key, sorted bytewise, as a new
 * vector (the caller frees it with tr_strv_free); NULL and 0 when there are none.
 */
int tr_storage_dynamic_names(tr_storage *st, char ***names, size_t *name_count, tr_error *err);

/* ---- runs ------------------------------------------------------------------
 *
 * A run is one execution of a plan. Ids are integers, increasing (1, 2, ...).
 * Statuses: "started", "success", "failure", "canceled".
 * Times are Unix milliseconds.
 */
typedef struct tr_run {
	int64_t id;
	char *status;
	char *selection;   /* as the user wrote it: "monthly_sales+" */
	char *partitions;  /* the partition selection: "2024-03", "--missing", "2024-01...2024-06", "" */
	char *launched_by; /* "cli (user@host)" */
	char *host;
	int64_t pid;
	int64_t created_at, ended_at; /* ended_at 0 while running */
	int64_t steps_total, steps_succeeded, steps_failed, steps_skipped;
	char *error; /* the first failure's message, or NULL */
	int64_t backfill_id; /* the backfill the run belongs to, 0: none */
} tr_run;

void tr_run_release(tr_run *r);
void tr_runs_free(tr_run *runs, size_t n);

/*
 * Records a new run with status "started" from r's selection, partitions,
 * launched_by, host, pid, created_at and steps_total; *id is its new id (0 on
 * error). Ids are never reused. A NULL string is stored as ""; host NULL or ""
 * means this machine (gethostname), pid 0 this process. When host is this
 * machine, the process's start is recorded too, so that runs_reap can tell it
 * from a later process given the same pid. TR_EINVAL: r NULL, pid or
 * steps_total negative.
 */
int tr_storage_run_create(tr_storage *st, const tr_run *r, int64_t *id, tr_error *err);
/*
 * Ends run id with status ("success", "failure", "canceled"), ended_at, the
 * four step counters (steps_total too) and error (may be NULL) taken from r;
 * other fields of r are ignored. Partitions the run left "in_progress" go
 * back to the status they had before it started (their row goes if they had
 * none), in the same transaction. Finishing a run again overwrites its end.
 * TR_EINVAL: another status (the message lists the valid ones), a negative
 * counter; TR_ENOTFOUND: no such run. Nothing is written on error.
 */
int tr_storage_run_finish(tr_storage *st, int64_t id, const tr_run *r, tr_error *err);
/* The run id into *out (release with tr_run_release); TR_ENOTFOUND naming it.
   *out is zeroed first, and stays so on error. */
int tr_storage_run_get(tr_storage *st, int64_t id, tr_run *out, tr_error *err);
/* The newest `limit` runs (0: all), newest first, as a new array of *n runs
   (free with tr_runs_free); NULL and 0 when there are none. */
int tr_storage_runs_list(tr_storage *st, size_t limit, tr_run **out, size_t *n, tr_error *err);
/*
 * Runs still "started" whose process is gone (same host, pid not alive, or pid
 * reused by a process that started later) are ended as "failure" with error
 * "the tranche process (pid N) ended without finishing the run" and ended_at
 * now_ms, and their in-progress partitions restored, in one transaction.
 * Runs of other hosts are left alone (their processes cannot be seen), and so
 * are started runs whose process is alive. *reaped (may be NULL) counts them.
 * Cheap when there is nothing to reap: it takes no write lock then.
 */
int tr_storage_runs_reap(tr_storage *st, int64_t now_ms, size_t *reaped, tr_error *err);

/* ---- events and partition status ------------------------------------------
 *
 * Event types and their effect on an asset partition's status, applied in the
 * same transaction as the event is written:
 *   "step_start"       -> in_progress (the previous status is remembered)
 *   "materialization"  -> materialized
 *   "step_failure"     -> failed
 *   "wipe"             -> the partition's status row is removed (missing)
 *   "check"            -> the check's latest result (data: {"passed":..,"severity":..})
 *   "run_start", "run_success", "run_failure", "run_canceled", "step_success",
 *   "step_skipped", "log" -> no status change
 * partition is "" for an unpartitioned asset and NULL for events of no asset.
 * data is a JSON object as text (may be NULL): metadata of a materialization,
 * a check's result, a log line's level.
 */
typedef struct tr_event {
	int64_t id;  /* ignored by events_add: storage numbers events (increasing, never reused) */
	int64_t run_id; /* 0: no run (wipe) */
	int64_t ts;  /* Unix ms */
	const char *type;
	const char *asset;
	const char *partition;
	const char *check;   /* "check" events: the check's name */
	const char *message; /* human text: the error of a failure, a log line */
	const char *data;    /* JSON object text or NULL */
} tr_event;

/* An event read back: the same fields, owned (free an array of them with tr_event_recs_free). */
typedef struct tr_event_rec {
	int64_t id, run_id, ts;
	char *type, *asset, *partition, *check, *message, *data;
} tr_event_rec;
void tr_event_rec_release(tr_event_rec *ev);               /* frees the fields */
void tr_event_recs_free(tr_event_rec *evs, size_t n);     /* releases each and frees the array */

/*
 * Appends n events in one transaction (all or none), applying their status
 * effects; n 0 is a no-op. Refused with TR_EINVAL, nothing written: an
 * unknown type (the message lists the valid ones), an empty asset name, a
 * partition without an asset, a negative run_id; for the five types with an
 * effect, a NULL asset or partition; a step_start with run_id 0; a check
 * event without check name or data; data that is not a JSON object, or for a
 * check without "passed": true|false or with a severity other than "warn" or
 * "error" ("error" when absent). TR_ENOTFOUND: run_id names no run.
 * The message names the event by its index in evs.
 */
int tr_storage_events_add(tr_storage *st, const tr_event *evs, size_t n, tr_error *err);
/*
 * (Also "step_retry": a failed attempt that will be tried again; no status change.)
 *
 * Events of run_id (0: of every run), with id > after_id, oldest first, at most
 * limit (0: all); asset may be NULL (all) to filter, never "". A new array of
 * *n events (free with tr_event_recs_free); NULL and 0 when there are none.
 * Each filter reads through an index: paging with after_id is cheap.
 */
int tr_storage_events_list(tr_storage *st, int64_t run_id, const char *asset, int64_t after_id,
			   size_t limit, tr_event_rec **out, size_t *n, tr_error *err);
/*
 * Events newest first: of asset (NULL: every event, then partition must be
 * NULL), of partition (NULL: any; "" the unpartitioned asset's), of type
 * (NULL: any), with id < before_id (0: no bound), at most limit (0: all).
 * For pages of an asset's latest materializations, a run list's newest
 * event id (asset NULL, limit 1). Reads the asset's events backwards through
 * an index; a partition or type filter is applied to what it reads, so a
 * rare one costs a scan of the asset's history. Output as events_list.
 */
int tr_storage_events_latest(tr_storage *st, const char *asset, const char *partition,
			     const char *type, int64_t before_id, size_t limit, tr_event_rec **out,
			     size_t *n, tr_error *err);

/* The latest status of one asset partition. */
typedef struct tr_pstatus {
	char *partition;
	char *status; /* "materialized", "failed", "in_progress" */
	int64_t run_id;
	int64_t updated_at;      /* ms */
	int64_t materialized_at; /* last successful materialization, 0 if never */
	int64_t event_id;        /* the event that set the status */
	int64_t materialization_id; /* the event of materialized_at, 0 if never: event ids
				       grow in commit order, so they order materializations */
} tr_pstatus;
void tr_pstatus_free(tr_pstatus *rows, size_t n);

/* Every status row of asset, sorted by partition bytewise, as a new array (free
   with tr_pstatus_free); NULL and 0 when there are none. Never scans events.
   A partition with no row is missing: never materialized, or wiped. */
int tr_storage_partition_status(tr_storage *st, const char *asset, tr_pstatus **out, size_t *n,
				tr_error *err);
/* Counts of asset's status rows by status (a cheap summary for listings).
   The three outputs must be non-NULL; they are 0 on error. */
int tr_storage_status_counts(tr_storage *st, const char *asset, int64_t *materialized,
			     int64_t *failed, int64_t *in_progress, tr_error *err);
/* The latest "materialization" event of asset/partition into *out (release with
   tr_event_rec_release); TR_ENOTFOUND if none since the partition was last
   wiped. Two primary-key lookups, through the status row. */
int tr_storage_last_materialization(tr_storage *st, const char *asset, const char *partition,
				    tr_event_rec *out, tr_error *err);

/* The latest result of each check of an asset (asset NULL: every asset), per partition,
   sorted by asset, check, partition; a new array (free with tr_check_status_free),
   NULL and 0 when there are none. A wipe of a partition removes its rows. */
typedef struct tr_check_status {
	char *asset, *check, *partition;
	int passed;
	char *severity; /* "warn" | "error" */
	char *message;
	int64_t run_id, ts;
} tr_check_status;
void tr_check_status_free(tr_check_status *rows, size_t n);
int tr_storage_check_status(tr_storage *st, const char *asset, tr_check_status **out, size_t *n,
			    tr_error *err);

/* ---- backfills ------------------------------------------------------------
 *
 * A backfill is a request over many asset partitions, kept so that it can be
 * watched, resumed and canceled: the selection, the partitions requested of
 * each asset (as key ranges, see tr_partitions_keyset_to_ranges) and the
 * outcome of each partition so far. Each execution of it is a run whose
 * backfill_id names it (the first, then one per resume).
 *
 * Statuses: "requested" (recorded, no run yet), "running", "completed" (every
 * requested partition succeeded), "failed" (some failed or were skipped, or
 * the process died: resumable), "canceling" (cancel asked while a process runs
 * it; that process stops soon), "canceled" (resumable too).
 */
typedef struct tr_backfill {
	int64_t id;
	char *status;
	char *selection;
	char *partitions;  /* the partition pick as text, as on tr_run */
	char *launched_by;
	int64_t created_at, ended_at; /* Unix ms; ended_at 0 while not ended */
	int64_t partitions_total; /* asset partitions requested (an unpartitioned asset counts 1) */
	int64_t partitions_succeeded, partitions_failed, partitions_skipped;
	int64_t last_run_id; /* the newest run of the backfill, 0: none */
	char *error;         /* the first failure's message of the latest run, or NULL */
} tr_backfill;

/* One asset of a backfill: what was requested and what became of it. The
   four texts are key ranges, one per line ("" for none; an unpartitioned
   asset uses the single key ""). */
typedef struct tr_backfill_asset {
	char *asset;
	int partitioned;
	int64_t n_requested;
	char *requested;
	char *succeeded, *failed, *skipped; /* as of the last update */
} tr_backfill_asset;

void tr_backfill_release(tr_backfill *b);
void tr_backfills_free(tr_backfill *bs, size_t n);
void tr_backfill_assets_free(tr_backfill_asset *as, size_t n);

/* Records a new backfill ("requested", counters 0 except partitions_total)
   with its assets' requested ranges (succeeded/failed/skipped ignored);
   *id its new id. One transaction. TR_EINVAL: no assets, an asset without
   name. */
int tr_storage_backfill_create(tr_storage *st, const tr_backfill *b, const tr_backfill_asset *assets,
			       size_t n_assets, int64_t *id, tr_error *err);
/* Backfill id into *out and (when assets is not NULL) its assets, in the order
   they were given. TR_ENOTFOUND naming the id (and `tranche backfills`). */
int tr_storage_backfill_get(tr_storage *st, int64_t id, tr_backfill *out,
			    tr_backfill_asset **assets, size_t *n_assets, tr_error *err);
/* The newest `limit` backfills (0: all), newest first; NULL and 0 when none. */
int tr_storage_backfills_list(tr_storage *st, size_t limit, tr_backfill **out, size_t *n,
			      tr_error *err);
/*
 * Updates backfill id from b: status, ended_at, the three counters,
 * last_run_id and error (other fields ignored); and, when n_assets > 0, the
 * succeeded/failed/skipped ranges of the named assets. One transaction.
 * A backfill that is "canceling" stays so unless b->status is "canceled",
 * "completed" or "failed" (a run that ends). TR_EINVAL: an unknown status.
 */
int tr_storage_backfill_update(tr_storage *st, int64_t id, const tr_backfill *b,
			       const tr_backfill_asset *assets, size_t n_assets, tr_error *err);
/*
 * Asks backfill id to stop: "running" with a live run becomes "canceling"
 * (the process running it sees that and stops); "requested", "failed", or
 * "running" whose process is gone becomes "canceled" at once. *status (may be
 * NULL) is the new status (the caller frees it). Already "completed" or
 * "canceled": TR_EINVAL saying so, nothing written.
 */
int tr_storage_backfill_cancel(tr_storage *st, int64_t id, char **status, tr_error *err);
/* The status of backfill id into *status (caller frees); a cheap poll. */
int tr_storage_backfill_status(tr_storage *st, int64_t id, char **status, tr_error *err);
/* Ids of the runs of backfill id, oldest first, as a new array (caller frees). */
int tr_storage_backfill_runs(tr_storage *st, int64_t id, int64_t **run_ids, size_t *n,
			     tr_error *err);

/* ---- the partition status summary -------------------------------------------
 *
 * Status questions over a million partitions cannot read a million rows. The
 * exec layer keeps, per asset, an opaque summary (its key sets by status,
 * encoded) tagged with `tag` (which partitions definition it indexes), and
 * the storage tells what changed since: every change to an asset's status rows
 * (set, restored, or removed by a wipe) gets a new value of one increasing
 * sequence, and status_changes lists rows changed after a given value.
 */
/* The summary of asset stored with tag, into *blob (caller frees; NULL and 0
   when none or stored with another tag) and the sequence it is current to.
   asset is the cache's key: an asset name, or a key derived from one that no
   asset can have ("stale:NAME"). */
int tr_storage_summary_get(tr_storage *st, const char *asset, const char *tag, void **blob,
			   size_t *len, int64_t *seq, tr_error *err);
/* Stores (replaces) the summary of asset, current to seq. */
int tr_storage_summary_put(tr_storage *st, const char *asset, const char *tag, const void *blob,
			   size_t len, int64_t seq, tr_error *err);
/*
 * A read snapshot: between tr_storage_read_begin and tr_storage_read_end every
 * read of st sees the storage as it was at the first read, whatever other
 * writers commit meanwhile (answers that combine several reads — the state of
 * an asset and of its upstream assets — stay consistent). Nothing may be
 * written through st in between. A begin inside a snapshot, or inside a write
 * transaction of st, is a no-op, and so is its end.
 */
int tr_storage_read_begin(tr_storage *st, tr_error *err);
void tr_storage_read_end(tr_storage *st);
/* Status rows of asset changed after seq, as tr_pstatus (status NULL: the row
   was removed: the partition is missing), sorted by partition; *now_seq is the
   sequence they bring the asset to. */
int tr_storage_status_changes(tr_storage *st, const char *asset, int64_t seq, tr_pstatus **out,
			      size_t *n, int64_t *now_seq, tr_error *err);

/*
 * Pool starts: the rates of a pool (`rate: [5/minute, 25/day]`) count the
 * steps started by every run, so the executor records each start of a step of
 * a pool with rates, and reads the recent ones when a run begins.
 * tr_storage_pool_start records one start at ts (Unix ms) and forgets the
 * pool's starts before forget_before (older than its longest period).
 * tr_storage_pool_starts gives the latest `limit` starts at or after since,
 * newest first, into *ts (caller frees; NULL when none).
 */
int tr_storage_pool_start(tr_storage *st, const char *pool, int64_t ts, int64_t forget_before,
			  tr_error *err);
int tr_storage_pool_starts(tr_storage *st, const char *pool, int64_t since, size_t limit,
			   int64_t **ts, size_t *n, tr_error *err);

/* Frees a vector of count malloc'd strings and the vector itself; NULL is allowed. */
void tr_strv_free(char **strv, size_t count);

#endif
