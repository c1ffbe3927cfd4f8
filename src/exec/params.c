/*
 * params.c — what one asset partition looks like to SQL and to commands: the
 * named parameters bound to statements and the slice predicate that selects
 * the partition's rows, and the asset partitions' state (materialized, failed,
 * in progress, missing) from instance storage.
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

static int add_window(tr_partition_params *pp, const tr_partitions *parts, int64_t index,
		      const char *suffix, tr_error *err)
{
	int64_t start, end;
	int rc = tr_partitions_window(parts, index, &start, &end, err);

	if (rc)
		return rc;
	if (add_param(pp, keepf(pp, "partition_start%s", suffix), TR_PARAM_TIMESTAMP, NULL,
		      wall_micros(parts, start)) ||
	    add_param(pp, keepf(pp, "partition_end%s", suffix), TR_PARAM_TIMESTAMP, NULL,
		      wall_micros(parts, end)))
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	if (!*suffix) {
		pp->start = start;
		pp->end = end;
		pp->has_window = 1;
	}
	return 0;
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

int tr_partition_params_make(const tr_project *p, size_t i, const tr_partitions *parts,
			     int64_t index, tr_partition_params *out, tr_error *err)
{
	const tr_asset *a = &p->assets[i];
	tr_buf slice = TR_BUF_INIT;
	const char *key;
	struct owned *o;
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
	rc = key_text(parts, index, out, &key, err);
	if (rc)
		goto out;
	out->key = (char *)key;
	o->keys_list[0] = key;
	if (add_param(out, "partition_key", TR_PARAM_TEXT, key, 0) ||
	    add_param(out, "partition_keys", TR_PARAM_TEXT_LIST, NULL, 0)) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	out->params[out->n - 1].list = o->keys_list;
	out->params[out->n - 1].list_len = 1;

	if (tr_partdef_kind(a->partdef) == TR_PART_TIME) {
		rc = add_window(out, parts, index, "", err);
		if (!rc && a->n_partition_expr)
			slice_term(&slice, a->partition_expr[0], 1, "");
	} else if (tr_partdef_kind(a->partdef) == TR_PART_MULTI) {
		size_t nd = tr_partdef_dimension_count(a->partdef);
		int64_t dix[16];

		tr_partitions_split(parts, index, dix);
		for (size_t d = 0; d < nd && !rc; d++) {
			const tr_partitions *dim = tr_partitions_dimension(parts, d);
			const char *dname = tr_partdef_dimension_name(a->partdef, d);
			int is_time = tr_partdef_kind(tr_partdef_dimension(a->partdef, d)) == TR_PART_TIME;
			const char *suffix = keepf(out, "_%s", dname), *dkey;

			rc = suffix ? key_text(dim, dix[d], out, &dkey, err)
				    : tr_error_set(err, TR_ENOMEM, "out of memory");
			if (!rc && add_param(out, keepf(out, "partition_key%s", suffix), TR_PARAM_TEXT,
					     dkey, 0))
				rc = tr_error_set(err, TR_ENOMEM, "out of memory");
			if (!rc && is_time) {
				rc = add_window(out, dim, dix[d], suffix, err);
				if (!rc)
					rc = add_window(out, dim, dix[d], "", err);
			}
			if (!rc && d < a->n_partition_expr)
				slice_term(&slice, a->partition_expr[d], is_time, suffix);
		}
	} else if (a->n_partition_expr) {
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
