/*
 * plan.c — turning a request into steps.
 *
 * Planning resolves the selection and the partition pick for every selected
 * asset before anything is written: an unknown asset, a key that is not a
 * partition of a selected asset, a partitioned asset without a pick — all
 * refuse the whole request. A resumed backfill takes its assets and
 * partitions from storage: what it requested minus what it already did.
 *
 * Each asset's partitions are then cut into steps by its backfill policy:
 * keys contiguous in partition order (multi definitions: along the run
 * dimension, other dimensions fixed), split at gaps, at most
 * max_partitions_per_run per step. Steps are numbered asset-major in
 * dependency order. An edge u -> s means step s reads a partition step u
 * writes (through the dependency's partition mapping; an unpartitioned side
 * reads or is read by every step of the other): s starts once all its
 * upstream steps ended, and is skipped if one of them did not succeed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec_int.h"

const char *pick_text(const tr_run_request *req, tr_buf *b)
{
	switch (req->pick) {
	case TR_PICK_KEYS:
		for (size_t i = 0; i < req->n_keys; i++)
			tr_buf_addf(b, "%s%s", i ? "," : "", req->keys[i]);
		break;
	case TR_PICK_RANGE:
		tr_buf_addf(b, "%s...%s", req->from, req->to);
		break;
	case TR_PICK_MISSING:
		tr_buf_adds(b, "missing");
		break;
	case TR_PICK_FAILED:
		tr_buf_adds(b, "failed");
		break;
	case TR_PICK_ALL:
		tr_buf_adds(b, "all");
		break;
	case TR_PICK_STALE:
		tr_buf_adds(b, "stale");
		break;
	case TR_PICK_MISSING_STALE:
		tr_buf_adds(b, "missing+stale");
		break;
	default:
		break;
	}
	return tr_buf_str(b);
}

/*
 * Adds to keys the partitions of asset i, materialized now, that read a
 * partition this plan runs of one of its selected upstream assets (picked
 * before i: dependency order): once those run, these are stale.
 */
static int add_going_stale(const tr_project *p, struct plan *pl, size_t i,
			   const tr_keyset *materialized, tr_keyset *keys, tr_error *err)
{
	const tr_asset *a = &p->assets[i];
	struct plan_asset *pa = &pl->pa[i];
	tr_keyset down = TR_KEYSET_INIT, tmp = TR_KEYSET_INIT, both = TR_KEYSET_INIT;
	int64_t total = pa->parts ? tr_partitions_count(pa->parts) : 1;
	int rc = 0;

	for (size_t d = 0; d < a->n_deps && rc == 0; d++) {
		const struct plan_asset *up = &pl->pa[a->deps[d].asset];

		if (!up->selected || tr_keyset_is_empty(&up->keys))
			continue;
		if (!up->parts || !pa->parts)
			rc = tr_keyset_add_range(&down, 0, total);
		else
			rc = tr_mapping_downstream(a->deps[d].mapping, up->parts, pa->parts,
						   &up->keys, &down, err);
		if (rc == 0)
			rc = tr_keyset_intersect(&tmp, &down, materialized);
		if (rc == 0)
			rc = tr_keyset_union(&both, keys, &tmp);
		if (rc == 0)
			rc = tr_keyset_copy(keys, &both);
	}
	if (rc && rc != TR_ENOMEM)
		tr_error_prefix(err, "asset %s", a->name);
	else if (rc)
		rc = tr_error_set(err, rc, "out of memory planning %s", a->name);
	tr_keyset_release(&down);
	tr_keyset_release(&tmp);
	tr_keyset_release(&both);
	return rc;
}

/* The keys of a pick by state (missing, failed, stale) from asset i's state. */
static int pick_by_state(const tr_project *p, tr_storage *st, const tr_run_request *req,
			 struct plan *pl, size_t i, tr_error *err)
{
	struct plan_asset *pa = &pl->pa[i];
	tr_keyset tmp = TR_KEYSET_INIT;
	tr_asset_state state;
	int rc = tr_asset_state_get(p, st, i, pa->parts, &state, err);

