/**
 * The stored JSON-LD context's table row (the same columns in SQLite and PostgreSQL) and its model.
 */
import type { StoredContext } from '../broker/store.js';

export interface ContextRow {
  id: string;
  url: string;
  kind: StoredContext['kind'];
  body: string;
  created_at: string;
  last_usage: string | null;
  hits: number;
}

export function toStoredContext(r: ContextRow): StoredContext {
  const c: StoredContext = { id: r.id, url: r.url, kind: r.kind, body: JSON.parse(r.body), createdAt: r.created_at, hits: r.hits };
  if (r.last_usage) c.lastUsage = r.last_usage;
  return c;
}
