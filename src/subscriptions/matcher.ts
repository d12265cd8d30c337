/**
 * Does an entity change concern a subscription? {@link mayConcern} is the cheap test the outbox
 * recorder runs inside every write (selectors, trigger, watched attributes); {@link concerns}
 * adds the filters (q, scopeQ, geoQ) that the dispatcher evaluates after commit, with the
 * semantics of entity queries (q-eval.ts agrees with the SQL).
 */
import { matchesGeoQuery } from '../broker/geo/geo-query.js';
import type { Geometry } from '../broker/geo/geometry.js';
import type { Entity } from '../broker/model.js';
import { evalQ, evalScopeQ, evalTypeSelection } from '../broker/query/q-eval.js';
import type { CompiledSubscription } from './compile.js';
import { subscriptionStatus } from './model.js';
import type { RecordedChange } from './store.js';

/** Whether a change-driven subscription is active now (not paused, not expired, not periodic). */
export function listensToChanges(cs: CompiledSubscription, now = Date.now()): boolean {
  const s = cs.stored.subscription;
  return s.timeInterval === undefined && subscriptionStatus(s, now) === 'active';
}

/** The entity satisfies one of the subscription's entity selectors (or it has none). */
export function selects(cs: CompiledSubscription, e: Entity): boolean {
  if (cs.selectors.length === 0) return true;
  return cs.selectors.some(
    (sel) =>
      (sel.id === undefined || sel.id === e.id) &&
      (sel.idPattern === undefined || sel.idPattern.test(e.id)) &&
      (sel.typeSelection === undefined || evalTypeSelection(sel.typeSelection, e, cs.expand)),
  );
}

/**
 * The notificationTrigger of the subscription fires for this change: entityCreated / entityDeleted
 * on creation / deletion; the attribute triggers (and entityUpdated, which is all three) when a
 * watched attribute (any, without watchedAttributes) was created, updated or deleted. Creating an
 * entity creates its attributes; deleting one fires entityDeleted only.
 */
export function triggers(cs: CompiledSubscription, c: Pick<RecordedChange, 'op' | 'attributes'>): boolean {
  const t = cs.triggers;
  if (c.op === 'deleted') return t.has('entityDeleted');
  if (c.op === 'created' && t.has('entityCreated')) return true;
  return c.attributes.some(
    (a) =>
      (cs.watched === undefined || cs.watched.has(a.name)) &&
      ((a.kind === 'created' && t.has('attributeCreated')) ||
        (a.kind === 'updated' && t.has('attributeUpdated')) ||
        (a.kind === 'deleted' && t.has('attributeDeleted')) ||
        (c.op === 'updated' && t.has('entityUpdated'))),
  );
}

/** The cheap part of the match, safe to run inside a write. */
export function mayConcern(cs: CompiledSubscription, c: Pick<RecordedChange, 'op' | 'attributes' | 'entity'>, now = Date.now()): boolean {
  return listensToChanges(cs, now) && triggers(cs, c) && selects(cs, c.entity);
}

/** The entity satisfies the subscription's q, scopeQ and geoQ (those it has). */
export function filters(cs: CompiledSubscription, e: Entity): boolean {
  if (cs.q && !evalQ(cs.q, e, cs.expand)) return false;
  if (cs.scopeQ && !evalScopeQ(cs.scopeQ, e)) return false;
  if (cs.geoQ) {
    const geo = cs.geoQ;
    const instances = e.attrs[geo.geoproperty] ?? [];
    if (!instances.some((i) => i.type === 'GeoProperty' && matchesGeoQuery(geo, i.value as Geometry))) return false;
  }
  return true;
}

/** The whole match of a change against a subscription. */
export function concerns(cs: CompiledSubscription, c: RecordedChange, now = Date.now()): boolean {
  return mayConcern(cs, c, now) && filters(cs, c.entity);
}
