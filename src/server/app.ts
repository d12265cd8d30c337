/**
 * Builds the Urbis HTTP server: body parsing, the error mapping to ProblemDetails, health and
 * readiness, the OpenAPI document and its page, and the NGSI-LD API under /ngsi-ld/v1.
 */
import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { NgsiError, badRequest, invalidRequest, toNgsiError } from '../errors.js';
import { EntityService } from '../broker/entity-service.js';
import { ContextService } from '../broker/context-service.js';
import { ContextResolver } from '../broker/jsonld/context-resolver.js';
import { DEFAULT_CORE_CONTEXT_URL } from '../broker/jsonld/builtin-contexts.js';
import type { BrokerStore } from '../broker/store.js';
import { brokerRoutes } from '../broker/routes/index.js';
import { openStores } from '../store/open.js';
import type { Stores } from '../store/stores.js';
import { openApiRoutes } from '../openapi/routes.js';
import { VERSION } from '../version.js';
import { setupSecurity } from './security.js';
import { setupIdentity } from '../identity/setup.js';
import type { Principal } from '../identity/principal.js';
import { setupSubscriptions } from '../subscriptions/setup.js';
import { setupTemporal } from '../temporal/setup.js';
import { setupIngest } from '../ingest/setup.js';
import { setupCity } from '../simulator/setup.js';
import { setupWeb } from '../web/setup.js';

export const API_PREFIX = '/ngsi-ld/v1';

/** Longest wait for requests in flight when stopping. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface Urbis {
  app: FastifyInstance;
  store: BrokerStore;
  /** Every store (the broker's included) and the cluster bus. */
  stores: Stores;
  /** Stops accepting requests, finishes those in flight, closes the store. */
  close(): Promise<void>;
}


/** The media types whose bodies are JSON. */
const JSON_MEDIA = ['application/json', 'application/ld+json', 'application/merge-patch+json', 'application/geo+json'];

export async function buildUrbis(config: Config): Promise<Urbis> {
  const stores = await openStores(config);
  const store = stores.broker;
  const contexts = new ContextService(store);
  const resolver = new ContextResolver({
    allowRemote: config.remoteContexts,
    fetchTimeoutMs: 5_000,
    maxContextBytes: 1024 * 1024,
    cacheEntries: 200,
    lookup: (url, tenant) => contexts.lookup(url, tenant),
  });
  const service = new EntityService(store);

  const app = Fastify({
    logger: { level: config.logLevel, base: { service: 'urbis' } },
    bodyLimit: config.maxBody,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 },
    // Per-request lines only when debugging: at thousands of requests a second they would drown the log.
    logController: new LogController({ disableRequestLogging: config.logLevel !== 'debug' && config.logLevel !== 'trace' }),
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_MEDIA, { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(invalidRequest(`the body is not valid JSON: ${(err as Error).message}`), undefined);
    }
  });

  app.setErrorHandler((err: FastifyError | NgsiError, req, reply) => {
    const e = err instanceof NgsiError ? err : fromFastifyError(err, config.maxBody);
    if (e.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.debug({ err: e.detail }, 'request rejected');
    return reply.code(e.status).type('application/json').send(e.toProblem());
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new NgsiError('ResourceNotFound', `no resource at ${req.method} ${req.url.split('?')[0]}`);
    return reply.code(404).type('application/json').send(e.toProblem());
  });

  app.get('/health', async () => ({ status: 'ok', version: VERSION, uptimeSeconds: Math.round(process.uptime()), accessControl: config.open ? 'off' : 'on' }));
  app.get('/ready', async (_req, reply) => {
    const ok = await store.ping().catch(() => false);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'store unreachable' });
  });
  await app.register(openApiRoutes);
  const brokerDeps = { service, resolver, contexts, coreUrl: DEFAULT_CORE_CONTEXT_URL };
  await app.register(
    async (api) => {
      brokerRoutes(api, brokerDeps);
    },
    { prefix: API_PREFIX },
  );

  // Features beyond the broker. Each one wires its store (on the same database), its logic and
  // its routes here, and adds a closer for its background work (stopped before the store closes,
  // in reverse order).
  const closers: Array<() => Promise<void>> = [];
  const security = setupSecurity(app, config);
  const identity = await setupIdentity(app, { config, stores, service, store, resolver, security });
  closers.push(identity.close);
  // Notifications and history show only what the policy lets the subscriber / caller read.
  const subscriberAccess = config.open ? undefined : { current: identity.currentPrincipal, view: (p: Principal, tenant: string) => identity.access.entityAccess(p, tenant, () => {}) };
  const subscriptions = await setupSubscriptions(app, { store, subscriptionStore: stores.subscriptions, bus: stores.bus, resolver, coreUrl: DEFAULT_CORE_CONTEXT_URL, notifyTimeoutMs: config.notifyTimeout, prefix: API_PREFIX, access: subscriberAccess });
  closers.push(subscriptions.close);
  closers.push(await setupTemporal({ app, store, temporalStore: stores.temporal, resolver, config, coreUrl: DEFAULT_CORE_CONTEXT_URL, prefix: API_PREFIX, readFilter: () => identity.currentAccess()?.readFilter }));
  const ingest = await setupIngest(app, config, store, stores.ingest, resolver, stores.bus);
  closers.push(ingest.close);
  const city = await setupCity(app, config, ingest, { store, resolver });
  closers.push(city.close);
  closers.push(await setupWeb(app, { store, resolver, subscriptions: subscriptions.service, currentAccess: () => identity.currentAccess(), mapTiles: config.mapTiles, mapAttribution: config.mapAttribution }));

  await app.ready();

  return {
    app,
    store,
    stores,
    async close() {
      // Requests in flight get a grace period; then connections still open (a client that stopped
      // reading a response, say) are cut so that the store can close.
      const grace = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await app.close();
      clearTimeout(grace);
      for (const close of closers.reverse()) await close();
      await stores.close();
    },
  };
}

/** Fastify's own errors (body limit, media type, malformed requests) as NGSI-LD errors. */
function fromFastifyError(err: FastifyError, maxBody: number): NgsiError {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return badRequest(`the request body is larger than the limit of ${maxBody} bytes (--max-body)`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new NgsiError('UnsupportedMediaType', `Content-Type must be application/json or application/ld+json (${err.message})`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return invalidRequest('the request body is empty');
  }
  if (err.statusCode === 413) return badRequest(`the request body is larger than the limit of ${maxBody} bytes (--max-body)`);
  if (err.statusCode === 415) return new NgsiError('UnsupportedMediaType', err.message);
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return badRequest(err.message);
  return toNgsiError(err);
}
