/*
 * node.h — a small document tree read from YAML (and so from JSON, which is
 * YAML's flow style), with the line and column of every node, so that errors
 * can point at the input: `tranche.yaml:14:5: partitions.monthly.start: ...`.
 *
 * Built on libyaml. Anchors and aliases are resolved by copy; tags are ignored;
 * duplicate keys in one mapping are refused. A tree owns all its strings; free
 * it with tr_node_free. Read-only after parse, so it can be shared.
 *
 * Ownership: the whole tree — nodes, strings and the one copy of origin that
 * every node's `origin` points at — lives in memory owned by the root that
 * tr_node_parse returns. Pass only that root to tr_node_free; pointers into
 * the tree are valid until then.
 * Limits (refused with a message): one document, 64 nested lists/maps,
 * 1,000,000 nodes counting alias copies (alias bombs), no NUL in strings.
 */
#ifndef TRANCHE_NODE_H
#define TRANCHE_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "tranche/error.h"

typedef enum { TR_NODE_SCALAR, TR_NODE_SEQ, TR_NODE_MAP } tr_node_kind;

typedef struct tr_node {
	tr_node_kind kind;
	int line, col;   /* 1-based position of the node in the input */
	char *scalar;    /* TR_NODE_SCALAR: the text (NUL-terminated); else NULL */
	int quoted;      /* scalar was not plain ('', "", | or > block): a string even if it looks like a number */
	size_t n;        /* SEQ: items; MAP: pairs */
	struct tr_node **items; /* SEQ: n items; MAP: 2n nodes: key0, value0, key1, value1 ... */
	const char *origin; /* file name or label, shared by the whole tree */
} tr_node;

/*
 * Parses one document. origin names the input in messages ("tranche.yaml", "--def").
 * An empty document gives an empty map. Returns 0, or TR_EINVAL with
 * "origin:line:col: message" (TR_ENOMEM when memory runs out); *out is NULL on error.
 */
int tr_node_parse(const char *text, size_t len, const char *origin, tr_node **out, tr_error *err);
void tr_node_free(tr_node *node);

/* MAP: the value for key, or NULL. */
const tr_node *tr_node_get(const tr_node *map, const char *key);
/* MAP: key and value of pair i. */
const char *tr_node_key(const tr_node *map, size_t i);
const tr_node *tr_node_value(const tr_node *map, size_t i);

/* Scalar conversions: return 0 or TR_EINVAL (node not a scalar of that type,
   or NULL). tr_node_int reads an optional sign and decimal digits, quoted or
   not ("5" is 5 too); "1.5", "0x10", "1_000", " 5" and overflow are refused. */
int tr_node_int(const tr_node *node, int64_t *out);
int tr_node_bool(const tr_node *node, int *out); /* true/false/yes/no/on/off */
/* 1 for a plain (unquoted) null / Null / NULL / ~ / empty scalar; 0 otherwise (and for NULL). */
int tr_node_is_null(const tr_node *node);

/* MAP: key's value as an integer (0 when absent or not one), or as text (NULL
   when absent, null or not a scalar): for reading JSON answers. */
int64_t tr_node_get_int(const tr_node *map, const char *key);
const char *tr_node_get_text(const tr_node *map, const char *key);

/* "map", "list", "string": for messages. */
const char *tr_node_kind_name(const tr_node *node);

#endif
