/*
 * test_project.c — the project file loader, the asset graph, dependency
 * inference from SQL (the table scanner included), the order, and the
 * selection syntax (src/project/). Every refusal is its own case and checks
 * the message's position and key path.
 */
#include "testutil.h"

#include <sys/stat.h>
#include <unistd.h>

#include "project/project_int.h"
#include "tranche/project.h"

/* ---- helpers ----------------------------------------------------------------------------- */

static tr_project *load_ok(const char *yaml)
{
	tr_error err = {0};
	tr_project *p = NULL;

	assert_ok(tr_project_parse(yaml, "tranche.yaml", "/nonexistent", &p, &err), &err);
	assert_non_null(p);
	return p;
}

/* Loading yaml fails with `code` and a message starting with `prefix`. */
static void assert_refused_in(const char *yaml, const char *dir, int code, const char *prefix)
{
	tr_error err = {0};
	tr_project *p = (tr_project *)1;
	int rc = tr_project_parse(yaml, "tranche.yaml", dir, &p, &err);

	if (rc != code || strncmp(err.msg, prefix, strlen(prefix)) != 0)
		fail_msg("got %d \"%s\"\nwant %d \"%s...\"", rc, err.msg, code, prefix);
	assert_null(p);
}

static void assert_refused(const char *yaml, const char *prefix)
{
	assert_refused_in(yaml, "/nonexistent", TR_EINVAL, prefix);
}

/* The tables tr_sql_tables_read finds, joined with ", ". */
static void assert_tables(const char *sql, const char *want)
{
	char **names = NULL, got[1024] = "";
	size_t n = 0, at = 0;

	assert_int_equal(tr_sql_tables_read(sql, &names, &n), 0);
	for (size_t i = 0; i < n; i++)
		at += (size_t)snprintf(got + at, sizeof(got) - at, "%s%s", i ? ", " : "", names[i]);
	if (strcmp(got, want) != 0)
		fail_msg("tables read by:\n%s\ngot  [%s]\nwant [%s]", sql, got, want);
	tr_strv_free(names, n);
}

static size_t idx(const tr_project *p, const char *name)
{
	tr_error err = {0};
	size_t i = 0;

	assert_ok(tr_project_find(p, name, &i, &err), &err);
	return i;
}

/* The upstream assets of `name`, as "a, b*" (* = inferred). */
static void assert_deps(const tr_project *p, const char *name, const char *want)
{
	const tr_asset *a = &p->assets[idx(p, name)];
	char got[512] = "";
	size_t at = 0;

	for (size_t i = 0; i < a->n_deps; i++)
		at += (size_t)snprintf(got + at, sizeof(got) - at, "%s%s%s", i ? ", " : "",
				       p->assets[a->deps[i].asset].name, a->deps[i].inferred ? "*" : "");
	if (strcmp(got, want) != 0)
		fail_msg("deps of %s: got [%s], want [%s]", name, got, want);
}

static void assert_order(const tr_project *p, const char *want)
{
	char got[512] = "";
	size_t at = 0;

	for (size_t i = 0; i < p->n_assets; i++)
		at += (size_t)snprintf(got + at, sizeof(got) - at, "%s%s", i ? ", " : "",
				       p->assets[p->order[i]].name);
	if (strcmp(got, want) != 0)
		fail_msg("order: got [%s], want [%s]", got, want);
}

/* The selected assets in declaration order, "a, b"; or the error message. */
static void assert_selects(const tr_project *p, const char *selection, const char *want)
{
	unsigned char sel[64];
	char got[1024] = "";
	size_t at = 0;
	tr_error err = {0};

	assert_true(p->n_assets <= sizeof(sel));
	if (tr_project_select(p, selection, sel, &err))
		fail_msg("select \"%s\": %s", selection, err.msg);
	for (size_t i = 0; i < p->n_assets; i++)
		if (sel[i])
			at += (size_t)snprintf(got + at, sizeof(got) - at, "%s%s", at ? ", " : "",
					       p->assets[i].name);
	if (strcmp(got, want) != 0)
		fail_msg("select \"%s\": got [%s], want [%s]", selection, got, want);
}

