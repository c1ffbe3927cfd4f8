/*
 * run.c — the executor of `tranche materialize` and `tranche backfill`.
 *
 * The calling thread is the coordinator: it alone uses instance storage and
 * calls on_progress. It hands ready steps to `jobs` worker threads (each with
 * its own warehouse connection) through a small run queue, and takes ended
 * steps back from a done queue. Each round it writes every event gathered
 * since the last round (step starts, the ended steps' events) in one
 * transaction, so storage costs one commit per round, not per event, however
 * many workers there are.
 *
 * Order: a step becomes ready when every upstream step it reads (see plan.c)
 * has ended; if one of them failed, was skipped or failed a blocking check,
 * it is skipped and so are the steps below it. Ready steps wait in one heap
 * per pool (and one for steps in no pool), lowest step number first —
 * upstream assets before downstream, early partitions before late. A pool
 * starts a step only while fewer than max_concurrency of its steps run and,
 * for each of its rates, fewer than count started in the last period — counting
 * the starts of earlier runs too, read from the instance storage at the start
 * (each start is recorded there as it happens). An asset whose
 * table does not exist yet runs its first step alone (creating a table twice
 * at once would conflict).
 *
 * Retries: a failed step with attempts left goes back, delayed, to its heap;
 * its "step_retry" event says why. Cancel (req->cancel, or the backfill set
 * to "canceling" from another process): no new step starts, running SQL is
 * interrupted (each worker's transaction rolls back), commands get SIGTERM;
 * the run ends "canceled" and its in-progress partitions get back their old
 * status.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exec/exec_int.h"

#define ROUND_WAIT_MS 50           /* the coordinator looks at cancel this often */
#define BACKFILL_POLL_MS 500       /* ...at its backfill's status (cancel from elsewhere) */
#define BACKFILL_PROGRESS_MS 1000  /* ...and records the backfill's progress */
/*
 * Events wait at most this long before they are written (one SQLite
 * transaction for all of them): a step's data is committed in the warehouse
 * first, so a crash in between loses only the record, and the partition is
 * run again on resume (a load replaces its slice: nothing is duplicated).
 */
#define FLUSH_MS 100

struct heap {
	uint32_t *a;
	size_t n, cap;
};

struct rate_ring {
	int64_t *starts; /* the last `count` start times (a ring) */
	size_t n_starts, next;
};

struct pool_state {
	int64_t running;
	struct rate_ring rings[TR_POOL_MAX_RATES]; /* one per rate of the pool */
};

struct exec;

struct worker {
	struct exec *x;
	pthread_t thread;
	int started;
	tr_wconn *conn;
};

struct exec {
	const tr_project *p;
	tr_storage *st;
	tr_warehouse *wh;
	const tr_run_request *req;
	tr_run_report *report;
	struct plan pl;
	int64_t run_id, backfill_id, started_ms;
	size_t jobs;
	struct worker *workers;

	/* shared with the workers, under mu */
	pthread_mutex_t mu;
	pthread_cond_t work_cv, done_cv;
	uint32_t *runq; /* ring of jobs entries */
	size_t runq_head, runq_n;
	uint32_t *doneq;
	size_t doneq_n;
	int shutdown;
	int fatal;
	tr_error fatal_err;
	volatile sig_atomic_t stop; /* the run is being canceled */

	/* the coordinator's own */
	struct heap *heaps; /* n_pools + 1: the last for steps in no pool */
	struct pool_state *pools;
	uint32_t *delayed; /* retries waiting for their time */
	size_t n_delayed;
	size_t running, ended;
	struct batch pending;
	uint32_t *stack; /* skip propagation */
	char running_assets[160];
	int64_t last_poll_ms, last_record_ms, last_flush_ms;
	size_t waiting_pool; /* the wait last reported (progress_waiting) */
	size_t *asset_pool;  /* per asset: its pool, TR_NO_POOL when none or read offline */
	int64_t waiting_until;
};

/* ---- heaps --------------------------------------------------------------------------- */

static int heap_push(struct heap *h, uint32_t v)
{
	size_t i;

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		uint32_t *a = realloc(h->a, cap * sizeof(*a));

		if (!a)
			return TR_ENOMEM;
		h->a = a;
		h->cap = cap;
	}
	for (i = h->n++; i > 0 && h->a[(i - 1) / 2] > v; i = (i - 1) / 2)
		h->a[i] = h->a[(i - 1) / 2];
	h->a[i] = v;
	return 0;
}

static uint32_t heap_pop(struct heap *h)
{
	uint32_t top = h->a[0], last = h->a[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->a[c + 1] < h->a[c])
			c++;
		if (h->a[c] >= last)
			break;
		h->a[i] = h->a[c];
		i = c;
	}
	if (h->n)
		h->a[i] = last;
	return top;
}

/* ---- workers ------------------------------------------------------------------------- */

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct exec *x = w->x;
	struct step_env env = {x->p, &x->pl, w->conn, x->run_id, &x->stop};

	pthread_mutex_lock(&x->mu);
	for (;;) {
		uint32_t s;
		tr_error err = {0};
		int rc;

		while (x->runq_n == 0 && !x->shutdown)
			pthread_cond_wait(&x->work_cv, &x->mu);
		if (x->runq_n == 0)
			break;
		s = x->runq[x->runq_head];
		x->runq_head = (x->runq_head + 1) % x->jobs;
		x->runq_n--;
		pthread_mutex_unlock(&x->mu);

		rc = step_execute(&env, &x->pl.steps[s], s, &err);

		pthread_mutex_lock(&x->mu);
		if (rc && !x->fatal) {
			x->fatal = 1;
			x->fatal_err = err;
		}
		if (rc)
			x->pl.steps[s].state = ST_FAILED;
		x->doneq[x->doneq_n++] = s;
		pthread_cond_signal(&x->done_cv);
	}
	pthread_mutex_unlock(&x->mu);
	return NULL;
}

