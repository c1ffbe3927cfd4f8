/*
 * tranche/partitions.h — partitions definitions, the keys they yield at a given
 * moment, time windows, and partition mappings, with Dagster's semantics.
 *
 * Two objects:
 *   tr_partdef     a parsed definition (time window, static, multi, dynamic).
 *                  Immutable, shareable between threads.
 *   tr_partitions  a definition *resolved* at one moment `now` with the dynamic
 *                  keys of that moment: it knows how many partitions exist and
 *                  converts key <-> index (index 0 = first partition) in O(1) or
 *                  O(log n) — by calendar arithmetic for time windows, never by
 *                  walking from `start`. Immutable once made.
 * Key sets (tranche/keyset.h) are sets of indexes of one tr_partitions.
 *
 * Ownership: every _new/_parse/_resolve returns an object the caller frees with
 * the matching _free. Strings are appended to caller-owned tr_buf's.
 * Errors: TR_EINVAL with a message naming the field or key and what is valid.
 */
#ifndef TRANCHE_PARTITIONS_H
#define TRANCHE_PARTITIONS_H

#include <stddef.h>
#include <stdint.h>

#include "tranche/buf.h"
#include "tranche/error.h"
#include "tranche/keyset.h"

typedef struct tr_partdef tr_partdef;
typedef struct tr_partitions tr_partitions;

typedef enum {
	TR_PART_TIME = 1, /* time windows: hourly, daily, weekly, monthly, cron */
	TR_PART_STATIC,
	TR_PART_MULTI,
	TR_PART_DYNAMIC,
} tr_part_kind;

/*
 * Parses a definition from YAML or JSON text with the project file's keys
 * (`{type: daily, start: 2024-01-01}`). origin names the text in messages
 * ("--def", "tranche.yaml"). Returns 0 or TR_EINVAL ("origin:line:col: field: why").
 */
int tr_partdef_parse(const char *text, const char *origin, tr_partdef **out, tr_error *err);
void tr_partdef_free(tr_partdef *def);

tr_part_kind tr_partdef_kind(const tr_partdef *def);
/* "daily", "hourly", "weekly", "monthly", "cron", "static", "multi", "dynamic" */
const char *tr_partdef_type_name(const tr_partdef *def);
/* Multi: number of dimensions and each one's name and definition (sorted by name). */
size_t tr_partdef_dimension_count(const tr_partdef *def);
const char *tr_partdef_dimension_name(const tr_partdef *def, size_t i);
const tr_partdef *tr_partdef_dimension(const tr_partdef *def, size_t i);
/* Dynamic: the name of the key set. */
const char *tr_partdef_dynamic_name(const tr_partdef *def);
/* Time: the timezone name, cron text, fmt and end_offset. */
const char *tr_partdef_timezone(const tr_partdef *def);
const char *tr_partdef_cron(const tr_partdef *def);
const char *tr_partdef_fmt(const tr_partdef *def);
int tr_partdef_end_offset(const tr_partdef *def);

/*
 * Checks that a key could belong to a static or dynamic definition: not empty,
 * no "...", no control characters; when in_multi, none of | , [ ]. Returns 0 or
 * TR_EINVAL naming the key and the offending text.
 */
int tr_partition_key_check(const char *key, int in_multi, tr_error *err);

/* Where dynamic keys come from when resolving: return the keys of `name` in
   order (caller-of-callback frees with free() each and the array). */
typedef int (*tr_dynamic_keys_fn)(void *ctx, const char *name, char ***keys, size_t *n,
				  tr_error *err);

typedef struct tr_part_env {
	int64_t now;                    /* the moment, Unix seconds */
	tr_dynamic_keys_fn dynamic_keys; /* may be NULL: dynamic definitions then have no keys */
	void *ctx;
} tr_part_env;

/* Resolves def at env->now. Caller frees with tr_partitions_free. */
int tr_partitions_resolve(const tr_partdef *def, const tr_part_env *env, tr_partitions **out,
			  tr_error *err);
void tr_partitions_free(tr_partitions *p);

const tr_partdef *tr_partitions_def(const tr_partitions *p);
int64_t tr_partitions_now(const tr_partitions *p);
/* Number of partitions that exist. */
int64_t tr_partitions_count(const tr_partitions *p);

/* Appends the key of partition `index` (0 <= index < count) to out. For a time
   definition any index is accepted (negative = before the first partition). */
int tr_partitions_key(const tr_partitions *p, int64_t index, tr_buf *out, tr_error *err);

/*
 * The index of `key`. TR_EINVAL when the key is not a key of this definition
 * (wrong format, not on a window boundary, unknown static key), TR_ERANGE when it
 * is well-formed but does not exist at this moment (before the first or after the
 * last partition); the message says which and names the valid range.
 * For time definitions *index is set even for TR_ERANGE (the window's index).
 */
