/*
 * test_node.c — the YAML/JSON document tree (base/node.h): positions, scalar
 * styles, flow and block input, anchors and aliases, and every refusal
 * (duplicate keys, non-scalar keys, syntax errors, several documents,
 * alias bombs, deep nesting) with its "origin:line:col:" message.
 */
#include "testutil.h"

#include "base/node.h"
#include "tranche/buf.h"

static tr_node *parse_ok(const char *text)
{
	tr_error err = {0};
	tr_node *root = NULL;

	assert_ok(tr_node_parse(text, strlen(text), "t.yaml", &root, &err), &err);
	assert_non_null(root);
	return root;
}

/* Parses text expecting a refusal whose message starts with `prefix`. */
static void assert_refused(const char *text, int code, const char *prefix)
{
	tr_error err = {0};
	tr_node *root = (tr_node *)1;
	int rc = tr_node_parse(text, strlen(text), "t.yaml", &root, &err);

	if (rc != code || strncmp(err.msg, prefix, strlen(prefix)) != 0)
		fail_msg("parsing %s: got %d \"%s\", want %d \"%s...\"", text, rc, err.msg, code, prefix);
	assert_null(root);
}

static void assert_pos(const tr_node *node, int line, int col)
{
	assert_non_null(node);
	if (node->line != line || node->col != col)
		fail_msg("node at %d:%d, want %d:%d", node->line, node->col, line, col);
}

static const char *scalar(const tr_node *map, const char *key)
{
	const tr_node *v = tr_node_get(map, key);

	assert_non_null(v);
	assert_int_equal(v->kind, TR_NODE_SCALAR);
	return v->scalar;
}

static void test_block_positions(void **state)
{
	tr_node *root = parse_ok("# comment\n"
				 "name: orders\n"
				 "partitions:\n"
				 "  daily:\n"
				 "    type: daily\n"
				 "    start: \"2024-01-01\"\n"
				 "deps:\n"
				 "  - raw\n"
				 "  -   clean\n");
	const tr_node *parts, *daily, *deps;

	(void)state;
	assert_int_equal(root->kind, TR_NODE_MAP);
	assert_int_equal(root->n, 3);
	assert_pos(root, 2, 1);
	assert_string_equal(root->origin, "t.yaml");
	assert_string_equal(tr_node_key(root, 0), "name");
	assert_string_equal(tr_node_key(root, 2), "deps");
	assert_null(tr_node_key(root, 3));
	assert_null(tr_node_value(root, 3));
	assert_string_equal(scalar(root, "name"), "orders");
	assert_pos(tr_node_get(root, "name"), 2, 7);
	assert_pos(root->items[0], 2, 1); /* the key */

	parts = tr_node_get(root, "partitions");
	assert_int_equal(parts->kind, TR_NODE_MAP);
	assert_pos(parts, 4, 3);
	daily = tr_node_get(parts, "daily");
	assert_pos(daily, 5, 5);
	assert_pos(tr_node_get(daily, "type"), 5, 11);
	assert_pos(tr_node_get(daily, "start"), 6, 12);
	assert_string_equal(scalar(daily, "start"), "2024-01-01");
	assert_true(tr_node_get(daily, "start")->quoted);
	assert_false(tr_node_get(daily, "type")->quoted);
	assert_string_equal(daily->origin, "t.yaml");
	assert_ptr_equal(daily->origin, root->origin);

	deps = tr_node_get(root, "deps");
	assert_int_equal(deps->kind, TR_NODE_SEQ);
	assert_int_equal(deps->n, 2);
	assert_pos(deps->items[0], 8, 5);
	assert_pos(deps->items[1], 9, 7);
	assert_string_equal(deps->items[1]->scalar, "clean");
	assert_null(tr_node_get(root, "missing"));
	assert_null(tr_node_get(deps, "raw"));
	assert_null(tr_node_get(NULL, "x"));
	tr_node_free(root);
}

