"""tests/e2e/lib.py — what the end-to-end tests share (Python 3, stdlib only).

Each test_*.py is run as `python3 tests/e2e/test_X.py BUILD/tranche` by
tests/run.sh and prints TAP lines ("ok N - ...", "not ok N - ..."). A test
makes a project in a temporary directory, starts tranche as a real process
(in its own process group, as a shell would run a job), and drives it with
signals, a pseudo-terminal or other tranche commands. Nothing sleeps a fixed
time and asserts on timing: every wait polls a condition with a deadline, so
that a loaded machine makes a test slower, not failing.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

# A daily asset whose partitions take tens of milliseconds each (200,000 rows
# written per day): a backfill of 121 days lasts a few seconds, long enough to
# be interrupted in the middle, and a partition cut short would show as a day
# with fewer rows.
ROWS = 200000
DAYS = 121
NOW = "2024-05-01"  # daily partitions 2024-01-01 .. 2024-04-30
PROJECT = f"""name: e2e
partitions:
  daily: {{type: daily, start: 2024-01-01}}
assets:
  events:
    partitions: daily
    partition_expr: day
    sql: SELECT CAST($partition_start AS DATE) AS day, i, hash(i) AS h FROM range({ROWS}) t(i)
"""


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, detail=""):
        self.n += 1
        print(("ok" if cond else "not ok") + f" {self.n} - {desc}")
        if not cond:
            self.failed += 1
            if detail:
                print("# " + str(detail).rstrip().replace("\n", "\n# "))
        sys.stdout.flush()
        return cond

    def done(self):
        print(f"1..{self.n}")
        sys.exit(1 if self.failed else 0)


def wait_until(pred, timeout, interval=0.05):
    """Polls pred() until it is true (returns True) or timeout seconds passed (False)."""
    deadline = time.monotonic() + timeout
    while True:
        if pred():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


class Project:
    def __init__(self, binary, text=PROJECT, now=NOW):
        self.bin = os.path.abspath(binary)
        self.dir = tempfile.mkdtemp(prefix="tranche-e2e-")
        with open(os.path.join(self.dir, "tranche.yaml"), "w") as f:
            f.write(text)
        self.env = dict(os.environ, TRANCHE_NOW=now, TZ="UTC", LC_ALL="C")
        self.env.pop("TERM", None)
        self.procs = []

    def run(self, *args, timeout=120, stdin=subprocess.DEVNULL):
        """Runs tranche to its end: a CompletedProcess with text stdout and stderr."""
        return subprocess.run([self.bin, *args], cwd=self.dir, env=self.env, stdin=stdin,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=timeout)

    def start(self, *args):
        """Starts tranche in its own process group; output goes to files out.txt, err.txt."""
        out = open(os.path.join(self.dir, "out.txt"), "w")
        err = open(os.path.join(self.dir, "err.txt"), "w")
        p = subprocess.Popen([self.bin, *args], cwd=self.dir, env=self.env,
                             stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                             start_new_session=True)
        out.close()
        err.close()
        self.procs.append(p)
        return p

    def output(self):
        with open(os.path.join(self.dir, "out.txt")) as f:
            out = f.read()
        with open(os.path.join(self.dir, "err.txt")) as f:
            return out, f.read()

    def json(self, *args):
        """The JSON that `tranche ARGS --json` prints."""
        r = self.run(*args, "--json")
        if r.returncode != 0:
            raise RuntimeError(f"tranche {' '.join(args)}: exit {r.returncode}: {r.stderr}")
        return json.loads(r.stdout)

    def materialized(self, asset="events"):
        """Partitions of asset materialized now, from the status (storage only: works
        while a run holds the warehouse)."""
        try:
            return self.json("status", asset)["counts"]["materialized"]
        except (RuntimeError, ValueError):
            return 0

    def backfill(self, bid):
        for b in self.json("backfills", "--limit", "0"):
            if b["id"] == bid:
                return b
        return None

    def day_counts(self, table="events"):
        """{day: rows} of the table (the warehouse must be free)."""
        r = self.run("query", f"SELECT CAST(day AS VARCHAR) AS day, count(*) AS n FROM {table} "
                     "GROUP BY ALL ORDER BY 1", "--json", "--max-rows", "0")
        if r.returncode != 0:
            if "does not exist" in r.stderr:
                return {}
            raise RuntimeError(r.stderr)
        return {row["day"]: row["n"] for row in json.loads(r.stdout)}

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def partial_days(counts, rows=ROWS):
    """Days whose row count is neither 0 nor complete."""
    return {d: n for d, n in counts.items() if n != rows}


def wait_exit(p, timeout):
    """The exit status of Popen p (negative: a signal), or None if it still runs."""
    try:
        return p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def binary_from_argv():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} PATH/TO/tranche")
    return sys.argv[1]
