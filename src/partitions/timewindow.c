/*
 * timewindow.c — time-window partitions definitions (hourly, daily, weekly,
 * monthly, cron), with Dagster's semantics:
 *
 *   - A definition is a cron schedule in a timezone. Its *ticks* are instants;
 *     window i is [tick(i), tick(i+1)); index 0 starts at the first tick at or
 *     after `start`. A key is the window start formatted with `fmt` in the zone.
 *   - DST: for schedules whose hour field is `*` ("hourly-like") a skipped wall
 *     time has no tick and a repeated one gives two (the second key gets a %z
 *     suffix unless fmt shows the offset); for other schedules a skipped wall time
 *     moves to the end of the gap and a repeated one uses the later instant.
 *   - At `now` only complete windows exist, then end_offset, then `end` caps.
 *
 * tick <-> index is calendar arithmetic for the common shapes (see tw_kind in
 * partdef.h); any other cron gets a table of ticks built at resolve time.
 * Called by partdef.c (parse/resolve dispatch) and mapping.c.
 */
#include <stdlib.h>
#include <string.h>

#include "base/civil.h"
#include "base/timefmt.h"
#include "partitions/partdef.h"

#define TWO_DAYS (2 * TR_SECS_PER_DAY)
#define TABLE_MAX ((int64_t)50 * 1000 * 1000)

static const char *const time_fields[] = {
	"type", "start", "start_date", "end", "end_date", "timezone", "fmt", "minute_offset",
	"hour_offset", "day_offset", "cron", "cron_schedule", "end_offset", NULL,
};

/* ---- instants and wall times ------------------------------------------- */

/* The instant of a wall time as Python's datetime(fold=0) gives it: the earlier
   of two repeated instants; in a gap, the wall time read with the offset before
   the gap (so 02:30 in a 02:00->03:00 gap is 03:30). */
static int64_t localize(const tr_timedef *tw, int64_t wall)
{
	int64_t o[2], gap_end;
	int n = tr_tz_resolve(tw->tz, wall, o, &gap_end);

	if (n >= 1)
		return o[0];
	return wall - tr_tz_offset_at(tw->tz, gap_end - 1);
}

/* A schedule tick's instant for a non-hourly-like schedule: a skipped wall time
   moves to the end of the gap, a repeated one takes the later instant. */
static int64_t resolve_tick(const tr_timedef *tw, int64_t wall)
{
	int64_t o[2], gap_end;
	int n = tr_tz_resolve(tw->tz, wall, o, &gap_end);

	if (n == 1)
		return o[0];
	if (n == 2)
		return o[1];
	return gap_end;
}

/* Offsets in force within two days of t. */
static void local_offsets(const tr_timedef *tw, int64_t t, int32_t *lo, int32_t *hi)
{
	int64_t at, from = t - TWO_DAYS;
	int32_t before, after;

	*lo = *hi = tr_tz_offset_at(tw->tz, t);
	if (tw->min_off == tw->max_off)
		return;
	while (tr_tz_next_transition(tw->tz, from, t + TWO_DAYS, &at, &before, &after)) {
		if (before < *lo) *lo = before;
		if (before > *hi) *hi = before;
		if (after < *lo) *lo = after;
		if (after > *hi) *hi = after;
		from = at;
	}
}

/* ---- ticks by search (any cron) ----------------------------------------- */

/* The smallest tick strictly after t. */
static int64_t search_next(const tr_timedef *tw, int64_t t)
{
	int32_t lo, hi;
	int64_t w, m;

	local_offsets(tw, t, &lo, &hi);
	w = t + tr_tz_offset_at(tw->tz, t);
	m = tr_cron_next(&tw->cron, w - (hi - lo) - 61);
	if (tw->hourly_like) {
		int64_t best = INT64_MAX;

		for (;;) {
			int32_t bound = best != INT64_MAX && best - t < TWO_DAYS ? hi : tw->max_off;
			int64_t o[2];
			int n;

			if (best != INT64_MAX && m - bound > best)
				return best;
			n = tr_tz_resolve(tw->tz, m, o, NULL);
			for (int i = 0; i < n; i++)
				if (o[i] > t && o[i] < best)
					best = o[i];
			m = tr_cron_next(&tw->cron, m);
		}
	}
	for (;;) {
		int64_t r = resolve_tick(tw, m);

		if (r > t)
			return r;
		m = tr_cron_next(&tw->cron, m);
	}
}

/* The largest tick strictly before t. */
static int64_t search_prev(const tr_timedef *tw, int64_t t)
{
	int32_t lo, hi;
	int64_t w, m;

	local_offsets(tw, t, &lo, &hi);
	w = t + tr_tz_offset_at(tw->tz, t);
	m = tr_cron_prev(&tw->cron, w + (hi - lo) + 61);
	if (tw->hourly_like) {
		int64_t best = INT64_MIN;

		for (;;) {
			int32_t bound = best != INT64_MIN && t - best < TWO_DAYS ? lo : tw->min_off;
			int64_t o[2];
			int n;

			if (best != INT64_MIN && m - bound < best)
				return best;
			n = tr_tz_resolve(tw->tz, m, o, NULL);
			for (int i = 0; i < n; i++)
				if (o[i] < t && o[i] > best)
					best = o[i];
			m = tr_cron_prev(&tw->cron, m);
		}
	}
	for (;;) {
		int64_t r = resolve_tick(tw, m);

		if (r < t)
			return r;
		m = tr_cron_prev(&tw->cron, m);
	}
}

