// The money reliability tests (money_r1..r4.test.mjs, docs: /work/shared/docs/reliability-security.md
// R1-R4): a seeded load generator over a table of operation kinds, a model of what the clients were
// told, and the checks that compare the server with it.
//
// The model. Every operation a client sends ends in one of three outcomes:
//   acked    the server answered success: its effect must be in the store, fully, forever;
//   refused  the server answered with an expected error: it must have no effect at all;
//   unknown  no answer (the server was killed): it must be applied fully or not at all, and
//            checkWorld finds out which from the histories after the restart.
// Each user is driven by exactly one client, and money only leaves a user through that client, so
// the client's `floor` (what it put in, minus what it sent out, refreshed by balance reads) is a
// lower bound of the user's real balance: a transfer, withdrawal or convert of at most `floor` must
// succeed, and a balance read below `floor` is a lost update.
//
// Operation kinds are a table (name -> {weight, run(ctx)}): run() returns {acked, unknown?, effect,
// ref}; effect is a list of [uid, asset, delta] (BigInt units) that holds iff the operation took
// effect; ref names what was sent (its type and idempotency key), so that record() can index it and
// checkWorld can find it in the server's histories. The kinds:
//   transfers    POST /sapi/v1/transfer/internal (clientTranId), replays and refusals;
//   deposits     the operator's `keygate admin deposit` over the admin socket (txid), replays;
//   withdrawals  POST /sapi/v1/capital/withdraw/apply to a fresh address each (so that a withdrawal
//                is found in GET .../withdraw/history by its address even without a
//                withdrawOrderId); amount + the network's fee leave at once; some are above the
//                network's approval threshold and wait for the operator, whom the same client plays
//                over the admin socket (withdrawal.approve / reject / fail: a reject or fail returns
//                amount + fee, and is its own operation with that effect); the simulated chain
//                completes the others after KEYGATE_WALLET_WITHDRAW_DELAY_MS;
//   converts     getQuote + acceptQuote against the convert desk: the effect (fromAmount, toAmount)
//                comes from the quote's reply; unanswered accepts are resolved from tradeFlow;
//   desk funding the operator's `keygate admin desk fund` (once per reference).
// Conservation, per asset, with the columns of `keygate admin ledger verify` (deltas from the
// baseline taken before the users existed):
//   Σ user balances + fees + pending withdrawals + desk
//     = Σ credited deposits + Σ desk funding − Σ completed withdrawals,
// and each column on its own equals what the model and the histories say: fees = Σ fees of
// withdrawals not returned, pending = Σ amounts of open ones, desk = funding + Σ converts' from −
// Σ converts' to, −external = the right-hand side.

import assert from 'node:assert/strict';
import {
  admin, adminCall, createKey, fromUnits, ledgerVerify, request, SignedClient, sleep, toUnits, userWith2FA,
} from './harness.mjs';

export const ASSETS = ['BTC', 'ETH', 'USDT', 'XRP'];
export const INSUFFICIENT = [400, -2010, 'Account has insufficient balance for requested action.'];
export const CONFLICT = [400, -7413, 'clientTranId was already used with other parameters.'];
export const WITHDRAW_CONFLICT = [400, -7419, 'withdrawOrderId was already used with other parameters.'];
export const QUOTE_UNKNOWN = [400, -7420, 'Unknown or expired quoteId.'];
export const QUOTE_ACCEPTED = [400, -7421, 'This quote was already accepted.'];

// The server settings the money tests run with: a fast simulated chain (withdrawals leave 400 ms
// after they start processing, the chain looks every 20 ms), and quotes that live 2 s (so that
// expired ones can be accepted without waiting long).
export const MONEY_ENV = {
  KEYGATE_HTTP_WORKER_THREADS: '16',
  KEYGATE_WALLET_WITHDRAW_DELAY_MS: '400',
  KEYGATE_WALLET_CHAIN_TICK_MS: '20',
  KEYGATE_CONVERT_MAX_QUOTE_VALID_MS: '2000',
};
export const WITHDRAW_DELAY_MS = Number(MONEY_ENV.KEYGATE_WALLET_WITHDRAW_DELAY_MS);

// The demo's approval thresholds (src/server/demo.cpp `approval_above`; Binance's API does not show
// them): a withdrawal of more waits for the operator (status 2).
export const APPROVAL_ABOVE = {
  'BTC/BTC': toUnits('2'), 'ETH/ETH': toUnits('50'), 'XRP/XRP': toUnits('100000'),
  'USDT/TRX': toUnits('50000'), 'USDT/ETH': toUnits('50000'),
};
// The demo's reference prices in USDT (src/server/demo.cpp), only to size toAmount quotes roughly.
const REF_PRICE = { BTC: 60000, ETH: 3000, XRP: 0.5, USDT: 1 };
// The least a convert pays of an asset here: every pair then receives more than zero units.
const MIN_CONVERT = { BTC: toUnits('0.0001'), ETH: toUnits('0.001'), USDT: toUnits('0.1'), XRP: toUnits('0.5') };

const bmin = (...xs) => xs.reduce((a, b) => (b < a ? b : a));

// ---------------------------------------------------------------------------------------------
// Seeded randomness (mulberry32): a failure names its seed; KEYGATE_MONEY_SEED=N replays it.

export function makeRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    int: (n) => Math.floor(next() * n),  // [0, n)
    between: (lo, hi) => lo + next() * (hi - lo),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
    // A BigInt in [1, max] (max >= 1), with a random number of significant decimals.
    units: (max) => {
      const big = max < 1n ? 1n : max;
      let v = (big * BigInt(Math.floor(next() * 2 ** 30))) / 2n ** 30n;
      const cut = [1n, 100n, 10000n, 1000000n, 100000000n][Math.floor(next() * 5)];
      if (v > cut) v -= v % cut;
      return v < 1n ? 1n : v;
    },
  };
  return r;
}

export function testSeed(t, name) {
  const env = process.env.KEYGATE_MONEY_SEED;
  const seed = env ? Number(env) >>> 0 : Math.floor(Math.random() * 2 ** 32) >>> 0;
  const line = `${name}: seed ${seed} (replay with KEYGATE_MONEY_SEED=${seed})`;
  t.diagnostic(line);
  return seed;
}

// ---------------------------------------------------------------------------------------------
// Users: each with 2FA and one key for READ, TRANSFER, WITHDRAW and CONVERT (WITHDRAW needs an IP
// allowlist), with address management off (one more 2FA code), so that withdrawals may go to any
// valid address without the address book's cooling-off.

export const ALL_MONEY = ['READ', 'TRANSFER', 'WITHDRAW', 'CONVERT'];

export async function addressManagementOff(url, user) {
  const r = await request(url, 'PUT', '/console/v1/settings',
    { token: user.token, json: { withdrawWhitelistOnly: false, totp: await user.code() } });
  assert.equal(r.status, 200, `address management off for ${user.email}: ${r.text}`);
}

// A key for the money tests: {apiKey, type, secretKey}.
export async function moneyKey(url, user, permissions = ALL_MONEY) {
  const fields = { permissions };
  if (permissions.includes('WITHDRAW')) Object.assign(fields, { allowAllIps: undefined, ipAllowlist: ['127.0.0.1'] });
  const k = await createKey(url, user, fields);
  return { apiKey: k.apiKey, type: 'HMAC_SHA256', secretKey: k.secretKey };
}

export async function makeUsers(url, n, tag) {
  const users = [];
  // A few at a time: signup and login hash with Argon2id.
  for (let i = 0; i < n; i += 8) {
    const batch = await Promise.all(Array.from({ length: Math.min(8, n - i) }, async (_, j) => {
      const u = await userWith2FA(url, { tag: `${tag}${i + j}` });
      const key = await moneyKey(url, u);
      await addressManagementOff(url, u);
      return { idx: i + j, email: u.email, uid: u.uid, key };
    }));
    users.push(...batch);
  }
  return users;
}

// ---------------------------------------------------------------------------------------------
// The model of what the clients were told.

const zeroAssets = () => Object.fromEntries(ASSETS.map((a) => [a, 0n]));
// A withdrawal is found by its (fresh) address.
const wkey = (uid, address, tag) => `${uid}|${address}|${tag ?? ''}`;

export class Model {
  constructor(users, seed) {
    this.users = users;
    this.seed = seed;
    this.byUid = new Map(users.map((u) => [u.uid, u]));
    for (const u of users) {
      u.floor = zeroAssets();
      u.transfers = [];  // acked transfers this user sent (for replays)
      u.deposits = [];  // acked deposits of this user (for replays)
      u.withdrawals = [];  // acked withdrawals (for replays and the operator)
      u.converts = [];  // acked converts (for accepting again)
      u.staleQuotes = [];  // quotes left to expire: {quoteId, validTimestamp}
    }
    this.ops = [];
    this.counts = {};  // kind -> {acked, refused, unknown}
    this.violations = [];
    this.transfers = new Map();  // `${fromUid}:${clientTranId}` -> op (first sends only)
    this.deposits = new Map();  // txid -> op
    this.withdrawals = new Map();  // wkey -> op (first sends only)
    this.converts = new Map();  // quoteId -> op (the first accept of a quote)
    this.fundings = new Map();  // desk funding reference -> op
  }

