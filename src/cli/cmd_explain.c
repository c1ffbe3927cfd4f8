/*
 * cmd_explain.c — `tranche explain ASSET [--partition KEY] [--json]`: what the
 * asset is, its partitions definition in words, and for one partition (the
 * last by default) its window, the parameters its SQL or command sees, the
 * upstream partitions it reads, its status and the SQL of its load. The work
 * is tr_explain_asset's (src/exec/explain.c); this file parses arguments.
 * Read-only: instance storage is not created, the warehouse is not opened.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "tranche/exec.h"
#include "tranche/project.h"

int cmd_explain(int argc, char **argv)
{
	cli_proj cp = {0};
	cli_list pos = {0};
	int json = 0, rc;
	const char *key = NULL;
	size_t i;
	tr_buf out = TR_BUF_INIT;
	tr_error err = {0};
	const cli_opt opts[] = {
		{"partition", 'p', OPT_STRING, "KEY", "the partition to explain (default: the last one)",
		 &key},
		{"json", 0, OPT_FLAG, NULL, "print one JSON object", &json},
		CLI_PROJ_OPTS(cp),
		{NULL, 0, 0, NULL, NULL, NULL},
	};
	const char *usage = "tranche explain ASSET [--partition KEY] [--json]";

	rc = cli_parse(argc, argv, opts, &pos, usage,
		       "Explains ASSET: its kind, table, group and dependencies; its partitions "
		       "definition in words\n(first and last partition, and why the last one is the "
		       "last now); and for one partition\n(--partition KEY, default the last): its "
		       "time window, the parameters its SQL sees (or the\nTRANCHE_* environment of a "
		       "command), the upstream partitions it reads, its status and\nlast "
		       "materialization, and the SQL that replaces its slice. Runs nothing.");
	if (rc)
		goto out;
	if (pos.n != 1) {
		rc = cli_failf(EXIT_USAGE, "explain takes one ASSET (got %zu)\nusage: %s", pos.n,
			       usage);
		goto out;
	}
	if ((rc = cli_proj_open(&cp, 0)))
		goto out;
	if (tr_project_find(cp.project, pos.items[0], &i, &err) ||
	    tr_explain_asset(cp.project, cp.storage, i, cp.now, key, json, &out, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	rc = cli_write(&out);
out:
	tr_buf_release(&out);
	cli_proj_close(&cp);
	cli_list_release(&pos);
	return rc < 0 ? 0 : rc;
}
