/*
 * http.c — http assets: a URL fetched for each step, its answer (CSV or JSON)
 * loaded into the step's slice like any other asset's rows.
 *
 * One step: the url template is expanded with the step's parameters (and
 * {env:NAME} values, which are secrets), the body is fetched with libcurl —
 * or read, for file: URLs — with transient failures (connection errors,
 * timeouts, HTTP 429 and 5xx) retried inside the step, checked (status, empty
 * body, fail_when, JSON where CSV was asked for), saved in the step's run
 * directory and made the temporary table `response` of the worker's
 * connection. step.c then loads the asset's sql over it (or all of it) through
 * the warehouse, in one transaction, and calls http_step_end to drop it.
 *
 * Invariants: no secret (an {env:} value, as is or percent-encoded) reaches a
 * log event, an error message, metadata or a dry run: the URL shown is built
 * with "***" in their place, and any other text (a body quoted in an error,
 * curl's messages) goes through http_redact. A canceled run stops a transfer
 * within about 100 ms (the transfer polls the flag) and any wait between
 * attempts. Nothing is written to the warehouse before the whole body is
 * here and checked.
 *
 * Threads: each step uses its own curl handle; curl_global_init runs once
 * (pthread_once). Callers: step.c (steps), plan.c (dry runs).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base/fs.h"
#include "base/node.h"
#include "exec/exec_int.h"
#include "tranche/json.h"
#include "tranche/version.h"

#define HTTP_MAX_BODY ((size_t)512 << 20) /* a larger answer fails the step */
#define HTTP_SNIPPET 200                  /* characters of a body quoted in messages */
#define HTTP_POLL_MS 100                  /* how often a transfer looks at the cancel flag */
#define HTTP_RETRY_AFTER_CAP_MS 120000    /* the longest Retry-After waited for inside a step */
#define HTTP_MAX_DELAY_MS ((int64_t)1000 * 3600 * 24)

/* ---- secrets and templates ------------------------------------------------------------- */

void http_secrets_release(http_secrets *sec)
{
	for (size_t i = 0; i < sec->n; i++)
		free(sec->values[i]);
	free(sec->values);
	sec->values = NULL;
	sec->n = 0;
}

static void secret_add(http_secrets *sec, const char *value, size_t len)
{
	char **grown;

	if (!len)
		return;
	for (size_t i = 0; i < sec->n; i++)
		if (strlen(sec->values[i]) == len && !memcmp(sec->values[i], value, len))
			return;
	grown = realloc(sec->values, (sec->n + 1) * sizeof(*grown));
	if (!grown)
		return;
	sec->values = grown;
	if ((sec->values[sec->n] = strndup(value, len)))
		sec->n++;
}

void http_redact(const http_secrets *sec, const char *text, tr_buf *out)
{
	const char *c = text;

	while (*c) {
		size_t best = 0;

		/* the longest secret that starts here: one that contains another is masked whole */
		for (size_t i = 0; sec && i < sec->n; i++) {
			size_t len = strlen(sec->values[i]);

			if (len > best && !strncmp(c, sec->values[i], len))
				best = len;
		}
		if (best) {
			tr_buf_adds(out, "***");
			c += best;
		} else {
			tr_buf_addc(out, *c++);
		}
	}
}

/* Appends s[0..len) percent-encoded (url) or as it is. */
static void add_value(tr_buf *b, const char *s, size_t len, int url)
{
	static const char hex[] = "0123456789ABCDEF";

	if (!url) {
		tr_buf_add(b, s, len);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			tr_buf_addc(b, (char)ch);
		} else {
			tr_buf_addc(b, '%');
			tr_buf_addc(b, hex[ch >> 4]);
			tr_buf_addc(b, hex[ch & 15]);
		}
	}
}

static const tr_param *find_param(const tr_partition_params *pp, const char *name)
{
	for (size_t i = 0; pp && i < pp->n; i++)
		if (!strcmp(pp->params[i].name, name))
			return &pp->params[i];
	return NULL;
}

/* A parameter's value as text, into v. */
static void param_value(const tr_param *prm, const char *format, tr_buf *v)
{
	switch (prm->type) {
	case TR_PARAM_TEXT:
		tr_buf_adds(v, prm->text ? prm->text : "");
		break;
	case TR_PARAM_TEXT_LIST:
		for (size_t k = 0; k < prm->list_len; k++) {
			if (k)
				tr_buf_addc(v, ',');
			tr_buf_adds(v, prm->list[k]);
		}
		break;
	case TR_PARAM_BIGINT:
		tr_buf_addf(v, "%lld", (long long)prm->value);
		break;
	case TR_PARAM_TIMESTAMP: {
		/* wall-clock microseconds: the fields are those of the instant read as UTC */
		int64_t secs = prm->value / 1000000 - (prm->value % 1000000 < 0);
		time_t t = (time_t)secs;
		struct tm tm;
		char s[256];
		size_t n;

		gmtime_r(&t, &tm);
		n = strftime(s, sizeof(s), format ? format : "%Y-%m-%dT%H:%M:%S", &tm);
		tr_buf_add(v, s, n);
		break;
	}
	}
}

static void bound_names(const tr_partition_params *pp, tr_buf *b)
{
	for (size_t i = 0; pp && i < pp->n; i++)
		tr_buf_addf(b, "%s{%s}", i ? ", " : "", pp->params[i].name);
	if (!pp || !pp->n)
		tr_buf_adds(b, "none");
}

