// Helpers for keygate's integration tests: start/stop servers, HTTP over fetch and raw TCP,
// the admin CLI, and RFC 6238 TOTP. Node 20 built-ins only.

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// KEYGATE_BIN picks another build (e.g. build-it/keygate); a relative path is taken from the repo root.
export const BIN = process.env.KEYGATE_BIN ? path.resolve(REPO, process.env.KEYGATE_BIN) : path.join(REPO, 'build', 'keygate');
export const PG_URL = process.env.KEYGATE_TEST_PG_URL || '';

// Every backend, with a skip reason when it cannot run here. Tests use one describe() per entry.
export const BACKENDS = [
  { name: 'sqlite', skip: false },
  { name: 'postgres', skip: PG_URL ? false : 'KEYGATE_TEST_PG_URL not set (run under scripts/with-postgres.sh)' },
];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const randomId = (n = 8) => crypto.randomBytes(n).toString('hex');
export const uniqueEmail = (tag = 'user') => `${tag}-${randomId(6)}@example.com`;
export const PASSWORD = 'correct horse battery staple';

export function freshDir(prefix = 'kg-it-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: one fresh database per server.

export function createPgDatabase() {
  assert.ok(PG_URL, 'KEYGATE_TEST_PG_URL is not set');
  const name = `kg_${randomId(8)}`;
  execFileSync('psql', [PG_URL, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `CREATE DATABASE ${name}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return { name, url: u.toString() };
}

export function dropPgDatabase(name) {
  if (!PG_URL || !name) return;
  try {
    execFileSync('psql', [PG_URL, '-q', '-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], {
      stdio: 'ignore',
    });
  } catch {
    // The cluster is throwaway anyway.
  }
}

// ---------------------------------------------------------------------------------------------
// Servers.

const LISTEN_RE = /^keygate listening on http:\/\/(127\.0\.0\.1|\[::1\]):(\d+)$/;
const live = new Set();

process.on('exit', () => {
  for (const p of live) {
    try { p.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

// Binance's limit types and intervals (so exchangeInfo looks the same), with limits no suite reaches.
// rate_limits.test.mjs sets small ones; `rateLimits: null` serves the defaults (6000 weight a minute).
export const GENEROUS_RATE_LIMITS = [
  { type: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 1_000_000_000 },
  { type: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 1_000_000_000 },
  { type: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 1_000_000_000 },
  { type: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 1_000_000_000 },
];

// A TOML file with just these [[rate_limits]], in a fresh temporary directory.
export function writeRateLimits(limits) {
  const file = path.join(freshDir('kg-limits-'), 'rate_limits.toml');
  const toml = limits.map((l) => `[[rate_limits]]\ntype = "${l.type}"\ninterval = "${l.interval}"\n` +
    `interval_num = ${l.intervalNum ?? 1}\nlimit = ${l.limit}\n`).join('');
  fs.writeFileSync(file, toml);
  return file;
}

// Spawns `keygate serve`. Options:
//   backend   'sqlite' (default) or 'postgres'
//   listen    the listen address (default '127.0.0.1:0'; '[::1]:0' for IPv6 loopback)
//   extraArgs extra CLI arguments (e.g. ['--demo'])
//   env       extra environment variables
//   dataDir   reuse a data dir (default: a fresh temp dir)
//   dbUrl     reuse a PostgreSQL database URL (default: a fresh database for 'postgres')
//   adopt     stop() removes the given dataDir / dbUrl database too
//   rateLimits the [[rate_limits]] to serve, [{type, interval, intervalNum, limit}] (written to a
//             temporary --config file); default GENEROUS_RATE_LIMITS, since the suites send far more
//             than Binance's 6000 weight a minute from 127.0.0.1; null: the server's own defaults.
//             Not used when extraArgs has its own --config.
//   marketMaker with --demo, keep the demo market maker (by default suites run without it)
//   timeoutMs how long to wait for the listening line
// Resolves to {url, port, dataDir, dbUrl, proc, stdoutLines, stderr(), exited, stop(opts)}.
// Rejects (after killing the process) when the server exits or does not listen in time.
export async function startServer(opts = {}) {
  const { backend = 'sqlite', extraArgs = [], env = {}, timeoutMs = 15000 } = opts;
  if (!fs.existsSync(BIN)) throw new Error(`keygate binary not found at ${BIN}`);
  const dataDir = opts.dataDir ?? freshDir();
  // adopt: clean up a given data dir / database on stop() as if this server had created them.
  const ownsDataDir = !opts.dataDir || !!opts.adopt;
  let dbUrl = opts.dbUrl;
  let dbName = opts.adopt && dbUrl ? new URL(dbUrl).pathname.slice(1) : null;
  if (backend === 'postgres' && !dbUrl) {
    const db = createPgDatabase();
    dbUrl = db.url;
    dbName = db.name;
  }
  const args = ['serve', '--listen', opts.listen ?? '127.0.0.1:0', '--data-dir', dataDir];
  if (backend === 'postgres') args.push('--db', dbUrl);
  const limitsFile = opts.rateLimits === null || extraArgs.includes('--config')
    ? null : writeRateLimits(opts.rateLimits ?? GENEROUS_RATE_LIMITS);
  if (limitsFile) args.push('--config', limitsFile);
  args.push(...extraArgs);
  // The demo market maker quotes on every demo market; suites that fill books themselves do
  // without it unless they ask for it (marketMaker: true).
  if (extraArgs.includes('--demo') && !opts.marketMaker && !extraArgs.includes('--no-market-maker')) {
    args.push('--no-market-maker');
  }

  const proc = spawn(BIN, args, {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);

  const stdoutLines = [];
  let stdoutBuf = '';
  let stderrBuf = '';
  const lineWaiters = [];
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (chunk) => {
    stdoutBuf += chunk;
    let i;
    while ((i = stdoutBuf.indexOf('\n')) >= 0) {
      const line = stdoutBuf.slice(0, i).replace(/\r$/, '');
      stdoutBuf = stdoutBuf.slice(i + 1);
      stdoutLines.push(line);
      for (const w of [...lineWaiters]) w();
    }
  });
  proc.stderr.on('data', (chunk) => {
    stderrBuf += chunk;
    if (stderrBuf.length > 200000) stderrBuf = stderrBuf.slice(-100000);
  });
  let exitInfo = null;
  // 'close' (not 'exit') so that all of stdout/stderr has been read by then.
  const exited = new Promise((resolve) => {
    proc.on('close', (code, signal) => {
      live.delete(proc);
      exitInfo = { code, signal };
      resolve(exitInfo);
      for (const w of [...lineWaiters]) w();
    });
  });

  const server = {
    proc,
    dataDir,
    dbUrl,
    backend,
    stdoutLines,
    stderr: () => stderrBuf,
    output: () => stdoutLines.join('\n') + '\n' + stdoutBuf + '\n' + stderrBuf,
    exited,
    // Waits until some stdout line matches re (or the process exits / time runs out).
    waitForLine(re, ms = 5000) {
      return new Promise((resolve) => {
        const check = () => {
          const line = stdoutLines.find((l) => re.test(l));
          if (line !== undefined || exitInfo) {
            clearTimeout(t);
            const k = lineWaiters.indexOf(check);
            if (k >= 0) lineWaiters.splice(k, 1);
            resolve(line);
            return true;
          }
          return false;
        };
        const t = setTimeout(() => {
          const k = lineWaiters.indexOf(check);
          if (k >= 0) lineWaiters.splice(k, 1);
          resolve(stdoutLines.find((l) => re.test(l)));
        }, ms);
        if (!check()) lineWaiters.push(check);
      });
    },
    // SIGTERM, then SIGKILL after killAfterMs. Removes the data dir / database it created
    // unless keep is set. Resolves to {code, signal, ms}.
    async stop({ keep = false, killAfterMs = 5000 } = {}) {
      const t0 = Date.now();
      if (!exitInfo) {
        try { proc.kill('SIGTERM'); } catch { /* gone */ }
        const timer = setTimeout(() => { try { proc.kill('SIGKILL'); } catch { /* gone */ } }, killAfterMs);
        await exited;
        clearTimeout(timer);
      }
      const res = { ...exitInfo, ms: Date.now() - t0 };
      if (!keep) {
        if (ownsDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
        if (dbName) dropPgDatabase(dbName);
      }
      return res;
    },
  };

  const line = await server.waitForLine(LISTEN_RE, timeoutMs);
  if (limitsFile) fs.rmSync(path.dirname(limitsFile), { recursive: true, force: true });  // read at start only
  if (!line) {
    const why = exitInfo ? `exited (code ${exitInfo.code}, signal ${exitInfo.signal})` : `did not listen within ${timeoutMs} ms`;
    const out = server.output();
    await server.stop();
    const err = new Error(`keygate serve ${args.join(' ')} ${why}; output:\n${out.slice(-4000)}`);
    err.exitInfo = exitInfo;
    err.outputText = out;
    throw err;
  }
  const [, host, port] = LISTEN_RE.exec(line);
  server.port = Number(port);
  server.url = `http://${host}:${server.port}`;
  return server;
}

// Runs `keygate serve ...` expecting it to fail: resolves {code, signal, output} once it exits,
// or kills it after timeoutMs and resolves with timedOut: true.
export async function runServerExpectingExit(opts = {}, timeoutMs = 10000) {
  try {
    const s = await startServer({ ...opts, timeoutMs });
    const output = s.output();
    await s.stop({ keep: true });
    return { code: null, signal: null, listened: true, output };
  } catch (e) {
    if (!e.exitInfo) return { timedOut: true, output: e.outputText ?? String(e) };
    return { ...e.exitInfo, listened: false, output: e.outputText };
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP over fetch.

// request(url, method, path, {json, token, headers, rawBody, keepAlive}) -> {status, headers, body, text}
// headers is a plain object with lower-case names; body is the parsed JSON or undefined.
export async function request(baseUrl, method, p, opts = {}) {
  const { json, token, headers = {}, rawBody, keepAlive = false } = opts;
  const h = { ...headers };
  // A fresh connection per request by default: no races with the server's idle timeout.
  if (!keepAlive && !Object.keys(h).some((k) => k.toLowerCase() === 'connection')) h.connection = 'close';
  let body;
  if (json !== undefined) {
    body = JSON.stringify(json);
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
  } else if (rawBody !== undefined) {
    body = rawBody;
  }
  if (token !== undefined) h.authorization = `Bearer ${token}`;
  const res = await fetch(baseUrl + p, { method, headers: h, body, signal: AbortSignal.timeout(10000) });
  const text = await res.text();
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = undefined; }
  const hdrs = {};
  res.headers.forEach((v, k) => { hdrs[k] = v; });
  return { status: res.status, headers: hdrs, body: parsed, text };
}

// Asserts a keygate error response: status, {code, msg} with a negative numeric code, JSON type.
export function assertError(res, status, code, msg) {
  const ctx = `${res.status} ${res.text}`;
  assert.equal(res.status, status, `HTTP status; got ${ctx}`);
  assert.ok(res.body && typeof res.body === 'object', `error body is a JSON object; got ${ctx}`);
  assert.equal(typeof res.body.code, 'number', `error code is a number; got ${ctx}`);
  assert.ok(res.body.code < 0, `error code is negative; got ${ctx}`);
  assert.equal(typeof res.body.msg, 'string', `error msg is a string; got ${ctx}`);
  assert.ok(res.body.msg.length > 0, `error msg is not empty; got ${ctx}`);
  if (code !== undefined) assert.equal(res.body.code, code, `error code; got ${ctx}`);
  if (msg !== undefined) assert.equal(res.body.msg, msg, `error msg; got ${ctx}`);
  assert.match(res.headers['content-type'] ?? '', /application\/json/, `content-type of ${ctx}`);
}

export async function signup(url, email = uniqueEmail(), password = PASSWORD) {
  const r = await request(url, 'POST', '/console/v1/signup', { json: { email, password } });
  assert.equal(r.status, 200, `signup ${email}: ${r.status} ${r.text}`);
  return { email, password, uid: r.body.uid };
}

export async function login(url, email, password = PASSWORD, extra = {}) {
  return request(url, 'POST', '/console/v1/login', { json: { email, password, ...extra } });
}

export async function signupAndLogin(url, email = uniqueEmail(), password = PASSWORD) {
  const u = await signup(url, email, password);
  const r = await login(url, email, password);
  assert.equal(r.status, 200, `login ${email}: ${r.status} ${r.text}`);
  return { ...u, token: r.body.token };
}

// ---------------------------------------------------------------------------------------------
// Admin CLI.

// runKeygate(args, {stdin, env, timeoutMs}) -> {code, signal, stdout, stderr}
export function runKeygate(args, { stdin, env = {}, timeoutMs = 15000 } = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8');
    p.stderr.setEncoding('utf8');
    p.stdout.on('data', (c) => { stdout += c; });
    p.stderr.on('data', (c) => { stderr += c; });
    p.stdin.on('error', () => {});
    const timer = setTimeout(() => { p.kill('SIGKILL'); }, timeoutMs);
    p.on('error', (e) => { clearTimeout(timer); reject(e); });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (stdin !== undefined) p.stdin.end(stdin);
    else p.stdin.end();
  });
}

// admin(dataDir, args, stdin) runs `keygate admin ARGS --data-dir DIR`.
export function admin(dataDir, args, stdin) {
  return runKeygate(['admin', ...args, '--data-dir', dataDir], { stdin });
}

// ---------------------------------------------------------------------------------------------
// Raw TCP.

// A raw connection for hand-made HTTP bytes.
// Resolves true when cond() holds, false (or cond()'s last value) after ms. `waiters` is the list
// the owner calls after every change (new data, close).
function waitOn(waiters, cond, ms) {
  return new Promise((resolve) => {
    const check = () => {
      if (cond()) { done(true); return true; }
      return false;
    };
    const done = (v) => {
      clearTimeout(t);
      const k = waiters.indexOf(check);
      if (k >= 0) waiters.splice(k, 1);
      resolve(v);
    };
    const t = setTimeout(() => done(!!cond()), ms);
    if (!check()) waiters.push(check);
  });
}

export class RawConn {
  static open(port, host = '127.0.0.1') {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ port, host });
      const c = new RawConn(sock);
      sock.once('connect', () => { c.connectedAt = Date.now(); resolve(c); });
      sock.once('error', reject);
    });
  }

  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.closed = false;
    this.closedAt = null;
    this.error = null;
    this.waiters = [];
    sock.on('data', (d) => { this.buf = Buffer.concat([this.buf, d]); this.#wake(); });
    sock.on('end', () => { this.#markClosed(); });
    sock.on('close', () => { this.#markClosed(); });
    sock.on('error', (e) => { this.error = e; this.#markClosed(); });
  }

  #markClosed() {
    if (!this.closed) { this.closed = true; this.closedAt = Date.now(); }
    this.#wake();
  }

  #wake() { for (const w of [...this.waiters]) w(); }

  #waitFor(cond, ms) { return waitOn(this.waiters, cond, ms); }

  write(data) {
    if (this.closed || this.sock.destroyed) return false;
    try { this.sock.write(data); return true; } catch { return false; }
  }

  // Reads one HTTP/1.1 response (Content-Length or chunked, else until close).
  // Resolves {status, headers, body, raw} or null when nothing complete arrived in time.
  async readResponse(ms = 5000) {
    let parsed = null;
    await this.#waitFor(() => { parsed = parseResponse(this.buf, this.closed); return parsed !== null || this.closed; }, ms);
    if (!parsed) parsed = parseResponse(this.buf, this.closed);
    if (!parsed) return null;
    this.buf = this.buf.subarray(parsed.consumed);
    return parsed;
  }

  // Resolves true when the peer closed the connection within ms.
  waitClosed(ms = 5000) { return this.#waitFor(() => this.closed, ms); }

  destroy() { this.sock.destroy(); }
}

function parseResponse(buf, closed) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = buf.subarray(0, end).toString('latin1');
  const lines = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!m) return null;
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const start = end + 4;
  let body;
  let consumed;
  if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    if (buf.length < start + n) return null;
    body = buf.subarray(start, start + n);
    consumed = start + n;
  } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts = [];
    let pos = start;
    for (;;) {
      const le = buf.indexOf('\r\n', pos);
      if (le < 0) return null;
      const size = parseInt(buf.subarray(pos, le).toString('latin1'), 16);
      if (Number.isNaN(size)) return null;
      pos = le + 2;
      if (size === 0) {
        const te = buf.indexOf('\r\n', pos);
        if (te < 0) return null;
        consumed = te + 2;
        break;
      }
      if (buf.length < pos + size + 2) return null;
      parts.push(buf.subarray(pos, pos + size));
      pos += size + 2;
    }
    body = Buffer.concat(parts);
  } else {
    if (!closed) return null;
    body = buf.subarray(start);
    consumed = buf.length;
  }
  const text = body.toString('utf8');
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: Number(m[1]), headers, text, body: json, consumed };
}

// Sends bytes on a fresh connection and reads one response (or until close).
export async function rawRequest(port, bytes, ms = 5000) {
  const c = await RawConn.open(port);
  try {
    c.write(bytes);
    const res = await c.readResponse(ms);
    return { res, conn: c };
  } finally {
    c.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps).

export function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = s.toUpperCase().replace(/=+$/, '').replace(/\s+/g, '');
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error(`invalid base32 character '${ch}'`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function totpForStep(secret, step, digits = 6) {
  const key = base32Decode(secret);
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = crypto.createHmac('sha1', key).update(msg).digest();
  const off = h[h.length - 1] & 0x0f;
  const bin = ((h[off] & 0x7f) << 24) | (h[off + 1] << 16) | (h[off + 2] << 8) | h[off + 3];
  return String(bin % 10 ** digits).padStart(digits, '0');
}

export function totp(secret, unixSeconds, digits = 6) {
  return totpForStep(secret, Math.floor(unixSeconds / 30), digits);
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
export const currentStep = () => Math.floor(Date.now() / 30000);

// A 6-digit code that matches none of the steps around now (so surely wrong).
export function wrongCode(secret) {
  const c = currentStep();
  const bad = new Set();
  for (let d = -3; d <= 3; d++) bad.add(totpForStep(secret, c + d));
  let n = Number(totpForStep(secret, c));
  for (;;) {
    n = (n + 111111) % 1000000;
    const s = String(n).padStart(6, '0');
    if (!bad.has(s)) return s;
  }
}

export function hasCommand(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// One describe() per backend; skipped (visibly) when the backend is not available.

export function forEachBackend(title, fn) {
  for (const b of BACKENDS) {
    describe(`${title} [${b.name}]`, { skip: b.skip }, () => fn(b.name));
  }
}

// ---------------------------------------------------------------------------------------------
// API keys: users with 2FA, key creation, signed (Binance) requests.

// The next TOTP code a user can spend. The server accepts a code for a step within ±1 of now that
// is later than the last step it accepted, so a user has about three codes at once and then one
// more per 30-second step: this hands them out in order and waits for the next step when they
// run out. A user's codes must be spent in the order they were handed out (no concurrent use).
export async function nextTotp(user) {
  for (;;) {
    const now = Date.now();
    const cur = Math.floor(now / 30000);
    const into = now % 30000;
    // Step cur-1 leaves the window at the next boundary: do not hand it out just before.
    const lowest = into > 27000 ? cur : cur - 1;
    const step = Math.max(user.lastStep + 1, lowest);
    if (step <= cur + 1) {
      user.lastStep = step;
      return totpForStep(user.secret, step);
    }
    await sleep(30000 - into + 100);
  }
}

// Resolves when the user can take n more codes without waiting (spends none). Start it early and
// await it later: the wait for the next 30-second step then overlaps with other work.
export async function codesReady(user, n) {
  const step = user.lastStep + n - 1;  // nextTotp hands out step s once the current step is s-1
  const wait = step * 30000 - Date.now() + 100;
  if (wait > 0) await sleep(wait);
}

// A signed-up, logged-in user with 2FA enabled (enable: false leaves it set up but off).
// Resolves {email, password, uid, token, secret, lastStep, code()}; code() is nextTotp(user).
export async function userWith2FA(url, { tag = 'keys', email = uniqueEmail(tag), password = PASSWORD, enable = true } = {}) {
  const u = await signupAndLogin(url, email, password);
  const setup = await request(url, 'POST', '/console/v1/2fa/setup', { token: u.token, json: {} });
  assert.equal(setup.status, 200, `2fa setup for ${email}: ${setup.text}`);
  const user = { ...u, secret: setup.body.secret, lastStep: 0 };
  user.code = () => nextTotp(user);
  if (enable) {
    const en = await request(url, 'POST', '/console/v1/2fa/enable', { token: u.token, json: { code: await user.code() } });
    assert.equal(en.status, 200, `2fa enable for ${email}: ${en.text}`);
  }
  return user;
}

// A fresh key pair for an ED25519 or RSA key: {publicKeyPem (SPKI), privateKey (KeyObject)}.
export function generateKeyPair(type, bits = 2048) {
  const { publicKey, privateKey } = type === 'RSA'
    ? crypto.generateKeyPairSync('rsa', { modulusLength: bits })
    : crypto.generateKeyPairSync('ed25519');
  return { publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }), privateKey };
}

// POST /console/v1/keys with a fresh TOTP code (unless fields.totp is given). Defaults: a READ key
// for all IPs. For ED25519/RSA without publicKey, a key pair is made and its privateKey returned.
// Resolves the response body (the key) plus {res, privateKey?}; asserts HTTP `expect` (default 200; null: no check).
export async function createKey(url, user, fields = {}, { expect = 200 } = {}) {
  const body = { label: `key-${randomId(3)}`, permissions: ['READ'], allowAllIps: true, ...fields };
  let privateKey;
  if ((body.type === 'ED25519' || body.type === 'RSA') && body.publicKey === undefined) {
    const kp = generateKeyPair(body.type);
    body.publicKey = kp.publicKeyPem;
    privateKey = kp.privateKey;
  }
  if (body.totp === undefined) body.totp = await user.code();
  const res = await request(url, 'POST', '/console/v1/keys', { token: user.token, json: body });
  if (expect !== null) assert.equal(res.status, expect, `create key ${JSON.stringify(fields)}: ${res.text}`);
  return { ...(res.body ?? {}), res, privateKey };
}

export const listKeys = (url, user) => request(url, 'GET', '/console/v1/keys', { token: user.token });
export const keyLog = (url, user, apiKey) => request(url, 'GET', `/console/v1/keys/${apiKey}/log`, { token: user.token });

// The signature of a payload under a key {type, secretKey | privateKey}: hex for HMAC (lower case
// unless uppercase), base64 for ED25519 and RSA (PKCS#1 v1.5, SHA-256). Not percent-encoded.
export function signPayload(key, payload, { uppercase = false } = {}) {
  const data = Buffer.from(payload, 'utf8');
  if (key.type === 'ED25519') return crypto.sign(null, data, key.privateKey).toString('base64');
  if (key.type === 'RSA') return crypto.sign('sha256', data, key.privateKey).toString('base64');
  const hex = crypto.createHmac('sha256', key.secretKey).update(data).digest('hex');
  return uppercase ? hex.toUpperCase() : hex;
}

const formEncode = (params) => Object.entries(params)
  .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');

// Sends a request as a Binance client would, raw: query and body strings as given, the key in
// X-MBX-APIKEY (apiKey null: no header). A body goes as application/x-www-form-urlencoded.
export async function sendRaw(url, method, p, { apiKey, query = '', body, headers = {} } = {}) {
  const h = { ...headers };
  if (apiKey !== null && apiKey !== undefined) h['x-mbx-apikey'] = apiKey;
  if (body !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
    h['content-type'] = 'application/x-www-form-urlencoded';
  }
  const target = query ? `${p}?${query}` : p;
  const res = await request(url, method, target, { headers: h, rawBody: body });
  return { ...res, query, rawBody: body };
}

// Date.now(), but never the same value twice: two identical requests in one millisecond would
// carry the same signature and the second would be refused as a replay.
let lastTimestamp = 0;
export function freshTimestamp() {
  lastTimestamp = Math.max(Date.now(), lastTimestamp + 1);
  return lastTimestamp;
}

// A signed request. key: {apiKey, type, secretKey | privateKey}. Options:
//   params     object or raw string for the query (timestamp and recvWindow are added to it)
//   body       object or raw string for a form body (then timestamp goes where timestampIn says)
//   timestamp  default freshTimestamp(); null leaves it out
//   recvWindow added when given
//   timestampIn 'query' (default) or 'body'
//   signatureIn 'query' (default) or 'body'
//   signWith   another key to sign with (a wrong signature)
//   signature  a signature to send instead of computing one (null: none)
//   payload    sign this instead of the Binance payload (query + body, no separator)
//   uppercase  HMAC hex in upper case
//   encode     percent-encode the signature (default true)
//   apiKey     the X-MBX-APIKEY header (default key.apiKey; null: none)
//   headers    extra headers
// Resolves the response plus {query, rawBody, signature, payload} (enough to replay it with sendRaw).
export async function signedRequest(url, method, p, key, opts = {}) {
  const {
    params = {}, body, timestamp = freshTimestamp(), recvWindow, timestampIn = 'query', signatureIn = 'query',
    signWith, uppercase = false, encode = true, headers = {},
  } = opts;
  let query = typeof params === 'string' ? params : formEncode(params);
  let rawBody = body === undefined ? undefined : (typeof body === 'string' ? body : formEncode(body));
  const extra = {};
  if (recvWindow !== undefined) extra.recvWindow = recvWindow;
  if (timestamp !== null) extra.timestamp = timestamp;
  const add = (s, more) => (s && more ? `${s}&${more}` : s || more);
  if (timestampIn === 'body') rawBody = add(rawBody ?? '', formEncode(extra));
  else query = add(query, formEncode(extra));
  const payload = opts.payload ?? query + (rawBody ?? '');
  const signature = opts.signature !== undefined ? opts.signature : signPayload(signWith ?? key, payload, { uppercase });
  if (signature !== null) {
    const pair = `signature=${encode ? encodeURIComponent(signature) : signature}`;
    if (signatureIn === 'body') rawBody = add(rawBody ?? '', pair);
    else query = add(query, pair);
  }
  const apiKey = opts.apiKey !== undefined ? opts.apiKey : key.apiKey;
  const res = await sendRaw(url, method, p, { apiKey, query, body: rawBody, headers });
  return { ...res, signature, payload };
}

// The exact Binance error bodies of binance-wire.md §3.
export const BINANCE = {
  keyFormat: [401, -2014, 'API-key format invalid.'],
  keyRejected: [401, -2015, 'Invalid API-key, IP, or permissions for action.'],
  badSignature: [400, -1022, 'Signature for this request is not valid.'],
  replayed: [400, -1022, 'Signature for this request was already used.'],
  tsOld: [400, -1021, 'Timestamp for this request is outside of the recvWindow.'],
  tsAhead: [400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."],
  recvWindow: [400, -1131, 'recvWindow must be less than 60000'],
  missing: (name) => [400, -1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`],
};

// assertBinance(res, BINANCE.keyRejected): status, code and exact message.
export function assertBinance(res, [status, code, msg]) {
  assertError(res, status, code, msg);
}

// ---------------------------------------------------------------------------------------------
// Money (money_*.test.mjs): amounts in integer units, the admin socket, keep-alive signed clients.

import http from 'node:http';  // (imports are hoisted; kept here with the helpers that use it)

// Amounts are integers of 1e-8 (BigInt), as the ledger keeps them.
export const AMOUNT_SCALE = 8;
export function toUnits(text) {
  const m = /^(-?)(\d+)(?:\.(\d{1,8}))?$/.exec(String(text));
  if (!m) throw new Error(`not an amount with at most 8 decimals: '${text}'`);
  const units = BigInt(m[2]) * 10n ** 8n + BigInt((m[3] ?? '').padEnd(8, '0'));
  return m[1] ? -units : units;
}
export function fromUnits(units) {
  const neg = units < 0n;
  const a = neg ? -units : units;
  return `${neg ? '-' : ''}${a / 10n ** 8n}.${String(a % 10n ** 8n).padStart(8, '0')}`;
}

// One admin request straight over <dataDir>/admin.sock, as `keygate admin` sends it (a JSON line
// in, a JSON line out), without spawning the CLI. Resolves {ok, text}; rejects when the socket
// cannot be reached or closes before a reply (e.g. the server was killed).
export function adminCall(dataDir, request, { timeoutMs = 15000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ path: path.join(dataDir, 'admin.sock') });
    let buf = '';
    let done = false;
    const finish = (err, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err); else resolve(value);
    };
    const timer = setTimeout(() => finish(new Error(`admin ${request.cmd}: no reply in ${timeoutMs} ms`)), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${JSON.stringify(request)}\n`));
    sock.on('data', (d) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i < 0) return;
      try {
        const v = JSON.parse(buf.slice(0, i));
        finish(null, { ok: v.ok === true, text: String(v.text ?? '') });
      } catch (e) {
        finish(e);
      }
    });
    sock.on('error', (e) => finish(e));
    sock.on('close', () => finish(new Error(`admin ${request.cmd}: connection closed without a reply`)));
  });
}

