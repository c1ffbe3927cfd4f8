/*
 * test_storage.c — instance storage (tranche/storage.h) on its SQLite backend:
 * opening and URLs, schema versions and refusals, migration from version 1,
 * dynamic partition keys (idempotence, order, atomicity), 100,000 keys, two
 * processes sharing one file; runs, events and their effect on partition and
 * check status, batches of 10,000 events, reaping runs of dead processes;
 * migration from version 2 with rows, backfills (create, update, cancel, runs,
 * reaping), the status change sequence, the status summary, and the state of
 * an asset read through it (src/exec/state.c, against a naive reading of every
 * row). Each test gets a fresh directory under /tmp, removed afterwards.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tranche/exec.h"
#include "tranche/project.h"
#include "tranche/storage.h"

/* The schema version of this build (migrations in src/storage/sqlite.c). */
#define SCHEMA_LATEST 4

struct fixture {
	char dir[64];
	char path[256]; /* scratch for path_in */
	tr_error err;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/tranche-test-storage-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	*state = f;
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
	int rc = nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);

	free(f);
	return rc;
}

/* f->dir/rel, in f->path (overwritten by the next call). */
static const char *path_in(struct fixture *f, const char *rel)
{
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, rel);
	return f->path;
}

static tr_storage *open_in(struct fixture *f, const char *rel)
{
	char url[300];
	tr_storage *st = NULL;

	snprintf(url, sizeof(url), "sqlite:%s/%s", f->dir, rel);
	assert_ok(tr_storage_open(url, &st, &f->err), &f->err);
	assert_non_null(st);
	return st;
}

