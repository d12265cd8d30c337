// Shared pieces of the profiling scripts under bench/profile: start the compiled server as a child
// process (optionally with --cpu-prof), drive it over keep-alive HTTP from this process, and
// summarise CPU profiles. URBIS_ROOT names the build to run (a directory with bin/ and dist/;
// default: this repository).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = process.env.URBIS_ROOT ?? path.resolve(import.meta.dirname, '../..');

/**
 * Starts `urbis start` on a free port with a fresh data directory (or `dataDir`). `profileDir`
 * adds --cpu-prof writing there (the profile is written when the server stops).
 */
export async function startServer({ dataDir, profileDir } = {}) {
  const dir = dataDir ?? mkdtempSync(path.join(tmpdir(), 'urbis-prof-'));
  const prof = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const child = spawn(
    'node',
    [...prof, path.join(ROOT, 'bin/urbis.js'), 'start', '--host', '127.0.0.1', '--port', '0', '--data-dir', dir, '--no-demo', '--open',
      '--rate-limit', '0', '--key-rate-limit', '0', '--mqtt', 'off', '--log-level', 'info'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const base = await new Promise((resolve, reject) => {
    const check = () => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]);
      else if (child.exitCode !== null) reject(new Error(out));
      else setTimeout(check, 50);
    };
    check();
  });
  return {
    base,
    pid: child.pid,
    dataDir: dir,
    logs: () => out,
    async stop({ keep = false } = {}) {
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await done;
      if (!keep && !dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** One request; resolves with { status, body } (body as text). */
export function request(base, method, url, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = http.request(base + url, {
      method,
      agent,
      headers: { ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}), ...headers },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Runs `make(i)` → [method, url, body, headers] with `concurrency` requests in flight for `seconds`
 * (or `count` requests); returns requests/s, latency percentiles (ms) and statuses seen.
 */
export async function drive(base, make, { concurrency = 64, seconds = 5, count = Infinity, expect } = {}) {
  const latencies = [];
  const statuses = {};
  let i = 0;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until && i < count) {
        const [method, url, body, headers] = make(i++);
        const s = performance.now();
        const r = await request(base, method, url, body, headers);
        latencies.push(performance.now() - s);
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (expect && r.status !== expect) throw new Error(`${method} ${url}: ${r.status} ${r.body}`);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  return { rate: latencies.length / elapsed, ...percentiles(latencies), statuses, n: latencies.length };
}

export function percentiles(values) {
  const v = [...values].sort((a, b) => a - b);
  const at = (p) => v[Math.min(v.length - 1, Math.floor(p * v.length))];
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: v[v.length - 1] };
}

/**
 * Self time per function of the .cpuprofile files in `dir`, the top `n`, as
 * [{ fn, url, self (ms), share (%) }] plus the total sampled time.
 */
export function summariseProfiles(dir, n = 25) {
  const byFn = new Map();
  let total = 0;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
    const p = JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
    const nodes = new Map(p.nodes.map((nd) => [nd.id, nd]));
    const dt = new Map();
    for (let k = 0; k < p.samples.length; k++) dt.set(p.samples[k], (dt.get(p.samples[k]) ?? 0) + (p.timeDeltas[k] ?? 0));
    for (const [id, us] of dt) {
      const cf = nodes.get(id).callFrame;
      const url = cf.url.replace(/^.*\/(dist|node_modules)\//, '$1/');
      const key = `${cf.functionName || '(anonymous)'} ${url}:${cf.lineNumber + 1}`;
      byFn.set(key, (byFn.get(key) ?? 0) + us);
      total += us;
    }
  }
  const top = [...byFn.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
  return { totalMs: total / 1000, top: top.map(([fn, us]) => ({ fn, selfMs: +(us / 1000).toFixed(1), share: +((100 * us) / total).toFixed(1) })) };
}

/** Self time grouped by module (file), the top `n`. */
export function summariseByFile(dir, n = 20) {
  const byFile = new Map();
  let total = 0;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
    const p = JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
    const nodes = new Map(p.nodes.map((nd) => [nd.id, nd]));
    for (let k = 0; k < p.samples.length; k++) {
      const cf = nodes.get(p.samples[k]).callFrame;
      const key = cf.url ? cf.url.replace(/^.*\/(dist|node_modules)\//, '$1/').replace(/^(node_modules\/[^/]+).*$/, '$1') : `(${cf.functionName || 'native'})`;
      const us = p.timeDeltas[k] ?? 0;
      byFile.set(key, (byFile.get(key) ?? 0) + us);
      total += us;
    }
  }
  return [...byFile.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([file, us]) => ({ file, share: +((100 * us) / total).toFixed(1) }));
}

export function tmpDir(prefix = 'urbis-prof-') {
  return mkdtempSync(path.join(tmpdir(), prefix));
}
