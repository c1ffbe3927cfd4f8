/*
 * test_json.c — the JSON writer (tranche/json.h): compact and pretty layout,
 * escaping, UTF-8 repair, numbers, and misuse marking the buffer failed.
 */
#include "testutil.h"

#include <math.h>

#include "tranche/json.h"

/* Runs the writer steps in fn on a fresh buffer and compares the output. */
#define assert_json(expected, pretty, ...)                                     \
	do {                                                                   \
		tr_buf b_ = TR_BUF_INIT;                                       \
		tr_json j_;                                                    \
		tr_json *j = &j_;                                              \
		tr_json_init(j, &b_, (pretty));                                \
		__VA_ARGS__;                                                   \
		assert_false(tr_buf_failed(&b_));                              \
		assert_string_equal(tr_buf_str(&b_), (expected));              \
		tr_buf_release(&b_);                                           \
	} while (0)

#define assert_misuse(...)                                                     \
	do {                                                                   \
		tr_buf b_ = TR_BUF_INIT;                                       \
		tr_json j_;                                                    \
		tr_json *j = &j_;                                              \
		tr_json_init(j, &b_, 0);                                       \
		__VA_ARGS__;                                                   \
		assert_true(tr_buf_failed(&b_));                               \
		tr_buf_release(&b_);                                           \
	} while (0)

static char *escaped(const char *s, size_t n)
{
	tr_buf b = TR_BUF_INIT;

	tr_json_escape(&b, s, n);
	assert_false(tr_buf_failed(&b));
	return tr_buf_detach(&b, NULL);
}

#define assert_escape(expected, literal)                                       \
	do {                                                                   \
		char *s_ = escaped((literal), sizeof(literal) - 1);            \
		assert_string_equal(s_, (expected));                           \
		free(s_);                                                      \
	} while (0)

static void test_compact_nesting(void **state)
{
	(void)state;
	assert_json("{\"a\":[1,2]}", 0, tr_json_object_begin(j); tr_json_key(j, "a");
		    tr_json_array_begin(j); tr_json_int(j, 1); tr_json_int(j, 2); tr_json_array_end(j);
		    tr_json_object_end(j));
	assert_json("{}", 0, tr_json_object_begin(j); tr_json_object_end(j));
	assert_json("[]", 0, tr_json_array_begin(j); tr_json_array_end(j));
	assert_json("[[],{},[[]]]", 0, tr_json_array_begin(j); tr_json_array_begin(j);
		    tr_json_array_end(j); tr_json_object_begin(j); tr_json_object_end(j);
		    tr_json_array_begin(j); tr_json_array_begin(j); tr_json_array_end(j);
		    tr_json_array_end(j); tr_json_array_end(j));
	assert_json("{\"s\":\"x\",\"i\":-5,\"t\":true,\"f\":false,\"n\":null,\"o\":{\"k\":[null]}}", 0,
		    tr_json_object_begin(j); tr_json_kv_string(j, "s", "x"); tr_json_kv_int(j, "i", -5);
		    tr_json_kv_bool(j, "t", 1); tr_json_kv_bool(j, "f", 0); tr_json_key(j, "n");
		    tr_json_null(j); tr_json_key(j, "o"); tr_json_object_begin(j); tr_json_key(j, "k");
		    tr_json_array_begin(j); tr_json_string(j, NULL); tr_json_array_end(j);
		    tr_json_object_end(j); tr_json_object_end(j));
	assert_json("\"top\"", 0, tr_json_string(j, "top"));
	assert_json("42", 0, tr_json_int(j, 42));
}

static void test_pretty(void **state)
{
	(void)state;
	assert_json("{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {},\n  \"c\": []\n}", 1,
		    tr_json_object_begin(j); tr_json_key(j, "a"); tr_json_array_begin(j);
		    tr_json_int(j, 1); tr_json_int(j, 2); tr_json_array_end(j); tr_json_key(j, "b");
		    tr_json_object_begin(j); tr_json_object_end(j); tr_json_key(j, "c");
		    tr_json_array_begin(j); tr_json_array_end(j); tr_json_object_end(j));
	assert_json("[\n  {\n    \"k\": \"v\"\n  }\n]", 1, tr_json_array_begin(j);
		    tr_json_object_begin(j); tr_json_kv_string(j, "k", "v"); tr_json_object_end(j);
		    tr_json_array_end(j));
}

static void test_escaping(void **state)
{
	(void)state;
	assert_escape("\"plain\"", "plain");
	assert_escape("\"\"", "");
	assert_escape("\"a\\\"b\\\\c\"", "a\"b\\c");
	assert_escape("\"\\n\\t\\r\\b\\f\"", "\n\t\r\b\f");
	assert_escape("\"\\u0001\\u001f\\u0000x\"", "\x01\x1f\0x");
	assert_escape("\"/\x7f\"", "/\x7f");
	/* keys are escaped too */
	assert_json("{\"a\\\"b\":\"\\n\"}", 0, tr_json_object_begin(j); tr_json_kv_string(j, "a\"b", "\n");
		    tr_json_object_end(j));
	/* string_n writes embedded NULs escaped */
	assert_json("\"a\\u0000b\"", 0, tr_json_string_n(j, "a\0b", 3));
}