	if (rc)
		return rc;
	switch (req->pick) {
	case TR_PICK_FAILED:
		rc = tr_keyset_copy(&pa->keys, &state.failed);
		break;
	case TR_PICK_STALE:
		rc = tr_keyset_copy(&pa->keys, &state.stale);
		break;
	case TR_PICK_MISSING:
	case TR_PICK_MISSING_STALE:
		rc = tr_keyset_union(&tmp, &state.missing, &state.failed);
		if (rc == 0 && req->pick == TR_PICK_MISSING_STALE)
			rc = tr_keyset_union(&pa->keys, &tmp, &state.stale);
		else if (rc == 0)
			rc = tr_keyset_copy(&pa->keys, &tmp);
		break;
	default:
		break;
	}
	if (rc)
		rc = tr_error_set(err, rc, "out of memory planning %s", p->assets[i].name);
	else if (req->pick == TR_PICK_STALE || req->pick == TR_PICK_MISSING_STALE)
		rc = add_going_stale(p, pl, i, &state.materialized, &pa->keys, err);
	tr_keyset_release(&tmp);
	tr_asset_state_release(&state);
	return rc;
}

static int pick_keys(const tr_project *p, tr_storage *st, const tr_run_request *req,
		     struct plan *pl, size_t i, tr_error *err)
{
	const tr_asset *a = &p->assets[i];
	struct plan_asset *pa = &pl->pa[i];
	int rc = 0;

	switch (req->pick) {
	case TR_PICK_MISSING:
	case TR_PICK_FAILED:
	case TR_PICK_STALE:
	case TR_PICK_MISSING_STALE:
		return pick_by_state(p, st, req, pl, i, err);
	default:
		break;
	}
	if (!pa->parts)
		return tr_keyset_add(&pa->keys, 0);
	switch (req->pick) {
	case TR_PICK_NONE: {
		tr_buf d = TR_BUF_INIT;
		int64_t n = tr_partitions_count(pa->parts);

		if (n > 0)
			tr_partitions_key(pa->parts, 0, &d, NULL);
		rc = tr_error_set(err, TR_EINVAL,
				  "asset %s is partitioned (%s, %lld partitions%s%s): choose which "
				  "with --partition KEY, --from KEY --to KEY, --missing, --failed, "
				  "--stale or --all",
				  a->name, tr_partdef_type_name(a->partdef), (long long)n,
				  n > 0 ? ", the first is " : "", tr_buf_str(&d));
		tr_buf_release(&d);
		return rc;
	}
	case TR_PICK_KEYS:
		rc = tr_partitions_keyset_from_keys(pa->parts, req->keys, req->n_keys, &pa->keys, err);
		break;
	case TR_PICK_RANGE:
		rc = tr_partitions_keyset_from_range(pa->parts, req->from, req->to, &pa->keys, err);
		break;
	case TR_PICK_ALL:
		rc = tr_partitions_keyset_all(pa->parts, &pa->keys);
		break;
	default:
		break;
	}
	if (rc && (req->pick == TR_PICK_KEYS || req->pick == TR_PICK_RANGE))
		tr_error_prefix(err, "asset %s (%s partitions)", a->name,
				tr_partdef_type_name(a->partdef));
	return rc;
}


