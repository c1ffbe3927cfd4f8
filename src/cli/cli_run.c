/*
 * cli_run.c — the one runner behind `tranche materialize`, `tranche backfill`
 * and `tranche backfill resume`.
 *
 * Order, so that a refused request leaves no trace: the request is planned
 * first with a dry run against storage opened without creating it (an
 * unknown asset or key, a bad backfill id: an error, nothing written); a plan
 * of more than CLI_CONFIRM_PARTITIONS partitions is shown and confirmed when
 * a user is at a terminal (stdin and stderr) and did not say --yes; only then
 * is storage opened for writing, with the warehouse, and the plan run.
 *
 * Signals: SIGINT and SIGTERM set the cancel flag, which the executor checks
 * often (it interrupts running statements and stops command assets); the run
 * ends "canceled" and the command exits 130. The handler then restores the
 * default action, so a second Ctrl-C ends the process at once — still safe:
 * each partition is written in one transaction, and the next command marks
 * the run failed.
 *
 * While `tranche serve` runs for the project (.tranche/server.json names a
 * live one), the server owns the warehouse: the run is submitted to it and
 * followed through its event stream (tr_client_materialize), with the same
 * progress, summary and exit codes; Ctrl-C cancels the run on the server.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tranche/exec.h"
#include "tranche/json.h"
#include "tranche/project.h"
#include "tranche/server.h"
#include "tranche/storage.h"

static volatile sig_atomic_t cancel_flag;
static volatile sig_atomic_t signal_tty; /* stderr is a terminal: erase the bar first */

static void on_signal(int sig)
{
	static const char msg[] = "canceling… (press Ctrl-C again to force)\n";

	(void)sig;
	cancel_flag = 1;
	signal(SIGINT, SIG_DFL); /* the second one ends the process */
	signal(SIGTERM, SIG_DFL);
	if (signal_tty && write(STDERR_FILENO, "\r\033[K", 4) < 0)
		return;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		return;
}

int cli_run_check_pick(const cli_run_args *ra)
{
	/* --missing and --stale go together: what is not up to date */
	int picks = (ra->keys.n > 0) + (ra->from || ra->to) + (ra->missing || ra->stale) +
		    ra->failed + ra->all;

	if (picks > 1)
		return cli_failf(EXIT_USAGE, "choose one of --partition, --from/--to, --missing, "
					     "--stale (or --missing --stale), --failed, --all");
	if ((ra->from != NULL) != (ra->to != NULL))
		return cli_failf(EXIT_USAGE, "--from and --to go together (a range of keys, both "
					     "inclusive)");
	return 0;
}

void cli_run_args_release(cli_run_args *ra)
{
	cli_list_release(&ra->keys);
}

static int64_t plan_partitions(const tr_run_report *r)
{
	int64_t n = 0;

	if (r->partitions_total)
		return r->partitions_total;
	for (size_t k = 0; k < r->n_plan; k++)
		n += r->plan[k].partitions;
	return n;
}

static const char *plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* The plan as one JSON object (for --dry-run --json). */
static void plan_json(const tr_run_report *r, tr_buf *out)
{
	tr_json j;

	tr_json_init(&j, out, 0);
	tr_json_object_begin(&j);
	tr_json_kv_string(&j, "type", "plan");
	tr_json_kv_int(&j, "partitions", plan_partitions(r));
	tr_json_kv_int(&j, "steps", (int64_t)r->total);
	tr_json_key(&j, "assets");
	tr_json_array_begin(&j);
	for (size_t k = 0; k < r->n_plan; k++) {
		const tr_plan_asset *a = &r->plan[k];
		const char *line = a->ranges ? a->ranges : "";

		tr_json_object_begin(&j);
		tr_json_kv_string(&j, "asset", a->asset);
		tr_json_kv_int(&j, "partitions", a->partitions);
		tr_json_kv_int(&j, "steps", a->steps);
		tr_json_kv_string(&j, "policy", a->policy);
		tr_json_kv_int(&j, "max_per_step", a->max_per_step);
		tr_json_key(&j, "ranges");
		if (!*line) {
			tr_json_null(&j); /* unpartitioned */
		} else {
			tr_json_array_begin(&j);
			while (*line) {
				size_t len = strcspn(line, "\n");

				if (len)
					tr_json_string_n(&j, line, len);
				line += len + (line[len] == '\n');
			}
			tr_json_array_end(&j);
		}
		tr_json_object_end(&j);
	}
	tr_json_array_end(&j);
	tr_json_object_end(&j);
	tr_buf_addc(out, '\n');
}

