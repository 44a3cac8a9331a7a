// WebSocket streams against the real binary, on every backend: listen keys (POST/PUT/DELETE
// /api/v3/userDataStream), the user data stream (executionReport within 100 ms of the order,
// outboundAccountPosition, balanceUpdate; closed when its listen key is deleted or its API key
// deactivated), market streams (trade, aggTrade, bookTicker, kline, combined), a depth-stream
// client that keeps a local book identical to GET /api/v3/depth through random trading, the
// SUBSCRIBE family and its errors, the 5-messages-a-second limit, slow consumers cut off while
// others are served, the connection lifetime, and 300 handshakes per 5 minutes per IP.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  admin, assertBinance, assertError, BINANCE, createKey, forEachBackend, ledgerVerify, RawConn, rawRequest, request,
  SignedClient, sleep, startServer, until, userWith2FA, WsClient, wsUrl,
} from './harness.mjs';

const hmac = (k) => ({ apiKey: k.apiKey, type: 'HMAC_SHA256', secretKey: k.secretKey });
const keyOnly = (url, method, p, key) => request(url, method, p, { headers: { 'X-MBX-APIKEY': key.apiKey } });
const isEvent = (e) => (d) => d && d.e === e;
const UPGRADE = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
  'Sec-WebSocket-Version: 13\r\n';

// A WebSocket handshake that the server refuses: its HTTP answer.
async function refusedUpgrade(url, p) {
  const { res } = await rawRequest(new URL(url).port, `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\n${UPGRADE}\r\n`, 3000);
  assert.ok(res, 'an HTTP answer');
  return res;
}

async function party(s, tag, deposits) {
  const user = await userWith2FA(s.url, { tag });
  const key = hmac(await createKey(s.url, user, { permissions: ['READ', 'TRADE'] }));
  for (const [asset, amount] of deposits) {
    const dep = await admin(s.dataDir, ['deposit', '--email', user.email, '--asset', asset, '--amount', amount]);
    assert.equal(dep.code, 0, dep.stderr);
  }
  return { user, key, client: new SignedClient(s.url, key) };
}

