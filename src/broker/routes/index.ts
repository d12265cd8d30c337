import type { FastifyInstance } from 'fastify';
import { batchRoutes } from './batch.js';
import { contextRoutes } from './contexts.js';
import type { BrokerDeps } from './deps.js';
import { discoveryRoutes } from './discovery.js';
import { entityRoutes } from './entities.js';

/** Registers every NGSI-LD route on `api` (mounted under /ngsi-ld/v1). */
export function brokerRoutes(api: FastifyInstance, deps: BrokerDeps): void {
  entityRoutes(api, deps);
  batchRoutes(api, deps);
  discoveryRoutes(api, deps);
  contextRoutes(api, deps);
}