/* The plan in a few lines, for the confirmation: one line per asset, its first ranges. */
static void plan_summary(const tr_run_report *r, tr_buf *out)
{
	static const char *const headers[] = {"ASSET", "PARTITIONS", "STEPS", "POLICY", "KEYS"};
	cli_columns cols;
	int64_t parts = plan_partitions(r);

	tr_buf_addf(out, "plan: %lld %s of %zu %s in %zu %s\n", (long long)parts,
		    plural(parts, "partition", "partitions"), r->n_plan,
		    plural((int64_t)r->n_plan, "asset", "assets"), r->total,
		    plural((int64_t)r->total, "step", "steps"));
	cli_columns_init(&cols, 5, headers);
	for (size_t k = 0; k < r->n_plan; k++) {
		const tr_plan_asset *a = &r->plan[k];
		char np[24], ns[24], policy[48], *keys = NULL;
		const char *ranges = a->ranges ? a->ranges : "";
		size_t first = strcspn(ranges, "\n"), more = 0;
		tr_buf kb = TR_BUF_INIT;

		for (const char *c = ranges + first; *c; c++)
			more += *c == '\n' && c[1];
		tr_buf_add(&kb, ranges, first);
		if (more)
			tr_buf_addf(&kb, " (and %zu more %s)", more, more == 1 ? "range" : "ranges");
		keys = tr_buf_detach(&kb, NULL);
		snprintf(np, sizeof(np), "%lld", (long long)a->partitions);
		snprintf(ns, sizeof(ns), "%lld", (long long)a->steps);
		if (a->max_per_step > 1)
			snprintf(policy, sizeof(policy), "%s (%lld per step)", a->policy ? a->policy : "-",
				 (long long)a->max_per_step);
		else
			snprintf(policy, sizeof(policy), "%s", a->policy ? a->policy : "-");
		cli_columns_row(&cols, (const char *const[]){a->asset, np, ns, policy,
							     keys && *keys ? keys : NULL});
		free(keys);
	}
	cli_columns_flush(&cols, out);
}

/* Asks on the terminal; 1 when the answer is y or yes. */
static int confirm(const tr_run_report *r)
{
	tr_buf b = TR_BUF_INIT;
	char answer[64];
	int64_t parts = plan_partitions(r);

	plan_summary(r, &b);
	fputs(tr_buf_str(&b), stderr);
	tr_buf_release(&b);
	fprintf(stderr, "Run %lld partitions of %zu %s in %zu %s? [y/N] ", (long long)parts,
		r->n_plan, plural((int64_t)r->n_plan, "asset", "assets"), r->total,
		plural((int64_t)r->total, "step", "steps"));
	fflush(stderr);
	if (!fgets(answer, sizeof(answer), stdin))
		return 0;
	answer[strcspn(answer, " \t\r\n")] = '\0';
	return !strcasecmp(answer, "y") || !strcasecmp(answer, "yes");
}

static void summary_json(const tr_run_report *r, const char *status)
{
	tr_buf out = TR_BUF_INIT;
	tr_json j;

	tr_json_init(&j, &out, 0);
	tr_json_object_begin(&j);
	tr_run_report_write_json(r, status, &j);
	tr_json_object_end(&j);
	tr_buf_addc(&out, '\n');
	cli_write(&out);
	tr_buf_release(&out);
}

/*
 * "run 4 (backfill 2) failed: 30 steps, 28 succeeded, 1 failed, 1 skipped",
 * counting partitions instead when steps hold several, then what to do next.
 */
static void summary_text(const cli_run_args *ra, const tr_run_report *r)
{
	int by_steps = r->partitions_total == (int64_t)r->total || r->partitions_total == 0;
	const char *word = r->canceled ? "canceled" : r->failed || r->skipped ? "failed" : "succeeded";

	printf("run %lld", (long long)r->run_id);
	if (r->backfill_id)
		printf(" (backfill %lld)", (long long)r->backfill_id);
	printf(" %s: ", word);
	if (by_steps) {
		printf("%zu %s, %zu succeeded, %zu failed, %zu skipped", r->total,
		       plural((int64_t)r->total, "step", "steps"), r->succeeded, r->failed, r->skipped);
		if (r->canceled)
			printf(", %zu not run", r->total - r->succeeded - r->failed - r->skipped);
	} else {
		int64_t not_run = r->partitions_total - r->partitions_succeeded -
				  r->partitions_failed - r->partitions_skipped;

		printf("%lld %s in %zu %s, %lld succeeded, %lld failed, %lld skipped",
		       (long long)r->partitions_total,
		       plural(r->partitions_total, "partition", "partitions"), r->total,
		       plural((int64_t)r->total, "step", "steps"), (long long)r->partitions_succeeded,
		       (long long)r->partitions_failed, (long long)r->partitions_skipped);
		if (r->canceled)
			printf(", %lld not run", (long long)not_run);
	}
	if (r->retries)
		printf(", %zu %s", r->retries, plural((int64_t)r->retries, "retry", "retries"));
	printf("\n");
	if (r->checks_failed)
		printf("%zu check%s did not pass: tranche checks\n", r->checks_failed,
		       r->checks_failed == 1 ? "" : "s");
	if (r->failed || r->skipped) {
		printf("see why: tranche logs %lld; then retry: ", (long long)r->run_id);
		if (r->backfill_id)
			printf("tranche backfill resume %lld\n", (long long)r->backfill_id);
		else
			printf("tranche %s '%s' %s\n", ra->command, ra->selection ? ra->selection : "*",
			       r->skipped ? "--missing" : "--failed");
	} else if (r->canceled && r->backfill_id) {
		printf("resume: tranche backfill resume %lld\n", (long long)r->backfill_id);
	}
	fflush(stdout);
}

