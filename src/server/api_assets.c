/*
 * api_assets.c — assets and their partitions: the list, one asset's detail,
 * the state of its partitions as counts and key ranges, the heatmap grid,
 * materializations, a metadata series, checks; and dynamic partition keys.
 *
 * Speed: every answer about partitions comes from the exec layer's state
 * (tr_asset_state_get: the stored status summary plus the changes since) as
 * key sets of indexes. Counting, ranges and buckets are merges over the sets'
 * ranges; keys are formatted only for what the answer shows (a range's ends,
 * a bucket's label, a page of keys). Nothing here walks every partition, so a
 * million partitions answer in milliseconds (bench/bench_api.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"
#include "tranche/partitions.h"

#define MAX_RANGES_DEFAULT 1000
#define MAX_RANGES_MAX 100000
#define PAGE_MAX 10000
#define COLS_DEFAULT 1000
#define COLS_MAX 4000
#define ROWS_MAX 500
#define LABELS 10
#define SERIES_MAX 10000
#define SERIES_SCAN 200000 /* materialization events read for a series, at most */
#define CHECKS_MAX 100000
#define DYNAMIC_KEYS_MAX 100000

/* The first four are disjoint; stale is within materialized (docs/api.md). */
enum { S_MATERIALIZED, S_FAILED, S_IN_PROGRESS, S_MISSING, S_STALE, N_STATES };
static const char *const state_names[N_STATES] = {"materialized", "failed", "in_progress",
						  "missing", "stale"};

static const tr_keyset *state_set(const tr_asset_state *s, int k)
{
	switch (k) {
	case S_MATERIALIZED:
		return &s->materialized;
	case S_FAILED:
		return &s->failed;
	case S_IN_PROGRESS:
		return &s->in_progress;
	case S_STALE:
		return &s->stale;
	default:
		return &s->missing;
	}
}

/* The partitions and state of asset i; 0, or -1 after answering. */
static int asset_state(srv_ctx *c, size_t i, tr_partitions **parts, tr_asset_state *state)
{
	const tr_project *p = srv_project(c);
	tr_storage *st = srv_st(c);
	tr_error err = {0};

	*parts = NULL;
	if (!st)
		return -1;
	if (tr_asset_partitions(p, st, i, c->now, parts, &err) ||
	    tr_asset_state_get(p, st, i, *parts, state, &err)) {
		tr_partitions_free(*parts);
		*parts = NULL;
		srv_fail_err(c, &err);
		return -1;
	}
	return 0;
}

static void json_key_at(tr_json *j, const tr_partitions *parts, int64_t index)
{
	tr_buf k = TR_BUF_INIT;

	if (parts && index >= 0 && index < tr_partitions_count(parts) &&
	    !tr_partitions_key(parts, index, &k, NULL))
		tr_json_string(j, tr_buf_str(&k));
	else
		tr_json_null(j);
	tr_buf_release(&k);
}

static void json_counts(tr_json *j, const tr_asset_state *s)
{
	for (int k = 0; k < N_STATES; k++)
		tr_json_kv_int(j, state_names[k], tr_keyset_count(state_set(s, k)));
}

/* ---- the list and one asset --------------------------------------------------------------- */

struct check_counts {
	int64_t passed, failed;
};

/* cc: the list's check counts; NULL for the detail, whose counts are ccd ("checks_status"). */
static void asset_summary(srv_ctx *c, tr_json *j, size_t i, const tr_partitions *parts,
			  const tr_asset_state *s, const struct check_counts *cc,
			  const struct check_counts *ccd)
{
	const tr_project *p = srv_project(c);
	const tr_asset *a = &p->assets[i];
	size_t *down = NULL, n_down = 0;
	tr_event_rec *last = NULL;
	size_t n_last = 0;

	tr_json_kv_string(j, "name", a->name);
	tr_json_kv_string(j, "group", a->group);
	tr_json_kv_string(j, "kind", tr_asset_kind_name(a->kind));
	tr_json_kv_string(j, "table", a->table);
	tr_json_kv_string(j, "description", a->description);
	tr_json_key(j, "deps");
	tr_json_array_begin(j);
	for (size_t d = 0; d < a->n_deps; d++)
		tr_json_string(j, p->assets[a->deps[d].asset].name);
	tr_json_array_end(j);
	tr_json_key(j, "downstream");
	tr_json_array_begin(j);
	if (!tr_project_downstream(p, i, &down, &n_down, NULL))
		for (size_t d = 0; d < n_down; d++)
			tr_json_string(j, p->assets[down[d]].name);
	free(down);
	tr_json_array_end(j);
	tr_json_kv_bool(j, "partitioned", a->partdef != NULL);
	tr_json_key(j, "partitions");
	if (a->partdef) {
		tr_json_object_begin(j);
		tr_json_kv_string(j, "type", tr_partdef_type_name(a->partdef));
		tr_json_kv_string(j, "name", a->partitions_name);
		tr_json_kv_int(j, "total", s->total);
		json_counts(j, s);
		tr_json_object_end(j);
	} else {
		tr_json_null(j);
	}
	tr_json_key(j, "status");
	tr_json_object_begin(j);
	tr_json_kv_int(j, "total", s->total);
	json_counts(j, s);
	tr_json_object_end(j);
	tr_json_key(j, "last_materialization");
	if (!tr_storage_events_latest(c->st, a->name, NULL, "materialization", 0, 1, &last, &n_last,
				      NULL) &&
	    n_last) {
		tr_json_object_begin(j);
		tr_json_kv_int(j, "ts", last[0].ts);
		tr_json_key(j, "run_id");
		if (last[0].run_id)
			tr_json_int(j, last[0].run_id);
		else
			tr_json_null(j);
		tr_json_kv_string(j, "partition", last[0].partition);
		tr_json_kv_int(j, "event_id", last[0].id);
		tr_json_object_end(j);
	} else {
		tr_json_null(j);
	}
	tr_event_recs_free(last, n_last);
	/* the list's checks: counts (the detail lists the declared checks instead) */
	tr_json_key(j, cc ? "checks" : "checks_status");
	tr_json_object_begin(j);
	tr_json_kv_int(j, "declared", (int64_t)a->n_checks);
	tr_json_kv_int(j, "passed", cc ? cc->passed : ccd->passed);
	tr_json_kv_int(j, "failed", cc ? cc->failed : ccd->failed);
	tr_json_object_end(j);
	(void)parts;
}

/* The latest result of each check, counted per asset (cc: n_assets entries). */
static int count_checks(srv_ctx *c, struct check_counts *cc)
{
	const tr_project *p = srv_project(c);
	tr_check_status *rows = NULL;
	size_t n = 0, i = 0;
	tr_error err = {0};

	if (tr_storage_check_status(c->st, NULL, &rows, &n, &err)) {
		srv_fail_err(c, &err);
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		/* sorted by asset: look the name up once per run of rows */
		if (k == 0 || strcmp(rows[k].asset, rows[k - 1].asset))
			if (tr_project_find(p, rows[k].asset, &i, NULL))
				i = SIZE_MAX;
		if (i == SIZE_MAX)
			continue;
		if (rows[k].passed)
			cc[i].passed++;
		else
			cc[i].failed++;
	}
	tr_check_status_free(rows, n);
	return 0;
}

