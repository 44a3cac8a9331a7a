// A bot on the unmodified official clients trading against the demo market maker (`--demo`):
// @binance/connector reads the book ticker, buys across the spread, and reads its fill back through
// the public market data (trades, historicalTrades, aggTrades, klines, avgPrice, the tickers);
// @binance/spot reads the same data through its own typed API. Run with scripts/compat.sh.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { Spot as ModularSpot } from '@binance/spot';
import {
  admin, createKey, forEachBackend, ledgerVerify, startServer, userWith2FA, withoutProxies,
} from '../integration/harness.mjs';

const require = createRequire(import.meta.url);
const { Spot: ConnectorSpot } = require('@binance/connector');

withoutProxies();

forEachBackend('official Binance clients: a bot against the demo market maker', (backend) => {
  let s;
  let key;
  let fill;  // the bot's order
  before(async () => {
    s = await startServer({ backend, extraArgs: ['--demo'], marketMaker: true });
    const user = await userWith2FA(s.url, { tag: 'compat-bot' });
    key = await createKey(s.url, user, { permissions: ['READ', 'TRADE'] });
    const dep = await admin(s.dataDir, ['deposit', '--email', user.email, '--asset', 'USDT', '--amount', '2000']);
    assert.equal(dep.code, 0, dep.stderr);
  });
  after(async () => { await s?.stop(); });

  const connector = () => new ConnectorSpot(key.apiKey, key.secretKey, { baseURL: s.url, timeout: 10000 });
  const modular = () => new ModularSpot({
    configurationRestAPI: { apiKey: key.apiKey, apiSecret: key.secretKey, basePath: s.url, timeout: 10000, retries: 0 },
  });

  test('@binance/connector: the bot buys at the best ask and sees its trade in the market data', async () => {
    const c = connector();
    const top = (await c.bookTicker('ETHUSDT')).data;
    assert.equal(top.askPrice, '3003.00000000');
    // A LIMIT IOC at the ask: the market maker's quote fills it.
    const order = (await c.newOrder('ETHUSDT', 'BUY', 'LIMIT',
      { price: top.askPrice, quantity: 0.5, timeInForce: 'IOC' })).data;
    assert.equal(order.status, 'FILLED');
    assert.equal(order.fills.length, 1);
    fill = order.fills[0];
    assert.equal(fill.price, '3003.00000000');
    const eth = (await c.account()).data.balances.find((b) => b.asset === 'ETH');
    assert.equal(eth.free, '0.49950000', '0.5 less the 0.1 % fee');

    const trades = (await c.trades('ETHUSDT', { limit: 5 })).data;
    assert.equal(trades.at(-1).id, fill.tradeId);
    assert.equal(trades.at(-1).isBuyerMaker, false);
    const hist = (await c.historicalTrades('ETHUSDT', { fromId: fill.tradeId })).data;
    assert.deepEqual(hist, [trades.at(-1)]);
    const agg = (await c.aggTrades('ETHUSDT')).data;
    assert.equal(agg.at(-1).f, fill.tradeId);
    assert.equal(agg.at(-1).q, '0.50000000');
    const klines = (await c.klines('ETHUSDT', '1m', { limit: 3 })).data;
    assert.equal(klines.at(-1).length, 12);
    assert.ok(klines.some((k) => k[4] === '3003.00000000' && k[8] === 1), JSON.stringify(klines));
    assert.equal((await c.avgPrice('ETHUSDT')).data.price, '3003.00000000');
    const t = (await c.ticker24hr('ETHUSDT')).data;
    assert.equal(t.lastPrice, '3003.00000000');
    assert.equal(t.count, 1);
    const all = (await c.ticker24hr('', ['ETHUSDT', 'BTCUSDT'])).data;
    assert.deepEqual(all.map((x) => x.symbol), ['ETHUSDT', 'BTCUSDT']);
    assert.deepEqual((await c.tickerPrice('ETHUSDT')).data, { symbol: 'ETHUSDT', price: '3003.00000000' });
    const v = await ledgerVerify(s.dataDir);
    assert.ok(v.ok, v.stdout + v.stderr);
  });

  test('@binance/spot reads the same market data', async () => {
    const m = modular();
    const depth = await (await m.restAPI.depth({ symbol: 'ETHUSDT', limit: 5 })).data();
    assert.equal(depth.bids.length, 5);
    const trades = await (await m.restAPI.getTrades({ symbol: 'ETHUSDT' })).data();
    assert.equal(Number(trades.at(-1).id), fill.tradeId);
    const klines = await (await m.restAPI.klines({ symbol: 'ETHUSDT', interval: '1h' })).data();
    assert.equal(klines.at(-1)[5], '0.50000000');
    const agg = await (await m.restAPI.aggTrades({ symbol: 'ETHUSDT' })).data();
    assert.equal(Number(agg.at(-1).l), fill.tradeId);
    const avg = await (await m.restAPI.avgPrice({ symbol: 'ETHUSDT' })).data();
    assert.equal(avg.price, '3003.00000000');
    const t = await (await m.restAPI.ticker24hr({ symbol: 'ETHUSDT', type: 'MINI' })).data();
    assert.equal(t.lastPrice, '3003.00000000');
    assert.ok(!('bidPrice' in t));
    const book = await (await m.restAPI.tickerBookTicker({ symbols: ['BTCUSDT', 'XRPUSDT'] })).data();
    assert.deepEqual(book.map((b) => b.symbol), ['BTCUSDT', 'XRPUSDT']);
    const price = await (await m.restAPI.tickerPrice({ symbol: 'ETHUSDT' })).data();
    assert.equal(price.price, '3003.00000000');
  });
});
