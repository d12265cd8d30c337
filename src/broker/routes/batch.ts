/**
 * Routes of /entityOperations: batch create, upsert, update, delete, and query.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../errors.js';
import type { BatchEntry, BatchOperationResult } from '../entity-service.js';
import { JSON_LD, JSON_TYPE, contentTypeOf, linkedContext, negotiate, sendJson, tenantOf } from '../http/negotiation.js';
import { optionsOf, type QueryInput } from '../query/query-params.js';
import { representEntities } from './entities.js';
import type { BrokerDeps } from './deps.js';

/** Largest number of entities in one batch request. */
export const MAX_BATCH = 1000;

type Options = { Querystring: { options?: string } };

export function batchRoutes(app: FastifyInstance, deps: BrokerDeps): void {
  const { service, resolver, coreUrl } = deps;

  /** Each entity with the context its terms are read with (its own @context for ld+json). */
  async function entries(req: FastifyRequest, tenant: string): Promise<BatchEntry[]> {
    const body = req.body;
    if (!Array.isArray(body)) throw badRequest('the body of a batch operation must be a JSON array of entities');
    if (body.length === 0) throw badRequest('the batch is empty');
    if (body.length > MAX_BATCH) throw badRequest(`the batch has ${body.length} entities; at most ${MAX_BATCH} are allowed`);
    const ld = contentTypeOf(req) === JSON_LD;
    const shared = ld ? undefined : await resolver.compile(linkedContext(req), tenant);
    return Promise.all(
      body.map(async (entity, i) => {
        if (ld) {
          const ctx = (entity as Record<string, unknown> | null)?.['@context'];
          if (ctx === undefined) throw badRequest(`entity ${i} of an application/ld+json batch has no @context`);
          return { body: entity, ctx: await resolver.compile(ctx, tenant) };
        }
        if (entity && typeof entity === 'object' && '@context' in entity) {
          throw badRequest(`entity ${i}: an application/json body must not carry @context; use a Link header or application/ld+json`);
        }
        return { body: entity, ctx: shared! };
      }),
    );
  }

  const respond = (r: BatchOperationResult) => r.errors.length > 0;

  app.post('/entityOperations/create', async (req, reply) => {
    const tenant = tenantOf(req);
    const r = await service.batchCreate(tenant, await entries(req, tenant));
    if (respond(r)) return reply.code(207).type(JSON_TYPE).send(r);
    return reply.code(201).type(JSON_TYPE).send(r.success);
  });

  app.post<Options>('/entityOperations/upsert', async (req, reply) => {
    const tenant = tenantOf(req);
    const opts = optionsOf(req.query);
    if (opts.has('update') && opts.has('replace')) throw badRequest('options update and replace exclude each other');
    const { result, created } = await service.batchUpsert(tenant, await entries(req, tenant), opts.has('update') ? 'update' : 'replace');
    if (respond(result)) return reply.code(207).type(JSON_TYPE).send(result);
    if (created.length > 0) return reply.code(201).type(JSON_TYPE).send(created);
    return reply.code(204).send();
  });

  app.post<Options>('/entityOperations/update', async (req, reply) => {
    const tenant = tenantOf(req);
    const r = await service.batchUpdate(tenant, await entries(req, tenant), optionsOf(req.query).has('noOverwrite'));
    if (respond(r)) return reply.code(207).type(JSON_TYPE).send(r);
    return reply.code(204).send();
  });

  app.post('/entityOperations/delete', async (req, reply) => {
    const r = await service.batchDelete(tenantOf(req), req.body);
    if (respond(r)) return reply.code(207).type(JSON_TYPE).send(r);
    return reply.code(204).send();
  });

  app.post<{ Querystring: QueryInput }>('/entityOperations/query', async (req, reply) => {
    const media = negotiate(req, [JSON_TYPE, JSON_LD]);
    const tenant = tenantOf(req);
    const body = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body of a query must be a Query object');
    const b = body as Record<string, unknown>;
    if (b.type !== undefined && b.type !== 'Query') throw badRequest(`the body's type must be "Query", got ${JSON.stringify(b.type)}`);
    const ld = contentTypeOf(req) === JSON_LD;
    if (!ld && b['@context'] !== undefined) throw badRequest('an application/json body must not carry @context');
    const ctx = await resolver.compile(ld ? b['@context'] : linkedContext(req), tenant);
    const geoQ = (b.geoQ ?? {}) as Record<string, unknown>;
    if (typeof geoQ !== 'object' || Array.isArray(geoQ)) throw badRequest('geoQ must be an object');
    const str = (v: unknown, name: string): string | undefined => {
      if (v === undefined) return undefined;
      if (typeof v !== 'string') throw badRequest(`${name} must be a string`);
      return v;
    };
    const input: QueryInput = {
      ...req.query,
      entities: b.entities,
      attrs: b.attrs === undefined ? undefined : Array.isArray(b.attrs) ? (b.attrs as string[]) : str(b.attrs, 'attrs'),
      q: str(b.q, 'q'),
      scopeQ: str(b.scopeQ, 'scopeQ'),
      lang: str(b.lang, 'lang') ?? req.query.lang,
      georel: str(geoQ.georel, 'geoQ.georel'),
      geometry: str(geoQ.geometry, 'geoQ.geometry'),
      coordinates: geoQ.coordinates,
      geoproperty: str(geoQ.geoproperty, 'geoQ.geoproperty'),
    };
    const { entities: found, count, parsed } = await service.query(tenant, ctx, input, true);
    if (count !== undefined) reply.header('NGSILD-Results-Count', String(count));
    return sendJson(reply, media, ctx, representEntities(found, ctx, parsed, media), coreUrl);
  });
}