void api_assets(srv_ctx *c)
{
	static const char *const known[] = {"selection", NULL};
	const tr_project *p = srv_project(c);
	const char *selection = srv_query(c, "selection");
	unsigned char *selected = NULL;
	struct check_counts *cc = NULL;
	tr_error err = {0};
	tr_json j;

	if (srv_query_only(c, known) || !srv_st(c))
		return;
	selected = calloc(p->n_assets + 1, 1);
	cc = calloc(p->n_assets + 1, sizeof(*cc));
	if (!selected || !cc) {
		srv_fail(c, 500, "internal", "out of memory");
		goto out;
	}
	if (tr_project_select(p, selection ? selection : "*", selected, &err)) {
		srv_fail(c, err.code == TR_ENOTFOUND ? 404 : 400,
			 err.code == TR_ENOTFOUND ? "not_found" : "bad_request",
			 "query parameter selection: %s", err.msg);
		goto out;
	}
	tr_storage_runs_reap(c->st, srv_wall_ms(), NULL, NULL);
	if (count_checks(c, cc))
		goto out;
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	tr_json_kv_string(&j, "project", p->name);
	tr_json_key(&j, "assets");
	tr_json_array_begin(&j);
	for (size_t k = 0; k < p->n_assets; k++) {
		size_t i = p->order[k];
		tr_partitions *parts = NULL;
		tr_asset_state s;

		if (!selected[i])
			continue;
		if (asset_state(c, i, &parts, &s))
			goto out;
		tr_json_object_begin(&j);
		asset_summary(c, &j, i, parts, &s, &cc[i], NULL);
		tr_json_object_end(&j);
		tr_asset_state_release(&s);
		tr_partitions_free(parts);
	}
	tr_json_array_end(&j);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
out:
	free(selected);
	free(cc);
}

/* A partitions definition as the project declares it, from what the library tells. */
static void def_json(tr_json *j, const tr_partdef *def, const tr_partitions *parts)
{
	tr_json_object_begin(j);
	tr_json_kv_string(j, "type", tr_partdef_type_name(def));
	switch (tr_partdef_kind(def)) {
	case TR_PART_TIME:
		tr_json_key(j, "start");
		{
			/* the first window's key: start as the definition aligns it */
			tr_buf k = TR_BUF_INIT;

			if (parts && !tr_partitions_key(parts, 0, &k, NULL))
				tr_json_string(j, tr_buf_str(&k));
			else
				tr_json_null(j);
			tr_buf_release(&k);
		}
		tr_json_kv_string(j, "timezone", tr_partdef_timezone(def));
		tr_json_kv_string(j, "cron", tr_partdef_cron(def));
		tr_json_kv_string(j, "fmt", tr_partdef_fmt(def));
		tr_json_kv_int(j, "end_offset", tr_partdef_end_offset(def));
		break;
	case TR_PART_DYNAMIC:
		tr_json_kv_string(j, "name", tr_partdef_dynamic_name(def));
		break;
	case TR_PART_STATIC:
		if (parts && tr_partitions_count(parts) <= 1000) {
			tr_json_key(j, "keys");
			tr_json_array_begin(j);
			for (int64_t k = 0; k < tr_partitions_count(parts); k++)
				json_key_at(j, parts, k);
			tr_json_array_end(j);
		}
		break;
	case TR_PART_MULTI:
		tr_json_key(j, "dimensions");
		tr_json_array_begin(j);
		for (size_t d = 0; d < tr_partdef_dimension_count(def); d++) {
			tr_json_object_begin(j);
			tr_json_kv_string(j, "name", tr_partdef_dimension_name(def, d));
			tr_json_key(j, "definition");
			def_json(j, tr_partdef_dimension(def, d),
				 parts ? tr_partitions_dimension(parts, d) : NULL);
			tr_json_object_end(j);
		}
		tr_json_array_end(j);
		break;
	}
	tr_json_object_end(j);
}

static void dimension_json(tr_json *j, const char *name, const tr_partitions *dim)
{
	int64_t n = tr_partitions_count(dim);

	tr_json_object_begin(j);
	tr_json_kv_string(j, "name", name);
	tr_json_kv_string(j, "type", tr_partdef_type_name(tr_partitions_def(dim)));
	tr_json_kv_int(j, "count", n);
	tr_json_key(j, "first");
	json_key_at(j, dim, 0);
	tr_json_key(j, "last");
	json_key_at(j, dim, n - 1);
	tr_json_object_end(j);
}