/* ---- ticks by arithmetic ------------------------------------------------ */

/* Tick number g of an arithmetic kind (global numbering, independent of start). */
static int64_t arith_tick(const tr_timedef *tw, int64_t g)
{
	int64_t tod = (int64_t)tw->hour * 3600 + (int64_t)tw->minute * 60;

	switch (tw->kind) {
	case TW_HOURLY: {
		int64_t h = tr_floor_div(g, tw->n_res);

		return h * 3600 + tw->res[g - h * tw->n_res];
	}
	case TW_DAILY:
		return resolve_tick(tw, g * TR_SECS_PER_DAY + tod);
	case TW_WEEKLY: {
		int64_t c = tr_floor_mod(tw->wday - 4, 7);

		return resolve_tick(tw, (7 * g + c) * TR_SECS_PER_DAY + tod);
	}
	case TW_MONTHLY: {
		int64_t y = tr_floor_div(g, 12);
		int m = (int)(g - y * 12) + 1;

		return resolve_tick(tw, tr_days_from_civil(y, m, tw->mday) * TR_SECS_PER_DAY + tod);
	}
	default:
		return 0;
	}
}

/* The number of the last tick at or before t. */
static int64_t arith_number_at(const tr_timedef *tw, int64_t t)
{
	int64_t wall, days, g;

	if (tw->kind == TW_HOURLY) {
		int64_t h = tr_floor_div(t, 3600), r = t - h * 3600;
		int k = 0;

		while (k < tw->n_res && tw->res[k] <= r)
			k++;
		return h * tw->n_res + k - 1;
	}
	wall = t + tr_tz_offset_at(tw->tz, t);
	days = tr_floor_div(wall, TR_SECS_PER_DAY);
	switch (tw->kind) {
	case TW_DAILY:
		g = days;
		break;
	case TW_WEEKLY:
		g = tr_floor_div(days - tr_floor_mod(tw->wday - 4, 7), 7);
		break;
	default: {
		int64_t y;
		int m, d;

		tr_civil_from_days(days, &y, &m, &d);
		g = y * 12 + m - 1;
		break;
	}
	}
	if (arith_tick(tw, g) > t)
		g--;
	return g;
}

/* ---- ticks of a resolved definition -------------------------------------- */

int64_t tw_tick(const tr_partitions *p, int64_t index)
{
	const tr_timedef *tw = p->def->time;
	int64_t t;

	if (tw->kind != TW_GENERIC)
		return arith_tick(tw, tw->g_first + index);
	if (index >= 0 && index < p->n_table)
		return p->table[index];
	if (index < 0) {
		t = tw->first_tick;
		for (int64_t i = 0; i > index; i--)
			t = search_prev(tw, t);
		return t;
	}
	t = p->n_table > 0 ? p->table[p->n_table - 1] : tw->first_tick;
	for (int64_t i = p->n_table > 0 ? p->n_table - 1 : 0; i < index; i++)
		t = search_next(tw, t);
	return t;
}

int64_t tw_index_at(const tr_partitions *p, int64_t t)
{
	const tr_timedef *tw = p->def->time;
	int64_t lo, hi, idx, tick;

	if (tw->kind != TW_GENERIC)
		return arith_number_at(tw, t) - tw->g_first;
	if (p->n_table > 0 && t >= p->table[0] && t < p->table[p->n_table - 1]) {
		lo = 0;
		hi = p->n_table - 1; /* table[lo] <= t < table[hi] */
		while (hi - lo > 1) {
			int64_t mid = lo + (hi - lo) / 2;

			if (p->table[mid] <= t)
				lo = mid;
			else
				hi = mid;
		}
		return lo;
	}
	if (t < tw->first_tick) {
		idx = 0;
		tick = tw->first_tick;
		while (tick > t) {
			tick = search_prev(tw, tick);
			idx--;
		}
		return idx;
	}
	idx = p->n_table > 0 ? p->n_table - 1 : 0;
	tick = p->n_table > 0 ? p->table[idx] : tw->first_tick;
	for (;;) {
		int64_t next = search_next(tw, tick);

		if (next > t)
			return idx;
		tick = next;
		idx++;
	}
}

/* ---- keys ------------------------------------------------------------------ */

static int format_instant(const tr_timedef *tw, int64_t t, const char *fmt, tr_buf *out,
			  tr_error *err)
{
	int32_t off = tr_tz_offset_at(tw->tz, t);
	tr_tm tm;

	tr_tm_from_wall(t + off, &tm);
	tm.gmtoff = off;
	tm.zone = tr_tz_abbrev_at(tw->tz, t);
	return tr_time_format(out, fmt, &tm, err);
}

