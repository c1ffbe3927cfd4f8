/*
 * test_cron.c — cron.c against croniter (as vendored in Dagster).
 *
 * Expected field sets, star flags and fire times were computed once from a
 * transcription of croniter's expand() plus a brute-force day scan, and
 * pasted in; the tests never call Python.
 */
#include "testutil.h"

#include "base/civil.h"
#include "base/cron.h"
#include "base/timefmt.h"

static int64_t wall_of(int y, int mon, int d, int h, int mi)
{
	return tr_days_from_civil(y, mon, d) * TR_SECS_PER_DAY + (int64_t)h * 3600 + mi * 60;
}

/* "YYYY-MM-DD HH:MM" of a wall, for readable comparisons. */
static const char *show(int64_t wall, char *out, size_t n)
{
	tr_buf b = TR_BUF_INIT;
	tr_error err;
	tr_tm tm;

	tr_tm_from_wall(wall, &tm);
	assert_ok(tr_time_format(&b, "%Y-%m-%d %H:%M", &tm, &err), &err);
	snprintf(out, n, "%s", tr_buf_str(&b));
	tr_buf_release(&b);
	return out;
}

static tr_cron parse_ok(const char *expr)
{
	tr_cron c;
	tr_error err;

	tr_error_clear(&err);
	if (tr_cron_parse(expr, &c, &err) != 0)
		fail_msg("cron \"%s\": %s", expr, err.msg);
	return c;
}

/* -------------------------------------------------------------- parsing */

