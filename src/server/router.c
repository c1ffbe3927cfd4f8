/*
 * router.c — one request in, one response out: the route table, the checks
 * every request passes before a handler runs, query and body parsing, error
 * answers, and the embedded UI files.
 *
 * Order of checks (each refusal is an answer, nothing runs after it):
 *   1. the target: a path starting with '/', at most 8 KiB, no NUL or
 *      control bytes once decoded, no ".." segment (400);
 *   2. Host: without a token, only a loopback name or the bound host is
 *      accepted (403) — so that a web page cannot reach the API through a
 *      DNS name rebound to 127.0.0.1;
 *   3. the route: unknown path 404 naming the API's routes; known path,
 *      other method 405 with Allow;
 *   4. /api/: the token when the server has one (401): Authorization:
 *      Bearer, or ?token= (which also sets a cookie, for the UI's EventSource
 *      and page loads), or that cookie;
 *   5. POST: Origin, when present, must be this server's own (403);
 *      Content-Type must be application/json (415); the body at most 1 MiB
 *      (413);
 *   6. the handler, which validates its parameters before acting.
 * Everything here is bounded by the input's size and never trusts it: the
 * fuzz harness (tests/fuzz/fuzz_api.c) drives srv_dispatch directly.
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/server_int.h"
#include "tranche/time.h"
#include "tranche/version.h"

#define TARGET_MAX 8192
#define QUERY_MAX 64     /* query parameters */
#define COOKIE_NAME "tranche_token"

/* ---- the route table ------------------------------------------------------------------ */

typedef struct srv_route {
	const char *method;
	const char *pattern; /* '*' segments capture one path segment */
	srv_handler handler;
	int is_api;
} srv_route;

static const srv_route routes[] = {
	{"GET", "/api/health", api_health, 1},
	{"POST", "/api/reload", api_reload, 1},
	{"GET", "/api/assets", api_assets, 1},
	{"GET", "/api/assets/*", api_asset, 1},
	{"GET", "/api/assets/*/partitions", api_asset_partitions, 1},
	{"GET", "/api/assets/*/partitions/grid", api_asset_grid, 1},
	{"GET", "/api/assets/*/materializations", api_asset_materializations, 1},
	{"GET", "/api/assets/*/metadata_series", api_asset_metadata_series, 1},
	{"GET", "/api/assets/*/checks", api_asset_checks, 1},
	{"POST", "/api/assets/*/wipe", api_asset_wipe, 1},
	{"POST", "/api/assets/*/adopt", api_asset_adopt, 1},
	{"POST", "/api/query", api_query, 1},
	{"GET", "/api/lineage", api_lineage, 1},
	{"GET", "/api/lineage.svg", api_lineage_svg, 1},
	{"GET", "/api/runs", api_runs, 1},
	{"GET", "/api/runs/*", api_run, 1},
	{"GET", "/api/runs/*/events", api_run_events, 1},
	{"GET", "/api/runs/*/stream", api_run_stream, 1},
	{"POST", "/api/runs/*/cancel", api_run_cancel, 1},
	{"GET", "/api/stream", api_stream, 1},
	{"GET", "/api/backfills", api_backfills, 1},
	{"POST", "/api/backfills", api_backfill_create, 1},
	{"GET", "/api/backfills/*", api_backfill, 1},
	{"POST", "/api/backfills/*/cancel", api_backfill_cancel, 1},
	{"POST", "/api/backfills/*/resume", api_backfill_resume, 1},
	{"POST", "/api/materialize", api_materialize, 1},
	{"GET", "/api/partitions/*", api_dynamic_get, 1},
	{"POST", "/api/partitions/*", api_dynamic_post, 1},
	{NULL, NULL, NULL, 0},
};

/* ---- responses -------------------------------------------------------------------------- */

void srv_response_init(srv_response *rs)
{
	memset(rs, 0, sizeof(*rs));
	tr_buf_init(&rs->body, 0);
	rs->status = 200;
	rs->content_type = "application/json";
}

