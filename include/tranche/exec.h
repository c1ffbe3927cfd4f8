/*
 * tranche/exec.h — planning and running materializations, and the state of
 * an asset's partitions (which are materialized, failed, in progress, missing).
 *
 * One run: the selection and partition pick are resolved against the project
 * (unknown assets or keys: TR_EINVAL/TR_ENOTFOUND, nothing runs, nothing is
 * recorded), turned into steps — one per asset partition, or one per
 * unpartitioned asset — in dependency order, and executed. Each step writes
 * its partition atomically through the warehouse and records events (and so
 * the partition's status) in instance storage. A failed step writes nothing;
 * steps downstream of it (through the partition mappings) are skipped, other
 * steps go on.
 *
 * Relative paths (SQL reading 'data/x.csv', command outputs) resolve against
 * the current directory: callers run with the project's directory as cwd.
 * Times: `now` is Unix seconds (TRANCHE_NOW in tests).
 */
#ifndef TRANCHE_EXEC_H
#define TRANCHE_EXEC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "tranche/buf.h"
#include "tranche/error.h"
#include "tranche/json.h"
#include "tranche/keyset.h"
#include "tranche/partitions.h"
#include "tranche/project.h"
#include "tranche/storage.h"
#include "tranche/warehouse.h"

/* ---- partitions of an asset and their state ------------------------------ */

/*
 * Resolves the partitions of asset i at `now`, dynamic keys read from st.
 * Unpartitioned assets give *out = NULL and 0.
 */
int tr_asset_partitions(const tr_project *p, tr_storage *st, size_t i, int64_t now,
			tr_partitions **out, tr_error *err);

typedef struct tr_asset_state {
	int64_t total; /* partitions that exist now (1 for an unpartitioned asset) */
	tr_keyset materialized, failed, in_progress, missing; /* disjoint; union = all */
	/* Within materialized: a partition it reads (through a dependency's mapping)
	   was materialized after it (docs/assets.md, "Stale partitions"). */
	tr_keyset stale;
} tr_asset_state;

/* The state of every partition of asset i (parts: from tr_asset_partitions,
   NULL for unpartitioned). Status of keys that no longer exist is ignored. */
int tr_asset_state_get(const tr_project *p, tr_storage *st, size_t i, const tr_partitions *parts,
		       tr_asset_state *out, tr_error *err);
void tr_asset_state_release(tr_asset_state *s);

/* ---- the parameters of one partition ------------------------------------- */

/*
 * The bound parameters and the slice predicate of asset i's partition `index`
 * (parts NULL: unpartitioned: no parameters, slice NULL). Parameters:
 *   partition_key, partition_keys (a list of the one key)
 *   time: partition_start, partition_end (TIMESTAMP, wall clock in the zone)
 *   multi: partition_key_<dim> per dimension; for the time dimension also
 *          partition_start_<dim>, partition_end_<dim> and partition_start/end.
 * The slice ANDs one predicate per partition_expr:
 *   time: (expr) >= $partition_start AND (expr) < $partition_end
 *   else: (expr) = $partition_key      (multi: the _<dim> parameters)
 * Everything lives in `a` until tr_partition_params_release.
 */
typedef struct tr_partition_params {
	tr_param params[48];
	size_t n;
	char *slice; /* NULL when unpartitioned or no partition_expr */
	char *key;   /* the partition key, "" for unpartitioned, "FIRST...LAST" for a range */
	int64_t first, n_keys, stride; /* the step's partitions: first + k * stride, k < n_keys */
	int64_t start, end; /* the time window as instants, when there is one */
	int has_window;
	void *owned; /* strings behind params */
} tr_partition_params;

/*
 * The zone in which asset a's slice bounds are wall-clock times: the zone of
 * its time partitions (a multi definition's time dimension), else "UTC". Set
 * it on a warehouse connection (tr_wconn_set_timezone) before running SQL
 * with the asset's partition parameters, so that TIMESTAMPTZ columns compare
 * in it whatever the machine's TZ.
 */
const char *tr_asset_timezone(const tr_asset *a);

int tr_partition_params_make(const tr_project *p, size_t i, const tr_partitions *parts,
			     int64_t index, tr_partition_params *out, tr_error *err);