/* The keys a resumed backfill still has to run for asset i: requested minus done. */
static int resume_keys(tr_storage *st, struct plan *pl, size_t i,
		       const tr_backfill_asset *ba, const int64_t *runs, size_t n_runs,
		       int64_t backfill_id, tr_error *err)
{
	struct plan_asset *pa = &pl->pa[i];
	tr_keyset requested, done, tmp;
	tr_pstatus *rows = NULL;
	size_t n_rows = 0;
	int rc = 0;

	tr_keyset_init(&requested);
	tr_keyset_init(&done);
	tr_keyset_init(&tmp);
	if (!pa->parts != !ba->partitioned) {
		rc = tr_error_set(err, TR_EINVAL,
				  "backfill %lld: asset %s was %spartitioned when the backfill was "
				  "made and is %s now: start a new backfill",
				  (long long)backfill_id, ba->asset, ba->partitioned ? "" : "un",
				  pa->parts ? "partitioned" : "unpartitioned");
		goto out;
	}
	if (!pa->parts) {
		int ok = ba->succeeded && *ba->succeeded != '\0';

		if (ok && (rc = tr_keyset_add(&pa->prev_done, 0)))
			goto out;

		rc = tr_storage_partition_status(st, ba->asset, &rows, &n_rows, err);
		for (size_t k = 0; !rc && k < n_rows; k++)
			for (size_t r = 0; r < n_runs; r++)
				if (!rows[k].partition[0] && !strcmp(rows[k].status, "materialized") &&
				    rows[k].run_id == runs[r])
					ok = 1;
		if (!rc && !ok)
			rc = tr_keyset_add(&pa->keys, 0);
		goto out;
	}
	/* each line of the ranges is KEY or FIRST...LAST */
	for (int pass = 0; pass < 2 && !rc; pass++) {
		const char *text = pass == 0 ? ba->requested : ba->succeeded;
		tr_keyset *into = pass == 0 ? &requested : &done;
		const char *line = text ? text : "";

		while (*line && !rc) {
			size_t len = strcspn(line, "\n");
			char *one = strndup(line, len);
			const char *keys[1] = {one};
			tr_keyset k1;

			tr_keyset_init(&k1);
			if (!one) {
				rc = tr_error_set(err, TR_ENOMEM, "out of memory");
				break;
			}
			if (len)
				rc = tr_partitions_keyset_from_keys(pa->parts, keys, 1, &k1, err);
			if (!rc) {
				rc = tr_keyset_union(&tmp, into, &k1);
				if (!rc) {
					tr_keyset t = *into;

					*into = tmp;
					tmp = t;
				}
			}
			if (rc)
				tr_error_prefix(err, "backfill %lld: asset %s", (long long)backfill_id,
						ba->asset);
			tr_keyset_release(&k1);
			free(one);
			line += len;
			if (*line == '\n')
				line++;
		}
	}
	/* done since the last update was recorded: materialized by one of its runs */
	if (!rc)
		rc = tr_storage_partition_status(st, ba->asset, &rows, &n_rows, err);
	for (size_t k = 0; !rc && k < n_rows; k++) {
		int64_t index;
		int mine = 0;

		for (size_t r = 0; r < n_runs && !mine; r++)
			mine = rows[k].run_id == runs[r];
		if (!mine || strcmp(rows[k].status, "materialized") ||
		    tr_partitions_index(pa->parts, rows[k].partition, &index, NULL))
			continue;
		rc = tr_keyset_add(&done, index);
	}
	if (!rc)
		rc = tr_keyset_difference(&pa->keys, &requested, &done);
	if (!rc)
		rc = tr_keyset_copy(&pa->prev_done, &done);
out:
	tr_pstatus_free(rows, n_rows);
	tr_keyset_release(&requested);
	tr_keyset_release(&done);
	tr_keyset_release(&tmp);
	return rc;
}

static int plan_resume(const tr_project *p, tr_storage *st, const tr_run_request *req,
		       struct plan *pl, tr_error *err)
{
	tr_backfill b = {0};
	tr_backfill_asset *as = NULL;
	size_t n_as = 0, n_runs = 0;
	int64_t *runs = NULL;
	int rc = tr_storage_backfill_get(st, req->resume, &b, &as, &n_as, err);

	if (!rc && (!strcmp(b.status, "completed") || !strcmp(b.status, "running") ||
		    !strcmp(b.status, "canceling")))
		rc = tr_error_set(err, TR_EINVAL,
				  "backfill %lld is %s: only a failed, canceled or requested "
				  "backfill can be resumed",
				  (long long)req->resume, b.status);
	if (!rc)
		rc = tr_storage_backfill_runs(st, req->resume, &runs, &n_runs, err);
	if (!rc && (!(pl->selection = strdup(b.selection ? b.selection : "")) ||
		    !(pl->pick = strdup(b.partitions ? b.partitions : ""))))
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
	for (size_t k = 0; k < n_as && !rc; k++) {
		size_t i;

		rc = tr_project_find(p, as[k].asset, &i, err);
		if (rc) {
			tr_error_prefix(err, "backfill %lld", (long long)req->resume);
			break;
		}
		pl->pa[i].selected = 1;
		pl->pa[i].in_backfill = 1;
		rc = tr_asset_partitions(p, st, i, req->now, &pl->pa[i].parts, err);
		if (!rc)
			rc = resume_keys(st, pl, i, &as[k], runs, n_runs, req->resume, err);
	}
	free(runs);
	tr_backfill_assets_free(as, n_as);
	tr_backfill_release(&b);
	return rc;
}

