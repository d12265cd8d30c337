/**
 * Opens every SQLite store on one database file (urbis.db in the data directory): the embedded
 * default, for a town on one machine.
 */
import path from 'node:path';
import type { SchemaMode, Stores } from '../stores.js';
import { LocalBus } from '../../cluster/bus.js';
import { SqliteBrokerStore } from './broker-store.js';
import { SqliteTemporalStore } from './temporal-store.js';
import { SqliteSubscriptionStore } from './subscription-store.js';
import { SqliteIdentityStore } from './identity-store.js';
import { SqliteAuditStore } from './audit-store.js';
import { SqliteIngestStore } from './ingest-store.js';
import { schemaStatus } from './database.js';

export const DATABASE_FILE = 'urbis.db';

export function openSqliteStores(dataDir: string, mode: SchemaMode = 'start'): Stores {
  const file = path.join(path.resolve(dataDir), DATABASE_FILE);
  const broker = new SqliteBrokerStore(file, mode);
  const db = broker.db;
  const stores: Stores = {
    kind: 'sqlite',
    location: file,
    broker,
    temporal: new SqliteTemporalStore(db),
    subscriptions: new SqliteSubscriptionStore(db),
    identity: new SqliteIdentityStore(db),
    audit: new SqliteAuditStore(db),
    ingest: new SqliteIngestStore(db),
    bus: new LocalBus(),
    schema: [],
    close: () => broker.close(),
  };
  stores.schema = schemaStatus(db);
  return stores;
}