/* ---- events of the coordinator ------------------------------------------------------- */

/* Adds one event of `type` per partition of step s (message may be NULL). */
static int step_events(struct exec *x, uint32_t s, const char *type, const char *message)
{
	const struct step *st = &x->pl.steps[s];
	const struct plan_asset *pa = &x->pl.pa[st->asset];
	const char *asset = x->p->assets[st->asset].name;
	const char *msg = message ? batch_dup(&x->pending, message) : NULL;

	for (int64_t k = 0; k < st->count; k++) {
		tr_buf key = TR_BUF_INIT;
		tr_event *ev;

		if (pa->parts &&
		    (tr_partitions_key(pa->parts, st->first + k * st->stride, &key, NULL) ||
		     tr_buf_failed(&key))) {
			tr_buf_release(&key);
			return TR_ENOMEM;
		}
		ev = batch_add(&x->pending, x->run_id, type, asset,
			       pa->parts ? batch_keep(&x->pending, tr_buf_detach(&key, NULL)) : "");
		if (!ev)
			return TR_ENOMEM;
		ev->message = msg;
	}
	return 0;
}

/* "2024-01-01" or "2024-01-01...2024-01-31" or "" — for messages */
static void step_label(const struct exec *x, uint32_t s, char *out, size_t n)
{
	const struct step *st = &x->pl.steps[s];
	const struct plan_asset *pa = &x->pl.pa[st->asset];
	tr_buf a = TR_BUF_INIT, b = TR_BUF_INIT;

	out[0] = '\0';
	if (!pa->parts)
		return;
	tr_partitions_key(pa->parts, st->first, &a, NULL);
	if (st->count > 1)
		tr_partitions_key(pa->parts, st->first + (st->count - 1) * st->stride, &b, NULL);
	snprintf(out, n, "%s%s%s", tr_buf_str(&a), st->count > 1 ? "..." : "", tr_buf_str(&b));
	tr_buf_release(&a);
	tr_buf_release(&b);
}

static void note_error(struct exec *x, uint32_t s, const char *msg)
{
	char label[256];
	const char *asset = x->p->assets[x->pl.steps[s].asset].name;

	if (x->report->first_error)
		return;
	step_label(x, s, label, sizeof(label));
	if (label[0])
		(void)asprintf(&x->report->first_error, "asset %s partition %s: %s", asset, label, msg);
	else
		(void)asprintf(&x->report->first_error, "asset %s: %s", asset, msg);
}

static void update_running_assets(struct exec *x)
{
	size_t len = 0, shown = 0;

	x->running_assets[0] = '\0';
	for (size_t k = 0; k < x->p->n_assets; k++) {
		size_t i = x->p->order[k];

		if (x->pl.pa[i].running <= 0)
			continue;
		if (shown == 3) {
			snprintf(x->running_assets + len, sizeof(x->running_assets) - len, ", …");
			break;
		}
		len += (size_t)snprintf(x->running_assets + len, sizeof(x->running_assets) - len,
					"%s%s", shown ? ", " : "", x->p->assets[i].name);
		if (len >= sizeof(x->running_assets))
			break;
		shown++;
	}
}

static void progress(struct exec *x, uint32_t s, int ended, int ok, int retrying, const char *error)
{
	const tr_run_report *r = x->report;
	tr_progress pr;
	char label[256];

	if (!x->req->on_progress)
		return;
	step_label(x, s, label, sizeof(label));
	update_running_assets(x);
	memset(&pr, 0, sizeof(pr));
	pr.total = r->total;
	pr.done = r->succeeded + r->failed + r->skipped;
	pr.failed = r->failed;
	pr.skipped = r->skipped;
	pr.asset = x->p->assets[x->pl.steps[s].asset].name;
	pr.partition = label;
	pr.elapsed_ms = exec_wall_ms() - x->started_ms;
	pr.ended = ended;
	pr.ok = ok;
	pr.error = error;
	pr.partitions_total = r->partitions_total;
	pr.partitions_done = r->partitions_succeeded + r->partitions_failed + r->partitions_skipped;
	pr.partitions_failed = r->partitions_failed;
	pr.partitions_skipped = r->partitions_skipped;
	pr.running = x->running;
	pr.running_assets = x->running_assets;
	pr.retrying = retrying;
	x->req->on_progress(x->req->ctx, &pr);
}