int plan_build(const tr_project *p, tr_storage *st, const tr_run_request *req, struct plan *pl,
	       tr_error *err)
{
	unsigned char *selected;
	int rc = 0;

	memset(pl, 0, sizeof(*pl));
	pl->pa = calloc(p->n_assets ? p->n_assets : 1, sizeof(*pl->pa));
	if (!pl->pa)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	for (size_t i = 0; i < p->n_assets; i++) {
		tr_keyset_init(&pl->pa[i].keys);
		tr_keyset_init(&pl->pa[i].done);
		tr_keyset_init(&pl->pa[i].failed);
		tr_keyset_init(&pl->pa[i].skipped);
		tr_keyset_init(&pl->pa[i].prev_done);
	}
	if (req->resume)
		return plan_resume(p, st, req, pl, err);
	selected = calloc(p->n_assets ? p->n_assets : 1, 1);
	if (!selected)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	rc = tr_project_select(p, req->selection, selected, err);
	for (size_t k = 0; k < p->n_assets && !rc; k++) {
		size_t i = p->order[k];

		if (!selected[i])
			continue;
		pl->pa[i].selected = 1;
		rc = tr_asset_partitions(p, st, i, req->now, &pl->pa[i].parts, err);
		if (!rc)
			rc = pick_keys(p, st, req, pl, i, err);
	}
	if (!rc && (req->pick == TR_PICK_KEYS || req->pick == TR_PICK_RANGE)) {
		int any_partitioned = 0;

		for (size_t i = 0; i < p->n_assets; i++)
			any_partitioned |= pl->pa[i].selected && pl->pa[i].parts;
		if (!any_partitioned)
			rc = tr_error_set(err, TR_EINVAL,
					  "no asset of \"%s\" is partitioned: materialize it without "
					  "--partition/--from/--to",
					  req->selection);
	}
	free(selected);
	return rc;
}

/* ---- steps --------------------------------------------------------------------------- */

struct grow {
	void *p;
	size_t n, cap, size;
};

static void *grow_one(struct grow *g)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		void *np = realloc(g->p, cap * g->size);

		if (!np)
			return NULL;
		g->p = np;
		g->cap = cap;
	}
	return (char *)g->p + g->size * g->n++;
}

static int add_step(struct grow *steps, size_t asset, int64_t first, int64_t count, int64_t stride)
{
	struct step *s = grow_one(steps);

	if (!s)
		return TR_ENOMEM;
	memset(s, 0, sizeof(*s));
	s->asset = (uint32_t)asset;
	s->first = first;
	s->count = count;
	s->stride = stride;
	return 0;
}

struct pair {
	int64_t base, r;
};

static int pair_cmp(const void *x, const void *y)
{
	const struct pair *a = x, *b = y;

	if (a->base != b->base)
		return a->base < b->base ? -1 : 1;
	return a->r < b->r ? -1 : a->r > b->r;
}

