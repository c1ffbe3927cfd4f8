/*
 * storage_impl.h — what an instance storage backend implements (internal to src/storage/).
 *
 * A backend defines a struct whose first member is a `struct tr_storage`
 * pointing at its table of operations, and an open function listed in the
 * scheme table in storage.c. The front (storage.c) checks every argument
 * before calling an operation, so a backend may assume: st is its own handle;
 * names are non-empty; keys are non-NULL, non-empty and key_count > 0; output
 * pointers are non-NULL and already set to empty (NULL / 0); changed is
 * non-NULL. A backend sets err on every failure and leaves the store
 * unchanged when a write fails.
 */
#ifndef TRANCHE_STORAGE_IMPL_H
#define TRANCHE_STORAGE_IMPL_H

#include <stddef.h>

#include "tranche/error.h"
#include "tranche/storage.h"

struct tr_storage_ops {
	const char *backend; /* "SQLite": for messages */
	void (*close)(tr_storage *st);
	int (*schema_version)(tr_storage *st, int *version, tr_error *err);
	int (*dynamic_add)(tr_storage *st, const char *name, const char *const *keys,
			   size_t key_count, size_t *changed, tr_error *err);
	int (*dynamic_delete)(tr_storage *st, const char *name, const char *const *keys,
			      size_t key_count, size_t *changed, tr_error *err);
	int (*dynamic_keys)(tr_storage *st, const char *name, char ***keys, size_t *key_count,
			    tr_error *err);
	int (*dynamic_names)(tr_storage *st, char ***names, size_t *name_count, tr_error *err);
};

struct tr_storage {
	const struct tr_storage_ops *ops;
};

/*
 * A backend's open function. url is the caller's URL, for messages (it may
 * hold a password: backends that echo it must redact it); location is what
 * follows "scheme:" (or the whole URL for a bare path). On failure *out is
 * left NULL.
 */
typedef int (*storage_open_fn)(const char *url, const char *location, tr_storage **out,
			       tr_error *err);

/* src/storage/sqlite.c */
int tr_storage_sqlite_open(const char *url, const char *location, tr_storage **out,
			   tr_error *err);

/*
 * A growable vector of malloc'd strings, for backends building the vectors
 * that the API hands out. Start from STORAGE_STRV_INIT; on success hand over
 * items and count to the caller (who frees with tr_strv_free), otherwise
 * storage_strv_release.
 */
struct storage_strv {
	char **items;
	size_t count;
	size_t cap;
};
#define STORAGE_STRV_INIT {NULL, 0, 0}

/* Appends a copy of the len bytes at s (plus a NUL). TR_ENOMEM and err set on failure. */
int storage_strv_add(struct storage_strv *v, const char *s, size_t len, tr_error *err);
void storage_strv_release(struct storage_strv *v);

#endif