static void test_parse_fields_like_croniter(void **state)
{
	static const struct {
		const char *expr;
		uint64_t minutes;
		uint32_t hours, mdays;
		uint16_t months;
		uint8_t wdays;
		int mday_star, wday_star;
	} cases[] = {
		{"* * * * *", 0xfffffffffffffffULL, 0xffffff, 0xfffffffe, 0x1ffe, 0x7f, 1, 1},
		{"0 0 * * *", 0x1ULL, 0x1, 0xfffffffe, 0x1ffe, 0x7f, 1, 1},
		{"*/15 * * * *", 0x200040008001ULL, 0xffffff, 0xfffffffe, 0x1ffe, 0x7f, 1, 1},
		{"5,10-12,20-30/5 * * * *", 0x42101c20ULL, 0xffffff, 0xfffffffe, 0x1ffe, 0x7f, 1, 1},
		{"0 9-17/2 * * *", 0x1ULL, 0x2aa00, 0xfffffffe, 0x1ffe, 0x7f, 1, 1},
		{"0 0 1,15 * *", 0x1ULL, 0x1, 0x8002, 0x1ffe, 0x7f, 0, 1},
		{"0 0 * jan,Mar-MAY,dec *", 0x1ULL, 0x1, 0xfffffffe, 0x103a, 0x7f, 1, 1},
		{"0 0 * * mon-fri", 0x1ULL, 0x1, 0xfffffffe, 0x1ffe, 0x3e, 1, 0},
		{"0 0 * * 7", 0x1ULL, 0x1, 0xfffffffe, 0x1ffe, 0x1, 1, 0},
		{"0 0 * * 0,7", 0x1ULL, 0x1, 0xfffffffe, 0x1ffe, 0x1, 1, 0},
		{"0 0 * * fri-sun", 0x1ULL, 0x1, 0xfffffffe, 0x1ffe, 0x61, 1, 0},
		{"0 0 * * 5-0", 0x1ULL, 0x1, 0xfffffffe, 0x1ffe, 0x61, 1, 0},
		{"0 0 * * 0-7", 0x1ULL, 0x1, 0xfffffffe, 0x1ffe, 0x7f, 1, 1},
		{"0 0 * * */2", 0x1ULL, 0x1, 0xfffffffe, 0x1ffe, 0x55, 1, 0},
		{"0 0 * * 1/2", 0x1ULL, 0x1, 0xfffffffe, 0x1ffe, 0x2a, 1, 0},
		{"0 0 * * 7/3", 0x1ULL, 0x1, 0xfffffffe, 0x1ffe, 0x49, 1, 0},
		{"0 0 */10 * *", 0x1ULL, 0x1, 0x80200802, 0x1ffe, 0x7f, 0, 1},
		{"0 0 5/10 * *", 0x1ULL, 0x1, 0x2008020, 0x1ffe, 0x7f, 0, 1},
		{"30 2 * */4 *", 0x40000000ULL, 0x4, 0xfffffffe, 0x222, 0x7f, 1, 1},
		{"0 0 1-31 * *", 0x1ULL, 0x1, 0xfffffffe, 0x1ffe, 0x7f, 1, 1},
		{"0 0 1-31 * 5", 0x1ULL, 0x1, 0xfffffffe, 0x1ffe, 0x20, 0, 0},
		{"0 0 1-31 * */2", 0x1ULL, 0x1, 0xfffffffe, 0x1ffe, 0x55, 1, 0},
		{"0 0 */1 * 5", 0x1ULL, 0x1, 0xfffffffe, 0x1ffe, 0x20, 0, 0},
		{"0 0 */2 * */1", 0x1ULL, 0x1, 0xaaaaaaaa, 0x1ffe, 0x7f, 0, 1},
		{"0 0 ? * 1", 0x1ULL, 0x1, 0xfffffffe, 0x1ffe, 0x2, 1, 0},
		{"0 0 13 * ?", 0x1ULL, 0x1, 0x2000, 0x1ffe, 0x7f, 0, 1},
		{"0 0 13 * 5", 0x1ULL, 0x1, 0x2000, 0x1ffe, 0x20, 0, 0},
		{"@yearly", 0x1ULL, 0x1, 0x2, 0x2, 0x7f, 0, 1},
		{"@annually", 0x1ULL, 0x1, 0x2, 0x2, 0x7f, 0, 1},
		{"@monthly", 0x1ULL, 0x1, 0x2, 0x1ffe, 0x7f, 0, 1},
		{"@weekly", 0x1ULL, 0x1, 0xfffffffe, 0x1ffe, 0x1, 1, 0},
		{"@daily", 0x1ULL, 0x1, 0xfffffffe, 0x1ffe, 0x7f, 1, 1},
		{"@midnight", 0x1ULL, 0x1, 0xfffffffe, 0x1ffe, 0x7f, 1, 1},
		{"@hourly", 0x1ULL, 0xffffff, 0xfffffffe, 0x1ffe, 0x7f, 1, 1},
		{"@DAILY", 0x1ULL, 0x1, 0xfffffffe, 0x1ffe, 0x7f, 1, 1},
		{"0 0 29 2 *", 0x1ULL, 0x1, 0x20000000, 0x4, 0x7f, 0, 1},
		{"*/100 */30 */40 */20 */10", 0x1ULL, 0x1, 0x2, 0x2, 0x1, 0, 0},
		{"00 007 01 01 00", 0x1ULL, 0x80, 0x2, 0x2, 0x1, 0, 0},
		{" 0\t0  * *  * ", 0x1ULL, 0x1, 0xfffffffe, 0x1ffe, 0x7f, 1, 1},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tr_cron c = parse_ok(cases[i].expr);

		if (c.minutes != cases[i].minutes || c.hours != cases[i].hours || c.mdays != cases[i].mdays ||
		    c.months != cases[i].months || c.wdays != cases[i].wdays ||
		    c.mday_star != cases[i].mday_star || c.wday_star != cases[i].wday_star)
			fail_msg("cron \"%s\": got %llx %x %x %x %x stars %d%d", cases[i].expr,
				 (unsigned long long)c.minutes, c.hours, c.mdays, c.months, c.wdays, c.mday_star,
				 c.wday_star);
	}
}

static void test_parse_other_star_flags(void **state)
{
	tr_cron c;

	(void)state;
	c = parse_ok("* * * * *");
	assert_true(c.minute_star && c.hour_star && c.mday_star && c.month_star && c.wday_star);
	c = parse_ok("*/1 0-23 * 1-12 *");
	assert_true(c.minute_star && c.hour_star && c.month_star);
	c = parse_ok("0 */2 * 1-11 *");
	assert_false(c.minute_star || c.hour_star || c.month_star);
}

