/*
 * test_storage.c — instance storage (tranche/storage.h) on its SQLite backend:
 * opening and URLs, schema versions and refusals, migration from version 1,
 * dynamic partition keys (idempotence, order, atomicity), 100,000 keys, two
 * processes sharing one file; runs, events and their effect on partition and
 * check status, batches of 10,000 events, reaping runs of dead processes. Each test gets a fresh directory under /tmp, removed afterwards.
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

#include "tranche/storage.h"

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
	assert_int_equal(version, 2);
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
	assert_string_equal(text, "2");
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
	};

	return cmocka_run_group_tests_name("storage", tests, NULL, NULL);
}
