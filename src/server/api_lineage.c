/*
 * api_lineage.c — the asset graph, laid out by Graphviz's dot in-process
 * (libgvc), as JSON positions (GET /api/lineage) and as an SVG picture
 * (GET /api/lineage.svg).
 *
 * The dot layout and core (SVG) plugins are linked in and handed to
 * gvContextPlugins, so nothing is loaded from Graphviz's plugin directory and
 * no text-layout plugin runs: label sizes come from Graphviz's built-in font
 * metrics, the same on every machine (the layout is deterministic).
 *
 * Graphviz keeps state of its own across a process (the cgraph and layout
 * libraries are not thread-safe), so every use here holds gv_lock: the one
 * piece of process-wide state in the server, forced by the library.
 *
 * Coordinates in the JSON are points (1/72 inch) with the origin at the top
 * left and y growing downwards, as an SVG or a canvas draws them: (x, y) is
 * a node's centre.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <graphviz/gvc.h>

#include "server/server_int.h"
#include "tranche/partitions.h"

extern gvplugin_library_t gvplugin_dot_layout_LTX_library;
extern gvplugin_library_t gvplugin_core_LTX_library;

static const lt_symlist_t builtins[] = {
	{"gvplugin_dot_layout_LTX_library", &gvplugin_dot_layout_LTX_library},
	{"gvplugin_core_LTX_library", &gvplugin_core_LTX_library},
	{NULL, NULL},
};

static pthread_mutex_t gv_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct {
	const char *name, *fill;
} statuses[] = {
	{"materialized", "#c8e6c9"}, {"partial", "#fff3bf"}, {"failed", "#ffc9c9"},
	{"missing", "#eeeeee"},      {"running", "#bbdefb"},      {"stale", "#fdf5e1"},
};

/* The status of asset i for the graph; index into statuses. */
static int asset_status(srv_ctx *c, size_t i)
{
	const tr_project *p = srv_project(c);
	tr_partitions *parts = NULL;
	tr_asset_state s;
	int status = 3;

	if (tr_asset_partitions(p, c->st, i, c->now, &parts, NULL) == 0 &&
	    tr_asset_state_get(p, c->st, i, parts, &s, NULL) == 0) {
		if (!tr_keyset_is_empty(&s.in_progress))
			status = 4;
		else if (!tr_keyset_is_empty(&s.failed))
			status = 2;
		else if (!tr_keyset_is_empty(&s.stale))
			status = 5;
		else if (s.total > 0 && tr_keyset_count(&s.materialized) == s.total)
			status = 0;
		else if (!tr_keyset_is_empty(&s.materialized))
			status = 1;
		tr_asset_state_release(&s);
	}
	tr_partitions_free(parts);
	return status;
}

struct layout {
	GVC_t *gvc;
	Agraph_t *g;
	Agnode_t **nodes;
	int *status;
};

static void layout_free(struct layout *l)
{
	if (l->g) {
		gvFreeLayout(l->gvc, l->g);
		agclose(l->g);
	}
	if (l->gvc)
		gvFreeContext(l->gvc);
	free(l->nodes);
	free(l->status);
	memset(l, 0, sizeof(*l));
}

