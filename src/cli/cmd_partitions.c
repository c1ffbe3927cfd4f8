/*
 * cmd_partitions.c — `tranche partitions ...`: the partition engine from the
 * command line, for users checking a definition and for golden tests.
 *
 *   keys, window, has, explain    one definition (--def)
 *   upstream, downstream          two definitions and a mapping
 *   add, delete, list             dynamic partition keys in the instance storage
 *
 * JSON output (--json) is a stable interface: keys -> {"keys": [...]},
 * window -> {"windows": {"KEY": ["START", "END"]}}, has -> {"has": true},
 * upstream/downstream -> {"keys": [...], "required_but_nonexistent": [...]}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "tranche/json.h"
#include "tranche/partitions.h"
#include "tranche/project.h"
#include "tranche/storage.h"
#include "tranche/time.h"

#define DEFAULT_STORAGE ".tranche/instance.db"

/* Everything the subcommands may be given. */
typedef struct args {
	const char *def, *upstream, *downstream, *mapping, *now, *from, *to, *dir, *storage;
	int json, ranges;
	cli_list dynamic; /* NAME=k1,k2 */
	cli_list pos;
} args;

/* Dynamic keys: from --dynamic first, else from the instance storage if it exists. */
typedef struct dyn_source {
	const args *a;
} dyn_source;

/* The project in DIR (or the current directory), if there is a tranche.yaml; NULL otherwise. */
static tr_project *find_project(const args *a, tr_error *err, int *rc)
{
	tr_buf path = TR_BUF_INIT;
	tr_project *p = NULL;
	struct stat sb;

	*rc = 0;
	if (a->dir)
		tr_buf_addf(&path, "%s/", a->dir);
	tr_buf_adds(&path, "tranche.yaml");
	if (!a->storage && stat(tr_buf_str(&path), &sb) == 0)
		*rc = tr_project_load(tr_buf_str(&path), &p, err);
	tr_buf_release(&path);
	return p;
}

/*
 * Where dynamic keys live: --storage; else the storage of the project in DIR
 * (its URL's relative path taken from the project's directory); else
 * DIR/.tranche/instance.db. *exists says whether that database exists yet.
 */
static char *storage_url(const args *a, int *exists)
{
	tr_buf b = TR_BUF_INIT;
	struct stat st;
	tr_error err = {0};
	int rc;
	tr_project *p = find_project(a, &err, &rc);

	if (a->storage) {
		tr_buf_adds(&b, a->storage);
		*exists = 1;
		return tr_buf_detach(&b, NULL);
	}
	if (p && !strncmp(p->storage, "sqlite:", 7)) {
		const char *path = p->storage + 7;

		if (path[0] != '/' && strcmp(path, ":memory:"))
			tr_buf_addf(&b, "%s/%s", p->dir, path);
		else
			tr_buf_adds(&b, path);
	} else if (p) {
		tr_buf_adds(&b, p->storage);
		*exists = 1;
		tr_project_free(p);
		return tr_buf_detach(&b, NULL);
	} else {
		if (a->dir)
			tr_buf_addf(&b, "%s/", a->dir);
		tr_buf_adds(&b, DEFAULT_STORAGE);
	}
	tr_project_free(p);
	*exists = stat(tr_buf_str(&b), &st) == 0;
	return tr_buf_detach(&b, NULL);
}

static int has_dynamic(const tr_partdef *def, const char *name, tr_buf *names)
{
	int found = 0;

	if (!def)
		return 0;
	if (tr_partdef_kind(def) == TR_PART_DYNAMIC) {
		const char *dn = tr_partdef_dynamic_name(def);

		if (!strstr(tr_buf_str(names), dn))
			tr_buf_addf(names, "%s%s", names->len ? ", " : "", dn);
		return !strcmp(dn, name);
	}
	for (size_t d = 0; tr_partdef_kind(def) == TR_PART_MULTI && d < tr_partdef_dimension_count(def); d++)
		found |= has_dynamic(tr_partdef_dimension(def, d), name, names);
	return found;
}

