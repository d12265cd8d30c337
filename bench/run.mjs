/**
 * The Urbis benchmark suite (issue 7): `npm run bench` builds dist/ and runs this file.
 *
 *   node bench/run.mjs [--quick | --smoke] [--out DIR] [--pg-url postgres://... | --no-pg]
 *
 * Measures the two ceilings of this machine (raw SQLite inserts; a hello-world Fastify server),
 * then runs a real Urbis process (bin/urbis.js) and the figures P1..P7 against it from this
 * process over loopback; then P1, P3 and P5 again on the PostgreSQL store (P1pg, P3pg, P5pg:
 * a throwaway cluster, or the server of --pg-url, with a raw COPY ceiling measured there);
 * writes <out>/<ISO timestamp>.json (default bench/results/) and prints a markdown table.
 * Progress goes to stderr. Exit code 0 when the run completed (targets met or not, PostgreSQL
 * figures measured or skipped), 1 when it failed.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { helloWorldCeiling } from './ceilings/http-ceiling.mjs';
import { HttpClient } from './lib/load.mjs';
import { MODES } from './lib/modes.mjs';
import { cleanUp, removeDir, ROOT, startUrbis, tempDir } from './lib/processes.mjs';
import { done, n, step, update } from './lib/progress.mjs';
import { machine, markdownTable, writeResults } from './lib/report.mjs';
import { round } from './lib/stats.mjs';
import { SQLITE } from './lib/storage.mjs';
import { batchUpsert } from './scenarios/p1-batch-upsert.mjs';
import { patchUpdates } from './scenarios/p2-patch.mjs';
import { typeAndQ } from './scenarios/p3-type-q.mjs';
import { geoNear } from './scenarios/p4-geo-near.mjs';
import { aggregation } from './scenarios/p5-aggregation.mjs';
import { notifications } from './scenarios/p6-notifications.mjs';
import { residentMemory } from './scenarios/p7-memory.mjs';
import { postgresFigures } from './scenarios/postgres.mjs';

const TITLES = {
  P1: 'batch upsert (100 entities × 10 attributes a request)',
  P2: 'PATCH one attribute of one entity',
  P3: 'GET /entities by type and q',
  P4: 'GET /entities by type, near;maxDistance==1000',
  P5: 'temporal avg,max per hour over a month',
  P6: 'notifications to an HTTP receiver',
  P7: 'resident memory, city loaded and idle',
  P1pg: 'P1 on PostgreSQL (ratio to a raw COPY)',
  P3pg: 'P3 on PostgreSQL',
  P5pg: 'P5 on PostgreSQL',
};

const USAGE = `usage: node bench/run.mjs [--quick | --smoke] [--out DIR] [--pg-url postgres://... | --no-pg]
  (default) full run, under 10 minutes: 100k entities, 1M history instances, 60 s of notifications
            on SQLite; 100k entities and 1M instances on PostgreSQL
  --quick   scaled down, under 2 minutes
  --smoke   a few seconds, to check that the suite runs
  --out     directory of the results JSON (default bench/results)
  --pg-url  PostgreSQL figures on this server (its own databases, created and dropped; the role
            needs CREATEDB and PostGIS must be installable) instead of a throwaway cluster
  --no-pg   report the PostgreSQL figures as skipped`;

async function main() {
  const { values: args } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      smoke: { type: 'boolean' },
      out: { type: 'string' },
      'pg-url': { type: 'string' },
      'no-pg': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (args.help) return void console.log(USAGE);
  if (args.quick && args.smoke) throw new Error('--quick and --smoke exclude each other');
  if (args['pg-url'] !== undefined && args['no-pg']) throw new Error('--pg-url and --no-pg exclude each other');
  if (args['pg-url'] !== undefined && !/^postgres(ql)?:\/\//.test(args['pg-url'])) throw new Error(`--pg-url ${args['pg-url']}: not a postgres:// URL`);
  if (!existsSync(path.join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first (or `npm run bench`, which builds)');
  const mode = args.smoke ? 'smoke' : args.quick ? 'quick' : 'full';
  const sizes = MODES[mode];
  const outDir = path.resolve(args.out ?? path.join(ROOT, 'bench/results'));
  const started = performance.now();
  const results = { machine: machine(), mode, figures: {} };
  step(`Urbis benchmark, ${mode} mode, on ${results.machine.cpus} × ${results.machine.model}`);

  step(`ceiling: ${SQLITE.ceilingName}, ${n(sizes.entities * 10)} rows`);
  const ceilingDir = tempDir('urbis-bench-ceiling-');
  const insert = SQLITE.insertCeiling(ceilingDir, sizes.entities, (i) => update(`inserting rows of entity ${n(i)}/${n(sizes.entities)}`));
  done(`${n(insert.rowsPerSecond)} rows/s`);
  step(`ceiling: ${SQLITE.commitName}`);
  const commit = SQLITE.commitCeiling(ceilingDir, Math.min(3, sizes.rateSeconds));
  removeDir(ceilingDir);
  done(`${n(commit.commitsPerSecond)} commits/s`);

  step(`ceiling: hello-world Fastify server, ${sizes.concurrency} requests in flight`);
  const helloWorld = await helloWorldCeiling(sizes);
  done(`${n(helloWorld.rate)} requests/s, p99 ${helloWorld.p99} ms`);
  const ceilings = { insert: { ...insert, name: SQLITE.ceilingName }, commit: { ...commit, name: SQLITE.commitName }, helloWorld };

  const dataDir = tempDir('urbis-bench-data-');
  const urbis = await startUrbis(SQLITE.serverArgs(dataDir));
  step(`urbis started (pid ${urbis.pid}) at ${urbis.base}, data in ${dataDir}`);
  const client = new HttpClient(urbis.base, Math.max(sizes.concurrency, 64));
  const ctx = { sizes, client, urbis, ceilings };
  const run = async (key, what, scenario, extra = {}) => {
    step(`${key} ${TITLES[key]}${what ? `: ${what}` : ''}`);
    const f = await scenario({ ...ctx, ...extra });
    results.figures[key] = f;
    done(`${key} = ${f.value} ${f.unit}${f.ratio !== null ? ` (ratio ${f.ratio})` : ''}`);
  };
  try {
    await run('P1', `${n(sizes.entities)} entities`, batchUpsert);
    const afterLoadMB = urbis.rssMB();
    await run('P3', `over ${n(sizes.entities)} entities`, typeAndQ);
    await run('P4', `over ${n(sizes.entities)} points`, geoNear);
    await run('P7', `after ${sizes.settleSeconds} s idle`, residentMemory, { afterLoadMB });
    await run('P2', `${sizes.concurrency} in flight for ${sizes.rateSeconds} s`, patchUpdates);
    await run('P6', `${n(sizes.notifyRate)} updates/s for ${sizes.notifySeconds} s`, notifications);
    await run('P5', `${n(sizes.instances)} instances`, aggregation);
  } finally {
    client.close();
    await urbis.stop();
  }
  removeDir(dataDir);
  const pg = await postgresFigures({ sizes, pgUrl: args['pg-url'], off: args['no-pg'] });
  Object.assign(results.figures, pg.figures);
  if (pg.postgres) results.machine.postgres = pg.postgres;
  const order = ['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7', 'P1pg', 'P3pg', 'P5pg'];
  results.figures = Object.fromEntries(order.map((k) => [k, results.figures[k]]));
  results.machine.wallSeconds = round((performance.now() - started) / 1000, 1);
  const file = writeResults(outDir, results);
  console.log(`\n## Urbis benchmark (${mode}), ${results.machine.date}\n`);
  console.log(markdownTable(results.figures, TITLES));
  const postgres = results.machine.postgres ? `, PostgreSQL ${results.machine.postgres.version} + PostGIS ${results.machine.postgres.postgis}` : '';
  console.log(`\n${results.machine.cpus} × ${results.machine.model}, ${results.machine.memory}, Node ${results.machine.node}, SQLite ${results.machine.sqlite}${postgres}; ${results.machine.wallSeconds} s; results in ${path.relative(process.cwd(), file) || file}`);
}

main().then(
  () => cleanUp(),
  (err) => {
    console.error(`\nbenchmark failed: ${err instanceof Error ? err.stack : err}`);
    cleanUp();
    process.exitCode = 1;
  },
);
