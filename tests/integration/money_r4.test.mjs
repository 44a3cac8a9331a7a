// R4 crash (docs: reliability-security.md): under R1's load from 32 clients (transfers, deposits,
// withdrawals with the operator acting on them, converts, desk funding), `kill -9` the server at a
// random moment, restart it on the same data dir / database, and compare with what the clients
// were told: every acknowledged transfer is in both parties' history with its tranId, every
// acknowledged deposit is credited (a replay of its txid says "already credited"), every
// acknowledged withdrawal is in the history under its id (a replay of its withdrawOrderId returns
// that id) with a status the operator's acknowledged actions explain, and the ones that were
// processing complete after the restart; every acknowledged convert is in tradeFlow (accepting its
// quote again is -7421); every operation that got no answer is applied fully or not at all
// (balances = the effects of what the histories hold), nothing refused is applied, and R1's totals
// and `ledger verify` hold after each restart. KEYGATE_MONEY_SEED replays a run's choices (kill
// moments, operations).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachBackend, ledgerVerify, startServer } from './harness.mjs';
import {
  checkWorld, makeRng, makeUsers, Model, MONEY_ENV, runLoad, testSeed, World,
} from './money_lib.mjs';

const KILLS = Number(process.env.KEYGATE_MONEY_R4_KILLS || 20);
const CLIENTS = 32;
// More HTTP workers than the default 4, so that more commands share a group commit (and the
// load runs faster on SQLite, where each commit waits for an fsync); a fast simulated chain.
const SERVER_ENV = MONEY_ENV;
// A kill comes after this many operations of a phase (all clients together), drawn at random.
const KILL_AFTER = [60, 600];

