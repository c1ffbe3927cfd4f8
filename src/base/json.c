/*
 * json.c — the one JSON writer (tranche/json.h).
 *
 * Every JSON byte tranche emits (CLI --json output, server responses, run
 * logs) is appended here to a caller-owned tr_buf, so escaping and commas are
 * decided in one place.
 *
 * State: `depth` open containers; for open container d (0-based, outermost
 * first) is_object[d] says object or array and count[d] how many members were
 * written (saturating at 2: only "none" vs "some" matters). In an object,
 * want_value is 1 between a key and its value.
 *
 * Misuse — a value in an object without a key, a key outside an object or
 * twice in a row, closing the wrong kind of container or one that is not open,
 * closing an object whose last key has no value, nesting deeper than
 * TR_JSON_MAX_DEPTH containers — sets out->failed and writes nothing; as the
 * buffer's error is sticky, nothing is written after it either. The caller
 * checks tr_buf_failed once at the end. Values at the top level (depth 0) are
 * not counted: write one value per writer (one tr_json per line for JSON
 * Lines).
 *
 * Strings: UTF-8 out. ", \ and the C0 controls are escaped (\n \t \r \b \f,
 * \u00XX for the others); valid UTF-8 passes through; each maximal invalid
 * subsequence (a stray continuation byte, a truncated sequence, an overlong
 * form, a surrogate, a code point past U+10FFFF) becomes one U+FFFD.
 *
 * Numbers: integers exactly (PRId64). Doubles in the shortest of %.15g,
 * %.16g, %.17g that reads back to the same double; NaN and infinities are not
 * JSON and are written as null.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tranche/json.h"

static const char replacement_char[] = "\xEF\xBF\xBD"; /* U+FFFD in UTF-8 */

void tr_json_init(tr_json *j, tr_buf *out, int pretty)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
	j->pretty = pretty;
}

static void fail(tr_json *j)
{
	j->out->failed = 1;
}

static void newline_indent(tr_json *j, int levels)
{
	static const char spaces[] = "                                "; /* 32 */
	size_t n = (size_t)levels * 2;

	tr_buf_addc(j->out, '\n');
	while (n > 0) {
		size_t chunk = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;

		tr_buf_add(j->out, spaces, chunk);
		n -= chunk;
	}
}

/*
 * Called before every value and key: checks the value is allowed here and
 * writes the separator (comma, newline and indentation) that precedes it.
 * Returns 0 when the caller may write, -1 when the writer has failed.
 */
static int before_item(tr_json *j, int is_key)
{
	int d = j->depth - 1;

	if (j->out->failed)
		return -1;
	if (d < 0) {
		if (is_key) {
			fail(j);
			return -1;
		}
		return 0;
	}
	if (j->is_object[d]) {
		if (is_key == j->want_value) {
			/* a key where a value is due, or a value without a key */
			fail(j);
			return -1;
		}
		if (!is_key) {
			j->want_value = 0;
			return 0; /* the separator went before the key */
		}
	} else if (is_key) {
		fail(j);
		return -1;
	}
	if (j->count[d])
		tr_buf_addc(j->out, ',');
	if (j->pretty)
		newline_indent(j, j->depth);
	if (j->count[d] < 2)
		j->count[d]++;
	return 0;
}

static void container_begin(tr_json *j, int is_object)
{
	if (before_item(j, 0))
		return;
	if (j->depth >= TR_JSON_MAX_DEPTH) {
		fail(j);
		return;
	}
	tr_buf_addc(j->out, is_object ? '{' : '[');
	j->is_object[j->depth] = (unsigned char)is_object;
	j->count[j->depth] = 0;
	j->depth++;
}

static void container_end(tr_json *j, int is_object)
{
	int d = j->depth - 1;

	if (j->out->failed)
		return;
	if (d < 0 || j->is_object[d] != is_object || j->want_value) {
		fail(j);
		return;
	}
	j->depth--;
	if (j->pretty && j->count[d])
		newline_indent(j, j->depth);
	tr_buf_addc(j->out, is_object ? '}' : ']');
}

void tr_json_object_begin(tr_json *j)
{
	container_begin(j, 1);
}

void tr_json_object_end(tr_json *j)
{
	container_end(j, 1);
}

void tr_json_array_begin(tr_json *j)
{
	container_begin(j, 0);
}

void tr_json_array_end(tr_json *j)
{
	container_end(j, 0);
}

void tr_json_key(tr_json *j, const char *key)
{
	if (!key) {
		fail(j);
		return;
	}
	if (before_item(j, 1))
		return;
	tr_json_escape(j->out, key, strlen(key));
	tr_buf_adds(j->out, j->pretty ? ": " : ":");
	j->want_value = 1;
}