static void test_flow_and_json(void **state)
{
	static const char *const inputs[] = {
		"{\"type\": \"daily\", \"start\": \"2024-01-01\"}",
		"{type: daily, start: 2024-01-01}",
		"{\"type\":\"daily\",\"start\":\"2024-01-01\"}",
		"{\n  \"type\": \"daily\",\n  \"start\": \"2024-01-01\"\n}\n",
		"type: daily\nstart: 2024-01-01\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		tr_node *root = parse_ok(inputs[i]);

		assert_int_equal(root->kind, TR_NODE_MAP);
		assert_int_equal(root->n, 2);
		assert_string_equal(scalar(root, "type"), "daily");
		assert_string_equal(scalar(root, "start"), "2024-01-01");
		tr_node_free(root);
	}
	{
		tr_node *root = parse_ok("{\"a\": [1, 2, {\"b\": null}], \"c\": true}");
		const tr_node *a = tr_node_get(root, "a");

		assert_int_equal(a->kind, TR_NODE_SEQ);
		assert_int_equal(a->n, 3);
		assert_pos(a, 1, 7);
		assert_pos(a->items[1], 1, 11);
		assert_pos(a->items[2], 1, 14);
		assert_true(tr_node_is_null(tr_node_get(a->items[2], "b")));
		tr_node_free(root);
	}
	{
		/* a top-level list is a list */
		tr_node *root = parse_ok("[1, 2]");

		assert_int_equal(root->kind, TR_NODE_SEQ);
		assert_string_equal(tr_node_kind_name(root), "list");
		tr_node_free(root);
	}
}

static void test_scalar_styles(void **state)
{
	tr_node *root = parse_ok("plain: 5\n"
				 "single: '5'\n"
				 "double: \"5\"\n"
				 "literal: |\n  five\n"
				 "folded: >-\n  five\n"
				 "empty:\n"
				 "escaped: \"a\\tb\\u00e9\"\n");

	(void)state;
	assert_false(tr_node_get(root, "plain")->quoted);
	assert_true(tr_node_get(root, "single")->quoted);
	assert_true(tr_node_get(root, "double")->quoted);
	assert_true(tr_node_get(root, "literal")->quoted);
	assert_string_equal(scalar(root, "literal"), "five\n");
	assert_true(tr_node_get(root, "folded")->quoted);
	assert_string_equal(scalar(root, "folded"), "five");
	assert_false(tr_node_get(root, "empty")->quoted);
	assert_string_equal(scalar(root, "empty"), "");
	assert_string_equal(scalar(root, "escaped"), "a\tb\xc3\xa9");
	tr_node_free(root);
}

static void test_conversions(void **state)
{
	tr_node *root = parse_ok("[5, -12, +7, 007, '42', \"-3\", 9223372036854775807, -9223372036854775808,"
				 " 9223372036854775808, -9223372036854775809, 1.5, 0x10, 1_000, 1e3, '', -, ' 5',"
				 " true, FALSE, Yes, no, ON, off, 'true', y, 1,"
				 " ~, null, Null, NULL, '', 'null', nUll, [], {}]");
	static const int64_t ints[] = {5, -12, 7, 7, 42, -3, INT64_MAX, INT64_MIN};
	int64_t v;
	int flag;
	size_t i;

	(void)state;
	assert_int_equal(root->kind, TR_NODE_SEQ);
	for (i = 0; i < 8; i++) {
		assert_int_equal(tr_node_int(root->items[i], &v), 0);
		assert_true(v == ints[i]);
	}
	for (i = 8; i < 17; i++)
		if (tr_node_int(root->items[i], &v) != TR_EINVAL)
			fail_msg("item %zu \"%s\" read as an integer", i, root->items[i]->scalar);

	assert_int_equal(tr_node_bool(root->items[17], &flag), 0);
	assert_int_equal(flag, 1);
	assert_int_equal(tr_node_bool(root->items[18], &flag), 0);
	assert_int_equal(flag, 0);
	assert_int_equal(tr_node_bool(root->items[19], &flag), 0);
	assert_int_equal(flag, 1);
	assert_int_equal(tr_node_bool(root->items[20], &flag), 0);
	assert_int_equal(flag, 0);
	assert_int_equal(tr_node_bool(root->items[21], &flag), 0);
	assert_int_equal(flag, 1);
	assert_int_equal(tr_node_bool(root->items[22], &flag), 0);
	assert_int_equal(flag, 0);
	assert_int_equal(tr_node_bool(root->items[23], &flag), TR_EINVAL); /* quoted */
	assert_int_equal(tr_node_bool(root->items[24], &flag), TR_EINVAL); /* y */
	assert_int_equal(tr_node_bool(root->items[25], &flag), TR_EINVAL); /* 1 */

	for (i = 26; i < 30; i++)
		assert_true(tr_node_is_null(root->items[i]));
	for (i = 30; i < 35; i++)
		assert_false(tr_node_is_null(root->items[i]));
	assert_string_equal(tr_node_kind_name(root->items[33]), "list");
	assert_string_equal(tr_node_kind_name(root->items[34]), "map");
	assert_string_equal(tr_node_kind_name(root->items[0]), "string");
	assert_int_equal(tr_node_int(root->items[33], &v), TR_EINVAL);
	assert_int_equal(tr_node_bool(root->items[34], &flag), TR_EINVAL);
	assert_int_equal(tr_node_int(NULL, &v), TR_EINVAL);
	assert_false(tr_node_is_null(NULL));
	tr_node_free(root);

	/* a plain empty value is null */
	root = parse_ok("a:\nb: ~\n");
	assert_true(tr_node_is_null(tr_node_get(root, "a")));
	assert_true(tr_node_is_null(tr_node_get(root, "b")));
	tr_node_free(root);
}