void api_asset(srv_ctx *c)
{
	static const char *const known[] = {NULL};
	const tr_project *p = srv_project(c);
	struct check_counts *cc = NULL;
	tr_partitions *parts = NULL;
	tr_asset_state s;
	const tr_asset *a;
	size_t i;
	tr_json j;

	if (srv_query_only(c, known) || srv_asset_param(c, &i) || !srv_st(c))
		return;
	a = &p->assets[i];
	cc = calloc(p->n_assets + 1, sizeof(*cc));
	if (!cc) {
		srv_fail(c, 500, "internal", "out of memory");
		return;
	}
	if (count_checks(c, cc) || asset_state(c, i, &parts, &s)) {
		free(cc);
		return;
	}
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	asset_summary(c, &j, i, parts, &s, NULL, &cc[i]);
	tr_json_kv_string(&j, "sql", a->sql);
	tr_json_kv_string(&j, "sql_file", a->sql_file);
	if (a->command) {
		tr_json_key(&j, "command");
		tr_json_array_begin(&j);
		for (size_t k = 0; k < a->command_argc; k++)
			tr_json_string(&j, a->command[k]);
		tr_json_array_end(&j);
	}
	if (a->kind == TR_ASSET_HTTP)
		tr_json_kv_string(&j, "url", a->http.url.source);
	tr_json_key(&j, "partition_expr");
	tr_json_array_begin(&j);
	for (size_t k = 0; k < a->n_partition_expr; k++)
		tr_json_string(&j, a->partition_expr[k]);
	tr_json_array_end(&j);
	tr_json_key(&j, "definition");
	if (a->partdef)
		def_json(&j, a->partdef, parts);
	else
		tr_json_null(&j);
	tr_json_key(&j, "description_of_partitions");
	if (parts) {
		tr_buf text = TR_BUF_INIT;

		if (!tr_partitions_explain(parts, &text, NULL))
			tr_json_string(&j, tr_buf_str(&text));
		else
			tr_json_null(&j);
		tr_buf_release(&text);
	} else {
		tr_json_null(&j);
	}
	tr_json_key(&j, "dimensions");
	tr_json_array_begin(&j);
	if (parts && tr_partdef_kind(a->partdef) == TR_PART_MULTI) {
		for (size_t d = 0; d < tr_partdef_dimension_count(a->partdef); d++)
			dimension_json(&j, tr_partdef_dimension_name(a->partdef, d),
				       tr_partitions_dimension(parts, d));
	} else if (parts) {
		dimension_json(&j,
			       a->partitions_name ? a->partitions_name
						  : tr_partdef_type_name(a->partdef),
			       parts);
	}
	tr_json_array_end(&j);
	tr_json_key(&j, "checks");
	tr_json_array_begin(&j);
	for (size_t k = 0; k < a->n_checks; k++) {
		tr_json_object_begin(&j);
		tr_json_kv_string(&j, "name", a->checks[k].name);
		tr_json_kv_string(&j, "severity", a->checks[k].severity_error ? "error" : "warn");
		tr_json_kv_bool(&j, "blocking", a->checks[k].blocking);
		tr_json_kv_string(&j, "description", a->checks[k].description);
		tr_json_object_end(&j);
	}
	tr_json_array_end(&j);
	tr_json_key(&j, "metadata_names");
	tr_json_array_begin(&j);
	for (size_t k = 0; k < a->n_metadata; k++)
		tr_json_string(&j, a->metadata[k].name);
	tr_json_array_end(&j);
	tr_json_key(&j, "backfill_policy");
	tr_json_object_begin(&j);
	tr_json_kv_string(&j, "type", a->backfill.kind == TR_POLICY_SINGLE_RUN ? "single_run"
									     : "multi_run");
	tr_json_kv_int(&j, "max_partitions_per_run", a->backfill.max_partitions_per_run);
	tr_json_object_end(&j);
	tr_json_kv_string(&j, "pool", a->pool == TR_NO_POOL ? NULL : p->pools[a->pool].name);
	tr_json_key(&j, "retries");
	tr_json_object_begin(&j);
	tr_json_kv_int(&j, "max", a->retries.max);
	tr_json_kv_int(&j, "delay_ms", a->retries.delay_ms);
	tr_json_key(&j, "backoff");
	tr_json_double(&j, a->retries.backoff);
	tr_json_object_end(&j);
	tr_json_kv_string(&j, "code_version", a->code_version);
	tr_json_key(&j, "owners");
	tr_json_array_begin(&j);
	for (size_t k = 0; k < a->n_owners; k++)
		tr_json_string(&j, a->owners[k]);
	tr_json_array_end(&j);
	tr_json_key(&j, "tags");
	tr_json_object_begin(&j);
	for (size_t k = 0; k < a->n_tags; k++)
		tr_json_kv_string(&j, a->tags[k].key, a->tags[k].value);
	tr_json_object_end(&j);
	tr_json_key(&j, "dep_mappings");
	tr_json_array_begin(&j);
	for (size_t d = 0; d < a->n_deps; d++) {
		tr_json_object_begin(&j);
		tr_json_kv_string(&j, "asset", p->assets[a->deps[d].asset].name);
		tr_json_kv_string(&j, "mapping", tr_mapping_type_name(a->deps[d].mapping));
		tr_json_kv_bool(&j, "inferred", a->deps[d].inferred);
		tr_json_object_end(&j);
	}
	tr_json_array_end(&j);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
	tr_asset_state_release(&s);
	tr_partitions_free(parts);
	free(cc);
}

/* ---- partitions: counts, ranges, pages of keys -------------------------------------------------- */

static int parse_state(srv_ctx *c, const char *v, int *k)
{
	for (*k = 0; *k < N_STATES; (*k)++)
		if (!strcmp(v, state_names[*k]))
			return 0;
	srv_fail(c, 400, "bad_request", "query parameter state: \"%.40s\" is not a state "
					"(materialized, failed, in_progress, missing, stale)",
		 v);
	return -1;
}

static void keys_page(srv_ctx *c, const tr_partitions *parts, const tr_asset_state *s, int k)
{
	const tr_keyset *ks = state_set(s, k);
	int64_t offset, limit, total = tr_keyset_count(ks), first;
	tr_json j;

	if (srv_query_int(c, "offset", 0, 0, INT64_MAX - 1, &offset) ||
	    srv_query_int(c, "limit", 100, 1, PAGE_MAX, &limit))
		return;
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	tr_json_kv_string(&j, "state", state_names[k]);
	tr_json_kv_int(&j, "total_in_state", total);
	tr_json_kv_int(&j, "offset", offset);
	tr_json_key(&j, "keys");
	tr_json_array_begin(&j);
	if (offset < total && !tr_keyset_nth(ks, offset, &first)) {
		int64_t shown = 0;
		size_t r = 0;

		/* from the range holding `first`, in order */
		while (r < ks->n && ks->ranges[r].end <= first)
			r++;
		for (; r < ks->n && shown < limit; r++)
			for (int64_t i = first > ks->ranges[r].start ? first : ks->ranges[r].start;
			     i < ks->ranges[r].end && shown < limit; i++, shown++) {
				tr_json_object_begin(&j);
				tr_json_kv_int(&j, "index", i);
				tr_json_key(&j, "key");
				if (parts)
					json_key_at(&j, parts, i);
				else
					tr_json_string(&j, "");
				tr_json_kv_string(&j, "state", state_names[k]);
				tr_json_object_end(&j);
			}
	}
	tr_json_array_end(&j);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
}

