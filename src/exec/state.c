/*
 * state.c — the state of an asset's partitions (materialized, failed, in
 * progress, missing) from instance storage.
 *
 * A partitioned asset's state is never read row by row: instance storage
 * keeps, per asset, a summary — its key sets by status, encoded here — tagged
 * with the partitions definition it indexes and current to a point of the
 * status change sequence (tranche/storage.h). A question reads the summary,
 * applies the status rows changed since (a handful, through an index), and
 * answers; when many changes were applied it stores the summary again, so
 * that the next question applies few. Without a summary (first question,
 * definition changed) every row is a change: the cold path, as slow as
 * reading every row and no slower.
 *
 * Invariants of a summary: its three sets are disjoint and hold the index of
 * every status row, of that status, whose key the tagged definition indexes
 * — for time definitions also keys outside [0, count) (they may exist later:
 * the count grows with `now`), which is why a time tag names only what fixes
 * key <-> index (type, cron, timezone, format, the first window), not the
 * count. Static and dynamic tags hash every key; multi tags hold each
 * dimension's tag and count (the count fixes a multi index). A tag changes
 * whenever the indexing does, so a summary is never read with another one.
 *
 * Writing the summary back is a cache write: it fails quietly (storage busy
 * or read-only) and the answer stands. Callers: the CLI (status, partitions
 * listings), the planner (--missing, --failed), the server.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tranche/exec.h"

/* The summary is written back when at least this many changes were applied. */
#define SUMMARY_REWRITE_CHANGES 256
/* Changes the encoding of blobs or tags: bump it to make old summaries unused. */
#define SUMMARY_FORMAT "state-v1"
#define SUMMARY_MAGIC "TRS1"
#define SUMMARY_SETS 3 /* materialized, failed, in_progress */

/* ---- the tag ---- */

static void add_field(tr_buf *out, const char *s)
{
	if (!s)
		s = "";
	tr_buf_addf(out, "%zu:%s;", strlen(s), s); /* length-prefixed: any text is safe */
}

