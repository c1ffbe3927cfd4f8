/*
 * sqlite.c — the SQLite instance storage backend (storage_impl.h).
 *
 * One handle = one SQLite connection, used by one thread at a time (the
 * connection is opened SQLITE_OPEN_NOMUTEX and caches prepared statements).
 * Several handles and processes share a file through WAL mode: readers see the
 * last committed transaction and never wait; every write runs in BEGIN
 * IMMEDIATE, so it takes the write lock before it reads anything it relies on
 * (the next seq) and waits up to BUSY_TIMEOUT_MS for another writer. That wait
 * is SQLite's polling, not a queue: a process committing back-to-back can keep
 * another waiting, so callers should write in batches, not in tight loops.
 *
 * Schema: `migrations` below, applied in order on open. The database records
 * its version in PRAGMA user_version and marks itself as tranche's with PRAGMA
 * application_id, so that a file of another application is refused rather
 * than written into. A migration is never edited once released: a change is a
 * new row.
 *
 * Invariants of dynamic_partitions: (name, key) unique; seq unique within a
 * name and increasing in order of addition — a new key gets max(seq)+1 of its
 * name, a present key keeps its row, so a deleted and re-added key goes last.
 *
 * Every value reaches SQL as a bound parameter. The only text formatted into
 * SQL is this file's own integer constants in PRAGMAs, which take no parameters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <sqlite3.h>

#include "storage/storage_impl.h"

#define BUSY_TIMEOUT_MS 5000
#define APPLICATION_ID 0x54524e43 /* "TRNC" */
#define TIMESTAMP_SIZE 32

static const struct migration {
	int version; /* rows are 1, 2, 3, ... in order; user_version = the last applied */
	const char *sql;
} migrations[] = {
	{1, "CREATE TABLE dynamic_partitions (\n"
	    "  name     TEXT NOT NULL CHECK (name <> ''),\n"
	    "  key      TEXT NOT NULL CHECK (key <> ''),\n"
	    "  seq      INTEGER NOT NULL,  -- place within name: order of addition\n"
	    "  added_at TEXT NOT NULL,     -- UTC, 2024-01-31T12:00:00Z\n"
	    "  PRIMARY KEY (name, key)\n"
	    ") WITHOUT ROWID;\n"
	    "CREATE UNIQUE INDEX dynamic_partitions_order ON dynamic_partitions (name, seq);\n"},
};

#define SCHEMA_LATEST ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* Prepared once per handle, on first use (SQL naming a table must wait for its migration). */
enum stmt_id {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_JOURNAL_WAL,
	STMT_FOREIGN_KEYS_ON,
	STMT_IDENTITY,
	STMT_USER_VERSION,
	STMT_DYNAMIC_MAX_SEQ,
	STMT_DYNAMIC_INSERT,
	STMT_DYNAMIC_DELETE,
	STMT_DYNAMIC_KEYS,
	STMT_DYNAMIC_NAMES,
	STMT_COUNT
};

static const char *const stmt_sql[STMT_COUNT] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_JOURNAL_WAL] = "PRAGMA journal_mode = WAL",
	[STMT_FOREIGN_KEYS_ON] = "PRAGMA foreign_keys = ON",
	/* One statement, so one snapshot: read apart, the three could straddle another
	 * process's migration and describe a database that never existed. */
	[STMT_IDENTITY] = "SELECT a.application_id, v.user_version,"
			  " (SELECT count(*) FROM sqlite_master)"
			  " FROM pragma_application_id AS a, pragma_user_version AS v",
	[STMT_USER_VERSION] = "PRAGMA user_version",
	[STMT_DYNAMIC_MAX_SEQ] = "SELECT coalesce(max(seq), 0) FROM dynamic_partitions WHERE name = ?1",
	[STMT_DYNAMIC_INSERT] = "INSERT INTO dynamic_partitions (name, key, seq, added_at) "
				"VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name, key) DO NOTHING",
	[STMT_DYNAMIC_DELETE] = "DELETE FROM dynamic_partitions WHERE name = ?1 AND key = ?2",
	[STMT_DYNAMIC_KEYS] = "SELECT key FROM dynamic_partitions WHERE name = ?1 ORDER BY seq",
	/* Distinct names by skipping through the primary key: one index probe per
	 * name instead of a scan of every key. */
	[STMT_DYNAMIC_NAMES] =
		"WITH RECURSIVE names (name) AS ("
		" SELECT min(name) FROM dynamic_partitions"
		" UNION ALL"
		" SELECT (SELECT min(d.name) FROM dynamic_partitions d WHERE d.name > names.name)"
		" FROM names WHERE names.name IS NOT NULL)"
		" SELECT name FROM names WHERE name IS NOT NULL ORDER BY name",
};

