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
 * this file's integer constants (LIMIT, temp table numbers). A TIMESTAMP value
 * bound in a statement whose only caller SQL is a slice, to a parameter DuckDB
 * typed DATE from its use there ("(day) >= $partition_start"), is bound as that
 * DATE when it is a midnight: every comparison means the same, and DuckDB then
 * skips row groups by their min/max instead of casting every row of the table
 * to TIMESTAMP (25 ms instead of 0.3 ms for a DELETE in a 3 M-row table).
 *
 * Transactions: a load, wipe or check runs between BEGIN and COMMIT, every
 * statement's result is checked, and any failure leads to ROLLBACK — a
 * runtime error aborts a DuckDB transaction, after which COMMIT reports
 * success while committing nothing, so COMMIT is never relied on to notice.
 * A read-only query (tr_wconn_query_read) runs in BEGIN TRANSACTION READ ONLY,
 * always rolled back, and only statements of the kinds that read are run.
 *
 * Loads, two paths. The slow path (the first load of a table, a new query or
 * slice, a change of columns, files, scripts, unpartitioned tables) does what
 * tranche/warehouse.h says one step at a time: the rows into a temp table,
 * counted against the slice, the table created or its columns compared (and
 * added), DELETE, INSERT, preview. When such a load of a query succeeds, the
 * warehouse notes the table's columns (then equal to the query's), and the
 * connection, or any other one later (each run connects anew), makes a load
 * plan of them: two prepared statements,
 *   DELETE FROM t WHERE (slice)
 *   INSERT INTO t BY NAME SELECT * FROM (query) WHERE __tranche_keep((slice) IS TRUE, cols...)
 * The fast path, for loads with the same table, query, slice and parameter
 * types, is BEGIN, that DELETE, that INSERT, COMMIT (all prepared once;
 * DuckDB re-plans them with the values, which it does anyway for statements
 * that scan a table) — the four statements of a bare hand-written load.
 * __tranche_keep, a C scalar function, counts the rows and those outside the
 * slice (for the refusal, with the same counts and message as the slow path,
 * or stray_rows with drop_outside) and keeps a copy of the first preview_rows
 * rows it lets through: the preview costs no scan, and plain values (numbers,
 * text, dates) are rendered in C as DuckDB renders them. DuckDB never pushes a
 * volatile function's filter below a join, so it sees exactly the query's rows.
 * A plan is only used while the warehouse's catalog generation is the one its
 * columns were read under: every operation that may change the catalog (a
 * slow load that created or altered something, a script, a wipe that drops,
 * tr_wconn_query running anything but a SELECT, metadata SQL that is not a
 * SELECT) bumps it after it commits, so that the next load re-checks the
 * columns on the slow path. A binder or catalog error on the fast path (a
 * table changed behind tranche's back) also falls back to the slow path.
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
 * else it fails. Each connection keeps the replay statements of the last few
 * column type lists prepared. Plain values (booleans, integers, VARCHAR, DATE
 * and TIMESTAMP of years 1-9999) skip the replay: they are rendered in C,
 * exactly as DuckDB renders them (test_plain_rendering holds the two together).
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

#include "base/civil.h"
#include "tranche/warehouse.h"
#include "warehouse/warehouse_impl.h"

#define REPLAY_FUNCTION "__tranche_replay"
#define TEMP_PREFIX "__tranche_load_"
#define FILE_PARAM "tranche_file"
#define KEEP_FUNCTION "__tranche_keep"
#define KEEP_COLUMN "__tranche_kept"
#define LOCK_MESSAGE "Could not set lock on file"
#define READ_ONLY_MESSAGE "transaction is launched in read-only mode"
#define PLANS_PER_CONN 32  /* load plans kept per connection */
#define REPLAYS_PER_CONN 8 /* replay statements kept per connection */
#define CHECKED_LOADS 256  /* loads checked kept per warehouse */
#define DAY_MICROS (86400LL * 1000000LL)

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
	/* bumped after every committed change that may alter the catalog: see the top */
	atomic_uint_fast64_t generation;
	struct checked_load *checked; /* guarded by lock */
	size_t nchecked;
	unsigned long clock;          /* ticks once per use of a checked load */
};

/* A statement prepared once and run many times, with its parameters' names. */
struct stmt {
	duckdb_prepared_statement st;
	idx_t nparams;
	char **names;       /* nparams, index i for DuckDB's i + 1 */
	duckdb_type *types; /* as DuckDB typed them when preparing */
};

/* Columns of a table, by name and DuckDB type name. */
struct columns {
	size_t n;
	char **names;
	char **types;     /* as typeof() writes them, for comparing and messages */
	char **sql_types; /* the same with every field name quoted, for ALTER TABLE */
	int *numeric;
};

/* What a load of one query into one slice of one table needs to go fast. */
struct load_plan {
	char *table, *query, *slice; /* the key, with params_sig */
	char *params_sig;            /* parameter names and types (see params_signature) */
	char *table_sql;             /* the table, quoted */
	uint_fast64_t generation;    /* the catalog generation the columns were read under */
	struct columns cols;         /* the table's (= the query's) */
	struct stmt del;
	struct stmt ins;             /* __tranche_keep without the columns */
	struct stmt ins_keep;        /* with them: keeps the preview's rows (small partitions) */
	struct stmt preview;         /* the slice's first preview_limit rows (big partitions) */
	size_t preview_limit;
	int64_t last_rows;           /* rows of the last load: small or big */
	unsigned long used;          /* for evicting the least recently used */
	struct load_plan *next;
};

/*
 * A load of a query that succeeded on the slow path: any connection may make
 * its plan from it, without a slow load of its own, while the generation holds.
 */
struct checked_load {
	char *table, *query, *slice, *params_sig;
	uint_fast64_t generation;
	int64_t rows; /* of that load */
	struct columns cols;
	unsigned long used;
	struct checked_load *next;
};

/* A prepared replay statement for one list of column types. */
struct replay_stmt {
	char *signature; /* the types' names; NULL: slot free */
	duckdb_prepared_statement st;
	unsigned long used;
};

struct duck_conn {
	struct tr_wconn base; /* first */
	struct duck_warehouse *wh;
	duckdb_connection conn;
	idx_t id;                 /* DuckDB's connection id: how __tranche_replay finds us */
	struct replay *replay;    /* set while a replay query runs */
	atomic_int interrupted;   /* tr_wconn_interrupt was called during this operation */
	pthread_mutex_t interrupt_lock; /* interrupts against the start of a COMMIT */
	int committing;           /* a COMMIT runs: interrupts no longer reach DuckDB */
	duckdb_error_type failure; /* of the last statement that failed */
	unsigned long temp_seq;   /* for unique temp table names */
	int slice_dates;          /* the statement being bound is a slice's (see the top) */
	struct stmt begin, commit;
	struct load_plan *plans;
	size_t nplans;
	unsigned long clock;      /* ticks once per use of a plan or replay statement */
	struct replay_stmt replays[REPLAYS_PER_CONN];
	/* What __tranche_keep saw in the fast load running (any DuckDB thread). */
	atomic_llong keep_rows, keep_outside;
	atomic_int capture_open;       /* capture_want rows not all kept yet */
	pthread_mutex_t capture_lock;  /* guards the two below */
	size_t capture_want;
	struct replay capture;         /* the first rows let through, in table column order */
	int capture_failed;            /* out of memory while copying */
	char timezone[64];             /* the session's TimeZone as last set ("": DuckDB's default) */
	struct duck_conn *next;
};

static const struct tr_warehouse_ops duck_ops;
static void plans_release(struct duck_conn *c);
static void capture_reset(struct duck_conn *c, size_t want);
static void checked_release(struct duck_warehouse *wh);
static uint_fast64_t catalog_changed(struct duck_warehouse *wh, uint_fast64_t seen);

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

/* The connection DuckDB calls a function for (NULL: not one of this warehouse's). */
static struct duck_conn *conn_of_context(struct duck_warehouse *wh, duckdb_client_context context)
{
	idx_t id = duckdb_client_context_get_connection_id(context);
	struct duck_conn *c = NULL;

	pthread_mutex_lock(&wh->lock);
	for (c = wh->conns; c; c = c->next)
		if (c->id == id)
			break;
	pthread_mutex_unlock(&wh->lock);
	return c;
}

/*
 * The bind data is the connection, not its replay: a prepared replay
 * statement is run again for other rows of the same column types, and the
 * rows are looked up when it starts (replay_init).
 */
static void replay_bind(duckdb_bind_info info)
{
	struct duck_warehouse *wh = duckdb_bind_get_extra_info(info);
	struct replay *r = NULL;
	struct duck_conn *c = NULL;
	duckdb_client_context context = NULL;
	idx_t i = 0;

	duckdb_table_function_get_client_context(info, &context);
	c = conn_of_context(wh, context);
	duckdb_destroy_client_context(&context);
	if (c) {
		pthread_mutex_lock(&wh->lock);
		r = c->replay;
		pthread_mutex_unlock(&wh->lock);
	}
	if (!r) {
		duckdb_bind_set_error(info, REPLAY_FUNCTION "() is internal to tranche");
		return;
	}
	for (i = 0; i < r->ncols; i++) {
		char name[32];

		snprintf(name, sizeof(name), "c%llu", (unsigned long long)i);
		duckdb_bind_add_result_column(info, name, r->types[i]);
	}
	duckdb_bind_set_cardinality(info, r->nrows, false);
	duckdb_bind_set_bind_data(info, c, NULL);
}