int cli_run(cli_proj *cp, cli_run_args *ra)
{
	tr_run_request req = {0};
	tr_run_report report = {0};
	tr_buf plan = TR_BUF_INIT;
	cli_progress *pg = NULL;
	size_t jobs = 0;
	tr_error err = {0};
	char *server = NULL;
	const char *token = NULL;
	int rc;

	if ((rc = cli_run_check_pick(ra)) || (rc = cli_parse_count(ra->jobs_arg, "--jobs", &jobs)))
		goto out;
	if (jobs > 1024) {
		rc = cli_failf(EXIT_USAGE, "--jobs: %zu is too many (at most 1024; 0: one per core)",
			       jobs);
		goto out;
	}
	if (!cp->project && (rc = cli_proj_open(cp, 0)))
		goto out;

	req.selection = ra->selection;
	req.pick = ra->keys.n ? TR_PICK_KEYS
		   : ra->from ? TR_PICK_RANGE
		   : ra->missing && ra->stale ? TR_PICK_MISSING_STALE
		   : ra->stale ? TR_PICK_STALE
		   : ra->missing ? TR_PICK_MISSING
		   : ra->failed ? TR_PICK_FAILED
		   : ra->all ? TR_PICK_ALL
			     : TR_PICK_NONE;
	req.keys = ra->keys.items;
	req.n_keys = ra->keys.n;
	req.from = ra->from;
	req.to = ra->to;
	req.now = cp->now;
	req.launched_by = cli_launched_by();
	req.cancel = &cancel_flag;
	req.jobs = (int)jobs;
	req.backfill = (tr_backfill_mode)ra->backfill;
	req.resume = ra->resume;

	/* plan first, writing nothing: a refused request leaves no trace */
	req.dry_run = 1;
	req.plan_out = ra->dry_run && !ra->json ? &plan : NULL;
	rc = tr_materialize(cp->project, cp->storage, NULL, &req, &report, &err);
	if (rc) {
		rc = cli_fail(&err);
		goto out;
	}
	if (ra->dry_run) {
		if (ra->json)
			plan_json(&report, &plan);
		rc = cli_write(&plan);
		goto out;
	}
	if (report.total == 0) {
		if (ra->json)
			summary_json(&report, "nothing_to_do");
		else if (ra->resume)
			printf("nothing to do: backfill %lld has no partition left to run\n",
			       (long long)ra->resume);
		else
			printf("nothing to do: no partition of the selection matches\n");
		rc = EXIT_OK;
		goto out;
	}
	if (plan_partitions(&report) > CLI_CONFIRM_PARTITIONS && !ra->yes && cli_isatty(0) &&
	    cli_isatty(2) && !confirm(&report)) {
		fprintf(stderr, "nothing was run (--yes runs without asking)\n");
		rc = EXIT_NO;
		goto out;
	}
	tr_run_report_release(&report);

	if ((rc = cli_server_find(cp, ra->json ? NULL : "submitting to", &server, &token)))
		goto out;
	if (!server && (rc = cli_proj_attach(cp, CLI_PROJ_WAREHOUSE | CLI_PROJ_WRITE)))
		goto out;
	pg = cli_progress_new(cli_isatty(2), ra->json);
	if (!pg) {
		rc = cli_failf(EXIT_NO, "out of memory");
		goto out;
	}
	req.dry_run = 0;
	req.plan_out = NULL;
	req.on_progress = cli_progress_cb;
	req.ctx = pg;
	cancel_flag = 0;
	signal_tty = cli_isatty(2);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (server)
		rc = tr_client_materialize(server, token, &req, &report, &err);
	else
		rc = tr_materialize(cp->project, cp->storage, cp->wh, &req, &report, &err);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	cli_progress_clear(pg);
	if (rc) {
		rc = cli_fail(&err);
		goto out;
	}
	if (ra->json)
		summary_json(&report, tr_run_report_status(&report));
	else
		summary_text(ra, &report);
	rc = report.canceled ? 130 : report.failed || report.skipped ? EXIT_NO : EXIT_OK;
out:
	free(server);
	cli_progress_free(pg);
	tr_run_report_release(&report);
	tr_buf_release(&plan);
	return rc < 0 ? 0 : rc;
}