void api_asset_partitions(srv_ctx *c)
{
	static const char *const known[] = {"state", "offset", "limit", "max_ranges", NULL};
	const char *state = srv_query(c, "state");
	tr_partitions *parts = NULL;
	tr_asset_state s;
	int64_t max_ranges;
	int truncated = 0, k;
	size_t i;
	tr_json j;

	if (srv_query_only(c, known) || srv_asset_param(c, &i) ||
	    srv_query_int(c, "max_ranges", MAX_RANGES_DEFAULT, 0, MAX_RANGES_MAX, &max_ranges) ||
	    (state && parse_state(c, state, &k)))
		return;
	if ((srv_query(c, "offset") || srv_query(c, "limit")) && !state) {
		srv_fail(c, 400, "bad_request", "offset and limit page the keys of one state: give "
						"state=materialized|failed|in_progress|missing|stale");
		return;
	}
	if (asset_state(c, i, &parts, &s))
		return;
	if (state) {
		keys_page(c, parts, &s, k);
		goto out;
	}
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	tr_json_kv_string(&j, "asset", srv_project(c)->assets[i].name);
	tr_json_kv_bool(&j, "partitioned", parts != NULL);
	tr_json_kv_int(&j, "total", s.total);
	tr_json_key(&j, "counts");
	tr_json_object_begin(&j);
	json_counts(&j, &s);
	tr_json_object_end(&j);
	tr_json_key(&j, "ranges");
	tr_json_object_begin(&j);
	for (k = 0; k < N_STATES; k++) {
		const tr_keyset *ks = state_set(&s, k);
		size_t shown = ks->n < (size_t)max_ranges ? ks->n : (size_t)max_ranges;

		truncated |= shown < ks->n;
		tr_json_key(&j, state_names[k]);
		tr_json_array_begin(&j);
		for (size_t r = 0; r < shown; r++) {
			tr_json_array_begin(&j);
			tr_json_int(&j, ks->ranges[r].start);
			tr_json_int(&j, ks->ranges[r].end - 1);
			if (parts) {
				json_key_at(&j, parts, ks->ranges[r].start);
				json_key_at(&j, parts, ks->ranges[r].end - 1);
			} else {
				tr_json_string(&j, "");
				tr_json_string(&j, "");
			}
			tr_json_array_end(&j);
		}
		tr_json_array_end(&j);
	}
	tr_json_object_end(&j);
	tr_json_key(&j, "range_counts");
	tr_json_object_begin(&j);
	for (k = 0; k < N_STATES; k++)
		tr_json_kv_int(&j, state_names[k], (int64_t)state_set(&s, k)->n);
	tr_json_object_end(&j);
	tr_json_kv_bool(&j, "ranges_truncated", truncated);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
out:
	tr_asset_state_release(&s);
	tr_partitions_free(parts);
}

/* ---- the grid ------------------------------------------------------------------------------------ */

/* Adds the partitions [a, b) of an axis from..to (buckets of size bs) to counts[bucket*4+k]. */
static void spread(int64_t *counts, int k, int64_t a, int64_t b, int64_t from, int64_t to,
		   int64_t bs)
{
	int64_t first_b, last_b;

	if (a < from)
		a = from;
	if (b > to + 1)
		b = to + 1;
	if (a >= b)
		return;
	first_b = (a - from) / bs;
	last_b = (b - 1 - from) / bs;
	if (first_b == last_b) {
		counts[first_b * N_STATES + k] += b - a;
		return;
	}
	counts[first_b * N_STATES + k] += from + (first_b + 1) * bs - a;
	for (int64_t q = first_b + 1; q < last_b; q++)
		counts[q * N_STATES + k] += bs;
	counts[last_b * N_STATES + k] += b - (from + last_b * bs);
}

/* Appends a count (>= 0) in decimal: the grid writes millions of them. */
static void add_count(tr_buf *b, int64_t v)
{
	char digits[24];
	size_t n = 0;

	if (v < 0) {
		tr_buf_addc(b, '-');
		v = -v;
	}
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof(digits));
	while (n)
		tr_buf_addc(b, digits[--n]);
}

/*
 * An array of cols buckets [m, f, p, x, s] as one JSON value: written by hand
 * (numbers only, nothing to escape) and handed to the writer whole, because a
 * grid of 500 x 1000 cells is two million numbers.
 */
static void json_buckets(tr_json *j, const int64_t *counts, int64_t cols, tr_buf *scratch)
{
	tr_buf_reset(scratch);
	tr_buf_addc(scratch, '[');
	for (int64_t col = 0; col < cols; col++) {
		const int64_t *c4 = counts + col * N_STATES;

		tr_buf_adds(scratch, col ? ",[" : "[");
		for (int k = 0; k < N_STATES; k++) {
			if (k)
				tr_buf_addc(scratch, ',');
			add_count(scratch, c4[k]);
		}
		tr_buf_addc(scratch, ']');
	}
	tr_buf_addc(scratch, ']');
	tr_json_raw(j, tr_buf_str(scratch));
}

/*
 * An index parameter of the grid (from, to, rows_from, rows_to): a whole
 * number >= 0 (absent: def); n is the size of its axis, for the message.
 * 0, or -1 after answering 400.
 */
static int index_param(srv_ctx *c, const char *key, int64_t def, int64_t n, const char *unit,
		       int64_t *out)
{
	const char *v = srv_query(c, key);
	char *end = NULL;
	long long x;
	char quoted[96];

	*out = def;
	if (!v)
		return 0;
	x = strtoll(v, &end, 10);
	if (!*v || *end || *v == ' ' || *v == '+' || x < 0 || x >= INT64_MAX) {
		srv_fail(c, 400, "bad_request",
			 "query parameter %s: \"%s\" is not an index (a whole number from 0; "
			 "there are %lld %s, 0 to %lld, and a larger end means the last)",
			 key, tr_error_quote(quoted, sizeof(quoted), v, strlen(v)), (long long)n,
			 unit, (long long)(n - 1));
		return -1;
	}
	*out = x;
	return 0;
}

/*
 * from/to/cols of an axis of n partitions; 0, or -1 after answering 400.
 * A `to` past the end is taken as the end, as a slice does (the axis grows
 * with time: a client may ask for more than there is); a `from` after `to`
 * (so a `from` past the end too), a negative or non-numeric index is a 400.
 */
static int axis(srv_ctx *c, int64_t n, int64_t *from, int64_t *to, int64_t *cols, int64_t *bs)
{
	int64_t want;

	if (index_param(c, "from", 0, n, "partitions", from) ||
	    index_param(c, "to", n - 1, n, "partitions", to) ||
	    srv_query_int(c, "cols", COLS_DEFAULT, 1, COLS_MAX, &want))
		return -1;
	if (*to > n - 1)
		*to = n - 1;
	if (n > 0 && *from > n - 1) {
		srv_fail(c, 400, "bad_request", "query parameter from: %lld is past the end (the "
						"axis has %lld partitions: indexes 0 to %lld)",
			 (long long)*from, (long long)n, (long long)(n - 1));
		return -1;
	}
	if (n > 0 && *from > *to) {
		srv_fail(c, 400, "bad_request", "query parameters from (%lld) and to (%lld): from "
						"must not be after to",
			 (long long)*from, (long long)*to);
		return -1;
	}
	if (n == 0) {
		*from = 0;
		*to = -1;
		*cols = 0;
		*bs = 1;
		return 0;
	}
	*bs = (*to - *from + 1 + want - 1) / want;
	*cols = (*to - *from + 1 + *bs - 1) / *bs;
	return 0;
}

static void labels_json(tr_json *j, const tr_partitions *parts, int64_t from, int64_t cols,
			int64_t bs)
{
	int64_t every = cols / LABELS > 0 ? cols / LABELS : 1;

	tr_json_key(j, "labels");
	tr_json_array_begin(j);
	for (int64_t col = 0; col < cols; col += every) {
		tr_json_object_begin(j);
		tr_json_kv_int(j, "col", col);
		tr_json_kv_int(j, "index", from + col * bs);
		tr_json_key(j, "key");
		if (parts)
			json_key_at(j, parts, from + col * bs);
		else
			tr_json_string(j, "");
		tr_json_object_end(j);
	}
	tr_json_array_end(j);
}

