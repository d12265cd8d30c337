/**
 * The PostgreSQL server of the benchmark's PostgreSQL figures. By default a throwaway PostgreSQL
 * 15 cluster: initdb in a temporary directory (as the `postgres` user when the run is root, since
 * PostgreSQL refuses root), pg_ctl on a free loopback port; it is stopped and removed at the end
 * of the run, when it fails and on Ctrl-C. With --pg-url, an existing server: the run creates its
 * own databases in it and drops them the same way. Needs PostgreSQL 15 with PostGIS (Debian:
 * postgresql-15, postgresql-15-postgis-3) and psql (postgresql-client, which PostgreSQL's package
 * brings): `missing()` says what is not there, and the figures are then reported as skipped.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { freePort, onCleanUp, removeDir, tempDir } from './processes.mjs';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const POSTGIS = '/usr/share/postgresql/15/extension/postgis.control';

/**
 * Settings of the throwaway cluster: docs/deployment.md's tuning scaled to a small shared
 * machine. Durability as in production: fsync and synchronous_commit on.
 */
export const CLUSTER_SETTINGS = {
  shared_buffers: '256MB',
  work_mem: '32MB',
  wal_compression: 'on',
  max_wal_size: '4GB',
  checkpoint_timeout: '15min',
  random_page_cost: '1.1',
  jit: 'off',
  max_locks_per_transaction: '256',
  max_connections: '100',
  fsync: 'on',
  synchronous_commit: 'on',
};

const installed = (cmd) => spawnSync(cmd, ['--version'], { encoding: 'utf8' }).status === 0;

/** Why the PostgreSQL figures cannot be measured on this machine, or null when they can. url: --pg-url. */
export function missing(url) {
  if (!installed('psql')) return 'psql is not installed (Debian: postgresql-client-15)';
  if (url) return null;
  if (!existsSync(`${PG_BIN}/initdb`)) return `PostgreSQL 15 is not installed (no ${PG_BIN}/initdb; Debian: postgresql-15)`;
  if (!existsSync(POSTGIS)) return 'PostGIS is not installed for PostgreSQL 15 (Debian: postgresql-15-postgis-3)';
  return null;
}

const root = process.getuid?.() === 0;

/** Runs a program (as the `postgres` user when asPostgres and the run is root); throws with its output when it fails. */
function run(cmd, args, asPostgres = false) {
  const r = asPostgres && root ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' }) : spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Runs SQL through psql (synchronous, for clean-up steps and COPY scripts). */
export const psql = (url, args) => run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, ...args]);

/** A throwaway cluster; resolves with { adminUrl, pid, dir, stop() } (stop also removes it). */
async function startCluster() {
  const dir = tempDir('urbis-bench-pg-');
  chmodSync(dir, 0o700);
  if (root) {
    const id = (flag) => Number(run('id', [flag, 'postgres']).trim());
    chownSync(dir, id('-u'), id('-g'));
  }
  const data = path.join(dir, 'data');
  run(`${PG_BIN}/initdb`, ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'], true);
  const port = await freePort();
  const settings = Object.entries(CLUSTER_SETTINGS).map(([k, v]) => `-c ${k}=${v}`);
  const opts = [`-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1', ...settings].join(' ');
  // Registered before the start, so that an interruption while it starts still stops it.
  const stop = onCleanUp(() => {
    if (existsSync(path.join(data, 'postmaster.pid'))) run(`${PG_BIN}/pg_ctl`, ['-D', data, '-m', 'immediate', '-w', 'stop'], true);
  });
  run(`${PG_BIN}/pg_ctl`, ['-D', data, '-o', opts, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start'], true);
  const pid = Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    pid,
    dir,
    stop() {
      stop();
      removeDir(dir);
    },
  };
}

async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const urlOf = (adminUrl, name) => {
  const url = new URL(adminUrl);
  url.pathname = '/' + name;
  return url.toString();
};

/**
 * The server of the PostgreSQL figures: a throwaway cluster (url undefined) or the server of url.
 * Resolves with { pid?, dir?, createDatabase(suffix), describe(url), stop() } (pid and dir: the
 * cluster's postmaster and directory); createDatabase creates urbis_bench_<pid>_<suffix> with
 * PostGIS and resolves with { url, drop() }.
 */
export async function postgresServer(url) {
  const cluster = url ? undefined : await startCluster();
  const adminUrl = url ?? cluster.adminUrl;
  await withClient(adminUrl, (c) => c.query('SELECT 1'));
  return {
    pid: cluster?.pid,
    dir: cluster?.dir,
    async createDatabase(suffix) {
      const name = `urbis_bench_${process.pid}_${suffix}`;
      await withClient(adminUrl, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.query(`CREATE DATABASE ${name}`);
      });
      // In a throwaway cluster the database goes with the cluster; in an existing server it is dropped.
      const drop = cluster ? () => {} : onCleanUp(() => psql(adminUrl, ['-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]));
      const dbUrl = urlOf(adminUrl, name);
      await withClient(dbUrl, (c) => c.query('CREATE EXTENSION IF NOT EXISTS postgis'));
      return { url: dbUrl, drop };
    },
    /** The server's versions and the settings that matter to the figures. */
    async describe(dbUrl) {
      return withClient(dbUrl, async (c) => {
        const { rows } = await c.query("SELECT current_setting('server_version') AS version, postgis_lib_version() AS postgis");
        const settings = {};
        for (const name of Object.keys(CLUSTER_SETTINGS)) settings[name] = (await c.query(`SELECT current_setting('${name}') AS v`)).rows[0].v;
        return { server: cluster ? 'throwaway cluster' : 'existing server (--pg-url)', version: rows[0].version, postgis: rows[0].postgis, settings };
      });
    },
    stop: () => cluster?.stop(),
  };
}
