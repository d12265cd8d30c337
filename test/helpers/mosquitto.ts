/**
 * A real Mosquitto broker (Debian's package) for tests, on a free loopback port. Installs the
 * package with apt-get when it is missing (CI starts from a clean machine), and stops the broker
 * and removes its files afterwards.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const BINARY = '/usr/sbin/mosquitto';

export interface Mosquitto {
  port: number;
  /** mqtt://127.0.0.1:<port> */
  url: string;
  stop(): Promise<void>;
}

/** Installs Debian's mosquitto when it is not there yet (needs root, as on CI). */
export function ensureMosquitto(): void {
  if (existsSync(BINARY)) return;
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'mosquitto'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: 'pipe',
    timeout: 300_000,
  });
  if (!existsSync(BINARY)) throw new Error('apt-get install mosquitto did not install /usr/sbin/mosquitto');
}

/** A port the OS says is free right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, logs: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}: ${logs()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`mosquitto did not listen on ${port}: ${logs()}`);
}

/** Starts Mosquitto on a free loopback port, anonymous access allowed (loopback only). */
export async function startMosquitto(): Promise<Mosquitto> {
  ensureMosquitto();
  const dir = mkdtempSync(path.join(tmpdir(), 'urbis-mosquitto-'));
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', `log_dest stderr`, ''].join('\n'));
  let out = '';
  const child = spawn(BINARY, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await waitForPort(port, child, () => out);
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
