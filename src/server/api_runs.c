/*
 * api_runs.c — the server's own state (health, reload), runs and their
 * events (lists, detail, streams, cancel), backfills (list, detail, create,
 * cancel, resume) and materialize. Shapes: docs/api.md; backfills as
 * `tranche backfills --json` and `tranche backfill show ID --json` print them.
 *
 * Bounds: a run's detail lists a page of its steps and a timeline summed up
 * per asset (its size grows with assets, not steps); a stream replays at most
 * REPLAY_MAX past events. Cancels of this server's runs answer once the run
 * has let go of its partitions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"
#include "tranche/partitions.h"
#include "tranche/time.h"
#include "tranche/version.h"

#define RUNS_LIMIT_MAX 1000
#define EVENTS_LIMIT_MAX 5000
#define RUN_EVENTS_PAGE 10000    /* a run's events read at once for its steps */
#define RUN_EVENTS_MAX 3000000   /* ...and at most, for one answer (1M steps) */
#define STEPS_LIMIT_DEFAULT 500  /* steps listed by GET /api/runs/ID */
#define STEPS_LIMIT_MAX 5000
#define STEPS_OFFSET_MAX ((int64_t)1 << 40)
#define TIMELINE_BUCKETS_DEFAULT 50
#define TIMELINE_BUCKETS_MAX 500
#define REPLAY_DEFAULT 1000 /* events a stream sends of the past */
#define REPLAY_MAX 10000
#define CANCEL_WAIT_MS 10000 /* a cancel waits this long for the run to let go */
#define KEYS_MAX 100000

/* ---- the server ---------------------------------------------------------------------------- */

void api_health(srv_ctx *c)
{
	static const char *const known[] = {NULL};
	const tr_project *p;
	tr_json j;
	char *error;
	size_t running;

	if (srv_query_only(c, known))
		return;
	p = srv_project(c);
	pthread_mutex_lock(&c->s->mu);
	error = c->s->proj_error ? strdup(c->s->proj_error) : NULL;
	running = c->s->n_running;
	pthread_mutex_unlock(&c->s->mu);
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	tr_json_kv_bool(&j, "ok", 1);
	tr_json_kv_string(&j, "version", TRANCHE_VERSION);
	tr_json_kv_string(&j, "project", p->name);
	tr_json_kv_string(&j, "project_dir", p->dir);
	tr_json_kv_string(&j, "project_error", error);
	tr_json_kv_int(&j, "now", c->now * 1000);
	tr_json_kv_int(&j, "runs_active", (int64_t)running);
	tr_json_kv_bool(&j, "token_required", c->s->token != NULL);
	tr_json_kv_int(&j, "assets", (int64_t)p->n_assets);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
	free(error);
}

void api_reload(srv_ctx *c)
{
	static const char *const fields[] = {NULL};
	const tr_node *body;
	char *error = NULL;
	struct srv_proj *ref;
	tr_json j;
	int rc;

	if (srv_body(c, fields, &body))
		return;
	rc = srv_reload(c->s, &error);
	ref = srv_proj_get(c->s);
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	tr_json_kv_bool(&j, "ok", rc == 0);
	tr_json_kv_string(&j, "project_error", error);
	tr_json_kv_string(&j, "project", ref->p->name);
	tr_json_kv_int(&j, "assets", (int64_t)ref->p->n_assets);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
	srv_proj_release(c->s, ref);
	if (rc)
		srv_log(c->s, "reload: %s (the previous definitions stay)", error);
	free(error);
}

/* ---- runs ------------------------------------------------------------------------------------ */

void api_runs(srv_ctx *c)
{
	static const char *const known[] = {"limit", "before", NULL};
	tr_storage *st;
	int64_t limit, before;
	tr_run *runs = NULL;
	size_t n = 0;
	tr_error err = {0};
	tr_json j;

	if (srv_query_only(c, known) || srv_query_int(c, "limit", 50, 1, RUNS_LIMIT_MAX, &limit) ||
	    srv_query_int(c, "before", 0, 0, INT64_MAX - 1, &before) || !(st = srv_st(c)))
		return;
	tr_storage_runs_reap(st, srv_wall_ms(), NULL, NULL);
	if (!before) {
		if (tr_storage_runs_list(st, (size_t)limit, &runs, &n, &err)) {
			srv_fail_err(c, &err);
			return;
		}
	} else {
		/* ids are given in order and never reused: the page below `before` */
		runs = calloc((size_t)limit, sizeof(*runs));
		if (!runs) {
			srv_fail(c, 500, "internal", "out of memory");
			return;
		}
		for (int64_t id = before - 1; id > 0 && (int64_t)n < limit; id--) {
			int rc = tr_storage_run_get(st, id, &runs[n], &err);

			if (rc == TR_ENOTFOUND)
				continue;
			if (rc) {
				tr_runs_free(runs, n);
				srv_fail_err(c, &err);
				return;
			}
			n++;
		}
	}
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	tr_json_key(&j, "runs");
	tr_json_array_begin(&j);
	for (size_t k = 0; k < n; k++) {
		if (!strcmp(runs[k].status, "started"))
			srv_job_live_counters(c->s, &runs[k]);
		tr_json_object_begin(&j);
		srv_json_run(&j, &runs[k]);
		tr_json_object_end(&j);
	}
	tr_json_array_end(&j);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
	tr_runs_free(runs, n);
}

