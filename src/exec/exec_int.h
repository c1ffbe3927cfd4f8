/*
 * exec_int.h — declarations shared inside src/exec/.
 */
#ifndef TRANCHE_EXEC_INT_H
#define TRANCHE_EXEC_INT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <pthread.h>

#include "tranche/error.h"
#include "tranche/exec.h"

/* ---- command.c: running an external program ------------------------------ */

typedef struct cmd_spec {
	char *const *argv;        /* argv[0] is looked up in PATH; NULL-terminated */
	char *const *env_extra;   /* "NAME=value" strings added to (and overriding) the environment */
	size_t n_env_extra;
	int64_t timeout_ms;       /* 0: none */
	volatile sig_atomic_t *cancel; /* may be NULL */
	/* Each line of output (without its newline; long lines are cut at 8 KiB). */
	void (*on_line)(void *ctx, int is_stderr, const char *line, size_t len);
	void *ctx;
} cmd_spec;

typedef struct cmd_result {
	int exit_status; /* when exited */
	int exited;      /* 1: exited normally */
	int signal;      /* the signal that ended it, 0 if none */
	int timed_out;
	int canceled;
	int64_t duration_ms;
} cmd_result;

/*
 * Runs the program in its own process group, stdout and stderr captured line
 * by line, stdin from /dev/null. On timeout or cancel the group gets SIGTERM,
 * then SIGKILL 2 seconds later. Returns 0 when the program ran (whatever its
 * exit status: see res), TR_EIO when it could not be started.
 */
int cmd_run(const cmd_spec *spec, cmd_result *res, tr_error *err);

/* Describes how the program ended, for messages: "exited with status 3",
   "was killed by signal 9 (Killed)", "timed out after 5 s". */
void cmd_describe(const cmd_result *res, int64_t timeout_ms, char *out, size_t n);

/* ---- batch.c: events of one step (or one coordinator round), written together ---- */

struct batch {
	tr_event *evs;
	size_t n, cap;
	char **strs; /* owned strings behind evs */
	size_t n_strs, cap_strs;
	int failed;
};

int64_t exec_wall_ms(void);
const char *batch_keep(struct batch *b, char *s); /* takes s (NULL: marks the batch failed) */
const char *batch_dup(struct batch *b, const char *s);
tr_event *batch_add(struct batch *b, int64_t run_id, const char *type, const char *asset,
		    const char *partition);
/* Moves every event of src to the end of dst (src is left empty). */
int batch_move(struct batch *dst, struct batch *src);
void batch_clear(struct batch *b);
void batch_release(struct batch *b);
/* Writes the events in one transaction, then clears the batch. */
int batch_flush(struct batch *b, tr_storage *st, tr_error *err);

/* ---- plan.c: the plan: selected assets, their partitions, steps and edges ---------- */

enum step_state {
	ST_PENDING = 0, /* waiting for upstream steps */
	ST_READY,       /* in a ready queue */
	ST_RUNNING,
	ST_OK,
	ST_BLOCKED, /* written, but a blocking check failed: downstream must not run */
	ST_FAILED,
	ST_SKIPPED,
	ST_CANCELED, /* interrupted or never started because of a cancel */
};

struct step {
	uint32_t asset;
	uint8_t state;
	uint8_t bad_up; /* an upstream step failed, was skipped or blocked */
	uint16_t attempts;
	int64_t first, count, stride; /* partitions first + k*stride, k < count */
	uint32_t waiting;             /* upstream steps not yet ended */
	uint32_t bad_from;            /* the upstream step that made it bad (when bad_up) */
	int64_t not_before_ms;        /* a retry waits until then */
	/* filled by the worker that ran it */
	struct batch events;
	char *error;         /* failed: why */
	size_t checks_failed;
};

struct plan_asset {
	int selected;
	tr_partitions *parts; /* NULL: unpartitioned */
	tr_keyset keys;       /* partitions to run (unpartitioned: {0}) */
	size_t first_step, n_steps;
	/* index -> step, sorted by index (for mapping upstream keys to steps) */
	int64_t *key_index;
	uint32_t *key_step;
	size_t n_key;
	size_t run_dim;
	int64_t stride;
	int table_missing; /* its table does not exist yet: its first step runs alone */
	/* outcome, per partition */
	tr_keyset done, failed, skipped;
	tr_keyset prev_done; /* a resumed backfill: what earlier runs of it did */
	int in_backfill; /* the backfill recorded this asset */
	int64_t running; /* steps running now */
};

