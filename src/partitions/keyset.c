/*
 * keyset.c — sets of partition indexes as sorted ranges (tranche/keyset.h).
 *
 * Invariant, after every public call: ranges[0..n) are non-empty
 * (start < end), sorted, and neither overlap nor touch:
 * ranges[i].end < ranges[i + 1].start. So every set has exactly one
 * representation and equality is a memcmp.
 *
 * Set operations are linear merges that emit ranges in ascending order
 * through emit(), which joins a range to the previous one when they touch.
 * The output array is sized once before the merge (an upper bound on the
 * result: a.n + b.n for union and difference, a.n + b.n - 1 for intersection,
 * in.n + 1 for complement), so the merge loops never allocate; a result much
 * smaller than its bound gives back the spare memory afterwards.
 *
 * Range lengths are computed in uint64_t: end - start of [INT64_MIN, 0)
 * does not fit in int64_t. tr_keyset_count saturates at INT64_MAX. INT64_MAX
 * itself cannot be a member (the range holding it would end past INT64_MAX).
 *
 * Output sets may alias inputs (the result is built aside and swapped in),
 * though the header asks callers not to rely on it.
 *
 * Used by the partition definitions, mappings between assets, the run
 * planner and the status queries.
 */
#include <stdlib.h>
#include <string.h>

#include "tranche/error.h"
#include "tranche/keyset.h"

void tr_keyset_init(tr_keyset *ks)
{
	ks->ranges = NULL;
	ks->n = 0;
	ks->cap = 0;
}

void tr_keyset_release(tr_keyset *ks)
{
	free(ks->ranges);
	tr_keyset_init(ks);
}

void tr_keyset_clear(tr_keyset *ks)
{
	ks->n = 0;
}

static uint64_t range_length(const tr_range *r)
{
	return (uint64_t)r->end - (uint64_t)r->start;
}

/*
 * Makes room for `want` ranges. Contents are kept only when `keep` is set
 * (otherwise a fresh block avoids copying what is about to be overwritten).
 * Returns 0 or TR_ENOMEM, leaving ks unchanged on failure.
 */
static int reserve(tr_keyset *ks, size_t want, int keep)
{
	size_t cap;
	tr_range *p;

	if (want <= ks->cap)
		return 0;
	if (want > SIZE_MAX / sizeof(tr_range))
		return TR_ENOMEM;
	cap = ks->cap ? ks->cap : 8;
	while (cap < want)
		cap = cap > SIZE_MAX / sizeof(tr_range) / 2 ? want : cap * 2;
	if (keep) {
		p = realloc(ks->ranges, cap * sizeof(tr_range));
		if (!p)
			return TR_ENOMEM;
	} else {
		p = malloc(cap * sizeof(tr_range));
		if (!p)
			return TR_ENOMEM;
		free(ks->ranges);
	}
	ks->ranges = p;
	ks->cap = cap;
	return 0;
}

/* Gives back memory when a result used far less than its bound. */
static void shrink(tr_keyset *ks)
{
	tr_range *p;
	size_t cap;

	if (ks->cap <= 1024 || ks->n >= ks->cap / 4)
		return;
	cap = ks->n < 8 ? 8 : ks->n;
	p = realloc(ks->ranges, cap * sizeof(tr_range));
	if (p) {
		ks->ranges = p;
		ks->cap = cap;
	}
}

/*
 * Appends [start, end) to a set being built in ascending order of start;
 * joins it to the last range when they overlap or touch. Room is reserved.
 */
static inline void emit(tr_keyset *ks, int64_t start, int64_t end)
{
	tr_range *last;

	if (start >= end)
		return;
	if (ks->n) {
		last = &ks->ranges[ks->n - 1];
		if (start <= last->end) {
			if (end > last->end)
				last->end = end;
			return;
		}
	}
	ks->ranges[ks->n].start = start;
	ks->ranges[ks->n].end = end;
	ks->n++;
}

