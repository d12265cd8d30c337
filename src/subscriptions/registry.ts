/**
 * The compiled subscriptions Urbis holds in memory, by queue key and by tenant, so that the outbox
 * recorder (inside every write) and the dispatcher find a tenant's subscriptions without a query,
 * and the store generation they reflect (other nodes may have moved it on: see store.ts).
 */
import { queueKey, type CompiledSubscription } from './compile.js';

export class SubscriptionRegistry {
  private readonly byKey = new Map<string, CompiledSubscription>();
  private readonly byTenant = new Map<string, CompiledSubscription[]>();
  /** Every subscription change up to this generation of the store is in memory. */
  generation = 0;

  get(key: string): CompiledSubscription | undefined {
    return this.byKey.get(key);
  }

  find(tenant: string, id: string): CompiledSubscription | undefined {
    return this.byKey.get(queueKey(tenant, id));
  }

  /** Every subscription of a tenant (an empty array when it has none). */
  ofTenant(tenant: string): readonly CompiledSubscription[] {
    return this.byTenant.get(tenant) ?? [];
  }

  all(): IterableIterator<CompiledSubscription> {
    return this.byKey.values();
  }

  /** Adds or replaces a subscription. */
  put(cs: CompiledSubscription): void {
    this.remove(cs.key);
    this.byKey.set(cs.key, cs);
    this.byTenant.set(cs.stored.tenant, [...this.ofTenant(cs.stored.tenant), cs]);
  }

  remove(key: string): void {
    const old = this.byKey.get(key);
    if (!old) return;
    this.byKey.delete(key);
    const rest = this.ofTenant(old.stored.tenant).filter((c) => c.key !== key);
    if (rest.length > 0) this.byTenant.set(old.stored.tenant, rest);
    else this.byTenant.delete(old.stored.tenant);
  }
}