static void assert_select_refused(const tr_project *p, const char *selection, int code,
				  const char *want)
{
	unsigned char sel[64];
	tr_error err = {0};
	int rc;

	memset(sel, 7, sizeof(sel));
	rc = tr_project_select(p, selection, sel, &err);
	if (rc != code || strcmp(err.msg, want) != 0)
		fail_msg("select \"%s\": got %d \"%s\"\nwant %d \"%s\"", selection, rc, err.msg, code,
			 want);
	for (size_t i = 0; i < p->n_assets; i++)
		assert_int_equal(sel[i], 0);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *make_dir(void)
{
	char tmpl[] = "/tmp/tranche-test-project-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static void remove_dir(char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

/* ---- the SQL scanner ----------------------------------------------------------------------- */

static void test_sql_simple(void **state)
{
	(void)state;
	assert_tables("SELECT * FROM sales", "sales");
	assert_tables("select a from Sales s where x = 1", "Sales");
	assert_tables("SELECT 1", "");
	assert_tables("", "");
	assert_tables(NULL, "");
	assert_tables("FROM orders SELECT order_date, sum(amount) GROUP BY 1", "orders");
}

static void test_sql_joins_and_commas(void **state)
{
	(void)state;
	assert_tables("SELECT * FROM a JOIN b ON a.id = b.id LEFT OUTER JOIN c USING (id) "
		      "CROSS JOIN d ASOF JOIN e ON a.t >= e.t",
		      "a, b, c, d, e");
	assert_tables("SELECT * FROM a, b AS bb, c cc(x, y), d, e(1) WHERE a.x = b.x", "a, b, c, d");
	assert_tables("SELECT * FROM a JOIN b ON a.id = b.id, c", "a, b, c");
	/* commas after the FROM clause are not tables */
	assert_tables("SELECT * FROM a ORDER BY x, y", "a");
	assert_tables("SELECT x, count(*) FROM a GROUP BY x, y HAVING count(*) > 1", "a");
	assert_tables("SELECT * FROM a WHERE x IN (1, 2, 3) LIMIT 5", "a");
	assert_tables("SELECT * FROM a JOIN b ON a.id = b.id AND a.x IN (1, 2)", "a, b");
}

static void test_sql_qualified_and_quoted(void **state)
{
	(void)state;
	assert_tables("SELECT * FROM raw.orders o JOIN \"Main\".\"My Sales\" s ON o.id = s.id",
		      "raw.orders, Main.My Sales");
	assert_tables("SELECT * FROM db.main.orders", "db.main.orders");
	assert_tables("SELECT * FROM \"sales\" JOIN \"we\"\"ird\"", "sales, we\"ird");
	assert_tables("SELECT * FROM sales JOIN SALES ON true JOIN \"Sales\" ON true", "sales");
}

static void test_sql_ctes(void **state)
{
	(void)state;
	assert_tables("WITH x AS (SELECT * FROM a), y (c) AS MATERIALIZED (SELECT * FROM x) "
		      "SELECT * FROM y JOIN b ON true",
		      "a, b");
	assert_tables("WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r) "
		      "SELECT * FROM r",
		      "");
	/* a CTE is visible in its statement only; outside it the name is a table */
	assert_tables("SELECT * FROM (WITH t AS (SELECT 1) SELECT * FROM t) s JOIN t ON true", "t");
	assert_tables("WITH t AS (SELECT 1) SELECT * FROM t; SELECT * FROM t", "t");
	/* a non-recursive CTE's body sees the table of the same name */
	assert_tables("WITH sales AS (SELECT * FROM sales WHERE x) SELECT * FROM sales", "sales");
	/* WITH that is not a CTE list */
	assert_tables("SELECT * FROM unnest([1]) WITH ORDINALITY, a", "a");
}

static void test_sql_comments_and_strings(void **state)
{
	(void)state;
	assert_tables("-- SELECT * FROM nope\nSELECT /* FROM nope2 /* nested */ FROM nope3 */ 1 "
		      "FROM a -- FROM nope4",
		      "a");
	assert_tables("SELECT 'FROM nope', 'it''s FROM nope2' FROM a WHERE b = E'x\\' FROM nope3'",
		      "a");
	assert_tables("SELECT $$ FROM nope $$, $tag$ FROM nope2 $ $tag$ FROM a "
		      "WHERE d >= $partition_start AND e = $1",
		      "a");
	assert_tables("SELECT \"FROM\" FROM a", "a");
	/* unterminated: whatever was read before */
	assert_tables("SELECT * FROM a WHERE x = 'oops", "a");
	assert_tables("SELECT * FROM a /* oops", "a");
}

static void test_sql_functions_and_subqueries(void **state)
{
	(void)state;
	assert_tables("SELECT * FROM read_csv('data/*.csv', header = true) r, a", "a");
	assert_tables("SELECT * FROM read_parquet(['x.parquet']) JOIN b USING (id)", "b");
	assert_tables("SELECT * FROM 'data/orders.csv'", "");
	assert_tables("SELECT * FROM generate_series(1, 3) g(i), LATERAL (SELECT * FROM c) l", "c");
	assert_tables("SELECT * FROM (SELECT * FROM a) s, b WHERE s.id IN (SELECT id FROM c)",
		      "a, b, c");
	assert_tables("SELECT * FROM (VALUES (1), (2)) v(x)", "");
	assert_tables("SELECT extract(year FROM d), substring(s FROM 2 FOR 3), trim(both 'x' "
		      "FROM s), d IS DISTINCT FROM e, f IS NOT DISTINCT FROM g FROM a",
		      "a");
	assert_tables("SELECT * FROM a UNION ALL SELECT * FROM b EXCEPT SELECT * FROM c",
		      "a, b, c");
}

static void test_sql_scripts(void **state)
{
	(void)state;
	assert_tables("DELETE FROM summary WHERE d = $partition_key;\n"
		      "INSERT INTO summary SELECT * FROM monthly_sales m JOIN regions r ON true;\n"
		      "UPDATE summary SET x = o.x FROM other o WHERE summary.id = o.id;",
		      "monthly_sales, regions, other");
	assert_tables("CREATE OR REPLACE TABLE t AS FROM a; COPY t FROM 'x.csv'", "a");
	assert_tables("MERGE INTO t USING src s ON t.id = s.id WHEN MATCHED THEN UPDATE SET x = 1; "
		      "DELETE FROM t USING gone g WHERE t.id = g.id",
		      "src, gone");
	assert_tables("SELECT * FROM a JOIN b USING (id) USING SAMPLE 10", "a, b");
}

/* ---- a whole project ---------------------------------------------------------------------- */

static const char full_project[] =
	"name: shop\n"
	"warehouse: duckdb:data/shop.duckdb\n"
	"storage: sqlite:.tranche/shop.db\n"
	"partitions:\n"
	"  daily: {type: daily, start: 2024-01-01}\n"
	"  monthly: {type: monthly, start: 2024-01-01}\n"
	"assets:\n"
	"  raw_orders:\n"
	"    command: [python3, load.py, --day, \"$TRANCHE_PARTITION_KEY\"]\n"
	"    partitions: daily\n"
	"    partition_expr: order_date\n"
	"    output_format: parquet\n"
	"    timeout: 5m\n"
	"    env: {API_URL: \"https://example.com\", RETRIES: 3}\n"
	"    table: raw.orders\n"
	"    group: ingest\n"
	"    owners: [team:data, ana@example.com]\n"
	"    tags: {tier: bronze}\n"
	"    on_schema_change: add_columns\n"
	"    outside_rows: drop\n"
	"  daily_sales:\n"
	"    sql: |\n"
	"      SELECT order_date, sum(amount) AS amount\n"
	"      FROM raw.orders\n"
	"      WHERE order_date >= $partition_start AND order_date < $partition_end\n"
	"      GROUP BY order_date\n"
	"    partitions: daily\n"
	"    partition_expr: order_date\n"
	"    description: Sales per day\n"
	"    code_version: 3\n"
	"    metadata:\n"
	"      total: SELECT sum(amount) FROM daily_sales\n"
	"    checks:\n"
	"      - name: no_negative\n"
	"        sql: SELECT * FROM daily_sales WHERE amount < 0\n"
	"        severity: error\n"
	"        blocking: true\n"
	"        description: amounts are never negative\n"
	"      - name: not_empty\n"
	"        sql: SELECT 1 WHERE (SELECT count(*) FROM daily_sales) = 0\n"
	"    tags: {tier: silver, domain: sales}\n"
	"  monthly_sales:\n"
	"    sql_file: sql/monthly_sales.sql\n"
	"    partitions: monthly\n"
	"    partition_expr: month\n"
	"    deps:\n"
	"      - {asset: daily_sales, mapping: {type: time_window}}\n"
	"    group: reporting\n"
	"  summary:\n"
	"    script_file: sql/summary.sql\n"
	"    deps: [monthly_sales]\n"
	"    group: reporting\n"
	"  shell_report:\n"
	"    command: echo hi > \"$TRANCHE_OUTPUT\"\n"
	"    timeout: 90\n";

static void test_full_project(void **state)
{
	char *dir = make_dir(), sub[600];
	tr_project *p;
	tr_error err = {0};
	const tr_asset *a;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/sql", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	write_file(dir, "sql/monthly_sales.sql",
		   "SELECT date_trunc('month', order_date) AS month, sum(amount) FROM daily_sales "
		   "GROUP BY 1\n");
	write_file(dir, "sql/summary.sql", "CREATE OR REPLACE TABLE summary AS FROM monthly_sales;\n");
	write_file(dir, "tranche.yaml", full_project);
	assert_ok(tr_project_load(dir, &p, &err), &err);

	assert_string_equal(p->name, "shop");
	assert_string_equal(p->warehouse, "duckdb:data/shop.duckdb");
	assert_string_equal(p->storage, "sqlite:.tranche/shop.db");
	assert_string_equal(p->dir, dir);
	snprintf(sub, sizeof(sub), "%s/tranche.yaml", dir);
	assert_string_equal(p->path, sub);
	assert_int_equal(p->n_partitions, 2);
	assert_string_equal(p->partitions[1].name, "monthly");
	assert_int_equal(p->n_assets, 5);

	a = &p->assets[0];
	assert_string_equal(a->name, "raw_orders");
	assert_int_equal(a->kind, TR_ASSET_COMMAND);
	assert_string_equal(tr_asset_kind_name(a->kind), "command");
	assert_int_equal(a->line, 8);
	assert_int_equal(a->col, 3);
	assert_int_equal(a->command_argc, 4);
	assert_string_equal(a->command[0], "python3");
	assert_string_equal(a->command[3], "$TRANCHE_PARTITION_KEY");
	assert_null(a->command[4]);
	assert_string_equal(a->output_format, "parquet");
	assert_int_equal(a->timeout_ms, 300000);
	assert_int_equal(a->n_env, 2);
	assert_string_equal(a->env[1].key, "RETRIES");
	assert_string_equal(a->env[1].value, "3");
	assert_string_equal(a->table, "raw.orders");
	assert_string_equal(a->group, "ingest");
	assert_int_equal(a->n_owners, 2);
	assert_string_equal(a->owners[1], "ana@example.com");
	assert_int_equal(a->n_tags, 1);
	assert_string_equal(a->tags[0].key, "tier");
	assert_int_equal(a->add_columns, 1);
	assert_int_equal(a->drop_outside, 1);
	assert_ptr_equal(a->partdef, p->partitions[0].def);
	assert_string_equal(a->partitions_name, "daily");
	assert_int_equal(a->n_partition_expr, 1);
	assert_int_equal(a->n_deps, 0);

	a = &p->assets[1];
	assert_int_equal(a->kind, TR_ASSET_SQL);
	assert_null(a->sql_file);
	assert_non_null(strstr(a->sql, "GROUP BY order_date"));
	assert_string_equal(a->partition_expr[0], "order_date");
	assert_string_equal(a->description, "Sales per day");
	assert_string_equal(a->code_version, "3");
	assert_string_equal(a->table, "daily_sales");
	assert_string_equal(a->group, "default");
	assert_int_equal(a->add_columns, 0);
	assert_int_equal(a->drop_outside, 0);
	assert_null(a->output_format);
	assert_int_equal(a->timeout_ms, 0);
	assert_int_equal(a->n_metadata, 1);
	assert_string_equal(a->metadata[0].name, "total");
	assert_int_equal(a->n_checks, 2);
	assert_string_equal(a->checks[0].name, "no_negative");
	assert_int_equal(a->checks[0].severity_error, 1);
	assert_int_equal(a->checks[0].blocking, 1);
	assert_string_equal(a->checks[0].description, "amounts are never negative");
	assert_int_equal(a->checks[1].severity_error, 0);
	assert_int_equal(a->checks[1].blocking, 0);
	assert_null(a->checks[1].description);
	assert_int_equal(a->n_tags, 2);
	assert_int_equal(a->deps_declared, 0);
	/* inferred from FROM raw.orders; daily -> daily is time_window by default */
	assert_deps(p, "daily_sales", "raw_orders*");
	assert_int_equal(a->deps[0].line, 21);
	assert_string_equal(tr_mapping_type_name(a->deps[0].mapping), "time_window");

	a = &p->assets[2];
	assert_int_equal(a->kind, TR_ASSET_SQL);
	assert_string_equal(a->sql_file, "sql/monthly_sales.sql");
	assert_non_null(strstr(a->sql, "date_trunc('month'"));
	assert_int_equal(a->deps_declared, 1);
	assert_deps(p, "monthly_sales", "daily_sales");
	assert_int_equal(a->deps[0].line, 47);
	assert_int_equal(a->deps[0].col, 17);

	a = &p->assets[3];
	assert_int_equal(a->kind, TR_ASSET_SCRIPT);
	assert_string_equal(a->sql_file, "sql/summary.sql");
	assert_null(a->partdef);
	assert_deps(p, "summary", "monthly_sales");
	assert_string_equal(tr_mapping_type_name(a->deps[0].mapping), "all");

	a = &p->assets[4];
	assert_int_equal(a->command_argc, 3);
	assert_string_equal(a->command[0], "/bin/sh");
	assert_string_equal(a->command[1], "-c");
	assert_string_equal(a->command[2], "echo hi > \"$TRANCHE_OUTPUT\"");
	assert_null(a->command[3]);
	assert_int_equal(a->timeout_ms, 90000);

	assert_order(p, "raw_orders, daily_sales, monthly_sales, summary, shell_report");
	tr_project_free(p);
	remove_dir(dir);
}

static void test_defaults(void **state)
{
	tr_project *p = load_ok("name: tiny\n");

	(void)state;
	assert_string_equal(p->warehouse, "duckdb:data/warehouse.duckdb");
	assert_string_equal(p->storage, "sqlite:.tranche/instance.db");
	assert_int_equal(p->n_assets, 0);
	assert_int_equal(p->n_partitions, 0);
	assert_string_equal(p->path, "tranche.yaml");
	tr_project_free(p);
	p = load_ok("name: tiny\nassets:\n  a: {sql: SELECT 1}\n  b:\n    description:\n"
		    "    script: CREATE TABLE b AS SELECT 1\n");
	/* a null value is the same as no value */
	assert_null(p->assets[1].description);
	assert_string_equal(p->assets[1].group, "default");
	assert_string_equal(p->assets[1].table, "b");
	assert_int_equal(p->assets[1].deps_declared, 0);
	tr_project_free(p);
}

static void test_load_directory_and_missing(void **state)
{
	char *dir = make_dir(), want[700], file[600];
	tr_project *p = (tr_project *)1;
	tr_error err = {0};

	(void)state;
	assert_int_equal(tr_project_load(dir, &p, &err), TR_ENOTFOUND);
	snprintf(want, sizeof(want), "no tranche.yaml in %s (create one with \"tranche init\")", dir);
	assert_string_equal(err.msg, want);
	assert_null(p);
	snprintf(file, sizeof(file), "%s/other.yaml", dir);
	assert_int_equal(tr_project_load(file, &p, &err), TR_ENOTFOUND);
	write_file(dir, "other.yaml", "name: x\nassets:\n  a: {sql: SELECT 1}\n");
	assert_ok(tr_project_load(file, &p, &err), &err);
	assert_string_equal(p->path, file);
	assert_string_equal(p->dir, dir);
	tr_project_free(p);
	remove_dir(dir);
}

static void test_sql_file_unreadable(void **state)
{
	char *dir = make_dir(), want[900];

	(void)state;
	snprintf(want, sizeof(want),
		 "tranche.yaml:4:15: assets.monthly.sql_file: cannot read \"sql/monthly.sql\" "
		 "(%s/sql/monthly.sql): No such file or directory",
		 dir);
	assert_refused_in("name: x\n"
			  "assets:\n"
			  "  monthly:\n"
			  "    sql_file: sql/monthly.sql\n",
			  dir, TR_EINVAL, want);
	remove_dir(dir);
}

/* ---- refusals ------------------------------------------------------------------------------ */

static void test_refuse_no_name(void **state)
{
	(void)state;
	assert_refused("assets: {}\n", "tranche.yaml:1:1: name: required: the project's name");
}

static void test_refuse_unknown_top_key(void **state)
{
	(void)state;
	assert_refused("name: x\nasets: {}\n",
		       "tranche.yaml:2:1: top level: unknown key \"asets\" (did you mean \"assets\"? "
		       "valid keys: name, warehouse, storage, partitions, pools, defaults, assets)");
}

static void test_refuse_bad_url(void **state)
{
	(void)state;
	assert_refused("name: x\nwarehouse: mysql://db\n",
		       "tranche.yaml:2:12: warehouse: \"mysql://db\" is not a URL tranche knows "
		       "(valid: duckdb:PATH, parquet:DIR, postgres://...)");
}

static void test_refuse_bad_asset_name(void **state)
{
	(void)state;
	assert_refused("name: x\nassets:\n  monthly-sales: {sql: SELECT 1}\n",
		       "tranche.yaml:3:3: assets.monthly-sales: \"monthly-sales\" is not a valid asset "
		       "name: asset names are table names");
}

static void test_refuse_no_kind(void **state)
{
	(void)state;
	assert_refused("name: x\nassets:\n  a:\n    group: g\n",
		       "tranche.yaml:3:3: assets.a: says nothing about how it is made: give one of "
		       "sql, sql_file, script, script_file, command");
}

static void test_refuse_two_kinds(void **state)
{
	(void)state;
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    command: echo\n",
		       "tranche.yaml:5:5: assets.a: sql and command are both given; an asset is made "
		       "by exactly one of sql, sql_file, script, script_file, command");
}

