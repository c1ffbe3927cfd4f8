/*
 * test_warehouse.c — the warehouse (tranche/warehouse.h) on its DuckDB backend:
 * URLs and opening, a second process refused, named parameters, several
 * statements, cells rendered as DuckDB renders them and the text/CSV/JSON
 * writers, partitioned loads (replace, strays, column changes, failures
 * leaving the table as it was), unpartitioned, script and file loads, wipes,
 * checks, and an interrupt from another thread. Then the fast path (loads
 * that reuse a connection's load plan, tr_load_result.planned): the same
 * results as the slow path, rows outside the slice, columns changed in the
 * query or in the table by another connection, interrupts, big partitions,
 * values rendered in C as DuckDB renders them, and two threads loading one
 * table. Each test gets a fresh directory under /tmp, removed afterwards, and
 * a file warehouse in it.
 */
#include "testutil.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tranche/warehouse.h"

struct fixture {
	char dir[64];
	char path[256]; /* scratch for path_in */
	tr_warehouse *wh;
	tr_wconn *c;
	tr_error err;
};

static const char *path_in(struct fixture *f, const char *rel)
{
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, rel);
	return f->path;
}

static int setup_dir(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/tranche-test-warehouse-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

/* A directory, a warehouse file in it and one connection, in UTC. */
static int setup(void **state)
{
	struct fixture *f = NULL;
	char url[300];

	if (setup_dir(state) != 0)
		return -1;
	f = *state;
	snprintf(url, sizeof(url), "duckdb:%s/warehouse.duckdb", f->dir);
	if (tr_warehouse_open(url, NULL, &f->wh, &f->err) != 0 ||
	    tr_warehouse_connect(f->wh, &f->c, &f->err) != 0 ||
	    tr_wconn_query(f->c, "SET TimeZone = 'UTC'", NULL, 0, 0, NULL, &f->err) != 0) {
		fprintf(stderr, "setup: %s\n", f->err.msg);
		return -1;
	}
	return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc = 0;

	tr_wconn_close(f->c);
	tr_warehouse_close(f->wh);
	rc = nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return rc;
}

/* ---- helpers ------------------------------------------------------------- */

static void exec_sql(struct fixture *f, const char *sql)
{
	assert_ok(tr_wconn_query(f->c, sql, NULL, 0, 0, NULL, &f->err), &f->err);
}

static const char *cell(const tr_table *t, size_t row, size_t col)
{
	assert_true(row < t->nrows);
	assert_true(col < t->ncols);
	return t->cells[row * t->ncols + col];
}

/* The first cell of sql's result, copied into a static buffer ("NULL" for NULL). */
static const char *scalar(struct fixture *f, const char *sql)
{
	static char value[512];
	tr_table t;

	assert_ok(tr_wconn_query(f->c, sql, NULL, 0, 10, &t, &f->err), &f->err);
	assert_true(t.nrows >= 1);
	snprintf(value, sizeof(value), "%s", cell(&t, 0, 0) ? cell(&t, 0, 0) : "NULL");
	tr_table_release(&t);
	return value;
}

static long long count_of(struct fixture *f, const char *sql)
{
	return atoll(scalar(f, sql));
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

/* A sales table partitioned by day: $partition_start <= day < $partition_end. */
#define DAY_SLICE "(day) >= $partition_start AND (day) < $partition_end"

struct day_params {
	tr_param p[3];
};

/* Microseconds since 1970 of a date at midnight. */
static int64_t day_micros(int y, int m, int d)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	return (int64_t)timegm(&tm) * 1000000;
}

static const tr_param *day_params(struct day_params *dp, const char *key, int y, int m, int d)
{
	memset(dp, 0, sizeof(*dp));
	dp->p[0] = (tr_param){.name = "partition_key", .type = TR_PARAM_TEXT, .text = key};
	dp->p[1] = (tr_param){.name = "partition_start", .type = TR_PARAM_TIMESTAMP,
			      .value = day_micros(y, m, d)};
	dp->p[2] = (tr_param){.name = "partition_end", .type = TR_PARAM_TIMESTAMP,
			      .value = day_micros(y, m, d) + 86400LL * 1000000};
	return dp->p;
}

/* 3 rows of one day; amount = base + 0..2. */
#define DAY_QUERY                                                                         \
	"SELECT $partition_start::DATE AS day, 'item' || i AS item, $base + i AS amount\n" \
	"FROM range(3) t(i)"

static int load_day(struct fixture *f, const char *table, const char *key, int day, long base,
		    tr_load_result *r)
{
	struct day_params dp;
	tr_param params[4];
	tr_load load;

	memcpy(params, day_params(&dp, key, 2024, 1, day), sizeof(dp.p));
	params[3] = (tr_param){.name = "base", .type = TR_PARAM_BIGINT, .value = base};
	memset(&load, 0, sizeof(load));
	load.table = table;
	load.source = TR_LOAD_QUERY;
	load.query = DAY_QUERY;
	load.slice = DAY_SLICE;
	load.params = params;
	load.n_params = 4;
	load.preview_rows = 2;
	return tr_wconn_load(f->c, &load, r, &f->err);
}

/* ---- opening ------------------------------------------------------------- */

static void test_open_creates_parent_dirs(void **state)
{
	struct fixture *f = *state;
	tr_warehouse *wh = NULL;
	tr_wconn *c = NULL;
	struct stat st;
	char url[300];

	snprintf(url, sizeof(url), "duckdb:%s/a/b/w.duckdb", f->dir);
	assert_ok(tr_warehouse_open(url, NULL, &wh, &f->err), &f->err);
	assert_string_equal(tr_warehouse_path(wh), path_in(f, "a/b/w.duckdb"));
	assert_ok(tr_warehouse_connect(wh, &c, &f->err), &f->err);
	assert_ok(tr_wconn_query(c, "CREATE TABLE t AS SELECT 1 AS a", NULL, 0, 0, NULL, &f->err),
		  &f->err);
	tr_wconn_close(c);
	tr_warehouse_close(wh);
	assert_int_equal(stat(path_in(f, "a/b/w.duckdb"), &st), 0);

	/* a bare relative path is relative to base_dir */
	assert_ok(tr_warehouse_open("data/x/w.duckdb", f->dir, &wh, &f->err), &f->err);
	assert_string_equal(tr_warehouse_path(wh), path_in(f, "data/x/w.duckdb"));
	assert_ok(tr_warehouse_connect(wh, &c, &f->err), &f->err);
	tr_wconn_close(c);
	tr_warehouse_close(wh);
	assert_int_equal(stat(path_in(f, "data/x/w.duckdb"), &st), 0);

	/* the data survives a reopen */
	snprintf(url, sizeof(url), "%s/a/b/w.duckdb", f->dir);
	assert_ok(tr_warehouse_open(url, NULL, &wh, &f->err), &f->err);
	assert_ok(tr_warehouse_connect(wh, &c, &f->err), &f->err);
	assert_int_equal(tr_wconn_table_exists(c, "t", &f->err), 1);
	assert_int_equal(tr_wconn_table_exists(c, "main.t", &f->err), 1);
	assert_int_equal(tr_wconn_table_exists(c, "T", &f->err), 1);
	assert_int_equal(tr_wconn_table_exists(c, "nope", &f->err), 0);
	assert_int_equal(tr_wconn_table_exists(c, "other.t", &f->err), 0);
	tr_wconn_close(c);
	tr_warehouse_close(wh);

	/* in memory */
	assert_ok(tr_warehouse_open("duckdb::memory:", NULL, &wh, &f->err), &f->err);
	assert_string_equal(tr_warehouse_path(wh), "");
	assert_ok(tr_warehouse_connect(wh, &c, &f->err), &f->err);
	assert_ok(tr_wconn_query(c, "CREATE TABLE m AS SELECT 1 AS a", NULL, 0, 0, NULL, &f->err),
		  &f->err);
	assert_int_equal(tr_wconn_table_exists(c, "m", &f->err), 1);
	tr_wconn_close(c);
	tr_warehouse_close(wh);
	tr_warehouse_close(NULL);
	tr_wconn_close(NULL);
}

static void test_refused_urls(void **state)
{
	struct fixture *f = *state;
	tr_warehouse *wh = (tr_warehouse *)1;
	char url[300];

	assert_int_equal(tr_warehouse_open("parquet:data/", NULL, &wh, &f->err), TR_EINVAL);
	assert_null(wh);
	assert_contains(f->err.msg, "Parquet warehouses are not available in this build");
	assert_contains(f->err.msg, "duckdb:PATH");
	assert_int_equal(tr_warehouse_open("postgres://ann:secret@db/w", NULL, &wh, &f->err),
			 TR_EINVAL);
	assert_contains(f->err.msg, "PostgreSQL");
	assert_null(strstr(f->err.msg, "secret"));
	assert_int_equal(tr_warehouse_open("mysql://x", NULL, &wh, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "unknown scheme \"mysql:\"");
	assert_int_equal(tr_warehouse_open("", NULL, &wh, &f->err), TR_EINVAL);
	assert_int_equal(tr_warehouse_open("duckdb:", NULL, &wh, &f->err), TR_EINVAL);
	/* a file that is not a database */
	snprintf(url, sizeof(url), "%s/notdb.duckdb", f->dir);
	{
		FILE *fp = fopen(url, "w");

		assert_non_null(fp);
		fputs("this is not a database, it is only text, long enough to be read\n", fp);
		fclose(fp);
	}
	assert_int_equal(tr_warehouse_open(url, NULL, &wh, &f->err), TR_EIO);
	assert_contains(f->err.msg, "opening warehouse");
	assert_null(wh);
}

static void test_second_process_refused(void **state)
{
	struct fixture *f = *state;
	int ready[2], answer[2];
	char url[300], msg[TR_ERROR_MSG_MAX + 16], expected[128];
	tr_warehouse *wh = NULL;
	ssize_t got = 0;
	pid_t child;
	int status = 0;
	char byte = 0;

	snprintf(url, sizeof(url), "duckdb:%s/shared.duckdb", f->dir);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(answer), 0);
	/* Fork before this process opens the file: the child starts with no DuckDB threads. */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		tr_error err;
		tr_warehouse *other = NULL;
		int rc = 0;

		close(ready[1]);
		close(answer[0]);
		if (read(ready[0], &byte, 1) != 1)
			_exit(2);
		rc = tr_warehouse_open(url, NULL, &other, &err);
		if (rc == 0)
			tr_warehouse_close(other);
		snprintf(msg, sizeof(msg), "%d %s", rc, rc ? err.msg : "opened");
		if (write(answer[1], msg, strlen(msg)) < 0)
			_exit(3);
		_exit(0);
	}
	close(ready[0]);
	close(answer[1]);
	assert_ok(tr_warehouse_open(url, NULL, &wh, &f->err), &f->err);
	assert_int_equal(write(ready[1], "g", 1), 1);
	got = read(answer[0], msg, sizeof(msg) - 1);
	assert_true(got > 0);
	msg[got] = '\0';
	assert_int_equal(waitpid(child, &status, 0), child);
	tr_warehouse_close(wh);
	close(ready[1]);
	close(answer[0]);
	snprintf(expected, sizeof(expected), "%d warehouse ", TR_EIO);
	assert_contains(msg, expected);
	snprintf(expected, sizeof(expected), "is in use by another process (PID %ld)",
		 (long)getpid());
	assert_contains(msg, expected);
	assert_contains(msg, "shared.duckdb");
	assert_contains(msg, "only one tranche process can write a DuckDB warehouse at a time");
}

