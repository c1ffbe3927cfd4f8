/*
 * test_keyset.c — partition index sets (tranche/keyset.h): each operation on
 * hand-picked cases, int64 edges, aliasing, and a randomized run against a
 * naive bitmap model that checks every observable property after each step.
 */
#include "testutil.h"

#include "tranche/error.h"
#include "tranche/keyset.h"

/* Checks the representation invariant: non-empty, sorted, not touching. */
static void assert_canonical(const tr_keyset *ks)
{
	size_t i;

	assert_true(ks->n <= ks->cap);
	for (i = 0; i < ks->n; i++) {
		assert_true(ks->ranges[i].start < ks->ranges[i].end);
		if (i + 1 < ks->n)
			assert_true(ks->ranges[i].end < ks->ranges[i + 1].start);
	}
}

/* Builds a set from pairs start, end, ... terminated by a start > end. */
static void build(tr_keyset *ks, const int64_t *pairs)
{
	tr_keyset_clear(ks);
	for (; pairs[0] <= pairs[1]; pairs += 2)
		assert_int_equal(tr_keyset_add_range(ks, pairs[0], pairs[1]), 0);
	assert_canonical(ks);
}

/* Asserts ks holds exactly the ranges in pairs (same terminator). */
static void assert_ranges(const tr_keyset *ks, const int64_t *pairs)
{
	size_t i = 0;

	assert_canonical(ks);
	for (; pairs[0] <= pairs[1]; pairs += 2, i++) {
		if (i >= ks->n)
			fail_msg("set has %zu ranges, want more", ks->n);
		if (ks->ranges[i].start != pairs[0] || ks->ranges[i].end != pairs[1])
			fail_msg("range %zu is [%lld, %lld), want [%lld, %lld)", i, (long long)ks->ranges[i].start,
				 (long long)ks->ranges[i].end, (long long)pairs[0], (long long)pairs[1]);
	}
	if (i != ks->n)
		fail_msg("set has %zu ranges, want %zu", ks->n, i);
}

#define END 1, 0

static void test_add_range(void **state)
{
	tr_keyset ks = TR_KEYSET_INIT;

	(void)state;
	assert_true(tr_keyset_is_empty(&ks));
	assert_int_equal(tr_keyset_add_range(&ks, 5, 5), 0); /* empty: ignored */
	assert_int_equal(tr_keyset_add_range(&ks, 7, 3), 0);
	assert_true(tr_keyset_is_empty(&ks));

	/* ascending appends, touching ranges join */
	tr_keyset_add_range(&ks, 0, 2);
	tr_keyset_add_range(&ks, 2, 4);
	tr_keyset_add_range(&ks, 6, 8);
	tr_keyset_add_range(&ks, 7, 10);
	tr_keyset_add(&ks, 12);
	assert_ranges(&ks, (int64_t[]){0, 4, 6, 10, 12, 13, END});

	/* out of order: insert, join one side, join both sides, swallow several */
	tr_keyset_add_range(&ks, -5, -3);
	assert_ranges(&ks, (int64_t[]){-5, -3, 0, 4, 6, 10, 12, 13, END});
	tr_keyset_add(&ks, 5); /* touches [6, 10) only: 4 is missing */
	assert_ranges(&ks, (int64_t[]){-5, -3, 0, 4, 5, 10, 12, 13, END});
	tr_keyset_add(&ks, 4);
	assert_ranges(&ks, (int64_t[]){-5, -3, 0, 10, 12, 13, END});
	tr_keyset_add_range(&ks, -3, -1);
	assert_ranges(&ks, (int64_t[]){-5, -1, 0, 10, 12, 13, END});
	tr_keyset_add_range(&ks, -10, 11);
	assert_ranges(&ks, (int64_t[]){-10, 11, 12, 13, END});
	tr_keyset_add_range(&ks, 1, 3); /* already inside */
	assert_ranges(&ks, (int64_t[]){-10, 11, 12, 13, END});
	tr_keyset_add_range(&ks, 11, 12);
	assert_ranges(&ks, (int64_t[]){-10, 13, END});
	assert_int_equal(tr_keyset_count(&ks), 23);

	tr_keyset_clear(&ks);
	assert_true(tr_keyset_is_empty(&ks));
	assert_int_equal(tr_keyset_count(&ks), 0);
	tr_keyset_release(&ks);
	assert_null(ks.ranges);
}

