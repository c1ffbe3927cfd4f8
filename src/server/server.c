/*
 * server.c — tr_server: its lifecycle, the libmicrohttpd glue, and what
 * requests share: the project (reloaded on request; users hold a reference),
 * a pool of instance storage handles (a handle serves one thread at a time),
 * the one warehouse, and PROJECT_DIR/.tranche/server.json.
 *
 * libmicrohttpd runs one thread per connection (event streams block their
 * thread while they wait; a connection limit bounds the threads). Each
 * request's raw target comes from the URI log callback, before the library
 * decodes it, so that the router sees exactly what the client sent. Bodies
 * are gathered up to SRV_BODY_MAX; what is above is read and dropped (up to
 * SRV_BODY_DRAIN, then the connection is closed) and the router answers 413.
 *
 * The file watch (config.watch; `tranche serve` without --no-watch): a
 * thread notices when the project file or an SQL file it reads changes and
 * reloads them as POST /api/reload does (srv_reload): see "the file watch".
 *
 * Stopping: the daemon stops accepting (quiesce), queries of POST
 * /api/query are interrupted, the watch thread is joined, jobs are canceled
 * and waited for, streams see `stopping` and end,
 * then the daemon stops (joining the connection threads) and everything is
 * freed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "server/server_int.h"
#include "tranche/version.h"

#define CONNECTION_LIMIT 128
#define CONNECTION_TIMEOUT_S 120
#define POOL_KEEP 16 /* idle storage handles kept open */

/* ---- small things ------------------------------------------------------------------------ */

int64_t srv_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t srv_now(const tr_server *s)
{
	return s->fixed_now ? s->fixed_now : (int64_t)time(NULL);
}

void srv_log(tr_server *s, const char *fmt, ...)
{
	tr_buf line = TR_BUF_INIT;
	va_list ap;

	if (!s->log)
		return;
	va_start(ap, fmt);
	tr_buf_vaddf(&line, fmt, ap);
	va_end(ap);
	s->log(s->log_ctx, tr_buf_str(&line));
	tr_buf_release(&line);
}

void srv_notify_locked(tr_server *s)
{
	s->generation++;
	pthread_cond_broadcast(&s->cv);
}

/* ---- the project --------------------------------------------------------------------------- */

struct srv_proj *srv_proj_get(tr_server *s)
{
	struct srv_proj *ref;

	pthread_mutex_lock(&s->mu);
	ref = s->proj;
	ref->refs++;
	pthread_mutex_unlock(&s->mu);
	return ref;
}

void srv_proj_release(tr_server *s, struct srv_proj *ref)
{
	int last;

	if (!ref)
		return;
	pthread_mutex_lock(&s->mu);
	last = --ref->refs == 0;
	pthread_mutex_unlock(&s->mu);
	if (last) {
		tr_project_free(ref->p);
		free(ref);
	}
}

static struct srv_proj *proj_new(tr_project *p)
{
	struct srv_proj *ref = calloc(1, sizeof(*ref));

	if (!ref)
		return NULL;
	ref->p = p;
	ref->refs = 1; /* the server's */
	return ref;
}

int srv_reload(tr_server *s, char **error)
{
	tr_project *p = NULL;
	tr_error err = {0};
	struct srv_proj *ref, *old;
	tr_buf msg = TR_BUF_INIT;

	*error = NULL;
	if (tr_project_load(s->project_path, &p, &err)) {
		tr_buf_adds(&msg, err.msg);
	} else if (strcmp(p->warehouse, s->warehouse_url)) {
		tr_buf_addf(&msg, "%s: warehouse: changed from \"%s\" to \"%s\": the server keeps the "
				  "warehouse it opened; restart tranche serve to use the new one",
			    p->path, s->warehouse_url, p->warehouse);
	} else if (strcmp(p->storage, s->storage_url)) {
		tr_buf_addf(&msg, "%s: storage: changed from \"%s\" to \"%s\": restart tranche serve "
				  "to use the new one",
			    p->path, s->storage_url, p->storage);
	}
	if (msg.len || !(ref = proj_new(p))) {
		tr_project_free(p);
		if (!msg.len)
			tr_buf_adds(&msg, "out of memory");
		*error = tr_buf_detach(&msg, NULL);
		pthread_mutex_lock(&s->mu);
		free(s->proj_error);
		s->proj_error = *error ? strdup(*error) : NULL;
		pthread_mutex_unlock(&s->mu);
		return *error ? TR_EINVAL : TR_ENOMEM;
	}
	pthread_mutex_lock(&s->mu);
	old = s->proj;
	s->proj = ref;
	free(s->proj_error);
	s->proj_error = NULL;
	pthread_mutex_unlock(&s->mu);
	srv_proj_release(s, old);
	tr_buf_release(&msg);
	return 0;
}

