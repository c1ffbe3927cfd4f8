/*
 * adopt_report.c — adopt's report (tranche/admin.h): the JSON object that
 * `tranche adopt --json` prints and POST /api/assets/NAME/adopt answers, and
 * the text `tranche adopt` prints, rendered from that JSON — from the CLI's
 * own adopt or from a server's answer alike, so there is one writer of each.
 *
 * The JSON carries everything the text says: besides the report's counts,
 * the partitions' type and how many exist now, the reasons of rows outside
 * every partition in words (`why`), and what `materialize --missing` would
 * run afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/node.h"
#include "tranche/admin.h"

static const char *plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static const char *const reason_names[TR_ADOPT_REASONS] = {
	[TR_ADOPT_BEFORE_START] = "before_start",
	[TR_ADOPT_AFTER_LAST] = "after_last",
	[TR_ADOPT_NOT_A_KEY] = "not_a_key",
	[TR_ADOPT_NULL] = "null",
};

/* ---- the JSON ------------------------------------------------------------------------------ */

int tr_adopt_next_get(const tr_project *p, tr_storage *st, size_t i, const tr_adopt_report *r,
		      int dry_run, tr_adopt_next *out, tr_error *err)
{
	tr_asset_state s;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = tr_asset_state_get(p, st, i, r->parts, &s, err)))
		return rc;
	out->total = s.total;
	out->missing_after = tr_keyset_count(&s.missing) + tr_keyset_count(&s.failed);
	if (dry_run) /* as if recorded */
		out->missing_after -= tr_keyset_count(&r->adopt);
	tr_asset_state_release(&s);
	return 0;
}

/* The dimension (or the definition) a row was outside of. */
static const tr_partitions *outside_parts(const tr_adopt_report *r, const tr_adopt_outside *o)
{
	return o->dimension ? tr_partitions_dimension(r->parts, o->dim_index) : r->parts;
}

/* Why, in words: "before the first partition (2024-01-01)". */
static void reason_text(const tr_adopt_report *r, const tr_adopt_outside *o, tr_buf *out)
{
	const tr_partitions *parts = outside_parts(r, o);
	const tr_partdef *def = tr_partitions_def(parts);
	int64_t count = tr_partitions_count(parts);

	if (o->dimension)
		tr_buf_addf(out, "with %s ", o->dimension);
	switch (o->reason) {
	case TR_ADOPT_BEFORE_START:
		tr_buf_adds(out, "before the first partition");
		if (count > 0) {
			tr_buf_adds(out, " (");
			tr_partitions_key(parts, 0, out, NULL);
			tr_buf_adds(out, ")");
		}
		break;
	case TR_ADOPT_AFTER_LAST:
		if (count > 0) {
			tr_buf_adds(out, "after the last partition that exists now (");
			tr_partitions_key(parts, count - 1, out, NULL);
			tr_buf_adds(out, ")");
		} else {
			tr_buf_adds(out, "in windows that are not complete yet (no partition exists now)");
		}
		break;
	case TR_ADOPT_NOT_A_KEY:
		if (tr_partdef_kind(def) == TR_PART_DYNAMIC) {
			tr_buf_addf(out, "not a key of dynamic partitions \"%s\" (%lld %s; add one with "
					 "tranche partitions add %s KEY)",
				    tr_partdef_dynamic_name(def), (long long)count,
				    plural(count, "key", "keys"), tr_partdef_dynamic_name(def));
			break;
		}
		tr_buf_addf(out, "not a key%s (keys: ", o->dimension ? "" : " of the definition");
		for (int64_t k = 0; k < count && k < 5; k++) {
			if (k)
				tr_buf_adds(out, ", ");
			tr_partitions_key(parts, k, out, NULL);
		}
		if (count > 5)
			tr_buf_addf(out, ", ... %lld in all", (long long)count);
		tr_buf_adds(out, ")");
		break;
	default:
		tr_buf_addf(out, "%s", o->dimension ? "NULL" : "with a NULL partition_expr");
		break;
	}
}

