/*
 * adopt.c — `tranche adopt`: recording the partitions a warehouse table
 * already holds as materialized, so that a table with history needs no
 * reload and `materialize --missing` runs only what is not there.
 *
 * Reading (tr_adopt_scan) is one query over the table,
 *   SELECT k_1, ..., k_n, count(*), CAST(min((e_1)) AS VARCHAR), ... FROM t
 *   GROUP BY 1..n ORDER BY 1..n
 * with one key k_d per partition_expr e_d: for a time dimension the value as
 * wall clock at minute resolution, epoch_us(date_trunc('minute', CAST((e) AS
 * TIMESTAMP))) — the load's slice compares the column with TIMESTAMP bounds
 * that are wall clock in the definition's zone, and DuckDB casts DATE,
 * TIMESTAMP and TIMESTAMPTZ (in the session zone) to TIMESTAMP the same way,
 * so a value lands in the partition whose slice would hold it; every window
 * starts on a whole minute, so no minute straddles two partitions. For a
 * static or dynamic dimension the key is the value as text (key equality).
 * The result has one row per minute (or key) that occurs: small for a table
 * of tens of millions of rows. Each row is mapped to a partition index in C
 * (calendar arithmetic, no walking), or to a reason it is in none.
 *
 * Writing (tr_adopt_record) is one events_add: a "materialization" event per
 * partition with run_id 0 (no run: `tranche runs` never shows it) and data
 * {"adopted": true, "row_count": N}. Storage applies it as any
 * materialization — status row, the status change sequence the summaries
 * follow (state.c), last_materialization — so status, assets, --missing and
 * explain all see adopted partitions as materialized. A partition that
 * already has a status (materialized, failed, in progress) is never touched.
 *
 * Every value reaches SQL as a parameter or not at all: the query text holds
 * only the quoted table name and the project's partition_expr (trusted SQL).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec_int.h"
#include "tranche/json.h"

#define MAX_DIMS 16

struct group {
	int64_t index, rows;
};

struct groups {
	struct group *items;
	size_t n, cap;
};

static int groups_add(struct groups *g, int64_t index, int64_t rows)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 256;
		struct group *items = realloc(g->items, cap * sizeof(*items));

		if (!items)
			return TR_ENOMEM;
		g->items = items;
		g->cap = cap;
	}
	g->items[g->n].index = index;
	g->items[g->n].rows = rows;
	g->n++;
	return 0;
}

static int compare_group(const void *a, const void *b)
{
	int64_t x = ((const struct group *)a)->index, y = ((const struct group *)b)->index;

	return (x > y) - (x < y);
}

/* Sorts by index and sums the rows of equal indexes. */
static void groups_merge(struct groups *g)
{
	size_t out = 0;

	if (g->n == 0)
		return;
	qsort(g->items, g->n, sizeof(*g->items), compare_group);
	for (size_t k = 0; k < g->n; k++) {
		if (out && g->items[out - 1].index == g->items[k].index)
			g->items[out - 1].rows += g->items[k].rows;
		else
			g->items[out++] = g->items[k];
	}
	g->n = out;
}

void tr_adopt_report_release(tr_adopt_report *r)
{
	if (!r)
		return;
	tr_keyset_release(&r->adopt);
	for (size_t k = 0; k < r->n_ranges; k++)
		free(r->ranges[k].keys);
	free(r->ranges);
	for (size_t k = 0; k < r->n_outside; k++)
		for (size_t e = 0; e < r->outside[k].n_examples; e++)
			free(r->outside[k].examples[e]);
	free(r->outside);
	free(r->index_rows);
	tr_partitions_free(r->parts);
	memset(r, 0, sizeof(*r));
}

/* ---- the query ---------------------------------------------------------------- */

static int dim_is_time(const tr_partdef *def, size_t d)
{
	const tr_partdef *dim = tr_partdef_kind(def) == TR_PART_MULTI ? tr_partdef_dimension(def, d)
								      : def;

	return tr_partdef_kind(dim) == TR_PART_TIME;
}

