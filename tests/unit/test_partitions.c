/*
 * test_partitions.c — the partition engine through its public API, plus a
 * cross-check of the two ways tick <-> index is computed: calendar arithmetic
 * (hourly/daily/weekly/monthly) against the generic cron search, over DST
 * transitions in several zones. Golden CLI files cover the user-facing rules.
 */
#include "testutil.h"

#include "partitions/partdef.h"
#include "tranche/partitions.h"

static tr_partitions *resolve_at(const char *text, int64_t now, tr_partdef **def)
{
	tr_part_env env = {now, NULL, NULL};
	tr_partitions *p = NULL;
	tr_error err;

	assert_ok(tr_partdef_parse(text, "test", def, &err), &err);
	assert_ok(tr_partitions_resolve(*def, &env, &p, &err), &err);
	return p;
}

/* 2024-01-01T00:00:00Z */
#define T2024 1704067200LL

static void check_same(const char *text, int64_t now)
{
	tr_partdef *a_def, *g_def;
	tr_partitions *a, *g;
	tr_buf ka = TR_BUF_INIT, kg = TR_BUF_INIT;
	tr_error err;
	int64_t n, idx;

	a = resolve_at(text, now, &a_def);
	assert_int_not_equal(a_def->time->kind, TW_GENERIC);
	assert_ok(tr_partdef_parse(text, "test", &g_def, &err), &err);
	tw_force_generic(g_def);
	{
		tr_part_env env = {now, NULL, NULL};

		assert_ok(tr_partitions_resolve(g_def, &env, &g, &err), &err);
	}
	n = tr_partitions_count(a);
	if (n != tr_partitions_count(g))
		fail_msg("%s: count %lld (arithmetic) != %lld (search)", text, (long long)n,
			 (long long)tr_partitions_count(g));
	assert_true(n > 0);
	for (int64_t i = -3; i < n + 3; i++) {
		int64_t s1, e1, s2, e2;

		assert_ok(tr_partitions_window(a, i, &s1, &e1, &err), &err);
		assert_ok(tr_partitions_window(g, i, &s2, &e2, &err), &err);
		if (s1 != s2 || e1 != e2)
			fail_msg("%s: window %lld differs: [%lld,%lld) vs [%lld,%lld)", text,
				 (long long)i, (long long)s1, (long long)e1, (long long)s2, (long long)e2);
		assert_true(e1 > s1);
		tr_buf_reset(&ka);
		tr_buf_reset(&kg);
		assert_ok(tr_partitions_key(a, i, &ka, &err), &err);
		assert_ok(tr_partitions_key(g, i, &kg, &err), &err);
		assert_string_equal(tr_buf_str(&ka), tr_buf_str(&kg));
		/* every key reads back to its index, in both */
		idx = -99;
		tr_partitions_index(a, tr_buf_str(&ka), &idx, NULL);
		if (idx != i)
			fail_msg("%s: key %s -> %lld, expected %lld", text, tr_buf_str(&ka),
				 (long long)idx, (long long)i);
		idx = -99;
		tr_partitions_index(g, tr_buf_str(&kg), &idx, NULL);
		assert_int_equal(idx, i);
		assert_int_equal(tr_partitions_has(a, tr_buf_str(&ka)), i >= 0 && i < n);
		/* index_at inside the window */
		assert_int_equal(tr_partitions_index_at(a, s1), i);
		assert_int_equal(tr_partitions_index_at(a, e1 - 1), i);
		assert_int_equal(tr_partitions_index_at(g, s1 + (e1 - s1) / 2), i);
	}
	tr_buf_release(&ka);
	tr_buf_release(&kg);
	tr_partitions_free(a);
	tr_partitions_free(g);
	tr_partdef_free(a_def);
	tr_partdef_free(g_def);
}

static const char *const zones[] = {"UTC", "US/Pacific", "Europe/Berlin", "Asia/Kolkata",
				    "America/Sao_Paulo", "Australia/Sydney", "America/Havana", NULL};

static void test_arithmetic_matches_search(void **state)
{
	char text[256];

	(void)state;
	for (const char *const *z = zones; *z; z++) {
		snprintf(text, sizeof(text), "{type: daily, start: 2016-01-01, timezone: %s}", *z);
		check_same(text, T2024);
		snprintf(text, sizeof(text),
			 "{type: daily, start: 2017-01-01, hour_offset: 2, minute_offset: 30, "
			 "timezone: %s}",
			 *z);
		check_same(text, T2024);
		snprintf(text, sizeof(text), "{type: weekly, start: 2010-01-01, day_offset: 6, hour_offset: 1, timezone: %s}", *z);
		check_same(text, T2024);
		snprintf(text, sizeof(text), "{type: monthly, start: 1990-01-01, day_offset: 28, timezone: %s}", *z);
		check_same(text, T2024);
		snprintf(text, sizeof(text), "{type: hourly, start: 2023-01-01-00:00, minute_offset: 20, timezone: %s}", *z);
		check_same(text, T2024);
	}
}

