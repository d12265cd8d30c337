/**
 * Shared set-up of the access-control tests: a server with access control on, an admin API key
 * made with the real `urbis key create` command, and principals of every role made through the API.
 * In the PostgreSQL run, the commands work on the database of the data directory (--store).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, testStore, type TestServer } from '../helpers/server.js';
import { BIN } from '../helpers/process.js';
import type { Config } from '../../src/config.js';

/** The PostgreSQL database of each data directory set up by securedServer (PostgreSQL run only). */
const stores = new Map<string, string>();

/**
 * Runs the compiled `urbis` command on the data of `dataDir`. Asynchronously: a server running in
 * this process meanwhile keeps serving (on PostgreSQL, the command may wait for a lock it holds).
 */
export function urbis(args: string[], dataDir: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env, URBIS_LOG_LEVEL: 'silent', URBIS_STORE: stores.get(dataDir) ?? '' };
  const child = spawn('node', [BIN, ...args, '--data-dir', dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A secured server (open: false) plus an admin key created with the CLI before it started. */
export async function securedServer(overrides: Partial<Config> = {}): Promise<{ server: TestServer; adminKey: string; dataDir: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'urbis-identity-'));
  const store = await testStore(dataDir);
  if (store !== '') stores.set(dataDir, store);
  const created = await urbis(['key', 'create', '--role', 'admin', '--name', 'test admin'], dataDir);
  if (created.status !== 0) throw new Error(`urbis key create failed: ${created.stderr}`);
  const adminKey = created.stdout.trim();
  const server = await startServer({ open: false, dataDir, ...overrides });
  return { server, adminKey, dataDir };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
