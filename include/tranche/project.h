/*
 * tranche/project.h — the project file (`tranche.yaml`) and the asset graph
 * it declares, and the selection syntax (`+name`, `group:x`, ...).
 *
 * A project is loaded once, checked whole (every key, every reference, the
 * graph, every mapping against its two definitions) and is then read-only:
 * the structs below are plain data that callers read directly and never
 * modify. Everything they point at is owned by the project and lives until
 * tr_project_free.
 *
 * Errors: TR_EINVAL with "FILE:LINE:COL: key.path: what is wrong (what would
 * be valid)"; unknown keys name the nearest valid key. TR_EIO when a file
 * (the project file, an sql_file) cannot be read. Nothing is loaded on error.
 */
#ifndef TRANCHE_PROJECT_H
#define TRANCHE_PROJECT_H

#include <stddef.h>
#include <stdint.h>

#include "tranche/error.h"
#include "tranche/partitions.h"

typedef enum {
	TR_ASSET_SQL = 1, /* `sql` / `sql_file`: a query whose rows tranche writes */
	TR_ASSET_SCRIPT,  /* `script` / `script_file`: statements run in one transaction */
	TR_ASSET_COMMAND, /* `command`: an external program writing rows to TRANCHE_OUTPUT */
	TR_ASSET_HTTP,    /* `http`: a URL fetched per step, its CSV or JSON answer loaded */
} tr_asset_kind;

/*
 * One upstream asset. An asset's deps are the ones declared under `deps`, in
 * their order, or — when it declares no `deps` key at all — the ones inferred
 * from the tables its SQL reads, in order of first appearance. Never itself,
 * never twice; the mapping always fits the two definitions (checked at load).
 */
typedef struct tr_asset_dep {
	size_t asset;        /* index of the upstream asset in tr_project.assets */
	tr_mapping *mapping; /* as declared, or Dagster's default for the two definitions */
	int inferred;        /* 1: found in the SQL (tables read), not declared in `deps` */
	int line, col;       /* where declared (inferred: the asset's position) */
} tr_asset_dep;

typedef struct tr_asset_check {
	char *name;
	char *sql; /* returns the failing rows; passes when it returns none */
	char *description;
	int severity_error; /* severity: error (1) or warn (0, the default) */
	int blocking;       /* an error check that fails stops downstream partitions */
} tr_asset_check;

typedef struct tr_asset_metadata {
	char *name;
	char *sql;
} tr_asset_metadata;

typedef struct tr_kv {
	char *key;
	char *value;
} tr_kv;

/*
 * retries: {max: N, delay: S, backoff: F} on an asset, or under the project's
 * `defaults:` (an asset's own key replaces the default whole). A failed step is
 * tried again up to `max` more times; attempt k+1 starts delay_ms * backoff^(k-1)
 * after attempt k failed. Cancellation is never retried.
 */
typedef struct tr_retry_policy {
	int max;          /* extra attempts, 0..100; 0: none (the default) */
	int64_t delay_ms; /* before the first retry, 0..one day; default 0 */
	double backoff;   /* factor applied to the delay for each further retry, >= 1 (finite,
			     unbounded: clamp the grown delay); default 1 */
} tr_retry_policy;

/*
 * backfill: how a request over many partitions of the asset is cut into steps
 * (Dagster's BackfillPolicy). A step covers keys that are contiguous — in
 * partition order; for a multi definition along its time dimension (else its
 * last dimension), the other dimensions fixed — and at most
 * max_partitions_per_run of them. multi_run with 1 (the default): one step per
 * partition. single_run: one step per contiguous range, however long (it takes no
 * max_partitions_per_run: refused at load). Accepted on unpartitioned assets, where it
 * changes nothing (as in Dagster).
 */
typedef enum { TR_POLICY_MULTI_RUN = 0, TR_POLICY_SINGLE_RUN } tr_policy_kind;
typedef struct tr_backfill_policy {
	tr_policy_kind kind;
	int64_t max_partitions_per_run; /* multi_run: >= 1; single_run: 0 (no limit) */
} tr_backfill_policy;

