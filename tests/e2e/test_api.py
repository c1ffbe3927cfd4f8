#!/usr/bin/env python3
"""`tranche serve`: every route of the JSON API (docs/api.md) on a real server
on a loopback port — answers and error bodies, a backfill launched through the
API to completion, the event stream (SSE), cancel and resume, dynamic
partitions, reload with a broken project file, the safety checks (token,
Host, Origin, content type, body size, 404, 405), the CLI submitting through
the server while it owns the warehouse, and a graceful stop.
Usage: test_api.py PATH/TO/tranche"""
import http.client
import json
import os
import re
import signal
import time

from lib import NOW, Project, Tap, binary_from_argv, wait_exit, wait_until
import serve_lib

ROWS_SLOW = 300000
PROJECT = f"""name: api
partitions:
  daily: {{type: daily, start: 2024-01-01}}
  tickers: {{type: dynamic, name: tickers}}
assets:
  events:
    description: one row per day
    partitions: daily
    partition_expr: day
    sql: SELECT CAST($partition_start AS DATE) AS day, 1 AS n
    checks:
      - name: one_row
        sql: SELECT * FROM events WHERE n <> 1
  totals:
    sql: SELECT count(*) AS days FROM events
  slow:
    partitions: daily
    partition_expr: day
    sql: SELECT CAST($partition_start AS DATE) AS day, i, hash(i) AS h FROM range({ROWS_SLOW}) t(i)
  grid:
    partitions:
      type: multi
      dimensions:
        date: {{type: daily, start: 2024-04-01}}
        ticker: {{type: static, keys: [A, B, C]}}
    partition_expr: {{date: day, ticker: ticker}}
    sql: SELECT CAST($partition_start_date AS DATE) AS day, $partition_key_ticker AS ticker
  prices:
    partitions: tickers
    partition_expr: ticker
    sql: SELECT $partition_key AS ticker, 1.0 AS price
  live:
    partitions: daily
    partition_expr: day
    command: sleep 0.03; printf 'day,n\\n%s,1\\n' "$TRANCHE_PARTITION_KEY" > "$TRANCHE_OUTPUT"
  live_next:
    deps: [live]
    partitions: daily
    partition_expr: day
    sql: SELECT CAST($partition_start AS DATE) AS day, count(*) AS n FROM live WHERE day = CAST($partition_start AS DATE)
  hours:
    partitions: {{type: hourly, start: "2024-04-01-00:00"}}
    partition_expr: hour
    sql: SELECT CAST($partition_start AS TIMESTAMP) AS hour, 1 AS n
  again:
    partitions: daily
    partition_expr: day
    sql: SELECT CAST($partition_start AS DATE) AS day, i, hash(i) AS h FROM range({ROWS_SLOW}) t(i)
"""

# Stale partitions (docs/assets.md): raw -> clean (daily, identity) -> monthly
# (time window) -> total (unpartitioned), as in tests/cli/stale.t.
STALE_PROJECT = """name: stale
assets:
  raw:
    partitions: {type: daily, start_date: 2024-01-01}
    partition_expr: day
    sql: SELECT $partition_start::DATE AS day, 1 AS v
  clean:
    partitions: {type: daily, start_date: 2024-01-01}
    partition_expr: day
    deps: [raw]
    sql: SELECT day, v * 2 AS v FROM raw WHERE day = $partition_start::DATE
  monthly:
    partitions: {type: monthly, start_date: 2024-01-01}
    partition_expr: month
    deps: [clean]
    sql: SELECT date_trunc('month', day) AS month, sum(v) AS v FROM clean WHERE day >= $partition_start::DATE AND day < $partition_end::DATE GROUP BY 1
  total:
    deps: [monthly]
    sql: SELECT sum(v) AS v FROM monthly
"""

t = Tap()
pr = Project(binary_from_argv(), PROJECT)


class Server(serve_lib.Server):
    """serve_lib's server, with the SSE reader these tests use."""

    def stream(self, path, until="end", timeout=60, on_open=None, headers=None):
        """Reads SSE frames from path until an `until` frame: [(event, id, data)]."""
        c = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        frames, event, fid, data = [], None, None, []
        if on_open:
            on_open()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = r.readline()
            if not line:
                break
            line = line.decode().rstrip("\r\n")
            if line == "":
                if event or data:
                    frames.append((event, fid, json.loads("\n".join(data)) if data else None))
                    if event == until:
                        break
                event, fid, data = None, None, []
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("id: "):
                fid = int(line[4:])
            elif line.startswith("data: "):
                data.append(line[6:])
        c.close()
        return r.status, r.getheader("Content-Type"), frames


def err_of(r):
    return r.get("error", {}) if isinstance(r, dict) else {}


