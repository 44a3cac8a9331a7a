// Binance's REST rate limits on the real binary, with small limits from a [[rate_limits]] config
// file: exchangeInfo publishes exactly what is enforced; X-MBX-USED-WEIGHT-1M counts every Binance
// request's weight (public, refused and unknown ones too; not the console's or health's); the weight
// unit past the limit gets 429 -1003 with Retry-After and Binance's message; a client that keeps
// going gets 418 and a 2-minute ban; other clients (X-Forwarded-For through a trusted proxy) are
// unaffected; a window that ends lets the client in again; ORDERS per account with
// X-MBX-ORDER-COUNT-10S/-1D and 429 -1015; a limit that cannot be enforced stops the start.
//
// SQLite only: the limiter keeps its counters in memory and never touches the store, so the
// backend makes no difference here.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  admin, assertError, createKey, request, runServerExpectingExit, sendRaw, signedRequest, sleep, startServer,
  userWith2FA,
} from './harness.mjs';

const LIMITS = [
  { type: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 100 },
  { type: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 3 },
  { type: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 5 },
  { type: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 1, limit: 1000 },
];
const TOO_MUCH = (limit, per) => `Too much request weight used; current limit is ${limit} request weight per ${per}. ` +
  'Please use WebSocket Streams for live updates to avoid polling the API.';
const BANNED = /^Way too much request weight used; IP banned until (\d+)\. Please use WebSocket Streams for live updates to avoid bans\.$/;
const STRIKES_BEFORE_BAN = 10;  // 429s one IP gets in a window; the next request over the limit is a ban

// Requests from a client behind the trusted proxy (127.0.0.1, the test itself).
const from = (ip, headers = {}) => ({ headers: { 'x-forwarded-for': ip, ...headers } });
const get = (s, p, ip) => request(s.url, 'GET', p, from(ip));
const used = (r) => r.headers['x-mbx-used-weight-1m'];

// Waits for the next window when less than `needMs` of the current one is left, so that a test's
// requests all fall in one window (the server's clock is this machine's).
async function roomInWindow(windowMs, needMs) {
  const left = windowMs - (Date.now() % windowMs);
  if (left < needMs) await sleep(left + 30);
}

// What Retry-After may say for a window ending at `end`, for a request sent between t0 and t1.
function assertRetryAfter(r, end, t0, t1) {
  const value = Number(r.headers['retry-after']);
  assert.ok(Number.isInteger(value), `Retry-After: ${r.headers['retry-after']}`);
  const lo = Math.max(1, Math.ceil((end - t1) / 1000));
  const hi = Math.ceil((end - t0) / 1000);
  assert.ok(value >= lo && value <= hi, `Retry-After ${value} not in [${lo}, ${hi}]`);
}

