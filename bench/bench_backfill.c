/*
 * bench_backfill.c — the backfill speed goals, each measured side by side in
 * one run and printed as figures, ratios and "goal:" lines (PASS or MISS):
 *
 *   1. DAYS daily partitions x ROWS rows of a SQL asset (3,650 x 10,000):
 *      the whole `tranche` backfill process against the same per-day
 *      transactions (BEGIN; DELETE slice; INSERT rows; COMMIT) from a bare C
 *      loop on DuckDB, statements prepared once. Goal: ratio <= 1.1 with
 *      --jobs 1, <= 1.0 with --jobs 2.
 *   2. the same asset with `backfill: {policy: single_run}` against one
 *      CREATE OR REPLACE TABLE ... AS of all the rows. Goal: <= 1.1.
 *   3. one day into the DAYS x ROWS table, `tranche materialize --partition`
 *      (whole process: posix_spawn, waitpid; median over REPEAT days, new days
 *      and re-materialized ones) against a full refresh of the table in one
 *      CREATE OR REPLACE TABLE ... AS. Goal: at least 300x faster.
 *   4. orchestration alone: TINY hourly partitions of a one-row asset, the
 *      whole process, events recorded in the instance storage included,
 *      against the same transactions in bare C. Goal: the difference under
 *      200 us per partition. Then the same with `max_partitions_per_run: 100`
 *      (one transaction per 100 hours), whose whole cost is printed.
 * After goals 1 and 4, "anatomy" lines replay the statements of the DuckDB
 * warehouse's slow load path for one partition (src/warehouse/duckdb.c,
 * load_partitioned: a table's first load, or after its columns changed), each
 * prepared and timed on its own in bare C, next to the bare transaction and a
 * leaner load (statements prepared once, no temp table: what the fast path
 * does, near enough), so that each statement's cost is seen. The replay binds
 * TIMESTAMP parameters, as the slow path did before it learnt to bind a DATE
 * for a DATE column; a what-if line shows the DELETE with DATE parameters.
 *
 * Fairness: every row, in tranche and here, comes from one SQL text
 * (rows_sql) with $partition_start and $partition_end bound as TIMESTAMPs; it
 * yields ROWS rows per day of [start, end), so the same text serves a one-day
 * partition, a single_run range and the full refresh. Data is written in
 * partition order (as tranche writes it), DuckDB runs with its defaults
 * (threads = cores) in both, and the bare figures include opening and closing
 * the database (the close checkpoints, as tranche's exit does). Each tranche
 * run checks that its table holds the same rows as the bare one.
 *
 * Usage: bench_backfill [TRANCHE_BIN]; `make bench` runs it with every other
 * bench, `make bench BENCH=backfill` alone. The tranche binary is argv[1],
 * else $TRANCHE_BIN, else the `tranche` next to this program's directory
 * (build/bench/.. = build/). Environment:
 *   BENCH_QUICK=1     small sizes for a smoke run (30 days x 1,000 rows,
 *                     2,000 tiny partitions, 3 repeats)
 *   BENCH_DAYS, BENCH_ROWS, BENCH_TINY, BENCH_REPEAT   the sizes
 *   BENCH_GOALS=1,3   only these goals (goal 3 then builds its own table)
 *   BENCH_DIR=DIR     where the temporary projects go (default /tmp)
 *   BENCH_KEEP=1      keep them (the path is printed), for a closer look
 * The full run takes about 4 minutes on 2 cores (docs/performance.md has the
 * figures, and how long each part takes); BENCH_QUICK=1, 6 to 15 seconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "duckdb.h"

extern char **environ;

/*
 * The command that backfills every partition of an asset: "{asset}" and
 * "{jobs}" are replaced. A tranche without the `backfill` command (it exits
 * non-zero on `backfill --help`) gets the fallback, which cannot choose the
 * number of jobs: the --jobs 2 figure is then not measured.
 */
static const char *const backfill_cmd_full[] = {"backfill", "{asset}", "--all", "--jobs", "{jobs}",
						"--yes", NULL};
static const char *const backfill_cmd_fallback[] = {"materialize", "{asset}", "--all", NULL};
static const char *const *backfill_cmd = backfill_cmd_full;

#define START_EPOCH 1420070400LL /* 2015-01-01T00:00:00Z: day 0 of the daily asset */
#define START_DAY "2015-01-01"
#define TINY_EPOCH 946684800LL /* 2000-01-01T00:00:00Z: hour 0 of the tiny asset */
#define TINY_START "2000-01-01-00:00"
#define DAY_US (86400LL * 1000000LL)
#define HOUR_US (3600LL * 1000000LL)
#define MAX_REPEAT 64
#define ANATOMY_PARTITIONS 100
#define TICK_SECONDS 30

#define GOAL_RATIO_JOBS1 1.1
#define GOAL_RATIO_JOBS2 1.0
#define GOAL_RATIO_SINGLE 1.1
#define GOAL_SPEEDUP_ONE_DAY 300.0
#define GOAL_US_PER_PARTITION 200.0

struct config {
	long days, rows, tiny, repeat;
	int quick, keep;
	int goals[5]; /* goals[1..4]: run it */
	char bin[PATH_MAX];
	char dir[PATH_MAX]; /* the temporary directory of this run */
};

struct proc {
	double wall_ms, user_ms, sys_ms;
	long maxrss_kb;
	int status; /* exit status, or 128 + signal */
};

struct tally {
	int pass, miss, unmeasured;
};

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

PRINTF_LIKE(1, 2) static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("backfill: ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

PRINTF_LIKE(1, 2) static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	fputs("bench_backfill: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void path_join(char *out, size_t size, const char *dir, const char *name)
{
	if ((size_t)snprintf(out, size, "%s/%s", dir, name) >= size)
		die("path too long: %s/%s", dir, name);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) == EOF || fclose(f) != 0)
		die("cannot write %s: %s", path, strerror(errno));
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);
	char *end = NULL;
	long n = 0;

	if (!v || !*v)
		return def;
	n = strtol(v, &end, 10);
	if (*end || n <= 0)
		die("%s=%s: expected a positive integer", name, v);
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, size_t n)
{
	double sorted[2 * MAX_REPEAT];

	memcpy(sorted, v, n * sizeof(*v));
	qsort(sorted, n, sizeof(*sorted), cmp_double);
	return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/* "2015-01-01" for day d of the daily asset. */
static void day_key(char *out, size_t size, long d)
{
	time_t t = (time_t)(START_EPOCH + (long long)d * 86400);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%d", &tm);
}

/* ISO 8601 UTC, for TRANCHE_NOW. */
static void iso_time(char *out, size_t size, long long epoch)
{
	time_t t = (time_t)epoch;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static double file_mb(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (double)sb.st_size / 1048576.0 : 0;
}

/* ---- a ticker: "still running" lines while something long goes on ---------- */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	int running;
	double started;
	char what[200];
} ticker = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void *ticker_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&ticker.lock);
	while (ticker.running) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += TICK_SECONDS;
		if (pthread_cond_timedwait(&ticker.cond, &ticker.lock, &until) == ETIMEDOUT &&
		    ticker.running)
			say("  ... %s: still running, %.0f s", ticker.what,
			    (now_ms() - ticker.started) / 1000);
	}
	pthread_mutex_unlock(&ticker.lock);
	return NULL;
}

static void ticker_start(const char *what)
{
	snprintf(ticker.what, sizeof(ticker.what), "%s", what);
	ticker.started = now_ms();
	ticker.running = 1;
	if (pthread_create(&ticker.thread, NULL, ticker_main, NULL) != 0)
		ticker.running = 0;
}

static void ticker_stop(void)
{
	if (!ticker.running)
		return;
	pthread_mutex_lock(&ticker.lock);
	ticker.running = 0;
	pthread_cond_signal(&ticker.cond);
	pthread_mutex_unlock(&ticker.lock);
	pthread_join(ticker.thread, NULL);
}

/* ---- running tranche --------------------------------------------------------- */

/* The last lines of the run log, to say why tranche failed. */
static void show_log_tail(const char *log)
{
	char buf[2048];
	FILE *f = fopen(log, "r");
	long size = 0;
	size_t n = 0;

	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, size > (long)sizeof(buf) - 1 ? size - (long)sizeof(buf) + 1 : 0, SEEK_SET);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	fprintf(stderr, "--- end of %s ---\n%s\n---\n", log, buf);
}

