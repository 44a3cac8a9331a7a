// --demo: a ready-made account whose credentials are printed on stdout.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { forEachBackend, startServer, request, login } from './harness.mjs';

const DEMO_EMAIL = 'demo@keygate.local';

// Candidate passwords from the stdout lines, most likely first.
function passwordCandidates(lines) {
  const out = [];
  const add = (p) => { if (p && p !== DEMO_EMAIL && !out.includes(p)) out.push(p); };
  const demoIdx = lines.findIndex((l) => l.includes(DEMO_EMAIL));
  const near = lines.slice(Math.max(0, demoIdx), demoIdx + 3);
  for (const l of near) {
    const m = /password\s*[:=]?\s*["'`]?([^\s"'`,;]+)/i.exec(l);
    if (m) add(m[1]);
  }
  const tokens = lines[demoIdx].split(/[\s"'`,;]+/).filter((t) => t.length >= 10 && !t.includes('@') && !/^https?:/.test(t));
  for (const t of tokens.reverse()) add(t.replace(/^[^:=]*[:=]/, '') || t);
  return out.slice(0, 3); // fewer than the 5 failures that lock the account
}

forEachBackend('demo mode', (backend) => {
  let s;
  after(async () => { await s?.stop(); });

  test('--demo prints the demo credentials and they log in', async () => {
    s = await startServer({ backend, extraArgs: ['--demo'] });
    const line = await s.waitForLine(/demo@keygate\.local/, 3000);
    assert.ok(line, `a stdout line mentions ${DEMO_EMAIL}; stdout:\n${s.stdoutLines.join('\n')}`);
    const candidates = passwordCandidates(s.stdoutLines);
    assert.ok(candidates.length > 0, `a password next to the email: ${line}`);
    let ok = null;
    for (const p of candidates) {
      const r = await login(s.url, DEMO_EMAIL, p);
      if (r.status === 200) { ok = r; break; }
    }
    assert.ok(ok, `login as ${DEMO_EMAIL} with one of ${JSON.stringify(candidates)} from: ${s.stdoutLines.join(' | ')}`);
    const me = await request(s.url, 'GET', '/console/v1/me', { token: ok.body.token });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.email, DEMO_EMAIL);
    const listening = s.stdoutLines.filter((l) => l.startsWith('keygate listening on '));
    assert.equal(listening.length, 1, 'exactly one listening line');
  });
});
