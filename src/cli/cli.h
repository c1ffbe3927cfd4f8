/*
 * cli.h — what the subcommand files share: the option parser (options are
 * declared as tables, which also generate --help), error reporting and exit
 * codes, and reading definitions given on the command line.
 *
 * Exit codes: 0 success, 1 a negative answer or a failed operation, 2 bad input
 * (usage, definition, key). Errors go to stderr as one line: "tranche: ...".
 */
#ifndef TRANCHE_CLI_H
#define TRANCHE_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "tranche/buf.h"
#include "tranche/error.h"

enum { EXIT_OK = 0, EXIT_NO = 1, EXIT_USAGE = 2 };

typedef enum { OPT_FLAG, OPT_STRING, OPT_LIST } cli_opt_kind;

typedef struct cli_opt {
	const char *name;  /* long name without dashes: "def" */
	char short_name;   /* 'C' or 0 */
	cli_opt_kind kind;
	const char *arg;   /* argument name for help: "DEF" */
	const char *help;
	/* where the value goes: int* for FLAG, const char** for STRING, cli_list* for LIST */
	void *value;
} cli_opt;

typedef struct cli_list {
	const char **items;
	size_t n;
} cli_list;

typedef struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} cli_command;

/*
 * Parses argv[0..argc) against opts (NULL-name-terminated); positional arguments
 * are collected into *pos (may be NULL: then none are allowed). `--` ends options.
 * Prints usage errors itself; returns 0 or EXIT_USAGE. --help prints help and
 * returns -1 (the caller exits 0).
 */
int cli_parse(int argc, char **argv, const cli_opt *opts, cli_list *pos, const char *usage,
	      const char *description);
void cli_list_release(cli_list *l);

/* Prints "tranche: <msg>" to stderr; returns the exit code for err->code. */
int cli_fail(const tr_error *err);
int cli_failf(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The text of a DEF/MAP argument: inline YAML/JSON, or @FILE read whole. Caller frees. */
char *cli_read_text(const char *arg, const char *what, tr_error *err);

/* The current time: --now (ISO 8601; no offset = UTC), else $TRANCHE_NOW, else the clock. */
int cli_now(const char *now_arg, int64_t *now, tr_error *err);

/* Writes the buffer to stdout; 0 or EXIT_NO on a write error. */
int cli_write(const tr_buf *b);

int cmd_partitions(int argc, char **argv);
int cmd_version(int argc, char **argv);

#endif
