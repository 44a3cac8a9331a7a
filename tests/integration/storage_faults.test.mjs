// Storage faults (issue 8; reliability-security.md R4's model): under R1's money load from 16
// clients, the store fails at a random moment, and keygate must stop (fail-stop: exit status 70,
// event=store_fault) instead of acknowledging what the disk may not hold. After the fault is
// cleared and keygate restarted on the same data, every acknowledged operation is there, every
// unanswered one is applied fully or not at all, and R1's totals and `ledger verify` hold.
//   - disk full: the data dir is on its own small tmpfs, which a filler file fills up;
//   - failed fsync: an LD_PRELOAD library (tests/faults/fsync_fault.cpp) makes fsync/fdatasync on
//     the data dir's files return EIO from the moment a trigger file exists, as a dying disk does.
// Both need Linux; the disk-full case needs root (mount). KEYGATE_MONEY_SEED replays a run.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { BIN, freshDir, ledgerVerify, sleep, startServer } from './harness.mjs';
import { checkWorld, makeRng, makeUsers, Model, MONEY_ENV, runLoad, testSeed, World } from './money_lib.mjs';

const CLIENTS = 16;
const CYCLES = 3;
const SHIM = path.join(path.dirname(BIN), 'tests', 'libkg_fsync_fault.so');
const FAULT_AFTER = [100, 400];  // operations of a phase before the fault, drawn at random
const canMount = process.getuid?.() === 0;
const PGBIN = process.env.PGBIN || '/usr/lib/postgresql/15/bin';
const asPostgres = (cmd, args) => execFileSync('runuser', ['-u', 'postgres', '--', path.join(PGBIN, cmd), ...args], { stdio: 'pipe' });

// Fills the file system holding dir: one file written until ENOSPC.
function fillUp(dir) {
  const fd = fs.openSync(path.join(dir, 'filler'), 'w');
  const chunk = Buffer.alloc(1 << 20, 0x5a);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (e) {
    if (e.code !== 'ENOSPC') throw e;
  }
  try {  // the last partial block too
    for (;;) fs.writeSync(fd, chunk, 0, 4096);
  } catch (e) {
    if (e.code !== 'ENOSPC') throw e;
  } finally {
    fs.closeSync(fd);
  }
}

// One kind of fault, CYCLES times on the same data: load, fault, the server stops by itself,
// clear, restart, check.
async function faultCycles(t, { name, dataDir, backend = 'sqlite', dbUrl, env = {}, arm, clear }) {
  const seed = testSeed(t, `storage faults ${name}`);
  const rng = makeRng(seed);
  const serverOpts = { backend, dbUrl, extraArgs: ['--demo'], dataDir, adopt: false };
  let s = await startServer({ ...serverOpts, env: { ...MONEY_ENV, ...env } });
  let world;
  try {
    const base = await ledgerVerify(dataDir);
    assert.ok(base.ok, base.stdout + base.stderr);
    const users = await makeUsers(s.url, CLIENTS, `sf-${name.replace(/\W+/g, "-")}-`);
    const model = new Model(users, seed);
    world = new World(s, users, model, seed);
    world.baselineVerify = base;
    await world.init();
    await world.fund(rng);
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const faultAt = FAULT_AFTER[0] + rng.int(FAULT_AFTER[1] - FAULT_AFTER[0]);
      const victim = s;
      let armedAt = 0;
      let opsAtArm = 0;
      let gone = false;
      victim.exited.then(() => { gone = true; });
      const phaseStart = model.ops.length;
      // The clients keep sending after the fault until the server is gone (or 30 s pass: then it
      // did not stop, which fails below).
      const load = await runLoad(world, {
        seed: (seed + cycle * 7919) >>> 0,
        stop: (sent) => {
          if (!armedAt && sent >= faultAt) {
            armedAt = Date.now();
            opsAtArm = model.ops.length;
            arm();
          }
          return gone || (armedAt && Date.now() - armedAt > 30000);
        },
      });
      assert.ok(armedAt, `the clients stopped after ${load.ops} operations, before the fault at ${faultAt}`);
      const timer = setTimeout(() => victim.proc.kill('SIGKILL'), Math.max(0, 30000 - (Date.now() - armedAt)));
      const exit = await victim.exited;
      clearTimeout(timer);
      const out = victim.output();
      assert.deepEqual(exit, { code: 70, signal: null }, `keygate stops with status 70 after the fault (${name})\n${out.slice(-3000)}`);
      assert.match(out, /event=store_fault/, 'the log says why');
      const phase = model.ops.slice(phaseStart);
      const unknown = phase.filter((op) => op.status === 'unknown');
      const acked = phase.filter((op) => op.status === 'acked' && op.ref && !op.ref.replay).length;
      const ackedAfter = model.ops.slice(opsAtArm).filter((op) => op.status === 'acked').length;

      await clear();
      s = await startServer({ ...serverOpts, env: { ...MONEY_ENV, ...env } });
      world.attach(s);
      const report = await checkWorld(world, { label: `${name} ${cycle}: `, replayDeposits: true, replays: true });
      t.diagnostic(`${name} ${cycle}: fault after ${faultAt} operations, stopped ${Date.now() - armedAt} ms later; `
        + `${acked} money operations acked in the phase (${ackedAfter} answered after the fault was set), `
        + `${unknown.length} unanswered of which ${report.applied} applied; journal ${report.verify.entries} entries`);
      assert.deepEqual(model.violations, [], `answers that broke the rules (seed ${seed})`);
      assert.deepEqual(report.problems, [], `after ${name} ${cycle} (seed ${seed})`);
      assert.equal(report.wrong, 0);
      assert.equal(report.wrongTotals, 0);
      assert.equal(report.negative, 0);
      assert.ok(report.verify.ok);
      assert.equal(report.resolved, unknown.length, 'every unanswered operation is now known');
      assert.ok(report.maxHistory < 500, `a history reached ${report.maxHistory} rows`);
    }
    assert.ok(model.counts.transfer.acked > 50 * CYCLES, 'the load moved money');
  } finally {
    world?.close();
    await s.stop({ keep: true });
  }
}

