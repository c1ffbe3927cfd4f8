/*
 * tranche/examples.h — the example projects built into the binary, for
 * `tranche init --example NAME`.
 *
 * The data is generated at build time by scripts/embed.py from examples/
 * (every directory there with a tranche.yaml; what a run produces, such as
 * the warehouse and .tranche/, is left out) into $(BUILD)/gen/examples.c,
 * which also implements the functions below. Everything here is static,
 * read-only data: nothing to free, safe from any thread.
 */
#ifndef TRANCHE_EXAMPLES_H
#define TRANCHE_EXAMPLES_H

#include <stddef.h>

typedef struct tr_embedded_file {
	const char *example; /* the example's name: "sales" */
	const char *path;    /* relative to the project directory, '/'-separated: "data/products.csv" */
	const char *data;    /* the file's bytes (NUL-terminated too, for convenience) */
	size_t len;
	unsigned mode;       /* 0755 for executables (scripts), 0644 otherwise */
} tr_embedded_file;

/*
 * Every embedded file, sorted by example then path; a file of one example
 * follows another of the same example. Ends with an entry whose example is NULL.
 */
extern const tr_embedded_file tr_embedded_examples[];

/* The examples' names, sorted, NULL-terminated; *n (may be NULL) is their count. */
const char *const *tr_example_names(size_t *n);

/*
 * The files of example `name`: a pointer to the first of *n (may be NULL)
 * consecutive entries of tr_embedded_examples; NULL with *n = 0 when there is
 * no such example.
 */
const tr_embedded_file *tr_example_files(const char *name, size_t *n);

#endif
