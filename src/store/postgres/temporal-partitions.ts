/**
 * The monthly partitions of the PostgreSQL history (temporal_instances, partitioned by range on
 * `at` = observedAt, or createdAt without it, in epoch ms; one partition per UTC calendar month,
 * named temporal_instances_yYYYYmMM, and a default partition as safety net).
 *
 * Partitions are never created inside a write's transaction (DDL there would lock the whole
 * history table for the length of the write, and two nodes doing it at once could deadlock).
 * Instead, a write whose instances fall in a month without a partition lands in the default
 * partition, and tells this manager, which soon after, in a short transaction of its own, locks
 * the history table (waiting at most LOCK_TIMEOUT for the transactions using it, else retrying
 * later), creates the month's table, moves that month's rows out of the default partition into it
 * and attaches it. The lock is the whole table's because a writer that had chosen the default
 * partition for a row before the new partition existed would otherwise fail. The next month's
 * partition is created ahead of time as soon as a write happens in the current month, so
 * instances of the present never wait in the default partition. Months more than a year ahead
 * (and a century back) get no partition: their instances stay in the default partition.
 *
 * Several nodes share the database: partition DDL runs under one advisory lock, each node re-reads
 * the catalogue before acting, and what a node believes exists is only a hint (an instance always
 * lands in the right place: PostgreSQL routes rows by the partitions that actually exist).
 *
 * Retention drops whole partitions whose month ended before the retention limit (dropBefore).
 */
import { monthIndex, monthStart } from '../../temporal/duration.js';
import type { PgDatabase, PgTx } from './database.js';

export const INSTANCES_TABLE = 'temporal_instances';
export const DEFAULT_PARTITION = 'temporal_instances_default';

/** Advisory lock key of partition DDL ('urbi' 'p'). */
const PARTITION_LOCK = 0x75726269_70;
/** Longest wait for a table lock before a partition step gives up (and is retried later). */
const LOCK_TIMEOUT = '500ms';
/** PostgreSQL's error codes: lock_timeout expired; no such table. */
const LOCK_NOT_AVAILABLE = '55P03';
const UNDEFINED_TABLE = '42P01';
/** After a failed attempt (a lock not had in time), wait this long before trying again. */
const RETRY_MS = 5_000;
/** Months ahead of now (and back) that get a partition. */
const MONTHS_AHEAD = 12;
const MONTHS_BACK = 1200;

/** The partition of month `m` (months since 1970-01). */
export function partitionName(m: number): string {
  const start = new Date(monthStart(m));
  const y = String(start.getUTCFullYear()).padStart(4, '0');
  const mm = String(start.getUTCMonth() + 1).padStart(2, '0');
  return `${INSTANCES_TABLE}_y${y}m${mm}`;
}

const NAME = /^temporal_instances_y(\d{4})m(\d{2})$/;

function monthOfName(name: string): number | undefined {
  const m = NAME.exec(name);
  return m ? (Number(m[1]) - 1970) * 12 + Number(m[2]) - 1 : undefined;
}