static void test_queries(void **state)
{
	tr_keyset ks = TR_KEYSET_INIT, other = TR_KEYSET_INIT;
	tr_keyset_iter it;
	int64_t v, seen[16];
	size_t n = 0;

	(void)state;
	assert_int_equal(tr_keyset_first(&ks, &v), TR_ENOTFOUND);
	assert_int_equal(tr_keyset_last(&ks, &v), TR_ENOTFOUND);
	assert_int_equal(tr_keyset_nth(&ks, 0, &v), TR_ERANGE);
	assert_false(tr_keyset_contains(&ks, 0));
	tr_keyset_iter_init(&it, &ks);
	assert_false(tr_keyset_iter_next(&it, &v));

	build(&ks, (int64_t[]){-3, -1, 4, 5, 10, 13, END});
	assert_int_equal(tr_keyset_count(&ks), 6);
	assert_ok(tr_keyset_first(&ks, &v), &(tr_error){0});
	assert_int_equal(v, -3);
	assert_ok(tr_keyset_last(&ks, &v), &(tr_error){0});
	assert_int_equal(v, 12);
	assert_false(tr_keyset_contains(&ks, -4));
	assert_true(tr_keyset_contains(&ks, -3));
	assert_true(tr_keyset_contains(&ks, -2));
	assert_false(tr_keyset_contains(&ks, -1));
	assert_true(tr_keyset_contains(&ks, 4));
	assert_false(tr_keyset_contains(&ks, 5));
	assert_true(tr_keyset_contains(&ks, 12));
	assert_false(tr_keyset_contains(&ks, 13));
	assert_false(tr_keyset_contains(&ks, INT64_MIN));
	assert_false(tr_keyset_contains(&ks, INT64_MAX));

	assert_ok(tr_keyset_nth(&ks, 0, &v), &(tr_error){0});
	assert_int_equal(v, -3);
	assert_ok(tr_keyset_nth(&ks, 2, &v), &(tr_error){0});
	assert_int_equal(v, 4);
	assert_ok(tr_keyset_nth(&ks, 5, &v), &(tr_error){0});
	assert_int_equal(v, 12);
	assert_int_equal(tr_keyset_nth(&ks, 6, &v), TR_ERANGE);
	assert_int_equal(tr_keyset_nth(&ks, -1, &v), TR_ERANGE);

	for (tr_keyset_iter_init(&it, &ks); tr_keyset_iter_next(&it, &v);)
		seen[n++] = v;
	assert_int_equal(n, 6);
	assert_memory_equal(seen, ((int64_t[]){-3, -2, 4, 10, 11, 12}), sizeof(int64_t) * 6);

	assert_ok(tr_keyset_copy(&other, &ks), &(tr_error){0});
	assert_true(tr_keyset_equal(&other, &ks));
	assert_ok(tr_keyset_copy(&other, &other), &(tr_error){0});
	assert_true(tr_keyset_equal(&other, &ks));
	tr_keyset_add(&other, 0);
	assert_false(tr_keyset_equal(&other, &ks));
	tr_keyset_clear(&other);
	assert_false(tr_keyset_equal(&other, &ks));
	tr_keyset_clear(&ks);
	assert_true(tr_keyset_equal(&other, &ks));
	tr_keyset_release(&ks);
	tr_keyset_release(&other);
}

