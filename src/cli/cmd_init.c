/*
 * cmd_init.c — `tranche init [DIR] [--example NAME]`: a project to start from.
 *
 * Without --example: a minimal tranche.yaml (one working asset, a daily
 * partitioned one in comments). With --example: the files of an example
 * project built into the binary (tranche/examples.h, generated from examples/).
 *
 * Invariants: init never overwrites. Every file it would write, and every
 * directory on the way, is checked before anything is created, and a refusal
 * writes nothing. Each file is written under a temporary name in its final
 * directory and then linked into place (link fails rather than replace a file
 * that appeared meanwhile). When a write fails half-way, the files and
 * directories created so far are removed again.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tranche/examples.h"

static const char usage_text[] = "tranche init [DIR] [--example NAME] [-C DIR]";
static const char help_text[] =
	"Create a project in DIR (default: the current directory; created if missing):\n"
	"a tranche.yaml with one asset to start from, or with --example NAME a complete\n"
	"example project with its data. Existing files are never overwritten: if any\n"
	"file init would write exists, it refuses and writes nothing.";

/* Examples planned but not built into this binary yet: a clearer refusal than "unknown". */
static const struct {
	const char *name;
	const char *what;
} planned_examples[] = {
	{NULL, NULL},
};

/* What to run first in an example, when it is more than materializing everything. */
static const struct {
	const char *name;
	const char *next;
} example_next[] = {
	{"stocks", "tranche partitions add symbols IBM AAPL MSFT && tranche materialize '*' --all"},
	{NULL, NULL},
};

/* What was created, for undoing a half-done init. */
typedef struct created {
	char **paths;
	int *is_dir;
	size_t n;
} created;

static const char project_template[] =
	"# The tranche project \"%s\". Build every asset: tranche materialize '*' --all\n"
	"# The project file's keys are described in tranche's docs/project.md.\n"
	"name: %s\n"
	"\n"
	"# Partitions definitions that assets refer to by name (see a daily one below).\n"
	"# partitions:\n"
	"#   daily: {type: daily, start: 2024-01-01}\n"
	"\n"
	"assets:\n"
	"  # An unpartitioned asset: the table \"hello\" holds the query's rows and is\n"
	"  # replaced whole each time it is materialized.\n"
	"  hello:\n"
	"    description: A first asset, to check that everything runs.\n"
	"    sql: SELECT 'hello from tranche' AS greeting, 42 AS answer\n"
	"\n"
	"  # A daily partitioned asset: one partition per day. $partition_start and\n"
	"  # $partition_end are the day's bounds, passed to the query as parameters;\n"
	"  # partition_expr is the column that puts a row in its partition, so that\n"
	"  # materializing one day replaces exactly that day's rows.\n"
	"  #\n"
	"  # daily_events:\n"
	"  #   partitions: daily\n"
	"  #   partition_expr: event_date\n"
	"  #   sql: |\n"
	"  #     SELECT CAST(ts AS DATE) AS event_date, count(*) AS events\n"
	"  #     FROM read_csv('data/events.csv', header = true)\n"
	"  #     WHERE ts >= $partition_start AND ts < $partition_end\n"
	"  #     GROUP BY ALL\n";

/* "a/b" joined, without a "./" in front for the current directory. */
static char *path_join(const char *dir, const char *rel)
{
	tr_buf b = TR_BUF_INIT;

	if (strcmp(dir, "."))
		tr_buf_addf(&b, "%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/");
	tr_buf_adds(&b, rel);
	return tr_buf_detach(&b, NULL);
}

/* The project's name from its directory: lower-case letters, digits and '_'. */
static char *project_name(const char *dir)
{
	char resolved[PATH_MAX];
	const char *base = dir;
	size_t len = strlen(dir);
	tr_buf b = TR_BUF_INIT;

	if (realpath(dir, resolved)) {
		base = resolved;
		len = strlen(resolved);
	}
	while (len > 1 && base[len - 1] == '/')
		len--;
	for (size_t i = len; i > 0; i--)
		if (base[i - 1] == '/') {
			base += i;
			len -= i;
			break;
		}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)base[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			tr_buf_addc(&b, (char)c);
		else if (b.len && b.data[b.len - 1] != '_')
			tr_buf_addc(&b, '_');
	}
	while (b.len && b.data[b.len - 1] == '_')
		tr_buf_truncate(&b, b.len - 1);
	if (!b.len)
		tr_buf_adds(&b, "project");
	return tr_buf_detach(&b, NULL);
}

