/*
 * storage_impl.h — what an instance storage backend implements (internal to src/storage/).
 *
 * A backend defines a struct whose first member is a `struct tr_storage`
 * pointing at its table of operations, and an open function listed in the
 * scheme table in storage.c. The front (storage.c) checks every argument
 * before calling an operation, so a backend may assume: st is its own handle;
 * names are non-empty; keys are non-NULL, non-empty and key_count > 0; output
 * pointers are non-NULL and already set to empty (NULL / 0); changed is
 * non-NULL. A backend sets err on every failure and leaves the store
 * unchanged when a write fails.
 */
#ifndef TRANCHE_STORAGE_IMPL_H
#define TRANCHE_STORAGE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "tranche/error.h"
#include "tranche/storage.h"

struct tr_storage_ops {
	const char *backend; /* "SQLite": for messages */
	void (*close)(tr_storage *st);
	int (*schema_version)(tr_storage *st, int *version, tr_error *err);
	int (*dynamic_add)(tr_storage *st, const char *name, const char *const *keys,
			   size_t key_count, size_t *changed, tr_error *err);
	int (*dynamic_delete)(tr_storage *st, const char *name, const char *const *keys,
			      size_t key_count, size_t *changed, tr_error *err);
	int (*dynamic_keys)(tr_storage *st, const char *name, char ***keys, size_t *key_count,
			    tr_error *err);
	int (*dynamic_names)(tr_storage *st, char ***names, size_t *name_count, tr_error *err);

	/*
	 * Runs. r has been checked and completed by the front: strings non-NULL,
	 * host and pid filled in; process_start is storage_process_start's text
	 * for r->pid, or NULL when unknown; r->backfill_id is 0 (none) or more.
	 * run_finish's r->status is one of success, failure, canceled. runs_reap
	 * gets this machine's host name.
	 */
	int (*run_create)(tr_storage *st, const tr_run *r, const char *process_start, int64_t *id,
			  tr_error *err);
	int (*run_finish)(tr_storage *st, int64_t id, const tr_run *r, tr_error *err);
	int (*run_get)(tr_storage *st, int64_t id, tr_run *out, tr_error *err);
	int (*runs_list)(tr_storage *st, size_t limit, tr_run **out, size_t *n, tr_error *err);
	int (*runs_reap)(tr_storage *st, const char *host, int64_t now_ms, size_t *reaped,
			 tr_error *err);

	/*
	 * Events and status. events_add gets n > 0 events whose type, asset,
	 * partition, check and run_id have been checked against storage_event_effect
	 * (see there); data is not parsed by the front — the backend refuses data
	 * that is not a JSON object, and a check's data without a boolean "passed",
	 * with TR_EINVAL before writing anything.
	 */
	int (*events_add)(tr_storage *st, const tr_event *evs, size_t n, tr_error *err);
	int (*events_list)(tr_storage *st, int64_t run_id, const char *asset, int64_t after_id,
			   size_t limit, tr_event_rec **out, size_t *n, tr_error *err);
	/* asset may be NULL (then partition is NULL too), partition and type NULL: any;
	   before_id 0: no bound. */
	int (*events_latest)(tr_storage *st, const char *asset, const char *partition,
			     const char *type, int64_t before_id, size_t limit, tr_event_rec **out,
			     size_t *n, tr_error *err);
	int (*partition_status)(tr_storage *st, const char *asset, tr_pstatus **out, size_t *n,
				tr_error *err);
	int (*status_counts)(tr_storage *st, const char *asset, int64_t *materialized,
			     int64_t *failed, int64_t *in_progress, tr_error *err);
	int (*last_materialization)(tr_storage *st, const char *asset, const char *partition,
				    tr_event_rec *out, tr_error *err);
	int (*check_status)(tr_storage *st, const char *asset, tr_check_status **out, size_t *n,
			    tr_error *err);

	/*
	 * Backfills. The front has checked statuses, counters and asset names
	 * (non-empty); other strings may be NULL and are stored as "".
	 * backfill_get's assets and n_assets are both NULL or both set.
	 * backfill_cancel gets this machine's host name (to judge the liveness of
	 * the backfill's run as runs_reap does) and the time now; *status is set
	 * only on success.
	 */
	int (*backfill_create)(tr_storage *st, const tr_backfill *b, const tr_backfill_asset *assets,
			       size_t n_assets, int64_t *id, tr_error *err);
	int (*backfill_get)(tr_storage *st, int64_t id, tr_backfill *out,
			    tr_backfill_asset **assets, size_t *n_assets, tr_error *err);
	int (*backfills_list)(tr_storage *st, size_t limit, tr_backfill **out, size_t *n,
			      tr_error *err);
	int (*backfill_update)(tr_storage *st, int64_t id, const tr_backfill *b,
			       const tr_backfill_asset *assets, size_t n_assets, tr_error *err);
	int (*backfill_cancel)(tr_storage *st, int64_t id, const char *host, int64_t now_ms,
			       char **status, tr_error *err);
	int (*backfill_status)(tr_storage *st, int64_t id, char **status, tr_error *err);
	int (*backfill_runs)(tr_storage *st, int64_t id, int64_t **run_ids, size_t *n,
			     tr_error *err);