static void assert_refused(const char *expr, const char *want)
{
	tr_cron c;
	tr_error err;

	memset(&c, 0x5a, sizeof c);
	tr_error_clear(&err);
	assert_int_equal(tr_cron_parse(expr, &c, &err), TR_EINVAL);
	assert_int_equal(err.code, TR_EINVAL);
	if (want && strcmp(err.msg, want) != 0)
		fail_msg("cron \"%s\":\n got: %s\nwant: %s", expr, err.msg, want);
	if (!want) {
		char head[200];

		snprintf(head, sizeof head, "cron \"%s\"", expr);
		if (strncmp(err.msg, head, strlen(head)) != 0)
			fail_msg("cron \"%s\": message does not name it: %s", expr, err.msg);
	}
	assert_int_equal(c.minutes, 0x5a5a5a5a5a5a5a5aULL); /* untouched on error */
}

static void test_parse_refuses_malformed(void **state)
{
	static const char *bad[] = {
		"",           "   ",          "* * * *",       "* * * * * *",   "* * * * * * *",
		"60 * * * *", "* 24 * * *",   "* * 0 * *",     "* * 32 * *",    "* * * 0 *",
		"* * * 13 *", "* * * * 8",    "*/0 * * * *",   "5-1 * * * *",   "a b c d e",
		"1,,2 * * * *", ",1 * * * *", "1, * * * *",    "5- * * * *",    "-5 * * * *",
		"*/x * * * *", "*/ * * * *",  "1-2-3 * * * *", "*,5 * * * *",   "*-5 * * * *",
		"5/ * * * *", "/5 * * * *",   "0 0 L * *",     "0 0 * * 1#2",   "H * * * *",
		"0 5-5 * * *", "59/5 * * * *", "0 0 * nov-feb *", "? * * * *",   "0 0 1? * *",
		"0 0 * january *", "0 0 * * monday", "mon * * * *", "0 0 * jan-feb-mar *", "0 0 * * 3-3",
		"0 0 * * 6/2", "1.5 * * * *", "+5 * * * *", "0 0 * * sun-mon-tue", "@every 5m",
		" @daily",    "0 0 31 2 *",    "0 0 30 2 *",    "0 0 31 4,6,9,11 *", "0 0 31 2,4 *",
		"0 0 30,31 2 *",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_refused(bad[i], NULL);
}

static void test_parse_messages(void **state)
{
	(void)state;
	assert_refused("0 25 * * *", "cron \"0 25 * * *\": hour field \"25\" is out of range 0-23");
	assert_refused("0 1,25 * * *", "cron \"0 1,25 * * *\": hour field \"1,25\": 25 is out of range 0-23");
	assert_refused("0 20-25 * * *", "cron \"0 20-25 * * *\": hour field \"20-25\": 25 is out of range 0-23");
	assert_refused("", "cron \"\": expected 5 fields (minute hour day-of-month month day-of-week), found 0");
	assert_refused("* * * *",
		       "cron \"* * * *\": expected 5 fields (minute hour day-of-month month day-of-week), found 4");
	assert_refused("0 0 0 * * *", "cron \"0 0 0 * * *\": expected 5 fields (minute hour day-of-month month "
				      "day-of-week), found 6 (croniter's seconds and year fields are not supported)");
	assert_refused("*/0 * * * *", "cron \"*/0 * * * *\": minute field \"*/0\" is not valid: the step must be "
				      "at least 1");
	assert_refused("5-1 * * * *",
		       "cron \"5-1 * * * *\": minute field \"5-1\" is a reversed range (5 > 1), which croniter "
		       "(Dagster) wraps around; write it as two ranges, e.g. 5-59,0-1");
	assert_refused("0 5-5 * * *",
		       "cron \"0 5-5 * * *\": hour field \"5-5\" is a range with equal ends, which croniter "
		       "(Dagster) reads as the whole field 0-23; write 5 for the single value");
	assert_refused("a b c d e", "cron \"a b c d e\": minute field \"a\" is not valid: \"a\" is not a number "
				    "0-59 (expected *, N, N-M, */S, N-M/S or N/S)");
	assert_refused("0 0 * * monday",
		       "cron \"0 0 * * monday\": day-of-week field \"monday\" is not valid: expected *, a number "
		       "0-7 or a name sun..sat, optionally as a range N-M and with a step /S");
	assert_refused("0 0 30 2 *", "cron \"0 0 30 2 *\" can never fire: no month in month field \"2\" has a "
				     "day in day-of-month field \"30\"");
	assert_refused("0 0 31 4,6,9,11 *",
		       "cron \"0 0 31 4,6,9,11 *\" can never fire: no month in month field \"4,6,9,11\" has a "
		       "day in day-of-month field \"31\"");
	assert_refused("0 0 L * *", "cron \"0 0 L * *\": day-of-month field \"L\" uses croniter's "
				    "last-day-of-month syntax (L), which tranche does not support");
	assert_refused("0 0 * * 1#2", "cron \"0 0 * * 1#2\": day-of-week field \"1#2\" uses croniter's "
				      "nth-weekday syntax (#), which tranche does not support");
	assert_refused("*,5 * * * *", "cron \"*,5 * * * *\": minute field \"*,5\": \"*\" cannot be combined "
				      "with other values in a list");
	assert_refused("0 0 \"\n * *", "cron \"0 0 \\\"\\x0a * *\": day-of-month field \"\\\"\" is not valid: "
				       "\"\\\"\" is not a number 1-31 (expected *, N, N-M, */S, N-M/S or N/S)");
}

static void test_parse_accepts_what_can_fire(void **state)
{
	tr_cron c;

	(void)state;
	c = parse_ok("0 0 29 2 *");   /* leap years only */
	c = parse_ok("0 0 31 2,3 *"); /* March 31 */
	c = parse_ok("0 0 30 2 5");   /* OR rule: every Friday in February */
	assert_int_equal(c.months, 1 << 2);
	c = parse_ok("0 0 31 4 */2"); /* day-of-week restricts (text has *), day-of-month is OR'd */
	assert_int_equal(c.wday_star, 0);
}

/* ------------------------------------------------------------ next/prev */

static void assert_sequence(const char *expr, int64_t start, int prev, const char *const *want, int n)
{
	tr_cron c = parse_ok(expr);
	int64_t w = start;
	char got[32];
	int i;

	for (i = 0; i < n; i++) {
		w = prev ? tr_cron_prev(&c, w) : tr_cron_next(&c, w);
		show(w, got, sizeof got);
		if (strcmp(got, want[i]) != 0)
			fail_msg("cron \"%s\" %s #%d: got %s, want %s", expr, prev ? "prev" : "next", i + 1, got,
				 want[i]);
		assert_int_equal(tr_cron_matches(&c, w), 1);
	}
}

static void test_next_prev_like_croniter(void **state)
{
	static const char *or_rule[] = {"2024-09-06 00:00", "2024-09-13 00:00", "2024-09-20 00:00",
					"2024-09-27 00:00", "2024-10-04 00:00", "2024-10-11 00:00",
					"2024-10-13 00:00", "2024-10-18 00:00"};
	static const char *feb29_next[] = {"2028-02-29 00:00", "2032-02-29 00:00", "2036-02-29 00:00"};
	static const char *feb29_prev[] = {"2024-02-29 00:00", "2020-02-29 00:00", "2016-02-29 00:00"};
	static const char *full_dom_star_dow[] = {"2024-01-02 00:00", "2024-01-04 00:00", "2024-01-06 00:00",
						  "2024-01-07 00:00"};
	static const char *full_dom_or[] = {"2024-01-02 00:00", "2024-01-03 00:00", "2024-01-04 00:00"};
	static const char *odd_days[] = {"2024-01-31 00:00", "2024-02-01 00:00", "2024-02-03 00:00"};
	static const char *year_end_next[] = {"2024-12-31 23:30", "2025-12-31 23:30"};
	static const char *year_end_prev[] = {"2023-12-31 23:30", "2022-12-31 23:30"};
	static const char *workdays_next[] = {"2024-05-24 17:45", "2024-05-27 09:00", "2024-05-27 09:15"};
	static const char *workdays_prev[] = {"2024-05-24 17:45", "2024-05-24 17:30", "2024-05-24 17:15"};
	static const char *sunday7[] = {"2024-05-26 00:00", "2024-06-02 00:00"};
	static const char *jan_jul[] = {"2024-07-01 12:00", "2025-01-01 12:00", "2025-07-01 12:00"};
	static const char *feb_end[] = {"2023-02-28 00:00", "2024-02-28 00:00", "2024-02-29 00:00",
					"2025-02-28 00:00"};
	static const char *epoch_next[] = {"1970-01-01 00:00", "1971-01-01 00:00"};
	static const char *epoch_prev[] = {"1969-01-01 00:00", "1968-01-01 00:00"};
	static const char *weekend[] = {"2024-05-24 00:00", "2024-05-25 00:00", "2024-05-26 00:00",
					"2024-05-31 00:00"};
	static const char *day31_next[] = {"2024-03-31 00:00", "2024-05-31 00:00", "2024-07-31 00:00",
					   "2024-08-31 00:00"};
	static const char *day31_prev[] = {"2024-03-31 00:00", "2024-01-31 00:00", "2023-12-31 00:00"};

	(void)state;
	assert_sequence("0 0 13 * 5", wall_of(2024, 9, 1, 0, 0), 0, or_rule, 8);
	assert_sequence("0 0 29 2 *", wall_of(2025, 1, 1, 0, 0), 0, feb29_next, 3);
	assert_sequence("0 0 29 2 *", wall_of(2025, 1, 1, 0, 0), 1, feb29_prev, 3);
	assert_sequence("0 0 1-31 * */2", wall_of(2024, 1, 1, 0, 0), 0, full_dom_star_dow, 4);
	assert_sequence("0 0 1-31 * 5", wall_of(2024, 1, 1, 0, 0), 0, full_dom_or, 3);
	assert_sequence("0 0 */2 * */1", wall_of(2024, 1, 30, 0, 0), 0, odd_days, 3);
	assert_sequence("30 23 31 12 *", wall_of(2024, 6, 1, 0, 0), 0, year_end_next, 2);
	assert_sequence("30 23 31 12 *", wall_of(2024, 6, 1, 0, 0), 1, year_end_prev, 2);
	assert_sequence("*/15 9-17 * * mon-fri", wall_of(2024, 5, 24, 17, 40), 0, workdays_next, 3);
	assert_sequence("*/15 9-17 * * mon-fri", wall_of(2024, 5, 27, 9, 0), 1, workdays_prev, 3);
	assert_sequence("0 0 * * 7", wall_of(2024, 5, 21, 0, 0), 0, sunday7, 2);
	assert_sequence("0 12 1 jan,jul *", wall_of(2024, 2, 1, 0, 0), 0, jan_jul, 3);
	assert_sequence("0 0 28-31 2 *", wall_of(2023, 2, 1, 0, 0), 0, feb_end, 4);
	assert_sequence("0 0 1 1 *", wall_of(1969, 6, 1, 0, 0), 0, epoch_next, 2);
	assert_sequence("0 0 1 1 *", wall_of(1970, 1, 1, 0, 0), 1, epoch_prev, 2);
	assert_sequence("0 0 * * fri-sun", wall_of(2024, 5, 20, 0, 0), 0, weekend, 4);
	assert_sequence("0 0 31 * *", wall_of(2024, 1, 31, 0, 0) + 30, 0, day31_next, 4);
	assert_sequence("0 0 31 * *", wall_of(2024, 4, 1, 0, 0), 1, day31_prev, 3);
}

static void test_next_prev_are_strict_and_minute_aligned(void **state)
{
	tr_cron c = parse_ok("0 * * * *");
	int64_t t = wall_of(2024, 5, 21, 13, 0);

	(void)state;
	assert_int_equal(tr_cron_next(&c, t), t + 3600);
	assert_int_equal(tr_cron_next(&c, t - 1), t);
	assert_int_equal(tr_cron_next(&c, t + 59), t + 3600);
	assert_int_equal(tr_cron_prev(&c, t), t - 3600);
	assert_int_equal(tr_cron_prev(&c, t + 1), t);
	assert_int_equal(tr_cron_prev(&c, t + 3599), t);
	/* Seconds are ignored by matches. */
	assert_int_equal(tr_cron_matches(&c, t + 59), 1);
	assert_int_equal(tr_cron_matches(&c, t + 60), 0);
	/* Before 1970 (negative walls) too. */
	t = wall_of(1969, 12, 31, 23, 0);
	assert_true(t < 0);
	assert_int_equal(tr_cron_next(&c, t - 30), t);
	assert_int_equal(tr_cron_next(&c, t), 0);
	assert_int_equal(tr_cron_prev(&c, 0), t);
	assert_int_equal(tr_cron_prev(&c, t + 1), t);
	/* Across a leap day, a month end and a year end. */
	c = parse_ok("59 23 * * *");
	assert_int_equal(tr_cron_next(&c, wall_of(2024, 2, 28, 23, 59)), wall_of(2024, 2, 29, 23, 59));
	assert_int_equal(tr_cron_next(&c, wall_of(2023, 2, 28, 23, 59)), wall_of(2023, 3, 1, 23, 59));
	assert_int_equal(tr_cron_prev(&c, wall_of(2025, 1, 1, 0, 0)), wall_of(2024, 12, 31, 23, 59));
	assert_int_equal(tr_cron_prev(&c, wall_of(2024, 3, 1, 23, 59)), wall_of(2024, 2, 29, 23, 59));
}

/* Walks next over [from, to) and checks that no minute in between matches;
   then walks prev back and expects the same instants. */
static void check_walk(const char *expr, int64_t from, int64_t to)
{
	tr_cron c = parse_ok(expr);
	int64_t *fires = NULL, w, m;
	size_t n = 0, cap = 0, i;

	for (w = tr_cron_next(&c, from); w < to; w = tr_cron_next(&c, w)) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			fires = realloc(fires, cap * sizeof *fires);
			assert_non_null(fires);
		}
		fires[n++] = w;
	}
	/* Every minute from `from` to `to`: matches exactly at the fires. */
	i = 0;
	for (m = (from / 60 + 1) * 60; m < to; m += 60) {
		int is_fire = i < n && fires[i] == m;

		if (tr_cron_matches(&c, m) != is_fire)
			fail_msg("cron \"%s\": minute %lld matches=%d but next gave it as fire=%d", expr,
				 (long long)m, tr_cron_matches(&c, m), is_fire);
		i += (size_t)is_fire;
	}
	assert_int_equal(i, n);
	/* prev walks the same instants backwards. */
	w = to;
	for (i = n; i > 0; i--) {
		w = tr_cron_prev(&c, w);
		assert_int_equal(w, fires[i - 1]);
	}
	free(fires);
}

