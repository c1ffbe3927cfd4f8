/*
 * client.c — the CLI's side of `tranche serve` (tranche/server.h): finding
 * the server advertised for a project, running a materialize or backfill
 * through it with libcurl, following the run's event stream so that the
 * command shows the same progress and summary as a local run, and the
 * warehouse commands (query, wipe, adopt), one request each, whose answers
 * come back as the structures the local commands print from.
 *
 * The stream is read as Server-Sent Events: lines "event: X" and "data: J"
 * up to a blank line make a frame. `progress` frames carry the executor's
 * reports (turned back into tr_progress for req->on_progress), `summary` the
 * run's report, `end` closes. Ctrl-C (req->cancel) sends one POST
 * /api/runs/ID/cancel from the transfer's progress callback and keeps
 * reading until the run ends.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base/node.h"
#include "tranche/json.h"
#include "tranche/server.h"
#include "tranche/time.h"

#define ANSWER_MAX ((size_t)16 << 20)

/* ---- finding the server -------------------------------------------------------------------- */

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

/* 1 when something answers HTTP at url (any status: a token may be needed). */
static int answers(const char *url)
{
	CURL *h = curl_easy_init();
	tr_buf u = TR_BUF_INIT;
	long status = 0;

	if (!h)
		return 0;
	tr_buf_addf(&u, "%s/api/health", url);
	curl_easy_setopt(h, CURLOPT_URL, tr_buf_str(&u));
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 3000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	tr_buf_release(&u);
	return status > 0;
}

int tr_client_find(const char *project_dir, char **url, int *token_required, tr_error *err)
{
	tr_buf path = TR_BUF_INIT, text = TR_BUF_INIT;
	FILE *f;
	char chunk[4096];
	size_t n;
	tr_node *doc = NULL;
	const tr_node *v;
	int64_t pid = 0;
	int rc = 0, tr = 0;

	*url = NULL;
	*token_required = 0;
	tr_buf_addf(&path, "%s/.tranche/server.json", project_dir);
	f = fopen(tr_buf_str(&path), "r");
	if (!f) {
		rc = errno == ENOENT ? 0 : tr_error_set(err, TR_EIO, "cannot read %s: %s",
							tr_buf_str(&path), strerror(errno));
		goto out;
	}
	text.max = 65536;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		tr_buf_add(&text, chunk, n);
	fclose(f);
	if (tr_buf_failed(&text) || tr_node_parse(text.data ? text.data : "", text.len,
						  tr_buf_str(&path), &doc, err)) {
		rc = tr_error_set(err, TR_EIO, "%s is not a tranche server file (remove it if no "
					       "tranche serve runs)",
				  tr_buf_str(&path));
		goto out;
	}
	v = tr_node_get(doc, "url");
	if (tr_node_int(tr_node_get(doc, "pid"), &pid) || pid <= 0 || !v ||
	    v->kind != TR_NODE_SCALAR || strncmp(v->scalar, "http://", 7)) {
		rc = tr_error_set(err, TR_EIO, "%s: no pid and url in it (remove it if no tranche "
					       "serve runs)",
				  tr_buf_str(&path));
		goto out;
	}
	tr_node_bool(tr_node_get(doc, "token_required"), &tr);
	/* a file left by a process that is gone (killed) is not a server */
	if (kill((pid_t)pid, 0) && errno == ESRCH)
		goto out;
	if (!answers(v->scalar))
		goto out;
	*url = strdup(v->scalar);
	*token_required = tr;
	rc = *url ? 1 : tr_error_set(err, TR_ENOMEM, "out of memory");
out:
	tr_node_free(doc);
	tr_buf_release(&path);
	tr_buf_release(&text);
	return rc;
}

/* ---- requests ------------------------------------------------------------------------------ */

static size_t collect(char *p, size_t size, size_t n, void *ctx)
{
	tr_buf *b = ctx;

	tr_buf_add(b, p, size * n);
	return tr_buf_failed(b) ? 0 : size * n;
}

static struct curl_slist *headers_for(const char *token, int json)
{
	struct curl_slist *h = NULL;
	tr_buf auth = TR_BUF_INIT;