static void test_refuse_key_of_other_kind(void **state)
{
	(void)state;
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    timeout: 5m\n",
		       "tranche.yaml:5:5: assets.a.timeout: only for command assets; this is a sql "
		       "asset");
	assert_refused("name: x\nassets:\n  a:\n    script: SELECT 1\n    outside_rows: drop\n",
		       "tranche.yaml:5:5: assets.a.outside_rows: only for sql, command and http "
		       "assets; this is a script asset");
}

static void test_refuse_wrong_node_kind(void **state)
{
	(void)state;
	assert_refused("name: x\nassets:\n  a:\n    sql: [SELECT 1]\n",
		       "tranche.yaml:4:10: assets.a.sql: expected SQL text, got a list");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    description: {a: 1}\n",
		       "tranche.yaml:5:18: assets.a.description: expected a string, got a map");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    owners: ana\n",
		       "tranche.yaml:5:13: assets.a.owners: expected a list of strings");
	assert_refused("name: [x]\n", "tranche.yaml:1:7: name: expected the project's name, got a list");
	assert_refused("name: x\nassets:\n  a: [sql]\n",
		       "tranche.yaml:3:6: assets.a: expected a map of asset keys");
}

static void test_refuse_unknown_asset_key(void **state)
{
	(void)state;
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    partition_exp: d\n",
		       "tranche.yaml:5:5: assets.a: unknown key \"partition_exp\" (did you mean "
		       "\"partition_expr\"? valid keys: sql, sql_file,");
}

static void test_refuse_unknown_partitions(void **state)
{
	(void)state;
	assert_refused("name: x\n"
		       "partitions:\n"
		       "  daily: {type: daily, start: 2024-01-01}\n"
		       "  monthly: {type: monthly, start: 2024-01-01}\n"
		       "assets:\n"
		       "  a:\n"
		       "    sql: SELECT 1\n"
		       "    partitions: dayly\n"
		       "    partition_expr: d\n",
		       "tranche.yaml:8:17: assets.a.partitions: unknown partitions \"dayly\" (did you "
		       "mean \"daily\"? defined: daily, monthly)");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    partitions: daily\n",
		       "tranche.yaml:5:17: assets.a.partitions: unknown partitions \"daily\": the "
		       "project defines none");
}

static void test_refuse_bad_inline_partitions(void **state)
{
	(void)state;
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n"
		       "    partitions: {type: daily, start: 2024-13-01}\n    partition_expr: d\n",
		       "tranche.yaml:5:38: assets.a.partitions.start: \"2024-13-01\" is not a date");
	assert_refused("name: x\npartitions:\n  m: {type: monthly}\n",
		       "tranche.yaml:3:6: partitions.m.start: required");
}

static void test_refuse_missing_partition_expr(void **state)
{
	(void)state;
	assert_refused("name: x\nassets:\n  sales:\n    sql: SELECT 1\n"
		       "    partitions: {type: daily, start: 2024-01-01}\n",
		       "tranche.yaml:3:3: assets.sales: partition_expr is required for a partitioned "
		       "sql asset: the column (or SQL expression) that holds the partition value, "
		       "which tranche compares with each partition to replace only its rows, e.g. "
		       "partition_expr: order_date");
}

static const char multi_def[] =
	"partitions:\n"
	"  m:\n"
	"    type: multi\n"
	"    dimensions:\n"
	"      region: {type: static, keys: [eu, us]}\n"
	"      date: {type: daily, start: 2024-01-01}\n"
	"      color: {type: static, keys: [red, blue]}\n";

static void test_refuse_multi_expr_string(void **state)
{
	char yaml[1024];

	(void)state;
	snprintf(yaml, sizeof(yaml),
		 "name: x\n%sassets:\n  a:\n    sql: SELECT 1\n    partitions: m\n"
		 "    partition_expr: order_date\n",
		 multi_def);
	assert_refused(yaml, "tranche.yaml:13:21: assets.a.partition_expr: the partitions are "
			     "multi, so give one column (or SQL expression) per dimension as a map: "
			     "partition_expr: {color: COLUMN, date: COLUMN, region: COLUMN}");
}

static void test_refuse_multi_expr_missing_dimension(void **state)
{
	char yaml[1024];

	(void)state;
	snprintf(yaml, sizeof(yaml),
		 "name: x\n%sassets:\n  a:\n    sql: SELECT 1\n    partitions: m\n"
		 "    partition_expr: {date: d, color: c}\n",
		 multi_def);
	assert_refused(yaml, "tranche.yaml:13:21: assets.a.partition_expr: no expression for "
			     "dimension \"region\": every dimension needs one");
}

static void test_refuse_multi_expr_unknown_dimension(void **state)
{
	char yaml[1024];

	(void)state;
	snprintf(yaml, sizeof(yaml),
		 "name: x\n%sassets:\n  a:\n    sql: SELECT 1\n    partitions: m\n"
		 "    partition_expr: {date: d, colour: c, region: r}\n",
		 multi_def);
	assert_refused(yaml, "tranche.yaml:13:31: assets.a.partition_expr: unknown key \"colour\" "
			     "(did you mean \"color\"? valid keys: color, date, region)");
}

static void test_refuse_partition_expr_unpartitioned(void **state)
{
	(void)state;
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    partition_expr: d\n",
		       "tranche.yaml:5:5: assets.a.partition_expr: the asset has no partitions");
}

static void test_refuse_unknown_dep(void **state)
{
	(void)state;
	assert_refused("name: x\n"
		       "assets:\n"
		       "  sales_data:\n"
		       "    sql: SELECT 1\n"
		       "  monthly_sales:\n"
		       "    sql: SELECT 2\n"
		       "    deps:\n"
		       "      - sales\n",
		       "tranche.yaml:8:9: assets.monthly_sales.deps[0]: unknown asset \"sales\" (did "
		       "you mean \"sales_data\"?)");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    deps: [{asset: zzz}]\n",
		       "tranche.yaml:5:20: assets.a.deps[0]: unknown asset \"zzz\"");
}

static void test_refuse_self_dep(void **state)
{
	(void)state;
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    deps: [a]\n",
		       "tranche.yaml:5:12: assets.a.deps[0]: asset \"a\" cannot depend on itself");
}

static void test_refuse_dep_twice(void **state)
{
	(void)state;
	assert_refused("name: x\nassets:\n  a: {sql: SELECT 1}\n  b:\n    sql: SELECT 1\n"
		       "    deps: [a, {asset: a}]\n",
		       "tranche.yaml:6:23: assets.b.deps[1]: \"a\" is listed twice (also at 6:12)");
}

static void test_refuse_deps_not_list(void **state)
{
	(void)state;
	assert_refused("name: x\nassets:\n  a: {sql: SELECT 1}\n  b:\n    sql: SELECT 1\n"
		       "    deps: a\n",
		       "tranche.yaml:6:11: assets.b.deps: expected a list of asset names or {asset: "
		       "NAME, mapping: {type: ...}}, e.g. deps: [orders], got a string");
	assert_refused("name: x\nassets:\n  a: {sql: SELECT 1}\n  b:\n    sql: SELECT 1\n"
		       "    deps: [{asset: a, maping: all}]\n",
		       "tranche.yaml:6:23: assets.b.deps[0]: unknown key \"maping\" (did you mean "
		       "\"mapping\"?");
}

static void test_refuse_cycle(void **state)
{
	(void)state;
	assert_refused("name: x\n"
		       "assets:\n"
		       "  z: {sql: SELECT 1}\n"
		       "  c:\n"
		       "    sql: SELECT 1\n"
		       "    deps: [z, a]\n"
		       "  a:\n"
		       "    sql: SELECT 1\n"
		       "    deps: [b]\n"
		       "  b:\n"
		       "    sql: SELECT 1\n"
		       "    deps: [c]\n",
		       "tranche.yaml:6:15: assets.c.deps: dependency cycle: c -> a -> b -> c (each "
		       "asset depends on the next); remove one of these dependencies");
}

static void test_refuse_inferred_cycle(void **state)
{
	(void)state;
	assert_refused("name: x\n"
		       "assets:\n"
		       "  a: {sql: SELECT * FROM b}\n"
		       "  b: {sql: SELECT * FROM a}\n",
		       "tranche.yaml:3:3: assets.a: dependency cycle: a -> b -> a (each asset "
		       "depends on the next; some were inferred from the tables the SQL reads)");
}

static void test_refuse_mapping_misfit(void **state)
{
	(void)state;
	assert_refused("name: x\n"
		       "assets:\n"
		       "  prices:\n"
		       "    sql: SELECT 1\n"
		       "    partitions: {type: daily, start: 2024-01-01}\n"
		       "    partition_expr: d\n"
		       "  by_region:\n"
		       "    sql: SELECT 1\n"
		       "    partitions: {type: static, keys: [eu, us]}\n"
		       "    partition_expr: region\n"
		       "    deps:\n"
		       "      - asset: prices\n"
		       "        mapping: {type: time_window, start_offset: -1}\n",
		       "tranche.yaml:13:18: assets.by_region.deps[0].mapping: time_window mapping: "
		       "needs time-window partitions on both sides, but the downstream side is static "
		       "(upstream \"prices\": daily partitions, this asset: static partitions)");
	assert_refused("name: x\nassets:\n  a: {sql: SELECT 1}\n  b:\n    sql: SELECT 1\n"
		       "    deps: [{asset: a, mapping: {type: nope}}]\n",
		       "tranche.yaml:6:39: assets.b.deps[0].mapping.type: unknown mapping type "
		       "\"nope\"");
}

