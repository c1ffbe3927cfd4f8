#!/usr/bin/env python3
"""A stand-in for `tranche serve`, for working on the UI without the server.

Serves ui/ and answers the JSON API of docs/api.md (the contract in
shared/notes/api-contract.md) from canned, in-memory state: a few assets
(daily, static, time x symbol, and one of 1,000,000 hourly partitions to see
that the UI stays instant), backfills that materialize partitions over a few
seconds, runs with steps and an SSE log.

    python3 tests/browser/mock_server.py [--port 8765]

It is a development tool: the browser test (test_ui.mjs) runs against the
real `tranche serve`.
"""
import argparse
import datetime as dt
import json
import os
import threading
import time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from urllib.parse import urlparse, parse_qs

UI = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'ui')
NOW = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
M, F, P, X = 1, 2, 3, 0  # states in the byte arrays (X = missing)
LOCK = threading.RLock()


class Asset:
    def __init__(self, name, group, kind, ptype, deps, keyfn=None, n=0, dims=None, desc=''):
        self.name, self.group, self.kind, self.ptype, self.deps = name, group, kind, ptype, deps
        self.keyfn, self.n, self.dims, self.desc = keyfn, n, dims, desc
        self.state = bytearray(n if ptype else 1)
        self.last = None
        self.mats = []


def daily(start):
    return lambda i: (start + dt.timedelta(days=i)).strftime('%Y-%m-%d')


def hourly(start):
    return lambda i: (start + dt.timedelta(hours=i)).strftime('%Y-%m-%d-%H:%M')


D0 = dt.datetime(2024, 1, 1)
NDAYS = (NOW.replace(tzinfo=None) - D0).days
SYMBOLS = ['AAPL', 'IBM', 'MSFT', 'NVDA']
CATS = ['Books', 'Clothing', 'Electronics', 'Home']
BIG0 = dt.datetime(1910, 1, 1)

ASSETS = {}
for a in [
    Asset('events', 'raw', 'sql', 'daily', [], daily(D0), NDAYS, desc='Every event of the day, loaded from the API.'),
    Asset('daily_totals', 'marts', 'sql', 'daily', ['events'], daily(D0), NDAYS, desc='Totals per day.'),
    Asset('by_category', 'marts', 'sql', 'static', ['daily_totals'], lambda i: CATS[i], len(CATS), desc='Totals per category.'),
    Asset('prices', 'prices', 'sql', 'multi', ['events'],
          lambda i: f"{daily(D0)(i // len(SYMBOLS))}|{SYMBOLS[i % len(SYMBOLS)]}", NDAYS * len(SYMBOLS),
          dims=[{'name': 'date', 'type': 'daily', 'count': NDAYS, 'first': '2024-01-01', 'last': daily(D0)(NDAYS - 1)},
                {'name': 'symbol', 'type': 'dynamic', 'count': len(SYMBOLS), 'first': SYMBOLS[0], 'last': SYMBOLS[-1]}],
          desc='Daily prices per symbol.'),
    Asset('sensor_readings', 'raw', 'command', 'hourly', [], hourly(BIG0), 1_000_000, desc='A million hourly partitions.'),
    Asset('summary', 'marts', 'sql', None, ['daily_totals', 'by_category'], desc='Unpartitioned summary table.'),
]:
    ASSETS[a.name] = a

# some history: events partly materialized, a few failed; the big one partly done
ev = ASSETS['events']
for i in range(0, 40):
    ev.state[i] = M
ev.state[12] = F
ev.state[13] = F
big = ASSETS['sensor_readings']
big.state[0:600_000] = bytes([M]) * 600_000
big.state[700_000:700_500] = bytes([F]) * 500
pr = ASSETS['prices']
for i in range(0, 30 * len(SYMBOLS)):
    pr.state[i] = M
pr.state[5 * 4 + 1] = F

RUNS, BACKFILLS, EVENTS = [], [], []
COND = threading.Condition(LOCK)


def now_ms():
    return int(time.time() * 1000)


def add_event(run, typ, asset=None, partition=None, message=None, data=None):
    with COND:
        e = {'id': len(EVENTS) + 1, 'run_id': run['id'], 'ts': now_ms(), 'type': typ, 'asset': asset,
             'partition': partition, 'message': message}
        if data is not None:
            e['data'] = data
        EVENTS.append(e)
        COND.notify_all()
        return e


def counts(a, lo=0, hi=None):
    s = a.state[lo:hi] if a.ptype else a.state
    return [s.count(M), s.count(F), s.count(P), s.count(X)]


