/*
 * test_run.c — the executor (src/exec/plan.c, run.c, step.c) end to end on a
 * real DuckDB warehouse and SQLite instance storage in a temporary directory:
 * dependency order through partition mappings, parallel runs equal to serial
 * ones, failure isolation and skipping, retries, backfill policies (ranges,
 * gaps, chunks), pools (concurrency and rate), cancel and resume.
 */
#include "testutil.h"

#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tranche/exec.h"
#include "tranche/project.h"
#include "tranche/storage.h"
#include "tranche/warehouse.h"

struct fx {
	char dir[64];
	char old_cwd[4096];
	tr_project *p;
	tr_storage *st;
	tr_warehouse *wh;
	tr_wconn *conn;
};

static int64_t parse_now(const char *iso)
{
	struct tm tm = {0};

	strptime(iso, "%Y-%m-%d", &tm);
	return (int64_t)timegm(&tm);
}

static void fx_open(struct fx *f, const char *yaml)
{
	tr_error err = {0};

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/tranche-run-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_non_null(getcwd(f->old_cwd, sizeof(f->old_cwd)));
	assert_int_equal(chdir(f->dir), 0);
	assert_ok(tr_project_parse(yaml, "tranche.yaml", f->dir, &f->p, &err), &err);
	assert_ok(tr_storage_open("sqlite:instance.db", &f->st, &err), &err);
	assert_ok(tr_warehouse_open("duckdb:warehouse.duckdb", f->dir, &f->wh, &err), &err);
	assert_ok(tr_warehouse_connect(f->wh, &f->conn, &err), &err);
}

