/*
 * cmd_query.c — `tranche query "SQL"` (ad-hoc SQL against the warehouse, as a
 * table, JSON or CSV) and `tranche wipe ASSET` (delete an asset's rows — some
 * partitions or the whole table — and forget their status).
 *
 * While `tranche serve` runs for the project it owns the warehouse, and both
 * go through it (cli_server_find): the query as POST /api/query, which runs
 * statements that read only (the server's runs write the same database), the
 * wipe as POST /api/assets/NAME/wipe after the same checks as a local one.
 * The output and exit statuses are the same either way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "tranche/admin.h"
#include "tranche/exec.h"
#include "tranche/json.h"
#include "tranche/project.h"
#include "tranche/server.h"
#include "tranche/storage.h"
#include "tranche/warehouse.h"

/* The rows of sql, at most max_rows: through the server at url, or from the warehouse. */
static int query_rows(cli_proj *cp, const char *url, const char *token, const char *sql,
		      size_t max_rows, tr_table *t)
{
	tr_wconn *conn = NULL;
	tr_error err = {0};
	int rc = 0;

	if (url) {
		if (tr_client_query(url, token, sql, max_rows, t, &err))
			rc = cli_fail(&err);
		return rc;
	}
	if ((rc = cli_proj_attach(cp, CLI_PROJ_WAREHOUSE)))
		return rc;
	if (tr_warehouse_connect(cp->wh, &conn, &err) ||
	    tr_wconn_query(conn, sql, NULL, 0, max_rows, t, &err))
		rc = cli_fail(&err);
	tr_wconn_close(conn);
	return rc;
}

int cmd_query(int argc, char **argv)
{
	cli_proj cp = {0};
	cli_list pos = {0};
	int json = 0, csv = 0, rc, capped;
	const char *max_arg = NULL, *token = NULL;
	size_t max_rows = 1000;
	tr_table t = {0};
	tr_buf out = TR_BUF_INIT;
	tr_error err = {0};
	char *sql = NULL, *server = NULL;
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
	if ((rc = cli_proj_open(&cp, 0)) || (rc = cli_server_find(&cp, NULL, &server, &token)) ||
	    (rc = query_rows(&cp, server, token, sql, max_rows, &t)))
		goto out;
	/* the server keeps fewer rows than asked for: say so rather than suggest --max-rows */
	capped = server && t.truncated && max_rows > TR_CLIENT_QUERY_ROWS_MAX;
	if (json) {
		tr_json j;

		tr_json_init(&j, &out, 0);
		tr_table_write_json(&t, &j);
		tr_buf_addc(&out, '\n');
	} else if (csv) {
		tr_table_write_csv(&t, &out);
	} else if (t.ncols) {
		tr_table_write_text(&t, &out);
		if (capped)
			tr_buf_addf(&out, "(%zu rows; more rows exist: tranche serve answers at most "
					  "%d)\n",
				    t.nrows, TR_CLIENT_QUERY_ROWS_MAX);
		else
			tr_buf_addf(&out, "(%zu row%s%s)\n", t.nrows, t.nrows == 1 ? "" : "s",
				    t.truncated ? "; more rows exist: --max-rows N" : "");
	}
	if (capped && (json || csv))
		fprintf(stderr, "tranche: more rows exist: tranche serve answers at most %d\n",
			TR_CLIENT_QUERY_ROWS_MAX);
	rc = cli_write(&out);
out:
	free(sql);
	free(server);
	tr_table_release(&t);
	tr_buf_release(&out);
	cli_proj_close(&cp);
	cli_list_release(&pos);
	return rc < 0 ? 0 : rc;
}

/* ---- wipe ---------------------------------------------------------------------------- */

int cmd_wipe(int argc, char **argv)
{
	cli_proj cp = {0};
	cli_list pos = {0}, keys = {0};
	const char *from = NULL, *to = NULL, *token = NULL;
	char *server = NULL;
	int rc;
	tr_wipe_request req;
	tr_wipe_plan plan;
	tr_wipe_report report;
	tr_wconn *conn = NULL;
	tr_error err = {0};
	const cli_opt opts[] = {
		{"partition", 'p', OPT_LIST, "KEY", "a partition key, or a range FIRST...LAST (repeatable)", &keys},
		{"from", 0, OPT_STRING, "KEY", "the first partition of a range", &from},
		{"to", 0, OPT_STRING, "KEY", "the last partition of a range (inclusive)", &to},
		CLI_PROJ_OPTS(cp),
		{NULL, 0, 0, NULL, NULL, NULL},
	};
	const char *usage = "tranche wipe ASSET [--partition KEY | --from KEY --to KEY]";

	memset(&req, 0, sizeof(req));
	memset(&plan, 0, sizeof(plan));
	memset(&report, 0, sizeof(report));
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
	req.asset = pos.items[0];
	req.keys = keys.items;
	req.n_keys = keys.n;
	req.from = from;
	req.to = to;
	req.now = cp.now;
	if (tr_wipe_plan_make(cp.project, cp.storage, &req, &plan, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	/* the request is valid: now open what it writes, or hand it to the server */
	if ((rc = cli_server_find(&cp, "wiping through", &server, &token)))
		goto out;
	if (server) {
		rc = tr_client_wipe(server, token, &req, &report, &err);
	} else {
		if ((rc = cli_proj_attach(&cp, CLI_PROJ_WAREHOUSE | CLI_PROJ_WRITE)))
			goto out;
		rc = tr_warehouse_connect(cp.wh, &conn, &err);
		if (!rc)
			rc = tr_wipe_run(cp.project, cp.storage, conn, &plan, &report, &err);
	}
	if (rc) {
		rc = cli_fail(&err);
		goto out;
	}
	if (report.whole)
		printf("wiped %s: table %s dropped (%lld row%s)\n", pos.items[0],
		       cp.project->assets[plan.asset].table, (long long)report.rows,
		       report.rows == 1 ? "" : "s");
	else
		printf("wiped %lld partition%s of %s: %lld row%s deleted\n",
		       (long long)report.partitions, report.partitions == 1 ? "" : "s", pos.items[0],
		       (long long)report.rows, report.rows == 1 ? "" : "s");
out:
	free(server);
	tr_wconn_close(conn);
	tr_wipe_plan_release(&plan);
	cli_proj_close(&cp);
	cli_list_release(&pos);
	cli_list_release(&keys);
	return rc < 0 ? 0 : rc;
}