/*
 * bucket_keys: the first and last key of each of the cols buckets of an axis
 * from..to, [[first, last], ...] (both "" for an unpartitioned asset): what a
 * tooltip shows, without asking again. Keys formatted: 2 per bucket.
 */
static void bucket_keys_json(tr_json *j, const tr_partitions *parts, int64_t from, int64_t to,
			     int64_t cols, int64_t bs)
{
	tr_json_key(j, "bucket_keys");
	tr_json_array_begin(j);
	for (int64_t col = 0; col < cols; col++) {
		int64_t a = from + col * bs, b = a + bs - 1 < to ? a + bs - 1 : to;

		tr_json_array_begin(j);
		if (parts) {
			json_key_at(j, parts, a);
			json_key_at(j, parts, b);
		} else {
			tr_json_string(j, "");
			tr_json_string(j, "");
		}
		tr_json_array_end(j);
	}
	tr_json_array_end(j);
}

static void grid_strip(srv_ctx *c, const tr_partitions *parts, const tr_asset_state *s,
		       int with_keys)
{
	int64_t from, to, cols, bs;
	int64_t *counts;
	tr_buf scratch = TR_BUF_INIT;
	tr_json j;

	if (axis(c, s->total, &from, &to, &cols, &bs))
		return;
	counts = calloc((size_t)(cols ? cols : 1) * N_STATES, sizeof(*counts));
	if (!counts) {
		srv_fail(c, 500, "internal", "out of memory");
		return;
	}
	for (int k = 0; k < N_STATES && cols; k++) {
		const tr_keyset *ks = state_set(s, k);
		size_t lo = 0, hi = ks->n;

		/* the first range that ends after from */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (ks->ranges[mid].end <= from)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t r = lo; r < ks->n && ks->ranges[r].start <= to; r++)
			spread(counts, k, ks->ranges[r].start, ks->ranges[r].end, from, to, bs);
	}
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	tr_json_kv_string(&j, "kind", "strip");
	tr_json_kv_int(&j, "total", s->total);
	tr_json_kv_int(&j, "from", from);
	tr_json_kv_int(&j, "to", to);
	tr_json_kv_int(&j, "cols", cols);
	tr_json_kv_int(&j, "bucket_size", bs);
	tr_json_key(&j, "buckets");
	json_buckets(&j, counts, cols, &scratch);
	labels_json(&j, parts, from, cols, bs);
	if (with_keys)
		bucket_keys_json(&j, parts, from, to, cols, bs);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
	if (tr_buf_failed(&scratch))
		srv_fail(c, 500, "internal", "out of memory writing the grid");
	tr_buf_release(&scratch);
	free(counts);
}

/*
 * A multi definition as rows × columns: the column dimension is its time
 * dimension (else its last one); rows are the keys of the other dimensions
 * together, in index order. index = (p * T + t) * Q + q, where t is the
 * column dimension's index, p the dimensions before it, q those after:
 * row = p * Q + q.
 */
static void grid_multi(srv_ctx *c, const tr_partitions *parts, const tr_asset_state *s,
		       int with_keys)
{
	const tr_partdef *def = tr_partitions_def(parts);
	size_t nd = tr_partdef_dimension_count(def), cd = nd - 1;
	int64_t T, P = 1, Q = 1, R, from, to, cols, bs, rows_from, rows_to, rows_to_def, nrows;
	int64_t *cells = NULL, dix[16];
	tr_buf scratch = TR_BUF_INIT;
	tr_json j;

	for (size_t d = 0; d < nd; d++)
		if (tr_partdef_kind(tr_partdef_dimension(def, d)) == TR_PART_TIME) {
			cd = d;
			break;
		}
	if (nd > 16) {
		srv_fail(c, 400, "bad_request", "a grid of more than 16 dimensions");
		return;
	}
	T = tr_partitions_count(tr_partitions_dimension(parts, cd));
	for (size_t d = 0; d < nd; d++) {
		int64_t n = tr_partitions_count(tr_partitions_dimension(parts, d));

		if (d < cd)
			P *= n;
		else if (d > cd)
			Q *= n;
	}
	R = P * Q;
	if (axis(c, T, &from, &to, &cols, &bs) ||
	    index_param(c, "rows_from", 0, R, "rows", &rows_from))
		return;
	/* a page of ROWS_MAX rows, or to the last; rows_to past the last is the last */
	rows_to_def = rows_from < R - ROWS_MAX ? rows_from + ROWS_MAX - 1 : R - 1;
	if (index_param(c, "rows_to", rows_to_def, R, "rows", &rows_to))
		return;
	if (rows_to > R - 1)
		rows_to = R - 1;
	if (R > 0 && rows_from > R - 1) {
		srv_fail(c, 400, "bad_request", "query parameter rows_from: %lld is past the end "
						"(the grid has %lld rows: 0 to %lld)",
			 (long long)rows_from, (long long)R, (long long)(R - 1));
		return;
	}
	if (R > 0 && rows_to < rows_from) {
		srv_fail(c, 400, "bad_request", "query parameters rows_from (%lld) and rows_to (%lld): "
						"rows_from must not be after rows_to",
			 (long long)rows_from, (long long)rows_to);
		return;
	}
	if (rows_to - rows_from + 1 > ROWS_MAX) {
		srv_fail(c, 400, "bad_request", "query parameters rows_from and rows_to: at most %d "
						"rows at once (page with rows_from)",
			 ROWS_MAX);
		return;
	}
	nrows = R > 0 ? rows_to - rows_from + 1 : 0;
	if (T == 0 || R == 0)
		nrows = cols = 0;
	cells = calloc((size_t)((nrows ? nrows : 1) * (cols ? cols : 1) * N_STATES), sizeof(*cells));
	if (!cells) {
		srv_fail(c, 500, "internal", "out of memory");
		return;
	}
	for (int k = 0; k < N_STATES && nrows && cols; k++) {
		const tr_keyset *ks = state_set(s, k);

		for (size_t r = 0; r < ks->n; r++) {
			int64_t i = ks->ranges[r].start, b = ks->ranges[r].end;

			while (i < b) {
				int64_t p = i / (T * Q), rem = i % (T * Q), t = rem / Q, q = rem % Q;
				int64_t row0 = p * Q, step;

				if (row0 + Q - 1 < rows_from || row0 > rows_to) {
					/* none of this p's rows is on the page: to the next p */
					i = (p + 1) * T * Q;
					continue;
				}
				if (Q == 1) {
					int64_t t_end = t + (b - i) < T ? t + (b - i) : T;

					spread(cells + (p - rows_from) * cols * N_STATES, k, t, t_end,
					       from, to, bs);
					step = t_end - t;
				} else {
					int64_t q_end = q + (b - i) < Q ? q + (b - i) : Q;

					if (t < from) {
						/* to this p's first t on the axis */
						i = ((p * T) + from) * Q;
						continue;
					}
					if (t <= to) {
						int64_t col = (t - from) / bs;

						for (int64_t qq = q; qq < q_end; qq++) {
							int64_t row = row0 + qq;

							if (row >= rows_from && row <= rows_to)
								cells[((row - rows_from) * cols + col) *
									      N_STATES +
								      k]++;
						}
					} else if (t > to) {
						/* later t of this p are off the axis: to the next p */
						q_end = Q;
						step = (p + 1) * T * Q - i;
						i += step;
						continue;
					}
					step = q_end - q;
				}
				i += step;
			}
		}
	}
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	tr_json_kv_string(&j, "kind", "grid");
	tr_json_kv_int(&j, "total", s->total);
	tr_json_kv_string(&j, "col_dimension", tr_partdef_dimension_name(def, cd));
	tr_json_key(&j, "row_dimensions");
	tr_json_array_begin(&j);
	for (size_t d = 0; d < nd; d++)
		if (d != cd)
			tr_json_string(&j, tr_partdef_dimension_name(def, d));
	tr_json_array_end(&j);
	tr_json_kv_int(&j, "rows_total", R);
	tr_json_kv_int(&j, "rows_from", rows_from);
	tr_json_kv_int(&j, "rows_to", rows_from + nrows - 1);
	tr_json_key(&j, "rows");
	tr_json_array_begin(&j);
	for (int64_t row = rows_from; row < rows_from + nrows; row++) {
		tr_buf key = TR_BUF_INIT;
		int64_t p = row / Q, q = row % Q;

		tr_partitions_split(parts, (p * T) * Q + q, dix);
		for (size_t d = 0; d < nd; d++) {
			if (d == cd)
				continue;
			if (key.len)
				tr_buf_addc(&key, '|');
			tr_partitions_key(tr_partitions_dimension(parts, d), dix[d], &key, NULL);
		}
		tr_json_string(&j, tr_buf_str(&key));
		tr_buf_release(&key);
	}
	tr_json_array_end(&j);
	tr_json_kv_int(&j, "from", from);
	tr_json_kv_int(&j, "to", to);
	tr_json_kv_int(&j, "cols", cols);
	tr_json_kv_int(&j, "bucket_size", bs);
	tr_json_key(&j, "cells");
	tr_json_array_begin(&j);
	for (int64_t row = 0; row < nrows; row++)
		json_buckets(&j, cells + row * cols * N_STATES, cols, &scratch);
	tr_json_array_end(&j);
	labels_json(&j, tr_partitions_dimension(parts, cd), from, cols, bs);
	if (with_keys)
		bucket_keys_json(&j, tr_partitions_dimension(parts, cd), from, to, cols, bs);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
	if (tr_buf_failed(&scratch))
		srv_fail(c, 500, "internal", "out of memory writing the grid");
	tr_buf_release(&scratch);
	free(cells);
}

