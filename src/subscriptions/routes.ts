/**
 * Routes of /ngsi-ld/v1/subscriptions (ETSI GS CIM 009 clause 6.10-6.11): create, query (limit,
 * offset, count), retrieve, update (PATCH) and delete. HTTP only; the logic is in service.ts.
 */
import type { FastifyInstance } from 'fastify';
import { badRequest, NgsiError } from '../errors.js';
import { bodyContext, contextLink, JSON_LD, JSON_TYPE, negotiate, requestContextValue, tenantOf } from '../broker/http/negotiation.js';
import { DEFAULT_LIMIT, MAX_LIMIT } from '../broker/query/query-params.js';
import type { StoredSubscription } from './model.js';
import { representSubscription, type SubscriptionService } from './service.js';

type IdParams = { Params: { subscriptionId: string } };
type ListQuery = { Querystring: { limit?: string; offset?: string; count?: string } };

export const subscriptionPath = (id: string) => `/ngsi-ld/v1/subscriptions/${encodeURIComponent(id).replace(/%3A/gi, ':')}`;

function intParam(v: string | undefined, name: string, def: number): number {
  if (v === undefined || v === '') return def;
  if (!/^\d+$/.test(v)) throw badRequest(`${name} must be a non-negative integer, got "${v}"`);
  return Number(v);
}

export function subscriptionRoutes(app: FastifyInstance, service: SubscriptionService, coreUrl: string): void {
  /** A subscription in the negotiated media type: ld+json carries its own @context. */
  const represent = (s: StoredSubscription, media: string) => {
    const body = representSubscription(s);
    return media === JSON_LD ? { ...body, '@context': bodyContext(s.context, coreUrl) } : body;
  };
  const linkOf = (s: StoredSubscription) => contextLink(typeof s.context === 'string' ? s.context : coreUrl);

  app.post('/subscriptions', async (req, reply) => {
    const id = await service.create(tenantOf(req), req.body, requestContextValue(req, req.body));
    return reply.code(201).header('Location', subscriptionPath(id)).send();
  });

  app.get<ListQuery>('/subscriptions', async (req, reply) => {
    const media = negotiate(req, [JSON_TYPE, JSON_LD]);
    const limit = intParam(req.query.limit, 'limit', DEFAULT_LIMIT);
    if (limit > MAX_LIMIT) throw new NgsiError('TooManyResults', `limit ${limit} is over the maximum of ${MAX_LIMIT}; page with offset`);
    const count = req.query.count === 'true';
    if (req.query.count !== undefined && !count && req.query.count !== 'false') throw badRequest(`count must be true or false, got "${req.query.count}"`);
    const page = await service.list(tenantOf(req), limit, intParam(req.query.offset, 'offset', 0));
    if (count) reply.header('NGSILD-Results-Count', String(page.count));
    if (media !== JSON_LD) reply.header('Link', contextLink(coreUrl));
    return reply.type(media).send(JSON.stringify(page.items.map((s) => represent(s, media))));
  });

  app.get<IdParams>('/subscriptions/:subscriptionId', async (req, reply) => {
    const media = negotiate(req, [JSON_TYPE, JSON_LD]);
    const s = await service.get(tenantOf(req), req.params.subscriptionId);
    if (media !== JSON_LD) reply.header('Link', linkOf(s));
    return reply.type(media).send(JSON.stringify(represent(s, media)));
  });

  app.patch<IdParams>('/subscriptions/:subscriptionId', async (req, reply) => {
    await service.update(tenantOf(req), req.params.subscriptionId, req.body, requestContextValue(req, req.body));
    return reply.code(204).send();
  });

  app.delete<IdParams>('/subscriptions/:subscriptionId', async (req, reply) => {
    await service.delete(tenantOf(req), req.params.subscriptionId);
    return reply.code(204).send();
  });
}
