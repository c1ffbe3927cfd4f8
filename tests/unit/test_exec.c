/*
 * test_exec.c — the command runner of command assets (src/exec/command.c):
 * output captured line by line, environment, exit status, signals, timeouts
 * that stop the whole process group, cancellation.
 */
#include "testutil.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "exec/exec_int.h"

struct lines {
	char text[4096];
	size_t len;
	int n_out, n_err;
};

static void collect(void *ctx, int is_stderr, const char *line, size_t len)
{
	struct lines *l = ctx;
	int w = snprintf(l->text + l->len, sizeof(l->text) - l->len, "%s:%.*s\n",
			 is_stderr ? "err" : "out", (int)len, line);

	if (w > 0 && l->len + (size_t)w < sizeof(l->text))
		l->len += (size_t)w;
	if (is_stderr)
		l->n_err++;
	else
		l->n_out++;
}

static int run_sh(const char *script, char *const *env, size_t n_env, int64_t timeout_ms,
		  volatile sig_atomic_t *cancel, struct lines *l, cmd_result *res)
{
	char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
	cmd_spec spec = {argv, env, n_env, timeout_ms, cancel, collect, l};
	tr_error err = {0};

	memset(l, 0, sizeof(*l));
	return cmd_run(&spec, res, &err);
}

static void test_output_and_status(void **state)
{
	struct lines l;
	cmd_result res;

	(void)state;
	assert_int_equal(run_sh("echo one; echo two >&2; printf 'no newline'; exit 3", NULL, 0, 0,
				NULL, &l, &res),
			 0);
	assert_true(res.exited);
	assert_int_equal(res.exit_status, 3);
	assert_non_null(strstr(l.text, "out:one\n"));
	assert_non_null(strstr(l.text, "err:two\n"));
	assert_non_null(strstr(l.text, "out:no newline\n"));
	assert_int_equal(l.n_out, 2);
	assert_int_equal(l.n_err, 1);
}

static void test_environment(void **state)
{
	char *env[] = {"TRANCHE_ASSET=prices", "HOME=/nowhere"};
	struct lines l;
	cmd_result res;

	(void)state;
	assert_int_equal(run_sh("echo \"$TRANCHE_ASSET $HOME\"; test -t 0 || echo stdin-not-tty",
				env, 2, 0, NULL, &l, &res),
			 0);
	assert_int_equal(res.exit_status, 0);
	assert_string_equal(l.text, "out:prices /nowhere\nout:stdin-not-tty\n");
}

static void test_signal(void **state)
{
	struct lines l;
	cmd_result res;
	char how[128];

	(void)state;
	assert_int_equal(run_sh("kill -9 $$", NULL, 0, 0, NULL, &l, &res), 0);
	assert_false(res.exited);
	assert_int_equal(res.signal, SIGKILL);
	cmd_describe(&res, 0, how, sizeof(how));
	assert_string_equal(how, "was killed by signal 9 (Killed)");
}

static void test_timeout_kills_group(void **state)
{
	struct lines l;
	cmd_result res;
	char how[128];

	(void)state;
	/* a child that would outlive its parent: the whole group must go */
	assert_int_equal(run_sh("sleep 30 & echo started; wait", NULL, 0, 300, NULL, &l, &res), 0);
	assert_true(res.timed_out);
	assert_true(res.duration_ms < 5000);
	cmd_describe(&res, 300, how, sizeof(how));
	assert_non_null(strstr(how, "timed out after"));
	assert_non_null(strstr(l.text, "out:started"));
}

static void test_cancel(void **state)
{
	volatile sig_atomic_t cancel = 1;
	struct lines l;
	cmd_result res;

	(void)state;
	assert_int_equal(run_sh("sleep 30", NULL, 0, 0, &cancel, &l, &res), 0);
	assert_true(res.canceled);
	assert_false(res.exited && res.exit_status == 0);
}

static void test_not_found(void **state)
{
	char *argv[] = {"/no/such/program", NULL};
	struct lines l = {0};
	cmd_spec spec = {argv, NULL, 0, 0, NULL, collect, &l};
	cmd_result res;
	tr_error err = {0};

	(void)state;
	assert_int_equal(cmd_run(&spec, &res, &err), 0);
	assert_true(res.exited);
	assert_int_equal(res.exit_status, 127);
	assert_non_null(strstr(l.text, "cannot run /no/such/program"));
}

static void test_long_line_cut(void **state)
{
	struct lines l;
	cmd_result res;

	(void)state;
	assert_int_equal(run_sh("head -c 20000 /dev/zero | tr '\\0' x", NULL, 0, 0, NULL, &l, &res),
			 0);
	assert_int_equal(res.exit_status, 0);
	assert_int_equal(l.n_out, 3); /* 8192 + 8192 + 3616 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_and_status),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_long_line_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