// `keygate admin ledger verify`, parsed: {code, stdout, stderr, entries, ok, totals: {ASSET: {...}}}
// with one BigInt per column of its table, named from the header (USERS_FREE -> usersFree,
// PENDING_WITHDRAWAL -> pendingWithdrawal, EXTERNAL -> external, and any column added later).
export async function ledgerVerify(dataDir) {
  const r = await admin(dataDir, ['ledger', 'verify'], undefined);
  const totals = {};
  const lines = r.stdout.split('\n');
  const head = lines.findIndex((l) => /^ASSET\s/.test(l));
  const cols = head < 0 ? [] : lines[head].trim().split(/\s+/).slice(1)
    .map((c) => c.toLowerCase().replace(/_([a-z])/g, (_, x) => x.toUpperCase()));
  for (const line of lines.slice(head + 1)) {
    const f = line.trim().split(/\s+/);
    if (head < 0 || f.length !== cols.length + 1 || !f.slice(1).every((x) => /^-?\d+\.\d{8}$/.test(x))) continue;
    totals[f[0]] = Object.fromEntries(cols.map((c, i) => [c, toUnits(f[i + 1])]));
  }
  const e = /^(\d+) journal entries/m.exec(r.stdout);
  return {
    ...r,
    entries: e ? Number(e[1]) : null,
    totals,
    ok: r.code === 0 && /ok: every balance equals its journal/.test(r.stdout),
  };
}

