/*
 * server_int.h — what the files of src/server share: the request and
 * response as the router sees them (no libmicrohttpd type crosses this
 * header, so that the fuzz harness and the benchmark drive the router
 * directly), the server's state, the handler context and its helpers.
 *
 *   server.c       lifecycle, libmicrohttpd glue, the project and storage
 *                  handles shared by requests, server.json
 *   router.c       the route table, safety checks (auth, origin, methods,
 *                  content type, sizes), query and body parsing, errors,
 *                  the embedded UI files
 *   jobs.c         runs executing in the server (threads), their progress,
 *                  conflicts between them, the event streams (SSE)
 *   api_assets.c   assets, partitions, the grid, materializations, checks,
 *                  dynamic partitions
 *   api_runs.c     runs, events, backfills, materialize, cancel, resume
 *   api_lineage.c  the asset graph laid out by Graphviz (JSON and SVG)
 *   api_admin.c    the warehouse commands: read-only queries, wipe, adopt
 *   client.c       tr_client_*: the CLI's side (libcurl)
 *
 * Locking: s->mu guards the project reference, the storage pool, the job
 * list and the progress counters; s->cv is broadcast whenever a job starts,
 * reports progress or ends (streams wait on it). Never held while calling
 * into storage, the warehouse or the executor (but for tr_wconn_interrupt,
 * which never waits: srv_queries_interrupt).
 */
#ifndef TRANCHE_SERVER_INT_H
#define TRANCHE_SERVER_INT_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "base/node.h"
#include "tranche/buf.h"
#include "tranche/error.h"
#include "tranche/exec.h"
#include "tranche/json.h"
#include "tranche/keyset.h"
#include "tranche/project.h"
#include "tranche/server.h"
#include "tranche/storage.h"
#include "tranche/warehouse.h"

#define SRV_BODY_MAX ((size_t)1 << 20)   /* request bodies: 413 above */
#define SRV_BODY_DRAIN ((size_t)16 << 20) /* read and dropped before the 413; above: closed */
#define SRV_MAX_PARAMS 3

/* ---- request and response ------------------------------------------------------------- */

typedef struct srv_request {
	const char *method; /* "GET", "POST", ... */
	const char *target; /* the raw request target: "/api/assets/x?limit=5" (not decoded) */
	/* headers, NULL when absent */
	const char *host, *origin, *content_type, *authorization, *cookie, *last_event_id;
	const char *body; /* body_len bytes, need not be NUL-terminated */
	size_t body_len;
	int body_too_large; /* more than SRV_BODY_MAX bytes were sent (the body is dropped) */
	const char *peer;   /* "127.0.0.1", for launched_by; may be NULL */
} srv_request;

typedef struct srv_stream srv_stream;

typedef struct srv_response {
	int status;
	const char *content_type; /* static string */
	tr_buf body;
	const char *data; /* instead of body: static bytes (embedded files), not freed */
	size_t data_len;
	const char *allow;  /* 405: the methods of the path */
	char *set_cookie;   /* owned */
	int auth_challenge; /* 401: WWW-Authenticate: Bearer */
	int cacheable;      /* embedded files; API answers are Cache-Control: no-store */
	srv_stream *stream; /* an event stream: the transport calls srv_stream_read */
} srv_response;

void srv_response_init(srv_response *rs);
void srv_response_release(srv_response *rs);

/* ---- the server ----------------------------------------------------------------------- */

/* A loaded project, shared by requests and runs; freed when the last user lets go. */
struct srv_proj {
	tr_project *p;
	int refs;
};

struct srv_job;

struct tr_server {
	/* configuration (owned copies) */
	char *project_path, *host, *token;
	int port;
	int64_t fixed_now;
	int no_server_file;
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
	int verbose;
	int loopback; /* bound to a loopback address */

	char *url, *project_dir, *server_file;
	void *daemon; /* struct MHD_Daemon * */
	tr_warehouse *wh;
	char *warehouse_url, *storage_url; /* as opened: a reload may not change them */

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct srv_proj *proj;
	char *proj_error; /* the last reload's error, NULL when the file loaded */
	tr_storage **pool; /* idle storage handles */
	size_t n_pool, cap_pool;
	struct srv_job *jobs; /* newest first: running, then some ended ones */
	size_t n_running, n_threads;
	uint64_t generation; /* bumped with every job change and progress report */
	int stopping;
	struct srv_watch *watch; /* server.c: the project files' watch, NULL when off */
	struct srv_query *queries; /* api_admin.c: queries running, interrupted at stop */
};

