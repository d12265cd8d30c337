/**
 * The subscriptions' logic (no HTTP): create, read, list, update and delete subscriptions, and
 * run the notification machinery behind them: the outbox recorder (inside writes), the
 * dispatcher (after commits), the per-subscription delivery workers and the periodic scheduler.
 * In-process consumers receive notifications through the same queues by registering a receiver
 * and subscribing with the endpoint `urn:urbis:internal:<name>`. With access control on, a
 * subscription keeps the principal that created (or last changed) it, and notifies only what that
 * principal may read (access.ts).
 *
 * Several nodes may share the store (PostgreSQL). Each keeps every subscription in memory and
 * follows the others' changes (CHANNELS.subscriptions, and the store's generation, which also
 * covers messages not yet received); any node dispatches the outbox, one at a time; each queue is
 * delivered by the node holding its claim, woken by the others over CHANNELS.queues; an in-process
 * receiver exists on every node, so what the delivering node's receiver took is handed to the
 * others' over CHANNELS.internal. Every second a node also looks for work a dead node left.
 */
import type { FastifyBaseLogger } from 'fastify';
import { alreadyExists, badRequest, notFound } from '../errors.js';
import type { CompiledContext } from '../broker/jsonld/compiled-context.js';
import type { BrokerStore } from '../broker/store.js';
import { CHANNELS, isResync, type ClusterBus } from '../cluster/bus.js';
import type { SubscriberAccess } from './access.js';
import { compileSubscription, queueKey, type CompiledSubscription } from './compile.js';
import { DeliveryWorkers } from './delivery.js';
import { Dispatcher } from './dispatcher.js';
import { postNotification } from './http-sender.js';
import { mergeFragment, parseSubscription } from './input.js';
import { INTERNAL_SCHEME, subscriptionStatus, type StoredSubscription } from './model.js';
import { MqttSender } from './mqtt-sender.js';
import type { NotificationMessage } from './notification.js';
import { outboxRecorder } from './outbox.js';
import { PeriodicNotifier } from './periodic.js';
import { SubscriptionRegistry } from './registry.js';
import type { SubscriptionStore } from './store.js';

/** An in-process receiver: resolves when it has taken the notification, rejects to have it retried. */
export type InternalReceiver = (notification: Record<string, unknown>, tenant: string) => Promise<void>;

/** How often a node that shares its store looks for work the others left and changes it missed (ms). */
const POLL_MS = 1000;

export interface SubscriptionServiceOptions {
  store: SubscriptionStore;
  broker: BrokerStore;
  /** The other nodes sharing the store (LocalBus when there are none). */
  bus: ClusterBus;
  /** Compiles an @context value (undefined: the core context) for a tenant. */
  compileContext: (value: unknown, tenant: string) => Promise<CompiledContext>;
  coreUrl: string;
  /** Longest wait for an endpoint's acknowledgement (ms). */
  notifyTimeoutMs: number;
  log: FastifyBaseLogger;
  /** Access control (the subscriber's principal and what it may read); undefined when it is off. */
  access?: SubscriberAccess;
}

