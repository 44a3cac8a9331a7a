// Spot orders through the server (Binance's /api/v3/order family), on every backend: two users
// trade BTCUSDT; a resting LIMIT BUY moves exactly price × qty from free to locked; a crossing
// SELL fills it at the maker's price with 0.1% fees on what each side receives; the order, trade
// and list shapes field for field; cancels return the hold; Binance's refusals (-2010, -1013,
// -2011, -2013, -2015, -1102, -1106, -1121) change nothing; order/test; depth; a restart keeps
// the open orders and their priority; `keygate admin ledger verify` holds throughout.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  admin, assertBinance, assertError, BINANCE, createKey, forEachBackend, ledgerVerify, request, signedRequest,
  startServer, userWith2FA,
} from './harness.mjs';

const hmac = (k) => ({ apiKey: k.apiKey, type: 'HMAC_SHA256', secretKey: k.secretKey });

const ORDER_RESULT_KEYS = ['clientOrderId', 'cummulativeQuoteQty', 'executedQty', 'orderId', 'orderListId',
  'origQty', 'origQuoteOrderQty', 'price', 'selfTradePreventionMode', 'side', 'status', 'symbol', 'timeInForce',
  'transactTime', 'type', 'workingTime'];
const ORDER_KEYS = ['clientOrderId', 'cummulativeQuoteQty', 'executedQty', 'icebergQty', 'isWorking', 'orderId',
  'orderListId', 'origQty', 'origQuoteOrderQty', 'price', 'selfTradePreventionMode', 'side', 'status', 'stopPrice',
  'symbol', 'time', 'timeInForce', 'type', 'updateTime', 'workingTime'];
const CANCEL_KEYS = ['clientOrderId', 'cummulativeQuoteQty', 'executedQty', 'orderId', 'orderListId', 'origClientOrderId',
  'origQty', 'origQuoteOrderQty', 'price', 'selfTradePreventionMode', 'side', 'status', 'symbol', 'timeInForce',
  'transactTime', 'type'];
const TRADE_KEYS = ['commission', 'commissionAsset', 'id', 'isBestMatch', 'isBuyer', 'isMaker', 'orderId', 'orderListId',
  'price', 'qty', 'quoteQty', 'symbol', 'time'];
const sorted = (o) => Object.keys(o).sort();
const AMOUNT = /^\d+\.\d{8}$/;

// Parameters set to undefined are left out.
const defined = (params) => Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
const placeOrder = (url, key, params) => signedRequest(url, 'POST', '/api/v3/order', key, { params: defined(params) });
const getOrder = (url, key, params) => signedRequest(url, 'GET', '/api/v3/order', key, { params });
const cancelOrder = (url, key, params) => signedRequest(url, 'DELETE', '/api/v3/order', key, { params });

async function balancesOf(url, key) {
  const r = await signedRequest(url, 'GET', '/api/v3/account', key);
  assert.equal(r.status, 200, r.text);
  return Object.fromEntries(r.body.balances.map((b) => [b.asset, { free: b.free, locked: b.locked }]));
}

async function assertVerify(dataDir) {
  const v = await ledgerVerify(dataDir);
  assert.ok(v.ok, v.stdout + v.stderr);
  assert.match(v.stdout, /every locked balance is what its open orders hold/);
  return v;
}