/* FNV-1a, 64 bits: keys -> one number; the tag also holds the count. */
static uint64_t hash_bytes(uint64_t h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Appends the tag of parts to out (tr_buf's sticky error). */
static int add_tag(const tr_partitions *parts, tr_buf *out, tr_error *err)
{
	const tr_partdef *def = tr_partitions_def(parts);
	int64_t count = tr_partitions_count(parts);
	int rc = 0;

	add_field(out, tr_partdef_type_name(def));
	switch (tr_partdef_kind(def)) {
	case TR_PART_TIME: {
		int64_t start = 0, end = 0;

		/* Index 0's window fixes the alignment: start, cron and zone together. */
		if ((rc = tr_partitions_window(parts, 0, &start, &end, err)) != 0)
			return rc;
		add_field(out, tr_partdef_cron(def));
		add_field(out, tr_partdef_timezone(def));
		add_field(out, tr_partdef_fmt(def));
		tr_buf_addf(out, "%lld;", (long long)start);
		return 0;
	}
	case TR_PART_STATIC:
	case TR_PART_DYNAMIC: {
		uint64_t h = 0xcbf29ce484222325ULL;
		tr_buf key = TR_BUF_INIT;

		if (tr_partdef_kind(def) == TR_PART_DYNAMIC)
			add_field(out, tr_partdef_dynamic_name(def));
		for (int64_t i = 0; i < count && rc == 0; i++) {
			tr_buf_reset(&key);
			rc = tr_partitions_key(parts, i, &key, err);
			h = hash_bytes(h, tr_buf_str(&key), key.len + 1); /* with the NUL */
		}
		tr_buf_release(&key);
		tr_buf_addf(out, "%lld;%016llx;", (long long)count, (unsigned long long)h);
		return rc;
	}
	case TR_PART_MULTI:
		for (size_t i = 0; i < tr_partdef_dimension_count(def) && rc == 0; i++) {
			const tr_partitions *dim = tr_partitions_dimension(parts, i);

			add_field(out, tr_partdef_dimension_name(def, i));
			tr_buf_addc(out, '(');
			rc = add_tag(dim, out, err);
			tr_buf_addf(out, "%lld);", (long long)tr_partitions_count(dim));
		}
		return rc;
	}
	return tr_error_set(err, TR_EINTERNAL, "unknown partitions kind");
}

/* ---- the blob: three key sets, as little-endian int64 ---- */

static void put_i64(tr_buf *b, int64_t v)
{
	unsigned char bytes[8];
	uint64_t u = (uint64_t)v;

	for (int i = 0; i < 8; i++)
		bytes[i] = (unsigned char)(u >> (8 * i));
	tr_buf_add(b, bytes, sizeof(bytes));
}

static int64_t get_i64(const unsigned char *p)
{
	uint64_t u = 0;

	for (int i = 7; i >= 0; i--)
		u = (u << 8) | p[i];
	return (int64_t)u;
}

/*
 * A blob: magic, n_head int64 header values, then n_sets key sets (a count
 * of ranges, then start and end of each).
 */
static void encode_sets(const char *magic, const int64_t *head, size_t n_head,
			tr_keyset *const *sets, int n_sets, tr_buf *out)
{
	tr_buf_add(out, magic, 4);
	for (size_t h = 0; h < n_head; h++)
		put_i64(out, head[h]);
	for (int k = 0; k < n_sets; k++) {
		put_i64(out, (int64_t)sets[k]->n);
		for (size_t r = 0; r < sets[k]->n; r++) {
			put_i64(out, sets[k]->ranges[r].start);
			put_i64(out, sets[k]->ranges[r].end);
		}
	}
}

/*
 * Decodes a blob into head and the (empty) sets. TR_EINVAL for a blob that is
 * not well-formed with this magic and these sizes (then it is not used: the
 * sets are emptied).
 */
static int decode_sets(const unsigned char *p, size_t len, const char *magic, int64_t *head,
		       size_t n_head, tr_keyset *const *sets, int n_sets)
{
	size_t at = 4 + 8 * n_head;
	int rc = 0;

	if (len < at || memcmp(p, magic, 4) != 0)
		return TR_EINVAL;
	for (size_t h = 0; h < n_head; h++)
		head[h] = get_i64(p + 4 + 8 * h);
	for (int k = 0; k < n_sets && rc == 0; k++) {
		int64_t n = 0, prev_end = INT64_MIN;

		if (len - at < 8 || (n = get_i64(p + at)) < 0 || (uint64_t)n > (len - at - 8) / 16) {
			rc = TR_EINVAL;
			break;
		}
		at += 8;
		for (int64_t r = 0; r < n && rc == 0; r++, at += 16) {
			int64_t start = get_i64(p + at), end = get_i64(p + at + 8);

			if (start >= end || start < prev_end)
				rc = TR_EINVAL;
			else
				rc = tr_keyset_add_range(sets[k], start, end);
			prev_end = end;
		}
	}
	if (rc == 0 && at != len)
		rc = TR_EINVAL;
	if (rc)
		for (int k = 0; k < n_sets; k++)
			tr_keyset_clear(sets[k]);
	return rc;
}

/* ---- applying changes ---- */

/* A growing array of indexes. */
struct index_list {
	int64_t *items;
	size_t n, cap;
};

static int index_list_add(struct index_list *l, int64_t index)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		int64_t *items = realloc(l->items, cap * sizeof(*items));

		if (!items)
			return TR_ENOMEM;
		l->items = items;
		l->cap = cap;
	}
	l->items[l->n++] = index;
	return 0;
}

static int compare_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The list as a key set (sorted first unless it already is: time keys come in order). */
static int index_list_to_keyset(struct index_list *l, tr_keyset *out)
{
	int rc = 0;

	for (size_t i = 1; i < l->n; i++)
		if (l->items[i] < l->items[i - 1]) {
			qsort(l->items, l->n, sizeof(*l->items), compare_i64);
			break;
		}
	tr_keyset_clear(out);
	for (size_t i = 0; i < l->n && rc == 0; i++)
		rc = tr_keyset_add(out, l->items[i]);
	return rc;
}

/*
 * The index of key in parts, into *index: 1, or 0 when the definition does
 * not index it (a key of another definition). A time key outside the
 * partitions that exist now still has its index (see the top of the file).
 */
static int key_index(const tr_partitions *parts, const char *key, int64_t *index)
{
	int rc = tr_partitions_index(parts, key, index, NULL);

	return rc == 0 ||
	       (rc == TR_ERANGE && tr_partdef_kind(tr_partitions_def(parts)) == TR_PART_TIME);
}