/* Cuts asset i's keys into steps. */
static int cut_steps(const tr_project *p, struct plan *pl, size_t i, struct grow *steps)
{
	const tr_asset *a = &p->assets[i];
	struct plan_asset *pa = &pl->pa[i];
	int64_t max = a->backfill.kind == TR_POLICY_SINGLE_RUN ? INT64_MAX
		      : a->backfill.max_partitions_per_run > 0 ? a->backfill.max_partitions_per_run
							     : 1;
	struct pair *pairs = NULL;
	size_t n = 0;
	int64_t stride = 1;
	int rc = 0;

	if (!pa->parts || max == 1 || tr_partdef_kind(a->partdef) != TR_PART_MULTI) {
		for (size_t r = 0; r < pa->keys.n && !rc; r++) {
			const tr_range *rg = &pa->keys.ranges[r];

			for (int64_t x = rg->start; x < rg->end && !rc;) {
				int64_t c = rg->end - x < max ? rg->end - x : max;

				rc = add_step(steps, i, x, c, 1);
				x += c;
			}
		}
		return rc;
	}
	/* multi: group the keys by the other dimensions, runs along the run dimension */
	tr_partitions_run_dimension(a->partdef, &pa->run_dim, &stride, pa->parts);
	pa->stride = stride;
	pairs = malloc((size_t)tr_keyset_count(&pa->keys) * sizeof(*pairs) + 1);
	if (!pairs)
		return TR_ENOMEM;
	{
		tr_keyset_iter it;
		int64_t index, dix[16];

		for (tr_keyset_iter_init(&it, &pa->keys); tr_keyset_iter_next(&it, &index);) {
			tr_partitions_split(pa->parts, index, dix);
			pairs[n].r = dix[pa->run_dim];
			pairs[n].base = index - dix[pa->run_dim] * stride;
			n++;
		}
	}
	qsort(pairs, n, sizeof(*pairs), pair_cmp);
	for (size_t k = 0; k < n && !rc;) {
		size_t e = k + 1;

		while (e < n && pairs[e].base == pairs[k].base && pairs[e].r == pairs[e - 1].r + 1 &&
		       (int64_t)(e - k) < max)
			e++;
		rc = add_step(steps, i, pairs[k].base + pairs[k].r * stride, (int64_t)(e - k), stride);
		k = e;
	}
	free(pairs);
	return rc;
}

/* Index -> step lookup for multi assets whose steps are strided (sorted by index). */
struct ks {
	int64_t index;
	uint32_t step;
};

static int ks_cmp(const void *x, const void *y)
{
	const struct ks *a = x, *b = y;

	return a->index < b->index ? -1 : a->index > b->index;
}

static int build_key_index(struct plan *pl, size_t i)
{
	struct plan_asset *pa = &pl->pa[i];
	struct ks *tmp;
	size_t n = 0;

	if (pa->n_steps == 0 || pa->stride == 1)
		return 0;
	tmp = malloc((size_t)tr_keyset_count(&pa->keys) * sizeof(*tmp) + 1);
	if (!tmp)
		return TR_ENOMEM;
	for (size_t s = pa->first_step; s < pa->first_step + pa->n_steps; s++)
		for (int64_t k = 0; k < pl->steps[s].count; k++) {
			tmp[n].index = pl->steps[s].first + k * pl->steps[s].stride;
			tmp[n++].step = (uint32_t)s;
		}
	qsort(tmp, n, sizeof(*tmp), ks_cmp);
	pa->key_index = malloc(n * sizeof(*pa->key_index) + 1);
	pa->key_step = malloc(n * sizeof(*pa->key_step) + 1);
	if (!pa->key_index || !pa->key_step) {
		free(tmp);
		return TR_ENOMEM;
	}
	for (size_t k = 0; k < n; k++) {
		pa->key_index[k] = tmp[k].index;
		pa->key_step[k] = tmp[k].step;
	}
	pa->n_key = n;
	free(tmp);
	return 0;
}

/* Appends to out the steps of asset u that write a partition in [lo, hi). */
static int steps_in(const struct plan *pl, size_t u, int64_t lo, int64_t hi, struct grow *out)
{
	const struct plan_asset *up = &pl->pa[u];

	if (up->key_index) {
		size_t a = 0, b = up->n_key;

		while (a < b) {
			size_t m = (a + b) / 2;

			if (up->key_index[m] < lo)
				a = m + 1;
			else
				b = m;
		}
		for (; a < up->n_key && up->key_index[a] < hi; a++) {
			uint32_t *e = grow_one(out);

			if (!e)
				return TR_ENOMEM;
			*e = up->key_step[a];
		}
		return 0;
	}
	/* contiguous steps sorted by first: the last step starting at or before lo, on */
	{
		size_t a = up->first_step, b = up->first_step + up->n_steps;

		while (a < b) {
			size_t m = (a + b) / 2;

			if (pl->steps[m].first + pl->steps[m].count <= lo)
				a = m + 1;
			else
				b = m;
		}
		for (; a < up->first_step + up->n_steps && pl->steps[a].first < hi; a++) {
			uint32_t *e = grow_one(out);

			if (!e)
				return TR_ENOMEM;
			*e = (uint32_t)a;
		}
	}
	return 0;
}