	if (json)
		h = curl_slist_append(h, "Content-Type: application/json");
	if (token && *token) {
		tr_buf_addf(&auth, "Authorization: Bearer %s", token);
		h = curl_slist_append(h, tr_buf_str(&auth));
	}
	tr_buf_release(&auth);
	return h;
}

/* One request; *status and the answer's bytes (appended to out) on success. */
static int request_raw(const char *url, const char *token, const char *path, const char *body,
		       long *status, tr_buf *out, tr_error *err)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = headers_for(token, body != NULL);
	tr_buf u = TR_BUF_INIT;
	CURLcode cc;
	int rc = 0;

	*status = 0;
	if (!h) {
		curl_slist_free_all(hdr);
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	}
	out->max = ANSWER_MAX;
	tr_buf_addf(&u, "%s%s", url, path);
	curl_easy_setopt(h, CURLOPT_URL, tr_buf_str(&u));
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		rc = tr_error_set(err, TR_EIO, "the tranche server at %s: %s", url,
				  cc == CURLE_WRITE_ERROR && tr_buf_failed(out)
					  ? "its answer is larger than the client takes"
					  : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
out:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	tr_buf_release(&u);
	return rc;
}

/* One request; *status and *answer (a parsed JSON object, or NULL) on success. */
static int request(const char *url, const char *token, const char *path, const char *body,
		   long *status, tr_node **answer, tr_error *err)
{
	tr_buf out = TR_BUF_INIT;
	int rc;

	*answer = NULL;
	rc = request_raw(url, token, path, body, status, &out, err);
	if (!rc &&
	    tr_node_parse(out.data ? out.data : "", out.len, "the server's answer", answer, NULL))
		*answer = NULL;
	tr_buf_release(&out);
	return rc;
}

/*
 * The error of a refused request as the server said it. Error codes that
 * say more than the status: query_failed (SQL that failed while running: an
 * I/O error, as a local query gives it) and read_only (a query that writes).
 */
static int refused(long status, const tr_node *answer, const char *url, tr_error *err)
{
	const tr_node *msg = tr_node_get(tr_node_get(answer, "error"), "message");
	const tr_node *name = tr_node_get(tr_node_get(answer, "error"), "code");
	int code = status == 404 ? TR_ENOTFOUND : status >= 500 || status == 401 ? TR_EIO
										 : TR_EINVAL;
	const char *hint = status == 401 ? " (set TRANCHE_TOKEN to the server's token)" : "";
	tr_buf more = TR_BUF_INIT;

	if (name && name->kind == TR_NODE_SCALAR && !strcmp(name->scalar, "query_failed"))
		code = TR_EIO;
	if (name && name->kind == TR_NODE_SCALAR && !strcmp(name->scalar, "read_only")) {
		tr_buf_addf(&more, " (tranche serve runs for this project at %s and owns the "
				   "warehouse: it answers queries that read; stop it to run statements "
				   "that write)",
			    url);
		hint = tr_buf_str(&more);
	}
	if (msg && msg->kind == TR_NODE_SCALAR)
		tr_error_set(err, code, "%s%s", msg->scalar, hint);
	else
		tr_error_set(err, code, "the tranche server at %s answered HTTP %ld", url, status);
	tr_buf_release(&more);
	return code;
}

static int node_flag(const tr_node *obj, const char *key)
{
	int b = 0;

	tr_node_bool(tr_node_get(obj, key), &b);
	return b;
}

/* ---- following a run --------------------------------------------------------------------------- */

struct follow {
	const char *url, *token;
	const tr_run_request *req;
	tr_run_report *report;
	int64_t run_id;
	tr_buf line;     /* the line being read */
	tr_buf event;    /* the frame's event type */
	tr_buf data;     /* the frame's data */
	int ended, summary, cancel_sent;
	tr_error cancel_err;
};

