/*
 * buf.c — growable buffer with a cap and a sticky error (tranche/buf.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tranche/buf.h"

void tr_buf_init(tr_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max ? max : TR_BUF_DEFAULT_MAX;
	b->failed = 0;
}

void tr_buf_release(tr_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

void tr_buf_reset(tr_buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->data)
		b->data[0] = '\0';
}

void tr_buf_truncate(tr_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

/* Makes room for n more bytes plus the terminating NUL; 0 on success. */
static int grow(tr_buf *b, size_t n)
{
	size_t want, cap;
	char *p;

	if (b->failed)
		return -1;
	if (b->max == 0)
		b->max = TR_BUF_DEFAULT_MAX;
	if (n > b->max - b->len) {
		b->failed = 1;
		return -1;
	}
	want = b->len + n + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->failed = 1;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

void tr_buf_add(tr_buf *b, const void *p, size_t n)
{
	if (grow(b, n))
		return;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void tr_buf_adds(tr_buf *b, const char *s)
{
	tr_buf_add(b, s, strlen(s));
}

void tr_buf_addc(tr_buf *b, char c)
{
	tr_buf_add(b, &c, 1);
}

void tr_buf_vaddf(tr_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	if (b->failed)
		return;
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || grow(b, (size_t)n))
		return;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void tr_buf_addf(tr_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tr_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

const char *tr_buf_str(const tr_buf *b)
{
	return b->data ? b->data : "";
}

int tr_buf_failed(const tr_buf *b)
{
	return b->failed;
}

char *tr_buf_detach(tr_buf *b, size_t *len)
{
	char *s;

	if (!b->data && grow(b, 0) == 0)
		b->data[0] = '\0';
	s = b->data;
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}
