/**
 * Runs `urbis start` as a real child process (the compiled bin/urbis.js, built by the global
 * set-up), for tests that restart, kill (SIGKILL) or run several nodes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { testStore } from './server.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/urbis.js');

export interface UrbisProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port> */
  base: string;
  /** Everything the process printed so far. */
  logs(): string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (a crash) and wait for the exit. */
  kill(): Promise<void>;
}

/**
 * Starts `urbis start --host 127.0.0.1 --port 0` plus `args` with data in `dataDir`; resolves once
 * it listens. By default without demo, MQTT or access control; pass flags to change that.
 */
export async function startUrbisProcess(dataDir: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<UrbisProcess> {
  let out = '';
  // In the PostgreSQL run, the process keeps its data in the database of its data directory.
  const store = await testStore(dataDir);
  const child = spawn('node', [BIN, 'start', '--host', '127.0.0.1', '--port', '0', '--log-level', 'info', ...args], {
    env: { ...process.env, URBIS_DATA_DIR: dataDir, URBIS_DEMO: '0', URBIS_MQTT: 'off', URBIS_OPEN: '1', URBIS_RATE_LIMIT: '0', URBIS_KEY_RATE_LIMIT: '0', URBIS_STORE: store, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`urbis did not start listening in 30 s:\n${out}`)), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`urbis exited with ${code} before listening:\n${out}`));
    });
    const check = () => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      } else if (child.exitCode === null) setTimeout(check, 50);
    };
    check();
  });
  const exited = () => new Promise<number | null>((r) => (child.exitCode !== null || child.signalCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code))));
  return {
    child,
    base,
    logs: () => out,
    async stop() {
      const done = exited();
      child.kill('SIGTERM');
      return done;
    },
    async kill() {
      const done = exited();
      child.kill('SIGKILL');
      await done;
    },
  };
}