forEachBackend('money R4: kill -9 under load', (backend) => {
  test(`${KILLS} stops under load from ${CLIENTS} clients (kill -9, every 4th SIGTERM): 0 acknowledged lost, 0 half-applied, R1 holds`, { timeout: 300000 }, async (t) => {
    const seed = testSeed(t, `R4 ${backend}`);
    const rng = makeRng(seed);
    const t0 = Date.now();
    let s = await startServer({ backend, extraArgs: ['--demo'], env: SERVER_ENV });
    let world;
    try {
      const base = await ledgerVerify(s.dataDir);
      assert.ok(base.ok, base.stdout + base.stderr);
      const users = await makeUsers(s.url, CLIENTS, 'r4-');
      const model = new Model(users, seed);
      world = new World(s, users, model, seed);
      world.baselineVerify = base;
      await world.init();
      await world.fund(rng);
      let ackedBefore = 0;

      for (let kill = 1; kill <= KILLS; kill++) {
        const killAt = KILL_AFTER[0] + rng.int(KILL_AFTER[1] - KILL_AFTER[0]);
        // The kill goes a few ms after the chosen operation while every client keeps sending, so
        // it lands anywhere in the server's work: parsing, in the engine, in a commit, replying.
        // Every fourth stop is a SIGTERM instead: the drain must answer or refuse what is in flight,
        // exit 0, and lose nothing it acknowledged either.
        const signal = kill % 4 === 0 ? 'SIGTERM' : 'SIGKILL';
        const killDelay = rng.int(20);
        let armed = false;
        let signalledAt = 0;
        let killed = false;
        const victim = s;
        const phaseStart = model.ops.length;
        const load = await runLoad(world, {
          seed: (seed + kill * 7919) >>> 0,
          stop: (sent) => {
            if (!armed && sent >= killAt) {
              armed = true;
              setTimeout(() => {
                signalledAt = Date.now();
                victim.proc.kill(signal);
                // After a SIGTERM the clients keep sending into the drain until they are refused.
                if (signal === 'SIGKILL') killed = true;
                else victim.exited.then(() => { killed = true; });
              }, killDelay);
            }
            return killed;
          },
        });
        if (!armed) {
          victim.proc.kill('SIGKILL');
          assert.fail(`the clients stopped after ${load.ops} operations, before the planned stop at ${killAt}: `
            + `${model.ops.filter((op) => op.status === 'unknown').length} unanswered\n${victim.output().slice(-2000)}`);
        }
        const exit = await victim.exited;
        const expectExit = signal === 'SIGKILL' ? { code: null, signal: 'SIGKILL' } : { code: 0, signal: null };
        assert.deepEqual(exit, expectExit, `the server's end after ${signal}\n${victim.output().slice(-2000)}`);
        const stopMs = Date.now() - signalledAt;
        assert.ok(stopMs < 6000, `the server took ${stopMs} ms to stop after ${signal} (drain bound 4.5 s)`);
        const phase = model.ops.slice(phaseStart);
        const unknown = phase.filter((op) => op.status === 'unknown');
        const acked = phase.filter((op) => op.status === 'acked' && op.ref && !op.ref.replay).length;

        s = await startServer({ backend, extraArgs: ['--demo'], env: SERVER_ENV, dataDir: victim.dataDir, dbUrl: victim.dbUrl, adopt: true });
        world.attach(s);
        const report = await checkWorld(world, { label: `R4 ${backend} kill ${kill}: `, replayDeposits: true, replays: true });
        t.diagnostic(`${signal} ${kill} after ${load.ops} operations (${load.ms} ms): ${acked} money operations acked, `
          + `${unknown.length} unanswered (${[...new Set(unknown.map((op) => op.kind))].join(', ')}) of which ${report.applied} applied; `
          + `histories up to ${report.maxHistory} rows, ${report.ackedInWindow} acked transfer rows found, ${report.replayed} deposit txids, `
          + `${report.replayedWithdrawals} withdrawOrderIds and ${report.replayedConverts} quotes replayed; withdrawals by status `
          + `${JSON.stringify(report.withdrawalStatuses)} (${report.processingAtStart} processing at the restart, all completed ${report.settleMs} ms later), ${report.converts} converts; `
          + `journal ${report.verify.entries} entries`);

        assert.deepEqual(model.violations, [], `answers that broke the rules (seed ${seed})`);
        assert.deepEqual(report.problems, [], `after kill ${kill} (seed ${seed})`);
        assert.equal(report.wrong, 0);
        assert.equal(report.wrongTotals, 0);
        assert.equal(report.negative, 0);
        assert.ok(report.verify.ok);
        assert.equal(report.resolved, unknown.length, 'every unanswered operation is now known');
        // Sound checks need whole histories (the endpoint returns at most 500 rows).
        assert.ok(report.maxHistory < 500, `a history reached ${report.maxHistory} rows: lower KILL_AFTER or add users`);
        assert.ok(load.ops >= killAt, `the load ran until the kill (${load.ops} < ${killAt})`);
        ackedBefore += acked;
      }
      t.diagnostic(`R4 ${backend}: ${KILLS} stops, ${ackedBefore} acknowledged money operations kept, `
        + `${((Date.now() - t0) / 1000).toFixed(1)} s; kinds acked/refused/unknown: ${model.summary()}`);
      // That the load did each kind at all, with room for a slow (sanitizer) build: it ran 32
      // converts in 8 stops under ASan on PostgreSQL, about 4 a stop, against 9 on a plain build.
      const c = model.counts;
      assert.ok(c.transfer.acked > 50 * KILLS, `the load moved money (${c.transfer.acked} transfers)`);
      assert.ok(c.withdraw.acked > 2 * KILLS && c.convert.acked > 2 * KILLS,
        `the load withdrew and converted (${c.withdraw.acked} withdrawals, ${c.convert.acked} converts)`);
      const unanswered = (k) => {
        const ops = model.ops.filter((op) => op.kind === k && op.resolved);
        return `${ops.filter((op) => op.status === 'acked').length}/${ops.length}`;
      };
      t.diagnostic(`R4 ${backend}: unanswered operations applied/all: withdraw ${unanswered('withdraw')}, convert ${unanswered('convert')}, `
        + `withdrawOperator ${unanswered('withdrawOperator')}, transfer ${unanswered('transfer')}, deposit ${unanswered('deposit')}`);
    } finally {
      world?.close();
      await s.stop();
    }
  });
});