/* ---- the file watch ------------------------------------------------------------------------- */

/*
 * What the project loader reads: the project file, and each asset's sql_file
 * or script_file (there are no includes). A thread looks at their size,
 * mtime, ctime, inode and device once a second; a change is reloaded once the
 * files have been still for WATCH_SETTLE_MS, because editors save in several
 * steps (a truncate and a write, or a new file renamed over the old one).
 *
 * A stat poll rather than inotify: the files may be in any directory (an
 * sql_file may be ../shared/x.sql) and on any file system (inotify misses
 * changes made over NFS or from outside a container's bind mount); a
 * rename-over save shows as a new inode like any other change; and a few
 * stat() calls a second cost nothing, where inotify needs a watch per
 * directory and care with editors' temporary files.
 *
 * While the project does not load (an error in it, or a file it names that is
 * missing), the load is tried again every second: the fix may be a file that
 * only the fixed project names, which nobody watched. A failed reload keeps
 * the previous definitions serving (srv_reload) and its error in
 * s->proj_error, which GET /api/health shows; it is logged once per message.
 */
#define WATCH_POLL_MS 1000
#define WATCH_SETTLE_MS 250
#define WATCH_SETTLE_MAX_MS 5000 /* files that never stop changing are reloaded anyway */
#define WATCH_STEP_MS 50

struct watched_file {
	char *path;
	int exists;
	struct stat st;
};

struct srv_watch {
	pthread_t thread;
	struct watched_file *files;
	size_t n;
	char *changed; /* a file seen changed since the last reload, for the log */
	char *logged;  /* the last error logged, not to repeat it every second */
};

static void watched_stat(struct watched_file *f)
{
	f->exists = stat(f->path, &f->st) == 0;
	if (!f->exists)
		memset(&f->st, 0, sizeof(f->st));
}

static int watched_same(const struct watched_file *a, const struct watched_file *b)
{
	return a->exists == b->exists && a->st.st_dev == b->st.st_dev &&
	       a->st.st_ino == b->st.st_ino && a->st.st_size == b->st.st_size &&
	       a->st.st_mtim.tv_sec == b->st.st_mtim.tv_sec &&
	       a->st.st_mtim.tv_nsec == b->st.st_mtim.tv_nsec &&
	       a->st.st_ctim.tv_sec == b->st.st_ctim.tv_sec &&
	       a->st.st_ctim.tv_nsec == b->st.st_ctim.tv_nsec;
}

static void watch_files_free(struct watched_file *files, size_t n)
{
	for (size_t k = 0; k < n; k++)
		free(files[k].path);
	free(files);
}

/*
 * Adds path (owned; NULL: out of memory, noted as a NULL entry) to files,
 * once; its state is the one old saw when old watched it, else stat'ed now.
 */
static void watch_add(struct watched_file *files, size_t *n, const struct srv_watch *old,
		      char *path)
{
	struct watched_file *f;

	for (size_t k = 0; path && k < *n; k++)
		if (files[k].path && !strcmp(files[k].path, path)) {
			free(path);
			return;
		}
	f = &files[(*n)++];
	f->path = path;
	if (!path)
		return;
	for (size_t k = 0; k < old->n; k++)
		if (!strcmp(old->files[k].path, path)) {
			f->exists = old->files[k].exists;
			f->st = old->files[k].st;
			return;
		}
	watched_stat(f);
}

