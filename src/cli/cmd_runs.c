/*
 * cmd_runs.c — history: `tranche runs` (the newest runs), `tranche logs RUN`
 * (a run's event log) and `tranche checks [ASSET]` (the latest result of each
 * check per partition). Read-only: they open instance storage, never the
 * warehouse, so they work while a run holds it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "tranche/json.h"
#include "tranche/project.h"
#include "tranche/storage.h"

static int64_t now_ms(void)
{
	return (int64_t)time(NULL) * 1000;
}

int cmd_runs(int argc, char **argv)
{
	cli_proj cp = {0};
	int json = 0, rc;
	const char *limit_arg = NULL;
	size_t limit = 20, n = 0;
	tr_run *runs = NULL;
	tr_buf out = TR_BUF_INIT;
	tr_error err = {0};
	const cli_opt opts[] = {
		{"json", 0, OPT_FLAG, NULL, "print JSON", &json},
		{"limit", 'n', OPT_STRING, "N", "show the newest N runs (default 20; 0: all)", &limit_arg},
		CLI_PROJ_OPTS(cp),
		{NULL, 0, 0, NULL, NULL, NULL},
	};

	rc = cli_parse(argc, argv, opts, NULL, "tranche runs [--limit N] [--json]",
		       "Lists the newest runs: id, status, start, duration, steps, selection and "
		       "partitions.\nRuns whose process died are marked failed first.");
	if (rc || (rc = cli_parse_count(limit_arg, "--limit", &limit)))
		goto out;
	if ((rc = cli_proj_open(&cp, 0)))
		goto out;
	if (tr_storage_runs_reap(cp.storage, now_ms(), NULL, &err) ||
	    tr_storage_runs_list(cp.storage, limit, &runs, &n, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	if (json) {
		tr_json j;

		tr_json_init(&j, &out, 0);
		tr_json_array_begin(&j);
		for (size_t k = 0; k < n; k++) {
			const tr_run *r = &runs[k];

			tr_json_object_begin(&j);
			tr_json_kv_int(&j, "id", r->id);
			tr_json_kv_string(&j, "status", r->status);
			tr_json_kv_string(&j, "selection", r->selection);
			tr_json_kv_string(&j, "partitions", r->partitions);
			tr_json_kv_string(&j, "launched_by", r->launched_by);
			tr_json_kv_int(&j, "created_at", r->created_at);
			tr_json_kv_int_or_null(&j, "ended_at", r->ended_at);
			tr_json_key(&j, "steps");
			tr_json_object_begin(&j);
			tr_json_kv_int(&j, "total", r->steps_total);
			tr_json_kv_int(&j, "succeeded", r->steps_succeeded);
			tr_json_kv_int(&j, "failed", r->steps_failed);
			tr_json_kv_int(&j, "skipped", r->steps_skipped);
			tr_json_object_end(&j);
			tr_json_kv_string(&j, "error", r->error);
			tr_json_object_end(&j);
		}
		tr_json_array_end(&j);
		tr_buf_addc(&out, '\n');
	} else {
		static const char *const headers[] = {"RUN", "STATUS", "STARTED", "DURATION",
						      "STEPS", "FAILED", "SKIPPED", "SELECTION",
						      "PARTITIONS"};
		cli_columns cols;

		cli_columns_init(&cols, 9, headers);
		for (size_t k = 0; k < n; k++) {
			const tr_run *r = &runs[k];
			char id[24], started[32], dur[32], steps[48], failed[24], skipped[24];
			const char *row[9] = {id, r->status, started, dur, steps, failed, skipped,
					      r->selection,
					      r->partitions && *r->partitions ? r->partitions : NULL};

			snprintf(id, sizeof(id), "%lld", (long long)r->id);
			cli_time_text(r->created_at, started, sizeof(started));
			cli_duration_text(r->ended_at ? r->ended_at - r->created_at : -1, dur, sizeof(dur));
			snprintf(steps, sizeof(steps), "%lld/%lld", (long long)r->steps_succeeded,
				 (long long)r->steps_total);
			snprintf(failed, sizeof(failed), "%lld", (long long)r->steps_failed);
			snprintf(skipped, sizeof(skipped), "%lld", (long long)r->steps_skipped);
			cli_columns_row(&cols, row);
		}
		if (n)
			cli_columns_flush(&cols, &out);
		else
			cli_columns_release(&cols);
		if (!n)
			tr_buf_adds(&out, "(no runs yet: tranche materialize SELECTION)\n");
	}
	rc = cli_write(&out);
out:
	tr_runs_free(runs, n);
	tr_buf_release(&out);
	cli_proj_close(&cp);
	return rc < 0 ? 0 : rc;
}

int cmd_logs(int argc, char **argv)
{
	cli_proj cp = {0};
	cli_list pos = {0};
	int json = 0, rc;
	const char *asset = NULL;
	tr_event_rec *evs = NULL;
	size_t n = 0;
	tr_run run = {0};
	int have_run = 0;
	long long id;
	char *end;
	tr_buf out = TR_BUF_INIT;
	tr_error err = {0};
	const cli_opt opts[] = {
		{"json", 0, OPT_FLAG, NULL, "print JSON lines, one event each", &json},
		{"asset", 'a', OPT_STRING, "ASSET", "only the events of ASSET", &asset},
		CLI_PROJ_OPTS(cp),
		{NULL, 0, 0, NULL, NULL, NULL},
	};

	rc = cli_parse(argc, argv, opts, &pos, "tranche logs RUN [--asset ASSET] [--json]\n       tranche logs --asset ASSET [--json]",
		       "Prints the event log of run RUN (its id, from tranche runs; \"last\" for "
		       "the newest):\nsteps, materializations with their row counts, failures with "
		       "their errors, check results,\nand the output of command assets. Without RUN, "
		       "--asset ASSET prints every event of the asset,\nof every run and of none "
		       "(partitions recorded by tranche adopt).");
	if (rc)
		goto out;
	if (pos.n != 1 && !(pos.n == 0 && asset)) {
		rc = cli_failf(EXIT_USAGE, "logs takes one RUN id (got %zu); tranche runs lists them "
					   "(or --asset ASSET alone: the asset's events of every run)",
			       pos.n);
		goto out;
	}
	if ((rc = cli_proj_open(&cp, 0)))
		goto out;
	if (pos.n == 0) {
		id = 0; /* --asset alone: every run's events of the asset */
	} else if (!strcmp(pos.items[0], "last")) {
		tr_run *runs = NULL;
		size_t nr = 0;

		if (tr_storage_runs_list(cp.storage, 1, &runs, &nr, &err)) {
			rc = cli_fail(&err);
			goto out;
		}
		id = nr ? runs[0].id : 0;
		tr_runs_free(runs, nr);
		if (!nr) {
			rc = cli_failf(EXIT_USAGE, "no runs yet: tranche materialize SELECTION");
			goto out;
		}
	} else {
		id = strtoll(pos.items[0], &end, 10);
		if (!*pos.items[0] || *end || id <= 0) {
			rc = cli_failf(EXIT_USAGE, "RUN: \"%s\" is not a run id (a number from "
						   "tranche runs, or \"last\")",
				       pos.items[0]);
			goto out;
		}
	}
	if (id && tr_storage_run_get(cp.storage, id, &run, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	have_run = id != 0;
	if (asset) {
		size_t i;

		if (tr_project_find(cp.project, asset, &i, &err)) {
			rc = cli_fail(&err);
			goto out;
		}
	}
	if (tr_storage_events_list(cp.storage, id, asset, 0, 0, &evs, &n, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		const tr_event_rec *e = &evs[k];

		if (json) {
			tr_json j;

			tr_json_init(&j, &out, 0);
			tr_json_object_begin(&j);
			tr_json_kv_int(&j, "id", e->id);
			tr_json_kv_int(&j, "run_id", e->run_id);
			tr_json_kv_int(&j, "ts", e->ts);
			tr_json_kv_string(&j, "type", e->type);
			tr_json_kv_string(&j, "asset", e->asset);
			tr_json_kv_string(&j, "partition", e->partition);
			if (e->check)
				tr_json_kv_string(&j, "check", e->check);
			tr_json_kv_string(&j, "message", e->message);
			if (e->data) {
				/* data is JSON text already written by tranche's writer */
				tr_json_key(&j, "data");
				tr_json_raw(&j, e->data);
			}
			tr_json_object_end(&j);
			tr_buf_addc(&out, '\n');
		} else {
			char ts[32];

			cli_time_text(e->ts, ts, sizeof(ts));
			if (!have_run) { /* events of several runs (or none): say whose */
				char who[32];

				if (e->run_id)
					snprintf(who, sizeof(who), "run %lld", (long long)e->run_id);
				else
					snprintf(who, sizeof(who), "no run");
				tr_buf_addf(&out, "%s  %-8s", ts, who);
				ts[0] = '\0';
			}
			tr_buf_addf(&out, "%s%s%-15s %s%s%s%s%s%s%s", ts, ts[0] ? "  " : " ", e->type,
				    e->asset ? e->asset : "", e->partition && *e->partition ? " " : "",
				    e->partition ? e->partition : "", e->check ? " " : "",
				    e->check ? e->check : "", e->message ? ": " : "",
				    e->message ? e->message : "");
			while (out.len && out.data[out.len - 1] == ' ')
				tr_buf_truncate(&out, out.len - 1);
			tr_buf_addc(&out, '\n');
		}
	}
	if (!json && have_run)
		tr_buf_addf(&out, "run %lld: %s\n", id, run.status);
	else if (!json && !n)
		tr_buf_addf(&out, "(no events of %s yet)\n", asset);
	rc = cli_write(&out);
out:
	if (have_run)
		tr_run_release(&run);
	tr_event_recs_free(evs, n);
	tr_buf_release(&out);
	cli_proj_close(&cp);
	cli_list_release(&pos);
	return rc < 0 ? 0 : rc;
}

int cmd_checks(int argc, char **argv)
{
	cli_proj cp = {0};
	cli_list pos = {0};
	int json = 0, rc;
	tr_check_status *rows = NULL;
	size_t n = 0, failing = 0;
	tr_buf out = TR_BUF_INIT;
	tr_error err = {0};
	const cli_opt opts[] = {
		{"json", 0, OPT_FLAG, NULL, "print JSON", &json},
		CLI_PROJ_OPTS(cp),
		{NULL, 0, 0, NULL, NULL, NULL},
	};

	rc = cli_parse(argc, argv, opts, &pos, "tranche checks [ASSET] [--json]",
		       "Shows the latest result of every check (of ASSET, or of all assets), per "
		       "partition.\nExits 1 when an error-severity check is failing.");
	if (rc)
		goto out;
	if (pos.n > 1) {
		rc = cli_failf(EXIT_USAGE, "checks takes at most one ASSET (got %zu)", pos.n);
		goto out;
	}
	if ((rc = cli_proj_open(&cp, 0)))
		goto out;
	if (pos.n) {
		size_t i;

		if (tr_project_find(cp.project, pos.items[0], &i, &err)) {
			rc = cli_fail(&err);
			goto out;
		}
	}
	if (tr_storage_check_status(cp.storage, pos.n ? pos.items[0] : NULL, &rows, &n, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	tr_json j;
	cli_columns cols = {0};

	tr_json_init(&j, &out, 0);
	if (json)
		tr_json_array_begin(&j);
	else
		cli_columns_init(&cols, 6,
				 (const char *const[]){"ASSET", "CHECK", "PARTITION", "RESULT",
						       "SEVERITY", "DETAILS"});
	for (size_t k = 0; k < n; k++) {
		const tr_check_status *c = &rows[k];

		if (!c->passed && !strcmp(c->severity, "error"))
			failing++;
		if (json) {
			tr_json_object_begin(&j);
			tr_json_kv_string(&j, "asset", c->asset);
			tr_json_kv_string(&j, "check", c->check);
			tr_json_kv_string(&j, "partition", c->partition);
			tr_json_kv_bool(&j, "passed", c->passed);
			tr_json_kv_string(&j, "severity", c->severity);
			tr_json_kv_string(&j, "message", c->message);
			tr_json_kv_int(&j, "run_id", c->run_id);
			tr_json_kv_int(&j, "ts", c->ts);
			tr_json_object_end(&j);
		} else {
			const char *row[6] = {c->asset, c->check, *c->partition ? c->partition : NULL,
					      c->passed ? "passed" : "FAILED", c->severity,
					      c->message && *c->message ? c->message : NULL};

			cli_columns_row(&cols, row);
		}
	}
	if (json) {
		tr_json_array_end(&j);
		tr_buf_addc(&out, '\n');
	}
	else if (!n)
		tr_buf_adds(&out, "(no check has run yet)\n");
	if (!json) {
		if (n)
			cli_columns_flush(&cols, &out);
		else
			cli_columns_release(&cols);
	}
	rc = cli_write(&out);
	if (!rc && failing)
		rc = EXIT_NO;
out:
	tr_check_status_free(rows, n);
	tr_buf_release(&out);
	cli_proj_close(&cp);
	cli_list_release(&pos);
	return rc < 0 ? 0 : rc;
}
