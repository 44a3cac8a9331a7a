// Convert through the server (Binance's /sapi/v1/convert): USDT -> XRP against the demo's desk with
// exact balance changes, the CONVERT permission, quotes that expire, are accepted once and answer
// another user like an unknown quote, -2010 that changes nothing, the history, the operator's
// `desk fund` (once per reference, across a restart), and `ledger verify` with the desk column.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  admin, assertBinance, assertError, BINANCE, createKey, forEachBackend, signedRequest, sleep, startServer,
  userWith2FA,
} from './harness.mjs';

const hmac = (k) => ({ apiKey: k.apiKey, type: 'HMAC_SHA256', secretKey: k.secretKey });

const balancesOf = async (url, key) => {
  const r = await signedRequest(url, 'GET', '/api/v3/account', key);
  assert.equal(r.status, 200, r.text);
  return Object.fromEntries(r.body.balances.map((b) => [b.asset, { free: b.free, locked: b.locked }]));
};

const getQuote = (url, key, params) => signedRequest(url, 'POST', '/sapi/v1/convert/getQuote', key, { body: params });
const acceptQuote = (url, key, quoteId) =>
  signedRequest(url, 'POST', '/sapi/v1/convert/acceptQuote', key, { body: { quoteId } });

// The verify table's row for an asset: {usersFree, usersLocked, fees, pending, desk, external} as strings.
function verifyRow(stdout, asset) {
  const line = stdout.split('\n').find((l) => l.startsWith(`${asset} `));
  assert.ok(line, `no ${asset} row in:\n${stdout}`);
  const [, usersFree, usersLocked, fees, pending, desk, external] = line.trim().split(/\s+/);
  return { usersFree, usersLocked, fees, pending, desk, external };
}

// Decimal strings with 8 places as BigInt units.
const units = (s) => {
  const [i, f = ''] = s.replace('-', '').split('.');
  const v = BigInt(i) * 100000000n + BigInt(f.padEnd(8, '0'));
  return s.startsWith('-') ? -v : v;
};

async function assertVerifyHolds(dataDir) {
  const v = await admin(dataDir, ['ledger', 'verify']);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /ASSET\s+USERS_FREE\s+USERS_LOCKED\s+FEES\s+PENDING_WITHDRAWAL\s+DESK\s+EXTERNAL/);
  assert.match(v.stdout, /ok: every balance equals its journal/);
  for (const asset of ['BTC', 'ETH', 'USDT', 'XRP']) {
    const r = verifyRow(v.stdout, asset);
    const held = units(r.usersFree) + units(r.usersLocked) + units(r.fees) + units(r.pending) + units(r.desk);
    assert.equal(held, -units(r.external), `${asset}: users + fees + pending + desk = -external`);
  }
  return v.stdout;
}

