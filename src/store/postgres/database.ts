/**
 * The PostgreSQL connection pool, transactions and schema migrations shared by every PostgreSQL
 * store. Each store keeps its own tables and migration list (as the SQLite stores do) and runs
 * its statements through one PgDatabase.
 */
import pg from 'pg';

/** Result rows of a query. */
export type Rows<T> = T[];

/** int8 (bigint) and numeric come back as numbers: counts, sequence numbers and epoch milliseconds fit. */
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

export interface PgOptions {
  /** Connections in the pool. */
  max?: number;
  /** Name this process reports to PostgreSQL (pg_stat_activity). */
  applicationName?: string;
}

export class PgDatabase {
  readonly pool: pg.Pool;

  constructor(
    readonly url: string,
    opts: PgOptions = {},
  ) {
    this.pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, application_name: opts.applicationName ?? 'urbis' });
    // An idle connection that the server closes (restart, failover) must not crash the process.
    this.pool.on('error', () => {});
  }

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<Rows<T>> {
    const r = await this.pool.query(sql, params);
    return r.rows as T[];
  }

  /**
   * Runs `fn` in a transaction on one connection: COMMIT when it resolves (after every statement
   * deferred by synchronous recorders has run), ROLLBACK when it or any of them throws.
   */
  async transaction<R>(fn: (tx: PgTx) => Promise<R>, isolation: 'read committed' | 'repeatable read' | 'serializable' = 'read committed'): Promise<R> {
    const client = await this.pool.connect();
    const tx = new PgTx(client);
    try {
      await client.query(isolation === 'read committed' ? 'BEGIN' : `BEGIN ISOLATION LEVEL ${isolation.toUpperCase()}`);
      const result = await fn(tx);
      await tx.settle();
      await client.query('COMMIT');
      tx.committed();
      return result;
    } catch (err) {
      // Deferred statements still queued must run before ROLLBACK, not after it outside the transaction.
      await tx.settle().catch(() => {});
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * One open transaction. `query` runs a statement and waits for it; `defer` and `deferWork` queue
 * work from synchronous code (a change recorder, an audit append) without waiting: queued work
 * runs in order on the transaction's connection, and the transaction settles it before it
 * commits (a failure of any of it rolls the transaction back).
 */
export class PgTx {
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private readonly onCommit: Array<() => void> = [];

  constructor(readonly client: pg.PoolClient) {}

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<Rows<T>> {
    await this.settle();
    const r = await this.client.query(sql, params);
    return r.rows as T[];
  }

  /** Queues one statement. */
  defer(sql: string, params: unknown[] = []): void {
    this.deferWork(async (tx) => {
      await tx.client.query(sql, params);
    });
  }

  /** Queues work that needs results (read, compute, write) on this transaction. */
  deferWork(work: (tx: PgTx) => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.failure !== undefined) return;
      try {
        await work(this);
      } catch (err) {
        this.failure = err;
      }
    });
  }

  /** Waits for the queued work; throws the first failure (the transaction must then roll back). */
  async settle(): Promise<void> {
    await this.chain;
    if (this.failure !== undefined) throw this.failure;
  }

  /** Calls `fn` once the transaction has committed (never when it rolls back), e.g. to wake a worker. */
  afterCommit(fn: () => void): void {
    this.onCommit.push(fn);
  }

  /** Runs the afterCommit callbacks (PgDatabase.transaction calls it after COMMIT); they cannot undo the commit. */
  committed(): void {
    for (const fn of this.onCommit) {
      try {
        fn();
      } catch {
        // The commit stands whatever a callback does.
      }
    }
  }
}

let active: PgTx | undefined;

/**
 * Runs synchronous `fn` with `tx` as the active transaction: what synchronous code called from it
 * defers (change recorders, audit appends) joins that transaction and commits or rolls back with it.
 */
export function withActiveTx<R>(tx: PgTx, fn: () => R): R {
  const outer = active;
  active = tx;
  try {
    return fn();
  } finally {
    active = outer;
  }
}

/** The transaction synchronous code runs inside, if any (see withActiveTx). */
export function activeTx(): PgTx | undefined {
  return active;
}