struct sqlite_storage {
	struct tr_storage base; /* first: the front's tr_storage * points here */
	sqlite3 *db;
	char *path; /* as given, for messages */
	sqlite3_stmt *stmts[STMT_COUNT];
};

static struct sqlite_storage *to_sqlite(tr_storage *st)
{
	return (struct sqlite_storage *)st;
}

/* Fills err from the connection's last error; returns TR_ENOMEM or TR_EIO. */
static int db_error(struct sqlite_storage *s, int sqlite_rc, tr_error *err)
{
	int primary = sqlite_rc & 0xff;

	return tr_error_set(err, primary == SQLITE_NOMEM ? TR_ENOMEM : TR_EIO, "%s%s",
			    sqlite3_errmsg(s->db),
			    primary == SQLITE_BUSY ? " (another process holds it; waited up to 5 s)" : "");
}

static int stmt_get(struct sqlite_storage *s, enum stmt_id id, sqlite3_stmt **out, tr_error *err)
{
	int rc = SQLITE_OK;

	if (!s->stmts[id]) {
		rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					&s->stmts[id], NULL);
		if (rc != SQLITE_OK)
			return db_error(s, rc, err);
	}
	*out = s->stmts[id];
	return 0;
}

/* Makes a cached statement ready for its next use; NULL is allowed. */
static void stmt_done(sqlite3_stmt *stmt)
{
	if (!stmt)
		return;
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

/* The text must stay valid until stmt_done: it is bound without a copy. */
static int bind_text(struct sqlite_storage *s, sqlite3_stmt *stmt, int index, const char *text,
		     tr_error *err)
{
	int rc = sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);

	return rc == SQLITE_OK ? 0 : db_error(s, rc, err);
}

static int bind_int64(struct sqlite_storage *s, sqlite3_stmt *stmt, int index,
		      sqlite3_int64 value, tr_error *err)
{
	int rc = sqlite3_bind_int64(stmt, index, value);

	return rc == SQLITE_OK ? 0 : db_error(s, rc, err);
}

/* Runs a statement that returns no row to completion and resets it. */
static int step_done(struct sqlite_storage *s, sqlite3_stmt *stmt, tr_error *err)
{
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_DONE) {
		sqlite3_reset(stmt);
		return 0;
	}
	if (rc == SQLITE_ROW)
		rc = tr_error_set(err, TR_EINTERNAL, "unexpected row from: %s", sqlite3_sql(stmt));
	else
		rc = db_error(s, rc, err);
	sqlite3_reset(stmt);
	return rc;
}

/* Runs a statement whose first row's first column is an integer and resets it. */
static int step_int64(struct sqlite_storage *s, sqlite3_stmt *stmt, sqlite3_int64 *value,
		      tr_error *err)
{
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_ROW) {
		*value = sqlite3_column_int64(stmt, 0);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = tr_error_set(err, TR_EINTERNAL, "no row from: %s", sqlite3_sql(stmt));
	} else {
		rc = db_error(s, rc, err);
	}
	sqlite3_reset(stmt);
	return rc;
}

static int exec_cached(struct sqlite_storage *s, enum stmt_id id, tr_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = stmt_get(s, id, &stmt, err);

	return rc ? rc : step_done(s, stmt, err);
}

static int query_int(struct sqlite_storage *s, enum stmt_id id, int *value, tr_error *err)
{
	sqlite3_stmt *stmt = NULL;
	sqlite3_int64 v = 0;
	int rc = stmt_get(s, id, &stmt, err);

	if (rc == 0 && (rc = step_int64(s, stmt, &v, err)) == 0)
		*value = (int)v;
	return rc;
}