/*
 * Applies status rows (sorted by partition; status NULL: removed) to the
 * summary's sets: each changed index leaves every set, then joins its status's.
 */
static int apply_changes(const tr_partitions *parts, const tr_pstatus *rows, size_t n,
			 tr_keyset *const sets[SUMMARY_SETS])
{
	static const char *const statuses[SUMMARY_SETS] = {"materialized", "failed", "in_progress"};
	struct index_list changed = {0}, added[SUMMARY_SETS] = {{0}};
	tr_keyset changed_set = TR_KEYSET_INIT, add_set = TR_KEYSET_INIT, tmp = TR_KEYSET_INIT;
	int rc = 0;

	for (size_t r = 0; r < n && rc == 0; r++) {
		int64_t index = 0;

		if (!key_index(parts, rows[r].partition, &index))
			continue;
		rc = index_list_add(&changed, index);
		for (int k = 0; k < SUMMARY_SETS && rc == 0 && rows[r].status; k++)
			if (strcmp(rows[r].status, statuses[k]) == 0)
				rc = index_list_add(&added[k], index);
	}
	if (rc == 0 && changed.n > 0)
		rc = index_list_to_keyset(&changed, &changed_set);
	for (int k = 0; k < SUMMARY_SETS && rc == 0 && changed.n > 0; k++) {
		rc = tr_keyset_difference(&tmp, sets[k], &changed_set);
		if (rc == 0 && added[k].n > 0) {
			rc = index_list_to_keyset(&added[k], &add_set);
			if (rc == 0)
				rc = tr_keyset_union(sets[k], &tmp, &add_set);
		} else if (rc == 0) {
			rc = tr_keyset_copy(sets[k], &tmp);
		}
	}
	free(changed.items);
	for (int k = 0; k < SUMMARY_SETS; k++)
		free(added[k].items);
	tr_keyset_release(&changed_set);
	tr_keyset_release(&add_set);
	tr_keyset_release(&tmp);
	return rc;
}

/*
 * A summary to write back once the read snapshot is over: a cache write
 * inside it would have to turn it into a write transaction.
 */
struct pending {
	tr_buf key, tag, blob;
	int64_t seq;
	int want;
};

#define PENDING_INIT {TR_BUF_INIT, TR_BUF_INIT, TR_BUF_INIT, 0, 0}

static void pending_release(struct pending *w)
{
	tr_buf_release(&w->key);
	tr_buf_release(&w->tag);
	tr_buf_release(&w->blob);
}

/* Writes w back if wanted; a failure is ignored (a cache). */
static void pending_store(tr_storage *st, struct pending *w)
{
	tr_error ignored = {0};

	if (w->want && !tr_buf_failed(&w->key) && !tr_buf_failed(&w->tag) &&
	    !tr_buf_failed(&w->blob))
		tr_storage_summary_put(st, tr_buf_str(&w->key), tr_buf_str(&w->tag), w->blob.data,
				       w->blob.len, w->seq, &ignored);
}

/*
 * The summarized sets of a partitioned asset, current as of now: the stored
 * summary (if it has parts' tag) with the changes since applied. When many
 * were, w is the summary to store.
 */
static int summarized_sets(tr_storage *st, const char *asset, const tr_partitions *parts,
			   tr_keyset *const sets[SUMMARY_SETS], struct pending *w, tr_error *err)
{
	tr_pstatus *rows = NULL;
	void *blob = NULL;
	size_t len = 0, n = 0;
	int64_t seq = 0, now_seq = 0;
	int rc = 0;

	tr_buf_adds(&w->key, asset);
	tr_buf_adds(&w->tag, SUMMARY_FORMAT " ");
	if ((rc = add_tag(parts, &w->tag, err)) != 0)
		goto out;
	if (tr_buf_failed(&w->tag)) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = tr_storage_summary_get(st, asset, tr_buf_str(&w->tag), &blob, &len, &seq, err)))
		goto out;
	if (blob && decode_sets(blob, len, SUMMARY_MAGIC, NULL, 0, sets, SUMMARY_SETS) != 0)
		seq = 0; /* not one of ours: start over */
	if ((rc = tr_storage_status_changes(st, asset, seq, &rows, &n, &now_seq, err)) != 0)
		goto out;
	if ((rc = apply_changes(parts, rows, n, sets)) != 0) {
		rc = tr_error_set(err, rc, "out of memory reading the state of %s", asset);
		goto out;
	}
	if (n >= SUMMARY_REWRITE_CHANGES) {
		encode_sets(SUMMARY_MAGIC, NULL, 0, sets, SUMMARY_SETS, &w->blob);
		w->seq = now_seq;
		w->want = 1;
	}
