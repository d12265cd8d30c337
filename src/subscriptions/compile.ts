/**
 * A subscription made ready for matching and rendering: its terms expanded with its own @context,
 * its q / scopeQ / geoQ / type selections parsed, its projection as RenderOptions. Rebuilt when the
 * subscription changes; kept in memory by the service for every subscription.
 */
import type { CompiledContext } from '../broker/jsonld/compiled-context.js';
import type { RenderOptions } from '../broker/output.js';
import { parseGeoQuery, type GeoQuery } from '../broker/geo/geo-query.js';
import { parseQ, type QNode } from '../broker/query/q-parser.js';
import { compileSafeRegex } from '../broker/query/regex-guard.js';
import { parseScopeQ, type ScopeQuery } from '../broker/query/scope-q.js';
import { parseTypeSelection, type TypeSelection } from '../broker/query/type-selection.js';
import type { EntitySelector } from '../broker/store.js';
import { DEFAULT_TRIGGERS, type NotificationTrigger, type StoredSubscription } from './model.js';

export interface CompiledSelector {
  id?: string;
  idPattern?: RegExp;
  typeSelection?: TypeSelection;
  /** The same selector for a store query (periodic notifications). */
  query: EntitySelector;
}

export interface CompiledSubscription {
  stored: StoredSubscription;
  /** tenant + NUL + id: the key of the subscription's delivery queue. */
  key: string;
  ctx: CompiledContext;
  expand: (term: string) => string;
  selectors: CompiledSelector[];
  /** Expanded names of watchedAttributes; undefined watches every attribute. */
  watched?: Set<string>;
  triggers: Set<NotificationTrigger>;
  q?: QNode;
  scopeQ?: ScopeQuery;
  geoQ?: GeoQuery & { geoproperty: string };
  render: RenderOptions;
}

export const queueKey = (tenant: string, id: string) => `${tenant}\u0000${id}`;

/** Compiles a stored subscription with its compiled @context; throws BadRequestData on a bad member. */
export function compileSubscription(stored: StoredSubscription, ctx: CompiledContext): CompiledSubscription {
  const s = stored.subscription;
  const expand = (t: string) => ctx.expandTerm(t);
  const selectors = (s.entities ?? []).map((e): CompiledSelector => {
    const c: CompiledSelector = { query: {} };
    if (e.id !== undefined) {
      c.id = e.id;
      c.query.ids = [e.id];
    }
    if (e.idPattern !== undefined) {
      c.idPattern = compileSafeRegex(e.idPattern, 'idPattern');
      c.query.idPattern = e.idPattern;
    }
    if (e.type !== undefined) {
      c.typeSelection = parseTypeSelection(e.type);
      c.query.typeSelection = c.typeSelection;
    }
    return c;
  });
  const n = s.notification;
  const render: RenderOptions = { format: n.format, sysAttrs: n.sysAttrs, keepId: true, keepType: true };
  if (n.attributes) render.attrs = new Set(n.attributes.map(expand));
  if (s.lang !== undefined) render.lang = s.lang;
  const c: CompiledSubscription = {
    stored,
    key: queueKey(stored.tenant, s.id),
    ctx,
    expand,
    selectors,
    triggers: new Set(s.notificationTrigger ?? DEFAULT_TRIGGERS),
    render,
  };
  if (s.watchedAttributes) c.watched = new Set(s.watchedAttributes.map(expand));
  if (s.q !== undefined) c.q = parseQ(s.q);
  if (s.scopeQ !== undefined) c.scopeQ = parseScopeQ(s.scopeQ);
  if (s.geoQ) {
    const g = parseGeoQuery({ georel: s.geoQ.georel, geometry: s.geoQ.geometry, coordinates: s.geoQ.coordinates, geoproperty: s.geoQ.geoproperty });
    if (g) c.geoQ = { ...g, geoproperty: expand(g.geoproperty) };
  }
  return c;
}
