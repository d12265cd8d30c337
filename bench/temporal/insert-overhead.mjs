/**
 * History insert overhead per update: single-attribute updates through the EntityService (each its
 * own transaction, committed with synchronous=FULL) and batch upserts, with and without the
 * temporal recorder. Run after `npx tsc -p tsconfig.build.json`:
 *   node bench/temporal/insert-overhead.mjs [updates=5000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteBrokerStore } from '../../dist/store/sqlite/broker-store.js';
import { SqliteTemporalStore } from '../../dist/store/sqlite/temporal-store.js';
import { EntityService } from '../../dist/broker/entity-service.js';
import { ContextResolver } from '../../dist/broker/jsonld/context-resolver.js';

const UPDATES = Number(process.argv[2] ?? 5000);
const BATCHES = 20;
const BATCH_SIZE = 500;

async function run(withHistory) {
  const dir = mkdtempSync(path.join(tmpdir(), 'urbis-bench-'));
  const store = new SqliteBrokerStore(path.join(dir, 'urbis.db'));
  if (withHistory) {
    const history = new SqliteTemporalStore(store.db);
    store.addChangeRecorder((c) => history.record(c));
  }
  const service = new EntityService(store);
  const resolver = new ContextResolver({ allowRemote: false, fetchTimeoutMs: 1000, maxContextBytes: 1 << 20, cacheEntries: 10, lookup: () => undefined });
  const ctx = await resolver.compile(undefined, '');
  const id = 'urn:ngsi-ld:Sensor:bench';
  await service.create('', ctx, { id, type: 'Sensor', temperature: { type: 'Property', value: 0, observedAt: new Date().toISOString() } });

  let t0 = performance.now();
  for (let n = 1; n <= UPDATES; n++) {
    await service.update('', ctx, id, { temperature: { type: 'Property', value: n, observedAt: new Date().toISOString() } });
  }
  const single = performance.now() - t0;

  t0 = performance.now();
  for (let b = 0; b < BATCHES; b++) {
    const entries = Array.from({ length: BATCH_SIZE }, (_, k) => ({
      ctx,
      body: { id: `urn:ngsi-ld:Sensor:b${k}`, type: 'Sensor', temperature: { type: 'Property', value: b * 1000 + k, observedAt: new Date().toISOString() }, humidity: { type: 'Property', value: k % 100 } },
    }));
    await service.batchUpsert('', entries, 'update');
  }
  const batch = performance.now() - t0;
  const rows = withHistory ? store.db.prepare('SELECT count(*) AS n FROM temporal_instances').get().n : 0;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { single, batch, rows };
}

const fmt = (ms, n) => `${(ms / n * 1000).toFixed(1)} µs/op, ${Math.round(n / (ms / 1000))} ops/s`;
// Alternate the modes over several rounds and keep the median of each (fsync times vary).
const ROUNDS = 5;
const results = { without: [], with: [] };
await run(false);
for (let r = 0; r < ROUNDS; r++) {
  results.without.push(await run(false));
  results.with.push(await run(true));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const m = (mode, key) => median(results[mode].map((x) => x[key]));
console.log(`single-attribute updates (${UPDATES}, one transaction each), median of ${ROUNDS} rounds:`);
console.log(`  without history: ${fmt(m('without', 'single'), UPDATES)}`);
console.log(`  with history:    ${fmt(m('with', 'single'), UPDATES)}  (${((m('with', 'single') - m('without', 'single')) / UPDATES * 1000).toFixed(1)} µs per update)`);
const entities = BATCHES * BATCH_SIZE;
console.log(`batch upsert (${BATCHES} batches of ${BATCH_SIZE} entities, 2 attributes), median of ${ROUNDS} rounds:`);
console.log(`  without history: ${fmt(m('without', 'batch'), entities)} (per entity)`);
console.log(`  with history:    ${fmt(m('with', 'batch'), entities)} (per entity)  (${((m('with', 'batch') - m('without', 'batch')) / entities * 1000).toFixed(1)} µs per entity)`);
console.log(`history rows written per round: ${results.with[0].rows}`);
