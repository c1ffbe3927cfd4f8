/*
 * fuzz_api.c — the server's request handling must not crash, hang or leak on
 * any input. Drives srv_dispatch (router, safety checks, query and body
 * parsing, every handler) directly — no sockets — with requests made from
 * valid seeds by random mutation (byte flips, insertions, deletions, splices,
 * dictionary words) and with random bytes, against two servers on a small
 * project in a temporary directory: one without a token, one with.
 *
 * Checks on every answer: a status from 200 to 599, never 500 (an internal
 * error is a bug: the request that caused it is printed), JSON answers that
 * are one object ending in a newline, error answers with a code and a message.
 *
 * Deterministic: a fixed seed (argv[1] or FUZZ_SEED), a number of iterations
 * (argv[2] or FUZZ_ITERATIONS, default 20000) bounded by FUZZ_SECONDS
 * (default 20 s). Run by tests/run.sh as BUILD/tests/test_fuzz_api, under
 * AddressSanitizer too; prints TAP.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/server_int.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static size_t pick(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

static const char project_yaml[] =
	"name: fuzz\n"
	"partitions:\n"
	"  daily: {type: daily, start: 2024-01-01}\n"
	"  tickers: {type: dynamic, name: tickers}\n"
	"assets:\n"
	"  events:\n"
	"    partitions: daily\n"
	"    partition_expr: day\n"
	"    sql: SELECT CAST($partition_start AS DATE) AS day, 1 AS n\n"
	"    checks:\n"
	"      - name: positive\n"
	"        sql: SELECT * FROM events WHERE n < 0\n"
	"  totals:\n"
	"    sql: SELECT count(*) AS n FROM events\n"
	"  grid:\n"
	"    partitions:\n"
	"      type: multi\n"
	"      dimensions:\n"
	"        date: {type: daily, start: 2024-01-20}\n"
	"        ticker: {type: static, keys: [A, B]}\n"
	"    partition_expr: {date: day, ticker: ticker}\n"
	"    sql: SELECT CAST($partition_start_date AS DATE) AS day, $partition_key_ticker AS ticker\n"
	"  prices:\n"
	"    partitions: tickers\n"
	"    partition_expr: ticker\n"
	"    sql: SELECT $partition_key AS ticker\n";

struct seed {
	const char *method, *target, *body;
};

static const struct seed seeds[] = {
	{"GET", "/api/health", NULL},
	{"GET", "/api/assets", NULL},
	{"GET", "/api/assets?selection=events%2B", NULL},
	{"GET", "/api/assets/events", NULL},
	{"GET", "/api/assets/grid", NULL},
	{"GET", "/api/assets/events/partitions", NULL},
	{"GET", "/api/assets/events/partitions?state=missing&offset=3&limit=4", NULL},
	{"GET", "/api/assets/events/partitions?max_ranges=1", NULL},
	{"GET", "/api/assets/events/partitions/grid?from=1&to=20&cols=7", NULL},
	{"GET", "/api/assets/grid/partitions/grid?cols=5&rows_from=1&rows_to=1", NULL},
	{"GET", "/api/assets/grid/partitions/grid?kind=strip&cols=3", NULL},
	{"GET", "/api/assets/totals/partitions/grid", NULL},
	{"GET", "/api/assets/events/materializations?partition=2024-01-02&limit=3", NULL},
	{"GET", "/api/assets/events/metadata_series?name=row_count&limit=10", NULL},
	{"GET", "/api/assets/events/checks?partition=2024-01-03", NULL},
	{"GET", "/api/lineage?rankdir=TB", NULL},
	{"GET", "/api/lineage.svg", NULL},
	{"GET", "/api/runs?limit=3&before=5", NULL},
	{"GET", "/api/runs/1", NULL},
	{"GET", "/api/runs/1/events?after=2&limit=5&asset=events", NULL},
	{"GET", "/api/runs/1/stream?after=1", NULL},
	{"GET", "/api/stream", NULL},
	{"GET", "/api/backfills?limit=2", NULL},
	{"GET", "/api/backfills/1", NULL},
	{"GET", "/api/partitions/tickers", NULL},
	{"GET", "/", NULL},
	{"GET", "/index.html", NULL},
	{"HEAD", "/api/health", NULL},
	{"POST", "/api/reload", "{}"},
	{"POST", "/api/partitions/tickers", "{\"add\": [\"IBM\", \"AAPL\"]}"},
	{"POST", "/api/partitions/tickers", "{\"delete\": [\"IBM\"]}"},
	{"POST", "/api/backfills", "{\"selection\": \"events\", \"from\": \"2024-01-01\", "
				   "\"to\": \"2024-01-03\", \"dry_run\": true}"},
	{"POST", "/api/backfills", "{\"selection\": \"events\", \"partitions\": [\"2024-01-05\"], "
				   "\"jobs\": 1}"},
	{"POST", "/api/materialize", "{\"selection\": \"totals\", \"jobs\": 1}"},
	{"POST", "/api/materialize", "{\"selection\": \"grid\", \"missing\": true, \"dry_run\": true, "
				     "\"now\": \"2024-01-25T00:00:00Z\"}"},
	{"POST", "/api/backfills/1/resume", "{\"jobs\": 1, \"dry_run\": true}"},
	{"POST", "/api/backfills/1/cancel", "{}"},
	{"POST", "/api/runs/1/cancel", "{}"},
	{"DELETE", "/api/assets/events", NULL},
};

static const char *const words[] = {
	"/api/", "assets", "events", "grid", "partitions", "/grid", "?", "&", "=", "%", "%00",
	"%2F", "%zz", "..", "/.", "//", "from=", "to=", "cols=", "limit=", "-1", "0",
	"9223372036854775807", "99999999999999999999", "state=", "failed", "token=", "\"", "\\",
	"{", "}", "[", "]", ",", ":", "null", "true", "\"selection\"", "\"partitions\"",
	"\"all\": true", "\"2024-01-01...2024-01-09\"", "\xff\xfe", "\n", "\t", " ", "|", "*",
	"&&&&", "&a=b", "runs", "backfills", "stream", "cancel", "resume", "lineage.svg",
	"rows_from=", "rows_to=", "kind=", "{\"add\": [", "\"\\u0000\"", "!!binary", "&anchor",
	"*alias", "---", "...", "- ", "? ", "#", "\"jobs\": 1024", "\"jobs\": -1",
};

static const char *const methods[] = {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "",
				      "get", "PATCH"};

/* Applies 1..4 random mutations to buf (len bytes, at most cap). */
static size_t mutate(char *buf, size_t len, size_t cap)
{
	int n = 1 + (int)pick(4);

	for (int k = 0; k < n; k++) {
		size_t at = pick(len + 1);

		switch (pick(6)) {
		case 0: /* flip a byte */
			if (len)
				buf[pick(len)] ^= (char)(1u << pick(8));
			break;
		case 1: /* random byte */
			if (len < cap) {
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = (char)pick(256);
				len++;
			}
			break;
		case 2: /* delete a run */
			if (len) {
				size_t del = 1 + pick(8);

				if (at + del > len)
					del = len - at;
				memmove(buf + at, buf + at + del, len - at - del);
				len -= del;
			}
			break;
		case 3: { /* a dictionary word */
			const char *w = words[pick(sizeof(words) / sizeof(words[0]))];
			size_t wl = strlen(w);

			if (len + wl <= cap) {
				memmove(buf + at + wl, buf + at, len - at);
				memcpy(buf + at, w, wl);
				len += wl;
			}
			break;
		}
		case 4: { /* splice from another seed */
			const struct seed *s = &seeds[pick(sizeof(seeds) / sizeof(seeds[0]))];
			const char *src = s->body && pick(2) ? s->body : s->target;
			size_t sl = strlen(src), from = pick(sl), take = pick(sl - from + 1);

			if (len + take <= cap) {
				memmove(buf + at + take, buf + at, len - at);
				memcpy(buf + at, src + from, take);
				len += take;
			}
			break;
		}
		default: /* duplicate a run */
			if (len && len * 2 <= cap) {
				size_t dl = 1 + pick(len - at + 1);

				if (at + dl > len)
					dl = len - at;
				memmove(buf + at + dl, buf + at, len - at);
				len += dl;
			}
			break;
		}
	}
	return len;
}

