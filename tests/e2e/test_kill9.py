#!/usr/bin/env python3
"""kill -9 in the middle of a backfill: every partition is either absent or
complete (never partial), the backfill shows failed (resumable) once the next
tranche command sees its process is gone, and `tranche backfill resume ID`
completes it. Usage: test_kill9.py PATH/TO/tranche"""
import os
import signal

from lib import DAYS, ROWS, Project, Tap, binary_from_argv, partial_days, wait_exit, wait_until

t = Tap()
pr = Project(binary_from_argv())
try:
    p = pr.start("backfill", "events", "--all", "--jobs", "2")
    started = wait_until(lambda: pr.materialized() >= 3 or p.poll() is not None, 60)
    t.ok(started and p.poll() is None, "the backfill runs and writes partitions",
         "ended early: %s %s" % (p.poll(), pr.output()))
    os.killpg(p.pid, signal.SIGKILL)  # the process and its process group
    t.ok(wait_exit(p, 30) == -signal.SIGKILL, "tranche was killed by SIGKILL")

    counts = pr.day_counts()
    t.ok(not partial_days(counts), "no partition is partial after kill -9",
         "partial days: %s" % partial_days(counts))
    t.ok(0 < len(counts) < DAYS, "some partitions were written, not all",
         "%d days written" % len(counts))

    b = pr.backfill(1)
    t.ok(b is not None and b["status"] == "failed",
         "tranche backfills shows the killed backfill failed", b)
    status = pr.json("status", "events")
    t.ok(status["counts"]["in_progress"] == 0, "no partition is left in progress", status)

    r = pr.run("backfill", "show", "1")
    t.ok(r.returncode == 0 and "resume would run" in r.stdout,
         "backfill show says what resume would run", r.stdout + r.stderr)

    r = pr.run("backfill", "resume", "1", "--jobs", "2")
    t.ok(r.returncode == 0, "backfill resume succeeds", r.stdout + r.stderr)
    t.ok("(backfill 1) succeeded" in r.stdout, "its summary names the backfill", r.stdout)
    counts = pr.day_counts()
    t.ok(len(counts) == DAYS and all(n == ROWS for n in counts.values()),
         "after resume every partition is complete",
         "%d days, partial: %s" % (len(counts), partial_days(counts)))
    b = pr.backfill(1)
    t.ok(b is not None and b["status"] == "completed" and b["counts"]["succeeded"] == DAYS,
         "the backfill is completed", b)
finally:
    pr.cleanup()
t.done()
