/**
 * The temporal API's logic (no HTTP, no SQL): queries of entity history in the temporal
 * representations, with the spec's pagination of instances (a response carries at most
 * `maxInstances` instances per attribute, or lastN; when cut, every attribute is trimmed to the
 * same instant and the range served is reported), aggregation by period (computed by the store),
 * and the temporal writes, which change history only, never the current entity. Reads apply the
 * caller's read filter (access control) like entity queries: what the policy hides from the
 * caller is absent from the history it reads.
 */
import { badRequest, NgsiError, notFound } from '../errors.js';
import { expandAttributeName, parseInstance, parseTypes, requireObject } from '../broker/input.js';
import type { CompiledContext } from '../broker/jsonld/compiled-context.js';
import type { AttrInstance } from '../broker/model.js';
import type { ReadFilter } from '../broker/store.js';
import { requireUri } from '../broker/values/validate.js';
import { monthStart } from './duration.js';
import { entityHeader, renderAggregated, renderInstances, renderTemporalValues, type AggregatedSeries, type PeriodValue } from './render.js';
import type { AggregateRow, Bucketing, StoredInstance, TemporalEntity, TemporalStore } from './store.js';
import { parseTemporalInput, type TemporalInput, type TemporalQuery } from './temporal-params.js';

type Json = Record<string, unknown>;

export interface TemporalServiceOptions {
  /** Most instances of one attribute in one response (the spec's implementation-specific limit). */
  maxInstances: number;
  /** What the caller of the request being served may read; undefined: everything (access control off). */
  readFilter?: () => ReadFilter | undefined;
}

/** The reply to a temporal read: the body, and the range served when instances were cut (206). */
export interface TemporalResult<T> {
  body: T;
  /** Content-Range value (`date-time <start>-<end>/<size>`) when the response is partial. */
  contentRange?: string;
  count?: number;
}

/** Top-level members of a temporal entity payload that are not attributes. */
const NON_ATTRIBUTES = new Set(['id', 'type', '@id', '@type', '@context', 'scope', 'createdAt', 'modifiedAt', 'deletedAt']);

const iso = (ms: number) => new Date(ms).toISOString();

export class TemporalService {
  constructor(
    readonly store: TemporalStore,
    private readonly options: TemporalServiceOptions,
  ) {}

  private async requireTenant(tenant: string): Promise<void> {
    if (!(await this.store.tenantExists(tenant))) throw new NgsiError('NonexistentTenant', `tenant "${tenant}" does not exist`, tenant);
  }

  async query(tenant: string, ctx: CompiledContext, input: TemporalInput): Promise<TemporalResult<Json[]>> {
    const q = parseTemporalInput(input, ctx);
    await this.requireTenant(tenant);
    const { parsed } = q;
    const readFilter = this.options.readFilter?.();
    const page = await this.store.queryEntities(
      tenant,
      { ...parsed.query, time: q.time, ...(readFilter ? { readFilter } : {}) },
      parsed.limit,
      parsed.offset,
      parsed.count,
    );
    const result = await this.represent(page.entities, q, ctx, readFilter?.hiddenAttrs);
    if (page.count !== undefined) result.count = page.count;
    return result;
  }

  async retrieve(tenant: string, ctx: CompiledContext, id: string, input: TemporalInput): Promise<TemporalResult<Json>> {
    requireUri(id, 'entity id');
    const q = parseTemporalInput(input, ctx);
    await this.requireTenant(tenant);
    const readFilter = this.options.readFilter?.();
    // An entity the caller may not see answers exactly like a missing one.
    const entity = await this.store.getEntity(tenant, id, readFilter);
    if (!entity) throw notFound(`temporal entity ${id} does not exist`, id);
    const r = await this.represent([entity], q, ctx, readFilter?.hiddenAttrs);
    return { body: r.body[0], ...(r.contentRange ? { contentRange: r.contentRange } : {}) };
  }

  /** The entities with their history in the representation asked for, without the attributes in `hidden`. */
  private async represent(entities: TemporalEntity[], q: TemporalQuery, ctx: CompiledContext, hidden?: readonly string[]): Promise<TemporalResult<Json[]>> {
    const render = q.parsed.render;
    const pks = entities.map((e) => e.pk);
    const attrs = render.attrs ? [...render.attrs] : undefined;
    const bodies = new Map<number, Json>(entities.map((e) => [e.pk, entityHeader(e, ctx, render.sysAttrs && q.format !== 'temporalValues')]));
    if (q.format === 'aggregatedValues') {
      const rows = await this.store.aggregate(pks, attrs, q.time, this.bucketing(q), q.aggrMethods.includes('distinctCount'), hidden);
      for (const [pk, series] of this.series(rows, q)) renderAggregated(bodies.get(pk)!, series, ctx);
      return { body: [...bodies.values()] };
    }
    const perAttribute = Math.min(q.lastN ?? this.options.maxInstances, this.options.maxInstances);
    const newest = q.lastN !== undefined;
    const read = await this.store.readInstances(pks, attrs, q.time, perAttribute, newest, hidden);
    const { instances, contentRange } = trim(read.instances, read.cut, q, newest);
    const byEntity = new Map<number, StoredInstance[]>();
    for (const s of instances) (byEntity.get(s.entityPk) ?? byEntity.set(s.entityPk, []).get(s.entityPk)!).push(s);
    for (const [pk, list] of byEntity) {
      const out = bodies.get(pk)!;
      if (q.format === 'temporalValues') renderTemporalValues(out, list, ctx, q.time.property, render.lang);
      else renderInstances(out, list, ctx, render, q.format === 'concise');
    }
    return { body: [...bodies.values()], ...(contentRange ? { contentRange } : {}) };
  }

