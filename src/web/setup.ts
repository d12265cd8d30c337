/**
 * Wires the city operations centre into the server: the built web app at /, the vital signs
 * (GET /city/vitals), the map's configuration (GET /city/map) and the live stream of changes
 * (GET /live). Returns the closer of the
 * vital signs' sampling.
 */
import type { FastifyInstance } from 'fastify';
import path from 'node:path';
import type { BrokerStore, EntityAccess } from '../broker/store.js';
import type { ContextResolver } from '../broker/jsonld/context-resolver.js';
import { tenantOf } from '../broker/http/negotiation.js';
import type { SubscriptionService } from '../subscriptions/service.js';
import { liveRoutes } from './live.js';
import { staticRoutes } from './static.js';
import { Vitals } from './vitals.js';

export interface WebDeps {
  store: BrokerStore;
  resolver: ContextResolver;
  subscriptions: SubscriptionService;
  /** The access of the request being served (undefined: access control off). */
  currentAccess: () => EntityAccess | undefined;
  /** Directory of the built app (default: dist-web/ next to dist/). */
  root?: string;
  /** Raster tiles under the map (XYZ URL template) and their attribution; empty: none. */
  mapTiles: string;
  mapAttribution: string;
}

export async function setupWeb(app: FastifyInstance, deps: WebDeps): Promise<() => Promise<void>> {
  const tileOrigin = deps.mapTiles ? new URL(deps.mapTiles.replace(/\{[xyz]\}/g, '0')).origin : undefined;
  staticRoutes(app, deps.root ?? path.resolve(import.meta.dirname, '..', '..', 'dist-web'), tileOrigin);
  // What the map draws under the city: configured raster tiles, or nothing (offline).
  const mapConfig = { tiles: deps.mapTiles || null, attribution: deps.mapAttribution || null };
  app.get('/city/map', async () => mapConfig);
  const vitals = new Vitals(deps.store, deps.resolver);
  app.get('/city/vitals', async (req) => ({ vitals: await vitals.compute(tenantOf(req), deps.currentAccess()) }));
  await liveRoutes(app, deps);
  vitals.start();
  return async () => vitals.stop();
}
