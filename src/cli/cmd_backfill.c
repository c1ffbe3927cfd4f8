/*
 * cmd_backfill.c — backfills from the command line:
 *
 *   tranche backfill SELECTION PICK   run a request over many partitions, recorded
 *                                     as a backfill whatever its size
 *   tranche backfill show ID          its fields, per asset counts and key ranges,
 *                                     its runs, and what resume would run
 *   tranche backfill resume ID        run what of it did not succeed
 *   tranche backfill cancel ID        ask it to stop (or mark it canceled)
 *   tranche backfills                 the newest backfills
 *
 * The subcommands are the table `subs`; a first argument that names none of
 * them is a SELECTION. Running is cli_run's (cli_run.c), as for materialize.
 * Reading commands open storage without creating it, as `runs` does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "tranche/exec.h"
#include "tranche/json.h"
#include "tranche/keyset.h"
#include "tranche/partitions.h"
#include "tranche/project.h"
#include "tranche/storage.h"

#define RANGES_SHOWN 8 /* key ranges printed per line in `show` before "(and N more)" */

typedef struct backfill_sub {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
	const char *help;
} backfill_sub;

static int sub_show(int argc, char **argv);
static int sub_resume(int argc, char **argv);
static int sub_cancel(int argc, char **argv);

static const backfill_sub subs[] = {
	{"show", sub_show, "tranche backfill show ID [--json]",
	 "print a backfill: status, partitions per asset, runs, what resume would run"},
	{"resume", sub_resume, "tranche backfill resume ID [--dry-run] [--jobs N] [--yes] [--json]",
	 "run the partitions of a backfill that did not succeed"},
	{"cancel", sub_cancel, "tranche backfill cancel ID",
	 "stop a backfill (the process running it stops within a second)"},
	{NULL, NULL, NULL, NULL},
};

static int64_t now_ms(void)
{
	return (int64_t)time(NULL) * 1000;
}

static void sub_names(tr_buf *out)
{
	for (const backfill_sub *s = subs; s->name; s++)
		tr_buf_addf(out, "%s%s", s == subs ? "" : ", ", s->name);
}

/* Levenshtein distance of two short words (longer ones: far). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[33];

	if (la > 32 || lb > 32)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* ---- ids -------------------------------------------------------------------------- */

/*
 * Backfill `text` of the open project into *b (and its assets when wanted),
 * or an error naming the input and the backfills that exist.
 */
static int get_backfill(cli_proj *cp, const char *text, tr_backfill *b, tr_backfill_asset **assets,
			size_t *n_assets)
{
	tr_backfill *list = NULL;
	size_t n = 0;
	tr_buf ids = TR_BUF_INIT;
	tr_error err = {0};
	char *end;
	long long id = strtoll(text, &end, 10);
	int rc;

	memset(b, 0, sizeof(*b));
	if (!*text || *end || id <= 0)
		return cli_failf(EXIT_USAGE, "ID: \"%s\" is not a backfill id (a number from tranche "
					     "backfills)",
				 text);
	rc = tr_storage_backfill_get(cp->storage, id, b, assets, n_assets, &err);
	if (rc != TR_ENOTFOUND) {
		if (rc)
			memset(b, 0, sizeof(*b));
		return rc ? cli_fail(&err) : 0;
	}
	memset(b, 0, sizeof(*b));
	if (tr_storage_backfills_list(cp->storage, 10, &list, &n, &err))
		return cli_fail(&err);
	for (size_t k = 0; k < n; k++)
		tr_buf_addf(&ids, "%s%lld", k ? ", " : "", (long long)list[k].id);
	if (n)
		rc = cli_failf(EXIT_USAGE, "no backfill %lld (existing: %s%s; tranche backfills lists "
					   "them)",
			       id, tr_buf_str(&ids), n == 10 ? ", ..." : "");
	else
		rc = cli_failf(EXIT_USAGE, "no backfill %lld: there is none yet (tranche backfill "
					   "SELECTION --all makes one)",
			       id);
	tr_backfills_free(list, n);
	tr_buf_release(&ids);
	return rc;
}

