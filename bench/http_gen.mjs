// Pre-signed requests for bench/http_transfers.lua:
//   node bench/http_gen.mjs SETUP_JSON PREFIX COUNT OUT_FILE [KIND]
// SETUP_JSON is what bench/http_setup.mjs printed (its kind and users' keys); KIND, when given,
// replaces the setup's kind. Writes COUNT lines, for transfers and orders
// "PATH<TAB>API_KEY<TAB>FORM_BODY", each one POST request:
//   transfers: /sapi/v1/transfer/internal from the first user to the second,
//     toUid=U&asset=USDT&amount=0.01&clientTranId=PREFIX-N&recvWindow=60000&timestamp=T&signature=HEX
//   orders: /api/v3/order, even N by the first user, odd N by the second,
//     symbol=BTCUSDT&side=BUY|SELL&type=LIMIT&timeInForce=GTC&quantity=0.001&price=60000
//       &newClientOrderId=PREFIX-N&newOrderRespType=RESULT&recvWindow=60000&timestamp=T&signature=HEX
//     so a BUY and a SELL at one price alternate: each fills what the other left resting, the
//     book stays one short level and half of the orders trade.
// and for the GET kinds (bench/ceiling.sh, bench/scale_keys.sh) "GET<TAB>PATH<TAB>API_KEY<TAB>QUERY":
//   ping: /api/v3/ping, no key, no query (the same line COUNT times)
//   account: /api/v3/account signed with HMAC-SHA256, recvWindow=60000&timestamp=T&signature=HEX,
//     request N by the N-th of the users with a secretKey (round robin)
//   account-ed25519: the same with the users' ed25519 keys, signature=BASE64 (percent-encoded)
//     of the Ed25519 signature of the query before it
// Every signed line is distinct (so is its signature: the server refuses a signature it has seen):
// orders and transfers by their id, with timestamp = now in milliseconds; account lines by their
// timestamp, in microseconds (16 digits, which keygate and Binance accept), T = now - COUNT + N
// µs. The file must be used within 60 s (recvWindow). The HMAC signature is hex of HMAC-SHA256 of
// the payload as sent (binance-wire.md §2). Node 20 built-ins only.

import crypto from 'node:crypto';
import fs from 'node:fs';

const [setupFile, prefix, countText, out, kindArg] = process.argv.slice(2);
const count = Number(countText);
if (!out || !(count > 0)) {
  console.error('usage: node bench/http_gen.mjs SETUP_JSON PREFIX COUNT OUT_FILE [KIND]');
  process.exit(2);
}
const setup = JSON.parse(fs.readFileSync(setupFile, 'utf8'));
const kind = kindArg || setup.kind;
const { users } = setup;
const timestamp = Date.now();
const tail = `recvWindow=60000&timestamp=${timestamp}`;
const firstUs = timestamp * 1000 - count;  // account: distinct microsecond timestamps, all past
const hmacUsers = users.filter((u) => u.secretKey);
const edUsers = users.filter((u) => u.ed25519);

// [path, signing user, body without the signature] of request i.
const kinds = {
  transfers: (i) => [
    '/sapi/v1/transfer/internal', users[0],
    `toUid=${users[1].uid}&asset=USDT&amount=0.01&clientTranId=${prefix}-${i}&${tail}`,
  ],
  orders: (i) => [
    '/api/v3/order', users[i % 2],
    `symbol=BTCUSDT&side=${i % 2 ? 'SELL' : 'BUY'}&type=LIMIT&timeInForce=GTC&quantity=0.001&price=60000` +
      `&newClientOrderId=${prefix}-${i}&newOrderRespType=RESULT&${tail}`,
  ],
};
const macs = new Map();  // key material once per user, not per line
const hmacHex = (user, payload) => {
  if (!macs.has(user)) macs.set(user, crypto.createSecretKey(Buffer.from(user.secretKey)));
  return crypto.createHmac('sha256', macs.get(user)).update(payload).digest('hex');
};
const edKeys = new Map();
const edSign = (user, payload) => {
  if (!edKeys.has(user)) edKeys.set(user, crypto.createPrivateKey(user.ed25519.privateKey));
  return encodeURIComponent(crypto.sign(null, Buffer.from(payload), edKeys.get(user)).toString('base64'));
};
const accountQuery = (i) => `recvWindow=60000&timestamp=${firstUs + i}`;
// The GET kinds: the whole line of request i.
const lines = {
  ping: () => 'GET\t/api/v3/ping\t-\t\n',
  account: (i) => {
    const user = hmacUsers[i % hmacUsers.length];
    const q = accountQuery(i);
    return `GET\t/api/v3/account\t${user.apiKey}\t${q}&signature=${hmacHex(user, q)}\n`;
  },
  'account-ed25519': (i) => {
    const user = edUsers[i % edUsers.length];
    const q = accountQuery(i);
    return `GET\t/api/v3/account\t${user.ed25519.apiKey}\t${q}&signature=${edSign(user, q)}\n`;
  },
};
if (kind === 'account' && !hmacUsers.length) throw new Error(`no HMAC key in ${setupFile}`);
if (kind === 'account-ed25519' && !edUsers.length) throw new Error(`no ED25519 key in ${setupFile}`);
const request = kinds[kind];
const line = lines[kind];
if (!request && !line) throw new Error(`unknown kind ${kind}`);

const fd = fs.openSync(out, 'w');
const chunk = [];
for (let i = 0; i < count; i++) {
  if (line) {
    chunk.push(line(i));
  } else {
    const [path, user, payload] = request(i);
    chunk.push(`${path}\t${user.apiKey}\t${payload}&signature=${hmacHex(user, payload)}\n`);
  }
  if (chunk.length === 10000) {
    fs.writeSync(fd, chunk.join(''));
    chunk.length = 0;
  }
}
fs.writeSync(fd, chunk.join(''));
fs.closeSync(fd);
