/**
 * Reading a Subscription payload (POST) or fragment (PATCH) into a validated {@link Subscription}.
 * Every member is checked and an error names it (BadRequestData); members Urbis maintains itself
 * (status, timesSent, ...) are ignored when sent back. The query members (q, scopeQ, geoQ, type
 * selections) are parsed here only to reject bad ones: compile.ts reads them again with the
 * subscription's @context.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, notSupported } from '../errors.js';
import { NGSI_LD_NULL } from '../broker/input.js';
import { parseGeoQuery } from '../broker/geo/geo-query.js';
import { parseQ } from '../broker/query/q-parser.js';
import { compileSafeRegex } from '../broker/query/regex-guard.js';
import { parseScopeQ } from '../broker/query/scope-q.js';
import { parseTypeSelection } from '../broker/query/type-selection.js';
import { isDateTime, requireName, requireUri } from '../broker/values/validate.js';
import {
  INTERNAL_SCHEME,
  NOTIFICATION_TRIGGERS,
  type Endpoint,
  type EntitySelectorSpec,
  type KeyValuePair,
  type NotificationParams,
  type NotificationTrigger,
  type Subscription,
} from './model.js';

type Json = Record<string, unknown>;

const MEMBERS = new Set([
  'id', 'type', 'subscriptionName', 'description', 'entities', 'watchedAttributes', 'notificationTrigger', 'timeInterval',
  'q', 'geoQ', 'scopeQ', 'lang', 'isActive', 'notification', 'expiresAt', 'throttling', 'jsonldContext', '@context',
]);
/** Members the broker maintains: accepted in a payload (clients send back what they read) and ignored. */
const READ_ONLY = new Set(['status', 'createdAt', 'modifiedAt']);
const NOT_SUPPORTED = new Set(['csf', 'temporalQ', 'scope', 'expires']);
const NOTIFICATION_MEMBERS = new Set(['attributes', 'format', 'showChanges', 'sysAttrs', 'endpoint']);
const NOTIFICATION_READ_ONLY = new Set(['status', 'timesSent', 'timesFailed', 'lastNotification', 'lastSuccess', 'lastFailure']);
const ENDPOINT_MEMBERS = new Set(['uri', 'accept', 'receiverInfo', 'notifierInfo']);
const MQTT_VERSIONS = ['mqtt3.1.1', 'mqtt5.0'];
const FORMATS: Record<string, NotificationParams['format']> = { normalized: 'normalized', concise: 'concise', keyValues: 'keyValues', simplified: 'keyValues' };

function object(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badRequest(`${what} must be a JSON object`);
  return v as Json;
}

function checkMembers(o: Json, allowed: Set<string>, ignored: Set<string>, what: string): void {
  for (const k of Object.keys(o)) {
    if (allowed.has(k) || ignored.has(k)) continue;
    if (NOT_SUPPORTED.has(k)) throw notSupported(`${what}${k} is not supported by Urbis`);
    throw badRequest(`${what}${k} is not a member of a Subscription`);
  }
}

function string(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw badRequest(`${what} must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

function positive(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw badRequest(`${what} must be a number of seconds greater than 0, got ${JSON.stringify(v)}`);
  return v;
}

function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw badRequest(`${what} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function names(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.length === 0) throw badRequest(`${what} must be a non-empty array of attribute names`);
  return v.map((n, i) => requireName(n, `${what}[${i}]`));
}

function selector(v: unknown, what: string): EntitySelectorSpec {
  const o = object(v, what);
  for (const k of Object.keys(o)) if (!['id', 'idPattern', 'type'].includes(k)) throw badRequest(`${what}.${k} is not a member of an entity selector`);
  const s: EntitySelectorSpec = {};
  if (o.id !== undefined) s.id = requireUri(o.id, `${what}.id`);
  if (o.idPattern !== undefined) {
    s.idPattern = string(o.idPattern, `${what}.idPattern`);
    compileSafeRegex(s.idPattern, `${what}.idPattern`);
  }
  if (o.type !== undefined) {
    s.type = string(o.type, `${what}.type`);
    parseTypeSelection(s.type, `${what}.type`);
  }
  if (s.id === undefined && s.idPattern === undefined && s.type === undefined) throw badRequest(`${what} needs at least one of id, idPattern or type`);
  return s;
}

function keyValues(v: unknown, what: string): KeyValuePair[] {
  if (!Array.isArray(v)) throw badRequest(`${what} must be an array of {"key", "value"} objects`);
  return v.map((kv, i) => {
    const o = object(kv, `${what}[${i}]`);
    const key = string(o.key, `${what}[${i}].key`);
    if (typeof o.value !== 'string') throw badRequest(`${what}[${i}].value must be a string`);
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(key)) throw badRequest(`${what}[${i}].key "${key}" is not a valid header name`);
    return { key, value: o.value };
  });
}

