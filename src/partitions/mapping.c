/*
 * mapping.c — partition mappings: which upstream partitions a downstream
 * partition reads (upstream direction) and which downstream partitions read
 * an upstream partition (downstream direction), as Dagster defines them.
 *
 * Everything works on key sets (index ranges): time_window maps whole ranges
 * with two index_at lookups, so mapping ten years of days costs microseconds.
 * Upstream partitions that are needed but do not exist are reported, never
 * silently dropped, unless the mapping allows them.
 */
#include <stdlib.h>
#include <string.h>

#include "base/node.h"
#include "partitions/partdef.h"

#define MAX_DIMS 16

typedef enum {
	MAP_IDENTITY,
	MAP_TIME_WINDOW,
	MAP_ALL,
	MAP_LAST,
	MAP_SPECIFIC,
	MAP_STATIC,
	MAP_MULTI_TO_SINGLE,
	MAP_MULTI,
} map_type;

static const char *const map_type_names[] = {
	"identity", "time_window", "all", "last", "specific", "static", "multi_to_single", "multi", NULL,
};

struct tr_mapping {
	map_type type;
	int64_t start_offset, end_offset;
	int allow_nonexistent;
	char **keys; /* specific */
	size_t n_keys;
	char **map_up, **map_down; /* static: pairs */
	size_t n_map;
	char *dimension; /* multi_to_single; NULL = infer */
	size_t n_dims;   /* multi */
	char **up_dims, **down_dims;
	tr_mapping **dim_maps;
};

void tr_mapping_free(tr_mapping *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_keys; i++)
		free(m->keys[i]);
	free(m->keys);
	for (size_t i = 0; i < m->n_map; i++) {
		free(m->map_up[i]);
		free(m->map_down[i]);
	}
	free(m->map_up);
	free(m->map_down);
	free(m->dimension);
	for (size_t i = 0; i < m->n_dims; i++) {
		free(m->up_dims[i]);
		free(m->down_dims[i]);
		tr_mapping_free(m->dim_maps[i]);
	}
	free(m->up_dims);
	free(m->down_dims);
	free(m->dim_maps);
	free(m);
}

const char *tr_mapping_type_name(const tr_mapping *m)
{
	return map_type_names[m->type];
}

/* Length-prefixed, so that any text is unambiguous. */
static void describe_text(tr_buf *out, const char *s)
{
	s = s ? s : "";
	tr_buf_addf(out, "%zu:%s;", strlen(s), s);
}

void tr_mapping_describe(const tr_mapping *m, tr_buf *out)
{
	tr_buf_addf(out, "%s(%lld;%lld;%d;", map_type_names[m->type], (long long)m->start_offset,
		    (long long)m->end_offset, m->allow_nonexistent);
	for (size_t i = 0; i < m->n_keys; i++)
		describe_text(out, m->keys[i]);
	tr_buf_addc(out, '|');
	for (size_t i = 0; i < m->n_map; i++) {
		describe_text(out, m->map_up[i]);
		describe_text(out, m->map_down[i]);
	}
	tr_buf_addc(out, '|');
	describe_text(out, m->dimension);
	for (size_t i = 0; i < m->n_dims; i++) {
		describe_text(out, m->up_dims[i]);
		describe_text(out, m->down_dims[i]);
		if (m->dim_maps[i])
			tr_mapping_describe(m->dim_maps[i], out);
	}
	tr_buf_addc(out, ')');
}

static tr_mapping *mapping_new(map_type type)
{
	tr_mapping *m = calloc(1, sizeof(*m));

	if (m)
		m->type = type;
	return m;
}

/* ---- parsing ------------------------------------------------------------------- */

static int parse_mapping(const tr_node *node, const char *path, tr_mapping **out, tr_error *err);

static int scalar_list(const tr_node *n, const char *path, const char *field, char ***out,
		       size_t *count, tr_error *err)
{
	if (n->kind == TR_NODE_SCALAR) {
		*out = calloc(1, sizeof(char *));
		if (!*out)
			return tr_error_set(err, TR_ENOMEM, "out of memory");
		(*out)[0] = xstrdup(n->scalar);
		*count = 1;
		return 0;
	}
	if (n->kind != TR_NODE_SEQ)
		return node_error(err, n, path, "%s: expected a key or a list of keys", field);
	*out = calloc(n->n ? n->n : 1, sizeof(char *));
	if (!*out)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	for (size_t i = 0; i < n->n; i++) {
		if (n->items[i]->kind != TR_NODE_SCALAR)
			return node_error(err, n->items[i], path, "%s[%zu]: expected a key", field, i);
		(*out)[(*count)++] = xstrdup(n->items[i]->scalar);
	}
	return 0;
}

