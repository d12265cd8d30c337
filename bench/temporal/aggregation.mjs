/**
 * Aggregation time over 1M attribute instances: one sensor's temperature every ~2.7 s for a month
 * (January 2026), loaded through the store, then avg and max per hour over the month through the
 * TemporalService (from the hourly rollups), and all eight methods per day (distinctCount needs
 * the instances: SQL GROUP BY over them). Run after
 * `npx tsc -p tsconfig.build.json`:
 *   node bench/temporal/aggregation.mjs [instances=1000000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteBrokerStore } from '../../dist/store/sqlite/broker-store.js';
import { SqliteTemporalStore } from '../../dist/store/sqlite/temporal-store.js';
import { TemporalService } from '../../dist/temporal/temporal-service.js';
import { ContextResolver } from '../../dist/broker/jsonld/context-resolver.js';

const N = Number(process.argv[2] ?? 1_000_000);
const START = Date.UTC(2026, 0, 1);
const END = Date.UTC(2026, 1, 1);
const ID = 'urn:ngsi-ld:Sensor:bench-aggr';

const dir = mkdtempSync(path.join(tmpdir(), 'urbis-bench-'));
const broker = new SqliteBrokerStore(path.join(dir, 'urbis.db'));
const store = new SqliteTemporalStore(broker.db);
const service = new TemporalService(store, { maxInstances: 1000 });
const resolver = new ContextResolver({ allowRemote: false, fetchTimeoutMs: 1000, maxContextBytes: 1 << 20, cacheEntries: 10, lookup: () => undefined });
const ctx = await resolver.compile(undefined, '');
const name = ctx.expandTerm('temperature');

// Set-up: the instances through the store, 5,000 a call (as POST /temporal/entities/{id}/attrs
// does), so that the hourly rollups are kept as in production.
let t0 = performance.now();
const step = (END - START) / N;
for (let i = 0; i < N; i += 5000) {
  const list = [];
  for (let k = i; k < Math.min(N, i + 5000); k++) {
    const t = Math.floor(START + k * step);
    const v = Math.round((15 + 10 * Math.sin(k / 5000) + (k % 7) / 10) * 100) / 100;
    list.push({ type: 'Property', value: v, observedAt: new Date(t).toISOString() });
  }
  await store.addInstances('', ID, [ctx.expandTerm('Sensor')], { [name]: list }, START);
}
console.log(`loaded ${N} instances in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const query = {
  options: 'aggregatedValues',
  aggrMethods: 'avg,max',
  aggrPeriodDuration: 'PT1H',
  timerel: 'between',
  timeAt: new Date(START).toISOString(),
  endTimeAt: new Date(END).toISOString(),
};
const times = [];
let periods = 0;
for (let r = 0; r < 5; r++) {
  t0 = performance.now();
  const { body } = await service.retrieve('', ctx, ID, query);
  times.push(performance.now() - t0);
  periods = body.temperature.avg.length;
}
times.sort((a, b) => a - b);
console.log(`avg,max per hour over one month (${periods} periods, ${N} instances): median ${times[2].toFixed(0)} ms (min ${times[0].toFixed(0)}, max ${times[4].toFixed(0)}) over 5 runs`);

t0 = performance.now();
const all = await service.retrieve('', ctx, ID, { ...query, aggrMethods: 'totalCount,distinctCount,sum,avg,min,max,stddev,sumsq', aggrPeriodDuration: 'P1D' });
console.log(`all 8 methods per day (${all.body.temperature.sum.length} periods): ${(performance.now() - t0).toFixed(0)} ms`);

await broker.close();
rmSync(dir, { recursive: true, force: true });
