/*
 * error.c — filling tr_error (tranche/error.h). Messages are cut, never overflowed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tranche/error.h"

void tr_error_clear(tr_error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

int tr_error_set(tr_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int tr_error_prefix(tr_error *err, const char *fmt, ...)
{
	char prefix[TR_ERROR_MSG_MAX];
	char old[TR_ERROR_MSG_MAX];
	va_list ap;

	if (!err)
		return TR_EINVAL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	{
		/* Cut explicitly: the joined text may exceed the buffer. */
		size_t pl = strlen(prefix), ol = strlen(old), cap = sizeof(err->msg) - 1, at = 0;

		if (pl > cap)
			pl = cap;
		memcpy(err->msg, prefix, pl);
		at = pl;
		if (at + 2 <= cap) {
			memcpy(err->msg + at, ": ", 2);
			at += 2;
		}
		if (ol > cap - at)
			ol = cap - at;
		memcpy(err->msg + at, old, ol);
		err->msg[at + ol] = '\0';
	}
	return err->code ? err->code : TR_EINVAL;
}

const char *tr_error_name(int code)
{
	switch (code) {
	case TR_OK: return "ok";
	case TR_EINVAL: return "invalid input";
	case TR_ENOMEM: return "out of memory";
	case TR_EIO: return "input/output error";
	case TR_ENOTFOUND: return "not found";
	case TR_ERANGE: return "out of range";
	default: return "internal error";
	}
}

const char *tr_error_quote(char *dst, size_t n, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 8 >= n) {
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
	return dst;
}
