/**
 * Wires subscriptions into the server: its store, the service
 * (recorder, dispatcher, workers, periodic scheduler, with access control when given) and the
 * routes under /ngsi-ld/v1. Returns
 * the service (for in-process receivers) and the closer of its background work.
 */
import type { FastifyInstance } from 'fastify';
import type { ContextResolver } from '../broker/jsonld/context-resolver.js';
import type { BrokerStore } from '../broker/store.js';
import type { ClusterBus } from '../cluster/bus.js';
import type { SubscriptionStore } from './store.js';
import type { SubscriberAccess } from './access.js';
import { subscriptionRoutes } from './routes.js';
import { SubscriptionService } from './service.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The subscriptions service: in-process consumers register their receivers on it. */
    subscriptions: SubscriptionService;
  }
}

export interface SubscriptionsSetup {
  service: SubscriptionService;
  close(): Promise<void>;
}

export async function setupSubscriptions(
  app: FastifyInstance,
  deps: { store: BrokerStore; subscriptionStore: SubscriptionStore; bus: ClusterBus; resolver: ContextResolver; coreUrl: string; notifyTimeoutMs: number; prefix: string; access?: SubscriberAccess },
): Promise<SubscriptionsSetup> {
  const service = new SubscriptionService({
    store: deps.subscriptionStore,
    broker: deps.store,
    bus: deps.bus,
    compileContext: (value, tenant) => deps.resolver.compile(value, tenant),
    coreUrl: deps.coreUrl,
    notifyTimeoutMs: deps.notifyTimeoutMs,
    log: app.log,
    ...(deps.access ? { access: deps.access } : {}),
  });
  app.decorate('subscriptions', service);
  await app.register(async (api) => subscriptionRoutes(api, service, deps.coreUrl), { prefix: deps.prefix });
  await service.start();
  return { service, close: () => service.close() };
}
