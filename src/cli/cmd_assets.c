/*
 * cmd_assets.c — `tranche assets [SELECTION]` (what the project declares and
 * how much of it is materialized) and `tranche status ASSET` (counts by state
 * and the key ranges in each state). Both read partition status from instance
 * storage, never the event log.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "tranche/exec.h"
#include "tranche/json.h"
#include "tranche/project.h"
#include "tranche/storage.h"

static const char *kind_name(tr_asset_kind k)
{
	return tr_asset_kind_name(k);
}

static void partitions_text(const tr_asset *a, const tr_asset_state *s, tr_buf *out)
{
	if (!a->partdef) {
		tr_buf_adds(out, "-");
		return;
	}
	const char *type = tr_partdef_type_name(a->partdef);
	int named = a->partitions_name && strcmp(a->partitions_name, type);

	tr_buf_addf(out, "%s%s%s (%lld)", named ? a->partitions_name : "", named ? ": " : "", type,
		    (long long)s->total);
}

static void deps_text(const tr_project *p, const tr_asset *a, tr_buf *out)
{
	for (size_t d = 0; d < a->n_deps; d++)
		tr_buf_addf(out, "%s%s", d ? "," : "", p->assets[a->deps[d].asset].name);
	if (!a->n_deps)
		tr_buf_adds(out, "-");
}

int cmd_assets(int argc, char **argv)
{
	cli_proj cp = {0};
	cli_list pos = {0};
	int json = 0, rc;
	unsigned char *selected = NULL;
	tr_buf out = TR_BUF_INIT;
	tr_error err = {0};
	tr_json j;
	cli_columns cols = {0};
	const cli_opt opts[] = {
		{"json", 0, OPT_FLAG, NULL, "print JSON", &json},
		CLI_PROJ_OPTS(cp),
		{NULL, 0, 0, NULL, NULL, NULL},
	};

	rc = cli_parse(argc, argv, opts, &pos, "tranche assets [SELECTION] [--json]",
		       "Lists the project's assets (all, or SELECTION) in dependency order: kind, "
		       "partitions,\ndependencies and how many partitions are materialized, failed "
		       "or missing.");
	if (rc)
		goto out;
	if (pos.n > 1) {
		rc = cli_failf(EXIT_USAGE, "assets takes at most one SELECTION (got %zu); "
					   "join several with commas: a,b",
			       pos.n);
		goto out;
	}
	if ((rc = cli_proj_open(&cp, 0)))
		goto out;
	selected = calloc(cp.project->n_assets + 1, 1);
	if (!selected || tr_project_select(cp.project, pos.n ? pos.items[0] : "*", selected, &err)) {
		if (!selected)
			tr_error_set(&err, TR_ENOMEM, "out of memory");
		rc = cli_fail(&err);
		goto out;
	}
	if (json) {
		tr_json_init(&j, &out, 0);
		tr_json_array_begin(&j);
	} else {
		static const char *const headers[] = {"ASSET", "KIND", "GROUP", "PARTITIONS",
						      "DEPS", "MATERIALIZED", "FAILED", "MISSING"};

		cli_columns_init(&cols, 8, headers);
	}
	for (size_t k = 0; k < cp.project->n_assets; k++) {
		size_t i = cp.project->order[k];
		const tr_asset *a = &cp.project->assets[i];
		tr_partitions *parts = NULL;
		tr_asset_state s;
		tr_buf pt = TR_BUF_INIT, dt = TR_BUF_INIT;

		if (!selected[i])
			continue;
		if ((rc = tr_asset_partitions(cp.project, cp.storage, i, cp.now, &parts, &err)) ||
		    (rc = tr_asset_state_get(cp.project, cp.storage, i, parts, &s, &err))) {
			tr_partitions_free(parts);
			rc = cli_fail(&err);
			goto out;
		}
		if (json) {
			tr_json_object_begin(&j);
			tr_json_kv_string(&j, "name", a->name);
			tr_json_kv_string(&j, "kind", kind_name(a->kind));
			tr_json_kv_string(&j, "group", a->group);
			tr_json_kv_string(&j, "table", a->table);
			if (a->description)
				tr_json_kv_string(&j, "description", a->description);
			tr_json_key(&j, "partitions");
			if (a->partdef) {
				tr_json_object_begin(&j);
				tr_json_kv_string(&j, "type", tr_partdef_type_name(a->partdef));
				if (a->partitions_name)
					tr_json_kv_string(&j, "name", a->partitions_name);
				tr_json_kv_int(&j, "count", s.total);
				tr_json_object_end(&j);
			} else {
				tr_json_null(&j);
			}
			tr_json_key(&j, "deps");
			tr_json_array_begin(&j);
			for (size_t d = 0; d < a->n_deps; d++)
				tr_json_string(&j, cp.project->assets[a->deps[d].asset].name);
			tr_json_array_end(&j);
			tr_json_key(&j, "counts");
			tr_json_object_begin(&j);
			tr_json_kv_int(&j, "materialized", tr_keyset_count(&s.materialized));
			tr_json_kv_int(&j, "stale", tr_keyset_count(&s.stale));
			tr_json_kv_int(&j, "failed", tr_keyset_count(&s.failed));
			tr_json_kv_int(&j, "missing", tr_keyset_count(&s.missing));
			tr_json_kv_int(&j, "in_progress", tr_keyset_count(&s.in_progress));
			tr_json_object_end(&j);
			tr_json_object_end(&j);
		} else {
			char mat[80], failed[24], missing[24];
			const char *row[8];

			partitions_text(a, &s, &pt);
			deps_text(cp.project, a, &dt);
			int64_t stale = tr_keyset_count(&s.stale);

			snprintf(mat, sizeof(mat), "%lld/%lld", (long long)tr_keyset_count(&s.materialized),
				 (long long)s.total);
			if (stale > 0) /* within materialized */
				snprintf(mat + strlen(mat), sizeof(mat) - strlen(mat), " (%lld stale)",
					 (long long)stale);
			snprintf(failed, sizeof(failed), "%lld", (long long)tr_keyset_count(&s.failed));
			snprintf(missing, sizeof(missing), "%lld", (long long)tr_keyset_count(&s.missing));
			row[0] = a->name;
			row[1] = kind_name(a->kind);
			row[2] = a->group;
			row[3] = tr_buf_str(&pt);
			row[4] = tr_buf_str(&dt);
			row[5] = mat;
			row[6] = failed;
			row[7] = missing;
			cli_columns_row(&cols, row);
		}
		tr_buf_release(&pt);
		tr_buf_release(&dt);
		tr_asset_state_release(&s);
		tr_partitions_free(parts);
	}
	if (json) {
		tr_json_array_end(&j);
		tr_buf_addc(&out, '\n');
	} else {
		cli_columns_flush(&cols, &out);
	}
	rc = cli_write(&out);
