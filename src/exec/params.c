/*
 * params.c — what one step (one partition, or a contiguous range of them) looks
 * like to SQL and to commands: the named parameters bound to statements and the
 * slice predicate that selects the step's rows.
 *
 * Invariant: partition values appear only as parameter values, never in the
 * slice text; the slice is built from the project's partition_expr (trusted
 * SQL written by the project's author) and parameter names.
 * Called by run.c (steps), the CLI (status, wipe, dry runs).
 */
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include "tranche/exec.h"

static int dynamic_keys(void *ctx, const char *name, char ***keys, size_t *n, tr_error *err)
{
	return tr_storage_dynamic_keys((tr_storage *)ctx, name, keys, n, err);
}

int tr_asset_partitions(const tr_project *p, tr_storage *st, size_t i, int64_t now,
			tr_partitions **out, tr_error *err)
{
	tr_part_env env = {now, dynamic_keys, st};
	int rc;

	*out = NULL;
	if (i >= p->n_assets)
		return tr_error_set(err, TR_EINVAL, "asset index %zu out of range", i);
	if (!p->assets[i].partdef)
		return 0;
	rc = tr_partitions_resolve(p->assets[i].partdef, &env, out, err);
	if (rc)
		tr_error_prefix(err, "asset %s", p->assets[i].name);
	return rc;
}

/* ---- parameters ------------------------------------------------------------------------ */

/* Strings behind the parameters: one list, freed together. */
struct owned {
	char **strs;
	size_t n, cap;
	const char *keys_list[1];
};

static const char *keep(tr_partition_params *pp, char *s)
{
	struct owned *o = pp->owned;

	if (!s)
		return NULL;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16;
		char **grown = realloc(o->strs, cap * sizeof(*grown));

		if (!grown) {
			free(s);
			return NULL;
		}
		o->strs = grown;
		o->cap = cap;
	}
	o->strs[o->n++] = s;
	return s;
}