test('storage faults: a disk that fills up stops keygate; nothing acknowledged is lost', {
  timeout: 240000, skip: !canMount && 'needs root to mount a small tmpfs',
}, async (t) => {
  const mnt = freshDir('kg-full-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m,mode=0700', 'tmpfs', mnt]);
  try {
    const dataDir = path.join(mnt, 'data');
    fs.mkdirSync(dataDir, { mode: 0o700 });
    await faultCycles(t, {
      name: 'disk full',
      dataDir,
      arm: () => fillUp(mnt),
      clear: () => fs.rmSync(path.join(mnt, 'filler')),
    });
  } finally {
    execFileSync('umount', ['-l', mnt]);
    fs.rmSync(mnt, { recursive: true, force: true });
  }
});

test('storage faults: a failed fsync stops keygate; nothing acknowledged is lost', {
  timeout: 240000, skip: os.platform() !== 'linux' && 'LD_PRELOAD fault library is Linux-only',
}, async (t) => {
  assert.ok(fs.existsSync(SHIM), `the fault library is built next to the binary: ${SHIM}`);
  const dir = freshDir('kg-fsync-');
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir, { mode: 0o700 });
  const trigger = path.join(dir, 'trigger');
  const failures = path.join(dir, 'fsync-failures');
  try {
    await faultCycles(t, {
      name: 'failed fsync',
      dataDir,
      // An ASan build's runtime must come first; the fault library goes after it.
      env: { LD_PRELOAD: SHIM, KG_FAULT_DIR: dataDir, KG_FAULT_TRIGGER: trigger, ASAN_OPTIONS: `${process.env.ASAN_OPTIONS ?? ''}:verify_asan_link_order=0` },
      arm: () => fs.writeFileSync(trigger, ''),
      clear: () => {
        assert.ok(fs.statSync(failures).size > 0, 'an fsync failed');
        fs.rmSync(trigger);
        fs.rmSync(failures);
      },
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// PostgreSQL's own disk fills up: a private cluster (fsync on) whose data directory is on a small
// tmpfs. PostgreSQL refuses the write (SQLSTATE 53100) or, for its WAL, stops itself; either way
// keygate must stop and lose nothing it acknowledged once PostgreSQL has room again.
test("storage faults: PostgreSQL's disk fills up; keygate stops, nothing acknowledged is lost", {
  timeout: 300000,
  skip: (!canMount && 'needs root to mount a small tmpfs') || (!fs.existsSync(path.join(PGBIN, 'initdb')) && 'no PostgreSQL 15'),
}, async (t) => {
  const mnt = freshDir('kg-pgfull-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=160m,mode=0755', 'tmpfs', mnt]);
  const pgData = path.join(mnt, 'pg');
  const port = 20000 + Math.floor(Math.random() * 20000);
  const ctl = (...args) => asPostgres('pg_ctl', ['-D', pgData, '-l', path.join(mnt, 'pg.log'), ...args]);
  const keygateDir = freshDir('kg-pgfull-data-');
  try {
    execFileSync('chown', ['postgres:postgres', mnt]);
    asPostgres('initdb', ['-D', pgData, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
    const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${mnt} -c fsync=on -c max_wal_size=48MB -c min_wal_size=32MB`;
    ctl('-w', '-t', '30', '-o', opts, 'start');
    const running = () => { try { ctl('status'); return true; } catch { return false; } };
    await faultCycles(t, {
      name: 'PostgreSQL disk full',
      backend: 'postgres',
      dbUrl: `postgresql://postgres@127.0.0.1:${port}/postgres`,
      dataDir: keygateDir,
      arm: () => fillUp(mnt),
      clear: async () => {
        fs.rmSync(path.join(mnt, 'filler'));
        // After a PANIC the postmaster recovers by itself; if it gave up, start it again.
        for (let i = 0; i < 50 && !running(); i++) await sleep(100);
        if (!running()) ctl('-w', '-t', '60', '-o', opts, 'start');
        for (let i = 0; i < 100; i++) {
          try {
            execFileSync('psql', [`postgresql://postgres@127.0.0.1:${port}/postgres`, '-qAtc', 'SELECT 1'], { stdio: 'pipe' });
            return;
          } catch { await sleep(200); }
        }
        throw new Error(`PostgreSQL did not come back:\n${fs.readFileSync(path.join(mnt, 'pg.log'), 'utf8').slice(-3000)}`);
      },
    });
  } finally {
    try { ctl('-m', 'immediate', 'stop'); } catch { /* not running */ }
    execFileSync('umount', ['-l', mnt]);
    fs.rmSync(mnt, { recursive: true, force: true });
    fs.rmSync(keygateDir, { recursive: true, force: true });
  }
});
