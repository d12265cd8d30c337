/**
 * Turns the value of a request's `@context` into a cached {@link CompiledContext}.
 *
 * URLs are resolved, in this order, through the `lookup` hook (contexts registered with the
 * /jsonldContexts API), the preloaded builtin contexts, an LRU cache of fetched documents, and,
 * if allowed, an HTTP fetch (timeout, size limit, JSON check). Remote contexts may reference
 * further URLs (nesting depth at most 10, loops rejected). The NGSI-LD core context is always
 * applied last: the version referenced by the request's context if it names one (the last one it
 * names), else {@link DEFAULT_CORE_CONTEXT_URL}; its terms are protected, so a context placed
 * after a core context in the request cannot redefine them (BadRequestData, as jsonld.js).
 */
import { badRequest, contextNotAvailable, NgsiError } from '../../errors.js';
import { builtinContext, DEFAULT_CORE_CONTEXT_URL, isCoreContextUrl } from './builtin-contexts.js';
import { CompiledContext, type LocalContext } from './compiled-context.js';

export interface ContextResolverOptions {
  /** Fetch context URLs that are neither registered nor builtin. */
  allowRemote: boolean;
  /** Time limit of one fetch, body included. */
  fetchTimeoutMs: number;
  /** Largest accepted remote context document, in bytes. */
  maxContextBytes: number;
  /** Number of fetched documents kept (LRU). */
  cacheEntries: number;
  /**
   * The parsed document registered for `url` in `tenant` through the /jsonldContexts API, if any.
   * Consulted before builtins and the network, and again on every compile() cache hit: return the
   * same object while the registration is unchanged (a different object triggers recompilation).
   */
  lookup?: (url: string, tenant: string) => unknown | undefined;
}

/** Compiled contexts kept (LRU). */
const MAX_COMPILED_CONTEXTS = 500;
/** Deepest accepted chain of contexts referencing contexts. */
const MAX_REMOTE_DEPTH = 10;

/** Per-compile() state of the resolution. */
interface Resolution {
  readonly tenant: string;
  readonly locals: LocalContext[];
  /** URL -> document used, to check the validity of the cached compiled context later. */
  readonly documents: Map<string, unknown>;
  /** The last core context URL the request's context references. */
  core?: string;
}

interface CompiledEntry {
  readonly compiled: CompiledContext;
  readonly documents: ReadonlyMap<string, unknown>;
}

/** Resolves and compiles `@context` values, with caches for documents and compiled contexts. */
export class ContextResolver {
  readonly #options: ContextResolverOptions;
  readonly #documents: Lru<unknown>;
  readonly #compiled = new Lru<CompiledEntry>(MAX_COMPILED_CONTEXTS);
  readonly #fetching = new Map<string, Promise<unknown>>();
  readonly #compiling = new Map<string, Promise<CompiledContext>>();

  constructor(options: ContextResolverOptions) {
    this.#options = options;
    this.#documents = new Lru(options.cacheEntries);
  }