/* The first line of the last tranche error in the log ("tranche: ..."), or "". */
static void log_error_line(const char *log, char *out, size_t size)
{
	char line[1024];
	FILE *f = fopen(log, "r");
	size_t len = 0;

	out[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "tranche: ", 9) == 0) {
			len = strcspn(line, "\n");
			if (len >= size)
				len = size - 1;
			memcpy(out, line, len);
			out[len] = '\0';
		}
	fclose(f);
}

/*
 * Runs tranche with args (NULL-terminated) in dir, TRANCHE_NOW=now, stdin from
 * /dev/null, output appended to dir/tranche.log; times it from the spawn to
 * waitpid. posix_spawn, not fork: glibc's posix_spawn shares the address
 * space until exec (CLONE_VFORK), whereas fork copies this process's page
 * tables, which after the bare DuckDB work can add 100 ms to a 20 ms run.
 */
static void run_tranche(const struct config *cfg, const char *dir, const char *now,
			const char *const *args, struct proc *out)
{
	const char *argv[32];
	char log[PATH_MAX];
	posix_spawn_file_actions_t actions;
	struct rusage ru;
	size_t n = 0;
	int status = 0, rc = 0;
	double t0 = 0;
	pid_t pid = 0;
	FILE *f;

	argv[n++] = cfg->bin;
	for (; *args && n < sizeof(argv) / sizeof(argv[0]) - 1; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	path_join(log, sizeof(log), dir, "tranche.log");
	if ((f = fopen(log, "a"))) {
		fprintf(f, "$ TRANCHE_NOW=%s tranche", now);
		for (size_t i = 1; i < n; i++)
			fprintf(f, " %s", argv[i]);
		fputc('\n', f);
		fclose(f);
	}
	if (setenv("TRANCHE_NOW", now, 1) != 0 || posix_spawn_file_actions_init(&actions) != 0 ||
	    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0) != 0 ||
	    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_APPEND | O_CREAT,
					     0644) != 0 ||
	    posix_spawn_file_actions_adddup2(&actions, 1, 2) != 0 ||
	    posix_spawn_file_actions_addchdir_np(&actions, dir) != 0)
		die("cannot set up running tranche");
	fflush(NULL);
	t0 = now_ms();
	rc = posix_spawn(&pid, cfg->bin, &actions, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	if (rc != 0)
		die("cannot run %s: %s (set TRANCHE_BIN or pass the path)", cfg->bin, strerror(rc));
	if (wait4(pid, &status, 0, &ru) < 0)
		die("waitpid: %s", strerror(errno));
	out->wall_ms = now_ms() - t0;
	out->user_ms = (double)ru.ru_utime.tv_sec * 1e3 + (double)ru.ru_utime.tv_usec / 1e3;
	out->sys_ms = (double)ru.ru_stime.tv_sec * 1e3 + (double)ru.ru_stime.tv_usec / 1e3;
	out->maxrss_kb = ru.ru_maxrss;
	out->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void run_tranche_ok(const struct config *cfg, const char *dir, const char *now,
			   const char *const *args, struct proc *out)
{
	run_tranche(cfg, dir, now, args, out);
	if (out->status != 0) {
		char log[PATH_MAX];

		path_join(log, sizeof(log), dir, "tranche.log");
		show_log_tail(log);
		die("tranche %s exited with status %d (project in %s)", args[0], out->status, dir);
	}
}

static int backfill_has_jobs(void)
{
	for (size_t i = 0; backfill_cmd[i]; i++)
		if (strcmp(backfill_cmd[i], "{jobs}") == 0)
			return 1;
	return 0;
}

/* The backfill command of asset with jobs, as arguments (jobs_buf holds the number). */
static void backfill_args(const char *asset, int jobs, char *jobs_buf, size_t jobs_size,
			  const char **args, size_t cap)
{
	size_t n = 0;

	snprintf(jobs_buf, jobs_size, "%d", jobs);
	for (size_t i = 0; backfill_cmd[i] && n < cap - 1; i++)
		args[n++] = strcmp(backfill_cmd[i], "{asset}") == 0  ? asset
			    : strcmp(backfill_cmd[i], "{jobs}") == 0 ? jobs_buf
								     : backfill_cmd[i];
	args[n] = NULL;
}

static void backfill_text(char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; backfill_cmd[i] && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s", i ? " " : "", backfill_cmd[i]);
}

/* ---- bare DuckDB ----------------------------------------------------------- */

static void duck_open(const char *path, duckdb_database *db, duckdb_connection *conn)
{
	duckdb_config config = NULL;
	char *error = NULL;

	/* the settings tranche's warehouse uses (src/warehouse/duckdb.c) */
	if (duckdb_create_config(&config) == DuckDBError ||
	    duckdb_set_config(config, "autoinstall_known_extensions", "false") == DuckDBError)
		die("cannot configure DuckDB");
	if (duckdb_open_ext(path, db, config, &error) == DuckDBError)
		die("cannot open %s: %s", path, error ? error : "?");
	duckdb_destroy_config(&config);
	if (duckdb_connect(*db, conn) == DuckDBError)
		die("cannot connect to %s", path);
}

static void duck_close(duckdb_database *db, duckdb_connection *conn)
{
	duckdb_disconnect(conn);
	duckdb_close(db);
}

static duckdb_prepared_statement duck_prepare(duckdb_connection conn, const char *sql)
{
	duckdb_prepared_statement st = NULL;

	if (duckdb_prepare(conn, sql, &st) == DuckDBError)
		die("prepare %s: %s", sql, duckdb_prepare_error(st));
	return st;
}

/* Binds $partition_start and $partition_end (by name; absent ones are skipped). */
static void bind_window(duckdb_prepared_statement st, long long start_us, long long end_us)
{
	const char *names[2] = {"partition_start", "partition_end"};
	long long values[2] = {start_us, end_us};

	for (int i = 0; i < 2; i++) {
		idx_t idx = 0;
		duckdb_timestamp ts = {values[i]};

		if (duckdb_bind_parameter_index(st, &idx, names[i]) == DuckDBSuccess &&
		    duckdb_bind_timestamp(st, idx, ts) == DuckDBError)
			die("cannot bind $%s", names[i]);
	}
}

static void run_prepared(duckdb_prepared_statement st, const char *what)
{
	duckdb_result res;

	if (duckdb_execute_prepared(st, &res) == DuckDBError)
		die("%s: %s", what, duckdb_result_error(&res));
	duckdb_destroy_result(&res);
}

/* The first row's first n values of sql, as BIGINT (the SQL casts). */
static void query_ints(duckdb_connection conn, const char *sql, long long *out, idx_t n)
{
	duckdb_result res;
	duckdb_data_chunk chunk = NULL;

	if (duckdb_query(conn, sql, &res) == DuckDBError)
		die("%s: %s", sql, duckdb_result_error(&res));
	chunk = duckdb_fetch_chunk(res);
	if (!chunk || duckdb_data_chunk_get_size(chunk) < 1)
		die("%s: no row", sql);
	for (idx_t i = 0; i < n; i++) {
		duckdb_vector v = duckdb_data_chunk_get_vector(chunk, i);
		uint64_t *validity = duckdb_vector_get_validity(v);

		out[i] = validity && !duckdb_validity_row_is_valid(validity, 0)
				 ? 0
				 : ((int64_t *)duckdb_vector_get_data(v))[0];
	}
	duckdb_destroy_data_chunk(&chunk);
	duckdb_destroy_result(&res);
}

/* Reads chunks until the end (a streaming result: the preview). */
static void drain(duckdb_result res)
{
	duckdb_data_chunk chunk;

	while ((chunk = duckdb_fetch_chunk(res)))
		duckdb_destroy_data_chunk(&chunk);
}

/*
 * The rows of every day in [$partition_start, $partition_end): rows per day,
 * timestamps spread over the day, amounts from a hash. One text for tranche's
 * asset, the bare loop and the full refresh.
 */
static void rows_sql(char *out, size_t size, long rows)
{
	long long step_us = DAY_US / rows;

	if ((size_t)snprintf(out, size,
			     "SELECT ts, CAST(ts AS DATE) AS day, hash(i, CAST(ts AS DATE)) %% 1000 "
			     "AS amount FROM (SELECT i, $partition_start + to_days(CAST(n // %ld AS "
			     "INTEGER)) + to_microseconds(i * %lld) AS ts FROM (SELECT n, n %% %ld "
			     "AS i FROM range(date_diff('day', $partition_start, $partition_end) * "
			     "%ld) AS t(n)))",
			     rows, step_us, rows, rows) >= size)
		die("rows_sql: buffer too small");
}

#define TINY_SQL "SELECT $partition_start AS k"
/* the same rows for a step over a range of hours: one per hour */
#define TINY_RANGE_SQL                                                                      \
	"SELECT k FROM range($partition_start, $partition_end, INTERVAL 1 HOUR) AS t(k)"

/* ---- the projects -------------------------------------------------------------- */

static void make_project(const char *dir, const char *yaml)
{
	char path[PATH_MAX];

	if (mkdir(dir, 0755) != 0)
		die("mkdir %s: %s", dir, strerror(errno));
	path_join(path, sizeof(path), dir, "tranche.yaml");
	write_file(path, yaml);
}

static void daily_project(const struct config *cfg, const char *dir, int single_run)
{
	char sql[1024], yaml[2048];

	rows_sql(sql, sizeof(sql), cfg->rows);
	snprintf(yaml, sizeof(yaml),
		 "name: bench_backfill\n"
		 "assets:\n"
		 "  events:\n"
		 "    partitions: {type: daily, start: " START_DAY "}\n"
		 "    partition_expr: day\n"
		 "%s"
		 "    sql: \"%s\"\n",
		 single_run ? "    backfill: {policy: single_run}\n" : "", sql);
	make_project(dir, yaml);
}

/* chunk > 1: backfill: {max_partitions_per_run: chunk} (SQL over a range of hours). */
static void tiny_project(const char *dir, int chunk)
{
	char yaml[1024];

	snprintf(yaml, sizeof(yaml),
		 "name: bench_backfill\n"
		 "assets:\n"
		 "  tiny:\n"
		 "    partitions: {type: hourly, start: " TINY_START "}\n"
		 "    partition_expr: k\n"
		 "%s"
		 "    sql: \"%s\"\n",
		 chunk > 1 ? "    backfill: {max_partitions_per_run: 100}\n" : "",
		 chunk > 1 ? TINY_RANGE_SQL : TINY_SQL);
	make_project(dir, yaml);
}

/* count, sum(amount), min and max day (days since 1970) of table in db. */
static void table_digest(const char *db_path, const char *table, long long digest[4])
{
	duckdb_database db = NULL;
	duckdb_connection conn = NULL;
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*)::BIGINT, sum(amount)::BIGINT, epoch(min(day))::BIGINT // 86400, "
		 "epoch(max(day))::BIGINT // 86400 FROM %s",
		 table);
	duck_open(db_path, &db, &conn);
	query_ints(conn, sql, digest, 4);
	duck_close(&db, &conn);
}