int http_expand(const tr_template *t, const tr_partition_params *pp, int url, tr_buf *out,
		tr_buf *shown, http_secrets *sec, const char **missing, tr_error *err)
{
	tr_buf v = TR_BUF_INIT;
	int rc = 0;

	if (missing)
		*missing = NULL;
	for (size_t i = 0; i < t->n_parts && !rc; i++) {
		const tr_tpl_part *part = &t->parts[i];

		tr_buf_reset(&v);
		if (part->kind == TR_TPL_TEXT) {
			tr_buf_adds(out, part->text);
			if (shown)
				tr_buf_adds(shown, part->text);
		} else if (part->kind == TR_TPL_ENV) {
			const char *val = getenv(part->text);

			if (!val || !*val) {
				if (missing)
					*missing = part->text;
				rc = tr_error_set(err, TR_EINVAL,
						  "the environment variable %s is %s", part->text,
						  val ? "empty" : "not set");
				break;
			}
			add_value(out, val, strlen(val), url);
			if (shown)
				tr_buf_adds(shown, "***");
			if (sec) {
				secret_add(sec, val, strlen(val));
				add_value(&v, val, strlen(val), 1);
				secret_add(sec, tr_buf_str(&v), v.len);
			}
		} else {
			const tr_param *prm = find_param(pp, part->text);

			if (!prm) {
				tr_buf names = TR_BUF_INIT;

				bound_names(pp, &names);
				if (pp && pp->n_keys > 1)
					rc = tr_error_set(err, TR_EINVAL,
							  "{%s} is not bound: this step covers %lld "
							  "partitions (%s); use {partition_keys} or "
							  "{partition_start}/{partition_end} (bound: %s)",
							  part->text, (long long)pp->n_keys, pp->key,
							  tr_buf_str(&names));
				else
					rc = tr_error_set(err, TR_EINVAL,
							  "{%s} is not bound for this step (bound: %s)",
							  part->text, tr_buf_str(&names));
				tr_buf_release(&names);
				break;
			}
			param_value(prm, part->format, &v);
			add_value(out, tr_buf_str(&v), v.len, url);
			if (shown)
				add_value(shown, tr_buf_str(&v), v.len, url);
		}
	}
	if (!rc && (tr_buf_failed(out) || tr_buf_failed(&v) || (shown && tr_buf_failed(shown))))
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
	tr_buf_release(&v);
	return rc;
}

/* ---- one request ----------------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* What one attempt got. */
struct answer {
	tr_buf body;
	long status;           /* 0: no HTTP answer (file:, or a transfer error) */
	char reason[64];       /* the status line's reason phrase, if any */
	int64_t retry_after_ms; /* -1: none */
	int64_t ms;            /* how long it took */
	int too_big;
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct answer *a = ctx;

	tr_buf_add(&a->body, data, size * n);
	if (tr_buf_failed(&a->body)) {
		a->too_big = 1;
		return 0; /* stops the transfer */
	}
	return size * n;
}

static void parse_retry_after(struct answer *a, const char *v, size_t len)
{
	char text[128];
	char *end;
	long long secs;

	while (len && isspace((unsigned char)v[len - 1]))
		len--;
	while (len && isspace((unsigned char)*v)) {
		v++;
		len--;
	}
	if (!len || len >= sizeof(text))
		return;
	memcpy(text, v, len);
	text[len] = '\0';
	secs = strtoll(text, &end, 10);
	if (*end == '\0' && end != text) {
		a->retry_after_ms = secs < 0 ? 0 : secs > 86400 * 365 ? (int64_t)86400 * 365 * 1000 : secs * 1000;
	} else {
		time_t when = curl_getdate(text, NULL);

		if (when != -1)
			a->retry_after_ms = when > time(NULL) ? (int64_t)(when - time(NULL)) * 1000 : 0;
	}
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
	struct answer *a = ctx;
	size_t len = size * n;

	if (len > 5 && !strncmp(data, "HTTP/", 5)) {
		/* a new answer (after a redirect or a 100 Continue): start over.
		   "HTTP/1.1 404 Not Found\r\n" (HTTP/2 has no reason phrase) */
		char line[160], *sp;

		snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1),
			 data);
		line[strcspn(line, "\r\n")] = '\0';
		a->reason[0] = '\0';
		a->retry_after_ms = -1;
		if ((sp = strchr(line, ' ')) && (sp = strchr(sp + 1, ' ')))
			snprintf(a->reason, sizeof(a->reason), "%s", sp + 1);
	} else if (len > 12 && !strncasecmp(data, "Retry-After:", 12)) {
		parse_retry_after(a, data + 12, len - 12);
	}
	return len;
}

static const char *standard_reason(long status)
{
	static const struct {
		long status;
		const char *reason;
	} reasons[] = {
		{200, "OK"},
		{201, "Created"},
		{202, "Accepted"},
		{204, "No Content"},
		{301, "Moved Permanently"},
		{302, "Found"},
		{304, "Not Modified"},
		{400, "Bad Request"},
		{401, "Unauthorized"},
		{403, "Forbidden"},
		{404, "Not Found"},
		{405, "Method Not Allowed"},
		{408, "Request Timeout"},
		{410, "Gone"},
		{429, "Too Many Requests"},
		{500, "Internal Server Error"},
		{502, "Bad Gateway"},
		{503, "Service Unavailable"},
		{504, "Gateway Timeout"},
	};

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "";
}

