/**
 * PostgreSQL + PostGIS implementation of the broker's Store, for one or several Urbis nodes on one
 * database. Same model as the SQLite store: a row per entity, per entity type and per attribute
 * instance (broker-schema.ts); q, scopeQ and selectors compile to SQL (q-sql.ts), geo-queries to
 * PostGIS (geo-sql.ts).
 *
 * Writes: one transaction per call. The entities written are read and locked first
 * (`SELECT ... FOR UPDATE`, so writers on any node serialise per entity), the mutators run in
 * memory, and what changed is written in two batched statements whatever the number of entities
 * (deletions; then inserts and updates through unnest). The change recorders then run inside
 * `withActiveTx`, so what they defer commits or rolls back with the write; commit listeners run
 * after COMMIT. A creation that loses a race with another node's creation of the same id is
 * retried with the fresh state (the mutator then answers AlreadyExists). A batch whose recorders
 * throw is redone one entity at a time, each in its own SAVEPOINT, so that only that entity fails.
 *
 * Registered JSON-LD contexts are mirrored in memory for the synchronous lookupContextByUrl; a
 * node that changes them tells the others over the cluster bus (CHANNELS.contexts).
 */
import type { AttrInstance, Entity } from '../../broker/model.js';
import { primaryValue } from '../../broker/model.js';
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
import { comparableOf } from '../../broker/query/comparable.js';
import { badRequest } from '../../errors.js';
import { CHANNELS, type ClusterBus } from '../../cluster/bus.js';
import { follow, type Following } from '../../cluster/follow.js';
import { withActiveTx, type PgDatabase, type PgTx } from './database.js';
import { compileQ, compileReadFilter, compileScopeQ, compileSelector, join, numbered, param, raw, sql, type Frag } from './q-sql.js';
import { compileGeoQuery } from './geo-sql.js';
import { toStoredContext, type ContextRow } from '../context-row.js';

export { BROKER_SCHEMA } from './broker-schema.js';

/** An attribute instance row as read: [pk, name, datasetId, the instance]. */
type AttrTuple = [number, string, string, AttrInstance];

interface EntityRow {
  pk: number;
  id: string;
  types: string[];
  scopes: string[] | null;
  created_at: string;
  modified_at: string;
  attrs: AttrTuple[] | null;
}

const ENTITY_COLUMNS = 'e.pk, e.id, e.types, e.scopes, e.created_at, e.modified_at';
/** The attribute instances of entity row `alias`, in the order the entity lists them. */
const attrsOf = (alias: string) =>
  `(SELECT json_agg(json_build_array(a.pk, a.name, a.dataset_id, a.data) ORDER BY a.name, a.dataset_id) FROM attributes a WHERE a.entity_pk = ${alias}.pk) AS attrs`;

const attrKey = (name: string, datasetId: string | undefined) => `${name}\u0000${datasetId ?? ''}`;

/** The name q terms on attributes the caller may not read look at: no attribute has it. */
const HIDDEN_ATTRIBUTE = 'urn:urbis:hidden-attribute';

/** How many times a write is tried when it meets a concurrent one (deadlock, creation race). */
const MAX_ATTEMPTS = 3;
/** PostgreSQL errors after which the whole write is tried again. */
const RETRYABLE = new Set(['40001', '40P01', '23505']);
/** invalid_regular_expression: a pattern valid in JavaScript that PostgreSQL's dialect refuses. */
const INVALID_REGEX = '2201B';

/** Another node created an entity this write was creating: try again with the fresh state. */
class CreationRace extends Error {
  constructor() {
    super('an entity being created was created meanwhile by another writer');
  }
}
/** A change recorder threw during a batch: redo it entity by entity. */
class RecorderFailed extends Error {
  constructor(readonly error: unknown) {
    super('a change recorder failed');
  }
}

/** What a write does to one entity id: its row as read, and its state as the mutators leave it. */
interface Slot {
  id: string;
  row?: EntityRow;
  /** The original row is deleted by this write (the entity may be created again after). */
  rowDeleted: boolean;
  entity?: Entity;
  /** Current instances by key, with their JSON text. */
  attrs: Map<string, { inst: AttrInstance; json: string }>;
  /** The instances of the row as read, by key. */
  stored: Map<string, StoredInstance>;
}

interface StoredInstance {
  pk: number;
  json: string;
  /** It has a geo_index row. */
  geo: boolean;
}