/* Dies unless tranche's events table holds the rows of the bare table t. */
static void check_same(const char *tranche_db, const char *bare_db)
{
	long long a[4], b[4];

	table_digest(tranche_db, "events", a);
	table_digest(bare_db, "t", b);
	if (memcmp(a, b, sizeof(a)) != 0)
		die("tranche wrote other rows than the bare loop: %lld rows sum %lld vs %lld rows "
		    "sum %lld (%s, %s)",
		    a[0], a[1], b[0], b[1], tranche_db, bare_db);
	say("  check: tranche's table and the bare one hold the same %lld rows (sum of amount "
	    "%lld)",
	    a[0], a[1]);
}

PRINTF_LIKE(3, 4) static void goal_line(struct tally *t, int pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("backfill: goal: ", stdout);
	vprintf(fmt, ap);
	printf(": %s\n", pass ? "PASS" : "MISS");
	fflush(stdout);
	va_end(ap);
	if (pass)
		t->pass++;
	else
		t->miss++;
}

static void unmeasured_line(struct tally *t, const char *what, const char *why)
{
	say("goal: %s: NOT MEASURED (%s)", what, why);
	t->unmeasured++;
}

static void print_proc(const char *label, const struct proc *p)
{
	say("  %s: %.0f ms wall, %.0f ms user + %.0f ms sys CPU, max RSS %.0f MB", label,
	    p->wall_ms, p->user_ms, p->sys_ms, (double)p->maxrss_kb / 1024);
}

/* ---- bare loops ----------------------------------------------------------------- */

/* Wall and CPU time of this process (DuckDB's threads included), from begin to end. */
static void self_begin(struct proc *p)
{
	struct rusage ru;

	memset(p, 0, sizeof(*p));
	getrusage(RUSAGE_SELF, &ru);
	p->wall_ms = now_ms();
	p->user_ms = (double)ru.ru_utime.tv_sec * 1e3 + (double)ru.ru_utime.tv_usec / 1e3;
	p->sys_ms = (double)ru.ru_stime.tv_sec * 1e3 + (double)ru.ru_stime.tv_usec / 1e3;
}

static void self_end(struct proc *p)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	p->wall_ms = now_ms() - p->wall_ms;
	p->user_ms = (double)ru.ru_utime.tv_sec * 1e3 + (double)ru.ru_utime.tv_usec / 1e3 -
		     p->user_ms;
	p->sys_ms = (double)ru.ru_stime.tv_sec * 1e3 + (double)ru.ru_stime.tv_usec / 1e3 - p->sys_ms;
	p->maxrss_kb = ru.ru_maxrss;
}

static double cpu_ms(const struct proc *p)
{
	return p->user_ms + p->sys_ms;
}

/*
 * n per-partition transactions into table t of a new database: BEGIN; DELETE
 * the slice; INSERT its rows; COMMIT — statements prepared once. *out: the
 * time from opening the database to closing it.
 */
static void bare_loop(const char *db_path, const char *select_sql, const char *slice_col,
		      long n, long long first_us, long long step_us, const char *what,
		      struct proc *out)
{
	duckdb_database db = NULL;
	duckdb_connection conn = NULL;
	duckdb_prepared_statement create, del, ins, begin, commit;
	char sql[1536];
	double last_say = 0;

	self_begin(out);
	last_say = now_ms();
	duck_open(db_path, &db, &conn);
	snprintf(sql, sizeof(sql), "CREATE TABLE t AS SELECT * FROM (%s) LIMIT 0", select_sql);
	create = duck_prepare(conn, sql);
	bind_window(create, first_us, first_us + step_us);
	run_prepared(create, "creating the table");
	duckdb_destroy_prepare(&create);
	snprintf(sql, sizeof(sql),
		 "DELETE FROM t WHERE (%s) >= $partition_start AND (%s) < $partition_end",
		 slice_col, slice_col);
	del = duck_prepare(conn, sql);
	snprintf(sql, sizeof(sql), "INSERT INTO t %s", select_sql);
	ins = duck_prepare(conn, sql);
	begin = duck_prepare(conn, "BEGIN TRANSACTION");
	commit = duck_prepare(conn, "COMMIT");
	for (long d = 0; d < n; d++) {
		long long s = first_us + d * step_us;

		bind_window(del, s, s + step_us);
		bind_window(ins, s, s + step_us);
		run_prepared(begin, "BEGIN");
		run_prepared(del, "DELETE");
		run_prepared(ins, "INSERT");
		run_prepared(commit, "COMMIT");
		if (now_ms() - last_say > TICK_SECONDS * 1000.0) {
			last_say = now_ms();
			say("  ... %s: %ld/%ld done", what, d + 1, n);
		}
	}
	duckdb_destroy_prepare(&del);
	duckdb_destroy_prepare(&ins);
	duckdb_destroy_prepare(&begin);
	duckdb_destroy_prepare(&commit);
	duck_close(&db, &conn);
	self_end(out);
}

/*
 * One partition as a program of its own would write it: open the database,
 * BEGIN; DELETE the slice; INSERT its rows; COMMIT, close. *out: all of it.
 * cast_type: the DELETE compares the column with parameters cast to it (a
 * DATE column's row groups are then skipped by their min/max), or NULL.
 */
