/*
 * run.c — the planner and executor of `tranche materialize`.
 *
 * Planning resolves the selection and the partition pick for every selected
 * asset before anything is written: an unknown asset, a key that is not a
 * partition of a selected asset, a partitioned asset without a pick — all
 * refuse the whole request. The plan is asset-major in dependency order (all
 * partitions of an upstream asset before its downstream assets), so a step's
 * upstream steps have always ended when it starts.
 *
 * Executing a step: "step_start" (the partition shows in progress), the load
 * through the warehouse in one transaction (command assets first run their
 * program), then "materialization" with metadata and "step_success", then the
 * asset's checks; or "step_failure" with the reason. A downstream partition is
 * skipped when an upstream partition it reads (through the dependency's
 * mapping) failed, was skipped, or failed a blocking check in this run.
 *
 * Cancellation: a watcher thread polls req->cancel and interrupts the
 * warehouse connection; command programs are stopped by cmd_run. The run then
 * ends "canceled" and its in-progress partitions return to their old status.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/node.h"
#include "exec/exec_int.h"
#include "tranche/exec.h"
#include "tranche/json.h"

#define PREVIEW_ROWS 10
#define CHECK_SAMPLE_ROWS 5

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the event batch: events of one step, written in one transaction ---------------- */

struct batch {
	tr_event *evs;
	size_t n, cap;
	char **strs; /* owned strings behind evs */
	size_t n_strs, cap_strs;
	int failed;
};

static const char *batch_keep(struct batch *b, char *s)
{
	if (!s) {
		b->failed = 1;
		return NULL;
	}
	if (b->n_strs == b->cap_strs) {
		size_t cap = b->cap_strs ? b->cap_strs * 2 : 16;
		char **grown = realloc(b->strs, cap * sizeof(*grown));

		if (!grown) {
			free(s);
			b->failed = 1;
			return NULL;
		}
		b->strs = grown;
		b->cap_strs = cap;
	}
	b->strs[b->n_strs++] = s;
	return s;
}

static const char *batch_dup(struct batch *b, const char *s)
{
	return s ? batch_keep(b, strdup(s)) : NULL;
}

static tr_event *batch_add(struct batch *b, int64_t run_id, const char *type, const char *asset,
			   const char *partition)
{
	tr_event *ev;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		tr_event *grown = realloc(b->evs, cap * sizeof(*grown));

		if (!grown) {
			b->failed = 1;
			return NULL;
		}
		b->evs = grown;
		b->cap = cap;
	}
	ev = &b->evs[b->n++];
	memset(ev, 0, sizeof(*ev));
	ev->run_id = run_id;
	ev->ts = wall_ms();
	ev->type = type;
	ev->asset = asset;
	ev->partition = partition;
	return ev;
}

static void batch_clear(struct batch *b)
{
	for (size_t i = 0; i < b->n_strs; i++)
		free(b->strs[i]);
	b->n = b->n_strs = 0;
	b->failed = 0;
}

static void batch_release(struct batch *b)
{
	batch_clear(b);
	free(b->evs);
	free(b->strs);
	memset(b, 0, sizeof(*b));
}

static int batch_flush(struct batch *b, tr_storage *st, tr_error *err)
{
	int rc = 0;

	if (b->failed)
		rc = tr_error_set(err, TR_ENOMEM, "out of memory recording events");
	else if (b->n)
		rc = tr_storage_events_add(st, b->evs, b->n, err);
	batch_clear(b);
	return rc;
}

/* ---- the plan ------------------------------------------------------------------------ */

enum { ST_PENDING, ST_OK, ST_FAILED, ST_SKIPPED, ST_BLOCKED /* ok, but a blocking check failed */ };
enum { WHY_FAILED = 1, WHY_CHECK = 2, WHY_SKIPPED = 4 };

struct plan_asset {
	int selected;
	tr_partitions *parts; /* NULL: unpartitioned */
	tr_keyset keys;       /* partitions to run (unpartitioned: {0}) */
	tr_keyset bad;        /* partitions that failed, were skipped or failed a blocking check */
	int bad_unpartitioned;
	int why; /* what went wrong in bad: WHY_* bits */
};

struct run {
	const tr_project *p;
	tr_storage *st;
	tr_warehouse *wh;
	tr_wconn *conn;
	const tr_run_request *req;
	tr_run_report *report;
	struct plan_asset *pa;
	size_t total;
	int64_t run_id;
	int64_t started_ms;
	struct batch batch;
	/* cancel watcher */
	pthread_t watcher;
	int watching;
	atomic_int stop_watcher;
};

static const char *pick_text(const tr_run_request *req, tr_buf *b)
{
	switch (req->pick) {
	case TR_PICK_KEYS:
		for (size_t i = 0; i < req->n_keys; i++)
			tr_buf_addf(b, "%s%s", i ? "," : "", req->keys[i]);
		break;
	case TR_PICK_RANGE:
		tr_buf_addf(b, "%s...%s", req->from, req->to);
		break;
	case TR_PICK_MISSING:
		tr_buf_adds(b, "missing");
		break;
	case TR_PICK_FAILED:
		tr_buf_adds(b, "failed");
		break;
	case TR_PICK_ALL:
		tr_buf_adds(b, "all");
		break;
	default:
		break;
	}
	return tr_buf_str(b);
}