/*
 * The files the current project was loaded from, replacing w's list. Files
 * that w already watched keep the state seen before the reload, so that a
 * change made while the reload read them is still noticed.
 */
static void watch_rebuild(tr_server *s, struct srv_watch *w)
{
	struct srv_proj *ref = srv_proj_get(s);
	const tr_project *p = ref->p;
	struct watched_file *files = calloc(p->n_assets + 1, sizeof(*files));
	size_t n = 0;

	if (!files)
		goto out;
	watch_add(files, &n, w, strdup(s->project_path));
	for (size_t i = 0; i < p->n_assets; i++) {
		const char *file = p->assets[i].sql_file;
		tr_buf path = TR_BUF_INIT;

		if (!file)
			continue;
		if (file[0] == '/')
			tr_buf_adds(&path, file);
		else
			tr_buf_addf(&path, "%s/%s", p->dir, file);
		watch_add(files, &n, w, tr_buf_detach(&path, NULL));
	}
	for (size_t k = 0; k < n; k++)
		if (!files[k].path) { /* out of memory: keep the old list */
			watch_files_free(files, n);
			goto out;
		}
	watch_files_free(w->files, w->n);
	w->files = files;
	w->n = n;
out:
	srv_proj_release(s, ref);
}

/* Stats every watched file again: 1 when one changed since the last look. */
static int watch_changed(struct srv_watch *w)
{
	int changed = 0;

	for (size_t k = 0; k < w->n; k++) {
		struct watched_file now = w->files[k];

		watched_stat(&now);
		if (!watched_same(&now, &w->files[k])) {
			changed = 1;
			if (!w->changed)
				w->changed = strdup(w->files[k].path);
		}
		w->files[k].exists = now.exists;
		w->files[k].st = now.st;
	}
	return changed;
}

/* Sleeps ms, or less when the server stops: 1 when it stops. */
static int watch_sleep(tr_server *s, int64_t ms)
{
	int64_t until = srv_wall_ms() + ms;
	int stopping;

	pthread_mutex_lock(&s->mu);
	while (!s->stopping && srv_wall_ms() < until) {
		struct timespec ts;

		ts.tv_sec = until / 1000;
		ts.tv_nsec = (until % 1000) * 1000000;
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	}
	stopping = s->stopping;
	pthread_mutex_unlock(&s->mu);
	return stopping;
}

/* After a change: waits until the files have been still for WATCH_SETTLE_MS. 1: stopping. */
static int watch_settle(tr_server *s, struct srv_watch *w)
{
	int64_t start = srv_wall_ms(), still_since = start;

	while (srv_wall_ms() - still_since < WATCH_SETTLE_MS &&
	       srv_wall_ms() - start < WATCH_SETTLE_MAX_MS) {
		if (watch_sleep(s, WATCH_STEP_MS))
			return 1;
		if (watch_changed(w))
			still_since = srv_wall_ms();
	}
	return 0;
}

static void watch_reload(tr_server *s, struct srv_watch *w, int changed)
{
	char *error = NULL;

	if (srv_reload(s, &error) == 0) {
		struct srv_proj *ref = srv_proj_get(s);

		if (changed || w->logged)
			srv_log(s, "%s%sreloaded the project (%zu assets)%s",
				w->changed ? w->changed : "", w->changed ? " changed: " : "",
				ref->p->n_assets, w->logged ? "; its error is gone" : "");
		srv_proj_release(s, ref);
		free(w->logged);
		w->logged = NULL;
		watch_rebuild(s, w);
	} else if (error && (!w->logged || strcmp(w->logged, error))) {
		srv_log(s, "reload: %s (the previous definitions stay)", error);
		free(w->logged);
		w->logged = error;
		error = NULL;
	}
	free(error);
	free(w->changed);
	w->changed = NULL;
}

