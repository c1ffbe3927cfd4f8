/*
 * test_adopt.c — tr_adopt_scan / tr_adopt_record (src/exec/adopt.c) and
 * tr_explain_asset (src/exec/explain.c) on an in-memory DuckDB warehouse and
 * SQLite storage: values mapped to the partition whose window holds them
 * across clock changes and window offsets, what is recorded and what is left
 * alone, and explain seeing adopted partitions.
 */
#include "testutil.h"

#include <time.h>

#include "tranche/exec.h"
#include "tranche/project.h"
#include "tranche/storage.h"
#include "tranche/warehouse.h"

struct fx {
	tr_project *p;
	tr_storage *st;
	tr_warehouse *wh;
	tr_wconn *conn;
};

static int64_t at(const char *iso)
{
	struct tm tm = {0};

	strptime(iso, "%Y-%m-%d", &tm);
	return (int64_t)timegm(&tm);
}

static void fx_open(struct fx *f, const char *yaml, const char *sql)
{
	tr_error err = {0};

	memset(f, 0, sizeof(*f));
	assert_ok(tr_project_parse(yaml, "tranche.yaml", "/tmp", &f->p, &err), &err);
	assert_ok(tr_storage_open("sqlite::memory:", &f->st, &err), &err);
	assert_ok(tr_warehouse_open("duckdb::memory:", NULL, &f->wh, &err), &err);
	assert_ok(tr_warehouse_connect(f->wh, &f->conn, &err), &err);
	if (sql)
		assert_ok(tr_wconn_query(f->conn, sql, NULL, 0, 0, NULL, &err), &err);
}

static void fx_close(struct fx *f)
{
	tr_wconn_close(f->conn);
	tr_warehouse_close(f->wh);
	tr_storage_close(f->st);
	tr_project_free(f->p);
}

/* The report's ranges as "KEYS=ROWS;..." */
static void ranges_text(const tr_adopt_report *r, char *out, size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t k = 0; k < r->n_ranges && len < n; k++)
		len += (size_t)snprintf(out + len, n - len, "%s=%lld;", r->ranges[k].keys,
					(long long)r->ranges[k].rows);
}

/* Daily partitions in New York: the spring-forward and fall-back days are 23 and 25 hours
   of wall clock, and every value lands in the day whose wall-clock window holds it. */
static void test_clock_changes(void **state)
{
	struct fx f;
	tr_adopt_report r;
	tr_error err = {0};
	char text[256];

	(void)state;
	fx_open(&f,
		"name: t\nassets:\n"
		"  clicks:\n"
		"    partitions: {type: daily, start: 2024-03-01, timezone: America/New_York}\n"
		"    partition_expr: ts\n"
		"    sql: SELECT TIMESTAMP '2024-03-01' AS ts\n",
		"CREATE TABLE clicks AS SELECT * FROM (VALUES"
		" (TIMESTAMP '2024-03-10 00:00:00'), (TIMESTAMP '2024-03-10 01:30:00'),"
		" (TIMESTAMP '2024-03-10 03:30:00'), (TIMESTAMP '2024-03-10 23:59:59'),"
		" (TIMESTAMP '2024-11-03 01:30:00'), (TIMESTAMP '2024-11-03 23:30:00'),"
		" (TIMESTAMP '2024-11-04 00:00:00'), (TIMESTAMP '2024-02-29 23:59:59')) AS t(ts)");
	assert_ok(tr_adopt_scan(f.p, f.st, f.wh, 0, at("2024-12-01"), &r, &err), &err);
	ranges_text(&r, text, sizeof(text));
	assert_string_equal(text, "2024-03-10=4;2024-11-03...2024-11-04=3;");
	assert_int_equal(r.table_rows, 8);
	assert_int_equal(r.outside_rows, 1);
	assert_int_equal(r.n_outside, 1);
	assert_int_equal(r.outside[0].reason, TR_ADOPT_BEFORE_START);
	assert_string_equal(r.outside[0].examples[0], "2024-02-29 23:59:59");
	assert_int_equal(r.recorded, 0);
	tr_adopt_report_release(&r);
	fx_close(&f);
}

/* Hourly windows starting at half past: a value belongs to the window that started before it. */
static void test_minute_offset(void **state)
{
	struct fx f;
	tr_adopt_report r;
	tr_error err = {0};
	char text[256];

	(void)state;
	fx_open(&f,
		"name: t\nassets:\n"
		"  ticks:\n"
		"    partitions: {type: hourly, start: 2024-01-01-00:30, minute_offset: 30}\n"
		"    partition_expr: ts\n"
		"    sql: SELECT TIMESTAMP '2024-01-01' AS ts\n",
		"CREATE TABLE ticks AS SELECT * FROM (VALUES"
		" (TIMESTAMP '2024-01-01 10:29:59'), (TIMESTAMP '2024-01-01 10:30:00'),"
		" (TIMESTAMP '2024-01-01 11:29:00'), (TIMESTAMP '2024-01-01 00:10:00'))"
		" AS t(ts)");
	assert_ok(tr_adopt_scan(f.p, f.st, f.wh, 0, at("2024-01-02"), &r, &err), &err);
	ranges_text(&r, text, sizeof(text));
	assert_string_equal(text, "2024-01-01-09:30...2024-01-01-10:30=3;");
	assert_int_equal(r.outside_rows, 1);
	assert_int_equal(r.outside[0].reason, TR_ADOPT_BEFORE_START);
	tr_adopt_report_release(&r);
	fx_close(&f);
}

