// R3 idempotency (docs: reliability-security.md): the same clientTranId, withdrawOrderId (and the
// same deposit txid) sent 32 times in parallel has exactly one effect and every reply carries the
// first result; the same id with other parameters is refused (-7413 / -7419 / "already recorded");
// a quote accepted 32 times in parallel settles once, the others get -7421; and after a restart
// (SIGTERM, then kill -9) a replay still returns the first tranId / withdrawal id, an accepted
// quote is still refused, and nothing changes; the withdrawal left open across the restarts is
// then approved and completes.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  adminCall, createKey, forEachBackend, ledgerVerify, SignedClient, sleep, startServer, toUnits, userWith2FA,
} from './harness.mjs';
import {
  addressManagementOff, CONFLICT, MONEY_ENV, moneyKey, QUOTE_ACCEPTED, WITHDRAW_CONFLICT,
} from './money_lib.mjs';

const PARALLEL = 32;
const key = (k) => ({ apiKey: k.apiKey, type: 'HMAC_SHA256', secretKey: k.secretKey });
// Quotes live Binance's default 10 s here, not MONEY_ENV's 2 s: the quote accepted 32 times in
// parallel must still be open when the accepts arrive, however slow the machine.
const SERVER_ENV = { ...MONEY_ENV, KEYGATE_CONVERT_MAX_QUOTE_VALID_MS: '120000' };

