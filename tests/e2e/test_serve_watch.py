#!/usr/bin/env python3
"""`tranche serve` watches the project file and the SQL files it reads: an
edit (in place, or a new file renamed over the old one, as editors save)
reloads the definitions within about two seconds; an edit in several quick
steps is reloaded once, whole; a broken file is reported by GET /api/health
(file and line) while the previous definitions keep serving, and fixing it
clears the error — also when the fix is a file only the fixed project names;
a run going on meanwhile ends with the definitions it started with;
--no-watch reloads only on POST /api/reload.
Usage: test_serve_watch.py PATH/TO/tranche"""
import os
import re
import time

from lib import Project, Tap, binary_from_argv, wait_until
from serve_lib import Server

NOW = "2024-01-06"
PROJECT = """name: watch
assets:
  events:
    partitions: {type: daily, start: 2023-12-01}
    partition_expr: day
    sql: SELECT CAST($partition_start AS DATE) AS day, i FROM range(3000000) t(i)
  from_file:
    sql_file: sql/from_file.sql
"""
SOON = 4.0  # seconds: a poll a second, a quarter of a second of quiet, and slack for a slow machine

t = Tap()
pr = Project(binary_from_argv(), PROJECT, now=NOW)
os.makedirs(os.path.join(pr.dir, "sql"))
with open(os.path.join(pr.dir, "sql", "from_file.sql"), "w") as f:
    f.write("SELECT 1 AS version\n")
yaml = os.path.join(pr.dir, "tranche.yaml")
srv = None


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def assets(server):
    s, _, a = server.get("/api/assets")
    return [x["name"] for x in a["assets"]] if s == 200 else []


def health(server):
    s, _, h = server.get("/api/health")
    return h if s == 200 else {}


def appears(server, name, timeout=SOON):
    """Seconds until asset name is listed, or None."""
    t0 = time.monotonic()
    if wait_until(lambda: name in assets(server), timeout, 0.05):
        return time.monotonic() - t0
    return None


