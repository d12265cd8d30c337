/**
 * The benchmark suite (bench/run.mjs) runs end to end in its smoke mode: a real Urbis process,
 * both ceilings and every figure, then the PostgreSQL figures on a second Urbis process (on the
 * test cluster through --pg-url, or on a throwaway cluster of the benchmark's own), written to a
 * temporary --out directory in the shape issue 7 fixes. Nothing here judges the numbers (no
 * timing assertions): only that they are there.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ROOT } from '../helpers/process.js';

const SQLITE_FIGURES = ['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7'];
const PG_FIGURES = ['P1pg', 'P3pg', 'P5pg'];
const FIGURES = [...SQLITE_FIGURES, ...PG_FIGURES];
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bench/run.mjs args`; onStderr sees the progress as it comes (and may signal the run). */
function runBench(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bench/run.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const isNumber = (x: unknown) => typeof x === 'number' && Number.isFinite(x);

/** The one results file of a run in out. */
function resultsIn(out: string) {
  const files = readdirSync(out);
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.json$/);
  return JSON.parse(readFileSync(path.join(out, files[0]), 'utf8'));
}

/** Whether process pid runs (a zombie left for a parent that does not reap does not). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Names of the databases of the test cluster that a benchmark run created. */
async function benchDatabases(): Promise<string[]> {
  const client = new pg.Client({ connectionString: inject('postgresUrl') });
  await client.connect();
  try {
    const r = await client.query("SELECT datname FROM pg_database WHERE datname LIKE 'urbis_bench_%'");
    return r.rows.map((row: { datname: string }) => row.datname);
  } finally {
    await client.end();
  }
}

