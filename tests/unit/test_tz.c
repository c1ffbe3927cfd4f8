/*
 * test_tz.c — tr_tz (src/base/tz.h) against the system tz database.
 *
 * Every expected offset, abbreviation and instant below was computed with
 * Python's zoneinfo on this machine's tz data (Debian tzdata 2025b, "fat"
 * TZif v2 files) and embedded as a constant; the tests never call Python.
 * Tests that need their own files write them to a temporary directory and
 * point $TZDIR at it, restoring the caller's $TZDIR afterwards.
 */
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/civil.h"
#include "base/tz.h"

#define SYSTEM_TZDIR "/usr/share/zoneinfo"

/* ---- helpers --------------------------------------------------------------------- */

static tr_tz *load(const char *name)
{
	tr_error err;
	tr_tz *tz = NULL;

	tr_error_clear(&err);
	assert_ok(tr_tz_load(name, &tz, &err), &err);
	assert_non_null(tz);
	return tz;
}

/* The wall time y-m-d h:mi:s (seconds since 1970-01-01T00:00 of that clock). */
static int64_t wall(int64_t y, int m, int d, int h, int mi, int s)
{
	return tr_days_from_civil(y, m, d) * TR_SECS_PER_DAY + h * 3600 + mi * 60 + s;
}

/* The instant y-m-d h:mi:s UTC. */
static int64_t utc(int64_t y, int m, int d, int h, int mi, int s)
{
	return wall(y, m, d, h, mi, s);
}

static void check_at(const tr_tz *tz, int64_t instant, int32_t offset, const char *abbr)
{
	int32_t got = tr_tz_offset_at(tz, instant);

	if (got != offset || strcmp(tr_tz_abbrev_at(tz, instant), abbr) != 0)
		fail_msg("%s at %lld: expected %d %s, got %d %s", tr_tz_name(tz), (long long)instant,
			 offset, abbr, got, tr_tz_abbrev_at(tz, instant));
}

static void check_resolve(const tr_tz *tz, int64_t w, int n, int64_t first, int64_t second)
{
	int64_t out[2] = {0, 0}, gap_end = 0;
	int got = tr_tz_resolve(tz, w, out, &gap_end);

	if (got != n)
		fail_msg("%s: resolve(%lld) gave %d instants, expected %d", tr_tz_name(tz), (long long)w,
			 got, n);
	if (n == 0)
		assert_int_equal(gap_end, first);
	if (n >= 1)
		assert_int_equal(out[0], first);
	if (n == 2)
		assert_int_equal(out[1], second);
}

/* A temporary $TZDIR, restored by tzdir_leave. */
typedef struct tzdir {
	char path[64];
	char *saved;
	int active;
} tzdir;

static void tzdir_enter(tzdir *d)
{
	const char *old = getenv("TZDIR");

	snprintf(d->path, sizeof(d->path), "/tmp/tranche-test-tz-XXXXXX");
	assert_non_null(mkdtemp(d->path));
	d->saved = old ? strdup(old) : NULL;
	assert_int_equal(setenv("TZDIR", d->path, 1), 0);
	d->active = 1;
}

static void tzdir_leave(tzdir *d)
{
	char cmd[128];

	if (!d->active)
		return;
	d->active = 0;
	if (d->saved)
		setenv("TZDIR", d->saved, 1);
	else
		unsetenv("TZDIR");
	free(d->saved);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	assert_int_equal(system(cmd), 0);
}

/* Setup and teardown for the tests that use a temporary $TZDIR: the caller's
   $TZDIR comes back even when a test fails. */
static int tzdir_setup(void **state)
{
	tzdir *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	tzdir_enter(d);
	*state = d;
	return 0;
}

static int tzdir_teardown(void **state)
{
	tzdir *d = *state;

	tzdir_leave(d);
	free(d);
	return 0;
}

