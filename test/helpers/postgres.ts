/**
 * A throwaway PostgreSQL 15 + PostGIS cluster for the tests: created by the global set-up in a
 * temporary directory, listening on a free loopback port, and removed after the run. Each test
 * server gets its own database in it (named after its data directory, so that a process restarted
 * on the same data directory finds its data again).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './mosquitto.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

/** Debian packages of the PostgreSQL tests (package → a file it installs). */
export const POSTGRES_PACKAGES: Record<string, string> = {
  'postgresql-15': `${PG_BIN}/initdb`,
  'postgresql-15-postgis-3': '/usr/share/postgresql/15/extension/postgis.control',
};

export interface PostgresCluster {
  /** Superuser URL of the `postgres` database. */
  adminUrl: string;
  stop(): void;
}

/** Runs a PostgreSQL program as the `postgres` user when we are root (PostgreSQL refuses root). */
function asPostgres(cmd: string, args: string[]): void {
  const root = process.getuid?.() === 0;
  const r = root ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' }) : spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} failed (${r.status}):\n${r.stdout}${r.stderr}`);
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'urbis-pg-'));
  chmodSync(dir, 0o700);
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = path.join(dir, 'data');
  asPostgres(`${PG_BIN}/initdb`, ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  const port = await freePort();
  const opts = [`-p ${port}`, `-k ${dir}`, "-c listen_addresses=127.0.0.1", '-c max_connections=400', '-c shared_buffers=128MB', '-c fsync=on'].join(' ');
  asPostgres(`${PG_BIN}/pg_ctl`, ['-D', data, '-o', opts, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        asPostgres(`${PG_BIN}/pg_ctl`, ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The database name of a data directory. */
export function databaseName(key: string): string {
  return 'urbis_' + createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** Creates (when missing) the database of `key` in the cluster, with PostGIS; returns its URL. */
export async function createTestDatabase(adminUrl: string, key: string): Promise<string> {
  const name = databaseName(key);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = '/' + name;
  const db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  try {
    await db.query('CREATE EXTENSION IF NOT EXISTS postgis');
  } finally {
    await db.end();
  }
  return url.toString();
}

/** Drops the database of `key` (connections to it are cut). */
export async function dropTestDatabase(adminUrl: string, key: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName(key)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
