/**
 * Runs once before the suite: builds dist/ as `npm install` does, because tests that start the
 * `urbis` command as a process (bin/urbis.js) run the compiled code, and the operations centre
 * (dist-web/, when stale) for the browser tests; and installs the Debian packages tests need.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ensureDebianPackages } from './helpers/debian.js';

export default function setup(): void {
  // Real servers and a real browser: Debian's mosquitto and chromium, installed once when missing.
  ensureDebianPackages();
  const root = path.resolve(import.meta.dirname, '..');
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building dist/ failed:\n${r.stdout}${r.stderr}`);
  const w = spawnSync('node', ['scripts/build-web.mjs'], { cwd: root, encoding: 'utf8' });
  if (w.status !== 0) throw new Error(`building dist-web/ failed:\n${w.stdout}${w.stderr}`);
}
