/**
 * Wires the temporal API into the server: its store, the history
 * recorder in every entity write's transaction, the routes under /ngsi-ld/v1 (reads filtered with
 * the caller's read filter), and the retention job. Returns the closer of the background work.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { BUILTIN_CONTEXT_URLS } from '../broker/jsonld/builtin-contexts.js';
import type { ContextResolver } from '../broker/jsonld/context-resolver.js';
import type { ReadFilter } from '../broker/store.js';
import type { BrokerStore } from '../broker/store.js';
import type { TemporalStore } from './store.js';
import { parseRetention, startRetention } from './retention.js';
import { temporalRoutes } from './routes.js';
import { TemporalService } from './temporal-service.js';

/** Most instances of one attribute in one response before it is paginated (206). */
export const MAX_INSTANCES_PER_ATTRIBUTE = 1000;
const RETENTION_INTERVAL_MS = 60 * 60 * 1000;
const RETENTION_CHUNK = 2000;
const SMART_DATA_MODELS = 'https://raw.githubusercontent.com/smart-data-models/';

export interface TemporalSetup {
  app: FastifyInstance;
  store: BrokerStore;
  temporalStore: TemporalStore;
  resolver: ContextResolver;
  config: Config;
  coreUrl: string;
  prefix: string;
  /** What the caller of the request being served may read (access control); undefined: everything. */
  readFilter?: () => ReadFilter | undefined;
}

export async function setupTemporal(s: TemporalSetup): Promise<() => Promise<void>> {
  // A short type name of the retention setting stands for its Smart Data Models IRI and for its
  // IRI under the core context alone (the default vocabulary), whichever the data was written with.
  const sdm = await s.resolver.compile(BUILTIN_CONTEXT_URLS.filter((u) => u.startsWith(SMART_DATA_MODELS)), '');
  const core = await s.resolver.compile(undefined, '');
  const policy = parseRetention(s.config.retention, (name) => [sdm.expandTerm(name), core.expandTerm(name)]);

  const store = s.temporalStore;
  s.store.addChangeRecorder((change) => store.record(change));
  const service = new TemporalService(store, { maxInstances: MAX_INSTANCES_PER_ATTRIBUTE, readFilter: s.readFilter });
  await s.app.register(
    async (api) => {
      temporalRoutes(api, { service, resolver: s.resolver, coreUrl: s.coreUrl });
    },
    { prefix: s.prefix },
  );
  return startRetention(store, policy, {
    intervalMs: RETENTION_INTERVAL_MS,
    chunk: RETENTION_CHUNK,
    onError: (err) => s.app.log.error({ err }, 'history retention failed'),
    onDeleted: (count) => s.app.log.info({ count }, 'history retention deleted expired attribute instances'),
  });
}
