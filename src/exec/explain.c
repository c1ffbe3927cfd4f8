/*
 * explain.c — `tranche explain ASSET [--partition KEY]`: what an asset is and
 * what a run of one of its partitions does, in words a newcomer understands,
 * or as one JSON object.
 *
 * Nothing here decides anything of its own: every answer comes from the code
 * that acts — the window and keys from the partitions module, the definition
 * in words from tr_partitions_explain (what `tranche partitions explain`
 * prints), the parameters and slice from tr_partition_params_make (what a
 * step binds), the command environment as step.c builds it from those
 * parameters, the upstream keys from tr_mapping_upstream (what the planner
 * reads), the status from tr_asset_state_get and the last materialization
 * from instance storage — so explain cannot drift from what a run does.
 * The load SQL is shown as the warehouse runs it (tranche/warehouse.h).
 *
 * Called by the CLI (cmd_explain.c). Reads storage, never the warehouse.
 */
#include <stdlib.h>
#include <string.h>

#include "base/node.h"
#include "exec/exec_int.h"
#include "tranche/json.h"
#include "tranche/time.h"

/* One dependency, resolved for the explained partition. */
struct dep_view {
	const char *asset, *mapping;
	int up_partitioned, inferred;
	const char *up_type;
	char *ranges;      /* upstream keys as ranges, one per line ("" for none) */
	int64_t count;     /* upstream partitions read */
	char *nonexistent; /* required but nonexistent keys, one per line */
};

/* Everything explained, gathered before it is written (text or JSON). */
struct view {
	const tr_project *p;
	const tr_asset *a;
	tr_partitions *parts;
	int64_t index; /* the partition, -1: none (unpartitioned, or none exists) */
	int is_last, defaulted; /* defaulted: no key was asked for */
	char *key;
	tr_partition_params pp;
	int have_pp;
	char *explain; /* tr_partitions_explain's text */
	struct dep_view *deps;
	const char *status; /* "materialized", "failed", "in_progress", "missing" */
	int have_last;
	tr_event_rec last;
	int64_t last_rows;
	int last_adopted;
	const char *zone; /* the time (dimension's) zone, NULL without a window */
};

static const char *type_name(tr_param_type t)
{
	switch (t) {
	case TR_PARAM_TEXT: return "VARCHAR";
	case TR_PARAM_TIMESTAMP: return "TIMESTAMP";
	case TR_PARAM_TEXT_LIST: return "VARCHAR[]";
	case TR_PARAM_BIGINT: return "BIGINT";
	}
	return "?";
}

static const char *kind_words(tr_asset_kind k)
{
	switch (k) {
	case TR_ASSET_SQL: return "a query whose rows tranche writes into the table";
	case TR_ASSET_SCRIPT: return "statements tranche runs in one transaction (they write the table themselves)";
	case TR_ASSET_COMMAND: return "an external program whose rows (in $TRANCHE_OUTPUT) tranche writes into the table";
	default: return "a URL whose answer tranche writes into the table";
	}
}