int tr_partitions_index(const tr_partitions *p, const char *key, int64_t *index, tr_error *err);

/* 1 when key exists now (well-formed, re-formats to itself, within range). */
int tr_partitions_has(const tr_partitions *p, const char *key);

/*
 * Time window [start, end) of partition `index` as instants. Time definitions:
 * any index. Multi definitions with a time dimension: the time dimension's window
 * of that partition. Others: TR_EINVAL.
 */
int tr_partitions_window(const tr_partitions *p, int64_t index, int64_t *start, int64_t *end,
			 tr_error *err);
/* Time: the index of the window containing instant t (may be outside [0,count)). */
int64_t tr_partitions_index_at(const tr_partitions *p, int64_t t);
/* UTC offset at instant t in the timezone of a time definition (or of a multi
   definition's time dimension); 0 for others. */
int32_t tr_partitions_offset_at(const tr_partitions *p, int64_t t);

/* Multi: the resolved dimension i, and the mixed-radix split of an index. */
const tr_partitions *tr_partitions_dimension(const tr_partitions *p, size_t i);
void tr_partitions_split(const tr_partitions *p, int64_t index, int64_t *dim_indexes);
int64_t tr_partitions_join(const tr_partitions *p, const int64_t *dim_indexes);

/* Key sets <-> keys. from_keys: every key must exist (else the error of
   tr_partitions_index, naming the key); an entry "FIRST...LAST" is the range of
   keys from FIRST to LAST inclusive (Dagster's key-range notation; "..." never
   occurs in a key). */
int tr_partitions_keyset_from_keys(const tr_partitions *p, const char *const *keys, size_t n,
				   tr_keyset *out, tr_error *err);
/* The keys from `from` to `to` inclusive (both must exist, from <= to). */
int tr_partitions_keyset_from_range(const tr_partitions *p, const char *from, const char *to,
				    tr_keyset *out, tr_error *err);
/* Every partition. */
int tr_partitions_keyset_all(const tr_partitions *p, tr_keyset *out);
/* Appends the set as key ranges, one per line: "FIRST...LAST", or "KEY" for a
   range of one. The inverse of from_keys. */
int tr_partitions_keyset_to_ranges(const tr_partitions *p, const tr_keyset *ks, tr_buf *out,
				   tr_error *err);

/*
 * A human explanation of the definition at this moment (first/last partition and
 * why, how start was aligned, count, window length, timezone and DST notes).
 */
int tr_partitions_explain(const tr_partitions *p, tr_buf *out, tr_error *err);

/* ---- partition mappings -------------------------------------------------- */

typedef struct tr_mapping tr_mapping;

/*
 * Parses a mapping (`{type: time_window, start_offset: -1}`; the CLI's --mapping).
 * Types: identity, time_window, all, last, specific, static, multi_to_single, multi.
 */
int tr_mapping_parse(const char *text, const char *origin, tr_mapping **out, tr_error *err);
/* The mapping Dagster chooses when none is given. up/down may be NULL (unpartitioned). */
int tr_mapping_default(const tr_partdef *up, const tr_partdef *down, tr_mapping **out,
		       tr_error *err);
void tr_mapping_free(tr_mapping *m);
const char *tr_mapping_type_name(const tr_mapping *m);
/* Appends a text that is equal for two mappings exactly when they map alike
   (type and every field): for cache tags (tr_buf's sticky error). */
void tr_mapping_describe(const tr_mapping *m, tr_buf *out);
/* Checks the mapping fits the two definitions (NULL = unpartitioned). */
int tr_mapping_check(const tr_mapping *m, const tr_partdef *up, const tr_partdef *down,
		     tr_error *err);

/*
 * Downstream -> upstream: the upstream partitions that the downstream partitions
 * `down_keys` read. Upstream partitions that are needed but do not exist are
 * appended, one key per entry, to `nonexistent` (a NUL-separated list in a tr_buf;
 * *n_nonexistent counts them) unless the mapping allows them.
 */
int tr_mapping_upstream(const tr_mapping *m, const tr_partitions *up, const tr_partitions *down,
			const tr_keyset *down_keys, tr_keyset *up_out, tr_buf *nonexistent,
			size_t *n_nonexistent, tr_error *err);

/* Upstream -> downstream: the downstream partitions that read any of up_keys. */
int tr_mapping_downstream(const tr_mapping *m, const tr_partitions *up, const tr_partitions *down,
			  const tr_keyset *up_keys, tr_keyset *down_out, tr_error *err);

#endif
