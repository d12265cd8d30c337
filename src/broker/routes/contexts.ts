/**
 * Routes of /jsonldContexts: register, list, serve and delete @contexts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { JSON_LD, JSON_TYPE, tenantOf } from '../http/negotiation.js';
import type { BrokerDeps } from './deps.js';

/** scheme://host of the request, for the URL of a hosted context. */
export function baseUrlOf(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? `${req.hostname}`}`;
}

export function contextRoutes(app: FastifyInstance, deps: BrokerDeps): void {
  const { contexts } = deps;

  app.post('/jsonldContexts', async (req, reply) => {
    const created = await contexts.register(tenantOf(req), req.body, baseUrlOf(req));
    return reply.code(201).header('Location', created.url).send();
  });

  app.get<{ Querystring: { details?: string; kind?: string } }>('/jsonldContexts', async (req, reply) => {
    const list = await contexts.list(tenantOf(req), req.query.kind);
    return reply.type(JSON_TYPE).send(req.query.details === 'true' ? list : list.map((c) => c.url));
  });

  app.get<{ Params: { contextId: string }; Querystring: { details?: string } }>('/jsonldContexts/:contextId', async (req, reply) => {
    const { document, info } = await contexts.get(tenantOf(req), req.params.contextId);
    if (req.query.details === 'true') return reply.type(JSON_TYPE).send(info);
    return reply.type(JSON_LD).send(JSON.stringify(document));
  });

  app.delete<{ Params: { contextId: string } }>('/jsonldContexts/:contextId', async (req, reply) => {
    await contexts.delete(tenantOf(req), req.params.contextId);
    return reply.code(204).send();
  });
}
