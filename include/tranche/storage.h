/*
 * tranche/storage.h — instance storage: where tranche keeps its own history
 * (today: dynamic partition keys; later: runs, events, partition status, cursors).
 *
 * A store is chosen by URL and reached through one opaque handle, whatever the
 * backend. Backends in this build: SQLite ("sqlite:PATH" or a bare file path).
 * PostgreSQL ("postgres://...") is planned and refused for now.
 *
 * Threads and processes: a tr_storage handle is used by one thread at a time
 * (it caches prepared statements and has no lock of its own). Several handles —
 * in one process or in several — may use the same database at once: writes
 * are serialized by the database and wait up to 5 seconds for one another,
 * readers never wait for writers and always see whole transactions.
 *
 * Errors: every function returns 0 or a negative TR_E* code and fills err (may
 * be NULL) with a message naming the URL or database path. TR_EINVAL: a bad
 * argument or URL, nothing was touched. TR_EIO: the database could not be
 * opened, read or written (the message carries SQLite's); a failed write
 * changed nothing. TR_ENOMEM: out of memory.
 *
 * Ownership: strings passed in are only read during the call. String vectors
 * handed out (char **) belong to the caller, who frees them with tr_strv_free.
 */
#ifndef TRANCHE_STORAGE_H
#define TRANCHE_STORAGE_H

#include <stddef.h>

#include "tranche/error.h"

typedef struct tr_storage tr_storage;

/*
 * Opens (creating if needed) the instance storage at url and brings its schema
 * up to date. url is "sqlite:PATH" or a bare PATH (no "scheme:" prefix); a
 * relative PATH is relative to the current directory; "sqlite::memory:" is a
 * private in-memory store. Missing parent directories are created. Pending
 * schema migrations run in one transaction: the database is left either at its
 * old version or at the newest, never between.
 *
 * Refused: an empty url, an unknown scheme, "postgres://" (not in this build)
 * — all TR_EINVAL, passwords in the url are not repeated in messages; a file
 * that is not a tranche instance database, or one whose schema was written by
 * a newer tranche — TR_EIO. On success *out is a new handle for
 * tr_storage_close; on failure *out is NULL.
 */
int tr_storage_open(const char *url, tr_storage **out, tr_error *err);

/* Closes the handle and frees it; NULL is allowed. */
void tr_storage_close(tr_storage *st);

/* The schema version of the open database (1 and up; grows as migrations are added). */
int tr_storage_schema_version(tr_storage *st, int *version, tr_error *err);

/*
 * Dynamic partitions: named, ordered sets of partition keys added at run time.
 *
 * A key's place is fixed when it is added: keys list in order of addition,
 * re-adding a present key keeps its place, and a key deleted then added again
 * goes to the end. Names and keys are arbitrary non-empty strings (the
 * partitions module checks key syntax before calling). Each add or delete is
 * one transaction: all of keys or none. Both are idempotent; *changed (changed
 * may be NULL) is how many keys were actually added or deleted (a key given
 * twice counts once). key_count 0 is a no-op and keys may then be NULL.
 * TR_EINVAL for a NULL or empty name, or a NULL or empty key (nothing is written).
 */
int tr_storage_dynamic_add(tr_storage *st, const char *name, const char *const *keys,
			   size_t key_count, size_t *changed, tr_error *err);
int tr_storage_dynamic_delete(tr_storage *st, const char *name, const char *const *keys,
			      size_t key_count, size_t *changed, tr_error *err);

/*
 * The keys of set `name`, in order, as a new vector of *key_count strings
 * (the caller frees it with tr_strv_free). A name with no keys gives
 * *keys = NULL, *key_count = 0: not an error. On error, the same.
 */
int tr_storage_dynamic_keys(tr_storage *st, const char *name, char ***keys, size_t *key_count,
			    tr_error *err);

/*
 * The names of all sets that have at least one key, sorted bytewise, as a new
 * vector (the caller frees it with tr_strv_free); NULL and 0 when there are none.
 */
int tr_storage_dynamic_names(tr_storage *st, char ***names, size_t *name_count, tr_error *err);

/* Frees a vector of count malloc'd strings and the vector itself; NULL is allowed. */
void tr_strv_free(char **strv, size_t count);

#endif