static void test_next_prev_agree_with_matches(void **state)
{
	int64_t from = wall_of(2023, 12, 25, 0, 0) + 17, to = wall_of(2024, 3, 5, 0, 0);

	(void)state;
	check_walk("*/7 */5 * * *", from, to);
	check_walk("0 0 13 * 5", from, to);
	check_walk("15,45 9-17 * * mon-fri", from, to);
	check_walk("0 0 29 2 *", wall_of(2019, 1, 1, 0, 0), wall_of(2029, 1, 1, 0, 0));
	check_walk("0 12 1-7 * 1", from, to);
	check_walk("59 23 28-31 * *", from, to);
	check_walk("30 4 1,15 */2 sat", from, to);
	check_walk("0 0 1-31 * */2", from, to);
}

static void test_day_matches(void **state)
{
	tr_cron c = parse_ok("0 0 13 * 5");
	int64_t d;

	(void)state;
	assert_int_equal(tr_cron_day_matches(&c, tr_days_from_civil(2024, 9, 13)), 1); /* Fri 13th */
	assert_int_equal(tr_cron_day_matches(&c, tr_days_from_civil(2024, 10, 13)), 1); /* Sunday 13th */
	assert_int_equal(tr_cron_day_matches(&c, tr_days_from_civil(2024, 10, 18)), 1); /* Friday */
	assert_int_equal(tr_cron_day_matches(&c, tr_days_from_civil(2024, 10, 17)), 0);

	c = parse_ok("0 0 * 2 mon");
	for (d = tr_days_from_civil(2024, 1, 1); d < tr_days_from_civil(2025, 1, 1); d++) {
		int64_t y;
		int m, md, want;

		tr_civil_from_days(d, &y, &m, &md);
		want = m == 2 && tr_weekday_from_days(d) == 1;
		assert_int_equal(tr_cron_day_matches(&c, d), want);
	}
	c = parse_ok("0 0 1 * *");
	assert_int_equal(tr_cron_day_matches(&c, tr_days_from_civil(1969, 12, 1)), 1);
	assert_int_equal(tr_cron_day_matches(&c, tr_days_from_civil(1, 1, 1)), 1);
	assert_int_equal(tr_cron_day_matches(&c, tr_days_from_civil(1, 1, 2)), 0);
}

