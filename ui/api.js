// api.js — every call to tranche's JSON API goes through here: the token, JSON
// bodies, and errors turned into ApiError carrying the server's message.

const TOKEN_KEY = 'tranche.token';

// ?token=T in the page's URL is kept for the session (and removed from the
// address bar, so that it is not copied along with a link).
export function initToken() {
  const params = new URLSearchParams(location.search);
  const t = params.get('token');
  if (t) {
    try { sessionStorage.setItem(TOKEN_KEY, t); } catch (e) { /* storage disabled */ }
    params.delete('token');
    const q = params.toString();
    history.replaceState(null, '', location.pathname + (q ? '?' + q : '') + location.hash);
  }
}

export function token() {
  try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; }
}

export class ApiError extends Error {
  constructor(message, status, code, path) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.path = path;
  }
}

function headers(extra) {
  const h = Object.assign({ Accept: 'application/json' }, extra || {});
  const t = token();
  if (t) h.Authorization = 'Bearer ' + t;
  return h;
}

async function parse(res, path) {
  const text = await res.text();
  let body = null;
  if (text) {
    try { body = JSON.parse(text); } catch (e) { body = null; }
  }
  if (!res.ok) {
    let msg = body && body.error && body.error.message;
    const code = body && body.error && body.error.code;
    if (!msg) msg = (text && text.length < 500 ? text.trim() : '') || `HTTP ${res.status} ${res.statusText}`;
    throw new ApiError(msg, res.status, code || 'http_' + res.status, path);
  }
  if (body === null && text) throw new ApiError(`${path}: the server's answer is not JSON`, res.status, 'bad_response', path);
  return body;
}

async function request(method, path, body, signal) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: headers(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal,
      cache: 'no-store',
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(`cannot reach the server (${method} ${path}): ${e.message}`, 0, 'network', path);
  }
  return parse(res, path);
}

export const get = (path, signal) => request('GET', path, undefined, signal);
export const post = (path, body, signal) => request('POST', path, body === undefined ? {} : body, signal);

// A URL for EventSource, which cannot send headers: the token goes in the query.
export function streamUrl(path) {
  const t = token();
  if (!t) return path;
  return path + (path.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(t);
}

export const enc = encodeURIComponent;
