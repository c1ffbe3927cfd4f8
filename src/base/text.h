/*
 * text.h — small text helpers shared by modules that would otherwise each
 * keep a copy: "did you mean" distances and URL scheme prefixes.
 */
#ifndef TRANCHE_TEXT_H
#define TRANCHE_TEXT_H

#include <stddef.h>

/* Levenshtein distance of a and b; 99 for strings of 63 bytes or more. */
size_t tr_edit_distance(const char *a, const char *b);

/*
 * The length of url's "scheme:" prefix without the colon (RFC 3986: a letter,
 * then letters, digits, "+", "-", "."), or 0 when url has none and so is a
 * bare path ("./a:b.db" and "/x/a:b.db" are paths).
 */
size_t tr_url_scheme_length(const char *url);

#endif