static int parse_fields(const tr_node *map, const char *path, tr_mapping *m, tr_error *err)
{
	const tr_node *n;
	int rc;

	switch (m->type) {
	case MAP_TIME_WINDOW: {
		static const char *const f[] = {"type", "start_offset", "end_offset",
						"allow_nonexistent_upstream_partitions", NULL};

		if ((rc = node_check_keys(map, path, f, err)))
			return rc;
		if ((n = tr_node_get(map, "start_offset")) && tr_node_int(n, &m->start_offset))
			return node_error(err, n, path, "start_offset: expected an integer number of "
							"downstream windows, e.g. -1");
		if ((n = tr_node_get(map, "end_offset")) && tr_node_int(n, &m->end_offset))
			return node_error(err, n, path, "end_offset: expected an integer number of "
							"downstream windows, e.g. 0");
		if (m->start_offset > m->end_offset)
			return node_error(err, map, path,
					  "start_offset (%lld) must not be after end_offset (%lld)",
					  (long long)m->start_offset, (long long)m->end_offset);
		if ((n = tr_node_get(map, "allow_nonexistent_upstream_partitions")) &&
		    tr_node_bool(n, &m->allow_nonexistent))
			return node_error(err, n, path,
					  "allow_nonexistent_upstream_partitions: expected true or false");
		return 0;
	}
	case MAP_SPECIFIC: {
		static const char *const f[] = {"type", "keys", "partition_keys", NULL};

		if ((rc = node_check_keys(map, path, f, err)))
			return rc;
		n = tr_node_get(map, "keys");
		if (!n)
			n = tr_node_get(map, "partition_keys");
		if (!n)
			return node_error(err, map, path, "keys: required for a specific mapping, e.g. "
							  "keys: [2024-01-01]");
		return scalar_list(n, path, "keys", &m->keys, &m->n_keys, err);
	}
	case MAP_STATIC: {
		static const char *const f[] = {"type", "map", NULL};

		if ((rc = node_check_keys(map, path, f, err)))
			return rc;
		n = tr_node_get(map, "map");
		if (!n || n->kind != TR_NODE_MAP)
			return node_error(err, n ? n : map, path,
					  "map: required for a static mapping: upstream key -> downstream "
					  "key or list of keys, e.g. map: {Books: media, Music: media}");
		for (size_t i = 0; i < n->n; i++) {
			const tr_node *v = tr_node_value(n, i);
			char **down = NULL;
			size_t nd = 0;
			char **up2, **down2;

			if ((rc = scalar_list(v, path, "map", &down, &nd, err))) {
				for (size_t j = 0; j < nd; j++)
					free(down[j]);
				free(down);
				return rc;
			}
			up2 = realloc(m->map_up, (m->n_map + nd + 1) * sizeof(char *));
			if (up2)
				m->map_up = up2;
			down2 = realloc(m->map_down, (m->n_map + nd + 1) * sizeof(char *));
			if (down2)
				m->map_down = down2;
			if (!up2 || !down2) {
				for (size_t j = 0; j < nd; j++)
					free(down[j]);
				free(down);
				return tr_error_set(err, TR_ENOMEM, "out of memory");
			}
			for (size_t j = 0; j < nd; j++) {
				m->map_up[m->n_map] = xstrdup(tr_node_key(n, i));
				m->map_down[m->n_map++] = down[j];
			}
			free(down);
		}
		return 0;
	}
	case MAP_MULTI_TO_SINGLE: {
		static const char *const f[] = {"type", "dimension", "partition_dimension_name", NULL};

		if ((rc = node_check_keys(map, path, f, err)))
			return rc;
		n = tr_node_get(map, "dimension");
		if (!n)
			n = tr_node_get(map, "partition_dimension_name");
		if (n && !tr_node_is_null(n)) {
			if (n->kind != TR_NODE_SCALAR)
				return node_error(err, n, path, "dimension: expected a dimension name");
			m->dimension = xstrdup(n->scalar);
		}
		return 0;
	}
	case MAP_MULTI: {
		static const char *const f[] = {"type", "dimensions", NULL};

		if ((rc = node_check_keys(map, path, f, err)))
			return rc;
		n = tr_node_get(map, "dimensions");
		if (!n || n->kind != TR_NODE_MAP || n->n == 0)
			return node_error(err, n ? n : map, path,
					  "dimensions: required for a multi mapping: upstream dimension -> "
					  "{dimension: downstream dimension, mapping: {type: ...}}");
		m->up_dims = calloc(n->n, sizeof(char *));
		m->down_dims = calloc(n->n, sizeof(char *));
		m->dim_maps = calloc(n->n, sizeof(tr_mapping *));
		if (!m->up_dims || !m->down_dims || !m->dim_maps)
			return tr_error_set(err, TR_ENOMEM, "out of memory");
		for (size_t i = 0; i < n->n; i++) {
			static const char *const df[] = {"dimension", "mapping", NULL};
			const tr_node *v = tr_node_value(n, i), *d, *mm;
			tr_buf sub = TR_BUF_INIT;

			m->up_dims[i] = xstrdup(tr_node_key(n, i));
			m->n_dims++;
			if (v->kind != TR_NODE_MAP)
				return node_error(err, v, path,
						  "dimensions.%s: expected {dimension: NAME, mapping: "
						  "{type: ...}}",
						  tr_node_key(n, i));
			if ((rc = node_check_keys(v, path, df, err)))
				return rc;
			d = tr_node_get(v, "dimension");
			m->down_dims[i] = xstrdup(d && d->kind == TR_NODE_SCALAR ? d->scalar
										 : tr_node_key(n, i));
			mm = tr_node_get(v, "mapping");
			tr_buf_addf(&sub, "%sdimensions.%s.mapping.", path, tr_node_key(n, i));
			if (mm)
				rc = parse_mapping(mm, tr_buf_str(&sub), &m->dim_maps[i], err);
			else if (!(m->dim_maps[i] = mapping_new(MAP_IDENTITY)))
				rc = tr_error_set(err, TR_ENOMEM, "out of memory");
			tr_buf_release(&sub);
			if (rc)
				return rc;
			if (m->dim_maps[i]->type == MAP_MULTI || m->dim_maps[i]->type == MAP_MULTI_TO_SINGLE)
				return node_error(err, mm, path,
						  "dimensions.%s.mapping: a dimension's mapping maps one "
						  "dimension to another, so it cannot be %s",
						  tr_node_key(n, i), map_type_names[m->dim_maps[i]->type]);
		}
		return 0;
	}
	default: {
		static const char *const f[] = {"type", NULL};

		return node_check_keys(map, path, f, err);
	}
	}
}

