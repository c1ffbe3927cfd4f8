/*
 * test_http.c — http assets: the `http:` keys as the project loader reads
 * them (templates split into parts, defaults, every refusal with its position
 * and key path), and what a step does with them (src/exec/http.c): template
 * expansion with the step's parameters, percent-encoding, {env:} secrets and
 * their masking. Fetching is tested end to end in tests/e2e/test_http.py.
 */
#include "testutil.h"

#include "exec/exec_int.h"
#include "project/project_int.h"
#include "tranche/project.h"

static tr_project *load_ok(const char *yaml)
{
	tr_error err = {0};
	tr_project *p = NULL;

	assert_ok(tr_project_parse(yaml, "tranche.yaml", "/nonexistent", &p, &err), &err);
	assert_non_null(p);
	return p;
}

static void assert_refused(const char *yaml, const char *want)
{
	tr_error err = {0};
	tr_project *p = (tr_project *)1;
	int rc = tr_project_parse(yaml, "tranche.yaml", "/nonexistent", &p, &err);

	if (rc != TR_EINVAL || strncmp(err.msg, want, strlen(want)) != 0)
		fail_msg("got %d \"%s\"\nwant %d \"%s...\"", rc, err.msg, TR_EINVAL, want);
	assert_null(p);
}

#define HEAD                                                                                  \
	"name: x\npartitions:\n  days: {type: daily, start: 2024-01-01}\n"                    \
	"  symbols: {type: static, keys: [IBM, MSFT]}\n"                                      \
	"  grid: {type: multi, dimensions: {date: days, symbol: symbols}}\nassets:\n"

/* ---- loading ------------------------------------------------------------------------------ */

static void test_parse_full(void **state)
{
	tr_project *p;
	const tr_asset *a;
	const tr_http *h;

	(void)state;
	p = load_ok(HEAD "  prices:\n"
			 "    partitions: symbols\n"
			 "    partition_expr: symbol\n"
			 "    http:\n"
			 "      url: \"https://x.test/q?s={partition_key}&k={env:API_KEY}&lit={{a}}\"\n"
			 "      fallback_url: \"file:sample/{partition_key}.csv\"\n"
			 "      headers: {Authorization: \"Bearer {env:TOKEN}\", Accept: text/csv}\n"
			 "      timeout: 30s\n"
			 "      retries: {max: 3, delay: 2s, backoff: 3}\n"
			 "      fail_when: {json_keys: [Note, Information], contains: \"rate limit\"}\n"
			 "    sql: SELECT * FROM response JOIN ref USING (symbol)\n"
			 "  ref:\n"
			 "    sql: SELECT 'IBM' AS symbol\n"
			 "  response:\n"
			 "    sql: SELECT 1 AS one\n");
	a = &p->assets[0];
	h = &a->http;
	assert_int_equal(a->kind, TR_ASSET_HTTP);
	assert_string_equal(tr_asset_kind_name(a->kind), "http");
	assert_string_equal(a->sql, "SELECT * FROM response JOIN ref USING (symbol)");
	assert_int_equal(h->url.n_parts, 5);
	assert_int_equal(h->url.parts[0].kind, TR_TPL_TEXT);
	assert_string_equal(h->url.parts[0].text, "https://x.test/q?s=");
	assert_int_equal(h->url.parts[1].kind, TR_TPL_PARAM);
	assert_string_equal(h->url.parts[1].text, "partition_key");
	assert_null(h->url.parts[1].format);
	assert_string_equal(h->url.parts[2].text, "&k=");
	assert_int_equal(h->url.parts[3].kind, TR_TPL_ENV);
	assert_string_equal(h->url.parts[3].text, "API_KEY");
	assert_string_equal(h->url.parts[4].text, "&lit={a}");
	assert_string_equal(h->fallback_url.source, "file:sample/{partition_key}.csv");
	assert_int_equal(h->n_headers, 2);
	assert_string_equal(h->headers[0].name, "Authorization");
	assert_int_equal(h->headers[0].value.parts[1].kind, TR_TPL_ENV);
	assert_string_equal(h->format, "csv");
	assert_null(h->records);
	assert_int_equal(h->timeout_ms, 30000);
	assert_int_equal(h->retries.max, 3);
	assert_int_equal(h->retries.delay_ms, 2000);
	assert_true(h->retries.backoff == 3);
	assert_int_equal(h->n_fail_json_keys, 2);
	assert_string_equal(h->fail_json_keys[1], "Information");
	assert_int_equal(h->n_fail_contains, 1);
	assert_string_equal(h->fail_contains[0], "rate limit");
	/* the SQL reads ref (a dependency) and response (its answer, not the asset "response") */
	assert_int_equal(a->n_deps, 1);
	assert_string_equal(p->assets[a->deps[0].asset].name, "ref");
	tr_project_free(p);
}