/* Nothing runs and pool k's rate holds the next step until `until`: say so, once per wait. */
static void progress_waiting(struct exec *x, size_t k, int64_t until)
{
	const tr_pool *pool = &x->p->pools[k];
	const tr_run_report *r = x->report;
	tr_progress pr;
	char what[200];
	size_t used;

	if (!x->req->on_progress || (x->waiting_pool == k && x->waiting_until == until))
		return;
	x->waiting_pool = k;
	x->waiting_until = until;
	used = (size_t)snprintf(what, sizeof(what), "pool %s (", pool->name);
	for (size_t i = 0; i < pool->n_rates && used < sizeof(what); i++) {
		static const struct {
			int64_t ms;
			const char *unit, *abbr;
		} units[] = {{86400000, "day", "d"},
			     {3600000, "hour", "h"},
			     {60000, "minute", "m"},
			     {1000, "second", "s"}};
		int64_t ms = pool->rates[i].period_ms;
		size_t u = 0;

		while (u < 3 && ms % units[u].ms)
			u++;
		if (ms % units[u].ms)
			used += (size_t)snprintf(what + used, sizeof(what) - used, "%s%lld/%lldms",
						 i ? ", " : "", (long long)pool->rates[i].count,
						 (long long)ms);
		else if (ms == units[u].ms)
			used += (size_t)snprintf(what + used, sizeof(what) - used, "%s%lld/%s",
						 i ? ", " : "", (long long)pool->rates[i].count,
						 units[u].unit);
		else
			used += (size_t)snprintf(what + used, sizeof(what) - used, "%s%lld/%lld%s",
						 i ? ", " : "", (long long)pool->rates[i].count,
						 (long long)(ms / units[u].ms), units[u].abbr);
	}
	if (used < sizeof(what))
		snprintf(what + used, sizeof(what) - used, ")");
	memset(&pr, 0, sizeof(pr));
	pr.total = r->total;
	pr.done = r->succeeded + r->failed + r->skipped;
	pr.failed = r->failed;
	pr.skipped = r->skipped;
	pr.elapsed_ms = exec_wall_ms() - x->started_ms;
	pr.partitions_total = r->partitions_total;
	pr.partitions_done = r->partitions_succeeded + r->partitions_failed + r->partitions_skipped;
	pr.partitions_failed = r->partitions_failed;
	pr.partitions_skipped = r->partitions_skipped;
	pr.waiting = what;
	pr.waiting_until_ms = until;
	x->req->on_progress(x->req->ctx, &pr);
}

/* ---- step outcomes ------------------------------------------------------------------- */

static int keys_add(tr_keyset *ks, const struct step *st)
{
	int rc = 0;

	if (st->stride == 1)
		return tr_keyset_add_range(ks, st->first, st->first + st->count);
	for (int64_t k = 0; k < st->count && !rc; k++)
		rc = tr_keyset_add(ks, st->first + k * st->stride);
	return rc;
}

static int make_ready(struct exec *x, uint32_t s)
{
	size_t pool = x->asset_pool[x->pl.steps[s].asset];

	x->pl.steps[s].state = ST_READY;
	return heap_push(&x->heaps[pool == TR_NO_POOL ? x->p->n_pools : pool], s);
}

/* Step s ended in a final state: release its downstream steps; skip those that
   cannot run, and theirs, and so on. */
static int propagate(struct exec *x, uint32_t s0)
{
	size_t n = 0;
	int rc = 0;

	x->stack[n++] = s0;
	while (n && !rc) {
		uint32_t s = x->stack[--n];
		const struct step *st = &x->pl.steps[s];
		int bad = st->state == ST_FAILED || st->state == ST_SKIPPED || st->state == ST_BLOCKED;

		for (uint32_t e = x->pl.down_start[s]; e < x->pl.down_start[s + 1] && !rc; e++) {
			uint32_t d = x->pl.down[e];
			struct step *ds = &x->pl.steps[d];

			if (bad && !ds->bad_up) {
				ds->bad_up = 1;
				ds->bad_from = s;
			}
			if (--ds->waiting > 0 || ds->state != ST_PENDING)
				continue;
			if (!ds->bad_up) {
				rc = make_ready(x, d);
				continue;
			}
			/* skipped: record it and go on below it */
			{
				const struct step *from = &x->pl.steps[ds->bad_from];
				char reason[300];

				snprintf(reason, sizeof(reason), "upstream %s %s",
					 x->p->assets[from->asset].name,
					 from->state == ST_FAILED    ? "failed"
					 : from->state == ST_BLOCKED ? "failed a blocking check"
								     : "was skipped");
				ds->state = ST_SKIPPED;
				rc = step_events(x, d, "step_skipped", reason);
				if (!rc)
					rc = keys_add(&x->pl.pa[ds->asset].skipped, ds);
				x->report->skipped++;
				x->report->partitions_skipped += ds->count;
				x->ended++;
				if (x->req->on_progress) {
					char why[320];

					snprintf(why, sizeof(why), "skipped: %s", reason);
					progress(x, d, 1, 0, 0, why);
				}
				x->stack[n++] = d;
			}
		}
	}
	return rc;
}

static int64_t retry_delay_ms(const tr_retry_policy *rp, int attempt)
{
	double d = (double)rp->delay_ms * pow(rp->backoff >= 1.0 ? rp->backoff : 1.0, attempt - 1);

	return d > 86400e3 ? 86400000 : (int64_t)d;
}