static void write_file(const tzdir *d, const char *name, const void *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", d->path, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Reads a file of the system tz database; caller frees. */
static unsigned char *read_system(const char *name, size_t *len)
{
	char path[256];
	unsigned char *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", SYSTEM_TZDIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void put64(unsigned char *p, int64_t v)
{
	put32(p, (uint32_t)((uint64_t)v >> 32));
	put32(p + 4, (uint32_t)v);
}

/* A synthetic TZif v2 file: a minimal v1 block (one type), then the v2 block
   with the given transitions, types and footer. Returns its length. */
typedef struct synth_zone {
	size_t timecnt;
	const int64_t *times;
	const unsigned char *idxs;
	size_t typecnt;
	const int32_t *offsets;
	const unsigned char *isdst;
	const unsigned char *abbrind;
	const char *chars; /* charcnt bytes, NULs included */
	size_t charcnt;
	const char *footer;
} synth_zone;

static size_t synth_header(unsigned char *p, uint32_t timecnt, uint32_t typecnt, uint32_t charcnt)
{
	memset(p, 0, 44);
	memcpy(p, "TZif2", 5);
	put32(p + 32, timecnt);
	put32(p + 36, typecnt);
	put32(p + 40, charcnt);
	return 44;
}

static size_t synth_build(const synth_zone *z, unsigned char *buf, size_t cap)
{
	size_t n = 0, i;

	assert_true(cap >= 200 + z->timecnt * 9 + z->typecnt * 6 + z->charcnt + strlen(z->footer));
	n += synth_header(buf + n, 0, 1, 4);
	memset(buf + n, 0, 6);
	n += 6;
	memcpy(buf + n, "UTC", 4);
	n += 4;
	n += synth_header(buf + n, (uint32_t)z->timecnt, (uint32_t)z->typecnt, (uint32_t)z->charcnt);
	for (i = 0; i < z->timecnt; i++, n += 8)
		put64(buf + n, z->times[i]);
	for (i = 0; i < z->timecnt; i++)
		buf[n++] = z->idxs[i];
	for (i = 0; i < z->typecnt; i++, n += 6) {
		put32(buf + n, (uint32_t)z->offsets[i]);
		buf[n + 4] = z->isdst[i];
		buf[n + 5] = z->abbrind[i];
	}
	memcpy(buf + n, z->chars, z->charcnt);
	n += z->charcnt;
	buf[n++] = '\n';
	memcpy(buf + n, z->footer, strlen(z->footer));
	n += strlen(z->footer);
	buf[n++] = '\n';
	return n;
}

static void expect_refused(const char *name, const char *needle)
{
	tr_error err;
	tr_tz *tz = (tr_tz *)&err; /* must be reset to NULL */
	int rc = tr_tz_load(name, &tz, &err);

	if (rc != TR_EINVAL)
		fail_msg("loading \"%s\" returned %d, expected TR_EINVAL", name, rc);
	assert_null(tz);
	assert_int_equal(err.code, TR_EINVAL);
	if (needle && !strstr(err.msg, needle))
		fail_msg("message for \"%s\" lacks \"%s\": %s", name, needle, err.msg);
	assert_non_null(strstr(err.msg, "America/New_York"));
	if (!strstr(name, "zoneinfo"))
		assert_null(strstr(err.msg, "zoneinfo"));
	assert_null(strstr(err.msg, "/tmp"));
	assert_null(strchr(err.msg, '\n'));
}

/* ---- UTC ----------------------------------------------------------------------------- */

static void test_utc_builtin_needs_no_file(void **state)
{
	static const char *const names[] = {"UTC", "utc", "Utc", "uTC", "Etc/UTC", "GMT", "Etc/GMT", "Z"};
	size_t i;

	(void)state; /* $TZDIR is an empty directory: the built-in zone needs no file */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		tr_tz *tz = load(names[i]);
		int64_t out[2] = {0, 0}, at = 0;
		int32_t lo = 1, hi = 1;

		assert_int_equal(tr_tz_is_utc(tz), 1);
		check_at(tz, 0, 0, "UTC");
		check_at(tz, INT64_MIN, 0, "UTC");
		check_at(tz, INT64_MAX, 0, "UTC");
		check_at(tz, utc(2024, 3, 10, 10, 0, 0), 0, "UTC");
		assert_int_equal(tr_tz_to_wall(tz, 1234567), 1234567);
		assert_int_equal(tr_tz_resolve(tz, 1710037800, out, NULL), 1);
		assert_int_equal(out[0], 1710037800);
		tr_tz_offset_bounds(tz, &lo, &hi);
		assert_int_equal(lo, 0);
		assert_int_equal(hi, 0);
		assert_int_equal(tr_tz_next_transition(tz, INT64_MIN, INT64_MAX, &at, NULL, NULL), 0);
		tr_tz_free(tz);
	}
}

static void test_utc_names(void **state)
{
	tr_tz *tz;

	(void)state;
	tz = load("utc");
	assert_string_equal(tr_tz_name(tz), "UTC");
	tr_tz_free(tz);
	tz = load("Etc/UTC");
	assert_string_equal(tr_tz_name(tz), "Etc/UTC");
	tr_tz_free(tz);
	tz = load("Europe/Berlin");
	assert_string_equal(tr_tz_name(tz), "Europe/Berlin");
	assert_int_equal(tr_tz_is_utc(tz), 0);
	tr_tz_free(tz);
	tr_tz_free(NULL);
}

/* Zones read from files: UTC-like only when their offset is 0 for all time. */
static void test_utc_like_files(void **state)
{
	tr_tz *tz;
	int32_t lo, hi;

	(void)state;
	tz = load("Etc/UCT");
	assert_int_equal(tr_tz_is_utc(tz), 1);
	check_at(tz, 0, 0, "UTC");
	check_at(tz, utc(1800, 1, 1, 0, 0, 0), 0, "UTC");
	tr_tz_free(tz);

	tz = load("Etc/GMT+5"); /* POSIX-style sign: 5 hours west */
	assert_int_equal(tr_tz_is_utc(tz), 0);
	check_at(tz, 0, -18000, "-05");
	check_at(tz, utc(2300, 1, 1, 0, 0, 0), -18000, "-05");
	tr_tz_offset_bounds(tz, &lo, &hi);
	assert_int_equal(lo, -18000);
	assert_int_equal(hi, -18000);
	tr_tz_free(tz);

	tz = load("Africa/Abidjan"); /* GMT today, but LMT -0:16:08 until 1912 */
	assert_int_equal(tr_tz_is_utc(tz), 0);
	check_at(tz, -2208988800LL, -968, "LMT");
	check_at(tz, 1704067200LL, 0, "GMT");
	tr_tz_free(tz);
}

/* ---- zones ---------------------------------------------------------------------------- */

static void test_los_angeles_2024(void **state)
{
	static const char *const names[] = {"America/Los_Angeles", "US/Pacific"};
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		tr_tz *tz = load(names[i]);

		/* Spring forward: 2024-03-10 10:00:00Z, 02:00 PST -> 03:00 PDT. */
		check_at(tz, 1710064799, -28800, "PST");
		check_at(tz, 1710064800, -25200, "PDT");
		check_resolve(tz, wall(2024, 3, 10, 2, 30, 0), 0, 1710064800, 0);
		check_resolve(tz, wall(2024, 3, 10, 2, 0, 0), 0, 1710064800, 0);
		check_resolve(tz, wall(2024, 3, 10, 2, 59, 59), 0, 1710064800, 0);
		check_resolve(tz, wall(2024, 3, 10, 1, 59, 59), 1, 1710064799, 0);
		check_resolve(tz, wall(2024, 3, 10, 3, 0, 0), 1, 1710064800, 0);
		assert_int_equal(utc(2024, 3, 10, 10, 0, 0), 1710064800);

		/* Fall back: 2024-11-03 09:00:00Z, 02:00 PDT -> 01:00 PST. */
		check_at(tz, 1730624399, -25200, "PDT");
		check_at(tz, 1730624400, -28800, "PST");
		check_resolve(tz, wall(2024, 11, 3, 1, 30, 0), 2, 1730622600, 1730626200);
		check_resolve(tz, wall(2024, 11, 3, 1, 0, 0), 2, 1730620800, 1730624400);
		check_resolve(tz, wall(2024, 11, 3, 0, 59, 59), 1, 1730620799, 0);
		check_resolve(tz, wall(2024, 11, 3, 2, 0, 0), 1, 1730628000, 0);
		check_resolve(tz, wall(2024, 7, 4, 12, 0, 0), 1, wall(2024, 7, 4, 19, 0, 0), 0);
		assert_int_equal(tr_tz_to_wall(tz, 1730622600), wall(2024, 11, 3, 1, 30, 0));
		assert_int_equal(tr_tz_to_wall(tz, 1730626200), wall(2024, 11, 3, 1, 30, 0));
		tr_tz_free(tz);
	}
}

static void test_berlin_2024(void **state)
{
	tr_tz *tz = load("Europe/Berlin");

	(void)state;
	check_at(tz, 1711846799, 3600, "CET");
	check_at(tz, 1711846800, 7200, "CEST");
	check_resolve(tz, wall(2024, 3, 31, 2, 30, 0), 0, 1711846800, 0);
	check_at(tz, 1729990799, 7200, "CEST");
	check_at(tz, 1729990800, 3600, "CET");
	check_resolve(tz, wall(2024, 10, 27, 2, 30, 0), 2, 1729989000, 1729992600);
	check_resolve(tz, wall(2024, 10, 27, 3, 0, 0), 1, 1729994400, 0);
	tr_tz_free(tz);
}

static void test_kolkata(void **state)
{
	tr_tz *tz = load("Asia/Kolkata");
	int64_t at;
	int32_t before, after;

	(void)state;
	check_at(tz, 1717200000, 19800, "IST"); /* 2024-06-01 */
	check_resolve(tz, wall(2024, 6, 1, 12, 0, 0), 1, 1717223400, 0);
	/* 1941-1945: war time +06:30, interrupted in 1942. */
	check_at(tz, -891581401, 19800, "IST");
	check_at(tz, -891581400, 23400, "+0630");
	check_at(tz, -872058601, 23400, "+0630");
	check_at(tz, -872058600, 19800, "IST");
	check_at(tz, -862637400, 23400, "+0630");
	check_at(tz, -764145001, 23400, "+0630");
	check_at(tz, -764145000, 19800, "IST");
	check_resolve(tz, wall(1942, 5, 15, 0, 0, 0), 1, -872055000, 0);
	assert_int_equal(tr_tz_next_transition(tz, utc(1941, 1, 1, 0, 0, 0), utc(1950, 1, 1, 0, 0, 0),
					       &at, &before, &after),
			 1);
	assert_int_equal(at, -891581400);
	assert_int_equal(before, 19800);
	assert_int_equal(after, 23400);
	/* Nothing after 1945: the footer "IST-5:30" has no DST. */
	assert_int_equal(tr_tz_next_transition(tz, -764145000, INT64_MAX, &at, NULL, NULL), 0);
	check_at(tz, utc(2300, 1, 1, 0, 0, 0), 19800, "IST");
	check_at(tz, utc(1850, 1, 1, 0, 0, 0), 21208, "LMT");
	tr_tz_free(tz);
}

static void test_sydney_southern_hemisphere(void **state)
{
	tr_tz *tz = load("Australia/Sydney");
	int64_t at;
	int32_t before, after;

	(void)state;
	check_at(tz, utc(2024, 1, 15, 0, 0, 0), 39600, "AEDT");
	check_at(tz, utc(2024, 7, 1, 0, 0, 0), 36000, "AEST");
	check_at(tz, utc(2024, 12, 31, 12, 0, 0), 39600, "AEDT");
	check_at(tz, 1712419199, 39600, "AEDT");
	check_at(tz, 1712419200, 36000, "AEST");
	check_at(tz, 1728143999, 36000, "AEST");
	check_at(tz, 1728144000, 39600, "AEDT");
	check_resolve(tz, wall(2024, 10, 6, 2, 30, 0), 0, 1728144000, 0);
	check_resolve(tz, wall(2024, 4, 7, 2, 30, 0), 2, 1712417400, 1712421000);
	/* Beyond the footer expansion, across new year. */
	assert_int_equal(tr_tz_next_transition(tz, utc(2400, 12, 1, 0, 0, 0), INT64_MAX, &at, &before,
					       &after),
			 1);
	assert_int_equal(at, 13608835200LL);
	assert_int_equal(before, 39600);
	assert_int_equal(after, 36000);
	assert_int_equal(tr_tz_next_transition(tz, utc(2437, 12, 1, 0, 0, 0), INT64_MAX, &at, &before,
					       &after),
			 1);
	assert_int_equal(at, 14776704000LL);
	tr_tz_free(tz);
}