static int u32_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

struct edge {
	uint32_t up, down;
};

/* Edges into step s from the steps of its upstream assets that it reads. */
static int step_edges(const tr_project *p, struct plan *pl, size_t s, struct grow *edges,
		      struct grow *found, tr_keyset *down_keys, tr_keyset *up_keys, tr_buf *scratch,
		      tr_error *err)
{
	const struct step *st = &pl->steps[s];
	const tr_asset *a = &p->assets[st->asset];
	const struct plan_asset *down = &pl->pa[st->asset];
	int rc = 0;

	found->n = 0;
	for (size_t d = 0; d < a->n_deps && !rc; d++) {
		size_t u = a->deps[d].asset;
		const struct plan_asset *up = &pl->pa[u];

		if (!up->selected || up->n_steps == 0)
			continue;
		if (!up->parts || !down->parts) {
			rc = steps_in(pl, u, INT64_MIN, INT64_MAX, found);
			continue;
		}
		tr_keyset_clear(down_keys);
		for (int64_t k = 0; k < st->count && !rc; k++)
			rc = tr_keyset_add(down_keys, st->first + k * st->stride);
		if (!rc) {
			size_t n_missing = 0;

			tr_buf_reset(scratch);
			rc = tr_mapping_upstream(a->deps[d].mapping, up->parts, down->parts, down_keys,
						 up_keys, scratch, &n_missing, err);
		}
		for (size_t r = 0; r < up_keys->n && !rc; r++)
			rc = steps_in(pl, u, up_keys->ranges[r].start, up_keys->ranges[r].end, found);
	}
	if (rc)
		return rc;
	if (found->n > 1)
		qsort(found->p, found->n, sizeof(uint32_t), u32_cmp);
	for (size_t k = 0; k < found->n; k++) {
		uint32_t up = ((uint32_t *)found->p)[k];
		struct edge *e;

		if (k && up == ((uint32_t *)found->p)[k - 1])
			continue;
		if (!(e = grow_one(edges)))
			return TR_ENOMEM;
		e->up = up;
		e->down = (uint32_t)s;
		pl->steps[s].waiting++;
	}
	return 0;
}

int plan_steps(const tr_project *p, struct plan *pl, tr_error *err)
{
	struct grow steps = {NULL, 0, 0, sizeof(struct step)};
	struct grow edges = {NULL, 0, 0, sizeof(struct edge)};
	struct grow found = {NULL, 0, 0, sizeof(uint32_t)};
	tr_keyset down_keys, up_keys;
	tr_buf scratch = TR_BUF_INIT;
	int rc = 0;

	tr_keyset_init(&down_keys);
	tr_keyset_init(&up_keys);
	for (size_t k = 0; k < p->n_assets && !rc; k++) {
		size_t i = p->order[k];
		struct plan_asset *pa = &pl->pa[i];

		if (!pa->selected)
			continue;
		pa->first_step = steps.n;
		pa->stride = 1;
		rc = cut_steps(p, pl, i, &steps);
		pa->n_steps = steps.n - pa->first_step;
		pl->partitions += tr_keyset_count(&pa->keys);
		if (pa->parts)
			pl->partitioned_partitions += tr_keyset_count(&pa->keys);
	}
	pl->steps = steps.p;
	pl->n_steps = steps.n;
	if (!rc && pl->n_steps >= UINT32_MAX)
		return tr_error_set(err, TR_EINVAL, "%zu steps is more than tranche can plan at once: "
						    "pick fewer partitions", pl->n_steps);
	for (size_t i = 0; i < p->n_assets && !rc; i++)
		rc = build_key_index(pl, i);
	for (size_t s = 0; s < pl->n_steps && !rc; s++)
		rc = step_edges(p, pl, s, &edges, &found, &down_keys, &up_keys, &scratch, err);
	/* CSR by upstream step */
	if (!rc) {
		pl->down_start = calloc(pl->n_steps + 1, sizeof(*pl->down_start));
		pl->down = malloc(edges.n * sizeof(*pl->down) + 1);
		if (!pl->down_start || !pl->down)
			rc = TR_ENOMEM;
	}
	if (!rc) {
		const struct edge *e = edges.p;
		uint32_t *fill;

		for (size_t k = 0; k < edges.n; k++)
			pl->down_start[e[k].up + 1]++;
		for (size_t s = 0; s < pl->n_steps; s++)
			pl->down_start[s + 1] += pl->down_start[s];
		fill = calloc(pl->n_steps + 1, sizeof(*fill));
		if (!fill)
			rc = TR_ENOMEM;
		for (size_t k = 0; !rc && k < edges.n; k++)
			pl->down[pl->down_start[e[k].up] + fill[e[k].up]++] = e[k].down;
		free(fill);
	}
	if (rc == TR_ENOMEM && !(err && err->code))
		tr_error_set(err, TR_ENOMEM, "out of memory planning %zu steps", pl->n_steps);
	free(edges.p);
	free(found.p);
	tr_buf_release(&scratch);
	tr_keyset_release(&down_keys);
	tr_keyset_release(&up_keys);
	return rc;
}

