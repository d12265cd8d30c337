/**
 * Reading NGSI-LD payloads: validates entities and attributes in normalized or concise form and
 * turns them into the broker's expanded model. Every error is a BadRequestData naming the member
 * at fault; nothing is half-read.
 */
import { badRequest } from '../errors.js';
import type { CompiledContext } from './jsonld/compiled-context.js';
import { validateGeometry } from './geo/geometry.js';
import { ATTRIBUTE_KINDS, type AttrInstance, type AttributeKind } from './model.js';
import { isDate, isLanguageTag, isLocalDateTime, isTime, requireDateTime, requireName, requireScope, requireUri } from './values/validate.js';

/** The value that deletes an attribute in update and merge operations. */
export const NGSI_LD_NULL = 'urn:ngsi-ld:null';

const CORE = 'https://uri.etsi.org/ngsi-ld/';
/** Attributes that must be GeoProperties (clause 4.7). */
const GEO_ATTRIBUTES = new Set([CORE + 'location', CORE + 'observationSpace', CORE + 'operationSpace']);
/** Top-level members that are not attributes. */
const ENTITY_MEMBERS = new Set(['id', 'type', 'scope', '@context']);
/** System-generated members: ignored on input. */
const SYSTEM_MEMBERS = new Set(['createdAt', 'modifiedAt', 'deletedAt', 'instanceId']);
const GEOJSON_TYPES = new Set(['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon']);

export interface ParseOptions {
  /** Accept `urn:ngsi-ld:null` as a value (update and merge: it deletes the attribute). */
  allowNull?: boolean;
}

/** An entity fragment as read from a payload: id and type may be absent (attribute operations). */
export interface EntityFragment {
  id?: string;
  types?: string[];
  scope?: string[];
  attrs: Record<string, AttrInstance[]>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function requireObject(body: unknown, what: string): Record<string, unknown> {
  if (!isObject(body)) throw badRequest(`${what} must be a JSON object`);
  return body;
}

/** Reads an entity; `requireIdAndType` for creation. */
export function parseEntity(body: unknown, ctx: CompiledContext, requireIdAndType: boolean, opts: ParseOptions = {}): EntityFragment {
  const obj = requireObject(body, 'the entity');
  const out: EntityFragment = { attrs: {} };
  if (obj.id !== undefined || requireIdAndType) out.id = requireUri(obj.id ?? obj['@id'], 'entity id');
  if (obj.type !== undefined || requireIdAndType) out.types = parseTypes(obj.type ?? obj['@type'], ctx, 'entity type');
  if (obj.scope !== undefined) out.scope = parseScope(obj.scope);
  for (const [name, raw] of Object.entries(obj)) {
    if (ENTITY_MEMBERS.has(name) || SYSTEM_MEMBERS.has(name) || name === '@id' || name === '@type') continue;
    const expanded = expandAttributeName(name, ctx);
    out.attrs[expanded] = parseAttribute(name, expanded, raw, ctx, opts);
  }
  return out;
}

export function parseTypes(v: unknown, ctx: CompiledContext, what: string): string[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) throw badRequest(`${what} must not be an empty array`);
  const types = list.map((t) => ctx.expandTerm(requireName(t, what)));
  return [...new Set(types)];
}

export function parseScope(v: unknown): string[] {
  const list = Array.isArray(v) ? v : [v];
  return [...new Set(list.map((s) => requireScope(s, 'scope')))];
}

export function expandAttributeName(name: string, ctx: CompiledContext): string {
  requireName(name, 'attribute name');
  return ctx.expandTerm(name);
}

/**
 * Reads one attribute (one instance, or an array of instances with distinct datasetIds).
 * `name` is the term as written (for messages), `expanded` its IRI.
 */
export function parseAttribute(name: string, expanded: string, raw: unknown, ctx: CompiledContext, opts: ParseOptions = {}): AttrInstance[] {
  const instances =
    Array.isArray(raw) && raw.length > 0 && raw.every((r) => isObject(r) && (ATTRIBUTE_KINDS as readonly string[]).includes(String(r.type)))
      ? raw.map((r) => parseInstance(name, r, ctx, opts, true))
      : [parseInstance(name, raw, ctx, opts, true)];
  const seen = new Set<string>();
  for (const inst of instances) {
    const key = inst.datasetId ?? '@default';
    if (seen.has(key)) {
      throw badRequest(
        inst.datasetId ? `attribute "${name}": datasetId ${inst.datasetId} appears twice` : `attribute "${name}": more than one default instance (without datasetId)`,
      );
    }
    seen.add(key);
  }
  if (GEO_ATTRIBUTES.has(expanded)) {
    for (const inst of instances) {
      if (inst.type !== 'GeoProperty' && !isNullInstance(inst)) throw badRequest(`attribute "${name}" must be a GeoProperty`);
    }
  }
  return instances;
}