void srv_response_release(srv_response *rs)
{
	tr_buf_release(&rs->body);
	free(rs->set_cookie);
	if (rs->stream)
		srv_stream_free(rs->stream);
	memset(rs, 0, sizeof(*rs));
}

static void fail_rs(srv_response *rs, int status, const char *code, const char *msg)
{
	tr_json j;

	tr_buf_reset(&rs->body);
	rs->status = status;
	rs->content_type = "application/json";
	tr_json_init(&j, &rs->body, 0);
	tr_json_object_begin(&j);
	tr_json_key(&j, "error");
	tr_json_object_begin(&j);
	tr_json_kv_string(&j, "code", code);
	tr_json_kv_string(&j, "message", msg);
	tr_json_object_end(&j);
	tr_json_object_end(&j);
	tr_buf_addc(&rs->body, '\n');
}

static void fail_rsf(srv_response *rs, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fail_rsf(srv_response *rs, int status, const char *code, const char *fmt, ...)
{
	tr_buf msg = TR_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	tr_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	fail_rs(rs, status, code, tr_buf_str(&msg));
	tr_buf_release(&msg);
}

void srv_fail(srv_ctx *c, int status, const char *code, const char *fmt, ...)
{
	tr_buf msg = TR_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	tr_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	fail_rs(c->rs, status, code, tr_buf_str(&msg));
	tr_buf_release(&msg);
}

void srv_fail_err(srv_ctx *c, const tr_error *err)
{
	const char *msg = err && err->msg[0] ? err->msg : tr_error_name(err ? err->code : TR_EIO);

	switch (err ? err->code : TR_EIO) {
	case TR_EINVAL:
	case TR_ERANGE:
		fail_rs(c->rs, 400, "bad_request", msg);
		break;
	case TR_ENOTFOUND:
		fail_rs(c->rs, 404, "not_found", msg);
		break;
	default:
		fail_rs(c->rs, 500, "internal", msg);
		break;
	}
}

void srv_json_begin(srv_ctx *c, tr_json *j, int status)
{
	tr_buf_reset(&c->rs->body);
	c->rs->status = status;
	c->rs->content_type = "application/json";
	tr_json_init(j, &c->rs->body, 0);
}

/* ---- shared resources of a request ---------------------------------------------------------- */

const tr_project *srv_project(srv_ctx *c)
{
	if (!c->proj)
		c->proj = srv_proj_get(c->s);
	return c->proj->p;
}

tr_storage *srv_st(srv_ctx *c)
{
	tr_error err = {0};

	if (c->st)
		return c->st;
	c->st = srv_storage_take(c->s, &err);
	if (!c->st)
		srv_fail_err(c, &err);
	return c->st;
}

/* ---- decoding ---------------------------------------------------------------------------- */

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * Percent-decodes s[0..n) (plus as space when form) into a new string; NULL
 * when a %XX is malformed or the result holds a NUL or control byte.
 */
static char *decode(const char *s, size_t n, int form)
{
	char *out = malloc(n + 1);
	size_t k = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '%') {
			if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) {
				free(out);
				return NULL;
			}
			ch = (unsigned char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else if (ch == '+' && form) {
			ch = ' ';
		}
		if (ch < 0x20 || ch == 0x7f) {
			free(out);
			return NULL;
		}
		out[k++] = (char)ch;
	}
	out[k] = '\0';
	return out;
}

static void query_free(srv_ctx *c)
{
	for (size_t k = 0; k < c->n_query; k++) {
		free(c->query[k].key);
		free(c->query[k].value);
	}
	free(c->query);
	c->query = NULL;
	c->n_query = 0;
}