static void test_parse_defaults(void **state)
{
	tr_project *p;
	const tr_http *h;

	(void)state;
	p = load_ok(HEAD "  a:\n    http: {url: \"http://x.test/a.json\", format: json, records: "
			 "data.items}\n"
			 "  b:\n    partitions: grid\n    partition_expr: {date: d, symbol: s}\n"
			 "    http: {url: \"file:///data/{partition_key_symbol}/"
			 "{partition_start_date:%Y%m%d}-{partition_end:%d}.csv\"}\n");
	h = &p->assets[0].http;
	assert_null(p->assets[0].sql);
	assert_string_equal(h->format, "json");
	assert_string_equal(h->records, "data.items");
	assert_int_equal(h->timeout_ms, 60000);
	assert_int_equal(h->retries.max, 2);
	assert_int_equal(h->retries.delay_ms, 1000);
	assert_true(h->retries.backoff == 2);
	assert_int_equal(h->fail_when, 0);
	assert_int_equal(p->assets[0].n_deps, 0);
	h = &p->assets[1].http;
	assert_int_equal(h->url.n_parts, 7);
	assert_string_equal(h->url.parts[3].text, "partition_start_date");
	assert_string_equal(h->url.parts[3].format, "%Y%m%d");
	assert_string_equal(h->url.parts[5].format, "%d");
	tr_project_free(p);
}

