// The admin CLI, which talks to the running server over <dataDir>/admin.sock.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { before, after, test } from 'node:test';
import {
  forEachBackend, startServer, request, assertError, admin, runKeygate, login, signup,
  uniqueEmail, freshDir, PASSWORD,
} from './harness.mjs';

const show = (r) => `exit ${r.code}; stdout: ${r.stdout}; stderr: ${r.stderr}`;

forEachBackend('admin CLI', (backend) => {
  let s;
  before(async () => { s = await startServer({ backend }); });
  after(async () => { await s?.stop(); });

  test('user create --password-stdin creates a user who can log in', async () => {
    const email = uniqueEmail('admin-created');
    const r = await admin(s.dataDir, ['user', 'create', '--email', email, '--password-stdin'], `${PASSWORD}\n`);
    assert.equal(r.code, 0, show(r));
    const l = await login(s.url, email);
    assert.equal(l.status, 200, l.text);
    // The email is now taken for signup.
    const dup = await request(s.url, 'POST', '/console/v1/signup', { json: { email, password: PASSWORD } });
    assertError(dup, 409, -7103);
  });

  test('user create of an existing email fails', async () => {
    const email = uniqueEmail('admin-dup');
    await signup(s.url, email);
    const r = await admin(s.dataDir, ['user', 'create', '--email', email, '--password-stdin'], `${PASSWORD}\n`);
    assert.notEqual(r.code, 0, show(r));
    assert.ok(r.stderr.trim().length > 0, `a message on stderr: ${show(r)}`);
  });

  test('user list prints the users; --data-dir in any position', async () => {
    const email = uniqueEmail('listed');
    await signup(s.url, email);
    const after = await runKeygate(['admin', 'user', 'list', '--data-dir', s.dataDir]);
    assert.equal(after.code, 0, show(after));
    assert.ok(after.stdout.includes(email), `list shows ${email}: ${show(after)}`);
    const before = await runKeygate(['admin', '--data-dir', s.dataDir, 'user', 'list']);
    assert.equal(before.code, 0, show(before));
    assert.ok(before.stdout.includes(email), `list shows ${email}: ${show(before)}`);
    const first = await runKeygate(['--data-dir', s.dataDir, 'admin', 'user', 'list']);
    assert.equal(first.code, 0, show(first));
    assert.ok(first.stdout.includes(email), `list shows ${email}: ${show(first)}`);
  });

  test('user set --api-access off shows in /console/v1/me', async () => {
    const email = uniqueEmail('noapi');
    await signup(s.url, email);
    const l = await login(s.url, email);
    assert.equal(l.status, 200);
    const token = l.body.token;
    const me0 = await request(s.url, 'GET', '/console/v1/me', { token });
    assert.equal(me0.body.apiAccess, true, me0.text);

    const off = await admin(s.dataDir, ['user', 'set', '--email', email, '--api-access', 'off']);
    assert.equal(off.code, 0, show(off));
    const me1 = await request(s.url, 'GET', '/console/v1/me', { token });
    assert.equal(me1.status, 200, me1.text);
    assert.equal(me1.body.apiAccess, false, me1.text);

    const on = await admin(s.dataDir, ['user', 'set', '--email', email, '--api-access', 'on']);
    assert.equal(on.code, 0, show(on));
    const me2 = await request(s.url, 'GET', '/console/v1/me', { token });
    assert.equal(me2.body.apiAccess, true, me2.text);
  });

  test('an unknown email is a non-zero exit with a message on stderr', async () => {
    const email = uniqueEmail('nobody');
    for (const args of [
      ['user', 'set', '--email', email, '--api-access', 'off'],
      ['user', 'unlock', '--email', email],
    ]) {
      const r = await admin(s.dataDir, args);
      assert.notEqual(r.code, 0, `${args.join(' ')}: ${show(r)}`);
      assert.ok(r.stderr.trim().length > 0, `${args.join(' ')}: a message on stderr: ${show(r)}`);
    }
  });

  test('a data dir with no server running: non-zero exit, "not running"', async () => {
    const dir = freshDir('kg-it-empty-');
    try {
      const r = await admin(dir, ['user', 'list']);
      assert.notEqual(r.code, 0, show(r));
      assert.match(r.stderr + r.stdout, /not running/, show(r));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
