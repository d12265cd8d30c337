/**
 * Routes of /entities: create, retrieve, query, replace, merge, delete, and the attribute
 * operations (append, update, partial update, delete).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Entity } from '../model.js';
import { renderEntity, renderFeature } from '../output.js';
import type { ParsedQuery, QueryInput } from '../query/query-params.js';
import { optionsOf } from '../query/query-params.js';
import { GEO_JSON, JSON_LD, JSON_TYPE, negotiate, requestContext, sendJson, tenantOf, type MediaType } from '../http/negotiation.js';
import type { CompiledContext } from '../jsonld/compiled-context.js';
import type { UpdateResult } from '../entity-service.js';
import type { BrokerDeps } from './deps.js';

type IdParams = { Params: { entityId: string } };
type AttrParams = { Params: { entityId: string; attrId: string } };

/** Path of an entity; the colons of URNs stay readable (they are allowed in a path segment). */
export const entityPath = (id: string) => `/ngsi-ld/v1/entities/${encodeURIComponent(id).replace(/%3A/gi, ':')}`;

/** Entities in the negotiated representation (an array, or a GeoJSON FeatureCollection). */
export function representEntities(entities: Entity[], ctx: CompiledContext, parsed: ParsedQuery, media: MediaType): unknown {
  if (media === GEO_JSON) {
    return { type: 'FeatureCollection', features: entities.map((e) => renderFeature(e, ctx, parsed.render, parsed.geometryProperty)) };
  }
  return entities.map((e) => renderEntity(e, ctx, parsed.render));
}

/** 204 when everything was done, 207 with the UpdateResult otherwise. */
export function sendUpdateResult(reply: FastifyReply, r: UpdateResult): FastifyReply {
  if (r.notUpdated.length === 0) return reply.code(204).send();
  return reply.code(207).type(JSON_TYPE).send(r);
}

export function entityRoutes(app: FastifyInstance, deps: BrokerDeps): void {
  const { service, resolver, coreUrl } = deps;

  app.post('/entities', async (req, reply) => {
    const tenant = tenantOf(req);
    const ctx = await requestContext(req, resolver, tenant, req.body);
    const id = await service.create(tenant, ctx, req.body);
    return reply.code(201).header('Location', entityPath(id)).send();
  });

  app.get<{ Querystring: QueryInput }>('/entities', async (req, reply) => {
    const media = negotiate(req, [JSON_TYPE, JSON_LD, GEO_JSON]);
    const tenant = tenantOf(req);
    const ctx = await requestContext(req, resolver, tenant);
    const { entities, count, parsed } = await service.query(tenant, ctx, req.query, true);
    if (count !== undefined) reply.header('NGSILD-Results-Count', String(count));
    return sendJson(reply, media, ctx, representEntities(entities, ctx, parsed, media), coreUrl);
  });

  app.get<IdParams & { Querystring: QueryInput }>('/entities/:entityId', async (req, reply) => {
    const media = negotiate(req, [JSON_TYPE, JSON_LD, GEO_JSON]);
    const tenant = tenantOf(req);
    const ctx = await requestContext(req, resolver, tenant);
    const { entity, parsed } = await service.retrieve(tenant, req.params.entityId, ctx, req.query);
    const body = media === GEO_JSON ? renderFeature(entity, ctx, parsed.render, parsed.geometryProperty) : renderEntity(entity, ctx, parsed.render);
    return sendJson(reply, media, ctx, body, coreUrl);
  });

  app.delete<IdParams>('/entities/:entityId', async (req, reply) => {
    await service.delete(tenantOf(req), req.params.entityId);
    return reply.code(204).send();
  });

  app.put<IdParams>('/entities/:entityId', async (req, reply) => {
    const tenant = tenantOf(req);
    const ctx = await requestContext(req, resolver, tenant, req.body);
    await service.replace(tenant, ctx, req.params.entityId, req.body);
    return reply.code(204).send();
  });

  app.patch<IdParams>('/entities/:entityId', async (req, reply) => {
    const tenant = tenantOf(req);
    const ctx = await requestContext(req, resolver, tenant, req.body);
    await service.merge(tenant, ctx, req.params.entityId, req.body);
    return reply.code(204).send();
  });

  app.post<IdParams & { Querystring: { options?: string } }>('/entities/:entityId/attrs', async (req, reply) => {
    const tenant = tenantOf(req);
    const ctx = await requestContext(req, resolver, tenant, req.body);
    const r = await service.append(tenant, ctx, req.params.entityId, req.body, optionsOf(req.query).has('noOverwrite'));
    return sendUpdateResult(reply, r);
  });

  app.patch<IdParams>('/entities/:entityId/attrs', async (req, reply) => {
    const tenant = tenantOf(req);
    const ctx = await requestContext(req, resolver, tenant, req.body);
    return sendUpdateResult(reply, await service.update(tenant, ctx, req.params.entityId, req.body));
  });

  app.patch<AttrParams>('/entities/:entityId/attrs/:attrId', async (req, reply) => {
    const tenant = tenantOf(req);
    const ctx = await requestContext(req, resolver, tenant, req.body);
    await service.partialUpdate(tenant, ctx, req.params.entityId, req.params.attrId, req.body);
    return reply.code(204).send();
  });

  app.delete<AttrParams & { Querystring: { datasetId?: string; deleteAll?: string } }>('/entities/:entityId/attrs/:attrId', async (req, reply) => {
    const tenant = tenantOf(req);
    const ctx = await requestContext(req, resolver, tenant);
    const deleteAll = req.query.deleteAll === 'true';
    await service.deleteAttribute(tenant, ctx, req.params.entityId, req.params.attrId, req.query.datasetId, deleteAll);
    return reply.code(204).send();
  });
}
