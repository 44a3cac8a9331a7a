// Pre-signed requests for bench/http_transfers.lua:
//   node bench/http_gen.mjs SETUP_JSON PREFIX COUNT OUT_FILE
// SETUP_JSON is what bench/http_setup.mjs printed (its kind and users' keys). Writes COUNT lines
// "PATH<TAB>API_KEY<TAB>FORM_BODY", each one POST request:
//   transfers: /sapi/v1/transfer/internal from the first user to the second,
//     toUid=U&asset=USDT&amount=0.01&clientTranId=PREFIX-N&recvWindow=60000&timestamp=T&signature=HEX
//   orders: /api/v3/order, even N by the first user, odd N by the second,
//     symbol=BTCUSDT&side=BUY|SELL&type=LIMIT&timeInForce=GTC&quantity=0.001&price=60000
//       &newClientOrderId=PREFIX-N&newOrderRespType=RESULT&recvWindow=60000&timestamp=T&signature=HEX
//     so a BUY and a SELL at one price alternate: each fills what the other left resting, the
//     book stays one short level and half of the orders trade.
// Every line has a distinct id (so a distinct signature: the server refuses a signature it has
// seen) and timestamp = now, so the file must be used within 60 s (recvWindow). The signature is
// HMAC-SHA256 (hex) of the body as sent (binance-wire.md §2). Node 20 built-ins only.

import crypto from 'node:crypto';
import fs from 'node:fs';

const [setupFile, prefix, countText, out] = process.argv.slice(2);
const count = Number(countText);
if (!out || !(count > 0)) {
  console.error('usage: node bench/http_gen.mjs SETUP_JSON PREFIX COUNT OUT_FILE');
  process.exit(2);
}
const { kind, users } = JSON.parse(fs.readFileSync(setupFile, 'utf8'));
const timestamp = Date.now();
const tail = `recvWindow=60000&timestamp=${timestamp}`;

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
const request = kinds[kind];
if (!request) throw new Error(`unknown kind ${kind} in ${setupFile}`);

const macs = new Map();  // key material once per user, not per line
const fd = fs.openSync(out, 'w');
const chunk = [];
for (let i = 0; i < count; i++) {
  const [path, user, payload] = request(i);
  if (!macs.has(user)) macs.set(user, crypto.createSecretKey(Buffer.from(user.secretKey)));
  const signature = crypto.createHmac('sha256', macs.get(user)).update(payload).digest('hex');
  chunk.push(`${path}\t${user.apiKey}\t${payload}&signature=${signature}\n`);
  if (chunk.length === 10000) {
    fs.writeSync(fd, chunk.join(''));
    chunk.length = 0;
  }
}
fs.writeSync(fd, chunk.join(''));
fs.closeSync(fd);
