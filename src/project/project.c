/*
 * project.c — the project file loader (tranche.yaml) and the asset graph.
 *
 * Loading is all or nothing: the file is parsed into a node tree (node.h),
 * every key is checked against the tables below, partitions definitions are
 * parsed by the partitions module (a multi dimension that names a top-level
 * definition gets that definition's node linked in first), then — once every asset is known — deps
 * are resolved (declared, or inferred from the tables the SQL reads, see
 * sqlrefs.c), every mapping is checked against its two definitions, cycles
 * are refused and the dependency order is computed. Any error frees what was
 * built and returns the first problem, with "FILE:LINE:COL: key.path: ...".
 * `pools:` and `defaults:` are read before the assets: an asset's `pool` names a
 * declared pool, and its retries and backfill policy start as the defaults, which its
 * own `retries` / `backfill` key replaces whole (not key by key).
 *
 * Invariants of a loaded project: asset names are unique identifiers; tables
 * are unique (as DuckDB compares them); deps[] of an asset name other assets,
 * never itself, once each, with a mapping that fits; the graph is acyclic;
 * order[] lists every asset once, upstream first, ties by declaration order.
 * Every asset's pool is a pool index or TR_NO_POOL; every pool limits something.
 * The project owns everything; it is read-only after load.
 *
 * Callers: the CLI (every command that reads a project), the executor and
 * the server. The selection syntax is in select.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/node.h"
#include "partitions/partdef.h"
#include "base/text.h"
#include "project/project_int.h"
#include "tranche/buf.h"

#define PROJECT_FILE "tranche.yaml"
#define MAX_FILE_BYTES (16 << 20)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_TIMEOUT_MS ((int64_t)1000 * 3600 * 24 * 365)
#define MAX_RATE_PERIOD_MS MAX_TIMEOUT_MS
#define MAX_DELAY_MS ((int64_t)1000 * 3600 * 24) /* the executor caps a grown delay there too */
#define MAX_RETRIES 100
#define MAX_POOL_LIMIT 1000000 /* max_concurrency, and the count of a rate */

/* ---- key tables ------------------------------------------------------------------------ */

static const char *const top_keys[] = {"name",  "warehouse", "storage", "partitions",
				       "pools", "defaults",  "assets"};

enum { K_SQL = 1, K_SCRIPT = 2, K_COMMAND = 4, K_HTTP = 8, K_ALL = 15 };

/* The keys of an asset and the kinds of asset each one applies to. */
static const struct asset_key {
	const char *name;
	unsigned kinds;
} asset_keys[] = {
	{"sql", K_ALL},           {"sql_file", K_ALL},
	{"script", K_ALL},        {"script_file", K_ALL},
	{"command", K_ALL},       {"http", K_ALL},
	{"partitions", K_ALL},
	{"partition_expr", K_ALL}, {"deps", K_ALL},
	{"group", K_ALL},         {"description", K_ALL},
	{"owners", K_ALL},        {"tags", K_ALL},
	{"code_version", K_ALL},  {"metadata", K_ALL},
	{"checks", K_ALL},        {"table", K_ALL},
	{"retries", K_ALL},       {"backfill", K_ALL},
	{"pool", K_ALL},
	{"on_schema_change", K_SQL | K_COMMAND | K_HTTP},
	{"outside_rows", K_SQL | K_COMMAND | K_HTTP},
	{"output_format", K_COMMAND},
	{"timeout", K_COMMAND},
	{"env", K_COMMAND},
};

/* The keys that say how the asset is made: exactly one per asset. */
static const struct kind_key {
	const char *name;
	tr_asset_kind kind;
	int is_file;
} kind_keys[] = {
	{"sql", TR_ASSET_SQL, 0},       {"sql_file", TR_ASSET_SQL, 1},
	{"script", TR_ASSET_SCRIPT, 0}, {"script_file", TR_ASSET_SCRIPT, 1},
	{"command", TR_ASSET_COMMAND, 0}, {"http", TR_ASSET_HTTP, 0},
};
#define KIND_KEYS_TEXT "sql, sql_file, script, script_file, command, http"

static const char *const check_keys_allowed[] = {"name", "sql", "description", "severity",
						 "blocking"};
static const char *const dep_keys_allowed[] = {"asset", "mapping"};
static const char *const schema_change_values[] = {"fail", "add_columns", NULL};
static const char *const outside_rows_values[] = {"fail", "drop", NULL};
static const char *const output_format_values[] = {"csv", "json", "parquet", NULL};
static const char *const severity_values[] = {"warn", "error", NULL};
static const char *const retry_keys_allowed[] = {"max", "delay", "backoff"};
static const char *const backfill_keys_allowed[] = {"policy", "max_partitions_per_run"};
static const char *const pool_keys_allowed[] = {"max_concurrency", "rate"};
static const char *const defaults_keys_allowed[] = {"retries", "backfill"};
static const char *const policy_values[] = {"multi_run", "single_run", NULL}; /* tr_policy_kind */
static const char *const http_keys_allowed[] = {"url",     "fallback_url", "headers",  "format",
						"records", "timeout",      "retries", "fail_when"};
static const char *const http_format_values[] = {"csv", "json", NULL};
static const char *const fail_when_keys_allowed[] = {"json_keys", "contains"};

const char *tr_asset_kind_name(tr_asset_kind kind)
{
	switch (kind) {
	case TR_ASSET_SQL: return "sql";
	case TR_ASSET_SCRIPT: return "script";
	case TR_ASSET_COMMAND: return "command";
	case TR_ASSET_HTTP: return "http";
	}
	return "unknown";
}

static unsigned kind_bit(tr_asset_kind kind)
{
	return kind == TR_ASSET_SQL	? K_SQL
	       : kind == TR_ASSET_SCRIPT ? K_SCRIPT
	       : kind == TR_ASSET_HTTP	 ? K_HTTP
					 : K_COMMAND;
}

/* ---- names and messages ---------------------------------------------------------------- */

/* One is the start of the other ("sales" / "sales_data"), ignoring case, both >= 3 long. */
static int prefix_related(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), m = la < lb ? la : lb;

	return m >= 3 && strncasecmp(a, b, m) == 0;
}

const char *project_nearest(const char *name, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = 4;

	for (size_t i = 0; i < n; i++) {
		size_t d = strcasecmp(name, candidates[i]) == 0 ? 0
							       : tr_edit_distance(name, candidates[i]);

		if (d > 2 && prefix_related(name, candidates[i]))
			d = 2;

		if (d < best_d && strcmp(name, candidates[i]) != 0) {
			best_d = d;
			best = candidates[i];
		}
	}
	/* short names are close to every other short name: allow a third of the length */
	return best && best_d * 3 <= strlen(name) + 2 ? best : NULL;
}

char *project_table_key(const char *table)
{
	char *key = xstrdup(table), *dot;

	if (!key)
		return NULL;
	for (char *c = key; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	dot = strchr(key, '.');
	if (dot && strchr(dot + 1, '.')) /* catalog.schema.table: the catalog is the warehouse */
		memmove(key, dot + 1, strlen(dot + 1) + 1);
	if (strncmp(key, "main.", 5) == 0 && !strchr(key + 5, '.'))
		memmove(key, key + 5, strlen(key + 5) + 1);
	return key;
}

static int identifier_ok(const char *s, size_t len)
{
	if (!len || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' ||
		      (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/* Dagster's rule for group and check names: letters, digits, _ */
static int simple_name_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_' ||
		      (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

static int oom(tr_error *err)
{
	return tr_error_set(err, TR_ENOMEM, "out of memory while loading the project");
}

/* "ORIGIN:LINE:COL: PATH: message" (no "PATH: " when path is NULL). */
static int fail(tr_error *err, int code, const tr_node *node, const char *path, const char *fmt,
		...) __attribute__((format(printf, 5, 6)));

static int fail(tr_error *err, int code, const tr_node *node, const char *path, const char *fmt, ...)
{
	char msg[TR_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path)
		return tr_error_set(err, code, "%s:%d:%d: %s: %s", node->origin, node->line, node->col,
				    path, msg);
	return tr_error_set(err, code, "%s:%d:%d: %s", node->origin, node->line, node->col, msg);
}

#define bad(ld, node, path, ...) fail((ld)->err, TR_EINVAL, (node), (path), __VA_ARGS__)

/* "a, b, c" */
static void join_names(tr_buf *b, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tr_buf_addf(b, "%s%s", i ? ", " : "", names[i]);
}

/* The node holding the key `key` of map (for errors about the key itself). */
static const tr_node *key_node(const tr_node *map, const char *key)
{
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(tr_node_key(map, i), key) == 0)
			return map->items[2 * i];
	return map;
}

/* The value of key in map, writable (the loader owns its tree). */
static tr_node *mut_get(tr_node *map, const char *key)
{
	if (!map || map->kind != TR_NODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->items[2 * i]->scalar, key) == 0)
			return map->items[2 * i + 1];
	return NULL;
}

static int is_multi_node(const tr_node *def)
{
	const tr_node *type = tr_node_get(def, "type");

	return type && type->kind == TR_NODE_SCALAR && strcmp(type->scalar, "multi") == 0;
}

/* ---- the loader ------------------------------------------------------------------------ */

typedef struct loader {
	tr_project *p;
	project_graph *g;
	tr_error *err;
	tr_node *root;              /* ours: named dimensions are linked into it (see below) */
	tr_node **asset_maps;       /* per asset: its map of keys */
	const tr_node **asset_names; /* per asset: the key node of its name */
	char **table_keys;           /* per asset: project_table_key(table) */
	tr_retry_policy default_retries;     /* `defaults: retries:`, else none */
	tr_backfill_policy default_backfill; /* `defaults: backfill:`, else multi_run 1 */
} loader;

static int check_keys(loader *ld, const tr_node *map, const char *path,
		      const char *const *allowed, size_t n)
{
	for (size_t i = 0; i < map->n; i++) {
		const char *key = tr_node_key(map, i), *near;
		tr_buf list = TR_BUF_INIT;
		size_t k;
		int rc;

		for (k = 0; k < n && strcmp(key, allowed[k]) != 0; k++)
			;
		if (k < n)
			continue;
		near = project_nearest(key, allowed, n);
		join_names(&list, allowed, n);
		if (near)
			rc = bad(ld, map->items[2 * i], path,
				 "unknown key \"%.100s\" (did you mean \"%s\"? valid keys: %s)", key, near,
				 tr_buf_str(&list));
		else
			rc = bad(ld, map->items[2 * i], path, "unknown key \"%.100s\" (valid keys: %s)",
				 key, tr_buf_str(&list));
		tr_buf_release(&list);
		return rc;
	}
	return 0;
}

/*
 * An optional string: *out NULL when the key is absent or null. `what` names what is
 * expected, for messages ("SQL text", "a table name").
 */
static int get_string(loader *ld, const tr_node *map, const char *key, const char *path,
		      const char *what, const char **out)
{
	const tr_node *v = tr_node_get(map, key);

	*out = NULL;
	if (!v || tr_node_is_null(v))
		return 0;
	if (v->kind != TR_NODE_SCALAR)
		return bad(ld, v, path, "expected %s, got a %s", what, tr_node_kind_name(v));
	*out = v->scalar;
	return 0;
}

/* A string that, when given, is not empty (nor only blanks). */
static int get_text(loader *ld, const tr_node *map, const char *key, const char *path,
		    const char *what, const char **out)
{
	int rc = get_string(ld, map, key, path, what, out);

	if (!rc && *out && !(*out)[strspn(*out, " \t\r\n")])
		rc = bad(ld, tr_node_get(map, key), path, "expected %s, got an empty string", what);
	return rc;
}

static int set_string(loader *ld, char **dst, const char *src)
{
	if (!src)
		return 0;
	if (!(*dst = xstrdup(src)))
		return oom(ld->err);
	return 0;
}

/* One of values (NULL-terminated); *index 0 (the default) when absent. */
static int get_choice(loader *ld, const tr_node *map, const char *key, const char *path,
		      const char *const *values, int *index)
{
	const char *s;
	size_t n = 0;
	tr_buf list = TR_BUF_INIT;
	int rc;

	while (values[n])
		n++;
	join_names(&list, values, n);
	rc = get_string(ld, map, key, path, "one of", &s);
	if (rc || !s) {
		*index = 0;
		if (rc)
			rc = bad(ld, tr_node_get(map, key), path, "expected one of %s, got a %s",
				 tr_buf_str(&list), tr_node_kind_name(tr_node_get(map, key)));
		tr_buf_release(&list);
		return rc;
	}
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(s, values[i]) == 0) {
			*index = (int)i;
			tr_buf_release(&list);
			return 0;
		}
	rc = bad(ld, tr_node_get(map, key), path, "\"%.100s\" is not one of %s", s, tr_buf_str(&list));
	tr_buf_release(&list);
	return rc;
}

static int read_file(const char *file, char **out, size_t *len, int *errnum)
{
	FILE *f = fopen(file, "rb");
	tr_buf b = TR_BUF_INIT;
	char chunk[65536];
	size_t got;

	*out = NULL;
	*errnum = 0;
	if (!f) {
		*errnum = errno;
		return TR_EIO;
	}
	tr_buf_init(&b, MAX_FILE_BYTES);
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		tr_buf_add(&b, chunk, got);
	if (ferror(f))
		*errnum = errno ? errno : EIO;
	fclose(f);
	if (*errnum || tr_buf_failed(&b)) {
		if (!*errnum)
			*errnum = EFBIG;
		tr_buf_release(&b);
		return TR_EIO;
	}
	*out = tr_buf_detach(&b, len);
	if (!*out) {
		*errnum = ENOMEM;
		return TR_ENOMEM;
	}
	return 0;
}

static char *path_join(const char *dir, const char *file)
{
	tr_buf b = TR_BUF_INIT;
	size_t dl = strlen(dir);

	if (file[0] == '/' || !strcmp(dir, "."))
		tr_buf_adds(&b, file);
	else
		tr_buf_addf(&b, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", file);
	if (tr_buf_failed(&b)) {
		tr_buf_release(&b);
		return NULL;
	}
	return tr_buf_detach(&b, NULL);
}

/* ---- one asset ------------------------------------------------------------------------- */

/*
 * The kind: exactly one of the kind keys, except that an http asset may also have sql or
 * sql_file (not both), its transform of the response.
 */
static int parse_kind(loader *ld, tr_asset *a, const tr_node *map, const char *path)
{
	const struct kind_key *found = NULL, *transform = NULL;
	int has_http = tr_node_get(map, "http") != NULL;
	char kpath[512];

	for (size_t i = 0; i < map->n; i++) {
		for (size_t k = 0; k < ARRAY_LEN(kind_keys); k++) {
			if (strcmp(tr_node_key(map, i), kind_keys[k].name))
				continue;
			if (has_http && kind_keys[k].kind == TR_ASSET_SQL) {
				if (transform)
					return bad(ld, map->items[2 * i], path,
						   "%s and %s are both given; an http asset transforms "
						   "its response with one of them",
						   transform->name, kind_keys[k].name);
				transform = &kind_keys[k];
				continue;
			}
			if (found)
				return bad(ld, map->items[2 * i], path,
					   "%s and %s are both given; an asset is made by exactly one of "
					   KIND_KEYS_TEXT,
					   found->name, kind_keys[k].name);
			found = &kind_keys[k];
		}
	}
	if (!found)
		return bad(ld, ld->asset_names[a - ld->p->assets], path,
			   "says nothing about how it is made: give one of " KIND_KEYS_TEXT
			   " (e.g. sql: SELECT ...)");
	a->kind = found->kind;
	if (found->kind == TR_ASSET_HTTP) {
		found = transform; /* optional; the request is read by parse_http */
		if (!found)
			return 0;
	}
	snprintf(kpath, sizeof(kpath), "%s.%s", path, found->name);
	if (found->kind == TR_ASSET_COMMAND)
		return 0; /* parse_command */
	{
		const char *text;
		int rc = get_text(ld, map, found->name, kpath,
				  found->is_file ? "a file name" : "SQL text", &text);

		if (rc)
			return rc;
		if (!text)
			return bad(ld, tr_node_get(map, found->name), kpath, "expected %s, got nothing",
				   found->is_file ? "a file name" : "SQL text");
		if (!found->is_file)
			return set_string(ld, &a->sql, text);
		{
			char *file = path_join(ld->p->dir, text), *data = NULL;
			size_t len = 0;
			int errnum;

			if (!file)
				return oom(ld->err);
			rc = read_file(file, &data, &len, &errnum);
			if (rc == TR_EIO)
				rc = fail(ld->err, TR_EINVAL, tr_node_get(map, found->name), kpath,
					  "cannot read \"%.200s\" (%s): %s", text, file,
					  errnum == EFBIG ? "larger than 16 MiB" : strerror(errnum));
			else if (rc)
				rc = oom(ld->err);
			else if (memchr(data, '\0', len))
				rc = bad(ld, tr_node_get(map, found->name), kpath,
					 "\"%.200s\" contains a NUL byte: not a SQL text file", text);
			else if (!data[strspn(data, " \t\r\n")])
				rc = bad(ld, tr_node_get(map, found->name), kpath, "\"%.200s\" is empty",
					 text);
			free(file);
			if (rc) {
				free(data);
				return rc;
			}
			a->sql = data;
			return set_string(ld, &a->sql_file, text);
		}
	}
}

static int parse_command(loader *ld, tr_asset *a, const tr_node *map, const char *path)
{
	const tr_node *v = tr_node_get(map, "command");
	char kpath[512];

	snprintf(kpath, sizeof(kpath), "%s.command", path);
	if (v->kind == TR_NODE_SCALAR) {
		if (tr_node_is_null(v) || !v->scalar[strspn(v->scalar, " \t\r\n")])
			return bad(ld, v, kpath,
				   "expected a shell command (a string) or a program and its arguments "
				   "(a list), got nothing");
		a->command = calloc(4, sizeof(char *));
		if (!a->command)
			return oom(ld->err);
		a->command_argc = 3;
		if (!(a->command[0] = xstrdup("/bin/sh")) || !(a->command[1] = xstrdup("-c")) ||
		    !(a->command[2] = xstrdup(v->scalar)))
			return oom(ld->err);
		return 0;
	}
	if (v->kind != TR_NODE_SEQ || v->n == 0)
		return bad(ld, v, kpath,
			   "expected a shell command (a string) or a program and its arguments (a "
			   "non-empty list of strings), got %s",
			   v->kind == TR_NODE_SEQ ? "an empty list" : "a map");
	a->command = calloc(v->n + 1, sizeof(char *));
	if (!a->command)
		return oom(ld->err);
	for (size_t i = 0; i < v->n; i++) {
		const tr_node *arg = v->items[i];

		if (arg->kind != TR_NODE_SCALAR)
			return bad(ld, arg, kpath, "[%zu]: expected a string (one argument), got a %s",
				   i, tr_node_kind_name(arg));
		if (!(a->command[i] = xstrdup(arg->scalar)))
			return oom(ld->err);
		a->command_argc++;
	}
	if (!a->command[0][0])
		return bad(ld, v->items[0], kpath, "[0]: the program name is empty");
	return 0;
}

/*
 * map.timeout: "90" seconds, or a number with ms, s, m or h; *out left alone when absent.
 * absent: what no timeout means, for messages ("no limit").
 */
static int parse_timeout(loader *ld, const tr_node *map, const char *path, const char *absent,
			 int64_t *out)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"", 1000}};
	const tr_node *v = tr_node_get(map, "timeout");
	char kpath[512];
	const char *s;
	int64_t n = 0;

	if (!v || tr_node_is_null(v))
		return 0;
	snprintf(kpath, sizeof(kpath), "%s.timeout", path);
	if (v->kind != TR_NODE_SCALAR)
		return bad(ld, v, kpath, "expected a duration: seconds (90) or 90s, 5m, 1h; got a %s",
			   tr_node_kind_name(v));
	s = v->scalar;
	if (*s < '0' || *s > '9')
		goto invalid;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > MAX_TIMEOUT_MS)
			goto invalid;
		n = n * 10 + (*s - '0');
	}
	for (size_t i = 0; i < ARRAY_LEN(units); i++)
		if (strcmp(s, units[i].unit) == 0) {
			if (n > MAX_TIMEOUT_MS / units[i].ms)
				return bad(ld, v, kpath, "\"%.100s\" is more than a year", v->scalar);
			if (n == 0)
				return bad(ld, v, kpath, "must be more than 0 (leave timeout out for %s)",
					   absent);
			*out = n * units[i].ms;
			return 0;
		}
