/**
 * Schema migrations of the PostgreSQL stores, recorded in schema_migrations (component, version)
 * like the SQLite ones. Each store exports its component name and its list of migrations (SQL
 * scripts, never edited once released). Migrating holds an advisory lock, so that nodes starting
 * together do not migrate twice.
 */
import type { PgDatabase } from './database.js';
import { SchemaBehindError, type SchemaMode, type SchemaStatus } from '../stores.js';

export interface SchemaComponent {
  component: string;
  migrations: string[];
}

/** Advisory lock key of migrations ('urbis' + 1). */
const MIGRATION_LOCK = 0x75726269_1;

export async function migratePostgres(db: PgDatabase, components: SchemaComponent[], mode: SchemaMode): Promise<SchemaStatus[]> {
  const client = await db.pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (component text NOT NULL, version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))');
    const statuses: SchemaStatus[] = [];
    for (const { component, migrations } of components) {
      const r = await client.query('SELECT coalesce(max(version), 0) AS v FROM schema_migrations WHERE component = $1', [component]);
      const current = Number(r.rows[0].v);
      statuses.push({ component, current, latest: migrations.length });
      if (current > migrations.length) {
        throw new Error(`the database's ${component} schema is version ${current}, newer than this Urbis knows (${migrations.length}); upgrade Urbis`);
      }
      if (current > 0 && current < migrations.length && mode !== 'migrate') throw new SchemaBehindError(component, current, migrations.length);
      for (let v = current + 1; v <= migrations.length; v++) {
        await client.query('BEGIN');
        try {
          await client.query(migrations[v - 1]);
          await client.query('INSERT INTO schema_migrations (component, version) VALUES ($1, $2)', [component, v]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw new Error(`migration ${component} ${v} failed: ${(err as Error).message}`);
        }
      }
    }
    return statuses;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.release();
  }
}
