/*
 * warehouse.c — the backend-independent front of the warehouse (tranche/warehouse.h).
 *
 * Parses the URL, resolves a relative path against base_dir and creates the
 * missing parent directories, picks a backend from the scheme table, and
 * checks every argument before dispatching through the backend's operations
 * (warehouse_impl.h), so each backend gets the same validation and the same
 * messages. Adding a backend = one open function + one row in `schemes`.
 *
 * Also here, because they do not depend on a backend: the result tables
 * (tr_table_*: release and the text, CSV and JSON writers), identifier
 * quoting for SQL text, and tr_load_result_release.
 *
 * Callers: the CLI (query, wipe), the executor (loads and checks, one
 * connection per worker thread), the server (runs; read-only queries, wipes
 * and adopts of its API).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "base/fs.h"
#include "base/text.h"
#include "tranche/warehouse.h"
#include "warehouse/warehouse_impl.h"

#define VALID_FORMS                                                                        \
	"valid forms: duckdb:PATH, duckdb::memory:, or a bare file path such as "          \
	"data/warehouse.duckdb"
#define MEMORY_LOCATION ":memory:"

static const struct scheme {
	const char *name;       /* the URL scheme, matched case-insensitively */
	const char *backend;    /* for messages */
	warehouse_open_fn open; /* NULL: known, but not available in this build */
} schemes[] = {
	{"duckdb", "DuckDB", tr_warehouse_duckdb_open},
	{"parquet", "Parquet", NULL},
	{"postgres", "PostgreSQL", NULL},
	{"postgresql", "PostgreSQL", NULL},
};

/* ---- opening ------------------------------------------------------------- */

/* Resolves location against base_dir, creates its parents and opens it. */
static int open_file(warehouse_open_fn open, const char *location, const char *base_dir,
		     tr_warehouse **out, tr_error *err)
{
	tr_buf path = TR_BUF_INIT;
	int rc = 0;

	if (location[0] != '/' && base_dir && *base_dir) {
		tr_buf_adds(&path, base_dir);
		if (base_dir[strlen(base_dir) - 1] != '/')
			tr_buf_addc(&path, '/');
	}
	tr_buf_adds(&path, location);
	if (tr_buf_failed(&path)) {
		rc = tr_error_set(err, TR_ENOMEM, "warehouse %s: out of memory", location);
		goto out;
	}
	if ((rc = tr_mkdir_parents(tr_buf_str(&path), err)) != 0 &&
	    tr_error_prefix(err, "warehouse %s", location))
		goto out;
	rc = open(location, tr_buf_str(&path), out, err);
out:
	tr_buf_release(&path);
	return rc;
}

int tr_warehouse_open(const char *url, const char *base_dir, tr_warehouse **out, tr_error *err)
{
	size_t scheme_len = 0, i = 0;
	const char *location = NULL;

	if (!out)
		return tr_error_set(err, TR_EINVAL, "tr_warehouse_open: out is NULL");
	*out = NULL;
	if (!url || !*url)
		return tr_error_set(err, TR_EINVAL, "warehouse URL is empty; " VALID_FORMS);
	scheme_len = tr_url_scheme_length(url);
	if (scheme_len == 0)
		return open_file(tr_warehouse_duckdb_open, url, base_dir, out, err);
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		const struct scheme *sc = &schemes[i];

		if (strlen(sc->name) != scheme_len || strncasecmp(url, sc->name, scheme_len) != 0)
			continue;
		/* The rest of the URL is not echoed: a postgres:// URL may hold a password. */
		if (!sc->open)
			return tr_error_set(err, TR_EINVAL,
					    "warehouse URL %.*s:...: %s warehouses are not available "
					    "in this build, only duckdb: is; " VALID_FORMS,
					    (int)scheme_len, url, sc->backend);
		location = url + scheme_len + 1;
		if (!*location)
			return tr_error_set(err, TR_EINVAL,
					    "warehouse URL \"%s\" names no file; " VALID_FORMS, url);
		if (strcmp(location, MEMORY_LOCATION) == 0)
			return sc->open(url, NULL, out, err);
		return open_file(sc->open, location, base_dir, out, err);
	}
	return tr_error_set(err, TR_EINVAL,
			    "warehouse URL: unknown scheme \"%.*s:\"; " VALID_FORMS "%s",
			    (int)scheme_len, url,
			    strncmp(url + scheme_len, "://", 3) == 0
				    ? ""
				    : " (for a file whose name contains ':', write duckdb:NAME or ./NAME)");
}