invalid:
	return bad(ld, v, kpath,
		   "\"%.100s\" is not a duration: give seconds (90) or a number with ms, s, m or h "
		   "(500ms, 90s, 5m, 1h)",
		   v->scalar);
}

/* ---- retries, backfill policies and pools ---------------------------------------------- */

/* How a value was written, for "got ...": "\"text\"" (quoted, cut) or "a list" / "a map". */
static const char *got_text(const tr_node *v, char *buf, size_t size)
{
	if (v->kind == TR_NODE_SCALAR)
		snprintf(buf, size, "\"%.100s\"", v->scalar);
	else
		snprintf(buf, size, "a %s", tr_node_kind_name(v));
	return buf;
}

/*
 * An optional integer in [min, max] (max INT64_MAX: no upper bound). *out is left alone when
 * the key is absent or null. `what` says what the number counts, for messages.
 */
static int get_int(loader *ld, const tr_node *map, const char *key, const char *path,
		   int64_t min, int64_t max, const char *what, int64_t *out)
{
	const tr_node *v = tr_node_get(map, key);
	char kpath[700], range[64], buf[128];
	int64_t n;

	if (!v || tr_node_is_null(v))
		return 0;
	snprintf(kpath, sizeof(kpath), "%s.%s", path, key);
	if (max == INT64_MAX)
		snprintf(range, sizeof(range), "of at least %lld", (long long)min);
	else
		snprintf(range, sizeof(range), "from %lld to %lld", (long long)min, (long long)max);
	if (v->kind != TR_NODE_SCALAR || tr_node_int(v, &n))
		return bad(ld, v, kpath, "expected a whole number %s (%s), got %s", range, what,
			   got_text(v, buf, sizeof(buf)));
	if (n < min)
		return bad(ld, v, kpath, "must be at least %lld (%s), got %s", (long long)min, what,
			   v->scalar);
	if (n > max)
		return bad(ld, v, kpath, "must be at most %lld (%s), got %s", (long long)max, what,
			   v->scalar);
	*out = n;
	return 0;
}

/* Units of a duration (a retry `delay`, the period of a pool's `rate`), any case. */
static const struct duration_unit {
	const char *name;
	int64_t ms;
} duration_units[] = {
	{"ms", 1},
	{"s", 1000},     {"sec", 1000},   {"secs", 1000},  {"second", 1000}, {"seconds", 1000},
	{"m", 60000},    {"min", 60000},  {"mins", 60000}, {"minute", 60000}, {"minutes", 60000},
	{"h", 3600000},  {"hr", 3600000}, {"hrs", 3600000}, {"hour", 3600000}, {"hours", 3600000},
	{"d", 86400000}, {"day", 86400000}, {"days", 86400000},
};

enum { DURATION_OK = 0, DURATION_SYNTAX, DURATION_TOO_LONG, DURATION_FRACTION };

/*
 * A duration in ms: a decimal number (digits, optionally '.' and digits; no sign, no
 * exponent) followed by a unit of duration_units, or by nothing for seconds ("0.5" is
 * 500 ms). With number_optional, a unit alone is one of it ("minute"). Exact: a value
 * that is no whole number of milliseconds is DURATION_FRACTION; more than max_ms
 * (at most a year) is DURATION_TOO_LONG.
 */
static int duration_ms(const char *s, int number_optional, int64_t max_ms, int64_t *out)
{
	int64_t whole = 0, frac = 0, scale = 1, unit = 1000;

	if (*s >= '0' && *s <= '9') {
		for (; *s >= '0' && *s <= '9'; s++) {
			if (whole > max_ms)
				return DURATION_TOO_LONG;
			whole = whole * 10 + (*s - '0');
		}
		if (*s == '.') {
			if (*++s < '0' || *s > '9')
				return DURATION_SYNTAX;
			for (; *s >= '0' && *s <= '9'; s++) {
				if (scale < 1000000000) { /* finer is below a ms, whatever the unit */
					frac = frac * 10 + (*s - '0');
					scale *= 10;
				} else if (*s != '0') {
					return DURATION_FRACTION;
				}
			}
		}
	} else if (number_optional && *s) {
		whole = 1;
	} else {
		return DURATION_SYNTAX;
	}
	if (*s) {
		size_t i;

		for (i = 0; i < ARRAY_LEN(duration_units) && strcasecmp(s, duration_units[i].name); i++)
			;
		if (i == ARRAY_LEN(duration_units))
			return DURATION_SYNTAX;
		unit = duration_units[i].ms;
	}
	if (whole > max_ms / unit)
		return DURATION_TOO_LONG;
	if (frac * unit % scale)
		return DURATION_FRACTION;
	*out = whole * unit + frac * unit / scale;
	return *out > max_ms ? DURATION_TOO_LONG : DURATION_OK;
}

/* retries.delay: 0 when absent; at most a day. */
static int parse_delay(loader *ld, const tr_node *map, const char *path, int64_t *out)
{
	const tr_node *v = tr_node_get(map, "delay");
	char kpath[700];
	int rc;

	*out = 0;
	if (!v || tr_node_is_null(v))
		return 0;
	snprintf(kpath, sizeof(kpath), "%s.delay", path);
	if (v->kind != TR_NODE_SCALAR)
		return bad(ld, v, kpath,
			   "expected a duration: seconds (10, 0.5) or a number with a unit (500ms, "
			   "10s, 2m, 1h); got a %s",
			   tr_node_kind_name(v));
	rc = duration_ms(v->scalar, 0, MAX_DELAY_MS, out);
	if (rc == DURATION_TOO_LONG)
		return bad(ld, v, kpath, "\"%.100s\" is more than a day", v->scalar);
	if (rc == DURATION_FRACTION)
		return bad(ld, v, kpath, "\"%.100s\" is not a whole number of milliseconds",
			   v->scalar);
	if (rc)
		return bad(ld, v, kpath,
			   "\"%.100s\" is not a duration: give seconds (10, 0.5) or a number with a "
			   "unit (500ms, 10s, 2m, 1h)",
			   v->scalar);
	return 0;
}

/* retries.backoff: a decimal number >= 1; 1 when absent. */
static int parse_backoff(loader *ld, const tr_node *map, const char *path, double *out)
{
	static const char what[] = "the factor by which the delay grows after each retry; 1 keeps "
				   "it constant";
	const tr_node *v = tr_node_get(map, "backoff");
	char kpath[700], buf[128];
	const char *s;
	size_t digits;

	*out = 1;
	if (!v || tr_node_is_null(v))
		return 0;
	snprintf(kpath, sizeof(kpath), "%s.backoff", path);
	s = v->kind == TR_NODE_SCALAR ? v->scalar : "";
	digits = strspn(s, "0123456789");
	if (s[digits] == '.' && s[digits + 1])
		digits += 1 + strspn(s + digits + 1, "0123456789");
	/* 20 characters keep the number finite */
	if (!*s || s[digits] || *s == '.' || digits > 20)
		return bad(ld, v, kpath, "expected a number of at least 1 such as 2 or 1.5 (%s), got %s",
			   what, got_text(v, buf, sizeof(buf)));
	*out = strtod(s, NULL);
	if (*out < 1)
		return bad(ld, v, kpath, "must be at least 1 (%s), got %s", what, s);
	return 0;
}