/* Appends the first column of every row to list, then resets stmt. */
static int collect_text(struct sqlite_storage *s, sqlite3_stmt *stmt, struct storage_strv *list,
			tr_error *err)
{
	int rc = 0;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const unsigned char *text = sqlite3_column_text(stmt, 0);
		int len = sqlite3_column_bytes(stmt, 0);

		if (!text) {
			rc = sqlite3_errcode(s->db) == SQLITE_NOMEM
				     ? tr_error_set(err, TR_ENOMEM, "out of memory reading a row")
				     : tr_error_set(err, TR_EINTERNAL, "NULL in a NOT NULL column");
			goto out;
		}
		if ((rc = storage_strv_add(list, (const char *)text, (size_t)len, err)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : db_error(s, rc, err);
out:
	sqlite3_reset(stmt);
	return rc;
}

static int txn_begin(struct sqlite_storage *s, tr_error *err)
{
	return exec_cached(s, STMT_BEGIN, err);
}

static int txn_commit(struct sqlite_storage *s, tr_error *err)
{
	return exec_cached(s, STMT_COMMIT, err);
}

/*
 * Rolls back the open transaction, if any: SQLite has already rolled back by
 * itself after some errors, and a failed COMMIT leaves it open. Called after
 * err is filled, so its own failure is not reported over the first one.
 */
static void txn_abort(struct sqlite_storage *s)
{
	if (!sqlite3_get_autocommit(s->db))
		exec_cached(s, STMT_ROLLBACK, NULL);
}

static void timestamp_now(char *buf, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%s", "1970-01-01T00:00:00Z");
}

/* ---- the operations ---- */

static void sqlite_close(tr_storage *st)
{
	struct sqlite_storage *s = to_sqlite(st);
	int i = 0;

	for (i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(s->stmts[i]);
	sqlite3_close_v2(s->db);
	free(s->path);
	free(s);
}

static int sqlite_schema_version(tr_storage *st, int *version, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	int rc = query_int(s, STMT_USER_VERSION, version, err);

	if (rc)
		tr_error_prefix(err, "%s: reading the schema version", s->path);
	return rc;
}

static int sqlite_dynamic_add(tr_storage *st, const char *name, const char *const *keys,
			      size_t key_count, size_t *changed, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *max_seq = NULL, *insert = NULL;
	sqlite3_int64 seq = 0;
	char now[TIMESTAMP_SIZE];
	size_t i = 0, added = 0;
	int rc = 0;

	timestamp_now(now, sizeof(now));
	if ((rc = txn_begin(s, err)) != 0)
		goto out;
	/* Read under the write lock: no other writer can hand out the same seq. */
	if ((rc = stmt_get(s, STMT_DYNAMIC_MAX_SEQ, &max_seq, err)) != 0 ||
	    (rc = bind_text(s, max_seq, 1, name, err)) != 0 ||
	    (rc = step_int64(s, max_seq, &seq, err)) != 0)
		goto out;
	if ((rc = stmt_get(s, STMT_DYNAMIC_INSERT, &insert, err)) != 0 ||
	    (rc = bind_text(s, insert, 1, name, err)) != 0 ||
	    (rc = bind_text(s, insert, 4, now, err)) != 0)
		goto out;
	for (i = 0; i < key_count; i++) {
		if ((rc = bind_text(s, insert, 2, keys[i], err)) != 0 ||
		    (rc = bind_int64(s, insert, 3, seq + 1, err)) != 0 ||
		    (rc = step_done(s, insert, err)) != 0)
			goto out;
		/* 0 when the key was present: it keeps its place and the seq is not used. */
		if (sqlite3_changes(s->db) > 0) {
			seq++;
			added++;
		}
	}
	rc = txn_commit(s, err);
out:
	stmt_done(max_seq);
	stmt_done(insert);
	if (rc) {
		txn_abort(s);
		tr_error_prefix(err, "%s: adding %zu keys to dynamic partitions \"%s\"", s->path,
				key_count, name);
		return rc;
	}
	*changed = added;
	return 0;
}

static int sqlite_dynamic_delete(tr_storage *st, const char *name, const char *const *keys,
				 size_t key_count, size_t *changed, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	sqlite3_stmt *delete = NULL;
	size_t i = 0, deleted = 0;
	int rc = 0;

	if ((rc = txn_begin(s, err)) != 0)
		goto out;
	if ((rc = stmt_get(s, STMT_DYNAMIC_DELETE, &delete, err)) != 0 ||
	    (rc = bind_text(s, delete, 1, name, err)) != 0)
		goto out;
	for (i = 0; i < key_count; i++) {
		if ((rc = bind_text(s, delete, 2, keys[i], err)) != 0 ||
		    (rc = step_done(s, delete, err)) != 0)
			goto out;
		deleted += (size_t)sqlite3_changes(s->db);
	}
	rc = txn_commit(s, err);
out:
	stmt_done(delete);
	if (rc) {
		txn_abort(s);
		tr_error_prefix(err, "%s: deleting %zu keys from dynamic partitions \"%s\"", s->path,
				key_count, name);
		return rc;
	}
	*changed = deleted;
	return 0;
}

static int sqlite_dynamic_keys(tr_storage *st, const char *name, char ***keys, size_t *key_count,
			       tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	struct storage_strv list = STORAGE_STRV_INIT;
	sqlite3_stmt *select = NULL;
	int rc = 0;

	/* One statement reads one snapshot: concurrent writers never show half an add. */
	if ((rc = stmt_get(s, STMT_DYNAMIC_KEYS, &select, err)) != 0 ||
	    (rc = bind_text(s, select, 1, name, err)) != 0)
		goto out;
	rc = collect_text(s, select, &list, err);
out:
	stmt_done(select);
	if (rc) {
		storage_strv_release(&list);
		tr_error_prefix(err, "%s: listing dynamic partitions \"%s\"", s->path, name);
		return rc;
	}
	*keys = list.items;
	*key_count = list.count;
	return 0;
}

static int sqlite_dynamic_names(tr_storage *st, char ***names, size_t *name_count, tr_error *err)
{
	struct sqlite_storage *s = to_sqlite(st);
	struct storage_strv list = STORAGE_STRV_INIT;
	sqlite3_stmt *select = NULL;
	int rc = 0;

	if ((rc = stmt_get(s, STMT_DYNAMIC_NAMES, &select, err)) != 0)
		goto out;
	rc = collect_text(s, select, &list, err);
out:
	stmt_done(select);
	if (rc) {
		storage_strv_release(&list);
		tr_error_prefix(err, "%s: listing the names of dynamic partitions", s->path);
		return rc;
	}
	*names = list.items;
	*name_count = list.count;
	return 0;
}

static const struct tr_storage_ops sqlite_ops = {
	.backend = "SQLite",
	.close = sqlite_close,
	.schema_version = sqlite_schema_version,
	.dynamic_add = sqlite_dynamic_add,
	.dynamic_delete = sqlite_dynamic_delete,
	.dynamic_keys = sqlite_dynamic_keys,
	.dynamic_names = sqlite_dynamic_names,
};

/* ---- opening ---- */

/* mkdir -p of every directory above the file at path. */
static int make_parent_dirs(const char *path, tr_error *err)
{
	char *dir = strdup(path);
	char *slash = NULL;
	int rc = 0;

	if (!dir)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		struct stat sb;

		*slash = '\0';
		if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
			rc = tr_error_set(err, TR_EIO, "cannot create directory \"%s\": %s", dir,
					  strerror(errno));
			goto out;
		}
		if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			rc = tr_error_set(err, TR_EIO, "\"%s\" is in the way: it is not a directory",
					  dir);
			goto out;
		}
		*slash = '/';
	}
out:
	free(dir);
	return rc;
}