static void build_query(const tr_asset *a, size_t nd, tr_buf *sql)
{
	tr_buf_adds(sql, "SELECT ");
	for (size_t d = 0; d < nd; d++) {
		const char *e = a->partition_expr[d];

		if (dim_is_time(a->partdef, d))
			tr_buf_addf(sql, "epoch_us(date_trunc('minute', CAST((%s) AS TIMESTAMP))), ", e);
		else
			tr_buf_addf(sql, "CAST((%s) AS VARCHAR), ", e);
	}
	tr_buf_adds(sql, "count(*)");
	for (size_t d = 0; d < nd; d++)
		tr_buf_addf(sql, ", CAST(min((%s)) AS VARCHAR)", a->partition_expr[d]);
	tr_buf_adds(sql, " FROM ");
	tr_sql_quote_ident(sql, a->table);
	tr_buf_adds(sql, " GROUP BY ");
	for (size_t d = 0; d < nd; d++)
		tr_buf_addf(sql, "%s%zu", d ? ", " : "", d + 1);
	tr_buf_adds(sql, " ORDER BY ");
	for (size_t d = 0; d < nd; d++)
		tr_buf_addf(sql, "%s%zu", d ? ", " : "", d + 1);
}

static int parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s)
		return TR_EINVAL;
	v = strtoll(s, &end, 10);
	if (*end)
		return TR_EINVAL;
	*out = v;
	return 0;
}

/*
 * The index, in a time dimension, of the window holding wall-clock
 * microseconds us (wall clock in the dimension's zone): the instant is found
 * with the offset at the guess, corrected once (DST).
 */
static int64_t time_index(const tr_partitions *dim, int64_t us)
{
	int64_t w = us / 1000000 - (us % 1000000 < 0);
	int32_t off = tr_partitions_offset_at(dim, w);
	int64_t t = w - off;
	int32_t off2 = tr_partitions_offset_at(dim, t);

	if (off2 != off)
		t = w - off2;
	return tr_partitions_index_at(dim, t);
}

/* Rows outside, accumulated per (reason, dimension) before being compacted. */
struct outside_acc {
	int64_t rows;
	char *examples[TR_ADOPT_EXAMPLES];
	size_t n_examples;
};

static int outside_note(struct outside_acc *o, int64_t rows, const char *value)
{
	o->rows += rows;
	if (o->n_examples == TR_ADOPT_EXAMPLES)
		return 0;
	if (!value)
		value = "NULL";
	for (size_t e = 0; e < o->n_examples; e++)
		if (!strcmp(o->examples[e], value))
			return 0;
	if (!(o->examples[o->n_examples] = strdup(value)))
		return TR_ENOMEM;
	o->n_examples++;
	return 0;
}

/* Moves the accumulators into r->outside, by reason then dimension. */
static int outside_compact(const tr_asset *a, size_t nd, struct outside_acc acc[][MAX_DIMS],
			   tr_adopt_report *r)
{
	size_t n = 0;

	for (int k = 0; k < TR_ADOPT_REASONS; k++)
		for (size_t d = 0; d < nd; d++)
			n += acc[k][d].rows > 0;
	if (!n)
		return 0;
	if (!(r->outside = calloc(n, sizeof(*r->outside))))
		return TR_ENOMEM;
	for (int k = 0; k < TR_ADOPT_REASONS; k++)
		for (size_t d = 0; d < nd; d++) {
			tr_adopt_outside *o;

			if (!acc[k][d].rows)
				continue;
			o = &r->outside[r->n_outside++];
			o->reason = (tr_adopt_reason)k;
			o->dimension = tr_partdef_kind(a->partdef) == TR_PART_MULTI
					       ? tr_partdef_dimension_name(a->partdef, d)
					       : NULL;
			o->dim_index = d;
			o->rows = acc[k][d].rows;
			memcpy(o->examples, acc[k][d].examples, sizeof(o->examples));
			o->n_examples = acc[k][d].n_examples;
			memset(&acc[k][d], 0, sizeof(acc[k][d]));
			r->outside_rows += o->rows;
		}
	return 0;
}