/* 1 when t is the second of two instants with the same wall time. */
static int is_second_repeat(const tr_timedef *tw, int64_t t)
{
	int64_t o[2];

	if (tw->min_off == tw->max_off)
		return 0;
	return tr_tz_resolve(tw->tz, t + tr_tz_offset_at(tw->tz, t), o, NULL) == 2 && o[1] == t;
}

static int key_of_tick(const tr_timedef *tw, int64_t t, tr_buf *out, tr_error *err)
{
	const char *fmt = tw->fmt;

	if (tw->hourly_like && !tw->has_z && is_second_repeat(tw, t))
		fmt = tw->fmt_z;
	return format_instant(tw, t, fmt, out, err);
}

int tw_key(const tr_partitions *p, int64_t index, tr_buf *out, tr_error *err)
{
	return key_of_tick(p->def->time, tw_tick(p, index), out, err);
}

void tw_format_iso(const tr_timedef *tw, int64_t t, tr_buf *out)
{
	tr_time_format_iso(out, t, tr_tz_offset_at(tw->tz, t));
}

/* Reads `s` as fmt, then as fmt + %z; 0 and *t, or TR_EINVAL. */
static int parse_key_instant(const tr_timedef *tw, const char *s, int64_t *t)
{
	tr_tm tm;
	int has_off = 0;

	memset(&tm, 0, sizeof(tm));
	if (tr_time_parse(s, tw->fmt, &tm, &has_off, NULL) != 0 &&
	    (tw->has_z || tr_time_parse(s, tw->fmt_z, &tm, &has_off, NULL) != 0))
		return TR_EINVAL;
	*t = has_off ? tr_tm_to_wall(&tm) - tm.gmtoff : localize(tw, tr_tm_to_wall(&tm));
	return 0;
}

/* A key of an hourly-like schedule naming a wall time that the clocks skip
   (02:00 on a spring-forward day) gets its own message; returns 1 then. */
static int skipped_wall_time(const tr_timedef *tw, const char *key, tr_error *err)
{
	tr_tm tm;
	int has_off = 0;
	int64_t o[2], gap_end, wall;
	tr_buf from = TR_BUF_INIT, to = TR_BUF_INIT;

	memset(&tm, 0, sizeof(tm));
	/* only hourly-like schedules lose partitions in a gap; others move the tick */
	if (!tw->hourly_like || tw->min_off == tw->max_off ||
	    tr_time_parse(key, tw->fmt, &tm, &has_off, NULL) != 0 ||
	    has_off)
		return 0;
	wall = tr_tm_to_wall(&tm);
	if (tr_tz_resolve(tw->tz, wall, o, &gap_end) != 0)
		return 0;
	tr_time_format_iso(&from, gap_end, tr_tz_offset_at(tw->tz, gap_end - 1));
	tr_time_format_iso(&to, gap_end, tr_tz_offset_at(tw->tz, gap_end));
	tr_error_set(err, TR_EINVAL,
		     "partition key \"%s\" names a time that does not exist in %s: the clocks "
		     "jump from %s to %s",
		     key, tr_tz_name(tw->tz), tr_buf_str(&from), tr_buf_str(&to));
	tr_buf_release(&from);
	tr_buf_release(&to);
	return 1;
}

static void describe_range(const tr_partitions *p, tr_buf *b)
{
	tr_error e;

	if (p->count == 0) {
		tr_buf_adds(b, "no partitions exist at this moment");
		return;
	}
	tr_buf_adds(b, "partitions run from \"");
	tw_key(p, 0, b, &e);
	tr_buf_adds(b, "\" to \"");
	tw_key(p, p->count - 1, b, &e);
	tr_buf_adds(b, "\"");
}

int tw_index(const tr_partitions *p, const char *key, int64_t *index, tr_error *err)
{
	const tr_timedef *tw = p->def->time;
	tr_buf canon = TR_BUF_INIT, range = TR_BUF_INIT;
	int64_t t, g;
	int rc = 0;

	if (skipped_wall_time(tw, key, err)) {
		rc = TR_EINVAL;
		goto out;
	}
	if (parse_key_instant(tw, key, &t) != 0) {
		rc = tr_error_set(err, TR_EINVAL,
				  "partition key \"%s\" does not match the format \"%s\" (%s partitions "
				  "in %s)",
				  key, tw->fmt, tw->type_name, tr_tz_name(tw->tz));
		goto out;
	}
	g = tw_index_at(p, t);
	if (tw_tick(p, g) != t)
		g++;
	if ((rc = tw_key(p, g, &canon, err)) != 0)
		goto out;
	if (strcmp(tr_buf_str(&canon), key) != 0) {
		if (tw_tick(p, g) != t) {
			tr_buf prev = TR_BUF_INIT;

			tw_key(p, g - 1, &prev, NULL);
			rc = tr_error_set(err, TR_EINVAL,
					  "partition key \"%s\" is not the start of a partition: it falls "
					  "inside \"%s\" (partitions start on the schedule \"%s\")",
					  key, tr_buf_str(&prev), tw->cron_text);
			tr_buf_release(&prev);
		} else {
			rc = tr_error_set(err, TR_EINVAL,
					  "partition key \"%s\" is not written as keys are: did you mean "
					  "\"%s\"?",
					  key, tr_buf_str(&canon));
		}
		goto out;
	}
	*index = g;
	if (g < 0 || g >= p->count) {
		describe_range(p, &range);
		rc = tr_error_set(err, TR_ERANGE, "partition \"%s\" does not exist %s: %s", key,
				  g < 0 ? "(it is before the first partition)"
					: "(yet, or it is past the end)",
				  tr_buf_str(&range));
	}
out:
	tr_buf_release(&canon);
	tr_buf_release(&range);
	return rc;
}