void api_asset_grid(srv_ctx *c)
{
	static const char *const known[] = {"from",    "to",   "cols",        "rows_from",
					    "rows_to", "kind", "bucket_keys", NULL};
	const char *kind = srv_query(c, "kind");
	tr_partitions *parts = NULL;
	tr_asset_state s;
	int64_t with_keys;
	size_t i;
	int multi;

	if (srv_query_only(c, known) || srv_query_int(c, "bucket_keys", 0, 0, 1, &with_keys) ||
	    srv_asset_param(c, &i))
		return;
	if (kind && strcmp(kind, "strip") && strcmp(kind, "grid")) {
		srv_fail(c, 400, "bad_request", "query parameter kind: \"%.40s\" (valid: strip, grid)",
			 kind);
		return;
	}
	if (asset_state(c, i, &parts, &s))
		return;
	multi = parts && tr_partdef_kind(tr_partitions_def(parts)) == TR_PART_MULTI;
	if (kind && !strcmp(kind, "grid") && !multi)
		srv_fail(c, 400, "bad_request", "kind=grid needs a multi-partitioned asset; %s is %s",
			 srv_project(c)->assets[i].name,
			 parts ? tr_partdef_type_name(tr_partitions_def(parts)) : "unpartitioned");
	else if (multi && !(kind && !strcmp(kind, "strip")))
		grid_multi(c, parts, &s, (int)with_keys);
	else
		grid_strip(c, parts, &s, (int)with_keys);
	tr_asset_state_release(&s);
	tr_partitions_free(parts);
}

/* ---- materializations, a metadata series, checks -------------------------------------------------- */

/* The row count of a materialization's data ({"row_count": N, ...} first), or -1. */
static int64_t data_row_count(const char *data)
{
	static const char prefix[] = "{\"row_count\":";

	if (!data || strncmp(data, prefix, sizeof(prefix) - 1))
		return -1;
	return strtoll(data + sizeof(prefix) - 1, NULL, 10);
}

/* A partition key of asset i given in the query: checked, "" when unpartitioned. 0 or -1. */
static int partition_param(srv_ctx *c, size_t i, const char **key)
{
	const tr_project *p = srv_project(c);
	tr_partitions *parts = NULL;
	tr_error err = {0};
	int64_t index;

	*key = srv_query(c, "partition");
	if (!*key)
		return 0;
	if (!p->assets[i].partdef) {
		if (**key) {
			srv_fail(c, 400, "bad_request", "query parameter partition: %s is not "
							"partitioned (omit partition, or give \"\")",
				 p->assets[i].name);
			return -1;
		}
		return 0;
	}
	if (!srv_st(c))
		return -1;
	if (tr_asset_partitions(p, c->st, i, c->now, &parts, &err) ||
	    (tr_partitions_index(parts, *key, &index, &err) && err.code != TR_ERANGE)) {
		srv_fail(c, 400, "bad_request", "query parameter partition: %s", err.msg);
		tr_partitions_free(parts);
		return -1;
	}
	tr_partitions_free(parts);
	return 0;
}