/* retries: {max, delay, backoff} (v: the value, not null); path names it. */
static int parse_retries(loader *ld, const tr_node *v, const char *path, tr_retry_policy *out)
{
	int64_t max = 0;
	int rc;

	if (v->kind != TR_NODE_MAP) {
		if (v->kind == TR_NODE_SCALAR && !tr_node_int(v, &max) && max >= 0 &&
		    max <= MAX_RETRIES)
			return bad(ld, v, path,
				   "expected a map {max: N, delay: DURATION, backoff: F}, got a number "
				   "(for %lld retries write {max: %lld})",
				   (long long)max, (long long)max);
		return bad(ld, v, path,
			   "expected a map {max: N, delay: DURATION, backoff: F}, e.g. {max: 3, delay: "
			   "10s, backoff: 2}; got a %s",
			   tr_node_kind_name(v));
	}
	if ((rc = check_keys(ld, v, path, retry_keys_allowed, ARRAY_LEN(retry_keys_allowed))))
		return rc;
	if (!tr_node_get(v, "max") || tr_node_is_null(tr_node_get(v, "max")))
		return bad(ld, v, path,
			   "max: required: how many times a failed step is tried again (0 to %d), "
			   "e.g. {max: 3, delay: 10s}",
			   MAX_RETRIES);
	if ((rc = get_int(ld, v, "max", path, 0, MAX_RETRIES,
			  "how many times a failed step is tried again", &max)) ||
	    (rc = parse_delay(ld, v, path, &out->delay_ms)) ||
	    (rc = parse_backoff(ld, v, path, &out->backoff)))
		return rc;
	out->max = (int)max;
	return 0;
}

/* backfill: {policy, max_partitions_per_run} (v: the value, not null); path names it. */
static int parse_backfill(loader *ld, const tr_node *v, const char *path, tr_backfill_policy *out)
{
	const tr_node *max_node;
	char kpath[700];
	int64_t max = 1;
	int rc, policy;

	if (v->kind != TR_NODE_MAP) {
		int named = v->kind == TR_NODE_SCALAR && (!strcasecmp(v->scalar, "single_run") ||
							  !strcasecmp(v->scalar, "multi_run"));

		if (named)
			return bad(ld, v, path,
				   "expected a map {policy: multi_run|single_run, "
				   "max_partitions_per_run: N}, got a string (write {policy: %s})",
				   v->scalar);
		return bad(ld, v, path,
			   "expected a map {policy: multi_run|single_run, max_partitions_per_run: N}, "
			   "e.g. {policy: single_run} or {policy: multi_run, max_partitions_per_run: "
			   "10}; got a %s",
			   tr_node_kind_name(v));
	}
	if ((rc = check_keys(ld, v, path, backfill_keys_allowed, ARRAY_LEN(backfill_keys_allowed))))
		return rc;
	snprintf(kpath, sizeof(kpath), "%s.policy", path);
	if ((rc = get_choice(ld, v, "policy", kpath, policy_values, &policy)))
		return rc;
	max_node = tr_node_get(v, "max_partitions_per_run");
	if (policy == TR_POLICY_SINGLE_RUN) {
		if (max_node && !tr_node_is_null(max_node)) {
			snprintf(kpath, sizeof(kpath), "%s.max_partitions_per_run", path);
			return bad(ld, key_node(v, "max_partitions_per_run"), kpath,
				   "single_run has no max_partitions_per_run: it runs each contiguous "
				   "range of partitions as one step, however long (as Dagster's "
				   "BackfillPolicy.single_run()); for steps of at most N partitions write "
				   "{policy: multi_run, max_partitions_per_run: N}");
		}
		out->kind = TR_POLICY_SINGLE_RUN;
		out->max_partitions_per_run = 0;
		return 0;
	}
	if ((rc = get_int(ld, v, "max_partitions_per_run", path, 1, INT64_MAX,
			  "the most partitions one step covers", &max)))
		return rc;
	out->kind = TR_POLICY_MULTI_RUN;
	out->max_partitions_per_run = max;
	return 0;
}

/* One rate "COUNT/PERIOD" (blanks allowed around the '/') at node v, named kpath. */
static int parse_one_rate(loader *ld, const tr_node *v, const char *kpath, tr_rate *out)
{
	char period[64];
	const char *s, *slash, *end;
	int64_t count = 0;
	size_t len;
	int rc;

	if (v->kind != TR_NODE_SCALAR)
		return bad(ld, v, kpath, "expected a rate COUNT/PERIOD such as 10/minute or 5/90s, got a %s",
			   tr_node_kind_name(v));
	s = v->scalar;
	slash = strchr(s, '/');
	if (!slash || !(*s >= '0' && *s <= '9'))
		goto syntax;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (count <= MAX_POOL_LIMIT)
			count = count * 10 + (*s - '0');
	}
	s += strspn(s, " \t");
	if (s != slash)
		goto syntax;
	s = slash + 1 + strspn(slash + 1, " \t");
	for (end = s + strlen(s); end > s && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	len = (size_t)(end - s);
	if (!len || len >= sizeof(period))
		goto syntax;
	memcpy(period, s, len);
	period[len] = '\0';
	rc = duration_ms(period, 1, MAX_RATE_PERIOD_MS, &out->period_ms);
	if (rc == DURATION_SYNTAX)
		goto syntax;
	if (count < 1)
		return bad(ld, v, kpath,
			   "\"%.100s\": the count must be at least 1 (leave rate out for no limit)",
			   v->scalar);
	if (count > MAX_POOL_LIMIT)
		return bad(ld, v, kpath, "\"%.100s\": the count must be at most %d", v->scalar,
			   MAX_POOL_LIMIT);
	if (rc == DURATION_TOO_LONG)
		return bad(ld, v, kpath, "\"%.100s\": the period must be at most a year", v->scalar);
	if (rc == DURATION_FRACTION)
		return bad(ld, v, kpath, "\"%.100s\": the period is not a whole number of milliseconds",
			   v->scalar);
	if (out->period_ms == 0)
		return bad(ld, v, kpath, "\"%.100s\": the period must be more than 0", v->scalar);
	out->count = count;
	return 0;
syntax:
	return bad(ld, v, kpath,
		   "\"%.100s\" is not a rate: give COUNT/UNIT with UNIT second, minute, hour or day "
		   "(10/minute), or COUNT/DURATION (5/90s, 10/15m, 100/2h)",
		   v->scalar);
}

/* pools.NAME.rate: one rate, or a list of them (an API's quotas: [5/minute, 25/day]). */
static int parse_rate(loader *ld, tr_pool *pool, const tr_node *map, const char *path)
{
	const tr_node *v = tr_node_get(map, "rate");
	char kpath[700];
	int rc;

	if (!v || tr_node_is_null(v))
		return 0;
	snprintf(kpath, sizeof(kpath), "%s.rate", path);
	if (v->kind != TR_NODE_SEQ) {
		pool->n_rates = 1;
		return parse_one_rate(ld, v, kpath, &pool->rates[0]);
	}
	if (v->n == 0 || v->n > TR_POOL_MAX_RATES)
		return bad(ld, v, kpath,
			   "expected 1 to %d rates, e.g. [5/minute, 25/day], got %zu (leave rate out "
			   "for no limit)",
			   TR_POOL_MAX_RATES, v->n);
	for (size_t k = 0; k < v->n; k++) {
		char ipath[740];

		snprintf(ipath, sizeof(ipath), "%s[%zu]", kpath, k);
		if ((rc = parse_one_rate(ld, v->items[k], ipath, &pool->rates[k])))
			return rc;
		pool->n_rates++;
	}
	return 0;
}

/* assets.NAME.pool: a name under the top-level pools:. */
static int parse_pool_ref(loader *ld, tr_asset *a, const tr_node *map, const char *path)
{
	const tr_node *v = tr_node_get(map, "pool");
	tr_project *p = ld->p;
	const char **names, *near;
	char kpath[512];
	tr_buf list = TR_BUF_INIT;
	int rc;

	if (!v || tr_node_is_null(v))
		return 0;
	snprintf(kpath, sizeof(kpath), "%s.pool", path);
	if (v->kind != TR_NODE_SCALAR)
		return bad(ld, v, kpath, "expected the name of a pool declared under pools:, got a %s",
			   tr_node_kind_name(v));
	for (size_t i = 0; i < p->n_pools; i++)
		if (!strcmp(p->pools[i].name, v->scalar)) {
			a->pool = i;
			return 0;
		}
	if (!p->n_pools)
		return bad(ld, v, kpath,
			   "unknown pool \"%.100s\": no pools are declared (declare it at the top "
			   "level: pools: {%.100s: {max_concurrency: 1}})",
			   v->scalar, identifier_ok(v->scalar, strlen(v->scalar)) ? v->scalar : "NAME");
	if (!(names = calloc(p->n_pools, sizeof(*names))))
		return oom(ld->err);
	for (size_t i = 0; i < p->n_pools; i++)
		names[i] = p->pools[i].name;
	near = project_nearest(v->scalar, names, p->n_pools);
	join_names(&list, names, p->n_pools);
	if (near)
		rc = bad(ld, v, kpath, "unknown pool \"%.100s\" (did you mean \"%s\"? declared: %s)",
			 v->scalar, near, tr_buf_str(&list));
	else
		rc = bad(ld, v, kpath, "unknown pool \"%.100s\" (declared: %s)", v->scalar,
			 tr_buf_str(&list));
	tr_buf_release(&list);
	free(names);
	return rc;
}

/* An asset's retries, backfill and pool; a->retries and a->backfill hold the defaults. */
static int parse_asset_policies(loader *ld, tr_asset *a, const tr_node *map, const char *path)
{
	const tr_node *v;
	char kpath[512];
	int rc;

	v = tr_node_get(map, "retries");
	if (v && !tr_node_is_null(v)) {
		snprintf(kpath, sizeof(kpath), "%s.retries", path);
		if ((rc = parse_retries(ld, v, kpath, &a->retries)))
			return rc;
	}
	v = tr_node_get(map, "backfill");
	if (v && !tr_node_is_null(v)) {
		snprintf(kpath, sizeof(kpath), "%s.backfill", path);
		if ((rc = parse_backfill(ld, v, kpath, &a->backfill)))
			return rc;
	}
	return parse_pool_ref(ld, a, map, path);
}

/* A map of string -> string (tags, env). */
static int parse_kv_map(loader *ld, const tr_node *map, const char *key, const char *path,
			const char *what, tr_kv **out, size_t *n_out)
{
	const tr_node *v = tr_node_get(map, key);
	char kpath[512];

	if (!v || tr_node_is_null(v))
		return 0;
	snprintf(kpath, sizeof(kpath), "%s.%s", path, key);
	if (v->kind != TR_NODE_MAP)
		return bad(ld, v, kpath, "expected a map of %s, got a %s", what, tr_node_kind_name(v));
	if (v->n && !(*out = calloc(v->n, sizeof(tr_kv))))
		return oom(ld->err);
	for (size_t i = 0; i < v->n; i++) {
		const tr_node *val = tr_node_value(v, i);
		const char *k = tr_node_key(v, i);

		if (val->kind != TR_NODE_SCALAR)
			return bad(ld, val, kpath, "%.100s: expected a string, got a %s", k,
				   tr_node_kind_name(val));
		if (!strcmp(key, "env") && !identifier_ok(k, strlen(k)))
			return bad(ld, v->items[2 * i], kpath,
				   "\"%.100s\" is not an environment variable name (letters, digits "
				   "and _, not starting with a digit)",
				   k);
		if (!strcmp(key, "tags") && (!*k || strpbrk(k, "=,") || strchr(val->scalar, ',')))
			return bad(ld, v->items[2 * i], kpath,
				   "%.100s: tag keys must be non-empty without '=' or ',', and values "
				   "without ',' (they are selected with tag:KEY=VALUE)",
				   k);
		(*n_out)++; /* first: tr_project_free frees what was set */
		if (!((*out)[i].key = xstrdup(k)) || !((*out)[i].value = xstrdup(val->scalar)))
			return oom(ld->err);
	}
	return 0;
}

static int parse_owners(loader *ld, tr_asset *a, const tr_node *map, const char *path)
{
	const tr_node *v = tr_node_get(map, "owners");
	char kpath[512];

	if (!v || tr_node_is_null(v))
		return 0;
	snprintf(kpath, sizeof(kpath), "%s.owners", path);
	if (v->kind != TR_NODE_SEQ)
		return bad(ld, v, kpath, "expected a list of strings (e.g. [team:data, ana@example.com]), "
					 "got a %s",
			   tr_node_kind_name(v));
	if (v->n && !(a->owners = calloc(v->n, sizeof(char *))))
		return oom(ld->err);
	for (size_t i = 0; i < v->n; i++) {
		const tr_node *o = v->items[i];

		if (o->kind != TR_NODE_SCALAR || !o->scalar[0])
			return bad(ld, o, kpath, "[%zu]: expected a non-empty string, got a %s", i,
				   o->kind == TR_NODE_SCALAR ? "empty string" : tr_node_kind_name(o));
		if (!(a->owners[i] = xstrdup(o->scalar)))
			return oom(ld->err);
		a->n_owners++;
	}
	return 0;
}

static int parse_metadata(loader *ld, tr_asset *a, const tr_node *map, const char *path)
{
	const tr_node *v = tr_node_get(map, "metadata");
	char kpath[512];

	if (!v || tr_node_is_null(v))
		return 0;
	snprintf(kpath, sizeof(kpath), "%s.metadata", path);
	if (v->kind != TR_NODE_MAP)
		return bad(ld, v, kpath,
			   "expected a map of name -> SQL (e.g. {distinct_customers: SELECT count(DISTINCT "
			   "customer) FROM orders}), got a %s",
			   tr_node_kind_name(v));
	if (v->n && !(a->metadata = calloc(v->n, sizeof(tr_asset_metadata))))
		return oom(ld->err);
	for (size_t i = 0; i < v->n; i++) {
		const tr_node *val = tr_node_value(v, i);
		const char *k = tr_node_key(v, i);

		if (val->kind != TR_NODE_SCALAR || !val->scalar[strspn(val->scalar, " \t\r\n")])
			return bad(ld, val, kpath, "%.100s: expected SQL text, got %s", k,
				   val->kind == TR_NODE_SCALAR ? "an empty string"
							       : val->kind == TR_NODE_MAP ? "a map"
											  : "a list");
		if (!k[0])
			return bad(ld, v->items[2 * i], kpath, "a metadata name is empty");
		a->n_metadata++;
		if (!(a->metadata[i].name = xstrdup(k)) || !(a->metadata[i].sql = xstrdup(val->scalar)))
			return oom(ld->err);
	}
	return 0;
}

