// Public market-data endpoints (Binance-compatible shapes) and the generic error contract.

import assert from 'node:assert/strict';
import { before, after, test } from 'node:test';
import { forEachBackend, startServer, request, assertError } from './harness.mjs';

const DECIMAL = /^\d+(\.\d+)?$/;

function assertDecimalString(obj, field, ctx) {
  assert.equal(typeof obj[field], 'string', `${ctx}.${field} is a decimal string; got ${JSON.stringify(obj[field])}`);
  assert.match(obj[field], DECIMAL, `${ctx}.${field} is a decimal string`);
}

function assertSymbolShape(s) {
  const ctx = s.symbol;
  assert.equal(typeof s.symbol, 'string');
  assert.equal(s.status, 'TRADING', `${ctx}.status`);
  assert.equal(typeof s.baseAsset, 'string', `${ctx}.baseAsset`);
  assert.equal(typeof s.quoteAsset, 'string', `${ctx}.quoteAsset`);
  assert.equal(s.symbol, s.baseAsset + s.quoteAsset, `${ctx} = baseAsset + quoteAsset`);
  assert.equal(s.baseAssetPrecision, 8, `${ctx}.baseAssetPrecision`);
  assert.ok(Number.isInteger(s.quotePrecision), `${ctx}.quotePrecision is an integer`);
  assert.ok(Number.isInteger(s.quoteAssetPrecision), `${ctx}.quoteAssetPrecision is an integer`);
  assert.ok(Array.isArray(s.orderTypes), `${ctx}.orderTypes is an array`);
  for (const t of ['LIMIT', 'LIMIT_MAKER', 'MARKET']) assert.ok(s.orderTypes.includes(t), `${ctx}.orderTypes has ${t}`);
  assert.equal(typeof s.icebergAllowed, 'boolean', `${ctx}.icebergAllowed`);
  assert.equal(typeof s.ocoAllowed, 'boolean', `${ctx}.ocoAllowed`);
  assert.equal(s.isSpotTradingAllowed, true, `${ctx}.isSpotTradingAllowed`);
  assert.equal(s.isMarginTradingAllowed, false, `${ctx}.isMarginTradingAllowed`);
  assert.ok(Array.isArray(s.permissions), `${ctx}.permissions is an array`);
  assert.ok(Array.isArray(s.filters), `${ctx}.filters is an array`);
  const f = Object.fromEntries(s.filters.map((x) => [x.filterType, x]));
  assert.ok(f.PRICE_FILTER, `${ctx} has PRICE_FILTER`);
  for (const k of ['minPrice', 'maxPrice', 'tickSize']) assertDecimalString(f.PRICE_FILTER, k, `${ctx}.PRICE_FILTER`);
  for (const name of ['LOT_SIZE', 'MARKET_LOT_SIZE']) {
    assert.ok(f[name], `${ctx} has ${name}`);
    for (const k of ['minQty', 'maxQty', 'stepSize']) assertDecimalString(f[name], k, `${ctx}.${name}`);
  }
  assert.ok(f.NOTIONAL, `${ctx} has NOTIONAL`);
  assertDecimalString(f.NOTIONAL, 'minNotional', `${ctx}.NOTIONAL`);
  assertDecimalString(f.NOTIONAL, 'maxNotional', `${ctx}.NOTIONAL`);
  assert.equal(typeof f.NOTIONAL.applyMinToMarket, 'boolean', `${ctx}.NOTIONAL.applyMinToMarket`);
  assert.equal(typeof f.NOTIONAL.applyMaxToMarket, 'boolean', `${ctx}.NOTIONAL.applyMaxToMarket`);
  assert.ok(Number.isInteger(f.NOTIONAL.avgPriceMins), `${ctx}.NOTIONAL.avgPriceMins is an integer`);
  assert.ok(Number(f.PRICE_FILTER.tickSize) > 0, `${ctx} tickSize > 0`);
  assert.ok(Number(f.LOT_SIZE.stepSize) > 0, `${ctx} stepSize > 0`);
}