static int pick_keys(struct run *r, size_t i, tr_error *err)
{
	const tr_asset *a = &r->p->assets[i];
	struct plan_asset *pa = &r->pa[i];
	const tr_run_request *req = r->req;
	tr_asset_state state;
	int rc = 0;

	if (!pa->parts) {
		if (req->pick == TR_PICK_MISSING || req->pick == TR_PICK_FAILED) {
			rc = tr_asset_state_get(r->p, r->st, i, NULL, &state, err);
			if (rc)
				return rc;
			if (tr_keyset_contains(req->pick == TR_PICK_FAILED ? &state.failed
									    : &state.materialized,
					       0) == (req->pick == TR_PICK_FAILED))
				rc = tr_keyset_add(&pa->keys, 0);
			tr_asset_state_release(&state);
			return rc;
		}
		return tr_keyset_add(&pa->keys, 0);
	}
	switch (req->pick) {
	case TR_PICK_NONE: {
		tr_buf d = TR_BUF_INIT;
		int64_t n = tr_partitions_count(pa->parts);

		if (n > 0)
			tr_partitions_key(pa->parts, 0, &d, NULL);
		rc = tr_error_set(err, TR_EINVAL,
				  "asset %s is partitioned (%s, %lld partitions%s%s): choose which "
				  "with --partition KEY, --from KEY --to KEY, --missing, --failed or --all",
				  a->name, tr_partdef_type_name(a->partdef), (long long)n,
				  n > 0 ? ", the first is " : "", tr_buf_str(&d));
		tr_buf_release(&d);
		return rc;
	}
	case TR_PICK_KEYS:
		rc = tr_partitions_keyset_from_keys(pa->parts, req->keys, req->n_keys, &pa->keys, err);
		break;
	case TR_PICK_RANGE:
		rc = tr_partitions_keyset_from_range(pa->parts, req->from, req->to, &pa->keys, err);
		break;
	case TR_PICK_ALL:
		rc = tr_partitions_keyset_all(pa->parts, &pa->keys);
		break;
	case TR_PICK_MISSING:
	case TR_PICK_FAILED:
		rc = tr_asset_state_get(r->p, r->st, i, pa->parts, &state, err);
		if (rc)
			return rc;
		if (req->pick == TR_PICK_FAILED)
			rc = tr_keyset_copy(&pa->keys, &state.failed);
		else
			rc = tr_keyset_union(&pa->keys, &state.missing, &state.failed);
		tr_asset_state_release(&state);
		break;
	}
	if (rc && (req->pick == TR_PICK_KEYS || req->pick == TR_PICK_RANGE))
		tr_error_prefix(err, "asset %s (%s partitions)", a->name,
				tr_partdef_type_name(a->partdef));
	return rc;
}

static int plan(struct run *r, tr_error *err)
{
	const tr_project *p = r->p;
	unsigned char *selected = calloc(p->n_assets ? p->n_assets : 1, 1);
	int rc;

	if (!selected)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	rc = tr_project_select(p, r->req->selection, selected, err);
	for (size_t k = 0; k < p->n_assets && !rc; k++) {
		size_t i = p->order[k];

		if (!selected[i])
			continue;
		r->pa[i].selected = 1;
		rc = tr_asset_partitions(p, r->st, i, r->req->now, &r->pa[i].parts, err);
		if (!rc)
			rc = pick_keys(r, i, err);
		if (!rc)
			r->total += (size_t)tr_keyset_count(&r->pa[i].keys);
	}
	if (!rc && (r->req->pick == TR_PICK_KEYS || r->req->pick == TR_PICK_RANGE)) {
		int any_partitioned = 0;

		for (size_t i = 0; i < p->n_assets; i++)
			any_partitioned |= r->pa[i].selected && r->pa[i].parts;
		if (!any_partitioned)
			rc = tr_error_set(err, TR_EINVAL,
					  "no asset of \"%s\" is partitioned: materialize it without "
					  "--partition/--from/--to",
					  r->req->selection);
	}
	free(selected);
	return rc;
}

/* ---- dry run ------------------------------------------------------------------------- */

static void param_text(tr_buf *out, const tr_param *prm)
{
	switch (prm->type) {
	case TR_PARAM_TEXT:
		tr_buf_addc(out, '\'');
		for (const char *c = prm->text; *c; c++) {
			if (*c == '\'')
				tr_buf_addc(out, '\''); /* SQL's doubling, for display only */
			tr_buf_addc(out, *c);
		}
		tr_buf_addc(out, '\'');
		break;
	case TR_PARAM_TIMESTAMP: {
		time_t t = (time_t)(prm->value / 1000000);
		struct tm tm;
		char s[40];

		gmtime_r(&t, &tm);
		strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S", &tm);
		tr_buf_addf(out, "TIMESTAMP '%s'", s);
		break;
	}
	case TR_PARAM_BIGINT:
		tr_buf_addf(out, "%lld", (long long)prm->value);
		break;
	case TR_PARAM_TEXT_LIST:
		tr_buf_addc(out, '[');
		for (size_t k = 0; k < prm->list_len; k++) {
			tr_param one = {0};

			one.type = TR_PARAM_TEXT;
			one.text = prm->list[k];
			if (k)
				tr_buf_adds(out, ", ");
			param_text(out, &one);
		}
		tr_buf_addc(out, ']');
		break;
	}
}

