#!/usr/bin/env python3
"""The progress of a backfill on a terminal (a pseudo-terminal, 60 columns):
one line drawn and redrawn in place (carriage returns), showing partitions
done of the total, never wider than the terminal, erased at the end before the
summary. And the confirmation a terminal user gets before a plan of more than
1000 partitions: "n" runs nothing and writes nothing, "y" runs it.
Usage: test_progress_tty.py PATH/TO/tranche"""
import fcntl
import os
import pty
import re
import select
import signal
import struct
import termios
import time

from lib import DAYS, Project, Tap, binary_from_argv

COLUMNS = 60


def run_in_pty(pr, args, answer=None, timeout=60):
    """Runs tranche on a pseudo-terminal (stdin, stdout and stderr); types `answer`
    when it asks. Returns (exit status, everything it wrote)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(pr.dir)
        env = dict(pr.env, TERM="xterm")
        os.execve(pr.bin, [pr.bin, *args], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, COLUMNS, 0, 0))
    os.kill(pid, signal.SIGWINCH)
    out = b""
    deadline = time.monotonic() + timeout
    answered = False
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        if answer is not None and not answered and b"[y/N]" in out:
            os.write(fd, answer.encode() + b"\n")
            answered = True
    else:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace")


def visible(line):
    """The columns a line takes on the terminal: escape sequences take none."""
    return len(re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", line))


t = Tap()
pr = Project(binary_from_argv())
try:
    rc, out = run_in_pty(pr, ["backfill", "events", "--all", "--jobs", "2"])
    t.ok(rc == 0, "the backfill succeeds on a terminal", f"exit {rc}: {out!r}")
    draws = out.count("\r\x1b[K")
    t.ok(draws >= 3, "the progress line is drawn and redrawn in place", f"{draws} draws: {out!r}")
    shown = [int(m) for m in re.findall(r"(\d+)/%d" % DAYS, out)]
    t.ok(len(shown) >= 2 and shown == sorted(shown) and shown[-1] <= DAYS,
         "it shows partitions done of the total, growing", shown)
    t.ok(re.search(r"\[[#.]+\]", out) is not None, "it draws a bar", repr(out))
    t.ok("events" in out.split("run 1")[0], "it names the assets running", repr(out))
    # the terminal turns \n into \r\n: split on \r alone to get each drawing
    drawings = [d for d in re.split(r"\r(?!\n)|\r?\n", out) if "/%d" % DAYS in d]
    widest = max(visible(d) for d in drawings) if drawings else 0
    t.ok(widest < COLUMNS, f"no line is wider than the terminal ({COLUMNS} columns)",
         f"widest: {widest}: {[d for d in drawings if visible(d) >= COLUMNS]!r}")
    t.ok(re.search(r"\r\x1b\[Krun 1 \(backfill 1\) succeeded: %d steps" % DAYS, out) is not None
         and out.rstrip().endswith("0 skipped"),
         "the line is erased before the summary, which ends the output", repr(out[-300:]))
finally:
    pr.cleanup()

# more than 1000 partitions: a question first (one single_run step keeps it quick)
HOURLY = """name: big
partitions:
  hourly: {type: hourly, start: 2024-01-01-00:00}
assets:
  ticks:
    partitions: hourly
    partition_expr: hour
    backfill: {policy: single_run}
    sql: SELECT $partition_start AS hour
"""
pr = Project(binary_from_argv(), HOURLY, now="2024-03-01")  # 60 days: 1440 hours
try:
    rc, out = run_in_pty(pr, ["backfill", "ticks", "--all"], answer="n")
    t.ok("Run 1440 partitions of 1 asset in 1 step? [y/N]" in out,
         "a plan of more than 1000 partitions asks first", repr(out))
    t.ok("ticks" in out.split("[y/N]")[0] and "2024-01-01-00:00...2024-02-29-23:00" in out,
         "the question follows the plan's summary", repr(out))
    t.ok(rc == 1 and "nothing was run" in out, "answering n runs nothing (exit 1)",
         f"exit {rc}: {out!r}")
    t.ok(not os.path.exists(os.path.join(pr.dir, ".tranche")) and
         not os.path.exists(os.path.join(pr.dir, "data")),
         "and writes nothing (no storage, no warehouse)", os.listdir(pr.dir))
    rc, out = run_in_pty(pr, ["backfill", "ticks", "--all"], answer="y")
    t.ok(rc == 0 and "run 1 (backfill 1) succeeded: 1440 partitions in 1 step" in out,
         "answering y runs it", f"exit {rc}: {out!r}")
    rc, out = run_in_pty(pr, ["backfill", "ticks", "--all", "--yes"])
    t.ok(rc == 0 and "[y/N]" not in out and "(backfill 2) succeeded" in out,
         "--yes does not ask", f"exit {rc}: {out!r}")
    r = pr.run("backfill", "ticks", "--all")
    t.ok(r.returncode == 0 and "[y/N]" not in r.stderr,
         "without a terminal there is no question", r.stdout + r.stderr)
finally:
    pr.cleanup()
t.done()
