/*
 * cli.c — option parsing from tables, error reporting, shared helpers for the
 * subcommands (cli.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "tranche/time.h"

static void print_help(const cli_opt *opts, const char *usage, const char *description)
{
	printf("usage: %s\n\n%s\n", usage, description);
	if (opts && opts[0].name)
		printf("\noptions:\n");
	for (const cli_opt *o = opts; o && o->name; o++) {
		char left[64];

		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		printf("  %-28s %s\n", left, o->help);
	}
	printf("  %-28s %s\n", "    --help", "show this help");
}

static int set_value(const cli_opt *o, const char *v)
{
	if (o->kind == OPT_FLAG) {
		*(int *)o->value = 1;
	} else if (o->kind == OPT_STRING) {
		*(const char **)o->value = v;
	} else {
		cli_list *l = o->value;
		const char **items = realloc(l->items, (l->n + 1) * sizeof(char *));

		if (!items)
			return -1;
		l->items = items;
		l->items[l->n++] = v;
	}
	return 0;
}

/*
 * An argument that starts with '-' but has white space before any '=' is not
 * an option: it is text, such as SQL that starts with a "-- comment".
 */
static int looks_like_text(const char *a)
{
	for (const char *c = a; *c && *c != '='; c++)
		if (*c == ' ' || *c == '\n' || *c == '\t')
			return 1;
	return 0;
}

int cli_parse(int argc, char **argv, const cli_opt *opts, cli_list *pos, const char *usage,
	      const char *description)
{
	int only_pos = 0;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		const cli_opt *o = NULL;
		char name[64];

		if (only_pos || a[0] != '-' || !a[1] || looks_like_text(a)) {
			if (!pos) {
				fprintf(stderr, "tranche: unexpected argument \"%s\"\nusage: %s\n", a,
					usage);
				return EXIT_USAGE;
			}
			if (set_value(&(cli_opt){.kind = OPT_LIST, .value = pos}, a))
				return EXIT_USAGE;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_pos = 1;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			print_help(opts, usage, description);
			return -1;
		}
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);

			if (len >= sizeof(name))
				len = sizeof(name) - 1;
			memcpy(name, a + 2, len);
			name[len] = '\0';
			if (eq)
				val = eq + 1;
			for (const cli_opt *p = opts; p && p->name; p++)
				if (!strcmp(p->name, name))
					o = p;
		} else {
			for (const cli_opt *p = opts; p && p->name; p++)
				if (p->short_name && p->short_name == a[1])
					o = p;
			if (o && a[2])
				val = a + 2;
			snprintf(name, sizeof(name), "%c", a[1]);
		}
		if (!o) {
			fprintf(stderr, "tranche: unknown option \"%s\"\nusage: %s\n(see --help for the "
					"options)\n",
				a, usage);
			return EXIT_USAGE;
		}
		if (o->kind == OPT_FLAG) {
			if (val) {
				fprintf(stderr, "tranche: option --%s takes no value\n", o->name);
				return EXIT_USAGE;
			}
		} else if (!val) {
			if (i + 1 >= argc) {
				fprintf(stderr, "tranche: option --%s needs a value (%s)\nusage: %s\n",
					o->name, o->arg ? o->arg : "VALUE", usage);
				return EXIT_USAGE;
			}
			val = argv[++i];
		}
		if (set_value(o, val))
			return EXIT_USAGE;
	}
	return 0;
}

