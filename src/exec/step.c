/*
 * step.c — running one step on a worker thread: bind the partition's
 * parameters, run a command asset's program (or fetch an http asset's URL:
 * http.c), load the rows through the
 * warehouse in one transaction, compute metadata, run the checks. Events go
 * into the step's own batch; the executor writes them to instance storage
 * (a worker never touches it).
 *
 * A step over several partitions (a backfill policy's range) writes them in
 * one transaction and records each partition's events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/node.h"
#include "exec/exec_int.h"
#include "tranche/json.h"

#define PREVIEW_ROWS 10
/*
 * A run of more steps than this of one asset (a backfill) keeps the preview
 * of its last step only: reading it costs a query per step (0.3-0.5 ms, a
 * tenth of a 10,000-row partition's load), and the latest is the one shown.
 */
#define PREVIEW_ALL_STEPS 100
#define CHECK_SAMPLE_ROWS 5

struct sx {
	const struct step_env *env;
	struct step *s;
	size_t step_id;
	const tr_partition_params *pp;
	const tr_partitions *parts;
	const char *label; /* pp->key, kept in the step's batch (events outlive pp) */
};

/* The partition keys of the step, one event each: calls add(ctx, key). */
static int each_key(struct sx *r, void (*add)(struct sx *r, const char *key, void *ctx), void *ctx)
{
	if (!r->parts || r->s->count == 1) {
		const char *key = batch_dup(&r->s->events, r->pp->key);

		if (!key)
			return TR_ENOMEM;
		add(r, key, ctx);
		return 0;
	}
	for (int64_t k = 0; k < r->s->count; k++) {
		tr_buf key = TR_BUF_INIT;

		if (tr_partitions_key(r->parts, r->s->first + k * r->s->stride, &key, NULL) ||
		    tr_buf_failed(&key)) {
			tr_buf_release(&key);
			return TR_ENOMEM;
		}
		add(r, batch_keep(&r->s->events, tr_buf_detach(&key, NULL)), ctx);
	}
	return 0;
}

struct check_ctx {
	const char *check, *msg, *data;
};

static void add_check(struct sx *r, const char *key, void *ctx)
{
	struct check_ctx *c = ctx;
	tr_event *ev = batch_add(&r->s->events, r->env->run_id, "check",
				 r->env->p->assets[r->s->asset].name, key);

	if (ev) {
		ev->check = c->check;
		ev->message = c->msg;
		ev->data = c->data;
	}
}

/* One check result, recorded for every partition of the step. */
static void check_events(struct sx *r, const char *check, const char *msg, char *data)
{
	struct check_ctx c;

	c.check = batch_dup(&r->s->events, check);
	c.msg = batch_dup(&r->s->events, msg);
	c.data = batch_keep(&r->s->events, data);
	if (each_key(r, add_check, &c))
		r->s->events.failed = 1;
}

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
	if (res->preview.ncols) { /* not kept for every step of a backfill */
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
	}
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
	struct sx *r;
	const char *asset, *partition;
	char last[240]; /* the last line of output (stderr preferred), for the failure message */
	int last_is_stderr;
};

static void on_cmd_line(void *ctx, int is_stderr, const char *line, size_t len)
{
	struct cmd_log *cl = ctx;
	struct batch *b = &cl->r->s->events;
	tr_event *ev = batch_add(b, cl->r->env->run_id, "log", cl->asset, cl->partition);

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
static void read_messages(struct sx *r, const tr_asset *a, const char *partition,
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
		struct batch *b = &r->s->events;
		tr_error perr = {0};

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (tr_node_parse(line, (size_t)len, "TRANCHE_MESSAGES", &doc, &perr) ||
		    doc->kind != TR_NODE_MAP) {
			tr_event *ev = batch_add(b, r->env->run_id, "log", a->name, partition);

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
			tr_event *ev = batch_add(b, r->env->run_id, "log", a->name, partition);

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
				ev = batch_add(b, r->env->run_id, "log", a->name, partition);
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
				{
					char msg[TR_ERROR_MSG_MAX];

					snprintf(msg, sizeof(msg), "%s%s%s", ok ? "passed" : "failed",
						 desc && desc->kind == TR_NODE_SCALAR ? ": " : "",
						 desc && desc->kind == TR_NODE_SCALAR ? desc->scalar : "");
					check_events(r, name->scalar, msg, tr_buf_detach(&d, NULL));
				}
				tr_buf_release(&d);
				if (!ok)
					r->s->checks_failed++;
			}
		}
		tr_node_free(doc);
	}
	free(line);
	fclose(f);
}

