/**
 * Reading provisioning payloads (the FIWARE IoT Agent's field names: apikey, entity_type,
 * resource, attributes with object_id/name/type, static_attributes, device_id, entity_name...)
 * into the gateway's model. Every error is a BadRequestData naming the field at fault.
 */
import { badRequest } from '../errors.js';
import { isUri } from '../broker/values/validate.js';
import { compileExpression, ExpressionError } from './expression.js';
import type { AttributeMapping, Device, ServiceGroup, StaticAttribute } from './model.js';
import { ATTRIBUTE_TYPES, isAttributeType } from './values.js';

/** API keys and device ids appear in MQTT topics: no /, #, + or spaces. */
const TOPIC_SAFE = /^[A-Za-z0-9_\-.:~@]{1,128}$/;
const NAME = /^[^\s<>"'=;()&?/\\]{1,256}$/;

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(o: Obj, key: string, where: string, required: boolean, pattern = NAME): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') {
    if (required) throw badRequest(`${where}: ${key} is required`);
    return undefined;
  }
  if (typeof v !== 'string' || !pattern.test(v)) throw badRequest(`${where}: ${key} ${JSON.stringify(v)} is not valid`);
  return v;
}

function unitCodeOf(o: Obj, where: string): string | undefined {
  // NGSI-LD IoT Agents take unitCode as a member, or in metadata.unitCode.value (NGSI-v2 style).
  const meta = isObject(o.metadata) && isObject(o.metadata.unitCode) ? o.metadata.unitCode.value : undefined;
  const u = o.unitCode ?? meta;
  if (u === undefined) return undefined;
  if (typeof u !== 'string' || !/^[A-Za-z0-9]{1,8}$/.test(u)) throw badRequest(`${where}: unitCode ${JSON.stringify(u)} is not a UN/CEFACT code`);
  return u;
}

function readType(o: Obj, where: string): string {
  const t = o.type ?? 'Property';
  if (!isAttributeType(t)) throw badRequest(`${where}: type ${JSON.stringify(t)} is not one of ${ATTRIBUTE_TYPES.join(', ')}`);
  return t as string;
}

export function readMappings(v: unknown, where: string): AttributeMapping[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw badRequest(`${where}: attributes must be an array`);
  const seen = new Set<string>();
  return v.map((a, i) => {
    const w = `${where}: attributes[${i}]`;
    if (!isObject(a)) throw badRequest(`${w} must be an object`);
    const name = str(a, 'name', w, true)!;
    const m: AttributeMapping = { object_id: str(a, 'object_id', w, false) ?? name, name, type: readType(a, w) };
    if (seen.has(m.object_id)) throw badRequest(`${w}: object_id "${m.object_id}" is mapped twice`);
    seen.add(m.object_id);
    const unit = unitCodeOf(a, w);
    if (unit) m.unitCode = unit;
    if (a.expression !== undefined) {
      if (typeof a.expression !== 'string') throw badRequest(`${w}: expression must be a string`);
      try {
        compileExpression(a.expression);
      } catch (err) {
        if (err instanceof ExpressionError) throw badRequest(`${w}: expression "${a.expression}": ${err.message}`);
        throw err;
      }
      m.expression = a.expression;
    }
    return m;
  });
}

export function readStatics(v: unknown, where: string): StaticAttribute[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw badRequest(`${where}: static_attributes must be an array`);
  return v.map((a, i) => {
    const w = `${where}: static_attributes[${i}]`;
    if (!isObject(a)) throw badRequest(`${w} must be an object`);
    if (a.value === undefined || a.value === null) throw badRequest(`${w}: value is required`);
    const s: StaticAttribute = { name: str(a, 'name', w, true)!, type: readType(a, w), value: a.value };
    const unit = unitCodeOf(a, w);
    if (unit) s.unitCode = unit;
    return s;
  });
}

function optionalContext(o: Obj, where: string): string | undefined {
  const c = o.jsonLdContext;
  if (c === undefined) return undefined;
  if (!isUri(c)) throw badRequest(`${where}: jsonLdContext must be a URL`);
  return c;
}

function bool(o: Obj, key: string, where: string): boolean {
  const v = o[key];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw badRequest(`${where}: ${key} must be true or false`);
  return v;
}

/** One service group of a POST /iot/services body. */
export function readServiceGroup(v: unknown, where: string, tenant: string, servicePath: string): ServiceGroup {
  if (!isObject(v)) throw badRequest(`${where} must be an object`);
  const resource = v.resource ?? '/iot/ul';
  if (typeof resource !== 'string' || !/^\/[A-Za-z0-9_\-./]*$/.test(resource)) throw badRequest(`${where}: resource must be a path like /iot/ul`);
  const g: ServiceGroup = {
    apikey: str(v, 'apikey', where, true, TOPIC_SAFE)!,
    tenant,
    service_path: servicePath,
    resource,
    entity_type: str(v, 'entity_type', where, true)!,
    attributes: readMappings(v.attributes, where),
    static_attributes: readStatics(v.static_attributes, where),
    autoprovision: bool(v, 'autoprovision', where),
  };
  const ctx = optionalContext(v, where);
  if (ctx) g.jsonLdContext = ctx;
  const oa = str(v, 'observedAtAttribute', where, false);
  if (oa) g.observedAtAttribute = oa;
  return g;
}

/** One device of a POST /iot/devices body; entity_type may come from the device's group later. */
export function readDevice(v: unknown, where: string, tenant: string, servicePath: string): Device & { entity_type: string | undefined } {
  if (!isObject(v)) throw badRequest(`${where} must be an object`);
  const device_id = str(v, 'device_id', where, true, TOPIC_SAFE)!;
  const d: Device = {
    device_id,
    tenant,
    service_path: servicePath,
    entity_name: '',
    entity_type: str(v, 'entity_type', where, false) as string,
    attributes: readMappings(v.attributes, where),
    static_attributes: readStatics(v.static_attributes, where),
  };
  const apikey = str(v, 'apikey', where, false, TOPIC_SAFE);
  if (apikey) d.apikey = apikey;
  const name = v.entity_name;
  if (name !== undefined && (typeof name !== 'string' || name === '')) throw badRequest(`${where}: entity_name must be a non-empty string`);
  d.entity_name = (name as string | undefined) ?? '';
  for (const key of ['protocol', 'transport', 'timezone'] as const) {
    const s = str(v, key, where, false);
    if (s) d[key] = s;
  }
  const ctx = optionalContext(v, where);
  if (ctx) d.jsonLdContext = ctx;
  const oa = str(v, 'observedAtAttribute', where, false);
  if (oa) d.observedAtAttribute = oa;
  return d;
}

/** The entity id of a device: entity_name when it is a URI, else urn:ngsi-ld:<type>:<name or device id>. */
export function entityIdOf(entityName: string, entityType: string, deviceId: string): string {
  if (entityName !== '' && isUri(entityName) && entityName.includes(':')) return entityName;
  return `urn:ngsi-ld:${entityType}:${entityName || deviceId}`;
}
