/*
 * storage.c — the backend-independent front of instance storage (tranche/storage.h).
 *
 * Parses the URL, picks a backend from the scheme table, and checks every
 * argument before dispatching through the backend's operations table
 * (storage_impl.h), so each backend gets the same validation and the same
 * messages. Adding a backend = one open function + one row in `schemes`.
 * Callers: the CLI, the server, the executor (one handle per thread).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "storage/storage_impl.h"
#include "tranche/storage.h"

#define VALID_FORMS "valid forms: sqlite:PATH, or a bare file path such as .tranche/instance.db"

static const struct scheme {
	const char *name;     /* the URL scheme, matched case-insensitively */
	const char *backend;  /* for messages */
	storage_open_fn open; /* NULL: known, but not available in this build */
} schemes[] = {
	{"sqlite", "SQLite", tr_storage_sqlite_open},
	{"postgres", "PostgreSQL", NULL},
	{"postgresql", "PostgreSQL", NULL},
};

/*
 * The length of url's "scheme:" prefix without the colon (RFC 3986: a letter,
 * then letters, digits, "+", "-", "."), or 0 when url has none and so is a
 * bare path. "./a:b.db" and "/x/a:b.db" are paths; "data:2024.db" is not
 * (its message says to write sqlite:data:2024.db).
 */