/* ---- queries ------------------------------------------------------------- */

static void test_query_named_params(void **state)
{
	struct fixture *f = *state;
	const char *keys[] = {"b", "it's", "d"};
	tr_param params[] = {
		{.name = "partition_key", .type = TR_PARAM_TEXT, .text = "2024-01-31"},
		{.name = "partition_start", .type = TR_PARAM_TIMESTAMP,
		 .value = day_micros(2024, 1, 31) + 3600LL * 1000000},
		{.name = "n", .type = TR_PARAM_BIGINT, .value = -9000000000LL},
		{.name = "keys", .type = TR_PARAM_TEXT_LIST, .list = keys, .list_len = 3},
		{.name = "unused", .type = TR_PARAM_TEXT, .text = "x"},
		{.name = "empty", .type = TR_PARAM_TEXT_LIST, .list = NULL, .list_len = 0},
	};
	tr_table t;

	assert_ok(tr_wconn_query(f->c,
				 "SELECT $partition_key AS k, $partition_start AS s, $n AS n,"
				 " typeof($partition_start) AS ts_type, $keys AS keys,"
				 " len($empty) AS empty_len, $partition_key AS again",
				 params, 6, 10, &t, &f->err),
		  &f->err);
	assert_int_equal(t.ncols, 7);
	assert_int_equal(t.nrows, 1);
	assert_string_equal(cell(&t, 0, 0), "2024-01-31");
	assert_string_equal(t.types[0], "VARCHAR");
	assert_string_equal(cell(&t, 0, 1), "2024-01-31 01:00:00");
	assert_string_equal(t.types[1], "TIMESTAMP");
	assert_string_equal(cell(&t, 0, 2), "-9000000000");
	assert_string_equal(t.types[2], "BIGINT");
	assert_int_equal(t.numeric[2], 1);
	assert_string_equal(cell(&t, 0, 3), "TIMESTAMP");
	assert_string_equal(cell(&t, 0, 4), "[b, 'it\\'s', d]"); /* DuckDB quotes it so */
	assert_string_equal(t.types[4], "VARCHAR[]");
	assert_string_equal(cell(&t, 0, 5), "0");
	tr_table_release(&t);

	/* a list filters rows: values are bound, never spliced */
	assert_ok(tr_wconn_query(f->c,
				 "SELECT x FROM (VALUES ('a'), ('b'), ('it''s'), ('d')) v(x)"
				 " WHERE list_contains($keys, x) ORDER BY x",
				 params, 6, 10, &t, &f->err),
		  &f->err);
	assert_int_equal(t.nrows, 3);
	assert_string_equal(cell(&t, 0, 0), "b");
	assert_string_equal(cell(&t, 1, 0), "d");
	assert_string_equal(cell(&t, 2, 0), "it's");
	tr_table_release(&t);
}