out:
	free(blob);
	tr_pstatus_free(rows, n);
	return rc;
}

/* An unpartitioned asset: its one row, keyed "" (rows of other keys are from when it was partitioned). */
static int unpartitioned_sets(tr_storage *st, const char *asset,
			      tr_keyset *const sets[SUMMARY_SETS], tr_error *err)
{
	tr_pstatus *rows = NULL;
	size_t n = 0;
	int rc = tr_storage_partition_status(st, asset, &rows, &n, err);

	for (size_t r = 0; r < n && rc == 0; r++) {
		if (rows[r].partition[0])
			continue;
		if (!strcmp(rows[r].status, "materialized"))
			rc = tr_keyset_add(sets[0], 0);
		else if (!strcmp(rows[r].status, "failed"))
			rc = tr_keyset_add(sets[1], 0);
		else if (!strcmp(rows[r].status, "in_progress"))
			rc = tr_keyset_add(sets[2], 0);
	}
	tr_pstatus_free(rows, n);
	return rc;
}

/* ---- staleness ------------------------------------------------------------------------
 *
 * A materialized partition is stale when a partition it reads (through one of
 * its dependencies' mappings) was materialized after it: when the latest
 * materialization of that upstream partition has a greater event id than its
 * own (event ids grow in commit order). Only partitions materialized now are
 * stale; a failed or running attempt does not change what a partition's
 * latest materialization read.
 *
 * Kept incrementally, like the state. The cache "stale:NAME" holds T, the
 * keys whose latest materialization is older than that of a partition they
 * read (whatever their status now); E, the greatest materialization id seen;
 * and the change-sequence position of the asset and of each upstream asset.
 * The changes since, read in the same snapshot as the state, are applied so:
 *  - a key of the asset materialized anew (id > E) leaves T and is compared
 *    with the new upstream materializations it reads: older ones are <= E,
 *    below its own id. A key never materialized, or wiped, leaves T.
 *  - a new upstream materialization (id > E) puts in T every key that reads
 *    it and was not materialized anew: their ids are <= E.
 *  - ids <= E were seen before (a running attempt put back, a failure after
 *    a materialization): nothing changes.
 * From no cache (E = 0) every row is a change, and the same rules compute T
 * from scratch. A wiped upstream partition leaves its readers as they are:
 * stale stays stale until rematerialized. The tag holds the asset's
 * definition and each dependency's name, mapping and definition: a change of
 * any starts over.
 */
#define STALE_FORMAT "stale-v1"
#define STALE_MAGIC "TRT1"

/* A key's latest materialization: its index and event id. */
struct mat {
	int64_t index, id;
};

static int compare_mat(const void *a, const void *b)
{
	const struct mat *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

/* The index of a status row's key (parts NULL: unpartitioned: only "" is, as 0): 1, or 0. */
static int row_index(const tr_partitions *parts, const tr_pstatus *row, int64_t *index)
{
	*index = 0;
	return parts ? key_index(parts, row->partition, index) : row->partition[0] == '\0';
}

/* The materializations of rows with id > e, sorted by index, into a new array. */
static int new_mats(const tr_partitions *parts, const tr_pstatus *rows, size_t n, int64_t e,
		    struct mat **out, size_t *n_out)
{
	struct mat *m = NULL;
	size_t k = 0;

	*out = NULL;
	*n_out = 0;
	if (n == 0)
		return 0;
	if (!(m = malloc(n * sizeof(*m))))
		return TR_ENOMEM;
	for (size_t r = 0; r < n; r++) {
		int64_t index = 0;

		if (rows[r].materialization_id > e && row_index(parts, &rows[r], &index)) {
			m[k].index = index;
			m[k++].id = rows[r].materialization_id;
		}
	}
	for (size_t r = 1; r < k; r++)
		if (m[r].index < m[r - 1].index) {
			qsort(m, k, sizeof(*m), compare_mat);
			break;
		}
	*out = m;
	*n_out = k;
	return 0;
}

/* The greatest id of m (sorted by index) with an index in [start, end); 0 if none. */
static int64_t mats_max(const struct mat *m, size_t n, int64_t start, int64_t end)
{
	size_t lo = 0, hi = n;
	int64_t best = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m[mid].index < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && m[lo].index < end; lo++)
		if (m[lo].id > best)
			best = m[lo].id;
	return best;
}