/* A step came back from a worker. */
static int step_ended(struct exec *x, uint32_t s)
{
	struct step *st = &x->pl.steps[s];
	struct plan_asset *pa = &x->pl.pa[st->asset];
	const tr_asset *a = &x->p->assets[st->asset];
	int rc;

	x->running--;
	pa->running--;
	if (x->asset_pool[st->asset] != TR_NO_POOL)
		x->pools[x->asset_pool[st->asset]].running--;
	x->report->checks_failed += st->checks_failed;
	rc = batch_move(&x->pending, &st->events);
	if (rc)
		return rc;
	switch (st->state) {
	case ST_OK:
	case ST_BLOCKED:
		pa->table_missing = 0;
		x->report->succeeded++;
		x->report->partitions_succeeded += st->count;
		x->ended++;
		rc = keys_add(&pa->done, st);
		if (!rc)
			rc = propagate(x, s);
		progress(x, s, 1, 1, 0, NULL);
		return rc;
	case ST_CANCELED:
		x->report->canceled = 1;
		x->ended++;
		progress(x, s, 1, 0, 0, "canceled");
		return 0;
	default:
		break;
	}
	/* failed */
	if (st->attempts <= a->retries.max && !x->stop) {
		int64_t delay = retry_delay_ms(&a->retries, st->attempts);
		char msg[TR_ERROR_MSG_MAX + 128];

		snprintf(msg, sizeof(msg), "attempt %u of %d failed, trying again in %.3g s: %s",
			 (unsigned)st->attempts, a->retries.max + 1, (double)delay / 1000.0,
			 st->error ? st->error : "failed");
		rc = step_events(x, s, "step_retry", msg);
		st->not_before_ms = exec_wall_ms() + delay;
		st->state = ST_PENDING;
		x->delayed[x->n_delayed++] = s;
		x->report->retries++;
		progress(x, s, 1, 0, 1, st->error);
		return rc;
	}
	st->state = ST_FAILED;
	x->report->failed++;
	x->report->partitions_failed += st->count;
	x->ended++;
	note_error(x, s, st->error ? st->error : "failed");
	rc = step_events(x, s, "step_failure", st->error ? st->error : "failed");
	if (!rc)
		rc = keys_add(&pa->failed, st);
	progress(x, s, 1, 0, 0, st->error ? st->error : "failed");
	if (!rc)
		rc = propagate(x, s);
	return rc;
}

/* ---- dispatch ------------------------------------------------------------------------ */

/* When pool k may start a step: 0 now, else the time to look again (INT64_MAX: when a
   step of it ends). */
static int64_t pool_wait(const struct exec *x, size_t k, int64_t now)
{
	const tr_pool *pool = &x->p->pools[k];
	const struct pool_state *ps = &x->pools[k];
	int64_t wait = 0;

	if (pool->max_concurrency > 0 && ps->running >= pool->max_concurrency)
		return INT64_MAX;
	for (size_t r = 0; r < pool->n_rates; r++) {
		const struct rate_ring *ring = &ps->rings[r];
		int64_t oldest, until;

		if (ring->n_starts < (size_t)pool->rates[r].count)
			continue;
		oldest = ring->starts[ring->next]; /* the ring is full: next is the oldest */
		until = oldest + pool->rates[r].period_ms;
		if (until > now && until > wait)
			wait = until;
	}
	return wait;
}

static void ring_add(struct rate_ring *ring, int64_t count, int64_t t)
{
	ring->starts[ring->next] = t;
	ring->next = (ring->next + 1) % (size_t)count;
	if (ring->n_starts < (size_t)count)
		ring->n_starts++;
}

/* The longest period of the pool's rates: starts older than that no longer count. */
static int64_t pool_longest_period(const tr_pool *pool)
{
	int64_t longest = 0;

	for (size_t r = 0; r < pool->n_rates; r++)
		if (pool->rates[r].period_ms > longest)
			longest = pool->rates[r].period_ms;
	return longest;
}

/* The rings of pool k, with the starts of earlier runs still inside each rate's period. */
static int pool_rings_init(struct exec *x, size_t k, int64_t now, tr_error *err)
{
	const tr_pool *pool = &x->p->pools[k];
	struct pool_state *ps = &x->pools[k];
	int64_t *ts = NULL;
	size_t n = 0, most = 0;
	int rc;

	for (size_t r = 0; r < pool->n_rates; r++) {
		if (!(ps->rings[r].starts = calloc((size_t)pool->rates[r].count, sizeof(int64_t))))
			return tr_error_set(err, TR_ENOMEM, "out of memory");
		if ((size_t)pool->rates[r].count > most)
			most = (size_t)pool->rates[r].count;
	}
	if (!pool->n_rates)
		return 0;
	rc = tr_storage_pool_starts(x->st, pool->name, now - pool_longest_period(pool), most, &ts,
				    &n, err);
	if (rc)
		return rc;
	/* oldest first, each into the rings of the rates whose period it falls in */
	for (size_t i = n; i-- > 0;)
		for (size_t r = 0; r < pool->n_rates; r++)
			if (ts[i] > now - pool->rates[r].period_ms)
				ring_add(&ps->rings[r], pool->rates[r].count, ts[i]);
	free(ts);
	return 0;
}

