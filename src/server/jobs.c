/*
 * jobs.c — runs executing inside the server, and the event streams.
 *
 * A job is one tr_materialize on a thread of its own (detached; the server
 * counts them and waits for them when it stops), with its own storage handle
 * and connections from the server's one warehouse. It is launched in three
 * moves, all before the HTTP answer: (1) a dry run plans the request against
 * storage — a refused request answers 400/404 and leaves no trace; (2) the
 * plan's partitions are checked against the partitions every running job
 * writes (two loads of one slice at once would conflict: 409 names the run);
 * (3) the thread starts and the handler waits until the executor has recorded
 * the run (tr_run_request.on_start) to answer 202 with its ids.
 *
 * Progress: the executor's on_progress reports go, as JSON, into a ring per
 * job (the last PROGRESS_RING of them) that a run's stream forwards as
 * `event: progress`; the CLI following a run it submitted draws its progress
 * from them exactly as from a local run. When the job ends, its summary (the
 * report, as `tranche materialize --json` prints it) is kept with the job; the
 * last ENDED_KEEP ended jobs are kept for streams that come late. The latest
 * report's step counters make GET /api/runs live (the run's row has its
 * counters only once it ends).
 *
 * Cancel: a job asked to stop still holds its partitions until its thread is
 * out of the executor; the cancel routes wait for that (srv_job_wait_canceled),
 * so that a resume right after a cancel is not a conflict.
 *
 * Streams read the events themselves from storage (paging by event id), so a
 * stream of a run that ended long ago, or ran in another process, works the
 * same; they wait on the server's condition variable, woken by every job
 * change, and look at storage at least every STREAM_POLL_MS. What a stream
 * replays of the past is bounded (replay_bound): the newest replay_max events,
 * after one frame that counts the others.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/server_int.h"
#include "tranche/partitions.h"
#include "tranche/time.h"

#define PROGRESS_RING 1024
#define ENDED_KEEP 32
#define STREAM_POLL_MS 250
#define STREAM_KEEPALIVE_MS 10000
#define STREAM_EVENTS_PAGE 500
#define REPLAY_SCAN_PAGE 5000 /* events read at once when a stream opens */
#define REPLAY_TYPES 32       /* event types counted by name in a replay frame */
#define PLAN_RANGES_MAX 1000
#define START_WAIT_MS 120000

struct claim {
	const char *asset;         /* the job's project's */
	const tr_partdef *def;     /* NULL: unpartitioned (the whole table) */
	tr_keyset keys;
};

struct srv_job {
	struct srv_job *next;
	tr_server *s;
	int refs; /* the list's, the launcher's, streams' */
	volatile sig_atomic_t cancel;
	int64_t run_id, backfill_id;
	int started, ended, in_list;
	int rc;
	tr_error err;
	char *summary;
	struct srv_proj *proj;
	tr_run_request req;
	/* the request's strings */
	char *selection, *from, *to, *launched_by;
	char **keys;
	size_t n_keys;
	struct claim *claims;
	size_t n_claims;
	char *ring[PROGRESS_RING];
	uint64_t ring_next;
	/* the latest progress report's step counters (has_counts: there was one) */
	int has_counts;
	int64_t steps_total, steps_done, steps_failed, steps_skipped;
};

/* ---- jobs --------------------------------------------------------------------------------- */

/* Waits on s->cv (under s->mu) until woken, until at_ms, or 200 ms at most. */
static void wait_locked(tr_server *s, int64_t at_ms)
{
	struct timespec ts;
	int64_t at = srv_wall_ms() + 200;

	if (at_ms < at)
		at = at_ms;
	ts.tv_sec = at / 1000;
	ts.tv_nsec = (at % 1000) * 1000000;
	pthread_cond_timedwait(&s->cv, &s->mu, &ts);
}

/* Is job the one running run_id (or, when run_id is 0, backfill_id)? */
static int job_matches(const struct srv_job *job, int64_t run_id, int64_t backfill_id)
{
	return run_id ? job->run_id == run_id : backfill_id && job->backfill_id == backfill_id;
}

static void job_free(struct srv_job *job)
{
	for (size_t k = 0; k < PROGRESS_RING; k++)
		free(job->ring[k]);
	for (size_t k = 0; k < job->n_claims; k++)
		tr_keyset_release(&job->claims[k].keys);
	free(job->claims);
	for (size_t k = 0; k < job->n_keys; k++)
		free(job->keys[k]);
	free(job->keys);
	free(job->selection);
	free(job->from);
	free(job->to);
	free(job->launched_by);
	free(job->summary);
	if (job->proj)
		srv_proj_release(job->s, job->proj);
	free(job);
}

