/*
 * select.c — the selection syntax (tranche/project.h, tr_project_select),
 * as in Dagster's asset selection and dbt's graph operators:
 *
 *   name  group:x  tag:k=v  tag:k  *     the base sets
 *   +ITEM  N+ITEM                        and upstream (all, or N levels)
 *   ITEM+  ITEM+N                        and downstream
 *   a, b, ...                            the union
 *
 * Each comma-separated item is resolved on its own (base set, then a
 * breadth-first walk up and/or down with a depth limit) and OR-ed into the
 * result. Asset names start with a letter or '_', so leading digits are
 * always a depth. A bad item stops everything: nothing is selected.
 * Called by the CLI (`materialize SELECTION`, `assets list --select`) and the
 * server.
 */
#include <stdlib.h>
#include <string.h>

#include "project/project_int.h"
#include "tranche/buf.h"

#define DEPTH_ALL ((size_t)-1)

typedef struct item {
	const char *base; /* points into the item text */
	size_t base_len;
	size_t up, down; /* levels: 0 none, DEPTH_ALL every one */
} item;

/* A copy of s[0..len) for messages and comparisons (NULL: no memory). */
static char *dup_n(const char *s, size_t len)
{
	char *d = malloc(len + 1);

	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "2+", "+": the upstream operator at the start of s[0..len); returns its length. */
static size_t leading_op(const char *s, size_t len, size_t *depth)
{
	size_t i = 0, d = 0;

	while (i < len && is_digit(s[i])) {
		d = d > 100000000 ? d : d * 10 + (size_t)(s[i] - '0');
		i++;
	}
	if (i < len && s[i] == '+') {
		*depth = i ? d : DEPTH_ALL;
		return i + 1;
	}
	*depth = 0;
	return 0;
}

/* "+2", "+": the downstream operator at the end of s[0..len); returns its length. */
static size_t trailing_op(const char *s, size_t len, size_t *depth)
{
	size_t i = len, d = 0, mul = 1;

	while (i > 0 && is_digit(s[i - 1])) {
		if (mul <= 100000000)
			d += (size_t)(s[i - 1] - '0') * mul;
		mul = mul > 100000000 ? mul : mul * 10;
		i--;
	}
	if (i > 0 && s[i - 1] == '+') {
		*depth = i < len ? d : DEPTH_ALL;
		return len - i + 1;
	}
	*depth = 0;
	return 0;
}

static int parse_item(const char *s, size_t len, const char *selection, item *it, tr_error *err)
{
	size_t lead = leading_op(s, len, &it->up), trail;

	if (lead == len)
		return tr_error_set(err, TR_EINVAL,
				    "selection \"%.200s\": \"%.*s\" needs an asset name, group:NAME or "
				    "tag:KEY=VALUE after the +",
				    selection, (int)len, s);
	trail = trailing_op(s + lead, len - lead, &it->down);
	it->base = s + lead;
	it->base_len = len - lead - trail;
	if (!it->base_len)
		return tr_error_set(err, TR_EINVAL,
				    "selection \"%.200s\": \"%.*s\" needs an asset name, group:NAME or "
				    "tag:KEY=VALUE",
				    selection, (int)len, s);
	return 0;
}

/* "a, b, c": the distinct groups, or tags (as KEY=VALUE), in order of first use. */
static void list_groups(const tr_project *p, tr_buf *b)
{
	for (size_t i = 0; i < p->n_assets; i++) {
		size_t j;

		for (j = 0; j < i && strcmp(p->assets[j].group, p->assets[i].group); j++)
			;
		if (j == i)
			tr_buf_addf(b, "%s%s", b->len ? ", " : "", p->assets[i].group);
	}
}

static void list_tags(const tr_project *p, tr_buf *b)
{
	for (size_t i = 0; i < p->n_assets; i++)
		for (size_t t = 0; t < p->assets[i].n_tags; t++) {
			const tr_kv *kv = &p->assets[i].tags[t];
			int seen = 0;

			for (size_t j = 0; j <= i && !seen; j++)
				for (size_t u = 0; u < p->assets[j].n_tags && !seen; u++) {
					const tr_kv *o = &p->assets[j].tags[u];

					if (j == i && u == t)
						break;
					seen = !strcmp(o->key, kv->key) && !strcmp(o->value, kv->value);
				}
			if (!seen)
				tr_buf_addf(b, "%s%s=%s", b->len ? ", " : "", kv->key, kv->value);
		}
}

static int select_group(const tr_project *p, const char *name, unsigned char *set, tr_error *err)
{
	size_t found = 0;
	tr_buf groups = TR_BUF_INIT;
	const char **names;
	const char *near = NULL;
	int rc;

	for (size_t i = 0; i < p->n_assets; i++)
		if (!strcmp(p->assets[i].group, name)) {
			set[i] = 1;
			found++;
		}
	if (found)
		return 0;
	if (!*name)
		return tr_error_set(err, TR_EINVAL, "group: needs a group name (group:NAME)");
	names = calloc(p->n_assets + 1, sizeof(*names));
	if (!names)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	for (size_t i = 0; i < p->n_assets; i++)
		names[i] = p->assets[i].group;
	near = project_nearest(name, names, p->n_assets);
	list_groups(p, &groups);
	if (near)
		rc = tr_error_set(err, TR_ENOTFOUND,
				  "no asset is in group \"%.200s\" (did you mean \"%s\"? groups: %s)", name,
				  near, tr_buf_str(&groups));
	else
		rc = tr_error_set(err, TR_ENOTFOUND, "no asset is in group \"%.200s\" (groups: %s)", name,
				  p->n_assets ? tr_buf_str(&groups) : "none, the project has no assets");
	free(names);
	tr_buf_release(&groups);
	return rc;
}

static int select_tag(const tr_project *p, const char *spec, unsigned char *set, tr_error *err)
{
	const char *eq = strchr(spec, '=');
	size_t klen = eq ? (size_t)(eq - spec) : strlen(spec), found = 0;
	tr_buf tags = TR_BUF_INIT;
	int rc;

	if (!klen)
		return tr_error_set(err, TR_EINVAL, "tag:%s: needs a tag key (tag:KEY or tag:KEY=VALUE)",
				    spec);
	for (size_t i = 0; i < p->n_assets; i++)
		for (size_t t = 0; t < p->assets[i].n_tags; t++) {
			const tr_kv *kv = &p->assets[i].tags[t];

			if (strlen(kv->key) == klen && !strncmp(kv->key, spec, klen) &&
			    (!eq || !strcmp(kv->value, eq + 1))) {
				set[i] = 1;
				found++;
			}
		}
	if (found)
		return 0;
	list_tags(p, &tags);
	rc = tr_error_set(err, TR_ENOTFOUND, "no asset has the tag %s%.200s (tags: %s)",
			  eq ? "" : "key ", spec, tags.len ? tr_buf_str(&tags) : "none");
	tr_buf_release(&tags);
	return rc;
}

/* Widens set by `depth` levels up (via deps) or down (via the downstream lists). */
static int expand(const tr_project *p, unsigned char *set, size_t depth, int up, tr_error *err)
{
	const project_graph *g = p->internal;
	size_t n = p->n_assets, *queue = malloc((n + 1) * sizeof(size_t));
	size_t *level = malloc((n + 1) * sizeof(size_t)), head = 0, tail = 0;

	if (!queue || !level) {
		free(queue);
		free(level);
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		if (set[i]) {
			queue[tail++] = i;
			level[i] = 0;
		}
	while (head < tail) {
		size_t i = queue[head++];
		size_t count = up ? p->assets[i].n_deps : g->n_down[i];

		if (level[i] >= depth)
			continue;
		for (size_t k = 0; k < count; k++) {
			size_t j = up ? p->assets[i].deps[k].asset : g->down[i][k];

			if (set[j])
				continue;
			set[j] = 1;
			level[j] = level[i] + 1;
			queue[tail++] = j;
		}
	}
	free(queue);
	free(level);
	return 0;
}

static int select_item(const tr_project *p, const item *it, unsigned char *set, tr_error *err)
{
	char *base = dup_n(it->base, it->base_len);
	unsigned char *down_set = NULL;
	int rc = 0;

	if (!base)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	if (!strcmp(base, "*")) {
		memset(set, 1, p->n_assets);
	} else if (!strncmp(base, "group:", 6)) {
		rc = select_group(p, base + 6, set, err);
	} else if (!strncmp(base, "tag:", 4)) {
		rc = select_tag(p, base + 4, set, err);
	} else {
		size_t i;

		if (!(rc = tr_project_find(p, base, &i, err)))
			set[i] = 1;
	}
	free(base);
	if (rc)
		return rc;
	/* up and down are walked from the base set each, not from each other's results */
	if (it->down && !(down_set = malloc(p->n_assets + 1)))
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	if (down_set)
		memcpy(down_set, set, p->n_assets);
	if (it->up)
		rc = expand(p, set, it->up, 1, err);
	if (!rc && down_set) {
		rc = expand(p, down_set, it->down, 0, err);
		for (size_t i = 0; i < p->n_assets; i++)
			set[i] |= down_set[i];
	}
	free(down_set);
	return rc;
}

int tr_project_select(const tr_project *p, const char *selection, unsigned char *selected,
		      tr_error *err)
{
	unsigned char *set = NULL;
	const char *s = selection ? selection : "";
	int rc = 0;

	if (p->n_assets)
		memset(selected, 0, p->n_assets);
	if (!s[strspn(s, " \t")])
		return tr_error_set(err, TR_EINVAL,
				    "empty selection: give asset names, group:NAME, tag:KEY=VALUE or * "
				    "(with + for upstream/downstream), separated by commas");
	if (!(set = calloc(p->n_assets + 1, 1)))
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	while (!rc) {
		const char *comma = strchr(s, ','), *end = comma ? comma : s + strlen(s);
		const char *a = s, *b = end;
		item it = {NULL, 0, 0, 0};

		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (a == b) {
			rc = tr_error_set(err, TR_EINVAL,
					  "selection \"%.200s\": an empty item between commas", selection);
			break;
		}
		memset(set, 0, p->n_assets);
		rc = parse_item(a, (size_t)(b - a), selection, &it, err);
		if (!rc)
			rc = select_item(p, &it, set, err);
		for (size_t i = 0; !rc && i < p->n_assets; i++)
			selected[i] |= set[i];
		if (!comma)
			break;
		s = comma + 1;
	}
	free(set);
	if (rc && p->n_assets)
		memset(selected, 0, p->n_assets);
	return rc;
}