/* The run named by the path, into *run; 0 or -1 after answering. */
static int get_run(srv_ctx *c, tr_run *run)
{
	int64_t id;
	tr_error err = {0};
	tr_storage *st;
	int rc;

	memset(run, 0, sizeof(*run));
	if (srv_id_param(c, 0, "run", &id) || !(st = srv_st(c)))
		return -1;
	tr_storage_runs_reap(st, srv_wall_ms(), NULL, NULL);
	rc = tr_storage_run_get(st, id, run, &err);
	if (rc == TR_ENOTFOUND) {
		srv_fail(c, 404, "not_found", "no run %lld (GET /api/runs lists them)", (long long)id);
		return -1;
	}
	if (rc) {
		srv_fail_err(c, &err);
		return -1;
	}
	return 0;
}

/*
 * A run's steps, from its events: one per asset partition, in the order they
 * first appear. All the run's events are read, in pages, so that the counts
 * and the timeline cover every step however big the run; what an answer
 * lists of them is a page (steps_offset, steps_limit), and only the page's
 * steps keep their error message.
 */
enum { SS_PENDING, SS_RUNNING, SS_SUCCESS, SS_FAILED, SS_SKIPPED, SS_CANCELED, N_SS };
static const char *const step_states[N_SS] = {"pending", "running", "success",
					      "failed",  "skipped", "canceled"};

struct step_row {
	size_t asset; /* index into run_steps.assets */
	size_t key;   /* offset of the partition key in run_steps.keys */
	int64_t start_ts, end_ts, row_count;
	char *error; /* the page's steps only */
	int attempts;
	int state;
};

struct run_steps {
	struct step_row *rows;
	size_t n, cap;
	size_t *table; /* open addressing: index + 1 into rows, 0 empty */
	size_t slots;
	char **assets;
	size_t n_assets, last_asset;
	tr_buf keys; /* the partition keys, each ended by a NUL */
	size_t page_from, page_to; /* the rows [page_from, page_to) keep their errors */
};

static void run_steps_release(struct run_steps *rs)
{
	for (size_t k = 0; k < rs->n; k++)
		free(rs->rows[k].error);
	free(rs->rows);
	free(rs->table);
	for (size_t k = 0; k < rs->n_assets; k++)
		free(rs->assets[k]);
	free(rs->assets);
	tr_buf_release(&rs->keys);
}

static uint64_t step_hash(size_t asset, const char *partition)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)asset;

	for (const char *p = partition; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	return h * 0x9e3779b97f4a7c15ULL;
}

static const char *step_key(const struct run_steps *rs, const struct step_row *r)
{
	return rs->keys.data + r->key;
}

/* The index of asset name among the run's, added when new; SIZE_MAX: out of memory. */
static size_t step_asset(struct run_steps *rs, const char *name)
{
	char **grown;

	if (rs->n_assets && !strcmp(rs->assets[rs->last_asset], name))
		return rs->last_asset;
	for (size_t k = 0; k < rs->n_assets; k++)
		if (!strcmp(rs->assets[k], name))
			return rs->last_asset = k;
	grown = realloc(rs->assets, (rs->n_assets + 1) * sizeof(*grown));
	if (!grown)
		return SIZE_MAX;
	rs->assets = grown;
	if (!(rs->assets[rs->n_assets] = strdup(name)))
		return SIZE_MAX;
	return rs->last_asset = rs->n_assets++;
}

/* Doubles the hash table (and fills it again); 0 or TR_ENOMEM. */
static int steps_rehash(struct run_steps *rs)
{
	size_t slots = rs->slots ? rs->slots * 2 : 1024;
	size_t *table = calloc(slots, sizeof(*table));

	if (!table)
		return TR_ENOMEM;
	for (size_t k = 0; k < rs->n; k++) {
		size_t slot = step_hash(rs->rows[k].asset, step_key(rs, &rs->rows[k])) % slots;

		while (table[slot])
			slot = (slot + 1) % slots;
		table[slot] = k + 1;
	}
	free(rs->table);
	rs->table = table;
	rs->slots = slots;
	return 0;
}

/* The step of an event's asset partition, added when new; NULL: out of memory. */
static struct step_row *step_find(struct run_steps *rs, const char *asset, const char *partition)
{
	size_t a = step_asset(rs, asset), slot;
	struct step_row *row;

	if (a == SIZE_MAX)
		return NULL;
	if (2 * (rs->n + 1) > rs->slots && steps_rehash(rs))
		return NULL;
	for (slot = step_hash(a, partition) % rs->slots; rs->table[slot];
	     slot = (slot + 1) % rs->slots) {
		row = &rs->rows[rs->table[slot] - 1];
		if (row->asset == a && !strcmp(step_key(rs, row), partition))
			return row;
	}
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 256;
		struct step_row *grown = realloc(rs->rows, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		rs->rows = grown;
		rs->cap = cap;
	}
	row = &rs->rows[rs->n];
	memset(row, 0, sizeof(*row));
	row->asset = a;
	row->key = rs->keys.len;
	tr_buf_add(&rs->keys, partition, strlen(partition) + 1);
	if (tr_buf_failed(&rs->keys))
		return NULL;
	row->state = SS_PENDING;
	rs->table[slot] = ++rs->n;
	return row;
}