forEachBackend('convert', (backend) => {
  let s;
  let alice;  // {user, convert (CONVERT only), read (READ only)}
  before(async () => {
    s = await startServer({ backend, extraArgs: ['--demo'] });
    const user = await userWith2FA(s.url, { tag: 'convert' });
    alice = {
      user,
      convert: hmac(await createKey(s.url, user, { permissions: ['CONVERT'] })),
      read: hmac(await createKey(s.url, user, { permissions: ['READ'] })),
    };
    const dep = await admin(s.dataDir, ['deposit', '--email', user.email, '--asset', 'USDT', '--amount', '1000']);
    assert.equal(dep.code, 0, dep.stderr);
  });
  after(async () => { await s?.stop(); });

  test('the demo funds the desk once and prices USDT -> XRP at 0.5 plus the spread', async () => {
    assert.match(s.stdoutLines.join('\n'), /convert desk funded with 1000000 XRP, 1000000 USDT, 100 BTC, 1000 ETH/);
    const out = await assertVerifyHolds(s.dataDir);
    assert.equal(verifyRow(out, 'XRP').desk, '1000000.00000000');
  });

  test('USDT -> XRP with a CONVERT key changes balances exactly; history; verify holds', async () => {
    const before_ = await balancesOf(s.url, alice.read);
    assert.deepEqual(before_.USDT, { free: '1000.00000000', locked: '0.00000000' });
    assert.deepEqual(before_.XRP, { free: '0.00000000', locked: '0.00000000' });

    const t0 = Date.now();
    const q = await getQuote(s.url, alice.convert, { fromAsset: 'USDT', toAsset: 'XRP', fromAmount: '100' });
    assert.equal(q.status, 200, q.text);
    assert.deepEqual(Object.keys(q.body).sort(),
      ['fromAmount', 'inverseRatio', 'quoteId', 'ratio', 'toAmount', 'validTimestamp']);
    assert.equal(typeof q.body.quoteId, 'string');
    assert.equal(q.body.fromAmount, '100.00000000');
    assert.equal(q.body.toAmount, '199.80019980');  // 100 / 0.5005, rounded down
    assert.equal(q.body.ratio, '1.99800199');
    assert.equal(q.body.inverseRatio, '0.50050000');
    assert.ok(q.body.validTimestamp >= t0 + 9000 && q.body.validTimestamp <= Date.now() + 10000, q.text);

    const a = await acceptQuote(s.url, alice.convert, q.body.quoteId);
    assert.equal(a.status, 200, a.text);
    assert.equal(typeof a.body.orderId, 'string');
    assert.match(a.body.orderId, /^\d+$/);
    assert.equal(a.body.orderStatus, 'SUCCESS');
    assert.equal(typeof a.body.createTime, 'number');

    const after_ = await balancesOf(s.url, alice.read);
    assert.deepEqual(after_.USDT, { free: '900.00000000', locked: '0.00000000' });
    assert.deepEqual(after_.XRP, { free: '199.80019980', locked: '0.00000000' });

    // The order, by orderId and by quoteId, with a READ key.
    for (const params of [{ orderId: a.body.orderId }, { quoteId: q.body.quoteId }]) {
      const st = await signedRequest(s.url, 'GET', '/sapi/v1/convert/orderStatus', alice.read, { params });
      assert.equal(st.status, 200, st.text);
      assert.deepEqual(st.body, {
        orderId: Number(a.body.orderId), orderStatus: 'SUCCESS', fromAsset: 'USDT', fromAmount: '100.00000000',
        toAsset: 'XRP', toAmount: '199.80019980', ratio: '1.99800199', inverseRatio: '0.50050000',
        createTime: a.body.createTime,
      });
    }
    const flow = await signedRequest(s.url, 'GET', '/sapi/v1/convert/tradeFlow', alice.read,
      { params: { startTime: t0 - 1000, endTime: Date.now() + 1000 } });
    assert.equal(flow.status, 200, flow.text);
    assert.equal(flow.body.moreData, false);
    assert.equal(flow.body.limit, 100);
    assert.equal(flow.body.list.length, 1);
    assert.deepEqual(flow.body.list[0], {
      quoteId: q.body.quoteId, orderId: Number(a.body.orderId), orderStatus: 'SUCCESS', fromAsset: 'USDT',
      fromAmount: '100.00000000', toAsset: 'XRP', toAmount: '199.80019980', ratio: '1.99800199',
      inverseRatio: '0.50050000', createTime: a.body.createTime,
    });

    // And back: XRP -> USDT for an exact amount of USDT (what it costs is rounded up).
    const back = await getQuote(s.url, alice.convert, { fromAsset: 'XRP', toAsset: 'USDT', toAmount: '49.95' });
    assert.equal(back.status, 200, back.text);
    assert.equal(back.body.fromAmount, '100.00000000');
    assert.equal(back.body.toAmount, '49.95000000');
    const b = await acceptQuote(s.url, alice.convert, back.body.quoteId);
    assert.equal(b.status, 200, b.text);
    const end = await balancesOf(s.url, alice.read);
    assert.deepEqual(end.USDT, { free: '949.95000000', locked: '0.00000000' });
    assert.deepEqual(end.XRP, { free: '99.80019980', locked: '0.00000000' });

    const out = await assertVerifyHolds(s.dataDir);
    assert.deepEqual(verifyRow(out, 'XRP').desk, '999900.19980020');  // 1,000,000 - 199.8001998 + 100
    assert.deepEqual(verifyRow(out, 'USDT').desk, '1000050.05000000');  // + 100 - 49.95
  });

  test('permissions: convert needs CONVERT, the history needs READ (Binance -2015)', async () => {
    const q = await getQuote(s.url, alice.read, { fromAsset: 'USDT', toAsset: 'XRP', fromAmount: '1' });
    assertBinance(q, BINANCE.keyRejected);
    const ok = await getQuote(s.url, alice.convert, { fromAsset: 'USDT', toAsset: 'XRP', fromAmount: '1' });
    assert.equal(ok.status, 200, ok.text);
    assertBinance(await acceptQuote(s.url, alice.read, ok.body.quoteId), BINANCE.keyRejected);
    assertBinance(await signedRequest(s.url, 'GET', '/sapi/v1/convert/tradeFlow', alice.convert,
      { params: { startTime: 0, endTime: 1000 } }), BINANCE.keyRejected);
    assertBinance(await signedRequest(s.url, 'GET', '/sapi/v1/convert/orderStatus', alice.convert,
      { params: { orderId: 1 } }), BINANCE.keyRejected);
    // Nothing was converted by the refused accept.
    assert.deepEqual((await balancesOf(s.url, alice.read)).USDT.free, '949.95000000');
  });

  test('refusals: expired, accepted twice, another user\'s quote, -2010, bad parameters', async () => {
    const bob = await userWith2FA(s.url, { tag: 'convert-bob' });
    const bobKey = hmac(await createKey(s.url, bob, { permissions: ['READ', 'CONVERT'] }));
    const dep = await admin(s.dataDir, ['deposit', '--email', bob.email, '--asset', 'USDT', '--amount', '10']);
    assert.equal(dep.code, 0, dep.stderr);

    // A quote to let expire (the shortest validTime is 10 s); the rest runs meanwhile.
    const stale = await getQuote(s.url, alice.convert,
      { fromAsset: 'USDT', toAsset: 'XRP', fromAmount: '1', validTime: '10s' });
    assert.equal(stale.status, 200, stale.text);
    const staleAt = stale.body.validTimestamp;

    // Accepted twice: the second is refused and changes nothing.
    const q = await getQuote(s.url, alice.convert, { fromAsset: 'USDT', toAsset: 'XRP', fromAmount: '2' });
    assert.equal(q.status, 200, q.text);
    assert.equal((await acceptQuote(s.url, alice.convert, q.body.quoteId)).status, 200);
    const afterOne = await balancesOf(s.url, alice.read);
    assertError(await acceptQuote(s.url, alice.convert, q.body.quoteId), 400, -7421);
    assert.deepEqual(await balancesOf(s.url, alice.read), afterOne);

    // Another user's quote (open or accepted) answers exactly like an unknown one.
    const open = await getQuote(s.url, alice.convert, { fromAsset: 'USDT', toAsset: 'XRP', fromAmount: '3' });
    assert.equal(open.status, 200, open.text);
    const unknown = await acceptQuote(s.url, bobKey, 'f3b91c525b2644c7bc1e1cd31b6e1aa6');
    assertError(unknown, 400, -7420);
    for (const theirs of [open.body.quoteId, q.body.quoteId]) {
      const r = await acceptQuote(s.url, bobKey, theirs);
      assert.equal(r.status, unknown.status);
      assert.deepEqual(r.body, unknown.body);
    }
    const orderOfAlice = await signedRequest(s.url, 'GET', '/sapi/v1/convert/orderStatus', bobKey,
      { params: { quoteId: q.body.quoteId } });
    assertError(orderOfAlice, 400, -7426);
    // The owner still can.
    assert.equal((await acceptQuote(s.url, alice.convert, open.body.quoteId)).status, 200);

    // Bob has 10 USDT: a quote for 100 is given, its accept is -2010 and changes nothing.
    const big = await getQuote(s.url, bobKey, { fromAsset: 'USDT', toAsset: 'XRP', fromAmount: '100' });
    assert.equal(big.status, 200, big.text);
    const bobBefore = await balancesOf(s.url, bobKey);
    assertBinance(await acceptQuote(s.url, bobKey, big.body.quoteId),
      [400, -2010, 'Account has insufficient balance for requested action.']);
    assert.deepEqual(await balancesOf(s.url, bobKey), bobBefore);
    assert.deepEqual(bobBefore.USDT, { free: '10.00000000', locked: '0.00000000' });
    assert.deepEqual(bobBefore.XRP, { free: '0.00000000', locked: '0.00000000' });

    // Parameters.
    const bad = [
      [{ fromAsset: 'USDT', toAsset: 'XRP', fromAmount: '1', toAmount: '1' }, 400, -1128],
      [{ fromAsset: 'USDT', toAsset: 'XRP' }, 400, -1102],
      [{ toAsset: 'XRP', fromAmount: '1' }, 400, -1102],
      [{ fromAsset: 'USDT', toAsset: 'XRP', fromAmount: '-1' }, 400, -1102],
      [{ fromAsset: 'USDT', toAsset: 'XRP', fromAmount: '0.000000001' }, 400, -1102],
      [{ fromAsset: 'USDT', toAsset: 'XRP', fromAmount: '1', validTime: '5m' }, 400, -1102],
      [{ fromAsset: 'BTC', toAsset: 'XRP', fromAmount: '1' }, 400, -7422],
      [{ fromAsset: 'XRP', toAsset: 'XRP', fromAmount: '1' }, 400, -7422],
      [{ fromAsset: 'DOGE', toAsset: 'USDT', fromAmount: '1' }, 400, -7410],
      [{ fromAsset: 'XRP', toAsset: 'USDT', fromAmount: '0.00000001' }, 400, -7424],
      [{ fromAsset: 'USDT', toAsset: 'BTC', toAmount: '1000' }, 400, -7423],  // the desk has 100 BTC
    ];
    for (const [params, status, code] of bad) {
      const r = await getQuote(s.url, bobKey, params);
      assertError(r, status, code);
    }
    assertError(await acceptQuote(s.url, bobKey, ''), 400, -1102);
    const flow = (params) => signedRequest(s.url, 'GET', '/sapi/v1/convert/tradeFlow', bobKey, { params });
    assertError(await flow({ endTime: 1000 }), 400, -1102);
    assertError(await flow({ startTime: 0 }), 400, -1102);
    assertError(await flow({ startTime: 0, endTime: 31 * 86400000 }), 400, -1127);
    assertError(await flow({ startTime: 0, endTime: 1000, limit: 1001 }), 400, -1102);
    const empty = await flow({ startTime: 0, endTime: 1000 });
    assert.equal(empty.status, 200, empty.text);
    assert.deepEqual(empty.body, { list: [], startTime: 0, endTime: 1000, limit: 100, moreData: false });

    // The stale quote, after its validTimestamp: refused like an unknown one, nothing changes.
    const wait = staleAt - Date.now() + 50;
    if (wait > 0) await sleep(wait);
    const beforeStale = await balancesOf(s.url, alice.read);
    assertError(await acceptQuote(s.url, alice.convert, stale.body.quoteId), 400, -7420);
    assert.deepEqual(await balancesOf(s.url, alice.read), beforeStale);

    await assertVerifyHolds(s.dataDir);
  });

  test('keygate admin desk fund: once per reference, and the demo funding is not repeated on restart', async () => {
    let r = await admin(s.dataDir, ['desk', 'fund', '--asset', 'ETH', '--amount', '5', '--ref', 'top-up-1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /funded the convert desk with 5\.00000000 ETH/);
    r = await admin(s.dataDir, ['desk', 'fund', '--asset', 'ETH', '--amount', '5', '--ref', 'top-up-1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /already funded .*nothing changed/);
    assert.match(r.stdout, /the desk holds:.* 1005\.00000000 ETH/);
    for (const args of [['--asset', 'DOGE', '--amount', '1'], ['--asset', 'ETH', '--amount', '0']]) {
      r = await admin(s.dataDir, ['desk', 'fund', ...args]);
      assert.notEqual(r.code, 0, args.join(' '));
    }
    const before_ = verifyRow(await assertVerifyHolds(s.dataDir), 'XRP');

    await s.stop({ keep: true });
    s = await startServer({ backend, extraArgs: ['--demo'], dataDir: s.dataDir, dbUrl: s.dbUrl, adopt: true });
    assert.doesNotMatch(s.stdoutLines.join('\n'), /convert desk funded/);
    const out = await assertVerifyHolds(s.dataDir);
    assert.deepEqual(verifyRow(out, 'XRP'), before_);
    assert.equal(verifyRow(out, 'ETH').desk, '1005.00000000');
    // Accepted quotes stay accepted after the restart; the convert history is still there.
    const flow = await signedRequest(s.url, 'GET', '/sapi/v1/convert/tradeFlow', alice.read,
      { params: { startTime: Date.now() - 3600000, endTime: Date.now() } });
    assert.equal(flow.status, 200, flow.text);
    assert.equal(flow.body.list.length, 4);
    assertError(await acceptQuote(s.url, alice.convert, flow.body.list[0].quoteId), 400, -7421);
  });
});