  violation(text) {
    if (this.violations.length < 200) this.violations.push(text);
  }

  record(kind, actor, res) {
    const op = { n: this.ops.length, kind: res.kind ?? kind, actor: actor.uid, ...res };
    op.status = res.unknown ? 'unknown' : res.acked ? 'acked' : 'refused';
    this.ops.push(op);
    const c = (this.counts[op.kind] ??= { acked: 0, refused: 0, unknown: 0, codes: {} });
    c[op.status] += 1;
    if (op.status === 'refused' && res.code !== undefined) c.codes[res.code] = (c.codes[res.code] ?? 0) + 1;
    const ref = res.ref;
    if (ref && !ref.replay) {
      if (ref.type === 'transfer') this.transfers.set(`${ref.from}:${ref.clientTranId}`, op);
      if (ref.type === 'deposit') this.deposits.set(ref.txid, op);
      if (ref.type === 'withdraw') this.withdrawals.set(wkey(ref.uid, ref.address, ref.tag), op);
      if (ref.type === 'convert') this.converts.set(ref.quoteId, op);
      if (ref.type === 'deskFund') this.fundings.set(ref.ref, op);
    }
    if (op.status === 'acked') this.applyFloors(op);
    return op;
  }

  applyFloors(op) {
    for (const [uid, asset, delta] of op.effect ?? []) {
      const u = this.byUid.get(uid);
      if (u && uid === op.actor) u.floor[asset] += delta;  // incoming money from others is not counted
    }
    const { ref } = op;
    if (!ref || ref.replay) return;
    if (ref.type === 'transfer') this.byUid.get(ref.from).transfers.push(op);
    if (ref.type === 'deposit') this.byUid.get(ref.uid).deposits.push(op);
    if (ref.type === 'withdraw') this.byUid.get(ref.uid).withdrawals.push(op);
    if (ref.type === 'convert') this.byUid.get(ref.uid).converts.push(op);
    if (ref.type === 'withdrawAction') {
      const w = ref.w.ref;
      if (ref.action === 'approve') Object.assign(w, { state: 'approved', since: Date.now() });
      else w.state = 'returned';
    }
  }

  // Σ effects of every applied operation: uid -> asset -> units; per asset Σ deposits, Σ desk
  // funding and the desk's change; the journal entries they made (a completion is the chain's).
  expected() {
    const per = new Map(this.users.map((u) => [u.uid, zeroAssets()]));
    const deposited = zeroAssets();
    const funded = zeroAssets();
    const desk = zeroAssets();
    let entries = 0;
    for (const op of this.ops) {
      if (op.status !== 'acked') continue;
      for (const [uid, asset, delta] of op.effect ?? []) per.get(uid)[asset] += delta;
      const { ref } = op;
      if (!ref || ref.replay) continue;
      if (ref.type === 'deposit') deposited[ref.asset] += ref.amount;
      if (ref.type === 'deskFund') {
        funded[ref.asset] += ref.amount;
        desk[ref.asset] += ref.amount;
      }
      if (ref.type === 'convert') {
        desk[ref.from] += ref.fromAmount;
        desk[ref.to] -= ref.toAmount;
      }
      if (ref.type !== 'withdrawAction' || ref.action !== 'approve') entries += 1;
    }
    return { per, deposited, funded, desk, entries };
  }

  summary() {
    const codes = (c) => (Object.keys(c.codes).length ? ` (${Object.entries(c.codes).map(([k, n]) => `${k}×${n}`).join(' ')})` : '');
    return Object.entries(this.counts).map(([k, c]) => `${k} ${c.acked}/${c.refused}/${c.unknown}${codes(c)}`).join(', ');
  }
}

// ---------------------------------------------------------------------------------------------
// Operation kinds. ctx: {client, me, model, rng, world: {url, dataDir, users, networks, supply()}}.

const isError = (res, [status, code, msg]) => res.status === status && res.body?.code === code
  && (msg === undefined || res.body?.msg === msg);
const brief = (res) => (res.status === 0 ? `transport error: ${res.error?.message}` : `${res.status} ${res.text}`);

let tranCounter = 0;
const newTranId = (ctx) => `r${ctx.model.seed.toString(36)}-${ctx.me.idx}-${(tranCounter++).toString(36)}`;
let depositCounter = 0;
const newTxid = (ctx) => `tx-${ctx.model.seed.toString(36)}-${ctx.me.idx}-${(depositCounter++).toString(36)}`;
let withdrawCounter = 0;
const newWithdrawId = (ctx) => `w${ctx.model.seed.toString(36)}-${ctx.me.idx}-${(withdrawCounter++).toString(36)}`;
let deskCounter = 0;

function other(ctx) {
  const { users } = ctx.world;
  let u;
  do u = ctx.rng.pick(users); while (u.uid === ctx.me.uid);
  return u;
}

async function postTransfer(ctx, to, asset, amountText, clientTranId, byUid) {
  const params = byUid ? { toUid: String(to.uid) } : { toEmail: to.email };
  Object.assign(params, { asset, amount: amountText });
  if (clientTranId !== undefined) params.clientTranId = clientTranId;
  return ctx.client.send('POST', '/sapi/v1/transfer/internal', params);
}

// A refusal that must leave no trace: anything but the expected error (or one `alsoRight` allows)
// is a violation.
async function expectRefusal(ctx, kind, send, expected, alsoRight = () => false) {
  const res = await send();
  if (res.status === 0) return { unknown: true, effect: [], ref: null };
  if (!isError(res, expected) && !alsoRight(res)) ctx.model.violation(`${kind}: expected ${expected.slice(0, 2).join(' ')}, got ${brief(res)}`);
  return { acked: false, effect: [], ref: null, code: res.body?.code };
}

const fallback = async (ctx) => ({ ...(await OPERATIONS.balance.run(ctx)), kind: 'balance' });

// ---- withdrawals ----

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const HEX = '0123456789abcdef';
const chars = (rng, set, n) => Array.from({ length: n }, () => set[rng.int(set.length)]).join('');

// A fresh, valid address (and tag) on the network: every withdrawal goes somewhere new.
export function freshAddress(rng, net) {
  let address;
  let tag = '';
  switch (net.network) {
    case 'BTC': address = `bc1q${chars(rng, BECH32, 38)}`; break;
    case 'ETH': address = `0x${chars(rng, HEX, 40)}`; break;
    case 'TRX': address = `T${chars(rng, B58, 33)}`; break;
    case 'XRP': address = `r${chars(rng, B58, 30)}`; tag = String(1 + rng.int(999999999)); break;
    default: throw new Error(`no address generator for the ${net.network} network`);
  }
  if (!net.addressRe.test(address) || (tag && !net.memoRe?.test(tag))) {
    throw new Error(`generated '${address}' tag '${tag}' does not match the ${net.network} network's regexes`);
  }
  return { address, tag };
}

export function withdrawParams(ref, omitNetwork = false) {
  const p = { coin: ref.asset };
  if (!omitNetwork) p.network = ref.network;
  p.address = ref.address;
  if (ref.tag) p.addressTag = ref.tag;
  p.amount = fromUnits(ref.amount);
  if (ref.withdrawOrderId) p.withdrawOrderId = ref.withdrawOrderId;
  return p;
}
const postWithdraw = (ctx, params) => ctx.client.send('POST', '/sapi/v1/capital/withdraw/apply', params);
const roundTo = (amount, multiple) => (multiple > 1n ? amount - (amount % multiple) : amount);