static void test_refuse_no_default_mapping(void **state)
{
	(void)state;
	assert_refused("name: x\n"
		       "assets:\n"
		       "  regions:\n"
		       "    sql: SELECT 1\n"
		       "    partitions: {type: static, keys: [eu, us]}\n"
		       "    partition_expr: region\n"
		       "  daily:\n"
		       "    sql: SELECT 1\n"
		       "    partitions: {type: daily, start: 2024-01-01}\n"
		       "    partition_expr: d\n"
		       "    deps: [regions]\n",
		       "tranche.yaml:11:12: assets.daily.deps[0]: no default partition mapping from "
		       "\"regions\" (static partitions) to \"daily\" (daily partitions): the default, "
		       "identity, reads the upstream partition with the same key, and static and "
		       "daily partitions have no keys in common; give one, e.g. {asset: regions, "
		       "mapping: all}");
	/* an explicit mapping makes it valid */
	tr_project_free(load_ok("name: x\n"
				"assets:\n"
				"  regions:\n"
				"    sql: SELECT 1\n"
				"    partitions: {type: static, keys: [eu, us]}\n"
				"    partition_expr: region\n"
				"  daily:\n"
				"    sql: SELECT 1\n"
				"    partitions: {type: daily, start: 2024-01-01}\n"
				"    partition_expr: d\n"
				"    deps: [{asset: regions, mapping: all}]\n"));
}

static void test_refuse_inferred_no_default_mapping(void **state)
{
	(void)state;
	assert_refused("name: x\n"
		       "assets:\n"
		       "  regions:\n"
		       "    sql: SELECT 1\n"
		       "    partitions: {type: static, keys: [eu, us]}\n"
		       "    partition_expr: region\n"
		       "  daily:\n"
		       "    sql: SELECT * FROM regions\n"
		       "    partitions: {type: daily, start: 2024-01-01}\n"
		       "    partition_expr: d\n",
		       "tranche.yaml:7:3: assets.daily: the SQL reads \"regions\", the table of asset "
		       "\"regions\", but there is no default partition mapping from static partitions "
		       "to daily partitions:");
}

static void test_refuse_dup_check_names(void **state)
{
	(void)state;
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    checks:\n"
		       "      - {name: positive, sql: SELECT 1}\n"
		       "      - {name: positive, sql: SELECT 2}\n",
		       "tranche.yaml:7:16: assets.a.checks[1]: name: two checks of asset \"a\" are "
		       "named \"positive\" (checks[0] and checks[1]); check names are unique per asset");
}

static void test_refuse_blocking_warn(void **state)
{
	(void)state;
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    checks:\n"
		       "      - {name: positive, sql: SELECT 1, blocking: true}\n",
		       "tranche.yaml:6:51: assets.a.checks[0]: blocking: only a check with severity: "
		       "error can block (a warn check never stops downstream partitions); add "
		       "severity: error");
}

static void test_refuse_check_fields(void **state)
{
	(void)state;
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    checks:\n"
		       "      - {name: c, sql: SELECT 1, severity: fatal}\n",
		       "tranche.yaml:6:44: assets.a.checks[0].severity: \"fatal\" is not one of warn, error");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    checks:\n"
		       "      - {name: c}\n",
		       "tranche.yaml:6:9: assets.a.checks[0]: sql: required: a query that returns the "
		       "failing rows");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    checks:\n"
		       "      - {name: c, sql: SELECT 1, level: error}\n",
		       "tranche.yaml:6:34: assets.a.checks[0]: unknown key \"level\"");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    checks:\n"
		       "      - {name: \"no nulls\", sql: SELECT 1}\n",
		       "tranche.yaml:6:16: assets.a.checks[0]: name: \"no nulls\" is not a check name "
		       "(letters, digits and _)");
}

static void test_refuse_bad_timeout(void **state)
{
	(void)state;
	assert_refused("name: x\nassets:\n  a:\n    command: echo\n    timeout: 5 minutes\n",
		       "tranche.yaml:5:14: assets.a.timeout: \"5 minutes\" is not a duration: give "
		       "seconds (90) or a number with ms, s, m or h (500ms, 90s, 5m, 1h)");
	assert_refused("name: x\nassets:\n  a:\n    command: echo\n    timeout: 0\n",
		       "tranche.yaml:5:14: assets.a.timeout: must be more than 0");
}

static void test_refuse_bad_choices(void **state)
{
	(void)state;
	assert_refused("name: x\nassets:\n  a:\n    command: echo\n    output_format: xml\n",
		       "tranche.yaml:5:20: assets.a.output_format: \"xml\" is not one of csv, json, "
		       "parquet");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    on_schema_change: ignore\n",
		       "tranche.yaml:5:23: assets.a.on_schema_change: \"ignore\" is not one of fail, "
		       "add_columns");
}

static void test_refuse_bad_command(void **state)
{
	(void)state;
	assert_refused("name: x\nassets:\n  a:\n    command: []\n",
		       "tranche.yaml:4:14: assets.a.command: expected a shell command (a string) or a "
		       "program and its arguments (a non-empty list of strings), got an empty list");
	assert_refused("name: x\nassets:\n  a:\n    command: [echo, [x]]\n",
		       "tranche.yaml:4:21: assets.a.command: [1]: expected a string (one argument), "
		       "got a list");
	assert_refused("name: x\nassets:\n  a:\n    command: echo\n    env: {1BAD: x}\n",
		       "tranche.yaml:5:11: assets.a.env: \"1BAD\" is not an environment variable name");
}

static void test_refuse_bad_table(void **state)
{
	(void)state;
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    table: a.b.c\n",
		       "tranche.yaml:5:12: assets.a.table: \"a.b.c\" is not a table name: NAME or "
		       "SCHEMA.NAME");
	assert_refused("name: x\nassets:\n  a: {sql: SELECT 1}\n  b:\n    sql: SELECT 1\n"
		       "    table: main.A\n",
		       "tranche.yaml:6:12: assets.b: writes table \"main.A\", which asset \"a\" (line "
		       "3) writes too; give one of them its own table (table: NAME)");
}

static void test_refuse_bad_group_and_tags(void **state)
{
	(void)state;
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    group: my group\n",
		       "tranche.yaml:5:12: assets.a.group: \"my group\" is not a group name (letters, "
		       "digits and _)");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    tags: {a=b: c}\n",
		       "tranche.yaml:5:12: assets.a.tags: a=b: tag keys must be non-empty without '=' "
		       "or ','");
}

static void test_refuse_yaml_errors(void **state)
{
	(void)state;
	assert_refused("name: x\nassets:\n  a: {sql: SELECT 1}\n  a: {sql: SELECT 2}\n",
		       "tranche.yaml:4:3: duplicate key \"a\" (first at 3:3)");
	assert_refused("name: x\nassets: [a\n", "tranche.yaml:");
	assert_refused("- a\n- b\n", "tranche.yaml:1:1: a project file is a map with name");
}

/* ---- inference ------------------------------------------------------------------------------ */

static void test_infer_cases(void **state)
{
	tr_project *p = load_ok("name: x\n"
				"assets:\n"
				"  orders:\n"
				"    command: load-orders\n"
				"    table: raw.Orders\n"
				"  customers: {command: load-customers}\n"
				"  report:\n"
				"    sql: |\n"
				"      WITH customers AS (SELECT * FROM \"RAW\".\"ORDERS\")\n"
				"      SELECT * FROM customers c\n"
				"      JOIN main.regions r ON c.region = r.id\n"
				"      WHERE c.note <> 'FROM report_two' -- FROM report_two\n"
				"  report_two:\n"
				"    sql: SELECT * FROM main.CUSTOMERS, read_csv('x.csv') JOIN report USING (id)\n"
				"  rebuild:\n"
				"    script: |\n"
				"      DELETE FROM rebuild WHERE true;\n"
				"      INSERT INTO rebuild SELECT * FROM Rebuild JOIN report_two ON true;\n"
				"  declared:\n"
				"    sql: SELECT * FROM orders JOIN report ON true\n"
				"    deps: [customers]\n"
				"  none:\n"
				"    sql: SELECT * FROM report\n"
				"    deps: []\n");

	(void)state;
	/* the CTE "customers" hides the asset; raw.orders matches case-insensitively;
	   main.regions is no asset's table */
	assert_deps(p, "report", "orders*");
	/* main.customers is customers' table; read_csv is a function */
	assert_deps(p, "report_two", "customers*, report*");
	/* a script's own table is not a dependency */
	assert_deps(p, "rebuild", "report_two*");
	/* declared deps turn inference off, even an empty list */
	assert_deps(p, "declared", "customers");
	assert_deps(p, "none", "");
	assert_int_equal(p->assets[idx(p, "none")].deps_declared, 1);
	assert_int_equal(p->assets[idx(p, "report")].deps[0].line, 7);
	assert_int_equal(p->assets[idx(p, "report")].deps[0].col, 3);
	assert_order(p, "orders, customers, report, report_two, rebuild, declared, none");
	tr_project_free(p);
}