static int parse_checks(loader *ld, tr_asset *a, const tr_node *map, const char *path)
{
	const tr_node *v = tr_node_get(map, "checks");
	char kpath[512], cpath[600];

	if (!v || tr_node_is_null(v))
		return 0;
	snprintf(kpath, sizeof(kpath), "%s.checks", path);
	if (v->kind != TR_NODE_SEQ)
		return bad(ld, v, kpath,
			   "expected a list of checks, e.g. [{name: no_null_ids, sql: SELECT * FROM "
			   "orders WHERE id IS NULL}], got a %s",
			   tr_node_kind_name(v));
	if (v->n && !(a->checks = calloc(v->n, sizeof(tr_asset_check))))
		return oom(ld->err);
	for (size_t i = 0; i < v->n; i++) {
		const tr_node *c = v->items[i], *blocking;
		tr_asset_check *chk = &a->checks[i];
		const char *name, *sql, *desc;
		int severity, rc, block = 0;

		snprintf(cpath, sizeof(cpath), "%s[%zu]", kpath, i);
		if (c->kind != TR_NODE_MAP)
			return bad(ld, c, cpath, "expected a check {name: ..., sql: ...}, got a %s",
				   tr_node_kind_name(c));
		a->n_checks++;
		if ((rc = check_keys(ld, c, cpath, check_keys_allowed, ARRAY_LEN(check_keys_allowed))))
			return rc;
		if ((rc = get_string(ld, c, "name", cpath, "a check name", &name)))
			return rc;
		if (!name)
			return bad(ld, c, cpath, "name: required (letters, digits and _)");
		if (!simple_name_ok(name))
			return bad(ld, tr_node_get(c, "name"), cpath,
				   "name: \"%.100s\" is not a check name (letters, digits and _)", name);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(a->checks[j].name, name))
				return bad(ld, tr_node_get(c, "name"), cpath,
					   "name: two checks of asset \"%s\" are named \"%s\" "
					   "(checks[%zu] and checks[%zu]); check names are unique per asset",
					   a->name, name, j, i);
		if ((rc = get_text(ld, c, "sql", cpath, "SQL text (a query returning the failing rows)",
				   &sql)))
			return rc;
		if (!sql)
			return bad(ld, c, cpath,
				   "sql: required: a query that returns the failing rows (the check "
				   "passes when it returns none)");
		if ((rc = get_string(ld, c, "description", cpath, "a string", &desc)))
			return rc;
		{
			char spath[640];

			snprintf(spath, sizeof(spath), "%s.severity", cpath);
			if ((rc = get_choice(ld, c, "severity", spath, severity_values, &severity)))
				return rc;
		}
		blocking = tr_node_get(c, "blocking");
		if (blocking && !tr_node_is_null(blocking) && tr_node_bool(blocking, &block))
			return bad(ld, blocking, cpath, "blocking: expected true or false, got \"%.100s\"",
				   blocking->scalar ? blocking->scalar : tr_node_kind_name(blocking));
		if (block && severity != 1)
			return bad(ld, blocking, cpath,
				   "blocking: only a check with severity: error can block (a warn "
				   "check never stops downstream partitions); add severity: error");
		if (!(chk->name = xstrdup(name)) || !(chk->sql = xstrdup(sql)) ||
		    set_string(ld, &chk->description, desc))
			return oom(ld->err);
		chk->severity_error = severity == 1;
		chk->blocking = block;
	}
	return 0;
}

static int parse_table(loader *ld, tr_asset *a, const tr_node *map, const char *path)
{
	const char *t, *dot;
	char kpath[512];
	int rc;

	snprintf(kpath, sizeof(kpath), "%s.table", path);
	if ((rc = get_string(ld, map, "table", kpath, "a table name", &t)))
		return rc;
	if (!t)
		return set_string(ld, &a->table, a->name);
	dot = strchr(t, '.');
	if (dot ? !identifier_ok(t, (size_t)(dot - t)) || !identifier_ok(dot + 1, strlen(dot + 1))
		: !identifier_ok(t, strlen(t)))
		return bad(ld, tr_node_get(map, "table"), kpath,
			   "\"%.100s\" is not a table name: NAME or SCHEMA.NAME, each letters, digits "
			   "and _, not starting with a digit",
			   t);
	return set_string(ld, &a->table, t);
}

/*
 * A multi definition's dimension may name a definition under the top-level `partitions:`
 * (`dimensions: {date: daily, region: {type: static, ...}}`): the named definition's node
 * takes the name's place in the tree before the partitions module reads it. path is the
 * definition's key path ("partitions.cube", "assets.a.partitions").
 */
static int link_named_dimensions(loader *ld, tr_node *def, const char *path)
{
	tr_node *top = mut_get(ld->root, "partitions"), *dims = mut_get(def, "dimensions");
	char dpath[600];

	if (!def || !is_multi_node(def) || !dims || dims->kind != TR_NODE_MAP)
		return 0;
	for (size_t i = 0; i < dims->n; i++) {
		tr_node *d = dims->items[2 * i + 1], *named;

		if (d->kind != TR_NODE_SCALAR || tr_node_is_null(d))
			continue;
		snprintf(dpath, sizeof(dpath), "%s.dimensions.%.100s", path, tr_node_key(dims, i));
		named = mut_get(top, d->scalar);
		if (!named) {
			const char **names = calloc(top && top->kind == TR_NODE_MAP ? top->n + 1 : 1,
						    sizeof(*names));
			const char *near;
			size_t n = top && top->kind == TR_NODE_MAP ? top->n : 0;
			int rc;

			if (!names)
				return oom(ld->err);
			for (size_t k = 0; k < n; k++)
				names[k] = tr_node_key(top, k);
			near = project_nearest(d->scalar, names, n);
			rc = bad(ld, d, dpath,
				 "unknown partitions \"%.100s\"%s%s%s: a dimension is a definition such "
				 "as {type: daily, start: 2024-01-01}, or the name of one under the "
				 "top-level partitions:",
				 d->scalar, near ? " (did you mean \"" : "", near ? near : "",
				 near ? "\"?)" : "");
			free(names);
			return rc;
		}
		if (named == def || is_multi_node(named))
			return bad(ld, d, dpath,
				   "\"%.100s\" is a multi definition, and a dimension cannot itself be "
				   "multi (list all dimensions in one multi definition)",
				   d->scalar);
		dims->items[2 * i + 1] = named;
	}
	return 0;
}

static int parse_asset_partitions(loader *ld, tr_asset *a, const tr_node *map, const char *path)
{
	const tr_node *v = tr_node_get(map, "partitions");
	tr_project *p = ld->p;
	size_t idx = (size_t)(a - p->assets);
	char kpath[512];

	if (!v || tr_node_is_null(v))
		return 0;
	snprintf(kpath, sizeof(kpath), "%s.partitions", path);
	if (v->kind == TR_NODE_MAP) {
		char dpath[520];
		int rc = link_named_dimensions(ld, mut_get(ld->asset_maps[idx], "partitions"), kpath);

		snprintf(dpath, sizeof(dpath), "%s.", kpath);
		if (!rc)
			rc = tr_partdef_from_node(v, dpath, &ld->g->inline_defs[idx], ld->err);
		if (rc)
			return rc;
		a->partdef = ld->g->inline_defs[idx];
		return 0;
	}
	if (v->kind == TR_NODE_SCALAR) {
		const char **names = NULL;
		const char *near;
		tr_buf list = TR_BUF_INIT;
		int rc;

		for (size_t i = 0; i < p->n_partitions; i++)
			if (!strcmp(p->partitions[i].name, v->scalar)) {
				a->partdef = p->partitions[i].def;
				return set_string(ld, &a->partitions_name, v->scalar);
			}
		if (!p->n_partitions)
			return bad(ld, v, kpath,
				   "unknown partitions \"%.100s\": the project defines none (define it "
				   "under the top-level partitions:, or write the definition here, e.g. "
				   "{type: daily, start: 2024-01-01})",
				   v->scalar);
		names = calloc(p->n_partitions, sizeof(*names));
		if (!names)
			return oom(ld->err);
		for (size_t i = 0; i < p->n_partitions; i++)
			names[i] = p->partitions[i].name;
		near = project_nearest(v->scalar, names, p->n_partitions);
		join_names(&list, names, p->n_partitions);
		if (near)
			rc = bad(ld, v, kpath,
				 "unknown partitions \"%.100s\" (did you mean \"%s\"? defined: %s)",
				 v->scalar, near, tr_buf_str(&list));
		else
			rc = bad(ld, v, kpath, "unknown partitions \"%.100s\" (defined: %s)", v->scalar,
				 tr_buf_str(&list));
		tr_buf_release(&list);
		free(names);
		return rc;
	}
	return bad(ld, v, kpath,
		   "expected the name of a definition under the top-level partitions:, or a "
		   "definition such as {type: daily, start: 2024-01-01}; got a list");
}

/* The example partition_expr for a multi definition: "{date: ..., region: ...}". */
static void multi_example(tr_buf *b, const tr_partdef *def)
{
	size_t n = tr_partdef_dimension_count(def);

	tr_buf_adds(b, "{");
	for (size_t i = 0; i < n; i++)
		tr_buf_addf(b, "%s%s: COLUMN", i ? ", " : "", tr_partdef_dimension_name(def, i));
	tr_buf_adds(b, "}");
}

static int parse_partition_expr(loader *ld, tr_asset *a, const tr_node *map, const char *path)
{
	const tr_node *v = tr_node_get(map, "partition_expr");
	const tr_node *asset_name = ld->asset_names[a - ld->p->assets];
	char kpath[512];
	tr_buf ex = TR_BUF_INIT;
	int rc = 0, multi;

	snprintf(kpath, sizeof(kpath), "%s.partition_expr", path);
	if (v && tr_node_is_null(v))
		v = NULL;
	if (!a->partdef) {
		if (v)
			return bad(ld, key_node(map, "partition_expr"), kpath,
				   "the asset has no partitions, so there is no partition value to "
				   "compare with (add partitions: or remove partition_expr)");
		return 0;
	}
	multi = tr_partdef_kind(a->partdef) == TR_PART_MULTI;
	if (multi)
		multi_example(&ex, a->partdef);
	if (!v) {
		if (a->kind == TR_ASSET_SQL || a->kind == TR_ASSET_HTTP)
			rc = bad(ld, asset_name, path,
				 "partition_expr is required for a partitioned %s asset: the column (or "
				 "SQL expression) that holds the partition value, which tranche compares "
				 "with each partition to replace only its rows, e.g. %s%s",
				 tr_asset_kind_name(a->kind),
				 multi ? "partition_expr: " : "partition_expr: order_date",
				 multi ? tr_buf_str(&ex) : "");
		tr_buf_release(&ex);
		return rc;
	}
	if (!multi) {
		tr_buf_release(&ex);
		if (v->kind != TR_NODE_SCALAR)
			return bad(ld, v, kpath,
				   "expected the column (or SQL expression) holding the partition value, "
				   "e.g. order_date; got a %s (a map is for multi partitions)",
				   tr_node_kind_name(v));
		if (!v->scalar[strspn(v->scalar, " \t\r\n")])
			return bad(ld, v, kpath, "expected a column or SQL expression, got an empty string");
		if (!(a->partition_expr = calloc(1, sizeof(char *))) ||
		    !(a->partition_expr[0] = xstrdup(v->scalar)))
			return oom(ld->err);
		a->n_partition_expr = 1;
		return 0;
	}
	{
		size_t n = tr_partdef_dimension_count(a->partdef);
		const char **dims = calloc(n, sizeof(*dims));

		if (!dims) {
			tr_buf_release(&ex);
			return oom(ld->err);
		}
		for (size_t d = 0; d < n; d++)
			dims[d] = tr_partdef_dimension_name(a->partdef, d);
		if (v->kind != TR_NODE_MAP) {
			rc = bad(ld, v, kpath,
				 "the partitions are multi, so give one column (or SQL expression) per "
				 "dimension as a map: partition_expr: %s",
				 tr_buf_str(&ex));
			goto multi_out;
		}
		if ((rc = check_keys(ld, v, kpath, dims, n)))
			goto multi_out;
		if (!(a->partition_expr = calloc(n, sizeof(char *)))) {
			rc = oom(ld->err);
			goto multi_out;
		}
		a->n_partition_expr = n;
		for (size_t d = 0; d < n && !rc; d++) {
			const tr_node *e = tr_node_get(v, dims[d]);

			if (!e || tr_node_is_null(e))
				rc = bad(ld, e ? e : v, kpath,
					 "no expression for dimension \"%s\": every dimension needs one "
					 "(partition_expr: %s)",
					 dims[d], tr_buf_str(&ex));
			else if (e->kind != TR_NODE_SCALAR || !e->scalar[strspn(e->scalar, " \t\r\n")])
				rc = bad(ld, e, kpath, "%s: expected a column or SQL expression, got %s",
					 dims[d], e->kind == TR_NODE_SCALAR ? "an empty string"
									     : tr_node_kind_name(e));
			else if (!(a->partition_expr[d] = xstrdup(e->scalar)))
				rc = oom(ld->err);
		}
multi_out:
		free(dims);
		tr_buf_release(&ex);
		return rc;
	}
}

/* ---- http assets ------------------------------------------------------------------------ */

/*
 * The parameters a step of an asset can bind (see tr_partition_params_make_range), for
 * checking placeholders: names[k], and whether it is a time value (takes a format).
 */
#define TPL_MAX_NAMES 80
struct tpl_names {
	char *names[TPL_MAX_NAMES];
	int is_time[TPL_MAX_NAMES];
	size_t n;
};

static int tpl_names_add(struct tpl_names *t, const char *name, const char *suffix, int is_time)
{
	tr_buf b = TR_BUF_INIT;

	if (t->n == TPL_MAX_NAMES)
		return 0; /* more dimensions than partitions allow: cannot happen */
	tr_buf_addf(&b, "%s%s%s", name, suffix ? "_" : "", suffix ? suffix : "");
	if (tr_buf_failed(&b)) {
		tr_buf_release(&b);
		return TR_ENOMEM;
	}
	t->is_time[t->n] = is_time;
	t->names[t->n++] = tr_buf_detach(&b, NULL);
	return 0;
}

static void tpl_names_release(struct tpl_names *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->names[i]);
	t->n = 0;
}

