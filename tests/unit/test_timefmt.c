/*
 * test_timefmt.c — timefmt.c against Python 3's datetime.strftime/strptime.
 *
 * Every expected string below was computed once with CPython 3.11 on glibc
 * (datetime.strftime / datetime.strptime) and pasted in; the tests never
 * call Python. Where tranche deliberately differs from 3.11 it is said:
 * years < 1000 are zero-padded to 4 digits (as CPython >= 3.12.5 does), and
 * %z also accepts "+HH".
 */
#include "testutil.h"

#include "base/timefmt.h"

/* A tr_tm for y-m-d h:m:s with a UTC offset, filled the way callers do. */
static tr_tm make_tm(int64_t y, int mon, int d, int h, int mi, int s, int32_t off)
{
	tr_tm tm;
	int64_t wall = tr_days_from_civil(y, mon, d) * TR_SECS_PER_DAY + h * 3600 + mi * 60 + s;

	tr_tm_from_wall(wall, &tm);
	tm.gmtoff = off;
	return tm;
}

/* Formats into a fresh buffer and returns a copy the caller frees. */
static char *fmt_str(const char *fmt, const tr_tm *tm)
{
	tr_buf b = TR_BUF_INIT;
	tr_error err;
	char *s;

	tr_error_clear(&err);
	assert_ok(tr_time_format(&b, fmt, tm, &err), &err);
	s = strdup(tr_buf_str(&b));
	assert_non_null(s);
	tr_buf_release(&b);
	return s;
}

static void assert_fmt(const char *fmt, const tr_tm *tm, const char *want)
{
	char *got = fmt_str(fmt, tm);

	if (strcmp(got, want) != 0)
		fail_msg("format \"%s\": got \"%s\", want \"%s\"", fmt, got, want);
	free(got);
}

/* ---------------------------------------------------------------- format */

static void test_format_each_directive(void **state)
{
	/* datetime(2024, 2, 29, 13, 5, 9, tzinfo=timezone(timedelta(hours=-8))) */
	static const struct {
		const char *fmt, *want;
	} cases[] = {
	{"%Y", "2024"},
	{"%y", "24"},
	{"%m", "02"},
	{"%d", "29"},
	{"%e", "29"},
	{"%H", "13"},
	{"%I", "01"},
	{"%p", "PM"},
	{"%M", "05"},
	{"%S", "09"},
	{"%f", "000000"},
	{"%j", "060"},
	{"%a", "Thu"},
	{"%A", "Thursday"},
	{"%b", "Feb"},
	{"%B", "February"},
	{"%z", "-0800"},
	{"%U", "08"},
	{"%W", "09"},
	{"%u", "4"},
	{"%w", "4"},
	{"%G", "2024"},
	{"%V", "09"},
	{"%F", "2024-02-29"},
	{"%T", "13:05:09"},
	{"%D", "02/29/24"},
	{"%%", "%"},
	{"%Y-%m-%d-%H:%M", "2024-02-29-13:05"},
	{"week %G-W%V-%u, day %j", "week 2024-W09-4, day 060"},
	};
	tr_tm tm = make_tm(2024, 2, 29, 13, 5, 9, -8 * 3600);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_fmt(cases[i].fmt, &tm, cases[i].want);
	tm.zone = "PST";
	assert_fmt("%Z", &tm, "PST");
	assert_fmt("[%Z]", &tm, "[PST]");
	tm.zone = NULL;
	assert_fmt("[%Z]", &tm, "[]");
	assert_fmt("", &tm, "");
	assert_fmt("no directives", &tm, "no directives");
}

static void test_format_hour_edges(void **state)
{
	tr_tm tm;

	(void)state;
	tm = make_tm(2024, 1, 5, 0, 0, 0, 0);
	assert_fmt("%I %p %H %e", &tm, "12 AM 00  5");
	tm = make_tm(2024, 1, 5, 12, 0, 0, 0);
	assert_fmt("%I %p", &tm, "12 PM");
	tm = make_tm(2024, 1, 5, 23, 59, 59, 0);
	assert_fmt("%I:%M:%S %p", &tm, "11:59:59 PM");
}