static int dry_run(struct run *r, tr_error *err)
{
	tr_buf *out = r->req->plan_out;
	int rc = 0;

	tr_buf_addf(out, "plan: %zu step%s (dry run: nothing is written)\n", r->total,
		    r->total == 1 ? "" : "s");
	for (size_t k = 0; k < r->p->n_assets && !rc; k++) {
		size_t i = r->p->order[k];
		const tr_asset *a = &r->p->assets[i];
		tr_keyset_iter it;
		int64_t index;

		if (!r->pa[i].selected)
			continue;
		tr_keyset_iter_init(&it, &r->pa[i].keys);
		while (!rc && tr_keyset_iter_next(&it, &index)) {
			tr_partition_params pp;

			rc = tr_partition_params_make(r->p, i, r->pa[i].parts, index, &pp, err);
			if (rc)
				break;
			tr_buf_addf(out, "%s%s%s\n", a->name, pp.key[0] ? " " : "", pp.key);
			for (size_t n = 0; n < pp.n; n++) {
				tr_buf_addf(out, "  $%-28s = ", pp.params[n].name);
				param_text(out, &pp.params[n]);
				tr_buf_addc(out, '\n');
			}
			if (pp.slice)
				tr_buf_addf(out, "  slice: %s\n", pp.slice);
			tr_partition_params_release(&pp);
		}
	}
	return rc;
}

/* ---- cancel watcher ------------------------------------------------------------------ */

