/*
 * tranche/keyset.h — a set of partitions of one partitions definition, held as
 * partition *indexes* (0 = the definition's first partition), never as strings.
 *
 * Representation: sorted, disjoint, non-adjacent half-open ranges [start, end).
 * "Every day of ten years" is one range; a checkerboard of a million keys is a
 * million ranges (16 MB) and still merges in linear time. All set operations
 * are linear merges over ranges, contains is a binary search.
 * Indexes may be negative (a mapping can reach windows before a definition's
 * first partition); callers clip to [0, count) where that matters.
 *
 * Ownership: a tr_keyset owns its range array. Operations that produce a set
 * write into a caller-initialised `out` that must not alias an input; out's
 * previous contents are replaced. On TR_ENOMEM out is left empty.
 */
#ifndef TRANCHE_KEYSET_H
#define TRANCHE_KEYSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct tr_range {
	int64_t start; /* first index in the range */
	int64_t end;   /* one past the last */
} tr_range;

typedef struct tr_keyset {
	tr_range *ranges;
	size_t n;   /* ranges in use */
	size_t cap; /* ranges allocated */
} tr_keyset;

#define TR_KEYSET_INIT {NULL, 0, 0}

void tr_keyset_init(tr_keyset *ks);
void tr_keyset_release(tr_keyset *ks);
void tr_keyset_clear(tr_keyset *ks); /* empty, keeps memory */

/* Adds [start, end) (ignored when empty). Appending in ascending order is O(1);
   otherwise the range is merged in place. Returns 0 or TR_ENOMEM. */
int tr_keyset_add_range(tr_keyset *ks, int64_t start, int64_t end);
int tr_keyset_add(tr_keyset *ks, int64_t index);
int tr_keyset_copy(tr_keyset *out, const tr_keyset *in);

int64_t tr_keyset_count(const tr_keyset *ks);
int tr_keyset_is_empty(const tr_keyset *ks);
int tr_keyset_contains(const tr_keyset *ks, int64_t index);
int tr_keyset_equal(const tr_keyset *a, const tr_keyset *b);

/* First / last index; return 0, or TR_ENOTFOUND when the set is empty. */
int tr_keyset_first(const tr_keyset *ks, int64_t *index);
int tr_keyset_last(const tr_keyset *ks, int64_t *index);
/* The k-th smallest index (k from 0); TR_ERANGE when k >= count. O(ranges). */
int tr_keyset_nth(const tr_keyset *ks, int64_t k, int64_t *index);

int tr_keyset_union(tr_keyset *out, const tr_keyset *a, const tr_keyset *b);
int tr_keyset_intersect(tr_keyset *out, const tr_keyset *a, const tr_keyset *b);
int tr_keyset_difference(tr_keyset *out, const tr_keyset *a, const tr_keyset *b); /* a \ b */
/* [0, total) \ in */
int tr_keyset_complement(tr_keyset *out, const tr_keyset *in, int64_t total);
/* Keeps only indexes in [lo, hi). In place. */
void tr_keyset_clip(tr_keyset *ks, int64_t lo, int64_t hi);

/* In-order iteration: `for (tr_keyset_iter_init(&it, ks); tr_keyset_iter_next(&it, &i);)`. */
typedef struct tr_keyset_iter {
	const tr_keyset *ks;
	size_t range;
	int64_t next;
} tr_keyset_iter;
void tr_keyset_iter_init(tr_keyset_iter *it, const tr_keyset *ks);
int tr_keyset_iter_next(tr_keyset_iter *it, int64_t *index); /* 1 and *index, or 0 at the end */

#endif