/* DST of 30 minutes: +10:30 in winter, +11 in summer. */
static void test_lord_howe_half_hour_dst(void **state)
{
	tr_tz *tz = load("Australia/Lord_Howe");
	int32_t lo, hi;

	(void)state;
	check_at(tz, 1712415599, 39600, "+11");
	check_at(tz, 1712415600, 37800, "+1030");
	check_at(tz, 1728142199, 37800, "+1030");
	check_at(tz, 1728142200, 39600, "+11");
	check_resolve(tz, wall(2024, 10, 6, 2, 15, 0), 0, 1728142200, 0);
	check_resolve(tz, wall(2024, 10, 6, 2, 30, 0), 1, 1728142200, 0);
	check_resolve(tz, wall(2024, 4, 7, 1, 45, 0), 2, 1712414700, 1712416500);
	check_resolve(tz, wall(2024, 4, 7, 2, 0, 0), 1, 1712417400, 0);
	tr_tz_offset_bounds(tz, &lo, &hi);
	assert_int_equal(lo, 36000);
	assert_int_equal(hi, 41400);
	tr_tz_free(tz);
}

/* Samoa skipped 2011-12-30 entirely: -10 -> +14 at 2011-12-30T10:00:00Z. */
static void test_apia_skipped_day(void **state)
{
	tr_tz *tz = load("Pacific/Apia");
	int64_t at;
	int32_t before, after;
	int s;

	(void)state;
	check_at(tz, 1325239199, -36000, "-10");
	check_at(tz, 1325239200, 50400, "+14");
	for (s = 0; s < TR_SECS_PER_DAY; s += 1799)
		check_resolve(tz, wall(2011, 12, 30, 0, 0, 0) + s, 0, 1325239200, 0);
	check_resolve(tz, wall(2011, 12, 30, 12, 0, 0), 0, 1325239200, 0);
	check_resolve(tz, wall(2011, 12, 30, 23, 59, 59), 0, 1325239200, 0);
	check_resolve(tz, wall(2011, 12, 29, 23, 59, 59), 1, 1325239199, 0);
	check_resolve(tz, wall(2011, 12, 31, 0, 0, 0), 1, 1325239200, 0);
	assert_int_equal(tr_tz_next_transition(tz, utc(2011, 10, 1, 0, 0, 0), utc(2012, 1, 1, 0, 0, 0),
					       &at, &before, &after),
			 1);
	assert_int_equal(at, 1325239200);
	assert_int_equal(before, -36000);
	assert_int_equal(after, 50400);
	tr_tz_free(tz);
}

static void test_new_york_far_future_and_past(void **state)
{
	tr_tz *tz = load("America/New_York");
	int64_t at;
	int32_t before, after;

	(void)state;
	/* 2150: from the footer EST5EDT,M3.2.0,M11.1.0. */
	check_at(tz, utc(2150, 1, 15, 0, 0, 0), -18000, "EST");
	check_at(tz, utc(2150, 7, 1, 0, 0, 0), -14400, "EDT");
	check_at(tz, 5686009199LL, -18000, "EST");
	check_at(tz, 5686009200LL, -14400, "EDT");
	check_at(tz, 5706568799LL, -14400, "EDT");
	check_at(tz, 5706568800LL, -18000, "EST");
	check_resolve(tz, wall(2150, 3, 8, 2, 30, 0), 0, 5686009200LL, 0);
	check_resolve(tz, wall(2150, 11, 1, 1, 30, 0), 2, 5706567000LL, 5706570600LL);
	/* Past the expansion: the rule repeats every 400 years. */
	check_at(tz, 16740864000LL, -14400, "EDT");  /* 2500-07-01 */
	check_at(tz, 16725225600LL, -18000, "EST");  /* 2500-01-01 */
	check_at(tz, 253386403200LL, -14400, "EDT"); /* 9999-07-01 */
	check_at(tz, 253370764800LL, -18000, "EST"); /* 9999-01-01 */
	assert_int_equal(tr_tz_next_transition(tz, utc(2801, 1, 1, 0, 0, 0), INT64_MAX, &at, &before,
					       &after),
			 1);
	assert_int_equal(at, 26229855600LL);
	assert_int_equal(before, -18000);
	assert_int_equal(after, -14400);
	/* 1850: local mean time, -4:56:02. */
	check_at(tz, -3773779200LL, -17762, "LMT");
	check_resolve(tz, wall(1850, 6, 1, 12, 0, 0), 1, -3773718238LL, 0);
	/* 1883-11-18: railway time, clocks went back 3 min 58 s. */
	check_resolve(tz, wall(1883, 11, 18, 12, 2, 0), 2, -2717650918LL, -2717650680LL);
	check_at(tz, INT64_MIN, -17762, "LMT");
	check_at(tz, INT64_MAX, tr_tz_offset_at(tz, INT64_MAX), tr_tz_abbrev_at(tz, INT64_MAX));
	tr_tz_free(tz);
}

