// The client side of bench/streams.sh: WebSocket subscribers, the order driver and the latency
// probe, in Node 20 with the `ws` package (bench/package.json; `npm ci` in bench/).
//
//   node bench/streams_client.mjs fanout  OPTIONS   one fan-out run (keygate or the reference)
//   node bench/streams_client.mjs drive   OPTIONS   the order driver (spawned by fanout)
//   node bench/streams_client.mjs latency OPTIONS   one latency run (keygate)
//   node bench/streams_client.mjs frame   OPTIONS   prints one keygate trade frame (the template)
//
// Each prints one line "KGBENCH {json}" (frame: the frame) and exits 0, or explains and exits 1.
//
// fanout: opens --subscribers WebSocket connections to --ws + /ws/<--stream> (a minimal client
// over plain sockets, below), spread over --addresses source addresses 127.0.0.2, 127.0.0.3, ...
// (keygate's per-address limits, 300 handshakes per 5 minutes and 1,000 open connections, are
// meant for one client each: with many addresses no run comes near them), then makes --events
// trade events at --rate a second: against keygate (--setup given) the child `drive` sends that
// many crossing BUY/SELL pairs as signed HTTP orders (each pair is one trade); against the
// reference, GET --http/start asks the broadcaster to send them. Each subscriber checks that its
// trade ids come one after the other, without gap or repeat. The run lasts from the first event
// asked for to the last frame received (at most --drain s after the last event was sent):
// frames delivered a second, and the server's CPU (utime + stime of --pid, all threads) over it,
// and each core's busy share (/proc/stat: whoever used it). The lag is from a frame's "E" (when
// the server formatted it, in ms) to its arrival.
//
// latency: the buyer of --setup opens its user data stream (POST /api/v3/userDataStream, then
// /ws/<listenKey>); the seller rests SELLs (LIMIT GTC 0.001 at 60000, 16 at a time, 100 at a time
// as the MAX_NUM_ORDERS filter allows 200 open); the buyer sends --warmup + --orders BUYs of the
// same, one after the other over one keep-alive HTTP connection, each crossing one resting SELL,
// and for each records the time from writing the request to (a) the HTTP answer and (b) the
// executionReport of that order (by its clientOrderId) on the stream: the first one and the
// FILLED one. The next order goes once both the answer and the FILLED report are in.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import WebSocket from 'ws';

const [mode, ...rest] = process.argv.slice(2);
const opt = {};
for (let i = 0; i < rest.length; i += 2) {
  if (!rest[i].startsWith('--')) fail(`bad argument ${rest[i]}`);
  opt[rest[i].slice(2)] = rest[i + 1];
}
const num = (k, d) => (opt[k] === undefined ? d : Number(opt[k]));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function fail(msg) {
  console.error(`streams_client ${mode}: ${msg}`);
  process.exit(1);
}

// utime + stime of a process, all its threads, in seconds.
const TICKS = 100; // CLK_TCK on Linux
function cpuSeconds(pid) {
  if (!pid) return 0;
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS;
}
// Busy and total ticks of each core (from /proc/stat), to tell how much of a core others took.
function coreTicks() {
  const out = [];
  for (const line of fs.readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const f = m[2].trim().split(/\s+/).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    out[Number(m[1])] = { busy: total - f[3] - f[4], total };
  }
  return out;
}
function coreBusy(a, b) {
  return b.map((c, i) => (c.total > a[i].total ? (c.busy - a[i].busy) / (c.total - a[i].total) : 0));
}

function ownCpu() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

// ---- signed orders over keep-alive HTTP ----------------------------------------------------

function signer(users) {
  const keys = users.map((u) => crypto.createSecretKey(Buffer.from(u.secretKey)));
  return (userIndex, params) => {
    const body = `${params}&recvWindow=60000&timestamp=${Date.now()}`;
    const sig = crypto.createHmac('sha256', keys[userIndex]).update(body).digest('hex');
    return `${body}&signature=${sig}`;
  };
}

