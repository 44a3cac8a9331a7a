// The reference for bench/streams.sh: a minimal WebSocket broadcaster (the `ws` package's server,
// as its README's broadcast example has it: one `send` per client per event) that sends the
// same frames as keygate's `<symbol>@trade` stream to every connection it holds, at a rate it is
// told, in one Node process with nothing else to do.
//
//   node bench/ws_broadcast.mjs [HOST]        prints "ws_broadcast listening on ws://HOST:PORT"
//
// Any WebSocket path is accepted (a client asks for /ws/btcusdt@trade as it would of keygate).
// GET /start?rate=R&count=N&template=URLENCODED_JSON answers 200 at once and then sends N events,
// R a second (paced on the clock: every turn of the event loop sends those that are due), each
// event the template with "t" (trade id), "E" and "T" (milliseconds now) set, to every open
// connection. GET /status answers {"clients", "sending", "sent"}. Nothing is buffered on
// purpose: what the `ws` package and the kernel queue is all there is.

import http from 'node:http';
import { WebSocketServer } from 'ws';

const host = process.argv[2] || '127.0.0.1';
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/status') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ clients: wss.clients.size, sending: job !== null, sent }));
    return;
  }
  if (url.pathname === '/start') {
    const rate = Number(url.searchParams.get('rate'));
    const count = Number(url.searchParams.get('count'));
    const template = JSON.parse(url.searchParams.get('template') || '{}');
    if (!(rate > 0) || !(count > 0) || job) {
      res.writeHead(400).end('rate and count > 0, one job at a time\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ clients: wss.clients.size }));
    start(rate, count, template);
    return;
  }
  res.writeHead(404).end();
});
const wss = new WebSocketServer({ server, perMessageDeflate: false, clientTracking: true });
wss.on('connection', (ws) => ws.on('error', () => {}));

let job = null;
let sent = 0;

// The frame keygate would send for trade `id` (the template is one of its frames).
function frame(template, id, now) {
  return JSON.stringify({ ...template, E: now, t: id, T: now });
}

function start(rate, count, template) {
  const t0 = performance.now();
  const first = Number(template.t || 0) + 1;
  let done = 0;
  sent = 0;
  job = setInterval(() => {
    const due = Math.min(count, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
    while (done < due) {
      const data = Buffer.from(frame(template, first + done, Date.now()));
      for (const ws of wss.clients) {
        if (ws.readyState === 1) ws.send(data, { binary: false });
      }
      done++;
      sent++;
    }
    if (done >= count) {
      clearInterval(job);
      job = null;
    }
  }, 0);
}

server.listen(0, host, () => {
  console.log(`ws_broadcast listening on ws://${host}:${server.address().port}`);
});
