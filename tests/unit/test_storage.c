/*
 * test_storage.c — instance storage (tranche/storage.h) on its SQLite backend:
 * opening and URLs, schema versions and refusals, dynamic partition keys
 * (idempotence, order, atomicity), 100,000 keys, and two processes sharing one
 * file. Each test gets a fresh directory under /tmp, removed afterwards.
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
	};

	return cmocka_run_group_tests_name("storage", tests, NULL, NULL);
}