static void test_fast_on_dense_and_sparse(void **state)
{
	/* A million nexts on an hourly expression land exactly a million hours on. */
	tr_cron c = parse_ok("0 * * * *");
	int64_t w = wall_of(2024, 1, 1, 0, 0), start = w;
	int i;

	(void)state;
	for (i = 0; i < 1000000; i++)
		w = tr_cron_next(&c, w);
	assert_int_equal(w, start + (int64_t)1000000 * 3600);
	for (i = 0; i < 1000000; i++)
		w = tr_cron_prev(&c, w);
	assert_int_equal(w, start);
	/* The sparsest expression: 1900 and 2100 are not leap years (8-year gaps). */
	c = parse_ok("0 0 29 2 *");
	assert_int_equal(tr_cron_next(&c, wall_of(2096, 3, 1, 0, 0)), wall_of(2104, 2, 29, 0, 0));
	assert_int_equal(tr_cron_prev(&c, wall_of(2104, 2, 1, 0, 0)), wall_of(2096, 2, 29, 0, 0));
	w = wall_of(2000, 1, 1, 0, 0);
	for (i = 0; i < 10000; i++)
		w = tr_cron_next(&c, w);
	assert_true(w > wall_of(40000, 1, 1, 0, 0));
}

static void test_hand_built_cron_that_never_matches(void **state)
{
	tr_cron c;

	(void)state;
	memset(&c, 0, sizeof c);
	assert_int_equal(tr_cron_next(&c, 0), INT64_MAX);
	assert_int_equal(tr_cron_prev(&c, 0), INT64_MIN);
	c = parse_ok("0 0 * * *");
	c.mdays = 1u << 31;
	c.mday_star = 0;
	c.months = 1 << 2; /* Feb 31, not refused because it was not parsed */
	assert_int_equal(tr_cron_next(&c, 0), INT64_MAX);
	assert_int_equal(tr_cron_prev(&c, 0), INT64_MIN);
	assert_int_equal(tr_cron_next(&c, INT64_MAX), INT64_MAX);
	assert_int_equal(tr_cron_prev(&c, INT64_MIN), INT64_MIN);
}