/*
 * The same for a step over n_keys > 1 partitions first + k*stride (contiguous
 * along the definition's run dimension, see tr_partitions_run_dimension):
 * partition_keys lists them all and partition_key is not bound;
 * partition_start/end span from the first window's start to the last's end.
 * Multi: the run dimension gets partition_keys_<dim> (and its span when time),
 * the others partition_key_<dim>. The slice of a non-time spanning dimension
 * is list_contains($partition_keys..., (expr)).
 */
int tr_partition_params_make_range(const tr_project *p, size_t i, const tr_partitions *parts,
				   int64_t first, int64_t n_keys, int64_t stride,
				   tr_partition_params *out, tr_error *err);
void tr_partition_params_release(tr_partition_params *pp);

/*
 * The dimension along which a backfill policy groups the keys of a multi
 * definition — its time dimension, else its last — and that dimension's
 * stride in partition indexes (parts may be NULL: stride 1). Other
 * definitions: dimension 0, stride 1.
 */
int tr_partitions_run_dimension(const tr_partdef *def, size_t *dim, int64_t *stride,
				const tr_partitions *parts);

/* ---- runs ---------------------------------------------------------------- */

typedef enum {
	TR_PICK_NONE = 0,  /* unpartitioned assets only; a partitioned asset is an error */
	TR_PICK_KEYS,      /* keys (each may be "FIRST...LAST") */
	TR_PICK_RANGE,     /* from .. to inclusive */
	TR_PICK_MISSING,   /* partitions never materialized (failed ones included) */
	TR_PICK_FAILED,    /* partitions whose latest attempt failed */
	TR_PICK_ALL,
	/* stale partitions (tr_asset_state), and the materialized ones that will be
	   once the upstream partitions this run picks are materialized */
	TR_PICK_STALE,
	TR_PICK_MISSING_STALE, /* TR_PICK_MISSING and TR_PICK_STALE together */
} tr_pick;

typedef struct tr_progress {
	size_t total, done, failed, skipped; /* steps */
	const char *asset;     /* the step that just started or ended */
	const char *partition; /* "" for unpartitioned */
	int64_t elapsed_ms;
	int ended; /* 0: the step started, 1: it ended */
	int ok;    /* ended: 1 success, 0 failed/skipped */
	const char *error; /* ended and failed: why */
	int64_t partitions_total, partitions_done, partitions_failed, partitions_skipped;
	size_t running;             /* steps running now */
	const char *running_assets; /* their assets, "a, b" (at most a few, then "…") */
	int retrying;               /* ended: 1 when the step failed and will be tried again */
	/*
	 * Not a step's start or end (asset and partition are NULL): nothing runs
	 * and the next step waits for a pool's rate. waiting says which
	 * ("pool alphavantage (5/minute, 25/day)"), until when (Unix ms).
	 */
	const char *waiting;
	int64_t waiting_until_ms;
} tr_progress;

typedef enum {
	TR_BACKFILL_AUTO = 0, /* a backfill when more than one partition of partitioned assets is requested */
	TR_BACKFILL_ALWAYS,
	TR_BACKFILL_NEVER,
} tr_backfill_mode;

typedef struct tr_run_request {
	const char *selection;
	tr_pick pick;
	const char *const *keys; /* TR_PICK_KEYS */
	size_t n_keys;
	const char *from, *to; /* TR_PICK_RANGE */
	int dry_run;           /* plan only: the plan goes to plan_out, nothing is written */
	tr_buf *plan_out;
	int64_t now;             /* Unix seconds */
	const char *launched_by; /* "cli (user@host)" */
	void (*on_progress)(void *ctx, const tr_progress *pr);
	void *ctx;
	volatile sig_atomic_t *cancel; /* non-zero: stop (checked often; running SQL is interrupted) */
	int jobs;                  /* steps run at once; 0: the number of cores */
	tr_backfill_mode backfill; /* whether to record the request as a backfill */
	int64_t resume;            /* a backfill id: run what of it did not succeed; selection
				      and pick come from the backfill (req's are ignored) */
	/*
	 * Called once on the calling thread (ctx as for on_progress) when the
	 * run, and its backfill if any, are recorded, before any step starts:
	 * for callers that run tr_materialize on a thread of their own and hand
	 * out the ids at once (tranche serve). Not called for a dry run, for a
	 * request with nothing to do, or when the request is refused. May be NULL.
	 */
	void (*on_start)(void *ctx, int64_t run_id, int64_t backfill_id);
} tr_run_request;