  /**
   * The compiled form of `context` (a URL, an object, an array of them, or undefined for the core
   * context only) for `tenant`. Throws LdContextNotAvailable if a URL cannot be retrieved and
   * BadRequestData if the context is invalid.
   */
  async compile(context: unknown, tenant: string): Promise<CompiledContext> {
    const key = contextKey(context);
    const cacheKey = `${tenant}\n${key}`;
    const cached = this.#compiled.get(cacheKey);
    if (cached && [...cached.documents].every(([url, doc]) => this.#knownDocument(url, tenant) === doc)) {
      return cached.compiled;
    }
    let pending = this.#compiling.get(cacheKey);
    if (!pending) {
      pending = this.#compileUncached(context, tenant, key, cacheKey).finally(() => this.#compiling.delete(cacheKey));
      this.#compiling.set(cacheKey, pending);
    }
    return pending;
  }

  async #compileUncached(context: unknown, tenant: string, key: string, cacheKey: string): Promise<CompiledContext> {
    const resolution: Resolution = { tenant, locals: [], documents: new Map() };
    if (context !== undefined && context !== null) await this.#flatten(context, undefined, [], resolution);
    const coreUrl = resolution.core ?? DEFAULT_CORE_CONTEXT_URL;
    const core = (builtinContext(coreUrl) as { '@context': Record<string, unknown> })['@context'];
    // Re-applying the same protected core right after itself changes nothing: skip it.
    if (resolution.locals.at(-1)?.context !== core) {
      resolution.locals.push({ context: core, source: coreUrl, shared: true });
    }
    const noContext = context === undefined || context === null;
    const compiled = CompiledContext.compile(resolution.locals, {
      contextValue: noContext ? DEFAULT_CORE_CONTEXT_URL : context,
      linkUrl: noContext ? DEFAULT_CORE_CONTEXT_URL : typeof context === 'string' ? context : undefined,
      key,
    });
    this.#compiled.set(cacheKey, { compiled, documents: resolution.documents });
    return compiled;
  }

