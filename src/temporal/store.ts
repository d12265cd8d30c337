/**
 * The Store interface of the temporal API (entity history): what the temporal service needs from
 * persistence. The SQLite implementation is src/store/sqlite/temporal-store.ts. Names are expanded
 * IRIs; instants are epoch milliseconds. All methods are tenant-scoped ('' is the default tenant).
 */
import type { EntityChange } from '../broker/changes.js';
import type { GeoQuery } from '../broker/geo/geo-query.js';
import type { AttrInstance } from '../broker/model.js';
import type { QNode } from '../broker/query/q-parser.js';
import type { EntitySelector, ReadFilter } from '../broker/store.js';

/** The temporal property instances are selected and ordered by (NGSI-LD `timeproperty`). */
export type TimeProperty = 'observedAt' | 'createdAt' | 'modifiedAt' | 'deletedAt';

/**
 * A time constraint on instances. Instances without the time property never match. before:
 * t < timeAt; after: t >= timeAt; between: timeAt <= t < endTimeAt; no timerel: any t.
 */
export interface TimeFilter {
  property: TimeProperty;
  timerel?: 'before' | 'after' | 'between';
  timeAt?: number;
  endTimeAt?: number;
}

/** A temporal entity: outlives the current entity (deletedAt set when that was deleted). */
export interface TemporalEntity {
  pk: number;
  id: string;
  types: string[];
  createdAt: number;
  modifiedAt: number;
  deletedAt?: number;
}

/** Which temporal entities: selectors, attributes, q and geoQ are evaluated over the instances in `time`. */
export interface TemporalSelection {
  entities?: EntitySelector[];
  /** Entities must have instances of at least one of these attributes in the interval. */
  attrs?: string[];
  q?: QNode;
  geoQ?: GeoQuery & { geoproperty: string };
  expand: (term: string) => string;
  time: TimeFilter;
  /** What the caller may read (access control): hidden entities are left out, hidden attributes are as if absent. */
  readFilter?: ReadFilter;
}

/** One recorded attribute instance, with its system members (createdAt, modifiedAt, deletedAt) filled in. */
export interface StoredInstance {
  entityPk: number;
  name: string;
  instanceId: string;
  instance: AttrInstance;
  /** The instant of the time property the query used. */
  at: number;
}

/** An instance as an archive carries it (see restoreEntity). */
export interface RestoredInstance {
  name: string;
  instanceId: string;
  /** With createdAt and modifiedAt (and deletedAt for a deletion). */
  instance: AttrInstance;
}

export interface InstanceRead {
  /** Per attribute (entity + name), ordered by time ascending. */
  instances: StoredInstance[];
  /** Attributes (key `${entityPk} ${name}`) that had more instances than were returned. */
  cut: Set<string>;
}

/** How instances are grouped into periods, as a SQL-computable bucket number. */
export type Bucketing =
  | { kind: 'whole' }
  /** bucket = floor((t - anchor) / ms) */
  | { kind: 'fixed'; anchor: number; ms: number }
  /** bucket = floor(months since 1970-01 of t / months) */
  | { kind: 'months'; months: number };

/** Aggregates of one period of one attribute instance series (entity + name + datasetId). */
export interface AggregateRow {
  entityPk: number;
  name: string;
  datasetId?: string;
  kind: string;
  bucket: number;
  /** Earliest and latest instant in the period. */
  first: number;
  last: number;
  totalCount: number;
  distinctCount: number;
  /** Over numeric values only; `numeric` says how many there were. */
  numeric: number;
  sum: number | null;
  sumsq: number | null;
  min: number | null;
  max: number | null;
}

export interface TemporalStore {
  /** True when the tenant has history (the default tenant always exists). */
  tenantExists(tenant: string): Promise<boolean>;
  /** The temporal entity; undefined when there is none or `filter` hides it. */
  getEntity(tenant: string, id: string, filter?: ReadFilter): Promise<TemporalEntity | undefined>;
  queryEntities(tenant: string, sel: TemporalSelection, limit: number, offset: number, count: boolean): Promise<{ entities: TemporalEntity[]; count?: number }>;
  /**
   * The instances of `entityPks` (only `attrs` when given) in `time`, at most `perAttribute` per
   * attribute: the earliest ones (`newest` false) or the latest ones (`newest` true). Attributes
   * named in `hidden` (those the caller may not read) are left out.
   */
  readInstances(entityPks: number[], attrs: string[] | undefined, time: TimeFilter, perAttribute: number, newest: boolean, hidden?: readonly string[]): Promise<InstanceRead>;
  /**
   * Aggregates per period, computed by the store. Deletion instances are left out (unless
   * time.property is deletedAt), and so are the attributes named in `hidden`. distinctCount is only
   * computed when `distinct` (it is the costly one).
   */
  aggregate(entityPks: number[], attrs: string[] | undefined, time: TimeFilter, bucketing: Bucketing, distinct: boolean, hidden?: readonly string[]): Promise<AggregateRow[]>;

  /** Records a committed-with-it entity change as attribute instances (runs inside the write's transaction). */
  record(change: EntityChange): void;
  /**
   * Adds instances to a temporal entity, creating it when `types` is given and it does not exist.
   * Returns whether it was created; throws ResourceNotFound when it does not exist and no types are given.
   */
  addInstances(tenant: string, id: string, types: string[] | undefined, attrs: Record<string, AttrInstance[]>, now: number): Promise<boolean>;
  /** Replaces one instance's content; false when there is no such instance of that attribute. */
  replaceInstance(tenant: string, id: string, name: string, instanceId: string, instance: AttrInstance, now: number): Promise<boolean>;
  deleteInstance(tenant: string, id: string, name: string, instanceId: string): Promise<boolean>;
  /** Deletes the temporal entity and all its history; false when it does not exist. */
  deleteEntity(tenant: string, id: string): Promise<boolean>;
  /** Deletes the history of one attribute (its default instance, one datasetId, or all); false when there was none. */
  deleteAttribute(tenant: string, id: string, name: string, datasetId: string | undefined, all: boolean): Promise<boolean>;

  /** Every tenant with history, for export. */
  tenants(): Promise<string[]>;
  /**
   * Every instance of a temporal entity (deletions included), in the store's own order, a page at
   * a time: pass the returned cursor to get the next page (no cursor: the end). For export.
   */
  exportInstances(entityPk: number, cursor: string | undefined, limit: number): Promise<{ instances: RestoredInstance[]; cursor?: string }>;
  /**
   * Writes a temporal entity and its instances exactly as given (instanceIds, system members and
   * deletions included) into a store that does not have it: restoring an archive (urbis import).
   * Called again for the same entity, it adds the next instances.
   */
  restoreEntity(tenant: string, entity: Omit<TemporalEntity, 'pk'>, instances: RestoredInstance[]): Promise<void>;

  /** Temporal entities (pks) that have one of `types`, or (`others`) none of them. */
  entitiesForRetention(types: string[], others: boolean): Promise<number[]>;
  /** Deletes up to `limit` instances of an entity whose observedAt (or, without it, createdAt) is before `before`. */
  deleteExpired(entityPk: number, before: number, limit: number): Promise<number>;
  /**
   * Optional bulk step of retention, for a store that can remove old history wholesale (the
   * PostgreSQL store drops monthly partitions): deletes instances of any entity whose observedAt
   * (or createdAt) is before `before`, where it can do so in bulk; deleteExpired deletes the rest.
   * Returns how many it deleted.
   */
  dropExpired?(before: number): Promise<number>;
}
