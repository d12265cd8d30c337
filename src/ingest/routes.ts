/**
 * HTTP side of the device gateway: the provisioning API (/iot/services, /iot/devices, shaped like
 * the FIWARE IoT Agent's), HTTP ingestion (POST /iot/ul and /iot/json with ?k=<apikey>&i=<deviceId>)
 * and GET /iot/stats. HTTP only: the logic is in gateway.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, NgsiError } from '../errors.js';
import { Gateway, IngestError } from './gateway.js';
import type { Device, PayloadFormat, ServiceGroup } from './model.js';

const TENANT = /^[A-Za-z0-9_.\-:/]{1,64}$/;
const SERVICE_PATH = /^\/[A-Za-z0-9_\-/#]{0,100}$/;
const MAX_PAGE = 1000;

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The tenant: fiware-service (IoT Agent tooling) or NGSILD-Tenant; both, if given, must agree. */
export function provisioningTenant(req: FastifyRequest): string {
  const fiware = header(req, 'fiware-service');
  const ngsild = header(req, 'ngsild-tenant');
  if (fiware !== undefined && ngsild !== undefined && fiware !== ngsild) {
    throw badRequest(`fiware-service "${fiware}" and NGSILD-Tenant "${ngsild}" name different tenants`);
  }
  const t = fiware ?? ngsild ?? '';
  if (t !== '' && !TENANT.test(t)) throw badRequest(`tenant "${t}" is not a valid tenant name (1-64 letters, digits, _ . - : /)`);
  return t;
}

function servicePath(req: FastifyRequest, forWrite: boolean): string | undefined {
  const p = header(req, 'fiware-servicepath');
  if (p === undefined) return forWrite ? '/' : undefined;
  if (!SERVICE_PATH.test(p)) throw badRequest(`fiware-servicepath "${p}" is not a path like /gardens`);
  return p;
}

function page(q: Record<string, string | undefined>): { limit: number; offset: number } {
  const num = (v: string | undefined, def: number, name: string, max: number) => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > max) throw badRequest(`${name} must be an integer from 0 to ${max}`);
    return n;
  };
  return { limit: num(q.limit, 20, 'limit', MAX_PAGE), offset: num(q.offset, 0, 'offset', Number.MAX_SAFE_INTEGER) };
}

export function renderService(g: ServiceGroup): Record<string, unknown> {
  const { tenant, service_path, ...rest } = g;
  return { ...rest, service: tenant, subservice: service_path };
}

export function renderDevice(d: Device): Record<string, unknown> {
  const { tenant, ...rest } = d;
  return { ...rest, service: tenant };
}

export function provisioningRoutes(app: FastifyInstance, gateway: Gateway): void {
  app.post('/iot/services', async (req, reply) => {
    const groups = await gateway.createServices(provisioningTenant(req), servicePath(req, true)!, req.body);
    return reply.code(201).send({ count: groups.length });
  });
  app.get('/iot/services', async (req) => {
    const q = req.query as Record<string, string | undefined>;
    const { limit, offset } = page(q);
    const all = gateway
      .listServices(provisioningTenant(req), servicePath(req, false))
      .filter((g) => (q.apikey === undefined || g.apikey === q.apikey) && (q.resource === undefined || g.resource === q.resource));
    return { count: all.length, services: all.slice(offset, offset + limit).map(renderService) };
  });
  app.put('/iot/services', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    if (!q.apikey) throw badRequest('give the service group to change with ?apikey= (and optionally &resource=)');
    await gateway.updateService(provisioningTenant(req), q.apikey, q.resource, req.body);
    return reply.code(204).send();
  });
  app.delete('/iot/services', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    if (!q.apikey) throw badRequest('give the service group to delete with ?apikey= (and optionally &resource=)');
    await gateway.deleteService(provisioningTenant(req), q.apikey, q.resource);
    return reply.code(204).send();
  });

  app.post('/iot/devices', async (req, reply) => {
    const devices = await gateway.createDevices(provisioningTenant(req), servicePath(req, true)!, req.body);
    return reply.code(201).send({ count: devices.length });
  });
  app.get('/iot/devices', async (req) => {
    const { limit, offset } = page(req.query as Record<string, string | undefined>);
    const all = gateway.listDevices(provisioningTenant(req), servicePath(req, false));
    return { count: all.length, devices: all.slice(offset, offset + limit).map(renderDevice) };
  });
  app.get('/iot/devices/:deviceId', async (req) => {
    return renderDevice(gateway.getDevice(provisioningTenant(req), (req.params as { deviceId: string }).deviceId));
  });
  app.put('/iot/devices/:deviceId', async (req, reply) => {
    await gateway.updateDevice(provisioningTenant(req), (req.params as { deviceId: string }).deviceId, req.body);
    return reply.code(204).send();
  });
  app.delete('/iot/devices/:deviceId', async (req, reply) => {
    await gateway.deleteDevice(provisioningTenant(req), (req.params as { deviceId: string }).deviceId);
    return reply.code(204).send();
  });

  app.get('/iot/stats', async () => gateway.statsSnapshot());
}

/** HTTP ingestion; registered in its own scope, where every body is read as text. */
export function ingestRoutes(app: FastifyInstance, gateway: Gateway): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const handler = (format: PayloadFormat) => async (req: FastifyRequest, reply: FastifyReply) => {
    const q = req.query as Record<string, string | undefined>;
    if (!q.k || !q.i) throw badRequest('give the API key and the device id: ?k=<apikey>&i=<deviceId>');
    try {
      const result = await gateway.ingest({ transport: 'http', format, apikey: q.k, deviceId: q.i, payload: typeof req.body === 'string' ? req.body : '' });
      return reply.code(200).send(result);
    } catch (err) {
      if (err instanceof IngestError) throw withReason(err);
      throw err;
    }
  };
  app.post('/iot/ul', handler('ul'));
  app.post('/iot/json', handler('json'));
}

function withReason(err: IngestError): NgsiError {
  return new NgsiError(err.error.errorType, `${err.reason}: ${err.error.detail}`, err.error.instance);
}