/*
 * A pool: a named concurrency limit (`pools:` at the top of the project file)
 * that assets join with `pool: NAME`. At most max_concurrency steps of the
 * pool's assets run at once, and for each rate (`rate: 5/minute`, or a list
 * `rate: [5/minute, 25/day]`) at most count steps start in any window of
 * period_ms. Rates count the starts of every run recorded in the instance
 * storage, not only the current one: a day's quota holds across runs.
 */
#define TR_POOL_MAX_RATES 4
typedef struct tr_rate {
	int64_t count;     /* 1..1000000 */
	int64_t period_ms; /* 1 ms .. a year */
} tr_rate;

typedef struct tr_pool {
	char *name;
	int max_concurrency; /* 0: no limit; else 1..1000000 */
	tr_rate rates[TR_POOL_MAX_RATES]; /* at least one of max_concurrency and a rate is set */
	size_t n_rates;
	int line, col; /* of the pool's name */
} tr_pool;

#define TR_NO_POOL ((size_t)-1)

/*
 * A text with placeholders (an http asset's url and header values), checked
 * and split at load: `{name}` or `{name:FORMAT}` (a parameter of the step;
 * FORMAT, a strftime format, only for time values), `{env:NAME}` (an
 * environment variable read when the step runs, a secret: never shown), and
 * `{{` / `}}` for literal braces. Every parameter name is one the asset's
 * partitions can bind (checked at load); whether a given step binds it is
 * known only when it runs (a step over several partitions has no
 * partition_key).
 */
typedef enum {
	TR_TPL_TEXT = 1, /* text: literal text, braces already undoubled */
	TR_TPL_PARAM,    /* text: a parameter's name; format: strftime format or NULL */
	TR_TPL_ENV,      /* text: an environment variable's name */
} tr_tpl_kind;

typedef struct tr_tpl_part {
	tr_tpl_kind kind;
	char *text;
	char *format;
} tr_tpl_part;

typedef struct tr_template {
	char *source; /* as written in the project file; NULL: not given */
	tr_tpl_part *parts;
	size_t n_parts;
} tr_template;

typedef struct tr_http_header {
	char *name;        /* a header name (RFC 9110 token) */
	tr_template value; /* values are not URL-encoded */
} tr_http_header;

/*
 * An http asset's request (`http:`). The url's scheme is http://, https:// or
 * file: (file:REL relative to the project directory, file:///ABS), written
 * literally at its start; in url and fallback_url parameter and env values are
 * percent-encoded (a file: URL is percent-decoded into a path).
 */
typedef struct tr_http {
	tr_template url;
	tr_template fallback_url; /* source NULL: none; used when an {env:} of url is unset/empty */
	tr_http_header *headers;
	size_t n_headers;
	char *format;       /* "csv" (the default) or "json" */
	char *records;      /* json: dotted path to the array of records, or NULL */
	int64_t timeout_ms; /* one attempt, whole request; default 60 s */
	tr_retry_policy retries; /* transient failures, inside the step; default {2, 1 s, 2} */
	char **fail_json_keys;   /* fail_when.json_keys */
	size_t n_fail_json_keys;
	char **fail_contains;    /* fail_when.contains */
	size_t n_fail_contains;
	int fail_when;           /* 1: fail_when was given */
} tr_http;

