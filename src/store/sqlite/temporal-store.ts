/**
 * SQLite implementation of the temporal API's store (entity history), on the broker's database.
 * Every attribute instance a write creates, updates or deletes becomes a row of
 * temporal_instances, inserted inside that write's transaction (record). Queries reuse the
 * broker's q and type-selection compilers: their SQL names `attributes a` and `entity_types t`,
 * which here are common table expressions over the history (the instances in the requested
 * interval, and the types of temporal entities). Aggregation is one GROUP BY per request, over
 * the hourly rollups when the query falls on whole hours of observedAt (temporal-rollups.ts, kept
 * in the same transactions as the instances), over the instances otherwise.
 * A caller's read filter (access control) is applied inside the same SQL, as the broker store
 * does: hidden entities are left out of pages and counts, hidden attributes are as if absent.
 */
import type { Statement } from 'better-sqlite3';
import type { EntityChange } from '../../broker/changes.js';
import { mainMember, NGSI_LD_NULL } from '../../broker/input.js';
import type { AttrInstance } from '../../broker/model.js';
import type { ReadFilter } from '../../broker/store.js';
import { dateTimeMillis } from '../../broker/values/validate.js';
import { notFound } from '../../errors.js';
import type {
  AggregateRow,
  Bucketing,
  InstanceRead,
  RestoredInstance,
  StoredInstance,
  TemporalEntity,
  TemporalSelection,
  TemporalStore,
  TimeFilter,
} from '../../temporal/store.js';
import { attributeIndexColumns } from './attribute-index.js';
import { migrate, type Db } from './database.js';
import { compileQ, compileSelector } from './q-sql.js';
import { BoundedMap } from './bounded-map.js';
import { HOUR_MS, ROLLUPS_MIGRATION, rollupAggregation, rollupsServe, TemporalRollups } from './temporal-rollups.js';
import { COLUMN, INSTANCE_PREFIX } from '../temporal-columns.js';

/** Migrations of component 'temporal' (see database.ts migrate). */
export const TEMPORAL_MIGRATIONS: string[] = [
  `
  CREATE TABLE temporal_entities (
    pk          INTEGER PRIMARY KEY,
    tenant      TEXT NOT NULL,
    id          TEXT NOT NULL,
    types       TEXT NOT NULL,             -- JSON array of expanded type IRIs (the latest known)
    created_at  INTEGER NOT NULL,          -- epoch ms
    modified_at INTEGER NOT NULL,
    deleted_at  INTEGER,                   -- set when the current entity was deleted
    UNIQUE (tenant, id)
  );
  CREATE TABLE temporal_entity_types (
    tenant      TEXT NOT NULL,
    type        TEXT NOT NULL,
    entity_pk   INTEGER NOT NULL,
    PRIMARY KEY (tenant, type, entity_pk)
  ) WITHOUT ROWID;
  CREATE INDEX temporal_entity_types_by_entity ON temporal_entity_types (entity_pk);
  -- One row per attribute instance ever recorded; instanceId = urn:ngsi-ld:AttributeInstance:<pk>.
  CREATE TABLE temporal_instances (
    pk          INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_pk   INTEGER NOT NULL,
    name        TEXT NOT NULL,             -- expanded attribute IRI
    dataset_id  TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL,
    data        TEXT NOT NULL,             -- JSON of the instance (without createdAt/modifiedAt)
    vnum        REAL,                      -- primary value when numeric (aggregation, q)
    vstr        TEXT,
    vtime       REAL,
    observed_at INTEGER,                   -- epoch ms of the time properties
    created_at  INTEGER NOT NULL,
    modified_at INTEGER NOT NULL,
    deleted_at  INTEGER
  );
  CREATE INDEX temporal_instances_observed ON temporal_instances (entity_pk, name, observed_at);
  CREATE INDEX temporal_instances_created ON temporal_instances (entity_pk, name, created_at);
  `,
  // Aggregation by observedAt reads only this index (it covers every column the query needs).
  `
  DROP INDEX temporal_instances_observed;
  CREATE INDEX temporal_instances_observed ON temporal_instances (entity_pk, name, observed_at, dataset_id, deleted_at, kind, vnum);
  `,
  // Aggregation by whole hours of observedAt reads hourly rollups (temporal-rollups.ts).
  ROLLUPS_MIGRATION,
];