/* Parses "a=1&b=x%20y" into c->query; 0, or -1 after answering 400. */
static int parse_query(srv_ctx *c, const char *q)
{
	size_t cap = 0;

	while (*q) {
		size_t len = strcspn(q, "&"), eq = strcspn(q, "=");
		char *key, *value;

		if (len == 0) {
			q++;
			continue;
		}
		if (c->n_query == QUERY_MAX) {
			srv_fail(c, 400, "bad_request", "too many query parameters (at most %d)",
				 QUERY_MAX);
			return -1;
		}
		if (eq > len)
			eq = len;
		key = decode(q, eq, 1);
		value = decode(q + eq + (eq < len), eq < len ? len - eq - 1 : 0, 1);
		if (!key || !value) {
			free(key);
			free(value);
			srv_fail(c, 400, "bad_request",
				 "query: \"%.*s\" is not valid percent-encoding (or holds control "
				 "characters)",
				 (int)(len > 80 ? 80 : len), q);
			return -1;
		}
		if (c->n_query == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			srv_qparam *grown = realloc(c->query, ncap * sizeof(*grown));

			if (!grown) {
				free(key);
				free(value);
				srv_fail(c, 500, "internal", "out of memory");
				return -1;
			}
			c->query = grown;
			cap = ncap;
		}
		c->query[c->n_query].key = key;
		c->query[c->n_query].value = value;
		c->n_query++;
		q += len;
	}
	return 0;
}

const char *srv_query(srv_ctx *c, const char *key)
{
	for (size_t k = 0; k < c->n_query; k++)
		if (!strcmp(c->query[k].key, key))
			return c->query[k].value;
	return NULL;
}

int srv_query_only(srv_ctx *c, const char *const *known)
{
	for (size_t k = 0; k < c->n_query; k++) {
		int ok = !strcmp(c->query[k].key, "token"); /* the auth parameter, everywhere */
		tr_buf valid = TR_BUF_INIT;
		char quoted[96];

		for (const char *const *p = known; *p && !ok; p++)
			ok = !strcmp(*p, c->query[k].key);
		if (ok)
			continue;
		for (const char *const *p = known; *p; p++)
			tr_buf_addf(&valid, "%s%s", p == known ? "" : ", ", *p);
		srv_fail(c, 400, "bad_request", "query parameter \"%s\" is not known here (valid: %s)",
			 tr_error_quote(quoted, sizeof(quoted), c->query[k].key,
					strlen(c->query[k].key)),
			 valid.len ? tr_buf_str(&valid) : "none");
		tr_buf_release(&valid);
		return -1;
	}
	return 0;
}

int srv_query_int(srv_ctx *c, const char *key, int64_t def, int64_t min, int64_t max,
		  int64_t *out)
{
	const char *v = srv_query(c, key);
	char *end = NULL;
	long long n;
	char quoted[96];

	if (!v) {
		*out = def;
		return 0;
	}
	n = strtoll(v, &end, 10);
	if (!*v || *end || isspace((unsigned char)*v) || n < min || n > max ||
	    (n == LLONG_MAX || n == LLONG_MIN)) {
		srv_fail(c, 400, "bad_request",
			 "query parameter %s: \"%s\" is not a whole number from %lld to %lld", key,
			 tr_error_quote(quoted, sizeof(quoted), v, strlen(v)), (long long)min,
			 (long long)max);
		return -1;
	}
	*out = n;
	return 0;
}

int srv_asset_param(srv_ctx *c, size_t *index)
{
	const tr_project *p = srv_project(c);
	tr_error err = {0};

	if (tr_project_find(p, c->params[0], index, &err)) {
		srv_fail(c, 404, "not_found", "%s (GET /api/assets lists them)", err.msg);
		return -1;
	}
	return 0;
}

int srv_id_param(srv_ctx *c, size_t k, const char *what, int64_t *id)
{
	const char *v = c->params[k];
	char *end = NULL;
	long long n = strtoll(v, &end, 10);
	char quoted[96];

	if (!*v || *end || n <= 0 || n == LLONG_MAX || !isdigit((unsigned char)*v)) {
		srv_fail(c, 400, "bad_request", "%s id \"%s\" is not a positive whole number", what,
			 tr_error_quote(quoted, sizeof(quoted), v, strlen(v)));
		return -1;
	}
	*id = n;
	return 0;
}

