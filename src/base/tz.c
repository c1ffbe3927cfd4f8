/*
 * tz.c — IANA timezones read from TZif files (tz.h, RFC 8536).
 *
 * A loaded zone is one sorted array of transition instants, each naming the
 * local time type (UTC offset, DST flag, abbreviation) in force from that
 * instant on, plus the type in force before the first transition. Lookups are
 * one binary search and never allocate.
 *
 * Loading: the file is $TZDIR/<name> (default /usr/share/zoneinfo), read at
 * call time. Of a v2+ file only the 64-bit block and the footer are used; leap
 * second records and the std/wall and ut/local indicators are skipped. Every
 * count and index is checked against the file size: a corrupt file is an
 * error, never a crash. The footer's POSIX TZ rule is expanded into explicit
 * transitions from the last stored one through rule-year max(2400, last + 401).
 *
 * Beyond the table: a POSIX rule repeats exactly every 400 Gregorian years
 * (146097 days), so when the expanded rule is a plain alternation of DST start
 * and end (every real zone), the last 800 transitions form one cycle and any
 * later instant is folded back into it (cycle_len). Zones whose rule does not
 * alternate cleanly keep their last type after the table.
 *
 * Agreement with Python's zoneinfo: the type before the first transition is
 * the first non-DST type of the file (else the first transition's type); a
 * file without transitions uses its footer (else its last type) throughout;
 * abbreviations and offsets (to the second, e.g. LMT -4:56:02) are the file's.
 * Two deliberate differences: the built-in UTC zone is abbreviated "UTC" even
 * when loaded as "GMT" (Python: "GMT"); a footer rule day in the zero-based
 * form "n" follows POSIX and glibc (Python 3.11 places it one day early). No
 * zone of the tz database uses that form.
 *
 * Invariants: at[] is strictly increasing; type[i] < type_count; type_before
 * < type_count; when cycle_len > 0 the cycle base at[count - cycle_len] is
 * after 1970 and at[count - 1] < base + TZ_CYCLE_SECS.
 * A tr_tz is immutable after tr_tz_load and may be shared between threads.
 * Called by the partition code (time windows, cron schedules) and the CLI.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/civil.h"
#include "base/tz.h"
#include "tranche/error.h"

#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"
#define TZ_NAME_MAX 255
#define TZ_FILE_MAX (1 << 20)
#define TZ_ABBR_MAX 63
#define TZ_FOOTER_MAX 255
#define TZ_EXPAND_UNTIL_YEAR 2400
#define TZ_CYCLE_YEARS 400
#define TZ_CYCLE_SECS ((int64_t)146097 * TR_SECS_PER_DAY)
#define TZ_HEADER_SIZE 44
#define TZ_EXAMPLES "expected an IANA name such as \"UTC\", \"America/New_York\" or \"Europe/Berlin\""

typedef struct tz_type {
	int32_t offset;   /* seconds east of UTC */
	uint8_t isdst;
	uint32_t abbr_at; /* index into pool while loading */
	const char *abbr; /* into pool, set once the pool is final */
} tz_type;

struct tr_tz {
	char *name;
	int is_utc;
	int32_t min_offset, max_offset;
	size_t count;      /* transitions */
	int64_t *at;       /* count instants, strictly increasing */
	uint16_t *type;    /* count type indexes: the type from at[i] on */
	uint16_t type_before;
	size_t type_count;
	tz_type *types;
	char *pool;        /* NUL-terminated abbreviations */
	size_t cycle_len;  /* 0, or the last cycle_len transitions repeat every TZ_CYCLE_SECS */
	int cycle_changes_offset;
};

/* ---- small helpers ------------------------------------------------------------ */

static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static int64_t sat_sub(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_sub_overflow(a, b, &r))
		return b < 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int64_t be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | (uint64_t)be32(p + 4));
}

