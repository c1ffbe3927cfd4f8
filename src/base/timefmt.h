/*
 * timefmt.h — strftime/strptime with Python's semantics, on tr_tm (civil.h),
 * independent of the C library's locale and global TZ, so results are the same
 * on every machine and in every thread.
 *
 * Directives (both ways unless noted): %Y %y %m %d %H %I %p %M %S %f %j
 * %a %A %b %B (English names) %z %Z(format only) %U %W (format only) %u %w
 * %e(format) %G %V (format only) %F %T %D(format) %% . Unknown directives are refused with TR_EINVAL.
 * Format: %z writes +HHMM (e.g. -0800), as Python does; %Z writes tm->zone or "".
 * Parse, as Python's strptime: %Y takes 4 digits; %m %d %H %I %M %S take 1 or 2
 * digits; %j 1-3; %f 1-6; names case-insensitive; %z accepts Z, +HH, +HHMM,
 * +HH:MM (and seconds); whitespace in fmt matches any run of whitespace; the whole input must be
 * consumed. Fields not in fmt default to 1900-01-01 00:00:00 like Python.
 */
#ifndef TRANCHE_TIMEFMT_H
#define TRANCHE_TIMEFMT_H

#include "base/civil.h"
#include "tranche/buf.h"
#include "tranche/error.h"

/* Appends tm formatted with fmt to out. Returns 0, or TR_EINVAL for an
   unknown directive (message names it and lists the valid ones). */
int tr_time_format(tr_buf *out, const char *fmt, const tr_tm *tm, tr_error *err);

/* Checks fmt's directives without formatting anything. */
int tr_time_format_check(const char *fmt, tr_error *err);

/* 1 when fmt contains %z. */
int tr_time_format_has_offset(const char *fmt);

/*
 * Parses s against fmt into tm (year..sec, gmtoff). Sets *has_offset to 1 when
 * %z was matched (tm->gmtoff then holds it), else 0. Returns 0 or TR_EINVAL
 * with a message saying where s stopped matching, e.g.
 * `"2024-13-01" does not match format "%Y-%m-%d": month 13 is not 1..12`.
 * The date must be real (no 2023-02-29).
 */
int tr_time_parse(const char *s, const char *fmt, tr_tm *tm, int *has_offset, tr_error *err);

/*
 * Parses ISO 8601: YYYY-MM-DD, optionally followed by 'T' or ' ' and HH:MM,
 * HH:MM:SS or HH:MM:SS.ffffff, optionally followed by Z or ±HH:MM / ±HHMM / ±HH.
 * Same result conventions as tr_time_parse.
 */
int tr_time_parse_iso(const char *s, tr_tm *tm, int *has_offset, tr_error *err);

/* Appends an instant as ISO 8601 with the given offset: 2024-05-21T00:00:00+00:00
   (seconds always shown; offset as +HH:MM, or +HH:MM:SS when it has seconds). */
void tr_time_format_iso(tr_buf *out, int64_t instant, int32_t offset);

#endif