export class PgBrokerStore implements BrokerStore {
  private readonly recorders: ChangeRecorder[] = [];
  private readonly listeners: CommitListener[] = [];
  /** Tenants known to have their row in `tenants` (tenants are never removed). */
  private readonly knownTenants = new Set<string>();
  /** Registered contexts: tenant → url → body. */
  private contexts = new Map<string, Map<string, unknown>>();
  /** The last reload of the mirror, which the next one waits for. */
  private contextReload: Promise<void> = Promise.resolve();
  private following?: Following;

  constructor(
    readonly db: PgDatabase,
    readonly bus: ClusterBus,
  ) {}

  /** Loads the registered contexts and follows other nodes' changes to them. */
  async init(): Promise<void> {
    await this.reloadContexts();
    this.following = follow(this.bus, CHANNELS.contexts, () => this.reloadContexts(), () => {
      // The mirror stays as it was until the next announcement.
    });
  }

  async tenantExists(tenant: string): Promise<boolean> {
    if (tenant === '' || this.knownTenants.has(tenant)) return true;
    const rows = await this.db.query('SELECT 1 FROM tenants WHERE name = $1', [tenant]);
    if (rows.length > 0) this.knownTenants.add(tenant);
    return rows.length > 0;
  }

  async tenants(): Promise<string[]> {
    return (await this.db.query<{ name: string }>('SELECT name FROM tenants ORDER BY name')).map((r) => r.name);
  }

  async getEntity(tenant: string, id: string): Promise<Entity | undefined> {
    const rows = await this.db.query<EntityRow>(`SELECT ${ENTITY_COLUMNS}, ${attrsOf('e')} FROM entities e WHERE e.tenant = $1 AND e.id = $2`, [tenant, id]);
    return rows.length > 0 ? hydrate(rows[0]) : undefined;
  }

  addChangeRecorder(recorder: ChangeRecorder): void {
    this.recorders.push(recorder);
  }

  addCommitListener(listener: CommitListener): void {
    this.listeners.push(listener);
  }

  // -------------------------------------------------------------------------------------------
  // Writes
  // -------------------------------------------------------------------------------------------

  async mutateEntity<R>(tenant: string, id: string, mutate: EntityMutator<R>): Promise<R> {
    const [outcome] = await this.write(tenant, [{ id, mutate }], true);
    if (!outcome.ok) throw outcome.error;
    return outcome.result;
  }

  async mutateEntities<R>(tenant: string, items: BatchItem<R>[]): Promise<BatchOutcome<R>[]> {
    if (items.length === 0) return [];
    return this.write(tenant, items, false);
  }

  async restoreEntities(tenant: string, entities: Entity[]): Promise<void> {
    if (entities.length === 0) return;
    await this.db.transaction(async (tx) => {
      const slots = new Map<string, Slot>();
      for (const e of entities) {
        const attrs = new Map<string, { inst: AttrInstance; json: string }>();
        for (const [name, list] of Object.entries(e.attrs)) {
          for (const inst of list) {
            const json = JSON.stringify(inst);
            if (UNSTORABLE.test(json)) throw badRequest(`entity ${e.id}: attribute "${name}" contains U+0000 or an unpaired surrogate, which the PostgreSQL store cannot keep`);
            attrs.set(attrKey(name, inst.datasetId), { inst, json });
          }
        }
        slots.set(e.id, { id: e.id, rowDeleted: false, entity: e, attrs, stored: new Map() });
      }
      await this.persist(tx, tenant, slots);
    });
    this.knownTenants.add(tenant);
  }

