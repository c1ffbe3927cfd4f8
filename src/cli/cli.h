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
#include "tranche/exec.h"

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

/* ---- cli_server.c: a tranche serve that owns the warehouse --------------- */

/*
 * The server advertised for cp's project (.tranche/server.json), if one is
 * alive: 0 with *url (caller frees; NULL when there is none) and *token
 * ($TRANCHE_TOKEN, or NULL); an exit code after saying why otherwise (an
 * unreadable server file, a server that needs a token not given). what, when
 * not NULL, is said on stderr when there is one: "tranche: WHAT tranche
 * serve at URL (it owns the warehouse while it runs)" (WHAT: "wiping through").
 */
int cli_server_find(const cli_proj *cp, const char *what, char **url, const char **token);

/* ---- cli_run.c: the runner of materialize and backfill ------------------- */

/*
 * What `materialize`, `backfill` and `backfill resume` ask for. The pick
 * options (CLI_PICK_OPTS) and the run options (CLI_RUN_OPTS) fill it from the
 * command line; the command sets selection, backfill and resume.
 */
typedef struct cli_run_args {
	const char *command;   /* "materialize", "backfill", "backfill resume": for messages */
	const char *selection; /* NULL for a resume */
	cli_list keys;         /* --partition */
	const char *from, *to;
	int missing, failed, all, stale;
	int dry_run, yes, json;
	const char *jobs_arg;
	int backfill;   /* a tr_backfill_mode */
	int64_t resume; /* a backfill id, or 0 */
} cli_run_args;

#define CLI_PICK_OPTS(ra)                                                                   \
	{"partition", 'p', OPT_LIST, "KEY", "a partition key, or a range FIRST...LAST (repeatable)", \
	 &(ra).keys},                                                                       \
	{"from", 0, OPT_STRING, "KEY", "the first partition of a range", &(ra).from},        \
	{"to", 0, OPT_STRING, "KEY", "the last partition of a range (inclusive)", &(ra).to},  \
	{"missing", 0, OPT_FLAG, NULL, "partitions not materialized yet (failed ones included)", \
	 &(ra).missing},                                                                    \
	{"failed", 0, OPT_FLAG, NULL, "partitions whose latest attempt failed", &(ra).failed}, \
	{"all", 0, OPT_FLAG, NULL, "every partition", &(ra).all},                             \
	{"stale", 0, OPT_FLAG, NULL, "partitions that read an upstream partition materialized " \
	 "after them (with --missing: both)", &(ra).stale}

#define CLI_RUN_OPTS(ra)                                                                    \
	{"jobs", 'j', OPT_STRING, "N", "run N steps at once (default 0: one per core)",       \
	 &(ra).jobs_arg},                                                                   \
	{"yes", 'y', OPT_FLAG, NULL, "do not ask before running more than 1000 partitions",  \
	 &(ra).yes},                                                                        \
	{"json", 0, OPT_FLAG, NULL, "print JSON lines: one per ended step, then a summary",   \
	 &(ra).json}

/* Partitions above which a terminal user is asked to confirm (unless --yes). */
#define CLI_CONFIRM_PARTITIONS 1000

/* Checks that at most one pick was given and --from/--to go together; 0 or EXIT_USAGE. */
int cli_run_check_pick(const cli_run_args *ra);
/*
 * Opens cp's project, plans the request with a dry run (storage not created,
 * nothing written), asks for confirmation when the plan is large and a user
 * is at a terminal, then runs it with progress output and prints the summary
 * (or, for --dry-run, the plan). SIGINT and SIGTERM cancel the run. Returns
 * the exit code: 0, 1 (a step failed or was skipped, or the user said no),
 * 2 (refused), 130 (canceled).
 */
int cli_run(cli_proj *cp, cli_run_args *ra);
void cli_run_args_release(cli_run_args *ra);

/* ---- cli_progress.c: progress of a run ----------------------------------- */

typedef struct cli_progress cli_progress;
/* mode: a bar redrawn on stderr (tty), plain lines on stderr, JSON lines on stdout */
cli_progress *cli_progress_new(int tty, int json);
/* The tr_run_request.on_progress callback (ctx: the cli_progress); thread-safe. */
void cli_progress_cb(void *ctx, const tr_progress *pr);
/* Erases the bar (if drawn) so that other output can follow. */
void cli_progress_clear(cli_progress *pg);
void cli_progress_free(cli_progress *pg);
/* Is a bar drawn now (for the signal handler's message)? */
int cli_progress_drawn(const cli_progress *pg);

/* Duration as "0.42 s", "12 s", "7 min" ("-" when negative). */
void cli_duration_text(int64_t ms, char *buf, size_t n);

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
int cmd_backfill(int argc, char **argv);
int cmd_backfills(int argc, char **argv);
int cmd_adopt(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_serve(int argc, char **argv);

#endif