static void test_set_operations(void **state)
{
	tr_keyset a = TR_KEYSET_INIT, b = TR_KEYSET_INIT, out = TR_KEYSET_INIT;

	(void)state;
	build(&a, (int64_t[]){0, 5, 10, 15, 20, 25, END});
	build(&b, (int64_t[]){5, 7, 12, 22, 30, 31, END});

	assert_ok(tr_keyset_union(&out, &a, &b), &(tr_error){0});
	assert_ranges(&out, (int64_t[]){0, 7, 10, 25, 30, 31, END});
	assert_ok(tr_keyset_intersect(&out, &a, &b), &(tr_error){0});
	assert_ranges(&out, (int64_t[]){12, 15, 20, 22, END});
	assert_ok(tr_keyset_difference(&out, &a, &b), &(tr_error){0});
	assert_ranges(&out, (int64_t[]){0, 5, 10, 12, 22, 25, END});
	assert_ok(tr_keyset_difference(&out, &b, &a), &(tr_error){0});
	assert_ranges(&out, (int64_t[]){5, 7, 15, 20, 30, 31, END});
	assert_ok(tr_keyset_complement(&out, &b, 28), &(tr_error){0});
	assert_ranges(&out, (int64_t[]){0, 5, 7, 12, 22, 28, END});
	assert_ok(tr_keyset_complement(&out, &b, 0), &(tr_error){0});
	assert_true(tr_keyset_is_empty(&out));
	assert_ok(tr_keyset_complement(&out, &b, -5), &(tr_error){0});
	assert_true(tr_keyset_is_empty(&out));

	/* with empty sets */
	tr_keyset_clear(&b);
	assert_ok(tr_keyset_union(&out, &a, &b), &(tr_error){0});
	assert_true(tr_keyset_equal(&out, &a));
	assert_ok(tr_keyset_intersect(&out, &a, &b), &(tr_error){0});
	assert_true(tr_keyset_is_empty(&out));
	assert_ok(tr_keyset_difference(&out, &b, &a), &(tr_error){0});
	assert_true(tr_keyset_is_empty(&out));
	assert_ok(tr_keyset_complement(&out, &b, 3), &(tr_error){0});
	assert_ranges(&out, (int64_t[]){0, 3, END});

	/* one b range spanning several a ranges */
	build(&b, (int64_t[]){3, 23, END});
	assert_ok(tr_keyset_difference(&out, &a, &b), &(tr_error){0});
	assert_ranges(&out, (int64_t[]){0, 3, 23, 25, END});
	assert_ok(tr_keyset_intersect(&out, &a, &b), &(tr_error){0});
	assert_ranges(&out, (int64_t[]){3, 5, 10, 15, 20, 23, END});

	/* negative indexes in a complement are dropped */
	build(&b, (int64_t[]){-10, 2, 4, 6, END});
	assert_ok(tr_keyset_complement(&out, &b, 8), &(tr_error){0});
	assert_ranges(&out, (int64_t[]){2, 4, 6, 8, END});

	/* out may alias an input */
	build(&b, (int64_t[]){5, 7, END});
	assert_ok(tr_keyset_union(&a, &a, &b), &(tr_error){0});
	assert_ranges(&a, (int64_t[]){0, 7, 10, 15, 20, 25, END});
	assert_ok(tr_keyset_difference(&b, &a, &b), &(tr_error){0});
	assert_ranges(&b, (int64_t[]){0, 5, 10, 15, 20, 25, END});
	assert_ok(tr_keyset_complement(&b, &b, 30), &(tr_error){0});
	assert_ranges(&b, (int64_t[]){5, 10, 15, 20, 25, 30, END});

	tr_keyset_release(&a);
	tr_keyset_release(&b);
	tr_keyset_release(&out);
}

