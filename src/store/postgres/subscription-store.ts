/**
 * PostgreSQL implementation of the subscriptions' Store (component 'subscriptions'), for one or
 * several Urbis nodes on one database: the subscriptions, the outbox written inside entity writes,
 * the per-subscription delivery queues, and what lets the nodes share them.
 *
 * - Generation. Every create, replace and delete moves `subscription_generation.gen` on (one row:
 *   subscription changes are serialised) and stamps the subscription with it (`revision`), or
 *   leaves a row in `subscription_removals`. A node loads what changed after the generation it
 *   holds; a write checks the generation on its own connection (recordIfBehind), and the dispatch
 *   reads it with the outbox rows, so a subscription created on one node is never missed by a
 *   write on another that has not heard of it yet.
 * - Dispatch. One node at a time (a transaction-level advisory lock), with the rows removed by
 *   their sequence numbers: rows of writes still in progress are left for the next round.
 * - Queues. Items are only appended under the same lock, so their sequence numbers grow in the
 *   order they become visible; a node reading a queue never skips an item it would see later.
 *   Each queue is delivered by the node holding the subscription's claim (subscription-claims.ts).
 *
 * Members are stored as `json` (kept as written, so GET shows them in their order). Delivery
 * bookkeeping commits with synchronous_commit off, like the SQLite store's: a crash of PostgreSQL
 * can only undo such a transaction whole, which leads to a resend, never to a loss.
 */
import type { ClusterBus } from '../../cluster/bus.js';
import type { Principal } from '../../identity/principal.js';
import type { DeliveryStatus, StoredSubscription, Subscription } from '../../subscriptions/model.js';
import type { OutboxRow, QueueItem, QueuedRow, RecordedChange, SubscriptionChanges, SubscriptionStore } from '../../subscriptions/store.js';
import { activeTx, type PgDatabase, type PgTx } from './database.js';
import type { SchemaComponent } from './migrate.js';
import { CLAIM_LOCKS, SubscriptionClaims } from './subscription-claims.js';

export const SUBSCRIPTION_SCHEMA: SchemaComponent = {
  component: 'subscriptions',
  migrations: [
    `
    CREATE TABLE subscriptions (
      tenant      text NOT NULL,
      id          text NOT NULL,
      data        json NOT NULL,             -- the Subscription members, as written
      context     json,                      -- its @context value, NULL for the core context
      delivery    json NOT NULL,             -- the delivery status (timesSent, ...)
      principal   json,                      -- the subscriber's principal, when access control was on
      created_at  text NOT NULL,
      revision    bigint NOT NULL,           -- the generation of its last create or replace
      PRIMARY KEY (tenant, id)
    );
    CREATE INDEX subscriptions_by_revision ON subscriptions (revision);
    -- The generation of the subscriptions: moved on by every create, replace and delete.
    CREATE TABLE subscription_generation (
      one  boolean PRIMARY KEY DEFAULT true CHECK (one),
      gen  bigint NOT NULL
    );
    INSERT INTO subscription_generation (gen) VALUES (0);
    -- Deletions, for nodes catching up (the latest ones only).
    CREATE TABLE subscription_removals (
      revision  bigint PRIMARY KEY,
      tenant    text NOT NULL,
      id        text NOT NULL
    );
    -- Entity changes that may concern a subscription, written in the transaction of the change.
    CREATE TABLE subscription_outbox (
      seq     bigserial PRIMARY KEY,
      tenant  text NOT NULL,
      change  json NOT NULL                  -- a RecordedChange
    );
    -- Notification data waiting for delivery, one row per entity per subscription, FIFO by seq.
    CREATE TABLE subscription_queue (
      seq              bigserial PRIMARY KEY,
      tenant           text NOT NULL,
      subscription_id  text NOT NULL,
      data             json NOT NULL
    );
    CREATE INDEX subscription_queue_by_subscription ON subscription_queue (tenant, subscription_id, seq);
    `,
  ],
};

/** Advisory lock of dispatching and appending to queues ('urbd', 0). */
const DISPATCH_LOCK = `pg_advisory_xact_lock(${0x75726264}, 0)`;
/** Removals kept for nodes catching up; a node further behind reloads every subscription. */
const REMOVALS_KEPT = 1000;
const COLUMNS = 'tenant, data, context, delivery, principal';
/** Subscriptions in the order they were created (text compared as bytes, as SQLite does). */
const IN_ORDER = 'ORDER BY tenant COLLATE "C", created_at COLLATE "C", id COLLATE "C"';