static void step_error(struct run_steps *rs, struct step_row *row, const char *message)
{
	size_t k = (size_t)(row - rs->rows);

	free(row->error);
	row->error = NULL;
	if (message && k >= rs->page_from && k < rs->page_to)
		row->error = strdup(message);
}

/* What one event says of its step; 0 or TR_ENOMEM. */
static int steps_add(struct run_steps *rs, const tr_event_rec *e)
{
	static const char *const types[] = {"step_start",   "step_success", "step_failure",
					    "step_skipped", "step_retry",   "materialization"};
	struct step_row *row;
	size_t t = 0;

	if (!e->asset || !e->partition || !e->type)
		return 0;
	while (t < sizeof(types) / sizeof(types[0]) && strcmp(e->type, types[t]))
		t++;
	if (t == sizeof(types) / sizeof(types[0]))
		return 0;
	if (!(row = step_find(rs, e->asset, e->partition)))
		return TR_ENOMEM;
	switch (t) {
	case 0:
		row->state = SS_RUNNING;
		row->start_ts = e->ts;
		row->attempts++;
		break;
	case 1:
		row->state = SS_SUCCESS;
		row->end_ts = e->ts;
		step_error(rs, row, NULL);
		break;
	case 2:
	case 3:
		row->state = t == 2 ? SS_FAILED : SS_SKIPPED;
		row->end_ts = e->ts;
		step_error(rs, row, e->message);
		break;
	case 4:
		step_error(rs, row, e->message);
		row->attempts++;
		break;
	default:
		if (e->data) {
			const char *rc = strstr(e->data, "\"row_count\":");

			if (rc)
				row->row_count = strtoll(rc + 12, NULL, 10);
		}
	}
	return 0;
}

/* Reads every event of run into rs (at most RUN_EVENTS_MAX: *truncated); 0 or an error. */
static int steps_read(tr_storage *st, const tr_run *run, struct run_steps *rs, int *truncated,
		      tr_error *err)
{
	int64_t after = 0, read = 0;
	int rc = 0;

	*truncated = 0;
	for (;;) {
		tr_event_rec *evs = NULL;
		size_t n = 0;

		if ((rc = tr_storage_events_list(st, run->id, NULL, after, RUN_EVENTS_PAGE, &evs, &n,
						 err)))
			return rc;
		for (size_t k = 0; k < n && !rc; k++)
			rc = steps_add(rs, &evs[k]);
		if (n)
			after = evs[n - 1].id;
		tr_event_recs_free(evs, n);
		if (rc)
			return tr_error_set(err, TR_ENOMEM, "out of memory reading the run's steps");
		read += (int64_t)n;
		if (n < RUN_EVENTS_PAGE)
			break;
		if (read >= RUN_EVENTS_MAX) {
			*truncated = 1;
			break;
		}
	}
	/* the run ended with these steps unfinished */
	if (strcmp(run->status, "started"))
		for (size_t k = 0; k < rs->n; k++)
			if (rs->rows[k].state == SS_RUNNING)
				rs->rows[k].state = SS_CANCELED;
	return 0;
}

/*
 * The timeline of every step, summed up per asset: what a UI draws for a run
 * too big to draw step by step. Over [start_ts, end_ts] (the first step's
 * start to the last one's end, or now while the run goes on) cut in `buckets`
 * slices of bucket_ms, each asset says how many of its steps ended in each
 * slice: [succeeded, failed, skipped].
 */