/* Builds and lays out the graph. Under gv_lock. 0, or -1 after answering. */
static int layout_make(srv_ctx *c, struct layout *l, const char *rankdir)
{
	const tr_project *p = srv_project(c);
	char id[64], name[] = "lineage";

	memset(l, 0, sizeof(*l));
	l->nodes = calloc(p->n_assets + 1, sizeof(*l->nodes));
	l->status = calloc(p->n_assets + 1, sizeof(*l->status));
	if (!l->nodes || !l->status)
		goto oom;
	for (size_t i = 0; i < p->n_assets; i++)
		l->status[i] = asset_status(c, i);
	l->gvc = gvContextPlugins(builtins, 0);
	if (!l->gvc)
		goto oom;
	l->g = agopen(name, Agdirected, NULL);
	if (!l->g)
		goto oom;
	agattr(l->g, AGRAPH, "rankdir", (char *)rankdir);
	agattr(l->g, AGRAPH, "nodesep", "0.3");
	agattr(l->g, AGRAPH, "ranksep", "0.6");
	agattr(l->g, AGNODE, "shape", "box");
	agattr(l->g, AGNODE, "style", "rounded,filled");
	agattr(l->g, AGNODE, "fontname", "Helvetica");
	agattr(l->g, AGNODE, "fontsize", "12");
	agattr(l->g, AGNODE, "fillcolor", "#eeeeee");
	agattr(l->g, AGNODE, "label", "\\N");
	agattr(l->g, AGNODE, "id", "");
	agattr(l->g, AGNODE, "tooltip", "");
	agattr(l->g, AGEDGE, "id", "");
	agattr(l->g, AGEDGE, "fontname", "Helvetica");
	agattr(l->g, AGEDGE, "fontsize", "9");
	for (size_t k = 0; k < p->n_assets; k++) {
		size_t i = p->order[k];
		const tr_asset *a = &p->assets[i];
		tr_buf label = TR_BUF_INIT;

		l->nodes[i] = agnode(l->g, a->name, 1);
		if (!l->nodes[i])
			goto oom;
		snprintf(id, sizeof(id), "n%zu", i);
		agset(l->nodes[i], "id", id);
		tr_buf_addf(&label, "%s\n%s", a->name,
			    a->partdef ? tr_partdef_type_name(a->partdef) : "unpartitioned");
		agset(l->nodes[i], "label", (char *)tr_buf_str(&label));
		agset(l->nodes[i], "tooltip", a->description ? a->description : a->name);
		agset(l->nodes[i], "fillcolor", (char *)statuses[l->status[i]].fill);
		tr_buf_release(&label);
	}
	for (size_t i = 0; i < p->n_assets; i++)
		for (size_t d = 0; d < p->assets[i].n_deps; d++) {
			Agedge_t *e = agedge(l->g, l->nodes[p->assets[i].deps[d].asset], l->nodes[i],
					     NULL, 1);

			if (!e)
				goto oom;
			snprintf(id, sizeof(id), "e%zu_%zu", i, d);
			agset(e, "id", id);
		}
	if (gvLayout(l->gvc, l->g, "dot")) {
		srv_fail(c, 500, "internal", "Graphviz could not lay out the asset graph");
		return -1;
	}
	return 0;
oom:
	srv_fail(c, 500, "internal", "out of memory laying out the asset graph");
	return -1;
}

static const char *rankdir_param(srv_ctx *c)
{
	const char *dir = srv_query(c, "rankdir");

	if (!dir)
		return "LR";
	if (strcmp(dir, "LR") && strcmp(dir, "TB") && strcmp(dir, "RL") && strcmp(dir, "BT")) {
		srv_fail(c, 400, "bad_request", "query parameter rankdir: \"%.20s\" (valid: LR, TB, "
						"RL, BT)",
			 dir);
		return NULL;
	}
	return dir;
}

void api_lineage(srv_ctx *c)
{
	static const char *const known[] = {"rankdir", NULL};
	const tr_project *p = srv_project(c);
	const char *rankdir;
	struct layout l;
	double height;
	tr_json j;

	if (srv_query_only(c, known) || !(rankdir = rankdir_param(c)) || !srv_st(c))
		return;
	pthread_mutex_lock(&gv_lock);
	if (layout_make(c, &l, rankdir))
		goto out;
	height = GD_bb(l.g).UR.y;
	srv_json_begin(c, &j, 200);
	tr_json_object_begin(&j);
	tr_json_key(&j, "width");
	tr_json_double(&j, GD_bb(l.g).UR.x);
	tr_json_key(&j, "height");
	tr_json_double(&j, height);
	tr_json_kv_string(&j, "rankdir", rankdir);
	tr_json_key(&j, "nodes");
	tr_json_array_begin(&j);
	for (size_t k = 0; k < p->n_assets; k++) {
		size_t i = p->order[k];
		const tr_asset *a = &p->assets[i];
		Agnode_t *n = l.nodes[i];

		tr_json_object_begin(&j);
		tr_json_kv_string(&j, "name", a->name);
		tr_json_kv_string(&j, "group", a->group);
		tr_json_kv_string(&j, "kind", tr_asset_kind_name(a->kind));
		tr_json_kv_string(&j, "partitions",
				  a->partdef ? tr_partdef_type_name(a->partdef) : NULL);
		tr_json_kv_string(&j, "status", statuses[l.status[i]].name);
		tr_json_key(&j, "x");
		tr_json_double(&j, ND_coord(n).x);
		tr_json_key(&j, "y");
		tr_json_double(&j, height - ND_coord(n).y);
		tr_json_key(&j, "width");
		tr_json_double(&j, ND_width(n) * 72.0);
		tr_json_key(&j, "height");
		tr_json_double(&j, ND_height(n) * 72.0);
		tr_json_object_end(&j);
	}
	tr_json_array_end(&j);
	tr_json_key(&j, "edges");
	tr_json_array_begin(&j);
	for (size_t i = 0; i < p->n_assets; i++)
		for (size_t d = 0; d < p->assets[i].n_deps; d++) {
			const tr_asset_dep *dep = &p->assets[i].deps[d];
			Agedge_t *e = agedge(l.g, l.nodes[dep->asset], l.nodes[i], NULL, 0);

			tr_json_object_begin(&j);
			tr_json_kv_string(&j, "from", p->assets[dep->asset].name);
			tr_json_kv_string(&j, "to", p->assets[i].name);
			tr_json_kv_string(&j, "mapping", tr_mapping_type_name(dep->mapping));
			tr_json_kv_bool(&j, "inferred", dep->inferred);
			tr_json_key(&j, "points");
			tr_json_array_begin(&j);
			if (e && ED_spl(e))
				for (size_t b = 0; b < (size_t)ED_spl(e)->size; b++) {
					const bezier *bz = &ED_spl(e)->list[b];

					for (size_t q = 0; q < (size_t)bz->size; q++) {
						tr_json_array_begin(&j);
						tr_json_double(&j, bz->list[q].x);
						tr_json_double(&j, height - bz->list[q].y);
						tr_json_array_end(&j);
					}
					if (bz->eflag) { /* the arrow's tip */
						tr_json_array_begin(&j);
						tr_json_double(&j, bz->ep.x);
						tr_json_double(&j, height - bz->ep.y);
						tr_json_array_end(&j);
					}
				}
			tr_json_array_end(&j);
			tr_json_object_end(&j);
		}
	tr_json_array_end(&j);
	tr_json_object_end(&j);
	tr_buf_addc(&c->rs->body, '\n');
out:
	layout_free(&l);
	pthread_mutex_unlock(&gv_lock);
}

