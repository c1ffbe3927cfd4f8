/*
 * storage.c — the backend-independent front of instance storage (tranche/storage.h).
 *
 * Parses the URL, picks a backend from the scheme table, and checks every
 * argument before dispatching through the backend's operations table
 * (storage_impl.h), so each backend gets the same validation and the same
 * messages. Adding a backend = one open function + one row in `schemes`.
 * Callers: the CLI, the server, the executor (one handle per thread).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "base/text.h"
#include "storage/storage_impl.h"
#include "tranche/storage.h"

#define VALID_FORMS "valid forms: sqlite:PATH, or a bare file path such as .tranche/instance.db"

static const struct scheme {
	const char *name;     /* the URL scheme, matched case-insensitively */
	const char *backend;  /* for messages */
	storage_open_fn open; /* NULL: known, but not available in this build */
} schemes[] = {
	{"sqlite", "SQLite", tr_storage_sqlite_open},
	{"postgres", "PostgreSQL", NULL},
	{"postgresql", "PostgreSQL", NULL},
};

/*
 * Copies url into out for a message, with the password of a
 * "scheme://user:password@host" URL replaced by "***".
 */
static void url_redact(const char *url, char *out, size_t out_size)
{
	const char *authority = strstr(url, "://");
	const char *end = NULL, *at = NULL, *colon = NULL, *p = NULL;

	if (authority) {
		authority += 3;
		end = authority + strcspn(authority, "/?#");
		for (p = authority; p < end; p++)
			if (*p == '@')
				at = p;
		if (at)
			colon = memchr(authority, ':', (size_t)(at - authority));
	}
	if (!colon) {
		snprintf(out, out_size, "%s", url);
		return;
	}
	snprintf(out, out_size, "%.*s***%s", (int)(colon + 1 - url), url, at);
}

int tr_storage_open(const char *url, tr_storage **out, tr_error *err)
{
	char shown[TR_ERROR_MSG_MAX / 2];
	size_t scheme_len = 0, i = 0;

	if (!out)
		return tr_error_set(err, TR_EINVAL, "tr_storage_open: out is NULL");
	*out = NULL;
	if (!url || !*url)
		return tr_error_set(err, TR_EINVAL, "instance storage URL is empty; " VALID_FORMS);
	scheme_len = tr_url_scheme_length(url);
	if (scheme_len == 0)
		return tr_storage_sqlite_open(url, url, out, err);
	url_redact(url, shown, sizeof(shown));
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		const struct scheme *sc = &schemes[i];

		if (strlen(sc->name) != scheme_len || strncasecmp(url, sc->name, scheme_len) != 0)
			continue;
		if (!sc->open)
			return tr_error_set(err, TR_EINVAL,
					    "instance storage URL \"%s\": %s storage is not available "
					    "in this build, only sqlite: is; " VALID_FORMS,
					    shown, sc->backend);
		return sc->open(url, url + scheme_len + 1, out, err);
	}
	/* "data:2024.db" is more likely a file name than a URL: say how to write one. */
	return tr_error_set(err, TR_EINVAL,
			    "instance storage URL \"%s\": unknown scheme \"%.*s:\"; " VALID_FORMS "%s",
			    shown, (int)scheme_len, url,
			    strncmp(url + scheme_len, "://", 3) == 0
				    ? ""
				    : " (for a file whose name contains ':', write sqlite:NAME or ./NAME)");
}

void tr_storage_close(tr_storage *st)
{
	if (st)
		st->ops->close(st);
}

int tr_storage_schema_version(tr_storage *st, int *version, tr_error *err)
{
	if (!st || !version)
		return tr_error_set(err, TR_EINVAL, "tr_storage_schema_version: NULL argument");
	*version = 0;
	return st->ops->schema_version(st, version, err);
}

static int check_name(const char *name, tr_error *err)
{
	if (!name || !*name)
		return tr_error_set(err, TR_EINVAL,
				    "dynamic partitions: the set name is %s; give a non-empty name",
				    name ? "empty" : "missing (NULL)");
	return 0;
}

static int check_keys(const char *name, const char *const *keys, size_t key_count, tr_error *err)
{
	size_t i = 0;

	if (key_count > 0 && !keys)
		return tr_error_set(err, TR_EINVAL,
				    "dynamic partitions \"%s\": %zu keys announced but the key array is NULL",
				    name, key_count);
	for (i = 0; i < key_count; i++)
		if (!keys[i] || !*keys[i])
			return tr_error_set(err, TR_EINVAL,
					    "dynamic partitions \"%s\": key at index %zu (of %zu) is %s; "
					    "keys are non-empty strings",
					    name, i, key_count, keys[i] ? "empty" : "NULL");
	return 0;
}

typedef int (*dynamic_write_fn)(tr_storage *st, const char *name, const char *const *keys,
				size_t key_count, size_t *changed, tr_error *err);

/* add and delete: the same checks, then the backend's operation. */
static int dynamic_write(tr_storage *st, dynamic_write_fn write, const char *name,
			 const char *const *keys, size_t key_count, size_t *changed, tr_error *err)
{
	size_t count = 0;
	int rc = 0;

	if (changed)
		*changed = 0;
	if (!st)
		return tr_error_set(err, TR_EINVAL, "dynamic partitions: no storage handle (NULL)");
	if ((rc = check_name(name, err)) != 0 || (rc = check_keys(name, keys, key_count, err)) != 0)
		return rc;
	if (key_count == 0)
		return 0;
	rc = write(st, name, keys, key_count, &count, err);
	if (rc == 0 && changed)
		*changed = count;
	return rc;
}

