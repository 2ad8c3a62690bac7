// Talks to the dashboard API. Remembers each answer's ETag so a repeated request can be answered
// "304 Not Modified" (the cached answer is returned then), and turns failures into two kinds:
// AuthRequired (401: show the login form) and ApiUnreachable (network failure or server error).

export class AuthRequired extends Error {}
export class ApiUnreachable extends Error {
  /** status: the HTTP status of an answer that was not OK; undefined when nothing answered. */
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

const cache = new Map(); // url -> { etag, data }

export function url(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  }
  const q = query.toString();
  return `/api/dashboard/${path}${q ? `?${q}` : ''}`;
}

/** GETs JSON from the API; returns { data, changed } where changed is false on 304. */
export async function getJson(path, params) {
  const target = url(path, params);
  const cached = cache.get(target);
  const headers = { Accept: 'application/json' };
  if (cached?.etag) headers['If-None-Match'] = cached.etag;

  let response;
  try {
    // no-store: the browser's own cache stays out of the way, so a 304 reaches this code as it is.
    response = await fetch(target, { headers, credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    throw new ApiUnreachable(`The API cannot be reached (${e.message}).`);
  }
  if (response.status === 304 && cached) return { data: cached.data, changed: false };
  if (response.status === 401) throw new AuthRequired('Log in to see the dashboard.');
  if (!response.ok) throw new ApiUnreachable(`The API answered ${response.status} ${response.statusText} for ${target}.`, response.status);

  const data = await response.json();
  const etag = response.headers.get('ETag');
  if (etag) cache.set(target, { etag, data });
  return { data, changed: true };
}

/** Forgets the kept answers and ETags, so the next requests fetch everything anew. */
export function forgetAnswers() {
  cache.clear();
}

/** The HTTP status of a GET, read from the headers only (a stream's body never ends); 0 when nothing answered. */
export async function probe(path) {
  const abort = new AbortController();
  try {
    const response = await fetch(url(path), { credentials: 'same-origin', cache: 'no-store', signal: abort.signal });
    return response.status;
  } catch {
    return 0;
  } finally {
    abort.abort();
  }
}

/** Logs in with Kodosumi's credentials; the server sets the session cookie. Returns an error text or null. */
export async function login(name, password) {
  try {
    const response = await fetch('/api/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify({ name, password }),
    });
    if (response.ok) {
      cache.clear();
      return null;
    }
    if (response.status === 401 || response.status === 400 || response.status === 403) return 'Wrong name or password.';
    return `Login failed: ${response.status} ${response.statusText}.`;
  } catch (e) {
    return `The server cannot be reached (${e.message}).`;
  }
}

export async function logout() {
  cache.clear();
  try {
    await fetch('/logout', { method: 'POST', credentials: 'same-origin' });
  } catch {
    // the reload that follows shows whatever state the server is in
  }
}