static int failures;
static long by_status[6]; /* 2xx .. 5xx, and streams */

static void check(const srv_request *rq, const srv_response *rs, const char *what)
{
	const char *body = rs->data ? rs->data : rs->body.data;
	size_t len = rs->data ? rs->data_len : rs->body.len;
	const char *problem = NULL;

	if (rs->status < 200 || rs->status > 599)
		problem = "status out of range";
	else if (rs->status == 500)
		problem = "an internal error (500)";
	else if (!rs->stream && !strcmp(rs->content_type, "application/json") &&
		 (len < 3 || body[0] != '{' || body[len - 1] != '\n' || body[len - 2] != '}'))
		problem = "a JSON answer that is not one object and a newline";
	else if (rs->status >= 400 && (!body || !strstr(body, "\"code\"") ||
				       !strstr(body, "\"message\"")))
		problem = "an error without code and message";
	if (!problem)
		return;
	failures++;
	if (failures <= 10) {
		printf("# %s: %s %d: %s %.200s body %.200s -> %.300s\n", what, problem, rs->status,
		       rq->method, rq->target, rq->body ? rq->body : "", body ? body : "");
	}
}

static void one(tr_server *s, const srv_request *rq, const char *what)
{
	srv_response rs;
	char chunk[256];

	srv_response_init(&rs);
	srv_dispatch(s, rq, &rs);
	check(rq, &rs, what);
	if (rs.status >= 200 && rs.status <= 599)
		by_status[rs.status / 100]++;
	if (rs.stream)
		srv_stream_read(rs.stream, chunk, sizeof(chunk)); /* the first bytes come at once */
	srv_response_release(&rs);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static tr_server *start(const char *dir, const char *token)
{
	tr_server_config cfg;
	tr_server *s = NULL;
	tr_error err = {0};
	tr_buf path = TR_BUF_INIT;

	tr_buf_addf(&path, "%s/tranche.yaml", dir);
	if (write_file(tr_buf_str(&path), project_yaml)) {
		printf("not ok 1 - cannot write %s\n", tr_buf_str(&path));
		exit(1);
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.project_path = tr_buf_str(&path);
	cfg.token = token;
	cfg.now = 1706745600; /* 2024-02-01 */
	cfg.no_listen = 1;
	if (tr_server_start(&cfg, &s, &err)) {
		printf("not ok 1 - the server does not start: %s\n", err.msg);
		exit(1);
	}
	tr_buf_release(&path);
	return s;
}

int main(int argc, char **argv)
{
	const char *seed_arg = argc > 1 ? argv[1] : getenv("FUZZ_SEED");
	const char *iter_arg = argc > 2 ? argv[2] : getenv("FUZZ_ITERATIONS");
	const char *secs_arg = getenv("FUZZ_SECONDS");
	long iterations = iter_arg ? atol(iter_arg) : 20000, done = 0, seconds;
	char tmpl[] = "/tmp/tranche-fuzz-XXXXXX", dir_a[600], dir_b[600], cwd[4096];
	tr_server *servers[2];
	time_t started = time(NULL);
	char *target = malloc(8192), *body = malloc(70000);
	static const size_t n_seeds = sizeof(seeds) / sizeof(seeds[0]);

	seconds = secs_arg ? atol(secs_arg) : 20;
	rng_state = seed_arg ? strtoull(seed_arg, NULL, 0) : 0x7472616e636865ULL;
	if (!rng_state)
		rng_state = 1;
	if (!mkdtemp(tmpl) || !getcwd(cwd, sizeof(cwd)) || !target || !body) {
		printf("not ok 1 - setup: %s\n", strerror(errno));
		return 1;
	}
	snprintf(dir_a, sizeof(dir_a), "%s/a", tmpl);
	snprintf(dir_b, sizeof(dir_b), "%s/b", tmpl);
	mkdir(dir_a, 0755);
	mkdir(dir_b, 0755);
	/* runs resolve relative paths against the current directory: the project's */
	if (chdir(dir_a)) {
		printf("not ok 1 - chdir %s\n", dir_a);
		return 1;
	}
	servers[0] = start(dir_a, NULL);
	servers[1] = start(dir_b, "fuzz-token-0123");
	printf("# seed 0x%llx, %ld iterations at most, %ld s at most\n",
	       (unsigned long long)rng_state, iterations, seconds);

	/* every seed once, as is, on both servers */
	for (size_t k = 0; k < n_seeds; k++)
		for (int sv = 0; sv < 2; sv++) {
			srv_request rq = {0};

			rq.method = seeds[k].method;
			rq.target = seeds[k].target;
			rq.host = "127.0.0.1:3000";
			rq.content_type = "application/json";
			rq.authorization = sv ? "Bearer fuzz-token-0123" : NULL;
			rq.body = seeds[k].body;
			rq.body_len = seeds[k].body ? strlen(seeds[k].body) : 0;
			one(servers[sv], &rq, "seed");
		}
	printf("%s 1 - every seed request answers sensibly\n", failures ? "not ok" : "ok");
	fflush(stdout);

	for (done = 0; done < iterations && time(NULL) - started < seconds; done++) {
		const struct seed *sd = &seeds[pick(n_seeds)];
		srv_request rq = {0};
		size_t tl, bl = 0;
		int sv = (int)pick(2), random_bytes = pick(10) == 0;

		if (random_bytes) {
			tl = pick(200);
			for (size_t k = 0; k < tl; k++)
				target[k] = (char)(pick(2) ? pick(256) : 32 + pick(95));
		} else {
			tl = strlen(sd->target);
			memcpy(target, sd->target, tl);
			if (pick(2))
				tl = mutate(target, tl, 8000);
		}
		target[tl] = '\0'; /* a NUL inside ends the target early, as a C string does */
		if (sd->body || pick(8) == 0) {
			const char *src = sd->body ? sd->body : "{}";

			bl = strlen(src);
			memcpy(body, src, bl);
			if (pick(3))
				bl = mutate(body, bl, 60000);
			body[bl] = '\0';
		}
		rq.method = pick(8) ? sd->method : methods[pick(sizeof(methods) / sizeof(methods[0]))];
		rq.target = target;
		rq.host = pick(10) ? "127.0.0.1:3000" : (pick(2) ? "evil.example" : NULL);
		rq.origin = pick(10) ? NULL : (pick(2) ? "http://127.0.0.1:3000" : "http://x");
		rq.content_type = pick(10) ? "application/json; charset=utf-8" : "text/plain";
		rq.authorization = sv && pick(8) ? "Bearer fuzz-token-0123" : (pick(2) ? "Bearer x" : NULL);
		rq.cookie = pick(10) ? NULL : "a=b; tranche_token=fuzz-token-0123; c";
		rq.last_event_id = pick(10) ? NULL : (pick(2) ? "3" : "x");
		rq.body = bl ? body : NULL;
		rq.body_len = bl;
		rq.body_too_large = pick(100) == 0;
		one(servers[sv], &rq, "mutated");
	}
	printf("# answers: %ld 2xx, %ld 3xx, %ld 4xx, %ld 5xx\n", by_status[2], by_status[3],
	       by_status[4], by_status[5]);
	printf("%s 2 - %ld mutated and random requests: no crash, no 500, well-formed answers\n",
	       failures ? "not ok" : "ok", done);
	tr_server_stop(servers[0]);
	tr_server_stop(servers[1]);
	printf("ok 3 - both servers stop (runs the requests started are canceled)\n");
	printf("1..3\n");
	if (chdir(cwd) == 0) {
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmpl);
	}
	free(target);
	free(body);
	return failures ? 1 : 0;
}