int tr_storage_dynamic_add(tr_storage *st, const char *name, const char *const *keys,
			   size_t key_count, size_t *changed, tr_error *err)
{
	return dynamic_write(st, st ? st->ops->dynamic_add : NULL, name, keys, key_count, changed,
			     err);
}

int tr_storage_dynamic_delete(tr_storage *st, const char *name, const char *const *keys,
			      size_t key_count, size_t *changed, tr_error *err)
{
	return dynamic_write(st, st ? st->ops->dynamic_delete : NULL, name, keys, key_count,
			     changed, err);
}

int tr_storage_dynamic_keys(tr_storage *st, const char *name, char ***keys, size_t *key_count,
			    tr_error *err)
{
	int rc = 0;

	if (!keys || !key_count)
		return tr_error_set(err, TR_EINVAL, "tr_storage_dynamic_keys: NULL output argument");
	*keys = NULL;
	*key_count = 0;
	if (!st)
		return tr_error_set(err, TR_EINVAL, "dynamic partitions: no storage handle (NULL)");
	if ((rc = check_name(name, err)) != 0)
		return rc;
	return st->ops->dynamic_keys(st, name, keys, key_count, err);
}

int tr_storage_dynamic_names(tr_storage *st, char ***names, size_t *name_count, tr_error *err)
{
	if (!names || !name_count)
		return tr_error_set(err, TR_EINVAL, "tr_storage_dynamic_names: NULL output argument");
	*names = NULL;
	*name_count = 0;
	if (!st)
		return tr_error_set(err, TR_EINVAL, "dynamic partitions: no storage handle (NULL)");
	return st->ops->dynamic_names(st, names, name_count, err);
}

/* ---- runs ---- */

#define RUN_END_STATUSES "success, failure, canceled"

static const char *const run_end_statuses[] = {"success", "failure", "canceled"};

/* Replaces a NULL string of a run by "". */
static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* 1 when host is this machine's name (gethostname). */
static int this_host(const char *host)
{
	char name[256];

	if (gethostname(name, sizeof(name)) != 0)
		return 0;
	name[sizeof(name) - 1] = '\0';
	return strcmp(name, host) == 0;
}

int tr_storage_run_create(tr_storage *st, const tr_run *r, int64_t *id, tr_error *err)
{
	char host[256], process_start[STORAGE_PROCESS_START_SIZE];
	tr_run run;
	int known_start = 0;

	if (!id)
		return tr_error_set(err, TR_EINVAL, "tr_storage_run_create: id is NULL");
	*id = 0;
	if (!st || !r)
		return tr_error_set(err, TR_EINVAL, "tr_storage_run_create: %s is NULL",
				    st ? "the run" : "the storage handle");
	if (r->pid < 0 || r->pid > INT_MAX)
		return tr_error_set(err, TR_EINVAL,
				    "creating a run: pid %lld is not a process id; give the pid of "
				    "the process running it, or 0 for this process",
				    (long long)r->pid);
	if (r->steps_total < 0)
		return tr_error_set(err, TR_EINVAL,
				    "creating a run: steps_total is %lld; give 0 or more",
				    (long long)r->steps_total);
	if (r->backfill_id < 0)
		return tr_error_set(err, TR_EINVAL,
				    "creating a run: backfill_id is %lld; give a backfill id, or 0 "
				    "for none",
				    (long long)r->backfill_id);
	run = *r;
	run.selection = (char *)or_empty(r->selection);
	run.partitions = (char *)or_empty(r->partitions);
	run.launched_by = (char *)or_empty(r->launched_by);
	if (!r->host || !*r->host) {
		if (gethostname(host, sizeof(host)) != 0)
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		run.host = host;
	}
	if (r->pid == 0)
		run.pid = (int64_t)getpid();
	/* Only a process of this machine can be looked at. */
	if (this_host(run.host))
		known_start = storage_process_start(run.pid, process_start, sizeof(process_start)) == 0;
	return st->ops->run_create(st, &run, known_start ? process_start : NULL, id, err);
}

int tr_storage_run_finish(tr_storage *st, int64_t id, const tr_run *r, tr_error *err)
{
	char quoted[64];
	size_t i = 0;

	if (!st || !r)
		return tr_error_set(err, TR_EINVAL, "tr_storage_run_finish: %s is NULL",
				    st ? "the run" : "the storage handle");
	if (id <= 0)
		return tr_error_set(err, TR_EINVAL,
				    "finishing run %lld: run ids are 1 and up", (long long)id);
	for (i = 0; r->status && i < sizeof(run_end_statuses) / sizeof(run_end_statuses[0]); i++)
		if (strcmp(r->status, run_end_statuses[i]) == 0)
			break;
	if (!r->status || i == sizeof(run_end_statuses) / sizeof(run_end_statuses[0]))
		return tr_error_set(
			err, TR_EINVAL, "finishing run %lld: %s%s%s is not an end status; valid: " RUN_END_STATUSES,
			(long long)id, r->status ? "status \"" : "status NULL",
			r->status ? tr_error_quote(quoted, sizeof(quoted), r->status, strlen(r->status)) : "",
			r->status ? "\"" : "");
	if (r->steps_total < 0 || r->steps_succeeded < 0 || r->steps_failed < 0 ||
	    r->steps_skipped < 0)
		return tr_error_set(err, TR_EINVAL,
				    "finishing run %lld: step counters are 0 or more (got %lld, %lld, "
				    "%lld, %lld)",
				    (long long)id, (long long)r->steps_total,
				    (long long)r->steps_succeeded, (long long)r->steps_failed,
				    (long long)r->steps_skipped);
	return st->ops->run_finish(st, id, r, err);
}

