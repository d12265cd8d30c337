/**
 * SQLite implementation of the subscriptions' Store, on the broker's database (component
 * 'subscriptions' of the migrations): subscriptions, the outbox written inside entity writes, and
 * the per-subscription delivery queues. One node uses the file, so its generation never moves and
 * every claim is granted.
 */
import type { Statement } from 'better-sqlite3';
import type { DeliveryStatus, StoredSubscription, Subscription } from '../../subscriptions/model.js';
import type { OutboxRow, QueueItem, QueuedRow, RecordedChange, SubscriptionChanges, SubscriptionStore } from '../../subscriptions/store.js';
import type { Principal } from '../../identity/principal.js';
import { migrate, type Db } from './database.js';

export const SUBSCRIPTION_MIGRATIONS: string[] = [
  `
  CREATE TABLE subscriptions (
    tenant      TEXT NOT NULL,
    id          TEXT NOT NULL,
    data        TEXT NOT NULL,             -- JSON of the Subscription members, as written
    context     TEXT,                      -- JSON of its @context value, NULL for the core context
    delivery    TEXT NOT NULL,             -- JSON of the delivery status (timesSent, ...)
    created_at  TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
  );
  -- Entity changes that may concern a subscription, written in the transaction of the change.
  CREATE TABLE subscription_outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant      TEXT NOT NULL,
    change      TEXT NOT NULL              -- JSON of a RecordedChange
  );
  -- Notification data waiting for delivery, one row per entity per subscription, FIFO by seq.
  CREATE TABLE subscription_queue (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant      TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    data        TEXT NOT NULL
  );
  CREATE INDEX subscription_queue_by_subscription ON subscription_queue (tenant, subscription_id, seq);
  `,
  // The subscriber's principal (JSON), when access control was on: notifications show only what it may read.
  `ALTER TABLE subscriptions ADD COLUMN principal TEXT;`,
];

interface Row {
  tenant: string;
  data: string;
  context: string | null;
  delivery: string;
  principal: string | null;
}

const toStored = (r: Row): StoredSubscription => {
  const s: StoredSubscription = {
    tenant: r.tenant,
    subscription: JSON.parse(r.data) as Subscription,
    context: r.context === null ? undefined : JSON.parse(r.context),
    delivery: JSON.parse(r.delivery) as DeliveryStatus,
  };
  if (r.principal !== null) s.principal = JSON.parse(r.principal) as Principal;
  return s;
};

const principalJson = (s: StoredSubscription) => (s.principal === undefined ? null : JSON.stringify(s.principal));

const contextJson = (c: unknown) => (c === undefined ? null : JSON.stringify(c));

export class SqliteSubscriptionStore implements SubscriptionStore {
  readonly shared = false;
  private readonly stmt: Record<string, Statement>;

