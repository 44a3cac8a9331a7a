// The browser console's session: login sets an HttpOnly session cookie and a readable CSRF cookie
// (both SameSite=Strict; Secure only behind a trusted TLS proxy), the cookie alone authenticates
// GET, a state-changing call needs X-CSRF-Token equal to the kg_csrf cookie, and logout clears both.

import assert from 'node:assert/strict';
import { before, after, test } from 'node:test';
import { forEachBackend, startServer, signup, uniqueEmail, assertError, request, PASSWORD } from './harness.mjs';

// POST /console/v1/login with fetch, keeping every Set-Cookie header apart.
async function loginRaw(url, email, headers = {}) {
  const res = await fetch(`${url}/console/v1/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', connection: 'close', ...headers },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  const body = await res.json();
  return { status: res.status, body, cookies: res.headers.getSetCookie() };
}

// "name=value; A; B=c" -> {name, value, attrs: {a: true, b: 'c'}} (attribute names in lower case).
function parseSetCookie(line) {
  const [pair, ...rest] = line.split(';').map((s) => s.trim());
  const i = pair.indexOf('=');
  const attrs = {};
  for (const a of rest) {
    const j = a.indexOf('=');
    if (j < 0) attrs[a.toLowerCase()] = true;
    else attrs[a.slice(0, j).toLowerCase()] = a.slice(j + 1);
  }
  return { name: pair.slice(0, i), value: pair.slice(i + 1), attrs };
}

function cookiesOf(lines) {
  const out = {};
  for (const l of lines) {
    const c = parseSetCookie(l);
    out[c.name] = c;
  }
  return out;
}

forEachBackend('console session cookies', (backend) => {
  let s;
  before(async () => {
    // 127.0.0.1 is a trusted proxy here, so X-Forwarded-Proto: https stands for a TLS front end.
    s = await startServer({ backend, env: { KEYGATE_HTTP_TRUSTED_PROXIES: '127.0.0.1' } });
  });
  after(async () => { await s?.stop(); });

  test('login sets kg_session (HttpOnly) and kg_csrf (readable), both SameSite=Strict', async () => {
    const { email } = await signup(s.url, uniqueEmail('cookie'));
    const r = await loginRaw(s.url, email);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.cookies.length, 2, r.cookies.join(' | '));
    const c = cookiesOf(r.cookies);

    const session = c.kg_session;
    assert.ok(session, r.cookies.join(' | '));
    assert.equal(session.value, r.body.token, 'the session cookie carries the session token');
    assert.equal(session.attrs.path, '/');
    assert.equal(session.attrs.httponly, true);
    assert.equal(session.attrs.samesite, 'Strict');
    assert.equal(session.attrs.secure, undefined, 'no Secure over plain HTTP');
    const maxAge = Number(session.attrs['max-age']);
    const expected = (r.body.expiresAt - Date.now()) / 1000;
    assert.ok(maxAge > 0 && Math.abs(maxAge - expected) < 10, `Max-Age ${maxAge} matches expiresAt (${expected})`);

    const csrf = c.kg_csrf;
    assert.ok(csrf, r.cookies.join(' | '));
    assert.match(csrf.value, /^[0-9a-f]{32}$/);
    assert.equal(csrf.attrs.path, '/');
    assert.equal(csrf.attrs.httponly, undefined, 'the page must be able to read the CSRF cookie');
    assert.equal(csrf.attrs.samesite, 'Strict');
    assert.equal(csrf.attrs['max-age'], session.attrs['max-age']);

    // A second login gets a new CSRF token.
    const again = cookiesOf((await loginRaw(s.url, email)).cookies);
    assert.notEqual(again.kg_csrf.value, csrf.value);
    assert.notEqual(again.kg_session.value, session.value);
  });

  test('behind a trusted TLS proxy both cookies are Secure', async () => {
    const { email } = await signup(s.url, uniqueEmail('tls'));
    const r = await loginRaw(s.url, email, { 'x-forwarded-proto': 'https' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const c = cookiesOf(r.cookies);
    assert.equal(c.kg_session.attrs.secure, true, r.cookies.join(' | '));
    assert.equal(c.kg_csrf.attrs.secure, true, r.cookies.join(' | '));
    assert.equal(c.kg_session.attrs.httponly, true);
  });

  test('the cookie alone authenticates GET; POST needs X-CSRF-Token; logout clears both', async () => {
    const { email } = await signup(s.url, uniqueEmail('csrf'));
    const r = await loginRaw(s.url, email);
    const c = cookiesOf(r.cookies);
    const jar = `kg_session=${c.kg_session.value}; kg_csrf=${c.kg_csrf.value}`;
    const withCookies = (method, p, headers = {}, json) => request(s.url, method, p, { headers: { cookie: jar, ...headers }, json });

    const me = await withCookies('GET', '/console/v1/me');
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.email, email);

    // Without the header, with a wrong one, or with the cookie's value but no kg_csrf cookie: refused.
    assertError(await withCookies('POST', '/console/v1/2fa/setup', {}, {}), 403, -7108);
    assertError(await withCookies('POST', '/console/v1/2fa/setup', { 'x-csrf-token': 'f'.repeat(32) }, {}), 403, -7108);
    assertError(await request(s.url, 'POST', '/console/v1/2fa/setup', {
      headers: { cookie: `kg_session=${c.kg_session.value}`, 'x-csrf-token': c.kg_csrf.value }, json: {},
    }), 403, -7108);
    assertError(await withCookies('POST', '/console/v1/logout', {}, {}), 403, -7108);

    const ok = await withCookies('POST', '/console/v1/2fa/setup', { 'x-csrf-token': c.kg_csrf.value }, {});
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.body.secret, /^[A-Z2-7]+$/);

    // A bearer token needs no CSRF header (no ambient authority).
    const bearer = await request(s.url, 'POST', '/console/v1/2fa/setup', { token: r.body.token, json: {} });
    assert.equal(bearer.status, 200, bearer.text);

    // Logout: both cookies cleared (empty, Max-Age=0), and the session is gone.
    const out = await fetch(`${s.url}/console/v1/logout`, {
      method: 'POST',
      headers: { cookie: jar, 'x-csrf-token': c.kg_csrf.value, 'content-type': 'application/json', connection: 'close' },
      body: '{}',
    });
    assert.equal(out.status, 200);
    const cleared = cookiesOf(out.headers.getSetCookie());
    for (const name of ['kg_session', 'kg_csrf']) {
      assert.ok(cleared[name], `logout clears ${name}: ${out.headers.getSetCookie().join(' | ')}`);
      assert.equal(cleared[name].value, '');
      assert.equal(cleared[name].attrs['max-age'], '0');
      assert.equal(cleared[name].attrs.path, '/');
      assert.equal(cleared[name].attrs.samesite, 'Strict');
    }
    assert.equal(cleared.kg_session.attrs.httponly, true);
    assertError(await withCookies('GET', '/console/v1/me'), 401, -7100);
    assertError(await request(s.url, 'GET', '/console/v1/me', { token: r.body.token }), 401, -7100);
  });
});