static void test_hourly_count_million(void **state)
{
	tr_partdef *def;
	tr_partitions *p;
	tr_buf key = TR_BUF_INIT;
	tr_error err;
	int64_t idx;

	(void)state;
	p = resolve_at("{type: hourly, start: 2000-01-01-00:00}", 946684800LL + 1000000LL * 3600, &def);
	assert_int_equal(tr_partitions_count(p), 1000000);
	assert_ok(tr_partitions_key(p, 999999, &key, &err), &err);
	assert_string_equal(tr_buf_str(&key), "2114-01-29-15:00");
	assert_ok(tr_partitions_index(p, "2114-01-29-15:00", &idx, &err), &err);
	assert_int_equal(idx, 999999);
	assert_int_equal(tr_partitions_index(p, "2114-01-29-16:00", &idx, &err), TR_ERANGE);
	tr_buf_release(&key);
	tr_partitions_free(p);
	tr_partdef_free(def);
}

static void test_generic_cron_table(void **state)
{
	tr_partdef *def;
	tr_partitions *p;
	tr_buf key = TR_BUF_INIT;
	tr_error err;
	int64_t idx;

	(void)state;
	/* weekdays at 09:30 in New York over 4 years: about 1,040 partitions */
	p = resolve_at("{type: cron, cron: \"30 9 * * 1-5\", start: 2020-01-01, timezone: America/New_York, fmt: \"%Y-%m-%d\"}",
		       T2024, &def);
	/* 1,043 weekdays in 2020-2023; the last one (2023-12-29) is not complete until 2024-01-01 09:30 */
	assert_int_equal(tr_partitions_count(p), 1042);
	assert_ok(tr_partitions_key(p, 0, &key, &err), &err);
	assert_string_equal(tr_buf_str(&key), "2020-01-01");
	assert_ok(tr_partitions_index(p, "2020-01-06", &idx, &err), &err);
	assert_int_equal(idx, 3);
	assert_int_equal(tr_partitions_index(p, "2020-01-04", &idx, &err), TR_EINVAL); /* a Saturday */
	tr_buf_release(&key);
	tr_partitions_free(p);
	tr_partdef_free(def);
}

static void test_multi_split_join(void **state)
{
	tr_partdef *def;
	tr_partitions *p;
	tr_buf key = TR_BUF_INIT;
	tr_error err;
	int64_t dix[3], idx;

	(void)state;
	p = resolve_at("{type: multi, dimensions: {c: {type: static, keys: [x, y, z]}, a: {type: daily, start: 2024-01-01}, b: {type: static, keys: [p, q]}}}",
		       T2024 + 10 * 86400, &def);
	assert_int_equal(tr_partitions_count(p), 10 * 2 * 3);
	assert_string_equal(tr_partdef_dimension_name(def, 0), "a");
	for (int64_t i = 0; i < tr_partitions_count(p); i++) {
		tr_partitions_split(p, i, dix);
		assert_int_equal(tr_partitions_join(p, dix), i);
		tr_buf_reset(&key);
		assert_ok(tr_partitions_key(p, i, &key, &err), &err);
		assert_ok(tr_partitions_index(p, tr_buf_str(&key), &idx, &err), &err);
		assert_int_equal(idx, i);
	}
	tr_buf_reset(&key);
	tr_partitions_key(p, 7, &key, &err);
	assert_string_equal(tr_buf_str(&key), "2024-01-02|p|y");
	assert_int_equal(tr_partitions_index(p, "2024-01-02|p", &idx, &err), TR_EINVAL);
	assert_int_equal(tr_partitions_index(p, "2024-01-02|p|w", &idx, &err), TR_EINVAL);
	assert_int_equal(tr_partitions_index(p, "2025-01-02|p|x", &idx, &err), TR_ERANGE);
	tr_buf_release(&key);
	tr_partitions_free(p);
	tr_partdef_free(def);
}

static int dyn_keys(void *ctx, const char *name, char ***keys, size_t *n, tr_error *err)
{
	(void)ctx;
	(void)err;
	*n = 0;
	*keys = NULL;
	if (strcmp(name, "s"))
		return 0;
	*keys = calloc(2, sizeof(char *));
	(*keys)[0] = strdup("IBM");
	(*keys)[1] = strdup("AAPL");
	*n = 2;
	return 0;
}