/* Runs a command asset's program; on success *file is where its rows are. */
static int run_command(struct sx *r, size_t i, const tr_partition_params *pp, char **file,
		       tr_buf *extra_metadata, tr_error *err)
{
	const tr_asset *a = &r->env->p->assets[i];
	tr_buf dir = TR_BUF_INIT, out = TR_BUF_INIT, msgs = TR_BUF_INIT;
	char **env = NULL, **argv = NULL;
	size_t n_env = 0, max_env;
	struct cmd_log cl = {r, a->name, r->label, "", 0};
	cmd_spec spec = {0};
	cmd_result res;
	struct stat sb;
	int rc = 0;

	*file = NULL;
	/* one directory per step: .tranche/runs/RUN/ASSET/STEP-ATTEMPT */
	tr_buf_addf(&dir, ".tranche/runs/%lld/%s/%zu-%u", (long long)r->env->run_id, a->name,
		    r->step_id, (unsigned)r->s->attempts);
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
	ENV("TRANCHE_RUN_ID=%lld", (long long)r->env->run_id);
	ENV("TRANCHE_PARTITION_KEY=%s", pp->key);
	ENV("TRANCHE_OUTPUT=%s", tr_buf_str(&out));
	ENV("TRANCHE_OUTPUT_FORMAT=%s", format_of(a));
	ENV("TRANCHE_MESSAGES=%s", tr_buf_str(&msgs));
	for (size_t k = 0; k < pp->n; k++) {
		const tr_param *prm = &pp->params[k];
		char name[128];
		size_t l = 0;

		if (!strcmp(prm->name, "partition_key"))
			continue;
		for (const char *c = prm->name; *c && l < sizeof(name) - 1; c++)
			name[l++] = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
		name[l] = '\0';
		if (prm->type == TR_PARAM_TEXT_LIST) {
			/* a JSON array: ["2024-01-01","2024-01-02"] */
			tr_buf list = TR_BUF_INIT;

			tr_buf_addc(&list, '[');
			for (size_t e = 0; e < prm->list_len; e++) {
				if (e)
					tr_buf_addc(&list, ',');
				tr_json_escape(&list, prm->list[e], strlen(prm->list[e]));
			}
			tr_buf_addc(&list, ']');
			ENV("TRANCHE_%s=%s", name, tr_buf_str(&list));
			tr_buf_release(&list);
		} else if (prm->type == TR_PARAM_TEXT) {
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
	spec.cancel = r->env->cancel;
	spec.on_line = on_cmd_line;
	spec.ctx = &cl;
	rc = cmd_run(&spec, &res, err);
	if (rc)
		goto out;
	read_messages(r, a, r->label, tr_buf_str(&msgs), extra_metadata);
	if (!res.exited || res.exit_status != 0) {
		char how[128];

		cmd_describe(&res, a->timeout_ms, how, sizeof(how));
		if (cl.last[0])
			rc = tr_error_set(err, TR_EIO, "the command %s (its last %s line: \"%s\"; all "
						       "of it: tranche logs %lld)",
					  how, cl.last_is_stderr ? "stderr" : "output", cl.last,
					  (long long)r->env->run_id);
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
static int run_checks(struct sx *r, size_t i, const tr_partition_params *pp)
{
	const tr_asset *a = &r->env->p->assets[i];
	int blocked = 0;

	for (size_t c = 0; c < a->n_checks; c++) {
		const tr_asset_check *chk = &a->checks[c];
		tr_table sample = {0};
		tr_error cerr = {0};
		int64_t failing = 0;
		tr_buf d = TR_BUF_INIT;
		tr_json j;
		int rc = tr_wconn_check(r->env->conn, chk->sql, pp->params, pp->n, CHECK_SAMPLE_ROWS,
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
		{
			char msg[TR_ERROR_MSG_MAX + 64];

			if (rc)
				snprintf(msg, sizeof(msg), "the check could not run: %s", cerr.msg);
			else if (failing)
				snprintf(msg, sizeof(msg), "%lld failing row%s", (long long)failing,
					 failing == 1 ? "" : "s");
			else
				snprintf(msg, sizeof(msg), "passed");
			check_events(r, chk->name, msg, tr_buf_detach(&d, NULL));
		}
		tr_buf_release(&d);
		tr_table_release(&sample);
		if (!passed) {
			r->s->checks_failed++;
			if (chk->severity_error && chk->blocking)
				blocked = 1;
		}
	}
	return blocked;
}

/*
 * A query that reads a table that does not exist, where the table is an
 * upstream asset's that was never materialized: say so, and how to fix it.
 */
static void upstream_hint(struct sx *r, size_t i, tr_error *err)
{
	const tr_asset *a = &r->env->p->assets[i];

	if (!strstr(err->msg, "does not exist"))
		return;
	for (size_t d = 0; d < a->n_deps; d++) {
		const tr_asset *up = &r->env->p->assets[a->deps[d].asset];

		if (tr_wconn_table_exists(r->env->conn, up->table, NULL) == 0) {
			size_t len = strlen(err->msg);

			snprintf(err->msg + len, sizeof(err->msg) - len,
				 " — upstream asset %s has not been materialized yet: include it, "
				 "e.g. tranche materialize +%s ...",
				 up->name, a->name);
			return;
		}
	}
}

struct mat_ctx {
	const char *data, *msg;
};

static void add_materialization(struct sx *r, const char *key, void *ctx)
{
	struct mat_ctx *m = ctx;
	tr_event *ev = batch_add(&r->s->events, r->env->run_id, "materialization",
				 r->env->p->assets[r->s->asset].name, key);

	if (ev) {
		ev->message = m->msg;
		ev->data = m->data;
	}
	batch_add(&r->s->events, r->env->run_id, "step_success", r->env->p->assets[r->s->asset].name,
		  key);
}

static int canceled(const struct step_env *env)
{
	return env->cancel && *env->cancel;
}

int step_execute(const struct step_env *env, struct step *s, size_t step_id, tr_error *err)
{
	const tr_asset *a = &env->p->assets[s->asset];
	const struct plan_asset *pa = &env->pl->pa[s->asset];
	tr_partition_params pp;
	tr_load load = {0};
	tr_load_result res;
	tr_buf extra = TR_BUF_INIT;
	char *file = NULL, *data = NULL;
	tr_error serr = {0};
	int64_t t0 = exec_wall_ms();
	struct sx r = {env, s, step_id, &pp, pa->parts, ""};
	int blocked = 0, rc;

	memset(&res, 0, sizeof(res));
	free(s->error);
	s->error = NULL;
	s->checks_failed = 0;
	rc = tr_partition_params_make_range(env->p, s->asset, pa->parts, s->first, s->count,
					    s->stride, &pp, err);
	if (rc)
		return rc;
	r.label = batch_dup(&s->events, pp.key);
	load.table = a->table;
	load.slice = pp.slice;
	load.params = pp.params;
	load.n_params = pp.n;
	load.add_columns = a->add_columns;
	load.drop_outside = a->drop_outside;
	load.preview_rows = pa->n_steps <= PREVIEW_ALL_STEPS ||
					    step_id + 1 == pa->first_step + pa->n_steps
				    ? PREVIEW_ROWS
				    : 0;
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
		rc = run_command(&r, s->asset, &pp, &file, &extra, &serr);
		load.file = file;
		break;
	case TR_ASSET_HTTP: {
		/* fetched into the temporary table `response`, which load.query reads */
		struct http_step hs = {env, s, step_id, &pp, r.label, &extra};

		rc = http_step_begin(&hs, &load, &serr);
		break;
	}
	}
	if (!rc && canceled(env))
		rc = tr_error_set(&serr, TR_EIO, "canceled");
	/* TIMESTAMPTZ columns meet the slice's wall-clock bounds in the partitions' zone */
	if (!rc)
		rc = tr_wconn_set_timezone(env->conn, tr_asset_timezone(a), &serr);
	/* (two workers creating one table at once: the warehouse retries that) */
	if (!rc)
		rc = tr_wconn_load(env->conn, &load, &res, &serr);
	if (a->kind == TR_ASSET_HTTP)
		http_step_end(env->conn);
	if (rc && canceled(env)) {
		/* not a failure: the partitions stay in progress until the run ends
		   "canceled", which gives them back their previous status */
		tr_event *ev = batch_add(&s->events, env->run_id, "log", a->name, r.label);

		if (ev)
			ev->message = "canceled: the partition was rolled back, nothing was written";
		s->state = ST_CANCELED;
	} else if (rc) {
		upstream_hint(&r, s->asset, &serr);
		if (s->count > 1 && strstr(serr.msg, "$partition_key,"))
			snprintf(serr.msg + strlen(serr.msg), sizeof(serr.msg) - strlen(serr.msg),
				 " — this step covers %lld partitions (backfill policy %s): use "
				 "$partition_start/$partition_end or $partition_keys",
				 (long long)s->count,
				 a->backfill.kind == TR_POLICY_SINGLE_RUN ? "single_run" : "multi_run");
		s->error = strdup(serr.msg);
		s->state = ST_FAILED;
	} else {
		struct mat_ctx m;
		char msg[64];

		data = materialization_data(a, &res, exec_wall_ms() - t0);
		if (data && extra.len) {
			/* metadata reported by the command joins the recorded metadata */
			tr_buf merged = TR_BUF_INIT;
			size_t dl = strlen(data);

			tr_buf_add(&merged, data, dl - 1);
			tr_buf_addf(&merged, ",\"%s\":{%s}}",
				    a->kind == TR_ASSET_HTTP ? "http" : "reported", tr_buf_str(&extra));
			free(data);
			data = tr_buf_detach(&merged, NULL);
		}
		snprintf(msg, sizeof(msg), "%lld row%s", (long long)res.row_count,
			 res.row_count == 1 ? "" : "s");
		m.msg = batch_dup(&s->events, msg);
		m.data = batch_keep(&s->events, data);
		data = NULL;
		rc = each_key(&r, add_materialization, &m);
		if (rc) {
			rc = tr_error_set(err, TR_ENOMEM, "out of memory");
			goto out;
		}
		blocked = run_checks(&r, s->asset, &pp);
		s->state = blocked ? ST_BLOCKED : ST_OK;
	}
	rc = s->events.failed ? tr_error_set(err, TR_ENOMEM, "out of memory recording events") : 0;
out:
	free(data);
	free(file);
	free((void *)load.metadata);
	tr_buf_release(&extra);
	tr_load_result_release(&res);
	tr_partition_params_release(&pp);
	return rc;
}
