/*
 * bench_partitions.c — speed of the partition engine (`make bench`):
 *   1. listing 1,000,000 hourly keys (UTC and America/New_York, with DST);
 *   2. key -> index and index -> key, per call;
 *   3. key-set union of two 1,000,000-key sets of hourly partitions;
 *   4. mapping 1,000,000 hourly partitions to their daily upstream partitions.
 * Goals (issue 2): each well under a second in total; lookups in microseconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tranche/partitions.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static tr_partitions *resolve(const char *text, tr_partdef **def, int64_t now)
{
	tr_part_env env = {now, NULL, NULL};
	tr_partitions *p = NULL;
	tr_error err;

	if (tr_partdef_parse(text, "bench", def, &err) ||
	    tr_partitions_resolve(*def, &env, &p, &err)) {
		fprintf(stderr, "bench: %s\n", err.msg);
		exit(1);
	}
	return p;
}

static void bench_zone(const char *zone)
{
	char text[256];
	tr_partdef *def;
	tr_partitions *p;
	tr_buf out = TR_BUF_INIT, key = TR_BUF_INIT;
	tr_error err;
	double t0, t1;
	int64_t n, idx, sum = 0;
	const int lookups = 200000;

	snprintf(text, sizeof(text), "{type: hourly, start: 2000-01-01-00:00, timezone: %s}", zone);
	/* 2000-01-01 + 1,000,000 hours = 2114-01-29 */
	p = resolve(text, &def, 946684800LL + 1000000LL * 3600);
	n = tr_partitions_count(p);
	t0 = now_s();
	for (int64_t i = 0; i < n; i++) {
		tr_partitions_key(p, i, &out, &err);
		tr_buf_addc(&out, '\n');
	}
	t1 = now_s();
	printf("list %lld hourly keys (%s): %.0f ms (%.0f ns/key, %zu bytes)\n", (long long)n,
	       zone, (t1 - t0) * 1e3, (t1 - t0) * 1e9 / (double)n, out.len);

	t0 = now_s();
	for (int i = 0; i < lookups; i++) {
		tr_buf_reset(&key);
		tr_partitions_key(p, (int64_t)i * 4 % n, &key, &err);
		sum += (int64_t)key.len;
	}
	t1 = now_s();
	printf("index -> key (%s): %.2f us per call\n", zone, (t1 - t0) * 1e6 / lookups);

	/* keys spread over the range */
	{
		char (*keys)[32] = malloc((size_t)lookups * 32);

		for (int i = 0; i < lookups; i++) {
			tr_buf_reset(&key);
			tr_partitions_key(p, (int64_t)i * 4 % n, &key, &err);
			memcpy(keys[i], key.data, key.len + 1);
		}
		t0 = now_s();
		for (int i = 0; i < lookups; i++)
			if (tr_partitions_index(p, keys[i], &idx, &err) == 0)
				sum += idx;
		t1 = now_s();
		printf("key -> index (%s): %.2f us per call\n", zone, (t1 - t0) * 1e6 / lookups);
		free(keys);
	}
	if (sum == 42)
		printf("\n");
	tr_buf_release(&out);
	tr_buf_release(&key);
	tr_partitions_free(p);
	tr_partdef_free(def);
}

static void bench_sets_and_mapping(void)
{
	tr_partdef *hdef, *ddef;
	tr_partitions *h, *d;
	tr_keyset a = TR_KEYSET_INIT, b = TR_KEYSET_INIT, u = TR_KEYSET_INIT, up = TR_KEYSET_INIT;
	tr_mapping *m;
	tr_error err;
	double t0, t1;
	int64_t now = 946684800LL + 2000001LL * 3600;

	h = resolve("{type: hourly, start: 2000-01-01-00:00}", &hdef, now);
	d = resolve("{type: daily, start: 2000-01-01}", &ddef, now);
	for (int64_t i = 0; i < 2000000; i += 2) {
		tr_keyset_add(&a, i);
		tr_keyset_add(&b, i + 1);
	}
	t0 = now_s();
	tr_keyset_union(&u, &a, &b);
	t1 = now_s();
	printf("union of two 1,000,000-key sets (alternating keys): %.2f ms -> %lld keys in %zu "
	       "range(s)\n",
	       (t1 - t0) * 1e3, (long long)tr_keyset_count(&u), u.n);

	tr_mapping_default(ddef, hdef, &m, &err);
	tr_keyset_clear(&a);
	tr_keyset_add_range(&a, 0, 1000000);
	t0 = now_s();
	tr_mapping_upstream(m, d, h, &a, &up, NULL, NULL, &err);
	t1 = now_s();
	printf("time_window mapping, 1,000,000 hourly -> %lld daily partitions: %.3f ms\n",
	       (long long)tr_keyset_count(&up), (t1 - t0) * 1e3);
	tr_mapping_free(m);
	tr_keyset_release(&a);
	tr_keyset_release(&b);
	tr_keyset_release(&u);
	tr_keyset_release(&up);
	tr_partitions_free(h);
	tr_partitions_free(d);
	tr_partdef_free(hdef);
	tr_partdef_free(ddef);
}

int main(void)
{
	printf("== partitions benchmark\n");
	bench_zone("UTC");
	bench_zone("America/New_York");
	bench_sets_and_mapping();
	return 0;
}
