/**
 * Hourly rollups of entity history, for aggregation: per attribute instance series (entity,
 * attribute, datasetId) and hour of observedAt, what the aggregation methods need of the instances
 * of that hour (count, count of numbers, sum, sum of squares, lowest, highest, first and last
 * instant, the kind). They are kept in the transaction of every change of temporal_instances:
 * added to when an instance is recorded, and recomputed from the instances for the hours an
 * instance left (modified or deleted through the temporal API, deleted by retention).
 *
 * A query by observedAt whose interval and periods fall on whole hours, and that does not ask
 * for distinctCount (which needs the values themselves), reads these rows (a month of one
 * attribute: 744) instead of its instances (a month at one every few seconds: a million).
 * Counts, lowest and highest values and instants are the same as from the instances, and so are
 * the sums of an hour recorded in time order; sums over several hours, or of an hour recomputed
 * after a change, may differ from the instances' in the last bits of a double (the values are
 * added in another order).
 */
import type { Statement } from 'better-sqlite3';
import type { Bucketing, TimeFilter } from '../../temporal/store.js';
import type { Db } from './database.js';

export const HOUR_MS = 3_600_000;

/** The migration of component 'temporal' that creates the rollups from the instances recorded so far. */
export const ROLLUPS_MIGRATION = `
  CREATE TABLE temporal_rollups (
    entity_pk   INTEGER NOT NULL,
    name        TEXT NOT NULL,
    dataset_id  TEXT NOT NULL,
    hour        INTEGER NOT NULL,          -- floor(observed_at / 3600000)
    kind        TEXT NOT NULL,             -- max(kind), as the aggregation over instances reports it
    first_at    INTEGER NOT NULL,          -- min(observed_at)
    last_at     INTEGER NOT NULL,          -- max(observed_at)
    instances   INTEGER NOT NULL,          -- count(*)
    numerics    INTEGER NOT NULL,          -- count(vnum)
    total       REAL,                      -- sum(vnum) = total + total_err (compensated, as SQLite sums)
    total_err   REAL,
    total_sq    REAL,                      -- sum(vnum * vnum) = total_sq + total_sq_err
    total_sq_err REAL,
    lowest      REAL,                      -- min(vnum)
    highest     REAL,                      -- max(vnum)
    PRIMARY KEY (entity_pk, name, hour, dataset_id)
  ) WITHOUT ROWID;
  INSERT INTO temporal_rollups ${rollupSelect('1')};
`;

/** The rollup rows of the instances matching `where` (over temporal_instances), grouped by hour. */
function rollupSelect(where: string): string {
  return (
    'SELECT entity_pk, name, dataset_id, CAST(floor(observed_at / 3600000.0) AS INTEGER) AS hour, max(kind), min(observed_at), max(observed_at), ' +
    'count(*), count(vnum), sum(vnum), CASE WHEN count(vnum) > 0 THEN 0.0 END, sum(vnum * vnum), CASE WHEN count(vnum) > 0 THEN 0.0 END, min(vnum), max(vnum) ' +
    `FROM temporal_instances WHERE observed_at IS NOT NULL AND deleted_at IS NULL AND ${where} GROUP BY entity_pk, name, dataset_id, hour`
  );
}

/** Whether a query can be answered from the rollups (see the module comment). */
export function rollupsServe(time: TimeFilter, bucketing: Bucketing, distinct: boolean): boolean {
  if (distinct || time.property !== 'observedAt') return false;
  const whole = (ms: number | undefined) => ms === undefined || ms % HOUR_MS === 0;
  if (!whole(time.timeAt) || !whole(time.endTimeAt)) return false;
  return bucketing.kind !== 'fixed' || (bucketing.ms % HOUR_MS === 0 && bucketing.anchor % HOUR_MS === 0);
}

/** `col` and `col_err` += the new value, one Kahan-Babuska-Neumaier step (SET of an upsert). */
function compensated(col: string): string {
  const s = `coalesce(${col}, 0)`;
  const r = `excluded.${col}`;
  return (
    `${col} = CASE WHEN excluded.numerics = 0 THEN ${col} ELSE ${s} + ${r} END, ` +
    `${col}_err = CASE WHEN excluded.numerics = 0 THEN ${col}_err ELSE coalesce(${col}_err, 0) + ` +
    `CASE WHEN abs(${s}) > abs(${r}) THEN (${s} - (${s} + ${r})) + ${r} ELSE (${r} - (${s} + ${r})) + ${s} END END`
  );
}

export class TemporalRollups {
  private readonly stmt: Record<string, Statement>;