/* Under s->mu. */
static void job_unref_locked(struct srv_job *job, struct srv_job **free_later)
{
	if (--job->refs == 0) {
		job->next = *free_later;
		*free_later = job;
	}
}

static void free_list(struct srv_job *list)
{
	while (list) {
		struct srv_job *next = list->next;

		job_free(list);
		list = next;
	}
}

static void job_unref(tr_server *s, struct srv_job *job)
{
	struct srv_job *later = NULL;

	pthread_mutex_lock(&s->mu);
	job_unref_locked(job, &later);
	pthread_mutex_unlock(&s->mu);
	free_list(later);
}

/* Drops ended jobs beyond the newest ENDED_KEEP from the list. Under s->mu. */
static void prune_locked(tr_server *s, struct srv_job **free_later)
{
	size_t ended = 0;

	for (struct srv_job **pp = &s->jobs; *pp;) {
		struct srv_job *job = *pp;

		if (job->ended && ++ended > ENDED_KEEP) {
			*pp = job->next;
			job->in_list = 0;
			job_unref_locked(job, free_later);
			continue;
		}
		pp = &job->next;
	}
}

static void on_start(void *ctx, int64_t run_id, int64_t backfill_id)
{
	struct srv_job *job = ctx;
	tr_server *s = job->s;

	pthread_mutex_lock(&s->mu);
	job->run_id = run_id;
	job->backfill_id = backfill_id;
	job->started = 1;
	srv_notify_locked(s);
	pthread_mutex_unlock(&s->mu);
}

static void progress_json(const tr_progress *pr, tr_buf *out)
{
	tr_json j;

	tr_json_init(&j, out, 0);
	tr_json_object_begin(&j);
	tr_json_kv_int(&j, "total", (int64_t)pr->total);
	tr_json_kv_int(&j, "done", (int64_t)pr->done);
	tr_json_kv_int(&j, "failed", (int64_t)pr->failed);
	tr_json_kv_int(&j, "skipped", (int64_t)pr->skipped);
	tr_json_kv_string(&j, "asset", pr->asset);
	tr_json_kv_string(&j, "partition", pr->partition);
	tr_json_kv_int(&j, "elapsed_ms", pr->elapsed_ms);
	tr_json_kv_bool(&j, "ended", pr->ended);
	tr_json_kv_bool(&j, "ok", pr->ok);
	tr_json_kv_string(&j, "error", pr->error);
	tr_json_kv_int(&j, "partitions_total", pr->partitions_total);
	tr_json_kv_int(&j, "partitions_done", pr->partitions_done);
	tr_json_kv_int(&j, "partitions_failed", pr->partitions_failed);
	tr_json_kv_int(&j, "partitions_skipped", pr->partitions_skipped);
	tr_json_kv_int(&j, "running", (int64_t)pr->running);
	tr_json_kv_string(&j, "running_assets", pr->running_assets);
	tr_json_kv_bool(&j, "retrying", pr->retrying);
	tr_json_kv_string(&j, "waiting", pr->waiting);
	tr_json_kv_int(&j, "waiting_until_ms", pr->waiting_until_ms);
	tr_json_object_end(&j);
}

static void on_progress(void *ctx, const tr_progress *pr)
{
	struct srv_job *job = ctx;
	tr_server *s = job->s;
	tr_buf b = TR_BUF_INIT;
	char *frame;

	progress_json(pr, &b);
	frame = tr_buf_detach(&b, NULL);
	pthread_mutex_lock(&s->mu);
	free(job->ring[job->ring_next % PROGRESS_RING]);
	job->ring[job->ring_next % PROGRESS_RING] = frame;
	job->ring_next++;
	job->has_counts = 1;
	job->steps_total = (int64_t)pr->total;
	job->steps_done = (int64_t)pr->done;
	job->steps_failed = (int64_t)pr->failed;
	job->steps_skipped = (int64_t)pr->skipped;
	srv_notify_locked(s);
	pthread_mutex_unlock(&s->mu);
}

