/**
 * Temporal representations of entities (ETSI GS CIM 009 clause 4.5.7 ff.), compacted with the
 * request's @context:
 * - normalized: each attribute an array of instances, each with its instanceId;
 * - concise: the same without the attribute type;
 * - temporalValues (simplified): {"type": "Property", "values": [[value, time], ...]} per
 *   attribute and datasetId (objects, languageMaps, vocabs, jsons, valueLists, objectLists for
 *   the other attribute kinds);
 * - aggregatedValues: {"type": "Property", "avg": [[value, start, end], ...], ...}.
 */
import type { CompiledContext } from '../broker/jsonld/compiled-context.js';
import { mainMember, NGSI_LD_NULL } from '../broker/input.js';
import type { AttributeKind, AttrInstance } from '../broker/model.js';
import { renderInstance, withLanguage, type RenderOptions } from '../broker/output.js';
import type { AggregationMethod } from './temporal-params.js';
import type { StoredInstance, TemporalEntity, TimeProperty } from './store.js';

type Json = Record<string, unknown>;

/** One period of one aggregation method: [value, start, end]. */
export type PeriodValue = [unknown, string, string];

/** Aggregated values of one attribute instance series (name + datasetId). */
export interface AggregatedSeries {
  name: string;
  datasetId?: string;
  kind: string;
  methods: Partial<Record<AggregationMethod, PeriodValue[]>>;
}

const VALUES_MEMBER: Record<AttributeKind, string> = {
  Property: 'values',
  GeoProperty: 'values',
  Relationship: 'objects',
  LanguageProperty: 'languageMaps',
  VocabProperty: 'vocabs',
  JsonProperty: 'jsons',
  ListProperty: 'valueLists',
  ListRelationship: 'objectLists',
};

const iso = (ms: number) => new Date(ms).toISOString();

/** id, type and (sysAttrs) the entity's createdAt, modifiedAt and deletedAt. */
export function entityHeader(e: TemporalEntity, ctx: CompiledContext, sysAttrs: boolean): Json {
  const types = e.types.map((t) => ctx.compactType(t));
  const out: Json = { id: e.id, type: types.length === 1 ? types[0] : types };
  if (sysAttrs) {
    out.createdAt = iso(e.createdAt);
    out.modifiedAt = iso(e.modifiedAt);
    if (e.deletedAt !== undefined) out.deletedAt = iso(e.deletedAt);
  }
  return out;
}

/** normalized / concise: every attribute an array of instances in time order. */
export function renderInstances(out: Json, instances: StoredInstance[], ctx: CompiledContext, o: RenderOptions, concise: boolean): Json {
  for (const s of instances) {
    const key = ctx.compactIri(s.name);
    const list = (out[key] ??= []) as unknown[];
    list.push(renderOne(s, ctx, o, concise));
  }
  return out;
}

function renderOne(s: StoredInstance, ctx: CompiledContext, o: RenderOptions, concise: boolean): Json {
  const inst = s.instance;
  let r: Json;
  if (inst.deletedAt !== undefined) {
    // A deletion instance: the value is urn:ngsi-ld:null, whatever the kind.
    r = { type: inst.type, [mainMember(inst.type)]: NGSI_LD_NULL };
    if (inst.datasetId !== undefined) r.datasetId = inst.datasetId;
    if (o.sysAttrs) {
      r.createdAt = inst.createdAt;
      r.modifiedAt = inst.modifiedAt;
    }
    r.deletedAt = inst.deletedAt;
  } else {
    r = renderInstance(inst, ctx, { ...o, format: 'normalized' }) as Json;
  }
  r.instanceId = s.instanceId;
  if (concise) delete r.type;
  return r;
}

/** temporalValues: per attribute and datasetId, [value, time] pairs of the time property. */
export function renderTemporalValues(out: Json, instances: StoredInstance[], ctx: CompiledContext, property: TimeProperty, lang: string | undefined): Json {
  const series = new Map<string, { name: string; datasetId?: string; body: Json }>();
  for (const s of instances) {
    let inst: AttrInstance = s.instance;
    if (lang !== undefined && lang !== '*' && inst.type === 'LanguageProperty' && inst.deletedAt === undefined) inst = withLanguage(inst, lang);
    const key = `${s.name}\u0000${inst.datasetId ?? ''}`;
    let entry = series.get(key);
    if (!entry) {
      const body: Json = { type: inst.type, [VALUES_MEMBER[inst.type]]: [] };
      if (inst.datasetId !== undefined) body.datasetId = inst.datasetId;
      entry = { name: s.name, body };
      series.set(key, entry);
    }
    const member = VALUES_MEMBER[entry.body.type as AttributeKind];
    const time = property === 'observedAt' ? inst.observedAt : inst[property];
    (entry.body[member] as unknown[]).push([valueOf(inst, ctx), time]);
  }
  return attach(out, [...series.values()], ctx);
}

function valueOf(inst: AttrInstance, ctx: CompiledContext): unknown {
  const v = inst[mainMember(inst.type)];
  if (inst.deletedAt !== undefined) return v;
  if (inst.type === 'VocabProperty') return ctx.compactVocabValue(v as string | string[]);
  return v;
}

/** aggregatedValues: per attribute and datasetId, one member per method. */
export function renderAggregated(out: Json, series: AggregatedSeries[], ctx: CompiledContext): Json {
  return attach(
    out,
    series.map((s) => {
      const body: Json = { type: s.kind, ...s.methods };
      if (s.datasetId !== undefined) body.datasetId = s.datasetId;
      return { name: s.name, body };
    }),
    ctx,
  );
}

/** An attribute with one series is an object, with several (datasetIds) an array. */
function attach(out: Json, series: Array<{ name: string; body: Json }>, ctx: CompiledContext): Json {
  const byName = new Map<string, Json[]>();
  for (const s of series) {
    const list = byName.get(s.name) ?? [];
    list.push(s.body);
    byName.set(s.name, list);
  }
  for (const [name, list] of byName) out[ctx.compactIri(name)] = list.length === 1 ? list[0] : list;
  return out;
}
