/**
 * PostgreSQL implementation of the temporal API's store (entity history), on the database every
 * Urbis node shares. Every attribute instance an entity write creates, updates or deletes becomes
 * a row of temporal_instances, inserted by one statement queued on the write's own transaction
 * (record), so it commits or rolls back with the write. History is partitioned by month
 * (temporal-partitions.ts), so that retention drops whole old months; reads by observedAt touch
 * only the months of their interval. Reads fetch at most N instances per attribute by index
 * (LATERAL), aggregation is one GROUP BY per request, and selections are SQL conditions, so pages
 * and counts are exact: the broker's q, selector and geoQ compilers (q-sql.ts, geo-sql.ts) read
 * the broker's tables attributes, entity_types and geo_index, which here are common table
 * expressions of the same names and columns over the history (the instances in the requested
 * interval, the types of temporal entities); the caller's read filter is applied inside the same
 * SQL, hidden attributes being as if absent.
 */
import type { EntityChange } from '../../broker/changes.js';
import { mainMember, NGSI_LD_NULL } from '../../broker/input.js';
import { primaryValue as primaryValueOf, type AttrInstance } from '../../broker/model.js';
import { comparableOf } from '../../broker/query/comparable.js';
import type { ReadFilter } from '../../broker/store.js';
import { dateTimeMillis } from '../../broker/values/validate.js';
import type { ClusterBus } from '../../cluster/bus.js';
import { notFound } from '../../errors.js';
import { monthIndex, monthStart } from '../../temporal/duration.js';
import type {
  AggregateRow,
  Bucketing,
  InstanceRead,
  RestoredInstance,
  TemporalEntity,
  TemporalSelection,
  TemporalStore,
  TimeFilter,
} from '../../temporal/store.js';
import { activeTx, type PgDatabase, type PgTx } from './database.js';
import { TemporalPartitions } from './temporal-partitions.js';
import { compileGeoQuery, geometrySql } from './geo-sql.js';
import { compileQ, compileSelector, join, numbered, param, raw, sql, type Frag } from './q-sql.js';
import { COLUMN, INSTANCE_PREFIX } from '../temporal-columns.js';

export { TEMPORAL_SCHEMA } from './temporal-schema.js';


/** The member holding an instance's primary value, by attribute kind (cf. model.ts primaryValue). */
const MEMBER_ARMS =
  "WHEN 'Relationship' THEN 'object' WHEN 'LanguageProperty' THEN 'languageMap' WHEN 'VocabProperty' THEN 'vocab' " +
  "WHEN 'JsonProperty' THEN 'json' WHEN 'ListProperty' THEN 'valueList' WHEN 'ListRelationship' THEN 'objectList' ELSE 'value'";

/** The primary value (jsonb) of instance row `alias`. */
const primaryValue = (alias: string) => `${alias}.data -> (CASE ${alias}.kind ${MEMBER_ARMS} END)`;

/** The name q terms on attributes the caller may not read look at: no attribute has it. */
const HIDDEN_ATTRIBUTE = 'urn:urbis:hidden-attribute';

/** One row of temporal_instances as the insert statements take it (JSON, see INSTANCE_RECORD). */
interface InstanceRow {
  pk?: number;
  name: string;
  dataset_id: string;
  kind: string;
  data: unknown;
  vnum: number | null;
  vstr: string | null;
  vtime: number | null;
  observed_at: number | null;
  created_at: number;
  modified_at: number;
  deleted_at: number | null;
  at: number;
}

/** The columns of a JSON array of InstanceRow, for jsonb_to_recordset. */
const INSTANCE_RECORD =
  'r(pk int8, name text, dataset_id text, kind text, data jsonb, vnum float8, vstr text, vtime float8, observed_at int8, created_at int8, modified_at int8, deleted_at int8, at int8)';
const INSTANCE_COLUMNS = 'entity_pk, name, dataset_id, kind, data, vnum, vstr, vtime, observed_at, created_at, modified_at, deleted_at, at';
const RECORD_COLUMNS = 'r.name, r.dataset_id, r.kind, r.data, r.vnum, r.vstr, r.vtime, r.observed_at, r.created_at, r.modified_at, r.deleted_at, r.at';

/**
 * One change in one statement: upserts the temporal entity, replaces its types when asked ($7),
 * and inserts its instances ($9, a JSON array of InstanceRow).
 */