// A withdrawal the user surely can pay (amount + fee <= floor): it must be accepted. About one in
// sixteen is above the network's approval threshold (when the user has that much).
async function withdraw(ctx) {
  const { me, rng, world } = ctx;
  const nets = ASSETS.flatMap((a) => world.networks[a]).filter((n) => me.floor[n.coin] >= n.min + n.fee);
  if (nets.length === 0) return fallback(ctx);
  const net = rng.pick(nets);
  const avail = me.floor[net.coin] - net.fee;
  const threshold = net.approvalAbove ?? net.max;
  let amount;
  if (rng.chance(0.06) && avail > threshold && threshold < net.max) {
    amount = threshold + rng.units(bmin(avail, net.max, threshold + threshold / 4n) - threshold);
  } else {
    const top = bmin(avail, net.max, threshold, net.min + me.floor[net.coin] / 20n);
    amount = top > net.min ? net.min + rng.units(top - net.min) : net.min;
  }
  amount = roundTo(amount, net.multiple);
  if (amount < net.min) amount = net.min;
  const { address, tag } = freshAddress(rng, net);
  const ref = {
    type: 'withdraw', uid: me.uid, asset: net.coin, network: net.network, isDefault: net.isDefault, address, tag,
    amount, fee: net.fee, withdrawOrderId: rng.chance(0.75) ? newWithdrawId(ctx) : '',
    needsApproval: amount > threshold,
  };
  const effect = [[me.uid, net.coin, -(amount + net.fee)]];
  const res = await postWithdraw(ctx, withdrawParams(ref, net.isDefault && rng.chance(0.3)));
  if (res.status === 0) return { unknown: true, effect, ref };
  if (res.status === 200 && typeof res.body?.id === 'string' && /^\d+$/.test(res.body.id)
    && Object.keys(res.body).length === 1) {
    Object.assign(ref, { id: res.body.id, state: ref.needsApproval ? 'awaiting' : 'processing', since: Date.now() });
    return { acked: true, effect, ref };
  }
  ctx.model.violation(`withdrawal of ${fromUnits(amount)}+${fromUnits(net.fee)} ${net.coin} on ${net.network} `
    + `(floor ${fromUnits(me.floor[net.coin])}): ${brief(res)}`);
  return { acked: false, effect, ref };
}