/* The report as `tranche materialize --json` ends: {"type": "summary", ...}. */
static char *summary_json(const tr_run_report *r, int rc, const tr_error *err)
{
	tr_buf b = TR_BUF_INIT;
	tr_json j;

	tr_json_init(&j, &b, 0);
	tr_json_object_begin(&j);
	tr_run_report_write_json(r, rc ? "error" : tr_run_report_status(r), &j);
	if (rc)
		tr_json_kv_string(&j, "error", err->msg[0] ? err->msg : tr_error_name(rc));
	tr_json_object_end(&j);
	return tr_buf_detach(&b, NULL);
}

static void *job_main(void *arg)
{
	struct srv_job *job = arg;
	tr_server *s = job->s;
	tr_run_report report = {0};
	tr_error err = {0};
	tr_storage *st = srv_storage_take(s, &err);
	struct srv_job *later = NULL;
	char *summary;
	int rc;

	if (!st)
		rc = err.code ? err.code : TR_EIO;
	else
		rc = tr_materialize(job->proj->p, st, s->wh, &job->req, &report, &err);
	srv_storage_give(s, st);
	summary = summary_json(&report, rc, &err);
	if (rc)
		srv_log(s, "run %lld: %s", (long long)report.run_id, err.msg);
	pthread_mutex_lock(&s->mu);
	if (!job->started && report.run_id) {
		job->run_id = report.run_id;
		job->backfill_id = report.backfill_id;
	}
	job->rc = rc;
	job->err = err;
	job->summary = summary;
	job->ended = 1;
	s->n_running--;
	prune_locked(s, &later);
	job_unref_locked(job, &later);
	srv_notify_locked(s);
	pthread_mutex_unlock(&s->mu);
	tr_run_report_release(&report);
	free_list(later); /* may release a project: uses s, which lives until n_threads is 0 */
	pthread_mutex_lock(&s->mu);
	s->n_threads--;
	srv_notify_locked(s);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---- claims: what a job writes ---------------------------------------------------------------- */

/* The plan's partitions, asset by asset, as claims against the job's project. */
static int claims_from_plan(tr_storage *st, const tr_project *p, const tr_run_report *plan,
			    struct srv_job *job, tr_error *err)
{
	job->claims = calloc(plan->n_plan + 1, sizeof(*job->claims));
	if (!job->claims)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	for (size_t k = 0; k < plan->n_plan; k++) {
		struct claim *cl = &job->claims[job->n_claims];
		size_t i;
		tr_partitions *parts = NULL;
		const char **lines = NULL;
		size_t n = 0, cap = 0;
		char *copy = NULL, *save = NULL;
		int rc;

		if ((rc = tr_project_find(p, plan->plan[k].asset, &i, err)))
			return rc;
		tr_keyset_init(&cl->keys);
		cl->asset = p->assets[i].name;
		cl->def = p->assets[i].partdef;
		job->n_claims++;
		if (!cl->def)
			continue;
		if ((rc = tr_asset_partitions(p, st, i, job->req.now, &parts, err)))
			return rc;
		copy = strdup(plan->plan[k].ranges ? plan->plan[k].ranges : "");
		for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
		     line = strtok_r(NULL, "\n", &save)) {
			if (n == cap) {
				const char **grown = realloc(lines, (cap = cap ? cap * 2 : 16) *
									    sizeof(*lines));

				if (!grown)
					break;
				lines = grown;
			}
			lines[n++] = line;
		}
		rc = copy ? tr_partitions_keyset_from_keys(parts, lines, n, &cl->keys, err)
			  : tr_error_set(err, TR_ENOMEM, "out of memory");
		free(lines);
		free(copy);
		tr_partitions_free(parts);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * The first partition that job and a running one both write, into msg; 1 if
 * there is one. Under s->mu.
 */
static int conflict_locked(tr_server *s, const struct srv_job *job, tr_buf *msg)
{
	for (const struct srv_job *o = s->jobs; o; o = o->next) {
		if (o->ended)
			continue;
		for (size_t a = 0; a < job->n_claims; a++)
			for (size_t b = 0; b < o->n_claims; b++) {
				const struct claim *x = &job->claims[a], *y = &o->claims[b];
				tr_keyset both = TR_KEYSET_INIT;
				int64_t first = -1;

				if (strcmp(x->asset, y->asset))
					continue;
				if (x->def && y->def && x->def == y->def) {
					tr_keyset_intersect(&both, &x->keys, &y->keys);
					if (tr_keyset_first(&both, &first)) {
						tr_keyset_release(&both);
						continue;
					}
					tr_keyset_release(&both);
				}
				tr_buf_addf(msg, "asset %s", x->asset);
				if (first >= 0)
					tr_buf_addf(msg, " (partition index %lld)", (long long)first);
				tr_buf_addf(msg, " is being written by run %lld", (long long)o->run_id);
				if (o->backfill_id)
					tr_buf_addf(msg, " of backfill %lld", (long long)o->backfill_id);
				tr_buf_addf(msg, ": wait for it to end, or cancel it (POST "
						 "/api/runs/%lld/cancel)",
					    (long long)o->run_id);
				return 1;
			}
	}
	return 0;
}

int srv_job_conflict(tr_server *s, const char *asset, const tr_partdef *def,
		     const tr_keyset *keys, tr_buf *msg)
{
	struct srv_job probe;
	struct claim cl;
	int found;

	memset(&probe, 0, sizeof(probe));
	cl.asset = asset;
	cl.def = def;
	cl.keys = *keys; /* read only */
	probe.claims = &cl;
	probe.n_claims = 1;
	pthread_mutex_lock(&s->mu);
	found = conflict_locked(s, &probe, msg);
	pthread_mutex_unlock(&s->mu);
	return found;
}

/* ---- launching ----------------------------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void plan_answer(srv_ctx *c, const tr_run_report *r)
{
	tr_json j;
	int64_t parts = r->partitions_total;

	if (!parts)
		for (size_t k = 0; k < r->n_plan; k++)
			parts += r->plan[k].partitions;
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	tr_json_kv_int(&j, "partitions", parts);
	tr_json_kv_int(&j, "steps", (int64_t)r->total);
	tr_json_key(&j, "plan");
	tr_json_array_begin(&j);
	for (size_t k = 0; k < r->n_plan; k++) {
		const tr_plan_asset *a = &r->plan[k];
		const char *line = a->ranges ? a->ranges : "";
		size_t shown = 0, total = 0;

		tr_json_object_begin(&j);
		tr_json_kv_string(&j, "asset", a->asset);
		tr_json_kv_int(&j, "partitions", a->partitions);
		tr_json_kv_int(&j, "steps", a->steps);
		tr_json_kv_string(&j, "policy", a->policy);
		tr_json_kv_int(&j, "max_per_step", a->max_per_step);
		tr_json_key(&j, "ranges");
		if (!*line) {
			tr_json_null(&j);
		} else {
			tr_json_array_begin(&j);
			while (*line) {
				size_t len = strcspn(line, "\n");

				if (len) {
					total++;
					if (shown < PLAN_RANGES_MAX) {
						tr_json_string_n(&j, line, len);
						shown++;
					}
				}
				line += len + (line[len] == '\n');
			}
			tr_json_array_end(&j);
		}
		tr_json_kv_bool(&j, "ranges_truncated", total > shown);
		tr_json_object_end(&j);
	}
	tr_json_array_end(&j);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
}

void srv_job_launch(srv_ctx *c, srv_launch *l)
{
	tr_server *s = c->s;
	const tr_project *p = srv_project(c);
	tr_storage *st = srv_st(c);
	tr_run_request dry;
	tr_run_report plan = {0};
	tr_error err = {0};
	struct srv_job *job = NULL, *later = NULL;
	tr_buf conflict = TR_BUF_INIT;
	pthread_t thread;
	pthread_attr_t attr;
	tr_json j;
	int rc;

	if (!st)
		return;
	dry = l->req;
	dry.dry_run = 1;
	dry.plan_out = NULL;
	dry.on_progress = NULL;
	dry.on_start = NULL;
	dry.cancel = NULL;
	if (tr_materialize(p, st, NULL, &dry, &plan, &err)) {
		srv_fail_err(c, &err);
		goto out;
	}
	if (l->dry_run) {
		plan_answer(c, &plan);
		goto out;
	}
	if (plan.total == 0) {
		srv_json_begin(c, &j, 200);
		tr_json_object_begin(&j);
		tr_json_kv_string(&j, "status", "nothing_to_do");
		tr_json_key(&j, "run_id");
		tr_json_null(&j);
		tr_json_kv_int_or_null(&j, "backfill_id", l->req.resume);
		tr_json_kv_int(&j, "partitions", 0);
		tr_json_kv_int(&j, "steps", 0);
		tr_json_object_end(&j);
		tr_buf_addc(&c->rs->body, '\n');
		goto out;
	}

	/* the job, with copies of everything the request points at */
	job = calloc(1, sizeof(*job));
	if (!job) {
		srv_fail(c, 500, "internal", "out of memory");
		goto out;
	}
	job->s = s;
	job->refs = 1; /* the launcher's, until the answer */
	/* the project the request was planned against, whatever a reload does meanwhile */
	pthread_mutex_lock(&s->mu);
	c->proj->refs++;
	pthread_mutex_unlock(&s->mu);
	job->proj = c->proj;
	job->req = l->req;
	job->selection = dup_or_null(l->req.selection);
	job->from = dup_or_null(l->req.from);
	job->to = dup_or_null(l->req.to);
	job->launched_by = dup_or_null(l->req.launched_by);
	job->keys = calloc(l->req.n_keys + 1, sizeof(char *));
	for (size_t k = 0; job->keys && k < l->req.n_keys; k++)
		if ((job->keys[k] = strdup(l->req.keys[k])))
			job->n_keys++;
	if (!job->keys || job->n_keys != l->req.n_keys ||
	    (l->req.selection && !job->selection) || (l->req.from && !job->from) ||
	    (l->req.to && !job->to) || (l->req.launched_by && !job->launched_by)) {
		srv_fail(c, 500, "internal", "out of memory");
		goto out;
	}
	job->req.selection = job->selection;
	job->req.from = job->from;
	job->req.to = job->to;
	job->req.launched_by = job->launched_by;
	job->req.keys = (const char *const *)job->keys;
	job->req.dry_run = 0;
	job->req.plan_out = NULL;
	job->req.cancel = &job->cancel;
	job->req.on_progress = on_progress;
	job->req.on_start = on_start;
	job->req.ctx = job;
	if (claims_from_plan(st, p, &plan, job, &err)) {
		srv_fail_err(c, &err);
		goto out;
	}

	pthread_mutex_lock(&s->mu);
	if (s->stopping) {
		pthread_mutex_unlock(&s->mu);
		srv_fail(c, 503, "unavailable", "the server is stopping");
		goto out;
	}
	if (conflict_locked(s, job, &conflict)) {
		pthread_mutex_unlock(&s->mu);
		srv_fail(c, 409, "conflict", "%s", tr_buf_str(&conflict));
		goto out;
	}
	job->refs++; /* the list's */
	job->in_list = 1;
	job->next = s->jobs;
	s->jobs = job;
	s->n_running++;
	s->n_threads++;
	job->refs++; /* the thread's, dropped in job_main */
	pthread_mutex_unlock(&s->mu);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&thread, &attr, job_main, job);
	pthread_attr_destroy(&attr);
	if (rc) {
		pthread_mutex_lock(&s->mu);
		job->ended = 1;
		job->rc = TR_EIO;
		s->n_running--;
		s->n_threads--;
		job->refs--; /* no thread */
		prune_locked(s, &later);
		srv_notify_locked(s);
		pthread_mutex_unlock(&s->mu);
		srv_fail(c, 500, "internal", "cannot start a thread for the run: %s", strerror(rc));
		goto out;
	}

	/* the answer carries the run's id: wait until the executor recorded it */
	pthread_mutex_lock(&s->mu);
	{
		int64_t until = srv_wall_ms() + START_WAIT_MS;

		while (!job->started && !job->ended && srv_wall_ms() < until)
			wait_locked(s, until);
	}
	if (!job->started && job->ended && job->rc) {
		tr_error jerr = job->err;

		pthread_mutex_unlock(&s->mu);
		srv_fail_err(c, &jerr);
		goto out;
	}
	srv_json_begin(c, &j, 202);
	tr_json_object_begin(&j);
	tr_json_kv_string(&j, "status", job->ended ? "ended" : "running");
	tr_json_kv_int_or_null(&j, "run_id", job->run_id);
	tr_json_kv_int_or_null(&j, "backfill_id", job->backfill_id);
	pthread_mutex_unlock(&s->mu);
	tr_json_kv_int(&j, "partitions", plan.partitions_total);
	tr_json_kv_int(&j, "steps", (int64_t)plan.total);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
out:
	if (job)
		job_unref(s, job);
	free_list(later);
	tr_buf_release(&conflict);
	tr_run_report_release(&plan);
}