forEachBackend('public endpoints', (backend) => {
  let s;
  let plain;
  before(async () => {
    s = await startServer({ backend, extraArgs: ['--demo'] });
  });
  after(async () => {
    await s?.stop();
    await plain?.stop();
  });

  test('GET /api/v3/ping returns 200 {}', async () => {
    const r = await request(s.url, 'GET', '/api/v3/ping');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, {});
    assert.match(r.headers['content-type'] ?? '', /application\/json/);
  });

  test('GET /api/v3/time returns serverTime close to now', async () => {
    const r = await request(s.url, 'GET', '/api/v3/time');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.body), ['serverTime']);
    assert.ok(Number.isInteger(r.body.serverTime), `serverTime is an integer: ${r.text}`);
    assert.ok(Math.abs(r.body.serverTime - Date.now()) < 5000, `serverTime ${r.body.serverTime} vs now ${Date.now()}`);
  });

  test('GET /api/v3/exchangeInfo has the Binance shape and the demo symbols', async () => {
    const r = await request(s.url, 'GET', '/api/v3/exchangeInfo');
    assert.equal(r.status, 200, r.text);
    const b = r.body;
    assert.equal(b.timezone, 'UTC');
    assert.ok(Number.isInteger(b.serverTime) && Math.abs(b.serverTime - Date.now()) < 5000, `serverTime ${b.serverTime}`);
    assert.ok(Array.isArray(b.rateLimits), 'rateLimits is an array');
    for (const type of ['REQUEST_WEIGHT', 'ORDERS', 'RAW_REQUESTS']) {
      const rl = b.rateLimits.find((x) => x.rateLimitType === type);
      assert.ok(rl, `rateLimits has ${type}: ${JSON.stringify(b.rateLimits)}`);
      assert.equal(typeof rl.interval, 'string', `${type}.interval`);
      assert.match(rl.interval, /^(SECOND|MINUTE|HOUR|DAY)$/, `${type}.interval`);
      assert.ok(Number.isInteger(rl.intervalNum) && rl.intervalNum > 0, `${type}.intervalNum`);
      assert.ok(Number.isInteger(rl.limit) && rl.limit > 0, `${type}.limit`);
    }
    for (const rl of b.rateLimits) {
      assert.deepEqual(Object.keys(rl).sort(), ['interval', 'intervalNum', 'limit', 'rateLimitType'], JSON.stringify(rl));
    }
    assert.deepEqual(b.exchangeFilters, []);
    assert.ok(Array.isArray(b.symbols), 'symbols is an array');
    const names = b.symbols.map((x) => x.symbol);
    for (const sym of ['BTCUSDT', 'ETHUSDT', 'XRPUSDT']) assert.ok(names.includes(sym), `symbols has ${sym}: ${names}`);
    for (const sym of b.symbols) assertSymbolShape(sym);
    const btc = b.symbols.find((x) => x.symbol === 'BTCUSDT');
    assert.equal(btc.baseAsset, 'BTC');
    assert.equal(btc.quoteAsset, 'USDT');
  });

  test('exchangeInfo?symbol=BTCUSDT returns just that symbol', async () => {
    const r = await request(s.url, 'GET', '/api/v3/exchangeInfo?symbol=BTCUSDT');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.symbols.length, 1);
    assert.equal(r.body.symbols[0].symbol, 'BTCUSDT');
    assertSymbolShape(r.body.symbols[0]);
  });

  test('exchangeInfo?symbol=NOPE is -1121 Invalid symbol.', async () => {
    const r = await request(s.url, 'GET', '/api/v3/exchangeInfo?symbol=NOPE');
    assertError(r, 400, -1121, 'Invalid symbol.');
  });

  test('exchangeInfo?symbols=["BTCUSDT","ETHUSDT"] returns those two', async () => {
    const r = await request(s.url, 'GET', '/api/v3/exchangeInfo?symbols=%5B%22BTCUSDT%22,%22ETHUSDT%22%5D');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.symbols.map((x) => x.symbol).sort(), ['BTCUSDT', 'ETHUSDT']);
  });

  test('exchangeInfo with both symbol and symbols is -1128', async () => {
    const r = await request(s.url, 'GET', '/api/v3/exchangeInfo?symbol=BTCUSDT&symbols=%5B%22ETHUSDT%22%5D');
    assertError(r, 400, -1128);
  });

  test('public endpoints ignore a garbage X-MBX-APIKEY header', async () => {
    const headers = { 'X-MBX-APIKEY': 'garbage!not-a-key' };
    const ping = await request(s.url, 'GET', '/api/v3/ping', { headers });
    assert.equal(ping.status, 200, ping.text);
    assert.deepEqual(ping.body, {});
    const info = await request(s.url, 'GET', '/api/v3/exchangeInfo?symbol=ETHUSDT', { headers });
    assert.equal(info.status, 200, info.text);
    assert.equal(info.body.symbols[0].symbol, 'ETHUSDT');
  });

  test('unknown path is 404 {code:-7000}', async () => {
    for (const p of ['/api/v3/nope', '/nope', '/console/v1/nope']) {
      const r = await request(s.url, 'GET', p);
      assertError(r, 404, -7000);
    }
  });

  test('without --demo exchangeInfo still answers (symbols may be empty)', async () => {
    plain = await startServer({ backend });
    const r = await request(plain.url, 'GET', '/api/v3/exchangeInfo');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.timezone, 'UTC');
    assert.ok(Array.isArray(r.body.symbols), 'symbols is an array');
    for (const sym of r.body.symbols) assertSymbolShape(sym);
    const ping = await request(plain.url, 'GET', '/api/v3/ping');
    assert.equal(ping.status, 200);
  });
});