static void test_dynamic(void **state)
{
	tr_partdef *def;
	tr_partitions *p;
	tr_part_env env = {T2024, dyn_keys, NULL};
	tr_error err;
	int64_t idx;

	(void)state;
	assert_ok(tr_partdef_parse("{type: dynamic, name: s}", "t", &def, &err), &err);
	assert_ok(tr_partitions_resolve(def, &env, &p, &err), &err);
	assert_int_equal(tr_partitions_count(p), 2);
	assert_ok(tr_partitions_index(p, "AAPL", &idx, &err), &err);
	assert_int_equal(idx, 1);
	assert_int_equal(tr_partitions_index(p, "MSFT", &idx, &err), TR_ERANGE);
	assert_non_null(strstr(err.msg, "tranche partitions add s MSFT"));
	tr_partitions_free(p);
	tr_partdef_free(def);
}

static void test_mapping_ranges(void **state)
{
	tr_partdef *hd, *dd;
	tr_partitions *h, *d;
	tr_mapping *m;
	tr_keyset in = TR_KEYSET_INIT, out = TR_KEYSET_INIT;
	tr_buf missing = TR_BUF_INIT;
	size_t n_missing = 0;
	tr_error err;

	(void)state;
	h = resolve_at("{type: hourly, start: 2024-01-01-00:00, timezone: US/Pacific}", T2024 + 400 * 86400LL, &hd);
	d = resolve_at("{type: daily, start: 2024-01-01, timezone: US/Pacific}", T2024 + 400 * 86400LL, &dd);
	assert_ok(tr_mapping_default(hd, dd, &m, &err), &err);
	assert_string_equal(tr_mapping_type_name(m), "time_window");
	/* the whole of 2024 in one range: one range out, 8784 hours (366 days, DST nets to 0) */
	tr_keyset_add_range(&in, 0, 366);
	assert_ok(tr_mapping_upstream(m, h, d, &in, &out, &missing, &n_missing, &err), &err);
	assert_int_equal(out.n, 1);
	assert_int_equal(tr_keyset_count(&out), 366 * 24);
	assert_int_equal(n_missing, 0);
	/* 2024-03-10 (index 69) is 23 hours, 2024-11-03 (index 307) is 25 */
	tr_keyset_clear(&in);
	tr_keyset_add(&in, 69);
	assert_ok(tr_mapping_upstream(m, h, d, &in, &out, &missing, &n_missing, &err), &err);
	assert_int_equal(tr_keyset_count(&out), 23);
	tr_keyset_clear(&in);
	tr_keyset_add(&in, 307);
	assert_ok(tr_mapping_upstream(m, h, d, &in, &out, &missing, &n_missing, &err), &err);
	assert_int_equal(tr_keyset_count(&out), 25);
	/* and back: those 25 hours map to that one day */
	{
		tr_keyset back = TR_KEYSET_INIT;

		assert_ok(tr_mapping_downstream(m, h, d, &out, &back, &err), &err);
		assert_int_equal(tr_keyset_count(&back), 1);
		assert_true(tr_keyset_contains(&back, 307));
		tr_keyset_release(&back);
	}
	tr_mapping_free(m);
	tr_keyset_release(&in);
	tr_keyset_release(&out);
	tr_buf_release(&missing);
	tr_partitions_free(h);
	tr_partitions_free(d);
	tr_partdef_free(hd);
	tr_partdef_free(dd);
}

static void test_refused_definitions_write_nothing(void **state)
{
	static const char *const bad[] = {
		"{type: weekly, start: 2024-01-01, day_offset: 8}",
		"{type: monthly, start: 2024-01-01, day_offset: 0}",
		"{type: monthly, start: 2024-01-01, day_offset: 32}",
		"{type: cron, cron: \"0 0 31 2 *\", start: 2024-01-01}",
		"{type: daily, start: 2024-01-01, timezone: Nowhere/Special}",
		"{type: daily, start: not-a-date}",
		"{type: static, keys: [a, a]}",
		"{type: multi, dimensions: {a: {type: daily, start: 2024-01-01}, b: {type: weekly, start: 2024-01-01}}}",
		NULL,
	};
	tr_partdef *def = (tr_partdef *)1;
	tr_error err;

	(void)state;
	for (const char *const *b = bad; *b; b++) {
		tr_error_clear(&err);
		assert_int_equal(tr_partdef_parse(*b, "def", &def, &err), TR_EINVAL);
		assert_null(def);
		assert_non_null(strstr(err.msg, "def:1:"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arithmetic_matches_search),
		cmocka_unit_test(test_hourly_count_million),
		cmocka_unit_test(test_generic_cron_table),
		cmocka_unit_test(test_multi_split_join),
		cmocka_unit_test(test_dynamic),
		cmocka_unit_test(test_mapping_ranges),
		cmocka_unit_test(test_refused_definitions_write_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
