#!/usr/bin/env python3
"""http assets against a loopback server that answers as Alpha Vantage does:
CSV prices, a 200 that is really a quota or an error ({"Information": ...},
{"Note": ...}, {"Error Message": ...}), a 500, a 503 then 200, a slow answer,
malformed bodies, JSON records and a header that needs a token. Checks what is
written (tranche query), what fails and why, that a failed fetch keeps the
previous data, retries, fallback_url, file: URLs, cancel, and that the API key
and the token never appear in any output, log, the instance database, the
warehouse or the run directory.
Usage: test_http.py PATH/TO/tranche"""
import json
import os
import signal
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lib import Project, Tap, binary_from_argv, wait_exit, wait_until

# secrets with characters that are percent-encoded in a URL
API_KEY = "e2e/K3y+S3cr3t_987"
TOKEN = "tok-Sesame-4242"

PRICES = {
    "IBM": [("2024-01-04", 161.1, 162.0, 160.5, 161.5, 4100000),
            ("2024-01-03", 160.0, 161.2, 159.0, 160.9, 3900000),
            ("2024-01-02", 158.0, 160.4, 157.9, 159.9, 4300000)],
    "MSFT": [("2024-01-04", 370.7, 373.1, 368.5, 370.9, 23000000),
             ("2024-01-03", 369.0, 373.3, 368.7, 370.6, 23400000)],
}
QUOTA = ("Thank you for using Alpha Vantage! Our standard API rate limit is 25 requests per "
         "day. Please subscribe to any of the premium plans to instantly remove all daily rate "
         "limits.")
NOTE = ("Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per "
        "minute and 500 calls per day.")
INVALID = ("Invalid API call. Please retry or visit the documentation "
           "(https://www.alphavantage.co/documentation/) for TIME_SERIES_DAILY.")


class State:
    mode = "ok"  # ok | quota | note
    flaky = 0    # requests of the FLAKY symbol so far
    slow_started = threading.Event()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, ctype="text/csv", headers=()):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout, a cancel)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/query":
            return self.query(q)
        if url.path == "/records":
            rows = [{"day": "2024-01-0%d" % d, "symbol": q.get("symbol"), "v": d * 1.5,
                     "ok": d % 2 == 0, "note": None} for d in (2, 3, 4)]
            return self.send(200, json.dumps({"meta": {"n": 3}, "data": {"items": rows}}),
                             "application/json")
        if url.path == "/lines":
            return self.send(200, '{"day":"2024-01-02","v":1}\n{"day":"2024-01-03","v":2}\n',
                             "application/json")
        if url.path == "/badjson":
            return self.send(200, '[{"day": "2024-01-02", "v": 1},', "application/json")
        if url.path == "/auth":
            if self.headers.get("Authorization") != "Bearer " + TOKEN:
                return self.send(401, '{"error": "bad token"}', "application/json")
            return self.send(200, "day,v\n2024-01-02,7\n")
        if url.path == "/day":
            return self.send(200, "day,v\n%s,%s\n" % (q.get("d", ""), q.get("d", "")))
        if url.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/query?" + url.query)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return self.send(404, "no such page: " + url.path, "text/plain")

    def query(self, q):
        if q.get("function") != "TIME_SERIES_DAILY" or q.get("datatype") != "csv":
            return self.send(200, json.dumps({"Error Message": INVALID}), "application/json")
        if q.get("apikey") != API_KEY:
            return self.send(200, json.dumps({"Error Message": "the parameter apikey is "
                                              "invalid or missing."}), "application/json")
        symbol = q.get("symbol", "")
        if State.mode == "quota":
            return self.send(200, json.dumps({"Information": QUOTA}, indent=4), "application/json")
        if State.mode == "note":
            return self.send(200, json.dumps({"Note": NOTE}), "application/json")
        if symbol == "E500":
            return self.send(500, "internal boom")
        if symbol == "FLAKY":
            State.flaky += 1
            if State.flaky == 1:
                return self.send(503, "try later", "text/plain", [("Retry-After", "1")])
            symbol = "IBM"
        if symbol == "SLOW":
            State.slow_started.set()
            time.sleep(4)
            symbol = "IBM"
        if symbol == "MALFORMED":
            return self.send(200, "timestamp,open,high,low,close,volume\n2024-01-02,1,2\n")
        if symbol not in PRICES:
            return self.send(200, json.dumps({"Error Message": INVALID}, indent=4),
                             "application/json")
        lines = ["timestamp,open,high,low,close,volume"]
        lines += [",".join(str(x) for x in row) for row in PRICES[symbol]]
        return self.send(200, "\r\n".join(lines) + "\r\n")


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that went away is part of the test


