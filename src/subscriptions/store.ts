/**
 * What subscriptions need from persistence: the subscriptions themselves, the outbox (entity
 * changes recorded inside the transaction of the write that made them) and one delivery queue per
 * subscription. Several Urbis nodes may share one store (PostgreSQL): then the subscriptions carry a
 * generation that tells a node whether what it holds in memory is current, the outbox is dispatched
 * by one node at a time, and each queue is delivered by the one node that claimed it. The
 * implementations are src/store/sqlite/subscription-store.ts (one node) and
 * src/store/postgres/subscription-store.ts.
 */
import type { AttributeChangeKind } from '../broker/changes.js';
import type { AttrInstance, Entity } from '../broker/model.js';
import type { DeliveryStatus, StoredSubscription } from './model.js';

/** An attribute instance a write changed, with its previous content (for showChanges). */
export interface RecordedAttributeChange {
  name: string;
  datasetId?: string;
  kind: AttributeChangeKind;
  previous?: AttrInstance;
}

/** What a notification about one entity change needs, as the outbox keeps it. */
export interface RecordedChange {
  id: string;
  op: 'created' | 'updated' | 'deleted';
  at: string;
  /** The entity after the change; for a deletion, the entity as it was. */
  entity: Entity;
  attributes: RecordedAttributeChange[];
}

export interface OutboxRow {
  seq: number;
  tenant: string;
  change: RecordedChange;
}

/** One notification data item (a rendered entity) waiting for one subscription. */
export interface QueueItem {
  tenant: string;
  subscriptionId: string;
  data: unknown;
}

export interface QueuedRow {
  seq: number;
  data: unknown;
}

/** What changed in the subscriptions since a generation (see SubscriptionStore.changesSince). */
export interface SubscriptionChanges {
  /** The generation they are at now. */
  generation: number;
  /** Subscriptions created or replaced since (every subscription when `complete`). */
  changed: StoredSubscription[];
  /** Subscriptions deleted since (apply before `changed`: an id may have been deleted, then created again). */
  removed: Array<{ tenant: string; id: string }>;
  /** `changed` lists every subscription: forget any other. */
  complete: boolean;
}

export interface SubscriptionStore {
  /**
   * Other nodes share this store: they change subscriptions, dispatch and deliver too, and may die
   * leaving work behind, so a node polls for what it was not told about.
   */
  readonly shared: boolean;
  /** Adds a subscription; false when the tenant already has one with that id. */
  insert(s: StoredSubscription): Promise<boolean>;
  get(tenant: string, id: string): Promise<StoredSubscription | undefined>;
  list(tenant: string, limit: number, offset: number): Promise<{ items: StoredSubscription[]; count: number }>;
  /** Every subscription of every tenant. */
  all(): Promise<StoredSubscription[]>;
  /**
   * The subscriptions created, replaced or deleted (by any node) after `generation`; every
   * subscription when it is undefined (start-up) or too old. Each create, replace and delete moves
   * the generation on. A single node's store is always at generation 0: its node applies its own
   * changes in memory directly.
   */
  changesSince(generation: number | undefined): Promise<SubscriptionChanges>;
  /** Replaces the members, @context and principal of an existing subscription (not its delivery status). */
  replace(s: StoredSubscription): Promise<void>;
  /** Deletes a subscription and its queue; false when there is none. */
  delete(tenant: string, id: string): Promise<boolean>;
  /**
   * Appends a change to the outbox. Synchronous: called by the broker store's change recorder,
   * inside the transaction of the write, so it commits (or rolls back) with it.
   */
  recordChange(tenant: string, change: RecordedChange): void;
  /**
   * Appends a change to the outbox only if the subscriptions have moved past `generation` (the one
   * the caller's node holds in memory) by the time the write commits: another node created or
   * changed a subscription this node has not loaded yet, which may concern the change. Synchronous
   * like recordChange; `change` is called only then.
   */
  recordIfBehind(generation: number, tenant: string, change: () => RecordedChange): void;
  /**
   * Dispatches the oldest outbox rows (at most `limit`), with no other node dispatching at the same
   * time: `route` is given the rows, in order, and the subscriptions' generation as of them (at least
   * that of any subscription change committed before their writes), and returns the queue items
   * they lead to; the items are appended to their queues and the rows removed together. Returns
   * the number of rows dispatched (0: the outbox is empty).
   */
  dispatch(limit: number, route: (rows: OutboxRow[], generation: number) => Promise<QueueItem[]>): Promise<number>;
  /** Appends items to their queues. */
  enqueue(items: QueueItem[]): Promise<void>;
  /** The oldest queued items of one subscription, in order. */
  readQueue(tenant: string, id: string, limit: number): Promise<QueuedRow[]>;
  /** In one transaction: removes the delivered items (up to `upToSeq`) and saves the status. */
  acknowledge(tenant: string, id: string, upToSeq: number, delivery: DeliveryStatus): Promise<void>;
  saveDelivery(tenant: string, id: string, delivery: DeliveryStatus): Promise<void>;
  dropQueue(tenant: string, id: string): Promise<void>;
  /** Subscriptions with queued items that no other node has claimed (start-up, and work a dead node left). */
  queued(): Promise<Array<{ tenant: string; id: string }>>;
  /**
   * Claims the delivery of a subscription for this node (true), or tells that another node holds
   * it (false). A claim lasts until it is released or the node stops or dies; claiming again what
   * this node holds is true at once. The node delivering a subscription's queue, and running its
   * periodic notifications, is the one holding its claim.
   */
  claim(tenant: string, id: string): Promise<boolean>;
  release(tenant: string, id: string): Promise<void>;
  /** Releases every claim of this node (it stops). */
  releaseClaims(): Promise<void>;
}
