/*
 * bench_load.c — what tr_wconn_load costs per partition, against the least
 * DuckDB itself needs for the same work: a bare transaction
 * `BEGIN; DELETE FROM t WHERE slice; INSERT INTO t SELECT ...; COMMIT` through
 * the C API, its four statements prepared once per connection and re-bound.
 *
 * Two workloads: "trivial" (hourly partitions of `SELECT $partition_start AS
 * ts`: one row, so the figure is all overhead) and "10k rows" (daily
 * partitions of 10,000 rows, 4 columns, slice on a DATE column with TIMESTAMP
 * parameters, as the executor binds them). Each runs with 1 and 2 threads
 * (one connection each, taking the next partition from a shared counter, as
 * the executor's workers do) in two passes: "new" (every partition loaded
 * once into an empty table: the DELETE finds nothing) and "replace" (every
 * partition loaded again). tranche loads ask for a 10-row preview, as the
 * executor does.
 *
 * First "steady": one thread, a tranche load and a bare load in turn, the
 * medians (the figures least disturbed by a busy machine), after warm-up
 * loads, so without the first load that creates the table. Then the passes:
 * µs of wall time per load, best of ROUNDS fresh databases (the best round
 * is the least disturbed), and the process's CPU time (all threads, DuckDB's
 * included) per load in that round.
 * Storage: a file on disk, where every COMMIT waits for DuckDB's fsync of the
 * WAL, and the same on /dev/shm (tmpfs: fsync is free), which shows the CPU
 * cost alone. "bare/date" is the bare transaction with the DELETE's parameters
 * bound as DATE (what tranche does for a DATE column, see duckdb.c).
 *
 * Usage: bench_load [TRIVIAL_LOADS [ROWS_LOADS [ROUNDS]]]  (defaults 500 100 3)
 * Run by `make bench`.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <duckdb.h>
#include <pthread.h>

#include "tranche/warehouse.h"

#define HOUR_US (3600LL * 1000000LL)
#define DAY_US (24 * HOUR_US)
#define START_US (1704067200LL * 1000000LL) /* 2024-01-01 */

struct workload {
	const char *name;
	const char *query; /* uses $partition_start */
	const char *slice;
	int64_t step_us;   /* partition width */
	int loads;
};

static const char trivial_query[] = "SELECT $partition_start AS ts";
static const char trivial_slice[] = "(ts) >= $partition_start AND (ts) < $partition_end";
static const char rows_query[] =
	"SELECT CAST($partition_start AS DATE) AS day, i AS id, i % 97 AS amount,\n"
	"       'customer ' || (i % 1000) AS customer\n"
	"FROM range(10000) AS t(i)";
