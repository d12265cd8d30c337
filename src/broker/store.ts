/**
 * The broker's Store interface: everything the broker needs from persistence. The SQLite store
 * (src/store/sqlite) implements it; a PostgreSQL store can follow without touching routes or
 * query logic. All methods are tenant-scoped; '' is the default tenant.
 */
import type { Entity } from './model.js';
import type { ChangeRecorder, CommitListener } from './changes.js';
import type { QNode } from './query/q-parser.js';
import type { TypeSelection } from './query/type-selection.js';
import type { ScopeQuery } from './query/scope-q.js';
import type { GeoQuery } from './geo/geo-query.js';

/**
 * A pure, synchronous change of one entity: given its current state (undefined when absent),
 * returns the next state (undefined: no change; null: delete the entity) and a result.
 * It may throw an NgsiError, in which case nothing is written. It never modifies `current`: what
 * changes is a new object, and an attribute instance it keeps as it was is the same object (the
 * store writes only the instances that are not).
 */
export type EntityMutator<R> = (current: Entity | undefined) => { next: Entity | null | undefined; result: R };

export interface BatchItem<R> {
  id: string;
  mutate: EntityMutator<R>;
}

export type BatchOutcome<R> = { id: string; ok: true; result: R } | { id: string; ok: false; error: unknown };

/** Which entities: all conditions given must hold (ids: any of them). */
export interface EntitySelector {
  ids?: string[];
  idPattern?: string;
  typeSelection?: TypeSelection;
}

/** A query over entities; terms are already expanded (IRIs) except inside the ASTs, expanded via `expand`. */
export interface EntityQuery {
  /** Entities matching any of the selectors. */
  entities?: EntitySelector[];
  /** Entities must have at least one of these attributes (expanded names). */
  attrs?: string[];
  q?: QNode;
  scopeQ?: ScopeQuery;
  geoQ?: GeoQuery & { geoproperty: string };
  /** Expands a term of the q language or type selection to an IRI. */
  expand: (term: string) => string;
  limit: number;
  offset: number;
  count: boolean;
  /** What the caller may read (access control); absent: everything. */
  readFilter?: ReadFilter;
}

/**
 * The part of a tenant's data one caller may read, as conditions a store applies inside its
 * queries (so pages, counts and discovery never include what the caller may not see).
 */
export interface ReadFilter {
  /** Entities having any of these types (expanded) are left out... */
  hiddenTypes?: string[];
  /** ...or, when given, entities must have only these types... */
  onlyTypes?: string[];
  /** ...unless one of these attributes (expanded names) has `id` as value or object (the caller's own records). */
  owner?: { attrs: string[]; id: string };
  /** Attributes the caller may not read: q terms, attrs and geoQ treat them as absent. */
  hiddenAttrs?: string[];
}

/**
 * Access control for one caller, applied by the entity service (src/identity implements it).
 * Errors thrown are NgsiErrors (ResourceNotFound, Forbidden, AlreadyExists).
 */
export interface EntityAccess {
  readFilter: ReadFilter;
  /** The entity as the caller may see it (hidden attributes removed), or undefined when it is invisible. */
  visible(entity: Entity): Entity | undefined;
  /**
   * Wraps a mutator: an existing entity the caller may not see is treated as absent (404; 409 for
   * creations), the mutator sees only what the caller may see, and the outcome must be writable.
   */
  guard<R>(id: string, mutate: EntityMutator<R>, creating: boolean): EntityMutator<R>;
}

export interface EntityPage {
  entities: Entity[];
  /** Total number of matching entities, when asked for. */
  count?: number;
}

export interface TypeInfo {
  type: string;
  entityCount: number;
  attributes: Array<{ name: string; kinds: string[] }>;
}

export interface AttributeInfo {
  name: string;
  attributeCount: number;
  kinds: string[];
  types: string[];
}

export interface StoredContext {
  id: string;
  url: string;
  kind: 'Hosted' | 'Cached' | 'ImplicitlyCreated';
  body: unknown;
  createdAt: string;
  lastUsage?: string;
  hits: number;
}

export interface BrokerStore {
  /** True when the tenant has been created (by a first write). The default tenant always exists. */
  tenantExists(tenant: string): Promise<boolean>;
  getEntity(tenant: string, id: string): Promise<Entity | undefined>;
  /** Applies one mutator atomically: commits before resolving. */
  mutateEntity<R>(tenant: string, id: string, mutate: EntityMutator<R>): Promise<R>;
  /** Applies each mutator atomically on its own; one failing does not undo the others. */
  mutateEntities<R>(tenant: string, items: BatchItem<R>[]): Promise<BatchOutcome<R>[]>;
  queryEntities(tenant: string, query: EntityQuery): Promise<EntityPage>;
  listTypes(tenant: string, filter?: ReadFilter): Promise<TypeInfo[]>;
  listAttributes(tenant: string, filter?: ReadFilter): Promise<AttributeInfo[]>;
  saveContext(tenant: string, ctx: StoredContext): Promise<void>;
  getContext(tenant: string, idOrUrl: string): Promise<StoredContext | undefined>;
  listContexts(tenant: string): Promise<StoredContext[]>;
  deleteContext(tenant: string, id: string): Promise<boolean>;
  /** Synchronous look-up of a registered context by URL, for the JSON-LD resolver. */
  lookupContextByUrl(tenant: string, url: string): unknown | undefined;
  /**
   * Adds a recorder that every entity write calls inside its transaction (history, the
   * notification outbox). Recorders are store-specific: they write in the store's own transaction.
   */
  addChangeRecorder(recorder: ChangeRecorder): void;
  /** Adds a listener called after each committed write with the changes it made. */
  addCommitListener(listener: CommitListener): void;
  /** Every tenant that has been created (the default tenant '' included when it has data), for export. */
  tenants(): Promise<string[]>;
  /**
   * Writes entities exactly as given (system timestamps included) into a tenant that does not
   * have them, without change recorders or commit listeners: restoring an archive (urbis import).
   */
  restoreEntities(tenant: string, entities: Entity[]): Promise<void>;
  /** Store is reachable (for /ready). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