static void timeline_json(tr_json *j, const struct run_steps *rs, const tr_run *run,
			  int64_t buckets)
{
	int64_t t0 = INT64_MAX, t1 = 0, bucket_ms;
	int running = !strcmp(run->status, "started");
	int64_t(*hist)[3] = NULL;
	int64_t(*counts)[N_SS] = NULL;
	int64_t *first = NULL, *last = NULL, *rows = NULL;
	size_t na = rs->n_assets;

	for (size_t k = 0; k < rs->n; k++) {
		const struct step_row *r = &rs->rows[k];

		if (r->start_ts && r->start_ts < t0)
			t0 = r->start_ts;
		if (r->end_ts && r->end_ts > t1)
			t1 = r->end_ts;
		if (r->end_ts && r->end_ts < t0)
			t0 = r->end_ts;
	}
	if (running && t0 != INT64_MAX && srv_wall_ms() > t1)
		t1 = srv_wall_ms();
	if (t0 == INT64_MAX)
		t0 = t1 = 0;
	if (t1 < t0)
		t1 = t0;
	bucket_ms = (t1 - t0 + 1 + buckets - 1) / buckets;
	if (bucket_ms < 1)
		bucket_ms = 1;
	hist = calloc((na ? na : 1) * (size_t)buckets, sizeof(*hist));
	counts = calloc(na ? na : 1, sizeof(*counts));
	first = calloc(na ? na : 1, sizeof(*first));
	last = calloc(na ? na : 1, sizeof(*last));
	rows = calloc(na ? na : 1, sizeof(*rows));
	tr_json_key(j, "timeline");
	if (!hist || !counts || !first || !last || !rows) {
		tr_json_null(j);
		goto out;
	}
	for (size_t k = 0; k < rs->n; k++) {
		const struct step_row *r = &rs->rows[k];
		size_t a = r->asset;

		counts[a][r->state]++;
		rows[a] += r->row_count;
		if (r->start_ts && (!first[a] || r->start_ts < first[a]))
			first[a] = r->start_ts;
		if (r->end_ts && r->end_ts > last[a])
			last[a] = r->end_ts;
		if (r->end_ts && (r->state == SS_SUCCESS || r->state == SS_FAILED ||
				  r->state == SS_SKIPPED)) {
			int64_t b = (r->end_ts - t0) / bucket_ms;

			if (b < 0)
				b = 0;
			if (b >= buckets)
				b = buckets - 1;
			hist[a * (size_t)buckets + (size_t)b][r->state == SS_SUCCESS  ? 0
							      : r->state == SS_FAILED ? 1
										  : 2]++;
		}
	}
	tr_json_object_begin(j);
	tr_json_kv_int_or_null(j, "start_ts", t0);
	tr_json_kv_int_or_null(j, "end_ts", t1);
	tr_json_kv_int(j, "buckets", buckets);
	tr_json_kv_int(j, "bucket_ms", bucket_ms);
	tr_json_key(j, "assets");
	tr_json_array_begin(j);
	for (size_t a = 0; a < na; a++) {
		int64_t steps = 0;

		for (int k = 0; k < N_SS; k++)
			steps += counts[a][k];
		tr_json_object_begin(j);
		tr_json_kv_string(j, "asset", rs->assets[a]);
		tr_json_kv_int(j, "steps", steps);
		for (int k = 0; k < N_SS; k++)
			tr_json_kv_int(j, step_states[k], counts[a][k]);
		tr_json_kv_int_or_null(j, "first_start_ts", first[a]);
		tr_json_kv_int_or_null(j, "last_end_ts", last[a]);
		tr_json_kv_int(j, "row_count", rows[a]);
		tr_json_key(j, "ended");
		tr_json_array_begin(j);
		for (int64_t b = 0; b < buckets; b++) {
			const int64_t *h = hist[a * (size_t)buckets + (size_t)b];

			tr_json_array_begin(j);
			for (int k = 0; k < 3; k++)
				tr_json_int(j, h[k]);
			tr_json_array_end(j);
		}
		tr_json_array_end(j);
		tr_json_object_end(j);
	}
	tr_json_array_end(j);
	tr_json_object_end(j);
out:
	free(hist);
	free(counts);
	free(first);
	free(last);
	free(rows);
}

void api_run(srv_ctx *c)
{
	static const char *const known[] = {"steps_offset", "steps_limit", "timeline_buckets",
					    NULL};
	tr_run run;
	struct run_steps rs;
	int64_t offset, limit, buckets;
	int events_truncated = 0;
	size_t shown = 0;
	tr_error err = {0};
	tr_json j;

	memset(&rs, 0, sizeof(rs));
	tr_buf_init(&rs.keys, 0);
	if (srv_query_only(c, known) ||
	    srv_query_int(c, "steps_offset", 0, 0, STEPS_OFFSET_MAX, &offset) ||
	    srv_query_int(c, "steps_limit", STEPS_LIMIT_DEFAULT, 0, STEPS_LIMIT_MAX, &limit) ||
	    srv_query_int(c, "timeline_buckets", TIMELINE_BUCKETS_DEFAULT, 1, TIMELINE_BUCKETS_MAX,
			  &buckets) ||
	    get_run(c, &run))
		return;
	rs.page_from = (size_t)offset;
	rs.page_to = (size_t)(offset + limit);
	if (steps_read(c->st, &run, &rs, &events_truncated, &err)) {
		srv_fail_err(c, &err);
		goto out;
	}
	/* the run's row has its counters once it ends; while this server runs it, its progress */
	if (!strcmp(run.status, "started"))
		srv_job_live_counters(c->s, &run);
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	srv_json_run(&j, &run);
	tr_json_key(&j, "steps");
	tr_json_array_begin(&j);
	for (size_t k = rs.page_from; k < rs.n && k < rs.page_to; k++) {
		const struct step_row *r = &rs.rows[k];

		tr_json_object_begin(&j);
		tr_json_kv_string(&j, "asset", rs.assets[r->asset]);
		tr_json_kv_string(&j, "partition", step_key(&rs, r));
		tr_json_kv_string(&j, "state", step_states[r->state]);
		tr_json_kv_int_or_null(&j, "start_ts", r->start_ts);
		tr_json_kv_int_or_null(&j, "end_ts", r->end_ts);
		tr_json_kv_string(&j, "error", r->error);
		if (r->row_count)
			tr_json_kv_int(&j, "row_count", r->row_count);
		tr_json_object_end(&j);
		shown++;
	}
	tr_json_array_end(&j);
	tr_json_kv_int(&j, "steps_count", (int64_t)rs.n);
	tr_json_kv_int(&j, "steps_offset", offset);
	tr_json_kv_int(&j, "steps_limit", limit);
	tr_json_kv_bool(&j, "steps_truncated", shown < rs.n);
	tr_json_kv_bool(&j, "events_truncated", events_truncated);
	timeline_json(&j, &rs, &run, buckets);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
out:
	run_steps_release(&rs);
	tr_run_release(&run);
}

