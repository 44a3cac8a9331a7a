// R2 double spend (docs: reliability-security.md): in every round 64 concurrent requests (over two
// keys of the same user, 64 connections) each try to spend the sender's whole free balance, or a
// large part of it; the successful debits never sum to more than the balance, exactly one wins when
// each asks for all of it, and every other request gets Binance's insufficient-balance error.
// KEYGATE_MONEY_SEED replays a run.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  adminCall, createKey, forEachBackend, fromUnits, ledgerVerify, SignedClient, startServer, toUnits, userWith2FA,
} from './harness.mjs';
import {
  ASSETS, heldTotal, INSUFFICIENT, makeRng, testSeed,
} from './money_lib.mjs';

const PARALLEL = 64;
const ROUNDS = 16;  // alternating: everyone asks for the whole balance / for a random large part

const key = (k) => ({ apiKey: k.apiKey, type: 'HMAC_SHA256', secretKey: k.secretKey });

async function freeOf(client, asset) {
  const r = await client.send('GET', '/api/v3/account');
  assert.equal(r.status, 200, r.text);
  const b = r.body.balances.find((x) => x.asset === asset);
  assert.ok(toUnits(b.locked) === 0n, `nothing is locked: ${JSON.stringify(b)}`);
  return toUnits(b.free);
}

forEachBackend('money R2: double spend', (backend) => {
  test(`${ROUNDS} rounds of ${PARALLEL} concurrent transfers of the whole balance: Σ debits ≤ balance`, { timeout: 120000 }, async (t) => {
    const seed = testSeed(t, `R2 ${backend}`);
    const rng = makeRng(seed);
    const s = await startServer({ backend, extraArgs: ['--demo'] });
    const clients = [];
    try {
      const base = await ledgerVerify(s.dataDir);
      const sender = await userWith2FA(s.url, { tag: 'r2-from' });
      const spend = [];
      for (let i = 0; i < 2; i++) {
        const k = await createKey(s.url, sender, { permissions: ['READ', 'TRANSFER'] });
        spend.push(new SignedClient(s.url, key(k), { sockets: PARALLEL / 2 }));
      }
      const recipients = [];
      for (let i = 0; i < 4; i++) {
        const u = await userWith2FA(s.url, { tag: `r2-to${i}` });
        recipients.push({ ...u, client: new SignedClient(s.url, key(await createKey(s.url, u))) });
      }
      clients.push(...spend, ...recipients.map((r) => r.client));
      const deposited = Object.fromEntries(ASSETS.map((a) => [a, 0n]));
      const left = Object.fromEntries(ASSETS.map((a) => [a, 0n]));
      let winnersWhole = 0;

      for (let round = 0; round < ROUNDS; round++) {
        const asset = ASSETS[round % ASSETS.length];
        const whole = round % 2 === 0;
        const amountIn = toUnits('1') + rng.units(toUnits('1000'));
        const dep = await adminCall(s.dataDir, {
          cmd: 'deposit', email: sender.email, asset, amount: fromUnits(amountIn), txid: `r2-${seed}-${round}`,
        });
        assert.ok(dep.ok && /credited/.test(dep.text), dep.text);
        deposited[asset] += amountIn;
        const balance = await freeOf(spend[0], asset);
        assert.equal(balance, left[asset] + amountIn, `round ${round}: the sender holds what was left plus the deposit`);
        const before = await Promise.all(recipients.map((r) => freeOf(r.client, asset)));

        const asks = Array.from({ length: PARALLEL }, (_, i) => ({
          i,
          to: recipients[i % recipients.length],
          byUid: rng.chance(0.5),
          amount: whole ? balance : balance / 4n + rng.units(balance / 2n),
          clientTranId: `r2-${seed}-${round}-${i}`,
        }));
        const replies = await Promise.all(asks.map((a) => spend[a.i % 2].send('POST', '/sapi/v1/transfer/internal', {
          ...(a.byUid ? { toUid: String(a.to.uid) } : { toEmail: a.to.email }),
          asset, amount: fromUnits(a.amount), clientTranId: a.clientTranId,
        })));

        let debited = 0n;
        const won = [];
        const refusedAmounts = [];
        replies.forEach((r, i) => {
          const ctx = `round ${round} request ${i} (${fromUnits(asks[i].amount)} ${asset}): ${r.status} ${r.text ?? r.error}`;
          if (r.status === 200) {
            assert.equal(typeof r.body.tranId, 'number', ctx);
            assert.equal(r.body.clientTranId, asks[i].clientTranId, ctx);
            debited += asks[i].amount;
            won.push(asks[i]);
          } else {
            assert.deepEqual([r.status, r.body?.code, r.body?.msg], INSUFFICIENT, ctx);
            refusedAmounts.push(asks[i].amount);
          }
        });
        const after = await freeOf(spend[1], asset);
        left[asset] = after;
        const gained = (await Promise.all(recipients.map((r) => freeOf(r.client, asset))))
          .reduce((sum, b, k) => sum + (b - before[k]), 0n);
        const what = `round ${round} (${whole ? 'whole balance' : 'parts'}) ${fromUnits(balance)} ${asset}: `
          + `${won.length} won, debited ${fromUnits(debited)}, left ${fromUnits(after)}`;
        t.diagnostic(what);

        assert.ok(debited <= balance, `${what}: Σ successful debits exceed the balance`);
        assert.equal(after, balance - debited, `${what}: the sender's balance is the balance minus the debits`);
        assert.equal(gained, debited, `${what}: the recipients got exactly what was debited`);
        assert.ok(won.length >= 1, `${what}: someone must win`);
        if (whole) {
          assert.equal(won.length, 1, `${what}: exactly one request for the whole balance succeeds`);
          assert.equal(after, 0n, what);
          winnersWhole += 1;
        } else {
          // A request is refused only when the balance at that moment is below its amount, and the
          // balance only falls during a round: what is left at the end is below every refused amount.
          for (const a of refusedAmounts) assert.ok(after < a, `${what}: a request for ${fromUnits(a)} was refused although ${fromUnits(after)} was left`);
        }
        // The sender's history shows exactly the winners of this round.
        const hist = await spend[0].send('GET', '/sapi/v1/transfer/internal/history', { limit: 500 });
        assert.equal(hist.status, 200, hist.text);
        const mine = hist.body.rows.filter((x) => x.clientTranId.startsWith(`r2-${seed}-${round}-`));
        assert.deepEqual(mine.map((x) => x.clientTranId).sort(), won.map((a) => a.clientTranId).sort(), what);
        assert.ok(mine.every((x) => x.direction === 'OUT' && x.asset === asset), what);
      }
      assert.equal(winnersWhole, ROUNDS / 2);

      const v = await ledgerVerify(s.dataDir);
      assert.ok(v.ok, v.stdout + v.stderr);
      const all = await spend[0].send('GET', '/sapi/v1/transfer/internal/history', { limit: 500 });
      assert.equal(v.entries - base.entries, ROUNDS + all.body.rows.length,
        'journal entries: the deposits and the winning transfers, nothing else');
      for (const a of ASSETS) {
        const was = base.totals[a] ?? { usersFree: 0n, external: 0n };
        assert.equal(v.totals[a].usersFree - was.usersFree, deposited[a], `${a}: Σ user balances grew by exactly the deposits`);
        assert.equal(heldTotal(v.totals[a]) - heldTotal(was), deposited[a], `${a}: the ledger holds exactly the deposits more`);
        assert.equal(heldTotal(v.totals[a]), -v.totals[a].external, `${a}: the accounts hold what came in from the chain`);
      }
    } finally {
      for (const c of clients) c.close();
      await s.stop();
    }
  });
});