int srv_job_cancel(tr_server *s, int64_t run_id, int64_t backfill_id)
{
	int found = 0;

	pthread_mutex_lock(&s->mu);
	for (struct srv_job *job = s->jobs; job; job = job->next) {
		if (job->ended)
			continue;
		if (job_matches(job, run_id, backfill_id)) {
			job->cancel = 1;
			found = 1;
		}
	}
	pthread_mutex_unlock(&s->mu);
	return found;
}

/*
 * A canceled job has not let go of its partitions until its thread is out of
 * the executor (the rollback of a step cut short, the run and backfill rows
 * written): a launch before that is a conflict (409). So who cancels waits
 * for the end here rather than leave the race to the client.
 */
int srv_job_wait_canceled(tr_server *s, int64_t run_id, int64_t backfill_id, int64_t wait_ms)
{
	int64_t until = srv_wall_ms() + wait_ms;
	int left, unasked;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		left = unasked = 0;
		for (const struct srv_job *job = s->jobs; job; job = job->next)
			if (!job->ended && job_matches(job, run_id, backfill_id)) {
				left = 1;
				unasked |= !job->cancel;
			}
		if (!left || unasked || srv_wall_ms() >= until)
			break;
		wait_locked(s, until);
	}
	pthread_mutex_unlock(&s->mu);
	return !left;
}

