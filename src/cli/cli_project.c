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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tranche/project.h"
#include "tranche/storage.h"
#include "tranche/warehouse.h"

int cli_proj_open(cli_proj *cp, int flags)
{
	tr_error err = {0};
	int rc;

	if (cp->dir && chdir(cp->dir))
		return cli_failf(EXIT_USAGE, "-C %s: %s", cp->dir, strerror(errno));
	if ((rc = cli_now(cp->now_arg, &cp->now, &err)))
		return cli_fail(&err);
	rc = tr_project_load(cp->file ? cp->file : ".", &cp->project, &err);
	if (rc == TR_ENOTFOUND && cp->dir && !cp->file)
		tr_error_set(&err, rc, "no tranche.yaml in %s (create one with \"tranche init %s\")",
			     cp->dir, cp->dir);
	if (rc)
		return cli_fail(&err);
	if (chdir(cp->project->dir))
		return cli_failf(EXIT_NO, "cannot enter the project directory %s: %s",
				 cp->project->dir, strerror(errno));
	return cli_proj_attach(cp, flags);
}

/*
 * The storage URL to open: a SQLite file that does not exist yet is replaced
 * by an empty in-memory store unless the command writes, so that reading
 * commands, dry runs and refused requests create nothing.
 */
static const char *storage_url(const cli_proj *cp, int flags)
{
	const char *url = cp->project->storage;
	struct stat sb;

	if (flags & CLI_PROJ_WRITE || strncmp(url, "sqlite:", 7) || !strcmp(url + 7, ":memory:"))
		return url;
	return stat(url + 7, &sb) == 0 ? url : "sqlite::memory:";
}

int cli_proj_attach(cli_proj *cp, int flags)
{
	tr_error err = {0};

	tr_warehouse_close(cp->wh);
	tr_storage_close(cp->storage);
	cp->wh = NULL;
	cp->storage = NULL;
	if (tr_storage_open(storage_url(cp, flags), &cp->storage, &err)) {
		tr_error_prefix(&err, "storage");
		return cli_fail(&err);
	}
	if ((flags & CLI_PROJ_WAREHOUSE) &&
	    tr_warehouse_open(cp->project->warehouse, NULL, &cp->wh, &err))
		return cli_fail(&err);
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