typedef struct tr_asset {
	char *name;
	tr_asset_kind kind;
	int line, col; /* position of the asset's name in the project file */
	char *sql;      /* SQL: the query; SCRIPT: the statements (file contents when *_file);
			   HTTP: the query over `response`, or NULL */
	char *sql_file; /* the file as written in the project, or NULL when inline */
	/* COMMAND: argv, NULL-terminated (command[command_argc] == NULL); a string in
	   the project is run as {"/bin/sh", "-c", text} */
	char **command;
	size_t command_argc;
	char *output_format; /* COMMAND: "csv", "json", "parquet"; NULL when not given (csv) */
	int64_t timeout_ms;  /* COMMAND: 0 = none */
	tr_kv *env;          /* COMMAND: extra environment */
	size_t n_env;
	char *table; /* target table: `table:` or the asset's name; "name" or "schema.name",
			unique in the project (compared as DuckDB does: case-insensitively,
			"main.x" is "x") */
	const tr_partdef *partdef; /* NULL: unpartitioned */
	char *partitions_name;     /* the named definition used, NULL when inline or none */
	/*
	 * partition_expr: single-dimension definitions: one expression. Multi: one
	 * per dimension, in the definition's dimension order (sorted by name).
	 * Defaults when absent: none (n_partition_expr 0; SQL assets that are
	 * partitioned must give one — refused at load otherwise).
	 */
	char **partition_expr;
	size_t n_partition_expr;
	tr_asset_dep *deps;
	size_t n_deps;
	int deps_declared; /* 1: the asset has a `deps` key (maybe []): no inference */
	char *group; /* "default" when not given */
	char *description;
	char **owners;
	size_t n_owners;
	tr_kv *tags;
	size_t n_tags;
	char *code_version;
	tr_asset_metadata *metadata;
	size_t n_metadata;
	tr_asset_check *checks;
	size_t n_checks;
	int add_columns;  /* on_schema_change: add_columns (default: fail) */
	int drop_outside; /* outside_rows: drop (default: fail) */
	tr_retry_policy retries;     /* the asset's, else the project default, else none */
	tr_backfill_policy backfill; /* the asset's, else the project default, else multi_run 1 */
	size_t pool;                 /* index into tr_project.pools, or TR_NO_POOL */
	tr_http http;                /* HTTP: the request (zero for other kinds); `sql` then is the
					optional transform of the table `response` (NULL: all of it) */
} tr_asset;

typedef struct tr_named_partdef {
	char *name;
	tr_partdef *def;
} tr_named_partdef;

typedef struct tr_project {
	char *name;
	char *path;      /* the project file */
	char *dir;       /* its directory: relative paths in the project are relative to it */
	char *warehouse; /* URL, default "duckdb:data/warehouse.duckdb" */
	char *storage;   /* URL, default "sqlite:.tranche/instance.db" */
	tr_named_partdef *partitions;
	size_t n_partitions;
	tr_asset *assets; /* in declaration order */
	size_t n_assets;
	size_t *order; /* n_assets indexes: dependency order (upstream first; ties by declaration) */
	tr_pool *pools; /* `pools:`, in declaration order */
	size_t n_pools;
	void *internal;
} tr_project;

/*
 * Loads the project file at path; a directory means its `tranche.yaml`.
 * sql_file/script_file are read relative to the project's directory.
 * The project's `path` is the file as given (DIR/tranche.yaml for a
 * directory, plain "tranche.yaml" for "."), and names it in messages; `dir`
 * is its absolute directory. A missing file: TR_ENOTFOUND `no tranche.yaml
 * in DIR (create one with "tranche init")`; unreadable: TR_EIO.
 */
int tr_project_load(const char *path, tr_project **out, tr_error *err);
/* The same from text; origin names it in messages (and becomes `path`), dir
   resolves relative files (NULL: "."). */
int tr_project_parse(const char *text, const char *origin, const char *dir, tr_project **out,
		     tr_error *err);
void tr_project_free(tr_project *p); /* p may be NULL */

/* "sql", "script", "command", "http" (static strings). */
const char *tr_asset_kind_name(tr_asset_kind kind);

/* The index of asset `name`; TR_ENOTFOUND "unknown asset "x" (did you mean "y"?)". */
int tr_project_find(const tr_project *p, const char *name, size_t *index, tr_error *err);

/*
 * Resolves a selection into selected[n_assets] (1 = selected):
 *   name        the asset            +name  it and everything upstream
 *   name+       it and downstream    +name+ both
 *   group:x     every asset of group x
 *   tag:k=v     every asset with that tag (tag:k: any value)
 *   *           every asset
 *   a,b,...     the union (spaces around commas are allowed)
 * Dagster's depth-limited forms (2+name, name+1) are accepted too, and the
 * + forms apply to group: and tag: items as well (+group:x).
 * Unknown names, groups or tags: TR_ENOTFOUND naming them; nothing selected.
 * Bad syntax (empty selection, empty item, "2+" alone): TR_EINVAL.
 */
int tr_project_select(const tr_project *p, const char *selection, unsigned char *selected,
		      tr_error *err);

/* Indexes of the assets that depend directly on asset i (into *out, caller frees). */
int tr_project_downstream(const tr_project *p, size_t i, size_t **out, size_t *n, tr_error *err);

#endif
