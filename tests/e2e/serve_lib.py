"""tests/e2e/serve_lib.py — a `tranche serve` on a loopback port for the
end-to-end tests of the server (test_serve_*.py): started as a real process
with lib.Project.start, its URL read from its first line of output, and a
small HTTP client (http.client, stdlib only) that returns (status, headers,
JSON or text)."""
import http.client
import json
import re
import signal

from lib import wait_exit, wait_until


class Server:
    def __init__(self, project, *args, token=None):
        self.project = project
        self.token = token
        self.p = project.start("serve", "--port", "0", *args)
        self.url = None
        found = wait_until(lambda: self._url() or self.p.poll() is not None, 30)
        if not found or not self.url:
            raise RuntimeError("the server did not start: %s" % (project.output(),))
        m = re.match(r"http://([^:/]+):(\d+)", self.url)
        self.host, self.port = m.group(1), int(m.group(2))

    def _url(self):
        out, _ = self.project.output()
        m = re.search(r"http://[0-9.]+:\d+", out)
        if m:
            self.url = m.group(0)
        return self.url is not None

    def req(self, method, path, body=None, headers=None, raw=None, timeout=60, auth=True):
        """(status, headers dict with lower-case names, parsed JSON or text)"""
        c = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        h = {} if headers is None else dict(headers)
        if self.token and auth:
            h.setdefault("Authorization", "Bearer " + self.token)
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        text = r.read().decode("utf-8", "replace")
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        if hdrs.get("content-type", "").startswith("application/json"):
            try:
                return r.status, hdrs, json.loads(text)
            except ValueError:
                pass
        return r.status, hdrs, text

    def get(self, path, **kw):
        return self.req("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.req("POST", path, body={} if body is None else body, **kw)

    def error(self, answer):
        """The message of an error answer ("" when it is not one)."""
        if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
            return answer["error"].get("message", "")
        return ""

    def run_ended(self, run_id, timeout=120):
        def ended():
            s, _, r = self.get(f"/api/runs/{run_id}")
            return s == 200 and r["status"] != "running"
        return wait_until(ended, timeout, 0.1)

    def stop(self, timeout=60):
        """SIGTERM, then the exit status (None if it did not exit)."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        return wait_exit(self.p, timeout)
