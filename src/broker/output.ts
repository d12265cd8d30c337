/**
 * Rendering entities for responses: normalized, concise or keyValues (simplified), with sysAttrs,
 * attribute projection (attrs / pick / omit), language selection (lang) and compaction of every
 * IRI with the request's @context; GeoJSON Features for application/geo+json.
 */
import type { CompiledContext } from './jsonld/compiled-context.js';
import { mainMember } from './input.js';
import { ATTRIBUTE_MEMBERS, type AttrInstance, type Entity } from './model.js';

export type Format = 'normalized' | 'concise' | 'keyValues';

export interface RenderOptions {
  format: Format;
  sysAttrs: boolean;
  /** Expanded attribute names to keep (attrs / pick); undefined keeps all. */
  attrs?: Set<string>;
  /** Keep id / type (false when `pick` leaves them out or `omit` names them). */
  keepId: boolean;
  keepType: boolean;
  /** Expanded attribute names to drop (omit). */
  omit?: Set<string>;
  /** Language for LanguageProperties (lang=...), `*` for all. */
  lang?: string;
}

export const DEFAULT_RENDER: RenderOptions = { format: 'normalized', sysAttrs: false, keepId: true, keepType: true };

type Json = Record<string, unknown>;

export function renderEntity(e: Entity, ctx: CompiledContext, o: RenderOptions): Json {
  const out: Json = {};
  if (o.keepId) out.id = e.id;
  if (o.keepType) {
    const types = e.types.map((t) => ctx.compactType(t));
    out.type = types.length === 1 ? types[0] : types;
  }
  if (e.scope && e.scope.length > 0 && o.format !== 'keyValues') out.scope = e.scope.length === 1 ? e.scope[0] : e.scope;
  if (o.sysAttrs && o.format !== 'keyValues') {
    if (e.createdAt) out.createdAt = e.createdAt;
    if (e.modifiedAt) out.modifiedAt = e.modifiedAt;
  }
  for (const [name, instances] of Object.entries(e.attrs)) {
    if (o.attrs && !o.attrs.has(name)) continue;
    if (o.omit?.has(name)) continue;
    const rendered = instances.map((i) => renderInstance(i, ctx, o));
    out[ctx.compactIri(name)] = rendered.length === 1 ? rendered[0] : rendered;
  }
  return out;
}

/** One attribute instance in the requested format. */
export function renderInstance(a: AttrInstance, ctx: CompiledContext, o: RenderOptions): unknown {
  const inst = o.lang !== undefined && o.lang !== '*' && a.type === 'LanguageProperty' ? withLanguage(a, o.lang) : a;
  if (o.format === 'keyValues') return simplifiedValue(inst, ctx);
  const out: Json = {};
  if (o.format === 'normalized') out.type = inst.type;
  const member = mainMember(inst.type);
  out[member] = mainValue(inst, ctx);
  if (inst.lang !== undefined) out.lang = inst.lang;
  if (inst.objectType !== undefined) out.objectType = compactTypes(inst.objectType, ctx);
  if (inst.datasetId !== undefined) out.datasetId = inst.datasetId;
  if (inst.observedAt !== undefined) out.observedAt = inst.observedAt;
  if (inst.unitCode !== undefined) out.unitCode = inst.unitCode;
  if (o.sysAttrs) {
    if (inst.createdAt !== undefined) out.createdAt = inst.createdAt;
    if (inst.modifiedAt !== undefined) out.modifiedAt = inst.modifiedAt;
  }
  let hasSub = false;
  for (const [k, v] of Object.entries(inst)) {
    if (ATTRIBUTE_MEMBERS.has(k)) continue;
    hasSub = true;
    out[ctx.compactIri(k)] = renderInstance(v as AttrInstance, ctx, { ...o, attrs: undefined, omit: undefined });
  }
  if (o.format === 'concise') {
    // A Property (or GeoProperty) with nothing but a value that cannot be mistaken for an attribute is the value itself.
    const onlyValue = Object.keys(out).length === 1 && !hasSub;
    if (onlyValue && inst.type === 'Property' && (typeof inst.value !== 'object' || Array.isArray(inst.value))) return inst.value;
    if (onlyValue && inst.type === 'GeoProperty') return inst.value;
  }
  return out;
}

function mainValue(a: AttrInstance, ctx: CompiledContext): unknown {
  switch (a.type) {
    case 'VocabProperty':
      return ctx.compactVocabValue(a.vocab as string | string[]);
    case 'ListRelationship':
      return (a.objectList ?? []).map((object) => ({ object }));
    default:
      return a[mainMember(a.type)];
  }
}

/** keyValues: the value alone; kinds whose value would be ambiguous keep their member name. */
function simplifiedValue(a: AttrInstance, ctx: CompiledContext): unknown {
  switch (a.type) {
    case 'Property':
    case 'GeoProperty':
      return a.value;
    case 'Relationship':
      return a.object;
    case 'LanguageProperty':
      return { languageMap: a.languageMap };
    case 'VocabProperty':
      return { vocab: mainValue(a, ctx) };
    case 'JsonProperty':
      return { json: a.json };
    case 'ListProperty':
      return { valueList: a.valueList };
    case 'ListRelationship':
      return { objectList: a.objectList };
  }
}

function compactTypes(t: string | string[], ctx: CompiledContext): string | string[] {
  return Array.isArray(t) ? t.map((x) => ctx.compactType(x)) : ctx.compactType(t);
}

/**
 * A LanguageProperty seen through lang=...: a Property holding the string in the best matching
 * language (exact tag, then its primary language, then @none, then any), with `lang` saying which.
 */
export function withLanguage(a: AttrInstance, lang: string): AttrInstance {
  const map = a.languageMap ?? {};
  const wanted = lang.split(',').map((l) => l.trim().split(';')[0]).filter((l) => l.length > 0);
  const tags = Object.keys(map);
  let chosen: string | undefined;
  for (const w of wanted) {
    chosen = tags.find((t) => t.toLowerCase() === w.toLowerCase()) ?? tags.find((t) => t.toLowerCase().split('-')[0] === w.toLowerCase().split('-')[0]);
    if (chosen) break;
  }
  chosen ??= tags.includes('@none') ? '@none' : tags[0];
  const { languageMap: _dropped, ...rest } = a;
  return { ...rest, type: 'Property', value: chosen === undefined ? '' : map[chosen], lang: chosen };
}

/** A GeoJSON Feature for an entity (application/geo+json). */
export function renderFeature(e: Entity, ctx: CompiledContext, o: RenderOptions, geometryProperty: string): Json {
  const props = renderEntity(e, ctx, { ...o, keepId: false });
  const geo = e.attrs[geometryProperty]?.find((i) => i.type === 'GeoProperty');
  return { id: e.id, type: 'Feature', geometry: geo ? geo.value : null, properties: props };
}
