/**
 * GET /live: Server-Sent Events of entity changes for the operations centre. One subscription per
 * server (created at start when absent) delivers to the in-process receiver `operations-centre`;
 * each change is fanned out to every connected browser, reduced to what that browser's caller
 * may read (with access control on) and rendered in keyValues with its type's @context.
 */
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { BrokerStore, EntityAccess } from '../broker/store.js';
import type { Entity } from '../broker/model.js';
import type { ContextResolver } from '../broker/jsonld/context-resolver.js';
import { renderEntity } from '../broker/output.js';
import { tenantOf } from '../broker/http/negotiation.js';
import type { SubscriptionService } from '../subscriptions/service.js';
import { INTERNAL_SCHEME } from '../subscriptions/model.js';
import { NgsiError } from '../errors.js';
import { TYPE_CONTEXT, WEB_TYPES } from './domains.js';

export const LIVE_RECEIVER = 'operations-centre';
export const LIVE_SUBSCRIPTION_ID = 'urn:ngsi-ld:Subscription:urbis-operations-centre';
const HEARTBEAT_MS = 15_000;

interface LiveClient {
  tenant: string;
  out: ServerResponse;
  /** What the caller may read; undefined without access control. */
  access?: EntityAccess;
}

export interface LiveDeps {
  store: BrokerStore;
  resolver: ContextResolver;
  subscriptions: SubscriptionService;
  /** The access of the request being served (undefined: access control off). */
  currentAccess: () => EntityAccess | undefined;
}

/** Creates the subscription on the default tenant when it does not exist yet. */
async function ensureSubscription(subscriptions: SubscriptionService): Promise<void> {
  try {
    await subscriptions.get('', LIVE_SUBSCRIPTION_ID);
    return;
  } catch (err) {
    if (!(err instanceof NgsiError) || err.status !== 404) throw err;
  }
  const body = {
    id: LIVE_SUBSCRIPTION_ID,
    type: 'Subscription',
    description: 'Live view of the city operations centre (GET /live)',
    entities: WEB_TYPES.map((type) => ({ type })),
    notification: { format: 'keyValues', attributes: ['location'], endpoint: { uri: INTERNAL_SCHEME + LIVE_RECEIVER, accept: 'application/json' } },
  };
  try {
    await subscriptions.create('', body, [...new Set(TYPE_CONTEXT.values())]);
  } catch (err) {
    // Another node starting at the same time on the same database created it first.
    if (!(err instanceof NgsiError) || err.status !== 409) throw err;
  }
}

export async function liveRoutes(app: FastifyInstance, deps: LiveDeps): Promise<void> {
  const clients = new Set<LiveClient>();

  deps.subscriptions.registerInternalReceiver(LIVE_RECEIVER, async (notification, tenant) => {
    if (clients.size === 0) return;
    const ids = [...new Set(((notification.data as Array<{ id: string }>) ?? []).map((d) => d.id))];
    for (const id of ids) {
      const entity = await deps.store.getEntity(tenant, id);
      if (!entity) continue;
      const ctx = await deps.resolver.compile(contextOf(entity.types), tenant);
      const event = (seen: Entity) => `event: entity\ndata: ${JSON.stringify(renderEntity(seen, ctx, { format: 'keyValues', sysAttrs: false, keepId: true, keepType: true }))}\n\n`;
      // Without access control every browser gets the same event: render it once.
      let whole: string | undefined;
      for (const c of clients) {
        if (c.tenant !== tenant) continue;
        if (!c.access) {
          c.out.write((whole ??= event(entity)));
          continue;
        }
        const seen = c.access.visible(entity);
        if (seen) c.out.write(event(seen));
      }
    }
  });
  await ensureSubscription(deps.subscriptions);

  app.get('/live', async (req, reply) => {
    const access = deps.currentAccess();
    const client: LiveClient = { tenant: tenantOf(req), out: reply.raw, ...(access ? { access } : {}) };
    reply.hijack();
    reply.raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
    });
    reply.raw.write(': connected\n\n');
    clients.add(client);
    const heartbeat = setInterval(() => reply.raw.write(': heartbeat\n\n'), HEARTBEAT_MS);
    req.raw.on('close', () => {
      clearInterval(heartbeat);
      clients.delete(client);
    });
  });

  // Streams never end by themselves: end them when the server stops.
  app.addHook('preClose', async () => {
    for (const c of clients) c.out.end();
    clients.clear();
  });
}

/** The @context of an entity's type (expanded IRI ending with the short name). */
function contextOf(types: string[]): string | undefined {
  for (const t of types) {
    const short = t.slice(Math.max(t.lastIndexOf('/'), t.lastIndexOf('#')) + 1);
    const url = TYPE_CONTEXT.get(short);
    if (url) return url;
  }
  return undefined;
}