/* ---- bodies ------------------------------------------------------------------------------ */

int srv_body(srv_ctx *c, const char *const *fields, const tr_node **out)
{
	tr_error err = {0};
	char quoted[96];

	if (!c->body) {
		if (memchr(c->rq->body ? c->rq->body : "", '\0', c->rq->body_len)) {
			srv_fail(c, 400, "bad_request", "request body: a NUL byte is not JSON");
			return -1;
		}
		if (tr_node_parse(c->rq->body ? c->rq->body : "", c->rq->body_len, "request body",
				  &c->body, &err)) {
			srv_fail(c, 400, "bad_request", "%s (a JSON object is expected)", err.msg);
			return -1;
		}
	}
	if (c->body->kind != TR_NODE_MAP) {
		srv_fail(c, 400, "bad_request", "request body: a JSON object is expected, not a %s",
			 tr_node_kind_name(c->body));
		return -1;
	}
	for (size_t k = 0; k < c->body->n; k++) {
		const char *key = tr_node_key(c->body, k);
		int ok = 0;
		tr_buf valid = TR_BUF_INIT;

		for (const char *const *f = fields; *f && !ok; f++)
			ok = key && !strcmp(key, *f);
		if (ok)
			continue;
		for (const char *const *f = fields; *f; f++)
			tr_buf_addf(&valid, "%s%s", f == fields ? "" : ", ", *f);
		srv_fail(c, 400, "bad_request", "request body: unknown field \"%s\" (valid: %s)",
			 key ? tr_error_quote(quoted, sizeof(quoted), key, strlen(key)) : "?",
			 valid.len ? tr_buf_str(&valid) : "none: send {}");
		tr_buf_release(&valid);
		return -1;
	}
	*out = c->body;
	return 0;
}

int srv_body_string(srv_ctx *c, const tr_node *obj, const char *key, const char **out)
{
	const tr_node *v = tr_node_get(obj, key);

	if (!v)
		return 0;
	if (v->kind != TR_NODE_SCALAR || (!v->quoted && tr_node_is_null(v))) {
		srv_fail(c, 400, "bad_request", "request body: %s: a string is expected, not %s", key,
			 v->kind == TR_NODE_SCALAR ? "null or a number" : tr_node_kind_name(v));
		return -1;
	}
	*out = v->scalar;
	return 0;
}

int srv_body_bool(srv_ctx *c, const tr_node *obj, const char *key, int *out)
{
	const tr_node *v = tr_node_get(obj, key);

	if (!v)
		return 0;
	if (v->kind != TR_NODE_SCALAR || v->quoted || tr_node_bool(v, out) ||
	    (strcmp(v->scalar, "true") && strcmp(v->scalar, "false"))) {
		srv_fail(c, 400, "bad_request", "request body: %s: true or false is expected", key);
		return -1;
	}
	return 0;
}

int srv_body_int(srv_ctx *c, const tr_node *obj, const char *key, int64_t min, int64_t max,
		 int64_t *out)
{
	const tr_node *v = tr_node_get(obj, key);
	int64_t n;

	if (!v)
		return 0;
	if (v->kind != TR_NODE_SCALAR || v->quoted || tr_node_int(v, &n) || n < min || n > max) {
		srv_fail(c, 400, "bad_request",
			 "request body: %s: a whole number from %lld to %lld is expected", key,
			 (long long)min, (long long)max);
		return -1;
	}
	*out = n;
	return 0;
}

int srv_body_now(srv_ctx *c, const tr_node *obj, int64_t *out)
{
	const char *text = NULL;
	tr_error err = {0};

	*out = c->now;
	if (srv_body_string(c, obj, "now", &text))
		return -1;
	if (text && tr_time_parse_instant(text, out, &err)) {
		srv_fail(c, 400, "bad_request", "request body: now: %s (an ISO 8601 time such as "
						"2024-05-21T00:00:00+00:00)",
			 err.msg);
		return -1;
	}
	return 0;
}

