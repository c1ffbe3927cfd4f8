/*
 * cmd_query.c — `tranche query "SQL"` (ad-hoc SQL against the warehouse, as a
 * table, JSON or CSV) and `tranche wipe ASSET` (delete an asset's rows — some
 * partitions or the whole table — and forget their status).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "tranche/exec.h"
#include "tranche/json.h"
#include "tranche/project.h"
#include "tranche/storage.h"
#include "tranche/warehouse.h"

int cmd_query(int argc, char **argv)
{
	cli_proj cp = {0};
	cli_list pos = {0};
	int json = 0, csv = 0, rc;
	const char *max_arg = NULL;
	size_t max_rows = 1000;
	tr_wconn *conn = NULL;
	tr_table t = {0};
	tr_buf out = TR_BUF_INIT;
	tr_error err = {0};
	char *sql = NULL;
	const cli_opt opts[] = {
		{"json", 0, OPT_FLAG, NULL, "print the rows as a JSON array of objects", &json},
		{"csv", 0, OPT_FLAG, NULL, "print the rows as CSV with a header", &csv},
		{"max-rows", 0, OPT_STRING, "N", "print at most N rows (default 1000; 0: all)", &max_arg},
		CLI_PROJ_OPTS(cp),
		{NULL, 0, 0, NULL, NULL, NULL},
	};

	rc = cli_parse(argc, argv, opts, &pos, "tranche query SQL [--json | --csv] [--max-rows N]",
		       "Runs SQL (or @FILE) against the project's warehouse and prints the rows of "
		       "its last statement.");
	if (rc)
		goto out;
	if (pos.n != 1) {
		rc = cli_failf(EXIT_USAGE, "query takes one SQL argument (got %zu); quote it: "
					   "tranche query \"SELECT ...\"",
			       pos.n);
		goto out;
	}
	if (json && csv) {
		rc = cli_failf(EXIT_USAGE, "--json and --csv do not go together");
		goto out;
	}
	if ((rc = cli_parse_count(max_arg, "--max-rows", &max_rows)))
		goto out;
	if (max_rows == 0)
		max_rows = (size_t)-1; /* 0: all */
	/* @FILE is read before changing into the project directory */
	sql = cli_read_text(pos.items[0], "SQL", &err);
	if (!sql) {
		rc = cli_fail(&err);
		goto out;
	}
	if ((rc = cli_proj_open(&cp, CLI_PROJ_WAREHOUSE)))
		goto out;
	if (tr_warehouse_connect(cp.wh, &conn, &err) ||
	    tr_wconn_query(conn, sql, NULL, 0, max_rows, &t, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	if (json) {
		tr_json j;

		tr_json_init(&j, &out, 0);
		tr_table_write_json(&t, &j);
		tr_buf_addc(&out, '\n');
	} else if (csv) {
		tr_table_write_csv(&t, &out);
	} else if (t.ncols) {
		tr_table_write_text(&t, &out);
		tr_buf_addf(&out, "(%zu row%s%s)\n", t.nrows, t.nrows == 1 ? "" : "s",
			    t.truncated ? "; more rows exist: --max-rows N" : "");
	}
	rc = cli_write(&out);
out:
	free(sql);
	tr_table_release(&t);
	tr_wconn_close(conn);
	tr_buf_release(&out);
	cli_proj_close(&cp);
	cli_list_release(&pos);
	return rc < 0 ? 0 : rc;
}

/* ---- wipe ---------------------------------------------------------------------------- */

static int wipe_partitions(cli_proj *cp, size_t i, const tr_partitions *parts, const tr_keyset *ks,
			   tr_wconn *conn, int64_t *rows, tr_error *err)
{
	const tr_asset *a = &cp->project->assets[i];
	tr_keyset_iter it;
	int64_t index;
	int rc = 0;

	tr_keyset_iter_init(&it, ks);
	/* the slice's bounds meet TIMESTAMPTZ columns in the partitions' zone, as in loads */
	rc = tr_wconn_set_timezone(conn, tr_asset_timezone(a), err);
	while (!rc && tr_keyset_iter_next(&it, &index)) {
		tr_partition_params pp;
		int64_t deleted = 0;
		tr_event ev = {0};

		if ((rc = tr_partition_params_make(cp->project, i, parts, index, &pp, err)))
			break;
		rc = tr_wconn_wipe(conn, a->table, pp.slice, pp.params, pp.n, &deleted, err);
		if (!rc) {
			char msg[64];

			snprintf(msg, sizeof(msg), "%lld row%s deleted", (long long)deleted,
				 deleted == 1 ? "" : "s");
			ev.ts = (int64_t)time(NULL) * 1000;
			ev.type = "wipe";
			ev.asset = a->name;
			ev.partition = pp.key;
			ev.message = msg;
			rc = tr_storage_events_add(cp->storage, &ev, 1, err);
			*rows += deleted;
		}
		tr_partition_params_release(&pp);
	}
	return rc;
}

/* Forgets every status row of the asset (after its table was dropped). */
static int forget_all(cli_proj *cp, const tr_asset *a, tr_error *err)
{
	tr_pstatus *rows = NULL;
	size_t n = 0;
	int rc = tr_storage_partition_status(cp->storage, a->name, &rows, &n, err);
	tr_event *evs = NULL;

	if (rc || !n)
		goto out;
	evs = calloc(n, sizeof(*evs));
	if (!evs) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		evs[k].ts = (int64_t)time(NULL) * 1000;
		evs[k].type = "wipe";
		evs[k].asset = a->name;
		evs[k].partition = rows[k].partition;
		evs[k].message = "table dropped";
	}
	rc = tr_storage_events_add(cp->storage, evs, n, err);
out:
	free(evs);
	tr_pstatus_free(rows, n);
	return rc;
}