interface Row {
  tenant: string;
  data: Subscription;
  context: unknown;
  delivery: DeliveryStatus;
  principal: Principal | null;
}

const toStored = (r: Row): StoredSubscription => {
  const s: StoredSubscription = { tenant: r.tenant, subscription: r.data, context: r.context ?? undefined, delivery: r.delivery };
  if (r.principal !== null) s.principal = r.principal;
  return s;
};

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));

/** Thrown to roll back a subscription change that changed nothing (the generation stays). */
const NOTHING_CHANGED = new Error('nothing changed');

/** Changes recorded in one write transaction, inserted together by one deferred statement. */
interface Recorded {
  /** [tenant, change JSON] to insert. */
  rows: Array<[string, string]>;
  /** Changes to insert only if the subscriptions moved past the recorder's generation. */
  ifBehind: Array<{ generation: number; tenant: string; change: () => RecordedChange }>;
}

export class PgSubscriptionStore implements SubscriptionStore {
  readonly shared = true;
  private readonly claims: SubscriptionClaims;
  private readonly recorded = new WeakMap<PgTx, Recorded>();

  /** The other nodes are told about subscription changes and waiting queues by the subscriptions service. */
  constructor(
    private readonly db: PgDatabase,
    _bus: ClusterBus,
  ) {
    this.claims = new SubscriptionClaims(db.url);
  }

  /** Nothing is kept in memory here: the service loads the subscriptions. */
  async init(): Promise<void> {}

  async insert(s: StoredSubscription): Promise<boolean> {
    const sub = s.subscription;
    return this.changing(
      async (tx, gen) =>
        (
          await tx.query(
            `INSERT INTO subscriptions (tenant, id, data, context, delivery, principal, created_at, revision)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant, id) DO NOTHING RETURNING id`,
            [s.tenant, sub.id, JSON.stringify(sub), json(s.context), JSON.stringify(s.delivery), json(s.principal), sub.createdAt, gen],
          )
        ).length > 0,
    );
  }

  async get(tenant: string, id: string): Promise<StoredSubscription | undefined> {
    const rows = await this.db.query<Row>(`SELECT ${COLUMNS} FROM subscriptions WHERE tenant = $1 AND id = $2`, [tenant, id]);
    return rows.length > 0 ? toStored(rows[0]) : undefined;
  }

  async list(tenant: string, limit: number, offset: number): Promise<{ items: StoredSubscription[]; count: number }> {
    const [rows, [{ n }]] = await Promise.all([
      this.db.query<Row>(`SELECT ${COLUMNS} FROM subscriptions WHERE tenant = $1 ${IN_ORDER} LIMIT $2 OFFSET $3`, [tenant, limit, offset]),
      this.db.query<{ n: number }>('SELECT count(*) AS n FROM subscriptions WHERE tenant = $1', [tenant]),
    ]);
    return { items: rows.map(toStored), count: n };
  }

  async all(): Promise<StoredSubscription[]> {
    return (await this.db.query<Row>(`SELECT ${COLUMNS} FROM subscriptions ${IN_ORDER}`)).map(toStored);
  }

  async changesSince(generation: number | undefined): Promise<SubscriptionChanges> {
    if (generation !== undefined) {
      const [{ gen }] = await this.db.query<{ gen: number }>('SELECT gen FROM subscription_generation');
      if (gen === generation) return { generation, changed: [], removed: [], complete: false };
    }
    return this.db.transaction(async (tx) => {
      const [{ gen }] = await tx.query<{ gen: number }>('SELECT gen FROM subscription_generation');
      if (generation === undefined || generation < gen - REMOVALS_KEPT) {
        return { generation: gen, changed: (await tx.query<Row>(`SELECT ${COLUMNS} FROM subscriptions ${IN_ORDER}`)).map(toStored), removed: [], complete: true };
      }
      const changed = (await tx.query<Row>(`SELECT ${COLUMNS} FROM subscriptions WHERE revision > $1 ORDER BY revision`, [generation])).map(toStored);
      const removed = await tx.query<{ tenant: string; id: string }>('SELECT tenant, id FROM subscription_removals WHERE revision > $1 ORDER BY revision', [generation]);
      return { generation: gen, changed, removed, complete: false };
    }, 'repeatable read');
  }