int srv_body_strings(srv_ctx *c, const tr_node *obj, const char *key, size_t max,
		     const char ***out, size_t *n)
{
	const tr_node *v = tr_node_get(obj, key);
	const char **items;

	*out = NULL;
	*n = 0;
	if (!v)
		return 0;
	if (v->kind != TR_NODE_SEQ) {
		srv_fail(c, 400, "bad_request", "request body: %s: a list of strings is expected, "
						"not a %s",
			 key, tr_node_kind_name(v));
		return -1;
	}
	if (v->n > max) {
		srv_fail(c, 400, "bad_request", "request body: %s: %zu items, at most %zu", key,
			 v->n, max);
		return -1;
	}
	items = calloc(v->n + 1, sizeof(*items));
	if (!items) {
		srv_fail(c, 500, "internal", "out of memory");
		return -1;
	}
	for (size_t k = 0; k < v->n; k++) {
		const tr_node *item = v->items[k];

		if (item->kind != TR_NODE_SCALAR || (!item->quoted && tr_node_is_null(item))) {
			free(items);
			srv_fail(c, 400, "bad_request",
				 "request body: %s[%zu]: a string is expected, not %s", key, k,
				 item->kind == TR_NODE_SCALAR ? "null" : tr_node_kind_name(item));
			return -1;
		}
		items[k] = item->scalar;
	}
	*out = items;
	*n = v->n;
	return 0;
}

/* ---- shared JSON shapes -------------------------------------------------------------------- */

void srv_json_run(tr_json *j, const tr_run *r)
{
	const char *status = r->status;

	/* "started" in storage; the API says what the UI shows */
	if (status && !strcmp(status, "started"))
		status = "running";
	tr_json_kv_int(j, "id", r->id);
	tr_json_kv_string(j, "status", status);
	tr_json_kv_string(j, "selection", r->selection);
	tr_json_kv_string(j, "partitions", r->partitions);
	tr_json_kv_string(j, "launched_by", r->launched_by);
	tr_json_kv_string(j, "host", r->host);
	tr_json_kv_int(j, "pid", r->pid);
	tr_json_kv_int(j, "created_at", r->created_at);
	tr_json_kv_int_or_null(j, "ended_at", r->ended_at);
	tr_json_kv_int(j, "steps_total", r->steps_total);
	tr_json_kv_int(j, "steps_succeeded", r->steps_succeeded);
	tr_json_kv_int(j, "steps_failed", r->steps_failed);
	tr_json_kv_int(j, "steps_skipped", r->steps_skipped);
	tr_json_kv_int_or_null(j, "backfill_id", r->backfill_id);
	tr_json_kv_string(j, "error", r->error && *r->error ? r->error : NULL);
}

void srv_json_event(tr_json *j, const tr_event_rec *e)
{
	tr_json_object_begin(j);
	tr_json_kv_int(j, "id", e->id);
	tr_json_kv_int_or_null(j, "run_id", e->run_id);
	tr_json_kv_int(j, "ts", e->ts);
	tr_json_kv_string(j, "type", e->type);
	tr_json_kv_string(j, "asset", e->asset);
	tr_json_kv_string(j, "partition", e->partition);
	tr_json_kv_string(j, "check", e->check);
	tr_json_kv_string(j, "message", e->message);
	tr_json_key(j, "data");
	/* written by tranche's JSON writer when it was stored */
	if (e->data && *e->data)
		tr_json_raw(j, e->data);
	else
		tr_json_null(j);
	tr_json_object_end(j);
}

/* ---- the embedded UI ----------------------------------------------------------------------- */

static const struct {
	const char *ext, *type;
} content_types[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".json", "application/json"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".ico", "image/x-icon"},
	{".txt", "text/plain; charset=utf-8"},
	{".map", "application/json"},
	{".woff2", "font/woff2"},
	{NULL, NULL},
};