static void bare_one(const char *db_path, const char *select_sql, const char *slice_col,
		     const char *cast_type, long long s, long long e, struct proc *out)
{
	duckdb_database db = NULL;
	duckdb_connection conn = NULL;
	duckdb_prepared_statement del, ins, begin, commit;
	char sql[1536];

	self_begin(out);
	duck_open(db_path, &db, &conn);
	if (cast_type)
		snprintf(sql, sizeof(sql),
			 "DELETE FROM t WHERE (%s) >= CAST($partition_start AS %s) AND (%s) < "
			 "CAST($partition_end AS %s)",
			 slice_col, cast_type, slice_col, cast_type);
	else
		snprintf(sql, sizeof(sql),
			 "DELETE FROM t WHERE (%s) >= $partition_start AND (%s) < $partition_end",
			 slice_col, slice_col);
	del = duck_prepare(conn, sql);
	snprintf(sql, sizeof(sql), "INSERT INTO t %s", select_sql);
	ins = duck_prepare(conn, sql);
	begin = duck_prepare(conn, "BEGIN TRANSACTION");
	commit = duck_prepare(conn, "COMMIT");
	bind_window(del, s, e);
	bind_window(ins, s, e);
	run_prepared(begin, "BEGIN");
	run_prepared(del, "DELETE");
	run_prepared(ins, "INSERT");
	run_prepared(commit, "COMMIT");
	duckdb_destroy_prepare(&del);
	duckdb_destroy_prepare(&ins);
	duckdb_destroy_prepare(&begin);
	duckdb_destroy_prepare(&commit);
	duck_close(&db, &conn);
	self_end(out);
}

/*
 * A full refresh: CREATE OR REPLACE TABLE t AS the rows of every day, in the
 * database at db_path (new or not). *out: from opening to closing;
 * *statement_ms: the statement alone.
 */
static void bare_full_refresh(const struct config *cfg, const char *db_path, struct proc *out,
			      double *statement_ms)
{
	duckdb_database db = NULL;
	duckdb_connection conn = NULL;
	duckdb_prepared_statement st;
	char sql[1536], rows[1024];
	double t1;

	rows_sql(rows, sizeof(rows), cfg->rows);
	snprintf(sql, sizeof(sql), "CREATE OR REPLACE TABLE t AS %s", rows);
	self_begin(out);
	duck_open(db_path, &db, &conn);
	st = duck_prepare(conn, sql);
	bind_window(st, START_EPOCH * 1000000LL, (START_EPOCH + cfg->days * 86400LL) * 1000000LL);
	t1 = now_ms();
	run_prepared(st, "full refresh");
	*statement_ms = now_ms() - t1;
	duckdb_destroy_prepare(&st);
	duck_close(&db, &conn);
	self_end(out);
}

/* ---- anatomy: tranche's statements for one partition load, timed one by one ---- */

enum {
	A_BEGIN,
	A_TEMP,
	A_STRAY,
	A_EXISTS,
	A_COLUMNS,
	A_DELETE,
	A_INSERT,
	A_PREVIEW,
	A_DROP,
	A_COMMIT,
	A_COUNT
};

static const char *const anatomy_names[A_COUNT] = {
	"BEGIN",
	"CREATE TEMP TABLE AS <query>",
	"stray-row check (count FILTER)",
	"table exists? (duckdb_tables())",
	"columns of table and temp (2 prepares)",
	"DELETE slice",
	"INSERT BY NAME from temp",
	"preview (SELECT slice LIMIT 11)",
	"DROP temp table",
	"COMMIT",
};

enum { B_BEGIN, B_DELETE, B_INSERT, B_COMMIT, B_COUNT };

static const char *const bare_names[B_COUNT] = {"BEGIN", "DELETE slice (prepared once)",
						"INSERT <query> (prepared once)", "COMMIT"};

/*
 * Prepares sql fresh (as tranche does for each statement), binds, runs; returns
 * the time taken and adds the time of the prepare alone to *prepare_ms.
 */
static double timed(duckdb_connection conn, const char *sql, long long s, long long e,
		    int prepare_only, int streaming, double *prepare_ms)
{
	duckdb_prepared_statement st;
	duckdb_result res;
	double t0 = now_ms();

	st = duck_prepare(conn, sql);
	*prepare_ms += now_ms() - t0;
	if (!prepare_only) {
		bind_window(st, s, e);
		if ((streaming ? duckdb_execute_prepared_streaming(st, &res)
			       : duckdb_execute_prepared(st, &res)) == DuckDBError)
			die("%s: %s", sql, duckdb_result_error(&res));
		if (streaming)
			drain(res);
		duckdb_destroy_result(&res);
	}
	duckdb_destroy_prepare(&st);
	return now_ms() - t0;
}

static double run_timed(duckdb_prepared_statement st, const char *what)
{
	double t0 = now_ms();

	run_prepared(st, what);
	return now_ms() - t0;
}

struct anatomy_in {
	const char *db_path;    /* holds table t */
	const char *select_sql; /* the rows of [$partition_start, $partition_end) */
	const char *slice_col;
	const char *cast_type;  /* the column's type when it is not a TIMESTAMP, or NULL */
	long total;             /* partitions in t */
	long long first_us, step_us;
	int append; /* 1: load new partitions after the last (a backfill); 0: replace existing ones */
};

/*
 * Loads n partitions of table t three ways, in turn: with the statements of
 * the warehouse's slow load path (load_partitioned in src/warehouse/duckdb.c),
 * each prepared afresh and timed; with the bare loop's prepared statements;
 * and with a lean load (a what-if). Appending, the three load different new partitions (each an
 * empty slice); replacing, the same one. Prints mean ms per statement and the
 * what-ifs.
 */
