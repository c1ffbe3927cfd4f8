/*
 * partdef.h — the insides of partitions definitions and resolved partitions,
 * shared by partdef.c (parsing, static/dynamic/multi), timewindow.c (time
 * windows) and mapping.c. Nothing outside src/partitions includes this.
 */
#ifndef TRANCHE_PARTDEF_H
#define TRANCHE_PARTDEF_H

#include <stdint.h>

#include "base/cron.h"
#include "base/node.h"
#include "base/tz.h"
#include "tranche/partitions.h"

/* How tick <-> index is computed for a time definition. */
typedef enum {
	TW_HOURLY, /* fixed minutes each hour, every hour, offsets congruent mod 1 h: pure arithmetic */
	TW_DAILY,  /* one tick a day at H:M: day numbers */
	TW_WEEKLY, /* one tick a week: week numbers */
	TW_MONTHLY, /* one tick a month on day <= 28: month numbers */
	TW_GENERIC, /* anything else: a table of ticks made at resolve time */
} tw_kind;

typedef struct tr_timedef {
	const char *type_name; /* static string */
	char *cron_text;
	tr_cron cron;
	tr_tz *tz;
	char *fmt;
	char *fmt_z; /* fmt + "%z" (or fmt when it has %z already) */
	int has_z;
	int hourly_like; /* hour field is '*': DST skips and repeats ticks (Dagster) */
	char *start_text, *end_text;
	int64_t start; /* instant */
	int has_end;
	int64_t end;
	int end_offset;
	int32_t min_off, max_off; /* zone's offset bounds */
	tw_kind kind;
	int minute, hour, wday, mday;
	int n_res;
	int32_t res[60]; /* TW_HOURLY: tick instants mod 3600, ascending */
	int64_t first_tick; /* first tick at or after start */
	int64_t g_first;    /* arithmetic kinds: global number of first_tick */
} tr_timedef;

struct tr_partdef {
	tr_part_kind kind;
	const char *type_name;
	tr_timedef *time;
	/* static */
	char **keys;
	size_t n_keys;
	/* dynamic */
	char *dyn_name;
	/* multi: sorted by name */
	size_t n_dims;
	char **dim_names;
	tr_partdef **dims;
};

/* A key -> index hash over an array of strings (static and dynamic keys). */
typedef struct key_index {
	int64_t *slots; /* index+1, 0 = empty */
	size_t mask;
} key_index;

struct tr_partitions {
	const tr_partdef *def;
	int64_t now;
	int64_t count;
	/* time */
	int64_t *table; /* TW_GENERIC: ticks of indexes 0..n_table-1 */
	int64_t n_table;
	/* static / dynamic */
	char **keys;
	int owns_keys;
	key_index idx;
	/* multi */
	tr_partitions **dims;
	int64_t *radix; /* radix[i] = product of counts of dims after i */
	int time_dim;   /* index of the time dimension or -1 */
};

/* timewindow.c */
int tw_parse(const tr_node *node, const char *type, tr_partdef *def, const char *path,
	     tr_error *err);
void tw_free(tr_timedef *tw);
int tw_resolve(tr_partitions *p, tr_error *err);
int64_t tw_tick(const tr_partitions *p, int64_t index);
int64_t tw_index_at(const tr_partitions *p, int64_t t);
int tw_key(const tr_partitions *p, int64_t index, tr_buf *out, tr_error *err);
int tw_index(const tr_partitions *p, const char *key, int64_t *index, tr_error *err);
int tw_explain(const tr_partitions *p, tr_buf *out, tr_error *err);
/* Tests only: make tick <-> index use the generic search path (to cross-check the arithmetic). */
void tw_force_generic(tr_partdef *def);
/* Formats an instant in the definition's zone as ISO 8601 with offset. */
void tw_format_iso(const tr_timedef *tw, int64_t t, tr_buf *out);

/* partdef.c: a definition from a node tree (the project loader's entry); path prefixes messages. */
int tr_partdef_from_node(const tr_node *node, const char *path, tr_partdef **out, tr_error *err);

/* mapping.c: a mapping from a node tree (the project loader's entry). */
int tr_mapping_from_node(const tr_node *node, const char *path, tr_mapping **out, tr_error *err);

/* partdef.c: error with the node's position. */
int node_error(tr_error *err, const tr_node *node, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Refuses keys of map not in allowed (NULL-terminated), suggesting the nearest. */
int node_check_keys(const tr_node *map, const char *path, const char *const *allowed, tr_error *err);
char *xstrdup(const char *s);

#endif