static void *watch_cancel(void *arg)
{
	struct run *r = arg;

	while (!atomic_load(&r->stop_watcher)) {
		if (*r->req->cancel) {
			tr_wconn_interrupt(r->conn);
			struct timespec ts = {0, 20 * 1000000};
			nanosleep(&ts, NULL);
			continue;
		}
		struct timespec ts = {0, 20 * 1000000};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static int canceled(const struct run *r)
{
	return r->req->cancel && *r->req->cancel;
}

/* ---- one step ------------------------------------------------------------------------ */

/* Writes a result table as metadata: a lone value as itself, else rows as objects. */
static void table_value(tr_json *j, const tr_table *t)
{
	if (t->nrows == 1 && t->ncols == 1) {
		const char *cell = t->cells[0];

		if (!cell) {
			tr_json_null(j);
		} else if (t->numeric[0]) {
			char *end;
			double d = strtod(cell, &end);

			if (*end == '\0' && end != cell)
				tr_json_double(j, d);
			else
				tr_json_string(j, cell);
		} else {
			tr_json_string(j, cell);
		}
		return;
	}
	tr_table_write_json(t, j);
}

static char *materialization_data(const tr_asset *a, const tr_load_result *res,
				  int64_t duration_ms)
{
	tr_buf b = TR_BUF_INIT;
	tr_json j;

	tr_json_init(&j, &b, 0);
	tr_json_object_begin(&j);
	tr_json_kv_int(&j, "row_count", res->row_count);
	tr_json_kv_int(&j, "rows_deleted", res->rows_deleted);
	if (res->stray_rows)
		tr_json_kv_int(&j, "rows_dropped_outside", res->stray_rows);
	tr_json_kv_int(&j, "duration_ms", duration_ms);
	if (a->code_version)
		tr_json_kv_string(&j, "code_version", a->code_version);
	tr_json_key(&j, "preview");
	tr_json_object_begin(&j);
	tr_json_key(&j, "columns");
	tr_json_array_begin(&j);
	for (size_t c = 0; c < res->preview.ncols; c++)
		tr_json_string(&j, res->preview.names[c]);
	tr_json_array_end(&j);
	tr_json_key(&j, "rows");
	tr_table_write_json(&res->preview, &j);
	tr_json_object_end(&j);
	if (res->n_metadata) {
		tr_json_key(&j, "metadata");
		tr_json_object_begin(&j);
		for (size_t m = 0; m < res->n_metadata && m < a->n_metadata; m++) {
			tr_json_key(&j, a->metadata[m].name);
			table_value(&j, &res->metadata[m]);
		}
		tr_json_object_end(&j);
	}
	tr_json_object_end(&j);
	if (tr_buf_failed(&b)) {
		tr_buf_release(&b);
		return NULL;
	}
	return tr_buf_detach(&b, NULL);
}

struct cmd_log {
	struct run *r;
	const char *asset, *partition;
	char last[240]; /* the last line of output (stderr preferred), for the failure message */
	int last_is_stderr;
};

static void on_cmd_line(void *ctx, int is_stderr, const char *line, size_t len)
{
	struct cmd_log *cl = ctx;
	struct batch *b = &cl->r->batch;
	tr_event *ev = batch_add(b, cl->r->run_id, "log", cl->asset, cl->partition);

	if (len && (is_stderr || !cl->last_is_stderr)) {
		snprintf(cl->last, sizeof(cl->last), "%.*s", (int)len, line);
		cl->last_is_stderr = is_stderr;
	}
	if (!ev)
		return;
	ev->message = batch_keep(b, strndup(line, len));
	ev->data = is_stderr ? "{\"stream\":\"stderr\"}" : "{\"stream\":\"stdout\"}";
}

static const char *format_of(const tr_asset *a)
{
	return a->output_format ? a->output_format : "csv";
}

/* Reads TRANCHE_MESSAGES: JSON lines {"log": ...}, {"metadata": {...}}, {"check": {...}}. */
static void read_messages(struct run *r, const tr_asset *a, const char *partition,
			  const char *path, tr_buf *extra_metadata)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0;

	if (!f)
		return; /* no messages */
	while ((len = getline(&line, &cap, f)) >= 0) {
		tr_node *doc = NULL;
		const tr_node *v;
		struct batch *b = &r->batch;
		tr_error perr = {0};

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (tr_node_parse(line, (size_t)len, "TRANCHE_MESSAGES", &doc, &perr) ||
		    doc->kind != TR_NODE_MAP) {
			tr_event *ev = batch_add(b, r->run_id, "log", a->name, partition);

			if (ev) {
				char msg[TR_ERROR_MSG_MAX + 64];

				snprintf(msg, sizeof(msg), "TRANCHE_MESSAGES line %d ignored: %s", lineno,
					 perr.msg[0] ? perr.msg : "not a JSON object");
				ev->message = batch_dup(b, msg);
				ev->data = "{\"level\":\"warning\"}";
			}
			tr_node_free(doc);
			continue;
		}
		if ((v = tr_node_get(doc, "log")) && v->kind == TR_NODE_SCALAR) {
			tr_event *ev = batch_add(b, r->run_id, "log", a->name, partition);

			if (ev)
				ev->message = batch_dup(b, v->scalar);
		} else if ((v = tr_node_get(doc, "metadata")) && v->kind == TR_NODE_MAP) {
			/* kept as text "name": "value" pairs; numbers stay numbers */
			for (size_t k = 0; k < v->n; k++) {
				const tr_node *val = tr_node_value(v, k);

				if (val->kind != TR_NODE_SCALAR)
					continue;
				if (extra_metadata->len)
					tr_buf_addc(extra_metadata, ',');
				tr_json_escape(extra_metadata, tr_node_key(v, k), strlen(tr_node_key(v, k)));
				tr_buf_addc(extra_metadata, ':');
				{
					char *end;

					strtod(val->scalar, &end); /* a number stays a number */
					if (!val->quoted && *val->scalar && *end == '\0')
						tr_buf_adds(extra_metadata, val->scalar);
					else
						tr_json_escape(extra_metadata, val->scalar,
							       strlen(val->scalar));
				}
			}
		} else if ((v = tr_node_get(doc, "check")) && v->kind == TR_NODE_MAP) {
			const tr_node *name = tr_node_get(v, "name");
			const tr_node *passed = tr_node_get(v, "passed");
			const tr_node *sev = tr_node_get(v, "severity");
			const tr_node *desc = tr_node_get(v, "description");
			int ok = 0;
			tr_event *ev;

			if (!name || name->kind != TR_NODE_SCALAR || tr_node_bool(passed, &ok)) {
				ev = batch_add(b, r->run_id, "log", a->name, partition);
				if (ev) {
					char msg[160];

					snprintf(msg, sizeof(msg),
						 "TRANCHE_MESSAGES line %d ignored: a check needs "
						 "\"name\" and \"passed\": true|false",
						 lineno);
					ev->message = batch_dup(b, msg);
					ev->data = "{\"level\":\"warning\"}";
				}
			} else {
				tr_buf d = TR_BUF_INIT;
				tr_json j;
				const char *severity =
					sev && sev->kind == TR_NODE_SCALAR && !strcmp(sev->scalar, "error")
						? "error"
						: "warn";

				tr_json_init(&j, &d, 0);
				tr_json_object_begin(&j);
				tr_json_kv_bool(&j, "passed", ok);
				tr_json_kv_string(&j, "severity", severity);
				tr_json_object_end(&j);
				ev = batch_add(b, r->run_id, "check", a->name, partition);
				if (ev) {
					char msg[TR_ERROR_MSG_MAX];

					snprintf(msg, sizeof(msg), "%s%s%s", ok ? "passed" : "failed",
						 desc && desc->kind == TR_NODE_SCALAR ? ": " : "",
						 desc && desc->kind == TR_NODE_SCALAR ? desc->scalar : "");
					ev->check = batch_dup(b, name->scalar);
					ev->message = batch_dup(b, msg);
					ev->data = batch_keep(b, tr_buf_detach(&d, NULL));
				}
				tr_buf_release(&d);
				if (!ok)
					r->report->checks_failed++;
			}
		}
		tr_node_free(doc);
	}
	free(line);
	fclose(f);
}

/* Runs a command asset's program; on success *file is where its rows are. */
static int run_command(struct run *r, size_t i, const tr_partition_params *pp, char **file,
		       tr_buf *extra_metadata, tr_error *err)
{
	const tr_asset *a = &r->p->assets[i];
	tr_buf dir = TR_BUF_INIT, out = TR_BUF_INIT, msgs = TR_BUF_INIT;
	char **env = NULL, **argv = NULL;
	size_t n_env = 0, max_env;
	struct cmd_log cl = {r, a->name, pp->key, "", 0};
	cmd_spec spec = {0};
	cmd_result res;
	struct stat sb;
	int rc = 0;

	*file = NULL;
	/* one directory per step: .tranche/runs/RUN/ASSET/N */
	tr_buf_addf(&dir, ".tranche/runs/%lld/%s/%lld", (long long)r->run_id, a->name,
		    (long long)(r->report->succeeded + r->report->failed + r->report->skipped));
	tr_buf_addf(&out, "%s/output.%s", tr_buf_str(&dir), format_of(a));
	tr_buf_addf(&msgs, "%s/messages.jsonl", tr_buf_str(&dir));
	if (tr_buf_failed(&dir) || tr_buf_failed(&out) || tr_buf_failed(&msgs)) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = tr_mkdir_parents(tr_buf_str(&out), err)))
		goto out;
	max_env = 16 + 2 * pp->n + a->n_env;
	env = calloc(max_env, sizeof(*env));
	argv = calloc(a->command_argc + 1, sizeof(*argv));
	if (!env || !argv) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < a->command_argc; k++)
		argv[k] = a->command[k];