const RECORD_CHANGE = {
  name: 'temporal_record_change',
  text:
    `WITH e AS (INSERT INTO temporal_entities (tenant, id, types, created_at, modified_at, deleted_at) VALUES ($1, $2, $3::jsonb, $4, $5, $6) ` +
    'ON CONFLICT (tenant, id) DO UPDATE SET types = excluded.types, modified_at = excluded.modified_at, deleted_at = excluded.deleted_at RETURNING pk), ' +
    'stale AS (DELETE FROM temporal_entity_types t USING e WHERE $7::boolean AND t.entity_pk = e.pk AND t.type <> ALL ($8::text[])), ' +
    'typed AS (INSERT INTO temporal_entity_types (tenant, type, entity_pk) SELECT $1, x.type, e.pk FROM e, unnest($8::text[]) AS x(type) WHERE $7::boolean ON CONFLICT DO NOTHING) ' +
    `INSERT INTO temporal_instances (${INSTANCE_COLUMNS}) SELECT e.pk, ${RECORD_COLUMNS} FROM e, jsonb_to_recordset($9::jsonb) AS ${INSTANCE_RECORD}`,
};

const INSERT_INSTANCES = `INSERT INTO temporal_instances (${INSTANCE_COLUMNS}) SELECT $1, ${RECORD_COLUMNS} FROM jsonb_to_recordset($2::jsonb) AS ${INSTANCE_RECORD}`;

interface EntityRow {
  pk: number;
  id: string;
  types: string[];
  created_at: number;
  modified_at: number;
  deleted_at: number | null;
}