static void test_table_key(void **state)
{
	const char *cases[][2] = {
		{"Sales", "sales"}, {"main.sales", "sales"}, {"MAIN.Sales", "sales"},
		{"raw.orders", "raw.orders"}, {"db.main.t", "t"}, {"db.raw.t", "raw.t"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *k = project_table_key(cases[i][0]);

		assert_string_equal(k, cases[i][1]);
		free(k);
	}
}

/* ---- order and graph ------------------------------------------------------------------------ */

static void test_order_ties_by_declaration(void **state)
{
	tr_project *p = load_ok("name: x\n"
				"assets:\n"
				"  d: {sql: SELECT 1, deps: [c]}\n"
				"  a: {sql: SELECT 1}\n"
				"  c: {sql: SELECT 1, deps: [b]}\n"
				"  b: {sql: SELECT 1}\n"
				"  e: {sql: SELECT 1, deps: [a, d]}\n");
	size_t *down = NULL, n = 0;
	tr_error err = {0};

	(void)state;
	assert_order(p, "a, b, c, d, e");
	assert_ok(tr_project_downstream(p, idx(p, "a"), &down, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_int_equal(down[0], idx(p, "e"));
	free(down);
	assert_ok(tr_project_downstream(p, idx(p, "e"), &down, &n, &err), &err);
	assert_int_equal(n, 0);
	assert_null(down);
	assert_int_equal(tr_project_downstream(p, 99, &down, &n, &err), TR_EINVAL);
	tr_project_free(p);
}

static void test_partitions_named_and_inline(void **state)
{
	tr_project *p = load_ok("name: x\n"
				"partitions:\n"
				"  daily: {type: daily, start: 2024-01-01}\n"
				"assets:\n"
				"  named:\n"
				"    sql: SELECT 1\n"
				"    partitions: daily\n"
				"    partition_expr: d\n"
				"  inline:\n"
				"    script: SELECT 1\n"
				"    partitions: {type: static, keys: [eu, us]}\n"
				"  plain: {sql: SELECT 1}\n");
	const tr_asset *named = &p->assets[0], *in = &p->assets[1];

	(void)state;
	assert_string_equal(named->partitions_name, "daily");
	assert_ptr_equal(named->partdef, p->partitions[0].def);
	assert_null(in->partitions_name);
	assert_non_null(in->partdef);
	assert_int_equal(tr_partdef_kind(in->partdef), TR_PART_STATIC);
	/* partition_expr is optional for scripts */
	assert_int_equal(in->n_partition_expr, 0);
	assert_null(p->assets[2].partdef);
	tr_project_free(p);
}

static void test_multi_partition_expr(void **state)
{
	char yaml[1024];
	tr_project *p;

	(void)state;
	snprintf(yaml, sizeof(yaml),
		 "name: x\n%sassets:\n  a:\n    sql: SELECT 1\n    partitions: m\n"
		 "    partition_expr: {region: region_code, date: \"CAST(ts AS DATE)\", color: c}\n",
		 multi_def);
	p = load_ok(yaml);
	assert_int_equal(p->assets[0].n_partition_expr, 3);
	/* in the definition's dimension order: sorted by name */
	assert_string_equal(p->assets[0].partition_expr[0], "c");
	assert_string_equal(p->assets[0].partition_expr[1], "CAST(ts AS DATE)");
	assert_string_equal(p->assets[0].partition_expr[2], "region_code");
	tr_project_free(p);
}

static void test_named_dimensions(void **state)
{
	tr_project *p = load_ok("name: x\n"
				"partitions:\n"
				"  daily: {type: daily, start: 2024-01-01}\n"
				"  regions: {type: static, keys: [eu, us]}\n"
				"  cube: {type: multi, dimensions: {date: daily, region: regions}}\n"
				"assets:\n"
				"  a:\n"
				"    sql: SELECT 1\n"
				"    partitions: cube\n"
				"    partition_expr: {date: d, region: r}\n"
				"  b:\n"
				"    script: SELECT * FROM a\n"
				"    partitions: {type: multi, dimensions: {day: daily, color: {type: static, "
				"keys: [red]}}}\n"
				"  c:\n"
				"    sql: SELECT * FROM a\n"
				"    partitions: daily\n"
				"    partition_expr: d\n");
	const tr_partdef *cube = p->assets[0].partdef, *b = p->assets[1].partdef;

	(void)state;
	assert_int_equal(tr_partdef_dimension_count(cube), 2);
	assert_int_equal(tr_partdef_kind(tr_partdef_dimension(cube, 0)), TR_PART_TIME);
	assert_int_equal(tr_partdef_kind(tr_partdef_dimension(cube, 1)), TR_PART_STATIC);
	assert_string_equal(tr_partdef_dimension_name(b, 1), "day");
	assert_int_equal(tr_partdef_kind(tr_partdef_dimension(b, 1)), TR_PART_TIME);
	/* a daily asset reads the multi one through its date dimension, which is "daily" */
	assert_string_equal(tr_mapping_type_name(p->assets[2].deps[0].mapping), "multi_to_single");
	tr_project_free(p);
}

static void test_refuse_named_dimension(void **state)
{
	(void)state;
	assert_refused("name: x\n"
		       "partitions:\n"
		       "  daily: {type: daily, start: 2024-01-01}\n"
		       "  cube: {type: multi, dimensions: {date: dayly, region: {type: static, keys: [eu]}}}\n",
		       "tranche.yaml:4:42: partitions.cube.dimensions.date: unknown partitions \"dayly\" "
		       "(did you mean \"daily\"?): a dimension is a definition such as {type: daily, "
		       "start: 2024-01-01}, or the name of one under the top-level partitions:");
	assert_refused("name: x\n"
		       "partitions:\n"
		       "  cube: {type: multi, dimensions: {a: cube, b: {type: static, keys: [eu]}}}\n",
		       "tranche.yaml:3:39: partitions.cube.dimensions.a: \"cube\" is a multi definition, "
		       "and a dimension cannot itself be multi");
	assert_refused("name: x\n"
		       "assets:\n"
		       "  a:\n"
		       "    script: SELECT 1\n"
		       "    partitions: {type: multi, dimensions: {a: daily, b: {type: static, keys: [eu]}}}\n",
		       "tranche.yaml:5:47: assets.a.partitions.dimensions.a: unknown partitions \"daily\": "
		       "a dimension is a definition");
}

static void test_default_mappings(void **state)
{
	tr_project *p = load_ok("name: x\n"
				"partitions:\n"
				"  daily: {type: daily, start: 2024-01-01}\n"
				"  weekly: {type: weekly, start: 2024-01-07}\n"
				"  both:\n"
				"    type: multi\n"
				"    dimensions:\n"
				"      date: {type: daily, start: 2024-01-01}\n"
				"      symbol: {type: static, keys: [IBM, AAPL]}\n"
				"assets:\n"
				"  prices: {sql: SELECT 1, partitions: both, partition_expr: {date: d, symbol: s}}\n"
				"  daily_avg: {sql: SELECT * FROM prices, partitions: daily, partition_expr: d}\n"
				"  weekly_avg: {sql: SELECT * FROM daily_avg, partitions: weekly, partition_expr: d}\n"
				"  total: {sql: SELECT * FROM weekly_avg}\n");

	(void)state;
	assert_string_equal(tr_mapping_type_name(p->assets[1].deps[0].mapping), "multi_to_single");
	assert_string_equal(tr_mapping_type_name(p->assets[2].deps[0].mapping), "time_window");
	assert_string_equal(tr_mapping_type_name(p->assets[3].deps[0].mapping), "all");
	tr_project_free(p);
}

/* ---- selection ------------------------------------------------------------------------------ */

static const char graph_project[] =
	"name: x\n"
	"assets:\n"
	"  raw: {command: load, group: ingest, tags: {tier: bronze}}\n"
	"  clean: {sql: SELECT * FROM raw, tags: {tier: silver, pii: \"yes\"}}\n"
	"  daily: {sql: SELECT * FROM clean, group: reporting, tags: {tier: gold}}\n"
	"  monthly: {sql: SELECT * FROM daily, group: reporting, tags: {tier: gold}}\n"
	"  report: {sql: SELECT * FROM monthly}\n"
	"  side: {sql: SELECT * FROM raw}\n"
	"  lonely: {command: other}\n";

static void test_select_forms(void **state)
{
	tr_project *p = load_ok(graph_project);

	(void)state;
	assert_selects(p, "daily", "daily");
	assert_selects(p, "+daily", "raw, clean, daily");
	assert_selects(p, "daily+", "daily, monthly, report");
	assert_selects(p, "+daily+", "raw, clean, daily, monthly, report");
	assert_selects(p, "raw+", "raw, clean, daily, monthly, report, side");
	assert_selects(p, "group:reporting", "daily, monthly");
	assert_selects(p, "+group:reporting", "raw, clean, daily, monthly");
	assert_selects(p, "group:default", "clean, report, side, lonely");
	assert_selects(p, "tag:tier=gold", "daily, monthly");
	assert_selects(p, "tag:tier", "raw, clean, daily, monthly");
	assert_selects(p, "tag:pii=yes", "clean");
	assert_selects(p, "*", "raw, clean, daily, monthly, report, side, lonely");
	assert_selects(p, "side,lonely", "side, lonely");
	assert_selects(p, "  side ,  lonely  , side", "side, lonely");
	tr_project_free(p);
}

static void test_select_depth(void **state)
{
	tr_project *p = load_ok(graph_project);

	(void)state;
	assert_selects(p, "1+monthly", "daily, monthly");
	assert_selects(p, "2+monthly", "clean, daily, monthly");
	assert_selects(p, "10+monthly", "raw, clean, daily, monthly");
	assert_selects(p, "0+monthly", "monthly");
	assert_selects(p, "raw+1", "raw, clean, side");
	assert_selects(p, "clean+2", "clean, daily, monthly");
	assert_selects(p, "1+daily+1", "clean, daily, monthly");
	assert_selects(p, "2+report, side+", "daily, monthly, report, side");
	tr_project_free(p);
}

static void test_select_refusals(void **state)
{
	tr_project *p = load_ok(graph_project);

	(void)state;
	assert_select_refused(p, "dayly", TR_ENOTFOUND,
			      "unknown asset \"dayly\" (did you mean \"daily\"?)");
	assert_select_refused(p, "daily, nope", TR_ENOTFOUND, "unknown asset \"nope\"");
	assert_select_refused(p, "+reprt", TR_ENOTFOUND,
			      "unknown asset \"reprt\" (did you mean \"report\"?)");
	assert_select_refused(p, "group:reports", TR_ENOTFOUND,
			      "no asset is in group \"reports\" (did you mean \"reporting\"? groups: "
			      "ingest, default, reporting)");
	assert_select_refused(p, "tag:tier=platinum", TR_ENOTFOUND,
			      "no asset has the tag tier=platinum (tags: tier=bronze, tier=silver, "
			      "pii=yes, tier=gold)");
	assert_select_refused(p, "tag:owner", TR_ENOTFOUND,
			      "no asset has the tag key owner (tags: tier=bronze, tier=silver, "
			      "pii=yes, tier=gold)");
	assert_select_refused(p, "", TR_EINVAL,
			      "empty selection: give asset names, group:NAME, tag:KEY=VALUE or * "
			      "(with + for upstream/downstream), separated by commas");
	assert_select_refused(p, "   ", TR_EINVAL,
			      "empty selection: give asset names, group:NAME, tag:KEY=VALUE or * "
			      "(with + for upstream/downstream), separated by commas");
	assert_select_refused(p, "daily,,raw", TR_EINVAL,
			      "selection \"daily,,raw\": an empty item between commas");
	assert_select_refused(p, "daily,", TR_EINVAL, "selection \"daily,\": an empty item between commas");
	assert_select_refused(p, "2+", TR_EINVAL,
			      "selection \"2+\": \"2+\" needs an asset name, group:NAME or "
			      "tag:KEY=VALUE after the +");
	assert_select_refused(p, "group:", TR_EINVAL, "group: needs a group name (group:NAME)");
	tr_project_free(p);
}

static void test_find(void **state)
{
	tr_project *p = load_ok(graph_project);
	tr_error err = {0};
	size_t i = 99;

	(void)state;
	assert_int_equal(tr_project_find(p, "monthly", &i, &err), 0);
	assert_int_equal(i, 3);
	assert_int_equal(tr_project_find(p, "Monthly", &i, &err), TR_ENOTFOUND);
	assert_string_equal(err.msg, "unknown asset \"Monthly\" (did you mean \"monthly\"?)");
	tr_project_free(p);
}

/* ---- retries, backfill policies and pools --------------------------------------------------- */

static const char policies_project[] =
	"name: x\n"
	"pools:\n"
	"  warehouse_api: {max_concurrency: 2, rate: 10/minute}\n"
	"  slow: {max_concurrency: 1}\n"
	"  throttled: {rate: [5/90s, 25/day]}\n"
	"defaults:\n"
	"  retries: {max: 2, delay: 30s, backoff: 2}\n"
	"  backfill: {policy: multi_run, max_partitions_per_run: 7}\n"
	"partitions:\n"
	"  daily: {type: daily, start: 2024-01-01}\n"
	"assets:\n"
	"  plain:\n"
	"    sql: SELECT 1\n"
	"  own:\n"
	"    sql: SELECT 1\n"
	"    partitions: daily\n"
	"    partition_expr: d\n"
	"    retries: {max: 5}\n"
	"    backfill: {policy: single_run}\n"
	"    pool: throttled\n"
	"  multi:\n"
	"    command: echo\n"
	"    retries:\n"
	"      max: 0\n"
	"    backfill: {policy: multi_run}\n"
	"    pool: warehouse_api\n"
	"  fractional:\n"
	"    script: SELECT 1\n"
	"    retries: {max: 100, delay: 0.5, backoff: 1.5}\n"
	"    backfill: {max_partitions_per_run: 30}\n"
	"    pool: slow\n";

static void test_policies_parsed(void **state)
{
	tr_project *p = load_ok(policies_project);
	const tr_asset *a;

	(void)state;
	assert_int_equal(p->n_pools, 3);
	assert_string_equal(p->pools[0].name, "warehouse_api");
	assert_int_equal(p->pools[0].max_concurrency, 2);
	assert_int_equal(p->pools[0].n_rates, 1);
	assert_int_equal(p->pools[0].rates[0].count, 10);
	assert_int_equal(p->pools[0].rates[0].period_ms, 60000);
	assert_int_equal(p->pools[0].line, 3);
	assert_int_equal(p->pools[0].col, 3);
	assert_string_equal(p->pools[1].name, "slow");
	assert_int_equal(p->pools[1].max_concurrency, 1);
	assert_int_equal(p->pools[1].n_rates, 0);
	assert_int_equal(p->pools[2].max_concurrency, 0);
	assert_int_equal(p->pools[2].n_rates, 2);
	assert_int_equal(p->pools[2].rates[0].count, 5);
	assert_int_equal(p->pools[2].rates[0].period_ms, 90000);
	assert_int_equal(p->pools[2].rates[1].count, 25);
	assert_int_equal(p->pools[2].rates[1].period_ms, 86400000);

	/* no keys of its own: the project's defaults */
	a = &p->assets[idx(p, "plain")];
	assert_int_equal(a->retries.max, 2);
	assert_int_equal(a->retries.delay_ms, 30000);
	assert_true(a->retries.backoff == 2.0);
	assert_int_equal(a->backfill.kind, TR_POLICY_MULTI_RUN);
	assert_int_equal(a->backfill.max_partitions_per_run, 7);
	assert_true(a->pool == TR_NO_POOL);

	/* its own key replaces the default whole: delay and backoff are not inherited */
	a = &p->assets[idx(p, "own")];
	assert_int_equal(a->retries.max, 5);
	assert_int_equal(a->retries.delay_ms, 0);
	assert_true(a->retries.backoff == 1.0);
	assert_int_equal(a->backfill.kind, TR_POLICY_SINGLE_RUN);
	assert_int_equal(a->backfill.max_partitions_per_run, 0);
	assert_int_equal(a->pool, 2);

	a = &p->assets[idx(p, "multi")];
	assert_int_equal(a->retries.max, 0);
	assert_int_equal(a->backfill.kind, TR_POLICY_MULTI_RUN);
	assert_int_equal(a->backfill.max_partitions_per_run, 1); /* multi_run's default */
	assert_int_equal(a->pool, 0);

	a = &p->assets[idx(p, "fractional")];
	assert_int_equal(a->retries.max, 100);
	assert_int_equal(a->retries.delay_ms, 500);
	assert_true(a->retries.backoff == 1.5);
	assert_int_equal(a->backfill.kind, TR_POLICY_MULTI_RUN);
	assert_int_equal(a->backfill.max_partitions_per_run, 30);
	assert_int_equal(a->pool, 1);
	tr_project_free(p);
}

static void test_policies_defaults(void **state)
{
	/* no pools, no defaults: no retries, multi_run 1, no pool — for every asset */
	tr_project *p = load_ok("name: x\n"
				"assets:\n"
				"  a: {sql: SELECT 1}\n"
				"  b: {sql: SELECT 1, retries: , backfill: , pool: }\n"
				"  c: {command: echo, partitions: {type: static, keys: [k]}}\n");

	(void)state;
	assert_int_equal(p->n_pools, 0);
	assert_null(p->pools);
	for (size_t i = 0; i < p->n_assets; i++) {
		const tr_asset *a = &p->assets[i];

		assert_int_equal(a->retries.max, 0);
		assert_int_equal(a->retries.delay_ms, 0);
		assert_true(a->retries.backoff == 1.0);
		assert_int_equal(a->backfill.kind, TR_POLICY_MULTI_RUN);
		assert_int_equal(a->backfill.max_partitions_per_run, 1);
		assert_true(a->pool == TR_NO_POOL);
	}
	tr_project_free(p);

	/* defaults for one of the two; an empty value is no value; a single_run default
	   applies to unpartitioned assets too (harmlessly: they are always one step) */
	p = load_ok("name: x\n"
		    "defaults:\n"
		    "  backfill: {policy: single_run}\n"
		    "  retries:\n"
		    "assets:\n"
		    "  a: {sql: SELECT 1}\n"
		    "  b: {sql: SELECT 1, backfill: {policy: multi_run, max_partitions_per_run: 4}}\n");
	assert_int_equal(p->assets[0].retries.max, 0);
	assert_int_equal(p->assets[0].backfill.kind, TR_POLICY_SINGLE_RUN);
	assert_int_equal(p->assets[0].backfill.max_partitions_per_run, 0);
	assert_int_equal(p->assets[1].backfill.kind, TR_POLICY_MULTI_RUN);
	assert_int_equal(p->assets[1].backfill.max_partitions_per_run, 4);
	tr_project_free(p);
}

/* The rate of pool "p" in `rate: TEXT`: "COUNT/PERIOD_MS", or the error message. */
static void assert_rate(const char *text, const char *want)
{
	char yaml[256], got[1024];
	tr_error err = {0};
	tr_project *p = NULL;

	/* a list as YAML, else quoted */
	snprintf(yaml, sizeof(yaml),
		 text[0] == '[' ? "name: x\npools:\n  p: {rate: %s}\n"
				: "name: x\npools:\n  p: {rate: \"%s\"}\n",
		 text);
	if (tr_project_parse(yaml, "tranche.yaml", "/nonexistent", &p, &err) == 0) {
		got[0] = '\0';
		for (size_t r = 0; r < p->pools[0].n_rates; r++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%lld/%lld",
				 r ? "," : "", (long long)p->pools[0].rates[r].count,
				 (long long)p->pools[0].rates[r].period_ms);
		tr_project_free(p);
	} else {
		snprintf(got, sizeof(got), "%s", err.msg);
	}
	if (strcmp(got, want) != 0)
		fail_msg("rate \"%s\": got [%s], want [%s]", text, got, want);
}

/* The delay of `retries: {max: 1, delay: TEXT}` in ms, or the error message. */
static void assert_delay(const char *text, const char *want)
{
	char yaml[256], got[1024];
	tr_error err = {0};
	tr_project *p = NULL;

	snprintf(yaml, sizeof(yaml),
		 "name: x\nassets:\n  a: {sql: SELECT 1, retries: {max: 1, delay: %s}}\n", text);
	if (tr_project_parse(yaml, "tranche.yaml", "/nonexistent", &p, &err) == 0) {
		snprintf(got, sizeof(got), "%lld", (long long)p->assets[0].retries.delay_ms);
		tr_project_free(p);
	} else {
		snprintf(got, sizeof(got), "%s", err.msg);
	}
	if (strcmp(got, want) != 0)
		fail_msg("delay %s: got [%s], want [%s]", text, got, want);
}

static void test_rates_and_delays(void **state)
{
	(void)state;
	assert_rate("10/minute", "10/60000");
	assert_rate("1/second", "1/1000");
	assert_rate("3/s", "3/1000");
	assert_rate("3/sec", "3/1000");
	assert_rate("3/seconds", "3/1000");
	assert_rate("100/hour", "100/3600000");
	assert_rate("100/hr", "100/3600000");
	assert_rate("100/h", "100/3600000");
	assert_rate("100/Hours", "100/3600000");
	assert_rate("1000/day", "1000/86400000");
	assert_rate("1000/d", "1000/86400000");
	assert_rate("7/min", "7/60000");
	assert_rate("7/mins", "7/60000");
	assert_rate("5/90s", "5/90000");
	assert_rate("10/15m", "10/900000");
	assert_rate("10/15min", "10/900000");
	assert_rate("2/1.5h", "2/5400000");
	assert_rate("4/500ms", "4/500");
	assert_rate("5/90", "5/90000"); /* a number alone is seconds, as for timeout */
	assert_rate("5 / minute", "5/60000");
	assert_rate("1000000/day", "1000000/86400000");
	assert_rate("1/365d", "1/31536000000");
	assert_rate("[5/minute, 25/day]", "5/60000,25/86400000");
	assert_rate("[5/minute]", "5/60000");

	assert_delay("0", "0");
	assert_delay("10", "10000");
	assert_delay("0.5", "500");
	assert_delay("0.25s", "250");
	assert_delay("500ms", "500");
	assert_delay("10s", "10000");
	assert_delay("2m", "120000");
	assert_delay("1h", "3600000");
	assert_delay("1.5min", "90000");
	assert_delay("0.001", "1");
	assert_delay("1d", "86400000");
	assert_delay("24h", "86400000");
	assert_delay("\"10s\"", "10000");
}

static void test_refuse_bad_rate(void **state)
{
	(void)state;
	assert_rate("5 per minute",
		    "tranche.yaml:3:13: pools.p.rate: \"5 per minute\" is not a rate: give "
		    "COUNT/UNIT with UNIT second, minute, hour or day (10/minute), or "
		    "COUNT/DURATION (5/90s, 10/15m, 100/2h)");
	assert_rate("5/fortnight",
		    "tranche.yaml:3:13: pools.p.rate: \"5/fortnight\" is not a rate: give "
		    "COUNT/UNIT with UNIT second, minute, hour or day (10/minute), or "
		    "COUNT/DURATION (5/90s, 10/15m, 100/2h)");
	assert_rate("minute", "tranche.yaml:3:13: pools.p.rate: \"minute\" is not a rate: give "
			      "COUNT/UNIT with UNIT second, minute, hour or day (10/minute), or "
			      "COUNT/DURATION (5/90s, 10/15m, 100/2h)");
	assert_rate("/minute", "tranche.yaml:3:13: pools.p.rate: \"/minute\" is not a rate: give "
			       "COUNT/UNIT with UNIT second, minute, hour or day (10/minute), or "
			       "COUNT/DURATION (5/90s, 10/15m, 100/2h)");
	assert_rate("5/", "tranche.yaml:3:13: pools.p.rate: \"5/\" is not a rate: give "
			  "COUNT/UNIT with UNIT second, minute, hour or day (10/minute), or "
			  "COUNT/DURATION (5/90s, 10/15m, 100/2h)");
	assert_rate("-1/minute", "tranche.yaml:3:13: pools.p.rate: \"-1/minute\" is not a rate: "
				 "give COUNT/UNIT with UNIT second, minute, hour or day (10/minute), "
				 "or COUNT/DURATION (5/90s, 10/15m, 100/2h)");
	assert_rate("1.5/minute", "tranche.yaml:3:13: pools.p.rate: \"1.5/minute\" is not a rate: "
				  "give COUNT/UNIT with UNIT second, minute, hour or day (10/minute), "
				  "or COUNT/DURATION (5/90s, 10/15m, 100/2h)");
	assert_rate("5/1/minute", "tranche.yaml:3:13: pools.p.rate: \"5/1/minute\" is not a rate: "
				  "give COUNT/UNIT with UNIT second, minute, hour or day (10/minute), "
				  "or COUNT/DURATION (5/90s, 10/15m, 100/2h)");
	assert_rate("0/minute", "tranche.yaml:3:13: pools.p.rate: \"0/minute\": the count must be "
				"at least 1 (leave rate out for no limit)");
	assert_rate("1000001/day",
		    "tranche.yaml:3:13: pools.p.rate: \"1000001/day\": the count must be at most "
		    "1000000");
	assert_rate("99999999999999999999999/day",
		    "tranche.yaml:3:13: pools.p.rate: \"99999999999999999999999/day\": the count "
		    "must be at most 1000000");
	assert_rate("5/0s",
		    "tranche.yaml:3:13: pools.p.rate: \"5/0s\": the period must be more than 0");
	assert_rate("[]", "tranche.yaml:3:13: pools.p.rate: expected 1 to 4 rates, e.g. "
			  "[5/minute, 25/day], got 0 (leave rate out for no limit)");
	assert_rate("[1/s, 2/s, 3/s, 4/s, 5/s]",
		    "tranche.yaml:3:13: pools.p.rate: expected 1 to 4 rates, e.g. [5/minute, "
		    "25/day], got 5 (leave rate out for no limit)");
	assert_rate("[5/minute, 25 a day]",
		    "tranche.yaml:3:24: pools.p.rate[1]: \"25 a day\" is not a rate: give "
		    "COUNT/UNIT with UNIT second, minute, hour or day (10/minute), or "
		    "COUNT/DURATION (5/90s, 10/15m, 100/2h)");
	assert_rate("5/366d",
		    "tranche.yaml:3:13: pools.p.rate: \"5/366d\": the period must be at most a year");
	assert_rate("5/0.0001s", "tranche.yaml:3:13: pools.p.rate: \"5/0.0001s\": the period is "
				 "not a whole number of milliseconds");
	assert_refused("name: x\npools:\n  p: {rate: [5, minute]}\n",
		       "tranche.yaml:3:14: pools.p.rate[0]: \"5\" is not a rate: give COUNT/UNIT "
		       "with UNIT second, minute, hour or day (10/minute), or COUNT/DURATION "
		       "(5/90s, 10/15m, 100/2h)");
	assert_refused("name: x\npools:\n  p: {rate: {5: minute}}\n",
		       "tranche.yaml:3:13: pools.p.rate: expected a rate COUNT/PERIOD such as "
		       "10/minute or 5/90s, got a map");
}

static void test_refuse_bad_delay(void **state)
{
	(void)state;
	assert_delay("soon", "tranche.yaml:3:47: assets.a.retries.delay: \"soon\" is not a "
			     "duration: give seconds (10, 0.5) or a number with a unit (500ms, 10s, "
			     "2m, 1h)");
	assert_delay("-1", "tranche.yaml:3:47: assets.a.retries.delay: \"-1\" is not a duration: "
			   "give seconds (10, 0.5) or a number with a unit (500ms, 10s, 2m, 1h)");
	assert_delay(".5", "tranche.yaml:3:47: assets.a.retries.delay: \".5\" is not a duration: "
			   "give seconds (10, 0.5) or a number with a unit (500ms, 10s, 2m, 1h)");
	assert_delay("5.s", "tranche.yaml:3:47: assets.a.retries.delay: \"5.s\" is not a duration: "
			    "give seconds (10, 0.5) or a number with a unit (500ms, 10s, 2m, 1h)");
	assert_delay("10 s", "tranche.yaml:3:47: assets.a.retries.delay: \"10 s\" is not a "
			     "duration: give seconds (10, 0.5) or a number with a unit (500ms, 10s, "
			     "2m, 1h)");
	assert_delay("25h", "tranche.yaml:3:47: assets.a.retries.delay: \"25h\" is more than a "
			    "day");
	assert_delay("86400.001", "tranche.yaml:3:47: assets.a.retries.delay: \"86400.001\" is "
				  "more than a day");
	assert_delay("99999999999999999999s", "tranche.yaml:3:47: assets.a.retries.delay: "
					      "\"99999999999999999999s\" is more than a day");
	assert_delay("0.0005", "tranche.yaml:3:47: assets.a.retries.delay: \"0.0005\" is not a "
			       "whole number of milliseconds");
	assert_delay("[1]", "tranche.yaml:3:47: assets.a.retries.delay: expected a duration: "
			    "seconds (10, 0.5) or a number with a unit (500ms, 10s, 2m, 1h); got a "
			    "list");
}

static void test_refuse_unknown_pool(void **state)
{
	(void)state;
	assert_refused("name: x\n"
		       "pools:\n"
		       "  warehouse_api: {max_concurrency: 2}\n"
		       "  slow: {max_concurrency: 1}\n"
		       "assets:\n"
		       "  a:\n"
		       "    sql: SELECT 1\n"
		       "    pool: warehouse_apj\n",
		       "tranche.yaml:8:11: assets.a.pool: unknown pool \"warehouse_apj\" (did you "
		       "mean \"warehouse_api\"? declared: warehouse_api, slow)");
	assert_refused("name: x\n"
		       "pools:\n"
		       "  warehouse_api: {max_concurrency: 2}\n"
		       "  slow: {max_concurrency: 1}\n"
		       "assets:\n"
		       "  a:\n"
		       "    sql: SELECT 1\n"
		       "    pool: gpu\n",
		       "tranche.yaml:8:11: assets.a.pool: unknown pool \"gpu\" (declared: "
		       "warehouse_api, slow)");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    pool: api\n",
		       "tranche.yaml:5:11: assets.a.pool: unknown pool \"api\": no pools are "
		       "declared (declare it at the top level: pools: {api: {max_concurrency: 1}})");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    pool: my-api\n",
		       "tranche.yaml:5:11: assets.a.pool: unknown pool \"my-api\": no pools are "
		       "declared (declare it at the top level: pools: {NAME: {max_concurrency: "
		       "1}})");
	assert_refused("name: x\npools: {api: {rate: 1/s}}\n"
		       "assets:\n  a:\n    sql: SELECT 1\n    pool: [api]\n",
		       "tranche.yaml:6:11: assets.a.pool: expected the name of a pool declared under "
		       "pools:, got a list");
}

static void test_refuse_bad_pools(void **state)
{
	(void)state;
	assert_refused("name: x\npools:\n  api: {max_concurrency: 0}\n",
		       "tranche.yaml:3:26: pools.api.max_concurrency: must be at least 1 (steps of "
		       "the pool's assets running at once; leave it out for no limit), got 0");
	assert_refused("name: x\npools:\n  api: {max_concurrency: 1000001}\n",
		       "tranche.yaml:3:26: pools.api.max_concurrency: must be at most 1000000 (steps "
		       "of the pool's assets running at once; leave it out for no limit), got "
		       "1000001");
	assert_refused("name: x\npools:\n  api: {max_concurrency: two}\n",
		       "tranche.yaml:3:26: pools.api.max_concurrency: expected a whole number from 1 "
		       "to 1000000 (steps of the pool's assets running at once; leave it out for no "
		       "limit), got \"two\"");
	assert_refused("name: x\npools:\n  api: {max_concurrency: 1.5}\n",
		       "tranche.yaml:3:26: pools.api.max_concurrency: expected a whole number from 1 "
		       "to 1000000");
	assert_refused("name: x\npools:\n  api: {}\n",
		       "tranche.yaml:3:3: pools.api: limits nothing: give max_concurrency (steps "
		       "running at once), rate (steps started per period) or both, e.g. "
		       "{max_concurrency: 2} or {rate: 10/minute}");
	assert_refused("name: x\npools:\n  api: {max_concurrency: , rate: }\n",
		       "tranche.yaml:3:3: pools.api: limits nothing");
	assert_refused("name: x\npools:\n  api:\n",
		       "tranche.yaml:3:7: pools.api: expected a map with max_concurrency, rate or "
		       "both, e.g. {max_concurrency: 2, rate: 10/minute}; got nothing");
	assert_refused("name: x\npools:\n  api: 2\n",
		       "tranche.yaml:3:8: pools.api: expected a map with max_concurrency, rate or "
		       "both, e.g. {max_concurrency: 2, rate: 10/minute}; got a string");
	assert_refused("name: x\npools:\n  api: {max_concurrency: 1, max_concurency: 2}\n",
		       "tranche.yaml:3:29: pools.api: unknown key \"max_concurency\" (did you mean "
		       "\"max_concurrency\"? valid keys: max_concurrency, rate)");
	assert_refused("name: x\npools:\n  2api: {max_concurrency: 1}\n",
		       "tranche.yaml:3:3: pools.2api: \"2api\" is not a valid pool name: letters, "
		       "digits and _, not starting with a digit (as asset names)");
	assert_refused("name: x\npools: [api]\n",
		       "tranche.yaml:2:8: pools: expected a map of name -> pool, e.g. {api: "
		       "{max_concurrency: 2, rate: 10/minute}}, got a list");
	assert_refused("name: x\npool: {api: {max_concurrency: 1}}\n",
		       "tranche.yaml:2:1: top level: unknown key \"pool\" (did you mean \"pools\"? "
		       "valid keys: name, warehouse, storage, partitions, pools, defaults, assets)");
}

static void test_refuse_bad_retries(void **state)
{
	(void)state;
	/* an unknown key, with the nearest valid one */
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    retries: {max: 2, dealy: 5s}\n",
		       "tranche.yaml:5:23: assets.a.retries: unknown key \"dealy\" (did you mean "
		       "\"delay\"? valid keys: max, delay, backoff)");
	assert_refused("name: x\ndefaults:\n  retries: {max_retries: 2}\n",
		       "tranche.yaml:3:13: defaults.retries: unknown key \"max_retries\" (did you "
		       "mean \"max\"? valid keys: max, delay, backoff)");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    retries: {delay: 5s}\n",
		       "tranche.yaml:5:14: assets.a.retries: max: required: how many times a failed "
		       "step is tried again (0 to 100), e.g. {max: 3, delay: 10s}");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    retries: {max: 101}\n",
		       "tranche.yaml:5:20: assets.a.retries.max: must be at most 100 (how many times "
		       "a failed step is tried again), got 101");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    retries: {max: -1}\n",
		       "tranche.yaml:5:20: assets.a.retries.max: must be at least 0 (how many times "
		       "a failed step is tried again), got -1");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    retries: {max: many}\n",
		       "tranche.yaml:5:20: assets.a.retries.max: expected a whole number from 0 to "
		       "100 (how many times a failed step is tried again), got \"many\"");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    retries: 3\n",
		       "tranche.yaml:5:14: assets.a.retries: expected a map {max: N, delay: "
		       "DURATION, backoff: F}, got a number (for 3 retries write {max: 3})");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    retries: [3]\n",
		       "tranche.yaml:5:14: assets.a.retries: expected a map {max: N, delay: "
		       "DURATION, backoff: F}, e.g. {max: 3, delay: 10s, backoff: 2}; got a list");
	/* backoff: a number >= 1 */
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n"
		       "    retries: {max: 2, backoff: 0.5}\n",
		       "tranche.yaml:5:32: assets.a.retries.backoff: must be at least 1 (the factor "
		       "by which the delay grows after each retry; 1 keeps it constant), got 0.5");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n"
		       "    retries: {max: 2, backoff: 0}\n",
		       "tranche.yaml:5:32: assets.a.retries.backoff: must be at least 1");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n"
		       "    retries: {max: 2, backoff: exponential}\n",
		       "tranche.yaml:5:32: assets.a.retries.backoff: expected a number of at least 1 "
		       "such as 2 or 1.5 (the factor by which the delay grows after each retry; 1 "
		       "keeps it constant), got \"exponential\"");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n"
		       "    retries: {max: 2, backoff: -2}\n",
		       "tranche.yaml:5:32: assets.a.retries.backoff: expected a number of at least 1");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n"
		       "    retries: {max: 2, backoff: 1e3}\n",
		       "tranche.yaml:5:32: assets.a.retries.backoff: expected a number of at least 1");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n"
		       "    retries: {max: 2, backoff: .5}\n",
		       "tranche.yaml:5:32: assets.a.retries.backoff: expected a number of at least 1");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n"
		       "    retries: {max: 2, backoff: 2.}\n",
		       "tranche.yaml:5:32: assets.a.retries.backoff: expected a number of at least 1");
}

