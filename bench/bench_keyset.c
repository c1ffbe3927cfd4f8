/*
 * bench_keyset.c — timings for partition index sets (tranche/keyset.h):
 * unions of two 1,000,000-index sets in three shapes (contiguous, evens |
 * odds, random 50% density) and the cost of one contains lookup.
 * Run by `make bench`; prints one line per figure, takes well under 5 s.
 * Each figure is the best of a few repetitions, to keep noise out.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tranche/keyset.h"

#define REPEAT 5
#define LOOKUPS 1000000

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t next_random(uint64_t *state)
{
	/* xorshift64*: a fixed sequence, so runs compare */
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 2685821657736338717u;
}

static int fill_step(tr_keyset *ks, int64_t first, int64_t step, int64_t count)
{
	int64_t i;

	for (i = 0; i < count; i++)
		if (tr_keyset_add(ks, first + i * step))
			return -1;
	return 0;
}

static int fill_random(tr_keyset *ks, int64_t universe, uint64_t *state)
{
	int64_t i;

	for (i = 0; i < universe; i++)
		if ((next_random(state) >> 33) & 1)
			if (tr_keyset_add(ks, i))
				return -1;
	return 0;
}

/* Best-of-REPEAT time of out = a | b, in milliseconds; -1 on failure. */
static double time_union(tr_keyset *out, const tr_keyset *a, const tr_keyset *b)
{
	double best = -1;
	int r;

	for (r = 0; r < REPEAT; r++) {
		double t0 = now_ms(), t;

		if (tr_keyset_union(out, a, b))
			return -1;
		t = now_ms() - t0;
		if (best < 0 || t < best)
			best = t;
	}
	return best;
}

/* v with thousands separators: 1000000 -> "1,000,000". */
static const char *grouped(char *text, size_t size, long long v)
{
	char digits[32];
	int n = snprintf(digits, sizeof(digits), "%lld", v < 0 ? -v : v), i;
	size_t at = 0;

	if (v < 0 && at + 1 < size)
		text[at++] = '-';
	for (i = 0; i < n && at + 1 < size; i++) {
		if (i > 0 && (n - i) % 3 == 0 && at + 2 < size)
			text[at++] = ',';
		text[at++] = digits[i];
	}
	text[at] = '\0';
	return text;
}

static int report_union(const char *shape, const tr_keyset *a, const tr_keyset *b)
{
	tr_keyset out = TR_KEYSET_INIT;
	double ms = time_union(&out, a, b);
	char na[32], nb[32];

	if (ms < 0) {
		tr_keyset_release(&out);
		return -1;
	}
	printf("keyset union, %s, %s + %s indexes: %.3f ms (%zu + %zu ranges -> %zu)\n", shape,
	       grouped(na, sizeof(na), (long long)tr_keyset_count(a)),
	       grouped(nb, sizeof(nb), (long long)tr_keyset_count(b)), ms, a->n, b->n, out.n);
	tr_keyset_release(&out);
	return 0;
}

/* ns per contains() over random probes in [0, universe). */
static double time_contains(const tr_keyset *ks, int64_t universe, uint64_t *state, int64_t *hits)
{
	double t0, best = -1;
	int r;
	long i;

	for (r = 0; r < 2; r++) {
		uint64_t s = *state;

		*hits = 0;
		t0 = now_ms();
		for (i = 0; i < LOOKUPS; i++)
			*hits += tr_keyset_contains(ks, (int64_t)(next_random(&s) % (uint64_t)universe));
		t0 = (now_ms() - t0) * 1e6 / LOOKUPS;
		if (best < 0 || t0 < best)
			best = t0;
	}
	return best;
}

int main(void)
{
	tr_keyset a = TR_KEYSET_INIT, b = TR_KEYSET_INIT;
	uint64_t state = 0x9E3779B97F4A7C15u;
	int64_t hits;
	double ns;
	int rc = 1;

	if (fill_step(&a, 0, 1, 1000000) || fill_step(&b, 500000, 1, 1000000))
		goto out;
	if (report_union("contiguous, overlapping by half", &a, &b))
		goto out;

	tr_keyset_clear(&a);
	tr_keyset_clear(&b);
	if (fill_step(&a, 0, 2, 1000000) || fill_step(&b, 1, 2, 1000000))
		goto out;
	if (report_union("evens|odds", &a, &b))
		goto out;
	ns = time_contains(&a, 2000000, &state, &hits);
	printf("keyset contains, %zu ranges: %.1f ns per lookup (%lld of %d hit)\n", a.n, ns,
	       (long long)hits, LOOKUPS);

	tr_keyset_clear(&a);
	tr_keyset_clear(&b);
	if (fill_random(&a, 2000000, &state) || fill_random(&b, 2000000, &state))
		goto out;
	if (report_union("random 50% of 2,000,000 each", &a, &b))
		goto out;
	ns = time_contains(&a, 2000000, &state, &hits);
	printf("keyset contains, %zu ranges: %.1f ns per lookup (%lld of %d hit)\n", a.n, ns,
	       (long long)hits, LOOKUPS);

	/* a set that fits in cache, as most partition sets do */
	tr_keyset_clear(&a);
	if (fill_step(&a, 0, 2, 1000))
		goto out;
	ns = time_contains(&a, 2000, &state, &hits);
	printf("keyset contains, %zu ranges: %.1f ns per lookup (%lld of %d hit)\n", a.n, ns,
	       (long long)hits, LOOKUPS);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "bench_keyset: out of memory\n");
	tr_keyset_release(&a);
	tr_keyset_release(&b);
	return rc;
}