def asset_json(a):
    c = counts(a)
    d = {'name': a.name, 'group': a.group, 'kind': a.kind, 'table': a.name, 'description': a.desc, 'deps': a.deps,
         'downstream': [b.name for b in ASSETS.values() if a.name in b.deps], 'partitioned': bool(a.ptype),
         'partitions': {'type': a.ptype, 'total': a.n, 'materialized': c[0], 'failed': c[1], 'in_progress': c[2],
                        'missing': c[3]} if a.ptype else None,
         'last_materialization': a.last, 'checks': {'passed': 3 if a.last else 0, 'failed': 1 if a.name == 'events' else 0}}
    if not a.ptype:
        d['status'] = 'materialized' if a.state[0] == M else 'missing'
    return d


def ranges(a, state):
    out, i, n = [], 0, a.n
    s = a.state
    while i < n and len(out) < 20:
        j = s.find(bytes([state]), i)
        if j < 0:
            break
        k = j
        while k + 1 < n and s[k + 1] == state:
            k += 1
        out.append([j, k, a.keyfn(j), a.keyfn(k)])
        i = k + 1
    return out


def grid(a, q):
    if a.ptype == 'multi':
        ns = len(SYMBOLS)
        n = a.n // ns
    else:
        ns, n = 1, a.n
    lo = max(0, int(q.get('from', ['0'])[0]))
    hi = min(n - 1, int(q.get('to', [str(n - 1)])[0]))
    cols = max(1, min(4000, int(q.get('cols', ['1000'])[0]), hi - lo + 1))
    size = -(-(hi - lo + 1) // cols)
    cols = -(-(hi - lo + 1) // size)
    keys = daily(D0) if a.ptype == 'multi' else a.keyfn
    bucket_keys = [[keys(lo + c * size), keys(min(hi, lo + c * size + size - 1))] for c in range(cols)]
    labels = [{'col': c, 'key': bucket_keys[c][0]} for c in range(0, cols, max(1, cols // 10))]
    if a.ptype != 'multi':
        b = [counts(a, lo + c * size, min(hi, lo + c * size + size - 1) + 1) for c in range(cols)]
        return {'kind': 'strip', 'from': lo, 'to': hi, 'cols': cols, 'bucket_size': size, 'buckets': b,
                'labels': labels, 'bucket_keys': bucket_keys}
    r0 = int(q.get('rows_from', ['0'])[0])
    r1 = min(ns - 1, int(q.get('rows_to', [str(ns - 1)])[0]))
    cells = []
    for r in range(r0, r1 + 1):
        line = []
        for c in range(cols):
            a0 = lo + c * size
            a1 = min(hi, a0 + size - 1)
            s = a.state[a0 * ns + r:(a1 + 1) * ns:ns]
            line.append([s.count(M), s.count(F), s.count(P), s.count(X)])
        cells.append(line)
    return {'kind': 'grid', 'from': lo, 'to': hi, 'rows': SYMBOLS[r0:r1 + 1], 'rows_total': ns, 'cols': cols,
            'bucket_size': size, 'cells': cells, 'labels': labels, 'bucket_keys': bucket_keys,
            'time_dimension': 'date', 'row_dimension': 'symbol'}


def index_of(a, key):
    for i in range(a.n):  # fine for a mock: the big asset is not looked up by key in the demos
        if a.keyfn(i) == key:
            return i
    raise KeyError(key)


class BadRequest(Exception):
    pass


def resolve(a, body):
    if not a.ptype:
        return [0]
    if body.get('all'):
        return list(range(a.n))
    if body.get('missing'):
        return [i for i in range(a.n) if a.state[i] in (X, F)]
    if body.get('failed'):
        return [i for i in range(a.n) if a.state[i] == F]
    if 'from' in body:
        try:
            i, j = index_of(a, body['from']), index_of(a, body['to'])
        except KeyError as e:
            raise BadRequest(f'partition key "{e.args[0]}" is not a partition of {a.name}: keys go from '
                             f'{a.keyfn(0)} to {a.keyfn(a.n - 1)}')
        return list(range(i, j + 1))
    out = []
    for p in body.get('partitions', []):
        try:
            if '...' in p:
                x, y = p.split('...')
                out += range(index_of(a, x), index_of(a, y) + 1)
            else:
                out.append(index_of(a, p))
        except KeyError as e:
            raise BadRequest(f'partition key "{e.args[0]}" is not a partition of {a.name}')
    if not out:
        raise BadRequest('say which partitions: "partitions", "from"/"to", "missing", "failed" or "all"')
    return out


def ranges_text(a, idx):
    out = []
    idx = sorted(idx)
    i = 0
    while i < len(idx):
        j = i
        while j + 1 < len(idx) and idx[j + 1] == idx[j] + 1:
            j += 1
        out.append(a.keyfn(idx[i]) if i == j else f'{a.keyfn(idx[i])}...{a.keyfn(idx[j])}')
        i = j + 1
    return out


def launch(a, idx, body):
    bid = len(BACKFILLS) + 1
    rid = len(RUNS) + 1
    t = now_ms()
    words = 'missing' if body.get('missing') else 'failed' if body.get('failed') else 'all' if body.get('all') else \
        f"{body['from']}...{body['to']}" if 'from' in body else ', '.join(body.get('partitions', []))[:80]
    run = {'id': rid, 'status': 'running', 'selection': a.name, 'partitions': words, 'launched_by': 'ui (mock)',
           'created_at': t, 'ended_at': None, 'steps_total': len(idx), 'steps_succeeded': 0, 'steps_failed': 0,
           'steps_skipped': 0, 'backfill_id': bid, 'error': None, 'steps': []}
    bf = {'id': bid, 'status': 'running', 'selection': a.name, 'partitions': words, 'launched_by': 'ui (mock)',
          'created_at': t, 'ended_at': None, 'counts': {'total': len(idx), 'succeeded': 0, 'failed': 0, 'skipped': 0},
          'last_run_id': rid, 'runs': [rid], 'error': None, 'cancel': False}
    RUNS.append(run)
    BACKFILLS.append(bf)
    threading.Thread(target=execute, args=(a, idx, run, bf), daemon=True).start()
    return bf, run


def execute(a, idx, run, bf):
    add_event(run, 'run_start')
    batch = max(1, len(idx) // 20)
    for k in range(0, len(idx), batch):
        part = idx[k:k + batch]
        with LOCK:
            if bf['cancel']:
                break
            for i in part:
                a.state[i] = P
            for i in part[:50]:
                key = a.keyfn(i) if a.ptype else ''
                run['steps'].append({'asset': a.name, 'partition': key, 'state': 'running', 'start_ts': now_ms(),
                                     'end_ts': None, 'error': None})
                add_event(run, 'step_start', a.name, key)
        time.sleep(0.15)
        with LOCK:
            for i in part:
                a.state[i] = M
            for s in run['steps']:
                if s['state'] == 'running':
                    s['state'] = 'success'
                    s['end_ts'] = now_ms()
                    add_event(run, 'materialization', a.name, s['partition'], f'{100 + len(s["partition"])} rows')
                    add_event(run, 'step_success', a.name, s['partition'])
            run['steps_succeeded'] += len(part)
            bf['counts']['succeeded'] += len(part)
            key = a.keyfn(part[-1]) if a.ptype else None
            a.last = {'ts': now_ms(), 'run_id': run['id'], 'partition': key}
            a.mats.insert(0, {'event_id': len(EVENTS), 'run_id': run['id'], 'ts': now_ms(), 'partition': key,
                              'row_count': 120,
                              'metadata': {'row_count': 120, 'rows_deleted': 0, 'duration_ms': 12,
                                           'preview': {'columns': ['day', 'n'], 'rows': [{'day': key, 'n': 1}]},
                                           'metadata': {'total': 3.5}}})
    with LOCK:
        status = 'canceled' if bf['cancel'] else 'success'
        run['status'] = status
        bf['status'] = status if status == 'canceled' else 'completed'
        run['ended_at'] = bf['ended_at'] = now_ms()
        for i in idx:
            if a.state[i] == P:
                a.state[i] = X
        add_event(run, 'run_success' if status == 'success' else 'run_canceled')


class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def send(self, code, obj, ctype='application/json'):
        body = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Cache-Control', 'no-store')
        self.end_headers()
        self.wfile.write(body)

    def err(self, code, kind, msg):
        self.send(code, {'error': {'code': kind, 'message': msg}})

    def do_GET(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        p = u.path
        if not p.startswith('/api/'):
            f = 'index.html' if p == '/' else p.lstrip('/')
            path = os.path.normpath(os.path.join(UI, f))
            if not path.startswith(os.path.normpath(UI)) or not os.path.isfile(path):
                return self.err(404, 'not_found', f'no file {p}')
            ctype = {'html': 'text/html', 'js': 'text/javascript', 'css': 'text/css'}.get(f.rsplit('.', 1)[-1], 'application/octet-stream')
            with open(path, 'rb') as fh:
                return self.send(200, fh.read(), ctype + '; charset=utf-8')
        with LOCK:
            return self.api_get(p, q)

    def api_get(self, p, q):
        parts = p.split('/')[2:]
        if p == '/api/health':
            err = None
            if os.environ.get('MOCK_PROJECT_ERROR'):
                err = 'tranche.yaml:12:5: unknown key "partiton" in asset events (did you mean "partitions"?)'
            return self.send(200, {'ok': True, 'version': '0.1.0', 'project': 'mock', 'project_dir': '/tmp/mock',
                                   'project_error': err, 'now': now_ms(), 'runs_active': 0})
        if p == '/api/assets':
            return self.send(200, {'assets': [asset_json(a) for a in ASSETS.values()]})
        if parts[0] == 'assets' and len(parts) >= 2:
            a = ASSETS.get(parts[1])
            if not a:
                return self.err(404, 'not_found', f'no asset "{parts[1]}": the assets are {", ".join(ASSETS)}')
            if len(parts) == 2:
                d = asset_json(a)
                d.update({'sql': f'SELECT * FROM source WHERE day = $partition_key -- {a.name}',
                          'description_of_partitions': {
                              'daily': 'daily from 2024-01-01 (UTC); the last is yesterday\'s, the last complete day',
                              'hourly': 'hourly from 1910-01-01 (UTC): a million partitions',
                              'static': 'static: Books, Clothing, Electronics, Home',
                              'multi': 'multi: date (daily from 2024-01-01) × symbol (dynamic "symbols")'}.get(a.ptype),
                          'dimensions': a.dims or ([{'name': 'default', 'type': a.ptype, 'count': a.n, 'first': a.keyfn(0),
                                                     'last': a.keyfn(a.n - 1)}] if a.ptype else []),
                          'checks': [{'name': 'not_empty', 'severity': 'error', 'blocking': True, 'description': 'At least one row.'}],
                          'metadata_names': ['total'], 'backfill_policy': {'policy': 'multi_run'}, 'pool': None})
                return self.send(200, d)
            sub = parts[2]
            if sub == 'partitions' and len(parts) == 3:
                c = counts(a)
                return self.send(200, {'total': a.n, 'counts': dict(zip(['materialized', 'failed', 'in_progress', 'missing'], c)),
                                       'ranges': {'materialized': ranges(a, M), 'failed': ranges(a, F),
                                                  'in_progress': ranges(a, P), 'missing': ranges(a, X)},
                                       'ranges_truncated': False})
            if sub == 'partitions' and parts[3] == 'grid':
                if not a.ptype:
                    return self.err(400, 'bad_request', f'{a.name} is not partitioned')
                return self.send(200, grid(a, q))
            if sub == 'materializations':
                return self.send(200, {'materializations': a.mats[:int(q.get('limit', ['50'])[0])]})
            if sub == 'metadata_series':
                pts = [{'partition': a.keyfn(i), 'index': i, 'ts': 0, 'value': 100 + (i * 37) % 50}
                       for i in range(min(a.n, 1000)) if a.state[i] == M] if a.ptype else []
                return self.send(200, {'points': pts})
            if sub == 'checks':
                res = [{'name': 'not_empty', 'severity': 'error', 'partition': '2024-01-05', 'passed': a.name != 'events',
                        'message': '0 rows' if a.name == 'events' else None, 'run_id': 1, 'ts': now_ms()}] if a.last or a.name == 'events' else []
                return self.send(200, {'checks': res})
        if p == '/api/lineage':
            depth = {}

            def dep(n):
                if n not in depth:
                    depth[n] = 1 + max([dep(d) for d in ASSETS[n].deps] or [-1])
                return depth[n]
            rows = {}
            nodes = []
            for n, a in ASSETS.items():
                d = dep(n)
                r = rows.get(d, 0)
                rows[d] = r + 1
                c = counts(a)
                st = 'running' if c[2] else 'failed' if c[1] else 'materialized' if c[3] == 0 else 'partial' if c[0] else 'missing'
                # as Graphviz gives them: the centre of each node, in points, y down
                nodes.append({'name': n, 'group': a.group, 'kind': a.kind, 'partitions': a.ptype, 'status': st,
                              'x': d * 130 + 40, 'y': r * 56 + 20, 'width': 80, 'height': 36.8})
            pos = {n['name']: n for n in nodes}
            edges = [{'from': d, 'to': a.name, 'mapping': 'identity',
                      'points': [[pos[d]['x'] + 40, pos[d]['y']], [pos[a.name]['x'] - 40, pos[a.name]['y']]]}
                     for a in ASSETS.values() for d in a.deps]
            return self.send(200, {'nodes': nodes, 'edges': edges, 'width': 4 * 130, 'height': max(rows.values()) * 56})
        if p == '/api/runs':
            return self.send(200, {'runs': [{k: v for k, v in r.items() if k != 'steps'} for r in reversed(RUNS)]})
        if parts[0] == 'runs' and len(parts) >= 2:
            r = next((r for r in RUNS if str(r['id']) == parts[1]), None)
            if not r:
                return self.err(404, 'not_found', f'no run {parts[1]}')
            if len(parts) == 2:
                return self.send(200, r)
            if parts[2] == 'stream':
                return self.stream(r)
        if p == '/api/backfills':
            return self.send(200, {'backfills': [{k: v for k, v in b.items() if k != 'cancel'} for b in reversed(BACKFILLS)]})
        if parts[0] == 'backfills' and len(parts) == 2:
            b = next((b for b in BACKFILLS if str(b['id']) == parts[1]), None)
            if not b:
                return self.err(404, 'not_found', f'no backfill {parts[1]}')
            return self.send(200, {k: v for k, v in b.items() if k != 'cancel'})
        return self.err(404, 'not_found', f'no route GET {p}')

    def stream(self, run):
        self.send_response(200)
        self.send_header('Content-Type', 'text/event-stream')
        self.send_header('Cache-Control', 'no-store')
        self.send_header('Connection', 'close')
        self.end_headers()
        last = 0
        LOCK.release()
        try:
            while True:
                with COND:
                    evs = [e for e in EVENTS[last:] if e['run_id'] == run['id']]
                    last = len(EVENTS)
                    ended = run['status'] not in ('running', 'canceling')
                for e in evs:
                    self.wfile.write(f"id: {e['id']}\nevent: {e['type']}\ndata: {json.dumps(e)}\n\n".encode())
                self.wfile.flush()
                if ended:
                    self.wfile.write(b'event: end\ndata: {}\n\n')
                    self.wfile.flush()
                    break
                with COND:
                    COND.wait(1)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            LOCK.acquire()
            self.close_connection = True

    def do_POST(self):
        u = urlparse(self.path)
        n = int(self.headers.get('Content-Length') or 0)
        try:
            body = json.loads(self.rfile.read(n) or b'{}')
        except ValueError:
            return self.err(400, 'bad_request', 'the body is not JSON')
        parts = u.path.split('/')[2:]
        with LOCK:
            if u.path in ('/api/backfills', '/api/materialize'):
                a = ASSETS.get(body.get('selection', ''))
                if not a:
                    return self.err(400, 'bad_request', f'unknown asset "{body.get("selection")}": the assets are {", ".join(ASSETS)}')
                try:
                    idx = resolve(a, body)
                except BadRequest as e:
                    return self.err(400, 'bad_request', str(e))
                if body.get('dry_run'):
                    return self.send(200, {'plan': [{'asset': a.name, 'partitions': len(idx), 'steps': len(idx),
                                                     'ranges': ranges_text(a, idx)[:20], 'policy': 'multi_run', 'max_per_step': 1}],
                                           'partitions': len(idx), 'steps': len(idx)})
                bf, run = launch(a, idx, body)
                return self.send(202, {'backfill_id': bf['id'], 'run_id': run['id'], 'partitions': len(idx)})
            if parts[0] == 'backfills' and len(parts) == 3:
                b = next((b for b in BACKFILLS if str(b['id']) == parts[1]), None)
                if not b:
                    return self.err(404, 'not_found', f'no backfill {parts[1]}')
                if parts[2] == 'cancel':
                    b['cancel'] = True
                    b['status'] = 'canceling'
                    return self.send(200, {'ok': True, 'status': 'canceling'})
                return self.err(409, 'conflict', f'backfill {parts[1]} has nothing left to run')
            if parts[0] == 'runs' and len(parts) == 3 and parts[2] == 'cancel':
                r = next((r for r in RUNS if str(r['id']) == parts[1]), None)
                if r:
                    b = next(b for b in BACKFILLS if b['id'] == r['backfill_id'])
                    b['cancel'] = True
                    r['status'] = 'canceling'
                    return self.send(200, {'ok': True, 'status': 'canceling'})
            return self.err(404, 'not_found', f'no route POST {u.path}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, default=8765)
    args = ap.parse_args()
    srv = ThreadingHTTPServer(('127.0.0.1', args.port), H)
    srv.daemon_threads = True
    print(f'mock tranche serve on http://127.0.0.1:{args.port}/', flush=True)
    srv.serve_forever()


if __name__ == '__main__':
    main()