static void on_summary(struct follow *fw, const tr_node *s)
{
	tr_run_report *r = fw->report;
	const tr_node *steps = tr_node_get(s, "steps"), *parts = tr_node_get(s, "partitions");
	const char *status = tr_node_get_text(s, "status"), *first = tr_node_get_text(s, "first_error");

	fw->summary = 1;
	r->run_id = tr_node_get_int(s, "run_id");
	r->backfill_id = tr_node_get_int(s, "backfill_id");
	r->total = (size_t)tr_node_get_int(steps, "total");
	r->succeeded = (size_t)tr_node_get_int(steps, "succeeded");
	r->failed = (size_t)tr_node_get_int(steps, "failed");
	r->skipped = (size_t)tr_node_get_int(steps, "skipped");
	r->partitions_total = tr_node_get_int(parts, "total");
	r->partitions_succeeded = tr_node_get_int(parts, "succeeded");
	r->partitions_failed = tr_node_get_int(parts, "failed");
	r->partitions_skipped = tr_node_get_int(parts, "skipped");
	r->retries = (size_t)tr_node_get_int(s, "retries");
	r->checks_failed = (size_t)tr_node_get_int(s, "checks_failed");
	r->canceled = status && !strcmp(status, "canceled");
	free(r->first_error);
	r->first_error = first ? strdup(first) : NULL;
	if (!r->first_error && tr_node_get_text(s, "error"))
		r->first_error = strdup(tr_node_get_text(s, "error"));
}

static void on_frame(struct follow *fw)
{
	const char *event = tr_buf_str(&fw->event);
	tr_node *doc = NULL;

	if (!strcmp(event, "end")) {
		fw->ended = 1;
		return;
	}
	if (strcmp(event, "progress") && strcmp(event, "summary"))
		return;
	if (tr_node_parse(tr_buf_str(&fw->data), fw->data.len, "stream", &doc, NULL))
		return;
	if (!strcmp(event, "summary")) {
		on_summary(fw, doc);
	} else if (fw->req->on_progress) {
		tr_progress pr;

		memset(&pr, 0, sizeof(pr));
		pr.total = (size_t)tr_node_get_int(doc, "total");
		pr.done = (size_t)tr_node_get_int(doc, "done");
		pr.failed = (size_t)tr_node_get_int(doc, "failed");
		pr.skipped = (size_t)tr_node_get_int(doc, "skipped");
		pr.asset = tr_node_get_text(doc, "asset");
		pr.partition = tr_node_get_text(doc, "partition");
		pr.elapsed_ms = tr_node_get_int(doc, "elapsed_ms");
		pr.ended = node_flag(doc, "ended");
		pr.ok = node_flag(doc, "ok");
		pr.error = tr_node_get_text(doc, "error");
		pr.partitions_total = tr_node_get_int(doc, "partitions_total");
		pr.partitions_done = tr_node_get_int(doc, "partitions_done");
		pr.partitions_failed = tr_node_get_int(doc, "partitions_failed");
		pr.partitions_skipped = tr_node_get_int(doc, "partitions_skipped");
		pr.running = (size_t)tr_node_get_int(doc, "running");
		pr.running_assets = tr_node_get_text(doc, "running_assets");
		pr.retrying = node_flag(doc, "retrying");
		pr.waiting = tr_node_get_text(doc, "waiting");
		pr.waiting_until_ms = tr_node_get_int(doc, "waiting_until_ms");
		if (!pr.asset && !pr.waiting)
			pr.waiting = "";
		fw->req->on_progress(fw->req->ctx, &pr);
	}
	tr_node_free(doc);
}

static void on_line(struct follow *fw, const char *line, size_t len)
{
	if (len && line[len - 1] == '\r')
		len--;
	if (len == 0) {
		if (fw->event.len || fw->data.len)
			on_frame(fw);
		tr_buf_reset(&fw->event);
		tr_buf_reset(&fw->data);
		return;
	}
	if (len >= 6 && !strncmp(line, "event:", 6)) {
		size_t skip = 6 + (len > 6 && line[6] == ' ');

		tr_buf_reset(&fw->event);
		tr_buf_add(&fw->event, line + skip, len - skip);
	} else if (len >= 5 && !strncmp(line, "data:", 5)) {
		size_t skip = 5 + (len > 5 && line[5] == ' ');

		if (fw->data.len)
			tr_buf_addc(&fw->data, '\n');
		tr_buf_add(&fw->data, line + skip, len - skip);
	}
}

