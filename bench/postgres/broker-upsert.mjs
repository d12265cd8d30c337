/**
 * Batch upsert throughput of the PostgreSQL broker store against the raw COPY of the same rows,
 * in the same run, on the same PostgreSQL; then the latency and the plans of the queries of P3
 * (type + q) and P4 (type + near) over the loaded entities, through the store.
 *
 *   npm run build && node bench/postgres/broker-upsert.mjs [--entities 100000] [--url postgres://user@host:port/db]
 *
 * Without --url, a throwaway PostgreSQL 15 cluster is created (initdb, pg_ctl; as the `postgres`
 * user when run as root) and removed at the end; with --url, two databases are created next to
 * the one named (the role needs CREATEDB and the PostGIS extension must be installable).
 *
 * - COPY ceiling: the rows the store writes for the city's entities (bench/lib/city.mjs, 10
 *   attributes each: one `entities` row, one `entity_types` row, ten `attributes` rows with the
 *   same JSON, jsonb and indexed columns, and one `geo_index` row) loaded with psql's \copy into the broker schema
 *   (same tables, same indexes) in one transaction. Writing the files is not timed.
 * - Store: PgBrokerStore.mutateEntities with the batch upsert mutator, 100 entities a call, 4 calls
 *   in flight, no change recorders (the store alone): first creating the entities, then upserting
 *   them again (every attribute rewritten, as a batch upsert in update mode does).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { attributesOf, CENTRE, cityPoint, entity, random, TEMPERATURE, TYPES } from '../lib/city.mjs';
import { freePort } from '../lib/processes.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');
const dist = (p) => import(path.join(ROOT, 'dist', p));
const { PgDatabase } = await dist('store/postgres/database.js');
const { migratePostgres } = await dist('store/postgres/migrate.js');
const { BROKER_SCHEMA, PgBrokerStore } = await dist('store/postgres/broker-store.js');
const { LocalBus } = await dist('cluster/bus.js');
const { upsertEntity } = await dist('broker/mutations.js');
const { primaryValue } = await dist('broker/model.js');
const { comparableOf } = await dist('broker/query/comparable.js');
const { parseQ } = await dist('broker/query/q-parser.js');
const { parseTypeSelection } = await dist('broker/query/type-selection.js');
const { parseGeorel } = await dist('broker/geo/geo-query.js');

const PG_BIN = '/usr/lib/postgresql/15/bin';
const DEFAULT_CONTEXT = 'https://uri.etsi.org/ngsi-ld/default-context/';
const CORE = { location: 'https://uri.etsi.org/ngsi-ld/location' };
const expand = (term) => CORE[term] ?? (term.includes(':') ? term : DEFAULT_CONTEXT + term);
const PER_CALL = 100;
const IN_FLIGHT = 4;

const { values: args } = parseArgs({ options: { entities: { type: 'string' }, url: { type: 'string' } } });
const ENTITIES = Number(args.entities ?? 100_000);

/** Entity i of the city in the broker's model (expanded), as the upsert mutator receives it. */
function fragment(i, round) {
  const e = entity(i);
  const attrs = {};
  for (const [name, a] of attributesOf(e)) {
    const inst = { ...a };
    if (round > 0 && name === 'temperature') inst.value = a.value + round;
    attrs[expand(name)] = [inst];
  }
  return { id: e.id, types: [expand(e.type)], attrs };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: a throwaway cluster, or databases next to --url
// ---------------------------------------------------------------------------------------------

function run(cmd, argv, opts = {}) {
  const asPostgres = process.getuid?.() === 0 && opts.asPostgres;
  const r = asPostgres ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...argv], { encoding: 'utf8' }) : spawnSync(cmd, argv, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return r;
}