interface ReadRow {
  pk: number;
  entity_pk: number;
  name: string;
  data: AttrInstance;
  created_at: number;
  modified_at: number;
  deleted_at: number | null;
  ts: number;
  total: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

function toEntity(r: EntityRow): TemporalEntity {
  const e: TemporalEntity = { pk: r.pk, id: r.id, types: r.types, createdAt: r.created_at, modifiedAt: r.modified_at };
  if (r.deleted_at !== null) e.deletedAt = r.deleted_at;
  return e;
}

/** An instance as a row: created/modified are the instants of its recording. */
function instanceRow(name: string, inst: AttrInstance, created: number, modified: number): InstanceRow {
  const { createdAt: _c, modifiedAt: _m, ...rest } = inst;
  const cols = comparableOf(primaryValueOf(inst));
  const observed = inst.observedAt !== undefined ? dateTimeMillis(inst.observedAt) : null;
  return {
    name,
    dataset_id: inst.datasetId ?? '',
    kind: inst.type,
    data: rest,
    ...cols,
    observed_at: observed,
    created_at: created,
    modified_at: modified,
    deleted_at: null,
    at: observed ?? created,
  };
}

/** A deletion is an instance whose value is urn:ngsi-ld:null, with deletedAt set. */
function deletionRow(name: string, previous: AttrInstance, at: number): InstanceRow {
  const data: Record<string, unknown> = { type: previous.type, [mainMember(previous.type)]: NGSI_LD_NULL };
  if (previous.datasetId !== undefined) data.datasetId = previous.datasetId;
  return {
    name,
    dataset_id: previous.datasetId ?? '',
    kind: previous.type,
    data,
    vnum: null,
    vstr: null,
    vtime: null,
    observed_at: null,
    created_at: at,
    modified_at: at,
    deleted_at: at,
    at,
  };
}

/** The condition of a time filter on instance row `alias`; by observedAt it also bounds the partition key. */
function timeCondition(t: TimeFilter, alias: string): Frag {
  const c = raw(`${alias}.${COLUMN[t.property]}`);
  // observed_at, when set, is the partition key `at`: bounding `at` too lets the planner skip other months.
  const bound = (op: string, v: number) =>
    t.property === 'observedAt' ? sql`${c} ${raw(op)} ${param(v)}::int8 AND ${raw(alias)}.at ${raw(op)} ${param(v)}::int8` : sql`${c} ${raw(op)} ${param(v)}::int8`;
  switch (t.timerel) {
    case 'before':
      return bound('<', t.timeAt!);
    case 'after':
      return bound('>=', t.timeAt!);
    case 'between':
      return sql`${bound('>=', t.timeAt!)} AND ${bound('<', t.endTimeAt!)}`;
    default:
      return sql`${c} IS NOT NULL`;
  }
}

/**
 * The condition on instance row `i`'s name: one of `attrs` (when given) and none of `hidden`;
 * undefined when no attribute can match.
 */
function attributeNames(attrs: string[] | undefined, hidden: readonly string[]): Frag | undefined {
  if (attrs) {
    const visible = attrs.filter((a) => !hidden.includes(a));
    return visible.length === 0 ? undefined : sql` AND i.name = ANY (${param(visible)}::text[])`;
  }
  return hidden.length === 0 ? raw('') : sql` AND i.name <> ALL (${param([...hidden])}::text[])`;
}

/**
 * A read filter as a condition on temporal entity row `e`, like the broker store's: by the types
 * of the temporal entity; a resident's own records are those whose latest recorded instance of an
 * owner attribute names the resident (the id as the value, an item of it or a member value; a
 * deleted owner attribute or entity owns nothing).
 */
function compileReadFilter(f: ReadFilter): Frag {
  let types = raw('true');
  if (f.onlyTypes) {
    types = sql`NOT EXISTS (SELECT 1 FROM temporal_entity_types ft WHERE ft.entity_pk = e.pk AND ft.type <> ALL (${param(f.onlyTypes)}::text[]))`;
  } else if (f.hiddenTypes && f.hiddenTypes.length > 0) {
    types = sql`NOT EXISTS (SELECT 1 FROM temporal_entity_types ft WHERE ft.entity_pk = e.pk AND ft.type = ANY (${param(f.hiddenTypes)}::text[]))`;
  }
  if (!f.owner || f.owner.attrs.length === 0) return types;
  const latest = sql`SELECT DISTINCT ON (l.name, l.dataset_id) ${raw(primaryValue('l'))} AS v, l.deleted_at FROM temporal_instances l
    WHERE l.entity_pk = e.pk AND l.name = ANY (${param(f.owner.attrs)}::text[]) ORDER BY l.name, l.dataset_id, l.pk DESC`;
  const owner = sql`EXISTS (SELECT 1 FROM (${latest}) fo, jsonb_array_elements(CASE jsonb_typeof(fo.v) WHEN 'array' THEN fo.v
    WHEN 'object' THEN (SELECT coalesce(jsonb_agg(m.value), '[]') FROM jsonb_each(fo.v) m) ELSE jsonb_build_array(fo.v) END) fj(v)
    WHERE fo.deleted_at IS NULL AND fj.v = ${param(JSON.stringify(f.owner.id))}::jsonb)`;
  return sql`(${types} OR ${owner})`;
}

/** Where calendar periods are looked up by binary search (outside, they are computed from the date). */
const CALENDAR_FROM = Date.UTC(1900, 0, 1);
const CALENDAR_TO = Date.UTC(2200, 0, 1);

/**
 * The period number of instant `col` in periods of `months` calendar months (UTC) from 1970-01:
 * a binary search (width_bucket) in the period starts over the interval, which is several times
 * faster than taking the date apart; instants outside those starts take the date apart.
 */
function monthBucket(col: Frag, months: number, time: TimeFilter): Frag {
  const lo = time.timerel === 'after' || time.timerel === 'between' ? time.timeAt! : CALENDAR_FROM;
  const hi = time.timerel === 'between' ? time.endTimeAt! : time.timerel === 'before' ? time.timeAt! : CALENDAR_TO;
  const first = Math.floor(monthIndex(lo) / months);
  const last = Math.floor(monthIndex(hi) / months) + 1;
  const starts = Array.from({ length: last - first + 1 }, (_, k) => monthStart((first + k) * months));
  const d = sql`(to_timestamp(${col} / 1000.0) AT TIME ZONE 'UTC')`;
  return sql`(CASE WHEN ${col} >= ${param(starts[0])}::int8 AND ${col} < ${param(starts[starts.length - 1])}::int8
    THEN ${param(first - 1)}::int8 + width_bucket(${col}, ${param(starts)}::int8[])
    ELSE floor(((date_part('year', ${d}) - 1970) * 12 + date_part('month', ${d}) - 1) / ${param(months)}::float8)::int8 END)`;
}

/** Runs a statement built from fragments. */
function statement(f: Frag): [string, unknown[]] {
  const { text, values } = numbered(f);
  return [text, values];
}

export class PgTemporalStore implements TemporalStore {
  private readonly partitions: TemporalPartitions;

  constructor(
    private readonly db: PgDatabase,
    // History keeps nothing in memory that other nodes change: the bus is not needed.
    _bus: ClusterBus,
  ) {
    this.partitions = new TemporalPartitions(db);
  }

