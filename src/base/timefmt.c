/*
 * timefmt.c — strftime/strptime with Python 3's semantics (timefmt.h).
 *
 * Partition keys must be byte-identical to Dagster's, which are
 * `window_start.strftime(fmt)` and are read back with
 * `datetime.strptime(key, fmt)`. So:
 *
 *   Formatting follows CPython on glibc, C locale: English names, %z as
 *   +HHMM[SS], %f as "000000" (whole seconds), %Y/%G/%F with the year padded
 *   to 4 digits (CPython >= 3.12.5 / 3.13 pads; 3.11 on glibc writes "1" for
 *   year 1, which its own strptime cannot read back). No libc strftime, no
 *   locale, no snprintf: digits are written by hand into a small stack
 *   buffer that is appended to the tr_buf once per call, because a listing
 *   formats a million keys.
 *
 *   Parsing follows CPython's _strptime.py: the format is a regular
 *   expression (each directive a group of alternatives, longest first; fmt
 *   whitespace is \s+; literals match case-insensitively), the first match
 *   in backtracking order wins, then the whole input must have been
 *   consumed. The matcher here reproduces that order exactly (recursive
 *   backtracking with a step budget so a pathological format cannot hang a
 *   server). Then the fields are combined as _strptime does (%y pivot,
 *   %I/%p, %j overriding month/day, 1900-01-01 defaults) and the date is
 *   checked like datetime() checks it. Weekdays (%a %A %u %w) are read but,
 *   as in Python, never checked against the date. %f is read and dropped.
 *   When nothing matches, a second, greedy pass explains where and why the
 *   input stopped matching, for the error message.
 *
 * Pure functions, no global state; callers: partitions (keys), project
 * (start dates), server and CLI (arguments).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/timefmt.h"
#include "tranche/time.h"

static const char *const wday_abbr[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const wday_full[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
					 "Thursday", "Friday", "Saturday"};
static const char *const mon_abbr[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const mon_full[12] = {"January", "February", "March",     "April",
					 "May",     "June",     "July",      "August",
					 "September", "October", "November", "December"};
static const char *const ampm[2] = {"AM", "PM"};

#define FORMAT_DIRECTIVES "%a %A %b %B %d %D %e %f %F %G %H %I %j %m %M %p %S %T %u %U %V %w %W %y %Y %z %Z %%"
#define PARSE_DIRECTIVES "%a %A %b %B %d %f %F %H %I %j %m %M %p %S %T %u %w %y %Y %z %%"

/* ---------------------------------------------------------------- helpers */

/* Python's \s for ASCII: space, \t \n \v \f \r and the separators \x1c-\x1f. */
static int is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* Writes v in decimal, at least `width` characters, left-padded with pad
   (a minus sign goes before zero padding). Returns the end. */