void tr_warehouse_close(tr_warehouse *wh)
{
	if (wh)
		wh->ops->close(wh);
}

const char *tr_warehouse_path(const tr_warehouse *wh)
{
	return wh ? wh->path : "";
}

int tr_warehouse_connect(tr_warehouse *wh, tr_wconn **out, tr_error *err)
{
	if (!out)
		return tr_error_set(err, TR_EINVAL, "tr_warehouse_connect: out is NULL");
	*out = NULL;
	if (!wh)
		return tr_error_set(err, TR_EINVAL, "tr_warehouse_connect: no warehouse (NULL)");
	return wh->ops->connect(wh, out, err);
}

void tr_wconn_close(tr_wconn *c)
{
	if (c)
		c->ops->conn_close(c);
}

void tr_wconn_interrupt(tr_wconn *c)
{
	if (c)
		c->ops->interrupt(c);
}

/* ---- argument checks ----------------------------------------------------- */

static int check_params(const char *what, const tr_param *params, size_t n_params, tr_error *err)
{
	size_t i = 0;

	if (n_params > 0 && !params)
		return tr_error_set(err, TR_EINVAL, "%s: %zu parameters announced but the array is NULL",
				    what, n_params);
	for (i = 0; i < n_params; i++) {
		const tr_param *p = &params[i];

		if (!p->name || !*p->name || p->name[0] == '$')
			return tr_error_set(err, TR_EINVAL,
					    "%s: parameter %zu has %s name; give the name without '$'",
					    what, i, !p->name ? "no" : !*p->name ? "an empty" : "a '$'-prefixed");
		switch (p->type) {
		case TR_PARAM_TEXT:
		case TR_PARAM_TIMESTAMP:
		case TR_PARAM_BIGINT:
			break;
		case TR_PARAM_TEXT_LIST:
			if (p->list_len > 0 && !p->list)
				return tr_error_set(err, TR_EINVAL,
						    "%s: parameter $%s announces %zu strings but the "
						    "list is NULL",
						    what, p->name, p->list_len);
			break;
		default:
			return tr_error_set(err, TR_EINVAL, "%s: parameter $%s has unknown type %d",
					    what, p->name, (int)p->type);
		}
	}
	return 0;
}

static int check_table_name(const char *what, const char *table, tr_error *err)
{
	if (!table || !*table)
		return tr_error_set(err, TR_EINVAL, "%s: the table name is %s", what,
				    table ? "empty" : "missing (NULL)");
	return 0;
}

/* ---- queries, loads, wipes, checks --------------------------------------- */

int tr_wconn_query(tr_wconn *c, const char *sql, const tr_param *params, size_t n_params,
		   size_t max_rows, tr_table *out, tr_error *err)
{
	int rc = 0;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!c || !sql)
		return tr_error_set(err, TR_EINVAL, "tr_wconn_query: %s is NULL",
				    !c ? "the connection" : "the SQL");
	if ((rc = check_params("query", params, n_params, err)) != 0)
		return rc;
	return c->ops->query(c, sql, params, n_params, max_rows, out, err);
}

int tr_wconn_query_read(tr_wconn *c, const char *sql, const tr_param *params, size_t n_params,
			size_t max_rows, tr_table *out, int *writes, tr_error *err)
{
	int rc = 0;

	if (out)
		memset(out, 0, sizeof(*out));
	if (writes)
		*writes = 0;
	if (!c || !sql)
		return tr_error_set(err, TR_EINVAL, "tr_wconn_query_read: %s is NULL",
				    !c ? "the connection" : "the SQL");
	if ((rc = check_params("query", params, n_params, err)) != 0)
		return rc;
	return c->ops->query_read(c, sql, params, n_params, max_rows, out, writes, err);
}

int tr_wconn_table_exists(tr_wconn *c, const char *table, tr_error *err)
{
	int rc = 0;

	if (!c)
		return tr_error_set(err, TR_EINVAL, "tr_wconn_table_exists: no connection (NULL)");
	if ((rc = check_table_name("table_exists", table, err)) != 0)
		return rc;
	return c->ops->table_exists(c, table, err);
}

