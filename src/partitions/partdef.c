/*
 * partdef.c — partitions definitions: parsing (YAML/JSON through node.h),
 * static, dynamic and multi definitions, and the resolved tr_partitions that
 * every caller uses to go between keys and indexes. Time windows live in
 * timewindow.c; this file dispatches to it.
 *
 * Multi keys: dimensions sorted by name, dimension keys joined with '|', keys
 * listed as the cartesian product with the first dimension most significant
 * (index = sum of dim_index[i] * radix[i]).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/node.h"
#include "base/text.h"
#include "partitions/partdef.h"

#define MAX_DIMENSIONS 16

char *xstrdup(const char *s)
{
	size_t n = strlen(s);
	char *p = malloc(n + 1);

	if (p)
		memcpy(p, s, n + 1);
	return p;
}

int node_error(tr_error *err, const tr_node *node, const char *path, const char *fmt, ...)
{
	char msg[TR_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (node)
		return tr_error_set(err, TR_EINVAL, "%s:%d:%d: %s%s", node->origin ? node->origin : "",
				    node->line, node->col, path, msg);
	return tr_error_set(err, TR_EINVAL, "%s%s", path, msg);
}

int node_check_keys(const tr_node *map, const char *path, const char *const *allowed, tr_error *err)
{
	for (size_t i = 0; i < map->n; i++) {
		const char *key = tr_node_key(map, i);
		const char *near = NULL;
		size_t best = 4;
		int ok = 0;
		tr_buf list = TR_BUF_INIT;
		int rc;

		for (const char *const *a = allowed; *a; a++) {
			size_t d = tr_edit_distance(key, *a);

			if (!strcmp(key, *a)) {
				ok = 1;
				break;
			}
			if (d < best) {
				best = d;
				near = *a;
			}
		}
		if (ok)
			continue;
		for (const char *const *a = allowed; *a; a++)
			tr_buf_addf(&list, "%s%s", a == allowed ? "" : ", ", *a);
		{
			/* path is a prefix ("dimensions.a." or ""): say "dimensions.a: unknown key" */
			size_t pl = strlen(path);
			const char *sep = pl ? ": " : "";

			if (pl && path[pl - 1] == '.')
				pl--;
			if (near)
				rc = node_error(err, map->items[2 * i], "",
						"%.*s%sunknown key \"%s\" (did you mean \"%s\"? valid "
						"keys: %s)",
						(int)pl, path, sep, key, near, tr_buf_str(&list));
			else
				rc = node_error(err, map->items[2 * i], "",
						"%.*s%sunknown key \"%s\" (valid keys: %s)", (int)pl,
						path, sep, key, tr_buf_str(&list));
		}
		tr_buf_release(&list);
		return rc;
	}
	return 0;
}

/* ---- keys ------------------------------------------------------------------ */

