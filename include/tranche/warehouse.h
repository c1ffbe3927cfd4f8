/*
 * tranche/warehouse.h — where asset data lives, and the one operation that
 * matters most: replacing one partition's slice of a table atomically.
 *
 * A warehouse is chosen by URL: "duckdb:PATH" (a file; missing parent
 * directories are created), "duckdb::memory:" (private, in memory). Other
 * schemes (parquet:, postgres://) are refused with TR_EINVAL for now.
 *
 * Threads: one tr_warehouse per process and database file (DuckDB corrupts a
 * file opened twice by one process); one tr_wconn per thread. A connection is
 * used by one thread at a time, except tr_wconn_interrupt, which any thread
 * may call. Another process holding the file gives TR_EIO with a message that
 * names the file and the other process, and says that only one tranche
 * process can write a DuckDB warehouse at a time.
 *
 * SQL and values: partition values never enter SQL text. Every SQL text here
 * refers to values as named parameters ($partition_key, ...) and the values
 * travel in a tr_param array. A parameter that a statement uses but the array
 * lacks is an error naming it and listing the available ones; parameters the
 * statement does not use are ignored.
 *
 * Transactions: every write runs in one transaction that is rolled back on
 * any error (DuckDB reports COMMIT success after some aborted transactions:
 * every statement's result is checked). DuckDB's extension auto-install is
 * off: nothing reaches for the network.
 *
 * Errors: 0 or a negative TR_E* code with err filled; DuckDB's message is
 * kept, on one line, after what was being done ("running the query: Binder
 * Error: ..."; the caller adds "asset monthly_sales: "). Codes: TR_EINVAL when
 * the SQL is wrong (parser, binder, catalog errors, a missing parameter) or a
 * load is refused (rows outside the slice, columns changed); TR_EIO for
 * errors while running (conversion, division, I/O, conflicts, "interrupted");
 * TR_ENOMEM when DuckDB runs out of memory.
 * Ownership: strings passed in are read during the call only; results
 * (tr_table, char *) belong to the caller.
 */
#ifndef TRANCHE_WAREHOUSE_H
#define TRANCHE_WAREHOUSE_H

#include <stddef.h>
#include <stdint.h>

#include "tranche/buf.h"
#include "tranche/error.h"
#include "tranche/json.h"

typedef struct tr_warehouse tr_warehouse;
typedef struct tr_wconn tr_wconn;

/* ---- parameters ---------------------------------------------------------- */

typedef enum {
	TR_PARAM_TEXT = 1,  /* VARCHAR */
	TR_PARAM_TIMESTAMP, /* TIMESTAMP (no zone): wall-clock microseconds since 1970-01-01 00:00 */
	TR_PARAM_TEXT_LIST, /* VARCHAR[] */
	TR_PARAM_BIGINT,
} tr_param_type;

typedef struct tr_param {
	const char *name;  /* without the '$' */
	tr_param_type type;
	const char *text;  /* TEXT (NULL binds SQL NULL) */
	int64_t value;     /* TIMESTAMP (microseconds), BIGINT */
	const char *const *list; /* TEXT_LIST: list_len strings */
	size_t list_len;
} tr_param;

/* ---- result tables ------------------------------------------------------- */

/*
 * A query result held as text: every cell rendered as DuckDB's CAST(x AS
 * VARCHAR) would render it (TIMESTAMPTZ in the session's TimeZone, which is
 * DuckDB's default: the TZ of the process), NULL for SQL NULL. For printing,
 * previews, metadata and checks: small results, capped by the caller's
 * max_rows. Every array and string is malloc'd separately; tr_table_release
 * frees them all and zeroes the struct (a zeroed table is empty and valid).
 */
typedef struct tr_table {
	size_t ncols, nrows;
	char **names;   /* ncols column names */
	char **types;   /* ncols DuckDB type names: "BIGINT", "VARCHAR", "DECIMAL(18,2)" */
	int *numeric;   /* ncols: 1 for numeric types (right-aligned in text, numbers in JSON) */
	char **cells;   /* nrows * ncols, row-major; NULL = SQL NULL */
	int truncated;  /* more rows existed than max_rows */
} tr_table;

void tr_table_release(tr_table *t);
/*
 * Aligned text table with a header and rule, like psql's: " a | b" lines,
 * numeric columns right-aligned, NULL shown as NULL, control characters
 * escaped (\n, \t, \xNN) so that a row stays on one line, no trailing
 * spaces. No footer: the caller says "(N rows)" or that more existed.
 * Nothing is written for a table without columns.
 */
