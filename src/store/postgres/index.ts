/**
 * Opens every PostgreSQL store on one database (PostgreSQL 15 + PostGIS), for a city running one
 * or several Urbis nodes: applies or checks the schema, starts the cluster bus, and loads what the
 * stores keep in memory.
 */
import type { SchemaMode, Stores } from '../stores.js';
import { PgDatabase } from './database.js';
import { migratePostgres } from './migrate.js';
import { PgBus } from './bus.js';
import { BROKER_SCHEMA, PgBrokerStore } from './broker-store.js';
import { TEMPORAL_SCHEMA, PgTemporalStore } from './temporal-store.js';
import { SUBSCRIPTION_SCHEMA, PgSubscriptionStore } from './subscription-store.js';
import { IDENTITY_SCHEMA, PgIdentityStore } from './identity-store.js';
import { AUDIT_SCHEMA, PgAuditStore } from './audit-store.js';
import { INGEST_SCHEMA, PgIngestStore } from './ingest-store.js';

/** Every component's schema, in the order they are migrated. */
export const POSTGRES_SCHEMA = [BROKER_SCHEMA, TEMPORAL_SCHEMA, SUBSCRIPTION_SCHEMA, IDENTITY_SCHEMA, AUDIT_SCHEMA, INGEST_SCHEMA];

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

export async function openPostgresStores(url: string, mode: SchemaMode = 'start', opts: { poolSize?: number } = {}): Promise<Stores> {
  const db = new PgDatabase(url, { max: opts.poolSize ?? 10 });
  let bus: PgBus | undefined;
  try {
    const schema = await migratePostgres(db, POSTGRES_SCHEMA, mode);
    bus = new PgBus(db);
    await bus.start();
    const broker = new PgBrokerStore(db, bus);
    const temporal = new PgTemporalStore(db, bus);
    const subscriptions = new PgSubscriptionStore(db, bus);
    const identity = new PgIdentityStore(db, bus);
    const audit = new PgAuditStore(db, bus);
    const ingest = new PgIngestStore(db, bus);
    for (const s of [broker, temporal, subscriptions, identity, audit, ingest]) await s.init();
    return {
      kind: 'postgres',
      location: redactUrl(url),
      broker,
      temporal,
      subscriptions,
      identity,
      audit,
      ingest,
      bus,
      schema,
      async close() {
        await bus!.close();
        await db.close();
      },
    };
  } catch (err) {
    await bus?.close().catch(() => {});
    await db.close().catch(() => {});
    throw err;
  }
}