/* One dependency while its changes are applied. */
struct stale_dep {
	const tr_asset_dep *dep;
	tr_partitions *parts; /* NULL: unpartitioned */
	int identity;         /* the identity mapping between two equal indexings */
	tr_pstatus *rows;     /* its changes */
	size_t n_rows;
};

/* The keys of m as a key set, within [0, count). */
static int mats_keyset(const struct mat *m, size_t n, int64_t count, tr_keyset *out)
{
	int rc = 0;

	tr_keyset_clear(out);
	for (size_t k = 0; k < n && rc == 0; k++)
		if (m[k].index >= 0 && m[k].index < count)
			rc = tr_keyset_add(out, m[k].index);
	return rc;
}

/* The keys of the asset (parts; total) that read any of the upstream keys m (of d). */
static int readers(const struct stale_dep *d, const tr_partitions *parts, int64_t total,
		   const struct mat *m, size_t n, tr_keyset *down, tr_error *err)
{
	tr_keyset q = TR_KEYSET_INIT;
	int rc = 0;

	tr_keyset_clear(down);
	if (!parts) {
		rc = tr_keyset_add(down, 0);
	} else if (!d->parts) {
		rc = tr_keyset_add_range(down, 0, total);
	} else if ((rc = mats_keyset(m, n, tr_partitions_count(d->parts), &q)) == 0) {
		rc = tr_mapping_downstream(d->dep->mapping, d->parts, parts, &q, down, err);
		tr_keyset_clip(down, 0, total);
	}
	tr_keyset_release(&q);
	return rc;
}

/*
 * Applies one dependency's new materializations (mats, id > E) to t: its
 * readers not materialized anew join t; each reader materialized anew
 * (cands, sorted, their keys `fresh`) joins when one of the new
 * materializations it reads is newer than its own.
 */
static int apply_upstream(const struct stale_dep *d, const tr_partitions *parts, int64_t total,
			  const struct mat *mats, size_t n_mats, const struct mat *cands,
			  size_t n_cands, const tr_keyset *fresh, tr_keyset *t, tr_error *err)
{
	tr_keyset q = TR_KEYSET_INIT, down = TR_KEYSET_INIT, tmp = TR_KEYSET_INIT;
	tr_keyset one = TR_KEYSET_INIT, ups = TR_KEYSET_INIT;
	struct index_list joined = {0};
	tr_buf scratch = TR_BUF_INIT;
	int64_t all_max = 0;
	int rc = 0;

	for (size_t k = 0; k < n_mats; k++)
		if (mats[k].id > all_max)
			all_max = mats[k].id;
	rc = readers(d, parts, total, mats, n_mats, &down, err);
	if (rc == 0)
		rc = tr_keyset_difference(&tmp, &down, fresh);
	if (rc == 0)
		rc = tr_keyset_union(&q, t, &tmp);
	if (rc == 0)
		rc = tr_keyset_copy(t, &q);
	for (size_t c = 0; c < n_cands && rc == 0; c++) {
		int64_t up_max = 0;

		if (!tr_keyset_contains(&down, cands[c].index))
			continue;
		if (!parts || !d->parts) {
			up_max = all_max; /* every new one is read */
		} else if (d->identity) {
			up_max = mats_max(mats, n_mats, cands[c].index, cands[c].index + 1);
		} else {
			tr_keyset_clear(&one);
			tr_buf_reset(&scratch);
			if ((rc = tr_keyset_add(&one, cands[c].index)) != 0 ||
			    (rc = tr_mapping_upstream(d->dep->mapping, d->parts, parts, &one, &ups,
						      &scratch, NULL, err)) != 0)
				break;
			for (size_t r = 0; r < ups.n; r++) {
				int64_t m = mats_max(mats, n_mats, ups.ranges[r].start,
						     ups.ranges[r].end);

				if (m > up_max)
					up_max = m;
			}
		}
		if (up_max > cands[c].id)
			rc = index_list_add(&joined, cands[c].index);
	}
	if (rc == 0 && joined.n > 0 && (rc = index_list_to_keyset(&joined, &tmp)) == 0 &&
	    (rc = tr_keyset_union(&q, t, &tmp)) == 0)
		rc = tr_keyset_copy(t, &q);
	free(joined.items);
	tr_keyset_release(&q);
	tr_keyset_release(&down);
	tr_keyset_release(&tmp);
	tr_keyset_release(&one);
	tr_keyset_release(&ups);
	tr_buf_release(&scratch);
	return rc;
}