describe('npm run bench -- --smoke', () => {
  it('writes one results file with the machine, the mode, P1..P7 and P1pg, P3pg, P5pg (on --pg-url), and prints their table', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'urbis-bench-smoke-'));
    dirs.push(out);
    const run = await runBench(['--smoke', '--out', out, '--pg-url', inject('postgresUrl')]);
    expect(run.code, run.stderr).toBe(0);

    const results = resultsIn(out);
    expect(Object.keys(results).sort()).toEqual(['figures', 'machine', 'mode']);
    expect(results.mode).toBe('smoke');
    expect(results.machine.cpus).toBeGreaterThan(0);
    for (const key of ['model', 'memory', 'node', 'os', 'sqlite']) expect(typeof results.machine[key], key).toBe('string');
    expect(results.machine.node).toBe(process.version);

    expect(Object.keys(results.figures)).toEqual(FIGURES);
    for (const key of FIGURES) {
      const f = results.figures[key];
      expect(isNumber(f.value), `${key}.value`).toBe(true);
      expect(typeof f.unit, `${key}.unit`).toBe('string');
      expect(typeof f.target, `${key}.target`).toBe('string');
      expect(typeof f.met, `${key}.met`).toBe('boolean');
      expect(f.errors ?? 0, `${key} failed requests: ${f.firstError}`).toBe(0);
    }
    // P1, P2 and P1pg are ratios to the ceilings measured in the same run; the others have none.
    for (const key of ['P1', 'P2', 'P1pg']) {
      const f = results.figures[key];
      expect(f.ceiling, key).toBeGreaterThan(0);
      expect(f.ratio, key).toBeCloseTo(f.value / f.ceiling, 2);
    }
    for (const key of ['P3', 'P4', 'P5', 'P6', 'P7', 'P3pg', 'P5pg']) {
      expect(results.figures[key].ceiling, key).toBeNull();
      expect(results.figures[key].ratio, key).toBeNull();
    }
    // The detail behind the values: percentiles, and work that really happened.
    for (const key of ['P2', 'P3', 'P4', 'P6']) for (const p of ['p50', 'p95', 'p99']) expect(isNumber(results.figures[key][p]), `${key}.${p}`).toBe(true);
    expect(results.figures.P3.meanEntitiesReturned).toBeGreaterThan(0);
    expect(results.figures.P4.meanEntitiesReturned).toBeGreaterThan(0);
    expect(results.figures.P5.instancesAggregated).toBe(results.figures.P5.instances);
    expect(results.figures.P5.periods).toBe(744);
    expect(results.figures.P6.acknowledged).toBe(results.figures.P6.updates);
    expect(isNumber(results.figures.P6.lost)).toBe(true);
    expect(results.figures.P7.value).toBeGreaterThan(0);

    // The PostgreSQL figures: measured on that store, P1pg against a raw COPY of the same rows
    // (and the unnest insert beside it), on the server whose versions the machine records.
    for (const key of PG_FIGURES) {
      expect(results.figures[key].store, key).toBe('postgres');
      expect(results.figures[key].skipped, key).toBeUndefined();
    }
    expect(results.figures.P1pg.ceilingName).toMatch(/COPY/);
    expect(results.figures.P1pg.unnest.rowsPerSecond).toBeGreaterThan(0);
    expect(results.figures.P1pg.unnest.ratio).toBeCloseTo(results.figures.P1pg.value / results.figures.P1pg.unnest.rowsPerSecond, 2);
    expect(results.figures.P3pg.meanEntitiesReturned).toBeGreaterThan(0);
    expect(results.figures.P5pg.instancesAggregated).toBe(results.figures.P5pg.instances);
    expect(results.figures.P5pg.periods).toBe(744);
    expect(results.machine.postgres.server).toMatch(/--pg-url/);
    expect(results.machine.postgres.version).toMatch(/^15\./);
    expect(typeof results.machine.postgres.postgis).toBe('string');
    // The databases it created in the server of --pg-url are gone.
    expect(await benchDatabases()).toEqual([]);

    // The markdown table on stdout, one row per figure; the progress on stderr.
    expect(run.stdout).toContain('| figure | what | value |');
    for (const key of FIGURES) expect(run.stdout).toMatch(new RegExp(`^\\| ${key} \\|`, 'm'));
    expect(run.stderr).toContain('P1 batch upsert');
  }, 90_000);

  it('with --no-pg reports the PostgreSQL figures as skipped, with the reason, and still succeeds', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'urbis-bench-smoke-'));
    dirs.push(out);
    const run = await runBench(['--smoke', '--out', out, '--no-pg']);
    expect(run.code, run.stderr).toBe(0);
    const results = resultsIn(out);
    expect(Object.keys(results.figures)).toEqual(FIGURES);
    for (const key of SQLITE_FIGURES) expect(isNumber(results.figures[key].value), key).toBe(true);
    for (const key of PG_FIGURES) {
      const f = results.figures[key];
      expect(f, key).toMatchObject({ value: null, ceiling: null, ratio: null, met: false, skipped: 'not measured (--no-pg)' });
      expect(typeof f.unit, key).toBe('string');
      expect(typeof f.target, key).toBe('string');
      expect(run.stdout).toMatch(new RegExp(`^\\| ${key} \\|.*skipped: not measured`, 'm'));
    }
    expect(results.machine.postgres).toBeUndefined();
  }, 60_000);

  it('stops on Ctrl-C (SIGINT) leaving no server process and no data directory behind', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'urbis-bench-smoke-'));
    dirs.push(out);
    let pid = 0;
    let dataDir = '';
    const run = await runBench(['--smoke', '--out', out], (text, child) => {
      const m = /urbis started \(pid (\d+)\) at \S+, data in (\S+)/.exec(text);
      if (m && !pid) {
        pid = Number(m[1]);
        dataDir = m[2];
        child.kill('SIGINT');
      }
    });
    expect(pid, run.stderr).toBeGreaterThan(0);
    expect(run.code).toBe(130);
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    expect(existsSync(dataDir)).toBe(false);
    expect(readdirSync(out)).toEqual([]);
  }, 60_000);

  it('stops on Ctrl-C during the PostgreSQL figures leaving no PostgreSQL server and no cluster directory behind', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'urbis-bench-smoke-'));
    dirs.push(out);
    let pid = 0;
    let cluster = '';
    const run = await runBench(['--smoke', '--out', out], (text, child) => {
      const m = /postgres started \(pid (\d+)\), cluster in (\S+)/.exec(text);
      if (m && !pid) {
        pid = Number(m[1]);
        cluster = m[2];
        child.kill('SIGINT');
      }
    });
    expect(pid, run.stderr).toBeGreaterThan(0);
    expect(run.code, run.stderr).toBe(130);
    expect(running(pid)).toBe(false);
    expect(existsSync(cluster)).toBe(false);
    expect(readdirSync(out)).toEqual([]);
  }, 60_000);
});