server = Server(("127.0.0.1", 0), Handler)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
BASE = "http://127.0.0.1:%d" % server.server_address[1]
_s = socket.socket()
_s.bind(("127.0.0.1", 0))
CLOSED_PORT = _s.getsockname()[1]  # bound, never listening: connections are refused

PROJECT = f"""name: http_e2e
partitions:
  symbols: {{type: static, keys: [IBM, MSFT, BAD, E500, FLAKY, SLOW, MALFORMED]}}
  days: {{type: daily, start: 2024-01-01, end: 2024-01-05}}
pools:
  alphavantage: {{max_concurrency: 2, rate: 1000/minute}}
assets:
  raw_prices:
    partitions: symbols
    partition_expr: symbol
    pool: alphavantage
    http:
      url: "{BASE}/query?function=TIME_SERIES_DAILY&symbol={{partition_key}}&datatype=csv&apikey={{env:AV_API_KEY}}"
      fallback_url: "file:sample/{{partition_key}}.csv"
      timeout: 2s
      retries: {{max: 1, delay: 100ms, backoff: 2}}
      fail_when:
        json_keys: ["Error Message", "Information", "Note"]
    sql: |
      SELECT $partition_key AS symbol, "timestamp"::DATE AS day, open, high, low, close, volume
      FROM response
  plain_prices:
    partitions: symbols
    partition_expr: symbol
    http:
      url: "{BASE}/redirect?function=TIME_SERIES_DAILY&symbol={{partition_key}}&datatype=csv&apikey={{env:AV_API_KEY}}"
      retries: {{max: 0}}
    sql: SELECT $partition_key AS symbol, * FROM response
  summary:
    sql: SELECT symbol, count(*) AS days FROM raw_prices GROUP BY ALL
  records:
    http:
      url: "{BASE}/records?symbol=IBM"
      format: json
      records: data.items
  lines:
    http: {{url: "{BASE}/lines", format: json}}
  bad_json:
    http: {{url: "{BASE}/badjson", format: json}}
  refused:
    http: {{url: "http://127.0.0.1:{CLOSED_PORT}/a.csv", retries: {{max: 0}}}}
  missing_page:
    http: {{url: "{BASE}/nowhere?key={{env:AV_API_KEY}}", retries: {{max: 0}}}}
  authed:
    http:
      url: "{BASE}/auth"
      headers: {{Authorization: "Bearer {{env:AV_TOKEN}}", Accept: text/csv}}
  by_day:
    partitions: days
    partition_expr: day
    backfill: {{policy: single_run}}
    http: {{url: "{BASE}/day?d={{partition_start:%Y-%m-%d}}"}}
    sql: SELECT day::DATE AS day, v FROM response
  by_day_key:
    partitions: days
    partition_expr: day
    backfill: {{policy: single_run}}
    http: {{url: "{BASE}/day?d={{partition_key}}"}}
    sql: SELECT day::DATE AS day FROM response
  local_file:
    http: {{url: "file://ABS/sample/IBM.csv"}}
  slow:
    http: {{url: "{BASE}/query?function=TIME_SERIES_DAILY&symbol=SLOW&datatype=csv&apikey={{env:AV_API_KEY}}", timeout: 60s}}
"""

t = Tap()
pr = Project(binary_from_argv(), PROJECT, now="2024-01-06")
outputs = []  # every stdout and stderr, to look for secrets


def run(*args, env=None, **kw):
    saved = pr.env
    if env is not None:
        pr.env = env
    try:
        r = pr.run(*args, **kw)
    finally:
        pr.env = saved
    outputs.append(r.stdout + r.stderr)
    return r