static const char *content_type_of(const char *path)
{
	size_t len = strlen(path);

	for (size_t k = 0; content_types[k].ext; k++) {
		size_t el = strlen(content_types[k].ext);

		if (len >= el && !strcmp(path + len - el, content_types[k].ext))
			return content_types[k].type;
	}
	return "application/octet-stream";
}

static int serve_ui(srv_response *rs, const char *path)
{
	const char *want = path[1] ? path + 1 : "index.html";

	for (const tr_ui_file *f = tr_ui_files; f->path; f++) {
		if (strcmp(f->path, want))
			continue;
		rs->status = 200;
		rs->content_type = content_type_of(f->path);
		rs->data = f->data;
		rs->data_len = f->len;
		rs->cacheable = 1;
		return 1;
	}
	if (!path[1]) { /* no UI in this build: say so rather than 404 */
		rs->status = 200;
		rs->content_type = "text/html; charset=utf-8";
		tr_buf_adds(&rs->body, "<!doctype html><title>tranche</title><p>This tranche was "
				       "built without its web UI (ui/ was empty). The JSON API is "
				       "under <a href=\"/api/health\">/api/</a>; see docs/api.md.\n");
		return 1;
	}
	return 0;
}

/* ---- matching -------------------------------------------------------------------------------- */

/*
 * Matches path (not decoded) against pattern; captured segments are decoded
 * into params. 1 on a match, 0 not, -1 when a captured segment is malformed.
 */
static int match(const char *pattern, const char *path, char **params, size_t *n_params)
{
	const char *p = pattern, *s = path;
	size_t n = 0;

	while (*p && *s) {
		if (*p == '*') {
			size_t len = strcspn(s, "/");

			if (len == 0 || n == SRV_MAX_PARAMS)
				goto no;
			params[n] = decode(s, len, 0);
			if (!params[n])
				goto bad;
			n++;
			p++;
			s += len;
			continue;
		}
		if (*p != *s)
			goto no;
		p++;
		s++;
	}
	if (*p || *s)
		goto no;
	*n_params = n;
	return 1;
no:
	for (size_t k = 0; k < n; k++) {
		free(params[k]);
		params[k] = NULL;
	}
	return 0;
bad:
	for (size_t k = 0; k < n; k++) {
		free(params[k]);
		params[k] = NULL;
	}
	return -1;
}

static void list_routes(tr_buf *out)
{
	for (const srv_route *r = routes; r->method; r++)
		tr_buf_addf(out, "%s%s %s", r == routes ? "" : ", ", r->method, r->pattern);
}

/* ---- safety ---------------------------------------------------------------------------------- */

/* Compares without stopping at the first difference (the token). */
static int same_secret(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = (unsigned char)(la != lb);

	for (size_t k = 0; k < la; k++)
		diff |= (unsigned char)(a[k] ^ b[lb ? k % lb : 0]);
	return diff == 0;
}

/* The value of cookie `name` in a Cookie header, copied into out (n bytes); 1 if found. */
static int cookie_value(const char *header, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);

	for (const char *c = header; c && *c;) {
		while (*c == ' ' || *c == ';')
			c++;
		if (!strncmp(c, name, nl) && c[nl] == '=') {
			size_t len = strcspn(c + nl + 1, ";");

			if (len >= n)
				return 0;
			memcpy(out, c + nl + 1, len);
			out[len] = '\0';
			return 1;
		}
		c += strcspn(c, ";");
	}
	return 0;
}

/* The host part of a Host header or origin authority ("[::1]:3000" -> "[::1]"), into out. */
static void host_part(const char *authority, char *out, size_t n)
{
	size_t len;

	if (authority[0] == '[')
		len = strcspn(authority, "]") + (strchr(authority, ']') ? 1 : 0);
	else
		len = strcspn(authority, ":");
	if (len >= n)
		len = n - 1;
	memcpy(out, authority, len);
	out[len] = '\0';
}

