#!/usr/bin/env python3
"""`tranche backfill cancel ID` from another process stops a running backfill
within a few seconds: cancel says "canceling", the running tranche ends with
exit 130 and the backfill "canceled", no partition is partial, and a canceled
backfill can be resumed to completion; canceling it again then is refused.
Usage: test_cancel.py PATH/TO/tranche"""
from lib import DAYS, ROWS, Project, Tap, binary_from_argv, partial_days, wait_exit, wait_until

t = Tap()
pr = Project(binary_from_argv())
try:
    p = pr.start("backfill", "events", "--all", "--jobs", "2")
    started = wait_until(lambda: pr.materialized() >= 3 or p.poll() is not None, 60)
    t.ok(started and p.poll() is None, "the backfill runs and writes partitions",
         "ended early: %s %s" % (p.poll(), pr.output()))
    b = pr.backfill(1)
    t.ok(b is not None and b["status"] == "running", "tranche backfills shows it running", b)

    r = pr.run("backfill", "cancel", "1")
    t.ok(r.returncode == 0 and r.stdout.startswith("backfill 1: canceling"),
         "backfill cancel says canceling", r.stdout + r.stderr)
    rc = wait_exit(p, 10)
    out, err = pr.output()
    t.ok(rc == 130, "the running tranche stops within seconds, exit 130", f"exit {rc}: {out}{err}")
    t.ok("(backfill 1) canceled" in out, "its summary says canceled", out)
    b = pr.backfill(1)
    t.ok(b is not None and b["status"] == "canceled", "the backfill is canceled", b)
    counts = pr.day_counts()
    t.ok(not partial_days(counts) and len(counts) < DAYS,
         "no partition is partial, not all were written",
         "%d days, partial: %s" % (len(counts), partial_days(counts)))

    r = pr.run("backfill", "cancel", "1")
    t.ok(r.returncode == 2 and "canceled" in r.stderr,
         "canceling a canceled backfill is refused (exit 2)", r.stdout + r.stderr)
    r = pr.run("backfill", "resume", "1", "--jobs", "2")
    counts = pr.day_counts()
    t.ok(r.returncode == 0 and len(counts) == DAYS and all(n == ROWS for n in counts.values()),
         "resume completes the canceled backfill",
         "exit %d %s%s; %d days" % (r.returncode, r.stdout, r.stderr, len(counts)))
    r = pr.run("backfill", "cancel", "1")
    t.ok(r.returncode == 2 and "completed" in r.stderr,
         "canceling a completed backfill is refused (exit 2)", r.stdout + r.stderr)
finally:
    pr.cleanup()
t.done()