static int start_step(struct exec *x, uint32_t s, int64_t now, tr_error *err)
{
	struct step *st = &x->pl.steps[s];
	const tr_asset *a = &x->p->assets[st->asset];
	int rc = 0;

	st->state = ST_RUNNING;
	st->attempts++;
	x->running++;
	x->pl.pa[st->asset].running++;
	if (x->asset_pool[st->asset] != TR_NO_POOL) {
		const tr_pool *pool = &x->p->pools[x->asset_pool[st->asset]];
		struct pool_state *ps = &x->pools[x->asset_pool[st->asset]];

		ps->running++;
		for (size_t r = 0; r < pool->n_rates; r++)
			ring_add(&ps->rings[r], pool->rates[r].count, now);
		/* for the rates of later runs (an API's daily quota) */
		if (pool->n_rates &&
		    (rc = tr_storage_pool_start(x->st, pool->name, now,
						now - pool_longest_period(pool), err)))
			return rc;
	}
	if (st->attempts == 1) {
		rc = step_events(x, s, "step_start", NULL);
	} else {
		char msg[64];
		tr_event *ev;

		snprintf(msg, sizeof(msg), "attempt %u of %d", (unsigned)st->attempts,
			 a->retries.max + 1);
		ev = batch_add(&x->pending, x->run_id, "log", a->name, "");
		if (ev)
			ev->message = batch_dup(&x->pending, msg);
	}
	progress(x, s, 0, 0, 0, NULL);
	pthread_mutex_lock(&x->mu);
	x->runq[(x->runq_head + x->runq_n) % x->jobs] = s;
	x->runq_n++;
	pthread_cond_signal(&x->work_cv);
	pthread_mutex_unlock(&x->mu);
	return rc;
}

/* Starts what may start; *wake is when to look again at the latest (retries, rates). */
static int dispatch(struct exec *x, int64_t *wake, tr_error *err)
{
	int64_t now = exec_wall_ms();
	int rc = 0;

	*wake = INT64_MAX;
	/* retries whose time has come */
	for (size_t k = 0; k < x->n_delayed && !rc;) {
		uint32_t s = x->delayed[k];

		if (x->pl.steps[s].not_before_ms <= now) {
			x->delayed[k] = x->delayed[--x->n_delayed];
			rc = make_ready(x, s);
		} else {
			if (x->pl.steps[s].not_before_ms < *wake)
				*wake = x->pl.steps[s].not_before_ms;
			k++;
		}
	}
	while (!rc && x->running < x->jobs) {
		size_t best = SIZE_MAX, rate_pool = SIZE_MAX;
		int64_t rate_until = INT64_MAX;

		for (size_t h = 0; h <= x->p->n_pools; h++) {
			struct heap *hp = &x->heaps[h];
			const struct step *head;

			if (hp->n == 0)
				continue;
			head = &x->pl.steps[hp->a[0]];
			if (h < x->p->n_pools) {
				int64_t w = pool_wait(x, h, now);

				if (w) {
					if (w < *wake)
						*wake = w;
					if (w != INT64_MAX && w < rate_until) {
						rate_until = w;
						rate_pool = h;
					}
					continue;
				}
			}
			if (x->pl.pa[head->asset].table_missing && x->pl.pa[head->asset].running > 0)
				continue;
			if (best == SIZE_MAX || hp->a[0] < x->heaps[best].a[0])
				best = h;
		}
		if (best == SIZE_MAX) {
			/* a wait of a second or more with nothing running: say why */
			if (x->running == 0 && rate_pool != SIZE_MAX && rate_until - now >= 1000)
				progress_waiting(x, rate_pool, rate_until);
			break;
		}
		rc = start_step(x, heap_pop(&x->heaps[best]), now, err);
	}
	return rc;
}

/* ---- cancel and backfill bookkeeping --------------------------------------------------- */

static void interrupt_all(struct exec *x)
{
	for (size_t w = 0; w < x->jobs; w++)
		if (x->workers[w].conn)
			tr_wconn_interrupt(x->workers[w].conn);
}

static void begin_cancel(struct exec *x)
{
	if (!x->stop) {
		x->stop = 1;
		x->report->canceled = 1;
	}
	interrupt_all(x); /* again each round: an interrupt between statements is forgotten */
}

/*
 * The backfill's outcome so far: its counters and each asset's ranges, from
 * the same key sets in one transaction, so that a reader never sees the
 * totals ahead of the assets' counts (GET /api/backfills/ID while it runs).
 */
static int record_backfill(struct exec *x, const char *status, tr_error *err)
{
	tr_backfill b = {0};
	tr_backfill_asset *as = NULL;
	size_t n = 0;
	int64_t done = 0, failed = 0, skipped = 0;
	int rc = 0;

	if (!x->backfill_id)
		return 0;
	if (!(as = calloc(x->p->n_assets + 1, sizeof(*as))))
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	for (size_t i = 0; i < x->p->n_assets && !rc; i++) {
		struct plan_asset *pa = &x->pl.pa[i];
		tr_keyset all;
		tr_buf t[3] = {TR_BUF_INIT, TR_BUF_INIT, TR_BUF_INIT};

		if (!pa->in_backfill)
			continue;
		tr_keyset_init(&all);
		rc = tr_keyset_union(&all, &pa->done, &pa->prev_done);
		done += tr_keyset_count(&all);
		failed += tr_keyset_count(&pa->failed);
		skipped += tr_keyset_count(&pa->skipped);
		if (!rc) {
			const tr_keyset *sets[3] = {&all, &pa->failed, &pa->skipped};

			for (int k = 0; k < 3 && !rc; k++) {
				if (!pa->parts)
					tr_buf_adds(&t[k], tr_keyset_is_empty(sets[k]) ? "" : "unpartitioned");
				else
					rc = tr_partitions_keyset_to_ranges(pa->parts, sets[k], &t[k], err);
			}
			as[n].asset = x->p->assets[i].name;
			as[n].succeeded = tr_buf_detach(&t[0], NULL);
			as[n].failed = tr_buf_detach(&t[1], NULL);
			as[n].skipped = tr_buf_detach(&t[2], NULL);
			n++;
		}
		for (int k = 0; k < 3; k++)
			tr_buf_release(&t[k]);
		tr_keyset_release(&all);
	}
	b.status = (char *)status;
	b.ended_at = strcmp(status, "running") ? exec_wall_ms() : 0;
	b.partitions_succeeded = done;
	b.partitions_failed = failed;
	b.partitions_skipped = skipped;
	b.last_run_id = x->run_id;
	b.error = x->report->first_error;
	if (!rc)
		rc = tr_storage_backfill_update(x->st, x->backfill_id, &b, as, n, err);
	for (size_t k = 0; k < n; k++) {
		free(as[k].succeeded);
		free(as[k].failed);
		free(as[k].skipped);
	}
	free(as);
	return rc;
}