static size_t on_stream(char *p, size_t size, size_t n, void *ctx)
{
	struct follow *fw = ctx;
	size_t total = size * n;

	for (size_t k = 0; k < total && !fw->ended; k++) {
		if (p[k] == '\n') {
			on_line(fw, tr_buf_str(&fw->line), fw->line.len);
			tr_buf_reset(&fw->line);
		} else {
			tr_buf_addc(&fw->line, p[k]);
		}
	}
	return fw->ended ? 0 : total; /* 0 ends the transfer once the run has ended */
}

static void send_cancel(struct follow *fw)
{
	tr_buf path = TR_BUF_INIT;
	tr_node *answer = NULL;
	long status = 0;

	fw->cancel_sent = 1;
	tr_buf_addf(&path, "/api/runs/%lld/cancel", (long long)fw->run_id);
	if (!request(fw->url, fw->token, tr_buf_str(&path), "{}", &status, &answer,
		     &fw->cancel_err) &&
	    status != 200 && status != 409)
		refused(status, answer, fw->url, &fw->cancel_err);
	tr_node_free(answer);
	tr_buf_release(&path);
}

static int on_xfer(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct follow *fw = ctx;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	if (fw->req->cancel && *fw->req->cancel && !fw->cancel_sent)
		send_cancel(fw);
	return 0;
}

static int follow_run(struct follow *fw, tr_error *err)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = headers_for(fw->token, 0);
	tr_buf u = TR_BUF_INIT;
	CURLcode cc;
	long status = 0;
	int rc = 0;

	if (!h)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	tr_buf_addf(&u, "%s/api/runs/%lld/stream?progress=all", fw->url, (long long)fw->run_id);
	curl_easy_setopt(h, CURLOPT_URL, tr_buf_str(&u));
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_stream);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, fw);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_xfer);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, fw);
	/* the server sends a keep-alive every 10 s: a minute of silence is a dead server */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (!(cc == CURLE_OK || (cc == CURLE_WRITE_ERROR && fw->ended)))
		rc = tr_error_set(err, TR_EIO, "following run %lld on the tranche server at %s: %s",
				  (long long)fw->run_id, fw->url, curl_easy_strerror(cc));
	else if (status != 200)
		rc = tr_error_set(err, TR_EIO, "following run %lld on the tranche server at %s: HTTP "
					       "%ld",
				  (long long)fw->run_id, fw->url, status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	tr_buf_release(&u);
	return rc;
}

/* When the stream ended without a summary: the counts from the run's row. */
static int report_from_run(struct follow *fw, tr_error *err)
{
	tr_buf path = TR_BUF_INIT;
	tr_node *answer = NULL;
	long status = 0;
	int rc;
	const char *st, *error;

	tr_buf_addf(&path, "/api/runs/%lld", (long long)fw->run_id);
	rc = request(fw->url, fw->token, tr_buf_str(&path), NULL, &status, &answer, err);
	if (!rc && status != 200)
		rc = refused(status, answer, fw->url, err);
	if (!rc) {
		tr_run_report *r = fw->report;

		r->run_id = fw->run_id;
		r->total = (size_t)tr_node_get_int(answer, "steps_total");
		r->succeeded = (size_t)tr_node_get_int(answer, "steps_succeeded");
		r->failed = (size_t)tr_node_get_int(answer, "steps_failed");
		r->skipped = (size_t)tr_node_get_int(answer, "steps_skipped");
		r->backfill_id = tr_node_get_int(answer, "backfill_id");
		st = tr_node_get_text(answer, "status");
		r->canceled = st && !strcmp(st, "canceled");
		error = tr_node_get_text(answer, "error");
		free(r->first_error);
		r->first_error = error ? strdup(error) : NULL;
		if (st && !strcmp(st, "running"))
			rc = tr_error_set(err, TR_EIO, "the tranche server at %s stopped sending run "
						       "%lld's events before it ended",
					  fw->url, (long long)fw->run_id);
	}
	tr_node_free(answer);
	tr_buf_release(&path);
	return rc;
}

