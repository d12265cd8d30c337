/**
 * Access control for notifications: a subscription created with access control on keeps its
 * subscriber's principal, and every entity it notifies is first reduced to what that principal
 * may read under the tenant's current policy (the identity feature provides the view). A change
 * the subscriber may not see is not notified; hidden attributes are as if absent: they neither
 * trigger, nor match q / geoQ, nor appear in data or as previous values.
 */
import type { Entity } from '../broker/model.js';
import type { EntityAccess } from '../broker/store.js';
import type { Principal } from '../identity/principal.js';
import type { RecordedChange } from './store.js';

/** What one subscriber may read of one tenant: the read filter of queries and each entity's visible view. */
export type SubscriberView = Pick<EntityAccess, 'readFilter' | 'visible'>;

/** Access control as subscriptions need it; absent when access control is off. */
export interface SubscriberAccess {
  /** The principal of the request being served (stored with the subscription it creates or changes). */
  current(): Principal | undefined;
  /** What `principal` may read of `tenant`'s entities, under the tenant's policy now. */
  view(principal: Principal, tenant: string): SubscriberView;
}

/** The change as the subscriber may see it; undefined when it may not see the entity. */
export function visibleChange(view: SubscriberView, c: RecordedChange): RecordedChange | undefined {
  const entity: Entity | undefined = view.visible(c.entity);
  if (!entity) return undefined;
  const hidden = new Set(view.readFilter.hiddenAttrs ?? []);
  if (entity === c.entity && hidden.size === 0) return c;
  return { ...c, entity, attributes: c.attributes.filter((a) => !hidden.has(a.name)) };
}