static void test_refuse_bad_backfill(void **state)
{
	(void)state;
	/* Dagster's single_run has no limit: refused, saying what to write instead */
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n"
		       "    backfill: {policy: single_run, max_partitions_per_run: 10}\n",
		       "tranche.yaml:5:36: assets.a.backfill.max_partitions_per_run: single_run has "
		       "no max_partitions_per_run: it runs each contiguous range of partitions as "
		       "one step, however long (as Dagster's BackfillPolicy.single_run()); for steps "
		       "of at most N partitions write {policy: multi_run, max_partitions_per_run: "
		       "N}");
	assert_refused("name: x\ndefaults:\n  backfill:\n    max_partitions_per_run: 3\n"
		       "    policy: single_run\n",
		       "tranche.yaml:4:5: defaults.backfill.max_partitions_per_run: single_run has "
		       "no max_partitions_per_run");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n"
		       "    backfill: {policy: multi_run, max_partitions_per_run: 0}\n",
		       "tranche.yaml:5:59: assets.a.backfill.max_partitions_per_run: must be at least "
		       "1 (the most partitions one step covers), got 0");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n"
		       "    backfill: {max_partitions_per_run: all}\n",
		       "tranche.yaml:5:40: assets.a.backfill.max_partitions_per_run: expected a whole "
		       "number of at least 1 (the most partitions one step covers), got \"all\"");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    backfill: {policy: single}\n",
		       "tranche.yaml:5:24: assets.a.backfill.policy: \"single\" is not one of "
		       "multi_run, single_run");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    backfill: {polcy: single_run}\n",
		       "tranche.yaml:5:16: assets.a.backfill: unknown key \"polcy\" (did you mean "
		       "\"policy\"? valid keys: policy, max_partitions_per_run)");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    backfill: single_run\n",
		       "tranche.yaml:5:15: assets.a.backfill: expected a map {policy: "
		       "multi_run|single_run, max_partitions_per_run: N}, got a string (write "
		       "{policy: single_run})");
	assert_refused("name: x\nassets:\n  a:\n    sql: SELECT 1\n    backfill: 10\n",
		       "tranche.yaml:5:15: assets.a.backfill: expected a map {policy: "
		       "multi_run|single_run, max_partitions_per_run: N}, e.g. {policy: single_run} or "
		       "{policy: multi_run, max_partitions_per_run: 10}; got a string");
}