static int tpl_names_make(const tr_partdef *def, struct tpl_names *t)
{
	size_t nd, run_dim;
	int rc = 0, any_time = 0;

	if (!def)
		return 0; /* unpartitioned: no parameters */
	if ((rc = tpl_names_add(t, "partition_key", NULL, 0)) ||
	    (rc = tpl_names_add(t, "partition_keys", NULL, 0)))
		return rc;
	if (tr_partdef_kind(def) == TR_PART_TIME) {
		if ((rc = tpl_names_add(t, "partition_start", NULL, 1)) ||
		    (rc = tpl_names_add(t, "partition_end", NULL, 1)))
			return rc;
		return 0;
	}
	if (tr_partdef_kind(def) != TR_PART_MULTI)
		return 0;
	/* the dimension a range of partitions runs along: the time one, else the last (params.c) */
	nd = tr_partdef_dimension_count(def);
	run_dim = nd ? nd - 1 : 0;
	for (size_t d = 0; d < nd; d++)
		if (tr_partdef_kind(tr_partdef_dimension(def, d)) == TR_PART_TIME) {
			run_dim = d;
			break;
		}
	for (size_t d = 0; d < nd && !rc; d++) {
		const char *dim = tr_partdef_dimension_name(def, d);
		int is_time = tr_partdef_kind(tr_partdef_dimension(def, d)) == TR_PART_TIME;

		rc = tpl_names_add(t, "partition_key", dim, 0);
		if (!rc && d == run_dim)
			rc = tpl_names_add(t, "partition_keys", dim, 0);
		if (!rc && is_time) {
			any_time = 1;
			if (!(rc = tpl_names_add(t, "partition_start", dim, 1)))
				rc = tpl_names_add(t, "partition_end", dim, 1);
		}
	}
	if (!rc && any_time && !(rc = tpl_names_add(t, "partition_start", NULL, 1)))
		rc = tpl_names_add(t, "partition_end", NULL, 1);
	return rc;
}

/* "{partition_key}, {partition_keys}, {env:NAME}" */
static void tpl_names_text(const struct tpl_names *t, tr_buf *b)
{
	for (size_t i = 0; i < t->n; i++)
		tr_buf_addf(b, "{%s}, ", t->names[i]);
	tr_buf_adds(b, "{env:NAME}");
}

static int tpl_add_part(tr_template *out, tr_tpl_kind kind, const char *text, size_t len,
			const char *format, size_t format_len)
{
	tr_tpl_part *grown = realloc(out->parts, (out->n_parts + 1) * sizeof(*grown));
	tr_tpl_part *part;

	if (!grown)
		return TR_ENOMEM;
	out->parts = grown;
	part = &out->parts[out->n_parts++];
	part->kind = kind;
	part->format = NULL;
	part->text = strndup(text, len);
	if (format && !(part->format = strndup(format, format_len)))
		return TR_ENOMEM;
	return part->text ? 0 : TR_ENOMEM;
}

/* Flushes the literal text gathered in lit as a TEXT part. */
static int tpl_flush(tr_template *out, tr_buf *lit)
{
	int rc = 0;

	if (tr_buf_failed(lit))
		return TR_ENOMEM;
	if (lit->len)
		rc = tpl_add_part(out, TR_TPL_TEXT, tr_buf_str(lit), lit->len, NULL, 0);
	tr_buf_reset(lit);
	return rc;
}

/*
 * Reads the template at v (a string) into out. Placeholders must name one of names (time
 * ones may take a format) or be {env:NAME}. kpath names the key in messages.
 */
static int parse_template(loader *ld, const tr_node *v, const char *kpath,
			  const struct tpl_names *names, tr_template *out)
{
	const char *s = v->scalar, *c = s;
	tr_buf lit = TR_BUF_INIT, list = TR_BUF_INIT;
	int rc = 0;

	if (!(out->source = xstrdup(s)))
		return oom(ld->err);
	tpl_names_text(names, &list);
	while (*c && !rc) {
		const char *close, *colon, *name;
		size_t name_len;

		if ((c[0] == '{' && c[1] == '{') || (c[0] == '}' && c[1] == '}')) {
			tr_buf_addc(&lit, c[0]);
			c += 2;
			continue;
		}
		if (*c == '}') {
			rc = bad(ld, v, kpath,
				 "\"%.200s\": a lone } at character %zu (write }} for a literal brace)",
				 s, (size_t)(c - s) + 1);
			break;
		}
		if (*c != '{') {
			tr_buf_addc(&lit, *c++);
			continue;
		}
		close = strchr(c + 1, '}');
		if (!close || memchr(c + 1, '{', (size_t)(close - c - 1))) {
			rc = bad(ld, v, kpath,
				 "\"%.200s\": the { at character %zu is not closed (write {{ for a "
				 "literal brace; placeholders: %s)",
				 s, (size_t)(c - s) + 1, tr_buf_str(&list));
			break;
		}
		name = c + 1;
		name_len = (size_t)(close - name);
		if ((rc = tpl_flush(out, &lit))) {
			rc = oom(ld->err);
			break;
		}
		if (name_len > 4 && !strncmp(name, "env:", 4)) {
			if (!identifier_ok(name + 4, name_len - 4))
				rc = bad(ld, v, kpath,
					 "\"%.200s\": {%.*s} does not name an environment variable "
					 "(letters, digits and _, not starting with a digit)",
					 s, (int)name_len, name);
			else if (tpl_add_part(out, TR_TPL_ENV, name + 4, name_len - 4, NULL, 0))
				rc = oom(ld->err);
			c = close + 1;
			continue;
		}
		colon = memchr(name, ':', name_len);
		{
			size_t base_len = colon ? (size_t)(colon - name) : name_len, k;
			char base[128];

			snprintf(base, sizeof(base), "%.*s", (int)(base_len < 127 ? base_len : 127), name);
			for (k = 0; k < names->n && (base_len != strlen(names->names[k]) ||
						     strncmp(names->names[k], name, base_len));
			     k++)
				;
			if (k == names->n) {
				const char *near = project_nearest(base, (const char *const *)names->names,
								   names->n);

				if (!strcmp(base, "env") || (colon && !strncmp(name, "env", base_len)))
					rc = bad(ld, v, kpath,
						 "\"%.200s\": {%.*s} names no environment variable: write "
						 "{env:NAME}",
						 s, (int)name_len, name);
				else if (!names->n)
					rc = bad(ld, v, kpath,
						 "\"%.200s\": unknown placeholder {%.*s}: the asset is "
						 "unpartitioned, so it has no partition values (valid: "
						 "{env:NAME}; {{ and }} for literal braces)",
						 s, (int)name_len, name);
				else
					rc = bad(ld, v, kpath,
						 "\"%.200s\": unknown placeholder {%.*s} (%s%s%svalid: %s; "
						 "{{ and }} for literal braces)",
						 s, (int)name_len, name, near ? "did you mean {" : "",
						 near ? near : "", near ? "}? " : "", tr_buf_str(&list));
			} else if (colon && !names->is_time[k]) {
				rc = bad(ld, v, kpath,
					 "\"%.200s\": {%.*s}: only time values (partition_start, "
					 "partition_end) take a format; %s is text",
					 s, (int)name_len, name, names->names[k]);
			} else if (colon && colon + 1 == close) {
				rc = bad(ld, v, kpath,
					 "\"%.200s\": {%.*s}: the format after ':' is empty (e.g. "
					 "{%s:%%Y-%%m-%%d})",
					 s, (int)name_len, name, names->names[k]);
			} else if (tpl_add_part(out, TR_TPL_PARAM, name, base_len, colon ? colon + 1 : NULL,
						colon ? (size_t)(close - colon - 1) : 0)) {
				rc = oom(ld->err);
			}
		}
		c = close + 1;
	}
	if (!rc && tpl_flush(out, &lit))
		rc = oom(ld->err);
	tr_buf_release(&lit);
	tr_buf_release(&list);
	return rc;
}

static int tpl_has_env(const tr_template *t)
{
	for (size_t i = 0; i < t->n_parts; i++)
		if (t->parts[i].kind == TR_TPL_ENV)
			return 1;
	return 0;
}

/* http.url / http.fallback_url: a template whose scheme is written first, literally. */
static int parse_http_url(loader *ld, const tr_node *h, const char *key, const char *hpath,
			  const struct tpl_names *names, tr_template *out)
{
	const tr_node *v = tr_node_get(h, key);
	char kpath[600];
	const char *s;
	int rc;

	snprintf(kpath, sizeof(kpath), "%s.%s", hpath, key);
	if (!v || tr_node_is_null(v) || v->kind != TR_NODE_SCALAR || !v->scalar[0])
		return bad(ld, v && !tr_node_is_null(v) ? v : h, kpath,
			   "expected a URL: http://..., https://... or file:PATH, e.g. "
			   "\"https://example.com/prices.csv?day={partition_key}\"; got %s",
			   !v || tr_node_is_null(v) ? "nothing"
			   : v->kind == TR_NODE_SCALAR ? "an empty string"
						       : v->kind == TR_NODE_MAP ? "a map" : "a list");
	s = v->scalar;
	if (strncasecmp(s, "http://", 7) && strncasecmp(s, "https://", 8) && strncasecmp(s, "file:", 5)) {
		const char *colon = strchr(s, ':');
		size_t scheme = colon ? strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.") : 0;

		if (s[0] == '{')
			return bad(ld, v, kpath,
				   "\"%.200s\": the URL must start with its scheme, written out "
				   "(http://, https:// or file:), not with a placeholder",
				   s);
		if (colon && scheme == (size_t)(colon - s) && scheme > 0)
			return bad(ld, v, kpath,
				   "\"%.200s\": the scheme %.*s: is not supported (valid: http://, "
				   "https://, file:)",
				   s, (int)scheme, s);
		return bad(ld, v, kpath,
			   "\"%.200s\" is not a URL: it must start with http://, https:// or file: "
			   "(file:data/x.csv is relative to the project directory)",
			   s);
	}
	if (!strncasecmp(s, "file://", 7) && s[7] != '/')
		return bad(ld, v, kpath,
			   "\"%.200s\": file URLs name no host: write file:///ABSOLUTE/PATH or "
			   "file:RELATIVE/PATH (relative to the project directory)",
			   s);
	if (!strncasecmp(s, "file:", 5) && !s[5])
		return bad(ld, v, kpath, "\"%.200s\": the file: URL names no file", s);
	if ((rc = parse_template(ld, v, kpath, names, out)))
		return rc;
	if (out->parts[0].kind != TR_TPL_TEXT || !strchr(out->parts[0].text, ':'))
		return bad(ld, v, kpath,
			   "\"%.200s\": the URL must start with its scheme, written out (http://, "
			   "https:// or file:), not with a placeholder",
			   s);
	return 0;
}

/* RFC 9110 token characters (header names). */
static int header_name_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      strchr("!#$%&'*+-.^_`|~", *s)))
			return 0;
	return 1;
}

static int parse_http_headers(loader *ld, tr_http *h, const tr_node *hmap, const char *hpath,
			      const struct tpl_names *names)
{
	const tr_node *v = tr_node_get(hmap, "headers");
	char kpath[600], ipath[760];
	int rc;

	if (!v || tr_node_is_null(v))
		return 0;
	snprintf(kpath, sizeof(kpath), "%s.headers", hpath);
	if (v->kind != TR_NODE_MAP)
		return bad(ld, v, kpath,
			   "expected a map of header name -> value, e.g. {Authorization: \"Bearer "
			   "{env:API_TOKEN}\"}, got a %s",
			   tr_node_kind_name(v));
	if (v->n && !(h->headers = calloc(v->n, sizeof(*h->headers))))
		return oom(ld->err);
	for (size_t i = 0; i < v->n; i++) {
		const char *name = tr_node_key(v, i);
		const tr_node *val = tr_node_value(v, i);
		tr_http_header *hd = &h->headers[i];

		snprintf(ipath, sizeof(ipath), "%s.%.100s", kpath, name);
		h->n_headers++;
		if (!header_name_ok(name))
			return bad(ld, v->items[2 * i], kpath,
				   "\"%.100s\" is not a header name (letters, digits and "
				   "!#$%%&'*+-.^_`|~, e.g. Authorization)",
				   name);
		if (!(hd->name = xstrdup(name)))
			return oom(ld->err);
		if (val->kind != TR_NODE_SCALAR || tr_node_is_null(val))
			return bad(ld, val, ipath, "expected a string (the header's value), got %s%s",
				   val->kind == TR_NODE_SCALAR ? "nothing" : "a ",
				   val->kind == TR_NODE_SCALAR ? "" : tr_node_kind_name(val));
		if (strpbrk(val->scalar, "\r\n"))
			return bad(ld, val, ipath, "a header value cannot contain a line break");
		if ((rc = parse_template(ld, val, ipath, names, &hd->value)))
			return rc;
	}
	return 0;
}

/* A list of non-empty strings (one string is a list of one). */
static int parse_text_list(loader *ld, const tr_node *map, const char *key, const char *path,
			   const char *example, char ***out, size_t *n)
{
	const tr_node *v = tr_node_get(map, key);
	char kpath[700];

	if (!v || tr_node_is_null(v))
		return 0;
	snprintf(kpath, sizeof(kpath), "%s.%s", path, key);
	if (v->kind == TR_NODE_MAP)
		return bad(ld, v, kpath, "expected a list of strings, e.g. %s; got a map", example);
	if (!(*out = calloc(v->kind == TR_NODE_SEQ ? v->n + 1 : 1, sizeof(char *))))
		return oom(ld->err);
	for (size_t i = 0; i < (v->kind == TR_NODE_SEQ ? v->n : 1); i++) {
		const tr_node *item = v->kind == TR_NODE_SEQ ? v->items[i] : v;

		if (item->kind != TR_NODE_SCALAR || !item->scalar[0])
			return bad(ld, item, kpath, "[%zu]: expected a non-empty string, got %s", i,
				   item->kind == TR_NODE_SCALAR ? "an empty string"
								: tr_node_kind_name(item));
		if (!((*out)[i] = xstrdup(item->scalar)))
			return oom(ld->err);
		(*n)++;
	}
	return 0;
}

