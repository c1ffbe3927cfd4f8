/*
 * main.c — the tranche command: dispatches to one file per subcommand from
 * the table below, as git does with commands[] and one file per builtin.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#define TRANCHE_VERSION "0.1.0"

static const cli_command commands[] = {
	{"init", cmd_init, "create a project to start from"},
	{"assets", cmd_assets, "list the project's assets and how much of each is materialized"},
	{"materialize", cmd_materialize, "write asset partitions into the warehouse"},
	{"backfill", cmd_backfill, "run many partitions as a backfill; show, resume or cancel one"},
	{"backfills", cmd_backfills, "list the newest backfills and their progress"},
	{"status", cmd_status, "count an asset's partitions by state, with their key ranges"},
	{"runs", cmd_runs, "list the newest runs"},
	{"logs", cmd_logs, "print a run's event log"},
	{"checks", cmd_checks, "show the latest result of every asset check"},
	{"query", cmd_query, "run SQL against the warehouse"},
	{"wipe", cmd_wipe, "delete an asset's partitions (or table) and forget their status"},
	{"adopt", cmd_adopt, "record the partitions a table already holds as materialized"},
	{"explain", cmd_explain, "what an asset is, its partitions, what a run of one partition does"},
	{"partitions", cmd_partitions, "list partition keys, windows and mappings of a definition"},
	{"serve", cmd_serve, "serve the web UI and the JSON API of the project"},
	{"dev", cmd_serve, "the same as serve"},
	{"version", cmd_version, "print the version"},
	{NULL, NULL, NULL},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: tranche COMMAND [ARGS]\n\n"
		   "tranche is a partitioned-asset data orchestrator.\n\ncommands:\n");
	for (const cli_command *c = commands; c->name; c++)
		fprintf(f, "  %-12s %s\n", c->name, c->summary);
	fprintf(f, "\n'tranche COMMAND --help' tells more about a command.\n");
}

int cmd_version(int argc, char **argv)
{
	if (argc > 0 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
		printf("usage: tranche version\n\nPrint the version of tranche.\n");
		return 0;
	}
	if (argc > 0)
		return cli_failf(EXIT_USAGE, "version takes no arguments (got \"%s\")", argv[0]);
	printf("tranche %s\n", TRANCHE_VERSION);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") && argc > 2) {
		/* tranche help COMMAND = tranche COMMAND --help */
		char *help_argv[] = {"--help", NULL};

		for (const cli_command *c = commands; c->name; c++)
			if (!strcmp(c->name, argv[2]))
				return c->run(1, help_argv);
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version"))
		return cmd_version(0, NULL);
	for (const cli_command *c = commands; c->name; c++)
		if (!strcmp(c->name, argv[1]))
			return c->run(argc - 2, argv + 2);
	fprintf(stderr, "tranche: unknown command \"%s\"\n\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
