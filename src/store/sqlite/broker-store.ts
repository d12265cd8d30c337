/**
 * SQLite implementation of the broker's Store. Entities are rows; each attribute instance is a row
 * with its JSON and indexed scalar columns; GeoProperty bounding boxes live in an R-tree and
 * geo predicates are then tested exactly on the geometry (geo_match).
 */
import type { Statement } from 'better-sqlite3';
import type { AttrInstance, Entity } from '../../broker/model.js';
import type { QNode } from '../../broker/query/q-parser.js';
import type {
  AttributeInfo,
  BatchItem,
  BatchOutcome,
  BrokerStore,
  EntityMutator,
  EntityPage,
  EntityQuery,
  ReadFilter,
  StoredContext,
  TypeInfo,
} from '../../broker/store.js';
import { allAttributes, type AttributeChange, type ChangeRecorder, type CommitListener, type EntityChange } from '../../broker/changes.js';
import { boundingBox, type Geometry } from '../../broker/geo/geometry.js';
import { searchBox } from '../../broker/geo/geo-query.js';
import { compileQ, compileQDriver, compileScopeQ, compileSelector, typeNames } from './q-sql.js';
import { attributeIndexColumns } from './attribute-index.js';
import { openDatabase, type Db } from './database.js';
import { BoundedMap } from './bounded-map.js';
import { GroupCommit } from './group-commit.js';
import type { SchemaMode } from '../stores.js';
import { toStoredContext, type ContextRow } from '../context-row.js';

interface EntityRow {
  pk: number;
  id: string;
  types: string;
  scopes: string | null;
  created_at: string;
  modified_at: string;
}

interface AttrRow {
  pk: number;
  entity_pk: number;
  name: string;
  dataset_id: string;
  data: string;
}

/** An attribute row with its instance parsed. */
interface StoredAttr extends AttrRow {
  inst: AttrInstance;
}

const attrKey = (name: string, datasetId: string | undefined) => `${name}\u0000${datasetId ?? ''}`;

export class SqliteBrokerStore implements BrokerStore {
  readonly db: Db;
  /** Prepared statements of generated SQL, by text: query shapes repeat from request to request. */
  private readonly statements = new BoundedMap<Statement>(512);
  private readonly stmt: Record<string, Statement>;
  private readonly recorders: ChangeRecorder[] = [];
  private readonly listeners: CommitListener[] = [];
  /** Entity writes wait here for the next group commit. */
  private readonly writes: GroupCommit<EntityChange>;