static int parse_mapping(const tr_node *node, const char *path, tr_mapping **out, tr_error *err)
{
	const tr_node *type;
	tr_mapping *m;
	int rc;

	*out = NULL;
	if (node->kind == TR_NODE_SCALAR) /* `mapping: identity` shorthand */
		type = node;
	else if (node->kind == TR_NODE_MAP)
		type = tr_node_get(node, "type");
	else
		return node_error(err, node, path, "a mapping is a map with a type, e.g. {type: "
						   "time_window, start_offset: -1}");
	if (!type || type->kind != TR_NODE_SCALAR)
		return node_error(err, type ? type : node, path,
				  "type: required; one of identity, time_window, all, last, specific, "
				  "static, multi_to_single, multi");
	for (int i = 0; map_type_names[i]; i++) {
		if (strcmp(type->scalar, map_type_names[i]))
			continue;
		if (!(m = mapping_new((map_type)i)))
			return tr_error_set(err, TR_ENOMEM, "out of memory");
		*out = m;
		if (node->kind == TR_NODE_MAP && (rc = parse_fields(node, path, m, err))) {
			tr_mapping_free(m);
			*out = NULL;
			return rc;
		}
		return 0;
	}
	return node_error(err, type, path,
			  "type: unknown mapping type \"%s\" (valid: identity, time_window, all, last, "
			  "specific, static, multi_to_single, multi)",
			  type->scalar);
}

int tr_mapping_parse(const char *text, const char *origin, tr_mapping **out, tr_error *err)
{
	tr_node *root = NULL;
	int rc;

	*out = NULL;
	if ((rc = tr_node_parse(text, strlen(text), origin, &root, err)))
		return rc;
	rc = parse_mapping(root, "", out, err);
	tr_node_free(root);
	return rc;
}

int tr_mapping_from_node(const tr_node *node, const char *path, tr_mapping **out, tr_error *err)
{
	return parse_mapping(node, path, out, err);
}

