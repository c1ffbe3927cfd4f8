/*
 * cli_project.c — finding and opening a project for the commands that work on
 * one (assets, materialize, status, runs, logs, checks, query, wipe): the
 * project file, its instance storage and its warehouse.
 *
 * Order: -C DIR first (as git does), then --project FILE relative to it; then
 * the process changes into the project's directory, so that every relative
 * path in the project (warehouse, storage, read_csv('data/x.csv'), commands)
 * means the same whatever directory tranche was started from.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tranche/project.h"
#include "tranche/storage.h"
#include "tranche/warehouse.h"

int cli_proj_open(cli_proj *cp, int want_warehouse)
{
	tr_error err = {0};
	int rc;

	if (cp->dir && chdir(cp->dir))
		return cli_failf(EXIT_USAGE, "-C %s: %s", cp->dir, strerror(errno));
	if ((rc = cli_now(cp->now_arg, &cp->now, &err)))
		return cli_fail(&err);
	rc = tr_project_load(cp->file ? cp->file : ".", &cp->project, &err);
	if (rc)
		return cli_fail(&err);
	if (chdir(cp->project->dir))
		return cli_failf(EXIT_NO, "cannot enter the project directory %s: %s",
				 cp->project->dir, strerror(errno));
	rc = tr_storage_open(cp->project->storage, &cp->storage, &err);
	if (rc) {
		tr_error_prefix(&err, "storage");
		return cli_fail(&err);
	}
	if (want_warehouse) {
		rc = tr_warehouse_open(cp->project->warehouse, NULL, &cp->wh, &err);
		if (rc)
			return cli_fail(&err);
	}
	return 0;
}

void cli_proj_close(cli_proj *cp)
{
	tr_warehouse_close(cp->wh);
	tr_storage_close(cp->storage);
	tr_project_free(cp->project);
	cp->wh = NULL;
	cp->storage = NULL;
	cp->project = NULL;
}

const char *cli_launched_by(void)
{
	static char who[320];
	char host[256] = "";
	const char *user = getenv("USER");

	if (!user || !*user) {
		struct passwd *pw = getpwuid(getuid());

		user = pw ? pw->pw_name : "?";
	}
	gethostname(host, sizeof(host) - 1);
	snprintf(who, sizeof(who), "cli (%s@%s)", user, host);
	return who;
}

const char *cli_time_text(int64_t ms, char *buf, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0) {
		snprintf(buf, n, "-");
		return buf;
	}
	localtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

int cli_isatty(int fd)
{
	const char *term = getenv("TERM");

	return isatty(fd) && !(term && !strcmp(term, "dumb"));
}
