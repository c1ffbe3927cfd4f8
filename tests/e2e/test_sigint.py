#!/usr/bin/env python3
"""Ctrl-C (SIGINT to the process group, as a terminal sends it) in the middle
of a backfill: tranche says it is canceling, exits 130, the backfill is
"canceled", no partition is partial, and `tranche backfill resume ID`
completes it. SIGTERM cancels the same way. Usage: test_sigint.py PATH/TO/tranche"""
import os
import signal

from lib import DAYS, ROWS, Project, Tap, binary_from_argv, partial_days, wait_exit, wait_until

t = Tap()
for sig, name in ((signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")):
    pr = Project(binary_from_argv())
    try:
        p = pr.start("backfill", "events", "--all", "--jobs", "2")
        started = wait_until(lambda: pr.materialized() >= 3 or p.poll() is not None, 60)
        t.ok(started and p.poll() is None, f"{name}: the backfill runs and writes partitions",
             "ended early: %s %s" % (p.poll(), pr.output()))
        os.killpg(p.pid, sig)
        rc = wait_exit(p, 30)
        out, err = pr.output()
        t.ok(rc == 130, f"{name}: tranche exits 130", f"exit {rc}\n{out}{err}")
        t.ok("canceling" in err, f"{name}: it says it is canceling", err)
        t.ok("(backfill 1) canceled" in out and "resume: tranche backfill resume 1" in out,
             f"{name}: the summary says canceled and how to resume", out)
        b = pr.backfill(1)
        t.ok(b is not None and b["status"] == "canceled", f"{name}: the backfill is canceled", b)
        counts = pr.day_counts()
        t.ok(not partial_days(counts) and 0 < len(counts) < DAYS,
             f"{name}: no partition is partial, some were written",
             "%d days, partial: %s" % (len(counts), partial_days(counts)))
        status = pr.json("status", "events")
        t.ok(status["counts"]["in_progress"] == 0 and
             status["counts"]["materialized"] == len(counts),
             f"{name}: the status matches the warehouse, nothing in progress",
             "warehouse: %d days %s...%s; status: %s" % (len(counts), min(counts, default=""),
                                                          max(counts, default=""),
                                                          status["counts"]))
        if sig != signal.SIGINT:
            continue  # resuming after SIGTERM is the same as after SIGINT
        r = pr.run("backfill", "resume", "1", "--jobs", "2")
        counts = pr.day_counts()
        t.ok(r.returncode == 0 and len(counts) == DAYS and
             all(n == ROWS for n in counts.values()),
             f"{name}: resume completes every partition",
             "exit %d %s%s; %d days" % (r.returncode, r.stdout, r.stderr, len(counts)))
        b = pr.backfill(1)
        t.ok(b is not None and b["status"] == "completed", f"{name}: the backfill is completed",
             b)
    finally:
        pr.cleanup()
# a second Ctrl-C ends tranche at once (by the signal); nothing is partial, and the
# backfill shows failed (resumable) once the next command sees the process is gone
pr = Project(binary_from_argv())
try:
    p = pr.start("backfill", "events", "--all", "--jobs", "2")
    started = wait_until(lambda: pr.materialized() >= 3 or p.poll() is not None, 60)
    t.ok(started and p.poll() is None, "twice: the backfill runs and writes partitions",
         "ended early: %s %s" % (p.poll(), pr.output()))
    os.killpg(p.pid, signal.SIGINT)
    wait_until(lambda: "canceling" in pr.output()[1] or p.poll() is not None, 10)
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGINT)
    rc = wait_exit(p, 30)
    t.ok(rc in (-signal.SIGINT, 130), "twice: tranche ends (by SIGINT, or canceled already)",
         f"exit {rc}: {pr.output()}")
    counts = pr.day_counts()
    t.ok(not partial_days(counts), "twice: no partition is partial",
         "partial: %s" % partial_days(counts))
    b = pr.backfill(1)
    t.ok(b is not None and b["status"] in ("failed", "canceled"),
         "twice: the backfill is failed or canceled, resumable", b)
finally:
    pr.cleanup()
t.done()