/** Reads one attribute instance, normalized (`type` given) or concise (kind inferred). */
export function parseInstance(name: string, raw: unknown, ctx: CompiledContext, opts: ParseOptions, topLevel: boolean): AttrInstance {
  const where = `attribute "${name}"`;
  if (raw === null || raw === undefined) throw badRequest(`${where} has no value (null is not a value)`);
  if (!isObject(raw)) {
    // Concise form of a Property: the value itself.
    if (raw === NGSI_LD_NULL && !opts.allowNull) throw badRequest(`${where}: ${NGSI_LD_NULL} is only allowed in updates`);
    return { type: 'Property', value: checkPropertyValue(raw, where) };
  }
  const kind = inferKind(raw, where);
  if (kind === 'GeoProperty' && raw.type !== 'GeoProperty' && raw.value === undefined) {
    // Concise GeoProperty: a bare GeoJSON geometry.
    return { type: 'GeoProperty', value: validateGeometry(raw, `${where} geometry`) };
  }
  const inst: AttrInstance = { type: kind };
  readMainValue(inst, raw, where, ctx, opts);
  for (const [key, v] of Object.entries(raw)) {
    if (key === 'type' || SYSTEM_MEMBERS.has(key)) continue;
    switch (key) {
      case 'value':
      case 'object':
      case 'languageMap':
      case 'vocab':
      case 'json':
      case 'valueList':
      case 'objectList':
      case 'lang':
        continue;
      case 'objectType': {
        if (kind !== 'Relationship' && kind !== 'ListRelationship') throw badRequest(`${where}: objectType is only for relationships`);
        const types = parseTypes(v, ctx, `${where} objectType`);
        inst.objectType = Array.isArray(v) ? types : types[0];
        continue;
      }
      case 'datasetId':
        if (!topLevel) throw badRequest(`${where}: datasetId is not allowed on a sub-attribute`);
        inst.datasetId = requireUri(v, `${where} datasetId`);
        continue;
      case 'observedAt':
        inst.observedAt = requireDateTime(v, `${where} observedAt`);
        continue;
      case 'unitCode':
        if (typeof v !== 'string' || v.length === 0) throw badRequest(`${where} unitCode must be a non-empty string`);
        inst.unitCode = v;
        continue;
      default: {
        if (key.startsWith('@')) throw badRequest(`${where}: JSON-LD keyword ${key} is not allowed in an attribute`);
        const sub = expandAttributeName(key, ctx);
        inst[sub] = parseInstance(`${name}.${key}`, v, ctx, opts, false);
      }
    }
  }
  return inst;
}

function inferKind(raw: Record<string, unknown>, where: string): AttributeKind {
  const t = raw.type;
  if (typeof t === 'string') {
    if ((ATTRIBUTE_KINDS as readonly string[]).includes(t)) return t as AttributeKind;
    if (t === 'VocabularyProperty') return 'VocabProperty';
    if (GEOJSON_TYPES.has(t) && raw.coordinates !== undefined) return 'GeoProperty';
    throw badRequest(`${where}: type "${t}" is not an attribute type (${ATTRIBUTE_KINDS.join(', ')})`);
  }
  if (t !== undefined) throw badRequest(`${where}: type must be a string`);
  if (raw.value !== undefined) return isObject(raw.value) && GEOJSON_TYPES.has(String(raw.value.type)) && raw.value.coordinates !== undefined ? 'GeoProperty' : 'Property';
  if (raw.object !== undefined) return 'Relationship';
  if (raw.languageMap !== undefined) return 'LanguageProperty';
  if (raw.vocab !== undefined) return 'VocabProperty';
  if (raw.json !== undefined) return 'JsonProperty';
  if (raw.valueList !== undefined) return 'ListProperty';
  if (raw.objectList !== undefined) return 'ListRelationship';
  throw badRequest(`${where} has none of the members value, object, languageMap, vocab, json, valueList, objectList`);
}

