/*
 * bench_status.c — the state of an asset of 1,000,000 partitions: an hourly
 * asset from 1900-01-01 whose partitions were materialized in batches of
 * events (a failed one every 10,007, a gap of 10,000 never run, 100 left in
 * progress by a run still going), then `status`: tr_asset_state_get and the
 * key ranges of each state, as `tranche status` prints them —
 *   (a) with the status summary current (median of several),
 *   (b) with 10 status changes since the summary (and status_changes alone),
 *   (c) cold: no summary, every status row read (the first `status`).
 * Goal: (a) and (b) under 20 ms.
 * Then staleness (docs/assets.md, "Stale partitions"), which reads the
 * upstream asset's changes too: `copy` reads `hours` one to one (1,000,000
 * partitions, identity mapping), `days` reads 24 hours each (41,666
 * partitions, time_window) — (d) cold, (e) warm, (f) after 10 hours are
 * materialized again (10 copies and 1 day stale).
 * Run by `make bench`; about a minute, mostly writing two million events.
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

#define PARTITIONS 1000000
#define BATCH 20000
#define FAIL_EVERY 10007
#define GAP_START 500000
#define GAP_END 510000
#define IN_PROGRESS 100
#define WARM_RUNS 21
#define COLD_RUNS 3
#define GOAL_MS 20.0

static const char project_yaml[] = "name: bench\n"
				   "assets:\n"
				   "  hours:\n"
				   "    partitions: {type: hourly, start: 1900-01-01-00:00}\n"
				   "    partition_expr: hour\n"
				   "    sql: SELECT $partition_start AS hour\n"
				   "  copy:\n"
				   "    partitions: {type: hourly, start: 1900-01-01-00:00}\n"
				   "    partition_expr: hour\n"
				   "    deps: [hours]\n"
				   "    sql: SELECT $partition_start AS hour\n"
				   "  days:\n"
				   "    partitions: {type: daily, start: 1900-01-01}\n"
				   "    partition_expr: day\n"
				   "    deps: [hours]\n"
				   "    sql: SELECT $partition_start AS day\n";

/* 1900-01-01T00:00Z plus 1,000,000 hours: exactly PARTITIONS complete windows. */
#define NOW (-2208988800LL + (int64_t)PARTITIONS * 3600)

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, const tr_error *err)
{
	fprintf(stderr, "bench_status: %s: %s\n", what, err ? err->msg : "failed");
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

/* Events of type for partitions [from, to) in batches (keys formatted from parts). */
static void add_asset_range(tr_storage *st, const char *asset, const tr_partitions *parts,
			    int64_t run, const char *type, int64_t from, int64_t to, int64_t ts)
{
	static tr_event evs[BATCH];
	static char keys[BATCH][24];
	tr_buf key = TR_BUF_INIT;
	tr_error err = {0};
	size_t n = 0;

	for (int64_t i = from; i < to; i++) {
		tr_buf_reset(&key);
		if (tr_partitions_key(parts, i, &key, &err))
			die("key", &err);
		snprintf(keys[n], sizeof(keys[n]), "%s", tr_buf_str(&key));
		memset(&evs[n], 0, sizeof(evs[n]));
		evs[n].run_id = run;
		evs[n].ts = ts;
		evs[n].type = strcmp(type, "materialization") == 0 && i % FAIL_EVERY == 0
				      ? "step_failure"
				      : type;
		evs[n].asset = asset;
		evs[n].partition = keys[n];
		if (++n == BATCH || i + 1 == to) {
			if (tr_storage_events_add(st, evs, n, &err))
				die("events", &err);
			n = 0;
		}
	}
	tr_buf_release(&key);
}

static void add_range(tr_storage *st, const tr_partitions *parts, int64_t run, const char *type,
		      int64_t from, int64_t to, int64_t ts)
{
	add_asset_range(st, "hours", parts, run, type, from, to, ts);
}

static int64_t start_run(tr_storage *st)
{
	tr_run r;
	tr_error err = {0};
	int64_t id = 0;

	memset(&r, 0, sizeof(r));
	r.selection = "hours";
	r.created_at = 1700000000000;
	if (tr_storage_run_create(st, &r, &id, &err))
		die("run", &err);
	return id;
}

/* One `status`: the state, then each state's key ranges. ranges: how many lines. */
static double status_once(const tr_project *p, tr_storage *st, const tr_partitions *parts,
			  tr_asset_state *keep, size_t *lines)
{
	tr_asset_state state;
	tr_error err = {0};
	tr_buf out = TR_BUF_INIT;
	double t0 = now_ms(), t;

	if (tr_asset_state_get(p, st, 0, parts, &state, &err))
		die("state", &err);
	if (tr_partitions_keyset_to_ranges(parts, &state.materialized, &out, &err) ||
	    tr_partitions_keyset_to_ranges(parts, &state.failed, &out, &err) ||
	    tr_partitions_keyset_to_ranges(parts, &state.in_progress, &out, &err) ||
	    tr_partitions_keyset_to_ranges(parts, &state.missing, &out, &err))
		die("ranges", &err);
	t = now_ms() - t0;
	*lines = 0;
	for (size_t i = 0; i < out.len; i++)
		*lines += out.data[i] == '\n';
	tr_buf_release(&out);
	if (keep) {
		tr_asset_state_release(keep);
		*keep = state;
	} else {
		tr_asset_state_release(&state);
	}
	return t;
}

/* The stale keys of asset i (and the time it took). */
static double stale_once(const tr_project *p, tr_storage *st, size_t i, int64_t *stale)
{
	tr_partitions *parts = NULL;
	tr_asset_state state;
	tr_error err = {0};
	double t0 = now_ms(), t;

	if (tr_asset_partitions(p, st, i, NOW, &parts, &err) ||
	    tr_asset_state_get(p, st, i, parts, &state, &err))
		die("state", &err);
	t = now_ms() - t0;
	*stale = tr_keyset_count(&state.stale);
	tr_asset_state_release(&state);
	tr_partitions_free(parts);
	return t;
}

/* Staleness of asset i: (d) cold, (e) warm; prints them. */
static void bench_stale(const tr_project *p, tr_storage *st, size_t i, const char *what)
{
	double cold[COLD_RUNS], warm[WARM_RUNS];
	int64_t stale = 0;
	tr_error err = {0};
	char key[64];

	snprintf(key, sizeof(key), "stale:%s", p->assets[i].name);
	for (int r = 0; r < COLD_RUNS; r++) {
		if (tr_storage_summary_put(st, key, "bench: no summary", NULL, 0, 0, &err))
			die("dropping the stale cache", &err);
		cold[r] = stale_once(p, st, i, &stale);
	}
	for (int r = 0; r < WARM_RUNS; r++)
		warm[r] = stale_once(p, st, i, &stale);
	printf("stale: %s: state with staleness, cold (every row of both assets): %.0f ms; "
	       "warm: %.2f ms; %lld stale\n",
	       what, median(cold, COLD_RUNS), median(warm, WARM_RUNS), (long long)stale);
}

/* Makes the stored summary unusable: the next `status` is cold. */
static void drop_summary(tr_storage *st)
{
	tr_error err = {0};

	if (tr_storage_summary_put(st, "hours", "bench: no summary", NULL, 0, 0, &err))
		die("dropping the summary", &err);
}

int main(void)
{
	char dir[] = "/tmp/tranche-bench-XXXXXX", cmd[128];
	tr_project *p = NULL;
	tr_storage *st = NULL;
	tr_partitions *parts = NULL;
	tr_asset_state state = {0};
	tr_error err = {0};
	tr_pstatus *rows = NULL;
	double t0, fill, warm[WARM_RUNS], changed[WARM_RUNS], changes_only[WARM_RUNS],
		cold[COLD_RUNS];
	size_t lines = 0, n = 0;
	int64_t run = 0, seq = 0, now_seq = 0;

	if (!mkdtemp(dir) || chdir(dir))
		return 1;
	if (tr_project_parse(project_yaml, "bench.yaml", dir, &p, &err))
		die("project", &err);
	if (tr_storage_open("sqlite:.tranche/instance.db", &st, &err))
		die("storage", &err);
	if (tr_asset_partitions(p, st, 0, NOW, &parts, &err))
		die("partitions", &err);
	if (tr_partitions_count(parts) != PARTITIONS)
		die("partition count", NULL);

	/* A million partitions: materialized (some failed) but for a gap, and 100 in
	 * progress in a run that goes on. */
	t0 = now_ms();
	run = start_run(st);
	add_range(st, parts, run, "materialization", 0, GAP_START, 1700000000000);
	add_range(st, parts, run, "materialization", GAP_END, PARTITIONS, 1700000000000);
	run = start_run(st);
	add_range(st, parts, run, "step_start", PARTITIONS - IN_PROGRESS, PARTITIONS,
		  1700000001000);
	fill = now_ms() - t0;

	/* (c) cold: no summary; each writes one, dropped before the next. */
	for (int i = 0; i < COLD_RUNS; i++) {
		drop_summary(st);
		cold[i] = status_once(p, st, parts, &state, &lines);
	}
	/* (a) warm: the summary the last cold run wrote is current. */
	for (int i = 0; i < WARM_RUNS; i++)
		warm[i] = status_once(p, st, parts, NULL, &lines);
	printf("status: %d hourly partitions: %lld materialized, %lld failed, %lld in progress, "
	       "%lld missing; %zu lines of key ranges; written in %.1f s\n",
	       PARTITIONS, (long long)tr_keyset_count(&state.materialized),
	       (long long)tr_keyset_count(&state.failed),
	       (long long)tr_keyset_count(&state.in_progress),
	       (long long)tr_keyset_count(&state.missing), lines, fill / 1e3);

	/* (b) 10 changes since the summary: 10 partitions of the gap materialized (too
	 * few for a rewrite, so every run applies the same 10). */
	if (tr_storage_status_changes(st, "hours", 0, &rows, &n, &seq, &err))
		die("changes", &err);
	tr_pstatus_free(rows, n);
	add_range(st, parts, run, "materialization", GAP_START, GAP_START + 10, 1700000002000);
	for (int i = 0; i < WARM_RUNS; i++)
		changed[i] = status_once(p, st, parts, NULL, &lines);
	for (int i = 0; i < WARM_RUNS; i++) {
		t0 = now_ms();
		if (tr_storage_status_changes(st, "hours", seq, &rows, &n, &now_seq, &err))
			die("changes", &err);
		changes_only[i] = now_ms() - t0;
		tr_pstatus_free(rows, n);
		if (n != 10)
			die("10 changes expected", NULL);
	}

	printf("status: state + key ranges, summary current: %.2f ms (median of %d)\n",
	       median(warm, WARM_RUNS), WARM_RUNS);
	printf("status: state + key ranges, 10 changes since the summary: %.2f ms (median of %d)\n",
	       median(changed, WARM_RUNS), WARM_RUNS);
	printf("status: status_changes of those 10 in a 1,000,000-row asset: %.3f ms (median of "
	       "%d)\n",
	       median(changes_only, WARM_RUNS), WARM_RUNS);
	printf("status: state + key ranges, cold (no summary: every row read): %.0f ms (median of "
	       "%d)\n",
	       median(cold, COLD_RUNS), COLD_RUNS);
	printf("status: goal: under %.0f ms with a summary: %s\n", GOAL_MS,
	       median(warm, WARM_RUNS) < GOAL_MS && median(changed, WARM_RUNS) < GOAL_MS ? "met"
											 : "NOT met");

	/* Staleness: the downstream assets, materialized after every hour. */
	{
		tr_partitions *days = NULL;
		int64_t stale = 0;
		double again[WARM_RUNS];

		if (tr_asset_partitions(p, st, 2, NOW, &days, &err))
			die("partitions", &err);
		run = start_run(st);
		add_asset_range(st, "copy", parts, run, "materialization", 0, PARTITIONS,
				1700000003000);
		add_asset_range(st, "days", days, run, "materialization", 0,
				tr_partitions_count(days), 1700000003000);
		bench_stale(p, st, 1, "copy (1,000,000 hours, identity)");
		bench_stale(p, st, 2, "days (41,666 days of 24 hours, time_window)");
		add_range(st, parts, run, "materialization", 1000, 1010, 1700000004000);
		for (int r = 0; r < WARM_RUNS; r++)
			again[r] = stale_once(p, st, 1, &stale);
		printf("stale: copy, 10 hours materialized again since: %.2f ms (median of %d); "
		       "%lld stale\n",
		       median(again, WARM_RUNS), WARM_RUNS, (long long)stale);
		for (int r = 0; r < WARM_RUNS; r++)
			again[r] = stale_once(p, st, 2, &stale);
		printf("stale: days, the same: %.2f ms (median of %d); %lld stale\n",
		       median(again, WARM_RUNS), WARM_RUNS, (long long)stale);
		tr_partitions_free(days);
	}

	tr_asset_state_release(&state);
	tr_partitions_free(parts);
	tr_storage_close(st);
	tr_project_free(p);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