static const char *keepf(tr_partition_params *pp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static const char *keepf(tr_partition_params *pp, const char *fmt, ...)
{
	tr_buf b = TR_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	tr_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (tr_buf_failed(&b)) {
		tr_buf_release(&b);
		return NULL;
	}
	return keep(pp, tr_buf_detach(&b, NULL));
}

static int add_param(tr_partition_params *pp, const char *name, tr_param_type type,
		     const char *text, int64_t value)
{
	tr_param *prm;

	if (!name || (type == TR_PARAM_TEXT && !text) || pp->n == sizeof(pp->params) / sizeof(pp->params[0]))
		return TR_ENOMEM;
	prm = &pp->params[pp->n++];
	memset(prm, 0, sizeof(*prm));
	prm->name = name;
	prm->type = type;
	prm->text = text;
	prm->value = value;
	return 0;
}

/* Wall-clock microseconds of instant t in the partitions' zone. */
static int64_t wall_micros(const tr_partitions *parts, int64_t t)
{
	return (t + tr_partitions_offset_at(parts, t)) * 1000000;
}

static void slice_term(tr_buf *slice, const char *expr, int is_time, const char *suffix)
{
	if (slice->len)
		tr_buf_adds(slice, " AND ");
	if (is_time)
		tr_buf_addf(slice, "(%s) >= $partition_start%s AND (%s) < $partition_end%s", expr,
			    suffix, expr, suffix);
	else
		tr_buf_addf(slice, "(%s) = $partition_key%s", expr, suffix);
}

static int key_text(const tr_partitions *parts, int64_t index, tr_partition_params *pp,
		    const char **out, tr_error *err)
{
	tr_buf b = TR_BUF_INIT;
	int rc = tr_partitions_key(parts, index, &b, err);

	if (rc) {
		tr_buf_release(&b);
		return rc;
	}
	*out = keep(pp, tr_buf_detach(&b, NULL));
	return *out ? 0 : tr_error_set(err, TR_ENOMEM, "out of memory");
}

/* The keys of a step, as a list parameter named `name`. */
static int add_key_list(tr_partition_params *pp, const tr_partitions *parts, const char *name,
			int64_t first, int64_t count, int64_t stride, const char ***list,
			tr_error *err)
{
	const char **keys = calloc((size_t)count, sizeof(*keys));
	int rc = 0;

	if (!keys || !keep(pp, (char *)keys))
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	for (int64_t k = 0; k < count && !rc; k++)
		rc = key_text(parts, first + k * stride, pp, &keys[k], err);
	if (rc)
		return rc;
	if (add_param(pp, name, TR_PARAM_TEXT_LIST, NULL, 0))
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	pp->params[pp->n - 1].list = keys;
	pp->params[pp->n - 1].list_len = (size_t)count;
	if (list)
		*list = keys;
	return 0;
}

/* A time window spanning steps first .. last of one time definition. */
static int add_span(tr_partition_params *pp, const tr_partitions *parts, int64_t first,
		    int64_t last, const char *suffix, tr_error *err)
{
	int64_t s0, e0, s1, e1;
	int rc = tr_partitions_window(parts, first, &s0, &e0, err);

	if (!rc)
		rc = tr_partitions_window(parts, last, &s1, &e1, err);
	if (rc)
		return rc;
	if (add_param(pp, keepf(pp, "partition_start%s", suffix), TR_PARAM_TIMESTAMP, NULL,
		      wall_micros(parts, s0)) ||
	    add_param(pp, keepf(pp, "partition_end%s", suffix), TR_PARAM_TIMESTAMP, NULL,
		      wall_micros(parts, e1)))
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	if (!*suffix) {
		pp->start = s0;
		pp->end = e1;
		pp->has_window = 1;
	}
	return 0;
}

static void slice_list_term(tr_buf *slice, const char *expr, const char *suffix)
{
	if (slice->len)
		tr_buf_adds(slice, " AND ");
	tr_buf_addf(slice, "list_contains($partition_keys%s, (%s))", suffix, expr);
}

int tr_partition_params_make(const tr_project *p, size_t i, const tr_partitions *parts,
			     int64_t index, tr_partition_params *out, tr_error *err)
{
	return tr_partition_params_make_range(p, i, parts, index, 1, 1, out, err);
}

int tr_partitions_run_dimension(const tr_partdef *def, size_t *dim, int64_t *stride,
				const tr_partitions *parts)
{
	size_t nd;
	int64_t unit[16] = {0}, zero;

	*dim = 0;
	*stride = 1;
	if (!def || tr_partdef_kind(def) != TR_PART_MULTI)
		return 0;
	nd = tr_partdef_dimension_count(def);
	if (nd == 0 || nd > 16)
		return TR_EINVAL;
	*dim = nd - 1;
	for (size_t d = 0; d < nd; d++)
		if (tr_partdef_kind(tr_partdef_dimension(def, d)) == TR_PART_TIME) {
			*dim = d;
			break;
		}
	if (parts) {
		zero = tr_partitions_join(parts, unit);
		unit[*dim] = 1;
		*stride = tr_partitions_join(parts, unit) - zero;
	}
	return 0;
}

int tr_partition_params_make_range(const tr_project *p, size_t i, const tr_partitions *parts,
				   int64_t first, int64_t count, int64_t stride,
				   tr_partition_params *out, tr_error *err)
{
	const tr_asset *a = &p->assets[i];
	tr_buf slice = TR_BUF_INIT;
	const char *key;
	struct owned *o;
	int64_t last = first + (count - 1) * stride;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	o = calloc(1, sizeof(*o));
	if (!o)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	out->owned = o;
	if (!parts) {
		out->key = (char *)keep(out, strdup(""));
		return out->key ? 0 : tr_error_set(err, TR_ENOMEM, "out of memory");
	}
	if (count < 1)
		return tr_error_set(err, TR_EINVAL, "a step needs at least one partition");
	rc = key_text(parts, first, out, &key, err);
	if (rc)
		goto out;
	out->key = (char *)key;
	if (count == 1) {
		o->keys_list[0] = key;
		if (add_param(out, "partition_key", TR_PARAM_TEXT, key, 0) ||
		    add_param(out, "partition_keys", TR_PARAM_TEXT_LIST, NULL, 0)) {
			rc = tr_error_set(err, TR_ENOMEM, "out of memory");
			goto out;
		}
		out->params[out->n - 1].list = o->keys_list;
		out->params[out->n - 1].list_len = 1;
	} else {
		const char *last_key;

		rc = key_text(parts, last, out, &last_key, err);
		if (!rc) {
			out->key = (char *)keepf(out, "%s...%s", key, last_key);
			if (!out->key)
				rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		}
		if (!rc)
			rc = add_key_list(out, parts, "partition_keys", first, count, stride, NULL, err);
		if (rc)
			goto out;
	}
	out->n_keys = count;
	out->first = first;
	out->stride = stride;

	if (tr_partdef_kind(a->partdef) == TR_PART_TIME) {
		rc = add_span(out, parts, first, last, "", err);
		if (!rc && a->n_partition_expr)
			slice_term(&slice, a->partition_expr[0], 1, "");
	} else if (tr_partdef_kind(a->partdef) == TR_PART_MULTI) {
		size_t nd = tr_partdef_dimension_count(a->partdef), run_dim = 0;
		int64_t dix[16], dlast[16], dstride;

		tr_partitions_run_dimension(a->partdef, &run_dim, &dstride, parts);
		tr_partitions_split(parts, first, dix);
		tr_partitions_split(parts, last, dlast);
		for (size_t d = 0; d < nd && !rc; d++) {
			const tr_partitions *dim = tr_partitions_dimension(parts, d);
			const char *dname = tr_partdef_dimension_name(a->partdef, d);
			int is_time = tr_partdef_kind(tr_partdef_dimension(a->partdef, d)) == TR_PART_TIME;
			const char *suffix = keepf(out, "_%s", dname), *dkey;
			int spans = count > 1 && d == run_dim;

			if (!suffix) {
				rc = tr_error_set(err, TR_ENOMEM, "out of memory");
				break;
			}
			if (spans) {
				rc = add_key_list(out, dim, keepf(out, "partition_keys%s", suffix), dix[d],
						  dlast[d] - dix[d] + 1, 1, NULL, err);
			} else {
				rc = key_text(dim, dix[d], out, &dkey, err);
				if (!rc && add_param(out, keepf(out, "partition_key%s", suffix),
						     TR_PARAM_TEXT, dkey, 0))
					rc = tr_error_set(err, TR_ENOMEM, "out of memory");
			}
			if (!rc && is_time) {
				rc = add_span(out, dim, dix[d], dlast[d], suffix, err);
				if (!rc)
					rc = add_span(out, dim, dix[d], dlast[d], "", err);
			}
			if (!rc && d < a->n_partition_expr) {
				if (spans && !is_time)
					slice_list_term(&slice, a->partition_expr[d], suffix);
				else
					slice_term(&slice, a->partition_expr[d], is_time, suffix);
			}
		}
	} else if (a->n_partition_expr) {
		if (count > 1)
			slice_list_term(&slice, a->partition_expr[0], "");
		else
			slice_term(&slice, a->partition_expr[0], 0, "");
	}
	if (!rc && slice.len) {
		out->slice = tr_buf_detach(&slice, NULL);
		if (!out->slice)
			rc = tr_error_set(err, TR_ENOMEM, "out of memory");
	}
out:
	tr_buf_release(&slice);
	if (rc) {
		tr_error_prefix(err, "asset %s", a->name);
		tr_partition_params_release(out);
	}
	return rc;
}

void tr_partition_params_release(tr_partition_params *pp)
{
	struct owned *o = pp->owned;

	if (o) {
		for (size_t k = 0; k < o->n; k++)
			free(o->strs[k]);
		free(o->strs);
		free(o);
	}
	free(pp->slice);
	memset(pp, 0, sizeof(*pp));
}

const char *tr_asset_timezone(const tr_asset *a)
{
	const char *tz;

	if (!a->partdef)
		return "UTC";
	if ((tz = tr_partdef_timezone(a->partdef)))
		return tz;
	for (size_t d = 0; d < tr_partdef_dimension_count(a->partdef); d++)
		if ((tz = tr_partdef_timezone(tr_partdef_dimension(a->partdef, d))))
			return tz;
	return "UTC";
}