void api_run_events(srv_ctx *c)
{
	static const char *const known[] = {"after", "limit", "asset", NULL};
	tr_run run;
	int64_t after, limit;
	const char *asset = srv_query(c, "asset");
	tr_event_rec *evs = NULL;
	size_t n = 0, i;
	tr_error err = {0};
	tr_json j;

	if (srv_query_only(c, known) || srv_query_int(c, "after", 0, 0, INT64_MAX - 1, &after) ||
	    srv_query_int(c, "limit", 500, 1, EVENTS_LIMIT_MAX, &limit))
		return;
	if (asset && srv_project(c) && tr_project_find(srv_project(c), asset, &i, &err)) {
		srv_fail(c, 404, "not_found", "query parameter asset: %s", err.msg);
		return;
	}
	if (get_run(c, &run))
		return;
	if (tr_storage_events_list(c->st, run.id, asset, after, (size_t)limit, &evs, &n, &err)) {
		srv_fail_err(c, &err);
		goto out;
	}
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	tr_json_key(&j, "events");
	tr_json_array_begin(&j);
	for (size_t k = 0; k < n; k++)
		srv_json_event(&j, &evs[k]);
	tr_json_array_end(&j);
	tr_json_kv_int(&j, "last_id", n ? evs[n - 1].id : after);
	tr_json_kv_bool(&j, "more", n == (size_t)limit);
	tr_json_kv_bool(&j, "run_ended", strcmp(run.status, "started") != 0);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
out:
	tr_event_recs_free(evs, n);
	tr_run_release(&run);
}

/* The stream's starting point: Last-Event-ID, else ?after=, else def; 0 or -1 (400). */
static int stream_after(srv_ctx *c, int64_t def, int64_t *after)
{
	const char *h = c->rq->last_event_id;

	if (h && *h) {
		char *end;
		long long v = strtoll(h, &end, 10);

		if (*end || v < 0) {
			srv_fail(c, 400, "bad_request", "Last-Event-ID \"%.40s\" is not an event id",
				 h);
			return -1;
		}
		*after = v;
		return 0;
	}
	return srv_query_int(c, "after", def, 0, INT64_MAX - 1, after);
}

static void open_stream(srv_ctx *c, int64_t run_id, int64_t after)
{
	const char *progress = srv_query(c, "progress");
	int64_t replay;
	tr_error err = {0};

	if (progress && strcmp(progress, "live") && strcmp(progress, "all")) {
		srv_fail(c, 400, "bad_request", "query parameter progress: \"%.20s\" (valid: live, "
						"all)",
			 progress);
		return;
	}
	if (srv_query_int(c, "replay", REPLAY_DEFAULT, 0, REPLAY_MAX, &replay))
		return;
	if (srv_stream_new(c->s, run_id, after, progress && !strcmp(progress, "all"),
			   (size_t)replay, &c->rs->stream, &err)) {
		srv_fail_err(c, &err);
		return;
	}
	c->rs->status = 200;
	c->rs->content_type = "text/event-stream; charset=utf-8";
}

void api_run_stream(srv_ctx *c)
{
	static const char *const known[] = {"after", "progress", "replay", NULL};
	tr_run run;
	int64_t after;

	if (srv_query_only(c, known) || get_run(c, &run))
		return;
	if (!stream_after(c, 0, &after))
		open_stream(c, run.id, after);
	tr_run_release(&run);
}

void api_stream(srv_ctx *c)
{
	static const char *const known[] = {"after", "replay", NULL};
	tr_event_rec *last = NULL;
	size_t n = 0;
	tr_storage *st;
	int64_t after;
	tr_error err = {0};

	if (srv_query_only(c, known) || !(st = srv_st(c)))
		return;
	/* by default only what happens from now on */
	if (tr_storage_events_latest(st, NULL, NULL, NULL, 0, 1, &last, &n, &err)) {
		srv_fail_err(c, &err);
		return;
	}
	if (!stream_after(c, n ? last[0].id : 0, &after))
		open_stream(c, 0, after);
	tr_event_recs_free(last, n);
}