struct plan {
	struct plan_asset *pa; /* p->n_assets */
	struct step *steps;
	size_t n_steps;
	uint32_t *down_start; /* CSR: downstream steps of step s are down[down_start[s] .. down_start[s+1]) */
	uint32_t *down;
	int64_t partitions;
	int64_t partitioned_partitions; /* of partitioned assets only */
	char *selection, *pick; /* a resumed backfill's, for its runs */
};

int plan_build(const tr_project *p, tr_storage *st, const tr_run_request *req, struct plan *pl,
	       tr_error *err);
/* Steps and edges from pl->pa[i].keys (after picks are resolved). */
int plan_steps(const tr_project *p, struct plan *pl, tr_error *err);
void plan_release(const tr_project *p, struct plan *pl);
int plan_summary(const tr_project *p, const struct plan *pl, tr_run_report *report, tr_error *err);
int plan_describe(const tr_project *p, const struct plan *pl, tr_buf *out, tr_error *err);
const char *pick_text(const tr_run_request *req, tr_buf *b);
/* A parameter's value as SQL would write it, for display: 'text' (quotes
   doubled), TIMESTAMP '2024-01-01 00:00:00', ['a', 'b'], 42. */
void exec_param_text(tr_buf *out, const tr_param *prm);

/* ---- step.c: running one step on a worker's connection -------------------- */

struct step_env {
	const tr_project *p;
	const struct plan *pl;
	tr_wconn *conn;
	int64_t run_id;
	volatile sig_atomic_t *cancel; /* set when the run is being canceled */
};

/* Runs step s (its events go to s->events; s->state, error, checks_failed set).
   Never touches instance storage. Returns 0, or an error that must end the run. */
int step_execute(const struct step_env *env, struct step *s, size_t step_id, tr_error *err);

/* ---- http.c: http assets -------------------------------------------------- */

/*
 * The secrets of one request: the values its {env:NAME} placeholders took, as
 * they are and percent-encoded. Everything http.c shows or stores (log events,
 * errors, metadata, dry runs) has them replaced by "***".
 */
typedef struct http_secrets {
	char **values;
	size_t n;
} http_secrets;

void http_secrets_release(http_secrets *sec);
/* Appends text to out with every secret of sec (sec may be NULL) replaced by "***". */
void http_redact(const http_secrets *sec, const char *text, tr_buf *out);

/*
 * Expands template t for the step whose parameters are pp: {name} takes the
 * parameter's value (time values as YYYY-MM-DDTHH:MM:SS, or strftime's
 * {name:FORMAT}; lists joined with commas), {env:NAME} the variable's value.
 * url: every value is percent-encoded (all but A-Z a-z 0-9 - . _ ~).
 * out gets the text; shown (may be NULL) the same with each env value as
 * "***"; sec (may be NULL) collects the env values. TR_EINVAL when the step
 * does not bind a parameter (the message names it and the bound ones), or an
 * environment variable is unset or empty (*missing, when not NULL, is then
 * its name, pointing into t).
 */
int http_expand(const tr_template *t, const tr_partition_params *pp, int url, tr_buf *out,
		tr_buf *shown, http_secrets *sec, const char **missing, tr_error *err);

/* What step.c hands to an http step. */
struct http_step {
	const struct step_env *env;
	struct step *s;
	size_t step_id;
	const tr_partition_params *pp;
	const char *label;  /* the step's partition label, kept in s->events */
	tr_buf *metadata;   /* out: "name":value pairs recorded with the materialization */
};

/*
 * Fetches the step's URL (retrying transient failures), checks the answer,
 * saves it as .tranche/runs/RUN/ASSET/STEP-ATTEMPT/response.csv|json and makes
 * it the temporary table `response` on the worker's connection; sets load's
 * source to the asset's sql over it (or all of it). Logs "GET <url>" and
 * "HTTP 200, N bytes in M ms" as the step's events. Errors name the URL with
 * its secrets masked; "canceled" when the run's cancel flag stopped it. The
 * caller loads, then calls http_step_end (whatever happened).
 */
int http_step_begin(const struct http_step *h, tr_load *load, tr_error *err);
/* Drops the temporary table `response` of the connection, if any. */
void http_step_end(tr_wconn *conn);

/* For dry runs: "  GET <url, secrets masked>" of asset a's step pp, as one line into out. */
void http_describe(const tr_asset *a, const tr_partition_params *pp, tr_buf *out);
/* 1 when asset a is http and this run will read its file: fallback_url (an {env:} of
   url is unset or empty): no API is called, so its pool's limits do not apply. */
int http_offline(const tr_asset *a);

#endif