/* 1 when sql uses parameter $name (not just a longer name starting with it). */
static int uses_param(const char *sql, const char *name)
{
	size_t n = strlen(name);

	for (const char *at = strchr(sql, '$'); at; at = strchr(at + 1, '$')) {
		char next = at[1 + n];

		if (!strncmp(at + 1, name, n) &&
		    !((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') ||
		      (next >= '0' && next <= '9') || next == '_'))
			return 1;
	}
	return 0;
}

/* A TIMESTAMP parameter as an ISO wall-clock text: 2024-01-03T00:00:00. */
static void wall_text(tr_buf *out, int64_t micros, char sep)
{
	tr_buf b = TR_BUF_INIT;
	int64_t secs = micros / 1000000 - (micros % 1000000 < 0);

	tr_time_format_instant(&b, secs, 0); /* 2024-01-03T00:00:00+00:00 */
	if (b.len >= 19) {
		b.data[10] = sep;
		tr_buf_add(out, b.data, 19);
	}
	tr_buf_release(&b);
}

/* ---- gathering ------------------------------------------------------------------- */

/*
 * The required-but-nonexistent keys (NUL-separated in ne) one per line, as
 * key ranges when the upstream definition indexes them all (time windows
 * before the first or after the last partition do), else as they are.
 */
static int nonexistent_lines(const tr_partitions *up, const tr_buf *ne, size_t n, tr_buf *lines,
			     tr_error *err)
{
	int is_time = tr_partdef_kind(tr_partitions_def(up)) == TR_PART_TIME;
	tr_keyset ks = TR_KEYSET_INIT;
	int rc = 0, ranges = is_time;

	for (size_t at = 0, k = 0; ranges && k < n && at < ne->len; k++) {
		int64_t index = 0;
		int irc = tr_partitions_index(up, ne->data + at, &index, NULL);

		if ((irc != 0 && irc != TR_ERANGE) || tr_keyset_add(&ks, index))
			ranges = 0;
		at += strlen(ne->data + at) + 1;
	}
	if (ranges) {
		rc = tr_partitions_keyset_to_ranges(up, &ks, lines, err);
	} else {
		for (size_t at = 0, k = 0; k < n && at < ne->len; k++) {
			size_t len = strlen(ne->data + at);

			tr_buf_add(lines, ne->data + at, len);
			tr_buf_addc(lines, '\n');
			at += len + 1;
		}
	}
	tr_keyset_release(&ks);
	return rc;
}

static int gather_deps(struct view *v, tr_storage *st, int64_t now, tr_error *err)
{
	const tr_asset *a = v->a;
	int rc = 0;

	if (!a->n_deps)
		return 0;
	if (!(v->deps = calloc(a->n_deps, sizeof(*v->deps))))
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	for (size_t d = 0; d < a->n_deps && !rc; d++) {
		const tr_asset_dep *dep = &a->deps[d];
		struct dep_view *dv = &v->deps[d];
		tr_partitions *up = NULL;
		tr_keyset down = TR_KEYSET_INIT, ups = TR_KEYSET_INIT;
		tr_buf ranges = TR_BUF_INIT, ne = TR_BUF_INIT, lines = TR_BUF_INIT;
		size_t n_ne = 0;

		dv->asset = v->p->assets[dep->asset].name;
		dv->mapping = tr_mapping_type_name(dep->mapping);
		dv->inferred = dep->inferred;
		if ((rc = tr_asset_partitions(v->p, st, dep->asset, now, &up, err)) != 0)
			break;
		dv->up_partitioned = up != NULL;
		dv->up_type = up ? tr_partdef_type_name(tr_partitions_def(up)) : NULL;
		if (up && (!v->parts || v->index < 0)) {
			/* this asset unpartitioned (or no partition): it reads every upstream partition */
			rc = tr_partitions_keyset_all(up, &ups);
		} else if (up) {
			if (tr_keyset_add(&down, v->index))
				rc = tr_error_set(err, TR_ENOMEM, "out of memory");
			else
				rc = tr_mapping_upstream(dep->mapping, up, v->parts, &down, &ups, &ne,
							 &n_ne, err);
		}
		if (!rc && up)
			rc = tr_partitions_keyset_to_ranges(up, &ups, &ranges, err);
		dv->count = tr_keyset_count(&ups);
		if (!rc && n_ne)
			rc = nonexistent_lines(up, &ne, n_ne, &lines, err);
		if (!rc && (tr_buf_failed(&ranges) || tr_buf_failed(&lines)))
			rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		if (!rc) {
			dv->ranges = tr_buf_detach(&ranges, NULL);
			dv->nonexistent = tr_buf_detach(&lines, NULL);
			if (!dv->ranges || !dv->nonexistent)
				rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		}
		if (rc)
			tr_error_prefix(err, "asset %s: dependency %s", a->name, dv->asset);
		tr_buf_release(&ranges);
		tr_buf_release(&ne);
		tr_buf_release(&lines);
		tr_keyset_release(&down);
		tr_keyset_release(&ups);
		tr_partitions_free(up);
	}
	return rc;
}

/* row_count and adopted from a materialization's data (JSON written by tranche). */
static void read_last_data(struct view *v)
{
	tr_node *doc = NULL;
	const tr_node *n;
	int b = 0;

	v->last_rows = -1;
	if (!v->last.data || tr_node_parse(v->last.data, strlen(v->last.data), "data", &doc, NULL))
		return;
	if (doc->kind == TR_NODE_MAP) {
		if ((n = tr_node_get(doc, "row_count")) && tr_node_int(n, &v->last_rows))
			v->last_rows = -1;
		if ((n = tr_node_get(doc, "adopted")) && !tr_node_bool(n, &b))
			v->last_adopted = b;
	}
	tr_node_free(doc);
}

static int gather_status(struct view *v, tr_storage *st, size_t i, tr_error *err)
{
	tr_asset_state s;
	tr_error local = {0};
	int64_t index = v->parts ? v->index : 0;
	int rc;

	if ((rc = tr_asset_state_get(v->p, st, i, v->parts, &s, err)) != 0)
		return rc;
	v->status = tr_keyset_contains(&s.materialized, index) ? "materialized"
		    : tr_keyset_contains(&s.failed, index)     ? "failed"
		    : tr_keyset_contains(&s.in_progress, index) ? "in_progress"
								: "missing";
	tr_asset_state_release(&s);
	rc = tr_storage_last_materialization(st, v->a->name, v->parts ? v->key : "", &v->last,
					     &local);
	if (rc == TR_ENOTFOUND)
		return 0;
	if (rc)
		return tr_error_set(err, rc, "%s", local.msg);
	v->have_last = 1;
	read_last_data(v);
	return 0;
}

static const tr_partdef *time_def(const tr_partdef *def)
{
	if (!def)
		return NULL;
	if (tr_partdef_kind(def) == TR_PART_TIME)
		return def;
	if (tr_partdef_kind(def) == TR_PART_MULTI)
		for (size_t d = 0; d < tr_partdef_dimension_count(def); d++)
			if (tr_partdef_kind(tr_partdef_dimension(def, d)) == TR_PART_TIME)
				return tr_partdef_dimension(def, d);
	return NULL;
}

static int gather(struct view *v, tr_storage *st, size_t i, int64_t now, const char *key,
		  tr_error *err)
{
	const tr_asset *a = v->a;
	tr_buf b = TR_BUF_INIT;
	int rc;

	v->index = -1;
	if ((rc = tr_asset_partitions(v->p, st, i, now, &v->parts, err)) != 0)
		return rc;
	if (!v->parts && key)
		return tr_error_set(err, TR_EINVAL,
				    "asset %s is unpartitioned: it has no partition keys (leave out "
				    "--partition; a run replaces the whole table)",
				    a->name);
	if (v->parts) {
		int64_t count = tr_partitions_count(v->parts);

		if ((rc = tr_partitions_explain(v->parts, &b, err)) != 0)
			goto out;
		if (!(v->explain = tr_buf_detach(&b, NULL)))
			return tr_error_set(err, TR_ENOMEM, "out of memory");
		if (key) {
			if ((rc = tr_partitions_index(v->parts, key, &v->index, err)) != 0) {
				v->index = -1;
				tr_error_prefix(err, "asset %s (%s partitions)", a->name,
						tr_partdef_type_name(a->partdef));
				goto out;
			}
		} else if (count > 0) {
			v->index = count - 1;
		}
		v->is_last = v->index >= 0 && v->index == count - 1;
		v->defaulted = !key;
	}
	if (v->parts && v->index < 0) {
		rc = gather_deps(v, st, now, err);
		goto out;
	}
	if ((rc = tr_partition_params_make(v->p, i, v->parts, v->parts ? v->index : 0, &v->pp,
					   err)) != 0)
		goto out;
	v->have_pp = 1;
	v->key = v->pp.key;
	if (v->pp.has_window)
		v->zone = tr_partdef_timezone(time_def(a->partdef));
	if ((rc = gather_deps(v, st, now, err)) != 0 || (rc = gather_status(v, st, i, err)) != 0)
		goto out;
out:
	tr_buf_release(&b);
	return rc;
}

static void view_release(struct view *v)
{
	for (size_t d = 0; v->deps && d < v->a->n_deps; d++) {
		free(v->deps[d].ranges);
		free(v->deps[d].nonexistent);
	}
	free(v->deps);
	free(v->explain);
	if (v->have_pp)
		tr_partition_params_release(&v->pp);
	if (v->have_last)
		tr_event_rec_release(&v->last);
	tr_partitions_free(v->parts);
}

/* ---- the command environment (as step.c's run_command builds it) ---------------- */

/* Appends "NAME=value\n" lines: the TRANCHE_* variables a command sees, then the asset's env. */
static void command_env(const struct view *v, tr_buf *out)
{
	const tr_asset *a = v->a;
	const char *format = a->output_format ? a->output_format : "csv";

	tr_buf_addf(out, "TRANCHE_ASSET=%s\n", a->name);
	tr_buf_adds(out, "TRANCHE_RUN_ID=(the run's id)\n");
	tr_buf_addf(out, "TRANCHE_PARTITION_KEY=%s\n", v->pp.key);
	tr_buf_addf(out, "TRANCHE_OUTPUT=.tranche/runs/RUN/%s/STEP-ATTEMPT/output.%s\n", a->name,
		    format);
	tr_buf_addf(out, "TRANCHE_OUTPUT_FORMAT=%s\n", format);
	tr_buf_addf(out, "TRANCHE_MESSAGES=.tranche/runs/RUN/%s/STEP-ATTEMPT/messages.jsonl\n",
		    a->name);
	for (size_t k = 0; k < v->pp.n; k++) {
		const tr_param *prm = &v->pp.params[k];

		if (!strcmp(prm->name, "partition_key"))
			continue;
		tr_buf_adds(out, "TRANCHE_");
		for (const char *c = prm->name; *c; c++)
			tr_buf_addc(out, (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c));
		tr_buf_addc(out, '=');
		if (prm->type == TR_PARAM_TEXT_LIST) {
			tr_buf_addc(out, '[');
			for (size_t e = 0; e < prm->list_len; e++) {
				if (e)
					tr_buf_addc(out, ',');
				tr_json_escape(out, prm->list[e], strlen(prm->list[e]));
			}
			tr_buf_addc(out, ']');
		} else if (prm->type == TR_PARAM_TEXT) {
			tr_buf_adds(out, prm->text);
		} else if (prm->type == TR_PARAM_TIMESTAMP) {
			wall_text(out, prm->value, 'T');
		} else {
			tr_buf_addf(out, "%lld", (long long)prm->value);
		}
		tr_buf_addc(out, '\n');
	}
	for (size_t k = 0; k < a->n_env; k++)
		tr_buf_addf(out, "%s=%s\n", a->env[k].key, a->env[k].value);
}

/* ---- the load's SQL ---------------------------------------------------------------- */

/* The query without trailing blanks and semicolons. */
static void add_query(tr_buf *out, const char *sql)
{
	size_t len = strlen(sql);

	while (len > 0 && strchr(" \t\r\n;", sql[len - 1]))
		len--;
	tr_buf_add(out, sql, len);
}

/* The statements a load of the partition runs, one transaction (text, no indentation). */
static void load_sql(const struct view *v, tr_buf *out)
{
	const tr_asset *a = v->a;
	const char *slice = v->have_pp ? v->pp.slice : NULL;
	tr_buf table = TR_BUF_INIT, source = TR_BUF_INIT;

	tr_sql_quote_ident(&table, a->table);
	switch (a->kind) {
	case TR_ASSET_SCRIPT:
		add_query(out, a->sql);
		tr_buf_adds(out, ";\n");
		goto out;
	case TR_ASSET_SQL:
		add_query(&source, a->sql);
		break;
	case TR_ASSET_COMMAND:
		tr_buf_addf(&source, "SELECT * FROM %s('$TRANCHE_OUTPUT')",
			    !a->output_format || !strcmp(a->output_format, "csv") ? "read_csv"
			    : !strcmp(a->output_format, "json")                   ? "read_json_auto"
										  : "read_parquet");
		break;
	default: /* http: the answer as the table `response`, through the asset's query if any */
		if (a->sql)
			add_query(&source, a->sql);
		else
			tr_buf_adds(&source, "SELECT * FROM response");
		break;
	}
	if (!v->parts) {
		tr_buf_addf(out, "CREATE OR REPLACE TABLE %s AS\n%s;\n", tr_buf_str(&table),
			    tr_buf_str(&source));
	} else if (!slice) {
		tr_buf_addf(out, "INSERT INTO %s BY NAME\n%s;\n", tr_buf_str(&table),
			    tr_buf_str(&source));
	} else {
		tr_buf_addf(out, "DELETE FROM %s WHERE (%s);\n", tr_buf_str(&table), slice);
		tr_buf_addf(out, "INSERT INTO %s BY NAME\n%s;\n", tr_buf_str(&table),
			    tr_buf_str(&source));
	}
out:
	tr_buf_release(&table);
	tr_buf_release(&source);
}

/* ---- text ------------------------------------------------------------------------ */

/* Appends text with every line indented by `indent` spaces. */
static void add_indented(tr_buf *out, const char *text, int indent)
{
	while (*text) {
		size_t len = strcspn(text, "\n");

		if (len)
			tr_buf_addf(out, "%*s%.*s", indent, "", (int)len, text);
		tr_buf_addc(out, '\n');
		text += len + (text[len] == '\n');
	}
}

static void text_asset(const struct view *v, tr_buf *out)
{
	const tr_asset *a = v->a;

	tr_buf_addf(out, "asset %s\n", a->name);
	tr_buf_addf(out, "  kind:   %s: %s\n", tr_asset_kind_name(a->kind), kind_words(a->kind));
	tr_buf_addf(out, "  table:  %s\n", a->table);
	tr_buf_addf(out, "  group:  %s\n", a->group);
	if (a->description)
		tr_buf_addf(out, "  about:  %s\n", a->description);
	if (a->partdef) {
		tr_buf_addf(out, "  partitions: %s", tr_partdef_type_name(a->partdef));
		if (a->partitions_name)
			tr_buf_addf(out, " (the project's definition \"%s\")", a->partitions_name);
		tr_buf_addc(out, '\n');
		if (!a->n_partition_expr) {
			tr_buf_adds(out, "  partition_expr: none (tranche cannot tell which rows belong to a "
					 "partition)\n");
		} else if (tr_partdef_kind(a->partdef) == TR_PART_MULTI) {
			tr_buf_adds(out, "  partition_expr:");
			for (size_t d = 0; d < a->n_partition_expr; d++)
				tr_buf_addf(out, "%s %s: %s", d ? "," : "",
					    tr_partdef_dimension_name(a->partdef, d), a->partition_expr[d]);
			tr_buf_adds(out, " (the columns that hold each row's partition)\n");
		} else {
			tr_buf_addf(out, "  partition_expr: %s (the column that holds each row's partition)\n",
				    a->partition_expr[0]);
		}
	} else {
		tr_buf_adds(out, "  partitions: none: a run replaces the whole table\n");
	}
	if (!a->n_deps) {
		tr_buf_adds(out, "  deps:   none\n");
		return;
	}
	tr_buf_adds(out, "  deps:  ");
	for (size_t d = 0; d < a->n_deps; d++) {
		const tr_asset_dep *dep = &a->deps[d];

		tr_buf_addf(out, "%s %s (mapping %s%s)", d ? "," : "", v->p->assets[dep->asset].name,
			    tr_mapping_type_name(dep->mapping), dep->inferred ? ", found in the SQL" : "");
	}
	tr_buf_addc(out, '\n');
}

static void text_window(const struct view *v, tr_buf *out)
{
	int32_t o1 = tr_partitions_offset_at(v->parts, v->pp.start),
		o2 = tr_partitions_offset_at(v->parts, v->pp.end);

	tr_buf_adds(out, "  window: [");
	tr_time_format_instant(out, v->pp.start, o1);
	tr_buf_adds(out, ", ");
	tr_time_format_instant(out, v->pp.end, o2);
	tr_buf_addf(out, ") wall clock in %s\n", v->zone);
	if (o1 || o2) {
		tr_buf_adds(out, "          [");
		tr_time_format_instant(out, v->pp.start, 0);
		tr_buf_adds(out, ", ");
		tr_time_format_instant(out, v->pp.end, 0);
		tr_buf_adds(out, ") in UTC\n");
	}
}

static void text_status(const struct view *v, tr_buf *out)
{
	tr_buf_addf(out, "  status: %s", !strcmp(v->status, "in_progress") ? "in progress" : v->status);
	if (v->have_last) {
		tr_buf_adds(out, "; last materialized ");
		tr_time_format_instant(out, v->last.ts / 1000, 0);
		if (v->last_adopted)
			tr_buf_adds(out, " by tranche adopt (no run)");
		else
			tr_buf_addf(out, " by run %lld", (long long)v->last.run_id);
		if (v->last_rows >= 0)
			tr_buf_addf(out, ", %lld row%s", (long long)v->last_rows,
				    v->last_rows == 1 ? "" : "s");
	} else if (!strcmp(v->status, "missing")) {
		tr_buf_adds(out, " (never materialized, or wiped since)");
	}
	tr_buf_addc(out, '\n');
}

static void text_params(const struct view *v, tr_buf *out)
{
	size_t width = 0;

	if (!v->pp.n) {
		tr_buf_adds(out, "  parameters: none (unpartitioned)\n");
		return;
	}
	for (size_t k = 0; k < v->pp.n; k++)
		if (strlen(v->pp.params[k].name) > width)
			width = strlen(v->pp.params[k].name);
	tr_buf_adds(out, "  parameters (bound as values, never pasted into the SQL text):\n");
	for (size_t k = 0; k < v->pp.n; k++) {
		tr_buf_addf(out, "    $%-*s  %-9s  ", (int)width, v->pp.params[k].name,
			    type_name(v->pp.params[k].type));
		exec_param_text(out, &v->pp.params[k]);
		tr_buf_addc(out, '\n');
	}
}

static void text_deps(const struct view *v, tr_buf *out)
{
	const tr_asset *a = v->a;

	if (!a->n_deps)
		return;
	tr_buf_adds(out, "  reads:\n");
	for (size_t d = 0; d < a->n_deps; d++) {
		const struct dep_view *dv = &v->deps[d];

		tr_buf_addf(out, "    %s", dv->asset);
		if (!dv->up_partitioned) {
			tr_buf_addf(out, " (unpartitioned, mapping %s): the whole table\n", dv->mapping);
			continue;
		}
		tr_buf_addf(out, " (%s, mapping %s): ", dv->up_type, dv->mapping);
		if (!dv->count) {
			tr_buf_adds(out, "no partition\n");
		} else {
			const char *line = dv->ranges;
			int first = 1;

			tr_buf_addf(out, "%lld partition%s: ", (long long)dv->count,
				    dv->count == 1 ? "" : "s");
			while (*line) {
				size_t len = strcspn(line, "\n");

				tr_buf_addf(out, "%s%.*s", first ? "" : ", ", (int)len, line);
				first = 0;
				line += len + (line[len] == '\n');
			}
			tr_buf_addc(out, '\n');
		}
		if (*dv->nonexistent) {
			const char *line = dv->nonexistent;
			int first = 1;

			tr_buf_adds(out, "      required but nonexistent: ");
			while (*line) {
				size_t len = strcspn(line, "\n");

				tr_buf_addf(out, "%s%.*s", first ? "" : ", ", (int)len, line);
				first = 0;
				line += len + (line[len] == '\n');
			}
			tr_buf_addc(out, '\n');
		}
	}
}

static void text_load(const struct view *v, tr_buf *out)
{
	const tr_asset *a = v->a;
	tr_buf sql = TR_BUF_INIT;

	if (a->kind == TR_ASSET_COMMAND) {
		tr_buf env = TR_BUF_INIT;

		if (a->command_argc == 3 && !strcmp(a->command[0], "/bin/sh") &&
		    !strcmp(a->command[1], "-c")) {
			tr_buf_adds(out, "  command (run by /bin/sh -c in the project directory):\n");
			add_indented(out, a->command[2], 4);
		} else {
			tr_buf_adds(out, "  command (run in the project directory):");
			for (size_t k = 0; k < a->command_argc; k++)
				tr_buf_addf(out, " %s", a->command[k]);
			tr_buf_addc(out, '\n');
		}
		tr_buf_adds(out, "  environment:\n");
		command_env(v, &env);
		add_indented(out, tr_buf_str(&env), 4);
		tr_buf_release(&env);
	} else if (a->kind == TR_ASSET_HTTP && a->http.url.source) {
		tr_buf_addf(out, "  url: %s (placeholders filled from the parameters)\n",
			    a->http.url.source);
	}
	if (v->pp.slice) {
		tr_buf_addf(out, "  slice: %s\n", v->pp.slice);
		for (size_t k = 0; k < v->pp.n; k++)
			if (uses_param(v->pp.slice, v->pp.params[k].name)) {
				tr_buf_addf(out, "    with $%s = ", v->pp.params[k].name);
				exec_param_text(out, &v->pp.params[k]);
				tr_buf_addc(out, '\n');
			}
	} else if (v->parts) {
		tr_buf_adds(out, "  slice: none (no partition_expr)\n");
	}
	load_sql(v, &sql);
	if (a->kind == TR_ASSET_SCRIPT)
		tr_buf_adds(out, "  load, in one transaction (the script writes the table itself):\n");
	else if (!v->parts)
		tr_buf_adds(out, "  load, in one transaction (the whole table is replaced):\n");
	else if (v->pp.slice)
		tr_buf_addf(out, "  load, in one transaction (%s):\n",
			    a->drop_outside ? "rows outside the slice are dropped"
					    : "a row outside the slice fails the partition");
	else
		tr_buf_adds(out, "  load, in one transaction:\n");
	add_indented(out, tr_buf_str(&sql), 4);
	if (v->parts && a->kind != TR_ASSET_SCRIPT)
		tr_buf_adds(out, "  (the first load creates the table from the rows' columns)\n");
	tr_buf_release(&sql);
}

static void write_text(const struct view *v, tr_buf *out)
{
	const tr_asset *a = v->a;

	text_asset(v, out);
	if (v->parts) {
		tr_buf_adds(out, "\npartitions\n");
		add_indented(out, v->explain, 2);
	}
	tr_buf_addc(out, '\n');
	if (v->parts && v->index < 0) {
		tr_buf_adds(out, "no partition exists now, so there is no run to explain\n");
		text_deps(v, out);
		return;
	}
	if (v->parts)
		tr_buf_addf(out, "partition %s%s\n", v->key,
			    v->defaulted ? " (the last one; --partition KEY explains another)" : "");
	else
		tr_buf_addf(out, "a run of %s (unpartitioned: the whole table)\n", a->name);
	if (v->pp.has_window)
		text_window(v, out);
	text_status(v, out);
	text_params(v, out);
	text_deps(v, out);
	text_load(v, out);
}

/* ---- JSON ------------------------------------------------------------------------ */

static void json_lines(tr_json *j, const char *text)
{
	tr_json_array_begin(j);
	while (text && *text) {
		size_t len = strcspn(text, "\n");

		if (len)
			tr_json_string_n(j, text, len);
		text += len + (text[len] == '\n');
	}
	tr_json_array_end(j);
}

static void json_param_value(tr_json *j, const tr_param *prm)
{
	tr_buf b = TR_BUF_INIT;

	switch (prm->type) {
	case TR_PARAM_TEXT:
		tr_json_string(j, prm->text);
		break;
	case TR_PARAM_TIMESTAMP:
		wall_text(&b, prm->value, ' ');
		tr_json_string(j, tr_buf_str(&b));
		break;
	case TR_PARAM_TEXT_LIST:
		tr_json_array_begin(j);
		for (size_t e = 0; e < prm->list_len; e++)
			tr_json_string(j, prm->list[e]);
		tr_json_array_end(j);
		break;
	case TR_PARAM_BIGINT:
		tr_json_int(j, prm->value);
		break;
	}
	tr_buf_release(&b);
}

static void json_instant(tr_json *j, const char *key, int64_t t, int32_t offset)
{
	tr_buf b = TR_BUF_INIT;

	tr_time_format_instant(&b, t, offset);
	tr_json_kv_string(j, key, tr_buf_str(&b));
	tr_buf_release(&b);
}

static void json_partition(const struct view *v, tr_json *j)
{
	const tr_asset *a = v->a;
	tr_buf b = TR_BUF_INIT;

	tr_json_object_begin(j);
	tr_json_kv_string(j, "key", v->parts ? v->key : NULL);
	tr_json_key(j, "index");
	if (v->parts)
		tr_json_int(j, v->index);
	else
		tr_json_null(j);
	tr_json_kv_bool(j, "last", v->is_last);
	tr_json_key(j, "window");
	if (v->pp.has_window) {
		tr_json_object_begin(j);
		tr_json_kv_string(j, "timezone", v->zone);
		json_instant(j, "start", v->pp.start, tr_partitions_offset_at(v->parts, v->pp.start));
		json_instant(j, "end", v->pp.end, tr_partitions_offset_at(v->parts, v->pp.end));
		json_instant(j, "start_utc", v->pp.start, 0);
		json_instant(j, "end_utc", v->pp.end, 0);
		tr_json_object_end(j);
	} else {
		tr_json_null(j);
	}
	tr_json_kv_string(j, "status", v->status);
	tr_json_key(j, "last_materialization");
	if (v->have_last) {
		tr_json_object_begin(j);
		tr_json_kv_int(j, "ts", v->last.ts);
		tr_json_kv_int_or_null(j, "run_id", v->last.run_id);
		tr_json_key(j, "row_count");
		if (v->last_rows >= 0)
			tr_json_int(j, v->last_rows);
		else
			tr_json_null(j);
		tr_json_kv_bool(j, "adopted", v->last_adopted);
		tr_json_object_end(j);
	} else {
		tr_json_null(j);
	}
	tr_json_key(j, "params");
	tr_json_array_begin(j);
	for (size_t k = 0; k < v->pp.n; k++) {
		tr_json_object_begin(j);
		tr_json_kv_string(j, "name", v->pp.params[k].name);
		tr_json_kv_string(j, "type", type_name(v->pp.params[k].type));
		tr_json_key(j, "value");
		json_param_value(j, &v->pp.params[k]);
		tr_json_object_end(j);
	}
	tr_json_array_end(j);
	if (a->kind == TR_ASSET_COMMAND) {
		const char *line;

		command_env(v, &b);
		tr_json_key(j, "env");
		tr_json_object_begin(j);
		for (line = tr_buf_str(&b); *line;) {
			size_t len = strcspn(line, "\n"), eq = strcspn(line, "=");

			if (eq < len) {
				tr_buf name = TR_BUF_INIT;

				tr_buf_add(&name, line, eq);
				tr_json_key(j, tr_buf_str(&name));
				tr_json_string_n(j, line + eq + 1, len - eq - 1);
				tr_buf_release(&name);
			}
			line += len + (line[len] == '\n');
		}
		tr_json_object_end(j);
		tr_buf_reset(&b);
	}
	tr_json_key(j, "upstream");
	tr_json_array_begin(j);
	for (size_t d = 0; d < a->n_deps; d++) {
		const struct dep_view *dv = &v->deps[d];

		tr_json_object_begin(j);
		tr_json_kv_string(j, "asset", dv->asset);
		tr_json_kv_string(j, "mapping", dv->mapping);
		tr_json_kv_bool(j, "partitioned", dv->up_partitioned);
		tr_json_key(j, "keys");
		if (dv->up_partitioned)
			json_lines(j, dv->ranges);
		else
			tr_json_null(j);
		tr_json_kv_int(j, "count", dv->up_partitioned ? dv->count : 1);
		tr_json_key(j, "required_but_nonexistent");
		json_lines(j, dv->nonexistent);
		tr_json_object_end(j);
	}
	tr_json_array_end(j);
	tr_json_kv_string(j, "slice", v->pp.slice);
	load_sql(v, &b);
	tr_json_kv_string(j, "sql", tr_buf_str(&b));
	tr_json_object_end(j);
	tr_buf_release(&b);
}

static void write_json(const struct view *v, tr_buf *out)
{
	const tr_asset *a = v->a;
	tr_json j;

	tr_json_init(&j, out, 0);
	tr_json_object_begin(&j);
	tr_json_key(&j, "asset");
	tr_json_object_begin(&j);
	tr_json_kv_string(&j, "name", a->name);
	tr_json_kv_string(&j, "kind", tr_asset_kind_name(a->kind));
	tr_json_kv_string(&j, "table", a->table);
	tr_json_kv_string(&j, "group", a->group);
	tr_json_kv_string(&j, "description", a->description);
	tr_json_key(&j, "partition_expr");
	if (a->n_partition_expr) {
		tr_json_array_begin(&j);
		for (size_t d = 0; d < a->n_partition_expr; d++)
			tr_json_string(&j, a->partition_expr[d]);
		tr_json_array_end(&j);
	} else {
		tr_json_null(&j);
	}
	tr_json_key(&j, "deps");
	tr_json_array_begin(&j);
	for (size_t d = 0; d < a->n_deps; d++) {
		tr_json_object_begin(&j);
		tr_json_kv_string(&j, "asset", v->p->assets[a->deps[d].asset].name);
		tr_json_kv_string(&j, "mapping", tr_mapping_type_name(a->deps[d].mapping));
		tr_json_kv_bool(&j, "inferred", a->deps[d].inferred);
		tr_json_object_end(&j);
	}
	tr_json_array_end(&j);
	tr_json_object_end(&j);
	tr_json_key(&j, "partitions");
	if (v->parts) {
		int64_t count = tr_partitions_count(v->parts);
		const tr_partdef *td = time_def(a->partdef);
		tr_buf k = TR_BUF_INIT;

		tr_json_object_begin(&j);
		tr_json_kv_string(&j, "type", tr_partdef_type_name(a->partdef));
		tr_json_kv_string(&j, "name", a->partitions_name);
		tr_json_kv_string(&j, "timezone", td ? tr_partdef_timezone(td) : NULL);
		tr_json_kv_string(&j, "fmt", td ? tr_partdef_fmt(td) : NULL);
		tr_json_key(&j, "end_offset");
		if (td)
			tr_json_int(&j, tr_partdef_end_offset(td));
		else
			tr_json_null(&j);
		tr_json_kv_int(&j, "count", count);
		tr_json_key(&j, "first");
		if (count > 0 && !tr_partitions_key(v->parts, 0, &k, NULL))
			tr_json_string(&j, tr_buf_str(&k));
		else
			tr_json_null(&j);
		tr_buf_reset(&k);
		tr_json_key(&j, "last");
		if (count > 0 && !tr_partitions_key(v->parts, count - 1, &k, NULL))
			tr_json_string(&j, tr_buf_str(&k));
		else
			tr_json_null(&j);
		tr_buf_release(&k);
		tr_json_key(&j, "explain");
		json_lines(&j, v->explain);
		tr_json_object_end(&j);
	} else {
		tr_json_null(&j);
	}
	tr_json_key(&j, "partition");
	if (v->parts && v->index < 0)
		tr_json_null(&j);
	else
		json_partition(v, &j);
	tr_json_object_end(&j);
	tr_buf_addc(out, '\n');
}

int tr_explain_asset(const tr_project *p, tr_storage *st, size_t i, int64_t now, const char *key,
		     int json, tr_buf *out, tr_error *err)
{
	struct view v;
	int rc;

	if (i >= p->n_assets)
		return tr_error_set(err, TR_EINVAL, "asset index %zu out of range", i);
	memset(&v, 0, sizeof(v));
	v.p = p;
	v.a = &p->assets[i];
	rc = gather(&v, st, i, now, key, err);
	if (!rc) {
		if (json)
			write_json(&v, out);
		else
			write_text(&v, out);
		if (tr_buf_failed(out))
			rc = tr_error_set(err, TR_ENOMEM, "out of memory");
	}
	view_release(&v);
	return rc;
}