export class SubscriptionService {
  private readonly registry = new SubscriptionRegistry();
  private readonly store: SubscriptionStore;
  private readonly dispatcher: Dispatcher;
  private readonly workers: DeliveryWorkers;
  private readonly periodic: PeriodicNotifier;
  private readonly mqtt = new MqttSender();
  private readonly receivers = new Map<string, InternalReceiver>();
  private readonly unsubscribe: Array<() => void> = [];
  /** The registry has been loaded once (later loads bring only changes). */
  private loaded = false;
  private refreshing: Promise<void> | undefined;
  private refreshAfter: Promise<void> | undefined;
  private poller: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: SubscriptionServiceOptions) {
    this.store = options.store;
    const queued = (keys: Set<string>) => keys.forEach((k) => this.workers.kick(k));
    this.dispatcher = new Dispatcher(this.store, this.registry, queued, (generation) => this.catchUp(generation), options.log, options.access);
    this.workers = new DeliveryWorkers(
      this.store,
      this.registry,
      (cs, msg, signal) => this.send(cs, msg, signal),
      { timeoutMs: options.notifyTimeoutMs, coreUrl: options.coreUrl, claimedElsewhere: (tenant, id) => options.bus.publish(CHANNELS.queues, { tenant, id }) },
      options.log,
    );
    this.periodic = new PeriodicNotifier(options.broker, this.store, queued, options.log, options.access);
    options.broker.addChangeRecorder(outboxRecorder(this.registry, this.store));
    options.broker.addCommitListener(() => this.dispatcher.wake());
  }

  /** Loads the subscriptions, then delivers what the outbox and the queues still hold (after a restart). */
  async start(): Promise<void> {
    const { bus } = this.options;
    this.unsubscribe.push(
      bus.subscribe(CHANNELS.subscriptions, () => this.refreshSoon()),
      bus.subscribe(CHANNELS.queues, (m) => (isQueue(m) ? this.workers.kick(queueKey(m.tenant, m.id)) : this.poll())),
      bus.subscribe(CHANNELS.internal, (m) => this.receiveInternal(m)),
    );
    await this.refresh();
    this.dispatcher.wake();
    for (const { tenant, id } of await this.store.queued()) this.workers.kick(queueKey(tenant, id));
    if (this.store.shared) {
      this.poller = setInterval(() => this.poll(), POLL_MS);
      this.poller.unref();
    }
  }

  /** Registers the in-process receiver that endpoint `urn:urbis:internal:<name>` delivers to. */
  registerInternalReceiver(name: string, receiver: InternalReceiver): void {
    this.receivers.set(name, receiver);
    for (const cs of this.registry.all()) if (cs.stored.subscription.notification.endpoint.uri === INTERNAL_SCHEME + name) this.workers.reset(cs.key);
  }

  async create(tenant: string, body: unknown, contextValue: unknown): Promise<string> {
    const now = new Date().toISOString();
    const subscription = parseSubscription(body, now);
    const stored: StoredSubscription = {
      tenant,
      subscription,
      context: subscription.jsonldContext ?? contextValue,
      delivery: { timesSent: 0, timesFailed: 0 },
    };
    const principal = this.options.access?.current();
    if (principal) stored.principal = principal;
    const cs = await this.compile(stored);
    if (!(await this.store.insert(stored))) throw alreadyExists(`subscription ${subscription.id} already exists`, subscription.id);
    this.activate(cs);
    this.announce(tenant, subscription.id);
    return subscription.id;
  }

  async get(tenant: string, id: string): Promise<StoredSubscription> {
    const stored = await this.store.get(tenant, id);
    if (!stored) throw notFound(`subscription ${id} does not exist`, id);
    return this.withDelivery(stored);
  }

  async list(tenant: string, limit: number, offset: number): Promise<{ items: StoredSubscription[]; count: number }> {
    const page = await this.store.list(tenant, limit, offset);
    return { count: page.count, items: page.items.map((s) => this.withDelivery(s)) };
  }

  /** The delivery status in memory of the node delivering a subscription is the newest (it is saved with each send). */
  private withDelivery(stored: StoredSubscription): StoredSubscription {
    const cs = this.registry.find(stored.tenant, stored.subscription.id);
    return cs && this.workers.delivering(cs.key) ? { ...stored, delivery: cs.stored.delivery } : stored;
  }

  /** PATCH: merges the fragment; a context given with it (Link, @context or jsonldContext) replaces the stored one. */
  async update(tenant: string, id: string, fragment: unknown, contextValue: unknown): Promise<void> {
    const current = await this.get(tenant, id);
    const merged = mergeFragment(current.subscription, fragment);
    if (Object.keys(fragment as object).filter((k) => k !== '@context').length === 0) throw badRequest('the fragment changes nothing');
    const subscription = parseSubscription(merged, new Date().toISOString(), current.subscription.createdAt);
    const context = subscription.jsonldContext ?? contextValue ?? current.context;
    const stored: StoredSubscription = { tenant, subscription, context, delivery: current.delivery };
    // Whoever changes a subscription (its endpoint, its filters) now decides what it may carry.
    const principal = this.options.access?.current() ?? current.principal;
    if (principal) stored.principal = principal;
    const cs = await this.compile(stored);
    await this.store.replace(stored);
    this.activate(cs);
    this.workers.reset(cs.key);
    this.announce(tenant, id);
  }

  async delete(tenant: string, id: string): Promise<void> {
    if (!(await this.store.delete(tenant, id))) throw notFound(`subscription ${id} does not exist`, id);
    this.deactivate(tenant, id);
    this.announce(tenant, id);
  }

  private async compile(stored: StoredSubscription): Promise<CompiledSubscription> {
    return compileSubscription(stored, await this.options.compileContext(stored.context, stored.tenant));
  }

  /** Puts a subscription in memory (replacing its previous version, whose delivery status goes on if this node delivers it). */
  private activate(cs: CompiledSubscription): void {
    const previous = this.registry.get(cs.key);
    if (previous && this.workers.delivering(cs.key)) cs.stored.delivery = previous.stored.delivery;
    this.registry.put(cs);
    this.periodic.schedule(cs);
  }

  private deactivate(tenant: string, id: string): void {
    const key = queueKey(tenant, id);
    this.registry.remove(key);
    this.periodic.unschedule(key);
    this.workers.forget(key);
    this.store.release(tenant, id).catch((err: unknown) => this.options.log.warn({ err, subscription: id }, 'subscriptions: could not release a claim'));
  }

  /** Tells the other nodes that a subscription changed, and moves this node's registry to the new generation. */
  private announce(tenant: string, id: string): void {
    this.options.bus.publish(CHANNELS.subscriptions, { tenant, id });
    if (this.store.shared) this.refreshSoon();
  }

  /**
   * Loads what changed in the subscriptions since the registry's generation (everything the first
   * time). One load runs at a time; a call during a load gets the next one, which sees every change
   * committed before the call.
   */
  private refresh(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!this.refreshing) {
      this.refreshing = this.load().finally(() => (this.refreshing = undefined));
      return this.refreshing;
    }
    this.refreshAfter ??= this.refreshing
      .catch(() => {})
      .then(() => {
        this.refreshAfter = undefined;
        return this.refresh();
      });
    return this.refreshAfter;
  }

  private refreshSoon(): void {
    this.refresh().catch((err: unknown) => this.options.log.warn({ err }, 'subscriptions: could not load the changes of other nodes; retrying within a second'));
  }

  /** Makes sure the registry holds every subscription change up to `generation` (or throws). */
  private async catchUp(generation: number): Promise<void> {
    if (this.registry.generation >= generation) return;
    await this.refresh();
    if (this.registry.generation < generation) throw new Error(`subscriptions: could not load the subscriptions up to generation ${generation}`);
  }

  private async load(): Promise<void> {
    const changes = await this.store.changesSince(this.loaded ? this.registry.generation : undefined);
    if (this.closed) return;
    if (changes.complete) {
      const keep = new Set(changes.changed.map((s) => queueKey(s.tenant, s.subscription.id)));
      for (const cs of [...this.registry.all()]) if (!keep.has(cs.key)) this.deactivate(cs.stored.tenant, cs.stored.subscription.id);
    }
    for (const { tenant, id } of changes.removed) this.deactivate(tenant, id);
    for (const stored of changes.changed) {
      try {
        const cs = await this.compile(stored);
        if (this.closed) return;
        this.activate(cs);
        // A change made elsewhere may resume delivery (reactivated, new endpoint): no waiting for a retry.
        if (this.loaded && this.workers.delivering(cs.key)) this.workers.reset(cs.key);
      } catch (err) {
        this.deactivate(stored.tenant, stored.subscription.id);
        this.options.log.error({ err, subscription: stored.subscription.id }, 'subscriptions: cannot load a subscription (its @context?); it is inactive until updated');
      }
    }
    this.registry.generation = Math.max(this.registry.generation, changes.generation);
    this.loaded = true;
  }

  /** Looks for what this node was not told about: subscription changes, outbox rows and unclaimed queues (a dead node's). */
  private poll(): void {
    this.polling ??= (async () => {
      await this.refresh();
      this.dispatcher.wake();
      for (const { tenant, id } of await this.store.queued()) this.workers.kick(queueKey(tenant, id));
    })()
      .catch((err: unknown) => this.options.log.warn({ err }, 'subscriptions: looking for pending work failed'))
      .finally(() => (this.polling = undefined));
  }

  /** Another node's receiver took a notification: this node's receiver of that name gets it too. */
  private receiveInternal(message: unknown): void {
    if (isResync(message)) return;
    const { name, tenant, notification } = message as { name: string; tenant: string; notification: Record<string, unknown> };
    const receiver = this.receivers.get(name);
    receiver?.(notification, tenant).catch((err: unknown) => this.options.log.warn({ err, receiver: name }, 'subscriptions: an in-process receiver failed on a notification delivered by another node'));
  }

  private async send(cs: CompiledSubscription, msg: NotificationMessage, signal: AbortSignal): Promise<void> {
    const endpoint = cs.stored.subscription.notification.endpoint;
    if (endpoint.uri.startsWith(INTERNAL_SCHEME)) {
      const name = endpoint.uri.slice(INTERNAL_SCHEME.length);
      const receiver = this.receivers.get(name);
      if (!receiver) throw new Error(`no internal receiver named "${name}" is registered`);
      await receiver(msg.body, cs.stored.tenant);
      this.options.bus.publish(CHANNELS.internal, { name, tenant: cs.stored.tenant, notification: msg.body });
      return;
    }
    if (endpoint.uri.startsWith('mqtt')) return this.mqtt.publish(endpoint.uri, endpoint.notifierInfo, msg);
    return postNotification(endpoint.uri, msg, signal);
  }

  /** Stops the timers and workers (queued items stay for the next start) and the MQTT clients. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.poller);
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    await this.polling;
    await this.refreshing?.catch(() => {});
    this.periodic.close();
    await this.dispatcher.close();
    await this.workers.close();
    await this.mqtt.close();
    await this.store.releaseClaims();
  }
}

/** A CHANNELS.queues message naming one queue (others ask to look for every queue). */
function isQueue(m: unknown): m is { tenant: string; id: string } {
  return typeof m === 'object' && m !== null && typeof (m as { tenant?: unknown }).tenant === 'string' && typeof (m as { id?: unknown }).id === 'string';
}

/** The subscription as the API shows it: its members, its status and the delivery status. */
export function representSubscription(stored: StoredSubscription): Record<string, unknown> {
  const s = stored.subscription;
  return {
    ...s,
    status: subscriptionStatus(s),
    notification: { ...s.notification, ...stored.delivery },
  };
}