static int parse_fail_when(loader *ld, tr_http *h, const tr_node *hmap, const char *hpath)
{
	const tr_node *v = tr_node_get(hmap, "fail_when");
	char kpath[600];
	int rc;

	if (!v || tr_node_is_null(v))
		return 0;
	snprintf(kpath, sizeof(kpath), "%s.fail_when", hpath);
	if (v->kind != TR_NODE_MAP)
		return bad(ld, v, kpath,
			   "expected a map with json_keys, contains or both, e.g. {json_keys: "
			   "[\"Error Message\", \"Note\"]}; got a %s",
			   tr_node_kind_name(v));
	if ((rc = check_keys(ld, v, kpath, fail_when_keys_allowed,
			     ARRAY_LEN(fail_when_keys_allowed))) ||
	    (rc = parse_text_list(ld, v, "json_keys", kpath, "[\"Error Message\", \"Note\"]",
				  &h->fail_json_keys, &h->n_fail_json_keys)) ||
	    (rc = parse_text_list(ld, v, "contains", kpath, "[\"rate limit\"]", &h->fail_contains,
				  &h->n_fail_contains)))
		return rc;
	h->fail_when = 1;
	return 0;
}

/* assets.NAME.http: the request (after the partitions, whose parameters it may use). */
static int parse_http(loader *ld, tr_asset *a, const tr_node *map, const char *path)
{
	const tr_node *v = tr_node_get(map, "http"), *r;
	tr_http *h = &a->http;
	struct tpl_names names;
	char hpath[520], kpath[600];
	const char *s;
	int rc, choice;

	memset(&names, 0, sizeof(names));
	snprintf(hpath, sizeof(hpath), "%s.http", path);
	h->timeout_ms = 60000;
	h->retries.max = 2;
	h->retries.delay_ms = 1000;
	h->retries.backoff = 2;
	if (v->kind != TR_NODE_MAP)
		return bad(ld, v, hpath,
			   "expected a map with at least url, e.g. {url: "
			   "\"https://example.com/prices.csv?day={partition_key}\", format: csv}; got %s",
			   tr_node_is_null(v) ? "nothing" : v->kind == TR_NODE_SEQ ? "a list" : "a string");
	if ((rc = check_keys(ld, v, hpath, http_keys_allowed, ARRAY_LEN(http_keys_allowed))))
		return rc;
	if ((rc = tpl_names_make(a->partdef, &names))) {
		tpl_names_release(&names);
		return oom(ld->err);
	}
	if ((rc = parse_http_url(ld, v, "url", hpath, &names, &h->url)))
		goto out;
	r = tr_node_get(v, "fallback_url");
	if (r && !tr_node_is_null(r)) {
		if ((rc = parse_http_url(ld, v, "fallback_url", hpath, &names, &h->fallback_url)))
			goto out;
		if (!tpl_has_env(&h->url)) {
			snprintf(kpath, sizeof(kpath), "%s.fallback_url", hpath);
			rc = bad(ld, key_node(v, "fallback_url"), kpath,
				 "is used only when an {env:NAME} of url is unset or empty, and url has "
				 "none (e.g. url: \"https://example.com/x.csv?key={env:API_KEY}\")");
			goto out;
		}
	}
	if ((rc = parse_http_headers(ld, h, v, hpath, &names)))
		goto out;
	snprintf(kpath, sizeof(kpath), "%s.format", hpath);
	if ((rc = get_choice(ld, v, "format", kpath, http_format_values, &choice)) ||
	    (rc = set_string(ld, &h->format, http_format_values[choice])))
		goto out;
	snprintf(kpath, sizeof(kpath), "%s.records", hpath);
	if ((rc = get_text(ld, v, "records", kpath, "a dotted path such as data.items", &s)))
		goto out;
	if (s && choice != 1) {
		rc = bad(ld, key_node(v, "records"), kpath,
			 "only with format: json (the path to the array of records in a JSON "
			 "response); this request's format is csv");
		goto out;
	}
	if (s) {
		const char *seg = s;

		for (;;) {
			size_t len = strcspn(seg, ".");

			if (len == 0) {
				rc = bad(ld, tr_node_get(v, "records"), kpath,
					 "\"%.100s\" has an empty part: give the keys from the top of the "
					 "JSON document to the array, joined with dots (data.items)",
					 s);
				goto out;
			}
			if (!seg[len])
				break;
			seg += len + 1;
		}
		if ((rc = set_string(ld, &h->records, s)))
			goto out;
	}
	if ((rc = parse_timeout(ld, v, hpath, "the default, 60 s", &h->timeout_ms)))
		goto out;
	r = tr_node_get(v, "retries");
	if (r && !tr_node_is_null(r)) {
		snprintf(kpath, sizeof(kpath), "%s.retries", hpath);
		if ((rc = parse_retries(ld, r, kpath, &h->retries)))
			goto out;
	}
	rc = parse_fail_when(ld, h, v, hpath);
out:
	tpl_names_release(&names);
	return rc;
}

static int parse_asset(loader *ld, size_t idx, const tr_node *name_node, const tr_node *map)
{
	tr_asset *a = &ld->p->assets[idx];
	const char *names[ARRAY_LEN(asset_keys)], *s;
	char path[300], kpath[512];
	int rc, choice;

	snprintf(path, sizeof(path), "assets.%.200s", name_node->scalar);
	a->retries = ld->default_retries;
	a->backfill = ld->default_backfill;
	a->pool = TR_NO_POOL; /* the assets are calloc'd: 0 would be the first pool */
	a->line = name_node->line;
	a->col = name_node->col;
	if (!(a->name = xstrdup(name_node->scalar)))
		return oom(ld->err);
	if (!identifier_ok(a->name, strlen(a->name)))
		return bad(ld, name_node, path,
			   "\"%.100s\" is not a valid asset name: asset names are table names, made of "
			   "letters, digits and _, not starting with a digit (e.g. monthly_sales)",
			   a->name);
	if (map->kind != TR_NODE_MAP)
		return bad(ld, map, path, "expected a map of asset keys (e.g. {sql: SELECT ...}), got %s",
			   tr_node_is_null(map) ? "nothing" : map->kind == TR_NODE_SEQ ? "a list" : "a string");
	for (size_t i = 0; i < ARRAY_LEN(asset_keys); i++)
		names[i] = asset_keys[i].name;
	if ((rc = check_keys(ld, map, path, names, ARRAY_LEN(names))))
		return rc;
	if ((rc = parse_kind(ld, a, map, path)))
		return rc;
	for (size_t i = 0; i < map->n; i++)
		for (size_t k = 0; k < ARRAY_LEN(asset_keys); k++)
			if (!strcmp(tr_node_key(map, i), asset_keys[k].name) &&
			    !(asset_keys[k].kinds & kind_bit(a->kind))) {
				tr_buf kinds = TR_BUF_INIT;

				unsigned left = asset_keys[k].kinds;

				/* "sql", "sql and command", "sql, command and http" */
				for (unsigned b = K_SQL; b <= K_HTTP; b <<= 1)
					if (left & b) {
						left &= ~b;
						tr_buf_addf(&kinds, "%s%s",
							    !kinds.len ? "" : left ? ", " : " and ",
							    b == K_SQL      ? "sql"
							    : b == K_SCRIPT ? "script"
							    : b == K_HTTP   ? "http"
									    : "command");
					}
				snprintf(kpath, sizeof(kpath), "%s.%s", path, asset_keys[k].name);
				rc = bad(ld, map->items[2 * i], kpath,
					 "only for %s assets; this is %s %s asset", tr_buf_str(&kinds),
					 a->kind == TR_ASSET_HTTP ? "an" : "a", tr_asset_kind_name(a->kind));
				tr_buf_release(&kinds);
				return rc;
			}
	if (a->kind == TR_ASSET_COMMAND && (rc = parse_command(ld, a, map, path)))
		return rc;
	if ((rc = parse_asset_partitions(ld, a, map, path)) ||
	    (rc = parse_partition_expr(ld, a, map, path)) || (rc = parse_table(ld, a, map, path)))
		return rc;
	if (a->kind == TR_ASSET_HTTP && (rc = parse_http(ld, a, map, path)))
		return rc;

	snprintf(kpath, sizeof(kpath), "%s.group", path);
	if ((rc = get_string(ld, map, "group", kpath, "a group name", &s)))
		return rc;
	if (s && !simple_name_ok(s))
		return bad(ld, tr_node_get(map, "group"), kpath,
			   "\"%.100s\" is not a group name (letters, digits and _)", s);
	if ((rc = set_string(ld, &a->group, s ? s : "default")))
		return rc;
	snprintf(kpath, sizeof(kpath), "%s.description", path);
	if ((rc = get_string(ld, map, "description", kpath, "a string", &s)) ||
	    (rc = set_string(ld, &a->description, s)))
		return rc;
	snprintf(kpath, sizeof(kpath), "%s.code_version", path);
	if ((rc = get_string(ld, map, "code_version", kpath, "a string", &s)) ||
	    (rc = set_string(ld, &a->code_version, s)))
		return rc;
	if ((rc = parse_owners(ld, a, map, path)) ||
	    (rc = parse_kv_map(ld, map, "tags", path, "tag -> value", &a->tags, &a->n_tags)) ||
	    (rc = parse_metadata(ld, a, map, path)) || (rc = parse_checks(ld, a, map, path)))
		return rc;

	snprintf(kpath, sizeof(kpath), "%s.on_schema_change", path);
	if ((rc = get_choice(ld, map, "on_schema_change", kpath, schema_change_values, &choice)))
		return rc;
	a->add_columns = choice == 1;
	snprintf(kpath, sizeof(kpath), "%s.outside_rows", path);
	if ((rc = get_choice(ld, map, "outside_rows", kpath, outside_rows_values, &choice)))
		return rc;
	a->drop_outside = choice == 1;
	if (tr_node_get(map, "output_format") && !tr_node_is_null(tr_node_get(map, "output_format"))) {
		snprintf(kpath, sizeof(kpath), "%s.output_format", path);
		if ((rc = get_choice(ld, map, "output_format", kpath, output_format_values, &choice)) ||
		    (rc = set_string(ld, &a->output_format, output_format_values[choice])))
			return rc;
	}
	if ((rc = parse_timeout(ld, map, path, "no limit", &a->timeout_ms)) ||
	    (rc = parse_kv_map(ld, map, "env", path, "variable -> value", &a->env, &a->n_env)) ||
	    (rc = parse_asset_policies(ld, a, map, path)))
		return rc;
	{
		const tr_node *deps = tr_node_get(map, "deps");

		a->deps_declared = deps && !tr_node_is_null(deps);
	}
	return 0;
}

/* ---- deps and mappings ----------------------------------------------------------------- */

static int add_dep(loader *ld, tr_asset *a, size_t up, tr_mapping *m, int inferred, int line,
		   int col)
{
	tr_asset_dep *d = realloc(a->deps, (a->n_deps + 1) * sizeof(*d));

	if (!d) {
		tr_mapping_free(m);
		return oom(ld->err);
	}
	a->deps = d;
	d[a->n_deps].asset = up;
	d[a->n_deps].mapping = m;
	d[a->n_deps].inferred = inferred;
	d[a->n_deps].line = line;
	d[a->n_deps].col = col;
	a->n_deps++;
	return 0;
}

static int kinds_share_keys(const tr_partdef *up, const tr_partdef *down)
{
	tr_part_kind u = tr_partdef_kind(up), d = tr_partdef_kind(down);

	if (u == d)
		return 1;
	return (u == TR_PART_STATIC || u == TR_PART_DYNAMIC) &&
	       (d == TR_PART_STATIC || d == TR_PART_DYNAMIC);
}

/*
 * Dagster's default mapping between two assets, checked: *why gets the reason when
 * there is none that fits (identity between partitions that share no keys, or what
 * tr_mapping_default / tr_mapping_check refuse). Returns 0, TR_EINVAL or TR_ENOMEM.
 */
static int default_mapping(const tr_asset *up, const tr_asset *down, tr_mapping **out,
			   tr_error *why)
{
	int rc = tr_mapping_default(up->partdef, down->partdef, out, why);

	if (rc)
		return rc;
	if (!strcmp(tr_mapping_type_name(*out), "identity") && up->partdef && down->partdef &&
	    !kinds_share_keys(up->partdef, down->partdef))
		rc = tr_error_set(why, TR_EINVAL,
				  "the default, identity, reads the upstream partition with the same "
				  "key, and %s and %s partitions have no keys in common",
				  tr_partdef_type_name(up->partdef), tr_partdef_type_name(down->partdef));
	else
		rc = tr_mapping_check(*out, up->partdef, down->partdef, why);
	if (rc) {
		tr_mapping_free(*out);
		*out = NULL;
	}
	return rc;
}

static const char *partitions_text(const tr_asset *a)
{
	return a->partdef ? tr_partdef_type_name(a->partdef) : "no";
}

static int find_asset(const tr_project *p, const char *name, size_t *index)
{
	for (size_t i = 0; i < p->n_assets; i++)
		if (!strcmp(p->assets[i].name, name)) {
			*index = i;
			return 0;
		}
	return TR_ENOTFOUND;
}

static const char *nearest_asset(const tr_project *p, const char *name)
{
	const char **names = calloc(p->n_assets ? p->n_assets : 1, sizeof(*names));
	const char *near;

	if (!names)
		return NULL;
	for (size_t i = 0; i < p->n_assets; i++)
		names[i] = p->assets[i].name;
	near = project_nearest(name, names, p->n_assets);
	free(names);
	return near;
}

