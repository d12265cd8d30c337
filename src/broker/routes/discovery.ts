/**
 * Routes of /types and /attributes (clause 5.7.5 to 5.7.8): what types and attributes exist.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound } from '../../errors.js';
import { JSON_LD, JSON_TYPE, negotiate, requestContext, sendJson, tenantOf } from '../http/negotiation.js';
import type { BrokerDeps } from './deps.js';

type Details = { Querystring: { details?: string } };

export function discoveryRoutes(app: FastifyInstance, deps: BrokerDeps): void {
  const { service, resolver, coreUrl } = deps;

  /** What every discovery request starts with: the response media type, tenant and @context. */
  async function readRequest(req: FastifyRequest) {
    const media = negotiate(req, [JSON_TYPE, JSON_LD]);
    const tenant = tenantOf(req);
    return { media, tenant, ctx: await requestContext(req, resolver, tenant) };
  }

  app.get<Details>('/types', async (req, reply) => {
    const { media, tenant, ctx } = await readRequest(req);
    const types = await service.types(tenant);
    const body =
      req.query.details === 'true'
        ? types
            .map((t) => ({
            id: t.type,
            type: 'EntityType',
            typeName: ctx.compactType(t.type),
            attributeNames: t.attributes.map((a) => ctx.compactIri(a.name)).sort(),
          }))
            .sort((a, b) => a.typeName.localeCompare(b.typeName))
        : { id: `urn:ngsi-ld:EntityTypeList:${randomUUID()}`, type: 'EntityTypeList', typeList: types.map((t) => ctx.compactType(t.type)).sort() };
    return sendJson(reply, media, ctx, body, coreUrl);
  });

  app.get<{ Params: { type: string } }>('/types/:type', async (req, reply) => {
    const { media, tenant, ctx } = await readRequest(req);
    const iri = ctx.expandTerm(req.params.type);
    const info = (await service.types(tenant)).find((t) => t.type === iri);
    if (!info) throw notFound(`no entity of type ${req.params.type} exists`, req.params.type);
    return sendJson(reply, media, ctx, {
      id: info.type,
      type: 'EntityTypeInfo',
      typeName: ctx.compactType(info.type),
      entityCount: info.entityCount,
      attributeDetails: info.attributes
        .map((a) => ({
        id: a.name,
        type: 'Attribute',
        attributeName: ctx.compactIri(a.name),
        attributeTypes: a.kinds,
      }))
        .sort((a, b) => a.attributeName.localeCompare(b.attributeName)),
    }, coreUrl);
  });

  app.get<Details>('/attributes', async (req, reply) => {
    const { media, tenant, ctx } = await readRequest(req);
    const attrs = await service.attributes(tenant);
    const body =
      req.query.details === 'true'
        ? attrs.map((a) => attributeBody(a, ctx)).sort((a, b) => a.attributeName.localeCompare(b.attributeName))
        : { id: `urn:ngsi-ld:AttributeList:${randomUUID()}`, type: 'AttributeList', attributeList: attrs.map((a) => ctx.compactIri(a.name)).sort() };
    return sendJson(reply, media, ctx, body, coreUrl);
  });

  app.get<{ Params: { attrId: string } }>('/attributes/:attrId', async (req, reply) => {
    const { media, tenant, ctx } = await readRequest(req);
    const iri = ctx.expandTerm(req.params.attrId);
    const a = (await service.attributes(tenant)).find((x) => x.name === iri);
    if (!a) throw notFound(`no entity has an attribute ${req.params.attrId}`, req.params.attrId);
    return sendJson(reply, media, ctx, attributeBody(a, ctx), coreUrl);
  });
}

function attributeBody(a: { name: string; attributeCount: number; kinds: string[]; types: string[] }, ctx: { compactIri(i: string): string; compactType(i: string): string }) {
  return {
    id: a.name,
    type: 'Attribute',
    attributeName: ctx.compactIri(a.name),
    attributeCount: a.attributeCount,
    attributeTypes: a.kinds,
    typeNames: a.types.map((t) => ctx.compactType(t)),
  };
}