/* With a project: NAME must be one of its dynamic partitions definitions. */
static int check_dynamic_name(const args *a, const char *name, tr_error *err)
{
	tr_buf names = TR_BUF_INIT;
	int rc, found = 0;
	tr_project *p = find_project(a, err, &rc);

	if (rc || !p)
		return rc;
	for (size_t i = 0; i < p->n_partitions; i++)
		found |= has_dynamic(p->partitions[i].def, name, &names);
	for (size_t i = 0; i < p->n_assets; i++)
		found |= has_dynamic(p->assets[i].partdef, name, &names);
	if (!found)
		rc = tr_error_set(err, TR_ENOTFOUND,
				  "project %s has no dynamic partitions named \"%s\" (%s%s)", p->name,
				  name, names.len ? "it has: " : "it has none; declare one with type: dynamic",
				  tr_buf_str(&names));
	tr_buf_release(&names);
	tr_project_free(p);
	return rc;
}

/* Splits "k1,k2,..." into malloc'd keys; on failure nothing stays allocated. */
static int split_keys(const char *list, char ***keys, size_t *n, tr_error *err)
{
	*keys = NULL;
	*n = 0;
	for (const char *s = list; *s;) {
		const char *comma = strchr(s, ',');
		size_t kl = comma ? (size_t)(comma - s) : strlen(s);
		char **grown = realloc(*keys, (*n + 1) * sizeof(char *));

		if (grown)
			*keys = grown;
		if (!grown || !((*keys)[*n] = malloc(kl + 1))) {
			tr_strv_free(*keys, *n);
			*keys = NULL;
			*n = 0;
			return tr_error_set(err, TR_ENOMEM, "out of memory");
		}
		memcpy((*keys)[*n], s, kl);
		(*keys)[(*n)++][kl] = '\0';
		s = comma ? comma + 1 : s + kl;
	}
	return 0;
}

static int dynamic_keys(void *ctx, const char *name, char ***keys, size_t *n, tr_error *err)
{
	const args *a = ((dyn_source *)ctx)->a;
	size_t len = strlen(name);
	tr_storage *st = NULL;
	char *url;
	int exists, rc;

	*keys = NULL;
	*n = 0;
	for (size_t i = 0; i < a->dynamic.n; i++) {
		const char *spec = a->dynamic.items[i];

		if (strncmp(spec, name, len) || spec[len] != '=')
			continue;
		return split_keys(spec + len + 1, keys, n, err);
	}
	url = storage_url(a, &exists);
	if (!exists) {
		free(url);
		return 0;
	}
	rc = tr_storage_open(url, &st, err);
	free(url);
	if (!rc)
		rc = tr_storage_dynamic_keys(st, name, keys, n, err);
	tr_storage_close(st);
	return rc;
}