int tr_wconn_set_timezone(tr_wconn *c, const char *tz, tr_error *err)
{
	if (!c)
		return tr_error_set(err, TR_EINVAL, "tr_wconn_set_timezone: no connection (NULL)");
	if (!tz || !*tz || strlen(tz) >= 64)
		return tr_error_set(err, TR_EINVAL,
				    "tr_wconn_set_timezone: a time zone name such as \"UTC\" or "
				    "\"America/New_York\" is required");
	return c->ops->set_timezone ? c->ops->set_timezone(c, tz, err) : 0;
}

static const char *const file_formats[] = {"csv", "json", "parquet"};

static int check_load(const tr_load *load, tr_error *err)
{
	size_t i = 0;
	int rc = 0;

	if ((rc = check_table_name("load", load->table, err)) != 0)
		return rc;
	switch (load->source) {
	case TR_LOAD_QUERY:
	case TR_LOAD_SCRIPT:
		if (!load->query || !*load->query)
			return tr_error_set(err, TR_EINVAL, "load of %s: the %s is %s", load->table,
					    load->source == TR_LOAD_QUERY ? "query" : "script",
					    load->query ? "empty" : "missing (NULL)");
		break;
	case TR_LOAD_FILE:
		if (!load->file || !*load->file)
			return tr_error_set(err, TR_EINVAL, "load of %s: the file path is %s",
					    load->table, load->file ? "empty" : "missing (NULL)");
		for (i = 0; i < sizeof(file_formats) / sizeof(file_formats[0]); i++)
			if (load->file_format && strcmp(load->file_format, file_formats[i]) == 0)
				break;
		if (i == sizeof(file_formats) / sizeof(file_formats[0]))
			return tr_error_set(err, TR_EINVAL,
					    "load of %s: file format \"%s\" is not known; valid "
					    "formats: csv, json, parquet",
					    load->table, load->file_format ? load->file_format : "(NULL)");
		break;
	default:
		return tr_error_set(err, TR_EINVAL, "load of %s: unknown source kind %d", load->table,
				    (int)load->source);
	}
	if (load->slice && !*load->slice)
		return tr_error_set(err, TR_EINVAL,
				    "load of %s: the slice is empty; give a boolean SQL expression, "
				    "or NULL for an unpartitioned table",
				    load->table);
	if (load->n_metadata > 0 && !load->metadata)
		return tr_error_set(err, TR_EINVAL,
				    "load of %s: %zu metadata queries announced but the array is NULL",
				    load->table, load->n_metadata);
	for (i = 0; i < load->n_metadata; i++)
		if (!load->metadata[i].name || !*load->metadata[i].name || !load->metadata[i].sql)
			return tr_error_set(err, TR_EINVAL,
					    "load of %s: metadata query %zu has no %s", load->table,
					    i, load->metadata[i].sql ? "name" : "SQL");
	return check_params("load", load->params, load->n_params, err);
}

int tr_wconn_load(tr_wconn *c, const tr_load *load, tr_load_result *result, tr_error *err)
{
	tr_load_result local;
	tr_load_result *r = result ? result : &local;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (!c || !load)
		return tr_error_set(err, TR_EINVAL, "tr_wconn_load: %s is NULL",
				    !c ? "the connection" : "the load");
	if ((rc = check_load(load, err)) != 0)
		return rc;
	rc = c->ops->load(c, load, r, err);
	if (r == &local)
		tr_load_result_release(&local);
	return rc;
}

void tr_load_result_release(tr_load_result *r)
{
	size_t i = 0;

	if (!r)
		return;
	tr_table_release(&r->preview);
	for (i = 0; i < r->n_metadata; i++)
		tr_table_release(&r->metadata[i]);
	free(r->metadata);
	memset(r, 0, sizeof(*r));
}