/* Storage handles for one thread at a time: taken from the pool or opened. */
tr_storage *srv_storage_take(tr_server *s, tr_error *err);
void srv_storage_give(tr_server *s, tr_storage *st);
/* The current project, referenced (release with srv_proj_release). */
struct srv_proj *srv_proj_get(tr_server *s);
void srv_proj_release(tr_server *s, struct srv_proj *ref);
/* Reloads the project file: 0 with *error NULL, or the error as text (caller frees). */
int srv_reload(tr_server *s, char **error);
int64_t srv_now(const tr_server *s); /* Unix seconds */
int64_t srv_wall_ms(void);
void srv_log(tr_server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Wakes the streams (a job changed). Under s->mu. */
void srv_notify_locked(tr_server *s);

/* Handles one request (router.c): fills rs. Never fails: errors are responses. */
void srv_dispatch(tr_server *s, const srv_request *rq, srv_response *rs);
/* For tests: creates a server without listening (cfg->no_listen) — same as tr_server_start. */

/* ---- handlers -------------------------------------------------------------------------- */

typedef struct srv_qparam {
	char *key, *value; /* decoded */
} srv_qparam;

typedef struct srv_ctx {
	tr_server *s;
	const srv_request *rq;
	srv_response *rs;
	char *params[SRV_MAX_PARAMS]; /* decoded path segments the route captures */
	size_t n_params;
	srv_qparam *query;
	size_t n_query;
	struct srv_proj *proj; /* srv_project() takes it, the router lets it go */
	tr_storage *st;        /* srv_st() takes it, the router gives it back */
	tr_node *body;         /* srv_body() parses it */
	int64_t now;           /* Unix seconds, fixed for the request */
} srv_ctx;

typedef void (*srv_handler)(srv_ctx *c);

/* The request's project (never NULL: a server always has one). */
const tr_project *srv_project(srv_ctx *c);
/* A storage handle for the request; NULL after answering 500. */
tr_storage *srv_st(srv_ctx *c);

/* Error answers: {"error": {"code", "message"}}; fmt names the input and what is valid. */
void srv_fail(srv_ctx *c, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* An error from the library: EINVAL/ERANGE 400, ENOTFOUND 404, others 500. */
void srv_fail_err(srv_ctx *c, const tr_error *err);
/* A JSON writer over the response body, status 200 (or status). */
void srv_json_begin(srv_ctx *c, tr_json *j, int status);

/* Query parameters: the value, or NULL when absent. */
const char *srv_query(srv_ctx *c, const char *key);
/* An integer query parameter in [min, max] (absent: def); 0, or -1 after answering 400. */
int srv_query_int(srv_ctx *c, const char *key, int64_t def, int64_t min, int64_t max,
		  int64_t *out);
/* Refuses query parameters other than those listed (NULL-terminated); 0 or -1 (400). */
int srv_query_only(srv_ctx *c, const char *const *known);
/* The asset the route names (params[0]); 0, or -1 after answering 404. */
int srv_asset_param(srv_ctx *c, size_t *index);
/* An id in the path (params[k]) that must be a positive integer; 0 or -1 (400). */
int srv_id_param(srv_ctx *c, size_t k, const char *what, int64_t *id);

/*
 * The body as a JSON object whose keys are among `fields` (NULL-terminated);
 * an empty body is an empty object. 0 with *out, or -1 after answering 400.
 */
int srv_body(srv_ctx *c, const char *const *fields, const tr_node **out);
/* Body field readers: absent leaves *out; wrong type: -1 after answering 400. */
int srv_body_string(srv_ctx *c, const tr_node *obj, const char *key, const char **out);
int srv_body_bool(srv_ctx *c, const tr_node *obj, const char *key, int *out);
int srv_body_int(srv_ctx *c, const tr_node *obj, const char *key, int64_t min, int64_t max,
		 int64_t *out);
/* The body's "now" (ISO 8601) in Unix seconds; absent: the request's now. 0 or -1 (400). */
int srv_body_now(srv_ctx *c, const tr_node *obj, int64_t *out);
/* A list of strings (at most max); *out a new array of pointers into the body (caller frees). */
int srv_body_strings(srv_ctx *c, const tr_node *obj, const char *key, size_t max,
		     const char ***out, size_t *n);

/* Writes a run as the API shows it (the fields of GET /api/runs). */
void srv_json_run(tr_json *j, const tr_run *r);
/* Writes an event as the API shows it. */
void srv_json_event(tr_json *j, const tr_event_rec *e);

/* api_assets.c */
void api_assets(srv_ctx *c);
void api_asset(srv_ctx *c);
void api_asset_partitions(srv_ctx *c);
void api_asset_grid(srv_ctx *c);
void api_asset_materializations(srv_ctx *c);
void api_asset_metadata_series(srv_ctx *c);
void api_asset_checks(srv_ctx *c);
void api_dynamic_get(srv_ctx *c);
void api_dynamic_post(srv_ctx *c);
/* api_runs.c */
void api_health(srv_ctx *c);
void api_reload(srv_ctx *c);
void api_runs(srv_ctx *c);
void api_run(srv_ctx *c);
void api_run_events(srv_ctx *c);
void api_run_stream(srv_ctx *c);
void api_stream(srv_ctx *c);
void api_run_cancel(srv_ctx *c);
void api_backfills(srv_ctx *c);
void api_backfill(srv_ctx *c);
void api_backfill_create(srv_ctx *c);
void api_backfill_cancel(srv_ctx *c);
void api_backfill_resume(srv_ctx *c);
void api_materialize(srv_ctx *c);
/* api_lineage.c */
void api_lineage(srv_ctx *c);
void api_lineage_svg(srv_ctx *c);
/* api_admin.c */
/* Interrupts the queries running (tr_server_stop, after setting stopping). */
void srv_queries_interrupt(tr_server *s);
void api_query(srv_ctx *c);
void api_asset_wipe(srv_ctx *c);
void api_asset_adopt(srv_ctx *c);

/* ---- jobs (jobs.c) ----------------------------------------------------------------------- */

/* What POST /api/materialize, /api/backfills and .../resume ask for. */
typedef struct srv_launch {
	tr_run_request req; /* selection, pick, keys, from, to, jobs, backfill, resume, now */
	int dry_run;
} srv_launch;

/*
 * Plans l (a dry run: a refused request answers 400/404 and nothing is
 * written), answers the plan for a dry run, "nothing to do" when there is
 * none, 409 when it would write partitions a running run writes; else starts
 * the run on a thread of its own and answers 202 with its ids.
 */
void srv_job_launch(srv_ctx *c, srv_launch *l);
/* Asks the job running run_id (or backfill_id, when run_id is 0) to stop: 1 if one does. */
int srv_job_cancel(tr_server *s, int64_t run_id, int64_t backfill_id);
/* Is backfill_id being run by this server now? */
int srv_job_running_backfill(tr_server *s, int64_t backfill_id);
/*
 * Waits, at most wait_ms, for the jobs of run_id (or backfill_id, when run_id
 * is 0) to end, as long as each was asked to stop: 1 when none runs any more,
 * 0 when one still does (or runs without having been asked to stop).
 */
int srv_job_wait_canceled(tr_server *s, int64_t run_id, int64_t backfill_id, int64_t wait_ms);
/* The step counters of run->id from its job's latest progress report into run's
   steps_* fields: 1 when this server runs it, else 0 (run unchanged). */
int srv_job_live_counters(tr_server *s, tr_run *run);
/*
 * Does a running job write partitions `keys` of asset (def NULL: the whole
 * table; any partition of it conflicts)? 1 with the message in msg (as a 409
 * of srv_job_launch says it), else 0. For the API's wipe.
 */
int srv_job_conflict(tr_server *s, const char *asset, const tr_partdef *def,
		     const tr_keyset *keys, tr_buf *msg);
/* Cancels every job and waits for their threads (tr_server_stop). */
void srv_jobs_stop(tr_server *s);
void srv_jobs_free(tr_server *s);

/*
 * Event streams: run_id 0 = every run's events; after_id: events after it.
 * Of the events already recorded, at most the newest replay_max are sent,
 * after a `replay` frame that counts the others. A run's stream forwards its
 * progress reports from the moment it opens, or every one still kept (the
 * last 1024) when progress_from_start.
 */
int srv_stream_new(tr_server *s, int64_t run_id, int64_t after_id, int progress_from_start,
		   size_t replay_max, srv_stream **out, tr_error *err);
/* Fills buf (at most max bytes): n > 0, or -1 once the stream has ended.
   Blocks until there is something to send (a keep-alive comment at least
   every few seconds). */
long srv_stream_read(srv_stream *st, char *buf, size_t max);
void srv_stream_free(srv_stream *st);

/* ---- the embedded UI (generated: $(BUILD)/gen/ui.c) ----------------------------------- */

typedef struct tr_ui_file {
	const char *path; /* "index.html", "js/app.js" */
	const char *data;
	size_t len;
} tr_ui_file;
extern const tr_ui_file tr_ui_files[]; /* ends with a NULL path */

#endif
