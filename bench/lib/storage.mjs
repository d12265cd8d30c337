/**
 * The storage engines the benchmark runs Urbis on, each with the server flags that select it and
 * the names of its raw ceilings. The SQLite store (P1..P7) is measured against raw better-sqlite3
 * inserts and one-row commits; the PostgreSQL store (P1pg, P3pg, P5pg) against a raw COPY of the
 * same rows, with a multi-row unnest insert beside it (ceilings/postgres-insert.mjs).
 */
import { sqliteCommitCeiling, sqliteInsertCeiling } from '../ceilings/sqlite-insert.mjs';

export const SQLITE = {
  /** Flags of `urbis start` for a data directory. */
  serverArgs: (dataDir) => ['--data-dir', dataDir],
  ceilingName: 'raw better-sqlite3 insert, 1,000-row transactions, WAL, synchronous=FULL',
  insertCeiling: sqliteInsertCeiling,
  commitName: 'raw better-sqlite3 one-row transactions, WAL, synchronous=FULL',
  commitCeiling: sqliteCommitCeiling,
};

export const POSTGRES = {
  /** Flags of `urbis start` for a database URL. */
  serverArgs: (url) => ['--store', url],
  ceilingName: 'raw COPY FROM STDIN (psql), 1,000-row transactions, fsync and synchronous_commit on',
  unnestName: 'raw INSERT ... SELECT FROM unnest (pg package), 1,000-row transactions',
};