#define ENV(...) (env[n_env] = NULL, asprintf(&env[n_env], __VA_ARGS__) < 0 ? (void)0 : (void)n_env++)
	ENV("TRANCHE_ASSET=%s", a->name);
	ENV("TRANCHE_RUN_ID=%lld", (long long)r->run_id);
	ENV("TRANCHE_PARTITION_KEY=%s", pp->key);
	ENV("TRANCHE_OUTPUT=%s", tr_buf_str(&out));
	ENV("TRANCHE_OUTPUT_FORMAT=%s", format_of(a));
	ENV("TRANCHE_MESSAGES=%s", tr_buf_str(&msgs));
	for (size_t k = 0; k < pp->n; k++) {
		const tr_param *prm = &pp->params[k];
		char name[128];
		size_t l = 0;

		if (prm->type == TR_PARAM_TEXT_LIST || !strcmp(prm->name, "partition_key"))
			continue;
		for (const char *c = prm->name; *c && l < sizeof(name) - 1; c++)
			name[l++] = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
		name[l] = '\0';
		if (prm->type == TR_PARAM_TEXT) {
			ENV("TRANCHE_%s=%s", name, prm->text);
		} else if (prm->type == TR_PARAM_TIMESTAMP) {
			time_t t = (time_t)(prm->value / 1000000);
			struct tm tm;
			char s[40];

			gmtime_r(&t, &tm);
			strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
			ENV("TRANCHE_%s=%s", name, s);
		}
	}
	for (size_t k = 0; k < a->n_env; k++)
		ENV("%s=%s", a->env[k].key, a->env[k].value);
#undef ENV
	unlink(tr_buf_str(&out));
	spec.argv = argv;
	spec.env_extra = env;
	spec.n_env_extra = n_env;
	spec.timeout_ms = a->timeout_ms;
	spec.cancel = r->req->cancel;
	spec.on_line = on_cmd_line;
	spec.ctx = &cl;
	rc = cmd_run(&spec, &res, err);
	if (rc)
		goto out;
	read_messages(r, a, pp->key, tr_buf_str(&msgs), extra_metadata);
	if (!res.exited || res.exit_status != 0) {
		char how[128];

		cmd_describe(&res, a->timeout_ms, how, sizeof(how));
		if (cl.last[0])
			rc = tr_error_set(err, TR_EIO, "the command %s (its last %s line: \"%s\"; all "
						       "of it: tranche logs %lld)",
					  how, cl.last_is_stderr ? "stderr" : "output", cl.last,
					  (long long)r->run_id);
		else
			rc = tr_error_set(err, TR_EIO, "the command %s", how);
		goto out;
	}
	if (stat(tr_buf_str(&out), &sb)) {
		rc = tr_error_set(err, TR_EIO,
				  "the command exited with status 0 but wrote no rows: it must write "
				  "them to $TRANCHE_OUTPUT (%s, format %s)",
				  tr_buf_str(&out), format_of(a));
		goto out;
	}
	*file = tr_buf_detach(&out, NULL);
out:
	for (size_t k = 0; env && k < n_env; k++)
		free(env[k]);
	free(env);
	free(argv);
	tr_buf_release(&dir);
	tr_buf_release(&out);
	tr_buf_release(&msgs);
	return rc;
}

/* Runs the checks of asset i for one partition; returns 1 when a blocking check failed. */
static int run_checks(struct run *r, size_t i, const tr_partition_params *pp)
{
	const tr_asset *a = &r->p->assets[i];
	int blocked = 0;

	for (size_t c = 0; c < a->n_checks; c++) {
		const tr_asset_check *chk = &a->checks[c];
		tr_table sample = {0};
		tr_error cerr = {0};
		int64_t failing = 0;
		tr_buf d = TR_BUF_INIT;
		tr_json j;
		tr_event *ev;
		int rc = tr_wconn_check(r->conn, chk->sql, pp->params, pp->n, CHECK_SAMPLE_ROWS,
					&failing, &sample, &cerr);
		int passed = !rc && failing == 0;

		tr_json_init(&j, &d, 0);
		tr_json_object_begin(&j);
		tr_json_kv_bool(&j, "passed", passed);
		tr_json_kv_string(&j, "severity", chk->severity_error ? "error" : "warn");
		if (!rc) {
			tr_json_kv_int(&j, "failing_rows", failing);
			if (failing) {
				tr_json_key(&j, "sample");
				tr_table_write_json(&sample, &j);
			}
		}
		tr_json_object_end(&j);
		ev = batch_add(&r->batch, r->run_id, "check", a->name, pp->key);
		if (ev) {
			char msg[TR_ERROR_MSG_MAX + 64];

			ev->check = chk->name;
			if (rc)
				snprintf(msg, sizeof(msg), "the check could not run: %s", cerr.msg);
			else if (failing)
				snprintf(msg, sizeof(msg), "%lld failing row%s", (long long)failing,
					 failing == 1 ? "" : "s");
			else
				snprintf(msg, sizeof(msg), "passed");
			ev->message = batch_dup(&r->batch, msg);
			ev->data = batch_keep(&r->batch, tr_buf_detach(&d, NULL));
		}
		tr_buf_release(&d);
		tr_table_release(&sample);
		if (!passed) {
			r->report->checks_failed++;
			if (chk->severity_error && chk->blocking)
				blocked = 1;
		}
	}
	return blocked;
}