static void test_format_iso_weeks_and_week_numbers(void **state)
{
	/* d.strftime("%G-W%V-%u %U %W %j %a") around year ends */
	static const struct {
		int y, m, d;
		const char *want;
	} cases[] = {
	{2024, 12, 29, "2024-W52-7 52 52 364 Sun"},
	{2024, 12, 30, "2025-W01-1 52 53 365 Mon"},
	{2021, 1, 1, "2020-W53-5 00 00 001 Fri"},
	{2021, 1, 3, "2020-W53-7 01 00 003 Sun"},
	{2021, 1, 4, "2021-W01-1 01 01 004 Mon"},
	{2020, 12, 31, "2020-W53-4 52 52 366 Thu"},
	{2026, 12, 31, "2026-W53-4 52 52 365 Thu"},
	{2027, 1, 1, "2026-W53-5 00 00 001 Fri"},
	{2015, 12, 31, "2015-W53-4 52 52 365 Thu"},
	{2016, 1, 1, "2015-W53-5 00 00 001 Fri"},
	{2016, 1, 3, "2015-W53-7 01 00 003 Sun"},
	{2016, 1, 4, "2016-W01-1 01 01 004 Mon"},
	{2004, 12, 31, "2004-W53-5 52 52 366 Fri"},
	{2005, 1, 1, "2004-W53-6 00 00 001 Sat"},
	{2005, 1, 2, "2004-W53-7 01 00 002 Sun"},
	{2009, 12, 31, "2009-W53-4 52 52 365 Thu"},
	{2010, 1, 3, "2009-W53-7 01 00 003 Sun"},
	{1999, 1, 1, "1998-W53-5 00 00 001 Fri"},
	{2000, 1, 1, "1999-W52-6 00 00 001 Sat"},
	{2000, 12, 31, "2000-W52-7 53 52 366 Sun"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tr_tm tm = make_tm(cases[i].y, cases[i].m, cases[i].d, 0, 0, 0, 0);

		assert_fmt("%G-W%V-%u %U %W %j %a", &tm, cases[i].want);
	}
}

static void test_format_matches_python_on_random_datetimes(void **state)
{
	/* x.replace(tzinfo=timezone(timedelta(seconds=off))).strftime(FMT) */
	static const char *FMT = "%a %d %b %Y %I:%M:%S %p %z|%A %B %j %U %W %G %V %u %w|%y%m%d %H";
	static const struct {
		int y, mon, d, h, mi, s, off;
		const char *want;
	} cases[] = {
	{3251, 9, 15, 2, 17, 46, -28800, "Fri 15 Sep 3251 02:17:46 AM -0800|Friday September 258 37 37 3251 37 5 5|510915 02"},
	{2167, 11, 15, 11, 18, 21, -37800, "Sun 15 Nov 2167 11:18:21 AM -1030|Sunday November 319 46 45 2167 46 7 0|671115 11"},
	{9280, 2, 8, 23, 47, 53, -28800, "Thu 08 Feb 9280 11:47:53 PM -0800|Thursday February 039 05 06 9280 06 4 4|800208 23"},
	{5021, 12, 4, 11, 20, 12, 3600, "Tue 04 Dec 5021 11:20:12 AM +0100|Tuesday December 338 48 49 5021 49 2 2|211204 11"},
	{7869, 12, 9, 3, 4, 16, -28830, "Thu 09 Dec 7869 03:04:16 AM -080030|Thursday December 343 49 49 7869 49 4 4|691209 03"},
	{3703, 2, 16, 18, 20, 17, 3600, "Fri 16 Feb 3703 06:20:17 PM +0100|Friday February 047 06 07 3703 07 5 5|030216 18"},
	{3672, 5, 6, 5, 13, 35, 2715, "Fri 06 May 3672 05:13:35 AM +004515|Friday May 127 18 18 3672 18 5 5|720506 05"},
	{2194, 8, 7, 16, 52, 14, 3600, "Thu 07 Aug 2194 04:52:14 PM +0100|Thursday August 219 31 31 2194 32 4 4|940807 16"},
	{1760, 12, 17, 1, 37, 46, -28800, "Wed 17 Dec 1760 01:37:46 AM -0800|Wednesday December 352 50 50 1760 51 3 3|601217 01"},
	{1514, 6, 24, 14, 55, 21, 2715, "Wed 24 Jun 1514 02:55:21 PM +004515|Wednesday June 175 25 25 1514 26 3 3|140624 14"},
	{5745, 4, 9, 18, 13, 52, 19800, "Fri 09 Apr 5745 06:13:52 PM +0530|Friday April 099 14 14 5745 14 5 5|450409 18"},
	{7863, 3, 19, 12, 43, 7, -28830, "Thu 19 Mar 7863 12:43:07 PM -080030|Thursday March 078 11 11 7863 12 4 4|630319 12"},
	{3441, 1, 26, 20, 26, 48, -28800, "Tue 26 Jan 3441 08:26:48 PM -0800|Tuesday January 026 04 04 3441 04 2 2|410126 20"},
	{1557, 9, 3, 13, 24, 44, 3600, "Tue 03 Sep 1557 01:24:44 PM +0100|Tuesday September 246 35 35 1557 36 2 2|570903 13"},
	{4742, 2, 11, 1, 37, 56, -28800, "Wed 11 Feb 4742 01:37:56 AM -0800|Wednesday February 042 06 06 4742 07 3 3|420211 01"},
	{8254, 5, 20, 9, 12, 47, -37800, "Sat 20 May 8254 09:12:47 AM -1030|Saturday May 140 20 20 8254 20 6 6|540520 09"},
	{7782, 6, 10, 14, 1, 9, -37800, "Mon 10 Jun 7782 02:01:09 PM -1030|Monday June 161 23 23 7782 24 1 1|820610 14"},
	{8156, 12, 9, 5, 5, 56, -37800, "Thu 09 Dec 8156 05:05:56 AM -1030|Thursday December 344 49 49 8156 50 4 4|561209 05"},
	{3816, 9, 17, 3, 16, 23, -28830, "Tue 17 Sep 3816 03:16:23 AM -080030|Tuesday September 261 37 38 3816 38 2 2|160917 03"},
	{6697, 4, 27, 13, 53, 14, -37800, "Tue 27 Apr 6697 01:53:14 PM -1030|Tuesday April 117 17 17 6697 17 2 2|970427 13"},
	{2846, 10, 13, 23, 49, 34, -28830, "Sat 13 Oct 2846 11:49:34 PM -080030|Saturday October 286 40 41 2846 41 6 6|461013 23"},
	{4763, 12, 22, 22, 1, 59, -28830, "Sun 22 Dec 4763 10:01:59 PM -080030|Sunday December 356 51 50 4763 51 7 0|631222 22"},
	{5705, 7, 13, 14, 46, 18, -28800, "Mon 13 Jul 5705 02:46:18 PM -0800|Monday July 194 28 28 5705 29 1 1|050713 14"},
	{2105, 10, 2, 20, 18, 45, 19800, "Fri 02 Oct 2105 08:18:45 PM +0530|Friday October 275 39 39 2105 40 5 5|051002 20"},
	{9436, 12, 10, 23, 18, 51, 0, "Sat 10 Dec 9436 11:18:51 PM +0000|Saturday December 345 49 49 9436 49 6 6|361210 23"},
	{8086, 5, 17, 7, 43, 33, 3600, "Fri 17 May 8086 07:43:33 AM +0100|Friday May 137 19 19 8086 20 5 5|860517 07"},
	{6038, 7, 8, 9, 54, 56, 19800, "Thu 08 Jul 6038 09:54:56 AM +0530|Thursday July 189 27 27 6038 27 4 4|380708 09"},
	{8318, 1, 18, 3, 25, 10, 2715, "Fri 18 Jan 8318 03:25:10 AM +004515|Friday January 018 02 02 8318 03 5 5|180118 03"},
	{1696, 9, 10, 18, 8, 11, -37800, "Mon 10 Sep 1696 06:08:11 PM -1030|Monday September 254 37 37 1696 37 1 1|960910 18"},
	{7539, 1, 7, 22, 24, 57, -28830, "Sat 07 Jan 7539 10:24:57 PM -080030|Saturday January 007 01 01 7539 01 6 6|390107 22"},
	{6796, 2, 5, 4, 31, 56, -37800, "Mon 05 Feb 6796 04:31:56 AM -1030|Monday February 036 05 06 6796 06 1 1|960205 04"},
	{5897, 1, 15, 2, 30, 59, -37800, "Fri 15 Jan 5897 02:30:59 AM -1030|Friday January 015 02 02 5897 02 5 5|970115 02"},
	{6312, 11, 19, 17, 22, 4, 0, "Tue 19 Nov 6312 05:22:04 PM +0000|Tuesday November 324 46 47 6312 47 2 2|121119 17"},
	{2779, 10, 21, 17, 45, 29, -37800, "Sun 21 Oct 2779 05:45:29 PM -1030|Sunday October 294 42 42 2779 42 7 0|791021 17"},
	{1617, 4, 20, 19, 31, 57, 3600, "Thu 20 Apr 1617 07:31:57 PM +0100|Thursday April 110 16 16 1617 16 4 4|170420 19"},
	{8209, 7, 11, 0, 2, 1, -28800, "Tue 11 Jul 8209 12:02:01 AM -0800|Tuesday July 192 28 28 8209 28 2 2|090711 00"},
	{5574, 6, 16, 9, 11, 54, 3600, "Sun 16 Jun 5574 09:11:54 AM +0100|Sunday June 167 24 23 5574 24 7 0|740616 09"},
	{1774, 5, 21, 3, 58, 6, 2715, "Sat 21 May 1774 03:58:06 AM +004515|Saturday May 141 20 20 1774 20 6 6|740521 03"},
	{6490, 5, 2, 0, 31, 51, -28800, "Tue 02 May 6490 12:31:51 AM -0800|Tuesday May 122 18 18 6490 18 2 2|900502 00"},
	{3444, 3, 18, 19, 15, 26, 2715, "Mon 18 Mar 3444 07:15:26 PM +004515|Monday March 078 11 12 3444 12 1 1|440318 19"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tr_tm tm = make_tm(cases[i].y, cases[i].mon, cases[i].d, cases[i].h, cases[i].mi, cases[i].s,
				   cases[i].off);

		assert_fmt(FMT, &tm, cases[i].want);
	}
}

static void test_format_offsets(void **state)
{
	static const struct {
		int32_t off;
		const char *want;
	} cases[] = {
		{0, "+0000"},        {3600, "+0100"},      {-8 * 3600, "-0800"},  {19800, "+0530"},
		{-19800, "-0530"},   {-28830, "-080030"},  {2715, "+004515"},     {86399, "+235959"},
		{-86399, "-235959"}, {-30, "-000030"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tr_tm tm = make_tm(2024, 5, 21, 0, 0, 0, cases[i].off);

		assert_fmt("%z", &tm, cases[i].want);
	}
}

static void test_format_small_and_large_years(void **state)
{
	tr_tm tm;

	(void)state;
	/* CPython >= 3.12.5 pads %Y, %G and %F to 4 digits (3.11 on glibc wrote "1"). */
	tm = make_tm(1, 1, 1, 0, 0, 0, 0);
	assert_fmt("%Y|%y|%F|%G|%D|%a|%j", &tm, "0001|01|0001-01-01|0001|01/01/01|Mon|001");
	tm = make_tm(999, 12, 31, 0, 0, 0, 0);
	assert_fmt("%Y-%m-%d", &tm, "0999-12-31");
	tm = make_tm(9999, 12, 31, 23, 59, 59, 0);
	assert_fmt("%Y-%m-%d %H:%M:%S %j %a", &tm, "9999-12-31 23:59:59 365 Fri");
	/* Beyond Python's range: still well-defined. */
	tm = make_tm(12345, 6, 7, 0, 0, 0, 0);
	assert_fmt("%Y %y", &tm, "12345 45");
	tm = make_tm(-1, 6, 7, 0, 0, 0, 0);
	assert_fmt("%Y %y", &tm, "-0001 99");
}

static void test_format_uses_the_date_not_wday_yday(void **state)
{
	tr_tm tm = make_tm(2024, 5, 21, 0, 0, 0, 0);

	(void)state;
	/* A hand-filled tr_tm with stale wday/yday still formats its date. */
	tm.wday = 0;
	tm.yday = 0;
	assert_fmt("%a %j %u", &tm, "Tue 142 2");
}

static void test_format_appends_and_refuses_unknown(void **state)
{
	tr_buf b = TR_BUF_INIT;
	tr_error err;
	tr_tm tm = make_tm(2024, 5, 21, 13, 45, 0, 0);

	(void)state;
	tr_buf_adds(&b, "key=");
	assert_ok(tr_time_format(&b, "%Y-%m-%d", &tm, &err), &err);
	assert_string_equal(tr_buf_str(&b), "key=2024-05-21");

	tr_error_clear(&err);
	assert_int_equal(tr_time_format(&b, "%Y-%Q", &tm, &err), TR_EINVAL);
	assert_int_equal(err.code, TR_EINVAL);
	assert_string_equal(tr_buf_str(&b), "key=2024-05-21"); /* unchanged */
	assert_non_null(strstr(err.msg, "format \"%Y-%Q\": unknown directive %Q"));
	assert_non_null(strstr(err.msg, "valid directives: %a %A %b %B %d"));

	assert_int_equal(tr_time_format(&b, "%Y%", &tm, &err), TR_EINVAL);
	assert_non_null(strstr(err.msg, "format \"%Y%\": a lone % ends the format"));
	assert_int_equal(tr_time_format(&b, "%-d", &tm, &err), TR_EINVAL);
	assert_non_null(strstr(err.msg, "unknown directive %-"));
	assert_string_equal(tr_buf_str(&b), "key=2024-05-21");
	tr_buf_release(&b);
}

static void test_format_long_output(void **state)
{
	/* More than the internal 256-byte staging buffer, and a long %Z. */
	char fmt[2001], want[4001], zone[600];
	tr_tm tm = make_tm(2024, 5, 21, 13, 45, 0, 0);
	char *got;
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		memcpy(fmt + 2 * i, "%d", 2);
	fmt[2000] = '\0';
	for (i = 0; i < 1000; i++)
		memcpy(want + 2 * i, "21", 2);
	want[2000] = '\0';
	got = fmt_str(fmt, &tm);
	assert_string_equal(got, want);
	free(got);

	memset(zone, 'Z', sizeof zone - 1);
	zone[sizeof zone - 1] = '\0';
	tm.zone = zone;
	got = fmt_str("%H%Z%M", &tm);
	assert_int_equal(strlen(got), 4 + sizeof zone - 1);
	assert_memory_equal(got, "13ZZ", 4);
	assert_string_equal(got + strlen(got) - 3, "Z45");
	free(got);
}

static void test_format_check_and_has_offset(void **state)
{
	tr_error err;

	(void)state;
	assert_ok(tr_time_format_check("%Y-%m-%d %H:%M:%S%z %Z %G-W%V %% %e %D %T %F", &err), &err);
	assert_int_equal(tr_time_format_check("%Y-%q", &err), TR_EINVAL);
	assert_non_null(strstr(err.msg, "unknown directive %q"));
	assert_int_equal(tr_time_format_check("%", &err), TR_EINVAL);

	assert_int_equal(tr_time_format_has_offset("%Y-%m-%dT%H:%M%z"), 1);
	assert_int_equal(tr_time_format_has_offset("%Y-%m-%d"), 0);
	assert_int_equal(tr_time_format_has_offset("%%z"), 0);
	assert_int_equal(tr_time_format_has_offset("%%%z"), 1);
	assert_int_equal(tr_time_format_has_offset("%"), 0);
	assert_int_equal(tr_time_format_has_offset("z"), 0);
}

/* ----------------------------------------------------------------- parse */

static void test_parse_matches_python(void **state)
{
	/* datetime.strptime(s, fmt) -> y m d H M S, offset given?, offset seconds */
	static const struct {
		const char *s, *fmt;
		int y, mon, d, h, mi, sec, has_off, off;
	} cases[] = {
	{"2024-05-21", "%Y-%m-%d", 2024, 5, 21, 0, 0, 0, 0, 0},
	{"2024-1-5", "%Y-%m-%d", 2024, 1, 5, 0, 0, 0, 0, 0},
	{"2024-01- 5", "%Y-%m-%d", 2024, 1, 5, 0, 0, 0, 0, 0},
	{"2024-05-21-13:45", "%Y-%m-%d-%H:%M", 2024, 5, 21, 13, 45, 0, 0, 0},
	{"2024-05-21T13:45:07", "%Y-%m-%dT%H:%M:%S", 2024, 5, 21, 13, 45, 7, 0, 0},
	{"2024-05-21t13:45:07", "%Y-%m-%dT%H:%M:%S", 2024, 5, 21, 13, 45, 7, 0, 0},
	{"20240521", "%Y%m%d", 2024, 5, 21, 0, 0, 0, 0, 0},
	{"2024111", "%Y%m%d", 2024, 11, 1, 0, 0, 0, 0, 0},
	{"111", "%m%d", 1900, 11, 1, 0, 0, 0, 0, 0},
	{"123", "%H%M", 1900, 1, 1, 12, 3, 0, 0, 0},
	{"2024-05-21 13:45:07.123456", "%Y-%m-%d %H:%M:%S.%f", 2024, 5, 21, 13, 45, 7, 0, 0},
	{"2024-05-21 13:45:07.5", "%Y-%m-%d %H:%M:%S.%f", 2024, 5, 21, 13, 45, 7, 0, 0},
	{"00", "%y", 2000, 1, 1, 0, 0, 0, 0, 0},
	{"68", "%y", 2068, 1, 1, 0, 0, 0, 0, 0},
	{"69", "%y", 1969, 1, 1, 0, 0, 0, 0, 0},
	{"99", "%y", 1999, 1, 1, 0, 0, 0, 0, 0},
	{"12 AM", "%I %p", 1900, 1, 1, 0, 0, 0, 0, 0},
	{"12 PM", "%I %p", 1900, 1, 1, 12, 0, 0, 0, 0},
	{"1 am", "%I %p", 1900, 1, 1, 1, 0, 0, 0, 0},
	{"11 pm", "%I %p", 1900, 1, 1, 23, 0, 0, 0, 0},
	{"12", "%I", 1900, 1, 1, 0, 0, 0, 0, 0},
	{"07", "%I", 1900, 1, 1, 7, 0, 0, 0, 0},
	{"Tue 21 May 2024", "%a %d %b %Y", 2024, 5, 21, 0, 0, 0, 0, 0},
	{"TUESDAY, MAY 21 2024", "%A, %B %d %Y", 2024, 5, 21, 0, 0, 0, 0, 0},
	{"tuesday, september 3 2024", "%A, %B %d %Y", 2024, 9, 3, 0, 0, 0, 0, 0},
	{"Mon 2024-01-02", "%a %Y-%m-%d", 2024, 1, 2, 0, 0, 0, 0, 0},
	{"2024 060", "%Y %j", 2024, 2, 29, 0, 0, 0, 0, 0},
	{"2024 366", "%Y %j", 2024, 12, 31, 0, 0, 0, 0, 0},
	{"1900 366", "%Y %j", 1901, 1, 1, 0, 0, 0, 0, 0},
	{"2023 1", "%Y %j", 2023, 1, 1, 0, 0, 0, 0, 0},
	{"2023-12-31 001", "%Y-%m-%d %j", 2023, 1, 1, 0, 0, 0, 0, 0},
	{"2024-05-21Z", "%Y-%m-%d%z", 2024, 5, 21, 0, 0, 0, 1, 0},
	{"2024-05-21+0800", "%Y-%m-%d%z", 2024, 5, 21, 0, 0, 0, 1, 28800},
	{"2024-05-21+08:00", "%Y-%m-%d%z", 2024, 5, 21, 0, 0, 0, 1, 28800},
	{"2024-05-21-0530", "%Y-%m-%d%z", 2024, 5, 21, 0, 0, 0, 1, -19800},
	{"2024-05-21+08:00:30", "%Y-%m-%d%z", 2024, 5, 21, 0, 0, 0, 1, 28830},
	{"2024-05-21-080030", "%Y-%m-%d%z", 2024, 5, 21, 0, 0, 0, 1, -28830},
	{"2024-05-21+23:59", "%Y-%m-%d%z", 2024, 5, 21, 0, 0, 0, 1, 86340},
	{"2024-05-21   \t 13", "%Y-%m-%d %H", 2024, 5, 21, 13, 0, 0, 0, 0},
	{"5", "%u", 1900, 1, 1, 0, 0, 0, 0, 0},
	{"0", "%w", 1900, 1, 1, 0, 0, 0, 0, 0},
	{"%2024", "%%%Y", 2024, 1, 1, 0, 0, 0, 0, 0},
	{"1 5 2024", "%m %d %Y", 2024, 1, 5, 0, 0, 0, 0, 0},
	{"0001-01-01", "%Y-%m-%d", 1, 1, 1, 0, 0, 0, 0, 0},
	{"9999-12-31 23:59:59", "%Y-%m-%d %H:%M:%S", 9999, 12, 31, 23, 59, 59, 0, 0},
	{"2000-02-29", "%Y-%m-%d", 2000, 2, 29, 0, 0, 0, 0, 0},
	{"1600-02-29", "%Y-%m-%d", 1600, 2, 29, 0, 0, 0, 0, 0},
	{"13:45", "%H:%M", 1900, 1, 1, 13, 45, 0, 0, 0},
	{"0:0:0", "%H:%M:%S", 1900, 1, 1, 0, 0, 0, 0, 0},
	{"02-28", "%m-%d", 1900, 2, 28, 0, 0, 0, 0, 0},
	{"May", "%b", 1900, 5, 1, 0, 0, 0, 0, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tr_tm tm;
		tr_error err;
		int has_off = -1;

		if (tr_time_parse(cases[i].s, cases[i].fmt, &tm, &has_off, &err) != 0)
			fail_msg("\"%s\" with \"%s\": %s", cases[i].s, cases[i].fmt, err.msg);
		if (tm.year != cases[i].y || tm.mon != cases[i].mon || tm.mday != cases[i].d ||
		    tm.hour != cases[i].h || tm.min != cases[i].mi || tm.sec != cases[i].sec ||
		    has_off != cases[i].has_off || tm.gmtoff != cases[i].off)
			fail_msg("\"%s\" with \"%s\": got %lld-%d-%d %d:%d:%d off %d/%d", cases[i].s,
				 cases[i].fmt, (long long)tm.year, tm.mon, tm.mday, tm.hour, tm.min, tm.sec,
				 has_off, (int)tm.gmtoff);
	}
}

static void test_parse_refuses_what_python_refuses(void **state)
{
	/* Each comment is Python's own message. */
	static const struct {
		const char *s, *fmt;
	} cases[] = {
	/* unconverted data remains: x */ {"2024-01-01x", "%Y-%m-%d"},
	/* time data '24-01-01' does not match format '%Y-%m-%d' */ {"24-01-01", "%Y-%m-%d"},
	/* day is out of range for month */ {"2023-02-29", "%Y-%m-%d"},
	/* time data '2024-13-01' does not match format '%Y-%m-%d' */ {"2024-13-01", "%Y-%m-%d"},
	/* time data '2024-00-01' does not match format '%Y-%m-%d' */ {"2024-00-01", "%Y-%m-%d"},
	/* day is out of range for month */ {"1900-02-29", "%Y-%m-%d"},
	/* day is out of range for month */ {"2100-02-29", "%Y-%m-%d"},
	/* day is out of range for month */ {"2024-04-31", "%Y-%m-%d"},
	/* day is out of range for month */ {"02-29", "%m-%d"},
	/* year 0 is out of range */ {"0000-01-01", "%Y-%m-%d"},
	/* time data '2024-01-0105' does not match format '%Y-%m-%d %H' */ {"2024-01-0105", "%Y-%m-%d %H"},
	/* unconverted data remains: 0 */ {"12:60", "%H:%M"},
	/* time data '24:00' does not match format '%H:%M' */ {"24:00", "%H:%M"},
	/* second must be in 0..59 */ {"00:00:60", "%H:%M:%S"},
	/* time data '13 PM' does not match format '%I %p' */ {"13 PM", "%I %p"},
	/* time data '0' does not match format '%I' */ {"0", "%I"},
	/* time data 'Foo 2024' does not match format '%b %Y' */ {"Foo 2024", "%b %Y"},
	/* Inconsistent use of : in +08:0030 */ {"+08:0030", "%z"},
	/* invalid literal for int() with base 10: ':3' */ {"+0800:30", "%z"},
	/* offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24), not datetime.timedelta(days=1). */ {"+24:00", "%z"},
	/* time data 'z' does not match format '%z' */ {"z", "%z"},
	/* time data '2024-05-21' does not match format '%Y-%m-%dT%H' */ {"2024-05-21", "%Y-%m-%dT%H"},
	/* time data '2024-05-21' does not match format '%Y-%m-%d %H' */ {"2024-05-21", "%Y-%m-%d %H"},
	/* time data '' does not match format '%Y' */ {"", "%Y"},
	/* time data 'x2024' does not match format '%Y' */ {"x2024", "%Y"},
	/* unconverted data remains: 7 */ {"2024-05-21 13:45:07.1234567", "%Y-%m-%d %H:%M:%S.%f"},
	/* time data '8' does not match format '%u' */ {"8", "%u"},
	/* time data '7' does not match format '%w' */ {"7", "%w"},
	/* unconverted data remains: 7 */ {"2024 367", "%Y %j"},
	/* time data '2024 000' does not match format '%Y %j' */ {"2024 000", "%Y %j"},
	/* unconverted data remains: 5 */ {"20245", "%Y"},
		/* unconverted data remains: 2024 */ {"2024", ""},
		/* time data '2024-0-05' does not match format '%Y-%m-%d' */ {"2024-0-05", "%Y-%m-%d"},
		/* time data '2024-01-0' does not match format '%Y-%m-%d' */ {"2024-01-0", "%Y-%m-%d"},
		/* time data '0 AM' does not match format '%I %p' */ {"0 AM", "%I %p"},
		/* time data '2024 0' does not match format '%Y %j' */ {"2024 0", "%Y %j"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tr_tm tm;
		tr_error err;
		int rc;

		tr_error_clear(&err);
		rc = tr_time_parse(cases[i].s, cases[i].fmt, &tm, NULL, &err);
		if (rc != TR_EINVAL)
			fail_msg("\"%s\" with \"%s\": accepted", cases[i].s, cases[i].fmt);
		/* Every message names the input and the format. */
		{
			char head[300];

			snprintf(head, sizeof head, "\"%s\" does not match format \"%s\": ", cases[i].s,
				 cases[i].fmt);
			if (strncmp(err.msg, head, strlen(head)) != 0)
				fail_msg("message \"%s\" does not start with \"%s\"", err.msg, head);
		}
	}
}

static void assert_parse_error(const char *s, const char *fmt, const char *want)
{
	tr_tm tm;
	tr_error err;

	tr_error_clear(&err);
	assert_int_equal(tr_time_parse(s, fmt, &tm, NULL, &err), TR_EINVAL);
	assert_int_equal(err.code, TR_EINVAL);
	if (strcmp(err.msg, want) != 0)
		fail_msg("parse \"%s\" with \"%s\":\n got: %s\nwant: %s", s, fmt, err.msg, want);
}

static void test_parse_error_messages(void **state)
{
	(void)state;
	assert_parse_error("2023-02-29", "%Y-%m-%d",
			   "\"2023-02-29\" does not match format \"%Y-%m-%d\": day 29 is not in February 2023");
	assert_parse_error("2024-13-01", "%Y-%m-%d",
			   "\"2024-13-01\" does not match format \"%Y-%m-%d\": month 13 is not 1..12");
	assert_parse_error("2024-01-01x", "%Y-%m-%d",
			   "\"2024-01-01x\" does not match format \"%Y-%m-%d\": unconverted data remains: \"x\"");
	assert_parse_error("24-01-01", "%Y-%m-%d",
			   "\"24-01-01\" does not match format \"%Y-%m-%d\": expected a 4-digit year (%Y) but "
			   "found \"24-01-01\"");
	assert_parse_error("2024-01-32", "%Y-%m-%d",
			   "\"2024-01-32\" does not match format \"%Y-%m-%d\": day 32 is not 1..31");
	assert_parse_error("2024-0-05", "%Y-%m-%d",
			   "\"2024-0-05\" does not match format \"%Y-%m-%d\": month 0 is not 1..12");
	assert_parse_error("2024-04-31", "%Y-%m-%d",
			   "\"2024-04-31\" does not match format \"%Y-%m-%d\": day 31 is not in April 2024");
	assert_parse_error("02-29", "%m-%d",
			   "\"02-29\" does not match format \"%m-%d\": day 29 is not in February 1900 (the year "
			   "when the format has none, as in Python)");
	assert_parse_error("2024-05-21", "%Y-%m-%d %H",
			   "\"2024-05-21\" does not match format \"%Y-%m-%d %H\": expected whitespace but the "
			   "input ended");
	assert_parse_error("2024-05-21T13", "%Y-%m-%d-%H",
			   "\"2024-05-21T13\" does not match format \"%Y-%m-%d-%H\": expected \"-\" but found "
			   "\"T13\"");
	assert_parse_error("00:00:60", "%H:%M:%S",
			   "\"00:00:60\" does not match format \"%H:%M:%S\": second 60 is not 0..59");
	assert_parse_error("0000-01-01", "%Y-%m-%d",
			   "\"0000-01-01\" does not match format \"%Y-%m-%d\": year 0 is not 1..9999");
	assert_parse_error("Foo 2024", "%b %Y",
			   "\"Foo 2024\" does not match format \"%b %Y\": expected a month abbreviation Jan..Dec "
			   "(%b) but found \"Foo 2024\"");
	assert_parse_error("+08:0030", "%z",
			   "\"+08:0030\" does not match format \"%z\": inconsistent use of ':' in UTC offset "
			   "\"+08:0030\"");
	assert_parse_error("+24:00", "%z",
			   "\"+24:00\" does not match format \"%z\": UTC offset \"+24:00\" is not strictly "
			   "between -24:00 and +24:00");
	assert_parse_error("+08:00:00.5", "%z",
			   "\"+08:00:00.5\" does not match format \"%z\": UTC offset \"+08:00:00.5\" has a "
			   "fraction of a second, which tranche does not support");
	/* Control characters and quotes in the input are escaped. */
	assert_parse_error("a\"b\n", "%Y",
			   "\"a\\\"b\\x0a\" does not match format \"%Y\": expected a 4-digit year (%Y) but found "
			   "\"a\\\"b\\x0a\"");
}

static void test_parse_refuses_bad_directives(void **state)
{
	tr_tm tm;
	tr_error err;

	(void)state;
	assert_int_equal(tr_time_parse("2024", "%Y-%Q", &tm, NULL, &err), TR_EINVAL);
	assert_string_equal(err.msg, "cannot parse \"2024\" with format \"%Y-%Q\": unknown directive %Q; "
				     "valid directives: %a %A %b %B %d %f %F %H %I %j %m %M %p %S %T %u %w "
				     "%y %Y %z %%");
	assert_int_equal(tr_time_parse("2024-05", "%Y-%U", &tm, NULL, &err), TR_EINVAL);
	assert_non_null(strstr(err.msg, "\"%Y-%U\": %U is supported for formatting only"));
	assert_int_equal(tr_time_parse("PST", "%Z", &tm, NULL, &err), TR_EINVAL);
	assert_non_null(strstr(err.msg, "%Z is supported for formatting only"));
	assert_int_equal(tr_time_parse("2024-W01", "%G-W%V", &tm, NULL, &err), TR_EINVAL);
	assert_int_equal(tr_time_parse(" 5", "%e", &tm, NULL, &err), TR_EINVAL);
	assert_int_equal(tr_time_parse("2024", "%Y%", &tm, NULL, &err), TR_EINVAL);
	assert_non_null(strstr(err.msg, "a lone % ends the format"));
	/* Python 3.11: re.error "redefinition of group name". */
	assert_int_equal(tr_time_parse("2024 2024", "%Y %Y", &tm, NULL, &err), TR_EINVAL);
	assert_string_equal(err.msg, "cannot parse \"2024 2024\" with format \"%Y %Y\": %Y appears more "
				     "than once (%F counts as %Y-%m-%d, %T as %H:%M:%S); Python's strptime "
				     "refuses repeated directives");
	assert_int_equal(tr_time_parse("2024-05-21 05", "%F %d", &tm, NULL, &err), TR_EINVAL);
	assert_ok(tr_time_parse("%% 5 5", "%%%% %H %I", &tm, NULL, &err), &err);
}

static void test_parse_offsets(void **state)
{
	static const struct {
		const char *s;
		int32_t off;
	} cases[] = {
		{"Z", 0},           {"+08", 28800},         {"-08", -28800},     {"+0800", 28800},
		{"+08:00", 28800},  {"+08:00:00", 28800},   {"-0530", -19800},   {"-05:30", -19800},
		{"+080030", 28830}, {"-08:00:30", -28830},  {"+00:00", 0},       {"-00:00", 0},
		{"+23:59:59", 86399}, {"+08:00:00.000000", 28800},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tr_tm tm;
		tr_error err;
		int has_off = 0;

		if (tr_time_parse(cases[i].s, "%z", &tm, &has_off, &err) != 0)
			fail_msg("\"%s\": %s", cases[i].s, err.msg);
		assert_int_equal(has_off, 1);
		assert_int_equal(tm.gmtoff, cases[i].off);
	}
}

static void test_parse_fills_derived_fields(void **state)
{
	tr_tm tm;
	tr_error err;
	int has_off = 7;

	(void)state;
	assert_ok(tr_time_parse("2024-12-31", "%Y-%m-%d", &tm, &has_off, &err), &err);
	assert_int_equal(has_off, 0);
	assert_int_equal(tm.wday, 2);
	assert_int_equal(tm.yday, 365);
	assert_int_equal(tm.gmtoff, 0);
	assert_null(tm.zone);
	/* A wrong weekday is not checked, as in Python. */
	assert_ok(tr_time_parse("Mon 2024-12-31", "%a %Y-%m-%d", &tm, NULL, &err), &err);
	assert_int_equal(tm.wday, 2);
}

static void test_parse_whitespace_and_case(void **state)
{
	tr_tm tm;
	tr_error err;

	(void)state;
	/* One space in the format matches any run of whitespace, but at least one. */
	assert_ok(tr_time_parse("2024-05-21 \t\n 13", "%Y-%m-%d %H", &tm, NULL, &err), &err);
	assert_int_equal(tm.hour, 13);
	assert_int_equal(tr_time_parse("2024-05-2113", "%Y-%m-%d %H", &tm, NULL, &err), TR_EINVAL);
	/* Literals, names and AM/PM match case-insensitively; "Z" does not. */
	assert_ok(tr_time_parse("2024-05-21t1pm", "%Y-%m-%dT%I%p", &tm, NULL, &err), &err);
	assert_int_equal(tm.hour, 13);
	assert_int_equal(tr_time_parse("z", "%z", &tm, NULL, &err), TR_EINVAL);
	/* Leading or trailing space is not skipped. */
	assert_int_equal(tr_time_parse(" 2024", "%Y", &tm, NULL, &err), TR_EINVAL);
	assert_int_equal(tr_time_parse("2024 ", "%Y", &tm, NULL, &err), TR_EINVAL);
}

static void test_parse_backtracking_fails_cleanly(void **state)
{
	/* Every field could take 1 or 2 (or more) digits: the matcher tries the
	   combinations in Python's order and still ends in a clear refusal. */
	tr_tm tm;
	tr_error err;

	(void)state;
	assert_int_equal(tr_time_parse("1111111111111111111x", "%m%d%H%M%S%I%j%f%y", &tm, NULL, &err),
			 TR_EINVAL);
	assert_non_null(strstr(err.msg, "does not match format \"%m%d%H%M%S%I%j%f%y\""));
	/* ... and the first match in that order wins (Python: 1900-11-01 01:00
	   and 1900-11-11 01:00): %m takes "11", %d backs off to "1" to leave %H a digit. */
	assert_ok(tr_time_parse("1111", "%m%d%H", &tm, NULL, &err), &err);
	assert_int_equal(tm.mon, 11);
	assert_int_equal(tm.mday, 1);
	assert_int_equal(tm.hour, 1);
	assert_ok(tr_time_parse("11111", "%m%d%H", &tm, NULL, &err), &err);
	assert_int_equal(tm.mday, 11);
	assert_int_equal(tm.hour, 1);
}

static void test_parse_too_many_fields(void **state)
{
	char fmt[300] = "";
	tr_tm tm;
	tr_error err;
	int i;

	(void)state;
	for (i = 0; i < 70; i++)
		memcpy(fmt + 3 * i, "%M-", 4);
	assert_int_equal(tr_time_parse("1", fmt, &tm, NULL, &err), TR_EINVAL);
	assert_non_null(strstr(err.msg, "more than 64 fields"));
}

/* ------------------------------------------------------------ round trips */

static void test_round_trip_many_dates(void **state)
{
	static const char *fmts[] = {
		"%Y-%m-%d",          "%Y-%m-%d-%H:%M",   "%Y-%m-%dT%H:%M:%S%z", "%Y%m%d%H%M%S",
		"%a %d %b %Y %I:%M:%S %p %z", "%A, %B %d, %Y %H:%M", "%Y %j %H:%M:%S", "%F %T.%f%z",
	};
	static const int32_t offs[] = {0, 3600, -8 * 3600, 19800, -19800, -(8 * 3600 + 30), 86399, -86399};
	/* 0001-01-01 .. 9999-12-31 in steps that hit every month day, hour and minute. */
	int64_t first = tr_days_from_civil(1, 1, 1) * TR_SECS_PER_DAY;
	int64_t last = tr_days_from_civil(9999, 12, 31) * TR_SECS_PER_DAY + 86399;
	int64_t step = 9876543; /* ~114 days: about 32,000 dates */
	int64_t w;
	tr_buf b = TR_BUF_INIT;
	tr_error err;
	int n = 0;

	(void)state;
	for (w = first; w <= last; w += step + (n % 7) * 61) {
		size_t f = (size_t)n % (sizeof fmts / sizeof fmts[0]);
		tr_tm tm, back;
		int has_off;

		tr_tm_from_wall(w, &tm);
		tm.gmtoff = offs[n % 8];
		tr_buf_reset(&b);
		assert_ok(tr_time_format(&b, fmts[f], &tm, &err), &err);
		if (tr_time_parse(tr_buf_str(&b), fmts[f], &back, &has_off, &err) != 0)
			fail_msg("%s", err.msg);
		if (back.year != tm.year || back.mon != tm.mon || back.mday != tm.mday ||
		    back.wday != tm.wday || back.yday != tm.yday ||
		    (strchr(fmts[f], 'H') || strchr(fmts[f], 'I') || strchr(fmts[f], 'T')
			     ? back.hour != tm.hour || back.min != tm.min
			     : 0) ||
		    (has_off && back.gmtoff != tm.gmtoff))
			fail_msg("\"%s\" (%s) parsed back as %lld-%d-%d %d:%d", tr_buf_str(&b), fmts[f],
				 (long long)back.year, back.mon, back.mday, back.hour, back.min);
		n++;
	}
	assert_true(n > 30000);
	tr_buf_release(&b);
}

static void test_round_trip_edges(void **state)
{
	static const struct {
		int y, m, d;
	} days[] = {
		{1, 1, 1},     {9999, 12, 31}, {2024, 2, 29}, {2000, 2, 29}, {1600, 2, 29},
		{2023, 2, 28}, {1900, 2, 28},  {1969, 12, 31}, {1970, 1, 1}, {2038, 1, 19},
	};
	tr_buf b = TR_BUF_INIT;
	tr_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof days / sizeof days[0]; i++) {
		tr_tm tm = make_tm(days[i].y, days[i].m, days[i].d, 23, 59, 59, -28800), back;
		int has_off;

		tr_buf_reset(&b);
		assert_ok(tr_time_format(&b, "%Y-%m-%d %H:%M:%S%z|%j|%a", &tm, &err), &err);
		assert_ok(tr_time_parse(tr_buf_str(&b), "%Y-%m-%d %H:%M:%S%z|%j|%a", &back, &has_off, &err),
			  &err);
		assert_int_equal(back.year, days[i].y);
		assert_int_equal(back.mon, days[i].m);
		assert_int_equal(back.mday, days[i].d);
		assert_int_equal(back.sec, 59);
		assert_int_equal(back.gmtoff, -28800);
	}
	tr_buf_release(&b);
}

/* -------------------------------------------------------------- ISO 8601 */

static void test_parse_iso(void **state)
{
	static const struct {
		const char *s;
		int y, mon, d, h, mi, sec, has_off;
		int32_t off;
	} cases[] = {
		{"2024-01-01", 2024, 1, 1, 0, 0, 0, 0, 0},
		{"2024-01-01 00:00", 2024, 1, 1, 0, 0, 0, 0, 0},
		{"2024-01-01T13:45", 2024, 1, 1, 13, 45, 0, 0, 0},
		{"2024-02-29T13:45:59", 2024, 2, 29, 13, 45, 59, 0, 0},
		{"2024-01-01T00:00:00.123456+05:30", 2024, 1, 1, 0, 0, 0, 1, 19800},
		{"2024-01-01T00:00Z", 2024, 1, 1, 0, 0, 0, 1, 0},
		{"2024-01-01T00:00:00z", 2024, 1, 1, 0, 0, 0, 1, 0},
		{"2024-01-01T00:00-0800", 2024, 1, 1, 0, 0, 0, 1, -28800},
		{"2024-01-01T00:00-08", 2024, 1, 1, 0, 0, 0, 1, -28800},
		{"2024-01-01T00:00:00+00:00", 2024, 1, 1, 0, 0, 0, 1, 0},
		{"2024-01-01T00:00:00-08:00:30", 2024, 1, 1, 0, 0, 0, 1, -28830},
		{"2024-01-01T00:00:00.5", 2024, 1, 1, 0, 0, 0, 0, 0},
		{"0001-01-01T00:00:00", 1, 1, 1, 0, 0, 0, 0, 0},
		{"9999-12-31T23:59:59+23:59", 9999, 12, 31, 23, 59, 59, 1, 86340},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tr_tm tm;
		tr_error err;
		int has_off = -1;

		if (tr_time_parse_iso(cases[i].s, &tm, &has_off, &err) != 0)
			fail_msg("\"%s\": %s", cases[i].s, err.msg);
		if (tm.year != cases[i].y || tm.mon != cases[i].mon || tm.mday != cases[i].d ||
		    tm.hour != cases[i].h || tm.min != cases[i].mi || tm.sec != cases[i].sec ||
		    has_off != cases[i].has_off || tm.gmtoff != cases[i].off)
			fail_msg("\"%s\": got %lld-%d-%d %d:%d:%d off %d/%d", cases[i].s, (long long)tm.year,
				 tm.mon, tm.mday, tm.hour, tm.min, tm.sec, has_off, (int)tm.gmtoff);
	}
}

static void test_parse_iso_refuses(void **state)
{
	static const struct {
		const char *s, *why;
	} cases[] = {
		{"", "expected a 4-digit year but the input ended"},
		{"24-01-01", "expected a 4-digit year but found \"24-01-01\""},
		{"2024-1-01", "expected a 2-digit month but found \"1-01\""},
		{"2024/01/01", "expected \"-\" after the year but found \"/01/01\""},
		{"2024-13-01", "month 13 is not 1..12"},
		{"2023-02-29", "day 29 is not in February 2023"},
		{"2024-04-31", "day 31 is not in April 2024"},
		{"0000-01-01", "year 0000 is not 0001..9999"},
		{"2024-01-01T", "expected a 2-digit hour but the input ended"},
		{"2024-01-01T24:00", "time 24:00:00 is not 00:00:00..23:59:59"},
		{"2024-01-01T10:60", "time 10:60:00 is not 00:00:00..23:59:59"},
		{"2024-01-01T10", "expected \":\" after the hour but the input ended"},
		{"2024-01-01T10:00:00.", "expected digits of a fraction of a second but the input ended"},
		{"2024-01-01T10:00+5", "expected 2-digit offset hours but found \"5\""},
		{"2024-01-01T10:00+24:00", "UTC offset 24:00:00 is not within 23:59:59"},
		{"2024-01-01T10:00+05:3015", "expected the end of the input but found \"15\""},
		{"2024-01-01Z", "expected the end of the input but found \"Z\""},
		{"2024-01-01x", "expected the end of the input but found \"x\""},
		{"2024-01-01T10:00:00.1234567890", "expected the end of the input but found \"0\""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tr_tm tm;
		tr_error err;
		char want[600];

		snprintf(want, sizeof want,
			 "\"%s\" is not an ISO 8601 date or date-time (YYYY-MM-DD, then optionally T or a space "
			 "and HH:MM[:SS[.ffffff]], then optionally Z or +HH:MM): %s",
			 cases[i].s, cases[i].why);
		tr_error_clear(&err);
		assert_int_equal(tr_time_parse_iso(cases[i].s, &tm, NULL, &err), TR_EINVAL);
		if (strcmp(err.msg, want) != 0)
			fail_msg("\n got: %s\nwant: %s", err.msg, want);
	}
}

static void test_format_iso(void **state)
{
	static const struct {
		int64_t instant;
		int32_t off;
		const char *want;
	} cases[] = {
		{1716249600, 0, "2024-05-21T00:00:00+00:00"},
		{1716249600, 19800, "2024-05-21T05:30:00+05:30"},
		{1716249600, -28800, "2024-05-20T16:00:00-08:00"},
		{1716249600, -28830, "2024-05-20T15:59:30-08:00:30"},
		{0, 0, "1970-01-01T00:00:00+00:00"},
		{-1, 0, "1969-12-31T23:59:59+00:00"},
		{-62135596800LL, 0, "0001-01-01T00:00:00+00:00"},
		{253402300799LL, 0, "9999-12-31T23:59:59+00:00"},
	};
	tr_buf b = TR_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tr_tm tm;
		tr_error err;
		int has_off;

		tr_buf_reset(&b);
		tr_time_format_iso(&b, cases[i].instant, cases[i].off);
		assert_string_equal(tr_buf_str(&b), cases[i].want);
		/* and back */
		assert_ok(tr_time_parse_iso(tr_buf_str(&b), &tm, &has_off, &err), &err);
		assert_int_equal(has_off, 1);
		assert_int_equal(tm.gmtoff, cases[i].off);
		assert_true(tr_tm_to_wall(&tm) - tm.gmtoff == cases[i].instant);
	}
	tr_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_each_directive),
		cmocka_unit_test(test_format_hour_edges),
		cmocka_unit_test(test_format_iso_weeks_and_week_numbers),
		cmocka_unit_test(test_format_matches_python_on_random_datetimes),
		cmocka_unit_test(test_format_offsets),
		cmocka_unit_test(test_format_small_and_large_years),
		cmocka_unit_test(test_format_uses_the_date_not_wday_yday),
		cmocka_unit_test(test_format_appends_and_refuses_unknown),
		cmocka_unit_test(test_format_long_output),
		cmocka_unit_test(test_format_check_and_has_offset),
		cmocka_unit_test(test_parse_matches_python),
		cmocka_unit_test(test_parse_refuses_what_python_refuses),
		cmocka_unit_test(test_parse_error_messages),
		cmocka_unit_test(test_parse_refuses_bad_directives),
		cmocka_unit_test(test_parse_offsets),
		cmocka_unit_test(test_parse_fills_derived_fields),
		cmocka_unit_test(test_parse_whitespace_and_case),
		cmocka_unit_test(test_parse_backtracking_fails_cleanly),
		cmocka_unit_test(test_parse_too_many_fields),
		cmocka_unit_test(test_round_trip_many_dates),
		cmocka_unit_test(test_round_trip_edges),
		cmocka_unit_test(test_parse_iso),
		cmocka_unit_test(test_parse_iso_refuses),
		cmocka_unit_test(test_format_iso),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
