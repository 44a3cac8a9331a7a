// R3 idempotency (docs: reliability-security.md): the same clientTranId (and the same deposit txid)
// sent 32 times in parallel has exactly one effect and every reply carries the first result; the
// same id with other parameters is refused (-7413 / -7405); and after a restart (SIGTERM, then
// kill -9) a replay still returns the first tranId and changes nothing.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  adminCall, createKey, forEachBackend, ledgerVerify, SignedClient, startServer, toUnits, userWith2FA,
} from './harness.mjs';
import { CONFLICT } from './money_lib.mjs';

const PARALLEL = 32;
const key = (k) => ({ apiKey: k.apiKey, type: 'HMAC_SHA256', secretKey: k.secretKey });

forEachBackend('money R3: idempotency', (backend) => {
  let s;
  let a;
  let b;
  let c;
  const clients = [];
  const connect = () => {
    for (const x of clients) x.close();
    clients.length = 0;
    for (const u of [a, b, c]) {
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
  // Everything a replay must leave alone.
  const snapshot = async () => ({
    balances: await Promise.all([a, b, c].map(balances)),
    history: await Promise.all([a, b, c].map(history)),
    deposits: await Promise.all([a, b, c].map(async (u) => (await u.client.send('GET', '/sapi/v1/capital/deposit/hisrec')).body)),
  });
  const restart = async (how) => {
    if (how === 'SIGKILL') {
      s.proc.kill('SIGKILL');
      await s.exited;
    } else {
      const r = await s.stop({ keep: true });
      assert.equal(r.code, 0, `clean exit on SIGTERM: ${JSON.stringify(r)}`);
    }
    s = await startServer({ backend, extraArgs: ['--demo'], dataDir: s.dataDir, dbUrl: s.dbUrl, adopt: true });
    connect();
  };
  let first;  // the first transfer of 'r3-rent-1'
  let depositTxid;

  before(async () => {
    s = await startServer({ backend, extraArgs: ['--demo'] });
    const mk = async (tag) => {
      const u = await userWith2FA(s.url, { tag });
      return { ...u, key: key(await createKey(s.url, u, { permissions: ['READ', 'TRANSFER'] })) };
    };
    [a, b, c] = [await mk('r3-a'), await mk('r3-b'), await mk('r3-c')];
    connect();
    for (const [u, amount] of [[a, '1000'], [b, '10']]) {
      const r = await adminCall(s.dataDir, { cmd: 'deposit', email: u.email, asset: 'USDT', amount, txid: `r3-fund-${u.uid}` });
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

  for (const how of ['SIGTERM', 'SIGKILL']) {
    test(`after a restart (${how}) a replay returns the first tranId and changes nothing`, { timeout: 60000 }, async () => {
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
      assert.deepEqual(await snapshot(), before_, 'the replays changed nothing');

      const v = await ledgerVerify(s.dataDir);
      assert.ok(v.ok, v.stdout + v.stderr);
      assert.equal(v.entries, v0.entries);
      assert.deepEqual(v.totals, v0.totals);
    });
  }
});