void plan_release(const tr_project *p, struct plan *pl)
{
	for (size_t i = 0; pl->pa && i < p->n_assets; i++) {
		struct plan_asset *pa = &pl->pa[i];

		tr_partitions_free(pa->parts);
		tr_keyset_release(&pa->keys);
		tr_keyset_release(&pa->done);
		tr_keyset_release(&pa->failed);
		tr_keyset_release(&pa->skipped);
		tr_keyset_release(&pa->prev_done);
		free(pa->key_index);
		free(pa->key_step);
	}
	for (size_t s = 0; s < pl->n_steps; s++) {
		batch_release(&pl->steps[s].events);
		free(pl->steps[s].error);
	}
	free(pl->pa);
	free(pl->selection);
	free(pl->pick);
	free(pl->steps);
	free(pl->down_start);
	free(pl->down);
	memset(pl, 0, sizeof(*pl));
}

/* ---- summary and dry run ------------------------------------------------------------- */

int plan_summary(const tr_project *p, const struct plan *pl, tr_run_report *report, tr_error *err)
{
	size_t n = 0;

	report->plan = calloc(p->n_assets ? p->n_assets : 1, sizeof(*report->plan));
	if (!report->plan)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	for (size_t k = 0; k < p->n_assets; k++) {
		size_t i = p->order[k];
		const struct plan_asset *pa = &pl->pa[i];
		const tr_asset *a = &p->assets[i];
		tr_plan_asset *out;
		tr_buf ranges = TR_BUF_INIT;

		if (!pa->selected || pa->n_steps == 0)
			continue;
		out = &report->plan[n++];
		out->asset = a->name;
		out->partitions = tr_keyset_count(&pa->keys);
		out->steps = (int64_t)pa->n_steps;
		out->policy = a->backfill.kind == TR_POLICY_SINGLE_RUN ? "single_run" : "multi_run";
		out->max_per_step =
			a->backfill.kind == TR_POLICY_SINGLE_RUN ? 0 : a->backfill.max_partitions_per_run;
		if (pa->parts) {
			int rc = tr_partitions_keyset_to_ranges(pa->parts, &pa->keys, &ranges, err);

			if (rc) {
				tr_buf_release(&ranges);
				report->n_plan = n;
				return rc;
			}
			/* without the last newline */
			if (ranges.len && tr_buf_str(&ranges)[ranges.len - 1] == '\n')
				tr_buf_truncate(&ranges, ranges.len - 1);
		}
		out->ranges = tr_buf_failed(&ranges) ? NULL : tr_buf_detach(&ranges, NULL);
		if (!out->ranges && !(out->ranges = strdup(""))) {
			report->n_plan = n;
			return tr_error_set(err, TR_ENOMEM, "out of memory");
		}
	}
	report->n_plan = n;
	return 0;
}

