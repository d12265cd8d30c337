/**
 * The dispatcher: after each commit (coalesced) and at start-up, reads the outbox in order,
 * evaluates every subscription of the row's tenant against the change (matcher.ts concerns),
 * renders the data item for each one that matches, and moves the items into the subscriptions'
 * queues while removing the outbox rows, in one transaction. It never runs inside a write.
 * A subscription with a subscriber principal sees each change reduced to what it may read.
 * When other nodes share the store, the rows may come from writes made after a subscription
 * change this node has not loaded yet: it catches up first (the store tells the generation).
 */
import type { FastifyBaseLogger } from 'fastify';
import { visibleChange, type SubscriberAccess, type SubscriberView } from './access.js';
import { concerns } from './matcher.js';
import { renderChange } from './notification.js';
import type { SubscriptionRegistry } from './registry.js';
import type { OutboxRow, QueueItem, SubscriptionStore } from './store.js';

/** Outbox rows read per transaction. */
const BATCH = 500;

export class Dispatcher {
  private scheduled = false;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    private readonly store: SubscriptionStore,
    private readonly registry: SubscriptionRegistry,
    /** Called with the queue keys that received items. */
    private readonly onQueued: (keys: Set<string>) => void,
    /** Loads the subscription changes up to `generation` when the registry is behind it. */
    private readonly catchUp: (generation: number) => Promise<void>,
    private readonly log: FastifyBaseLogger,
    private readonly access?: SubscriberAccess,
  ) {}

  /** Asks for a run soon; many wake-ups in a row lead to one run. */
  wake(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.run();
    });
  }

  private run(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.again = false;
    this.running = this.drain()
      .catch((err: unknown) => {
        this.log.error({ err }, 'subscriptions: dispatching the outbox failed; retrying in 1 s');
        setTimeout(() => this.wake(), 1000).unref();
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) this.wake();
      });
  }

  private async drain(): Promise<void> {
    while (!this.closed) {
      const keys = new Set<string>();
      const n = await this.store.dispatch(BATCH, async (rows, generation) => {
        await this.catchUp(generation);
        return this.route(rows, keys);
      });
      if (keys.size > 0) this.onQueued(keys);
      if (n < BATCH) return;
    }
  }

  /** The queue items of the rows (adding the keys of the queues they go to). */
  private route(rows: OutboxRow[], keys: Set<string>): QueueItem[] {
    const items: QueueItem[] = [];
    const now = Date.now();
    // The subscribers' views under the policies of now, once per batch.
    const views = new Map<string, SubscriberView>();
    for (const row of rows) {
      for (const cs of this.registry.ofTenant(row.tenant)) {
        try {
          let change: typeof row.change | undefined = row.change;
          const { principal } = cs.stored;
          if (principal && this.access) {
            const view = views.get(cs.key) ?? views.set(cs.key, this.access.view(principal, cs.stored.tenant)).get(cs.key)!;
            change = visibleChange(view, change);
          }
          if (!change || !concerns(cs, change, now)) continue;
          items.push({ tenant: row.tenant, subscriptionId: cs.stored.subscription.id, data: renderChange(cs, change) });
          keys.add(cs.key);
        } catch (err) {
          this.log.error({ err, subscription: cs.stored.subscription.id }, 'subscriptions: could not match or render a change');
        }
      }
    }
    return items;
  }

  /** Stops waking; waits for a run in progress. */
  async close(): Promise<void> {
    this.closed = true;
    await this.running;
  }
}