void api_run_cancel(srv_ctx *c)
{
	static const char *const fields[] = {NULL};
	const tr_node *body;
	tr_run run;
	tr_json j;
	const char *status = "canceling";
	char *bstatus = NULL;
	tr_error err = {0};

	if (srv_body(c, fields, &body) || get_run(c, &run))
		return;
	if (strcmp(run.status, "started")) {
		srv_fail(c, 409, "conflict", "run %lld has already ended (%s): nothing to cancel",
			 (long long)run.id, run.status);
		goto out;
	}
	if (srv_job_cancel(c->s, run.id, 0)) {
		/* ours: answer once it has let go of its partitions (a launch right after must
		   not meet it), unless that takes long */
		tr_run ended;

		memset(&ended, 0, sizeof(ended));
		if (srv_job_wait_canceled(c->s, run.id, 0, CANCEL_WAIT_MS) &&
		    !tr_storage_run_get(c->st, run.id, &ended, NULL) && strcmp(ended.status, "started"))
			status = bstatus = strdup(ended.status);
		tr_run_release(&ended);
		if (!status)
			status = "canceling";
	} else {
		if (!run.backfill_id) {
			srv_fail(c, 409, "conflict",
				 "run %lld is run by another process (pid %lld on %s), not by this "
				 "server: stop it there (Ctrl-C)",
				 (long long)run.id, (long long)run.pid, run.host);
			goto out;
		}
		/* a backfill's run in another process: that process polls its backfill */
		if (tr_storage_backfill_cancel(c->st, run.backfill_id, &bstatus, &err)) {
			srv_fail(c, 409, "conflict", "%s", err.msg);
			goto out;
		}
		status = bstatus ? bstatus : "canceling";
	}
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	tr_json_kv_bool(&j, "ok", 1);
	tr_json_kv_int(&j, "run_id", run.id);
	tr_json_kv_string(&j, "status", status);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
out:
	free(bstatus);
	tr_run_release(&run);
}

/* ---- backfills -------------------------------------------------------------------------------- */

void api_backfills(srv_ctx *c)
{
	static const char *const known[] = {"limit", NULL};
	tr_storage *st;
	int64_t limit;
	tr_backfill *bs = NULL;
	size_t n = 0;
	tr_error err = {0};
	tr_json j;

	if (srv_query_only(c, known) || srv_query_int(c, "limit", 50, 1, RUNS_LIMIT_MAX, &limit) ||
	    !(st = srv_st(c)))
		return;
	if (tr_storage_runs_reap(st, srv_wall_ms(), NULL, &err) ||
	    tr_storage_backfills_list(st, (size_t)limit, &bs, &n, &err)) {
		srv_fail_err(c, &err);
		return;
	}
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	tr_json_key(&j, "backfills");
	tr_json_array_begin(&j);
	for (size_t k = 0; k < n; k++) {
		tr_json_object_begin(&j);
		tr_backfill_write_json(&bs[k], &j);
		tr_json_kv_int_or_null(&j, "last_run_id", bs[k].last_run_id);
		tr_json_kv_string(&j, "error", bs[k].error && *bs[k].error ? bs[k].error : NULL);
		tr_json_object_end(&j);
	}
	tr_json_array_end(&j);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
	tr_backfills_free(bs, n);
}


static void json_ranges(tr_json *j, const char *key, int partitioned, const char *text,
			int64_t count)
{
	tr_json_key(j, key);
	tr_json_object_begin(j);
	tr_json_key(j, "count");
	if (count >= 0)
		tr_json_int(j, count);
	else
		tr_json_null(j);
	tr_json_key(j, "ranges");
	if (!partitioned) {
		tr_json_null(j);
	} else {
		tr_json_array_begin(j);
		for (const char *p = text; p && *p;) {
			size_t len = strcspn(p, "\n");

			if (len)
				tr_json_string_n(j, p, len);
			p += len + (p[len] == '\n');
		}
		tr_json_array_end(j);
	}
	tr_json_object_end(j);
}

/* The backfill named by the path; 0 or -1 after answering. */
static int get_backfill(srv_ctx *c, tr_backfill *b, tr_backfill_asset **assets, size_t *n_assets)
{
	int64_t id;
	tr_storage *st;
	tr_error err = {0};
	int rc;

	memset(b, 0, sizeof(*b));
	if (srv_id_param(c, 0, "backfill", &id) || !(st = srv_st(c)))
		return -1;
	tr_storage_runs_reap(st, srv_wall_ms(), NULL, NULL);
	rc = tr_storage_backfill_get(st, id, b, assets, n_assets, &err);
	if (rc) {
		memset(b, 0, sizeof(*b));
		if (rc == TR_ENOTFOUND)
			srv_fail(c, 404, "not_found", "no backfill %lld (GET /api/backfills lists them)",
				 (long long)id);
		else
			srv_fail_err(c, &err);
		return -1;
	}
	return 0;
}

