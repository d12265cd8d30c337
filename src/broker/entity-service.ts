/**
 * The broker's logic: every NGSI-LD entity operation, from parsed payloads to store mutations and
 * back. Knows nothing of HTTP: routes hand it tenants, contexts, bodies and parameters.
 */
import { NgsiError, badRequest, notFound, toNgsiError, type ProblemDetails } from '../errors.js';
import { expandAttributeName, parseEntity, parseInstance, requireObject, type EntityFragment } from './input.js';
import type { CompiledContext } from './jsonld/compiled-context.js';
import type { Entity } from './model.js';
import * as m from './mutations.js';
import { parseQueryInput, type ParsedQuery, type QueryInput } from './query/query-params.js';
import type { AttributeInfo, BrokerStore, EntityAccess, EntityMutator, TypeInfo } from './store.js';
import { requireUri } from './values/validate.js';

export interface UpdateResult {
  updated: string[];
  notUpdated: Array<{ attributeName: string; reason: string }>;
}

export interface BatchOperationResult {
  success: string[];
  errors: Array<{ entityId: string; error: ProblemDetails }>;
}

/** An entity in a batch with the context its terms are read with. */
export interface BatchEntry {
  body: unknown;
  ctx: CompiledContext;
}

const now = () => new Date().toISOString();

export class EntityService {
  /** The access control of the caller being served (undefined: no access control). */
  private accessOf: () => EntityAccess | undefined = () => undefined;

  constructor(readonly store: BrokerStore) {}

  /**
   * Installs access control: `accessOf` returns the access of the caller whose request is being
   * served (src/identity keeps it per request). Reads are filtered inside the store's queries and
   * every mutator is guarded.
   */
  useAccess(accessOf: () => EntityAccess | undefined): void {
    this.accessOf = accessOf;
  }

  /** A mutator guarded by the caller's access, if any. */
  private guarded<R>(id: string, mutate: EntityMutator<R>, creating = false): EntityMutator<R> {
    const access = this.accessOf();
    return access ? access.guard(id, mutate, creating) : mutate;
  }

  /** Reads must name an existing tenant (NonexistentTenant otherwise). */
  async requireTenant(tenant: string): Promise<void> {
    if (!(await this.store.tenantExists(tenant))) throw new NgsiError('NonexistentTenant', `tenant "${tenant}" does not exist`, tenant);
  }

  async create(tenant: string, ctx: CompiledContext, body: unknown): Promise<string> {
    const f = parseEntity(body, ctx, true);
    await this.store.mutateEntity(tenant, f.id!, this.guarded(f.id!, m.createEntity(f, now()), true));
    return f.id!;
  }

  async retrieve(tenant: string, id: string, ctx: CompiledContext, input: QueryInput): Promise<{ entity: Entity; parsed: ParsedQuery }> {
    requireUri(id, 'entity id');
    const parsed = parseQueryInput(input, ctx);
    await this.requireTenant(tenant);
    const access = this.accessOf();
    // With ?type=..., the entity must also match the type selection: let the store decide.
    const found =
      parsed.query.entities || access
        ? (await this.store.queryEntities(tenant, {
          entities: (parsed.query.entities ?? [{}]).map((s) => ({ ...s, ids: [id] })),
          expand: parsed.query.expand,
          limit: 1,
          offset: 0,
          count: false,
          readFilter: access?.readFilter,
        })).entities[0]
        : await this.store.getEntity(tenant, id);
    // An entity the caller may not see is answered exactly like a missing one.
    const entity = found && access ? access.visible(found) : found;
    if (!entity) throw notFound(`entity ${id} does not exist`, id);
    return { entity, parsed };
  }