void tr_table_write_text(const tr_table *t, tr_buf *out);
/*
 * CSV with a header row, quoted as RFC 4180 says (fields holding , " CR or LF
 * are quoted, " doubled); lines end in LF, as DuckDB's COPY writes them.
 * NULL is an empty field; the empty string is written "" to tell them apart.
 */
void tr_table_write_csv(const tr_table *t, tr_buf *out);
/*
 * An array of objects {column: value}: numeric columns as JSON numbers (the
 * text as is, so DECIMAL(38,10) and HUGEINT keep every digit; inf and nan
 * as strings), BOOLEAN columns as true/false, NULL as null, the rest strings.
 */
void tr_table_write_json(const tr_table *t, tr_json *j);
/*
 * The same cells as arrays, one per row, in column order: [[1, "a"], ...]
 * (column names may repeat in a result; arrays keep them all).
 */
void tr_table_write_json_rows(const tr_table *t, tr_json *j);

/* ---- opening ------------------------------------------------------------- */

/*
 * Opens (creating if needed) the warehouse at url. A relative path is
 * relative to base_dir (NULL: the current directory). *out is NULL on failure.
 */
int tr_warehouse_open(const char *url, const char *base_dir, tr_warehouse **out, tr_error *err);
/* Closes; every connection must be closed first. NULL is allowed. */
void tr_warehouse_close(tr_warehouse *wh);
/* The path of the database file ("" for in-memory), for messages. */
const char *tr_warehouse_path(const tr_warehouse *wh);

int tr_warehouse_connect(tr_warehouse *wh, tr_wconn **out, tr_error *err);
void tr_wconn_close(tr_wconn *c);
/*
 * Stops the operation running on c (from any thread): it fails with TR_EIO
 * "...: interrupted" and its transaction is rolled back; c stays usable. An
 * interrupt that arrives while no operation runs is forgotten: the next
 * operation runs normally. c must stay open until this returns.
 */
void tr_wconn_interrupt(tr_wconn *c);

/* ---- queries ------------------------------------------------------------- */

/*
 * Runs sql (one or several statements; the last one's rows are returned) with
 * params bound, outside any transaction tranche manages. At most max_rows rows
 * are kept (out->truncated says whether more existed). out may be NULL to
 * discard rows. Statements without rows give a table with no columns.
 */
int tr_wconn_query(tr_wconn *c, const char *sql, const tr_param *params, size_t n_params,
		   size_t max_rows, tr_table *out, tr_error *err);
/*
 * tr_wconn_query, read-only: every statement runs in one READ ONLY
 * transaction that is rolled back at the end, and only statements that read
 * are run — SELECT (and FROM, WITH, VALUES, SHOW, DESCRIBE, SUMMARIZE),
 * EXPLAIN, CALL. Any other statement, or a write the database refuses in the
 * transaction (EXPLAIN ANALYZE INSERT, nextval), fails the query with
 * TR_EINVAL naming the statement, and *writes (may be NULL) is set to 1 (0
 * otherwise). Nothing is changed, whatever the SQL. For tranche serve's
 * POST /api/query, where other threads write the same database.
 */
int tr_wconn_query_read(tr_wconn *c, const char *sql, const tr_param *params, size_t n_params,
			size_t max_rows, tr_table *out, int *writes, tr_error *err);

/*
 * The zone in which the connection's statements turn TIMESTAMP values into
 * TIMESTAMPTZ ones (DuckDB's TimeZone setting), e.g. where a TIMESTAMPTZ
 * column meets a slice's bounds. The executor sets the zone of the asset's
 * time partitions (else UTC) before each step. A name of the tz database.
 */
int tr_wconn_set_timezone(tr_wconn *c, const char *tz, tr_error *err);

/* 1 when table (maybe "schema.table") exists, 0 when not, negative on error. */
int tr_wconn_table_exists(tr_wconn *c, const char *table, tr_error *err);

/* ---- loads --------------------------------------------------------------- */

typedef enum {
	TR_LOAD_QUERY = 1, /* rows of `query` (one SELECT-like statement) */
	TR_LOAD_FILE,      /* rows of `file` in `file_format` */
	TR_LOAD_SCRIPT,    /* run `query` (several statements); tranche writes no rows itself */
} tr_load_source;

/* Rows kept of each metadata query's result. */
#define TR_WAREHOUSE_METADATA_ROWS 20