out:
	cli_columns_release(&cols);
	free(selected);
	tr_buf_release(&out);
	cli_proj_close(&cp);
	cli_list_release(&pos);
	return rc < 0 ? 0 : rc;
}

/* ---- status -------------------------------------------------------------------------- */

#define TEXT_RANGES_MAX 8

static int ranges_of(const tr_partitions *parts, const tr_keyset *ks, tr_buf *out, tr_error *err)
{
	if (!parts) {
		if (!tr_keyset_is_empty(ks))
			tr_buf_adds(out, "(the whole table)\n");
		return 0;
	}
	return tr_partitions_keyset_to_ranges(parts, ks, out, err);
}

int cmd_status(int argc, char **argv)
{
	cli_proj cp = {0};
	cli_list pos = {0};
	int json = 0, rc;
	size_t i;
	tr_partitions *parts = NULL;
	tr_asset_state s;
	int have_state = 0;
	tr_buf out = TR_BUF_INIT;
	tr_error err = {0};
	const cli_opt opts[] = {
		{"json", 0, OPT_FLAG, NULL, "print JSON", &json},
		CLI_PROJ_OPTS(cp),
		{NULL, 0, 0, NULL, NULL, NULL},
	};
	const struct {
		const char *name, *label;
		size_t offset;
	} states[] = {
		{"materialized", "materialized", offsetof(tr_asset_state, materialized)},
		/* within materialized; the text shows it only when there are some */
		{"stale", "  stale", offsetof(tr_asset_state, stale)},
		{"failed", "failed", offsetof(tr_asset_state, failed)},
		{"in_progress", "in progress", offsetof(tr_asset_state, in_progress)},
		{"missing", "missing", offsetof(tr_asset_state, missing)},
	};
	const size_t n_states = sizeof(states) / sizeof(states[0]);

	rc = cli_parse(argc, argv, opts, &pos, "tranche status ASSET [--json]",
		       "Counts an asset's partitions by state (materialized, failed, in progress, "
		       "missing)\nand lists the key ranges in each state. Stale partitions are "
		       "materialized ones that\nread an upstream partition materialized after them.");
	if (rc)
		goto out;
	if (pos.n != 1) {
		rc = cli_failf(EXIT_USAGE, "status takes one ASSET (got %zu)\nusage: tranche status "
					   "ASSET [--json]",
			       pos.n);
		goto out;
	}
	if ((rc = cli_proj_open(&cp, 0)))
		goto out;
	if (tr_project_find(cp.project, pos.items[0], &i, &err) ||
	    tr_storage_runs_reap(cp.storage, (int64_t)time(NULL) * 1000, NULL, &err) ||
	    tr_asset_partitions(cp.project, cp.storage, i, cp.now, &parts, &err) ||
	    tr_asset_state_get(cp.project, cp.storage, i, parts, &s, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	have_state = 1;
	if (json) {
		tr_json j;
		tr_buf r = TR_BUF_INIT;

		tr_json_init(&j, &out, 0);
		tr_json_object_begin(&j);
		tr_json_kv_string(&j, "asset", cp.project->assets[i].name);
		tr_json_kv_int(&j, "total", s.total);
		tr_json_key(&j, "counts");
		tr_json_object_begin(&j);
		for (size_t k = 0; k < n_states; k++)
			tr_json_kv_int(&j, states[k].name,
				       tr_keyset_count((tr_keyset *)((char *)&s + states[k].offset)));
		tr_json_object_end(&j);
		tr_json_key(&j, "ranges");
		if (!parts)
			tr_json_null(&j); /* unpartitioned: no keys */
		else
			tr_json_object_begin(&j);
		for (size_t k = 0; k < n_states && !rc && parts; k++) {
			const char *line;

			tr_buf_reset(&r);
			rc = ranges_of(parts, (tr_keyset *)((char *)&s + states[k].offset), &r, &err);
			tr_json_key(&j, states[k].name);
			tr_json_array_begin(&j);
			for (line = tr_buf_str(&r); *line;) {
				const char *nl = strchr(line, '\n');
				size_t len = nl ? (size_t)(nl - line) : strlen(line);

				tr_json_string_n(&j, line, len);
				line += len + (nl != NULL);
			}
			tr_json_array_end(&j);
		}
		if (parts)
			tr_json_object_end(&j);
		tr_json_object_end(&j);
		tr_buf_addc(&out, '\n');
		tr_buf_release(&r);
	} else {
		const tr_asset *a = &cp.project->assets[i];

		if (a->partdef)
			tr_buf_addf(&out, "%s: %lld %s partitions\n", a->name, (long long)s.total,
				    tr_partdef_type_name(a->partdef));
		else
			tr_buf_addf(&out, "%s: unpartitioned\n", a->name);
		for (size_t k = 0; k < n_states && !rc; k++) {
			const tr_keyset *ks = (tr_keyset *)((char *)&s + states[k].offset);
			tr_buf r = TR_BUF_INIT;
			const char *line;
			int shown = 0;

			if (ks == &s.stale && tr_keyset_is_empty(ks))
				continue;
			rc = ranges_of(parts, ks, &r, &err);
			tr_buf_addf(&out, "  %-13s %6lld", states[k].label, (long long)tr_keyset_count(ks));
			for (line = tr_buf_str(&r); *line && parts;) {
				const char *nl = strchr(line, '\n');
				size_t len = nl ? (size_t)(nl - line) : strlen(line);

				if (shown == TEXT_RANGES_MAX) {
					tr_buf_addf(&out, ", ... (%zu ranges; --json lists all)",
						    ks->n);
					break;
				}
				tr_buf_addf(&out, "%s%.*s", shown ? ", " : "  ", (int)len, line);
				shown++;
				line += len + (nl != NULL);
			}
			tr_buf_addc(&out, '\n');
			tr_buf_release(&r);
		}
	}
	if (rc)
		rc = cli_fail(&err);
	else
		rc = cli_write(&out);
out:
	if (have_state)
		tr_asset_state_release(&s);
	tr_partitions_free(parts);
	tr_buf_release(&out);
	cli_proj_close(&cp);
	cli_list_release(&pos);
	return rc < 0 ? 0 : rc;
}