try:
    srv = Server(pr)

    # an edit in place
    write(yaml, PROJECT + "  added:\n    sql: SELECT 1 AS one\n")
    took = appears(srv, "added")
    t.ok(took is not None, f"an asset added to tranche.yaml is in GET /api/assets within {SOON:.0f} s"
         + (f" ({took:.1f} s)" if took is not None else ""), assets(srv))

    # a save that renames a new file over the old one
    tmp = yaml + ".swp"
    write(tmp, PROJECT + "  added:\n    sql: SELECT 1 AS one\n  renamed:\n    sql: SELECT 2 AS two\n")
    os.replace(tmp, yaml)
    took = appears(srv, "renamed")
    t.ok(took is not None, "a save by rename (a new inode) is noticed too", assets(srv))

    # an SQL file the project reads
    write(os.path.join(pr.dir, "sql", "from_file.sql"), "SELECT 2 AS version\n")
    ok = wait_until(lambda: "2 AS version" in (srv.get("/api/assets/from_file")[2].get("sql") or ""),
                    SOON, 0.05)
    t.ok(ok, "a change of an sql_file reloads the asset's SQL", srv.get("/api/assets/from_file")[2])

    # an edit in two quick steps (truncated, then whole) is reloaded once, whole
    _, err_before = pr.output()
    with open(yaml, "w") as f:
        f.write(PROJECT[: len(PROJECT) // 2])
        f.flush()
        time.sleep(0.05)
        f.seek(0)
        f.write(PROJECT + "  stepped:\n    sql: SELECT 3 AS three\n")
    took = appears(srv, "stepped")
    _, err_after = pr.output()
    t.ok(took is not None and "reload:" not in err_after[len(err_before):],
         "a save in several steps is reloaded after the last one: no error in between",
         err_after[len(err_before):])

    # a broken file: the error with its file and line, the old definitions still served
    before = assets(srv)
    write(yaml, PROJECT + "  broken: [\n")
    ok = wait_until(lambda: health(srv).get("project_error"), SOON, 0.05)
    h = health(srv)
    err = h.get("project_error") or ""
    t.ok(ok and re.search(r"tranche\.yaml:\d+:\d+: ", err),
         "a broken tranche.yaml: GET /api/health says its error, with the file and the line", h)
    t.ok(assets(srv) == before and h.get("ok") is True,
         "the previous definitions keep serving", assets(srv))
    write(yaml, PROJECT)
    ok = wait_until(lambda: health(srv).get("project_error") is None and
                    "stepped" not in assets(srv), SOON, 0.05)
    t.ok(ok, "fixing it clears the error and loads the fixed file", health(srv))
    _, err = pr.output()
    t.ok(err.count("did not find expected node content") == 1,
         "the error is logged once, not every second", err)

    # a project naming an SQL file that is not there yet: fixed by creating the file
    write(yaml, PROJECT + "  later:\n    sql_file: sql/later.sql\n")
    ok = wait_until(lambda: "later.sql" in (health(srv).get("project_error") or ""), SOON, 0.05)
    t.ok(ok, "an sql_file that does not exist is the project's error", health(srv))
    write(os.path.join(pr.dir, "sql", "later.sql"), "SELECT 4 AS four\n")
    took = appears(srv, "later")
    t.ok(took is not None and health(srv).get("project_error") is None,
         "creating the missing file clears the error (a file only the fixed project names)",
         health(srv))

    # a run going on keeps the definitions it started with
    s, _, a = srv.post("/api/backfills", {"selection": "events", "all": True, "jobs": 1})
    run_id = a.get("run_id") if isinstance(a, dict) else None
    t.ok(s == 202 and run_id, "a backfill runs in the server", (s, a))
    write(yaml, PROJECT.replace("day, i FROM", "day, i, 'new' AS col FROM") +
          "  later:\n    sql_file: sql/later.sql\n  during:\n    sql: SELECT 5 AS five\n")
    took = appears(srv, "during", 10)
    s, _, run = srv.get(f"/api/runs/{run_id}")
    t.ok(took is not None and run.get("status") == "running",
         "the project is reloaded while the run goes on", (assets(srv), run))
    ok = srv.run_ended(run_id)
    s, _, run = srv.get(f"/api/runs/{run_id}")
    t.ok(ok and run.get("status") == "success" and run.get("steps_succeeded") == 36,
         "the run is not disturbed: it ends with the definitions it started with", run)
    r = pr.run("query", "SELECT count(*) AS n FROM information_schema.columns WHERE "
               "table_name = 'events' AND column_name = 'col'", "--csv")
    t.ok(r.stdout == "n\n0\n", "its partitions were written with the old SQL", r.stdout + r.stderr)
    t.ok(srv.stop() == 0, "the server stops (the watch ends with it)")
    srv = None

    # --no-watch: only POST /api/reload reloads
    write(yaml, PROJECT)
    srv = Server(pr, "--no-watch")
    write(yaml, PROJECT + "  unwatched:\n    sql: SELECT 6 AS six\n")
    time.sleep(SOON)
    t.ok("unwatched" not in assets(srv), f"--no-watch: an edit is not reloaded ({SOON:.0f} s later)",
         assets(srv))
    write(yaml, PROJECT + "  broken: [\n")
    time.sleep(2)
    t.ok(health(srv).get("project_error") is None, "--no-watch: nor is a broken file looked at",
         health(srv))
    write(yaml, PROJECT + "  unwatched:\n    sql: SELECT 6 AS six\n")
    s, _, a = srv.post("/api/reload")
    t.ok(s == 200 and a.get("ok") is True and "unwatched" in assets(srv),
         "--no-watch: POST /api/reload still reloads", (s, a))
    t.ok(srv.stop() == 0, "the server stops")
    srv = None
finally:
    if srv:
        srv.stop()
    pr.cleanup()
t.done()