int tr_wconn_wipe(tr_wconn *c, const char *table, const char *slice, const tr_param *params,
		  size_t n_params, int64_t *deleted, tr_error *err)
{
	int64_t count = 0;
	int rc = 0;

	if (deleted)
		*deleted = 0;
	if (!c)
		return tr_error_set(err, TR_EINVAL, "tr_wconn_wipe: no connection (NULL)");
	if ((rc = check_table_name("wipe", table, err)) != 0 ||
	    (rc = check_params("wipe", params, n_params, err)) != 0)
		return rc;
	if (slice && !*slice)
		return tr_error_set(err, TR_EINVAL,
				    "wipe of %s: the slice is empty; give a boolean SQL expression, "
				    "or NULL to drop the table",
				    table);
	rc = c->ops->wipe(c, table, slice, params, n_params, &count, err);
	if (rc == 0 && deleted)
		*deleted = count;
	return rc;
}

int tr_wconn_check(tr_wconn *c, const char *sql, const tr_param *params, size_t n_params,
		   size_t max_sample, int64_t *failing, tr_table *sample, tr_error *err)
{
	int64_t count = 0;
	int rc = 0;

	if (failing)
		*failing = 0;
	if (sample)
		memset(sample, 0, sizeof(*sample));
	if (!c || !sql)
		return tr_error_set(err, TR_EINVAL, "tr_wconn_check: %s is NULL",
				    !c ? "the connection" : "the SQL");
	if ((rc = check_params("check", params, n_params, err)) != 0)
		return rc;
	rc = c->ops->check(c, sql, params, n_params, max_sample, &count, sample, err);
	if (rc == 0 && failing)
		*failing = count;
	return rc;
}

/* ---- identifiers --------------------------------------------------------- */

void tr_sql_quote_ident(tr_buf *out, const char *ident)
{
	const char *p = ident;

	tr_buf_addc(out, '"');
	for (; p && *p; p++) {
		if (*p == '.')
			tr_buf_adds(out, "\".\"");
		else if (*p == '"')
			tr_buf_adds(out, "\"\"");
		else
			tr_buf_addc(out, *p);
	}
	tr_buf_addc(out, '"');
}

/* ---- result tables ------------------------------------------------------- */

void tr_table_release(tr_table *t)
{
	size_t i = 0;

	if (!t)
		return;
	for (i = 0; i < t->ncols; i++) {
		if (t->names)
			free(t->names[i]);
		if (t->types)
			free(t->types[i]);
	}
	if (t->cells)
		for (i = 0; i < t->nrows * t->ncols; i++)
			free(t->cells[i]);
	free(t->names);
	free(t->types);
	free(t->numeric);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

static const char *cell_at(const tr_table *t, size_t row, size_t col)
{
	return t->cells[row * t->ncols + col];
}

/*
 * Text cells: control characters are shown escaped (\n, \t, \r, \xNN) so
 * that every row stays on one line; width counts UTF-8 characters.
 */
static void add_display(tr_buf *out, const char *s, size_t *width)
{
	static const char hex[] = "0123456789abcdef";
	size_t w = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch == 0x7f) {
			char esc[4] = {'\\', 0, 0, 0};

			if (ch == '\n')
				esc[1] = 'n';
			else if (ch == '\t')
				esc[1] = 't';
			else if (ch == '\r')
				esc[1] = 'r';
			if (esc[1]) {
				if (out)
					tr_buf_add(out, esc, 2);
				w += 2;
			} else {
				if (out)
					tr_buf_addf(out, "\\x%c%c", hex[ch >> 4], hex[ch & 15]);
				w += 4;
			}
			continue;
		}
		if (out)
			tr_buf_addc(out, (char)ch);
		if ((ch & 0xc0) != 0x80)
			w++;
	}
	if (width)
		*width = w;
}

static size_t display_width(const char *s)
{
	size_t w = 0;

	add_display(NULL, s, &w);
	return w;
}

static void add_spaces(tr_buf *out, size_t n)
{
	while (n-- > 0)
		tr_buf_addc(out, ' ');
}

/* One line of the text table: cells (NULL = "NULL") padded to widths; no trailing spaces. */
static void write_text_line(const tr_table *t, const size_t *widths, const char *const *cells,
			    tr_buf *out)
{
	size_t col = 0;

	for (col = 0; col < t->ncols; col++) {
		const char *s = cells[col] ? cells[col] : "NULL";
		size_t w = display_width(s);
		int last = col + 1 == t->ncols;

		tr_buf_adds(out, col ? " | " : " ");
		if (t->numeric && t->numeric[col]) {
			add_spaces(out, widths[col] - w);
			add_display(out, s, NULL);
		} else {
			add_display(out, s, NULL);
			if (!last)
				add_spaces(out, widths[col] - w);
		}
	}
	tr_buf_addc(out, '\n');
}