/** The JSON path of the primary value member, per attribute kind (cf. model.ts primaryValue). */
const PRIMARY_PATH =
  "'$.' || CASE kind WHEN 'Relationship' THEN 'object' WHEN 'LanguageProperty' THEN 'languageMap' WHEN 'VocabProperty' THEN 'vocab' " +
  "WHEN 'JsonProperty' THEN 'json' WHEN 'ListProperty' THEN 'valueList' WHEN 'ListRelationship' THEN 'objectList' ELSE 'value' END";

interface EntityRow {
  pk: number;
  id: string;
  types: string;
  created_at: number;
  modified_at: number;
  deleted_at: number | null;
}

/** An instance found for a temporal write (replace, delete). */
interface FoundInstance {
  pk: number;
  entity_pk: number;
  data: string;
  dataset_id: string;
  observed_at: number | null;
}

interface InstanceRow {
  pk: number;
  entity_pk: number;
  name: string;
  data: string;
  created_at: number;
  modified_at: number;
  deleted_at: number | null;
  ts: number;
  total: number;
}

/** The name q terms on attributes the caller may not read look at: no attribute has it. */
const HIDDEN_ATTRIBUTE = 'urn:urbis:hidden-attribute';

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');
const iso = (ms: number) => new Date(ms).toISOString();

function toEntity(r: EntityRow): TemporalEntity {
  const e: TemporalEntity = { pk: r.pk, id: r.id, types: JSON.parse(r.types) as string[], createdAt: r.created_at, modifiedAt: r.modified_at };
  if (r.deleted_at !== null) e.deletedAt = r.deleted_at;
  return e;
}

/** The SQL condition of a time filter on column `col`, and its parameters. */
function timeCondition(t: TimeFilter, alias: string): { sql: string; params: number[] } {
  const c = `${alias}${COLUMN[t.property]}`;
  switch (t.timerel) {
    case 'before':
      return { sql: `${c} < ?`, params: [t.timeAt!] };
    case 'after':
      return { sql: `${c} >= ?`, params: [t.timeAt!] };
    case 'between':
      return { sql: `${c} >= ? AND ${c} < ?`, params: [t.timeAt!, t.endTimeAt!] };
    default:
      return { sql: `${c} IS NOT NULL`, params: [] };
  }
}

export class SqliteTemporalStore implements TemporalStore {
  private readonly stmt: Record<string, Statement>;
  private readonly statements = new BoundedMap<Statement>(256);
  private readonly rollups: TemporalRollups;

