/*
 * tranche/json.h — the one JSON writer: every byte of JSON tranche emits goes
 * through it, so strings are always escaped and commas always right.
 *
 * The writer appends to a caller-owned tr_buf. Nesting is tracked up to
 * TR_JSON_MAX_DEPTH; misuse (a value where a key is due, unbalanced end)
 * marks the buffer failed rather than emitting broken JSON.
 * Strings are written as UTF-8 with ", \, and control characters escaped;
 * invalid UTF-8 bytes are replaced with U+FFFD.
 */
#ifndef TRANCHE_JSON_H
#define TRANCHE_JSON_H

#include <stdint.h>

#include "tranche/buf.h"

#define TR_JSON_MAX_DEPTH 64

typedef struct tr_json {
	tr_buf *out;
	int pretty; /* 2-space indentation and newlines when non-zero */
	int depth;
	unsigned char count[TR_JSON_MAX_DEPTH]; /* values written at each level (saturates at 2) */
	unsigned char is_object[TR_JSON_MAX_DEPTH];
	int want_value; /* a key was written, its value is due */
} tr_json;

void tr_json_init(tr_json *j, tr_buf *out, int pretty);
void tr_json_object_begin(tr_json *j);
void tr_json_object_end(tr_json *j);
void tr_json_array_begin(tr_json *j);
void tr_json_array_end(tr_json *j);
void tr_json_key(tr_json *j, const char *key);
void tr_json_string(tr_json *j, const char *s);              /* NULL writes null */
void tr_json_string_n(tr_json *j, const char *s, size_t n);
void tr_json_int(tr_json *j, int64_t v);
void tr_json_double(tr_json *j, double v); /* NaN/inf write null */
void tr_json_bool(tr_json *j, int v);
void tr_json_null(tr_json *j);
/* A value that is already JSON text (written earlier by this writer, e.g. read
   back from storage); NULL or "" writes null. The text is not checked. */
void tr_json_raw(tr_json *j, const char *json);

/* Shorthands for "key": value inside an object. */
void tr_json_kv_string(tr_json *j, const char *key, const char *s);
void tr_json_kv_int(tr_json *j, const char *key, int64_t v);
/* v, or null when v is 0: an id or a time that is not set (run_id, ended_at) */
void tr_json_kv_int_or_null(tr_json *j, const char *key, int64_t v);
void tr_json_kv_bool(tr_json *j, const char *key, int v);

/* Appends s to out as a JSON string literal, quotes included. */
void tr_json_escape(tr_buf *out, const char *s, size_t n);

#endif