static void test_anchors_aliases(void **state)
{
	tr_node *root = parse_ok("defaults: &d\n"
				 "  type: daily\n"
				 "  tz: UTC\n"
				 "a:\n"
				 "  base: *d\n"
				 "  name: &n orders\n"
				 "b: *n\n"
				 "list: &l [1, 2]\n"
				 "again: *l\n"
				 "*n : as-key\n");
	const tr_node *d, *copy;

	(void)state;
	d = tr_node_get(root, "defaults");
	copy = tr_node_get(tr_node_get(root, "a"), "base");
	assert_int_equal(copy->kind, TR_NODE_MAP);
	assert_ptr_not_equal(copy, d); /* a copy, not shared */
	assert_int_equal(copy->n, 2);
	assert_string_equal(scalar(copy, "type"), "daily");
	assert_string_equal(scalar(copy, "tz"), "UTC");
	assert_pos(copy, 5, 9);                      /* the alias */
	assert_pos(tr_node_get(copy, "tz"), 3, 7);   /* the anchored text */
	assert_string_equal(scalar(root, "b"), "orders");
	assert_pos(tr_node_get(root, "b"), 7, 4);
	assert_int_equal(tr_node_get(root, "again")->n, 2);
	assert_string_equal(tr_node_get(root, "again")->items[1]->scalar, "2");
	assert_string_equal(scalar(root, "orders"), "as-key");
	tr_node_free(root);

	/* redefinition: an alias names the latest anchor before it */
	root = parse_ok("a: &x 1\nb: *x\nc: &x 2\nd: *x\n");
	assert_string_equal(scalar(root, "b"), "1");
	assert_string_equal(scalar(root, "d"), "2");
	tr_node_free(root);

	assert_refused("a: *nope\n", TR_EINVAL, "t.yaml:1:4: alias *nope has no anchor &nope before it");
	assert_refused("a: &x [1, *x]\n", TR_EINVAL, "t.yaml:1:11: alias *x refers to a node that contains it");
	assert_refused("a: &x [1]\n*x : 2\n", TR_EINVAL, "t.yaml:2:1: a mapping key must be a string, not a list");
}

