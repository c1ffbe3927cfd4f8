#!/usr/bin/env python3
"""`tranche query`, `tranche wipe` and `tranche adopt` while `tranche serve` owns
the warehouse: they go through POST /api/query, /api/assets/NAME/wipe and
/api/assets/NAME/adopt and print the same, with the same exit statuses, as
without a server; a query that writes is refused (read-only) and changes
nothing; a wipe of partitions a running run writes is refused (409); bad
bodies are 400s naming the field; the token and same-origin checks apply.
Usage: test_serve_admin.py PATH/TO/tranche"""
import json
import threading
import time

from lib import Project, Tap, binary_from_argv, wait_until
from serve_lib import Server

NOW = "2024-01-06"  # daily partitions 2024-01-01 .. 2024-01-05
TOKEN = "s3cret-token-for-tests"
PROJECT = """name: admin
partitions:
  daily: {type: daily, start: 2024-01-01}
assets:
  events:
    partitions: daily
    partition_expr: day
    sql: SELECT CAST($partition_start AS DATE) AS day, 1 AS n, 'x' AS s
  totals:
    sql: SELECT count(*) AS days FROM events
  legacy:
    partitions: daily
    partition_expr: day
    sql: SELECT CAST($partition_start AS DATE) AS day, 2 AS n
  slow:
    partitions: daily
    partition_expr: day
    sql: SELECT CAST($partition_start AS DATE) AS day, i, hash(i) AS h FROM range(3000000) t(i)
"""

QUERIES = [
    ("SELECT * FROM events ORDER BY day",),
    ("SELECT * FROM events ORDER BY day", "--json"),
    ("SELECT * FROM events ORDER BY day", "--csv"),
    ("SELECT * FROM events ORDER BY day", "--max-rows", "2"),
    ("SELECT day, n * 1.5 AS x, NULL AS nothing, true AS yes, [1, 2] AS list FROM events "
     "ORDER BY day; ",),
    ("SELECT 1 AS a; SELECT 2 AS b, 'two' AS c",),
    ("DESCRIBE events",),
    ("SELEC 1",),
    ("SELECT CAST('a' AS INT)",),
    ("SELECT * FROM nowhere",),
]

