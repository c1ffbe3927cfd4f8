/*
 * tranche/time.h — the moments the CLI and server read and print: ISO 8601
 * with a UTC offset. (The full strftime/strptime and timezone machinery stays
 * inside the library.)
 */
#ifndef TRANCHE_TIME_H
#define TRANCHE_TIME_H

#include <stdint.h>

#include "tranche/buf.h"
#include "tranche/error.h"

/* Reads an ISO 8601 time (2024-05-21, 2024-05-21T06:00, ...+02:00, ...Z) as an
   instant (Unix seconds); without an offset the time is read as UTC.
   Returns 0 or TR_EINVAL with a message naming what is wrong. */
int tr_time_parse_instant(const char *s, int64_t *instant, tr_error *err);

/* Appends instant as ISO 8601 with the given UTC offset: 2024-05-21T00:00:00+00:00. */
void tr_time_format_instant(tr_buf *out, int64_t instant, int32_t offset);

#endif