  /**
   * Runs the mutators in one transaction, retrying it when it met a concurrent write; `single`:
   * one item whose failure fails the call (mutateEntity).
   */
  private async write<R>(tenant: string, items: BatchItem<R>[], single: boolean): Promise<BatchOutcome<R>[]> {
    let oneByOne = false;
    for (let attempt = 1; ; attempt++) {
      const changes: EntityChange[] = [];
      try {
        const outcomes = await this.db.transaction((tx) =>
          oneByOne ? this.applyOneByOne(tx, tenant, items, changes) : this.apply(tx, tenant, items, changes, single),
        );
        if (changes.some((c) => c.op !== 'deleted')) this.knownTenants.add(tenant);
        if (changes.length > 0) for (const l of this.listeners) l(changes);
        return outcomes;
      } catch (err) {
        if (err instanceof RecorderFailed) {
          if (single) throw err.error;
          oneByOne = true;
          continue;
        }
        const retry = err instanceof CreationRace || RETRYABLE.has((err as { code?: string }).code ?? '');
        if (retry && attempt < MAX_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  /** Each item in its own SAVEPOINT: a failing item (its mutator or a recorder) leaves no trace. */
  private async applyOneByOne<R>(tx: PgTx, tenant: string, items: BatchItem<R>[], changes: EntityChange[]): Promise<BatchOutcome<R>[]> {
    const outcomes: BatchOutcome<R>[] = [];
    for (const item of items) {
      const mark = changes.length;
      await tx.query('SAVEPOINT item');
      try {
        const [outcome] = await this.apply(tx, tenant, [item], changes, true);
        await tx.query('RELEASE SAVEPOINT item');
        outcomes.push(outcome);
      } catch (err) {
        if (err instanceof CreationRace) throw err;
        await tx.query('ROLLBACK TO SAVEPOINT item');
        changes.length = mark;
        outcomes.push({ id: item.id, ok: false, error: err instanceof RecorderFailed ? err.error : err });
      }
    }
    return outcomes;
  }

  /**
   * Reads and locks the entities, runs the mutators in order in memory, writes the outcome and
   * calls the recorders. `single`: a mutator or recorder that throws fails the whole call.
   */
  private async apply<R>(tx: PgTx, tenant: string, items: BatchItem<R>[], changes: EntityChange[], single: boolean): Promise<BatchOutcome<R>[]> {
    const ids = [...new Set(items.map((i) => i.id))];
    // Lock first, then read: a statement that waited for a lock still reads other rows (the
    // attributes) as they were when it started, so they are read by the next statement.
    const locked = await tx.query<{ pk: number }>('SELECT e.pk FROM entities e WHERE e.tenant = $1 AND e.id = ANY($2::text[]) ORDER BY e.id FOR UPDATE', [tenant, ids]);
    const rows =
      locked.length === 0
        ? []
        : await tx.query<EntityRow>(`SELECT ${ENTITY_COLUMNS}, ${attrsOf('e')} FROM entities e WHERE e.pk = ANY($1::bigint[])`, [locked.map((r) => r.pk)]);
    const slots = new Map<string, Slot>(ids.map((id) => [id, { id, rowDeleted: false, attrs: new Map(), stored: new Map() }]));
    for (const row of rows) {
      const slot = slots.get(row.id)!;
      slot.row = row;
      slot.entity = hydrate(row);
      for (const [pk, name, datasetId, inst] of row.attrs ?? []) {
        const key = attrKey(name, datasetId);
        const json = JSON.stringify(inst);
        slot.attrs.set(key, { inst, json });
        slot.stored.set(key, { pk, json, geo: geometryOf(inst) !== null });
      }
    }
    const outcomes: BatchOutcome<R>[] = [];
    const made: EntityChange[] = [];
    for (const item of items) {
      const slot = slots.get(item.id)!;
      let result: R;
      let change: EntityChange | undefined;
      try {
        const step = item.mutate(slot.entity);
        result = step.result;
        change = this.step(tenant, slot, step.next);
      } catch (error) {
        if (single) throw error;
        outcomes.push({ id: item.id, ok: false, error });
        continue;
      }
      outcomes.push({ id: item.id, ok: true, result });
      if (change) made.push(change);
    }
    if (made.length === 0) return outcomes;
    await this.persist(tx, tenant, slots);
    try {
      withActiveTx(tx, () => {
        for (const change of made) for (const r of this.recorders) r(change);
      });
    } catch (error) {
      throw single ? error : new RecorderFailed(error);
    }
    changes.push(...made);
    return outcomes;
  }

  /** Moves a slot to the mutator's next state; returns the change, if any (throws, leaving the slot as it was, for what cannot be stored). */
  private step(tenant: string, slot: Slot, next: Entity | null | undefined): EntityChange | undefined {
    const current = slot.entity;
    if (next === undefined) return undefined;
    if (next === null) {
      if (!current) return undefined;
      if (slot.row) slot.rowDeleted = true;
      slot.entity = undefined;
      slot.attrs = new Map();
      return { tenant, id: slot.id, op: 'deleted', before: current, attributes: allAttributes(current, 'deleted'), at: new Date().toISOString() };
    }
    const attributes: AttributeChange[] = [];
    const after = new Map<string, { inst: AttrInstance; json: string }>();
    for (const [name, instances] of Object.entries(next.attrs)) {
      for (const inst of instances) {
        const key = attrKey(name, inst.datasetId);
        const json = JSON.stringify(inst);
        after.set(key, { inst, json });
        const prev = slot.attrs.get(key);
        if (prev && prev.json === json) continue;
        if (UNSTORABLE.test(json)) throw badRequest(`attribute "${name}" contains U+0000 or an unpaired surrogate, which the PostgreSQL store cannot keep`);
        const c: AttributeChange = { name, kind: prev ? 'updated' : 'created', current: inst };
        if (inst.datasetId !== undefined) c.datasetId = inst.datasetId;
        if (prev) c.previous = prev.inst;
        attributes.push(c);
      }
    }
    for (const [key, gone] of slot.attrs) {
      if (after.has(key)) continue;
      const [name, datasetId] = key.split('\u0000');
      const c: AttributeChange = { name, kind: 'deleted', previous: gone.inst };
      if (datasetId !== '') c.datasetId = datasetId;
      attributes.push(c);
    }
    slot.entity = next;
    slot.attrs = after;
    const change: EntityChange = { tenant, id: slot.id, op: current ? 'updated' : 'created', after: next, attributes, at: next.modifiedAt ?? new Date().toISOString() };
    if (current) change.before = current;
    return change;
  }

  /** Writes the slots' states: what differs from the rows read, in two batched statements. */
  private async persist(tx: PgTx, tenant: string, slots: Map<string, Slot>): Promise<void> {
    const w = new WriteBatch();
    for (const slot of slots.values()) w.add(slot);
    if (w.deletesEntities.length + w.retypes.length + w.goneAttributes.length + w.ungeo.length > 0) {
      await tx.query(
        `WITH a AS (DELETE FROM attributes WHERE entity_pk = ANY($1::bigint[]) OR pk = ANY($2::bigint[])),
              g AS (DELETE FROM geo_index WHERE entity_pk = ANY($1::bigint[]) OR attribute_pk = ANY($2::bigint[]) OR attribute_pk = ANY($4::bigint[])),
              t AS (DELETE FROM entity_types WHERE entity_pk = ANY($1::bigint[]) OR entity_pk = ANY($3::bigint[]))
         DELETE FROM entities WHERE pk = ANY($1::bigint[])`,
        [w.deletesEntities, w.goneAttributes, w.retypes, w.ungeo],
      );
    }
    if (w.firstCreatedAt !== undefined && !this.knownTenants.has(tenant)) {
      await tx.query('INSERT INTO tenants (name, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [tenant, w.firstCreatedAt]);
    }
    if (w.empty()) return;
    const [{ inserted }] = await tx.query<{ inserted: number }>(WRITE_STATEMENT, [tenant, ...w.parameters()]);
    if (inserted < w.inserts.id.length) throw new CreationRace();
  }

  // -------------------------------------------------------------------------------------------
  // Queries
  // -------------------------------------------------------------------------------------------

  async queryEntities(tenant: string, query: EntityQuery): Promise<EntityPage> {
    const where: Frag[] = [sql`e.tenant = ${param(tenant)}`];
    const hidden = new Set(query.readFilter?.hiddenAttrs ?? []);
    if (query.readFilter) where.push(compileReadFilter(query.readFilter));
    if (query.entities && query.entities.length > 0) {
      where.push(sql`(${join(query.entities.map((s) => sql`(${compileSelector(s, query.expand)})`), ' OR ')})`);
    }
    if (query.attrs && query.attrs.length > 0) {
      // Attributes the caller may not read are as if absent.
      const attrs = query.attrs.filter((a) => !hidden.has(a));
      where.push(attrs.length === 0 ? raw('false') : sql`EXISTS (SELECT 1 FROM attributes a WHERE a.entity_pk = e.pk AND a.name = ANY(${param(attrs)}::text[]))`);
    }
    if (query.q) {
      // A term on an attribute the caller may not read looks at a name no attribute has.
      const expand = hidden.size === 0 ? query.expand : (t: string) => (hidden.has(query.expand(t)) ? HIDDEN_ATTRIBUTE : query.expand(t));
      where.push(sql`(${compileQ(query.q, expand)})`);
    }
    if (query.scopeQ) where.push(sql`(${compileScopeQ(query.scopeQ)})`);
    if (query.geoQ) where.push(hidden.has(query.geoQ.geoproperty) ? raw('false') : compileGeoQuery(query.geoQ, query.geoQ.geoproperty));
    const condition = join(where, ' AND ');
    const [rows, count] = await Promise.all([
      query.limit > 0
        ? this.select<EntityRow>(sql`SELECT p.*, ${raw(attrsOf('p'))} FROM (SELECT ${raw(ENTITY_COLUMNS)} FROM entities e WHERE ${condition}
            ORDER BY e.pk LIMIT ${param(query.limit)} OFFSET ${param(query.offset)}) p ORDER BY p.pk`)
        : [],
      query.count ? this.select<{ n: number }>(sql`SELECT count(*)::int AS n FROM entities e WHERE ${condition}`) : undefined,
    ]);
    const page: EntityPage = { entities: rows.map(hydrate) };
    if (count) page.count = count[0].n;
    return page;
  }

  /** Runs a compiled query; PostgreSQL's refusal of a regular expression is the client's error. */
  private async select<T>(f: Frag): Promise<T[]> {
    const { text, values } = numbered(f);
    try {
      return await this.db.query<T>(text, values);
    } catch (err) {
      if ((err as { code?: string }).code === INVALID_REGEX) throw badRequest(`regular expression not supported: ${(err as Error).message}`);
      throw err;
    }
  }

  async listTypes(tenant: string, filter?: ReadFilter): Promise<TypeInfo[]> {
    const v = visibleEntities(tenant, filter, 't');
    const [counts, attrs] = await Promise.all([
      this.select<{ type: string; n: number }>(sql`SELECT t.type, count(*)::int AS n FROM entity_types t WHERE t.tenant = ${param(tenant)}${v.entities} GROUP BY t.type ORDER BY t.type`),
      this.select<{ type: string; name: string; kinds: string }>(sql`SELECT t.type, a.name, string_agg(DISTINCT a.kind, ',') AS kinds FROM entity_types t
        JOIN attributes a ON a.entity_pk = t.entity_pk WHERE t.tenant = ${param(tenant)}${v.entities}${v.attributes} GROUP BY t.type, a.name ORDER BY t.type, a.name`),
    ]);
    const byType = new Map<string, TypeInfo>(counts.map((c) => [c.type, { type: c.type, entityCount: c.n, attributes: [] }]));
    for (const a of attrs) byType.get(a.type)?.attributes.push({ name: a.name, kinds: a.kinds.split(',').sort() });
    return [...byType.values()];
  }

  async listAttributes(tenant: string, filter?: ReadFilter): Promise<AttributeInfo[]> {
    const v = visibleEntities(tenant, filter, 'a');
    const [rows, types] = await Promise.all([
      this.select<{ name: string; n: number; kinds: string }>(sql`SELECT a.name, count(DISTINCT a.entity_pk)::int AS n, string_agg(DISTINCT a.kind, ',') AS kinds
        FROM attributes a JOIN entities e ON e.pk = a.entity_pk WHERE e.tenant = ${param(tenant)}${v.entities}${v.attributes} GROUP BY a.name ORDER BY a.name`),
      this.select<{ name: string; type: string }>(sql`SELECT DISTINCT a.name, t.type FROM attributes a JOIN entity_types t ON t.entity_pk = a.entity_pk
        WHERE t.tenant = ${param(tenant)}${v.entities}`),
    ]);
    const typesOf = new Map<string, string[]>();
    for (const t of types) {
      const list = typesOf.get(t.name);
      if (list) list.push(t.type);
      else typesOf.set(t.name, [t.type]);
    }
    return rows.map((r) => ({ name: r.name, attributeCount: r.n, kinds: r.kinds.split(',').sort(), types: (typesOf.get(r.name) ?? []).sort() }));
  }

  // -------------------------------------------------------------------------------------------
  // Contexts
  // -------------------------------------------------------------------------------------------

  async saveContext(tenant: string, c: StoredContext): Promise<void> {
    await this.db.query(
      `INSERT INTO jsonld_contexts (tenant, id, url, kind, body, created_at, last_usage, hits) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (tenant, id) DO UPDATE SET url = excluded.url, kind = excluded.kind, body = excluded.body`,
      [tenant, c.id, c.url, c.kind, JSON.stringify(c.body), c.createdAt, c.lastUsage ?? null, c.hits],
    );
    await this.contextsChanged(tenant, c.id);
  }

  async getContext(tenant: string, idOrUrl: string): Promise<StoredContext | undefined> {
    const rows = await this.db.query<ContextRow>('SELECT * FROM jsonld_contexts WHERE tenant = $1 AND (id = $2 OR url = $2)', [tenant, idOrUrl]);
    return rows.length > 0 ? toStoredContext(rows[0]) : undefined;
  }

  async listContexts(tenant: string): Promise<StoredContext[]> {
    return (await this.db.query<ContextRow>('SELECT * FROM jsonld_contexts WHERE tenant = $1 ORDER BY created_at, id', [tenant])).map(toStoredContext);
  }

  async deleteContext(tenant: string, id: string): Promise<boolean> {
    const rows = await this.db.query('DELETE FROM jsonld_contexts WHERE tenant = $1 AND id = $2 RETURNING 1', [tenant, id]);
    if (rows.length > 0) await this.contextsChanged(tenant, id);
    return rows.length > 0;
  }

  lookupContextByUrl(tenant: string, url: string): unknown | undefined {
    return this.contexts.get(tenant)?.get(url);
  }

  /** After this node changed a tenant's contexts: refresh the mirror and tell the other nodes. */
  private async contextsChanged(tenant: string, id: string): Promise<void> {
    await this.reloadContexts();
    this.bus.publish(CHANNELS.contexts, { tenant, id });
  }

  /** Reads every registered context into the mirror; reloads run one after the other, so the last one read wins. */
  private reloadContexts(): Promise<void> {
    const load = async () => {
      const rows = await this.db.query<{ tenant: string; url: string; body: string }>('SELECT tenant, url, body FROM jsonld_contexts');
      const all = new Map<string, Map<string, unknown>>();
      for (const r of rows) {
        let t = all.get(r.tenant);
        if (!t) all.set(r.tenant, (t = new Map()));
        t.set(r.url, JSON.parse(r.body));
      }
      this.contexts = all;
    };
    const next = this.contextReload.then(load, load);
    this.contextReload = next.catch(() => {});
    return next;
  }

  async ping(): Promise<boolean> {
    const [r] = await this.db.query<{ ok: number }>('SELECT 1 AS ok');
    return r.ok === 1;
  }

  /** Stops following the other nodes; the pool belongs to the Stores (Stores.close ends it). */
  async close(): Promise<void> {
    this.following?.stop();
  }
}

/**
 * What one write changes, as the columns of WRITE_STATEMENT's unnest() (and of the deletions):
 * only what differs from the rows read. Instances new to their entity are inserted, changed ones
 * are updated by pk (their entity's row is locked, so nobody else writes them meanwhile).
 */
class WriteBatch {
  readonly deletesEntities: number[] = [];
  readonly retypes: number[] = [];
  readonly goneAttributes: number[] = [];
  /** Instances that had a geometry and no longer have one. */
  readonly ungeo: number[] = [];
  firstCreatedAt?: string;
  readonly inserts = { id: [] as string[], types: [] as string[], scopes: [] as (string | null)[], created: [] as string[], modified: [] as string[] };
  private readonly updates = { pk: [] as number[], types: [] as string[], scopes: [] as (string | null)[], modified: [] as string[] };
  private readonly types = { id: [] as string[], pk: [] as (number | null)[], type: [] as string[] };
  private readonly added = {
    id: [] as string[], pk: [] as (number | null)[], name: [] as string[], datasetId: [] as string[], kind: [] as string[], data: [] as string[],
    value: [] as (string | null)[], vnum: [] as (number | null)[], vstr: [] as (string | null)[], vtime: [] as (number | null)[], geo: [] as (string | null)[],
  };
  private readonly changed = {
    pk: [] as number[], kind: [] as string[], data: [] as string[], value: [] as (string | null)[], vnum: [] as (number | null)[], vstr: [] as (string | null)[],
    vtime: [] as (number | null)[],
  };
  private readonly changedGeo = { pk: [] as number[], entityPk: [] as number[], name: [] as string[], geo: [] as string[] };

  add(slot: Slot): void {
    const { row, entity } = slot;
    const keepsRow = row !== undefined && !slot.rowDeleted && entity !== undefined;
    if (row && !keepsRow) this.deletesEntities.push(row.pk);
    if (!entity) return;
    const typesJson = JSON.stringify(entity.types);
    const scopesJson = entity.scope && entity.scope.length > 0 ? JSON.stringify(entity.scope) : null;
    const pk = keepsRow ? row.pk : null;
    if (keepsRow) {
      const modified = entity.modifiedAt ?? row.modified_at;
      if (typesJson !== JSON.stringify(row.types) || scopesJson !== (row.scopes ? JSON.stringify(row.scopes) : null) || modified !== row.modified_at) {
        this.updates.pk.push(row.pk);
        this.updates.types.push(typesJson);
        this.updates.scopes.push(scopesJson);
        this.updates.modified.push(modified);
      }
    } else {
      const created = entity.createdAt ?? new Date().toISOString();
      this.firstCreatedAt ??= created;
      this.inserts.id.push(entity.id);
      this.inserts.types.push(typesJson);
      this.inserts.scopes.push(scopesJson);
      this.inserts.created.push(created);
      this.inserts.modified.push(entity.modifiedAt ?? created);
    }
    if (!keepsRow || typesJson !== JSON.stringify(row.types)) {
      if (keepsRow) this.retypes.push(row.pk);
      for (const t of new Set(entity.types)) {
        this.types.id.push(entity.id);
        this.types.pk.push(pk);
        this.types.type.push(t);
      }
    }
    const stored = keepsRow ? slot.stored : new Map<string, StoredInstance>();
    for (const [key, { inst, json }] of slot.attrs) {
      const prev = stored.get(key);
      if (prev && prev.json === json) continue;
      const name = key.slice(0, key.indexOf('\u0000'));
      const pv = primaryValue(inst);
      const { vnum, vstr, vtime } = comparableOf(pv);
      const value = pv === undefined ? null : JSON.stringify(pv);
      const geo = geometryOf(inst);
      if (prev) {
        const c = this.changed;
        c.pk.push(prev.pk);
        c.kind.push(inst.type);
        c.data.push(json);
        c.value.push(value);
        c.vnum.push(vnum);
        c.vstr.push(vstr);
        c.vtime.push(vtime);
        if (geo !== null) {
          this.changedGeo.pk.push(prev.pk);
          this.changedGeo.entityPk.push(row!.pk);
          this.changedGeo.name.push(name);
          this.changedGeo.geo.push(geo);
        } else if (prev.geo) this.ungeo.push(prev.pk);
      } else {
        const a = this.added;
        a.id.push(entity.id);
        a.pk.push(pk);
        a.name.push(name);
        a.datasetId.push(inst.datasetId ?? '');
        a.kind.push(inst.type);
        a.data.push(json);
        a.value.push(value);
        a.vnum.push(vnum);
        a.vstr.push(vstr);
        a.vtime.push(vtime);
        a.geo.push(geo);
      }
    }
    for (const [key, gone] of stored) if (!slot.attrs.has(key)) this.goneAttributes.push(gone.pk);
  }

  empty(): boolean {
    return this.inserts.id.length + this.updates.pk.length + this.types.type.length + this.added.name.length + this.changed.pk.length === 0;
  }

  /** $2... of WRITE_STATEMENT. */
  parameters(): unknown[] {
    const { inserts: i, updates: u, types: t, added: a, changed: c, changedGeo: g } = this;
    return [
      i.id, i.types, i.scopes, i.created, i.modified,
      u.pk, u.types, u.scopes, u.modified,
      t.id, t.pk, t.type,
      a.id, a.pk, a.name, a.datasetId, a.kind, a.data, a.value, a.vnum, a.vstr, a.vtime, a.geo,
      c.pk, c.kind, c.data, c.value, c.vnum, c.vstr, c.vtime,
      g.pk, g.entityPk, g.name, g.geo,
    ];
  }
}

/**
 * Inserts the new entities and updates the changed ones; inserts their entity types, the new
 * attribute instances and their geometries (getting the pk of a new entity from its insert, and
 * of a new instance from its own), and updates the changed instances and geometries by pk; in one
 * statement. Answers how many entities were inserted (fewer: another node created one meanwhile).
 */
const WRITE_STATEMENT = `
WITH ins AS (
  INSERT INTO entities (tenant, id, types, scopes, created_at, modified_at)
  SELECT $1, u.id, u.types, u.scopes, u.created_at, u.modified_at
  FROM unnest($2::text[], $3::jsonb[], $4::jsonb[], $5::text[], $6::text[]) WITH ORDINALITY AS u(id, types, scopes, created_at, modified_at, n)
  ORDER BY u.n
  ON CONFLICT (tenant, id) DO NOTHING
  RETURNING pk, id
), upd AS (
  UPDATE entities e SET types = u.types, scopes = u.scopes, modified_at = u.modified_at
  FROM unnest($7::bigint[], $8::jsonb[], $9::jsonb[], $10::text[]) AS u(pk, types, scopes, modified_at)
  WHERE e.pk = u.pk
), typ AS (
  INSERT INTO entity_types (tenant, type, entity_pk)
  SELECT $1, u.type, coalesce(u.pk, ins.pk)
  FROM unnest($11::text[], $12::bigint[], $13::text[]) AS u(id, pk, type) LEFT JOIN ins ON ins.id = u.id
  WHERE coalesce(u.pk, ins.pk) IS NOT NULL
), added AS (
  SELECT coalesce(u.pk, ins.pk) AS entity_pk, u.name, u.dataset_id, u.kind, u.data, u.value, u.vnum, u.vstr, u.vtime, u.geo, u.n
  FROM unnest($14::text[], $15::bigint[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[], $21::float8[], $22::text[], $23::float8[], $24::text[])
    WITH ORDINALITY AS u(id, pk, name, dataset_id, kind, data, value, vnum, vstr, vtime, geo, n)
    LEFT JOIN ins ON ins.id = u.id
  WHERE coalesce(u.pk, ins.pk) IS NOT NULL
), att AS (
  INSERT INTO attributes (entity_pk, name, dataset_id, kind, data, value, vnum, vstr, vtime)
  SELECT entity_pk, name, dataset_id, kind, data::json, value::jsonb, vnum, vstr, vtime FROM added ORDER BY n
  RETURNING pk, entity_pk, name, dataset_id
), chg AS (
  UPDATE attributes a SET kind = u.kind, data = u.data::json, value = u.value::jsonb, vnum = u.vnum, vstr = u.vstr, vtime = u.vtime
  FROM unnest($25::bigint[], $26::text[], $27::text[], $28::text[], $29::float8[], $30::text[], $31::float8[]) AS u(pk, kind, data, value, vnum, vstr, vtime)
  WHERE a.pk = u.pk
), geo AS (
  INSERT INTO geo_index (attribute_pk, entity_pk, name, geom)
  SELECT att.pk, att.entity_pk, att.name, ST_SetSRID(ST_Force2D(ST_GeomFromGeoJSON(added.geo)), 4326)
  FROM added JOIN att ON att.entity_pk = added.entity_pk AND att.name = added.name AND att.dataset_id = added.dataset_id
  WHERE added.geo IS NOT NULL
  UNION ALL
  SELECT u.pk, u.entity_pk, u.name, ST_SetSRID(ST_Force2D(ST_GeomFromGeoJSON(u.geo)), 4326)
  FROM unnest($32::bigint[], $33::bigint[], $34::text[], $35::text[]) AS u(pk, entity_pk, name, geo)
  ON CONFLICT (attribute_pk) DO UPDATE SET geom = excluded.geom
)
SELECT count(*)::int AS inserted FROM ins`;

/**
 * In JSON text from JSON.stringify, the escape of U+0000 or of an unpaired surrogate (paired ones
 * are written as characters): PostgreSQL text and jsonb cannot hold them.
 */
const UNSTORABLE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/;

/** The GeoJSON text of a GeoProperty instance's geometry, or null (other attributes, null values). */
function geometryOf(inst: AttrInstance): string | null {
  const v = inst.value;
  return inst.type === 'GeoProperty' && typeof v === 'object' && v !== null && !Array.isArray(v) && 'coordinates' in v ? JSON.stringify(v) : null;
}

function hydrate(row: EntityRow): Entity {
  const attrs: Record<string, AttrInstance[]> = {};
  for (const [, name, , inst] of row.attrs ?? []) (attrs[name] ??= []).push(inst);
  const e: Entity = { id: row.id, types: row.types, createdAt: row.created_at, modifiedAt: row.modified_at, attrs };
  if (row.scopes) e.scope = row.scopes;
  return e;
}

/**
 * For discovery: ` AND <alias>.entity_pk IN (visible entities)` and ` AND a.name <> ALL(hidden
 * attributes)`; empty without a filter.
 */
function visibleEntities(tenant: string, filter: ReadFilter | undefined, alias: string): { entities: Frag; attributes: Frag } {
  if (!filter) return { entities: raw(''), attributes: raw('') };
  const hidden = filter.hiddenAttrs ?? [];
  return {
    entities: sql` AND ${raw(alias)}.entity_pk IN (SELECT e.pk FROM entities e WHERE e.tenant = ${param(tenant)} AND ${compileReadFilter(filter)})`,
    attributes: hidden.length > 0 ? sql` AND a.name <> ALL(${param(hidden)}::text[])` : raw(''),
  };
}