static void body_of(const tr_run_request *req, tr_buf *out)
{
	tr_json j;

	tr_json_init(&j, out, 0);
	tr_json_object_begin(&j);
	if (!req->resume) {
		tr_json_kv_string(&j, "selection", req->selection);
		switch (req->pick) {
		case TR_PICK_KEYS:
			tr_json_key(&j, "partitions");
			tr_json_array_begin(&j);
			for (size_t k = 0; k < req->n_keys; k++)
				tr_json_string(&j, req->keys[k]);
			tr_json_array_end(&j);
			break;
		case TR_PICK_RANGE:
			tr_json_kv_string(&j, "from", req->from);
			tr_json_kv_string(&j, "to", req->to);
			break;
		case TR_PICK_MISSING:
			tr_json_kv_bool(&j, "missing", 1);
			break;
		case TR_PICK_FAILED:
			tr_json_kv_bool(&j, "failed", 1);
			break;
		case TR_PICK_STALE:
			tr_json_kv_bool(&j, "stale", 1);
			break;
		case TR_PICK_MISSING_STALE:
			tr_json_kv_bool(&j, "missing", 1);
			tr_json_kv_bool(&j, "stale", 1);
			break;
		case TR_PICK_ALL:
			tr_json_kv_bool(&j, "all", 1);
			break;
		case TR_PICK_NONE:
			break;
		}
	}
	tr_json_kv_int(&j, "jobs", req->jobs);
	if (req->now) {
		tr_buf now = TR_BUF_INIT;

		tr_time_format_instant(&now, req->now, 0);
		tr_json_kv_string(&j, "now", tr_buf_str(&now));
		tr_buf_release(&now);
	}
	if (req->launched_by)
		tr_json_kv_string(&j, "launched_by", req->launched_by);
	tr_json_object_end(&j);
}

int tr_client_materialize(const char *url, const char *token, const tr_run_request *req,
			  tr_run_report *report, tr_error *err)
{
	tr_buf body = TR_BUF_INIT, path = TR_BUF_INIT;
	tr_node *answer = NULL;
	long status = 0;
	struct follow fw;
	const char *state;
	int rc;

	memset(report, 0, sizeof(*report));
	memset(&fw, 0, sizeof(fw));
	if (req->dry_run)
		return tr_error_set(err, TR_EINVAL, "a dry run needs no server: run it locally");
	if (!req->resume && (!req->selection || !*req->selection))
		return tr_error_set(err, TR_EINVAL, "no selection: name the assets to materialize "
						    "(\"*\" for all of them)");
	body_of(req, &body);
	if (req->resume)
		tr_buf_addf(&path, "/api/backfills/%lld/resume", (long long)req->resume);
	else
		tr_buf_adds(&path, req->backfill == TR_BACKFILL_ALWAYS ? "/api/backfills"
								       : "/api/materialize");
	if ((rc = request(url, token, tr_buf_str(&path), tr_buf_str(&body), &status, &answer, err)))
		goto out;
	if (status != 200 && status != 202) {
		rc = refused(status, answer, url, err);
		goto out;
	}
	state = tr_node_get_text(answer, "status");
	if (state && !strcmp(state, "nothing_to_do")) {
		report->backfill_id = tr_node_get_int(answer, "backfill_id");
		goto out;
	}
	fw.run_id = tr_node_get_int(answer, "run_id");
	if (fw.run_id <= 0) {
		rc = tr_error_set(err, TR_EIO, "the tranche server at %s started no run", url);
		goto out;
	}
	fw.url = url;
	fw.token = token;
	fw.req = req;
	fw.report = report;
	report->run_id = fw.run_id;
	report->backfill_id = tr_node_get_int(answer, "backfill_id");
	report->total = (size_t)tr_node_get_int(answer, "steps");
	report->partitions_total = tr_node_get_int(answer, "partitions");
	rc = follow_run(&fw, err);
	if (!rc && !fw.summary)
		rc = report_from_run(&fw, err);
	if (!rc && fw.cancel_sent && !report->canceled && fw.cancel_err.code)
		rc = tr_error_set(err, fw.cancel_err.code, "%s", fw.cancel_err.msg);
out:
	tr_node_free(answer);
	tr_buf_release(&body);
	tr_buf_release(&path);
	tr_buf_release(&fw.line);
	tr_buf_release(&fw.event);
	tr_buf_release(&fw.data);
	return rc;
}