/* Recording: status and the last materialization; a second adopt leaves everything alone;
   a failed partition is never adopted; explain sees the adopted partition. */
static void test_record(void **state)
{
	struct fx f;
	tr_adopt_report r;
	tr_error err = {0};
	tr_event_rec last;
	tr_event ev = {0};
	tr_run run = {0};
	int64_t m = 0, fl = 0, ip = 0, run_id = 0;
	tr_buf out = TR_BUF_INIT;

	(void)state;
	fx_open(&f,
		"name: t\nassets:\n"
		"  events:\n"
		"    partitions: {type: daily, start: 2024-01-01}\n"
		"    partition_expr: day\n"
		"    sql: SELECT CAST($partition_start AS DATE) AS day\n",
		"CREATE TABLE events AS SELECT * FROM (VALUES (DATE '2024-01-01'), (DATE '2024-01-01'),"
		" (DATE '2024-01-02'), (DATE '2024-01-04'), (DATE '2024-01-05')) AS t(day)");
	/* 2024-01-05 failed in a run: it keeps that status */
	run.status = "started";
	run.selection = "events";
	run.partitions = "2024-01-05";
	run.launched_by = "test";
	assert_ok(tr_storage_run_create(f.st, &run, &run_id, &err), &err);
	ev.run_id = run_id;
	ev.ts = 1;
	ev.type = "step_failure";
	ev.asset = "events";
	ev.partition = "2024-01-05";
	ev.message = "boom";
	assert_ok(tr_storage_events_add(f.st, &ev, 1, &err), &err);

	assert_ok(tr_adopt_scan(f.p, f.st, f.wh, 0, at("2024-01-10"), &r, &err), &err);
	assert_int_equal(tr_keyset_count(&r.adopt), 3);
	assert_int_equal(r.kept_failed, 1);
	assert_ok(tr_adopt_record(f.p, f.st, 0, &r, &err), &err);
	assert_int_equal(r.recorded, 3);
	assert_int_equal(r.kept_failed, 1);
	tr_adopt_report_release(&r);

	assert_ok(tr_storage_status_counts(f.st, "events", &m, &fl, &ip, &err), &err);
	assert_int_equal(m, 3);
	assert_int_equal(fl, 1);
	assert_ok(tr_storage_last_materialization(f.st, "events", "2024-01-01", &last, &err), &err);
	assert_int_equal(last.run_id, 0);
	assert_string_equal(last.data, "{\"adopted\":true,\"row_count\":2}");
	tr_event_rec_release(&last);

	/* again: nothing to record, three kept */
	assert_ok(tr_adopt_scan(f.p, f.st, f.wh, 0, at("2024-01-10"), &r, &err), &err);
	assert_int_equal(tr_keyset_count(&r.adopt), 0);
	assert_int_equal(r.kept_materialized, 3);
	assert_ok(tr_adopt_record(f.p, f.st, 0, &r, &err), &err);
	assert_int_equal(r.recorded, 0);
	tr_adopt_report_release(&r);

	/* no run was recorded beside the test's own */
	{
		tr_run *runs = NULL;
		size_t n = 0;

		assert_ok(tr_storage_runs_list(f.st, 0, &runs, &n, &err), &err);
		assert_int_equal(n, 1);
		tr_runs_free(runs, n);
	}

	assert_ok(tr_explain_asset(f.p, f.st, 0, at("2024-01-10"), "2024-01-01", 0, &out, &err),
		  &err);
	assert_non_null(strstr(tr_buf_str(&out), "by tranche adopt (no run), 2 rows"));
	tr_buf_reset(&out);
	assert_ok(tr_explain_asset(f.p, f.st, 0, at("2024-01-10"), "2024-01-05", 1, &out, &err),
		  &err);
	assert_non_null(strstr(tr_buf_str(&out), "\"status\":\"failed\""));
	tr_buf_release(&out);
	fx_close(&f);
}

/* Refusals: no table, no partition_expr. */
static void test_refused(void **state)
{
	struct fx f;
	tr_adopt_report r;
	tr_error err = {0};

	(void)state;
	fx_open(&f,
		"name: t\nassets:\n"
		"  events:\n"
		"    partitions: {type: daily, start: 2024-01-01}\n"
		"    partition_expr: day\n"
		"    sql: SELECT CAST($partition_start AS DATE) AS day\n"
		"  tallies:\n"
		"    partitions: {type: daily, start: 2024-01-01}\n"
		"    script: CREATE TABLE IF NOT EXISTS tallies (n INT)\n",
		NULL);
	assert_int_equal(tr_adopt_scan(f.p, f.st, f.wh, 0, at("2024-01-10"), &r, &err),
			 TR_ENOTFOUND);
	assert_non_null(strstr(err.msg, "nothing to adopt: table events does not exist"));
	tr_adopt_report_release(&r);
	assert_int_equal(tr_adopt_scan(f.p, f.st, f.wh, 1, at("2024-01-10"), &r, &err), TR_EINVAL);
	assert_non_null(strstr(err.msg, "has no partition_expr"));
	tr_adopt_report_release(&r);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock_changes),
		cmocka_unit_test(test_minute_offset),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
