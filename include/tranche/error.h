/*
 * tranche/error.h — error codes and the error struct every library call may fill.
 *
 * Library functions return 0 on success or a negative TR_E* code, and fill an
 * optional caller-owned tr_error with a message a user can act on: it names the
 * input (file:line:col, argument, key path) and says what would be valid.
 * The library never prints and never exits.
 */
#ifndef TRANCHE_ERROR_H
#define TRANCHE_ERROR_H

#include <stddef.h>

enum {
	TR_OK = 0,
	TR_EINVAL = -1,    /* bad input: definition, key, argument */
	TR_ENOMEM = -2,    /* out of memory or over a size cap */
	TR_EIO = -3,       /* file or database error */
	TR_ENOTFOUND = -4, /* a named thing does not exist */
	TR_ERANGE = -5,    /* a value outside what exists (a key past the last partition) */
	TR_EINTERNAL = -6, /* a bug: an invariant did not hold */
};

#define TR_ERROR_MSG_MAX 1024

typedef struct tr_error {
	int code;                   /* the TR_E* code, 0 when no error */
	char msg[TR_ERROR_MSG_MAX]; /* one line, no trailing newline */
} tr_error;

/* Clears err (err may be NULL). */
void tr_error_clear(tr_error *err);

/*
 * Sets err's code and a printf-style message; err may be NULL. Returns code,
 * so that `return tr_error_set(err, TR_EINVAL, "...")` reads naturally.
 * A message longer than the buffer is cut.
 */
int tr_error_set(tr_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Prepends "prefix: " to err's message (err may be NULL); returns err->code
 * (or TR_EINVAL when err is NULL). For adding context on the way out.
 */
int tr_error_prefix(tr_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Copies s[0..len) into dst (n bytes) for quoting in a message: quotes and
 * backslashes escaped, control bytes as \xNN, cut with "..." when longer than
 * fits. Returns dst.
 */
const char *tr_error_quote(char *dst, size_t n, const char *s, size_t len);

/* A short name for a code: "invalid input", "not found", ... */
const char *tr_error_name(int code);

#endif