static int create_backfill(struct exec *x, tr_error *err)
{
	tr_backfill b = {0};
	tr_backfill_asset *as = calloc(x->p->n_assets + 1, sizeof(*as));
	tr_buf pick = TR_BUF_INIT;
	size_t n = 0;
	int rc = 0;

	if (!as)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	for (size_t k = 0; k < x->p->n_assets && !rc; k++) {
		size_t i = x->p->order[k];
		struct plan_asset *pa = &x->pl.pa[i];
		tr_buf t = TR_BUF_INIT;

		if (!pa->selected || tr_keyset_is_empty(&pa->keys))
			continue;
		if (pa->parts)
			rc = tr_partitions_keyset_to_ranges(pa->parts, &pa->keys, &t, err);
		else
			tr_buf_adds(&t, "unpartitioned");
		pa->in_backfill = 1;
		as[n].asset = x->p->assets[i].name;
		as[n].partitioned = pa->parts != NULL;
		as[n].n_requested = tr_keyset_count(&pa->keys);
		as[n].requested = tr_buf_detach(&t, NULL);
		if (!as[n].requested)
			rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		n++;
		tr_buf_release(&t);
	}
	b.status = "requested";
	b.selection = (char *)x->req->selection;
	b.partitions = (char *)pick_text(x->req, &pick);
	b.launched_by = (char *)(x->req->launched_by ? x->req->launched_by : "api");
	b.created_at = x->started_ms;
	b.partitions_total = x->pl.partitions;
	if (!rc)
		rc = tr_storage_backfill_create(x->st, &b, as, n, &x->backfill_id, err);
	for (size_t k = 0; k < n; k++)
		free(as[k].requested);
	free(as);
	tr_buf_release(&pick);
	return rc;
}

/* ---- the run ------------------------------------------------------------------------- */

static int start_run(struct exec *x, tr_error *err)
{
	tr_buf pick = TR_BUF_INIT;
	char host[256] = "";
	tr_run run = {0};
	int rc;

	gethostname(host, sizeof(host) - 1);
	run.selection = x->pl.selection ? x->pl.selection
					 : (char *)(x->req->selection ? x->req->selection : "");
	run.partitions = x->pl.pick ? x->pl.pick : (char *)pick_text(x->req, &pick);
	run.launched_by = (char *)(x->req->launched_by ? x->req->launched_by : "api");
	run.host = host;
	run.pid = getpid();
	run.created_at = x->started_ms;
	run.steps_total = (int64_t)x->pl.n_steps;
	run.backfill_id = x->backfill_id;
	rc = tr_storage_run_create(x->st, &run, &x->run_id, err);
	tr_buf_release(&pick);
	if (rc)
		return rc;
	x->report->run_id = x->run_id;
	batch_add(&x->pending, x->run_id, "run_start", NULL, NULL);
	rc = batch_flush(&x->pending, x->st, err);
	if (!rc && x->backfill_id)
		rc = record_backfill(x, "running", err);
	if (!rc && x->req->on_start)
		x->req->on_start(x->req->ctx, x->run_id, x->backfill_id);
	return rc;
}

static int finish_run(struct exec *x, tr_error *err)
{
	tr_run run = {0};
	const tr_run_report *r = x->report;
	const char *status = tr_run_report_status(r);
	char type[32];
	int rc;

	snprintf(type, sizeof(type), "run_%s", status);
	batch_add(&x->pending, x->run_id, type, NULL, NULL);
	rc = batch_flush(&x->pending, x->st, err);
	run.status = (char *)status;
	run.ended_at = exec_wall_ms();
	run.steps_total = (int64_t)r->total;
	run.steps_succeeded = (int64_t)r->succeeded;
	run.steps_failed = (int64_t)r->failed;
	run.steps_skipped = (int64_t)r->skipped;
	run.error = r->first_error;
	if (tr_storage_run_finish(x->st, x->run_id, &run, rc ? NULL : err) && !rc)
		rc = err->code;
	if (x->backfill_id) {
		const char *bstatus = r->canceled			? "canceled"
				      : r->failed || r->skipped		? "failed"
									: "completed";
		tr_error berr = {0};

		if (record_backfill(x, bstatus, &berr) && !rc) {
			*err = berr;
			rc = berr.code;
		}
	}
	return rc;
}