static void test_abbreviations(void **state)
{
	static const struct {
		const char *zone;
		int64_t instant;
		const char *abbr;
	} rows[] = {
		{"America/Los_Angeles", 1704067200, "PST"}, {"America/Los_Angeles", 1719792000, "PDT"},
		{"Europe/Berlin", 1704067200, "CET"},       {"Europe/Berlin", 1719792000, "CEST"},
		{"Asia/Kolkata", 1704067200, "IST"},        {"Asia/Jerusalem", 1893456000, "IST"},
		{"Asia/Jerusalem", 1909094400, "IDT"},      {"Europe/Dublin", 1893456000, "GMT"},
		{"Europe/Dublin", 1909094400, "IST"},       {"Asia/Colombo", 1704067200, "+0530"},
		{"America/New_York", -770000000, "EWT"},    {"America/New_York", -765396001, "EPT"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		tr_tz *tz = load(rows[i].zone);

		if (strcmp(tr_tz_abbrev_at(tz, rows[i].instant), rows[i].abbr) != 0)
			fail_msg("%s at %lld: expected %s, got %s", rows[i].zone,
				 (long long)rows[i].instant, rows[i].abbr,
				 tr_tz_abbrev_at(tz, rows[i].instant));
		tr_tz_free(tz);
	}
}

static void test_offset_bounds(void **state)
{
	static const struct {
		const char *zone;
		int32_t lo, hi;
	} rows[] = {
		{"America/Los_Angeles", -28800, -25200}, {"Europe/Berlin", 3208, 10800},
		{"Asia/Kolkata", 19270, 23400},          {"Australia/Lord_Howe", 36000, 41400},
		{"Pacific/Apia", -41400, 50400},         {"America/New_York", -18000, -14400},
		{"Europe/Dublin", -1521, 3600},          {"UTC", 0, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		tr_tz *tz = load(rows[i].zone);
		int32_t lo = 1, hi = -1;

		tr_tz_offset_bounds(tz, &lo, &hi);
		if (lo != rows[i].lo || hi != rows[i].hi)
			fail_msg("%s: bounds %d..%d, expected %d..%d", rows[i].zone, lo, hi, rows[i].lo,
				 rows[i].hi);
		tr_tz_offset_bounds(tz, NULL, NULL);
		tr_tz_free(tz);
	}
}

static void test_next_transition(void **state)
{
	tr_tz *tz = load("America/Los_Angeles");
	int64_t at = 0;
	int32_t before = 0, after = 0;

	(void)state;
	assert_int_equal(tr_tz_next_transition(tz, utc(2024, 1, 1, 0, 0, 0), utc(2025, 1, 1, 0, 0, 0),
					       &at, &before, &after),
			 1);
	assert_int_equal(at, 1710064800);
	assert_int_equal(before, -28800);
	assert_int_equal(after, -25200);
	/* Strictly after `after`. */
	assert_int_equal(tr_tz_next_transition(tz, 1710064799, INT64_MAX, &at, NULL, NULL), 1);
	assert_int_equal(at, 1710064800);
	assert_int_equal(tr_tz_next_transition(tz, 1710064800, INT64_MAX, &at, &before, &after), 1);
	assert_int_equal(at, 1730624400);
	assert_int_equal(before, -25200);
	assert_int_equal(after, -28800);
	/* At or before `until`. */
	assert_int_equal(tr_tz_next_transition(tz, 1710000000, 1710064800, &at, NULL, NULL), 1);
	assert_int_equal(tr_tz_next_transition(tz, 1710000000, 1710064799, &at, NULL, NULL), 0);
	assert_int_equal(tr_tz_next_transition(tz, 1710000000, 1710000000, &at, NULL, NULL), 0);
	assert_int_equal(tr_tz_next_transition(tz, 1710000000, 1700000000, &at, NULL, NULL), 0);
	tr_tz_free(tz);

	/* 1945-08-14: EWT -> EPT changes only the abbreviation; the next offset
	   change is 1945-09-30 06:00Z. */
	tz = load("America/New_York");
	assert_int_equal(tr_tz_next_transition(tz, utc(1945, 1, 1, 0, 0, 0), utc(1946, 1, 1, 0, 0, 0),
					       &at, &before, &after),
			 1);
	assert_int_equal(at, -765396000);
	assert_int_equal(before, -14400);
	assert_int_equal(after, -18000);
	tr_tz_free(tz);
}

/* ---- refused names and bad files ------------------------------------------------------- */

static void test_refused_names(void **state)
{
	tr_error err;
	tr_tz *tz = NULL;

	(void)state;
	expect_refused("", "empty");
	expect_refused("Mars/Olympus", NULL);
	assert_int_equal(tr_tz_load("Mars/Olympus", &tz, &err), TR_EINVAL);
	assert_string_equal(err.msg, "unknown timezone \"Mars/Olympus\": expected an IANA name such as "
				     "\"UTC\", \"America/New_York\" or \"Europe/Berlin\"");
	expect_refused("../../etc/passwd", "\"../../etc/passwd\"");
	expect_refused("America/../../../etc/passwd", NULL);
	expect_refused("/etc/localtime", "\"/etc/localtime\"");
	expect_refused("/usr/share/zoneinfo/UTC", NULL);
	expect_refused("America/New York", "\"America/New_York\"");
	expect_refused("America", "unknown timezone"); /* a directory */
	expect_refused("America/", NULL);
	expect_refused("zone.tab", NULL);
	expect_refused("leapseconds", "unknown timezone"); /* a file, but not TZif */
	expect_refused("Europe/Berlin\n", NULL);
	expect_refused("Europe/Berlin;rm", NULL);
	expect_refused("America/New_York ", NULL);
	expect_refused("utc0", NULL);
	expect_refused("europe/berlin", "unknown timezone"); /* names are case-sensitive */
	{
		char long_name[400];

		memset(long_name, 'A', sizeof(long_name) - 1);
		long_name[sizeof(long_name) - 1] = '\0';
		expect_refused(long_name, NULL);
	}
	assert_int_equal(tr_tz_load(NULL, &tz, &err), TR_EINVAL);
	assert_int_equal(tr_tz_load("UTC", NULL, &err), TR_EINVAL);
	assert_int_equal(tr_tz_load("Mars/Olympus", &tz, NULL), TR_EINVAL); /* err is optional */
}

/* $TZDIR is read at each call, and there is no fallback to the system database. */
static void test_tzdir_honoured(void **state)
{
	size_t len;
	unsigned char *data = read_system("America/New_York", &len);
	tzdir *d = *state;
	tr_error err;
	tr_tz *tz = NULL;

	write_file(d, "My_Zone", data, len);
	tz = load("My_Zone");
	check_at(tz, 1719792000, -14400, "EDT");
	check_at(tz, utc(2150, 1, 15, 0, 0, 0), -18000, "EST");
	tr_tz_free(tz);
	assert_int_equal(tr_tz_load("America/New_York", &tz, &err), TR_EINVAL);
	assert_null(strstr(err.msg, d->path));
	tzdir_leave(d);
	assert_int_equal(tr_tz_load("My_Zone", &tz, &err), TR_EINVAL);
	tz = load("America/New_York");
	tr_tz_free(tz);
	free(data);
}

/* Every strict prefix of a real file is refused (never a crash). */
static void test_truncated_files(void **state)
{
	size_t len, cut;
	unsigned char *data = read_system("America/New_York", &len);
	tzdir *d = *state;

	for (cut = 0; cut < len; cut++) {
		tr_error err;
		tr_tz *tz = NULL;
		int rc;

		write_file(d, "Cut", data, cut);
		rc = tr_tz_load("Cut", &tz, &err);
		if (rc != TR_EINVAL)
			fail_msg("truncated to %zu of %zu bytes: returned %d", cut, len, rc);
		assert_null(tz);
		assert_non_null(strstr(err.msg, "\"Cut\""));
		assert_null(strstr(err.msg, d->path));
		if (cut >= 4)
			assert_non_null(strstr(err.msg, "not a valid TZif file"));
	}
	write_file(d, "Cut", data, len);
	tr_tz_free(load("Cut"));
	free(data);
}

/* Random byte changes: the load either fails cleanly or gives a usable zone. */
static void test_mutated_files(void **state)
{
	size_t len, i;
	unsigned char *data = read_system("Australia/Lord_Howe", &len);
	unsigned char *copy = malloc(len);
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	tzdir *d = *state;
	int loaded = 0;

	assert_non_null(copy);

	for (i = 0; i < 1500; i++) {
		tr_error err;
		tr_tz *tz = NULL;
		int flips = 1 + (int)(i % 4), k, rc;

		memcpy(copy, data, len);
		for (k = 0; k < flips; k++) {
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			copy[(rng >> 33) % len] ^= (unsigned char)(1u << ((rng >> 20) % 8));
		}
		write_file(d, "Mutant", copy, len);
		rc = tr_tz_load("Mutant", &tz, &err);
		if (rc == 0) {
			int64_t out[2], gap, at, t;
			int32_t b, a;

			loaded++;
			for (t = -4000000000LL; t < 20000000000LL; t += 987654321) {
				int n = tr_tz_resolve(tz, t, out, &gap);

				assert_true(n >= 0 && n <= 2);
				(void)tr_tz_offset_at(tz, t);
				assert_non_null(tr_tz_abbrev_at(tz, t));
				(void)tr_tz_next_transition(tz, t, t + 400LL * 86400 * 366, &at, &b, &a);
			}
			tr_tz_free(tz);
		} else {
			assert_int_equal(rc, TR_EINVAL);
			assert_null(tz);
		}
	}
	assert_true(loaded > 0);
	free(copy);
	free(data);
}

static void test_malformed_synthetic_files(void **state)
{
	static const int64_t times[] = {100, 200};
	static const int64_t times_desc[] = {200, 100};
	static const unsigned char idxs[] = {0, 1};
	static const unsigned char idxs_bad[] = {0, 2};
	static const int32_t offsets[] = {-18000, -14400};
	static const int32_t offsets_bad[] = {-18000, INT32_MIN};
	static const unsigned char isdst[] = {0, 1};
	static const unsigned char abbrind[] = {0, 4};
	static const unsigned char abbrind_bad[] = {0, 8};
	static const char chars[] = "EST\0EDT";
	static const struct {
		const char *what;
		synth_zone zone;
	} cases[] = {
		{"good", {2, times, idxs, 2, offsets, isdst, abbrind, chars, 8, "EST5EDT,M3.2.0,M11.1.0"}},
		{"descending times", {2, times_desc, idxs, 2, offsets, isdst, abbrind, chars, 8, ""}},
		{"type index", {2, times, idxs_bad, 2, offsets, isdst, abbrind, chars, 8, ""}},
		{"abbreviation index", {2, times, idxs, 2, offsets, isdst, abbrind_bad, chars, 8, ""}},
		{"offset", {2, times, idxs, 2, offsets_bad, isdst, abbrind, chars, 8, ""}},
		{"no types", {0, times, idxs, 0, offsets, isdst, abbrind, chars, 8, ""}},
		{"footer month", {2, times, idxs, 2, offsets, isdst, abbrind, chars, 8,
				  "EST5EDT,M13.2.0,M11.1.0"}},
		{"footer week", {2, times, idxs, 2, offsets, isdst, abbrind, chars, 8,
				 "EST5EDT,M3.6.0,M11.1.0"}},
		{"footer julian", {2, times, idxs, 2, offsets, isdst, abbrind, chars, 8,
				   "EST5EDT,J0,J365"}},
		{"footer no rule", {2, times, idxs, 2, offsets, isdst, abbrind, chars, 8, "EST5EDT"}},
		{"footer trailing", {2, times, idxs, 2, offsets, isdst, abbrind, chars, 8, "EST5x"}},
		{"footer offset", {2, times, idxs, 2, offsets, isdst, abbrind, chars, 8, "EST25"}},
		{"footer quote", {2, times, idxs, 2, offsets, isdst, abbrind, chars, 8, "<EST5"}},
		{"footer time", {2, times, idxs, 2, offsets, isdst, abbrind, chars, 8,
				 "EST5EDT,M3.2.0/168,M11.1.0"}},
	};
	unsigned char buf[512];
	tzdir *d = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = synth_build(&cases[i].zone, buf, sizeof(buf));
		tr_error err;
		tr_tz *tz = NULL;
		int rc;

		write_file(d, "Synth", buf, n);
		rc = tr_tz_load("Synth", &tz, &err);
		if (i == 0) {
			if (rc != 0)
				fail_msg("good file refused: %s", err.msg);
			check_at(tz, 150, -18000, "EST");
			check_at(tz, 250, -14400, "EDT");
			check_at(tz, utc(2150, 7, 1, 0, 0, 0), -14400, "EDT");
			tr_tz_free(tz);
		} else if (rc != TR_EINVAL) {
			fail_msg("%s: returned %d", cases[i].what, rc);
		}
	}
	/* A footer whose closing newline is missing. */
	{
		size_t n = synth_build(&cases[0].zone, buf, sizeof(buf));
		tr_error err;
		tr_tz *tz = NULL;

		write_file(d, "Synth", buf, n - 1);
		assert_int_equal(tr_tz_load("Synth", &tz, &err), TR_EINVAL);
		/* Extra bytes after the footer are ignored. */
		memcpy(buf + n, "junk", 4);
		write_file(d, "Synth", buf, n + 4);
		tr_tz_free(load("Synth"));
	}
}

/* A version 1 file (32-bit data, no footer): the v1 block of New York's file. */
static void test_version1_file(void **state)
{
	size_t len, v1len;
	unsigned char *data = read_system("America/New_York", &len);
	uint32_t isut, isstd, leap, timecnt, typecnt, charcnt;
	tzdir *d = *state;
	tr_tz *tz;

	isut = (uint32_t)data[20] << 24 | (uint32_t)data[21] << 16 | (uint32_t)data[22] << 8 | data[23];
	isstd = (uint32_t)data[24] << 24 | (uint32_t)data[25] << 16 | (uint32_t)data[26] << 8 | data[27];
	leap = (uint32_t)data[28] << 24 | (uint32_t)data[29] << 16 | (uint32_t)data[30] << 8 | data[31];
	timecnt = (uint32_t)data[32] << 24 | (uint32_t)data[33] << 16 | (uint32_t)data[34] << 8 | data[35];
	typecnt = (uint32_t)data[36] << 24 | (uint32_t)data[37] << 16 | (uint32_t)data[38] << 8 | data[39];
	charcnt = (uint32_t)data[40] << 24 | (uint32_t)data[41] << 16 | (uint32_t)data[42] << 8 | data[43];
	v1len = 44 + timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isut;
	assert_int_equal(v1len, 1292);
	data[4] = 0;

	write_file(d, "Old", data, v1len);
	tz = load("Old");
	check_at(tz, -3786825600LL, -17762, "LMT");
	check_at(tz, -2208988800LL, -17762, "LMT");
	check_at(tz, 1705276800, -18000, "EST");
	check_at(tz, 1719792000, -14400, "EDT");
	check_at(tz, 2130019200, -14400, "EDT");
	check_at(tz, 2161555200, -18000, "EST");
	check_at(tz, 4118083200LL, -18000, "EST"); /* no footer: the last type stays */
	tr_tz_free(tz);
	free(data);
}

/* ---- footers, and agreement with Python ------------------------------------------------ */

/*
 * Synthetic zones without transitions: everything comes from the footer.
 * Expected values from ZoneInfo.from_file on the same bytes, except for the
 * zero-based day form "n": there Python (3.11, C and pure) is one day early
 * (it counts day n from Dec 31), so those rows follow POSIX and glibc's
 * tzset: day 59 is Feb 29 in a leap year, Mar 1 otherwise. No zone of the
 * tz database uses that form.
 */
static const struct {
	const char *footer;
	int32_t offset;
	const char *abbr;
} synth_footers[] = {
	{"AAA3BBB,J60/2,J300/2", -10800, "AAA"},     /* Julian days, Feb 29 never counted */
	{"AAA3BBB,59/2,299/2", -10800, "AAA"},       /* zero-based days, Feb 29 counted */
	{"<-0330>3:30<-0200>2,M4.1.0/-1:15,M10.5.6/26:30:15", -12600, "-0330"},
	{"<+12>-12<+13>,M9.5.0/2:45,M4.1.0/3:45", 43200, "+12"},
};

struct synth_row {
	int footer;
	int64_t instant;
	int32_t offset;
	const char *abbr;
};

static const struct synth_row synth_rows[] = {
	{0, 951886799LL, -10800, "AAA"},
	{0, 951886800LL, -7200, "BBB"},
	{0, 972619199LL, -7200, "BBB"},
	{0, 972619200LL, -10800, "AAA"},
	{0, 1709269199LL, -10800, "AAA"},
	{0, 1709269200LL, -7200, "BBB"},
	{0, 1730001599LL, -7200, "BBB"},
	{0, 1730001600LL, -10800, "AAA"},
	{0, 1740805199LL, -10800, "AAA"},
	{0, 1740805200LL, -7200, "BBB"},
	{0, 1761537599LL, -7200, "BBB"},
	{0, 1761537600LL, -10800, "AAA"},
	{0, 4107560399LL, -10800, "AAA"},
	{0, 4107560400LL, -7200, "BBB"},
	{0, 4128292799LL, -7200, "BBB"},
	{0, 4128292800LL, -10800, "AAA"},
	{1, 951800399LL, -10800, "AAA"},
	{1, 951800400LL, -7200, "BBB"},
	{1, 972532799LL, -7200, "BBB"},
	{1, 972532800LL, -10800, "AAA"},
	{1, 1709182799LL, -10800, "AAA"},
	{1, 1709182800LL, -7200, "BBB"},
	{1, 1729915199LL, -7200, "BBB"},
	{1, 1729915200LL, -10800, "AAA"},
	{1, 1740805199LL, -10800, "AAA"},
	{1, 1740805200LL, -7200, "BBB"},
	{1, 1761537599LL, -7200, "BBB"},
	{1, 1761537600LL, -10800, "AAA"},
	{1, 4107560399LL, -10800, "AAA"},
	{1, 4107560400LL, -7200, "BBB"},
	{1, 4128292799LL, -7200, "BBB"},
	{1, 4128292800LL, -10800, "AAA"},
	{2, 954641699LL, -12600, "-0330"},
	{2, 954641700LL, -7200, "-0200"},
	{2, 972793814LL, -7200, "-0200"},
	{2, 972793815LL, -12600, "-0330"},
	{2, 1712456099LL, -12600, "-0330"},
	{2, 1712456100LL, -7200, "-0200"},
	{2, 1730003414LL, -7200, "-0200"},
	{2, 1730003415LL, -12600, "-0330"},
	{2, 1743905699LL, -12600, "-0330"},
	{2, 1743905700LL, -7200, "-0200"},
	{2, 1761453014LL, -7200, "-0200"},
	{2, 1761453015LL, -12600, "-0330"},
	{2, 4110488099LL, -12600, "-0330"},
	{2, 4110488100LL, -7200, "-0200"},
	{2, 4128640214LL, -7200, "-0200"},
	{2, 4128640215LL, -12600, "-0330"},
	{3, 954600299LL, 46800, "+13"},
	{3, 954600300LL, 43200, "+12"},
	{3, 969720299LL, 43200, "+12"},
	{3, 969720300LL, 46800, "+13"},
	{3, 1712414699LL, 46800, "+13"},
	{3, 1712414700LL, 43200, "+12"},
	{3, 1727534699LL, 43200, "+12"},
	{3, 1727534700LL, 46800, "+13"},
	{3, 1743864299LL, 46800, "+13"},
	{3, 1743864300LL, 43200, "+12"},
	{3, 1758984299LL, 43200, "+12"},
	{3, 1758984300LL, 46800, "+13"},
	{3, 4110446699LL, 46800, "+13"},
	{3, 4110446700LL, 43200, "+12"},
	{3, 4125566699LL, 43200, "+12"},
	{3, 4125566700LL, 46800, "+13"},
};

static void test_synthetic_footers(void **state)
{
	unsigned char buf[512];
	tzdir *d = *state;
	size_t i;

	for (i = 0; i < sizeof(synth_footers) / sizeof(synth_footers[0]); i++) {
		const int32_t offsets[] = {synth_footers[i].offset};
		const unsigned char isdst[] = {0}, abbrind[] = {0};
		char chars[16];
		synth_zone z;
		size_t n, r;
		tr_tz *tz;
		int checked = 0;

		snprintf(chars, sizeof(chars), "%s", synth_footers[i].abbr);
		memset(&z, 0, sizeof(z));
		z.typecnt = 1;
		z.offsets = offsets;
		z.isdst = isdst;
		z.abbrind = abbrind;
		z.chars = chars;
		z.charcnt = strlen(chars) + 1;
		z.footer = synth_footers[i].footer;
		n = synth_build(&z, buf, sizeof(buf));
		write_file(d, "Synth", buf, n);
		tz = load("Synth");
		for (r = 0; r < sizeof(synth_rows) / sizeof(synth_rows[0]); r++) {
			if (synth_rows[r].footer != (int)i)
				continue;
			check_at(tz, synth_rows[r].instant, synth_rows[r].offset, synth_rows[r].abbr);
			checked++;
		}
		assert_true(checked >= 8);
		tr_tz_free(tz);
	}
}

struct cross_row {
	const char *zone;
	int64_t instant;
	int32_t offset;
	const char *abbr;
};

static const struct cross_row cross_rows[] = {
	{"America/New_York", 7860287185LL, -18000, "EST"},
	{"America/New_York", 1092917817LL, -14400, "EDT"},
	{"America/New_York", 6188635203LL, -18000, "EST"},
	{"America/New_York", 7506045200LL, -18000, "EST"},
	{"America/New_York", 556917418LL, -14400, "EDT"},
	{"America/New_York", 706615600LL, -14400, "EDT"},
	{"America/New_York", 2729662147LL, -14400, "EDT"},
	{"America/New_York", 5728908654LL, -14400, "EDT"},
	{"America/New_York", 1836457199LL, -18000, "EST"},
	{"America/New_York", 1836457200LL, -14400, "EDT"},
	{"America/Los_Angeles", 642633302LL, -25200, "PDT"},
	{"America/Los_Angeles", -1897238146LL, -28800, "PST"},
	{"America/Los_Angeles", -1959804226LL, -28800, "PST"},
	{"America/Los_Angeles", 551041688LL, -25200, "PDT"},
	{"America/Los_Angeles", 4331297489LL, -25200, "PDT"},
	{"America/Los_Angeles", -604315813LL, -28800, "PST"},
	{"America/Los_Angeles", 9305514190LL, -28800, "PST"},
	{"America/Los_Angeles", 3605314785LL, -25200, "PDT"},
	{"America/Los_Angeles", 9462387599LL, -25200, "PDT"},
	{"America/Los_Angeles", 9462387600LL, -28800, "PST"},
	{"Europe/Berlin", 8740880679LL, 3600, "CET"},
	{"Europe/Berlin", -1144524147LL, 3600, "CET"},
	{"Europe/Berlin", 9689076426LL, 3600, "CET"},
	{"Europe/Berlin", 4386148328LL, 3600, "CET"},
	{"Europe/Berlin", 5032580311LL, 7200, "CEST"},
	{"Europe/Berlin", 8554107188LL, 3600, "CET"},
	{"Europe/Berlin", -2038346952LL, 3600, "CET"},
	{"Europe/Berlin", 6039129384LL, 7200, "CEST"},
	{"Europe/Berlin", 9316601999LL, 3600, "CET"},
	{"Europe/Berlin", 9316602000LL, 7200, "CEST"},
	{"Europe/London", 6464646805LL, 0, "GMT"},
	{"Europe/London", 9488461240LL, 3600, "BST"},
	{"Europe/London", 514655334LL, 3600, "BST"},
	{"Europe/London", 5655325941LL, 0, "GMT"},
	{"Europe/London", 7872205328LL, 3600, "BST"},
	{"Europe/London", 10208837679LL, 3600, "BST"},
	{"Europe/London", 10351298377LL, 0, "GMT"},
	{"Europe/London", 7938227056LL, 3600, "BST"},
	{"Europe/London", 8875097999LL, 0, "GMT"},
	{"Europe/London", 8875098000LL, 3600, "BST"},
	{"Europe/Dublin", -2065061649LL, -1521, "DMT"},
	{"Europe/Dublin", 1759321769LL, 3600, "IST"},
	{"Europe/Dublin", -1262707365LL, 0, "GMT"},
	{"Europe/Dublin", -792454177LL, 3600, "IST"},
	{"Europe/Dublin", 9599565059LL, 0, "GMT"},
	{"Europe/Dublin", 8701343208LL, 3600, "IST"},
	{"Europe/Dublin", 5563306576LL, 3600, "IST"},
	{"Europe/Dublin", 2124586553LL, 3600, "IST"},
	{"Europe/Dublin", 5075139599LL, 3600, "IST"},
	{"Europe/Dublin", 5075139600LL, 0, "GMT"},
	{"Australia/Sydney", 9198935415LL, 36000, "AEST"},
	{"Australia/Sydney", 6168099109LL, 36000, "AEST"},
	{"Australia/Sydney", -249443502LL, 36000, "AEST"},
	{"Australia/Sydney", 177288568LL, 36000, "AEST"},
	{"Australia/Sydney", 2669408862LL, 36000, "AEST"},
	{"Australia/Sydney", -773694699LL, 36000, "AEST"},
	{"Australia/Sydney", 1018364818LL, 36000, "AEST"},
	{"Australia/Sydney", 191678226LL, 39600, "AEDT"},
	{"Australia/Sydney", 1696089599LL, 36000, "AEST"},
	{"Australia/Sydney", 1696089600LL, 39600, "AEDT"},
	{"Australia/Lord_Howe", -631357611LL, 36000, "AEST"},
	{"Australia/Lord_Howe", 6432194203LL, 39600, "+11"},
	{"Australia/Lord_Howe", 3636852425LL, 39600, "+11"},
	{"Australia/Lord_Howe", 10110291379LL, 37800, "+1030"},
	{"Australia/Lord_Howe", -1495048549LL, 36000, "AEST"},
	{"Australia/Lord_Howe", 1777053815LL, 37800, "+1030"},
	{"Australia/Lord_Howe", 4509753002LL, 39600, "+11"},
	{"Australia/Lord_Howe", 8774179145LL, 39600, "+11"},
	{"Australia/Lord_Howe", 2974633199LL, 39600, "+11"},
	{"Australia/Lord_Howe", 2974633200LL, 37800, "+1030"},
	{"Asia/Kolkata", 359898487LL, 19800, "IST"},
	{"Asia/Kolkata", 8581354910LL, 19800, "IST"},
	{"Asia/Kolkata", 1104754180LL, 19800, "IST"},
	{"Asia/Kolkata", 9634388750LL, 19800, "IST"},
	{"Asia/Kolkata", 4109312315LL, 19800, "IST"},
	{"Asia/Kolkata", -110917306LL, 19800, "IST"},
	{"Asia/Kolkata", 875639491LL, 19800, "IST"},
	{"Asia/Kolkata", 3906460756LL, 19800, "IST"},
	{"Asia/Kolkata", 5476371237LL, 19800, "IST"},
	{"Asia/Kolkata", 2516580400LL, 19800, "IST"},
	{"Pacific/Apia", 8625391911LL, 46800, "+13"},
	{"Pacific/Apia", 5909923479LL, 46800, "+13"},
	{"Pacific/Apia", 1630611241LL, 46800, "+13"},
	{"Pacific/Apia", 6390796657LL, 46800, "+13"},
	{"Pacific/Apia", -1943284170LL, -41216, "LMT"},
	{"Pacific/Apia", 1394359142LL, 50400, "+14"},
	{"Pacific/Apia", 7534793304LL, 46800, "+13"},
	{"Pacific/Apia", 6684663145LL, 46800, "+13"},
	{"Pacific/Apia", 595502888LL, -39600, "-11"},
	{"Pacific/Apia", 3494895905LL, 46800, "+13"},
	{"America/Sao_Paulo", 1137967115LL, -7200, "-02"},
	{"America/Sao_Paulo", -1237931697LL, -10800, "-03"},
	{"America/Sao_Paulo", 5080993942LL, -10800, "-03"},
	{"America/Sao_Paulo", 4455072853LL, -10800, "-03"},
	{"America/Sao_Paulo", -1895082819LL, -11188, "LMT"},
	{"America/Sao_Paulo", 596322891LL, -7200, "-02"},
	{"America/Sao_Paulo", 1906492583LL, -10800, "-03"},
	{"America/Sao_Paulo", 6702472147LL, -10800, "-03"},
	{"America/Sao_Paulo", 8703049490LL, -10800, "-03"},
	{"America/Sao_Paulo", 9111951906LL, -10800, "-03"},
	{"Africa/Casablanca", 5875581193LL, 3600, "+01"},
	{"Africa/Casablanca", 10195912764LL, 3600, "+01"},
	{"Africa/Casablanca", 1647366166LL, 3600, "+01"},
	{"Africa/Casablanca", 9773429485LL, 3600, "+01"},
	{"Africa/Casablanca", 3162601607LL, 3600, "+01"},
	{"Africa/Casablanca", 1880469515LL, 3600, "+01"},
	{"Africa/Casablanca", 38229458LL, 0, "+00"},
	{"Africa/Casablanca", 2046939076LL, 0, "+00"},
	{"Africa/Casablanca", 1601622468LL, 3600, "+01"},
	{"Africa/Casablanca", 8420196169LL, 3600, "+01"},
	{"Asia/Tehran", 9254335348LL, 12600, "+0330"},
	{"Asia/Tehran", 6043543786LL, 12600, "+0330"},
	{"Asia/Tehran", 9262620404LL, 12600, "+0330"},
	{"Asia/Tehran", 8486627760LL, 12600, "+0330"},
	{"Asia/Tehran", 1686338500LL, 12600, "+0330"},
	{"Asia/Tehran", 7736986332LL, 12600, "+0330"},
	{"Asia/Tehran", 5657415551LL, 12600, "+0330"},
	{"Asia/Tehran", 236731805LL, 16200, "+0430"},
	{"Asia/Tehran", 8057271295LL, 12600, "+0330"},
	{"Asia/Tehran", 1294494103LL, 12600, "+0330"},
	{"Pacific/Chatham", -887808830LL, 44100, "+1215"},
	{"Pacific/Chatham", 5102111953LL, 45900, "+1245"},
	{"Pacific/Chatham", -105109624LL, 45900, "+1245"},
	{"Pacific/Chatham", 3846401967LL, 49500, "+1345"},
	{"Pacific/Chatham", 1016150127LL, 49500, "+1345"},
	{"Pacific/Chatham", 7534422075LL, 49500, "+1345"},
	{"Pacific/Chatham", 9653302070LL, 49500, "+1345"},
	{"Pacific/Chatham", -950498801LL, 44100, "+1215"},
	{"Pacific/Chatham", 7139887199LL, 49500, "+1345"},
	{"Pacific/Chatham", 7139887200LL, 45900, "+1245"},
	{"America/St_Johns", -1058681263LL, -9000, "NDT"},
	{"America/St_Johns", -899412489LL, -9000, "NDT"},
	{"America/St_Johns", 666628801LL, -12600, "NST"},
	{"America/St_Johns", 2646007841LL, -12600, "NST"},
	{"America/St_Johns", 8425296887LL, -12600, "NST"},
	{"America/St_Johns", 10280370258LL, -9000, "NDT"},
	{"America/St_Johns", 60727595LL, -12600, "NST"},
	{"America/St_Johns", 8175201726LL, -12600, "NST"},
	{"America/St_Johns", 3414374999LL, -12600, "NST"},
	{"America/St_Johns", 3414375000LL, -9000, "NDT"},
	{"Asia/Gaza", 8433329221LL, 10800, "EEST"},
	{"Asia/Gaza", -68755097LL, 7200, "IST"},
	{"Asia/Gaza", -1968509917LL, 7200, "EET"},
	{"Asia/Gaza", 9643950878LL, 10800, "EEST"},
	{"Asia/Gaza", 4196092251LL, 7200, "EET"},
	{"Asia/Gaza", 546280437LL, 10800, "IDT"},
	{"Asia/Gaza", 2182281412LL, 7200, "EET"},
	{"Asia/Gaza", 4311127221LL, 10800, "EEST"},
	{"Asia/Gaza", 10042271999LL, 7200, "EET"},
	{"Asia/Gaza", 10042272000LL, 10800, "EEST"},
	{"Antarctica/Troll", 3656310252LL, 0, "+00"},
	{"Antarctica/Troll", 6757131074LL, 0, "+00"},
	{"Antarctica/Troll", 1868639211LL, 0, "+00"},
	{"Antarctica/Troll", 980929243LL, 0, "-00"},
	{"Antarctica/Troll", 9259243183LL, 7200, "+02"},
	{"Antarctica/Troll", -45892973LL, 0, "-00"},
	{"Antarctica/Troll", 6054780569LL, 0, "+00"},
	{"Antarctica/Troll", 8749803602LL, 7200, "+02"},
	{"Antarctica/Troll", 4601581199LL, 7200, "+02"},
	{"Antarctica/Troll", 4601581200LL, 0, "+00"},
	{"America/Nuuk", 2579099225LL, -3600, "-01"},
	{"America/Nuuk", 8671119871LL, -3600, "-01"},
	{"America/Nuuk", 4381754817LL, -7200, "-02"},
	{"America/Nuuk", 6143658444LL, -3600, "-01"},
	{"America/Nuuk", -1581621895LL, -10800, "-03"},
	{"America/Nuuk", 6142712368LL, -3600, "-01"},
	{"America/Nuuk", 5398143833LL, -7200, "-02"},
	{"America/Nuuk", 9506660718LL, -3600, "-01"},
	{"America/Nuuk", 4759433999LL, -3600, "-01"},
	{"America/Nuuk", 4759434000LL, -7200, "-02"},
	{"Asia/Jerusalem", 5429531516LL, 7200, "IST"},
	{"Asia/Jerusalem", -313764258LL, 7200, "IST"},
	{"Asia/Jerusalem", 196513644LL, 7200, "IST"},
	{"Asia/Jerusalem", 2372825865LL, 7200, "IST"},
	{"Asia/Jerusalem", 8893173420LL, 10800, "IDT"},
	{"Asia/Jerusalem", 2364811422LL, 7200, "IST"},
	{"Asia/Jerusalem", 5980966195LL, 10800, "IDT"},
	{"Asia/Jerusalem", 6831392620LL, 10800, "IDT"},
	{"Asia/Jerusalem", 5845478399LL, 7200, "IST"},
	{"Asia/Jerusalem", 5845478400LL, 10800, "IDT"},
	{"Pacific/Kiritimati", 6952167257LL, 50400, "+14"},
	{"Pacific/Kiritimati", 1829337680LL, 50400, "+14"},
	{"Pacific/Kiritimati", 6838536446LL, 50400, "+14"},
	{"Pacific/Kiritimati", 1125656648LL, 50400, "+14"},
	{"Pacific/Kiritimati", 1722313050LL, 50400, "+14"},
	{"Pacific/Kiritimati", 4138580704LL, 50400, "+14"},
	{"Pacific/Kiritimati", 2503791371LL, 50400, "+14"},
	{"Pacific/Kiritimati", 9159826658LL, 50400, "+14"},
	{"Pacific/Kiritimati", -2061982382LL, -38400, "-1040"},
	{"Pacific/Kiritimati", 10404184089LL, 50400, "+14"},
	{"America/Santiago", -1826673423LL, -18000, "-05"},
	{"America/Santiago", 9450623209LL, -14400, "-04"},
	{"America/Santiago", 4831815972LL, -10800, "-03"},
	{"America/Santiago", 8681410948LL, -10800, "-03"},
	{"America/Santiago", 4456719541LL, -10800, "-03"},
	{"America/Santiago", 738291492LL, -14400, "-04"},
	{"America/Santiago", -1853980561LL, -18000, "-05"},
	{"America/Santiago", 1020724459LL, -14400, "-04"},
	{"America/Santiago", 876628799LL, -14400, "-04"},
	{"America/Santiago", 876628800LL, -10800, "-03"},
};

/* 200 (instant, offset) pairs from Python's zoneinfo, 1900..2300, 20 zones. */
static void test_cross_check_python(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(sizeof(cross_rows) / sizeof(cross_rows[0]), 200);
	for (i = 0; i < sizeof(cross_rows) / sizeof(cross_rows[0]); i++) {
		tr_tz *tz = load(cross_rows[i].zone);
		int64_t out[2], w = cross_rows[i].instant + cross_rows[i].offset;
		int n, k, found = 0;

		check_at(tz, cross_rows[i].instant, cross_rows[i].offset, cross_rows[i].abbr);
		assert_int_equal(tr_tz_to_wall(tz, cross_rows[i].instant), w);
		n = tr_tz_resolve(tz, w, out, NULL);
		for (k = 0; k < n; k++)
			found |= out[k] == cross_rows[i].instant;
		if (!found)
			fail_msg("%s: resolve(%lld) lost instant %lld", cross_rows[i].zone, (long long)w,
				 (long long)cross_rows[i].instant);
		tr_tz_free(tz);
	}
}

/* resolve is the exact inverse of to_wall, gap_end is the end of the gap. */
static void test_resolve_inverts_to_wall(void **state)
{
	static const struct {
		const char *zone;
		int64_t from, to;
	} spans[] = {
		{"America/Los_Angeles", 1704067200, 1767225600}, {"Australia/Lord_Howe", 1704067200, 1767225600},
		{"Pacific/Apia", 1293840000, 1357000000},        {"Europe/Dublin", 1893456000, 1956528000},
		{"America/New_York", -2730000000LL, -2700000000LL},
		{"Africa/Casablanca", 1893456000, 1956528000},
		{"America/New_York", 16725225600LL, 16788297600LL},
	};
	size_t s;

	(void)state;
	for (s = 0; s < sizeof(spans) / sizeof(spans[0]); s++) {
		tr_tz *tz = load(spans[s].zone);
		int64_t t;

		/* Every instant is found again from its wall time. */
		for (t = spans[s].from; t < spans[s].to; t += 887) {
			int64_t out[2] = {0, 0}, w = tr_tz_to_wall(tz, t);
			int n = tr_tz_resolve(tz, w, out, NULL);

			if (!((n >= 1 && out[0] == t) || (n == 2 && out[1] == t)))
				fail_msg("%s: instant %lld not among the %d of wall %lld", spans[s].zone,
					 (long long)t, n, (long long)w);
		}
		/* Every wall time resolves to instants showing it, or lies in a gap. */
		for (t = spans[s].from; t < spans[s].to; t += 613) {
			int64_t out[2] = {0, 0}, gap_end = 0;
			int n = tr_tz_resolve(tz, t, out, &gap_end), k;

			assert_true(n >= 0 && n <= 2);
			for (k = 0; k < n; k++)
				assert_int_equal(tr_tz_to_wall(tz, out[k]), t);
			if (n == 2)
				assert_true(out[0] < out[1]);
			if (n == 0) {
				assert_true(tr_tz_to_wall(tz, gap_end) > t);
				assert_true(tr_tz_to_wall(tz, gap_end - 1) < t);
			}
		}
		tr_tz_free(tz);
	}
}

struct thread_arg {
	const tr_tz *tz;
	int64_t sum;
};

static void *thread_lookups(void *p)
{
	struct thread_arg *a = p;
	int64_t t, out[2], gap;

	for (t = 1600000000; t < 1800000000; t += 99991) {
		a->sum += tr_tz_offset_at(a->tz, t);
		if (tr_tz_resolve(a->tz, t, out, &gap) > 0)
			a->sum += out[0] - t;
	}
	return NULL;
}

/* One loaded zone shared by several threads gives the same answers. */
static void test_shared_between_threads(void **state)
{
	tr_tz *tz = load("Europe/Berlin");
	struct thread_arg ref = {tz, 0}, args[4];
	pthread_t th[4];
	int i;

	(void)state;
	thread_lookups(&ref);
	for (i = 0; i < 4; i++) {
		args[i].tz = tz;
		args[i].sum = 0;
		assert_int_equal(pthread_create(&th[i], NULL, thread_lookups, &args[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(args[i].sum, ref.sum);
	}
	tr_tz_free(tz);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_utc_builtin_needs_no_file, tzdir_setup, tzdir_teardown),
		cmocka_unit_test(test_utc_names),
		cmocka_unit_test(test_utc_like_files),
		cmocka_unit_test(test_los_angeles_2024),
		cmocka_unit_test(test_berlin_2024),
		cmocka_unit_test(test_kolkata),
		cmocka_unit_test(test_sydney_southern_hemisphere),
		cmocka_unit_test(test_lord_howe_half_hour_dst),
		cmocka_unit_test(test_apia_skipped_day),
		cmocka_unit_test(test_new_york_far_future_and_past),
		cmocka_unit_test(test_abbreviations),
		cmocka_unit_test(test_offset_bounds),
		cmocka_unit_test(test_next_transition),
		cmocka_unit_test(test_refused_names),
		cmocka_unit_test_setup_teardown(test_tzdir_honoured, tzdir_setup, tzdir_teardown),
		cmocka_unit_test_setup_teardown(test_truncated_files, tzdir_setup, tzdir_teardown),
		cmocka_unit_test_setup_teardown(test_mutated_files, tzdir_setup, tzdir_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_synthetic_files, tzdir_setup, tzdir_teardown),
		cmocka_unit_test_setup_teardown(test_version1_file, tzdir_setup, tzdir_teardown),
		cmocka_unit_test_setup_teardown(test_synthetic_footers, tzdir_setup, tzdir_teardown),
		cmocka_unit_test(test_cross_check_python),
		cmocka_unit_test(test_resolve_inverts_to_wall),
		cmocka_unit_test(test_shared_between_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