  constructor(private readonly db: Db) {
    migrate(db, 'subscriptions', SUBSCRIPTION_MIGRATIONS);
    const p = (sql: string) => db.prepare(sql);
    this.stmt = {
      insert: p('INSERT OR IGNORE INTO subscriptions (tenant, id, data, context, delivery, created_at, principal) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      get: p('SELECT tenant, data, context, delivery, principal FROM subscriptions WHERE tenant = ? AND id = ?'),
      list: p('SELECT tenant, data, context, delivery, principal FROM subscriptions WHERE tenant = ? ORDER BY created_at, id LIMIT ? OFFSET ?'),
      count: p('SELECT count(*) AS n FROM subscriptions WHERE tenant = ?'),
      all: p('SELECT tenant, data, context, delivery, principal FROM subscriptions ORDER BY tenant, created_at, id'),
      replace: p('UPDATE subscriptions SET data = ?, context = ?, principal = ? WHERE tenant = ? AND id = ?'),
      delete: p('DELETE FROM subscriptions WHERE tenant = ? AND id = ?'),
      record: p('INSERT INTO subscription_outbox (tenant, change) VALUES (?, ?)'),
      readOutbox: p('SELECT seq, tenant, change FROM subscription_outbox ORDER BY seq LIMIT ?'),
      trimOutbox: p('DELETE FROM subscription_outbox WHERE seq <= ?'),
      enqueue: p('INSERT INTO subscription_queue (tenant, subscription_id, data) VALUES (?, ?, ?)'),
      readQueue: p('SELECT seq, data FROM subscription_queue WHERE tenant = ? AND subscription_id = ? ORDER BY seq LIMIT ?'),
      ack: p('DELETE FROM subscription_queue WHERE tenant = ? AND subscription_id = ? AND seq <= ?'),
      saveDelivery: p('UPDATE subscriptions SET delivery = ? WHERE tenant = ? AND id = ?'),
      dropQueue: p('DELETE FROM subscription_queue WHERE tenant = ? AND subscription_id = ?'),
      queued: p('SELECT DISTINCT tenant, subscription_id AS id FROM subscription_queue'),
    };
  }

  async insert(s: StoredSubscription): Promise<boolean> {
    const sub = s.subscription;
    return this.stmt.insert.run(s.tenant, sub.id, JSON.stringify(sub), contextJson(s.context), JSON.stringify(s.delivery), sub.createdAt, principalJson(s)).changes > 0;
  }

  async get(tenant: string, id: string): Promise<StoredSubscription | undefined> {
    const r = this.stmt.get.get(tenant, id) as Row | undefined;
    return r ? toStored(r) : undefined;
  }

  async list(tenant: string, limit: number, offset: number): Promise<{ items: StoredSubscription[]; count: number }> {
    const items = (this.stmt.list.all(tenant, limit, offset) as Row[]).map(toStored);
    return { items, count: (this.stmt.count.get(tenant) as { n: number }).n };
  }

  async all(): Promise<StoredSubscription[]> {
    return (this.stmt.all.all() as Row[]).map(toStored);
  }

  async changesSince(generation: number | undefined): Promise<SubscriptionChanges> {
    const complete = generation === undefined;
    return { generation: 0, changed: complete ? await this.all() : [], removed: [], complete };
  }

  async replace(s: StoredSubscription): Promise<void> {
    this.stmt.replace.run(JSON.stringify(s.subscription), contextJson(s.context), principalJson(s), s.tenant, s.subscription.id);
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    return this.db.transaction(() => {
      this.stmt.dropQueue.run(tenant, id);
      return this.stmt.delete.run(tenant, id).changes > 0;
    })();
  }

  recordChange(tenant: string, change: RecordedChange): void {
    this.stmt.record.run(tenant, JSON.stringify(change));
  }

  /** The node's subscriptions are always current: nothing to record beyond what recordChange records. */
  recordIfBehind(): void {}

  /** One node: nobody else dispatches. The rows read are removed with the items' insertion. */
  async dispatch(limit: number, route: (rows: OutboxRow[], generation: number) => Promise<QueueItem[]>): Promise<number> {
    const rows = (this.stmt.readOutbox.all(limit) as Array<{ seq: number; tenant: string; change: string }>).map((r) => ({
      seq: r.seq,
      tenant: r.tenant,
      change: JSON.parse(r.change) as RecordedChange,
    }));
    if (rows.length === 0) return 0;
    const items = await route(rows, 0);
    this.bookkeeping(() => {
      this.insertItems(items);
      this.stmt.trimOutbox.run(rows[rows.length - 1].seq);
    });
    return rows.length;
  }

  /**
   * Runs delivery bookkeeping in one transaction committed without waiting for the disk
   * (synchronous=NORMAL for this commit only; the next FULL commit of any write flushes it).
   * Nothing can be lost by it: the transaction stays atomic, so a crash can only undo it whole,
   * which leaves the outbox rows to be dispatched again or the delivered items to be sent again
   * (at-least-once). Entity writes keep synchronous=FULL.
   */
  private bookkeeping(fn: () => void): void {
    this.db.pragma('synchronous = NORMAL');
    try {
      this.db.transaction(fn)();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  async enqueue(items: QueueItem[]): Promise<void> {
    this.db.transaction(() => this.insertItems(items))();
  }

  private insertItems(items: QueueItem[]): void {
    for (const i of items) this.stmt.enqueue.run(i.tenant, i.subscriptionId, JSON.stringify(i.data));
  }

  async readQueue(tenant: string, id: string, limit: number): Promise<QueuedRow[]> {
    return (this.stmt.readQueue.all(tenant, id, limit) as Array<{ seq: number; data: string }>).map((r) => ({ seq: r.seq, data: JSON.parse(r.data) }));
  }

  async acknowledge(tenant: string, id: string, upToSeq: number, delivery: DeliveryStatus): Promise<void> {
    this.bookkeeping(() => {
      this.stmt.ack.run(tenant, id, upToSeq);
      this.stmt.saveDelivery.run(JSON.stringify(delivery), tenant, id);
    });
  }

  async saveDelivery(tenant: string, id: string, delivery: DeliveryStatus): Promise<void> {
    this.bookkeeping(() => this.stmt.saveDelivery.run(JSON.stringify(delivery), tenant, id));
  }

  async dropQueue(tenant: string, id: string): Promise<void> {
    this.stmt.dropQueue.run(tenant, id);
  }

  async queued(): Promise<Array<{ tenant: string; id: string }>> {
    return this.stmt.queued.all() as Array<{ tenant: string; id: string }>;
  }

  async claim(): Promise<boolean> {
    return true;
  }

  async release(): Promise<void> {}

  async releaseClaims(): Promise<void> {}
}
