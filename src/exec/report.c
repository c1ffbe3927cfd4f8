/*
 * report.c — what a run's report and a stored backfill say, for the CLI and
 * the server alike: the report's status and JSON summary, a backfill's JSON
 * fields, and the partition count of a backfill's range text.
 */
#include <stdlib.h>
#include <string.h>

#include "tranche/exec.h"

void tr_run_report_release(tr_run_report *report)
{
	if (!report)
		return;
	free(report->first_error);
	for (size_t k = 0; k < report->n_plan; k++)
		free(report->plan[k].ranges);
	free(report->plan);
	memset(report, 0, sizeof(*report));
}

const char *tr_run_report_status(const tr_run_report *r)
{
	return r->canceled ? "canceled" : r->failed || r->skipped ? "failure" : "success";
}

static void counts(tr_json *j, const char *key, int64_t total, int64_t succeeded, int64_t failed,
		   int64_t skipped)
{
	tr_json_key(j, key);
	tr_json_object_begin(j);
	tr_json_kv_int(j, "total", total);
	tr_json_kv_int(j, "succeeded", succeeded);
	tr_json_kv_int(j, "failed", failed);
	tr_json_kv_int(j, "skipped", skipped);
	tr_json_object_end(j);
}

void tr_run_report_write_json(const tr_run_report *r, const char *status, tr_json *j)
{
	tr_json_kv_string(j, "type", "summary");
	tr_json_kv_int_or_null(j, "run_id", r->run_id);
	tr_json_kv_int_or_null(j, "backfill_id", r->backfill_id);
	tr_json_kv_string(j, "status", status);
	counts(j, "steps", (int64_t)r->total, (int64_t)r->succeeded, (int64_t)r->failed,
	       (int64_t)r->skipped);
	counts(j, "partitions", r->partitions_total, r->partitions_succeeded, r->partitions_failed,
	       r->partitions_skipped);
	tr_json_kv_int(j, "retries", (int64_t)r->retries);
	tr_json_kv_int(j, "checks_failed", (int64_t)r->checks_failed);
	tr_json_kv_string(j, "first_error", r->first_error);
}

void tr_backfill_write_json(const tr_backfill *b, tr_json *j)
{
	tr_json_kv_int(j, "id", b->id);
	tr_json_kv_string(j, "status", b->status);
	tr_json_kv_string(j, "selection", b->selection);
	tr_json_kv_string(j, "partitions", b->partitions);
	tr_json_kv_string(j, "launched_by", b->launched_by);
	tr_json_kv_int(j, "created_at", b->created_at);
	tr_json_kv_int_or_null(j, "ended_at", b->ended_at);
	counts(j, "counts", b->partitions_total, b->partitions_succeeded, b->partitions_failed,
	       b->partitions_skipped);
}

int64_t tr_backfill_ranges_count(const tr_partitions *parts, int partitioned, const char *text)
{
	const char **keys = NULL;
	size_t n = 0, cap = 0;
	char *copy, *line, *save = NULL;
	tr_keyset ks;
	int64_t count = -1;

	if (!text || !*text)
		return 0;
	if (!partitioned || !parts)
		return partitioned ? -1 : 1;
	copy = strdup(text);
	if (!copy)
		return -1;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (n == cap) {
			const char **grown = realloc(keys, (cap = cap ? cap * 2 : 16) * sizeof(*keys));

			if (!grown)
				goto out;
			keys = grown;
		}
		keys[n++] = line;
	}
	tr_keyset_init(&ks);
	if (!tr_partitions_keyset_from_keys(parts, keys, n, &ks, NULL))
		count = tr_keyset_count(&ks);
	tr_keyset_release(&ks);
out:
	free(keys);
	free(copy);
	return count;
}

void tr_backfill_resume_write_json(int done, const char *error, const tr_run_report *plan,
				   tr_json *j)
{
	tr_json_key(j, "resume");
	if (done) {
		tr_json_null(j);
		return;
	}
	tr_json_object_begin(j);
	if (error) {
		tr_json_kv_string(j, "error", error);
		tr_json_object_end(j);
		return;
	}
	tr_json_kv_int(j, "partitions", plan->partitions_total);
	tr_json_kv_int(j, "steps", (int64_t)plan->total);
	tr_json_key(j, "assets");
	tr_json_array_begin(j);
	for (size_t k = 0; k < plan->n_plan; k++) {
		tr_json_object_begin(j);
		tr_json_kv_string(j, "asset", plan->plan[k].asset);
		tr_json_kv_int(j, "partitions", plan->plan[k].partitions);
		tr_json_kv_int(j, "steps", plan->plan[k].steps);
		tr_json_object_end(j);
	}
	tr_json_array_end(j);
	tr_json_object_end(j);
}