forEachBackend('spot orders', (backend) => {
  let s;
  let ann;  // buyer: {user, trade (READ+TRADE), read (READ only)}
  let ben;  // seller
  const ids = {};
  before(async () => {
    s = await startServer({ backend, extraArgs: ['--demo'] });
    const mk = async (tag, asset, amount) => {
      const user = await userWith2FA(s.url, { tag });
      const party = {
        user,
        trade: hmac(await createKey(s.url, user, { permissions: ['READ', 'TRADE'] })),
        read: hmac(await createKey(s.url, user, { permissions: ['READ'] })),
      };
      const dep = await admin(s.dataDir, ['deposit', '--email', user.email, '--asset', asset, '--amount', amount]);
      assert.equal(dep.code, 0, dep.stderr);
      return party;
    };
    ann = await mk('orders-ann', 'USDT', '10000');
    ben = await mk('orders-ben', 'BTC', '1');
  });
  after(async () => { await s?.stop(); });

  test('a resting LIMIT BUY moves exactly price × qty from free to locked', async () => {
    const r = await placeOrder(s.url, ann.trade, {
      symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.1', price: '60000',
      newClientOrderId: 'ann-1',
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(sorted(r.body), [...ORDER_RESULT_KEYS, 'fills'].sort());
    assert.equal(typeof r.body.orderId, 'number');
    assert.equal(r.body.orderListId, -1);
    assert.equal(r.body.clientOrderId, 'ann-1');
    assert.equal(typeof r.body.transactTime, 'number');
    assert.equal(r.body.workingTime, r.body.transactTime);
    assert.deepEqual({ ...r.body, orderId: 0, transactTime: 0, workingTime: 0 }, {
      symbol: 'BTCUSDT', orderId: 0, orderListId: -1, clientOrderId: 'ann-1', transactTime: 0,
      price: '60000.00000000', origQty: '0.10000000', executedQty: '0.00000000', origQuoteOrderQty: '0.00000000',
      cummulativeQuoteQty: '0.00000000', status: 'NEW', timeInForce: 'GTC', type: 'LIMIT', side: 'BUY',
      workingTime: 0, selfTradePreventionMode: 'EXPIRE_MAKER', fills: [],
    });
    ids.annBuy = r.body.orderId;
    const b = await balancesOf(s.url, ann.read);
    assert.deepEqual(b.USDT, { free: '4000.00000000', locked: '6000.00000000' });

    const open = await signedRequest(s.url, 'GET', '/api/v3/openOrders', ann.read, { params: { symbol: 'BTCUSDT' } });
    assert.equal(open.status, 200, open.text);
    assert.equal(open.body.length, 1);
    assert.deepEqual(sorted(open.body[0]), ORDER_KEYS);
    assert.equal(open.body[0].orderId, ids.annBuy);
    assert.equal(open.body[0].status, 'NEW');
    assert.equal(open.body[0].isWorking, true);
    const all = await signedRequest(s.url, 'GET', '/api/v3/openOrders', ann.read);
    assert.deepEqual(all.body, open.body);

    const depth = await request(s.url, 'GET', '/api/v3/depth?symbol=BTCUSDT&limit=5');
    assert.equal(depth.status, 200, depth.text);
    assert.equal(typeof depth.body.lastUpdateId, 'number');
    assert.deepEqual(depth.body.bids, [['60000.00000000', '0.10000000']]);
    assert.deepEqual(depth.body.asks, []);
    await assertVerify(s.dataDir);
  });

  test('a crossing SELL fills at the maker\'s price; balances and fees exact; trades and orders', async () => {
    const r = await placeOrder(s.url, ben.trade, {
      symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.1', price: '59000',
    });
    assert.equal(r.status, 200, r.text);
    assert.ok(!('code' in r.body));
    assert.match(r.body.clientOrderId, /^[.A-Z:/a-z0-9_-]{1,36}$/, 'generated');
    assert.equal(r.body.status, 'FILLED');
    assert.equal(r.body.price, '59000.00000000');
    assert.equal(r.body.executedQty, '0.10000000');
    assert.equal(r.body.cummulativeQuoteQty, '6000.00000000');
    assert.equal(r.body.fills.length, 1);
    const [fill] = r.body.fills;
    assert.deepEqual(sorted(fill), ['commission', 'commissionAsset', 'price', 'qty', 'tradeId']);
    assert.equal(typeof fill.tradeId, 'number');
    assert.deepEqual({ ...fill, tradeId: 0 },
      { price: '60000.00000000', qty: '0.10000000', commission: '6.00000000', commissionAsset: 'USDT', tradeId: 0 });
    ids.benSell = r.body.orderId;
    ids.trade = fill.tradeId;

    const a = await balancesOf(s.url, ann.read);
    assert.deepEqual(a.USDT, { free: '4000.00000000', locked: '0.00000000' });
    assert.deepEqual(a.BTC, { free: '0.09990000', locked: '0.00000000' });
    const b = await balancesOf(s.url, ben.read);
    assert.deepEqual(b.USDT, { free: '5994.00000000', locked: '0.00000000' });
    assert.deepEqual(b.BTC, { free: '0.90000000', locked: '0.00000000' });

    const mine = await signedRequest(s.url, 'GET', '/api/v3/myTrades', ann.read, { params: { symbol: 'BTCUSDT' } });
    assert.equal(mine.status, 200, mine.text);
    assert.equal(mine.body.length, 1);
    assert.deepEqual(sorted(mine.body[0]), TRADE_KEYS);
    assert.equal(typeof mine.body[0].time, 'number');
    assert.deepEqual({ ...mine.body[0], time: 0 }, {
      symbol: 'BTCUSDT', id: ids.trade, orderId: ids.annBuy, orderListId: -1, price: '60000.00000000',
      qty: '0.10000000', quoteQty: '6000.00000000', commission: '0.00010000', commissionAsset: 'BTC', time: 0,
      isBuyer: true, isMaker: true, isBestMatch: true,
    });
    const theirs = await signedRequest(s.url, 'GET', '/api/v3/myTrades', ben.read,
      { params: { symbol: 'BTCUSDT', orderId: ids.benSell } });
    assert.equal(theirs.body.length, 1);
    assert.equal(theirs.body[0].isBuyer, false);
    assert.equal(theirs.body[0].isMaker, false);
    assert.equal(theirs.body[0].commission, '6.00000000');
    assert.equal(theirs.body[0].commissionAsset, 'USDT');
    const from = await signedRequest(s.url, 'GET', '/api/v3/myTrades', ann.read,
      { params: { symbol: 'BTCUSDT', fromId: ids.trade + 1 } });
    assert.deepEqual(from.body, []);

    for (const params of [{ orderId: ids.annBuy }, { origClientOrderId: 'ann-1' }]) {
      const o = await getOrder(s.url, ann.read, { symbol: 'BTCUSDT', ...params });
      assert.equal(o.status, 200, o.text);
      assert.deepEqual(sorted(o.body), ORDER_KEYS);
      assert.equal(o.body.status, 'FILLED');
      assert.equal(o.body.executedQty, '0.10000000');
      assert.equal(o.body.cummulativeQuoteQty, '6000.00000000');
      assert.ok(o.body.updateTime >= o.body.time);
    }
    const all = await signedRequest(s.url, 'GET', '/api/v3/allOrders', ann.read, { params: { symbol: 'BTCUSDT' } });
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(all.body.map((o) => [o.orderId, o.status]), [[ids.annBuy, 'FILLED']]);
    const none = await signedRequest(s.url, 'GET', '/api/v3/openOrders', ann.read, { params: { symbol: 'BTCUSDT' } });
    assert.deepEqual(none.body, []);

    const v = await assertVerify(s.dataDir);
    assert.equal(v.totals.BTC.fees, 10000n);       // 0.0001 BTC from the buyer
    assert.equal(v.totals.USDT.fees, 600000000n);  // 6 USDT from the seller
    assert.equal(v.totals.USDT.usersLocked, 0n);
  });

  test('cancel returns the hold; the response names both client ids; a second cancel is -2011', async () => {
    const r = await placeOrder(s.url, ann.trade, {
      symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.05', price: '50000',
      newClientOrderId: 'ann-2', newOrderRespType: 'ACK',
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(sorted(r.body), ['clientOrderId', 'orderId', 'orderListId', 'symbol', 'transactTime']);
    assert.deepEqual((await balancesOf(s.url, ann.read)).USDT, { free: '1500.00000000', locked: '2500.00000000' });
    const c = await cancelOrder(s.url, ann.trade,
      { symbol: 'BTCUSDT', origClientOrderId: 'ann-2', newClientOrderId: 'cancel-ann-2' });
    assert.equal(c.status, 200, c.text);
    assert.deepEqual(sorted(c.body), CANCEL_KEYS);
    assert.equal(c.body.orderId, r.body.orderId);
    assert.equal(c.body.origClientOrderId, 'ann-2');
    assert.equal(c.body.clientOrderId, 'cancel-ann-2');
    assert.equal(c.body.status, 'CANCELED');
    assert.equal(c.body.origQty, '0.05000000');
    assert.deepEqual((await balancesOf(s.url, ann.read)).USDT, { free: '4000.00000000', locked: '0.00000000' });
    assertError(await cancelOrder(s.url, ann.trade, { symbol: 'BTCUSDT', orderId: r.body.orderId }),
      400, -2011, 'Unknown order sent.');
    const o = await getOrder(s.url, ann.read, { symbol: 'BTCUSDT', orderId: r.body.orderId });
    assert.equal(o.body.status, 'CANCELED');

    // DELETE /api/v3/openOrders: every open order of the symbol, then -2011 when none is left.
    for (const price of ['40000', '41000']) {
      const p = await placeOrder(s.url, ann.trade,
        { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price });
      assert.equal(p.status, 200, p.text);
    }
    const all = await signedRequest(s.url, 'DELETE', '/api/v3/openOrders', ann.trade, { params: { symbol: 'BTCUSDT' } });
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(all.body.map((x) => [x.price, x.status]), [['40000.00000000', 'CANCELED'], ['41000.00000000', 'CANCELED']]);
    assertError(await signedRequest(s.url, 'DELETE', '/api/v3/openOrders', ann.trade, { params: { symbol: 'BTCUSDT' } }),
      400, -2011, 'Unknown order sent.');
    assert.deepEqual((await balancesOf(s.url, ann.read)).USDT, { free: '4000.00000000', locked: '0.00000000' });
    await assertVerify(s.dataDir);
  });

  test('refusals change nothing: -2010, -1013, -2011, -2013, -2015, -1102, -1106, -1121, duplicates', async () => {
    const before_ = await balancesOf(s.url, ann.read);
    const base = { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.1', price: '60000' };
    assertError(await placeOrder(s.url, ann.trade, { ...base, quantity: '1' }),
      400, -2010, 'Account has insufficient balance for requested action.');
    assertError(await placeOrder(s.url, ann.trade, { ...base, price: '60000.001' }), 400, -1013, 'Filter failure: PRICE_FILTER');
    assertError(await placeOrder(s.url, ann.trade, { ...base, quantity: '0.000011' }), 400, -1013, 'Filter failure: LOT_SIZE');
    assertError(await placeOrder(s.url, ann.trade, { ...base, quantity: '0.00001' }), 400, -1013, 'Filter failure: NOTIONAL');
    assertError(await placeOrder(s.url, ann.trade, { ...base, symbol: 'DOGEUSDT' }), 400, -1121, 'Invalid symbol.');
    assertBinance(await placeOrder(s.url, ann.trade, { ...base, timeInForce: undefined }), BINANCE.missing('timeInForce'));
    assertError(await placeOrder(s.url, ann.trade, { ...base, type: 'MARKET', price: undefined }),
      400, -1106, "Parameter 'timeInForce' sent when not required.");
    assertError(await placeOrder(s.url, ann.trade, { ...base, side: 'HOLD' }), 400, -1117, 'Invalid side.');
    assertError(await placeOrder(s.url, ann.trade, { ...base, type: 'STOP_LOSS' }), 400, -1116, 'Invalid orderType.');
    assertError(await placeOrder(s.url, ann.trade, { ...base, newClientOrderId: 'bad id!' }), 400, -1100);
    // A READ-only key cannot trade (Binance's -2015), but reads.
    assertBinance(await placeOrder(s.url, ann.read, base), BINANCE.keyRejected);
    assertBinance(await cancelOrder(s.url, ann.read, { symbol: 'BTCUSDT', orderId: ids.annBuy }), BINANCE.keyRejected);
    // Unknown orders and other users' orders look the same.
    assertError(await getOrder(s.url, ben.read, { symbol: 'BTCUSDT', orderId: ids.annBuy }), 400, -2013, 'Order does not exist.');
    assertError(await getOrder(s.url, ann.read, { symbol: 'BTCUSDT', orderId: 999999 }), 400, -2013, 'Order does not exist.');
    assertError(await getOrder(s.url, ann.read, { symbol: 'BTCUSDT' }), 400, -1102,
      "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
    assertError(await cancelOrder(s.url, ann.trade, { symbol: 'BTCUSDT', orderId: 999999 }), 400, -2011, 'Unknown order sent.');
    // An open clientOrderId again: -2010 "Duplicate order sent.", and another user cannot cancel it.
    const first = await placeOrder(s.url, ann.trade, { ...base, price: '30000', newClientOrderId: 'ann-dup' });
    assert.equal(first.status, 200, first.text);
    assertError(await placeOrder(s.url, ann.trade, { ...base, price: '31000', newClientOrderId: 'ann-dup' }),
      400, -2010, 'Duplicate order sent.');
    assertError(await cancelOrder(s.url, ben.trade, { symbol: 'BTCUSDT', orderId: first.body.orderId }), 400, -2011);
    const c = await cancelOrder(s.url, ann.trade, { symbol: 'BTCUSDT', orderId: first.body.orderId });
    assert.equal(c.status, 200, c.text);
    // order/test validates and changes nothing.
    const t = await signedRequest(s.url, 'POST', '/api/v3/order/test', ann.trade, { params: base });
    assert.equal(t.status, 200, t.text);
    assert.deepEqual(t.body, {});
    assertError(await signedRequest(s.url, 'POST', '/api/v3/order/test', ann.trade, { params: { ...base, price: '1' } }),
      400, -1013, 'Filter failure: NOTIONAL');
    assert.deepEqual(await balancesOf(s.url, ann.read), before_);
    await assertVerify(s.dataDir);
  });

  test('RESULT and MARKET orders: by quoteOrderQty and by quantity', async () => {
    const ask = await placeOrder(s.url, ben.trade,
      { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.02', price: '61000' });
    assert.equal(ask.status, 200, ask.text);
    const byQuote = await placeOrder(s.url, ann.trade,
      { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quoteOrderQty: '610', newOrderRespType: 'RESULT' });
    assert.equal(byQuote.status, 200, byQuote.text);
    assert.deepEqual(sorted(byQuote.body), ORDER_RESULT_KEYS);
    assert.equal(byQuote.body.status, 'FILLED');
    assert.equal(byQuote.body.type, 'MARKET');
    assert.equal(byQuote.body.price, '0.00000000');
    assert.equal(byQuote.body.origQuoteOrderQty, '610.00000000');
    assert.equal(byQuote.body.executedQty, '0.01000000');
    assert.equal(byQuote.body.origQty, '0.01000000');
    assert.equal(byQuote.body.cummulativeQuoteQty, '610.00000000');
    const byQty = await placeOrder(s.url, ann.trade, { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.02' });
    assert.equal(byQty.status, 200, byQty.text);
    assert.equal(byQty.body.status, 'EXPIRED', 'the book had only 0.01 left');
    assert.equal(byQty.body.executedQty, '0.01000000');
    assert.equal(byQty.body.fills.length, 1);
    const a = await balancesOf(s.url, ann.read);
    assert.deepEqual(a.USDT, { free: '2780.00000000', locked: '0.00000000' });  // 4000 - 610 - 610
    assert.deepEqual(a.BTC, { free: '0.11988000', locked: '0.00000000' });     // 0.0999 + 2 × (0.01 - 0.00001)
    await assertVerify(s.dataDir);
  });

  test('a kill -9 and restart keep open orders, their holds and their priority', async () => {
    const placed = [];
    for (const who of [ann, ann]) {
      const r = await placeOrder(s.url, who.trade,
        { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '55000' });
      assert.equal(r.status, 200, r.text);
      placed.push(r.body.orderId);
    }
    const openBefore = await signedRequest(s.url, 'GET', '/api/v3/openOrders', ann.read);
    const balBefore = await balancesOf(s.url, ann.read);
    const depthBefore = (await request(s.url, 'GET', '/api/v3/depth?symbol=BTCUSDT')).body;
    assert.deepEqual(balBefore.USDT, { free: '1680.00000000', locked: '1100.00000000' });

    // kill -9: nothing but what was acknowledged (and so committed) may come back.
    s.proc.kill('SIGKILL');
    await s.exited;
    s = await startServer({ backend, extraArgs: ['--demo'], dataDir: s.dataDir, dbUrl: s.dbUrl, adopt: true });
    const openAfter = await signedRequest(s.url, 'GET', '/api/v3/openOrders', ann.read);
    assert.deepEqual(openAfter.body, openBefore.body);
    assert.deepEqual(await balancesOf(s.url, ann.read), balBefore);
    const depthAfter = (await request(s.url, 'GET', '/api/v3/depth?symbol=BTCUSDT')).body;
    assert.deepEqual(depthAfter.bids, depthBefore.bids);
    assert.deepEqual(depthAfter.asks, depthBefore.asks);

    const sell = await placeOrder(s.url, ben.trade,
      { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '55000' });
    assert.equal(sell.status, 200, sell.text);
    assert.equal(sell.body.status, 'FILLED');
    assert.ok(sell.body.orderId > placed[1], 'order ids carry on after a restart');
    const first = await getOrder(s.url, ann.read, { symbol: 'BTCUSDT', orderId: placed[0] });
    const second = await getOrder(s.url, ann.read, { symbol: 'BTCUSDT', orderId: placed[1] });
    assert.equal(first.body.status, 'FILLED', 'the older order fills first');
    assert.equal(second.body.status, 'NEW');
    assert.equal(sell.body.fills[0].tradeId > ids.trade, true);
    await assertVerify(s.dataDir);
  });
});
