/*
 * cmd_materialize.c — `tranche materialize SELECTION [partition pick] [--dry-run]
 * [--jobs N] [--yes] [--json]`: runs the selected asset partitions and says
 * what happened. A request of more than one partition (of partitioned assets) is recorded as a
 * backfill (TR_BACKFILL_AUTO). The work — planning, confirmation, progress,
 * Ctrl-C, the summary — is cli_run's (cli_run.c), shared with `tranche backfill`.
 */
#include "cli/cli.h"

int cmd_materialize(int argc, char **argv)
{
	cli_proj cp = {0};
	cli_run_args ra = {.command = "materialize", .backfill = TR_BACKFILL_AUTO};
	cli_list pos = {0};
	int rc;
	const cli_opt opts[] = {
		CLI_PICK_OPTS(ra),
		{"dry-run", 'n', OPT_FLAG, NULL, "print the plan and the values each partition would bind; write nothing", &ra.dry_run},
		CLI_RUN_OPTS(ra),
		CLI_PROJ_OPTS(cp),
		{NULL, 0, 0, NULL, NULL, NULL},
	};
	const char *usage = "tranche materialize SELECTION [--partition KEY | --from KEY --to KEY | "
			    "--missing | --stale | --failed | --all] [--dry-run] [--jobs N] [--yes] [--json]";

	rc = cli_parse(argc, argv, opts, &pos, usage,
		       "Materializes the selected assets: each asset partition is written into the "
		       "warehouse in one transaction\n(its slice deleted and re-inserted), in "
		       "dependency order. SELECTION: name, +name, name+, group:x, tag:k=v, *,\n"
		       "comma-separated. Unpartitioned assets in the selection run once. A request of "
		       "more than one\npartition is recorded as a backfill (tranche backfills), which "
		       "tranche backfill resume ID finishes.");
	if (rc)
		goto out;
	if (pos.n != 1) {
		rc = cli_failf(EXIT_USAGE, "materialize takes one SELECTION (got %zu): e.g. "
					   "tranche materialize '*' --all\nusage: %s",
			       pos.n, usage);
		goto out;
	}
	ra.selection = pos.items[0];
	rc = cli_run(&cp, &ra);
out:
	cli_proj_close(&cp);
	cli_run_args_release(&ra);
	cli_list_release(&pos);
	return rc < 0 ? 0 : rc;
}