static void anatomy(const struct anatomy_in *in)
{
	duckdb_database db = NULL;
	duckdb_connection conn = NULL;
	double sum[A_COUNT] = {0}, prep[A_COUNT] = {0}, bare[B_COUNT] = {0};
	double all = 0, all_prep = 0, all_bare = 0, preview_temp = 0, delete_cast = 0, unused = 0;
	double lean = 0;
	char slice[256], lean_slice[256], sql[2048];
	long n = in->total < ANATOMY_PARTITIONS ? in->total : ANATOMY_PARTITIONS;
	duckdb_prepared_statement del, ins, begin, commit, rollback, del_cast = NULL;
	duckdb_prepared_statement lean_steps[4];

	snprintf(slice, sizeof(slice), "(%s) >= $partition_start AND (%s) < $partition_end",
		 in->slice_col, in->slice_col);
	duck_open(in->db_path, &db, &conn);
	snprintf(sql, sizeof(sql), "DELETE FROM t WHERE (%s)", slice);
	del = duck_prepare(conn, sql);
	snprintf(sql, sizeof(sql), "INSERT INTO t %s", in->select_sql);
	ins = duck_prepare(conn, sql);
	begin = duck_prepare(conn, "BEGIN TRANSACTION");
	commit = duck_prepare(conn, "COMMIT");
	rollback = duck_prepare(conn, "ROLLBACK");
	if (in->cast_type) {
		snprintf(sql, sizeof(sql),
			 "DELETE FROM t WHERE (%s) >= CAST($partition_start AS %s) AND (%s) < "
			 "CAST($partition_end AS %s)",
			 in->slice_col, in->cast_type, in->slice_col, in->cast_type);
		del_cast = duck_prepare(conn, sql);
		snprintf(lean_slice, sizeof(lean_slice),
			 "(%s) >= CAST($partition_start AS %s) AND (%s) < CAST($partition_end AS %s)",
			 in->slice_col, in->cast_type, in->slice_col, in->cast_type);
	} else {
		snprintf(lean_slice, sizeof(lean_slice), "%s", slice);
	}
	/*
	 * What if: tranche's load with its statements prepared once per run (not
	 * per partition), the rows inserted straight from the query (stray rows:
	 * inserted - counted in the slice), no table-exists query, no temp table.
	 */
	snprintf(sql, sizeof(sql), "DELETE FROM \"t\" WHERE (%s)", lean_slice);
	lean_steps[0] = duck_prepare(conn, sql);
	snprintf(sql, sizeof(sql), "INSERT INTO \"t\" BY NAME %s", in->select_sql);
	lean_steps[1] = duck_prepare(conn, sql);
	snprintf(sql, sizeof(sql), "SELECT count(*)::BIGINT FROM \"t\" WHERE (%s)", lean_slice);
	lean_steps[2] = duck_prepare(conn, sql);
	snprintf(sql, sizeof(sql), "SELECT * FROM \"t\" WHERE (%s) LIMIT 11", lean_slice);
	lean_steps[3] = duck_prepare(conn, sql);
	/* k = -1 warms up (not counted) */
	for (long k = -1; k < n; k++) {
		long d = in->append ? in->total + 3 * (k + 1)
		       : k < 0	    ? 0
				    : (long)((double)(k + 0.5) * (double)in->total / (double)n);
		long long s = in->first_us + d * in->step_us, e = s + in->step_us;
		double one[A_COUNT] = {0}, one_prep[A_COUNT] = {0}, one_bare[B_COUNT] = {0};
		double one_preview = 0, one_cast = 0, one_lean = 0, t0 = 0;
		duckdb_prepared_statement steps[B_COUNT] = {begin, del, ins, commit};

#define TIMED(i, text, prepare_only, streaming)                                                \
	(one[i] += timed(conn, text, s, e, prepare_only, streaming, &one_prep[i]))
		TIMED(A_BEGIN, "BEGIN TRANSACTION", 0, 0);
		snprintf(sql, sizeof(sql), "CREATE TEMP TABLE \"__tranche_load_%ld\" AS \n%s\n",
			 k + 1, in->select_sql);
		TIMED(A_TEMP, sql, 0, 0);
		snprintf(sql, sizeof(sql),
			 "SELECT count(*)::BIGINT, (count(*) FILTER (WHERE (%s) IS NOT TRUE))::BIGINT "
			 "FROM \"__tranche_load_%ld\"",
			 slice, k + 1);
		TIMED(A_STRAY, sql, 0, 0);
		TIMED(A_EXISTS,
		      "SELECT count(*)::BIGINT FROM duckdb_tables() WHERE NOT temporary AND "
		      "lower(table_name) = lower('t') AND schema_name = current_schema() AND "
		      "database_name = current_database()",
		      0, 0);
		TIMED(A_COLUMNS, "SELECT * FROM \"t\" LIMIT 0", 1, 0);
		snprintf(sql, sizeof(sql), "SELECT * FROM \"__tranche_load_%ld\" LIMIT 0", k + 1);
		TIMED(A_COLUMNS, sql, 1, 0);
		snprintf(sql, sizeof(sql), "DELETE FROM \"t\" WHERE (%s)", slice);
		TIMED(A_DELETE, sql, 0, 0);
		snprintf(sql, sizeof(sql),
			 "INSERT INTO \"t\" BY NAME SELECT * FROM \"__tranche_load_%ld\"", k + 1);
		TIMED(A_INSERT, sql, 0, 0);
		snprintf(sql, sizeof(sql), "SELECT * FROM \"t\" WHERE (%s) LIMIT 11", slice);
		TIMED(A_PREVIEW, sql, 0, 1);
		/* what if: the preview read from the temp table (the same rows) */
		snprintf(sql, sizeof(sql), "SELECT * FROM \"__tranche_load_%ld\" LIMIT 11", k + 1);
		one_preview = timed(conn, sql, s, e, 0, 1, &unused);
		snprintf(sql, sizeof(sql), "DROP TABLE \"__tranche_load_%ld\"", k + 1);
		TIMED(A_DROP, sql, 0, 0);
		TIMED(A_COMMIT, "COMMIT", 0, 0);
#undef TIMED

		if (in->append) {
			s += in->step_us;
			e += in->step_us;
		}
		bind_window(del, s, e);
		bind_window(ins, s, e);
		if (del_cast) {
			/* what if: the slice compared the column with parameters of its type */
			bind_window(del_cast, s, e);
			run_prepared(begin, "BEGIN");
			one_cast = run_timed(del_cast, "DELETE, parameters cast");
			run_prepared(rollback, "ROLLBACK");
		}
		for (int i = 0; i < B_COUNT; i++)
			one_bare[i] = run_timed(steps[i], bare_names[i]);

		if (in->append) {
			s += in->step_us;
			e += in->step_us;
		}
		t0 = now_ms();
		run_prepared(begin, "BEGIN");
		for (int i = 0; i < 4; i++) {
			duckdb_result res;

			bind_window(lean_steps[i], s, e);
			if ((i == 3 ? duckdb_execute_prepared_streaming(lean_steps[i], &res)
				    : duckdb_execute_prepared(lean_steps[i], &res)) == DuckDBError)
				die("lean load: %s", duckdb_result_error(&res));
			if (i == 3)
				drain(res);
			duckdb_destroy_result(&res);
		}
		run_prepared(commit, "COMMIT");
		one_lean = now_ms() - t0;
		if (k < 0)
			continue;
		lean += one_lean;
		for (int i = 0; i < A_COUNT; i++) {
			sum[i] += one[i];
			prep[i] += one_prep[i];
		}
		for (int i = 0; i < B_COUNT; i++)
			bare[i] += one_bare[i];
		preview_temp += one_preview;
		delete_cast += one_cast;
	}
	duckdb_destroy_prepare(&del);
	duckdb_destroy_prepare(&ins);
	duckdb_destroy_prepare(&begin);
	duckdb_destroy_prepare(&commit);
	duckdb_destroy_prepare(&rollback);
	if (del_cast)
		duckdb_destroy_prepare(&del_cast);
	for (int i = 0; i < 4; i++)
		duckdb_destroy_prepare(&lean_steps[i]);
	duck_close(&db, &conn);
	for (int i = 0; i < A_COUNT; i++) {
		all += sum[i];
		all_prep += prep[i];
	}
	for (int i = 0; i < B_COUNT; i++)
		all_bare += bare[i];
	say("  anatomy: %-44s %8s %10s %6s", "slow-path load statements, per partition", "ms",
	    "(prepare)", "share");
	for (int i = 0; i < A_COUNT; i++)
		say("  anatomy: %-44s %8.3f %10.3f %5.1f%%", anatomy_names[i], sum[i] / (double)n,
		    prep[i] / (double)n, all > 0 ? 100 * sum[i] / all : 0);
	say("  anatomy: %-44s %8.3f %10.3f", "total", all / (double)n, all_prep / (double)n);
	say("  anatomy: %-44s %8s", "the bare transaction, per partition", "ms");
	for (int i = 0; i < B_COUNT; i++)
		say("  anatomy: %-44s %8.3f", bare_names[i], bare[i] / (double)n);
	say("  anatomy: %-44s %8.3f", "total", all_bare / (double)n);
	say("  anatomy: what if the preview read the temp table: %.3f ms instead of %.3f",
	    preview_temp / (double)n, sum[A_PREVIEW] / (double)n);
	if (in->cast_type)
		say("  anatomy: what if the slice cast the parameters to %s (not the column): "
		    "bare DELETE %.3f ms instead of %.3f",
		    in->cast_type, delete_cast / (double)n, bare[B_DELETE] / (double)n);
	say("  anatomy: lean load, prepared once: BEGIN; DELETE; INSERT BY NAME <query>; count "
	    "slice; preview; COMMIT%s: %.3f ms",
	    in->cast_type ? " (parameters cast)" : "", lean / (double)n);
	say("  anatomy: slow-path load %.3f ms per partition vs the bare transaction %.3f ms "
	    "(x%.2f), mean of %ld partitions",
	    all / (double)n, all_bare / (double)n, all_bare > 0 ? all / all_bare : 0, n);
}

/* ---- the goals ------------------------------------------------------------------ */

struct shared {
	char daily_project[PATH_MAX]; /* a project whose table holds every day, or "" */
	char full_db[PATH_MAX];       /* a database whose t holds every day, or "" */
};

static void print_bare(const char *label, const struct proc *p)
{
	say("  %s: %.0f ms wall, %.0f ms user + %.0f ms sys CPU", label, p->wall_ms, p->user_ms,
	    p->sys_ms);
}

