/**
 * For the PostgreSQL broker store's own tests: a fresh database of the test cluster with the
 * broker's schema, and PostgreSQL broker stores ("nodes") on it, each with its own pool and a real
 * PgBus, like Urbis nodes sharing one database.
 */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { PgDatabase } from '../../src/store/postgres/database.js';
import { migratePostgres } from '../../src/store/postgres/migrate.js';
import { BROKER_SCHEMA, PgBrokerStore } from '../../src/store/postgres/broker-store.js';
import { PgBus } from '../../src/store/postgres/bus.js';
import { createTestDatabase, dropTestDatabase } from '../helpers/postgres.js';

export interface BrokerNode {
  db: PgDatabase;
  bus: PgBus;
  store: PgBrokerStore;
  close(): Promise<void>;
}

export interface BrokerDatabase {
  url: string;
  /** Opens one more node on the database. */
  node(): Promise<BrokerNode>;
  /** Closes every node and drops the database. */
  drop(): Promise<void>;
}

export async function brokerDatabase(): Promise<BrokerDatabase> {
  const admin = inject('postgresUrl');
  const key = `broker-${randomUUID()}`;
  const url = await createTestDatabase(admin, key);
  const nodes: BrokerNode[] = [];
  return {
    url,
    async node() {
      const db = new PgDatabase(url, { max: 4 });
      await migratePostgres(db, [BROKER_SCHEMA], 'start');
      const bus = new PgBus(db);
      await bus.start();
      const store = new PgBrokerStore(db, bus);
      await store.init();
      const node: BrokerNode = {
        db,
        bus,
        store,
        async close() {
          await store.close();
          await bus.close();
          await db.close();
        },
      };
      nodes.push(node);
      return node;
    },
    async drop() {
      for (const n of nodes.splice(0)) await n.close().catch(() => {});
      await dropTestDatabase(admin, key);
    },
  };
}