/* dir quoted for a shell command line, when it needs quotes. */
static void add_shell_word(tr_buf *b, const char *s)
{
	if (s[0] && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			      "_-./+,:@%") == strlen(s)) {
		tr_buf_adds(b, s);
		return;
	}
	tr_buf_addc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			tr_buf_adds(b, "'\\''");
		else
			tr_buf_addc(b, *s);
	}
	tr_buf_addc(b, '\'');
}

static void list_examples(tr_buf *b)
{
	size_t n;
	const char *const *names = tr_example_names(&n);

	if (!n) {
		tr_buf_adds(b, "none in this build");
		return;
	}
	for (size_t i = 0; i < n; i++)
		tr_buf_addf(b, "%s%s", i ? ", " : "", names[i]);
}

/* The files of --example name; else an exit code after printing the refusal. */
static int example_files(const char *name, const tr_embedded_file **files, size_t *n)
{
	tr_buf avail = TR_BUF_INIT;
	int rc = 0;

	if ((*files = tr_example_files(name, n)))
		return 0;
	list_examples(&avail);
	for (size_t i = 0; planned_examples[i].name && !rc; i++)
		if (!strcmp(planned_examples[i].name, name))
			rc = cli_failf(EXIT_NO,
				       "--example %s (%s) is not in this build of tranche yet; "
				       "available: %s",
				       name, planned_examples[i].what, tr_buf_str(&avail));
	if (!rc)
		rc = cli_failf(EXIT_USAGE, "--example: unknown example \"%s\" (available: %s)",
			       name, tr_buf_str(&avail));
	tr_buf_release(&avail);
	return rc;
}

/*
 * Refuses (exit 1, printing why) when DIR is not a directory, or when a file
 * to write, or a directory on its way, is in the way.
 */
static int check_free(const char *dir, const tr_embedded_file *files, size_t n)
{
	struct stat st;
	int rc = 0;

	if (!stat(dir, &st) && !S_ISDIR(st.st_mode))
		return cli_failf(EXIT_NO, "%s exists and is not a directory", dir);
	for (size_t i = 0; i < n && !rc; i++) {
		char *path = path_join(dir, files[i].path);

		if (!path)
			return cli_failf(EXIT_NO, "out of memory");
		if (!lstat(path, &st)) {
			rc = cli_failf(EXIT_NO, "%s already exists: tranche init never overwrites files",
				       path);
		} else {
			/* each directory on the way must be a directory or not exist */
			for (char *s = strchr(path + strlen(path) - strlen(files[i].path), '/'); s && !rc;
			     s = strchr(s + 1, '/')) {
				*s = '\0';
				if (!stat(path, &st) && !S_ISDIR(st.st_mode))
					rc = cli_failf(EXIT_NO, "%s exists and is not a directory",
						       path);
				*s = '/';
			}
		}
		free(path);
	}
	return rc;
}

static int remember(created *c, const char *path, int is_dir)
{
	char **paths = realloc(c->paths, (c->n + 1) * sizeof(*paths));
	int *dirs;

	if (!paths)
		return -1;
	c->paths = paths;
	dirs = realloc(c->is_dir, (c->n + 1) * sizeof(*dirs));
	if (!dirs)
		return -1;
	c->is_dir = dirs;
	if (!(c->paths[c->n] = strdup(path)))
		return -1;
	c->is_dir[c->n++] = is_dir;
	return 0;
}

/* Removes what was created, newest first (files before their directories). */
static void undo(created *c)
{
	while (c->n > 0) {
		c->n--;
		if (c->is_dir[c->n])
			rmdir(c->paths[c->n]);
		else
			unlink(c->paths[c->n]);
		free(c->paths[c->n]);
	}
}