// A Binance client for one key over its own keep-alive connection(s) (node:http, so a run of 10^5
// requests does not open 10^5 connections). Every request carries a timestamp that is fresh for
// this client (never twice the same, so no replay-guard refusals) and an HMAC signature; all
// parameters go in the query string, as @binance/connector sends them. `sockets` is how many
// requests may be in flight at once (parallel connections). Transport failures (refused, reset,
// timeout) do not throw: they resolve {status: 0, error, text}.
const failed = (error) => ({ status: 0, error, text: `(no answer: ${error.message})` });
export class SignedClient {
  constructor(url, key, { sockets = 1, timeoutMs = 15000 } = {}) {
    const u = new URL(url);
    this.host = u.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(u.port);
    this.key = key;
    this.timeoutMs = timeoutMs;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
    this.lastTs = 0;
  }

  timestamp() {
    this.lastTs = Math.max(Date.now(), this.lastTs + 1);
    return this.lastTs;
  }

  // params: an object (insertion order kept) or a raw query string. Resolves
  // {status, body, text} or {status: 0, error, text}.
  send(method, p, params = {}) {
    const base = typeof params === 'string' ? params : formEncode(params);
    const query = `${base ? `${base}&` : ''}timestamp=${this.timestamp()}`;
    const sig = crypto.createHmac('sha256', this.key.secretKey).update(query).digest('hex');
    const target = `${p}?${query}&signature=${sig}`;
    return new Promise((resolve) => {
      const req = http.request({
        host: this.host, port: this.port, method, path: target, agent: this.agent,
        headers: { 'x-mbx-apikey': this.key.apiKey },
      }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body;
          try { body = JSON.parse(text); } catch { body = undefined; }
          resolve({ status: res.statusCode, body, text });
        });
        res.on('error', (error) => resolve(failed(error)));
        res.on('aborted', () => resolve(failed(new Error('response aborted'))));
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer in ${this.timeoutMs} ms`)));
      req.on('error', (error) => resolve(failed(error)));
      req.end();
    });
  }

  close() { this.agent.destroy(); }
}

// ---------------------------------------------------------------------------------------------
// WebSocket clients (node --experimental-websocket: run.sh passes it): every message kept, parsed.

export class WsClient {
  // Resolves once open; rejects when the handshake fails (e.g. a 4xx answer). `headers`: extra
  // handshake headers (e.g. X-Forwarded-For).
  static open(url, ms = 5000, headers = undefined) {
    return new Promise((resolve, reject) => {
      const c = new WsClient(url, headers);
      const t = setTimeout(() => reject(new Error(`no WebSocket open in ${ms} ms: ${url}`)), ms);
      c.ws.addEventListener('open', () => { clearTimeout(t); c.openedAt = Date.now(); resolve(c); });
      c.ws.addEventListener('error', () => { clearTimeout(t); reject(new Error(`WebSocket failed: ${url}`)); });
    });
  }

  constructor(url, headers = undefined) {
    this.ws = headers ? new WebSocket(url, { headers }) : new WebSocket(url);
    this.messages = [];  // {at, data (parsed JSON or the text)}
    this.closed = false;
    this.closeCode = null;
    this.waiters = [];
    this.ws.addEventListener('message', (m) => {
      let data;
      try { data = JSON.parse(String(m.data)); } catch { data = String(m.data); }
      this.messages.push({ at: Date.now(), data });
      this.#wake();
    });
    this.ws.addEventListener('close', (e) => { this.closed = true; this.closeCode = e.code; this.#wake(); });
  }

  #wake() { for (const w of [...this.waiters]) w(); }

  send(obj) { this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)); }
  close() { this.ws.close(); }

  // The first message (from index `from` on) for which pred(data) holds: {at, data, index}; null on
  // timeout.
  async next(pred, { from = 0, ms = 5000 } = {}) {
    let found = null;
    const scan = () => {
      for (let i = Math.max(from, 0); i < this.messages.length; i++) {
        if (pred(this.messages[i].data)) { found = { ...this.messages[i], index: i }; return true; }
      }
      return false;
    };
    await waitOn(this.waiters, scan, ms);
    return found;
  }

  // Resolves true when the server closed the connection within ms.
  waitClosed(ms = 5000) { return waitOn(this.waiters, () => this.closed, ms); }
}

export const wsUrl = (url, p) => url.replace(/^http/, 'ws') + p;

// ---------------------------------------------------------------------------------------------
// Waiting and failing.

// Polls fn() until it returns something truthy (resolved to it); fails the test after ms.
export async function until(what, fn, ms = 8000, every = 100) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(every);
  }
}

// Awaits a promise that must reject; resolves the error.
export async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected the call to fail');
}

// The official clients honour proxy variables; the tests talk to 127.0.0.1 only.
export function withoutProxies() {
  for (const v of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy']) delete process.env[v];
}