struct replay_cursor {
	struct replay *r;
	size_t next;
};

static void replay_init(duckdb_init_info info)
{
	struct duck_conn *c = duckdb_init_get_bind_data(info);
	struct replay_cursor *cursor = calloc(1, sizeof(*cursor));

	if (!cursor) {
		duckdb_init_set_error(info, "out of memory");
		return;
	}
	pthread_mutex_lock(&c->wh->lock);
	cursor->r = c->replay;
	pthread_mutex_unlock(&c->wh->lock);
	duckdb_init_set_init_data(info, cursor, free);
	duckdb_init_set_max_threads(info, 1);
	if (!cursor->r)
		duckdb_init_set_error(info, REPLAY_FUNCTION "() is internal to tranche");
}

static void replay_scan(duckdb_function_info info, duckdb_data_chunk output)
{
	struct replay_cursor *cursor = duckdb_function_get_init_data(info);
	struct replay *r = cursor->r;
	duckdb_data_chunk chunk = NULL;
	idx_t i = 0;

	if (cursor->next >= r->nchunks) {
		duckdb_data_chunk_set_size(output, 0);
		return;
	}
	chunk = r->chunks[cursor->next++];
	for (i = 0; i < r->ncols; i++)
		duckdb_vector_reference_vector(duckdb_data_chunk_get_vector(output, i),
					       duckdb_data_chunk_get_vector(chunk, i));
	duckdb_data_chunk_set_size(output, duckdb_data_chunk_get_size(chunk));
}

/* ---- __tranche_keep(in_slice BOOLEAN, column ANY...) ---------------------- */

static void *keep_copy_bind_data(void *data)
{
	return data; /* the connection: shared, never freed by DuckDB */
}

static void keep_bind(duckdb_bind_info info)
{
	struct duck_warehouse *wh = duckdb_scalar_function_bind_get_extra_info(info);
	duckdb_client_context context = NULL;
	struct duck_conn *c = NULL;

	duckdb_scalar_function_get_client_context(info, &context);
	c = conn_of_context(wh, context);
	duckdb_destroy_client_context(&context);
	if (!c) {
		duckdb_scalar_function_bind_set_error(info, KEEP_FUNCTION "() is internal to tranche");
		return;
	}
	duckdb_scalar_function_set_bind_data(info, c, NULL);
	duckdb_scalar_function_set_bind_data_copy(info, keep_copy_bind_data);
}

/* Copies the rows of sel (count) of the column arguments into c->capture. */
static void keep_capture(struct duck_conn *c, duckdb_data_chunk input,
			 duckdb_selection_vector sel, idx_t count)
{
	struct replay *r = &c->capture;
	idx_t ncols = duckdb_data_chunk_get_column_count(input) - 1, i = 0;
	duckdb_data_chunk chunk = NULL;

	if (!r->types) {
		r->types = calloc(ncols ? ncols : 1, sizeof(*r->types));
		if (!r->types)
			goto fail;
		r->ncols = ncols;
		for (i = 0; i < ncols; i++)
			r->types[i] = duckdb_vector_get_column_type(
				duckdb_data_chunk_get_vector(input, i + 1));
	}
	if (!(chunk = duckdb_create_data_chunk(r->types, ncols)))
		goto fail;
	for (i = 0; i < ncols; i++)
		duckdb_vector_copy_sel(duckdb_data_chunk_get_vector(input, i + 1),
				       duckdb_data_chunk_get_vector(chunk, i), sel, count, 0, 0);
	duckdb_data_chunk_set_size(chunk, count);
	if (replay_add(r, chunk) != 0)
		goto fail;
	return;
fail:
	c->capture_failed = 1;
}

/*
 * Returns in_slice (true or false, never NULL), counts the rows and those
 * outside the slice, and while a capture is open copies the first rows let
 * through. Any DuckDB thread may call it: counters are atomic, the capture
 * takes its lock.
 */
static void keep_run(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output)
{
	struct duck_conn *c = duckdb_scalar_function_get_bind_data(info);
	idx_t n = duckdb_data_chunk_get_size(input), i = 0, outside = 0;
	duckdb_vector in_slice = duckdb_data_chunk_get_vector(input, 0);
	bool *in = duckdb_vector_get_data(in_slice);
	uint64_t *validity = duckdb_vector_get_validity(in_slice);
	bool *out = duckdb_vector_get_data(output);
	uint64_t *out_validity = duckdb_vector_get_validity(output);

	for (i = 0; i < n; i++) {
		out[i] = in[i] && (!validity || duckdb_validity_row_is_valid(validity, i));
		outside += !out[i];
		if (out_validity) /* never NULL, whatever the vector held before */
			duckdb_validity_set_row_valid(out_validity, i);
	}
	atomic_fetch_add(&c->keep_rows, (long long)n);
	atomic_fetch_add(&c->keep_outside, (long long)outside);
	if (!atomic_load(&c->capture_open) || outside == n)
		return;
	pthread_mutex_lock(&c->capture_lock);
	if (c->capture.nrows < c->capture_want && !c->capture_failed) {
		idx_t want = c->capture_want - c->capture.nrows, count = 0;
		duckdb_selection_vector sel = duckdb_create_selection_vector(n);
		sel_t *rows = sel ? duckdb_selection_vector_get_data_ptr(sel) : NULL;

		for (i = 0; rows && i < n && count < want; i++)
			if (out[i])
				rows[count++] = (sel_t)i;
		if (rows)
			keep_capture(c, input, sel, count);
		else
			c->capture_failed = 1;
		if (sel)
			duckdb_destroy_selection_vector(sel);
	}
	if (c->capture.nrows >= c->capture_want || c->capture_failed)
		atomic_store(&c->capture_open, 0);
	pthread_mutex_unlock(&c->capture_lock);
}

/* __tranche_replay() and __tranche_keep(), once per database. */
static int register_functions(struct duck_warehouse *wh, tr_error *err)
{
	duckdb_connection conn = NULL;
	duckdb_table_function fn = NULL;
	duckdb_scalar_function keep = NULL;
	duckdb_logical_type boolean = NULL, any = NULL;
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

	boolean = duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN);
	any = duckdb_create_logical_type(DUCKDB_TYPE_ANY);
	keep = duckdb_create_scalar_function();
	duckdb_scalar_function_set_name(keep, KEEP_FUNCTION);
	duckdb_scalar_function_add_parameter(keep, boolean);
	duckdb_scalar_function_set_varargs(keep, any);
	duckdb_scalar_function_set_return_type(keep, boolean);
	/* volatile: evaluated once per row where it stands, never pushed down or folded */
	duckdb_scalar_function_set_volatile(keep);
	duckdb_scalar_function_set_special_handling(keep);
	duckdb_scalar_function_set_extra_info(keep, wh, NULL);
	duckdb_scalar_function_set_bind(keep, keep_bind);
	duckdb_scalar_function_set_function(keep, keep_run);
	if (rc == 0 && duckdb_register_scalar_function(conn, keep) == DuckDBError)
		rc = tr_error_set(err, TR_EINTERNAL,
				  "warehouse %s: cannot register " KEEP_FUNCTION "()", wh->shown);
	duckdb_destroy_scalar_function(&keep);
	duckdb_destroy_logical_type(&boolean);
	duckdb_destroy_logical_type(&any);
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

static void replay_stmt_release(struct replay_stmt *rs)
{
	if (rs->st)
		duckdb_destroy_prepare(&rs->st);
	free(rs->signature);
	memset(rs, 0, sizeof(*rs));
}

/*
 * The prepared `SELECT c0::VARCHAR, ... FROM __tranche_replay()` for r's
 * column types, kept per connection (the least recently used goes). It is
 * bound to those types only: the key is their full names. c->replay must be
 * r already (binding reads it).
 */
static int replay_statement(struct duck_conn *c, struct replay *r, duckdb_prepared_statement *out,
			    const char *ctx, tr_error *err)
{
	struct replay_stmt *slot = &c->replays[0];
	tr_buf signature = TR_BUF_INIT, sql = TR_BUF_INIT;
	idx_t i = 0;
	size_t k = 0;
	int rc = 0;

	for (i = 0; i < r->ncols; i++) {
		add_type_name(&signature, r->types[i], 1);
		tr_buf_addc(&signature, '\n');
	}
	tr_buf_adds(&sql, "SELECT ");
	for (i = 0; i < r->ncols; i++)
		tr_buf_addf(&sql, "%sc%llu::VARCHAR", i ? ", " : "", (unsigned long long)i);
	tr_buf_adds(&sql, " FROM " REPLAY_FUNCTION "()");
	if (tr_buf_failed(&signature) || tr_buf_failed(&sql)) {
		rc = fail_nomem(err, ctx);
		goto out;
	}
	for (k = 0; k < REPLAYS_PER_CONN; k++) {
		struct replay_stmt *rs = &c->replays[k];

		if (rs->signature && strcmp(rs->signature, tr_buf_str(&signature)) == 0) {
			rs->used = ++c->clock;
			*out = rs->st;
			goto out;
		}
		if (rs->used < slot->used)
			slot = rs;
	}
	replay_stmt_release(slot);
	if (duckdb_prepare(c->conn, tr_buf_str(&sql), &slot->st) == DuckDBError) {
		rc = fail_duck(err, TR_EINTERNAL, ctx, duckdb_prepare_error(slot->st), 0);
		replay_stmt_release(slot);
		goto out;
	}
	slot->signature = tr_buf_detach(&signature, NULL);
	slot->used = ++c->clock;
	*out = slot->st;
out:
	tr_buf_release(&signature);
	tr_buf_release(&sql);
	return rc;
}

