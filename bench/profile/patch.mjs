// P2: single-entity PATCH /entities/{id}/attrs over keep-alive HTTP, 64 in flight, history on.
//   node bench/profile/patch.mjs [seconds=10] [entities=10000] [--profile DIR] [--data DIR]
// --data: a data directory already holding the city's first `entities` (upsert.mjs --keep).
// Loads the benchmark city's first entities (bench/lib/city.mjs, 10 attributes each), then sets
// the temperature (value, unitCode, observedAt) of a random entity per request, as P2 of
// bench/run.mjs does; prints updates/s, latency percentiles and GET /health on the same server.
import { entity, entityId, random } from '../lib/city.mjs';
import { drive, request, startServer } from './lib.mjs';

const seconds = Number(process.argv[2] ?? 10);
const pi = process.argv.indexOf('--profile');
const profileDir = pi > 0 ? process.argv[pi + 1] : undefined;
const di = process.argv.indexOf('--data');
const dataDir = di > 0 ? process.argv[di + 1] : undefined;
const ENTITIES = Number(process.argv[3] ?? 10000);

const server = await startServer({ profileDir, dataDir });
for (let b = 0; b < (dataDir ? 0 : ENTITIES); b += 100) {
  const r = await request(server.base, 'POST', '/ngsi-ld/v1/entityOperations/upsert', Array.from({ length: Math.min(100, ENTITIES - b) }, (_, k) => entity(b + k)));
  if (r.status >= 300) throw new Error(`${r.status} ${r.body}`);
}
const hello = await drive(server.base, () => ['GET', '/health'], { seconds: 2 });
const rnd = random(8);
const patch = await drive(
  server.base,
  (k) => [
    'PATCH',
    `/ngsi-ld/v1/entities/${entityId(Math.floor(rnd() * ENTITIES))}/attrs`,
    { temperature: { type: 'Property', value: Math.round(rnd() * 5000) / 100 + k / 1e6, unitCode: 'CEL', observedAt: new Date().toISOString() } },
  ],
  { seconds, expect: 204 },
);
console.log(JSON.stringify({ patch: round(patch), hello: round(hello), ratio: +(patch.rate / hello.rate).toFixed(3) }));
await server.stop();
if (profileDir) console.log(`profile written to ${profileDir}: node bench/profile/summary.mjs ${profileDir}`);

function round(r) {
  return { rate: Math.round(r.rate), p50: +r.p50.toFixed(2), p95: +r.p95.toFixed(2), p99: +r.p99.toFixed(2), n: r.n, statuses: r.statuses };
}