def rows(sql):
    r = run("query", sql, "--json", "--max-rows", "0")
    if r.returncode != 0:
        return r.stderr
    return json.loads(r.stdout)


def last_error():
    runs = json.loads(run("runs", "--json").stdout)
    return runs[0]["error"] or ""


try:
    with open(os.path.join(pr.dir, "tranche.yaml")) as f:
        text = f.read().replace("file://ABS", "file://" + pr.dir)
    with open(os.path.join(pr.dir, "tranche.yaml"), "w") as f:
        f.write(text)
    os.makedirs(os.path.join(pr.dir, "sample"))
    with open(os.path.join(pr.dir, "sample", "IBM.csv"), "w") as f:
        f.write("timestamp,open,high,low,close,volume\n2023-12-29,1.5,2.5,0.5,1.25,10\n")
    pr.env["AV_API_KEY"] = API_KEY
    pr.env["AV_TOKEN"] = TOKEN
    no_key = dict(pr.env)
    del no_key["AV_API_KEY"]

    # -- success: CSV from the API into the partition's slice
    r = run("materialize", "raw_prices", "--partition", "IBM", "--partition", "MSFT",
            "--jobs", "2")
    t.ok(r.returncode == 0, "two partitions fetched and loaded", r.stdout + r.stderr)
    got = rows("SELECT symbol, CAST(day AS VARCHAR) AS day, close, volume FROM raw_prices "
               "ORDER BY symbol, day")
    t.ok(isinstance(got, list) and len(got) == 5 and got[0] == {
        "symbol": "IBM", "day": "2024-01-02", "close": 159.9, "volume": 4300000},
        "the rows are in the warehouse, typed by the sql", got)
    logs = run("logs", "1", "--json").stdout
    events = [json.loads(line) for line in logs.splitlines()]
    msgs = [e.get("message") or "" for e in events]
    t.ok(any(m.startswith("GET " + BASE + "/query?function=TIME_SERIES_DAILY&symbol=IBM&"
                          "datatype=csv&apikey=***") for m in msgs),
         "the URL is logged with the key masked", msgs)
    t.ok(any(m.startswith("HTTP 200, ") and " bytes in " in m for m in msgs),
         "the answer is logged: HTTP 200, N bytes in M ms", msgs)
    mat = [e for e in events if e["type"] == "materialization"]
    t.ok(mat and mat[0]["data"]["http"]["http_status"] == 200
         and mat[0]["data"]["http"]["url"].endswith("apikey=***")
         and mat[0]["data"]["http"]["bytes"] > 0,
         "metadata: http_status, bytes, url (masked)", mat)
    rundir = os.path.join(pr.dir, ".tranche", "runs", "1", "raw_prices")
    saved = [os.path.join(d, f) for d, _, fs in os.walk(rundir) for f in fs]
    t.ok(len(saved) == 2 and all(p.endswith("response.csv") for p in saved),
         "each response is saved in the step's run directory", saved)

    # -- a downstream sql asset reads it; `response` is no dependency
    r = run("assets", "--json")
    assets = {a["name"]: a for a in json.loads(r.stdout)}
    t.ok(assets["raw_prices"]["kind"] == "http" and assets["summary"]["deps"] == ["raw_prices"]
         and assets["raw_prices"]["deps"] == [],
         "assets: kind http; deps inferred downstream, none from `response`", r.stdout)

    # -- dry run shows the URL, masked
    r = run("materialize", "raw_prices", "--partition", "IBM", "--dry-run")
    t.ok(r.returncode == 0 and "  GET " + BASE + "/query?function=TIME_SERIES_DAILY&symbol=IBM"
         "&datatype=csv&apikey=***" in r.stdout, "--dry-run shows the URL, masked", r.stdout)

    # -- quota: a 200 that is an error fails the partition and keeps the data
    State.mode = "quota"
    r = run("materialize", "raw_prices", "--partition", "IBM")
    err = last_error()
    t.ok(r.returncode != 0 and "Information: Thank you for using Alpha Vantage! Our standard "
         "API rate limit is 25 requests per day." in err and "apikey=***" in err,
         "a quota answer fails the partition with its message", err + r.stderr)
    got = rows("SELECT count(*) AS n FROM raw_prices WHERE symbol = 'IBM'")
    t.ok(got == [{"n": 3}], "the previous rows of the partition are kept", got)
    st = json.loads(run("status", "raw_prices", "--json").stdout)
    t.ok("IBM" in st["ranges"]["failed"], "the partition is failed", st)
    State.mode = "note"
    r = run("materialize", "raw_prices", "--partition", "MSFT")
    t.ok(r.returncode != 0 and "Note: Thank you for using Alpha Vantage!" in last_error(),
         "a {\"Note\": ...} answer fails too", last_error())
    r = run("materialize", "plain_prices", "--partition", "MSFT")
    t.ok(r.returncode != 0 and "expected CSV but the response is JSON: {\"Note\": "
         in last_error(), "without fail_when, JSON where CSV was asked for fails", last_error())
    State.mode = "ok"

    # -- an unknown symbol: {"Error Message": ...} with 200
    r = run("materialize", "raw_prices", "--partition", "BAD")
    t.ok(r.returncode != 0 and "Error Message: Invalid API call." in last_error(),
         "an error answer names the error", last_error())

    # -- HTTP errors
    r = run("materialize", "raw_prices", "--partition", "E500")
    err = last_error()
    t.ok(r.returncode != 0 and "answered 500 Internal Server Error: internal boom" in err
         and "(2 attempts)" in err, "a 500 is retried, then fails with status and body", err)
    r = run("materialize", "missing_page")
    err = last_error()
    t.ok(r.returncode != 0 and "GET " + BASE + "/nowhere?key=*** answered 404 Not Found: "
         "no such page: /nowhere" in err, "a 404 fails at once, naming the masked URL", err)

    r = run("materialize", "refused")
    err = last_error()
    t.ok(r.returncode != 0 and "GET http://127.0.0.1:%d/a.csv: Couldn't connect to server" % CLOSED_PORT
         in err, "a refused connection fails with curl's message", err)

    # -- a 503 with Retry-After, then 200: retried within the step
    r = run("materialize", "raw_prices", "--partition", "FLAKY")
    logs = run("logs", "last", "--json").stdout
    t.ok(r.returncode == 0 and State.flaky == 2 and "503 Service Unavailable" in logs
         and "retrying in 1 s" in logs, "a 503 then 200 succeeds after one retry",
         r.stdout + r.stderr + logs[-2000:])

    # -- a timeout
    t0 = time.monotonic()
    r = run("materialize", "raw_prices", "--partition", "SLOW")
    err = last_error()
    t.ok(r.returncode != 0 and "timed out after 2 s (2 attempts)" in err,
         "a slow answer times out (each attempt)", err)
    t.ok(time.monotonic() - t0 < 15, "the timeout is kept", time.monotonic() - t0)

    # -- malformed bodies
    r = run("materialize", "raw_prices", "--partition", "MALFORMED")
    err = last_error()
    t.ok(r.returncode != 0 and "the response is not valid CSV: line 2 has 3 fields, the header "
         "has 6" in err, "a malformed CSV fails, saying why", err)
    r = run("materialize", "bad_json")
    err = last_error()
    t.ok(r.returncode != 0 and "the response is not valid JSON: it ends in the middle of a value"
         in err, "a malformed JSON fails, saying why", err)
    t.ok(rows("SELECT count(*) AS n FROM raw_prices WHERE symbol = 'MALFORMED'") == [{"n": 0}],
         "nothing is written for a failed fetch", "")

    # -- JSON records and JSON lines
    r = run("materialize", "records,lines")
    got = rows("SELECT day, symbol, v, ok, note FROM records ORDER BY day")
    t.ok(r.returncode == 0 and isinstance(got, list) and len(got) == 3
         and got[0] == {"day": "2024-01-02", "symbol": "IBM", "v": 3.0, "ok": True, "note": None},
         "json records: the array at data.items", (r.stderr, got))
    t.ok(rows("SELECT count(*) AS n FROM lines") == [{"n": 2}], "json lines", "")

    # -- headers with a secret
    r = run("materialize", "authed")
    t.ok(r.returncode == 0 and rows("SELECT v FROM authed") == [{"v": 7}],
         "a header with {env:} reaches the server", r.stdout + r.stderr)
    r = run("materialize", "authed", env=dict(pr.env, AV_TOKEN="wrong-token"))
    t.ok(r.returncode != 0 and "answered 401 Unauthorized" in last_error(),
         "a refused token: 401", last_error())

    # -- time parameters with a format; a range step has no partition_key
    r = run("materialize", "by_day", "--from", "2024-01-02", "--to", "2024-01-03")
    got = rows("SELECT CAST(day AS VARCHAR) AS day, v FROM by_day")
    t.ok(r.returncode == 0 and got == [{"day": "2024-01-02", "v": "2024-01-02"}],
         "{partition_start:%Y-%m-%d} of a range step", (r.stderr, got))
    r = run("materialize", "by_day_key", "--from", "2024-01-02", "--to", "2024-01-04")
    err = last_error()
    t.ok(r.returncode != 0 and "{partition_key} is not bound: this step covers 3 partitions "
         "(2024-01-02...2024-01-04)" in err, "an unbound placeholder fails the step", err)

    # -- fallback_url when the key is not set; file: URLs
    r = run("materialize", "raw_prices", "--partition", "IBM", env=no_key)
    got = rows("SELECT CAST(day AS VARCHAR) AS day FROM raw_prices WHERE symbol = 'IBM'")
    logs = run("logs", "last", "--json").stdout
    t.ok(r.returncode == 0 and got == [{"day": "2023-12-29"}]
         and "AV_API_KEY is not set: using http.fallback_url" in logs,
         "fallback_url is used when the key is unset", (r.stderr, got))
    r = run("materialize", "plain_prices", "--partition", "IBM", env=no_key)
    t.ok(r.returncode != 0 and "the environment variable AV_API_KEY is not set" in last_error(),
         "without fallback_url, an unset key fails the step", last_error())
    r = run("materialize", "local_file")
    t.ok(r.returncode == 0 and rows("SELECT count(*) AS n FROM local_file") == [{"n": 1}],
         "file:///absolute/path", r.stdout + r.stderr)

    # -- cancel: Ctrl-C stops a transfer at once
    State.slow_started.clear()
    p = pr.start("materialize", "slow")
    started = State.slow_started.wait(20)
    time.sleep(0.2)
    os.killpg(p.pid, signal.SIGINT)
    t0 = time.monotonic()
    rc = wait_exit(p, 10)
    out, errout = pr.output()
    outputs.append(out + errout)
    t.ok(started and rc == 130 and time.monotonic() - t0 < 2,
         "Ctrl-C stops a running request within a second, exit 130",
         "started %s, exit %s after %.1f s: %s%s" % (started, rc, time.monotonic() - t0, out,
                                                     errout))
    t.ok(rows("SELECT count(*) AS n FROM slow").__class__ is str,
         "a canceled request writes nothing", "")

    # -- the secrets: nowhere
    outputs.append(run("logs", "--asset", "raw_prices", "--json").stdout)
    for rid in range(1, 40):
        r = run("logs", str(rid))
        if r.returncode != 0:
            break
    leaks = []
    for secret in (API_KEY, urllib.parse.quote(API_KEY, safe=""), TOKEN):
        if any(secret in o for o in outputs):
            leaks.append("output: " + secret)
        for d, _, files in os.walk(pr.dir):
            for f in files:
                with open(os.path.join(d, f), "rb") as fh:
                    if secret.encode() in fh.read():
                        leaks.append(os.path.join(d, f) + ": " + secret)
    db = os.path.join(pr.dir, ".tranche", "instance.db")
    t.ok(os.path.exists(db) and not leaks,
         "the key and the token appear in no output, log, database or run directory", leaks)
finally:
    server.shutdown()
    pr.cleanup()
t.done()