/* ---- parsing ---------------------------------------------------------------- */

static int get_int(const tr_node *map, const char *key, const char *path, int64_t lo, int64_t hi,
		   const char *valid, int64_t dflt, int64_t *out, tr_error *err)
{
	const tr_node *n = tr_node_get(map, key);
	int64_t v;

	*out = dflt;
	if (!n || tr_node_is_null(n))
		return 0;
	if (tr_node_int(n, &v) != 0)
		return node_error(err, n, path, "%s: \"%s\" is not an integer (expected %s)", key,
				  n->scalar ? n->scalar : tr_node_kind_name(n), valid);
	if (v < lo || v > hi)
		return node_error(err, n, path, "%s: %lld is out of range (expected %s)", key,
				  (long long)v, valid);
	*out = v;
	return 0;
}

static const tr_node *get_alias(const tr_node *map, const char *a, const char *b)
{
	const tr_node *n = tr_node_get(map, a);

	return n ? n : tr_node_get(map, b);
}

/* Refuses a key given under both of its names (start and Dagster's start_date). */
static int check_alias(const tr_node *map, const char *a, const char *b, const char *path,
		       tr_error *err)
{
	if (tr_node_get(map, a) && tr_node_get(map, b))
		return node_error(err, tr_node_get(map, b), path,
				  "%s: the same setting as %s; give one of them", b, a);
	return 0;
}

static int parse_instant(tr_timedef *tw, const tr_node *n, const char *name, const char *path,
			 int64_t *out, tr_error *err)
{
	tr_tm tm;
	int has_off = 0;
	tr_error e1;

	if (n->kind != TR_NODE_SCALAR)
		return node_error(err, n, path, "%s: expected a date such as 2024-01-01, got a %s",
				  name, tr_node_kind_name(n));
	memset(&tm, 0, sizeof(tm));
	if (tr_time_parse(n->scalar, tw->fmt, &tm, &has_off, &e1) != 0 &&
	    tr_time_parse_iso(n->scalar, &tm, &has_off, NULL) != 0)
		return node_error(err, n, path,
				  "%s: \"%s\" is not a date in format %s nor an ISO 8601 time "
				  "such as 2024-01-31 or 2024-01-31T06:00 (%s)",
				  name, n->scalar, tw->fmt, e1.msg);
	*out = has_off ? tr_tm_to_wall(&tm) - tm.gmtoff : localize(tw, tr_tm_to_wall(&tm));
	return 0;
}

static int bits(uint64_t v)
{
	return __builtin_popcountll(v);
}

static int lowest(uint64_t v)
{
	return __builtin_ctzll(v);
}

/* Offsets from `from` on all congruent modulo an hour: hourly ticks are periodic. */
static int offsets_hour_congruent(const tr_timedef *tw, int64_t from)
{
	int64_t at, until = tr_days_from_civil(2400, 1, 1) * TR_SECS_PER_DAY;
	int32_t before, after, base = tr_tz_offset_at(tw->tz, from);

	while (tr_tz_next_transition(tw->tz, from, until, &at, &before, &after)) {
		if (tr_floor_mod(after - base, 3600) != 0)
			return 0;
		from = at;
	}
	return 1;
}

static void classify(tr_timedef *tw)
{
	const tr_cron *c = &tw->cron;
	int one_min = bits(c->minutes) == 1, one_hour = bits(c->hours) == 1;

	tw->minute = lowest(c->minutes);
	tw->hour = c->hours ? lowest(c->hours) : 0;
	tw->kind = TW_GENERIC;
	if (!c->month_star)
		return;
	if (one_min && one_hour && c->mday_star && c->wday_star) {
		tw->kind = TW_DAILY;
	} else if (one_min && one_hour && c->mday_star && !c->wday_star && bits(c->wdays) == 1) {
		tw->kind = TW_WEEKLY;
		tw->wday = lowest(c->wdays);
	} else if (one_min && one_hour && !c->mday_star && c->wday_star && bits(c->mdays) == 1 &&
		   lowest(c->mdays) <= 28) {
		tw->kind = TW_MONTHLY;
		tw->mday = lowest(c->mdays);
	} else if (c->hour_star && c->mday_star && c->wday_star &&
		   offsets_hour_congruent(tw, tw->start - TWO_DAYS)) {
		int32_t off = tr_tz_offset_at(tw->tz, tw->start);
		int n = 0;

		for (int m = 0; m < 60; m++)
			if (c->minutes >> m & 1)
				tw->res[n++] = (int32_t)tr_floor_mod((int64_t)m * 60 - off, 3600);
		/* ascending residues: a rotation of ascending minutes */
		for (int i = 1; i < n; i++)
			for (int j = i; j > 0 && tw->res[j - 1] > tw->res[j]; j--) {
				int32_t x = tw->res[j];

				tw->res[j] = tw->res[j - 1];
				tw->res[j - 1] = x;
			}
		tw->n_res = n;
		tw->kind = TW_HOURLY;
	}
}