function post(agent, base, path, apiKey, body, method = 'POST') {
  return new Promise((resolve, reject) => {
    const req = http.request(base + path, {
      method,
      agent,
      headers: {
        'X-MBX-APIKEY': apiKey,
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(body),
      },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const orderParams = (side, clientId) =>
  `symbol=BTCUSDT&side=${side}&type=LIMIT&timeInForce=GTC&quantity=0.001&price=60000` +
  `&newClientOrderId=${clientId}&newOrderRespType=RESULT`;

// ---- drive: N crossing pairs at R a second ---------------------------------------------------

async function drive() {
  const { users } = JSON.parse(fs.readFileSync(opt.setup, 'utf8'));
  const base = opt.http;
  const events = num('events');
  const rate = num('rate');
  const conns = num('connections', 16);
  const prefix = opt.prefix;
  const sign = signer(users);
  const agent = new http.Agent({ keepAlive: true, maxSockets: conns, localAddress: '127.0.0.1' });
  let ok = 0;
  let bad = 0;
  let firstBad = '';
  const lat = [];
  const one = async (i, side) => {
    const u = side === 'BUY' ? 0 : 1;
    const t = performance.now();
    try {
      const r = await post(agent, base, '/api/v3/order', users[u].apiKey, sign(u, orderParams(side, `${prefix}-${side[0]}${i}`)));
      lat.push(performance.now() - t);
      if (r.status === 200) ok++;
      else {
        bad++;
        if (!firstBad) firstBad = `${r.status} ${r.body.slice(0, 200)}`;
      }
    } catch (e) {
      bad++;
      if (!firstBad) firstBad = String(e);
    }
  };
  // The fan-out run starts its clock (and reads the server's CPU) when told we are ready.
  console.log('READY');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const cpu0 = ownCpu();
  // Both orders of a pair at once: whichever arrives first rests and the other fills it, so each
  // pair is one trade and the book is empty again when all are answered. An order's latency
  // counts from when it was due, waiting for a free connection included.
  const pending = [];
  const t0 = performance.now();
  let sent = 0;
  while (sent < events) {
    const due = Math.min(events, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
    while (sent < due) {
      pending.push(one(sent, 'BUY'), one(sent, 'SELL'));
      sent++;
    }
    await sleep(1);
  }
  await Promise.all(pending);
  const seconds = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  agent.destroy();
  console.log('KGBENCH ' + JSON.stringify({
    pairs: events, ok, bad, firstBad, seconds, pairsPerSecond: events / seconds,
    orderP50: quantile(lat, 0.5), orderP99: quantile(lat, 0.99), cpu: (ownCpu() - cpu0) / seconds,
  }));
}

// ---- subscribers -----------------------------------------------------------------------------

// Parses `"key":digits` in buf[from, to) without JSON.parse (the client's core is the scarce one).
function intField(buf, key, from = 0, to = buf.length) {
  let i = buf.indexOf(key, from);
  if (i < 0 || i >= to) return -1;
  i += key.length;
  let v = 0;
  for (; i < to; i++) {
    const c = buf[i];
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
  }
  return v;
}
const T_KEY = Buffer.from('"t":');
const E_KEY = Buffer.from('"E":');

// One subscriber: a WebSocket client written out over a plain socket (RFC 6455: the handshake,
// then unmasked frames from the server), so that a frame costs the client a few comparisons in
// the chunk it came in rather than an event and a parse of its own: 1,000 of these on one core
// must outrun the servers. Text frames are trade events (checked for order by trade id); a ping gets its pong;
// anything else (fragments, binary, close) marks the subscriber as broken or closed.
class Subscriber {
  constructor(url, localAddress) {
    this.count = 0;
    this.first = -1;
    this.last = -1;
    this.gaps = 0; // a trade id that is not the previous one + 1
    this.closed = false;
    this.broken = '';
    const u = new URL(url);
    const key = crypto.randomBytes(16).toString('base64');
    this.accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
    this.pending = null; // bytes of an incomplete frame (or of the handshake answer)
    this.open = false;
    this.ready = new Promise((resolve, reject) => { this.resolve = resolve; this.reject = reject; });
    this.sock = net.connect({ host: u.hostname, port: Number(u.port), localAddress, noDelay: true });
    this.sock.on('connect', () => {
      this.sock.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    this.sock.on('data', (chunk) => this.onData(chunk));
    this.sock.on('close', () => {
      this.closed = true;
      this.reject(new Error('closed during the handshake'));
    });
    this.sock.on('error', (e) => {
      this.broken ||= String(e);
      this.reject(e);
    });
  }

  onData(chunk) {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    if (!this.open) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        this.pending = buf;
        return;
      }
      const head = buf.toString('latin1', 0, end);
      if (!head.startsWith('HTTP/1.1 101') || !head.includes(this.accept)) {
        this.reject(new Error(`handshake answered ${head.split('\r\n')[0]}`));
        this.sock.destroy();
        return;
      }
      this.open = true;
      this.resolve();
      buf = buf.subarray(end + 4);
    }
    let at = 0;
    const n = buf.length;
    while (n - at >= 2) {
      const b0 = buf[at];
      let len = buf[at + 1] & 0x7f;
      let head = 2;
      if (len === 126) {
        if (n - at < 4) break;
        len = buf.readUInt16BE(at + 2);
        head = 4;
      } else if (len === 127) {
        if (n - at < 10) break;
        len = Number(buf.readBigUInt64BE(at + 2));
        head = 10;
      }
      if (n - at < head + len) break;
      const from = at + head;
      const to = from + len;
      at = to;
      const opcode = b0 & 0x0f;
      if (opcode === 1 && b0 & 0x80) {
        this.onText(buf, from, to);
      } else if (opcode === 9) { // ping: a masked pong with the same payload (mask of zeros)
        const pong = Buffer.alloc(6 + len);
        pong[0] = 0x8a;
        pong[1] = 0x80 | len;
        buf.copy(pong, 6, from, to);
        this.sock.write(pong);
      } else if (opcode === 8) {
        this.closed = true;
      } else if (opcode !== 10) {
        this.broken ||= `unexpected frame opcode ${opcode}${b0 & 0x80 ? '' : ' (fragmented)'}`;
      }
    }
    if (at < n) this.pending = buf.subarray(at);
  }

  onText(buf, from, to) {
    const t = intField(buf, T_KEY, from, to);
    if (t < 0) return; // not a trade (a reply)
    if (this.first < 0) this.first = t;
    else if (t !== this.last + 1) this.gaps++;
    this.last = t;
    this.count++;
    counted.frames++;
    counted.lastAt = performance.now();
    const lag = Date.now() - intField(buf, E_KEY, from, to);
    lagHist[Math.max(0, Math.min(lagHist.length - 1, lag))]++;
  }

  opened() {
    return this.ready;
  }

  terminate() {
    this.sock.destroy();
  }
}
const counted = { frames: 0, lastAt: 0 };
let lagHist = new Float64Array(10001); // milliseconds from the frame's "E" to its arrival

function histQuantile(h, q) {
  let total = 0;
  for (const n of h) total += n;
  let acc = 0;
  for (let i = 0; i < h.length; i++) {
    acc += h[i];
    if (acc >= q * total && total > 0) return i;
  }
  return NaN;
}

async function openSubscribers(url, n, addresses) {
  const subs = [];
  for (let i = 0; i < n; i++) subs.push(new Subscriber(url, `127.0.0.${2 + (i % addresses)}`));
  try {
    await Promise.all(subs.map((s) => s.opened()));
  } catch (e) {
    fail(`opening ${n} WebSockets to ${url}: ${e.message}`);
  }
  return subs;
}

function getJson(url) {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) reject(new Error(`${url}: ${res.statusCode} ${text}`));
        else resolve(JSON.parse(text));
      });
    }).on('error', reject);
  });
}