static const char *reason_of(const struct answer *a)
{
	return a->reason[0] ? a->reason : standard_reason(a->status);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int canceled(const struct http_step *h)
{
	return h->env->cancel && *h->env->cancel;
}

/* "30 s", "1500 ms" */
static void duration_text(int64_t ms, char *out, size_t n)
{
	if (ms % 1000 == 0)
		snprintf(out, n, "%lld s", (long long)(ms / 1000));
	else
		snprintf(out, n, "%lld ms", (long long)ms);
}

/* The state of one step's request. */
struct req {
	const struct http_step *h;
	const tr_asset *a;
	http_secrets sec;
	tr_buf url, shown;  /* the URL fetched, and as shown */
	int is_file;
	char *dir;          /* the step's run directory */
};

/* A log event of the step; the text is redacted first. */
static void hlog(struct req *q, const char *data, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void hlog(struct req *q, const char *data, const char *fmt, ...)
{
	struct batch *b = &q->h->s->events;
	tr_buf raw = TR_BUF_INIT, red = TR_BUF_INIT;
	tr_event *ev;
	va_list ap;

	va_start(ap, fmt);
	tr_buf_vaddf(&raw, fmt, ap);
	va_end(ap);
	http_redact(&q->sec, tr_buf_str(&raw), &red);
	ev = batch_add(b, q->h->env->run_id, "log", q->a->name, q->h->label);
	if (ev) {
		ev->message = batch_keep(b, tr_buf_failed(&red) ? NULL : tr_buf_detach(&red, NULL));
		ev->data = data;
	}
	tr_buf_release(&raw);
	tr_buf_release(&red);
}

/* Sets err to the message, redacted. */
static int hfail(struct req *q, tr_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int hfail(struct req *q, tr_error *err, int code, const char *fmt, ...)
{
	char msg[TR_ERROR_MSG_MAX];
	tr_buf red = TR_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	http_redact(&q->sec, msg, &red);
	tr_error_set(err, code, "%s", tr_buf_str(&red));
	tr_buf_release(&red);
	return code;
}

/* The first HTTP_SNIPPET characters of body, on one line (for messages). */
static void snippet(const tr_buf *body, char *out, size_t n)
{
	size_t k = 0, i = 0;
	const char *s = body->data ? body->data : "";

	while (i < body->len && isspace((unsigned char)s[i]))
		i++;
	for (; i < body->len && k + 4 < n && k < HTTP_SNIPPET; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\r' || ch == '\n' || ch == '\t')
			ch = ' ';
		if (ch == ' ' && k && out[k - 1] == ' ')
			continue;
		out[k++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	if (i < body->len) {
		/* cut: never in the middle of a UTF-8 sequence */
		while (k && ((unsigned char)out[k - 1] & 0xC0) == 0x80)
			k--;
		if (k && (unsigned char)out[k - 1] >= 0xC0)
			k--;
		if (k + 4 <= n) {
			memcpy(out + k, "...", 3);
			k += 3;
		}
	}
	out[k] = '\0';
}

/* Reads a file: URL's file (percent-decoded, relative to the project directory). */
static int read_file_url(struct req *q, struct answer *ans, tr_error *err)
{
	const char *s = tr_buf_str(&q->url) + 5; /* after "file:" */
	tr_buf path = TR_BUF_INIT;
	FILE *f = NULL;
	char chunk[65536];
	size_t got, shown_from = 0; /* messages show the path as written: relative stays so */
	int rc = 0;

	if (!strncmp(s, "//", 2))
		s += 2; /* file:///abs */
	if (*s != '/') {
		tr_buf_addf(&path, "%s/", q->h->env->p->dir);
		shown_from = path.len;
	}
	for (; *s; s++) {
		if (s[0] == '%' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
			char hex[3] = {s[1], s[2], '\0'};

			tr_buf_addc(&path, (char)strtol(hex, NULL, 16));
			s += 2;
		} else {
			tr_buf_addc(&path, *s);
		}
	}
	if (tr_buf_failed(&path)) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	if (memchr(path.data, '\0', path.len)) {
		rc = hfail(q, err, TR_EINVAL, "GET %s: the path contains a NUL byte",
			   tr_buf_str(&q->shown));
		goto out;
	}
	if (!(f = fopen(tr_buf_str(&path), "rb"))) {
		rc = hfail(q, err, TR_EIO, "GET %s: cannot read %s: %s", tr_buf_str(&q->shown),
			   tr_buf_str(&path) + shown_from, strerror(errno));
		goto out;
	}
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		tr_buf_add(&ans->body, chunk, got);
	if (ferror(f))
		rc = hfail(q, err, TR_EIO, "GET %s: reading %s: %s", tr_buf_str(&q->shown),
			   tr_buf_str(&path) + shown_from, strerror(errno));
	else if (tr_buf_failed(&ans->body))
		ans->too_big = 1;
out:
	if (f)
		fclose(f);
	tr_buf_release(&path);
	return rc;
}

enum { ATTEMPT_OK = 0, ATTEMPT_TRANSIENT, ATTEMPT_FATAL, ATTEMPT_CANCELED };

static int transient_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

/*
 * One HTTP attempt. Returns an ATTEMPT_* outcome; err says why it failed.
 * headers: the request's header lines.
 */
static int attempt(struct req *q, struct curl_slist *headers, struct answer *ans, tr_error *err)
{
	const tr_http *hp = &q->a->http;
	char errbuf[CURL_ERROR_SIZE] = "", how[48];
	CURL *e = curl_easy_init();
	CURLM *m = NULL;
	CURLcode cc = CURLE_OK;
	int running = 1, outcome = ATTEMPT_OK;
	int64_t t0 = mono_ms();

	if (!e || !(m = curl_multi_init())) {
		outcome = ATTEMPT_FATAL;
		tr_error_set(err, TR_ENOMEM, "cannot start a transfer (out of memory)");
		goto out;
	}
	curl_easy_setopt(e, CURLOPT_URL, tr_buf_str(&q->url));
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "tranche/" TRANCHE_VERSION);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* whatever curl can decode */
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)hp->timeout_ms);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, ans);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, ans);
	if (headers)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	curl_multi_add_handle(m, e);
	while (running) {
		CURLMcode mc = curl_multi_perform(m, &running);

		if (mc != CURLM_OK) {
			outcome = ATTEMPT_FATAL;
			hfail(q, err, TR_EIO, "GET %s: %s", tr_buf_str(&q->shown), curl_multi_strerror(mc));
			goto out;
		}
		if (!running)
			break;
		if (canceled(q->h)) {
			outcome = ATTEMPT_CANCELED;
			tr_error_set(err, TR_EIO, "canceled");
			goto out;
		}
		curl_multi_poll(m, NULL, 0, HTTP_POLL_MS, NULL);
	}
	{
		int left = 0;
		CURLMsg *msg;

		while ((msg = curl_multi_info_read(m, &left)))
			if (msg->msg == CURLMSG_DONE)
				cc = msg->data.result;
	}
	ans->ms = mono_ms() - t0;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &ans->status);
	if (ans->too_big) {
		outcome = ATTEMPT_FATAL;
		hfail(q, err, TR_EIO, "GET %s: the response is larger than %zu MiB",
		      tr_buf_str(&q->shown), HTTP_MAX_BODY >> 20);
	} else if (cc == CURLE_OPERATION_TIMEDOUT) {
		outcome = ATTEMPT_TRANSIENT;
		duration_text(hp->timeout_ms, how, sizeof(how));
		hfail(q, err, TR_EIO, "GET %s timed out after %s", tr_buf_str(&q->shown), how);
	} else if (cc != CURLE_OK) {
		outcome = transient_curl(cc) ? ATTEMPT_TRANSIENT : ATTEMPT_FATAL;
		hfail(q, err, TR_EIO, "GET %s: %s%s%s", tr_buf_str(&q->shown), curl_easy_strerror(cc),
		      errbuf[0] ? ": " : "", errbuf);
	} else if (ans->status < 200 || ans->status > 299) {
		char body[HTTP_SNIPPET + 8];

		snippet(&ans->body, body, sizeof(body));
		outcome = ans->status == 429 || ans->status >= 500 ? ATTEMPT_TRANSIENT : ATTEMPT_FATAL;
		hfail(q, err, TR_EIO, "GET %s answered %ld%s%s%s%s", tr_buf_str(&q->shown), ans->status,
		      reason_of(ans)[0] ? " " : "", reason_of(ans), body[0] ? ": " : " (empty body)",
		      body);
	}