static void test_refuse_http(void **state)
{
	(void)state;
	assert_refused(HEAD "  a:\n    http: {url: \"https://x.test\", timout: 5s}\n",
		       "tranche.yaml:8:35: assets.a.http: unknown key \"timout\" (did you mean "
		       "\"timeout\"? valid keys: url, fallback_url, headers, format, records, timeout, "
		       "retries, fail_when)");
	assert_refused(HEAD "  a:\n    http: {format: csv}\n",
		       "tranche.yaml:8:11: assets.a.http.url: expected a URL: http://..., https://... "
		       "or file:PATH");
	assert_refused(HEAD "  a:\n    http: https://x.test\n",
		       "tranche.yaml:8:11: assets.a.http: expected a map with at least url");
	assert_refused(HEAD "  a:\n    http: {url: \"ftp://x.test/a.csv\"}\n",
		       "tranche.yaml:8:17: assets.a.http.url: \"ftp://x.test/a.csv\": the scheme ftp: "
		       "is not supported (valid: http://, https://, file:)");
	assert_refused(HEAD "  a:\n    http: {url: \"x.test/a.csv\"}\n",
		       "tranche.yaml:8:17: assets.a.http.url: \"x.test/a.csv\" is not a URL: it must "
		       "start with http://, https:// or file:");
	assert_refused(HEAD "  a:\n    http: {url: \"{env:BASE}/a.csv\"}\n",
		       "tranche.yaml:8:17: assets.a.http.url: \"{env:BASE}/a.csv\": the URL must start "
		       "with its scheme, written out");
	assert_refused(HEAD "  a:\n    http: {url: \"file://host/a.csv\"}\n",
		       "tranche.yaml:8:17: assets.a.http.url: \"file://host/a.csv\": file URLs name no "
		       "host");
	assert_refused(HEAD "  a:\n    partitions: symbols\n    partition_expr: s\n"
			    "    http: {url: \"https://x.test/?s={partition_ky}\"}\n",
		       "tranche.yaml:10:17: assets.a.http.url: \"https://x.test/?s={partition_ky}\": "
		       "unknown placeholder {partition_ky} (did you mean {partition_key}? valid: "
		       "{partition_key}, {partition_keys}, {env:NAME}; {{ and }} for literal braces)");
	assert_refused(HEAD "  a:\n    partitions: days\n    partition_expr: d\n"
			    "    http: {url: \"https://x.test/?s={partition_start_date}\"}\n",
		       "tranche.yaml:10:17: assets.a.http.url: \"https://x.test/?s={partition_start_date}"
		       "\": unknown placeholder {partition_start_date} (did you mean {partition_start}? "
		       "valid: {partition_key}, {partition_keys}, {partition_start}, {partition_end}, "
		       "{env:NAME}");
	assert_refused(HEAD "  a:\n    http: {url: \"https://x.test/?d={partition_key}\"}\n",
		       "tranche.yaml:8:17: assets.a.http.url: \"https://x.test/?d={partition_key}\": "
		       "unknown placeholder {partition_key}: the asset is unpartitioned");
	assert_refused(HEAD "  a:\n    partitions: symbols\n    partition_expr: s\n"
			    "    http: {url: \"https://x.test/?s={partition_key:%Y}\"}\n",
		       "tranche.yaml:10:17: assets.a.http.url: \"https://x.test/?s={partition_key:%Y}\": "
		       "{partition_key:%Y}: only time values (partition_start, partition_end) take a "
		       "format; partition_key is text");
	assert_refused(HEAD "  a:\n    http: {url: \"https://x.test/?s={env:1X}\"}\n",
		       "tranche.yaml:8:17: assets.a.http.url: \"https://x.test/?s={env:1X}\": {env:1X} "
		       "does not name an environment variable");
	assert_refused(HEAD "  a:\n    http: {url: \"https://x.test/?s={env}\"}\n",
		       "tranche.yaml:8:17: assets.a.http.url: \"https://x.test/?s={env}\": {env} names "
		       "no environment variable: write {env:NAME}");
	assert_refused(HEAD "  a:\n    http: {url: \"https://x.test/?s={env:K\"}\n",
		       "tranche.yaml:8:17: assets.a.http.url: \"https://x.test/?s={env:K\": the { at "
		       "character 19 is not closed (write {{ for a literal brace;");
	assert_refused(HEAD "  a:\n    http: {url: \"https://x.test/?s=}\"}\n",
		       "tranche.yaml:8:17: assets.a.http.url: \"https://x.test/?s=}\": a lone } at "
		       "character 19 (write }} for a literal brace)");
	assert_refused(HEAD "  a:\n    http: {url: \"https://x.test/a.csv\", records: data}\n",
		       "tranche.yaml:8:41: assets.a.http.records: only with format: json");
	assert_refused(HEAD "  a:\n    http: {url: \"https://x.test/a.json\", format: json, records: "
			    "data..items}\n",
		       "tranche.yaml:8:65: assets.a.http.records: \"data..items\" has an empty part");
	assert_refused(HEAD "  a:\n    http: {url: \"https://x.test/a.csv\", format: xml}\n",
		       "tranche.yaml:8:49: assets.a.http.format: \"xml\" is not one of csv, json");
	assert_refused(HEAD "  a:\n    http: {url: \"https://x.test/a.csv\", fallback_url: "
			    "\"file:a.csv\"}\n",
		       "tranche.yaml:8:41: assets.a.http.fallback_url: is used only when an "
		       "{env:NAME} of url is unset or empty, and url has none");
	assert_refused(HEAD "  a:\n    http: {url: \"https://x.test/a.csv\", headers: {\"Bad Name\": "
			    "x}}\n",
		       "tranche.yaml:8:51: assets.a.http.headers: \"Bad Name\" is not a header name");
	assert_refused(HEAD "  a:\n    http: {url: \"https://x.test/a.csv\", headers: {X: {env:K}}}\n",
		       "tranche.yaml:8:54: assets.a.http.headers.X: expected a string (the header's "
		       "value), got a map");
	assert_refused(HEAD "  a:\n    http: {url: \"https://x.test/a.csv\", timeout: 0}\n",
		       "tranche.yaml:8:50: assets.a.http.timeout: must be more than 0");
	assert_refused(HEAD "  a:\n    http: {url: \"https://x.test/a.csv\", retries: 3}\n",
		       "tranche.yaml:8:50: assets.a.http.retries: expected a map {max: N, delay: "
		       "DURATION, backoff: F}, got a number (for 3 retries write {max: 3})");
	assert_refused(HEAD "  a:\n    http: {url: \"https://x.test/a.csv\", fail_when: {json_key: "
			    "[x]}}\n",
		       "tranche.yaml:8:53: assets.a.http.fail_when: unknown key \"json_key\" (did you "
		       "mean \"json_keys\"?");
	assert_refused(HEAD "  a:\n    http: {url: \"https://x.test/a.csv\", fail_when: {contains: "
			    "[\"\"]}}\n",
		       "tranche.yaml:8:64: assets.a.http.fail_when.contains: [0]: expected a non-empty "
		       "string");
	assert_refused(HEAD "  a:\n    http: {url: \"https://x.test/a.csv\"}\n    command: echo\n",
		       "tranche.yaml:9:5: assets.a: http and command are both given; an asset is made "
		       "by exactly one of sql, sql_file, script, script_file, command, http");
	assert_refused(HEAD "  a:\n    http: {url: \"https://x.test/a.csv\"}\n    sql: SELECT 1\n"
			    "    sql_file: a.sql\n",
		       "tranche.yaml:10:5: assets.a: sql and sql_file are both given; an http asset "
		       "transforms its response with one of them");
	assert_refused(HEAD "  a:\n    partitions: days\n    http: {url: \"https://x.test/a.csv\"}\n",
		       "tranche.yaml:7:3: assets.a: partition_expr is required for a partitioned http "
		       "asset");
	assert_refused(HEAD "  a:\n    http: {url: \"https://x.test/a.csv\"}\n    output_format: csv\n",
		       "tranche.yaml:9:5: assets.a.output_format: only for command assets; this is an "
		       "http asset");
}