/* ---- the warehouse commands ---------------------------------------------------------------- */

/* POSTs body to path and keeps the answer's bytes: 0 for a 200, else the server's error. */
static int post_ok(const char *url, const char *token, const char *path, const char *body,
		   tr_buf *answer, tr_error *err)
{
	long status = 0;
	tr_node *doc = NULL;
	int rc = request_raw(url, token, path, body, &status, answer, err);

	if (rc || status == 200)
		return rc;
	if (tr_node_parse(answer->data ? answer->data : "", answer->len, "the server's answer", &doc,
			  NULL))
		doc = NULL;
	rc = refused(status, doc, url, err);
	tr_node_free(doc);
	return rc;
}

/* "/api/assets/NAME/what" with NAME percent-encoded. */
static void asset_path(tr_buf *path, const char *asset, const char *what)
{
	static const char hex[] = "0123456789ABCDEF";

	tr_buf_adds(path, "/api/assets/");
	for (const unsigned char *c = (const unsigned char *)asset; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		    *c == '_' || *c == '-' || *c == '.' || *c == '~') {
			tr_buf_addc(path, (char)*c);
		} else {
			tr_buf_addc(path, '%');
			tr_buf_addc(path, hex[*c >> 4]);
			tr_buf_addc(path, hex[*c & 15]);
		}
	}
	tr_buf_addf(path, "/%s", what);
}

static void now_field(tr_json *j, int64_t now)
{
	tr_buf text = TR_BUF_INIT;

	if (!now)
		return;
	tr_time_format_instant(&text, now, 0);
	tr_json_kv_string(j, "now", tr_buf_str(&text));
	tr_buf_release(&text);
}

/* A cell of the answer back to the text tr_wconn_query keeps (NULL for null). */
static int cell_text(const tr_node *v, char **out)
{
	*out = NULL;
	if (!v || v->kind != TR_NODE_SCALAR)
		return TR_EINVAL;
	if (!v->quoted && tr_node_is_null(v))
		return 0;
	*out = strdup(v->scalar);
	return *out ? 0 : TR_ENOMEM;
}

/* The answer of POST /api/query as a table. */
static int table_from(const tr_node *doc, tr_table *t, tr_error *err)
{
	const tr_node *cols = tr_node_get(doc, "columns"), *rows = tr_node_get(doc, "rows");
	int truncated = 0, rc = 0;

	if (!cols || cols->kind != TR_NODE_SEQ || !rows || rows->kind != TR_NODE_SEQ)
		return tr_error_set(err, TR_EIO, "the tranche server's answer to a query has no "
						 "columns and rows");
	tr_node_bool(tr_node_get(doc, "truncated"), &truncated);
	t->truncated = truncated;
	if (cols->n) {
		t->names = calloc(cols->n, sizeof(*t->names));
		t->types = calloc(cols->n, sizeof(*t->types));
		t->numeric = calloc(cols->n, sizeof(*t->numeric));
		t->cells = calloc(rows->n * cols->n + 1, sizeof(*t->cells));
		if (!t->names || !t->types || !t->numeric || !t->cells)
			goto nomem;
	}
	t->ncols = cols->n;
	for (size_t k = 0; k < cols->n; k++) {
		const tr_node *col = cols->items[k];

		if (cell_text(tr_node_get(col, "name"), &t->names[k]) ||
		    cell_text(tr_node_get(col, "type"), &t->types[k]) || !t->names[k] || !t->types[k])
			goto bad;
		tr_node_bool(tr_node_get(col, "numeric"), &t->numeric[k]);
	}
	for (size_t r = 0; r < rows->n && cols->n; r++) {
		const tr_node *row = rows->items[r];

		if (row->kind != TR_NODE_SEQ || row->n != cols->n)
			goto bad;
		t->nrows = r + 1;
		for (size_t k = 0; k < cols->n; k++)
			if ((rc = cell_text(row->items[k], &t->cells[r * cols->n + k])))
				goto bad;
	}
	return 0;
nomem:
	tr_table_release(t);
	return tr_error_set(err, TR_ENOMEM, "out of memory");
bad:
	tr_table_release(t);
	if (rc == TR_ENOMEM)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	return tr_error_set(err, TR_EIO, "the tranche server's answer to a query is not a table");
}