forEachBackend('money R3: idempotency', (backend) => {
  let s;
  let a;
  let b;
  let c;
  let d;  // withdraws and converts
  const clients = [];
  const connect = () => {
    for (const x of clients) x.close();
    clients.length = 0;
    for (const u of [a, b, c, d]) {
      u.client = new SignedClient(s.url, u.key, { sockets: PARALLEL });
      clients.push(u.client);
    }
  };
  const send = (u, params) => u.client.send('POST', '/sapi/v1/transfer/internal', params);
  const parallel = (n, fn) => Promise.all(Array.from({ length: n }, (_, i) => fn(i)));
  const balances = async (u) => {
    const r = await u.client.send('GET', '/api/v3/account');
    assert.equal(r.status, 200, r.text);
    return Object.fromEntries(r.body.balances.map((x) => [x.asset, x.free]));
  };
  const history = async (u) => {
    const r = await u.client.send('GET', '/sapi/v1/transfer/internal/history', { limit: 500 });
    assert.equal(r.status, 200, r.text);
    return r.body.rows;
  };
  const withdraw = (params) => d.client.send('POST', '/sapi/v1/capital/withdraw/apply', params);
  const withdrawals = async () => {
    const r = await d.client.send('GET', '/sapi/v1/capital/withdraw/history', { limit: 1000 });
    assert.equal(r.status, 200, r.text);
    return r.body;
  };
  const converts = async () => {
    const r = await d.client.send('GET', '/sapi/v1/convert/tradeFlow', { startTime: Date.now() - 3600000, endTime: Date.now() + 1000 });
    assert.equal(r.status, 200, r.text);
    return r.body.list;
  };
  const accept = (quoteId) => d.client.send('POST', '/sapi/v1/convert/acceptQuote', { quoteId });
  // Everything a replay must leave alone.
  const snapshot = async () => ({
    balances: await Promise.all([a, b, c, d].map(balances)),
    history: await Promise.all([a, b, c].map(history)),
    deposits: await Promise.all([a, b, c, d].map(async (u) => (await u.client.send('GET', '/sapi/v1/capital/deposit/hisrec')).body)),
    withdrawals: await withdrawals(),
    converts: await converts(),
  });
  const restart = async (how) => {
    if (how === 'SIGKILL') {
      s.proc.kill('SIGKILL');
      await s.exited;
    } else {
      const r = await s.stop({ keep: true });
      assert.equal(r.code, 0, `clean exit on SIGTERM: ${JSON.stringify(r)}`);
    }
    s = await startServer({ backend, extraArgs: ['--demo'], env: SERVER_ENV, dataDir: s.dataDir, dbUrl: s.dbUrl, adopt: true });
    connect();
  };
  let first;  // the first transfer of 'r3-rent-1'
  let depositTxid;
  // Withdrawals of d: 'r3-big' (3 BTC, above the 2 BTC approval threshold: it stays open across
  // the restarts) and 'r3-small' (1 ETH, completed by the chain before the restarts).
  const BTC_TO = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4';
  const ETH_TO = `0x${'5'.repeat(40)}`;
  const big = { coin: 'BTC', address: BTC_TO, amount: '3', withdrawOrderId: 'r3-big' };
  const small = { coin: 'ETH', network: 'ETH', address: ETH_TO, amount: '1', withdrawOrderId: 'r3-small' };
  const ids = {};  // withdrawOrderId -> the first id
  let quote;  // d's accepted quote

  before(async () => {
    s = await startServer({ backend, extraArgs: ['--demo'], env: SERVER_ENV });
    const mk = async (tag) => {
      const u = await userWith2FA(s.url, { tag });
      return { ...u, key: key(await createKey(s.url, u, { permissions: ['READ', 'TRANSFER'] })) };
    };
    [a, b, c] = [await mk('r3-a'), await mk('r3-b'), await mk('r3-c')];
    d = await userWith2FA(s.url, { tag: 'r3-d' });
    d.key = await moneyKey(s.url, d, ['READ', 'WITHDRAW', 'CONVERT']);
    await addressManagementOff(s.url, d);
    connect();
    for (const [u, asset, amount] of [[a, 'USDT', '1000'], [b, 'USDT', '10'], [d, 'BTC', '10'], [d, 'ETH', '10'], [d, 'USDT', '100']]) {
      const r = await adminCall(s.dataDir, { cmd: 'deposit', email: u.email, asset, amount, txid: `r3-fund-${u.uid}-${asset}` });
      assert.ok(r.ok, r.text);
    }
  });
  after(async () => {
    for (const x of clients) x.close();
    await s?.stop();
  });

  test(`the same clientTranId ${PARALLEL} times in parallel: one transfer, one tranId`, async () => {
    const replies = await parallel(PARALLEL, (i) => send(a, {
      ...(i % 2 ? { toEmail: b.email } : { toUid: String(b.uid) }),  // the same recipient, named both ways
      asset: 'USDT', amount: i % 3 ? '12.5' : '12.50000000', clientTranId: 'r3-rent-1',
    }));
    for (const r of replies) {
      assert.equal(r.status, 200, r.text);
      assert.equal(typeof r.body.tranId, 'number', r.text);
    }
    const ids = new Set(replies.map((r) => r.body.tranId));
    assert.equal(ids.size, 1, `one tranId for all: ${[...ids]}`);
    assert.ok(replies.every((r) => r.body.clientTranId === 'r3-rent-1'));
    [first] = replies.map((r) => r.body.tranId);

    assert.equal((await balances(a)).USDT, '987.50000000');
    assert.equal((await balances(b)).USDT, '22.50000000');
    for (const [u, dir] of [[a, 'OUT'], [b, 'IN']]) {
      const rows = (await history(u)).filter((x) => x.clientTranId === 'r3-rent-1');
      assert.deepEqual(rows.map((x) => [x.tranId, x.direction, x.amount, x.fromUid, x.toUid]),
        [[first, dir, '12.50000000', a.uid, b.uid]], `history of ${dir}`);
    }
  });

  test('the same clientTranId with other parameters is refused, in parallel too; nothing changes', async () => {
    const before_ = await snapshot();
    const variants = [
      { toEmail: b.email, asset: 'USDT', amount: '12.50000001' },
      { toEmail: b.email, asset: 'USDT', amount: '1' },
      { toEmail: c.email, asset: 'USDT', amount: '12.5' },
      { toUid: String(c.uid), asset: 'USDT', amount: '12.5' },
      { toEmail: b.email, asset: 'BTC', amount: '12.5' },
    ];
    const replies = await parallel(PARALLEL, (i) => send(a, { ...variants[i % variants.length], clientTranId: 'r3-rent-1' }));
    for (const r of replies) assert.deepEqual([r.status, r.body?.code, r.body?.msg], CONFLICT, r.text);
    assert.deepEqual(await snapshot(), before_);

    // A race between two parameter sets on a new id: one set wins (all its replies agree), the
    // other is refused, one transfer.
    const race = await parallel(PARALLEL, (i) => send(a, { toEmail: b.email, asset: 'USDT', amount: i % 2 ? '1' : '2', clientTranId: 'r3-race' }));
    const ok = race.map((r, i) => [r, i % 2 ? '1' : '2']).filter(([r]) => r.status === 200);
    assert.ok(ok.length > 0, 'one parameter set wins');
    const amounts = new Set(ok.map(([, amt]) => amt));
    assert.equal(amounts.size, 1, 'only one parameter set is accepted');
    assert.equal(new Set(ok.map(([r]) => r.body.tranId)).size, 1);
    assert.equal(ok.length, PARALLEL / 2, 'every request with the winning parameters gets the first result');
    for (const r of race.filter((x) => x.status !== 200)) assert.deepEqual([r.status, r.body?.code], CONFLICT.slice(0, 2), r.text);
    const won = Number([...amounts][0]);
    assert.equal((await balances(a)).USDT, (987.5 - won).toFixed(8));
    assert.equal((await history(a)).filter((x) => x.clientTranId === 'r3-race').length, 1);

    // The key is per sender: b may use a's clientTranId for its own transfer.
    const mine = await send(b, { toEmail: c.email, asset: 'USDT', amount: '2', clientTranId: 'r3-rent-1' });
    assert.equal(mine.status, 200, mine.text);
    assert.notEqual(mine.body.tranId, first);
    assert.equal((await balances(c)).USDT, '2.00000000');
  });

  test(`the same deposit txid ${PARALLEL} times in parallel: credited once`, async () => {
    depositTxid = `r3-chain-${c.uid}`;
    const before_ = toUnits((await balances(c)).BTC);
    const replies = await parallel(PARALLEL, () => adminCall(s.dataDir, { cmd: 'deposit', email: c.email, asset: 'BTC', amount: '0.5', txid: depositTxid }));
    assert.ok(replies.every((r) => r.ok), JSON.stringify(replies.filter((r) => !r.ok)));
    assert.equal(replies.filter((r) => /^credited 0\.50000000 BTC/.test(r.text)).length, 1, 'one credit');
    assert.equal(replies.filter((r) => /already credited; nothing changed/.test(r.text)).length, PARALLEL - 1);
    assert.equal(toUnits((await balances(c)).BTC) - before_, toUnits('0.5'));
    const other = await adminCall(s.dataDir, { cmd: 'deposit', email: c.email, asset: 'BTC', amount: '0.6', txid: depositTxid });
    assert.equal(other.ok, false, other.text);
    assert.match(other.text, /already recorded with other details/);
  });

  test(`the same withdrawOrderId ${PARALLEL} times in parallel: one withdrawal, one id`, async () => {
    for (const w of [big, small]) {
      const replies = await parallel(PARALLEL, (i) => withdraw({
        ...w,
        ...(i % 2 ? { network: w.coin } : {}),  // the network named or left to its default
        amount: i % 3 ? w.amount : `${w.amount}.00000000`,
      }));
      for (const r of replies) {
        assert.equal(r.status, 200, r.text);
        assert.match(String(r.body.id), /^\d+$/, r.text);
      }
      const got = new Set(replies.map((r) => r.body.id));
      assert.equal(got.size, 1, `one id for all: ${[...got]}`);
      ids[w.withdrawOrderId] = [...got][0];
      assert.ok(replies.every((r) => JSON.stringify(r.body) === JSON.stringify({ id: ids[w.withdrawOrderId] })), 'every reply is the first');
    }
    // Amount + fee left once; each is in the history once; the small one completes, the big one waits.
    const bal = await balances(d);
    assert.equal(bal.BTC, '6.99980000');
    assert.equal(bal.ETH, '8.99840000');
    let rows;
    for (let i = 0; ; i++) {
      rows = await withdrawals();
      if (rows.find((x) => x.withdrawOrderId === 'r3-small')?.status === 6) break;
      assert.ok(i < 200, `the small withdrawal completes: ${JSON.stringify(rows)}`);
      await sleep(50);
    }
    assert.deepEqual(rows.map((x) => [x.withdrawOrderId, x.id, x.coin, x.amount, x.status]).sort(), [
      ['r3-big', ids['r3-big'], 'BTC', '3.00000000', 2], ['r3-small', ids['r3-small'], 'ETH', '1.00000000', 6]]);
  });

  test('the same withdrawOrderId with other parameters is refused, in parallel too; nothing changes', async () => {
    const before_ = await snapshot();
    const variants = [
      { ...big, amount: '3.00000001' },
      { ...big, amount: '2' },
      { ...big, address: '1BoatSLRHtKNngkdXEeobR76b53LETtpyT' },
      { ...big, coin: 'ETH', address: ETH_TO },
      { ...small, withdrawOrderId: 'r3-big' },
      { ...big, withdrawOrderId: 'r3-small' },
    ];
    const replies = await parallel(PARALLEL, (i) => withdraw(variants[i % variants.length]));
    for (const r of replies) assert.deepEqual([r.status, r.body?.code, r.body?.msg], WITHDRAW_CONFLICT, r.text);
    assert.deepEqual(await snapshot(), before_);

    // A race between two parameter sets on a new id: one set wins (all its replies agree), the
    // other is refused, one withdrawal.
    const race = await parallel(PARALLEL, (i) => withdraw({ ...small, amount: i % 2 ? '0.5' : '0.6', withdrawOrderId: 'r3-race' }));
    const ok = race.map((r, i) => [r, i % 2 ? '0.5' : '0.6']).filter(([r]) => r.status === 200);
    const amounts = new Set(ok.map(([, amt]) => amt));
    assert.equal(amounts.size, 1, 'exactly one parameter set is accepted');
    assert.equal(new Set(ok.map(([r]) => r.body.id)).size, 1);
    assert.equal(ok.length, PARALLEL / 2, 'every request with the winning parameters gets the first result');
    for (const r of race.filter((x) => x.status !== 200)) assert.deepEqual([r.status, r.body?.code, r.body?.msg], WITHDRAW_CONFLICT, r.text);
    const won = toUnits([...amounts][0]);
    assert.equal(toUnits((await balances(d)).ETH), toUnits(before_.balances[3].ETH) - won - toUnits('0.0016'));
    assert.equal((await withdrawals()).filter((x) => x.withdrawOrderId === 'r3-race').length, 1);
    // Let it complete, so that the restarts below find nothing moving.
    for (let i = 0; (await withdrawals()).some((x) => x.status === 4); i++) {
      assert.ok(i < 200, 'the race withdrawal completes');
      await sleep(50);
    }
  });

  test(`a quote accepted ${PARALLEL} times in parallel: one convert, the others -7421`, async () => {
    const q = await d.client.send('POST', '/sapi/v1/convert/getQuote', { fromAsset: 'USDT', toAsset: 'XRP', fromAmount: '10' });
    assert.equal(q.status, 200, q.text);
    quote = q.body;
    const before_ = await balances(d);
    const replies = await parallel(PARALLEL, () => accept(quote.quoteId));
    const ok = replies.filter((r) => r.status === 200);
    assert.equal(ok.length, 1, `one accept succeeds: ${replies.map((r) => r.text).join(' ')}`);
    assert.equal(ok[0].body.orderStatus, 'SUCCESS');
    quote.orderId = Number(ok[0].body.orderId);
    for (const r of replies.filter((x) => x.status !== 200)) assert.deepEqual([r.status, r.body?.code, r.body?.msg], QUOTE_ACCEPTED, r.text);
    const after_ = await balances(d);
    assert.equal(toUnits(after_.USDT), toUnits(before_.USDT) - toUnits('10'));
    assert.equal(toUnits(after_.XRP), toUnits(before_.XRP) + toUnits(quote.toAmount));
    assert.deepEqual((await converts()).map((x) => [x.quoteId, x.orderId, x.fromAmount, x.toAmount]),
      [[quote.quoteId, quote.orderId, '10.00000000', quote.toAmount]]);
    // Once more, alone: still refused, nothing moves.
    assert.deepEqual(await (async () => { const r = await accept(quote.quoteId); return [r.status, r.body?.code, r.body?.msg]; })(), QUOTE_ACCEPTED);
    assert.deepEqual(await balances(d), after_);
  });

  for (const how of ['SIGTERM', 'SIGKILL']) {
    test(`after a restart (${how}) a replay returns the first tranId / withdrawal id, an accepted quote stays accepted, nothing changes`, { timeout: 60000 }, async () => {
      const before_ = await snapshot();
      const v0 = await ledgerVerify(s.dataDir);
      await restart(how);
      assert.deepEqual(await snapshot(), before_, 'the restart changed nothing');

      const replies = await parallel(PARALLEL, () => send(a, { toEmail: b.email, asset: 'USDT', amount: '12.5', clientTranId: 'r3-rent-1' }));
      for (const r of replies) {
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.tranId, first);
      }
      const conflict = await send(a, { toEmail: b.email, asset: 'USDT', amount: '13', clientTranId: 'r3-rent-1' });
      assert.deepEqual([conflict.status, conflict.body?.code, conflict.body?.msg], CONFLICT, conflict.text);
      const dep = await adminCall(s.dataDir, { cmd: 'deposit', email: c.email, asset: 'BTC', amount: '0.5', txid: depositTxid });
      assert.ok(dep.ok && /already credited; nothing changed/.test(dep.text), dep.text);
      // The open withdrawal and the completed one: the first id; other parameters: refused.
      for (const w of [big, small]) {
        const again = await parallel(PARALLEL, () => withdraw(w));
        for (const r of again) assert.deepEqual([r.status, r.body], [200, { id: ids[w.withdrawOrderId] }], r.text);
        const other = await withdraw({ ...w, amount: '1.5' });
        assert.deepEqual([other.status, other.body?.code, other.body?.msg], WITHDRAW_CONFLICT, other.text);
      }
      // The accepted quote stays accepted.
      const twice = await parallel(4, () => accept(quote.quoteId));
      for (const r of twice) assert.deepEqual([r.status, r.body?.code, r.body?.msg], QUOTE_ACCEPTED, r.text);
      assert.deepEqual(await snapshot(), before_, 'the replays changed nothing');

      const v = await ledgerVerify(s.dataDir);
      assert.ok(v.ok, v.stdout + v.stderr);
      assert.equal(v.entries, v0.entries);
      assert.deepEqual(v.totals, v0.totals);
    });
  }

  test('the withdrawal left open across the restarts is approved and completes; its replay is still the first id', async () => {
    const before_ = await balances(d);
    const r = await adminCall(s.dataDir, { cmd: 'withdrawal.approve', id: ids['r3-big'] });
    assert.ok(r.ok, r.text);
    let row;
    for (let i = 0; ; i++) {
      row = (await withdrawals()).find((x) => x.withdrawOrderId === 'r3-big');
      if (row.status === 6) break;
      assert.ok(i < 200, `the approved withdrawal completes: ${JSON.stringify(row)}`);
      await sleep(50);
    }
    assert.equal(row.id, ids['r3-big']);
    const again = await withdraw(big);
    assert.deepEqual([again.status, again.body], [200, { id: ids['r3-big'] }], again.text);
    assert.deepEqual(await balances(d), before_, 'approval and completion change no user balance');
    const v = await ledgerVerify(s.dataDir);
    assert.ok(v.ok, v.stdout + v.stderr);
    assert.equal(v.totals.BTC.pendingWithdrawal, 0n, 'nothing pending');
  });
});
