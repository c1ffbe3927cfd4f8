/*
 * node.c — YAML (and JSON) documents as a tree of tr_node (node.h), built
 * from libyaml's event stream. Called by the project loader and wherever
 * tranche reads a definition given as text (`--def '{type: daily, ...}'`).
 *
 * Memory: a whole tree lives in one arena, a chain of malloc'd blocks, so a
 * tree is freed in one pass and a node costs no malloc of its own. The arena
 * starts with a `struct tree` whose `root` member is the tr_node handed to the
 * caller; tr_node_free(root) finds the tree from it and frees every block.
 * The origin string is copied once into the arena; every node's `origin`
 * points at that copy, so freeing the root frees it. Only the root returned by
 * tr_node_parse may be passed to tr_node_free.
 * Items arrays are allocated at their exact size when a container ends; while
 * it is open its items collect in a scratch array per nesting level, reused
 * by the next container at that level and freed when parsing ends. Memory is
 * thus proportional to the input (plus the copies aliases make, see below).
 *
 * Rules beyond YAML's own grammar, each refused with "origin:line:col: ...":
 *   - exactly one document; an empty (or whitespace/comment-only) input and
 *     a document that is an empty plain scalar (a bare `---`) give an empty map;
 *   - mapping keys are scalars, and unique within one mapping (compared as
 *     text, so `1` and "1" are the same key); `<<` is an ordinary key;
 *   - at most TREE_MAX_DEPTH (64) nested sequences/mappings;
 *   - at most TREE_MAX_NODES (1,000,000) nodes, counting keys and the nodes
 *     that aliases copy: a "billion laughs" document is refused before the copy
 *     that would pass the cap is made (each anchor records its subtree's size
 *     and height, so the check costs nothing);
 *   - scalars may not contain NUL (the tree holds NUL-terminated strings).
 * Aliases are resolved by deep copy of the nodes; the copies share the scalar
 * text of the anchored nodes (it is read-only and lives in the same arena).
 * The top node of a copy takes the alias's position, its descendants keep the
 * positions of the anchored text. An anchor may be redefined; an alias names
 * the latest definition before it. Tags are ignored.
 *
 * Scalars: `quoted` is set for every non-plain style — single or double
 * quoted, and literal (|) or folded (>) blocks — since YAML makes all of
 * them strings.
 *   tr_node_int:     optional sign and decimal digits ("-12", "+7", "007" is 7);
 *                    quoted or not, so `"5"` is 5 as well as `5`. No "1.5",
 *                    "0x10", "1_000", "1e3", surrounding spaces, or overflow.
 *   tr_node_bool:    true/false/yes/no/on/off, any case, plain scalars only.
 *   tr_node_is_null: plain "", "~", "null", "Null", "NULL".
 * The accessors accept a NULL node (what tr_node_get returns for a missing
 * key): tr_node_get gives NULL, conversions give TR_EINVAL, tr_node_is_null 0.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "base/node.h"

#define TREE_MAX_DEPTH 64
#define TREE_MAX_NODES 1000000

/* ---- arena ---- */

typedef struct arena_block {
	struct arena_block *next;
	size_t size, used;
	max_align_t data[]; /* size bytes */
} arena_block;

typedef struct arena {
	arena_block *head; /* the block being filled; big allocations go behind it */
	size_t next_size;
} arena;

#define ARENA_FIRST_BLOCK 4096
#define ARENA_MAX_BLOCK (1024 * 1024)

static void *arena_alloc(arena *a, size_t n)
{
	const size_t align = alignof(max_align_t);
	arena_block *b;
	size_t size;

	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + align - 1) / align * align;
	if (a->head && a->head->size - a->head->used >= n) {
		void *p = (char *)a->head->data + a->head->used;

		a->head->used += n;
		return p;
	}
	if (!a->next_size)
		a->next_size = ARENA_FIRST_BLOCK;
	size = n > a->next_size / 2 ? n : a->next_size;
	b = malloc(sizeof(*b) + size);
	if (!b)
		return NULL;
	b->size = size;
	b->used = n;
	if (size == n && a->head) {
		/* a big allocation of its own: keep filling the current block */
		b->next = a->head->next;
		a->head->next = b;
	} else {
		b->next = a->head;
		a->head = b;
		if (a->next_size < ARENA_MAX_BLOCK)
			a->next_size *= 2;
	}
	return b->data;
}

