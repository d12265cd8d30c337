/**
 * The /jsonldContexts resource (clause 5.13): contexts registered by clients (Hosted), and the
 * preloaded well-known contexts (listed as Cached). Registered contexts are per tenant and are
 * what the ContextResolver consults first for a URL.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, notFound } from '../errors.js';
import { BUILTIN_CONTEXT_URLS, builtinContext } from './jsonld/builtin-contexts.js';
import type { BrokerStore, StoredContext } from './store.js';

export interface ContextInfo {
  id: string;
  url: string;
  localId?: string;
  kind: StoredContext['kind'];
  createdAt?: string;
  lastUsage?: string;
  numberOfHits?: number;
}

/** Bound of the in-memory look-up cache (entries, positive and negative). */
const LOOKUP_CACHE = 10_000;

export class ContextService {
  /** tenant\nurl -> parsed document (null: not registered). Same object while unchanged. */
  private readonly cache = new Map<string, unknown>();

  constructor(private readonly store: BrokerStore) {}

  /** Synchronous look-up for the resolver: the registered document for a URL, if any. */
  lookup(url: string, tenant: string): unknown | undefined {
    const key = `${tenant}\n${url}`;
    let doc = this.cache.get(key);
    if (doc === undefined) {
      doc = this.store.lookupContextByUrl(tenant, url) ?? null;
      if (this.cache.size >= LOOKUP_CACHE) this.cache.clear();
      this.cache.set(key, doc);
    }
    return doc ?? undefined;
  }

  /** Registers a context (the body is a JSON-LD document with an @context member). */
  async register(tenant: string, body: unknown, baseUrl: string): Promise<ContextInfo> {
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !('@context' in body)) {
      throw badRequest('the body must be a JSON-LD document with an @context member');
    }
    const ctx = (body as Record<string, unknown>)['@context'];
    const okType = (v: unknown) => typeof v === 'string' || (typeof v === 'object' && v !== null);
    if (!(Array.isArray(ctx) ? ctx.length > 0 && ctx.every(okType) : okType(ctx))) {
      throw badRequest('@context must be an object, a URL, or a non-empty array of them');
    }
    const id = randomUUID();
    const stored: StoredContext = {
      id,
      url: `${baseUrl}/ngsi-ld/v1/jsonldContexts/${id}`,
      kind: 'Hosted',
      body: { '@context': ctx },
      createdAt: new Date().toISOString(),
      hits: 0,
    };
    await this.store.saveContext(tenant, stored);
    this.forget(tenant, stored.url);
    return info(stored);
  }

  /** Registered contexts and the preloaded ones, optionally of one kind. */
  async list(tenant: string, kind?: string): Promise<ContextInfo[]> {
    if (kind !== undefined && !['Hosted', 'Cached', 'ImplicitlyCreated'].includes(kind)) {
      throw badRequest(`kind must be Hosted, Cached or ImplicitlyCreated, got "${kind}"`);
    }
    const hosted = (await this.store.listContexts(tenant)).map(info);
    const builtin: ContextInfo[] = BUILTIN_CONTEXT_URLS.map((url) => ({ id: url, url, kind: 'Cached' }));
    return [...hosted, ...builtin].filter((c) => kind === undefined || c.kind === kind);
  }

  /** The document of a context (by local id or URL) and its description. */
  async get(tenant: string, idOrUrl: string): Promise<{ document: unknown; info: ContextInfo }> {
    const stored = await this.store.getContext(tenant, idOrUrl);
    if (stored) return { document: stored.body, info: info(stored) };
    const doc = builtinContext(idOrUrl);
    if (doc !== undefined) return { document: doc, info: { id: idOrUrl, url: idOrUrl, kind: 'Cached' } };
    throw notFound(`no @context ${idOrUrl} is known`, idOrUrl);
  }

  async delete(tenant: string, idOrUrl: string): Promise<void> {
    const stored = await this.store.getContext(tenant, idOrUrl);
    if (!stored) {
      if (builtinContext(idOrUrl) !== undefined) throw badRequest(`${idOrUrl} is a preloaded context and cannot be deleted`);
      throw notFound(`no @context ${idOrUrl} is known`, idOrUrl);
    }
    await this.store.deleteContext(tenant, stored.id);
    this.forget(tenant, stored.url);
  }

  private forget(tenant: string, url: string): void {
    this.cache.delete(`${tenant}\n${url}`);
  }
}

function info(c: StoredContext): ContextInfo {
  const i: ContextInfo = { id: c.id, url: c.url, localId: c.id, kind: c.kind, createdAt: c.createdAt, numberOfHits: c.hits };
  if (c.lastUsage) i.lastUsage = c.lastUsage;
  return i;
}