static void note_error(struct run *r, const char *asset, const char *key, const char *msg)
{
	if (r->report->first_error)
		return;
	if (key && *key)
		(void)asprintf(&r->report->first_error, "asset %s partition %s: %s", asset, key, msg);
	else
		(void)asprintf(&r->report->first_error, "asset %s: %s", asset, msg);
}

/*
 * A query that reads a table that does not exist, where the table is an
 * upstream asset's that was never materialized: say so, and how to fix it.
 */
static void upstream_hint(struct run *r, size_t i, tr_error *err)
{
	const tr_asset *a = &r->p->assets[i];

	if (!strstr(err->msg, "does not exist"))
		return;
	for (size_t d = 0; d < a->n_deps; d++) {
		const tr_asset *up = &r->p->assets[a->deps[d].asset];

		if (tr_wconn_table_exists(r->conn, up->table, NULL) == 0) {
			size_t len = strlen(err->msg);

			snprintf(err->msg + len, sizeof(err->msg) - len,
				 " — upstream asset %s has not been materialized yet: include it, "
				 "e.g. tranche materialize +%s ...",
				 up->name, a->name);
			return;
		}
	}
}

/* Executes one step; returns its ST_* state. Storage errors end the run (*fatal). */
static int run_step(struct run *r, size_t i, int64_t index, int *fatal, tr_error *err)
{
	const tr_asset *a = &r->p->assets[i];
	tr_partition_params pp;
	tr_load load = {0};
	tr_load_result res;
	tr_buf extra = TR_BUF_INIT;
	char *file = NULL, *data = NULL;
	tr_error serr = {0};
	int64_t t0 = wall_ms();
	int state = ST_FAILED, blocked = 0, rc;
	tr_event *ev;

	memset(&res, 0, sizeof(res));
	rc = tr_partition_params_make(r->p, i, r->pa[i].parts, index, &pp, &serr);
	if (rc) {
		*fatal = 1;
		*err = serr;
		return ST_FAILED;
	}
	if (r->req->on_progress) {
		tr_progress pr = {r->total, r->report->succeeded + r->report->failed + r->report->skipped,
				  r->report->failed, r->report->skipped, a->name, pp.key,
				  wall_ms() - r->started_ms, 0, 0, NULL, 0, 0, 0, 0, 0, NULL, 0};
		r->req->on_progress(r->req->ctx, &pr);
	}
	batch_add(&r->batch, r->run_id, "step_start", a->name, pp.key);
	if ((rc = batch_flush(&r->batch, r->st, err))) {
		*fatal = 1;
		goto out;
	}

	load.table = a->table;
	load.slice = pp.slice;
	load.params = pp.params;
	load.n_params = pp.n;
	load.add_columns = a->add_columns;
	load.drop_outside = a->drop_outside;
	load.preview_rows = PREVIEW_ROWS;
	if (a->n_metadata) {
		tr_named_sql *md = calloc(a->n_metadata, sizeof(*md));

		for (size_t m = 0; md && m < a->n_metadata; m++) {
			md[m].name = a->metadata[m].name;
			md[m].sql = a->metadata[m].sql;
		}
		load.metadata = md;
		load.n_metadata = md ? a->n_metadata : 0;
	}
	switch (a->kind) {
	case TR_ASSET_SQL:
		load.source = TR_LOAD_QUERY;
		load.query = a->sql;
		break;
	case TR_ASSET_SCRIPT:
		load.source = TR_LOAD_SCRIPT;
		load.query = a->sql;
		break;
	case TR_ASSET_COMMAND:
		load.source = TR_LOAD_FILE;
		load.file_format = format_of(a);
		rc = run_command(r, i, &pp, &file, &extra, &serr);
		load.file = file;
		break;
	}
	if (!rc && canceled(r))
		rc = tr_error_set(&serr, TR_EIO, "canceled");
	if (!rc)
		rc = tr_wconn_load(r->conn, &load, &res, &serr);
	if (rc && canceled(r)) {
		/* not a failure: the partition stays in progress until the run ends
		   "canceled", which gives it back its previous status */
		ev = batch_add(&r->batch, r->run_id, "log", a->name, pp.key);
		if (ev)
			ev->message = "canceled: the partition was rolled back, nothing was written";
		state = ST_PENDING;
	} else if (rc) {
		upstream_hint(r, i, &serr);
		ev = batch_add(&r->batch, r->run_id, "step_failure", a->name, pp.key);
		if (ev)
			ev->message = batch_dup(&r->batch, serr.msg);
		note_error(r, a->name, pp.key, serr.msg);
		if (r->req->on_progress) {
			tr_progress pr = {r->total,
					  r->report->succeeded + r->report->failed + r->report->skipped + 1,
					  r->report->failed + 1, r->report->skipped, a->name, pp.key,
					  wall_ms() - r->started_ms, 1, 0, serr.msg, 0, 0, 0, 0, 0, NULL, 0};
			r->req->on_progress(r->req->ctx, &pr);
		}
	} else {
		data = materialization_data(a, &res, wall_ms() - t0);
		if (data && extra.len) {
			/* metadata reported by the command joins the recorded metadata */
			tr_buf merged = TR_BUF_INIT;
			size_t dl = strlen(data);

			tr_buf_add(&merged, data, dl - 1);
			tr_buf_addf(&merged, ",\"reported\":{%s}}", tr_buf_str(&extra));
			free(data);
			data = tr_buf_detach(&merged, NULL);
		}
		ev = batch_add(&r->batch, r->run_id, "materialization", a->name, pp.key);
		if (ev) {
			char msg[64];

			snprintf(msg, sizeof(msg), "%lld row%s", (long long)res.row_count,
				 res.row_count == 1 ? "" : "s");
			ev->message = batch_dup(&r->batch, msg);
			ev->data = batch_keep(&r->batch, data);
			data = NULL;
		}
		batch_add(&r->batch, r->run_id, "step_success", a->name, pp.key);
		blocked = run_checks(r, i, &pp);
		state = ST_OK;
		if (r->req->on_progress) {
			tr_progress pr = {r->total,
					  r->report->succeeded + r->report->failed + r->report->skipped + 1,
					  r->report->failed, r->report->skipped, a->name, pp.key,
					  wall_ms() - r->started_ms, 1, 1, NULL, 0, 0, 0, 0, 0, NULL, 0};
			r->req->on_progress(r->req->ctx, &pr);
		}
	}
	if ((rc = batch_flush(&r->batch, r->st, err)))
		*fatal = 1;
	if (state == ST_OK && blocked)
		state = ST_BLOCKED; /* downstream must not run */
out:
	free(data);
	free(file);
	free((void *)load.metadata);
	tr_buf_release(&extra);
	tr_load_result_release(&res);
	tr_partition_params_release(&pp);
	return state;
}

