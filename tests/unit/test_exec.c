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
#include "tranche/exec.h"
#include "tranche/project.h"

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

/* ---- parameters and slices (params.c) ------------------------------------------------ */

static const char project_yaml[] =
	"name: p\n"
	"assets:\n"
	"  ny:\n"
	"    partitions: {type: daily, start: 2024-03-09, timezone: America/New_York}\n"
	"    partition_expr: day\n"
	"    sql: SELECT 1 AS day\n"
	"  cats:\n"
	"    partitions: {type: static, keys: [\"Home and Garden\", \"O'Reilly\"]}\n"
	"    partition_expr: category\n"
	"    sql: SELECT 1 AS category\n"
	"  cube:\n"
	"    partitions:\n"
	"      type: multi\n"
	"      dimensions:\n"
	"        region: {type: static, keys: [eu, us]}\n"
	"        day: {type: daily, start: 2024-01-01}\n"
	"        category: {type: static, keys: [Books, Toys]}\n"
	"    partition_expr: {day: d, category: c, region: r}\n"
	"    sql: SELECT 1 AS d\n"
	"  plain:\n"
	"    sql: SELECT 1 AS x\n";

static const tr_param *find_param(const tr_partition_params *pp, const char *name)
{
	for (size_t i = 0; i < pp->n; i++)
		if (!strcmp(pp->params[i].name, name))
			return &pp->params[i];
	return NULL;
}

static void make_params(const tr_project *p, const char *asset, const char *key,
			tr_partitions **parts, tr_partition_params *pp)
{
	tr_error err = {0};
	size_t i;
	int64_t index = 0;

	assert_ok(tr_project_find(p, asset, &i, &err), &err);
	assert_ok(tr_asset_partitions(p, NULL, i, 1735689600 /* 2025-01-01 */, parts, &err), &err);
	if (*parts)
		assert_ok(tr_partitions_index(*parts, key, &index, &err), &err);
	assert_ok(tr_partition_params_make(p, i, *parts, index, pp, &err), &err);
}

static void test_params_time_wall_clock(void **state)
{
	tr_project *p = NULL;
	tr_partitions *parts = NULL;
	tr_partition_params pp;
	tr_error err = {0};
	const tr_param *start, *end;

	(void)state;
	assert_ok(tr_project_parse(project_yaml, "t.yaml", ".", &p, &err), &err);
	/* 2024-03-10 in New York is 23 hours long (DST starts): the bound values are wall clock */
	make_params(p, "ny", "2024-03-10", &parts, &pp);
	start = find_param(&pp, "partition_start");
	end = find_param(&pp, "partition_end");
	assert_non_null(start);
	assert_int_equal(start->type, TR_PARAM_TIMESTAMP);
	assert_int_equal(start->value, (int64_t)1710028800 * 1000000); /* 2024-03-10 00:00 */
	assert_int_equal(end->value, (int64_t)1710115200 * 1000000);   /* 2024-03-11 00:00 */
	assert_int_equal(pp.end - pp.start, 23 * 3600);                  /* the real instants */
	assert_string_equal(find_param(&pp, "partition_key")->text, "2024-03-10");
	assert_string_equal(pp.slice, "(day) >= $partition_start AND (day) < $partition_end");
	tr_partition_params_release(&pp);
	tr_partitions_free(parts);
	tr_project_free(p);
}

static void test_params_static_and_multi(void **state)
{
	tr_project *p = NULL;
	tr_partitions *parts = NULL;
	tr_partition_params pp;
	tr_error err = {0};
	const tr_param *keys;

	(void)state;
	assert_ok(tr_project_parse(project_yaml, "t.yaml", ".", &p, &err), &err);
	make_params(p, "cats", "O'Reilly", &parts, &pp);
	assert_string_equal(find_param(&pp, "partition_key")->text, "O'Reilly");
	keys = find_param(&pp, "partition_keys");
	assert_int_equal(keys->type, TR_PARAM_TEXT_LIST);
	assert_int_equal(keys->list_len, 1);
	assert_string_equal(keys->list[0], "O'Reilly");
	/* the value never enters the SQL text */
	assert_string_equal(pp.slice, "(category) = $partition_key");
	assert_null(find_param(&pp, "partition_start"));
	tr_partition_params_release(&pp);
	tr_partitions_free(parts);

	make_params(p, "cube", "Toys|2024-01-02|us", &parts, &pp);
	assert_string_equal(find_param(&pp, "partition_key_category")->text, "Toys");
	assert_string_equal(find_param(&pp, "partition_key_day")->text, "2024-01-02");
	assert_string_equal(find_param(&pp, "partition_key_region")->text, "us");
	assert_int_equal(find_param(&pp, "partition_start_day")->value,
			 (int64_t)1704153600 * 1000000);
	assert_int_equal(find_param(&pp, "partition_start")->value, (int64_t)1704153600 * 1000000);
	assert_string_equal(pp.slice, "(c) = $partition_key_category AND (d) >= $partition_start_day "
				      "AND (d) < $partition_end_day AND (r) = $partition_key_region");
	tr_partition_params_release(&pp);
	tr_partitions_free(parts);

	make_params(p, "plain", NULL, &parts, &pp);
	assert_null(parts);
	assert_int_equal(pp.n, 0);
	assert_null(pp.slice);
	assert_string_equal(pp.key, "");
	tr_partition_params_release(&pp);
	tr_project_free(p);
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
		cmocka_unit_test(test_params_time_wall_clock),
		cmocka_unit_test(test_params_static_and_multi),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