int srv_job_live_counters(tr_server *s, tr_run *run)
{
	int found = 0;

	pthread_mutex_lock(&s->mu);
	for (const struct srv_job *job = s->jobs; job && run->id; job = job->next)
		if (job->run_id == run->id) {
			if (job->has_counts) {
				run->steps_total = job->steps_total;
				run->steps_succeeded =
					job->steps_done - job->steps_failed - job->steps_skipped;
				run->steps_failed = job->steps_failed;
				run->steps_skipped = job->steps_skipped;
				found = 1;
			}
			break;
		}
	pthread_mutex_unlock(&s->mu);
	return found;
}

int srv_job_running_backfill(tr_server *s, int64_t backfill_id)
{
	int found = 0;

	pthread_mutex_lock(&s->mu);
	for (struct srv_job *job = s->jobs; job; job = job->next)
		if (!job->ended && job->backfill_id == backfill_id)
			found = 1;
	pthread_mutex_unlock(&s->mu);
	return found;
}

void srv_jobs_stop(tr_server *s)
{
	pthread_mutex_lock(&s->mu);
	for (struct srv_job *job = s->jobs; job; job = job->next)
		job->cancel = 1;
	while (s->n_threads > 0)
		pthread_cond_wait(&s->cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
}

void srv_jobs_free(tr_server *s)
{
	struct srv_job *later = NULL;

	pthread_mutex_lock(&s->mu);
	while (s->jobs) {
		struct srv_job *job = s->jobs;

		s->jobs = job->next;
		job->in_list = 0;
		job_unref_locked(job, &later);
	}
	pthread_mutex_unlock(&s->mu);
	free_list(later);
}

/* ---- streams ------------------------------------------------------------------------------ */

struct srv_stream {
	tr_server *s;
	int64_t run_id, after_id;
	struct srv_job *job; /* referenced; NULL: the run is not (or no longer) this server's */
	uint64_t ring_seen;
	uint64_t generation;
	tr_storage *st;
	tr_buf out;
	size_t off;
	int ended;
	int64_t last_send_ms;
};

static void frame(tr_buf *out, int64_t id, const char *event, const char *data);

/* The events a replay skips, by type. */
struct replay_counts {
	char *names[REPLAY_TYPES]; /* the last one also counts the types beyond */
	int64_t counts[REPLAY_TYPES];
	size_t n;
};

static size_t replay_type(struct replay_counts *rc, const char *type)
{
	for (size_t k = 0; k < rc->n; k++)
		if (!strcmp(rc->names[k], type))
			return k;
	if (rc->n < REPLAY_TYPES - 1 && (rc->names[rc->n] = strdup(type)))
		return rc->n++;
	if (!rc->names[REPLAY_TYPES - 1])
		rc->names[REPLAY_TYPES - 1] = strdup("other");
	rc->n = REPLAY_TYPES;
	return REPLAY_TYPES - 1;
}

/*
 * Bounds what a stream sends of the past: when more than replay_max events
 * follow st->after_id, the older ones are skipped (after_id moves to the last
 * of them) and one `replay` frame says how many, of which types, and up to
 * which id. The events are read in pages, keeping only the ids and types of
 * the newest replay_max + 1: memory does not grow with the run.
 */
static int replay_bound(srv_stream *st, size_t replay_max, tr_error *err)
{
	struct tail {
		int64_t id;
		size_t type;
	} *ring = calloc(replay_max + 1, sizeof(*ring));
	struct replay_counts types = {{0}, {0}, 0};
	uint64_t seen = 0, skipped;
	int64_t after = st->after_id, first_id = 0;
	tr_buf data = TR_BUF_INIT;
	tr_json j;
	int rc = 0;

	if (!ring)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	for (;;) {
		tr_event_rec *evs = NULL;
		size_t n = 0;

		if ((rc = tr_storage_events_list(st->st, st->run_id, NULL, after, REPLAY_SCAN_PAGE,
						 &evs, &n, err)))
			goto out;
		for (size_t k = 0; k < n; k++) {
			struct tail *t = &ring[seen++ % (replay_max + 1)];

			if (!first_id)
				first_id = evs[k].id;
			t->id = evs[k].id;
			t->type = replay_type(&types, evs[k].type ? evs[k].type : "");
			types.counts[t->type]++;
		}
		if (n)
			after = evs[n - 1].id;
		tr_event_recs_free(evs, n);
		if (n < REPLAY_SCAN_PAGE)
			break;
	}
	if (seen <= replay_max)
		goto out;
	/* the ring holds events skipped - 1 (the last skipped) to seen - 1 */
	skipped = seen - replay_max;
	for (uint64_t q = skipped; q < seen; q++)
		types.counts[ring[q % (replay_max + 1)].type]--;
	st->after_id = ring[(skipped - 1) % (replay_max + 1)].id;
	tr_json_init(&j, &data, 0);
	tr_json_object_begin(&j);
	tr_json_kv_int(&j, "skipped", (int64_t)skipped);
	tr_json_kv_int(&j, "replayed", (int64_t)replay_max);
	tr_json_kv_int(&j, "first_skipped_id", first_id);
	tr_json_kv_int(&j, "last_skipped_id", st->after_id);
	tr_json_key(&j, "counts");
	tr_json_object_begin(&j);
	for (size_t k = 0; k < types.n; k++)
		if (types.counts[k] > 0 && types.names[k])
			tr_json_kv_int(&j, types.names[k], types.counts[k]);
	tr_json_object_end(&j);
	tr_json_object_end(&j);
	/* with the id: a client that reconnects (Last-Event-ID) goes on from there */
	frame(&st->out, st->after_id, "replay", tr_buf_str(&data));
	if (tr_buf_failed(&data) || tr_buf_failed(&st->out))
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
out:
	for (size_t k = 0; k < REPLAY_TYPES; k++)
		free(types.names[k]);
	tr_buf_release(&data);
	free(ring);
	return rc;
}

int srv_stream_new(tr_server *s, int64_t run_id, int64_t after_id, int progress_from_start,
		   size_t replay_max, srv_stream **out, tr_error *err)
{
	srv_stream *st = calloc(1, sizeof(*st));
	int rc;

	*out = NULL;
	if (!st)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	st->s = s;
	st->run_id = run_id;
	st->after_id = after_id;
	tr_buf_init(&st->out, 0);
	st->st = srv_storage_take(s, err);
	if (!st->st) {
		free(st);
		return err->code ? err->code : TR_EIO;
	}
	pthread_mutex_lock(&s->mu);
	for (struct srv_job *job = s->jobs; job && run_id; job = job->next)
		if (job->run_id == run_id) {
			job->refs++;
			st->job = job;
			/* progress reports are live: from now on, unless asked from the start */
			st->ring_seen = progress_from_start ? 0 : job->ring_next;
			break;
		}
	pthread_mutex_unlock(&s->mu);
	/* a comment first: the client sees the stream open at once */
	tr_buf_addf(&st->out, ": tranche event stream%s\nretry: 2000\n\n",
		    run_id ? " of one run" : "");
	if ((rc = replay_bound(st, replay_max, err))) {
		srv_stream_free(st);
		return rc;
	}
	st->last_send_ms = srv_wall_ms();
	*out = st;
	return 0;
}

void srv_stream_free(srv_stream *st)
{
	if (!st)
		return;
	if (st->job)
		job_unref(st->s, st->job);
	srv_storage_give(st->s, st->st);
	tr_buf_release(&st->out);
	free(st);
}

static void frame(tr_buf *out, int64_t id, const char *event, const char *data)
{
	if (id)
		tr_buf_addf(out, "id: %lld\n", (long long)id);
	tr_buf_addf(out, "event: %s\ndata: %s\n\n", event, data ? data : "{}");
}

/* Appends new events of the stream; 1 when the page was full (more may wait). */
static int add_events(srv_stream *st)
{
	tr_event_rec *evs = NULL;
	size_t n = 0;
	tr_buf data = TR_BUF_INIT;

	if (tr_storage_events_list(st->st, st->run_id, NULL, st->after_id, STREAM_EVENTS_PAGE, &evs,
				   &n, NULL))
		return 0;
	for (size_t k = 0; k < n; k++) {
		tr_json j;

		tr_buf_reset(&data);
		tr_json_init(&j, &data, 0);
		srv_json_event(&j, &evs[k]);
		frame(&st->out, evs[k].id, evs[k].type, tr_buf_str(&data));
		st->after_id = evs[k].id;
	}
	tr_buf_release(&data);
	tr_event_recs_free(evs, n);
	return n == STREAM_EVENTS_PAGE;
}

/* Fills st->out with what there is to send now (maybe nothing). */
static void fill(srv_stream *st)
{
	tr_server *s = st->s;
	int run_ended = 0, stopping, full;
	char *summary = NULL;

	pthread_mutex_lock(&s->mu);
	stopping = s->stopping;
	st->generation = s->generation;
	if (!st->job && st->run_id) {
		/* the run may have been launched after the stream opened (or not be ours) */
		for (struct srv_job *job = s->jobs; job; job = job->next)
			if (job->run_id == st->run_id) {
				job->refs++;
				st->job = job;
				break;
			}
	}
	if (st->job) {
		struct srv_job *job = st->job;
		uint64_t from = st->ring_seen;

		if (job->ring_next > PROGRESS_RING && from < job->ring_next - PROGRESS_RING)
			from = job->ring_next - PROGRESS_RING; /* a slow reader skips what is gone */
		for (uint64_t q = from; q < job->ring_next; q++)
			frame(&st->out, 0, "progress", job->ring[q % PROGRESS_RING]);
		st->ring_seen = job->ring_next;
		run_ended = job->ended;
		if (run_ended && job->summary)
			summary = strdup(job->summary);
	}
	pthread_mutex_unlock(&s->mu);

	if (stopping) {
		frame(&st->out, 0, "end", "{\"reason\":\"the server is stopping\"}");
		st->ended = 1;
		free(summary);
		return;
	}
	if (st->run_id && !st->job) {
		/* not this server's run: its row says when it ends */
		tr_run run = {0};

		if (tr_storage_run_get(st->st, st->run_id, &run, NULL) == 0) {
			run_ended = strcmp(run.status, "started") != 0;
			tr_run_release(&run);
		} else {
			run_ended = 1;
		}
	}
	/* the ended flag was read before the events: every event of an ended run is in */
	full = add_events(st);
	if (st->run_id && run_ended && !full) {
		if (summary)
			frame(&st->out, 0, "summary", summary);
		frame(&st->out, 0, "end", "{\"reason\":\"the run ended\"}");
		st->ended = 1;
	}
	free(summary);
}

long srv_stream_read(srv_stream *st, char *buf, size_t max)
{
	tr_server *s = st->s;

	for (;;) {
		if (st->off < st->out.len) {
			size_t n = st->out.len - st->off;

			if (n > max)
				n = max;
			memcpy(buf, st->out.data + st->off, n);
			st->off += n;
			if (st->off == st->out.len) {
				tr_buf_reset(&st->out);
				st->off = 0;
			}
			st->last_send_ms = srv_wall_ms();
			return (long)n;
		}
		if (st->ended)
			return -1;
		fill(st);
		if (st->out.len)
			continue;
		if (srv_wall_ms() - st->last_send_ms >= STREAM_KEEPALIVE_MS) {
			/* a comment: keeps proxies from closing, tells a gone client apart */
			tr_buf_adds(&st->out, ": keep-alive\n\n");
			continue;
		}
		pthread_mutex_lock(&s->mu);
		if (s->generation == st->generation && !s->stopping) {
			struct timespec ts;
			int64_t at = srv_wall_ms() + STREAM_POLL_MS;

			ts.tv_sec = at / 1000;
			ts.tv_nsec = (at % 1000) * 1000000;
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		}
		pthread_mutex_unlock(&s->mu);
	}
}