  async replace(s: StoredSubscription): Promise<void> {
    await this.changing(
      async (tx, gen) =>
        (
          await tx.query('UPDATE subscriptions SET data = $3, context = $4, principal = $5, revision = $6 WHERE tenant = $1 AND id = $2 RETURNING id', [
            s.tenant,
            s.subscription.id,
            JSON.stringify(s.subscription),
            json(s.context),
            json(s.principal),
            gen,
          ])
        ).length > 0,
    );
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    return this.changing(async (tx, gen) => {
      if ((await tx.query('DELETE FROM subscriptions WHERE tenant = $1 AND id = $2 RETURNING id', [tenant, id])).length === 0) return false;
      await tx.query('DELETE FROM subscription_queue WHERE tenant = $1 AND subscription_id = $2', [tenant, id]);
      await tx.query('INSERT INTO subscription_removals (revision, tenant, id) VALUES ($1, $2, $3)', [gen, tenant, id]);
      await tx.query('DELETE FROM subscription_removals WHERE revision <= $1', [gen - REMOVALS_KEPT]);
      return true;
    }, true);
  }

  /**
   * Runs a change of the subscriptions in one transaction with the next generation, rolled back
   * when `change` finds nothing to change (false). Locks are taken in the order every writer takes
   * them: the dispatch lock (`dispatching`, for a deletion: no dispatch may append items to the
   * queue of a subscription deleted under its feet), the generation, the subscription, its queue.
   */
  private async changing(change: (tx: PgTx, generation: number) => Promise<boolean>, dispatching = false): Promise<boolean> {
    try {
      await this.db.transaction(async (tx) => {
        if (dispatching) await tx.query(`SELECT ${DISPATCH_LOCK}`);
        const [{ gen }] = await tx.query<{ gen: number }>('UPDATE subscription_generation SET gen = gen + 1 RETURNING gen');
        if (!(await change(tx, gen))) throw NOTHING_CHANGED;
      });
      return true;
    } catch (err) {
      if (err === NOTHING_CHANGED) return false;
      throw err;
    }
  }

  recordChange(tenant: string, change: RecordedChange): void {
    this.recording().rows.push([tenant, JSON.stringify(change)]);
  }

  recordIfBehind(generation: number, tenant: string, change: () => RecordedChange): void {
    this.recording().ifBehind.push({ generation, tenant, change });
  }

  /**
   * What the active write transaction records so far. The first change of a transaction queues one
   * statement on it, which inserts every change recorded by the time it runs (a batch write
   * records all its changes first), checking the generation once if needed.
   */
  private recording(): Recorded {
    const tx = activeTx();
    if (!tx) throw new Error('subscriptions: an entity change was recorded outside of a write transaction');
    let r = this.recorded.get(tx);
    if (!r) {
      const fresh: Recorded = { rows: [], ifBehind: [] };
      this.recorded.set(tx, (r = fresh));
      tx.deferWork(async (t) => {
        this.recorded.delete(tx);
        await this.insertRecorded(t, fresh);
      });
    }
    return r;
  }

  /** Runs as deferred work of the transaction: straight on its connection. */
  private async insertRecorded(tx: PgTx, r: Recorded): Promise<void> {
    const rows = r.rows;
    if (r.ifBehind.length > 0) {
      const { gen } = (await tx.client.query<{ gen: number }>('SELECT gen FROM subscription_generation')).rows[0];
      for (const c of r.ifBehind) if (c.generation < gen) rows.push([c.tenant, JSON.stringify(c.change())]);
    }
    if (rows.length === 0) return;
    await tx.client.query(
      'INSERT INTO subscription_outbox (tenant, change) SELECT t, c FROM unnest($1::text[], $2::json[]) WITH ORDINALITY AS u(t, c, n) ORDER BY n',
      [rows.map((x) => x[0]), rows.map((x) => x[1])],
    );
  }