static void test_utf8(void **state)
{
	(void)state;
	/* valid UTF-8 passes through: 2, 3 and 4 byte forms, U+10FFFF */
	assert_escape("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"",
		      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf");
	/* stray continuation byte, invalid lead bytes */
	assert_escape("\"a\xef\xbf\xbd" "b\"", "a\x80" "b");
	assert_escape("\"\xef\xbf\xbd\xef\xbf\xbd\"", "\xff\xfe");
	/* overlong forms: C0 80 is two replacements, E0 80 80 three */
	assert_escape("\"\xef\xbf\xbd\xef\xbf\xbd\"", "\xc0\x80");
	assert_escape("\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", "\xe0\x80\x80");
	/* surrogate U+D800 and past U+10FFFF */
	assert_escape("\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", "\xed\xa0\x80");
	assert_escape("\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", "\xf4\x90\x80\x80");
	/* a truncated sequence is one replacement, then the next character */
	assert_escape("\"\xef\xbf\xbdx\"", "\xe2\x82x");
	assert_escape("\"x\xef\xbf\xbd\"", "x\xf0\x9f\x98");
	/* a truncated sequence before a quote: the quote is still escaped */
	assert_escape("\"\xef\xbf\xbd\\\"\"", "\xe2\"");
}

static void test_numbers(void **state)
{
	(void)state;
	assert_json("[0,-1,9223372036854775807,-9223372036854775808]", 0, tr_json_array_begin(j);
		    tr_json_int(j, 0); tr_json_int(j, -1); tr_json_int(j, INT64_MAX);
		    tr_json_int(j, INT64_MIN); tr_json_array_end(j));
	assert_json("[1.5,0.1,-2,1e+100,123456789012,null,null,null]", 0, tr_json_array_begin(j);
		    tr_json_double(j, 1.5); tr_json_double(j, 0.1); tr_json_double(j, -2.0);
		    tr_json_double(j, 1e100); tr_json_double(j, 123456789012.0);
		    tr_json_double(j, NAN); tr_json_double(j, INFINITY); tr_json_double(j, -INFINITY);
		    tr_json_array_end(j));
	/* doubles read back exactly */
	{
		static const double values[] = {0.1 + 0.2, 1.0 / 3.0, 5e-324, 1.7976931348623157e308,
						-123.456, 2.5e-8};
		size_t i;

		for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
			tr_buf b = TR_BUF_INIT;
			tr_json j;

			tr_json_init(&j, &b, 0);
			tr_json_double(&j, values[i]);
			assert_true(strtod(tr_buf_str(&b), NULL) == values[i]);
			tr_buf_release(&b);
		}
	}
}

static void test_misuse(void **state)
{
	(void)state;
	/* a value in an object without a key */
	assert_misuse(tr_json_object_begin(j); tr_json_int(j, 1));
	assert_misuse(tr_json_object_begin(j); tr_json_array_begin(j));
	/* a key outside an object, and two keys in a row */
	assert_misuse(tr_json_key(j, "a"));
	assert_misuse(tr_json_array_begin(j); tr_json_key(j, "a"));
	assert_misuse(tr_json_object_begin(j); tr_json_key(j, "a"); tr_json_key(j, "b"));
	/* end without begin, end of the wrong kind, end with a value due */
	assert_misuse(tr_json_object_end(j));
	assert_misuse(tr_json_array_end(j));
	assert_misuse(tr_json_object_begin(j); tr_json_array_end(j));
	assert_misuse(tr_json_array_begin(j); tr_json_object_end(j));
	assert_misuse(tr_json_object_begin(j); tr_json_key(j, "a"); tr_json_object_end(j));
	assert_misuse(tr_json_object_begin(j); tr_json_key(j, NULL));
	/* the sticky error: nothing after it succeeds */
	assert_misuse(tr_json_object_end(j); tr_json_int(j, 1); tr_json_array_begin(j));
}

static void test_depth(void **state)
{
	tr_buf b = TR_BUF_INIT;
	tr_json j;
	int i;

	(void)state;
	tr_json_init(&j, &b, 0);
	for (i = 0; i < TR_JSON_MAX_DEPTH; i++)
		tr_json_array_begin(&j);
	for (i = 0; i < TR_JSON_MAX_DEPTH; i++)
		tr_json_array_end(&j);
	assert_false(tr_buf_failed(&b));
	assert_int_equal(b.len, 2 * TR_JSON_MAX_DEPTH);

	tr_buf_reset(&b);
	tr_json_init(&j, &b, 0);
	for (i = 0; i < TR_JSON_MAX_DEPTH + 1; i++)
		tr_json_object_begin(&j), tr_json_key(&j, "k");
	assert_true(tr_buf_failed(&b));
	tr_buf_release(&b);
}

static void test_buffer_cap(void **state)
{
	tr_buf b;
	tr_json j;

	(void)state;
	tr_buf_init(&b, 8);
	tr_json_init(&j, &b, 0);
	tr_json_array_begin(&j);
	tr_json_string(&j, "longer than eight bytes");
	tr_json_array_end(&j);
	assert_true(tr_buf_failed(&b));
	tr_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compact_nesting),
		cmocka_unit_test(test_pretty),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_buffer_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