static int host_allowed(const tr_server *s, const char *host)
{
	char name[256];

	if (s->token && *s->token)
		return 1; /* the token protects; any name may reach a server bound elsewhere */
	if (!host || !*host)
		return 0;
	host_part(host, name, sizeof(name));
	return !strcasecmp(name, "localhost") || !strcmp(name, "127.0.0.1") ||
	       !strcmp(name, "[::1]") || (s->host && !strcasecmp(name, s->host));
}

/* 1 when the request carries the server's token (or the server has none). */
static int authorized(srv_ctx *c, int *from_query)
{
	const char *token = c->s->token, *q;
	char cookie[512];

	*from_query = 0;
	if (!token || !*token)
		return 1;
	if (c->rq->authorization && !strncasecmp(c->rq->authorization, "Bearer ", 7) &&
	    same_secret(c->rq->authorization + 7, token))
		return 1;
	if ((q = srv_query(c, "token")) && same_secret(q, token)) {
		*from_query = 1;
		return 1;
	}
	return c->rq->cookie && cookie_value(c->rq->cookie, COOKIE_NAME, cookie, sizeof(cookie)) &&
	       same_secret(cookie, token);
}

static int json_content_type(const char *ct)
{
	size_t len;

	if (!ct)
		return 0;
	while (*ct == ' ')
		ct++;
	len = strcspn(ct, "; ");
	return len == 16 && !strncasecmp(ct, "application/json", 16);
}

/* Origin, when sent, must be this server: http://HOST where HOST is what the client reached. */
static int origin_allowed(const srv_request *rq)
{
	if (!rq->origin)
		return 1;
	if (!rq->host || strncmp(rq->origin, "http://", 7))
		return 0;
	return !strcasecmp(rq->origin + 7, rq->host);
}

/* ---- dispatch -------------------------------------------------------------------------------- */

static int target_ok(const char *path, size_t len)
{
	/* no "." or ".." segment: the UI's files are looked up by name, never on disk, but a
	   path that would climb is refused all the same */
	for (size_t k = 0; k < len; k++) {
		if ((unsigned char)path[k] < 0x21 || (unsigned char)path[k] == 0x7f)
			return 0;
		if (path[k] == '/' && k + 1 < len && path[k + 1] == '.' &&
		    (k + 2 == len || path[k + 2] == '/' ||
		     (path[k + 2] == '.' && (k + 3 == len || path[k + 3] == '/'))))
			return 0;
	}
	return 1;
}

