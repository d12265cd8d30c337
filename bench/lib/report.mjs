/**
 * The results of a run: figures in the shape issue 7 fixes ({value, unit, ceiling, ratio, target,
 * met} plus detail members), the machine they were measured on, the JSON file, and the markdown
 * table printed at the end.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ROOT } from './processes.mjs';
import { round } from './stats.mjs';

/**
 * A figure. target: { text, met(figure) }; ceiling: the ceiling measured in the same run or null;
 * detail: extra members (percentiles, counts, sizes). A figure whose requests failed
 * (detail.errors > 0) is not met.
 */
export function figure(value, unit, ceiling, target, detail = {}) {
  const ratio = ceiling ? round(value / ceiling, 3) : null;
  const f = { value, unit, ceiling: ceiling ?? null, ratio, target: target.text, met: false, ...detail };
  f.met = Number.isFinite(value) && target.met(f) && !(detail.errors > 0);
  return f;
}

/** The targets of issue 7. */
export const TARGETS = {
  P1: { text: 'ratio >= 0.6', met: (f) => f.ratio >= 0.6 },
  P2: { text: '>= 5000 updates/s', met: (f) => f.value >= 5000 },
  P3: { text: 'p95 < 20 ms', met: (f) => f.value < 20 },
  P4: { text: 'p95 < 20 ms', met: (f) => f.value < 20 },
  P5: { text: '< 250 ms', met: (f) => f.value < 250 },
  P6: { text: '0 lost and p99 < 100 ms', met: (f) => f.lost === 0 && f.value < 100 },
  P7: { text: '< 300 MB', met: (f) => f.value < 300 },
};
// The same figures on the PostgreSQL store keep the targets of their SQLite counterparts.
TARGETS.P1pg = TARGETS.P1;
TARGETS.P3pg = TARGETS.P3;
TARGETS.P5pg = TARGETS.P5;

const packageVersion = (name) => JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;

function gitCommit() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit} (src modified)` : commit;
  } catch {
    return null;
  }
}

/** The machine and software the run measured. */
export function machine() {
  const db = new Database(':memory:');
  const sqlite = db.prepare('SELECT sqlite_version() AS v').get().v;
  db.close();
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    model: cpus[0]?.model ?? 'unknown',
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    sqlite,
    betterSqlite3: packageVersion('better-sqlite3'),
    fastify: packageVersion('fastify'),
    loadAverage: os.loadavg().map((x) => round(x, 2)),
    commit: gitCommit(),
    date: new Date().toISOString(),
  };
}

/** Writes the results as <dir>/<ISO timestamp>.json; returns the file's path. */
export function writeResults(dir, results) {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${results.machine.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  return file;
}

const show = (x) => (x === null || x === undefined ? '–' : typeof x === 'number' ? x.toLocaleString('en-US', { maximumFractionDigits: 3 }) : String(x));

/** The detail column of a figure: its latency percentiles and losses, when it has them; why it was skipped. */
function detailOf(f) {
  if (f.skipped) return `skipped: ${f.skipped}`;
  const parts = [];
  if (f.lost !== undefined) parts.push(`${show(f.lost)} lost`);
  for (const p of ['p50', 'p95', 'p99']) if (f[p] !== undefined) parts.push(`${p} ${show(f[p])} ms`);
  if (f.errors > 0) parts.push(`${show(f.errors)} failed requests`);
  return parts.join(', ');
}

/** The markdown table of the figures (figure, what, value, detail, ceiling, ratio, target, met). */
export function markdownTable(figures, titles) {
  const lines = ['| figure | what | value | detail | ceiling | ratio | target | met |', '| --- | --- | --- | --- | --- | --- | --- | --- |'];
  for (const [key, f] of Object.entries(figures)) {
    const ceiling = f.ceiling === null ? '–' : `${show(f.ceiling)} ${f.ceilingUnit ?? f.unit}`;
    lines.push(`| ${key} | ${titles[key]} | ${show(f.value)} ${f.unit} | ${detailOf(f)} | ${ceiling} | ${show(f.ratio)} | ${f.target} | ${f.met ? 'yes' : '**no**'} |`);
  }
  return lines.join('\n');
}
