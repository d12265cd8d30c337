// P3 and P4 in process, over a data directory loaded by `upsert.mjs N --keep DIR`: the queries
// bench/run.mjs sends (type + temperature range; type + near;maxDistance==1000), run through the
// EntityService, with their query plans (EXPLAIN QUERY PLAN) and latency percentiles (wall, and
// CPU time of this process, which other load on the machine disturbs less).
//   [PRAGMAS="name=value;..."] [ONLY=P3|P4] node bench/profile/queries.mjs DIR [queries=200]
import path from 'node:path';
import { cityPoint, random, TEMPERATURE, TYPES } from '../lib/city.mjs';
import { percentiles, ROOT } from './lib.mjs';

const [dir, count = '200'] = process.argv.slice(2);
const { SqliteBrokerStore } = await import(path.join(ROOT, 'dist/store/sqlite/broker-store.js'));
const { EntityService } = await import(path.join(ROOT, 'dist/broker/entity-service.js'));
const { ContextResolver } = await import(path.join(ROOT, 'dist/broker/jsonld/context-resolver.js'));
const { renderEntity } = await import(path.join(ROOT, 'dist/broker/output.js'));

const store = new SqliteBrokerStore(path.join(dir, 'urbis.db'));
// PRAGMAS="cache_size=-131072;mmap_size=..." tries settings.
for (const p of (process.env.PRAGMAS ?? '').split(';').filter(Boolean)) console.log(p, store.db.pragma(p));
const service = new EntityService(store);
const resolver = new ContextResolver({ allowRemote: false, fetchTimeoutMs: 1000, maxContextBytes: 1 << 20, cacheEntries: 10, lookup: () => undefined });
const ctx = await resolver.compile(undefined, '');

// Every statement the store prepares, to show the plans of the ones a query ran.
const prepared = [];
const prepare = store.db.prepare.bind(store.db);
store.db.prepare = (sql) => {
  prepared.push(sql);
  return prepare(sql);
};

const WIDTH = (TEMPERATURE.max - TEMPERATURE.min) / 100;
const families = {
  P3: (rnd, k) => {
    const a = Math.round((TEMPERATURE.min + rnd() * (TEMPERATURE.max - TEMPERATURE.min - WIDTH)) * 100) / 100;
    return { type: TYPES[k % TYPES.length], q: `temperature>=${a};temperature<${Math.round((a + WIDTH) * 100) / 100}`, limit: String(k % 2 === 0 ? 20 : 100) };
  },
  P4: (rnd, k) => ({ type: TYPES[k % TYPES.length], georel: 'near;maxDistance==1000', geometry: 'Point', coordinates: JSON.stringify(cityPoint(rnd(), rnd())), limit: String(k % 2 === 0 ? 20 : 100) }),
};
for (const [name, make] of Object.entries(families)) {
  if (process.env.ONLY && process.env.ONLY !== name) continue;
  const rnd = random(name === 'P3' ? 3 : 4);
  const times = [];
  const cpus = [];
  let returned = 0;
  prepared.length = 0;
  for (let k = 0; k < Number(count); k++) {
    const input = make(rnd, k);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const { entities, parsed } = await service.query('', ctx, input, true);
    JSON.stringify(entities.map((e) => renderEntity(e, ctx, parsed.render)));
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1000);
    returned += entities.length;
  }
  const p = percentiles(times);
  const c = percentiles(cpus);
  console.log(`${name}: p50 ${p.p50.toFixed(2)} ms, p95 ${p.p95.toFixed(2)} ms, p99 ${p.p99.toFixed(2)} ms (CPU p50 ${c.p50.toFixed(2)}, p95 ${c.p95.toFixed(2)} ms); ${(returned / Number(count)).toFixed(1)} entities per query`);
  for (const sql of new Set(prepared)) {
    if (!sql.startsWith('SELECT e.pk')) continue;
    const params = sql.split('?').length - 1;
    console.log('  ' + sql.replace(/\s+/g, ' ').slice(0, 400));
    for (const r of store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array(params).fill(null))) console.log(`    ${r.detail}`);
  }
}
await store.close();
