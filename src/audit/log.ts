/**
 * The audit log: appends entries to the hash chain. Entries that belong to a database write are
 * appended synchronously inside that write's transaction (no extra commit, no extra fsync); the
 * others (denials, failed requests, sign-ins, restricted reads) are queued and appended in
 * batches, one transaction every FLUSH_MS, so that no request waits for an audit fsync.
 */
import { verifyChain, type AuditEntry, type AuditRecord, type VerifyResult } from './chain.js';
import type { AuditFilter, AuditStore } from './store.js';

const FLUSH_MS = 200;
const VERIFY_PAGE = 5000;

export class AuditLog {
  private queue: Array<AuditEntry & { at: string }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: AuditStore,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** Appends now: inside the caller's open transaction, if any. */
  record(entry: AuditEntry): void {
    this.store.append([{ ...entry, at: new Date().toISOString() }]);
  }

  /** Appends with the next batch (within FLUSH_MS). */
  enqueue(entry: AuditEntry): void {
    this.queue.push({ ...entry, at: new Date().toISOString() });
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Appends every queued entry, in one transaction. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    try {
      this.store.append(batch);
    } catch (err) {
      this.queue = [...batch, ...this.queue];
      this.onError(err);
    }
  }

  async query(filter: AuditFilter): Promise<{ records: AuditRecord[]; total: number }> {
    this.flush();
    return this.store.query(filter);
  }

  async verify(): Promise<VerifyResult> {
    this.flush();
    return verifyChain((after) => this.store.page(after, VERIFY_PAGE), await this.store.head());
  }

  /** Appends what is queued and waits until the store has written it (a failure is reported, not thrown). */
  async close(): Promise<void> {
    this.flush();
    await this.store.head().catch((err: unknown) => this.onError(err));
  }
}
