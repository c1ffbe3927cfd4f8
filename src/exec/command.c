/*
 * command.c — runs a command asset's program: fork + execvpe in a new process
 * group, output read line by line through pipes, a deadline and a cancel flag
 * that end the whole group (the program and anything it started).
 *
 * The child's environment is built before fork: after fork only
 * async-signal-safe calls are made (dup2, setpgid, open, execvpe, _exit).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec/exec_int.h"

extern char **environ;

#define LINE_MAX_BYTES 8192
#define KILL_GRACE_MS 2000

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* environ with extra "NAME=value" entries replacing same-named ones. */
static char **build_env(char *const *extra, size_t n_extra)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + n_extra + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t len = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
		int replaced = 0;

		for (size_t j = 0; j < n_extra && !replaced; j++)
			replaced = !strncmp(extra[j], environ[i], len) && extra[j][len] == '=';
		if (!replaced)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < n_extra; j++)
		env[k++] = extra[j];
	env[k] = NULL;
	return env;
}

struct stream {
	int fd;
	int is_stderr;
	char buf[LINE_MAX_BYTES];
	size_t len;
};

static void emit(const cmd_spec *spec, struct stream *s)
{
	if (spec->on_line)
		spec->on_line(spec->ctx, s->is_stderr, s->buf, s->len);
	s->len = 0;
}

/* Reads what is available; returns 0 at EOF (fd closed), 1 otherwise. */
static int drain(const cmd_spec *spec, struct stream *s)
{
	char chunk[4096];
	ssize_t got = read(s->fd, chunk, sizeof(chunk));

	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (got <= 0) {
		if (s->len)
			emit(spec, s);
		close(s->fd);
		s->fd = -1;
		return 0;
	}
	for (ssize_t i = 0; i < got; i++) {
		if (chunk[i] == '\n') {
			emit(spec, s);
			continue;
		}
		if (s->len == sizeof(s->buf))
			emit(spec, s); /* a very long line: cut */
		s->buf[s->len++] = chunk[i];
	}
	return 1;
}

int cmd_run(const cmd_spec *spec, cmd_result *res, tr_error *err)
{
	int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
	struct stream streams[2];
	int64_t started = mono_ms(), term_at = 0;
	char **env = NULL;
	int status = 0, rc = 0;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	streams[0].fd = streams[1].fd = -1;
	env = build_env(spec->env_extra, spec->n_env_extra);
	if (!env)
		return tr_error_set(err, TR_ENOMEM, "out of memory");
	if (pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC)) {
		rc = tr_error_set(err, TR_EIO, "cannot create pipes: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = tr_error_set(err, TR_EIO, "cannot start %s: %s", spec->argv[0], strerror(errno));
		goto out;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(out_pipe[1], 1);
		dup2(err_pipe[1], 2);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		execvpe(spec->argv[0], spec->argv, env);
		{
			/* exec failed: say why on the captured stderr, exit 127 as shells do */
			const char *why = strerror(errno);

			if (write(2, "cannot run ", 11) < 0 ||
			    write(2, spec->argv[0], strlen(spec->argv[0])) < 0 ||
			    write(2, ": ", 2) < 0 || write(2, why, strlen(why)) < 0)
				_exit(127);
			_exit(127);
		}
	}
	setpgid(pid, pid); /* also from the parent: no race with kill() below */
	close(out_pipe[1]);
	close(err_pipe[1]);
	out_pipe[1] = err_pipe[1] = -1;
	streams[0].fd = out_pipe[0];
	streams[0].is_stderr = 0;
	streams[0].len = 0;
	streams[1].fd = err_pipe[0];
	streams[1].is_stderr = 1;
	streams[1].len = 0;
	out_pipe[0] = err_pipe[0] = -1; /* owned by streams now */

	for (;;) {
		struct pollfd fds[2];
		int nfds = 0, done = 0;
		int64_t now;

		for (int s = 0; s < 2; s++)
			if (streams[s].fd >= 0) {
				fds[nfds].fd = streams[s].fd;
				fds[nfds].events = POLLIN;
				fds[nfds].revents = 0;
				nfds++;
			}
		if (nfds == 0) {
			/* output closed: wait for the exit, still honouring deadline and cancel */
			pid_t w = waitpid(pid, &status, WNOHANG);

			if (w == pid)
				break;
			if (w < 0 && errno != EINTR) {
				rc = tr_error_set(err, TR_EIO, "waiting for %s: %s", spec->argv[0],
						  strerror(errno));
				goto out;
			}
			usleep(10000);
		} else if (poll(fds, (nfds_t)nfds, 100) > 0) {
			for (int f = 0; f < nfds; f++) {
				if (!fds[f].revents)
					continue;
				for (int s = 0; s < 2; s++)
					if (streams[s].fd == fds[f].fd)
						drain(spec, &streams[s]);
			}
		}
		now = mono_ms();
		if (!term_at && spec->timeout_ms > 0 && now - started >= spec->timeout_ms)
			res->timed_out = done = 1;
		if (!term_at && spec->cancel && *spec->cancel)
			res->canceled = done = 1;
		if (done) {
			kill(-pid, SIGTERM);
			term_at = now;
		} else if (term_at && now - term_at >= KILL_GRACE_MS) {
			kill(-pid, SIGKILL);
			term_at = INT64_MAX / 2; /* once */
		}
	}
	if (term_at)
		kill(-pid, SIGKILL); /* anything the program left behind in its group */
	res->duration_ms = mono_ms() - started;
	if (WIFEXITED(status)) {
		res->exited = 1;
		res->exit_status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->signal = WTERMSIG(status);
	}
out:
	for (int s = 0; s < 2; s++)
		if (streams[s].fd >= 0)
			close(streams[s].fd);
	for (int k = 0; k < 2; k++) {
		if (out_pipe[k] >= 0)
			close(out_pipe[k]);
		if (err_pipe[k] >= 0)
			close(err_pipe[k]);
	}
	free(env);
	return rc;
}

void cmd_describe(const cmd_result *res, int64_t timeout_ms, char *out, size_t n)
{
	if (res->timed_out)
		snprintf(out, n, "timed out after %lld ms (timeout: %lld ms)",
			 (long long)res->duration_ms, (long long)timeout_ms);
	else if (res->canceled)
		snprintf(out, n, "was stopped: the run was canceled");
	else if (res->exited)
		snprintf(out, n, "exited with status %d", res->exit_status);
	else
		snprintf(out, n, "was killed by signal %d (%s)", res->signal, strsignal(res->signal));
}