static void test_refuse_bad_defaults(void **state)
{
	(void)state;
	assert_refused("name: x\ndefaults:\n  retires: {max: 1}\n",
		       "tranche.yaml:3:3: defaults: unknown key \"retires\" (did you mean \"retries\"? "
		       "valid keys: retries, backfill)");
	assert_refused("name: x\ndefaults:\n  pool: api\n",
		       "tranche.yaml:3:3: defaults: unknown key \"pool\" (valid keys: retries, "
		       "backfill)");
	assert_refused("name: x\ndefaults: [retries]\n",
		       "tranche.yaml:2:11: defaults: expected a map with retries, backfill or both, "
		       "e.g. {retries: {max: 2, delay: 30s}}, got a list");
	assert_refused("name: x\ndefaults:\n  retries: {max: 2, backoff: 0.9}\n",
		       "tranche.yaml:3:30: defaults.retries.backoff: must be at least 1");
	assert_refused("name: x\ndefaults:\n  backfill: {max_partitions_per_run: 0}\n",
		       "tranche.yaml:3:38: defaults.backfill.max_partitions_per_run: must be at "
		       "least 1");
	assert_refused("name: x\ndefault:\n  retries: {max: 2}\n",
		       "tranche.yaml:2:1: top level: unknown key \"default\" (did you mean "
		       "\"defaults\"? valid keys: name, warehouse, storage, partitions, pools, "
		       "defaults, assets)");
}