void tr_json_string(tr_json *j, const char *s)
{
	if (!s)
		tr_json_null(j);
	else
		tr_json_string_n(j, s, strlen(s));
}

void tr_json_string_n(tr_json *j, const char *s, size_t n)
{
	if (before_item(j, 0))
		return;
	tr_json_escape(j->out, s, n);
}

void tr_json_int(tr_json *j, int64_t v)
{
	if (before_item(j, 0))
		return;
	tr_buf_addf(j->out, "%" PRId64, v);
}

/*
 * Formats v with the fewest significant digits (15..17) that read back
 * exactly. The decimal point is forced to '.' whatever the C locale says.
 */
static void format_double(char *text, size_t size, double v)
{
	int precision;
	char *p;

	for (precision = 15; precision <= 17; precision++) {
		snprintf(text, size, "%.*g", precision, v);
		for (p = text; *p; p++)
			if (*p == ',')
				*p = '.';
		if (strtod(text, NULL) == v)
			break;
	}
}

void tr_json_double(tr_json *j, double v)
{
	char text[40];

	if (!isfinite(v)) {
		tr_json_null(j);
		return;
	}
	if (before_item(j, 0))
		return;
	format_double(text, sizeof(text), v);
	tr_buf_adds(j->out, text);
}

void tr_json_bool(tr_json *j, int v)
{
	if (before_item(j, 0))
		return;
	tr_buf_adds(j->out, v ? "true" : "false");
}

void tr_json_null(tr_json *j)
{
	if (before_item(j, 0))
		return;
	tr_buf_adds(j->out, "null");
}

void tr_json_raw(tr_json *j, const char *json)
{
	if (before_item(j, 0))
		return;
	tr_buf_adds(j->out, json && *json ? json : "null");
}

void tr_json_kv_string(tr_json *j, const char *key, const char *s)
{
	tr_json_key(j, key);
	tr_json_string(j, s);
}

void tr_json_kv_int(tr_json *j, const char *key, int64_t v)
{
	tr_json_key(j, key);
	tr_json_int(j, v);
}

void tr_json_kv_int_or_null(tr_json *j, const char *key, int64_t v)
{
	tr_json_key(j, key);
	if (v)
		tr_json_int(j, v);
	else
		tr_json_null(j);
}

void tr_json_kv_bool(tr_json *j, const char *key, int v)
{
	tr_json_key(j, key);
	tr_json_bool(j, v);
}

/*
 * Length of the valid UTF-8 sequence at s[0..n), or 0 when it is invalid;
 * then *bad is the length of the maximal invalid subsequence to replace
 * (at least 1), as Unicode recommends (§3.9, "U+FFFD substitution").
 */
static size_t utf8_sequence(const unsigned char *s, size_t n, size_t *bad)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF; /* valid range of the second byte */
	size_t len, i;

	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else {
		*bad = 1; /* continuation byte, C0/C1 (overlong) or F5..FF */
		return 0;
	}
	if (c == 0xE0)
		lo = 0xA0; /* overlong */
	else if (c == 0xED)
		hi = 0x9F; /* surrogates */
	else if (c == 0xF0)
		lo = 0x90; /* overlong */
	else if (c == 0xF4)
		hi = 0x8F; /* past U+10FFFF */
	for (i = 1; i < len; i++) {
		unsigned char min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xBF;

		if (i >= n || s[i] < min || s[i] > max) {
			*bad = i;
			return 0;
		}
	}
	return len;
}

void tr_json_escape(tr_buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0; /* bytes p[i - run .. i) to copy verbatim */

	tr_buf_addc(out, '"');
	while (i < n) {
		unsigned char c = p[i];
		const char *esc = NULL;
		char hex[8];
		size_t len, bad = 0;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			i++;
			run++;
			continue;
		}
		if (c >= 0x80) {
			len = utf8_sequence(p + i, n - i, &bad);
			if (len) {
				i += len;
				run += len;
				continue;
			}
		}
		tr_buf_add(out, p + i - run, run);
		run = 0;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\t': esc = "\\t"; break;
		case '\r': esc = "\\r"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			if (c < 0x20) {
				snprintf(hex, sizeof(hex), "\\u%04x", (unsigned)c);
				esc = hex;
			} else {
				esc = replacement_char;
			}
		}
		tr_buf_adds(out, esc);
		i += bad ? bad : 1;
	}
	tr_buf_add(out, p + i - run, run);
	tr_buf_addc(out, '"');
}
