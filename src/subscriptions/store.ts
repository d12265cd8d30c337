/**
 * What subscriptions need from persistence: the subscriptions themselves, the outbox (entity
 * changes recorded inside the transaction of the write that made them) and one delivery queue per
 * subscription. The SQLite implementation is src/store/sqlite/subscription-store.ts.
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

export interface SubscriptionStore {
  /** Adds a subscription; false when the tenant already has one with that id. */
  insert(s: StoredSubscription): Promise<boolean>;
  get(tenant: string, id: string): Promise<StoredSubscription | undefined>;
  list(tenant: string, limit: number, offset: number): Promise<{ items: StoredSubscription[]; count: number }>;
  /** Every subscription of every tenant (start-up). */
  all(): Promise<StoredSubscription[]>;
  /** Replaces the members, @context and principal of an existing subscription (not its delivery status). */
  replace(s: StoredSubscription): Promise<void>;
  /** Deletes a subscription and its queue; false when there is none. */
  delete(tenant: string, id: string): Promise<boolean>;
  /**
   * Appends a change to the outbox. Synchronous: called by the broker store's change recorder,
   * inside the transaction of the write, so it commits (or rolls back) with it.
   */
  recordChange(tenant: string, change: RecordedChange): void;
  /** The oldest outbox rows, in order. */
  readOutbox(limit: number): Promise<OutboxRow[]>;
  /** In one transaction: appends the items to their queues and removes outbox rows up to `upToSeq`. */
  moveToQueues(upToSeq: number, items: QueueItem[]): Promise<void>;
  /** Appends items to their queues. */
  enqueue(items: QueueItem[]): Promise<void>;
  /** The oldest queued items of one subscription, in order. */
  readQueue(tenant: string, id: string, limit: number): Promise<QueuedRow[]>;
  /** In one transaction: removes the delivered items (up to `upToSeq`) and saves the status. */
  acknowledge(tenant: string, id: string, upToSeq: number, delivery: DeliveryStatus): Promise<void>;
  saveDelivery(tenant: string, id: string, delivery: DeliveryStatus): Promise<void>;
  dropQueue(tenant: string, id: string): Promise<void>;
  /** Subscriptions with queued items (start-up). */
  queued(): Promise<Array<{ tenant: string; id: string }>>;
}