/* The cron string of a typed definition, as Dagster builds it. */
static int typed_cron(const tr_node *map, const char *type, const char *path, tr_buf *cron,
		      tr_error *err)
{
	int64_t minute, hour, day;
	int is_hourly = !strcmp(type, "hourly"), is_daily = !strcmp(type, "daily");
	int is_weekly = !strcmp(type, "weekly");
	int rc;

	if ((rc = get_int(map, "minute_offset", path, 0, 59, "0..59", 0, &minute, err)))
		return rc;
	if (is_hourly && tr_node_get(map, "hour_offset"))
		return node_error(err, tr_node_get(map, "hour_offset"), path,
				  "hour_offset: not valid for hourly partitions (only minute_offset "
				  "is)");
	if ((rc = get_int(map, "hour_offset", path, 0, 23, "0..23", 0, &hour, err)))
		return rc;
	if ((is_hourly || is_daily) && tr_node_get(map, "day_offset"))
		return node_error(err, tr_node_get(map, "day_offset"), path,
				  "day_offset: not valid for %s partitions (only for weekly and "
				  "monthly)",
				  type);
	if (is_weekly)
		rc = get_int(map, "day_offset", path, 0, 6, "0 (Sunday) to 6 (Saturday)", 0, &day,
			     err);
	else
		rc = get_int(map, "day_offset", path, 1, 31, "a day of the month, 1..31", 1, &day,
			     err);
	if (rc)
		return rc;
	if (is_hourly)
		tr_buf_addf(cron, "%lld * * * *", (long long)minute);
	else if (is_daily)
		tr_buf_addf(cron, "%lld %lld * * *", (long long)minute, (long long)hour);
	else if (is_weekly)
		tr_buf_addf(cron, "%lld %lld * * %lld", (long long)minute, (long long)hour,
			    (long long)day);
	else
		tr_buf_addf(cron, "%lld %lld %lld * *", (long long)minute, (long long)hour,
			    (long long)day);
	return 0;
}

/* A cron firing more than once a day needs a fmt that shows the time. */
static int check_fmt_resolution(const tr_node *map, tr_timedef *tw, const char *path, tr_error *err)
{
	const tr_cron *c = &tw->cron;
	int shows_hour = strstr(tw->fmt, "%H") || strstr(tw->fmt, "%I") || strstr(tw->fmt, "%T");
	int shows_min = strstr(tw->fmt, "%M") || strstr(tw->fmt, "%T");
	const tr_node *at = tr_node_get(map, "fmt") ? tr_node_get(map, "fmt") : map;

	if (bits(c->hours) > 1 && !shows_hour)
		return node_error(err, at, path,
				  "fmt: \"%s\" does not show the hour, but the schedule \"%s\" starts "
				  "several partitions a day, so their keys would collide (add %%H, "
				  "e.g. \"%%Y-%%m-%%d-%%H:%%M\")",
				  tw->fmt, tw->cron_text);
	if (bits(c->minutes) > 1 && !shows_min)
		return node_error(err, at, path,
				  "fmt: \"%s\" does not show the minute, but the schedule \"%s\" starts "
				  "several partitions an hour, so their keys would collide (add %%M)",
				  tw->fmt, tw->cron_text);
	return 0;
}