int tr_storage_run_get(tr_storage *st, int64_t id, tr_run *out, tr_error *err)
{
	if (!out)
		return tr_error_set(err, TR_EINVAL, "tr_storage_run_get: out is NULL");
	memset(out, 0, sizeof(*out));
	if (!st)
		return tr_error_set(err, TR_EINVAL, "tr_storage_run_get: the storage handle is NULL");
	return st->ops->run_get(st, id, out, err);
}

int tr_storage_runs_list(tr_storage *st, size_t limit, tr_run **out, size_t *n, tr_error *err)
{
	if (!out || !n)
		return tr_error_set(err, TR_EINVAL, "tr_storage_runs_list: NULL output argument");
	*out = NULL;
	*n = 0;
	if (!st)
		return tr_error_set(err, TR_EINVAL, "tr_storage_runs_list: the storage handle is NULL");
	return st->ops->runs_list(st, limit, out, n, err);
}

int tr_storage_runs_reap(tr_storage *st, int64_t now_ms, size_t *reaped, tr_error *err)
{
	char host[256];
	size_t count = 0;
	int rc = 0;

	if (reaped)
		*reaped = 0;
	if (!st)
		return tr_error_set(err, TR_EINVAL, "tr_storage_runs_reap: the storage handle is NULL");
	if (gethostname(host, sizeof(host)) != 0)
		return tr_error_set(err, TR_EIO, "reaping runs: cannot read this machine's name: %s",
				    strerror(errno));
	host[sizeof(host) - 1] = '\0';
	rc = st->ops->runs_reap(st, host, now_ms, &count, err);
	if (rc == 0 && reaped)
		*reaped = count;
	return rc;
}