t = Tap()
pr = Project(binary_from_argv(), PROJECT, now=NOW)
srv = None
try:
    r = pr.run("materialize", "events,totals", "--all")
    t.ok(r.returncode == 0, "the CLI materializes events and totals before the server starts",
         r.stderr)
    r = pr.run("query", "CREATE TABLE legacy AS SELECT * FROM (VALUES (DATE '2024-01-01', 1), "
               "(DATE '2024-01-02', 1), (DATE '2023-12-31', 1)) AS t(day, n)")
    t.ok(r.returncode == 0, "a table with history is made by hand (tranche query writes "
         "without a server)", r.stderr)

    # what the commands print without a server
    local_queries = [pr.run("query", *q) for q in QUERIES]
    local_adopt = pr.run("adopt", "legacy", "--dry-run")
    local_adopt_json = pr.run("adopt", "legacy", "--dry-run", "--json")
    local_wipe_bad = pr.run("wipe", "events", "--partition", "2024-01-09")
    local_wipe_unpartitioned = pr.run("wipe", "totals", "--partition", "x")

    srv = Server(pr)
    t.ok(True, "tranche serve is up")

    # ---- query -------------------------------------------------------------------------
    same = []
    for q, local in zip(QUERIES, local_queries):
        remote = pr.run("query", *q)
        if (remote.stdout, remote.stderr, remote.returncode) != (local.stdout, local.stderr,
                                                                local.returncode):
            same.append(f"{q}: local exit {local.returncode} {local.stdout!r} {local.stderr!r}; "
                        f"through the server exit {remote.returncode} {remote.stdout!r} "
                        f"{remote.stderr!r}")
    t.ok(not same, f"tranche query prints the same, with the same exit status, through the "
         f"server ({len(QUERIES)} queries: text, JSON, CSV, --max-rows, types, several "
         f"statements, DESCRIBE, errors)", "\n".join(same))

    for sql, kind in [("INSERT INTO events VALUES (DATE '2024-02-01', 9, 'y')", "INSERT"),
                      ("CREATE TABLE sneaky AS SELECT 1 AS a", "CREATE"),
                      ("SELECT 1; DROP TABLE events", "DROP"),
                      ("EXPLAIN ANALYZE DELETE FROM events", "write")]:
        r = pr.run("query", sql)
        t.ok(r.returncode == 2 and "read-only" in r.stderr + r.stdout and "tranche serve" in
             r.stderr and kind in r.stderr,
             f"a query that writes ({sql!r}) is refused with exit 2, saying it is read-only "
             f"while tranche serve runs", f"exit {r.returncode}: {r.stderr}")
    r = pr.run("query", "SELECT count(*) AS n FROM events", "--json")
    tables = pr.run("query", "SELECT count(*) AS n FROM information_schema.tables WHERE "
                    "table_name = 'sneaky'", "--json")
    t.ok(r.returncode == 0 and json.loads(r.stdout) == [{"n": 5}] and
         json.loads(tables.stdout) == [{"n": 0}], "nothing was written by the refused queries",
         r.stdout + r.stderr + tables.stdout)

    s, _, a = srv.post("/api/query", {"sql": "SELECT range AS i FROM range(10)", "limit": 3})
    t.ok(s == 200 and a["columns"] == [{"name": "i", "type": "BIGINT", "numeric": True}] and
         a["rows"] == [[0], [1], [2]] and a["truncated"] is True and a["row_count"] == 3,
         "POST /api/query answers columns and rows, limited, and says when rows were left out",
         (s, a))
    s, _, a = srv.post("/api/query", {"sql": "UPDATE events SET n = 2"})
    t.ok(s == 400 and a["error"]["code"] == "read_only" and "UPDATE" in srv.error(a),
         "POST /api/query with an UPDATE: 400 read_only naming the statement", (s, a))
    s, _, a = srv.post("/api/query", {"sql": "SELEC 1"})
    t.ok(s == 400 and a["error"]["code"] == "bad_request" and "Parser Error" in srv.error(a),
         "POST /api/query with bad SQL: 400 with DuckDB's message", (s, a))
    for body, field in [({}, "sql"), ({"sql": 5}, "sql"), ({"sql": "  "}, "sql"),
                        ({"sql": "SELECT 1", "limit": 0}, "limit"),
                        ({"sql": "SELECT 1", "limit": "10"}, "limit"),
                        ({"sql": "SELECT 1", "rows": 10}, "rows")]:
        s, _, a = srv.post("/api/query", body)
        t.ok(s == 400 and field in srv.error(a),
             f"POST /api/query {json.dumps(body)}: 400 naming {field}", (s, a))

    # ---- wipe --------------------------------------------------------------------------
    r = pr.run("wipe", "events", "--partition", "2024-01-02")
    t.ok(r.returncode == 0 and r.stdout == "wiped 1 partition of events: 1 row deleted\n" and
         "through tranche serve" in r.stderr,
         "tranche wipe --partition goes through the server and prints what it wiped",
         f"exit {r.returncode}: {r.stdout} {r.stderr}")
    s, _, a = srv.get("/api/assets/events/partitions")
    t.ok(s == 200 and a["counts"]["missing"] == 1 and
         a["ranges"]["missing"] == [[1, 1, "2024-01-02", "2024-01-02"]],
         "GET partitions then shows the wiped partition missing", (s, a))
    r = pr.run("query", "SELECT count(*) AS n FROM events WHERE day = DATE '2024-01-02'", "--json")
    t.ok(json.loads(r.stdout or "null") == [{"n": 0}], "its rows are gone", r.stdout + r.stderr)
    r = pr.run("wipe", "events", "--partition", "2024-01-09")
    t.ok((r.returncode, r.stdout) == (local_wipe_bad.returncode, local_wipe_bad.stdout) and
         local_wipe_bad.stderr.strip() in r.stderr and r.returncode == 2,
         "a key that does not exist: the same message and exit 2 as without a server",
         f"{r.returncode} {r.stderr} / {local_wipe_bad.stderr}")
    r = pr.run("wipe", "totals", "--partition", "x")
    t.ok((r.returncode, r.stderr) == (local_wipe_unpartitioned.returncode,
                                      local_wipe_unpartitioned.stderr) and r.returncode == 2,
         "partitions of an unpartitioned asset: the same refusal as without a server",
         r.stderr)
    r = pr.run("wipe", "totals")
    t.ok(r.returncode == 0 and r.stdout == "wiped totals: table totals dropped (1 row)\n",
         "tranche wipe ASSET drops the table through the server", r.stdout + r.stderr)

    s, _, a = srv.post("/api/assets/events/wipe", {"from": "2024-01-04", "to": "2024-01-05"})
    t.ok(s == 200 and a == {"asset": "events", "table": "events", "whole": False,
                            "partitions": 2, "rows_deleted": 2},
         "POST /api/assets/NAME/wipe with from/to answers what was wiped", (s, a))
    for body, field in [({}, "partitions"), ({"partitions": "2024-01-01"}, "partitions"),
                        ({"partitions": []}, "partitions"), ({"from": "2024-01-01"}, "from and to"),
                        ({"all": "yes"}, "all"), ({"all": True, "from": "2024-01-01",
                                                   "to": "2024-01-01"}, "choose only"),
                        ({"partitions": ["2024-01-01"], "keys": 1}, "keys"),
                        ({"all": True, "now": "yesterday"}, "now")]:
        s, _, a = srv.post("/api/assets/events/wipe", body)
        t.ok(s == 400 and field in srv.error(a),
             f"POST wipe {json.dumps(body)}: 400 naming {field}", (s, a))
    s, _, a = srv.post("/api/assets/evnts/wipe", {"all": True})
    t.ok(s == 404 and "events" in srv.error(a), "wipe of an unknown asset: 404 with the nearest "
         "name", (s, a))
    s, _, a = srv.post("/api/assets/events/wipe", {"partitions": ["2024-13-01"]})
    t.ok(s == 400 and "asset events (daily partitions)" in srv.error(a),
         "wipe of a bad key: 400 naming the asset and the key", (s, a))

    # a wipe of partitions a running run writes: 409, nothing wiped
    s, _, a = srv.post("/api/backfills", {"selection": "slow", "all": True, "jobs": 1})
    run_id = a.get("run_id") if isinstance(a, dict) else None
    t.ok(s == 202 and run_id, "a slow backfill runs in the server", (s, a))
    s, _, a = srv.post("/api/assets/slow/wipe", {"all": True})
    t.ok(s == 409 and a["error"]["code"] == "conflict" and f"run {run_id}" in srv.error(a),
         "wiping an asset a run is writing: 409 naming the run", (s, a))
    r = pr.run("wipe", "slow", "--partition", "2024-01-05")
    t.ok(r.returncode != 0 and f"run {run_id}" in r.stderr,
         "tranche wipe of a partition the run writes is refused the same way", r.stderr)
    s, _, a = srv.post(f"/api/runs/{run_id}/cancel")
    t.ok(s == 200 and srv.run_ended(run_id), "the backfill is canceled", (s, a))

    # ---- adopt -------------------------------------------------------------------------
    r = pr.run("adopt", "legacy", "--dry-run")
    t.ok((r.stdout, r.returncode) == (local_adopt.stdout, local_adopt.returncode) and
         r.returncode == 0 and "would adopt 2 partitions" in r.stdout,
         "tranche adopt --dry-run prints the same through the server",
         f"{r.stdout}{r.stderr} / {local_adopt.stdout}")
    r = pr.run("adopt", "legacy", "--dry-run", "--json")
    t.ok((r.stdout, r.stderr, r.returncode) == (local_adopt_json.stdout, local_adopt_json.stderr,
                                                local_adopt_json.returncode),
         "tranche adopt --dry-run --json prints the same JSON through the server",
         f"{r.stdout} / {local_adopt_json.stdout}")
    r = pr.run("adopt", "legacy")
    t.ok(r.returncode == 0 and "adopted 2 partitions (2 rows) as materialized" in r.stdout and
         "rows in no partition: 1" in r.stdout,
         "tranche adopt records through the server", r.stdout + r.stderr)
    s, _, a = srv.get("/api/assets/legacy/partitions")
    t.ok(s == 200 and a["counts"]["materialized"] == 2, "the adopted partitions are "
         "materialized", (s, a))
    s, _, a = srv.post("/api/assets/legacy/adopt", {"dry_run": True})
    t.ok(s == 200 and a["recorded"] == 0 and a["left_as_they_are"]["materialized"] == 2 and
         a["missing_after"] == 3, "POST /api/assets/NAME/adopt answers the report", (s, a))
    s, _, a = srv.post("/api/assets/totals/adopt", {})
    t.ok(s == 404 and "does not exist" in srv.error(a),
         "adopt of an asset whose table does not exist: 404", (s, a))
    for body, field in [({"dry_run": "yes"}, "dry_run"), ({"json": True}, "json"),
                        ({"now": 5}, "now")]:
        s, _, a = srv.post("/api/assets/legacy/adopt", body)
        t.ok(s == 400 and field in srv.error(a),
             f"POST adopt {json.dumps(body)}: 400 naming {field}", (s, a))

    # ---- the router's checks apply ---------------------------------------------------------
    s, _, a = srv.req("POST", "/api/query", raw=b'{"sql": "SELECT 1"}')
    t.ok(s == 415, "POST /api/query without a JSON content type: 415", (s, a))
    s, _, a = srv.post("/api/query", {"sql": "SELECT 1"},
                       headers={"Origin": "http://evil.example"})
    t.ok(s == 403, "POST /api/query from a foreign Origin: 403", (s, a))
    s, _, a = srv.post("/api/assets/events/wipe", {"all": True},
                       headers={"Origin": "http://evil.example"})
    t.ok(s == 403, "POST wipe from a foreign Origin: 403, nothing wiped", (s, a))
    # a query still running when the server stops is interrupted: the stop does not wait for it
    answers = []

    def endless():
        try:
            answers.append(srv.post("/api/query", {"sql": "SELECT sum(i) FROM "
                                                   "range(10000000000000) t(i)"}, timeout=120))
        except OSError as e:  # the connection closed by the stop, without an answer
            answers.append(e)
    worker = threading.Thread(target=endless)
    worker.start()
    time.sleep(1)
    t0 = time.monotonic()
    status = srv.stop()
    took = time.monotonic() - t0
    worker.join(120)
    t.ok(status == 0 and took < 20 and answers and
         (isinstance(answers[0], OSError) or "interrupted" in srv.error(answers[0][2])),
         "a query running when the server stops is interrupted: the server stops at once",
         (status, took, answers))
    srv = None

    # with a token: the CLI needs it, the API refuses without it
    srv = Server(pr, "--token", TOKEN, token=TOKEN)
    s, _, a = srv.post("/api/query", {"sql": "SELECT 1"}, auth=False)
    t.ok(s == 401, "POST /api/query without the server's token: 401", (s, a))
    s, _, a = srv.post("/api/assets/events/wipe", {"all": True}, auth=False)
    t.ok(s == 401, "POST wipe without the token: 401", (s, a))
    r = pr.run("query", "SELECT 1 AS one")
    t.ok(r.returncode == 2 and "TRANCHE_TOKEN" in r.stderr,
         "tranche query without TRANCHE_TOKEN: exit 2 saying to set it", r.stderr)
    pr.env["TRANCHE_TOKEN"] = TOKEN
    r = pr.run("query", "SELECT 1 AS one", "--csv")
    t.ok(r.returncode == 0 and r.stdout == "one\n1\n", "with TRANCHE_TOKEN it goes through",
         r.stdout + r.stderr)
    del pr.env["TRANCHE_TOKEN"]
    t.ok(srv.stop() == 0, "the server stops")
    srv = None

    r = pr.run("query", "SELECT count(*) AS n FROM events", "--csv")
    t.ok(r.returncode == 0 and r.stdout == "n\n2\n",
         "without a server, tranche query opens the warehouse again", r.stdout + r.stderr)
finally:
    if srv:
        srv.stop()
    pr.cleanup()
t.done()
