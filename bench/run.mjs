/**
 * The Urbis benchmark suite (issue 7): `npm run bench` builds dist/ and runs this file.
 *
 *   node bench/run.mjs [--quick | --smoke] [--out DIR] [--store sqlite]
 *
 * Measures the two ceilings of this machine (raw SQLite inserts; a hello-world Fastify server),
 * then runs a real Urbis process (bin/urbis.js) and the figures P1..P7 against it from this
 * process over loopback; writes <out>/<ISO timestamp>.json (default bench/results/) and prints a
 * markdown table. Progress goes to stderr. Exit code 0 when the run completed (targets met or
 * not), 1 when it failed.
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
import { storageFor } from './lib/storage.mjs';
import { batchUpsert } from './scenarios/p1-batch-upsert.mjs';
import { patchUpdates } from './scenarios/p2-patch.mjs';
import { typeAndQ } from './scenarios/p3-type-q.mjs';
import { geoNear } from './scenarios/p4-geo-near.mjs';
import { aggregation } from './scenarios/p5-aggregation.mjs';
import { notifications } from './scenarios/p6-notifications.mjs';
import { residentMemory } from './scenarios/p7-memory.mjs';

const TITLES = {
  P1: 'batch upsert (100 entities × 10 attributes a request)',
  P2: 'PATCH one attribute of one entity',
  P3: 'GET /entities by type and q',
  P4: 'GET /entities by type, near;maxDistance==1000',
  P5: 'temporal avg,max per hour over a month',
  P6: 'notifications to an HTTP receiver',
  P7: 'resident memory, city loaded and idle',
};

const USAGE = `usage: node bench/run.mjs [--quick | --smoke] [--out DIR] [--store sqlite]
  (default) full run, under 10 minutes: 100k entities, 1M history instances, 60 s of notifications
  --quick   scaled down, under 2 minutes
  --smoke   a few seconds, to check that the suite runs
  --out     directory of the results JSON (default bench/results)
  --store   storage engine of the server under test (only sqlite so far)`;

async function main() {
  const { values: args } = parseArgs({
    options: { quick: { type: 'boolean' }, smoke: { type: 'boolean' }, out: { type: 'string' }, store: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (args.help) return void console.log(USAGE);
  if (args.quick && args.smoke) throw new Error('--quick and --smoke exclude each other');
  if (!existsSync(path.join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first (or `npm run bench`, which builds)');
  const mode = args.smoke ? 'smoke' : args.quick ? 'quick' : 'full';
  const sizes = MODES[mode];
  const storage = storageFor(args.store);
  const outDir = path.resolve(args.out ?? path.join(ROOT, 'bench/results'));
  const started = performance.now();
  const results = { machine: { ...machine(), store: storage.name }, mode, figures: {} };
  step(`Urbis benchmark, ${mode} mode, ${storage.name} store, on ${results.machine.cpus} × ${results.machine.model}`);

  step(`ceiling: ${storage.ceilingName}, ${n(sizes.entities * 10)} rows`);
  const ceilingDir = tempDir('urbis-bench-ceiling-');
  const insert = storage.insertCeiling(ceilingDir, sizes.entities, (i) => update(`inserting rows of entity ${n(i)}/${n(sizes.entities)}`));
  done(`${n(insert.rowsPerSecond)} rows/s`);
  step(`ceiling: ${storage.commitName}`);
  const commit = storage.commitCeiling(ceilingDir, Math.min(3, sizes.rateSeconds));
  removeDir(ceilingDir);
  done(`${n(commit.commitsPerSecond)} commits/s`);

  step(`ceiling: hello-world Fastify server, ${sizes.concurrency} requests in flight`);
  const helloWorld = await helloWorldCeiling(sizes);
  done(`${n(helloWorld.rate)} requests/s, p99 ${helloWorld.p99} ms`);
  const ceilings = { insert: { ...insert, name: storage.ceilingName }, commit: { ...commit, name: storage.commitName }, helloWorld };

  const dataDir = tempDir('urbis-bench-data-');
  const urbis = await startUrbis(storage.serverArgs(dataDir));
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
  const order = ['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7'];
  results.figures = Object.fromEntries(order.map((k) => [k, results.figures[k]]));
  results.machine.wallSeconds = round((performance.now() - started) / 1000, 1);
  const file = writeResults(outDir, results);
  console.log(`\n## Urbis benchmark (${mode}), ${results.machine.date}\n`);
  console.log(markdownTable(results.figures, TITLES));
  console.log(`\n${results.machine.cpus} × ${results.machine.model}, ${results.machine.memory}, Node ${results.machine.node}, SQLite ${results.machine.sqlite}; ${results.machine.wallSeconds} s; results in ${path.relative(process.cwd(), file) || file}`);
}

main().then(
  () => cleanUp(),
  (err) => {
    console.error(`\nbenchmark failed: ${err instanceof Error ? err.stack : err}`);
    cleanUp();
    process.exitCode = 1;
  },
);
