/*
 * duckdb.c — the DuckDB warehouse backend (warehouse_impl.h).
 *
 * One tr_warehouse = one duckdb_database (DuckDB corrupts a file opened twice
 * by one process, so the executor opens it once); one tr_wconn = one
 * duckdb_connection, used by one thread at a time. Extension auto-install is
 * off, so nothing reaches for the network (parquet, json and icu are built in).
 *
 * Statements: every value is a bound, named parameter (bind_params); the only
 * text formatted into SQL is identifiers quoted by tr_sql_quote_ident, the
 * caller's SQL and slice expressions, type names DuckDB itself reported, and
 * this file's integer constants (LIMIT, temp table numbers).
 *
 * Transactions: a load, wipe or check runs between BEGIN and COMMIT, every
 * statement's result is checked, and any failure leads to ROLLBACK — a
 * runtime error aborts a DuckDB transaction, after which COMMIT reports
 * success while committing nothing, so COMMIT is never relied on to notice.
 *
 * Interrupts: tr_wconn_interrupt sets the connection's flag and calls
 * duckdb_interrupt. DuckDB forgets an interrupt that arrives between two
 * statements, so each statement is started as a pending query, and the flag
 * is read after DuckDB has started it: whichever way the two threads
 * interleave, the statement stops (see execute()). The flag is cleared when
 * the next operation starts.
 *
 * Cells as text: a result's chunks are kept (up to max_rows rows) and replayed
 * through the table function __tranche_replay(), registered once per
 * database, in `SELECT c0::VARCHAR, ... FROM __tranche_replay()`: so every
 * value, of every type (TIMESTAMPTZ in the session time zone, DECIMAL, LIST,
 * STRUCT, ...), is rendered by DuckDB's own CAST(x AS VARCHAR), for SELECTs and
 * for SHOW, PRAGMA, CALL or INSERT ... RETURNING alike. The table function
 * finds the chunks through the calling connection's id; called by anyone
 * else it fails.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <duckdb.h>

#include "tranche/warehouse.h"
#include "warehouse/warehouse_impl.h"

#define REPLAY_FUNCTION "__tranche_replay"
#define TEMP_PREFIX "__tranche_load_"
#define FILE_PARAM "tranche_file"
#define LOCK_MESSAGE "Could not set lock on file"

/* Chunks of one result, kept to be rendered as text by __tranche_replay(). */
struct replay {
	idx_t ncols;
	duckdb_logical_type *types; /* ncols, owned */
	duckdb_data_chunk *chunks;  /* owned */
	size_t nchunks, cap;
	idx_t nrows;
};

struct duck_conn;

struct duck_warehouse {
	struct tr_warehouse base; /* first: the front's tr_warehouse * points here */
	duckdb_database db;
	char *path;  /* the file, "" in memory */
	char *shown; /* as the user wrote it, for messages */
	pthread_mutex_t lock; /* guards conns and each conn's replay */
	struct duck_conn *conns;
};

struct duck_conn {
	struct tr_wconn base; /* first */
	struct duck_warehouse *wh;
	duckdb_connection conn;
	idx_t id;                 /* DuckDB's connection id: how __tranche_replay finds us */
	struct replay *replay;    /* set while a replay query runs */
	atomic_int interrupted;   /* tr_wconn_interrupt was called during this operation */
	duckdb_error_type failure; /* of the last statement that failed */
	unsigned long temp_seq;   /* for unique temp table names */
	struct duck_conn *next;
};

static const struct tr_warehouse_ops duck_ops;

static struct duck_conn *to_conn(tr_wconn *c)
{
	return (struct duck_conn *)c;
}

/* ---- errors -------------------------------------------------------------- */

/* Appends s[0..n) with every run of whitespace turned into one space, trimmed. */
static void add_collapsed(tr_buf *out, const char *s, size_t n)
{
	size_t i = 0;
	int space = 0, any = 0;

	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r') {
			space = 1;
			continue;
		}
		if (space && any)
			tr_buf_addc(out, ' ');
		space = 0;
		any = 1;
		tr_buf_addc(out, ch);
	}
}

/*
 * DuckDB's message on one line. DuckDB writes "Error: what\n\nLINE 2: text\n
 *     ^" (the block sometimes twice); that becomes "Error: what (at "tok" in
 * LINE 1: text)", the line number less line_offset, the lines this file put
 * before the caller's SQL.
 */
static void compact_message(tr_buf *out, const char *msg, int line_offset)
{
	const char *line = strstr(msg, "\nLINE ");
	const char *text = NULL, *text_end = NULL, *caret = NULL;
	char *num_end = NULL;
	long number = 0;

	add_collapsed(out, msg, line ? (size_t)(line - msg) : strlen(msg));
	if (!line)
		return;
	line++;
	number = strtol(line + 5, &num_end, 10);
	if (num_end == line + 5 || *num_end != ':') {
		tr_buf_addc(out, ' ');
		add_collapsed(out, line, strlen(line));
		return;
	}
	text = num_end + 1;
	if (*text == ' ')
		text++;
	text_end = text + strcspn(text, "\n");
	if (*text_end == '\n') {
		const char *caret_line = text_end + 1;
		size_t len = strcspn(caret_line, "\n");
		const char *hat = memchr(caret_line, '^', len);

		/* the caret's column counts from the start of "LINE n: " */
		if (hat && (size_t)(hat - caret_line) >= (size_t)(text - line) &&
		    (size_t)(hat - caret_line) - (size_t)(text - line) < (size_t)(text_end - text))
			caret = text + ((hat - caret_line) - (text - line));
	}
	number -= line_offset;
	if (number < 1)
		number = 1;
	tr_buf_adds(out, " (");
	/* DuckDB's caret can be off for one of several statements: show only a token start */
	if (caret && caret > text && (isalnum((unsigned char)caret[-1]) || caret[-1] == '_'))
		caret = NULL;
	if (caret && *caret != ' ') {
		size_t tok = strcspn(caret, " \n\t");

		tr_buf_addf(out, "at \"%.*s\" in ", (int)(tok > 40 ? 40 : tok), caret);
	}
	tr_buf_addf(out, "LINE %ld: ", number);
	add_collapsed(out, text, (size_t)(text_end - text));
	tr_buf_addc(out, ')');
}

/* The TR_E* code for a failed statement. */
static int code_for_type(duckdb_error_type type)
{
	switch (type) {
	case DUCKDB_ERROR_PARSER:
	case DUCKDB_ERROR_SYNTAX:
	case DUCKDB_ERROR_BINDER:
	case DUCKDB_ERROR_CATALOG:
	case DUCKDB_ERROR_PARAMETER_NOT_RESOLVED:
	case DUCKDB_ERROR_PARAMETER_NOT_ALLOWED:
	case DUCKDB_ERROR_NOT_IMPLEMENTED:
	case DUCKDB_ERROR_MISSING_EXTENSION:
		return TR_EINVAL; /* the SQL text is wrong */
	case DUCKDB_ERROR_OUT_OF_MEMORY:
		return TR_ENOMEM;
	default:
		return TR_EIO; /* the data, the file, a conflict, an interrupt */
	}
}

/* The same for a failed prepare, which reports only a message. */
static int code_for_message(const char *msg)
{
	static const struct {
		const char *prefix;
		int code;
	} kinds[] = {
		{"Out of Memory Error", TR_ENOMEM}, {"IO Error", TR_EIO},
		{"TransactionContext Error", TR_EIO}, {"INTERRUPT Error", TR_EIO},
	};
	size_t i = 0;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strncmp(msg, kinds[i].prefix, strlen(kinds[i].prefix)) == 0)
			return kinds[i].code;
	return TR_EINVAL;
}

static int fail_duck(tr_error *err, int code, const char *ctx, const char *msg, int line_offset)
{
	tr_buf text = TR_BUF_INIT;

	compact_message(&text, msg ? msg : "unknown DuckDB error", line_offset);
	tr_error_set(err, code, "%s: %s", ctx, tr_buf_str(&text));
	tr_buf_release(&text);
	return code;
}

static int fail_interrupted(tr_error *err, const char *ctx)
{
	return tr_error_set(err, TR_EIO, "%s: interrupted", ctx);
}

static int fail_nomem(tr_error *err, const char *ctx)
{
	return tr_error_set(err, TR_ENOMEM, "%s: out of memory", ctx);
}

/* ---- type names ---------------------------------------------------------- */