static void fx_close(struct fx *f)
{
	char cmd[128];

	tr_wconn_close(f->conn);
	tr_warehouse_close(f->wh);
	tr_storage_close(f->st);
	tr_project_free(f->p);
	assert_int_equal(chdir(f->old_cwd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
}

static int run(struct fx *f, const char *selection, tr_pick pick, const char *from, const char *to,
	       int jobs, tr_run_report *rep)
{
	tr_run_request req = {0};
	tr_error err = {0};
	int rc;

	req.selection = selection;
	req.pick = pick;
	req.from = from;
	req.to = to;
	req.now = parse_now("2024-01-10");
	req.jobs = jobs;
	req.launched_by = "test";
	rc = tr_materialize(f->p, f->st, f->wh, &req, rep, &err);
	if (rc)
		print_message("tr_materialize: %s\n", err.msg);
	return rc;
}

/* The first cell of a query's result, as text (or "NULL"), into out. */
static void query1(struct fx *f, const char *sql, char *out, size_t n)
{
	tr_table t = {0};
	tr_error err = {0};

	assert_ok(tr_wconn_query(f->conn, sql, NULL, 0, 100000, &t, &err), &err);
	assert_true(t.nrows >= 1);
	snprintf(out, n, "%s", t.cells[0] ? t.cells[0] : "NULL");
	tr_table_release(&t);
}

static void assert_query(struct fx *f, const char *sql, const char *expected)
{
	char got[4096];

	query1(f, sql, got, sizeof(got));
	if (strcmp(got, expected))
		fail_msg("%s\n  expected: %s\n  got:      %s", sql, expected, got);
}

/* Events of the last run, oldest first. */
static tr_event_rec *events(struct fx *f, int64_t run_id, size_t *n)
{
	tr_event_rec *evs = NULL;
	tr_error err = {0};

	assert_ok(tr_storage_events_list(f->st, run_id, NULL, 0, 0, &evs, n, &err), &err);
	return evs;
}

static int64_t event_id(tr_event_rec *evs, size_t n, const char *type, const char *asset,
			const char *partition)
{
	for (size_t k = 0; k < n; k++)
		if (!strcmp(evs[k].type, type) && evs[k].asset && !strcmp(evs[k].asset, asset) &&
		    evs[k].partition && !strcmp(evs[k].partition, partition))
			return evs[k].id;
	return -1;
}

/* ---- dependency order ---------------------------------------------------------------- */

static const char hourly_daily[] =
	"name: t\n"
	"assets:\n"
	"  hours:\n"
	"    partitions: {type: hourly, start: 2024-01-01-00:00}\n"
	"    partition_expr: ts\n"
	"    sql: SELECT $partition_start AS ts, 1 AS v\n"
	"  days:\n"
	"    partitions: {type: daily, start: 2024-01-01}\n"
	"    partition_expr: day\n"
	"    deps: [hours]\n"
	"    sql: |\n"
	"      SELECT CAST($partition_start AS DATE) AS day, count(*) AS n FROM hours\n"
	"      WHERE ts >= $partition_start AND ts < $partition_end\n";

/* A daily partition downstream of hourly ones waits for its 24 hours. */
static void test_daily_waits_for_its_hours(void **state)
{
	struct fx f;
	tr_run_report rep;
	tr_event_rec *evs;
	size_t n;

	(void)state;
	fx_open(&f, hourly_daily);
	/* hours of 3 days and the 3 days, two workers */
	assert_int_equal(run(&f, "hours,days", TR_PICK_ALL, NULL, NULL, 2, &rep), 0);
	assert_int_equal(rep.failed, 0);
	assert_int_equal(rep.total, 9 * 24 + 9);
	assert_query(&f, "SELECT string_agg(DISTINCT n::VARCHAR) FROM days", "24");
	assert_query(&f, "SELECT count(*) FROM days", "9");
	/* and in the log: each day's start after its last hour's materialization */
	evs = events(&f, rep.run_id, &n);
	for (int d = 1; d <= 9; d++) {
		char day[32], hour[40];

		snprintf(day, sizeof(day), "2024-01-%02d", d);
		snprintf(hour, sizeof(hour), "2024-01-%02d-23:00", d);
		assert_true(event_id(evs, n, "materialization", "hours", hour) <
			    event_id(evs, n, "step_start", "days", day));
	}
	tr_event_recs_free(evs, n);
	tr_run_report_release(&rep);
	fx_close(&f);
}

static const char lagged[] =
	"name: t\n"
	"partitions:\n"
	"  daily: {type: daily, start: 2024-01-01}\n"
	"assets:\n"
	"  today:\n"
	"    partitions: daily\n"
	"    partition_expr: day\n"
	"    sql: SELECT CAST($partition_start AS DATE) AS day, 10 AS v\n"
	"  yesterday:\n"
	"    partitions: daily\n"
	"    partition_expr: day\n"
	"    deps:\n"
	"      - {asset: today, mapping: {type: time_window, start_offset: -1, end_offset: -1}}\n"
	"    sql: |\n"
	"      SELECT CAST($partition_start AS DATE) AS day,\n"
	"             (SELECT count(*) FROM today WHERE day = CAST($partition_start AS DATE) - 1) AS n\n";

/* A lag mapping: each day waits for yesterday (and only yesterday). */
static void test_lag_mapping_waits_for_yesterday(void **state)
{
	struct fx f;
	tr_run_report rep;
	tr_event_rec *evs;
	size_t n;

	(void)state;
	fx_open(&f, lagged);
	assert_int_equal(run(&f, "*", TR_PICK_ALL, NULL, NULL, 2, &rep), 0);
	assert_int_equal(rep.failed + rep.skipped, 0);
	/* the first day has no yesterday; every other day saw its yesterday written */
	assert_query(&f, "SELECT string_agg(n::VARCHAR, ',' ORDER BY day) FROM yesterday",
		     "0,1,1,1,1,1,1,1,1");
	evs = events(&f, rep.run_id, &n);
	for (int d = 2; d <= 9; d++) {
		char day[32], prev[32];

		snprintf(day, sizeof(day), "2024-01-%02d", d);
		snprintf(prev, sizeof(prev), "2024-01-%02d", d - 1);
		assert_true(event_id(evs, n, "materialization", "today", prev) <
			    event_id(evs, n, "step_start", "yesterday", day));
	}
	tr_event_recs_free(evs, n);
	tr_run_report_release(&rep);
	fx_close(&f);
}

/* ---- parallel equals serial ------------------------------------------------------------- */

static const char chain[] =
	"name: t\n"
	"partitions:\n"
	"  daily: {type: daily, start: 2023-12-01}\n"
	"assets:\n"
	"  raw:\n"
	"    partitions: daily\n"
	"    partition_expr: day\n"
	"    sql: |\n"
	"      SELECT CAST($partition_start AS DATE) AS day, i, hash(i, $partition_key) % 97 AS x\n"
	"      FROM range(500) t(i)\n"
	"  agg:\n"
	"    partitions: daily\n"
	"    partition_expr: day\n"
	"    sql: SELECT day, sum(x) AS s, count(*) AS n FROM raw WHERE day = CAST($partition_start AS DATE) GROUP BY day\n"
	"  total:\n"
	"    deps: [agg]\n"
	"    sql: SELECT sum(s) AS s, sum(n) AS n, count(*) AS days FROM agg\n";

static void chain_digest(int jobs, char *out, size_t n)
{
	struct fx f;
	tr_run_report rep;

	fx_open(&f, chain);
	assert_int_equal(run(&f, "*", TR_PICK_ALL, NULL, NULL, jobs, &rep), 0);
	assert_int_equal(rep.failed + rep.skipped, 0);
	assert_int_equal(rep.total, 40 + 40 + 1);
	query1(&f,
	       "SELECT (SELECT md5(string_agg(day || ':' || i || ':' || x, ',' ORDER BY day, i)) FROM raw)"
	       " || '/' || (SELECT md5(string_agg(day || ':' || s || ':' || n, ',' ORDER BY day)) FROM agg)"
	       " || '/' || (SELECT s || ':' || n || ':' || days FROM total)",
	       out, n);
	tr_run_report_release(&rep);
	fx_close(&f);
}

static void test_parallel_equals_serial(void **state)
{
	char serial[512], parallel[512], four[512];

	(void)state;
	chain_digest(1, serial, sizeof(serial));
	chain_digest(2, parallel, sizeof(parallel));
	chain_digest(4, four, sizeof(four));
	assert_string_equal(serial, parallel);
	assert_string_equal(serial, four);
	assert_non_null(strstr(serial, ":20000:40")); /* 40 days of 500 rows */
}

/* A backfill over assets of which some have nothing to do (bug: its update named them). */
static void test_missing_with_nothing_to_do(void **state)
{
	struct fx f;
	tr_run_report rep;
	tr_backfill b = {0};
	tr_error err = {0};

	(void)state;
	fx_open(&f, chain);
	assert_int_equal(run(&f, "raw", TR_PICK_ALL, NULL, NULL, 2, &rep), 0);
	tr_run_report_release(&rep);
	assert_int_equal(run(&f, "*", TR_PICK_MISSING, NULL, NULL, 2, &rep), 0);
	assert_int_equal(rep.total, 41); /* agg's 40 and total; raw has nothing missing */
	assert_int_equal(rep.failed, 0);
	assert_ok(tr_storage_backfill_get(f.st, rep.backfill_id, &b, NULL, NULL, &err), &err);
	assert_string_equal(b.status, "completed");
	tr_backfill_release(&b);
	tr_run_report_release(&rep);
	/* unpartitioned assets alone are not a backfill */
	assert_int_equal(run(&f, "total", TR_PICK_NONE, NULL, NULL, 2, &rep), 0);
	assert_int_equal(rep.backfill_id, 0);
	tr_run_report_release(&rep);
	fx_close(&f);
}

/* ---- failures -------------------------------------------------------------------------- */

static const char flaky[] =
	"name: t\n"
	"partitions:\n"
	"  daily: {type: daily, start: 2024-01-01}\n"
	"assets:\n"
	"  flaky:\n"
	"    partitions: daily\n"
	"    partition_expr: day\n"
	"    sql: |\n"
	"      SELECT CAST($partition_start AS DATE) AS day,\n"
	"             CAST(CASE WHEN $partition_key = '2024-01-03' THEN 'oops' ELSE '1' END AS INT) AS v\n"
	"  below:\n"
	"    partitions: daily\n"
	"    partition_expr: day\n"
	"    sql: SELECT day, v FROM flaky WHERE day = CAST($partition_start AS DATE)\n"
	"  further:\n"
	"    partitions: daily\n"
	"    partition_expr: day\n"
	"    sql: SELECT day, v FROM below WHERE day = CAST($partition_start AS DATE)\n"
	"  other:\n"
	"    partitions: daily\n"
	"    partition_expr: day\n"
	"    sql: SELECT CAST($partition_start AS DATE) AS day\n";

/* A failed partition skips what reads it (transitively) and nothing else. */
static void test_failure_isolation(void **state)
{
	struct fx f;
	tr_run_report rep;
	tr_event_rec *evs;
	size_t n;
	tr_backfill b = {0};
	tr_error err = {0};

	(void)state;
	fx_open(&f, flaky);
	assert_int_equal(run(&f, "*", TR_PICK_ALL, NULL, NULL, 2, &rep), 0);
	assert_int_equal(rep.total, 36);
	assert_int_equal(rep.failed, 1);
	assert_int_equal(rep.skipped, 2);
	assert_int_equal(rep.succeeded, 33);
	assert_non_null(rep.first_error);
	assert_non_null(strstr(rep.first_error, "asset flaky partition 2024-01-03"));
	assert_query(&f, "SELECT count(*) FROM further", "8");
	assert_query(&f, "SELECT count(*) FROM further WHERE day = DATE '2024-01-03'", "0");
	assert_query(&f, "SELECT count(*) FROM other", "9");
	evs = events(&f, rep.run_id, &n);
	assert_true(event_id(evs, n, "step_skipped", "below", "2024-01-03") > 0);
	assert_true(event_id(evs, n, "step_skipped", "further", "2024-01-03") > 0);
	assert_int_equal(event_id(evs, n, "step_skipped", "further", "2024-01-04"), -1);
	tr_event_recs_free(evs, n);
	/* recorded as a failed backfill */
	assert_true(rep.backfill_id > 0);
	assert_ok(tr_storage_backfill_get(f.st, rep.backfill_id, &b, NULL, NULL, &err), &err);
	assert_string_equal(b.status, "failed");
	assert_int_equal(b.partitions_succeeded, 33);
	assert_int_equal(b.partitions_failed, 1);
	assert_int_equal(b.partitions_skipped, 2);
	tr_backfill_release(&b);
	tr_run_report_release(&rep);
	fx_close(&f);
}

/* ---- retries ----------------------------------------------------------------------------- */

static const char retried[] =
	"name: t\n"
	"assets:\n"
	"  shaky:\n"
	"    partitions: {type: static, keys: [a, b]}\n"
	"    partition_expr: k\n"
	"    retries: {max: %d, delay: 0.05, backoff: 2}\n"
	"    command: |\n"
	"      n=$(cat count-$TRANCHE_PARTITION_KEY 2>/dev/null || echo 0)\n"
	"      echo $((n + 1)) > count-$TRANCHE_PARTITION_KEY\n"
	"      if [ $TRANCHE_PARTITION_KEY = b ] && [ $n -lt 2 ]; then echo \"not yet $n\" >&2; exit 1; fi\n"
	"      printf 'k\\n%%s\\n' $TRANCHE_PARTITION_KEY > $TRANCHE_OUTPUT\n";

static void retries_case(int max, size_t expect_failed, size_t expect_retries)
{
	char yaml[1024];
	struct fx f;
	tr_run_report rep;
	tr_event_rec *evs;
	size_t n, n_retry = 0;

	snprintf(yaml, sizeof(yaml), retried, max);
	fx_open(&f, yaml);
	assert_int_equal(run(&f, "shaky", TR_PICK_ALL, NULL, NULL, 2, &rep), 0);
	assert_int_equal(rep.failed, expect_failed);
	assert_int_equal(rep.retries, expect_retries);
	evs = events(&f, rep.run_id, &n);
	for (size_t k = 0; k < n; k++)
		if (!strcmp(evs[k].type, "step_retry")) {
			n_retry++;
			assert_non_null(strstr(evs[k].message, "not yet"));
		}
	assert_int_equal(n_retry, expect_retries);
	tr_event_recs_free(evs, n);
	tr_run_report_release(&rep);
	fx_close(&f);
}

static void test_retries(void **state)
{
	(void)state;
	retries_case(2, 0, 2); /* fails twice, the third attempt succeeds */
	retries_case(1, 1, 1); /* one retry is not enough */
	retries_case(0, 1, 0);
}

/* ---- backfill policies ------------------------------------------------------------------- */

static const char policies[] =
	"name: t\n"
	"partitions:\n"
	"  daily: {type: daily, start: 2024-01-01}\n"
	"assets:\n"
	"  ranged:\n"
	"    partitions: daily\n"
	"    partition_expr: day\n"
	"    backfill: {policy: single_run}\n"
	"    sql: |\n"
	"      SELECT CAST(d AS DATE) AS day, len($partition_keys) AS keys\n"
	"      FROM range($partition_start, $partition_end, INTERVAL 1 DAY) t(d)\n"
	"  chunked:\n"
	"    partitions: daily\n"
	"    partition_expr: day\n"
	"    backfill: {policy: multi_run, max_partitions_per_run: 2}\n"
	"    sql: |\n"
	"      SELECT CAST(d AS DATE) AS day, len($partition_keys) AS keys\n"
	"      FROM range($partition_start, $partition_end, INTERVAL 1 DAY) t(d)\n"
	"  per_key:\n"
	"    partitions: {type: static, keys: [a, b, c, d]}\n"
	"    partition_expr: k\n"
	"    backfill: {policy: single_run}\n"
	"    sql: SELECT unnest($partition_keys) AS k\n";

static void test_single_run_ranges_and_gaps(void **state)
{
	const char *keys[] = {"2024-01-01...2024-01-03", "2024-01-05...2024-01-06"};
	tr_run_request req = {0};
	tr_run_report rep;
	tr_error err = {0};
	tr_event_rec *evs;
	size_t n, n_mat = 0;
	struct fx f;

	(void)state;
	fx_open(&f, policies);
	req.selection = "ranged,chunked";
	req.pick = TR_PICK_KEYS;
	req.keys = keys;
	req.n_keys = 2;
	req.now = parse_now("2024-01-10");
	req.jobs = 2;
	assert_ok(tr_materialize(f.p, f.st, f.wh, &req, &rep, &err), &err);
	/* ranged: split at the gap: 2 steps; chunked: 2 + 1 and 2: 3 steps */
	assert_int_equal(rep.total, 5);
	assert_int_equal(rep.partitions_total, 10);
	assert_int_equal(rep.failed, 0);
	assert_query(&f, "SELECT string_agg(day || '=' || keys, ',' ORDER BY day) FROM ranged",
		     "2024-01-01=3,2024-01-02=3,2024-01-03=3,2024-01-05=2,2024-01-06=2");
	assert_query(&f, "SELECT string_agg(day || '=' || keys, ',' ORDER BY day) FROM chunked",
		     "2024-01-01=2,2024-01-02=2,2024-01-03=1,2024-01-05=2,2024-01-06=2");
	/* one materialization per partition, each a partition key */
	evs = events(&f, rep.run_id, &n);
	for (size_t k = 0; k < n; k++)
		if (!strcmp(evs[k].type, "materialization")) {
			n_mat++;
			assert_null(strstr(evs[k].partition, "..."));
		}
	assert_int_equal(n_mat, 10);
	tr_event_recs_free(evs, n);
	tr_run_report_release(&rep);

	/* rewriting one range replaces exactly its slice */
	keys[0] = "2024-01-02...2024-01-03";
	req.selection = "ranged";
	req.n_keys = 1;
	assert_ok(tr_materialize(f.p, f.st, f.wh, &req, &rep, &err), &err);
	assert_int_equal(rep.total, 1);
	assert_query(&f, "SELECT string_agg(day || '=' || keys, ',' ORDER BY day) FROM ranged",
		     "2024-01-01=3,2024-01-02=2,2024-01-03=2,2024-01-05=2,2024-01-06=2");
	tr_run_report_release(&rep);

	/* a static definition's range: the slice is list_contains($partition_keys, k) */
	assert_int_equal(run(&f, "per_key", TR_PICK_ALL, NULL, NULL, 1, &rep), 0);
	assert_int_equal(rep.total, 1);
	assert_query(&f, "SELECT string_agg(k, ',' ORDER BY k) FROM per_key", "a,b,c,d");
	tr_run_report_release(&rep);
	fx_close(&f);
}

/* ---- pools ------------------------------------------------------------------------------- */

static const char pooled[] =
	"name: t\n"
	"pools:\n"
	"  one_at_a_time: {max_concurrency: 1}\n"
	"  quota: {rate: 4/second}\n"
	"  daily_quota: {rate: [10/second, 2/2s]}\n"
	"assets:\n"
	"  serial:\n"
	"    partitions: {type: static, keys: [a, b, c, d]}\n"
	"    partition_expr: k\n"
	"    pool: one_at_a_time\n"
	"    command: |\n"
	"      mkdir lock || { echo overlap >> overlaps; }\n"
	"      sleep 0.1\n"
	"      rmdir lock\n"
	"      printf 'k\\n%s\\n' $TRANCHE_PARTITION_KEY > $TRANCHE_OUTPUT\n"
	"  limited:\n"
	"    partitions: {type: static, keys: [a, b, c, d, e, f]}\n"
	"    partition_expr: k\n"
	"    pool: quota\n"
	"    sql: SELECT $partition_key AS k\n"
	"  quota_across_runs:\n"
	"    partitions: {type: static, keys: [a, b, c]}\n"
	"    partition_expr: k\n"
	"    pool: daily_quota\n"
	"    sql: SELECT $partition_key AS k\n";

struct wait_seen {
	int n;
	char what[128];
	int64_t until;
};

static void on_wait_progress(void *ctx, const tr_progress *pr)
{
	struct wait_seen *w = ctx;

	if (!pr->waiting)
		return;
	w->n++;
	snprintf(w->what, sizeof(w->what), "%s", pr->waiting);
	w->until = pr->waiting_until_ms;
}

/* The time of the first step_start event of a run. */
static int64_t first_start(struct fx *f, int64_t run_id)
{
	size_t n;
	tr_event_rec *evs = events(f, run_id, &n);
	int64_t t = -1;

	for (size_t k = 0; k < n && t < 0; k++)
		if (!strcmp(evs[k].type, "step_start"))
			t = evs[k].ts;
	tr_event_recs_free(evs, n);
	return t;
}

static void test_pool_concurrency_and_rate(void **state)
{
	struct fx f;
	tr_run_report rep;
	tr_event_rec *evs;
	size_t n, n_starts = 0;
	int64_t starts[8];

	(void)state;
	fx_open(&f, pooled);
	assert_int_equal(run(&f, "serial", TR_PICK_ALL, NULL, NULL, 4, &rep), 0);
	assert_int_equal(rep.failed, 0);
	assert_int_equal(access("overlaps", F_OK), -1); /* never two at once */
	tr_run_report_release(&rep);

	assert_int_equal(run(&f, "limited", TR_PICK_ALL, NULL, NULL, 4, &rep), 0);
	assert_int_equal(rep.failed, 0);
	evs = events(&f, rep.run_id, &n);
	for (size_t k = 0; k < n && n_starts < 8; k++)
		if (!strcmp(evs[k].type, "step_start"))
			starts[n_starts++] = evs[k].ts;
	assert_int_equal(n_starts, 6);
	/* 4 per second: the fifth start comes a second after the first */
	assert_true(starts[4] - starts[0] >= 990);
	assert_true(starts[3] - starts[0] < 990);
	tr_event_recs_free(evs, n);
	tr_run_report_release(&rep);

	/* a rate counts the starts of earlier runs: an API's daily quota holds across runs */
	{
		int64_t first, later;

		assert_int_equal(run(&f, "quota_across_runs", TR_PICK_RANGE, "a", "b", 2, &rep), 0);
		assert_int_equal(rep.failed, 0);
		first = first_start(&f, rep.run_id);
		tr_run_report_release(&rep);
		{
			/* the run waits with nothing running: the progress says for what */
			tr_run_request req = {0};
			tr_error err = {0};
			struct wait_seen seen = {0};

			req.selection = "quota_across_runs";
			req.pick = TR_PICK_RANGE;
			req.from = req.to = "c";
			req.now = parse_now("2024-01-10");
			req.jobs = 2;
			req.on_progress = on_wait_progress;
			req.ctx = &seen;
			assert_ok(tr_materialize(f.p, f.st, f.wh, &req, &rep, &err), &err);
			assert_int_equal(seen.n, 1);
			assert_string_equal(seen.what, "pool daily_quota (10/second, 2/2s)");
			assert_true(seen.until >= first + 1990 && seen.until <= first + 2100);
		}
		assert_int_equal(rep.failed, 0);
		later = first_start(&f, rep.run_id);
		tr_run_report_release(&rep);
		assert_true(first > 0 && later - first >= 1990); /* 2 per 2 s: the third waits */
	}
	fx_close(&f);
}

/* An http asset reading its file: fallback (no API key set) calls no API: its pool holds
   nothing back and records no start against the API's quota. */
static void test_offline_http_takes_no_pool(void **state)
{
	struct fx f;
	tr_run_report rep;
	tr_error err = {0};
	int64_t *ts = NULL;
	size_t n = 0;
	FILE *csv;

	(void)state;
	unsetenv("TRANCHE_TEST_NO_SUCH_KEY");
	fx_open(&f, "name: t\n"
		    "pools:\n"
		    "  api: {max_concurrency: 1, rate: 1/hour}\n"
		    "assets:\n"
		    "  fetched:\n"
		    "    partitions: {type: static, keys: [a, b, c]}\n"
		    "    partition_expr: k\n"
		    "    pool: api\n"
		    "    http:\n"
		    "      url: \"https://example.invalid/{partition_key}?key={env:TRANCHE_TEST_NO_SUCH_KEY}\"\n"
		    "      fallback_url: \"file:sample.csv\"\n"
		    "    sql: SELECT $partition_key AS k, v FROM response\n");
	csv = fopen("sample.csv", "w");
	assert_non_null(csv);
	fputs("v\n1\n", csv);
	fclose(csv);
	/* with the pool, 1/hour would hold b and c back for an hour */
	assert_int_equal(run(&f, "fetched", TR_PICK_ALL, NULL, NULL, 2, &rep), 0);
	assert_int_equal(rep.failed, 0);
	assert_int_equal(rep.succeeded, 3);
	tr_run_report_release(&rep);
	assert_ok(tr_storage_pool_starts(f.st, "api", 0, 10, &ts, &n, &err), &err);
	assert_int_equal(n, 0);
	free(ts);
	fx_close(&f);
}

/* ---- cancel and resume ------------------------------------------------------------------- */

static const char slow[] =
	"name: t\n"
	"assets:\n"
	"  slow:\n"
	"    partitions: {type: daily, start: 2024-01-01}\n"
	"    partition_expr: day\n"
	"    sql: |\n"
	"      SELECT CAST($partition_start AS DATE) AS day, count(*) AS n\n"
	"      FROM range(30000000) t(i) WHERE hash(i) % 7 = 0\n";

struct cancel_ctx {
	volatile sig_atomic_t flag;
	int ended;
};

static void cancel_after_two(void *ctx, const tr_progress *pr)
{
	struct cancel_ctx *c = ctx;

	if (pr->ended && ++c->ended == 2)
		c->flag = 1;
}

static void test_cancel_then_resume(void **state)
{
	struct fx f;
	struct cancel_ctx c = {0, 0};
	tr_run_request req = {0};
	tr_run_report rep;
	tr_error err = {0};
	tr_run run_rec = {0};
	tr_backfill b = {0};
	int64_t backfill;
	char count[32];

	(void)state;
	fx_open(&f, slow);
	req.selection = "slow";
	req.pick = TR_PICK_ALL;
	req.now = parse_now("2024-01-10");
	req.jobs = 2;
	req.cancel = &c.flag;
	req.on_progress = cancel_after_two;
	req.ctx = &c;
	assert_ok(tr_materialize(f.p, f.st, f.wh, &req, &rep, &err), &err);
	assert_true(rep.canceled);
	assert_true(rep.succeeded >= 2 && rep.succeeded < 9);
	backfill = rep.backfill_id;
	assert_ok(tr_storage_run_get(f.st, rep.run_id, &run_rec, &err), &err);
	assert_string_equal(run_rec.status, "canceled");
	tr_run_release(&run_rec);
	assert_ok(tr_storage_backfill_get(f.st, backfill, &b, NULL, NULL, &err), &err);
	assert_string_equal(b.status, "canceled");
	tr_backfill_release(&b);
	/* whole partitions only: each day has its full count or is absent */
	query1(&f, "SELECT count(DISTINCT n) FROM slow", count, sizeof(count));
	assert_string_equal(count, "1");
	tr_run_report_release(&rep);

	/* resume: only what did not succeed */
	memset(&req, 0, sizeof(req));
	req.resume = backfill;
	req.now = parse_now("2024-01-10");
	req.jobs = 2;
	assert_ok(tr_materialize(f.p, f.st, f.wh, &req, &rep, &err), &err);
	assert_false(rep.canceled);
	assert_int_equal(rep.failed, 0);
	assert_true(rep.total < 9);
	assert_int_equal(rep.backfill_id, backfill);
	assert_query(&f, "SELECT count(*) FROM slow", "9");
	assert_ok(tr_storage_backfill_get(f.st, backfill, &b, NULL, NULL, &err), &err);
	assert_string_equal(b.status, "completed");
	assert_int_equal(b.partitions_succeeded, 9);
	tr_backfill_release(&b);
	tr_run_report_release(&rep);

	/* a completed backfill cannot be resumed */
	assert_int_equal(tr_materialize(f.p, f.st, f.wh, &req, &rep, &err), TR_EINVAL);
	assert_non_null(strstr(err.msg, "completed"));
	tr_run_report_release(&rep);
	fx_close(&f);
}

/* A dry run plans steps by policy and writes nothing. */
static void test_dry_run_plan(void **state)
{
	struct fx f;
	tr_run_request req = {0};
	tr_run_report rep;
	tr_error err = {0};
	tr_buf out = TR_BUF_INIT;
	tr_run *runs = NULL;
	size_t n_runs = 0;

	(void)state;
	fx_open(&f, policies);
	req.selection = "ranged,chunked";
	req.pick = TR_PICK_ALL;
	req.now = parse_now("2024-01-10");
	req.dry_run = 1;
	req.plan_out = &out;
	assert_ok(tr_materialize(f.p, f.st, f.wh, &req, &rep, &err), &err);
	assert_int_equal(rep.total, 1 + 5);
	assert_int_equal(rep.n_plan, 2);
	assert_string_equal(rep.plan[0].asset, "ranged");
	assert_int_equal(rep.plan[0].steps, 1);
	assert_string_equal(rep.plan[0].policy, "single_run");
	assert_string_equal(rep.plan[0].ranges, "2024-01-01...2024-01-09");
	assert_int_equal(rep.plan[1].steps, 5);
	assert_non_null(strstr(tr_buf_str(&out), "ranged 2024-01-01...2024-01-09 (9 partitions, one step)"));
	assert_ok(tr_storage_runs_list(f.st, 0, &runs, &n_runs, &err), &err);
	assert_int_equal(n_runs, 0);
	tr_buf_release(&out);
	tr_run_report_release(&rep);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_daily_waits_for_its_hours),
		cmocka_unit_test(test_lag_mapping_waits_for_yesterday),
		cmocka_unit_test(test_parallel_equals_serial),
		cmocka_unit_test(test_missing_with_nothing_to_do),
		cmocka_unit_test(test_failure_isolation),
		cmocka_unit_test(test_retries),
		cmocka_unit_test(test_single_run_ranges_and_gaps),
		cmocka_unit_test(test_pool_concurrency_and_rate),
		cmocka_unit_test(test_offline_http_takes_no_pool),
		cmocka_unit_test(test_cancel_then_resume),
		cmocka_unit_test(test_dry_run_plan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
