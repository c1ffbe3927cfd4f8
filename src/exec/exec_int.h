/*
 * exec_int.h — declarations shared inside src/exec/.
 */
#ifndef TRANCHE_EXEC_INT_H
#define TRANCHE_EXEC_INT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "tranche/error.h"

/* ---- command.c: running an external program ------------------------------ */

typedef struct cmd_spec {
	char *const *argv;        /* argv[0] is looked up in PATH; NULL-terminated */
	char *const *env_extra;   /* "NAME=value" strings added to (and overriding) the environment */
	size_t n_env_extra;
	int64_t timeout_ms;       /* 0: none */
	volatile sig_atomic_t *cancel; /* may be NULL */
	/* Each line of output (without its newline; long lines are cut at 8 KiB). */
	void (*on_line)(void *ctx, int is_stderr, const char *line, size_t len);
	void *ctx;
} cmd_spec;

typedef struct cmd_result {
	int exit_status; /* when exited */
	int exited;      /* 1: exited normally */
	int signal;      /* the signal that ended it, 0 if none */
	int timed_out;
	int canceled;
	int64_t duration_ms;
} cmd_result;

/*
 * Runs the program in its own process group, stdout and stderr captured line
 * by line, stdin from /dev/null. On timeout or cancel the group gets SIGTERM,
 * then SIGKILL 2 seconds later. Returns 0 when the program ran (whatever its
 * exit status: see res), TR_EIO when it could not be started.
 */
int cmd_run(const cmd_spec *spec, cmd_result *res, tr_error *err);

/* Describes how the program ended, for messages: "exited with status 3",
   "was killed by signal 9 (Killed)", "timed out after 5 s". */
void cmd_describe(const cmd_result *res, int64_t timeout_ms, char *out, size_t n);

#endif
