/**
 * The processes and temporary directories of a benchmark run: the Urbis server under test (the
 * compiled bin/urbis.js as a child process) and the hello-world ceiling server. Everything started
 * here is registered and removed when the run ends, fails or is interrupted (Ctrl-C, SIGTERM);
 * other things to undo (a PostgreSQL cluster, a database) register a clean-up step.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

const children = new Set();
const dirs = new Set();
const steps = new Set();

/** Kills what is still running, runs the clean-up steps, removes the temporary directories (synchronous: runs on exit). */
export function cleanUp() {
  for (const c of children) if (running(c)) c.kill('SIGKILL');
  children.clear();
  for (const s of steps) {
    steps.delete(s);
    try {
      s();
    } catch (e) {
      process.stderr.write(`clean-up: ${e instanceof Error ? e.message : e}\n`);
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

/**
 * Registers a synchronous clean-up step, run by cleanUp after the children are killed and before
 * the temporary directories are removed. Returns a function that runs the step now (once).
 */
export function onCleanUp(step) {
  steps.add(step);
  return () => {
    if (steps.delete(step)) step();
  };
}

const running = (c) => c.exitCode === null && c.signalCode === null;

/** On Ctrl-C or SIGTERM: kill the children, wait until they are gone (reaped), clean up, exit 130. */
async function interrupted(signal) {
  process.stderr.write(`\n${signal}: stopping the benchmark\n`);
  const gone = [...children].filter(running).map((c) => new Promise((r) => (c.once('exit', r), c.kill('SIGKILL'))));
  await Promise.race([Promise.all(gone), new Promise((r) => setTimeout(r, 5000))]);
  cleanUp();
  process.exit(130);
}

process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void interrupted(signal));

/** A new temporary directory, removed at the end of the run. */
export function tempDir(prefix) {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.add(d);
  return d;
}

/** Removes a temporary directory now. */
export function removeDir(d) {
  rmSync(d, { recursive: true, force: true });
  dirs.delete(d);
}

/** A TCP port free on loopback right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Spawns `node <args>` and resolves once `ready(base)` succeeds (polled), with { child, base,
 * pid, logs(), rssMB(), stop() }.
 */
async function startChild(args, port, ready, what) {
  let out = '';
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const keep = (d) => (out = (out + d).slice(-20_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before answering:\n${out}`);
    if (await ready(base).catch(() => false)) break;
    if (Date.now() > deadline) throw new Error(`${what} did not answer in 60 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    base,
    pid: child.pid,
    logs: () => out,
    /** Resident memory (VmRSS of /proc/<pid>/status) in MB. */
    rssMB() {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return Number(m[1]) / 1024;
    },
    /** SIGTERM (Urbis finishes requests in flight and closes the store), then the exit. */
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.once('exit', () => {
          clearTimeout(t);
          children.delete(child);
          resolve();
        });
        child.kill('SIGTERM');
      });
    },
  };
}

const answers = async (url) => (await fetch(url)).ok;

/**
 * Starts the Urbis server under test on a free loopback port: no demo, no MQTT, no access control
 * and no rate limits (the benchmark is its only client), logging warnings only. storeArgs: the
 * storage flags (see storage.mjs).
 */
export async function startUrbis(storeArgs) {
  const port = await freePort();
  const args = [
    path.join(ROOT, 'bin/urbis.js'), 'start', ...storeArgs,
    '--host', '127.0.0.1', '--port', String(port),
    '--no-demo', '--open', '--rate-limit', '0', '--key-rate-limit', '0', '--mqtt', 'off', '--log-level', 'warn',
  ];
  return startChild(args, port, (base) => answers(`${base}/ready`), 'urbis start');
}

/** Starts the hello-world Fastify server (ceilings/hello-world.mjs) in its own process. */
export async function startHelloWorld() {
  const port = await freePort();
  return startChild([path.join(ROOT, 'bench/ceilings/hello-world.mjs'), String(port)], port, (base) => answers(`${base}/`), 'hello-world server');
}