// The operator, over the admin socket: approves or rejects a withdrawal awaiting approval, or
// fails or rejects one still processing (which may have left for the chain meanwhile: then the
// answer is that it is completed, and nothing changes). Reject and fail return amount + fee.
async function withdrawOperator(ctx) {
  const { me, rng } = ctx;
  const now = Date.now();
  const awaiting = me.withdrawals.filter((op) => op.ref.state === 'awaiting');
  const processing = me.withdrawals.filter((op) => (op.ref.state === 'processing' || op.ref.state === 'approved')
    && now - op.ref.since < WITHDRAW_DELAY_MS * 0.6);
  let w;
  let action;
  if (awaiting.length > 0 && (processing.length === 0 || rng.chance(0.5))) {
    w = rng.pick(awaiting);
    action = rng.chance(0.6) ? 'approve' : 'reject';
  } else if (processing.length > 0) {
    w = processing[processing.length - 1];
    action = rng.chance(0.7) ? 'fail' : 'reject';
  } else {
    return fallback(ctx);
  }
  const { id, asset, amount, fee } = w.ref;
  const ref = { type: 'withdrawAction', action, id, w };
  const effect = action === 'approve' ? [] : [[me.uid, asset, amount + fee]];
  let r;
  try {
    r = await adminCall(ctx.world.dataDir, { cmd: `withdrawal.${action}`, id, reason: `r-test ${action}` });
  } catch {
    return { unknown: true, effect, ref };
  }
  const now2 = { approve: 'processing', reject: 'rejected', fail: 'failed' }[action];
  if (r.ok && r.text.startsWith(`withdrawal ${id} is now ${now2}`)
    && (action === 'approve' || /the amount and fee are back in the user's balance/.test(r.text))) {
    return { acked: true, effect, ref };
  }
  const wasProcessing = w.ref.state !== 'awaiting';
  const verb = action === 'reject' ? 'rejected' : 'failed';
  if (wasProcessing && !r.ok && r.text === `The withdrawal is completed; only open ones can be ${verb}.`) {
    ref.saidCompleted = true;  // the chain was first: checkWorld finds it completed
    w.ref.state = 'completed';
    return { acked: false, effect, ref };
  }
  ctx.model.violation(`withdrawal.${action} ${id} (${w.ref.state}): ${r.ok} ${r.text}`);
  return { acked: false, effect, ref };
}

// ---- converts ----

const getQuote = (ctx, params) => ctx.client.send('POST', '/sapi/v1/convert/getQuote', params);
const acceptQuote = (client, quoteId) => client.send('POST', '/sapi/v1/convert/acceptQuote', { quoteId });
const isQuote = (b) => b && /^[0-9a-f]{32}$/.test(b.quoteId) && typeof b.validTimestamp === 'number'
  && /^\d+\.\d{8}$/.test(b.fromAmount) && /^\d+\.\d{8}$/.test(b.toAmount);

// A convert the user surely can pay: quote (for a fromAmount, or for a toAmount sized to cost
// about as much), then accept; the effect is what the quote said. A quote may come too late to
// accept (the server was slow): then -7420 is right and nothing moves. One quote in ten is left
// to expire instead (convertExpired accepts it later).
async function convert(ctx) {
  const { me, rng } = ctx;
  // As often into USDT as out of it, so that the desk's inventory does not drift one way.
  const froms = ASSETS.filter((a) => me.floor[a] >= MIN_CONVERT[a] * 2n);
  if (froms.length === 0) return fallback(ctx);
  const others = froms.filter((a) => a !== 'USDT');
  const from = froms.includes('USDT') && (others.length === 0 || rng.chance(0.5)) ? 'USDT' : rng.pick(others);
  const to = from === 'USDT' ? rng.pick(['BTC', 'ETH', 'XRP']) : 'USDT';
  const budget = MIN_CONVERT[from] + rng.units(me.floor[from] / 6n - MIN_CONVERT[from]);
  const params = { fromAsset: from, toAsset: to };
  let want = null;
  if (rng.chance(0.3)) {
    want = BigInt(Math.floor((Number(budget) * REF_PRICE[from] * 0.98) / REF_PRICE[to]));
    if (want >= MIN_CONVERT[to]) params.toAmount = fromUnits(want);
    else want = null;
  }
  if (want === null) params.fromAmount = fromUnits(budget);
  const q = await getQuote(ctx, params);
  if (q.status === 0) return { unknown: true, effect: [], ref: null, kind: 'convertQuote' };
  if (q.status !== 200) {
    // The desk may run short of what the users keep buying: a refusal, nothing moves.
    if (!isError(q, [400, -7423])) ctx.model.violation(`getQuote ${JSON.stringify(params)}: ${brief(q)}`);
    return { acked: false, effect: [], ref: null, kind: 'convertQuote', code: q.body?.code };
  }
  if (!isQuote(q.body) || (want === null ? toUnits(q.body.fromAmount) !== budget : toUnits(q.body.toAmount) !== want)) {
    ctx.model.violation(`getQuote ${JSON.stringify(params)} answered ${q.text}`);
    return { acked: false, effect: [], ref: null, kind: 'convertQuote' };
  }
  const fromAmount = toUnits(q.body.fromAmount);
  const toAmount = toUnits(q.body.toAmount);
  const { quoteId, validTimestamp } = q.body;
  if (fromAmount > me.floor[from] || rng.chance(0.1)) {
    if (me.staleQuotes.length < 20) me.staleQuotes.push({ quoteId, validTimestamp });
    return { acked: true, effect: [], ref: null, kind: 'convertQuote' };
  }
  const ref = { type: 'convert', uid: me.uid, quoteId, from, to, fromAmount, toAmount, validTimestamp };
  const effect = [[me.uid, from, -fromAmount], [me.uid, to, toAmount]];
  const a = await acceptQuote(ctx.client, quoteId);
  if (a.status === 0) return { unknown: true, effect, ref };
  if (a.status === 200 && /^\d+$/.test(a.body?.orderId) && a.body.orderStatus === 'SUCCESS'
    && typeof a.body.createTime === 'number') {
    ref.orderId = Number(a.body.orderId);
    return { acked: true, effect, ref };
  }
  if (isError(a, QUOTE_UNKNOWN) && Date.now() >= validTimestamp) {
    ref.late = true;
    return { acked: false, effect, ref, kind: 'convertLate', code: -7420 };
  }
  // Other clients' converts took what the desk had since the quote (errors.md -7423): refused.
  if (isError(a, [400, -7423])) return { acked: false, effect, ref, kind: 'convertDeskShort', code: -7423 };
  ctx.model.violation(`acceptQuote ${quoteId} (${fromUnits(fromAmount)} ${from} -> ${fromUnits(toAmount)} ${to}, `
    + `floor ${fromUnits(me.floor[from])}, valid until ${validTimestamp}, now ${Date.now()}): ${brief(a)}`);
  return { acked: false, effect, ref };
}

const deskRequest = (ref) => ({ cmd: 'desk.fund', asset: ref.asset, amount: fromUnits(ref.amount), ref: ref.ref });

// The operator puts inventory on the convert desk (once per reference).
export async function deskFund(ctx, asset, amount) {
  const ref = { type: 'deskFund', asset, amount, ref: `desk-${ctx.model.seed.toString(36)}-${ctx.me.idx}-${(deskCounter++).toString(36)}` };
  ctx.world.sentFundings[asset] += amount;
  let r;
  try {
    r = await adminCall(ctx.world.dataDir, deskRequest(ref));
  } catch {
    return { unknown: true, effect: [], ref };
  }
  if (r.ok && r.text.startsWith(`funded the convert desk with ${fromUnits(amount)} ${asset} (reference ${ref.ref}, journal entry `)) {
    return { acked: true, effect: [], ref };
  }
  ctx.model.violation(`desk fund ${ref.ref}: ${r.ok} ${r.text}`);
  return { acked: false, effect: [], ref };
}

export const OPERATIONS = {
  // The bulk: a transfer of at most what the sender surely has, so it must succeed.
  transfer: {
    weight: 76,
    async run(ctx) {
      const { me, rng } = ctx;
      const assets = ASSETS.filter((a) => me.floor[a] > 0n);
      if (assets.length === 0) return fallback(ctx);
      const asset = rng.pick(assets);
      const amount = rng.units(me.floor[asset] / 3n > 0n ? me.floor[asset] / 3n : me.floor[asset]);
      const to = other(ctx);
      const clientTranId = newTranId(ctx);
      const ref = { type: 'transfer', from: me.uid, to: to.uid, asset, amount, clientTranId };
      const effect = [[me.uid, asset, -amount], [to.uid, asset, amount]];
      const res = await postTransfer(ctx, to, asset, fromUnits(amount), clientTranId, rng.chance(0.5));
      if (res.status === 0) return { unknown: true, effect, ref };
      if (res.status === 200 && typeof res.body?.tranId === 'number' && res.body.clientTranId === clientTranId) {
        ref.tranId = res.body.tranId;
        return { acked: true, effect, ref };
      }
      ctx.model.violation(`transfer of ${fromUnits(amount)} ${asset} (floor ${fromUnits(me.floor[asset])}) ${brief(res)}`);
      return { acked: false, effect, ref };
    },
  },
  // More than all of the asset there is: must be refused, whatever the balances are.
  transferOverBalance: {
    weight: 4,
    run: (ctx) => {
      const asset = ctx.rng.pick(ASSETS);
      const amount = ctx.world.supply(asset) + 1n + ctx.rng.units(100000000n);
      return expectRefusal(ctx, 'transferOverBalance', () => postTransfer(ctx, other(ctx), asset, fromUnits(amount),
        newTranId(ctx), ctx.rng.chance(0.5)), INSUFFICIENT);
    },
  },
  transferUnknownAsset: {
    weight: 1,
    run: (ctx) => {
      const asset = ctx.rng.pick(['DOGE', 'ZZZ', 'BTCX']);
      return expectRefusal(ctx, 'transferUnknownAsset', () => postTransfer(ctx, other(ctx), asset, '1', newTranId(ctx)),
        [400, -7410]);
    },
  },
  transferBadAmount: {
    weight: 1.5,
    run: (ctx) => {
      const amount = ctx.rng.pick(['0', '-1', '0.000000001', 'abc', '1e3', '', '1.', '.5', '92233720368.54775808',
        '99999999999999999999']);
      return expectRefusal(ctx, 'transferBadAmount', () => postTransfer(ctx, other(ctx), ctx.rng.pick(ASSETS), amount,
        newTranId(ctx)), [400, -1102]);
    },
  },
  transferToSelf: {
    weight: 0.5,
    run: (ctx) => expectRefusal(ctx, 'transferToSelf', () => postTransfer(ctx, ctx.me, 'USDT', '1', newTranId(ctx),
      ctx.rng.chance(0.5)), [400, -7412]),
  },
  transferNoRecipient: {
    weight: 0.5,
    run: (ctx) => expectRefusal(ctx, 'transferNoRecipient', () => ctx.client.send('POST', '/sapi/v1/transfer/internal',
      { toEmail: `nobody-${ctx.rng.int(1e9)}@example.com`, asset: 'USDT', amount: '1', clientTranId: newTranId(ctx) }),
    [400, -7411]),
  },
  // The same clientTranId and parameters again: the first tranId, nothing moves.
  transferReplay: {
    weight: 3,
    async run(ctx) {
      const { me, rng } = ctx;
      if (me.transfers.length === 0) return fallback(ctx);
      const first = rng.pick(me.transfers.slice(-50)).ref;
      const ref = { ...first, replay: true };
      const res = await postTransfer(ctx, ctx.model.byUid.get(first.to), first.asset, fromUnits(first.amount),
        first.clientTranId, rng.chance(0.5));
      if (res.status === 0) return { unknown: true, effect: [], ref };
      if (res.status !== 200 || res.body?.tranId !== first.tranId) {
        ctx.model.violation(`replay of ${first.clientTranId} (tranId ${first.tranId}): ${brief(res)}`);
      }
      return { acked: res.status === 200, effect: [], ref };
    },
  },
  // The same clientTranId with another amount: refused, nothing moves.
  transferConflict: {
    weight: 1,
    async run(ctx) {
      const { me, rng } = ctx;
      if (me.transfers.length === 0) return fallback(ctx);
      const first = rng.pick(me.transfers.slice(-50)).ref;
      return expectRefusal(ctx, 'transferConflict', () => postTransfer(ctx, ctx.model.byUid.get(first.to), first.asset,
        fromUnits(first.amount + 1n), first.clientTranId), CONFLICT);
    },
  },
  // A chain deposit reported by the operator, over the admin socket (what `keygate admin deposit`
  // sends); depositCli runs the real CLI, which is slower.
  deposit: { weight: 2, run: (ctx) => deposit(ctx, false) },
  depositCli: { weight: 0.15, run: (ctx) => deposit(ctx, true) },
  depositReplay: {
    weight: 0.5,
    async run(ctx) {
      const { me, rng } = ctx;
      if (me.deposits.length === 0) return { ...(await deposit(ctx, false)), kind: 'deposit' };
      const first = rng.pick(me.deposits).ref;
      const ref = { ...first, replay: true };
      let r;
      try {
        r = await adminCall(ctx.world.dataDir, depositRequest(me, first));
      } catch {
        return { unknown: true, effect: [], ref };
      }
      if (!r.ok || !/already credited; nothing changed/.test(r.text)) {
        ctx.model.violation(`deposit replay ${first.txid}: ${r.ok} ${r.text}`);
      }
      return { acked: r.ok, effect: [], ref };
    },
  },
  // ---- withdrawals ----
  withdraw: { weight: 4, run: withdraw },
  // The same withdrawOrderId and parameters again (the network named or left to its default):
  // the first id, nothing moves, whatever the withdrawal's status now.
  withdrawReplay: {
    weight: 0.6,
    async run(ctx) {
      const { me, rng } = ctx;
      const mine = me.withdrawals.slice(-50).filter((op) => op.ref.withdrawOrderId);
      if (mine.length === 0) return fallback(ctx);
      const first = rng.pick(mine).ref;
      const ref = { ...first, replay: true };
      const res = await postWithdraw(ctx, withdrawParams(first, first.isDefault && rng.chance(0.5)));
      if (res.status === 0) return { unknown: true, effect: [], ref };
      if (res.status !== 200 || JSON.stringify(res.body) !== JSON.stringify({ id: first.id })) {
        ctx.model.violation(`replay of withdrawOrderId ${first.withdrawOrderId} (id ${first.id}): ${brief(res)}`);
      }
      return { acked: res.status === 200, effect: [], ref };
    },
  },
  // The same withdrawOrderId with another amount, address or network: -7419, nothing moves.
  withdrawConflict: {
    weight: 0.4,
    async run(ctx) {
      const { me, rng, world } = ctx;
      const mine = me.withdrawals.slice(-50).filter((op) => op.ref.withdrawOrderId);
      if (mine.length === 0) return fallback(ctx);
      const first = rng.pick(mine).ref;
      const net = world.networks[first.asset].find((n) => n.network === first.network);
      const changed = { ...first };
      const how = rng.int(3);
      if (how === 0) changed.amount = first.amount + net.multiple <= net.max ? first.amount + net.multiple : first.amount - net.multiple;
      else if (how === 1) Object.assign(changed, freshAddress(rng, net));
      else {
        const others = world.networks[first.asset].filter((n) => n.network !== first.network);
        if (others.length === 0) changed.amount = first.amount === net.min ? net.min + net.multiple : net.min;
        else Object.assign(changed, { network: others[0].network }, freshAddress(rng, others[0]));
      }
      return expectRefusal(ctx, 'withdrawConflict', () => postWithdraw(ctx, withdrawParams(changed)), WITHDRAW_CONFLICT);
    },
  },
  // More than all of the asset there is (users and desk together), within the network's range.
  withdrawOverBalance: {
    weight: 0.5,
    run: (ctx) => {
      const { rng, world } = ctx;
      const nets = ASSETS.flatMap((a) => world.networks[a]).filter((n) => world.supply(n.coin) + 2n <= n.max);
      if (nets.length === 0) return fallback(ctx);
      const net = rng.pick(nets);
      const over = world.supply(net.coin) + 1n;
      let amount = roundTo(over + rng.units(bmin(net.max - over, toUnits('1000'))), net.multiple);
      if (amount < over) amount += net.multiple;
      if (amount > net.max) return fallback(ctx);
      const ref = { asset: net.coin, network: net.network, ...freshAddress(rng, net), amount, withdrawOrderId: newWithdrawId(ctx) };
      return expectRefusal(ctx, 'withdrawOverBalance', () => postWithdraw(ctx, withdrawParams(ref)), INSUFFICIENT);
    },
  },
  // Refused before any money is looked at, each with its code; a fresh address each, so that a
  // wrongly accepted one would show in the history as never sent.
  withdrawInvalid: {
    weight: 0.8,
    run: (ctx) => {
      const { rng, world } = ctx;
      const net = rng.pick(ASSETS.flatMap((a) => world.networks[a]));
      const ref = { asset: net.coin, network: net.network, ...freshAddress(rng, net), amount: net.min, withdrawOrderId: newWithdrawId(ctx) };
      let code;
      switch (rng.int(6)) {
        case 0: ref.address = rng.pick(['0x12', 'hello', `0x${'a'.repeat(39)}`, 'bc1q', 'T123', 'r0OIl']); code = -7416; break;
        case 1: ref.amount = net.min - 1n; code = -7418; break;
        case 2: ref.amount = net.max + 1n; code = -7418; break;
        case 3: ref.network = 'BSC'; code = -7414; break;
        case 4: ref.tag = net.memoRe ? 'memo-x' : '123'; code = -7417; break;
        default: ref.asset = rng.pick(['DOGE', 'ZZZ']); code = -7410; break;
      }
      return expectRefusal(ctx, 'withdrawInvalid', () => postWithdraw(ctx, withdrawParams(ref)), [400, code]);
    },
  },
  withdrawOperator: { weight: 0.8, run: withdrawOperator },
  // ---- converts ----
  convert: { weight: 4, run: convert },
  // A quote accepted again: -7421, nothing moves (also after a restart: accepted quotes are rows).
  convertAgain: {
    weight: 0.4,
    async run(ctx) {
      const { me, rng } = ctx;
      if (me.converts.length === 0) return fallback(ctx);
      const first = rng.pick(me.converts.slice(-50)).ref;
      return expectRefusal(ctx, 'convertAgain', () => acceptQuote(ctx.client, first.quoteId), QUOTE_ACCEPTED);
    },
  },
  // A quote past its validTimestamp (or, without one, a quote id never given): -7420.
  convertExpired: {
    weight: 0.4,
    run: (ctx) => {
      const { me, rng } = ctx;
      const i = me.staleQuotes.findIndex((q) => Date.now() > q.validTimestamp + 20);
      const quoteId = i >= 0 ? me.staleQuotes.splice(i, 1)[0].quoteId : chars(rng, HEX, 32);
      return expectRefusal(ctx, 'convertExpired', () => acceptQuote(ctx.client, quoteId), QUOTE_UNKNOWN);
    },
  },
  // A quote for more XRP than there is (users and desk together): given (the desk can pay it in
  // USDT) or refused for the desk (-7423); its accept is -2010, and again, as the quote stays open.
  convertOverBalance: {
    weight: 0.3,
    async run(ctx) {
      const { rng, world } = ctx;
      const amount = world.supply('XRP') + 1n + rng.units(toUnits('1000'));
      const q = await getQuote(ctx, { fromAsset: 'XRP', toAsset: 'USDT', fromAmount: fromUnits(amount) });
      if (q.status === 0) return { unknown: true, effect: [], ref: null };
      if (isError(q, [400, -7423])) return { acked: false, effect: [], ref: null, code: -7423 };
      if (q.status !== 200 || !isQuote(q.body)) {
        ctx.model.violation(`convertOverBalance getQuote: ${brief(q)}`);
        return { acked: false, effect: [], ref: null };
      }
      const times = rng.chance(0.3) ? 2 : 1;
      // An accept that reaches a slow server after the quote's validTimestamp finds it expired
      // (-7420, as in convert): refused too, and nothing moves either way.
      const late = (res) => isError(res, QUOTE_UNKNOWN) && Date.now() >= q.body.validTimestamp;
      let last;
      for (let i = 0; i < times; i++) {
        last = await expectRefusal(ctx, 'convertOverBalance', () => acceptQuote(ctx.client, q.body.quoteId), INSUFFICIENT, late);
        if (last.unknown) break;
      }
      return last;
    },
  },
  deskFund: {
    weight: 0.05,
    run: (ctx) => {
      const asset = ctx.rng.pick(ASSETS);
      return deskFund(ctx, asset, ctx.rng.units(DEPOSIT_RANGES[asset]));
    },
  },
  // A balance read: never negative, never below what this client knows the user has.
  balance: {
    weight: 5,
    async run(ctx) {
      const { me } = ctx;
      const res = await ctx.client.send('GET', '/api/v3/account');
      if (res.status === 0) return { unknown: true, effect: [], ref: null };
      if (res.status !== 200) {
        ctx.model.violation(`account: ${brief(res)}`);
        return { acked: false, effect: [], ref: null };
      }
      for (const b of res.body.balances) {
        const free = toUnits(b.free);
        if (free < 0n || toUnits(b.locked) < 0n) ctx.model.violation(`negative balance ${me.uid} ${b.asset} ${b.free}/${b.locked}`);
        if (me.floor[b.asset] !== undefined) {
          if (free < me.floor[b.asset]) {
            ctx.model.violation(`lost update: ${me.uid} ${b.asset} free ${b.free} < ${fromUnits(me.floor[b.asset])} it surely has`);
          }
          me.floor[b.asset] = free;
        }
      }
      return { acked: true, effect: [], ref: null };
    },
  },
};

const depositRequest = (me, ref) => ({
  cmd: 'deposit', email: me.email, asset: ref.asset, amount: fromUnits(ref.amount), txid: ref.txid,
});

export const DEPOSIT_RANGES = { BTC: toUnits('5'), ETH: toUnits('50'), USDT: toUnits('50000'), XRP: toUnits('50000') };

async function deposit(ctx, viaCli, amount, fixedAsset) {
  const { me, rng } = ctx;
  const asset = fixedAsset ?? rng.pick(ASSETS);
  const ref = { type: 'deposit', uid: me.uid, asset, amount: amount ?? rng.units(DEPOSIT_RANGES[asset] / 10n), txid: newTxid(ctx) };
  const effect = [[me.uid, asset, ref.amount]];
  ctx.world.sentDeposits[asset] += ref.amount;
  let ok;
  let text;
  if (viaCli) {
    const r = await admin(ctx.world.dataDir, ['deposit', '--email', me.email, '--asset', asset, '--amount',
      fromUnits(ref.amount), '--txid', ref.txid]);
    if (/not running|lost the connection|no valid reply/.test(r.stderr) || r.signal) return { unknown: true, effect, ref };
    ok = r.code === 0;
    text = r.code === 0 ? r.stdout : r.stderr;
  } else {
    try {
      ({ ok, text } = await adminCall(ctx.world.dataDir, depositRequest(me, ref)));
    } catch {
      return { unknown: true, effect, ref };
    }
  }
  if (ok && /credited .* journal entry \d+/.test(text)) return { acked: true, effect, ref };
  ctx.model.violation(`deposit ${ref.txid} ${fromUnits(ref.amount)} ${asset}: ${ok} ${text}`);
  return { acked: false, effect, ref };
}

// ---------------------------------------------------------------------------------------------
// The world: one server, its users and their clients.

export class World {
  constructor(server, users, model, seed) {
    this.server = server;
    this.users = users;
    this.model = model;
    this.seed = seed;
    this.sentDeposits = zeroAssets();  // every deposit ever sent
    this.sentFundings = zeroAssets();  // every desk funding ever sent
    this.baselineVerify = null;  // `ledger verify` before the users existed (set by the test)
    this.t0 = Date.now();
    this.networks = null;  // coin -> [{coin, network, fee, min, max, ...}] (init)
    this.attach(server);
  }

  // The coins' networks, as a client sees them (GET /sapi/v1/capital/config/getall).
  async init() {
    const r = await this.users[0].client.send('GET', '/sapi/v1/capital/config/getall');
    assert.equal(r.status, 200, `config/getall: ${brief(r)}`);
    this.networks = {};
    for (const a of ASSETS) {
      const coin = r.body.find((c) => c.coin === a);
      assert.ok(coin, `config/getall has no ${a}`);
      this.networks[a] = coin.networkList.filter((n) => n.withdrawEnable).map((n) => ({
        coin: a,
        network: n.network,
        isDefault: n.isDefault,
        fee: toUnits(n.withdrawFee),
        min: toUnits(n.withdrawMin),
        max: toUnits(n.withdrawMax),
        multiple: toUnits(n.withdrawIntegerMultiple),
        addressRe: new RegExp(n.addressRegex),
        memoRe: n.memoRegex ? new RegExp(n.memoRegex) : null,
        approvalAbove: APPROVAL_ABOVE[`${a}/${n.network}`],
      }));
      assert.ok(this.networks[a].length > 0, `${a} has a network to withdraw on`);
    }
  }

  get url() { return this.server.url; }
  get dataDir() { return this.server.dataDir; }

  attach(server) {
    for (const u of this.users) u.client?.close();
    this.server = server;
    for (const u of this.users) u.client = new SignedClient(server.url, u.key);
  }

  close() { for (const u of this.users) u.client?.close(); }

  // An upper bound of how much of the asset our users hold (for transfers, withdrawals and
  // converts that must fail): all that came in from the chain, and all the convert desk ever had.
  supply(asset) {
    return this.sentDeposits[asset] + this.sentFundings[asset] + (this.baselineVerify?.totals[asset]?.desk ?? 0n);
  }

  // Every user gets a deposit of every asset (acked ones are in the model).
  async fund(rng) {
    await Promise.all(this.users.map(async (me) => {
      for (const asset of ASSETS) {
        const ctx = { me, rng, model: this.model, world: this };
        const amount = DEPOSIT_RANGES[asset] / 2n + rng.units(DEPOSIT_RANGES[asset] / 2n);
        this.model.record('fund', me, await deposit(ctx, false, amount, asset));
      }
    }));
    // More on the desk than the demo's, so that users can keep converting into XRP and USDT.
    const me = this.users[0];
    for (const asset of ['USDT', 'XRP']) {
      this.model.record('deskFund', me, await deskFund({ me, rng, model: this.model, world: this }, asset, toUnits('4000000')));
    }
  }
}

// Picks an operation kind by weight.
export function picker(ops) {
  const names = Object.keys(ops).filter((k) => ops[k].weight > 0);
  const total = names.reduce((s, k) => s + ops[k].weight, 0);
  return (rng) => {
    let x = rng.next() * total;
    for (const k of names) {
      x -= ops[k].weight;
      if (x < 0) return k;
    }
    return names[names.length - 1];
  };
}

// Runs every user's client until `total` operations were sent in all (or stop(sent) says so, or
// its server stops answering). Resolves {ops, ms}.
export async function runLoad(world, { total = Infinity, stop = () => false, ops = OPERATIONS, seed, onUnknown } = {}) {
  const pick = picker(ops);
  const model = world.model;
  let sent = 0;
  const t0 = Date.now();
  await Promise.all(world.users.map(async (me) => {
    const rng = makeRng((seed ^ Math.imul(me.idx + 1, 0x9e3779b1)) >>> 0);
    const ctx = { me, rng, model, world, client: me.client };
    while (sent < total && !stop(sent)) {
      sent += 1;
      const kind = pick(rng);
      const res = await ops[kind].run(ctx);
      const op = model.record(kind, me, res);
      if (op.status === 'unknown') {
        onUnknown?.(op);
        break;  // the server is gone: this client waits for the restart
      }
    }
  }));
  return { ops: sent, ms: Date.now() - t0 };
}

// ---------------------------------------------------------------------------------------------
// Checks.

// What the ledger's accounts other than the chain's (users, fees, pending withdrawals, desk, ...)
// hold of an asset: a line of `ledgerVerify().totals`.
export const heldTotal = (t) => Object.entries(t).filter(([k]) => k !== 'external').reduce((sum, [, v]) => sum + v, 0n);

// Waits until no withdrawal of our users is processing (status 4): the chain completes each
// KEYGATE_WALLET_WITHDRAW_DELAY_MS after it started (after a restart too). Then nothing moves on
// its own, and the histories and `ledger verify` describe the same state.
export async function settleWithdrawals(world, ms = 15000) {
  const t0 = Date.now();
  let first;
  for (;;) {
    let open = 0;
    await Promise.all(world.users.map(async (u) => {
      const r = await u.client.send('GET', '/sapi/v1/capital/withdraw/history', { status: 4, limit: 1000 });
      assert.equal(r.status, 200, `withdraw history of ${u.uid}: ${brief(r)}`);
      open += r.body.length;
    }));
    first ??= open;
    if (open === 0) return { ok: true, ms: Date.now() - t0, first };
    if (Date.now() - t0 > ms) return { ok: false, open, ms: Date.now() - t0, first };
    await sleep(50);
  }
}

async function fetchAll(world) {
  const out = new Map();
  await Promise.all(world.users.map(async (u) => {
    const c = new SignedClient(world.url, u.key);
    try {
      const acct = await c.send('GET', '/api/v3/account');
      assert.equal(acct.status, 200, `account of ${u.uid}: ${brief(acct)}`);
      const hist = await c.send('GET', '/sapi/v1/transfer/internal/history', { limit: 500 });
      assert.equal(hist.status, 200, `transfer history of ${u.uid}: ${brief(hist)}`);
      const deposits = [];
      for (let offset = 0; ; offset += 1000) {
        const d = await c.send('GET', '/sapi/v1/capital/deposit/hisrec', { offset, limit: 1000 });
        assert.equal(d.status, 200, `deposit history of ${u.uid}: ${brief(d)}`);
        deposits.push(...d.body);
        if (d.body.length < 1000) break;
      }
      const withdrawals = [];
      for (let offset = 0; ; offset += 1000) {
        const w = await c.send('GET', '/sapi/v1/capital/withdraw/history', { offset, limit: 1000 });
        assert.equal(w.status, 200, `withdraw history of ${u.uid}: ${brief(w)}`);
        withdrawals.push(...w.body);
        if (w.body.length < 1000) break;
      }
      // tradeFlow pages backwards in time (newest first, at most 1000 a page).
      const converts = new Map();
      const startTime = world.t0 - 60000;
      for (let endTime = Date.now() + 60000; ;) {
        const f = await c.send('GET', '/sapi/v1/convert/tradeFlow', { startTime, endTime, limit: 1000 });
        assert.equal(f.status, 200, `tradeFlow of ${u.uid}: ${brief(f)}`);
        for (const row of f.body.list) converts.set(row.orderId, row);
        if (!f.body.moreData) break;
        const oldest = Math.min(...f.body.list.map((x) => x.createTime));
        assert.ok(oldest < endTime, `tradeFlow of ${u.uid}: 1000 converts in one millisecond`);
        endTime = oldest;
      }
      out.set(u.uid, {
        balances: Object.fromEntries(acct.body.balances.map((b) => [b.asset, { free: toUnits(b.free), locked: toUnits(b.locked) }])),
        transfers: hist.body.rows,
        deposits,
        withdrawals,
        converts: [...converts.values()],
      });
    } finally {
      c.close();
    }
  }));
  return out;
}

// Compares the server with the model. Resolves each unknown operation from the histories first
// (committed: it becomes acked; not there: refused). Returns a report; `problems` must be empty.
// replays: first send again (a sample of) every user's acked withdrawals with a withdrawOrderId
// (the first id, nothing moves) and accept its acked quotes again (-7421), before the state is read.
export async function checkWorld(world, { label = '', verify = true, replayDeposits = false, replays = false } = {}) {
  const { model } = world;
  const problems = [];
  const problem = (s) => { if (problems.length < 100) problems.push(`${label}${s}`); };

  // Desk fundings that got no answer: the reference makes a replay safe; it says whether the
  // first one was applied (then nothing changes now) or not (then it is applied now).
  for (const op of model.fundings.values()) {
    if (op.status !== 'unknown') continue;
    const { ref } = op;
    let r;
    try {
      r = await adminCall(world.dataDir, deskRequest(ref));
    } catch (e) {
      r = { ok: false, text: e.message };
    }
    const what = `${fromUnits(ref.amount)} ${ref.asset}`;
    if (r.ok && r.text.startsWith(`reference ${ref.ref} already funded the desk with ${what} `)) op.fundedBy = 'first';
    else if (r.ok && r.text.startsWith(`funded the convert desk with ${what} (reference ${ref.ref},`)) op.fundedBy = 'replay';
    else problem(`desk funding ${ref.ref} replayed: ${r.ok} ${r.text}`);
  }

  let replayedWithdrawals = 0;
  let replayedConverts = 0;
  if (replays) {
    await Promise.all(world.users.map(async (u) => {
      const c = new SignedClient(world.url, u.key);
      try {
        for (const op of u.withdrawals.filter((o) => o.ref.withdrawOrderId).slice(-10)) {
          const r = await c.send('POST', '/sapi/v1/capital/withdraw/apply', withdrawParams(op.ref));
          replayedWithdrawals += 1;
          if (r.status !== 200 || r.body?.id !== op.ref.id) problem(`replay of acked withdrawal ${op.ref.id} (${op.ref.withdrawOrderId}): ${brief(r)}`);
        }
        for (const op of u.converts.slice(-10)) {
          const r = await acceptQuote(c, op.ref.quoteId);
          replayedConverts += 1;
          if (!isError(r, QUOTE_ACCEPTED)) problem(`accept again of quote ${op.ref.quoteId} (order ${op.ref.orderId}): ${brief(r)}`);
        }
      } finally {
        c.close();
      }
    }));
  }

  const settled = await settleWithdrawals(world);
  if (!settled.ok) problem(`${settled.open} withdrawals still processing ${settled.ms} ms after the load stopped`);
  const state = await fetchAll(world);

  // Transfers seen in any history, by tranId; each must be in both parties' history, the same.
  const seen = new Map();
  const windows = new Map();  // uid -> lowest tranId its (possibly truncated) history covers
  for (const [uid, st] of state) {
    const rows = st.transfers;
    windows.set(uid, rows.length >= 500 ? Math.min(...rows.map((r) => r.tranId)) : 0);
    for (const r of rows) {
      const want = r.fromUid === uid ? 'OUT' : 'IN';
      if (r.direction !== want || (r.fromUid !== uid && r.toUid !== uid)) problem(`history of ${uid}: row ${JSON.stringify(r)}`);
      const prev = seen.get(r.tranId);
      const { direction, ...same } = r;
      if (prev && JSON.stringify(prev) !== JSON.stringify(same)) problem(`tranId ${r.tranId} differs between histories`);
      seen.set(r.tranId, same);
    }
  }
  for (const r of seen.values()) {
    for (const uid of [r.fromUid, r.toUid]) {
      if (r.tranId >= windows.get(uid) && !state.get(uid).transfers.some((x) => x.tranId === r.tranId)) {
        problem(`tranId ${r.tranId} missing from the history of ${uid}`);
      }
    }
  }
  // Every committed transfer is one the clients sent (acked with this tranId, or unknown).
  const committedOps = new Set();
  for (const r of seen.values()) {
    const op = model.transfers.get(`${r.fromUid}:${r.clientTranId}`);
    if (!op) { problem(`transfer ${r.tranId} (${r.clientTranId}) was never sent`); continue; }
    const ref = op.ref;
    if (r.toUid !== ref.to || r.asset !== ref.asset || toUnits(r.amount) !== ref.amount) problem(`transfer ${r.tranId} has other parameters than sent`);
    if (op.status === 'refused') problem(`transfer ${r.clientTranId} was refused but is in the history (tranId ${r.tranId})`);
    if (op.status === 'acked' && ref.tranId !== r.tranId) problem(`transfer ${r.clientTranId} acked as ${ref.tranId}, stored as ${r.tranId}`);
    if (committedOps.has(op)) problem(`transfer ${r.clientTranId} stored twice`);
    committedOps.add(op);
    if (op.status === 'unknown') op.resolvedTranId = r.tranId;
  }
  // Every acked transfer inside the sender's and receiver's history windows is there.
  let ackedInWindow = 0;
  for (const op of model.transfers.values()) {
    if (op.status !== 'acked') continue;
    const { ref } = op;
    for (const uid of [ref.from, ref.to]) {
      if (ref.tranId < windows.get(uid)) continue;
      ackedInWindow += 1;
      if (!state.get(uid).transfers.some((x) => x.tranId === ref.tranId)) problem(`acked transfer ${ref.tranId} (${ref.clientTranId}) lost from the history of ${uid}`);
    }
  }

  // Deposits: each acked one credited (status 1, same amount); each listed one was sent.
  const listed = new Map();
  for (const [uid, st] of state) {
    for (const d of st.deposits) {
      if (listed.has(d.txId)) problem(`txid ${d.txId} listed twice`);
      listed.set(d.txId, { ...d, uid });
    }
  }
  for (const [txid, d] of listed) {
    const op = model.deposits.get(txid);
    if (!op) continue;  // not ours (the demo user's welcome deposit is not one of our users)
    if (d.status !== 1) problem(`deposit ${txid} has status ${d.status}`);
    if (d.uid !== op.ref.uid || d.coin !== op.ref.asset || toUnits(d.amount) !== op.ref.amount) problem(`deposit ${txid} differs from what was sent`);
    if (op.status === 'refused') problem(`deposit ${txid} was refused but is credited`);
  }
  for (const [uid, st] of state) {
    for (const d of st.deposits) if (!model.deposits.has(d.txId)) problem(`deposit ${d.txId} of ${uid} was never sent`);
  }
  for (const op of model.deposits.values()) {
    if (op.status === 'acked' && !listed.has(op.ref.txid)) problem(`acked deposit ${op.ref.txid} lost`);
  }

  // Withdrawals: each row is one the clients sent (found by its fresh address), with what was
  // sent and the network's fee; each acked one is there under the id it was acked with.
  const wids = new Set();
  for (const op of model.withdrawals.values()) op.row = undefined;
  for (const [uid, st] of state) {
    for (const r of st.withdrawals) {
      if (wids.has(r.id)) problem(`withdrawal id ${r.id} listed twice`);
      wids.add(r.id);
      const op = model.withdrawals.get(wkey(uid, r.address, r.addressTag));
      if (!op) { problem(`withdrawal ${r.id} of uid ${uid} (${r.amount} ${r.coin} to ${r.address}) was never sent`); continue; }
      const { ref } = op;
      if (r.coin !== ref.asset || r.network !== ref.network || toUnits(r.amount) !== ref.amount
        || toUnits(r.transactionFee) !== ref.fee || (r.withdrawOrderId ?? '') !== ref.withdrawOrderId) {
        problem(`withdrawal ${r.id} differs from what was sent: ${JSON.stringify(r)} vs ${fromUnits(ref.amount)}+${fromUnits(ref.fee)} ${ref.asset} on ${ref.network} '${ref.withdrawOrderId}'`);
      }
      if (op.status === 'refused') problem(`withdrawal to ${ref.address} was refused but is in the history (id ${r.id})`);
      if (op.status === 'acked' && ref.id !== r.id) problem(`withdrawal to ${ref.address} acked as ${ref.id}, stored as ${r.id}`);
      if (op.row) problem(`withdrawal to ${ref.address} stored twice (ids ${op.row.id}, ${r.id})`);
      op.row = r;
    }
  }
  for (const op of model.withdrawals.values()) {
    if (op.status === 'acked' && !op.row) problem(`acked withdrawal ${op.ref.id} (${op.ref.withdrawOrderId || op.ref.address}) lost`);
  }

  // Converts: each settled quote is one a client accepted, with the quote's amounts; each acked
  // accept is there with the orderId it was acked with.
  const settledQuotes = new Map();
  for (const [uid, st] of state) {
    for (const r of st.converts) {
      if (settledQuotes.has(r.quoteId)) problem(`quote ${r.quoteId} settled twice`);
      settledQuotes.set(r.quoteId, r);
      const op = model.converts.get(r.quoteId);
      if (!op) { problem(`convert order ${r.orderId} of uid ${uid} (quote ${r.quoteId}) was never accepted by a client`); continue; }
      const { ref } = op;
      if (ref.uid !== uid || r.fromAsset !== ref.from || r.toAsset !== ref.to || toUnits(r.fromAmount) !== ref.fromAmount
        || toUnits(r.toAmount) !== ref.toAmount || r.orderStatus !== 'SUCCESS') {
        problem(`convert order ${r.orderId} differs from its quote: ${JSON.stringify(r)} vs ${fromUnits(ref.fromAmount)} ${ref.from} -> ${fromUnits(ref.toAmount)} ${ref.to}`);
      }
      if (op.status === 'refused') problem(`accept of quote ${r.quoteId} was refused${ref.late ? ' (expired)' : ''} but it settled as order ${r.orderId}`);
      if (op.status === 'acked' && ref.orderId !== r.orderId) problem(`quote ${r.quoteId} acked as order ${ref.orderId}, stored as ${r.orderId}`);
    }
  }
  for (const op of model.converts.values()) {
    if (op.status === 'acked' && !settledQuotes.has(op.ref.quoteId)) problem(`acked convert order ${op.ref.orderId} (quote ${op.ref.quoteId}) lost`);
  }

  // Unknown operations are now known: applied fully (acked) or not at all (refused).
  let resolved = 0;
  let applied = 0;
  for (const op of model.ops) {
    if (op.status !== 'unknown') continue;
    resolved += 1;
    let done = false;
    const ref = op.ref?.replay ? null : op.ref;
    if (ref?.type === 'transfer') {
      done = op.resolvedTranId !== undefined;
      if (done) ref.tranId = op.resolvedTranId;
      if (!done && windows.get(ref.from) > 0) problem(`cannot resolve ${ref.clientTranId}: history truncated`);
    } else if (ref?.type === 'deposit') {
      done = listed.has(ref.txid);
    } else if (ref?.type === 'withdraw') {
      done = op.row !== undefined;
      if (done) Object.assign(ref, { id: op.row.id, since: Date.now() });
    } else if (ref?.type === 'convert') {
      done = settledQuotes.has(ref.quoteId);
      if (done) ref.orderId = settledQuotes.get(ref.quoteId).orderId;
    } else if (ref?.type === 'deskFund') {
      done = op.fundedBy !== undefined;
    } else if (ref?.type === 'withdrawAction') {
      const status = ref.w.row?.status;
      done = ref.action === 'approve' ? status === 4 || status === 6 : status === (ref.action === 'reject' ? 3 : 5);
    }
    op.status = done ? 'acked' : 'refused';
    op.resolved = true;
    if (done) { applied += 1; model.applyFloors(op); }
  }

  // Each withdrawal's status agrees with what the operator did (only our clients act on our
  // withdrawals): rejected (3) / failed (5) iff exactly one reject / fail was applied; awaiting
  // approval (2) only above the threshold and not approved; completed (6) not returned, and
  // approved if it needed approval. What it holds in fees, pending and what left for the chain.
  const actions = new Map();  // withdraw op -> applied operator actions
  for (const op of model.ops) {
    if (op.ref?.type !== 'withdrawAction') continue;
    if (op.status === 'acked') actions.set(op.ref.w, [...(actions.get(op.ref.w) ?? []), op.ref.action]);
    if (op.ref.saidCompleted && op.ref.w.row?.status !== 6) problem(`withdrawal.${op.ref.action} ${op.ref.id} said completed, the history says ${op.ref.w.row?.status}`);
  }
  const statuses = { 2: 0, 3: 0, 4: 0, 5: 0, 6: 0 };
  const fees = zeroAssets();
  const pending = zeroAssets();
  const completed = zeroAssets();
  let approvedCompleted = 0;
  for (const op of model.withdrawals.values()) {
    const r = op.row;
    if (op.status !== 'acked' || !r) continue;
    const { ref } = op;
    const acts = actions.get(op) ?? [];
    const returns = acts.filter((a) => a !== 'approve');
    const approved = acts.includes('approve');
    const why = `withdrawal ${r.id} (${fromUnits(ref.amount)} ${ref.asset}${ref.needsApproval ? ', above the threshold' : ''}) has status ${r.status}; applied operator actions: [${acts}]`;
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status === 3 || r.status === 5) {
      const action = r.status === 3 ? 'reject' : 'fail';
      if (returns.length !== 1 || returns[0] !== action) problem(why);
      if (r.info !== `r-test ${action}`) problem(`${why}; info '${r.info}'`);
    } else if (r.status === 2) {
      if (!ref.needsApproval || approved || returns.length > 0) problem(why);
    } else if (r.status === 6) {
      if (returns.length > 0 || (ref.needsApproval && !approved)) problem(why);
      if (approved) approvedCompleted += 1;
    } else if (r.status !== 4) {
      problem(why);
    }
    if (r.status === 2 || r.status === 4 || r.status === 6) fees[ref.asset] += ref.fee;
    if (r.status === 2 || r.status === 4) pending[ref.asset] += ref.amount;
    if (r.status === 6) completed[ref.asset] += ref.amount;
    if (r.status === 6 && !/^[0-9a-f]{64}$/.test(r.txId)) problem(`completed withdrawal ${r.id} has txId '${r.txId}'`);
    ref.state = { 2: 'awaiting', 3: 'returned', 4: 'processing', 5: 'returned', 6: 'completed' }[r.status];
  }

  // Balances: exactly the effects of what was applied; none negative; totals conserved.
  const { per, deposited, funded, desk, entries } = model.expected();
  let wrong = 0;
  let negative = 0;
  const sums = zeroAssets();
  for (const u of world.users) {
    const bal = state.get(u.uid).balances;
    for (const a of ASSETS) {
      const { free, locked } = bal[a] ?? { free: 0n, locked: 0n };
      sums[a] += free + locked;
      if (free < 0n || locked < 0n) { negative += 1; problem(`negative balance: uid ${u.uid} ${a} ${fromUnits(free)}/${fromUnits(locked)}`); }
      if (free + locked !== per.get(u.uid)[a]) {
        wrong += 1;
        problem(`uid ${u.uid} ${a}: server ${fromUnits(free)}+${fromUnits(locked)}, acked operations say ${fromUnits(per.get(u.uid)[a])}`);
      }
      u.floor[a] = free;  // exact now; the next phase starts from it
    }
  }
  // Conservation per asset: Σ user balances (API) + what the other accounts of the ledger (fees,
  // pending withdrawals, the convert desk, ...) gained = Σ credited deposits + Σ desk funding −
  // Σ completed withdrawals; and each of those accounts holds what the model says. Without
  // verify, the other accounts count as what the model says.
  let v = null;
  if (verify) {
    v = await ledgerVerify(world.dataDir);
    if (!v.ok) problem(`ledger verify: exit ${v.code}\n${v.stdout}${v.stderr}`);
  }
  const base = world.baselineVerify;
  let wrongTotals = 0;
  for (const a of ASSETS) {
    const t = v?.totals[a];
    const b = base?.totals[a] ?? {};
    const delta = (k) => (t?.[k] ?? 0n) - (b[k] ?? 0n);
    const others = t ? Object.keys(t).filter((k) => !['usersFree', 'usersLocked', 'external'].includes(k))
      .reduce((sum, k) => sum + delta(k), 0n) : fees[a] + pending[a] + desk[a];
    const inflow = deposited[a] + funded[a] - completed[a];
    if (sums[a] + others !== inflow) {
      wrongTotals += 1;
      problem(`${a}: Σ balances ${fromUnits(sums[a])} + other accounts ${fromUnits(others)} != Σ credited deposits `
        + `${fromUnits(deposited[a])} + desk funding ${fromUnits(funded[a])} − completed withdrawals ${fromUnits(completed[a])}`);
    }
    if (!verify) continue;
    if (!t) { problem(`ledger verify has no line for ${a}`); continue; }
    // Every account of the ledger is a column: together they sum to zero.
    if (heldTotal(t) !== -t.external) problem(`${a}: accounts hold ${fromUnits(heldTotal(t))} != −external ${fromUnits(-t.external)}`);
    if (delta('usersFree') + delta('usersLocked') !== sums[a]) {
      problem(`${a}: ledger users ${fromUnits(delta('usersFree') + delta('usersLocked'))} != Σ API balances ${fromUnits(sums[a])}`);
    }
    const columns = [['fees', fees[a], 'Σ fees of withdrawals not returned'],
      ['pendingWithdrawal', pending[a], 'Σ open withdrawals'], ['desk', desk[a], 'desk funding + converts']];
    for (const [col, want, what] of columns) {
      if (delta(col) !== want) problem(`${a}: ${col} moved ${fromUnits(delta(col))}, ${what}: ${fromUnits(want)}`);
    }
    if (-delta('external') !== inflow) {
      problem(`${a}: the chain's account moved ${fromUnits(-delta('external'))}, deposits + desk funding − completed withdrawals: ${fromUnits(inflow)}`);
    }
  }
  const completions = statuses[6];
  if (v && base && v.entries - base.entries !== entries + completions) {
    problem(`journal has ${v.entries - base.entries} new entries; applied operations ${entries} + completed withdrawals ${completions}`);
  }

  // Replaying every acked deposit credits nothing more.
  let replayed = 0;
  if (replayDeposits) {
    await Promise.all(world.users.map(async (u) => {
      for (const op of u.deposits) {
        const r = await adminCall(world.dataDir, depositRequest(u, op.ref));
        replayed += 1;
        if (!r.ok || !/already credited; nothing changed/.test(r.text)) problem(`replay of acked deposit ${op.ref.txid}: ${r.text}`);
      }
    }));
  }

  const maxHistory = Math.max(...[...state.values()].map((s) => s.transfers.length));
  return {
    problems, wrong, negative, wrongTotals, resolved, applied, ackedInWindow, replayed, maxHistory,
    committedTransfers: seen.size, verify: v, sums, deposited, funded, completed, fees, pending, desk,
    withdrawalStatuses: statuses, approvedCompleted, converts: settledQuotes.size, settleMs: settled.ms, processingAtStart: settled.first,
    replayedWithdrawals, replayedConverts,
  };
}