static size_t url_scheme_length(const char *url)
{
	size_t i = 0;

	if (!((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z')))
		return 0;
	for (i = 1; url[i] && url[i] != ':'; i++) {
		char c = url[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '-' || c == '.'))
			return 0;
	}
	return url[i] == ':' ? i : 0;
}

/*
 * Copies url into out for a message, with the password of a
 * "scheme://user:password@host" URL replaced by "***".
 */
static void url_redact(const char *url, char *out, size_t out_size)
{
	const char *authority = strstr(url, "://");
	const char *end = NULL, *at = NULL, *colon = NULL, *p = NULL;

	if (authority) {
		authority += 3;
		end = authority + strcspn(authority, "/?#");
		for (p = authority; p < end; p++)
			if (*p == '@')
				at = p;
		if (at)
			colon = memchr(authority, ':', (size_t)(at - authority));
	}
	if (!colon) {
		snprintf(out, out_size, "%s", url);
		return;
	}
	snprintf(out, out_size, "%.*s***%s", (int)(colon + 1 - url), url, at);
}

int tr_storage_open(const char *url, tr_storage **out, tr_error *err)
{
	char shown[TR_ERROR_MSG_MAX / 2];
	size_t scheme_len = 0, i = 0;

	if (!out)
		return tr_error_set(err, TR_EINVAL, "tr_storage_open: out is NULL");
	*out = NULL;
	if (!url || !*url)
		return tr_error_set(err, TR_EINVAL, "instance storage URL is empty; " VALID_FORMS);
	scheme_len = url_scheme_length(url);
	if (scheme_len == 0)
		return tr_storage_sqlite_open(url, url, out, err);
	url_redact(url, shown, sizeof(shown));
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		const struct scheme *sc = &schemes[i];

		if (strlen(sc->name) != scheme_len || strncasecmp(url, sc->name, scheme_len) != 0)
			continue;
		if (!sc->open)
			return tr_error_set(err, TR_EINVAL,
					    "instance storage URL \"%s\": %s storage is not available "
					    "in this build, only sqlite: is; " VALID_FORMS,
					    shown, sc->backend);
		return sc->open(url, url + scheme_len + 1, out, err);
	}
	/* "data:2024.db" is more likely a file name than a URL: say how to write one. */
	return tr_error_set(err, TR_EINVAL,
			    "instance storage URL \"%s\": unknown scheme \"%.*s:\"; " VALID_FORMS "%s",
			    shown, (int)scheme_len, url,
			    strncmp(url + scheme_len, "://", 3) == 0
				    ? ""
				    : " (for a file whose name contains ':', write sqlite:NAME or ./NAME)");
}

void tr_storage_close(tr_storage *st)
{
	if (st)
		st->ops->close(st);
}

int tr_storage_schema_version(tr_storage *st, int *version, tr_error *err)
{
	if (!st || !version)
		return tr_error_set(err, TR_EINVAL, "tr_storage_schema_version: NULL argument");
	*version = 0;
	return st->ops->schema_version(st, version, err);
}

static int check_name(const char *name, tr_error *err)
{
	if (!name || !*name)
		return tr_error_set(err, TR_EINVAL,
				    "dynamic partitions: the set name is %s; give a non-empty name",
				    name ? "empty" : "missing (NULL)");
	return 0;
}

static int check_keys(const char *name, const char *const *keys, size_t key_count, tr_error *err)
{
	size_t i = 0;

	if (key_count > 0 && !keys)
		return tr_error_set(err, TR_EINVAL,
				    "dynamic partitions \"%s\": %zu keys announced but the key array is NULL",
				    name, key_count);
	for (i = 0; i < key_count; i++)
		if (!keys[i] || !*keys[i])
			return tr_error_set(err, TR_EINVAL,
					    "dynamic partitions \"%s\": key at index %zu (of %zu) is %s; "
					    "keys are non-empty strings",
					    name, i, key_count, keys[i] ? "empty" : "NULL");
	return 0;
}

typedef int (*dynamic_write_fn)(tr_storage *st, const char *name, const char *const *keys,
				size_t key_count, size_t *changed, tr_error *err);

/* add and delete: the same checks, then the backend's operation. */
static int dynamic_write(tr_storage *st, dynamic_write_fn write, const char *name,
			 const char *const *keys, size_t key_count, size_t *changed, tr_error *err)
{
	size_t count = 0;
	int rc = 0;

	if (changed)
		*changed = 0;
	if (!st)
		return tr_error_set(err, TR_EINVAL, "dynamic partitions: no storage handle (NULL)");
	if ((rc = check_name(name, err)) != 0 || (rc = check_keys(name, keys, key_count, err)) != 0)
		return rc;
	if (key_count == 0)
		return 0;
	rc = write(st, name, keys, key_count, &count, err);
	if (rc == 0 && changed)
		*changed = count;
	return rc;
}

int tr_storage_dynamic_add(tr_storage *st, const char *name, const char *const *keys,
			   size_t key_count, size_t *changed, tr_error *err)
{
	return dynamic_write(st, st ? st->ops->dynamic_add : NULL, name, keys, key_count, changed,
			     err);
}

int tr_storage_dynamic_delete(tr_storage *st, const char *name, const char *const *keys,
			      size_t key_count, size_t *changed, tr_error *err)
{
	return dynamic_write(st, st ? st->ops->dynamic_delete : NULL, name, keys, key_count,
			     changed, err);
}

int tr_storage_dynamic_keys(tr_storage *st, const char *name, char ***keys, size_t *key_count,
			    tr_error *err)
{
	int rc = 0;

	if (!keys || !key_count)
		return tr_error_set(err, TR_EINVAL, "tr_storage_dynamic_keys: NULL output argument");
	*keys = NULL;
	*key_count = 0;
	if (!st)
		return tr_error_set(err, TR_EINVAL, "dynamic partitions: no storage handle (NULL)");
	if ((rc = check_name(name, err)) != 0)
		return rc;
	return st->ops->dynamic_keys(st, name, keys, key_count, err);
}

int tr_storage_dynamic_names(tr_storage *st, char ***names, size_t *name_count, tr_error *err)
{
	if (!names || !name_count)
		return tr_error_set(err, TR_EINVAL, "tr_storage_dynamic_names: NULL output argument");
	*names = NULL;
	*name_count = 0;
	if (!st)
		return tr_error_set(err, TR_EINVAL, "dynamic partitions: no storage handle (NULL)");
	return st->ops->dynamic_names(st, names, name_count, err);
}

void tr_strv_free(char **strv, size_t count)
{
	size_t i = 0;

	if (!strv)
		return;
	for (i = 0; i < count; i++)
		free(strv[i]);
	free(strv);
}

int storage_strv_add(struct storage_strv *v, const char *s, size_t len, tr_error *err)
{
	char *copy = NULL;

	if (v->count == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		char **items = NULL;

		if (cap > SIZE_MAX / sizeof(*items))
			return tr_error_set(err, TR_ENOMEM, "out of memory (%zu strings)", v->count);
		items = realloc(v->items, cap * sizeof(*items));
		if (!items)
			return tr_error_set(err, TR_ENOMEM, "out of memory (%zu strings)", v->count);
		v->items = items;
		v->cap = cap;
	}
	if (len == SIZE_MAX || !(copy = malloc(len + 1)))
		return tr_error_set(err, TR_ENOMEM, "out of memory (%zu strings)", v->count);
	memcpy(copy, s, len);
	copy[len] = '\0';
	v->items[v->count++] = copy;
	return 0;
}

void storage_strv_release(struct storage_strv *v)
{
	tr_strv_free(v->items, v->count);
	v->items = NULL;
	v->count = v->cap = 0;
}
