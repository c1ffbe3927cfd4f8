/*
 * cmd_serve.c — `tranche serve` (and its alias `tranche dev`): the web UI and
 * the JSON API (docs/api.md) over the project, until Ctrl-C or SIGTERM.
 *
 * The server is the library's (tranche/server.h); this file finds the
 * project, reads the options (--no-watch turns off the reload of changed
 * project files), prints where the server listens, and waits for a signal: SIGINT and SIGTERM are blocked in every thread and taken by
 * sigwait here, so that the stop runs on this thread, in order: runs
 * canceled (as Ctrl-C cancels a materialize), streams ended, server.json
 * removed. A second signal during the stop ends the process at once (as a
 * second Ctrl-C does for materialize: each partition is written in one
 * transaction; the next command marks the runs failed).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tranche/project.h"
#include "tranche/server.h"

static void log_line(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "tranche serve: %s\n", line);
	fflush(stderr);
}

/* The second signal, during the stop: the default action (the process ends). */
static void *second_signal(void *arg)
{
	sigset_t *set = arg;
	int sig = 0;

	if (sigwait(set, &sig) == 0) {
		fprintf(stderr, "tranche serve: stopped at once (signal %d during the stop)\n", sig);
		_exit(128 + sig);
	}
	return NULL;
}

int cmd_serve(int argc, char **argv)
{
	cli_proj cp = {0};
	const char *host = NULL, *port_arg = NULL, *token = NULL;
	int verbose = 0, no_watch = 0, rc, sig = 0;
	size_t port = 3000;
	tr_server_config cfg;
	tr_server *s = NULL;
	tr_buf path = TR_BUF_INIT;
	tr_error err = {0};
	static sigset_t set; /* static: the second-signal thread reads it after we return */
	pthread_t waiter;
	const cli_opt opts[] = {
		{"host", 0, OPT_STRING, "HOST", "the address to listen on (default 127.0.0.1)", &host},
		{"port", 'p', OPT_STRING, "PORT", "the port (default 3000; 0: any free port)",
		 &port_arg},
		{"token", 0, OPT_STRING, "TOKEN",
		 "require this token on every API request (default $TRANCHE_TOKEN); needed to "
		 "listen beyond loopback",
		 &token},
		{"verbose", 'v', OPT_FLAG, NULL, "log every request on stderr", &verbose},
		{"no-watch", 0, OPT_FLAG, NULL,
		 "do not reload the project when its files change (POST /api/reload still does)",
		 &no_watch},
		CLI_PROJ_OPTS(cp),
		{NULL, 0, 0, NULL, NULL, NULL},
	};
	const char *slash;

	rc = cli_parse(argc, argv, opts, NULL,
		       "tranche serve [--host HOST] [--port PORT] [--token TOKEN] [--no-watch] "
		       "[-C DIR]",
		       "Serves the web UI and the JSON API (docs/api.md) of the project until Ctrl-C:\n"
		       "assets and the state of their partitions, runs and their events as they "
		       "happen,\nbackfills, lineage. Runs asked for through it execute in this "
		       "process, which owns\nthe warehouse while it runs: tranche materialize, "
		       "backfill, query, wipe and adopt go\nthrough it (.tranche/server.json tells "
		       "them where it is). Listens on 127.0.0.1\nunless given --host with a --token. "
		       "Reloads the project when tranche.yaml or an SQL\nfile it reads changes "
		       "(unless --no-watch). tranche dev is the same command.");
	if (rc)
		goto out;
	if ((rc = cli_parse_count(port_arg, "--port", &port)))
		goto out;
	if (port > 65535) {
		rc = cli_failf(EXIT_USAGE, "--port %zu: give 1 to 65535, or 0 for any free port", port);
		goto out;
	}
	if (!token)
		token = getenv("TRANCHE_TOKEN");
	if ((rc = cli_proj_open(&cp, CLI_PROJ_WRITE)))
		goto out;
	/* the process is in the project's directory now: name the file from here */
	slash = strrchr(cp.project->path, '/');
	tr_buf_addf(&path, "%s/%s", cp.project->dir, slash ? slash + 1 : cp.project->path);
	memset(&cfg, 0, sizeof(cfg));
	cfg.project_path = tr_buf_str(&path);
	cfg.host = host;
	cfg.port = (int)port;
	cfg.token = token;
	cfg.now = cp.now_arg || (getenv("TRANCHE_NOW") && *getenv("TRANCHE_NOW")) ? cp.now : 0;
	cfg.log = log_line;
	cfg.verbose = verbose;
	cfg.watch = !no_watch;
	cli_proj_close(&cp); /* the server opens its own */

	/* every thread the server starts inherits the blocked signals: they come to sigwait */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (tr_server_start(&cfg, &s, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	printf("tranche serve: %s (project %s; Ctrl-C stops)\n", tr_server_url(s),
	       tr_buf_str(&path));
	fflush(stdout);
	while (sigwait(&set, &sig) != 0)
		;
	fprintf(stderr, "tranche serve: stopping (%s)%s\n", sig == SIGINT ? "Ctrl-C" : "SIGTERM",
		tr_server_runs_active(s) ? ": canceling the runs in progress" : "");
	if (pthread_create(&waiter, NULL, second_signal, &set) == 0)
		pthread_detach(waiter);
	tr_server_stop(s);
	fprintf(stderr, "tranche serve: stopped\n");
	rc = EXIT_OK;
out:
	cli_proj_close(&cp);
	tr_buf_release(&path);
	return rc < 0 ? 0 : rc;
}