/* Appends s XML-escaped (for an attribute value). */
static void xml_escape(tr_buf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			tr_buf_adds(out, "&amp;");
			break;
		case '<':
			tr_buf_adds(out, "&lt;");
			break;
		case '>':
			tr_buf_adds(out, "&gt;");
			break;
		case '"':
			tr_buf_adds(out, "&quot;");
			break;
		default:
			tr_buf_addc(out, *s);
		}
	}
}

void api_lineage_svg(srv_ctx *c)
{
	static const char *const known[] = {"rankdir", NULL};
	const tr_project *p = srv_project(c);
	const char *rankdir;
	struct layout l;
	char *data = NULL;
	unsigned int len = 0;

	if (srv_query_only(c, known) || !(rankdir = rankdir_param(c)) || !srv_st(c))
		return;
	pthread_mutex_lock(&gv_lock);
	if (layout_make(c, &l, rankdir))
		goto out;
	if (gvRenderData(l.gvc, l.g, "svg", &data, &len) || !data) {
		srv_fail(c, 500, "internal", "Graphviz could not render the asset graph as SVG");
		goto out;
	}
	/* each node's group names its asset: <g id="nI" class="node"> gets data-asset and a status
	   class, for the UI's clicks and styles */
	tr_buf_reset(&c->rs->body);
	for (const char *at = data; at < data + len;) {
		const char *g = strstr(at, "<g id=\"n");
		size_t i;
		char *end;
		char head[64];

		if (!g || g >= data + len) {
			tr_buf_add(&c->rs->body, at, (size_t)(data + len - at));
			break;
		}
		i = (size_t)strtoul(g + 8, &end, 10);
		snprintf(head, sizeof(head), "<g id=\"n%zu\" class=\"node\">", i);
		if (i >= p->n_assets || strncmp(g, head, strlen(head))) {
			tr_buf_add(&c->rs->body, at, (size_t)(g + 1 - at));
			at = g + 1;
			continue;
		}
		tr_buf_add(&c->rs->body, at, (size_t)(g - at));
		tr_buf_addf(&c->rs->body, "<g id=\"n%zu\" class=\"node %s\" data-asset=\"", i,
			    statuses[l.status[i]].name);
		xml_escape(&c->rs->body, p->assets[i].name);
		tr_buf_adds(&c->rs->body, "\">");
		at = g + strlen(head);
	}
	c->rs->status = 200;
	c->rs->content_type = "image/svg+xml";
out:
	if (data)
		gvFreeRenderData(data);
	layout_free(&l);
	pthread_mutex_unlock(&gv_lock);
}