void api_backfill(srv_ctx *c)
{
	static const char *const known[] = {NULL};
	const tr_project *p = srv_project(c);
	tr_backfill b;
	tr_backfill_asset *assets = NULL;
	size_t n_assets = 0, n_runs = 0;
	int64_t *runs = NULL;
	tr_run_request req = {0};
	tr_run_report plan = {0};
	tr_error err = {0}, resume_err = {0};
	int resume_rc = 0, done;
	tr_json j;

	if (srv_query_only(c, known) || get_backfill(c, &b, &assets, &n_assets))
		return;
	if (tr_storage_backfill_runs(c->st, b.id, &runs, &n_runs, &err)) {
		srv_fail_err(c, &err);
		goto out;
	}
	req.resume = b.id;
	req.dry_run = 1;
	req.now = c->now;
	req.backfill = TR_BACKFILL_ALWAYS;
	done = !strcmp(b.status, "completed");
	if (!done)
		resume_rc = tr_materialize(p, c->st, NULL, &req, &plan, &resume_err);
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	tr_backfill_write_json(&b, &j);
	tr_json_key(&j, "runs");
	tr_json_array_begin(&j);
	for (size_t k = 0; k < n_runs; k++)
		tr_json_int(&j, runs[k]);
	tr_json_array_end(&j);
	tr_json_kv_int_or_null(&j, "last_run_id", b.last_run_id);
	tr_json_kv_string(&j, "error", b.error && *b.error ? b.error : NULL);
	tr_json_kv_bool(&j, "running_here", srv_job_running_backfill(c->s, b.id));
	tr_json_key(&j, "assets");
	tr_json_array_begin(&j);
	for (size_t k = 0; k < n_assets; k++) {
		const tr_backfill_asset *a = &assets[k];
		tr_partitions *parts = NULL;
		size_t i;
		int known_now = !tr_project_find(p, a->asset, &i, NULL) &&
				!tr_asset_partitions(p, c->st, i, c->now, &parts, NULL);
		const char *names[4] = {"requested", "succeeded", "failed", "skipped"};
		const char *texts[4] = {a->requested, a->succeeded, a->failed, a->skipped};

		tr_json_object_begin(&j);
		tr_json_kv_string(&j, "asset", a->asset);
		tr_json_kv_bool(&j, "partitioned", a->partitioned);
		for (int m = 0; m < 4; m++) {
			int64_t count = known_now || !a->partitioned
						? tr_backfill_ranges_count(parts, a->partitioned, texts[m])
						: -1;

			if (m == 0 && a->n_requested > 0)
				count = a->n_requested;
			json_ranges(&j, names[m], a->partitioned, texts[m], count);
		}
		tr_json_object_end(&j);
		tr_partitions_free(parts);
	}
	tr_json_array_end(&j);
	tr_backfill_resume_write_json(done, resume_rc ? resume_err.msg : NULL, &plan, &j);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
out:
	tr_run_report_release(&plan);
	free(runs);
	tr_backfill_assets_free(assets, n_assets);
	tr_backfill_release(&b);
}

/* ---- launching ------------------------------------------------------------------------------- */

static const char *const launch_fields[] = {"selection", "partitions", "from",    "to",
					    "missing",   "failed",     "all",     "stale",
					    "jobs",      "dry_run",    "now",     "launched_by",
					    NULL};
static const char *const resume_fields[] = {"jobs", "dry_run", "now", "launched_by", NULL};

/*
 * Fills l from the body (fields: launch_fields, or resume_fields when
 * resume); *keys holds the partitions array (caller frees). 0 or -1 (400).
 */
static int launch_from_body(srv_ctx *c, srv_launch *l, const char ***keys, int resume,
			    tr_buf *who)
{
	const tr_node *body;
	const char *now_text = NULL, *launched_by = NULL;
	int missing = 0, failed = 0, all = 0, stale = 0, picks;
	int64_t jobs = 0;
	size_t n_keys = 0;
	tr_error err = {0};

	memset(l, 0, sizeof(*l));
	*keys = NULL;
	if (srv_body(c, resume ? resume_fields : launch_fields, &body))
		return -1;
	if (!resume && (srv_body_string(c, body, "selection", &l->req.selection) ||
			srv_body_strings(c, body, "partitions", KEYS_MAX, keys, &n_keys) ||
			srv_body_string(c, body, "from", &l->req.from) ||
			srv_body_string(c, body, "to", &l->req.to) ||
			srv_body_bool(c, body, "missing", &missing) ||
			srv_body_bool(c, body, "failed", &failed) ||
			srv_body_bool(c, body, "all", &all) ||
			srv_body_bool(c, body, "stale", &stale)))
		return -1;
	if (srv_body_int(c, body, "jobs", 0, 1024, &jobs) ||
	    srv_body_bool(c, body, "dry_run", &l->dry_run) ||
	    srv_body_string(c, body, "now", &now_text) ||
	    srv_body_string(c, body, "launched_by", &launched_by))
		return -1;
	if (!resume && (!l->req.selection || !*l->req.selection)) {
		srv_fail(c, 400, "bad_request",
			 "request body: selection: name the assets (\"name\", \"+name\", \"name+\", "
			 "\"group:x\", \"tag:k=v\", \"*\", comma-separated)");
		return -1;
	}
	picks = (n_keys > 0 || tr_node_get(body, "partitions")) + (l->req.from || l->req.to) +
		(missing || stale) + failed + all; /* missing and stale go together */
	if (picks > 1) {
		srv_fail(c, 400, "bad_request", "request body: choose one of partitions, from/to, "
						"missing (with or without stale), stale, failed, all");
		return -1;
	}
	if ((l->req.from != NULL) != (l->req.to != NULL)) {
		srv_fail(c, 400, "bad_request", "request body: from and to go together (a range of "
						"keys, both inclusive)");
		return -1;
	}
	if (tr_node_get(body, "partitions") && n_keys == 0) {
		srv_fail(c, 400, "bad_request", "request body: partitions: give at least one key "
						"(or FIRST...LAST)");
		return -1;
	}
	l->req.now = c->now;
	if (now_text && tr_time_parse_instant(now_text, &l->req.now, &err)) {
		srv_fail(c, 400, "bad_request", "request body: now: %s (an ISO 8601 time such as "
						"2024-05-21T00:00:00+00:00)",
			 err.msg);
		return -1;
	}
	if (launched_by && strlen(launched_by) > 200) {
		srv_fail(c, 400, "bad_request", "request body: launched_by: at most 200 characters");
		return -1;
	}
	for (const char *p = launched_by; p && *p; p++)
		if ((unsigned char)*p < 0x20) {
			srv_fail(c, 400, "bad_request",
				 "request body: launched_by: control characters are not allowed");
			return -1;
		}
	if (launched_by && *launched_by)
		tr_buf_addf(who, "%s via tranche serve", launched_by);
	else
		tr_buf_addf(who, "api (%s)", c->rq->peer && *c->rq->peer ? c->rq->peer : "local");
	l->req.launched_by = tr_buf_str(who);
	l->req.keys = *keys;
	l->req.n_keys = n_keys;
	l->req.pick = n_keys ? TR_PICK_KEYS
		      : l->req.from ? TR_PICK_RANGE
		      : missing && stale ? TR_PICK_MISSING_STALE
		      : stale ? TR_PICK_STALE
		      : missing ? TR_PICK_MISSING
		      : failed ? TR_PICK_FAILED
		      : all ? TR_PICK_ALL
			    : TR_PICK_NONE;
	l->req.jobs = (int)jobs;
	return 0;
}