// Runs `drive` in a child process (on the same core: the affinity is inherited); onReady runs
// when it is about to send its first order.
function runDriver(args, onReady = () => {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [new URL(import.meta.url).pathname, 'drive', ...args],
      { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    let ready = false;
    child.stdout.on('data', (d) => {
      out += d;
      if (!ready && out.includes('READY\n')) {
        ready = true;
        onReady();
        child.stdin.write('go\n');
      }
    });
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('KGBENCH '));
      if (code !== 0 || !line) reject(new Error(`driver exited ${code}: ${out}`));
      else resolve(JSON.parse(line.slice(8)));
    });
  });
}

async function fanout() {
  const n = num('subscribers', 1000);
  const addresses = num('addresses', 250);
  const events = num('events');
  const rate = num('rate');
  const drainMs = num('drain', 30) * 1000;
  const pid = num('pid', 0);
  const url = `${opt.ws}/ws/${opt.stream || 'btcusdt@trade'}`;
  const keygate = Boolean(opt.setup);
  const subs = await openSubscribers(url, n, addresses);
  await sleep(200);
  const early = counted.frames; // nothing should have come yet
  counted.frames = 0;
  lagHist = new Float64Array(10001);

  let t0 = 0;
  let cpu0 = 0;
  let own0 = 0;
  let cores0 = null;
  const mark = () => {
    cores0 = coreTicks();
    t0 = performance.now();
    cpu0 = cpuSeconds(pid);
    own0 = ownCpu();
  };
  let driver = null;
  if (keygate) {
    driver = await runDriver(['--setup', opt.setup, '--http', opt.http, '--events', String(events),
      '--rate', String(rate), '--prefix', opt.prefix, '--connections', String(num('connections', 16))], mark);
  } else {
    const template = encodeURIComponent(opt.template);
    mark();
    await getJson(`${opt.http}/start?rate=${rate}&count=${events}&template=${template}`);
    for (;;) {
      await sleep(20);
      const st = await getJson(`${opt.http}/status`);
      if (!st.sending) break;
    }
  }
  const tSent = performance.now();
  const framesBySent = counted.frames;

  // Every subscriber should get every event: wait for the stragglers, then take the server's CPU
  // (all the work for these events is done by then).
  const want = n * events;
  const until = performance.now() + drainMs;
  while (counted.frames < want && performance.now() < until && subs.some((s) => !s.closed)) await sleep(5);
  const tDone = n > 0 ? Math.max(counted.lastAt, tSent) : tSent;
  const cpu1 = cpuSeconds(pid);
  const own1 = ownCpu();
  const cores = coreBusy(cores0, coreTicks());
  const seconds = (tDone - t0) / 1000;
  const delivered = counted.frames;
  await sleep(keygate ? 300 : 100); // anything extra (a repeat) would show now
  const short = subs.filter((s) => s.count !== events).length;
  const closed = subs.filter((s) => s.closed).length;
  const broken = subs.filter((s) => s.broken).length;
  const gaps = subs.reduce((a, s) => a + s.gaps, 0);
  const firsts = new Set(subs.map((s) => s.first));
  const spans = subs.filter((s) => s.count > 0 && s.last - s.first + 1 !== s.count).length;
  for (const s of subs) s.terminate();
  console.log('KGBENCH ' + JSON.stringify({
    subscribers: n, events, rate,
    sendSeconds: (tSent - t0) / 1000, eventsPerSecondSent: events / ((tSent - t0) / 1000),
    seconds, framesDelivered: delivered, framesPerSecond: delivered / seconds, framesBySent, want,
    framesAfterWant: counted.frames - want, early,
    drainMs: tDone - tSent, short, closed, broken, gaps, spans, distinctFirstIds: firsts.size,
    firstId: subs.length ? subs[0].first : null,
    lagP50: histQuantile(lagHist, 0.5), lagP99: histQuantile(lagHist, 0.99), lagMax: histQuantile(lagHist, 1),
    serverCpu: pid ? (cpu1 - cpu0) / seconds : null,
    serverCpuUsPerFrame: pid && delivered ? ((cpu1 - cpu0) / delivered) * 1e6 : null,
    clientCpu: (own1 - own0) / seconds,
    coreBusy: cores, // each core's busy share over the run, whoever used it
    driver,
  }));
}