void api_asset_materializations(srv_ctx *c)
{
	static const char *const known[] = {"partition", "limit", "before", NULL};
	const char *key;
	int64_t limit, before;
	tr_event_rec *evs = NULL;
	size_t n = 0, i;
	tr_error err = {0};
	tr_json j;

	if (srv_query_only(c, known) || srv_asset_param(c, &i) ||
	    srv_query_int(c, "limit", 50, 1, 1000, &limit) ||
	    srv_query_int(c, "before", 0, 0, INT64_MAX - 1, &before) || partition_param(c, i, &key) ||
	    !srv_st(c))
		return;
	if (tr_storage_events_latest(c->st, srv_project(c)->assets[i].name, key, "materialization",
				     before, (size_t)limit, &evs, &n, &err)) {
		srv_fail_err(c, &err);
		return;
	}
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	tr_json_key(&j, "materializations");
	tr_json_array_begin(&j);
	for (size_t k = 0; k < n; k++) {
		int64_t rows = data_row_count(evs[k].data);

		tr_json_object_begin(&j);
		tr_json_kv_int(&j, "event_id", evs[k].id);
		tr_json_key(&j, "run_id");
		if (evs[k].run_id)
			tr_json_int(&j, evs[k].run_id);
		else
			tr_json_null(&j);
		tr_json_kv_int(&j, "ts", evs[k].ts);
		tr_json_kv_string(&j, "partition", evs[k].partition);
		tr_json_key(&j, "row_count");
		if (rows >= 0)
			tr_json_int(&j, rows);
		else
			tr_json_null(&j);
		tr_json_kv_string(&j, "message", evs[k].message);
		tr_json_key(&j, "metadata");
		if (evs[k].data && *evs[k].data)
			tr_json_raw(&j, evs[k].data);
		else
			tr_json_null(&j);
		tr_json_object_end(&j);
	}
	tr_json_array_end(&j);
	tr_json_kv_bool(&j, "more", n == (size_t)limit);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
	tr_event_recs_free(evs, n);
}