int tr_client_query(const char *url, const char *token, const char *sql, size_t max_rows,
		    tr_table *out, tr_error *err)
{
	tr_buf body = TR_BUF_INIT, answer = TR_BUF_INIT;
	tr_node *doc = NULL;
	tr_json j;
	int rc;

	memset(out, 0, sizeof(*out));
	tr_json_init(&j, &body, 0);
	tr_json_object_begin(&j);
	tr_json_kv_string(&j, "sql", sql);
	tr_json_kv_int(&j, "limit", (int64_t)(max_rows < TR_CLIENT_QUERY_ROWS_MAX
						      ? max_rows
						      : TR_CLIENT_QUERY_ROWS_MAX));
	tr_json_object_end(&j);
	if (tr_buf_failed(&body)) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = post_ok(url, token, "/api/query", tr_buf_str(&body), &answer, err)))
		goto out;
	if ((rc = tr_node_parse(tr_buf_str(&answer), answer.len, "the server's answer", &doc, err)))
		goto out;
	rc = table_from(doc, out, err);
out:
	tr_node_free(doc);
	tr_buf_release(&body);
	tr_buf_release(&answer);
	return rc;
}

int tr_client_wipe(const char *url, const char *token, const tr_wipe_request *req,
		   tr_wipe_report *report, tr_error *err)
{
	tr_buf body = TR_BUF_INIT, path = TR_BUF_INIT, answer = TR_BUF_INIT;
	tr_node *doc = NULL;
	tr_json j;
	int rc;

	memset(report, 0, sizeof(*report));
	tr_json_init(&j, &body, 0);
	tr_json_object_begin(&j);
	if (req->n_keys) {
		tr_json_key(&j, "partitions");
		tr_json_array_begin(&j);
		for (size_t k = 0; k < req->n_keys; k++)
			tr_json_string(&j, req->keys[k]);
		tr_json_array_end(&j);
	} else if (req->from || req->to) {
		tr_json_kv_string(&j, "from", req->from);
		tr_json_kv_string(&j, "to", req->to);
	} else {
		tr_json_kv_bool(&j, "all", 1);
	}
	now_field(&j, req->now);
	tr_json_object_end(&j);
	asset_path(&path, req->asset ? req->asset : "", "wipe");
	if (tr_buf_failed(&body) || tr_buf_failed(&path)) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = post_ok(url, token, tr_buf_str(&path), tr_buf_str(&body), &answer, err)))
		goto out;
	if ((rc = tr_node_parse(tr_buf_str(&answer), answer.len, "the server's answer", &doc, err)))
		goto out;
	report->whole = node_flag(doc, "whole");
	report->partitions = tr_node_get_int(doc, "partitions");
	report->rows = tr_node_get_int(doc, "rows_deleted");
out:
	tr_node_free(doc);
	tr_buf_release(&body);
	tr_buf_release(&path);
	tr_buf_release(&answer);
	return rc;
}

int tr_client_adopt(const char *url, const char *token, const char *asset, int dry_run,
		    int64_t now, tr_buf *answer, tr_error *err)
{
	tr_buf body = TR_BUF_INIT, path = TR_BUF_INIT;
	tr_json j;
	int rc;

	tr_json_init(&j, &body, 0);
	tr_json_object_begin(&j);
	tr_json_kv_bool(&j, "dry_run", dry_run);
	now_field(&j, now);
	tr_json_object_end(&j);
	asset_path(&path, asset ? asset : "", "adopt");
	if (tr_buf_failed(&body) || tr_buf_failed(&path))
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
	else
		rc = post_ok(url, token, tr_buf_str(&path), tr_buf_str(&body), answer, err);
	tr_buf_release(&body);
	tr_buf_release(&path);
	return rc;
}
