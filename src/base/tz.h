/*
 * tz.h — IANA timezones from the system tz database (TZif files in
 * $TZDIR, default /usr/share/zoneinfo — the same data Python's zoneinfo reads,
 * so tranche and Dagster agree on every offset).
 *
 * A tr_tz is immutable once loaded and safe to share between threads.
 * Transitions are read from the TZif v2+ 64-bit data; times after the last
 * stored transition follow the POSIX TZ rule in the file's footer, which is
 * expanded into explicit transitions at load time up to year 2400.
 * "UTC", "Etc/UTC", "GMT" and "Z" need no file.
 *
 * Wall times and instants: see civil.h.
 */
#ifndef TRANCHE_TZ_H
#define TRANCHE_TZ_H

#include <stdint.h>

#include "tranche/error.h"

typedef struct tr_tz tr_tz;

/*
 * Loads the zone `name` (an IANA name such as "America/New_York").
 * Names containing "..", starting with '/', or not found are refused with
 * TR_EINVAL and a message naming the zone and giving an example of a valid one.
 * Caller owns *out (tr_tz_free).
 */
int tr_tz_load(const char *name, tr_tz **out, tr_error *err);
void tr_tz_free(tr_tz *tz);

/* The name given at load ("UTC" for the built-in zone). Owned by tz. */
const char *tr_tz_name(const tr_tz *tz);

/* 1 for UTC-like zones that never change offset from 0. */
int tr_tz_is_utc(const tr_tz *tz);

/* UTC offset (seconds, east positive) in force at `instant`. */
int32_t tr_tz_offset_at(const tr_tz *tz, int64_t instant);

/* Abbreviation in force at `instant` ("PST", "CEST", "+0530"...). Owned by tz. */
const char *tr_tz_abbrev_at(const tr_tz *tz, int64_t instant);

/* The wall time at `instant` (= instant + offset). */
int64_t tr_tz_to_wall(const tr_tz *tz, int64_t instant);

/*
 * The instants whose wall time is `wall`, earliest first, in out[0..n).
 * Returns n: 1 normally, 2 when the wall time is repeated (clocks went back),
 * 0 when it is skipped (clocks went forward); then *gap_end (if not NULL) is
 * set to the instant the gap ends, i.e. the first valid instant after it.
 */
int tr_tz_resolve(const tr_tz *tz, int64_t wall, int64_t out[2], int64_t *gap_end);

/* The smallest and largest UTC offset the zone ever uses. */
void tr_tz_offset_bounds(const tr_tz *tz, int32_t *min_offset, int32_t *max_offset);

/*
 * The first offset change strictly after `after` and at or before `until`:
 * returns 1 and fills *at (the instant of change), *before and *after_offset;
 * returns 0 when there is none in that span.
 */
int tr_tz_next_transition(const tr_tz *tz, int64_t after, int64_t until, int64_t *at,
			  int32_t *before, int32_t *after_offset);

#endif