/* Partitions of asset i that cannot run because something upstream went wrong. */
static int blocked_keys(struct run *r, size_t i, tr_keyset *out, int *all, char *reason,
			size_t reason_size, tr_error *err)
{
	const tr_asset *a = &r->p->assets[i];
	int rc = 0;

	*all = 0;
	reason[0] = '\0';
	for (size_t d = 0; d < a->n_deps && !rc && !*all; d++) {
		size_t u = a->deps[d].asset;
		struct plan_asset *up = &r->pa[u], *down = &r->pa[i];
		tr_keyset mapped;

		if (!up->selected || (!up->bad_unpartitioned && tr_keyset_is_empty(&up->bad)))
			continue;
		if (!reason[0])
			snprintf(reason, reason_size, "upstream %s %s", r->p->assets[u].name,
				 up->why & WHY_FAILED ? "failed"
				 : up->why & WHY_CHECK ? "failed a blocking check"
						       : "was skipped");
		if (!up->parts || !down->parts) {
			*all = 1; /* an unpartitioned side reads (or is read by) everything */
			break;
		}
		tr_keyset_init(&mapped);
		rc = tr_mapping_downstream(a->deps[d].mapping, up->parts, down->parts, &up->bad,
					   &mapped, err);
		if (!rc) {
			tr_keyset merged;

			tr_keyset_init(&merged);
			rc = tr_keyset_union(&merged, out, &mapped);
			if (!rc) {
				tr_keyset_release(out);
				*out = merged;
			} else {
				tr_keyset_release(&merged);
			}
		}
		tr_keyset_release(&mapped);
	}
	return rc;
}

static int execute(struct run *r, tr_error *err)
{
	int rc = 0, fatal = 0;

	for (size_t k = 0; k < r->p->n_assets && !fatal; k++) {
		size_t i = r->p->order[k];
		struct plan_asset *pa = &r->pa[i];
		const tr_asset *a = &r->p->assets[i];
		tr_keyset blocked;
		tr_keyset_iter it;
		int64_t index;
		int all_blocked = 0;
		char reason[200], why[240];

		if (!pa->selected)
			continue;
		tr_keyset_init(&blocked);
		rc = blocked_keys(r, i, &blocked, &all_blocked, reason, sizeof(reason), err);
		snprintf(why, sizeof(why), "skipped: %s", reason);
		if (rc) {
			tr_keyset_release(&blocked);
			break;
		}
		tr_keyset_iter_init(&it, &pa->keys);
		while (!fatal && tr_keyset_iter_next(&it, &index)) {
			int state;

			if (canceled(r)) {
				r->report->canceled = 1;
				break;
			}
			if (all_blocked || tr_keyset_contains(&blocked, index)) {
				tr_partition_params pp;
				tr_event *ev;

				if (tr_partition_params_make(r->p, i, pa->parts, index, &pp, err)) {
					fatal = 1;
					break;
				}
				ev = batch_add(&r->batch, r->run_id, "step_skipped", a->name, pp.key);
				if (ev)
					ev->message = batch_dup(&r->batch, reason);
				if (r->req->on_progress) {
					tr_progress pr = {
						r->total,
						r->report->succeeded + r->report->failed + r->report->skipped + 1,
						r->report->failed, r->report->skipped + 1, a->name, pp.key,
						wall_ms() - r->started_ms, 1, 0, why, 0, 0, 0, 0, 0, NULL, 0};
					r->req->on_progress(r->req->ctx, &pr);
				}
				rc = batch_flush(&r->batch, r->st, err);
				tr_partition_params_release(&pp);
				if (rc) {
					fatal = 1;
					break;
				}
				state = ST_SKIPPED;
			} else {
				state = run_step(r, i, index, &fatal, err);
			}
			if (state == ST_PENDING) {
				r->report->canceled = 1;
				break;
			}
			if (state == ST_OK)
				r->report->succeeded++;
			else if (state == ST_FAILED)
				r->report->failed++;
			else if (state == ST_SKIPPED)
				r->report->skipped++;
			else
				r->report->succeeded++; /* ST_BLOCKED: written, but a blocking check failed */
			if (state != ST_OK) {
				pa->why |= state == ST_FAILED ? WHY_FAILED
					   : state == ST_BLOCKED ? WHY_CHECK
								 : WHY_SKIPPED;
				if (pa->parts)
					tr_keyset_add(&pa->bad, index);
				else
					pa->bad_unpartitioned = 1;
			}
		}
		tr_keyset_release(&blocked);
		if (r->report->canceled)
			break;
	}
	if (canceled(r))
		r->report->canceled = 1;
	return fatal ? (rc ? rc : err->code ? err->code : TR_EIO) : 0;
}

