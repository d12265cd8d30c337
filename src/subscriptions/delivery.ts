/**
 * Delivery workers: one logical worker per subscription takes the oldest queued items (FIFO, so
 * each entity's notifications keep their order), sends them together in one Notification and
 * removes them from the queue only once the endpoint acknowledged them (2xx, MQTT PUBACK for
 * QoS 1, an internal receiver's resolved promise): at-least-once, nothing lost. A failure is
 * recorded in the delivery status and retried with capped exponential backoff; throttling holds
 * items until the window has passed. Sends of all subscriptions share a bounded number of slots
 * and each send is bounded by the timeout, so a hanging or failing endpoint never delays the
 * others. When several nodes share the store, a node delivers only the queues it has claimed
 * (store.claim): a queue that received items here but is claimed by another node is handed to
 * `options.claimedElsewhere` (to wake that node).
 */
import type { FastifyBaseLogger } from 'fastify';
import type { CompiledSubscription } from './compile.js';
import { subscriptionStatus } from './model.js';
import { notificationMessage, type NotificationMessage } from './notification.js';
import type { SubscriptionRegistry } from './registry.js';
import type { SubscriptionStore } from './store.js';

/** Sends one message to the subscription's endpoint; resolves when acknowledged, rejects otherwise. */
export type Send = (cs: CompiledSubscription, msg: NotificationMessage, signal: AbortSignal) => Promise<void>;

export interface DeliveryOptions {
  /** Longest wait for an endpoint's acknowledgement (ms). */
  timeoutMs: number;
  coreUrl: string;
  /** Sends in flight across all subscriptions. */
  concurrency?: number;
  /** Queued items sent together in one notification, at most. */
  batch?: number;
  /** First retry delay after a failure (ms), doubled on each further failure up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Items wait in a queue that another node has claimed. */
  claimedElsewhere?: (tenant: string, id: string) => void;
}

interface WorkerState {
  running?: Promise<void>;
  /** Items were queued while running. */
  again: boolean;
  /** A retry (backoff) or the end of a throttling window. */
  timer?: NodeJS.Timeout;
  failures: number;
  lastSentAt: number;
  /** This node held the queue's claim when the worker last asked. */
  claimed: boolean;
}

export class DeliveryWorkers {
  private readonly states = new Map<string, WorkerState>();
  private readonly closing = new AbortController();
  private free: number;
  private readonly waiting: Array<() => void> = [];
  private readonly batch: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(
    private readonly store: SubscriptionStore,
    private readonly registry: SubscriptionRegistry,
    private readonly send: Send,
    private readonly options: DeliveryOptions,
    private readonly log: FastifyBaseLogger,
  ) {
    this.free = options.concurrency ?? 32;
    this.batch = options.batch ?? 200;
    this.backoffMs = options.backoffMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
  }

  /** Items were queued for `key`: start its worker unless it runs or waits (retry, throttling). */
  kick(key: string): void {
    if (this.closing.signal.aborted) return;
    const st = this.state(key);
    if (st.running) {
      st.again = true;
      return;
    }
    if (st.timer) return;
    st.running = this.work(key, st).finally(() => {
      st.running = undefined;
      if (st.again && !st.timer) this.kick(key);
    });
  }

  /** The subscription changed (reactivated, new endpoint...): drop a pending retry and try now. */
  reset(key: string): void {
    const st = this.states.get(key);
    if (st?.timer) clearTimeout(st.timer);
    if (st) {
      st.timer = undefined;
      st.failures = 0;
    }
    this.kick(key);
  }

  /** This node delivers the queue (it holds its claim): its delivery status in memory is the newest. */
  delivering(key: string): boolean {
    return this.states.get(key)?.claimed === true;
  }

  forget(key: string): void {
    const st = this.states.get(key);
    if (st?.timer) clearTimeout(st.timer);
    this.states.delete(key);
  }

  private state(key: string): WorkerState {
    let st = this.states.get(key);
    if (!st) {
      st = { again: false, failures: 0, lastSentAt: 0, claimed: false };
      this.states.set(key, st);
    }
    return st;
  }