/* ---- the docs document every key ---------------------------------------------------------- */

static void test_docs_cover_keys(void **state)
{
	FILE *f = fopen("docs/project.md", "r");
	char *text;
	long size;

	(void)state;
	if (!f)
		skip(); /* run from the repository root (tests/run.sh does) */
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc((size_t)size + 1, 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	for (size_t i = 0; project_asset_key(i) || project_top_key(i); i++) {
		const char *keys[2] = {project_asset_key(i), project_top_key(i)};

		for (int k = 0; k < 2; k++) {
			char heading[128];

			if (!keys[k])
				continue;
			snprintf(heading, sizeof(heading), "### `%s`", keys[k]);
			if (!strstr(text, heading))
				fail_msg("docs/project.md has no section \"%s\"", heading);
		}
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sql_simple),
		cmocka_unit_test(test_sql_joins_and_commas),
		cmocka_unit_test(test_sql_qualified_and_quoted),
		cmocka_unit_test(test_sql_ctes),
		cmocka_unit_test(test_sql_comments_and_strings),
		cmocka_unit_test(test_sql_functions_and_subqueries),
		cmocka_unit_test(test_sql_scripts),
		cmocka_unit_test(test_full_project),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_load_directory_and_missing),
		cmocka_unit_test(test_sql_file_unreadable),
		cmocka_unit_test(test_refuse_no_name),
		cmocka_unit_test(test_refuse_unknown_top_key),
		cmocka_unit_test(test_refuse_bad_url),
		cmocka_unit_test(test_refuse_bad_asset_name),
		cmocka_unit_test(test_refuse_no_kind),
		cmocka_unit_test(test_refuse_two_kinds),
		cmocka_unit_test(test_refuse_key_of_other_kind),
		cmocka_unit_test(test_refuse_wrong_node_kind),
		cmocka_unit_test(test_refuse_unknown_asset_key),
		cmocka_unit_test(test_refuse_unknown_partitions),
		cmocka_unit_test(test_refuse_bad_inline_partitions),
		cmocka_unit_test(test_refuse_missing_partition_expr),
		cmocka_unit_test(test_refuse_multi_expr_string),
		cmocka_unit_test(test_refuse_multi_expr_missing_dimension),
		cmocka_unit_test(test_refuse_multi_expr_unknown_dimension),
		cmocka_unit_test(test_refuse_partition_expr_unpartitioned),
		cmocka_unit_test(test_refuse_unknown_dep),
		cmocka_unit_test(test_refuse_self_dep),
		cmocka_unit_test(test_refuse_dep_twice),
		cmocka_unit_test(test_refuse_deps_not_list),
		cmocka_unit_test(test_refuse_cycle),
		cmocka_unit_test(test_refuse_inferred_cycle),
		cmocka_unit_test(test_refuse_mapping_misfit),
		cmocka_unit_test(test_refuse_no_default_mapping),
		cmocka_unit_test(test_refuse_inferred_no_default_mapping),
		cmocka_unit_test(test_refuse_dup_check_names),
		cmocka_unit_test(test_refuse_blocking_warn),
		cmocka_unit_test(test_refuse_check_fields),
		cmocka_unit_test(test_refuse_bad_timeout),
		cmocka_unit_test(test_refuse_bad_choices),
		cmocka_unit_test(test_refuse_bad_command),
		cmocka_unit_test(test_refuse_bad_table),
		cmocka_unit_test(test_refuse_bad_group_and_tags),
		cmocka_unit_test(test_refuse_yaml_errors),
		cmocka_unit_test(test_infer_cases),
		cmocka_unit_test(test_table_key),
		cmocka_unit_test(test_order_ties_by_declaration),
		cmocka_unit_test(test_partitions_named_and_inline),
		cmocka_unit_test(test_multi_partition_expr),
		cmocka_unit_test(test_named_dimensions),
		cmocka_unit_test(test_refuse_named_dimension),
		cmocka_unit_test(test_default_mappings),
		cmocka_unit_test(test_select_forms),
		cmocka_unit_test(test_select_depth),
		cmocka_unit_test(test_select_refusals),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_policies_parsed),
		cmocka_unit_test(test_policies_defaults),
		cmocka_unit_test(test_rates_and_delays),
		cmocka_unit_test(test_refuse_bad_rate),
		cmocka_unit_test(test_refuse_bad_delay),
		cmocka_unit_test(test_refuse_unknown_pool),
		cmocka_unit_test(test_refuse_bad_pools),
		cmocka_unit_test(test_refuse_bad_retries),
		cmocka_unit_test(test_refuse_bad_backfill),
		cmocka_unit_test(test_refuse_bad_defaults),
		cmocka_unit_test(test_docs_cover_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