/* One asset of a plan (dry run or not). */
typedef struct tr_plan_asset {
	const char *asset;   /* the project's */
	int64_t partitions;  /* to run (1 for an unpartitioned asset) */
	int64_t steps;       /* steps (runs, in Dagster's words) after the backfill policy */
	char *ranges;        /* the partitions as key ranges, one per line; "" unpartitioned */
	const char *policy;  /* "multi_run" or "single_run" */
	int64_t max_per_step;/* the policy's max partitions per step (0: no limit) */
} tr_plan_asset;

typedef struct tr_run_report {
	int64_t run_id; /* 0 for a dry run or when nothing was to be done */
	int64_t backfill_id; /* the backfill recorded (or resumed), 0: none */
	size_t total, succeeded, failed, skipped; /* steps */
	int64_t partitions_total, partitions_succeeded, partitions_failed, partitions_skipped;
	size_t retries; /* attempts that failed and were tried again */
	tr_plan_asset *plan; /* the selected assets that have work, in dependency order */
	size_t n_plan;
	size_t checks_failed;  /* checks that did not pass (any severity) */
	int canceled;
	char *first_error; /* "asset monthly_sales partition 2024-03-01: ..." or NULL */
} tr_run_report;

/* Frees what the report holds (first_error, plan) and zeroes it. */
void tr_run_report_release(tr_run_report *report);

/* "canceled", "failure" (a step failed or was skipped) or "success". */
const char *tr_run_report_status(const tr_run_report *r);

/*
 * The keys of a run's summary, as `materialize --json` ends and the API's
 * streams send it, into the open object j: type "summary", run_id and
 * backfill_id (null when none), status (as given), steps and partitions
 * {total, succeeded, failed, skipped}, retries, checks_failed, first_error.
 */
void tr_run_report_write_json(const tr_run_report *r, const char *status, tr_json *j);

/*
 * The number of partitions in a stored backfill's range text (one key or
 * "FIRST...LAST" range per line) of a definition: 0 for no text, 1 for an
 * unpartitioned asset's, -1 when not known now (partitioned but parts is
 * NULL, or a key no longer exists).
 */
int64_t tr_backfill_ranges_count(const tr_partitions *parts, int partitioned, const char *text);

/*
 * A stored backfill's keys, into the open object j: id, status, selection,
 * partitions, launched_by, created_at, ended_at (null while it runs) and
 * counts {total, succeeded, failed, skipped} (partitions).
 */
void tr_backfill_write_json(const tr_backfill *b, tr_json *j);
/*
 * The key "resume" and its value into the open object j: null when the
 * backfill is done, {"error"} when planning its resume failed (error), else
 * what a resume would run: {"partitions", "steps", "assets": [{"asset",
 * "partitions", "steps"}]} from the dry-run plan.
 */
void tr_backfill_resume_write_json(int done, const char *error, const tr_run_report *plan,
				   tr_json *j);

/*
 * Plans and runs req against project p. Returns 0 when the run was carried out
 * (even if steps failed: see report), or an error when the request was refused
 * (nothing recorded, nothing written). report is always filled (free
 * report->first_error).
 */
int tr_materialize(const tr_project *p, tr_storage *st, tr_warehouse *wh,
		   const tr_run_request *req, tr_run_report *report, tr_error *err);

/* ---- adopting a table that already has history (adopt.c) ----------------- */

/* Why rows of the table fall in no partition. */
typedef enum {
	TR_ADOPT_BEFORE_START = 0, /* a time value before the first partition's window */
	TR_ADOPT_AFTER_LAST,       /* a time value after the last partition that exists now */
	TR_ADOPT_NOT_A_KEY,        /* a static/dynamic value that is not a key of the definition */
	TR_ADOPT_NULL,             /* the partition_expr is NULL */
	TR_ADOPT_REASONS
} tr_adopt_reason;

#define TR_ADOPT_EXAMPLES 5