/* Maps each row of the grouped result to a partition (into g) or a reason (into acc). */
static int map_rows(const tr_asset *a, const tr_partitions *parts, size_t nd, const tr_table *t,
		    struct groups *g, struct outside_acc acc[][MAX_DIMS], int64_t *total,
		    tr_error *err)
{
	int multi = tr_partdef_kind(a->partdef) == TR_PART_MULTI;

	for (size_t row = 0; row < t->nrows; row++) {
		char *const *cells = t->cells + row * t->ncols;
		int64_t rows = 0, dix[MAX_DIMS] = {0}, index;
		int out = -1;
		size_t out_dim = 0;

		if (parse_i64(cells[nd], &rows))
			return tr_error_set(err, TR_EINTERNAL, "adopt: count(*) gave \"%s\"",
					    cells[nd] ? cells[nd] : "NULL");
		*total += rows;
		for (size_t d = 0; d < nd && out < 0; d++) {
			const tr_partitions *dim = multi ? tr_partitions_dimension(parts, d) : parts;
			int64_t us, count = tr_partitions_count(dim);

			if (!cells[d]) {
				out = TR_ADOPT_NULL;
			} else if (dim_is_time(a->partdef, d)) {
				if (parse_i64(cells[d], &us))
					return tr_error_set(err, TR_EINTERNAL,
							    "adopt: a time key \"%s\" is not a number",
							    cells[d]);
				dix[d] = time_index(dim, us);
				if (dix[d] < 0)
					out = TR_ADOPT_BEFORE_START;
				else if (dix[d] >= count)
					out = TR_ADOPT_AFTER_LAST;
			} else if (tr_partitions_index(dim, cells[d], &dix[d], NULL) != 0) {
				out = TR_ADOPT_NOT_A_KEY;
			}
			out_dim = d;
		}
		if (out >= 0) {
			if (outside_note(&acc[out][out_dim], rows, cells[nd + 1 + out_dim]))
				return tr_error_set(err, TR_ENOMEM, "out of memory");
			continue;
		}
		index = multi ? tr_partitions_join(parts, dix) : dix[0];
		if (groups_add(g, index, rows))
			return tr_error_set(err, TR_ENOMEM, "out of memory");
	}
	return 0;
}

/* ---- partitions to adopt -------------------------------------------------------- */

/*
 * r->adopt, r->index_rows and r->ranges from the merged groups, leaving out
 * (and counting) partitions that have a status in st.
 */
static int choose(const tr_project *p, tr_storage *st, size_t i, const struct groups *g,
		  tr_adopt_report *r, tr_error *err)
{
	tr_asset_state s;
	tr_buf keys = TR_BUF_INIT;
	size_t at = 0;
	int rc;

	tr_keyset_clear(&r->adopt);
	for (size_t k = 0; k < r->n_ranges; k++)
		free(r->ranges[k].keys);
	free(r->ranges);
	free(r->index_rows);
	r->ranges = NULL;
	r->n_ranges = 0;
	r->adopt_rows = 0;
	r->kept_materialized = r->kept_failed = r->kept_in_progress = 0;
	if (!(r->index_rows = malloc((g->n ? g->n : 1) * sizeof(*r->index_rows))))
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	if ((rc = tr_asset_state_get(p, st, i, r->parts, &s, err)) != 0)
		return rc;
	for (size_t k = 0; k < g->n && !rc; k++) {
		int64_t index = g->items[k].index;

		if (tr_keyset_contains(&s.materialized, index))
			r->kept_materialized++;
		else if (tr_keyset_contains(&s.failed, index))
			r->kept_failed++;
		else if (tr_keyset_contains(&s.in_progress, index))
			r->kept_in_progress++;
		else if (tr_keyset_add(&r->adopt, index))
			rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		else {
			r->index_rows[at++] = g->items[k].rows;
			r->adopt_rows += g->items[k].rows;
		}
	}
	tr_asset_state_release(&s);
	if (rc || r->adopt.n == 0)
		return rc;
	if (!(r->ranges = calloc(r->adopt.n, sizeof(*r->ranges))))
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	at = 0;
	for (size_t k = 0; k < r->adopt.n && !rc; k++) {
		tr_adopt_range *range = &r->ranges[r->n_ranges++];
		tr_keyset one = TR_KEYSET_INIT;

		range->partitions = r->adopt.ranges[k].end - r->adopt.ranges[k].start;
		for (int64_t n = 0; n < range->partitions; n++)
			range->rows += r->index_rows[at++];
		if (!r->parts) {
			range->keys = strdup("");
		} else {
			tr_buf_reset(&keys);
			if (tr_keyset_add_range(&one, r->adopt.ranges[k].start, r->adopt.ranges[k].end))
				rc = tr_error_set(err, TR_ENOMEM, "out of memory");
			else
				rc = tr_partitions_keyset_to_ranges(r->parts, &one, &keys, err);
			if (!rc && keys.len && keys.data[keys.len - 1] == '\n')
				tr_buf_truncate(&keys, keys.len - 1);
			range->keys = rc ? NULL : tr_buf_detach(&keys, NULL);
		}
		tr_keyset_release(&one);
		if (!rc && !range->keys)
			rc = tr_error_set(err, TR_ENOMEM, "out of memory");
	}
	tr_buf_release(&keys);
	return rc;
}