void srv_dispatch(tr_server *s, const srv_request *rq, srv_response *rs)
{
	srv_ctx c;
	const char *target = rq->target ? rq->target : "";
	size_t path_len = strcspn(target, "?#");
	char *path = NULL;
	const srv_route *found = NULL;
	int has_get = 0, has_post = 0, is_api, from_query = 0;
	const char *method = rq->method ? rq->method : "";
	int is_head = !strcmp(method, "HEAD");

	memset(&c, 0, sizeof(c));
	c.s = s;
	c.rq = rq;
	c.rs = rs;
	c.now = srv_now(s);
	if (path_len == 0 || target[0] != '/' || strlen(target) > TARGET_MAX ||
	    !target_ok(target, path_len)) {
		fail_rsf(rs, 400, "bad_request",
			 "the request target must be a path starting with / (at most %d bytes, "
			 "no spaces, control characters or . and .. segments)",
			 TARGET_MAX);
		goto out;
	}
	path = malloc(path_len + 1);
	if (!path) {
		fail_rs(rs, 500, "internal", "out of memory");
		goto out;
	}
	memcpy(path, target, path_len);
	path[path_len] = '\0';
	is_api = !strncmp(path, "/api/", 5) || !strcmp(path, "/api");
	if (!host_allowed(s, rq->host)) {
		fail_rsf(rs, 403, "forbidden",
			 "Host \"%.100s\" is not this server's (use http://127.0.0.1 or "
			 "http://localhost, or start tranche serve with --token to accept other "
			 "names)",
			 rq->host ? rq->host : "");
		goto out;
	}
	if (target[path_len] == '?' && parse_query(&c, target + path_len + 1))
		goto out;

	/* the route */
	for (const srv_route *r = routes; r->method; r++) {
		char *params[SRV_MAX_PARAMS] = {NULL};
		size_t n = 0;
		int m = match(r->pattern, path, params, &n);

		if (m < 0) {
			fail_rs(rs, 400, "bad_request",
				"a path segment is not valid percent-encoding (or decodes to control "
				"characters)");
			goto out;
		}
		if (!m)
			continue;
		has_get |= !strcmp(r->method, "GET");
		has_post |= !strcmp(r->method, "POST");
		if (!found && (!strcmp(r->method, method) || (is_head && !strcmp(r->method, "GET")))) {
			found = r;
			memcpy(c.params, params, sizeof(params));
			c.n_params = n;
		} else {
			for (size_t k = 0; k < n; k++)
				free(params[k]);
		}
	}
	if (!found && !is_api && (!strcmp(method, "GET") || is_head)) {
		if (serve_ui(rs, path))
			goto out;
	}
	if (!found && (has_get || has_post)) {
		rs->allow = has_get && has_post ? "GET, HEAD, POST" : has_post ? "POST" : "GET, HEAD";
		fail_rsf(rs, 405, "method_not_allowed", "%s %s: method not allowed (allowed: %s)",
			 method, path, rs->allow);
		goto out;
	}
	if (!found) {
		tr_buf list = TR_BUF_INIT;

		list_routes(&list);
		if (is_api)
			fail_rsf(rs, 404, "not_found", "no route %s %s (routes: %s)", method, path,
				 tr_buf_str(&list));
		else
			fail_rsf(rs, 404, "not_found",
				 "no file %s in the web UI (the API is under /api/: %s)", path,
				 tr_buf_str(&list));
		tr_buf_release(&list);
		goto out;
	}

	/* the checks of the API */
	if (!authorized(&c, &from_query)) {
		rs->auth_challenge = 1;
		fail_rs(rs, 401, "unauthorized",
			"this server needs its token: send Authorization: Bearer TOKEN (or ?token=TOKEN "
			"once, in a browser)");
		goto out;
	}
	if (from_query && s->token) {
		tr_buf cookie = TR_BUF_INIT;

		tr_buf_addf(&cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict", COOKIE_NAME,
			    s->token);
		rs->set_cookie = tr_buf_detach(&cookie, NULL);
	}
	if (!strcmp(found->method, "POST")) {
		if (!origin_allowed(rq)) {
			fail_rsf(rs, 403, "forbidden",
				 "Origin \"%.100s\" is not this server (http://%.100s): requests that "
				 "change state must come from the server's own pages",
				 rq->origin, rq->host ? rq->host : "?");
			goto out;
		}
		if (!json_content_type(rq->content_type)) {
			fail_rsf(rs, 415, "unsupported_media_type",
				 "POST %s: Content-Type must be application/json (got %.60s%s%s)",
				 path, rq->content_type ? "\"" : "",
				 rq->content_type ? rq->content_type : "none",
				 rq->content_type ? "\"" : "");
			goto out;
		}
		if (rq->body_too_large || rq->body_len > SRV_BODY_MAX) {
			fail_rsf(rs, 413, "too_large", "POST %s: the body is larger than %zu bytes",
				 path, SRV_BODY_MAX);
			goto out;
		}
	}
	found->handler(&c);
out:
	if (s->verbose)
		srv_log(s, "%s %.200s %d", method, target, rs->status);
	for (size_t k = 0; k < SRV_MAX_PARAMS; k++)
		free(c.params[k]);
	query_free(&c);
	if (c.body)
		tr_node_free(c.body);
	if (c.st)
		srv_storage_give(s, c.st);
	if (c.proj)
		srv_proj_release(s, c.proj);
	free(path);
	if (tr_buf_failed(&rs->body))
		fail_rs(rs, 500, "internal", "out of memory writing the answer");
	(void)TRANCHE_VERSION;
}