static void test_clip(void **state)
{
	tr_keyset ks = TR_KEYSET_INIT;
	static const int64_t base[] = {-5, 0, 3, 6, 10, 20, END};

	(void)state;
	build(&ks, base);
	tr_keyset_clip(&ks, 0, 15);
	assert_ranges(&ks, (int64_t[]){3, 6, 10, 15, END});
	build(&ks, base);
	tr_keyset_clip(&ks, -3, 4);
	assert_ranges(&ks, (int64_t[]){-3, 0, 3, 4, END});
	build(&ks, base);
	tr_keyset_clip(&ks, 6, 10);
	assert_true(tr_keyset_is_empty(&ks));
	build(&ks, base);
	tr_keyset_clip(&ks, 5, 4);
	assert_true(tr_keyset_is_empty(&ks));
	build(&ks, base);
	tr_keyset_clip(&ks, INT64_MIN, INT64_MAX);
	assert_ranges(&ks, base);
	build(&ks, base);
	tr_keyset_clip(&ks, 20, 100);
	assert_true(tr_keyset_is_empty(&ks));
	build(&ks, base);
	tr_keyset_clip(&ks, 19, 100);
	assert_ranges(&ks, (int64_t[]){19, 20, END});
	tr_keyset_release(&ks);
}

static void test_int64_edges(void **state)
{
	tr_keyset ks = TR_KEYSET_INIT, out = TR_KEYSET_INIT;
	tr_keyset_iter it;
	int64_t v;

	(void)state;
	tr_keyset_add_range(&ks, INT64_MIN / 2, INT64_MAX / 2);
	assert_true(tr_keyset_count(&ks) == INT64_MAX);
	assert_ok(tr_keyset_nth(&ks, INT64_MAX - 1, &v), &(tr_error){0});
	assert_true(v == INT64_MAX / 2 - 1);
	assert_int_equal(tr_keyset_nth(&ks, INT64_MAX, &v), TR_ERANGE);

	/* more than INT64_MAX members: count saturates */
	tr_keyset_clear(&ks);
	tr_keyset_add_range(&ks, INT64_MIN, 0);
	tr_keyset_add_range(&ks, 1, INT64_MAX);
	assert_true(tr_keyset_count(&ks) == INT64_MAX);
	assert_true(tr_keyset_contains(&ks, INT64_MIN));
	assert_true(tr_keyset_contains(&ks, INT64_MAX - 1));
	assert_false(tr_keyset_contains(&ks, 0));
	assert_ok(tr_keyset_nth(&ks, INT64_MAX, &v), &(tr_error){0});
	assert_true(v == -1); /* the first range alone holds 2^63 members */
	assert_ok(tr_keyset_last(&ks, &v), &(tr_error){0});
	assert_true(v == INT64_MAX - 1);
	assert_int_equal(tr_keyset_add(&ks, INT64_MAX), TR_ERANGE);
	assert_int_equal(tr_keyset_add(&ks, INT64_MIN), 0);

	assert_ok(tr_keyset_complement(&out, &ks, INT64_MAX), &(tr_error){0});
	assert_ranges(&out, (int64_t[]){0, 1, END});
	tr_keyset_clip(&ks, INT64_MAX - 3, INT64_MAX);
	assert_ranges(&ks, (int64_t[]){INT64_MAX - 3, INT64_MAX, END});
	tr_keyset_iter_init(&it, &ks);
	assert_true(tr_keyset_iter_next(&it, &v) && v == INT64_MAX - 3);
	assert_true(tr_keyset_iter_next(&it, &v) && v == INT64_MAX - 2);
	assert_true(tr_keyset_iter_next(&it, &v) && v == INT64_MAX - 1);
	assert_false(tr_keyset_iter_next(&it, &v));
	tr_keyset_release(&ks);
	tr_keyset_release(&out);
}

static void test_scale(void **state)
{
	tr_keyset evens = TR_KEYSET_INIT, odds = TR_KEYSET_INIT, out = TR_KEYSET_INIT;
	int64_t i;

	(void)state;
	for (i = 0; i < 1000000; i++) {
		assert_int_equal(tr_keyset_add(&evens, 2 * i), 0);
		assert_int_equal(tr_keyset_add(&odds, 2 * i + 1), 0);
	}
	assert_int_equal(evens.n, 1000000);
	assert_ok(tr_keyset_union(&out, &evens, &odds), &(tr_error){0});
	assert_ranges(&out, (int64_t[]){0, 2000000, END});
	assert_true(out.cap <= 1024); /* the spare bound was given back */
	assert_ok(tr_keyset_intersect(&out, &evens, &odds), &(tr_error){0});
	assert_true(tr_keyset_is_empty(&out));
	assert_ok(tr_keyset_difference(&out, &evens, &odds), &(tr_error){0});
	assert_true(tr_keyset_equal(&out, &evens));
	assert_ok(tr_keyset_complement(&out, &evens, 2000000), &(tr_error){0});
	assert_true(tr_keyset_equal(&out, &odds));
	assert_true(tr_keyset_contains(&evens, 1999998));
	assert_false(tr_keyset_contains(&evens, 1999999));
	tr_keyset_release(&evens);
	tr_keyset_release(&odds);
	tr_keyset_release(&out);
}

