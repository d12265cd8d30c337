/**
 * Groups entity writes that arrive within a few milliseconds into one store transaction per
 * tenant (one fsync for many measures): the broker's mutateEntities, each entity in its own
 * savepoint, so one failing message does not undo the others. Each caller's promise settles when
 * its write has committed (or failed).
 */
import type { BatchItem, BatchOutcome, BrokerStore } from '../broker/store.js';
import { withWriteOrigin, type WriteOrigin } from '../broker/origin.js';

/** The gateway's writes are its own, whichever request or message happened to start a batch. */
const GATEWAY: WriteOrigin = { actor: 'iot-gateway', client: 'device gateway' };

interface Pending {
  items: BatchItem<unknown>[];
  waiters: Array<(o: BatchOutcome<unknown>) => void>;
  timer?: NodeJS.Timeout;
}

export class WriteBatcher {
  private readonly pending = new Map<string, Pending>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Store transactions and entity writes made so far. */
  transactions = 0;
  entityWrites = 0;

  constructor(
    private readonly broker: BrokerStore,
    /** How long the first write of a batch waits for company. */
    private readonly windowMs = 5,
    private readonly maxItems = 500,
  ) {}

  write<R>(tenant: string, item: BatchItem<R>): Promise<BatchOutcome<R>> {
    let p = this.pending.get(tenant);
    if (!p) {
      p = { items: [], waiters: [] };
      this.pending.set(tenant, p);
    }
    const settled = new Promise<BatchOutcome<R>>((resolve) => p.waiters.push(resolve as (o: BatchOutcome<unknown>) => void));
    p.items.push(item as BatchItem<unknown>);
    if (p.items.length >= this.maxItems) this.flush(tenant);
    else p.timer ??= setTimeout(() => this.flush(tenant), this.windowMs);
    return settled;
  }

  private flush(tenant: string): void {
    const p = this.pending.get(tenant);
    if (!p) return;
    this.pending.delete(tenant);
    if (p.timer) clearTimeout(p.timer);
    this.transactions++;
    this.entityWrites += p.items.length;
    const done = withWriteOrigin(GATEWAY, () => this.broker.mutateEntities(tenant, p.items)).then(
      (outcomes) => outcomes.forEach((o, i) => p.waiters[i](o)),
      (error: unknown) => p.items.forEach((it, i) => p.waiters[i]({ id: it.id, ok: false, error })),
    );
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }

  /** Writes everything pending now and waits for it (on shutdown). */
  async drain(): Promise<void> {
    for (const tenant of [...this.pending.keys()]) this.flush(tenant);
    await Promise.all(this.inFlight);
  }
}
