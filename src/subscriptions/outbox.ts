/**
 * The outbox recorder: runs inside the transaction of every entity write and, when the change may
 * concern an active subscription of the tenant (matcher.ts mayConcern: selectors, trigger,
 * watched attributes), appends one outbox row with what its notifications need. It commits with
 * the write, so an acknowledged write always leads to its notifications, even after a crash.
 * A tenant without subscriptions costs one Map look-up per change. When another node may have
 * created or changed a subscription that this node has not loaded yet, the store records the
 * change anyway (recordIfBehind), and the dispatcher decides once it has caught up.
 */
import type { ChangeRecorder, EntityChange } from '../broker/changes.js';
import { mayConcern } from './matcher.js';
import type { SubscriptionRegistry } from './registry.js';
import type { RecordedAttributeChange, RecordedChange, SubscriptionStore } from './store.js';

export function outboxRecorder(registry: SubscriptionRegistry, store: SubscriptionStore): ChangeRecorder {
  return (change: EntityChange) => {
    const entity = change.after ?? change.before;
    if (!entity) return;
    const subscriptions = registry.ofTenant(change.tenant);
    if (subscriptions.length > 0) {
      const candidate = { op: change.op, attributes: change.attributes, entity };
      const now = Date.now();
      if (subscriptions.some((cs) => mayConcern(cs, candidate, now))) return store.recordChange(change.tenant, recorded(change, entity));
    }
    store.recordIfBehind(registry.generation, change.tenant, () => recorded(change, entity));
  };
}

function recorded(change: EntityChange, entity: RecordedChange['entity']): RecordedChange {
  return {
    id: change.id,
    op: change.op,
    at: change.at,
    entity,
    attributes: change.attributes.map((a) => {
      const r: RecordedAttributeChange = { name: a.name, kind: a.kind };
      if (a.datasetId !== undefined) r.datasetId = a.datasetId;
      if (a.previous !== undefined) r.previous = a.previous;
      return r;
    }),
  };
}