out:
	if (m && e)
		curl_multi_remove_handle(m, e);
	if (e)
		curl_easy_cleanup(e);
	if (m)
		curl_multi_cleanup(m);
	return outcome;
}

/* Waits ms, or less when the run is canceled: 1 when canceled. */
static int wait_ms(struct req *q, int64_t ms)
{
	int64_t until = mono_ms() + ms;

	while (mono_ms() < until) {
		int64_t left = until - mono_ms();
		struct timespec ts = {0, (left > 50 ? 50 : left) * 1000000L};

		if (canceled(q->h))
			return 1;
		nanosleep(&ts, NULL);
	}
	return canceled(q->h);
}

/* The request's header lines; NULL with *rc set on failure (rc 0: no headers). */
static struct curl_slist *make_headers(struct req *q, int *rc, tr_error *err)
{
	const tr_http *hp = &q->a->http;
	struct curl_slist *list = NULL;
	tr_buf line = TR_BUF_INIT;

	*rc = 0;
	for (size_t i = 0; i < hp->n_headers && !*rc; i++) {
		tr_error why = {0};
		const char *missing = NULL;

		tr_buf_reset(&line);
		tr_buf_addf(&line, "%s: ", hp->headers[i].name);
		*rc = http_expand(&hp->headers[i].value, q->h->pp, 0, &line, NULL, &q->sec, &missing,
				  &why);
		if (*rc) {
			*rc = hfail(q, err, *rc, "http.headers.%s: %s%s", hp->headers[i].name, why.msg,
				    missing ? " (the header needs it)" : "");
		} else if (strpbrk(tr_buf_str(&line), "\r\n")) {
			*rc = hfail(q, err, TR_EINVAL,
				    "http.headers.%s: the value contains a line break (from a parameter "
				    "or environment variable)",
				    hp->headers[i].name);
		} else if (tr_buf_failed(&line)) {
			*rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		} else {
			struct curl_slist *l = curl_slist_append(list, tr_buf_str(&line));

			if (!l)
				*rc = tr_error_set(err, TR_ENOMEM, "out of memory");
			else
				list = l;
		}
	}
	tr_buf_release(&line);
	if (*rc) {
		curl_slist_free_all(list);
		return NULL;
	}
	return list;
}

/* Fetches q->url into ans, retrying transient failures as http.retries says. */
static int fetch(struct req *q, struct answer *ans, tr_error *err)
{
	const tr_retry_policy *rp = &q->a->http.retries;
	struct curl_slist *headers = NULL;
	int rc = 0, tries = rp->max + 1;

	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return tr_error_set(err, TR_EIO, "cannot initialize libcurl: %s",
				    curl_easy_strerror(curl_init_rc));
	headers = make_headers(q, &rc, err);
	if (rc)
		return rc;
	for (int k = 1;; k++) {
		int64_t delay;
		int outcome;
		char in[48];

		tr_buf_reset(&ans->body);
		ans->status = 0;
		ans->reason[0] = '\0';
		ans->retry_after_ms = -1;
		ans->too_big = 0;
		tr_error_clear(err);
		if (k == 1)
			hlog(q, NULL, "GET %s", tr_buf_str(&q->shown));
		else
			hlog(q, NULL, "GET %s (attempt %d of %d)", tr_buf_str(&q->shown), k, tries);
		outcome = attempt(q, headers, ans, err);
		if (outcome == ATTEMPT_OK) {
			rc = 0;
			break;
		}
		if (outcome == ATTEMPT_CANCELED) {
			rc = err->code;
			break;
		}
		rc = err->code ? err->code : TR_EIO;
		if (outcome == ATTEMPT_FATAL || k == tries) {
			if (k > 1) {
				size_t len = strlen(err->msg);

				snprintf(err->msg + len, sizeof(err->msg) - len, " (%d attempts)", k);
			}
			break;
		}
		delay = (int64_t)fmin((double)rp->delay_ms * pow(rp->backoff, k - 1),
				      (double)HTTP_MAX_DELAY_MS);
		if (ans->retry_after_ms > HTTP_RETRY_AFTER_CAP_MS) {
			size_t len = strlen(err->msg);

			snprintf(err->msg + len, sizeof(err->msg) - len,
				 " (the server asks to retry after %lld s, longer than tranche waits "
				 "within a step, %d s: the asset's retries: can try again later)",
				 (long long)(ans->retry_after_ms / 1000), HTTP_RETRY_AFTER_CAP_MS / 1000);
			break;
		}
		if (ans->retry_after_ms > delay)
			delay = ans->retry_after_ms;
		duration_text(delay, in, sizeof(in));
		/* err->msg is already redacted */
		hlog(q, "{\"level\":\"warning\"}", "%s: retrying in %s (attempt %d of %d)", err->msg,
		     in, k + 1, tries);
		if (wait_ms(q, delay)) {
			rc = tr_error_set(err, TR_EIO, "canceled");
			break;
		}
	}
	curl_slist_free_all(headers);
	return rc;
}

/* ---- checking the answer --------------------------------------------------------------- */