static void goal1(const struct config *cfg, struct shared *sh, struct tally *t)
{
	char now[32], rows[1024], bare_db[PATH_MAX], proj[PATH_MAX], wh[PATH_MAX], jobs_buf[16];
	const char *args[16];
	struct proc bare = {0}, p1 = {0}, p2 = {0};
	double days = (double)cfg->days;
	long long n_rows = (long long)cfg->days * cfg->rows;
	struct anatomy_in in;

	say("goal 1: backfill of %ld daily partitions x %ld rows (%lld rows)", cfg->days, cfg->rows,
	    n_rows);
	iso_time(now, sizeof(now), START_EPOCH + cfg->days * 86400LL);
	rows_sql(rows, sizeof(rows), cfg->rows);

	say("  bare C loop: %ld transactions (BEGIN; DELETE day; INSERT rows; COMMIT) ...",
	    cfg->days);
	path_join(bare_db, sizeof(bare_db), cfg->dir, "bare_loop.duckdb");
	ticker_start("bare loop");
	bare_loop(bare_db, rows, "day", cfg->days, START_EPOCH * 1000000LL, DAY_US, "bare loop",
		  &bare);
	ticker_stop();
	print_bare("bare C loop", &bare);

	say("  tranche, --jobs 1 ...");
	path_join(proj, sizeof(proj), cfg->dir, "g1_jobs1");
	daily_project(cfg, proj, 0);
	backfill_args("events", 1, jobs_buf, sizeof(jobs_buf), args, 16);
	ticker_start("tranche --jobs 1");
	run_tranche_ok(cfg, proj, now, args, &p1);
	ticker_stop();
	print_proc("tranche --jobs 1", &p1);
	path_join(wh, sizeof(wh), proj, "data/warehouse.duckdb");
	check_same(wh, bare_db);
	snprintf(sh->daily_project, sizeof(sh->daily_project), "%s", proj);

	if (backfill_has_jobs()) {
		say("  tranche, --jobs 2 ...");
		path_join(proj, sizeof(proj), cfg->dir, "g1_jobs2");
		daily_project(cfg, proj, 0);
		backfill_args("events", 2, jobs_buf, sizeof(jobs_buf), args, 16);
		ticker_start("tranche --jobs 2");
		run_tranche_ok(cfg, proj, now, args, &p2);
		ticker_stop();
		print_proc("tranche --jobs 2", &p2);
		path_join(wh, sizeof(wh), proj, "data/warehouse.duckdb");
		check_same(wh, bare_db);
	}

	memset(&in, 0, sizeof(in));
	in.db_path = bare_db;
	in.select_sql = rows;
	in.slice_col = "day";
	in.cast_type = "DATE";
	in.total = cfg->days;
	in.first_us = START_EPOCH * 1000000LL;
	in.step_us = DAY_US;
	say("  anatomy of one partition load, existing days of the %lld-row table replaced:",
	    n_rows);
	anatomy(&in);
	in.append = 1;
	say("  anatomy of one partition load, new days appended to the %lld-row table (as in a "
	    "backfill):",
	    n_rows);
	anatomy(&in);

	say("backfill %ld x %ld: bare C loop %.0f ms (%.2f ms/partition), CPU %.0f ms", cfg->days,
	    cfg->rows, bare.wall_ms, bare.wall_ms / days, cpu_ms(&bare));
	say("backfill %ld x %ld: tranche --jobs 1 %.0f ms (%.2f ms/partition), CPU %.0f ms; ratio "
	    "%.2f (CPU %.2f)",
	    cfg->days, cfg->rows, p1.wall_ms, p1.wall_ms / days, cpu_ms(&p1),
	    p1.wall_ms / bare.wall_ms, cpu_ms(&p1) / cpu_ms(&bare));
	goal_line(t, p1.wall_ms / bare.wall_ms <= GOAL_RATIO_JOBS1,
		  "1 backfill --jobs 1 / bare loop = %.2f (want <= %.1f)",
		  p1.wall_ms / bare.wall_ms, GOAL_RATIO_JOBS1);
	if (backfill_has_jobs()) {
		say("backfill %ld x %ld: tranche --jobs 2 %.0f ms (%.2f ms/partition), CPU %.0f ms; "
		    "ratio %.2f (CPU %.2f)",
		    cfg->days, cfg->rows, p2.wall_ms, p2.wall_ms / days, cpu_ms(&p2),
		    p2.wall_ms / bare.wall_ms, cpu_ms(&p2) / cpu_ms(&bare));
		goal_line(t, p2.wall_ms / bare.wall_ms <= GOAL_RATIO_JOBS2,
			  "1 backfill --jobs 2 / bare loop = %.2f (want <= %.1f)",
			  p2.wall_ms / bare.wall_ms, GOAL_RATIO_JOBS2);
	} else {
		char cmd[256];

		backfill_text(cmd, sizeof(cmd));
		unmeasured_line(t, "1 backfill --jobs 2 / bare loop (want <= 1.0)",
				"this CLI cannot choose the number of jobs");
		say("  (\"tranche %s\" takes no --jobs: this tranche has no backfill command)",
		    cmd);
	}
}

static void goal2(const struct config *cfg, struct shared *sh, struct tally *t)
{
	char now[32], proj[PATH_MAX], wh[PATH_MAX], log[PATH_MAX], jobs_buf[16], why[512];
	const char *args[16];
	struct proc p = {0}, full = {0};
	double statement = 0;

	say("goal 2: single_run backfill of %ld days x %ld rows against one CREATE OR REPLACE "
	    "TABLE AS",
	    cfg->days, cfg->rows);
	iso_time(now, sizeof(now), START_EPOCH + cfg->days * 86400LL);
	path_join(sh->full_db, sizeof(sh->full_db), cfg->dir, "bare_full.duckdb");
	say("  bare C: CREATE OR REPLACE TABLE t AS all rows, into a new database ...");
	bare_full_refresh(cfg, sh->full_db, &full, &statement);
	print_bare("bare C CREATE OR REPLACE TABLE AS", &full);
	say("  (the statement alone: %.0f ms)", statement);

	say("  tranche, backfill: {policy: single_run} ...");
	path_join(proj, sizeof(proj), cfg->dir, "g2_single_run");
	daily_project(cfg, proj, 1);
	backfill_args("events", 1, jobs_buf, sizeof(jobs_buf), args, 16);
	ticker_start("tranche single_run");
	run_tranche(cfg, proj, now, args, &p);
	ticker_stop();
	if (p.status != 0) {
		path_join(log, sizeof(log), proj, "tranche.log");
		log_error_line(log, why, sizeof(why));
		say("  tranche exited with status %d: %s", p.status, why[0] ? why : "(see log)");
		unmeasured_line(t, "2 single_run backfill / full refresh (want <= 1.1)",
				"this build refuses or fails the single_run project");
		return;
	}
	print_proc("tranche single_run", &p);
	path_join(wh, sizeof(wh), proj, "data/warehouse.duckdb");
	check_same(wh, sh->full_db);
	say("single_run %ld x %ld: bare CREATE OR REPLACE TABLE AS %.0f ms (CPU %.0f), tranche "
	    "%.0f ms (CPU %.0f); ratio %.2f (CPU %.2f)",
	    cfg->days, cfg->rows, full.wall_ms, cpu_ms(&full), p.wall_ms, cpu_ms(&p),
	    p.wall_ms / full.wall_ms, cpu_ms(&p) / cpu_ms(&full));
	goal_line(t, p.wall_ms / full.wall_ms <= GOAL_RATIO_SINGLE,
		  "2 single_run backfill / full refresh = %.2f (want <= %.1f)",
		  p.wall_ms / full.wall_ms, GOAL_RATIO_SINGLE);
}

/* duration_ms of the newest materialization in an instance storage: the load
   alone, as tranche times it; -1 if none. */
static double last_duration_ms(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	double ms = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db,
			       "SELECT json_extract(data, '$.duration_ms') FROM events WHERE type = "
			       "'materialization' ORDER BY id DESC LIMIT 1",
			       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		ms = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ms;
}