static void test_duplicate_and_complex_keys(void **state)
{
	tr_buf big = TR_BUF_INIT;
	int i;

	(void)state;
	assert_refused("start: 1\nend: 2\nstart: 3\n", TR_EINVAL,
		       "t.yaml:3:1: duplicate key \"start\" (first at 1:1)");
	assert_refused("p:\n  a: 1\n  'a': 2\n", TR_EINVAL, "t.yaml:3:3: duplicate key \"a\" (first at 2:3)");
	assert_refused("{\"a\": 1, \"a\": 2}", TR_EINVAL, "t.yaml:1:10: duplicate key \"a\"");
	/* the same key in different mappings is fine */
	tr_node_free(parse_ok("a: {x: 1}\nb: {x: 2}\n"));

	/* a big mapping (the sorted check): the first repeat in document order */
	for (i = 0; i < 100; i++)
		tr_buf_addf(&big, "k%d: %d\n", i, i);
	tr_buf_adds(&big, "k77: again\nk5: again\n");
	assert_refused(tr_buf_str(&big), TR_EINVAL, "t.yaml:101:1: duplicate key \"k77\" (first at 78:1)");
	tr_buf_release(&big);

	assert_refused("? [a, b]\n: c\n", TR_EINVAL, "t.yaml:1:3: a mapping key must be a string, not a list");
	assert_refused("{{a: 1}: 2}", TR_EINVAL, "t.yaml:1:2: a mapping key must be a string, not a map");
}

static void test_syntax_errors(void **state)
{
	(void)state;
	assert_refused("a: 1\nb: [1, 2\n", TR_EINVAL, "t.yaml:3:1: did not find expected ',' or ']'");
	assert_refused("a: 1\n  b: 2\n", TR_EINVAL, "t.yaml:2:4: mapping values are not allowed in this context");
	assert_refused("a: \"unterminated\n", TR_EINVAL, "t.yaml:2:1: found unexpected end of stream");
	assert_refused("a:\n\t- b\n", TR_EINVAL, "t.yaml:2:1: found character that cannot start any token");
	assert_refused("key: [1,\n", TR_EINVAL, "t.yaml:2:1:");
	/* invalid UTF-8 is a reader error, placed by its byte offset */
	assert_refused("a: 1\nb: \xff\n", TR_EINVAL, "t.yaml:2:4: invalid leading UTF-8 octet (byte 0xFF)");
	assert_refused("a: \"x\0y\"\n", TR_EINVAL, "t.yaml:1:");
	/* the context is appended */
	{
		tr_error err = {0};
		tr_node *root;
		const char *text = "a: 1\nb: [1, 2\n";

		assert_int_equal(tr_node_parse(text, strlen(text), "t.yaml", &root, &err), TR_EINVAL);
		assert_non_null(strstr(err.msg, "(while parsing a flow sequence at 2:4)"));
		assert_int_equal(err.code, TR_EINVAL);
	}
}

static void test_nul_in_scalar(void **state)
{
	(void)state;
	assert_refused("a: \"x\\0y\"\n", TR_EINVAL, "t.yaml:1:4: a string contains a NUL character");
}

static void test_empty_documents(void **state)
{
	static const char *const empties[] = {"", "   \n\n  ", "# only a comment\n", "---\n", "--- # c\n...\n"};
	tr_error err = {0};
	tr_node *root;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		root = parse_ok(empties[i]);
		assert_int_equal(root->kind, TR_NODE_MAP);
		assert_int_equal(root->n, 0);
		assert_null(tr_node_get(root, "a"));
		assert_string_equal(root->origin, "t.yaml");
		tr_node_free(root);
	}
	/* NULL text with zero length, NULL origin */
	assert_ok(tr_node_parse(NULL, 0, NULL, &root, &err), &err);
	assert_int_equal(root->kind, TR_NODE_MAP);
	assert_string_equal(root->origin, "<input>");
	tr_node_free(root);
	tr_node_free(NULL);

	/* a quoted empty string is a string, not an empty document */
	root = parse_ok("''");
	assert_int_equal(root->kind, TR_NODE_SCALAR);
	tr_node_free(root);

	/* the length bounds the input: text past it is not read */
	assert_ok(tr_node_parse("a: 1\nb: [", 5, "t.yaml", &root, &err), &err);
	assert_int_equal(root->n, 1);
	tr_node_free(root);
}