void tr_table_write_text(const tr_table *t, tr_buf *out)
{
	size_t *widths = NULL;
	size_t row = 0, col = 0;

	if (!t || t->ncols == 0)
		return;
	widths = calloc(t->ncols, sizeof(*widths));
	if (!widths) {
		out->failed = 1;
		return;
	}
	for (col = 0; col < t->ncols; col++) {
		widths[col] = display_width(t->names[col]);
		for (row = 0; row < t->nrows; row++) {
			const char *s = cell_at(t, row, col);
			size_t w = display_width(s ? s : "NULL");

			if (w > widths[col])
				widths[col] = w;
		}
	}
	write_text_line(t, widths, (const char *const *)t->names, out);
	for (col = 0; col < t->ncols; col++) {
		size_t i = 0;

		if (col)
			tr_buf_addc(out, '+');
		for (i = 0; i < widths[col] + 2; i++)
			tr_buf_addc(out, '-');
	}
	tr_buf_addc(out, '\n');
	for (row = 0; row < t->nrows; row++)
		write_text_line(t, widths, (const char *const *)&t->cells[row * t->ncols], out);
	free(widths);
}

static void write_csv_field(tr_buf *out, const char *s)
{
	if (!s)
		return; /* NULL: an empty field */
	if (*s && !strpbrk(s, ",\"\r\n")) {
		tr_buf_adds(out, s);
		return;
	}
	/* Quoted: fields with separators, and the empty string (to tell it from NULL). */
	tr_buf_addc(out, '"');
	for (; *s; s++) {
		if (*s == '"')
			tr_buf_addc(out, '"');
		tr_buf_addc(out, *s);
	}
	tr_buf_addc(out, '"');
}

void tr_table_write_csv(const tr_table *t, tr_buf *out)
{
	size_t row = 0, col = 0;

	if (!t || t->ncols == 0)
		return;
	for (col = 0; col < t->ncols; col++) {
		if (col)
			tr_buf_addc(out, ',');
		write_csv_field(out, t->names[col]);
	}
	tr_buf_addc(out, '\n');
	for (row = 0; row < t->nrows; row++) {
		for (col = 0; col < t->ncols; col++) {
			if (col)
				tr_buf_addc(out, ',');
			write_csv_field(out, cell_at(t, row, col));
		}
		tr_buf_addc(out, '\n');
	}
}

/* JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int is_json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return 0;
	if (*s == '.') {
		s++;
		if (!(*s >= '0' && *s <= '9'))
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

/* One cell as JSON: a number, a boolean, null or a string (tr_table_write_json). */
static void write_cell_json(const tr_table *t, size_t row, size_t col, tr_json *j)
{
	const char *s = cell_at(t, row, col);

	if (!s)
		tr_json_null(j);
	else if (t->numeric && t->numeric[col] && is_json_number(s))
		tr_json_raw(j, s);
	else if (t->types && strcmp(t->types[col], "BOOLEAN") == 0 &&
		 (strcmp(s, "true") == 0 || strcmp(s, "false") == 0))
		tr_json_bool(j, s[0] == 't');
	else
		tr_json_string(j, s);
}

void tr_table_write_json(const tr_table *t, tr_json *j)
{
	size_t row = 0, col = 0;

	tr_json_array_begin(j);
	for (row = 0; t && row < t->nrows; row++) {
		tr_json_object_begin(j);
		for (col = 0; col < t->ncols; col++) {
			tr_json_key(j, t->names[col]);
			write_cell_json(t, row, col, j);
		}
		tr_json_object_end(j);
	}
	tr_json_array_end(j);
}

void tr_table_write_json_rows(const tr_table *t, tr_json *j)
{
	tr_json_array_begin(j);
	for (size_t row = 0; t && row < t->nrows; row++) {
		tr_json_array_begin(j);
		for (size_t col = 0; col < t->ncols; col++)
			write_cell_json(t, row, col, j);
		tr_json_array_end(j);
	}
	tr_json_array_end(j);
}
