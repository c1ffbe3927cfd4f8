/*
 * bench_api.c — the partitions and grid routes of `tranche serve` on assets of
 * 1,000,000 partitions, with a realistic mix of states:
 *   hours: hourly from 1900-01-01 (1,000,000 windows), materialized but for a
 *          gap of 10,000 never run, a failure every 10,007, 100 in progress;
 *   multi: daily (2,000 days to the same now) x 500 tickers, 80% of the tickers materialized
 *          over their first 1,800 days, one ticker in 25 failed on one day in
 *          97, the rest missing.
 * Each route is timed through the server's dispatcher (routing, the state from
 * the stored summary, the JSON answer) and over HTTP on loopback (libcurl),
 * median of RUNS. Goal: under 50 ms each. `make bench BENCH=api`; about a
 * minute, mostly writing the 1,800,000 events.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "server/server_int.h"
#include "tranche/partitions.h"

#define HOURS 1000000
#define GAP_START 500000
#define GAP_END 510000
#define FAIL_EVERY 10007
#define IN_PROGRESS 100
#define DAYS 2000
#define TICKERS 500
#define BATCH 20000
#define RUNS 15
#define GOAL_MS 50.0

/* 1900-01-01T00:00Z plus 1,000,000 hours: exactly HOURS complete hourly windows */
#define NOW (-2208988800LL + (int64_t)HOURS * 3600)

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, const tr_error *err)
{
	fprintf(stderr, "bench_api: %s: %s\n", what, err ? err->msg : "failed");
	exit(1);
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), compare_double);
	return v[n / 2];
}

/* Batched events, flushed every BATCH. */
struct writer {
	tr_storage *st;
	tr_event evs[BATCH];
	char *keys[BATCH];
	size_t n;
};

static void flush(struct writer *w)
{
	tr_error err = {0};

	if (w->n && tr_storage_events_add(w->st, w->evs, w->n, &err))
		die("events", &err);
	for (size_t k = 0; k < w->n; k++)
		free(w->keys[k]);
	w->n = 0;
}

static void event(struct writer *w, int64_t run, const char *type, const char *asset,
		  const tr_partitions *parts, int64_t index)
{
	tr_buf key = TR_BUF_INIT;
	tr_error err = {0};
	tr_event *e = &w->evs[w->n];

	if (tr_partitions_key(parts, index, &key, &err))
		die("key", &err);
	memset(e, 0, sizeof(*e));
	w->keys[w->n] = tr_buf_detach(&key, NULL);
	e->run_id = run;
	e->ts = 1700000000000;
	e->type = type;
	e->asset = asset;
	e->partition = w->keys[w->n];
	if (++w->n == BATCH)
		flush(w);
}

static int64_t start_run(tr_storage *st)
{
	tr_run r;
	tr_error err = {0};
	int64_t id = 0;

	memset(&r, 0, sizeof(r));
	r.selection = "*";
	r.created_at = 1700000000000;
	if (tr_storage_run_create(st, &r, &id, &err))
		die("run", &err);
	return id;
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	size_t *total = ctx;

	(void)p;
	*total += size * n;
	return size * n;
}

struct route {
	const char *what, *target;
};

static const struct route routes[] = {
	{"hours: counts + ranges (max 1000 per state)", "/api/assets/hours/partitions"},
	{"hours: strip of 1000 buckets", "/api/assets/hours/partitions/grid?cols=1000"},
	{"hours: strip of 4000 buckets, indexes 400000..600000",
	 "/api/assets/hours/partitions/grid?cols=4000&from=400000&to=600000"},
	{"hours: a page of 100 missing keys at offset 5000",
	 "/api/assets/hours/partitions?state=missing&offset=5000&limit=100"},
	{"multi: counts + ranges", "/api/assets/multi/partitions"},
	{"multi: grid of 500 rows x 1000 columns", "/api/assets/multi/partitions/grid?cols=1000"},
	{"multi: grid of 100 rows x 200 columns",
	 "/api/assets/multi/partitions/grid?cols=200&rows_from=200&rows_to=299"},
	{"multi: strip of 1000 buckets", "/api/assets/multi/partitions/grid?kind=strip&cols=1000"},
	{"assets: the list (both assets' counts)", "/api/assets"},
};

