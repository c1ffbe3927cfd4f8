/*
 * cli_server.c — finding the `tranche serve` that owns the project's
 * warehouse, for the commands that go through it while it runs (query, wipe,
 * adopt; materialize and backfill in cli_run.c).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "tranche/project.h"
#include "tranche/server.h"

int cli_server_find(const cli_proj *cp, const char *what, char **url, const char **token)
{
	tr_error err = {0};
	int token_required = 0, rc;

	*url = NULL;
	*token = getenv("TRANCHE_TOKEN");
	rc = tr_client_find(cp->project->dir, url, &token_required, &err);
	if (rc < 0)
		return cli_fail(&err);
	if (!*url)
		return 0;
	if (token_required && !(*token && **token)) {
		rc = cli_failf(EXIT_USAGE, "tranche serve runs for this project at %s and needs its "
					   "token: set TRANCHE_TOKEN (the server owns the warehouse "
					   "while it runs)",
			       *url);
		free(*url);
		*url = NULL;
		return rc;
	}
	if (what)
		fprintf(stderr, "tranche: %s tranche serve at %s (it owns the warehouse while "
				"it runs)\n",
			what, *url);
	return 0;
}