/*
 * Switches the file to WAL (a no-op when it already is). Switching a new file
 * needs an exclusive lock, and when other processes are opening it at the
 * same moment SQLite answers BUSY at once, without its busy handler: so
 * retry here, for as long as the busy timeout.
 */
static int set_wal(struct sqlite_storage *s, tr_error *err)
{
	const int pause_ms = 5;
	sqlite3_stmt *journal = NULL;
	const char *mode = NULL;
	int rc = 0, waited_ms = 0;

	if ((rc = stmt_get(s, STMT_JOURNAL_WAL, &journal, err)) != 0)
		return rc;
	while ((rc = sqlite3_step(journal)) == SQLITE_BUSY && waited_ms < BUSY_TIMEOUT_MS) {
		sqlite3_reset(journal);
		sqlite3_sleep(pause_ms);
		waited_ms += pause_ms;
	}
	if (rc != SQLITE_ROW) {
		rc = db_error(s, rc, err);
	} else {
		mode = (const char *)sqlite3_column_text(journal, 0);
		rc = mode && strcasecmp(mode, "wal") == 0
			     ? 0
			     : tr_error_set(err, TR_EIO,
					    "cannot use WAL journal mode (SQLite kept \"%s\"); "
					    "is the file on a network filesystem?",
					    mode ? mode : "");
	}
	sqlite3_reset(journal);
	return rc;
}