/* Renders the kept chunks as text through __tranche_replay(). */
static int replay_as_text(struct duck_conn *c, struct replay *r, tr_table *t, const char *ctx,
			  tr_error *err)
{
	duckdb_prepared_statement st = NULL;
	duckdb_result res;
	int rc = 0, ran = 0;

	memset(&res, 0, sizeof(res));
	pthread_mutex_lock(&c->wh->lock);
	c->replay = r;
	pthread_mutex_unlock(&c->wh->lock);
	if ((rc = replay_statement(c, r, &st, ctx, err)) == 0) {
		ran = 1;
		if (duckdb_execute_prepared(st, &res) == DuckDBError)
			rc = duckdb_result_error_type(&res) == DUCKDB_ERROR_INTERRUPT
				     ? fail_interrupted(err, ctx)
				     : fail_duck(err, code_for_type(duckdb_result_error_type(&res)),
						 ctx, duckdb_result_error(&res), 0);
	}
	pthread_mutex_lock(&c->wh->lock);
	c->replay = NULL;
	pthread_mutex_unlock(&c->wh->lock);
	if (rc == 0 && read_text_cells(&res, t) != 0)
		rc = fail_nomem(err, ctx);
	if (ran)
		duckdb_destroy_result(&res);
	return rc;
}

/*
 * Appends the text DuckDB's CAST(v AS VARCHAR) gives value i of v, for the
 * plain types: booleans, integers up to 64 bits, VARCHAR, DATE and TIMESTAMP
 * of years 1..9999. Returns 0, or 1 when the type or value is not plain (the
 * caller lets DuckDB render it).
 */
static int add_plain(tr_buf *out, duckdb_type type, duckdb_vector v, idx_t i)
{
	void *data = duckdb_vector_get_data(v);
	int64_t micros = 0, days = 0, year = 0;
	int mon = 0, mday = 0;

	switch (type) {
	case DUCKDB_TYPE_BOOLEAN:
		tr_buf_adds(out, ((bool *)data)[i] ? "true" : "false");
		return 0;
	case DUCKDB_TYPE_TINYINT:
		tr_buf_addf(out, "%d", (int)((int8_t *)data)[i]);
		return 0;
	case DUCKDB_TYPE_SMALLINT:
		tr_buf_addf(out, "%d", (int)((int16_t *)data)[i]);
		return 0;
	case DUCKDB_TYPE_INTEGER:
		tr_buf_addf(out, "%ld", (long)((int32_t *)data)[i]);
		return 0;
	case DUCKDB_TYPE_BIGINT:
		tr_buf_addf(out, "%lld", (long long)((int64_t *)data)[i]);
		return 0;
	case DUCKDB_TYPE_UTINYINT:
		tr_buf_addf(out, "%u", (unsigned)((uint8_t *)data)[i]);
		return 0;
	case DUCKDB_TYPE_USMALLINT:
		tr_buf_addf(out, "%u", (unsigned)((uint16_t *)data)[i]);
		return 0;
	case DUCKDB_TYPE_UINTEGER:
		tr_buf_addf(out, "%lu", (unsigned long)((uint32_t *)data)[i]);
		return 0;
	case DUCKDB_TYPE_UBIGINT:
		tr_buf_addf(out, "%llu", (unsigned long long)((uint64_t *)data)[i]);
		return 0;
	case DUCKDB_TYPE_VARCHAR: {
		duckdb_string_t *str = &((duckdb_string_t *)data)[i];
		const char *text = duckdb_string_t_data(str);

		/* as read_text_cells keeps it: up to a NUL */
		tr_buf_add(out, text, strnlen(text, duckdb_string_t_length(*str)));
		return 0;
	}
	case DUCKDB_TYPE_DATE:
		days = ((int32_t *)data)[i];
		break;
	case DUCKDB_TYPE_TIMESTAMP:
		micros = ((int64_t *)data)[i];
		days = tr_floor_div(micros, DAY_MICROS);
		/* the remainder without days * DAY_MICROS, which overflows near -infinity */
		micros %= DAY_MICROS;
		if (micros < 0)
			micros += DAY_MICROS;
		break;
	default:
		return 1;
	}
	tr_civil_from_days(days, &year, &mon, &mday);
	if (year < 1 || year > 9999) /* "(BC)", five digits, infinity: DuckDB's own words */
		return 1;
	tr_buf_addf(out, "%04lld-%02d-%02d", (long long)year, mon, mday);
	if (type == DUCKDB_TYPE_TIMESTAMP) {
		int64_t secs = micros / 1000000, frac = micros % 1000000;
		char digits[8];
		int len = 6;

		tr_buf_addf(out, " %02d:%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60),
			    (int)(secs % 60));
		if (frac) { /* ".5", ".00012": six digits less the trailing zeros */
			snprintf(digits, sizeof(digits), "%06lld", (long long)frac);
			while (digits[len - 1] == '0')
				len--;
			tr_buf_addf(out, ".%.*s", len, digits);
		}
	}
	return 0;
}

/*
 * Renders r's cells into t in C when every value is plain (add_plain), as
 * DuckDB would: a statement less than replay_as_text. Returns 1 when done, 0
 * when DuckDB must render them, -1 when out of memory.
 */
static int render_plain(const struct replay *r, tr_table *t)
{
	size_t ncells = t->nrows * t->ncols, chunk = 0, row = 0;
	duckdb_type *types = calloc(r->ncols ? r->ncols : 1, sizeof(*types));
	tr_buf text = TR_BUF_INIT;
	idx_t col = 0, i = 0;
	int rc = 1;

	t->cells = calloc(ncells ? ncells : 1, sizeof(*t->cells));
	if (!types || !t->cells) {
		rc = -1;
		goto out;
	}
	for (col = 0; col < r->ncols; col++) {
		char *alias = duckdb_logical_type_get_alias(r->types[col]);

		types[col] = alias ? DUCKDB_TYPE_INVALID : duckdb_get_type_id(r->types[col]);
		duckdb_free(alias);
	}
	for (chunk = 0; chunk < r->nchunks && rc == 1; chunk++) {
		idx_t n = duckdb_data_chunk_get_size(r->chunks[chunk]);

		for (col = 0; col < r->ncols && rc == 1; col++) {
			duckdb_vector v = duckdb_data_chunk_get_vector(r->chunks[chunk], col);
			uint64_t *validity = duckdb_vector_get_validity(v);

			for (i = 0; i < n && row + i < t->nrows && rc == 1; i++) {
				if (validity && !duckdb_validity_row_is_valid(validity, i))
					continue;
				tr_buf_reset(&text);
				if (add_plain(&text, types[col], v, i) != 0)
					rc = 0;
				else if (tr_buf_failed(&text) ||
					 !(t->cells[(row + i) * t->ncols + col] =
						   strdup(tr_buf_str(&text))))
					rc = -1;
			}
		}
		row += n;
	}
out:
	if (rc != 1 && t->cells) {
		for (i = 0; i < ncells; i++)
			free(t->cells[i]);
		free(t->cells);
		t->cells = NULL;
	}
	free(types);
	tr_buf_release(&text);
	return rc;
}

/* r's cells into t->cells as text: in C when they are plain, else by DuckDB. */
static int cells_as_text(struct duck_conn *c, const struct replay *r, tr_table *t, const char *ctx,
			 tr_error *err)
{
	int plain = render_plain(r, t);

	if (plain < 0)
		return fail_nomem(err, ctx);
	return plain ? 0 : replay_as_text(c, (struct replay *)r, t, ctx, err);
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
		rc = cells_as_text(c, &r, out, ctx, err);
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

/*
 * Binds p to parameter index of st. slice: st is a slice's statement and
 * DuckDB typed the parameter declared; see the top for DATE.
 */
static int bind_one(duckdb_prepared_statement st, idx_t index, duckdb_type declared,
		    const tr_param *p, int slice)
{
	duckdb_timestamp ts;

	switch (p->type) {
	case TR_PARAM_TEXT:
		return (p->text ? duckdb_bind_varchar(st, index, p->text)
				: duckdb_bind_null(st, index)) == DuckDBSuccess ? 0 : -1;
	case TR_PARAM_TIMESTAMP:
		if (slice && declared == DUCKDB_TYPE_DATE && p->value % DAY_MICROS == 0 &&
		    p->value / DAY_MICROS >= INT32_MIN && p->value / DAY_MICROS <= INT32_MAX) {
			duckdb_date date = {(int32_t)(p->value / DAY_MICROS)};

			return duckdb_bind_date(st, index, date) == DuckDBSuccess ? 0 : -1;
		}
		ts.micros = p->value;
		return duckdb_bind_timestamp(st, index, ts) == DuckDBSuccess ? 0 : -1;
	case TR_PARAM_BIGINT:
		return duckdb_bind_int64(st, index, p->value) == DuckDBSuccess ? 0 : -1;
	case TR_PARAM_TEXT_LIST:
		return bind_list(st, index, p);
	}
	return -1;
}

/* Binds parameter i (1-based) of st, named name, from params. */
static int bind_named(duckdb_prepared_statement st, idx_t i, const char *name, duckdb_type declared,
		      const tr_param *params, size_t n, int slice, const char *ctx, tr_error *err)
{
	const tr_param *p = NULL;
	tr_buf avail = TR_BUF_INIT;
	int rc = 0;

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
	} else if (bind_one(st, i, declared, p, slice) != 0) {
		rc = tr_error_set(err, TR_EINVAL, "%s: cannot bind $%s: %s", ctx, name,
				  duckdb_prepare_error(st) ? duckdb_prepare_error(st)
							   : "DuckDB refused the value");
	}
	tr_buf_release(&avail);
	return rc;
}