export class TemporalPartitions {
  /** Months believed to have a partition (a hint: see the module comment). */
  private readonly known = new Set<number>();
  /** Months waiting for a partition. */
  private readonly wanted = new Set<number>();
  /** A run of ensure() is scheduled or in progress. */
  private running = false;
  /** A failed run waits for its retry. */
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly db: PgDatabase) {}

  /** Reads the partitions that exist; creates this month's and the next one's (later, when the table is too busy now). */
  async init(): Promise<void> {
    const now = monthIndex(Date.now());
    await this.ensureFor([monthStart(now), monthStart(now + 1)]);
  }

  /**
   * Called (synchronously) with the `at` instants a write is about to insert: when one of their
   * months, or the next month, has no partition yet, creation is scheduled after the write.
   */
  notice(instants: Iterable<number>): void {
    const months = new Set<number>();
    for (const at of instants) months.add(monthIndex(at));
    months.add(monthIndex(Date.now()) + 1);
    let missing = false;
    for (const m of months) {
      if (!this.known.has(m) && this.inWindow(m)) {
        this.wanted.add(m);
        missing = true;
      }
    }
    if (missing) this.schedule();
  }

  /** Runs ensure() soon (after the current write) unless a run or a retry is pending; a failed run is retried after RETRY_MS. */
  private schedule(): void {
    if (this.running || this.retry || this.db.pool.ending) return;
    this.running = true;
    setImmediate(() => {
      this.ensure([]).then(
        () => {
          this.running = false;
          // Months noticed while it ran.
          if ([...this.wanted].some((m) => !this.known.has(m))) this.schedule();
        },
        () => {
          this.running = false;
          this.retry = setTimeout(() => {
            this.retry = undefined;
            this.schedule();
          }, RETRY_MS);
          this.retry.unref();
        },
      );
    });
  }

  /**
   * Creates the partitions of `instants`' months (and those wanted) now, before a write that
   * inserts them. When the history table is too busy to be locked in time, they are created
   * later and the write's instances wait in the default partition meanwhile.
   */
  async ensureFor(instants: Iterable<number>): Promise<void> {
    const months = new Set<number>();
    for (const at of instants) months.add(monthIndex(at));
    try {
      await this.ensure(months);
    } catch (err) {
      if ((err as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw err;
      this.schedule();
    }
  }

  /**
   * Creates the partitions of `months` and of the months noticed earlier (those in the window
   * that lack one), moving their rows out of the default partition; also gives a partition to
   * any month whose rows wait in the default partition. Throws when a lock could not be had.
   */
  private async ensure(months: Iterable<number>): Promise<void> {
    for (const m of months) if (this.inWindow(m)) this.wanted.add(m);
    if (this.known.size > 0 && [...this.wanted].every((m) => this.known.has(m))) {
      this.wanted.clear();
      return;
    }
    const created = await this.db.transaction(async (tx) => {
      await this.lock(tx);
      await this.reload(tx);
      const waiting = await tx.query<{ m: number }>(
        `SELECT DISTINCT ((extract(year FROM d) - 1970) * 12 + extract(month FROM d) - 1)::int AS m
           FROM (SELECT to_timestamp(at / 1000.0) AT TIME ZONE 'UTC' AS d FROM ${DEFAULT_PARTITION}) x`,
      );
      for (const { m } of waiting) if (this.inWindow(m)) this.wanted.add(m);
      const create = [...this.wanted].filter((m) => !this.known.has(m)).sort((a, b) => a - b);
      if (create.length === 0) return [];
      // The whole table, not only the default partition: a writer that had routed a row to the
      // default partition with the partitions as they were before would fail its write.
      await tx.query(`LOCK TABLE ${INSTANCES_TABLE} IN ACCESS EXCLUSIVE MODE`);
      for (const m of create) {
        const name = partitionName(m);
        const lo = monthStart(m);
        const hi = monthStart(m + 1);
        await tx.query(`CREATE TABLE ${name} (LIKE ${INSTANCES_TABLE} INCLUDING DEFAULTS)`);
        await tx.query(`WITH moved AS (DELETE FROM ${DEFAULT_PARTITION} WHERE at >= $1 AND at < $2 RETURNING *) INSERT INTO ${name} SELECT * FROM moved`, [lo, hi]);
        await tx.query(`ALTER TABLE ${INSTANCES_TABLE} ATTACH PARTITION ${name} FOR VALUES FROM (${lo}) TO (${hi})`);
      }
      return create;
    });
    // Known only once committed: a failure leaves them wanted.
    for (const m of created) this.known.add(m);
    for (const m of this.wanted) if (this.known.has(m) || !this.inWindow(m)) this.wanted.delete(m);
  }

  /**
   * Drops the partitions whose whole month lies before `before`, each in its own short
   * transaction; returns how many instances they held. A partition that cannot be locked in time
   * (the history table is busy) is left for the next time: the caller's chunked deletes take
   * care of its instances meanwhile.
   */
  async dropBefore(before: number): Promise<number> {
    let dropped = 0;
    for (const m of await existingMonths(this.db)) {
      if (monthStart(m + 1) > before) continue;
      const name = partitionName(m);
      try {
        // Counted before, outside the lock: nothing is written to a month that long gone (a late
        // instance would only make the count a little low).
        const [{ n }] = await this.db.query<{ n: number }>(`SELECT count(*)::int8 AS n FROM ${name}`);
        dropped += await this.db.transaction(async (tx) => {
          await this.lock(tx);
          // Another node may have dropped it meanwhile.
          const [{ exists }] = await tx.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [name]);
          if (exists) await tx.query(`DROP TABLE ${name}`);
          return exists ? n : 0;
        });
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === LOCK_NOT_AVAILABLE) break;
        // Another node dropped it first.
        if (code !== UNDEFINED_TABLE) throw err;
      }
      this.known.delete(m);
    }
    return dropped;
  }

  private inWindow(m: number): boolean {
    const now = monthIndex(Date.now());
    return m >= now - MONTHS_BACK && m <= now + MONTHS_AHEAD;
  }

  /** Takes the cluster-wide partition lock for the transaction, and bounds its waits for table locks. */
  private async lock(tx: PgTx): Promise<void> {
    await tx.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
    await tx.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
  }

  /** Re-reads which monthly partitions exist (another node may have created or dropped some). */
  private async reload(tx: PgTx): Promise<void> {
    this.known.clear();
    for (const m of await existingMonths(tx)) this.known.add(m);
  }
}

/** The months that have a partition, from the catalogue. */
async function existingMonths(q: PgTx | PgDatabase): Promise<number[]> {
  const rows = await q.query<{ name: string }>('SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass', [
    INSTANCES_TABLE,
  ]);
  return rows.map((r) => monthOfName(r.name)).filter((m): m is number => m !== undefined);
}