typedef struct tr_named_sql {
	const char *name;
	const char *sql;
} tr_named_sql;

typedef struct tr_load {
	const char *table;       /* target table, "name" or "schema.name"; quoted as an identifier */
	tr_load_source source;
	const char *query;       /* QUERY, SCRIPT */
	const char *file;        /* FILE: path of the rows */
	const char *file_format; /* FILE: "csv", "json" (JSON lines or array) or "parquet" */
	/*
	 * The slice: a boolean SQL expression over the table's columns that is
	 * true exactly for the rows of the partition(s) being written, referring
	 * to values only through parameters, e.g.
	 *   (order_date) >= $partition_start AND (order_date) < $partition_end
	 * NULL: the table is unpartitioned and is replaced whole.
	 */
	const char *slice;
	const tr_param *params;
	size_t n_params;
	int add_columns;  /* on_schema_change: add_columns (else a column change is an error) */
	int drop_outside; /* outside_rows: drop (else rows outside the slice fail the load) */
	/* After writing, inside the same transaction: */
	size_t preview_rows;          /* rows of the slice kept in result->preview (0: none) */
	const tr_named_sql *metadata; /* queries whose results are kept in result->metadata */
	size_t n_metadata;
} tr_load;

typedef struct tr_load_result {
	int64_t row_count;    /* rows in the slice after the load (the whole table if unpartitioned) */
	int64_t rows_deleted; /* rows of the slice before the load */
	int64_t stray_rows;   /* rows outside the slice (dropped, or the reason of failure) */
	int created;          /* the table did not exist before */
	tr_table preview;     /* first preview_rows rows of the slice */
	tr_table *metadata;   /* n_metadata tables, in order (NULL when none) */
	size_t n_metadata;
	/*
	 * Informational: the load reused what this connection prepared for an
	 * earlier load of the same query, table, slice and parameter types (the
	 * DuckDB backend's fast path); the results are the same either way.
	 */
	int planned;
} tr_load_result;

/*
 * Replaces the slice of load->table with the source's rows, in one
 * transaction: the new rows are computed first (params bound), rows outside
 * the slice are counted (refused with TR_EINVAL "N rows ... fall outside the
 * partition" unless drop_outside), the table is created from the rows'
 * columns if it does not exist, a change of columns is refused (TR_EINVAL,
 * naming added/removed/retyped columns) unless add_columns and the change is
 * only new columns (then ALTER TABLE ADD COLUMN), then DELETE the slice and
 * INSERT BY NAME; unpartitioned: CREATE OR REPLACE. SCRIPT: the statements run
 * in the transaction and row_count counts the slice of `table` if it exists.
 * On any error nothing is changed. result (may be NULL) is filled on success
 * (release with tr_load_result_release); on failure it is left empty except
 * stray_rows. Metadata results keep TR_WAREHOUSE_METADATA_ROWS rows at most.
 *
 * Several threads may load different slices of one table at once, even of a
 * table that does not exist yet (a load that loses the race to create the
 * table, its schema or a new column starts over). Two loads of the same slice
 * at once conflict or duplicate rows: the caller keeps them apart.
 * FILE: a relative path is relative to the current directory.
 */
int tr_wconn_load(tr_wconn *c, const tr_load *load, tr_load_result *result, tr_error *err);
void tr_load_result_release(tr_load_result *r);

/*
 * Deletes the slice (params bound) of table in one transaction; slice NULL
 * drops the table. *deleted (may be NULL) is the number of rows removed.
 * A missing table is not an error (0 rows).
 */
int tr_wconn_wipe(tr_wconn *c, const char *table, const char *slice, const tr_param *params,
		  size_t n_params, int64_t *deleted, tr_error *err);

/*
 * Runs a check: sql (one SELECT; a final ';' is allowed) returns the failing
 * rows. *failing (may be NULL) is their count; up to max_sample of them are
 * kept in sample (may be NULL; sample->truncated when more failed). The count
 * and the sample come from one transaction.
 */
int tr_wconn_check(tr_wconn *c, const char *sql, const tr_param *params, size_t n_params,
		   size_t max_sample, int64_t *failing, tr_table *sample, tr_error *err);

/*
 * Appends identifier (maybe "schema.name") double-quoted for SQL text: every
 * '.' separates parts ("s.t" -> "s"."t"), embedded '"' are doubled.
 */
void tr_sql_quote_ident(tr_buf *out, const char *ident);

#endif