void cli_list_release(cli_list *l)
{
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

int cli_fail(const tr_error *err)
{
	fprintf(stderr, "tranche: %s\n", err->msg[0] ? err->msg : tr_error_name(err->code));
	switch (err->code) {
	case TR_EINVAL:
	case TR_ERANGE:
	case TR_ENOTFOUND:
		return EXIT_USAGE;
	default:
		return EXIT_NO;
	}
}

int cli_failf(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("tranche: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

char *cli_read_text(const char *arg, const char *what, tr_error *err)
{
	tr_buf b = TR_BUF_INIT;
	char chunk[8192];
	size_t n;
	FILE *f;

	if (arg[0] != '@') {
		tr_buf_adds(&b, arg);
		return tr_buf_detach(&b, NULL);
	}
	f = fopen(arg + 1, "r");
	if (!f) {
		tr_error_set(err, TR_EINVAL, "%s: cannot read \"%s\": %s", what, arg + 1,
			     strerror(errno));
		return NULL;
	}
	b.max = 16u << 20;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		tr_buf_add(&b, chunk, n);
	fclose(f);
	if (tr_buf_failed(&b)) {
		tr_buf_release(&b);
		tr_error_set(err, TR_EINVAL, "%s: \"%s\" is larger than 16 MiB", what, arg + 1);
		return NULL;
	}
	return tr_buf_detach(&b, NULL);
}

int cli_now(const char *now_arg, int64_t *now, tr_error *err)
{
	const char *src = now_arg ? "--now" : "TRANCHE_NOW";
	const char *s = now_arg ? now_arg : getenv("TRANCHE_NOW");
	tr_error e;

	if (!s || !s[0]) {
		*now = (int64_t)time(NULL);
		return 0;
	}
	if (tr_time_parse_instant(s, now, &e))
		return tr_error_set(err, TR_EINVAL,
				    "%s: \"%s\" is not an ISO 8601 time such as "
				    "2024-05-21T00:00:00+00:00 (%s)",
				    src, s, e.msg);
	return 0;
}

int cli_write(const tr_buf *b)
{
	if (b->len && fwrite(b->data, 1, b->len, stdout) != b->len)
		return EXIT_NO;
	return fflush(stdout) ? EXIT_NO : 0;
}

/* ---- aligned listings ---------------------------------------------------------------- */

void cli_columns_init(cli_columns *c, size_t ncols, const char *const *headers)
{
	memset(c, 0, sizeof(*c));
	c->ncols = ncols;
	cli_columns_row(c, headers);
}

void cli_columns_row(cli_columns *c, const char *const *cells)
{
	if (c->failed)
		return;
	if (c->nrows == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		char **grown = realloc(c->cells, cap * c->ncols * sizeof(*grown));

		if (!grown) {
			c->failed = 1;
			return;
		}
		c->cells = grown;
		c->cap = cap;
	}
	for (size_t k = 0; k < c->ncols; k++) {
		char *copy = strdup(cells[k] ? cells[k] : "-");

		if (!copy)
			c->failed = 1;
		c->cells[c->nrows * c->ncols + k] = copy;
	}
	c->nrows++;
}

/* Width on a terminal: UTF-8 continuation bytes take no column. */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

void cli_columns_flush(cli_columns *c, tr_buf *out)
{
	size_t *width = calloc(c->ncols ? c->ncols : 1, sizeof(*width));

	if (!width || c->failed)
		out->failed = 1;
	for (size_t r = 0; width && r < c->nrows; r++)
		for (size_t k = 0; k < c->ncols; k++) {
			const char *cell = c->cells[r * c->ncols + k];
			size_t w = cell ? text_width(cell) : 0;

			if (w > width[k])
				width[k] = w;
		}
	for (size_t r = 0; width && !c->failed && r < c->nrows; r++) {
		for (size_t k = 0; k < c->ncols; k++) {
			const char *cell = c->cells[r * c->ncols + k];

			tr_buf_adds(out, cell);
			if (k + 1 < c->ncols)
				for (size_t pad = text_width(cell); pad < width[k] + 2; pad++)
					tr_buf_addc(out, ' ');
		}
		tr_buf_addc(out, '\n');
	}
	free(width);
	cli_columns_release(c);
}

void cli_columns_release(cli_columns *c)
{
	for (size_t i = 0; i < c->nrows * c->ncols; i++)
		free(c->cells[i]);
	free(c->cells);
	memset(c, 0, sizeof(*c));
}

int cli_parse_count(const char *s, const char *what, size_t *out)
{
	char *end;
	long long v;

	if (!s)
		return 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end || v < 0)
		return cli_failf(EXIT_USAGE, "%s: \"%s\" is not a number of 0 or more", what, s);
	*out = (size_t)v;
	return 0;
}

void cli_duration_text(int64_t ms, char *buf, size_t n)
{
	if (ms < 0)
		snprintf(buf, n, "-");
	else if (ms < 10000)
		snprintf(buf, n, "%.2f s", (double)ms / 1000.0);
	else if (ms < 600000)
		snprintf(buf, n, "%.0f s", (double)ms / 1000.0);
	else
		snprintf(buf, n, "%lld min", (long long)(ms / 60000));
}