static int resolve_declared_dep(loader *ld, size_t ai, size_t k, const tr_node *item)
{
	tr_project *p = ld->p;
	tr_asset *a = &p->assets[ai];
	const tr_node *name_node = item, *mnode = NULL;
	char dpath[400], mpath[420];
	tr_mapping *m = NULL;
	size_t up;
	int rc;

	snprintf(dpath, sizeof(dpath), "assets.%.200s.deps[%zu]", a->name, k);
	if (item->kind == TR_NODE_MAP) {
		if ((rc = check_keys(ld, item, dpath, dep_keys_allowed, ARRAY_LEN(dep_keys_allowed))))
			return rc;
		name_node = tr_node_get(item, "asset");
		if (!name_node)
			return bad(ld, item, dpath,
				   "asset: required: the upstream asset's name ({asset: NAME, mapping: "
				   "{type: ...}})");
		mnode = tr_node_get(item, "mapping");
		if (mnode && tr_node_is_null(mnode))
			mnode = NULL;
	}
	if (name_node->kind != TR_NODE_SCALAR || tr_node_is_null(name_node))
		return bad(ld, name_node, dpath,
			   "expected an asset name or {asset: NAME, mapping: {type: ...}}, got %s",
			   name_node->kind == TR_NODE_SCALAR ? "nothing"
			   : name_node->kind == TR_NODE_SEQ  ? "a list"
							     : "a map");
	if (find_asset(p, name_node->scalar, &up)) {
		const char *near = nearest_asset(p, name_node->scalar);

		if (near)
			return bad(ld, name_node, dpath, "unknown asset \"%.100s\" (did you mean \"%s\"?)",
				   name_node->scalar, near);
		return bad(ld, name_node, dpath, "unknown asset \"%.100s\"", name_node->scalar);
	}
	if (up == ai)
		return bad(ld, name_node, dpath, "asset \"%s\" cannot depend on itself", a->name);
	for (size_t j = 0; j < a->n_deps; j++)
		if (a->deps[j].asset == up)
			return bad(ld, name_node, dpath, "\"%s\" is listed twice (also at %d:%d)",
				   p->assets[up].name, a->deps[j].line, a->deps[j].col);
	if (mnode) {
		tr_error why = {0};

		snprintf(mpath, sizeof(mpath), "%s.mapping.", dpath);
		if ((rc = tr_mapping_from_node(mnode, mpath, &m, ld->err)))
			return rc;
		if ((rc = tr_mapping_check(m, p->assets[up].partdef, a->partdef, &why))) {
			tr_mapping_free(m);
			mpath[strlen(mpath) - 1] = '\0';
			return fail(ld->err, rc, mnode, mpath,
				    "%s (upstream \"%s\": %s partitions, this asset: %s partitions)",
				    why.msg, p->assets[up].name, partitions_text(&p->assets[up]),
				    partitions_text(a));
		}
	} else {
		tr_error why = {0};

		if ((rc = default_mapping(&p->assets[up], a, &m, &why)))
			return fail(ld->err, rc, name_node, dpath,
				    "no default partition mapping from \"%s\" (%s partitions) to \"%s\" "
				    "(%s partitions): %s; give one, e.g. {asset: %s, mapping: all}",
				    p->assets[up].name, partitions_text(&p->assets[up]), a->name,
				    partitions_text(a), why.msg, p->assets[up].name);
	}
	return add_dep(ld, a, up, m, 0, name_node->line, name_node->col);
}

static int resolve_declared(loader *ld, size_t ai)
{
	const tr_node *deps = tr_node_get(ld->asset_maps[ai], "deps");
	char dpath[300];
	int rc;

	if (!deps || tr_node_is_null(deps))
		return 0;
	if (deps->kind != TR_NODE_SEQ) {
		snprintf(dpath, sizeof(dpath), "assets.%.200s.deps", ld->p->assets[ai].name);
		return bad(ld, deps, dpath,
			   "expected a list of asset names or {asset: NAME, mapping: {type: ...}}, e.g. "
			   "deps: [orders], got a %s",
			   tr_node_kind_name(deps));
	}
	for (size_t k = 0; k < deps->n; k++)
		if ((rc = resolve_declared_dep(ld, ai, k, deps->items[k])))
			return rc;
	return 0;
}

/* Deps from the tables the SQL reads: each one that is exactly one asset's table. */
static int infer_deps(loader *ld, size_t ai)
{
	tr_project *p = ld->p;
	tr_asset *a = &p->assets[ai];
	const tr_node *at = ld->asset_names[ai];
	char **tables = NULL, path[300];
	size_t n = 0;
	int rc;

	if (a->deps_declared || a->kind == TR_ASSET_COMMAND)
		return 0;
	if (tr_sql_tables_read(a->sql, &tables, &n))
		return oom(ld->err);
	snprintf(path, sizeof(path), "assets.%.200s", a->name);
	rc = 0;
	for (size_t t = 0; t < n && !rc; t++) {
		char *key = project_table_key(tables[t]);
		size_t up = SIZE_MAX, matches = 0;
		int dup = 0;

		if (!key) {
			rc = oom(ld->err);
			break;
		}
		for (size_t j = 0; j < p->n_assets; j++)
			if (!strcmp(ld->table_keys[j], key)) {
				up = j;
				matches++;
			}
		/* an http asset's SQL reads its response, not an asset's table */
		if (a->kind == TR_ASSET_HTTP && !strcmp(key, "response"))
			matches = 0;
		free(key);
		if (matches != 1 || up == ai)
			continue; /* not an asset's table, or the asset's own */
		for (size_t j = 0; j < a->n_deps; j++)
			dup |= a->deps[j].asset == up;
		if (!dup) {
			tr_error why = {0};
			tr_mapping *m = NULL;

			if ((rc = default_mapping(&p->assets[up], a, &m, &why)))
				rc = fail(ld->err, rc, at, path,
					  "the SQL reads \"%s\", the table of asset \"%s\", but there is "
					  "no default partition mapping from %s partitions to %s partitions: "
					  "%s; declare the dependency with a mapping, e.g. deps: [{asset: %s, "
					  "mapping: all}] (declared deps turn inference off)",
					  tables[t], p->assets[up].name, partitions_text(&p->assets[up]),
					  partitions_text(a), why.msg, p->assets[up].name);
			else
				rc = add_dep(ld, a, up, m, 1, a->line, a->col);
		}
	}
	tr_strv_free(tables, n);
	return rc;
}

/* ---- order and cycles -------------------------------------------------------------------- */

/* A min-heap of asset indexes: the ready asset declared first comes out first. */
typedef struct heap {
	size_t *v, n;
} heap;

static void heap_push(heap *h, size_t x)
{
	size_t i = h->n++;

	h->v[i] = x;
	while (i && h->v[(i - 1) / 2] > h->v[i]) {
		size_t parent = (i - 1) / 2, t = h->v[parent];

		h->v[parent] = h->v[i];
		h->v[i] = t;
		i = parent;
	}
}

static size_t heap_pop(heap *h)
{
	size_t top = h->v[0], i = 0;

	h->v[0] = h->v[--h->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i, t;

		if (l < h->n && h->v[l] < h->v[m])
			m = l;
		if (r < h->n && h->v[r] < h->v[m])
			m = r;
		if (m == i)
			break;
		t = h->v[m];
		h->v[m] = h->v[i];
		h->v[i] = t;
		i = m;
	}
	return top;
}

static int build_downstream(loader *ld)
{
	tr_project *p = ld->p;
	project_graph *g = ld->g;

	for (size_t i = 0; i < p->n_assets; i++)
		for (size_t k = 0; k < p->assets[i].n_deps; k++)
			g->n_down[p->assets[i].deps[k].asset]++;
	for (size_t i = 0; i < p->n_assets; i++) {
		if (g->n_down[i] && !(g->down[i] = malloc(g->n_down[i] * sizeof(size_t))))
			return oom(ld->err);
		g->n_down[i] = 0;
	}
	/* ascending: assets are visited in index order */
	for (size_t i = 0; i < p->n_assets; i++)
		for (size_t k = 0; k < p->assets[i].n_deps; k++) {
			size_t up = p->assets[i].deps[k].asset;

			g->down[up][g->n_down[up]++] = i;
		}
	return 0;
}

/* Names a cycle among the assets not placed (placed[i] == 0), from the first declared one. */
static int report_cycle(loader *ld, const unsigned char *placed)
{
	tr_project *p = ld->p;
	size_t n = p->n_assets, cur = 0, *path = malloc((n + 1) * sizeof(size_t)), len = 0, start;
	size_t *seen_at = malloc(n * sizeof(size_t)), first, best;
	tr_buf text = TR_BUF_INIT;
	const tr_asset_dep *dep = NULL;
	char where[300];
	int rc;

	if (!path || !seen_at) {
		free(path);
		free(seen_at);
		return oom(ld->err);
	}
	for (size_t i = 0; i < n; i++)
		seen_at[i] = SIZE_MAX;
	while (placed[cur])
		cur++;
	/* every unplaced asset has an unplaced dep: walk until an asset repeats */
	while (seen_at[cur] == SIZE_MAX) {
		seen_at[cur] = len;
		path[len++] = cur;
		for (size_t k = 0; k < p->assets[cur].n_deps; k++)
			if (!placed[p->assets[cur].deps[k].asset]) {
				cur = p->assets[cur].deps[k].asset;
				break;
			}
	}
	start = seen_at[cur];
	best = start;
	for (size_t i = start; i < len; i++)
		if (path[i] < path[best])
			best = i;
	first = path[best];
	for (size_t i = 0; i <= len - start; i++) {
		size_t at = path[start + (best - start + i) % (len - start)];

		tr_buf_addf(&text, "%s%s", i ? " -> " : "", p->assets[at].name);
	}
	{
		size_t next = path[start + (best - start + 1) % (len - start)];

		for (size_t k = 0; k < p->assets[first].n_deps; k++)
			if (p->assets[first].deps[k].asset == next)
				dep = &p->assets[first].deps[k];
	}
	{
		tr_node pos = *ld->asset_names[first];

		pos.line = dep ? dep->line : p->assets[first].line;
		pos.col = dep ? dep->col : p->assets[first].col;
		snprintf(where, sizeof(where), "assets.%.200s%s", p->assets[first].name,
			 dep && dep->inferred ? "" : ".deps");
		rc = bad(ld, &pos, where,
			 "dependency cycle: %s (each asset depends on the next%s); remove one of "
			 "these dependencies",
			 tr_buf_str(&text),
			 dep && dep->inferred ? "; some were inferred from the tables the SQL reads" : "");
	}
	tr_buf_release(&text);
	free(path);
	free(seen_at);
	return rc;
}

static int compute_order(loader *ld)
{
	tr_project *p = ld->p;
	size_t n = p->n_assets, *waiting = calloc(n + 1, sizeof(size_t)), placed_n = 0;
	unsigned char *placed = calloc(n + 1, 1);
	heap h = {malloc((n + 1) * sizeof(size_t)), 0};
	int rc = 0;

	p->order = malloc((n + 1) * sizeof(size_t));
	if (!waiting || !placed || !h.v || !p->order) {
		rc = oom(ld->err);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!(waiting[i] = p->assets[i].n_deps))
			heap_push(&h, i);
	while (h.n) {
		size_t i = heap_pop(&h);

		placed[i] = 1;
		p->order[placed_n++] = i;
		for (size_t k = 0; k < ld->g->n_down[i]; k++)
			if (--waiting[ld->g->down[i][k]] == 0)
				heap_push(&h, ld->g->down[i][k]);
	}
	if (placed_n < n)
		rc = report_cycle(ld, placed);
out:
	free(waiting);
	free(placed);
	free(h.v);
	return rc;
}

/* ---- the whole file ---------------------------------------------------------------------- */

static int parse_top_partitions(loader *ld)
{
	tr_node *v = mut_get(ld->root, "partitions");
	tr_project *p = ld->p;

	if (!v || tr_node_is_null(v))
		return 0;
	if (v->kind != TR_NODE_MAP)
		return bad(ld, v, "partitions",
			   "expected a map of name -> definition, e.g. {monthly: {type: monthly, start: "
			   "2024-01-01}}, got a %s",
			   tr_node_kind_name(v));
	if (v->n && !(p->partitions = calloc(v->n, sizeof(*p->partitions))))
		return oom(ld->err);
	for (size_t i = 0; i < v->n; i++) {
		char path[300];
		int rc;

		snprintf(path, sizeof(path), "partitions.%.200s", tr_node_key(v, i));
		if (!(p->partitions[i].name = xstrdup(tr_node_key(v, i))))
			return oom(ld->err);
		p->n_partitions++;
		if (!p->partitions[i].name[0])
			return bad(ld, v->items[2 * i], "partitions", "a definition's name is empty");
		if ((rc = link_named_dimensions(ld, v->items[2 * i + 1], path)))
			return rc;
		if (strlen(path) + 1 < sizeof(path))
			memcpy(path + strlen(path), ".", 2); /* the partitions module's path prefix */
		if ((rc = tr_partdef_from_node(tr_node_value(v, i), path, &p->partitions[i].def,
					       ld->err)))
			return rc;
	}
	return 0;
}

/* `pools:` NAME -> {max_concurrency, rate}, into p->pools in declaration order. */
static int parse_pools(loader *ld)
{
	const tr_node *v = tr_node_get(ld->root, "pools");
	tr_project *p = ld->p;
	int rc;

	if (!v || tr_node_is_null(v))
		return 0;
	if (v->kind != TR_NODE_MAP)
		return bad(ld, v, "pools",
			   "expected a map of name -> pool, e.g. {api: {max_concurrency: 2, rate: "
			   "10/minute}}, got a %s",
			   tr_node_kind_name(v));
	if (v->n && !(p->pools = calloc(v->n, sizeof(*p->pools))))
		return oom(ld->err);
	for (size_t i = 0; i < v->n; i++) {
		const tr_node *name_node = v->items[2 * i], *map = v->items[2 * i + 1];
		tr_pool *pool = &p->pools[i];
		int64_t limit = 0;
		char path[300];

		snprintf(path, sizeof(path), "pools.%.200s", name_node->scalar);
		if (!(pool->name = xstrdup(name_node->scalar)))
			return oom(ld->err);
		p->n_pools++;
		pool->line = name_node->line;
		pool->col = name_node->col;
		if (!identifier_ok(pool->name, strlen(pool->name)))
			return bad(ld, name_node, path,
				   "\"%.100s\" is not a valid pool name: letters, digits and _, not "
				   "starting with a digit (as asset names)",
				   pool->name);
		if (map->kind != TR_NODE_MAP)
			return bad(ld, map, path,
				   "expected a map with max_concurrency, rate or both, e.g. "
				   "{max_concurrency: 2, rate: 10/minute}; got %s",
				   tr_node_is_null(map) ? "nothing" : map->kind == TR_NODE_SEQ ? "a list"
											   : "a string");
		if ((rc = check_keys(ld, map, path, pool_keys_allowed, ARRAY_LEN(pool_keys_allowed))) ||
		    (rc = get_int(ld, map, "max_concurrency", path, 1, MAX_POOL_LIMIT,
				  "steps of the pool's assets running at once; leave it out for no "
				  "limit",
				  &limit)) ||
		    (rc = parse_rate(ld, pool, map, path)))
			return rc;
		pool->max_concurrency = (int)limit;
		if (!pool->max_concurrency && !pool->n_rates)
			return bad(ld, name_node, path,
				   "limits nothing: give max_concurrency (steps running at once), rate "
				   "(steps started per period) or both, e.g. {max_concurrency: 2} or "
				   "{rate: 10/minute}");
	}
	return 0;
}

