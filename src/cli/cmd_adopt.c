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
 *
 * While `tranche serve` runs for the project, it owns the warehouse: the
 * adopt is done there (POST /api/assets/NAME/adopt), whose answer is the
 * report's JSON. Either way the report is printed from its JSON form
 * (tranche/admin.h), as is with --json, as text otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "tranche/admin.h"
#include "tranche/exec.h"
#include "tranche/json.h"
#include "tranche/project.h"
#include "tranche/server.h"
#include "tranche/storage.h"
#include "tranche/warehouse.h"

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

/* Adopts asset i here: its report's JSON (and a newline) into out. */
static int adopt_local(cli_proj *cp, size_t i, int dry_run, tr_buf *out)
{
	tr_adopt_report r = {0};
	tr_adopt_next next;
	tr_error err = {0};
	tr_json j;
	int rc;

	if ((rc = open_warehouse(cp)))
		goto out;
	if (tr_adopt_scan(cp->project, cp->storage, cp->wh, i, cp->now, &r, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	tr_warehouse_close(cp->wh);
	cp->wh = NULL;
	if (!dry_run && !tr_keyset_is_empty(&r.adopt)) {
		if ((rc = cli_proj_attach(cp, CLI_PROJ_WRITE)))
			goto out;
		if (tr_adopt_record(cp->project, cp->storage, i, &r, &err)) {
			rc = cli_fail(&err);
			goto out;
		}
	}
	/* what --missing runs afterwards (a dry run: as if recorded) */
	if (tr_adopt_next_get(cp->project, cp->storage, i, &r, dry_run, &next, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	tr_json_init(&j, out, 0);
	tr_adopt_report_write_json(&r, dry_run, &next, &j);
	tr_buf_addc(out, '\n');
out:
	tr_adopt_report_release(&r);
	return rc;
}

int cmd_adopt(int argc, char **argv)
{
	cli_proj cp = {0};
	cli_list pos = {0};
	int json = 0, dry_run = 0, rc;
	size_t i;
	tr_buf report = TR_BUF_INIT, out = TR_BUF_INIT;
	tr_error err = {0};
	char *server = NULL;
	const char *token = NULL;
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
	if ((rc = cli_server_find(&cp, json ? NULL : "adopting through", &server, &token)))
		goto out;
	if (server) {
		if (tr_client_adopt(server, token, pos.items[0], dry_run, cp.now, &report, &err)) {
			rc = cli_fail(&err);
			goto out;
		}
	} else if ((rc = adopt_local(&cp, i, dry_run, &report))) {
		goto out;
	}
	if (!json && tr_adopt_report_text(tr_buf_str(&report), report.len, &out, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	rc = tr_buf_failed(&out) || tr_buf_failed(&report) ? cli_failf(EXIT_NO, "out of memory")
							      : cli_write(json ? &report : &out);
out:
	free(server);
	tr_buf_release(&report);
	tr_buf_release(&out);
	cli_proj_close(&cp);
	cli_list_release(&pos);
	return rc < 0 ? 0 : rc;
}