static void *watch_main(void *arg)
{
	tr_server *s = arg;
	struct srv_watch *w = s->watch;

	while (!watch_sleep(s, WATCH_POLL_MS)) {
		int changed = watch_changed(w), broken;

		if (changed && watch_settle(s, w))
			break;
		pthread_mutex_lock(&s->mu);
		broken = s->proj_error != NULL;
		pthread_mutex_unlock(&s->mu);
		if (changed || broken)
			watch_reload(s, w, changed);
	}
	return NULL;
}

static int watch_start(tr_server *s, tr_error *err)
{
	int rc;

	s->watch = calloc(1, sizeof(*s->watch));
	if (!s->watch)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	watch_rebuild(s, s->watch); /* the files as loaded: changes from now on are noticed */
	if ((rc = pthread_create(&s->watch->thread, NULL, watch_main, s))) {
		watch_files_free(s->watch->files, s->watch->n);
		free(s->watch);
		s->watch = NULL;
		return tr_error_set(err, TR_EIO, "cannot start the thread that watches the project "
						 "files: %s (--no-watch does without)",
				    strerror(rc));
	}
	return 0;
}

/* Ends the watch (s->stopping is set). */
static void watch_stop(tr_server *s)
{
	if (!s->watch)
		return;
	pthread_join(s->watch->thread, NULL);
	watch_files_free(s->watch->files, s->watch->n);
	free(s->watch->changed);
	free(s->watch->logged);
	free(s->watch);
	s->watch = NULL;
}

/* ---- storage handles ------------------------------------------------------------------------ */

tr_storage *srv_storage_take(tr_server *s, tr_error *err)
{
	tr_storage *st = NULL;

	pthread_mutex_lock(&s->mu);
	if (s->n_pool)
		st = s->pool[--s->n_pool];
	pthread_mutex_unlock(&s->mu);
	if (st)
		return st;
	if (tr_storage_open(s->storage_url, &st, err)) {
		tr_error_prefix(err, "storage");
		return NULL;
	}
	return st;
}

void srv_storage_give(tr_server *s, tr_storage *st)
{
	if (!st)
		return;
	pthread_mutex_lock(&s->mu);
	if (s->n_pool < POOL_KEEP) {
		if (s->n_pool == s->cap_pool) {
			size_t cap = s->cap_pool ? s->cap_pool * 2 : 8;
			tr_storage **grown = realloc(s->pool, cap * sizeof(*grown));

			if (grown) {
				s->pool = grown;
				s->cap_pool = cap;
			}
		}
		if (s->n_pool < s->cap_pool) {
			s->pool[s->n_pool++] = st;
			st = NULL;
		}
	}
	pthread_mutex_unlock(&s->mu);
	tr_storage_close(st);
}

size_t tr_server_runs_active(tr_server *s)
{
	size_t n;

	pthread_mutex_lock(&s->mu);
	n = s->n_running;
	pthread_mutex_unlock(&s->mu);
	return n;
}

const char *tr_server_url(const tr_server *s)
{
	return s->url;
}

/* ---- libmicrohttpd --------------------------------------------------------------------------- */

/* What one request gathers while libmicrohttpd reads it. */
struct conn {
	char *target;
	tr_buf body;
	size_t seen; /* body bytes received, kept or not */
	int too_large;
	int started;
};

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *connection)
{
	struct conn *cn = calloc(1, sizeof(*cn));

	(void)cls;
	(void)connection;
	if (!cn)
		return NULL;
	cn->target = strdup(uri ? uri : "");
	tr_buf_init(&cn->body, SRV_BODY_MAX + 1);
	return cn;
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn *cn = *con_cls;

	(void)cls;
	(void)connection;
	(void)toe;
	if (!cn)
		return;
	free(cn->target);
	tr_buf_release(&cn->body);
	free(cn);
	*con_cls = NULL;
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	long n;

	(void)pos;
	n = srv_stream_read(cls, buf, max);
	return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : (ssize_t)n;
}

static void stream_free(void *cls)
{
	srv_stream_free(cls);
}

