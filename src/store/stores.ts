/**
 * Every store Urbis uses, opened together on one database: the embedded SQLite file (a town on
 * one machine) or PostgreSQL + PostGIS (several nodes). Features receive their store from here and
 * never know which one it is.
 */
import type { BrokerStore } from '../broker/store.js';
import type { TemporalStore } from '../temporal/store.js';
import type { SubscriptionStore } from '../subscriptions/store.js';
import type { IdentityStore } from '../identity/store.js';
import type { AuditStore } from '../audit/store.js';
import type { IngestStore } from '../ingest/store.js';
import type { ClusterBus } from '../cluster/bus.js';

export interface Stores {
  kind: 'sqlite' | 'postgres';
  /** Where the data is, for messages (a file path, or the PostgreSQL URL without its password). */
  location: string;
  broker: BrokerStore;
  temporal: TemporalStore;
  subscriptions: SubscriptionStore;
  identity: IdentityStore;
  audit: AuditStore;
  ingest: IngestStore;
  bus: ClusterBus;
  /** Each component's schema version when the store opened (before migrating), and the latest. */
  schema: SchemaStatus[];
  close(): Promise<void>;
}

/**
 * How a store treats its schema when it opens. start: a component never installed is created, one
 * at an older version is an error that says to run `urbis migrate`; migrate: apply every migration.
 */
export type SchemaMode = 'start' | 'migrate';

/** One component's schema versions (see docs/deployment.md, "Upgrading"). */
export interface SchemaStatus {
  component: string;
  current: number;
  latest: number;
}

/** The database's schema of a component is older than this Urbis: the operator must run `urbis migrate`. */
export class SchemaBehindError extends Error {
  constructor(
    readonly component: string,
    readonly current: number,
    readonly latest: number,
  ) {
    super(`the database's ${component} schema is at version ${current}, and this Urbis needs version ${latest}. Back up the database, then run \`urbis migrate\` with the same --data-dir or --store to upgrade it`);
  }
}
