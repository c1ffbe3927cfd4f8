/*
 * cron.c — 5-field cron expressions as croniter (Dagster's) reads them
 * (cron.h), evaluated on wall times.
 *
 * Parsing follows Dagster's vendored croniter:
 *   - fields split on whitespace; exactly 5 (croniter's seconds/year fields
 *     are refused); the aliases @yearly @annually @monthly @weekly @daily
 *     @midnight @hourly (whole expression, case-insensitive);
 *   - items `*`, `N`, `N-M`, `*\/S`, `N-M/S`, `N/S` (= N-max/S, where max is
 *     croniter's: 59, 23, 31, 12 and 6 for day-of-week); names jan..dec and
 *     sun..sat, case-insensitive; `?` alone in a day field means `*`;
 *   - day-of-week 7 is Sunday, and a day-of-week range ending in 0/sun ends
 *     on Sunday ("fri-sun", "5-0"), as croniter reads them.
 * Refused, where croniter would silently do something else than it looks:
 *   - reversed ranges ("5-1"): croniter wraps them around (5-59 and 0-1);
 *   - ranges with equal ends ("5-5", also "59/5" = 59-59/5): croniter reads
 *     them as the whole field;
 *   - croniter's extensions L, #, H/R (last day, nth weekday, hashed).
 * And expressions that can never fire ("0 0 30 2 *"): croniter fails on
 * them only when asked for a time.
 *
 * The *_star flags are croniter's notion of `*`, which decides the
 * day-of-month/day-of-week rule: a field is `*` when it is literally `*`
 * (or `?`), or when it covers its whole range — except that a whole-range
 * day field stays restricted when the other day field's text has no `*`.
 * So "0 0 1-31 * *" and "0 0 * * 0-6" are every day, "0 0 *\/1 * 5" and
 * "0 0 1-31 * 5" are every day (OR with a full day-of-month), and
 * "0 0 1-31 * *\/2" is Sunday, Tuesday, Thursday, Saturday (day-of-month
 * counts as `*`). When both day fields are restricted a day matches if
 * either matches (Vixie cron).
 *
 * tr_cron_next/prev jump month by month and day by day, then find the hour
 * and minute with bit scans: a call costs tens of nanoseconds for the usual
 * expressions and at most ~100 month steps for the sparsest (Feb 29).
 * When nothing matches (only possible for a hand-built tr_cron or walls
 * beyond +-980,000 years) next returns INT64_MAX and prev INT64_MIN.
 *
 * No state; callers: partitions (time windows), automation (schedules).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/civil.h"
#include "base/cron.h"

enum { F_MIN, F_HOUR, F_MDAY, F_MON, F_WDAY, F_COUNT };

typedef struct field_spec {
	const char *name;
	int lo, hi;  /* values accepted */
	int max;     /* croniter's upper end for "*\/S" and "N/S" */
	const char *const *names; /* 3-letter names for values names_base.. */
	int names_base, names_count;
} field_spec;

static const char *const month_names[12] = {"jan", "feb", "mar", "apr", "may", "jun",
					    "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const day_names[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static const field_spec fields[F_COUNT] = {
	{"minute", 0, 59, 59, NULL, 0, 0},
	{"hour", 0, 23, 23, NULL, 0, 0},
	{"day-of-month", 1, 31, 31, NULL, 0, 0},
	{"month", 1, 12, 12, month_names, 1, 12},
	{"day-of-week", 0, 7, 6, day_names, 0, 7},
};