int tw_parse(const tr_node *map, const char *type, tr_partdef *def, const char *path, tr_error *err)
{
	tr_timedef *tw = calloc(1, sizeof(*tw));
	tr_buf cron = TR_BUF_INIT, fmtz = TR_BUF_INIT;
	const tr_node *n, *start, *end;
	const char *zone = "UTC";
	int64_t v;
	int rc;

	if (!tw)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	def->time = tw;
	if ((rc = node_check_keys(map, path, time_fields, err)) ||
	    (rc = check_alias(map, "start", "start_date", path, err)) ||
	    (rc = check_alias(map, "end", "end_date", path, err)) ||
	    (rc = check_alias(map, "cron", "cron_schedule", path, err)))
		goto out;
	if (!strcmp(type, "cron")) {
		tw->type_name = "cron";
		n = get_alias(map, "cron", "cron_schedule");
		if (!n || n->kind != TR_NODE_SCALAR) {
			rc = node_error(err, n ? n : map, path,
					"cron: a cron schedule is required for type cron, e.g. \"0 0 * * "
					"1-5\" (weekdays at midnight)");
			goto out;
		}
		for (const char *const *k = (const char *const[]){"minute_offset", "hour_offset",
								   "day_offset", NULL};
		     *k; k++)
			if (tr_node_get(map, *k)) {
				rc = node_error(err, tr_node_get(map, *k), path,
						"%s: not valid with a cron schedule (put the offset in "
						"the cron expression)",
						*k);
				goto out;
			}
		tr_buf_adds(&cron, n->scalar);
	} else {
		tw->type_name = !strcmp(type, "hourly")	 ? "hourly"
				: !strcmp(type, "daily")  ? "daily"
				: !strcmp(type, "weekly") ? "weekly"
							  : "monthly";
		if (get_alias(map, "cron", "cron_schedule")) {
			rc = node_error(err, get_alias(map, "cron", "cron_schedule"), path,
					"cron: only valid with type: cron (%s partitions have their own "
					"schedule; use minute_offset/hour_offset/day_offset)",
					type);
			goto out;
		}
		if ((rc = typed_cron(map, type, path, &cron, err)))
			goto out;
	}
	tw->cron_text = tr_buf_detach(&cron, NULL);
	if ((rc = tr_cron_parse(tw->cron_text, &tw->cron, err))) {
		n = get_alias(map, "cron", "cron_schedule");
		rc = node_error(err, n ? n : map, path, "%s", err ? err->msg : "cron: invalid");
		goto out;
	}
	tw->hourly_like = tw->cron.hour_star;

	n = tr_node_get(map, "timezone");
	if (n && !tr_node_is_null(n)) {
		if (n->kind != TR_NODE_SCALAR) {
			rc = node_error(err, n, path, "timezone: expected an IANA name such as "
						    "\"America/New_York\"");
			goto out;
		}
		zone = n->scalar;
	}
	if ((rc = tr_tz_load(zone, &tw->tz, err))) {
		rc = node_error(err, n ? n : map, path, "timezone: %s", err ? err->msg : "unknown");
		goto out;
	}
	tr_tz_offset_bounds(tw->tz, &tw->min_off, &tw->max_off);

	n = tr_node_get(map, "fmt");
	if (n && !tr_node_is_null(n)) {
		if (n->kind != TR_NODE_SCALAR || !n->scalar[0]) {
			rc = node_error(err, n, path, "fmt: expected a strftime format such as "
						    "\"%%Y-%%m-%%d\"");
			goto out;
		}
		tw->fmt = xstrdup(n->scalar);
	} else {
		tw->fmt = xstrdup(!strcmp(type, "hourly") ? "%Y-%m-%d-%H:%M" : "%Y-%m-%d");
	}
	if ((rc = tr_time_format_check(tw->fmt, err))) {
		rc = node_error(err, n ? n : map, path, "fmt: %s", err ? err->msg : "invalid");
		goto out;
	}
	tw->has_z = tr_time_format_has_offset(tw->fmt);
	tr_buf_adds(&fmtz, tw->fmt);
	if (!tw->has_z)
		tr_buf_adds(&fmtz, "%z");
	tw->fmt_z = tr_buf_detach(&fmtz, NULL);
	if ((rc = check_fmt_resolution(map, tw, path, err)))
		goto out;

	if ((rc = get_int(map, "end_offset", path, -1000000, 1000000, "an integer", 0, &v, err)))
		goto out;
	tw->end_offset = (int)v;

	start = get_alias(map, "start", "start_date");
	if (!start || tr_node_is_null(start)) {
		rc = node_error(err, map, path,
				"start: required for %s partitions — the first partition starts at the "
				"first schedule time at or after it (e.g. start: 2024-01-01; if your "
				"table already holds data, use the first day it holds)",
				tw->type_name);
		goto out;
	}
	tw->start_text = xstrdup(start->scalar ? start->scalar : "");
	if ((rc = parse_instant(tw, start, "start", path, &tw->start, err)))
		goto out;
	end = get_alias(map, "end", "end_date");
	if (end && !tr_node_is_null(end)) {
		tw->end_text = xstrdup(end->scalar ? end->scalar : "");
		if ((rc = parse_instant(tw, end, "end", path, &tw->end, err)))
			goto out;
		tw->has_end = 1;
		if (tw->end <= tw->start) {
			rc = node_error(err, end, path, "end: \"%s\" is not after start \"%s\" (end is "
						      "exclusive)",
					tw->end_text, tw->start_text);
			goto out;
		}
	}
	classify(tw);
	tw->first_tick = search_next(tw, tw->start - 1);
	if (tw->kind != TW_GENERIC) {
		tw->g_first = arith_number_at(tw, tw->first_tick);
		if (arith_tick(tw, tw->g_first) != tw->first_tick)
			tw->kind = TW_GENERIC; /* never expected: fall back to searching */
	}
out:
	tr_buf_release(&cron);
	tr_buf_release(&fmtz);
	return rc;
}

void tw_force_generic(tr_partdef *def)
{
	if (def->time)
		def->time->kind = TW_GENERIC;
}

void tw_free(tr_timedef *tw)
{
	if (!tw)
		return;
	free(tw->cron_text);
	tr_tz_free(tw->tz);
	free(tw->fmt);
	free(tw->fmt_z);
	free(tw->start_text);
	free(tw->end_text);
	free(tw);
}

/* ---- resolving at `now` --------------------------------------------------------- */

