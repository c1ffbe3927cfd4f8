/*
 * api_runs.c — the server's own state (health, reload), runs and their
 * events (lists, detail, streams, cancel), backfills (list, detail, create,
 * cancel, resume) and materialize. Shapes: docs/api.md; backfills as
 * `tranche backfills --json` and `tranche backfill show ID --json` print them.
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
#define RUN_EVENTS_READ 50000 /* events read for a run's steps */
#define RUN_STEPS_MAX 5000
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

/* One step of a run's timeline: an asset partition and what its events said. */
struct step_row {
	const char *asset, *partition; /* into the events */
	const char *state;
	int64_t start_ts, end_ts, row_count;
	const char *error;
	int attempts;
};

static uint64_t step_hash(const char *asset, const char *partition)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const char *p = asset; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	h = (h ^ 0x1f) * 0x100000001b3ULL;
	for (const char *p = partition; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	return h;
}

void api_run(srv_ctx *c)
{
	static const char *const known[] = {NULL};
	tr_run run;
	tr_event_rec *evs = NULL;
	size_t n = 0, n_steps = 0, slots = 2 * RUN_STEPS_MAX + 1;
	struct step_row *steps = NULL;
	size_t *table = NULL; /* open addressing: index + 1 into steps, 0 empty */
	int truncated = 0;
	tr_error err = {0};
	tr_json j;

	if (srv_query_only(c, known) || get_run(c, &run))
		return;
	if (tr_storage_events_list(c->st, run.id, NULL, 0, RUN_EVENTS_READ, &evs, &n, &err)) {
		srv_fail_err(c, &err);
		goto out;
	}
	truncated = n == RUN_EVENTS_READ;
	steps = calloc(RUN_STEPS_MAX, sizeof(*steps));
	table = calloc(slots, sizeof(*table));
	if (!steps || !table) {
		srv_fail(c, 500, "internal", "out of memory");
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		const tr_event_rec *e = &evs[k];
		struct step_row *row = NULL;
		size_t slot;

		if (!e->asset || !e->partition)
			continue;
		if (strcmp(e->type, "step_start") && strcmp(e->type, "step_success") &&
		    strcmp(e->type, "step_failure") && strcmp(e->type, "step_skipped") &&
		    strcmp(e->type, "step_retry") && strcmp(e->type, "materialization"))
			continue;
		slot = step_hash(e->asset, e->partition) % slots;
		while (table[slot]) {
			struct step_row *r = &steps[table[slot] - 1];

			if (!strcmp(r->asset, e->asset) && !strcmp(r->partition, e->partition)) {
				row = r;
				break;
			}
			slot = (slot + 1) % slots;
		}
		if (!row) {
			if (n_steps == RUN_STEPS_MAX) {
				truncated = 1;
				continue;
			}
			row = &steps[n_steps++];
			table[slot] = n_steps;
			row->asset = e->asset;
			row->partition = e->partition;
			row->state = "pending";
		}
		if (!strcmp(e->type, "step_start")) {
			row->state = "running";
			row->start_ts = e->ts;
			row->attempts++;
		} else if (!strcmp(e->type, "step_success")) {
			row->state = "success";
			row->end_ts = e->ts;
			row->error = NULL;
		} else if (!strcmp(e->type, "step_failure")) {
			row->state = "failed";
			row->end_ts = e->ts;
			row->error = e->message;
		} else if (!strcmp(e->type, "step_skipped")) {
			row->state = "skipped";
			row->end_ts = e->ts;
			row->error = e->message;
		} else if (!strcmp(e->type, "step_retry")) {
			row->error = e->message;
			row->attempts++;
		} else if (e->data) {
			const char *rc = strstr(e->data, "\"row_count\":");

			if (rc)
				row->row_count = strtoll(rc + 12, NULL, 10);
		}
	}
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	srv_json_run(&j, &run);
	tr_json_key(&j, "steps");
	tr_json_array_begin(&j);
	for (size_t k = 0; k < n_steps; k++) {
		const struct step_row *r = &steps[k];
		const char *state = r->state;

		if (!strcmp(state, "running") && strcmp(run.status, "started"))
			state = "canceled"; /* the run ended with the step unfinished */
		tr_json_object_begin(&j);
		tr_json_kv_string(&j, "asset", r->asset);
		tr_json_kv_string(&j, "partition", r->partition);
		tr_json_kv_string(&j, "state", state);
		tr_json_kv_int_or_null(&j, "start_ts", r->start_ts);
		tr_json_kv_int_or_null(&j, "end_ts", r->end_ts);
		tr_json_kv_string(&j, "error", r->error);
		if (r->row_count)
			tr_json_kv_int(&j, "row_count", r->row_count);
		tr_json_object_end(&j);
	}
	tr_json_array_end(&j);
	tr_json_kv_bool(&j, "steps_truncated", truncated);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
out:
	free(steps);
	free(table);
	tr_event_recs_free(evs, n);
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
	tr_error err = {0};

	if (progress && strcmp(progress, "live") && strcmp(progress, "all")) {
		srv_fail(c, 400, "bad_request", "query parameter progress: \"%.20s\" (valid: live, "
						"all)",
			 progress);
		return;
	}
	if (srv_stream_new(c->s, run_id, after, progress && !strcmp(progress, "all"),
			   &c->rs->stream, &err)) {
		srv_fail_err(c, &err);
		return;
	}
	c->rs->status = 200;
	c->rs->content_type = "text/event-stream; charset=utf-8";
}

void api_run_stream(srv_ctx *c)
{
	static const char *const known[] = {"after", "progress", NULL};
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
	static const char *const known[] = {"after", NULL};
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
	if (!srv_job_cancel(c->s, run.id, 0)) {
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
	tr_json_key(&j, "resume");
	if (done) {
		tr_json_null(&j);
	} else if (resume_rc) {
		tr_json_object_begin(&j);
		tr_json_kv_string(&j, "error", resume_err.msg);
		tr_json_object_end(&j);
	} else {
		tr_json_object_begin(&j);
		tr_json_kv_int(&j, "partitions", plan.partitions_total);
		tr_json_kv_int(&j, "steps", (int64_t)plan.total);
		tr_json_key(&j, "assets");
		tr_json_array_begin(&j);
		for (size_t k = 0; k < plan.n_plan; k++) {
			tr_json_object_begin(&j);
			tr_json_kv_string(&j, "asset", plan.plan[k].asset);
			tr_json_kv_int(&j, "partitions", plan.plan[k].partitions);
			tr_json_kv_int(&j, "steps", plan.plan[k].steps);
			tr_json_object_end(&j);
		}
		tr_json_array_end(&j);
		tr_json_object_end(&j);
	}
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
	srv_job_cancel(c->s, 0, b.id); /* ours: at once, without waiting for the poll */
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