/* ---- defaults and checks ---------------------------------------------------------- */

static int defs_equal(const tr_partdef *a, const tr_partdef *b)
{
	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case TR_PART_TIME:
		return !strcmp(a->time->cron_text, b->time->cron_text) &&
		       !strcmp(tr_tz_name(a->time->tz), tr_tz_name(b->time->tz)) &&
		       !strcmp(a->time->fmt, b->time->fmt) && a->time->start == b->time->start &&
		       a->time->has_end == b->time->has_end &&
		       (!a->time->has_end || a->time->end == b->time->end) &&
		       a->time->end_offset == b->time->end_offset;
	case TR_PART_STATIC:
		if (a->n_keys != b->n_keys)
			return 0;
		for (size_t i = 0; i < a->n_keys; i++)
			if (strcmp(a->keys[i], b->keys[i]))
				return 0;
		return 1;
	case TR_PART_DYNAMIC:
		return !strcmp(a->dyn_name, b->dyn_name);
	case TR_PART_MULTI:
		if (a->n_dims != b->n_dims)
			return 0;
		for (size_t i = 0; i < a->n_dims; i++)
			if (strcmp(a->dim_names[i], b->dim_names[i]) || !defs_equal(a->dims[i], b->dims[i]))
				return 0;
		return 1;
	}
	return 0;
}

/* The dimension of `multi` a multi_to_single mapping uses with `single`: named or inferred. */
static int find_dimension(const tr_mapping *m, const tr_partdef *multi, const tr_partdef *single,
			  size_t *dim, tr_error *err)
{
	size_t found = 0, n_found = 0;

	for (size_t i = 0; i < multi->n_dims; i++) {
		if (m->dimension) {
			if (!strcmp(multi->dim_names[i], m->dimension)) {
				*dim = i;
				return 0;
			}
		} else if (defs_equal(multi->dims[i], single)) {
			found = i;
			n_found++;
		}
	}
	if (m->dimension) {
		tr_buf names = TR_BUF_INIT;
		int rc;

		for (size_t i = 0; i < multi->n_dims; i++)
			tr_buf_addf(&names, "%s%s", i ? ", " : "", multi->dim_names[i]);
		rc = tr_error_set(err, TR_EINVAL,
				  "multi_to_single mapping: dimension \"%s\" is not a dimension of the "
				  "multi partitions (dimensions: %s)",
				  m->dimension, tr_buf_str(&names));
		tr_buf_release(&names);
		return rc;
	}
	if (n_found != 1)
		return tr_error_set(err, TR_EINVAL,
				    "multi_to_single mapping: cannot infer the dimension: %s of the "
				    "multi partitions' dimensions has the same definition as the "
				    "single-dimension side; name it with dimension: NAME",
				    n_found ? "more than one" : "none");
	*dim = found;
	return 0;
}

int tr_mapping_default(const tr_partdef *up, const tr_partdef *down, tr_mapping **out,
		       tr_error *err)
{
	map_type t = MAP_IDENTITY;

	if (!up || !down)
		t = MAP_ALL;
	else if (up->kind == TR_PART_TIME && down->kind == TR_PART_TIME)
		t = MAP_TIME_WINDOW;
	else if ((up->kind == TR_PART_MULTI) != (down->kind == TR_PART_MULTI)) {
		/* multi_to_single when a dimension matches the single side, else identity */
		tr_mapping probe = {.type = MAP_MULTI_TO_SINGLE};
		size_t dim;

		if (up->kind == TR_PART_MULTI ? !find_dimension(&probe, up, down, &dim, NULL)
					      : !find_dimension(&probe, down, up, &dim, NULL))
			t = MAP_MULTI_TO_SINGLE;
	}
	*out = mapping_new(t);
	if (!*out)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	return 0;
}