/* Index of the last window, per Dagster's rules; *exists = 0 when there is none. */
static int64_t last_index(const tr_partitions *p, int *exists)
{
	const tr_timedef *tw = p->def->time;
	int64_t now = p->now, at, lc, last, first_end = tw_tick(p, 1);

	*exists = 0;
	if (tw->end_offset == 0) {
		if (first_end > now)
			return -1;
		*exists = 1;
		if (tw->has_end && tw->end < now)
			now = tw->end;
		return tw_index_at(p, now) - 1;
	}
	at = tw_index_at(p, now);
	lc = at - 1;
	if (tw->end_offset > 0) {
		int64_t a = tw_tick(p, at) == now ? at : at + 1;

		if (a + tw->end_offset < 1)
			return -1;
	} else if (lc + tw->end_offset + 1 < 1) {
		return -1;
	}
	*exists = 1;
	last = lc + tw->end_offset;
	if (tw->has_end) {
		int64_t lb = tw_index_at(p, tw->end) - 1;

		if (lb <= last)
			return lb;
	}
	return last < 0 ? 0 : last;
}

int tw_resolve(tr_partitions *p, tr_error *err)
{
	const tr_timedef *tw = p->def->time;
	int64_t last;
	int exists;

	if (tw->kind == TW_GENERIC) {
		/* A table of ticks from the first to past the last window's end. */
		int64_t cap = 1024, n = 0, t = tw->first_tick;
		int64_t limit = p->now;

		/* end_offset > 0 reaches that many windows past now (bounded at parse) */
		for (int i = 0; i < tw->end_offset + 2; i++)
			limit = search_next(tw, limit);
		if (tw->has_end && tw->end < limit)
			limit = tw->end;
		p->table = malloc((size_t)cap * sizeof(int64_t));
		if (!p->table)
			return tr_error_set(err, TR_ENOMEM, "out of memory");
		for (;;) {
			if (n == cap) {
				int64_t *grown;

				if (cap >= TABLE_MAX)
					return tr_error_set(err, TR_ERANGE,
							    "the schedule \"%s\" yields more than %lld "
							    "partitions between start and now",
							    tw->cron_text, (long long)TABLE_MAX);
				cap *= 2;
				grown = realloc(p->table, (size_t)cap * sizeof(int64_t));
				if (!grown)
					return tr_error_set(err, TR_ENOMEM, "out of memory");
				p->table = grown;
			}
			p->table[n++] = t;
			if (t > limit && n >= 2)
				break;
			t = search_next(tw, t);
		}
		p->n_table = n;
	}
	if (tw->has_end && tw->end <= tw->start) {
		p->count = 0;
		return 0;
	}
	last = last_index(p, &exists);
	p->count = exists && last >= 0 ? last + 1 : 0;
	return 0;
}

/* ---- explain ---------------------------------------------------------------------- */

static void add_duration(tr_buf *b, int64_t secs)
{
	if (secs % TR_SECS_PER_DAY == 0)
		tr_buf_addf(b, "%lld day%s", (long long)(secs / TR_SECS_PER_DAY),
			    secs == TR_SECS_PER_DAY ? "" : "s");
	else if (secs % 3600 == 0)
		tr_buf_addf(b, "%lld hour%s", (long long)(secs / 3600), secs == 3600 ? "" : "s");
	else
		tr_buf_addf(b, "%lld minutes", (long long)(secs / 60));
}