  async dispatch(limit: number, route: (rows: OutboxRow[], generation: number) => Promise<QueueItem[]>): Promise<number> {
    // Most wake-ups find nothing (another node took the rows): no transaction, no lock for them.
    if ((await this.db.query('SELECT seq FROM subscription_outbox ORDER BY seq LIMIT 1')).length === 0) return 0;
    return this.db.transaction(async (tx) => {
      await tx.query(`SET LOCAL synchronous_commit = off; SELECT ${DISPATCH_LOCK}`);
      // The generation in the same snapshot as the rows: at least that of any subscription change
      // committed before their writes.
      const rows = await tx.query<{ seq: number; tenant: string; change: RecordedChange; gen: number }>(
        'SELECT seq, tenant, change, (SELECT gen FROM subscription_generation) AS gen FROM subscription_outbox ORDER BY seq LIMIT $1',
        [limit],
      );
      if (rows.length === 0) return 0;
      const items = await route(
        rows.map((r) => ({ seq: r.seq, tenant: r.tenant, change: r.change })),
        rows[0].gen,
      );
      await this.append(tx, items);
      await tx.query('DELETE FROM subscription_outbox WHERE seq = ANY($1::bigint[])', [rows.map((r) => r.seq)]);
      return rows.length;
    });
  }

  async enqueue(items: QueueItem[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(`SELECT ${DISPATCH_LOCK}`);
      await this.append(tx, items);
    });
  }

  /** Appends items to their queues, in order (the caller holds the dispatch lock); items of a subscription deleted meanwhile are dropped. */
  private async append(tx: PgTx, items: QueueItem[]): Promise<void> {
    if (items.length === 0) return;
    await tx.query(
      `INSERT INTO subscription_queue (tenant, subscription_id, data)
       SELECT u.t, u.s, u.d FROM unnest($1::text[], $2::text[], $3::json[]) WITH ORDINALITY AS u(t, s, d, n)
       WHERE EXISTS (SELECT 1 FROM subscriptions x WHERE x.tenant = u.t AND x.id = u.s)
       ORDER BY u.n`,
      [items.map((i) => i.tenant), items.map((i) => i.subscriptionId), items.map((i) => JSON.stringify(i.data))],
    );
  }

  async readQueue(tenant: string, id: string, limit: number): Promise<QueuedRow[]> {
    return this.db.query<QueuedRow>('SELECT seq, data FROM subscription_queue WHERE tenant = $1 AND subscription_id = $2 ORDER BY seq LIMIT $3', [tenant, id, limit]);
  }

  async acknowledge(tenant: string, id: string, upToSeq: number, delivery: DeliveryStatus): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('SET LOCAL synchronous_commit = off');
      await tx.query('UPDATE subscriptions SET delivery = $3 WHERE tenant = $1 AND id = $2', [tenant, id, JSON.stringify(delivery)]);
      await tx.query('DELETE FROM subscription_queue WHERE tenant = $1 AND subscription_id = $2 AND seq <= $3', [tenant, id, upToSeq]);
    });
  }

  async saveDelivery(tenant: string, id: string, delivery: DeliveryStatus): Promise<void> {
    await this.db.query('UPDATE subscriptions SET delivery = $3 WHERE tenant = $1 AND id = $2', [tenant, id, JSON.stringify(delivery)]);
  }

  async dropQueue(tenant: string, id: string): Promise<void> {
    await this.db.query('DELETE FROM subscription_queue WHERE tenant = $1 AND subscription_id = $2', [tenant, id]);
  }

  async queued(): Promise<Array<{ tenant: string; id: string }>> {
    return this.db.query<{ tenant: string; id: string }>(
      `SELECT s.tenant, s.id FROM subscriptions s
       WHERE EXISTS (SELECT 1 FROM subscription_queue q WHERE q.tenant = s.tenant AND q.subscription_id = s.id)
         AND NOT EXISTS (
           SELECT 1 FROM pg_locks l
           WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.pid <> $2
             AND l.classid = $1::int4::oid AND l.objid = hashtext(s.tenant || E'\\n' || s.id)::oid)`,
      [CLAIM_LOCKS, this.claims.pid],
    );
  }

  claim(tenant: string, id: string): Promise<boolean> {
    return this.claims.claim(tenant, id);
  }

  release(tenant: string, id: string): Promise<void> {
    return this.claims.release(tenant, id);
  }

  releaseClaims(): Promise<void> {
    return this.claims.close();
  }
}