  async query(tenant: string, ctx: CompiledContext, input: QueryInput, requireSelection: boolean): Promise<{ entities: Entity[]; count?: number; parsed: ParsedQuery }> {
    const parsed = parseQueryInput(input, ctx);
    if (requireSelection && !parsed.selective) {
      throw badRequest('give at least one of type, id, idPattern, attrs, q, geoQ or scopeQ (or local=true to list every entity)');
    }
    await this.requireTenant(tenant);
    const access = this.accessOf();
    const page = await this.store.queryEntities(tenant, { ...parsed.query, limit: parsed.limit, offset: parsed.offset, count: parsed.count, readFilter: access?.readFilter });
    if (access) page.entities = page.entities.map((e) => access.visible(e)).filter((e): e is Entity => e !== undefined);
    return { ...page, parsed };
  }

  async replace(tenant: string, ctx: CompiledContext, id: string, body: unknown): Promise<void> {
    const f = this.fragmentFor(id, body, ctx, false);
    if (!f.types) throw badRequest('a replacement entity needs a type');
    await this.store.mutateEntity(tenant, id, this.guarded(id, m.replaceEntity(f, now())));
  }

  async merge(tenant: string, ctx: CompiledContext, id: string, body: unknown): Promise<void> {
    const f = this.fragmentFor(id, body, ctx, true);
    await this.store.mutateEntity(tenant, id, this.guarded(id, m.mergeEntity(f, now())));
  }

  async append(tenant: string, ctx: CompiledContext, id: string, body: unknown, noOverwrite: boolean): Promise<UpdateResult> {
    const f = this.fragmentFor(id, body, ctx, false);
    return compactOutcome(await this.store.mutateEntity(tenant, id, this.guarded(id, m.appendAttrs(f, noOverwrite, now()))), ctx);
  }

  async update(tenant: string, ctx: CompiledContext, id: string, body: unknown): Promise<UpdateResult> {
    const f = this.fragmentFor(id, body, ctx, true);
    return compactOutcome(await this.store.mutateEntity(tenant, id, this.guarded(id, m.updateAttrs(f, now()))), ctx);
  }

  async partialUpdate(tenant: string, ctx: CompiledContext, id: string, attr: string, body: unknown): Promise<void> {
    requireUri(id, 'entity id');
    const name = expandAttributeName(attr, ctx);
    const obj = requireObject(body, 'the attribute fragment');
    const patch = parseInstance(attr, obj, ctx, { allowNull: true }, true);
    await this.store.mutateEntity(tenant, id, this.guarded(id, m.partialAttrUpdate(id, name, patch, now())));
  }

  async deleteAttribute(tenant: string, ctx: CompiledContext, id: string, attr: string, datasetId: string | undefined, deleteAll: boolean): Promise<void> {
    requireUri(id, 'entity id');
    if (datasetId !== undefined) requireUri(datasetId, 'datasetId');
    const name = expandAttributeName(attr, ctx);
    await this.requireTenant(tenant);
    await this.store.mutateEntity(tenant, id, this.guarded(id, m.deleteAttr(id, name, datasetId, deleteAll, now())));
  }

  async delete(tenant: string, id: string): Promise<void> {
    requireUri(id, 'entity id');
    await this.requireTenant(tenant);
    await this.store.mutateEntity(tenant, id, this.guarded(id, m.deleteEntity(id)));
  }

  // ---- Batch operations: each entity on its own, errors reported per entity ----

  async batchCreate(tenant: string, entries: BatchEntry[]): Promise<BatchOperationResult> {
    const t = now();
    return this.runBatch(tenant, entries, (e) => {
      const f = parseEntity(e.body, e.ctx, true);
      return { id: f.id!, mutate: this.guarded(f.id!, m.createEntity(f, t), true) };
    }).then((r) => r.result);
  }

  /** Upsert: returns the result and the ids that were created (201 when any). */
  async batchUpsert(tenant: string, entries: BatchEntry[], mode: 'replace' | 'update'): Promise<{ result: BatchOperationResult; created: string[] }> {
    const t = now();
    return this.runBatch(tenant, entries, (e) => {
      const f = parseEntity(e.body, e.ctx, true);
      return { id: f.id!, mutate: this.guarded(f.id!, m.upsertEntity(f, mode, t), true) };
    });
  }

