/**
 * HTTP concerns of the NGSI-LD API shared by its routes: tenant header, the @context of a request
 * (Link header or body), content negotiation, and replies in the three media types.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NgsiError, badRequest } from '../../errors.js';
import type { ContextResolver } from '../jsonld/context-resolver.js';
import type { CompiledContext } from '../jsonld/compiled-context.js';

export const JSON_LD = 'application/ld+json';
export const JSON_TYPE = 'application/json';
export const GEO_JSON = 'application/geo+json';
export const LINK_REL_CONTEXT = 'http://www.w3.org/ns/json-ld#context';
export const TENANT_HEADER = 'ngsild-tenant';

export type MediaType = typeof JSON_TYPE | typeof JSON_LD | typeof GEO_JSON;

/** The tenant named by NGSILD-Tenant ('' for the default tenant). */
export function tenantOf(req: FastifyRequest): string {
  const raw = req.headers[TENANT_HEADER];
  if (raw === undefined) return '';
  const t = Array.isArray(raw) ? raw[0] : raw;
  if (!/^[A-Za-z0-9_.\-:/]{1,64}$/.test(t)) {
    throw badRequest(`NGSILD-Tenant "${t}" is not a valid tenant name (1-64 letters, digits, _ . - : /)`);
  }
  return t;
}

/** The media type of the request body, without parameters. */
export function contentTypeOf(req: FastifyRequest): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/** The JSON-LD context URL of a Link header (rel=http://www.w3.org/ns/json-ld#context), if any. */
export function linkedContext(req: FastifyRequest): string | undefined {
  const header = req.headers.link;
  if (header === undefined) return undefined;
  const found: string[] = [];
  for (const part of splitLinks(Array.isArray(header) ? header.join(',') : header)) {
    const m = /^\s*<([^>]*)>\s*(.*)$/.exec(part);
    if (!m) throw badRequest(`Link header "${part.trim()}" is not <url>; rel=...`);
    const rel = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(m[2]);
    if (rel && rel[1].trim() === LINK_REL_CONTEXT) found.push(m[1]);
  }
  if (found.length > 1) throw badRequest('only one JSON-LD context Link header is allowed');
  return found[0];
}

function splitLinks(h: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < h.length; i++) {
    const c = h[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '<') depth++;
    else if (!quoted && c === '>') depth--;
    else if (!quoted && depth === 0 && c === ',') {
      parts.push(h.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(h.slice(start));
  return parts.filter((p) => p.trim().length > 0);
}

/**
 * The @context of a request: for an application/ld+json body its @context member (required),
 * otherwise the Link header (an application/json body must not carry @context).
 */
export function requestContextValue(req: FastifyRequest, body: unknown): unknown {
  const hasBody = body !== undefined && body !== null && req.method !== 'GET' && req.method !== 'DELETE';
  if (hasBody && contentTypeOf(req) === JSON_LD) {
    const first = Array.isArray(body) ? body[0] : body;
    const ctx = (first as Record<string, unknown> | undefined)?.['@context'];
    if (ctx === undefined && !Array.isArray(body)) throw badRequest('an application/ld+json body must carry an @context member');
    return ctx;
  }
  if (hasBody && !Array.isArray(body) && typeof body === 'object' && '@context' in (body as object)) {
    throw badRequest('an application/json body must not carry @context: send it in a Link header, or use Content-Type application/ld+json');
  }
  return linkedContext(req);
}

/** Compiles the request's @context (the core context alone when there is none). */
export async function requestContext(req: FastifyRequest, resolver: ContextResolver, tenant: string, body?: unknown): Promise<CompiledContext> {
  return resolver.compile(requestContextValue(req, body), tenant);
}

/** Picks the response media type from Accept; 406 when none of `offered` is acceptable. */
export function negotiate(req: FastifyRequest, offered: MediaType[] = [JSON_TYPE, JSON_LD]): MediaType {
  const accept = req.headers.accept;
  if (!accept) return offered[0];
  const ranges = accept
    .split(',')
    .map((r, i) => {
      const [type, ...params] = r.trim().toLowerCase().split(';');
      const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { type: type.trim(), q: qp ? Number(qp.slice(2)) : 1, i };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || specificity(b.type) - specificity(a.type) || a.i - b.i);
  for (const r of ranges) {
    if (r.type === '*/*' || r.type === 'application/*') return offered[0];
    const hit = offered.find((o) => o === r.type);
    if (hit) return hit;
  }
  throw new NgsiError('NotAcceptable', `none of the accepted media types (${accept}) can be produced; available: ${offered.join(', ')}`);
}

const specificity = (t: string) => (t === '*/*' ? 0 : t.endsWith('/*') ? 1 : 2);

/** The Link header value that points at a context. */
export function contextLink(url: string): string {
  return `<${url}>; rel="${LINK_REL_CONTEXT}"; type="${JSON_LD}"`;
}

/** The @context of an application/ld+json response: the request's context followed by the core context. */
export function bodyContext(value: unknown, coreUrl: string): unknown {
  if (value === undefined || value === null) return coreUrl;
  const list = Array.isArray(value) ? value : [value];
  const hasCore = list.some((v) => typeof v === 'string' && v.startsWith('https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context'));
  return hasCore ? value : [...list, coreUrl];
}

/**
 * Sends a JSON body in the negotiated media type: application/ld+json carries @context in the
 * body (in each element of an array), the others a Link header to the context.
 */
export function sendJson(reply: FastifyReply, media: MediaType, ctx: CompiledContext, body: unknown, coreUrl: string, status = 200): FastifyReply {
  if (media === JSON_LD) {
    const contextValue = bodyContext(ctx.contextValue, coreUrl);
    const withCtx = (o: unknown) => (o && typeof o === 'object' && !Array.isArray(o) ? { ...(o as object), '@context': contextValue } : o);
    body = Array.isArray(body) ? body.map(withCtx) : withCtx(body);
  } else {
    reply.header('Link', contextLink(ctx.linkUrl ?? coreUrl));
  }
  return reply.code(status).type(media).send(JSON.stringify(body));
}
