/*
 * cli_progress.c — what a run shows while it goes, in one of three forms:
 *
 *   - on a terminal (stderr is a tty): one line redrawn in place, at most ten
 *     times a second: a bar, partitions done of the total, failures, the rate
 *     (partitions per second, smoothed), the time left and the assets running,
 *     cut to the terminal's width; erased before anything else is printed;
 *   - otherwise plain lines on stderr, for logs: one per failed (or retried,
 *     or skipped) step — the first CAP_LINES of each kind, then one note — and
 *     a progress line when another 5% is done, no more often than every 10 s
 *     (a run shorter than that prints none), so that 100,000 partitions make a
 *     few dozen lines, not 100,000;
 *   - with --json, JSON lines on stdout, one per ended step (see docs/cli.md).
 *
 * Who calls: cli_run.c passes cli_progress_cb as tr_run_request.on_progress.
 * The executor may call it from several threads: a mutex serializes it.
 * Steps are told apart by asset and partition, to time them.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tranche/json.h"

#define CAP_LINES 20         /* failed, retried and skipped lines printed at most */
#define REDRAW_MS 100        /* the bar, at most this often */
#define PLAIN_MIN_MS 10000   /* plain progress lines, at most this often */
#define RATE_WINDOW_MS 3000. /* the rate's smoothing time constant */

/* A step that started and has not ended: to tell how long it took. */
struct started {
	char *asset, *partition;
	int64_t at_ms;
};

