/*
 * api_admin.c — the warehouse commands of the API, which `tranche query`,
 * `tranche wipe` and `tranche adopt` use while the server owns the warehouse
 * (docs/api.md): POST /api/query, /api/assets/NAME/wipe, /api/assets/NAME/adopt.
 *
 * Each runs in the request's thread, on a connection of the server's one
 * warehouse (as a job's steps do) and the request's storage handle, through
 * the same library calls as the CLI's local commands (tr_wconn_query_read,
 * tr_wipe_*, tr_adopt_* of tranche/admin.h), so the checks, the messages and
 * the answers are the CLI's. A query is read-only here: the server's runs
 * write the same database at the same time; a query still running when the
 * server stops is interrupted. A wipe is refused (409) while a run of the
 * server writes one of its partitions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"
#include "tranche/admin.h"

#define QUERY_ROWS_DEFAULT 1000
#define QUERY_ROWS_MAX TR_CLIENT_QUERY_ROWS_MAX
#define WIPE_KEYS_MAX 100000

/* The server's warehouse, connected for this request; NULL after answering 500. */
static tr_wconn *connect_wh(srv_ctx *c)
{
	tr_wconn *conn = NULL;
	tr_error err = {0};

	if (tr_warehouse_connect(c->s->wh, &conn, &err)) {
		srv_fail(c, 500, "internal", "%s", err.msg);
		return NULL;
	}
	return conn;
}

/* ---- POST /api/query ------------------------------------------------------------------------ */

/* A query running, in s->queries (on its handler's stack), for the stop to interrupt it. */
struct srv_query {
	tr_wconn *conn;
	struct srv_query *next;
};

void srv_queries_interrupt(tr_server *s)
{
	/* under s->mu, against the handler closing the connection: tr_wconn_interrupt only sets
	   a flag and asks DuckDB to stop, it never waits */
	pthread_mutex_lock(&s->mu);
	for (struct srv_query *q = s->queries; q; q = q->next)
		tr_wconn_interrupt(q->conn);
	pthread_mutex_unlock(&s->mu);
}

/* 0 with q in the list, or -1 after answering 503 (the server stops). */
static int query_enter(srv_ctx *c, struct srv_query *q)
{
	int stopping;

	pthread_mutex_lock(&c->s->mu);
	stopping = c->s->stopping;
	if (!stopping) {
		q->next = c->s->queries;
		c->s->queries = q;
	}
	pthread_mutex_unlock(&c->s->mu);
	if (stopping)
		srv_fail(c, 503, "unavailable", "the server is stopping");
	return stopping ? -1 : 0;
}