async function startCluster() {
  const dir = mkdtempSync(path.join(tmpdir(), 'urbis-bench-pg-'));
  chmodSync(dir, 0o700);
  if (process.getuid?.() === 0) {
    const id = (flag) => Number(run('id', [flag, 'postgres']).stdout.trim());
    chownSync(dir, id('-u'), id('-g'));
  }
  const data = path.join(dir, 'data');
  run(`${PG_BIN}/initdb`, ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'], { asPostgres: true });
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c shared_buffers=256MB -c max_wal_size=4GB -c fsync=on`;
  run(`${PG_BIN}/pg_ctl`, ['-D', data, '-o', opts, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start'], { asPostgres: true });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        run(`${PG_BIN}/pg_ctl`, ['-D', data, '-m', 'fast', '-w', 'stop'], { asPostgres: true });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

async function createDatabase(adminUrl, name) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = '/' + name;
  return url.toString();
}

// ---------------------------------------------------------------------------------------------
// COPY ceiling
// ---------------------------------------------------------------------------------------------

/** A value in COPY's text format. */
const copyText = (v) => (v === null || v === undefined ? '\\N' : String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r'));
const line = (values) => values.map(copyText).join('\t') + '\n';

async function copyCeiling(url, dir) {
  const db = new PgDatabase(url, { max: 1 });
  await migratePostgres(db, [BROKER_SCHEMA], 'start');
  await db.close();
  const now = new Date().toISOString();
  const files = { entities: [], entity_types: [], attributes: [], geo_index: [] };
  let attributes = 0;
  for (let i = 0; i < ENTITIES; i++) {
    const { next } = upsertEntity(fragment(i, 0), 'update', now)(undefined);
    const pk = i + 1; // a fresh identity numbers the copied rows 1, 2, ...
    files.entities.push(line(['', next.id, JSON.stringify(next.types), null, next.createdAt, next.modifiedAt]));
    for (const t of next.types) files.entity_types.push(line(['', t, pk]));
    for (const [name, list] of Object.entries(next.attrs)) {
      for (const inst of list) {
        const pv = primaryValue(inst);
        const c = comparableOf(pv);
        files.attributes.push(line([pk, name, inst.datasetId ?? '', inst.type, JSON.stringify(inst), JSON.stringify(pv), c.vnum, c.vstr, c.vtime]));
        attributes++; // a fresh identity numbers the copied rows 1, 2, ...
        if (inst.type === 'GeoProperty') files.geo_index.push(line([attributes, pk, name, `SRID=4326;POINT(${pv.coordinates[0]} ${pv.coordinates[1]})`]));
      }
    }
  }
  const script = ['BEGIN;'];
  const columns = { entities: 'tenant, id, types, scopes, created_at, modified_at', entity_types: 'tenant, type, entity_pk', attributes: 'entity_pk, name, dataset_id, kind, data, value, vnum, vstr, vtime', geo_index: 'attribute_pk, entity_pk, name, geom' };
  for (const [table, rows] of Object.entries(files)) {
    const file = path.join(dir, `${table}.tsv`);
    writeFileSync(file, rows.join(''));
    script.push(`\\copy ${table} (${columns[table]}) FROM '${file}'`);
  }
  script.push('COMMIT;');
  const scriptFile = path.join(dir, 'copy.sql');
  writeFileSync(scriptFile, script.join('\n') + '\n');
  const t0 = performance.now();
  run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', scriptFile]);
  const seconds = (performance.now() - t0) / 1000;
  return { entities: ENTITIES, attributes, seconds: round(seconds), entitiesPerSecond: Math.round(ENTITIES / seconds), attributesPerSecond: Math.round(attributes / seconds) };
}

// ---------------------------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------------------------

async function storePass(store, round) {
  const now = new Date().toISOString();
  let next = 0;
  let attributes = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < ENTITIES) {
      const from = next;
      next = Math.min(ENTITIES, next + PER_CALL);
      const items = [];
      for (let i = from; i < next; i++) {
        const f = fragment(i, round);
        attributes += Object.keys(f.attrs).length;
        items.push({ id: f.id, mutate: upsertEntity(f, 'update', now) });
      }
      const outcomes = await store.mutateEntities('', items);
      const failed = outcomes.find((o) => !o.ok);
      if (failed) throw failed.error;
      if (from % 10_000 === 0) process.stderr.write(`\r  ${round === 0 ? 'creating' : 'upserting'} ${from}/${ENTITIES}   `);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = (performance.now() - t0) / 1000;
  process.stderr.write('\n');
  return { seconds: round3(seconds), entitiesPerSecond: Math.round(ENTITIES / seconds), attributesPerSecond: Math.round(attributes / seconds) };
}

/** Latency of `count` queries (query(k) → an EntityQuery) run one at a time through the store, after 20 warm-up ones. */
async function latency(store, count, query) {
  for (let k = 0; k < 20; k++) await store.queryEntities('', query(1_000_000 + k));
  const ms = [];
  let returned = 0;
  for (let k = 0; k < count; k++) {
    const t0 = performance.now();
    const page = await store.queryEntities('', query(k));
    ms.push(performance.now() - t0);
    returned += page.entities.length;
  }
  ms.sort((a, b) => a - b);
  const at = (p) => round(ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]);
  return { queries: count, p50: at(0.5), p95: at(0.95), p99: at(0.99), meanEntitiesReturned: round(returned / count) };
}

/** EXPLAIN ANALYZE of the statements the store runs for `query` (the page and the count). */
async function explain(db, store, query) {
  const plans = [];
  const plain = db.query.bind(db);
  db.query = async (text, values) => {
    const rows = await plain(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, values);
    plans.push(rows.map((r) => r['QUERY PLAN']).join('\n'));
    return [{ n: 0 }];
  };
  try {
    await store.queryEntities('', query);
  } finally {
    db.query = plain;
  }
  return plans;
}

const round = (x) => Math.round(x * 100) / 100;
const round3 = (x) => Math.round(x * 1000) / 1000;

async function main() {
  const cluster = args.url ? undefined : await startCluster();
  const adminUrl = args.url ?? cluster.url;
  const dir = mkdtempSync(path.join(tmpdir(), 'urbis-bench-copy-'));
  try {
    process.stderr.write(`PostgreSQL broker store: ${ENTITIES} entities × 10 attributes\n  COPY ceiling...\n`);
    const copy = await copyCeiling(await createDatabase(adminUrl, 'urbis_bench_copy'), dir);
    const db = new PgDatabase(await createDatabase(adminUrl, 'urbis_bench_store'), { max: 10 });
    await migratePostgres(db, [BROKER_SCHEMA], 'start');
    const store = new PgBrokerStore(db, new LocalBus());
    await store.init();
    const create = await storePass(store, 0);
    const upsert = await storePass(store, 1);
    // What autovacuum does in a running city after a bulk load, done now so that plans and
    // latencies are those of the steady state.
    process.stderr.write('  VACUUM ANALYZE, then queries...\n');
    await db.query('VACUUM ANALYZE');
    const rnd = random(3);
    const width = (TEMPERATURE.max - TEMPERATURE.min) / 100;
    const typeQuery = (k, count) => {
      const a = Math.round((TEMPERATURE.min + rnd() * (TEMPERATURE.max - TEMPERATURE.min - width)) * 100) / 100;
      const q = parseQ(`temperature>=${a};temperature<${Math.round((a + width) * 100) / 100}`);
      return { entities: [{ typeSelection: parseTypeSelection(TYPES[k % TYPES.length]) }], q, expand, limit: k % 2 === 0 ? 20 : 100, offset: 0, count };
    };
    const nearQuery = (k, count) => ({
      entities: [{ typeSelection: parseTypeSelection(TYPES[k % TYPES.length]) }],
      geoQ: { georel: parseGeorel('near;maxDistance==1000'), geometry: { type: 'Point', coordinates: cityPoint(rnd(), rnd()) }, geoproperty: expand('location') },
      expand,
      limit: k % 2 === 0 ? 20 : 100,
      offset: 0,
      count,
    });
    const queries = {
      typeQ: await latency(store, 200, (k) => typeQuery(k, false)),
      typeQWithCount: await latency(store, 200, (k) => typeQuery(k, true)),
      near: await latency(store, 200, (k) => nearQuery(k, false)),
      nearWithCount: await latency(store, 200, (k) => nearQuery(k, true)),
    };
    const typeQ = await explain(db, store, { ...typeQuery(0, true), q: parseQ('temperature>=20;temperature<20.5') });
    const near = await explain(db, store, { ...nearQuery(0, true), geoQ: { ...nearQuery(0, true).geoQ, geometry: { type: 'Point', coordinates: CENTRE } } });
    await store.close();
    await db.close();
    const ratio = (x) => round(x.attributesPerSecond / copy.attributesPerSecond);
    const result = { entities: ENTITIES, copy, create: { ...create, ofCopy: ratio(create) }, upsert: { ...upsert, ofCopy: ratio(upsert) }, queries, plans: { typeQ, near } };
    console.log(JSON.stringify(result, null, 2));
    console.log(`
| | entities/s | attributes/s | of COPY |
| --- | --- | --- | --- |
| raw COPY of the same rows (one transaction) | ${copy.entitiesPerSecond} | ${copy.attributesPerSecond} | 1 |
| store: batch upsert creating (100 a call, 4 in flight) | ${create.entitiesPerSecond} | ${create.attributesPerSecond} | ${ratio(create)} |
| store: batch upsert of existing entities | ${upsert.entitiesPerSecond} | ${upsert.attributesPerSecond} | ${ratio(upsert)} |

| query through the store, one at a time (limit 20 or 100) | p50 ms | p95 ms | p99 ms | entities returned |
| --- | --- | --- | --- | --- |
${Object.entries(queries).map(([name, q]) => `| ${name} | ${q.p50} | ${q.p95} | ${q.p99} | ${q.meanEntitiesReturned} |`).join('\n')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    cluster?.stop();
  }
}

await main();