	/*
	 * The status summary. tag is non-NULL; blob non-NULL when len > 0; seq >= 0.
	 * summary_put is a cache write: a backend may give up quickly (TR_EIO)
	 * when another writer holds the database rather than wait for it.
	 */
	int (*summary_get)(tr_storage *st, const char *asset, const char *tag, void **blob,
			   size_t *len, int64_t *seq, tr_error *err);
	int (*summary_put)(tr_storage *st, const char *asset, const char *tag, const void *blob,
			   size_t len, int64_t seq, tr_error *err);
	int (*status_changes)(tr_storage *st, const char *asset, int64_t seq, tr_pstatus **out,
			      size_t *n, int64_t *now_seq, tr_error *err);
	/* A read snapshot: *began 1 when a transaction was opened (0: already in one). */
	int (*read_begin)(tr_storage *st, int *began, tr_error *err);
	void (*read_end)(tr_storage *st);

	/* Pool starts: pool non-empty; *ts NULL and *n 0 on entry. */
	int (*pool_start)(tr_storage *st, const char *pool, int64_t ts, int64_t forget_before,
			  tr_error *err);
	int (*pool_starts)(tr_storage *st, const char *pool, int64_t since, size_t limit,
			   int64_t **ts, size_t *n, tr_error *err);
};

struct tr_storage {
	const struct tr_storage_ops *ops;
};

/*
 * A backend's open function. url is the caller's URL, for messages (it may
 * hold a password: backends that echo it must redact it); location is what
 * follows "scheme:" (or the whole URL for a bare path). On failure *out is
 * left NULL.
 */
typedef int (*storage_open_fn)(const char *url, const char *location, tr_storage **out,
			       tr_error *err);

/* src/storage/sqlite.c */
int tr_storage_sqlite_open(const char *url, const char *location, tr_storage **out,
			   tr_error *err);

/*
 * A growable vector of malloc'd strings, for backends building the vectors
 * that the API hands out. Start from STORAGE_STRV_INIT; on success hand over
 * items and count to the caller (who frees with tr_strv_free), otherwise
 * storage_strv_release.
 */
struct storage_strv {
	char **items;
	size_t count;
	size_t cap;
};
#define STORAGE_STRV_INIT {NULL, 0, 0}

/* Appends a copy of the len bytes at s (plus a NUL). TR_ENOMEM and err set on failure. */
int storage_strv_add(struct storage_strv *v, const char *s, size_t len, tr_error *err);
void storage_strv_release(struct storage_strv *v);

/*
 * Grows the array *items of *cap elements of elem_size bytes so that it has
 * room for count + 1 (doubling). TR_ENOMEM and err set on failure, *items kept.
 */
int storage_array_reserve(void **items, size_t *cap, size_t count, size_t elem_size,
			  tr_error *err);

/* What an event type does to the status of its asset partition (tranche/storage.h). */
enum storage_effect {
	STORAGE_EFFECT_NONE,         /* run_start, step_success, log, ...: nothing */
	STORAGE_EFFECT_IN_PROGRESS,  /* step_start */
	STORAGE_EFFECT_MATERIALIZED, /* materialization */
	STORAGE_EFFECT_FAILED,       /* step_failure */
	STORAGE_EFFECT_WIPE,         /* wipe: the status row and its checks go */
	STORAGE_EFFECT_CHECK,        /* check: the check's latest result */
};

/*
 * The effect of event type `type`, or -1 for an unknown type. What the front
 * guarantees a backend, per effect: every event has a known type and
 * run_id >= 0; asset is NULL or non-empty, and partition is NULL when asset
 * is; for every effect but NONE, asset and partition are non-NULL; for
 * IN_PROGRESS, run_id > 0; for CHECK, check is non-empty and data non-NULL.
 */
int storage_event_effect(const char *type);

/*
 * Process identity, to tell a live process from a dead one whose pid was
 * reused. storage_process_start writes into buf a text that identifies the
 * process pid of this machine for as long as it lives ("BOOT_ID/START_TICKS"
 * from Linux's /proc) and returns 0, or returns -1 when it cannot be known.
 * storage_process_gone is 1 when pid is no longer that process: no process
 * has that pid, it is a zombie (exited, not yet waited for), or (start
 * non-NULL) the one that has it is another one; 0 when it is alive or cannot
 * be judged (pid outside 1..INT_MAX: never passed to kill).
 */
#define STORAGE_PROCESS_START_SIZE 64
int storage_process_start(int64_t pid, char *buf, size_t size);
int storage_process_gone(int64_t pid, const char *start);

#endif
