/**
 * HTTP routes of the temporal API under /ngsi-ld/v1: /temporal/entities (query, create or add
 * instances), /temporal/entities/{entityId} (retrieve, delete), its attrs (add instances, delete an
 * attribute's history) and single attribute instances (modify, delete). A read whose instances were
 * cut answers 206 Partial Content with Content-Range.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ContextResolver } from '../broker/jsonld/context-resolver.js';
import type { CompiledContext } from '../broker/jsonld/compiled-context.js';
import { JSON_LD, JSON_TYPE, negotiate, requestContext, sendJson, tenantOf, type MediaType } from '../broker/http/negotiation.js';
import type { TemporalInput } from './temporal-params.js';
import type { TemporalResult, TemporalService } from './temporal-service.js';

export interface TemporalDeps {
  service: TemporalService;
  resolver: ContextResolver;
  coreUrl: string;
}

type IdParams = { Params: { entityId: string } };
type AttrParams = { Params: { entityId: string; attrId: string } };
type InstanceParams = { Params: { entityId: string; attrId: string; instanceId: string } };

/** Path of a temporal entity; the colons of URNs stay readable. */
export const temporalEntityPath = (id: string) => `/ngsi-ld/v1/temporal/entities/${encodeURIComponent(id).replace(/%3A/gi, ':')}`;

function sendResult<T>(reply: FastifyReply, media: MediaType, ctx: CompiledContext, r: TemporalResult<T>, coreUrl: string): FastifyReply {
  if (r.count !== undefined) reply.header('NGSILD-Results-Count', String(r.count));
  if (r.contentRange) reply.header('Content-Range', r.contentRange);
  return sendJson(reply, media, ctx, r.body, coreUrl, r.contentRange ? 206 : 200);
}

export function temporalRoutes(app: FastifyInstance, deps: TemporalDeps): void {
  const { service, resolver, coreUrl } = deps;

  app.get<{ Querystring: TemporalInput }>('/temporal/entities', async (req, reply) => {
    const media = negotiate(req, [JSON_TYPE, JSON_LD]);
    const tenant = tenantOf(req);
    const ctx = await requestContext(req, resolver, tenant);
    return sendResult(reply, media, ctx, await service.query(tenant, ctx, req.query), coreUrl);
  });

  app.get<IdParams & { Querystring: TemporalInput }>('/temporal/entities/:entityId', async (req, reply) => {
    const media = negotiate(req, [JSON_TYPE, JSON_LD]);
    const tenant = tenantOf(req);
    const ctx = await requestContext(req, resolver, tenant);
    return sendResult(reply, media, ctx, await service.retrieve(tenant, ctx, req.params.entityId, req.query), coreUrl);
  });

  app.post('/temporal/entities', async (req, reply) => {
    const tenant = tenantOf(req);
    const ctx = await requestContext(req, resolver, tenant, req.body);
    const { id, created } = await service.create(tenant, ctx, req.body);
    if (!created) return reply.code(204).send();
    return reply.code(201).header('Location', temporalEntityPath(id)).send();
  });

  app.delete<IdParams>('/temporal/entities/:entityId', async (req, reply) => {
    await service.deleteEntity(tenantOf(req), req.params.entityId);
    return reply.code(204).send();
  });

  app.post<IdParams>('/temporal/entities/:entityId/attrs', async (req, reply) => {
    const tenant = tenantOf(req);
    const ctx = await requestContext(req, resolver, tenant, req.body);
    await service.addAttributes(tenant, ctx, req.params.entityId, req.body);
    return reply.code(204).send();
  });

  app.delete<AttrParams & { Querystring: { datasetId?: string; deleteAll?: string } }>('/temporal/entities/:entityId/attrs/:attrId', async (req, reply) => {
    const tenant = tenantOf(req);
    const ctx = await requestContext(req, resolver, tenant);
    await service.deleteAttribute(tenant, ctx, req.params.entityId, req.params.attrId, req.query.datasetId, req.query.deleteAll === 'true');
    return reply.code(204).send();
  });

  app.patch<InstanceParams>('/temporal/entities/:entityId/attrs/:attrId/:instanceId', async (req, reply) => {
    const tenant = tenantOf(req);
    const ctx = await requestContext(req, resolver, tenant, req.body);
    await service.modifyInstance(tenant, ctx, req.params.entityId, req.params.attrId, req.params.instanceId, req.body);
    return reply.code(204).send();
  });

  app.delete<InstanceParams>('/temporal/entities/:entityId/attrs/:attrId/:instanceId', async (req, reply) => {
    const tenant = tenantOf(req);
    const ctx = await requestContext(req, resolver, tenant);
    await service.deleteInstance(tenant, ctx, req.params.entityId, req.params.attrId, req.params.instanceId);
    return reply.code(204).send();
  });
}
