// Device gateway throughput on this machine (a measurement, not a test): builds dist first
// (npm run build), then `node bench/ingest/throughput.mjs [messages]`. Sends UltraLight messages
// (3 measures each, 200 devices) over MQTT (in-process Aedes, QoS 0) and over HTTP (64 in flight),
// and reports the messages per second the gateway committed to the store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import mqtt from 'mqtt';
import { buildUrbis } from '../../dist/server/app.js';
import { resolveConfig } from '../../dist/config.js';

const N = Number(process.argv[2] ?? 20000);
const DEVICES = 200;
const port = await new Promise((resolve) => {
  const srv = net.createServer().listen(0, '127.0.0.1', () => {
    const p = srv.address().port;
    srv.close(() => resolve(p));
  });
});
const dataDir = mkdtempSync(path.join(tmpdir(), 'urbis-bench-'));
// Every default, then: loopback, silent, no demo, in-process MQTT on a free port, no access control or rate limits.
const urbis = await buildUrbis({ ...resolveConfig({}, {}), host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', demo: false, mqtt: '', mqttPort: port, open: true, rateLimit: 0, keyRateLimit: 0 });
await urbis.app.listen({ host: '127.0.0.1', port: 0 });
const base = `http://127.0.0.1:${urbis.app.server.address().port}`;
const post = (url, body) => fetch(base + url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
await post('/iot/services', { services: [{ apikey: 'bench', entity_type: 'Sensor', attributes: [{ object_id: 't', name: 'temperature', type: 'Number' }, { object_id: 'h', name: 'humidity', type: 'Number' }, { object_id: 's', name: 'state', type: 'Text' }] }] });
await post('/iot/devices', { devices: Array.from({ length: DEVICES }, (_, i) => ({ device_id: `d${i}`, apikey: 'bench' })) });
const accepted = async () => (await (await fetch(base + '/iot/stats')).json()).messages.accepted;
const payload = (i) => `t|${(i % 400) / 10}|h|${i % 100}|s|ok`;

async function waitFor(target) {
  while ((await accepted()) < target) await new Promise((r) => setTimeout(r, 20));
}

// MQTT
const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
let t0 = performance.now();
for (let i = 0; i < N; i++) client.publish(`/bench/d${i % DEVICES}/attrs`, payload(i), { qos: 0 });
await waitFor(N);
const mqttRate = N / ((performance.now() - t0) / 1000);
await client.endAsync();

// HTTP
const before = await accepted();
t0 = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: 64 }, async () => {
    while (next < N) {
      const i = next++;
      const r = await fetch(`${base}/iot/ul?k=bench&i=d${i % DEVICES}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: payload(i) });
      await r.text();
    }
  }),
);
await waitFor(before + N);
const httpRate = N / ((performance.now() - t0) / 1000);
const stats = await (await fetch(base + '/iot/stats')).json();
console.log(JSON.stringify({ messages: N, measuresPerMessage: 3, mqttMessagesPerSecond: Math.round(mqttRate), httpMessagesPerSecond: Math.round(httpRate), storeTransactions: stats.writes.transactions }, null, 1));
await urbis.close();
rmSync(dataDir, { recursive: true, force: true });