static void launch(srv_ctx *c, tr_backfill_mode mode)
{
	srv_launch l;
	const char **keys = NULL;
	tr_buf who = TR_BUF_INIT;

	if (!launch_from_body(c, &l, &keys, 0, &who)) {
		l.req.backfill = mode;
		srv_job_launch(c, &l);
	}
	free(keys);
	tr_buf_release(&who);
}

void api_backfill_create(srv_ctx *c)
{
	launch(c, TR_BACKFILL_ALWAYS);
}

void api_materialize(srv_ctx *c)
{
	launch(c, TR_BACKFILL_AUTO);
}

void api_backfill_resume(srv_ctx *c)
{
	srv_launch l;
	const char **keys = NULL;
	tr_buf who = TR_BUF_INIT;
	tr_backfill b;

	if (launch_from_body(c, &l, &keys, 1, &who) || get_backfill(c, &b, NULL, NULL))
		goto out;
	if ((!strcmp(b.status, "running") || !strcmp(b.status, "canceling")) &&
	    srv_job_running_backfill(c->s, b.id) &&
	    srv_job_wait_canceled(c->s, 0, b.id, CANCEL_WAIT_MS)) {
		/* our run of it was asked to stop and now has: its row says how it ended */
		tr_backfill_release(&b);
		if (get_backfill(c, &b, NULL, NULL))
			goto out;
	}
	if (!strcmp(b.status, "running") || !strcmp(b.status, "canceling") ||
	    srv_job_running_backfill(c->s, b.id)) {
		srv_fail(c, 409, "conflict",
			 "backfill %lld is %s (run %lld): wait for it to end, or cancel it first",
			 (long long)b.id, b.status, (long long)b.last_run_id);
	} else {
		l.req.resume = b.id;
		l.req.backfill = TR_BACKFILL_ALWAYS;
		srv_job_launch(c, &l);
	}
	tr_backfill_release(&b);
out:
	free(keys);
	tr_buf_release(&who);
}

void api_backfill_cancel(srv_ctx *c)
{
	static const char *const fields[] = {NULL};
	const tr_node *body;
	tr_backfill b;
	char *status = NULL;
	tr_error err = {0};
	tr_json j;

	if (srv_body(c, fields, &body) || get_backfill(c, &b, NULL, NULL))
		return;
	if (tr_storage_backfill_cancel(c->st, b.id, &status, &err)) {
		/* already completed or canceled */
		srv_fail(c, 409, "conflict", "%s", err.msg);
		goto out;
	}
	/* ours: at once, without waiting for the poll; answered once the run has let go of
	   its partitions (a resume right after must not meet it), unless that takes long */
	if (srv_job_cancel(c->s, 0, b.id) &&
	    srv_job_wait_canceled(c->s, 0, b.id, CANCEL_WAIT_MS)) {
		char *now = NULL;

		if (!tr_storage_backfill_status(c->st, b.id, &now, NULL) && now) {
			free(status);
			status = now;
		}
	}
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	tr_json_kv_bool(&j, "ok", 1);
	tr_json_kv_int(&j, "backfill_id", b.id);
	tr_json_kv_string(&j, "status", status ? status : "canceled");
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
out:
	free(status);
	tr_backfill_release(&b);
}
