// P1: batch upsert of the benchmark city (bench/lib/city.mjs: 10 attributes per entity), 100
// entities a request, 4 requests in flight, history on; against the raw-insert ceiling of the same
// rows (bench/ceilings/sqlite-insert.mjs) measured in the same run.
//   node bench/profile/upsert.mjs [entities=20000] [--profile DIR] [--keep DIR]
// --keep leaves the loaded data directory (for query profiling).
import { rmSync } from 'node:fs';
import { attributesOf, entity } from '../lib/city.mjs';
import { sqliteInsertCeiling } from '../ceilings/sqlite-insert.mjs';
import { drive, startServer, tmpDir } from './lib.mjs';

const N = Number(process.argv[2] ?? 20000);
const arg = (name) => (process.argv.indexOf(name) > 0 ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const profileDir = arg('--profile');
const keep = arg('--keep');

const rawDir = tmpDir();
const raw = sqliteInsertCeiling(rawDir, N);
rmSync(rawDir, { recursive: true, force: true });

const server = await startServer({ profileDir, dataDir: keep });
const PER = 100;
const r = await drive(
  server.base,
  (k) => {
    const batch = [];
    for (let i = k * PER; i < Math.min(N, (k + 1) * PER); i++) batch.push(entity(i));
    return ['POST', '/ngsi-ld/v1/entityOperations/upsert', batch];
  },
  { concurrency: 4, seconds: 600, count: Math.ceil(N / PER) },
);
if (!r.statuses[201] || Object.keys(r.statuses).length > 1) throw new Error(JSON.stringify(r.statuses));
const attrs = N * attributesOf(entity(0)).length;
const seconds = r.n / r.rate;
const rate = attrs / seconds;
console.log(JSON.stringify({ entities: N, attributesPerSecond: Math.round(rate), rawRowsPerSecond: Math.round(raw.rowsPerSecond), ratio: +(rate / raw.rowsPerSecond).toFixed(3), usPerEntity: +((seconds / N) * 1e6).toFixed(1), requestP50: +r.p50.toFixed(1) }));
await server.stop();
if (profileDir) console.log(`profile written to ${profileDir}: node bench/profile/summary.mjs ${profileDir}`);