static int64_t cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? n : 1;
}

/* The coordinator's loop: until every step ended (or the run is canceled). */
static int coordinate(struct exec *x, tr_error *err)
{
	uint32_t *ended = malloc((x->jobs + 1) * sizeof(*ended));
	int rc = 0;

	if (!ended)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	/* the steps nothing waits for */
	for (size_t s = 0; s < x->pl.n_steps && !rc; s++)
		if (x->pl.steps[s].waiting == 0)
			rc = make_ready(x, (uint32_t)s);
	while (!rc) {
		int64_t wake = INT64_MAX, now;
		size_t n_ended;

		if (!x->stop) {
			if (x->req->cancel && *x->req->cancel)
				begin_cancel(x);
			else
				rc = dispatch(x, &wake, err);
		}
		if (x->stop) {
			wake = INT64_MAX;
			interrupt_all(x);
		}
		now = exec_wall_ms();
		if (!rc && x->pending.n && (x->stop || now - x->last_flush_ms >= FLUSH_MS)) {
			rc = batch_flush(&x->pending, x->st, err);
			x->last_flush_ms = now;
		}
		if (rc || (x->running == 0 && (x->stop || x->ended == x->pl.n_steps)))
			break;
		if (x->running == 0 && x->n_delayed == 0 && wake == INT64_MAX) {
			/* nothing runs and nothing can start: a bug in the plan */
			rc = tr_error_set(err, TR_EINTERNAL,
					  "the executor is stuck with %zu of %zu steps ended",
					  x->ended, x->pl.n_steps);
			break;
		}
		/* wait for a step to end, a retry's or rate's time, or the next look at cancel */
		now = exec_wall_ms();
		pthread_mutex_lock(&x->mu);
		if (x->doneq_n == 0) {
			int64_t until = now + ROUND_WAIT_MS;
			struct timespec ts;

			if (wake < until)
				until = wake;
			if (x->pending.n && x->last_flush_ms + FLUSH_MS < until)
				until = x->last_flush_ms + FLUSH_MS;
			if (until > now) {
				ts.tv_sec = until / 1000;
				ts.tv_nsec = (until % 1000) * 1000000;
				pthread_cond_timedwait(&x->done_cv, &x->mu, &ts);
			}
		}
		n_ended = x->doneq_n;
		memcpy(ended, x->doneq, n_ended * sizeof(*ended));
		x->doneq_n = 0;
		if (x->fatal) {
			*err = x->fatal_err;
			rc = err->code ? err->code : TR_EIO;
		}
		pthread_mutex_unlock(&x->mu);
		for (size_t k = 0; k < n_ended && !rc; k++)
			rc = step_ended(x, ended[k]);
		/* another process may have asked the backfill to stop */
		now = exec_wall_ms();
		if (!rc && x->backfill_id && now - x->last_poll_ms >= BACKFILL_POLL_MS) {
			char *status = NULL;

			x->last_poll_ms = now;
			if (!tr_storage_backfill_status(x->st, x->backfill_id, &status, NULL) && status &&
			    !strcmp(status, "canceling"))
				begin_cancel(x);
			free(status);
		}
		if (!rc && x->backfill_id && now - x->last_record_ms >= BACKFILL_PROGRESS_MS) {
			x->last_record_ms = now;
			rc = record_backfill(x, "running", err);
		}
	}
	free(ended);
	if (!rc && x->stop)
		x->report->canceled = 1;
	return rc;
}

/* Connections for the workers (threads start once the run is recorded). */
static int connect_workers(struct exec *x, tr_error *err)
{
	int rc = 0;

	x->workers = calloc(x->jobs, sizeof(*x->workers));
	x->runq = calloc(x->jobs, sizeof(*x->runq));
	x->doneq = calloc(x->jobs, sizeof(*x->doneq));
	if (!x->workers || !x->runq || !x->doneq)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	for (size_t w = 0; w < x->jobs && !rc; w++) {
		x->workers[w].x = x;
		rc = tr_warehouse_connect(x->wh, &x->workers[w].conn, err);
	}
	/* which assets have no table yet: their first step runs alone */
	for (size_t i = 0; i < x->p->n_assets && !rc; i++)
		if (x->pl.pa[i].n_steps > 1)
			x->pl.pa[i].table_missing =
				tr_wconn_table_exists(x->workers[0].conn, x->p->assets[i].table, NULL) == 0;
	return rc;
}

static int start_workers(struct exec *x, tr_error *err)
{
	int rc = 0;

	for (size_t w = 0; w < x->jobs && !rc; w++) {
		if (pthread_create(&x->workers[w].thread, NULL, worker_main, &x->workers[w]))
			rc = tr_error_set(err, TR_EIO, "cannot start a worker thread: %s",
					  strerror(errno));
		else
			x->workers[w].started = 1;
	}
	return rc;
}

static void stop_workers(struct exec *x)
{
	if (!x->workers)
		return;
	pthread_mutex_lock(&x->mu);
	x->shutdown = 1;
	pthread_cond_broadcast(&x->work_cv);
	pthread_mutex_unlock(&x->mu);
	for (size_t w = 0; w < x->jobs; w++) {
		if (x->workers[w].started)
			pthread_join(x->workers[w].thread, NULL);
		tr_wconn_close(x->workers[w].conn);
	}
	free(x->workers);
	x->workers = NULL;
}

