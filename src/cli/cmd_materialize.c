/*
 * cmd_materialize.c — `tranche materialize SELECTION [partition pick] [--dry-run]`:
 * runs the selected asset partitions, with a progress bar on a terminal, and
 * says what happened. Ctrl-C cancels: the running partition is rolled back, the
 * run is marked canceled; a second Ctrl-C kills tranche at once (still safe:
 * nothing half-written survives, and the next command marks the run failed).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tranche/exec.h"
#include "tranche/project.h"

static volatile sig_atomic_t cancel_flag;

static void on_sigint(int sig)
{
	(void)sig;
	cancel_flag = 1;
	signal(SIGINT, SIG_DFL); /* a second Ctrl-C ends the process */
	signal(SIGTERM, SIG_DFL);
}

struct progress {
	int tty;
	int64_t last_draw_ms;
	int drawn;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void clear_bar(struct progress *pg)
{
	if (pg->drawn) {
		fputs("\r\033[K", stderr);
		pg->drawn = 0;
	}
}

static void on_progress(void *ctx, const tr_progress *pr)
{
	struct progress *pg = ctx;
	int64_t now = mono_ms();

	if (pr->ended && !pr->ok) {
		/* "skipped: why" for skipped steps, the error for failed ones */
		int skipped = pr->error && !strncmp(pr->error, "skipped: ", 9);

		clear_bar(pg);
		fprintf(stderr, "%s %s%s%s: %s\n", skipped ? "skipped" : "failed", pr->asset,
			pr->partition[0] ? " " : "", pr->partition,
			pr->error ? pr->error + (skipped ? 9 : 0) : "");
	}
	if (!pg->tty)
		return;
	if (now - pg->last_draw_ms < 100 && pr->done < pr->total)
		return;
	pg->last_draw_ms = now;
	{
		const int width = 30;
		int filled = pr->total ? (int)((double)pr->done / (double)pr->total * width) : width;
		char bar[64];

		for (int k = 0; k < width; k++)
			bar[k] = k < filled ? '#' : '.';
		bar[width] = '\0';
		fprintf(stderr, "\r\033[K[%s] %zu/%zu %3d%%  %.1f s  %s%s%.40s", bar, pr->done,
			pr->total, pr->total ? (int)(100 * pr->done / pr->total) : 100,
			(double)pr->elapsed_ms / 1000.0, pr->asset, pr->partition[0] ? " " : "",
			pr->partition);
		if (pr->failed || pr->skipped)
			fprintf(stderr, "  (%zu failed, %zu skipped)", pr->failed, pr->skipped);
		fflush(stderr);
		pg->drawn = 1;
	}
}

int cmd_materialize(int argc, char **argv)
{
	cli_proj cp = {0};
	cli_list pos = {0}, keys = {0};
	const char *from = NULL, *to = NULL;
	int missing = 0, failed = 0, all = 0, dry_run = 0, picks, rc;
	tr_run_request req = {0};
	tr_run_report report = {0};
	tr_buf plan = TR_BUF_INIT;
	struct progress pg = {0};
	tr_error err = {0};
	const cli_opt opts[] = {
		{"partition", 'p', OPT_LIST, "KEY", "a partition key, or a range FIRST...LAST (repeatable)", &keys},
		{"from", 0, OPT_STRING, "KEY", "the first partition of a range", &from},
		{"to", 0, OPT_STRING, "KEY", "the last partition of a range (inclusive)", &to},
		{"missing", 0, OPT_FLAG, NULL, "partitions not materialized yet (failed ones included)", &missing},
		{"failed", 0, OPT_FLAG, NULL, "partitions whose latest attempt failed", &failed},
		{"all", 0, OPT_FLAG, NULL, "every partition", &all},
		{"dry-run", 'n', OPT_FLAG, NULL, "print the plan and the values each partition would bind; write nothing", &dry_run},
		CLI_PROJ_OPTS(cp),
		{NULL, 0, 0, NULL, NULL, NULL},
	};
	const char *usage = "tranche materialize SELECTION [--partition KEY | --from KEY --to KEY | "
			    "--missing | --failed | --all] [--dry-run]";

	rc = cli_parse(argc, argv, opts, &pos, usage,
		       "Materializes the selected assets: each asset partition is written into the "
		       "warehouse in one transaction\n(its slice deleted and re-inserted), in "
		       "dependency order. SELECTION: name, +name, name+, group:x, tag:k=v, *,\n"
		       "comma-separated. Unpartitioned assets in the selection run once.");
	if (rc)
		goto out_args;
	if (pos.n != 1) {
		rc = cli_failf(EXIT_USAGE, "materialize takes one SELECTION (got %zu): e.g. "
					   "tranche materialize '*' --all\nusage: %s",
			       pos.n, usage);
		goto out_args;
	}
	picks = (keys.n > 0) + (from || to) + missing + failed + all;
	if (picks > 1) {
		rc = cli_failf(EXIT_USAGE, "choose one of --partition, --from/--to, --missing, "
					   "--failed, --all");
		goto out_args;
	}
	if ((from != NULL) != (to != NULL)) {
		rc = cli_failf(EXIT_USAGE, "--from and --to go together (a range of keys, both "
					   "inclusive)");
		goto out_args;
	}
	if ((rc = cli_proj_open(&cp, 0)))
		goto out;

	req.selection = pos.items[0];
	req.pick = keys.n ? TR_PICK_KEYS
		   : from ? TR_PICK_RANGE
		   : missing ? TR_PICK_MISSING
		   : failed ? TR_PICK_FAILED
		   : all ? TR_PICK_ALL
			 : TR_PICK_NONE;
	req.keys = keys.items;
	req.n_keys = keys.n;
	req.from = from;
	req.to = to;
	req.dry_run = dry_run;
	req.plan_out = &plan;
	req.now = cp.now;
	req.launched_by = cli_launched_by();
	req.on_progress = on_progress;
	req.ctx = &pg;
	req.cancel = &cancel_flag;
	pg.tty = cli_isatty(2);
	signal(SIGINT, on_sigint);
	signal(SIGTERM, on_sigint);

	/* plan first, writing nothing: a refused request leaves no trace */
	req.dry_run = 1;
	rc = tr_materialize(cp.project, cp.storage, NULL, &req, &report, &err);
	if (!rc && !dry_run) {
		free(report.first_error);
		req.dry_run = 0;
		req.plan_out = NULL;
		if (report.total == 0)
			goto summary;
		if ((rc = cli_proj_attach(&cp, CLI_PROJ_WAREHOUSE | CLI_PROJ_WRITE)))
			goto out;
		rc = tr_materialize(cp.project, cp.storage, cp.wh, &req, &report, &err);
	}
	clear_bar(&pg);
	signal(SIGINT, SIG_DFL);
	if (rc) {
		rc = cli_fail(&err);
		goto out;
	}
	if (dry_run) {
		rc = cli_write(&plan);
		goto out;
	}
summary:
	if (report.total == 0) {
		printf("nothing to do: no partition of the selection matches\n");
		goto out;
	}
	printf("run %lld %s: %zu step%s, %zu succeeded, %zu failed, %zu skipped",
	       (long long)report.run_id,
	       report.canceled ? "canceled" : report.failed || report.skipped ? "failed" : "succeeded",
	       report.total, report.total == 1 ? "" : "s", report.succeeded, report.failed,
	       report.skipped);
	if (report.canceled)
		printf(", %zu not run", report.total - report.succeeded - report.failed - report.skipped);
	printf("\n");
	if (report.checks_failed)
		printf("%zu check%s did not pass: tranche checks\n", report.checks_failed,
		       report.checks_failed == 1 ? "" : "s");
	if (report.failed || report.skipped)
		printf("see why: tranche logs %lld; then retry: tranche materialize '%s' %s\n",
		       (long long)report.run_id, req.selection,
		       report.skipped ? "--missing" : "--failed");
	rc = report.canceled ? 130 : report.failed || report.skipped ? EXIT_NO : EXIT_OK;
out:
	free(report.first_error);
	tr_buf_release(&plan);
	cli_proj_close(&cp);
out_args:
	cli_list_release(&pos);
	cli_list_release(&keys);
	return rc < 0 ? 0 : rc;
}
