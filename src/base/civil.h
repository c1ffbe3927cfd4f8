/*
 * civil.h — proleptic Gregorian calendar arithmetic on plain integers.
 *
 * Two kinds of seconds are used throughout tranche and must not be mixed up:
 *   - an *instant*: seconds since 1970-01-01T00:00:00Z (Unix time);
 *   - a *wall* time: the reading of a clock in some timezone, encoded as the
 *     seconds since 1970-01-01T00:00:00 *of that clock* (as if it were UTC).
 * wall = instant + utc_offset. tz.h converts between them; this module only
 * does calendar arithmetic on walls (or on UTC instants, which are walls of UTC).
 * Pure functions, no state, valid for years -999999..999999.
 */
#ifndef TRANCHE_CIVIL_H
#define TRANCHE_CIVIL_H

#include <stdint.h>

#define TR_SECS_PER_DAY 86400

/* Broken-down time: a wall time's fields plus what formatting needs. */
typedef struct tr_tm {
	int64_t year;
	int mon;  /* 1..12 */
	int mday; /* 1..31 */
	int hour; /* 0..23 */
	int min;  /* 0..59 */
	int sec;  /* 0..59 */
	int wday; /* 0..6, 0 = Sunday */
	int yday; /* 0..365 */
	int32_t gmtoff;   /* UTC offset in seconds (east positive), for %z */
	const char *zone; /* abbreviation for %Z ("UTC", "PST"); may be NULL */
} tr_tm;

/* Days since 1970-01-01 of the date y-m-d (m 1..12, d 1..31; not range-checked). */
int64_t tr_days_from_civil(int64_t y, int m, int d);
/* The date of day number z (days since 1970-01-01). */
void tr_civil_from_days(int64_t z, int64_t *y, int *m, int *d);
/* 0 = Sunday .. 6 = Saturday */
int tr_weekday_from_days(int64_t z);
int tr_is_leap_year(int64_t y);
int tr_days_in_month(int64_t y, int m);

/* Floor division and modulo (result has the sign of b). */
int64_t tr_floor_div(int64_t a, int64_t b);
int64_t tr_floor_mod(int64_t a, int64_t b);

/* Fills every field of tm from a wall time (gmtoff = 0, zone = NULL). */
void tr_tm_from_wall(int64_t wall, tr_tm *tm);
/* The wall time of tm's year, mon, mday, hour, min, sec (other fields ignored).
   Out-of-range fields are normalised arithmetically (mon 13 = next January). */
int64_t tr_tm_to_wall(const tr_tm *tm);
/* 1 when y-m-d h:m:s is a real calendar date and time (no normalisation needed). */
int tr_tm_fields_valid(const tr_tm *tm);

/* Adds months to a wall time's date, keeping the time of day and clamping the
   day to the month's length when clamp is non-zero (else returns INT64_MIN
   when the day does not exist in the target month). */
int64_t tr_wall_add_months(int64_t wall, int64_t months, int clamp);

#endif
