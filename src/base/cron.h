/*
 * cron.h — 5-field cron expressions (minute hour day-of-month month day-of-week)
 * evaluated on wall times (civil.h): which wall-clock minutes match.
 *
 * Syntax as croniter (which Dagster uses): each field is a comma list of
 * `*`, `N`, `N-M`, `*\/S`, `N-M/S`, `N/S` (= N-max/S); month names jan..dec and day names
 * sun..sat (case-insensitive); day-of-week 0-7 (0 and 7 = Sunday).
 * Day-of-month and day-of-week: when both are restricted (neither is `*`),
 * a day matches if either matches (Vixie cron, croniter).
 * Timezones and DST are not this module's business: tz.h and the partitions
 * module map wall times to instants.
 */
#ifndef TRANCHE_CRON_H
#define TRANCHE_CRON_H

#include <stdint.h>

#include "tranche/error.h"

typedef struct tr_cron {
	uint64_t minutes; /* bit m set: minute m matches */
	uint32_t hours;   /* bit h */
	uint32_t mdays;   /* bit d, 1..31 */
	uint16_t months;  /* bit m, 1..12 */
	uint8_t wdays;    /* bit w, 0..6 (0 = Sunday) */
	unsigned char minute_star, hour_star, mday_star, month_star, wday_star; /* field was `*` */
} tr_cron;

/*
 * Parses expr. Refuses (TR_EINVAL, message naming the field and its valid range)
 * wrong field counts, out-of-range values, bad steps, and expressions that can
 * never fire (e.g. "0 0 30 2 *").
 */
int tr_cron_parse(const char *expr, tr_cron *cron, tr_error *err);

/* 1 when the wall time's minute matches (seconds are ignored). */
int tr_cron_matches(const tr_cron *cron, int64_t wall);

/* 1 when the day (days since 1970-01-01) matches the day-of-month, month and
   day-of-week fields. */
int tr_cron_day_matches(const tr_cron *cron, int64_t days);

/* The smallest matching minute-aligned wall time strictly after `wall`. */
int64_t tr_cron_next(const tr_cron *cron, int64_t wall);

/* The largest matching minute-aligned wall time strictly before `wall`. */
int64_t tr_cron_prev(const tr_cron *cron, int64_t wall);

/* Writes a canonical text of the expression (for messages), at most n bytes. */
void tr_cron_format(const tr_cron *cron, char *out, unsigned n);

#endif