/*
 * Applies the asset's own changes to t: the keys materialized anew (id > e)
 * into *cands (sorted) and `fresh`; they and the keys without a
 * materialization leave t. *max_id: the greatest id among the rows.
 */
static int apply_own(const tr_partitions *parts, const tr_pstatus *rows, size_t n, int64_t e,
		     tr_keyset *t, struct mat **cands, size_t *n_cands, tr_keyset *fresh,
		     int64_t *max_id)
{
	struct index_list left = {0};
	tr_keyset leaving = TR_KEYSET_INIT, tmp = TR_KEYSET_INIT;
	int rc = new_mats(parts, rows, n, e, cands, n_cands);

	for (size_t r = 0; r < n && rc == 0; r++) {
		int64_t index = 0, id = rows[r].materialization_id;

		if (id > *max_id)
			*max_id = id;
		if ((id == 0 || id > e) && row_index(parts, &rows[r], &index))
			rc = index_list_add(&left, index);
	}
	if (rc == 0 && left.n > 0 && (rc = index_list_to_keyset(&left, &leaving)) == 0 &&
	    (rc = tr_keyset_difference(&tmp, t, &leaving)) == 0)
		rc = tr_keyset_copy(t, &tmp);
	if (rc == 0)
		rc = mats_keyset(*cands, *n_cands, INT64_MAX, fresh);
	free(left.items);
	tr_keyset_release(&leaving);
	tr_keyset_release(&tmp);
	return rc;
}

/*
 * 1 in *hit when a partition of d was removed (wiped; a first attempt put
 * back) and one of its readers is in t: what it read changed otherwise than by
 * a newer materialization, and only reading every row again tells.
 */
static int removal_hits(const struct stale_dep *d, const tr_partitions *parts, int64_t total,
			const tr_keyset *t, int *hit, tr_error *err)
{
	struct mat *gone = NULL;
	size_t n = 0;
	tr_keyset down = TR_KEYSET_INIT, both = TR_KEYSET_INIT;
	int rc = 0;

	*hit = 0;
	if (tr_keyset_is_empty(t))
		return 0;
	for (size_t r = 0; r < d->n_rows; r++)
		n += d->rows[r].status == NULL;
	if (n == 0)
		return 0;
	if (!(gone = malloc(n * sizeof(*gone))))
		return TR_ENOMEM;
	n = 0;
	for (size_t r = 0; r < d->n_rows; r++)
		if (!d->rows[r].status && row_index(d->parts, &d->rows[r], &gone[n].index))
			gone[n++].id = 0;
	qsort(gone, n, sizeof(*gone), compare_mat);
	if ((rc = readers(d, parts, total, gone, n, &down, err)) == 0 &&
	    (rc = tr_keyset_intersect(&both, &down, t)) == 0)
		*hit = !tr_keyset_is_empty(&both);
	free(gone);
	tr_keyset_release(&down);
	tr_keyset_release(&both);
	return rc;
}

/* Appends the tag of a dependency's side (parts NULL: unpartitioned). */
static int add_side_tag(const tr_partitions *parts, tr_buf *out, tr_error *err)
{
	if (!parts) {
		add_field(out, "unpartitioned");
		return 0;
	}
	return add_tag(parts, out, err);
}

/*
 * The stale keys of asset i (a subset of materialized) into *stale; w: the
 * cache to store when many changes were applied. Reads inside the caller's
 * snapshot.
 */