/* ---- tranche backfill SELECTION ... -------------------------------------------------- */

static int is_word(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!(*s == '_' || *s == '-' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

static const char backfill_usage[] =
	"tranche backfill SELECTION [--partition KEY... | --from KEY --to KEY | --missing | --stale "
	"| --failed | --all]\n                        [--dry-run] [--jobs N] [--yes] [--json]\n"
	"   or: tranche backfill show ID [--json]\n"
	"   or: tranche backfill resume ID [--dry-run] [--jobs N] [--yes] [--json]\n"
	"   or: tranche backfill cancel ID";

static int run_backfill(int argc, char **argv)
{
	cli_proj cp = {0};
	cli_run_args ra = {.command = "backfill", .backfill = TR_BACKFILL_ALWAYS};
	cli_list pos = {0};
	tr_buf help = TR_BUF_INIT, names = TR_BUF_INIT;
	int rc;
	const cli_opt opts[] = {
		CLI_PICK_OPTS(ra),
		{"dry-run", 'n', OPT_FLAG, NULL, "print the plan; write nothing", &ra.dry_run},
		CLI_RUN_OPTS(ra),
		CLI_PROJ_OPTS(cp),
		{NULL, 0, 0, NULL, NULL, NULL},
	};

	tr_buf_adds(&help, "Runs the selected asset partitions like materialize, and records the "
			   "request as a backfill\nthat can be watched (tranche backfills, tranche "
			   "backfill show ID), resumed and canceled.\nSELECTION: name, +name, name+, "
			   "group:x, tag:k=v, *, comma-separated.\n\nsubcommands:\n");
	for (const backfill_sub *s = subs; s->name; s++)
		tr_buf_addf(&help, "  %-6s ID  %s\n", s->name, s->help);
	tr_buf_adds(&help, "'tranche backfill SUBCOMMAND --help' lists a subcommand's options.");
	rc = cli_parse(argc, argv, opts, &pos, backfill_usage, tr_buf_str(&help));
	if (rc)
		goto out;
	sub_names(&names);
	if (pos.n == 0) {
		rc = cli_failf(EXIT_USAGE, "backfill needs a SELECTION or a subcommand (%s): e.g. "
					   "tranche backfill '*' --all\nusage: %s",
			       tr_buf_str(&names), backfill_usage);
		goto out;
	}
	if (is_word(pos.items[0])) {
		/* a plain word: a subcommand misspelt, or an asset */
		const backfill_sub *near = NULL;
		size_t i;
		tr_error err = {0};

		for (const backfill_sub *s = subs; s->name; s++)
			if (distance(pos.items[0], s->name) <= 2)
				near = s;
		if (near && !strcmp(near->name, pos.items[0])) {
			rc = cli_failf(EXIT_USAGE, "the subcommand goes first, before options: %s",
				       near->usage);
			goto out;
		}
		if (pos.n > 1 || near) {
			if (pos.n == 1 && (rc = cli_proj_open(&cp, 0)))
				goto out;
			if (pos.n > 1 || tr_project_find(cp.project, pos.items[0], &i, &err)) {
				rc = cli_failf(EXIT_USAGE,
					       "unknown subcommand \"backfill %s\"%s%s%s (valid: %s; "
					       "or a SELECTION of assets, e.g. tranche backfill '*' "
					       "--all)",
					       pos.items[0], near ? ": did you mean \"" : "",
					       near ? near->name : "", near ? "\"?" : "",
					       tr_buf_str(&names));
				goto out;
			}
		}
	}
	if (pos.n != 1) {
		rc = cli_failf(EXIT_USAGE, "backfill takes one SELECTION (got %zu): e.g. tranche "
					   "backfill '*' --all\nusage: %s",
			       pos.n, backfill_usage);
		goto out;
	}
	ra.selection = pos.items[0];
	rc = cli_run(&cp, &ra);
out:
	cli_proj_close(&cp);
	cli_run_args_release(&ra);
	cli_list_release(&pos);
	tr_buf_release(&help);
	tr_buf_release(&names);
	return rc < 0 ? 0 : rc;
}

int cmd_backfill(int argc, char **argv)
{
	if (argc > 0)
		for (const backfill_sub *s = subs; s->name; s++)
			if (!strcmp(argv[0], s->name))
				return s->run(argc - 1, argv + 1);
	return run_backfill(argc, argv);
}

/* ---- tranche backfill resume ID ----------------------------------------------------- */

static int sub_resume(int argc, char **argv)
{
	cli_proj cp = {0};
	cli_run_args ra = {.command = "backfill resume", .backfill = TR_BACKFILL_ALWAYS};
	cli_list pos = {0};
	tr_backfill b = {0};
	int rc;
	const cli_opt opts[] = {
		{"dry-run", 'n', OPT_FLAG, NULL, "print the plan; write nothing", &ra.dry_run},
		CLI_RUN_OPTS(ra),
		CLI_PROJ_OPTS(cp),
		{NULL, 0, 0, NULL, NULL, NULL},
	};

	rc = cli_parse(argc, argv, opts, &pos, subs[1].usage,
		       "Runs the partitions of backfill ID that did not succeed: those that failed, "
		       "were skipped or\nwere not reached (the process was killed, or the backfill "
		       "canceled). The selection and the\npartitions are the backfill's; the partitions "
		       "that succeeded are not run again.");
	if (rc)
		goto out;
	if (pos.n != 1) {
		rc = cli_failf(EXIT_USAGE, "backfill resume takes one ID (got %zu); tranche backfills "
					   "lists them",
			       pos.n);
		goto out;
	}
	if ((rc = cli_proj_open(&cp, 0)) || (rc = get_backfill(&cp, pos.items[0], &b, NULL, NULL)))
		goto out;
	ra.resume = b.id;
	rc = cli_run(&cp, &ra);
out:
	tr_backfill_release(&b);
	cli_proj_close(&cp);
	cli_run_args_release(&ra);
	cli_list_release(&pos);
	return rc < 0 ? 0 : rc;
}

/* ---- tranche backfill cancel ID ----------------------------------------------------- */

static int sub_cancel(int argc, char **argv)
{
	cli_proj cp = {0};
	cli_list pos = {0};
	tr_backfill b = {0};
	char *status = NULL;
	tr_error err = {0};
	int rc;
	const cli_opt opts[] = {
		CLI_PROJ_OPTS(cp),
		{NULL, 0, 0, NULL, NULL, NULL},
	};

	rc = cli_parse(argc, argv, opts, &pos, subs[2].usage,
		       "Asks backfill ID to stop. If a tranche process is running it, the backfill "
		       "becomes \"canceling\"\nand that process stops within a second: the partitions "
		       "being written are rolled back, the\nrun ends canceled. Otherwise it becomes "
		       "\"canceled\" at once. A canceled backfill can be resumed.");
	if (rc)
		goto out;
	if (pos.n != 1) {
		rc = cli_failf(EXIT_USAGE, "backfill cancel takes one ID (got %zu); tranche backfills "
					   "lists them",
			       pos.n);
		goto out;
	}
	if ((rc = cli_proj_open(&cp, 0)) || (rc = get_backfill(&cp, pos.items[0], &b, NULL, NULL)))
		goto out;
	if ((rc = cli_proj_attach(&cp, CLI_PROJ_WRITE)))
		goto out;
	if (tr_storage_backfill_cancel(cp.storage, b.id, &status, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	if (status && !strcmp(status, "canceling"))
		printf("backfill %lld: canceling (the process running it stops within a second; "
		       "then: tranche backfill resume %lld)\n",
		       (long long)b.id, (long long)b.id);
	else
		printf("backfill %lld: %s (resume it with: tranche backfill resume %lld)\n",
		       (long long)b.id, status ? status : "canceled", (long long)b.id);
	rc = fflush(stdout) ? EXIT_NO : EXIT_OK;
out:
	free(status);
	tr_backfill_release(&b);
	cli_proj_close(&cp);
	cli_list_release(&pos);
	return rc < 0 ? 0 : rc;
}

/* ---- tranche backfill show ID ------------------------------------------------------- */

/* Counts of one asset's four range texts (-1: not known now: the asset or keys are gone). */
struct asset_counts {
	int64_t n[4];
};


static void counts_of(cli_proj *cp, const tr_backfill_asset *a, struct asset_counts *c)
{
	tr_partitions *parts = NULL;
	size_t i;
	int known = !tr_project_find(cp->project, a->asset, &i, NULL) &&
		    !tr_asset_partitions(cp->project, cp->storage, i, cp->now, &parts, NULL);
	const char *texts[4] = {a->requested, a->succeeded, a->failed, a->skipped};

	for (int k = 0; k < 4; k++)
		c->n[k] = known || !a->partitioned ? tr_backfill_ranges_count(parts, a->partitioned, texts[k]) : -1;
	if (a->n_requested > 0)
		c->n[0] = a->n_requested;
	tr_partitions_free(parts);
}

/* "2024-01-01...2024-01-31, 2024-03-01" (at most RANGES_SHOWN, then "and N more") */
static void ranges_line(const char *text, tr_buf *out)
{
	size_t shown = 0, total = 0;

	for (const char *c = text; c && *c;) {
		size_t len = strcspn(c, "\n");

		if (len) {
			if (shown < RANGES_SHOWN) {
				tr_buf_adds(out, shown ? ", " : "");
				tr_buf_add(out, c, len);
				shown++;
			}
			total++;
		}
		c += len + (c[len] == '\n');
	}
	if (total > shown)
		tr_buf_addf(out, ", and %zu more ranges", total - shown);
}

/* {"count": N, "ranges": [...]} (ranges null for an unpartitioned asset) */
static void json_ranges(tr_json *j, const char *key, int partitioned, const char *text,
			int64_t count)
{
	tr_json_key(j, key);
	tr_json_object_begin(j);
	tr_json_key(j, "count");
	if (count >= 0)
		tr_json_int(j, count);
	else
		tr_json_null(j);
	tr_json_key(j, "ranges");
	if (!partitioned) {
		tr_json_null(j);
		tr_json_object_end(j);
		return;
	}
	tr_json_array_begin(j);
	for (const char *c = text; c && *c;) {
		size_t len = strcspn(c, "\n");

		if (len)
			tr_json_string_n(j, c, len);
		c += len + (c[len] == '\n');
	}
	tr_json_array_end(j);
	tr_json_object_end(j);
}

static void count_text(int64_t n, char *buf, size_t size)
{
	if (n >= 0)
		snprintf(buf, size, "%lld", (long long)n);
	else
		snprintf(buf, size, "?");
}

static int sub_show(int argc, char **argv)
{
	cli_proj cp = {0};
	cli_list pos = {0};
	int json = 0, rc, resume_rc, done;
	tr_backfill b = {0};
	tr_backfill_asset *assets = NULL;
	size_t n_assets = 0, n_runs = 0;
	int64_t *runs = NULL;
	struct asset_counts *counts = NULL;
	tr_run_request req = {0};
	tr_run_report plan = {0};
	tr_buf out = TR_BUF_INIT;
	tr_error err = {0}, resume_err = {0};
	char created[32], ended[32], dur[32];
	const cli_opt opts[] = {
		{"json", 0, OPT_FLAG, NULL, "print JSON", &json},
		CLI_PROJ_OPTS(cp),
		{NULL, 0, 0, NULL, NULL, NULL},
	};

	rc = cli_parse(argc, argv, opts, &pos, subs[0].usage,
		       "Shows backfill ID: its status, selection and partitions, when it ran, how many "
		       "partitions of\neach asset were requested, succeeded, failed and were skipped "
		       "(with their key ranges), its\nruns, and what tranche backfill resume ID would "
		       "run.");
	if (rc)
		goto out;
	if (pos.n != 1) {
		rc = cli_failf(EXIT_USAGE, "backfill show takes one ID (got %zu); tranche backfills "
					   "lists them",
			       pos.n);
		goto out;
	}
	if ((rc = cli_proj_open(&cp, 0)))
		goto out;
	if (tr_storage_runs_reap(cp.storage, now_ms(), NULL, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	if ((rc = get_backfill(&cp, pos.items[0], &b, &assets, &n_assets)))
		goto out;
	if (tr_storage_backfill_runs(cp.storage, b.id, &runs, &n_runs, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	counts = calloc(n_assets ? n_assets : 1, sizeof(*counts));
	if (!counts) {
		rc = cli_failf(EXIT_NO, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < n_assets; k++)
		counts_of(&cp, &assets[k], &counts[k]);
	/* what resume would run: its dry run */
	req.resume = b.id;
	req.dry_run = 1;
	req.now = cp.now;
	req.launched_by = cli_launched_by();
	req.backfill = TR_BACKFILL_ALWAYS;
	done = !strcmp(b.status, "completed");
	resume_rc = done ? 0 : tr_materialize(cp.project, cp.storage, NULL, &req, &plan, &resume_err);

	if (json) {
		tr_json j;

		tr_json_init(&j, &out, 0);
		tr_json_object_begin(&j);
		tr_backfill_write_json(&b, &j);
		tr_json_key(&j, "runs");
		tr_json_array_begin(&j);
		for (size_t k = 0; k < n_runs; k++)
			tr_json_int(&j, runs[k]);
		tr_json_array_end(&j);
		tr_json_kv_string(&j, "error", b.error);
		tr_json_key(&j, "assets");
		tr_json_array_begin(&j);
		for (size_t k = 0; k < n_assets; k++) {
			const tr_backfill_asset *a = &assets[k];

			tr_json_object_begin(&j);
			tr_json_kv_string(&j, "asset", a->asset);
			tr_json_kv_bool(&j, "partitioned", a->partitioned);
			json_ranges(&j, "requested", a->partitioned, a->requested, counts[k].n[0]);
			json_ranges(&j, "succeeded", a->partitioned, a->succeeded, counts[k].n[1]);
			json_ranges(&j, "failed", a->partitioned, a->failed, counts[k].n[2]);
			json_ranges(&j, "skipped", a->partitioned, a->skipped, counts[k].n[3]);
			tr_json_object_end(&j);
		}
		tr_json_array_end(&j);
		tr_backfill_resume_write_json(done, resume_rc ? resume_err.msg : NULL, &plan, &j);
		tr_json_object_end(&j);
		tr_buf_addc(&out, '\n');
		rc = cli_write(&out);
		goto out;
	}

	cli_time_text(b.created_at, created, sizeof(created));
	cli_time_text(b.ended_at, ended, sizeof(ended));
	cli_duration_text(b.ended_at ? b.ended_at - b.created_at : -1, dur, sizeof(dur));
	tr_buf_addf(&out, "backfill %lld: %s\n", (long long)b.id, b.status);
	tr_buf_addf(&out, "  selection    %s\n", b.selection);
	tr_buf_addf(&out, "  partitions   %s\n", b.partitions && *b.partitions ? b.partitions : "-");
	tr_buf_addf(&out, "  launched by  %s\n", b.launched_by);
	tr_buf_addf(&out, "  created      %s\n", created);
	if (b.ended_at)
		tr_buf_addf(&out, "  ended        %s (%s)\n", ended, dur);
	tr_buf_addf(&out, "  progress     %lld/%lld partitions succeeded, %lld failed, %lld skipped\n",
		    (long long)b.partitions_succeeded, (long long)b.partitions_total,
		    (long long)b.partitions_failed, (long long)b.partitions_skipped);
	tr_buf_adds(&out, "  runs         ");
	for (size_t k = 0; k < n_runs; k++)
		tr_buf_addf(&out, "%s%lld", k ? ", " : "", (long long)runs[k]);
	tr_buf_adds(&out, n_runs ? "\n" : "none yet\n");
	if (b.error && *b.error)
		tr_buf_addf(&out, "  error        %s\n", b.error);
	if (n_assets) {
		static const char *const headers[] = {"ASSET", "REQUESTED", "SUCCEEDED", "FAILED",
						      "SKIPPED"};
		cli_columns cols;

		tr_buf_addc(&out, '\n');
		cli_columns_init(&cols, 5, headers);
		for (size_t k = 0; k < n_assets; k++) {
			char c[4][24];

			for (int m = 0; m < 4; m++)
				count_text(counts[k].n[m], c[m], sizeof(c[m]));
			cli_columns_row(&cols, (const char *const[]){assets[k].asset, c[0], c[1], c[2],
								     c[3]});
		}
		cli_columns_flush(&cols, &out);
		for (size_t k = 0; k < n_assets; k++) {
			const tr_backfill_asset *a = &assets[k];

			if (a->partitioned) {
				tr_buf_addc(&out, '\n');
				break;
			}
		}
		for (size_t k = 0; k < n_assets; k++) {
			const tr_backfill_asset *a = &assets[k];
			const char *names[4] = {"requested", "succeeded", "failed", "skipped"};
			const char *texts[4] = {a->requested, a->succeeded, a->failed, a->skipped};

			if (!a->partitioned)
				continue;
			tr_buf_addf(&out, "%s\n", a->asset);
			for (int m = 0; m < 4; m++) {
				if (!texts[m] || !*texts[m])
					continue;
				tr_buf_addf(&out, "  %-10s ", names[m]);
				ranges_line(texts[m], &out);
				tr_buf_addc(&out, '\n');
			}
		}
	}
	tr_buf_addc(&out, '\n');
	if (done) {
		tr_buf_adds(&out, "resume: nothing to run: every requested partition succeeded\n");
	} else if (resume_rc) {
		tr_buf_addf(&out, "resume: %s\n", resume_err.msg);
	} else if (plan.total == 0) {
		tr_buf_adds(&out, "resume: nothing left to run\n");
	} else {
		tr_buf_addf(&out, "resume would run %lld partition%s in %zu step%s: tranche backfill "
				  "resume %lld\n",
			    (long long)plan.partitions_total, plan.partitions_total == 1 ? "" : "s",
			    plan.total, plan.total == 1 ? "" : "s", (long long)b.id);
		int width = 0;

		for (size_t k = 0; k < plan.n_plan; k++)
			if ((int)strlen(plan.plan[k].asset) > width)
				width = (int)strlen(plan.plan[k].asset);
		for (size_t k = 0; k < plan.n_plan; k++) {
			tr_buf_addf(&out, "  %-*s  %lld: ", width, plan.plan[k].asset,
				    (long long)plan.plan[k].partitions);
			if (plan.plan[k].ranges && *plan.plan[k].ranges)
				ranges_line(plan.plan[k].ranges, &out);
			else
				tr_buf_adds(&out, "(the whole table)");
			tr_buf_addc(&out, '\n');
		}
	}
	rc = cli_write(&out);
out:
	tr_run_report_release(&plan);
	free(counts);
	free(runs);
	tr_backfill_assets_free(assets, n_assets);
	tr_backfill_release(&b);
	tr_buf_release(&out);
	cli_proj_close(&cp);
	cli_list_release(&pos);
	return rc < 0 ? 0 : rc;
}

/* ---- tranche backfills --------------------------------------------------------------- */

int cmd_backfills(int argc, char **argv)
{
	cli_proj cp = {0};
	int json = 0, rc;
	const char *limit_arg = NULL;
	size_t limit = 20, n = 0;
	tr_backfill *bs = NULL;
	tr_buf out = TR_BUF_INIT;
	tr_error err = {0};
	const cli_opt opts[] = {
		{"json", 0, OPT_FLAG, NULL, "print JSON", &json},
		{"limit", 'n', OPT_STRING, "N", "show the newest N backfills (default 20; 0: all)",
		 &limit_arg},
		CLI_PROJ_OPTS(cp),
		{NULL, 0, 0, NULL, NULL, NULL},
	};

	rc = cli_parse(argc, argv, opts, NULL, "tranche backfills [--limit N] [--json]",
		       "Lists the newest backfills: id, status, selection, partitions asked for, "
		       "progress (partitions\nsucceeded of those requested), failed and skipped "
		       "partitions, start and duration.\nBackfills whose process died are marked "
		       "failed first; tranche backfill resume ID finishes them.");
	if (rc || (rc = cli_parse_count(limit_arg, "--limit", &limit)))
		goto out;
	if ((rc = cli_proj_open(&cp, 0)))
		goto out;
	if (tr_storage_runs_reap(cp.storage, now_ms(), NULL, &err) ||
	    tr_storage_backfills_list(cp.storage, limit, &bs, &n, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	if (json) {
		tr_json j;

		tr_json_init(&j, &out, 0);
		tr_json_array_begin(&j);
		for (size_t k = 0; k < n; k++) {
			const tr_backfill *b = &bs[k];

			tr_json_object_begin(&j);
			tr_backfill_write_json(b, &j);
			tr_json_kv_int_or_null(&j, "last_run_id", b->last_run_id);
			tr_json_kv_string(&j, "error", b->error);
			tr_json_object_end(&j);
		}
		tr_json_array_end(&j);
		tr_buf_addc(&out, '\n');
	} else if (n) {
		static const char *const headers[] = {"BACKFILL", "STATUS",   "SELECTION",
						      "PARTITIONS", "PROGRESS", "FAILED",
						      "SKIPPED",  "CREATED",  "DURATION"};
		cli_columns cols;

		cli_columns_init(&cols, 9, headers);
		for (size_t k = 0; k < n; k++) {
			const tr_backfill *b = &bs[k];
			char id[24], progress[48], failed[24], skipped[24], created[32], dur[32];

			snprintf(id, sizeof(id), "%lld", (long long)b->id);
			snprintf(progress, sizeof(progress), "%lld/%lld",
				 (long long)b->partitions_succeeded, (long long)b->partitions_total);
			snprintf(failed, sizeof(failed), "%lld", (long long)b->partitions_failed);
			snprintf(skipped, sizeof(skipped), "%lld", (long long)b->partitions_skipped);
			cli_time_text(b->created_at, created, sizeof(created));
			cli_duration_text(b->ended_at ? b->ended_at - b->created_at : -1, dur,
					  sizeof(dur));
			cli_columns_row(&cols, (const char *const[]){
						       id, b->status, b->selection,
						       b->partitions && *b->partitions ? b->partitions
										       : NULL,
						       progress, failed, skipped, created, dur});
		}
		cli_columns_flush(&cols, &out);
	} else {
		tr_buf_adds(&out, "(no backfills yet: tranche backfill SELECTION --all, or a "
				  "materialize of more than one partition of partitioned assets)\n");
	}
	rc = cli_write(&out);
out:
	tr_backfills_free(bs, n);
	tr_buf_release(&out);
	cli_proj_close(&cp);
	return rc < 0 ? 0 : rc;
}