static void test_query_missing_and_positional_params(void **state)
{
	struct fixture *f = *state;
	tr_param params[] = {
		{.name = "partition_key", .type = TR_PARAM_TEXT, .text = "a"},
		{.name = "partition_start", .type = TR_PARAM_BIGINT, .value = 1},
	};
	tr_table t;

	assert_int_equal(tr_wconn_query(f->c, "SELECT $partition_key, $foo", params, 2, 10, &t,
					&f->err),
			 TR_EINVAL);
	assert_string_equal(f->err.msg,
			    "running the query: SQL uses $foo, which tranche does not provide "
			    "(available: $partition_key, $partition_start)");
	assert_int_equal(t.ncols, 0);
	assert_int_equal(tr_wconn_query(f->c, "SELECT $foo", NULL, 0, 10, &t, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "(available: none)");
	assert_int_equal(tr_wconn_query(f->c, "SELECT ?", params, 2, 10, &t, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "positional parameter");
	assert_int_equal(tr_wconn_query(f->c, "SELECT $1", params, 2, 10, &t, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "positional parameter");
	/* names are given without '$' */
	params[0].name = "$partition_key";
	assert_int_equal(tr_wconn_query(f->c, "SELECT 1", params, 2, 10, &t, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "without '$'");
}

static void test_query_statements(void **state)
{
	struct fixture *f = *state;
	tr_table t;

	/* several statements: the last one's rows; a later one uses a table an earlier made */
	assert_ok(tr_wconn_query(f->c,
				 "CREATE TABLE s AS SELECT 1 AS a; INSERT INTO s VALUES (2), (3);\n"
				 "-- a comment\nSELECT a FROM s ORDER BY a DESC;",
				 NULL, 0, 2, &t, &f->err),
		  &f->err);
	assert_int_equal(t.ncols, 1);
	assert_string_equal(t.names[0], "a");
	assert_string_equal(t.types[0], "INTEGER");
	assert_int_equal(t.nrows, 2);
	assert_int_equal(t.truncated, 1);
	assert_string_equal(cell(&t, 0, 0), "3");
	assert_string_equal(cell(&t, 1, 0), "2");
	tr_table_release(&t);

	/* exactly max_rows rows: not truncated */
	assert_ok(tr_wconn_query(f->c, "SELECT * FROM s", NULL, 0, 3, &t, &f->err), &f->err);
	assert_int_equal(t.nrows, 3);
	assert_int_equal(t.truncated, 0);
	tr_table_release(&t);

	/* more rows than a chunk, cut in the middle of the second */
	assert_ok(tr_wconn_query(f->c, "SELECT range AS i FROM range(5000)", NULL, 0, 3000, &t,
				 &f->err),
		  &f->err);
	assert_int_equal(t.nrows, 3000);
	assert_int_equal(t.truncated, 1);
	assert_string_equal(cell(&t, 2999, 0), "2999");
	tr_table_release(&t);

	/* statements without rows: no columns */
	assert_ok(tr_wconn_query(f->c, "CREATE TABLE e (a INTEGER)", NULL, 0, 10, &t, &f->err),
		  &f->err);
	assert_int_equal(t.ncols, 0);
	assert_int_equal(t.nrows, 0);
	tr_table_release(&t);

	/* SHOW, DESCRIBE, PRAGMA, RETURNING */
	assert_ok(tr_wconn_query(f->c, "SHOW TABLES", NULL, 0, 10, &t, &f->err), &f->err);
	assert_int_equal(t.nrows, 2);
	assert_string_equal(cell(&t, 0, 0), "e");
	tr_table_release(&t);
	assert_ok(tr_wconn_query(f->c, "DESCRIBE s", NULL, 0, 10, &t, &f->err), &f->err);
	assert_string_equal(t.names[0], "column_name");
	assert_string_equal(cell(&t, 0, 0), "a");
	assert_string_equal(cell(&t, 0, 1), "INTEGER");
	tr_table_release(&t);
	assert_ok(tr_wconn_query(f->c, "PRAGMA table_info('s')", NULL, 0, 10, &t, &f->err),
		  &f->err);
	assert_string_equal(cell(&t, 0, 1), "a");
	tr_table_release(&t);
	assert_ok(tr_wconn_query(f->c, "INSERT INTO s VALUES (7) RETURNING a * 2 AS twice", NULL,
				 0, 10, &t, &f->err),
		  &f->err);
	assert_string_equal(cell(&t, 0, 0), "14");
	tr_table_release(&t);

	/* errors name the statement and stay on one line */
	assert_int_equal(tr_wconn_query(f->c, "SELECT 1; SELECT * FROM missing_table; SELECT 2",
					NULL, 0, 10, &t, &f->err),
			 TR_EINVAL);
	assert_contains(f->err.msg, "running the query, statement 2 of 3: Catalog Error: Table "
				    "with name missing_table does not exist!");
	assert_contains(f->err.msg, "(LINE 1: SELECT * FROM missing_table)");
	assert_int_equal(tr_wconn_query(f->c, "SELECT *\nFROM missing_table", NULL, 0, 10, &t,
					&f->err),
			 TR_EINVAL);
	assert_contains(f->err.msg, "(at \"missing_table\" in LINE 2: FROM missing_table)");
	assert_null(strchr(f->err.msg, '\n'));
	assert_int_equal(tr_wconn_query(f->c, "SELEC 1", NULL, 0, 10, &t, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "Parser Error: syntax error at or near \"SELEC\"");
	assert_null(strchr(f->err.msg, '\n'));
	assert_int_equal(tr_wconn_query(f->c, "SELECT ('x' || range)::INTEGER FROM range(3)", NULL,
					0, 10, &t, &f->err),
			 TR_EIO);
	assert_contains(f->err.msg, "running the query: Conversion Error: Could not convert string");
	assert_int_equal(tr_wconn_query(f->c, "  ", NULL, 0, 10, &t, &f->err), TR_EINVAL);
	/* the replay table function is not for users */
	assert_int_equal(tr_wconn_query(f->c, "SELECT * FROM __tranche_replay()", NULL, 0, 10, &t,
					&f->err),
			 TR_EINVAL);
	assert_contains(f->err.msg, "internal to tranche");
	/* out may be NULL */
	assert_ok(tr_wconn_query(f->c, "SELECT 1", NULL, 0, 10, NULL, &f->err), &f->err);
}

/* Type names as DuckDB's typeof() gives them. */
static void test_type_names(void **state)
{
	struct fixture *f = *state;
	static const char *const exprs[] = {
		"1::TINYINT", "1::SMALLINT", "1::INTEGER", "1::BIGINT", "1::HUGEINT", "1::UTINYINT",
		"1::UBIGINT", "1::UHUGEINT", "1.5::FLOAT", "1.5::DOUBLE", "1.5::DECIMAL(18,2)",
		"1.5::DECIMAL(38,10)", "true", "'x'", "'x'::BLOB", "DATE '2024-01-01'",
		"TIME '12:00:00'", "TIMESTAMP '2024-01-01'", "TIMESTAMPTZ '2024-01-01 00:00:00+00'",
		"'2024-01-01'::TIMESTAMP_S", "'2024-01-01'::TIMESTAMP_MS", "'2024-01-01'::TIMESTAMP_NS",
		"INTERVAL 1 DAY", "[1, 2]", "[[1.5]]", "{'a': 1, 'b': 'x'}", "{'A b': 1}",
		"MAP {'k': 1}", "[1, 2]::INTEGER[2]", "'x'::ENUM('x', 'it''s')", "uuid()",
		"'{}'::JSON", "union_value(n := 1)", "'1010'::BIT",
	};
	size_t i = 0;

	for (i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++) {
		char sql[300];
		tr_table t;

		snprintf(sql, sizeof(sql), "SELECT %s AS v, typeof(%s) AS t", exprs[i], exprs[i]);
		assert_ok(tr_wconn_query(f->c, sql, NULL, 0, 1, &t, &f->err), &f->err);
		if (strcmp(t.types[0], cell(&t, 0, 1)) != 0)
			fail_msg("%s: type name %s, typeof says %s", exprs[i], t.types[0],
				 cell(&t, 0, 1));
		tr_table_release(&t);
	}
}

static void test_rendering(void **state)
{
	struct fixture *f = *state;
	tr_buf out = TR_BUF_INIT;
	tr_json j;
	tr_table t;

	assert_ok(tr_wconn_query(f->c,
				 "SELECT * FROM (VALUES"
				 " (1, 'plain', 1234.5::DECIMAL(18,2), DATE '2024-01-31',"
				 "  TIMESTAMPTZ '2024-03-10 12:00:00+00', true, [1, 2], {'x': 'a'}),"
				 " (22, 'say \"hi\", ok', NULL, NULL, NULL, NULL, NULL, NULL),"
				 " (NULL, '', -0.05::DECIMAL(18,2), DATE '1999-12-31',"
				 "  TIMESTAMPTZ '2024-01-01 00:00:00.5+00', false, [], NULL))"
				 " v(id, label, amount, day, ts, ok, list, rec) ORDER BY id NULLS LAST",
				 NULL, 0, 10, &t, &f->err),
		  &f->err);
	assert_int_equal(t.nrows, 3);
	assert_string_equal(t.types[2], "DECIMAL(18,2)");
	assert_string_equal(t.types[4], "TIMESTAMP WITH TIME ZONE");
	assert_string_equal(cell(&t, 0, 4), "2024-03-10 12:00:00+00");
	assert_string_equal(cell(&t, 2, 4), "2024-01-01 00:00:00.5+00");
	assert_string_equal(cell(&t, 0, 7), "{'x': a}");
	assert_null(cell(&t, 1, 2));

	tr_table_write_text(&t, &out);
	assert_string_equal(tr_buf_str(&out),
			    "   id | label        |  amount | day        | ts                       | ok    | list   | rec\n"
			    "------+--------------+---------+------------+--------------------------+-------+--------+----------\n"
			    "    1 | plain        | 1234.50 | 2024-01-31 | 2024-03-10 12:00:00+00   | true  | [1, 2] | {'x': a}\n"
			    "   22 | say \"hi\", ok |    NULL | NULL       | NULL                     | NULL  | NULL   | NULL\n"
			    " NULL |              |   -0.05 | 1999-12-31 | 2024-01-01 00:00:00.5+00 | false | []     | NULL\n");
	tr_buf_reset(&out);

	tr_table_write_csv(&t, &out);
	assert_string_equal(tr_buf_str(&out),
			    "id,label,amount,day,ts,ok,list,rec\n"
			    "1,plain,1234.50,2024-01-31,2024-03-10 12:00:00+00,true,\"[1, 2]\",{'x': a}\n"
			    "22,\"say \"\"hi\"\", ok\",,,,,,\n"
			    ",\"\",-0.05,1999-12-31,2024-01-01 00:00:00.5+00,false,[],\n");
	tr_buf_reset(&out);

	tr_json_init(&j, &out, 0);
	tr_table_write_json(&t, &j);
	assert_false(tr_buf_failed(&out));
	assert_string_equal(
		tr_buf_str(&out),
		"[{\"id\":1,\"label\":\"plain\",\"amount\":1234.50,\"day\":\"2024-01-31\","
		"\"ts\":\"2024-03-10 12:00:00+00\",\"ok\":true,\"list\":\"[1, 2]\",\"rec\":\"{'x': a}\"},"
		"{\"id\":22,\"label\":\"say \\\"hi\\\", ok\",\"amount\":null,\"day\":null,\"ts\":null,"
		"\"ok\":null,\"list\":null,\"rec\":null},"
		"{\"id\":null,\"label\":\"\",\"amount\":-0.05,\"day\":\"1999-12-31\","
		"\"ts\":\"2024-01-01 00:00:00.5+00\",\"ok\":false,\"list\":\"[]\",\"rec\":null}]");
	tr_table_release(&t);
	tr_buf_reset(&out);

	/* big numbers keep their digits; inf and nan are not JSON numbers */
	assert_ok(tr_wconn_query(f->c,
				 "SELECT 170141183460469231731687303715884105727::HUGEINT AS h,"
				 " 'inf'::DOUBLE AS i, 1e20::DOUBLE AS e, 'a\nb' AS nl",
				 NULL, 0, 10, &t, &f->err),
		  &f->err);
	tr_json_init(&j, &out, 0);
	tr_table_write_json(&t, &j);
	assert_string_equal(tr_buf_str(&out),
			    "[{\"h\":170141183460469231731687303715884105727,\"i\":\"inf\","
			    "\"e\":1e+20,\"nl\":\"a\\nb\"}]");
	tr_buf_reset(&out);
	tr_table_write_text(&t, &out);
	assert_contains(tr_buf_str(&out), "| a\\nb\n");
	tr_table_release(&t);
	tr_buf_reset(&out);

	/* a table without columns writes nothing, or an empty array */
	memset(&t, 0, sizeof(t));
	tr_table_write_text(&t, &out);
	tr_table_write_csv(&t, &out);
	assert_int_equal(out.len, 0);
	tr_json_init(&j, &out, 0);
	tr_table_write_json(&t, &j);
	assert_string_equal(tr_buf_str(&out), "[]");
	tr_buf_release(&out);
}

static void test_quote_ident(void **state)
{
	tr_buf out = TR_BUF_INIT;

	(void)state;
	tr_sql_quote_ident(&out, "sales");
	tr_buf_addc(&out, ' ');
	tr_sql_quote_ident(&out, "mart.monthly_sales");
	tr_buf_addc(&out, ' ');
	tr_sql_quote_ident(&out, "we\"ird");
	assert_string_equal(tr_buf_str(&out), "\"sales\" \"mart\".\"monthly_sales\" \"we\"\"ird\"");
	tr_buf_release(&out);
}

/* ---- partitioned loads --------------------------------------------------- */

static void test_load_partition_replaces(void **state)
{
	struct fixture *f = *state;
	tr_load_result r;

	assert_ok(load_day(f, "sales", "2024-01-01", 1, 100, &r), &f->err);
	assert_int_equal(r.created, 1);
	assert_int_equal(r.row_count, 3);
	assert_int_equal(r.rows_deleted, 0);
	assert_int_equal(r.stray_rows, 0);
	assert_int_equal(r.preview.nrows, 2);
	assert_int_equal(r.preview.truncated, 1);
	assert_string_equal(r.preview.names[0], "day");
	assert_string_equal(cell(&r.preview, 0, 0), "2024-01-01");
	tr_load_result_release(&r);

	assert_ok(load_day(f, "sales", "2024-01-02", 2, 200, &r), &f->err);
	assert_int_equal(r.created, 0);
	assert_int_equal(r.row_count, 3);
	tr_load_result_release(&r);

	/* the same partition again: replaced, not duplicated; the other day untouched */
	assert_ok(load_day(f, "sales", "2024-01-01", 1, 500, &r), &f->err);
	assert_int_equal(r.created, 0);
	assert_int_equal(r.rows_deleted, 3);
	assert_int_equal(r.row_count, 3);
	tr_load_result_release(&r);
	assert_int_equal(count_of(f, "SELECT count(*) FROM sales"), 6);
	assert_string_equal(scalar(f, "SELECT sum(amount) FROM sales WHERE day = '2024-01-01'"),
			    "1503");
	assert_string_equal(scalar(f, "SELECT sum(amount) FROM sales WHERE day = '2024-01-02'"),
			    "603");
	assert_string_equal(scalar(f, "SELECT string_agg(column_name || ' ' || data_type, ', ' "
				      "ORDER BY column_index) FROM duckdb_columns() "
				      "WHERE table_name = 'sales'"),
			    "day DATE, item VARCHAR, amount BIGINT");
	/* no temporary table left behind */
	assert_int_equal(count_of(f, "SELECT count(*) FROM duckdb_tables() WHERE temporary"), 0);
	/* result may be NULL */
	assert_ok(load_day(f, "sales", "2024-01-03", 3, 0, NULL), &f->err);
	assert_int_equal(count_of(f, "SELECT count(*) FROM sales"), 9);
}

static void test_load_schema_table_and_metadata(void **state)
{
	struct fixture *f = *state;
	struct day_params dp;
	tr_named_sql meta[] = {
		{"total", "SELECT sum(amount) AS total FROM mart.daily WHERE " DAY_SLICE},
		{"by_item", "SELECT item, amount FROM mart.daily ORDER BY item"},
	};
	tr_load load;
	tr_load_result r;

	memset(&load, 0, sizeof(load));
	load.table = "mart.daily";
	load.source = TR_LOAD_QUERY;
	load.query = "SELECT $partition_start::DATE AS day, 'a' AS item, 5 AS amount -- no ;";
	load.slice = DAY_SLICE;
	load.params = day_params(&dp, "2024-01-05", 2024, 1, 5);
	load.n_params = 3;
	load.metadata = meta;
	load.n_metadata = 2;
	assert_ok(tr_wconn_load(f->c, &load, &r, &f->err), &f->err);
	assert_int_equal(r.created, 1);
	assert_int_equal(r.n_metadata, 2);
	assert_string_equal(cell(&r.metadata[0], 0, 0), "5");
	assert_string_equal(r.metadata[1].names[1], "amount");
	assert_int_equal(r.metadata[1].nrows, 1);
	assert_int_equal(r.preview.ncols, 0); /* preview_rows 0 */
	tr_load_result_release(&r);
	assert_int_equal(tr_wconn_table_exists(f->c, "mart.daily", &f->err), 1);
	assert_int_equal(tr_wconn_table_exists(f->c, "daily", &f->err), 0);
}

static void test_load_stray_rows(void **state)
{
	struct fixture *f = *state;
	struct day_params dp;
	tr_load load;
	tr_load_result r;

	assert_ok(load_day(f, "sales", "2024-01-01", 1, 100, NULL), &f->err);
	memset(&load, 0, sizeof(load));
	load.table = "sales";
	load.source = TR_LOAD_QUERY;
	/* 2 rows of the day, 1 of the next, 1 with no day */
	load.query = "SELECT day, item, amount::BIGINT AS amount FROM (VALUES (DATE '2024-01-01', 'a', 1),"
		     " (DATE '2024-01-01', 'b', 2), (DATE '2024-01-02', 'c', 3), (NULL, 'd', 4))"
		     " v(day, item, amount)";
	load.slice = DAY_SLICE;
	load.params = day_params(&dp, "2024-01-01", 2024, 1, 1);
	load.n_params = 3;
	assert_int_equal(tr_wconn_load(f->c, &load, &r, &f->err), TR_EINVAL);
	assert_string_equal(f->err.msg,
			    "2 of the 4 rows fall outside the partition being written (slice: " DAY_SLICE
			    "): fix the query or set outside_rows: drop");
	assert_int_equal(r.stray_rows, 2);
	assert_int_equal(r.row_count, 0);
	/* nothing written */
	assert_string_equal(scalar(f, "SELECT sum(amount) FROM sales"), "303");

	load.drop_outside = 1;
	load.preview_rows = 10;
	assert_ok(tr_wconn_load(f->c, &load, &r, &f->err), &f->err);
	assert_int_equal(r.stray_rows, 2);
	assert_int_equal(r.row_count, 2);
	assert_int_equal(r.rows_deleted, 3);
	assert_int_equal(r.preview.nrows, 2);
	assert_int_equal(r.preview.truncated, 0);
	tr_load_result_release(&r);
	assert_string_equal(scalar(f, "SELECT sum(amount) FROM sales"), "3");

	/* a new table from dropped strays holds only the slice */
	load.table = "fresh";
	assert_ok(tr_wconn_load(f->c, &load, &r, &f->err), &f->err);
	assert_int_equal(r.created, 1);
	assert_int_equal(r.stray_rows, 2);
	assert_int_equal(r.row_count, 2);
	assert_int_equal(r.preview.nrows, 2);
	tr_load_result_release(&r);
	assert_int_equal(count_of(f, "SELECT count(*) FROM fresh"), 2);

	/* a first load refused for its strays creates no table (it was created, then rolled back) */
	load.table = "never";
	load.drop_outside = 0;
	assert_int_equal(tr_wconn_load(f->c, &load, &r, &f->err), TR_EINVAL);
	assert_int_equal(r.stray_rows, 2);
	assert_int_equal(count_of(f, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'never'"),
			 0);
}

static void test_load_schema_change(void **state)
{
	struct fixture *f = *state;
	struct day_params dp;
	tr_load load;
	tr_load_result r;

	assert_ok(load_day(f, "sales", "2024-01-01", 1, 100, NULL), &f->err);
	memset(&load, 0, sizeof(load));
	load.table = "sales";
	load.source = TR_LOAD_QUERY;
	load.query = "SELECT $partition_start::DATE AS day, 'x' AS item, 1.5::DOUBLE AS amount,"
		     " 'north' AS region";
	load.slice = DAY_SLICE;
	load.params = day_params(&dp, "2024-01-02", 2024, 1, 2);
	load.n_params = 3;
	assert_int_equal(tr_wconn_load(f->c, &load, &r, &f->err), TR_EINVAL);
	assert_string_equal(f->err.msg,
			    "columns changed: added region VARCHAR; amount BIGINT -> DOUBLE: set "
			    "on_schema_change: add_columns to add new columns, or wipe the asset "
			    "to rebuild it");
	load.query = "SELECT $partition_start::DATE AS day, 'x' AS item";
	assert_int_equal(tr_wconn_load(f->c, &load, &r, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "columns changed: removed amount:");
	/* add_columns does not remove or retype */
	load.add_columns = 1;
	assert_int_equal(tr_wconn_load(f->c, &load, &r, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "removed amount");
	assert_int_equal(count_of(f, "SELECT count(*) FROM sales"), 3);

	/* only new columns, in another order and case: added */
	load.query = "SELECT 'north' AS region, 7::BIGINT AS AMOUNT, 'x' AS item, $partition_start::DATE AS day,"
		     " {'a': 1} AS extra";
	assert_ok(tr_wconn_load(f->c, &load, &r, &f->err), &f->err);
	assert_int_equal(r.row_count, 1);
	tr_load_result_release(&r);
	assert_string_equal(scalar(f, "SELECT string_agg(column_name || ' ' || data_type, ', ' "
				      "ORDER BY column_index) FROM duckdb_columns() "
				      "WHERE table_name = 'sales'"),
			    "day DATE, item VARCHAR, amount BIGINT, region VARCHAR, "
			    "extra STRUCT(a INTEGER)");
	assert_int_equal(count_of(f, "SELECT count(*) FROM sales WHERE region IS NULL"), 3);
	assert_string_equal(scalar(f, "SELECT amount FROM sales WHERE region = 'north'"), "7");
}

static void test_load_failure_leaves_table(void **state)
{
	struct fixture *f = *state;
	struct day_params dp;
	tr_named_sql bad_meta[] = {{"bad", "SELECT ('x' || amount)::INTEGER FROM sales"}};
	tr_load load;
	tr_load_result r;

	assert_ok(load_day(f, "sales", "2024-01-01", 1, 100, NULL), &f->err);
	memset(&load, 0, sizeof(load));
	load.table = "sales";
	load.source = TR_LOAD_QUERY;
	load.slice = DAY_SLICE;
	load.params = day_params(&dp, "2024-01-01", 2024, 1, 1);
	load.n_params = 3;

	/* a runtime cast error in the query */
	load.query = "SELECT $partition_start::DATE AS day, 'x' AS item,"
		     " (CASE WHEN i < 2 THEN i::VARCHAR ELSE 'oops' END)::BIGINT AS amount"
		     " FROM range(3) t(i)";
	assert_int_equal(tr_wconn_load(f->c, &load, &r, &f->err), TR_EIO);
	assert_contains(f->err.msg, "running the query: Conversion Error: Could not convert string "
				    "'oops' to INT64");
	assert_string_equal(scalar(f, "SELECT sum(amount) FROM sales"), "303");

	/* a binder error, with the caller's line number */
	load.query = "SELECT day, item, amount\nFROM no_such_table";
	assert_int_equal(tr_wconn_load(f->c, &load, &r, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "running the query: Catalog Error: Table with name no_such_table "
				    "does not exist!");
	assert_contains(f->err.msg, "in LINE 2: FROM no_such_table)");

	/* a failure after the DELETE and INSERT (in a metadata query): all rolled back */
	load.query = "SELECT $partition_start::DATE AS day, 'x' AS item, 1::BIGINT AS amount";
	load.metadata = bad_meta;
	load.n_metadata = 1;
	assert_int_equal(tr_wconn_load(f->c, &load, &r, &f->err), TR_EIO);
	assert_contains(f->err.msg, "metadata \"bad\": Conversion Error");
	assert_null(r.metadata);
	assert_string_equal(scalar(f, "SELECT sum(amount) FROM sales"), "303");
	assert_int_equal(count_of(f, "SELECT count(*) FROM sales"), 3);

	/* several statements are not a query */
	load.metadata = NULL;
	load.n_metadata = 0;
	load.query = "SELECT 1 AS day; SELECT 2 AS day";
	assert_int_equal(tr_wconn_load(f->c, &load, &r, &f->err), TR_EINVAL);
	assert_string_equal(f->err.msg, "the query has 2 statements; a query is one SELECT (a "
					"script may have several)");
	/* the connection still works, outside any transaction */
	assert_ok(load_day(f, "sales", "2024-01-01", 1, 0, NULL), &f->err);
	assert_string_equal(scalar(f, "SELECT sum(amount) FROM sales"), "3");
	exec_sql(f, "BEGIN; COMMIT");
}

/* ---- other loads --------------------------------------------------------- */

static void test_load_unpartitioned(void **state)
{
	struct fixture *f = *state;
	tr_param param = {.name = "n", .type = TR_PARAM_BIGINT, .value = 4};
	tr_load load;
	tr_load_result r;

	memset(&load, 0, sizeof(load));
	load.table = "dim";
	load.source = TR_LOAD_QUERY;
	load.query = "SELECT range AS id FROM range($n);";
	load.params = &param;
	load.n_params = 1;
	load.preview_rows = 10;
	assert_ok(tr_wconn_load(f->c, &load, &r, &f->err), &f->err);
	assert_int_equal(r.created, 1);
	assert_int_equal(r.row_count, 4);
	assert_int_equal(r.preview.nrows, 4);
	tr_load_result_release(&r);

	/* replaced whole, columns and all */
	param.value = 2;
	load.query = "SELECT range AS id, 'x' AS name FROM range($n)";
	assert_ok(tr_wconn_load(f->c, &load, &r, &f->err), &f->err);
	assert_int_equal(r.created, 0);
	assert_int_equal(r.rows_deleted, 4);
	assert_int_equal(r.row_count, 2);
	assert_int_equal(r.preview.ncols, 2);
	tr_load_result_release(&r);
	assert_int_equal(count_of(f, "SELECT count(*) FROM dim"), 2);

	/* a failing replacement keeps the old table */
	load.query = "SELECT ('x' || range)::INTEGER AS id FROM range($n)";
	assert_int_equal(tr_wconn_load(f->c, &load, &r, &f->err), TR_EIO);
	assert_int_equal(count_of(f, "SELECT count(*) FROM dim"), 2);
	assert_string_equal(scalar(f, "SELECT max(name) FROM dim"), "x");
}

static void test_load_script(void **state)
{
	struct fixture *f = *state;
	struct day_params dp;
	tr_load load;
	tr_load_result r;

	memset(&load, 0, sizeof(load));
	load.table = "events";
	load.source = TR_LOAD_SCRIPT;
	load.query = "CREATE TABLE IF NOT EXISTS events (day DATE, n INTEGER);\n"
		     "DELETE FROM events WHERE " DAY_SLICE ";\n"
		     "INSERT INTO events SELECT $partition_start::DATE, range FROM range(5);";
	load.slice = DAY_SLICE;
	load.params = day_params(&dp, "2024-01-01", 2024, 1, 1);
	load.n_params = 3;
	load.preview_rows = 1;
	assert_ok(tr_wconn_load(f->c, &load, &r, &f->err), &f->err);
	assert_int_equal(r.created, 1);
	assert_int_equal(r.row_count, 5);
	assert_int_equal(r.rows_deleted, 0);
	assert_int_equal(r.preview.nrows, 1);
	tr_load_result_release(&r);
	assert_ok(tr_wconn_load(f->c, &load, &r, &f->err), &f->err);
	assert_int_equal(r.created, 0);
	assert_int_equal(r.rows_deleted, 5);
	assert_int_equal(r.row_count, 5);
	tr_load_result_release(&r);

	/* a failing statement undoes the ones before it */
	load.query = "DELETE FROM events; SELECT 'x'::INTEGER";
	assert_int_equal(tr_wconn_load(f->c, &load, &r, &f->err), TR_EIO);
	assert_contains(f->err.msg, "running the script, statement 2 of 2: Conversion Error");
	assert_int_equal(count_of(f, "SELECT count(*) FROM events"), 5);

	/* the script may not manage the transaction */
	load.query = "DELETE FROM events; COMMIT";
	assert_int_equal(tr_wconn_load(f->c, &load, &r, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "statement 2 of 2: BEGIN, COMMIT and ROLLBACK are not allowed");
	assert_int_equal(count_of(f, "SELECT count(*) FROM events"), 5);

	/* a script that makes no table of that name: no counts */
	load.table = "elsewhere";
	load.query = "SELECT 1";
	assert_ok(tr_wconn_load(f->c, &load, &r, &f->err), &f->err);
	assert_int_equal(r.created, 0);
	assert_int_equal(r.row_count, 0);
	tr_load_result_release(&r);
}

static void test_load_files(void **state)
{
	struct fixture *f = *state;
	struct day_params dp;
	tr_load load;
	tr_load_result r;
	char copy[600];
	FILE *fp = NULL;

	/* CSV */
	fp = fopen(path_in(f, "day1.csv"), "w");
	assert_non_null(fp);
	fputs("day,item,amount\n2024-01-01,\"a, b\",1\n2024-01-01,c,2\n", fp);
	fclose(fp);
	memset(&load, 0, sizeof(load));
	load.table = "from_files";
	load.source = TR_LOAD_FILE;
	load.file = path_in(f, "day1.csv");
	load.file_format = "csv";
	load.slice = DAY_SLICE;
	load.params = day_params(&dp, "2024-01-01", 2024, 1, 1);
	load.n_params = 3;
	assert_ok(tr_wconn_load(f->c, &load, &r, &f->err), &f->err);
	assert_int_equal(r.created, 1);
	assert_int_equal(r.row_count, 2);
	tr_load_result_release(&r);
	assert_string_equal(scalar(f, "SELECT item FROM from_files ORDER BY amount LIMIT 1"),
			    "a, b");

	/* JSON lines, a file name with a quote in it */
	fp = fopen(path_in(f, "it's day2.json"), "w");
	assert_non_null(fp);
	fputs("{\"day\": \"2024-01-02\", \"item\": \"d\", \"amount\": 4}\n"
	      "{\"day\": \"2024-01-02\", \"item\": \"e\", \"amount\": 5}\n",
	      fp);
	fclose(fp);
	load.file = path_in(f, "it's day2.json");
	load.file_format = "json";
	load.params = day_params(&dp, "2024-01-02", 2024, 1, 2);
	assert_ok(tr_wconn_load(f->c, &load, &r, &f->err), &f->err);
	assert_int_equal(r.created, 0);
	assert_int_equal(r.row_count, 2);
	tr_load_result_release(&r);

	/* Parquet, written by DuckDB */
	snprintf(copy, sizeof(copy),
		 "COPY (SELECT DATE '2024-01-03' AS day, 'p' || range AS item, range AS amount"
		 " FROM range(4)) TO '%s' (FORMAT parquet)",
		 path_in(f, "day3.parquet"));
	exec_sql(f, copy);
	load.file = path_in(f, "day3.parquet");
	load.file_format = "parquet";
	load.params = day_params(&dp, "2024-01-03", 2024, 1, 3);
	assert_ok(tr_wconn_load(f->c, &load, &r, &f->err), &f->err);
	assert_int_equal(r.row_count, 4);
	tr_load_result_release(&r);
	assert_int_equal(count_of(f, "SELECT count(*) FROM from_files"), 8);

	/* a JSON array, into an unpartitioned table */
	fp = fopen(path_in(f, "items.json"), "w");
	assert_non_null(fp);
	fputs("[{\"code\": \"a\", \"price\": 1.25}, {\"code\": \"b\", \"price\": null}]\n", fp);
	fclose(fp);
	memset(&load, 0, sizeof(load));
	load.table = "items";
	load.source = TR_LOAD_FILE;
	load.file = path_in(f, "items.json");
	load.file_format = "json";
	load.preview_rows = 5;
	assert_ok(tr_wconn_load(f->c, &load, &r, &f->err), &f->err);
	assert_int_equal(r.created, 1);
	assert_int_equal(r.row_count, 2);
	assert_string_equal(r.preview.types[1], "DOUBLE");
	assert_null(cell(&r.preview, 1, 1));
	tr_load_result_release(&r);

	/* a missing file, a format not known */
	load.table = "from_files";
	load.slice = DAY_SLICE;
	load.params = day_params(&dp, "2024-01-03", 2024, 1, 3);
	load.n_params = 3;
	load.file = path_in(f, "missing.csv");
	load.file_format = "csv";
	assert_int_equal(tr_wconn_load(f->c, &load, &r, &f->err), TR_EIO);
	assert_contains(f->err.msg, "reading ");
	assert_contains(f->err.msg, "missing.csv as csv: IO Error");
	load.file_format = "xlsx";
	assert_int_equal(tr_wconn_load(f->c, &load, &r, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "valid formats: csv, json, parquet");
	assert_int_equal(count_of(f, "SELECT count(*) FROM from_files"), 8);
}

/* Threads, one connection each, loading different days of one new table. */
struct loader {
	tr_warehouse *wh;
	int first_day, days;
	int failures;
	tr_error err;
};

static void *load_days(void *arg)
{
	struct loader *l = arg;
	tr_wconn *c = NULL;
	int d = 0;

	if (tr_warehouse_connect(l->wh, &c, &l->err) != 0) {
		l->failures++;
		return NULL;
	}
	for (d = l->first_day; d < l->first_day + l->days; d++) {
		struct day_params dp;
		tr_load load;

		memset(&load, 0, sizeof(load));
		load.table = "mart.parallel";
		load.source = TR_LOAD_QUERY;
		load.query = "SELECT $partition_start::DATE AS day, range AS v FROM range(1000)";
		load.slice = DAY_SLICE;
		load.params = day_params(&dp, "day", 2024, 1, d);
		load.n_params = 3;
		if (tr_wconn_load(c, &load, NULL, &l->err) != 0)
			l->failures++;
	}
	tr_wconn_close(c);
	return NULL;
}

static void test_load_parallel_new_table(void **state)
{
	struct fixture *f = *state;
	struct loader loaders[4];
	pthread_t threads[4];
	int i = 0;

	/* every thread finds no table and creates it: the losers start over */
	for (i = 0; i < 4; i++) {
		memset(&loaders[i], 0, sizeof(loaders[i]));
		loaders[i].wh = f->wh;
		loaders[i].first_day = 1 + 5 * i;
		loaders[i].days = 5;
		assert_int_equal(pthread_create(&threads[i], NULL, load_days, &loaders[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(threads[i], NULL);
		if (loaders[i].failures)
			fail_msg("thread %d: %d failed loads: %s", i, loaders[i].failures,
				 loaders[i].err.msg);
	}
	assert_string_equal(scalar(f, "SELECT count(*) || ' ' || count(DISTINCT day) FROM mart.parallel"),
			    "20000 20");
}

/* ---- wipes and checks ---------------------------------------------------- */

static void test_wipe(void **state)
{
	struct fixture *f = *state;
	struct day_params dp;
	int64_t deleted = -1;

	assert_ok(load_day(f, "sales", "2024-01-01", 1, 100, NULL), &f->err);
	assert_ok(load_day(f, "sales", "2024-01-02", 2, 200, NULL), &f->err);
	assert_ok(tr_wconn_wipe(f->c, "sales", DAY_SLICE, day_params(&dp, "2024-01-01", 2024, 1, 1),
				3, &deleted, &f->err),
		  &f->err);
	assert_int_equal(deleted, 3);
	assert_int_equal(count_of(f, "SELECT count(*) FROM sales"), 3);
	assert_ok(tr_wconn_wipe(f->c, "sales", DAY_SLICE, day_params(&dp, "2024-01-01", 2024, 1, 1),
				3, &deleted, &f->err),
		  &f->err);
	assert_int_equal(deleted, 0);

	/* a slice that does not bind: nothing deleted */
	assert_int_equal(tr_wconn_wipe(f->c, "sales", "(nope) = 1", NULL, 0, &deleted, &f->err),
			 TR_EINVAL);
	assert_contains(f->err.msg, "wiping sales: deleting the slice: Binder Error");
	assert_int_equal(count_of(f, "SELECT count(*) FROM sales"), 3);

	/* the whole table */
	assert_ok(tr_wconn_wipe(f->c, "sales", NULL, NULL, 0, &deleted, &f->err), &f->err);
	assert_int_equal(deleted, 3);
	assert_int_equal(tr_wconn_table_exists(f->c, "sales", &f->err), 0);
	/* a missing table is not an error */
	assert_ok(tr_wconn_wipe(f->c, "sales", NULL, NULL, 0, &deleted, &f->err), &f->err);
	assert_int_equal(deleted, 0);
	assert_ok(tr_wconn_wipe(f->c, "sales", DAY_SLICE, day_params(&dp, "x", 2024, 1, 1), 3, NULL,
				&f->err),
		  &f->err);
}

static void test_check(void **state)
{
	struct fixture *f = *state;
	tr_param min = {.name = "min", .type = TR_PARAM_BIGINT, .value = 101};
	int64_t failing = -1;
	tr_table sample;

	assert_ok(load_day(f, "sales", "2024-01-01", 1, 100, NULL), &f->err);
	assert_ok(load_day(f, "sales", "2024-01-02", 2, 200, NULL), &f->err);
	assert_ok(tr_wconn_check(f->c, "SELECT * FROM sales WHERE amount >= $min ORDER BY amount ;\n",
				 &min, 1, 2, &failing, &sample, &f->err),
		  &f->err);
	assert_int_equal(failing, 5);
	assert_int_equal(sample.nrows, 2);
	assert_int_equal(sample.truncated, 1);
	assert_string_equal(sample.names[2], "amount");
	assert_string_equal(cell(&sample, 0, 2), "101");
	tr_table_release(&sample);

	assert_ok(tr_wconn_check(f->c, "SELECT * FROM sales WHERE amount < 0 -- none", NULL, 0, 5,
				 &failing, &sample, &f->err),
		  &f->err);
	assert_int_equal(failing, 0);
	assert_int_equal(sample.nrows, 0);
	tr_table_release(&sample);
	assert_ok(tr_wconn_check(f->c, "SELECT 1 FROM sales", NULL, 0, 5, &failing, NULL, &f->err),
		  &f->err);
	assert_int_equal(failing, 6);

	assert_int_equal(tr_wconn_check(f->c, "SELECT * FROM salez", NULL, 0, 5, &failing, &sample,
					&f->err),
			 TR_EINVAL);
	assert_contains(f->err.msg, "running the check: Catalog Error: Table with name salez");
	assert_contains(f->err.msg, "in LINE 1: SELECT * FROM salez)");
	assert_int_equal(failing, 0);
}

/* ---- interrupts ---------------------------------------------------------- */

struct interrupter {
	tr_wconn *c;
	int delay_ms;
};

static void *interrupt_later(void *arg)
{
	struct interrupter *in = arg;
	struct timespec ts = {in->delay_ms / 1000, (long)(in->delay_ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
	tr_wconn_interrupt(in->c);
	return NULL;
}

static double seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_interrupt(void **state)
{
	struct fixture *f = *state;
	struct interrupter in = {f->c, 200};
	struct day_params dp;
	pthread_t thread;
	tr_load load;
	tr_load_result r;
	double started = 0;
	int rc = 0;

	assert_ok(load_day(f, "sales", "2024-01-01", 1, 100, NULL), &f->err);
	memset(&load, 0, sizeof(load));
	load.table = "sales";
	load.source = TR_LOAD_QUERY;
	load.query = "SELECT $partition_start::DATE AS day, 'x' AS item, count(*) AS amount"
		     " FROM range(100000000) a, range(100000000) b";
	load.slice = DAY_SLICE;
	load.params = day_params(&dp, "2024-01-01", 2024, 1, 1);
	load.n_params = 3;
	started = seconds_now();
	assert_int_equal(pthread_create(&thread, NULL, interrupt_later, &in), 0);
	rc = tr_wconn_load(f->c, &load, &r, &f->err);
	pthread_join(thread, NULL);
	assert_int_equal(rc, TR_EIO);
	assert_string_equal(f->err.msg, "running the query: interrupted");
	assert_true(seconds_now() - started < 20);
	/* nothing written; the connection works, and a new operation is not interrupted */
	assert_string_equal(scalar(f, "SELECT sum(amount) FROM sales"), "303");
	assert_ok(load_day(f, "sales", "2024-01-01", 1, 0, NULL), &f->err);
	assert_string_equal(scalar(f, "SELECT sum(amount) FROM sales"), "3");

	/* a long ad-hoc query too */
	in.delay_ms = 100;
	assert_int_equal(pthread_create(&thread, NULL, interrupt_later, &in), 0);
	rc = tr_wconn_query(f->c, "SELECT count(*) FROM range(100000000) a, range(100000000) b",
			    NULL, 0, 10, NULL, &f->err);
	pthread_join(thread, NULL);
	assert_int_equal(rc, TR_EIO);
	assert_contains(f->err.msg, "interrupted");
	assert_string_equal(scalar(f, "SELECT 42"), "42");
}

/* ---- the fast path (a connection's load plans) ---------------------------- */

/* a and b hold the same cells, names, types and flags */
static void assert_same_table(const tr_table *a, const tr_table *b)
{
	size_t i = 0;

	assert_int_equal(a->ncols, b->ncols);
	assert_int_equal(a->nrows, b->nrows);
	assert_int_equal(a->truncated, b->truncated);
	for (i = 0; i < a->ncols; i++) {
		assert_string_equal(a->names[i], b->names[i]);
		assert_string_equal(a->types[i], b->types[i]);
		assert_int_equal(a->numeric[i], b->numeric[i]);
	}
	for (i = 0; i < a->nrows * a->ncols; i++) {
		if (!a->cells[i] || !b->cells[i])
			assert_true(a->cells[i] == b->cells[i]);
		else
			assert_string_equal(a->cells[i], b->cells[i]);
	}
}

static void assert_same_result(const tr_load_result *a, const tr_load_result *b)
{
	size_t i = 0;

	assert_int_equal(a->row_count, b->row_count);
	assert_int_equal(a->rows_deleted, b->rows_deleted);
	assert_int_equal(a->stray_rows, b->stray_rows);
	assert_int_equal(a->created, b->created);
	assert_same_table(&a->preview, &b->preview);
	assert_int_equal(a->n_metadata, b->n_metadata);
	for (i = 0; i < a->n_metadata; i++)
		assert_same_table(&a->metadata[i], &b->metadata[i]);
}

/*
 * Rows of one day from a query whose text stays the same (so that the plan
 * is reused) while $spread moves rows out of the slice: row i falls on day
 * + i * spread, and $nulls rows have no day at all.
 */
#define SPREAD_QUERY                                                                       \
	"SELECT CASE WHEN i >= 3 - $nulls THEN NULL\n"                                     \
	"            ELSE ($partition_start + INTERVAL (i * $spread) DAY)::DATE END AS day,\n" \
	"       'item' || i AS item, (10 * i)::BIGINT AS amount, {'k': i} AS extra\n"       \
	"FROM range(3) t(i);"

struct spread_load {
	struct day_params dp;
	tr_param params[5];
	tr_named_sql meta[1];
	tr_load load;
};

static tr_load *spread_load(struct spread_load *sl, const char *table, int day, long spread,
			    long nulls)
{
	memset(sl, 0, sizeof(*sl));
	memcpy(sl->params, day_params(&sl->dp, "k", 2024, 1, day), sizeof(sl->dp.p));
	sl->params[3] = (tr_param){.name = "spread", .type = TR_PARAM_BIGINT, .value = spread};
	sl->params[4] = (tr_param){.name = "nulls", .type = TR_PARAM_BIGINT, .value = nulls};
	sl->meta[0] = (tr_named_sql){"days", "SELECT count(DISTINCT day) AS days, sum(amount) AS total "
					     "FROM sales WHERE " DAY_SLICE};
	sl->load.table = table;
	sl->load.source = TR_LOAD_QUERY;
	sl->load.query = SPREAD_QUERY;
	sl->load.slice = DAY_SLICE;
	sl->load.params = sl->params;
	sl->load.n_params = 5;
	sl->load.preview_rows = 2;
	sl->load.metadata = sl->meta;
	sl->load.n_metadata = 1;
	return &sl->load;
}

static void test_fast_path_same_results(void **state)
{
	struct fixture *f = *state;
	struct spread_load sl;
	tr_load_result fast, slow;
	tr_wconn *other = NULL;

	/* the first load makes the table (slow), the next ones reuse the plan */
	assert_ok(tr_wconn_load(f->c, spread_load(&sl, "sales", 1, 0, 0), &fast, &f->err), &f->err);
	assert_int_equal(fast.created, 1);
	assert_int_equal(fast.planned, 0);
	tr_load_result_release(&fast);
	assert_ok(tr_wconn_load(f->c, spread_load(&sl, "sales", 2, 0, 0), &fast, &f->err), &f->err);
	assert_int_equal(fast.planned, 1);
	assert_int_equal(fast.created, 0);
	assert_int_equal(fast.row_count, 3);
	assert_int_equal(fast.rows_deleted, 0);
	assert_int_equal(fast.preview.nrows, 2);
	assert_int_equal(fast.preview.truncated, 1);
	assert_string_equal(fast.preview.names[3], "extra");
	assert_string_equal(fast.preview.types[3], "STRUCT(k BIGINT)");
	assert_string_equal(cell(&fast.preview, 1, 0), "2024-01-02");
	assert_string_equal(cell(&fast.preview, 1, 3), "{'k': 1}");
	assert_string_equal(cell(&fast.metadata[0], 0, 1), "30");
	tr_load_result_release(&fast);

	/* a new connection goes fast at once: the load was checked by another one */
	assert_ok(tr_warehouse_connect(f->wh, &other, &f->err), &f->err);
	assert_ok(tr_wconn_load(other, spread_load(&sl, "sales", 3, 0, 0), &slow, &f->err), &f->err);
	assert_int_equal(slow.planned, 1);
	tr_load_result_release(&slow);

	/* the same partition again, fast on this connection, then slow: a SET may change
	   anything, so every plan is checked again (on the slow path) */
	assert_ok(tr_wconn_load(f->c, spread_load(&sl, "sales", 2, 0, 0), &fast, &f->err), &f->err);
	assert_int_equal(fast.planned, 1);
	assert_int_equal(fast.rows_deleted, 3);
	assert_ok(tr_wconn_query(other, "SET TimeZone = 'UTC'", NULL, 0, 0, NULL, &f->err),
		  &f->err);
	assert_ok(tr_wconn_load(other, spread_load(&sl, "sales", 2, 0, 0), &slow, &f->err), &f->err);
	assert_int_equal(slow.planned, 0);
	assert_same_result(&fast, &slow);
	tr_load_result_release(&fast);
	tr_load_result_release(&slow);
	/* and checked again, fast on both */
	assert_ok(tr_wconn_load(f->c, spread_load(&sl, "sales", 2, 0, 0), &fast, &f->err), &f->err);
	assert_int_equal(fast.planned, 1);
	tr_load_result_release(&fast);

	/* no preview asked, no result wanted: still fast (a plan of its own) */
	sl.load.preview_rows = 0;
	assert_ok(tr_wconn_load(f->c, &sl.load, &fast, &f->err), &f->err);
	assert_int_equal(fast.planned, 1);
	assert_int_equal(fast.preview.ncols, 0);
	tr_load_result_release(&fast);
	assert_ok(tr_wconn_load(f->c, &sl.load, &fast, &f->err), &f->err);
	assert_int_equal(fast.planned, 1);
	assert_int_equal(fast.preview.ncols, 0);
	tr_load_result_release(&fast);
	assert_ok(tr_wconn_load(f->c, spread_load(&sl, "sales", 3, 0, 0), NULL, &f->err), &f->err);

	/* more preview rows than rows: not truncated */
	spread_load(&sl, "sales", 3, 0, 0);
	sl.load.preview_rows = 5000;
	assert_ok(tr_wconn_load(f->c, &sl.load, &fast, &f->err), &f->err);
	assert_int_equal(fast.planned, 1);
	assert_int_equal(fast.preview.nrows, 3);
	assert_int_equal(fast.preview.truncated, 0);
	tr_load_result_release(&fast);

	assert_string_equal(scalar(f, "SELECT count(*) || ' ' || count(DISTINCT day) || ' ' || "
				      "sum(amount) FROM sales"),
			    "9 3 90");
	/* nothing left behind, and the other connection's load planned too */
	assert_int_equal(count_of(f, "SELECT count(*) FROM duckdb_tables() WHERE temporary"), 0);
	assert_ok(tr_wconn_load(other, spread_load(&sl, "sales", 2, 0, 0), &slow, &f->err), &f->err);
	assert_int_equal(slow.planned, 1);
	tr_load_result_release(&slow);
	tr_wconn_close(other);
}

static void test_fast_path_outside_rows(void **state)
{
	struct fixture *f = *state;
	struct spread_load sl;
	tr_load_result r;

	assert_ok(tr_wconn_load(f->c, spread_load(&sl, "sales", 1, 0, 0), NULL, &f->err), &f->err);
	assert_ok(tr_wconn_load(f->c, spread_load(&sl, "sales", 2, 0, 0), &r, &f->err), &f->err);
	assert_int_equal(r.planned, 1);
	tr_load_result_release(&r);

	/* rows 1 and 2 fall on the next days: refused, counted, nothing written */
	assert_int_equal(tr_wconn_load(f->c, spread_load(&sl, "sales", 1, 1, 0), &r, &f->err),
			 TR_EINVAL);
	assert_string_equal(f->err.msg,
			    "2 of the 3 rows fall outside the partition being written (slice: " DAY_SLICE
			    "): fix the query or set outside_rows: drop");
	assert_int_equal(r.stray_rows, 2);
	assert_int_equal(r.row_count, 0);
	assert_null(r.metadata);
	/* a row without a day is outside too */
	assert_int_equal(tr_wconn_load(f->c, spread_load(&sl, "sales", 1, 0, 1), &r, &f->err),
			 TR_EINVAL);
	assert_contains(f->err.msg, "1 of the 3 rows fall outside");
	assert_int_equal(r.stray_rows, 1);
	assert_string_equal(scalar(f, "SELECT count(*) || ' ' || sum(amount) FROM sales"), "6 60");

	/* the same as drop: the rows in the slice written, the others counted */
	spread_load(&sl, "sales", 1, 1, 1);
	sl.load.drop_outside = 1;
	assert_ok(tr_wconn_load(f->c, &sl.load, &r, &f->err), &f->err);
	assert_int_equal(r.planned, 1);
	assert_int_equal(r.stray_rows, 2);
	assert_int_equal(r.row_count, 1);
	assert_int_equal(r.rows_deleted, 3);
	assert_int_equal(r.preview.nrows, 1);
	assert_int_equal(r.preview.truncated, 0);
	assert_string_equal(cell(&r.preview, 0, 1), "item0");
	assert_string_equal(cell(&r.metadata[0], 0, 0), "1");
	tr_load_result_release(&r);
	/* every row outside: none written, none in the preview */
	spread_load(&sl, "sales", 2, 0, 3);
	sl.load.drop_outside = 1;
	assert_ok(tr_wconn_load(f->c, &sl.load, &r, &f->err), &f->err);
	assert_int_equal(r.planned, 1);
	assert_int_equal(r.stray_rows, 3);
	assert_int_equal(r.row_count, 0);
	assert_int_equal(r.rows_deleted, 3);
	assert_int_equal(r.preview.ncols, 4);
	assert_int_equal(r.preview.nrows, 0);
	tr_load_result_release(&r);
	assert_string_equal(scalar(f, "SELECT count(*) || ' ' || sum(amount) FROM sales"), "1 0");
}

static void test_fast_path_columns_change(void **state)
{
	struct fixture *f = *state;
	struct day_params dp;
	tr_load load;
	tr_load_result r;

	exec_sql(f, "CREATE TABLE src AS SELECT DATE '2024-01-01' + i::INTEGER AS day, i AS n "
		    "FROM range(5) t(i)");
	memset(&load, 0, sizeof(load));
	load.table = "copy";
	load.source = TR_LOAD_QUERY;
	load.query = "SELECT * FROM src WHERE " DAY_SLICE;
	load.slice = DAY_SLICE;
	load.n_params = 3;
	load.preview_rows = 3;
	load.params = day_params(&dp, "k", 2024, 1, 1);
	assert_ok(tr_wconn_load(f->c, &load, NULL, &f->err), &f->err);
	load.params = day_params(&dp, "k", 2024, 1, 2);
	assert_ok(tr_wconn_load(f->c, &load, &r, &f->err), &f->err);
	assert_int_equal(r.planned, 1);
	tr_load_result_release(&r);

	/* the query's text is the same, its columns are not: refused as on the slow path */
	exec_sql(f, "ALTER TABLE src ADD COLUMN note VARCHAR DEFAULT 'x'");
	load.params = day_params(&dp, "k", 2024, 1, 3);
	assert_int_equal(tr_wconn_load(f->c, &load, &r, &f->err), TR_EINVAL);
	assert_string_equal(f->err.msg,
			    "columns changed: added note VARCHAR: set on_schema_change: "
			    "add_columns to add new columns, or wipe the asset to rebuild it");
	assert_int_equal(count_of(f, "SELECT count(*) FROM copy"), 2);
	/* added, then fast again with the new column */
	load.add_columns = 1;
	assert_ok(tr_wconn_load(f->c, &load, &r, &f->err), &f->err);
	assert_int_equal(r.planned, 0);
	tr_load_result_release(&r);
	load.params = day_params(&dp, "k", 2024, 1, 4);
	assert_ok(tr_wconn_load(f->c, &load, &r, &f->err), &f->err);
	assert_int_equal(r.planned, 1);
	assert_int_equal(r.preview.ncols, 3);
	assert_string_equal(r.preview.names[2], "note");
	assert_string_equal(cell(&r.preview, 0, 2), "x");
	tr_load_result_release(&r);
	assert_int_equal(count_of(f, "SELECT count(note) FROM copy"), 2);

	/* a retyped column in the source: refused even with add_columns */
	exec_sql(f, "ALTER TABLE src ALTER COLUMN n TYPE INTEGER");
	load.params = day_params(&dp, "k", 2024, 1, 5);
	assert_int_equal(tr_wconn_load(f->c, &load, &r, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "columns changed: n BIGINT -> INTEGER");

	/* a new query text, its columns in another order: its own plan, the table's order */
	load.query = "SELECT note, n::BIGINT AS n, day FROM src WHERE " DAY_SLICE;
	assert_ok(tr_wconn_load(f->c, &load, &r, &f->err), &f->err);
	assert_int_equal(r.planned, 0);
	tr_load_result_release(&r);
	assert_ok(tr_wconn_load(f->c, &load, &r, &f->err), &f->err);
	assert_int_equal(r.planned, 1);
	assert_string_equal(r.preview.names[0], "day");
	assert_string_equal(cell(&r.preview, 0, 1), "4");
	tr_load_result_release(&r);
	assert_int_equal(count_of(f, "SELECT count(*) FROM copy"), 5);
}

static void test_fast_path_table_changed(void **state)
{
	struct fixture *f = *state;
	tr_wconn *other = NULL;
	tr_load_result r;

	assert_ok(tr_warehouse_connect(f->wh, &other, &f->err), &f->err);
	assert_ok(load_day(f, "sales", "2024-01-01", 1, 100, NULL), &f->err);
	assert_ok(load_day(f, "sales", "2024-01-02", 2, 200, &r), &f->err);
	assert_int_equal(r.planned, 1);
	tr_load_result_release(&r);

	/* dropped by another connection: made again */
	assert_ok(tr_wconn_query(other, "DROP TABLE sales", NULL, 0, 0, NULL, &f->err), &f->err);
	assert_ok(load_day(f, "sales", "2024-01-03", 3, 300, &r), &f->err);
	assert_int_equal(r.created, 1);
	assert_int_equal(r.planned, 0);
	tr_load_result_release(&r);
	assert_ok(load_day(f, "sales", "2024-01-04", 4, 400, &r), &f->err);
	assert_int_equal(r.planned, 1);
	tr_load_result_release(&r);

	/* a column added by another connection: the load says the query lacks it */
	assert_ok(tr_wconn_query(other, "ALTER TABLE sales ADD COLUMN note VARCHAR", NULL, 0, 0,
				 NULL, &f->err),
		  &f->err);
	assert_int_equal(load_day(f, "sales", "2024-01-05", 5, 500, &r), TR_EINVAL);
	assert_contains(f->err.msg, "columns changed: removed note");
	assert_ok(tr_wconn_query(other, "ALTER TABLE sales DROP COLUMN note", NULL, 0, 0, NULL,
				 &f->err),
		  &f->err);
	/* retyped on this very connection */
	exec_sql(f, "ALTER TABLE sales ALTER COLUMN amount TYPE DOUBLE");
	assert_int_equal(load_day(f, "sales", "2024-01-05", 5, 500, &r), TR_EINVAL);
	assert_contains(f->err.msg, "columns changed: amount DOUBLE -> BIGINT");
	exec_sql(f, "ALTER TABLE sales ALTER COLUMN amount TYPE BIGINT");
	assert_ok(load_day(f, "sales", "2024-01-05", 5, 500, &r), &f->err);
	assert_int_equal(r.planned, 0);
	tr_load_result_release(&r);

	/* wiped whole by another connection: made again */
	assert_ok(tr_wconn_wipe(other, "sales", NULL, NULL, 0, NULL, &f->err), &f->err);
	assert_ok(load_day(f, "sales", "2024-01-06", 6, 600, &r), &f->err);
	assert_int_equal(r.created, 1);
	tr_load_result_release(&r);
	/* a wipe of a slice changes no columns: the plan stays */
	assert_ok(load_day(f, "sales", "2024-01-07", 7, 700, &r), &f->err);
	assert_int_equal(r.planned, 1);
	tr_load_result_release(&r);
	{
		struct day_params dp;

		assert_ok(tr_wconn_wipe(other, "sales", DAY_SLICE,
					day_params(&dp, "2024-01-06", 2024, 1, 6), 3, NULL, &f->err),
			  &f->err);
	}
	assert_ok(load_day(f, "sales", "2024-01-08", 8, 800, &r), &f->err);
	assert_int_equal(r.planned, 1);
	tr_load_result_release(&r);
	assert_string_equal(scalar(f, "SELECT count(*) || ' ' || min(day) FROM sales"),
			    "6 2024-01-07");
	tr_wconn_close(other);
}

static void test_fast_path_interrupt(void **state)
{
	struct fixture *f = *state;
	struct interrupter in = {f->c, 200};
	struct day_params dp;
	tr_param params[4];
	pthread_t thread;
	tr_load load;
	tr_load_result r;
	int rc = 0;

	memset(&load, 0, sizeof(load));
	memcpy(params, day_params(&dp, "k", 2024, 1, 1), sizeof(dp.p));
	params[3] = (tr_param){.name = "n", .type = TR_PARAM_BIGINT, .value = 1};
	load.table = "sales";
	load.source = TR_LOAD_QUERY;
	load.query = "SELECT $partition_start::DATE AS day, 'x' AS item, count(*) AS amount"
		     " FROM range($n) a, range($n) b";
	load.slice = DAY_SLICE;
	load.params = params;
	load.n_params = 4;
	load.preview_rows = 1;
	assert_ok(tr_wconn_load(f->c, &load, NULL, &f->err), &f->err);
	assert_ok(tr_wconn_load(f->c, &load, &r, &f->err), &f->err);
	assert_int_equal(r.planned, 1);
	assert_int_equal(r.rows_deleted, 1);
	tr_load_result_release(&r);

	params[3].value = 100000000;
	assert_int_equal(pthread_create(&thread, NULL, interrupt_later, &in), 0);
	rc = tr_wconn_load(f->c, &load, &r, &f->err);
	pthread_join(thread, NULL);
	assert_int_equal(rc, TR_EIO);
	assert_string_equal(f->err.msg, "running the query: interrupted");
	assert_string_equal(scalar(f, "SELECT count(*) || ' ' || sum(amount) FROM sales"), "1 1");
	/* the plan survives: the next load is fast and not interrupted */
	params[3].value = 2;
	assert_ok(tr_wconn_load(f->c, &load, &r, &f->err), &f->err);
	assert_int_equal(r.planned, 1);
	assert_string_equal(cell(&r.preview, 0, 2), "4");
	tr_load_result_release(&r);
}

/* The fast path renders plain values itself: as DuckDB does, else DuckDB does. */
static void test_fast_path_preview_text(void **state)
{
	struct fixture *f = *state;
	struct day_params dp;
	tr_param params[4];
	tr_load load;
	tr_load_result fast, slow;
	tr_wconn *other = NULL;
	long odd = 0;

	memset(&load, 0, sizeof(load));
	load.table = "kinds";
	load.source = TR_LOAD_QUERY;
	load.query =
		"SELECT $partition_start::DATE AS day, v.*,\n"
		"       CASE $odd WHEN 1 THEN DATE 'infinity' WHEN 2 THEN DATE '10000-01-02'\n"
		"                 WHEN 3 THEN DATE '0001-01-01' - 1 ELSE DATE '2000-02-29' END AS d2,\n"
		"       CASE $odd WHEN 4 THEN TIMESTAMP '10000-01-01 00:00:00.1'\n"
		"                 ELSE TIMESTAMP '0001-01-01 00:00:00' END AS ts2\n"
		"FROM (VALUES\n"
		"  (true, (-5)::TINYINT, (-300)::SMALLINT, (-70000)::INTEGER,\n"
		"   (-9223372036854775807 - 1)::BIGINT, 255::UTINYINT, 65535::USMALLINT,\n"
		"   4294967295::UINTEGER, 18446744073709551615::UBIGINT, 'naïve \"x\" ''y''',\n"
		"   DATE '1969-12-31', TIMESTAMP '2024-01-01 01:02:03.00012'),\n"
		"  (false, NULL, 0, 0, 0, 0, 0, 0, 0, '', DATE '0001-01-01',\n"
		"   TIMESTAMP '1969-12-31 23:59:59.999999'),\n"
		"  (NULL, 1, 1, 1, 1, 1, 1, 1, 1, NULL, NULL, TIMESTAMP '2024-01-01 00:00:00.5')\n"
		") v(b, ti, si, i, bi, uti, usi, ui, ubi, s, d, ts)";
	load.slice = DAY_SLICE;
	load.params = params;
	load.n_params = 4;
	load.preview_rows = 5;
	assert_ok(tr_warehouse_connect(f->wh, &other, &f->err), &f->err);
	for (odd = 0; odd <= 4; odd++) {
		memcpy(params, day_params(&dp, "k", 2024, 1, 1 + (int)odd), sizeof(dp.p));
		params[3] = (tr_param){.name = "odd", .type = TR_PARAM_BIGINT, .value = odd};
		/* on f->c the first load plans and the next ones are fast */
		assert_ok(tr_wconn_load(f->c, &load, &fast, &f->err), &f->err);
		tr_load_result_release(&fast);
		assert_ok(tr_wconn_load(f->c, &load, &fast, &f->err), &f->err);
		assert_int_equal(fast.planned, 1);
		assert_int_equal(fast.preview.nrows, 3);
		/* another connection, loading slow (after a SET: see test_fast_path_same_results),
		   reads the preview from the table */
		assert_ok(tr_wconn_query(other, "SET TimeZone = 'UTC'", NULL, 0, 0, NULL, &f->err),
			  &f->err);
		assert_ok(tr_wconn_load(other, &load, &slow, &f->err), &f->err);
		assert_int_equal(slow.planned, 0);
		assert_same_result(&fast, &slow);
		if (odd == 0) {
			assert_string_equal(cell(&fast.preview, 0, 5), "-9223372036854775808");
			assert_string_equal(cell(&fast.preview, 0, 9), "18446744073709551615");
			assert_string_equal(cell(&fast.preview, 0, 10), "naïve \"x\" 'y'");
			assert_string_equal(cell(&fast.preview, 0, 12), "2024-01-01 01:02:03.00012");
			assert_string_equal(cell(&fast.preview, 1, 12), "1969-12-31 23:59:59.999999");
			assert_string_equal(cell(&fast.preview, 2, 12), "2024-01-01 00:00:00.5");
			assert_null(cell(&fast.preview, 2, 1));
		}
		tr_load_result_release(&fast);
		tr_load_result_release(&slow);
	}
	tr_wconn_close(other);
}

/* Big partitions read their preview from the table: the same as the slow path. */
static void test_fast_path_big_partition(void **state)
{
	struct fixture *f = *state;
	struct day_params dp;
	tr_param params[4];
	tr_load load;
	tr_load_result fast, slow;
	tr_wconn *other = NULL;

	memset(&load, 0, sizeof(load));
	memcpy(params, day_params(&dp, "k", 2024, 1, 1), sizeof(dp.p));
	params[3] = (tr_param){.name = "n", .type = TR_PARAM_BIGINT, .value = 5000};
	load.table = "big";
	load.source = TR_LOAD_QUERY;
	/* every tenth row on the next day, dropped */
	load.query = "SELECT ($partition_start + INTERVAL (i % 10 = 9) DAY)::DATE AS day, i,\n"
		     "       'row ' || i AS label\n"
		     "FROM range($n) t(i) ORDER BY i";
	load.slice = DAY_SLICE;
	load.params = params;
	load.n_params = 4;
	load.preview_rows = 3;
	load.drop_outside = 1;
	assert_ok(tr_wconn_load(f->c, &load, &slow, &f->err), &f->err);
	assert_int_equal(slow.row_count, 4500);
	tr_load_result_release(&slow);
	assert_ok(tr_wconn_load(f->c, &load, &fast, &f->err), &f->err);
	assert_int_equal(fast.planned, 1);
	assert_int_equal(fast.rows_deleted, 4500);
	assert_int_equal(fast.row_count, 4500);
	assert_int_equal(fast.stray_rows, 500);
	assert_int_equal(fast.preview.nrows, 3);
	assert_int_equal(fast.preview.truncated, 1);
	assert_string_equal(cell(&fast.preview, 2, 2), "row 2");
	assert_ok(tr_warehouse_connect(f->wh, &other, &f->err), &f->err);
	assert_ok(tr_wconn_query(other, "SET TimeZone = 'UTC'", NULL, 0, 0, NULL, &f->err),
		  &f->err);
	assert_ok(tr_wconn_load(other, &load, &slow, &f->err), &f->err);
	assert_int_equal(slow.planned, 0);
	assert_same_result(&fast, &slow);
	tr_load_result_release(&fast);
	tr_load_result_release(&slow);

	/* small again: the next load keeps its preview while inserting */
	params[3].value = 2;
	assert_ok(tr_wconn_load(f->c, &load, &fast, &f->err), &f->err);
	assert_int_equal(fast.planned, 1);
	assert_int_equal(fast.row_count, 2);
	tr_load_result_release(&fast);
	assert_ok(tr_wconn_load(f->c, &load, &fast, &f->err), &f->err);
	assert_int_equal(fast.planned, 1);
	assert_int_equal(fast.preview.nrows, 2);
	assert_int_equal(fast.preview.truncated, 0);
	assert_string_equal(cell(&fast.preview, 1, 2), "row 1");
	tr_load_result_release(&fast);
	assert_int_equal(count_of(f, "SELECT count(*) FROM big"), 2);
	tr_wconn_close(other);
}

/* Values rendered in C (plain types) read as DuckDB's own CAST(x AS VARCHAR). */
static void test_plain_rendering(void **state)
{
	struct fixture *f = *state;
	const char *values[] = {
		"true", "false", "(-128)::TINYINT", "127::TINYINT", "(-32768)::SMALLINT",
		"(-2147483648)::INTEGER", "(-9223372036854775807 - 1)::BIGINT",
		"9223372036854775807::BIGINT", "255::UTINYINT", "65535::USMALLINT",
		"4294967295::UINTEGER", "18446744073709551615::UBIGINT", "''", "'naïve \"x\" ''y'''",
		"chr(10) || 'tab' || chr(9)", "DATE '0001-01-01'", "DATE '9999-12-31'",
		"DATE '1970-01-01'", "DATE '1969-12-31'", "DATE '2024-02-29'",
		"DATE '0001-01-01' - 1", "DATE '9999-12-31' + 1", "'infinity'::DATE",
		"'-infinity'::DATE", "TIMESTAMP '1969-12-31 23:59:59.999999'",
		"TIMESTAMP '1970-01-01 00:00:00'", "TIMESTAMP '0001-01-01 00:00:00.000001'",
		"TIMESTAMP '9999-12-31 23:59:59.1'", "TIMESTAMP '2024-01-01 12:34:56.123456'",
		"TIMESTAMP '2024-01-01 12:34:56.12'", "TIMESTAMP '1900-03-01 00:00:00.05'",
		"'infinity'::TIMESTAMP", "'-infinity'::TIMESTAMP",
		"TIMESTAMP '0001-01-01 00:00:00' - INTERVAL 1 SECOND",
		"TIMESTAMP '9999-12-31 23:59:59' + INTERVAL 1 SECOND", "NULL::DATE", "NULL::BIGINT",
		"'{\"a\": 1}'::JSON",
	};
	size_t i = 0;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char sql[300];
		tr_table t;

		/* the first column is plain (rendered here), the second already text */
		snprintf(sql, sizeof(sql), "SELECT v, v::VARCHAR FROM (SELECT %s AS v)", values[i]);
		assert_ok(tr_wconn_query(f->c, sql, NULL, 0, 10, &t, &f->err), &f->err);
		if (!cell(&t, 0, 0) || !cell(&t, 0, 1))
			assert_true(cell(&t, 0, 0) == cell(&t, 0, 1));
		else if (strcmp(cell(&t, 0, 0), cell(&t, 0, 1)) != 0)
			fail_msg("%s: rendered \"%s\", DuckDB says \"%s\"", values[i], cell(&t, 0, 0),
				 cell(&t, 0, 1));
		tr_table_release(&t);
	}
}

/* Threads loading days of one table that exists: fast, no conflicts. */
struct day_loader {
	tr_warehouse *wh;
	int first_day, days, step;
	int failures, planned;
	tr_error err;
};

static void *load_some_days(void *arg)
{
	struct day_loader *l = arg;
	tr_wconn *c = NULL;
	int d = 0;

	if (tr_warehouse_connect(l->wh, &c, &l->err) != 0) {
		l->failures++;
		return NULL;
	}
	for (d = l->first_day; d < l->first_day + l->days * l->step; d += l->step) {
		struct day_params dp;
		tr_load load;
		tr_load_result r;

		memset(&load, 0, sizeof(load));
		load.table = "mart.parallel";
		load.source = TR_LOAD_QUERY;
		load.query = "SELECT $partition_start::DATE AS day, range AS v FROM range(1000)";
		load.slice = DAY_SLICE;
		load.params = day_params(&dp, "day", 2024, 1, d);
		load.n_params = 3;
		load.preview_rows = 10;
		if (tr_wconn_load(c, &load, &r, &l->err) != 0) {
			l->failures++;
			continue;
		}
		l->planned += r.planned;
		if (r.row_count != 1000 || r.preview.nrows != 10)
			l->failures++;
		tr_load_result_release(&r);
	}
	tr_wconn_close(c);
	return NULL;
}

static void test_fast_path_parallel(void **state)
{
	struct fixture *f = *state;
	struct day_loader loaders[2];
	pthread_t threads[2];
	int i = 0, round = 0;

	/* the table exists; two threads load interleaved days, then load them all again */
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 2; i++) {
			memset(&loaders[i], 0, sizeof(loaders[i]));
			loaders[i].wh = f->wh;
			loaders[i].first_day = 1 + i;
			loaders[i].days = 14;
			loaders[i].step = 2;
			assert_int_equal(pthread_create(&threads[i], NULL, load_some_days, &loaders[i]),
					 0);
		}
		for (i = 0; i < 2; i++) {
			pthread_join(threads[i], NULL);
			if (loaders[i].failures)
				fail_msg("thread %d: %d failed loads: %s", i, loaders[i].failures,
					 loaders[i].err.msg);
			/* the first load of each connection plans, unless the table was made */
			if (loaders[i].planned < 12)
				fail_msg("thread %d: %d of 14 loads planned", i, loaders[i].planned);
		}
	}
	assert_string_equal(scalar(f, "SELECT count(*) || ' ' || count(DISTINCT day) || ' ' || "
				      "min(day) || ' ' || max(day) FROM mart.parallel"),
			    "28000 28 2024-01-01 2024-01-28");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_creates_parent_dirs, setup_dir, teardown),
		cmocka_unit_test_setup_teardown(test_refused_urls, setup_dir, teardown),
		cmocka_unit_test_setup_teardown(test_second_process_refused, setup_dir, teardown),
		cmocka_unit_test_setup_teardown(test_query_named_params, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_missing_and_positional_params, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_query_statements, setup, teardown),
		cmocka_unit_test_setup_teardown(test_type_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rendering, setup, teardown),
		cmocka_unit_test(test_quote_ident),
		cmocka_unit_test_setup_teardown(test_load_partition_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_schema_table_and_metadata, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_stray_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_schema_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_failure_leaves_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_unpartitioned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_script, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_parallel_new_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wipe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fast_path_same_results, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fast_path_outside_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fast_path_columns_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fast_path_table_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fast_path_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fast_path_preview_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fast_path_big_partition, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_rendering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fast_path_parallel, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