  /** Creates this month's and next month's partitions (and files instances waiting in the default partition). */
  async init(): Promise<void> {
    await this.partitions.init();
  }

  // ---- Recording (inside the broker's write transaction) ----

  record(change: EntityChange): void {
    const tx = activeTx();
    if (!tx) throw new Error('PgTemporalStore.record must run inside a broker write (withActiveTx)');
    const at = Date.parse(change.at);
    const entity = change.after ?? change.before!;
    const deleted = change.op === 'deleted';
    const created = entity.createdAt ? Date.parse(entity.createdAt) : at;
    const writeTypes = change.op === 'created' || (change.before !== undefined && change.after !== undefined && !sameTypes(change.before.types, change.after.types));
    const rows = change.attributes.map((a) => (a.kind === 'deleted' ? deletionRow(a.name, a.previous!, at) : instanceRow(a.name, a.current!, at, at)));
    this.partitions.notice(rows.map((r) => r.at));
    const values = [change.tenant, change.id, JSON.stringify(entity.types), created, at, deleted ? at : null, writeTypes, entity.types, JSON.stringify(rows)];
    tx.deferWork(async (t) => {
      await t.client.query({ ...RECORD_CHANGE, values });
    });
  }

  // ---- Reads ----

  async tenantExists(tenant: string): Promise<boolean> {
    if (tenant === '') return true;
    return (await this.db.query('SELECT 1 FROM temporal_entities WHERE tenant = $1 LIMIT 1', [tenant])).length > 0;
  }

  async getEntity(tenant: string, id: string, filter?: ReadFilter): Promise<TemporalEntity | undefined> {
    const f = sql`SELECT e.* FROM temporal_entities e WHERE e.tenant = ${param(tenant)} AND e.id = ${param(id)}${filter ? sql` AND ${compileReadFilter(filter)}` : raw('')}`;
    const [r] = await this.db.query<EntityRow>(...statement(f));
    return r ? toEntity(r) : undefined;
  }

  async queryEntities(tenant: string, sel: TemporalSelection, limit: number, offset: number, count: boolean): Promise<{ entities: TemporalEntity[]; count?: number }> {
    // The broker's compilers read its tables attributes, entity_types and geo_index: here they are
    // history in the interval, with the same columns (broker-schema.ts).
    const inInterval = (alias: string) => sql`FROM temporal_instances ${raw(alias)} WHERE ${raw(alias)}.deleted_at IS NULL AND ${timeCondition(sel.time, alias)}`;
    const withSql = sql`WITH attributes AS NOT MATERIALIZED (SELECT ti.entity_pk, ti.name, ti.dataset_id, ti.kind, ti.data, ${raw(primaryValue('ti'))} AS value,
        ti.vnum, ti.vstr, ti.vtime, ti.vnum IS NULL AND ti.vstr IS NULL AS composite ${inInterval('ti')}),
      entity_types AS NOT MATERIALIZED (SELECT tenant, type, entity_pk FROM temporal_entity_types),
      geo_index AS NOT MATERIALIZED (SELECT tg.entity_pk, tg.name, ${geometrySql(raw("(tg.data ->> 'value')"))} AS geom ${inInterval('tg')} AND tg.kind = 'GeoProperty') `;
    const where: Frag[] = [sql`e.tenant = ${param(tenant)}`];
    const hidden = sel.readFilter?.hiddenAttrs ?? [];
    if (sel.readFilter) where.push(compileReadFilter(sel.readFilter));
    if (sel.entities && sel.entities.length > 0) where.push(sql`(${join(sel.entities.map((s) => sql`(${compileSelector(s, sel.expand)})`), ' OR ')})`);
    // Listed only with instances in the interval (of `attrs`, when given) of attributes the caller may read.
    const names = attributeNames(sel.attrs && sel.attrs.length > 0 ? sel.attrs : undefined, hidden);
    if (names === undefined) where.push(raw('false'));
    else where.push(sql`EXISTS (SELECT 1 FROM temporal_instances i WHERE i.entity_pk = e.pk${names} AND ${timeCondition(sel.time, 'i')})`);
    if (sel.q) {
      // A term on an attribute the caller may not read looks at a name no attribute has.
      const expand = hidden.length === 0 ? sel.expand : (t: string) => (hidden.includes(sel.expand(t)) ? HIDDEN_ATTRIBUTE : sel.expand(t));
      where.push(sql`(${compileQ(sel.q, expand)})`);
    }
    if (sel.geoQ && hidden.includes(sel.geoQ.geoproperty)) where.push(raw('false'));
    else if (sel.geoQ) where.push(compileGeoQuery(sel.geoQ, sel.geoQ.geoproperty));
    const whereSql = join(where, ' AND ');
    const out: { entities: TemporalEntity[]; count?: number } = { entities: [] };
    if (count) out.count = (await this.db.query<{ n: number }>(...statement(sql`${withSql}SELECT count(*) AS n FROM temporal_entities e WHERE ${whereSql}`)))[0].n;
    if (limit > 0) {
      const page = sql`${withSql}SELECT e.* FROM temporal_entities e WHERE ${whereSql} ORDER BY e.pk LIMIT ${param(limit)}::int8 OFFSET ${param(offset)}::int8`;
      out.entities = (await this.db.query<EntityRow>(...statement(page))).map(toEntity);
    }
    return out;
  }