/* Number of a[0..n) that are <= t. */
static size_t upper_bound(const int64_t *a, size_t n, int64_t t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- names and errors --------------------------------------------------------- */

/* A copy of a user-given name that is safe to quote in a message. */
static void name_for_msg(const char *name, char *buf, size_t cap)
{
	size_t i, n = 0;

	for (i = 0; name[i] && n + 4 < cap; i++) {
		unsigned char c = (unsigned char)name[i];

		buf[n++] = (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') ? '?' : (char)c;
	}
	if (name[i]) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
}

static int unknown_zone(const char *name, tr_error *err)
{
	char shown[80];

	name_for_msg(name, shown, sizeof(shown));
	return tr_error_set(err, TR_EINVAL, "unknown timezone \"%s\": " TZ_EXAMPLES, shown);
}

static int corrupt_zone(const char *name, const char *why, tr_error *err)
{
	char shown[80];

	name_for_msg(name, shown, sizeof(shown));
	return tr_error_set(err, TR_EINVAL,
			    "timezone \"%s\": its tz database file is not a valid TZif file (%s); "
			    "reinstall the tz database (tzdata)",
			    shown, why);
}

/* 0 when name may be looked up in the tz database, else TR_EINVAL. */
static int check_name(const char *name, tr_error *err)
{
	char shown[80];
	const char *p;
	int has_space = 0, bad = 0;

	if (!name || !*name)
		return tr_error_set(err, TR_EINVAL, "empty timezone name: " TZ_EXAMPLES);
	name_for_msg(name, shown, sizeof(shown));
	if (strlen(name) > TZ_NAME_MAX)
		return tr_error_set(err, TR_EINVAL,
				    "invalid timezone \"%s\": longer than %d characters; " TZ_EXAMPLES,
				    shown, TZ_NAME_MAX);
	if (name[0] == '/' || strstr(name, ".."))
		return tr_error_set(err, TR_EINVAL,
				    "invalid timezone \"%s\": file paths are not accepted; " TZ_EXAMPLES,
				    shown);
	for (p = name; *p; p++) {
		if (*p == ' ')
			has_space = 1;
		else if (!is_alpha(*p) && !is_digit(*p) && *p != '/' && *p != '_' && *p != '-' &&
			 *p != '+')
			bad = 1;
	}
	if (has_space && !bad) {
		char fixed[80];
		size_t i;

		for (i = 0; shown[i]; i++)
			fixed[i] = shown[i] == ' ' ? '_' : shown[i];
		fixed[i] = '\0';
		return tr_error_set(err, TR_EINVAL,
				    "invalid timezone \"%s\": names use '_' for spaces (\"%s\"); " TZ_EXAMPLES,
				    shown, fixed);
	}
	if (has_space || bad)
		return tr_error_set(err, TR_EINVAL,
				    "invalid timezone \"%s\": names contain only letters, digits and "
				    "'/', '_', '-', '+'; " TZ_EXAMPLES,
				    shown);
	return 0;
}

/* "UTC" in any case, "Etc/UTC", "GMT", "Etc/GMT", "Z": no file needed. */
static int is_builtin_utc(const char *name)
{
	static const char *const exact[] = {"Etc/UTC", "GMT", "Etc/GMT", "Z"};
	size_t i;

	if (strlen(name) == 3 && (name[0] | 0x20) == 'u' && (name[1] | 0x20) == 't' &&
	    (name[2] | 0x20) == 'c')
		return 1;
	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(name, exact[i]) == 0)
			return 1;
	return 0;
}

/* ---- segments: the span between two transitions --------------------------------- */

typedef struct tz_seg {
	int64_t start;  /* INT64_MIN: since forever */
	int64_t end;    /* INT64_MAX: forever */
	uint16_t type;
	size_t k;       /* table transitions at or before the unshifted start, 0..count */
	int64_t shift;  /* whole cycles added to the table's instants */
} tz_seg;

static void seg_fill(const tr_tz *tz, size_t k, int64_t shift, tz_seg *seg)
{
	seg->k = k;
	seg->shift = shift;
	if (k == 0) {
		seg->start = INT64_MIN;
		seg->type = tz->type_before;
	} else {
		seg->start = sat_add(tz->at[k - 1], shift);
		seg->type = tz->type[k - 1];
	}
	if (k < tz->count)
		seg->end = sat_add(tz->at[k], shift);
	else if (tz->cycle_len)
		seg->end = sat_add(sat_add(tz->at[tz->count - tz->cycle_len], TZ_CYCLE_SECS), shift);
	else
		seg->end = INT64_MAX;
}

/* The whole cycles to subtract from t (at or after the last transition) to
   bring it into the table's last cycle. Never overflows: base > 0 and t >= base. */
static int64_t cycle_shift(const tr_tz *tz, int64_t t)
{
	int64_t base = tz->at[tz->count - tz->cycle_len];

	return (t - base) / TZ_CYCLE_SECS * TZ_CYCLE_SECS;
}

static void seg_locate(const tr_tz *tz, int64_t t, tz_seg *seg)
{
	int64_t shift = 0;

	if (tz->cycle_len && t >= tz->at[tz->count - 1]) {
		shift = cycle_shift(tz, t);
		t -= shift;
	}
	seg_fill(tz, upper_bound(tz->at, tz->count, t), shift, seg);
}

/* Moves to the following segment; 0 when seg runs forever. */
static int seg_next(const tr_tz *tz, tz_seg *seg)
{
	if (seg->end == INT64_MAX)
		return 0;
	if (seg->k < tz->count)
		seg_fill(tz, seg->k + 1, seg->shift, seg);
	else
		seg_fill(tz, tz->count - tz->cycle_len + 1, sat_add(seg->shift, TZ_CYCLE_SECS), seg);
	return 1;
}

static uint16_t type_at(const tr_tz *tz, int64_t t)
{
	size_t k;

	if (tz->count == 0)
		return tz->type_before;
	if (tz->cycle_len && t >= tz->at[tz->count - 1])
		t -= cycle_shift(tz, t);
	k = upper_bound(tz->at, tz->count, t);
	return k ? tz->type[k - 1] : tz->type_before;
}

/* ---- POSIX TZ strings (the footer) ----------------------------------------------- */

enum { RULE_JULIAN, RULE_DAY, RULE_MONTH };

typedef struct tz_rule {
	int kind;          /* Jn (1..365, no Feb 29), n (0..365), Mm.w.d */
	int day, mon, week, wday;
	int32_t time;      /* seconds after local midnight; may be < 0 or > 24h */
} tz_rule;

typedef struct tz_footer {
	char std_name[TZ_ABBR_MAX + 1];
	int32_t std_offset; /* east positive, unlike the string */
	int has_dst;
	char dst_name[TZ_ABBR_MAX + 1];
	int32_t dst_offset;
	tz_rule start, end;
} tz_footer;

/* 1..maxdigits decimal digits. */
static int parse_num(const char **pp, int maxdigits, int *out)
{
	const char *p = *pp;
	int v = 0, n = 0;

	while (is_digit(*p) && n < maxdigits) {
		v = v * 10 + (*p - '0');
		p++;
		n++;
	}
	if (n == 0 || is_digit(*p))
		return 0;
	*out = v;
	*pp = p;
	return 1;
}

/* [+-]hh[:mm[:ss]] with hours <= max_hours, in seconds. */
static int parse_hms(const char **pp, int max_hours, int32_t *out)
{
	const char *p = *pp;
	int sign = 1, h, m = 0, s = 0;

	if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		p++;
	}
	if (!parse_num(&p, 3, &h) || h > max_hours)
		return 0;
	if (*p == ':') {
		p++;
		if (!parse_num(&p, 2, &m) || m > 59)
			return 0;
		if (*p == ':') {
			p++;
			if (!parse_num(&p, 2, &s) || s > 59)
				return 0;
		}
	}
	*out = sign * (h * 3600 + m * 60 + s);
	*pp = p;
	return 1;
}