static char *put_num(char *p, int64_t v, int width, char pad)
{
	char tmp[24];
	int n = 0, neg = v < 0;
	uint64_t u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (neg && pad == '0')
		*p++ = '-';
	for (width -= n + (neg ? 1 : 0); width > 0; width--)
		*p++ = pad;
	if (neg && pad != '0')
		*p++ = '-';
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put2(char *p, int v)
{
	if (v < 0 || v > 99)
		return put_num(p, v, 2, '0');
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/* The year as CPython >= 3.12.5 writes %Y: at least 4 digits. */
static char *put_year(char *p, int64_t y)
{
	if (y >= 0 && y <= 9999) {
		int v = (int)y;

		p[0] = (char)('0' + v / 1000);
		p[1] = (char)('0' + v / 100 % 10);
		p[2] = (char)('0' + v / 10 % 10);
		p[3] = (char)('0' + v % 10);
		return p + 4;
	}
	return put_num(p, y, y < 0 ? 5 : 4, '0');
}

static char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static const char *name_or(const char *const *names, int i, int n)
{
	return i >= 0 && i < n ? names[i] : "?";
}

/* ISO 8601 week-numbering year and week of the date (days since epoch). */
static void iso_week(int64_t year, int wday, int yday, int64_t *iso_year, int *week)
{
	int iso_wd = wday == 0 ? 7 : wday; /* Monday 1 .. Sunday 7 */
	int w = (yday + 1 - iso_wd + 10) / 7;

	if (w < 1) {
		/* Belongs to the last week of the previous year. */
		int64_t py = year - 1;
		int jan1 = tr_weekday_from_days(tr_days_from_civil(py, 1, 1));
		int weeks = (jan1 == 4 || (jan1 == 3 && tr_is_leap_year(py))) ? 53 : 52;

		*iso_year = py;
		*week = weeks;
		return;
	}
	if (w == 53) {
		int jan1 = tr_weekday_from_days(tr_days_from_civil(year, 1, 1));
		int weeks = (jan1 == 4 || (jan1 == 3 && tr_is_leap_year(year))) ? 53 : 52;

		if (weeks == 52) {
			*iso_year = year + 1;
			*week = 1;
			return;
		}
	}
	*iso_year = year;
	*week = w;
}

/* ------------------------------------------------------------- formatting */

/* A small stack buffer in front of the tr_buf: one append per flush. */
typedef struct writer {
	tr_buf *buf;
	size_t n;
	char tmp[256];
} writer;

#define DIRECTIVE_MAX 64 /* bytes one directive writes at most (except %Z) */

static void writer_flush(writer *w)
{
	if (w->n) {
		tr_buf_add(w->buf, w->tmp, w->n);
		w->n = 0;
	}
}

static char *writer_room(writer *w)
{
	if (w->n + DIRECTIVE_MAX > sizeof w->tmp)
		writer_flush(w);
	return w->tmp + w->n;
}

/* Date-derived fields, computed from year/mon/mday only when a directive
   needs them, so a hand-filled tr_tm formats correctly too. */
typedef struct derived {
	int ready;
	int64_t days;
	int wday, yday;
} derived;

static void derive(const tr_tm *tm, derived *d)
{
	if (d->ready)
		return;
	d->days = tr_days_from_civil(tm->year, tm->mon, tm->mday);
	d->wday = tr_weekday_from_days(d->days);
	d->yday = (int)(d->days - tr_days_from_civil(tm->year, 1, 1));
	d->ready = 1;
}

static char *put_offset(char *p, int32_t off, int colons)
{
	int64_t a = off < 0 ? -(int64_t)off : off;
	int secs = (int)(a % 60);

	*p++ = off < 0 ? '-' : '+';
	p = put2(p, (int)(a / 3600));
	if (colons)
		*p++ = ':';
	p = put2(p, (int)(a / 60 % 60));
	if (secs) {
		if (colons)
			*p++ = ':';
		p = put2(p, secs);
	}
	return p;
}

/* Writes one directive c at p; returns the end, or NULL for an unknown one.
   %Z is handled by the caller (its length is not bounded). */
static char *format_directive(char *p, char c, const tr_tm *tm, derived *d)
{
	int64_t iy;
	int wk, h12;

	switch (c) {
	case 'Y':
		return put_year(p, tm->year);
	case 'y':
		return put2(p, (int)tr_floor_mod(tm->year, 100));
	case 'm':
		return put2(p, tm->mon);
	case 'd':
		return put2(p, tm->mday);
	case 'e':
		if (tm->mday >= 0 && tm->mday < 10) {
			p[0] = ' ';
			p[1] = (char)('0' + tm->mday);
			return p + 2;
		}
		return put_num(p, tm->mday, 2, ' ');
	case 'H':
		return put2(p, tm->hour);
	case 'I':
		h12 = tm->hour % 12;
		return put2(p, h12 == 0 ? 12 : h12);
	case 'p':
		return put_str(p, ampm[tm->hour >= 12]);
	case 'M':
		return put2(p, tm->min);
	case 'S':
		return put2(p, tm->sec);
	case 'f':
		return put_str(p, "000000");
	case 'j':
		derive(tm, d);
		return put_num(p, d->yday + 1, 3, '0');
	case 'a':
		derive(tm, d);
		return put_str(p, name_or(wday_abbr, d->wday, 7));
	case 'A':
		derive(tm, d);
		return put_str(p, name_or(wday_full, d->wday, 7));
	case 'b':
		return put_str(p, name_or(mon_abbr, tm->mon - 1, 12));
	case 'B':
		return put_str(p, name_or(mon_full, tm->mon - 1, 12));
	case 'z':
		return put_offset(p, tm->gmtoff, 0);
	case 'U':
		derive(tm, d);
		return put2(p, (d->yday + 7 - d->wday) / 7);
	case 'W':
		derive(tm, d);
		return put2(p, (d->yday + 7 - (d->wday + 6) % 7) / 7);
	case 'u':
		derive(tm, d);
		*p = (char)('0' + (d->wday == 0 ? 7 : d->wday));
		return p + 1;
	case 'w':
		derive(tm, d);
		*p = (char)('0' + d->wday);
		return p + 1;
	case 'G':
		derive(tm, d);
		iso_week(tm->year, d->wday, d->yday, &iy, &wk);
		return put_year(p, iy);
	case 'V':
		derive(tm, d);
		iso_week(tm->year, d->wday, d->yday, &iy, &wk);
		return put2(p, wk);
	case 'F':
		p = put_year(p, tm->year);
		*p++ = '-';
		p = put2(p, tm->mon);
		*p++ = '-';
		return put2(p, tm->mday);
	case 'T':
		p = put2(p, tm->hour);
		*p++ = ':';
		p = put2(p, tm->min);
		*p++ = ':';
		return put2(p, tm->sec);
	case 'D':
		p = put2(p, tm->mon);
		*p++ = '/';
		p = put2(p, tm->mday);
		*p++ = '/';
		return put2(p, (int)tr_floor_mod(tm->year, 100));
	case '%':
		*p = '%';
		return p + 1;
	default:
		return NULL;
	}
}

static int format_directive_known(char c)
{
	return c != '\0' && strchr("YymdeHIpMSfjaAbBzZUWuwGVFTD%", c) != NULL;
}

static int bad_directive(const char *fmt, const char *at, const char *valid, const char *what,
			 tr_error *err)
{
	char qf[256], qd[16];

	if (at[1] == '\0')
		return tr_error_set(err, TR_EINVAL,
				    "%s \"%s\": a lone %% ends the format; write %%%% for a literal %%; "
				    "valid directives: %s",
				    what, tr_error_quote(qf, sizeof qf, fmt, strlen(fmt)), valid);
	return tr_error_set(err, TR_EINVAL, "%s \"%s\": unknown directive %%%s; valid directives: %s",
			    what, tr_error_quote(qf, sizeof qf, fmt, strlen(fmt)), tr_error_quote(qd, sizeof qd, at + 1, 1),
			    valid);
}

int tr_time_format(tr_buf *out, const char *fmt, const tr_tm *tm, tr_error *err)
{
	writer w;
	derived d;
	size_t start = out->len;
	const char *f;
	char *p, *e;
	int rc = 0;

	w.buf = out;
	w.n = 0;
	d.ready = 0;
	for (f = fmt; *f; f++) {
		if (*f != '%') {
			if (w.n == sizeof w.tmp)
				writer_flush(&w);
			w.tmp[w.n++] = *f;
			continue;
		}
		if (f[1] == 'Z') {
			writer_flush(&w);
			if (tm->zone)
				tr_buf_adds(out, tm->zone);
			f++;
			continue;
		}
		p = writer_room(&w);
		e = f[1] ? format_directive(p, f[1], tm, &d) : NULL;
		if (!e) {
			rc = bad_directive(fmt, f, FORMAT_DIRECTIVES, "format", err);
			goto out;
		}
		w.n += (size_t)(e - p);
		f++;
	}
	writer_flush(&w);
out:
	if (rc)
		tr_buf_truncate(out, start);
	return rc;
}

int tr_time_format_check(const char *fmt, tr_error *err)
{
	const char *f;

	for (f = fmt; *f; f++) {
		if (*f != '%')
			continue;
		if (!format_directive_known(f[1]))
			return bad_directive(fmt, f, FORMAT_DIRECTIVES, "format", err);
		f++;
	}
	return 0;
}

int tr_time_format_has_offset(const char *fmt)
{
	const char *f;

	for (f = fmt; *f; f++) {
		if (*f != '%')
			continue;
		if (f[1] == 'z')
			return 1;
		if (f[1] == '\0')
			break;
		f++;
	}
	return 0;
}

void tr_time_format_iso(tr_buf *out, int64_t instant, int32_t offset)
{
	tr_tm tm;
	char tmp[64], *p = tmp;

	tr_tm_from_wall(instant + offset, &tm);
	p = put_year(p, tm.year);
	*p++ = '-';
	p = put2(p, tm.mon);
	*p++ = '-';
	p = put2(p, tm.mday);
	*p++ = 'T';
	p = put2(p, tm.hour);
	*p++ = ':';
	p = put2(p, tm.min);
	*p++ = ':';
	p = put2(p, tm.sec);
	p = put_offset(p, offset, 1);
	tr_buf_add(out, tmp, (size_t)(p - tmp));
}

/* ---------------------------------------------------------------- parsing */

#define PAT_MAX 64
#define MATCH_BUDGET 1000000L
#define CAND_MAX 12 /* candidate lengths per element: %z has at most 9 */

enum { EL_LIT, EL_SPACE, EL_DIR };

typedef struct element {
	unsigned char kind;
	char dir;
	const char *lit; /* EL_LIT: the literal bytes */
	size_t len;
} element;

typedef struct pattern {
	int n;
	element el[PAT_MAX];
} pattern;

/* Which widths a numeric directive accepts, longest first, with the value
   range the regex alternatives of _strptime.py allow at each width. */
typedef struct numspec {
	char dir;
	int maxw, minw;
	int lo[7], hi[7]; /* by width; hi < 0: width not accepted */
	const char *noun; /* for "month 13 is not 1..12" */
	int nlo, nhi;     /* the range named in that message */
} numspec;

static const numspec numspecs[] = {
	{'Y', 4, 4, {0, 0, 0, 0, 0}, {0, -1, -1, -1, 9999}, "year", 0, 9999},
	{'y', 2, 2, {0, 0, 0}, {0, -1, 99}, "year", 0, 99},
	{'m', 2, 1, {0, 1, 1}, {0, 9, 12}, "month", 1, 12},
	{'d', 2, 1, {0, 1, 1}, {0, 9, 31}, "day", 1, 31},
	{'H', 2, 1, {0, 0, 0}, {0, 9, 23}, "hour", 0, 23},
	{'I', 2, 1, {0, 1, 1}, {0, 9, 12}, "hour", 1, 12},
	{'M', 2, 1, {0, 0, 0}, {0, 9, 59}, "minute", 0, 59},
	{'S', 2, 1, {0, 0, 0}, {0, 9, 61}, "second", 0, 59},
	{'j', 3, 1, {0, 1, 1, 1}, {0, 9, 99, 366}, "day of the year", 1, 366},
	{'f', 6, 1, {0, 0, 0, 0, 0, 0, 0}, {0, 9, 99, 999, 9999, 99999, 999999}, "microsecond", 0, 999999},
	{'u', 1, 1, {0, 1}, {0, 7}, "weekday", 1, 7},
	{'w', 1, 1, {0, 0}, {0, 6}, "weekday", 0, 6},
};

static const numspec *numspec_find(char dir)
{
	size_t i;

	for (i = 0; i < sizeof numspecs / sizeof numspecs[0]; i++)
		if (numspecs[i].dir == dir)
			return &numspecs[i];
	return NULL;
}

static const char *describe(char dir)
{
	switch (dir) {
	case 'Y': return "a 4-digit year (%Y)";
	case 'y': return "a 2-digit year (%y)";
	case 'm': return "a month number 1..12 (%m)";
	case 'd': return "a day of the month 1..31 (%d)";
	case 'H': return "an hour 0..23 (%H)";
	case 'I': return "an hour 1..12 (%I)";
	case 'M': return "a minute 0..59 (%M)";
	case 'S': return "a second 0..59 (%S)";
	case 'f': return "1 to 6 digits of microseconds (%f)";
	case 'j': return "a day of the year 1..366 (%j)";
	case 'u': return "a weekday number 1..7 (%u)";
	case 'w': return "a weekday number 0..6 (%w)";
	case 'a': return "a weekday abbreviation Sun..Sat (%a)";
	case 'A': return "a weekday name Sunday..Saturday (%A)";
	case 'b': return "a month abbreviation Jan..Dec (%b)";
	case 'B': return "a month name January..December (%B)";
	case 'p': return "AM or PM (%p)";
	case 'z': return "a UTC offset Z, +HH, +HHMM, +HH:MM or +HH:MM:SS (%z)";
	case '%': return "\"%\"";
	default: return "?";
	}
}

static int pat_push(pattern *p, unsigned char kind, char dir, const char *lit, size_t len)
{
	if (p->n == PAT_MAX)
		return -1;
	p->el[p->n].kind = kind;
	p->el[p->n].dir = dir;
	p->el[p->n].lit = lit;
	p->el[p->n].len = len;
	p->n++;
	return 0;
}

/* Compiles fmt into elements. Returns 0; -1 when fmt has more than PAT_MAX
   elements; -2 for a directive parsing does not support, -3 for a directive
   used twice (Python's regex refuses to redefine a group; *dup is set to
   it). For -2, *bad points at the directive's %. */
static int pat_compile(pattern *p, const char *fmt, const char **bad, char *dup)
{
	static const char dash[] = "-", colon[] = ":";
	const char *f = fmt, *s;
	int i, j;

	while (*f) {
		if (is_space((unsigned char)*f)) {
			while (is_space((unsigned char)*f))
				f++;
			if (pat_push(p, EL_SPACE, 0, NULL, 0))
				return -1;
			continue;
		}
		if (*f != '%') {
			for (s = f; *f && *f != '%' && !is_space((unsigned char)*f); f++)
				;
			if (pat_push(p, EL_LIT, 0, s, (size_t)(f - s)))
				return -1;
			continue;
		}
		switch (f[1]) {
		case 'F':
			if (pat_push(p, EL_DIR, 'Y', NULL, 0) || pat_push(p, EL_LIT, 0, dash, 1) ||
			    pat_push(p, EL_DIR, 'm', NULL, 0) || pat_push(p, EL_LIT, 0, dash, 1) ||
			    pat_push(p, EL_DIR, 'd', NULL, 0))
				return -1;
			break;
		case 'T':
			if (pat_push(p, EL_DIR, 'H', NULL, 0) || pat_push(p, EL_LIT, 0, colon, 1) ||
			    pat_push(p, EL_DIR, 'M', NULL, 0) || pat_push(p, EL_LIT, 0, colon, 1) ||
			    pat_push(p, EL_DIR, 'S', NULL, 0))
				return -1;
			break;
		case '%':
			if (pat_push(p, EL_LIT, 0, f, 1))
				return -1;
			break;
		default:
			if (f[1] == '\0' || !strchr("YymdHIMSfjuwaAbBpz", f[1])) {
				*bad = f;
				return -2;
			}
			if (pat_push(p, EL_DIR, f[1], NULL, 0))
				return -1;
		}
		f += 2;
	}
	for (i = 0; i < p->n; i++)
		for (j = i + 1; j < p->n; j++)
			if (p->el[i].kind == EL_DIR && p->el[j].kind == EL_DIR && p->el[i].dir == p->el[j].dir) {
				*dup = p->el[i].dir;
				return -3;
			}
	return 0;
}

static size_t count_digits(const char *s, size_t avail, size_t max)
{
	size_t k = 0;

	while (k < avail && k < max && is_digit((unsigned char)s[k]))
		k++;
	return k;
}

static int digits_value(const char *s, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* Index of the name in names[0..n) that s starts with (case-insensitive), or -1. */
static int name_match(const char *s, size_t avail, const char *const *names, int n, size_t *len)
{
	int i;

	for (i = 0; i < n; i++) {
		size_t k, l = strlen(names[i]);

		if (l > avail)
			continue;
		for (k = 0; k < l; k++)
			if (lower((unsigned char)s[k]) != lower((unsigned char)names[i][k]))
				break;
		if (k == l) {
			*len = l;
			return i;
		}
	}
	return -1;
}

/* Candidate lengths of a %z match at s, in the regex's order:
   [+-]\d\d:?[0-5]\d(:?[0-5]\d(\.\d{1,6})?)? | Z, then (tranche's extension)
   [+-]\d\d. */
static int z_candidates(const char *s, size_t avail, size_t *cand)
{
	size_t p, mm, q, k, f;
	int n = 0;

	if (avail >= 1 && s[0] == 'Z') {
		cand[n++] = 1;
		return n;
	}
	if (avail < 3 || (s[0] != '+' && s[0] != '-') || !is_digit((unsigned char)s[1]) ||
	    !is_digit((unsigned char)s[2]))
		return 0;
	p = 3;
	if (p < avail && s[p] == ':')
		p++;
	if (p + 2 <= avail && s[p] >= '0' && s[p] <= '5' && is_digit((unsigned char)s[p + 1])) {
		mm = p + 2;
		q = mm;
		if (q < avail && s[q] == ':')
			q++;
		if (q + 2 <= avail && s[q] >= '0' && s[q] <= '5' && is_digit((unsigned char)s[q + 1])) {
			q += 2;
			if (q < avail && s[q] == '.') {
				k = count_digits(s + q + 1, avail - q - 1, 6);
				for (f = k; f >= 1; f--)
					cand[n++] = q + 1 + f;
			}
			cand[n++] = q;
		}
		cand[n++] = mm;
	}
	cand[n++] = 3;
	return n;
}

/* Candidate lengths for directive dir at s, in _strptime.py's regex order
   (at most CAND_MAX). */
static int dir_candidates(char dir, const char *s, size_t avail, size_t *cand)
{
	const numspec *ns;
	size_t k, w, len;
	int n = 0;

	switch (dir) {
	case 'a':
		if (name_match(s, avail, wday_abbr, 7, &len) >= 0)
			cand[n++] = len;
		return n;
	case 'A':
		if (name_match(s, avail, wday_full, 7, &len) >= 0)
			cand[n++] = len;
		return n;
	case 'b':
		if (name_match(s, avail, mon_abbr, 12, &len) >= 0)
			cand[n++] = len;
		return n;
	case 'B':
		if (name_match(s, avail, mon_full, 12, &len) >= 0)
			cand[n++] = len;
		return n;
	case 'p':
		if (name_match(s, avail, ampm, 2, &len) >= 0)
			cand[n++] = len;
		return n;
	case 'z':
		return z_candidates(s, avail, cand);
	}
	ns = numspec_find(dir);
	if (!ns)
		return 0;
	k = count_digits(s, avail, (size_t)ns->maxw);
	for (w = k; w >= 1 && w >= (size_t)ns->minw; w--) {
		int v = digits_value(s, w);

		if (ns->hi[w] >= 0 && v >= ns->lo[w] && v <= ns->hi[w])
			cand[n++] = w;
	}
	/* %d also takes " [1-9]" (for %c's space-padded day). */
	if (dir == 'd' && avail >= 2 && s[0] == ' ' && s[1] >= '1' && s[1] <= '9')
		cand[n++] = 2;
	return n;
}

typedef struct matcher {
	const pattern *p;
	const char *s;
	size_t len;
	size_t start[PAT_MAX + 1]; /* start[i]: where element i matched; start[n]: the end */
	long budget;
} matcher;

static int lit_match(const char *s, size_t avail, const char *lit, size_t len)
{
	size_t i;

	if (len > avail)
		return 0;
	for (i = 0; i < len; i++)
		if (lower((unsigned char)s[i]) != lower((unsigned char)lit[i]))
			return 0;
	return 1;
}

/* 1 when elements i.. match at pos (the first match in regex order). */
static int match_from(matcher *m, int i, size_t pos)
{
	const element *el;
	size_t cand[CAND_MAX], avail = m->len - pos, r;
	int k, j;

	m->start[i] = pos;
	if (i == m->p->n)
		return 1;
	if (--m->budget < 0)
		return 0;
	el = &m->p->el[i];
	switch (el->kind) {
	case EL_LIT:
		return lit_match(m->s + pos, avail, el->lit, el->len) && match_from(m, i + 1, pos + el->len);
	case EL_SPACE:
		for (r = 0; r < avail && is_space((unsigned char)m->s[pos + r]); r++)
			;
		for (; r >= 1; r--)
			if (match_from(m, i + 1, pos + r))
				return 1;
		return 0;
	default:
		k = dir_candidates(el->dir, m->s + pos, avail, cand);
		for (j = 0; j < k; j++)
			if (match_from(m, i + 1, pos + cand[j]))
				return 1;
		return 0;
	}
}

/* Explains, for the error message, why s does not match: reads greedily
   (as many digits as a field may have) and names the first problem.
   Returns 1 when it found a problem inside the fields, 0 when the greedy
   reading matched them all (why then says what is left over, if anything). */
static int diagnose(const pattern *p, const char *s, size_t len, char *why, size_t n)
{
	char q1[96], q2[96];
	size_t pos = 0, cand[CAND_MAX], k;
	int i;

	for (i = 0; i < p->n; i++) {
		const element *el = &p->el[i];
		const char *at = s + pos;
		size_t avail = len - pos;
		const char *found = avail ? tr_error_quote(q2, sizeof q2, at, avail) : NULL;

		if (el->kind == EL_LIT) {
			if (lit_match(at, avail, el->lit, el->len)) {
				pos += el->len;
				continue;
			}
			tr_error_quote(q1, sizeof q1, el->lit, el->len);
			if (found)
				snprintf(why, n, "expected \"%s\" but found \"%s\"", q1, found);
			else
				snprintf(why, n, "expected \"%s\" but the input ended", q1);
			return 1;
		}
		if (el->kind == EL_SPACE) {
			for (k = 0; k < avail && is_space((unsigned char)at[k]); k++)
				;
			if (k == 0) {
				if (found)
					snprintf(why, n, "expected whitespace but found \"%s\"", found);
				else
					snprintf(why, n, "expected whitespace but the input ended");
				return 1;
			}
			pos += k;
			continue;
		}
		{
			const numspec *ns = numspec_find(el->dir);

			if (ns) {
				size_t lead = el->dir == 'd' && avail >= 2 && at[0] == ' ' ? 1 : 0;
				size_t w = count_digits(at + lead, avail - lead, (size_t)ns->maxw);

				if (w >= (size_t)ns->minw && w > 0) {
					int v = digits_value(at + lead, w);

					if (ns->hi[w] >= 0 && v >= ns->lo[w] && v <= ns->hi[w]) {
						pos += lead + w;
						continue;
					}
					if (ns->minw == ns->maxw) /* %Y %y: any digits do */
						goto expected;
					snprintf(why, n, "%s %.*s is not %d..%d", ns->noun, (int)w, at + lead,
						 ns->nlo, ns->nhi);
					return 1;
				}
				goto expected;
			}
			if (dir_candidates(el->dir, at, avail, cand) > 0) {
				pos += cand[0];
				continue;
			}
		}
	expected:
		if (found)
			snprintf(why, n, "expected %s but found \"%s\"", describe(el->dir), found);
		else
			snprintf(why, n, "expected %s but the input ended", describe(el->dir));
		return 1;
	}
	if (pos < len)
		snprintf(why, n, "unconverted data remains: \"%s\"", tr_error_quote(q2, sizeof q2, s + pos, len - pos));
	else
		snprintf(why, n, "the input does not match");
	return 0;
}

/* Sets err to `"<s>" does not match format "<fmt>": <why>`. */
static int parse_error(tr_error *err, const char *s, const char *fmt, const char *why)
{
	char qs[256], qf[256];

	return tr_error_set(err, TR_EINVAL, "\"%s\" does not match format \"%s\": %s",
			    tr_error_quote(qs, sizeof qs, s, strlen(s)), tr_error_quote(qf, sizeof qf, fmt, strlen(fmt)), why);
}

/* Reads a %z match (already known to fit the regex) into seconds east. */
static int z_value(const char *z, size_t n, int32_t *off, char *why, size_t wn)
{
	char q[64];
	size_t p = 3;
	int colon1 = 0, colon2 = 0, hh, mm = 0, ss = 0, frac = 0;
	int64_t v;

	if (n == 1) { /* "Z" */
		*off = 0;
		return 0;
	}
	hh = digits_value(z + 1, 2);
	if (n > 3) {
		colon1 = z[3] == ':';
		p += (size_t)colon1;
		mm = digits_value(z + p, 2);
		p += 2;
		if (p < n) {
			colon2 = z[p] == ':';
			p += (size_t)colon2;
			ss = digits_value(z + p, 2);
			p += 2;
			/* Python: "+08:0030" is an inconsistent use of ':', "+0800:30" fails int(). */
			if (colon1 != colon2) {
				snprintf(why, wn, "inconsistent use of ':' in UTC offset \"%s\"",
					 tr_error_quote(q, sizeof q, z, n));
				return -1;
			}
			for (p++; p < n; p++)
				frac |= z[p] != '0';
		}
	}
	if (frac) {
		snprintf(why, wn, "UTC offset \"%s\" has a fraction of a second, which tranche does not support",
			 tr_error_quote(q, sizeof q, z, n));
		return -1;
	}
	v = (int64_t)hh * 3600 + mm * 60 + ss;
	if (v >= TR_SECS_PER_DAY) {
		snprintf(why, wn, "UTC offset \"%s\" is not strictly between -24:00 and +24:00",
			 tr_error_quote(q, sizeof q, z, n));
		return -1;
	}
	*off = (int32_t)(z[0] == '-' ? -v : v);
	return 0;
}

/* Checks y-m-d h:m:s like Python's datetime() and fills tm. */
static int check_date(int64_t year, int year_given, int mon, int mday, int sec, char *why, size_t wn)
{
	if (year < 1 || year > 9999) {
		snprintf(why, wn, "year %lld is not 1..9999", (long long)year);
		return -1;
	}
	if (mday > tr_days_in_month(year, mon)) {
		snprintf(why, wn, "day %d is not in %s %lld%s", mday, mon_full[mon - 1], (long long)year,
			 year_given ? "" : " (the year when the format has none, as in Python)");
		return -1;
	}
	if (sec > 59) {
		snprintf(why, wn, "second %d is not 0..59", sec);
		return -1;
	}
	return 0;
}

int tr_time_parse(const char *s, const char *fmt, tr_tm *tm, int *has_offset, tr_error *err)
{
	pattern pat;
	matcher m;
	const char *bad = NULL;
	char why[512], prefix[300], qs[256], dup = 0;
	size_t len = strlen(s);
	int64_t year = 1900, days;
	int year_given = 0, mon = 1, mday = 1, hour = 0, min = 0, sec = 0, julian = 0;
	int pm = -1, got_z = 0, i, rc, v;
	int32_t gmtoff = 0;
	size_t k;

	pat.n = 0;
	rc = pat_compile(&pat, fmt, &bad, &dup);
	if (rc == -1)
		return parse_error(err, s, fmt, "the format has more than 64 fields");
	if (rc == -3) {
		char qf[256];

		return tr_error_set(err, TR_EINVAL,
				    "cannot parse \"%s\" with format \"%s\": %%%c appears more than once "
				    "(%%F counts as %%Y-%%m-%%d, %%T as %%H:%%M:%%S); Python's strptime refuses "
				    "repeated directives",
				    tr_error_quote(qs, sizeof qs, s, len), tr_error_quote(qf, sizeof qf, fmt, strlen(fmt)), dup);
	}
	if (rc == -2) {
		snprintf(prefix, sizeof prefix, "cannot parse \"%s\" with format", tr_error_quote(qs, sizeof qs, s, len));
		if (bad[1] && strchr("ZUWeGVD", bad[1])) {
			char qf[256];

			return tr_error_set(err, TR_EINVAL,
					    "%s \"%s\": %%%c is supported for formatting only; "
					    "directives valid when parsing: %s",
					    prefix, tr_error_quote(qf, sizeof qf, fmt, strlen(fmt)), bad[1],
					    PARSE_DIRECTIVES);
		}
		return bad_directive(fmt, bad, PARSE_DIRECTIVES, prefix, err);
	}

	m.p = &pat;
	m.s = s;
	m.len = len;
	m.budget = MATCH_BUDGET;
	if (!match_from(&m, 0, 0)) {
		if (m.budget < 0)
			snprintf(why, sizeof why, "the format is too ambiguous to match (gave up after %ld steps)",
				 MATCH_BUDGET);
		else
			diagnose(&pat, s, len, why, sizeof why);
		return parse_error(err, s, fmt, why);
	}
	if (m.start[pat.n] != len) {
		/* Python stops here ("unconverted data remains"); the greedy reading
		   often says better why, e.g. "day 32 is not 1..31" for "2024-01-32". */
		if (!diagnose(&pat, s, len, why, sizeof why))
			snprintf(why, sizeof why, "unconverted data remains: \"%s\"",
				 tr_error_quote(qs, sizeof qs, s + m.start[pat.n], len - m.start[pat.n]));
		return parse_error(err, s, fmt, why);
	}

	/* %I reads the whole match's %p, wherever it is (Python: found_dict.get('p')). */
	for (i = 0; i < pat.n; i++)
		if (pat.el[i].kind == EL_DIR && pat.el[i].dir == 'p')
			pm = lower((unsigned char)s[m.start[i]]) == 'p';

	for (i = 0; i < pat.n; i++) {
		const char *at = s + m.start[i];
		size_t n = m.start[i + 1] - m.start[i];

		if (pat.el[i].kind != EL_DIR)
			continue;
		if (pat.el[i].dir == 'd' && at[0] == ' ') {
			at++;
			n--;
		}
		v = n <= 6 && is_digit((unsigned char)at[0]) ? digits_value(at, n) : 0;
		switch (pat.el[i].dir) {
		case 'Y':
			year = v;
			year_given = 1;
			break;
		case 'y':
			year = v <= 68 ? 2000 + v : 1900 + v;
			year_given = 1;
			break;
		case 'm':
			mon = v;
			break;
		case 'b':
			mon = name_match(at, n, mon_abbr, 12, &k) + 1;
			break;
		case 'B':
			mon = name_match(at, n, mon_full, 12, &k) + 1;
			break;
		case 'd':
			mday = v;
			break;
		case 'H':
			hour = v;
			break;
		case 'I':
			/* No %p counts as AM, as in Python. */
			hour = pm == 1 ? (v == 12 ? 12 : v + 12) : (v == 12 ? 0 : v);
			break;
		case 'M':
			min = v;
			break;
		case 'S':
			sec = v;
			break;
		case 'j':
			julian = v;
			break;
		case 'z':
			if (z_value(at, n, &gmtoff, why, sizeof why))
				return parse_error(err, s, fmt, why);
			got_z = 1;
			break;
		default: /* %a %A %u %w %p %f %%: read, not used (as Python) */
			break;
		}
	}

	if (julian) {
		/* Python: the day of the year wins over month and day, and 366 in a
		   common year is January 1 of the next year. */
		if (year < 1 || year > 9999) {
			snprintf(why, sizeof why, "year %lld is not 1..9999", (long long)year);
			return parse_error(err, s, fmt, why);
		}
		days = tr_days_from_civil(year, 1, 1) + julian - 1;
		tr_civil_from_days(days, &year, &mon, &mday);
	}
	if (check_date(year, year_given, mon, mday, sec, why, sizeof why))
		return parse_error(err, s, fmt, why);

	tm->year = year;
	tm->mon = mon;
	tm->mday = mday;
	tm->hour = hour;
	tm->min = min;
	tm->sec = sec;
	days = tr_days_from_civil(year, mon, mday);
	tm->wday = tr_weekday_from_days(days);
	tm->yday = (int)(days - tr_days_from_civil(year, 1, 1));
	tm->gmtoff = gmtoff;
	tm->zone = NULL;
	if (has_offset)
		*has_offset = got_z;
	return 0;
}

/* ------------------------------------------------------------ ISO 8601 */

#define ISO_SHAPE "YYYY-MM-DD, then optionally T or a space and HH:MM[:SS[.ffffff]], then optionally Z or +HH:MM"

static int iso_error(tr_error *err, const char *s, const char *why)
{
	char qs[256];

	return tr_error_set(err, TR_EINVAL, "\"%s\" is not an ISO 8601 date or date-time (%s): %s",
			    tr_error_quote(qs, sizeof qs, s, strlen(s)), ISO_SHAPE, why);
}

/* Reads exactly n digits at s+*p into *v. */
static int take(const char *s, size_t *p, int n, int *v)
{
	int i;

	for (i = 0; i < n; i++)
		if (!is_digit((unsigned char)s[*p + (size_t)i]))
			return 0;
	*v = digits_value(s + *p, (size_t)n);
	*p += (size_t)n;
	return 1;
}

static int iso_expected(tr_error *err, const char *s, size_t p, const char *what)
{
	char why[400], q[96];

	if (s[p])
		snprintf(why, sizeof why, "expected %s but found \"%s\"", what,
			 tr_error_quote(q, sizeof q, s + p, strlen(s + p)));
	else
		snprintf(why, sizeof why, "expected %s but the input ended", what);
	return iso_error(err, s, why);
}

int tr_time_parse_iso(const char *s, tr_tm *tm, int *has_offset, tr_error *err)
{
	size_t p = 0;
	int y, mon, mday, hour = 0, min = 0, sec = 0, oh = 0, om = 0, os = 0, got_z = 0, colon;
	int64_t days, off = 0;
	char why[200];

	if (!take(s, &p, 4, &y))
		return iso_expected(err, s, p, "a 4-digit year");
	if (s[p] != '-')
		return iso_expected(err, s, p, "\"-\" after the year");
	p++;
	if (!take(s, &p, 2, &mon))
		return iso_expected(err, s, p, "a 2-digit month");
	if (s[p] != '-')
		return iso_expected(err, s, p, "\"-\" after the month");
	p++;
	if (!take(s, &p, 2, &mday))
		return iso_expected(err, s, p, "a 2-digit day");
	if (s[p] == 'T' || s[p] == 't' || s[p] == ' ') {
		p++;
		if (!take(s, &p, 2, &hour))
			return iso_expected(err, s, p, "a 2-digit hour");
		if (s[p] != ':')
			return iso_expected(err, s, p, "\":\" after the hour");
		p++;
		if (!take(s, &p, 2, &min))
			return iso_expected(err, s, p, "2-digit minutes");
		if (s[p] == ':') {
			p++;
			if (!take(s, &p, 2, &sec))
				return iso_expected(err, s, p, "2-digit seconds");
			if (s[p] == '.') {
				size_t f = ++p;

				while (is_digit((unsigned char)s[p]) && p - f < 9)
					p++;
				if (p == f)
					return iso_expected(err, s, p, "digits of a fraction of a second");
			}
		}
		if (s[p] == 'Z' || s[p] == 'z') {
			p++;
			got_z = 1;
		} else if (s[p] == '+' || s[p] == '-') {
			int neg = s[p++] == '-';

			if (!take(s, &p, 2, &oh))
				return iso_expected(err, s, p, "2-digit offset hours");
			if (s[p]) {
				colon = s[p] == ':';
				p += (size_t)colon;
				if (!take(s, &p, 2, &om))
					return iso_expected(err, s, p, "2-digit offset minutes");
				if (s[p] && (!colon || s[p] == ':')) {
					p += (size_t)colon;
					if (!take(s, &p, 2, &os))
						return iso_expected(err, s, p, "2-digit offset seconds");
				}
			}
			if (oh > 23 || om > 59 || os > 59) {
				snprintf(why, sizeof why, "UTC offset %02d:%02d:%02d is not within 23:59:59", oh, om,
					 os);
				return iso_error(err, s, why);
			}
			off = (int64_t)oh * 3600 + om * 60 + os;
			if (neg)
				off = -off;
			got_z = 1;
		}
	}
	if (s[p])
		return iso_expected(err, s, p, "the end of the input");
	if (mon < 1 || mon > 12) {
		snprintf(why, sizeof why, "month %d is not 1..12", mon);
		return iso_error(err, s, why);
	}
	if (y < 1) {
		snprintf(why, sizeof why, "year %04d is not 0001..9999", y);
		return iso_error(err, s, why);
	}
	if (mday < 1 || mday > tr_days_in_month(y, mon)) {
		snprintf(why, sizeof why, "day %d is not in %s %04d", mday, mon_full[mon - 1], y);
		return iso_error(err, s, why);
	}
	if (hour > 23 || min > 59 || sec > 59) {
		snprintf(why, sizeof why, "time %02d:%02d:%02d is not 00:00:00..23:59:59", hour, min, sec);
		return iso_error(err, s, why);
	}
	tm->year = y;
	tm->mon = mon;
	tm->mday = mday;
	tm->hour = hour;
	tm->min = min;
	tm->sec = sec;
	days = tr_days_from_civil(y, mon, mday);
	tm->wday = tr_weekday_from_days(days);
	tm->yday = (int)(days - tr_days_from_civil(y, 1, 1));
	tm->gmtoff = (int32_t)off;
	tm->zone = NULL;
	if (has_offset)
		*has_offset = got_z;
	return 0;
}

/* ---- tranche/time.h: the public face ---------------------------------------- */

int tr_time_parse_instant(const char *s, int64_t *instant, tr_error *err)
{
	tr_tm tm;
	int has_off = 0, rc;

	memset(&tm, 0, sizeof(tm));
	if ((rc = tr_time_parse_iso(s, &tm, &has_off, err)))
		return rc;
	*instant = tr_tm_to_wall(&tm) - (has_off ? tm.gmtoff : 0);
	return 0;
}

void tr_time_format_instant(tr_buf *out, int64_t instant, int32_t offset)
{
	tr_time_format_iso(out, instant, offset);
}
