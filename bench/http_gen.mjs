// Pre-signed requests for bench/http_transfers.lua:
//   node bench/http_gen.mjs SECRET_KEY TO_UID PREFIX COUNT OUT_FILE
// writes COUNT lines, each the form body of one POST /sapi/v1/transfer/internal:
//   toUid=U&asset=USDT&amount=0.01&clientTranId=PREFIX-N&recvWindow=60000&timestamp=T&signature=HEX
// with a distinct clientTranId (so a distinct signature: the server refuses a signature it has
// seen) and timestamp = now, so the file must be used within 60 s (recvWindow). The signature is
// HMAC-SHA256 (hex) of the body as sent (binance-wire.md §2). Node 20 built-ins only.

import crypto from 'node:crypto';
import fs from 'node:fs';

const [secret, toUid, prefix, countText, out] = process.argv.slice(2);
const count = Number(countText);
if (!out || !(count > 0)) {
  console.error('usage: node bench/http_gen.mjs SECRET_KEY TO_UID PREFIX COUNT OUT_FILE');
  process.exit(2);
}
const timestamp = Date.now();
const fd = fs.openSync(out, 'w');
const chunk = [];
for (let i = 0; i < count; i++) {
  const payload = `toUid=${toUid}&asset=USDT&amount=0.01&clientTranId=${prefix}-${i}&recvWindow=60000&timestamp=${timestamp}`;
  const signature = crypto.createHmac('sha256', secret).update(payload).digest('hex');
  chunk.push(`${payload}&signature=${signature}\n`);
  if (chunk.length === 10000) {
    fs.writeSync(fd, chunk.join(''));
    chunk.length = 0;
  }
}
fs.writeSync(fd, chunk.join(''));
fs.closeSync(fd);
