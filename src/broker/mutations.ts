/**
 * The entity operations of NGSI-LD as pure functions from the current entity to the next one
 * (EntityMutator). The store runs them inside its transaction, so each operation is atomic.
 */
import { alreadyExists, notFound } from '../errors.js';
import { isNullInstance, type EntityFragment } from './input.js';
import { ATTRIBUTE_MEMBERS, type AttrInstance, type Entity } from './model.js';
import type { EntityMutator } from './store.js';

/** Outcome of an attribute operation: names are expanded; the route compacts them. */
export interface AttrOutcome {
  updated: string[];
  notUpdated: Array<{ attributeName: string; reason: string }>;
}

const sameInstance = (a: AttrInstance, datasetId: string | undefined) => (a.datasetId ?? undefined) === datasetId;
const describe = (name: string, datasetId?: string) => (datasetId ? `${name} (datasetId ${datasetId})` : name);

/** Sets createdAt (kept from `prev`) and modifiedAt on an instance and its sub-attributes. */
function stamp(inst: AttrInstance, now: string, prev?: AttrInstance): AttrInstance {
  const out: AttrInstance = { ...inst, createdAt: prev?.createdAt ?? now, modifiedAt: now };
  for (const [k, v] of Object.entries(inst)) {
    if (ATTRIBUTE_MEMBERS.has(k)) continue;
    out[k] = stamp(v as AttrInstance, now, prev?.[k] as AttrInstance | undefined);
  }
  return out;
}

function stampAll(attrs: Record<string, AttrInstance[]>, now: string, prev?: Entity): Record<string, AttrInstance[]> {
  const out: Record<string, AttrInstance[]> = {};
  for (const [name, list] of Object.entries(attrs)) {
    out[name] = sortInstances(list.map((i) => stamp(i, now, prev?.attrs[name]?.find((p) => sameInstance(p, i.datasetId)))));
  }
  return out;
}

/** Default instance first, then by datasetId: the order the store reads them back in. */
function sortInstances(list: AttrInstance[]): AttrInstance[] {
  return list.sort((a, b) => (a.datasetId ?? '').localeCompare(b.datasetId ?? ''));
}

function requireEntity(current: Entity | undefined, id: string): Entity {
  if (!current) throw notFound(`entity ${id} does not exist`, id);
  return current;
}

function cloneEntity(e: Entity, now: string): Entity {
  const attrs: Record<string, AttrInstance[]> = {};
  for (const [k, v] of Object.entries(e.attrs)) attrs[k] = [...v];
  return { ...e, attrs, modifiedAt: now };
}

const unionTypes = (a: string[], b: string[] | undefined) => (b ? [...new Set([...a, ...b])] : a);

function setInstance(e: Entity, name: string, inst: AttrInstance, now: string): void {
  const list = e.attrs[name] ?? [];
  const i = list.findIndex((p) => sameInstance(p, inst.datasetId));
  const stamped = stamp(inst, now, i >= 0 ? list[i] : undefined);
  if (i >= 0) list[i] = stamped;
  else list.push(stamped);
  e.attrs[name] = sortInstances(list);
}

function removeInstance(e: Entity, name: string, datasetId: string | undefined): boolean {
  const list = e.attrs[name];
  if (!list) return false;
  const rest = list.filter((p) => !sameInstance(p, datasetId));
  if (rest.length === list.length) return false;
  if (rest.length === 0) delete e.attrs[name];
  else e.attrs[name] = rest;
  return true;
}

export function createEntity(f: EntityFragment, now: string): EntityMutator<void> {
  return (current) => {
    if (current) throw alreadyExists(`entity ${f.id} already exists`, f.id);
    const e: Entity = { id: f.id!, types: f.types!, createdAt: now, modifiedAt: now, attrs: stampAll(f.attrs, now) };
    if (f.scope) e.scope = f.scope;
    return { next: e, result: undefined };
  };
}

/** PUT /entities/{id}: everything is replaced but the id and createdAt. */
export function replaceEntity(f: EntityFragment, now: string): EntityMutator<void> {
  return (current) => {
    const prev = requireEntity(current, f.id!);
    const e: Entity = { id: prev.id, types: f.types ?? prev.types, createdAt: prev.createdAt, modifiedAt: now, attrs: stampAll(f.attrs, now, prev) };
    if (f.scope) e.scope = f.scope;
    return { next: e, result: undefined };
  };
}

/** Batch upsert: creates, or replaces (mode replace) / appends to (mode update) an existing entity. */
export function upsertEntity(f: EntityFragment, mode: 'replace' | 'update', now: string): EntityMutator<'created' | 'updated'> {
  return (current) => {
    if (!current) return { next: createEntity(f, now)(undefined).next, result: 'created' };
    const next = mode === 'replace' ? replaceEntity(f, now)(current).next : appendAttrs(f, false, now)(current).next;
    return { next, result: 'updated' };
  };
}