int tr_mapping_check(const tr_mapping *m, const tr_partdef *up, const tr_partdef *down,
		     tr_error *err)
{
	size_t dim;

	switch (m->type) {
	case MAP_ALL:
		return 0;
	case MAP_LAST:
	case MAP_SPECIFIC:
		if (!up)
			return tr_error_set(err, TR_EINVAL, "%s mapping: the upstream asset is not "
							    "partitioned",
					    map_type_names[m->type]);
		return 0;
	default:
		break;
	}
	if (!up || !down)
		return tr_error_set(err, TR_EINVAL,
				    "%s mapping: needs partitions on both sides, but the %s asset is "
				    "not partitioned (use `all`)",
				    map_type_names[m->type], up ? "downstream" : "upstream");
	switch (m->type) {
	case MAP_TIME_WINDOW:
		if (up->kind != TR_PART_TIME || down->kind != TR_PART_TIME)
			return tr_error_set(err, TR_EINVAL,
					    "time_window mapping: needs time-window partitions on both "
					    "sides, but the %s side is %s",
					    up->kind != TR_PART_TIME ? "upstream" : "downstream",
					    (up->kind != TR_PART_TIME ? up : down)->type_name);
		if (strcmp(tr_tz_name(up->time->tz), tr_tz_name(down->time->tz)))
			return tr_error_set(err, TR_EINVAL,
					    "time_window mapping: the timezones differ (upstream %s, "
					    "downstream %s); as in Dagster, both sides must use the same "
					    "timezone",
					    tr_tz_name(up->time->tz), tr_tz_name(down->time->tz));
		return 0;
	case MAP_STATIC:
		if ((up->kind != TR_PART_STATIC && up->kind != TR_PART_DYNAMIC) ||
		    (down->kind != TR_PART_STATIC && down->kind != TR_PART_DYNAMIC))
			return tr_error_set(err, TR_EINVAL,
					    "static mapping: needs static (or dynamic) partitions on both "
					    "sides, got %s upstream and %s downstream",
					    up->type_name, down->type_name);
		return 0;
	case MAP_MULTI_TO_SINGLE:
		if ((up->kind == TR_PART_MULTI) == (down->kind == TR_PART_MULTI))
			return tr_error_set(err, TR_EINVAL,
					    "multi_to_single mapping: needs multi partitions on exactly one "
					    "side, got %s upstream and %s downstream",
					    up->type_name, down->type_name);
		return up->kind == TR_PART_MULTI ? find_dimension(m, up, down, &dim, err)
						 : find_dimension(m, down, up, &dim, err);
	case MAP_MULTI:
		if (up->kind != TR_PART_MULTI || down->kind != TR_PART_MULTI)
			return tr_error_set(err, TR_EINVAL,
					    "multi mapping: needs multi partitions on both sides, got %s "
					    "upstream and %s downstream",
					    up->type_name, down->type_name);
		for (size_t i = 0; i < m->n_dims; i++) {
			const tr_partdef *ud = NULL, *dd = NULL;
			int rc;

			for (size_t j = 0; j < up->n_dims; j++)
				if (!strcmp(up->dim_names[j], m->up_dims[i]))
					ud = up->dims[j];
			for (size_t j = 0; j < down->n_dims; j++)
				if (!strcmp(down->dim_names[j], m->down_dims[i]))
					dd = down->dims[j];
			if (!ud || !dd)
				return tr_error_set(err, TR_EINVAL,
						    "multi mapping: dimension \"%s\" is not a dimension of "
						    "the %s partitions",
						    !ud ? m->up_dims[i] : m->down_dims[i],
						    !ud ? "upstream" : "downstream");
			if ((rc = tr_mapping_check(m->dim_maps[i], ud, dd, err)))
				return tr_error_prefix(err, "multi mapping, dimension \"%s\"",
						       m->up_dims[i]);
		}
		return 0;
	default:
		return 0;
	}
}

/* ---- mapping key sets ------------------------------------------------------------------ */

/* Appends the key of (time or any) index to the NUL-separated list. */
static int note_missing(const tr_partitions *p, int64_t index, tr_buf *list, size_t *n, tr_error *err)
{
	int rc = tr_partitions_key(p, index, list, err);

	if (rc)
		return rc;
	tr_buf_addc(list, '\0');
	(*n)++;
	return 0;
}

static int note_missing_key(const char *key, tr_buf *list, size_t *n)
{
	tr_buf_add(list, key, strlen(key) + 1);
	(*n)++;
	return 0;
}

/* Keeps [lo, hi) ∩ [0, count) in out; reports the rest unless allowed. */
static int add_clipped(const tr_partitions *p, int64_t lo, int64_t hi, int allow, tr_keyset *out,
		       tr_buf *missing, size_t *n_missing, tr_error *err)
{
	int64_t a = lo < 0 ? 0 : lo, b = hi > p->count ? p->count : hi;
	int rc = 0;

	if (a < b && tr_keyset_add_range(out, a, b))
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	if (allow || !missing)
		return 0;
	for (int64_t i = lo; i < hi && i < 0 && !rc; i++)
		rc = note_missing(p, i, missing, n_missing, err);
	for (int64_t i = lo > p->count ? lo : p->count; i < hi && !rc; i++)
		rc = note_missing(p, i, missing, n_missing, err);
	return rc;
}