static const char rows_slice[] = "(day) >= $partition_start AND (day) < $partition_end";

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double cpu_us(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 +
	       (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_load: %s: %s\n", what, msg ? msg : "?");
	exit(1);
}

enum kind { TRANCHE, BARE, BARE_DATE };

struct run {
	const struct workload *w;
	enum kind kind;
	atomic_int next;
	tr_warehouse *wh;   /* TRANCHE */
	duckdb_database db; /* BARE */
};

/* ---- through tranche ------------------------------------------------------ */

static void *tranche_worker(void *arg)
{
	struct run *run = arg;
	tr_wconn *c = NULL;
	tr_error err = {0};
	int i = 0;

	if (tr_warehouse_connect(run->wh, &c, &err) != 0)
		die("connect", err.msg);
	while ((i = atomic_fetch_add(&run->next, 1)) < run->w->loads) {
		tr_param params[3];
		tr_load load;
		tr_load_result r;
		int64_t start = START_US + (int64_t)i * run->w->step_us;

		memset(params, 0, sizeof(params));
		params[0] = (tr_param){.name = "partition_key", .type = TR_PARAM_TEXT, .text = "k"};
		params[1] = (tr_param){.name = "partition_start", .type = TR_PARAM_TIMESTAMP,
				       .value = start};
		params[2] = (tr_param){.name = "partition_end", .type = TR_PARAM_TIMESTAMP,
				       .value = start + run->w->step_us};
		memset(&load, 0, sizeof(load));
		load.table = "t";
		load.source = TR_LOAD_QUERY;
		load.query = run->w->query;
		load.slice = run->w->slice;
		load.params = params;
		load.n_params = 3;
		load.preview_rows = 10;
		if (tr_wconn_load(c, &load, &r, &err) != 0)
			die("load", err.msg);
		tr_load_result_release(&r);
	}
	tr_wconn_close(c);
	return NULL;
}

/* ---- bare DuckDB ---------------------------------------------------------- */

static void must(duckdb_state state, const char *what, duckdb_result *res)
{
	if (state == DuckDBError)
		die(what, duckdb_result_error(res));
	duckdb_destroy_result(res);
}

static duckdb_prepared_statement prep(duckdb_connection conn, const char *sql)
{
	duckdb_prepared_statement st = NULL;

	if (duckdb_prepare(conn, sql, &st) == DuckDBError)
		die(sql, duckdb_prepare_error(st));
	return st;
}

static void bind_window(duckdb_prepared_statement st, int64_t start, int64_t step, int date)
{
	const char *names[2] = {"partition_start", "partition_end"};
	int64_t values[2] = {start, start + step};
	int k = 0;

	for (k = 0; k < 2; k++) {
		idx_t i = 0;

		if (duckdb_bind_parameter_index(st, &i, names[k]) == DuckDBError)
			continue;
		if (date)
			duckdb_bind_date(st, i, (duckdb_date){(int32_t)(values[k] / DAY_US)});
		else
			duckdb_bind_timestamp(st, i, (duckdb_timestamp){values[k]});
	}
}

static void *bare_worker(void *arg)
{
	struct run *run = arg;
	duckdb_connection conn = NULL;
	duckdb_prepared_statement begin = NULL, commit = NULL, del = NULL, ins = NULL;
	char sql[1024];
	int i = 0;

	if (duckdb_connect(run->db, &conn) == DuckDBError)
		die("bare connect", NULL);
	begin = prep(conn, "BEGIN TRANSACTION");
	commit = prep(conn, "COMMIT");
	snprintf(sql, sizeof(sql), "DELETE FROM t WHERE %s", run->w->slice);
	del = prep(conn, sql);
	snprintf(sql, sizeof(sql), "INSERT INTO t %s", run->w->query);
	ins = prep(conn, sql);
	while ((i = atomic_fetch_add(&run->next, 1)) < run->w->loads) {
		int64_t start = START_US + (int64_t)i * run->w->step_us;
		duckdb_result res;

		must(duckdb_execute_prepared(begin, &res), "BEGIN", &res);
		bind_window(del, start, run->w->step_us, run->kind == BARE_DATE);
		must(duckdb_execute_prepared(del, &res), "DELETE", &res);
		bind_window(ins, start, run->w->step_us, 0);
		must(duckdb_execute_prepared(ins, &res), "INSERT", &res);
		must(duckdb_execute_prepared(commit, &res), "COMMIT", &res);
	}
	duckdb_destroy_prepare(&begin);
	duckdb_destroy_prepare(&commit);
	duckdb_destroy_prepare(&del);
	duckdb_destroy_prepare(&ins);
	duckdb_disconnect(&conn);
	return NULL;
}

/* ---- driver --------------------------------------------------------------- */

struct figure {
	double wall, cpu; /* µs per load */
};

/* One pass: run->w->loads loads on threads threads. */
static struct figure pass(struct run *run, int threads)
{
	pthread_t t[8];
	double t0 = now_us(), c0 = cpu_us();
	struct figure fig;
	int i = 0;

	atomic_store(&run->next, 0);
	for (i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, run->kind == TRANCHE ? tranche_worker : bare_worker,
				   run) != 0)
			die("thread", NULL);
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	fig.wall = (now_us() - t0) / run->w->loads;
	fig.cpu = (cpu_us() - c0) / run->w->loads;
	return fig;
}

/* Both passes on a fresh database in dir: figs[0] new, figs[1] replace. */
static void round_of(const char *dir, const struct workload *w, enum kind kind, int threads,
		     struct figure figs[2])
{
	char path[512], url[600];
	struct run run;
	tr_error err = {0};

	memset(&run, 0, sizeof(run));
	run.w = w;
	run.kind = kind;
	snprintf(path, sizeof(path), "%s/bench_load.duckdb", dir);
	unlink(path);
	snprintf(url, sizeof(url), "%s.wal", path);
	unlink(url);
	if (kind == TRANCHE) {
		snprintf(url, sizeof(url), "duckdb:%s", path);
		if (tr_warehouse_open(url, NULL, &run.wh, &err) != 0)
			die("open", err.msg);
		figs[0] = pass(&run, threads);
		figs[1] = pass(&run, threads);
		tr_warehouse_close(run.wh);
	} else {
		duckdb_connection conn = NULL;
		duckdb_prepared_statement st = NULL;
		duckdb_result res;
		char sql[1024];

		if (duckdb_open(path, &run.db) == DuckDBError)
			die("bare open", path);
		if (duckdb_connect(run.db, &conn) == DuckDBError)
			die("bare connect", NULL);
		/* the table made as tranche's first load makes it: from the query's columns */
		snprintf(sql, sizeof(sql), "CREATE TABLE t AS SELECT * FROM (%s) LIMIT 0", w->query);
		st = prep(conn, sql);
		bind_window(st, START_US, w->step_us, 0);
		must(duckdb_execute_prepared(st, &res), "CREATE", &res);
		duckdb_destroy_prepare(&st);
		duckdb_disconnect(&conn);
		figs[0] = pass(&run, threads);
		figs[1] = pass(&run, threads);
		duckdb_close(&run.db);
	}
	unlink(path);
	snprintf(url, sizeof(url), "%s.wal", path);
	unlink(url);
}

