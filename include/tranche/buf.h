/*
 * tranche/buf.h — a growable byte buffer with a size cap and a sticky error.
 *
 * Invariants: after tr_buf_init, data is never NULL for readers — tr_buf_str
 * returns "" for an empty buffer — and data[len] is always '\0' once anything
 * was added. Appends never fail loudly: on allocation failure or when the cap
 * would be exceeded the buffer sets `failed` and ignores further appends, so a
 * builder appends freely and checks once (tr_buf_failed).
 * The buffer owns data until tr_buf_detach hands it over.
 */
#ifndef TRANCHE_BUF_H
#define TRANCHE_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct tr_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* cap on len; 0 at init means TR_BUF_DEFAULT_MAX */
	int failed; /* sticky: an append failed */
} tr_buf;

#define TR_BUF_DEFAULT_MAX ((size_t)1 << 30)
#define TR_BUF_INIT {NULL, 0, 0, TR_BUF_DEFAULT_MAX, 0}

void tr_buf_init(tr_buf *b, size_t max);
void tr_buf_release(tr_buf *b); /* frees data; b can be reused after tr_buf_init */
void tr_buf_reset(tr_buf *b);   /* len = 0, keeps memory, clears failed */
void tr_buf_truncate(tr_buf *b, size_t len);

void tr_buf_add(tr_buf *b, const void *p, size_t n);
void tr_buf_adds(tr_buf *b, const char *s);
void tr_buf_addc(tr_buf *b, char c);
void tr_buf_addf(tr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tr_buf_vaddf(tr_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* The contents as a NUL-terminated string; "" when empty. Owned by b. */
const char *tr_buf_str(const tr_buf *b);
int tr_buf_failed(const tr_buf *b);

/* Hands over the malloc'd string (never NULL unless allocation failed); b is left empty. */
char *tr_buf_detach(tr_buf *b, size_t *len);

#endif