/* Keeps the status summary of big assets current (so the next status is quick). */
static void refresh_summaries(struct exec *x)
{
	for (size_t i = 0; i < x->p->n_assets; i++) {
		tr_asset_state state;

		if (x->pl.pa[i].n_steps < 256 || !x->pl.pa[i].parts)
			continue;
		if (!tr_asset_state_get(x->p, x->st, i, x->pl.pa[i].parts, &state, NULL))
			tr_asset_state_release(&state);
	}
}

int tr_materialize(const tr_project *p, tr_storage *st, tr_warehouse *wh,
		   const tr_run_request *req, tr_run_report *report, tr_error *err)
{
	struct exec x;
	int rc, workers_rc = 0;

	memset(report, 0, sizeof(*report));
	memset(&x, 0, sizeof(x));
	x.p = p;
	x.st = st;
	x.wh = wh;
	x.req = req;
	x.report = report;
	x.started_ms = exec_wall_ms();
	if (!req->resume && (!req->selection || !*req->selection))
		return tr_error_set(err, TR_EINVAL, "no selection: name the assets to materialize "
						    "(\"*\" for all of them)");
	if (req->jobs < 0)
		return tr_error_set(err, TR_EINVAL, "jobs %d: give 1 or more (0: one per core)",
				    req->jobs);
	pthread_mutex_init(&x.mu, NULL);
	pthread_cond_init(&x.work_cv, NULL);
	pthread_cond_init(&x.done_cv, NULL);
	if (!req->dry_run && (rc = tr_storage_runs_reap(st, x.started_ms, NULL, err)))
		goto out;
	if ((rc = plan_build(p, st, req, &x.pl, err)) ||
	    (rc = plan_steps(p, &x.pl, err)) || (rc = plan_summary(p, &x.pl, report, err)))
		goto out;
	report->total = x.pl.n_steps;
	report->partitions_total = x.pl.partitions;
	if (req->dry_run) {
		rc = req->plan_out ? plan_describe(p, &x.pl, req->plan_out, err) : 0;
		goto out;
	}
	if (req->resume) {
		x.backfill_id = req->resume;
		report->backfill_id = req->resume;
	}
	if (x.pl.n_steps == 0) {
		if (x.backfill_id)
			rc = record_backfill(&x, "completed", err);
		goto out;
	}
	x.jobs = req->jobs > 0 ? (size_t)req->jobs : (size_t)cores();
	if (x.jobs > x.pl.n_steps)
		x.jobs = x.pl.n_steps;
	x.asset_pool = malloc((p->n_assets + 1) * sizeof(*x.asset_pool));
	for (size_t i = 0; x.asset_pool && i < p->n_assets; i++)
		/* an http asset reading its file: fallback_url calls no API: no pool */
		x.asset_pool[i] = http_offline(&p->assets[i]) ? TR_NO_POOL : p->assets[i].pool;
	x.heaps = calloc(p->n_pools + 1, sizeof(*x.heaps));
	x.pools = calloc(p->n_pools + 1, sizeof(*x.pools));
	x.delayed = malloc(x.pl.n_steps * sizeof(*x.delayed));
	x.stack = malloc(x.pl.n_steps * sizeof(*x.stack));
	if (!x.asset_pool || !x.heaps || !x.pools || !x.delayed || !x.stack) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < p->n_pools; k++)
		if ((rc = pool_rings_init(&x, k, exec_wall_ms(), err)))
			goto out;
	/* a backfill when asked, or when more than one partition (of partitioned
	   assets: a handful of unpartitioned tables is no backfill) is requested */
	if (!req->resume && (req->backfill == TR_BACKFILL_ALWAYS ||
			     (req->backfill == TR_BACKFILL_AUTO && x.pl.partitioned_partitions > 1))) {
		if ((rc = create_backfill(&x, err)))
			goto out;
		report->backfill_id = x.backfill_id;
	}
	if ((rc = connect_workers(&x, err)) || (rc = start_run(&x, err)))
		goto out;
	if ((workers_rc = start_workers(&x, err)) == 0)
		workers_rc = coordinate(&x, err);
	if (workers_rc)
		begin_cancel(&x);
	stop_workers(&x);
	/* steps that ended after the loop stopped (canceled): their events too */
	for (size_t k = 0; k < x.doneq_n && !workers_rc; k++)
		workers_rc = step_ended(&x, x.doneq[k]);
	{
		tr_error ferr = {0};

		if (finish_run(&x, &ferr) && !workers_rc) {
			*err = ferr;
			workers_rc = ferr.code;
		}
	}
	refresh_summaries(&x);
	rc = workers_rc;
out:
	stop_workers(&x);
	for (size_t k = 0; x.heaps && k <= p->n_pools; k++)
		free(x.heaps[k].a);
	for (size_t k = 0; x.pools && k < p->n_pools; k++)
		for (size_t r = 0; r < TR_POOL_MAX_RATES; r++)
			free(x.pools[k].rings[r].starts);
	free(x.asset_pool);
	free(x.heaps);
	free(x.pools);
	free(x.delayed);
	free(x.stack);
	free(x.runq);
	free(x.doneq);
	batch_release(&x.pending);
	plan_release(p, &x.pl);
	pthread_mutex_destroy(&x.mu);
	pthread_cond_destroy(&x.work_cv);
	pthread_cond_destroy(&x.done_cv);
	return rc;
}