/* ---- expanding -------------------------------------------------------------------------- */

static tr_project *grid_project(void)
{
	return load_ok(HEAD "  a:\n    partitions: grid\n    partition_expr: {date: d, symbol: s}\n"
			    "    http:\n      url: \"https://x.test/{partition_key_symbol}?from="
			    "{partition_start}&to={partition_end:%Y%m%d}&keys={partition_keys}"
			    "&k={env:TR_TEST_KEY}&b={{}}\"\n"
			    "      headers: {X-Key: \"k={env:TR_TEST_KEY} s={partition_key_symbol}\"}\n");
}

static void grid_params(tr_partition_params *pp, const char *symbol)
{
	static const char *const keys[] = {"2024-01-02|A B", "2024-01-03|A B"};

	memset(pp, 0, sizeof(*pp));
	pp->params[0] = (tr_param){.name = "partition_key_symbol", .type = TR_PARAM_TEXT, .text = symbol};
	/* 2024-01-02T00:00:00 and 2024-01-04T00:00:00, wall clock */
	pp->params[1] = (tr_param){.name = "partition_start", .type = TR_PARAM_TIMESTAMP,
				   .value = (int64_t)1704153600 * 1000000};
	pp->params[2] = (tr_param){.name = "partition_end", .type = TR_PARAM_TIMESTAMP,
				   .value = (int64_t)1704326400 * 1000000};
	pp->params[3] = (tr_param){.name = "partition_keys", .type = TR_PARAM_TEXT_LIST,
				   .list = keys, .list_len = 2};
	pp->n = 4;
	pp->n_keys = 2;
	pp->key = "2024-01-02|A B...2024-01-03|A B";
}

static void test_expand(void **state)
{
	tr_project *p = grid_project();
	const tr_http *h = &p->assets[0].http;
	tr_partition_params pp;
	tr_buf out = TR_BUF_INIT, shown = TR_BUF_INIT, red = TR_BUF_INIT;
	http_secrets sec = {0};
	const char *missing = NULL;
	tr_error err = {0};

	(void)state;
	setenv("TR_TEST_KEY", "s3/cr+et", 1);
	grid_params(&pp, "A B&C");
	assert_ok(http_expand(&h->url, &pp, 1, &out, &shown, &sec, &missing, &err), &err);
	assert_string_equal(tr_buf_str(&out),
			    "https://x.test/A%20B%26C?from=2024-01-02T00%3A00%3A00&to=20240104"
			    "&keys=2024-01-02%7CA%20B%2C2024-01-03%7CA%20B&k=s3%2Fcr%2Bet&b={}");
	assert_string_equal(tr_buf_str(&shown),
			    "https://x.test/A%20B%26C?from=2024-01-02T00%3A00%3A00&to=20240104"
			    "&keys=2024-01-02%7CA%20B%2C2024-01-03%7CA%20B&k=***&b={}");
	assert_null(missing);
	/* headers: not encoded */
	tr_buf_reset(&out);
	assert_ok(http_expand(&h->headers[0].value, &pp, 0, &out, NULL, &sec, NULL, &err), &err);
	assert_string_equal(tr_buf_str(&out), "k=s3/cr+et s=A B&C");
	/* masking: the value as is and percent-encoded, whatever the text around */
	http_redact(&sec, "GET https://x.test/?k=s3%2Fcr%2Bet failed; header k=s3/cr+et;", &red);
	assert_string_equal(tr_buf_str(&red), "GET https://x.test/?k=*** failed; header k=***;");
	http_secrets_release(&sec);
	tr_buf_release(&out);
	tr_buf_release(&shown);
	tr_buf_release(&red);
	tr_project_free(p);
}