/* Binds, by name, every parameter st uses; a name params lacks is an error. */
static int bind_params(duckdb_prepared_statement st, const tr_param *params, size_t n, int slice,
		       const char *ctx, tr_error *err)
{
	idx_t count = duckdb_nparams(st), i = 0;
	int rc = 0;

	for (i = 1; i <= count && rc == 0; i++) {
		const char *name = duckdb_parameter_name(st, i);

		rc = bind_named(st, i, name, slice ? duckdb_param_type(st, i) : DUCKDB_TYPE_INVALID,
				params, n, slice, ctx, err);
		duckdb_free((void *)name);
	}
	return rc;
}

/* ---- statements kept prepared -------------------------------------------- */

static void stmt_release(struct stmt *s)
{
	idx_t i = 0;

	for (i = 0; s->names && i < s->nparams; i++)
		free(s->names[i]);
	free(s->names);
	free(s->types);
	if (s->st)
		duckdb_destroy_prepare(&s->st);
	memset(s, 0, sizeof(*s));
}

/* Prepares sql into s, noting its parameters' names and types. */
static int stmt_prepare(struct duck_conn *c, struct stmt *s, const char *sql, const char *ctx,
			int line_offset, tr_error *err)
{
	idx_t i = 0;

	memset(s, 0, sizeof(*s));
	if (duckdb_prepare(c->conn, sql, &s->st) == DuckDBError) {
		const char *msg = duckdb_prepare_error(s->st);
		int rc = fail_duck(err, msg ? code_for_message(msg) : TR_EIO, ctx, msg, line_offset);

		stmt_release(s);
		return rc;
	}
	s->nparams = duckdb_nparams(s->st);
	s->names = calloc(s->nparams ? s->nparams : 1, sizeof(*s->names));
	s->types = calloc(s->nparams ? s->nparams : 1, sizeof(*s->types));
	if (!s->names || !s->types) {
		stmt_release(s);
		return fail_nomem(err, ctx);
	}
	for (i = 0; i < s->nparams; i++) {
		const char *name = duckdb_parameter_name(s->st, i + 1);

		s->names[i] = name ? strdup(name) : NULL;
		duckdb_free((void *)name);
		s->types[i] = duckdb_param_type(s->st, i + 1);
		if (!s->names[i]) {
			stmt_release(s);
			return fail_nomem(err, ctx);
		}
	}
	return 0;
}

static int stmt_bind(struct stmt *s, const tr_param *params, size_t n, int slice, const char *ctx,
		     tr_error *err)
{
	idx_t i = 0;
	int rc = 0;

	for (i = 0; i < s->nparams && rc == 0; i++)
		rc = bind_named(s->st, i + 1, s->names[i], s->types[i], params, n, slice, ctx, err);
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
	if (atomic_load(&c->interrupted) && !c->committing)
		return fail_interrupted(err, ctx);
	state = streaming ? duckdb_pending_prepared_streaming(st, &pending)
			  : duckdb_pending_prepared(st, &pending);
	if (state == DuckDBError) {
		const char *msg = duckdb_pending_error(pending);

		c->failure = DUCKDB_ERROR_INVALID;
		rc = fail_duck(err, msg ? code_for_message(msg) : TR_EIO, ctx, msg, line_offset);
		goto out;
	}
	if (atomic_load(&c->interrupted) && !c->committing)
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
	return bind_params(*st, params, n, c->slice_dates, ctx, err);
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

/* How run_statements runs the caller's SQL. */
enum {
	STMTS_ALONE = 0,          /* each statement on its own (DuckDB's auto-commit) */
	STMTS_IN_TRANSACTION = 1, /* inside tranche's transaction, which they may not end */
	STMTS_READ_ONLY = 2,      /* inside a READ ONLY transaction: statements that read only */
};

/*
 * The statement kinds a read-only query runs: SELECT (DuckDB prepares FROM,
 * WITH, VALUES, SHOW, DESCRIBE, SUMMARIZE and information PRAGMAs as one),
 * EXPLAIN and CALL. The READ ONLY transaction refuses what they would still
 * write (EXPLAIN ANALYZE INSERT, nextval, a table function that writes);
 * this list keeps out what it does not cover: SET, ATTACH, COPY TO a file,
 * EXPORT, LOAD, PRAGMA settings and checkpoints.
 */
static const char *refused_kind(duckdb_prepared_statement st)
{
	static const struct {
		duckdb_statement_type type;
		const char *name;
	} names[] = {
		{DUCKDB_STATEMENT_TYPE_INSERT, "INSERT"},
		{DUCKDB_STATEMENT_TYPE_UPDATE, "UPDATE"},
		{DUCKDB_STATEMENT_TYPE_DELETE, "DELETE"},
		{DUCKDB_STATEMENT_TYPE_PREPARE, "PREPARE"},
		{DUCKDB_STATEMENT_TYPE_CREATE, "CREATE"},
		{DUCKDB_STATEMENT_TYPE_EXECUTE, "EXECUTE"},
		{DUCKDB_STATEMENT_TYPE_ALTER, "ALTER"},
		{DUCKDB_STATEMENT_TYPE_TRANSACTION, "BEGIN, COMMIT or ROLLBACK"},
		{DUCKDB_STATEMENT_TYPE_COPY, "COPY"},
		{DUCKDB_STATEMENT_TYPE_ANALYZE, "ANALYZE"},
		{DUCKDB_STATEMENT_TYPE_VARIABLE_SET, "SET VARIABLE"},
		{DUCKDB_STATEMENT_TYPE_CREATE_FUNC, "CREATE FUNCTION"},
		{DUCKDB_STATEMENT_TYPE_DROP, "DROP"},
		{DUCKDB_STATEMENT_TYPE_EXPORT, "EXPORT"},
		{DUCKDB_STATEMENT_TYPE_PRAGMA, "PRAGMA"},
		{DUCKDB_STATEMENT_TYPE_VACUUM, "VACUUM or CHECKPOINT"},
		{DUCKDB_STATEMENT_TYPE_SET, "SET or USE"},
		{DUCKDB_STATEMENT_TYPE_LOAD, "LOAD or INSTALL"},
		{DUCKDB_STATEMENT_TYPE_ATTACH, "ATTACH"},
		{DUCKDB_STATEMENT_TYPE_DETACH, "DETACH"},
	};
	duckdb_statement_type type = duckdb_prepared_statement_type(st);

	if (type == DUCKDB_STATEMENT_TYPE_SELECT || type == DUCKDB_STATEMENT_TYPE_EXPLAIN ||
	    type == DUCKDB_STATEMENT_TYPE_CALL)
		return NULL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == type)
			return names[i].name;
	return "this kind of statement";
}

/*
 * Runs the caller's SQL, one or several statements, each prepared just
 * before it runs (a statement may use a table the one before created). The
 * last one's rows go to out (may be NULL). mode: STMTS_*. *catalog is set
 * when a statement other than a SELECT runs (it may change the catalog);
 * *refused (may be NULL) when STMTS_READ_ONLY refused a statement that writes.
 */