static void arena_free(arena_block *b)
{
	while (b) {
		arena_block *next = b->next;

		free(b);
		b = next;
	}
}

/* What the arena starts with; `root` is the node the caller holds. */
struct tree {
	arena_block *blocks;
	tr_node root;
};

/* ---- the builder: libyaml events in, tree out ---- */

typedef struct frame {
	tr_node *node;
	char *anchor;        /* malloc'd, or NULL */
	size_t nodes_before; /* builder's node count before this container */
	int height;          /* container levels below and including this one */
	tr_node **items;     /* scratch, reused across containers at this level */
	size_t n, cap;
} frame;

typedef struct anchor {
	char *name; /* malloc'd; NULL for a free slot */
	const tr_node *node;
	size_t size; /* nodes in its subtree */
	int height;  /* container levels in it (0 for a scalar) */
} anchor;

typedef struct builder {
	arena arena;
	struct tree *tree;
	const char *origin; /* the arena copy */
	const char *text;
	size_t len;
	tr_error *err;
	frame stack[TREE_MAX_DEPTH];
	int depth;
	size_t nodes;
	int documents;
	tr_node *root;
	anchor *anchors;
	size_t anchors_used, anchors_cap;
} builder;

static int position(size_t zero_based)
{
	return zero_based >= INT_MAX ? INT_MAX : (int)zero_based + 1;
}