  /** Appends the local contexts of `value` (resolving URLs against `base`) to the resolution. */
  async #flatten(value: unknown, base: string | undefined, chain: readonly string[], r: Resolution): Promise<void> {
    const items = Array.isArray(value) ? value : [value];
    for (const [i, item] of items.entries()) {
      const source = base ?? (Array.isArray(value) ? `@context[${i}]` : '@context');
      if (typeof item === 'string') {
        const url = this.#checkedUrl(item, base, chain);
        if (isCoreContextUrl(url)) r.core = url;
        const doc = await this.#remoteContext(url, r);
        await this.#flatten(doc, url, [...chain, url], r);
      } else if (item === null) {
        r.locals.push({ context: null, source });
      } else if (isObject(item)) {
        let ctx = item;
        if ('@context' in ctx) {
          const inner = ctx['@context'];
          if (!isObject(inner)) throw badRequest(`Invalid JSON-LD @context (${source}): a nested @context must be an object`);
          ctx = inner;
        }
        const imports = '@import' in ctx;
        if (imports) ctx = await this.#withImport(ctx, base, chain, source, r);
        // contexts inside documents are long-lived objects: their processing can be memoized
        r.locals.push({ context: ctx, source, shared: base !== undefined && !imports });
      } else {
        throw badRequest(`Invalid JSON-LD @context (${source}): expected a URL, an object or null, found ${JSON.stringify(item)}`);
      }
    }
  }

  /** JSON-LD 1.1 @import: the keys of the imported context that `ctx` does not define itself. */
  async #withImport(
    ctx: Record<string, unknown>,
    base: string | undefined,
    chain: readonly string[],
    source: string,
    r: Resolution,
  ): Promise<Record<string, unknown>> {
    const ref = ctx['@import'];
    if (typeof ref !== 'string') throw badRequest(`Invalid JSON-LD @context (${source}): @import must be a URL string`);
    const url = this.#checkedUrl(ref, base, chain);
    const imported = await this.#remoteContext(url, r);
    if (!isObject(imported) || '@import' in imported) {
      throw badRequest(`Invalid JSON-LD @context (${source}): @import ${url} must be a single context object without @import`);
    }
    const merged = { ...ctx };
    for (const [k, v] of Object.entries(imported)) if (!(k in merged)) merged[k] = v;
    return merged;
  }

  /** The absolute URL for a context reference, after the loop and depth checks. */
  #checkedUrl(ref: string, base: string | undefined, chain: readonly string[]): string {
    let url = ref;
    if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(ref)) {
      try {
        url = new URL(ref, base).href;
      } catch {
        throw badRequest(`Invalid JSON-LD @context: "${ref}" is not an absolute URL`);
      }
    }
    if (chain.includes(url)) {
      throw badRequest(`Invalid JSON-LD @context: remote contexts form a loop (${[...chain, url].join(' -> ')})`);
    }
    if (chain.length >= MAX_REMOTE_DEPTH) {
      throw badRequest(`Invalid JSON-LD @context: remote contexts nested deeper than ${MAX_REMOTE_DEPTH} levels at ${url}`);
    }
    return url;
  }

  /** The `@context` member of the document at `url` (an empty context if it has none). */
  async #remoteContext(url: string, r: Resolution): Promise<unknown> {
    const doc = this.#knownDocument(url, r.tenant) ?? (await this.#fetchOnce(url));
    if (!isObject(doc)) throw contextNotAvailable(`The @context document ${url} is not a JSON object`, url);
    r.documents.set(url, doc);
    return '@context' in doc ? doc['@context'] : {};
  }

  /** The registered, builtin or cached document for `url`, without network access. */
  #knownDocument(url: string, tenant: string): unknown {
    return this.#options.lookup?.(url, tenant) ?? builtinContext(url) ?? this.#documents.get(url);
  }

  #fetchOnce(url: string): Promise<unknown> {
    if (!this.#options.allowRemote) {
      throw contextNotAvailable(
        `The @context ${url} is neither preloaded nor registered, and this broker does not fetch remote contexts`,
        url,
      );
    }
    let pending = this.#fetching.get(url);
    if (!pending) {
      pending = this.#fetch(url).finally(() => this.#fetching.delete(url));
      this.#fetching.set(url, pending);
    }
    return pending;
  }

  async #fetch(url: string): Promise<unknown> {
    const fail = (cause: string) => contextNotAvailable(`The @context ${url} could not be retrieved: ${cause}`, url);
    const { fetchTimeoutMs, maxContextBytes } = this.#options;
    let protocol: string;
    try {
      protocol = new URL(url).protocol;
    } catch {
      throw fail('it is not a valid URL');
    }
    if (protocol !== 'http:' && protocol !== 'https:') throw fail(`the ${protocol} scheme is not supported`);
    let text: string;
    try {
      const res = await fetch(url, {
        signal: AbortSignal.timeout(fetchTimeoutMs),
        headers: { accept: 'application/ld+json, application/json;q=0.9' },
      });
      if (!res.ok) {
        await res.body?.cancel();
        throw fail(`the server answered HTTP ${res.status}`);
      }
      text = await readLimited(res, maxContextBytes, () => fail(`the document is larger than ${maxContextBytes} bytes`));
    } catch (err) {
      if (err instanceof NgsiError) throw err;
      throw fail(describeFetchError(err, fetchTimeoutMs));
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw fail('the response is not valid JSON');
    }
    if (!isObject(doc)) throw fail('the response is not a JSON object');
    this.#documents.set(url, doc);
    return doc;
  }
}

/** A stable cache key: the URL itself, else the JSON text of the value. */
function contextKey(context: unknown): string {
  if (context === undefined || context === null) return DEFAULT_CORE_CONTEXT_URL;
  return typeof context === 'string' ? context : JSON.stringify(context);
}

async function readLimited(res: Response, limit: number, tooLarge: () => Error): Promise<string> {
  if (Number(res.headers.get('content-length') ?? 0) > limit) {
    await res.body?.cancel();
    throw tooLarge();
  }
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    if (size > limit) {
      await res.body.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no complete response within ${timeoutMs} ms`;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
    return cause?.message ?? err.message;
  }
  return String(err);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A minimal LRU map: get() refreshes an entry, set() evicts the least recently used. */
class Lru<V> {
  readonly #limit: number;
  readonly #map = new Map<string, V>();

  constructor(limit: number) {
    this.#limit = Math.max(0, limit);
  }

  get(key: string): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.#map.delete(key);
    if (this.#limit === 0) return;
    this.#map.set(key, value);
    if (this.#map.size > this.#limit) this.#map.delete(this.#map.keys().next().value!);
  }
}