struct cli_progress {
	pthread_mutex_t lock;
	int tty, json;
	int drawn;
	int64_t start_ms, last_draw_ms, last_line_ms;
	int64_t last_line_done; /* partitions ended at the last plain line */
	/* the rate: an exponential moving average of partitions ended per second */
	double rate;
	int64_t rate_ms, rate_done;
	/* counters as of the previous call, to tell what an ended step was */
	int64_t prev_ended, prev_skipped, prev_failed;
	size_t lines_failed, lines_skipped, lines_retry;
	struct started *running;
	size_t n_running, cap_running;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

cli_progress *cli_progress_new(int tty, int json)
{
	cli_progress *pg = calloc(1, sizeof(*pg));

	if (!pg)
		return NULL;
	pthread_mutex_init(&pg->lock, NULL);
	pg->tty = tty;
	pg->json = json;
	pg->start_ms = pg->last_line_ms = pg->rate_ms = mono_ms();
	return pg;
}

static void clear_locked(cli_progress *pg)
{
	if (pg->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		pg->drawn = 0;
	}
}

void cli_progress_clear(cli_progress *pg)
{
	if (!pg)
		return;
	pthread_mutex_lock(&pg->lock);
	clear_locked(pg);
	pthread_mutex_unlock(&pg->lock);
}

int cli_progress_drawn(const cli_progress *pg)
{
	return pg && pg->drawn;
}

void cli_progress_free(cli_progress *pg)
{
	if (!pg)
		return;
	cli_progress_clear(pg);
	for (size_t k = 0; k < pg->n_running; k++) {
		free(pg->running[k].asset);
		free(pg->running[k].partition);
	}
	free(pg->running);
	pthread_mutex_destroy(&pg->lock);
	free(pg);
}

/* ---- timing steps ------------------------------------------------------------------ */

static void step_started(cli_progress *pg, const char *asset, const char *partition, int64_t now)
{
	struct started *s;

	if (pg->n_running == pg->cap_running) {
		size_t cap = pg->cap_running ? pg->cap_running * 2 : 8;
		struct started *grown = realloc(pg->running, cap * sizeof(*grown));

		if (!grown)
			return;
		pg->running = grown;
		pg->cap_running = cap;
	}
	s = &pg->running[pg->n_running];
	s->asset = strdup(asset ? asset : "");
	s->partition = strdup(partition ? partition : "");
	s->at_ms = now;
	if (!s->asset || !s->partition) {
		free(s->asset);
		free(s->partition);
		return;
	}
	pg->n_running++;
}

/* How long the step ran (0 if its start was not seen: a skipped step); forgets it
   unless it will be retried. */
static int64_t step_ended(cli_progress *pg, const char *asset, const char *partition, int64_t now,
			  int keep)
{
	for (size_t k = 0; k < pg->n_running; k++) {
		struct started *s = &pg->running[k];

		if (strcmp(s->asset, asset ? asset : "") ||
		    strcmp(s->partition, partition ? partition : ""))
			continue;
		int64_t ms = now - s->at_ms;

		if (keep) {
			s->at_ms = now; /* the next attempt is timed on its own */
			return ms;
		}
		free(s->asset);
		free(s->partition);
		pg->running[k] = pg->running[--pg->n_running];
		return ms;
	}
	return 0;
}

/* ---- the three forms ---------------------------------------------------------------- */

/* Partitions (steps, if the executor counts no partitions): of the run, ended, not done. */
typedef struct run_counts {
	int64_t total, ended, failed, skipped;
} run_counts;

static run_counts counts_of(const tr_progress *pr)
{
	run_counts c;

	if (pr->partitions_total > 0) {
		c.total = pr->partitions_total;
		c.failed = pr->partitions_failed;
		c.skipped = pr->partitions_skipped;
		c.ended = pr->partitions_done; /* like done: failed and skipped included */
	} else {
		c.total = (int64_t)pr->total;
		c.failed = (int64_t)pr->failed;
		c.skipped = (int64_t)pr->skipped;
		c.ended = (int64_t)pr->done;
	}
	return c;
}

/* Columns of UTF-8 text (continuation bytes take none). */
static size_t columns_of(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

/* Appends s cut to at most `room` columns (with "…" when cut). */
static void add_cut(tr_buf *b, const char *s, size_t room)
{
	size_t w = 0;
	const char *c = s;

	if (columns_of(s) <= room) {
		tr_buf_adds(b, s);
		return;
	}
	if (room == 0)
		return;
	for (; *c; c++) {
		if (((unsigned char)*c & 0xC0) != 0x80) {
			if (w + 1 >= room)
				break;
			w++;
		}
	}
	tr_buf_add(b, s, (size_t)(c - s));
	tr_buf_adds(b, "…");
}

static void eta_text(double seconds, char *buf, size_t n)
{
	long s = (long)(seconds + 0.5);

	if (!isfinite(seconds) || seconds < 0)
		snprintf(buf, n, "?");
	else if (s < 60)
		snprintf(buf, n, "%lds", s);
	else if (s < 3600)
		snprintf(buf, n, "%ldm%02lds", s / 60, s % 60);
	else
		snprintf(buf, n, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
}

static int terminal_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static void update_rate(cli_progress *pg, int64_t ended, int64_t now)
{
	int64_t dt = now - pg->rate_ms;

	if (dt < 200)
		return;
	double inst = (double)(ended - pg->rate_done) * 1000.0 / (double)dt;

	if (now - pg->start_ms < 2000 || pg->rate == 0)
		pg->rate = (double)ended * 1000.0 / (double)(now - pg->start_ms ? now - pg->start_ms : 1);
	else {
		double alpha = 1.0 - exp(-(double)dt / RATE_WINDOW_MS);

		pg->rate += alpha * (inst - pg->rate);
	}
	pg->rate_ms = now;
	pg->rate_done = ended;
}

/*
 * The bar's line, at most `width` columns: counts and failures always, then
 * as room allows the bar, the time left, the rate, and the running assets
 * (cut to what is left).
 */
static void draw_bar(cli_progress *pg, const tr_progress *pr, const run_counts *c, int64_t now)
{
	size_t width = (size_t)terminal_width() - 1; /* the last column wraps on some terminals */
	int64_t total = c->total, ended = c->ended;
	tr_buf line = TR_BUF_INIT;
	char counts[64], failed[48], rate[32], eta[32], eta_part[48], bar[40];
	size_t bar_len = width >= 100 ? 30 : 20, used;
	int filled;

	update_rate(pg, ended, now);
	snprintf(counts, sizeof(counts), "%lld/%lld", (long long)ended, (long long)total);
	failed[0] = '\0';
	if (c->failed || c->skipped)
		snprintf(failed, sizeof(failed), "  %lld failed", (long long)(c->failed + c->skipped));
	snprintf(rate, sizeof(rate), pg->rate >= 10 ? "  %.0f/s" : "  %.1f/s", pg->rate);
	eta_text(pg->rate > 0 ? (double)(total - ended) / pg->rate : NAN, eta, sizeof(eta));
	snprintf(eta_part, sizeof(eta_part), "  ETA %s", eta);
	filled = total > 0 ? (int)((double)ended / (double)total * (double)bar_len) : 0;
	bar[0] = '[';
	for (size_t k = 0; k < bar_len; k++)
		bar[k + 1] = (int)k < filled ? '#' : '.';
	bar[bar_len + 1] = ']';
	bar[bar_len + 2] = ' ';
	bar[bar_len + 3] = '\0';

	used = strlen(counts) + strlen(failed);
	int with_bar = used + strlen(bar) <= width;
	if (with_bar)
		used += strlen(bar);
	int with_eta = used + strlen(eta_part) <= width;
	if (with_eta)
		used += strlen(eta_part);
	int with_rate = used + strlen(rate) <= width;
	if (with_rate)
		used += strlen(rate);

	tr_buf_adds(&line, "\r\033[K");
	if (with_bar)
		tr_buf_adds(&line, bar);
	tr_buf_adds(&line, counts);
	tr_buf_adds(&line, failed);
	if (with_rate)
		tr_buf_adds(&line, rate);
	if (with_eta)
		tr_buf_adds(&line, eta_part);
	if (pr->running_assets && *pr->running_assets && used + 6 <= width) {
		tr_buf_adds(&line, "  ");
		add_cut(&line, pr->running_assets, width - used - 2);
	}
	if (!tr_buf_failed(&line)) {
		fputs(tr_buf_str(&line), stderr);
		fflush(stderr);
		pg->drawn = 1;
	}
	tr_buf_release(&line);
}

static void plain_line(cli_progress *pg, const run_counts *c, int64_t now)
{
	int64_t total = c->total, ended = c->ended;
	char eta[32];

	if (now - pg->last_line_ms < PLAIN_MIN_MS || total <= 0)
		return;
	if ((ended - pg->last_line_done) * 20 < total && now - pg->last_line_ms < 6 * PLAIN_MIN_MS)
		return; /* less than 5% more, and not yet a minute of silence */
	if (ended == pg->last_line_done)
		return;
	update_rate(pg, ended, now);
	eta_text(pg->rate > 0 ? (double)(total - ended) / pg->rate : NAN, eta, sizeof(eta));
	fprintf(stderr, "progress: %lld/%lld partitions (%d%%), %lld failed, %.1f/s, ETA %s\n",
		(long long)ended, (long long)total, (int)(100 * ended / total),
		(long long)(c->failed + c->skipped), pg->rate, eta);
	pg->last_line_ms = now;
	pg->last_line_done = ended;
}

static void json_step(const tr_progress *pr, const char *status, int64_t partitions,
		      int64_t elapsed_ms)
{
	tr_buf out = TR_BUF_INIT;
	tr_json j;

	tr_json_init(&j, &out, 0);
	tr_json_object_begin(&j);
	tr_json_kv_string(&j, "type", "step");
	tr_json_kv_string(&j, "asset", pr->asset);
	tr_json_kv_string(&j, "partition", pr->partition ? pr->partition : "");
	tr_json_key(&j, "partitions");
	if (partitions >= 0)
		tr_json_int(&j, partitions);
	else
		tr_json_null(&j);
	tr_json_kv_string(&j, "status", status);
	tr_json_kv_string(&j, "error",
			  pr->error && !strncmp(pr->error, "skipped: ", 9) ? pr->error + 9 : pr->error);
	tr_json_kv_int(&j, "elapsed_ms", elapsed_ms);
	tr_json_object_end(&j);
	tr_buf_addc(&out, '\n');
	if (!tr_buf_failed(&out)) {
		fwrite(out.data, 1, out.len, stdout);
		fflush(stdout);
	}
	tr_buf_release(&out);
}

/* One line per failed, retried or skipped step (capped), for people. */
static void problem_line(cli_progress *pg, const tr_progress *pr, const char *status)
{
	size_t *count = !strcmp(status, "skipped") ? &pg->lines_skipped
			: !strcmp(status, "retry") ? &pg->lines_retry
						    : &pg->lines_failed;
	const char *why = pr->error ? pr->error : "";

	if (!strncmp(why, "skipped: ", 9))
		why += 9;
	if (++*count > CAP_LINES) {
		if (*count == CAP_LINES + 1) {
			clear_locked(pg);
			fprintf(stderr, "(more than %d %s steps: the others are not shown; tranche "
					"logs RUN lists them all)\n",
				CAP_LINES, !strcmp(status, "retry")	   ? "retried"
					   : !strcmp(status, "failure") ? "failed"
									: status);
		}
		return;
	}
	clear_locked(pg);
	fprintf(stderr, "%s %s%s%s: %s\n",
		!strcmp(status, "retry") ? "retrying" : !strcmp(status, "failure") ? "failed" : status,
		pr->asset,
		pr->partition && pr->partition[0] ? " " : "", pr->partition ? pr->partition : "", why);
}

/* The run waits for a pool's rate with nothing running: one line (or JSON object) per wait. */
static void waiting_line(cli_progress *pg, const tr_progress *pr)
{
	time_t t = (time_t)(pr->waiting_until_ms / 1000);
	struct tm tm;
	char when[64];

	localtime_r(&t, &tm);
	/* the time alone within a day, else the date too */
	strftime(when, sizeof(when),
		 pr->waiting_until_ms - (int64_t)time(NULL) * 1000 < 86400000 ? "%H:%M:%S"
									     : "%Y-%m-%d %H:%M:%S",
		 &tm);
	if (pg->json) {
		tr_buf out = TR_BUF_INIT;
		tr_json j;

		tr_json_init(&j, &out, 0);
		tr_json_object_begin(&j);
		tr_json_kv_string(&j, "type", "waiting");
		tr_json_kv_string(&j, "waiting", pr->waiting);
		tr_json_kv_int(&j, "until_ms", pr->waiting_until_ms);
		tr_json_object_end(&j);
		tr_buf_addc(&out, '\n');
		if (!tr_buf_failed(&out)) {
			fwrite(out.data, 1, out.len, stdout);
			fflush(stdout);
		}
		tr_buf_release(&out);
		return;
	}
	clear_locked(pg);
	fprintf(stderr, "waiting for %s: the next step starts at %s (Ctrl-C stops; resume later)\n",
		pr->waiting, when);
}

void cli_progress_cb(void *ctx, const tr_progress *pr)
{
	cli_progress *pg = ctx;
	int64_t now = mono_ms();
	run_counts c = counts_of(pr);
	int64_t ended = c.ended;

	if (pr->waiting) {
		pthread_mutex_lock(&pg->lock);
		waiting_line(pg, pr);
		pthread_mutex_unlock(&pg->lock);
		return;
	}
	pthread_mutex_lock(&pg->lock);
	if (!pr->ended) {
		step_started(pg, pr->asset, pr->partition, now);
	} else {
		const char *status;
		int64_t elapsed = step_ended(pg, pr->asset, pr->partition, now, pr->retrying);
		int64_t partitions = ended - pg->prev_ended;
		int skipped = pr->error && !strncmp(pr->error, "skipped: ", 9);

		if (pr->retrying)
			status = "retry";
		else if (pr->ok)
			status = "success";
		else if (skipped || c.skipped > pg->prev_skipped)
			status = "skipped";
		else if (c.failed > pg->prev_failed)
			status = "failure";
		else
			status = "canceled"; /* interrupted: counted neither failed nor skipped */
		if (!strcmp(status, "retry") || !strcmp(status, "canceled"))
			/* the counters did not move: the size of a step over a range is not known */
			partitions = pr->partition && strstr(pr->partition, "...") ? -1 : 1;
		if (pg->json)
			json_step(pr, status, partitions, elapsed);
		else if (strcmp(status, "success") && strcmp(status, "canceled"))
			problem_line(pg, pr, status);
		pg->prev_ended = ended;
		pg->prev_skipped = c.skipped;
		pg->prev_failed = c.failed;
	}
	if (pg->tty) {
		if (now - pg->last_draw_ms >= REDRAW_MS || (pr->ended && ended >= c.total)) {
			pg->last_draw_ms = now;
			draw_bar(pg, pr, &c, now);
		}
	} else if (!pg->json && pr->ended) {
		plain_line(pg, &c, now);
	}
	pthread_mutex_unlock(&pg->lock);
}