static int fail_at_pos(builder *b, int line, int col, int code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int fail_at_pos(builder *b, int line, int col, int code, const char *fmt, ...)
{
	char msg[TR_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return tr_error_set(b->err, code, "%s:%d:%d: %s", b->origin, line, col, msg);
}

#define fail_at(b, mark, ...) \
	fail_at_pos((b), position((mark).line), position((mark).column), TR_EINVAL, __VA_ARGS__)

static int out_of_memory(builder *b)
{
	return tr_error_set(b->err, TR_ENOMEM, "%s: out of memory while reading the document",
			    b->origin);
}

static const char *kind_name(tr_node_kind kind)
{
	return kind == TR_NODE_MAP ? "map" : kind == TR_NODE_SEQ ? "list" : "string";
}

static int new_node(builder *b, tr_node_kind kind, yaml_mark_t mark, tr_node **out)
{
	tr_node *node;

	if (b->nodes >= TREE_MAX_NODES)
		return fail_at(b, mark, "the document has more than %d nodes", TREE_MAX_NODES);
	node = arena_alloc(&b->arena, sizeof(*node));
	if (!node)
		return out_of_memory(b);
	memset(node, 0, sizeof(*node));
	node->kind = kind;
	node->line = position(mark.line);
	node->col = position(mark.column);
	node->origin = b->origin;
	b->nodes++;
	*out = node;
	return 0;
}

/* The next node completes the key of a pair in the open mapping. */
static int at_key(const builder *b)
{
	const frame *top = b->depth ? &b->stack[b->depth - 1] : NULL;

	return top && top->node->kind == TR_NODE_MAP && top->n % 2 == 0;
}

/* ---- anchors: an open-addressing hash table, name -> subtree ---- */

static size_t hash_name(const char *s)
{
	uint64_t h = 14695981039346656037u; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return (size_t)h;
}

static anchor *anchor_slot(anchor *table, size_t cap, const char *name)
{
	size_t i = hash_name(name) & (cap - 1);

	while (table[i].name && strcmp(table[i].name, name) != 0)
		i = (i + 1) & (cap - 1);
	return &table[i];
}

static const anchor *anchor_find(const builder *b, const char *name)
{
	const anchor *slot;

	if (!b->anchors_cap)
		return NULL;
	slot = anchor_slot(b->anchors, b->anchors_cap, name);
	return slot->name ? slot : NULL;
}

/* Records name -> node, taking ownership of name (freed on failure too). */
static int anchor_add(builder *b, char *name, const tr_node *node, size_t size, int height)
{
	anchor *slot;
	size_t i;

	if (2 * (b->anchors_used + 1) > b->anchors_cap) {
		size_t cap = b->anchors_cap ? 2 * b->anchors_cap : 16;
		anchor *table = calloc(cap, sizeof(*table));

		if (!table) {
			free(name);
			return out_of_memory(b);
		}
		for (i = 0; i < b->anchors_cap; i++)
			if (b->anchors[i].name)
				*anchor_slot(table, cap, b->anchors[i].name) = b->anchors[i];
		free(b->anchors);
		b->anchors = table;
		b->anchors_cap = cap;
	}
	slot = anchor_slot(b->anchors, b->anchors_cap, name);
	if (slot->name)
		free(slot->name); /* redefinition: the later anchor wins */
	else
		b->anchors_used++;
	slot->name = name;
	slot->node = node;
	slot->size = size;
	slot->height = height;
	return 0;
}

/* ---- building ---- */

/* Attaches a finished node to the open container (or makes it the root). */
static int add_node(builder *b, tr_node *node, size_t size, int height, char *anchor_name)
{
	frame *top;

	if (b->depth == 0) {
		b->root = node;
	} else {
		top = &b->stack[b->depth - 1];
		if (top->n == top->cap) {
			size_t cap = top->cap ? 2 * top->cap : 16;
			tr_node **items = realloc(top->items, cap * sizeof(*items));

			if (!items) {
				free(anchor_name);
				return out_of_memory(b);
			}
			top->items = items;
			top->cap = cap;
		}
		top->items[top->n++] = node;
		if (height > top->height - 1)
			top->height = height + 1;
	}
	return anchor_name ? anchor_add(b, anchor_name, node, size, height) : 0;
}

static char *copy_anchor(const yaml_char_t *name)
{
	return name ? strdup((const char *)name) : NULL;
}

static int on_scalar(builder *b, const yaml_event_t *ev)
{
	const char *value = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	char *anchor_name = NULL;
	tr_node *node;
	int rc;

	if (memchr(value, '\0', len))
		return fail_at(b, ev->start_mark, "a string contains a NUL character (\\0), which tranche does not accept");
	rc = new_node(b, TR_NODE_SCALAR, ev->start_mark, &node);
	if (rc)
		return rc;
	node->scalar = arena_alloc(&b->arena, len + 1);
	if (!node->scalar)
		return out_of_memory(b);
	memcpy(node->scalar, value, len);
	node->scalar[len] = '\0';
	node->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	if (ev->data.scalar.anchor && !(anchor_name = copy_anchor(ev->data.scalar.anchor)))
		return out_of_memory(b);
	return add_node(b, node, 1, 0, anchor_name);
}

static int on_start(builder *b, const yaml_event_t *ev, tr_node_kind kind, const yaml_char_t *anchor_name)
{
	frame *f;
	tr_node *node;
	int rc;

	if (at_key(b))
		return fail_at(b, ev->start_mark, "a mapping key must be a string, not a %s", kind_name(kind));
	if (b->depth >= TREE_MAX_DEPTH)
		return fail_at(b, ev->start_mark, "lists and maps are nested more than %d deep",
			       TREE_MAX_DEPTH);
	rc = new_node(b, kind, ev->start_mark, &node);
	if (rc)
		return rc;
	f = &b->stack[b->depth];
	f->node = node;
	f->anchor = NULL;
	if (anchor_name && !(f->anchor = copy_anchor(anchor_name)))
		return out_of_memory(b);
	f->nodes_before = b->nodes - 1;
	f->height = 1;
	f->n = 0;
	b->depth++;
	return 0;
}

typedef struct key_ref {
	const char *key;
	size_t pair;
} key_ref;

static int compare_keys(const void *x, const void *y)
{
	const key_ref *a = x, *b = y;
	int c = strcmp(a->key, b->key);

	if (c)
		return c;
	return a->pair < b->pair ? -1 : a->pair > b->pair;
}

/*
 * Refuses a key given twice in one mapping, naming the first repeat in
 * document order. Sorting keeps a mapping with many keys O(n log n).
 */
static int check_duplicate_keys(builder *b, const tr_node *map)
{
	size_t i, j, dup = SIZE_MAX, first = 0;
	key_ref *refs = NULL;
	const tr_node *key;

	if (map->n <= 8) {
		for (j = 1; j < map->n && dup == SIZE_MAX; j++)
			for (i = 0; i < j; i++)
				if (strcmp(map->items[2 * i]->scalar, map->items[2 * j]->scalar) == 0) {
					dup = j;
					first = i;
					break;
				}
	} else {
		refs = malloc(map->n * sizeof(*refs));
		if (!refs)
			return out_of_memory(b);
		for (i = 0; i < map->n; i++) {
			refs[i].key = map->items[2 * i]->scalar;
			refs[i].pair = i;
		}
		qsort(refs, map->n, sizeof(*refs), compare_keys);
		for (i = 0, j = 0; i + 1 < map->n; i++) {
			if (strcmp(refs[i].key, refs[i + 1].key) != 0) {
				j = i + 1; /* start of the next group of equal keys */
				continue;
			}
			if (refs[i + 1].pair < dup) {
				dup = refs[i + 1].pair;
				first = refs[j].pair;
			}
		}
		free(refs);
	}
	if (dup == SIZE_MAX)
		return 0;
	key = map->items[2 * dup];
	return fail_at_pos(b, key->line, key->col, TR_EINVAL, "duplicate key \"%.200s\" (first at %d:%d)",
			   key->scalar, map->items[2 * first]->line, map->items[2 * first]->col);
}

static int on_end(builder *b)
{
	frame *f = &b->stack[b->depth - 1];
	tr_node *node = f->node;
	char *anchor_name = f->anchor;
	int rc;

	f->anchor = NULL;
	node->n = node->kind == TR_NODE_MAP ? f->n / 2 : f->n;
	if (f->n) {
		node->items = arena_alloc(&b->arena, f->n * sizeof(*node->items));
		if (!node->items) {
			free(anchor_name);
			return out_of_memory(b);
		}
		memcpy(node->items, f->items, f->n * sizeof(*node->items));
	}
	b->depth--;
	if (node->kind == TR_NODE_MAP && (rc = check_duplicate_keys(b, node))) {
		free(anchor_name);
		return rc;
	}
	return add_node(b, node, b->nodes - f->nodes_before, f->height, anchor_name);
}

/* Copies src's nodes (sharing scalar text); the caller checked size and depth. */
static tr_node *copy_tree(builder *b, const tr_node *src)
{
	tr_node *node = arena_alloc(&b->arena, sizeof(*node));
	size_t i, count;

	if (!node)
		return NULL;
	*node = *src;
	b->nodes++;
	if (src->kind == TR_NODE_SCALAR || !src->n)
		return node;
	count = src->kind == TR_NODE_MAP ? 2 * src->n : src->n;
	node->items = arena_alloc(&b->arena, count * sizeof(*node->items));
	if (!node->items)
		return NULL;
	for (i = 0; i < count; i++)
		if (!(node->items[i] = copy_tree(b, src->items[i])))
			return NULL;
	return node;
}

static int on_alias(builder *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	const anchor *a = anchor_find(b, name);
	tr_node *node;
	int i;

	if (!a) {
		for (i = 0; i < b->depth; i++)
			if (b->stack[i].anchor && strcmp(b->stack[i].anchor, name) == 0)
				return fail_at(b, ev->start_mark, "alias *%.200s refers to a node that contains it",
					       name);
		return fail_at(b, ev->start_mark, "alias *%.200s has no anchor &%.200s before it", name,
			       name);
	}
	if (at_key(b) && a->node->kind != TR_NODE_SCALAR)
		return fail_at(b, ev->start_mark, "a mapping key must be a string, not a %s (alias *%.200s)",
			       kind_name(a->node->kind), name);
	if (a->size > TREE_MAX_NODES - b->nodes)
		return fail_at(b, ev->start_mark,
			       "alias *%.200s would grow the document past %d nodes; "
			       "aliases must not multiply the document",
			       name, TREE_MAX_NODES);
	if (b->depth + a->height > TREE_MAX_DEPTH)
		return fail_at(b, ev->start_mark,
			       "alias *%.200s would nest lists and maps more than %d deep", name,
			       TREE_MAX_DEPTH);
	node = copy_tree(b, a->node);
	if (!node)
		return out_of_memory(b);
	node->line = position(ev->start_mark.line);
	node->col = position(ev->start_mark.column);
	return add_node(b, node, a->size, a->height, NULL);
}

static int handle_event(builder *b, const yaml_event_t *ev, int *done)
{
	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		*done = 1;
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (b->documents++)
			return fail_at(b, ev->start_mark,
				       "a second document starts here; tranche reads exactly one document");
		return 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(b, ev, TR_NODE_SEQ, ev->data.sequence_start.anchor);
	case YAML_MAPPING_START_EVENT:
		return on_start(b, ev, TR_NODE_MAP, ev->data.mapping_start.anchor);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(b);
	case YAML_ALIAS_EVENT:
		return on_alias(b, ev);
	default:
		return 0; /* stream start, document end */
	}
}

/* libyaml's error as "origin:line:col: problem (context at line:col)". */
static int parser_error(builder *b, const yaml_parser_t *parser)
{
	char extra[300] = "";
	int line = 1, col = 1;
	size_t i;

	if (parser->error == YAML_MEMORY_ERROR)
		return out_of_memory(b);
	if (parser->error == YAML_READER_ERROR) {
		/* reader errors carry a byte offset, not a mark */
		for (i = 0; i < parser->problem_offset && i < b->len; i++) {
			unsigned char c = (unsigned char)b->text[i];

			if (c == '\n') {
				line++;
				col = 1;
			} else if ((c & 0xC0) != 0x80) {
				col++;
			}
		}
		if (parser->problem_value != -1)
			snprintf(extra, sizeof(extra), " (byte 0x%02X)", (unsigned)parser->problem_value & 0xFFu);
	} else {
		line = position(parser->problem_mark.line);
		col = position(parser->problem_mark.column);
		if (parser->context)
			snprintf(extra, sizeof(extra), " (%s at %d:%d)", parser->context,
				 position(parser->context_mark.line), position(parser->context_mark.column));
	}
	{
		/* An unquoted value starting with * (a cron such as a step every 15 minutes) reads as an alias. */
		const char *hint = parser->context && strstr(parser->context, "alias")
					   ? "; quote values that start with * or &, e.g. cron: \"*/15 * * * *\""
					   : "";

		return fail_at_pos(b, line, col, TR_EINVAL, "%s%s%s",
				   parser->problem ? parser->problem : "the document is not valid YAML",
				   extra, hint);
	}
}

/* Makes the tree's root from what was parsed; an empty document is an empty map. */
static void finish_root(builder *b)
{
	tr_node *root = &b->tree->root;

	if (b->root && !(b->root->kind == TR_NODE_SCALAR && !b->root->quoted && !b->root->scalar[0])) {
		*root = *b->root;
		return;
	}
	memset(root, 0, sizeof(*root));
	root->kind = TR_NODE_MAP;
	root->line = b->root ? b->root->line : 1;
	root->col = b->root ? b->root->col : 1;
	root->origin = b->origin;
}

static void builder_release(builder *b)
{
	size_t i;
	int d;

	for (d = 0; d < TREE_MAX_DEPTH; d++) {
		free(b->stack[d].items);
		free(b->stack[d].anchor);
	}
	for (i = 0; i < b->anchors_cap; i++)
		free(b->anchors[i].name);
	free(b->anchors);
}

int tr_node_parse(const char *text, size_t len, const char *origin, tr_node **out, tr_error *err)
{
	builder b;
	yaml_parser_t parser;
	yaml_event_t event;
	int rc = 0, done = 0, have_parser = 0;
	size_t origin_len;
	char *origin_copy;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.err = err;
	b.text = text ? text : "";
	b.len = text ? len : 0;
	b.origin = origin ? origin : "<input>";
	origin_len = strlen(b.origin);
	b.tree = arena_alloc(&b.arena, sizeof(*b.tree));
	origin_copy = arena_alloc(&b.arena, origin_len + 1);
	if (!b.tree || !origin_copy) {
		rc = out_of_memory(&b);
		goto out;
	}
	memcpy(origin_copy, b.origin, origin_len + 1);
	b.origin = origin_copy;
	if (!yaml_parser_initialize(&parser)) {
		rc = out_of_memory(&b);
		goto out;
	}
	have_parser = 1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)b.text, b.len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &event)) {
			rc = parser_error(&b, &parser);
			goto out;
		}
		rc = handle_event(&b, &event, &done);
		yaml_event_delete(&event);
		if (rc)
			goto out;
	}
	finish_root(&b);
	b.tree->blocks = b.arena.head;
	*out = &b.tree->root;
