/*
 * civil.c — proleptic Gregorian calendar arithmetic (civil.h).
 * days_from_civil / civil_from_days are Howard Hinnant's public-domain
 * algorithms: exact, branch-light, valid far beyond any partition's range.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/civil.h"

int64_t tr_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

int64_t tr_floor_mod(int64_t a, int64_t b)
{
	return a - tr_floor_div(a, b) * b;
}

int64_t tr_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = tr_floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void tr_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = tr_floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int tr_weekday_from_days(int64_t z)
{
	/* 1970-01-01 was a Thursday (4). */
	return (int)tr_floor_mod(z + 4, 7);
}

int tr_is_leap_year(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int tr_days_in_month(int64_t y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m < 1 || m > 12)
		return 0;
	return m == 2 && tr_is_leap_year(y) ? 29 : days[m - 1];
}

void tr_tm_from_wall(int64_t wall, tr_tm *tm)
{
	int64_t days = tr_floor_div(wall, TR_SECS_PER_DAY);
	int64_t secs = wall - days * TR_SECS_PER_DAY;

	tr_civil_from_days(days, &tm->year, &tm->mon, &tm->mday);
	tm->hour = (int)(secs / 3600);
	tm->min = (int)(secs / 60 % 60);
	tm->sec = (int)(secs % 60);
	tm->wday = tr_weekday_from_days(days);
	tm->yday = (int)(days - tr_days_from_civil(tm->year, 1, 1));
	tm->gmtoff = 0;
	tm->zone = NULL;
}

int64_t tr_tm_to_wall(const tr_tm *tm)
{
	int64_t mon0 = (int64_t)tm->mon - 1;
	int64_t year = tm->year + tr_floor_div(mon0, 12);
	int mon = (int)tr_floor_mod(mon0, 12) + 1;
	int64_t days = tr_days_from_civil(year, mon, 1) + tm->mday - 1;

	return days * TR_SECS_PER_DAY + (int64_t)tm->hour * 3600 + (int64_t)tm->min * 60 + tm->sec;
}

int tr_tm_fields_valid(const tr_tm *tm)
{
	return tm->mon >= 1 && tm->mon <= 12 && tm->mday >= 1 &&
	       tm->mday <= tr_days_in_month(tm->year, tm->mon) && tm->hour >= 0 && tm->hour <= 23 &&
	       tm->min >= 0 && tm->min <= 59 && tm->sec >= 0 && tm->sec <= 59;
}

int64_t tr_wall_add_months(int64_t wall, int64_t months, int clamp)
{
	tr_tm tm;
	int64_t m0, secs, days;
	int dim;

	tr_tm_from_wall(wall, &tm);
	secs = tr_floor_mod(wall, TR_SECS_PER_DAY);
	m0 = tm.year * 12 + (tm.mon - 1) + months;
	tm.year = tr_floor_div(m0, 12);
	tm.mon = (int)tr_floor_mod(m0, 12) + 1;
	dim = tr_days_in_month(tm.year, tm.mon);
	if (tm.mday > dim) {
		if (!clamp)
			return INT64_MIN;
		tm.mday = dim;
	}
	days = tr_days_from_civil(tm.year, tm.mon, tm.mday);
	return days * TR_SECS_PER_DAY + secs;
}