/* First i with ranges[i].end >= index (ranges.n when none). */
static size_t first_ending_at_or_after(const tr_keyset *ks, int64_t index)
{
	size_t lo = 0, hi = ks->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->ranges[mid].end < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* First i with ranges[i].start > index (ranges.n when none). */
static size_t first_starting_after(const tr_keyset *ks, int64_t index)
{
	size_t lo = 0, hi = ks->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->ranges[mid].start <= index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The general case of add_range: [start, end) lands before the last range. */
static int insert_range(tr_keyset *ks, int64_t start, int64_t end)
{
	/* Ranges lo..hi-1 overlap or touch [start, end) and merge with it. */
	size_t lo = first_ending_at_or_after(ks, start);
	size_t hi = first_starting_after(ks, end);
	int rc;

	if (lo == hi) {
		rc = reserve(ks, ks->n + 1, 1);
		if (rc)
			return rc;
		memmove(&ks->ranges[lo + 1], &ks->ranges[lo], (ks->n - lo) * sizeof(tr_range));
		ks->ranges[lo].start = start;
		ks->ranges[lo].end = end;
		ks->n++;
		return 0;
	}
	if (ks->ranges[lo].start < start)
		start = ks->ranges[lo].start;
	if (ks->ranges[hi - 1].end > end)
		end = ks->ranges[hi - 1].end;
	ks->ranges[lo].start = start;
	ks->ranges[lo].end = end;
	memmove(&ks->ranges[lo + 1], &ks->ranges[hi], (ks->n - hi) * sizeof(tr_range));
	ks->n -= hi - lo - 1;
	return 0;
}

int tr_keyset_add_range(tr_keyset *ks, int64_t start, int64_t end)
{
	tr_range *last;
	int rc;

	if (start >= end)
		return 0;
	if (ks->n) {
		last = &ks->ranges[ks->n - 1];
		if (start > last->end)
			goto append;
		if (start >= last->start) {
			if (end > last->end)
				last->end = end;
			return 0;
		}
		return insert_range(ks, start, end);
	}
append:
	rc = reserve(ks, ks->n + 1, 1);
	if (rc)
		return rc;
	ks->ranges[ks->n].start = start;
	ks->ranges[ks->n].end = end;
	ks->n++;
	return 0;
}

int tr_keyset_add(tr_keyset *ks, int64_t index)
{
	if (index == INT64_MAX)
		return TR_ERANGE;
	return tr_keyset_add_range(ks, index, index + 1);
}

int tr_keyset_copy(tr_keyset *out, const tr_keyset *in)
{
	int rc;

	if (out == in)
		return 0;
	out->n = 0;
	rc = reserve(out, in->n, 0);
	if (rc)
		return rc;
	if (in->n)
		memcpy(out->ranges, in->ranges, in->n * sizeof(tr_range));
	out->n = in->n;
	return 0;
}

int64_t tr_keyset_count(const tr_keyset *ks)
{
	uint64_t total = 0, len;
	size_t i;

	for (i = 0; i < ks->n; i++) {
		len = range_length(&ks->ranges[i]);
		if (len > (uint64_t)INT64_MAX - total)
			return INT64_MAX;
		total += len;
	}
	return (int64_t)total;
}

int tr_keyset_is_empty(const tr_keyset *ks)
{
	return ks->n == 0;
}

int tr_keyset_contains(const tr_keyset *ks, int64_t index)
{
	/* the last range starting at or before index is the only candidate */
	size_t i = first_starting_after(ks, index);

	return i > 0 && index < ks->ranges[i - 1].end;
}

int tr_keyset_equal(const tr_keyset *a, const tr_keyset *b)
{
	if (a->n != b->n)
		return 0;
	return a->n == 0 || memcmp(a->ranges, b->ranges, a->n * sizeof(tr_range)) == 0;
}

int tr_keyset_first(const tr_keyset *ks, int64_t *index)
{
	if (!ks->n)
		return TR_ENOTFOUND;
	*index = ks->ranges[0].start;
	return 0;
}

int tr_keyset_last(const tr_keyset *ks, int64_t *index)
{
	if (!ks->n)
		return TR_ENOTFOUND;
	*index = ks->ranges[ks->n - 1].end - 1;
	return 0;
}

int tr_keyset_nth(const tr_keyset *ks, int64_t k, int64_t *index)
{
	uint64_t left, len;
	size_t i;

	if (k < 0)
		return TR_ERANGE;
	left = (uint64_t)k;
	for (i = 0; i < ks->n; i++) {
		len = range_length(&ks->ranges[i]);
		if (left < len) {
			*index = (int64_t)((uint64_t)ks->ranges[i].start + left);
			return 0;
		}
		left -= len;
	}
	return TR_ERANGE;
}

/*
 * Prepares the set a result is built in: `out` itself, or `tmp` when out
 * is also an input. Reserves `bound` ranges. Returns 0 or TR_ENOMEM.
 */
static int result_begin(tr_keyset **dst, tr_keyset *out, tr_keyset *tmp, int aliased, size_t bound)
{
	*dst = aliased ? tmp : out;
	(*dst)->n = 0;
	return reserve(*dst, bound, 0);
}

/* Finishes a result: swaps in the aside copy, trims spare memory; on failure empties out. */
static int result_end(tr_keyset *dst, tr_keyset *out, int rc)
{
	if (rc) {
		if (dst != out)
			tr_keyset_release(dst);
		out->n = 0;
		return rc;
	}
	if (dst != out) {
		tr_keyset_release(out);
		*out = *dst;
	}
	shrink(out);
	return 0;
}

static size_t add_bounds(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

int tr_keyset_union(tr_keyset *out, const tr_keyset *a, const tr_keyset *b)
{
	tr_keyset tmp = TR_KEYSET_INIT, *dst;
	size_t i = 0, j = 0;
	int rc;

	rc = result_begin(&dst, out, &tmp, out == a || out == b, add_bounds(a->n, b->n));
	if (rc)
		goto out;
	while (i < a->n && j < b->n) {
		const tr_range *r = a->ranges[i].start <= b->ranges[j].start ? &a->ranges[i++] : &b->ranges[j++];

		emit(dst, r->start, r->end);
	}
	for (; i < a->n; i++)
		emit(dst, a->ranges[i].start, a->ranges[i].end);
	for (; j < b->n; j++)
		emit(dst, b->ranges[j].start, b->ranges[j].end);
out:
	return result_end(dst, out, rc);
}

int tr_keyset_intersect(tr_keyset *out, const tr_keyset *a, const tr_keyset *b)
{
	tr_keyset tmp = TR_KEYSET_INIT, *dst;
	size_t i = 0, j = 0;
	int rc;

	rc = result_begin(&dst, out, &tmp, out == a || out == b, add_bounds(a->n, b->n));
	if (rc)
		goto out;
	while (i < a->n && j < b->n) {
		const tr_range *ra = &a->ranges[i], *rb = &b->ranges[j];
		int64_t start = ra->start > rb->start ? ra->start : rb->start;
		int64_t end = ra->end < rb->end ? ra->end : rb->end;

		emit(dst, start, end);
		/* the range that ends first cannot meet anything further on */
		if (ra->end <= rb->end)
			i++;
		else
			j++;
	}
out:
	return result_end(dst, out, rc);
}

int tr_keyset_difference(tr_keyset *out, const tr_keyset *a, const tr_keyset *b)
{
	tr_keyset tmp = TR_KEYSET_INIT, *dst;
	size_t i, j = 0;
	int rc;

	rc = result_begin(&dst, out, &tmp, out == a || out == b, add_bounds(a->n, b->n));
	if (rc)
		goto out;
	for (i = 0; i < a->n; i++) {
		int64_t cur = a->ranges[i].start, end = a->ranges[i].end;

		while (j < b->n && b->ranges[j].end <= cur)
			j++;
		while (j < b->n && b->ranges[j].start < end) {
			emit(dst, cur, b->ranges[j].start);
			if (b->ranges[j].end > cur)
				cur = b->ranges[j].end;
			if (b->ranges[j].end > end)
				break; /* b[j] reaches into the next ranges of a */
			j++;
		}
		emit(dst, cur, end);
	}
out:
	return result_end(dst, out, rc);
}

int tr_keyset_complement(tr_keyset *out, const tr_keyset *in, int64_t total)
{
	tr_keyset tmp = TR_KEYSET_INIT, *dst;
	int64_t cur = 0;
	size_t i;
	int rc;

	rc = result_begin(&dst, out, &tmp, out == in, total > 0 ? add_bounds(in->n, 1) : 0);
	if (rc || total <= 0)
		goto out;
	for (i = 0; i < in->n && in->ranges[i].start < total; i++) {
		if (in->ranges[i].end <= 0)
			continue;
		emit(dst, cur, in->ranges[i].start);
		if (in->ranges[i].end > cur)
			cur = in->ranges[i].end;
	}
	emit(dst, cur, total);
out:
	return result_end(dst, out, rc);
}

void tr_keyset_clip(tr_keyset *ks, int64_t lo, int64_t hi)
{
	size_t first, last;

	if (lo >= hi) {
		ks->n = 0;
		return;
	}
	/* keep ranges first..last-1: those ending after lo and starting before hi */
	first = first_ending_at_or_after(ks, lo);
	if (first < ks->n && ks->ranges[first].end == lo)
		first++;
	last = first_starting_after(ks, hi - 1);
	if (first >= last) {
		ks->n = 0;
		return;
	}
	if (ks->ranges[first].start < lo)
		ks->ranges[first].start = lo;
	if (ks->ranges[last - 1].end > hi)
		ks->ranges[last - 1].end = hi;
	if (first)
		memmove(ks->ranges, &ks->ranges[first], (last - first) * sizeof(tr_range));
	ks->n = last - first;
}

void tr_keyset_iter_init(tr_keyset_iter *it, const tr_keyset *ks)
{
	it->ks = ks;
	it->range = 0;
	it->next = ks->n ? ks->ranges[0].start : 0;
}

int tr_keyset_iter_next(tr_keyset_iter *it, int64_t *index)
{
	const tr_keyset *ks = it->ks;

	if (it->range >= ks->n)
		return 0;
	*index = it->next++;
	if (it->next >= ks->ranges[it->range].end) {
		it->range++;
		if (it->range < ks->n)
			it->next = ks->ranges[it->range].start;
	}
	return 1;
}