/* The groups of the adopt set, back from r (for tr_adopt_record's second choice). */
static int groups_of_report(const tr_adopt_report *r, struct groups *g)
{
	tr_keyset_iter it;
	int64_t index;
	size_t at = 0;

	for (tr_keyset_iter_init(&it, &r->adopt); tr_keyset_iter_next(&it, &index);)
		if (groups_add(g, index, r->index_rows[at++]))
			return TR_ENOMEM;
	return 0;
}

int tr_adopt_scan(const tr_project *p, tr_storage *st, tr_warehouse *wh, size_t i, int64_t now,
		  tr_adopt_report *out, tr_error *err)
{
	const tr_asset *a;
	struct outside_acc acc[TR_ADOPT_REASONS][MAX_DIMS];
	struct groups g = {0};
	tr_wconn *conn = NULL;
	tr_table t = {0};
	tr_buf sql = TR_BUF_INIT;
	size_t nd = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	memset(acc, 0, sizeof(acc));
	if (i >= p->n_assets)
		return tr_error_set(err, TR_EINVAL, "asset index %zu out of range", i);
	a = &p->assets[i];
	out->asset = a->name;
	out->table = a->table;
	out->partitioned = a->partdef != NULL;
	if (a->partdef) {
		nd = tr_partdef_kind(a->partdef) == TR_PART_MULTI
			     ? tr_partdef_dimension_count(a->partdef)
			     : 1;
		if (a->n_partition_expr < nd || nd > MAX_DIMS) {
			rc = tr_error_set(
				err, TR_EINVAL,
				"asset %s is partitioned (%s) but has no partition_expr%s: adopt reads "
				"each row's partition through it; add partition_expr: COLUMN (the "
				"column that holds the partition value%s) to the asset in %s",
				a->name, tr_partdef_type_name(a->partdef),
				a->n_partition_expr ? " for every dimension" : "",
				nd > 1 ? "; a map dimension: COLUMN for multi partitions" : "",
				p->path);
			goto out;
		}
		if ((rc = tr_asset_partitions(p, st, i, now, &out->parts, err)) != 0)
			goto out;
	}
	if ((rc = tr_warehouse_connect(wh, &conn, err)) != 0)
		goto out;
	if ((rc = tr_wconn_table_exists(conn, a->table, err)) < 0)
		goto out;
	if (rc == 0) {
		rc = tr_error_set(err, TR_ENOTFOUND,
				  "nothing to adopt: table %s does not exist (asset %s writes it; "
				  "tranche materialize creates it)",
				  a->table, a->name);
		goto out;
	}
	rc = 0;
	out->table_exists = 1;
	if (!a->partdef) {
		tr_buf_adds(&sql, "SELECT count(*) FROM ");
		tr_sql_quote_ident(&sql, a->table);
	} else {
		build_query(a, nd, &sql);
	}
	if (tr_buf_failed(&sql)) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	/* TIMESTAMPTZ values read as wall clock in the partitions' zone, as the loads compare them */
	if ((rc = tr_wconn_set_timezone(conn, tr_asset_timezone(a), err)) != 0)
		goto out;
	if ((rc = tr_wconn_query(conn, tr_buf_str(&sql), NULL, 0, (size_t)-1, &t, err)) != 0) {
		tr_error_prefix(err, "asset %s: reading the partitions of table %s through "
				     "partition_expr",
				a->name, a->table);
		goto out;
	}
	if (!a->partdef) {
		if (t.nrows != 1 || parse_i64(t.cells[0], &out->table_rows)) {
			rc = tr_error_set(err, TR_EINTERNAL, "adopt: count(*) gave no number");
			goto out;
		}
		if (out->table_rows > 0 && (rc = groups_add(&g, 0, out->table_rows)) != 0) {
			rc = tr_error_set(err, rc, "out of memory");
			goto out;
		}
		/* an empty table is still the table: the asset's one partition holds it */
		if (out->table_rows == 0 && (rc = groups_add(&g, 0, 0)) != 0) {
			rc = tr_error_set(err, rc, "out of memory");
			goto out;
		}
	} else {
		if (t.ncols != 2 * nd + 1) {
			rc = tr_error_set(err, TR_EINTERNAL, "adopt: %zu columns instead of %zu", t.ncols,
					  2 * nd + 1);
			goto out;
		}
		if ((rc = map_rows(a, out->parts, nd, &t, &g, acc, &out->table_rows, err)) != 0)
			goto out;
		groups_merge(&g);
		if (outside_compact(a, nd, acc, out)) {
			rc = tr_error_set(err, TR_ENOMEM, "out of memory");
			goto out;
		}
	}
	rc = choose(p, st, i, &g, out, err);
out:
	for (int k = 0; k < TR_ADOPT_REASONS; k++)
		for (size_t d = 0; d < MAX_DIMS; d++)
			for (size_t e = 0; e < acc[k][d].n_examples; e++)
				free(acc[k][d].examples[e]);
	free(g.items);
	tr_table_release(&t);
	tr_buf_release(&sql);
	tr_wconn_close(conn);
	return rc;
}