/* A set of strings (partitions seen), open addressing. */
struct strset {
	char **slots;
	size_t cap, n;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* 1 when s was added, 0 when it was there, -1 out of memory. s is kept (not copied). */
static int strset_add(struct strset *set, char *s)
{
	size_t slot;

	if ((set->n + 1) * 2 > set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 256;
		char **slots = calloc(cap, sizeof(*slots));

		if (!slots)
			return -1;
		for (size_t k = 0; k < set->cap; k++)
			if (set->slots[k]) {
				size_t at = str_hash(set->slots[k]) % cap;

				while (slots[at])
					at = (at + 1) % cap;
				slots[at] = set->slots[k];
			}
		free(set->slots);
		set->slots = slots;
		set->cap = cap;
	}
	for (slot = str_hash(s) % set->cap; set->slots[slot]; slot = (slot + 1) % set->cap)
		if (!strcmp(set->slots[slot], s))
			return 0;
	set->slots[slot] = s;
	set->n++;
	return 1;
}

struct point {
	char *partition;
	int64_t index, ts;
	double value;
};

static int point_cmp(const void *a, const void *b)
{
	const struct point *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

/* The numeric value `name` of a materialization's data: top level, else under "metadata". */
static int data_value(const char *data, const char *name, double *out)
{
	tr_node *doc = NULL;
	const tr_node *v;
	int found = 0;

	if (!data || tr_node_parse(data, strlen(data), "data", &doc, NULL))
		return 0;
	v = tr_node_get(doc, name);
	if (!v)
		v = tr_node_get(tr_node_get(doc, "metadata"), name);
	if (v && v->kind == TR_NODE_SCALAR && !v->quoted && v->scalar[0]) {
		char *end;
		double d = strtod(v->scalar, &end);

		if (!*end && isfinite(d)) {
			*out = d;
			found = 1;
		}
	}
	tr_node_free(doc);
	return found;
}

void api_asset_metadata_series(srv_ctx *c)
{
	static const char *const known[] = {"name", "limit", NULL};
	const tr_project *p = srv_project(c);
	const char *name = srv_query(c, "name");
	tr_partitions *parts = NULL;
	struct strset seen = {0};
	struct point *points = NULL;
	size_t n_points = 0, i, scanned = 0;
	int64_t limit, before = 0;
	tr_error err = {0};
	tr_json j;
	int done = 0;

	if (srv_query_only(c, known) || srv_asset_param(c, &i) ||
	    srv_query_int(c, "limit", 1000, 1, SERIES_MAX, &limit) || !srv_st(c))
		return;
	if (!name || !*name) {
		srv_fail(c, 400, "bad_request", "query parameter name: which value (row_count, "
						"rows_deleted, duration_ms, or a metadata name of "
						"the asset)");
		return;
	}
	if (tr_asset_partitions(p, c->st, i, c->now, &parts, &err)) {
		srv_fail_err(c, &err);
		return;
	}
	points = calloc((size_t)limit, sizeof(*points));
	if (!points) {
		srv_fail(c, 500, "internal", "out of memory");
		goto out;
	}
	/* newest first: the first event of a partition is its latest materialization */
	while (!done && (int64_t)n_points < limit && scanned < SERIES_SCAN) {
		tr_event_rec *evs = NULL;
		size_t n = 0;

		if (tr_storage_events_latest(c->st, p->assets[i].name, NULL, "materialization", before,
					     2000, &evs, &n, &err)) {
			srv_fail_err(c, &err);
			goto out;
		}
		done = n < 2000;
		scanned += n;
		for (size_t k = 0; k < n && (int64_t)n_points < limit; k++) {
			struct point *pt = &points[n_points];
			int added;

			before = evs[k].id;
			if (!data_value(evs[k].data, name, &pt->value))
				continue;
			pt->partition = evs[k].partition;
			added = strset_add(&seen, pt->partition);
			if (added < 0) {
				tr_event_recs_free(evs, n);
				srv_fail(c, 500, "internal", "out of memory");
				goto out;
			}
			if (!added)
				continue;
			evs[k].partition = NULL; /* kept by the point */
			pt->ts = evs[k].ts;
			pt->index = -1;
			if (parts)
				tr_partitions_index(parts, pt->partition, &pt->index, NULL);
			else
				pt->index = 0;
			n_points++;
		}
		tr_event_recs_free(evs, n);
	}
	qsort(points, n_points, sizeof(*points), point_cmp);
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	tr_json_kv_string(&j, "name", name);
	tr_json_key(&j, "points");
	tr_json_array_begin(&j);
	for (size_t k = 0; k < n_points; k++) {
		tr_json_object_begin(&j);
		tr_json_kv_string(&j, "partition", points[k].partition);
		tr_json_kv_int(&j, "index", points[k].index);
		tr_json_kv_int(&j, "ts", points[k].ts);
		tr_json_key(&j, "value");
		tr_json_double(&j, points[k].value);
		tr_json_object_end(&j);
	}
	tr_json_array_end(&j);
	tr_json_kv_bool(&j, "truncated", (int64_t)n_points == limit || scanned >= SERIES_SCAN);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
out:
	for (size_t k = 0; k < n_points; k++)
		free(points[k].partition);
	free(points);
	free(seen.slots);
	tr_partitions_free(parts);
}

void api_asset_checks(srv_ctx *c)
{
	static const char *const known[] = {"partition", "limit", NULL};
	const char *key;
	tr_check_status *rows = NULL;
	size_t n = 0, i, shown = 0;
	int64_t limit;
	tr_error err = {0};
	tr_json j;

	if (srv_query_only(c, known) || srv_asset_param(c, &i) ||
	    srv_query_int(c, "limit", 1000, 1, CHECKS_MAX, &limit) || partition_param(c, i, &key) ||
	    !srv_st(c))
		return;
	if (tr_storage_check_status(c->st, srv_project(c)->assets[i].name, &rows, &n, &err)) {
		srv_fail_err(c, &err);
		return;
	}
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	tr_json_key(&j, "checks");
	tr_json_array_begin(&j);
	for (size_t k = 0; k < n && (int64_t)shown < limit; k++) {
		const tr_check_status *r = &rows[k];

		if (key && strcmp(key, r->partition))
			continue;
		shown++;
		tr_json_object_begin(&j);
		tr_json_kv_string(&j, "name", r->check);
		tr_json_kv_string(&j, "severity", r->severity);
		tr_json_kv_string(&j, "partition", r->partition);
		tr_json_kv_bool(&j, "passed", r->passed);
		tr_json_kv_string(&j, "message", r->message);
		tr_json_kv_int_or_null(&j, "run_id", r->run_id);
		tr_json_kv_int(&j, "ts", r->ts);
		tr_json_object_end(&j);
	}
	tr_json_array_end(&j);
	tr_json_kv_bool(&j, "truncated", (int64_t)shown == limit);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
	tr_check_status_free(rows, n);
}

/* ---- dynamic partitions ------------------------------------------------------------------------- */

/* Does the project use dynamic set `name`? *in_multi: as a dimension of a multi definition. */
static int uses_set(const tr_partdef *def, const char *name, int nested, int *in_multi)
{
	if (!def)
		return 0;
	if (tr_partdef_kind(def) == TR_PART_DYNAMIC && !strcmp(tr_partdef_dynamic_name(def), name)) {
		*in_multi |= nested;
		return 1;
	}
	if (tr_partdef_kind(def) == TR_PART_MULTI) {
		int found = 0;

		for (size_t d = 0; d < tr_partdef_dimension_count(def); d++)
			found |= uses_set(tr_partdef_dimension(def, d), name, 1, in_multi);
		return found;
	}
	return 0;
}

static void set_names(const tr_partdef *def, tr_buf *out)
{
	if (!def)
		return;
	if (tr_partdef_kind(def) == TR_PART_DYNAMIC) {
		const char *name = tr_partdef_dynamic_name(def);
		tr_buf quoted = TR_BUF_INIT;

		tr_buf_addf(&quoted, "\"%s\"", name);
		if (!strstr(tr_buf_str(out), tr_buf_str(&quoted)))
			tr_buf_addf(out, "%s%s", out->len ? ", " : "", tr_buf_str(&quoted));
		tr_buf_release(&quoted);
	}
	if (tr_partdef_kind(def) == TR_PART_MULTI)
		for (size_t d = 0; d < tr_partdef_dimension_count(def); d++)
			set_names(tr_partdef_dimension(def, d), out);
}

/* The dynamic set named by the path; 0, or -1 after answering 404. */
static int dynamic_set(srv_ctx *c, int *in_multi)
{
	const tr_project *p = srv_project(c);
	const char *name = c->params[0];
	int found = 0;
	tr_buf names = TR_BUF_INIT;

	*in_multi = 0;
	for (size_t k = 0; k < p->n_partitions; k++)
		found |= uses_set(p->partitions[k].def, name, 0, in_multi);
	for (size_t k = 0; k < p->n_assets; k++)
		found |= uses_set(p->assets[k].partdef, name, 0, in_multi);
	if (found)
		return 0;
	for (size_t k = 0; k < p->n_partitions; k++)
		set_names(p->partitions[k].def, &names);
	for (size_t k = 0; k < p->n_assets; k++)
		set_names(p->assets[k].partdef, &names);
	srv_fail(c, 404, "not_found",
		 "no dynamic partitions definition of the project uses the set \"%.100s\" (%s%s)",
		 name, names.len ? "sets: " : "the project has none",
		 names.len ? tr_buf_str(&names) : "");
	tr_buf_release(&names);
	return -1;
}

static void keys_answer(srv_ctx *c, const char *name, int64_t changed, int with_changed)
{
	char **keys = NULL;
	size_t n = 0;
	tr_error err = {0};
	tr_json j;

	if (tr_storage_dynamic_keys(c->st, name, &keys, &n, &err)) {
		srv_fail_err(c, &err);
		return;
	}
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	tr_json_kv_string(&j, "name", name);
	if (with_changed)
		tr_json_kv_int(&j, "changed", changed);
	tr_json_kv_int(&j, "count", (int64_t)n);
	tr_json_key(&j, "keys");
	tr_json_array_begin(&j);
	for (size_t k = 0; k < n && k < DYNAMIC_KEYS_MAX; k++)
		tr_json_string(&j, keys[k]);
	tr_json_array_end(&j);
	tr_json_kv_bool(&j, "keys_truncated", n > DYNAMIC_KEYS_MAX);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
	tr_strv_free(keys, n);
}

void api_dynamic_get(srv_ctx *c)
{
	static const char *const known[] = {NULL};
	int in_multi;

	if (srv_query_only(c, known) || dynamic_set(c, &in_multi) || !srv_st(c))
		return;
	keys_answer(c, c->params[0], 0, 0);
}

void api_dynamic_post(srv_ctx *c)
{
	static const char *const fields[] = {"add", "delete", NULL};
	const tr_node *body;
	const char **add = NULL, **del = NULL;
	size_t n_add = 0, n_del = 0, changed = 0;
	int in_multi;
	tr_error err = {0};

	if (srv_body(c, fields, &body) || dynamic_set(c, &in_multi) ||
	    srv_body_strings(c, body, "add", DYNAMIC_KEYS_MAX, &add, &n_add) ||
	    srv_body_strings(c, body, "delete", DYNAMIC_KEYS_MAX, &del, &n_del))
		goto out;
	if ((tr_node_get(body, "add") != NULL) + (tr_node_get(body, "delete") != NULL) != 1) {
		srv_fail(c, 400, "bad_request", "request body: give one of add or delete, a list of "
						"keys: {\"add\": [\"IBM\"]}");
		goto out;
	}
	/* every key first: all or nothing */
	for (size_t k = 0; k < n_add + n_del; k++) {
		const char *key = k < n_add ? add[k] : del[k - n_add];

		if (tr_partition_key_check(key, in_multi, &err)) {
			srv_fail(c, 400, "bad_request", "request body: %s[%zu]: %s",
				 k < n_add ? "add" : "delete", k < n_add ? k : k - n_add, err.msg);
			goto out;
		}
	}
	if (!srv_st(c))
		goto out;
	if (n_add ? tr_storage_dynamic_add(c->st, c->params[0], add, n_add, &changed, &err)
		  : tr_storage_dynamic_delete(c->st, c->params[0], del, n_del, &changed, &err)) {
		srv_fail_err(c, &err);
		goto out;
	}
	keys_answer(c, c->params[0], (int64_t)changed, 1);
out:
	free(add);
	free(del);
}