void tr_adopt_report_write_json(const tr_adopt_report *r, int dry_run, const tr_adopt_next *next,
				tr_json *j)
{
	tr_json_object_begin(j);
	tr_json_kv_string(j, "asset", r->asset);
	tr_json_kv_string(j, "table", r->table);
	tr_json_kv_bool(j, "dry_run", dry_run);
	tr_json_kv_int(j, "table_rows", r->table_rows);
	tr_json_kv_string(j, "partitions_type",
			  r->partitioned ? tr_partdef_type_name(tr_partitions_def(r->parts)) : NULL);
	tr_json_key(j, "partitions_total");
	if (r->partitioned)
		tr_json_int(j, next->total);
	else
		tr_json_null(j);
	tr_json_key(j, "adopted");
	tr_json_object_begin(j);
	tr_json_kv_int(j, "partitions", tr_keyset_count(&r->adopt));
	tr_json_kv_int(j, "rows", r->adopt_rows);
	tr_json_key(j, "ranges");
	if (!r->partitioned) {
		tr_json_null(j);
	} else {
		tr_json_array_begin(j);
		for (size_t k = 0; k < r->n_ranges; k++) {
			tr_json_object_begin(j);
			tr_json_kv_string(j, "keys", r->ranges[k].keys);
			tr_json_kv_int(j, "partitions", r->ranges[k].partitions);
			tr_json_kv_int(j, "rows", r->ranges[k].rows);
			tr_json_object_end(j);
		}
		tr_json_array_end(j);
	}
	tr_json_object_end(j);
	tr_json_kv_int(j, "recorded", r->recorded);
	tr_json_key(j, "left_as_they_are");
	tr_json_object_begin(j);
	tr_json_kv_int(j, "materialized", r->kept_materialized);
	tr_json_kv_int(j, "failed", r->kept_failed);
	tr_json_kv_int(j, "in_progress", r->kept_in_progress);
	tr_json_object_end(j);
	tr_json_key(j, "outside");
	tr_json_object_begin(j);
	tr_json_kv_int(j, "rows", r->outside_rows);
	tr_json_key(j, "reasons");
	tr_json_array_begin(j);
	for (size_t k = 0; k < r->n_outside; k++) {
		const tr_adopt_outside *o = &r->outside[k];
		tr_buf why = TR_BUF_INIT;

		reason_text(r, o, &why);
		tr_json_object_begin(j);
		tr_json_kv_string(j, "reason", reason_names[o->reason]);
		tr_json_kv_string(j, "dimension", o->dimension);
		tr_json_kv_int(j, "rows", o->rows);
		tr_json_kv_string(j, "why", tr_buf_str(&why));
		tr_json_key(j, "examples");
		tr_json_array_begin(j);
		for (size_t e = 0; e < o->n_examples && o->reason != TR_ADOPT_NULL; e++)
			tr_json_string(j, o->examples[e]);
		tr_json_array_end(j);
		tr_json_object_end(j);
		tr_buf_release(&why);
	}
	tr_json_array_end(j);
	tr_json_object_end(j);
	tr_json_kv_int(j, "missing_after", next->missing_after);
	tr_json_object_end(j);
}

/* ---- the text, from the JSON ------------------------------------------------------------------ */

/* key's text, "" when absent or null. */
static const char *str(const tr_node *obj, const char *key)
{
	const char *v = tr_node_get_text(obj, key);

	return v ? v : "";
}

static void text_unpartitioned(const tr_node *doc, tr_buf *out)
{
	const tr_node *kept = tr_node_get(doc, "left_as_they_are");
	int dry_run = 0;
	int64_t rows = tr_node_get_int(doc, "table_rows");

	tr_node_bool(tr_node_get(doc, "dry_run"), &dry_run);
	tr_buf_addf(out, "table %s: %lld %s\n", str(doc, "table"), (long long)rows,
		    plural(rows, "row", "rows"));
	if (tr_node_get_int(tr_node_get(doc, "adopted"), "partitions"))
		tr_buf_addf(out, "%s asset %s: its table %s as materialized%s\n",
			    dry_run ? "would adopt" : "adopted", str(doc, "asset"),
			    dry_run ? "would be recorded" : "is recorded",
			    dry_run ? " (dry run: nothing was recorded)" : "");
	else
		tr_buf_addf(out, "left as it is: asset %s is already %s\n", str(doc, "asset"),
			    tr_node_get_int(kept, "materialized") ? "materialized"
			    : tr_node_get_int(kept, "failed")     ? "recorded as failed (tranche materialize "
							"retries it)"
						    : "being materialized");
}

static void text_ranges(const tr_node *adopted, int dry_run, tr_buf *out)
{
	const tr_node *ranges = tr_node_get(adopted, "ranges");
	int64_t n = tr_node_get_int(adopted, "partitions"), rows = tr_node_get_int(adopted, "rows");
	size_t width = 0, pwidth = 0;

	for (size_t k = 0; k < ranges->n; k++) {
		const tr_node *range = ranges->items[k];
		int64_t parts = tr_node_get_int(range, "partitions");
		char text[48];
		size_t len = (size_t)snprintf(text, sizeof(text), "%lld %s", (long long)parts,
					      plural(parts, "partition", "partitions"));

		if (strlen(str(range, "keys")) > width)
			width = strlen(str(range, "keys"));
		if (len > pwidth)
			pwidth = len;
	}
	tr_buf_addf(out, "%s %lld %s (%lld %s) as materialized%s:\n",
		    dry_run ? "would adopt" : "adopted", (long long)n,
		    plural(n, "partition", "partitions"), (long long)rows, plural(rows, "row", "rows"),
		    dry_run ? " (dry run: nothing was recorded)" : "");
	for (size_t k = 0; k < ranges->n; k++) {
		const tr_node *range = ranges->items[k];
		int64_t parts = tr_node_get_int(range, "partitions"), range_rows = tr_node_get_int(range, "rows");
		char text[48];

		snprintf(text, sizeof(text), "%lld %s", (long long)parts,
			 plural(parts, "partition", "partitions"));
		tr_buf_addf(out, "  %-*s  %-*s  %lld %s\n", (int)width, str(range, "keys"), (int)pwidth,
			    text, (long long)range_rows, plural(range_rows, "row", "rows"));
	}
}