static int stale_set(const tr_project *p, tr_storage *st, size_t i, const tr_partitions *parts,
		     const tr_keyset *materialized, tr_keyset *stale, struct pending *w,
		     tr_error *err)
{
	const tr_asset *a = &p->assets[i];
	size_t nd = a->n_deps, n_head = nd + 2, changes = 0, n_rows = 0, n_cands = 0, n_mats = 0;
	int64_t total = parts ? tr_partitions_count(parts) : 1;
	int64_t now = parts ? tr_partitions_now(parts) : (int64_t)time(NULL);
	tr_keyset t = TR_KEYSET_INIT, fresh = TR_KEYSET_INIT;
	struct stale_dep *deps = NULL;
	struct mat *cands = NULL, *mats = NULL;
	tr_pstatus *rows = NULL;
	tr_buf own = TR_BUF_INIT, side = TR_BUF_INIT;
	int64_t *head = NULL, e = 0, max_id = 0, seq = 0; /* head: E, the asset's position, each dep's */
	void *blob = NULL;
	size_t len = 0;
	int rc = 0;

	tr_keyset_clear(stale);
	if (nd == 0)
		return 0;
	if (!(deps = calloc(nd, sizeof(*deps))) || !(head = calloc(n_head, sizeof(*head)))) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	/* the tag: the asset's indexing, then each dependency's name, mapping, indexing */
	if ((rc = add_side_tag(parts, &own, err)) != 0)
		goto out;
	tr_buf_adds(&w->tag, STALE_FORMAT " ");
	tr_buf_add(&w->tag, own.data, own.len);
	for (size_t d = 0; d < nd && rc == 0; d++) {
		const tr_asset_dep *dep = &a->deps[d];

		deps[d].dep = dep;
		if ((rc = tr_asset_partitions(p, st, dep->asset, now, &deps[d].parts, err)) != 0)
			break;
		tr_buf_reset(&side);
		if ((rc = add_side_tag(deps[d].parts, &side, err)) != 0)
			break;
		tr_buf_adds(&w->tag, "<-");
		add_field(&w->tag, p->assets[dep->asset].name);
		tr_mapping_describe(dep->mapping, &w->tag);
		tr_buf_add(&w->tag, side.data, side.len);
		deps[d].identity = parts && deps[d].parts &&
				   !strcmp(tr_mapping_type_name(dep->mapping), "identity") &&
				   side.len == own.len && !memcmp(side.data, own.data, own.len);
	}
	tr_buf_adds(&w->key, "stale:");
	tr_buf_adds(&w->key, a->name);
	if (rc == 0 && (tr_buf_failed(&w->tag) || tr_buf_failed(&w->key)))
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
	if (rc || (rc = tr_storage_summary_get(st, tr_buf_str(&w->key), tr_buf_str(&w->tag), &blob,
					       &len, &seq, err)) != 0)
		goto out;
	if (blob && decode_sets(blob, len, STALE_MAGIC, head, n_head, (tr_keyset *[]){&t}, 1) != 0)
		memset(head, 0, n_head * sizeof(*head)); /* not one of ours: start over */
	/* the dependencies' changes; a removal that matters: start over */
	for (int cold = 0; cold < 2; cold++) {
		int hit = 0;

		for (size_t d = 0; d < nd; d++) {
			const char *up = p->assets[deps[d].dep->asset].name;

			tr_pstatus_free(deps[d].rows, deps[d].n_rows);
			deps[d].rows = NULL;
			deps[d].n_rows = 0;
			if ((rc = tr_storage_status_changes(st, up, head[2 + d], &deps[d].rows,
							    &deps[d].n_rows, &head[2 + d], err)) ||
			    (!hit && (rc = removal_hits(&deps[d], parts, total, &t, &hit, err))))
				goto out;
		}
		if (!hit)
			break;
		memset(head, 0, n_head * sizeof(*head));
		tr_keyset_clear(&t);
	}
	e = max_id = head[0];

	/* the asset's own changes */
	if ((rc = tr_storage_status_changes(st, a->name, head[1], &rows, &n_rows, &head[1], err)))
		goto out;
	changes += n_rows;
	if ((rc = apply_own(parts, rows, n_rows, e, &t, &cands, &n_cands, &fresh, &max_id)) != 0)
		goto oom;
	/* each dependency's */
	for (size_t d = 0; d < nd; d++) {
		const tr_pstatus *urows = deps[d].rows;
		size_t un = deps[d].n_rows;

		changes += un;
		for (size_t r = 0; r < un; r++)
			if (urows[r].materialization_id > max_id)
				max_id = urows[r].materialization_id;
		if ((rc = new_mats(deps[d].parts, urows, un, e, &mats, &n_mats)) != 0)
			goto oom;
		if (n_mats > 0 &&
		    (rc = apply_upstream(&deps[d], parts, total, mats, n_mats, cands, n_cands, &fresh,
					 &t, err)) != 0)
			goto out;
		free(mats);
		mats = NULL;
	}
	head[0] = max_id;
	if ((rc = tr_keyset_intersect(stale, &t, materialized)) != 0)
		goto oom;
	if (changes >= SUMMARY_REWRITE_CHANGES) {
		encode_sets(STALE_MAGIC, head, n_head, (tr_keyset *[]){&t}, 1, &w->blob);
		w->seq = head[1];
		w->want = 1;
	}
	goto out;
oom:
	rc = tr_error_set(err, rc, "out of memory reading what of %s is stale", a->name);
out:
	for (size_t d = 0; deps && d < nd; d++) {
		tr_partitions_free(deps[d].parts);
		tr_pstatus_free(deps[d].rows, deps[d].n_rows);
	}
	free(deps);
	free(head);
	free(blob);
	free(cands);
	free(mats);
	tr_pstatus_free(rows, n_rows);
	tr_keyset_release(&t);
	tr_keyset_release(&fresh);
	tr_buf_release(&own);
	tr_buf_release(&side);
	return rc;
}

