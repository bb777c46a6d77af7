// A client that floods keyfin with random tokens from another loopback
// address, for `make bench` (bench/run): `node bench/flood.mjs PORT SECONDS
// CONNECTIONS FROM` prints {"requests":N,"seconds":S,"status":{...}} when
// the time is up.  Bounded in time; talks to 127.0.0.1:PORT only.
import http from 'node:http';
import crypto from 'node:crypto';

const [port, seconds, connections, from] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(connections), localAddress: from });
const end = Date.now() + Number(seconds) * 1000;
const status = {};
let requests = 0;

function once() {
  return new Promise((resolve) => {
    const token = crypto.randomBytes(16).toString('hex');
    const r = http.request({
      host: '127.0.0.1', port: Number(port), path: '/System/Info', agent,
      headers: { Authorization: `MediaBrowser Token="${token}", Client="flood"` },
    }, (res) => {
      res.resume();
      res.on('end', () => {
        status[res.statusCode] = (status[res.statusCode] || 0) + 1;
        resolve();
      });
    });
    r.on('error', () => { status.error = (status.error || 0) + 1; resolve(); });
    r.end();
  });
}

async function lane() {
  while (Date.now() < end) {
    await once();
    requests += 1;
  }
}

await Promise.all(Array.from({ length: Number(connections) }, lane));
agent.destroy();
console.log(JSON.stringify({ requests, seconds: Number(seconds), status }));
