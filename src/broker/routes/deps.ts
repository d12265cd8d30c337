import type { EntityService } from '../entity-service.js';
import type { ContextResolver } from '../jsonld/context-resolver.js';
import type { ContextService } from '../context-service.js';

/** What the broker's routes need; built once by the server. */
export interface BrokerDeps {
  service: EntityService;
  resolver: ContextResolver;
  contexts: ContextService;
  /** URL of the default core @context, for Link headers and ld+json bodies. */
  coreUrl: string;
}