  /** Periods as a bucket number the store computes: calendar months from 1970-01, fixed lengths from the interval start (or 1970). */
  private bucketing(q: TemporalQuery): Bucketing {
    const p = q.aggrPeriod;
    if (p.kind === 'months') return { kind: 'months', months: p.months };
    if (p.kind === 'fixed') return { kind: 'fixed', ms: p.ms, anchor: intervalStart(q) ?? 0 };
    return { kind: 'whole' };
  }

  /** Aggregate rows → per entity, the series with each requested method's [value, start, end] periods. */
  private series(rows: AggregateRow[], q: TemporalQuery): Map<number, AggregatedSeries[]> {
    const out = new Map<number, AggregatedSeries[]>();
    const start = intervalStart(q);
    const end = intervalEnd(q);
    let current: AggregatedSeries | undefined;
    let currentKey = '';
    for (const r of rows) {
      const key = `${r.entityPk}\u0000${r.name}\u0000${r.datasetId ?? ''}`;
      if (key !== currentKey || !current) {
        current = { name: r.name, kind: r.kind, methods: {} };
        if (r.datasetId !== undefined) current.datasetId = r.datasetId;
        for (const m of q.aggrMethods) current.methods[m] = [];
        (out.get(r.entityPk) ?? out.set(r.entityPk, []).get(r.entityPk)!).push(current);
        currentKey = key;
      }
      const [from, to] = this.period(r, q, start, end);
      const period = (v: unknown): PeriodValue => [v, iso(from), iso(to)];
      for (const m of q.aggrMethods) {
        const value = aggregateValue(m, r);
        if (value !== undefined) current.methods[m]!.push(period(value));
      }
    }
    return out;
  }

  private period(r: AggregateRow, q: TemporalQuery, start: number | undefined, end: number | undefined): [number, number] {
    const p = q.aggrPeriod;
    let from: number;
    let to: number;
    if (p.kind === 'fixed') {
      const anchor = start ?? 0;
      from = anchor + r.bucket * p.ms;
      to = from + p.ms;
    } else if (p.kind === 'months') {
      from = monthStart(r.bucket * p.months);
      to = monthStart((r.bucket + 1) * p.months);
    } else {
      from = start ?? r.first;
      to = end ?? r.last;
    }
    return [start !== undefined ? Math.max(from, start) : from, end !== undefined ? Math.min(to, end) : to];
  }

  // ---- Writes: history only ----

  /** POST /temporal/entities: creates the temporal entity (true) or adds instances to it (false). */
  async create(tenant: string, ctx: CompiledContext, body: unknown): Promise<{ id: string; created: boolean }> {
    const obj = requireObject(body, 'the temporal entity');
    const id = requireUri(obj.id ?? obj['@id'], 'entity id');
    const types = parseTypes(obj.type ?? obj['@type'], ctx, 'entity type');
    const attrs = parseTemporalAttributes(obj, ctx);
    const created = await this.store.addInstances(tenant, id, types, attrs, Date.now());
    return { id, created };
  }

  /** POST /temporal/entities/{id}/attrs: adds instances to an existing temporal entity. */
  async addAttributes(tenant: string, ctx: CompiledContext, id: string, body: unknown): Promise<void> {
    requireUri(id, 'entity id');
    const obj = requireObject(body, 'the attributes fragment');
    if (obj.id !== undefined && obj.id !== id) throw badRequest(`the body's id ${String(obj.id)} differs from the id in the path ${id}`);
    const attrs = parseTemporalAttributes(obj, ctx);
    await this.store.addInstances(tenant, id, undefined, attrs, Date.now());
  }

  /** PATCH /temporal/entities/{id}/attrs/{attrId}/{instanceId}: replaces one instance. */
  async modifyInstance(tenant: string, ctx: CompiledContext, id: string, attr: string, instanceId: string, body: unknown): Promise<void> {
    requireUri(id, 'entity id');
    requireUri(instanceId, 'instanceId');
    const name = expandAttributeName(attr, ctx);
    const inst = parseInstance(attr, requireObject(body, 'the attribute instance'), ctx, {}, true);
    if (!(await this.store.replaceInstance(tenant, id, name, instanceId, inst, Date.now()))) {
      throw notFound(`no instance ${instanceId} of attribute ${attr} in temporal entity ${id}`, instanceId);
    }
  }

