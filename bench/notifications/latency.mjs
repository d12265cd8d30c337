/**
 * Notification latency and outbox overhead, measured against a real Urbis process (dist/, build
 * first with `npm run build`) and a loopback HTTP receiver in this process.
 *
 *   node bench/notifications/latency.mjs [rates=500,2000] [seconds=20]
 *
 * 1. Outbox overhead: sequential PATCHes (each acknowledged before the next) without any
 *    subscription, then with a matching subscription; mean and p50 time per acknowledged write.
 * 2. Latency: for each rate, updates are sent at a steady pace (open loop) for `seconds`; for each
 *    update, latency = receipt at the receiver - acknowledgement of the write. Reports p50, p99,
 *    max and how many notifications were lost (must be 0).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const ROOT = path.resolve(import.meta.dirname, '../..');
const rates = (process.argv[2] ?? '500,2000').split(',').map(Number);
const seconds = Number(process.argv[3] ?? 20);
const ENTITIES = 100;
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(base, method, url, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(base + '/ngsi-ld/v1' + url, { method, agent, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode < 300 ? resolve(res.statusCode) : reject(new Error(`${method} ${url}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function startUrbis(dataDir) {
  const child = spawn('node', [path.join(ROOT, 'bin/urbis.js'), 'start', '--host', '127.0.0.1', '--port', '0', '--log-level', 'info', '--data-dir', dataDir], {
    // No request rate limits: the benchmark is the only client.
    env: { ...process.env, URBIS_DEMO: '0', URBIS_MQTT: 'off', URBIS_OPEN: '1', URBIS_RATE_LIMIT: '0', URBIS_KEY_RATE_LIMIT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const base = await new Promise((resolve, reject) => {
    const t = setInterval(() => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearInterval(t);
        resolve(m[1]);
      } else if (child.exitCode !== null) reject(new Error(out));
    }, 50);
  });
  return { base, stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) };
}

/** Receipt time (ms, performance clock) of each notified value, by entity and value. */
const received = new Map();
const receiver = http.createServer((req, res) => {
  let text = '';
  req.on('data', (d) => (text += d));
  req.on('end', () => {
    const t = performance.now();
    for (const d of JSON.parse(text).data) received.set(`${d.id}|${d.v}`, t);
    res.writeHead(204).end();
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const receiverUrl = `http://127.0.0.1:${receiver.address().port}/notify`;

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (x) => x.toFixed(2);

const dataDir = mkdtempSync(path.join(tmpdir(), 'urbis-bench-notify-'));
const urbis = await startUrbis(dataDir);
try {
  for (let e = 0; e < ENTITIES; e++) await request(urbis.base, 'POST', '/entities', { id: `urn:ngsi-ld:Bench:${e}`, type: 'Bench', v: { type: 'Property', value: -1 } });

  // 1. Outbox overhead per acknowledged write (sequential).
  const sequential = async (n, label) => {
    const times = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await request(urbis.base, 'PATCH', `/entities/urn:ngsi-ld:Bench:${i % ENTITIES}/attrs`, { v: { type: 'Property', value: -1000 - i } });
      times.push(performance.now() - t0);
    }
    const mean = times.reduce((a, b) => a + b, 0) / n;
    console.log(`${label}: ${n} sequential writes, mean ${fmt(mean)} ms, p50 ${fmt(pct(times, 50))} ms, p99 ${fmt(pct(times, 99))} ms`);
    return mean;
  };
  // Three set-ups, measured twice in turn to even out the noise of a shared machine:
  // no subscription; one whose cheap test passes (outbox row, dispatch) but whose q never holds
  // (nothing delivered); one that notifies the receiver (outbox, dispatch and delivery).
  const runs = { none: [], outbox: [], delivery: [] };
  const subscribe = (extra) =>
    request(urbis.base, 'POST', '/subscriptions', {
      type: 'Subscription',
      entities: [{ type: 'Bench' }],
      notification: { format: 'keyValues', attributes: ['v'], endpoint: { uri: receiverUrl } },
      ...extra,
    });
  for (let round = 0; round < 2; round++) {
    runs.none.push(await sequential(1500, 'no subscription'));
    await subscribe({ id: `urn:ngsi-ld:Subscription:filtered-${round}`, q: 'v>1000000000' });
    runs.outbox.push(await sequential(1500, 'outbox + dispatch (q filters out)'));
    await subscribe({ id: `urn:ngsi-ld:Subscription:notified-${round}` });
    runs.delivery.push(await sequential(1500, 'outbox + dispatch + delivery'));
    await request(urbis.base, 'DELETE', `/subscriptions/urn:ngsi-ld:Subscription:filtered-${round}`);
    await request(urbis.base, 'DELETE', `/subscriptions/urn:ngsi-ld:Subscription:notified-${round}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const avg = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(
    `mean per acknowledged write: no subscription ${fmt(avg(runs.none))} ms; with outbox + dispatch +${fmt(avg(runs.outbox) - avg(runs.none))} ms; ` +
      `with delivery as well +${fmt(avg(runs.delivery) - avg(runs.none))} ms`,
  );
  await subscribe({ id: 'urn:ngsi-ld:Subscription:latency' });
  await new Promise((r) => setTimeout(r, 1000));

  // 2. Latency at steady rates.
  let seq = 0;
  for (const rate of rates) {
    received.clear();
    const acked = new Map();
    const total = rate * seconds;
    const start = performance.now();
    const pending = [];
    let errors = 0;
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const v = seq++;
      const id = `urn:ngsi-ld:Bench:${v % ENTITIES}`;
      pending.push(
        request(urbis.base, 'PATCH', `/entities/${id}/attrs`, { v: { type: 'Property', value: v } }).then(
          () => acked.set(`${id}|${v}`, performance.now()),
          () => errors++,
        ),
      );
    }
    await Promise.all(pending);
    const sent = performance.now() - start;
    const deadline = performance.now() + 60_000;
    while ([...acked.keys()].some((k) => !received.has(k)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const latencies = [];
    let lost = 0;
    for (const [k, t] of acked) {
      const r = received.get(k);
      if (r === undefined) lost++;
      else latencies.push(Math.max(0, r - t));
    }
    console.log(
      `${rate} updates/s for ${seconds} s (achieved ${fmt(total / (sent / 1000))}/s, ${errors} write errors): ${acked.size} acknowledged, ` +
        `latency p50 ${fmt(pct(latencies, 50))} ms, p99 ${fmt(pct(latencies, 99))} ms, max ${fmt(Math.max(...latencies))} ms, lost ${lost}`,
    );
  }
} finally {
  await urbis.stop();
  receiver.close();
  agent.destroy();
  rmSync(dataDir, { recursive: true, force: true });
}
