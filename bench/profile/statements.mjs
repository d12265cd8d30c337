// Where the time of an entity write goes, statement by statement, in process (no HTTP): builds
// the whole server (buildUrbis: history, subscriptions, audit recorders as in production), then
// loads 10,000 entities of the benchmark city (bench/lib/city.mjs) and applies PATCH-like updates
// (one temperature, as P2) through the store with `concurrency` writes per group, measuring the
// CPU time (user + system, so that other load on the machine does not count) of every prepared
// statement's run/get/all by its SQL text.
//   [PRAGMAS="name=value;..."] node bench/profile/statements.mjs [writes=20000] [concurrency=64] [--upsert]
// --upsert: instead, batch upserts of new city entities (bench/lib/city.mjs), `concurrency` per batch.
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT, tmpDir } from './lib.mjs';


const N = Number(process.argv[2] ?? 20000);
const C = Number(process.argv[3] ?? 64);
const require = createRequire(path.join(ROOT, 'package.json'));
const Statement = require('better-sqlite3/lib/database.js').prototype.prepare ? Object.getPrototypeOf(require('better-sqlite3')(':memory:').prepare('SELECT 1')) : undefined;
const timing = new Map();
const keys = new WeakMap();
const commitWalls = [];
for (const m of ['run', 'get', 'all']) {
  const orig = Statement[m];
  Statement[m] = function (...args) {
    const c = process.cpuUsage();
    const w = performance.now();
    try {
      return orig.apply(this, args);
    } finally {
      const d = process.cpuUsage(c);
      const wall = performance.now() - w;
      let key = keys.get(this);
      if (key === undefined) keys.set(this, (key = this.source.replace(/\s+/g, ' ').slice(0, 110)));
      const e = timing.get(key) ?? { n: 0, ms: 0, wall: 0 };
      e.n++;
      e.ms += (d.user + d.system) / 1000;
      e.wall += wall;
      if (key === 'COMMIT') commitWalls.push(wall);
      timing.set(key, e);
    }
  };
}
const { buildUrbis } = await import(path.join(ROOT, 'dist/server/app.js'));
const { resolveConfig } = await import(path.join(ROOT, 'dist/config.js'));
const { parseEntity } = await import(path.join(ROOT, 'dist/broker/input.js'));
const m = await import(path.join(ROOT, 'dist/broker/mutations.js'));
const { ContextResolver } = await import(path.join(ROOT, 'dist/broker/jsonld/context-resolver.js'));

const dataDir = tmpDir();
const urbis = await buildUrbis({ ...resolveConfig({}, {}), host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', demo: false, mqtt: 'off', open: true, rateLimit: 0, keyRateLimit: 0 });
const store = urbis.store;
// PRAGMAS="wal_autocheckpoint=10000;cache_size=-65536" tries settings before the run.
for (const p of (process.env.PRAGMAS ?? '').split(';').filter(Boolean)) console.log(p, store.db.pragma(p));
const resolver = new ContextResolver({ allowRemote: false, fetchTimeoutMs: 1000, maxContextBytes: 1 << 20, cacheEntries: 10, lookup: () => undefined });
const ctx = await resolver.compile(undefined, '');
const { entity: cityEntity, entityId } = await import('../lib/city.mjs');
const ENTITIES = 10000;
const now = () => new Date().toISOString();
for (let i = 0; i < ENTITIES; i += 100) {
  await store.mutateEntities('', Array.from({ length: 100 }, (_, k) => {
    const f = parseEntity(cityEntity(i + k), ctx, true);
    return { id: f.id, mutate: m.createEntity(f, now()) };
  }));
}
timing.clear();
commitWalls.length = 0;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
if (process.argv.includes('--upsert')) {
  for (let i = ENTITIES; i < ENTITIES + N; i += C) {
    const items = Array.from({ length: Math.min(C, ENTITIES + N - i) }, (_, k) => {
      const f = parseEntity(cityEntity(i + k), ctx, true);
      return { id: f.id, mutate: m.upsertEntity(f, 'replace', now()) };
    });
    await store.mutateEntities('', items);
  }
} else for (let i = 0; i < N; i += C) {
  await Promise.all(
    Array.from({ length: Math.min(C, N - i) }, (_, k) => {
      const n = i + k;
      const f = parseEntity({ temperature: { type: 'Property', value: (n % 5000) / 100, unitCode: 'CEL', observedAt: now() } }, ctx, false, { allowNull: true });
      f.id = entityId((n * 7919) % ENTITIES);
      return store.mutateEntity('', f.id, m.updateAttrs(f, now()));
    }),
  );
}
const total = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
console.log(`${N} writes in groups of ${C}: ${(total / N * 1000).toFixed(1)} µs per write (${Math.round(N / (total / 1000))}/s), CPU ${((cpu.user + cpu.system) / N).toFixed(1)} µs per write`);
let sum = 0;
for (const [sql, e] of [...timing.entries()].sort((a, b) => b[1].ms - a[1].ms)) {
  sum += e.ms;
  console.log(`${((e.ms / N) * 1000).toFixed(1).padStart(6)} µs/write (wall ${((e.wall / N) * 1000).toFixed(1).padStart(6)}) ${String(e.n).padStart(7)}×  ${sql}`);
}
console.log(`statements: ${((sum / N) * 1000).toFixed(1)} µs CPU per write`);
commitWalls.sort((a, b) => a - b);
const at = (p) => commitWalls[Math.min(commitWalls.length - 1, Math.floor(p * commitWalls.length))].toFixed(1);
console.log(`COMMIT wall: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms over ${commitWalls.length} commits`);
const wal = path.join(dataDir, 'urbis.db-wal');
if (existsSync(wal)) console.log(`WAL now ${(statSync(wal).size / 2 ** 20).toFixed(1)} MiB (${Math.round(statSync(wal).size / 4120)} frames)`);
await urbis.close();