/* Rows outside every partition for one reason (and, multi, one dimension). */
typedef struct tr_adopt_outside {
	tr_adopt_reason reason;
	const char *dimension; /* multi: the dimension's name (the definition's); else NULL */
	size_t dim_index;      /* multi: the dimension's index; else 0 */
	int64_t rows;
	char *examples[TR_ADOPT_EXAMPLES]; /* distinct values as DuckDB renders them */
	size_t n_examples;
} tr_adopt_outside;

/* A contiguous run of adopted partitions. */
typedef struct tr_adopt_range {
	char *keys; /* "FIRST...LAST" or "KEY" (tr_partitions_keyset_to_ranges' notation) */
	int64_t partitions, rows;
} tr_adopt_range;

typedef struct tr_adopt_report {
	const char *asset, *table; /* the project's */
	int partitioned;
	int table_exists; /* 0: nothing was read (and nothing is to adopt) */
	int64_t table_rows;
	/* partitions with rows and no status yet: to record (recorded, after tr_adopt_record) */
	tr_keyset adopt;
	int64_t adopt_rows;
	tr_adopt_range *ranges; /* adopt as ranges, with their rows */
	size_t n_ranges;
	/* partitions with rows that already have a status: left as they are */
	int64_t kept_materialized, kept_failed, kept_in_progress;
	tr_adopt_outside *outside; /* by reason, then dimension */
	size_t n_outside;
	int64_t outside_rows;
	int64_t recorded; /* events written by tr_adopt_record */
	/* internal: the partitions scanned against, and rows per partition */
	tr_partitions *parts;
	int64_t *index_rows; /* parallel to the indexes of `adopt`, in order */
} tr_adopt_report;

/*
 * Reads which partitions asset i's table already holds, without writing
 * anything: one `SELECT expr..., count(*) ... GROUP BY` over the table
 * through the asset's partition_expr (one per dimension, grouped together),
 * each value mapped to the partition it falls in — time: the partition whose
 * window holds it, compared as the load's slice compares (DATE, TIMESTAMP,
 * TIMESTAMPTZ are read as wall clock in the definition's timezone, at minute
 * resolution: every window starts on a minute); static and dynamic: key
 * equality on the value as text. Partitions that have a status in st are
 * counted as kept, the others go to out->adopt. An unpartitioned asset has
 * one "partition" (index 0): its table, when it exists.
 *
 * now decides which partitions exist (Unix seconds); dynamic keys come from st.
 * Errors: TR_EINVAL for a partitioned asset without partition_expr or SQL
 * DuckDB refuses (the expression names no column); TR_ENOTFOUND "nothing to
 * adopt: table X does not exist". out is filled on success (release with
 * tr_adopt_report_release; also after an error).
 */
int tr_adopt_scan(const tr_project *p, tr_storage *st, tr_warehouse *wh, size_t i, int64_t now,
		  tr_adopt_report *out, tr_error *err);
/*
 * Records r's partitions as materialized — an observation, not a run: no run
 * row, one "materialization" event per partition with run_id 0, message
 * "adopted: N rows already in table T" and data {"adopted": true,
 * "row_count": N}, all in one transaction. Partitions that got a status since
 * the scan (st may be another handle on the same store) are left as they are
 * and counted as kept. r->recorded is the number of events written.
 */
int tr_adopt_record(const tr_project *p, tr_storage *st, size_t i, tr_adopt_report *r,
		    tr_error *err);
void tr_adopt_report_release(tr_adopt_report *r);

/* ---- explaining an asset and one partition of it (explain.c) ------------- */

/*
 * Appends to out what asset i is and what a run of one partition does, for a
 * newcomer: the asset (kind, table, group, deps), its partitions definition in
 * words (tr_partitions_explain), and — for partition `key` (NULL: the last
 * one that exists) — its window in the zone and in UTC, every parameter the
 * SQL sees (name, type, value; for command assets the TRANCHE_* environment),
 * the upstream partitions each dependency reads through its mapping, its
 * status and last materialization, and the SQL of its load. json: the same as
 * one JSON object on one line (see docs/cli.md). A key that is not a
 * partition: the error materialize gives (TR_EINVAL or TR_ERANGE).
 */
int tr_explain_asset(const tr_project *p, tr_storage *st, size_t i, int64_t now, const char *key,
		     int json, tr_buf *out, tr_error *err);

#endif