static void test_expand_errors(void **state)
{
	tr_project *p = grid_project();
	const tr_http *h = &p->assets[0].http;
	tr_partition_params pp;
	tr_buf out = TR_BUF_INIT;
	const char *missing = NULL;
	tr_error err = {0};

	(void)state;
	grid_params(&pp, "IBM");
	unsetenv("TR_TEST_KEY");
	assert_int_equal(http_expand(&h->url, &pp, 1, &out, NULL, NULL, &missing, &err), TR_EINVAL);
	assert_string_equal(missing, "TR_TEST_KEY");
	assert_string_equal(err.msg, "the environment variable TR_TEST_KEY is not set");
	setenv("TR_TEST_KEY", "", 1);
	tr_buf_reset(&out);
	assert_int_equal(http_expand(&h->url, &pp, 1, &out, NULL, NULL, &missing, &err), TR_EINVAL);
	assert_string_equal(err.msg, "the environment variable TR_TEST_KEY is empty");
	/* a parameter the step does not bind */
	setenv("TR_TEST_KEY", "k", 1);
	pp.n = 3; /* no partition_keys */
	pp.params[0].name = "partition_keys_symbol";
	tr_buf_reset(&out);
	assert_int_equal(http_expand(&h->url, &pp, 1, &out, NULL, NULL, &missing, &err), TR_EINVAL);
	assert_null(missing);
	assert_string_equal(err.msg,
			    "{partition_key_symbol} is not bound: this step covers 2 partitions "
			    "(2024-01-02|A B...2024-01-03|A B); use {partition_keys} or "
			    "{partition_start}/{partition_end} (bound: {partition_keys_symbol}, "
			    "{partition_start}, {partition_end})");
	unsetenv("TR_TEST_KEY");
	tr_buf_release(&out);
	tr_project_free(p);
}

static void test_redact(void **state)
{
	http_secrets sec = {0};
	tr_buf out = TR_BUF_INIT;
	tr_template t = {0};
	tr_tpl_part parts[2] = {{TR_TPL_ENV, "TR_TEST_A", NULL}, {TR_TPL_ENV, "TR_TEST_B", NULL}};
	tr_error err = {0};

	(void)state;
	t.parts = parts;
	t.n_parts = 2;
	setenv("TR_TEST_A", "abc", 1);
	setenv("TR_TEST_B", "abcdef", 1);
	assert_ok(http_expand(&t, NULL, 0, &out, NULL, &sec, NULL, &err), &err);
	tr_buf_reset(&out);
	/* the longer secret is masked whole, not as "***def" */
	http_redact(&sec, "x abcdef y abc z ab", &out);
	assert_string_equal(tr_buf_str(&out), "x *** y *** z ab");
	tr_buf_reset(&out);
	http_redact(NULL, "nothing to hide", &out);
	assert_string_equal(tr_buf_str(&out), "nothing to hide");
	unsetenv("TR_TEST_A");
	unsetenv("TR_TEST_B");
	http_secrets_release(&sec);
	tr_buf_release(&out);
}

/* docs/project.md has a row for every key of http: */
static void test_docs_cover_http_keys(void **state)
{
	FILE *f = fopen("docs/project.md", "r");
	char *text;
	long size;

	(void)state;
	if (!f)
		skip(); /* run from the repository root (tests/run.sh does) */
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc((size_t)size + 1, 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	for (size_t i = 0; project_http_key(i); i++) {
		char row[128];

		snprintf(row, sizeof(row), "| `%s` |", project_http_key(i));
		if (!strstr(text, row)) {
			free(text);
			fail_msg("docs/project.md has no table row \"%s\"", row);
		}
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_parse_defaults),
		cmocka_unit_test(test_refuse_http),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_expand_errors),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_docs_cover_http_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