/* Maps keys by their strings (identity between different definitions). */
static int map_by_key(const tr_partitions *from, const tr_partitions *to, const tr_keyset *keys,
		      tr_keyset *out, tr_buf *missing, size_t *n_missing, tr_error *err)
{
	tr_keyset_iter it;
	tr_buf key = TR_BUF_INIT;
	int64_t i, j;
	int rc = 0;

	for (tr_keyset_iter_init(&it, keys); tr_keyset_iter_next(&it, &i);) {
		tr_buf_reset(&key);
		if ((rc = tr_partitions_key(from, i, &key, err)))
			break;
		rc = tr_partitions_index(to, tr_buf_str(&key), &j, NULL);
		if (rc == 0) {
			if (tr_keyset_add(out, j)) {
				rc = tr_error_set(err, TR_ENOMEM, "out of memory");
				break;
			}
		} else if (missing) {
			note_missing_key(tr_buf_str(&key), missing, n_missing);
		}
		rc = 0;
	}
	tr_buf_release(&key);
	return rc;
}

static int map_keys(const tr_mapping *m, const tr_partitions *from, const tr_partitions *to,
		    int upstream, const tr_keyset *keys, tr_keyset *out, tr_buf *missing,
		    size_t *n_missing, tr_error *err);

/* multi <-> single through one dimension. */
static int map_multi_to_single(const tr_mapping *m, const tr_partitions *from,
			       const tr_partitions *to, const tr_keyset *keys, tr_keyset *out,
			       tr_buf *missing, size_t *n_missing, tr_error *err)
{
	int from_multi = from->def->kind == TR_PART_MULTI;
	const tr_partitions *multi = from_multi ? from : to;
	const tr_partitions *single = from_multi ? to : from;
	tr_keyset dimkeys = TR_KEYSET_INIT, mapped = TR_KEYSET_INIT;
	tr_keyset_iter it;
	size_t dim;
	int64_t i, dix[MAX_DIMS];
	int rc;

	if ((rc = find_dimension(m, multi->def, single->def, &dim, err)))
		return rc;
	if (from_multi) {
		/* each multi key -> its dimension key */
		for (tr_keyset_iter_init(&it, keys); tr_keyset_iter_next(&it, &i);) {
			tr_partitions_split(multi, i, dix);
			if (tr_keyset_add(&dimkeys, dix[dim])) {
				rc = tr_error_set(err, TR_ENOMEM, "out of memory");
				goto out;
			}
		}
		rc = map_by_key(multi->dims[dim], single, &dimkeys, out, missing, n_missing, err);
		goto out;
	}
	/* each single key -> every multi key with that dimension key */
	if ((rc = map_by_key(single, multi->dims[dim], keys, &mapped, missing, n_missing, err)))
		goto out;
	{
		int64_t total = multi->count, r = multi->radix[dim], span = r * multi->dims[dim]->count;

		for (int64_t block = 0; block < total && span > 0; block += span)
			for (size_t k = 0; k < mapped.n; k++)
				if (tr_keyset_add_range(out, block + mapped.ranges[k].start * r,
							block + mapped.ranges[k].end * r)) {
					rc = tr_error_set(err, TR_ENOMEM, "out of memory");
					goto out;
				}
	}
out:
	tr_keyset_release(&dimkeys);
	tr_keyset_release(&mapped);
	return rc;
}

/* Adds the cartesian product of per-dimension sets to out. */
static int add_product(const tr_partitions *p, tr_keyset *sets, size_t d, int64_t base,
		       tr_keyset *out)
{
	size_t n = p->def->n_dims;

	if (d == n - 1) {
		for (size_t k = 0; k < sets[d].n; k++)
			if (tr_keyset_add_range(out, base + sets[d].ranges[k].start,
						base + sets[d].ranges[k].end))
				return TR_ENOMEM;
		return 0;
	}
	for (size_t k = 0; k < sets[d].n; k++)
		for (int64_t i = sets[d].ranges[k].start; i < sets[d].ranges[k].end; i++)
			if (add_product(p, sets, d + 1, base + i * p->radix[d], out))
				return TR_ENOMEM;
	return 0;
}