// An overdraft must be refused as one (-2010) whatever the recipient holds. (The ledger once
// checked for overflow before the sender's balance, so an amount near INT64_MAX was refused with
// -7402 exactly when recipient balance + amount > INT64_MAX: a user with a TRANSFER key and
// nothing on it could learn anyone's balance, by email or uid, in 63 refused transfers.)
forEachBackend('money R2: an overdraft reveals nothing about the recipient', (backend) => {
  test('transfers beyond the sender\'s balance get -2010 for any recipient balance and any amount', async () => {
      const s = await startServer({ backend, extraArgs: ['--demo'] });
      let spy;
      try {
        const u = await userWith2FA(s.url, { tag: 'r2-spy' });
        spy = new SignedClient(s.url, key(await createKey(s.url, u, { permissions: ['READ', 'TRANSFER'] })));
        const rich = await userWith2FA(s.url, { tag: 'r2-rich' });
        const poor = await userWith2FA(s.url, { tag: 'r2-poor' });
        const dep = await adminCall(s.dataDir, { cmd: 'deposit', email: rich.email, asset: 'BTC', amount: '1.23456789', txid: 'r2-rich' });
        assert.ok(dep.ok, dep.text);
        for (const amount of ['1', '92233720368.54775807', '92233720367.31318919', '92233720367.31318918', '50000000000']) {
          const answers = [];
          for (const to of [rich, poor]) {
            const r = await spy.send('POST', '/sapi/v1/transfer/internal', { toEmail: to.email, asset: 'BTC', amount });
            answers.push([r.status, r.body?.code, r.body?.msg]);
          }
          assert.deepEqual(answers, [INSUFFICIENT, INSUFFICIENT], `an overdraft of ${amount} BTC to a user with 1.23456789 BTC and to one with none`);
        }
      } finally {
        spy?.close();
        await s.stop();
      }
    });
});
