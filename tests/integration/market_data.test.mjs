// Market data and the demo market maker, on every backend: `--demo` quotes five levels a side
// around the reference prices; a newcomer's MARKET BUY fills against them and the level comes back;
// the trade shows in trades, historicalTrades (key only), aggTrades, klines, avgPrice and the
// tickers with Binance's shapes and weights; bad parameters get Binance's errors; a kill -9 and
// restart give the same history and the market maker does not quote twice.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  admin, assertBinance, assertError, BINANCE, createKey, forEachBackend, ledgerVerify, request, signedRequest,
  startServer, until, userWith2FA,
} from './harness.mjs';

const hmac = (k) => ({ apiKey: k.apiKey, type: 'HMAC_SHA256', secretKey: k.secretKey });
const sorted = (o) => Object.keys(o).sort();
const AMOUNT = /^\d+\.\d{8}$/;
const get = (url, p) => request(url, 'GET', p);
const weightOf = (r) => Number(r.headers['x-mbx-used-weight-1m']);


forEachBackend('market data and the demo market maker', (backend) => {
  let s;
  let ann;
  let buy;  // ann's MARKET BUY
  before(async () => {
    s = await startServer({ backend, extraArgs: ['--demo'], marketMaker: true });
    const user = await userWith2FA(s.url, { tag: 'md-ann' });
    ann = { user, trade: hmac(await createKey(s.url, user, { permissions: ['READ', 'TRADE'] })) };
    const dep = await admin(s.dataDir, ['deposit', '--email', user.email, '--asset', 'USDT', '--amount', '10000']);
    assert.equal(dep.code, 0, dep.stderr);
  });
  after(async () => { await s?.stop(); });

  test('--demo starts with quotes on every market around the reference price', async () => {
    assert.ok(s.stdoutLines.some((l) => /market maker .* quotes 5 levels a side on 3 markets/.test(l)), s.output());
    const depth = await get(s.url, '/api/v3/depth?symbol=BTCUSDT&limit=10');
    assert.equal(depth.status, 200, depth.text);
    assert.equal(depth.body.bids.length, 5);
    assert.equal(depth.body.asks.length, 5);
    assert.deepEqual(depth.body.bids[0], ['59940.00000000', '0.08341000']);
    assert.deepEqual(depth.body.asks[0], ['60060.00000000', '0.08325000']);
    const book = await get(s.url, '/api/v3/ticker/bookTicker');
    assert.equal(book.status, 200, book.text);
    assert.deepEqual(book.body.map((b) => b.symbol), ['BTCUSDT', 'ETHUSDT', 'XRPUSDT']);
    assert.deepEqual(sorted(book.body[2]), ['askPrice', 'askQty', 'bidPrice', 'bidQty', 'symbol']);
    assert.equal(book.body[2].askPrice, '0.50050000');
    assert.equal(book.body[2].bidPrice, '0.49950000');
  });

  test('a newcomer\'s MARKET BUY fills against the market maker, who quotes the level again', async () => {
    const r = await signedRequest(s.url, 'POST', '/api/v3/order', ann.trade,
      { params: { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quoteOrderQty: '6000' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'FILLED');
    assert.equal(r.body.fills.length, 2, 'the whole best ask and part of the next');
    assert.deepEqual(r.body.fills.map((f) => f.price), ['60060.00000000', '60120.00000000']);
    buy = r.body;
    // The market maker puts the taken level back within its refresh (1 s).
    await until('the best ask again', async () => {
      const d = (await get(s.url, '/api/v3/depth?symbol=BTCUSDT&limit=1')).body;
      return d.asks[0]?.[0] === '60060.00000000' && d.asks[0][1] === '0.08325000';
    });
    const v = await ledgerVerify(s.dataDir);
    assert.ok(v.ok, v.stdout + v.stderr);
  });

  test('trades, historicalTrades and aggTrades show the fills', async () => {
    const trades = await get(s.url, '/api/v3/trades?symbol=BTCUSDT');
    assert.equal(trades.status, 200, trades.text);
    assert.equal(trades.body.length, 2);
    const [t1, t2] = trades.body;
    assert.deepEqual(sorted(t1), ['id', 'isBestMatch', 'isBuyerMaker', 'price', 'qty', 'quoteQty', 'time']);
    assert.equal(t1.id, buy.fills[0].tradeId);
    assert.equal(t2.id, buy.fills[1].tradeId);
    assert.equal(t1.price, '60060.00000000');
    assert.equal(t1.qty, buy.fills[0].qty);
    assert.equal(t1.isBuyerMaker, false, 'the buyer took');
    assert.equal(t1.time, buy.transactTime);
    assert.deepEqual((await get(s.url, '/api/v3/trades?symbol=BTCUSDT&limit=1')).body, [t2]);

    // historicalTrades needs a key (any), not a signature.
    assertBinance(await get(s.url, '/api/v3/historicalTrades?symbol=BTCUSDT'), BINANCE.keyFormat);
    const hist = await request(s.url, 'GET', `/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${t2.id}`,
      { headers: { 'X-MBX-APIKEY': ann.trade.apiKey } });
    assert.equal(hist.status, 200, hist.text);
    assert.deepEqual(hist.body, [t2]);

    // Two prices: two aggregates of one trade each.
    const agg = await get(s.url, '/api/v3/aggTrades?symbol=BTCUSDT');
    assert.equal(agg.status, 200, agg.text);
    assert.equal(agg.body.length, 2);
    assert.deepEqual(agg.body[0], { a: t1.id, p: t1.price, q: t1.qty, f: t1.id, l: t1.id, T: t1.time, m: false, M: true });
    const fromSecond = await get(s.url, `/api/v3/aggTrades?symbol=BTCUSDT&fromId=${agg.body[0].a + 1}`);
    assert.deepEqual(fromSecond.body, [agg.body[1]]);
    const inWindow = await get(s.url, `/api/v3/aggTrades?symbol=BTCUSDT&startTime=${t1.time}&endTime=${t1.time}`);
    assert.equal(inWindow.body.length, 2);
  });

  test('klines, avgPrice and the tickers', async () => {
    const k = await get(s.url, '/api/v3/klines?symbol=BTCUSDT&interval=1m');
    assert.equal(k.status, 200, k.text);
    assert.ok(k.body.length >= 1);
    const last = k.body.at(-1);
    assert.equal(last.length, 12);
    const [openTime, open, high, low, close, volume, closeTime, quoteVolume, count, takerBase, takerQuote, ignore] =
      k.body.find((row) => row[8] > 0);
    assert.equal(openTime % 60000, 0);
    assert.equal(closeTime, openTime + 59999);
    assert.deepEqual([open, high, low, close], ['60060.00000000', '60120.00000000', '60060.00000000', '60120.00000000']);
    assert.equal(volume, buy.executedQty);
    assert.equal(quoteVolume, buy.cummulativeQuoteQty);
    assert.equal(count, 2);
    assert.equal(takerBase, volume, 'the buyer was the taker');
    assert.equal(takerQuote, quoteVolume);
    assert.equal(ignore, '0');
    for (const interval of ['1s', '3m', '1h', '8h', '1d', '3d', '1w', '1M']) {
      const r = await get(s.url, `/api/v3/klines?symbol=BTCUSDT&interval=${interval}&limit=1`);
      assert.equal(r.status, 200, `${interval}: ${r.text}`);
      assert.equal(r.body.length, 1, interval);
    }
    assert.deepEqual((await get(s.url, '/api/v3/uiKlines?symbol=BTCUSDT&interval=1m')).body, k.body);
    const tz = await get(s.url, '/api/v3/klines?symbol=BTCUSDT&interval=1d&timeZone=-5:30');
    assert.equal(tz.status, 200, tz.text);
    assert.equal((tz.body[0][0] - 5.5 * 3600000) % 86400000, 0, 'the day starts at local midnight (05:30 UTC)');

    const avg = await get(s.url, '/api/v3/avgPrice?symbol=BTCUSDT');
    assert.equal(avg.status, 200, avg.text);
    assert.deepEqual(sorted(avg.body), ['closeTime', 'mins', 'price']);
    assert.equal(avg.body.mins, 5);
    assert.match(avg.body.price, AMOUNT);
    assert.ok(Number(avg.body.price) > 60060 && Number(avg.body.price) < 60120, avg.text);

    const t = await get(s.url, '/api/v3/ticker/24hr?symbol=BTCUSDT');
    assert.equal(t.status, 200, t.text);
    assert.deepEqual(sorted(t.body), ['askPrice', 'askQty', 'bidPrice', 'bidQty', 'closeTime', 'count', 'firstId',
      'highPrice', 'lastId', 'lastPrice', 'lastQty', 'lowPrice', 'openPrice', 'openTime', 'prevClosePrice',
      'priceChange', 'priceChangePercent', 'quoteVolume', 'symbol', 'volume', 'weightedAvgPrice'].sort());
    assert.equal(t.body.count, 2);
    assert.equal(t.body.firstId, buy.fills[0].tradeId);
    assert.equal(t.body.lastId, buy.fills[1].tradeId);
    assert.equal(t.body.openPrice, '60060.00000000');
    assert.equal(t.body.lastPrice, '60120.00000000');
    assert.equal(t.body.priceChange, '60.00000000');
    assert.equal(t.body.priceChangePercent, '0.100');
    assert.equal(t.body.volume, buy.executedQty);
    assert.equal(t.body.weightedAvgPrice, avg.body.price);
    assert.equal(t.body.askPrice, '60060.00000000');
    const mini = await get(s.url, '/api/v3/ticker/24hr?symbols=%5B%22BTCUSDT%22,%22XRPUSDT%22%5D&type=MINI');
    assert.equal(mini.status, 200, mini.text);
    assert.equal(mini.body.length, 2);
    assert.ok(!('bidPrice' in mini.body[0]));
    assert.equal(mini.body[1].count, 0);
    assert.equal(mini.body[1].firstId, -1);
    const price = await get(s.url, '/api/v3/ticker/price?symbol=BTCUSDT');
    assert.deepEqual(price.body, { symbol: 'BTCUSDT', price: '60120.00000000' });
    const prices = await get(s.url, '/api/v3/ticker/price');
    assert.equal(prices.body.length, 3);
  });

  test('Binance\'s weights and errors', async () => {
    // What a request adds to the IP's weight in the current minute (windows are aligned to the
    // clock: measured again when a minute ended in between).
    const weight = async (p) => {
      for (;;) {
        const minute = Math.floor(Date.now() / 60000);
        const w0 = weightOf(await get(s.url, '/api/v3/ping'));
        const w1 = weightOf(await get(s.url, p));
        if (Math.floor(Date.now() / 60000) === minute) return w1 - w0;
      }
    };
    assert.equal(await weight('/api/v3/depth?symbol=BTCUSDT&limit=1000'), 50);
    assert.equal(await weight('/api/v3/depth?symbol=BTCUSDT'), 5);
    // Weighed as the handler reads the limit, decoded (name or value percent-encoded).
    assert.equal(await weight('/api/v3/depth?symbol=BTCUSDT&limit=%35000'), 250);
    assert.equal(await weight('/api/v3/depth?symbol=BTCUSDT&li%6Dit=1000'), 50);
    assert.equal(await weight('/api/v3/ticker/24hr'), 80);
    assert.equal(await weight('/api/v3/ticker/24hr?symbol=BTCUSDT'), 2);
    assert.equal(await weight('/api/v3/ticker/price'), 4);
    assert.equal(await weight('/api/v3/trades?symbol=BTCUSDT'), 25);
    assert.equal(await weight('/api/v3/klines?symbol=BTCUSDT&interval=1m'), 2);

    assertError(await get(s.url, '/api/v3/klines?symbol=BTCUSDT&interval=2m'), 400, -1120, 'Invalid interval.');
    assertBinance(await get(s.url, '/api/v3/klines?symbol=BTCUSDT'), BINANCE.missing('interval'));
    assertBinance(await get(s.url, '/api/v3/trades'), BINANCE.missing('symbol'));
    assertError(await get(s.url, '/api/v3/aggTrades?symbol=NOPE'), 400, -1121, 'Invalid symbol.');
    assertError(await get(s.url, '/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=2&endTime=1'), 400, -1023);
    assertError(await get(s.url, '/api/v3/aggTrades?symbol=BTCUSDT&fromId=1&startTime=1'), 400, -1128);
    assertError(await get(s.url, '/api/v3/aggTrades?symbol=BTCUSDT&startTime=0&endTime=3600001'), 400, -1127);
    assertError(await get(s.url, '/api/v3/klines?symbol=BTCUSDT&interval=1m&timeZone=15'), 400, -1102);
    assertError(await get(s.url, '/api/v3/ticker/24hr?symbol=BTCUSDT&type=HUGE'), 400, -1102);
    assertError(await get(s.url, '/api/v3/ticker/price?symbol=BTCUSDT&symbols=%5B%22BTCUSDT%22%5D'), 400, -1128);
    assertError(await get(s.url, '/api/v3/ticker/bookTicker?symbols=%5B%22NOPE%22%5D'), 400, -1121);
    assertError(await get(s.url, '/api/v3/trades?symbol=BTCUSDT&symbol=ETHUSDT'), 400, -1101);
  });

  test('after kill -9 the history is the same and the market maker does not quote twice', async () => {
    const before = {
      trades: (await get(s.url, '/api/v3/trades?symbol=BTCUSDT')).body,
      agg: (await get(s.url, '/api/v3/aggTrades?symbol=BTCUSDT')).body,
      klines: (await get(s.url, '/api/v3/klines?symbol=BTCUSDT&interval=1h')).body,
      ticker: (await get(s.url, '/api/v3/ticker/24hr?symbol=BTCUSDT')).body,
    };
    s.proc.kill('SIGKILL');
    await s.exited;
    s = await startServer({ backend, extraArgs: ['--demo'], marketMaker: true, dataDir: s.dataDir, dbUrl: s.dbUrl, adopt: true });
    assert.deepEqual((await get(s.url, '/api/v3/trades?symbol=BTCUSDT')).body, before.trades);
    assert.deepEqual((await get(s.url, '/api/v3/aggTrades?symbol=BTCUSDT')).body, before.agg);
    const klines = (await get(s.url, '/api/v3/klines?symbol=BTCUSDT&interval=1h')).body;
    assert.deepEqual(klines.slice(0, before.klines.length), before.klines);
    const ticker = (await get(s.url, '/api/v3/ticker/24hr?symbol=BTCUSDT')).body;
    for (const f of ['openPrice', 'highPrice', 'lowPrice', 'lastPrice', 'volume', 'quoteVolume', 'count', 'firstId', 'lastId']) {
      assert.equal(ticker[f], before.ticker[f], f);
    }
    const depth = (await get(s.url, '/api/v3/depth?symbol=ETHUSDT')).body;
    assert.equal(depth.bids.length, 5);
    assert.equal(depth.asks.length, 5);
    assert.equal(depth.asks[0][1], '1.66500000', 'one quote per level, not two');
    const v = await ledgerVerify(s.dataDir);
    assert.ok(v.ok, v.stdout + v.stderr);
  });
});