static int map_multi(const tr_mapping *m, const tr_partitions *from, const tr_partitions *to,
		     int upstream, const tr_keyset *keys, tr_keyset *out, tr_buf *missing,
		     size_t *n_missing, tr_error *err)
{
	size_t nf = from->def->n_dims, nt = to->def->n_dims;
	tr_keyset sets[MAX_DIMS], one = TR_KEYSET_INIT, acc = TR_KEYSET_INIT;
	tr_keyset_iter it;
	int64_t i, dix[MAX_DIMS];
	int rc = 0;

	for (size_t d = 0; d < nt; d++)
		tr_keyset_init(&sets[d]);
	for (tr_keyset_iter_init(&it, keys); tr_keyset_iter_next(&it, &i) && !rc;) {
		tr_partitions_split(from, i, dix);
		for (size_t d = 0; d < nt && !rc; d++) {
			const char *to_name = to->def->dim_names[d];
			int mapped = 0;

			tr_keyset_clear(&sets[d]);
			for (size_t k = 0; k < m->n_dims && !rc; k++) {
				const char *tname = upstream ? m->up_dims[k] : m->down_dims[k];
				const char *fname = upstream ? m->down_dims[k] : m->up_dims[k];

				if (strcmp(tname, to_name))
					continue;
				for (size_t f = 0; f < nf && !rc; f++) {
					if (strcmp(from->def->dim_names[f], fname))
						continue;
					tr_keyset_clear(&one);
					tr_keyset_add(&one, dix[f]);
					tr_keyset_clear(&acc);
					rc = map_keys(m->dim_maps[k], from->dims[f], to->dims[d], upstream,
						      &one, &acc, missing, n_missing, err);
					if (!rc) {
						tr_keyset tmp = TR_KEYSET_INIT;

						rc = tr_keyset_union(&tmp, &sets[d], &acc) ? TR_ENOMEM : 0;
						tr_keyset_release(&sets[d]);
						sets[d] = tmp;
					}
					mapped = 1;
				}
			}
			/* an unmapped dimension depends on all of that dimension's partitions */
			if (!mapped && !rc)
				tr_keyset_add_range(&sets[d], 0, to->dims[d]->count);
		}
		if (!rc && add_product(to, sets, 0, 0, out))
			rc = tr_error_set(err, TR_ENOMEM, "out of memory");
	}
	for (size_t d = 0; d < nt; d++)
		tr_keyset_release(&sets[d]);
	tr_keyset_release(&one);
	tr_keyset_release(&acc);
	return rc;
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

static int map_time_window(const tr_mapping *m, const tr_partitions *from, const tr_partitions *to,
			   int upstream, const tr_keyset *keys, tr_keyset *out, tr_buf *missing,
			   size_t *n_missing, tr_error *err)
{
	int rc = 0;

	for (size_t k = 0; k < keys->n && !rc; k++) {
		int64_t a = keys->ranges[k].start, b = keys->ranges[k].end, s, e, lo, hi;

		if (upstream) {
			/* downstream [a,b) widened by the offsets, then every overlapping upstream
			   window. As in Dagster, the offsets never push past the upstream's existing
			   range (a 7-day rolling window on the first day reads the days that exist),
			   but windows the partition needs without the offsets are reported when
			   they do not exist. */
			s = tw_tick(from, a + m->start_offset);
			e = tw_tick(from, b + m->end_offset);
			if (to->count > 0) {
				int64_t first = tw_tick(to, 0), last_end = tw_tick(to, to->count);
				int64_t s0 = tw_tick(from, a), e0 = tw_tick(from, b);

				if (m->start_offset < 0)
					s = max64(s, min64(first, s0));
				if (m->start_offset > 0)
					s = min64(s, max64(last_end, s0));
				if (m->end_offset < 0)
					e = max64(e, min64(first, e0));
				if (m->end_offset > 0)
					e = min64(e, max64(last_end, e0));
			}
			if (e <= s)
				continue;
			lo = tw_index_at(to, s);
			hi = tw_index_at(to, e - 1) + 1;
			rc = add_clipped(to, lo, hi, m->allow_nonexistent, out, missing, n_missing, err);
		} else {
			s = tw_tick(from, a);
			e = tw_tick(from, b);
			lo = tw_index_at(to, s) - m->end_offset;
			hi = tw_index_at(to, e - 1) - m->start_offset + 1;
			rc = add_clipped(to, lo, hi, 1, out, NULL, NULL, err);
		}
	}
	return rc;
}

static int map_static(const tr_mapping *m, const tr_partitions *from, const tr_partitions *to,
		      int upstream, const tr_keyset *keys, tr_keyset *out, tr_buf *missing,
		      size_t *n_missing, tr_error *err)
{
	tr_buf key = TR_BUF_INIT;
	tr_keyset_iter it;
	int64_t i, j;
	int rc = 0;

	for (tr_keyset_iter_init(&it, keys); tr_keyset_iter_next(&it, &i) && !rc;) {
		tr_buf_reset(&key);
		if ((rc = tr_partitions_key(from, i, &key, err)))
			break;
		for (size_t k = 0; k < m->n_map; k++) {
			const char *match = upstream ? m->map_down[k] : m->map_up[k];
			const char *target = upstream ? m->map_up[k] : m->map_down[k];

			if (strcmp(match, tr_buf_str(&key)))
				continue;
			if (tr_partitions_index(to, target, &j, NULL) == 0) {
				if (tr_keyset_add(out, j))
					rc = tr_error_set(err, TR_ENOMEM, "out of memory");
			} else if (upstream && missing) {
				note_missing_key(target, missing, n_missing);
			}
		}
	}
	tr_buf_release(&key);
	return rc;
}

static int map_keys(const tr_mapping *m, const tr_partitions *from, const tr_partitions *to,
		    int upstream, const tr_keyset *keys, tr_keyset *out, tr_buf *missing,
		    size_t *n_missing, tr_error *err)
{
	const tr_partitions *up = upstream ? to : from;

	if (tr_keyset_is_empty(keys))
		return 0;
	switch (m->type) {
	case MAP_IDENTITY:
		return map_by_key(from, to, keys, out, upstream ? missing : NULL, n_missing, err);
	case MAP_ALL:
		return tr_keyset_add_range(out, 0, to->count) ? TR_ENOMEM : 0;
	case MAP_LAST:
		if (upstream)
			return up->count ? tr_keyset_add(out, up->count - 1) : 0;
		return up->count && tr_keyset_contains(keys, up->count - 1)
			       ? tr_keyset_add_range(out, 0, to->count)
			       : 0;
	case MAP_SPECIFIC:
		for (size_t k = 0; k < m->n_keys; k++) {
			int64_t j;

			if (!upstream) {
				if (tr_partitions_index(from, m->keys[k], &j, NULL) == 0 &&
				    tr_keyset_contains(keys, j))
					return tr_keyset_add_range(out, 0, to->count) ? TR_ENOMEM : 0;
				continue;
			}
			if (tr_partitions_index(to, m->keys[k], &j, NULL) == 0)
				tr_keyset_add(out, j);
			else if (missing)
				note_missing_key(m->keys[k], missing, n_missing);
		}
		return 0;
	case MAP_TIME_WINDOW:
		return map_time_window(m, from, to, upstream, keys, out, missing, n_missing, err);
	case MAP_STATIC:
		return map_static(m, from, to, upstream, keys, out, missing, n_missing, err);
	case MAP_MULTI_TO_SINGLE:
		return map_multi_to_single(m, from, to, keys, out, upstream ? missing : NULL, n_missing,
					   err);
	case MAP_MULTI:
		return map_multi(m, from, to, upstream, keys, out, missing, n_missing, err);
	}
	return TR_EINTERNAL;
}

int tr_mapping_upstream(const tr_mapping *m, const tr_partitions *up, const tr_partitions *down,
			const tr_keyset *down_keys, tr_keyset *up_out, tr_buf *nonexistent,
			size_t *n_nonexistent, tr_error *err)
{
	size_t dummy = 0;
	int rc;

	tr_keyset_clear(up_out);
	/* checked once here; map_keys recurses per partition and dimension unchecked */
	if ((rc = tr_mapping_check(m, up->def, down->def, err)))
		return rc;
	return map_keys(m, down, up, 1, down_keys, up_out, nonexistent,
			n_nonexistent ? n_nonexistent : &dummy, err);
}

int tr_mapping_downstream(const tr_mapping *m, const tr_partitions *up, const tr_partitions *down,
			  const tr_keyset *up_keys, tr_keyset *down_out, tr_error *err)
{
	size_t dummy = 0;
	int rc;

	tr_keyset_clear(down_out);
	if ((rc = tr_mapping_check(m, up->def, down->def, err)))
		return rc;
	return map_keys(m, up, down, 0, up_keys, down_out, NULL, &dummy, err);
}