static void text_outside(const tr_node *outside, tr_buf *out)
{
	const tr_node *reasons = tr_node_get(outside, "reasons");

	tr_buf_addf(out, "rows in no partition: %lld\n", (long long)tr_node_get_int(outside, "rows"));
	for (size_t k = 0; reasons && k < reasons->n; k++) {
		const tr_node *o = reasons->items[k];
		const tr_node *examples = tr_node_get(o, "examples");
		int64_t rows = tr_node_get_int(o, "rows");
		size_t n = examples && examples->kind == TR_NODE_SEQ ? examples->n : 0;

		tr_buf_addf(out, "  %lld %s %s", (long long)rows, plural(rows, "row", "rows"),
			    str(o, "why"));
		for (size_t e = 0; e < n; e++)
			tr_buf_addf(out, "%s%s", e ? ", " : ": ", examples->items[e]->scalar);
		if (n == TR_ADOPT_EXAMPLES)
			tr_buf_adds(out, ", ...");
		tr_buf_addc(out, '\n');
	}
}

static void text_partitioned(const tr_node *doc, tr_buf *out)
{
	const tr_node *adopted = tr_node_get(doc, "adopted");
	const tr_node *kept = tr_node_get(doc, "left_as_they_are");
	int64_t n = tr_node_get_int(adopted, "partitions"), rows = tr_node_get_int(doc, "table_rows");
	int64_t kept_materialized = tr_node_get_int(kept, "materialized"), kept_failed = tr_node_get_int(kept, "failed");
	int64_t kept_in_progress = tr_node_get_int(kept, "in_progress");
	int64_t kept_all = kept_materialized + kept_failed + kept_in_progress;
	int64_t next = tr_node_get_int(doc, "missing_after");
	int dry_run = 0;

	tr_node_bool(tr_node_get(doc, "dry_run"), &dry_run);
	tr_buf_addf(out, "table %s: %lld %s in %lld of the %lld %s partitions that exist now\n",
		    str(doc, "table"), (long long)rows, plural(rows, "row", "rows"),
		    (long long)(n + kept_all), (long long)tr_node_get_int(doc, "partitions_total"),
		    str(doc, "partitions_type"));
	if (n)
		text_ranges(adopted, dry_run, out);
	else
		tr_buf_addf(out, "nothing to adopt: %s\n",
			    rows == 0  ? "the table is empty"
			    : kept_all ? "every partition in the table already has a status"
				       : "no row is in a partition that exists now");
	if (kept_materialized)
		tr_buf_addf(out, "left as they are: %lld %s already materialized\n",
			    (long long)kept_materialized,
			    plural(kept_materialized, "partition", "partitions"));
	if (kept_failed)
		tr_buf_addf(out, "left as they are: %lld failed %s (tranche materialize %s --failed "
				 "retries %s)\n",
			    (long long)kept_failed, plural(kept_failed, "partition", "partitions"),
			    str(doc, "asset"), plural(kept_failed, "it", "them"));
	if (kept_in_progress)
		tr_buf_addf(out, "left as they are: %lld %s being materialized by a run\n",
			    (long long)kept_in_progress,
			    plural(kept_in_progress, "partition", "partitions"));
	if (tr_node_get_int(tr_node_get(doc, "outside"), "rows"))
		text_outside(tr_node_get(doc, "outside"), out);
	if (next > 0)
		tr_buf_addf(out, "next: tranche materialize %s --missing runs the %lld %s not there\n",
			    str(doc, "asset"), (long long)next, plural(next, "partition", "partitions"));
}

int tr_adopt_report_text(const char *json, size_t len, tr_buf *out, tr_error *err)
{
	tr_node *doc = NULL;
	const tr_node *ranges;
	int rc;

	if ((rc = tr_node_parse(json, len, "adopt report", &doc, err)))
		return rc;
	ranges = tr_node_get(tr_node_get(doc, "adopted"), "ranges");
	if (doc->kind != TR_NODE_MAP || !tr_node_get(doc, "table") || !ranges) {
		rc = tr_error_set(err, TR_EINVAL, "not an adopt report: no table or adopted.ranges");
	} else if (ranges->kind == TR_NODE_SEQ) {
		text_partitioned(doc, out);
	} else {
		text_unpartitioned(doc, out);
	}
	tr_node_free(doc);
	return rc;
}
