/**
 * Opens the embedded SQLite database (WAL, full sync on commit) and applies schema migrations.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { MIGRATIONS } from './schema.js';
import { registerSqlFunctions } from './functions.js';
import { SchemaBehindError, type SchemaMode, type SchemaStatus } from '../stores.js';

export type Db = Database.Database;

/** How each open database treats older schemas (see SchemaMode). */
const modes = new WeakMap<Db, SchemaMode>();
/** What `migrate` found and did, per database, for `urbis migrate` to report. */
const statuses = new WeakMap<Db, SchemaStatus[]>();

export function openDatabase(file: string, mode: SchemaMode = 'start'): Db {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // FULL: a commit is on disk before the write is acknowledged (an acknowledged write is never lost).
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = OFF');
  registerSqlFunctions(db);
  modes.set(db, mode);
  migrate(db);
  return db;
}

/**
 * Applies the migrations of one component (the broker, history, subscriptions, ...) that the
 * database has not seen yet, each in its own transaction, and records them in schema_migrations.
 * Each component owns its tables and its list; versions count from 1 per component. A component
 * never installed is created; one at an older version is upgraded only by `urbis migrate`
 * (SchemaBehindError otherwise), so that an operator backs up before the schema changes.
 */
export function migrate(db: Db, component = 'broker', migrations: string[] = MIGRATIONS): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (component, version))');
  // Databases of the first release recorded the broker's versions in schema_version.
  const legacy = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (legacy) {
    db.transaction(() => {
      db.exec("INSERT OR IGNORE INTO schema_migrations (component, version, applied_at) SELECT 'broker', version, applied_at FROM schema_version");
      db.exec('DROP TABLE schema_version');
    })();
  }
  const row = db.prepare('SELECT max(version) AS v FROM schema_migrations WHERE component = ?').get(component) as { v: number | null };
  const current = row.v ?? 0;
  if (current > migrations.length) {
    throw new Error(`the database's ${component} schema is version ${current}, newer than this Urbis knows (${migrations.length}); upgrade Urbis`);
  }
  statuses.set(db, [...(statuses.get(db) ?? []).filter((x) => x.component !== component), { component, current, latest: migrations.length }]);
  if (current > 0 && current < migrations.length && modes.get(db) !== 'migrate') throw new SchemaBehindError(component, current, migrations.length);
  for (let v = current + 1; v <= migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v - 1]);
      db.prepare('INSERT INTO schema_migrations (component, version, applied_at) VALUES (?, ?, ?)').run(component, v, new Date().toISOString());
    })();
  }
}

/** Each component's version before this process opened the database, and the latest. */
export function schemaStatus(db: Db): SchemaStatus[] {
  return statuses.get(db) ?? [];
}