static void goal3(const struct config *cfg, struct shared *sh, struct tally *t)
{
	char now[32], key[16], full_db[PATH_MAX], storage[PATH_MAX], jobs_buf[16], rows[1024];
	const char *args[16];
	double re[MAX_REPEAT], fresh[MAX_REPEAT], plan[MAX_REPEAT], boot[MAX_REPEAT];
	double load[2 * MAX_REPEAT], floor_ms[MAX_REPEAT], floor_cast[MAX_REPEAT];
	double statement = 0, worst = 0;
	long n = cfg->repeat;
	size_t n_load = 0;
	struct proc p = {0}, full = {0}, one = {0};

	say("goal 3: one day into the %lld-row table against a full refresh",
	    (long long)cfg->days * cfg->rows);
	iso_time(now, sizeof(now), START_EPOCH + cfg->days * 86400LL);
	rows_sql(rows, sizeof(rows), cfg->rows);
	if (!sh->daily_project[0]) {
		say("  setting up: tranche backfill of %ld days (goal 1 did not run) ...",
		    cfg->days);
		path_join(sh->daily_project, sizeof(sh->daily_project), cfg->dir, "g3_daily");
		daily_project(cfg, sh->daily_project, 0);
		backfill_args("events", 1, jobs_buf, sizeof(jobs_buf), args, 16);
		ticker_start("setting up");
		run_tranche_ok(cfg, sh->daily_project, now, args, &p);
		ticker_stop();
	}
	path_join(storage, sizeof(storage), sh->daily_project, ".tranche/instance.db");
	if (sh->full_db[0]) {
		snprintf(full_db, sizeof(full_db), "%s", sh->full_db);
	} else {
		path_join(full_db, sizeof(full_db), cfg->dir, "bare_full.duckdb");
		say("  bare C: creating the table to refresh (goal 2 did not run) ...");
		bare_full_refresh(cfg, full_db, &full, &statement);
	}

	for (long k = 0; k < n; k++) {
		const char *version[] = {"version", NULL};

		run_tranche_ok(cfg, sh->daily_project, now, version, &p);
		boot[k] = p.wall_ms;
	}
	for (long k = 0; k < n; k++) {
		long d = (long)((double)(k + 1) * (double)cfg->days / (double)(n + 1));
		const char *a[] = {"materialize", "events", "--partition", key, "--dry-run", NULL};

		day_key(key, sizeof(key), d);
		run_tranche_ok(cfg, sh->daily_project, now, a, &p);
		plan[k] = p.wall_ms;
	}
	for (long k = 0; k < n; k++) {
		long d = (long)((double)(k + 1) * (double)cfg->days / (double)(n + 1));
		const char *a[] = {"materialize", "events", "--partition", key, NULL};
		long long s = (START_EPOCH + d * 86400LL) * 1000000LL;

		day_key(key, sizeof(key), d);
		run_tranche_ok(cfg, sh->daily_project, now, a, &p);
		re[k] = p.wall_ms;
		load[n_load++] = last_duration_ms(storage);
		bare_one(full_db, rows, "day", NULL, s, s + DAY_US, &one);
		floor_ms[k] = one.wall_ms;
		bare_one(full_db, rows, "day", "DATE", s, s + DAY_US, &one);
		floor_cast[k] = one.wall_ms;
		say("  re-materialize %s: tranche %.1f ms (CPU %.1f, load %.0f ms); bare C open + "
		    "transaction + close %.1f ms (DATE parameters: %.1f ms)",
		    key, p.wall_ms, cpu_ms(&p), load[n_load - 1], floor_ms[k], floor_cast[k]);
	}
	/* new days: time moves on one day, and the new partition is loaded */
	for (long k = 0; k < n; k++) {
		const char *a[] = {"materialize", "events", "--partition", key, NULL};

		iso_time(now, sizeof(now), START_EPOCH + (cfg->days + k + 1) * 86400LL);
		day_key(key, sizeof(key), cfg->days + k);
		run_tranche_ok(cfg, sh->daily_project, now, a, &p);
		fresh[k] = p.wall_ms;
		load[n_load++] = last_duration_ms(storage);
		say("  new day %s: tranche %.1f ms (CPU %.1f, load %.0f ms)", key, p.wall_ms,
		    cpu_ms(&p), load[n_load - 1]);
	}

	say("  bare C: full refresh, CREATE OR REPLACE TABLE t AS all rows over the existing "
	    "table ...");
	bare_full_refresh(cfg, full_db, &full, &statement);
	print_bare("bare C full refresh", &full);
	say("  (the statement alone: %.0f ms)", statement);

	worst = median(re, (size_t)n) > median(fresh, (size_t)n) ? median(re, (size_t)n)
								 : median(fresh, (size_t)n);
	say("one day: tranche start-up alone (tranche version): median %.1f ms",
	    median(boot, (size_t)n));
	say("one day: plan only (materialize --partition --dry-run): median %.1f ms",
	    median(plan, (size_t)n));
	say("one day: re-materialize an existing day: median %.1f ms of %ld", median(re, (size_t)n),
	    n);
	say("one day: load a new day: median %.1f ms of %ld", median(fresh, (size_t)n), n);
	say("one day: the load alone, as tranche times it (duration_ms), all %zu runs: median "
	    "%.0f ms (full refresh / that = %.0fx)",
	    n_load, median(load, n_load), full.wall_ms / median(load, n_load));
	say("one day: bare C, in process: open + one-day transaction + close: median %.1f ms "
	    "(full refresh / that = %.0fx); with DATE parameters %.1f ms (%.0fx)",
	    median(floor_ms, (size_t)n), full.wall_ms / median(floor_ms, (size_t)n),
	    median(floor_cast, (size_t)n), full.wall_ms / median(floor_cast, (size_t)n));
	say("one day: full refresh of %lld rows: %.0f ms; full refresh / tranche's one day = "
	    "%.1fx",
	    (long long)cfg->days * cfg->rows, full.wall_ms, full.wall_ms / worst);
	goal_line(t, full.wall_ms / worst >= GOAL_SPEEDUP_ONE_DAY,
		  "3 full refresh / one day (slower of new and re-materialized) = %.1fx (want >= "
		  "%.0fx)",
		  full.wall_ms / worst, GOAL_SPEEDUP_ONE_DAY);
}