// One keygate trade frame, for the reference's template: one subscriber, one pair of orders.
async function frame() {
  const ws = new WebSocket(`${opt.ws}/ws/btcusdt@trade`, { perMessageDeflate: false });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  let got = null;
  ws.on('message', (d) => { if (!got) got = d.toString(); });
  await runDriver(['--setup', opt.setup, '--http', opt.http, '--events', '1', '--rate', '1000',
    '--prefix', opt.prefix, '--connections', '2']);
  for (let i = 0; i < 200 && !got; i++) await sleep(10);
  ws.terminate();
  if (!got) fail('no trade frame within 2 s');
  console.log('KGBENCH ' + got);
}

// ---- latency -------------------------------------------------------------------------------

async function latency() {
  const { users } = JSON.parse(fs.readFileSync(opt.setup, 'utf8'));
  const base = opt.http;
  const n = num('orders', 2000);
  const warmup = num('warmup', 100);
  const prefix = opt.prefix;
  const sign = signer(users);

  // The seller's resting orders, 16 at a time (not timed), in chunks: the MAX_NUM_ORDERS filter
  // allows an account 200 open orders a symbol.
  const restAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  let resting = 0;
  const rest = async (from, to) => {
    let next = from;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < to) {
        const i = next++;
        const r = await post(restAgent, base, '/api/v3/order', users[1].apiKey, sign(1, orderParams('SELL', `${prefix}-s${i}`)));
        if (r.status !== 200) fail(`resting SELL ${i}: ${r.status} ${r.body}`);
        if (JSON.parse(r.body).status !== 'NEW') fail(`resting SELL ${i} did not rest: ${r.body}`);
        resting++;
      }
    }));
  };
  const CHUNK = 100;
  // A book with nothing of the two users on it (a failed run may have left resting orders).
  for (const u of [0, 1]) {
    const r = await post(restAgent, base, '/api/v3/openOrders', users[u].apiKey, sign(u, 'symbol=BTCUSDT'), 'DELETE');
    if (r.status !== 200 && !r.body.includes('-2011')) fail(`DELETE /api/v3/openOrders: ${r.status} ${r.body}`);
  }

  // The buyer's user data stream, from its own address.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1, localAddress: '127.0.0.1' });
  const lk = await post(agent, base, '/api/v3/userDataStream', users[0].apiKey, '');
  if (lk.status !== 200) fail(`POST /api/v3/userDataStream: ${lk.status} ${lk.body}`);
  const { listenKey } = JSON.parse(lk.body);
  const ws = new WebSocket(`${opt.ws}/ws/${listenKey}`, { localAddress: '127.0.0.254', perMessageDeflate: false });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });

  const C_KEY = Buffer.from('"c":"');
  const X_FILLED = Buffer.from('"X":"FILLED"');
  const ER = Buffer.from('"e":"executionReport"');
  let waiting = null; // {id, t0, http, first, filled, resolve}
  ws.on('message', (data) => {
    const t = performance.now();
    if (!waiting || data.indexOf(ER) < 0) return;
    const c = data.indexOf(C_KEY) + C_KEY.length;
    const id = data.toString('latin1', c, data.indexOf(34, c));
    if (id !== waiting.id) return;
    if (waiting.first === undefined) waiting.first = t;
    if (data.indexOf(X_FILLED) >= 0) {
      waiting.filled = t;
      if (waiting.http !== undefined) waiting.resolve();
    }
  });

  const httpMs = [];
  const firstMs = [];
  const filledMs = [];
  const diffMs = [];
  let reportFirst = 0; // the FILLED report arrived before the HTTP answer
  for (let i = 0; i < n + warmup; i++) {
    if (i % CHUNK === 0) await rest(i, Math.min(n + warmup, i + CHUNK));
    const id = `${prefix}-b${i}`;
    const body = sign(0, orderParams('BUY', id));
    const done = new Promise((resolve) => { waiting = { id, resolve }; });
    const w = waiting;
    w.t0 = performance.now();
    const r = await post(agent, base, '/api/v3/order', users[0].apiKey, body);
    w.http = performance.now();
    if (r.status !== 200) fail(`BUY ${i}: ${r.status} ${r.body}`);
    if (JSON.parse(r.body).status !== 'FILLED') fail(`BUY ${i} did not fill: ${r.body}`);
    if (w.filled !== undefined) w.resolve();
    const timeout = sleep(5000).then(() => 'timeout');
    if ((await Promise.race([done, timeout])) === 'timeout') fail(`no FILLED executionReport for ${id} within 5 s`);
    if (i < warmup) continue;
    httpMs.push(w.http - w.t0);
    firstMs.push(w.first - w.t0);
    filledMs.push(w.filled - w.t0);
    diffMs.push(w.filled - w.http);
    if (w.filled < w.http) reportFirst++;
  }
  waiting = null;
  ws.terminate();
  agent.destroy();
  restAgent.destroy();
  for (const a of [httpMs, firstMs, filledMs, diffMs]) a.sort((x, y) => x - y);
  const q = (a) => ({ p50: quantile(a, 0.5), p99: quantile(a, 0.99), max: a[a.length - 1] });
  console.log('KGBENCH ' + JSON.stringify({
    orders: n, warmup, resting, http: q(httpMs), first: q(firstMs), filled: q(filledMs), diff: q(diffMs), reportFirst,
  }));
}

const modes = { fanout, drive, latency, frame };
if (!modes[mode]) fail('mode is fanout, drive, latency or frame');
modes[mode]().then(() => process.exit(0), (e) => fail(e.stack || String(e)));