static void query_leave(tr_server *s, struct srv_query *q)
{
	pthread_mutex_lock(&s->mu);
	for (struct srv_query **pp = &s->queries; *pp; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	pthread_mutex_unlock(&s->mu);
}

static void query_answer(srv_ctx *c, const tr_table *t, int64_t limit)
{
	tr_json j;

	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	tr_json_key(&j, "columns");
	tr_json_array_begin(&j);
	for (size_t k = 0; k < t->ncols; k++) {
		tr_json_object_begin(&j);
		tr_json_kv_string(&j, "name", t->names[k]);
		tr_json_kv_string(&j, "type", t->types[k]);
		tr_json_kv_bool(&j, "numeric", t->numeric && t->numeric[k]);
		tr_json_object_end(&j);
	}
	tr_json_array_end(&j);
	tr_json_key(&j, "rows");
	tr_table_write_json_rows(t, &j);
	tr_json_kv_int(&j, "row_count", (int64_t)t->nrows);
	tr_json_kv_bool(&j, "truncated", t->truncated);
	tr_json_kv_int(&j, "limit", limit);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
}

void api_query(srv_ctx *c)
{
	static const char *const fields[] = {"sql", "limit", NULL};
	const tr_node *body;
	const char *sql = NULL;
	int64_t limit = QUERY_ROWS_DEFAULT;
	tr_wconn *conn = NULL;
	tr_table t = {0};
	tr_error err = {0};
	struct srv_query q;
	int writes = 0, rc;

	if (srv_body(c, fields, &body) || srv_body_string(c, body, "sql", &sql) ||
	    srv_body_int(c, body, "limit", 1, QUERY_ROWS_MAX, &limit))
		return;
	if (sql && !tr_node_get(body, "sql")->quoted) { /* 5 or true is no SQL */
		srv_fail(c, 400, "bad_request",
			 "request body: sql: a string is expected, not a number or a boolean");
		return;
	}
	if (!sql || !sql[strspn(sql, " \t\r\n;")]) {
		srv_fail(c, 400, "bad_request", "request body: sql: give the SQL to run (a string: one "
						"or several statements; the rows of the last one are "
						"answered)");
		return;
	}
	if (!(conn = connect_wh(c)))
		return;
	q.conn = conn;
	if (query_enter(c, &q)) {
		tr_wconn_close(conn);
		return;
	}
	rc = tr_wconn_query_read(conn, sql, NULL, 0, (size_t)limit, &t, &writes, &err);
	query_leave(c->s, &q);
	if (rc) {
		/* the SQL's fault, whichever way DuckDB said it: 400 with its message */
		if (writes)
			srv_fail(c, 400, "read_only", "%s", err.msg);
		else if (err.code == TR_EINVAL)
			srv_fail(c, 400, "bad_request", "%s", err.msg);
		else if (err.code == TR_EIO)
			srv_fail(c, 400, "query_failed", "%s", err.msg);
		else
			srv_fail_err(c, &err);
		goto out;
	}
	query_answer(c, &t, limit);
out:
	tr_table_release(&t);
	tr_wconn_close(conn);
}

/* ---- POST /api/assets/NAME/wipe -------------------------------------------------------------- */

void api_asset_wipe(srv_ctx *c)
{
	static const char *const fields[] = {"partitions", "from", "to", "all", "now", NULL};
	const tr_node *body;
	const tr_project *p = srv_project(c);
	tr_storage *st;
	tr_wipe_request req;
	tr_wipe_plan plan;
	tr_wipe_report report;
	const char **keys = NULL;
	int all = 0, picks;
	tr_wconn *conn = NULL;
	tr_buf conflict = TR_BUF_INIT;
	tr_error err = {0};
	tr_json j;

	memset(&req, 0, sizeof(req));
	memset(&plan, 0, sizeof(plan));
	if (srv_body(c, fields, &body) ||
	    srv_body_strings(c, body, "partitions", WIPE_KEYS_MAX, &keys, &req.n_keys) ||
	    srv_body_string(c, body, "from", &req.from) || srv_body_string(c, body, "to", &req.to) ||
	    srv_body_bool(c, body, "all", &all) || srv_body_now(c, body, &req.now))
		goto out;
	picks = (tr_node_get(body, "partitions") != NULL) + (req.from || req.to) + all;
	if (picks != 1) {
		srv_fail(c, 400, "bad_request",
			 "request body: %s one of partitions: [\"KEY\", \"FIRST...LAST\", ...], from "
			 "and to (a range, both inclusive), or all: true (the whole table dropped)",
			 picks ? "choose only" : "say what to wipe:");
		goto out;
	}
	if ((req.from != NULL) != (req.to != NULL)) {
		srv_fail(c, 400, "bad_request", "request body: from and to go together (a range of "
						"keys, both inclusive)");
		goto out;
	}
	if (tr_node_get(body, "partitions") && !req.n_keys) {
		srv_fail(c, 400, "bad_request", "request body: partitions: give at least one key (or "
						"FIRST...LAST)");
		goto out;
	}
	if (!(st = srv_st(c)))
		goto out;
	req.asset = c->params[0];
	req.keys = keys;
	if (tr_wipe_plan_make(p, st, &req, &plan, &err)) {
		srv_fail_err(c, &err);
		goto out;
	}
	if (srv_job_conflict(c->s, p->assets[plan.asset].name,
			     plan.whole ? NULL : p->assets[plan.asset].partdef, &plan.keys,
			     &conflict)) {
		srv_fail(c, 409, "conflict", "%s", tr_buf_str(&conflict));
		goto out;
	}
	if (!(conn = connect_wh(c)))
		goto out;
	if (tr_wipe_run(p, st, conn, &plan, &report, &err)) {
		srv_fail_err(c, &err);
		goto out;
	}
	srv_log(c->s, "wiped %s: %lld row%s deleted", p->assets[plan.asset].name,
		(long long)report.rows, report.rows == 1 ? "" : "s");
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	tr_json_kv_string(&j, "asset", p->assets[plan.asset].name);
	tr_json_kv_string(&j, "table", p->assets[plan.asset].table);
	tr_json_kv_bool(&j, "whole", report.whole);
	tr_json_key(&j, "partitions");
	if (report.whole)
		tr_json_null(&j);
	else
		tr_json_int(&j, report.partitions);
	tr_json_kv_int(&j, "rows_deleted", report.rows);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
out:
	tr_wconn_close(conn);
	tr_wipe_plan_release(&plan);
	tr_buf_release(&conflict);
	free(keys);
}

/* ---- POST /api/assets/NAME/adopt -------------------------------------------------------------- */

void api_asset_adopt(srv_ctx *c)
{
	static const char *const fields[] = {"dry_run", "now", NULL};
	const tr_node *body;
	const tr_project *p = srv_project(c);
	tr_storage *st;
	tr_adopt_report r = {0};
	tr_adopt_next next;
	tr_error err = {0};
	int64_t now;
	int dry_run = 0;
	size_t i;
	tr_json j;

	if (srv_body(c, fields, &body) || srv_body_bool(c, body, "dry_run", &dry_run) ||
	    srv_body_now(c, body, &now) || srv_asset_param(c, &i) || !(st = srv_st(c)))
		goto out;
	if (tr_adopt_scan(p, st, c->s->wh, i, now, &r, &err) ||
	    (!dry_run && !tr_keyset_is_empty(&r.adopt) && tr_adopt_record(p, st, i, &r, &err)) ||
	    tr_adopt_next_get(p, st, i, &r, dry_run, &next, &err)) {
		srv_fail_err(c, &err);
		goto out;
	}
	if (r.recorded)
		srv_log(c->s, "adopted %lld partition%s of %s", (long long)r.recorded,
			r.recorded == 1 ? "" : "s", r.asset);
	srv_json_begin(c, &j, 200);
	tr_adopt_report_write_json(&r, dry_run, &next, &j);
	tr_buf_addc(&c->rs->body, '\n');
out:
	tr_adopt_report_release(&r);
}
