/**
 * The storage ceilings of the SQLite store, with WAL and synchronous=FULL as Urbis opens its
 * database. Inserts: raw better-sqlite3 inserts of the rows P1 writes (one row per attribute of
 * the same city entities: entity id, attribute name, kind, the attribute's JSON, its number or
 * string value) into an indexed table (unique (entity, name), plus (name, vnum) and (name, vstr)
 * indexes like the broker's q indexes), in 1,000-row transactions; only the transactions are
 * timed, building each batch of rows is not. Commits: one-row transactions per second (each
 * waits for its fsync), the bound of any write acknowledged one at a time (P2's detail).
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { attributesOf, entity } from '../lib/city.mjs';

const ROWS_PER_TRANSACTION = 1000;

function open(dir, file) {
  const db = new Database(path.join(dir, file));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return db;
}

/** Inserts the attribute rows of entities 0..entities-1 into a new database in dir; rows/s. */
export function sqliteInsertCeiling(dir, entities, onProgress) {
  const db = open(dir, 'inserts.db');
  db.exec(`
    CREATE TABLE attributes (
      pk INTEGER PRIMARY KEY, entity TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
      data TEXT NOT NULL, vnum REAL, vstr TEXT, UNIQUE (entity, name)
    );
    CREATE INDEX attributes_num ON attributes (name, vnum) WHERE vnum IS NOT NULL;
    CREATE INDEX attributes_str ON attributes (name, vstr) WHERE vstr IS NOT NULL;
  `);
  const insert = db.prepare('INSERT INTO attributes (entity, name, kind, data, vnum, vstr) VALUES (?, ?, ?, ?, ?, ?)');
  const write = db.transaction((rows) => {
    for (const r of rows) insert.run(r);
  });
  let rows = [];
  let total = 0;
  let ms = 0;
  const flush = () => {
    const t0 = performance.now();
    write(rows);
    ms += performance.now() - t0;
    total += rows.length;
    rows = [];
  };
  for (let i = 0; i < entities; i++) {
    const e = entity(i);
    for (const [name, a] of attributesOf(e)) {
      const v = a.value;
      rows.push([e.id, name, a.type, JSON.stringify(a), typeof v === 'number' ? v : null, typeof v === 'string' ? v : null]);
      if (rows.length === ROWS_PER_TRANSACTION) flush();
    }
    if (i % 1000 === 0) onProgress?.(i);
  }
  if (rows.length > 0) flush();
  db.close();
  return { rows: total, seconds: ms / 1000, rowsPerSecond: total / (ms / 1000) };
}

/** Commits one-row transactions (a temperature update) for `seconds`; commits/s. */
export function sqliteCommitCeiling(dir, seconds) {
  const db = open(dir, 'commits.db');
  db.exec('CREATE TABLE attributes (pk INTEGER PRIMARY KEY, entity TEXT NOT NULL, data TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO attributes (entity, data) VALUES (?, ?)');
  let commits = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    insert.run('urn:ngsi-ld:WeatherObserved:bench-0', `{"type":"Property","value":${commits}}`);
    commits++;
  }
  db.close();
  return { commits, commitsPerSecond: commits / ((performance.now() - t0) / 1000) };
}