/* ---- randomized comparison with a bitmap ---- */

#define LO (-100)
#define HI 1900
#define UNIVERSE (HI - LO)

typedef struct model {
	unsigned char bit[UNIVERSE];
} model;

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: fixed seed, the same run every time */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717u;
}

static int64_t rnd_index(void)
{
	return LO + (int64_t)(rnd() % UNIVERSE);
}

/* A random set: sparse points, long runs, or dense noise; ranges out of order. */
static void random_set(tr_keyset *ks, model *m)
{
	int style = (int)(rnd() % 4), steps = (int)(rnd() % 40), k;

	memset(m, 0, sizeof(*m));
	tr_keyset_clear(ks);
	for (k = 0; k < steps; k++) {
		int64_t start = rnd_index(), len, i;

		len = style == 0 ? 1 : style == 1 ? (int64_t)(rnd() % 300) : (int64_t)(rnd() % 8);
		if (style == 3 && rnd() % 2)
			len = -len; /* an empty range, to be ignored */
		if (start + len > HI)
			len = HI - start;
		assert_int_equal(tr_keyset_add_range(ks, start, start + len), 0);
		for (i = start; i < start + len; i++)
			m->bit[i - LO] = 1;
	}
}

static void assert_matches(const tr_keyset *ks, const model *m)
{
	int64_t count = 0, v, nth = 0, first = INT64_MAX, last = INT64_MIN, i;
	tr_keyset_iter it;

	assert_canonical(ks);
	for (i = LO; i < HI; i++) {
		int in = m->bit[i - LO];

		if (tr_keyset_contains(ks, i) != in)
			fail_msg("contains(%lld) is %d, want %d", (long long)i, !in, in);
		if (in) {
			if (first == INT64_MAX)
				first = i;
			last = i;
			count++;
		}
	}
	assert_false(tr_keyset_contains(ks, LO - 1));
	assert_false(tr_keyset_contains(ks, HI));
	assert_int_equal(tr_keyset_count(ks), count);
	assert_int_equal(tr_keyset_is_empty(ks), count == 0);
	if (count) {
		assert_ok(tr_keyset_first(ks, &v), &(tr_error){0});
		assert_int_equal(v, first);
		assert_ok(tr_keyset_last(ks, &v), &(tr_error){0});
		assert_int_equal(v, last);
	} else {
		assert_int_equal(tr_keyset_first(ks, &v), TR_ENOTFOUND);
		assert_int_equal(tr_keyset_last(ks, &v), TR_ENOTFOUND);
	}
	/* iteration visits exactly the members in order; nth agrees */
	i = LO;
	for (tr_keyset_iter_init(&it, ks); tr_keyset_iter_next(&it, &v); nth++) {
		while (i < HI && !m->bit[i - LO])
			i++;
		assert_int_equal(v, i);
		if (nth % 7 == 0 || nth == count - 1) {
			int64_t w;

			assert_ok(tr_keyset_nth(ks, nth, &w), &(tr_error){0});
			assert_int_equal(w, v);
		}
		i++;
	}
	assert_int_equal(nth, count);
	assert_int_equal(tr_keyset_nth(ks, count, &v), TR_ERANGE);
}