/* ----------------------------------------------------------- formatting */

static void test_format(void **state)
{
	static const struct {
		const char *expr, *want;
	} cases[] = {
		{"* * * * *", "* * * * *"},
		{"0 0 * * 1-5", "0 0 * * 1-5"},
		{"0 0 * * mon-fri", "0 0 * * 1-5"},
		{"*/15 */6 * */3 *", "*/15 */6 * */3 *"},
		{"0,1,2,3,10 9,10 1,15 jan,feb *", "0-3,10 9,10 1,15 1,2 *"},
		{"0 0 */2 * *", "0 0 1-31/2 * *"},
		{"0 0 * * */2", "0 0 * * 0-6/2"},
		{"0 0 * * 7", "0 0 * * 0"},
		{"0 0 * * fri-sun", "0 0 * * 0,5,6"},
		{"0 0 1-31 * 5", "0 0 1-31 * 5"},
		{"@hourly", "0 * * * *"},
		{"5/20 * * * *", "5,25,45 * * * *"},
	};
	char out[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tr_cron c = parse_ok(cases[i].expr), back;

		tr_cron_format(&c, out, sizeof out);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("cron \"%s\": formatted \"%s\", want \"%s\"", cases[i].expr, out, cases[i].want);
		back = parse_ok(out);
		assert_memory_equal(&back, &c, sizeof c);
	}
}

static void test_format_truncates(void **state)
{
	tr_cron c = parse_ok("0,2,4,6,8,10 * * * *");
	char out[8];

	(void)state;
	memset(out, 'x', sizeof out);
	tr_cron_format(&c, out, sizeof out);
	assert_string_equal(out, "0,2,4,6");
	tr_cron_format(&c, out, 1);
	assert_string_equal(out, "");
	out[0] = 'x';
	tr_cron_format(&c, out, 0);
	assert_int_equal(out[0], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fields_like_croniter),
		cmocka_unit_test(test_parse_other_star_flags),
		cmocka_unit_test(test_parse_refuses_malformed),
		cmocka_unit_test(test_parse_messages),
		cmocka_unit_test(test_parse_accepts_what_can_fire),
		cmocka_unit_test(test_next_prev_like_croniter),
		cmocka_unit_test(test_next_prev_are_strict_and_minute_aligned),
		cmocka_unit_test(test_next_prev_agree_with_matches),
		cmocka_unit_test(test_day_matches),
		cmocka_unit_test(test_fast_on_dense_and_sparse),
		cmocka_unit_test(test_hand_built_cron_that_never_matches),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_truncates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