int tr_partition_key_check(const char *key, int in_multi, tr_error *err)
{
	if (!key || !key[0])
		return tr_error_set(err, TR_EINVAL, "partition key is empty");
	if (strstr(key, "..."))
		return tr_error_set(err, TR_EINVAL,
				    "partition key \"%s\" contains \"...\", which is reserved for key "
				    "ranges",
				    key);
	for (const char *c = key; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return tr_error_set(err, TR_EINVAL,
					    "partition key \"%s\" contains a control character "
					    "(byte 0x%02x)",
					    key, (unsigned char)*c);
		if (in_multi && strchr("|,[]", *c))
			return tr_error_set(err, TR_EINVAL,
					    "partition key \"%s\" contains '%c', which cannot be used in "
					    "a dimension of a multi-partitions definition (| joins "
					    "dimension keys; , [ ] delimit key lists)",
					    key, *c);
	}
	return 0;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Builds idx over keys[0..n); returns -1 on duplicate at *dup, TR_ENOMEM, or 0. */
static int key_index_build(key_index *idx, char *const *keys, size_t n, size_t *dup)
{
	size_t cap = 16;

	while (cap < n * 2)
		cap *= 2;
	idx->slots = calloc(cap, sizeof(int64_t));
	if (!idx->slots)
		return TR_ENOMEM;
	idx->mask = cap - 1;
	for (size_t i = 0; i < n; i++) {
		size_t s = hash_str(keys[i]) & idx->mask;

		while (idx->slots[s]) {
			if (!strcmp(keys[idx->slots[s] - 1], keys[i])) {
				*dup = i;
				return -1;
			}
			s = (s + 1) & idx->mask;
		}
		idx->slots[s] = (int64_t)i + 1;
	}
	return 0;
}

static int64_t key_index_find(const key_index *idx, char *const *keys, const char *key)
{
	size_t s;

	if (!idx->slots)
		return -1;
	s = hash_str(key) & idx->mask;
	while (idx->slots[s]) {
		if (!strcmp(keys[idx->slots[s] - 1], key))
			return idx->slots[s] - 1;
		s = (s + 1) & idx->mask;
	}
	return -1;
}

/* ---- parsing -------------------------------------------------------------------- */

static const char *const type_names[] = {"hourly", "daily",  "weekly",  "monthly",
					 "cron",   "static", "dynamic", "multi", NULL};

static int parse_def(const tr_node *node, const char *path, int in_multi, tr_partdef **out,
		     tr_error *err);

static int parse_static(const tr_node *map, const char *path, int in_multi, tr_partdef *def,
			tr_error *err)
{
	static const char *const fields[] = {"type", "keys", "partition_keys", NULL};
	const tr_node *keys = tr_node_get(map, "keys");
	key_index idx = {0};
	size_t dup = 0;
	int rc;

	def->kind = TR_PART_STATIC;
	def->type_name = "static";
	if ((rc = node_check_keys(map, path, fields, err)))
		return rc;
	if (!keys)
		keys = tr_node_get(map, "partition_keys");
	if (!keys || keys->kind != TR_NODE_SEQ)
		return node_error(err, keys ? keys : map, path,
				  "keys: a static definition needs a list of keys, e.g. keys: [Books, "
				  "Electronics, Toys]");
	def->keys = calloc(keys->n ? keys->n : 1, sizeof(char *));
	if (!def->keys)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	for (size_t i = 0; i < keys->n; i++) {
		const tr_node *k = keys->items[i];
		tr_error e;

		if (k->kind != TR_NODE_SCALAR)
			return node_error(err, k, path, "keys[%zu]: expected a string, got a %s", i,
					  tr_node_kind_name(k));
		if (tr_partition_key_check(k->scalar, in_multi, &e))
			return node_error(err, k, path, "keys[%zu]: %s", i, e.msg);
		def->keys[i] = xstrdup(k->scalar);
		def->n_keys++;
	}
	rc = key_index_build(&idx, def->keys, def->n_keys, &dup);
	free(idx.slots);
	if (rc == -1)
		return node_error(err, keys->items[dup], path,
				  "keys[%zu]: duplicate key \"%s\" (static keys must be unique)", dup,
				  def->keys[dup]);
	if (rc)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	return 0;
}

static int parse_dynamic(const tr_node *map, const char *path, tr_partdef *def, tr_error *err)
{
	static const char *const fields[] = {"type", "name", NULL};
	const tr_node *name = tr_node_get(map, "name");
	int rc;

	def->kind = TR_PART_DYNAMIC;
	def->type_name = "dynamic";
	if ((rc = node_check_keys(map, path, fields, err)))
		return rc;
	if (!name || name->kind != TR_NODE_SCALAR || !name->scalar[0])
		return node_error(err, name ? name : map, path,
				  "name: a dynamic definition needs the name of its key set, e.g. "
				  "name: symbols (keys are added with `tranche partitions add symbols "
				  "IBM`)");
	def->dyn_name = xstrdup(name->scalar);
	return 0;
}

static int parse_multi(const tr_node *map, const char *path, tr_partdef *def, tr_error *err)
{
	static const char *const fields[] = {"type", "dimensions", NULL};
	const tr_node *dims = tr_node_get(map, "dimensions");
	size_t order[MAX_DIMENSIONS];
	int n_time = 0, rc;

	def->kind = TR_PART_MULTI;
	def->type_name = "multi";
	if ((rc = node_check_keys(map, path, fields, err)))
		return rc;
	if (!dims || dims->kind != TR_NODE_MAP || dims->n < 2)
		return node_error(err, dims ? dims : map, path,
				  "dimensions: a multi definition needs a map of two or more named "
				  "dimensions, e.g. dimensions: {date: {type: daily, start: "
				  "2024-01-01}, symbol: {type: static, keys: [IBM, AAPL]}}");
	if (dims->n > MAX_DIMENSIONS)
		return node_error(err, dims, path, "dimensions: at most %d dimensions are supported",
				  MAX_DIMENSIONS);
	/* sort dimension names */
	for (size_t i = 0; i < dims->n; i++) {
		size_t j = i;

		while (j > 0 && strcmp(tr_node_key(dims, order[j - 1]), tr_node_key(dims, i)) > 0) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	def->dim_names = calloc(dims->n, sizeof(char *));
	def->dims = calloc(dims->n, sizeof(tr_partdef *));
	if (!def->dim_names || !def->dims)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	for (size_t k = 0; k < dims->n; k++) {
		size_t i = order[k];
		const char *name = tr_node_key(dims, i);
		tr_buf sub = TR_BUF_INIT;

		if (!name[0] || strpbrk(name, "|,[]"))
			return node_error(err, dims->items[2 * i], path,
					  "dimensions: dimension name \"%s\" must be non-empty and "
					  "contain none of | , [ ]",
					  name);
		tr_buf_addf(&sub, "%sdimensions.%s.", path, name);
		def->dim_names[k] = xstrdup(name);
		rc = parse_def(tr_node_value(dims, i), tr_buf_str(&sub), 1, &def->dims[k], err);
		tr_buf_release(&sub);
		def->n_dims++;
		if (rc)
			return rc;
		if (def->dims[k]->kind == TR_PART_MULTI)
			return node_error(err, tr_node_value(dims, i), path,
					  "dimensions.%s: a dimension cannot itself be multi "
					  "(list all dimensions in one multi definition)",
					  name);
		if (def->dims[k]->kind == TR_PART_TIME && ++n_time > 1)
			return node_error(err, tr_node_value(dims, i), path,
					  "dimensions.%s: at most one dimension can be a time window "
					  "(hourly, daily, weekly, monthly or cron)",
					  name);
	}
	return 0;
}

static int parse_def(const tr_node *node, const char *path, int in_multi, tr_partdef **out,
		     tr_error *err)
{
	tr_partdef *def = calloc(1, sizeof(*def));
	const tr_node *type;
	const char *t;
	int rc;

	*out = def;
	if (!def)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	if (node->kind != TR_NODE_MAP)
		return node_error(err, node, path,
				  "a partitions definition is a map with a type, e.g. {type: daily, "
				  "start: 2024-01-01}; got a %s",
				  tr_node_kind_name(node));
	type = tr_node_get(node, "type");
	if (!type || type->kind != TR_NODE_SCALAR)
		return node_error(err, type ? type : node, path,
				  "type: required; one of hourly, daily, weekly, monthly, cron, "
				  "static, dynamic, multi");
	t = type->scalar;
	if (!strcmp(t, "static"))
		return parse_static(node, path, in_multi, def, err);
	if (!strcmp(t, "dynamic"))
		return parse_dynamic(node, path, def, err);
	if (!strcmp(t, "multi"))
		return parse_multi(node, path, def, err);
	if (!strcmp(t, "hourly") || !strcmp(t, "daily") || !strcmp(t, "weekly") ||
	    !strcmp(t, "monthly") || !strcmp(t, "cron")) {
		def->kind = TR_PART_TIME;
		rc = tw_parse(node, t, def, path, err);
		if (!rc)
			def->type_name = def->time->type_name;
		if (!rc && in_multi && strchr(def->time->fmt, '|'))
			rc = node_error(err, tr_node_get(node, "fmt"), path,
					"fmt: \"%s\" contains '|', which joins the keys of a multi "
					"definition's dimensions",
					def->time->fmt);
		return rc;
	}
	{
		const char *near = NULL;
		size_t best = 4;
		tr_buf list = TR_BUF_INIT;

		for (const char *const *a = type_names; *a; a++) {
			size_t d = tr_edit_distance(t, *a);

			tr_buf_addf(&list, "%s%s", a == type_names ? "" : ", ", *a);
			if (d < best) {
				best = d;
				near = *a;
			}
		}
		if (near)
			rc = node_error(err, type, path,
					"type: unknown partitions type \"%s\" (did you mean \"%s\"? valid: "
					"%s)",
					t, near, tr_buf_str(&list));
		else
			rc = node_error(err, type, path, "type: unknown partitions type \"%s\" (valid: %s)",
					t, tr_buf_str(&list));
		tr_buf_release(&list);
		return rc;
	}
}

int tr_partdef_parse(const char *text, const char *origin, tr_partdef **out, tr_error *err)
{
	tr_node *root = NULL;
	int rc;

	*out = NULL;
	if ((rc = tr_node_parse(text, strlen(text), origin, &root, err)))
		return rc;
	rc = tr_partdef_from_node(root, "", out, err);
	tr_node_free(root);
	return rc;
}

int tr_partdef_from_node(const tr_node *node, const char *path, tr_partdef **out, tr_error *err)
{
	int rc = parse_def(node, path, 0, out, err);

	if (rc) {
		tr_partdef_free(*out);
		*out = NULL;
	}
	return rc;
}

void tr_partdef_free(tr_partdef *def)
{
	if (!def)
		return;
	tw_free(def->time);
	for (size_t i = 0; i < def->n_keys; i++)
		free(def->keys[i]);
	free(def->keys);
	free(def->dyn_name);
	for (size_t i = 0; i < def->n_dims; i++) {
		free(def->dim_names[i]);
		tr_partdef_free(def->dims[i]);
	}
	free(def->dim_names);
	free(def->dims);
	free(def);
}

tr_part_kind tr_partdef_kind(const tr_partdef *def) { return def->kind; }
const char *tr_partdef_type_name(const tr_partdef *def) { return def->type_name; }
size_t tr_partdef_dimension_count(const tr_partdef *def) { return def->n_dims; }

const char *tr_partdef_dimension_name(const tr_partdef *def, size_t i)
{
	return i < def->n_dims ? def->dim_names[i] : NULL;
}

const tr_partdef *tr_partdef_dimension(const tr_partdef *def, size_t i)
{
	return i < def->n_dims ? def->dims[i] : NULL;
}

const char *tr_partdef_dynamic_name(const tr_partdef *def) { return def->dyn_name; }
const char *tr_partdef_timezone(const tr_partdef *def)
{
	return def->time ? tr_tz_name(def->time->tz) : NULL;
}
const char *tr_partdef_cron(const tr_partdef *def) { return def->time ? def->time->cron_text : NULL; }
const char *tr_partdef_fmt(const tr_partdef *def) { return def->time ? def->time->fmt : NULL; }
int tr_partdef_end_offset(const tr_partdef *def) { return def->time ? def->time->end_offset : 0; }

/* ---- resolving ----------------------------------------------------------------------- */

int tr_partitions_resolve(const tr_partdef *def, const tr_part_env *env, tr_partitions **out,
			  tr_error *err)
{
	tr_partitions *p = calloc(1, sizeof(*p));
	int rc = 0;

	*out = p;
	if (!p)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	p->def = def;
	p->now = env->now;
	p->time_dim = -1;
	switch (def->kind) {
	case TR_PART_TIME:
		rc = tw_resolve(p, err);
		break;
	case TR_PART_STATIC: {
		size_t dup;

		p->keys = def->keys;
		p->count = (int64_t)def->n_keys;
		if (key_index_build(&p->idx, p->keys, def->n_keys, &dup))
			rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		break;
	}
	case TR_PART_DYNAMIC: {
		size_t n = 0, dup;

		p->owns_keys = 1;
		if (env->dynamic_keys &&
		    (rc = env->dynamic_keys(env->ctx, def->dyn_name, &p->keys, &n, err)))
			break;
		p->count = (int64_t)n;
		rc = key_index_build(&p->idx, p->keys, n, &dup);
		if (rc == -1)
			rc = tr_error_set(err, TR_EINVAL, "dynamic partitions \"%s\": key \"%s\" is listed twice",
					  def->dyn_name, p->keys[dup]);
		else if (rc)
			rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		break;
	}
	case TR_PART_MULTI:
		p->dims = calloc(def->n_dims, sizeof(*p->dims));
		p->radix = calloc(def->n_dims, sizeof(int64_t));
		if (!p->dims || !p->radix) {
			rc = tr_error_set(err, TR_ENOMEM, "out of memory");
			break;
		}
		for (size_t i = 0; i < def->n_dims && !rc; i++) {
			rc = tr_partitions_resolve(def->dims[i], env, &p->dims[i], err);
			if (def->dims[i]->kind == TR_PART_TIME)
				p->time_dim = (int)i;
			if (!rc && def->dims[i]->kind == TR_PART_DYNAMIC)
				for (int64_t k = 0; k < p->dims[i]->count && !rc; k++)
					rc = tr_partition_key_check(p->dims[i]->keys[k], 1, err);
		}
		if (rc)
			break;
		p->count = 1;
		for (size_t i = def->n_dims; i-- > 0;) {
			p->radix[i] = p->count;
			if (p->dims[i]->count && p->count > INT64_MAX / p->dims[i]->count) {
				rc = tr_error_set(err, TR_ERANGE, "too many partitions (the product of the "
								 "dimensions overflows)");
				break;
			}
			p->count *= p->dims[i]->count;
		}
		break;
	}
	if (rc) {
		tr_partitions_free(p);
		*out = NULL;
	}
	return rc;
}

void tr_partitions_free(tr_partitions *p)
{
	if (!p)
		return;
	free(p->table);
	if (p->owns_keys && p->keys) {
		for (int64_t i = 0; i < p->count; i++)
			free(p->keys[i]);
		free(p->keys);
	}
	free(p->idx.slots);
	if (p->dims)
		for (size_t i = 0; i < p->def->n_dims; i++)
			tr_partitions_free(p->dims[i]);
	free(p->dims);
	free(p->radix);
	free(p);
}

const tr_partdef *tr_partitions_def(const tr_partitions *p) { return p->def; }
int64_t tr_partitions_now(const tr_partitions *p) { return p->now; }
int64_t tr_partitions_count(const tr_partitions *p) { return p->count; }

const tr_partitions *tr_partitions_dimension(const tr_partitions *p, size_t i)
{
	return p->dims && i < p->def->n_dims ? p->dims[i] : NULL;
}

void tr_partitions_split(const tr_partitions *p, int64_t index, int64_t *dim_indexes)
{
	for (size_t i = 0; i < p->def->n_dims; i++) {
		dim_indexes[i] = index / p->radix[i];
		index -= dim_indexes[i] * p->radix[i];
	}
}

int64_t tr_partitions_join(const tr_partitions *p, const int64_t *dim_indexes)
{
	int64_t index = 0;

	for (size_t i = 0; i < p->def->n_dims; i++)
		index += dim_indexes[i] * p->radix[i];
	return index;
}

static int out_of_range(const tr_partitions *p, int64_t index, tr_error *err)
{
	return tr_error_set(err, TR_ERANGE, "partition index %lld is out of range 0..%lld",
			    (long long)index, (long long)p->count - 1);
}

int tr_partitions_key(const tr_partitions *p, int64_t index, tr_buf *out, tr_error *err)
{
	switch (p->def->kind) {
	case TR_PART_TIME:
		return tw_key(p, index, out, err);
	case TR_PART_STATIC:
	case TR_PART_DYNAMIC:
		if (index < 0 || index >= p->count)
			return out_of_range(p, index, err);
		tr_buf_adds(out, p->keys[index]);
		return 0;
	case TR_PART_MULTI: {
		int64_t dix[MAX_DIMENSIONS];
		int rc;

		if (index < 0 || index >= p->count)
			return out_of_range(p, index, err);
		tr_partitions_split(p, index, dix);
		for (size_t i = 0; i < p->def->n_dims; i++) {
			if (i)
				tr_buf_addc(out, '|');
			if ((rc = tr_partitions_key(p->dims[i], dix[i], out, err)))
				return rc;
		}
		return 0;
	}
	}
	return TR_EINTERNAL;
}

static void list_some_keys(const tr_partitions *p, tr_buf *b)
{
	int64_t n = p->count < 8 ? p->count : 8;

	if (p->count == 0) {
		tr_buf_adds(b, "there are none");
		return;
	}
	tr_buf_adds(b, "valid keys: ");
	for (int64_t i = 0; i < n; i++)
		tr_buf_addf(b, "%s\"%s\"", i ? ", " : "", p->keys[i]);
	if (p->count > n)
		tr_buf_addf(b, ", ... (%lld in all)", (long long)p->count);
}

int tr_partitions_index(const tr_partitions *p, const char *key, int64_t *index, tr_error *err)
{
	switch (p->def->kind) {
	case TR_PART_TIME:
		return tw_index(p, key, index, err);
	case TR_PART_STATIC:
	case TR_PART_DYNAMIC: {
		int64_t i = key_index_find(&p->idx, p->keys, key);
		tr_buf some = TR_BUF_INIT;
		int rc;

		if (i >= 0) {
			*index = i;
			return 0;
		}
		list_some_keys(p, &some);
		if (p->def->kind == TR_PART_STATIC)
			rc = tr_error_set(err, TR_EINVAL, "unknown partition key \"%s\"; %s", key,
					  tr_buf_str(&some));
		else
			rc = tr_error_set(err, TR_ERANGE,
					  "partition \"%s\" has not been added to dynamic partitions "
					  "\"%s\" (add it with `tranche partitions add %s %s`); %s",
					  key, p->def->dyn_name, p->def->dyn_name, key, tr_buf_str(&some));
		tr_buf_release(&some);
		return rc;
	}
	case TR_PART_MULTI: {
		int64_t dix[MAX_DIMENSIONS];
		const char *s = key;
		size_t n = p->def->n_dims;
		int rc = 0;

		for (size_t i = 0; i < n; i++) {
			const char *bar = strchr(s, '|');
			size_t len = bar ? (size_t)(bar - s) : strlen(s);
			char *part;

			if ((i + 1 < n && !bar) || (i + 1 == n && bar)) {
				tr_buf dims = TR_BUF_INIT;

				for (size_t j = 0; j < n; j++)
					tr_buf_addf(&dims, "%s%s", j ? "|" : "", p->def->dim_names[j]);
				rc = tr_error_set(err, TR_EINVAL,
						  "partition key \"%s\" has %s parts than dimensions: "
						  "a multi key is one key per dimension joined with | in "
						  "the order %s",
						  key, bar ? "more" : "fewer", tr_buf_str(&dims));
				tr_buf_release(&dims);
				return rc;
			}
			part = malloc(len + 1);
			if (!part)
				return tr_error_set(err, TR_ENOMEM, "out of memory");
			memcpy(part, s, len);
			part[len] = '\0';
			rc = tr_partitions_index(p->dims[i], part, &dix[i], err);
			free(part);
			if (rc)
				return tr_error_prefix(err, "partition key \"%s\", dimension \"%s\"", key,
						       p->def->dim_names[i]);
			s = bar ? bar + 1 : s + len;
		}
		*index = tr_partitions_join(p, dix);
		return 0;
	}
	}
	return TR_EINTERNAL;
}

int tr_partitions_has(const tr_partitions *p, const char *key)
{
	int64_t i;

	return tr_partitions_index(p, key, &i, NULL) == 0;
}

int tr_partitions_window(const tr_partitions *p, int64_t index, int64_t *start, int64_t *end,
			 tr_error *err)
{
	if (p->def->kind == TR_PART_TIME) {
		*start = tw_tick(p, index);
		*end = tw_tick(p, index + 1);
		return 0;
	}
	if (p->def->kind == TR_PART_MULTI && p->time_dim >= 0) {
		int64_t dix[MAX_DIMENSIONS];

		tr_partitions_split(p, index, dix);
		return tr_partitions_window(p->dims[p->time_dim], dix[p->time_dim], start, end, err);
	}
	return tr_error_set(err, TR_EINVAL, "%s partitions have no time windows",
			    p->def->type_name);
}

int64_t tr_partitions_index_at(const tr_partitions *p, int64_t t)
{
	return p->def->kind == TR_PART_TIME ? tw_index_at(p, t) : -1;
}

int32_t tr_partitions_offset_at(const tr_partitions *p, int64_t t)
{
	if (p->def->kind == TR_PART_MULTI && p->time_dim >= 0)
		return tr_partitions_offset_at(p->dims[p->time_dim], t);
	return p->def->kind == TR_PART_TIME ? tr_tz_offset_at(p->def->time->tz, t) : 0;
}

/* ---- key sets ------------------------------------------------------------------------ */

int tr_partitions_keyset_from_keys(const tr_partitions *p, const char *const *keys, size_t n,
				   tr_keyset *out, tr_error *err)
{
	tr_keyset one = TR_KEYSET_INIT, acc = TR_KEYSET_INIT;
	int rc = 0;

	tr_keyset_clear(out);
	for (size_t i = 0; i < n && !rc; i++) {
		const char *dots = strstr(keys[i], "...");
		int64_t idx;

		if (!dots) {
			if (!(rc = tr_partitions_index(p, keys[i], &idx, err)) && tr_keyset_add(out, idx))
				rc = tr_error_set(err, TR_ENOMEM, "out of memory");
			continue;
		}
		{
			size_t len = (size_t)(dots - keys[i]);
			char *from = malloc(len + 1);

			if (!from)
				return tr_error_set(err, TR_ENOMEM, "out of memory");
			memcpy(from, keys[i], len);
			from[len] = '\0';
			rc = tr_partitions_keyset_from_range(p, from, dots + 3, &one, err);
			free(from);
		}
		if (!rc) {
			tr_keyset_clear(&acc);
			if (tr_keyset_union(&acc, out, &one) || tr_keyset_copy(out, &acc))
				rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		}
	}
	tr_keyset_release(&one);
	tr_keyset_release(&acc);
	return rc;
}

int tr_partitions_keyset_to_ranges(const tr_partitions *p, const tr_keyset *ks, tr_buf *out,
				   tr_error *err)
{
	int rc = 0;

	for (size_t i = 0; i < ks->n && !rc; i++) {
		rc = tr_partitions_key(p, ks->ranges[i].start, out, err);
		if (!rc && ks->ranges[i].end - ks->ranges[i].start > 1) {
			tr_buf_adds(out, "...");
			rc = tr_partitions_key(p, ks->ranges[i].end - 1, out, err);
		}
		tr_buf_addc(out, '\n');
	}
	return rc;
}

int tr_partitions_keyset_from_range(const tr_partitions *p, const char *from, const char *to,
				    tr_keyset *out, tr_error *err)
{
	int64_t a, b;
	int rc;

	tr_keyset_clear(out);
	if ((rc = tr_partitions_index(p, from, &a, err)) ||
	    (rc = tr_partitions_index(p, to, &b, err)))
		return rc;
	if (a > b)
		return tr_error_set(err, TR_EINVAL,
				    "key range \"%s\"...\"%s\" is backwards: \"%s\" comes after \"%s\"",
				    from, to, from, to);
	if (tr_keyset_add_range(out, a, b + 1))
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	return 0;
}

int tr_partitions_keyset_all(const tr_partitions *p, tr_keyset *out)
{
	tr_keyset_clear(out);
	return tr_keyset_add_range(out, 0, p->count);
}

/* ---- explain --------------------------------------------------------------------------- */

int tr_partitions_explain(const tr_partitions *p, tr_buf *b, tr_error *err)
{
	const tr_partdef *def = p->def;
	int rc = 0;

	switch (def->kind) {
	case TR_PART_TIME:
		return tw_explain(p, b, err);
	case TR_PART_STATIC:
	case TR_PART_DYNAMIC:
		if (def->kind == TR_PART_STATIC)
			tr_buf_addf(b, "static partitions: %lld key%s, in the order listed\n",
				    (long long)p->count, p->count == 1 ? "" : "s");
		else
			tr_buf_addf(b,
				    "dynamic partitions \"%s\": %lld key%s now, in the order they were "
				    "added (`tranche partitions add %s KEY...`)\n",
				    def->dyn_name, (long long)p->count, p->count == 1 ? "" : "s",
				    def->dyn_name);
		if (p->count) {
			tr_buf_addf(b, "first: \"%s\"\nlast:  \"%s\"\n", p->keys[0],
				    p->keys[p->count - 1]);
		}
		return 0;
	case TR_PART_MULTI:
		tr_buf_addf(b, "multi partitions over %zu dimensions (sorted by name); a key is one "
			       "key per dimension joined with |, e.g. \"",
			    def->n_dims);
		if (p->count) {
			rc = tr_partitions_key(p, 0, b, err);
			tr_buf_adds(b, "\"\n");
		} else {
			for (size_t i = 0; i < def->n_dims; i++)
				tr_buf_addf(b, "%s<%s>", i ? "|" : "", def->dim_names[i]);
			tr_buf_adds(b, "\"\n");
		}
		tr_buf_addf(b, "count: %lld partition%s (", (long long)p->count,
			    p->count == 1 ? "" : "s");
		for (size_t i = 0; i < def->n_dims; i++)
			tr_buf_addf(b, "%s%lld %s", i ? " x " : "", (long long)p->dims[i]->count,
				    def->dim_names[i]);
		tr_buf_adds(b, ")\n");
		for (size_t i = 0; i < def->n_dims && !rc; i++) {
			tr_buf_addf(b, "\ndimension %zu, \"%s\":\n", i + 1, def->dim_names[i]);
			rc = tr_partitions_explain(p->dims[i], b, err);
		}
		return rc;
	}
	return 0;
}
