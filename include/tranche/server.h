/*
 * tranche/server.h — `tranche serve`: an HTTP server over one project, with
 * the JSON API of docs/api.md and the web UI, and the client the CLI uses to
 * submit runs to a server that is up for its project.
 *
 * One server owns its project's DuckDB warehouse for as long as it runs (one
 * tr_warehouse, opened at start): runs asked for through the API execute in
 * the server's process, on threads of their own, with connections from it.
 * While it runs it advertises itself in PROJECT_DIR/.tranche/server.json
 * ({"pid", "url", "token_required"}), so that `tranche materialize`,
 * `backfill`, `query`, `wipe` and `adopt` in another process go through it
 * (tr_client_*) instead of opening the warehouse, which DuckDB would refuse.
 *
 * Safety: a server binds to loopback unless given a token; with a token every
 * /api/ request must carry it. State changes are POST only, with a JSON
 * content type and, when the browser sends one, an Origin that is the
 * server's own. Bodies are capped at 1 MiB. See docs/api.md.
 *
 * Threads: tr_server_start returns once the server listens; requests are
 * served on threads of the server. tr_server_stop may be called from any one
 * thread (not from a request). Two servers may live in one process (on two
 * projects: each owns its warehouse file).
 *
 * Errors: 0 or a negative TR_E* code with err filled (tranche/error.h).
 */
#ifndef TRANCHE_SERVER_H
#define TRANCHE_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "tranche/admin.h"
#include "tranche/error.h"
#include "tranche/exec.h"
#include "tranche/warehouse.h"

typedef struct tr_server tr_server;

typedef struct tr_server_config {
	/* the project file (absolute, or relative to the current directory, which
	   must be the project's directory: runs resolve relative paths against it) */
	const char *project_path;
	const char *host; /* NULL: "127.0.0.1" */
	int port;         /* 0: any free port (tr_server_url tells which) */
	/* NULL or "": no token, refused unless host is a loopback address */
	const char *token;
	/* fixed current time (Unix seconds; 0: the clock at each request) */
	int64_t now;
	/* 0: write and remove PROJECT_DIR/.tranche/server.json (what tranche serve
	   does); 1: do not (tests that run several servers on copies). */
	int no_server_file;
	/* 1: do not listen at all: requests come only through the internal
	   dispatcher (the fuzz harness, benchmarks) */
	int no_listen;
	/* log lines (one request per line when verbose), may be NULL */
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
	int verbose;
	/* 1: watch the project file and the SQL files it reads, and reload them
	   when they change (as POST /api/reload does); 0: reload on request only */
	int watch;
} tr_server_config;

/*
 * Loads the project, opens its instance storage (creating it) and warehouse,
 * and listens. Refused (nothing left open): a project that does not load
 * (its error), a non-loopback host without a token (TR_EINVAL saying to
 * give --token or TRANCHE_TOKEN), a host that does not resolve, a port in
 * use (TR_EIO), a warehouse held by another process (the warehouse's
 * message), another live server for the project (TR_EIO naming its pid and
 * URL). *out is NULL on error.
 */
int tr_server_start(const tr_server_config *cfg, tr_server **out, tr_error *err);
/* "http://127.0.0.1:3000" — the address it listens on. Owned by s. */
const char *tr_server_url(const tr_server *s);
/* Runs executing in the server now. */
size_t tr_server_runs_active(tr_server *s);
/*
 * Stops: no new request is accepted, running runs are canceled as Ctrl-C
 * cancels them (rolled back partitions, runs ended "canceled") and waited
 * for, open event streams end, server.json is removed, everything is freed.
 * NULL is allowed.
 */
void tr_server_stop(tr_server *s);

/* ---- the client: the CLI submitting to a running server ------------------- */

/*
 * The server advertised for the project in project_dir, if one is alive:
 * 1 with *url (caller frees) and *token_required, 0 when there is none (no
 * file, or one left by a process that is gone), negative on error (a file
 * that cannot be read as one).
 */
int tr_client_find(const char *project_dir, char **url, int *token_required, tr_error *err);

/*
 * tr_materialize through the server at url: submits req (selection and pick,
 * or req->resume, jobs, backfill mode, now, launched_by) as POST
 * /api/materialize, /api/backfills or /api/backfills/ID/resume, then follows
 * the run's event stream, calling req->on_progress with what the server's
 * executor reports, as a local run would, and fills report from the run's
 * summary (plan is not filled). req->cancel set: the run is canceled through
 * POST /api/runs/ID/cancel and followed to its end. dry_run is refused
 * (TR_EINVAL: dry runs need no server). token: NULL, or the Bearer token.
 * Returns 0 when the run was carried out, as tr_materialize does; a request
 * the server refuses gives its message (TR_EINVAL for 400/409, TR_ENOTFOUND
 * for 404), a server that cannot be reached TR_EIO.
 */
int tr_client_materialize(const char *url, const char *token, const tr_run_request *req,
			  tr_run_report *report, tr_error *err);

/*
 * The warehouse commands through the server (each one request; token as
 * above). Errors as tr_client_materialize's; the server's message is kept.
 *
 * tr_client_query: POST /api/query — sql's rows, at most max_rows (the
 * server keeps at most TR_CLIENT_QUERY_ROWS_MAX), into *out as
 * tr_wconn_query gives them (release with tr_table_release). The server runs
 * statements that read only: one that writes is refused with TR_EINVAL and a
 * message saying why; SQL that fails while running gives TR_EIO, as locally.
 */
#define TR_CLIENT_QUERY_ROWS_MAX 100000
int tr_client_query(const char *url, const char *token, const char *sql, size_t max_rows,
		    tr_table *out, tr_error *err);
/* POST /api/assets/NAME/wipe — req's partitions, or the whole asset; *report what was done. */
int tr_client_wipe(const char *url, const char *token, const tr_wipe_request *req,
		   tr_wipe_report *report, tr_error *err);
/* POST /api/assets/NAME/adopt — the report's JSON (as tranche adopt --json prints it)
   appended to answer. now: Unix seconds, 0 for the server's. */
int tr_client_adopt(const char *url, const char *token, const char *asset, int dry_run,
		    int64_t now, tr_buf *answer, tr_error *err);

#endif