/* The canonical form makes equality structural: compare with a rebuilt set. */
static void assert_equal_to_model(const tr_keyset *ks, const model *m)
{
	tr_keyset rebuilt = TR_KEYSET_INIT;
	int64_t i;

	for (i = HI - 1; i >= LO; i--) /* descending: the out-of-order path */
		if (m->bit[i - LO])
			assert_int_equal(tr_keyset_add(&rebuilt, i), 0);
	assert_true(tr_keyset_equal(ks, &rebuilt));
	tr_keyset_release(&rebuilt);
}

static void test_random_against_bitmap(void **state)
{
	tr_keyset a = TR_KEYSET_INIT, b = TR_KEYSET_INIT, out = TR_KEYSET_INIT;
	model ma, mb, mo;
	int round, op;
	int64_t i;

	(void)state;
	rng_state = 0x9E3779B97F4A7C15u;
	for (round = 0; round < 3000; round++) {
		random_set(&a, &ma);
		random_set(&b, &mb);
		if (round % 50 == 0) {
			assert_matches(&a, &ma);
			assert_equal_to_model(&a, &ma);
		}
		op = (int)(rnd() % 6);
		switch (op) {
		case 0:
			assert_ok(tr_keyset_union(&out, &a, &b), &(tr_error){0});
			for (i = 0; i < UNIVERSE; i++)
				mo.bit[i] = ma.bit[i] | mb.bit[i];
			break;
		case 1:
			assert_ok(tr_keyset_intersect(&out, &a, &b), &(tr_error){0});
			for (i = 0; i < UNIVERSE; i++)
				mo.bit[i] = ma.bit[i] & mb.bit[i];
			break;
		case 2:
			assert_ok(tr_keyset_difference(&out, &a, &b), &(tr_error){0});
			for (i = 0; i < UNIVERSE; i++)
				mo.bit[i] = ma.bit[i] & !mb.bit[i];
			break;
		case 3: {
			int64_t total = (int64_t)(rnd() % (HI + 50)) - 20;

			assert_ok(tr_keyset_complement(&out, &a, total), &(tr_error){0});
			for (i = LO; i < HI; i++)
				mo.bit[i - LO] = i >= 0 && i < total && !ma.bit[i - LO];
			/* indexes in [HI, total) are members the bitmap cannot hold */
			if (total > HI) {
				assert_true(tr_keyset_contains(&out, total - 1));
				tr_keyset_clip(&out, LO, HI);
			}
			break;
		}
		case 4: {
			int64_t lo = rnd_index(), hi = rnd_index();

			assert_ok(tr_keyset_copy(&out, &a), &(tr_error){0});
			tr_keyset_clip(&out, lo, hi);
			for (i = LO; i < HI; i++)
				mo.bit[i - LO] = ma.bit[i - LO] && i >= lo && i < hi;
			break;
		}
		default: {
			/* add ranges of b into a copy of a, in random order */
			size_t k, n = b.n, *order = malloc((n ? n : 1) * sizeof(*order));

			assert_non_null(order);
			for (k = 0; k < n; k++)
				order[k] = k;
			for (k = n; k > 1; k--) {
				size_t r = (size_t)(rnd() % k), t = order[k - 1];

				order[k - 1] = order[r];
				order[r] = t;
			}
			assert_ok(tr_keyset_copy(&out, &a), &(tr_error){0});
			for (k = 0; k < n; k++)
				assert_int_equal(tr_keyset_add_range(&out, b.ranges[order[k]].start,
								      b.ranges[order[k]].end), 0);
			free(order);
			for (i = 0; i < UNIVERSE; i++)
				mo.bit[i] = ma.bit[i] | mb.bit[i];
			break;
		}
		}
		assert_matches(&out, &mo);
		if (round % 10 == 0)
			assert_equal_to_model(&out, &mo);
	}
	tr_keyset_release(&a);
	tr_keyset_release(&b);
	tr_keyset_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_range),
		cmocka_unit_test(test_queries),
		cmocka_unit_test(test_set_operations),
		cmocka_unit_test(test_clip),
		cmocka_unit_test(test_int64_edges),
		cmocka_unit_test(test_scale),
		cmocka_unit_test(test_random_against_bitmap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