static enum MHD_Result queue(struct MHD_Connection *connection, srv_response *rs, int is_api)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (rs->stream) {
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_reader,
						      rs->stream, stream_free);
		if (r)
			rs->stream = NULL; /* the response owns it now */
	} else if (rs->data) {
		r = MHD_create_response_from_buffer(rs->data_len, (void *)rs->data,
						    MHD_RESPMEM_PERSISTENT);
	} else {
		size_t len = rs->body.len;
		char *data = tr_buf_detach(&rs->body, NULL);

		r = MHD_create_response_from_buffer(len, data ? data : "",
						    data ? MHD_RESPMEM_MUST_FREE
							 : MHD_RESPMEM_PERSISTENT);
		if (!r)
			free(data);
	}
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rs->content_type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	if (rs->content_type && !strncmp(rs->content_type, "text/event-stream", 17)) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
		MHD_add_response_header(r, "X-Accel-Buffering", "no");
	} else {
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
					rs->cacheable && !is_api ? "no-cache" : "no-store");
	}
	if (rs->allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, rs->allow);
	if (rs->auth_challenge)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"tranche\"");
	if (rs->set_cookie)
		MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, rs->set_cookie);
	ret = MHD_queue_response(connection, (unsigned)rs->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	tr_server *s = cls;
	struct conn *cn = *con_cls;
	srv_request rq;
	srv_response rs;
	enum MHD_Result ret;
	const union MHD_ConnectionInfo *ci;
	char peer[INET6_ADDRSTRLEN] = "";

	(void)url;
	(void)version;
	if (!cn)
		return MHD_NO;
	if (!cn->started) {
		const char *cl = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);

		cn->started = 1;
		if (cl && strtoull(cl, NULL, 10) > SRV_BODY_DRAIN) {
			/* answer at once; the connection is closed instead of read */
			srv_response_init(&rs);
			rs.status = 413;
			tr_buf_addf(&rs.body,
				    "{\"error\":{\"code\":\"too_large\",\"message\":\"the body is "
				    "larger than %zu bytes\"}}\n",
				    SRV_BODY_MAX);
			ret = queue(connection, &rs, 1);
			srv_response_release(&rs);
			return ret;
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		cn->seen += *upload_data_size;
		if (cn->seen > SRV_BODY_MAX)
			cn->too_large = 1;
		else
			tr_buf_add(&cn->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return cn->seen > SRV_BODY_DRAIN ? MHD_NO : MHD_YES;
	}

	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.target = cn->target;
	rq.host = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	rq.origin = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Origin");
	rq.content_type = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_CONTENT_TYPE);
	rq.authorization = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_AUTHORIZATION);
	rq.cookie = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE);
	rq.last_event_id = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Last-Event-ID");
	rq.body = cn->body.data;
	rq.body_len = cn->body.len;
	rq.body_too_large = cn->too_large || tr_buf_failed(&cn->body);
	ci = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;

		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, peer,
				  sizeof(peer));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, peer,
				  sizeof(peer));
		rq.peer = peer;
	}
	srv_response_init(&rs);
	srv_dispatch(s, &rq, &rs);
	ret = queue(connection, &rs, !strncmp(cn->target, "/api", 4));
	srv_response_release(&rs);
	return ret;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	tr_server *s = cls;
	tr_buf line = TR_BUF_INIT;

	if (!s->log || !s->verbose)
		return;
	tr_buf_vaddf(&line, fmt, ap);
	while (line.len && line.data[line.len - 1] == '\n')
		tr_buf_truncate(&line, line.len - 1);
	s->log(s->log_ctx, tr_buf_str(&line));
	tr_buf_release(&line);
}

/* ---- listening ---------------------------------------------------------------------------- */

static int is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