int tw_explain(const tr_partitions *p, tr_buf *b, tr_error *err)
{
	const tr_timedef *tw = p->def->time;
	int64_t first_end = tw_tick(p, 1), now = p->now;
	int64_t lo = INT64_MAX, hi = 0;
	int rc = 0;

	tr_buf_addf(b, "%s partitions on the schedule \"%s\" in %s, keys formatted \"%s\"\n",
		    tw->type_name, tw->cron_text, tr_tz_name(tw->tz), tw->fmt);
	tr_buf_adds(b, "start: ");
	tr_buf_addf(b, "\"%s\" = ", tw->start_text);
	tw_format_iso(tw, tw->start, b);
	if (tw->first_tick == tw->start) {
		tr_buf_adds(b, ", on the schedule, so the first partition starts there\n");
	} else {
		tr_buf_adds(b, " is not on the schedule; the first partition starts at the next "
			       "schedule time, ");
		tw_format_iso(tw, tw->first_tick, b);
		tr_buf_adds(b, "\n");
	}
	tr_buf_adds(b, "now: ");
	tw_format_iso(tw, now, b);
	tr_buf_adds(b, "\n");
	if (p->count == 0) {
		tr_buf_adds(b, "partitions: none yet — the first partition \"");
		tw_key(p, 0, b, err);
		if (tw->end_offset < 0 && first_end <= now) {
			tr_buf_addf(b, "\" is complete, but end_offset %d drops the last %d complete "
				       "window%s\n",
				    tw->end_offset, -tw->end_offset, tw->end_offset == -1 ? "" : "s");
		} else {
			tr_buf_adds(b, "\" is not complete until ");
			tw_format_iso(tw, first_end, b);
			tr_buf_adds(b, "\n");
		}
		return 0;
	}
	tr_buf_adds(b, "first: \"");
	tw_key(p, 0, b, err);
	tr_buf_adds(b, "\" = [");
	tw_format_iso(tw, tw_tick(p, 0), b);
	tr_buf_adds(b, ", ");
	tw_format_iso(tw, first_end, b);
	tr_buf_adds(b, ")\n");
	tr_buf_adds(b, "last:  \"");
	tw_key(p, p->count - 1, b, err);
	tr_buf_adds(b, "\" = [");
	tw_format_iso(tw, tw_tick(p, p->count - 1), b);
	tr_buf_adds(b, ", ");
	tw_format_iso(tw, tw_tick(p, p->count), b);
	tr_buf_adds(b, ")\n");
	tr_buf_adds(b, "why:   ");
	{
		int64_t cur = tw_index_at(p, now);
		int64_t last = p->count - 1;

		if (tw->has_end && tw_tick(p, p->count) <= tw->end && tw_tick(p, p->count + 1) > tw->end &&
		    (tw->end_offset != 0 ? 1 : tw->end <= now)) {
			tr_buf_addf(b, "end \"%s\" is exclusive: the last window that ends by ",
				    tw->end_text);
			tw_format_iso(tw, tw->end, b);
			tr_buf_adds(b, " is the last partition\n");
		} else if (tw->end_offset == 0) {
			tr_buf_adds(b, "only complete windows exist: \"");
			tw_key(p, cur, b, err);
			tr_buf_adds(b, "\" is not complete until ");
			tw_format_iso(tw, tw_tick(p, cur + 1), b);
			tr_buf_adds(b, ", so the last partition is \"");
			tw_key(p, last, b, err);
			tr_buf_adds(b, "\"\n");
		} else if (last != cur - 1 + tw->end_offset) {
			/* Dagster's rule: when end_offset reaches the first window, it exists even
			   though it has not started */
			tr_buf_addf(b, "end_offset %d reaches the first partition, so it exists although "
				       "its window has not %s yet\n",
				    tw->end_offset, tw_tick(p, 0) > now ? "started" : "ended");
		} else {
			tr_buf_addf(b, "end_offset %d: the last complete window is \"", tw->end_offset);
			tw_key(p, cur - 1, b, err);
			tr_buf_addf(b, "\"; %s %d window%s gives \"", tw->end_offset > 0 ? "adding" : "dropping",
				    abs(tw->end_offset), abs(tw->end_offset) == 1 ? "" : "s");
			tw_key(p, last, b, err);
			tr_buf_adds(b, "\"");
			if (tw->end_offset > 0)
				tr_buf_adds(b, " (the in-progress window comes first)");
			tr_buf_adds(b, "\n");
		}
	}
	tr_buf_addf(b, "count: %lld partition%s\n", (long long)p->count, p->count == 1 ? "" : "s");
	/* window lengths over the range (sampled at both ends and across transitions) */
	{
		int64_t range_start = tw_tick(p, 0), range_end = tw_tick(p, p->count);
		int64_t at, from = range_start;
		int32_t before, after;
		int n_notes = 0;
		/* every window for up to 20,000, else the first and last 5,000 (calendar
		   months and years repeat well within that), plus those at clock changes */
		for (int64_t i = 0; i < p->count; i++) {
			int64_t len;

			if (p->count > 20000 && i == 5000)
				i = p->count - 5000;
			len = tw_tick(p, i + 1) - tw_tick(p, i);
			if (len < lo) lo = len;
			if (len > hi) hi = len;
		}
		while (tr_tz_next_transition(tw->tz, from, range_end, &at, &before, &after)) {
			int64_t idx = tw_index_at(p, at);
			int64_t len = tw_tick(p, idx + 1) - tw_tick(p, idx);

			if (len < lo) lo = len;
			if (len > hi) hi = len;
			if (n_notes < 4) {
				tr_buf adds = TR_BUF_INIT;

				tw_format_iso(tw, at, &adds);
				tr_buf_addf(b, "dst:   clocks change at %s (UTC offset %+d:%02d -> %+d:%02d); "
					       "partition \"",
					    tr_buf_str(&adds), before / 3600, abs(before % 3600) / 60,
					    after / 3600, abs(after % 3600) / 60);
				tr_buf_release(&adds);
				tw_key(p, idx, b, err);
				tr_buf_adds(b, "\" is ");
				add_duration(b, len);
				tr_buf_adds(b, " long\n");
			}
			n_notes++;
			from = at;
		}
		if (n_notes > 4)
			tr_buf_addf(b, "dst:   ... %d clock changes in the range in all\n", n_notes);
		tr_buf_adds(b, "window: ");
		add_duration(b, lo);
		if (hi != lo) {
			tr_buf_adds(b, " to ");
			add_duration(b, hi);
		}
		tr_buf_adds(b, "\n");
		if (n_notes == 0 && tw->min_off != tw->max_off)
			tr_buf_addf(b, "dst:   no clock changes between the first and last partition\n");
	}
	if (tw->end_offset)
		tr_buf_addf(b, "end_offset: %d\n", tw->end_offset);
	return rc;
}
