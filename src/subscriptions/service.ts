/**
 * The subscriptions' logic (no HTTP): create, read, list, update and delete subscriptions, and
 * run the notification machinery behind them: the outbox recorder (inside writes), the
 * dispatcher (after commits), the per-subscription delivery workers and the periodic scheduler.
 * In-process consumers receive notifications through the same queues by registering a receiver
 * and subscribing with the endpoint `urn:urbis:internal:<name>`. With access control on, a
 * subscription keeps the principal that created (or last changed) it, and notifies only what that
 * principal may read (access.ts).
 */
import type { FastifyBaseLogger } from 'fastify';
import { alreadyExists, badRequest, notFound } from '../errors.js';
import type { CompiledContext } from '../broker/jsonld/compiled-context.js';
import type { BrokerStore } from '../broker/store.js';
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

export interface SubscriptionServiceOptions {
  store: SubscriptionStore;
  broker: BrokerStore;
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

  constructor(private readonly options: SubscriptionServiceOptions) {
    this.store = options.store;
    const queued = (keys: Set<string>) => keys.forEach((k) => this.workers.kick(k));
    this.dispatcher = new Dispatcher(this.store, this.registry, queued, options.log, options.access);
    this.workers = new DeliveryWorkers(this.store, this.registry, (cs, msg, signal) => this.send(cs, msg, signal), { timeoutMs: options.notifyTimeoutMs, coreUrl: options.coreUrl }, options.log);
    this.periodic = new PeriodicNotifier(options.broker, this.store, queued, options.log, options.access);
    options.broker.addChangeRecorder(outboxRecorder(this.registry, this.store));
    options.broker.addCommitListener(() => this.dispatcher.wake());
  }

  /** Loads the subscriptions, then delivers what the outbox and the queues still hold (after a restart). */
  async start(): Promise<void> {
    for (const stored of await this.store.all()) {
      try {
        this.activate(await this.compile(stored));
      } catch (err) {
        this.options.log.error({ err, subscription: stored.subscription.id }, 'subscriptions: cannot load a subscription (its @context?); it is inactive until updated');
      }
    }
    this.dispatcher.wake();
    for (const { tenant, id } of await this.store.queued()) this.workers.kick(queueKey(tenant, id));
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
    return subscription.id;
  }

  async get(tenant: string, id: string): Promise<StoredSubscription> {
    const stored = await this.store.get(tenant, id);
    if (!stored) throw notFound(`subscription ${id} does not exist`, id);
    // The delivery status in memory is the newest (it is saved with each send).
    return this.registry.find(tenant, id)?.stored ?? stored;
  }

  async list(tenant: string, limit: number, offset: number): Promise<{ items: StoredSubscription[]; count: number }> {
    const page = await this.store.list(tenant, limit, offset);
    return { count: page.count, items: page.items.map((s) => this.registry.find(tenant, s.subscription.id)?.stored ?? s) };
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
  }

  async delete(tenant: string, id: string): Promise<void> {
    if (!(await this.store.delete(tenant, id))) throw notFound(`subscription ${id} does not exist`, id);
    const key = queueKey(tenant, id);
    this.registry.remove(key);
    this.periodic.unschedule(key);
    this.workers.forget(key);
  }

  private async compile(stored: StoredSubscription): Promise<CompiledSubscription> {
    return compileSubscription(stored, await this.options.compileContext(stored.context, stored.tenant));
  }

  private activate(cs: CompiledSubscription): void {
    this.registry.put(cs);
    this.periodic.schedule(cs);
  }

  private async send(cs: CompiledSubscription, msg: NotificationMessage, signal: AbortSignal): Promise<void> {
    const endpoint = cs.stored.subscription.notification.endpoint;
    if (endpoint.uri.startsWith(INTERNAL_SCHEME)) {
      const name = endpoint.uri.slice(INTERNAL_SCHEME.length);
      const receiver = this.receivers.get(name);
      if (!receiver) throw new Error(`no internal receiver named "${name}" is registered`);
      return receiver(msg.body, cs.stored.tenant);
    }
    if (endpoint.uri.startsWith('mqtt')) return this.mqtt.publish(endpoint.uri, endpoint.notifierInfo, msg);
    return postNotification(endpoint.uri, msg, signal);
  }

  /** Stops the timers and workers (queued items stay for the next start) and the MQTT clients. */
  async close(): Promise<void> {
    this.periodic.close();
    await this.dispatcher.close();
    await this.workers.close();
    await this.mqtt.close();
  }
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