static void created_release(created *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->paths[i]);
	free(c->paths);
	free(c->is_dir);
	memset(c, 0, sizeof(*c));
}

/* mkdir -p path, remembering the directories made. */
static int make_dirs(char *path, created *c, tr_error *err)
{
	for (char *s = path + 1;; s++) {
		int end = !*s;

		if (*s != '/' && !end)
			continue;
		*s = '\0';
		if (!mkdir(path, 0777)) {
			if (remember(c, path, 1)) {
				*s = end ? '\0' : '/';
				return tr_error_set(err, TR_ENOMEM, "out of memory");
			}
		} else if (errno != EEXIST) {
			tr_error_set(err, TR_EIO, "cannot create directory %s: %s", path,
				     strerror(errno));
			*s = end ? '\0' : '/';
			return TR_EIO;
		}
		if (end)
			return 0;
		*s = '/';
	}
}

/* Writes all of data to a new file at tmp (mode, less the umask). */
static int write_new(const char *tmp, const tr_embedded_file *f, tr_error *err)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)f->mode);
	size_t done = 0;

	if (fd < 0)
		return tr_error_set(err, TR_EIO, "cannot create %s: %s", tmp, strerror(errno));
	while (done < f->len) {
		ssize_t w = write(fd, f->data + done, f->len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			tr_error_set(err, TR_EIO, "cannot write %s: %s", tmp,
				     w < 0 ? strerror(errno) : "no space written");
			close(fd);
			unlink(tmp);
			return TR_EIO;
		}
		done += (size_t)w;
	}
	if (close(fd)) {
		tr_error_set(err, TR_EIO, "cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return TR_EIO;
	}
	return 0;
}

/* Writes one file: a temporary name next to it, then linked into place. */
static int write_file(const char *dir, const tr_embedded_file *f, created *c, tr_error *err)
{
	char *path = path_join(dir, f->path), *slash = path ? strrchr(path, '/') : NULL;
	tr_buf tmp = TR_BUF_INIT;
	int rc = 0;

	if (!path)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	if (slash) {
		*slash = '\0';
		rc = make_dirs(path, c, err);
		*slash = '/';
		if (rc)
			goto out;
	}
	tr_buf_add(&tmp, path, slash ? (size_t)(slash + 1 - path) : 0);
	tr_buf_addf(&tmp, ".%s.tranche-init-%ld", slash ? slash + 1 : path, (long)getpid());
	if (tr_buf_failed(&tmp)) {
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = write_new(tr_buf_str(&tmp), f, err)))
		goto out;
	if (link(tr_buf_str(&tmp), path)) {
		/* link() fails rather than replace; some filesystems have no hard links */
		int e = errno;
		struct stat st;

		if (e == EEXIST || !lstat(path, &st)) {
			rc = tr_error_set(err, TR_EIO,
					  "%s already exists: tranche init never overwrites files",
					  path);
		} else if (rename(tr_buf_str(&tmp), path)) {
			rc = tr_error_set(err, TR_EIO, "cannot create %s: %s", path,
					  strerror(errno));
		}
	}
	unlink(tr_buf_str(&tmp));
	if (!rc && remember(c, path, 0))
		rc = tr_error_set(err, TR_ENOMEM, "out of memory");
out:
	tr_buf_release(&tmp);
	free(path);
	return rc;
}

static void print_summary(const char *dir, const char *example, const tr_embedded_file *files,
			  size_t n)
{
	tr_buf b = TR_BUF_INIT;
	const char *next;

	if (example)
		tr_buf_addf(&b, "created the example project \"%s\" in %s:\n", example, dir);
	else
		tr_buf_addf(&b, "created a project in %s:\n", dir);
	for (size_t i = 0; i < n; i++) {
		char *path = path_join(dir, files[i].path);

		tr_buf_addf(&b, "  %s\n", path ? path : files[i].path);
		free(path);
	}
	tr_buf_adds(&b, "next:\n  ");
	if (strcmp(dir, ".")) {
		tr_buf_adds(&b, "cd ");
		add_shell_word(&b, dir);
		tr_buf_adds(&b, " && ");
	}
	next = "tranche materialize '*' --all";
	for (size_t i = 0; example && example_next[i].name; i++)
		if (!strcmp(example_next[i].name, example))
			next = example_next[i].next;
	tr_buf_addf(&b, "%s\n", next);
	cli_write(&b);
	tr_buf_release(&b);
}