static int check_dynamic_args(const args *a, tr_error *err)
{
	for (size_t i = 0; i < a->dynamic.n; i++) {
		const char *spec = a->dynamic.items[i], *eq = strchr(spec, '=');

		if (!eq || eq == spec)
			return tr_error_set(err, TR_EINVAL,
					    "--dynamic: \"%s\" is not NAME=KEY,KEY,... (e.g. "
					    "--dynamic symbols=IBM,AAPL)",
					    spec);
		{
			char **keys;
			size_t n;
			int rc = split_keys(eq + 1, &keys, &n, err);

			for (size_t k = 0; k < n && !rc; k++)
				if ((rc = tr_partition_key_check(keys[k], 1, err)))
					tr_error_prefix(err, "--dynamic");
			tr_strv_free(keys, n);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* Parses --def-like text and resolves it at now. */
static int load_def(const args *a, const char *text_arg, const char *what, tr_partdef **def,
		    tr_partitions **parts, dyn_source *src, tr_error *err)
{
	tr_part_env env = {0};
	char *text;
	int rc;

	*def = NULL;
	*parts = NULL;
	if (!text_arg)
		return tr_error_set(err, TR_EINVAL, "%s DEF is required, e.g. %s '{type: daily, "
						    "start: 2024-01-01}'",
				    what, what);
	if (!(text = cli_read_text(text_arg, what, err)))
		return err->code;
	rc = tr_partdef_parse(text, what, def, err);
	free(text);
	if (rc)
		return rc;
	if ((rc = cli_now(a->now, &env.now, err)))
		return rc;
	env.dynamic_keys = dynamic_keys;
	env.ctx = src;
	return tr_partitions_resolve(*def, &env, parts, err);
}

static const cli_opt def_opts[] = {
	{"def", 0, OPT_STRING, "DEF", "the partitions definition (YAML or JSON, or @FILE)", NULL},
	{"now", 0, OPT_STRING, "TIME", "the moment to evaluate at (ISO 8601); default $TRANCHE_NOW or the clock", NULL},
	{"dynamic", 0, OPT_LIST, "NAME=K,...", "keys of a dynamic definition (repeatable)", NULL},
	{"from", 0, OPT_STRING, "KEY", "first key of a range (keys)", NULL},
	{"to", 0, OPT_STRING, "KEY", "last key of a range, inclusive (keys)", NULL},
	{"upstream", 0, OPT_STRING, "DEF", "the upstream definition (upstream, downstream)", NULL},
	{"downstream", 0, OPT_STRING, "DEF", "the downstream definition (upstream, downstream)", NULL},
	{"mapping", 0, OPT_STRING, "MAP", "the partition mapping; default as Dagster infers it", NULL},
	{"json", 0, OPT_FLAG, NULL, "print JSON", NULL},
	{"ranges", 0, OPT_FLAG, NULL, "print key ranges FIRST...LAST instead of every key", NULL},
	{"dir", 'C', OPT_STRING, "DIR", "project directory (dynamic keys live in DIR/.tranche/instance.db)", NULL},
	{"storage", 0, OPT_STRING, "URL", "instance storage URL (default sqlite:.tranche/instance.db)", NULL},
	{NULL, 0, 0, NULL, NULL, NULL},
};

typedef struct sub {
	const char *name;
	int (*run)(args *a, tr_error *err);
	const char *options; /* names from def_opts this subcommand takes, space-separated */
	const char *usage;
	const char *help;
} sub;

static void json_keys(tr_json *j, const tr_partitions *p, const tr_keyset *ks, tr_buf *key)
{
	tr_keyset_iter it;
	int64_t i;

	tr_json_array_begin(j);
	for (tr_keyset_iter_init(&it, ks); tr_keyset_iter_next(&it, &i);) {
		tr_buf_reset(key);
		tr_partitions_key(p, i, key, NULL);
		tr_json_string(j, tr_buf_str(key));
	}
	tr_json_array_end(j);
}

static int run_keys(args *a, tr_error *err)
{
	tr_partdef *def = NULL;
	tr_partitions *p = NULL;
	tr_keyset ks = TR_KEYSET_INIT;
	tr_buf out = TR_BUF_INIT, key = TR_BUF_INIT;
	dyn_source src = {a};
	int rc;

	if (a->pos.n)
		return tr_error_set(err, TR_EINVAL, "partitions keys takes no KEY arguments (use "
						    "--from KEY --to KEY for a range)");
	if ((a->from != NULL) != (a->to != NULL))
		return tr_error_set(err, TR_EINVAL, "--from and --to go together (a range of keys, "
						    "both inclusive)");
	if ((rc = load_def(a, a->def, "--def", &def, &p, &src, err)))
		goto out;
	if (a->from)
		rc = tr_partitions_keyset_from_range(p, a->from, a->to, &ks, err);
	else
		rc = tr_partitions_keyset_all(p, &ks) ? tr_error_set(err, TR_ENOMEM, "out of memory")
						      : 0;
	if (rc)
		goto out;
	if (a->ranges && a->json) {
		rc = tr_error_set(err, TR_EINVAL, "--ranges and --json do not go together");
		goto out;
	}
	if (a->ranges) {
		rc = tr_partitions_keyset_to_ranges(p, &ks, &out, err);
	} else if (a->json) {
		tr_json j;

		tr_json_init(&j, &out, 0);
		tr_json_object_begin(&j);
		tr_json_key(&j, "keys");
		json_keys(&j, p, &ks, &key);
		tr_json_object_end(&j);
		tr_buf_addc(&out, '\n');
	} else {
		tr_keyset_iter it;
		int64_t i;

		for (tr_keyset_iter_init(&it, &ks); tr_keyset_iter_next(&it, &i);) {
			if ((rc = tr_partitions_key(p, i, &out, err)))
				goto out;
			tr_buf_addc(&out, '\n');
			if (out.len > (1u << 20)) {
				if (cli_write(&out)) {
					rc = tr_error_set(err, TR_EIO, "cannot write to standard output");
					goto out;
				}
				tr_buf_reset(&out);
			}
		}
	}
	if (cli_write(&out))
		rc = tr_error_set(err, TR_EIO, "cannot write to standard output");
out:
	tr_keyset_release(&ks);
	tr_buf_release(&out);
	tr_buf_release(&key);
	tr_partitions_free(p);
	tr_partdef_free(def);
	return rc;
}

static int run_window(args *a, tr_error *err)
{
	tr_partdef *def = NULL;
	tr_partitions *p = NULL;
	tr_buf out = TR_BUF_INIT;
	tr_json j;
	dyn_source src = {a};
	int rc;

	if (!a->pos.n)
		return tr_error_set(err, TR_EINVAL, "partitions window needs one or more KEY "
						    "arguments");
	if ((rc = load_def(a, a->def, "--def", &def, &p, &src, err)))
		goto out;
	tr_json_init(&j, &out, 0);
	if (a->json) {
		tr_json_object_begin(&j);
		tr_json_key(&j, "windows");
		tr_json_object_begin(&j);
	}
	for (size_t k = 0; k < a->pos.n; k++) {
		const char *key = a->pos.items[k];
		int64_t idx = 0, s, e;
		tr_buf iso = TR_BUF_INIT;

		rc = tr_partitions_index(p, key, &idx, err);
		/* a window is defined for any well-formed key, existing yet or not */
		if (rc == TR_ERANGE && tr_partdef_kind(def) == TR_PART_TIME)
			rc = 0;
		if (rc)
			goto out;
		if ((rc = tr_partitions_window(p, idx, &s, &e, err))) {
			tr_error_prefix(err, "--def");
			goto out;
		}
		tr_time_format_instant(&iso, s, tr_partitions_offset_at(p, s));
		tr_buf_addc(&iso, '\0');
		tr_time_format_instant(&iso, e, tr_partitions_offset_at(p, e));
		if (a->json) {
			tr_json_key(&j, key);
			tr_json_array_begin(&j);
			tr_json_string(&j, iso.data);
			tr_json_string(&j, iso.data + strlen(iso.data) + 1);
			tr_json_array_end(&j);
		} else {
			tr_buf_addf(&out, "%s\t%s\t%s\n", key, iso.data, iso.data + strlen(iso.data) + 1);
		}
		tr_buf_release(&iso);
	}
	if (a->json) {
		tr_json_object_end(&j);
		tr_json_object_end(&j);
		tr_buf_addc(&out, '\n');
	}
	if (cli_write(&out))
		rc = tr_error_set(err, TR_EIO, "cannot write to standard output");
out:
	tr_buf_release(&out);
	tr_partitions_free(p);
	tr_partdef_free(def);
	return rc;
}

static int run_has(args *a, tr_error *err)
{
	tr_partdef *def = NULL;
	tr_partitions *p = NULL;
	dyn_source src = {a};
	int rc, has;

	if (a->pos.n != 1)
		return tr_error_set(err, TR_EINVAL, "partitions has needs exactly one KEY");
	if ((rc = load_def(a, a->def, "--def", &def, &p, &src, err)))
		goto out;
	has = tr_partitions_has(p, a->pos.items[0]);
	if (a->json)
		printf("{\"has\":%s}\n", has ? "true" : "false");
	else
		printf("%s\n", has ? "true" : "false");
	rc = has ? 0 : 1; /* exit 1 like grep -q when the key does not exist */
out:
	tr_partitions_free(p);
	tr_partdef_free(def);
	return rc;
}

static int run_explain(args *a, tr_error *err)
{
	tr_partdef *def = NULL;
	tr_partitions *p = NULL;
	tr_buf out = TR_BUF_INIT;
	dyn_source src = {a};
	int rc;

	if (a->pos.n)
		return tr_error_set(err, TR_EINVAL, "partitions explain takes no KEY arguments");
	if ((rc = load_def(a, a->def, "--def", &def, &p, &src, err)))
		goto out;
	if (!(rc = tr_partitions_explain(p, &out, err)))
		cli_write(&out);
out:
	tr_buf_release(&out);
	tr_partitions_free(p);
	tr_partdef_free(def);
	return rc;
}

static int run_mapping(args *a, int upstream, tr_error *err)
{
	tr_partdef *up = NULL, *down = NULL;
	tr_partitions *pu = NULL, *pd = NULL;
	tr_mapping *m = NULL;
	tr_keyset in = TR_KEYSET_INIT, res = TR_KEYSET_INIT;
	tr_buf missing = TR_BUF_INIT, out = TR_BUF_INIT, key = TR_BUF_INIT;
	size_t n_missing = 0;
	dyn_source src = {a};
	char *text = NULL;
	int rc;

	if (!a->pos.n)
		return tr_error_set(err, TR_EINVAL, "partitions %s needs one or more KEY arguments "
						    "(keys of the %s definition)",
				    upstream ? "upstream" : "downstream",
				    upstream ? "downstream" : "upstream");
	if ((rc = load_def(a, a->upstream, "--upstream", &up, &pu, &src, err)) ||
	    (rc = load_def(a, a->downstream, "--downstream", &down, &pd, &src, err)))
		goto out;
	if (a->mapping) {
		if (!(text = cli_read_text(a->mapping, "--mapping", err))) {
			rc = err->code;
			goto out;
		}
		rc = tr_mapping_parse(text, "--mapping", &m, err);
	} else {
		rc = tr_mapping_default(up, down, &m, err);
	}
	if (rc || (rc = tr_mapping_check(m, up, down, err)))
		goto out;
	if ((rc = tr_partitions_keyset_from_keys(upstream ? pd : pu, a->pos.items, a->pos.n, &in,
						 err))) {
		tr_error_prefix(err, "%s", upstream ? "--downstream" : "--upstream");
		goto out;
	}
	if (upstream)
		rc = tr_mapping_upstream(m, pu, pd, &in, &res, &missing, &n_missing, err);
	else
		rc = tr_mapping_downstream(m, pu, pd, &in, &res, err);
	if (rc)
		goto out;
	if (a->json) {
		tr_json j;
		const char *s = tr_buf_str(&missing);

		tr_json_init(&j, &out, 0);
		tr_json_object_begin(&j);
		tr_json_key(&j, "keys");
		json_keys(&j, upstream ? pu : pd, &res, &key);
		tr_json_key(&j, "required_but_nonexistent");
		tr_json_array_begin(&j);
		for (size_t i = 0; i < n_missing; i++, s += strlen(s) + 1)
			tr_json_string(&j, s);
		tr_json_array_end(&j);
		tr_json_object_end(&j);
		tr_buf_addc(&out, '\n');
	} else {
		tr_keyset_iter it;
		int64_t i;
		const char *s = tr_buf_str(&missing);

		if (a->ranges)
			tr_partitions_keyset_to_ranges(upstream ? pu : pd, &res, &out, NULL);
		for (tr_keyset_iter_init(&it, &res); !a->ranges && tr_keyset_iter_next(&it, &i);) {
			tr_partitions_key(upstream ? pu : pd, i, &out, NULL);
			tr_buf_addc(&out, '\n');
		}
		for (size_t k = 0; k < n_missing; k++, s += strlen(s) + 1)
			tr_buf_addf(&out, "required but nonexistent: %s\n", s);
	}
	if (cli_write(&out))
		rc = tr_error_set(err, TR_EIO, "cannot write to standard output");
out:
	free(text);
	tr_mapping_free(m);
	tr_keyset_release(&in);
	tr_keyset_release(&res);
	tr_buf_release(&missing);
	tr_buf_release(&out);
	tr_buf_release(&key);
	tr_partitions_free(pu);
	tr_partitions_free(pd);
	tr_partdef_free(up);
	tr_partdef_free(down);
	return rc;
}

static int run_upstream(args *a, tr_error *err) { return run_mapping(a, 1, err); }
static int run_downstream(args *a, tr_error *err) { return run_mapping(a, 0, err); }

static int open_storage(const args *a, tr_storage **st, tr_error *err)
{
	int exists;
	char *url = storage_url(a, &exists);
	int rc = tr_storage_open(url, st, err);

	free(url);
	return rc;
}

static int run_add_delete(args *a, int add, tr_error *err)
{
	tr_storage *st = NULL;
	size_t changed = 0;
	int rc;

	if (a->pos.n < 2)
		return tr_error_set(err, TR_EINVAL, "partitions %s needs a NAME and one or more KEYs, "
						    "e.g. tranche partitions %s symbols IBM AAPL",
				    add ? "add" : "delete", add ? "add" : "delete");
	for (size_t i = 1; add && i < a->pos.n; i++)
		if ((rc = tr_partition_key_check(a->pos.items[i], 1, err)))
			return rc;
	if ((rc = check_dynamic_name(a, a->pos.items[0], err)))
		return rc;
	if ((rc = open_storage(a, &st, err)))
		return rc;
	if (add)
		rc = tr_storage_dynamic_add(st, a->pos.items[0], a->pos.items + 1, a->pos.n - 1,
					    &changed, err);
	else
		rc = tr_storage_dynamic_delete(st, a->pos.items[0], a->pos.items + 1, a->pos.n - 1,
					       &changed, err);
	tr_storage_close(st);
	if (!rc) {
		if (a->json)
			printf("{\"%s\":%zu}\n", add ? "added" : "deleted", changed);
		else
			printf("%s %zu key%s %s dynamic partitions \"%s\" (%zu already %s)\n",
			       add ? "added" : "deleted", changed, changed == 1 ? "" : "s",
			       add ? "to" : "from", a->pos.items[0], a->pos.n - 1 - changed,
			       add ? "there" : "absent");
	}
	return rc;
}

static int run_add(args *a, tr_error *err) { return run_add_delete(a, 1, err); }
static int run_delete(args *a, tr_error *err) { return run_add_delete(a, 0, err); }

static int run_list(args *a, tr_error *err)
{
	tr_storage *st = NULL;
	char **items = NULL;
	size_t n = 0;
	tr_buf out = TR_BUF_INIT;
	tr_json j;
	int rc;

	if (a->pos.n > 1)
		return tr_error_set(err, TR_EINVAL, "partitions list takes at most one NAME");
	if (a->pos.n && (rc = check_dynamic_name(a, a->pos.items[0], err)))
		return rc;
	{
		int exists;

		free(storage_url(a, &exists));
		if (!exists) /* nothing added yet: list nothing, create nothing */
			goto print;
	}
	if ((rc = open_storage(a, &st, err)))
		return rc;
	if (a->pos.n)
		rc = tr_storage_dynamic_keys(st, a->pos.items[0], &items, &n, err);
	else
		rc = tr_storage_dynamic_names(st, &items, &n, err);
	tr_storage_close(st);
	if (rc)
		return rc;
print:
	tr_json_init(&j, &out, 0);
	if (a->json) {
		tr_json_object_begin(&j);
		tr_json_key(&j, a->pos.n ? "keys" : "names");
		tr_json_array_begin(&j);
	}
	for (size_t i = 0; i < n; i++) {
		if (a->json)
			tr_json_string(&j, items[i]);
		else
			tr_buf_addf(&out, "%s\n", items[i]);
	}
	if (a->json) {
		tr_json_array_end(&j);
		tr_json_object_end(&j);
		tr_buf_addc(&out, '\n');
	}
	cli_write(&out);
	tr_buf_release(&out);
	tr_strv_free(items, n);
	return 0;
}

static const sub subs[] = {
	{"keys", run_keys, "def now dynamic from to json ranges dir storage", "tranche partitions keys --def DEF [--now T] [--from KEY --to KEY] [--dynamic N=K,...] [--ranges] [--json]",
	 "List the partition keys that exist at a moment, in order."},
	{"window", run_window, "def now dynamic json dir storage", "tranche partitions window --def DEF KEY... [--dynamic N=K,...] [--json]",
	 "Print each key's time window [start, end) as ISO 8601 with the zone's offset."},
	{"has", run_has, "def now dynamic json dir storage", "tranche partitions has --def DEF KEY [--now T] [--json]",
	 "Say whether KEY is a partition that exists at the moment (exit 0 if so, 1 if not)."},
	{"upstream", run_upstream, "upstream downstream mapping now dynamic json ranges dir storage", "tranche partitions upstream --upstream DEF --downstream DEF [--mapping MAP] [--now T] KEY... [--ranges] [--json]",
	 "The upstream partitions that the downstream partitions KEY... read through the mapping."},
	{"downstream", run_downstream, "upstream downstream mapping now dynamic json ranges dir storage", "tranche partitions downstream --upstream DEF --downstream DEF [--mapping MAP] [--now T] KEY... [--ranges] [--json]",
	 "The downstream partitions that read the upstream partitions KEY... through the mapping."},
	{"explain", run_explain, "def now dynamic dir storage", "tranche partitions explain --def DEF [--now T]",
	 "Explain a definition in words: first and last partition and why, alignment, count, DST."},
	{"add", run_add, "json dir storage", "tranche partitions add NAME KEY... [-C DIR | --storage URL] [--json]",
	 "Add keys to the dynamic partitions NAME (idempotent)."},
	{"delete", run_delete, "json dir storage", "tranche partitions delete NAME KEY... [-C DIR | --storage URL] [--json]",
	 "Delete keys from the dynamic partitions NAME (idempotent)."},
	{"list", run_list, "json dir storage", "tranche partitions list [NAME] [-C DIR | --storage URL] [--json]",
	 "List the keys of the dynamic partitions NAME, or the names of all dynamic partitions."},
	{NULL, NULL, NULL, NULL, NULL},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: tranche partitions SUBCOMMAND [OPTIONS]\n\nsubcommands:\n");
	for (const sub *s = subs; s->name; s++)
		fprintf(f, "  %-11s %s\n", s->name, s->help);
	fprintf(f, "\nDEF and MAP are YAML or JSON with the project file's keys, or @FILE.\n"
		   "'tranche partitions SUBCOMMAND --help' lists the options.\n");
}

int cmd_partitions(int argc, char **argv)
{
	args a;
	cli_opt opts[sizeof(def_opts) / sizeof(def_opts[0])];
	void *targets[] = {&a.def, &a.now, &a.dynamic, &a.from, &a.to, &a.upstream,
			   &a.downstream, &a.mapping, &a.json, &a.ranges, &a.dir, &a.storage};
	tr_error err;
	int rc;

	if (argc < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
		usage(stdout);
		return 0;
	}
	memset(&a, 0, sizeof(a));
	tr_error_clear(&err);
	for (const sub *s = subs; s->name; s++) {
		size_t n = 0;

		if (strcmp(s->name, argv[0]))
			continue;
		/* only the options this subcommand takes: others are refused, not ignored */
		for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
			const char *at = strstr(s->options, def_opts[i].name);
			size_t len = strlen(def_opts[i].name);

			if (!at || (at != s->options && at[-1] != ' ') || (at[len] && at[len] != ' '))
				continue;
			opts[n] = def_opts[i];
			opts[n++].value = targets[i];
		}
		opts[n] = def_opts[sizeof(targets) / sizeof(targets[0])];
		rc = cli_parse(argc - 1, argv + 1, opts, &a.pos, s->usage, s->help);
		if (rc == -1)
			rc = 0;
		else if (rc == 0 && !(rc = check_dynamic_args(&a, &err)))
			rc = s->run(&a, &err);
		else if (rc > 0)
			goto done;
		if (rc < 0)
			rc = cli_fail(&err);
	done:
		cli_list_release(&a.pos);
		cli_list_release(&a.dynamic);
		return rc;
	}
	fprintf(stderr, "tranche: unknown subcommand \"partitions %s\"\n\n", argv[0]);
	usage(stderr);
	return EXIT_USAGE;
}