  async readInstances(entityPks: number[], attrs: string[] | undefined, time: TimeFilter, perAttribute: number, newest: boolean, hidden: readonly string[] = []): Promise<InstanceRead> {
    const read: InstanceRead = { instances: [], cut: new Set() };
    const visible = attrs?.filter((a) => !hidden.includes(a));
    if (entityPks.length === 0 || visible?.length === 0) return read;
    const pks = param(entityPks);
    const col = raw(`i.${COLUMN[time.property]}`);
    const dir = raw(newest ? 'DESC' : 'ASC');
    // The (entity, attribute) pairs: those asked for, or found by skipping through the index name by name.
    let pairs: Frag;
    if (visible) pairs = sql`pairs AS (SELECT p.pk AS entity_pk, x.name FROM unnest(${pks}::int8[]) AS p(pk), unnest(${param(visible)}::text[]) AS x(name))`;
    else {
      const n = attributeNames(undefined, hidden)!;
      const first = sql`SELECT i.entity_pk, i.name FROM temporal_instances i WHERE i.entity_pk = p.pk${n} ORDER BY i.name LIMIT 1`;
      const next = sql`SELECT i.entity_pk, i.name FROM temporal_instances i WHERE i.entity_pk = p.entity_pk AND i.name > p.name${n} ORDER BY i.name LIMIT 1`;
      pairs = sql`pairs AS (SELECT f.entity_pk, f.name FROM unnest(${pks}::int8[]) AS p(pk), LATERAL (${first}) f UNION ALL SELECT f.entity_pk, f.name FROM pairs p, LATERAL (${next}) f)`;
    }
    // One instance more than asked tells that an attribute was cut.
    const f = sql`WITH RECURSIVE ${pairs}
      SELECT pk, entity_pk, name, data, created_at, modified_at, deleted_at, ts, total FROM (
        SELECT r.*, count(*) OVER (PARTITION BY r.entity_pk, r.name) AS total FROM pairs p, LATERAL (
          SELECT i.pk, i.entity_pk, i.name, i.data, i.created_at, i.modified_at, i.deleted_at, ${col} AS ts, row_number() OVER (ORDER BY ${col} ${dir}, i.pk) AS rn
          FROM temporal_instances i WHERE i.entity_pk = p.entity_pk AND i.name = p.name AND ${timeCondition(time, 'i')}
          ORDER BY ${col} ${dir}, i.pk LIMIT ${param(perAttribute + 1)}::int8) r
      ) x WHERE rn <= ${param(perAttribute)}::int8 ORDER BY entity_pk, name, ts, pk`;
    for (const r of await this.db.query<ReadRow>(...statement(f))) {
      if (r.total > perAttribute) read.cut.add(`${r.entity_pk} ${r.name}`);
      const inst = r.data;
      inst.createdAt = iso(r.created_at);
      inst.modifiedAt = iso(r.modified_at);
      if (r.deleted_at !== null) inst.deletedAt = iso(r.deleted_at);
      read.instances.push({ entityPk: r.entity_pk, name: r.name, instanceId: INSTANCE_PREFIX + r.pk, instance: inst, at: r.ts });
    }
    return read;
  }