static void bench(const char *dir, const char *storage, const struct workload *w, int rounds)
{
	static const char *const kinds[] = {"tranche", "bare", "bare/date"};
	int threads = 0, kind = 0, round = 0, p = 0;

	for (threads = 1; threads <= 2; threads++) {
		struct figure best[3][2];

		memset(best, 0, sizeof(best));
		/* rounds interleave the kinds, so that a noisy minute hurts them alike */
		for (round = 0; round < rounds; round++)
			for (kind = 0; kind < 3; kind++) {
				struct figure figs[2];

				if (kind == BARE_DATE && w->step_us != DAY_US)
					continue;
				round_of(dir, w, (enum kind)kind, threads, figs);
				for (p = 0; p < 2; p++)
					if (round == 0 || figs[p].wall < best[kind][p].wall)
						best[kind][p] = figs[p];
			}
		for (p = 0; p < 2; p++) {
			printf("%-8s %-6s %d thread%s %-7s", w->name, storage, threads,
			       threads > 1 ? "s" : " ", p ? "replace" : "new");
			for (kind = 0; kind < 3; kind++) {
				if (kind == BARE_DATE && w->step_us != DAY_US)
					continue;
				printf("  %s %6.0f us (cpu %6.0f)", kinds[kind], best[kind][p].wall,
				       best[kind][p].cpu);
			}
			printf("  tranche/bare x%.2f\n", best[TRANCHE][p].wall / best[BARE][p].wall);
		}
		fflush(stdout);
	}
}

/* ---- steady state, one thread, tranche and bare loads alternating --------- */

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), compare_doubles);
	return v[n / 2];
}

/*
 * The same partitions loaded by tranche and by the bare transaction (DELETE
 * parameters bound as DATE for a DATE slice: the least DuckDB needs), one
 * load of each in turn after a warm-up, so that a noisy machine disturbs both
 * alike; medians of loads new partitions, then of the same loaded again.
 */