function readMainValue(inst: AttrInstance, raw: Record<string, unknown>, where: string, ctx: CompiledContext, opts: ParseOptions): void {
  const member = mainMember(inst.type);
  const v = raw[member];
  if (v === undefined || v === null) throw badRequest(`${where}: a ${inst.type} needs a "${member}" member`);
  if (v === NGSI_LD_NULL) {
    if (!opts.allowNull) throw badRequest(`${where}: ${NGSI_LD_NULL} is only allowed in updates`);
    (inst as Record<string, unknown>)[member] = NGSI_LD_NULL;
    return;
  }
  switch (inst.type) {
    case 'Property':
      inst.value = checkPropertyValue(v, where);
      return;
    case 'GeoProperty':
      inst.value = validateGeometry(v, `${where} value`);
      return;
    case 'Relationship':
      if (Array.isArray(v)) {
        if (v.length === 0) throw badRequest(`${where}: object must not be an empty array`);
        inst.object = v.map((o, i) => requireUri(o, `${where} object[${i}]`));
      } else inst.object = requireUri(v, `${where} object`);
      return;
    case 'LanguageProperty': {
      if (!isObject(v)) throw badRequest(`${where}: languageMap must be an object of language tag to string`);
      for (const [tag, text] of Object.entries(v)) {
        if (!isLanguageTag(tag)) throw badRequest(`${where}: "${tag}" is not a language tag (like en, zh-Hans or @none)`);
        const ok = typeof text === 'string' || (Array.isArray(text) && text.every((x) => typeof x === 'string'));
        if (!ok) throw badRequest(`${where}: languageMap["${tag}"] must be a string or an array of strings`);
      }
      inst.languageMap = v as Record<string, string | string[]>;
      return;
    }
    case 'VocabProperty': {
      const list = Array.isArray(v) ? v : [v];
      if (list.length === 0) throw badRequest(`${where}: vocab must not be an empty array`);
      const names = list.map((x, i) => requireName(x, `${where} vocab${Array.isArray(v) ? `[${i}]` : ''}`));
      inst.vocab = ctx.expandVocabValue(Array.isArray(v) ? names : names[0]);
      return;
    }
    case 'JsonProperty':
      inst.json = v;
      return;
    case 'ListProperty':
      if (!Array.isArray(v)) throw badRequest(`${where}: valueList must be an array`);
      inst.valueList = v.map((x, i) => checkPropertyValue(x, `${where} valueList[${i}]`));
      return;
    case 'ListRelationship':
      if (!Array.isArray(v)) throw badRequest(`${where}: objectList must be an array`);
      inst.objectList = v.map((x, i) => requireUri(isObject(x) ? x.object : x, `${where} objectList[${i}]`));
      return;
  }
}

/** The member holding the value of each attribute kind. */
export function mainMember(kind: AttributeKind): 'value' | 'object' | 'languageMap' | 'vocab' | 'json' | 'valueList' | 'objectList' {
  switch (kind) {
    case 'Relationship':
      return 'object';
    case 'LanguageProperty':
      return 'languageMap';
    case 'VocabProperty':
      return 'vocab';
    case 'JsonProperty':
      return 'json';
    case 'ListProperty':
      return 'valueList';
    case 'ListRelationship':
      return 'objectList';
    default:
      return 'value';
  }
}

/** Property values: any JSON but null; typed literals (@type DateTime/Date/Time) are checked. */
function checkPropertyValue(v: unknown, where: string): unknown {
  if (v === null) throw badRequest(`${where}: null is not a value`);
  if (isObject(v) && v['@value'] !== undefined) {
    const t = v['@type'];
    const lit = v['@value'];
    if (t === 'DateTime' && !isLocalDateTime(lit)) throw badRequest(`${where}: ${JSON.stringify(lit)} is not a DateTime (like 2024-05-01T10:00:00Z)`);
    else if (t === 'Date' && !isDate(lit)) throw badRequest(`${where}: ${JSON.stringify(lit)} is not a Date (YYYY-MM-DD)`);
    else if (t === 'Time' && !isTime(lit)) throw badRequest(`${where}: ${JSON.stringify(lit)} is not a Time (hh:mm:ss)`);
  }
  return v;
}

/** True for an instance whose value is urn:ngsi-ld:null (deletes the attribute in updates). */
export function isNullInstance(inst: AttrInstance): boolean {
  return inst[mainMember(inst.type)] === NGSI_LD_NULL;
}