void tr_run_release(tr_run *r)
{
	if (!r)
		return;
	free(r->status);
	free(r->selection);
	free(r->partitions);
	free(r->launched_by);
	free(r->host);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

void tr_runs_free(tr_run *runs, size_t n)
{
	size_t i = 0;

	if (!runs)
		return;
	for (i = 0; i < n; i++)
		tr_run_release(&runs[i]);
	free(runs);
}

/* ---- events and status ---- */

static const struct event_type {
	const char *name;
	enum storage_effect effect;
} event_types[] = {
	{"run_start", STORAGE_EFFECT_NONE},
	{"run_success", STORAGE_EFFECT_NONE},
	{"run_failure", STORAGE_EFFECT_NONE},
	{"run_canceled", STORAGE_EFFECT_NONE},
	{"step_start", STORAGE_EFFECT_IN_PROGRESS},
	{"step_success", STORAGE_EFFECT_NONE},
	{"step_failure", STORAGE_EFFECT_FAILED},
	{"step_retry", STORAGE_EFFECT_NONE},
	{"step_skipped", STORAGE_EFFECT_NONE},
	{"materialization", STORAGE_EFFECT_MATERIALIZED},
	{"check", STORAGE_EFFECT_CHECK},
	{"wipe", STORAGE_EFFECT_WIPE},
	{"log", STORAGE_EFFECT_NONE},
};

#define EVENT_TYPES                                                                        \
	"run_start, run_success, run_failure, run_canceled, step_start, step_success, "    \
	"step_failure, step_retry, step_skipped, materialization, check, wipe, log"

int storage_event_effect(const char *type)
{
	size_t i = 0;

	for (i = 0; type && i < sizeof(event_types) / sizeof(event_types[0]); i++)
		if (strcmp(type, event_types[i].name) == 0)
			return (int)event_types[i].effect;
	return -1;
}

/* Checks one event of a batch (see storage_event_effect for the rules). */
static int check_event(const tr_event *ev, size_t i, size_t n, tr_error *err)
{
	char quoted[96];
	int effect = storage_event_effect(ev->type);

	if (effect < 0)
		return tr_error_set(err, TR_EINVAL,
				    "event %zu (of %zu): %s%s%s is not an event type; valid types: "
				    EVENT_TYPES,
				    i, n, ev->type ? "type \"" : "type NULL",
				    ev->type ? tr_error_quote(quoted, sizeof(quoted), ev->type,
							      strlen(ev->type))
					     : "",
				    ev->type ? "\"" : "");
	if (ev->run_id < 0)
		return tr_error_set(err, TR_EINVAL,
				    "event %zu (of %zu, %s): run_id %lld; give a run id, or 0 for none",
				    i, n, ev->type, (long long)ev->run_id);
	if (ev->asset && !*ev->asset)
		return tr_error_set(err, TR_EINVAL,
				    "event %zu (of %zu, %s): the asset name is empty; give a name, or "
				    "NULL for an event of no asset",
				    i, n, ev->type);
	if (!ev->asset && ev->partition)
		return tr_error_set(err, TR_EINVAL,
				    "event %zu (of %zu, %s): a partition without an asset; give the "
				    "asset, or NULL for both",
				    i, n, ev->type);
	if (effect == STORAGE_EFFECT_NONE)
		return 0;
	if (!ev->asset || !ev->partition)
		return tr_error_set(err, TR_EINVAL,
				    "event %zu (of %zu, %s): the %s is NULL; a %s event names an asset "
				    "and a partition (\"\" for an unpartitioned asset)",
				    i, n, ev->type, ev->asset ? "partition" : "asset", ev->type);
	if (effect == STORAGE_EFFECT_IN_PROGRESS && ev->run_id == 0)
		return tr_error_set(err, TR_EINVAL,
				    "event %zu (of %zu, step_start of \"%s\"): run_id is 0; a step "
				    "belongs to a run",
				    i, n, tr_error_quote(quoted, sizeof(quoted), ev->asset,
							 strlen(ev->asset)));
	if (effect == STORAGE_EFFECT_CHECK && (!ev->check || !*ev->check || !ev->data))
		return tr_error_set(err, TR_EINVAL,
				    "event %zu (of %zu, check of \"%s\"): %s; a check event names its "
				    "check and carries data {\"passed\": true|false, \"severity\": "
				    "\"warn\"|\"error\"}",
				    i, n,
				    tr_error_quote(quoted, sizeof(quoted), ev->asset, strlen(ev->asset)),
				    !ev->check ? "the check name is NULL"
				    : !*ev->check ? "the check name is empty"
						  : "data is NULL");
	return 0;
}

int tr_storage_events_add(tr_storage *st, const tr_event *evs, size_t n, tr_error *err)
{
	size_t i = 0;
	int rc = 0;

	if (!st)
		return tr_error_set(err, TR_EINVAL, "tr_storage_events_add: the storage handle is NULL");
	if (n > 0 && !evs)
		return tr_error_set(err, TR_EINVAL,
				    "adding events: %zu events announced but the array is NULL", n);
	for (i = 0; i < n; i++)
		if ((rc = check_event(&evs[i], i, n, err)) != 0)
			return tr_error_prefix(err, "adding events (nothing written)");
	if (n == 0)
		return 0;
	return st->ops->events_add(st, evs, n, err);
}

/* An asset argument: NULL allowed when nullable, "" never. */
static int check_asset(const char *what, const char *asset, int nullable, tr_error *err)
{
	if (asset && *asset)
		return 0;
	if (!asset && nullable)
		return 0;
	return tr_error_set(err, TR_EINVAL, "%s: the asset name is %s; give a non-empty name%s",
			    what, asset ? "empty" : "missing (NULL)",
			    nullable ? ", or NULL for every asset" : "");
}

int tr_storage_events_list(tr_storage *st, int64_t run_id, const char *asset, int64_t after_id,
			   size_t limit, tr_event_rec **out, size_t *n, tr_error *err)
{
	int rc = 0;

	if (!out || !n)
		return tr_error_set(err, TR_EINVAL, "tr_storage_events_list: NULL output argument");
	*out = NULL;
	*n = 0;
	if (!st)
		return tr_error_set(err, TR_EINVAL,
				    "tr_storage_events_list: the storage handle is NULL");
	if ((rc = check_asset("listing events", asset, 1, err)) != 0)
		return rc;
	if (run_id < 0)
		return tr_error_set(err, TR_EINVAL,
				    "listing events: run %lld; give a run id, or 0 for every run",
				    (long long)run_id);
	return st->ops->events_list(st, run_id, asset, after_id, limit, out, n, err);
}

int tr_storage_events_latest(tr_storage *st, const char *asset, const char *partition,
			     const char *type, int64_t before_id, size_t limit, tr_event_rec **out,
			     size_t *n, tr_error *err)
{
	int rc = 0;

	if (!out || !n)
		return tr_error_set(err, TR_EINVAL, "tr_storage_events_latest: NULL output argument");
	*out = NULL;
	*n = 0;
	if (!st)
		return tr_error_set(err, TR_EINVAL,
				    "tr_storage_events_latest: the storage handle is NULL");
	if ((rc = check_asset("listing the latest events", asset, 1, err)) != 0)
		return rc;
	if (partition && !asset)
		return tr_error_set(err, TR_EINVAL, "listing the latest events: a partition (\"%s\") "
						    "needs its asset",
				    partition);
	if (before_id < 0)
		return tr_error_set(err, TR_EINVAL,
				    "listing the latest events: before id %lld; give an event id, "
				    "or 0 for no bound",
				    (long long)before_id);
	return st->ops->events_latest(st, asset, partition, type, before_id, limit, out, n, err);
}

int tr_storage_partition_status(tr_storage *st, const char *asset, tr_pstatus **out, size_t *n,
				tr_error *err)
{
	int rc = 0;

	if (!out || !n)
		return tr_error_set(err, TR_EINVAL,
				    "tr_storage_partition_status: NULL output argument");
	*out = NULL;
	*n = 0;
	if (!st)
		return tr_error_set(err, TR_EINVAL,
				    "tr_storage_partition_status: the storage handle is NULL");
	if ((rc = check_asset("reading partition status", asset, 0, err)) != 0)
		return rc;
	return st->ops->partition_status(st, asset, out, n, err);
}

int tr_storage_status_counts(tr_storage *st, const char *asset, int64_t *materialized,
			     int64_t *failed, int64_t *in_progress, tr_error *err)
{
	int rc = 0;

	if (!materialized || !failed || !in_progress)
		return tr_error_set(err, TR_EINVAL, "tr_storage_status_counts: NULL output argument");
	*materialized = *failed = *in_progress = 0;
	if (!st)
		return tr_error_set(err, TR_EINVAL,
				    "tr_storage_status_counts: the storage handle is NULL");
	if ((rc = check_asset("counting partition status", asset, 0, err)) != 0)
		return rc;
	return st->ops->status_counts(st, asset, materialized, failed, in_progress, err);
}

int tr_storage_last_materialization(tr_storage *st, const char *asset, const char *partition,
				    tr_event_rec *out, tr_error *err)
{
	int rc = 0;

	if (!out)
		return tr_error_set(err, TR_EINVAL, "tr_storage_last_materialization: out is NULL");
	memset(out, 0, sizeof(*out));
	if (!st)
		return tr_error_set(err, TR_EINVAL,
				    "tr_storage_last_materialization: the storage handle is NULL");
	if ((rc = check_asset("reading the last materialization", asset, 0, err)) != 0)
		return rc;
	if (!partition)
		return tr_error_set(err, TR_EINVAL,
				    "reading the last materialization of \"%s\": the partition is NULL; "
				    "give \"\" for an unpartitioned asset",
				    asset);
	return st->ops->last_materialization(st, asset, partition, out, err);
}

int tr_storage_check_status(tr_storage *st, const char *asset, tr_check_status **out, size_t *n,
			    tr_error *err)
{
	int rc = 0;

	if (!out || !n)
		return tr_error_set(err, TR_EINVAL, "tr_storage_check_status: NULL output argument");
	*out = NULL;
	*n = 0;
	if (!st)
		return tr_error_set(err, TR_EINVAL,
				    "tr_storage_check_status: the storage handle is NULL");
	if ((rc = check_asset("reading check status", asset, 1, err)) != 0)
		return rc;
	return st->ops->check_status(st, asset, out, n, err);
}

/* ---- backfills ---- */

#define BACKFILL_STATUSES "requested, running, completed, failed, canceling, canceled"

static const char *const backfill_statuses[] = {"requested", "running",   "completed",
						"failed",    "canceling", "canceled"};

/* 0 when status is a backfill status; TR_EINVAL naming it and the valid ones. */
static int check_backfill_status(int64_t id, const char *status, tr_error *err)
{
	char quoted[96];
	size_t i = 0;

	for (i = 0; status && i < sizeof(backfill_statuses) / sizeof(backfill_statuses[0]); i++)
		if (strcmp(status, backfill_statuses[i]) == 0)
			return 0;
	return tr_error_set(err, TR_EINVAL,
			    "updating backfill %lld: %s%s%s is not a backfill status; valid: "
			    BACKFILL_STATUSES,
			    (long long)id, status ? "status \"" : "status NULL",
			    status ? tr_error_quote(quoted, sizeof(quoted), status, strlen(status)) : "",
			    status ? "\"" : "");
}

/* The name of asset i of a backfill request: non-empty. */
static int check_backfill_asset(const char *what, const tr_backfill_asset *a, size_t i, size_t n,
				tr_error *err)
{
	if (!a->asset || !*a->asset)
		return tr_error_set(err, TR_EINVAL,
				    "%s: asset %zu (of %zu) has %s name; give each asset's name", what,
				    i, n, a->asset ? "an empty" : "no (NULL)");
	if (a->n_requested < 0)
		return tr_error_set(err, TR_EINVAL,
				    "%s: asset %zu (of %zu, \"%s\"): n_requested is %lld; give 0 or more",
				    what, i, n, a->asset, (long long)a->n_requested);
	return 0;
}

int tr_storage_backfill_create(tr_storage *st, const tr_backfill *b, const tr_backfill_asset *assets,
			       size_t n_assets, int64_t *id, tr_error *err)
{
	const char *what = "recording a backfill (nothing written)";
	size_t i = 0;
	int rc = 0;

	if (!id)
		return tr_error_set(err, TR_EINVAL, "tr_storage_backfill_create: id is NULL");
	*id = 0;
	if (!st || !b)
		return tr_error_set(err, TR_EINVAL, "tr_storage_backfill_create: %s is NULL",
				    st ? "the backfill" : "the storage handle");
	if (n_assets == 0 || !assets)
		return tr_error_set(err, TR_EINVAL,
				    "%s: %s; a backfill requests partitions of at least one asset",
				    what, n_assets ? "the asset array is NULL" : "no assets");
	if (b->partitions_total < 0)
		return tr_error_set(err, TR_EINVAL, "%s: partitions_total is %lld; give 0 or more",
				    what, (long long)b->partitions_total);
	for (i = 0; i < n_assets; i++)
		if ((rc = check_backfill_asset(what, &assets[i], i, n_assets, err)) != 0)
			return rc;
	return st->ops->backfill_create(st, b, assets, n_assets, id, err);
}

int tr_storage_backfill_get(tr_storage *st, int64_t id, tr_backfill *out,
			    tr_backfill_asset **assets, size_t *n_assets, tr_error *err)
{
	if (!out)
		return tr_error_set(err, TR_EINVAL, "tr_storage_backfill_get: out is NULL");
	memset(out, 0, sizeof(*out));
	if (assets && !n_assets)
		return tr_error_set(err, TR_EINVAL,
				    "tr_storage_backfill_get: assets given without n_assets");
	if (assets) {
		*assets = NULL;
		*n_assets = 0;
	}
	if (!st)
		return tr_error_set(err, TR_EINVAL,
				    "tr_storage_backfill_get: the storage handle is NULL");
	return st->ops->backfill_get(st, id, out, assets, assets ? n_assets : NULL, err);
}

int tr_storage_backfills_list(tr_storage *st, size_t limit, tr_backfill **out, size_t *n,
			      tr_error *err)
{
	if (!out || !n)
		return tr_error_set(err, TR_EINVAL, "tr_storage_backfills_list: NULL output argument");
	*out = NULL;
	*n = 0;
	if (!st)
		return tr_error_set(err, TR_EINVAL,
				    "tr_storage_backfills_list: the storage handle is NULL");
	return st->ops->backfills_list(st, limit, out, n, err);
}

int tr_storage_backfill_update(tr_storage *st, int64_t id, const tr_backfill *b,
			       const tr_backfill_asset *assets, size_t n_assets, tr_error *err)
{
	char what[64];
	size_t i = 0;
	int rc = 0;

	if (!st || !b)
		return tr_error_set(err, TR_EINVAL, "tr_storage_backfill_update: %s is NULL",
				    st ? "the backfill" : "the storage handle");
	snprintf(what, sizeof(what), "updating backfill %lld", (long long)id);
	if ((rc = check_backfill_status(id, b->status, err)) != 0)
		return rc;
	if (b->partitions_succeeded < 0 || b->partitions_failed < 0 || b->partitions_skipped < 0 ||
	    b->ended_at < 0 || b->last_run_id < 0)
		return tr_error_set(err, TR_EINVAL,
				    "%s: counters, ended_at and last_run_id are 0 or more (got %lld, "
				    "%lld, %lld, %lld, %lld)",
				    what, (long long)b->partitions_succeeded,
				    (long long)b->partitions_failed, (long long)b->partitions_skipped,
				    (long long)b->ended_at, (long long)b->last_run_id);
	if (n_assets > 0 && !assets)
		return tr_error_set(err, TR_EINVAL,
				    "%s: %zu assets announced but the asset array is NULL", what,
				    n_assets);
	for (i = 0; i < n_assets; i++)
		if ((rc = check_backfill_asset(what, &assets[i], i, n_assets, err)) != 0)
			return rc;
	return st->ops->backfill_update(st, id, b, assets, n_assets, err);
}

/* The time now, Unix ms. */
static int64_t wall_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tr_storage_backfill_cancel(tr_storage *st, int64_t id, char **status, tr_error *err)
{
	char host[256], *result = NULL;
	int rc = 0;

	if (status)
		*status = NULL;
	if (!st)
		return tr_error_set(err, TR_EINVAL,
				    "tr_storage_backfill_cancel: the storage handle is NULL");
	if (gethostname(host, sizeof(host)) != 0)
		return tr_error_set(err, TR_EIO,
				    "canceling backfill %lld: cannot read this machine's name: %s",
				    (long long)id, strerror(errno));
	host[sizeof(host) - 1] = '\0';
	rc = st->ops->backfill_cancel(st, id, host, wall_ms(), &result, err);
	if (rc == 0 && status)
		*status = result;
	else
		free(result);
	return rc;
}

int tr_storage_backfill_status(tr_storage *st, int64_t id, char **status, tr_error *err)
{
	if (!status)
		return tr_error_set(err, TR_EINVAL, "tr_storage_backfill_status: status is NULL");
	*status = NULL;
	if (!st)
		return tr_error_set(err, TR_EINVAL,
				    "tr_storage_backfill_status: the storage handle is NULL");
	return st->ops->backfill_status(st, id, status, err);
}

int tr_storage_backfill_runs(tr_storage *st, int64_t id, int64_t **run_ids, size_t *n,
			     tr_error *err)
{
	if (!run_ids || !n)
		return tr_error_set(err, TR_EINVAL, "tr_storage_backfill_runs: NULL output argument");
	*run_ids = NULL;
	*n = 0;
	if (!st)
		return tr_error_set(err, TR_EINVAL,
				    "tr_storage_backfill_runs: the storage handle is NULL");
	return st->ops->backfill_runs(st, id, run_ids, n, err);
}

void tr_backfill_release(tr_backfill *b)
{
	if (!b)
		return;
	free(b->status);
	free(b->selection);
	free(b->partitions);
	free(b->launched_by);
	free(b->error);
	memset(b, 0, sizeof(*b));
}

void tr_backfills_free(tr_backfill *bs, size_t n)
{
	size_t i = 0;

	if (!bs)
		return;
	for (i = 0; i < n; i++)
		tr_backfill_release(&bs[i]);
	free(bs);
}

void tr_backfill_assets_free(tr_backfill_asset *as, size_t n)
{
	size_t i = 0;

	if (!as)
		return;
	for (i = 0; i < n; i++) {
		free(as[i].asset);
		free(as[i].requested);
		free(as[i].succeeded);
		free(as[i].failed);
		free(as[i].skipped);
	}
	free(as);
}

/* ---- the status summary ---- */

/* A summary's tag: any string but NULL. */
static int check_tag(const char *what, const char *tag, tr_error *err)
{
	if (!tag)
		return tr_error_set(err, TR_EINVAL, "%s: the tag is NULL; give the text that names "
				    "the partitions definition the summary indexes", what);
	return 0;
}

int tr_storage_summary_get(tr_storage *st, const char *asset, const char *tag, void **blob,
			   size_t *len, int64_t *seq, tr_error *err)
{
	const char *what = "reading a status summary";
	int rc = 0;

	if (!blob || !len || !seq)
		return tr_error_set(err, TR_EINVAL, "tr_storage_summary_get: NULL output argument");
	*blob = NULL;
	*len = 0;
	*seq = 0;
	if (!st)
		return tr_error_set(err, TR_EINVAL,
				    "tr_storage_summary_get: the storage handle is NULL");
	if ((rc = check_asset(what, asset, 0, err)) != 0 || (rc = check_tag(what, tag, err)) != 0)
		return rc;
	return st->ops->summary_get(st, asset, tag, blob, len, seq, err);
}

int tr_storage_summary_put(tr_storage *st, const char *asset, const char *tag, const void *blob,
			   size_t len, int64_t seq, tr_error *err)
{
	const char *what = "storing a status summary";
	int rc = 0;

	if (!st)
		return tr_error_set(err, TR_EINVAL,
				    "tr_storage_summary_put: the storage handle is NULL");
	if ((rc = check_asset(what, asset, 0, err)) != 0 || (rc = check_tag(what, tag, err)) != 0)
		return rc;
	if (len > 0 && !blob)
		return tr_error_set(err, TR_EINVAL, "%s: %zu bytes announced but blob is NULL", what,
				    len);
	if (seq < 0)
		return tr_error_set(err, TR_EINVAL, "%s: seq %lld; give 0 or more", what,
				    (long long)seq);
	return st->ops->summary_put(st, asset, tag, blob, len, seq, err);
}

int tr_storage_status_changes(tr_storage *st, const char *asset, int64_t seq, tr_pstatus **out,
			      size_t *n, int64_t *now_seq, tr_error *err)
{
	int rc = 0;

	if (!out || !n || !now_seq)
		return tr_error_set(err, TR_EINVAL,
				    "tr_storage_status_changes: NULL output argument");
	*out = NULL;
	*n = 0;
	*now_seq = seq;
	if (!st)
		return tr_error_set(err, TR_EINVAL,
				    "tr_storage_status_changes: the storage handle is NULL");
	if ((rc = check_asset("reading status changes", asset, 0, err)) != 0)
		return rc;
	if (seq < 0)
		return tr_error_set(err, TR_EINVAL,
				    "reading status changes of \"%s\": seq %lld; give 0 for every "
				    "row, or a sequence value read before",
				    asset, (long long)seq);
	return st->ops->status_changes(st, asset, seq, out, n, now_seq, err);
}

int tr_storage_read_begin(tr_storage *st, tr_error *err)
{
	int began = 0;

	if (!st)
		return tr_error_set(err, TR_EINVAL, "tr_storage_read_begin: the storage handle is NULL");
	return st->ops->read_begin(st, &began, err);
}

void tr_storage_read_end(tr_storage *st)
{
	if (st)
		st->ops->read_end(st);
}

void tr_event_rec_release(tr_event_rec *ev)
{
	if (!ev)
		return;
	free(ev->type);
	free(ev->asset);
	free(ev->partition);
	free(ev->check);
	free(ev->message);
	free(ev->data);
	memset(ev, 0, sizeof(*ev));
}

void tr_event_recs_free(tr_event_rec *evs, size_t n)
{
	size_t i = 0;

	if (!evs)
		return;
	for (i = 0; i < n; i++)
		tr_event_rec_release(&evs[i]);
	free(evs);
}

void tr_pstatus_free(tr_pstatus *rows, size_t n)
{
	size_t i = 0;

	if (!rows)
		return;
	for (i = 0; i < n; i++) {
		free(rows[i].partition);
		free(rows[i].status);
	}
	free(rows);
}

void tr_check_status_free(tr_check_status *rows, size_t n)
{
	size_t i = 0;

	if (!rows)
		return;
	for (i = 0; i < n; i++) {
		free(rows[i].asset);
		free(rows[i].check);
		free(rows[i].partition);
		free(rows[i].severity);
		free(rows[i].message);
	}
	free(rows);
}

void tr_strv_free(char **strv, size_t count)
{
	size_t i = 0;

	if (!strv)
		return;
	for (i = 0; i < count; i++)
		free(strv[i]);
	free(strv);
}

int storage_strv_add(struct storage_strv *v, const char *s, size_t len, tr_error *err)
{
	char *copy = NULL;

	if (v->count == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		char **items = NULL;

		if (cap > SIZE_MAX / sizeof(*items))
			return tr_error_set(err, TR_ENOMEM, "out of memory (%zu strings)", v->count);
		items = realloc(v->items, cap * sizeof(*items));
		if (!items)
			return tr_error_set(err, TR_ENOMEM, "out of memory (%zu strings)", v->count);
		v->items = items;
		v->cap = cap;
	}
	if (len == SIZE_MAX || !(copy = malloc(len + 1)))
		return tr_error_set(err, TR_ENOMEM, "out of memory (%zu strings)", v->count);
	memcpy(copy, s, len);
	copy[len] = '\0';
	v->items[v->count++] = copy;
	return 0;
}

void storage_strv_release(struct storage_strv *v)
{
	tr_strv_free(v->items, v->count);
	v->items = NULL;
	v->count = v->cap = 0;
}

int storage_array_reserve(void **items, size_t *cap, size_t count, size_t elem_size,
			  tr_error *err)
{
	size_t new_cap = 0;
	void *grown = NULL;

	if (count < *cap)
		return 0;
	new_cap = *cap ? *cap * 2 : 16;
	if (new_cap < *cap || new_cap > SIZE_MAX / elem_size)
		return tr_error_set(err, TR_ENOMEM, "out of memory (%zu rows)", count);
	grown = realloc(*items, new_cap * elem_size);
	if (!grown)
		return tr_error_set(err, TR_ENOMEM, "out of memory (%zu rows)", count);
	*items = grown;
	*cap = new_cap;
	return 0;
}

/* ---- processes ---- */

/* Reads up to size - 1 bytes of a small file (/proc) into buf; -1 when it cannot. */
static int read_small_file(const char *path, char *buf, size_t size)
{
	FILE *fp = fopen(path, "r");
	size_t len = 0;

	if (!fp)
		return -1;
	len = fread(buf, 1, size - 1, fp);
	fclose(fp);
	buf[len] = '\0';
	return len > 0 ? 0 : -1;
}

/*
 * The state letter and start time (clock ticks since boot) of process pid,
 * from /proc/PID/stat: "pid (comm) state ppid ...", where comm may hold
 * spaces and ')', so fields are counted from the last ')'. -1 when unknown.
 */
static int proc_stat(int64_t pid, char *state, unsigned long long *start_ticks)
{
	char path[64], stat[1024];
	const char *p = NULL;
	int field = 2;

	snprintf(path, sizeof(path), "/proc/%lld/stat", (long long)pid);
	if (read_small_file(path, stat, sizeof(stat)) != 0 || !(p = strrchr(stat, ')')))
		return -1;
	if (p[1] != ' ' || !p[2])
		return -1;
	*state = p[2];
	for (; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	return field == 22 && sscanf(p, "%llu", start_ticks) == 1 ? 0 : -1;
}

int storage_process_start(int64_t pid, char *buf, size_t size)
{
	char boot_id[64], state = 0;
	unsigned long long start_ticks = 0;

	if (pid <= 0 || pid > INT_MAX || proc_stat(pid, &state, &start_ticks) != 0 ||
	    read_small_file("/proc/sys/kernel/random/boot_id", boot_id, sizeof(boot_id)) != 0)
		return -1;
	boot_id[strcspn(boot_id, "\n")] = '\0';
	/* The boot id too: after a reboot the same start ticks mean another process. */
	if ((size_t)snprintf(buf, size, "%s/%llu", boot_id, start_ticks) >= size)
		return -1;
	return 0;
}

int storage_process_gone(int64_t pid, const char *start)
{
	char now[STORAGE_PROCESS_START_SIZE], state = 0;
	unsigned long long start_ticks = 0;

	/* kill(0) and kill(-1) would ask about process groups: never call them. */
	if (pid <= 0 || pid > INT_MAX)
		return 0;
	if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
		return 1;
	/* A process has that pid (EPERM: another user's). A zombie has ended. */
	if (proc_stat(pid, &state, &start_ticks) == 0 && (state == 'Z' || state == 'X'))
		return 1;
	if (!start || !*start)
		return 0;
	/* Known at create time and unknown now: it has just exited. */
	if (storage_process_start(pid, now, sizeof(now)) != 0)
		return 1;
	return strcmp(now, start) != 0;
}

int tr_storage_pool_start(tr_storage *st, const char *pool, int64_t ts, int64_t forget_before,
			  tr_error *err)
{
	if (!st)
		return tr_error_set(err, TR_EINVAL, "tr_storage_pool_start: the storage handle is NULL");
	if (!pool || !*pool)
		return tr_error_set(err, TR_EINVAL, "recording a pool start: the pool name is empty");
	return st->ops->pool_start(st, pool, ts, forget_before, err);
}

int tr_storage_pool_starts(tr_storage *st, const char *pool, int64_t since, size_t limit,
			   int64_t **ts, size_t *n, tr_error *err)
{
	if (!ts || !n)
		return tr_error_set(err, TR_EINVAL, "tr_storage_pool_starts: NULL output argument");
	*ts = NULL;
	*n = 0;
	if (!st)
		return tr_error_set(err, TR_EINVAL,
				    "tr_storage_pool_starts: the storage handle is NULL");
	if (!pool || !*pool)
		return tr_error_set(err, TR_EINVAL, "reading pool starts: the pool name is empty");
	if (limit == 0)
		return 0;
	return st->ops->pool_starts(st, pool, since, limit, ts, n, err);
}