static int start_daemon(tr_server *s, tr_error *err)
{
	struct addrinfo hints, *res = NULL;
	char port[16];
	int gai;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_ITC | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	tr_buf url = TR_BUF_INIT;
	int rc = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	snprintf(port, sizeof(port), "%d", s->port);
	gai = getaddrinfo(s->host, port, &hints, &res);
	if (gai || !res)
		return tr_error_set(err, TR_EINVAL, "--host %s: cannot resolve it (%s)", s->host,
				    gai ? gai_strerror(gai) : "no address");
	s->loopback = is_loopback(res->ai_addr);
	if (!s->loopback && !(s->token && *s->token)) {
		rc = tr_error_set(err, TR_EINVAL,
				  "--host %s is not a loopback address: anyone who can reach it could "
				  "run and cancel work; give a token with --token TOKEN (or "
				  "TRANCHE_TOKEN), which every request must then carry, or bind to "
				  "127.0.0.1",
				  s->host);
		goto out;
	}
	if (res->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->daemon = MHD_start_daemon(
		flags, (uint16_t)s->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
		res->ai_addr, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_COMPLETED,
		on_completed, s, MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s, MHD_OPTION_END);
	if (!s->daemon) {
		rc = tr_error_set(err, TR_EIO,
				  "cannot listen on %s port %d: %s (another program may use the "
				  "port: choose another with --port, or --port 0 for any free one)",
				  s->host, s->port, strerror(errno ? errno : EADDRINUSE));
		goto out;
	}
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (info && info->port)
		s->port = info->port;
	if (res->ai_family == AF_INET6)
		tr_buf_addf(&url, "http://[%s]:%d", s->host, s->port);
	else
		tr_buf_addf(&url, "http://%s:%d", s->host, s->port);
	s->url = tr_buf_detach(&url, NULL);
	if (!s->url)
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
out:
	freeaddrinfo(res);
	tr_buf_release(&url);
	return rc;
}

/* ---- server.json ------------------------------------------------------------------------------ */

static int server_file_write(tr_server *s, tr_error *err)
{
	tr_buf path = TR_BUF_INIT, tmp = TR_BUF_INIT, text = TR_BUF_INIT;
	tr_json j;
	char *other = NULL;
	int token_required = 0, rc = 0, fd = -1;

	tr_buf_addf(&path, "%s/.tranche", s->project_dir);
	if (mkdir(tr_buf_str(&path), 0755) && errno != EEXIST) {
		rc = tr_error_set(err, TR_EIO, "cannot create %s: %s", tr_buf_str(&path),
				  strerror(errno));
		goto out;
	}
	tr_buf_adds(&path, "/server.json");
	if (tr_client_find(s->project_dir, &other, &token_required, NULL) == 1) {
		rc = tr_error_set(err, TR_EIO,
				  "a tranche server already runs for this project at %s (see %s): "
				  "stop it first",
				  other, tr_buf_str(&path));
		goto out;
	}
	tr_json_init(&j, &text, 0);
	tr_json_object_begin(&j);
	tr_json_kv_int(&j, "pid", (int64_t)getpid());
	tr_json_kv_string(&j, "url", s->url);
	tr_json_kv_bool(&j, "token_required", s->token && *s->token);
	tr_json_kv_string(&j, "version", TRANCHE_VERSION);
	tr_json_object_end(&j);
	tr_buf_addc(&text, '\n');
	tr_buf_addf(&tmp, "%s.%d.tmp", tr_buf_str(&path), (int)getpid());
	fd = open(tr_buf_str(&tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text.data, text.len) != (ssize_t)text.len || close(fd) ||
	    rename(tr_buf_str(&tmp), tr_buf_str(&path))) {
		rc = tr_error_set(err, TR_EIO, "cannot write %s: %s", tr_buf_str(&path),
				  strerror(errno));
		if (fd >= 0)
			unlink(tr_buf_str(&tmp));
		goto out;
	}
	s->server_file = tr_buf_detach(&path, NULL);
out:
	free(other);
	tr_buf_release(&path);
	tr_buf_release(&tmp);
	tr_buf_release(&text);
	return rc;
}

/* ---- start and stop --------------------------------------------------------------------------- */

static void server_free(tr_server *s)
{
	if (!s)
		return;
	srv_jobs_free(s);
	for (size_t k = 0; k < s->n_pool; k++)
		tr_storage_close(s->pool[k]);
	free(s->pool);
	tr_warehouse_close(s->wh);
	if (s->proj)
		srv_proj_release(s, s->proj);
	free(s->proj_error);
	free(s->project_path);
	free(s->host);
	free(s->token);
	free(s->url);
	free(s->project_dir);
	free(s->server_file);
	free(s->warehouse_url);
	free(s->storage_url);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

int tr_server_start(const tr_server_config *cfg, tr_server **out, tr_error *err)
{
	tr_server *s = calloc(1, sizeof(*s));
	tr_project *p = NULL;
	tr_storage *st = NULL;
	int rc = 0;

	*out = NULL;
	if (!s)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->project_path = strdup(cfg->project_path ? cfg->project_path : ".");
	s->host = strdup(cfg->host && *cfg->host ? cfg->host : "127.0.0.1");
	s->token = cfg->token && *cfg->token ? strdup(cfg->token) : NULL;
	s->port = cfg->port;
	s->fixed_now = cfg->now;
	s->no_server_file = cfg->no_server_file || cfg->no_listen;
	s->log = cfg->log;
	s->log_ctx = cfg->log_ctx;
	s->verbose = cfg->verbose;
	if (!s->project_path || !s->host || (cfg->token && *cfg->token && !s->token)) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	if (cfg->port < 0 || cfg->port > 65535) {
		rc = tr_error_set(err, TR_EINVAL, "--port %d: give 1 to 65535, or 0 for any free port",
				  cfg->port);
		goto out;
	}
	if (s->token && strlen(s->token) < 8) {
		rc = tr_error_set(err, TR_EINVAL, "--token: at least 8 characters (a long random one "
						  "is best: openssl rand -hex 16)");
		goto out;
	}
	for (const char *c = s->token; c && *c; c++)
		if ((unsigned char)*c <= 0x20 || *c == ';' || *c == ',' || (unsigned char)*c >= 0x7f) {
			rc = tr_error_set(err, TR_EINVAL, "--token: printable ASCII without spaces, "
							  "';' or ',' (it travels in a header and "
							  "a cookie)");
			goto out;
		}
	if ((rc = tr_project_load(s->project_path, &p, err)))
		goto out;
	if (!(s->proj = proj_new(p))) {
		tr_project_free(p);
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	s->project_dir = strdup(p->dir);
	s->warehouse_url = strdup(p->warehouse);
	s->storage_url = strdup(p->storage);
	if (!s->project_dir || !s->warehouse_url || !s->storage_url) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	/* refusals that cost nothing first: the host, then the files */
	if (!cfg->no_listen && (rc = start_daemon(s, err)))
		goto out;
	if (!s->no_server_file && (rc = server_file_write(s, err)))
		goto out;
	if (tr_storage_open(s->storage_url, &st, err)) {
		rc = tr_error_prefix(err, "storage");
		goto out;
	}
	/* runs left "started" by a process that died */
	tr_storage_runs_reap(st, srv_wall_ms(), NULL, NULL);
	srv_storage_give(s, st);
	if ((rc = tr_warehouse_open(s->warehouse_url, s->project_dir, &s->wh, err)))
		goto out;
	if (cfg->watch && (rc = watch_start(s, err)))
		goto out;
	*out = s;
	return 0;
out:
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	s->daemon = NULL;
	if (s->server_file)
		unlink(s->server_file);
	server_free(s);
	return rc;
}

void tr_server_stop(tr_server *s)
{
	if (!s)
		return;
	if (s->daemon) {
		MHD_socket fd = MHD_quiesce_daemon(s->daemon); /* no new connections */

		if (fd != MHD_INVALID_SOCKET)
			close(fd); /* quiescing hands the listening socket over */
	}
	pthread_mutex_lock(&s->mu);
	s->stopping = 1;
	srv_notify_locked(s);
	pthread_mutex_unlock(&s->mu);
	srv_queries_interrupt(s);
	watch_stop(s);
	srv_jobs_stop(s);
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	s->daemon = NULL;
	if (s->server_file)
		unlink(s->server_file);
	server_free(s);
}