try:
    srv = Server(pr)
    t.ok(srv.url.startswith("http://127.0.0.1:"), "serve --port 0 prints the URL it listens on",
         srv.url)
    sj = json.load(open(os.path.join(pr.dir, ".tranche", "server.json")))
    t.ok(sj["url"] == srv.url and sj["pid"] == srv.p.pid and sj["token_required"] is False,
         ".tranche/server.json has the pid and URL", sj)

    # ---- health, UI ----
    s, h, r = srv.get("/api/health")
    t.ok(s == 200 and r["ok"] and r["project"] == "api" and r["project_error"] is None
         and r["now"] == 1714521600000 and r["runs_active"] == 0,
         "GET /api/health", r)
    t.ok(h.get("cache-control") == "no-store" and h.get("x-content-type-options") == "nosniff",
         "API answers are no-store, nosniff", h)
    s, h, r = srv.get("/")
    t.ok(s == 200 and h["content-type"].startswith("text/html"), "GET / serves the UI's page",
         (s, h))
    s, h, r = srv.get("/no-such-file.js")
    t.ok(s == 404 and err_of(r).get("code") == "not_found", "an unknown UI file is 404", r)

    # ---- assets ----
    s, _, r = srv.get("/api/assets")
    names = [a["name"] for a in r["assets"]] if s == 200 else []
    ev = next((a for a in r["assets"] if a["name"] == "events"), {}) if s == 200 else {}
    t.ok(s == 200 and set(names) == {"events", "totals", "slow", "grid", "prices", "live",
                                     "live_next", "hours", "again"}
         and ev["partitions"]["total"] == 121 and ev["partitions"]["missing"] == 121
         and ev["downstream"] == ["totals"] and ev["kind"] == "sql",
         "GET /api/assets lists the assets with partition counts", r)
    s, _, r = srv.get("/api/assets?selection=events%2B")
    t.ok(s == 200 and [a["name"] for a in r["assets"]] == ["events", "totals"],
         "GET /api/assets?selection= selects", r)
    s, _, r = srv.get("/api/assets/events")
    t.ok(s == 200 and r["definition"]["type"] == "daily" and r["definition"]["start"] == "2024-01-01"
         and r["dimensions"][0]["count"] == 121 and r["dimensions"][0]["last"] == "2024-04-30"
         and r["checks"][0]["name"] == "one_row" and "2024-04-30" in r["description_of_partitions"]
         and r["partition_expr"] == ["day"] and "sql" in r,
         "GET /api/assets/NAME: definition, dimensions, checks, explanation", r)
    s, _, r = srv.get("/api/assets/nope")
    t.ok(s == 404 and "nope" in err_of(r).get("message", ""), "unknown asset: 404 naming it", r)
    s, _, r = srv.get("/api/assets/events/partitions")
    t.ok(s == 200 and r["counts"]["missing"] == 121
         and r["ranges"]["missing"] == [[0, 120, "2024-01-01", "2024-04-30"]],
         "partitions: counts and ranges before any run", r)

    # ---- a backfill through the API ----
    s, _, r = srv.post("/api/backfills", {"selection": "events", "from": "2024-01-01",
                                          "to": "2024-01-10", "dry_run": True})
    t.ok(s == 200 and r["partitions"] == 10 and r["plan"][0]["asset"] == "events"
         and r["plan"][0]["ranges"] == ["2024-01-01...2024-01-10"],
         "POST /api/backfills dry_run answers the plan", r)
    s, _, r = srv.post("/api/backfills", {"selection": "events", "all": True, "jobs": 2})
    t.ok(s == 202 and r["run_id"] and r["backfill_id"] and r["partitions"] == 121,
         "POST /api/backfills answers 202 with the run and backfill ids", r)
    run1, bf1 = r.get("run_id"), r.get("backfill_id")
    t.ok(srv.run_ended(run1), "the backfill's run ends")
    s, _, r = srv.get(f"/api/runs/{run1}")
    t.ok(s == 200 and r["status"] == "success" and r["steps_succeeded"] == 121
         and len(r["steps"]) == 121 and r["steps"][0]["state"] == "success"
         and r["backfill_id"] == bf1,
         "GET /api/runs/ID: the run and its steps", {k: r.get(k) for k in ("status", "steps_succeeded")})
    s, _, r = srv.get("/api/assets/events/partitions")
    t.ok(s == 200 and r["counts"]["materialized"] == 121 and r["counts"]["missing"] == 0,
         "partitions shows every partition materialized", r.get("counts"))
    s, _, r = srv.get("/api/assets/events/partitions/grid?cols=10")
    t.ok(s == 200 and r["kind"] == "strip" and r["cols"] == 10 and r["bucket_size"] == 13
         and sum(b[0] for b in r["buckets"]) == 121 and r["labels"][0]["key"] == "2024-01-01",
         "grid: a strip of buckets summing to the partitions", r)
    s, _, r = srv.get("/api/assets/events/partitions/grid?from=5&to=2")
    t.ok(s == 400 and "from" in err_of(r)["message"], "grid: from after to is 400", r)
    s, _, r = srv.get("/api/assets/events/partitions?state=materialized&offset=119&limit=5")
    t.ok(s == 200 and r["total_in_state"] == 121 and [k["key"] for k in r["keys"]]
         == ["2024-04-29", "2024-04-30"], "partitions?state= pages keys", r)
    s, _, r = srv.get("/api/assets/events/partitions?state=nope")
    t.ok(s == 400 and "materialized" in err_of(r)["message"], "unknown state: 400 listing them", r)
    s, _, r = srv.get("/api/assets/events/materializations?limit=2")
    t.ok(s == 200 and len(r["materializations"]) == 2
         and r["materializations"][0]["row_count"] == 1, "materializations, newest first", r)
    s, _, r = srv.get("/api/assets/events/materializations?partition=2024-01-05")
    t.ok(s == 200 and [m["partition"] for m in r["materializations"]] == ["2024-01-05"],
         "materializations of one partition", r)
    s, _, r = srv.get("/api/assets/events/materializations?partition=2024-13-01")
    t.ok(s == 400 and "2024-13-01" in err_of(r)["message"], "a bad partition key: 400", r)
    s, _, r = srv.get("/api/assets/events/metadata_series?name=row_count&limit=5")
    t.ok(s == 200 and len(r["points"]) == 5 and all(p["value"] == 1 for p in r["points"]),
         "metadata_series of row_count", r)
    s, _, r = srv.get("/api/assets/events/checks")
    t.ok(s == 200 and len(r["checks"]) == 121 and r["checks"][0]["passed"] is True,
         "checks: latest result per partition", r if s != 200 else len(r["checks"]))

    # ---- events, streams ----
    s, _, r = srv.get(f"/api/runs/{run1}/events?limit=3")
    t.ok(s == 200 and len(r["events"]) == 3 and r["events"][0]["type"] == "run_start"
         and r["last_id"] == r["events"][-1]["id"], "GET /api/runs/ID/events pages", r)
    last = r["last_id"]
    s, _, r = srv.get(f"/api/runs/{run1}/events?after={last}&limit=1")
    t.ok(s == 200 and r["events"][0]["id"] > last, "events?after= continues", r)
    s, ctype, frames = srv.stream(f"/api/runs/{run1}/stream")
    types = [f[0] for f in frames]
    t.ok(s == 200 and ctype.startswith("text/event-stream") and types[0] == "run_start"
         and "materialization" in types and types[-1] == "end"
         and all(f[1] for f in frames if f[0] not in ("end", "summary", "progress")),
         "the stream of an ended run: its events with ids, then end", types[:5] + types[-3:])
    s, _, r = srv.get("/api/runs")
    t.ok(s == 200 and r["runs"][0]["id"] == run1, "GET /api/runs", r)
    s, _, r = srv.get(f"/api/runs?before={run1}")
    t.ok(s == 200 and r["runs"] == [], "GET /api/runs?before= pages", r)
    s, _, r = srv.get("/api/runs/999")
    t.ok(s == 404, "an unknown run: 404", r)
    s, _, r = srv.get("/api/runs/abc")
    t.ok(s == 400 and "abc" in err_of(r)["message"], "a run id that is not a number: 400", r)

    # a live run: stream it, see progress, cancel it
    s, _, r = srv.post("/api/backfills", {"selection": "slow", "all": True, "jobs": 1})
    run2, bf2 = r.get("run_id"), r.get("backfill_id")
    t.ok(s == 202 and run2, "a slow backfill starts", r)

    def cancel_soon():
        time.sleep(0.5)
        s2, _, r2 = srv.post(f"/api/runs/{run2}/cancel")
        cancel_soon.answer = (s2, r2)

    import threading
    th = threading.Thread(target=cancel_soon)
    s, ctype, frames = srv.stream(f"/api/runs/{run2}/stream", on_open=th.start)
    th.join()
    types = [f[0] for f in frames]
    t.ok("progress" in types and "step_start" in types and "run_canceled" in types
         and types[-2:] == ["summary", "end"] and frames[-2][2]["status"] == "canceled",
         "the live stream: progress, step events, run_canceled, summary, end", types[-6:])
    t.ok(cancel_soon.answer[0] == 200 and cancel_soon.answer[1]["status"] == "canceled",
         "POST /api/runs/ID/cancel answers once the run has ended: canceled", cancel_soon.answer)
    s, _, r = srv.get(f"/api/runs/{run2}")
    t.ok(r["status"] == "canceled", "the run ended canceled", r.get("status"))
    s, _, r = srv.post(f"/api/runs/{run2}/cancel")
    t.ok(s == 409 and "already ended" in err_of(r)["message"], "canceling an ended run: 409", r)
    s, _, r = srv.get("/api/backfills")
    t.ok(s == 200 and r["backfills"][0]["id"] == bf2 and r["backfills"][0]["status"] == "canceled",
         "GET /api/backfills", r)
    s, _, r = srv.get(f"/api/backfills/{bf2}")
    t.ok(s == 200 and r["assets"][0]["asset"] == "slow" and r["resume"]["partitions"] > 0
         and r["runs"] == [run2], "GET /api/backfills/ID with what resume would run", r)
    s, _, r = srv.post(f"/api/backfills/{bf2}/resume", {"jobs": 2})
    run3 = r.get("run_id")
    t.ok(s == 202 and run3 and r["backfill_id"] == bf2, "POST /api/backfills/ID/resume", r)
    s, _, r = srv.post("/api/backfills", {"selection": "slow", "all": True})
    t.ok(s == 409 and "being written by run" in err_of(r)["message"],
         "a backfill over partitions a run is writing: 409", r)
    s, _, r = srv.post(f"/api/backfills/{bf2}/cancel")
    t.ok(s == 200 and r["status"] in ("canceling", "canceled"), "POST /api/backfills/ID/cancel", r)
    t.ok(srv.run_ended(run3), "the resumed run stops")
    s, _, r = srv.post(f"/api/backfills/{bf2}/cancel")
    t.ok(s == 409, "canceling a canceled backfill: 409", r)
    s, _, r = srv.get("/api/backfills/77")
    t.ok(s == 404, "an unknown backfill: 404", r)

    # ---- materialize, validation ----
    s, _, r = srv.post("/api/materialize", {"selection": "totals"})
    t.ok(s == 202 and r["run_id"] and r["backfill_id"] is None, "POST /api/materialize", r)
    t.ok(srv.run_ended(r.get("run_id", 0)), "the materialize ends")
    s, _, r = srv.post("/api/materialize", {"selection": "events", "partitions": ["2024-02-30"]})
    t.ok(s == 400 and "2024-02-30" in err_of(r)["message"], "a bad key: 400 naming it", r)
    s, _, r = srv.post("/api/materialize", {"selection": "nope", "all": True})
    t.ok(s in (400, 404) and "nope" in err_of(r)["message"], "an unknown asset: refused", r)
    s, _, r = srv.post("/api/materialize", {"selection": "events", "all": True, "missing": True})
    t.ok(s == 400 and "choose one" in err_of(r)["message"], "two picks: 400", r)
    s, _, r = srv.post("/api/materialize", {"selection": "events", "jobs": "many"})
    t.ok(s == 400 and "jobs" in err_of(r)["message"], "jobs not a number: 400 naming it", r)
    s, _, r = srv.post("/api/materialize", {"selection": "events", "colour": "red"})
    t.ok(s == 400 and "colour" in err_of(r)["message"] and "selection" in err_of(r)["message"],
         "an unknown field: 400 naming it and the valid ones", r)
    s, _, r = srv.req("POST", "/api/materialize", raw=b"{not json",
                      headers={"Content-Type": "application/json"})
    t.ok(s == 400 and "request body" in err_of(r)["message"], "a body that is not JSON: 400", r)
    s, _, r = srv.post("/api/materialize", {"selection": "events", "missing": True})
    t.ok(s == 200 and r["status"] == "nothing_to_do", "nothing to do: 200 nothing_to_do", r)

    # ---- grid of a multi asset ----
    s, _, r = srv.post("/api/backfills", {"selection": "grid", "all": True})
    t.ok(s == 202 and srv.run_ended(r["run_id"]), "the multi asset is backfilled", r)
    s, _, r = srv.get("/api/assets/grid/partitions/grid?cols=30")
    t.ok(s == 200 and r["kind"] == "grid" and r["rows"] == ["A", "B", "C"]
         and r["col_dimension"] == "date" and r["cols"] == 30
         and all(c == [1, 0, 0, 0, 0] for row in r["cells"] for c in row),
         "grid: rows of the static dimension, columns over time", r)

    # ---- dynamic partitions ----
    s, _, r = srv.get("/api/partitions/tickers")
    t.ok(s == 200 and r["keys"] == [], "GET /api/partitions/NAME: no keys yet", r)
    s, _, r = srv.post("/api/partitions/tickers", {"add": ["IBM", "AAPL", "IBM"]})
    t.ok(s == 200 and r["changed"] == 2 and r["keys"] == ["IBM", "AAPL"],
         "POST add: keys added once, in order", r)
    s, _, r = srv.post("/api/partitions/tickers", {"add": ["a...b"]})
    t.ok(s == 400 and "a...b" in err_of(r)["message"], "a bad key: 400", r)
    s, _, r = srv.post("/api/partitions/tickers", {"delete": ["IBM"]})
    t.ok(s == 200 and r["changed"] == 1 and r["keys"] == ["AAPL"], "POST delete", r)
    s, _, r = srv.post("/api/partitions/tickers", {"add": ["X"], "delete": ["Y"]})
    t.ok(s == 400, "add and delete at once: 400", r)
    s, _, r = srv.get("/api/partitions/nope")
    t.ok(s == 404 and "tickers" in err_of(r)["message"], "an unknown set: 404 naming the sets", r)
    s, _, r = srv.get("/api/assets/prices/partitions")
    t.ok(s == 200 and r["total"] == 1, "the dynamic asset has the key", r)

    # ---- lineage ----
    s, _, r = srv.get("/api/lineage")
    nodes = {n["name"]: n for n in r.get("nodes", [])} if s == 200 else {}
    t.ok(s == 200 and nodes["events"]["status"] == "materialized" and r["width"] > 0
         and any(e["from"] == "events" and e["to"] == "totals" and e["points"]
                 for e in r["edges"]) and nodes["slow"]["status"] == "partial",
         "GET /api/lineage: positions and statuses from Graphviz", r)
    s, h, r = srv.get("/api/lineage.svg")
    t.ok(s == 200 and h["content-type"].startswith("image/svg+xml")
         and 'data-asset="events"' in r and "<svg" in r, "GET /api/lineage.svg", (s, h))

    # ---- safety ----
    s, h, r = srv.req("POST", "/api/health", raw=b"{}", headers={"Content-Type": "application/json"})
    t.ok(s == 405 and h.get("allow") == "GET, HEAD", "a wrong method: 405 with Allow", (s, h, r))
    s, _, r = srv.get("/api/nothing")
    t.ok(s == 404 and "/api/assets" in err_of(r)["message"], "an unknown route: 404 listing routes", r)
    s, _, r = srv.req("POST", "/api/reload", raw=b"{}")
    t.ok(s == 415, "POST without a JSON content type: 415", r)
    s, _, r = srv.req("POST", "/api/reload", raw=b"{}", headers={"Content-Type": "text/plain"})
    t.ok(s == 415, "POST text/plain (a cross-site form): 415", r)
    s, _, r = srv.post("/api/reload", headers={"Origin": "http://evil.example"})
    t.ok(s == 403 and err_of(r)["code"] == "forbidden", "another Origin: 403", r)
    s, _, r = srv.post("/api/reload", headers={"Origin": f"http://127.0.0.1:{srv.port}"})
    t.ok(s == 200, "the server's own Origin is accepted", r)
    s, _, r = srv.req("POST", "/api/materialize", raw=b" " * (1024 * 1024 + 10),
                      headers={"Content-Type": "application/json"})
    t.ok(s == 413 and err_of(r)["code"] == "too_large", "a body over 1 MiB: 413", r)
    s, _, r = srv.get("/api/health", headers={"Host": "evil.example:80"})
    t.ok(s == 403, "a foreign Host (DNS rebinding): 403", r)
    s, _, r = srv.get("/api/assets/events/partitions?limit=abc&state=missing")
    t.ok(s == 400 and "limit" in err_of(r)["message"], "a bad query parameter: 400 naming it", r)
    s, _, r = srv.get("/api/health?colour=red")
    t.ok(s == 400 and "colour" in err_of(r)["message"], "an unknown query parameter: 400", r)

    # ---- reload ----
    yaml_path = os.path.join(pr.dir, "tranche.yaml")
    with open(yaml_path, "a") as f:
        f.write("  broken: [\n")
    s, _, r = srv.post("/api/reload")
    t.ok(s == 200 and r["ok"] is False and "tranche.yaml" in (r["project_error"] or ""),
         "reload of a broken file: ok false with the error", r)
    s, _, r = srv.get("/api/health")
    t.ok(r["project_error"] and "tranche.yaml" in r["project_error"],
         "health shows the project error", r)
    s, _, r = srv.get("/api/assets/events/partitions")
    t.ok(s == 200 and r["counts"]["materialized"] == 121, "the old definitions keep serving", r)
    with open(yaml_path, "w") as f:
        f.write(PROJECT.replace("one row per day", "one row a day"))
    s, _, r = srv.post("/api/reload")
    t.ok(s == 200 and r["ok"] is True and r["project_error"] is None, "a fixed file reloads", r)
    s, _, r = srv.get("/api/assets/events")
    t.ok(r["description"] == "one row a day", "the new definitions are served", r.get("description"))

    # ---- the CLI through the server ----
    c = pr.run("materialize", "events", "--partition", "2024-02-01")
    t.ok(c.returncode == 0 and "submitting to tranche serve" in c.stderr
         and "succeeded" in c.stdout and "in use" not in c.stderr,
         "tranche materialize submits through the server (no lock error)", c.stdout + c.stderr)
    c = pr.run("backfill", "events", "--from", "2024-03-01", "--to", "2024-03-05", "--json")
    lines = [json.loads(x) for x in c.stdout.splitlines() if x.strip()]
    t.ok(c.returncode == 0 and lines and lines[-1]["type"] == "summary"
         and lines[-1]["partitions"]["succeeded"] == 5 and lines[-1]["backfill_id"],
         "tranche backfill --json through the server: steps and summary", c.stdout + c.stderr)
    c = pr.run("materialize", "events", "--partition", "2024-13-01")
    t.ok(c.returncode == 2 and "2024-13-01" in c.stderr, "a refused request: exit 2 as locally",
         c.stderr)

    # ---- a token, and a host beyond loopback ----
    pr2 = Project(pr.bin, PROJECT)
    try:
        c = pr2.run("serve", "--host", "0.0.0.0", "--port", "0", timeout=30)
        t.ok(c.returncode == 2 and "--token" in c.stderr and "0.0.0.0" in c.stderr,
             "--host 0.0.0.0 without a token: refused", c.stderr)
        tok = "s3cret-token-123"
        srv2 = Server(pr2, "--token", tok)
        s, h, r = srv2.get("/api/health")
        t.ok(s == 401 and "bearer" in h.get("www-authenticate", "").lower(),
             "with --token: no token, 401", (s, r))
        s, _, r = srv2.get("/api/health", headers={"Authorization": "Bearer wrong-token-1"})
        t.ok(s == 401, "a wrong token: 401", r)
        s, _, r = srv2.get("/api/health", headers={"Authorization": f"Bearer {tok}"})
        t.ok(s == 200 and r["token_required"] is True, "the right Bearer token: 200", r)
        s, h, r = srv2.get(f"/api/health?token={tok}")
        cookie = h.get("set-cookie", "")
        t.ok(s == 200 and "HttpOnly" in cookie, "?token= works and sets a cookie", (s, h))
        s, _, r = srv2.get("/api/assets", headers={"Cookie": cookie.split(";")[0]})
        t.ok(s == 200, "the cookie works", s)
        c = pr2.run("materialize", "events", "--partition", "2024-01-01")
        t.ok(c.returncode == 2 and "TRANCHE_TOKEN" in c.stderr,
             "the CLI says to set TRANCHE_TOKEN", c.stderr)
        pr2.env["TRANCHE_TOKEN"] = tok
        c = pr2.run("materialize", "events", "--partition", "2024-01-01")
        t.ok(c.returncode == 0 and "submitting" in c.stderr, "with TRANCHE_TOKEN it submits",
             c.stderr)
    finally:
        pr2.cleanup()

    # ---- live step counters (GET /api/runs/ID and GET /api/runs while a run goes on) ----
    s, _, r = srv.post("/api/backfills", {"selection": "live+", "all": True, "jobs": 1})
    run5, bf5 = r.get("run_id"), r.get("backfill_id")
    t.ok(s == 202 and run5 and bf5, "a slow backfill of two assets starts", r)
    seen = {"run_live": None, "list_live": None, "bf_live": None, "bf_mismatch": None,
            "polls": 0}

    def bf_sums(b):
        """(sum of the assets' succeeded, failed, skipped counts), and the totals'"""
        per = tuple(sum(a[k]["count"] or 0 for a in b["assets"])
                    for k in ("succeeded", "failed", "skipped"))
        tot = (b["counts"]["succeeded"], b["counts"]["failed"], b["counts"]["skipped"])
        return per, tot

    def poll_live():
        seen["polls"] += 1
        s1, _, r1 = srv.get(f"/api/runs/{run5}")
        if s1 != 200:
            return True
        if r1["status"] != "running":
            return True
        if r1["steps_succeeded"] > 0 and seen["run_live"] is None:
            seen["run_live"] = {k: r1[k] for k in ("status", "steps_total", "steps_succeeded")}
        s2, _, r2 = srv.get("/api/runs?limit=5")
        row = next((x for x in r2.get("runs", []) if x["id"] == run5), None)
        if row and row["status"] == "running" and row["steps_succeeded"] > 0:
            seen["list_live"] = row["steps_succeeded"]
        s3, _, r3 = srv.get(f"/api/backfills/{bf5}")
        if s3 == 200:
            per, tot = bf_sums(r3)
            if per != tot and seen["bf_mismatch"] is None:
                seen["bf_mismatch"] = (per, tot, r3["status"])
            if r3["status"] == "running" and 0 < tot[0] < r3["counts"]["total"]:
                seen["bf_live"] = (per, tot)
        return False

    wait_until(poll_live, 120, 0.05)
    t.ok(seen["run_live"] is not None and seen["run_live"]["steps_succeeded"]
         < seen["run_live"]["steps_total"],
         "GET /api/runs/ID: steps_succeeded counts up while the run goes on", seen)
    t.ok(seen["list_live"], "GET /api/runs: the running run's counters are live too", seen)
    t.ok(srv.run_ended(run5), "the slow backfill ends")
    s, _, r = srv.get(f"/api/runs/{run5}")
    t.ok(s == 200 and r["status"] == "success" and r["steps_succeeded"] == r["steps_total"] == 242
         and r["steps_failed"] == 0, "after the end the counters equal the totals",
         {k: r.get(k) for k in ("status", "steps_total", "steps_succeeded")})
    t.ok(seen["bf_live"] is not None and seen["bf_mismatch"] is None,
         "GET /api/backfills/ID: the assets' counts agree with the totals while it runs", seen)
    s, _, r = srv.get(f"/api/backfills/{bf5}")
    per, tot = bf_sums(r)
    t.ok(s == 200 and r["status"] == "completed" and per == tot == (242, 0, 0)
         and [a["succeeded"]["count"] for a in r["assets"]] == [121, 121],
         "GET /api/backfills/ID: and after the end", (per, tot))

    # ---- the grid: clamped ends, refusals, bucket_keys ----
    s, _, r = srv.get("/api/assets/events/partitions/grid?from=100&to=100000&cols=5")
    t.ok(s == 200 and r["from"] == 100 and r["to"] == 120
         and sum(sum(b) for b in r["buckets"]) == 21,
         "grid: a `to` past the end is the end (as a slice)", r)
    s, _, r = srv.get("/api/assets/events/partitions/grid?to=121")
    t.ok(s == 200 and r["to"] == 120, "grid: to = total is the end", r.get("to"))
    for q, what in (("from=5&to=2", "from after to"), ("from=121", "from past the end"),
                    ("from=500&to=1000", "from past the end, to clamped"),
                    ("to=-1", "a negative to"), ("from=-3", "a negative from"),
                    ("to=abc", "a to that is not a number"), ("from=1.5", "a fraction"),
                    ("to=", "an empty to"), ("bucket_keys=2", "bucket_keys other than 0/1")):
        s, _, r = srv.get(f"/api/assets/events/partitions/grid?{q}")
        key = q.split("=")[0]
        t.ok(s == 400 and key in err_of(r).get("message", ""),
             f"grid: {what} ({q}) is 400 naming the parameter", (s, r))
    s, _, r = srv.get("/api/assets/grid/partitions/grid?cols=30&rows_to=99&to=1000")
    t.ok(s == 200 and r["rows_to"] == 2 and r["rows"] == ["A", "B", "C"] and r["to"] == 29,
         "grid (2-D): rows_to and to past the end are clamped", r)
    for q in ("rows_from=2&rows_to=1", "rows_from=3", "rows_to=-1", "rows_to=x"):
        s, _, r = srv.get(f"/api/assets/grid/partitions/grid?{q}")
        t.ok(s == 400 and q.split("=")[0] in err_of(r).get("message", ""),
             f"grid (2-D): {q} is 400", (s, r))
    s, _, plain = srv.get("/api/assets/events/partitions/grid?cols=10")
    t.ok(s == 200 and "bucket_keys" not in plain, "grid: no bucket_keys unless asked", plain)
    s, _, r = srv.get("/api/assets/events/partitions/grid?cols=10&bucket_keys=1")
    day = lambda i: time.strftime("%Y-%m-%d", time.gmtime(1704067200 + 86400 * i))
    want = [[day(c * 13), day(min(120, c * 13 + 12))] for c in range(10)]
    t.ok(s == 200 and r["bucket_keys"] == want and r["buckets"] == plain["buckets"],
         "grid: bucket_keys=1 gives each bucket's first and last key", r.get("bucket_keys"))
    s, _, r = srv.get("/api/assets/events/partitions/grid?from=7&to=7&cols=1&bucket_keys=1")
    t.ok(s == 200 and r["bucket_keys"] == [["2024-01-08", "2024-01-08"]],
         "grid: bucket_keys of a single partition", r)
    s, _, r = srv.get("/api/assets/grid/partitions/grid?cols=10&bucket_keys=1")
    t.ok(s == 200 and r["bucket_keys"][0] == ["2024-04-01", "2024-04-03"]
         and r["bucket_keys"][-1] == ["2024-04-28", "2024-04-30"] and len(r["bucket_keys"]) == 10,
         "grid (2-D): bucket_keys over the column dimension", r.get("bucket_keys"))
    s, _, r = srv.get("/api/assets/totals/partitions/grid?bucket_keys=1")
    t.ok(s == 200 and r["bucket_keys"] == [["", ""]], "grid: bucket_keys of an unpartitioned asset",
         r)

    # ---- a big run: details and stream replay are bounded ----
    s, _, r = srv.post("/api/backfills", {"selection": "hours", "all": True})
    run6 = r.get("run_id")
    t.ok(s == 202 and r["partitions"] == 720 and srv.run_ended(run6), "a run of 720 steps", r)
    s, _, r = srv.get(f"/api/runs/{run6}")
    tl = r.get("timeline") or {}
    ta = (tl.get("assets") or [{}])[0]
    t.ok(s == 200 and len(r["steps"]) == 500 and r["steps_count"] == 720
         and r["steps_truncated"] is True and r["steps_offset"] == 0 and r["steps_limit"] == 500
         and r["steps"][0]["partition"] == "2024-04-01-00:00",
         "GET /api/runs/ID lists 500 steps by default, says how many there are",
         {k: r.get(k) for k in ("steps_count", "steps_truncated", "steps_limit")})
    t.ok(tl.get("buckets") == 50 and tl["start_ts"] <= tl["end_ts"] and ta.get("asset") == "hours"
         and ta["steps"] == 720 and ta["success"] == 720 and ta["failed"] == 0
         and ta["first_start_ts"] >= tl["start_ts"] and ta["last_end_ts"] <= tl["end_ts"]
         and len(ta["ended"]) == 50 and sum(v[0] for v in ta["ended"]) == 720,
         "GET /api/runs/ID: a timeline summed up per asset covers every step",
         {k: v for k, v in ta.items() if k != "ended"})
    s, _, r2 = srv.get(f"/api/runs/{run6}?steps_offset=500&steps_limit=500")
    t.ok(s == 200 and len(r2["steps"]) == 220 and r2["steps_truncated"] is True
         and r2["steps"][0]["partition"] == "2024-04-21-20:00",
         "steps_offset pages the steps", {k: r2.get(k) for k in ("steps_count", "steps_offset")})
    s, _, r3 = srv.get(f"/api/runs/{run6}?steps_limit=5000&timeline_buckets=7")
    t.ok(s == 200 and len(r3["steps"]) == 720 and r3["steps_truncated"] is False
         and len(r3["timeline"]["assets"][0]["ended"]) == 7,
         "steps_limit up to 5000 lists them all; timeline_buckets", r3.get("steps_truncated"))
    s, _, r4 = srv.get(f"/api/runs/{run6}?steps_limit=0")
    t.ok(s == 200 and r4["steps"] == [] and r4["timeline"]["assets"][0]["steps"] == 720,
         "steps_limit=0: the timeline alone", len(json.dumps(r4)))
    for q in ("steps_limit=5001", "steps_limit=-1", "steps_offset=x", "timeline_buckets=0",
              "timeline_buckets=501"):
        s, _, r5 = srv.get(f"/api/runs/{run6}?{q}")
        t.ok(s == 400 and q.split("=")[0] in err_of(r5).get("message", ""),
             f"GET /api/runs/ID?{q}: 400", r5)
    s, _, r5 = srv.get(f"/api/runs/{run6}/events?limit=5000")
    n_events = len(r5["events"])
    t.ok(n_events == 720 * 3 + 2, "the run has 3 events a step", n_events)
    s, _, frames = srv.stream(f"/api/runs/{run6}/stream")
    types = [f[0] for f in frames]
    ev_frames = [f for f in frames if f[0] not in ("replay", "summary", "end", "progress")]
    rp = frames[0][2] if frames and frames[0][0] == "replay" else {}
    t.ok(s == 200 and types[0] == "replay" and rp["skipped"] == n_events - 1000
         and rp["replayed"] == 1000 and frames[0][1] == rp["last_skipped_id"]
         and rp["counts"].get("run_start") == 1
         and sum(rp["counts"].values()) == rp["skipped"] and len(ev_frames) == 1000
         and ev_frames[0][1] == rp["last_skipped_id"] + 1 and types[-1] == "end",
         "the stream replays the last 1000 events after a replay frame counting the others",
         (types[:2], rp, len(ev_frames)))
    s, _, frames = srv.stream(f"/api/runs/{run6}/stream?replay=10")
    ev_frames = [f for f in frames if f[0] not in ("replay", "summary", "end", "progress")]
    t.ok(frames and frames[0][0] == "replay" and frames[0][2]["skipped"] == n_events - 10
         and len(ev_frames) == 10 and ev_frames[-1][0] == "run_success",
         "?replay=10: the last 10", [f[0] for f in frames])
    last_ids = [f[1] for f in ev_frames] or [0]
    s, _, frames = srv.stream(f"/api/runs/{run6}/stream",
                              headers={"Last-Event-ID": str(last_ids[0])})
    t.ok(frames and frames[0][0] != "replay" and [f[1] for f in frames if f[1]] == last_ids[1:],
         "Last-Event-ID near the end: what follows, no replay frame", [f[0] for f in frames])
    s, _, r5 = srv.get(f"/api/runs/{run6}/stream?replay=10001")
    t.ok(s == 400 and "replay" in err_of(r5).get("message", ""), "?replay= above 10000: 400", r5)

    # ---- cancel, then resume at once: no 409 (the cancel waits for the run to let go) ----
    s, _, r = srv.post("/api/backfills", {"selection": "again", "all": True, "jobs": 1})
    bf7 = r.get("backfill_id")
    t.ok(s == 202 and bf7, "a slow backfill to cancel and resume", r)
    answers = []
    for k in range(20):
        s1, _, r1 = srv.post(f"/api/backfills/{bf7}/cancel")
        s2, _, r2 = srv.post(f"/api/backfills/{bf7}/resume", {"jobs": 1})
        answers.append((s1, r1.get("status"), s2, r2.get("status") or err_of(r2).get("message")))
        if s2 != 202:
            break
    t.ok(len(answers) == 20 and all(a[0] == 200 and a[1] == "canceled" and a[2] == 202
                                    for a in answers),
         "cancel then resume at once, 20 times: cancel says canceled, resume 202 (never 409)",
         answers)
    s, _, r = srv.post(f"/api/backfills/{bf7}/cancel")
    t.ok(s == 200 and r["status"] == "canceled", "the last resume canceled too", r)
    s, _, r = srv.get(f"/api/backfills/{bf7}")
    t.ok(s == 200 and r["status"] == "canceled" and r["running_here"] is False
         and len(r["runs"]) == 21, "the backfill: 21 runs, canceled, none running",
         {k: r.get(k) for k in ("status", "runs", "running_here")})

    # ---- stale partitions: counts, ranges, pages, grid, lineage, launches ----
    pr3 = Project(pr.bin, STALE_PROJECT, now="2024-03-01")
    try:
        c = pr3.run("materialize", "*", "--all")
        t.ok(c.returncode == 0, "stale: the project is materialized (60 days, 2 months)", c.stderr)
        srv3 = Server(pr3)

        def counts3(asset):
            return srv3.get(f"/api/assets/{asset}/partitions")[2].get("counts", {})

        t.ok(all(counts3(a).get("stale") == 0 for a in ("raw", "clean", "monthly", "total")),
             "stale: nothing is stale after one run of everything",
             {a: counts3(a) for a in ("raw", "clean", "monthly", "total")})
        s, _, r = srv3.post("/api/materialize", {"selection": "raw", "from": "2024-01-05",
                                                 "to": "2024-01-06"})
        t.ok(s == 202 and srv3.run_ended(r.get("run_id", 0)),
             "stale: raw 2024-01-05...2024-01-06 rematerialized (POST /api/materialize)", r)
        s, _, r = srv3.get("/api/assets")
        by = {a["name"]: a for a in r.get("assets", [])}
        t.ok(s == 200 and by["clean"]["partitions"]["stale"] == 2
             and by["clean"]["partitions"]["materialized"] == 60
             and by["clean"]["status"]["stale"] == 2 and by["raw"]["partitions"]["stale"] == 0
             and by["monthly"]["partitions"]["stale"] == 0 and by["total"]["status"]["stale"] == 0,
             "GET /api/assets: counts.stale, a part of materialized",
             {n: a.get("partitions") or a.get("status") for n, a in by.items()})
        s, _, r = srv3.get("/api/assets/clean")
        t.ok(s == 200 and r["partitions"]["stale"] == 2 and r["status"]["stale"] == 2,
             "GET /api/assets/NAME: counts.stale", r.get("partitions"))
        s, _, r = srv3.get("/api/assets/clean/partitions")
        t.ok(s == 200 and r["counts"] == {"materialized": 60, "failed": 0, "in_progress": 0,
                                          "missing": 0, "stale": 2}
             and r["ranges"]["stale"] == [[4, 5, "2024-01-05", "2024-01-06"]]
             and r["ranges"]["materialized"] == [[0, 59, "2024-01-01", "2024-02-29"]]
             and r["range_counts"]["stale"] == 1,
             "partitions: counts.stale, ranges.stale (within materialized), range_counts.stale", r)
        s, _, r = srv3.get("/api/assets/clean/partitions?state=stale&limit=1")
        s2, _, r2 = srv3.get("/api/assets/clean/partitions?state=stale&offset=1&limit=1")
        t.ok(s == 200 and r["state"] == "stale" and r["total_in_state"] == 2
             and r["keys"] == [{"index": 4, "key": "2024-01-05", "state": "stale"}]
             and s2 == 200 and [k["key"] for k in r2["keys"]] == ["2024-01-06"],
             "partitions?state=stale pages the stale keys", (r, r2))
        s, _, r = srv3.get("/api/assets/clean/partitions/grid?cols=10")
        b = r.get("buckets", [])
        t.ok(s == 200 and b[0] == [6, 0, 0, 0, 2] and all(x == [6, 0, 0, 0, 0] for x in b[1:])
             and len(b) == 10,
             "grid: a fifth count per bucket, the stale ones (within the first)", b)
        s, _, r = srv3.get("/api/assets/clean/partitions/grid?from=5&to=6&cols=2")
        t.ok(s == 200 and r["buckets"] == [[1, 0, 0, 0, 1], [1, 0, 0, 0, 0]],
             "grid: the stale count of single partitions", r.get("buckets"))
        s, _, r = srv3.get("/api/lineage")
        st = {n["name"]: n["status"] for n in r.get("nodes", [])}
        t.ok(s == 200 and st == {"raw": "materialized", "clean": "stale", "monthly": "materialized",
                                 "total": "materialized"},
             "GET /api/lineage: status stale for an asset with stale partitions", st)
        s, h, svg = srv3.get("/api/lineage.svg")
        t.ok(s == 200 and re.search(r'<g[^>]*class="node stale"[^>]*data-asset="clean"', svg),
             "GET /api/lineage.svg: the stale node's class", svg[:400] if isinstance(svg, str) else svg)

        # launches: stale alone, refused with all or failed, missing and stale together
        s, _, r = srv3.post("/api/backfills", {"selection": "clean", "stale": True, "dry_run": True})
        t.ok(s == 200 and r["partitions"] == 2 and [(p["asset"], p["ranges"]) for p in r["plan"]]
             == [("clean", ["2024-01-05...2024-01-06"])],
             "POST /api/backfills stale dry run: the stale partitions of the selection", r)
        s, _, r = srv3.post("/api/backfills", {"selection": "*", "stale": True, "dry_run": True})
        t.ok(s == 200 and r["partitions"] == 4 and [(p["asset"], p["ranges"]) for p in r["plan"]]
             == [("clean", ["2024-01-05...2024-01-06"]), ("monthly", ["2024-01-01"]),
                 ("total", None)],
             "stale dry run of '*': and what downstream will become stale (monthly, total)", r)
        for other in ("all", "failed"):
            s, _, r = srv3.post("/api/backfills", {"selection": "clean", "stale": True,
                                                   other: True, "dry_run": True})
            t.ok(s == 400 and "stale" in err_of(r).get("message", ""),
                 f"stale with {other}: 400 listing the picks", r)
        s, _, r = srv3.post("/api/backfills", {"selection": "clean", "stale": "yes"})
        t.ok(s == 400 and "stale" in err_of(r).get("message", ""), "stale not a boolean: 400", r)
        s, _, r = srv3.post("/api/backfills", {"selection": "*", "stale": True})
        t.ok(s == 202 and r["partitions"] == 4 and r["backfill_id"]
             and srv3.run_ended(r.get("run_id", 0)),
             "POST /api/backfills stale: runs the 4 partitions", r)
        t.ok(all(counts3(a).get("stale") == 0 for a in ("raw", "clean", "monthly", "total"))
             and counts3("clean")["materialized"] == 60,
             "after it nothing is stale", {a: counts3(a) for a in ("clean", "monthly", "total")})
        s, _, r = srv3.get("/api/lineage")
        t.ok(s == 200 and all(n["status"] == "materialized" for n in r["nodes"]),
             "the lineage is all materialized again", [(n["name"], n["status"]) for n in r["nodes"]])
        s, _, r = srv3.post("/api/materialize", {"selection": "*", "stale": True})
        t.ok(s == 200 and r["status"] == "nothing_to_do", "stale with none stale: nothing_to_do", r)

        s, _, r = srv3.post("/api/assets/clean/wipe", {"partitions": ["2024-02-29"]})
        t.ok(s == 200 and r["partitions"] == 1, "stale: clean 2024-02-29 wiped (missing)", r)
        s, _, r = srv3.post("/api/materialize", {"selection": "raw", "partitions": ["2024-01-10"]})
        t.ok(s == 202 and srv3.run_ended(r.get("run_id", 0)), "stale: raw 2024-01-10 again", r)
        c3 = counts3("clean")
        t.ok(c3.get("missing") == 1 and c3.get("stale") == 1 and c3.get("materialized") == 59,
             "clean: 1 missing, 1 stale", c3)
        s, _, r = srv3.post("/api/materialize", {"selection": "clean", "missing": True,
                                                 "stale": True, "dry_run": True})
        t.ok(s == 200 and r["partitions"] == 2
             and [(p["asset"], p["ranges"]) for p in r["plan"]]
             == [("clean", ["2024-01-10", "2024-02-29"])],
             "missing and stale together: the dry run plans both", r)
        s, _, r = srv3.post("/api/materialize", {"selection": "clean", "missing": True,
                                                 "stale": True})
        t.ok(s == 202 and r["partitions"] == 2 and srv3.run_ended(r.get("run_id", 0)),
             "POST /api/materialize missing + stale runs them", r)
        c3 = counts3("clean")
        t.ok(c3.get("missing") == 0 and c3.get("stale") == 0 and c3.get("materialized") == 60,
             "clean: none missing, none stale", c3)
    finally:
        pr3.cleanup()

    # ---- graceful stop ----
    s, _, r = srv.post("/api/backfills", {"selection": "slow", "missing": True, "jobs": 1})
    run4 = r.get("run_id")
    time.sleep(0.3)
    os.kill(srv.p.pid, signal.SIGTERM)
    rc = wait_exit(srv.p, 30)
    t.ok(rc == 0, "SIGTERM stops the server (exit 0)", (rc, pr.output()))
    t.ok(not os.path.exists(os.path.join(pr.dir, ".tranche", "server.json")),
         "server.json is removed")
    r = pr.json("runs")
    st4 = next((x["status"] for x in r if x["id"] == run4), None)
    t.ok(st4 == "canceled", "the run going at the stop ended canceled", st4)
    c = pr.run("materialize", "totals")
    t.ok(c.returncode == 0 and "submitting" not in c.stderr,
         "with the server gone the CLI runs locally", c.stderr)
finally:
    pr.cleanup()
t.done()
