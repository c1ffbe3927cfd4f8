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

/* Parses a count option (NULL: leaves *out); 0, or EXIT_USAGE after saying why. */
int cli_parse_count(const char *s, const char *what, size_t *out);

/* Writes the buffer to stdout; 0 or EXIT_NO on a write error. */
int cli_write(const tr_buf *b);

/*
 * Listings as aligned columns (headers in capitals, two spaces between
 * columns, the last one unpadded), widths from the contents. Cells are copied.
 */
typedef struct cli_columns {
	size_t ncols, nrows, cap;
	char **cells; /* row-major, row 0 = headers */
	int failed;
} cli_columns;
void cli_columns_init(cli_columns *c, size_t ncols, const char *const *headers);
/* Adds one row of ncols cells (NULL cells print as "-"). */
void cli_columns_row(cli_columns *c, const char *const *cells);
/* Appends the listing to out and frees c. */
void cli_columns_flush(cli_columns *c, tr_buf *out);
/* Frees c without printing. */
void cli_columns_release(cli_columns *c);

/* ---- cli_project.c: commands that work on a project ---------------------- */

typedef struct tr_project tr_project;
typedef struct tr_storage tr_storage;
typedef struct tr_warehouse tr_warehouse;

/* A project, its storage and (on demand) its warehouse, with the options that find them. */
typedef struct cli_proj {
	const char *dir;     /* -C DIR: change to DIR first */
	const char *file;    /* --project FILE (relative to DIR) */
	const char *now_arg; /* --now */
	tr_project *project;
	tr_storage *storage;
	tr_warehouse *wh;
	int64_t now;
} cli_proj;

/* The options every project command takes; values go into a cli_proj named `cp`. */
#define CLI_PROJ_OPTS(cp)                                                                    \
	{"dir", 'C', OPT_STRING, "DIR", "run as if started in DIR", &(cp).dir},              \
	{"project", 0, OPT_STRING, "FILE", "the project file (default: tranche.yaml)",      \
	 &(cp).file},                                                                      \
	{"now", 0, OPT_STRING, "TIME", "the current time (ISO 8601); default $TRANCHE_NOW or the clock", \
	 &(cp).now_arg}

enum {
	CLI_PROJ_WAREHOUSE = 1, /* open the warehouse too */
	CLI_PROJ_WRITE = 2,     /* the command writes instance storage: create it if missing */
};
/*
 * Loads the project, changes into its directory (relative paths in the
 * project are relative to it), and attaches storage (and the warehouse) as
 * flags say. Without CLI_PROJ_WRITE a storage database that does not exist
 * yet is not created: the command sees an empty one. Returns 0 or an exit
 * code after printing the error.
 */
int cli_proj_open(cli_proj *cp, int flags);
/* Closes and reopens storage and warehouse with other flags. */
int cli_proj_attach(cli_proj *cp, int flags);
void cli_proj_close(cli_proj *cp);
/* "cli (user@host)" */
const char *cli_launched_by(void);
/* Local time of Unix ms as "2024-05-21 14:03:12" (into buf). */
const char *cli_time_text(int64_t ms, char *buf, size_t n);
/* Is stdout/stderr a terminal (and TERM not dumb)? */
int cli_isatty(int fd);

int cmd_assets(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_materialize(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_checks(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_wipe(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_partitions(int argc, char **argv);
int cmd_version(int argc, char **argv);

#endif