describe('rate limits [sqlite]', () => {
  let s;
  before(async () => {
    s = await startServer({ rateLimits: LIMITS, extraArgs: ['--demo'], env: { KEYGATE_HTTP_TRUSTED_PROXIES: '127.0.0.1' } });
  });
  after(async () => { await s?.stop(); });

  test('exchangeInfo publishes exactly the limits enforced', async () => {
    await roomInWindow(60_000, 5000);
    const r = await get(s, '/api/v3/exchangeInfo', '198.51.100.1');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.rateLimits, LIMITS.map((l) => ({
      rateLimitType: l.type, interval: l.interval, intervalNum: l.intervalNum, limit: l.limit,
    })));
    assert.equal(used(r), '20');
    assert.equal(r.headers['x-mbx-order-count-10s'], undefined);
  });

  test('every Binance request counts its weight: public, refused and unknown ones; the console and health do not', async () => {
    await roomInWindow(60_000, 8000);
    const ip = '198.51.100.2';
    const steps = [
      [() => get(s, '/api/v3/ping', ip), 200, '1'],
      [() => get(s, '/api/v3/time', ip), 200, '2'],
      [() => get(s, '/api/v3/exchangeInfo', ip), 200, '22'],
      [() => get(s, '/api/v3/depth?symbol=BTCUSDT', ip), 200, '27'],
      [() => get(s, '/api/v3/no-such-endpoint', ip), 404, '28'],
      [() => request(s.url, 'PATCH', '/api/v3/ping', from(ip)), 405, '29'],
      // Refused by the gatekeeper before any handler: the route's weight (20) still counts.
      [() => sendRaw(s.url, 'GET', '/api/v3/account', { apiKey: 'not-a-key', query: 'timestamp=1&signature=x', ...from(ip) }), 401, '49'],
      [() => sendRaw(s.url, 'GET', '/api/v3/account', { apiKey: 'A'.repeat(64), query: `timestamp=${Date.now()}&signature=x`, ...from(ip) }), 401, '69'],
      [() => request(s.url, 'POST', '/console/v1/login', { json: { email: 'nobody@example.com', password: 'wrong password!' }, ...from(ip) }), 401, undefined],
      [() => get(s, '/healthz', ip), 200, undefined],
      [() => get(s, '/metrics', ip), 200, undefined],
      [() => get(s, '/api/v3/ping', ip), 200, '70'],
    ];
    for (const [send, status, weight] of steps) {
      const r = await send();
      assert.equal(r.status, status, r.text);
      assert.equal(used(r), weight, `${r.status} ${r.text}`);
    }
  });

  test('the weight unit past the limit gets 429 -1003 with Retry-After; other clients are unaffected', async () => {
    await roomInWindow(60_000, 15_000);  // this test and the next share the window
    const ip = '198.51.100.3';
    for (let i = 1; i <= 5; ++i) {
      const r = await get(s, '/api/v3/exchangeInfo', ip);
      assert.equal(r.status, 200, r.text);
      assert.equal(used(r), String(20 * i));
    }
    const t0 = Date.now();
    const r = await get(s, '/api/v3/ping', ip);
    const t1 = Date.now();
    assertError(r, 429, -1003, TOO_MUCH(100, '1 MINUTE'));
    assertRetryAfter(r, Math.floor(t0 / 60_000) * 60_000 + 60_000, t0, t1);
    assert.equal(used(r), '101');

    const other = await get(s, '/api/v3/ping', '198.51.100.4');
    assert.equal(other.status, 200, other.text);
    assert.equal(used(other), '1');
    const proxy = await request(s.url, 'GET', '/api/v3/ping');  // 127.0.0.1 itself
    assert.equal(proxy.status, 200, proxy.text);
  });

  test('a client that keeps going after 429s is banned: 418 for 2 minutes, cheaply, on every Binance route', async () => {
    const ip = '198.51.100.3';
    for (let i = 2; i <= STRIKES_BEFORE_BAN; ++i) {
      const r = await get(s, '/api/v3/ping', ip);
      assertError(r, 429, -1003, TOO_MUCH(100, '1 MINUTE'));
    }
    const t0 = Date.now();
    const ban = await get(s, '/api/v3/ping', ip);
    assertError(ban, 418, -1003);
    const until = Number(BANNED.exec(ban.body.msg)?.[1]);
    assert.ok(until >= t0 + 120_000 && until <= Date.now() + 120_000, `banned until ${until}, sent at ${t0}`);
    assert.equal(ban.headers['retry-after'], '120');

    for (const p of ['/api/v3/exchangeInfo', '/api/v3/time', '/api/v3/no-such-endpoint']) {
      const t2 = Date.now();
      const r = await get(s, p, ip);
      assertError(r, 418, -1003, ban.body.msg);
      assertRetryAfter(r, until, t2, Date.now());  // the seconds left of the ban (119 or 120 on a quick machine)
      assert.equal(used(r), undefined, 'a banned request is not counted');
    }
    const account = await sendRaw(s.url, 'GET', '/api/v3/account', { apiKey: 'A'.repeat(64), query: 'timestamp=1&signature=x', ...from(ip) });
    assertError(account, 418, -1003);
    // Not Binance's: the console, health and metrics still answer the banned address.
    assert.equal((await get(s, '/healthz', ip)).status, 200);
    const login = await request(s.url, 'POST', '/console/v1/login', { json: { email: 'nobody@example.com', password: 'wrong password!' }, ...from(ip) });
    assert.equal(login.status, 401, login.text);
    // And everyone else is served.
    const other = await get(s, '/api/v3/ping', '198.51.100.5');
    assert.equal(other.status, 200, other.text);
    assert.equal(used(other), '1');
    assert.equal((await get(s, '/api/v3/ping', '198.51.100.4')).status, 200);
  });

  test('orders count per account: X-MBX-ORDER-COUNT-10S/-1D on success, then 429 -1015', async () => {
    const user = await userWith2FA(s.url, { tag: 'rl-orders' });
    const created = await createKey(s.url, user, { permissions: ['READ', 'TRADE'] });
    const key = { apiKey: created.apiKey, type: 'HMAC_SHA256', secretKey: created.secretKey };
    const dep = await admin(s.dataDir, ['deposit', '--email', user.email, '--asset', 'USDT', '--amount', '1000']);
    assert.equal(dep.code, 0, dep.stderr);
    let n = 0;
    // The 1-DAY window starts at 00:00 UTC: not a minute before it, when this test could span two days.
    await roomInWindow(86_400_000, 60_000);
    // Resting LIMIT BUYs far below the market: each one a new order, none fills.
    const place = (ip) => signedRequest(s.url, 'POST', '/api/v3/order', key, {
      params: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '10000', newClientOrderId: `rl-${++n}` },
      ...from(ip),
    });

    await roomInWindow(10_000, 4000);
    for (let i = 1; i <= 3; ++i) {
      const r = await place('198.51.100.6');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers['x-mbx-order-count-10s'], String(i));
      assert.equal(r.headers['x-mbx-order-count-1d'], String(i));
      assert.ok(used(r), 'an order request carries the IP weight too');
    }
    // order/test is not an order.
    const probe = await signedRequest(s.url, 'POST', '/api/v3/order/test', key, {
      params: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '10000' },
      ...from('198.51.100.6'),
    });
    assert.equal(probe.status, 200, probe.text);
    assert.equal(probe.headers['x-mbx-order-count-10s'], undefined);
    // The account is over, from any address; a refused order is not counted.
    const t0 = Date.now();
    const refused = await place('198.51.100.7');
    const t1 = Date.now();
    assertError(refused, 429, -1015, 'Too many new orders; current limit is 3 orders per 10 SECOND.');
    assertRetryAfter(refused, Math.floor(t0 / 10_000) * 10_000 + 10_000, t0, t1);
    assert.equal(refused.headers['x-mbx-order-count-10s'], undefined);
    const open = await signedRequest(s.url, 'GET', '/api/v3/openOrders', key, { params: { symbol: 'BTCUSDT' }, ...from('198.51.100.6') });
    assert.equal(open.status, 200, open.text);
    assert.equal(open.body.length, 3, 'the refused order was not placed');

    await sleep(Number(refused.headers['retry-after']) * 1000 + 50);
    for (let i = 4; i <= 5; ++i) {
      const r = await place('198.51.100.6');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers['x-mbx-order-count-1d'], String(i));
    }
    const day = await place('198.51.100.6');
    assertError(day, 429, -1015, 'Too many new orders; current limit is 5 orders per 1 DAY.');
  });
});