int main(void)
{
	char dir[] = "/tmp/tranche-bench-api-XXXXXX", cmd[128];
	tr_buf yaml = TR_BUF_INIT, path = TR_BUF_INIT;
	tr_project *p = NULL;
	tr_storage *st = NULL;
	tr_partitions *hours = NULL, *multi = NULL;
	struct writer *w = calloc(1, sizeof(*w));
	tr_server_config cfg;
	tr_server *s = NULL;
	tr_error err = {0};
	double t0, fill;
	int64_t run;
	int met = 1;
	FILE *f;
	size_t i;

	if (!w || !mkdtemp(dir) || chdir(dir))
		return 1;
	tr_buf_adds(&yaml, "name: bench\n"
			   "assets:\n"
			   "  hours:\n"
			   "    partitions: {type: hourly, start: 1900-01-01-00:00}\n"
			   "    partition_expr: hour\n"
			   "    sql: SELECT $partition_start AS hour\n"
			   "  multi:\n"
			   "    partitions:\n"
			   "      type: multi\n"
			   "      dimensions:\n"
			   "        date: {type: daily, start: 2008-08-08}\n"
			   "        ticker:\n"
			   "          type: static\n"
			   "          keys: [");
	for (int k = 0; k < TICKERS; k++)
		tr_buf_addf(&yaml, "%sT%03d", k ? ", " : "", k);
	tr_buf_adds(&yaml, "]\n"
			   "    partition_expr: {date: day, ticker: ticker}\n"
			   "    sql: SELECT $partition_start_date AS day, $partition_key_ticker AS ticker\n");
	f = fopen("tranche.yaml", "w");
	if (!f || fputs(tr_buf_str(&yaml), f) < 0 || fclose(f))
		die("writing tranche.yaml", NULL);
	if (tr_project_load("tranche.yaml", &p, &err) ||
	    tr_storage_open(p->storage, &st, &err) || tr_project_find(p, "hours", &i, &err) ||
	    tr_asset_partitions(p, st, i, NOW, &hours, &err) || tr_project_find(p, "multi", &i, &err))
		die("setup", &err);
	/* 2008-08-08 .. 2014-01-28: the DAYS complete days before NOW */
	if (tr_asset_partitions(p, st, i, NOW, &multi, &err))
		die("multi partitions", &err);
	if (tr_partitions_count(hours) != HOURS || tr_partitions_count(multi) != DAYS * TICKERS)
		die("partition counts", NULL);

	t0 = now_ms();
	w->st = st;
	run = start_run(st);
	for (int64_t k = 0; k < HOURS - IN_PROGRESS; k++)
		if (k < GAP_START || k >= GAP_END)
			event(w, run, k % FAIL_EVERY == 0 ? "step_failure" : "materialization", "hours",
			      hours, k);
	/* index = date * TICKERS + ticker (dimensions sorted by name: date, ticker) */
	for (int64_t d = 0; d < 1800; d++)
		for (int64_t t = 0; t < TICKERS * 8 / 10; t++)
			event(w, run, t % 25 == 0 && d % 97 == 0 ? "step_failure" : "materialization",
			      "multi", multi, d * TICKERS + t);
	flush(w);
	run = start_run(st);
	for (int64_t k = HOURS - IN_PROGRESS; k < HOURS; k++)
		event(w, run, "step_start", "hours", hours, k);
	flush(w);
	fill = now_ms() - t0;
	tr_storage_close(st);
	st = NULL;
	printf("api: hours: %d hourly partitions; multi: %d days x %d tickers; %.0f s to write the "
	       "events\n",
	       HOURS, DAYS, TICKERS, fill / 1e3);

	memset(&cfg, 0, sizeof(cfg));
	tr_buf_addf(&path, "%s/tranche.yaml", dir);
	cfg.project_path = tr_buf_str(&path);
	cfg.port = 0;
	cfg.now = NOW;
	cfg.no_server_file = 1;
	if (tr_server_start(&cfg, &s, &err))
		die("server", &err);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (size_t r = 0; r < sizeof(routes) / sizeof(routes[0]); r++) {
		double in_proc[RUNS], http[RUNS], first = 0;
		size_t bytes = 0;
		int status = 0;
		long hstatus = 0;
		CURL *h = curl_easy_init();
		tr_buf url = TR_BUF_INIT;

		for (int k = -1; k < RUNS; k++) {
			srv_request rq = {0};
			srv_response rs;

			rq.method = "GET";
			rq.target = routes[r].target;
			rq.host = "127.0.0.1";
			srv_response_init(&rs);
			t0 = now_ms();
			srv_dispatch(s, &rq, &rs);
			if (k < 0)
				first = now_ms() - t0; /* may refresh a summary */
			else
				in_proc[k] = now_ms() - t0;
			status = rs.status;
			bytes = rs.body.len;
			srv_response_release(&rs);
		}
		if (status != 200)
			die(routes[r].target, NULL);
		tr_buf_addf(&url, "%s%s", tr_server_url(s), routes[r].target);
		curl_easy_setopt(h, CURLOPT_URL, tr_buf_str(&url));
		curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
		for (int k = 0; k < RUNS; k++) {
			size_t got = 0;

			curl_easy_setopt(h, CURLOPT_WRITEDATA, &got);
			t0 = now_ms();
			if (curl_easy_perform(h) != CURLE_OK)
				die("curl", NULL);
			http[k] = now_ms() - t0;
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &hstatus);
		}
		curl_easy_cleanup(h);
		tr_buf_release(&url);
		printf("api: %-55s %6.2f ms in-process, %6.2f ms over HTTP (%zu bytes; first %.1f "
		       "ms)\n",
		       routes[r].what, median(in_proc, RUNS), median(http, RUNS), bytes, first);
		if (median(http, RUNS) >= GOAL_MS || hstatus != 200)
			met = 0;
	}
	printf("api: goal: every route under %.0f ms over HTTP (median of %d): %s\n", GOAL_MS, RUNS,
	       met ? "met" : "NOT met");
	tr_server_stop(s);
	curl_global_cleanup();
	tr_partitions_free(hours);
	tr_partitions_free(multi);
	tr_project_free(p);
	tr_buf_release(&yaml);
	tr_buf_release(&path);
	free(w);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 && met ? 0 : 1;
}
