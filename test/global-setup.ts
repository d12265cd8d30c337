/**
 * Runs once before the suite: builds dist/ as `npm install` does, because tests that start the
 * `urbis` command as a process (bin/urbis.js) run the compiled code, and the operations centre
 * (dist-web/, when stale) for the browser tests; installs the Debian packages tests need; and
 * starts the throwaway PostgreSQL cluster the PostgreSQL tests use (removed after the run).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { TEST_PACKAGES, ensureDebianPackages } from './helpers/debian.js';
import { POSTGRES_PACKAGES, startPostgresCluster } from './helpers/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the test cluster's `postgres` database. */
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  // Real servers and a real browser: Debian's mosquitto, chromium and PostgreSQL + PostGIS,
  // installed once when missing.
  ensureDebianPackages({ ...TEST_PACKAGES, ...POSTGRES_PACKAGES });
  const root = path.resolve(import.meta.dirname, '..');
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building dist/ failed:\n${r.stdout}${r.stderr}`);
  const w = spawnSync('node', ['scripts/build-web.mjs'], { cwd: root, encoding: 'utf8' });
  if (w.status !== 0) throw new Error(`building dist-web/ failed:\n${w.stdout}${w.stderr}`);
  const cluster = await startPostgresCluster();
  project.provide('postgresUrl', cluster.adminUrl);
  return () => cluster.stop();
}
