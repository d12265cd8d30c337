/**
 * Group commit for the SQLite store: entity writes that arrive together (in the same turn of the
 * event loop; while a group commits, the event loop waits, and the requests arriving meanwhile
 * make the next group) are applied one after the other inside ONE transaction, made durable by
 * one commit (one fsync with synchronous=FULL). Every caller is answered only after that commit:
 * an acknowledged write is on disk, and no reader ever sees a change that is not. A write that
 * fails leaves no trace and gets its own error; the others in the group are unaffected. If the
 * commit itself fails, every write of the group gets that error, and none of them happened.
 *
 * Each write is atomic on its own (see `atomic`). SAVEPOINTs give that, but cost: SQLite copies
 * every page a savepoint touches first into a sub-journal, which for a write spread over a dozen
 * indexes is most of its time. So a group first runs without them, relying on the shape of a
 * write: it reads, decides (where nearly all failures happen: not found, already exists, bad
 * data...), and only then writes (`writing()`). A failure before writing leaves nothing to undo.
 * A failure after writing (a recorder refusing the change, a constraint) rolls the group back and
 * runs it again with a savepoint around every atomic write, which undoes exactly that write.
 *
 * Each write runs in the async context of its caller (AsyncLocalStorage: the request being
 * served, the write's origin), so what change recorders read about "the current request" stays
 * true although the group runs later, from the event loop.
 */
import { AsyncResource } from 'node:async_hooks';
import type { Db } from './database.js';

/** One queued write: what it runs, and how it ended. */
class Queued<T, C> {
  ok = false;
  result: T | undefined;
  error: unknown;
  /** The async context of the caller (AsyncResource.bind would cost more: it defines deprecated accessors). */
  private readonly context = new AsyncResource('urbis.write');

  constructor(
    private readonly work: (collected: C[]) => T,
    readonly resolve: (value: T) => void,
    readonly reject: (error: unknown) => void,
  ) {}

  /** Runs the write in its caller's async context. */
  apply(collected: C[]): T {
    return this.context.runInAsyncScope(this.work, undefined, collected);
  }

  /** Answers the caller: its own result or error, or the failure of its group. */
  settle(groupFailure: unknown): void {
    if (groupFailure !== undefined && this.ok) this.reject(groupFailure);
    else if (this.ok) this.resolve(this.result as T);
    else this.reject(this.error ?? groupFailure);
  }
}

/** Thrown through a group run without savepoints when a write failed after writing. */
class NeedsSavepoints {}

export class GroupCommit<C> {
  private queue: Queued<unknown, C>[] = [];
  private scheduled = false;
  /** The group being applied uses a savepoint per atomic write. */
  private withSavepoints = false;
  /** The atomic write being applied has written something. */
  private wrote = false;
  private readonly savepoint: (work: () => unknown) => unknown;
  private readonly transaction: { immediate: (run: () => void) => void };
  /** Groups committed so far, writes in them, and groups that had to run again with savepoints. */
  readonly stats = { groups: 0, writes: 0, retried: 0 };

  constructor(
    private readonly db: Db,
    /** Called after each successful commit with what the group's writes collected, in order. */
    private readonly committed: (collected: C[]) => void,
  ) {
    this.savepoint = db.transaction((work: () => unknown) => work());
    this.transaction = db.transaction((run: () => void) => run());
  }

  /**
   * Queues a write for the next group; resolves with its result once the group has committed.
   * `work` runs inside the group's transaction in the async context of the caller, as one
   * `atomic` unit (it may contain others, for batches); it pushes what is to be reported after
   * the commit into `collected` (dropped if it throws).
   */
  run<T>(work: (collected: C[]) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push(new Queued(work, resolve, reject) as Queued<unknown, C>);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Runs `fn` as one atomic write inside the group: if it throws, whatever it wrote is undone.
   * `fn` calls `writing()` before its first change to the database.
   */
  atomic<T>(fn: () => T): T {
    if (this.withSavepoints) return this.savepoint(fn) as T;
    this.wrote = false;
    try {
      return fn();
    } catch (err) {
      if (this.wrote) throw new NeedsSavepoints();
      throw err;
    }
  }

  /** `atomic`, with the failure returned rather than thrown (for each entity of a batch). */
  attempt<T>(fn: () => T): { ok: true; result: T } | { ok: false; error: unknown } {
    try {
      return { ok: true, result: this.atomic(fn) };
    } catch (error) {
      if (error instanceof NeedsSavepoints) throw error;
      return { ok: false, error };
    }
  }

  /** Says that the atomic write being applied starts changing the database. */
  writing(): void {
    this.wrote = true;
  }

  /** Applies and commits every queued write now (also called before the database closes). */
  flush(): void {
    this.scheduled = false;
    const writes = this.queue;
    if (writes.length === 0) return;
    this.queue = [];
    let collected: C[] = [];
    let failure: unknown;
    try {
      this.withSavepoints = false;
      try {
        this.apply(writes, collected);
      } catch (err) {
        if (!(err instanceof NeedsSavepoints)) throw err;
        this.stats.retried++;
        this.withSavepoints = true;
        collected = [];
        this.apply(writes, collected);
      }
      this.stats.groups++;
      this.stats.writes += writes.length;
    } catch (err) {
      failure = err;
    } finally {
      this.withSavepoints = false;
    }
    try {
      if (failure === undefined && collected.length > 0) this.committed(collected);
    } finally {
      for (const w of writes) w.settle(failure);
    }
  }

  /** One transaction over all `writes` (rolled back whole when anything escapes it). */
  private apply(writes: Queued<unknown, C>[], collected: C[]): void {
    this.transaction.immediate(() => {
      for (const w of writes) {
        const mark = collected.length;
        w.ok = false;
        w.error = undefined;
        try {
          w.result = this.atomic(() => w.apply(collected));
          w.ok = true;
        } catch (err) {
          collected.length = mark;
          if (err instanceof NeedsSavepoints) throw err;
          w.error = err;
          // Errors such as SQLITE_FULL roll the whole transaction back: the group cannot go on.
          if (!this.db.inTransaction) throw err;
        }
      }
    });
  }
}
