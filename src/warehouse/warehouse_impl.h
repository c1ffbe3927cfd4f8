/*
 * warehouse_impl.h — what a warehouse backend implements (internal to src/warehouse/).
 *
 * A backend defines structs whose first members are a `struct tr_warehouse`
 * and a `struct tr_wconn`, each pointing at the backend's table of operations,
 * and an open function listed in the scheme table in warehouse.c. The front
 * (warehouse.c) checks every argument before calling an operation, so a
 * backend may assume: handles are its own and non-NULL; table names are
 * non-empty; SQL texts are non-NULL; params (n_params of them) have non-empty
 * names; a load's fields match its source (query for QUERY and SCRIPT, file
 * and a known file_format for FILE); output pointers are non-NULL and already
 * set to empty (tables zeroed, counters 0). A backend sets err on every failure
 * and leaves the warehouse unchanged when a write fails.
 */
#ifndef TRANCHE_WAREHOUSE_IMPL_H
#define TRANCHE_WAREHOUSE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "tranche/error.h"
#include "tranche/warehouse.h"

struct tr_warehouse_ops {
	const char *backend; /* "DuckDB": for messages */
	void (*close)(tr_warehouse *wh);
	int (*connect)(tr_warehouse *wh, tr_wconn **out, tr_error *err);
	void (*conn_close)(tr_wconn *c);
	void (*interrupt)(tr_wconn *c); /* any thread */
	int (*query)(tr_wconn *c, const char *sql, const tr_param *params, size_t n_params,
		     size_t max_rows, tr_table *out /* may be NULL */, tr_error *err);
	int (*query_read)(tr_wconn *c, const char *sql, const tr_param *params, size_t n_params,
			  size_t max_rows, tr_table *out /* may be NULL */,
			  int *writes /* may be NULL */, tr_error *err);
	int (*table_exists)(tr_wconn *c, const char *table, tr_error *err);
	int (*load)(tr_wconn *c, const tr_load *load, tr_load_result *result, tr_error *err);
	int (*wipe)(tr_wconn *c, const char *table, const char *slice /* may be NULL */,
		    const tr_param *params, size_t n_params, int64_t *deleted, tr_error *err);
	int (*check)(tr_wconn *c, const char *sql, const tr_param *params, size_t n_params,
		     size_t max_sample, int64_t *failing, tr_table *sample /* may be NULL */,
		     tr_error *err);
	int (*set_timezone)(tr_wconn *c, const char *tz, tr_error *err);
};

struct tr_warehouse {
	const struct tr_warehouse_ops *ops;
	const char *path; /* owned by the backend: the file, "" in memory */
};

struct tr_wconn {
	const struct tr_warehouse_ops *ops;
};

/*
 * A backend's open function. shown is the location as the user wrote it, for
 * messages; path is the file to open, already resolved against base_dir and
 * with its parent directories created, or NULL for a private in-memory
 * database. On failure *out is left NULL.
 */
typedef int (*warehouse_open_fn)(const char *shown, const char *path, tr_warehouse **out,
				 tr_error *err);

/* src/warehouse/duckdb.c */
int tr_warehouse_duckdb_open(const char *shown, const char *path, tr_warehouse **out,
			     tr_error *err);

#endif
