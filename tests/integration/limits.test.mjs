// HTTP/1.1 limits and robustness, with hand-made bytes over raw TCP.

import assert from 'node:assert/strict';
import { before, after, describe, test } from 'node:test';
import { forEachBackend, startServer, RawConn, rawRequest, sleep, until } from './harness.mjs';

const show = (res) => (res ? `${res.status} ${JSON.stringify(res.headers)} ${res.text.slice(0, 300)}` : 'no response');

function assertRawError(res, status, code) {
  assert.ok(res, 'a response arrived');
  assert.equal(res.status, status, show(res));
  assert.ok(res.body && typeof res.body === 'object', `JSON body: ${show(res)}`);
  assert.equal(res.body.code, code, show(res));
  assert.equal(typeof res.body.msg, 'string', show(res));
}

async function rawPing(port) {
  const { res } = await rawRequest(port, 'GET /api/v3/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', 3000);
  return res;
}

forEachBackend('HTTP limits', (backend) => {
  let s;
  let slow;
  before(async () => { s = await startServer({ backend }); });
  after(async () => {
    await s?.stop();
    await slow?.stop();
  });

  test('a 9000-byte URL is 414', async () => {
    const url = `/api/v3/ping?pad=${'a'.repeat(9000)}`;
    const { res } = await rawRequest(s.port, `GET ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    assertRawError(res, 414, -7003);
    assert.equal((await rawPing(s.port))?.status, 200, 'server still serves');
  });

  test('headers over 8 KiB are 431', async () => {
    let head = 'GET /api/v3/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n';
    for (let i = 0; i < 9; i++) head += `X-Pad-${i}: ${'b'.repeat(1000)}\r\n`;
    const { res } = await rawRequest(s.port, `${head}\r\n`);
    assertRawError(res, 431, -7004);
  });

  test('one 9000-byte header line (request line short) is 431, not 414', async () => {
    const head = `GET /api/v3/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'c'.repeat(9000)}\r\n\r\n`;
    const { res } = await rawRequest(s.port, head);
    assertRawError(res, 431, -7004);
  });

  test('headers just under the limit are fine', async () => {
    let head = 'GET /api/v3/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n';
    for (let i = 0; i < 6; i++) head += `X-Pad-${i}: ${'b'.repeat(1000)}\r\n`;
    const { res } = await rawRequest(s.port, `${head}\r\n`);
    assert.equal(res?.status, 200, show(res));
  });

  test('Content-Length 2,000,000 on a POST is 413 without reading the body', async () => {
    const head = 'POST /console/v1/signup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n'
      + 'Content-Length: 2000000\r\n\r\n';
    const { res } = await rawRequest(s.port, head);
    assertRawError(res, 413, -7005);
  });

  test('keep-alive: two requests on one connection are both answered', async () => {
    const c = await RawConn.open(s.port);
    try {
      c.write('GET /api/v3/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      const r1 = await c.readResponse(3000);
      assert.equal(r1?.status, 200, show(r1));
      assert.deepEqual(r1.body, {});
      assert.ok(!c.closed, 'connection still open after the first response');
      c.write('GET /api/v3/time HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      const r2 = await c.readResponse(3000);
      assert.equal(r2?.status, 200, show(r2));
      assert.ok(Number.isInteger(r2.body?.serverTime), show(r2));
    } finally {
      c.destroy();
    }
  });

  test('pipelining: two requests in one write are answered in order, then Connection: close', async () => {
    const c = await RawConn.open(s.port);
    try {
      c.write('GET /api/v3/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      const r3 = await c.readResponse(3000);
      assert.equal(r3?.status, 200, show(r3));
      assert.deepEqual(r3.body, {});
      const r4 = await c.readResponse(3000);
      assert.equal(r4?.status, 200, show(r4));
      assert.deepEqual(r4.body, { status: 'ok' });
      assert.ok(await c.waitClosed(3000), 'Connection: close is honoured');
    } finally {
      c.destroy();
    }
  });

  test('slowloris: a trickling header is cut off at the header timeout; others are served', async () => {
    slow = await startServer({ backend, env: { KEYGATE_HTTP_HEADER_TIMEOUT_MS: '1500' } });
    const c = await RawConn.open(slow.port);
    const t0 = c.connectedAt;
    let pingsOk = 0;
    try {
      c.write('GET /api/v3/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      let sentAt700 = false;
      while (!c.closed && Date.now() - t0 < 5000) {
        await sleep(500);
        c.write('a');
        if (!sentAt700 && Date.now() - t0 >= 700) {
          sentAt700 = true;
          const r = await rawPing(slow.port);
          assert.equal(r?.status, 200, `a normal ping during the slowloris: ${show(r)}`);
          pingsOk++;
        }
      }
      assert.ok(await c.waitClosed(500), `slow connection closed (after ${Date.now() - t0} ms)`);
      const ms = c.closedAt - t0;
      assert.ok(ms >= 1300 && ms <= 3500, `closed after ${ms} ms; expected about 1500-3000`);
      // Whatever it sent, it was not a 200 to the unfinished request.
      const res = await c.readResponse(100);
      assert.notEqual(res?.status, 200, show(res));
      assert.equal(pingsOk, 1);
      // A normal request after the slow one was dropped is still served.
      assert.equal((await rawPing(slow.port))?.status, 200);
    } finally {
      c.destroy();
    }
  });
});

describe('connections per IP (H5) [sqlite]', () => {
  let s;
  before(async () => { s = await startServer({ env: { KEYGATE_HTTP_MAX_CONNECTIONS_PER_IP: '5' } }); });
  after(async () => { await s?.stop(); });

  test('beyond the cap a connection gets one 429 and is closed; the open ones are served', async () => {
    const open = [];
    try {
      for (let i = 0; i < 5; i++) open.push(await RawConn.open(s.port));
      await sleep(100);
      const sixth = await RawConn.open(s.port);
      const res = await sixth.readResponse(3000);
      assertRawError(res, 429, -1003);
      assert.match(res.body.msg, /5 open connections per IP/);
      assert.ok(await sixth.waitClosed(2000), 'closed after the answer');
      // The five are not affected: each still gets its answer.
      for (const c of open) {
        c.write('GET /api/v3/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        assert.equal((await c.readResponse(3000))?.status, 200);
      }
      // One closes: there is room for one more, once the server has seen it go (until then a new
      // connection is still the sixth, and refused).
      open.pop().destroy();
      await until('a connection served after one of the five closed', async () => (await rawPing(s.port))?.status === 200, 10000);
    } finally {
      for (const c of open) c.destroy();
    }
    assert.match(s.stderr(), /event=connection_refused ip=127\.0\.0\.1/);
  });
});