/* ---- the state ---- */

int tr_asset_state_get(const tr_project *p, tr_storage *st, size_t i, const tr_partitions *parts,
		       tr_asset_state *out, tr_error *err)
{
	tr_keyset *const sets[SUMMARY_SETS] = {&out->materialized, &out->failed, &out->in_progress};
	tr_keyset known = TR_KEYSET_INIT, tmp = TR_KEYSET_INIT;
	struct pending summary = PENDING_INIT, stale = PENDING_INIT;
	const char *asset = p->assets[i].name;
	tr_error local = {0};
	int rc = 0;

	tr_keyset_init(&out->materialized);
	tr_keyset_init(&out->failed);
	tr_keyset_init(&out->in_progress);
	tr_keyset_init(&out->missing);
	tr_keyset_init(&out->stale);
	out->total = parts ? tr_partitions_count(parts) : 1;
	/* One snapshot: the asset's state and its upstream assets' agree. */
	if ((rc = tr_storage_read_begin(st, &local)) == 0) {
		rc = parts ? summarized_sets(st, asset, parts, sets, &summary, &local)
			   : unpartitioned_sets(st, asset, sets, &local);
		/* Keys that do not exist now have no state. */
		for (int k = 0; k < SUMMARY_SETS && rc == 0; k++)
			tr_keyset_clip(sets[k], 0, out->total);
		if (rc == 0)
			rc = stale_set(p, st, i, parts, &out->materialized, &out->stale, &stale,
				       &local);
		tr_storage_read_end(st);
	}
	if (rc == 0) {
		pending_store(st, &summary);
		pending_store(st, &stale);
	}
	pending_release(&summary);
	pending_release(&stale);
	if (rc == 0)
		rc = tr_keyset_union(&known, &out->materialized, &out->failed);
	if (rc == 0)
		rc = tr_keyset_union(&tmp, &known, &out->in_progress);
	if (rc == 0)
		rc = tr_keyset_complement(&out->missing, &tmp, out->total);
	if (rc && local.code) /* reported */
		rc = tr_error_set(err, local.code, "%s", local.msg);
	else if (rc) /* a key set operation: out of memory */
		rc = tr_error_set(err, rc, "out of memory reading the state of %s", asset);
	tr_keyset_release(&known);
	tr_keyset_release(&tmp);
	if (rc)
		tr_asset_state_release(out);
	return rc;
}

void tr_asset_state_release(tr_asset_state *s)
{
	tr_keyset_release(&s->materialized);
	tr_keyset_release(&s->failed);
	tr_keyset_release(&s->in_progress);
	tr_keyset_release(&s->missing);
	tr_keyset_release(&s->stale);
}
