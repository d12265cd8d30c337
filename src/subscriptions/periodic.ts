/**
 * Periodic notifications (timeInterval): every timeInterval seconds, the entities that match the
 * subscription now (entities, q, scopeQ, geoQ, queried through the broker's store) are rendered
 * and queued like any other notification data, so they are delivered by the same workers.
 * A subscription with a subscriber principal queries with its read filter and notifies each
 * entity as the principal may see it. Every node keeps the timers; the node that holds the
 * subscription's claim (the one delivering it) is the one that notifies.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { BrokerStore } from '../broker/store.js';
import type { SubscriberAccess } from './access.js';
import type { CompiledSubscription } from './compile.js';
import { subscriptionStatus } from './model.js';
import { renderForSubscription } from './notification.js';
import type { SubscriptionStore } from './store.js';

/** Entities read per query page, and the most a periodic notification carries. */
const PAGE = 1000;
const MAX_ENTITIES = 10_000;

export class PeriodicNotifier {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly broker: BrokerStore,
    private readonly store: SubscriptionStore,
    private readonly onQueued: (keys: Set<string>) => void,
    private readonly log: FastifyBaseLogger,
    private readonly access?: SubscriberAccess,
  ) {}

  /** Starts (or restarts) the timer of a periodic subscription; stops it for any other. */
  schedule(cs: CompiledSubscription): void {
    this.unschedule(cs.key);
    const seconds = cs.stored.subscription.timeInterval;
    if (seconds === undefined) return;
    const timer = setInterval(() => {
      this.tick(cs).catch((err: unknown) => this.log.error({ err, subscription: cs.stored.subscription.id }, 'periodic notification failed'));
    }, seconds * 1000);
    this.timers.set(cs.key, timer);
  }

  unschedule(key: string): void {
    const t = this.timers.get(key);
    if (t) clearInterval(t);
    this.timers.delete(key);
  }

  private async tick(cs: CompiledSubscription): Promise<void> {
    const status = subscriptionStatus(cs.stored.subscription);
    if (status === 'expired') return this.unschedule(cs.key);
    if (status === 'paused') return;
    const { tenant, principal } = cs.stored;
    if (!(await this.store.claim(tenant, cs.stored.subscription.id))) return;
    const view = principal && this.access ? this.access.view(principal, tenant) : undefined;
    const data: unknown[] = [];
    for (let offset = 0; offset < MAX_ENTITIES; offset += PAGE) {
      const page = await this.broker.queryEntities(tenant, {
        entities: cs.selectors.map((s) => s.query),
        q: cs.q,
        scopeQ: cs.scopeQ,
        geoQ: cs.geoQ,
        expand: cs.expand,
        limit: PAGE,
        offset,
        count: false,
        ...(view ? { readFilter: view.readFilter } : {}),
      });
      for (const e of page.entities) {
        const visible = view ? view.visible(e) : e;
        if (visible) data.push(renderForSubscription(cs, visible));
      }
      if (page.entities.length < PAGE) break;
    }
    if (data.length === 0) return;
    await this.store.enqueue(data.map((d) => ({ tenant, subscriptionId: cs.stored.subscription.id, data: d })));
    this.onQueued(new Set([cs.key]));
  }

  close(): void {
    for (const key of [...this.timers.keys()]) this.unschedule(key);
  }
}