describe('rate limits: a window that ends lets the client in again [sqlite]', () => {
  let s;
  before(async () => {
    s = await startServer({ rateLimits: [{ type: 'REQUEST_WEIGHT', interval: 'SECOND', intervalNum: 2, limit: 5 }] });
  });
  after(async () => { await s?.stop(); });

  test('429 until the 2-second window ends, then served with the count started over', async () => {
    // The six requests must fall in one window. They start with it; on a machine so loaded that a
    // window ended before they did (the count started over then), they are sent again in the next.
    let pings;
    for (let attempt = 1; ; attempt++) {
      await sleep(2000 - (Date.now() % 2000) + 30);
      const started = Math.floor(Date.now() / 2000);
      pings = [];
      for (let i = 1; i <= 6; ++i) pings.push(await request(s.url, 'GET', '/api/v3/ping'));
      if (Math.floor(Date.now() / 2000) === started || attempt === 3) break;
    }
    for (let i = 1; i <= 5; ++i) {
      const r = pings[i - 1];
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers['x-mbx-used-weight-2s'], String(i));
      assert.equal(r.headers['x-mbx-used-weight-1m'], undefined, 'no header for an interval not configured');
    }
    const over = pings[5];
    assertError(over, 429, -1003, TOO_MUCH(5, '2 SECOND'));
    assert.ok(['1', '2'].includes(over.headers['retry-after']), over.headers['retry-after']);
    await sleep(2000 - (Date.now() % 2000) + 30);
    const again = await request(s.url, 'GET', '/api/v3/ping');
    assert.equal(again.status, 200, again.text);
    assert.equal(again.headers['x-mbx-used-weight-2s'], '1');
  });
});

describe('rate limits: defaults and configuration [sqlite]', () => {
  test('without [[rate_limits]] the server enforces and publishes Binance\'s', async () => {
    const s = await startServer({ rateLimits: null });
    try {
      const r = await request(s.url, 'GET', '/api/v3/exchangeInfo');
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.rateLimits, [
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
        { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 50 },
        { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 160000 },
        { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
      ]);
      assert.equal(used(r), '20');
    } finally {
      await s.stop();
    }
  });

  test('a limit that cannot be enforced stops the start, naming it', async () => {
    const res = await runServerExpectingExit({ rateLimits: [{ type: 'REQUEST_WEIGHT', interval: 'WEEK', intervalNum: 1, limit: 10 }] });
    assert.equal(res.listened, false, res.output);
    assert.equal(res.code, 1, res.output);
    assert.match(res.output, /\[\[rate_limits\]\] REQUEST_WEIGHT per 1 WEEK: interval must be SECOND, MINUTE, HOUR or DAY/);
  });
});