  async aggregate(entityPks: number[], attrs: string[] | undefined, time: TimeFilter, bucketing: Bucketing, distinct: boolean, hidden: readonly string[] = []): Promise<AggregateRow[]> {
    const names = attributeNames(attrs, hidden);
    if (entityPks.length === 0 || names === undefined) return [];
    const col = raw(`i.${COLUMN[time.property]}`);
    let bucket = raw('0');
    if (bucketing.kind === 'fixed') {
      bucket = sql`floor((${col} - ${param(bucketing.anchor)}::int8)::float8 / ${param(bucketing.ms)}::float8)::int8`;
    } else if (bucketing.kind === 'months') {
      bucket = monthBucket(col, bucketing.months, time);
    }
    const deletions = raw(time.property === 'deletedAt' ? '' : ' AND i.deleted_at IS NULL');
    const value = raw(distinct ? `, (${primaryValue('i')})::text COLLATE "C" AS value` : '');
    // OFFSET 0 keeps the instances a subquery: the planner then expects a few hundred periods (it
    // cannot tell how many the bucket expression makes, and counting one per instant, it would
    // sort every instance, often on disk) and hashes the instances into their periods instead.
    const f = sql`SELECT entity_pk AS "entityPk", name, dataset_id AS "datasetId", max(kind) AS kind, bucket, min(t) AS first, max(t) AS last,
      count(*) AS "totalCount", ${raw(distinct ? 'count(DISTINCT value)' : '0')} AS "distinctCount",
      count(vnum) AS "numeric", sum(vnum) AS sum, sum(vnum * vnum) AS sumsq, min(vnum) AS min, max(vnum) AS max
      FROM (SELECT i.entity_pk, i.name, i.dataset_id, i.kind, i.vnum, ${col} AS t, ${bucket} AS bucket${value}
        FROM temporal_instances i WHERE i.entity_pk = ANY (${param(entityPks)}::int8[])${names} AND ${timeCondition(time, 'i')}${deletions} OFFSET 0) x
      GROUP BY entity_pk, name, dataset_id, bucket ORDER BY entity_pk, name, dataset_id, bucket`;
    const rows = await this.db.query<AggregateRow & { datasetId: string }>(...statement(f));
    return rows.map((r) => {
      const { datasetId, ...rest } = r;
      return datasetId === '' ? rest : { ...rest, datasetId };
    });
  }

  // ---- Temporal writes (history only) ----

  async addInstances(tenant: string, id: string, types: string[] | undefined, attrs: Record<string, AttrInstance[]>, now: number): Promise<boolean> {
    const rows = Object.entries(attrs).flatMap(([name, list]) => list.map((inst) => instanceRow(name, inst, now, now)));
    await this.prepare(rows);
    return this.db.transaction(async (tx) => {
      let created = false;
      let [e] = await tx.query<{ pk: number }>('UPDATE temporal_entities SET modified_at = greatest(modified_at, $3) WHERE tenant = $1 AND id = $2 RETURNING pk', [tenant, id, now]);
      if (!e) {
        if (!types) throw notFound(`temporal entity ${id} does not exist`, id);
        // Another request may create it at the same moment: then this one adds to it.
        const [ins] = await tx.query<{ pk: number; inserted: boolean }>(
          'INSERT INTO temporal_entities (tenant, id, types, created_at, modified_at) VALUES ($1, $2, $3::jsonb, $4, $4) ' +
            'ON CONFLICT (tenant, id) DO UPDATE SET modified_at = greatest(temporal_entities.modified_at, excluded.modified_at) RETURNING pk, (xmax = 0) AS inserted',
          [tenant, id, JSON.stringify(types), now],
        );
        e = ins;
        created = ins.inserted;
        if (created) await this.writeTypes(tx, tenant, ins.pk, types);
      }
      if (rows.length > 0) await tx.query(INSERT_INSTANCES, [e.pk, JSON.stringify(rows)]);
      return created;
    });
  }

  async replaceInstance(tenant: string, id: string, name: string, instanceId: string, inst: AttrInstance, now: number): Promise<boolean> {
    const found = await this.findInstance(tenant, id, name, instanceId);
    if (found === undefined) return false;
    // An instance keeps its observedAt unless the new content gives one.
    if (inst.observedAt === undefined && found.data.observedAt !== undefined) inst = { ...inst, observedAt: found.data.observedAt };
    const row = instanceRow(name, inst, found.created_at, now);
    await this.prepare([row]);
    const updated = await this.db.query<{ pk: number }>(
      'UPDATE temporal_instances SET kind = $1, data = $2::jsonb, vnum = $3, vstr = $4, vtime = $5, observed_at = $6, modified_at = $7, at = $8 ' +
        'WHERE entity_pk = $9 AND pk = $10 AND at = $11 RETURNING pk',
      [row.kind, JSON.stringify(row.data), row.vnum, row.vstr, row.vtime, row.observed_at, now, row.at, found.entity_pk, found.pk, found.at],
    );
    return updated.length > 0;
  }