/* `defaults:` {retries, backfill}: what assets get when they do not say. */
static int parse_defaults(loader *ld)
{
	const tr_node *v = tr_node_get(ld->root, "defaults"), *r;
	int rc;

	ld->default_retries.max = 0;
	ld->default_retries.delay_ms = 0;
	ld->default_retries.backoff = 1;
	ld->default_backfill.kind = TR_POLICY_MULTI_RUN;
	ld->default_backfill.max_partitions_per_run = 1;
	if (!v || tr_node_is_null(v))
		return 0;
	if (v->kind != TR_NODE_MAP)
		return bad(ld, v, "defaults",
			   "expected a map with retries, backfill or both, e.g. {retries: {max: 2, "
			   "delay: 30s}}, got a %s",
			   tr_node_kind_name(v));
	if ((rc = check_keys(ld, v, "defaults", defaults_keys_allowed,
			     ARRAY_LEN(defaults_keys_allowed))))
		return rc;
	r = tr_node_get(v, "retries");
	if (r && !tr_node_is_null(r) &&
	    (rc = parse_retries(ld, r, "defaults.retries", &ld->default_retries)))
		return rc;
	r = tr_node_get(v, "backfill");
	if (r && !tr_node_is_null(r) &&
	    (rc = parse_backfill(ld, r, "defaults.backfill", &ld->default_backfill)))
		return rc;
	return 0;
}

static int check_url(loader *ld, const tr_node *root, const char *key, const char *const *schemes,
		     const char *valid)
{
	const tr_node *v = tr_node_get(root, key);

	if (!v)
		return 0;
	for (; *schemes; schemes++)
		if (strncmp(v->scalar, *schemes, strlen(*schemes)) == 0 && v->scalar[strlen(*schemes)])
			return 0;
	return bad(ld, v, key, "\"%.200s\" is not a URL tranche knows (valid: %s)", v->scalar, valid);
}

static int parse_top(loader *ld, const tr_node *root)
{
	static const char *const warehouse_schemes[] = {"duckdb:", "parquet:", "postgres://",
							"postgresql://", NULL};
	static const char *const storage_schemes[] = {"sqlite:", "postgres://", "postgresql://",
						      NULL};
	tr_project *p = ld->p;
	const char *s;
	int rc;

	if (root->kind != TR_NODE_MAP)
		return bad(ld, root, NULL,
			   "a project file is a map with name, warehouse, storage, partitions, "
			   "pools, defaults and assets; got a %s",
			   tr_node_kind_name(root));
	if ((rc = check_keys(ld, root, "top level", top_keys, ARRAY_LEN(top_keys))))
		return rc;
	if ((rc = get_text(ld, root, "name", "name", "the project's name", &s)))
		return rc;
	if (!s)
		return bad(ld, tr_node_get(root, "name") ? tr_node_get(root, "name") : root, "name",
			   "required: the project's name (e.g. name: sales)");
	if ((rc = set_string(ld, &p->name, s)))
		return rc;
	if ((rc = get_text(ld, root, "warehouse", "warehouse", "a warehouse URL", &s)) ||
	    (rc = set_string(ld, &p->warehouse, s ? s : "duckdb:data/warehouse.duckdb")) ||
	    (s && (rc = check_url(ld, root, "warehouse", warehouse_schemes,
				  "duckdb:PATH, parquet:DIR, postgres://..."))))
		return rc;
	if ((rc = get_text(ld, root, "storage", "storage", "a storage URL", &s)) ||
	    (rc = set_string(ld, &p->storage, s ? s : "sqlite:.tranche/instance.db")) ||
	    (s && (rc = check_url(ld, root, "storage", storage_schemes,
				  "sqlite:PATH, postgres://..."))))
		return rc;
	if ((rc = parse_top_partitions(ld)) || (rc = parse_pools(ld)))
		return rc;
	return parse_defaults(ld);
}

static int parse_assets(loader *ld)
{
	tr_node *v = mut_get(ld->root, "assets");
	tr_project *p = ld->p;
	size_t n;
	int rc;

	if (v && tr_node_is_null(v))
		v = NULL;
	if (v && v->kind != TR_NODE_MAP)
		return bad(ld, v, "assets",
			   "expected a map of asset name -> asset, e.g. {orders: {sql: SELECT ...}}, "
			   "got a %s",
			   tr_node_kind_name(v));
	n = v ? v->n : 0;
	p->assets = calloc(n + 1, sizeof(tr_asset));
	ld->asset_maps = calloc(n + 1, sizeof(*ld->asset_maps));
	ld->asset_names = calloc(n + 1, sizeof(*ld->asset_names));
	ld->table_keys = calloc(n + 1, sizeof(char *));
	ld->g->down = calloc(n + 1, sizeof(size_t *));
	ld->g->n_down = calloc(n + 1, sizeof(size_t));
	ld->g->inline_defs = calloc(n + 1, sizeof(tr_partdef *));
	if (!p->assets || !ld->asset_maps || !ld->asset_names || !ld->table_keys || !ld->g->down ||
	    !ld->g->n_down || !ld->g->inline_defs)
		return oom(ld->err);
	for (size_t i = 0; i < n; i++) {
		ld->asset_names[i] = v->items[2 * i];
		ld->asset_maps[i] = v->items[2 * i + 1];
		p->n_assets++;
		if ((rc = parse_asset(ld, i, v->items[2 * i], v->items[2 * i + 1])))
			return rc;
		if (!(ld->table_keys[i] = project_table_key(p->assets[i].table)))
			return oom(ld->err);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ld->table_keys[j], ld->table_keys[i])) {
				char path[300];

				snprintf(path, sizeof(path), "assets.%.200s", p->assets[i].name);
				return bad(ld,
					   tr_node_get(ld->asset_maps[i], "table")
						   ? tr_node_get(ld->asset_maps[i], "table")
						   : ld->asset_names[i],
					   path,
					   "writes table \"%s\", which asset \"%s\" (line %d) writes too; "
					   "give one of them its own table (table: NAME)",
					   p->assets[i].table, p->assets[j].name, p->assets[j].line);
			}
	}
	for (size_t i = 0; i < n; i++)
		if ((rc = resolve_declared(ld, i)))
			return rc;
	for (size_t i = 0; i < n; i++)
		if ((rc = infer_deps(ld, i)))
			return rc;
	if ((rc = build_downstream(ld)))
		return rc;
	return compute_order(ld);
}

int tr_project_parse(const char *text, const char *origin, const char *dir, tr_project **out,
		     tr_error *err)
{
	loader ld;
	tr_node *root = NULL;
	int rc;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.err = err;
	if (!origin)
		origin = PROJECT_FILE;
	ld.p = calloc(1, sizeof(*ld.p));
	ld.g = calloc(1, sizeof(*ld.g));
	if (!ld.p || !ld.g) {
		free(ld.p);
		free(ld.g);
		return oom(err);
	}
	ld.p->internal = ld.g;
	if (!(ld.p->path = xstrdup(origin)) || !(ld.p->dir = xstrdup(dir ? dir : "."))) {
		rc = oom(err);
		goto out;
	}
	if ((rc = tr_node_parse(text ? text : "", text ? strlen(text) : 0, origin, &root, err)))
		goto out;
	ld.root = root;
	if ((rc = parse_top(&ld, root)))
		goto out;
	rc = parse_assets(&ld);
out:
	if (ld.table_keys)
		tr_strv_free(ld.table_keys, ld.p->n_assets);
	free(ld.asset_maps);
	free(ld.asset_names);
	tr_node_free(root);
	if (rc) {
		tr_project_free(ld.p);
		return rc;
	}
	*out = ld.p;
	return 0;
}

int tr_project_load(const char *path, tr_project **out, tr_error *err)
{
	struct stat st;
	char *file = NULL, *text = NULL, *dir = NULL, *abs = NULL, *slash;
	size_t len;
	int errnum, rc;

	*out = NULL;
	if (!path || !*path)
		path = ".";
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		file = path_join(path, PROJECT_FILE);
	else
		file = xstrdup(path);
	if (!file)
		return oom(err);
	if (!(dir = xstrdup(file))) {
		free(file);
		return oom(err);
	}
	slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		memcpy(dir, ".", 2);
	rc = read_file(file, &text, &len, &errnum);
	if (rc == TR_EIO && errnum == ENOENT) {
		const char *base = slash ? slash + 1 : file;

		if (strcmp(base, PROJECT_FILE) == 0)
			rc = tr_error_set(err, TR_ENOTFOUND,
					  "no " PROJECT_FILE " in %s (create one with \"tranche init\")",
					  dir);
		else
			rc = tr_error_set(err, TR_ENOTFOUND,
					  "no project file %s (create a project with \"tranche init\")",
					  file);
	} else if (rc == TR_EIO) {
		rc = tr_error_set(err, TR_EIO, "cannot read %s: %s", file,
				  errnum == EFBIG ? "larger than 16 MiB" : strerror(errnum));
	} else if (rc) {
		rc = oom(err);
	} else if (memchr(text, '\0', len)) {
		rc = tr_error_set(err, TR_EINVAL, "%s: contains a NUL byte: not a YAML text file", file);
	} else if (!(abs = realpath(dir, NULL))) {
		rc = tr_error_set(err, TR_EIO, "cannot resolve the directory %s: %s", dir,
				  strerror(errno));
	} else {
		rc = tr_project_parse(text, file, abs, out, err);
	}
	free(abs);
	free(text);
	free(dir);
	free(file);
	return rc;
}

static void tpl_release(tr_template *t)
{
	for (size_t i = 0; i < t->n_parts; i++) {
		free(t->parts[i].text);
		free(t->parts[i].format);
	}
	free(t->parts);
	free(t->source);
	memset(t, 0, sizeof(*t));
}

void tr_project_free(tr_project *p)
{
	project_graph *g;

	if (!p)
		return;
	g = p->internal;
	for (size_t i = 0; i < p->n_assets; i++) {
		tr_asset *a = &p->assets[i];

		free(a->name);
		free(a->sql);
		free(a->sql_file);
		if (a->command)
			tr_strv_free(a->command, a->command_argc);
		free(a->output_format);
		for (size_t k = 0; k < a->n_env; k++) {
			free(a->env[k].key);
			free(a->env[k].value);
		}
		free(a->env);
		free(a->table);
		free(a->partitions_name);
		if (a->partition_expr)
			tr_strv_free(a->partition_expr, a->n_partition_expr);
		for (size_t k = 0; k < a->n_deps; k++)
			tr_mapping_free(a->deps[k].mapping);
		free(a->deps);
		free(a->group);
		free(a->description);
		if (a->owners)
			tr_strv_free(a->owners, a->n_owners);
		for (size_t k = 0; k < a->n_tags; k++) {
			free(a->tags[k].key);
			free(a->tags[k].value);
		}
		free(a->tags);
		free(a->code_version);
		for (size_t k = 0; k < a->n_metadata; k++) {
			free(a->metadata[k].name);
			free(a->metadata[k].sql);
		}
		free(a->metadata);
		for (size_t k = 0; k < a->n_checks; k++) {
			free(a->checks[k].name);
			free(a->checks[k].sql);
			free(a->checks[k].description);
		}
		free(a->checks);
		tpl_release(&a->http.url);
		tpl_release(&a->http.fallback_url);
		for (size_t k = 0; k < a->http.n_headers; k++) {
			free(a->http.headers[k].name);
			tpl_release(&a->http.headers[k].value);
		}
		free(a->http.headers);
		free(a->http.format);
		free(a->http.records);
		if (a->http.fail_json_keys)
			tr_strv_free(a->http.fail_json_keys, a->http.n_fail_json_keys);
		if (a->http.fail_contains)
			tr_strv_free(a->http.fail_contains, a->http.n_fail_contains);
	}
	if (g) {
		for (size_t i = 0; i < p->n_assets; i++) {
			if (g->down)
				free(g->down[i]);
			if (g->inline_defs)
				tr_partdef_free(g->inline_defs[i]);
		}
		free(g->down);
		free(g->n_down);
		free(g->inline_defs);
		free(g);
	}
	free(p->assets);
	for (size_t i = 0; i < p->n_partitions; i++) {
		free(p->partitions[i].name);
		tr_partdef_free(p->partitions[i].def);
	}
	free(p->partitions);
	for (size_t i = 0; i < p->n_pools; i++)
		free(p->pools[i].name);
	free(p->pools);
	free(p->order);
	free(p->name);
	free(p->path);
	free(p->dir);
	free(p->warehouse);
	free(p->storage);
	free(p);
}

/* ---- lookups ------------------------------------------------------------------------------- */

int tr_project_find(const tr_project *p, const char *name, size_t *index, tr_error *err)
{
	const char *near;

	if (!find_asset(p, name, index))
		return 0;
	near = nearest_asset(p, name);
	if (near)
		return tr_error_set(err, TR_ENOTFOUND, "unknown asset \"%.200s\" (did you mean \"%s\"?)",
				    name, near);
	return tr_error_set(err, TR_ENOTFOUND, "unknown asset \"%.200s\"", name);
}

int tr_project_downstream(const tr_project *p, size_t i, size_t **out, size_t *n, tr_error *err)
{
	const project_graph *g = p->internal;

	*out = NULL;
	*n = 0;
	if (i >= p->n_assets)
		return tr_error_set(err, TR_EINVAL, "asset index %zu out of range (%zu assets)", i,
				    p->n_assets);
	if (!g->n_down[i])
		return 0;
	if (!(*out = malloc(g->n_down[i] * sizeof(size_t))))
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	memcpy(*out, g->down[i], g->n_down[i] * sizeof(size_t));
	*n = g->n_down[i];
	return 0;
}

const char *project_asset_key(size_t i)
{
	return i < ARRAY_LEN(asset_keys) ? asset_keys[i].name : NULL;
}

const char *project_top_key(size_t i)
{
	return i < ARRAY_LEN(top_keys) ? top_keys[i] : NULL;
}

const char *project_http_key(size_t i)
{
	return i < ARRAY_LEN(http_keys_allowed) ? http_keys_allowed[i] : NULL;
}
