/**
 * The storage engines the benchmark can run Urbis on, each with the server flags that select it
 * and its raw ceilings (bulk inserts, single commits). Only the embedded SQLite store exists
 * today; a PostgreSQL entry (server flag `--store postgres://...`, insert ceiling: a raw COPY of
 * the same rows; figures P1, P3, P5) belongs here when that store lands.
 */
import { sqliteCommitCeiling, sqliteInsertCeiling } from '../ceilings/sqlite-insert.mjs';

const SQLITE = {
  name: 'sqlite',
  /** Flags of `urbis start` for a data directory. */
  serverArgs: (dataDir) => ['--data-dir', dataDir],
  ceilingName: 'raw better-sqlite3 insert, 1,000-row transactions, WAL, synchronous=FULL',
  insertCeiling: sqliteInsertCeiling,
  commitName: 'raw better-sqlite3 one-row transactions, WAL, synchronous=FULL',
  commitCeiling: sqliteCommitCeiling,
};

/** The storage named by --store (absent: SQLite). */
export function storageFor(option) {
  if (option === undefined || option === 'sqlite') return SQLITE;
  throw new Error(`--store ${option}: only the embedded SQLite store can be benchmarked so far (PostgreSQL comes with its store)`);
}