  private wakeLater(key: string, st: WorkerState, ms: number): void {
    st.timer = setTimeout(() => {
      st.timer = undefined;
      this.kick(key);
    }, ms);
  }

  private async work(key: string, st: WorkerState): Promise<void> {
    while (!this.closing.signal.aborted) {
      st.again = false;
      const cs = this.registry.get(key);
      if (!cs) return;
      const s = cs.stored.subscription;
      const status = subscriptionStatus(s);
      if (status === 'expired') {
        await this.store.dropQueue(cs.stored.tenant, s.id);
        return;
      }
      if (status === 'paused') return;
      if (!(await this.claim(cs, st))) return;
      const wait = s.throttling === undefined ? 0 : st.lastSentAt + s.throttling * 1000 - Date.now();
      if (wait > 0) {
        this.wakeLater(key, st, wait);
        return;
      }
      const rows = await this.store.readQueue(cs.stored.tenant, s.id, this.batch);
      if (rows.length === 0) return;
      const error = await this.attempt(cs, rows.map((r) => r.data));
      if (this.closing.signal.aborted) return;
      const now = new Date().toISOString();
      const d = cs.stored.delivery;
      d.timesSent++;
      d.lastNotification = now;
      if (error === undefined) {
        d.lastSuccess = now;
        d.status = 'ok';
        st.failures = 0;
        st.lastSentAt = Date.now();
        await this.store.acknowledge(cs.stored.tenant, s.id, rows[rows.length - 1].seq, d);
      } else {
        d.timesFailed++;
        d.lastFailure = now;
        d.status = 'failed';
        st.failures++;
        await this.store.saveDelivery(cs.stored.tenant, s.id, d);
        const delay = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (st.failures - 1));
        this.log.warn({ subscription: s.id, endpoint: s.notification.endpoint.uri, err: error.message, retryInMs: delay }, 'notification not delivered');
        this.wakeLater(key, st, delay);
        return;
      }
    }
  }

  /**
   * Whether this node holds the queue's claim (asking the store, which answers at once for a claim
   * held). On taking a claim over, the delivery status is read again: another node may have
   * delivered before.
   */
  private async claim(cs: CompiledSubscription, st: WorkerState): Promise<boolean> {
    const { tenant } = cs.stored;
    const { id } = cs.stored.subscription;
    if (!(await this.store.claim(tenant, id))) {
      st.claimed = false;
      this.options.claimedElsewhere?.(tenant, id);
      return false;
    }
    if (!st.claimed) {
      st.claimed = true;
      const saved = await this.store.get(tenant, id);
      if (saved) Object.assign(cs.stored.delivery, saved.delivery);
    }
    return true;
  }

  /** One send in a shared slot; the error, or undefined when acknowledged. */
  private async attempt(cs: CompiledSubscription, data: unknown[]): Promise<Error | undefined> {
    await this.acquire();
    // A plain controller and timer: signals combined with AbortSignal.any can be collected before they fire.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error(`no acknowledgement within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
    const onClose = () => abort.abort(this.closing.signal.reason);
    this.closing.signal.addEventListener('abort', onClose, { once: true });
    try {
      const msg = notificationMessage(cs, data, this.options.coreUrl);
      await abortable(this.send(cs, msg, abort.signal), abort.signal);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    } finally {
      clearTimeout(timer);
      this.closing.signal.removeEventListener('abort', onClose);
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }

  /** Aborts sends in flight (their items stay queued) and waits for the workers to stop. */
  async close(): Promise<void> {
    this.closing.abort(new Error('Urbis is stopping'));
    for (const st of this.states.values()) if (st.timer) clearTimeout(st.timer);
    while (this.waiting.length > 0) this.release();
    await Promise.allSettled([...this.states.values()].map((st) => st.running));
  }
}

/** `p`, or a rejection as soon as `signal` aborts (timeout or shutdown), whatever the sender does. */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
