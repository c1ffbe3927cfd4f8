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

static void encode_sets(tr_keyset *const sets[SUMMARY_SETS], tr_buf *out)
{
	tr_buf_add(out, SUMMARY_MAGIC, 4);
	for (int k = 0; k < SUMMARY_SETS; k++) {
		put_i64(out, (int64_t)sets[k]->n);
		for (size_t r = 0; r < sets[k]->n; r++) {
			put_i64(out, sets[k]->ranges[r].start);
			put_i64(out, sets[k]->ranges[r].end);
		}
	}
}

/*
 * Decodes a blob into the (empty) sets. TR_EINVAL for a blob that is not a
 * well-formed summary (then it is not used: the sets are emptied).
 */
static int decode_sets(const unsigned char *p, size_t len, tr_keyset *const sets[SUMMARY_SETS])
{
	size_t at = 4;
	int rc = 0;

	if (len < 4 || memcmp(p, SUMMARY_MAGIC, 4) != 0)
		return TR_EINVAL;
	for (int k = 0; k < SUMMARY_SETS && rc == 0; k++) {
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
		for (int k = 0; k < SUMMARY_SETS; k++)
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

/* Stores the sets as asset's summary at seq; a failure is ignored (a cache). */
static void summary_store(tr_storage *st, const char *asset, const char *tag,
			  tr_keyset *const sets[SUMMARY_SETS], int64_t seq)
{
	tr_buf blob = TR_BUF_INIT;
	tr_error ignored = {0};

	encode_sets(sets, &blob);
	if (!tr_buf_failed(&blob))
		tr_storage_summary_put(st, asset, tag, blob.data, blob.len, seq, &ignored);
	tr_buf_release(&blob);
}

/*
 * The summarized sets of a partitioned asset, current as of now: the stored
 * summary (if it has parts' tag) with the changes since applied.
 */
static int summarized_sets(tr_storage *st, const char *asset, const tr_partitions *parts,
			   tr_keyset *const sets[SUMMARY_SETS], tr_error *err)
{
	tr_buf tag = TR_BUF_INIT;
	tr_pstatus *rows = NULL;
	void *blob = NULL;
	size_t len = 0, n = 0;
	int64_t seq = 0, now_seq = 0;
	int rc = 0;

	tr_buf_adds(&tag, SUMMARY_FORMAT " ");
	if ((rc = add_tag(parts, &tag, err)) != 0)
		goto out;
	if (tr_buf_failed(&tag)) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = tr_storage_summary_get(st, asset, tr_buf_str(&tag), &blob, &len, &seq, err)) != 0)
		goto out;
	if (blob && decode_sets(blob, len, sets) != 0)
		seq = 0; /* not one of ours: start over */
	if ((rc = tr_storage_status_changes(st, asset, seq, &rows, &n, &now_seq, err)) != 0)
		goto out;
	if ((rc = apply_changes(parts, rows, n, sets)) != 0) {
		rc = tr_error_set(err, rc, "out of memory reading the state of %s", asset);
		goto out;
	}
	if (n >= SUMMARY_REWRITE_CHANGES)
		summary_store(st, asset, tr_buf_str(&tag), sets, now_seq);
out:
	free(blob);
	tr_pstatus_free(rows, n);
	tr_buf_release(&tag);
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

int tr_asset_state_get(const tr_project *p, tr_storage *st, size_t i, const tr_partitions *parts,
		       tr_asset_state *out, tr_error *err)
{
	tr_keyset *const sets[SUMMARY_SETS] = {&out->materialized, &out->failed, &out->in_progress};
	tr_keyset known = TR_KEYSET_INIT, tmp = TR_KEYSET_INIT;
	const char *asset = p->assets[i].name;
	tr_error local = {0};
	int rc = 0;

	tr_keyset_init(&out->materialized);
	tr_keyset_init(&out->failed);
	tr_keyset_init(&out->in_progress);
	tr_keyset_init(&out->missing);
	out->total = parts ? tr_partitions_count(parts) : 1;
	rc = parts ? summarized_sets(st, asset, parts, sets, &local)
		   : unpartitioned_sets(st, asset, sets, &local);
	/* Keys that do not exist now have no state. */
	for (int k = 0; k < SUMMARY_SETS && rc == 0; k++)
		tr_keyset_clip(sets[k], 0, out->total);
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
}