forEachBackend('WebSocket streams', (backend) => {
  let s;
  let ann;
  let ben;
  before(async () => {
    s = await startServer({ backend, extraArgs: ['--demo'] });
    ann = await party(s, 'ws-ann', [['USDT', '100000']]);
    ben = await party(s, 'ws-ben', [['BTC', '5']]);
  });
  after(async () => { await s?.stop(); });

  test('listen keys: one per account, kept alive, closed; unknown and foreign keys are -1125', async () => {
    const open = await keyOnly(s.url, 'POST', '/api/v3/userDataStream', ann.key);
    assert.equal(open.status, 200, open.text);
    assert.match(open.body.listenKey, /^[0-9a-f]{60}$/);
    const again = await keyOnly(s.url, 'POST', '/api/v3/userDataStream', ann.key);
    assert.equal(again.body.listenKey, open.body.listenKey, 'the same key while it is active');
    const lk = open.body.listenKey;
    const put = await keyOnly(s.url, 'PUT', `/api/v3/userDataStream?listenKey=${lk}`, ann.key);
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.body, {});
    assertError(await keyOnly(s.url, 'PUT', '/api/v3/userDataStream?listenKey=nope', ann.key), 400, -1125,
      'This listenKey does not exist.');
    assertError(await keyOnly(s.url, 'PUT', `/api/v3/userDataStream?listenKey=${lk}`, ben.key), 400, -1125);
    assertError(await keyOnly(s.url, 'DELETE', `/api/v3/userDataStream?listenKey=${lk}`, ben.key), 400, -1125);
    assertBinance(await keyOnly(s.url, 'PUT', '/api/v3/userDataStream', ann.key), BINANCE.missing('listenKey'));
    assertBinance(await request(s.url, 'POST', '/api/v3/userDataStream'), BINANCE.keyFormat);
    // A stream for a key that does not exist is refused at the handshake.
    await assert.rejects(WsClient.open(wsUrl(s.url, `/ws/${'0'.repeat(60)}`)));
  });

  test('the user data stream: executionReport within 100 ms, balances, balanceUpdate', async () => {
    const lk = (await keyOnly(s.url, 'POST', '/api/v3/userDataStream', ann.key)).body.listenKey;
    const ws = await WsClient.open(wsUrl(s.url, `/ws/${lk}`));
    const dep = await admin(s.dataDir, ['deposit', '--email', ann.user.email, '--asset', 'USDT', '--amount', '5']);
    assert.equal(dep.code, 0, dep.stderr);
    const bu = await ws.next(isEvent('balanceUpdate'));
    assert.ok(bu, 'balanceUpdate');
    assert.deepEqual({ ...bu.data, E: 0, T: 0 }, { e: 'balanceUpdate', E: 0, a: 'USDT', d: '5.00000000', T: 0 });
    const pos = await ws.next(isEvent('outboundAccountPosition'), { from: bu.index });
    assert.deepEqual(pos.data.B, [{ a: 'USDT', f: '100005.00000000', l: '0.00000000' }]);

    const from = ws.messages.length;
    const t0 = Date.now();
    const placed = await ann.client.send('POST', '/api/v3/order',
      { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '50000', newClientOrderId: 'ws-1' });
    assert.equal(placed.status, 200, placed.text);
    const report = await ws.next(isEvent('executionReport'), { from, ms: 5000 });
    assert.ok(report, 'executionReport');
    // Within 100 ms of the order: of its transactTime, when the engine took it (the server's clock is
    // this machine's). Counted from the moment the request was sent, the time would also hold the
    // request's own way in (connection, parsing, signature, the engine's queue), which a loaded
    // machine or a sanitizer build can make longer than that by itself.
    const late = report.at - placed.body.transactTime;
    assert.ok(late <= 100, `executionReport ${late} ms after the order's transactTime (${report.at - t0} ms after it was sent)`);
    const r = report.data;
    assert.deepEqual([r.s, r.c, r.S, r.o, r.f, r.q, r.p, r.x, r.X, r.i, r.z, r.w, r.m, r.g, r.N],
      ['BTCUSDT', 'ws-1', 'BUY', 'LIMIT', 'GTC', '0.01000000', '50000.00000000', 'NEW', 'NEW', placed.body.orderId,
        '0.00000000', true, false, -1, null]);
    assert.equal(r.O, placed.body.transactTime);
    const held = await ws.next((d) => isEvent('outboundAccountPosition')(d) && d.B[0].l === '500.00000000', { from });
    assert.ok(held, 'the hold shows as locked');

    const cancelled = await ann.client.send('DELETE', '/api/v3/order', { symbol: 'BTCUSDT', orderId: placed.body.orderId });
    assert.equal(cancelled.status, 200, cancelled.text);
    const c = await ws.next((d) => isEvent('executionReport')(d) && d.x === 'CANCELED', { from });
    assert.equal(c.data.X, 'CANCELED');
    assert.equal(c.data.C, 'ws-1');
    ws.close();
  });

  test('fills reach both sides, with commission; DELETE closes the stream', async () => {
    const annKey = (await keyOnly(s.url, 'POST', '/api/v3/userDataStream', ann.key)).body.listenKey;
    const benKey = (await keyOnly(s.url, 'POST', '/api/v3/userDataStream', ben.key)).body.listenKey;
    // One connection may carry both users' streams, combined.
    const ws = await WsClient.open(wsUrl(s.url, `/stream?streams=${annKey}/${benKey}`));
    const bid = await ann.client.send('POST', '/api/v3/order',
      { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.02', price: '60000' });
    assert.equal(bid.status, 200, bid.text);
    const sell = await ben.client.send('POST', '/api/v3/order',
      { symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: '0.02' });
    assert.equal(sell.body.status, 'FILLED', sell.text);
    const trade = (who, id) => (d) => d.stream === who && d.data.e === 'executionReport' && d.data.i === id && d.data.x === 'TRADE';
    const maker = await ws.next(trade(annKey, bid.body.orderId));
    const taker = await ws.next(trade(benKey, sell.body.orderId));
    assert.ok(maker && taker, 'both sides hear the fill');
    const [m, t] = [maker.data.data, taker.data.data];
    assert.deepEqual([m.X, m.m, m.l, m.L, m.n, m.N, m.t],
      ['FILLED', true, '0.02000000', '60000.00000000', '0.00002000', 'BTC', sell.body.fills[0].tradeId]);
    assert.deepEqual([t.X, t.m, t.n, t.N, t.Y], ['FILLED', false, '1.20000000', 'USDT', '1200.00000000']);

    assert.equal((await keyOnly(s.url, 'DELETE', `/api/v3/userDataStream?listenKey=${benKey}`, ben.key)).status, 200);
    assert.ok(await ws.waitClosed(3000), 'closing a listen key closes its streams');
  });

  test('deactivating the API key closes its user stream, once no key that kept it is valid', async () => {
    const cara = await party(s, 'ws-cara', []);
    const other = await createKey(s.url, cara.user, { permissions: ['READ'] });
    const lk = (await keyOnly(s.url, 'POST', '/api/v3/userDataStream', cara.key)).body.listenKey;
    assert.equal((await keyOnly(s.url, 'POST', '/api/v3/userDataStream', other)).body.listenKey, lk, 'one per account');
    const ws = await WsClient.open(wsUrl(s.url, `/ws/${lk}`));
    const off = (key) => request(s.url, 'PATCH', `/console/v1/keys/${key.apiKey}`, { token: cara.user.token, json: { active: false } });
    assert.equal((await off(other)).status, 200);
    assert.ok(!(await ws.waitClosed(2000)), 'still open: the key that opened it is valid');
    assert.equal((await off(cara.key)).status, 200);
    assert.ok(await ws.waitClosed(3000), 'the stream closes once no key behind it is valid');
    assertError(await refusedUpgrade(s.url, `/ws/${lk}`), 400, -1125);  // the listen key is gone too
  });

  test('taking READ away from the key closes its user stream; a read-only switch does not', async () => {
    const dana = await party(s, 'ws-dana', []);
    const lk = (await keyOnly(s.url, 'POST', '/api/v3/userDataStream', dana.key)).body.listenKey;
    const ws = await WsClient.open(wsUrl(s.url, `/ws/${lk}`));
    const patch = (json) => request(s.url, 'PATCH', `/console/v1/keys/${dana.key.apiKey}`, { token: dana.user.token, json });
    const ro = await patch({ readOnly: true });  // narrowing: no code; READ stays in effect
    assert.equal(ro.status, 200, ro.text);
    assert.ok(!(await ws.waitClosed(2000)), 'still open: a read-only key still reads');
    const noRead = await patch({ permissions: ['TRADE'] });
    assert.equal(noRead.status, 200, noRead.text);
    assert.ok(await ws.waitClosed(3000), 'the stream closes once its key cannot read');
    assertError(await refusedUpgrade(s.url, `/ws/${lk}`), 400, -1125);
  });

  test('market streams: trade, aggTrade, bookTicker and kline, combined', async () => {
    const names = ['ethusdt@trade', 'ethusdt@aggTrade', 'ethusdt@bookTicker', 'ethusdt@kline_1m'];
    const ws = await WsClient.open(wsUrl(s.url, `/stream?streams=${names.join('/')}`));
    const ask = await ann.client.send('POST', '/api/v3/order', { symbol: 'ETHUSDT', side: 'SELL', type: 'LIMIT',
      timeInForce: 'GTC', quantity: '0.5', price: '3000' });
    assert.equal(ask.status, 400, 'ann has no ETH');
    const dep = await admin(s.dataDir, ['deposit', '--email', ben.user.email, '--asset', 'ETH', '--amount', '2']);
    assert.equal(dep.code, 0, dep.stderr);
    const rest = await ben.client.send('POST', '/api/v3/order', { symbol: 'ETHUSDT', side: 'SELL', type: 'LIMIT',
      timeInForce: 'GTC', quantity: '0.5', price: '3000' });
    assert.equal(rest.status, 200, rest.text);
    const top = await ws.next((d) => d.stream === 'ethusdt@bookTicker' && d.data.a === '3000.00000000');
    assert.ok(top, 'bookTicker');
    assert.deepEqual({ ...top.data.data, u: 0 }, { u: 0, s: 'ETHUSDT', b: '0.00000000', B: '0.00000000', a: '3000.00000000', A: '0.50000000' });
    const take = await ann.client.send('POST', '/api/v3/order', { symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: '0.2' });
    assert.equal(take.body.status, 'FILLED', take.text);
    const id = take.body.fills[0].tradeId;
    const trade = await ws.next((d) => d.stream === 'ethusdt@trade');
    assert.deepEqual({ ...trade.data.data, E: 0 },
      { e: 'trade', E: 0, s: 'ETHUSDT', t: id, p: '3000.00000000', q: '0.20000000', T: take.body.transactTime, m: false, M: true });
    const agg = await ws.next((d) => d.stream === 'ethusdt@aggTrade');
    assert.deepEqual([agg.data.data.a, agg.data.data.f, agg.data.data.l, agg.data.data.q], [id, id, id, '0.20000000']);
    const after = await ws.next((d) => d.stream === 'ethusdt@bookTicker' && d.data.A === '0.30000000');
    assert.ok(after, 'bookTicker follows the fill');
    const kline = await ws.next((d) => d.stream === 'ethusdt@kline_1m' && d.data.k.n >= 1, { ms: 3000 });
    assert.ok(kline, 'kline within a second or two');
    assert.equal(kline.data.data.k.c, '3000.00000000');
    assert.equal(kline.data.data.k.L, id);
    assert.equal(kline.data.data.k.x, false);
    ws.close();
  });

  test('a depth-stream client keeps a local book identical to GET /api/v3/depth', async () => {
    const ws = await WsClient.open(wsUrl(s.url, '/ws/btcusdt@depth@100ms'));
    await sleep(150);
    const snap = (await request(s.url, 'GET', '/api/v3/depth?symbol=BTCUSDT&limit=5000')).body;
    const book = { bids: new Map(snap.bids), asks: new Map(snap.asks) };
    let lastU = snap.lastUpdateId;
    let applied = 0;
    let cursor = 0;
    const apply = () => {  // Binance's procedure, step for step
      for (; cursor < ws.messages.length; cursor++) {
        const ev = ws.messages[cursor].data;
        if (ev.u <= lastU) continue;
        assert.ok(ev.U <= lastU + 1, `a gap: event ${ev.U}..${ev.u} after ${lastU}`);
        for (const [side, levels] of [['bids', ev.b], ['asks', ev.a]]) {
          for (const [p, q] of levels) {
            if (Number(q) === 0) book[side].delete(p); else book[side].set(p, q);
          }
        }
        lastU = ev.u;
        applied += 1;
      }
    };
    // Random trading by both users: limits that rest and cross, cancels.
    let seed = 7;
    const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
    const open = [];
    for (let i = 0; i < 120; i++) {
      const who = rnd(2) === 0 ? ann : ben;
      if (rnd(4) === 0 && open.length > 0) {
        const [c, id] = open.splice(rnd(open.length), 1)[0];
        await c.send('DELETE', '/api/v3/order', { symbol: 'BTCUSDT', orderId: id });
        continue;
      }
      const side = who === ann ? 'BUY' : 'SELL';
      const price = String(59900 + rnd(20) * 10);
      const r = await who.client.send('POST', '/api/v3/order', { symbol: 'BTCUSDT', side, type: 'LIMIT',
        timeInForce: 'GTC', quantity: `0.00${1 + rnd(9)}`, price, newOrderRespType: 'ACK' });
      assert.equal(r.status, 200, r.text);
      open.push([who.client, r.body.orderId]);
      if (i % 10 === 0) apply();
    }
    const final = (await request(s.url, 'GET', '/api/v3/depth?symbol=BTCUSDT&limit=5000')).body;
    await ws.next((d) => d.u >= final.lastUpdateId, { ms: 2000 });
    apply();
    assert.ok(applied >= 2, `applied ${applied} diffs`);
    assert.equal(lastU, final.lastUpdateId);
    const sortDesc = (m) => [...m.entries()].sort((a, b) => Number(b[0]) - Number(a[0]));
    const sortAsc = (m) => [...m.entries()].sort((a, b) => Number(a[0]) - Number(b[0]));
    assert.deepEqual(sortDesc(book.bids), final.bids);
    assert.deepEqual(sortAsc(book.asks), final.asks);
    ws.close();
    const v = await ledgerVerify(s.dataDir);
    assert.ok(v.ok, v.stdout + v.stderr);
  });

  test('SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, properties and errors; 6 messages in a second close', async () => {
    const ws = await WsClient.open(wsUrl(s.url, '/ws'));
    ws.send({ method: 'SUBSCRIBE', params: ['btcusdt@trade', 'xrpusdt@depth'], id: 1 });
    assert.deepEqual((await ws.next((d) => d.id === 1)).data, { result: null, id: 1 });
    ws.send({ method: 'LIST_SUBSCRIPTIONS', id: 2 });
    assert.deepEqual((await ws.next((d) => d.id === 2)).data, { result: ['btcusdt@trade', 'xrpusdt@depth'], id: 2 });
    ws.send({ method: 'UNSUBSCRIBE', params: ['xrpusdt@depth'], id: 3 });
    await ws.next((d) => d.id === 3);
    ws.send({ method: 'GET_PROPERTY', params: ['combined'], id: 4 });
    assert.deepEqual((await ws.next((d) => d.id === 4)).data, { result: false, id: 4 });
    await sleep(1100);  // a new second: five more messages are allowed
    ws.send({ method: 'SUBSCRIBE', params: ['BTCUSDT@trade'], id: 5 });
    assert.equal((await ws.next((d) => d.id === 5)).data.code, 2, 'symbols are lower case');
    ws.send({ method: 'NOPE', id: 6 });
    assert.equal((await ws.next((d) => d.id === 6)).data.code, 2);
    ws.send('{not json');
    assert.equal((await ws.next((d) => d.code === 3)).data.id, null);
    ws.send({ method: 'SET_PROPERTY', params: ['combined', true], id: 7 });
    await ws.next((d) => d.id === 7);
    await sleep(1100);
    // The server counts a connection's messages per whole second of its monotonic clock
    // (steady_clock: CLOCK_MONOTONIC, which process.hrtime reads too). Send the six early in such a
    // second, so that they all fall in it however long the server takes to read them.
    while (process.hrtime.bigint() / 1_000_000n % 1000n > 400n) await sleep(10);
    for (let id = 10; id < 16; id++) ws.send({ method: 'LIST_SUBSCRIPTIONS', id });
    assert.ok(await ws.waitClosed(2000), 'the sixth message in a second closes the connection');
    assert.equal(ws.messages.filter((m) => m.data.id >= 10).length, 5, 'five answered');

    assertError(await refusedUpgrade(s.url, '/ws/nope@trade'), 400, -1102);
    assertError(await refusedUpgrade(s.url, `/ws/${'1'.repeat(60)}`), 400, -1125);
  });
});

describe('WebSocket limits [sqlite]', () => {
  let s;
  let ann;
  let ben;
  before(async () => {
    // 127.0.0.1 (the test itself) is a trusted proxy: the handshake test comes from addresses of its own.
    s = await startServer({ extraArgs: ['--demo'],
      env: { KEYGATE_HTTP_WS_MAX_QUEUE_BYTES: '8192', KEYGATE_HTTP_WS_SEND_BUFFER_BYTES: '8192',
        KEYGATE_HTTP_WS_MAX_LIFETIME_SECONDS: '3', KEYGATE_HTTP_TRUSTED_PROXIES: '127.0.0.1' } });
    ann = await party(s, 'ws-limits-a', [['USDT', '1000000']]);
    ben = await party(s, 'ws-limits-b', [['BTC', '10']]);
  });
  after(async () => { await s?.stop(); });

  test('a client that stops reading is cut off; the others are served', async () => {
    const port = new URL(s.url).port;
    const slow = await RawConn.open(port);
    slow.write('GET /stream?streams=btcusdt@trade/btcusdt@aggTrade/btcusdt@bookTicker/btcusdt@depth@100ms HTTP/1.1\r\n' +
      `Host: 127.0.0.1\r\n${UPGRADE}\r\n`);
    await until('the answer to the slow client\'s handshake', () => slow.buf.includes('\r\n\r\n') || slow.closed, 10000, 20);
    assert.match(slow.buf.toString('latin1'), /^HTTP\/1\.1 101/);
    slow.sock.pause();  // reads nothing more: the server's queue for it grows
    const fast = await WsClient.open(wsUrl(s.url, '/ws/btcusdt@trade'));
    let trades = 0;
    for (let i = 0; i < 1500 && !/ws_slow_consumer/.test(s.stderr()); i++) {
      const side = i % 2 === 0 ? 'SELL' : 'BUY';
      const r = await (side === 'BUY' ? ann : ben).client.send('POST', '/api/v3/order', { symbol: 'BTCUSDT', side, type: 'LIMIT',
        timeInForce: 'GTC', quantity: '0.001', price: '60000', newOrderRespType: 'ACK' });
      assert.equal(r.status, 200, r.text);
      if (side === 'BUY') trades += 1;
    }
    assert.match(s.stderr(), /event=ws_slow_consumer action=disconnect/);
    const last = await fast.next(() => fast.messages.length >= trades, { ms: 3000 });
    assert.ok(last, `the fast client got every trade (${fast.messages.length} of ${trades})`);
    slow.sock.resume();
    assert.ok(await slow.waitClosed(5000), 'the slow client is disconnected');
    fast.close();
  });

  test('a connection lives at most http.ws_max_lifetime_seconds', async () => {
    const ws = await WsClient.open(wsUrl(s.url, '/ws/btcusdt@bookTicker'));
    assert.ok(!(await ws.waitClosed(1500)), 'open at first');
    assert.ok(await ws.waitClosed(4000), 'closed at the lifetime limit');
  });

  test('more than 300 handshakes in 5 minutes from one IP are refused with 429', async () => {
    // Attempts are counted per IP in fixed 5-minute windows of the clock (the server's is this
    // machine's). These come from an address of their own (X-Forwarded-For through the trusted
    // proxy), so they are all that is counted for it; should a window end while they are made (the
    // count starts over then), they are made again in the new one, from another address.
    const WINDOW_MS = 5 * 60_000;
    for (let attempt = 1; ; attempt++) {
      const ip = `198.51.100.${attempt}`;
      const started = Math.floor(Date.now() / WINDOW_MS);
      let opened = 0;
      for (let i = 0; i < 305; i++) {
        const ws = await WsClient.open(wsUrl(s.url, '/ws/btcusdt@trade'), 5000, { 'x-forwarded-for': ip }).catch(() => null);
        if (!ws) break;
        opened += 1;
        ws.close();
      }
      const { res: refused } = await rawRequest(new URL(s.url).port,
        `GET /ws/btcusdt@trade HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: ${ip}\r\n${UPGRADE}\r\n`, 3000);
      if (Math.floor(Date.now() / WINDOW_MS) !== started && attempt < 3) continue;
      assert.equal(opened, 300, `handshakes accepted from ${ip}`);
      assert.ok(refused, 'an HTTP answer to the next handshake');
      assertError(refused, 429, -1003, 'Too many WebSocket connections; current limit is 300 connection attempts per 5 MINUTE.');
      break;
    }
    // Plain HTTP is not affected.
    assert.equal((await request(s.url, 'GET', '/api/v3/ping')).status, 200);
  });
});
