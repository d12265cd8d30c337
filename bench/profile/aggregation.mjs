// P5 in process: one sensor's temperature every ~2.7 s over January 2026, written through the
// temporal store (addInstances, 5,000 instances a call, as POST /temporal/entities/{id}/attrs
// does; the hourly rollups are kept as they go), then avg,max per hour over the month through the
// TemporalService (served by the rollups), the same with distinctCount too (which the rollups
// cannot give: served by the instances), and a check that both ways give the same hourly values.
//   node bench/profile/aggregation.mjs [instances=1000000]
import path from 'node:path';
import { rmSync } from 'node:fs';
import { ROOT, tmpDir } from './lib.mjs';

const N = Number(process.argv[2] ?? 1_000_000);
const START = Date.UTC(2026, 0, 1);
const END = Date.UTC(2026, 1, 1);
const ID = 'urn:ngsi-ld:WeatherObserved:bench-aggr';
const { SqliteBrokerStore } = await import(path.join(ROOT, 'dist/store/sqlite/broker-store.js'));
const { SqliteTemporalStore } = await import(path.join(ROOT, 'dist/store/sqlite/temporal-store.js'));
const { TemporalService } = await import(path.join(ROOT, 'dist/temporal/temporal-service.js'));
const { ContextResolver } = await import(path.join(ROOT, 'dist/broker/jsonld/context-resolver.js'));

const dir = tmpDir();
const broker = new SqliteBrokerStore(path.join(dir, 'urbis.db'));
const store = new SqliteTemporalStore(broker.db);
const service = new TemporalService(store, { maxInstances: 1000 });
const resolver = new ContextResolver({ allowRemote: false, fetchTimeoutMs: 1000, maxContextBytes: 1 << 20, cacheEntries: 10, lookup: () => undefined });
const ctx = await resolver.compile(undefined, '');
const name = ctx.expandTerm('temperature');

const step = (END - START) / N;
const value = (k) => Math.round((15 + 10 * Math.sin(k / 5000) + (k % 7) / 10) * 100) / 100;
let t0 = performance.now();
const c0 = process.cpuUsage();
for (let i = 0; i < N; i += 5000) {
  const list = [];
  for (let k = i; k < Math.min(N, i + 5000); k++) list.push({ type: 'Property', value: value(k), observedAt: new Date(Math.floor(START + k * step)).toISOString() });
  await store.addInstances('', ID, [ctx.expandTerm('WeatherObserved')], { [name]: list }, Date.now());
}
const cpu = process.cpuUsage(c0);
console.log(`loaded ${N} instances in ${((performance.now() - t0) / 1000).toFixed(1)} s (${Math.round(N / ((performance.now() - t0) / 1000))}/s, CPU ${((cpu.user + cpu.system) / N).toFixed(1)} µs per instance)`);

const month = { options: 'aggregatedValues', aggrMethods: 'avg,max', aggrPeriodDuration: 'PT1H', timerel: 'between', timeAt: new Date(START).toISOString(), endTimeAt: new Date(END).toISOString() };
const raw = { ...month, aggrMethods: 'avg,max,distinctCount' };
async function time(query, runs = 7) {
  const times = [];
  let body;
  for (let r = 0; r < runs; r++) {
    t0 = performance.now();
    ({ body } = await service.retrieve('', ctx, ID, query));
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(runs / 2)], min: times[0], body };
}
const fast = await time(month);
const slow = await time(raw, 3);
console.log(`avg,max per hour over January (${fast.body.temperature.avg.length} periods): rollups median ${fast.median.toFixed(1)} ms (min ${fast.min.toFixed(1)}); instances (with distinctCount) median ${slow.median.toFixed(1)} ms`);
let differ = 0;
let inexact = 0;
for (const m of ['avg', 'max']) {
  fast.body.temperature[m].forEach(([v], h) => {
    const w = slow.body.temperature[m][h][0];
    if (v !== w) inexact++;
    if (Math.abs(v - w) > 1e-9 * Math.max(1, Math.abs(w))) differ++;
  });
}
console.log(differ === 0 ? `rollups and instances agree on every hour (${inexact} of ${2 * fast.body.temperature.avg.length} values differ in the last bits)` : `${differ} hourly values differ`);
await broker.close();
rmSync(dir, { recursive: true, force: true });
