/**
 * Shared set-up of the access-control tests: a server with access control on, an admin API key
 * made with the real `urbis key create` command, and principals of every role made through the API.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, type TestServer } from '../helpers/server.js';
import { BIN } from '../helpers/process.js';
import type { Config } from '../../src/config.js';

/** Runs the compiled `urbis` command. */
export function urbis(args: string[], dataDir: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('node', [BIN, ...args, '--data-dir', dataDir], { encoding: 'utf8', env: { ...process.env, URBIS_LOG_LEVEL: 'silent' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A secured server (open: false) plus an admin key created with the CLI before it started. */
export async function securedServer(overrides: Partial<Config> = {}): Promise<{ server: TestServer; adminKey: string; dataDir: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'urbis-identity-'));
  const created = urbis(['key', 'create', '--role', 'admin', '--name', 'test admin'], dataDir);
  if (created.status !== 0) throw new Error(`urbis key create failed: ${created.stderr}`);
  const adminKey = created.stdout.trim();
  const server = await startServer({ open: false, dataDir, ...overrides });
  return { server, adminKey, dataDir };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