int cmd_init(int argc, char **argv)
{
	const char *example = NULL, *chdir_to = NULL, *dir = ".";
	cli_list pos = {0};
	tr_buf example_help = TR_BUF_INIT;
	cli_opt opts[] = {
		{"example", 0, OPT_STRING, "NAME", NULL, &example}, /* help: the examples built in */
		{"dir", 'C', OPT_STRING, "DIR", "run as if started in DIR", &chdir_to},
		{NULL, 0, 0, NULL, NULL, NULL},
	};
	const tr_embedded_file *files = NULL;
	tr_embedded_file minimal;
	size_t n = 0;
	char *name = NULL, *yaml = NULL, *joined = NULL;
	created made = {0};
	tr_error err = {0};
	int rc;

	tr_buf_adds(&example_help, "start from an example project: ");
	list_examples(&example_help);
	opts[0].help = tr_buf_str(&example_help);
	rc = cli_parse(argc, argv, opts, &pos, usage_text, help_text);
	if (rc)
		goto out;
	if (pos.n > 1) {
		rc = cli_failf(EXIT_USAGE, "init takes one directory (got \"%s\" and \"%s\")\nusage: %s",
			       pos.items[0], pos.items[1], usage_text);
		goto out;
	}
	if (pos.n == 1)
		dir = pos.items[0];
	if (!dir[0]) {
		rc = cli_failf(EXIT_USAGE, "DIR is empty (give a directory, or none for the current one)");
		goto out;
	}
	if (chdir_to) {
		/* not chdir(): the paths printed stay valid where the user is */
		struct stat st;

		if (stat(chdir_to, &st)) {
			rc = cli_failf(EXIT_USAGE, "-C %s: %s", chdir_to, strerror(errno));
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			rc = cli_failf(EXIT_USAGE, "-C %s: not a directory", chdir_to);
			goto out;
		}
		joined = dir[0] == '/' ? strdup(dir)
			 : strcmp(dir, ".") ? path_join(chdir_to, dir) : strdup(chdir_to);
		if (!(dir = joined)) {
			rc = cli_failf(EXIT_NO, "out of memory");
			goto out;
		}
	}
	if (example) {
		if ((rc = example_files(example, &files, &n)))
			goto out;
	} else {
		tr_buf b = TR_BUF_INIT;

		name = project_name(dir);
		tr_buf_addf(&b, project_template, name, name);
		minimal = (tr_embedded_file){NULL, "tranche.yaml", NULL, 0, 0644};
		yaml = tr_buf_detach(&b, &minimal.len);
		minimal.data = yaml;
		files = &minimal;
		n = 1;
		if (!yaml) {
			rc = cli_failf(EXIT_NO, "out of memory");
			goto out;
		}
	}
	/* tranche.yaml first: it is the file whose presence matters most */
	{
		tr_embedded_file project_file = {NULL, "tranche.yaml", "", 0, 0644};

		if ((rc = check_free(dir, &project_file, 1)) || (rc = check_free(dir, files, n)))
			goto out;
	}
	{
		char *top = strdup(dir);

		rc = top ? make_dirs(top, &made, &err) : tr_error_set(&err, TR_ENOMEM, "out of memory");
		free(top);
	}
	for (size_t i = 0; i < n && !rc; i++)
		rc = write_file(dir, &files[i], &made, &err);
	if (rc) {
		undo(&made);
		cli_fail(&err);
		rc = EXIT_NO; /* a failed write, whatever its code */
		goto out;
	}
	print_summary(dir, example, files, n);
out:
	if (rc == -1)
		rc = 0;
	created_release(&made);
	cli_list_release(&pos);
	tr_buf_release(&example_help);
	free(joined);
	free(name);
	free(yaml);
	return rc;
}
