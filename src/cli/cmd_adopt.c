/*
 * cmd_adopt.c — `tranche adopt ASSET [--dry-run] [--json]`: records the
 * partitions an asset's warehouse table already holds as materialized (an
 * observation, not a run), so that a table with history needs no reload and
 * `materialize --missing` runs only the partitions that are not there.
 *
 * Order, so that a refused request leaves no trace: the table is read
 * (tr_adopt_scan) with instance storage opened without creating it, and the
 * warehouse opened only if its file exists (else an empty in-memory one
 * answers "table X does not exist"); only when there is something to record
 * and this is not a dry run is storage opened for writing (tr_adopt_record,
 * one transaction).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "tranche/exec.h"
#include "tranche/json.h"
#include "tranche/project.h"
#include "tranche/storage.h"
#include "tranche/warehouse.h"

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

/* The warehouse: the project's, or an empty in-memory one when its file does not exist yet. */
static int open_warehouse(cli_proj *cp)
{
	const char *url = cp->project->warehouse;
	struct stat sb;
	tr_error err = {0};

	if (!strncmp(url, "duckdb:", 7) && strcmp(url + 7, ":memory:") && stat(url + 7, &sb) != 0)
		url = "duckdb::memory:";
	if (tr_warehouse_open(url, NULL, &cp->wh, &err))
		return cli_fail(&err);
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

static void report_json(const tr_adopt_report *r, int dry_run, tr_buf *out)
{
	tr_json j;

	tr_json_init(&j, out, 0);
	tr_json_object_begin(&j);
	tr_json_kv_string(&j, "asset", r->asset);
	tr_json_kv_string(&j, "table", r->table);
	tr_json_kv_bool(&j, "dry_run", dry_run);
	tr_json_kv_int(&j, "table_rows", r->table_rows);
	tr_json_key(&j, "adopted");
	tr_json_object_begin(&j);
	tr_json_kv_int(&j, "partitions", tr_keyset_count(&r->adopt));
	tr_json_kv_int(&j, "rows", r->adopt_rows);
	tr_json_key(&j, "ranges");
	if (!r->partitioned) {
		tr_json_null(&j);
	} else {
		tr_json_array_begin(&j);
		for (size_t k = 0; k < r->n_ranges; k++) {
			tr_json_object_begin(&j);
			tr_json_kv_string(&j, "keys", r->ranges[k].keys);
			tr_json_kv_int(&j, "partitions", r->ranges[k].partitions);
			tr_json_kv_int(&j, "rows", r->ranges[k].rows);
			tr_json_object_end(&j);
		}
		tr_json_array_end(&j);
	}
	tr_json_object_end(&j);
	tr_json_kv_int(&j, "recorded", r->recorded);
	tr_json_key(&j, "left_as_they_are");
	tr_json_object_begin(&j);
	tr_json_kv_int(&j, "materialized", r->kept_materialized);
	tr_json_kv_int(&j, "failed", r->kept_failed);
	tr_json_kv_int(&j, "in_progress", r->kept_in_progress);
	tr_json_object_end(&j);
	tr_json_key(&j, "outside");
	tr_json_object_begin(&j);
	tr_json_kv_int(&j, "rows", r->outside_rows);
	tr_json_key(&j, "reasons");
	tr_json_array_begin(&j);
	for (size_t k = 0; k < r->n_outside; k++) {
		const tr_adopt_outside *o = &r->outside[k];
		tr_buf why = TR_BUF_INIT;

		reason_text(r, o, &why);
		tr_json_object_begin(&j);
		tr_json_kv_string(&j, "reason", reason_names[o->reason]);
		tr_json_kv_string(&j, "dimension", o->dimension);
		tr_json_kv_int(&j, "rows", o->rows);
		tr_json_kv_string(&j, "why", tr_buf_str(&why));
		tr_json_key(&j, "examples");
		tr_json_array_begin(&j);
		for (size_t e = 0; e < o->n_examples && o->reason != TR_ADOPT_NULL; e++)
			tr_json_string(&j, o->examples[e]);
		tr_json_array_end(&j);
		tr_json_object_end(&j);
		tr_buf_release(&why);
	}
	tr_json_array_end(&j);
	tr_json_object_end(&j);
	tr_json_object_end(&j);
	tr_buf_addc(out, '\n');
}

static void report_text(const tr_adopt_report *r, int dry_run, int64_t total, int64_t to_run,
			tr_buf *out)
{
	int64_t n = tr_keyset_count(&r->adopt);
	int64_t kept = r->kept_materialized + r->kept_failed + r->kept_in_progress;
	const char *verb = dry_run ? "would adopt" : "adopted";

	if (!r->partitioned) {
		tr_buf_addf(out, "table %s: %lld %s\n", r->table, (long long)r->table_rows,
			    plural(r->table_rows, "row", "rows"));
		if (n)
			tr_buf_addf(out, "%s asset %s: its table %s as materialized%s\n", verb,
				    r->asset, dry_run ? "would be recorded" : "is recorded",
				    dry_run ? " (dry run: nothing was recorded)" : "");
		else
			tr_buf_addf(out, "left as it is: asset %s is already %s\n", r->asset,
				    r->kept_materialized ? "materialized"
				    : r->kept_failed     ? "recorded as failed (tranche materialize "
							   "retries it)"
							 : "being materialized");
		return;
	}
	tr_buf_addf(out, "table %s: %lld %s in %lld of the %lld %s partitions that exist now\n",
		    r->table, (long long)r->table_rows, plural(r->table_rows, "row", "rows"),
		    (long long)(n + kept), (long long)total, tr_partdef_type_name(tr_partitions_def(r->parts)));
	if (n) {
		size_t width = 0, pwidth = 0;

		for (size_t k = 0; k < r->n_ranges; k++) {
			char parts[48];
			size_t len = (size_t)snprintf(parts, sizeof(parts), "%lld %s",
						      (long long)r->ranges[k].partitions,
						      plural(r->ranges[k].partitions, "partition",
							     "partitions"));

			if (strlen(r->ranges[k].keys) > width)
				width = strlen(r->ranges[k].keys);
			if (len > pwidth)
				pwidth = len;
		}
		tr_buf_addf(out, "%s %lld %s (%lld %s) as materialized%s:\n", verb, (long long)n,
			    plural(n, "partition", "partitions"), (long long)r->adopt_rows,
			    plural(r->adopt_rows, "row", "rows"),
			    dry_run ? " (dry run: nothing was recorded)" : "");
		for (size_t k = 0; k < r->n_ranges; k++) {
			char parts[48];

			snprintf(parts, sizeof(parts), "%lld %s", (long long)r->ranges[k].partitions,
				 plural(r->ranges[k].partitions, "partition", "partitions"));
			tr_buf_addf(out, "  %-*s  %-*s  %lld %s\n", (int)width, r->ranges[k].keys,
				    (int)pwidth, parts,
				    (long long)r->ranges[k].rows, plural(r->ranges[k].rows, "row", "rows"));
		}
	} else {
		tr_buf_addf(out, "nothing to adopt: %s\n",
			    r->table_rows == 0 ? "the table is empty"
			    : kept            ? "every partition in the table already has a status"
					      : "no row is in a partition that exists now");
	}
	if (r->kept_materialized)
		tr_buf_addf(out, "left as they are: %lld %s already materialized\n",
			    (long long)r->kept_materialized,
			    plural(r->kept_materialized, "partition", "partitions"));
	if (r->kept_failed)
		tr_buf_addf(out, "left as they are: %lld failed %s (tranche materialize %s --failed "
				 "retries %s)\n",
			    (long long)r->kept_failed, plural(r->kept_failed, "partition", "partitions"),
			    r->asset, plural(r->kept_failed, "it", "them"));
	if (r->kept_in_progress)
		tr_buf_addf(out, "left as they are: %lld %s being materialized by a run\n",
			    (long long)r->kept_in_progress,
			    plural(r->kept_in_progress, "partition", "partitions"));
	if (r->outside_rows) {
		tr_buf_addf(out, "rows in no partition: %lld\n", (long long)r->outside_rows);
		for (size_t k = 0; k < r->n_outside; k++) {
			const tr_adopt_outside *o = &r->outside[k];

			tr_buf_addf(out, "  %lld %s ", (long long)o->rows, plural(o->rows, "row", "rows"));
			reason_text(r, o, out);
			for (size_t e = 0; e < o->n_examples && o->reason != TR_ADOPT_NULL; e++)
				tr_buf_addf(out, "%s%s", e ? ", " : ": ", o->examples[e]);
			if (o->n_examples == TR_ADOPT_EXAMPLES)
				tr_buf_adds(out, ", ...");
			tr_buf_addc(out, '\n');
		}
	}
	if (to_run > 0)
		tr_buf_addf(out, "next: tranche materialize %s --missing runs the %lld %s not there\n",
			    r->asset, (long long)to_run, plural(to_run, "partition", "partitions"));
}

int cmd_adopt(int argc, char **argv)
{
	cli_proj cp = {0};
	cli_list pos = {0};
	int json = 0, dry_run = 0, rc;
	size_t i;
	tr_adopt_report r = {0};
	tr_asset_state s;
	int64_t total = 0, to_run = 0;
	tr_buf out = TR_BUF_INIT;
	tr_error err = {0};
	const cli_opt opts[] = {
		{"dry-run", 'n', OPT_FLAG, NULL, "print what would be recorded; record nothing",
		 &dry_run},
		{"json", 0, OPT_FLAG, NULL, "print JSON", &json},
		CLI_PROJ_OPTS(cp),
		{NULL, 0, 0, NULL, NULL, NULL},
	};
	const char *usage = "tranche adopt ASSET [--dry-run] [--json]";

	rc = cli_parse(argc, argv, opts, &pos, usage,
		       "Records the partitions that ASSET's table already holds as materialized, "
		       "without running\nanything: the partition of each row is read through the "
		       "asset's partition_expr. Then\ntranche materialize ASSET --missing loads only "
		       "the partitions that are not there.\nPartitions that already have a status "
		       "are left as they are; rows that fall in no\npartition are reported.");
	if (rc)
		goto out;
	if (pos.n != 1) {
		rc = cli_failf(EXIT_USAGE, "adopt takes one ASSET (got %zu)\nusage: %s", pos.n, usage);
		goto out;
	}
	if ((rc = cli_proj_open(&cp, 0)))
		goto out;
	if (tr_project_find(cp.project, pos.items[0], &i, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	if ((rc = open_warehouse(&cp)))
		goto out;
	if (tr_adopt_scan(cp.project, cp.storage, cp.wh, i, cp.now, &r, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	tr_warehouse_close(cp.wh);
	cp.wh = NULL;
	if (!dry_run && !tr_keyset_is_empty(&r.adopt)) {
		if ((rc = cli_proj_attach(&cp, CLI_PROJ_WRITE)))
			goto out;
		if (tr_adopt_record(cp.project, cp.storage, i, &r, &err)) {
			rc = cli_fail(&err);
			goto out;
		}
	}
	/* what --missing runs afterwards (a dry run: as if recorded) */
	if (tr_asset_state_get(cp.project, cp.storage, i, r.parts, &s, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	total = s.total;
	to_run = tr_keyset_count(&s.missing) + tr_keyset_count(&s.failed);
	if (dry_run)
		to_run -= tr_keyset_count(&r.adopt);
	tr_asset_state_release(&s);
	if (json)
		report_json(&r, dry_run, &out);
	else
		report_text(&r, dry_run, total, to_run, &out);
	rc = tr_buf_failed(&out) ? cli_failf(EXIT_NO, "out of memory") : cli_write(&out);
out:
	tr_adopt_report_release(&r);
	tr_buf_release(&out);
	cli_proj_close(&cp);
	cli_list_release(&pos);
	return rc < 0 ? 0 : rc;
}