static void test_multiple_documents(void **state)
{
	(void)state;
	assert_refused("a: 1\n---\nb: 2\n", TR_EINVAL,
		       "t.yaml:2:1: a second document starts here; tranche reads exactly one document");
	assert_refused("--- 1\n--- 2\n", TR_EINVAL, "t.yaml:2:1: a second document");
	/* one document with explicit markers is fine */
	tr_node_free(parse_ok("---\na: 1\n...\n"));
}

static void test_alias_bomb(void **state)
{
	const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
			   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
			   "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
			   "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
			   "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
			   "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
			   "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
			   "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
	tr_error err = {0};
	tr_node *root;

	(void)state;
	assert_int_equal(tr_node_parse(bomb, strlen(bomb), "t.yaml", &root, &err), TR_EINVAL);
	assert_null(root);
	if (!strstr(err.msg, "would grow the document past 1000000 nodes"))
		fail_msg("message: %s", err.msg);
	assert_int_equal(strncmp(err.msg, "t.yaml:6:", 9), 0);

	/* a modest expansion is fine: 10^4 scalars */
	root = parse_ok("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
			"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
			"d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n");
	assert_int_equal(tr_node_get(root, "d")->n, 10);
	assert_string_equal(tr_node_get(root, "d")->items[9]->items[9]->items[9]->items[9]->scalar, "x");
	tr_node_free(root);
}

static void test_depth_limit(void **state)
{
	tr_buf text = TR_BUF_INIT;
	tr_node *root;
	int i;

	(void)state;
	/* 64 nested lists are fine, 65 are not */
	for (i = 0; i < 64; i++)
		tr_buf_addc(&text, '[');
	for (i = 0; i < 64; i++)
		tr_buf_addc(&text, ']');
	root = parse_ok(tr_buf_str(&text));
	tr_node_free(root);

	tr_buf_reset(&text);
	for (i = 0; i < 65; i++)
		tr_buf_addc(&text, '[');
	for (i = 0; i < 65; i++)
		tr_buf_addc(&text, ']');
	assert_refused(tr_buf_str(&text), TR_EINVAL, "t.yaml:1:65: lists and maps are nested more than 64 deep");

	/* an alias cannot smuggle in more depth */
	tr_buf_reset(&text);
	tr_buf_adds(&text, "a: &a ");
	for (i = 0; i < 40; i++)
		tr_buf_addc(&text, '[');
	for (i = 0; i < 40; i++)
		tr_buf_addc(&text, ']');
	tr_buf_adds(&text, "\nb: ");
	for (i = 0; i < 30; i++)
		tr_buf_addc(&text, '[');
	tr_buf_adds(&text, "*a");
	for (i = 0; i < 30; i++)
		tr_buf_addc(&text, ']');
	tr_buf_addc(&text, '\n');
	assert_refused(tr_buf_str(&text), TR_EINVAL, "t.yaml:2:34: alias *a would nest lists and maps more than 64 deep");
	tr_buf_release(&text);
}

static void test_large_document(void **state)
{
	tr_buf text = TR_BUF_INIT;
	tr_node *root;
	int64_t v;
	int i;

	(void)state;
	/* 20,000 keys: the duplicate check and the arena at some scale */
	for (i = 0; i < 20000; i++)
		tr_buf_addf(&text, "key%d: [%d, {n: %d}]\n", i, i, i);
	root = parse_ok(tr_buf_str(&text));
	assert_int_equal(root->n, 20000);
	assert_ok(tr_node_int(tr_node_get(tr_node_get(root, "key19999")->items[1], "n"), &v), &(tr_error){0});
	assert_true(v == 19999);
	assert_pos(tr_node_get(root, "key19999"), 20000, 11);
	tr_node_free(root);
	tr_buf_release(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_positions),
		cmocka_unit_test(test_flow_and_json),
		cmocka_unit_test(test_scalar_styles),
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_anchors_aliases),
		cmocka_unit_test(test_duplicate_and_complex_keys),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_nul_in_scalar),
		cmocka_unit_test(test_empty_documents),
		cmocka_unit_test(test_multiple_documents),
		cmocka_unit_test(test_alias_bomb),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_large_document),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