function endpoint(v: unknown): Endpoint {
  const o = object(v, 'notification.endpoint');
  checkMembers(o, ENDPOINT_MEMBERS, new Set(), 'notification.endpoint.');
  const uri = requireUri(o.uri, 'notification.endpoint.uri');
  let parsed: URL | undefined;
  if (!uri.startsWith(INTERNAL_SCHEME)) {
    try {
      parsed = new URL(uri);
    } catch {
      throw badRequest(`notification.endpoint.uri "${uri}" is not a valid URL`);
    }
    if (!['http:', 'https:', 'mqtt:', 'mqtts:'].includes(parsed.protocol)) {
      throw badRequest(`notification.endpoint.uri must be an http, https, mqtt or mqtts URL (or ${INTERNAL_SCHEME}<name>), got "${uri}"`);
    }
    if (parsed.protocol.startsWith('mqtt') && parsed.pathname.replace(/^\//, '') === '') {
      throw badRequest(`notification.endpoint.uri "${uri}" names no topic: use mqtt://host:port/topic`);
    }
  } else if (uri.length === INTERNAL_SCHEME.length) {
    throw badRequest(`notification.endpoint.uri "${uri}" names no internal receiver`);
  }
  const accept = o.accept ?? 'application/json';
  if (accept !== 'application/json' && accept !== 'application/ld+json') {
    throw badRequest(`notification.endpoint.accept must be application/json or application/ld+json, got ${JSON.stringify(accept)}`);
  }
  const e: Endpoint = { uri, accept };
  if (o.receiverInfo !== undefined) e.receiverInfo = keyValues(o.receiverInfo, 'notification.endpoint.receiverInfo');
  if (o.notifierInfo !== undefined) {
    e.notifierInfo = keyValues(o.notifierInfo, 'notification.endpoint.notifierInfo');
    for (const { key, value } of e.notifierInfo) {
      if (key === 'MQTT-QoS' && value !== '0' && value !== '1') throw badRequest(`notification.endpoint.notifierInfo MQTT-QoS must be "0" or "1", got "${value}"`);
      if (key === 'MQTT-Version' && !MQTT_VERSIONS.includes(value)) {
        throw badRequest(`notification.endpoint.notifierInfo MQTT-Version must be ${MQTT_VERSIONS.join(' or ')}, got "${value}"`);
      }
    }
  }
  return e;
}

function notification(v: unknown): NotificationParams {
  const o = object(v, 'notification');
  checkMembers(o, NOTIFICATION_MEMBERS, NOTIFICATION_READ_ONLY, 'notification.');
  if (o.endpoint === undefined) throw badRequest('notification.endpoint is required');
  const format = o.format === undefined ? 'normalized' : FORMATS[o.format as string];
  if (format === undefined) throw badRequest(`notification.format must be normalized, concise, keyValues or simplified, got ${JSON.stringify(o.format)}`);
  const n: NotificationParams = {
    format,
    showChanges: o.showChanges === undefined ? false : bool(o.showChanges, 'notification.showChanges'),
    sysAttrs: o.sysAttrs === undefined ? false : bool(o.sysAttrs, 'notification.sysAttrs'),
    endpoint: endpoint(o.endpoint),
  };
  if (o.attributes !== undefined) n.attributes = names(o.attributes, 'notification.attributes');
  return n;
}

/**
 * Validates a complete subscription payload (members as received, nulls already removed) and
 * returns the Subscription; `now` stamps createdAt / modifiedAt.
 */
export function parseSubscription(body: unknown, now: string, createdAt = now): Subscription {
  const o = object(body, 'the subscription');
  checkMembers(o, MEMBERS, READ_ONLY, '');
  if (o.type !== 'Subscription') throw badRequest(`type must be "Subscription", got ${JSON.stringify(o.type)}`);
  if (o.notification === undefined) throw badRequest('notification is required');
  const s: Subscription = {
    id: o.id === undefined ? `urn:ngsi-ld:Subscription:${randomUUID()}` : requireUri(o.id, 'id'),
    type: 'Subscription',
    isActive: o.isActive === undefined ? true : bool(o.isActive, 'isActive'),
    notification: notification(o.notification),
    createdAt,
    modifiedAt: now,
  };
  if (o.subscriptionName !== undefined) s.subscriptionName = string(o.subscriptionName, 'subscriptionName');
  if (o.description !== undefined) s.description = string(o.description, 'description');
  if (o.entities !== undefined) {
    if (!Array.isArray(o.entities) || o.entities.length === 0) throw badRequest('entities must be a non-empty array of entity selectors');
    s.entities = o.entities.map((e, i) => selector(e, `entities[${i}]`));
  }
  if (o.watchedAttributes !== undefined) s.watchedAttributes = names(o.watchedAttributes, 'watchedAttributes');
  if (o.notificationTrigger !== undefined) {
    if (!Array.isArray(o.notificationTrigger) || o.notificationTrigger.length === 0) {
      throw badRequest(`notificationTrigger must be a non-empty array of ${NOTIFICATION_TRIGGERS.join(', ')}`);
    }
    s.notificationTrigger = o.notificationTrigger.map((t, i) => {
      if (!(NOTIFICATION_TRIGGERS as readonly unknown[]).includes(t)) {
        throw badRequest(`notificationTrigger[${i}] must be one of ${NOTIFICATION_TRIGGERS.join(', ')}, got ${JSON.stringify(t)}`);
      }
      return t as NotificationTrigger;
    });
  }
  if (o.timeInterval !== undefined) s.timeInterval = positive(o.timeInterval, 'timeInterval');
  if (o.throttling !== undefined) s.throttling = positive(o.throttling, 'throttling');
  if (o.q !== undefined) {
    s.q = string(o.q, 'q');
    parseQ(s.q);
  }
  if (o.scopeQ !== undefined) {
    s.scopeQ = string(o.scopeQ, 'scopeQ');
    parseScopeQ(s.scopeQ);
  }
  if (o.geoQ !== undefined) {
    const g = object(o.geoQ, 'geoQ');
    for (const k of Object.keys(g)) if (!['geometry', 'coordinates', 'georel', 'geoproperty'].includes(k)) throw badRequest(`geoQ.${k} is not a member of a geoQ`);
    if (g.geometry === undefined || g.coordinates === undefined || g.georel === undefined) throw badRequest('geoQ needs geometry, coordinates and georel');
    parseGeoQuery({ georel: g.georel as string, geometry: g.geometry as string, coordinates: g.coordinates, geoproperty: g.geoproperty as string | undefined });
    s.geoQ = { geometry: g.geometry as string, coordinates: g.coordinates, georel: g.georel as string };
    if (g.geoproperty !== undefined) s.geoQ.geoproperty = requireName(g.geoproperty, 'geoQ.geoproperty');
  }
  if (o.lang !== undefined) {
    s.lang = string(o.lang, 'lang');
    if (!/^(\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*(,[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)*)$/.test(s.lang)) {
      throw badRequest(`lang must be a language tag (like en), a comma-separated list of them, or *; got "${s.lang}"`);
    }
  }
  if (o.expiresAt !== undefined) {
    if (!isDateTime(o.expiresAt)) throw badRequest(`expiresAt must be an ISO 8601 date-time with time zone, got ${JSON.stringify(o.expiresAt)}`);
    s.expiresAt = o.expiresAt;
  }
  if (o.jsonldContext !== undefined) s.jsonldContext = requireUri(o.jsonldContext, 'jsonldContext');
  checkCombinations(s);
  return s;
}

/** The rules between members (clause 5.2.12). */
function checkCombinations(s: Subscription): void {
  if (s.timeInterval !== undefined) {
    if (s.watchedAttributes !== undefined) throw badRequest('timeInterval and watchedAttributes cannot be used together');
    if (s.throttling !== undefined) throw badRequest('timeInterval and throttling cannot be used together');
    if (s.notificationTrigger !== undefined) throw badRequest('timeInterval and notificationTrigger cannot be used together');
    if (s.entities === undefined) throw badRequest('a periodic subscription (timeInterval) needs entities');
    if (s.notification.showChanges) throw badRequest('showChanges has no meaning for a periodic subscription (timeInterval)');
  } else if (s.entities === undefined && s.watchedAttributes === undefined) {
    throw badRequest('a subscription needs entities or watchedAttributes (or both)');
  }
}

/**
 * The payload a PATCH leads to: the current subscription's members with the fragment's merged in
 * (notification member by member; null or "urn:ngsi-ld:null" removes an optional member).
 */
export function mergeFragment(current: Subscription, fragment: unknown): Json {
  const f = object(fragment, 'the subscription fragment');
  if (f.id !== undefined && f.id !== current.id) throw badRequest(`the fragment's id ${JSON.stringify(f.id)} differs from the subscription's ${current.id}`);
  if (f.type !== undefined && f.type !== 'Subscription') throw badRequest(`type must be "Subscription", got ${JSON.stringify(f.type)}`);
  const isNull = (v: unknown) => v === null || v === NGSI_LD_NULL;
  const merged: Json = { ...(current as unknown as Json) };
  delete merged.createdAt;
  delete merged.modifiedAt;
  for (const [k, v] of Object.entries(f)) {
    if (k === '@context') continue;
    if (k === 'notification' && !isNull(v)) {
      const n: Json = { ...(current.notification as unknown as Json) };
      for (const [nk, nv] of Object.entries(object(v, 'notification'))) {
        if (isNull(nv)) delete n[nk];
        else n[nk] = nv;
      }
      merged.notification = n;
    } else if (isNull(v)) {
      if (k === 'notification' || k === 'id' || k === 'type') throw badRequest(`${k} cannot be removed`);
      delete merged[k];
    } else {
      merged[k] = v;
    }
  }
  return merged;
}
