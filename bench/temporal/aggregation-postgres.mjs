/**
 * Aggregation time over 1M attribute instances on PostgreSQL: the same data as aggregation.mjs
 * (one sensor's temperature every ~2.7 s for January 2026), loaded with one INSERT ... SELECT
 * from generate_series into the history table (its January partition), then avg and max per
 * hour over the month through the TemporalService (SQL GROUP BY in the store), before and after
 * VACUUM ANALYZE, with the EXPLAIN ANALYZE of the aggregation statement. Run after
 * `npx tsc -p tsconfig.build.json`, on an EMPTY database (PostGIS available):
 *   node bench/temporal/aggregation-postgres.mjs postgres://user@host/db [instances=1000000] [others=0]
 * `others` adds that many instances of 100 other sensors to the same month, as in a city where
 * the month's partition holds many series (the plan then reads the covering index only).
 */
import { PgDatabase } from '../../dist/store/postgres/database.js';
import { migratePostgres } from '../../dist/store/postgres/migrate.js';
import { BROKER_SCHEMA } from '../../dist/store/postgres/broker-schema.js';
import { TEMPORAL_SCHEMA, PgTemporalStore } from '../../dist/store/postgres/temporal-store.js';
import { LocalBus } from '../../dist/cluster/bus.js';
import { TemporalService } from '../../dist/temporal/temporal-service.js';
import { ContextResolver } from '../../dist/broker/jsonld/context-resolver.js';

const url = process.argv[2];
if (!url) throw new Error('usage: node bench/temporal/aggregation-postgres.mjs postgres://... [instances]');
const N = Number(process.argv[3] ?? 1_000_000);
const OTHERS = Number(process.argv[4] ?? 0);
const START = Date.UTC(2026, 0, 1);
const END = Date.UTC(2026, 1, 1);
const ID = 'urn:ngsi-ld:Sensor:bench-aggr';

const db = new PgDatabase(url);
await migratePostgres(db, [BROKER_SCHEMA, TEMPORAL_SCHEMA], 'start');
const store = new PgTemporalStore(db, new LocalBus());
await store.init();
const service = new TemporalService(store, { maxInstances: 1000 });
const resolver = new ContextResolver({ allowRemote: false, fetchTimeoutMs: 1000, maxContextBytes: 1 << 20, cacheEntries: 10, lookup: () => undefined });
const ctx = await resolver.compile(undefined, '');
const name = ctx.expandTerm('temperature');

// Set-up: the temporal entity through the store (its first instance creates January's
// partition), then the other instances straight into the table.
const first = { type: 'Property', value: 15, observedAt: new Date(START).toISOString() };
await store.addInstances('', ID, [ctx.expandTerm('Sensor')], { [name]: [first] }, START);
const [{ pk }] = await db.query('SELECT pk FROM temporal_entities WHERE id = $1', [ID]);
let t0 = performance.now();
await db.query(
  `INSERT INTO temporal_instances (entity_pk, name, kind, data, vnum, observed_at, created_at, modified_at, at)
   SELECT $1, $2, 'Property', jsonb_build_object('type', 'Property', 'value', v, 'observedAt', to_char(to_timestamp(t / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
          v, t, t, t, t
     FROM (SELECT floor($3::float8 + k * $4::float8)::int8 AS t, round((15 + 10 * sin(k / 5000.0) + (k % 7) / 10.0)::numeric, 2)::float8 AS v
             FROM generate_series(1, $5::int - 1) k) x`,
  [pk, name, START, (END - START) / N, N],
);
if (OTHERS > 0) {
  const others = [];
  for (let s = 0; s < 100; s++) {
    await store.addInstances('', `urn:ngsi-ld:Sensor:bench-other-${s}`, [ctx.expandTerm('Sensor')], {}, START);
    others.push((await db.query('SELECT pk FROM temporal_entities WHERE id = $1', [`urn:ngsi-ld:Sensor:bench-other-${s}`]))[0].pk);
  }
  await db.query(
    `INSERT INTO temporal_instances (entity_pk, name, kind, data, vnum, observed_at, created_at, modified_at, at)
     SELECT ($1::int8[])[1 + k % 100], $2, 'Property', jsonb_build_object('type', 'Property', 'value', v), v, t, t, t, t
       FROM (SELECT k, floor($3::float8 + k * $4::float8)::int8 AS t, (k % 300) / 10.0 AS v FROM generate_series(0, $5::int - 1) k) x`,
    [others, name, START, (END - START) / OTHERS, OTHERS],
  );
}
console.log(`loaded ${N} instances (and ${OTHERS} of 100 other sensors) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const query = {
  options: 'aggregatedValues',
  aggrMethods: 'avg,max',
  aggrPeriodDuration: 'PT1H',
  timerel: 'between',
  timeAt: new Date(START).toISOString(),
  endTimeAt: new Date(END).toISOString(),
};

// The aggregation statement, as the store sends it, for EXPLAIN.
let last;
const query0 = db.query.bind(db);
db.query = (text, values) => {
  if (text.includes('GROUP BY')) last = { text, values };
  return query0(text, values);
};

async function measure(label) {
  const times = [];
  let periods = 0;
  for (let r = 0; r < 5; r++) {
    t0 = performance.now();
    const { body } = await service.retrieve('', ctx, ID, query);
    times.push(performance.now() - t0);
    periods = body.temperature.avg.length;
  }
  times.sort((a, b) => a - b);
  console.log(`${label}: avg,max per hour over one month (${periods} periods, ${N} instances): median ${times[2].toFixed(0)} ms (min ${times[0].toFixed(0)}, max ${times[4].toFixed(0)}) over 5 runs`);
  const plan = await query0(`EXPLAIN (ANALYZE, BUFFERS) ${last.text}`, last.values);
  console.log(plan.map((r) => r['QUERY PLAN']).join('\n'));
}

await measure('right after loading');
await db.query('VACUUM ANALYZE temporal_instances');
await measure('after VACUUM ANALYZE');

t0 = performance.now();
const all = await service.retrieve('', ctx, ID, { ...query, aggrMethods: 'totalCount,distinctCount,sum,avg,min,max,stddev,sumsq', aggrPeriodDuration: 'P1D' });
console.log(`all 8 methods per day (${all.body.temperature.sum.length} periods): ${(performance.now() - t0).toFixed(0)} ms`);
t0 = performance.now();
const months = await service.retrieve('', ctx, ID, { ...query, aggrPeriodDuration: 'P1M' });
console.log(`avg,max per calendar month (${months.body.temperature.avg.length} period): ${(performance.now() - t0).toFixed(0)} ms`);

await db.close();
