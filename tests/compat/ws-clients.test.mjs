// keygate's WebSocket API and streams through the unmodified official @binance/spot client: a bot
// logs on with an Ed25519 key, places, queries and cancels orders, reads its account and listens
// to its user data stream, while another connection follows the market maker's trades and depth
// diffs; a key deactivated mid-session gets -2015 on its next request. Run with scripts/compat.sh
// (node --experimental-websocket is not needed: the client brings its own WebSocket).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Spot } from '@binance/spot';
import {
  admin, createKey, forEachBackend, ledgerVerify, rejection, request, sleep, startServer, until, userWith2FA,
  withoutProxies,
} from '../integration/harness.mjs';

withoutProxies();

const pkcs8 = (key) => key.export({ type: 'pkcs8', format: 'pem' });
const ws = (url) => url.replace(/^http/, 'ws');



forEachBackend('official Binance clients: WebSocket API and streams', (backend) => {
  let s;
  let user;
  let key;
  before(async () => {
    s = await startServer({ backend, extraArgs: ['--demo'], marketMaker: true });
    user = await userWith2FA(s.url, { tag: 'ws-bot' });
    key = await createKey(s.url, user, { label: 'ws bot', type: 'ED25519', permissions: ['READ', 'TRADE'] });
    const dep = await admin(s.dataDir, ['deposit', '--email', user.email, '--asset', 'USDT', '--amount', '20000']);
    assert.equal(dep.code, 0, dep.stderr);
  });
  after(async () => { await s?.stop(); });

  test('WebSocket API: session.logon, order.place/status/cancel, account.status, the user data stream', async () => {
    const client = new Spot({ configurationWebsocketAPI: {
      apiKey: key.apiKey, privateKey: pkcs8(key.privateKey), wsURL: `${ws(s.url)}/ws-api/v3`, timeout: 10000,
    } });
    const conn = await client.websocketAPI.connect();
    try {
      const logon = await conn.sessionLogon();
      const status = (Array.isArray(logon) ? logon[0] : logon).data;
      assert.equal(status.apiKey, key.apiKey);
      assert.equal(typeof status.authorizedSince, 'number');

      const events = [];
      const sub = await conn.userDataStreamSubscribe();
      assert.equal(typeof sub.response.data.subscriptionId, 'number');
      sub.stream.on('message', (e) => events.push(e));

      const placed = await conn.orderPlace({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC',
        price: 50000, quantity: 0.01, newClientOrderId: 'ws-api-1' });
      assert.equal(placed.data.status, 'NEW');
      assert.equal(placed.data.clientOrderId, 'ws-api-1');
      const weight = placed.rateLimits.find((l) => l.rateLimitType === 'REQUEST_WEIGHT');
      assert.ok(weight && weight.count >= 1, JSON.stringify(placed.rateLimits));
      assert.ok(placed.rateLimits.some((l) => l.rateLimitType === 'ORDERS'), 'an order counts against ORDERS');
      const got = await conn.orderStatus({ symbol: 'BTCUSDT', orderId: Number(placed.data.orderId) });
      assert.equal(got.data.price, '50000.00000000');
      const account = await conn.accountStatus();
      const usdt = account.data.balances.find((b) => b.asset === 'USDT');
      assert.deepEqual(usdt, { asset: 'USDT', free: '19500.00000000', locked: '500.00000000' });
      await until('the NEW executionReport', () => events.some((e) => e.e === 'executionReport' && e.c === 'ws-api-1'));

      // A MARKET buy fills against the market maker; the fill arrives on the stream.
      const taken = await conn.orderPlace({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quoteOrderQty: 100 });
      assert.equal(taken.data.status, 'FILLED');
      await until('the TRADE executionReport', () => events.some((e) => e.e === 'executionReport' && e.x === 'TRADE' &&
        Number(e.i) === Number(taken.data.orderId)));
      await until('outboundAccountPosition', () => events.some((e) => e.e === 'outboundAccountPosition'));

      const cancelled = await conn.orderCancel({ symbol: 'BTCUSDT', origClientOrderId: 'ws-api-1' });
      assert.equal(cancelled.data.status, 'CANCELED');
      const e = await rejection(conn.orderStatus({ symbol: 'BTCUSDT', orderId: 99999999 }));
      assert.equal(e.code, -2013, JSON.stringify(e));

      // The key is deactivated in the console: the logged-on session's next request is refused.
      const off = await request(s.url, 'PATCH', `/console/v1/keys/${key.apiKey}`, { token: user.token, json: { active: false } });
      assert.equal(off.status, 200, off.text);
      const refused = await rejection(conn.accountStatus());
      assert.equal(refused.code, -2015, JSON.stringify(refused));
    } finally {
      conn.disconnect();
    }
    const v = await ledgerVerify(s.dataDir);
    assert.ok(v.ok, v.stdout + v.stderr);
  });

  test('WebSocket streams: trades and depth diffs of the market maker\'s market', async () => {
    const other = await userWith2FA(s.url, { tag: 'ws-streams' });
    const restKey = await createKey(s.url, other, { permissions: ['READ', 'TRADE'] });
    const dep = await admin(s.dataDir, ['deposit', '--email', other.email, '--asset', 'USDT', '--amount', '1000']);
    assert.equal(dep.code, 0, dep.stderr);

    const client = new Spot({ configurationWebsocketStreams: { wsURL: ws(s.url) } });
    const conn = await client.websocketStreams.connect();
    try {
      const trades = [];
      const diffs = [];
      conn.trade({ symbol: 'ethusdt' }).on('message', (t) => trades.push(t));
      conn.diffBookDepth({ symbol: 'ethusdt', updateSpeed: '100ms' }).on('message', (d) => diffs.push(d));
      await sleep(300);
      const rest = new Spot({ configurationRestAPI: { apiKey: restKey.apiKey, apiSecret: restKey.secretKey,
        basePath: s.url, timeout: 10000, retries: 0 } });
      const order = await (await rest.restAPI.newOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: 0.1 })).data();
      assert.equal(order.status, 'FILLED');
      await until('the trade', () => trades.some((t) => Number(t.t) === Number(order.fills[0].tradeId)));
      const t = trades.find((x) => Number(x.t) === Number(order.fills[0].tradeId));
      assert.equal(t.p, '3003.00000000');
      assert.equal(t.m, false);
      await until('a depth diff', () => diffs.some((d) => d.a.some(([p]) => p === '3003.00000000')));
    } finally {
      conn.disconnect();
    }
  });
});
