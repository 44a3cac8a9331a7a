// Liveness, readiness and Prometheus metrics.

import assert from 'node:assert/strict';
import { before, after, test } from 'node:test';
import { forEachBackend, startServer, request } from './harness.mjs';

forEachBackend('health and metrics', (backend) => {
  let s;
  before(async () => { s = await startServer({ backend }); });
  after(async () => { await s?.stop(); });

  test('GET /healthz is 200 {"status":"ok"}', async () => {
    const r = await request(s.url, 'GET', '/healthz');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { status: 'ok' });
  });

  test('GET /readyz is 200 {"status":"ready"}', async () => {
    const r = await request(s.url, 'GET', '/readyz');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { status: 'ready' });
  });

  test('GET /metrics counts requests by route and status', async () => {
    for (let i = 0; i < 3; i++) {
      const p = await request(s.url, 'GET', '/api/v3/ping');
      assert.equal(p.status, 200);
    }
    const r = await request(s.url, 'GET', '/metrics');
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers['content-type'] ?? '', /text\/plain/);
    const lines = r.text.split('\n');
    const ping = lines.filter((l) => l.startsWith('keygate_http_requests_total{')
      && l.includes('route="/api/v3/ping"') && l.includes('status="200"'));
    assert.ok(ping.length >= 1, `a keygate_http_requests_total line for ping/200 in:\n${r.text.slice(0, 3000)}`);
    const total = ping.reduce((n, l) => n + Number(l.trim().split(/\s+/).pop()), 0);
    assert.ok(total >= 3, `ping/200 counter is at least 3; got ${total} from ${ping.join(' | ')}`);
    assert.ok(lines.some((l) => l.startsWith('keygate_http_request_duration_seconds_bucket{')),
      'has keygate_http_request_duration_seconds_bucket');
    assert.ok(lines.some((l) => /^keygate_open_connections(\{[^}]*\})? \d+(\.\d+)?$/.test(l)),
      'has a keygate_open_connections sample');
  });

  test('/metrics counts a 404 under its own status', async () => {
    const nf = await request(s.url, 'GET', '/definitely/not/here');
    assert.equal(nf.status, 404);
    const r = await request(s.url, 'GET', '/metrics');
    const lines = r.text.split('\n').filter((l) => l.startsWith('keygate_http_requests_total{') && l.includes('status="404"'));
    assert.ok(lines.length >= 1, `a keygate_http_requests_total line with status="404" in:\n${r.text.slice(0, 3000)}`);
  });
});
