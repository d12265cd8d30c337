/**
 * Opens the stores the configuration names: PostgreSQL when --store (URBIS_STORE) is a
 * postgres:// URL, otherwise the embedded SQLite file in --data-dir.
 */
import type { SchemaMode, Stores } from './stores.js';
import { openSqliteStores } from './sqlite/index.js';
import { openPostgresStores } from './postgres/index.js';

export function isPostgresUrl(store: string): boolean {
  return /^postgres(ql)?:\/\//.test(store);
}

export async function openStores(config: { dataDir: string; store: string }, mode: SchemaMode = 'start'): Promise<Stores> {
  if (isPostgresUrl(config.store)) return openPostgresStores(config.store, mode);
  return openSqliteStores(config.dataDir, mode);
}