/** POST /entities/{id}/attrs: adds attributes, overwriting existing ones unless noOverwrite. */
export function appendAttrs(f: EntityFragment, noOverwrite: boolean, now: string): EntityMutator<AttrOutcome> {
  return (current) => {
    const e = cloneEntity(requireEntity(current, f.id!), now);
    e.types = unionTypes(e.types, f.types);
    if (f.scope) e.scope = [...new Set([...(e.scope ?? []), ...f.scope])];
    const outcome: AttrOutcome = { updated: [], notUpdated: [] };
    for (const [name, list] of Object.entries(f.attrs)) {
      for (const inst of list) {
        if (noOverwrite && e.attrs[name]?.some((p) => sameInstance(p, inst.datasetId))) {
          outcome.notUpdated.push({ attributeName: name, reason: `${describe('attribute', inst.datasetId)} exists and options=noOverwrite` });
          continue;
        }
        setInstance(e, name, inst, now);
        if (!outcome.updated.includes(name)) outcome.updated.push(name);
      }
    }
    return { next: outcome.updated.length > 0 || f.types || f.scope ? e : undefined, result: outcome };
  };
}

/** PATCH /entities/{id}/attrs: replaces existing attributes only; urn:ngsi-ld:null deletes. */
export function updateAttrs(f: EntityFragment, now: string): EntityMutator<AttrOutcome> {
  return (current) => {
    const e = cloneEntity(requireEntity(current, f.id!), now);
    const outcome: AttrOutcome = { updated: [], notUpdated: [] };
    for (const [name, list] of Object.entries(f.attrs)) {
      for (const inst of list) {
        if (!e.attrs[name]?.some((p) => sameInstance(p, inst.datasetId))) {
          outcome.notUpdated.push({ attributeName: name, reason: `${describe('attribute', inst.datasetId)} does not exist` });
          continue;
        }
        if (isNullInstance(inst)) removeInstance(e, name, inst.datasetId);
        else setInstance(e, name, inst, now);
        if (!outcome.updated.includes(name)) outcome.updated.push(name);
      }
    }
    return { next: outcome.updated.length > 0 ? e : undefined, result: outcome };
  };
}

/** Merges a patch into an instance: members replaced, sub-attributes merged recursively. */
export function mergeInstance(prev: AttrInstance, patch: AttrInstance): AttrInstance {
  if (patch.type !== prev.type) return patch;
  const out: AttrInstance = { ...prev };
  for (const [k, v] of Object.entries(patch)) {
    if (ATTRIBUTE_MEMBERS.has(k)) {
      out[k] = v;
      continue;
    }
    const sub = v as AttrInstance;
    if (isNullInstance(sub)) delete out[k];
    else out[k] = prev[k] ? mergeInstance(prev[k] as AttrInstance, sub) : sub;
  }
  return out;
}

/** PATCH /entities/{id} (merge-patch): adds, merges, and deletes attributes set to urn:ngsi-ld:null. */
export function mergeEntity(f: EntityFragment, now: string): EntityMutator<void> {
  return (current) => {
    const e = cloneEntity(requireEntity(current, f.id!), now);
    e.types = unionTypes(e.types, f.types);
    if (f.scope) e.scope = f.scope;
    for (const [name, list] of Object.entries(f.attrs)) {
      for (const inst of list) {
        const prev = e.attrs[name]?.find((p) => sameInstance(p, inst.datasetId));
        if (isNullInstance(inst)) removeInstance(e, name, inst.datasetId);
        else setInstance(e, name, prev ? mergeInstance(prev, inst) : inst, now);
      }
    }
    return { next: e, result: undefined };
  };
}

/** PATCH /entities/{id}/attrs/{attrId}: merges a fragment into one existing attribute instance. */
export function partialAttrUpdate(id: string, name: string, patch: AttrInstance, now: string): EntityMutator<void> {
  return (current) => {
    const e = cloneEntity(requireEntity(current, id), now);
    const prev = e.attrs[name]?.find((p) => sameInstance(p, patch.datasetId));
    if (!prev) throw notFound(`entity ${id} has no attribute ${describe(name, patch.datasetId)}`, name);
    if (isNullInstance(patch)) removeInstance(e, name, patch.datasetId);
    else setInstance(e, name, mergeInstance(prev, patch), now);
    return { next: e, result: undefined };
  };
}

/** DELETE /entities/{id}/attrs/{attrId}: one instance (datasetId), the default one, or all. */
export function deleteAttr(id: string, name: string, datasetId: string | undefined, deleteAll: boolean, now: string): EntityMutator<void> {
  return (current) => {
    const e = cloneEntity(requireEntity(current, id), now);
    if (deleteAll) {
      if (!e.attrs[name]) throw notFound(`entity ${id} has no attribute ${name}`, name);
      delete e.attrs[name];
    } else if (!removeInstance(e, name, datasetId)) {
      throw notFound(`entity ${id} has no attribute ${describe(name, datasetId)}`, name);
    }
    return { next: e, result: undefined };
  };
}

export function deleteEntity(id: string): EntityMutator<void> {
  return (current) => {
    requireEntity(current, id);
    return { next: null, result: undefined };
  };
}