  async batchUpdate(tenant: string, entries: BatchEntry[], noOverwrite: boolean): Promise<BatchOperationResult> {
    const t = now();
    return this.runBatch(tenant, entries, (e) => {
      const f = parseEntity(e.body, e.ctx, false);
      if (!f.id) throw badRequest('each entity of a batch update needs an id');
      const append = m.appendAttrs(f, noOverwrite, t);
      const mutate: EntityMutator<void> = (current) => {
        const { next, result } = append(current);
        if (result.notUpdated.length > 0) {
          throw badRequest(`not updated: ${result.notUpdated.map((n) => `${n.attributeName} (${n.reason})`).join('; ')}`);
        }
        return { next, result: undefined };
      };
      return { id: f.id, mutate: this.guarded(f.id, mutate) };
    }).then((r) => r.result);
  }

  async batchDelete(tenant: string, ids: unknown): Promise<BatchOperationResult> {
    if (!Array.isArray(ids)) throw badRequest('the body of a batch delete must be an array of entity ids');
    await this.requireTenant(tenant);
    const result: BatchOperationResult = { success: [], errors: [] };
    const valid: string[] = [];
    for (const id of ids) {
      try {
        valid.push(requireUri(id, 'entity id'));
      } catch (err) {
        result.errors.push({ entityId: String(id), error: toNgsiError(err).toProblem() });
      }
    }
    const outcomes = await this.store.mutateEntities(tenant, valid.map((id) => ({ id, mutate: this.guarded(id, m.deleteEntity(id)) })));
    for (const o of outcomes) {
      if (o.ok) result.success.push(o.id);
      else result.errors.push({ entityId: o.id, error: toNgsiError(o.error).toProblem() });
    }
    return result;
  }

  private async runBatch<R>(
    tenant: string,
    entries: BatchEntry[],
    prepare: (e: BatchEntry) => { id: string; mutate: EntityMutator<R> },
  ): Promise<{ result: BatchOperationResult; created: string[] }> {
    const result: BatchOperationResult = { success: [], errors: [] };
    const items: Array<{ id: string; mutate: EntityMutator<R> }> = [];
    for (const e of entries) {
      try {
        items.push(prepare(e));
      } catch (err) {
        const id = typeof (e.body as { id?: unknown })?.id === 'string' ? (e.body as { id: string }).id : 'unknown';
        result.errors.push({ entityId: id, error: toNgsiError(err).toProblem() });
      }
    }
    const outcomes = await this.store.mutateEntities(tenant, items);
    const created: string[] = [];
    for (const o of outcomes) {
      if (o.ok) {
        result.success.push(o.id);
        if (o.result === 'created') created.push(o.id);
      } else result.errors.push({ entityId: o.id, error: toNgsiError(o.error).toProblem() });
    }
    return { result, created };
  }

  // ---- Discovery ----

  async types(tenant: string): Promise<TypeInfo[]> {
    await this.requireTenant(tenant);
    return this.store.listTypes(tenant, this.accessOf()?.readFilter);
  }

  async attributes(tenant: string): Promise<AttributeInfo[]> {
    await this.requireTenant(tenant);
    return this.store.listAttributes(tenant, this.accessOf()?.readFilter);
  }

  /** A fragment for an attribute operation on entity `id`: the body's id, if any, must agree. */
  private fragmentFor(id: string, body: unknown, ctx: CompiledContext, allowNull: boolean): EntityFragment {
    requireUri(id, 'entity id');
    const f = parseEntity(body, ctx, false, { allowNull });
    if (f.id !== undefined && f.id !== id) throw badRequest(`the body's id ${f.id} differs from the id in the path ${id}`);
    f.id = id;
    return f;
  }
}

function compactOutcome(o: m.AttrOutcome, ctx: CompiledContext): UpdateResult {
  return {
    updated: o.updated.map((n) => ctx.compactIri(n)),
    notUpdated: o.notUpdated.map((n) => ({ attributeName: ctx.compactIri(n.attributeName), reason: n.reason })),
  };
}
