/*
 * project_int.h — declarations shared by the files of src/project/:
 * project.c (loader, graph), select.c (selection syntax) and sqlrefs.c (the
 * tables a SQL text reads). Nothing outside src/project includes this, except
 * its unit test.
 */
#ifndef TRANCHE_PROJECT_INT_H
#define TRANCHE_PROJECT_INT_H

#include <stddef.h>

#include "tranche/project.h"
#include "tranche/storage.h" /* tr_strv_free */

/*
 * What tr_project.internal points at: the graph in the downstream direction
 * and the inline partitions definitions the project owns.
 */
typedef struct project_graph {
	size_t **down;   /* n_assets arrays: down[i] = the assets that depend on i, ascending */
	size_t *n_down;  /* their lengths */
	tr_partdef **inline_defs; /* n_assets: the asset's own definition, or NULL */
} project_graph;

/*
 * The tables that a SQL text (one query, or a script of statements) reads:
 * the names after FROM and JOIN (comma-separated FROM lists included),
 * schema-qualified names joined with '.', quoted identifiers unquoted
 * ("My Table" gives My Table). Skipped: string literals ('..', E'..',
 * $$..$$), comments (line comments after --, and block
 * comments, nested as in PostgreSQL), names defined by WITH ... AS
 * (...) where they are visible, table functions (read_csv(...)), subqueries,
 * VALUES, the FROM of EXTRACT/SUBSTRING/TRIM/OVERLAY, IS [NOT] DISTINCT FROM
 * and DELETE FROM (a table written, not read).
 * A scanner, not a parser: it never fails on bad SQL (the warehouse reports
 * that), it just reports what it recognised.
 *
 * Returns 0 with *names a malloc'd array of *n malloc'd strings — unique
 * (case-insensitively, as DuckDB compares identifiers), in order of first
 * appearance, spelled as first written; free with tr_strv_free
 * (tranche/storage.h). *names is
 * NULL when *n is 0. TR_ENOMEM when memory runs out. sql may be NULL.
 */
int tr_sql_tables_read(const char *sql, char ***names, size_t *n);

/*
 * A table name as DuckDB resolves it, for comparing: lower case, a catalog
 * prefix dropped ("db.main.t" -> "main.t") and the default schema dropped
 * ("main.t" -> "t"). Returns a malloc'd string or NULL (no memory).
 */
char *project_table_key(const char *table);

/* Levenshtein distance (capped: long strings give a large value). */

/* The candidate nearest to name (distance <= 3, or a case-insensitive match), or NULL. */
const char *project_nearest(const char *name, const char *const *candidates, size_t n);

/* The keys of an asset and the top-level keys, from the loader's tables (i-th, NULL past
   the end): for tests that check docs/project.md documents every key. */
const char *project_asset_key(size_t i);
const char *project_top_key(size_t i);
/* The keys under an asset's `http:`, likewise. */
const char *project_http_key(size_t i);

#endif