static const struct {
	const char *alias, *expr;
} aliases[] = {
	{"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
	{"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
	{"@hourly", "0 * * * *"},
};

#define ALL_MINUTES ((uint64_t)0x0fffffffffffffffULL) /* bits 0..59 */
#define ALL_HOURS ((uint32_t)0x00ffffffU)              /* bits 0..23 */
#define ALL_MDAYS ((uint32_t)0xfffffffeU)              /* bits 1..31 */
#define ALL_MONTHS ((uint16_t)0x1ffeU)                 /* bits 1..12 */
#define ALL_WDAYS ((uint8_t)0x7fU)                     /* bits 0..6 */

/* Walls beyond this (about 980,000 years) are out of civil.h's range. */
#define WALL_LIMIT ((int64_t)31000000000000LL)

static int is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* What a field error needs to name: the whole expression and the field. */
typedef struct parse_ctx {
	const char *expr;
	const field_spec *spec;
	const char *text; /* the field's text */
	size_t len;
	tr_error *err;
} parse_ctx;

/* `cron "<expr>": <field> field "<text>"<rest>` */
static int field_error(const parse_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int field_error(const parse_ctx *c, const char *fmt, ...)
{
	char qe[256], qt[128], rest[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rest, sizeof rest, fmt, ap);
	va_end(ap);
	return tr_error_set(c->err, TR_EINVAL, "cron \"%s\": %s field \"%s\"%s",
			    tr_error_quote(qe, sizeof qe, c->expr, strlen(c->expr)), c->spec->name,
			    tr_error_quote(qt, sizeof qt, c->text, c->len), rest);
}

/* Subject of an item-level message: nothing when the item is the whole
   field (`hour field "25" is ...`), else `: "25"` (`hour field "1,25": "25" is ...`). */
static const char *item_subject(const parse_ctx *c, const char *item, size_t n, char *buf, size_t bn)
{
	char q[96];

	if (item == c->text && n == c->len)
		return "";
	snprintf(buf, bn, ": \"%s\"", tr_error_quote(q, sizeof q, item, n));
	return buf;
}

/* Reads a number or a name at *p (up to end). Returns 0 and sets *v, or
   reports the error. */
static int read_value(const parse_ctx *c, const char *item, size_t n, const char **p, const char *end,
		      int *v)
{
	const field_spec *f = c->spec;
	const char *s = *p;
	char sub[128], q[64];

	if (s < end && *s >= '0' && *s <= '9') {
		long val = 0;

		for (; s < end && *s >= '0' && *s <= '9'; s++)
			if (val < 1000000)
				val = val * 10 + (*s - '0');
		if (val < f->lo || val > f->hi) {
			if (item == c->text && n == c->len && s == end && *p == item)
				return field_error(c, " is out of range %d-%d", f->lo, f->hi);
			return field_error(c, ": %.*s is out of range %d-%d", (int)(s - *p), *p, f->lo,
					   f->hi);
		}
		*v = (int)val;
		*p = s;
		return 0;
	}
	if (f->names && end - s >= 3) {
		int i;

		for (i = 0; i < f->names_count; i++)
			if (lower((unsigned char)s[0]) == f->names[i][0] &&
			    lower((unsigned char)s[1]) == f->names[i][1] &&
			    lower((unsigned char)s[2]) == f->names[i][2] &&
			    (end - s == 3 || s[3] == '-' || s[3] == '/')) {
				*v = f->names_base + i;
				*p = s + 3;
				return 0;
			}
	}
	/* Name croniter's extensions rather than calling them garbage. */
	if (c->spec == &fields[F_MDAY] && n == 1 && lower((unsigned char)item[0]) == 'l')
		return field_error(c, "%s uses croniter's last-day-of-month syntax (L), which tranche does "
				      "not support",
				   item_subject(c, item, n, sub, sizeof sub));
	if (n >= 1 && (lower((unsigned char)item[0]) == 'h' || lower((unsigned char)item[0]) == 'r') &&
	    (n == 1 || item[1] == '(' || item[1] == '/'))
		return field_error(c, "%s uses croniter's hashed/random syntax (H, R), which tranche does "
				      "not support",
				   item_subject(c, item, n, sub, sizeof sub));
	if (f->names)
		return field_error(c, "%s is not valid: expected *, a number %d-%d or a name %s..%s, "
				      "optionally as a range N-M and with a step /S",
				   item_subject(c, item, n, sub, sizeof sub), f->lo, f->hi, f->names[0],
				   f->names[f->names_count - 1]);
	if (s == end)
		return field_error(c, "%s is not valid: a value is missing (expected a number %d-%d)",
				   item_subject(c, item, n, sub, sizeof sub), f->lo, f->hi);
	return field_error(c, "%s is not valid: \"%s\" is not a number %d-%d (expected *, N, N-M, */S, "
			      "N-M/S or N/S)",
			   item_subject(c, item, n, sub, sizeof sub), tr_error_quote(q, sizeof q, s, (size_t)(end - s)),
			   f->lo, f->hi);
}

static int read_step(const parse_ctx *c, const char *item, size_t n, const char *s, const char *end,
		     int *step)
{
	char sub[128];
	long v = 0;
	const char *d = s;

	for (; s < end && *s >= '0' && *s <= '9'; s++)
		if (v < 1000000)
			v = v * 10 + (*s - '0');
	if (d == s || s != end)
		return field_error(c, "%s is not valid: the step after / must be a number",
				   item_subject(c, item, n, sub, sizeof sub));
	if (v < 1)
		return field_error(c, "%s is not valid: the step must be at least 1",
				   item_subject(c, item, n, sub, sizeof sub));
	*step = (int)(v > 1000 ? 1000 : v);
	return 0;
}

/* Parses one comma-separated item into *bits. */
static int parse_item(const parse_ctx *c, const char *item, size_t n, uint64_t *bits)
{
	const field_spec *f = c->spec;
	const char *s = item, *end = item + n;
	char sub[128];
	int lo, hi, step = 1, v, rc, dow = f == &fields[F_WDAY], has_range = 0, implicit_hi = 0;

	if (n == 0)
		return field_error(c, " has an empty item (expected *, N, N-M, */S, N-M/S or N/S)");
	if (memchr(item, '#', n))
		return field_error(c, "%s uses croniter's nth-weekday syntax (#), which tranche does not support",
				   item_subject(c, item, n, sub, sizeof sub));
	if (*s == '*') {
		s++;
		lo = f->lo;
		hi = f->max;
		if (s == end) {
			/* "*" alone is handled by the caller; in a list croniter fails on it. */
			return field_error(c, ": \"*\" cannot be combined with other values in a list");
		}
		if (*s != '/')
			return field_error(c, "%s is not valid: expected / after *",
					   item_subject(c, item, n, sub, sizeof sub));
		if ((rc = read_step(c, item, n, s + 1, end, &step)))
			return rc;
		goto set;
	}
	if ((rc = read_value(c, item, n, &s, end, &lo)))
		return rc;
	hi = lo;
	if (s < end && *s == '-') {
		s++;
		if ((rc = read_value(c, item, n, &s, end, &hi)))
			return rc;
		has_range = 1;
	}
	if (s < end && *s == '/') {
		if ((rc = read_step(c, item, n, s + 1, end, &step)))
			return rc;
		if (!has_range) { /* N/S = N-max/S */
			hi = f->max;
			has_range = implicit_hi = 1;
		}
		s = end;
	}
	if (s != end)
		return field_error(c, "%s is not valid: unexpected \"%.*s\" (expected *, N, N-M, */S, N-M/S "
				      "or N/S)",
				   item_subject(c, item, n, sub, sizeof sub), (int)(end - s), s);
	if (has_range) {
		if (dow) {
			/* 7 is Sunday; a range ending on Sunday (0 or 7) ends after Saturday. */
			if (lo == 7)
				lo = 0;
			if (hi == 0)
				hi = 7;
		}
		if (lo > hi)
			return field_error(c, "%s is a reversed range (%d > %d), which croniter (Dagster) wraps "
					      "around; write it as two ranges, e.g. %d-%d,%d-%d",
					   item_subject(c, item, n, sub, sizeof sub), lo, hi, lo,
					   dow ? 6 : f->hi, f->lo, hi);
		if (lo == hi)
			return field_error(c, "%s%s is a range with equal ends, which croniter (Dagster) reads as "
					      "the whole field %d-%d; write %d for the single value",
					   item_subject(c, item, n, sub, sizeof sub),
					   implicit_hi ? " (N/S means N-max/S)" : "", f->lo, f->max, lo);
	}
set:
	for (v = lo; v <= hi; v += step)
		*bits |= (uint64_t)1 << (dow && v == 7 ? 0 : v);
	return 0;
}

/* Parses one field's text. *literal_star: the text is exactly "*" (or "?"
   in a day field). */
static int parse_field(parse_ctx *c, uint64_t *bits, int *literal_star)
{
	const char *s = c->text, *end = c->text + c->len, *comma;
	int rc, day_field = c->spec == &fields[F_MDAY] || c->spec == &fields[F_WDAY];

	*bits = 0;
	*literal_star = 0;
	if ((c->len == 1 && s[0] == '*') || (day_field && c->len == 1 && s[0] == '?')) {
		int v;

		for (v = c->spec->lo; v <= c->spec->max; v++)
			*bits |= (uint64_t)1 << v;
		*literal_star = 1;
		return 0;
	}
	if (memchr(s, '?', c->len))
		return field_error(c, " is not valid: ? must be alone, and only in day-of-month or "
				      "day-of-week");
	for (;;) {
		comma = memchr(s, ',', (size_t)(end - s));
		if (!comma)
			comma = end;
		if ((rc = parse_item(c, s, (size_t)(comma - s), bits)))
			return rc;
		if (comma == end)
			return 0;
		s = comma + 1;
	}
}

/* 1 when some month of the expression has a day of its day-of-month field
   (February counts 29 days: leap years exist). */
static int mdays_fit_months(const tr_cron *c)
{
	static const int longest[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int m;

	for (m = 1; m <= 12; m++)
		if ((c->months >> m & 1) && (c->mdays & (uint32_t)(((uint64_t)2 << longest[m]) - 2)))
			return 1;
	return 0;
}

int tr_cron_parse(const char *expr, tr_cron *cron, tr_error *err)
{
	const char *text = expr, *s, *starts[8];
	size_t lens[8], i;
	int nfields = 0, f, rc, literal[F_COUNT];
	uint64_t bits[F_COUNT];
	parse_ctx c;
	tr_cron out;
	char qe[256];

	/* Aliases are the whole expression, as croniter (no trimming). */
	for (i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
		const char *a = aliases[i].alias;
		size_t k;

		for (k = 0; a[k] && lower((unsigned char)expr[k]) == (unsigned char)a[k]; k++)
			;
		if (a[k] == '\0' && expr[k] == '\0') {
			text = aliases[i].expr;
			break;
		}
	}
	for (s = text;;) {
		while (is_space((unsigned char)*s))
			s++;
		if (!*s)
			break;
		if (nfields < 8) {
			starts[nfields] = s;
		}
		while (*s && !is_space((unsigned char)*s))
			s++;
		if (nfields < 8)
			lens[nfields] = (size_t)(s - starts[nfields]);
		nfields++;
	}
	if (nfields != F_COUNT)
		return tr_error_set(err, TR_EINVAL,
				    "cron \"%s\": expected 5 fields (minute hour day-of-month month "
				    "day-of-week), found %d%s",
				    tr_error_quote(qe, sizeof qe, expr, strlen(expr)), nfields,
				    nfields == 6 || nfields == 7 ? " (croniter's seconds and year fields are "
								   "not supported)"
								 : "");

	c.expr = expr;
	c.err = err;
	for (f = 0; f < F_COUNT; f++) {
		c.spec = &fields[f];
		c.text = starts[f];
		c.len = lens[f];
		if ((rc = parse_field(&c, &bits[f], &literal[f])))
			return rc;
	}

	memset(&out, 0, sizeof out);
	out.minutes = bits[F_MIN];
	out.hours = (uint32_t)bits[F_HOUR];
	out.mdays = (uint32_t)bits[F_MDAY];
	out.months = (uint16_t)bits[F_MON];
	out.wdays = (uint8_t)bits[F_WDAY];
	out.minute_star = out.minutes == ALL_MINUTES;
	out.hour_star = out.hours == ALL_HOURS;
	out.month_star = out.months == ALL_MONTHS;
	/* croniter: a whole-range day field is `*` unless the other day field's
	   text has no `*` in it (then it stays a list, for the OR rule). */
	out.mday_star = literal[F_MDAY] ||
			(out.mdays == ALL_MDAYS && memchr(starts[F_WDAY], '*', lens[F_WDAY]) != NULL);
	out.wday_star = literal[F_WDAY] ||
			(out.wdays == ALL_WDAYS && memchr(starts[F_MDAY], '*', lens[F_MDAY]) != NULL);

	if (!out.mday_star && out.wday_star && !mdays_fit_months(&out)) {
		char qd[96], qm[96];

		return tr_error_set(err, TR_EINVAL,
				    "cron \"%s\" can never fire: no month in month field \"%s\" has a day in "
				    "day-of-month field \"%s\"",
				    tr_error_quote(qe, sizeof qe, expr, strlen(expr)),
				    tr_error_quote(qm, sizeof qm, starts[F_MON], lens[F_MON]),
				    tr_error_quote(qd, sizeof qd, starts[F_MDAY], lens[F_MDAY]));
	}
	*cron = out;
	return 0;
}

/* ------------------------------------------------------------- matching */

static int usable(const tr_cron *c)
{
	return (c->minutes & ALL_MINUTES) && (c->hours & ALL_HOURS) && (c->months & ALL_MONTHS) &&
	       ((c->mdays & ALL_MDAYS) || (c->wdays & ALL_WDAYS));
}

/* The day-of-month/day-of-week rule (month checked by the caller). */
static int day_ok(const tr_cron *c, int mday, int wday)
{
	int dm = (int)(c->mdays >> mday & 1), dw = (int)(c->wdays >> wday & 1);

	if (c->mday_star)
		return c->wday_star ? 1 : dw;
	if (c->wday_star)
		return dm;
	return dm | dw;
}

/* The first matching minute of the day at or after h:m, or -1. */
static int next_in_day(const tr_cron *c, int h, int m)
{
	uint64_t mins = c->minutes & ALL_MINUTES;
	uint32_t hrs = c->hours & ALL_HOURS;

	if ((hrs >> h & 1) && (mins >> m))
		return h * 60 + m + __builtin_ctzll(mins >> m);
	hrs &= ~(((uint32_t)2 << h) - 1);
	if (!hrs)
		return -1;
	return __builtin_ctz(hrs) * 60 + __builtin_ctzll(mins);
}

/* The last matching minute of the day at or before h:m, or -1. */
static int prev_in_day(const tr_cron *c, int h, int m)
{
	uint64_t mins = c->minutes & ALL_MINUTES, upto = mins & (((uint64_t)2 << m) - 1);
	uint32_t hrs = c->hours & ALL_HOURS;

	if ((hrs >> h & 1) && upto)
		return h * 60 + 63 - __builtin_clzll(upto);
	hrs &= ((uint32_t)1 << h) - 1;
	if (!hrs)
		return -1;
	return (31 - __builtin_clz(hrs)) * 60 + 63 - __builtin_clzll(mins);
}

int tr_cron_matches(const tr_cron *cron, int64_t wall)
{
	int64_t days = tr_floor_div(wall, TR_SECS_PER_DAY), y;
	int secs = (int)(wall - days * TR_SECS_PER_DAY), mon, mday;

	if (wall < -WALL_LIMIT || wall > WALL_LIMIT)
		return 0;
	if (!(cron->hours >> (secs / 3600) & 1) || !(cron->minutes >> (secs / 60 % 60) & 1))
		return 0;
	tr_civil_from_days(days, &y, &mon, &mday);
	return (cron->months >> mon & 1) && day_ok(cron, mday, tr_weekday_from_days(days));
}

int tr_cron_day_matches(const tr_cron *cron, int64_t days)
{
	int64_t y;
	int mon, mday;

	if (days < -WALL_LIMIT / TR_SECS_PER_DAY || days > WALL_LIMIT / TR_SECS_PER_DAY)
		return 0;
	tr_civil_from_days(days, &y, &mon, &mday);
	return (cron->months >> mon & 1) && day_ok(cron, mday, tr_weekday_from_days(days));
}

/* Month steps after which nothing will ever match: a full Gregorian cycle. */
#define MONTH_STEPS (401 * 12)

int64_t tr_cron_next(const tr_cron *cron, int64_t wall)
{
	int64_t t, days, y;
	int mod, mon, mday, wday, dim, r, step;
	uint32_t later;

	if (!usable(cron) || wall < -WALL_LIMIT || wall > WALL_LIMIT)
		return INT64_MAX;
	t = tr_floor_div(wall, 60) + 1; /* the first minute strictly after wall */
	days = tr_floor_div(t, 1440);
	mod = (int)(t - days * 1440);
	tr_civil_from_days(days, &y, &mon, &mday);
	wday = tr_weekday_from_days(days);
	for (step = 0; step < MONTH_STEPS; step++) {
		if (!(cron->months >> mon & 1)) {
			/* Jump to the 1st of the next month the expression allows. */
			later = (uint32_t)cron->months & ALL_MONTHS & ~(((uint32_t)2 << mon) - 1);
			if (!later) {
				y++;
				later = cron->months & ALL_MONTHS;
			}
			mon = __builtin_ctz(later);
			mday = 1;
			mod = 0;
			days = tr_days_from_civil(y, mon, 1);
			wday = tr_weekday_from_days(days);
			continue;
		}
		dim = tr_days_in_month(y, mon);
		for (; mday <= dim; mday++, days++, wday = wday == 6 ? 0 : wday + 1, mod = 0) {
			if (!day_ok(cron, mday, wday))
				continue;
			r = next_in_day(cron, mod / 60, mod % 60);
			if (r >= 0)
				return (days * 1440 + r) * 60;
		}
		/* days is now the 1st of the next month. */
		if (++mon > 12) {
			mon = 1;
			y++;
		}
		mday = 1;
	}
	return INT64_MAX;
}

int64_t tr_cron_prev(const tr_cron *cron, int64_t wall)
{
	int64_t t, days, y;
	int mod, mon, mday, wday, r, step;
	uint32_t earlier;

	if (!usable(cron) || wall < -WALL_LIMIT || wall > WALL_LIMIT)
		return INT64_MIN;
	t = tr_floor_div(wall - 1, 60); /* the last minute strictly before wall */
	days = tr_floor_div(t, 1440);
	mod = (int)(t - days * 1440);
	tr_civil_from_days(days, &y, &mon, &mday);
	wday = tr_weekday_from_days(days);
	for (step = 0; step < MONTH_STEPS; step++) {
		if (!(cron->months >> mon & 1)) {
			/* Jump to the last day of the previous month the expression allows. */
			earlier = (uint32_t)cron->months & ALL_MONTHS & (((uint32_t)1 << mon) - 1);
			if (!earlier) {
				y--;
				earlier = cron->months & ALL_MONTHS;
			}
			mon = 31 - __builtin_clz(earlier);
			mday = tr_days_in_month(y, mon);
			mod = 1439;
			days = tr_days_from_civil(y, mon, mday);
			wday = tr_weekday_from_days(days);
			continue;
		}
		for (; mday >= 1; mday--, days--, wday = wday == 0 ? 6 : wday - 1, mod = 1439) {
			if (!day_ok(cron, mday, wday))
				continue;
			r = prev_in_day(cron, mod / 60, mod % 60);
			if (r >= 0)
				return (days * 1440 + r) * 60;
		}
		/* days is now the last day of the previous month. */
		if (--mon < 1) {
			mon = 12;
			y--;
		}
		mday = tr_days_in_month(y, mon);
	}
	return INT64_MIN;
}

/* ------------------------------------------------------------- formatting */

typedef struct text {
	char *out;
	size_t n, len;
} text;

static void text_add(text *t, const char *s)
{
	for (; *s; s++) {
		if (t->len + 1 < t->n)
			t->out[t->len] = *s;
		t->len++;
	}
}

static void text_num(text *t, int v)
{
	char d[8];
	int k = 0;

	do {
		d[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (k) {
		char c[2] = {d[--k], '\0'};

		text_add(t, c);
	}
}

/* Writes the values lo..hi set in bits: "*", "*\/S" (minute, hour, month),
   "lo-hi/S", or a list of values and runs. */
static void format_field(text *t, uint64_t bits, int lo, int hi, int star, int star_step_ok)
{
	int v, count = 0, first = -1, stepv = 0, arith = 1, prev = -1, sep = 0;

	if (star) {
		text_add(t, "*");
		return;
	}
	for (v = lo; v <= hi; v++) {
		if (!(bits >> v & 1))
			continue;
		if (first < 0)
			first = v;
		else if (stepv == 0)
			stepv = v - prev;
		else if (v - prev != stepv)
			arith = 0;
		prev = v;
		count++;
	}
	if (count >= 3 && arith && stepv >= 2 && first == lo && prev + stepv > hi) {
		if (star_step_ok) {
			text_add(t, "*/");
		} else {
			text_num(t, lo);
			text_add(t, "-");
			text_num(t, hi);
			text_add(t, "/");
		}
		text_num(t, stepv);
		return;
	}
	for (v = lo; v <= hi; v++) {
		int end = v;

		if (!(bits >> v & 1))
			continue;
		while (end + 1 <= hi && (bits >> (end + 1) & 1))
			end++;
		if (sep)
			text_add(t, ",");
		sep = 1;
		text_num(t, v);
		if (end - v >= 2) {
			text_add(t, "-");
			text_num(t, end);
		} else if (end - v == 1) {
			text_add(t, ",");
			text_num(t, end);
		}
		v = end;
	}
	if (!sep)
		text_add(t, "-"); /* no values: only a hand-built tr_cron */
}

void tr_cron_format(const tr_cron *cron, char *out, unsigned n)
{
	text t = {out, n, 0};

	if (n == 0)
		return;
	format_field(&t, cron->minutes, 0, 59, cron->minute_star, 1);
	text_add(&t, " ");
	format_field(&t, cron->hours, 0, 23, cron->hour_star, 1);
	text_add(&t, " ");
	format_field(&t, cron->mdays, 1, 31, cron->mday_star, 0);
	text_add(&t, " ");
	format_field(&t, cron->months, 1, 12, cron->month_star, 1);
	text_add(&t, " ");
	format_field(&t, cron->wdays, 0, 6, cron->wday_star, 0);
	out[t.len < n ? t.len : n - 1] = '\0';
}