  constructor(private readonly db: Db) {
    migrate(db, 'temporal', TEMPORAL_MIGRATIONS);
    this.rollups = new TemporalRollups(db);
    const p = (sql: string) => db.prepare(sql);
    this.stmt = {
      upsertEntity: p(`INSERT INTO temporal_entities (tenant, id, types, created_at, modified_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (tenant, id) DO UPDATE SET types = excluded.types, modified_at = excluded.modified_at, deleted_at = excluded.deleted_at
        RETURNING pk`),
      touchEntity: p('UPDATE temporal_entities SET modified_at = max(modified_at, ?) WHERE pk = ?'),
      entityById: p('SELECT * FROM temporal_entities WHERE tenant = ? AND id = ?'),
      deleteTypes: p('DELETE FROM temporal_entity_types WHERE entity_pk = ?'),
      insertType: p('INSERT OR IGNORE INTO temporal_entity_types (tenant, type, entity_pk) VALUES (?, ?, ?)'),
      insertInstance: p(`INSERT INTO temporal_instances (entity_pk, name, dataset_id, kind, data, vnum, vstr, vtime, observed_at, created_at, modified_at, deleted_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      instanceOf: p('SELECT pk, data, dataset_id, observed_at FROM temporal_instances WHERE pk = ? AND entity_pk = ? AND name = ?'),
      replaceInstance: p(`UPDATE temporal_instances SET kind = ?, data = ?, vnum = ?, vstr = ?, vtime = ?, observed_at = coalesce(?, observed_at),
        modified_at = ? WHERE pk = ?`),
      deleteInstance: p('DELETE FROM temporal_instances WHERE pk = ?'),
      deleteInstancesOf: p('DELETE FROM temporal_instances WHERE entity_pk = ?'),
      deleteEntity: p('DELETE FROM temporal_entities WHERE pk = ?'),
      deleteAttrAll: p('DELETE FROM temporal_instances WHERE entity_pk = ? AND name = ?'),
      deleteAttrDataset: p('DELETE FROM temporal_instances WHERE entity_pk = ? AND name = ? AND dataset_id = ?'),
      tenantExists: p('SELECT 1 FROM temporal_entities WHERE tenant = ? LIMIT 1'),
      deleteExpired: p(`DELETE FROM temporal_instances WHERE pk IN (SELECT pk FROM temporal_instances
        WHERE entity_pk = ? AND coalesce(observed_at, created_at) < ? LIMIT ?) RETURNING name, dataset_id, observed_at`),
    };
  }

  // ---- Recording (inside the broker's write transaction) ----

  record(change: EntityChange): void {
    const at = Date.parse(change.at);
    const entity = change.after ?? change.before!;
    const deleted = change.op === 'deleted';
    const created = entity.createdAt ? Date.parse(entity.createdAt) : at;
    const typesJson = JSON.stringify(entity.types);
    const { pk } = this.stmt.upsertEntity.get(change.tenant, change.id, typesJson, created, at, deleted ? at : null) as { pk: number };
    if (change.op === 'created' || (change.before && change.after && JSON.stringify(change.before.types) !== typesJson)) {
      this.writeTypes(change.tenant, pk, entity.types);
    }
    for (const a of change.attributes) {
      if (a.kind === 'deleted') this.insertDeletion(pk, a.name, a.previous!, at);
      else this.insertInstance(pk, a.name, a.current!, at, at);
    }
  }

  private writeTypes(tenant: string, pk: number, types: string[]): void {
    this.stmt.deleteTypes.run(pk);
    for (const t of types) this.stmt.insertType.run(tenant, t, pk);
  }

  private insertInstance(entityPk: number, name: string, inst: AttrInstance, created: number, modified: number): void {
    const { createdAt: _c, modifiedAt: _m, ...rest } = inst;
    const cols = attributeIndexColumns(inst);
    const observed = inst.observedAt !== undefined ? dateTimeMillis(inst.observedAt) : null;
    this.stmt.insertInstance.run(
      entityPk, name, inst.datasetId ?? '', inst.type, JSON.stringify(rest), cols.vnum, cols.vstr, cols.vtime, observed, created, modified, null,
    );
    if (observed !== null) this.rollups.add(entityPk, name, inst.datasetId ?? '', inst.type, observed, cols.vnum);
  }

  /** A deletion is an instance whose value is urn:ngsi-ld:null, with deletedAt set. */
  private insertDeletion(entityPk: number, name: string, previous: AttrInstance, at: number): void {
    const inst: Record<string, unknown> = { type: previous.type, [mainMember(previous.type)]: NGSI_LD_NULL };
    if (previous.datasetId !== undefined) inst.datasetId = previous.datasetId;
    this.stmt.insertInstance.run(entityPk, name, previous.datasetId ?? '', previous.type, JSON.stringify(inst), null, null, null, null, at, at, at);
  }

  // ---- Reads ----

  async tenantExists(tenant: string): Promise<boolean> {
    return tenant === '' || this.stmt.tenantExists.get(tenant) !== undefined;
  }

  async getEntity(tenant: string, id: string, filter?: ReadFilter): Promise<TemporalEntity | undefined> {
    let r: EntityRow | undefined;
    if (filter) {
      const f = compileReadFilter(filter);
      r = this.prepared(`SELECT e.* FROM temporal_entities e WHERE e.tenant = ? AND e.id = ? AND ${f.sql}`).get(tenant, id, ...f.params) as EntityRow | undefined;
    } else {
      r = this.stmt.entityById.get(tenant, id) as EntityRow | undefined;
    }
    return r ? toEntity(r) : undefined;
  }

  async queryEntities(tenant: string, sel: TemporalSelection, limit: number, offset: number, count: boolean): Promise<{ entities: TemporalEntity[]; count?: number }> {
    const time = timeCondition(sel.time, '');
    // The broker's compilers read `attributes a` and `entity_types t`: here, history in the interval.
    const withSql =
      `WITH attributes AS NOT MATERIALIZED (SELECT entity_pk, name, kind, data, data -> (${PRIMARY_PATH}) AS value, vnum, vstr, vtime ` +
      `FROM temporal_instances WHERE deleted_at IS NULL AND ${time.sql}), ` +
      'entity_types AS NOT MATERIALIZED (SELECT tenant, type, entity_pk FROM temporal_entity_types) ';
    const params: unknown[] = [...time.params];
    const where: string[] = ['e.tenant = ?'];
    params.push(tenant);
    const hidden = sel.readFilter?.hiddenAttrs ?? [];
    if (sel.readFilter) {
      const f = compileReadFilter(sel.readFilter);
      where.push(f.sql);
      params.push(...f.params);
    }
    if (sel.entities && sel.entities.length > 0) {
      const ors = sel.entities.map((s) => {
        const c = compileSelector(s, sel.expand);
        params.push(...c.params);
        return `(${c.sql})`;
      });
      where.push(`(${ors.join(' OR ')})`);
    }
    // Listed only with instances in the interval (of `attrs`, when given) of attributes the caller may read.
    const has = timeCondition(sel.time, 'i.');
    const attrs = sel.attrs && sel.attrs.length > 0 ? sel.attrs.filter((a) => !hidden.includes(a)) : undefined;
    const names = attrs ? ` AND i.name IN (${placeholders(attrs.length)})` : hidden.length > 0 ? ` AND i.name NOT IN (${placeholders(hidden.length)})` : '';
    if (attrs?.length === 0) where.push('0');
    else {
      where.push(`EXISTS (SELECT 1 FROM temporal_instances i WHERE i.entity_pk = e.pk${names} AND ${has.sql})`);
      params.push(...(attrs ?? hidden), ...has.params);
    }
    if (sel.q) {
      // A term on an attribute the caller may not read looks at a name no attribute has.
      const expand = hidden.length === 0 ? sel.expand : (t: string) => (hidden.includes(sel.expand(t)) ? HIDDEN_ATTRIBUTE : sel.expand(t));
      const c = compileQ(sel.q, expand);
      where.push(`(${c.sql})`);
      params.push(...c.params);
    }
    if (sel.geoQ && hidden.includes(sel.geoQ.geoproperty)) where.push('0');
    else if (sel.geoQ) {
      where.push(`EXISTS (SELECT 1 FROM attributes g WHERE g.entity_pk = e.pk AND g.name = ? AND g.kind = 'GeoProperty' AND geo_match(?, g.value))`);
      params.push(sel.geoQ.geoproperty, JSON.stringify(sel.geoQ));
    }
    const whereSql = where.join(' AND ');
    const out: { entities: TemporalEntity[]; count?: number } = { entities: [] };
    if (count) out.count = (this.prepared(`${withSql}SELECT count(*) AS n FROM temporal_entities e WHERE ${whereSql}`).get(...params) as { n: number }).n;
    if (limit > 0) {
      const rows = this.prepared(`${withSql}SELECT e.* FROM temporal_entities e WHERE ${whereSql} ORDER BY e.pk LIMIT ? OFFSET ?`).all(...params, limit, offset) as EntityRow[];
      out.entities = rows.map(toEntity);
    }
    return out;
  }

  async readInstances(entityPks: number[], attrs: string[] | undefined, time: TimeFilter, perAttribute: number, newest: boolean, hidden: readonly string[] = []): Promise<InstanceRead> {
    const read: InstanceRead = { instances: [], cut: new Set() };
    const n = attributeNames(attrs, hidden);
    if (entityPks.length === 0 || n === undefined) return read;
    const col = `i.${COLUMN[time.property]}`;
    const cond = timeCondition(time, 'i.');
    const names = n.sql;
    const sql =
      `SELECT pk, entity_pk, name, data, created_at, modified_at, deleted_at, ts, total FROM (` +
      `SELECT i.pk, i.entity_pk, i.name, i.data, i.created_at, i.modified_at, i.deleted_at, ${col} AS ts, ` +
      `row_number() OVER (PARTITION BY i.entity_pk, i.name ORDER BY ${col} ${newest ? 'DESC' : 'ASC'}, i.pk) AS rn, ` +
      `count(*) OVER (PARTITION BY i.entity_pk, i.name) AS total ` +
      `FROM temporal_instances i WHERE i.entity_pk IN (${placeholders(entityPks.length)})${names} AND ${cond.sql}` +
      `) WHERE rn <= ? ORDER BY entity_pk, name, ts, pk`;
    const rows = this.prepared(sql).all(...entityPks, ...n.params, ...cond.params, perAttribute) as InstanceRow[];
    for (const r of rows) {
      if (r.total > perAttribute) read.cut.add(`${r.entity_pk} ${r.name}`);
      const inst = JSON.parse(r.data) as AttrInstance;
      inst.createdAt = iso(r.created_at);
      inst.modifiedAt = iso(r.modified_at);
      if (r.deleted_at !== null) inst.deletedAt = iso(r.deleted_at);
      const s: StoredInstance = { entityPk: r.entity_pk, name: r.name, instanceId: INSTANCE_PREFIX + r.pk, instance: inst, at: r.ts };
      read.instances.push(s);
    }
    return read;
  }

  async aggregate(entityPks: number[], attrs: string[] | undefined, time: TimeFilter, bucketing: Bucketing, distinct: boolean, hidden: readonly string[] = []): Promise<AggregateRow[]> {
    const n = attributeNames(attrs, hidden);
    if (entityPks.length === 0 || n === undefined) return [];
    const col = `i.${COLUMN[time.property]}`;
    const bucketParams: number[] = [];
    // The period of an instant, counted from the anchor (fixed lengths) or from 1970-01 (months).
    let bucket = (_instant: string) => '0';
    if (bucketing.kind === 'fixed') {
      bucket = (instant) => `CAST(floor((${instant} - ?) / ?) AS INTEGER)`;
      bucketParams.push(bucketing.anchor, bucketing.ms);
    } else if (bucketing.kind === 'months') {
      bucket = (instant) =>
        `CAST(floor(((CAST(strftime('%Y', ${instant} / 1000, 'unixepoch') AS INTEGER) - 1970) * 12 + CAST(strftime('%m', ${instant} / 1000, 'unixepoch') AS INTEGER) - 1) / ?) AS INTEGER)`;
      bucketParams.push(bucketing.months);
    }
    const names = n.sql;
    let rows: Array<AggregateRow & { datasetId: string }>;
    if (rollupsServe(time, bucketing, distinct)) {
      const r = rollupAggregation(entityPks.length, names, time, bucket);
      rows = this.prepared(r.sql).all(...bucketParams, ...entityPks, ...n.params, ...r.hourParams) as typeof rows;
    } else {
      const cond = timeCondition(time, 'i.');
      const deletions = time.property === 'deletedAt' ? '' : ' AND i.deleted_at IS NULL';
      const sql =
        `SELECT i.entity_pk AS entityPk, i.name, i.dataset_id AS datasetId, max(i.kind) AS kind, ${bucket(col)} AS bucket, ` +
        `min(${col}) AS first, max(${col}) AS last, count(*) AS totalCount, ${distinct ? `count(DISTINCT i.data -> (${PRIMARY_PATH.replaceAll('kind', 'i.kind')}))` : '0'} AS distinctCount, ` +
        `count(i.vnum) AS numeric, sum(i.vnum) AS sum, sum(i.vnum * i.vnum) AS sumsq, min(i.vnum) AS min, max(i.vnum) AS max ` +
        `FROM temporal_instances i WHERE i.entity_pk IN (${placeholders(entityPks.length)})${names} AND ${cond.sql}${deletions} ` +
        `GROUP BY i.entity_pk, i.name, i.dataset_id, bucket ORDER BY i.entity_pk, i.name, i.dataset_id, bucket`;
      rows = this.prepared(sql).all(...bucketParams, ...entityPks, ...n.params, ...cond.params) as typeof rows;
    }
    return rows.map((r) => {
      const { datasetId, ...rest } = r;
      return datasetId === '' ? rest : { ...rest, datasetId };
    });
  }

  // ---- Temporal writes (history only) ----

  async addInstances(tenant: string, id: string, types: string[] | undefined, attrs: Record<string, AttrInstance[]>, now: number): Promise<boolean> {
    return this.db.transaction(() => {
      let row = this.stmt.entityById.get(tenant, id) as EntityRow | undefined;
      const created = !row;
      if (!row) {
        if (!types) throw notFound(`temporal entity ${id} does not exist`, id);
        this.stmt.upsertEntity.get(tenant, id, JSON.stringify(types), now, now, null);
        row = this.stmt.entityById.get(tenant, id) as EntityRow;
        this.writeTypes(tenant, row.pk, types);
      } else {
        this.stmt.touchEntity.run(now, row.pk);
      }
      for (const [name, list] of Object.entries(attrs)) for (const inst of list) this.insertInstance(row.pk, name, inst, now, now);
      return created;
    })();
  }

  async replaceInstance(tenant: string, id: string, name: string, instanceId: string, inst: AttrInstance, now: number): Promise<boolean> {
    return this.db.transaction(() => {
      const found = this.findInstance(tenant, id, name, instanceId);
      if (found === undefined) return false;
      // An instance keeps its observedAt unless the new content gives one.
      const previous = JSON.parse(found.data) as AttrInstance;
      if (inst.observedAt === undefined && previous.observedAt !== undefined) inst = { ...inst, observedAt: previous.observedAt };
      const cols = attributeIndexColumns(inst);
      const observed = inst.observedAt !== undefined ? dateTimeMillis(inst.observedAt) : null;
      this.stmt.replaceInstance.run(inst.type, JSON.stringify(inst), cols.vnum, cols.vstr, cols.vtime, observed, now, found.pk);
      const after = observed ?? found.observed_at;
      if (found.observed_at !== null) this.rollups.recompute(found.entity_pk, name, found.dataset_id, found.observed_at);
      if (after !== null && (found.observed_at === null || Math.floor(after / HOUR_MS) !== Math.floor(found.observed_at / HOUR_MS))) {
        this.rollups.recompute(found.entity_pk, name, found.dataset_id, after);
      }
      return true;
    })();
  }

  async deleteInstance(tenant: string, id: string, name: string, instanceId: string): Promise<boolean> {
    return this.db.transaction(() => {
      const found = this.findInstance(tenant, id, name, instanceId);
      if (found === undefined) return false;
      this.stmt.deleteInstance.run(found.pk);
      if (found.observed_at !== null) this.rollups.recompute(found.entity_pk, name, found.dataset_id, found.observed_at);
      return true;
    })();
  }

  private findInstance(tenant: string, id: string, name: string, instanceId: string): FoundInstance | undefined {
    const e = this.stmt.entityById.get(tenant, id) as EntityRow | undefined;
    if (!e || !instanceId.startsWith(INSTANCE_PREFIX)) return undefined;
    const n = Number(instanceId.slice(INSTANCE_PREFIX.length));
    if (!Number.isSafeInteger(n)) return undefined;
    const found = this.stmt.instanceOf.get(n, e.pk, name) as Omit<FoundInstance, 'entity_pk'> | undefined;
    return found && { ...found, entity_pk: e.pk };
  }

  async deleteEntity(tenant: string, id: string): Promise<boolean> {
    return this.db.transaction(() => {
      const e = this.stmt.entityById.get(tenant, id) as EntityRow | undefined;
      if (!e) return false;
      this.stmt.deleteInstancesOf.run(e.pk);
      this.rollups.dropEntity(e.pk);
      this.stmt.deleteTypes.run(e.pk);
      this.stmt.deleteEntity.run(e.pk);
      return true;
    })();
  }

  async deleteAttribute(tenant: string, id: string, name: string, datasetId: string | undefined, all: boolean): Promise<boolean> {
    return this.db.transaction(() => {
      const e = this.stmt.entityById.get(tenant, id) as EntityRow | undefined;
      if (!e) return false;
      const r = all ? this.stmt.deleteAttrAll.run(e.pk, name) : this.stmt.deleteAttrDataset.run(e.pk, name, datasetId ?? '');
      this.rollups.dropAttribute(e.pk, name, all ? undefined : (datasetId ?? ''));
      return r.changes > 0;
    })();
  }

  // ---- Retention ----

  async tenants(): Promise<string[]> {
    return (this.db.prepare('SELECT DISTINCT tenant FROM temporal_entities ORDER BY tenant').all() as Array<{ tenant: string }>).map((r) => r.tenant);
  }

  async exportInstances(entityPk: number, cursor: string | undefined, limit: number): Promise<{ instances: RestoredInstance[]; cursor?: string }> {
    const rows = this.db
      .prepare('SELECT pk, name, data, created_at, modified_at, deleted_at FROM temporal_instances WHERE entity_pk = ? AND pk > ? ORDER BY pk LIMIT ?')
      .all(entityPk, cursor === undefined ? 0 : Number(cursor), limit) as Array<{ pk: number; name: string; data: string; created_at: number; modified_at: number; deleted_at: number | null }>;
    const instances = rows.map((r) => {
      const instance = JSON.parse(r.data) as AttrInstance;
      instance.createdAt = iso(r.created_at);
      instance.modifiedAt = iso(r.modified_at);
      if (r.deleted_at !== null) instance.deletedAt = iso(r.deleted_at);
      return { name: r.name, instanceId: INSTANCE_PREFIX + r.pk, instance };
    });
    return rows.length === limit ? { instances, cursor: String(rows[rows.length - 1].pk) } : { instances };
  }

  async restoreEntity(tenant: string, entity: Omit<TemporalEntity, 'pk'>, instances: RestoredInstance[]): Promise<void> {
    const insert = this.db.prepare(`INSERT INTO temporal_instances (pk, entity_pk, name, dataset_id, kind, data, vnum, vstr, vtime, observed_at, created_at, modified_at, deleted_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.db.transaction(() => {
      const { pk } = this.stmt.upsertEntity.get(tenant, entity.id, JSON.stringify(entity.types), entity.createdAt, entity.modifiedAt, entity.deletedAt ?? null) as { pk: number };
      this.writeTypes(tenant, pk, entity.types);
      for (const { name, instanceId, instance } of instances) {
        const { createdAt, modifiedAt, deletedAt, ...data } = instance;
        // The instance keeps its id when it is one of ours (urn:ngsi-ld:AttributeInstance:<n>).
        const n = instanceId.startsWith(INSTANCE_PREFIX) ? Number(instanceId.slice(INSTANCE_PREFIX.length)) : NaN;
        const cols = deletedAt === undefined ? attributeIndexColumns(instance) : { vnum: null, vstr: null, vtime: null };
        const observed = instance.observedAt !== undefined ? dateTimeMillis(instance.observedAt) : null;
        const created = Date.parse(createdAt ?? new Date(entity.createdAt).toISOString());
        insert.run(Number.isSafeInteger(n) && n > 0 ? n : null, pk, name, instance.datasetId ?? '', instance.type, JSON.stringify(data), cols.vnum, cols.vstr, cols.vtime,
          observed, created, modifiedAt ? Date.parse(modifiedAt) : created, deletedAt ? Date.parse(deletedAt) : null);
      }
      this.rollups.rebuildEntity(pk);
    })();
  }

  async entitiesForRetention(types: string[], others: boolean): Promise<number[]> {
    const inTypes = `SELECT entity_pk FROM temporal_entity_types WHERE type IN (${placeholders(types.length)})`;
    const sql =
      types.length === 0
        ? 'SELECT pk FROM temporal_entities ORDER BY pk'
        : others
          ? `SELECT pk FROM temporal_entities WHERE pk NOT IN (${inTypes}) ORDER BY pk`
          : `SELECT DISTINCT entity_pk AS pk FROM temporal_entity_types WHERE type IN (${placeholders(types.length)}) ORDER BY pk`;
    return (this.prepared(sql).all(...types) as Array<{ pk: number }>).map((r) => r.pk);
  }

  async deleteExpired(entityPk: number, before: number, limit: number): Promise<number> {
    return this.db.transaction(() => {
      const gone = this.stmt.deleteExpired.all(entityPk, before, limit) as Array<{ name: string; dataset_id: string; observed_at: number | null }>;
      // The hours that lost instances are recomputed from those that remain.
      const hours = new Map<string, { name: string; datasetId: string; at: number }>();
      for (const g of gone) {
        if (g.observed_at !== null) hours.set(`${g.name}\u0000${g.dataset_id}\u0000${Math.floor(g.observed_at / HOUR_MS)}`, { name: g.name, datasetId: g.dataset_id, at: g.observed_at });
      }
      for (const h of hours.values()) this.rollups.recompute(entityPk, h.name, h.datasetId, h.at);
      return gone.length;
    })();
  }

  private prepared(sql: string): Statement {
    return this.statements.get(sql, (text) => this.db.prepare(text));
  }

}


/**
 * The condition on instance `i`'s name: one of `attrs` (when given) and none of `hidden`;
 * undefined when no attribute can match.
 */
function attributeNames(attrs: string[] | undefined, hidden: readonly string[]): { sql: string; params: string[] } | undefined {
  if (attrs) {
    const visible = attrs.filter((a) => !hidden.includes(a));
    return visible.length === 0 ? undefined : { sql: ` AND i.name IN (${placeholders(visible.length)})`, params: visible };
  }
  return hidden.length === 0 ? { sql: '', params: [] } : { sql: ` AND i.name NOT IN (${placeholders(hidden.length)})`, params: [...hidden] };
}

/**
 * A read filter as a condition on temporal entity row `e`, like the broker store's: by the types
 * of the temporal entity; a resident's own records are those whose latest recorded instance of an
 * owner attribute names the resident (a deleted owner attribute or entity owns nothing).
 */
function compileReadFilter(f: ReadFilter): { sql: string; params: unknown[] } {
  let typeSql = '1';
  const params: unknown[] = [];
  if (f.onlyTypes) {
    typeSql = `NOT EXISTS (SELECT 1 FROM temporal_entity_types ft WHERE ft.entity_pk = e.pk AND ft.type NOT IN (${placeholders(f.onlyTypes.length)}))`;
    params.push(...f.onlyTypes);
  } else if (f.hiddenTypes && f.hiddenTypes.length > 0) {
    typeSql = `NOT EXISTS (SELECT 1 FROM temporal_entity_types ft WHERE ft.entity_pk = e.pk AND ft.type IN (${placeholders(f.hiddenTypes.length)}))`;
    params.push(...f.hiddenTypes);
  }
  if (!f.owner || f.owner.attrs.length === 0) return { sql: typeSql, params };
  // json_each of a JSON string yields the string itself, of an array its items.
  const ownerSql =
    `EXISTS (SELECT 1 FROM temporal_instances fo, json_each(fo.data -> (${PRIMARY_PATH.replaceAll('kind', 'fo.kind')})) fj ` +
    `WHERE fo.entity_pk = e.pk AND fo.name IN (${placeholders(f.owner.attrs.length)}) AND fo.deleted_at IS NULL AND fj.value = ? ` +
    'AND fo.pk = (SELECT max(l.pk) FROM temporal_instances l WHERE l.entity_pk = e.pk AND l.name = fo.name AND l.dataset_id = fo.dataset_id))';
  return { sql: `(${typeSql} OR ${ownerSql})`, params: [...params, ...f.owner.attrs, f.owner.id] };
}