/* Opens the connection and sets it up: busy timeout, WAL, foreign keys. */
static int db_connect(struct sqlite_storage *s, int in_memory, tr_error *err)
{
	const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	struct stat sb;
	int rc = 0;

	if (!in_memory && stat(s->path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return tr_error_set(err, TR_EIO, "it is a directory, not a database file");
	rc = sqlite3_open_v2(s->path, &s->db, flags, NULL);
	if (rc != SQLITE_OK)
		return s->db ? db_error(s, rc, err) : tr_error_set(err, TR_ENOMEM, "out of memory");
	if ((rc = sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS)) != SQLITE_OK)
		return db_error(s, rc, err);
	/* WAL is what lets readers and one writer in other processes work at once. An
	 * in-memory database has no file to share and stays in "memory" mode. */
	if (!in_memory && (rc = set_wal(s, err)) != 0)
		return rc;
	return exec_cached(s, STMT_FOREIGN_KEYS_ON, err);
}

/*
 * Sets *version to the database's schema version, after checking the file is
 * tranche's (or empty) and not from a newer tranche.
 */
static int check_identity(struct sqlite_storage *s, int *version, tr_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int application_id = 0, user_version = 0, objects = 0, rc = 0;

	if ((rc = stmt_get(s, STMT_IDENTITY, &stmt, err)) != 0)
		return rc;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		application_id = sqlite3_column_int(stmt, 0);
		user_version = sqlite3_column_int(stmt, 1);
		objects = sqlite3_column_int(stmt, 2);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? tr_error_set(err, TR_EINTERNAL, "no schema identity row")
				       : db_error(s, rc, err);
	}
	sqlite3_reset(stmt);
	if (rc)
		return rc;
	if (application_id == APPLICATION_ID) {
		if (user_version > SCHEMA_LATEST)
			return tr_error_set(err, TR_EIO,
					    "its schema version %d was written by a newer tranche "
					    "(this build knows versions up to %d); use that tranche "
					    "or a newer one with this database",
					    user_version, SCHEMA_LATEST);
		*version = user_version;
		return 0;
	}
	if (application_id == 0 && user_version == 0 && objects == 0) {
		*version = 0; /* a new, empty file */
		return 0;
	}
	return tr_error_set(err, TR_EIO,
			    "not a tranche instance database (it has %d schema objects, "
			    "application_id %d, user_version %d); give a new path or one that "
			    "tranche created",
			    objects, application_id, user_version);
}

/*
 * Applies the pending migrations, all in one transaction. The version is
 * read again under the write lock: another process may have just migrated.
 */
static int migrate(struct sqlite_storage *s, tr_error *err)
{
	char pragmas[96];
	int version = 0, rc = 0, i = 0;

	for (i = 0; i < SCHEMA_LATEST; i++)
		if (migrations[i].version != i + 1)
			return tr_error_set(err, TR_EINTERNAL,
					    "migration table: row %d has version %d, expected %d", i,
					    migrations[i].version, i + 1);
	if ((rc = check_identity(s, &version, err)) != 0 || version == SCHEMA_LATEST)
		return rc;
	if ((rc = txn_begin(s, err)) != 0)
		goto out;
	if ((rc = check_identity(s, &version, err)) != 0)
		goto out;
	for (i = version; i < SCHEMA_LATEST; i++) {
		rc = sqlite3_exec(s->db, migrations[i].sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			rc = db_error(s, rc, err);
			tr_error_prefix(err, "schema migration %d", migrations[i].version);
			goto out;
		}
	}
	/* PRAGMAs take no bound parameters; these are this file's constants. */
	snprintf(pragmas, sizeof(pragmas), "PRAGMA application_id = %d; PRAGMA user_version = %d;",
		 APPLICATION_ID, SCHEMA_LATEST);
	rc = sqlite3_exec(s->db, pragmas, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = db_error(s, rc, err);
		goto out;
	}
	rc = txn_commit(s, err);
out:
	if (rc)
		txn_abort(s);
	return rc;
}

/*
 * location is the text after "sqlite:" (or a bare path). "sqlite:///abs" is
 * taken as "/abs", as in other tools' sqlite URLs; "sqlite://host/..." is refused.
 */
int tr_storage_sqlite_open(const char *url, const char *location, tr_storage **out,
			   tr_error *err)
{
	struct sqlite_storage *s = NULL;
	int in_memory = 0, rc = 0;

	*out = NULL;
	if (strncmp(location, "///", 3) == 0)
		location += 2;
	else if (strncmp(location, "//", 2) == 0)
		return tr_error_set(err, TR_EINVAL,
				    "instance storage URL \"%s\": sqlite: takes a file path, not a "
				    "host; write sqlite:relative/file.db or sqlite:/absolute/file.db",
				    url);
	if (!*location)
		return tr_error_set(err, TR_EINVAL,
				    "instance storage URL \"%s\": no path after \"sqlite:\"; "
				    "write sqlite:PATH, e.g. sqlite:.tranche/instance.db",
				    url);
	in_memory = strcmp(location, ":memory:") == 0;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(location))) {
		free(s);
		return tr_error_set(err, TR_ENOMEM, "out of memory opening \"%s\"", url);
	}
	s->base.ops = &sqlite_ops;
	if (!in_memory && (rc = make_parent_dirs(s->path, err)) != 0)
		goto out;
	if ((rc = db_connect(s, in_memory, err)) != 0)
		goto out;
	rc = migrate(s, err);
out:
	if (rc) {
		tr_error_prefix(err, "%s: opening instance database", s->path);
		sqlite_close(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}