static int is_simple_name(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static void add_field_name(tr_buf *out, const char *name, int quote_all)
{
	if (!quote_all && is_simple_name(name)) {
		tr_buf_adds(out, name);
		return;
	}
	tr_buf_addc(out, '"');
	for (; *name; name++) {
		if (*name == '"')
			tr_buf_addc(out, '"');
		tr_buf_addc(out, *name);
	}
	tr_buf_addc(out, '"');
}

/*
 * Appends the name DuckDB gives type ("DECIMAL(18,2)", "VARCHAR[]",
 * "STRUCT(a INTEGER, b VARCHAR)", "TIMESTAMP WITH TIME ZONE"), as typeof()
 * writes it. quote_all quotes every field name, for SQL text.
 */
static void add_type_name(tr_buf *out, duckdb_logical_type type, int quote_all)
{
	static const char *const simple[] = {
		[DUCKDB_TYPE_BOOLEAN] = "BOOLEAN",       [DUCKDB_TYPE_TINYINT] = "TINYINT",
		[DUCKDB_TYPE_SMALLINT] = "SMALLINT",     [DUCKDB_TYPE_INTEGER] = "INTEGER",
		[DUCKDB_TYPE_BIGINT] = "BIGINT",         [DUCKDB_TYPE_UTINYINT] = "UTINYINT",
		[DUCKDB_TYPE_USMALLINT] = "USMALLINT",   [DUCKDB_TYPE_UINTEGER] = "UINTEGER",
		[DUCKDB_TYPE_UBIGINT] = "UBIGINT",       [DUCKDB_TYPE_FLOAT] = "FLOAT",
		[DUCKDB_TYPE_DOUBLE] = "DOUBLE",         [DUCKDB_TYPE_TIMESTAMP] = "TIMESTAMP",
		[DUCKDB_TYPE_DATE] = "DATE",             [DUCKDB_TYPE_TIME] = "TIME",
		[DUCKDB_TYPE_INTERVAL] = "INTERVAL",     [DUCKDB_TYPE_HUGEINT] = "HUGEINT",
		[DUCKDB_TYPE_UHUGEINT] = "UHUGEINT",     [DUCKDB_TYPE_VARCHAR] = "VARCHAR",
		[DUCKDB_TYPE_BLOB] = "BLOB",             [DUCKDB_TYPE_TIMESTAMP_S] = "TIMESTAMP_S",
		[DUCKDB_TYPE_TIMESTAMP_MS] = "TIMESTAMP_MS",
		[DUCKDB_TYPE_TIMESTAMP_NS] = "TIMESTAMP_NS",
		[DUCKDB_TYPE_UUID] = "UUID",             [DUCKDB_TYPE_BIT] = "BIT",
		[DUCKDB_TYPE_TIME_TZ] = "TIME WITH TIME ZONE",
		[DUCKDB_TYPE_TIMESTAMP_TZ] = "TIMESTAMP WITH TIME ZONE",
		[DUCKDB_TYPE_ANY] = "ANY",               [DUCKDB_TYPE_BIGNUM] = "BIGNUM",
		[DUCKDB_TYPE_SQLNULL] = "\"NULL\"",      [DUCKDB_TYPE_TIME_NS] = "TIME_NS",
	};
	char *alias = duckdb_logical_type_get_alias(type);
	duckdb_type id = duckdb_get_type_id(type);
	duckdb_logical_type child = NULL, child2 = NULL;
	idx_t i = 0, n = 0;

	if (alias) { /* JSON, or a type made with CREATE TYPE */
		tr_buf_adds(out, alias);
		duckdb_free(alias);
		return;
	}
	switch (id) {
	case DUCKDB_TYPE_DECIMAL:
		tr_buf_addf(out, "DECIMAL(%u,%u)", (unsigned)duckdb_decimal_width(type),
			    (unsigned)duckdb_decimal_scale(type));
		break;
	case DUCKDB_TYPE_ENUM:
		tr_buf_adds(out, "ENUM(");
		n = duckdb_enum_dictionary_size(type);
		for (i = 0; i < n; i++) {
			char *value = duckdb_enum_dictionary_value(type, i);
			const char *p = value;

			tr_buf_adds(out, i ? ", '" : "'");
			for (; p && *p; p++) {
				if (*p == '\'')
					tr_buf_addc(out, '\'');
				tr_buf_addc(out, *p);
			}
			tr_buf_addc(out, '\'');
			duckdb_free(value);
		}
		tr_buf_addc(out, ')');
		break;
	case DUCKDB_TYPE_LIST:
		child = duckdb_list_type_child_type(type);
		add_type_name(out, child, quote_all);
		tr_buf_adds(out, "[]");
		break;
	case DUCKDB_TYPE_ARRAY:
		child = duckdb_array_type_child_type(type);
		add_type_name(out, child, quote_all);
		tr_buf_addf(out, "[%llu]", (unsigned long long)duckdb_array_type_array_size(type));
		break;
	case DUCKDB_TYPE_MAP:
		child = duckdb_map_type_key_type(type);
		child2 = duckdb_map_type_value_type(type);
		tr_buf_adds(out, "MAP(");
		add_type_name(out, child, quote_all);
		tr_buf_adds(out, ", ");
		add_type_name(out, child2, quote_all);
		tr_buf_addc(out, ')');
		break;
	case DUCKDB_TYPE_STRUCT:
	case DUCKDB_TYPE_UNION:
		n = id == DUCKDB_TYPE_STRUCT ? duckdb_struct_type_child_count(type)
					     : duckdb_union_type_member_count(type);
		tr_buf_adds(out, id == DUCKDB_TYPE_STRUCT ? "STRUCT(" : "UNION(");
		for (i = 0; i < n; i++) {
			char *name = id == DUCKDB_TYPE_STRUCT ? duckdb_struct_type_child_name(type, i)
							      : duckdb_union_type_member_name(type, i);
			duckdb_logical_type member = id == DUCKDB_TYPE_STRUCT
							     ? duckdb_struct_type_child_type(type, i)
							     : duckdb_union_type_member_type(type, i);

			if (i)
				tr_buf_adds(out, ", ");
			add_field_name(out, name ? name : "", quote_all);
			tr_buf_addc(out, ' ');
			add_type_name(out, member, quote_all);
			duckdb_free(name);
			duckdb_destroy_logical_type(&member);
		}
		tr_buf_addc(out, ')');
		break;
	default:
		if ((size_t)id < sizeof(simple) / sizeof(simple[0]) && simple[id])
			tr_buf_adds(out, simple[id]);
		else
			tr_buf_addf(out, "UNKNOWN(%d)", (int)id);
	}
	if (child)
		duckdb_destroy_logical_type(&child);
	if (child2)
		duckdb_destroy_logical_type(&child2);
}

static char *type_name(duckdb_logical_type type, int quote_all)
{
	tr_buf b = TR_BUF_INIT;

	add_type_name(&b, type, quote_all);
	if (tr_buf_failed(&b)) {
		tr_buf_release(&b);
		return NULL;
	}
	return tr_buf_detach(&b, NULL);
}

static int type_is_numeric(duckdb_logical_type type)
{
	switch (duckdb_get_type_id(type)) {
	case DUCKDB_TYPE_TINYINT:
	case DUCKDB_TYPE_SMALLINT:
	case DUCKDB_TYPE_INTEGER:
	case DUCKDB_TYPE_BIGINT:
	case DUCKDB_TYPE_HUGEINT:
	case DUCKDB_TYPE_UTINYINT:
	case DUCKDB_TYPE_USMALLINT:
	case DUCKDB_TYPE_UINTEGER:
	case DUCKDB_TYPE_UBIGINT:
	case DUCKDB_TYPE_UHUGEINT:
	case DUCKDB_TYPE_FLOAT:
	case DUCKDB_TYPE_DOUBLE:
	case DUCKDB_TYPE_DECIMAL:
	case DUCKDB_TYPE_BIGNUM:
		return 1;
	default:
		return 0;
	}
}

/* ---- the replay table function ------------------------------------------- */

static void replay_release(struct replay *r)
{
	size_t i = 0;

	for (i = 0; i < r->nchunks; i++)
		duckdb_destroy_data_chunk(&r->chunks[i]);
	for (i = 0; r->types && i < r->ncols; i++)
		duckdb_destroy_logical_type(&r->types[i]);
	free(r->chunks);
	free(r->types);
	memset(r, 0, sizeof(*r));
}

/* Takes chunk (destroyed on failure too). */
static int replay_add(struct replay *r, duckdb_data_chunk chunk)
{
	if (r->nchunks == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 4;
		duckdb_data_chunk *grown = realloc(r->chunks, cap * sizeof(*grown));

		if (!grown) {
			duckdb_destroy_data_chunk(&chunk);
			return -1;
		}
		r->chunks = grown;
		r->cap = cap;
	}
	r->nrows += duckdb_data_chunk_get_size(chunk);
	r->chunks[r->nchunks++] = chunk;
	return 0;
}

static void replay_bind(duckdb_bind_info info)
{
	struct duck_warehouse *wh = duckdb_bind_get_extra_info(info);
	struct replay *r = NULL;
	struct duck_conn *c = NULL;
	duckdb_client_context context = NULL;
	idx_t id = 0, i = 0;

	duckdb_table_function_get_client_context(info, &context);
	id = duckdb_client_context_get_connection_id(context);
	duckdb_destroy_client_context(&context);
	pthread_mutex_lock(&wh->lock);
	for (c = wh->conns; c; c = c->next)
		if (c->id == id) {
			r = c->replay;
			break;
		}
	pthread_mutex_unlock(&wh->lock);
	if (!r) {
		duckdb_bind_set_error(info, REPLAY_FUNCTION "() is internal to tranche");
		return;
	}
	for (i = 0; i < r->ncols; i++) {
		char name[32];

		snprintf(name, sizeof(name), "c%llu", (unsigned long long)i);
		duckdb_bind_add_result_column(info, name, r->types[i]);
	}
	duckdb_bind_set_cardinality(info, r->nrows, true);
	duckdb_bind_set_bind_data(info, r, NULL);
}

static void replay_init(duckdb_init_info info)
{
	size_t *next = calloc(1, sizeof(*next));

	if (!next) {
		duckdb_init_set_error(info, "out of memory");
		return;
	}
	duckdb_init_set_init_data(info, next, free);
	duckdb_init_set_max_threads(info, 1);
}

static void replay_scan(duckdb_function_info info, duckdb_data_chunk output)
{
	struct replay *r = duckdb_function_get_bind_data(info);
	size_t *next = duckdb_function_get_init_data(info);
	duckdb_data_chunk chunk = NULL;
	idx_t i = 0;

	if (*next >= r->nchunks) {
		duckdb_data_chunk_set_size(output, 0);
		return;
	}
	chunk = r->chunks[(*next)++];
	for (i = 0; i < r->ncols; i++)
		duckdb_vector_reference_vector(duckdb_data_chunk_get_vector(output, i),
					       duckdb_data_chunk_get_vector(chunk, i));
	duckdb_data_chunk_set_size(output, duckdb_data_chunk_get_size(chunk));
}

static int register_replay(struct duck_warehouse *wh, tr_error *err)
{
	duckdb_connection conn = NULL;
	duckdb_table_function fn = NULL;
	int rc = 0;

	if (duckdb_connect(wh->db, &conn) == DuckDBError)
		return tr_error_set(err, TR_EIO, "warehouse %s: cannot connect", wh->shown);
	fn = duckdb_create_table_function();
	duckdb_table_function_set_name(fn, REPLAY_FUNCTION);
	duckdb_table_function_set_extra_info(fn, wh, NULL);
	duckdb_table_function_set_bind(fn, replay_bind);
	duckdb_table_function_set_init(fn, replay_init);
	duckdb_table_function_set_function(fn, replay_scan);
	if (duckdb_register_table_function(conn, fn) == DuckDBError)
		rc = tr_error_set(err, TR_EINTERNAL,
				  "warehouse %s: cannot register " REPLAY_FUNCTION "()", wh->shown);
	duckdb_destroy_table_function(&fn);
	duckdb_disconnect(&conn);
	return rc;
}

/* ---- results as tables --------------------------------------------------- */

static int table_alloc(tr_table *t, idx_t ncols)
{
	t->ncols = ncols;
	t->names = calloc(ncols ? ncols : 1, sizeof(*t->names));
	t->types = calloc(ncols ? ncols : 1, sizeof(*t->types));
	t->numeric = calloc(ncols ? ncols : 1, sizeof(*t->numeric));
	return t->names && t->types && t->numeric ? 0 : -1;
}

/* Reads the VARCHAR result of the replay query into t->cells. */
static int read_text_cells(duckdb_result *res, tr_table *t)
{
	duckdb_data_chunk chunk = NULL;
	size_t row = 0;
	size_t ncells = t->nrows * t->ncols;

	t->cells = calloc(ncells > 0 ? ncells : 1, sizeof(*t->cells));
	if (!t->cells)
		return -1;
	while ((chunk = duckdb_fetch_chunk(*res)) != NULL) {
		idx_t n = duckdb_data_chunk_get_size(chunk), i = 0, col = 0;

		for (col = 0; col < t->ncols; col++) {
			duckdb_vector v = duckdb_data_chunk_get_vector(chunk, col);
			duckdb_string_t *data = duckdb_vector_get_data(v);
			uint64_t *validity = duckdb_vector_get_validity(v);

			for (i = 0; i < n && row + i < t->nrows; i++) {
				char **cell = &t->cells[(row + i) * t->ncols + col];

				if (validity && !duckdb_validity_row_is_valid(validity, i))
					continue;
				*cell = strndup(duckdb_string_t_data(&data[i]),
						duckdb_string_t_length(data[i]));
				if (!*cell) {
					duckdb_destroy_data_chunk(&chunk);
					return -1;
				}
			}
		}
		row += n;
		duckdb_destroy_data_chunk(&chunk);
	}
	return 0;
}

/* Renders the kept chunks as text through __tranche_replay(). */
static int replay_as_text(struct duck_conn *c, struct replay *r, tr_table *t, const char *ctx,
			  tr_error *err)
{
	tr_buf sql = TR_BUF_INIT;
	duckdb_result res;
	idx_t i = 0;
	int rc = 0;

	memset(&res, 0, sizeof(res));
	tr_buf_adds(&sql, "SELECT ");
	for (i = 0; i < r->ncols; i++)
		tr_buf_addf(&sql, "%sc%llu::VARCHAR", i ? ", " : "", (unsigned long long)i);
	tr_buf_adds(&sql, " FROM " REPLAY_FUNCTION "()");
	if (tr_buf_failed(&sql)) {
		rc = fail_nomem(err, ctx);
		goto out;
	}
	pthread_mutex_lock(&c->wh->lock);
	c->replay = r;
	pthread_mutex_unlock(&c->wh->lock);
	if (duckdb_query(c->conn, tr_buf_str(&sql), &res) == DuckDBError)
		rc = duckdb_result_error_type(&res) == DUCKDB_ERROR_INTERRUPT
			     ? fail_interrupted(err, ctx)
			     : fail_duck(err, code_for_type(duckdb_result_error_type(&res)), ctx,
					 duckdb_result_error(&res), 0);
	pthread_mutex_lock(&c->wh->lock);
	c->replay = NULL;
	pthread_mutex_unlock(&c->wh->lock);
	if (rc == 0 && read_text_cells(&res, t) != 0)
		rc = fail_nomem(err, ctx);
out:
	duckdb_destroy_result(&res);
	tr_buf_release(&sql);
	return rc;
}

/*
 * Turns res into *out: column names and types, and the first max_rows rows
 * as text. For a streaming result a runtime error may only show while
 * fetching: it is reported here.
 */
static int collect(struct duck_conn *c, duckdb_result *res, size_t max_rows, tr_table *out,
		   const char *ctx, int line_offset, tr_error *err)
{
	struct replay r;
	duckdb_data_chunk chunk = NULL;
	idx_t col = 0, ncols = 0;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	memset(out, 0, sizeof(*out));
	if (duckdb_result_return_type(*res) == DUCKDB_RESULT_TYPE_NOTHING)
		return 0;
	ncols = duckdb_column_count(res);
	r.types = calloc(ncols ? ncols : 1, sizeof(*r.types));
	if (table_alloc(out, ncols) != 0 || !r.types) {
		rc = fail_nomem(err, ctx);
		goto out;
	}
	r.ncols = ncols;
	for (col = 0; col < ncols; col++) {
		r.types[col] = duckdb_column_logical_type(res, col);
		out->names[col] = strdup(duckdb_column_name(res, col));
		out->types[col] = type_name(r.types[col], 0);
		out->numeric[col] = type_is_numeric(r.types[col]);
		if (!out->names[col] || !out->types[col]) {
			rc = fail_nomem(err, ctx);
			goto out;
		}
	}
	while ((chunk = duckdb_fetch_chunk(*res)) != NULL) {
		idx_t n = duckdb_data_chunk_get_size(chunk);

		if (n == 0) {
			duckdb_destroy_data_chunk(&chunk);
			continue;
		}
		if (r.nrows >= max_rows) {
			out->truncated = 1;
			duckdb_destroy_data_chunk(&chunk);
			break;
		}
		if (r.nrows + n > max_rows) {
			duckdb_data_chunk_set_size(chunk, max_rows - r.nrows);
			out->truncated = 1;
		}
		if (replay_add(&r, chunk) != 0) {
			rc = fail_nomem(err, ctx);
			goto out;
		}
		if (out->truncated)
			break;
	}
	if (!out->truncated && duckdb_result_error(res)) {
		rc = duckdb_result_error_type(res) == DUCKDB_ERROR_INTERRUPT
			     ? fail_interrupted(err, ctx)
			     : fail_duck(err, code_for_type(duckdb_result_error_type(res)), ctx,
					 duckdb_result_error(res), line_offset);
		goto out;
	}
	out->nrows = r.nrows;
	if (r.nrows > 0)
		rc = replay_as_text(c, &r, out, ctx, err);
out:
	replay_release(&r);
	if (rc != 0)
		tr_table_release(out);
	return rc;
}

/* ---- parameters ---------------------------------------------------------- */

static const tr_param *find_param(const tr_param *params, size_t n, const char *name)
{
	size_t i = 0;

	for (i = 0; i < n; i++)
		if (strcmp(params[i].name, name) == 0)
			return &params[i];
	return NULL;
}

static void add_available(tr_buf *out, const tr_param *params, size_t n)
{
	size_t i = 0;

	if (n == 0)
		tr_buf_adds(out, "none");
	for (i = 0; i < n; i++)
		tr_buf_addf(out, "%s$%s", i ? ", " : "", params[i].name);
}

static int bind_list(duckdb_prepared_statement st, idx_t index, const tr_param *p)
{
	duckdb_logical_type varchar = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
	duckdb_value *items = calloc(p->list_len ? p->list_len : 1, sizeof(*items));
	duckdb_value list = NULL;
	size_t i = 0;
	int rc = -1;

	if (!items)
		goto out;
	for (i = 0; i < p->list_len; i++)
		if (!(items[i] = duckdb_create_varchar(p->list[i] ? p->list[i] : "")))
			goto out;
	list = duckdb_create_list_value(varchar, items, p->list_len);
	if (list && duckdb_bind_value(st, index, list) == DuckDBSuccess)
		rc = 0;
out:
	for (i = 0; items && i < p->list_len; i++)
		if (items[i])
			duckdb_destroy_value(&items[i]);
	if (list)
		duckdb_destroy_value(&list);
	free(items);
	duckdb_destroy_logical_type(&varchar);
	return rc;
}

static int bind_one(duckdb_prepared_statement st, idx_t index, const tr_param *p)
{
	duckdb_timestamp ts;

	switch (p->type) {
	case TR_PARAM_TEXT:
		return (p->text ? duckdb_bind_varchar(st, index, p->text)
				: duckdb_bind_null(st, index)) == DuckDBSuccess ? 0 : -1;
	case TR_PARAM_TIMESTAMP:
		ts.micros = p->value;
		return duckdb_bind_timestamp(st, index, ts) == DuckDBSuccess ? 0 : -1;
	case TR_PARAM_BIGINT:
		return duckdb_bind_int64(st, index, p->value) == DuckDBSuccess ? 0 : -1;
	case TR_PARAM_TEXT_LIST:
		return bind_list(st, index, p);
	}
	return -1;
}

/* Binds, by name, every parameter st uses; a name params lacks is an error. */
static int bind_params(duckdb_prepared_statement st, const tr_param *params, size_t n,
		       const char *ctx, tr_error *err)
{
	idx_t count = duckdb_nparams(st), i = 0;
	int rc = 0;

	for (i = 1; i <= count && rc == 0; i++) {
		const char *name = duckdb_parameter_name(st, i);
		const tr_param *p = NULL;
		tr_buf avail = TR_BUF_INIT;

		if (!name)
			return tr_error_set(err, TR_EINTERNAL, "%s: parameter %llu has no name", ctx,
					    (unsigned long long)i);
		if (name[0] >= '0' && name[0] <= '9' && name[strspn(name, "0123456789")] == '\0') {
			add_available(&avail, params, n);
			rc = tr_error_set(err, TR_EINVAL,
					  "%s: SQL uses a positional parameter (? or $%s); tranche "
					  "binds parameters by name: write $name (available: %s)",
					  ctx, name, tr_buf_str(&avail));
		} else if (!(p = find_param(params, n, name))) {
			add_available(&avail, params, n);
			rc = tr_error_set(err, TR_EINVAL,
					  "%s: SQL uses $%s, which tranche does not provide "
					  "(available: %s)",
					  ctx, name, tr_buf_str(&avail));
		} else if (bind_one(st, i, p) != 0) {
			rc = tr_error_set(err, TR_EINVAL, "%s: cannot bind $%s: %s", ctx, name,
					  duckdb_prepare_error(st) ? duckdb_prepare_error(st)
								   : "DuckDB refused the value");
		}
		tr_buf_release(&avail);
		duckdb_free((void *)name);
	}
	return rc;
}

/* ---- running statements -------------------------------------------------- */

/*
 * Executes st (parameters already bound) into *res, which the caller always
 * destroys. The interrupt flag is read after DuckDB has started the query
 * (duckdb_pending_prepared): an interrupt that came before is passed on then,
 * one that comes after reaches the running query directly.
 */
static int execute(struct duck_conn *c, duckdb_prepared_statement st, int streaming,
		   duckdb_result *res, const char *ctx, int line_offset, tr_error *err)
{
	duckdb_pending_result pending = NULL;
	duckdb_state state;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	if (atomic_load(&c->interrupted))
		return fail_interrupted(err, ctx);
	state = streaming ? duckdb_pending_prepared_streaming(st, &pending)
			  : duckdb_pending_prepared(st, &pending);
	if (state == DuckDBError) {
		const char *msg = duckdb_pending_error(pending);

		c->failure = DUCKDB_ERROR_INVALID;
		rc = fail_duck(err, msg ? code_for_message(msg) : TR_EIO, ctx, msg, line_offset);
		goto out;
	}
	if (atomic_load(&c->interrupted))
		duckdb_interrupt(c->conn);
	if (duckdb_execute_pending(pending, res) == DuckDBError) {
		c->failure = duckdb_result_error_type(res);
		rc = duckdb_result_error_type(res) == DUCKDB_ERROR_INTERRUPT
			     ? fail_interrupted(err, ctx)
			     : fail_duck(err, code_for_type(duckdb_result_error_type(res)), ctx,
					 duckdb_result_error(res), line_offset);
	}
out:
	duckdb_destroy_pending(&pending);
	return rc;
}

/* Prepares one statement of the caller's or this file's SQL, binds params. */
static int prepare(struct duck_conn *c, const char *sql, const tr_param *params, size_t n,
		   duckdb_prepared_statement *st, const char *ctx, int line_offset, tr_error *err)
{
	if (duckdb_prepare(c->conn, sql, st) == DuckDBError) {
		const char *msg = duckdb_prepare_error(*st);

		return fail_duck(err, msg ? code_for_message(msg) : TR_EIO, ctx, msg, line_offset);
	}
	return bind_params(*st, params, n, ctx, err);
}

/*
 * Runs one statement. With out, its rows (at most max_rows) become a table;
 * without, they are discarded. changed (may be NULL) gets the rows changed.
 */
static int run(struct duck_conn *c, const char *sql, const tr_param *params, size_t n,
	       size_t max_rows, tr_table *out, int64_t *changed, const char *ctx, int line_offset,
	       tr_error *err)
{
	duckdb_prepared_statement st = NULL;
	duckdb_result res;
	int rc = 0;

	memset(&res, 0, sizeof(res));
	if ((rc = prepare(c, sql, params, n, &st, ctx, line_offset, err)) != 0)
		goto out;
	if ((rc = execute(c, st, out != NULL, &res, ctx, line_offset, err)) != 0)
		goto out;
	if (changed)
		*changed = (int64_t)duckdb_rows_changed(&res);
	if (out)
		rc = collect(c, &res, max_rows, out, ctx, line_offset, err);
out:
	duckdb_destroy_result(&res);
	duckdb_destroy_prepare(&st);
	return rc;
}

/* Runs a statement whose first row holds count integers (BIGINT). */
static int run_ints(struct duck_conn *c, const char *sql, const tr_param *params, size_t n,
		    int64_t *values, idx_t count, const char *ctx, int line_offset, tr_error *err)
{
	duckdb_prepared_statement st = NULL;
	duckdb_data_chunk chunk = NULL;
	duckdb_result res;
	idx_t i = 0;
	int rc = 0;

	memset(&res, 0, sizeof(res));
	if ((rc = prepare(c, sql, params, n, &st, ctx, line_offset, err)) != 0 ||
	    (rc = execute(c, st, 0, &res, ctx, line_offset, err)) != 0)
		goto out;
	chunk = duckdb_fetch_chunk(res);
	if (!chunk || duckdb_data_chunk_get_size(chunk) < 1 ||
	    duckdb_data_chunk_get_column_count(chunk) < count) {
		rc = tr_error_set(err, TR_EINTERNAL, "%s: no row from %s", ctx, sql);
		goto out;
	}
	for (i = 0; i < count; i++) {
		duckdb_vector v = duckdb_data_chunk_get_vector(chunk, i);
		uint64_t *validity = duckdb_vector_get_validity(v);

		values[i] = validity && !duckdb_validity_row_is_valid(validity, 0)
				    ? 0
				    : ((int64_t *)duckdb_vector_get_data(v))[0];
	}
out:
	if (chunk)
		duckdb_destroy_data_chunk(&chunk);
	duckdb_destroy_result(&res);
	duckdb_destroy_prepare(&st);
	return rc;
}

static int is_transaction_statement(duckdb_prepared_statement st)
{
	return duckdb_prepared_statement_type(st) == DUCKDB_STATEMENT_TYPE_TRANSACTION;
}

/*
 * Runs the caller's SQL, one or several statements, each prepared just
 * before it runs (a statement may use a table the one before created). The
 * last one's rows go to out (may be NULL). in_transaction: the statements run
 * inside tranche's transaction, which they may not end.
 */
static int run_statements(struct duck_conn *c, const char *sql, const tr_param *params, size_t n,
			  size_t max_rows, tr_table *out, int in_transaction, const char *what,
			  tr_error *err)
{
	duckdb_extracted_statements extracted = NULL;
	duckdb_prepared_statement st = NULL;
	duckdb_result res;
	idx_t count = 0, i = 0;
	char ctx[256];
	int rc = 0;

	memset(&res, 0, sizeof(res));
	count = duckdb_extract_statements(c->conn, sql, &extracted);
	if (count == 0) {
		const char *msg = duckdb_extract_statements_error(extracted);

		rc = msg ? fail_duck(err, TR_EINVAL, what, msg, 0)
			 : tr_error_set(err, TR_EINVAL, "%s: the SQL has no statement", what);
		goto out;
	}
	for (i = 0; i < count && rc == 0; i++) {
		int last = i + 1 == count;

		if (count > 1)
			snprintf(ctx, sizeof(ctx), "%s, statement %llu of %llu", what,
				 (unsigned long long)i + 1, (unsigned long long)count);
		else
			snprintf(ctx, sizeof(ctx), "%s", what);
		if (duckdb_prepare_extracted_statement(c->conn, extracted, i, &st) == DuckDBError) {
			const char *msg = duckdb_prepare_error(st);

			rc = fail_duck(err, msg ? code_for_message(msg) : TR_EIO, ctx, msg, 0);
		} else if (in_transaction && is_transaction_statement(st)) {
			rc = tr_error_set(err, TR_EINVAL,
					  "%s: BEGIN, COMMIT and ROLLBACK are not allowed here: "
					  "tranche runs the statements in its own transaction",
					  ctx);
		} else if ((rc = bind_params(st, params, n, ctx, err)) == 0) {
			int streaming = last && out &&
					duckdb_prepared_statement_type(st) == DUCKDB_STATEMENT_TYPE_SELECT;

			rc = execute(c, st, streaming, &res, ctx, 0, err);
			if (rc == 0 && last && out)
				rc = collect(c, &res, max_rows, out, ctx, 0, err);
			duckdb_destroy_result(&res);
		}
		duckdb_destroy_prepare(&st);
	}
out:
	duckdb_destroy_extracted(&extracted);
	return rc;
}

/* The LIMIT for keeping rows rows: one more, so that truncated can be told. */
static size_t limit_for(size_t rows)
{
	return rows < SIZE_MAX ? rows + 1 : rows;
}

/* ---- transactions -------------------------------------------------------- */

static int begin(struct duck_conn *c, tr_error *err)
{
	return run(c, "BEGIN TRANSACTION", NULL, 0, 0, NULL, NULL, "starting a transaction", 0,
		   err);
}

static int commit(struct duck_conn *c, tr_error *err)
{
	return run(c, "COMMIT", NULL, 0, 0, NULL, NULL, "committing", 0, err);
}

/*
 * Not interruptible by tranche's flag (it runs after an interrupt); retried
 * when another thread's duckdb_interrupt lands on it. "No transaction is
 * active" is fine: nothing to undo.
 */
static void rollback(struct duck_conn *c)
{
	int attempt = 0;

	for (attempt = 0; attempt < 3; attempt++) {
		duckdb_result res;
		int interrupted = 0;

		if (duckdb_query(c->conn, "ROLLBACK", &res) == DuckDBError)
			interrupted = duckdb_result_error_type(&res) == DUCKDB_ERROR_INTERRUPT;
		duckdb_destroy_result(&res);
		if (!interrupted)
			return;
	}
}

/* ---- opening and connections --------------------------------------------- */

static void duck_close(tr_warehouse *base)
{
	struct duck_warehouse *wh = (struct duck_warehouse *)base;

	duckdb_close(&wh->db);
	pthread_mutex_destroy(&wh->lock);
	free(wh->path);
	free(wh->shown);
	free(wh);
}

/* The message for a file another process holds, naming that process. */
static int fail_locked(const char *shown, const char *msg, tr_error *err)
{
	const char *pid = strstr(msg, "(PID ");
	long number = pid ? strtol(pid + 5, NULL, 10) : 0;

	if (number > 0)
		return tr_error_set(err, TR_EIO,
				    "warehouse %s is in use by another process (PID %ld): only one "
				    "tranche process can write a DuckDB warehouse at a time",
				    shown, number);
	return tr_error_set(err, TR_EIO,
			    "warehouse %s is in use by another process: only one tranche "
			    "process can write a DuckDB warehouse at a time",
			    shown);
}

int tr_warehouse_duckdb_open(const char *shown, const char *path, tr_warehouse **out,
			     tr_error *err)
{
	struct duck_warehouse *wh = calloc(1, sizeof(*wh));
	duckdb_config config = NULL;
	char *open_error = NULL;
	int rc = 0;

	*out = NULL;
	if (!wh || !(wh->path = strdup(path ? path : "")) || !(wh->shown = strdup(shown))) {
		rc = tr_error_set(err, TR_ENOMEM, "warehouse %s: out of memory", shown);
		goto fail;
	}
	wh->base.ops = &duck_ops;
	wh->base.path = wh->path;
	if (duckdb_create_config(&config) == DuckDBError ||
	    duckdb_set_config(config, "autoinstall_known_extensions", "false") == DuckDBError) {
		rc = tr_error_set(err, TR_EINTERNAL, "warehouse %s: cannot configure DuckDB", shown);
		goto fail;
	}
	if (duckdb_open_ext(path, &wh->db, config, &open_error) == DuckDBError) {
		const char *msg = open_error ? open_error : "unknown error";
		char ctx[TR_ERROR_MSG_MAX / 2];

		wh->db = NULL;
		snprintf(ctx, sizeof(ctx), "opening warehouse %s", shown);
		rc = strstr(msg, LOCK_MESSAGE)
			     ? fail_locked(shown, msg, err)
			     : fail_duck(err, code_for_message(msg) == TR_ENOMEM ? TR_ENOMEM : TR_EIO,
					 ctx, msg, 0);
		goto fail;
	}
	pthread_mutex_init(&wh->lock, NULL);
	if ((rc = register_replay(wh, err)) != 0) {
		duck_close(&wh->base);
		wh = NULL;
		goto fail;
	}
	duckdb_destroy_config(&config);
	*out = &wh->base;
	return 0;
fail:
	if (open_error)
		duckdb_free(open_error);
	if (config)
		duckdb_destroy_config(&config);
	if (wh) {
		if (wh->db)
			duckdb_close(&wh->db);
		free(wh->path);
		free(wh->shown);
		free(wh);
	}
	return rc;
}

static int duck_connect(tr_warehouse *base, tr_wconn **out, tr_error *err)
{
	struct duck_warehouse *wh = (struct duck_warehouse *)base;
	struct duck_conn *c = calloc(1, sizeof(*c));
	duckdb_client_context context = NULL;

	if (!c)
		return tr_error_set(err, TR_ENOMEM, "warehouse %s: out of memory", wh->shown);
	if (duckdb_connect(wh->db, &c->conn) == DuckDBError) {
		free(c);
		return tr_error_set(err, TR_EIO, "warehouse %s: cannot connect", wh->shown);
	}
	c->base.ops = &duck_ops;
	c->wh = wh;
	atomic_init(&c->interrupted, 0);
	duckdb_connection_get_client_context(c->conn, &context);
	c->id = duckdb_client_context_get_connection_id(context);
	duckdb_destroy_client_context(&context);
	pthread_mutex_lock(&wh->lock);
	c->next = wh->conns;
	wh->conns = c;
	pthread_mutex_unlock(&wh->lock);
	*out = &c->base;
	return 0;
}

static void duck_conn_close(tr_wconn *base)
{
	struct duck_conn *c = to_conn(base);
	struct duck_conn **p = NULL;

	pthread_mutex_lock(&c->wh->lock);
	for (p = &c->wh->conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	pthread_mutex_unlock(&c->wh->lock);
	duckdb_disconnect(&c->conn);
	free(c);
}

static void duck_interrupt(tr_wconn *base)
{
	struct duck_conn *c = to_conn(base);

	atomic_store(&c->interrupted, 1);
	duckdb_interrupt(c->conn);
}

/* Every operation starts here: an interrupt concerns the operation it came during. */
static void operation_start(struct duck_conn *c)
{
	atomic_store(&c->interrupted, 0);
}

/* ---- queries ------------------------------------------------------------- */

static int duck_query(tr_wconn *base, const char *sql, const tr_param *params, size_t n,
		      size_t max_rows, tr_table *out, tr_error *err)
{
	struct duck_conn *c = to_conn(base);

	operation_start(c);
	return run_statements(c, sql, params, n, max_rows, out, 0, "running the query", err);
}

/* Splits "a", "s.a" or "d.s.a" (at most three parts). */
struct table_ref {
	char buf[3][256];
	const char *database, *schema, *name; /* NULL when absent */
};

static int split_table(const char *table, struct table_ref *ref, tr_error *err)
{
	const char *parts[3] = {NULL, NULL, NULL};
	const char *p = table;
	int n = 0;

	memset(ref, 0, sizeof(*ref));
	while (n < 3) {
		size_t len = strcspn(p, ".");

		if (len == 0 || len >= sizeof(ref->buf[0]))
			break;
		memcpy(ref->buf[n], p, len);
		parts[n] = ref->buf[n];
		n++;
		p += len;
		if (*p != '.') {
			p = NULL;
			break;
		}
		p++;
	}
	if (p || n == 0)
		return tr_error_set(err, TR_EINVAL,
				    "table name \"%s\" is not of the form name, schema.name or "
				    "database.schema.name",
				    table);
	ref->name = parts[n - 1];
	ref->schema = n >= 2 ? parts[n - 2] : NULL;
	ref->database = n == 3 ? parts[0] : NULL;
	return 0;
}

/* 1 if table exists in the warehouse's database (temp tables are not looked at). */
static int exists(struct duck_conn *c, const char *table, tr_error *err)
{
	struct table_ref ref;
	tr_param params[3];
	tr_buf sql = TR_BUF_INIT;
	int64_t count = 0;
	size_t n = 0;
	int rc = 0;

	if ((rc = split_table(table, &ref, err)) != 0)
		return rc;
	memset(params, 0, sizeof(params));
	tr_buf_adds(&sql, "SELECT count(*)::BIGINT FROM duckdb_tables() WHERE NOT temporary");
	params[n++] = (tr_param){.name = "name", .type = TR_PARAM_TEXT, .text = ref.name};
	tr_buf_adds(&sql, " AND lower(table_name) = lower($name)");
	if (ref.schema) {
		params[n++] = (tr_param){.name = "schema", .type = TR_PARAM_TEXT, .text = ref.schema};
		tr_buf_adds(&sql, " AND lower(schema_name) = lower($schema)");
	} else {
		tr_buf_adds(&sql, " AND schema_name = current_schema()");
	}
	if (ref.database) {
		params[n++] = (tr_param){.name = "database", .type = TR_PARAM_TEXT,
					 .text = ref.database};
		tr_buf_adds(&sql, " AND lower(database_name) = lower($database)");
	} else {
		tr_buf_adds(&sql, " AND database_name = current_database()");
	}
	if (tr_buf_failed(&sql))
		rc = fail_nomem(err, "looking for the table");
	else
		rc = run_ints(c, tr_buf_str(&sql), params, n, &count, 1, "looking for the table", 0,
			      err);
	tr_buf_release(&sql);
	return rc != 0 ? rc : count > 0;
}

static int duck_table_exists(tr_wconn *base, const char *table, tr_error *err)
{
	struct duck_conn *c = to_conn(base);
	int rc = 0;

	operation_start(c);
	rc = exists(c, table, err);
	if (rc < 0)
		tr_error_prefix(err, "table %s", table);
	return rc;
}

/* ---- loads --------------------------------------------------------------- */

/* Columns of a table, by name and DuckDB type name. */
struct columns {
	size_t n;
	char **names;
	char **types;     /* as typeof() writes them, for comparing and messages */
	char **sql_types; /* the same with every field name quoted, for ALTER TABLE */
};

static void columns_release(struct columns *cols)
{
	size_t i = 0;

	for (i = 0; i < cols->n; i++) {
		free(cols->names[i]);
		free(cols->types[i]);
		free(cols->sql_types[i]);
	}
	free(cols->names);
	free(cols->types);
	free(cols->sql_types);
	memset(cols, 0, sizeof(*cols));
}

/* The columns of relation (quoted SQL name), as the binder sees them. */
static int read_columns(struct duck_conn *c, const char *relation, struct columns *cols,
			const char *ctx, tr_error *err)
{
	duckdb_prepared_statement st = NULL;
	tr_buf sql = TR_BUF_INIT;
	size_t i = 0;
	int rc = 0;

	memset(cols, 0, sizeof(*cols));
	tr_buf_addf(&sql, "SELECT * FROM %s LIMIT 0", relation);
	if (tr_buf_failed(&sql)) {
		rc = fail_nomem(err, ctx);
		goto out;
	}
	if ((rc = prepare(c, tr_buf_str(&sql), NULL, 0, &st, ctx, 0, err)) != 0)
		goto out;
	cols->n = duckdb_prepared_statement_column_count(st);
	cols->names = calloc(cols->n ? cols->n : 1, sizeof(char *));
	cols->types = calloc(cols->n ? cols->n : 1, sizeof(char *));
	cols->sql_types = calloc(cols->n ? cols->n : 1, sizeof(char *));
	if (!cols->names || !cols->types || !cols->sql_types) {
		free(cols->names);
		free(cols->types);
		free(cols->sql_types);
		memset(cols, 0, sizeof(*cols));
		rc = fail_nomem(err, ctx);
		goto out;
	}
	for (i = 0; i < cols->n; i++) {
		duckdb_logical_type type = duckdb_prepared_statement_column_logical_type(st, i);
		const char *name = duckdb_prepared_statement_column_name(st, i);

		cols->names[i] = name ? strdup(name) : NULL;
		duckdb_free((void *)name);
		cols->types[i] = type_name(type, 0);
		cols->sql_types[i] = type_name(type, 1);
		duckdb_destroy_logical_type(&type);
		if (!cols->names[i] || !cols->types[i] || !cols->sql_types[i]) {
			rc = fail_nomem(err, ctx);
			goto out;
		}
	}
out:
	if (rc != 0)
		columns_release(cols);
	duckdb_destroy_prepare(&st);
	tr_buf_release(&sql);
	return rc;
}

/* Index of name in cols (DuckDB matches column names case-insensitively), or -1. */
static long column_index(const struct columns *cols, const char *name)
{
	size_t i = 0;

	for (i = 0; i < cols->n; i++)
		if (strcasecmp(cols->names[i], name) == 0)
			return (long)i;
	return -1;
}

/*
 * Compares the new rows' columns with the table's. Only new columns and
 * add_columns: they are added. Any other difference is refused, listed.
 */
static int reconcile_columns(struct duck_conn *c, const char *table_sql, const char *temp_sql,
			     int add_columns, int *catalog_step, tr_error *err)
{
	struct columns have, want;
	tr_buf diff = TR_BUF_INIT;
	size_t i = 0, added = 0, other = 0;
	int rc = 0;

	memset(&have, 0, sizeof(have));
	memset(&want, 0, sizeof(want));
	if ((rc = read_columns(c, table_sql, &have, "reading the table's columns", err)) != 0 ||
	    (rc = read_columns(c, temp_sql, &want, "reading the new rows' columns", err)) != 0)
		goto out;
	for (i = 0; i < want.n; i++)
		if (column_index(&have, want.names[i]) < 0) {
			tr_buf_addf(&diff, "%sadded %s %s", diff.len ? "; " : "", want.names[i],
				    want.types[i]);
			added++;
		}
	for (i = 0; i < have.n; i++)
		if (column_index(&want, have.names[i]) < 0) {
			tr_buf_addf(&diff, "%sremoved %s", diff.len ? "; " : "", have.names[i]);
			other++;
		}
	for (i = 0; i < have.n; i++) {
		long j = column_index(&want, have.names[i]);

		if (j >= 0 && strcmp(have.types[i], want.types[j]) != 0) {
			tr_buf_addf(&diff, "%s%s %s -> %s", diff.len ? "; " : "", have.names[i],
				    have.types[i], want.types[j]);
			other++;
		}
	}
	if (added + other == 0)
		goto out;
	if (!add_columns || other > 0) {
		rc = tr_error_set(err, TR_EINVAL,
				  "columns changed: %s: set on_schema_change: add_columns to add new "
				  "columns, or wipe the asset to rebuild it%s",
				  tr_buf_str(&diff),
				  add_columns ? " (add_columns adds columns; it does not remove or "
						"retype them)"
					      : "");
		goto out;
	}
	for (i = 0; i < want.n && rc == 0; i++) {
		tr_buf sql = TR_BUF_INIT;

		char ctx[300];

		if (column_index(&have, want.names[i]) >= 0)
			continue;
		snprintf(ctx, sizeof(ctx), "adding column %s %s", want.names[i], want.types[i]);
		*catalog_step = 1;
		tr_buf_addf(&sql, "ALTER TABLE %s ADD COLUMN ", table_sql);
		tr_sql_quote_ident(&sql, want.names[i]);
		tr_buf_addf(&sql, " %s", want.sql_types[i]);
		rc = tr_buf_failed(&sql) ? fail_nomem(err, ctx)
					 : run(c, tr_buf_str(&sql), NULL, 0, 0, NULL, NULL, ctx, 0, err);
		tr_buf_release(&sql);
	}
	if (rc == 0)
		*catalog_step = 0;
out:
	tr_buf_release(&diff);
	columns_release(&have);
	columns_release(&want);
	return rc;
}

/* What one load is doing: the SQL names and texts built once. */
struct load_state {
	struct duck_conn *c;
	const tr_load *load;
	tr_load_result *result;
	tr_buf table;   /* the target, quoted */
	tr_buf temp;    /* the temp table, quoted */
	tr_buf sql;     /* scratch */
	int catalog_step; /* the statement running changes the catalog (CREATE, ALTER) */
};

/* "CREATE ... AS " + the rows of the source; line_offset: lines before the caller's SQL. */
static void add_source(struct load_state *s, tr_buf *sql, int *line_offset)
{
	static const struct {
		const char *format, *function;
	} readers[] = {{"csv", "read_csv"}, {"json", "read_json_auto"}, {"parquet", "read_parquet"}};
	size_t i = 0;

	*line_offset = 0;
	if (s->load->source != TR_LOAD_FILE) {
		/* own lines, so that a trailing "-- comment" in the query ends there */
		tr_buf_addf(sql, "\n%s\n", s->load->query);
		*line_offset = 1;
		return;
	}
	for (i = 0; i < sizeof(readers) / sizeof(readers[0]); i++)
		if (strcmp(s->load->file_format, readers[i].format) == 0)
			tr_buf_addf(sql, "SELECT * FROM %s($" FILE_PARAM ")", readers[i].function);
}

static const char *source_context(struct load_state *s, char *buf, size_t size)
{
	if (s->load->source == TR_LOAD_FILE)
		snprintf(buf, size, "reading %s as %s", s->load->file, s->load->file_format);
	else
		snprintf(buf, size, "running the query");
	return buf;
}

/* Runs text built in s->sql with the load's params (or the file's path). */
static int run_built(struct load_state *s, int for_source, int64_t *changed, const char *ctx,
		     int line_offset, tr_error *err)
{
	tr_param file = {.name = FILE_PARAM, .type = TR_PARAM_TEXT};

	if (tr_buf_failed(&s->sql))
		return fail_nomem(err, ctx);
	if (for_source && s->load->source == TR_LOAD_FILE) {
		/* Table functions take bound parameters: the path is not pasted into the SQL. */
		file.text = s->load->file;
		return run(s->c, tr_buf_str(&s->sql), &file, 1, 0, NULL, changed, ctx, 0, err);
	}
	return run(s->c, tr_buf_str(&s->sql), s->load->params, s->load->n_params, 0, NULL, changed,
		   ctx, line_offset, err);
}

static int count_rows(struct load_state *s, const char *slice, int64_t *count, const char *ctx,
		      tr_error *err)
{
	tr_buf_reset(&s->sql);
	tr_buf_addf(&s->sql, "SELECT count(*)::BIGINT FROM %s", tr_buf_str(&s->table));
	if (slice)
		tr_buf_addf(&s->sql, " WHERE (%s)", slice);
	if (tr_buf_failed(&s->sql))
		return fail_nomem(err, ctx);
	return run_ints(s->c, tr_buf_str(&s->sql), s->load->params, s->load->n_params, count, 1,
			ctx, 0, err);
}

/* The schema of a "schema.table" target, created if missing (as dbt does). */
static int ensure_schema(struct load_state *s, tr_error *err)
{
	struct table_ref ref;
	int rc = 0;

	if ((rc = split_table(s->load->table, &ref, err)) != 0 || !ref.schema)
		return rc;
	tr_buf_reset(&s->sql);
	tr_buf_adds(&s->sql, "CREATE SCHEMA IF NOT EXISTS ");
	if (ref.database) {
		tr_sql_quote_ident(&s->sql, ref.database);
		tr_buf_addc(&s->sql, '.');
	}
	tr_sql_quote_ident(&s->sql, ref.schema);
	s->catalog_step = 1;
	if ((rc = run_built(s, 0, NULL, "creating the schema", 0, err)) == 0)
		s->catalog_step = 0;
	return rc;
}

/* Preview and metadata, inside the load's transaction, after the write. */
static int describe_result(struct load_state *s, const char *slice, tr_error *err)
{
	tr_load_result *r = s->result;
	size_t i = 0;
	int rc = 0;

	if (s->load->preview_rows > 0) {
		tr_buf_reset(&s->sql);
		tr_buf_addf(&s->sql, "SELECT * FROM %s", tr_buf_str(&s->table));
		if (slice)
			tr_buf_addf(&s->sql, " WHERE (%s)", slice);
		/* one more than kept, so that preview.truncated says whether more exist */
		tr_buf_addf(&s->sql, " LIMIT %zu", limit_for(s->load->preview_rows));
		if (tr_buf_failed(&s->sql))
			return fail_nomem(err, "reading the preview");
		rc = run(s->c, tr_buf_str(&s->sql), s->load->params, s->load->n_params,
			 s->load->preview_rows, &r->preview, NULL, "reading the preview", 0, err);
		if (rc != 0)
			return rc;
	}
	if (s->load->n_metadata == 0)
		return 0;
	r->metadata = calloc(s->load->n_metadata, sizeof(*r->metadata));
	if (!r->metadata)
		return fail_nomem(err, "metadata");
	r->n_metadata = s->load->n_metadata;
	for (i = 0; i < s->load->n_metadata && rc == 0; i++) {
		char ctx[300];

		snprintf(ctx, sizeof(ctx), "metadata \"%s\"", s->load->metadata[i].name);
		rc = run_statements(s->c, s->load->metadata[i].sql, s->load->params,
				    s->load->n_params, TR_WAREHOUSE_METADATA_ROWS, &r->metadata[i], 1,
				    ctx, err);
	}
	return rc;
}

/* A query source is one statement: it becomes the body of CREATE ... AS. */
static int check_one_statement(struct load_state *s, tr_error *err)
{
	duckdb_extracted_statements extracted = NULL;
	idx_t count = 0;
	int rc = 0;

	if (s->load->source != TR_LOAD_QUERY)
		return 0;
	count = duckdb_extract_statements(s->c->conn, s->load->query, &extracted);
	if (count == 0 && duckdb_extract_statements_error(extracted))
		rc = fail_duck(err, TR_EINVAL, "running the query",
			       duckdb_extract_statements_error(extracted), 0);
	else if (count != 1)
		rc = tr_error_set(err, TR_EINVAL,
				  "the query has %llu statements; a query is one SELECT (a script "
				  "may have several)",
				  (unsigned long long)count);
	duckdb_destroy_extracted(&extracted);
	return rc;
}

/* The slice's rows are replaced by the source's; see tranche/warehouse.h. */
static int load_partitioned(struct load_state *s, tr_error *err)
{
	const tr_load *load = s->load;
	tr_load_result *r = s->result;
	int64_t counts[2] = {0, 0}; /* all new rows, those outside the slice */
	char ctx[300];
	int line_offset = 0, rc = 0;

	tr_buf_addf(&s->temp, "\"" TEMP_PREFIX "%lu\"", ++s->c->temp_seq);
	tr_buf_reset(&s->sql);
	tr_buf_addf(&s->sql, "CREATE TEMP TABLE %s AS ", tr_buf_str(&s->temp));
	add_source(s, &s->sql, &line_offset);
	if ((rc = run_built(s, 1, NULL, source_context(s, ctx, sizeof(ctx)), line_offset, err)) != 0)
		return rc;

	tr_buf_reset(&s->sql);
	tr_buf_addf(&s->sql,
		    "SELECT count(*)::BIGINT, (count(*) FILTER (WHERE (%s) IS NOT TRUE))::BIGINT "
		    "FROM %s",
		    load->slice, tr_buf_str(&s->temp));
	snprintf(ctx, sizeof(ctx), "checking the rows against the slice (%s)", load->slice);
	if (tr_buf_failed(&s->sql))
		return fail_nomem(err, ctx);
	if ((rc = run_ints(s->c, tr_buf_str(&s->sql), load->params, load->n_params, counts, 2,
			   ctx, 0, err)) != 0)
		return rc;
	r->stray_rows = counts[1];
	if (counts[1] > 0 && !load->drop_outside)
		return tr_error_set(err, TR_EINVAL,
				    "%lld of the %lld rows fall outside the partition being written "
				    "(slice: %s): fix the query or set outside_rows: drop",
				    (long long)counts[1], (long long)counts[0], load->slice);

	if ((rc = exists(s->c, load->table, err)) < 0)
		return rc;
	r->created = rc == 0;
	if (r->created) {
		if ((rc = ensure_schema(s, err)) != 0)
			return rc;
		tr_buf_reset(&s->sql);
		tr_buf_addf(&s->sql, "CREATE TABLE %s AS SELECT * FROM %s", tr_buf_str(&s->table),
			    tr_buf_str(&s->temp));
	} else {
		if ((rc = reconcile_columns(s->c, tr_buf_str(&s->table), tr_buf_str(&s->temp),
					    load->add_columns, &s->catalog_step, err)) != 0)
			return rc;
		tr_buf_reset(&s->sql);
		tr_buf_addf(&s->sql, "DELETE FROM %s WHERE (%s)", tr_buf_str(&s->table), load->slice);
		if ((rc = run_built(s, 0, &r->rows_deleted, "deleting the partition's rows", 0,
				    err)) != 0)
			return rc;
		tr_buf_reset(&s->sql);
		tr_buf_addf(&s->sql, "INSERT INTO %s BY NAME SELECT * FROM %s",
			    tr_buf_str(&s->table), tr_buf_str(&s->temp));
	}
	if (counts[1] > 0)
		tr_buf_addf(&s->sql, " WHERE (%s) IS TRUE", load->slice);
	s->catalog_step = r->created;
	if ((rc = run_built(s, 0, NULL, r->created ? "creating the table" : "inserting the rows", 0,
			    err)) != 0)
		return rc;
	s->catalog_step = 0;
	/* Every slice row was deleted and every inserted row is in the slice. */
	r->row_count = counts[0] - counts[1];
	if ((rc = describe_result(s, load->slice, err)) != 0)
		return rc;
	tr_buf_reset(&s->sql);
	tr_buf_addf(&s->sql, "DROP TABLE %s", tr_buf_str(&s->temp));
	return run_built(s, 0, NULL, "dropping the temporary table", 0, err);
}

static int load_whole(struct load_state *s, tr_error *err)
{
	tr_load_result *r = s->result;
	char ctx[300];
	int line_offset = 0, rc = 0;

	if ((rc = exists(s->c, s->load->table, err)) < 0)
		return rc;
	r->created = rc == 0;
	if (r->created)
		rc = ensure_schema(s, err);
	else
		rc = count_rows(s, NULL, &r->rows_deleted, "counting the table's rows", err);
	if (rc != 0)
		return rc;
	tr_buf_reset(&s->sql);
	tr_buf_addf(&s->sql, "CREATE OR REPLACE TABLE %s AS ", tr_buf_str(&s->table));
	add_source(s, &s->sql, &line_offset);
	s->catalog_step = 1;
	if ((rc = run_built(s, 1, NULL, source_context(s, ctx, sizeof(ctx)), line_offset, err)) != 0)
		return rc;
	s->catalog_step = 0;
	if ((rc = count_rows(s, NULL, &r->row_count, "counting the table's rows", err)) != 0)
		return rc;
	return describe_result(s, NULL, err);
}

static int load_script(struct load_state *s, tr_error *err)
{
	tr_load_result *r = s->result;
	const char *slice = s->load->slice;
	int existed = 0, rc = 0;

	if ((existed = exists(s->c, s->load->table, err)) < 0)
		return existed;
	if (existed && (rc = count_rows(s, slice, &r->rows_deleted, "counting the slice", err)) != 0)
		return rc;
	if ((rc = run_statements(s->c, s->load->query, s->load->params, s->load->n_params, 0, NULL,
				 1, "running the script", err)) != 0)
		return rc;
	if ((rc = exists(s->c, s->load->table, err)) < 0)
		return rc;
	r->created = !existed && rc == 1;
	if (rc == 0)
		return 0; /* the script wrote no table of that name: nothing to count */
	if ((rc = count_rows(s, slice, &r->row_count, "counting the slice", err)) != 0)
		return rc;
	return describe_result(s, slice, err);
}

/*
 * Loads from several threads may race to create the same new table (a
 * backfill's first partitions): the losers' CREATE fails with a catalog
 * write-write conflict before anything is committed, and they start over,
 * finding the table made (or the column added). Other conflicts are not
 * retried: two loads of one partition at once must be kept apart by the caller.
 */
#define CATALOG_CONFLICT_ATTEMPTS 4

static int duck_load(tr_wconn *base, const tr_load *load, tr_load_result *result, tr_error *err)
{
	struct load_state s;
	int attempt = 0, rc = 0;

	memset(&s, 0, sizeof(s));
	s.c = to_conn(base);
	s.load = load;
	s.result = result;
	tr_buf_init(&s.table, 0);
	tr_buf_init(&s.temp, 0);
	tr_buf_init(&s.sql, 0);
	operation_start(s.c);
	tr_sql_quote_ident(&s.table, load->table);
	if (tr_buf_failed(&s.table)) {
		rc = fail_nomem(err, "load");
		goto out;
	}
	if ((rc = check_one_statement(&s, err)) != 0)
		goto out;
	for (attempt = 1;; attempt++) {
		s.catalog_step = 0;
		s.c->failure = DUCKDB_ERROR_INVALID;
		tr_buf_reset(&s.temp);
		if ((rc = begin(s.c, err)) != 0)
			goto out;
		if (load->source == TR_LOAD_SCRIPT)
			rc = load_script(&s, err);
		else if (load->slice)
			rc = load_partitioned(&s, err);
		else
			rc = load_whole(&s, err);
		if (rc == 0)
			rc = commit(s.c, err);
		if (rc == 0)
			break;
		rollback(s.c);
		if (!s.catalog_step || s.c->failure != DUCKDB_ERROR_TRANSACTION ||
		    attempt == CATALOG_CONFLICT_ATTEMPTS)
			break;
		tr_load_result_release(result);
		/* the winner has yet to commit: give it a moment */
		nanosleep(&(struct timespec){0, 50000000L * attempt}, NULL);
	}
out:
	if (rc != 0) {
		int64_t stray = result->stray_rows;

		tr_load_result_release(result);
		result->stray_rows = stray;
	}
	tr_buf_release(&s.table);
	tr_buf_release(&s.temp);
	tr_buf_release(&s.sql);
	return rc;
}

/* ---- wipes and checks ---------------------------------------------------- */

static int duck_wipe(tr_wconn *base, const char *table, const char *slice,
		     const tr_param *params, size_t n, int64_t *deleted, tr_error *err)
{
	struct duck_conn *c = to_conn(base);
	tr_buf quoted = TR_BUF_INIT, sql = TR_BUF_INIT;
	int rc = 0;

	operation_start(c);
	tr_sql_quote_ident(&quoted, table);
	if ((rc = begin(c, err)) != 0)
		goto out;
	if ((rc = exists(c, table, err)) <= 0)
		goto done; /* a missing table holds no rows: nothing to wipe */
	rc = 0;
	if (slice) {
		tr_buf_addf(&sql, "DELETE FROM %s WHERE (%s)", tr_buf_str(&quoted), slice);
		rc = tr_buf_failed(&sql) ? fail_nomem(err, "wipe")
					 : run(c, tr_buf_str(&sql), params, n, 0, NULL, deleted,
					       "deleting the slice", 0, err);
	} else {
		tr_buf_addf(&sql, "SELECT count(*)::BIGINT FROM %s", tr_buf_str(&quoted));
		rc = tr_buf_failed(&sql) ? fail_nomem(err, "wipe")
					 : run_ints(c, tr_buf_str(&sql), NULL, 0, deleted, 1,
						    "counting the table's rows", 0, err);
		tr_buf_reset(&sql);
		tr_buf_addf(&sql, "DROP TABLE %s", tr_buf_str(&quoted));
		if (rc == 0)
			rc = tr_buf_failed(&sql) ? fail_nomem(err, "wipe")
						 : run(c, tr_buf_str(&sql), NULL, 0, 0, NULL, NULL,
						       "dropping the table", 0, err);
	}
done:
	if (rc == 0)
		rc = commit(c, err);
	if (rc != 0)
		rollback(c);
out:
	if (rc != 0) {
		*deleted = 0;
		tr_error_prefix(err, "wiping %s", table);
	}
	tr_buf_release(&quoted);
	tr_buf_release(&sql);
	return rc;
}

static int duck_check(tr_wconn *base, const char *sql, const tr_param *params, size_t n,
		      size_t max_sample, int64_t *failing, tr_table *sample, tr_error *err)
{
	struct duck_conn *c = to_conn(base);
	tr_buf wrapped = TR_BUF_INIT;
	size_t len = strlen(sql);
	int rc = 0;

	operation_start(c);
	/* The check is wrapped as a subquery: a final ";" would end it early. */
	while (len > 0 && strchr(" \t\r\n;", sql[len - 1]))
		len--;
	tr_buf_addf(&wrapped, "SELECT count(*)::BIGINT FROM (\n%.*s\n)", (int)len, sql);
	if (tr_buf_failed(&wrapped))
		return fail_nomem(err, "running the check");
	/* One transaction: the count and the sample see the same rows. */
	if ((rc = begin(c, err)) != 0)
		goto out;
	rc = run_ints(c, tr_buf_str(&wrapped), params, n, failing, 1, "running the check", 1, err);
	if (rc == 0 && sample && max_sample > 0 && *failing > 0) {
		tr_buf_reset(&wrapped);
		tr_buf_addf(&wrapped, "SELECT * FROM (\n%.*s\n) LIMIT %zu", (int)len, sql,
			    limit_for(max_sample));
		rc = tr_buf_failed(&wrapped)
			     ? fail_nomem(err, "running the check")
			     : run(c, tr_buf_str(&wrapped), params, n, max_sample, sample, NULL,
				   "reading the failing rows", 1, err);
	}
	if (rc == 0)
		rc = commit(c, err);
	if (rc != 0) {
		rollback(c);
		*failing = 0;
		if (sample)
			tr_table_release(sample);
	}
out:
	tr_buf_release(&wrapped);
	return rc;
}

static const struct tr_warehouse_ops duck_ops = {
	.backend = "DuckDB",
	.close = duck_close,
	.connect = duck_connect,
	.conn_close = duck_conn_close,
	.interrupt = duck_interrupt,
	.query = duck_query,
	.table_exists = duck_table_exists,
	.load = duck_load,
	.wipe = duck_wipe,
	.check = duck_check,
};