/* The body without leading blanks and byte order mark. */
static const char *body_start(const tr_buf *body)
{
	const char *s = tr_buf_str(body);

	if (!strncmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

/* A node as compact JSON (scalars: strings, or numbers, true, false, null when plain). */
static void node_json(const tr_node *n, tr_json *j)
{
	if (n->kind == TR_NODE_MAP) {
		tr_json_object_begin(j);
		for (size_t i = 0; i < n->n; i++) {
			tr_json_key(j, tr_node_key(n, i));
			node_json(tr_node_value(n, i), j);
		}
		tr_json_object_end(j);
	} else if (n->kind == TR_NODE_SEQ) {
		tr_json_array_begin(j);
		for (size_t i = 0; i < n->n; i++)
			node_json(n->items[i], j);
		tr_json_array_end(j);
	} else if (n->quoted) {
		tr_json_string(j, n->scalar);
	} else if (!strcmp(n->scalar, "null") || tr_node_is_null(n)) {
		tr_json_null(j);
	} else if (!strcmp(n->scalar, "true") || !strcmp(n->scalar, "false")) {
		tr_json_bool(j, n->scalar[0] == 't');
	} else {
		/* a JSON number stays a number: -?digits[.digits][e[+-]digits] */
		const char *c = n->scalar;
		int ok;

		if (*c == '-')
			c++;
		ok = isdigit((unsigned char)*c);
		while (isdigit((unsigned char)*c))
			c++;
		if (*c == '.') {
			c++;
			ok = ok && isdigit((unsigned char)*c);
			while (isdigit((unsigned char)*c))
				c++;
		}
		if (*c == 'e' || *c == 'E') {
			c++;
			if (*c == '+' || *c == '-')
				c++;
			ok = ok && isdigit((unsigned char)*c);
			while (isdigit((unsigned char)*c))
				c++;
		}
		if (ok && !*c)
			tr_json_raw(j, n->scalar);
		else
			tr_json_string(j, n->scalar);
	}
}

/* Parses the body as JSON (YAML's flow style, which JSON is). */
static int parse_body(struct req *q, const tr_buf *body, tr_node **doc, tr_error *err)
{
	tr_error why = {0};
	int rc = tr_node_parse(tr_buf_str(body), body->len, "response", doc, &why);

	if (rc == TR_ENOMEM)
		return tr_error_set(err, TR_ENOMEM, "out of memory reading the response");
	if (rc)
		return hfail(q, err, TR_EINVAL, "GET %s: the response is not valid JSON: %s",
			     tr_buf_str(&q->shown), why.msg);
	return 0;
}

/*
 * fail_when and the default check: an answer that is really an error. doc: the body
 * parsed when it is a JSON object (else NULL).
 */
static int check_answer(struct req *q, const struct answer *ans, const tr_node *doc, tr_error *err)
{
	const tr_http *hp = &q->a->http;
	const char *start = body_start(&ans->body);
	char body[HTTP_SNIPPET + 8], status[96] = "";

	snippet(&ans->body, body, sizeof(body));
	if (ans->status)
		snprintf(status, sizeof(status), " answered %ld %s", ans->status, reason_of(ans));
	if ((!ans->body.len || !*start) && ans->status)
		return hfail(q, err, TR_EIO, "GET %s%s with an empty body", tr_buf_str(&q->shown),
			     status);
	if (!ans->body.len || !*start)
		return hfail(q, err, TR_EIO, "GET %s: the file is empty", tr_buf_str(&q->shown));
	for (size_t k = 0; doc && k < hp->n_fail_json_keys; k++) {
		const tr_node *v = tr_node_get(doc, hp->fail_json_keys[k]);
		tr_buf text = TR_BUF_INIT;
		int rc;

		if (!v)
			continue;
		if (v->kind == TR_NODE_SCALAR) {
			tr_buf_adds(&text, v->scalar);
		} else {
			tr_json j;

			tr_json_init(&j, &text, 0);
			node_json(v, &j);
		}
		rc = hfail(q, err, TR_EIO, "GET %s%s with an error: %s: %.400s%s",
			   tr_buf_str(&q->shown), status, hp->fail_json_keys[k], tr_buf_str(&text),
			   text.len > 400 ? "..." : "");
		tr_buf_release(&text);
		return rc;
	}
	for (size_t k = 0; k < hp->n_fail_contains; k++)
		if (memmem(ans->body.data, ans->body.len, hp->fail_contains[k],
			   strlen(hp->fail_contains[k])))
			return hfail(q, err, TR_EIO,
				     "GET %s%s but the response contains \"%s\" (fail_when.contains): %s",
				     tr_buf_str(&q->shown), status, hp->fail_contains[k], body);
	if (!strcmp(hp->format, "csv") && *start == '{')
		return hfail(q, err, TR_EIO, "GET %s: expected CSV but the response is JSON: %s",
			     tr_buf_str(&q->shown), body);
	if (!strcmp(hp->format, "csv") && (!strncasecmp(start, "<!doctype html", 14) ||
					   !strncasecmp(start, "<html", 5)))
		return hfail(q, err, TR_EIO, "GET %s: expected CSV but the response is HTML: %s",
			     tr_buf_str(&q->shown), body);
	return 0;
}

/* json + records: the array at the dotted path, as JSON lines into out. */
static int extract_records(struct req *q, const tr_node *doc, tr_buf *out, tr_error *err)
{
	const char *path = q->a->http.records, *seg = path;
	const tr_node *n = doc;
	tr_buf at = TR_BUF_INIT;
	int rc = 0;

	while (*seg) {
		size_t len = strcspn(seg, ".");
		char key[256];
		const tr_node *next = NULL;

		size_t parent_len = at.len;

		snprintf(key, sizeof(key), "%.*s", (int)(len < 255 ? len : 255), seg);
		if (at.len)
			tr_buf_addc(&at, '.');
		tr_buf_adds(&at, key);
		if (n->kind == TR_NODE_MAP) {
			next = tr_node_get(n, key);
		} else if (n->kind == TR_NODE_SEQ && key[0] && strspn(key, "0123456789") == len) {
			unsigned long idx = strtoul(key, NULL, 10);

			next = idx < n->n ? n->items[idx] : NULL;
		}
		if (!next) {
			tr_buf keys = TR_BUF_INIT;

			if (parent_len)
				tr_buf_addf(&keys, "%.*s", (int)parent_len, tr_buf_str(&at));
			else
				tr_buf_adds(&keys, "the top level");
			if (n->kind == TR_NODE_MAP) {
				tr_buf_adds(&keys, " has: ");
				for (size_t i = 0; i < n->n && i < 20; i++)
					tr_buf_addf(&keys, "%s%s", i ? ", " : "", tr_node_key(n, i));
				if (!n->n)
					tr_buf_adds(&keys, "no keys");
			} else {
				tr_buf_addf(&keys, " is a %s", tr_node_kind_name(n));
			}
			rc = hfail(q, err, TR_EINVAL, "GET %s: http.records: the response has no %s (%s)",
				   tr_buf_str(&q->shown), tr_buf_str(&at), tr_buf_str(&keys));
			tr_buf_release(&keys);
			goto out;
		}
		n = next;
		seg += len;
		if (*seg == '.')
			seg++;
	}
	if (n->kind != TR_NODE_SEQ) {
		rc = hfail(q, err, TR_EINVAL,
			   "GET %s: http.records: %s is a %s, not a list of records", tr_buf_str(&q->shown),
			   path, tr_node_kind_name(n));
		goto out;
	}
	for (size_t i = 0; i < n->n; i++) {
		tr_json j;

		if (n->items[i]->kind != TR_NODE_MAP) {
			rc = hfail(q, err, TR_EINVAL,
				   "GET %s: http.records: %s[%zu] is a %s, not an object (a record)",
				   tr_buf_str(&q->shown), path, i, tr_node_kind_name(n->items[i]));
			goto out;
		}
		tr_json_init(&j, out, 0);
		node_json(n->items[i], &j);
		tr_buf_addc(out, '\n');
	}
	if (tr_buf_failed(out))
		rc = tr_error_set(err, TR_ENOMEM, "out of memory writing the records");
out:
	tr_buf_release(&at);
	return rc;
}

static int write_file(const char *path, const char *data, size_t len, tr_error *err)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return tr_error_set(err, TR_EIO, "cannot write %s: %s", path, strerror(errno));
	ok = fwrite(data, 1, len, f) == len;
	ok = (fclose(f) == 0) && ok;
	if (!ok)
		return tr_error_set(err, TR_EIO, "cannot write %s: %s", path, strerror(errno));
	return 0;
}

/* ---- is it CSV, is it JSON? ------------------------------------------------------------
 * DuckDB's readers are lenient (a CSV whose rows do not match falls back to one column, a
 * truncated JSON array loads what came), so a body is checked first. */

/* Line and column (1-based) of offset off in s. */
static void position(const char *s, size_t off, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (s[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* A JSON string at *p (on the opening quote); NULL or what is wrong. */
static const char *json_string(const char **p, const char *end)
{
	const char *c = *p + 1;

	for (; c < end && *c != '"'; c++) {
		if ((unsigned char)*c < 0x20) {
			*p = c;
			return "a control character in a string";
		}
		if (*c != '\\')
			continue;
		if (++c == end)
			break;
		if (*c == 'u') {
			for (int k = 1; k <= 4; k++)
				if (c + k >= end || !isxdigit((unsigned char)c[k])) {
					*p = c;
					return "a bad \\u escape";
				}
			c += 4;
		} else if (!strchr("\"\\/bfnrt", *c)) {
			*p = c;
			return "a bad escape in a string";
		}
	}
	if (c >= end) {
		*p = end;
		return "a string that is not closed";
	}
	*p = c + 1;
	return NULL;
}

/* A number or true/false/null at *p; NULL or what is wrong. */
static const char *json_scalar(const char **p, const char *end)
{
	static const char *const words[] = {"true", "false", "null"};
	const char *c = *p;

	for (size_t w = 0; w < 3; w++) {
		size_t len = strlen(words[w]);

		if ((size_t)(end - c) >= len && !memcmp(c, words[w], len)) {
			*p = c + len;
			return NULL;
		}
	}
	if (c < end && *c == '-')
		c++;
	if (c == end || !isdigit((unsigned char)*c))
		return "an unexpected character";
	if (*c == '0')
		c++;
	else
		while (c < end && isdigit((unsigned char)*c))
			c++;
	if (c < end && *c == '.') {
		if (++c == end || !isdigit((unsigned char)*c)) {
			*p = c;
			return "a bad number";
		}
		while (c < end && isdigit((unsigned char)*c))
			c++;
	}
	if (c < end && (*c == 'e' || *c == 'E')) {
		c++;
		if (c < end && (*c == '+' || *c == '-'))
			c++;
		if (c == end || !isdigit((unsigned char)*c)) {
			*p = c;
			return "a bad number";
		}
		while (c < end && isdigit((unsigned char)*c))
			c++;
	}
	*p = c;
	return NULL;
}

/*
 * NULL when s[0..len) is one JSON value, or several separated by blanks (JSON lines);
 * else what is wrong, and *off where.
 */
static const char *json_lint(const char *s, size_t len, size_t *off)
{
	enum { VALUE, FIRST_VALUE, AFTER_VALUE, KEY, FIRST_KEY, COLON } st = VALUE;
	const char *p = s, *end = s + len, *why = NULL;
	char stack[512];
	size_t depth = 0, values = 0;

	for (;;) {
		int done = 0;

		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
			p++;
		if (p == end) {
			if (depth || st != VALUE)
				why = "it ends in the middle of a value";
			else if (!values)
				why = "there is no JSON value";
			break;
		}
		switch (st) {
		case VALUE:
		case FIRST_VALUE:
			if (*p == ']' && st == FIRST_VALUE) {
				depth--;
				p++;
				done = 1;
			} else if (*p == '{' || *p == '[') {
				if (depth == sizeof(stack)) {
					why = "values nested too deep";
					break;
				}
				stack[depth++] = *p;
				st = *p == '{' ? FIRST_KEY : FIRST_VALUE;
				p++;
			} else if (*p == '"') {
				why = json_string(&p, end);
				done = 1;
			} else {
				why = json_scalar(&p, end);
				done = 1;
			}
			break;
		case AFTER_VALUE:
			if (*p == ',') {
				st = stack[depth - 1] == '[' ? VALUE : KEY;
				p++;
			} else if (*p == (stack[depth - 1] == '[' ? ']' : '}')) {
				depth--;
				p++;
				done = 1;
			} else {
				why = stack[depth - 1] == '[' ? "expected , or ] after a value in a list"
							       : "expected , or } after a value in an object";
			}
			break;
		case KEY:
		case FIRST_KEY:
			if (*p == '}' && st == FIRST_KEY) {
				depth--;
				p++;
				done = 1;
			} else if (*p == '"') {
				why = json_string(&p, end);
				st = COLON;
			} else {
				why = "expected a key (a string) in an object";
			}
			break;
		case COLON:
			if (*p == ':') {
				st = VALUE;
				p++;
			} else {
				why = "expected : after a key";
			}
			break;
		}
		if (why)
			break;
		if (done) {
			st = depth ? AFTER_VALUE : VALUE;
			values += !depth;
		}
	}
	*off = (size_t)(p - s);
	return why;
}

/*
 * A comma-separated body (its header has a comma outside quotes): every record has the
 * header's number of fields, and quotes are closed. NULL when so (or when the body is
 * not comma-separated: DuckDB sniffs other delimiters), else what is wrong, in why.
 */
static const char *csv_lint(const char *s, size_t len, char *why, size_t n)
{
	size_t fields = 1, header = 0, line = 1, rec_line = 1, quote_line = 0, chars = 0;
	int in_quotes = 0;

	if (memchr(s, '\0', len)) {
		snprintf(why, n, "it contains NUL bytes (not text)");
		return why;
	}
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? s[i] : '\n';

		if (in_quotes) {
			if (c == '"' && i + 1 < len && s[i + 1] == '"')
				i++;
			else if (c == '"')
				in_quotes = 0;
			else if (c == '\n' && i < len)
				line++;
			if (i == len)
				break;
			continue;
		}
		if (c == '"') {
			in_quotes = 1;
			quote_line = line;
		} else if (c == ',') {
			fields++;
		} else if (c == '\n') {
			if (chars) {
				if (!header)
					header = fields;
				if (header == 1)
					return NULL; /* not comma-separated */
				if (fields != header) {
					snprintf(why, n, "line %zu has %zu fields, the header has %zu",
						 rec_line, fields, header);
					return why;
				}
			}
			line++;
			rec_line = line;
			fields = 1;
			chars = 0;
			continue;
		}
		if (c != '\r')
			chars++;
	}
	if (in_quotes) {
		snprintf(why, n, "the quote opened on line %zu is never closed", quote_line);
		return why;
	}
	return NULL;
}

/* ---- the step -------------------------------------------------------------------------- */

static const char default_query[] = "SELECT * FROM response";

/* Chooses the URL (url, or fallback_url when an env of url is unset) and expands it. */
static int choose_url(struct req *q, tr_error *err)
{
	const tr_http *hp = &q->a->http;
	const char *missing = NULL;
	tr_error why = {0};
	int rc = http_expand(&hp->url, q->h->pp, 1, &q->url, &q->shown, &q->sec, &missing, &why);

	if (rc && missing && hp->fallback_url.source) {
		hlog(q, NULL, "the environment variable %s is %s: using http.fallback_url", missing,
		     getenv(missing) ? "empty" : "not set");
		tr_buf_reset(&q->url);
		tr_buf_reset(&q->shown);
		rc = http_expand(&hp->fallback_url, q->h->pp, 1, &q->url, &q->shown, &q->sec,
				 &missing, &why);
		if (rc)
			return hfail(q, err, rc, "http.fallback_url: %s", why.msg);
	} else if (rc && missing) {
		return hfail(q, err, rc,
			     "http.url: %s (set it, or give http.fallback_url to use without it)",
			     why.msg);
	} else if (rc) {
		return hfail(q, err, rc, "http.url: %s", why.msg);
	}
	q->is_file = !strncasecmp(tr_buf_str(&q->url), "file:", 5);
	return 0;
}

int http_step_begin(const struct http_step *h, tr_load *load, tr_error *err)
{
	const tr_asset *a = &h->env->p->assets[h->s->asset];
	const tr_http *hp = &a->http;
	struct req q;
	struct answer ans;
	tr_buf file = TR_BUF_INIT, recs = TR_BUF_INIT, sql = TR_BUF_INIT, dir = TR_BUF_INIT;
	tr_node *doc = NULL;
	const char *start, *loaded_file;
	tr_param fp = {0};
	int rc;

	memset(&q, 0, sizeof(q));
	memset(&ans, 0, sizeof(ans));
	tr_buf_init(&ans.body, HTTP_MAX_BODY);
	ans.retry_after_ms = -1;
	q.h = h;
	q.a = a;
	tr_buf_init(&q.url, 0);
	tr_buf_init(&q.shown, 0);
	if ((rc = choose_url(&q, err)))
		goto out;
	if (canceled(h)) {
		rc = tr_error_set(err, TR_EIO, "canceled");
		goto out;
	}
	/* one directory per step, as for commands: .tranche/runs/RUN/ASSET/STEP-ATTEMPT */
	tr_buf_addf(&dir, ".tranche/runs/%lld/%s/%zu-%u", (long long)h->env->run_id, a->name,
		    h->step_id, (unsigned)h->s->attempts);
	tr_buf_addf(&file, "%s/response.%s", tr_buf_str(&dir), hp->format);
	if (tr_buf_failed(&dir) || tr_buf_failed(&file)) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = tr_mkdir_parents(tr_buf_str(&file), err)))
		goto out;
	if (q.is_file) {
		int64_t t0 = mono_ms();

		hlog(&q, NULL, "GET %s", tr_buf_str(&q.shown));
		rc = read_file_url(&q, &ans, err);
		ans.ms = mono_ms() - t0;
		if (!rc && ans.too_big)
			rc = hfail(&q, err, TR_EIO, "GET %s: the file is larger than %zu MiB",
				   tr_buf_str(&q.shown), HTTP_MAX_BODY >> 20);
		if (!rc)
			hlog(&q, NULL, "read %zu bytes in %lld ms", ans.body.len, (long long)ans.ms);
	} else {
		rc = fetch(&q, &ans, err);
		if (!rc)
			hlog(&q, NULL, "HTTP %ld, %zu bytes in %lld ms", ans.status, ans.body.len,
			     (long long)ans.ms);
	}
	if (rc)
		goto out;
	/* saved first: a refused answer can be looked at */
	if ((rc = write_file(tr_buf_str(&file), tr_buf_str(&ans.body), ans.body.len, err)))
		goto out;
	start = body_start(&ans.body);
	if (hp->n_fail_json_keys && *start == '{') {
		tr_error ignored = {0};

		/* not JSON after all (or too big to read so): no key to look for */
		if (tr_node_parse(tr_buf_str(&ans.body), ans.body.len, "response", &doc, &ignored))
			doc = NULL;
	}
	if ((rc = check_answer(&q, &ans, doc && doc->kind == TR_NODE_MAP ? doc : NULL, err)))
		goto out;
	{
		char why[160];
		const char *wrong = NULL;
		size_t off = 0, line, col;

		if (strcmp(hp->format, "csv")) {
			if ((wrong = json_lint(tr_buf_str(&ans.body), ans.body.len, &off))) {
				position(tr_buf_str(&ans.body), off, &line, &col);
				snprintf(why, sizeof(why), "%s (line %zu, column %zu)", wrong, line, col);
				wrong = why;
			}
		} else {
			wrong = csv_lint(tr_buf_str(&ans.body), ans.body.len, why, sizeof(why));
		}
		if (wrong) {
			rc = hfail(&q, err, TR_EIO, "GET %s: the response is not valid %s: %s (it is in %s)",
				   tr_buf_str(&q.shown), strcmp(hp->format, "csv") ? "JSON" : "CSV",
				   wrong, tr_buf_str(&file));
			goto out;
		}
	}
	loaded_file = tr_buf_str(&file);
	if (hp->records) {
		if (!doc) {
			rc = parse_body(&q, &ans.body, &doc, err);
			if (rc)
				goto out;
		}
		if ((rc = extract_records(&q, doc, &recs, err)))
			goto out;
		tr_buf_reset(&file);
		tr_buf_addf(&file, "%s/records.jsonl", tr_buf_str(&dir));
		if (tr_buf_failed(&file)) {
			rc = tr_error_set(err, TR_ENOMEM, "out of memory");
			goto out;
		}
		if (!recs.len) {
			rc = hfail(&q, err, TR_EIO, "GET %s: http.records: %s is an empty list",
				   tr_buf_str(&q.shown), hp->records);
			goto out;
		}
		if ((rc = write_file(tr_buf_str(&file), tr_buf_str(&recs), recs.len, err)))
			goto out;
		loaded_file = tr_buf_str(&file);
	}
	/* the path is a bound parameter, never SQL text */
	tr_buf_addf(&sql, "CREATE OR REPLACE TEMP TABLE response AS SELECT * FROM %s($file)",
		    strcmp(hp->format, "csv") ? "read_json_auto" : "read_csv");
	fp.name = "file";
	fp.type = TR_PARAM_TEXT;
	fp.text = loaded_file;
	if (tr_buf_failed(&sql)) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	{
		tr_error why = {0};

		rc = tr_wconn_query(h->env->conn, tr_buf_str(&sql), &fp, 1, 0, NULL, &why);
		if (rc && canceled(h)) {
			rc = tr_error_set(err, TR_EIO, "canceled");
			goto out;
		}
		if (rc) {
			rc = hfail(&q, err, rc, "GET %s: the response is not valid %s (it is in %s): %s",
				   tr_buf_str(&q.shown), strcmp(hp->format, "csv") ? "JSON" : "CSV",
				   loaded_file, why.msg);
			goto out;
		}
	}
	load->source = TR_LOAD_QUERY;
	load->query = a->sql ? a->sql : default_query;
	/* recorded with the materialization (step.c puts them under "http") */
	if (ans.status)
		tr_buf_addf(h->metadata, "\"http_status\":%ld,", ans.status);
	tr_buf_addf(h->metadata, "\"bytes\":%zu,\"fetch_ms\":%lld,\"url\":", ans.body.len,
		    (long long)ans.ms);
	tr_json_escape(h->metadata, tr_buf_str(&q.shown), q.shown.len);
	tr_buf_addf(h->metadata, ",\"response\":");
	tr_json_escape(h->metadata, tr_buf_str(&file), file.len);
out:
	tr_node_free(doc);
	tr_buf_release(&ans.body);
	tr_buf_release(&file);
	tr_buf_release(&recs);
	tr_buf_release(&sql);
	tr_buf_release(&dir);
	tr_buf_release(&q.url);
	tr_buf_release(&q.shown);
	if (rc) {
		/* whatever produced the message, no secret leaves */
		tr_buf red = TR_BUF_INIT;

		http_redact(&q.sec, err->msg, &red);
		snprintf(err->msg, sizeof(err->msg), "%s", tr_buf_str(&red));
		tr_buf_release(&red);
	}
	http_secrets_release(&q.sec);
	return rc;
}

void http_step_end(tr_wconn *conn)
{
	/* temp.main: never a warehouse table that happens to be called response */
	tr_wconn_query(conn, "DROP TABLE IF EXISTS temp.main.response", NULL, 0, 0, NULL, NULL);
}

void http_describe(const tr_asset *a, const tr_partition_params *pp, tr_buf *out)
{
	tr_buf url = TR_BUF_INIT, shown = TR_BUF_INIT;
	tr_error why = {0};
	const char *missing = NULL;
	http_secrets sec = {0};
	const tr_template *t = &a->http.url;

	if (http_expand(t, pp, 1, &url, &shown, &sec, &missing, &why) && missing &&
	    a->http.fallback_url.source) {
		tr_buf_reset(&url);
		tr_buf_reset(&shown);
		tr_buf_addf(out, "  (%s is %s: http.fallback_url)\n", missing,
			    getenv(missing) ? "empty" : "not set");
		t = &a->http.fallback_url;
		tr_error_clear(&why);
		http_expand(t, pp, 1, &url, &shown, &sec, &missing, &why);
	}
	if (why.code) {
		tr_buf red = TR_BUF_INIT;

		http_redact(&sec, why.msg, &red);
		tr_buf_addf(out, "  GET %s: %s\n", t->source, tr_buf_str(&red));
		tr_buf_release(&red);
	} else {
		tr_buf_addf(out, "  GET %s\n", tr_buf_str(&shown));
	}
	http_secrets_release(&sec);
	tr_buf_release(&url);
	tr_buf_release(&shown);
}

int http_offline(const tr_asset *a)
{
	const tr_template *t = &a->http.url;

	if (a->kind != TR_ASSET_HTTP || !a->http.fallback_url.source ||
	    strncmp(a->http.fallback_url.source, "file:", 5) != 0)
		return 0;
	for (size_t k = 0; k < t->n_parts; k++) {
		const char *v;

		if (t->parts[k].kind == TR_TPL_ENV && (!(v = getenv(t->parts[k].text)) || !*v))
			return 1;
	}
	return 0;
}