void exec_param_text(tr_buf *out, const tr_param *prm)
{
	switch (prm->type) {
	case TR_PARAM_TEXT:
		tr_buf_addc(out, '\'');
		for (const char *c = prm->text; *c; c++) {
			if (*c == '\'')
				tr_buf_addc(out, '\''); /* SQL's doubling, for display only */
			tr_buf_addc(out, *c);
		}
		tr_buf_addc(out, '\'');
		break;
	case TR_PARAM_TIMESTAMP: {
		time_t t = (time_t)(prm->value / 1000000);
		struct tm tm;
		char s[40];

		gmtime_r(&t, &tm);
		strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S", &tm);
		tr_buf_addf(out, "TIMESTAMP '%s'", s);
		break;
	}
	case TR_PARAM_BIGINT:
		tr_buf_addf(out, "%lld", (long long)prm->value);
		break;
	case TR_PARAM_TEXT_LIST:
		tr_buf_addc(out, '[');
		for (size_t k = 0; k < prm->list_len; k++) {
			tr_param one = {0};

			one.type = TR_PARAM_TEXT;
			one.text = prm->list[k];
			if (k)
				tr_buf_adds(out, ", ");
			exec_param_text(out, &one);
		}
		tr_buf_addc(out, ']');
		break;
	}
}


#define DETAIL_ALL 50 /* show every step's parameters up to this many steps */
#define DETAIL_EACH 3 /* else the first few of each asset */

int plan_describe(const tr_project *p, const struct plan *pl, tr_buf *out, tr_error *err)
{
	size_t n_assets = 0;
	int rc = 0;

	for (size_t i = 0; i < p->n_assets; i++)
		n_assets += pl->pa[i].selected && pl->pa[i].n_steps;
	tr_buf_addf(out, "plan: %zu step%s, %lld partition%s of %zu asset%s (dry run: nothing is written)\n",
		    pl->n_steps, pl->n_steps == 1 ? "" : "s", (long long)pl->partitions,
		    pl->partitions == 1 ? "" : "s", n_assets, n_assets == 1 ? "" : "s");
	for (size_t k = 0; k < p->n_assets && !rc; k++) {
		size_t i = p->order[k];
		const struct plan_asset *pa = &pl->pa[i];
		const tr_asset *a = &p->assets[i];
		size_t shown = 0;

		if (!pa->selected || pa->n_steps == 0)
			continue;
		for (size_t s = pa->first_step; s < pa->first_step + pa->n_steps && !rc; s++) {
			const struct step *st = &pl->steps[s];
			tr_partition_params pp;

			if (pl->n_steps > DETAIL_ALL && shown == DETAIL_EACH) {
				tr_buf_addf(out, "... %zu more step%s of %s\n", pa->n_steps - shown,
					    pa->n_steps - shown == 1 ? "" : "s", a->name);
				break;
			}
			shown++;
			rc = tr_partition_params_make_range(p, i, pa->parts, st->first, st->count,
							    st->stride, &pp, err);
			if (rc)
				break;
			tr_buf_addf(out, "%s%s%s", a->name, pp.key[0] ? " " : "", pp.key);
			if (st->count > 1)
				tr_buf_addf(out, " (%lld partitions, one step)", (long long)st->count);
			tr_buf_addc(out, '\n');
			for (size_t n = 0; n < pp.n; n++) {
				tr_buf_addf(out, "  $%-28s = ", pp.params[n].name);
				if (pp.params[n].type == TR_PARAM_TEXT_LIST && pp.params[n].list_len > 6) {
					tr_param head = pp.params[n];

					head.list_len = 3;
					exec_param_text(out, &head);
					tr_buf_addf(out, " ... (%zu keys)", pp.params[n].list_len);
				} else {
					exec_param_text(out, &pp.params[n]);
				}
				tr_buf_addc(out, '\n');
			}
			if (pp.slice)
				tr_buf_addf(out, "  slice: %s\n", pp.slice);
			if (a->kind == TR_ASSET_HTTP)
				http_describe(a, &pp, out);
			tr_partition_params_release(&pp);
		}
	}
	if (!rc && tr_buf_failed(out))
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
	return rc;
}