out:
	if (have_parser)
		yaml_parser_delete(&parser);
	builder_release(&b);
	if (rc)
		arena_free(b.arena.head);
	return rc;
}

void tr_node_free(tr_node *node)
{
	struct tree *tree;

	if (!node)
		return;
	tree = (struct tree *)(void *)((char *)node - offsetof(struct tree, root));
	arena_free(tree->blocks);
}

/* ---- reading ---- */

const tr_node *tr_node_get(const tr_node *map, const char *key)
{
	size_t i;

	if (!map || map->kind != TR_NODE_MAP || !key)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (strcmp(map->items[2 * i]->scalar, key) == 0)
			return map->items[2 * i + 1];
	return NULL;
}

const char *tr_node_key(const tr_node *map, size_t i)
{
	if (!map || map->kind != TR_NODE_MAP || i >= map->n)
		return NULL;
	return map->items[2 * i]->scalar;
}

const tr_node *tr_node_value(const tr_node *map, size_t i)
{
	if (!map || map->kind != TR_NODE_MAP || i >= map->n)
		return NULL;
	return map->items[2 * i + 1];
}

int tr_node_int(const tr_node *node, int64_t *out)
{
	const char *p;
	uint64_t v = 0, limit;
	int negative = 0;

	if (!node || node->kind != TR_NODE_SCALAR)
		return TR_EINVAL;
	p = node->scalar;
	if (*p == '+' || *p == '-')
		negative = *p++ == '-';
	if (!*p)
		return TR_EINVAL;
	limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *p; p++) {
		unsigned digit = (unsigned)(*p - '0');

		if (*p < '0' || *p > '9' || v > (limit - digit) / 10)
			return TR_EINVAL;
		v = v * 10 + digit;
	}
	*out = negative ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int tr_node_bool(const tr_node *node, int *out)
{
	static const struct {
		const char *text;
		int value;
	} words[] = {
		{"true", 1}, {"false", 0}, {"yes", 1}, {"no", 0}, {"on", 1}, {"off", 0},
	};
	size_t i;

	if (!node || node->kind != TR_NODE_SCALAR || node->quoted)
		return TR_EINVAL;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(node->scalar, words[i].text) == 0) {
			*out = words[i].value;
			return 0;
		}
	return TR_EINVAL;
}

int64_t tr_node_get_int(const tr_node *map, const char *key)
{
	int64_t v = 0;

	return tr_node_int(tr_node_get(map, key), &v) == 0 ? v : 0;
}

const char *tr_node_get_text(const tr_node *map, const char *key)
{
	const tr_node *v = tr_node_get(map, key);

	if (!v || v->kind != TR_NODE_SCALAR || tr_node_is_null(v))
		return NULL;
	return v->scalar;
}

int tr_node_is_null(const tr_node *node)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	size_t i;

	if (!node || node->kind != TR_NODE_SCALAR || node->quoted)
		return 0;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(node->scalar, nulls[i]) == 0)
			return 1;
	return 0;
}

const char *tr_node_kind_name(const tr_node *node)
{
	return node ? kind_name(node->kind) : "nothing";
}
