/*
 * bench_materialize.c — what one partition costs end to end: a daily asset
 * of 365 partitions x 2,000 rows (730,000 rows) backfilled partition by
 * partition through tr_materialize (parameters bound, slice deleted and
 * re-inserted in one DuckDB transaction, stray-row check, row count,
 * preview, events and status in SQLite), then one partition re-materialized,
 * then `status` (the state of 365 partitions), compared with a full refresh
 * of the same rows in one CREATE OR REPLACE TABLE.
 * Run by `make bench`; prints one line per figure and the ratios, in one run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tranche/exec.h"
#include "tranche/project.h"
#include "tranche/storage.h"
#include "tranche/warehouse.h"

#define DAYS 365
#define ROWS_PER_DAY 2000

static const char project_yaml[] =
	"name: bench\n"
	"assets:\n"
	"  events:\n"
	"    partitions: {type: daily, start: 2024-01-01}\n"
	"    partition_expr: day\n"
	"    sql: |\n"
	"      SELECT CAST($partition_start AS DATE) AS day, i AS id, i % 97 AS amount,\n"
	"             'customer ' || (i % 1000) AS customer\n"
	"      FROM range(2000) AS t(i)\n";

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, const tr_error *err)
{
	fprintf(stderr, "bench_materialize: %s: %s\n", what, err->msg);
	exit(1);
}

int main(void)
{
	char dir[] = "/tmp/tranche-bench-XXXXXX";
	tr_project *p = NULL;
	tr_storage *st = NULL;
	tr_warehouse *wh = NULL;
	tr_wconn *conn = NULL;
	tr_error err = {0};
	tr_run_request req = {0};
	tr_run_report rep;
	const char *key = "2024-06-15";
	double t0, backfill, one, status, refresh;
	tr_partitions *parts = NULL;
	tr_asset_state state;
	char cmd[128];

	if (!mkdtemp(dir) || chdir(dir))
		return 1;
	if (tr_project_parse(project_yaml, "bench.yaml", dir, &p, &err))
		die("project", &err);
	if (tr_storage_open("sqlite:.tranche/instance.db", &st, &err))
		die("storage", &err);
	if (tr_warehouse_open("duckdb:data/warehouse.duckdb", NULL, &wh, &err))
		die("warehouse", &err);

	req.selection = "events";
	req.pick = TR_PICK_ALL;
	req.now = 1735689600; /* 2025-01-01: 366 days of 2024 exist; clip below */
	req.pick = TR_PICK_RANGE;
	req.from = "2024-01-01";
	req.to = "2024-12-30"; /* 365 partitions */
	t0 = now_ms();
	if (tr_materialize(p, st, wh, &req, &rep, &err) || rep.failed)
		die("backfill", &err);
	backfill = now_ms() - t0;
	free(rep.first_error);

	req.pick = TR_PICK_KEYS;
	req.keys = &key;
	req.n_keys = 1;
	t0 = now_ms();
	if (tr_materialize(p, st, wh, &req, &rep, &err) || rep.failed)
		die("one partition", &err);
	one = now_ms() - t0;
	free(rep.first_error);

	t0 = now_ms();
	if (tr_asset_partitions(p, st, 0, req.now, &parts, &err) ||
	    tr_asset_state_get(p, st, 0, parts, &state, &err))
		die("status", &err);
	status = now_ms() - t0;
	if (tr_keyset_count(&state.materialized) != DAYS)
		die("status count", &err);
	tr_asset_state_release(&state);
	tr_partitions_free(parts);

	if (tr_warehouse_connect(wh, &conn, &err))
		die("connect", &err);
	t0 = now_ms();
	if (tr_wconn_query(conn,
			   "CREATE OR REPLACE TABLE full_refresh AS SELECT DATE '2024-01-01' + "
			   "CAST(d AS INTEGER) AS day, i AS id, i % 97 AS amount, 'customer ' || (i % "
			   "1000) AS customer FROM range(365) AS a(d), range(2000) AS b(i) ORDER BY day",
			   NULL, 0, 0, NULL, &err))
		die("full refresh", &err);
	refresh = now_ms() - t0;
	tr_wconn_close(conn);

	printf("materialize: backfill %d daily partitions x %d rows, one step each: %.0f ms "
	       "(%.2f ms per partition)\n",
	       DAYS, ROWS_PER_DAY, backfill, backfill / DAYS);
	printf("materialize: re-materialize one partition of %d rows in a %d-row table: %.1f ms\n",
	       ROWS_PER_DAY, DAYS * ROWS_PER_DAY, one);
	printf("materialize: state of %d partitions from instance storage: %.2f ms\n", DAYS, status);
	printf("materialize: full refresh of the same %d rows in one statement: %.0f ms\n",
	       DAYS * ROWS_PER_DAY, refresh);
	printf("materialize: ratio one partition / full refresh: %.3f (incremental is %.0fx "
	       "cheaper)\n",
	       one / refresh, refresh / one);
	printf("materialize: ratio per-partition backfill / full refresh: %.1f\n", backfill / refresh);

	tr_warehouse_close(wh);
	tr_storage_close(st);
	tr_project_free(p);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