static int start_run(struct run *r, tr_error *err)
{
	tr_buf pick = TR_BUF_INIT;
	char host[256] = "";
	tr_run run = {0};
	int rc;

	gethostname(host, sizeof(host) - 1);
	run.selection = (char *)r->req->selection;
	run.partitions = (char *)pick_text(r->req, &pick);
	run.launched_by = (char *)(r->req->launched_by ? r->req->launched_by : "api");
	run.host = host;
	run.pid = getpid();
	run.created_at = r->started_ms;
	run.steps_total = (int64_t)r->total;
	rc = tr_storage_run_create(r->st, &run, &r->run_id, err);
	tr_buf_release(&pick);
	if (rc)
		return rc;
	r->report->run_id = r->run_id;
	batch_add(&r->batch, r->run_id, "run_start", NULL, NULL);
	return batch_flush(&r->batch, r->st, err);
}

static int finish_run(struct run *r, tr_error *err)
{
	tr_run run = {0};
	const char *status = r->report->canceled ? "canceled"
			     : r->report->failed || r->report->skipped ? "failure"
								       : "success";
	char type[32];
	int rc;

	snprintf(type, sizeof(type), "run_%s", status);
	batch_add(&r->batch, r->run_id, type, NULL, NULL);
	rc = batch_flush(&r->batch, r->st, err);
	run.status = (char *)status;
	run.ended_at = wall_ms();
	run.steps_total = (int64_t)r->total;
	run.steps_succeeded = (int64_t)r->report->succeeded;
	run.steps_failed = (int64_t)r->report->failed;
	run.steps_skipped = (int64_t)r->report->skipped;
	run.error = r->report->first_error;
	if (tr_storage_run_finish(r->st, r->run_id, &run, rc ? NULL : err) && !rc)
		rc = err->code;
	return rc;
}

int tr_materialize(const tr_project *p, tr_storage *st, tr_warehouse *wh,
		   const tr_run_request *req, tr_run_report *report, tr_error *err)
{
	struct run r;
	int rc;

	memset(report, 0, sizeof(*report));
	memset(&r, 0, sizeof(r));
	r.p = p;
	r.st = st;
	r.wh = wh;
	r.req = req;
	r.report = report;
	r.started_ms = wall_ms();
	if (!req->selection || !*req->selection)
		return tr_error_set(err, TR_EINVAL, "no selection: name the assets to materialize "
						    "(\"*\" for all of them)");
	r.pa = calloc(p->n_assets ? p->n_assets : 1, sizeof(*r.pa));
	if (!r.pa)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	for (size_t i = 0; i < p->n_assets; i++) {
		tr_keyset_init(&r.pa[i].keys);
		tr_keyset_init(&r.pa[i].bad);
	}
	if (!req->dry_run && (rc = tr_storage_runs_reap(st, r.started_ms, NULL, err)))
		goto out;
	if ((rc = plan(&r, err)))
		goto out;
	report->total = r.total;
	if (req->dry_run) {
		rc = req->plan_out ? dry_run(&r, err) : 0;
		goto out;
	}
	if (r.total == 0)
		goto out;
	if ((rc = tr_warehouse_connect(wh, &r.conn, err)))
		goto out;
	if ((rc = start_run(&r, err)))
		goto out;
	if (req->cancel) {
		atomic_store(&r.stop_watcher, 0);
		r.watching = !pthread_create(&r.watcher, NULL, watch_cancel, &r);
	}
	rc = execute(&r, err);
	if (r.watching) {
		atomic_store(&r.stop_watcher, 1);
		pthread_join(r.watcher, NULL);
	}
	{
		tr_error ferr = {0};

		if (finish_run(&r, &ferr) && !rc) {
			*err = ferr;
			rc = ferr.code;
		}
	}
out:
	tr_wconn_close(r.conn);
	for (size_t i = 0; i < p->n_assets; i++) {
		tr_partitions_free(r.pa[i].parts);
		tr_keyset_release(&r.pa[i].keys);
		tr_keyset_release(&r.pa[i].bad);
	}
	free(r.pa);
	batch_release(&r.batch);
	return rc;
}