/* Runs SQL on the file with a plain SQLite connection, as another program would. */
static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* The first column of the first row of sql, as text, into buf. */
static void raw_query(const char *path, const char *sql, char *buf, size_t size)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	snprintf(buf, size, "%s", (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	sqlite3_close(db);
}

/* KEYS("a", "b") expands to two arguments: the array and its length. */
#define KEYS(...)                                                                      \
	((const char *const[]){__VA_ARGS__}),                                          \
		(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static void assert_add(tr_storage *st, const char *name, size_t expected_changed,
		       const char *const *keys, size_t key_count)
{
	tr_error err = {0};
	size_t changed = 99;

	assert_ok(tr_storage_dynamic_add(st, name, keys, key_count, &changed, &err), &err);
	assert_int_equal(changed, expected_changed);
}

static void assert_delete(tr_storage *st, const char *name, size_t expected_changed,
			  const char *const *keys, size_t key_count)
{
	tr_error err = {0};
	size_t changed = 99;

	assert_ok(tr_storage_dynamic_delete(st, name, keys, key_count, &changed, &err), &err);
	assert_int_equal(changed, expected_changed);
}

static void assert_strv(char **actual, size_t actual_count, const char *const *expected,
			size_t expected_count)
{
	size_t i = 0;

	assert_int_equal(actual_count, expected_count);
	for (i = 0; i < expected_count; i++)
		assert_string_equal(actual[i], expected[i]);
}

static void assert_keys(tr_storage *st, const char *name, const char *const *expected,
			size_t expected_count)
{
	tr_error err = {0};
	char **keys = NULL;
	size_t count = 99;

	assert_ok(tr_storage_dynamic_keys(st, name, &keys, &count, &err), &err);
	assert_strv(keys, count, expected, expected_count);
	tr_strv_free(keys, count);
}

static void assert_names(tr_storage *st, const char *const *expected, size_t expected_count)
{
	tr_error err = {0};
	char **names = NULL;
	size_t count = 99;

	assert_ok(tr_storage_dynamic_names(st, &names, &count, &err), &err);
	assert_strv(names, count, expected, expected_count);
	tr_strv_free(names, count);
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("\"%s\" does not contain \"%s\"", haystack, needle);
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* ---- opening ---- */

static void test_open_creates_dirs_and_schema(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "a/b/c/instance.db");
	struct stat sb;
	char text[64];
	int version = 0;

	assert_int_equal(stat(path_in(f, "a/b/c/instance.db"), &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_ok(tr_storage_schema_version(st, &version, &f->err), &f->err);
	assert_true(version >= 1);
	raw_query(f->path, "PRAGMA journal_mode", text, sizeof(text));
	assert_string_equal(text, "wal");
	raw_query(f->path, "SELECT count(*) FROM sqlite_master WHERE name = 'dynamic_partitions'",
		  text, sizeof(text));
	assert_string_equal(text, "1");
	raw_query(f->path, "PRAGMA user_version", text, sizeof(text));
	assert_int_equal(atoi(text), version);
	tr_storage_close(st);
	tr_storage_close(NULL);
}

static void test_open_url_forms(void **state)
{
	struct fixture *f = *state;
	char url[300];
	tr_storage *st = NULL;

	/* A bare path, a scheme in capitals, and sqlite:///absolute all name files. */
	assert_ok(tr_storage_open(path_in(f, "bare.db"), &st, &f->err), &f->err);
	assert_add(st, "s", 1, KEYS("k"));
	tr_storage_close(st);
	snprintf(url, sizeof(url), "SQLite:%s/bare.db", f->dir);
	assert_ok(tr_storage_open(url, &st, &f->err), &f->err);
	assert_keys(st, "s", KEYS("k"));
	tr_storage_close(st);
	snprintf(url, sizeof(url), "sqlite://%s/bare.db", f->dir);
	assert_ok(tr_storage_open(url, &st, &f->err), &f->err);
	assert_keys(st, "s", KEYS("k"));
	tr_storage_close(st);
}

static void test_in_memory(void **state)
{
	struct fixture *f = *state;
	tr_storage *a = NULL, *b = NULL;

	assert_ok(tr_storage_open("sqlite::memory:", &a, &f->err), &f->err);
	assert_ok(tr_storage_open("sqlite::memory:", &b, &f->err), &f->err);
	assert_add(a, "s", 2, KEYS("x", "y"));
	assert_keys(a, "s", KEYS("x", "y"));
	assert_keys(b, "s", NULL, 0); /* each in-memory store is private */
	tr_storage_close(a);
	tr_storage_close(b);
}

static void test_reopen_keeps_data(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	int before = 0, after = 0;

	assert_add(st, "colors", 3, KEYS("red", "green", "blue"));
	assert_ok(tr_storage_schema_version(st, &before, &f->err), &f->err);
	tr_storage_close(st);
	st = open_in(f, "instance.db");
	assert_keys(st, "colors", KEYS("red", "green", "blue"));
	assert_ok(tr_storage_schema_version(st, &after, &f->err), &f->err);
	assert_int_equal(before, after);
	tr_storage_close(st);
}

static void expect_url_refused(const char *url, const char *expect1, const char *expect2)
{
	tr_error err = {0};
	tr_storage *st = (tr_storage *)&err; /* any non-NULL value: it must be reset */

	assert_int_equal(tr_storage_open(url, &st, &err), TR_EINVAL);
	assert_null(st);
	assert_int_equal(err.code, TR_EINVAL);
	assert_contains(err.msg, expect1);
	assert_contains(err.msg, expect2);
}

static void test_refused_urls(void **state)
{
	tr_error err = {0};
	tr_storage *st = NULL;

	(void)state;
	expect_url_refused("", "empty", "sqlite:PATH");
	expect_url_refused("postgres://alice:s3cret@db.example.com/tranche", "only sqlite:",
			   "postgres://alice:***@db.example.com/tranche");
	expect_url_refused("postgresql://db.example.com/tranche", "PostgreSQL", "only sqlite:");
	expect_url_refused("mysql://x", "\"mysql://x\"", "sqlite:PATH");
	expect_url_refused("data:2024.db", "unknown scheme \"data:\"", "sqlite:NAME");
	expect_url_refused("sqlite:", "no path", "sqlite:PATH");
	expect_url_refused("sqlite://host/x.db", "not a host", "sqlite:/absolute");

	/* A password is never repeated in a message. */
	assert_int_equal(tr_storage_open("postgres://alice:s3cret@h/db", &st, &err), TR_EINVAL);
	assert_null(strstr(err.msg, "s3cret"));
	assert_int_equal(tr_storage_open(NULL, &st, &err), TR_EINVAL);
	assert_int_equal(tr_storage_open("sqlite::memory:", NULL, &err), TR_EINVAL);
	assert_int_equal(tr_storage_open("", &st, NULL), TR_EINVAL); /* err is optional */
}

static void test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	char url[300];

	tr_storage_close(st);
	raw_exec(path_in(f, "instance.db"), "PRAGMA user_version = 999");
	snprintf(url, sizeof(url), "sqlite:%s", f->path);
	st = (tr_storage *)f;
	assert_int_equal(tr_storage_open(url, &st, &f->err), TR_EIO);
	assert_null(st);
	assert_contains(f->err.msg, f->path);
	assert_contains(f->err.msg, "999");
	assert_contains(f->err.msg, "written by a newer tranche");
}

static void test_foreign_database_refused(void **state)
{
	struct fixture *f = *state;
	char text[64];
	tr_storage *st = NULL;

	raw_exec(path_in(f, "theirs.db"), "CREATE TABLE sales (id INTEGER)");
	assert_int_equal(tr_storage_open(f->path, &st, &f->err), TR_EIO);
	assert_null(st);
	assert_contains(f->err.msg, "not a tranche instance database");
	/* Refused before anything was written into it. */
	raw_query(f->path, "SELECT count(*) FROM sqlite_master", text, sizeof(text));
	assert_string_equal(text, "1");
}

static void test_unusable_paths(void **state)
{
	struct fixture *f = *state;
	char block[4096];
	tr_storage *st = NULL;
	int fd = -1;

	/* A directory where the file should be. */
	assert_int_equal(mkdir(path_in(f, "dir.db"), 0777), 0);
	assert_int_equal(tr_storage_open(f->path, &st, &f->err), TR_EIO);
	assert_null(st);
	assert_contains(f->err.msg, f->path);
	assert_contains(f->err.msg, "is a directory");

	/* A file where a parent directory should be. */
	fd = open(path_in(f, "plain"), O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(tr_storage_open(path_in(f, "plain/x.db"), &st, &f->err), TR_EIO);
	assert_contains(f->err.msg, "not a directory");

	/* A file that is not a database. */
	memset(block, 'x', sizeof(block));
	fd = open(path_in(f, "junk.db"), O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, block, sizeof(block)), (ssize_t)sizeof(block));
	close(fd);
	assert_int_equal(tr_storage_open(f->path, &st, &f->err), TR_EIO);
	assert_contains(f->err.msg, f->path);
	assert_contains(f->err.msg, "not a database");
}

/* ---- dynamic partitions ---- */

static void test_add_delete_idempotent(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");

	assert_add(st, "s", 3, KEYS("a", "b", "c"));
	assert_add(st, "s", 1, KEYS("b", "c", "d"));
	assert_add(st, "s", 0, KEYS("a", "b", "c", "d"));
	assert_add(st, "s", 1, KEYS("e", "e", "e")); /* a key given twice counts once */
	assert_keys(st, "s", KEYS("a", "b", "c", "d", "e"));
	assert_delete(st, "s", 1, KEYS("a", "zz"));
	assert_delete(st, "s", 0, KEYS("a"));
	assert_delete(st, "s", 2, KEYS("b", "b", "c"));
	assert_delete(st, "nothing-here", 0, KEYS("d"));
	assert_add(st, "s", 0, NULL, 0);
	assert_delete(st, "s", 0, NULL, 0);
	assert_keys(st, "s", KEYS("d", "e"));
	/* changed is optional */
	assert_ok(tr_storage_dynamic_add(st, "s", KEYS("f"), NULL, &f->err), &f->err);
	assert_ok(tr_storage_dynamic_delete(st, "s", KEYS("d"), NULL, &f->err), &f->err);
	assert_keys(st, "s", KEYS("e", "f"));
	tr_storage_close(st);
}

static void test_order_rules(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");

	assert_add(st, "s", 3, KEYS("c", "a", "b")); /* order of addition, not sorted */
	assert_keys(st, "s", KEYS("c", "a", "b"));
	assert_add(st, "s", 1, KEYS("a", "d")); /* a keeps its place */
	assert_keys(st, "s", KEYS("c", "a", "b", "d"));
	assert_delete(st, "s", 1, KEYS("a"));
	assert_add(st, "s", 1, KEYS("a")); /* deleted then re-added: last */
	assert_keys(st, "s", KEYS("c", "b", "d", "a"));
	assert_delete(st, "s", 1, KEYS("a")); /* the last one deleted, then re-added */
	assert_add(st, "s", 2, KEYS("e", "a"));
	assert_keys(st, "s", KEYS("c", "b", "d", "e", "a"));
	assert_delete(st, "s", 5, KEYS("a", "b", "c", "d", "e"));
	assert_add(st, "s", 2, KEYS("b", "a"));
	assert_keys(st, "s", KEYS("b", "a"));
	tr_storage_close(st);
	st = open_in(f, "instance.db"); /* the order is stored, not kept in memory */
	assert_keys(st, "s", KEYS("b", "a"));
	tr_storage_close(st);
}

static void test_names_independent(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");

	assert_names(st, NULL, 0);
	assert_keys(st, "unknown", NULL, 0);
	assert_add(st, "tickers", 2, KEYS("IBM", "AAPL"));
	assert_add(st, "regions", 2, KEYS("eu", "us"));
	assert_add(st, "Zeta", 2, KEYS("AAPL", "IBM")); /* same keys, other set, own order */
	assert_delete(st, "tickers", 1, KEYS("IBM"));
	assert_keys(st, "tickers", KEYS("AAPL"));
	assert_keys(st, "Zeta", KEYS("AAPL", "IBM"));
	assert_keys(st, "regions", KEYS("eu", "us"));
	assert_names(st, KEYS("Zeta", "regions", "tickers")); /* bytewise: capitals first */
	assert_delete(st, "regions", 2, KEYS("eu", "us")); /* an emptied set is not listed */
	assert_names(st, KEYS("Zeta", "tickers"));
	/* Names and keys are taken as given: spaces, '|', quotes, UTF-8. */
	assert_add(st, "a name; DROP TABLE x", 3, KEYS("it's", "2024-01-31|IBM", "Zürich"));
	assert_keys(st, "a name; DROP TABLE x", KEYS("it's", "2024-01-31|IBM", "Zürich"));
	assert_names(st, KEYS("Zeta", "a name; DROP TABLE x", "tickers"));
	tr_storage_close(st);
}

static void test_invalid_arguments(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	char **keys = NULL;
	size_t count = 7, changed = 7;

	assert_int_equal(tr_storage_dynamic_add(st, NULL, KEYS("a"), &changed, &f->err), TR_EINVAL);
	assert_int_equal(changed, 0);
	assert_int_equal(tr_storage_dynamic_add(st, "", KEYS("a"), NULL, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "name is empty");
	assert_int_equal(tr_storage_dynamic_delete(st, "", KEYS("a"), NULL, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_dynamic_keys(st, "", &keys, &count, &f->err), TR_EINVAL);
	assert_null(keys);
	assert_int_equal(count, 0);
	assert_int_equal(tr_storage_dynamic_keys(st, NULL, &keys, &count, &f->err), TR_EINVAL);

	/* One bad key refuses the whole call: nothing is written. */
	assert_int_equal(tr_storage_dynamic_add(st, "s", KEYS("a", "b", "", "c"), NULL, &f->err),
			 TR_EINVAL);
	assert_contains(f->err.msg, "\"s\": key at index 2 (of 4) is empty");
	assert_int_equal(tr_storage_dynamic_add(st, "s", KEYS("a", NULL), NULL, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "is NULL");
	assert_int_equal(tr_storage_dynamic_add(st, "s", NULL, 2, NULL, &f->err), TR_EINVAL);
	assert_keys(st, "s", NULL, 0);
	assert_add(st, "s", 2, KEYS("a", "b"));
	assert_int_equal(tr_storage_dynamic_delete(st, "s", KEYS("a", ""), NULL, &f->err), TR_EINVAL);
	assert_keys(st, "s", KEYS("a", "b"));

	assert_int_equal(tr_storage_dynamic_add(NULL, "s", KEYS("a"), NULL, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_dynamic_names(NULL, &keys, &count, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_schema_version(st, NULL, NULL), TR_EINVAL);
	tr_storage_close(st);
}

/* A database error part-way through an add leaves nothing behind, and the handle usable. */
static void test_add_is_atomic_on_database_error(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	tr_storage *other = NULL;
	size_t changed = 7;

	raw_exec(path_in(f, "instance.db"),
		 "CREATE TRIGGER refuse_boom BEFORE INSERT ON dynamic_partitions "
		 "WHEN NEW.key = 'boom' BEGIN SELECT RAISE(ABORT, 'boom is refused'); END");
	assert_int_equal(tr_storage_dynamic_add(st, "s", KEYS("a", "b", "boom", "c"), &changed,
						&f->err),
			 TR_EIO);
	assert_int_equal(changed, 0);
	assert_contains(f->err.msg, f->path);
	assert_contains(f->err.msg, "\"s\"");
	assert_contains(f->err.msg, "boom is refused");
	assert_keys(st, "s", NULL, 0);
	/* No transaction was left open: this handle and another one can write. */
	assert_add(st, "s", 2, KEYS("a", "b"));
	other = open_in(f, "instance.db");
	assert_add(other, "s", 1, KEYS("c"));
	assert_keys(st, "s", KEYS("a", "b", "c"));
	tr_storage_close(other);
	tr_storage_close(st);
}

#define MANY 100000
#if defined(__SANITIZE_ADDRESS__)
#define MANY_SECONDS_MAX 10.0 /* ASan makes every allocation in SQLite slower */
#else
#define MANY_SECONDS_MAX 2.0
#endif

static void test_many_keys(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	char *text = malloc((size_t)MANY * 16);
	const char **keys = malloc((size_t)MANY * sizeof(*keys));
	char **listed = NULL;
	size_t i = 0, count = 0, changed = 0;
	struct timespec start;
	double add_s = 0, list_s = 0, readd_s = 0, delete_s = 0;

	assert_non_null(text);
	assert_non_null(keys);
	for (i = 0; i < MANY; i++) {
		/* Descending, so that the listing order cannot come from sorting. */
		snprintf(text + i * 16, 16, "key-%06zu", (size_t)MANY - i);
		keys[i] = text + i * 16;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_ok(tr_storage_dynamic_add(st, "big", keys, MANY, &changed, &f->err), &f->err);
	add_s = seconds_since(&start);
	assert_int_equal(changed, MANY);

	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_ok(tr_storage_dynamic_keys(st, "big", &listed, &count, &f->err), &f->err);
	list_s = seconds_since(&start);
	assert_strv(listed, count, keys, MANY);
	tr_strv_free(listed, count);

	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_ok(tr_storage_dynamic_add(st, "big", keys, MANY, &changed, &f->err), &f->err);
	readd_s = seconds_since(&start);
	assert_int_equal(changed, 0);
	assert_add(st, "small", 1, KEYS("x"));
	assert_names(st, KEYS("big", "small"));

	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_ok(tr_storage_dynamic_delete(st, "big", keys, MANY, &changed, &f->err), &f->err);
	delete_s = seconds_since(&start);
	assert_int_equal(changed, MANY);
	assert_names(st, KEYS("small"));

	printf("# %d keys: add %.3f s, list %.3f s, re-add %.3f s, delete %.3f s\n", MANY, add_s,
	       list_s, readd_s, delete_s);
	/* Expected well under a second (about 0.2 s); the bounds leave room for busy machines. */
	assert_true(add_s < MANY_SECONDS_MAX);
	assert_true(list_s < MANY_SECONDS_MAX);
	tr_storage_close(st);
	free(keys);
	free(text);
}

/* ---- two processes on one file ---- */

#define BATCHES 100
#define BATCH 50

/*
 * Adds batch number `batch` of BATCH keys "<prefix>-NNNNN" to "shared", then
 * pauses a moment as a real writer would: SQLite's busy wait is not fair, and
 * back-to-back writes from one process would mostly run before the other's.
 * Returns NULL or a message.
 */
static const char *add_batch(tr_storage *st, const char *prefix, int batch, tr_error *err)
{
	const struct timespec pause = {0, 500 * 1000};
	char text[BATCH][24];
	const char *keys[BATCH];
	size_t changed = 0;
	int i = 0;

	for (i = 0; i < BATCH; i++) {
		snprintf(text[i], sizeof(text[i]), "%s-%05d", prefix, batch * BATCH + i);
		keys[i] = text[i];
	}
	if (tr_storage_dynamic_add(st, "shared", keys, BATCH, &changed, err) != 0)
		return err->msg;
	nanosleep(&pause, NULL);
	return changed == BATCH ? NULL : "changed != BATCH";
}

/*
 * A listing seen while both processes write: each writer's keys appear in
 * its own order, from 0 with no gap, in whole batches (never half an add).
 */
static void check_snapshot(char **keys, size_t count)
{
	int next_child = 0, next_parent = 0;
	size_t i = 0;

	for (i = 0; i < count; i++) {
		int *next = keys[i][0] == 'c' ? &next_child : &next_parent;

		assert_int_equal(atoi(keys[i] + 2), *next);
		(*next)++;
	}
	assert_int_equal(next_child % BATCH, 0);
	assert_int_equal(next_parent % BATCH, 0);
}

static void test_two_processes(void **state)
{
	struct fixture *f = *state;
	char url[300];
	tr_storage *st = NULL;
	char **keys = NULL;
	size_t count = 0, i = 0;
	int batch = 0, status = 0, listings = 0, switches = 0;
	int ready[2], go[2];
	char byte = 0;
	pid_t child = 0;

	tr_storage_close(open_in(f, "shared.db")); /* both then open an existing file */
	snprintf(url, sizeof(url), "sqlite:%s/shared.db", f->dir);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* The child: its own handle, no cmocka; the exit status is the result. */
		tr_error err = {0};
		const char *failure = NULL;

		if (tr_storage_open(url, &st, &err) != 0) {
			fprintf(stderr, "child: %s\n", err.msg);
			_exit(2);
		}
		/* Start together with the parent, both handles open. */
		if (write(ready[1], "r", 1) != 1 || read(go[0], &byte, 1) != 1)
			_exit(3);
		for (batch = 0; batch < BATCHES && !failure; batch++)
			failure = add_batch(st, "c", batch, &err);
		if (failure)
			fprintf(stderr, "child: %s\n", failure);
		tr_storage_close(st);
		_exit(failure ? 1 : 0);
	}
	assert_ok(tr_storage_open(url, &st, &f->err), &f->err);
	assert_int_equal(read(ready[0], &byte, 1), 1);
	assert_int_equal(write(go[1], "g", 1), 1);
	for (batch = 0; batch < BATCHES; batch++) {
		const char *failure = add_batch(st, "p", batch, &f->err);

		if (failure)
			fail_msg("parent: %s", failure);
		assert_ok(tr_storage_dynamic_keys(st, "shared", &keys, &count, &f->err), &f->err);
		check_snapshot(keys, count);
		tr_strv_free(keys, count);
		listings++;
	}
	/* Keep reading while the child may still be writing. */
	while (waitpid(child, &status, WNOHANG) == 0) {
		assert_ok(tr_storage_dynamic_keys(st, "shared", &keys, &count, &f->err), &f->err);
		check_snapshot(keys, count);
		tr_strv_free(keys, count);
		listings++;
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_ok(tr_storage_dynamic_keys(st, "shared", &keys, &count, &f->err), &f->err);
	check_snapshot(keys, count);
	assert_int_equal(count, 2 * BATCHES * BATCH);
	for (i = 1; i < count; i++)
		switches += keys[i][0] != keys[i - 1][0];
	tr_strv_free(keys, count);
	printf("# two processes: %d listings, %d + %d adds interleaved %d times\n", listings,
	       BATCHES, BATCHES, switches);
	tr_storage_close(st);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
}

/* Several processes opening a file that does not exist yet: one migrates, none fails. */
static void test_concurrent_first_open(void **state)
{
	struct fixture *f = *state;
	enum { OPENERS = 4 };
	char url[300], **keys = NULL;
	pid_t children[OPENERS];
	size_t count = 0;
	int go[2], i = 0, status = 0, version = 0, failed = 0;
	tr_storage *st = NULL;

	snprintf(url, sizeof(url), "sqlite:%s/new/instance.db", f->dir);
	assert_int_equal(pipe(go), 0);
	for (i = 0; i < OPENERS; i++) {
		children[i] = fork();
		assert_true(children[i] >= 0);
		if (children[i] == 0) {
			tr_error err = {0};
			char key[32];
			const char *keyp = key;
			char byte = 0;
			int rc = 0;

			close(go[1]);
			if (read(go[0], &byte, 1) != 0) /* EOF: the parent let everyone go */
				_exit(3);
			snprintf(key, sizeof(key), "opener-%d", i);
			rc = tr_storage_open(url, &st, &err);
			if (rc == 0)
				rc = tr_storage_dynamic_add(st, "s", &keyp, 1, NULL, &err);
			if (rc)
				fprintf(stderr, "opener %d: %s\n", i, err.msg);
			tr_storage_close(st);
			_exit(rc ? 1 : 0);
		}
	}
	close(go[0]);
	close(go[1]); /* all children read EOF at once */
	for (i = 0; i < OPENERS; i++) /* all of them, before any assertion ends the test */
		if (waitpid(children[i], &status, 0) != children[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			failed++;
	assert_int_equal(failed, 0);
	assert_ok(tr_storage_open(url, &st, &f->err), &f->err);
	assert_ok(tr_storage_schema_version(st, &version, &f->err), &f->err);
	assert_true(version >= 1);
	assert_ok(tr_storage_dynamic_keys(st, "s", &keys, &count, &f->err), &f->err);
	assert_int_equal(count, OPENERS);
	tr_strv_free(keys, count);
	tr_storage_close(st);
}

/* ---- schema migration ---- */

/* The version-1 schema, as migrations[0] in src/storage/sqlite.c wrote it. */
static const char v1_schema[] =
	"CREATE TABLE dynamic_partitions (\n"
	"  name     TEXT NOT NULL CHECK (name <> ''),\n"
	"  key      TEXT NOT NULL CHECK (key <> ''),\n"
	"  seq      INTEGER NOT NULL,  -- place within name: order of addition\n"
	"  added_at TEXT NOT NULL,     -- UTC, 2024-01-31T12:00:00Z\n"
	"  PRIMARY KEY (name, key)\n"
	") WITHOUT ROWID;\n"
	"CREATE UNIQUE INDEX dynamic_partitions_order ON dynamic_partitions (name, seq);\n"
	"INSERT INTO dynamic_partitions VALUES ('tickers', 'IBM', 1, '2024-01-01T00:00:00Z'),"
	" ('tickers', 'AAPL', 2, '2024-01-01T00:00:00Z');\n"
	"PRAGMA application_id = 1414680131;\n" /* 0x54524e43, "TRNC" */
	"PRAGMA user_version = 1;\n";

static void test_migration_from_v1(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = NULL;
	char text[64];
	int version = 0;
	int64_t id = 0;
	tr_run run = {0};

	raw_exec(path_in(f, "v1.db"), v1_schema);
	st = open_in(f, "v1.db");
	assert_ok(tr_storage_schema_version(st, &version, &f->err), &f->err);
	assert_int_equal(version, SCHEMA_LATEST);
	assert_keys(st, "tickers", KEYS("IBM", "AAPL"));
	assert_add(st, "tickers", 1, KEYS("MSFT"));
	assert_keys(st, "tickers", KEYS("IBM", "AAPL", "MSFT"));
	assert_ok(tr_storage_run_create(st, &run, &id, &f->err), &f->err);
	assert_int_equal(id, 1);
	tr_storage_close(st);
	raw_query(path_in(f, "v1.db"),
		  "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
		  " ('runs', 'events', 'partition_status', 'check_status')",
		  text, sizeof(text));
	assert_string_equal(text, "4");
	raw_query(f->path, "PRAGMA user_version", text, sizeof(text));
	assert_int_equal(atoi(text), SCHEMA_LATEST);
	/* Opening again does not migrate again. */
	st = open_in(f, "v1.db");
	assert_keys(st, "tickers", KEYS("IBM", "AAPL", "MSFT"));
	tr_storage_close(st);
}

/* ---- runs ---- */

static tr_run run_template(const char *selection)
{
	tr_run r;

	memset(&r, 0, sizeof(r));
	r.selection = (char *)selection;
	r.partitions = "2024-01...2024-03";
	r.launched_by = "cli (alice@box)";
	r.host = "box.example";
	r.pid = 4242;
	r.created_at = 1700000000000;
	r.steps_total = 3;
	return r;
}

static int64_t create_run(tr_storage *st, tr_run r)
{
	tr_error err = {0};
	int64_t id = 0;

	assert_ok(tr_storage_run_create(st, &r, &id, &err), &err);
	assert_true(id > 0);
	return id;
}

static void finish_run(tr_storage *st, int64_t id, const char *status)
{
	tr_error err = {0};
	tr_run r;

	memset(&r, 0, sizeof(r));
	r.status = (char *)status;
	r.ended_at = 1700000009000;
	assert_ok(tr_storage_run_finish(st, id, &r, &err), &err);
}

static void test_runs(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	tr_run r = run_template("monthly_sales+"), got, *runs = NULL;
	int64_t id1 = 0, id2 = 0, id3 = 0;
	size_t n = 0;
	char host[256];

	id1 = create_run(st, r);
	assert_int_equal(id1, 1);
	r.selection = "daily_prices";
	r.partitions = NULL; /* stored as "" */
	id2 = create_run(st, r);
	assert_int_equal(id2, 2);

	assert_ok(tr_storage_run_get(st, id1, &got, &f->err), &f->err);
	assert_int_equal(got.id, id1);
	assert_string_equal(got.status, "started");
	assert_string_equal(got.selection, "monthly_sales+");
	assert_string_equal(got.partitions, "2024-01...2024-03");
	assert_string_equal(got.launched_by, "cli (alice@box)");
	assert_string_equal(got.host, "box.example");
	assert_int_equal(got.pid, 4242);
	assert_int_equal(got.created_at, 1700000000000);
	assert_int_equal(got.ended_at, 0);
	assert_int_equal(got.steps_total, 3);
	assert_int_equal(got.steps_succeeded, 0);
	assert_null(got.error);
	tr_run_release(&got);
	assert_null(got.status);

	/* Finish: status, ended_at, counters and error. */
	memset(&r, 0, sizeof(r));
	r.status = "failure";
	r.ended_at = 1700000005000;
	r.steps_total = 3;
	r.steps_succeeded = 1;
	r.steps_failed = 1;
	r.steps_skipped = 1;
	r.error = "monthly_sales 2024-02: division by zero";
	assert_ok(tr_storage_run_finish(st, id1, &r, &f->err), &f->err);
	assert_ok(tr_storage_run_get(st, id1, &got, &f->err), &f->err);
	assert_string_equal(got.status, "failure");
	assert_int_equal(got.ended_at, 1700000005000);
	assert_int_equal(got.steps_succeeded, 1);
	assert_int_equal(got.steps_failed, 1);
	assert_int_equal(got.steps_skipped, 1);
	assert_string_equal(got.error, "monthly_sales 2024-02: division by zero");
	tr_run_release(&got);

	/* Newest first, with a limit. */
	assert_ok(tr_storage_runs_list(st, 0, &runs, &n, &f->err), &f->err);
	assert_int_equal(n, 2);
	assert_int_equal(runs[0].id, id2);
	assert_string_equal(runs[0].selection, "daily_prices");
	assert_string_equal(runs[0].partitions, "");
	assert_int_equal(runs[1].id, id1);
	tr_runs_free(runs, n);
	assert_ok(tr_storage_runs_list(st, 1, &runs, &n, &f->err), &f->err);
	assert_int_equal(n, 1);
	assert_int_equal(runs[0].id, id2);
	tr_runs_free(runs, n);

	/* Ids are never reused, even when the newest run's row is gone. */
	tr_storage_close(st);
	raw_exec(path_in(f, "instance.db"), "DELETE FROM runs WHERE id = 2");
	st = open_in(f, "instance.db");
	memset(&r, 0, sizeof(r)); /* host and pid default to this machine and process */
	id3 = create_run(st, r);
	assert_int_equal(id3, 3);
	assert_ok(tr_storage_run_get(st, id3, &got, &f->err), &f->err);
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	assert_string_equal(got.host, host);
	assert_int_equal(got.pid, getpid());
	assert_string_equal(got.selection, "");
	tr_run_release(&got);

	/* Unknown runs. */
	memset(&got, 0x5a, sizeof(got));
	assert_int_equal(tr_storage_run_get(st, 2, &got, &f->err), TR_ENOTFOUND);
	assert_null(got.status);
	assert_contains(f->err.msg, f->path);
	assert_contains(f->err.msg, "there is no run 2 (runs are 1 to 3)");
	assert_int_equal(tr_storage_run_get(st, 99, &got, &f->err), TR_ENOTFOUND);
	r.status = "success";
	assert_int_equal(tr_storage_run_finish(st, 99, &r, &f->err), TR_ENOTFOUND);
	assert_contains(f->err.msg, "finishing run 99");
	tr_storage_close(st);
}

static void test_runs_invalid_arguments(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	tr_run r = run_template("a"), got, *runs = (tr_run *)f;
	int64_t id = 7;
	size_t n = 7;

	assert_int_equal(tr_storage_run_create(NULL, &r, &id, &f->err), TR_EINVAL);
	assert_int_equal(id, 0);
	assert_int_equal(tr_storage_run_create(st, NULL, &id, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_run_create(st, &r, NULL, &f->err), TR_EINVAL);
	r.pid = -1;
	assert_int_equal(tr_storage_run_create(st, &r, &id, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "pid -1");
	r.pid = 1;
	id = create_run(st, r);

	memset(&r, 0, sizeof(r));
	r.status = "done";
	assert_int_equal(tr_storage_run_finish(st, id, &r, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "\"done\"");
	assert_contains(f->err.msg, "success, failure, canceled");
	r.status = "started"; /* not an end */
	assert_int_equal(tr_storage_run_finish(st, id, &r, &f->err), TR_EINVAL);
	r.status = NULL;
	assert_int_equal(tr_storage_run_finish(st, id, &r, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "success, failure, canceled");
	r.status = "success";
	r.steps_failed = -2;
	assert_int_equal(tr_storage_run_finish(st, id, &r, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_run_finish(NULL, id, &r, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_run_finish(st, id, NULL, &f->err), TR_EINVAL);
	assert_ok(tr_storage_run_get(st, id, &got, &f->err), &f->err);
	assert_string_equal(got.status, "started"); /* nothing was written */
	tr_run_release(&got);

	assert_int_equal(tr_storage_run_get(st, id, NULL, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_run_get(NULL, id, &got, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_runs_list(NULL, 0, &runs, &n, &f->err), TR_EINVAL);
	assert_null(runs);
	assert_int_equal(n, 0);
	assert_int_equal(tr_storage_runs_list(st, 0, NULL, &n, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_runs_reap(NULL, 0, NULL, &f->err), TR_EINVAL);
	tr_run_release(NULL);
	tr_runs_free(NULL, 0);
	tr_storage_close(st);
}

/* ---- events ---- */

/* An event literal: EV(type, run, asset, partition). */
static tr_event ev_make(const char *type, int64_t run_id, const char *asset, const char *partition)
{
	tr_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.run_id = run_id;
	ev.asset = asset;
	ev.partition = partition;
	ev.ts = 1700000000000 + run_id * 1000;
	return ev;
}

static void add_events(tr_storage *st, const tr_event *evs, size_t n)
{
	tr_error err = {0};

	assert_ok(tr_storage_events_add(st, evs, n, &err), &err);
}

static void add_one(tr_storage *st, const char *type, int64_t run_id, const char *asset,
		    const char *partition)
{
	tr_event ev = ev_make(type, run_id, asset, partition);

	add_events(st, &ev, 1);
}

static size_t count_events(tr_storage *st, int64_t run_id, const char *asset)
{
	tr_error err = {0};
	tr_event_rec *evs = NULL;
	size_t n = 0;

	assert_ok(tr_storage_events_list(st, run_id, asset, 0, 0, &evs, &n, &err), &err);
	tr_event_recs_free(evs, n);
	return n;
}

static void test_events_list_filters(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	int64_t r1 = create_run(st, run_template("a+")), r2 = create_run(st, run_template("b"));
	tr_event evs[7];
	tr_event_rec *got = NULL;
	size_t n = 0;

	evs[0] = ev_make("run_start", r1, NULL, NULL);
	evs[1] = ev_make("step_start", r1, "a", "2024-01");
	evs[2] = ev_make("materialization", r1, "a", "2024-01");
	evs[2].data = "{\"rows\": 31, \"note\": \"it's fine\"}";
	evs[3] = ev_make("log", r1, "a", "2024-01");
	evs[3].message = "loaded 31 rows";
	evs[3].data = "{\"level\":\"info\"}";
	evs[4] = ev_make("run_start", r2, NULL, NULL);
	evs[5] = ev_make("materialization", r2, "b", "");
	evs[6] = ev_make("check", r2, "b", "");
	evs[6].check = "rows_positive";
	evs[6].data = "{\"passed\":true}";
	add_events(st, evs, 4);
	add_events(st, evs + 4, 3);
	add_one(st, "wipe", 0, "a", "2024-01"); /* of no run */

	/* Everything, oldest first, with every field back. */
	assert_ok(tr_storage_events_list(st, 0, NULL, 0, 0, &got, &n, &f->err), &f->err);
	assert_int_equal(n, 8);
	assert_int_equal(got[0].id, 1);
	assert_int_equal(got[7].id, 8);
	assert_string_equal(got[0].type, "run_start");
	assert_null(got[0].asset);
	assert_null(got[0].partition);
	assert_null(got[0].data);
	assert_string_equal(got[2].type, "materialization");
	assert_int_equal(got[2].run_id, r1);
	assert_int_equal(got[2].ts, 1700000000000 + r1 * 1000);
	assert_string_equal(got[2].asset, "a");
	assert_string_equal(got[2].partition, "2024-01");
	assert_string_equal(got[2].data, "{\"rows\": 31, \"note\": \"it's fine\"}");
	assert_string_equal(got[3].message, "loaded 31 rows");
	assert_string_equal(got[5].partition, "");
	assert_string_equal(got[6].check, "rows_positive");
	assert_int_equal(got[7].run_id, 0);
	assert_string_equal(got[7].type, "wipe");
	tr_event_recs_free(got, n);

	/* By run, by asset, by both, after an id, with a limit. */
	assert_int_equal(count_events(st, r1, NULL), 4);
	assert_int_equal(count_events(st, r2, NULL), 3);
	assert_int_equal(count_events(st, 0, "a"), 4);
	assert_int_equal(count_events(st, 0, "b"), 2);
	assert_int_equal(count_events(st, r1, "a"), 3);
	assert_int_equal(count_events(st, r2, "a"), 0);
	assert_int_equal(count_events(st, 99, NULL), 0);
	assert_int_equal(count_events(st, 0, "nope"), 0);
	assert_ok(tr_storage_events_list(st, 0, NULL, 3, 2, &got, &n, &f->err), &f->err);
	assert_int_equal(n, 2);
	assert_int_equal(got[0].id, 4);
	assert_int_equal(got[1].id, 5);
	tr_event_recs_free(got, n);
	assert_ok(tr_storage_events_list(st, r1, "a", 2, 0, &got, &n, &f->err), &f->err);
	assert_int_equal(n, 2);
	assert_int_equal(got[0].id, 3);
	assert_int_equal(got[1].id, 4);
	tr_event_recs_free(got, n);
	assert_ok(tr_storage_events_list(st, 0, NULL, 8, 0, &got, &n, &f->err), &f->err);
	assert_null(got);
	assert_int_equal(n, 0);

	/* Refused filters. */
	assert_int_equal(tr_storage_events_list(st, 0, "", 0, 0, &got, &n, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "asset name is empty");
	assert_int_equal(tr_storage_events_list(st, -1, NULL, 0, 0, &got, &n, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_events_list(st, 0, NULL, 0, 0, NULL, &n, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_events_list(NULL, 0, NULL, 0, 0, &got, &n, &f->err), TR_EINVAL);
	tr_storage_close(st);
}

/* ---- status ---- */

/* Asserts asset's status rows, given as "partition=status" strings in order. */
static void assert_status(tr_storage *st, const char *asset, const char *const *expected,
			  size_t expected_count)
{
	tr_error err = {0};
	tr_pstatus *rows = NULL;
	size_t n = 0, i = 0;
	char text[128];

	assert_ok(tr_storage_partition_status(st, asset, &rows, &n, &err), &err);
	if (n != expected_count)
		fail_msg("%s: %zu status rows, expected %zu", asset, n, expected_count);
	for (i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "%s=%s", rows[i].partition, rows[i].status);
		assert_string_equal(text, expected[i]);
	}
	tr_pstatus_free(rows, n);
}

/* The status row of asset/partition into *out (partition and status freed here). */
static void get_status(tr_storage *st, const char *asset, const char *partition, tr_pstatus *out)
{
	tr_error err = {0};
	tr_pstatus *rows = NULL;
	size_t n = 0, i = 0;

	assert_ok(tr_storage_partition_status(st, asset, &rows, &n, &err), &err);
	for (i = 0; i < n; i++)
		if (strcmp(rows[i].partition, partition) == 0)
			break;
	if (i == n)
		fail_msg("no status row for %s %s", asset, partition);
	*out = rows[i];
	out->partition = NULL;
	out->status = NULL;
	tr_pstatus_free(rows, n);
}

static void assert_counts(tr_storage *st, const char *asset, int64_t materialized,
			  int64_t failed, int64_t in_progress)
{
	tr_error err = {0};
	int64_t m = -1, fl = -1, ip = -1;

	assert_ok(tr_storage_status_counts(st, asset, &m, &fl, &ip, &err), &err);
	assert_int_equal(m, materialized);
	assert_int_equal(fl, failed);
	assert_int_equal(ip, in_progress);
}

static void test_status_transitions(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	int64_t r1 = create_run(st, run_template("a")), r2 = 0, r3 = 0;
	tr_pstatus row;
	tr_event_rec last;
	tr_event ev;

	/* Run 1: step_start -> in_progress, materialization -> materialized. */
	assert_status(st, "a", NULL, 0);
	add_one(st, "step_start", r1, "a", "p1");
	assert_status(st, "a", KEYS("p1=in_progress"));
	assert_counts(st, "a", 0, 0, 1);
	add_one(st, "materialization", r1, "a", "p1");
	add_one(st, "step_start", r1, "a", "p3");
	add_one(st, "materialization", r1, "a", "p3");
	assert_status(st, "a", KEYS("p1=materialized", "p3=materialized"));
	get_status(st, "a", "p1", &row);
	assert_int_equal(row.run_id, r1);
	assert_int_equal(row.event_id, 2);
	assert_int_equal(row.materialized_at, 1700000000000 + r1 * 1000);
	assert_int_equal(row.updated_at, row.materialized_at);
	finish_run(st, r1, "success");
	assert_status(st, "a", KEYS("p1=materialized", "p3=materialized"));

	/* Run 2: p1 fails; its last materialization stays known. */
	r2 = create_run(st, run_template("a"));
	add_one(st, "step_start", r2, "a", "p1");
	add_one(st, "step_failure", r2, "a", "p1");
	assert_status(st, "a", KEYS("p1=failed", "p3=materialized"));
	get_status(st, "a", "p1", &row);
	assert_int_equal(row.run_id, r2);
	assert_int_equal(row.materialized_at, 1700000000000 + r1 * 1000);
	assert_int_equal(row.updated_at, 1700000000000 + r2 * 1000);
	assert_ok(tr_storage_last_materialization(st, "a", "p1", &last, &f->err), &f->err);
	assert_int_equal(last.id, 2);
	assert_int_equal(last.run_id, r1);
	assert_string_equal(last.type, "materialization");
	tr_event_rec_release(&last);
	finish_run(st, r2, "failure");
	assert_counts(st, "a", 1, 1, 0);

	/* Run 3 starts p1 (failed), p2 (no row) and p3 (materialized), twice for p3
	 * (a retry), and is canceled: all three go back to what they were. */
	r3 = create_run(st, run_template("a"));
	add_one(st, "step_start", r3, "a", "p1");
	add_one(st, "step_start", r3, "a", "p2");
	add_one(st, "step_start", r3, "a", "p3");
	add_one(st, "step_start", r3, "a", "p3");
	add_one(st, "step_start", r3, "b", ""); /* an unpartitioned asset */
	assert_status(st, "a", KEYS("p1=in_progress", "p2=in_progress", "p3=in_progress"));
	assert_counts(st, "a", 0, 0, 3);
	assert_status(st, "b", KEYS("=in_progress"));
	finish_run(st, r3, "canceled");
	assert_status(st, "a", KEYS("p1=failed", "p3=materialized"));
	assert_status(st, "b", NULL, 0);
	assert_counts(st, "a", 1, 1, 0);
	get_status(st, "a", "p1", &row); /* the whole row is back, not just the status */
	assert_int_equal(row.run_id, r2);
	assert_int_equal(row.updated_at, 1700000000000 + r2 * 1000);
	assert_int_equal(row.event_id, 6);
	get_status(st, "a", "p3", &row);
	assert_int_equal(row.run_id, r1);
	assert_int_equal(row.event_id, 4);

	/* Another run's finish leaves a partition in progress in this one alone. */
	r2 = create_run(st, run_template("a"));
	r3 = create_run(st, run_template("a"));
	add_one(st, "step_start", r2, "a", "p2");
	finish_run(st, r3, "success");
	assert_status(st, "a", KEYS("p1=failed", "p2=in_progress", "p3=materialized"));
	add_one(st, "materialization", r2, "a", "p2");
	finish_run(st, r2, "success");
	assert_status(st, "a", KEYS("p1=failed", "p2=materialized", "p3=materialized"));

	/* Wipe: the row goes, and with it the last materialization. */
	add_one(st, "wipe", 0, "a", "p3");
	add_one(st, "wipe", 0, "a", "never-there");
	assert_status(st, "a", KEYS("p1=failed", "p2=materialized"));
	assert_counts(st, "a", 1, 1, 0);
	assert_int_equal(tr_storage_last_materialization(st, "a", "p3", &last, &f->err),
			 TR_ENOTFOUND);
	assert_contains(f->err.msg, "no materialization of asset \"a\" partition \"p3\"");
	assert_null(last.type);
	assert_int_equal(tr_storage_last_materialization(st, "a", "zz", &last, &f->err),
			 TR_ENOTFOUND);
	assert_ok(tr_storage_last_materialization(st, "a", "p2", &last, &f->err), &f->err);
	assert_int_equal(last.run_id, r2);
	tr_event_rec_release(&last);
	assert_counts(st, "nothing", 0, 0, 0);

	/* Materialized again after a wipe: materialized_at is the new one. */
	ev = ev_make("materialization", 0, "a", "p3");
	ev.ts = 1800000000000;
	add_events(st, &ev, 1);
	get_status(st, "a", "p3", &row);
	assert_int_equal(row.materialized_at, 1800000000000);
	assert_int_equal(row.run_id, 0);
	tr_storage_close(st);
}

static void test_status_invalid_arguments(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	tr_pstatus *rows = (tr_pstatus *)f;
	tr_check_status *checks = (tr_check_status *)f;
	tr_event_rec last;
	int64_t m = 5, fl = 5, ip = 5;
	size_t n = 5;

	assert_int_equal(tr_storage_partition_status(st, "", &rows, &n, &f->err), TR_EINVAL);
	assert_null(rows);
	assert_int_equal(n, 0);
	assert_int_equal(tr_storage_partition_status(st, NULL, &rows, &n, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_partition_status(st, "a", NULL, &n, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_partition_status(NULL, "a", &rows, &n, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_status_counts(st, "", &m, &fl, &ip, &f->err), TR_EINVAL);
	assert_true(m == 0 && fl == 0 && ip == 0);
	assert_int_equal(tr_storage_status_counts(st, "a", &m, NULL, &ip, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_last_materialization(st, "a", NULL, &last, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "partition is NULL");
	assert_int_equal(tr_storage_last_materialization(st, "", "p", &last, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_last_materialization(st, "a", "p", NULL, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_check_status(st, "", &checks, &n, &f->err), TR_EINVAL);
	assert_null(checks);
	assert_int_equal(tr_storage_check_status(NULL, NULL, &checks, &n, &f->err), TR_EINVAL);
	tr_pstatus_free(NULL, 0);
	tr_check_status_free(NULL, 0);
	tr_event_recs_free(NULL, 0);
	tr_event_rec_release(NULL);
	tr_storage_close(st);
}

/* ---- checks ---- */

static tr_event check_event(int64_t run_id, const char *asset, const char *check,
			    const char *partition, const char *data, const char *message)
{
	tr_event ev = ev_make("check", run_id, asset, partition);

	ev.check = check;
	ev.data = data;
	ev.message = message;
	return ev;
}

static void test_check_status(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	int64_t r1 = create_run(st, run_template("a")), r2 = create_run(st, run_template("a"));
	tr_event evs[5];
	tr_check_status *rows = NULL;
	size_t n = 0;

	evs[0] = check_event(r1, "a", "not_null", "p1", "{\"passed\":true,\"severity\":\"error\"}",
			     "0 failing rows");
	evs[1] = check_event(r1, "a", "not_null", "p2",
			     "{\"passed\":false,\"severity\":\"warn\",\"failing_rows\":3}",
			     "3 failing rows");
	evs[2] = check_event(r1, "a", "fresh", "p1", "{\"passed\":false}", NULL);
	evs[3] = check_event(r1, "b", "unique", "", "{\"passed\":true,\"severity\":\"warn\"}", NULL);
	add_events(st, evs, 4);
	/* The latest result replaces the one before. */
	evs[4] = check_event(r2, "a", "not_null", "p2", "{\"passed\":true,\"severity\":\"error\"}",
			     "fixed");
	add_events(st, evs + 4, 1);

	assert_ok(tr_storage_check_status(st, "a", &rows, &n, &f->err), &f->err);
	assert_int_equal(n, 3);
	assert_string_equal(rows[0].check, "fresh");
	assert_string_equal(rows[0].partition, "p1");
	assert_false(rows[0].passed);
	assert_string_equal(rows[0].severity, "error"); /* the default */
	assert_null(rows[0].message);
	assert_string_equal(rows[1].check, "not_null");
	assert_string_equal(rows[1].partition, "p1");
	assert_true(rows[1].passed);
	assert_string_equal(rows[2].partition, "p2");
	assert_true(rows[2].passed);
	assert_string_equal(rows[2].severity, "error");
	assert_string_equal(rows[2].message, "fixed");
	assert_int_equal(rows[2].run_id, r2);
	assert_int_equal(rows[2].ts, 1700000000000 + r2 * 1000);
	assert_string_equal(rows[2].asset, "a");
	tr_check_status_free(rows, n);

	assert_ok(tr_storage_check_status(st, NULL, &rows, &n, &f->err), &f->err);
	assert_int_equal(n, 4);
	assert_string_equal(rows[3].asset, "b");
	assert_string_equal(rows[3].check, "unique");
	assert_string_equal(rows[3].partition, "");
	assert_string_equal(rows[3].severity, "warn");
	tr_check_status_free(rows, n);
	assert_status(st, "a", NULL, 0); /* checks do not change a partition's status */

	/* A wipe of p1 takes its checks' results with it. */
	add_one(st, "wipe", 0, "a", "p1");
	assert_ok(tr_storage_check_status(st, "a", &rows, &n, &f->err), &f->err);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].partition, "p2");
	tr_check_status_free(rows, n);
	assert_ok(tr_storage_check_status(st, "nothing", &rows, &n, &f->err), &f->err);
	assert_null(rows);
	assert_int_equal(n, 0);
	tr_storage_close(st);
}

/* Adding evs must fail with code and a message holding expect; nothing is written. */
static void expect_events_refused(tr_storage *st, const tr_event *evs, size_t n, int code,
				  const char *expect)
{
	tr_error err = {0};
	size_t before = count_events(st, 0, NULL);

	assert_int_equal(tr_storage_events_add(st, evs, n, &err), code);
	assert_int_equal(err.code, code);
	assert_contains(err.msg, expect);
	assert_int_equal(count_events(st, 0, NULL), before);
}

static void test_events_refused(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	int64_t r1 = create_run(st, run_template("a"));
	tr_event evs[3], bad;
	tr_check_status *rows = NULL;
	size_t n = 0;

	evs[0] = ev_make("step_start", r1, "a", "p1");
	evs[1] = ev_make("materialisation", r1, "a", "p1"); /* the British spelling */
	evs[2] = ev_make("materialization", r1, "a", "p2");
	expect_events_refused(st, evs, 3, TR_EINVAL,
			      "event 1 (of 3): type \"materialisation\" is not an event type");
	expect_events_refused(st, evs, 3, TR_EINVAL, "valid types: run_start,");
	expect_events_refused(st, evs, 3, TR_EINVAL, "materialization, check, wipe, log");
	assert_status(st, "a", NULL, 0);

	bad = ev_make(NULL, r1, "a", "p1");
	expect_events_refused(st, &bad, 1, TR_EINVAL, "type NULL is not an event type");
	bad = ev_make("materialization", r1, "", "p1");
	expect_events_refused(st, &bad, 1, TR_EINVAL, "asset name is empty");
	bad = ev_make("materialization", r1, NULL, NULL);
	expect_events_refused(st, &bad, 1, TR_EINVAL, "the asset is NULL");
	bad = ev_make("materialization", r1, "a", NULL);
	expect_events_refused(st, &bad, 1, TR_EINVAL, "the partition is NULL");
	bad = ev_make("log", r1, NULL, "p1");
	expect_events_refused(st, &bad, 1, TR_EINVAL, "a partition without an asset");
	bad = ev_make("step_start", 0, "a", "p1");
	expect_events_refused(st, &bad, 1, TR_EINVAL, "run_id is 0");
	bad = ev_make("log", -3, NULL, NULL);
	expect_events_refused(st, &bad, 1, TR_EINVAL, "run_id -3");
	bad = check_event(r1, "a", "", "p1", "{\"passed\":true}", NULL);
	expect_events_refused(st, &bad, 1, TR_EINVAL, "check name is empty");
	bad = check_event(r1, "a", "c", "p1", NULL, NULL);
	expect_events_refused(st, &bad, 1, TR_EINVAL, "data is NULL");
	expect_events_refused(st, NULL, 2, TR_EINVAL, "array is NULL");

	/* Data: checked by SQLite's JSON functions before anything is written. */
	evs[1] = ev_make("materialization", r1, "a", "p1");
	evs[1].data = "{\"rows\": 3";
	expect_events_refused(st, evs, 3, TR_EINVAL, "event 1 (of 3, materialization of \"a\" "
						     "partition \"p1\"): data is not valid JSON");
	evs[1].data = "[1, 2]";
	expect_events_refused(st, evs, 3, TR_EINVAL, "data is not a JSON object");
	evs[1] = check_event(r1, "a", "c", "p1", "{\"passed\":\"yes\"}", NULL);
	expect_events_refused(st, evs, 3, TR_EINVAL, "has no \"passed\": true or false");
	evs[1].data = "{\"severity\":\"error\"}";
	expect_events_refused(st, evs, 3, TR_EINVAL, "has no \"passed\"");
	evs[1].data = "{\"passed\":false,\"severity\":\"fatal\"}";
	expect_events_refused(st, evs, 3, TR_EINVAL, "\"severity\" other than");

	/* Database errors part-way: nothing is written either. */
	evs[1] = ev_make("materialization", 12345, "a", "p1");
	expect_events_refused(st, evs, 3, TR_ENOTFOUND, "there is no run 12345");
	expect_events_refused(st, evs, 3, TR_ENOTFOUND, f->path);
	raw_exec(path_in(f, "instance.db"),
		 "CREATE TRIGGER refuse_boom BEFORE INSERT ON partition_status "
		 "WHEN NEW.partition = 'boom' BEGIN SELECT RAISE(ABORT, 'boom is refused'); END");
	evs[1] = ev_make("materialization", r1, "a", "boom");
	expect_events_refused(st, evs, 3, TR_EIO,
			      "event 1 (of 3, materialization of \"a\" partition \"boom\"): "
			      "boom is refused");
	assert_status(st, "a", NULL, 0);
	assert_ok(tr_storage_check_status(st, NULL, &rows, &n, &f->err), &f->err);
	assert_int_equal(n, 0);

	/* And the handle is still usable. */
	evs[1] = ev_make("materialization", r1, "a", "p1");
	add_events(st, evs, 3);
	assert_status(st, "a", KEYS("p1=materialized", "p2=materialized"));
	assert_int_equal(tr_storage_events_add(NULL, evs, 1, &f->err), TR_EINVAL);
	add_events(st, NULL, 0);
	tr_storage_close(st);
}

#define BATCH_EVENTS 10000

/*
 * 10,000 materializations of 10,000 partitions in one call, then 10,000
 * step_starts and a canceled run's finish putting them all back. Figures are
 * printed, not asserted; on the development machine (-O2, busy): 0.07-0.11 s
 * for the materializations, 0.10-0.18 s for the step_starts, 0.03-0.06 s for
 * the restoring finish (ASan+UBSan: about 0.5-1.2 s).
 */
static void test_events_batch(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	int64_t run = create_run(st, run_template("big"));
	tr_event *evs = calloc(BATCH_EVENTS, sizeof(*evs));
	char *keys = malloc((size_t)BATCH_EVENTS * 16);
	const char *data = "{\"rows\": 1440, \"preview\": [[\"2024-01-01\", 3.5]]}";
	tr_pstatus *rows = NULL;
	tr_event_rec last;
	struct timespec start;
	double add_s = 0, status_s = 0, restart_s = 0, finish_s = 0;
	size_t i = 0, n = 0;

	assert_non_null(evs);
	assert_non_null(keys);
	for (i = 0; i < BATCH_EVENTS; i++) {
		snprintf(keys + i * 16, 16, "k%06zu", BATCH_EVENTS - i);
		evs[i] = ev_make("materialization", run, "big", keys + i * 16);
		evs[i].data = data;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	add_events(st, evs, BATCH_EVENTS);
	add_s = seconds_since(&start);

	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_ok(tr_storage_partition_status(st, "big", &rows, &n, &f->err), &f->err);
	status_s = seconds_since(&start);
	assert_int_equal(n, BATCH_EVENTS);
	assert_string_equal(rows[0].partition, "k000001");
	assert_string_equal(rows[0].status, "materialized");
	tr_pstatus_free(rows, n);
	assert_counts(st, "big", BATCH_EVENTS, 0, 0);
	assert_ok(tr_storage_last_materialization(st, "big", "k000001", &last, &f->err), &f->err);
	assert_int_equal(last.id, BATCH_EVENTS);
	assert_string_equal(last.data, data);
	tr_event_rec_release(&last);

	/* A second run starts them all and is canceled: all go back. */
	finish_run(st, run, "success");
	run = create_run(st, run_template("big"));
	for (i = 0; i < BATCH_EVENTS; i++) {
		evs[i].type = "step_start";
		evs[i].run_id = run;
		evs[i].data = NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	add_events(st, evs, BATCH_EVENTS);
	restart_s = seconds_since(&start);
	assert_counts(st, "big", 0, 0, BATCH_EVENTS);
	clock_gettime(CLOCK_MONOTONIC, &start);
	finish_run(st, run, "canceled");
	finish_s = seconds_since(&start);
	assert_counts(st, "big", BATCH_EVENTS, 0, 0);

	printf("# %d events: materializations %.3f s, step_starts %.3f s, status list %.3f s, "
	       "restoring finish %.3f s\n",
	       BATCH_EVENTS, add_s, restart_s, status_s, finish_s);
	free(evs);
	free(keys);
	tr_storage_close(st);
}

/* ---- reaping runs of dead processes ---- */

/* The pid of a process that has ended (and been waited for). */
static pid_t dead_pid(void)
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return pid;
}

/* Waits (up to a second) until child pid, not waited for, has exited: a zombie. */
static void wait_zombie(pid_t pid)
{
	const struct timespec pause = {0, 1000 * 1000};
	char path[64], stat[256];
	FILE *fp = NULL;
	int i = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (i = 0; i < 1000; i++) {
		stat[0] = '\0';
		if ((fp = fopen(path, "r")) != NULL) {
			if (!fgets(stat, sizeof(stat), fp))
				stat[0] = '\0';
			fclose(fp);
		}
		if (strstr(stat, ") Z"))
			return;
		nanosleep(&pause, NULL);
	}
	fail_msg("process %d did not become a zombie", (int)pid);
}

static void test_runs_reap(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	tr_run r = run_template("a"), got;
	int64_t before = 0, dead = 0, alive = 0, remote = 0, reused = 0, zombie_run = 0;
	size_t reaped = 99;
	char message[128], text[128];
	pid_t pid = dead_pid(), zombie = fork();
	int status = 0;

	assert_true(zombie >= 0);
	if (zombie == 0)
		_exit(0); /* not waited for until after the reap: a zombie */

	/* p1 materialized before; then a run that dies with p1 and p2 in progress. */
	before = create_run(st, r);
	add_one(st, "materialization", before, "a", "p1");
	finish_run(st, before, "success");
	r.host = NULL; /* this machine */
	r.pid = pid;
	dead = create_run(st, r);
	add_one(st, "step_start", dead, "a", "p1");
	add_one(st, "step_start", dead, "a", "p2");
	r.pid = getpid();
	alive = create_run(st, r);
	add_one(st, "step_start", alive, "a", "p3");
	r.host = "elsewhere.example"; /* its pids mean nothing here */
	r.pid = pid;
	remote = create_run(st, r);
	add_one(st, "step_start", remote, "a", "p4");
	/* This process, but recorded as started by another process with its pid. */
	r.host = NULL;
	r.pid = getpid();
	reused = create_run(st, r);
	snprintf(text, sizeof(text), "UPDATE runs SET process_start = 'x/1' WHERE id = %lld",
		 (long long)reused);
	raw_exec(path_in(f, "instance.db"), text);
	add_one(st, "step_start", reused, "a", "p5");
	r.pid = zombie;
	zombie_run = create_run(st, r);
	assert_counts(st, "a", 0, 0, 5);
	/* A process of this machine is recorded with its start; another's is not. */
	snprintf(text, sizeof(text), "SELECT process_start IS NOT NULL FROM runs WHERE id = %lld",
		 (long long)alive);
	raw_query(path_in(f, "instance.db"), text, message, sizeof(message));
	assert_string_equal(message, "1");
	snprintf(text, sizeof(text), "SELECT process_start IS NULL FROM runs WHERE id = %lld",
		 (long long)remote);
	raw_query(path_in(f, "instance.db"), text, message, sizeof(message));
	assert_string_equal(message, "1");

	wait_zombie(zombie);
	assert_ok(tr_storage_runs_reap(st, 1800000000000, &reaped, &f->err), &f->err);
	assert_int_equal(reaped, 3);
	assert_int_equal(waitpid(zombie, &status, 0), zombie);
	assert_ok(tr_storage_run_get(st, zombie_run, &got, &f->err), &f->err);
	assert_string_equal(got.status, "failure");
	tr_run_release(&got);
	assert_ok(tr_storage_run_get(st, dead, &got, &f->err), &f->err);
	assert_string_equal(got.status, "failure");
	assert_int_equal(got.ended_at, 1800000000000);
	snprintf(message, sizeof(message),
		 "the tranche process (pid %d) ended without finishing the run", (int)pid);
	assert_string_equal(got.error, message);
	tr_run_release(&got);
	assert_ok(tr_storage_run_get(st, reused, &got, &f->err), &f->err);
	assert_string_equal(got.status, "failure");
	tr_run_release(&got);
	assert_ok(tr_storage_run_get(st, alive, &got, &f->err), &f->err);
	assert_string_equal(got.status, "started");
	assert_int_equal(got.ended_at, 0);
	tr_run_release(&got);
	assert_ok(tr_storage_run_get(st, remote, &got, &f->err), &f->err);
	assert_string_equal(got.status, "started");
	tr_run_release(&got);
	/* p1 back to materialized, p2 gone, p5 gone; the live runs' p3, p4 untouched. */
	assert_status(st, "a", KEYS("p1=materialized", "p3=in_progress", "p4=in_progress"));

	/* Nothing more to do; reaped is optional. */
	assert_ok(tr_storage_runs_reap(st, 1800000000000, &reaped, &f->err), &f->err);
	assert_int_equal(reaped, 0);
	assert_ok(tr_storage_runs_reap(st, 1800000000000, NULL, &f->err), &f->err);
	tr_storage_close(st);
}

/* ---- two processes: one writes events, the other reads ---- */

#define EVENT_BATCHES 100
#define EVENT_BATCH 40

/* The child's work: run create, batches of step_start + materialization, finish. */
static int write_events(const char *url)
{
	const struct timespec pause = {0, 200 * 1000};
	tr_error err = {0};
	tr_storage *st = NULL;
	tr_event evs[EVENT_BATCH];
	char keys[EVENT_BATCH / 2][16];
	tr_run r;
	int64_t run = 0;
	int batch = 0, i = 0;

	memset(&r, 0, sizeof(r));
	if (tr_storage_open(url, &st, &err) != 0 || tr_storage_run_create(st, &r, &run, &err) != 0)
		goto fail;
	for (batch = 0; batch < EVENT_BATCHES; batch++) {
		for (i = 0; i < EVENT_BATCH / 2; i++) {
			snprintf(keys[i], sizeof(keys[i]), "k%05d", batch * EVENT_BATCH / 2 + i);
			evs[2 * i] = ev_make("step_start", run, "shared", keys[i]);
			evs[2 * i + 1] = ev_make("materialization", run, "shared", keys[i]);
		}
		if (tr_storage_events_add(st, evs, EVENT_BATCH, &err) != 0)
			goto fail;
		nanosleep(&pause, NULL);
	}
	r.status = "success";
	if (tr_storage_run_finish(st, run, &r, &err) != 0)
		goto fail;
	tr_storage_close(st);
	return 0;
fail:
	fprintf(stderr, "child: %s\n", err.msg);
	tr_storage_close(st);
	return 1;
}

/* What the reader sees is always whole batches: every partition materialized. */
static void read_snapshot(tr_storage *st, size_t *seen)
{
	tr_error err = {0};
	tr_event_rec *evs = NULL;
	tr_pstatus *rows = NULL;
	tr_run *runs = NULL;
	int64_t m = 0, fl = 0, ip = 0;
	size_t n = 0, i = 0;

	assert_ok(tr_storage_events_list(st, 0, "shared", 0, 0, &evs, &n, &err), &err);
	assert_int_equal(n % EVENT_BATCH, 0);
	for (i = 1; i < n; i++)
		assert_true(evs[i].id > evs[i - 1].id);
	assert_true(n >= *seen);
	*seen = n;
	tr_event_recs_free(evs, n);
	assert_ok(tr_storage_partition_status(st, "shared", &rows, &n, &err), &err);
	for (i = 0; i < n; i++)
		assert_string_equal(rows[i].status, "materialized");
	tr_pstatus_free(rows, n);
	assert_ok(tr_storage_status_counts(st, "shared", &m, &fl, &ip, &err), &err);
	assert_int_equal(ip, 0);
	assert_ok(tr_storage_runs_list(st, 5, &runs, &n, &err), &err);
	tr_runs_free(runs, n);
}

static void test_events_two_processes(void **state)
{
	struct fixture *f = *state;
	char url[300];
	tr_storage *st = NULL;
	size_t seen = 0;
	int status = 0, listings = 0;
	pid_t child = 0;

	tr_storage_close(open_in(f, "shared.db"));
	snprintf(url, sizeof(url), "sqlite:%s/shared.db", f->dir);
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(write_events(url));
	assert_ok(tr_storage_open(url, &st, &f->err), &f->err);
	while (waitpid(child, &status, WNOHANG) == 0) {
		read_snapshot(st, &seen);
		listings++;
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	read_snapshot(st, &seen);
	assert_int_equal(seen, EVENT_BATCHES * EVENT_BATCH);
	assert_counts(st, "shared", EVENT_BATCHES * EVENT_BATCH / 2, 0, 0);
	printf("# events from another process: %d listings while it wrote\n", listings);
	tr_storage_close(st);
}

/* The tables migration 2 added, as src/storage/sqlite.c wrote them, with rows. */
static const char v2_schema[] =
	"CREATE TABLE runs (\n"
	"  id              INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused\n"
	"  status          TEXT NOT NULL\n"
	"                  CHECK (status IN ('started', 'success', 'failure', 'canceled')),\n"
	"  selection       TEXT NOT NULL,\n"
	"  partitions      TEXT NOT NULL,\n"
	"  launched_by     TEXT NOT NULL,\n"
	"  host            TEXT NOT NULL,\n"
	"  pid             INTEGER NOT NULL,\n"
	"  process_start   TEXT,     -- identifies pid's process (boot id/start ticks); NULL: unknown\n"
	"  created_at      INTEGER NOT NULL,  -- Unix ms\n"
	"  ended_at        INTEGER,           -- Unix ms; NULL while started\n"
	"  steps_total     INTEGER NOT NULL DEFAULT 0,\n"
	"  steps_succeeded INTEGER NOT NULL DEFAULT 0,\n"
	"  steps_failed    INTEGER NOT NULL DEFAULT 0,\n"
	"  steps_skipped   INTEGER NOT NULL DEFAULT 0,\n"
	"  error           TEXT\n"
	");\n"
	"CREATE INDEX runs_status ON runs (status, host);\n"
	"CREATE TABLE events (\n"
	"  id         INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: readers page by id\n"
	"  run_id     INTEGER REFERENCES runs (id),       -- NULL: no run\n"
	"  ts         INTEGER NOT NULL,                   -- Unix ms\n"
	"  type       TEXT NOT NULL,\n"
	"  asset      TEXT,\n"
	"  partition  TEXT,\n"
	"  check_name TEXT,\n"
	"  message    TEXT,\n"
	"  data       TEXT                                -- a JSON object\n"
	");\n"
	"CREATE INDEX events_run ON events (run_id, id);\n"
	"CREATE INDEX events_asset ON events (asset, id) WHERE asset IS NOT NULL;\n"
	"CREATE TABLE partition_status (\n"
	"  asset              TEXT NOT NULL,\n"
	"  partition          TEXT NOT NULL,  -- '' for an unpartitioned asset\n"
	"  status             TEXT NOT NULL\n"
	"                     CHECK (status IN ('materialized', 'failed', 'in_progress')),\n"
	"  run_id             INTEGER,           -- the run that set status; NULL: none\n"
	"  updated_at         INTEGER NOT NULL,  -- ts of the event that set status\n"
	"  event_id           INTEGER NOT NULL,  -- the event that set status\n"
	"  materialized_at    INTEGER NOT NULL DEFAULT 0,  -- ts of materialization_id, 0: none\n"
	"  materialization_id INTEGER,  -- the last materialization event since the row exists\n"
	"  -- While in_progress: status, run_id, updated_at, event_id before the run's\n"
	"  -- step_start, put back if the run ends without another status. prev_status\n"
	"  -- NULL: there was no row, and the row goes.\n"
	"  prev_status        TEXT,\n"
	"  prev_run_id        INTEGER,\n"
	"  prev_updated_at    INTEGER,\n"
	"  prev_event_id      INTEGER,\n"
	"  PRIMARY KEY (asset, partition)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX partition_status_in_progress ON partition_status (run_id)\n"
	"  WHERE status = 'in_progress';\n"
	"CREATE TABLE check_status (\n"
	"  asset      TEXT NOT NULL,\n"
	"  check_name TEXT NOT NULL,\n"
	"  partition  TEXT NOT NULL,\n"
	"  passed     INTEGER NOT NULL CHECK (passed IN (0, 1)),\n"
	"  severity   TEXT NOT NULL CHECK (severity IN ('warn', 'error')),\n"
	"  message    TEXT,\n"
	"  run_id     INTEGER,\n"
	"  ts         INTEGER NOT NULL,\n"
	"  event_id   INTEGER NOT NULL,\n"
	"  PRIMARY KEY (asset, check_name, partition)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX check_status_partition ON check_status (asset, partition);\n"
	"INSERT INTO runs (id, status, selection, partitions, launched_by, host, pid, created_at,"
	" ended_at, steps_total) VALUES"
	" (1, 'success', 'a', '', 'cli', 'box', 1, 1700000000000, 1700000001000, 2),"
	" (2, 'started', 'a', '', 'cli', 'elsewhere', 1, 1700000002000, NULL, 1);\n"
	"INSERT INTO events (id, run_id, ts, type, asset, partition) VALUES"
	" (1, 1, 1700000000000, 'step_start', 'a', 'p1'),"
	" (2, 1, 1700000000001, 'materialization', 'a', 'p1'),"
	" (3, 1, 1700000000002, 'step_start', 'a', 'p2'),"
	" (4, 1, 1700000000003, 'step_failure', 'a', 'p2'),"
	" (5, 2, 1700000002000, 'step_start', 'a', 'p2');\n"
	"INSERT INTO partition_status (asset, partition, status, run_id, updated_at, event_id,"
	" materialized_at, materialization_id, prev_status, prev_run_id, prev_updated_at,"
	" prev_event_id) VALUES"
	" ('a', 'p1', 'materialized', 1, 1700000000001, 2, 1700000000001, 2, NULL, NULL, NULL, NULL),"
	" ('a', 'p2', 'in_progress', 2, 1700000002000, 5, 0, NULL, 'failed', 1, 1700000000003, 4);\n"
	"PRAGMA user_version = 2;\n";

/* Asserts a status change list, given as "partition=status" ("partition=-" when removed). */
static void assert_changes(tr_storage *st, const char *asset, int64_t seq, int64_t *now_seq,
			   const char *const *expected, size_t expected_count)
{
	tr_error err = {0};
	tr_pstatus *rows = NULL;
	size_t n = 0, i = 0;
	char text[128];

	assert_ok(tr_storage_status_changes(st, asset, seq, &rows, &n, now_seq, &err), &err);
	if (n != expected_count)
		fail_msg("%s after %lld: %zu changes, expected %zu", asset, (long long)seq, n,
			 expected_count);
	for (i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "%s=%s", rows[i].partition,
			 rows[i].status ? rows[i].status : "-");
		assert_string_equal(text, expected[i]);
	}
	assert_true(*now_seq >= seq);
	tr_pstatus_free(rows, n);
}

static void test_migration_from_v2(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = NULL;
	tr_run got;
	char text[64];
	int version = 0;
	int64_t seq = 0, after = 0;

	raw_exec(path_in(f, "v2.db"), v1_schema);
	raw_exec(f->path, v2_schema);
	st = open_in(f, "v2.db");
	assert_ok(tr_storage_schema_version(st, &version, &f->err), &f->err);
	assert_int_equal(version, SCHEMA_LATEST);
	assert_keys(st, "tickers", KEYS("IBM", "AAPL"));
	assert_status(st, "a", KEYS("p1=materialized", "p2=in_progress"));
	assert_ok(tr_storage_run_get(st, 2, &got, &f->err), &f->err);
	assert_int_equal(got.backfill_id, 0);
	assert_string_equal(got.status, "started");
	tr_run_release(&got);

	/* Rows from before take their event id as seq; new changes come after all of them. */
	assert_changes(st, "a", 0, &seq, KEYS("p1=materialized", "p2=in_progress"));
	assert_int_equal(seq, 5);
	assert_changes(st, "a", 2, &after, KEYS("p2=in_progress"));
	finish_run(st, 2, "canceled");
	assert_status(st, "a", KEYS("p1=materialized", "p2=failed"));
	assert_changes(st, "a", seq, &after, KEYS("p2=failed"));
	assert_true(after > seq);
	add_one(st, "wipe", 0, "a", "p1");
	assert_changes(st, "a", after, &seq, KEYS("p1=-"));
	tr_storage_close(st);
	raw_query(path_in(f, "v2.db"), "PRAGMA user_version", text, sizeof(text));
	assert_int_equal(atoi(text), SCHEMA_LATEST);
	raw_query(f->path,
		  "SELECT count(*) FROM sqlite_master WHERE name IN ('backfills', 'backfill_assets',"
		  " 'status_summary', 'partition_status_removed', 'partition_status_seq')",
		  text, sizeof(text));
	assert_string_equal(text, "5");
}

/* ---- backfills ---- */

static tr_backfill_asset bf_asset(const char *asset, int64_t n_requested, const char *requested)
{
	tr_backfill_asset a;

	memset(&a, 0, sizeof(a));
	a.asset = (char *)asset;
	a.partitioned = requested && *requested;
	a.n_requested = n_requested;
	a.requested = (char *)requested;
	return a;
}

static int64_t create_backfill(tr_storage *st, const char *selection)
{
	tr_error err = {0};
	tr_backfill b;
	tr_backfill_asset assets[2];
	int64_t id = 0;

	memset(&b, 0, sizeof(b));
	b.selection = (char *)selection;
	b.partitions = "--all";
	b.launched_by = "cli (alice@box)";
	b.created_at = 1700000000000;
	b.partitions_total = 32;
	assets[0] = bf_asset("daily", 31, "2024-01-01...2024-01-31");
	assets[1] = bf_asset("total", 1, "");
	assert_ok(tr_storage_backfill_create(st, &b, assets, 2, &id, &err), &err);
	assert_true(id > 0);
	return id;
}

/* Updates backfill id's status only (and last_run_id when run is not 0). */
static void set_backfill(tr_storage *st, int64_t id, const char *status, int64_t run)
{
	tr_error err = {0};
	tr_backfill b;

	memset(&b, 0, sizeof(b));
	b.status = (char *)status;
	b.last_run_id = run;
	assert_ok(tr_storage_backfill_update(st, id, &b, NULL, 0, &err), &err);
}

static void assert_backfill_status(tr_storage *st, int64_t id, const char *expected)
{
	tr_error err = {0};
	char *status = NULL;

	assert_ok(tr_storage_backfill_status(st, id, &status, &err), &err);
	assert_string_equal(status, expected);
	free(status);
}

static void test_backfills(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	tr_backfill got, *list = NULL, upd;
	tr_backfill_asset *assets = NULL, outcome[2];
	int64_t id1 = 0, id2 = 0, *runs = NULL;
	tr_run r = run_template("daily+"), run;
	size_t n = 0;

	/* Created "requested", its assets in the order given. */
	id1 = create_backfill(st, "daily+");
	assert_int_equal(id1, 1);
	assert_ok(tr_storage_backfill_get(st, id1, &got, &assets, &n, &f->err), &f->err);
	assert_int_equal(got.id, id1);
	assert_string_equal(got.status, "requested");
	assert_string_equal(got.selection, "daily+");
	assert_string_equal(got.partitions, "--all");
	assert_string_equal(got.launched_by, "cli (alice@box)");
	assert_int_equal(got.created_at, 1700000000000);
	assert_int_equal(got.ended_at, 0);
	assert_int_equal(got.partitions_total, 32);
	assert_int_equal(got.partitions_succeeded, 0);
	assert_int_equal(got.last_run_id, 0);
	assert_null(got.error);
	assert_int_equal(n, 2);
	assert_string_equal(assets[0].asset, "daily");
	assert_true(assets[0].partitioned);
	assert_int_equal(assets[0].n_requested, 31);
	assert_string_equal(assets[0].requested, "2024-01-01...2024-01-31");
	assert_string_equal(assets[0].succeeded, "");
	assert_string_equal(assets[1].asset, "total");
	assert_false(assets[1].partitioned);
	assert_string_equal(assets[1].requested, "");
	tr_backfill_assets_free(assets, n);
	tr_backfill_release(&got);
	assert_null(got.status);
	/* Without the assets. */
	assert_ok(tr_storage_backfill_get(st, id1, &got, NULL, NULL, &f->err), &f->err);
	assert_string_equal(got.status, "requested");
	tr_backfill_release(&got);
	assert_backfill_status(st, id1, "requested");

	/* A run of it, and an update with its outcome. */
	r.backfill_id = id1;
	r.host = NULL;
	r.pid = 0;
	r.created_at = 1700000001000;
	id2 = create_run(st, r);
	assert_ok(tr_storage_run_get(st, id2, &run, &f->err), &f->err);
	assert_int_equal(run.backfill_id, id1);
	tr_run_release(&run);
	memset(&upd, 0, sizeof(upd));
	upd.status = "failed";
	upd.ended_at = 1700000009000;
	upd.partitions_succeeded = 30;
	upd.partitions_failed = 1;
	upd.partitions_skipped = 1;
	upd.last_run_id = id2;
	upd.error = "daily 2024-01-05: division by zero";
	upd.selection = "ignored";
	outcome[0] = bf_asset("daily", 0, NULL);
	outcome[0].succeeded = "2024-01-01...2024-01-04\n2024-01-06...2024-01-31";
	outcome[0].failed = "2024-01-05";
	outcome[1] = bf_asset("total", 0, NULL);
	outcome[1].skipped = "";
	assert_ok(tr_storage_backfill_update(st, id1, &upd, outcome, 2, &f->err), &f->err);
	assert_ok(tr_storage_backfill_get(st, id1, &got, &assets, &n, &f->err), &f->err);
	assert_string_equal(got.status, "failed");
	assert_string_equal(got.selection, "daily+");
	assert_int_equal(got.ended_at, 1700000009000);
	assert_int_equal(got.partitions_total, 32);
	assert_int_equal(got.partitions_succeeded, 30);
	assert_int_equal(got.partitions_failed, 1);
	assert_int_equal(got.partitions_skipped, 1);
	assert_int_equal(got.last_run_id, id2);
	assert_string_equal(got.error, "daily 2024-01-05: division by zero");
	assert_string_equal(assets[0].succeeded, "2024-01-01...2024-01-04\n2024-01-06...2024-01-31");
	assert_string_equal(assets[0].failed, "2024-01-05");
	assert_string_equal(assets[0].skipped, "");
	assert_string_equal(assets[0].requested, "2024-01-01...2024-01-31");
	assert_string_equal(assets[1].failed, "");
	tr_backfill_assets_free(assets, n);
	tr_backfill_release(&got);

	/* Its runs, oldest first; a second backfill; the list, newest first. */
	id2 = create_run(st, r);
	assert_ok(tr_storage_backfill_runs(st, id1, &runs, &n, &f->err), &f->err);
	assert_int_equal(n, 2);
	assert_int_equal(runs[0], 1);
	assert_int_equal(runs[1], id2);
	free(runs);
	id2 = create_backfill(st, "other");
	assert_int_equal(id2, 2);
	assert_ok(tr_storage_backfill_runs(st, id2, &runs, &n, &f->err), &f->err);
	assert_null(runs);
	assert_int_equal(n, 0);
	assert_ok(tr_storage_backfills_list(st, 0, &list, &n, &f->err), &f->err);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, id2);
	assert_string_equal(list[0].selection, "other");
	assert_int_equal(list[1].id, id1);
	assert_string_equal(list[1].status, "failed");
	tr_backfills_free(list, n);
	assert_ok(tr_storage_backfills_list(st, 1, &list, &n, &f->err), &f->err);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, id2);
	tr_backfills_free(list, n);

	/* Canceling stays canceling unless the run ends it. */
	upd.status = "canceling";
	upd.ended_at = 0;
	assert_ok(tr_storage_backfill_update(st, id2, &upd, NULL, 0, &f->err), &f->err);
	set_backfill(st, id2, "running", 0);
	assert_backfill_status(st, id2, "canceling");
	set_backfill(st, id2, "requested", 0);
	assert_backfill_status(st, id2, "canceling");
	set_backfill(st, id2, "canceled", 0);
	assert_backfill_status(st, id2, "canceled");
	set_backfill(st, id2, "running", 0); /* a resume */
	assert_backfill_status(st, id2, "running");
	set_backfill(st, id2, "canceling", 0);
	set_backfill(st, id2, "completed", 0);
	assert_backfill_status(st, id2, "completed");
	tr_storage_close(st);
}

static void test_backfills_refused(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	tr_backfill b, got, *list = (tr_backfill *)f;
	tr_backfill_asset assets[2], *got_assets = (tr_backfill_asset *)f;
	int64_t id = 7, *runs = (int64_t *)f;
	char *status = (char *)f;
	tr_run r = run_template("a");
	size_t n = 7;

	memset(&b, 0, sizeof(b));
	assets[0] = bf_asset("a", 1, "p1");
	assets[1] = bf_asset("a", 2, "p2...p3");
	/* Creation: no assets, a nameless one, one given twice, a negative count. */
	assert_int_equal(tr_storage_backfill_create(st, &b, assets, 0, &id, &f->err), TR_EINVAL);
	assert_int_equal(id, 0);
	assert_contains(f->err.msg, "at least one asset");
	assert_int_equal(tr_storage_backfill_create(st, &b, NULL, 1, &id, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_backfill_create(st, &b, assets, 2, &id, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "\"a\", is given twice");
	assert_contains(f->err.msg, "nothing written");
	assets[1].asset = "";
	assert_int_equal(tr_storage_backfill_create(st, &b, assets, 2, &id, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "asset 1 (of 2) has an empty name");
	assets[1].asset = NULL;
	assert_int_equal(tr_storage_backfill_create(st, &b, assets, 2, &id, &f->err), TR_EINVAL);
	assets[1] = bf_asset("b", -1, "");
	assert_int_equal(tr_storage_backfill_create(st, &b, assets, 2, &id, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "n_requested is -1");
	b.partitions_total = -1;
	assert_int_equal(tr_storage_backfill_create(st, &b, assets, 1, &id, &f->err), TR_EINVAL);
	b.partitions_total = 0;
	assert_int_equal(tr_storage_backfill_create(NULL, &b, assets, 1, &id, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_backfill_create(st, NULL, assets, 1, &id, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_backfill_create(st, &b, assets, 1, NULL, &f->err), TR_EINVAL);
	assert_ok(tr_storage_backfills_list(st, 0, &list, &n, &f->err), &f->err);
	assert_int_equal(n, 0); /* nothing was written */
	assert_null(list);

	/* Unknown backfills. */
	memset(&got, 0x5a, sizeof(got));
	assert_int_equal(tr_storage_backfill_get(st, 3, &got, &got_assets, &n, &f->err),
			 TR_ENOTFOUND);
	assert_null(got.status);
	assert_null(got_assets);
	assert_contains(f->err.msg, "there is no backfill 3 (there are no backfills yet)");
	assert_contains(f->err.msg, f->path);
	id = create_backfill(st, "a");
	assert_int_equal(tr_storage_backfill_get(st, 3, &got, NULL, NULL, &f->err), TR_ENOTFOUND);
	assert_contains(f->err.msg, "there is no backfill 3 (backfills are 1 to 1");
	assert_int_equal(tr_storage_backfill_status(st, 3, &status, &f->err), TR_ENOTFOUND);
	assert_null(status);
	assert_int_equal(tr_storage_backfill_runs(st, 3, &runs, &n, &f->err), TR_ENOTFOUND);
	assert_null(runs);
	assert_int_equal(tr_storage_backfill_cancel(st, 3, &status, &f->err), TR_ENOTFOUND);
	b.status = "running";
	assert_int_equal(tr_storage_backfill_update(st, 3, &b, NULL, 0, &f->err), TR_ENOTFOUND);

	/* Updates: an unknown status, negative counters, an asset it does not have, an unknown run. */
	b.status = "paused";
	assert_int_equal(tr_storage_backfill_update(st, id, &b, NULL, 0, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "status \"paused\" is not a backfill status");
	assert_contains(f->err.msg, "requested, running, completed, failed, canceling, canceled");
	b.status = NULL;
	assert_int_equal(tr_storage_backfill_update(st, id, &b, NULL, 0, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "status NULL");
	b.status = "running";
	b.partitions_failed = -1;
	assert_int_equal(tr_storage_backfill_update(st, id, &b, NULL, 0, &f->err), TR_EINVAL);
	b.partitions_failed = 0;
	assets[0] = bf_asset("nope", 0, NULL);
	assert_int_equal(tr_storage_backfill_update(st, id, &b, assets, 1, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "backfill 1 has no asset \"nope\"");
	assert_int_equal(tr_storage_backfill_update(st, id, &b, NULL, 1, &f->err), TR_EINVAL);
	b.last_run_id = 99;
	assert_int_equal(tr_storage_backfill_update(st, id, &b, NULL, 0, &f->err), TR_ENOTFOUND);
	assert_contains(f->err.msg, "there is no run 99");
	assert_backfill_status(st, id, "requested"); /* nothing was written */
	assert_int_equal(tr_storage_backfill_update(NULL, id, &b, NULL, 0, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_backfill_update(st, id, NULL, NULL, 0, &f->err), TR_EINVAL);

	/* A run of an unknown or negative backfill. */
	r.backfill_id = 42;
	assert_int_equal(tr_storage_run_create(st, &r, &id, &f->err), TR_ENOTFOUND);
	assert_contains(f->err.msg, "there is no backfill 42");
	r.backfill_id = -1;
	assert_int_equal(tr_storage_run_create(st, &r, &id, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "backfill_id is -1");

	/* NULL outputs and handles. */
	assert_int_equal(tr_storage_backfill_get(st, 1, NULL, NULL, NULL, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_backfill_get(st, 1, &got, &got_assets, NULL, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_backfill_get(NULL, 1, &got, NULL, NULL, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_backfills_list(st, 0, NULL, &n, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_backfills_list(NULL, 0, &list, &n, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_backfill_status(st, 1, NULL, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_backfill_status(NULL, 1, &status, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_backfill_runs(st, 1, NULL, &n, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_backfill_runs(NULL, 1, &runs, &n, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_backfill_cancel(NULL, 1, &status, &f->err), TR_EINVAL);
	tr_backfill_release(NULL);
	tr_backfills_free(NULL, 0);
	tr_backfill_assets_free(NULL, 0);
	tr_storage_close(st);
}

/* Cancels backfill id, expecting new_status. */
static void cancel_backfill(tr_storage *st, int64_t id, const char *new_status)
{
	tr_error err = {0};
	char *status = NULL;

	assert_ok(tr_storage_backfill_cancel(st, id, &status, &err), &err);
	assert_string_equal(status, new_status);
	free(status);
	assert_backfill_status(st, id, new_status);
}

static void test_backfill_cancel(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	tr_run r = run_template("a");
	tr_backfill got;
	char *status = (char *)f;
	int64_t id = 0, run = 0;
	pid_t pid = dead_pid();

	/* Requested: canceled at once, with an end. */
	id = create_backfill(st, "a");
	cancel_backfill(st, id, "canceled");
	assert_ok(tr_storage_backfill_get(st, id, &got, NULL, NULL, &f->err), &f->err);
	assert_true(got.ended_at > 1700000000000);
	tr_backfill_release(&got);
	/* Already canceled, or completed: refused, nothing written. */
	assert_int_equal(tr_storage_backfill_cancel(st, id, &status, &f->err), TR_EINVAL);
	assert_null(status);
	assert_contains(f->err.msg, "backfill 1 is already canceled");
	set_backfill(st, id, "completed", 0);
	assert_int_equal(tr_storage_backfill_cancel(st, id, NULL, &f->err), TR_EINVAL);
	assert_contains(f->err.msg, "backfill 1 is already completed");
	assert_backfill_status(st, id, "completed");

	/* Running, its run in this (live) process: canceling, and again. */
	id = create_backfill(st, "a");
	r.host = NULL;
	r.pid = 0;
	r.backfill_id = id;
	run = create_run(st, r);
	set_backfill(st, id, "running", run);
	cancel_backfill(st, id, "canceling");
	cancel_backfill(st, id, "canceling");
	/* The run ends: then a cancel finishes it. */
	finish_run(st, run, "canceled");
	cancel_backfill(st, id, "canceled");

	/* Running, its run's process gone: canceled at once. */
	id = create_backfill(st, "a");
	r.pid = pid;
	r.backfill_id = id;
	run = create_run(st, r);
	set_backfill(st, id, "running", run);
	cancel_backfill(st, id, "canceled");

	/* Running, last_run_id not set yet: its newest run tells. */
	id = create_backfill(st, "a");
	r.pid = 0;
	r.backfill_id = id;
	run = create_run(st, r);
	set_backfill(st, id, "running", 0);
	cancel_backfill(st, id, "canceling");

	/* Running on another machine: it cannot be seen, so it is asked to stop. */
	id = create_backfill(st, "a");
	r.host = "elsewhere.example";
	r.pid = pid;
	r.backfill_id = id;
	run = create_run(st, r);
	set_backfill(st, id, "running", run);
	cancel_backfill(st, id, "canceling");

	/* Failed: canceled. */
	id = create_backfill(st, "a");
	set_backfill(st, id, "failed", 0);
	cancel_backfill(st, id, "canceled");
	tr_storage_close(st);
}

static void test_reap_ends_backfills(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	tr_run r = run_template("a");
	tr_backfill got;
	int64_t running = 0, canceling = 0, taken_over = 0, done = 0, dead1 = 0, dead2 = 0,
		dead3 = 0, dead4 = 0, live = 0;
	size_t reaped = 0;
	char message[128];
	pid_t pid = dead_pid();

	r.host = NULL;
	r.pid = pid;
	/* A running backfill whose process died. */
	running = create_backfill(st, "a");
	r.backfill_id = running;
	dead1 = create_run(st, r);
	set_backfill(st, running, "running", dead1);
	add_one(st, "step_start", dead1, "a", "p1");
	/* A canceling one whose process died before it could stop. */
	canceling = create_backfill(st, "a");
	r.backfill_id = canceling;
	dead2 = create_run(st, r);
	set_backfill(st, canceling, "running", dead2);
	set_backfill(st, canceling, "canceling", dead2);
	/* One whose dead run was already followed by a newer, live one (a resume). */
	taken_over = create_backfill(st, "a");
	r.backfill_id = taken_over;
	dead3 = create_run(st, r);
	r.pid = 0;
	live = create_run(st, r);
	set_backfill(st, taken_over, "running", live);
	/* One that had completed: a late reap of its run leaves it so. */
	done = create_backfill(st, "a");
	r.backfill_id = done;
	r.pid = pid;
	dead4 = create_run(st, r);
	set_backfill(st, done, "completed", dead4);

	assert_ok(tr_storage_runs_reap(st, 1800000000000, &reaped, &f->err), &f->err);
	assert_int_equal(reaped, 4);
	snprintf(message, sizeof(message),
		 "the tranche process (pid %d) ended without finishing the run", (int)pid);
	assert_ok(tr_storage_backfill_get(st, running, &got, NULL, NULL, &f->err), &f->err);
	assert_string_equal(got.status, "failed");
	assert_int_equal(got.ended_at, 1800000000000);
	assert_string_equal(got.error, message);
	tr_backfill_release(&got);
	assert_ok(tr_storage_backfill_get(st, canceling, &got, NULL, NULL, &f->err), &f->err);
	assert_string_equal(got.status, "canceled");
	assert_int_equal(got.ended_at, 1800000000000);
	tr_backfill_release(&got);
	assert_backfill_status(st, taken_over, "running");
	assert_backfill_status(st, done, "completed");
	assert_status(st, "a", NULL, 0); /* p1's step_start undone */
	(void)dead3;
	tr_storage_close(st);
}

/* ---- the status change sequence and the summary ---- */

static void test_status_changes(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	int64_t r1 = create_run(st, run_template("a")), r2 = 0;
	int64_t s0 = -1, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0;
	tr_pstatus *rows = (tr_pstatus *)f;
	tr_event evs[3];
	size_t n = 5;

	assert_changes(st, "a", 0, &s0, NULL, 0);
	assert_int_equal(s0, 0);
	/* Set: every row changed after 0, sorted by partition. */
	evs[0] = ev_make("materialization", r1, "a", "p2");
	evs[1] = ev_make("materialization", r1, "a", "p1");
	evs[2] = ev_make("log", r1, "a", "p1"); /* no status change */
	add_events(st, evs, 3);
	add_one(st, "materialization", r1, "b", "x"); /* another asset */
	assert_changes(st, "a", 0, &s1, KEYS("p1=materialized", "p2=materialized"));
	assert_true(s1 > 0);
	assert_changes(st, "a", s1, &s2, NULL, 0);
	assert_int_equal(s2, s1); /* nothing since: where it was */
	finish_run(st, r1, "success");
	assert_changes(st, "a", s1, &s2, NULL, 0);

	/* A run starts p1 (materialized) and p3 (no row): in progress... */
	r2 = create_run(st, run_template("a"));
	add_one(st, "step_start", r2, "a", "p3");
	add_one(st, "step_start", r2, "a", "p1");
	add_one(st, "step_retry", r2, "a", "p1");
	assert_changes(st, "a", s1, &s2, KEYS("p1=in_progress", "p3=in_progress"));
	assert_true(s2 > s1);
	/* ...and is canceled: p1 restored, p3 removed, both as new changes. */
	finish_run(st, r2, "canceled");
	assert_status(st, "a", KEYS("p1=materialized", "p2=materialized"));
	assert_changes(st, "a", s2, &s3, KEYS("p1=materialized", "p3=-"));
	assert_true(s3 > s2);
	assert_changes(st, "a", 0, &s4, KEYS("p1=materialized", "p2=materialized", "p3=-"));
	assert_int_equal(s4, s3);

	/* Wipes: a removed row; a wipe of a partition without a row changes nothing. */
	add_one(st, "wipe", 0, "a", "p2");
	add_one(st, "wipe", 0, "a", "never-there");
	assert_changes(st, "a", s3, &s4, KEYS("p2=-"));
	assert_true(s4 > s3);
	/* Set again after the wipe: one change, the row, not the tombstone. */
	add_one(st, "step_failure", 0, "a", "p2");
	add_one(st, "materialization", 0, "a", "p3");
	assert_changes(st, "a", s4, &s5, KEYS("p2=failed", "p3=materialized"));
	assert_changes(st, "a", s3, &s5, KEYS("p2=failed", "p3=materialized"));
	assert_changes(st, "a", 0, &s5, KEYS("p1=materialized", "p2=failed", "p3=materialized"));
	/* A wipe and a new status in one batch: the row only. */
	evs[0] = ev_make("wipe", 0, "a", "p1");
	evs[1] = ev_make("materialization", 0, "a", "p1");
	add_events(st, evs, 2);
	assert_changes(st, "a", s5, &s4, KEYS("p1=materialized"));
	assert_changes(st, "a", 0, &s5, KEYS("p1=materialized", "p2=failed", "p3=materialized"));
	assert_changes(st, "b", 0, &s0, KEYS("x=materialized"));
	assert_true(s0 < s5);
	assert_changes(st, "nothing", 0, &s0, NULL, 0);
	assert_int_equal(s0, 0);

	/* Refused arguments. */
	assert_int_equal(tr_storage_status_changes(st, "a", -1, &rows, &n, &s0, &f->err), TR_EINVAL);
	assert_null(rows);
	assert_int_equal(n, 0);
	assert_int_equal(tr_storage_status_changes(st, "", 0, &rows, &n, &s0, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_status_changes(st, NULL, 0, &rows, &n, &s0, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_status_changes(st, "a", 0, &rows, &n, NULL, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_status_changes(NULL, "a", 0, &rows, &n, &s0, &f->err),
			 TR_EINVAL);
	tr_storage_close(st);
}

/* The reaper's restores are status changes too. */
static void test_status_changes_reap(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	tr_run r = run_template("a");
	int64_t run = 0, s1 = 0, s2 = 0;

	add_one(st, "materialization", 0, "a", "p1");
	r.host = NULL;
	r.pid = dead_pid();
	run = create_run(st, r);
	add_one(st, "step_start", run, "a", "p1");
	add_one(st, "step_start", run, "a", "p2");
	assert_changes(st, "a", 0, &s1, KEYS("p1=in_progress", "p2=in_progress"));
	assert_ok(tr_storage_runs_reap(st, 1800000000000, NULL, &f->err), &f->err);
	assert_changes(st, "a", s1, &s2, KEYS("p1=materialized", "p2=-"));
	assert_true(s2 > s1);
	tr_storage_close(st);
}

static void test_summary(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	void *blob = (void *)f;
	size_t len = 9;
	int64_t seq = 9;

	/* None yet. */
	assert_ok(tr_storage_summary_get(st, "a", "t1", &blob, &len, &seq, &f->err), &f->err);
	assert_null(blob);
	assert_int_equal(len, 0);
	assert_int_equal(seq, 0);

	/* Round trip, bytes as given (NULs too). */
	assert_ok(tr_storage_summary_put(st, "a", "t1", "ab\0cd", 5, 42, &f->err), &f->err);
	assert_ok(tr_storage_summary_get(st, "a", "t1", &blob, &len, &seq, &f->err), &f->err);
	assert_int_equal(len, 5);
	assert_memory_equal(blob, "ab\0cd", 5);
	assert_int_equal(seq, 42);
	free(blob);
	/* Another tag: none; another asset: none. */
	assert_ok(tr_storage_summary_get(st, "a", "t2", &blob, &len, &seq, &f->err), &f->err);
	assert_null(blob);
	assert_int_equal(len, 0);
	assert_int_equal(seq, 0);
	assert_ok(tr_storage_summary_get(st, "b", "t1", &blob, &len, &seq, &f->err), &f->err);
	assert_null(blob);

	/* Replaced by a newer one; an older one of the same tag does not replace it. */
	assert_ok(tr_storage_summary_put(st, "a", "t1", "new", 3, 50, &f->err), &f->err);
	assert_ok(tr_storage_summary_put(st, "a", "t1", "old", 3, 45, &f->err), &f->err);
	assert_ok(tr_storage_summary_get(st, "a", "t1", &blob, &len, &seq, &f->err), &f->err);
	assert_memory_equal(blob, "new", 3);
	assert_int_equal(seq, 50);
	free(blob);
	/* One of another tag does, whatever its seq; and an empty one is a summary. */
	assert_ok(tr_storage_summary_put(st, "a", "t2", NULL, 0, 7, &f->err), &f->err);
	assert_ok(tr_storage_summary_get(st, "a", "t1", &blob, &len, &seq, &f->err), &f->err);
	assert_null(blob);
	assert_ok(tr_storage_summary_get(st, "a", "t2", &blob, &len, &seq, &f->err), &f->err);
	assert_non_null(blob);
	assert_int_equal(len, 0);
	assert_int_equal(seq, 7);
	free(blob);

	/* Refused arguments. */
	assert_int_equal(tr_storage_summary_get(st, "", "t", &blob, &len, &seq, &f->err), TR_EINVAL);
	assert_null(blob);
	assert_int_equal(tr_storage_summary_get(st, "a", NULL, &blob, &len, &seq, &f->err),
			 TR_EINVAL);
	assert_contains(f->err.msg, "tag is NULL");
	assert_int_equal(tr_storage_summary_get(st, "a", "t", NULL, &len, &seq, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_summary_get(NULL, "a", "t", &blob, &len, &seq, &f->err),
			 TR_EINVAL);
	assert_int_equal(tr_storage_summary_put(st, "a", "t", NULL, 3, 1, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_summary_put(st, "a", "t", "x", 1, -1, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_summary_put(st, NULL, "t", "x", 1, 1, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_summary_put(st, "a", NULL, "x", 1, 1, &f->err), TR_EINVAL);
	assert_int_equal(tr_storage_summary_put(NULL, "a", "t", "x", 1, 1, &f->err), TR_EINVAL);
	tr_storage_close(st);
}

/* ---- the state of an asset, through the summary (src/exec/state.c) ---- */

static const char state_project[] =
	"name: state\n"
	"assets:\n"
	"  days:\n"
	"    partitions: {type: daily, start: 2020-01-01}\n"
	"    partition_expr: day\n"
	"    sql: SELECT 1 AS day\n"
	"  shifted:\n"
	"    partitions: {type: daily, start: 2020-01-01}\n"
	"    partition_expr: day\n"
	"    sql: SELECT 1 AS day\n"
	"  colors:\n"
	"    partitions: {type: static, keys: [red, green, blue]}\n"
	"    partition_expr: c\n"
	"    sql: SELECT 1 AS c\n"
	"  symbols:\n"
	"    partitions: {type: dynamic, name: symbols}\n"
	"    partition_expr: s\n"
	"    sql: SELECT 1 AS s\n"
	"  cube:\n"
	"    partitions: {type: multi, dimensions: {day: {type: daily, start: 2024-01-01},"
	" color: {type: static, keys: [red, blue]}}}\n"
	"    partition_expr: {day: d, color: c}\n"
	"    sql: SELECT 1 AS d, 1 AS c\n"
	"  total:\n"
	"    sql: SELECT 1 AS t\n";

#define STATE_NOW 1704844800 /* 2024-01-10T00:00:00Z: 1,470 days since 2020-01-01 */

/* The state as it was computed before summaries: every row read and indexed. */
static void naive_state(tr_storage *st, const char *asset, const tr_partitions *parts,
			tr_keyset sets[3])
{
	tr_error err = {0};
	tr_pstatus *rows = NULL;
	size_t n = 0, r = 0;

	for (int k = 0; k < 3; k++)
		tr_keyset_init(&sets[k]);
	assert_ok(tr_storage_partition_status(st, asset, &rows, &n, &err), &err);
	for (r = 0; r < n; r++) {
		int64_t index = 0;
		int k = !strcmp(rows[r].status, "materialized") ? 0
			: !strcmp(rows[r].status, "failed")     ? 1
								 : 2;

		if (parts) {
			if (!tr_partitions_has(parts, rows[r].partition) ||
			    tr_partitions_index(parts, rows[r].partition, &index, NULL))
				continue;
		} else if (rows[r].partition[0]) {
			continue;
		}
		assert_int_equal(tr_keyset_add(&sets[k], index), 0);
	}
	tr_pstatus_free(rows, n);
}

/* tr_asset_state_get for asset `name` equals the naive state; returns the materialized count. */
static int64_t check_state(const tr_project *p, tr_storage *st, const char *name, int64_t now)
{
	tr_error err = {0};
	tr_partitions *parts = NULL;
	tr_asset_state state;
	tr_keyset expected[3], all = TR_KEYSET_INIT, missing = TR_KEYSET_INIT;
	size_t i = 0;
	int64_t materialized = 0;

	assert_ok(tr_project_find(p, name, &i, &err), &err);
	assert_ok(tr_asset_partitions(p, st, i, now, &parts, &err), &err);
	assert_ok(tr_asset_state_get(p, st, i, parts, &state, &err), &err);
	naive_state(st, name, parts, expected);
	assert_int_equal(state.total, parts ? tr_partitions_count(parts) : 1);
	if (!tr_keyset_equal(&state.materialized, &expected[0]) ||
	    !tr_keyset_equal(&state.failed, &expected[1]) ||
	    !tr_keyset_equal(&state.in_progress, &expected[2]))
		fail_msg("%s: state %lld/%lld/%lld, expected %lld/%lld/%lld", name,
			 (long long)tr_keyset_count(&state.materialized),
			 (long long)tr_keyset_count(&state.failed),
			 (long long)tr_keyset_count(&state.in_progress),
			 (long long)tr_keyset_count(&expected[0]),
			 (long long)tr_keyset_count(&expected[1]),
			 (long long)tr_keyset_count(&expected[2]));
	assert_int_equal(tr_keyset_union(&all, &expected[0], &expected[1]), 0);
	assert_int_equal(tr_keyset_union(&missing, &all, &expected[2]), 0);
	assert_int_equal(tr_keyset_complement(&all, &missing, state.total), 0);
	assert_true(tr_keyset_equal(&state.missing, &all));
	materialized = tr_keyset_count(&state.materialized);
	for (int k = 0; k < 3; k++)
		tr_keyset_release(&expected[k]);
	tr_keyset_release(&all);
	tr_keyset_release(&missing);
	tr_asset_state_release(&state);
	tr_partitions_free(parts);
	return materialized;
}

/* Adds one event of type to asset for every n-th day from `from` (index) to `to`. */
static void add_days(tr_storage *st, const char *type, int64_t run, const char *asset,
		     int64_t from, int64_t to, int64_t every)
{
	tr_event *evs = calloc((size_t)(to - from + 1), sizeof(*evs));
	char (*keys)[16] = calloc((size_t)(to - from + 1), sizeof(*keys));
	size_t n = 0;

	assert_non_null(evs);
	assert_non_null(keys);
	for (int64_t d = from; d <= to; d += every, n++) {
		time_t t = (time_t)(1577836800 + d * 86400); /* 2020-01-01 + d days */
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(keys[n], sizeof(keys[n]), "%Y-%m-%d", &tm);
		evs[n] = ev_make(type, run, asset, keys[n]);
	}
	add_events(st, evs, n);
	free(evs);
	free(keys);
}

/* The seq of asset's stored summary, or -1 when it has none. */
static int64_t summary_seq(const char *path, const char *asset)
{
	char sql[160], text[32];

	snprintf(sql, sizeof(sql),
		 "SELECT coalesce((SELECT seq FROM status_summary WHERE asset = '%s'), -1)", asset);
	raw_query(path, sql, text, sizeof(text));
	return atoll(text);
}

/* The sequence value asset's status rows are at now. */
static int64_t status_seq(tr_storage *st, const char *asset)
{
	tr_error err = {0};
	tr_pstatus *rows = NULL;
	size_t n = 0;
	int64_t seq = 0;

	assert_ok(tr_storage_status_changes(st, asset, 0, &rows, &n, &seq, &err), &err);
	tr_pstatus_free(rows, n);
	return seq;
}

/* The project with asset days's definition replaced by def. */
static tr_project *project_with_days(struct fixture *f, const char *def)
{
	char text[2048];
	tr_project *p = NULL;

	snprintf(text, sizeof(text),
		 "name: state\n"
		 "assets:\n"
		 "  days:\n"
		 "    partitions: %s\n"
		 "    partition_expr: day\n"
		 "    sql: SELECT 1 AS day\n",
		 def);
	assert_ok(tr_project_parse(text, "tranche.yaml", f->dir, &p, &f->err), &f->err);
	return p;
}

static void test_asset_state_summary(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	tr_project *p = NULL, *other = NULL;
	char db[300];
	int64_t run = create_run(st, run_template("days")), seq = 0;

	assert_ok(tr_project_parse(state_project, "tranche.yaml", f->dir, &p, &f->err), &f->err);
	snprintf(db, sizeof(db), "%s", path_in(f, "instance.db"));

	/* No rows: all missing, no summary written. */
	assert_int_equal(check_state(p, st, "days", STATE_NOW), 0);
	assert_int_equal(summary_seq(db, "days"), -1);
	/* 1,000 days materialized, a key that is not a day and one that does not exist
	 * yet: the cold path, which writes the summary. */
	add_days(st, "materialization", run, "days", 0, 999, 1);
	add_one(st, "materialization", run, "days", "not-a-day");
	add_one(st, "materialization", run, "days", "2030-01-01");
	assert_int_equal(check_state(p, st, "days", STATE_NOW), 1000);
	seq = summary_seq(db, "days");
	assert_int_equal(seq, status_seq(st, "days"));

	/* A few failures, wipes, partitions in progress: applied on the summary, which
	 * stays as it was (too few changes to be worth a write). */
	add_days(st, "step_failure", run, "days", 10, 20, 2);
	add_days(st, "wipe", 0, "days", 30, 40, 1);
	add_days(st, "wipe", 0, "days", 1200, 1210, 1); /* never there */
	add_days(st, "step_start", run, "days", 1100, 1105, 1);
	add_days(st, "step_start", run, "days", 500, 502, 1);
	assert_int_equal(check_state(p, st, "days", STATE_NOW), 1000 - 6 - 11 - 3);
	assert_int_equal(summary_seq(db, "days"), seq);
	/* The run is canceled: 500-502 back to materialized, 1100-1105 missing again. */
	finish_run(st, run, "canceled");
	assert_int_equal(check_state(p, st, "days", STATE_NOW), 1000 - 6 - 11);
	/* Many changes: the summary is written again, current to the newest. */
	run = create_run(st, run_template("days"));
	add_days(st, "materialization", run, "days", 1000, 1400, 1);
	assert_int_equal(check_state(p, st, "days", STATE_NOW), 1401 - 6 - 11);
	assert_int_equal(summary_seq(db, "days"), status_seq(st, "days"));
	assert_true(summary_seq(db, "days") > seq);
	/* Later, the key that did not exist does: a summary holds time keys of any date. */
	assert_int_equal(check_state(p, st, "days", 1893456000 + 86400), 1402 - 6 - 11);

	/* Another definition (another start, another format): the summary is not used. */
	other = project_with_days(f, "{type: daily, start: 2020-01-03}");
	assert_int_equal(check_state(other, st, "days", STATE_NOW), 1401 - 6 - 11 - 2);
	tr_project_free(other);
	other = project_with_days(f, "{type: daily, start: 2020-01-01, fmt: \"%Y%m%d\"}");
	assert_int_equal(check_state(other, st, "days", STATE_NOW), 0);
	tr_project_free(other);
	other = project_with_days(f, "{type: daily, start: 2020-01-01, timezone: Asia/Tokyo}");
	check_state(other, st, "days", STATE_NOW);
	tr_project_free(other);
	assert_int_equal(check_state(p, st, "days", STATE_NOW), 1401 - 6 - 11);

	/* A summary that is not one: ignored, the state read in full. */
	raw_exec(db, "UPDATE status_summary SET blob = x'545253310100'");
	assert_int_equal(check_state(p, st, "days", STATE_NOW), 1401 - 6 - 11);
	raw_exec(db, "UPDATE status_summary SET blob = x''");
	assert_int_equal(check_state(p, st, "days", STATE_NOW), 1401 - 6 - 11);
	/* A well-formed summary is believed: the rows are not read (here, one saying
	 * "nothing" at the newest seq gives nothing), until it is gone. */
	raw_exec(db, "UPDATE status_summary SET blob = x'54525331"
		     "000000000000000000000000000000000000000000000000'");
	{
		tr_partitions *parts = NULL;
		tr_asset_state as;
		size_t i = 0;

		assert_ok(tr_project_find(p, "days", &i, &f->err), &f->err);
		assert_ok(tr_asset_partitions(p, st, i, STATE_NOW, &parts, &f->err), &f->err);
		assert_ok(tr_asset_state_get(p, st, i, parts, &as, &f->err), &f->err);
		assert_int_equal(tr_keyset_count(&as.materialized), 0);
		assert_int_equal(tr_keyset_count(&as.missing), as.total);
		tr_asset_state_release(&as);
		tr_partitions_free(parts);
	}
	raw_exec(db, "DELETE FROM status_summary");
	assert_int_equal(check_state(p, st, "days", STATE_NOW), 1401 - 6 - 11);

	/* Static, dynamic (keys added and deleted), multi (days pass), unpartitioned. */
	add_one(st, "materialization", run, "colors", "red");
	add_one(st, "step_failure", run, "colors", "blue");
	add_one(st, "materialization", run, "colors", "purple"); /* not a key (any more) */
	assert_int_equal(check_state(p, st, "colors", STATE_NOW), 1);
	for (int i = 0; i < 300; i++) {
		char key[16];

		snprintf(key, sizeof(key), "S%03d", i);
		assert_add(st, "symbols", 1, KEYS(key));
		add_one(st, "materialization", run, "symbols", key);
	}
	assert_int_equal(check_state(p, st, "symbols", STATE_NOW), 300);
	assert_true(summary_seq(db, "symbols") > 0);
	assert_delete(st, "symbols", 2, KEYS("S000", "S150"));
	assert_add(st, "symbols", 1, KEYS("S000")); /* last now: indexes move */
	assert_int_equal(check_state(p, st, "symbols", STATE_NOW), 299);
	add_one(st, "materialization", run, "cube", "red|2024-01-01");
	add_one(st, "materialization", run, "cube", "blue|2024-01-09");
	add_one(st, "materialization", run, "cube", "blue|2024-01-10"); /* exists tomorrow */
	assert_int_equal(check_state(p, st, "cube", STATE_NOW), 2);
	assert_int_equal(check_state(p, st, "cube", STATE_NOW + 86400), 3);
	assert_int_equal(check_state(p, st, "total", STATE_NOW), 0);
	add_one(st, "materialization", run, "total", "");
	assert_int_equal(check_state(p, st, "total", STATE_NOW), 1);
	finish_run(st, run, "success");
	tr_storage_close(st);
	tr_project_free(p);
}

/* ---- staleness ---- */

static const char stale_project[] =
	"name: stale\n"
	"assets:\n"
	"  up:\n"
	"    partitions: {type: daily, start: 2020-01-01}\n"
	"    partition_expr: day\n"
	"    sql: SELECT 1 AS day\n"
	"  same:\n"
	"    partitions: {type: daily, start: 2020-01-01}\n"
	"    partition_expr: day\n"
	"    deps: [up]\n"
	"    sql: SELECT 1 AS day\n"
	"  prev:\n"
	"    partitions: {type: daily, start: 2020-01-01}\n"
	"    partition_expr: day\n"
	"    deps: [{asset: up, mapping: {type: time_window, start_offset: -1, end_offset: 0}}]\n"
	"    sql: SELECT 1 AS day\n"
	"  weeks:\n"
	"    partitions: {type: weekly, start: 2020-01-05}\n"
	"    partition_expr: day\n"
	"    deps: [same]\n"
	"    sql: SELECT 1 AS day\n"
	"  colors:\n"
	"    partitions: {type: static, keys: [red, green, blue]}\n"
	"    partition_expr: c\n"
	"    sql: SELECT 1 AS c\n"
	"  cube:\n"
	"    partitions: {type: multi, dimensions: {day: {type: daily, start: 2020-01-01},"
	" color: {type: static, keys: [red, green, blue]}}}\n"
	"    partition_expr: {day: d, color: c}\n"
	"    deps: [{asset: up, mapping: {type: multi_to_single, dimension: day}}, {asset: colors,"
	" mapping: {type: multi_to_single, dimension: color}}]\n"
	"    sql: SELECT 1 AS d, 1 AS c\n"
	"  total:\n"
	"    deps: [weeks]\n"
	"    sql: SELECT 1 AS t\n"
	"  after:\n"
	"    partitions: {type: daily, start: 2020-01-01}\n"
	"    partition_expr: day\n"
	"    deps: [total]\n"
	"    sql: SELECT 1 AS day\n";

/* A status row's index (of parts, or "" unpartitioned as 0; -1: neither) and materialization. */
struct index_id {
	int64_t index, id;
};

static struct index_id *rows_indexed(const tr_pstatus *rows, size_t n, const tr_partitions *parts)
{
	struct index_id *out = calloc(n ? n : 1, sizeof(*out));

	assert_non_null(out);
	for (size_t r = 0; r < n; r++) {
		out[r].id = rows[r].materialization_id;
		if (parts ? tr_partitions_index(parts, rows[r].partition, &out[r].index, NULL) != 0
			  : rows[r].partition[0] != '\0')
			out[r].index = -1;
	}
	return out;
}

/* The greatest id of rows with an index in ks (NULL: any). */
static int64_t rows_max_id(const struct index_id *rows, size_t n, const tr_keyset *ks)
{
	int64_t best = 0;

	for (size_t r = 0; r < n; r++)
		if (rows[r].index >= 0 && (!ks || tr_keyset_contains(ks, rows[r].index)) &&
		    rows[r].id > best)
			best = rows[r].id;
	return best;
}

/* Asset i's stale keys by the definition, from every status row. */
static void naive_stale(const tr_project *p, tr_storage *st, size_t i, int64_t now, tr_keyset *out)
{
	const tr_asset *a = &p->assets[i];
	tr_error err = {0};
	tr_partitions *parts = NULL, *up[8] = {NULL};
	tr_pstatus *rows = NULL, *urows[8] = {NULL};
	struct index_id *uix[8] = {NULL};
	size_t n = 0, un[8] = {0};

	assert_true(a->n_deps <= 8);
	tr_keyset_init(out);
	assert_ok(tr_asset_partitions(p, st, i, now, &parts, &err), &err);
	assert_ok(tr_storage_partition_status(st, a->name, &rows, &n, &err), &err);
	for (size_t d = 0; d < a->n_deps; d++) {
		assert_ok(tr_asset_partitions(p, st, a->deps[d].asset, now, &up[d], &err), &err);
		assert_ok(tr_storage_partition_status(st, p->assets[a->deps[d].asset].name, &urows[d],
						      &un[d], &err),
			  &err);
		uix[d] = rows_indexed(urows[d], un[d], up[d]);
	}
	for (size_t r = 0; r < n; r++) {
		tr_keyset one = TR_KEYSET_INIT, ups = TR_KEYSET_INIT;
		int64_t index = 0, newest = 0;

		if (strcmp(rows[r].status, "materialized") != 0 ||
		    (parts ? tr_partitions_index(parts, rows[r].partition, &index, NULL) != 0
			   : rows[r].partition[0] != '\0'))
			continue;
		assert_int_equal(tr_keyset_add(&one, index), 0);
		for (size_t d = 0; d < a->n_deps; d++) {
			tr_buf scratch = TR_BUF_INIT;
			int64_t m = 0;

			if (up[d] && parts) {
				assert_ok(tr_mapping_upstream(a->deps[d].mapping, up[d], parts, &one,
							      &ups, &scratch, NULL, &err),
					  &err);
				m = rows_max_id(uix[d], un[d], &ups);
			} else {
				m = rows_max_id(uix[d], un[d], NULL); /* every one is read */
			}
			if (m > newest)
				newest = m;
			tr_buf_release(&scratch);
		}
		if (newest > rows[r].materialization_id)
			assert_int_equal(tr_keyset_add(out, index), 0);
		tr_keyset_release(&one);
		tr_keyset_release(&ups);
	}
	for (size_t d = 0; d < a->n_deps; d++) {
		free(uix[d]);
		tr_pstatus_free(urows[d], un[d]);
		tr_partitions_free(up[d]);
	}
	tr_pstatus_free(rows, n);
	tr_partitions_free(parts);
}

/* tr_asset_state_get's stale set of every asset equals the naive one; their total. */
static int64_t check_stale(const tr_project *p, tr_storage *st, int64_t now)
{
	int64_t total = 0;

	for (size_t i = 0; i < p->n_assets; i++) {
		tr_error err = {0};
		tr_partitions *parts = NULL;
		tr_asset_state state;
		tr_keyset expected, inside = TR_KEYSET_INIT;

		assert_ok(tr_asset_partitions(p, st, i, now, &parts, &err), &err);
		assert_ok(tr_asset_state_get(p, st, i, parts, &state, &err), &err);
		naive_stale(p, st, i, now, &expected);
		if (!tr_keyset_equal(&state.stale, &expected))
			fail_msg("%s: %lld stale, expected %lld", p->assets[i].name,
				 (long long)tr_keyset_count(&state.stale),
				 (long long)tr_keyset_count(&expected));
		assert_int_equal(tr_keyset_intersect(&inside, &state.stale, &state.materialized), 0);
		assert_true(tr_keyset_equal(&inside, &state.stale));
		total += tr_keyset_count(&state.stale);
		tr_keyset_release(&expected);
		tr_keyset_release(&inside);
		tr_asset_state_release(&state);
		tr_partitions_free(parts);
	}
	return total;
}

/* One event of type for keys [from, to) of asset i (an unpartitioned asset: its one key). */
static void add_keys(const tr_project *p, tr_storage *st, size_t i, const char *type, int64_t run,
		     int64_t from, int64_t to)
{
	tr_error err = {0};
	tr_partitions *parts = NULL;
	tr_event *evs = NULL;
	char **keys = NULL;
	size_t n = 0;

	assert_ok(tr_asset_partitions(p, st, i, STATE_NOW, &parts, &err), &err);
	if (!parts)
		from = 0, to = 1;
	else if (to > tr_partitions_count(parts)) /* up to the last one */
		to = tr_partitions_count(parts);
	evs = calloc((size_t)(to - from), sizeof(*evs));
	keys = calloc((size_t)(to - from), sizeof(*keys));
	assert_non_null(evs);
	assert_non_null(keys);
	for (int64_t k = from; k < to; k++, n++) {
		tr_buf key = TR_BUF_INIT;

		if (parts)
			assert_ok(tr_partitions_key(parts, k, &key, &err), &err);
		keys[n] = tr_buf_detach(&key, NULL);
		if (!keys[n])
			keys[n] = strdup("");
		evs[n] = ev_make(type, run, p->assets[i].name, keys[n]);
	}
	add_events(st, evs, n);
	for (size_t k = 0; k < n; k++)
		free(keys[k]);
	free(keys);
	free(evs);
	tr_partitions_free(parts);
}

static void test_stale_examples(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	tr_project *p = NULL;
	int64_t run = create_run(st, run_template("*"));
	size_t up = 0, same = 0, total = 0, after = 0, weeks = 0;

	assert_ok(tr_project_parse(stale_project, "tranche.yaml", f->dir, &p, &f->err), &f->err);
	assert_ok(tr_project_find(p, "up", &up, &f->err), &f->err);
	assert_ok(tr_project_find(p, "same", &same, &f->err), &f->err);
	assert_ok(tr_project_find(p, "weeks", &weeks, &f->err), &f->err);
	assert_ok(tr_project_find(p, "total", &total, &f->err), &f->err);
	assert_ok(tr_project_find(p, "after", &after, &f->err), &f->err);
	/* Everything materialized in dependency order: nothing is stale. */
	for (size_t k = 0; k < p->n_assets; k++)
		add_keys(p, st, p->order[k], "materialization", run, 0, 1470 * 3);
	assert_int_equal(check_stale(p, st, STATE_NOW), 0);
	/* Day 10 of up again: its readers are stale (same 10, prev 10-11, cube 10|*). */
	add_keys(p, st, up, "materialization", run, 10, 11);
	assert_int_equal(check_stale(p, st, STATE_NOW), 1 + 2 + 3);
	/* A failed attempt, a running one: what the partition read is unchanged. */
	add_keys(p, st, same, "step_failure", run, 10, 11);
	add_keys(p, st, up, "step_start", run, 10, 11);
	assert_int_equal(check_stale(p, st, STATE_NOW), 2 + 3);
	add_keys(p, st, same, "materialization", run, 10, 11);
	assert_int_equal(check_stale(p, st, STATE_NOW), 1 + 2 + 3); /* weeks: its week */
	/* The whole of `weeks` again: total is stale, and so is every day of `after`. */
	add_keys(p, st, weeks, "materialization", run, 0, 210);
	assert_int_equal(check_stale(p, st, STATE_NOW), 2 + 3 + 1);
	add_keys(p, st, total, "materialization", run, 0, 1);
	assert_int_equal(check_stale(p, st, STATE_NOW), 2 + 3 + 1470);
	add_keys(p, st, after, "materialization", run, 0, 1470);
	assert_int_equal(check_stale(p, st, STATE_NOW), 2 + 3);
	/* Wiping an upstream partition: its readers are judged by the rest (here: no
	 * longer stale), whether a cache was stored before the wipe or not. */
	add_keys(p, st, up, "wipe", 0, 10, 11);
	assert_int_equal(check_stale(p, st, STATE_NOW), 0);
	add_keys(p, st, up, "materialization", run, 10, 11);
	assert_int_equal(check_stale(p, st, STATE_NOW), 1 + 2 + 3);
	add_keys(p, st, up, "materialization", run, 100, 400); /* the cache is stored */
	assert_int_equal(check_stale(p, st, STATE_NOW), 301 + 303 + 903);
	add_keys(p, st, up, "wipe", 0, 10, 11);
	assert_int_equal(check_stale(p, st, STATE_NOW), 300 + 301 + 900);
	finish_run(st, run, "success");
	tr_storage_close(st);
	tr_project_free(p);
}

static void test_stale_incremental_equals_naive(void **state)
{
	struct fixture *f = *state;
	tr_storage *st = open_in(f, "instance.db");
	tr_project *p = NULL;
	char db[300];
	static const char *const types[] = {"materialization", "materialization", "materialization",
					    "step_failure", "step_start", "wipe"};
	unsigned seed = 20261121;
	int64_t run = create_run(st, run_template("*")), stale = 0;

	assert_ok(tr_project_parse(stale_project, "tranche.yaml", f->dir, &p, &f->err), &f->err);
	snprintf(db, sizeof(db), "%s", path_in(f, "instance.db"));
	for (int round = 0; round < 80; round++) {
		size_t i = (size_t)rand_r(&seed) % p->n_assets;
		tr_partitions *parts = NULL;
		int64_t count = 1, from = 0, len = 0;

		assert_ok(tr_asset_partitions(p, st, i, STATE_NOW, &parts, &f->err), &f->err);
		if (parts)
			count = tr_partitions_count(parts);
		tr_partitions_free(parts);
		from = rand_r(&seed) % count;
		len = 1 + rand_r(&seed) % (rand_r(&seed) % 4 == 0 ? 600 : 20);
		if (from + len > count)
			len = count - from;
		add_keys(p, st, i, types[rand_r(&seed) % 6], run, from, from + len);
		if (round % 7 == 6) { /* the run ends: what was running is put back */
			finish_run(st, run, "canceled");
			run = create_run(st, run_template("*"));
		}
		stale = check_stale(p, st, STATE_NOW);
		/* The cache is as good as starting over. */
		if (round % 10 == 9) {
			raw_exec(db, "DELETE FROM status_summary");
			assert_int_equal(check_stale(p, st, STATE_NOW), stale);
		}
	}
	assert_true(stale > 0);
	finish_run(st, run, "success");
	tr_storage_close(st);
	tr_project_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_creates_dirs_and_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_url_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_urls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_database_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unusable_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_delete_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_independent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_is_atomic_on_database_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_first_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_from_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runs_invalid_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_list_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_transitions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_invalid_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runs_reap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_two_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_from_v2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backfills, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backfills_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backfill_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reap_ends_backfills, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_changes_reap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_asset_state_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_examples, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_incremental_equals_naive, setup, teardown),
	};

	return cmocka_run_group_tests_name("storage", tests, NULL, NULL);
}
