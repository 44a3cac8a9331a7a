// Process lifecycle: graceful SIGTERM, restart on the same data, file modes, the master key.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import {
  forEachBackend, startServer, runServerExpectingExit, request, signup, login, uniqueEmail,
} from './harness.mjs';

// A different key in the same textual form as the one in master.key.
function keyLike(text) {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return crypto.randomBytes(32).toString('hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(t)) return crypto.randomBytes(32).toString('base64');
  if (/^[A-Za-z0-9_-]{43}=?$/.test(t)) return crypto.randomBytes(32).toString('base64url');
  return crypto.randomBytes(32).toString('hex');
}

forEachBackend('lifecycle', (backend) => {
  const servers = [];
  const track = (s) => { servers.push(s); return s; };
  after(async () => {
    for (const s of servers.reverse()) await s.stop();
  });

  test('SIGTERM exits 0 within 5 s; a restart on the same data keeps the users', async () => {
    const first = await startServer({ backend });
    const email = uniqueEmail('persist');
    const u = await signup(first.url, email);
    assert.equal((await login(first.url, email)).status, 200);
    const stopped = await first.stop({ keep: true, killAfterMs: 8000 });
    assert.equal(stopped.signal, null, `exited by itself, not killed: ${JSON.stringify(stopped)}\n${first.output().slice(-2000)}`);
    assert.equal(stopped.code, 0, `exit code after SIGTERM: ${JSON.stringify(stopped)}\n${first.output().slice(-2000)}`);
    assert.ok(stopped.ms < 5000, `exited within 5 s (took ${stopped.ms} ms)`);

    const second = track(await startServer({ backend, dataDir: first.dataDir, dbUrl: first.dbUrl, adopt: true }));
    const l = await login(second.url, email);
    assert.equal(l.status, 200, `login after restart: ${l.text}`);
    const me = await request(second.url, 'GET', '/console/v1/me', { token: l.body.token });
    assert.equal(me.body.uid, u.uid);
    const dup = await request(second.url, 'POST', '/console/v1/signup', { json: { email, password: 'whatever-long-enough' } });
    assert.equal(dup.status, 409, dup.text);
  });

  test('SIGTERM with an idle keep-alive connection open still exits 0 promptly', async () => {
    const s = await startServer({ backend });
    const net = await import('node:net');
    const sock = net.connect({ port: s.port, host: '127.0.0.1' });
    await new Promise((r, j) => { sock.once('connect', r); sock.once('error', j); });
    sock.on('error', () => {});
    try {
      const stopped = await s.stop({ killAfterMs: 8000 });
      assert.equal(stopped.code, 0, JSON.stringify(stopped));
      assert.ok(stopped.ms < 5000, `exited within 5 s (took ${stopped.ms} ms)`);
    } finally {
      sock.destroy();
    }
  });

  if (backend === 'postgres') {
    test('the postgres backend keeps its data in the given database', async () => {
      const s = track(await startServer({ backend }));
      const email = uniqueEmail('in-pg');
      await signup(s.url, email);
      const tables = execFileSync('psql', [s.dbUrl, '-Atc',
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"], { encoding: 'utf8' }).trim();
      assert.ok(Number(tables) > 0, `keygate created tables in ${s.dbUrl}: ${tables}`);
      const dump = execFileSync('pg_dump', ['--data-only', s.dbUrl], { encoding: 'utf8', maxBuffer: 64 << 20 });
      assert.ok(dump.includes(email), `the new user's email is in the database ${s.dbUrl}`);
    });
  }

  if (backend === 'sqlite') {
    test('master.key and admin.sock are private (0600)', async () => {
      const s = track(await startServer({ backend }));
      const key = fs.statSync(path.join(s.dataDir, 'master.key'));
      assert.ok(key.isFile(), 'master.key is a file');
      assert.equal((key.mode & 0o777).toString(8), '600', 'master.key mode');
      const sock = fs.statSync(path.join(s.dataDir, 'admin.sock'));
      assert.ok(sock.isSocket(), 'admin.sock is a socket');
      assert.equal((sock.mode & 0o777).toString(8), '600', 'admin.sock mode');
    });
  }

  test('KEYGATE_MASTER_KEY other than the data dir\'s key: exits non-zero, says why', async () => {
    const s = await startServer({ backend });
    await signup(s.url, uniqueEmail('mk'));
    const stopped = await s.stop({ keep: true });
    assert.equal(stopped.code, 0);
    const keyFile = path.join(s.dataDir, 'master.key');
    assert.ok(fs.existsSync(keyFile), 'master.key exists in the data dir');
    const keyText = fs.readFileSync(keyFile, 'latin1');

    // A different key: refused.
    const bad = await runServerExpectingExit({ backend, dataDir: s.dataDir, dbUrl: s.dbUrl, env: { KEYGATE_MASTER_KEY: keyLike(keyText) } });
    assert.equal(bad.listened, false, `started with the wrong master key:\n${bad.output}`);
    assert.ok(!bad.timedOut, `neither listened nor exited:\n${bad.output}`);
    assert.ok(bad.code !== 0 && bad.code !== null, `non-zero exit: ${JSON.stringify(bad)}`);
    assert.match(bad.output, /master[ _-]?key/i, 'the message mentions the master key');

    // Control: the same data starts without the variable.
    const again = track(await startServer({ backend, dataDir: s.dataDir, dbUrl: s.dbUrl, adopt: true }));
    assert.equal((await request(again.url, 'GET', '/api/v3/ping')).status, 200);
  });
});