  constructor(file: string, mode: SchemaMode = 'start') {
    this.db = openDatabase(file, mode);
    this.writes = new GroupCommit(this.db, (changes) => this.committed(changes));
    const p = (sql: string) => this.db.prepare(sql);
    this.stmt = {
      tenantExists: p('SELECT 1 FROM tenants WHERE name = ?'),
      ensureTenant: p('INSERT OR IGNORE INTO tenants (name, created_at) VALUES (?, ?)'),
      entityById: p('SELECT pk, id, types, scopes, created_at, modified_at FROM entities WHERE tenant = ? AND id = ?'),
      attrsOf: p('SELECT pk, entity_pk, name, dataset_id, data FROM attributes WHERE entity_pk = ? ORDER BY name, dataset_id'),
      insertEntity: p('INSERT INTO entities (tenant, id, types, scopes, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?)'),
      updateEntity: p('UPDATE entities SET types = ?, scopes = ?, modified_at = ? WHERE pk = ?'),
      deleteEntity: p('DELETE FROM entities WHERE pk = ?'),
      deleteTypes: p('DELETE FROM entity_types WHERE entity_pk = ?'),
      insertType: p('INSERT OR IGNORE INTO entity_types (tenant, type, entity_pk) VALUES (?, ?, ?)'),
      insertAttr: p('INSERT INTO attributes (entity_pk, name, dataset_id, kind, data, value, vnum, vstr, vtime) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      updateAttr: p('UPDATE attributes SET kind = ?, data = ?, value = ?, vnum = ?, vstr = ?, vtime = ? WHERE pk = ?'),
      deleteAttr: p('DELETE FROM attributes WHERE pk = ?'),
      deleteGeoOf: p('DELETE FROM geo_index WHERE id IN (SELECT pk FROM attributes WHERE entity_pk = ?)'),
      deleteAttrsOf: p('DELETE FROM attributes WHERE entity_pk = ?'),
      upsertGeo: p('INSERT OR REPLACE INTO geo_index (id, min_x, max_x, min_y, max_y, entity_pk, name, geometry) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      deleteGeo: p('DELETE FROM geo_index WHERE id = ?'),
      ctxSave: p(`INSERT INTO jsonld_contexts (tenant, id, url, kind, body, created_at, last_usage, hits) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (tenant, id) DO UPDATE SET url = excluded.url, kind = excluded.kind, body = excluded.body`),
      ctxGet: p('SELECT * FROM jsonld_contexts WHERE tenant = ? AND (id = ? OR url = ?)'),
      ctxByUrl: p('SELECT body FROM jsonld_contexts WHERE tenant = ? AND url = ?'),
      ctxList: p('SELECT * FROM jsonld_contexts WHERE tenant = ? ORDER BY created_at, id'),
      ctxDelete: p('DELETE FROM jsonld_contexts WHERE tenant = ? AND id = ?'),
    };
  }

  async tenantExists(tenant: string): Promise<boolean> {
    return tenant === '' || this.stmt.tenantExists.get(tenant) !== undefined;
  }

  async getEntity(tenant: string, id: string): Promise<Entity | undefined> {
    const row = this.stmt.entityById.get(tenant, id) as EntityRow | undefined;
    return row ? this.hydrate(row, this.stmt.attrsOf.all(row.pk) as AttrRow[]) : undefined;
  }

  addChangeRecorder(recorder: ChangeRecorder): void {
    this.recorders.push(recorder);
  }

  addCommitListener(listener: CommitListener): void {
    this.listeners.push(listener);
  }

  /** Group commits so far, and the entity writes (mutateEntity, mutateEntities calls) in them. */
  get groupCommits(): { groups: number; writes: number } {
    return { groups: this.writes.stats.groups, writes: this.writes.stats.writes };
  }

  /** Applies the mutator in the next group commit (see group-commit.ts); resolves once committed. */
  async mutateEntity<R>(tenant: string, id: string, mutate: EntityMutator<R>): Promise<R> {
    return this.writes.run((changes) => this.applyMutation(tenant, id, mutate, changes));
  }

  async mutateEntities<R>(tenant: string, items: BatchItem<R>[]): Promise<BatchOutcome<R>[]> {
    // One write of the group; each entity atomic on its own, so a failing entity leaves no trace
    // while the others are written.
    return this.writes.run((changes) =>
      items.map((item): BatchOutcome<R> => {
        const mark = changes.length;
        const o = this.writes.attempt(() => this.applyMutation(tenant, item.id, item.mutate, changes));
        if (o.ok) return { id: item.id, ok: true, result: o.result };
        changes.length = mark;
        return { id: item.id, ok: false, error: o.error };
      }),
    );
  }

  private committed(changes: EntityChange[]): void {
    for (const l of this.listeners) l(changes);
  }

  private record(change: EntityChange, changes: EntityChange[]): void {
    for (const r of this.recorders) r(change);
    changes.push(change);
  }

  private applyMutation<R>(tenant: string, id: string, mutate: EntityMutator<R>, changes: EntityChange[]): R {
    const row = this.stmt.entityById.get(tenant, id) as EntityRow | undefined;
    const stored = row ? this.storedAttributes(row.pk) : [];
    const current = row ? this.hydrate(row, stored) : undefined;
    const { next, result } = mutate(current);
    if (next === undefined) return result;
    this.writes.writing();
    if (next === null) {
      if (row && current) {
        this.removeEntity(row.pk);
        const at = new Date().toISOString();
        this.record({ tenant, id, op: 'deleted', before: current, attributes: allAttributes(current, 'deleted'), at }, changes);
      }
      return result;
    }
    const typesJson = JSON.stringify(next.types);
    const scopesJson = next.scope && next.scope.length > 0 ? JSON.stringify(next.scope) : null;
    let pk: number;
    if (!row) {
      // An entity exists only in a tenant that exists: only a creation may be the tenant's first write.
      this.stmt.ensureTenant.run(tenant, next.createdAt ?? new Date().toISOString());
      pk = Number(
        this.stmt.insertEntity.run(tenant, next.id, typesJson, scopesJson, next.createdAt, next.modifiedAt ?? next.createdAt).lastInsertRowid,
      );
    } else {
      pk = row.pk;
      this.stmt.updateEntity.run(typesJson, scopesJson, next.modifiedAt ?? row.modified_at, pk);
    }
    if (!row || row.types !== typesJson) {
      if (row) this.stmt.deleteTypes.run(pk);
      for (const t of next.types) this.stmt.insertType.run(tenant, t, pk);
    }
    const attributes = this.writeAttributeDiff(pk, stored, next);
    const change: EntityChange = { tenant, id, op: row ? 'updated' : 'created', after: next, attributes, at: next.modifiedAt ?? new Date().toISOString() };
    if (current) change.before = current;
    this.record(change, changes);
    return result;
  }

  /** The attribute rows of an entity, each with its instance parsed. */
  private storedAttributes(entityPk: number): StoredAttr[] {
    const rows = this.stmt.attrsOf.all(entityPk) as StoredAttr[];
    for (const r of rows) r.inst = JSON.parse(r.data) as AttrInstance;
    return rows;
  }

  /** Writes only the attribute instances that changed, removes the ones that are gone, and says which. */
  private writeAttributeDiff(entityPk: number, before: StoredAttr[], next: Entity): AttributeChange[] {
    const changed: AttributeChange[] = [];
    const old = new Map<string, StoredAttr>();
    for (const r of before) old.set(attrKey(r.name, r.dataset_id), r);
    for (const name in next.attrs) {
      for (const inst of next.attrs[name]) {
        const key = attrKey(name, inst.datasetId);
        const prev = old.get(key);
        old.delete(key);
        // Mutators never modify the current entity: an instance they kept is the one read.
        if (prev !== undefined && prev.inst === inst) continue;
        const data = JSON.stringify(inst);
        if (prev !== undefined && prev.data === data) continue;
        const c: AttributeChange = { name, kind: prev ? 'updated' : 'created', current: inst };
        if (inst.datasetId !== undefined) c.datasetId = inst.datasetId;
        if (prev) c.previous = prev.inst;
        changed.push(c);
        const cols = attributeIndexColumns(inst);
        let pk: number;
        if (prev) {
          pk = prev.pk;
          this.stmt.updateAttr.run(inst.type, data, cols.value, cols.vnum, cols.vstr, cols.vtime, pk);
        } else {
          pk = Number(this.stmt.insertAttr.run(entityPk, name, inst.datasetId ?? '', inst.type, data, cols.value, cols.vnum, cols.vstr, cols.vtime).lastInsertRowid);
        }
        if (inst.type === 'GeoProperty') {
          const [minX, minY, maxX, maxY] = boundingBox(inst.value as Geometry);
          this.stmt.upsertGeo.run(pk, minX, maxX, minY, maxY, entityPk, name, cols.value);
        } else if (prev?.inst.type === 'GeoProperty') {
          this.stmt.deleteGeo.run(pk);
        }
      }
    }
    for (const gone of old.values()) {
      this.stmt.deleteAttr.run(gone.pk);
      if (gone.inst.type === 'GeoProperty') this.stmt.deleteGeo.run(gone.pk);
      const c: AttributeChange = { name: gone.name, kind: 'deleted', previous: gone.inst };
      if (gone.dataset_id !== '') c.datasetId = gone.dataset_id;
      changed.push(c);
    }
    return changed;
  }

  private removeEntity(pk: number): void {
    this.stmt.deleteGeoOf.run(pk);
    this.stmt.deleteAttrsOf.run(pk);
    this.stmt.deleteTypes.run(pk);
    this.stmt.deleteEntity.run(pk);
  }

  private hydrate(row: EntityRow, attrRows: Array<AttrRow & { inst?: AttrInstance }>): Entity {
    const attrs: Record<string, AttrInstance[]> = {};
    for (const a of attrRows) (attrs[a.name] ??= []).push(a.inst ?? (JSON.parse(a.data) as AttrInstance));
    const e: Entity = { id: row.id, types: JSON.parse(row.types) as string[], createdAt: row.created_at, modifiedAt: row.modified_at, attrs };
    if (row.scopes) e.scope = JSON.parse(row.scopes) as string[];
    return e;
  }

  /**
   * One statement over `entities e`. Its candidate rows come from the most selective set the
   * indexes give (see candidates); every other condition is then tested on each candidate with
   * correlated look-ups, so no other condition's full set of entities is ever built. Without
   * such a set, the conditions are evaluated as they are (each q term a set over its index).
   */
  async queryEntities(tenant: string, query: EntityQuery): Promise<EntityPage> {
    const hidden = new Set(query.readFilter?.hiddenAttrs ?? []);
    // A term on an attribute the caller may not read looks at a name no attribute has.
    const expand = hidden.size === 0 ? query.expand : (t: string) => (hidden.has(query.expand(t)) ? HIDDEN_ATTRIBUTE : query.expand(t));
    const geoHidden = query.geoQ !== undefined && hidden.has(query.geoQ.geoproperty);
    const driver = geoHidden ? undefined : this.candidates(tenant, query, expand);
    // With candidates, the tenant is tested on them (the unary + keeps SQLite from scanning its index instead).
    const where: string[] = [driver ? '+e.tenant = ?' : 'e.tenant = ?'];
    const params: unknown[] = [tenant];
    if (driver) {
      where.push(driver.sql);
      params.push(...driver.params);
    }
    if (query.readFilter) {
      const f = compileReadFilter(query.readFilter);
      where.push(f.sql);
      params.push(...f.params);
    }
    if (query.entities && query.entities.length > 0 && !driver?.selected) {
      const ors = query.entities.map((sel) => {
        const c = compileSelector(sel, query.expand);
        params.push(...c.params);
        return `(${c.sql})`;
      });
      where.push(`(${ors.join(' OR ')})`);
    }
    if (query.attrs && query.attrs.length > 0) {
      // Attributes the caller may not read are as if absent.
      const attrs = query.attrs.filter((a) => !hidden.has(a));
      where.push(attrs.length === 0 ? '0' : `EXISTS (SELECT 1 FROM attributes a WHERE a.entity_pk = e.pk AND a.name IN (${attrs.map(() => '?').join(', ')}))`);
      params.push(...attrs);
    }
    const q = driver ? driver.q : query.q;
    if (q) {
      const c = compileQ(q, expand, driver !== undefined);
      where.push(`(${c.sql})`);
      params.push(...c.params);
    }
    if (query.scopeQ) {
      const c = compileScopeQ(query.scopeQ);
      where.push(`(${c.sql})`);
      params.push(...c.params);
    }
    if (geoHidden) where.push('0');
    else if (query.geoQ && driver?.kind !== 'geo') {
      where.push(`EXISTS (SELECT 1 FROM attributes g WHERE g.entity_pk = e.pk AND g.name = ? AND g.kind = 'GeoProperty' AND geo_match(?, g.value))`);
      params.push(query.geoQ.geoproperty, JSON.stringify(query.geoQ));
    }
    const whereSql = where.join(' AND ');
    const page: EntityPage = { entities: [] };
    if (query.count) {
      page.count = (this.prepared(`SELECT count(*) AS n FROM entities e WHERE ${whereSql}`).get(...params) as { n: number }).n;
    }
    if (query.limit > 0) {
      const rows = this.prepared(`SELECT e.pk, e.id, e.types, e.scopes, e.created_at, e.modified_at FROM entities e WHERE ${whereSql} ORDER BY e.pk LIMIT ? OFFSET ?`)
        .all(...params, query.limit, query.offset) as EntityRow[];
      page.entities = this.hydrateMany(rows);
    }
    return page;
  }

  /**
   * The candidate entities of a query as `e.pk IN (...)`, from the index likely to give the fewest:
   * the R-tree for a geo-query (a bounded area), a q term's value index when the value is bounded
   * (`a==v`, `a>=x;a<y`), the types of a type-only selection, a q term's one-sided range. A type
   * selection is tested inside (on the index of types), so that rows of other types are never
   * read. A superset of the answer: the query's other conditions are all still applied, and so
   * is the q, unless the value index answers its terms exactly (see QDriver). None when entity
   * ids are given (the (tenant, id) index serves them) or nothing qualifies.
   */
  private candidates(tenant: string, query: EntityQuery, expand: (t: string) => string): Candidates | undefined {
    const selectors = query.entities ?? [];
    if (selectors.some((s) => s.ids && s.ids.length > 0)) return undefined;
    const typeLists = selectors.map((s) => (s.idPattern === undefined && s.typeSelection ? typeNames(s.typeSelection) : undefined));
    const types = typeLists.length > 0 && typeLists.every((t) => t !== undefined) ? [...new Set(typeLists.flat().map((t) => query.expand(t!)))] : undefined;
    // By the primary key (tenant, type, entity): the entities of one type are together there.
    const ofTypes = (column: string) =>
      types
        ? { sql: `EXISTS (SELECT 1 FROM entity_types t INDEXED BY sqlite_autoindex_entity_types_1 WHERE t.tenant = ? AND t.type IN (${types.map(() => '?').join(', ')}) AND t.entity_pk = ${column})`, params: [tenant, ...types] }
        : { sql: '1', params: [] };
    const box = query.geoQ ? searchBox(query.geoQ) : undefined;
    if (query.geoQ && box) {
      // The R-tree holds the entity, the name and the geometry: the search reads nothing else.
      // CASE: the exact test only for the entities of the types (SQLite would run it first).
      const t = ofTypes('r.entity_pk');
      return {
        kind: 'geo',
        sql: `e.pk IN (SELECT r.entity_pk FROM geo_index r WHERE r.min_x <= ? AND r.max_x >= ? AND r.min_y <= ? AND r.max_y >= ? AND r.name = ?
          AND CASE WHEN ${t.sql} THEN geo_match(?, r.geometry) ELSE 0 END)`,
        params: [box[2], box[0], box[3], box[1], query.geoQ.geoproperty, ...t.params, JSON.stringify(query.geoQ)],
        q: query.q,
        selected: types !== undefined,
      };
    }
    const driver = query.q ? compileQDriver(query.q, expand) : undefined;
    const byQ = (): Candidates => {
      const d = driver!;
      const multi = (this.prepared(d.multiValuedSql).get(d.attribute, d.attribute) as { multi: number }).multi === 1;
      const set = multi ? d.candidates : d.exact;
      const t = ofTypes('c.entity_pk');
      return { kind: 'q', sql: `e.pk IN (SELECT c.entity_pk FROM (${set.sql}) c WHERE ${t.sql})`, params: [...set.params, ...t.params], q: multi ? query.q : d.rest, selected: types !== undefined };
    };
    if (driver?.bounded) return byQ();
    if (types) {
      return { kind: 'type', sql: `e.pk IN (SELECT t.entity_pk FROM entity_types t WHERE t.tenant = ? AND t.type IN (${types.map(() => '?').join(', ')}))`, params: [tenant, ...types], q: query.q, selected: true };
    }
    return driver ? byQ() : undefined;
  }

  private hydrateMany(rows: EntityRow[]): Entity[] {
    if (rows.length === 0) return [];
    const byEntity = new Map<number, AttrRow[]>(rows.map((r) => [r.pk, []]));
    const attrRows = this.prepared(`SELECT pk, entity_pk, name, dataset_id, data FROM attributes WHERE entity_pk IN (${rows.map(() => '?').join(', ')}) ORDER BY entity_pk, name, dataset_id`)
      .all(...rows.map((r) => r.pk)) as AttrRow[];
    for (const a of attrRows) byEntity.get(a.entity_pk)!.push(a);
    return rows.map((r) => this.hydrate(r, byEntity.get(r.pk)!));
  }

  private prepared(sql: string): Statement {
    return this.statements.get(sql, (text) => this.db.prepare(text));
  }


  async listTypes(tenant: string, filter?: ReadFilter): Promise<TypeInfo[]> {
    const v = visibleEntities(tenant, filter);
    const counts = this.prepared(`SELECT type, count(*) AS n FROM entity_types t WHERE tenant = ?${v.sql} GROUP BY type ORDER BY type`)
      .all(tenant, ...v.params) as Array<{ type: string; n: number }>;
    const attrs = this.prepared(`SELECT t.type, a.name, group_concat(DISTINCT a.kind) AS kinds FROM entity_types t
        JOIN attributes a ON a.entity_pk = t.entity_pk WHERE t.tenant = ?${v.sql}${v.attrSql} GROUP BY t.type, a.name ORDER BY t.type, a.name`)
      .all(tenant, ...v.params, ...v.attrParams) as Array<{ type: string; name: string; kinds: string }>;
    const byType = new Map<string, TypeInfo>(counts.map((c) => [c.type, { type: c.type, entityCount: c.n, attributes: [] }]));
    for (const a of attrs) byType.get(a.type)?.attributes.push({ name: a.name, kinds: a.kinds.split(',').sort() });
    return [...byType.values()];
  }

  async listAttributes(tenant: string, filter?: ReadFilter): Promise<AttributeInfo[]> {
    const v = visibleEntities(tenant, filter);
    const a = visibleEntities(tenant, filter, 'a');
    const rows = this.prepared(`SELECT a.name, count(DISTINCT a.entity_pk) AS n, group_concat(DISTINCT a.kind) AS kinds,
          (SELECT group_concat(DISTINCT t.type) FROM entity_types t JOIN attributes b ON b.entity_pk = t.entity_pk WHERE b.name = a.name AND t.tenant = ?${v.sql}) AS types
        FROM attributes a JOIN entities e ON e.pk = a.entity_pk WHERE e.tenant = ?${a.sql}${a.attrSql} GROUP BY a.name ORDER BY a.name`)
      .all(tenant, ...v.params, tenant, ...a.params, ...a.attrParams) as Array<{ name: string; n: number; kinds: string; types: string | null }>;
    return rows.map((r) => ({
      name: r.name,
      attributeCount: r.n,
      kinds: r.kinds.split(',').sort(),
      types: r.types ? r.types.split(',').sort() : [],
    }));
  }

  async saveContext(tenant: string, c: StoredContext): Promise<void> {
    this.stmt.ctxSave.run(tenant, c.id, c.url, c.kind, JSON.stringify(c.body), c.createdAt, c.lastUsage ?? null, c.hits);
  }

  async getContext(tenant: string, idOrUrl: string): Promise<StoredContext | undefined> {
    const r = this.stmt.ctxGet.get(tenant, idOrUrl, idOrUrl) as ContextRow | undefined;
    return r ? toStoredContext(r) : undefined;
  }

  async listContexts(tenant: string): Promise<StoredContext[]> {
    return (this.stmt.ctxList.all(tenant) as ContextRow[]).map(toStoredContext);
  }

  async deleteContext(tenant: string, id: string): Promise<boolean> {
    return this.stmt.ctxDelete.run(tenant, id).changes > 0;
  }

  lookupContextByUrl(tenant: string, url: string): unknown | undefined {
    const r = this.stmt.ctxByUrl.get(tenant, url) as { body: string } | undefined;
    return r ? JSON.parse(r.body) : undefined;
  }

  async tenants(): Promise<string[]> {
    return (this.db.prepare('SELECT name FROM tenants ORDER BY name').all() as Array<{ name: string }>).map((r) => r.name);
  }

  async restoreEntities(tenant: string, entities: Entity[]): Promise<void> {
    this.db.transaction(() => {
      for (const e of entities) {
        this.stmt.ensureTenant.run(tenant, e.createdAt ?? new Date().toISOString());
        const scopes = e.scope && e.scope.length > 0 ? JSON.stringify(e.scope) : null;
        const pk = Number(this.stmt.insertEntity.run(tenant, e.id, JSON.stringify(e.types), scopes, e.createdAt, e.modifiedAt ?? e.createdAt).lastInsertRowid);
        for (const t of e.types) this.stmt.insertType.run(tenant, t, pk);
        this.writeAttributeDiff(pk, [], e);
      }
    })();
  }

  async ping(): Promise<boolean> {
    return (this.prepared('SELECT 1 AS ok').get() as { ok: number }).ok === 1;
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.writes.flush();
    this.db.close();
  }
}


/** The name q terms on attributes the caller may not read look at: no attribute has it. */
const HIDDEN_ATTRIBUTE = 'urn:urbis:hidden-attribute';

/** The candidate entities of a query (see SqliteBrokerStore.candidates). */
interface Candidates {
  kind: 'geo' | 'q' | 'type';
  sql: string;
  params: unknown[];
  /** The q that remains to be tested on the candidates (undefined: nothing). */
  q?: QNode;
  /** The candidates are all of the entity selection (type names only): it needs no other test. */
  selected: boolean;
}

/** A read filter as a condition on entity row `e`. */
function compileReadFilter(f: ReadFilter): { sql: string; params: unknown[] } {
  const list = (values: string[]) => values.map(() => '?').join(', ');
  let typeSql = '1';
  const params: unknown[] = [];
  if (f.onlyTypes) {
    typeSql = `NOT EXISTS (SELECT 1 FROM entity_types ft WHERE ft.entity_pk = e.pk AND ft.type NOT IN (${list(f.onlyTypes)}))`;
    params.push(...f.onlyTypes);
  } else if (f.hiddenTypes && f.hiddenTypes.length > 0) {
    typeSql = `NOT EXISTS (SELECT 1 FROM entity_types ft WHERE ft.entity_pk = e.pk AND ft.type IN (${list(f.hiddenTypes)}))`;
    params.push(...f.hiddenTypes);
  }
  if (!f.owner || f.owner.attrs.length === 0) return { sql: typeSql, params };
  // json_each of a JSON string yields the string itself, of an array its items.
  const ownerSql = `EXISTS (SELECT 1 FROM attributes fo, json_each(fo.value) fj WHERE fo.entity_pk = e.pk AND fo.name IN (${list(f.owner.attrs)}) AND fj.value = ?)`;
  return { sql: `(${typeSql} OR ${ownerSql})`, params: [...params, ...f.owner.attrs, f.owner.id] };
}

/**
 * For discovery: ` AND <column> IN (visible entities)` on the entity column of table alias `alias`
 * (entity_types t by default), and ` AND a.name NOT IN (hidden attributes)`; empty without a filter.
 */
function visibleEntities(tenant: string, filter: ReadFilter | undefined, alias = 't'): { sql: string; params: unknown[]; attrSql: string; attrParams: unknown[] } {
  if (!filter) return { sql: '', params: [], attrSql: '', attrParams: [] };
  const f = compileReadFilter(filter);
  const hidden = filter.hiddenAttrs ?? [];
  return {
    sql: ` AND ${alias}.entity_pk IN (SELECT e.pk FROM entities e WHERE e.tenant = ? AND ${f.sql})`,
    params: [tenant, ...f.params],
    attrSql: hidden.length > 0 ? ` AND a.name NOT IN (${hidden.map(() => '?').join(', ')})` : '',
    attrParams: hidden,
  };
}