static void steady(const char *dir, const char *storage, const struct workload *w, int loads)
{
	char tpath[512], bpath[512], url[600], sql[1024];
	double *tw = calloc((size_t)loads, sizeof(double)), *tc = calloc((size_t)loads, sizeof(double));
	double *bw = calloc((size_t)loads, sizeof(double)), *bc = calloc((size_t)loads, sizeof(double));
	duckdb_prepared_statement begin = NULL, commit = NULL, del = NULL, ins = NULL, st = NULL;
	duckdb_connection conn = NULL;
	duckdb_result res;
	struct run run;
	tr_wconn *c = NULL;
	tr_error err = {0};
	int warm = 5, pass = 0, i = 0;

	if (!tw || !tc || !bw || !bc)
		die("steady", "out of memory");
	memset(&run, 0, sizeof(run));
	run.w = w;
	snprintf(tpath, sizeof(tpath), "%s/steady_tranche.duckdb", dir);
	snprintf(bpath, sizeof(bpath), "%s/steady_bare.duckdb", dir);
	snprintf(url, sizeof(url), "duckdb:%s", tpath);
	if (tr_warehouse_open(url, NULL, &run.wh, &err) != 0 ||
	    tr_warehouse_connect(run.wh, &c, &err) != 0)
		die("open", err.msg);
	if (duckdb_open(bpath, &run.db) == DuckDBError || duckdb_connect(run.db, &conn) == DuckDBError)
		die("bare open", bpath);
	snprintf(sql, sizeof(sql), "CREATE TABLE t AS SELECT * FROM (%s) LIMIT 0", w->query);
	st = prep(conn, sql);
	bind_window(st, START_US, w->step_us, 0);
	must(duckdb_execute_prepared(st, &res), "CREATE", &res);
	duckdb_destroy_prepare(&st);
	begin = prep(conn, "BEGIN TRANSACTION");
	commit = prep(conn, "COMMIT");
	snprintf(sql, sizeof(sql), "DELETE FROM t WHERE %s", w->slice);
	del = prep(conn, sql);
	snprintf(sql, sizeof(sql), "INSERT INTO t %s", w->query);
	ins = prep(conn, sql);
	for (pass = 0; pass < 2; pass++) {
		for (i = -warm; i < loads; i++) {
			int64_t start = START_US + (int64_t)(i + warm) * w->step_us;
			tr_param params[3];
			tr_load load;
			tr_load_result r;
			double t0 = now_us(), c0 = cpu_us();

			memset(params, 0, sizeof(params));
			params[0] = (tr_param){.name = "partition_key", .type = TR_PARAM_TEXT,
					       .text = "k"};
			params[1] = (tr_param){.name = "partition_start", .type = TR_PARAM_TIMESTAMP,
					       .value = start};
			params[2] = (tr_param){.name = "partition_end", .type = TR_PARAM_TIMESTAMP,
					       .value = start + w->step_us};
			memset(&load, 0, sizeof(load));
			load.table = "t";
			load.source = TR_LOAD_QUERY;
			load.query = w->query;
			load.slice = w->slice;
			load.params = params;
			load.n_params = 3;
			load.preview_rows = 10;
			if (tr_wconn_load(c, &load, &r, &err) != 0)
				die("load", err.msg);
			tr_load_result_release(&r);
			if (i >= 0) {
				tw[i] = now_us() - t0;
				tc[i] = cpu_us() - c0;
			}
			t0 = now_us();
			c0 = cpu_us();
			must(duckdb_execute_prepared(begin, &res), "BEGIN", &res);
			bind_window(del, start, w->step_us, w->step_us == DAY_US);
			must(duckdb_execute_prepared(del, &res), "DELETE", &res);
			bind_window(ins, start, w->step_us, 0);
			must(duckdb_execute_prepared(ins, &res), "INSERT", &res);
			must(duckdb_execute_prepared(commit, &res), "COMMIT", &res);
			if (i >= 0) {
				bw[i] = now_us() - t0;
				bc[i] = cpu_us() - c0;
			}
		}
		printf("%-8s %-6s steady  %-7s  tranche %6.0f us (cpu %6.0f)  bare%s %6.0f us "
		       "(cpu %6.0f)  tranche/bare x%.2f, +%.0f us\n",
		       w->name, storage, pass ? "replace" : "new", median(tw, loads),
		       median(tc, loads), w->step_us == DAY_US ? "/date" : "", median(bw, loads),
		       median(bc, loads), median(tw, loads) / median(bw, loads),
		       median(tw, loads) - median(bw, loads));
		fflush(stdout);
	}
	duckdb_destroy_prepare(&begin);
	duckdb_destroy_prepare(&commit);
	duckdb_destroy_prepare(&del);
	duckdb_destroy_prepare(&ins);
	duckdb_disconnect(&conn);
	duckdb_close(&run.db);
	tr_wconn_close(c);
	tr_warehouse_close(run.wh);
	free(tw);
	free(tc);
	free(bw);
	free(bc);
	unlink(tpath);
	unlink(bpath);
	snprintf(url, sizeof(url), "%s.wal", tpath);
	unlink(url);
	snprintf(url, sizeof(url), "%s.wal", bpath);
	unlink(url);
}

int main(int argc, char **argv)
{
	char disk[] = "/tmp/tranche-bench-load-XXXXXX";
	char shm[] = "/dev/shm/tranche-bench-load-XXXXXX";
	struct workload trivial = {"trivial", trivial_query, trivial_slice, HOUR_US, 500};
	struct workload rows = {"10k rows", rows_query, rows_slice, DAY_US, 100};
	struct stat st;
	int rounds = 3, have_shm = 0;

	if (argc > 1)
		trivial.loads = atoi(argv[1]);
	if (argc > 2)
		rows.loads = atoi(argv[2]);
	if (argc > 3)
		rounds = atoi(argv[3]) > 0 ? atoi(argv[3]) : 1;
	if (!mkdtemp(disk))
		return 1;
	have_shm = stat("/dev/shm", &st) == 0 && mkdtemp(shm) != NULL;
	printf("bench_load: us per load, best of %d rounds (wall; cpu = all threads)\n", rounds);
	if (trivial.loads > 0) {
		steady(disk, "disk", &trivial, trivial.loads);
		if (have_shm)
			steady(shm, "tmpfs", &trivial, trivial.loads);
	}
	if (rows.loads > 0) {
		steady(disk, "disk", &rows, rows.loads);
		if (have_shm)
			steady(shm, "tmpfs", &rows, rows.loads);
	}
	if (trivial.loads > 0) {
		bench(disk, "disk", &trivial, rounds);
		if (have_shm)
			bench(shm, "tmpfs", &trivial, rounds);
	}
	if (rows.loads > 0) {
		bench(disk, "disk", &rows, rounds);
		if (have_shm)
			bench(shm, "tmpfs", &rows, rounds);
	}
	rmdir(disk);
	if (have_shm)
		rmdir(shm);
	return 0;
}
