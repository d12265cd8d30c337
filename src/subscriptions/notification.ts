/**
 * The Notification (ETSI GS CIM 009 clause 5.3.1) a subscription sends: its data items, one per
 * entity, rendered when the change is dispatched (projection notification.attributes, format,
 * sysAttrs, lang, showChanges, compaction with the subscription's @context), and the message that
 * carries a batch of them, with the headers (HTTP) or metadata (MQTT) that go with it.
 */
import { randomUUID } from 'node:crypto';
import { mainMember, NGSI_LD_NULL } from '../broker/input.js';
import { bodyContext, contextLink } from '../broker/http/negotiation.js';
import type { AttrInstance, Entity } from '../broker/model.js';
import { renderEntity } from '../broker/output.js';
import type { CompiledSubscription } from './compile.js';
import type { RecordedAttributeChange, RecordedChange } from './store.js';

type Json = Record<string, unknown>;

/** `previous<Member>` of showChanges, by the member holding the value. */
const PREVIOUS: Record<string, string> = {
  value: 'previousValue',
  object: 'previousObject',
  languageMap: 'previousLanguageMap',
  vocab: 'previousVocab',
  json: 'previousJson',
  valueList: 'previousValueList',
  objectList: 'previousObjectList',
};

/** An entity as the subscription renders it (periodic notifications, and every change). */
export function renderForSubscription(cs: CompiledSubscription, e: Entity): Json {
  return renderEntity(e, cs.ctx, cs.render);
}

/** The data item of a change: the entity after it, or for a deletion its id, type and deletedAt. */
export function renderChange(cs: CompiledSubscription, c: RecordedChange): Json {
  const ctx = cs.ctx;
  const types = c.entity.types.map((t) => ctx.compactType(t));
  if (c.op === 'deleted') return { id: c.id, type: types.length === 1 ? types[0] : types, deletedAt: c.at };
  const out = renderForSubscription(cs, c.entity);
  const o = cs.render;
  const shown = (name: string) => (!o.attrs || o.attrs.has(name)) && !o.omit?.has(name);
  for (const a of c.attributes) {
    if (!shown(a.name)) continue;
    const key = ctx.compactIri(a.name);
    if (a.kind === 'deleted' && a.previous && c.entity.attrs[a.name]?.some((i) => i.datasetId === a.datasetId) !== true) {
      const gone = deletedInstance(a, c.at, o.format);
      out[key] = out[key] === undefined ? gone : [...(Array.isArray(out[key]) ? (out[key] as unknown[]) : [out[key]]), gone];
    } else if (a.kind === 'updated' && a.previous && cs.stored.subscription.notification.showChanges && o.format !== 'keyValues') {
      addPrevious(out, key, a, cs);
    }
  }
  return out;
}

/** A deleted attribute instance: its value is urn:ngsi-ld:null, with deletedAt. */
function deletedInstance(a: RecordedAttributeChange, at: string, format: string): unknown {
  if (format === 'keyValues') return NGSI_LD_NULL;
  const prev = a.previous as AttrInstance;
  const inst: Json = format === 'normalized' ? { type: prev.type } : {};
  inst[mainMember(prev.type)] = NGSI_LD_NULL;
  if (a.datasetId !== undefined) inst.datasetId = a.datasetId;
  inst.deletedAt = at;
  return inst;
}

/** showChanges: the rendered instance gets previousValue (previousObject, ...) of its previous content. */
function addPrevious(out: Json, key: string, a: RecordedAttributeChange, cs: CompiledSubscription): void {
  const prev = a.previous as AttrInstance;
  const member = mainMember(prev.type);
  const previous = prev.type === 'VocabProperty' ? cs.ctx.compactVocabValue(prev.vocab as string | string[]) : prev[member];
  const withPrevious = (rendered: unknown): unknown => {
    const obj = typeof rendered === 'object' && rendered !== null && !Array.isArray(rendered) ? (rendered as Json) : { value: rendered };
    return { ...obj, [PREVIOUS[member]]: previous };
  };
  const current = out[key];
  if (Array.isArray(current) && (cs.stored.subscription.notification.format !== 'concise' || current.every((x) => typeof x === 'object'))) {
    out[key] = current.map((r) => ((r as Json)?.datasetId === a.datasetId ? withPrevious(r) : r));
  } else if (current !== undefined) {
    out[key] = withPrevious(current);
  }
}

export interface NotificationMessage {
  /** The Notification, with @context when sent as application/ld+json. */
  body: Json;
  /** Content-Type, Link, NGSILD-Tenant and the endpoint's receiverInfo. */
  headers: Record<string, string>;
}

/** The Notification carrying `data` (items in queue order) for one subscription. */
export function notificationMessage(cs: CompiledSubscription, data: unknown[], coreUrl: string): NotificationMessage {
  const s = cs.stored.subscription;
  const endpoint = s.notification.endpoint;
  const body: Json = {
    id: `urn:ngsi-ld:Notification:${randomUUID()}`,
    type: 'Notification',
    subscriptionId: s.id,
    notifiedAt: new Date().toISOString(),
    data,
  };
  const headers: Record<string, string> = { 'Content-Type': endpoint.accept };
  if (endpoint.accept === 'application/ld+json') body['@context'] = bodyContext(cs.ctx.contextValue, coreUrl);
  else headers.Link = contextLink(cs.ctx.linkUrl ?? coreUrl);
  if (cs.stored.tenant !== '') headers['NGSILD-Tenant'] = cs.stored.tenant;
  for (const { key, value } of endpoint.receiverInfo ?? []) headers[key] = value;
  return { body, headers };
}
