// keygate's order endpoints through the unmodified official clients: @binance/connector
// (newOrder, getOrder, openOrders, cancelOrder, myTrades, allOrders, depth) and @binance/spot
// (restAPI.newOrder, getOrder, getOpenOrders, deleteOrder, myTrades), two users trading BTCUSDT.
// Run with scripts/compat.sh.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { Spot as ModularSpot, BadRequestError, UnauthorizedError } from '@binance/spot';
import {
  admin, createKey, forEachBackend, rejection, startServer, userWith2FA, withoutProxies,
} from '../integration/harness.mjs';

const require = createRequire(import.meta.url);
const { Spot: ConnectorSpot } = require('@binance/connector');

withoutProxies();


forEachBackend('official Binance clients: orders', (backend) => {
  let s;
  let buyer;   // @binance/connector
  let seller;  // @binance/spot
  let readOnly;
  before(async () => {
    s = await startServer({ backend, extraArgs: ['--demo'] });
    const mk = async (tag, asset, amount) => {
      const user = await userWith2FA(s.url, { tag });
      const key = await createKey(s.url, user, { permissions: ['READ', 'TRADE'] });
      const dep = await admin(s.dataDir, ['deposit', '--email', user.email, '--asset', asset, '--amount', amount]);
      assert.equal(dep.code, 0, dep.stderr);
      return { user, key };
    };
    buyer = await mk('compat-buyer', 'USDT', '10000');
    seller = await mk('compat-seller', 'BTC', '1');
    readOnly = await createKey(s.url, buyer.user, { permissions: ['READ'] });
  });
  after(async () => { await s?.stop(); });

  const connector = (key) => new ConnectorSpot(key.apiKey, key.secretKey, { baseURL: s.url, timeout: 10000 });
  const modular = (key) => new ModularSpot({
    configurationRestAPI: { apiKey: key.apiKey, apiSecret: key.secretKey, basePath: s.url, timeout: 10000, retries: 0 },
  });

  test('@binance/connector: place, query, list, cancel; the hold comes and goes', async () => {
    const c = connector(buyer.key);
    const placed = (await c.newOrder('BTCUSDT', 'BUY', 'LIMIT',
      { price: '60000', quantity: 0.1, timeInForce: 'GTC', newClientOrderId: 'compat-1' })).data;
    assert.ok(!('code' in placed));
    assert.equal(placed.status, 'NEW');
    assert.equal(placed.clientOrderId, 'compat-1');
    assert.equal(typeof placed.orderId, 'number');
    assert.deepEqual(placed.fills, []);
    const usdt = async () => (await c.account()).data.balances.find((b) => b.asset === 'USDT');
    assert.deepEqual(await usdt(), { asset: 'USDT', free: '4000.00000000', locked: '6000.00000000' });

    const got = (await c.getOrder('BTCUSDT', { orderId: placed.orderId })).data;
    assert.equal(got.status, 'NEW');
    assert.equal(got.origQty, '0.10000000');
    assert.equal((await c.getOrder('BTCUSDT', { origClientOrderId: 'compat-1' })).data.orderId, placed.orderId);
    const open = (await c.openOrders({ symbol: 'BTCUSDT' })).data;
    assert.deepEqual(open.map((o) => o.orderId), [placed.orderId]);
    const depth = (await c.depth('BTCUSDT', { limit: 5 })).data;
    assert.deepEqual(depth.bids, [['60000.00000000', '0.10000000']]);

    const cancelled = (await c.cancelOrder('BTCUSDT', { orderId: placed.orderId })).data;
    assert.equal(cancelled.status, 'CANCELED');
    assert.equal(cancelled.origClientOrderId, 'compat-1');
    assert.deepEqual(await usdt(), { asset: 'USDT', free: '10000.00000000', locked: '0.00000000' });

    // Binance's refusals reach the client as Binance errors.
    let e = await rejection(c.cancelOrder('BTCUSDT', { orderId: placed.orderId }));
    assert.equal(e.response?.status, 400, String(e));
    assert.deepEqual(e.response.data, { code: -2011, msg: 'Unknown order sent.' });
    e = await rejection(c.newOrder('BTCUSDT', 'BUY', 'LIMIT', { price: '60000', quantity: 1, timeInForce: 'GTC' }));
    assert.deepEqual(e.response.data, { code: -2010, msg: 'Account has insufficient balance for requested action.' });
    e = await rejection(connector(readOnly).newOrder('BTCUSDT', 'BUY', 'LIMIT',
      { price: '60000', quantity: 0.01, timeInForce: 'GTC' }));
    assert.equal(e.response?.status, 401);
    assert.deepEqual(e.response.data, { code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' });
  });

  test('@binance/spot sells into the connector\'s bid; both read their trades', async () => {
    const c = connector(buyer.key);
    const bid = (await c.newOrder('BTCUSDT', 'BUY', 'LIMIT', { price: '60000', quantity: 0.1, timeInForce: 'GTC' })).data;
    const m = modular(seller.key);
    const r = await m.restAPI.newOrder({ symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC',
      quantity: 0.1, price: 59000 });
    assert.equal(r.status, 200);
    const sold = await r.data();
    assert.equal(sold.status, 'FILLED');
    assert.equal(sold.fills.length, 1);
    assert.equal(sold.fills[0].price, '60000.00000000');
    assert.equal(sold.fills[0].commission, '6.00000000');
    assert.equal(sold.fills[0].commissionAsset, 'USDT');

    const mine = (await c.myTrades('BTCUSDT')).data;
    assert.equal(mine.length, 1);
    assert.equal(mine[0].orderId, bid.orderId);
    assert.equal(mine[0].isBuyer, true);
    assert.equal(mine[0].isMaker, true);
    assert.equal(mine[0].commission, '0.00010000');
    const all = (await c.allOrders('BTCUSDT')).data;
    assert.deepEqual(all.map((o) => o.status), ['CANCELED', 'FILLED']);

    const theirs = await (await m.restAPI.myTrades({ symbol: 'BTCUSDT' })).data();
    assert.equal(theirs.length, 1);
    assert.equal(Number(theirs[0].orderId), Number(sold.orderId));
    assert.equal(theirs[0].isBuyer, false);
    assert.equal(theirs[0].quoteQty, '6000.00000000');
    const balances = (await c.account()).data.balances;
    assert.deepEqual(balances.find((b) => b.asset === 'BTC'), { asset: 'BTC', free: '0.09990000', locked: '0.00000000' });
  });

  test('@binance/spot: getOrder, getOpenOrders, deleteOrder, and its error classes', async () => {
    const m = modular(seller.key);
    const ask = await (await m.restAPI.newOrder({ symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC',
      quantity: 0.2, price: 70000, newClientOrderId: 'spot-ask' })).data();
    assert.equal(ask.status, 'NEW');
    const got = await (await m.restAPI.getOrder({ symbol: 'BTCUSDT', origClientOrderId: 'spot-ask' })).data();
    assert.equal(Number(got.orderId), Number(ask.orderId));
    assert.equal(got.price, '70000.00000000');
    const open = await (await m.restAPI.getOpenOrders({ symbol: 'BTCUSDT' })).data();
    assert.deepEqual(open.map((o) => Number(o.orderId)), [Number(ask.orderId)]);
    const del = await (await m.restAPI.deleteOrder({ symbol: 'BTCUSDT', orderId: Number(ask.orderId) })).data();
    assert.equal(del.status, 'CANCELED');
    assert.equal(del.origClientOrderId, 'spot-ask');

    let e = await rejection(m.restAPI.getOrder({ symbol: 'BTCUSDT', orderId: 99999999 }));
    assert.ok(e instanceof BadRequestError, `${e?.name}: ${e?.message}`);
    assert.equal(e.code, -2013);
    assert.equal(e.message, 'Order does not exist.');
    e = await rejection(m.restAPI.newOrder({ symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC',
      quantity: 0.2, price: 70000.001 }));
    assert.ok(e instanceof BadRequestError, `${e?.name}: ${e?.message}`);
    assert.equal(e.code, -1013);
    e = await rejection(modular(readOnly).restAPI.deleteOrder({ symbol: 'BTCUSDT', orderId: 1 }));
    assert.ok(e instanceof UnauthorizedError, `${e?.name}: ${e?.message}`);
    assert.equal(e.code, -2015);
  });
});