  async deleteInstance(tenant: string, ctx: CompiledContext, id: string, attr: string, instanceId: string): Promise<void> {
    requireUri(id, 'entity id');
    requireUri(instanceId, 'instanceId');
    const name = expandAttributeName(attr, ctx);
    if (!(await this.store.deleteInstance(tenant, id, name, instanceId))) {
      throw notFound(`no instance ${instanceId} of attribute ${attr} in temporal entity ${id}`, instanceId);
    }
  }

  async deleteEntity(tenant: string, id: string): Promise<void> {
    requireUri(id, 'entity id');
    if (!(await this.store.deleteEntity(tenant, id))) throw notFound(`temporal entity ${id} does not exist`, id);
  }

  async deleteAttribute(tenant: string, ctx: CompiledContext, id: string, attr: string, datasetId: string | undefined, deleteAll: boolean): Promise<void> {
    requireUri(id, 'entity id');
    if (datasetId !== undefined) requireUri(datasetId, 'datasetId');
    const name = expandAttributeName(attr, ctx);
    if (!(await this.store.getEntity(tenant, id))) throw notFound(`temporal entity ${id} does not exist`, id);
    if (!(await this.store.deleteAttribute(tenant, id, name, datasetId, deleteAll))) {
      throw notFound(`temporal entity ${id} has no history of attribute ${attr}${datasetId ? ` with datasetId ${datasetId}` : ''}`, id);
    }
  }
}

/** Every attribute of a temporal payload: an instance or an array of instances (normalized or concise). */
function parseTemporalAttributes(obj: Record<string, unknown>, ctx: CompiledContext): Record<string, AttrInstance[]> {
  const attrs: Record<string, AttrInstance[]> = {};
  for (const [name, raw] of Object.entries(obj)) {
    if (NON_ATTRIBUTES.has(name)) continue;
    const expanded = expandAttributeName(name, ctx);
    const list = Array.isArray(raw) ? raw : [raw];
    attrs[expanded] = list.map((r, i) => parseInstance(Array.isArray(raw) ? `${name}[${i}]` : name, r, ctx, {}, true));
  }
  return attrs;
}

function intervalStart(q: TemporalQuery): number | undefined {
  return q.time.timerel === 'after' || q.time.timerel === 'between' ? q.time.timeAt : undefined;
}

function intervalEnd(q: TemporalQuery): number | undefined {
  if (q.time.timerel === 'between') return q.time.endTimeAt;
  return q.time.timerel === 'before' ? q.time.timeAt : undefined;
}

/** One method's value from a period's aggregates; undefined when the period has no value for it. */
function aggregateValue(m: TemporalQuery['aggrMethods'][number], r: AggregateRow): number | undefined {
  switch (m) {
    case 'totalCount':
      return r.totalCount;
    case 'distinctCount':
      return r.distinctCount;
  }
  if (r.numeric === 0) return undefined;
  switch (m) {
    case 'sum':
      return r.sum!;
    case 'sumsq':
      return r.sumsq!;
    case 'min':
      return r.min!;
    case 'max':
      return r.max!;
    case 'avg':
      return r.sum! / r.numeric;
    case 'stddev': {
      // Population standard deviation from the sums: sqrt(E[x²] - E[x]²).
      const mean = r.sum! / r.numeric;
      return Math.sqrt(Math.max(0, r.sumsq! / r.numeric - mean * mean));
    }
  }
}

/**
 * When some attribute was cut, trims every attribute to the same instant (so that the next page,
 * asked from that instant, misses nothing) and describes the range served, as clause 6.3.10 says:
 * forwards `date-time <timeAt or first>-<last>/*`, backwards (lastN) `date-time <end of
 * interval or latest>-<earliest>/<lastN>`.
 */
function trim(instances: StoredInstance[], cut: Set<string>, q: TemporalQuery, newest: boolean): { instances: StoredInstance[]; contentRange?: string } {
  if (cut.size === 0 || instances.length === 0) return { instances };
  const edge = new Map<string, number>();
  for (const s of instances) {
    const key = `${s.entityPk} ${s.name}`;
    if (!cut.has(key)) continue;
    const e = edge.get(key);
    // Forwards: the latest instance an attribute kept; backwards: the earliest.
    if (e === undefined || (newest ? s.at < e : s.at > e)) edge.set(key, s.at);
  }
  const edges = [...edge.values()];
  const boundary = edges.reduce((a, b) => (newest ? Math.max(a, b) : Math.min(a, b)));
  const kept = instances.filter((s) => (newest ? s.at >= boundary : s.at <= boundary));
  const earliest = kept.reduce((a, s) => Math.min(a, s.at), Infinity);
  const latest = kept.reduce((a, s) => Math.max(a, s.at), -Infinity);
  if (newest) {
    const start = q.time.timerel === 'before' ? q.time.timeAt! : q.time.timerel === 'between' ? q.time.endTimeAt! : latest;
    return { instances: kept, contentRange: `date-time ${iso(start)}-${iso(earliest)}/${q.lastN}` };
  }
  const start = intervalStart(q) ?? earliest;
  return { instances: kept, contentRange: `date-time ${iso(start)}-${iso(latest)}/*` };
}