  async deleteInstance(tenant: string, id: string, name: string, instanceId: string): Promise<boolean> {
    const pk = instancePk(instanceId);
    if (pk === undefined) return false;
    const deleted = await this.db.query(
      'DELETE FROM temporal_instances i USING temporal_entities e WHERE e.tenant = $1 AND e.id = $2 AND i.entity_pk = e.pk AND i.name = $3 AND i.pk = $4 RETURNING i.pk',
      [tenant, id, name, pk],
    );
    return deleted.length > 0;
  }

  private async findInstance(tenant: string, id: string, name: string, instanceId: string) {
    const pk = instancePk(instanceId);
    if (pk === undefined) return undefined;
    const [r] = await this.db.query<{ entity_pk: number; pk: number; at: number; created_at: number; data: AttrInstance }>(
      'SELECT i.entity_pk, i.pk, i.at, i.created_at, i.data FROM temporal_instances i JOIN temporal_entities e ON i.entity_pk = e.pk ' +
        'WHERE e.tenant = $1 AND e.id = $2 AND i.name = $3 AND i.pk = $4',
      [tenant, id, name, pk],
    );
    return r;
  }

  async deleteEntity(tenant: string, id: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [e] = await tx.query<{ pk: number }>('DELETE FROM temporal_entities WHERE tenant = $1 AND id = $2 RETURNING pk', [tenant, id]);
      if (!e) return false;
      await tx.query('DELETE FROM temporal_instances WHERE entity_pk = $1', [e.pk]);
      await tx.query('DELETE FROM temporal_entity_types WHERE entity_pk = $1', [e.pk]);
      return true;
    });
  }

  async deleteAttribute(tenant: string, id: string, name: string, datasetId: string | undefined, all: boolean): Promise<boolean> {
    const deleted = await this.db.query(
      'DELETE FROM temporal_instances i USING temporal_entities e WHERE e.tenant = $1 AND e.id = $2 AND i.entity_pk = e.pk AND i.name = $3 ' +
        'AND ($4::boolean OR i.dataset_id = $5) RETURNING i.pk',
      [tenant, id, name, all, datasetId ?? ''],
    );
    return deleted.length > 0;
  }

  // ---- Archives ----

  async tenants(): Promise<string[]> {
    return (await this.db.query<{ tenant: string }>('SELECT DISTINCT tenant FROM temporal_entities ORDER BY tenant')).map((r) => r.tenant);
  }

  async exportInstances(entityPk: number, cursor: string | undefined, limit: number): Promise<{ instances: RestoredInstance[]; cursor?: string }> {
    // In recording order (instanceId), a page at a time, along the primary key (entity, pk).
    const rows = await this.db.query<{ pk: number; name: string; data: AttrInstance; created_at: number; modified_at: number; deleted_at: number | null }>(
      'SELECT pk, name, data, created_at, modified_at, deleted_at FROM temporal_instances WHERE entity_pk = $1 AND pk > $2 ORDER BY pk LIMIT $3',
      [entityPk, cursor === undefined ? 0 : Number(cursor), limit],
    );
    const instances = rows.map((r) => {
      const instance = r.data;
      instance.createdAt = iso(r.created_at);
      instance.modifiedAt = iso(r.modified_at);
      if (r.deleted_at !== null) instance.deletedAt = iso(r.deleted_at);
      return { name: r.name, instanceId: INSTANCE_PREFIX + r.pk, instance };
    });
    return rows.length === limit ? { instances, cursor: String(rows[rows.length - 1].pk) } : { instances };
  }

  async restoreEntity(tenant: string, entity: Omit<TemporalEntity, 'pk'>, instances: RestoredInstance[]): Promise<void> {
    const rows = instances.map((r) => restoredRow(r, entity.createdAt));
    await this.prepare(rows);
    await this.db.transaction(async (tx) => {
      // Called again for the same entity, it adds the next instances.
      const [e] = await tx.query<{ pk: number }>(
        'INSERT INTO temporal_entities (tenant, id, types, created_at, modified_at, deleted_at) VALUES ($1, $2, $3::jsonb, $4, $5, $6) ' +
          'ON CONFLICT (tenant, id) DO UPDATE SET types = excluded.types, modified_at = excluded.modified_at, deleted_at = excluded.deleted_at RETURNING pk',
        [tenant, entity.id, JSON.stringify(entity.types), entity.createdAt, entity.modifiedAt, entity.deletedAt ?? null],
      );
      await this.writeTypes(tx, tenant, e.pk, entity.types);
      if (rows.length === 0) return;
      await tx.query(
        `INSERT INTO temporal_instances (pk, ${INSTANCE_COLUMNS}) SELECT coalesce(r.pk, nextval('temporal_instance_pk')), $1, ${RECORD_COLUMNS} ` +
          `FROM jsonb_to_recordset($2::jsonb) AS ${INSTANCE_RECORD}`,
        [e.pk, JSON.stringify(rows)],
      );
      // instanceIds are never reused: the sequence continues after the highest restored one.
      const highest = rows.reduce((max, r) => Math.max(max, r.pk ?? 0), 0);
      if (highest > 0) await tx.query("SELECT setval('temporal_instance_pk', greatest($1::int8, (SELECT last_value FROM temporal_instance_pk)))", [highest]);
    });
  }

  // ---- Retention ----

  async entitiesForRetention(types: string[], others: boolean): Promise<number[]> {
    const text =
      types.length === 0
        ? 'SELECT pk FROM temporal_entities ORDER BY pk'
        : others
          ? 'SELECT pk FROM temporal_entities e WHERE NOT EXISTS (SELECT 1 FROM temporal_entity_types t WHERE t.entity_pk = e.pk AND t.type = ANY ($1::text[])) ORDER BY pk'
          : 'SELECT DISTINCT entity_pk AS pk FROM temporal_entity_types WHERE type = ANY ($1::text[]) ORDER BY pk';
    return (await this.db.query<{ pk: number }>(text, types.length === 0 ? [] : [types])).map((r) => r.pk);
  }

  async deleteExpired(entityPk: number, before: number, limit: number): Promise<number> {
    // Bounding `at` on both sides lets the planner look only at the months before `before`.
    const deleted = await this.db.query(
      'DELETE FROM temporal_instances d USING (SELECT pk, at FROM temporal_instances WHERE entity_pk = $1 AND at < $2 LIMIT $3) x ' +
        'WHERE d.entity_pk = $1 AND d.at < $2 AND d.pk = x.pk AND d.at = x.at RETURNING d.pk',
      [entityPk, before, limit],
    );
    return deleted.length;
  }

  async dropExpired(before: number): Promise<number> {
    return this.partitions.dropBefore(before);
  }

  // ---- Helpers ----

  /** Creates the partitions of the rows' months before a write (when the table is busy, the rows wait in the default partition). */
  private async prepare(rows: InstanceRow[]): Promise<void> {
    await this.partitions.ensureFor(rows.map((r) => r.at));
  }

  private async writeTypes(tx: PgTx, tenant: string, pk: number, types: string[]): Promise<void> {
    await tx.query('DELETE FROM temporal_entity_types WHERE entity_pk = $1', [pk]);
    await tx.query('INSERT INTO temporal_entity_types (tenant, type, entity_pk) SELECT $1, unnest($2::text[]), $3 ON CONFLICT DO NOTHING', [tenant, types, pk]);
  }
}

function sameTypes(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/** The pk of an instanceId of this store, undefined for any other URI. */
function instancePk(instanceId: string): number | undefined {
  if (!instanceId.startsWith(INSTANCE_PREFIX)) return undefined;
  const text = instanceId.slice(INSTANCE_PREFIX.length);
  const n = Number(text);
  return /^\d+$/.test(text) && Number.isSafeInteger(n) ? n : undefined;
}

/** An archived instance as a row, with its instanceId (when it is one of ours), system members and deletion as they were. */
function restoredRow(r: RestoredInstance, entityCreated: number): InstanceRow {
  const { createdAt, modifiedAt, deletedAt, ...data } = r.instance;
  const created = createdAt !== undefined ? Date.parse(createdAt) : entityCreated;
  const modified = modifiedAt !== undefined ? Date.parse(modifiedAt) : created;
  const row = instanceRow(r.name, data as AttrInstance, created, modified);
  if (deletedAt !== undefined) {
    row.deleted_at = Date.parse(deletedAt);
    row.vnum = row.vstr = row.vtime = null;
  }
  const pk = instancePk(r.instanceId);
  if (pk !== undefined && pk > 0) row.pk = pk;
  return row;
}