int cmd_wipe(int argc, char **argv)
{
	cli_proj cp = {0};
	cli_list pos = {0}, keys = {0};
	const char *from = NULL, *to = NULL;
	int rc;
	size_t i;
	tr_partitions *parts = NULL;
	tr_keyset ks = TR_KEYSET_INIT;
	tr_wconn *conn = NULL;
	tr_error err = {0};
	int64_t rows = 0;
	const cli_opt opts[] = {
		{"partition", 'p', OPT_LIST, "KEY", "a partition key, or a range FIRST...LAST (repeatable)", &keys},
		{"from", 0, OPT_STRING, "KEY", "the first partition of a range", &from},
		{"to", 0, OPT_STRING, "KEY", "the last partition of a range (inclusive)", &to},
		CLI_PROJ_OPTS(cp),
		{NULL, 0, 0, NULL, NULL, NULL},
	};
	const char *usage = "tranche wipe ASSET [--partition KEY | --from KEY --to KEY]";

	rc = cli_parse(argc, argv, opts, &pos, usage,
		       "Deletes an asset's rows from the warehouse and forgets their status: the "
		       "given partitions\n(their slice, found with partition_expr), or without "
		       "options the whole table.");
	if (rc)
		goto out;
	if (pos.n != 1) {
		rc = cli_failf(EXIT_USAGE, "wipe takes one ASSET (got %zu)\nusage: %s", pos.n, usage);
		goto out;
	}
	if ((from != NULL) != (to != NULL) || (keys.n && from)) {
		rc = cli_failf(EXIT_USAGE, "choose --partition KEY or --from KEY --to KEY (both "
					   "inclusive)");
		goto out;
	}
	if ((rc = cli_proj_open(&cp, 0)))
		goto out;
	if (tr_project_find(cp.project, pos.items[0], &i, &err) ||
	    tr_asset_partitions(cp.project, cp.storage, i, cp.now, &parts, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	if ((keys.n || from) && !parts) {
		rc = cli_failf(EXIT_USAGE, "asset %s is not partitioned: wipe it whole (tranche wipe %s)",
			       pos.items[0], pos.items[0]);
		goto out;
	}
	if ((keys.n || from) && !cp.project->assets[i].n_partition_expr) {
		rc = cli_failf(EXIT_USAGE,
			       "asset %s has no partition_expr, so tranche cannot tell which rows "
			       "belong to a partition: wipe it whole, or give it a partition_expr",
			       pos.items[0]);
		goto out;
	}
	if (keys.n)
		rc = tr_partitions_keyset_from_keys(parts, keys.items, keys.n, &ks, &err);
	else if (from)
		rc = tr_partitions_keyset_from_range(parts, from, to, &ks, &err);
	if (rc) {
		/* as materialize says it: which asset's partitions the key was checked against */
		tr_error_prefix(&err, "asset %s (%s partitions)", pos.items[0],
				tr_partdef_type_name(cp.project->assets[i].partdef));
		rc = cli_fail(&err);
		goto out;
	}
	/* the request is valid: now open what it writes */
	if ((rc = cli_proj_attach(&cp, CLI_PROJ_WAREHOUSE | CLI_PROJ_WRITE)))
		goto out;
	if ((rc = tr_warehouse_connect(cp.wh, &conn, &err))) {
		rc = cli_fail(&err);
		goto out;
	}
	if (keys.n || from) {
		rc = wipe_partitions(&cp, i, parts, &ks, conn, &rows, &err);
		if (!rc)
			printf("wiped %lld partition%s of %s: %lld row%s deleted\n",
			       (long long)tr_keyset_count(&ks), tr_keyset_count(&ks) == 1 ? "" : "s",
			       pos.items[0], (long long)rows, rows == 1 ? "" : "s");
	} else {
		rc = tr_wconn_wipe(conn, cp.project->assets[i].table, NULL, NULL, 0, &rows, &err);
		if (!rc)
			rc = forget_all(&cp, &cp.project->assets[i], &err);
		if (!rc)
			printf("wiped %s: table %s dropped (%lld row%s)\n", pos.items[0],
			       cp.project->assets[i].table, (long long)rows, rows == 1 ? "" : "s");
	}
	if (rc)
		rc = cli_fail(&err);
out:
	tr_keyset_release(&ks);
	tr_wconn_close(conn);
	tr_partitions_free(parts);
	cli_proj_close(&cp);
	cli_list_release(&pos);
	cli_list_release(&keys);
	return rc < 0 ? 0 : rc;
}