static int run_statements(struct duck_conn *c, const char *sql, const tr_param *params, size_t n,
			  size_t max_rows, tr_table *out, int mode, const char *what,
			  int *catalog, int *refused, tr_error *err)
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
		} else if (mode == STMTS_READ_ONLY && refused_kind(st)) {
			if (refused)
				*refused = 1;
			rc = tr_error_set(err, TR_EINVAL,
					  "%s: %s statements are not allowed: the query is read-only "
					  "(SELECT, FROM, WITH, VALUES, SHOW, DESCRIBE, SUMMARIZE, EXPLAIN "
					  "and CALL are)",
					  ctx, refused_kind(st));
		} else if (mode != STMTS_ALONE && is_transaction_statement(st)) {
			rc = tr_error_set(err, TR_EINVAL,
					  "%s: BEGIN, COMMIT and ROLLBACK are not allowed here: "
					  "tranche runs the statements in its own transaction",
					  ctx);
		} else if ((rc = bind_params(st, params, n, 0, ctx, err)) == 0) {
			int select = duckdb_prepared_statement_type(st) == DUCKDB_STATEMENT_TYPE_SELECT;

			if (!select)
				*catalog = 1; /* it may change a table: load plans are checked again */
			rc = execute(c, st, last && out && select, &res, ctx, 0, err);
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

/* Runs a kept statement with params bound; changed (may be NULL) as in run(). */
static int stmt_run(struct duck_conn *c, struct stmt *s, const tr_param *params, size_t n,
		    int slice, int64_t *changed, const char *ctx, int line_offset, tr_error *err)
{
	duckdb_result res;
	int rc = 0;

	memset(&res, 0, sizeof(res));
	if ((rc = stmt_bind(s, params, n, slice, ctx, err)) == 0 &&
	    (rc = execute(c, s->st, 0, &res, ctx, line_offset, err)) == 0 && changed)
		*changed = (int64_t)duckdb_rows_changed(&res);
	duckdb_destroy_result(&res);
	return rc;
}

/* BEGIN and COMMIT are prepared once per connection: a few µs less each. */
static int run_kept(struct duck_conn *c, struct stmt *s, const char *sql, const char *ctx,
		    tr_error *err)
{
	int rc = 0;

	if (!s->st && (rc = stmt_prepare(c, s, sql, ctx, 0, err)) != 0)
		return rc;
	return stmt_run(c, s, NULL, 0, 0, NULL, ctx, 0, err);
}

static int begin(struct duck_conn *c, tr_error *err)
{
	return run_kept(c, &c->begin, "BEGIN TRANSACTION", "starting a transaction", err);
}

/*
 * A COMMIT that starts, finishes: DuckDB may apply a commit and still report
 * an interrupt that lands on it, and the caller would then believe the
 * partition rolled back. So an interrupt is honoured up to the COMMIT (the
 * transaction is then rolled back) and not once it runs.
 */
static int commit(struct duck_conn *c, tr_error *err)
{
	int rc;

	pthread_mutex_lock(&c->interrupt_lock);
	if (atomic_load(&c->interrupted)) {
		pthread_mutex_unlock(&c->interrupt_lock);
		return fail_interrupted(err, "committing");
	}
	c->committing = 1;
	pthread_mutex_unlock(&c->interrupt_lock);
	rc = run_kept(c, &c->commit, "COMMIT", "committing", err);
	pthread_mutex_lock(&c->interrupt_lock);
	c->committing = 0;
	pthread_mutex_unlock(&c->interrupt_lock);
	return rc;
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
	checked_release(wh);
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
	atomic_init(&wh->generation, 0);
	if ((rc = register_functions(wh, err)) != 0) {
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
	atomic_init(&c->keep_rows, 0);
	atomic_init(&c->keep_outside, 0);
	atomic_init(&c->capture_open, 0);
	pthread_mutex_init(&c->capture_lock, NULL);
	pthread_mutex_init(&c->interrupt_lock, NULL);
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
	size_t i = 0;

	pthread_mutex_lock(&c->wh->lock);
	for (p = &c->wh->conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	pthread_mutex_unlock(&c->wh->lock);
	plans_release(c);
	for (i = 0; i < REPLAYS_PER_CONN; i++)
		replay_stmt_release(&c->replays[i]);
	stmt_release(&c->begin);
	stmt_release(&c->commit);
	replay_release(&c->capture);
	pthread_mutex_destroy(&c->capture_lock);
	pthread_mutex_destroy(&c->interrupt_lock);
	duckdb_disconnect(&c->conn);
	free(c);
}

static void duck_interrupt(tr_wconn *base)
{
	struct duck_conn *c = to_conn(base);

	pthread_mutex_lock(&c->interrupt_lock);
	atomic_store(&c->interrupted, 1);
	if (!c->committing)
		duckdb_interrupt(c->conn);
	pthread_mutex_unlock(&c->interrupt_lock);
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

	int catalog = 0, rc = 0;

	operation_start(c);
	rc = run_statements(c, sql, params, n, max_rows, out, STMTS_ALONE, "running the query",
			    &catalog, NULL, err);
	if (catalog) /* anything but a SELECT may have changed a table: plans are checked again */
		catalog_changed(c->wh, atomic_load(&c->wh->generation));
	return rc;
}

/*
 * DuckDB's BEGIN TRANSACTION READ ONLY does the refusing: every write to the
 * database in it fails ("Cannot write to database ... read-only mode"), and
 * the transaction is rolled back whatever happened, so nothing a statement
 * did stays. refused_kind() keeps out what the transaction does not cover.
 */
static int duck_query_read(tr_wconn *base, const char *sql, const tr_param *params, size_t n,
			   size_t max_rows, tr_table *out, int *writes, tr_error *err)
{
	struct duck_conn *c = to_conn(base);
	int catalog = 0, refused = 0, rc = 0;

	operation_start(c);
	if ((rc = run(c, "BEGIN TRANSACTION READ ONLY", NULL, 0, 0, NULL, NULL,
		      "starting a read-only transaction", 0, err)) != 0)
		return rc;
	rc = run_statements(c, sql, params, n, max_rows, out, STMTS_READ_ONLY, "running the query",
			    &catalog, &refused, err);
	rollback(c);
	if (rc != 0 && err && strstr(err->msg, READ_ONLY_MESSAGE)) {
		refused = 1;
		err->code = rc = TR_EINVAL; /* the SQL's fault, not the database's */
	}
	if (rc != 0 && out)
		tr_table_release(out);
	if (writes)
		*writes = refused;
	return rc;
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
	free(cols->numeric);
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
	cols->numeric = calloc(cols->n ? cols->n : 1, sizeof(int));
	if (!cols->names || !cols->types || !cols->sql_types || !cols->numeric) {
		free(cols->names);
		free(cols->types);
		free(cols->sql_types);
		free(cols->numeric);
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
		cols->numeric[i] = type_is_numeric(type);
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

static int columns_copy(struct columns *dst, const struct columns *src)
{
	size_t i = 0, n = src->n ? src->n : 1;

	memset(dst, 0, sizeof(*dst));
	dst->names = calloc(n, sizeof(char *));
	dst->types = calloc(n, sizeof(char *));
	dst->sql_types = calloc(n, sizeof(char *));
	dst->numeric = calloc(n, sizeof(int));
	if (!dst->names || !dst->types || !dst->sql_types || !dst->numeric) {
		free(dst->names);
		free(dst->types);
		free(dst->sql_types);
		free(dst->numeric);
		memset(dst, 0, sizeof(*dst));
		return -1;
	}
	dst->n = src->n;
	for (i = 0; i < src->n; i++) {
		dst->names[i] = strdup(src->names[i]);
		dst->types[i] = strdup(src->types[i]);
		dst->sql_types[i] = strdup(src->sql_types[i]);
		dst->numeric[i] = src->numeric[i];
		if (!dst->names[i] || !dst->types[i] || !dst->sql_types[i]) {
			columns_release(dst);
			return -1;
		}
	}
	return 0;
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
 * add_columns: they are added (*altered set). Any other difference is
 * refused, listed.
 */
static int reconcile_columns(struct duck_conn *c, const char *table_sql, const char *temp_sql,
			     int add_columns, int *catalog_step, int *altered, tr_error *err)
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
		*altered = 1;
		tr_buf_addf(&sql, "ALTER TABLE %s ADD COLUMN ", table_sql);
		add_field_name(&sql, want.names[i], 1); /* one name: a '.' in it is no separator */
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
	int catalog_changed; /* a statement that may change the catalog ran in this transaction */
	struct columns cols; /* slow path of a query: the table's columns after the write */
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

/*
 * Runs text built in s->sql with the load's params (or the file's path).
 * Not for_source: the only caller SQL in it is the slice (see the top for DATE).
 */
static int run_built(struct load_state *s, int for_source, int64_t *changed, const char *ctx,
		     int line_offset, tr_error *err)
{
	tr_param file = {.name = FILE_PARAM, .type = TR_PARAM_TEXT};
	int rc = 0;

	if (tr_buf_failed(&s->sql))
		return fail_nomem(err, ctx);
	if (for_source && s->load->source == TR_LOAD_FILE) {
		/* Table functions take bound parameters: the path is not pasted into the SQL. */
		file.text = s->load->file;
		return run(s->c, tr_buf_str(&s->sql), &file, 1, 0, NULL, changed, ctx, 0, err);
	}
	s->c->slice_dates = !for_source;
	rc = run(s->c, tr_buf_str(&s->sql), s->load->params, s->load->n_params, 0, NULL, changed,
		 ctx, line_offset, err);
	s->c->slice_dates = 0;
	return rc;
}

static int count_rows(struct load_state *s, const char *slice, int64_t *count, const char *ctx,
		      tr_error *err)
{
	int rc = 0;

	tr_buf_reset(&s->sql);
	tr_buf_addf(&s->sql, "SELECT count(*)::BIGINT FROM %s", tr_buf_str(&s->table));
	if (slice)
		tr_buf_addf(&s->sql, " WHERE (%s)", slice);
	if (tr_buf_failed(&s->sql))
		return fail_nomem(err, ctx);
	s->c->slice_dates = 1;
	rc = run_ints(s->c, tr_buf_str(&s->sql), s->load->params, s->load->n_params, count, 1, ctx,
		      0, err);
	s->c->slice_dates = 0;
	return rc;
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
	s->catalog_changed = 1;
	if ((rc = run_built(s, 0, NULL, "creating the schema", 0, err)) == 0)
		s->catalog_step = 0;
	return rc;
}

/* Metadata queries, inside the load's transaction, after the write. */
static int describe_metadata(struct load_state *s, tr_error *err)
{
	tr_load_result *r = s->result;
	size_t i = 0;
	int rc = 0;

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
				    s->load->n_params, TR_WAREHOUSE_METADATA_ROWS, &r->metadata[i],
				    STMTS_IN_TRANSACTION, ctx, &s->catalog_changed, NULL, err);
	}
	return rc;
}

/* Preview and metadata, inside the load's transaction, after the write. */
static int describe_result(struct load_state *s, const char *slice, tr_error *err)
{
	tr_load_result *r = s->result;
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
		s->c->slice_dates = 1;
		rc = run(s->c, tr_buf_str(&s->sql), s->load->params, s->load->n_params,
			 s->load->preview_rows, &r->preview, NULL, "reading the preview", 0, err);
		s->c->slice_dates = 0;
		if (rc != 0)
			return rc;
	}
	return describe_metadata(s, err);
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

static int refuse_outside(const tr_load *load, int64_t outside, int64_t rows, tr_error *err)
{
	return tr_error_set(err, TR_EINVAL,
			    "%lld of the %lld rows fall outside the partition being written "
			    "(slice: %s): fix the query or set outside_rows: drop",
			    (long long)outside, (long long)rows, load->slice);
}

/* The slice's rows are replaced by the source's; see tranche/warehouse.h. */
/* Counts the rows of `from` (quoted) and those outside the slice into counts[0..1]. */
static int count_against_slice(struct load_state *s, const char *from, int64_t counts[2],
			       tr_error *err)
{
	const tr_load *load = s->load;
	char ctx[300];
	int rc;

	tr_buf_reset(&s->sql);
	tr_buf_addf(&s->sql,
		    "SELECT count(*)::BIGINT, (count(*) FILTER (WHERE (%s) IS NOT TRUE))::BIGINT "
		    "FROM %s",
		    load->slice, from);
	snprintf(ctx, sizeof(ctx), "checking the rows against the slice (%s)", load->slice);
	if (tr_buf_failed(&s->sql))
		return fail_nomem(err, ctx);
	s->c->slice_dates = 1;
	rc = run_ints(s->c, tr_buf_str(&s->sql), load->params, load->n_params, counts, 2, ctx, 0,
		      err);
	s->c->slice_dates = 0;
	return rc;
}

/*
 * The first load of a table: CREATE TABLE AS the source, then count the rows
 * outside the slice in it (refused: the caller rolls the whole transaction
 * back; dropped: deleted). One write of the rows, as CREATE TABLE AS alone.
 */
static int load_partitioned_create(struct load_state *s, tr_error *err)
{
	const tr_load *load = s->load;
	tr_load_result *r = s->result;
	int64_t counts[2] = {0, 0};
	char ctx[300];
	int line_offset = 0, rc;

	r->created = 1;
	if ((rc = ensure_schema(s, err)) != 0)
		return rc;
	tr_buf_reset(&s->sql);
	if (load->source == TR_LOAD_QUERY) {
		/* one pass: __tranche_keep counts the rows outside the slice as they go by
		   (and leaves them out: refused below unless drop_outside) */
		tr_buf_addf(&s->sql,
			    "CREATE TABLE %s AS SELECT * EXCLUDE (" KEEP_COLUMN ") FROM (SELECT *, "
			    KEEP_FUNCTION "((%s) IS TRUE) AS " KEEP_COLUMN " FROM (",
			    tr_buf_str(&s->table), load->slice);
		{
			/* a subquery ends at ")": a final ";" would end the statement early */
			size_t len = strlen(load->query);

			while (len > 0 && strchr(" \t\r\n;", load->query[len - 1]))
				len--;
			tr_buf_addf(&s->sql, "\n%.*s\n", (int)len, load->query);
			line_offset = 1;
		}
		tr_buf_adds(&s->sql, ")) WHERE " KEEP_COLUMN);
		capture_reset(s->c, 0);
	} else {
		tr_buf_addf(&s->sql, "CREATE TABLE %s AS ", tr_buf_str(&s->table));
		add_source(s, &s->sql, &line_offset);
	}
	s->catalog_step = 1;
	s->catalog_changed = 1;
	if ((rc = run_built(s, 1, NULL, source_context(s, ctx, sizeof(ctx)), line_offset, err)) != 0)
		return rc;
	s->catalog_step = 0;
	if (load->source == TR_LOAD_QUERY) {
		counts[0] = atomic_load(&s->c->keep_rows);
		counts[1] = atomic_load(&s->c->keep_outside);
	} else if ((rc = count_against_slice(s, tr_buf_str(&s->table), counts, err)) != 0) {
		return rc;
	}
	r->stray_rows = counts[1];
	if (counts[1] > 0 && !load->drop_outside)
		return refuse_outside(load, counts[1], counts[0], err);
	if (counts[1] > 0 && load->source != TR_LOAD_QUERY) { /* a query's were left out */
		tr_buf_reset(&s->sql);
		tr_buf_addf(&s->sql, "DELETE FROM %s WHERE (%s) IS NOT TRUE", tr_buf_str(&s->table),
			    load->slice);
		if ((rc = run_built(s, 0, NULL, "dropping the rows outside the partition", 0,
				    err)) != 0)
			return rc;
	}
	r->row_count = counts[0] - counts[1];
	if (load->source == TR_LOAD_QUERY &&
	    (rc = read_columns(s->c, tr_buf_str(&s->table), &s->cols, "reading the table's columns",
			       err)) != 0)
		return rc;
	return describe_result(s, load->slice, err);
}

static int load_partitioned(struct load_state *s, tr_error *err)
{
	const tr_load *load = s->load;
	tr_load_result *r = s->result;
	int64_t counts[2] = {0, 0}; /* all new rows, those outside the slice */
	char ctx[300];
	int line_offset = 0, rc = 0;

	if ((rc = exists(s->c, load->table, err)) < 0)
		return rc;
	if (rc == 0)
		return load_partitioned_create(s, err);
	tr_buf_addf(&s->temp, "\"" TEMP_PREFIX "%lu\"", ++s->c->temp_seq);
	tr_buf_reset(&s->sql);
	tr_buf_addf(&s->sql, "CREATE TEMP TABLE %s AS ", tr_buf_str(&s->temp));
	add_source(s, &s->sql, &line_offset);
	if ((rc = run_built(s, 1, NULL, source_context(s, ctx, sizeof(ctx)), line_offset, err)) != 0)
		return rc;

	if ((rc = count_against_slice(s, tr_buf_str(&s->temp), counts, err)) != 0)
		return rc;
	r->stray_rows = counts[1];
	if (counts[1] > 0 && !load->drop_outside)
		return refuse_outside(load, counts[1], counts[0], err);

	if ((rc = reconcile_columns(s->c, tr_buf_str(&s->table), tr_buf_str(&s->temp),
				    load->add_columns, &s->catalog_step, &s->catalog_changed,
				    err)) != 0)
		return rc;
	tr_buf_reset(&s->sql);
	tr_buf_addf(&s->sql, "DELETE FROM %s WHERE (%s)", tr_buf_str(&s->table), load->slice);
	if ((rc = run_built(s, 0, &r->rows_deleted, "deleting the partition's rows", 0, err)) != 0)
		return rc;
	tr_buf_reset(&s->sql);
	tr_buf_addf(&s->sql, "INSERT INTO %s BY NAME SELECT * FROM %s", tr_buf_str(&s->table),
		    tr_buf_str(&s->temp));
	if (counts[1] > 0)
		tr_buf_addf(&s->sql, " WHERE (%s) IS TRUE", load->slice);
	if ((rc = run_built(s, 0, NULL, "inserting the rows", 0, err)) != 0)
		return rc;
	/* Every slice row was deleted and every inserted row is in the slice. */
	r->row_count = counts[0] - counts[1];
	/* the table's columns, now the query's: what a load plan needs (see the top) */
	if (load->source == TR_LOAD_QUERY &&
	    (rc = read_columns(s->c, tr_buf_str(&s->table), &s->cols, "reading the table's columns",
			       err)) != 0)
		return rc;
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
	s->catalog_changed = 1;
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
				 STMTS_IN_TRANSACTION, "running the script", &s->catalog_changed,
				 NULL, err)) != 0)
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

/* ---- the fast path: load plans ------------------------------------------- */

/*
 * What, besides the SQL texts, decides the types in a load's statements: each
 * parameter's name and type (a NULL text binds SQL NULL, of its own type).
 */
static void params_signature(const tr_param *params, size_t n, tr_buf *out)
{
	size_t i = 0;

	tr_buf_reset(out);
	for (i = 0; i < n; i++)
		tr_buf_addf(out, "%s\x1f%d%s\x1e", params[i].name, (int)params[i].type,
			    params[i].type == TR_PARAM_TEXT && !params[i].text ? "n" : "");
}

static void plan_free(struct load_plan *p)
{
	free(p->table);
	free(p->query);
	free(p->slice);
	free(p->params_sig);
	free(p->table_sql);
	columns_release(&p->cols);
	stmt_release(&p->del);
	stmt_release(&p->ins);
	stmt_release(&p->ins_keep);
	stmt_release(&p->preview);
	free(p);
}

static void plan_forget(struct duck_conn *c, struct load_plan *p)
{
	struct load_plan **at = NULL;

	for (at = &c->plans; *at; at = &(*at)->next)
		if (*at == p) {
			*at = p->next;
			c->nplans--;
			plan_free(p);
			return;
		}
}

static void plans_release(struct duck_conn *c)
{
	while (c->plans)
		plan_forget(c, c->plans);
}

static struct load_plan *plan_find(struct duck_conn *c, const tr_load *load, const char *sig)
{
	struct load_plan *p = NULL;

	for (p = c->plans; p; p = p->next)
		if (strcmp(p->table, load->table) == 0 && strcmp(p->slice, load->slice) == 0 &&
		    strcmp(p->params_sig, sig) == 0 && strcmp(p->query, load->query) == 0)
			return p;
	return NULL;
}

/*
 * Makes this connection's plan for load, whose table (table_sql, quoted) has
 * the columns cols (moved into the plan, released on failure), valid under
 * catalog generation generation; rows: the rows of the load that checked it.
 * NULL on any failure, which only means no fast path.
 */
static struct load_plan *plan_make(struct duck_conn *c, const tr_load *load, const char *table_sql,
				   const char *sig, struct columns *cols, int64_t rows,
				   uint_fast64_t generation)
{
	struct load_plan *p = calloc(1, sizeof(*p)), *old = NULL;
	tr_buf sql = TR_BUF_INIT;
	tr_error ignored;

	if (!p) {
		columns_release(cols);
		return NULL;
	}
	p->table = strdup(load->table);
	p->query = strdup(load->query);
	p->slice = strdup(load->slice);
	p->params_sig = strdup(sig);
	p->table_sql = strdup(table_sql);
	p->generation = generation;
	p->last_rows = rows;
	p->cols = *cols;
	memset(cols, 0, sizeof(*cols));
	if (!p->table || !p->query || !p->slice || !p->params_sig || !p->table_sql)
		goto fail;
	tr_buf_addf(&sql, "DELETE FROM %s WHERE (%s)", table_sql, load->slice);
	if (tr_buf_failed(&sql) ||
	    stmt_prepare(c, &p->del, tr_buf_str(&sql), "load plan", 0, &ignored) != 0)
		goto fail;
	tr_buf_release(&sql);
	if (c->nplans == PLANS_PER_CONN) {
		struct load_plan *q = NULL;

		for (old = q = c->plans; q; q = q->next)
			if (q->used < old->used)
				old = q;
		plan_forget(c, old);
	}
	p->used = ++c->clock;
	p->next = c->plans;
	c->plans = p;
	c->nplans++;
	return p;
fail:
	tr_buf_release(&sql);
	plan_free(p);
	return NULL;
}

/*
 * The plan's INSERT (keep: passing the columns to __tranche_keep, which keeps
 * the preview's rows), prepared when first needed.
 */
static int plan_insert(struct duck_conn *c, struct load_plan *p, int keep, struct stmt **out,
		       tr_error *err)
{
	struct stmt *st = keep ? &p->ins_keep : &p->ins;
	size_t len = strlen(p->query), i = 0;
	tr_buf sql = TR_BUF_INIT;
	int rc = 0;

	*out = st;
	if (st->st)
		return 0;
	/* a subquery ends at ")": a final ";" of the query would end the statement early */
	while (len > 0 && strchr(" \t\r\n;", p->query[len - 1]))
		len--;
	/*
	 * __tranche_keep is a column of a projection over the query, filtered
	 * above it, not a term of a WHERE: DuckDB merges a WHERE over a subquery
	 * with the subquery's own filter into one conjunction whose terms it
	 * reorders as it runs (adaptive filters), so __tranche_keep would see —
	 * and count as strays — rows the query's own WHERE drops.
	 */
	tr_buf_addf(&sql,
		    "INSERT INTO %s BY NAME SELECT * EXCLUDE (" KEEP_COLUMN ") FROM (SELECT *, "
		    KEEP_FUNCTION "((%s) IS TRUE",
		    p->table_sql, p->slice);
	for (i = 0; keep && i < p->cols.n; i++) {
		tr_buf_adds(&sql, ", ");
		add_field_name(&sql, p->cols.names[i], 1);
	}
	tr_buf_addf(&sql, ") AS " KEEP_COLUMN " FROM (\n%.*s\n)) WHERE " KEEP_COLUMN, (int)len,
		    p->query);
	rc = tr_buf_failed(&sql) ? fail_nomem(err, "load plan")
				 : stmt_prepare(c, st, tr_buf_str(&sql), "running the query", 1, err);
	tr_buf_release(&sql);
	return rc;
}

/* The plan's preview statement for limit rows, prepared when first needed. */
static int plan_preview(struct duck_conn *c, struct load_plan *p, size_t limit, struct stmt **out,
			tr_error *err)
{
	tr_buf sql = TR_BUF_INIT;
	int rc = 0;

	*out = &p->preview;
	if (p->preview.st && p->preview_limit == limit)
		return 0;
	stmt_release(&p->preview);
	/* one more than kept, so that preview.truncated says whether more exist */
	tr_buf_addf(&sql, "SELECT * FROM %s WHERE (%s) LIMIT %zu", p->table_sql, p->slice,
		    limit_for(limit));
	rc = tr_buf_failed(&sql)
		     ? fail_nomem(err, "reading the preview")
		     : stmt_prepare(c, &p->preview, tr_buf_str(&sql), "reading the preview", 0, err);
	p->preview_limit = limit;
	tr_buf_release(&sql);
	return rc;
}

/* ---- loads checked, for every connection ---------------------------------- */

static void checked_free(struct checked_load *k)
{
	free(k->table);
	free(k->query);
	free(k->slice);
	free(k->params_sig);
	columns_release(&k->cols);
	free(k);
}

static void checked_release(struct duck_warehouse *wh)
{
	while (wh->checked) {
		struct checked_load *next = wh->checked->next;

		checked_free(wh->checked);
		wh->checked = next;
	}
	wh->nchecked = 0;
}

static int checked_is(const struct checked_load *k, const tr_load *load, const char *sig)
{
	return strcmp(k->table, load->table) == 0 && strcmp(k->slice, load->slice) == 0 &&
	       strcmp(k->params_sig, sig) == 0 && strcmp(k->query, load->query) == 0;
}

/*
 * Copies into *cols the columns another connection found for load under
 * generation (its slow load of *rows rows succeeded then). 1 when found, else 0.
 */
static int checked_find(struct duck_warehouse *wh, const tr_load *load, const char *sig,
			uint_fast64_t generation, struct columns *cols, int64_t *rows)
{
	struct checked_load *k = NULL;
	int found = 0;

	memset(cols, 0, sizeof(*cols));
	pthread_mutex_lock(&wh->lock);
	for (k = wh->checked; k; k = k->next)
		if (checked_is(k, load, sig)) {
			found = k->generation == generation && columns_copy(cols, &k->cols) == 0;
			*rows = k->rows;
			k->used = ++wh->clock;
			break;
		}
	pthread_mutex_unlock(&wh->lock);
	return found;
}

/* Notes that load's slow path succeeded under generation, finding the columns cols. */
static void checked_note(struct duck_warehouse *wh, const tr_load *load, const char *sig,
			 uint_fast64_t generation, const struct columns *cols, int64_t rows)
{
	struct checked_load *k = NULL, **at = NULL, *oldest = NULL;

	pthread_mutex_lock(&wh->lock);
	for (at = &wh->checked; *at; at = &(*at)->next)
		if (checked_is(*at, load, sig)) {
			k = *at;
			*at = k->next;
			wh->nchecked--;
			checked_free(k);
			break;
		}
	if (wh->nchecked == CHECKED_LOADS) {
		for (oldest = k = wh->checked; k; k = k->next)
			if (k->used < oldest->used)
				oldest = k;
		for (at = &wh->checked; *at != oldest; at = &(*at)->next)
			;
		*at = oldest->next;
		wh->nchecked--;
		checked_free(oldest);
	}
	k = calloc(1, sizeof(*k));
	if (k && (k->table = strdup(load->table)) && (k->query = strdup(load->query)) &&
	    (k->slice = strdup(load->slice)) && (k->params_sig = strdup(sig)) &&
	    columns_copy(&k->cols, cols) == 0) {
		k->generation = generation;
		k->rows = rows;
		k->used = ++wh->clock;
		k->next = wh->checked;
		wh->checked = k;
		wh->nchecked++;
	} else if (k) {
		checked_free(k);
	}
	pthread_mutex_unlock(&wh->lock);
}

/* Empties c->capture and opens it for want rows (0: none). */
static void capture_reset(struct duck_conn *c, size_t want)
{
	pthread_mutex_lock(&c->capture_lock);
	replay_release(&c->capture);
	c->capture_want = want;
	c->capture_failed = 0;
	atomic_store(&c->keep_rows, 0);
	atomic_store(&c->keep_outside, 0);
	atomic_store(&c->capture_open, want > 0);
	pthread_mutex_unlock(&c->capture_lock);
}

/* The preview from the rows __tranche_keep kept, named and typed as the table's columns. */
static int preview_from_capture(struct duck_conn *c, const struct load_plan *p,
				int64_t inserted, size_t preview_rows, tr_table *out, tr_error *err)
{
	const char *ctx = "reading the preview";
	size_t i = 0;
	int rc = 0;

	if (preview_rows == 0)
		return 0;
	if (c->capture_failed || table_alloc(out, p->cols.n) != 0)
		rc = fail_nomem(err, ctx);
	for (i = 0; rc == 0 && i < p->cols.n; i++) {
		out->names[i] = strdup(p->cols.names[i]);
		out->types[i] = strdup(p->cols.types[i]);
		out->numeric[i] = p->cols.numeric[i];
		if (!out->names[i] || !out->types[i])
			rc = fail_nomem(err, ctx);
	}
	if (rc == 0) {
		out->nrows = c->capture.nrows;
		out->truncated = inserted > (int64_t)preview_rows;
	}
	if (rc == 0 && out->nrows > 0)
		rc = cells_as_text(c, &c->capture, out, ctx, err);
	if (rc != 0)
		tr_table_release(out);
	return rc;
}

/* Runs the plan's preview statement into out, as the slow path's preview. */
static int preview_from_table(struct duck_conn *c, struct load_plan *p, const tr_load *load,
			      tr_table *out, tr_error *err)
{
	const char *ctx = "reading the preview";
	struct stmt *st = NULL;
	duckdb_result res;
	int rc = 0;

	memset(&res, 0, sizeof(res));
	if ((rc = plan_preview(c, p, load->preview_rows, &st, err)) == 0 &&
	    (rc = stmt_bind(st, load->params, load->n_params, 1, ctx, err)) == 0 &&
	    (rc = execute(c, st->st, 1, &res, ctx, 0, err)) == 0)
		rc = collect(c, &res, load->preview_rows, out, ctx, 0, err);
	duckdb_destroy_result(&res);
	return rc;
}

/*
 * Partitions of at most this many rows (the last time) keep their preview
 * while inserting; bigger ones read it from the table afterwards, with one
 * more statement (0.3-0.4 ms on a 2-core VM). Passing the columns to
 * __tranche_keep is free for plain columns, but DuckDB computes a column
 * made by an expression twice (for the filter and for the insert), about as
 * costly as that statement at a few thousand rows of a simple query.
 */
#define KEEP_PREVIEW_ROWS 2048

/*
 * The fast path: BEGIN, DELETE, INSERT (counting, and keeping the preview of
 * a small partition), preview of a big one, metadata, COMMIT. *fallback says
 * that the failure may come from a plan gone stale (a binder or catalog error,
 * counts that do not add up): the caller forgets the plan and loads on the
 * slow path.
 */
static int load_fast(struct load_state *s, struct load_plan *p, int *fallback, tr_error *err)
{
	struct duck_conn *c = s->c;
	const tr_load *load = s->load;
	tr_load_result *r = s->result;
	int keep = load->preview_rows > 0 && p->last_rows <= KEEP_PREVIEW_ROWS;
	int64_t inserted = 0, rows = 0, outside = 0;
	struct stmt *ins = NULL;
	int rc = 0;

	*fallback = 0;
	p->used = ++c->clock;
	if ((rc = plan_insert(c, p, keep, &ins, err)) != 0) {
		*fallback = 1;
		return rc;
	}
	capture_reset(c, keep ? load->preview_rows : 0);
	if ((rc = begin(c, err)) != 0)
		goto out;
	rc = stmt_run(c, &p->del, load->params, load->n_params, 1, &r->rows_deleted,
		      "deleting the partition's rows", 0, err);
	if (rc == 0)
		rc = stmt_run(c, ins, load->params, load->n_params, 0, &inserted,
			      "running the query", 1, err);
	atomic_store(&c->capture_open, 0);
	rows = atomic_load(&c->keep_rows);
	outside = atomic_load(&c->keep_outside);
	if (rc != 0) {
		*fallback = rc == TR_EINVAL && !atomic_load(&c->interrupted);
		goto out;
	}
	if (rows - outside != inserted) {
		*fallback = 1;
		rc = tr_error_set(err, TR_EINTERNAL,
				  "load plan: %lld rows inserted, %lld counted in the slice",
				  (long long)inserted, (long long)(rows - outside));
		goto out;
	}
	r->stray_rows = outside;
	if (outside > 0 && !load->drop_outside) {
		rc = refuse_outside(load, outside, rows, err);
		goto out;
	}
	r->row_count = inserted;
	p->last_rows = inserted;
	if (keep)
		rc = preview_from_capture(c, p, inserted, load->preview_rows, &r->preview, err);
	else if (load->preview_rows > 0)
		rc = preview_from_table(c, p, load, &r->preview, err);
	if (rc == 0 && (rc = describe_metadata(s, err)) == 0 && (rc = commit(c, err)) == 0)
		r->planned = 1;
out:
	if (rc != 0)
		rollback(c);
	capture_reset(c, 0);
	return rc;
}

/* ---- loads: the front ---------------------------------------------------- */

/*
 * After a change to the catalog committed: bumps the warehouse's generation.
 * Returns the generation a plan whose columns were read in that transaction
 * may carry: seen + 1 if nobody else bumped since seen was read (before the
 * transaction began), else seen, so that the plan is checked again.
 */
static uint_fast64_t catalog_changed(struct duck_warehouse *wh, uint_fast64_t seen)
{
	uint_fast64_t expected = seen;

	if (atomic_compare_exchange_strong(&wh->generation, &expected, seen + 1))
		return seen + 1;
	atomic_fetch_add(&wh->generation, 1);
	return seen;
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
	struct load_plan *plan = NULL;
	tr_buf sig = TR_BUF_INIT;
	uint_fast64_t generation = 0;
	int64_t rows = 0;
	int attempt = 0, fallback = 0, planned = 0, rc = 0;

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
	/* read before any transaction begins: see catalog_changed() */
	generation = atomic_load(&s.c->wh->generation);
	planned = load->source == TR_LOAD_QUERY && load->slice;
	if (planned) {
		params_signature(load->params, load->n_params, &sig);
		planned = !tr_buf_failed(&sig);
	}
	if (planned && (plan = plan_find(s.c, load, tr_buf_str(&sig))) != NULL &&
	    plan->generation != generation) {
		plan_forget(s.c, plan);
		plan = NULL;
	}
	/* a new connection (each run has its own) uses what another one checked */
	if (planned && !plan &&
	    checked_find(s.c->wh, load, tr_buf_str(&sig), generation, &s.cols, &rows))
		plan = plan_make(s.c, load, tr_buf_str(&s.table), tr_buf_str(&sig), &s.cols, rows,
				 generation);
	if (plan) {
		rc = load_fast(&s, plan, &fallback, err);
		if (rc == 0 && s.catalog_changed) /* by a metadata statement */
			catalog_changed(s.c->wh, generation);
		if (rc == 0 || !fallback)
			goto out;
		tr_load_result_release(result);
		plan_forget(s.c, plan);
	}
	if ((rc = check_one_statement(&s, err)) != 0)
		goto out;
	for (attempt = 1;; attempt++) {
		s.catalog_step = 0;
		s.catalog_changed = 0;
		columns_release(&s.cols);
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
	if (rc == 0 && s.catalog_changed)
		generation = catalog_changed(s.c->wh, generation);
	if (rc == 0 && planned && s.cols.n > 0) {
		checked_note(s.c->wh, load, tr_buf_str(&sig), generation, &s.cols,
			     result->row_count);
		plan_make(s.c, load, tr_buf_str(&s.table), tr_buf_str(&sig), &s.cols,
			  result->row_count, generation);
	}
out:
	if (rc != 0) {
		int64_t stray = result->stray_rows;

		tr_load_result_release(result);
		result->stray_rows = stray;
	}
	columns_release(&s.cols);
	tr_buf_release(&sig);
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
		c->slice_dates = 1;
		rc = tr_buf_failed(&sql) ? fail_nomem(err, "wipe")
					 : run(c, tr_buf_str(&sql), params, n, 0, NULL, deleted,
					       "deleting the slice", 0, err);
		c->slice_dates = 0;
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
	else if (!slice) /* the table is gone: every connection's plans for it are stale */
		catalog_changed(c->wh, atomic_load(&c->wh->generation));
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

/*
 * TIMESTAMPTZ values compare with the slice's TIMESTAMP bounds (wall clock in
 * the definition's zone) in the session's TimeZone: set it to that zone, so
 * that neither the machine's TZ nor another asset's zone shifts a slice.
 */
static int duck_set_timezone(tr_wconn *base, const char *tz, tr_error *err)
{
	struct duck_conn *c = to_conn(base);
	tr_buf sql = TR_BUF_INIT;
	int rc;

	if (!strcmp(c->timezone, tz))
		return 0;
	tr_buf_adds(&sql, "SET TimeZone = '");
	for (const char *p = tz; *p; p++) /* a zone name from the tz database; quoted all the same */
		tr_buf_adds(&sql, *p == '\'' ? "''" : (char[]){*p, '\0'});
	tr_buf_addc(&sql, '\'');
	if (tr_buf_failed(&sql))
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
	else
		rc = run(c, tr_buf_str(&sql), NULL, 0, 0, NULL, NULL, "setting the session's time zone",
			 0, err);
	tr_buf_release(&sql);
	if (!rc)
		snprintf(c->timezone, sizeof(c->timezone), "%s", tz);
	return rc;
}

static const struct tr_warehouse_ops duck_ops = {
	.backend = "DuckDB",
	.close = duck_close,
	.connect = duck_connect,
	.conn_close = duck_conn_close,
	.interrupt = duck_interrupt,
	.query = duck_query,
	.query_read = duck_query_read,
	.table_exists = duck_table_exists,
	.load = duck_load,
	.wipe = duck_wipe,
	.check = duck_check,
	.set_timezone = duck_set_timezone,
};