int tr_adopt_record(const tr_project *p, tr_storage *st, size_t i, tr_adopt_report *r,
		    tr_error *err)
{
	struct groups g = {0};
	tr_event *evs = NULL;
	char **strs = NULL; /* 3 per event: key, message, data */
	size_t n = 0, k = 0;
	int64_t ts = exec_wall_ms();
	tr_keyset_iter it;
	int64_t index;
	int rc = 0;

	r->recorded = 0;
	if (!r->table_exists || tr_keyset_is_empty(&r->adopt))
		return 0;
	/* again against st: a partition that got a status since the scan keeps it */
	if (groups_of_report(r, &g) != 0) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	{
		int64_t kept[3] = {r->kept_materialized, r->kept_failed, r->kept_in_progress};

		if ((rc = choose(p, st, i, &g, r, err)) != 0)
			goto out;
		r->kept_materialized += kept[0];
		r->kept_failed += kept[1];
		r->kept_in_progress += kept[2];
	}
	n = (size_t)tr_keyset_count(&r->adopt);
	if (n == 0)
		goto out;
	evs = calloc(n, sizeof(*evs));
	strs = calloc(3 * n, sizeof(*strs));
	if (!evs || !strs) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	for (tr_keyset_iter_init(&it, &r->adopt); tr_keyset_iter_next(&it, &index); k++) {
		tr_buf key = TR_BUF_INIT, msg = TR_BUF_INIT, data = TR_BUF_INIT;
		tr_json j;
		int64_t rows = r->index_rows[k];

		if (r->parts && (rc = tr_partitions_key(r->parts, index, &key, err)) != 0) {
			tr_buf_release(&key);
			goto out;
		}
		tr_buf_addf(&msg, "adopted: %lld row%s already in table %s", (long long)rows,
			    rows == 1 ? "" : "s", r->table);
		tr_json_init(&j, &data, 0);
		tr_json_object_begin(&j);
		tr_json_kv_bool(&j, "adopted", 1);
		tr_json_kv_int(&j, "row_count", rows);
		tr_json_object_end(&j);
		strs[3 * k] = r->parts ? tr_buf_detach(&key, NULL) : strdup("");
		strs[3 * k + 1] = tr_buf_detach(&msg, NULL);
		strs[3 * k + 2] = tr_buf_detach(&data, NULL);
		tr_buf_release(&key);
		if (!strs[3 * k] || !strs[3 * k + 1] || !strs[3 * k + 2]) {
			rc = tr_error_set(err, TR_ENOMEM, "out of memory");
			goto out;
		}
		evs[k].run_id = 0;
		evs[k].ts = ts;
		evs[k].type = "materialization";
		evs[k].asset = p->assets[i].name;
		evs[k].partition = strs[3 * k];
		evs[k].message = strs[3 * k + 1];
		evs[k].data = strs[3 * k + 2];
	}
	if ((rc = tr_storage_events_add(st, evs, n, err)) != 0) {
		tr_error_prefix(err, "asset %s: recording adopted partitions (nothing recorded)",
				p->assets[i].name);
		goto out;
	}
	r->recorded = (int64_t)n;
out:
	for (size_t s = 0; strs && s < 3 * n; s++)
		free(strs[s]);
	free(strs);
	free(evs);
	free(g.items);
	return rc;
}
