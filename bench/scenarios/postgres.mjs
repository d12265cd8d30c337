/**
 * The PostgreSQL figures P1pg, P3pg and P5pg: P1, P3 and P5 run again (same scenarios, same
 * synthetic city, the mode's PostgreSQL sizes) against a second Urbis process started with
 * `--store <url>` on a fresh database, P1pg as a ratio to a raw COPY of the same rows measured in
 * the same run on the same server (and the unnest insert beside it as detail). The server is a
 * throwaway cluster, or the one of --pg-url (bench/lib/postgres.mjs). When PostgreSQL is not
 * there, or --no-pg says so, the three figures are reported as skipped.
 *
 * After each bulk load (P1pg's entities, P5pg's history) the run does what autovacuum does within
 * a minute or so of it in a running city: VACUUM ANALYZE. Without statistics on tables that were
 * empty, the planner picks plans that take a second or more; so the figures are those of the
 * steady state, and one query timed before the VACUUM ANALYZE is kept in the detail
 * (beforeVacuumAnalyzeMs).
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { copyCeiling, unnestCeiling } from '../ceilings/postgres-insert.mjs';
import { TYPES } from '../lib/city.mjs';
import { HttpClient } from '../lib/load.mjs';
import { missing, postgresServer } from '../lib/postgres.mjs';
import { removeDir, startUrbis, tempDir } from '../lib/processes.mjs';
import { done, n, step, update } from '../lib/progress.mjs';
import { figure, TARGETS } from '../lib/report.mjs';
import { round } from '../lib/stats.mjs';
import { POSTGRES } from '../lib/storage.mjs';
import { batchUpsert } from './p1-batch-upsert.mjs';
import { typeAndQ } from './p3-type-q.mjs';
import { aggregation } from './p5-aggregation.mjs';

export const POSTGRES_FIGURES = { P1pg: 'attributes/s', P3pg: 'ms (p95)', P5pg: 'ms (median)' };

/** A P3 query, timed once before the VACUUM ANALYZE that follows P1pg's load. */
const P3_SAMPLE = `/ngsi-ld/v1/entities?type=${TYPES[1]}&q=${encodeURIComponent('temperature>=20;temperature<20.5')}&limit=20`;

/**
 * Times one GET of path, then runs VACUUM ANALYZE on the database at url; returns
 * { beforeVacuumAnalyzeMs, vacuumAnalyzeSeconds }.
 */
async function vacuumAnalyze(client, url, path) {
  update('one query before VACUUM ANALYZE');
  const t0 = performance.now();
  await client.ok('GET', path);
  const before = performance.now() - t0;
  update('VACUUM ANALYZE');
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const t1 = performance.now();
  try {
    await db.query('VACUUM ANALYZE');
  } finally {
    await db.end();
  }
  return { beforeVacuumAnalyzeMs: round(before, 1), vacuumAnalyzeSeconds: round((performance.now() - t1) / 1000, 2) };
}

/** The three figures, each with value null and the reason in `skipped`. */
function skipped(reason) {
  return Object.fromEntries(Object.entries(POSTGRES_FIGURES).map(([key, unit]) => [key, figure(null, unit, null, TARGETS[key], { store: 'postgres', skipped: reason })]));
}

/**
 * Runs the PostgreSQL part of a run. sizes: the mode's sizes (sizes.postgres: entities and
 * instances); pgUrl: --pg-url or undefined; off: --no-pg. Resolves with { figures, postgres }
 * (postgres: the server's description for the results' machine member, or undefined when skipped).
 */
export async function postgresFigures({ sizes, pgUrl, off }) {
  const reason = off ? 'not measured (--no-pg)' : missing(pgUrl);
  if (reason) {
    step(`PostgreSQL figures skipped: ${reason}`);
    return { figures: skipped(reason) };
  }
  const pgSizes = { ...sizes, ...sizes.postgres };
  step(pgUrl ? 'PostgreSQL: the server of --pg-url' : 'PostgreSQL: starting a throwaway cluster');
  const server = await postgresServer(pgUrl);
  if (server.pid) done(`postgres started (pid ${server.pid}), cluster in ${server.dir}`);
  try {
    step(`ceiling: ${POSTGRES.ceilingName}, ${n(pgSizes.entities * 10)} rows`);
    const ceilingDb = await server.createDatabase('ceiling');
    const scriptDir = tempDir('urbis-bench-copy-');
    const copy = await copyCeiling(ceilingDb.url, scriptDir, pgSizes.entities, (i) => update(`writing the COPY rows of entity ${n(i)}/${n(pgSizes.entities)}`));
    removeDir(scriptDir);
    done(`${n(copy.rowsPerSecond)} rows/s`);
    step(`ceiling: ${POSTGRES.unnestName}, ${n(pgSizes.entities * 10)} rows`);
    const unnest = await unnestCeiling(ceilingDb.url, pgSizes.entities, (i) => update(`inserting rows of entity ${n(i)}/${n(pgSizes.entities)}`));
    ceilingDb.drop();
    done(`${n(unnest.rowsPerSecond)} rows/s`);

    const db = await server.createDatabase('urbis');
    const postgres = await server.describe(db.url);
    const urbis = await startUrbis(POSTGRES.serverArgs(db.url));
    step(`urbis started on PostgreSQL (pid ${urbis.pid}) at ${urbis.base}`);
    const client = new HttpClient(urbis.base, 64);
    const ctx = {
      sizes: pgSizes,
      client,
      urbis,
      ceilings: { insert: { ...copy, name: POSTGRES.ceilingName } },
      afterLoad: (path) => vacuumAnalyze(client, db.url, path),
    };
    const figures = {};
    const measure = async (key, what, scenario, detail = {}) => {
      step(`${key} ${what}`);
      figures[key] = { ...(await scenario(ctx)), ...detail, store: 'postgres' };
      const f = figures[key];
      done(`${key} = ${f.value} ${f.unit}${f.ratio !== null ? ` (ratio ${f.ratio})` : ''}`);
    };
    try {
      await measure('P1pg', `batch upsert on PostgreSQL: ${n(pgSizes.entities)} entities`, batchUpsert);
      const f = figures.P1pg;
      f.unnest = { name: POSTGRES.unnestName, rowsPerSecond: Math.round(unnest.rowsPerSecond), ratio: round(f.value / unnest.rowsPerSecond, 3) };
      const settled = await vacuumAnalyze(client, db.url, P3_SAMPLE);
      await measure('P3pg', `GET /entities by type and q on PostgreSQL, over ${n(pgSizes.entities)} entities`, typeAndQ, settled);
      await measure('P5pg', `temporal aggregation on PostgreSQL: ${n(pgSizes.instances)} instances`, aggregation);
    } finally {
      client.close();
      await urbis.stop();
      db.drop();
    }
    return { figures, postgres: { ...postgres, copyRowsPerSecond: Math.round(copy.rowsPerSecond), unnestRowsPerSecond: Math.round(unnest.rowsPerSecond) } };
  } finally {
    server.stop();
  }
}