/* Events and runs recorded in an instance storage. */
static void storage_counts(const char *path, long long *events, long long *runs)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	const char *sql[2] = {"SELECT count(*) FROM events", "SELECT count(*) FROM runs"};
	long long *out[2] = {events, runs};

	*events = *runs = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return;
	}
	for (int i = 0; i < 2; i++) {
		if (sqlite3_prepare_v2(db, sql[i], -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			*out[i] = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		st = NULL;
	}
	sqlite3_close(db);
}

static void goal4(const struct config *cfg, struct tally *t)
{
	char now[32], proj[PATH_MAX], path[PATH_MAX], jobs_buf[16];
	const char *args[16];
	struct proc p = {0}, bare = {0};
	double us = 0, bare_us = 0, n = (double)cfg->tiny;
	long long events = 0, runs = 0;
	struct anatomy_in in;

	say("goal 4: orchestration overhead, %ld hourly partitions of \"" TINY_SQL "\"", cfg->tiny);
	iso_time(now, sizeof(now), TINY_EPOCH + cfg->tiny * 3600LL);
	path_join(proj, sizeof(proj), cfg->dir, "g4_tiny");
	tiny_project(proj, 1);
	backfill_args("tiny", 1, jobs_buf, sizeof(jobs_buf), args, 16);
	say("  tranche, --jobs 1 ...");
	ticker_start("tranche tiny");
	run_tranche_ok(cfg, proj, now, args, &p);
	ticker_stop();
	print_proc("tranche", &p);
	path_join(path, sizeof(path), proj, ".tranche/instance.db");
	storage_counts(path, &events, &runs);
	us = p.wall_ms * 1000 / n;
	say("  instance storage: %lld events in %lld run(s), %.1f MB (%.1f events per partition)",
	    events, runs, file_mb(path), (double)events / n);

	say("  bare C loop: %ld transactions ...", cfg->tiny);
	path_join(path, sizeof(path), cfg->dir, "bare_tiny.duckdb");
	ticker_start("bare tiny loop");
	bare_loop(path, TINY_SQL, "k", cfg->tiny, TINY_EPOCH * 1000000LL, HOUR_US,
		  "bare tiny loop", &bare);
	ticker_stop();
	print_bare("bare C loop", &bare);
	bare_us = bare.wall_ms * 1000 / n;
	memset(&in, 0, sizeof(in));
	in.db_path = path;
	in.select_sql = TINY_SQL;
	in.slice_col = "k";
	in.total = cfg->tiny;
	in.first_us = TINY_EPOCH * 1000000LL;
	in.step_us = HOUR_US;
	in.append = 1;
	say("  anatomy of one partition load, new hours appended to the tiny table:");
	anatomy(&in);

	say("tiny %ld: tranche %.0f ms = %.0f us per partition, CPU %.0f us (events and status "
	    "included)",
	    cfg->tiny, p.wall_ms, us, cpu_ms(&p) * 1000 / n);
	say("tiny %ld: bare DuckDB transaction (BEGIN; DELETE; INSERT; COMMIT): %.0f ms = %.0f us "
	    "per partition, CPU %.0f us; tranche - bare = %.0f us per partition",
	    cfg->tiny, bare.wall_ms, bare_us, cpu_ms(&bare) * 1000 / n, us - bare_us);
	/* the overhead alone: what tranche adds to the same transactions in bare C */
	goal_line(t, us - bare_us < GOAL_US_PER_PARTITION,
		  "4 orchestration overhead: %.0f us per partition above the bare transaction "
		  "(want < %.0f; the whole, DuckDB's transaction included: %.0f us)",
		  us - bare_us, GOAL_US_PER_PARTITION, us);

	/* Dagster's answer to tiny partitions: a backfill policy that writes many per step */
	path_join(proj, sizeof(proj), cfg->dir, "g4_tiny_chunked");
	tiny_project(proj, 100);
	say("  tranche, --jobs 1, backfill: {max_partitions_per_run: 100} ...");
	ticker_start("tranche tiny chunked");
	run_tranche_ok(cfg, proj, now, args, &p);
	ticker_stop();
	print_proc("tranche", &p);
	say("tiny %ld with max_partitions_per_run 100: tranche %.0f ms = %.0f us per partition "
	    "(events and status of every partition included)",
	    cfg->tiny, p.wall_ms, p.wall_ms * 1000 / n);
}

/* ---- set-up --------------------------------------------------------------------- */

static void find_tranche(int argc, char **argv, char *out, size_t size)
{
	const char *given = argc > 1 ? argv[1] : getenv("TRANCHE_BIN");
	char self[PATH_MAX], guess[PATH_MAX + 16];
	ssize_t n = 0;

	if (given && *given) {
		if (!realpath(given, self))
			die("tranche binary %s: %s", given, strerror(errno));
		snprintf(out, size, "%s", self);
		return;
	}
	/* build/bench/bench_backfill -> build/tranche */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash = NULL;

		self[n] = '\0';
		for (int up = 0; up < 2 && (slash = strrchr(self, '/')); up++)
			*slash = '\0';
		snprintf(guess, sizeof(guess), "%s/tranche", self);
		if (access(guess, X_OK) == 0 && realpath(guess, self)) {
			snprintf(out, size, "%s", self);
			return;
		}
	}
	if (!realpath("build/tranche", self))
		die("no tranche binary: pass its path, or set TRANCHE_BIN");
	snprintf(out, size, "%s", self);
}

/* The load average: other work on the machine skews every figure. */
static void print_load(const char *when)
{
	char line[128] = "?";
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	line[strcspn(line, "\n")] = '\0';
	say("load average %s: %s%s", when, line,
	    atof(line) > 0.5 ? " (the machine is busy: figures may be skewed)" : "");
}

static void print_machine(const struct config *cfg)
{
	char line[512], model[256] = "unknown";
	FILE *f = fopen("/proc/cpuinfo", "r");
	duckdb_database db = NULL;
	duckdb_connection conn = NULL;
	long long threads = 0;
	char mem[PATH_MAX];

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "model name", 10) == 0) {
			char *colon = strchr(line, ':');

			if (colon) {
				colon += strspn(colon + 1, " \t") + 1;
				colon[strcspn(colon, "\n")] = '\0';
				snprintf(model, sizeof(model), "%s", colon);
			}
			break;
		}
	if (f)
		fclose(f);
	path_join(mem, sizeof(mem), cfg->dir, "settings.duckdb");
	duck_open(mem, &db, &conn);
	query_ints(conn, "SELECT current_setting('threads')::BIGINT", &threads, 1);
	duck_close(&db, &conn);
	unlink(mem);
	say("machine: %s, %ld cores, %.1f GB RAM; DuckDB %s (threads = %lld, in tranche and "
	    "here)",
	    model, sysconf(_SC_NPROCESSORS_ONLN),
	    (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE) / 1073741824.0,
	    duckdb_library_version(), threads);
	say("tranche: %s", cfg->bin);
	say("sizes: %ld days x %ld rows, %ld tiny partitions, %ld repeats%s; projects in %s",
	    cfg->days, cfg->rows, cfg->tiny, cfg->repeat, cfg->quick ? " (BENCH_QUICK)" : "",
	    cfg->dir);
}

/* The backfill command if this tranche has it, else the fallback. */
static void choose_backfill_cmd(const struct config *cfg)
{
	const char *help[] = {"backfill", "--help", NULL};
	struct proc p = {0};
	char cmd[256];

	run_tranche(cfg, cfg->dir, "2000-01-01", help, &p);
	if (p.status != 0)
		backfill_cmd = backfill_cmd_fallback;
	backfill_text(cmd, sizeof(cmd));
	say("backfill command: tranche %s%s", cmd,
	    p.status ? " (this tranche has no backfill command)" : "");
}

static void parse_goals(struct config *cfg)
{
	const char *g = getenv("BENCH_GOALS");

	for (int i = 1; i <= 4; i++)
		cfg->goals[i] = !g || !*g;
	for (; g && *g; g++) {
		if (*g >= '1' && *g <= '4')
			cfg->goals[*g - '0'] = 1;
		else if (*g != ',' && *g != ' ')
			die("BENCH_GOALS=%s: expected goal numbers 1 to 4, e.g. 1,3",
			    getenv("BENCH_GOALS"));
	}
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct shared sh;
	struct tally t = {0, 0, 0};
	const char *base = getenv("BENCH_DIR");
	double t0 = now_ms();

	memset(&cfg, 0, sizeof(cfg));
	memset(&sh, 0, sizeof(sh));
	cfg.quick = getenv("BENCH_QUICK") && strcmp(getenv("BENCH_QUICK"), "0") != 0;
	cfg.keep = getenv("BENCH_KEEP") && strcmp(getenv("BENCH_KEEP"), "0") != 0;
	cfg.days = env_long("BENCH_DAYS", cfg.quick ? 30 : 3650);
	cfg.rows = env_long("BENCH_ROWS", cfg.quick ? 1000 : 10000);
	cfg.tiny = env_long("BENCH_TINY", cfg.quick ? 2000 : 100000);
	cfg.repeat = env_long("BENCH_REPEAT", cfg.quick ? 3 : 5);
	if (cfg.repeat > MAX_REPEAT)
		die("BENCH_REPEAT: at most %d", MAX_REPEAT);
	if (cfg.rows > 86400L * 1000000L)
		die("BENCH_ROWS: at most one row per microsecond of a day");
	parse_goals(&cfg);
	find_tranche(argc, argv, cfg.bin, sizeof(cfg.bin));
	snprintf(cfg.dir, sizeof(cfg.dir), "%s/tranche-bench-backfill-XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(cfg.dir))
		die("mkdtemp %s: %s", cfg.dir, strerror(errno));

	print_machine(&cfg);
	print_load("at start");
	choose_backfill_cmd(&cfg);
	if (cfg.goals[1])
		goal1(&cfg, &sh, &t);
	if (cfg.goals[2])
		goal2(&cfg, &sh, &t);
	if (cfg.goals[3])
		goal3(&cfg, &sh, &t);
	if (cfg.goals[4])
		goal4(&cfg, &t);

	print_load("at end");
	say("goals: %d PASS, %d MISS, %d not measured; the bench took %.0f s", t.pass, t.miss,
	    t.unmeasured, (now_ms() - t0) / 1000);
	if (cfg.keep)
		say("kept the projects in %s", cfg.dir);
	else
		rm_tree(cfg.dir);
	return 0;
}
