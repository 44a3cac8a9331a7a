// R1 conservation (docs: reliability-security.md): 16 concurrent clients, one user and key each,
// run ≥ 10^5 random operations (transfers, deposits, withdrawals with the operator approving,
// rejecting and failing some, converts against the desk, desk funding, replays, refusals, balance
// reads) against one server; then every user's balance equals the effects of the operations it was
// told succeeded, every acked withdrawal and convert is in its history (a withdrawal with the
// status the operator's actions and the chain explain), per asset Σ balances + fees + pending
// withdrawals + desk = Σ credited deposits + desk funding − Σ completed withdrawals (and each of
// those columns of `keygate admin ledger verify` equals what the histories say), nothing is
// negative, and `ledger verify` agrees. KEYGATE_MONEY_R1_OPS changes the number of operations,
// KEYGATE_MONEY_SEED the seed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachBackend, fromUnits, ledgerVerify, startServer } from './harness.mjs';
import {
  ASSETS, checkWorld, makeRng, makeUsers, Model, MONEY_ENV, runLoad, testSeed, World,
} from './money_lib.mjs';

const OPS = Number(process.env.KEYGATE_MONEY_R1_OPS || 100000);
const CLIENTS = 16;
// More HTTP workers than the default 4, so that more commands share a group commit (and the
// load runs faster on SQLite, where each commit waits for an fsync); a fast simulated chain.
const SERVER_ENV = MONEY_ENV;

forEachBackend('money R1: conservation under concurrent load', (backend) => {
  test(`${CLIENTS} clients, ${OPS} operations: 0 wrong balances or totals, 0 negative, ledger verify holds`, { timeout: 600000 }, async (t) => {
    const seed = testSeed(t, `R1 ${backend}`);
    const t0 = Date.now();
    const s = await startServer({ backend, extraArgs: ['--demo'], env: SERVER_ENV });
    let world;
    try {
      const base = await ledgerVerify(s.dataDir);
      assert.ok(base.ok, base.stdout + base.stderr);
      const users = await makeUsers(s.url, CLIENTS, 'r1-');
      const model = new Model(users, seed);
      world = new World(s, users, model, seed);
      world.baselineVerify = base;
      await world.init();
      await world.fund(makeRng(seed));
      const tLoad = Date.now();
      const load = await runLoad(world, { total: OPS, seed });
      const loadMs = Date.now() - tLoad;
      const report = await checkWorld(world, { label: `R1 ${backend}: `, replayDeposits: false });
      const line = `R1 ${backend}: ${load.ops} operations in ${(loadMs / 1000).toFixed(1)} s `
        + `(${Math.round(load.ops / (loadMs / 1000))}/s), total ${((Date.now() - t0) / 1000).toFixed(1)} s; `
        + `kinds acked/refused/unknown: ${model.summary()}; journal ${report.verify?.entries} entries; `
        + `withdrawals by status ${JSON.stringify(report.withdrawalStatuses)} (${report.approvedCompleted} approved and completed), `
        + `settled in ${report.settleMs} ms; ${report.converts} converts; `
        + `pending ${ASSETS.map((a) => `${fromUnits(report.pending[a])} ${a}`).join(', ')}`;
      t.diagnostic(line);

      assert.deepEqual(model.violations, [], `answers that broke the rules (seed ${seed})`);
      assert.deepEqual(report.problems, [], `server state disagrees with the acknowledged operations (seed ${seed})`);
      assert.equal(report.wrong, 0);
      assert.equal(report.wrongTotals, 0);
      assert.equal(report.negative, 0);
      assert.ok(report.verify.ok, 'ledger verify');
      assert.ok(load.ops >= OPS, `ran ${load.ops} operations`);
      // The load really moved money and really got refusals.
      const c = model.counts;
      assert.ok(c.transfer.acked > OPS * 0.6, `transfers acked: ${c.transfer.acked}`);
      assert.ok(c.transferOverBalance.refused > 0 && c.transferReplay.acked > 0 && c.deposit.acked > 0, model.summary());
      // Withdrawals went every way: completed by the chain, approved then completed, rejected,
      // failed, some still awaiting approval; converts settled; every refusal kind was tried.
      const st = report.withdrawalStatuses;
      assert.ok(c.withdraw.acked > OPS * 0.02, `withdrawals acked: ${c.withdraw.acked}`);
      assert.ok(st[6] > OPS * 0.01 && report.approvedCompleted > 0 && st[3] > 0 && st[5] > 0, JSON.stringify(st));
      assert.ok(c.convert.acked > OPS * 0.02, `converts acked: ${c.convert.acked}`);
      assert.equal(report.converts, c.convert.acked, 'every acked convert settled, and only those');
      for (const k of ['withdrawReplay', 'convertAgain', 'convertExpired', 'withdrawOverBalance', 'withdrawInvalid',
        'withdrawConflict', 'convertOverBalance']) {
        assert.ok(c[k] && c[k].acked + c[k].refused > 0, `${k} ran: ${model.summary()}`);
      }
      assert.equal(Object.values(c).reduce((n, k) => n + k.unknown, 0), 0, 'every request was answered');
    } finally {
      world?.close();
      await s.stop();
    }
  });
});