/* An abbreviation: letters, or <...> of letters, digits, '+', '-'. */
static int parse_abbr(const char **pp, char *out)
{
	const char *p = *pp, *start;
	size_t n;

	if (*p == '<') {
		start = ++p;
		while (is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-')
			p++;
		if (*p != '>')
			return 0;
		n = (size_t)(p - start);
		p++;
	} else {
		start = p;
		while (is_alpha(*p))
			p++;
		n = (size_t)(p - start);
	}
	if (n == 0 || n > TZ_ABBR_MAX)
		return 0;
	memcpy(out, start, n);
	out[n] = '\0';
	*pp = p;
	return 1;
}

static int parse_rule(const char **pp, tz_rule *r)
{
	const char *p = *pp;

	memset(r, 0, sizeof(*r));
	if (*p == 'J') {
		p++;
		r->kind = RULE_JULIAN;
		if (!parse_num(&p, 3, &r->day) || r->day < 1 || r->day > 365)
			return 0;
	} else if (*p == 'M') {
		p++;
		r->kind = RULE_MONTH;
		if (!parse_num(&p, 2, &r->mon) || r->mon < 1 || r->mon > 12 || *p++ != '.')
			return 0;
		if (!parse_num(&p, 1, &r->week) || r->week < 1 || r->week > 5 || *p++ != '.')
			return 0;
		if (!parse_num(&p, 1, &r->wday) || r->wday > 6)
			return 0;
	} else {
		r->kind = RULE_DAY;
		if (!parse_num(&p, 3, &r->day) || r->day > 365)
			return 0;
	}
	r->time = 2 * 3600;
	if (*p == '/') {
		p++;
		/* RFC 8536 extends rule times to -167..167 hours. */
		if (!parse_hms(&p, 167, &r->time))
			return 0;
	}
	*pp = p;
	return 1;
}

/* Parses a whole footer such as "CET-1CEST,M3.5.0,M10.5.0/3"; 0 when malformed. */
static int parse_footer(const char *s, tz_footer *f)
{
	const char *p = s;
	int32_t off;

	memset(f, 0, sizeof(*f));
	if (!parse_abbr(&p, f->std_name) || !parse_hms(&p, 24, &off))
		return 0;
	f->std_offset = -off;
	if (*p == '\0')
		return 1;
	if (!parse_abbr(&p, f->dst_name))
		return 0;
	f->has_dst = 1;
	f->dst_offset = f->std_offset + 3600;
	if (*p != ',' && *p != '\0') {
		if (!parse_hms(&p, 24, &off))
			return 0;
		f->dst_offset = -off;
	}
	/* POSIX leaves the default rule to the implementation; zic always writes one. */
	if (*p++ != ',' || !parse_rule(&p, &f->start) || *p++ != ',' || !parse_rule(&p, &f->end))
		return 0;
	return *p == '\0';
}

/* Days since 1970-01-01 of the rule's date in `year`. */
static int64_t rule_day(const tz_rule *r, int64_t year)
{
	int64_t jan1 = tr_days_from_civil(year, 1, 1), first, day;
	int len;

	switch (r->kind) {
	case RULE_JULIAN:
		return jan1 + r->day - 1 + (tr_is_leap_year(year) && r->day >= 60);
	case RULE_DAY:
		return jan1 + r->day;
	default:
		first = tr_days_from_civil(year, r->mon, 1);
		day = first + (r->wday - tr_weekday_from_days(first) + 7) % 7 + (int64_t)(r->week - 1) * 7;
		len = tr_days_in_month(year, r->mon);
		while (day >= first + len)
			day -= 7;
		return day;
	}
}

/* The instant of the rule in `year`, its time read on a clock at `offset`. */
static int64_t rule_instant(const tz_rule *r, int64_t year, int32_t offset)
{
	return rule_day(r, year) * TR_SECS_PER_DAY + r->time - offset;
}

/* ---- TZif ------------------------------------------------------------------------ */

typedef struct tzif_view {
	int version;            /* 1, 2, 3, 4... */
	size_t time_size;       /* 4 or 8 */
	uint32_t timecnt, typecnt, charcnt;
	const uint8_t *times, *idxs, *ttinfos, *chars;
	int has_footer;
	char footer[TZ_FOOTER_MAX + 1];
} tzif_view;

typedef struct tzif_counts {
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} tzif_counts;

/* Reads the header at pos: NULL on success, else what is wrong. */
static const char *tzif_header(const uint8_t *buf, size_t len, size_t pos, tzif_counts *c)
{
	const uint8_t *h = buf + pos;

	if (len - pos < TZ_HEADER_SIZE)
		return "truncated header";
	if (memcmp(h, "TZif", 4) != 0)
		return "bad magic";
	c->isutcnt = be32(h + 20);
	c->isstdcnt = be32(h + 24);
	c->leapcnt = be32(h + 28);
	c->timecnt = be32(h + 32);
	c->typecnt = be32(h + 36);
	c->charcnt = be32(h + 40);
	return NULL;
}

static uint64_t tzif_block_size(const tzif_counts *c, size_t time_size)
{
	return (uint64_t)c->timecnt * (time_size + 1) + (uint64_t)c->typecnt * 6 + c->charcnt +
	       (uint64_t)c->leapcnt * (time_size + 4) + c->isstdcnt + c->isutcnt;
}

/* Locates the data a tr_tz needs; NULL on success, else why the file is corrupt. */
static const char *tzif_parse(const uint8_t *buf, size_t len, tzif_view *v)
{
	tzif_counts c;
	const char *why;
	size_t pos = 0;
	uint64_t size;

	memset(v, 0, sizeof(*v));
	if ((why = tzif_header(buf, len, pos, &c)))
		return why;
	v->version = buf[4] == 0 ? 1 : buf[4] - '0';
	if (v->version < 1)
		return "unknown version";
	v->time_size = 4;
	size = tzif_block_size(&c, 4);
	if (size > len - pos - TZ_HEADER_SIZE)
		return "truncated data block";
	if (v->version >= 2) {
		/* Skip the v1 block: the v2+ block has 64-bit times and a footer. */
		pos += TZ_HEADER_SIZE + (size_t)size;
		if ((why = tzif_header(buf, len, pos, &c)))
			return strcmp(why, "bad magic") == 0 ? "bad second header" : why;
		v->time_size = 8;
		size = tzif_block_size(&c, 8);
		if (size > len - pos - TZ_HEADER_SIZE)
			return "truncated data block";
	}
	/* Only the block used is checked: readers skip the v1 block of v2+ files. */
	if (c.typecnt == 0 || c.typecnt > 256)
		return "local time type count out of range";
	if (c.charcnt == 0)
		return "no time zone designations";
	pos += TZ_HEADER_SIZE;
	v->timecnt = c.timecnt;
	v->typecnt = c.typecnt;
	v->charcnt = c.charcnt;
	v->times = buf + pos;
	v->idxs = v->times + (size_t)c.timecnt * v->time_size;
	v->ttinfos = v->idxs + c.timecnt;
	v->chars = v->ttinfos + (size_t)c.typecnt * 6;
	pos += (size_t)size;
	if (v->version >= 2) {
		const uint8_t *nl;
		size_t n;

		if (pos >= len || buf[pos] != '\n')
			return "missing footer";
		nl = memchr(buf + pos + 1, '\n', len - pos - 1);
		if (!nl)
			return "unterminated footer";
		n = (size_t)(nl - (buf + pos + 1));
		if (n > TZ_FOOTER_MAX || memchr(buf + pos + 1, '\0', n))
			return "invalid footer";
		memcpy(v->footer, buf + pos + 1, n);
		v->footer[n] = '\0';
		v->has_footer = n > 0;
	}
	return NULL;
}

/* ---- building a tr_tz ------------------------------------------------------------- */

static int same_type(const tr_tz *tz, uint16_t a, uint16_t b)
{
	const tz_type *x = &tz->types[a], *y = &tz->types[b];

	return a == b || (x->offset == y->offset && x->isdst == y->isdst &&
			  strcmp(tz->pool + x->abbr_at, tz->pool + y->abbr_at) == 0);
}

/* The index of a type equal to (offset, isdst, abbr), appending one if needed.
   types and pool have room for the two footer types. */
static uint16_t footer_type(tr_tz *tz, size_t *pool_len, int32_t offset, int isdst, const char *abbr)
{
	size_t i, n = strlen(abbr);

	for (i = 0; i < tz->type_count; i++)
		if (tz->types[i].offset == offset && tz->types[i].isdst == isdst &&
		    strcmp(tz->pool + tz->types[i].abbr_at, abbr) == 0)
			return (uint16_t)i;
	memcpy(tz->pool + *pool_len, abbr, n + 1);
	tz->types[i].offset = offset;
	tz->types[i].isdst = (uint8_t)isdst;
	tz->types[i].abbr_at = (uint32_t)*pool_len;
	*pool_len += n + 1;
	tz->type_count++;
	return (uint16_t)i;
}

static int64_t year_of(int64_t instant)
{
	int64_t y;
	int m, d;

	tr_civil_from_days(tr_floor_div(instant, TR_SECS_PER_DAY), &y, &m, &d);
	return y;
}

typedef struct tz_event {
	int64_t at;
	uint16_t type;
} tz_event;

/*
 * Appends the footer rule's transitions for rule-years y0..y1 after the stored
 * ones (tz->at has room for 2 * (y1 - y0 + 1) more). When they alternate
 * cleanly the last 400 years become the repeating cycle.
 */
static int expand_rule(tr_tz *tz, const tz_footer *f, uint16_t std_type, uint16_t dst_type,
		       int64_t y0, int64_t y1)
{
	size_t n = (size_t)(y1 - y0 + 1) * 2, i, first_new = tz->count;
	tz_event *ev = malloc(n * sizeof(*ev));
	int regular = 1;
	int64_t y, last = tz->count ? tz->at[tz->count - 1] : INT64_MIN;
	uint16_t prev = tz->count ? tz->type[tz->count - 1] : tz->type_before;

	if (!ev)
		return TR_ENOMEM;
	for (y = y0, i = 0; y <= y1; y++, i += 2) {
		int64_t s = rule_instant(&f->start, y, f->std_offset);
		int64_t e = rule_instant(&f->end, y, f->dst_offset);

		if (s == e)
			regular = 0;
		ev[i].at = s < e ? s : e;
		ev[i].type = s < e ? dst_type : std_type;
		ev[i + 1].at = s < e ? e : s;
		ev[i + 1].type = s < e ? std_type : dst_type;
		if (i > 0 && ev[i - 1].at >= ev[i].at)
			regular = 0;
	}
	if (!regular) {
		/* Stable insertion sort: the events are nearly in order. */
		for (i = 1; i < n; i++) {
			tz_event e = ev[i];
			size_t j = i;

			for (; j > 0 && ev[j - 1].at > e.at; j--)
				ev[j] = ev[j - 1];
			ev[j] = e;
		}
	}
	for (i = 0; i < n; i++) {
		if (ev[i].at <= last)
			continue;
		/* Of several events at one instant the last one generated wins. */
		if (i + 1 < n && ev[i + 1].at == ev[i].at)
			continue;
		if (same_type(tz, prev, ev[i].type))
			continue;
		tz->at[tz->count] = ev[i].at;
		tz->type[tz->count] = ev[i].type;
		tz->count++;
		prev = ev[i].type;
	}
	/* Regular events alternate, so only leading ones can have been dropped:
	   with 800 kept, the last 800 are exactly rule-years y1-399..y1. */
	if (regular && tz->count - first_new >= 2 * TZ_CYCLE_YEARS &&
	    tz->at[tz->count - 2 * TZ_CYCLE_YEARS] > 0) {
		tz->cycle_len = 2 * TZ_CYCLE_YEARS;
		tz->cycle_changes_offset = f->std_offset != f->dst_offset;
	}
	free(ev);
	return 0;
}

static void compute_bounds(tr_tz *tz)
{
	size_t i;
	int32_t lo = tz->types[tz->type_before].offset, hi = lo;

	for (i = 0; i < tz->count; i++) {
		int32_t o = tz->types[tz->type[i]].offset;

		if (o < lo)
			lo = o;
		if (o > hi)
			hi = o;
	}
	tz->min_offset = lo;
	tz->max_offset = hi;
	tz->is_utc = lo == 0 && hi == 0;
}

static tr_tz *tz_alloc(const char *name)
{
	tr_tz *tz = calloc(1, sizeof(*tz));

	if (!tz)
		return NULL;
	tz->name = strdup(name);
	if (!tz->name) {
		free(tz);
		return NULL;
	}
	return tz;
}

static int tz_new_utc(const char *name, tr_tz **out)
{
	tr_tz *tz = tz_alloc(strlen(name) == 3 && (name[0] | 0x20) == 'u' ? "UTC" : name);

	if (!tz)
		return TR_ENOMEM;
	tz->types = calloc(1, sizeof(*tz->types));
	tz->pool = strdup("UTC");
	if (!tz->types || !tz->pool) {
		tr_tz_free(tz);
		return TR_ENOMEM;
	}
	tz->type_count = 1;
	tz->types[0].abbr = tz->pool;
	tz->is_utc = 1;
	*out = tz;
	return 0;
}

/* Transition i of the view's data block. */
static int64_t tzif_time(const tzif_view *v, size_t i)
{
	return v->time_size == 8 ? be64(v->times + i * 8) : (int64_t)(int32_t)be32(v->times + i * 4);
}

/* Copies the view's local time types and designations, adds the footer's
   (std and, with DST, dst) and points every abbreviation into the pool. */
static int load_types(tr_tz *tz, const tzif_view *v, const tz_footer *f, uint16_t *std_type,
		      uint16_t *dst_type, const char **why)
{
	size_t i, pool_len;

	tz->types = calloc(v->typecnt + 2, sizeof(*tz->types));
	tz->pool = malloc(v->charcnt + 1 + 2 * (TZ_ABBR_MAX + 1));
	if (!tz->types || !tz->pool)
		return TR_ENOMEM;
	memcpy(tz->pool, v->chars, v->charcnt);
	tz->pool[v->charcnt] = '\0'; /* a designation missing its NUL ends here */
	pool_len = v->charcnt + 1;
	for (i = 0; i < v->typecnt; i++) {
		const uint8_t *t = v->ttinfos + i * 6;

		tz->types[i].offset = (int32_t)be32(t);
		tz->types[i].isdst = t[4] != 0;
		tz->types[i].abbr_at = t[5];
		if (tz->types[i].offset == INT32_MIN) {
			*why = "invalid UTC offset";
			return TR_EINVAL;
		}
		if (t[5] >= v->charcnt) {
			*why = "designation index out of range";
			return TR_EINVAL;
		}
	}
	tz->type_count = v->typecnt;
	*std_type = *dst_type = 0;
	if (v->has_footer) {
		*std_type = footer_type(tz, &pool_len, f->std_offset, 0, f->std_name);
		if (f->has_dst)
			*dst_type = footer_type(tz, &pool_len, f->dst_offset, 1, f->dst_name);
	}
	for (i = 0; i < tz->type_count; i++)
		tz->types[i].abbr = tz->pool + tz->types[i].abbr_at;
	return 0;
}

/* Copies the stored transitions (tz->at and tz->type have room), checking order and indexes. */
static int load_transitions(tr_tz *tz, const tzif_view *v, const char **why)
{
	size_t i;

	for (i = 0; i < v->timecnt; i++) {
		int64_t t = tzif_time(v, i);

		if (i > 0 && t <= tz->at[i - 1]) {
			*why = "transition times out of order";
			return TR_EINVAL;
		}
		if (v->idxs[i] >= v->typecnt) {
			*why = "local time type index out of range";
			return TR_EINVAL;
		}
		tz->at[i] = t;
		tz->type[i] = v->idxs[i];
	}
	tz->count = v->timecnt;
	return 0;
}

/* The type before the first transition, as Python's zoneinfo picks it. */
static uint16_t pick_type_before(const tr_tz *tz, const tzif_view *v, uint16_t std_type)
{
	size_t i;

	if (tz->count == 0) /* no transitions: the footer, else the last type, throughout */
		return v->has_footer ? std_type : (uint16_t)(v->typecnt - 1);
	for (i = 0; i < v->typecnt; i++)
		if (!tz->types[i].isdst)
			return (uint16_t)i;
	return tz->type[0];
}

/* Builds the zone from a located TZif view. On TR_EINVAL, *why says what is corrupt. */
static int tz_build(const char *name, const tzif_view *v, tr_tz **out, const char **why)
{
	tr_tz *tz = tz_alloc(name);
	tz_footer f;
	size_t cap;
	uint16_t std_type = 0, dst_type = 0;
	int64_t y0 = 0, y1 = 0, last_year;
	int expand = 0, rc = 0;

	*why = NULL;
	memset(&f, 0, sizeof(f));
	if (!tz)
		return TR_ENOMEM;
	if (v->has_footer && !parse_footer(v->footer, &f)) {
		*why = "invalid POSIX TZ rule in its footer";
		rc = TR_EINVAL;
		goto out;
	}
	if ((rc = load_types(tz, v, &f, &std_type, &dst_type, why)))
		goto out;

	/* The footer's DST rule is expanded from the year before the last stored
	   transition (a file without any: from 1900) through max(2400, + 401 years). */
	last_year = v->timecnt ? year_of(tzif_time(v, v->timecnt - 1)) : 1901;
	if (v->has_footer && f.has_dst && last_year <= 100000) {
		expand = 1;
		y0 = last_year - 1 < 1800 ? 1800 : last_year - 1;
		y1 = y0 + TZ_CYCLE_YEARS + 1;
		if (y1 < TZ_EXPAND_UNTIL_YEAR)
			y1 = TZ_EXPAND_UNTIL_YEAR;
	}
	cap = (size_t)v->timecnt + 1 + (expand ? (size_t)(y1 - y0 + 1) * 2 : 0);
	tz->at = malloc(cap * sizeof(*tz->at));
	tz->type = malloc(cap * sizeof(*tz->type));
	if (!tz->at || !tz->type) {
		rc = TR_ENOMEM;
		goto out;
	}
	if ((rc = load_transitions(tz, v, why)))
		goto out;
	tz->type_before = pick_type_before(tz, v, std_type);

	/* After the last stored transition: the footer. */
	if (expand) {
		rc = expand_rule(tz, &f, std_type, dst_type, y0, y1);
	} else if (v->has_footer && !f.has_dst && tz->count &&
		   !same_type(tz, tz->type[tz->count - 1], std_type) &&
		   tz->at[tz->count - 1] < INT64_MAX) {
		/* Python applies the footer strictly after the last transition. */
		tz->at[tz->count] = tz->at[tz->count - 1] + 1;
		tz->type[tz->count] = std_type;
		tz->count++;
	}
	if (rc == 0)
		compute_bounds(tz);
out:
	if (rc) {
		tr_tz_free(tz);
		return rc;
	}
	*out = tz;
	return 0;
}

/* Reads $TZDIR/name whole. */
static int read_zone_file(const char *name, uint8_t **out, size_t *out_len, tr_error *err)
{
	const char *dir = getenv("TZDIR");
	char path[4096];
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0, size;
	int fd = -1, n, rc = 0;

	if (!dir || !*dir)
		dir = TZ_DEFAULT_DIR;
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		rc = unknown_zone(name, err);
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR || errno == ENAMETOOLONG || errno == ELOOP)
			rc = unknown_zone(name, err);
		else
			rc = tr_error_set(err, TR_EIO, "timezone \"%s\": cannot read the tz database: %s",
					  name, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		rc = tr_error_set(err, TR_EIO, "timezone \"%s\": cannot read the tz database: %s", name,
				  strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = unknown_zone(name, err);
		goto out;
	}
	if (st.st_size > TZ_FILE_MAX) {
		rc = corrupt_zone(name, "too large", err);
		goto out;
	}
	size = (size_t)st.st_size;
	buf = malloc(size ? size : 1);
	if (!buf) {
		rc = tr_error_set(err, TR_ENOMEM, "timezone \"%s\": out of memory", name);
		goto out;
	}
	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = tr_error_set(err, TR_EIO, "timezone \"%s\": cannot read the tz database: %s",
					  name, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	*out = buf;
	*out_len = got;
	buf = NULL;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

/* ---- public API ------------------------------------------------------------------- */

int tr_tz_load(const char *name, tr_tz **out, tr_error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	tzif_view view;
	const char *why = NULL;
	tr_tz *tz = NULL;
	int rc;

	if (!out)
		return tr_error_set(err, TR_EINVAL, "tr_tz_load: no place to store the zone");
	*out = NULL;
	if ((rc = check_name(name, err)))
		goto out;
	if (is_builtin_utc(name)) {
		if ((rc = tz_new_utc(name, &tz)))
			tr_error_set(err, rc, "timezone \"%s\": out of memory", name);
		goto out;
	}
	if ((rc = read_zone_file(name, &data, &len, err)))
		goto out;
	why = tzif_parse(data, len, &view);
	if (why && strcmp(why, "bad magic") == 0) {
		rc = unknown_zone(name, err); /* some other file of the tz database */
		goto out;
	}
	if (why) {
		rc = corrupt_zone(name, why, err);
		goto out;
	}
	rc = tz_build(name, &view, &tz, &why);
	if (rc == TR_ENOMEM)
		tr_error_set(err, rc, "timezone \"%s\": out of memory", name);
	else if (rc)
		corrupt_zone(name, why ? why : "invalid", err);
out:
	free(data);
	if (rc == 0)
		*out = tz;
	return rc;
}

void tr_tz_free(tr_tz *tz)
{
	if (!tz)
		return;
	free(tz->name);
	free(tz->at);
	free(tz->type);
	free(tz->types);
	free(tz->pool);
	free(tz);
}

const char *tr_tz_name(const tr_tz *tz)
{
	return tz->name;
}

int tr_tz_is_utc(const tr_tz *tz)
{
	return tz->is_utc;
}

int32_t tr_tz_offset_at(const tr_tz *tz, int64_t instant)
{
	return tz->types[type_at(tz, instant)].offset;
}

const char *tr_tz_abbrev_at(const tr_tz *tz, int64_t instant)
{
	return tz->types[type_at(tz, instant)].abbr;
}

int64_t tr_tz_to_wall(const tr_tz *tz, int64_t instant)
{
	return sat_add(instant, tr_tz_offset_at(tz, instant));
}

/*
 * An instant i maps to wall w when i + offset_at(i) == w; any such i lies in
 * [w - max_offset, w - min_offset]. Each segment over that span offers one
 * candidate, w - its offset, valid when it falls inside the segment. With no
 * candidate, w lies in the jump of an offset increase: that transition ends
 * the gap. Exact for offset changes of any size.
 */
int tr_tz_resolve(const tr_tz *tz, int64_t wall, int64_t out[2], int64_t *gap_end)
{
	int64_t lo = sat_sub(wall, tz->max_offset), hi = sat_sub(wall, tz->min_offset);
	int64_t gap = INT64_MIN;
	int32_t prev_off = 0;
	int n = 0, first = 1;
	tz_seg seg;

	seg_locate(tz, lo, &seg);
	for (;;) {
		int32_t off = tz->types[seg.type].offset;
		int64_t cand;

		if (!__builtin_sub_overflow(wall, (int64_t)off, &cand) && seg.start <= cand &&
		    cand < seg.end && n < 2)
			out[n++] = cand;
		if (!first && gap == INT64_MIN && off > prev_off &&
		    sat_add(seg.start, prev_off) <= wall && wall < sat_add(seg.start, off))
			gap = seg.start;
		first = 0;
		prev_off = off;
		if (seg.end > hi || !seg_next(tz, &seg))
			break;
	}
	if (n == 0 && gap_end)
		*gap_end = gap != INT64_MIN ? gap : hi;
	return n;
}

void tr_tz_offset_bounds(const tr_tz *tz, int32_t *min_offset, int32_t *max_offset)
{
	if (min_offset)
		*min_offset = tz->min_offset;
	if (max_offset)
		*max_offset = tz->max_offset;
}

int tr_tz_next_transition(const tr_tz *tz, int64_t after, int64_t until, int64_t *at,
			  int32_t *before, int32_t *after_offset)
{
	tz_seg seg;
	int32_t cur;

	if (until <= after)
		return 0;
	seg_locate(tz, after, &seg);
	cur = tz->types[seg.type].offset;
	while (seg_next(tz, &seg)) {
		int32_t off = tz->types[seg.type].offset;

		if (seg.start > until)
			return 0;
		if (off != cur) {
			if (at)
				*at = seg.start;
			if (before)
				*before = cur;
			if (after_offset)
				*after_offset = off;
			return 1;
		}
		/* Inside the cycle and its rule never changes the offset: nothing ahead. */
		if (seg.shift > 0 && !tz->cycle_changes_offset)
			return 0;
	}
	return 0;
}