  constructor(db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.stmt = {
      // The sums are compensated (Kahan-Babuska-Neumaier) as SQLite's sum() does: the hour of instances
      // recorded in time order sums to exactly what sum() over them gives.
      add: p(`INSERT INTO temporal_rollups (entity_pk, name, dataset_id, hour, kind, first_at, last_at, instances, numerics, total, total_err, total_sq, total_sq_err, lowest, highest)
        VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (entity_pk, name, hour, dataset_id) DO UPDATE SET
          kind = max(kind, excluded.kind), first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at),
          instances = instances + 1, numerics = numerics + excluded.numerics,
          ${compensated('total')}, ${compensated('total_sq')},
          lowest = CASE WHEN excluded.numerics = 0 THEN lowest WHEN lowest IS NULL THEN excluded.lowest ELSE min(lowest, excluded.lowest) END,
          highest = CASE WHEN excluded.numerics = 0 THEN highest WHEN highest IS NULL THEN excluded.highest ELSE max(highest, excluded.highest) END`),
      dropHour: p('DELETE FROM temporal_rollups WHERE entity_pk = ? AND name = ? AND hour = ? AND dataset_id = ?'),
      fillHour: p(`INSERT INTO temporal_rollups ${rollupSelect('entity_pk = ? AND name = ? AND dataset_id = ? AND observed_at >= ? AND observed_at < ?')}`),
      dropEntity: p('DELETE FROM temporal_rollups WHERE entity_pk = ?'),
      fillEntity: p(`INSERT INTO temporal_rollups ${rollupSelect('entity_pk = ?')}`),
      dropAttribute: p('DELETE FROM temporal_rollups WHERE entity_pk = ? AND name = ?'),
      dropDataset: p('DELETE FROM temporal_rollups WHERE entity_pk = ? AND name = ? AND dataset_id = ?'),
    };
  }

  /** Adds a recorded instance (not a deletion) observed at `observed`. */
  add(entityPk: number, name: string, datasetId: string, kind: string, observed: number, vnum: number | null): void {
    const n = vnum === null ? 0 : 1;
    const err = vnum === null ? null : 0;
    this.stmt.add.run(entityPk, name, datasetId, Math.floor(observed / HOUR_MS), kind, observed, observed, n, vnum, err, vnum === null ? null : vnum * vnum, err, vnum, vnum);
  }

  /** Recomputes the hour of `observed` from the instances (after one of them changed or left). */
  recompute(entityPk: number, name: string, datasetId: string, observed: number): void {
    const hour = Math.floor(observed / HOUR_MS);
    this.stmt.dropHour.run(entityPk, name, hour, datasetId);
    this.stmt.fillHour.run(entityPk, name, datasetId, hour * HOUR_MS, (hour + 1) * HOUR_MS);
  }

  /** Recomputes every rollup of an entity from its instances. */
  rebuildEntity(entityPk: number): void {
    this.stmt.dropEntity.run(entityPk);
    this.stmt.fillEntity.run(entityPk);
  }

  dropEntity(entityPk: number): void {
    this.stmt.dropEntity.run(entityPk);
  }

  /** Drops the rollups of an attribute: all its instance series, or the one of `datasetId`. */
  dropAttribute(entityPk: number, name: string, datasetId?: string): void {
    if (datasetId === undefined) this.stmt.dropAttribute.run(entityPk, name);
    else this.stmt.dropDataset.run(entityPk, name, datasetId);
  }
}

/**
 * The aggregation over the rollups, as the one over the instances (temporal-store.ts aggregate)
 * computes it: `names` is the condition on `i.name`, `bucket` the period number of an instant
 * (SQL over the instant given). Its parameters: the bucket's, the entities, the names', then
 * `hourParams`.
 */
export function rollupAggregation(entityCount: number, names: string, time: TimeFilter, bucket: (instant: string) => string): { sql: string; hourParams: number[] } {
  const hours: string[] = [];
  const hourParams: number[] = [];
  if (time.timerel === 'before') {
    hours.push(' AND i.hour < ?');
    hourParams.push(time.timeAt! / HOUR_MS);
  } else if (time.timerel === 'after') {
    hours.push(' AND i.hour >= ?');
    hourParams.push(time.timeAt! / HOUR_MS);
  } else if (time.timerel === 'between') {
    hours.push(' AND i.hour >= ? AND i.hour < ?');
    hourParams.push(time.timeAt! / HOUR_MS, time.endTimeAt! / HOUR_MS);
  }
  const sql =
    `SELECT i.entity_pk AS entityPk, i.name, i.dataset_id AS datasetId, max(i.kind) AS kind, ${bucket('(i.hour * 3600000)')} AS bucket, ` +
    'min(i.first_at) AS first, max(i.last_at) AS last, sum(i.instances) AS totalCount, 0 AS distinctCount, ' +
    'sum(i.numerics) AS numeric, sum(i.total + i.total_err) AS sum, sum(i.total_sq + i.total_sq_err) AS sumsq, min(i.lowest) AS min, max(i.highest) AS max ' +
    `FROM temporal_rollups i WHERE i.entity_pk IN (${Array.from({ length: entityCount }, () => '?').join(', ')})${names}${hours.join('')} ` +
    'GROUP BY i.entity_pk, i.name, i.dataset_id, bucket ORDER BY i.entity_pk, i.name, i.dataset_id, bucket';
  return { sql, hourParams };
}
