/**
 * /openapi.json and /docs through the real HTTP server.
 *
 * Route coverage works in both directions without touching buildUrbis:
 *  - served routes: `app.printRoutes({ commonPrefix: false })` prints find-my-way's route tree, one
 *    node per line, indented by 4 characters per level, each node's path segment followed by the
 *    methods registered there, e.g. `│   └── /:entityId (GET, HEAD, PATCH)`. Joining each node's
 *    segment to its ancestors' gives the full path of every route and its methods. The parse is
 *    itself checked: every route it yields must satisfy `app.hasRoute`.
 *  - the documented operations (OpenAPI `{param}` turned into Fastify `:param`) must be exactly
 *    that set (HEAD, which Fastify adds for every GET, excluded), so the count matches too; each
 *    documented operation must satisfy `app.hasRoute`, and on every documented path the methods
 *    that are not documented must not be served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildUrbis, type Urbis } from '../../src/server/app.js';
import { testConfig } from '../helpers/server.js';
import { SECTIONS } from '../../src/openapi/sections.js';

type Json = Record<string, any>;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;

let urbis: Urbis;
let base: string;
let dataDir: string;
let doc: Json;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'urbis-openapi-'));
  urbis = await buildUrbis(testConfig({ dataDir }));
  await urbis.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = urbis.app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('no TCP address');
  base = `http://127.0.0.1:${addr.port}`;
  const res = await fetch(`${base}/openapi.json`);
  doc = (await res.json()) as Json;
});

afterAll(async () => {
  await urbis?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Every route of the server as "METHOD path", from the printed route tree. */
function servedRoutes(printed: string): Array<{ method: string; path: string }> {
  const out: Array<{ method: string; path: string }> = [];
  const stack: string[] = [];
  for (const line of printed.split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (.*)$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    const node = /^(.*?)(?: \(([A-Z, ]+)\))?(?: \{.*\})?$/.exec(m[2])!;
    stack.length = depth;
    stack.push(node[1]);
    if (!node[2]) continue;
    const full = stack.join('');
    for (const method of node[2].split(',').map((s) => s.trim())) out.push({ method, path: full });
  }
  return out;
}

const toFastify = (p: string) => p.replace(/\{([^}]+)\}/g, ':$1');

function documentedOperations(d: Json): Array<{ method: string; path: string; op: Json }> {
  const out: Array<{ method: string; path: string; op: Json }> = [];
  for (const [p, item] of Object.entries(d.paths as Json)) {
    for (const method of HTTP_METHODS) if ((item as Json)[method]) out.push({ method: method.toUpperCase(), path: p, op: (item as Json)[method] });
  }
  return out;
}

function resolve(d: Json, pointer: string): unknown {
  if (!pointer.startsWith('#/')) return undefined;
  let node: unknown = d;
  for (const raw of pointer.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in (node as object))) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

const deref = (d: Json, v: any): any => (v && typeof v.$ref === 'string' ? deref(d, resolve(d, v.$ref)) : v);

function collectRefs(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => collectRefs(x, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') out.push(x);
      else collectRefs(x, out);
    }
  }
  return out;
}

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1.0 document served as JSON', async () => {
    const res = await fetch(`${base}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(doc);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Urbis NGSI-LD API');
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(typeof doc.info.description).toBe('string');
    expect(doc.servers).toEqual([{ url: '/' }]);
    const featureTags = SECTIONS.flatMap((sec) => sec.tags.map((t) => t.name));
    expect(featureTags.length).toBeGreaterThan(0);
    expect(doc.tags.map((t: Json) => t.name)).toEqual(['Entities', 'Batch operations', 'Discovery', 'JSON-LD contexts', 'Operations', ...featureTags]);
    expect(new Set(featureTags).size).toBe(featureTags.length);
  });

  it('the route-tree parse matches the server (self-check of the coverage method)', () => {
    const served = servedRoutes(urbis.app.printRoutes({ commonPrefix: false }));
    expect(served.length).toBeGreaterThan(20);
    for (const r of served) expect(urbis.app.hasRoute({ method: r.method as any, url: r.path }), `${r.method} ${r.path}`).toBe(true);
    expect(served).toContainEqual({ method: 'PATCH', path: '/ngsi-ld/v1/entities/:entityId/attrs/:attrId' });
    // No route escaped the line parse: as many methods as the printout lists anywhere.
    const listed = [...urbis.app.printRoutes({ commonPrefix: false }).matchAll(/\(([A-Z]+(?:, [A-Z]+)*)\)/g)].flatMap((m) => m[1].split(', '));
    expect(served.length).toBe(listed.length);
  });

  it('documents exactly the routes the server has, with the right methods', () => {
    const served = servedRoutes(urbis.app.printRoutes({ commonPrefix: false }))
      .filter((r) => r.method !== 'HEAD')
      .map((r) => `${r.method} ${r.path}`)
      .sort();
    const documented = documentedOperations(doc)
      .map((o) => `${o.method} ${toFastify(o.path)}`)
      .sort();
    expect(new Set(documented).size).toBe(documented.length);
    expect(documented).toEqual(served);
    expect(documented.length).toBe(served.length);

    for (const o of documentedOperations(doc)) {
      const url = toFastify(o.path);
      expect(urbis.app.hasRoute({ method: o.method as any, url }), `${o.method} ${o.path} is documented but not served`).toBe(true);
    }
    // On each documented path, the methods not documented are not served either.
    for (const [p, item] of Object.entries(doc.paths as Json)) {
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
        const documentedHere = Boolean((item as Json)[method.toLowerCase()]);
        expect(urbis.app.hasRoute({ method: method as any, url: toFastify(p) }), `${method} ${p}`).toBe(documentedHere);
      }
    }
  });

  it('uses OpenAPI path templates whose parameters are all declared', () => {
    for (const o of documentedOperations(doc)) {
      expect(o.path).not.toMatch(/:/);
      const names = [...o.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const declared = (o.op.parameters ?? [])
        .map((p: any) => deref(doc, p))
        .filter((p: Json) => p.in === 'path')
        .map((p: Json) => p.name)
        .sort();
      expect(declared, `${o.method} ${o.path}`).toEqual(names);
      for (const p of (o.op.parameters ?? []).map((x: any) => deref(doc, x))) if (p.in === 'path') expect(p.required).toBe(true);
    }
  });

  it('resolves every $ref', () => {
    const refs = collectRefs(doc);
    expect(refs.length).toBeGreaterThan(100);
    const broken = [...new Set(refs)].filter((r) => resolve(doc, r) === undefined);
    expect(broken).toEqual([]);
  });

  it('gives every operation a unique operationId, a summary, a description, a tag and responses', () => {
    const ops = documentedOperations(doc);
    const ids = ops.map((o) => o.op.operationId);
    for (const id of ids) expect(typeof id).toBe('string');
    expect(new Set(ids).size).toBe(ids.length);
    const tags = new Set(doc.tags.map((t: Json) => t.name));
    for (const o of ops) {
      expect(o.op.summary, o.op.operationId).toBeTruthy();
      expect(o.op.description, o.op.operationId).toBeTruthy();
      expect(o.op.tags.every((t: string) => tags.has(t)), o.op.operationId).toBe(true);
      expect(Object.keys(o.op.responses).length, o.op.operationId).toBeGreaterThan(0);
    }
  });

  it('documents NGSI-LD errors as ProblemDetails for every API operation', () => {
    for (const o of documentedOperations(doc)) {
      if (!o.path.startsWith('/ngsi-ld/v1/')) continue;
      const clientErrors = Object.entries(o.op.responses).filter(([s]) => /^4\d\d$/.test(s));
      expect(clientErrors.length, o.op.operationId).toBeGreaterThan(0);
      for (const [status, r] of Object.entries(o.op.responses)) {
        if (!/^[45]\d\d$/.test(status)) continue;
        const raw = r as Json;
        const res = deref(doc, raw);
        expect(res.content['application/json'].schema.$ref, `${o.op.operationId} ${status}`).toBe('#/components/schemas/ProblemDetails');
        // Every example is the problem a request would really get: right status and error type URI.
        for (const ex of Object.values(res.content['application/json'].examples ?? {}) as Json[]) {
          expect(ex.value.status, `${o.op.operationId} ${status}`).toBe(Number(status));
          expect(ex.value.type).toMatch(/^https:\/\/uri\.etsi\.org\/ngsi-ld\/errors\/[A-Za-z]+$/);
        }
      }
      // NGSILD-Tenant is accepted everywhere under /ngsi-ld/v1.
      const params = (o.op.parameters ?? []).map((p: any) => deref(doc, p));
      expect(params.some((p: Json) => p.in === 'header' && p.name === 'NGSILD-Tenant'), o.op.operationId).toBe(true);
    }
  });

  it('matches the handlers on key status codes, headers and media types', () => {
    const op = (method: string, p: string) => doc.paths[p][method];
    const create = op('post', '/ngsi-ld/v1/entities');
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '400', '409', '415', '503']));
    expect(create.responses['201'].headers.Location).toBeDefined();
    expect(Object.keys(create.requestBody.content)).toEqual(expect.arrayContaining(['application/json', 'application/ld+json']));

    const query = op('get', '/ngsi-ld/v1/entities');
    expect(Object.keys(query.responses['200'].content)).toEqual(['application/json', 'application/ld+json', 'application/geo+json']);
    expect(query.responses['200'].headers['NGSILD-Results-Count']).toBeDefined();
    expect(query.responses['200'].headers.Link).toBeDefined();
    expect(query.responses['200'].content['application/geo+json'].schema.$ref).toBe('#/components/schemas/FeatureCollection');
    const queryParams = query.parameters.map((p: any) => deref(doc, p).name);
    for (const name of ['id', 'type', 'idPattern', 'attrs', 'pick', 'omit', 'q', 'scopeQ', 'georel', 'geometry', 'coordinates', 'geoproperty', 'geometryProperty', 'lang', 'limit', 'offset', 'count', 'options', 'format', 'local', 'NGSILD-Tenant', 'Link']) {
      expect(queryParams).toContain(name);
    }

    expect(op('get', '/ngsi-ld/v1/entities/{entityId}').responses['200'].content['application/geo+json'].schema.$ref).toBe('#/components/schemas/Feature');
    expect(Object.keys(op('patch', '/ngsi-ld/v1/entities/{entityId}').requestBody.content)).toContain('application/merge-patch+json');
    for (const p of ['/ngsi-ld/v1/entities/{entityId}/attrs']) {
      for (const m of ['post', 'patch']) {
        expect(Object.keys(op(m, p).responses)).toEqual(expect.arrayContaining(['204', '207']));
        expect(deref(doc, op(m, p).responses['207']).content['application/json'].schema.$ref).toBe('#/components/schemas/UpdateResult');
      }
    }
    const batchCreate = op('post', '/ngsi-ld/v1/entityOperations/create');
    expect(batchCreate.responses['201'].content['application/json'].schema.$ref).toBe('#/components/schemas/BatchEntityIdList');
    expect(deref(doc, batchCreate.responses['207']).content['application/json'].schema.$ref).toBe('#/components/schemas/BatchOperationResult');
    expect(Object.keys(op('post', '/ngsi-ld/v1/entityOperations/upsert').responses)).toEqual(expect.arrayContaining(['201', '204', '207']));
    expect(Object.keys(op('post', '/ngsi-ld/v1/entityOperations/query').responses['200'].content)).toEqual(['application/json', 'application/ld+json']);
    expect(op('post', '/ngsi-ld/v1/jsonldContexts').responses['201'].headers.Location).toBeDefined();

    const schemas = doc.components.schemas;
    for (const name of ['Entity', 'EntityList', 'Feature', 'FeatureCollection', 'UpdateResult', 'BatchOperationResult', 'ProblemDetails', 'EntityTypeList', 'EntityType', 'EntityTypeInfo', 'AttributeList', 'Attribute', 'ContextInfo', 'Geometry', 'Point', 'Polygon']) {
      expect(schemas[name], name).toBeDefined();
    }
    const members: Record<string, string> = {
      Property: 'value',
      Relationship: 'object',
      GeoProperty: 'value',
      LanguageProperty: 'languageMap',
      VocabProperty: 'vocab',
      JsonProperty: 'json',
      ListProperty: 'valueList',
      ListRelationship: 'objectList',
    };
    for (const [kind, member] of Object.entries(members)) {
      expect(schemas[kind].properties.type.const).toBe(kind);
      expect(schemas[kind].required).toEqual([member]);
      for (const m of ['observedAt', 'unitCode', 'datasetId', 'createdAt', 'modifiedAt']) expect(schemas[kind].properties[m], `${kind}.${m}`).toBeDefined();
    }
    expect(schemas.Relationship.properties.objectType).toBeDefined();
    expect(schemas.Property.properties.lang).toBeDefined();
  });

  it('agrees with the live server on a created entity and an error', async () => {
    const entity = { id: 'urn:ngsi-ld:Test:openapi-1', type: 'Test', name: { type: 'Property', value: 'x' } };
    const created = await fetch(`${base}/ngsi-ld/v1/entities`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(entity) });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/ngsi-ld/v1/entities/urn:ngsi-ld:Test:openapi-1');
    const again = await fetch(`${base}/ngsi-ld/v1/entities`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(entity) });
    expect(again.status).toBe(409);
    const problem = (await again.json()) as Json;
    const documented = deref(doc, doc.paths['/ngsi-ld/v1/entities'].post.responses['409']);
    const types = Object.values(documented.content['application/json'].examples).map((e: any) => e.value.type);
    expect(types).toContain(problem.type);
    for (const key of doc.components.schemas.ProblemDetails.required) expect(problem).toHaveProperty(key);
  });

  it('is the same document on every request', async () => {
    const again = (await (await fetch(`${base}/openapi.json`)).json()) as Json;
    expect(again).toEqual(doc);
  });
});

describe('GET /docs', () => {
  let html: string;
  beforeAll(async () => {
    const res = await fetch(`${base}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    html = await res.text();
  });

  it('is served at /docs/ too', async () => {
    const res = await fetch(`${base}/docs/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(html);
  });

  it('names every operation with its summary, method and path', () => {
    for (const o of documentedOperations(doc)) {
      const summary = String(o.op.summary).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      expect(html, o.op.operationId).toContain(summary);
      expect(html).toContain(`id="op-${String(o.op.operationId).toLowerCase()}"`);
      expect(html).toContain(`href="#op-${String(o.op.operationId).toLowerCase()}"`);
      expect(html).toContain(`>${o.method}</span> <code class="path">${o.path}</code>`);
    }
  });

  it('has an accessible structure', () => {
    expect(html).toMatch(/^<!DOCTYPE html>\s*<html lang="en">/);
    expect(html.match(/<h1[\s>]/g)?.length).toBe(1);
    for (const el of ['header', 'nav', 'main']) expect(html).toMatch(new RegExp(`<${el}[\\s>]`));
    expect(html).toMatch(/<a class="skip" href="#main">/);
    expect(html).toContain('id="main"');
    expect(html).toMatch(/:focus-visible/);

    // Headings never skip a level.
    const levels = [...html.matchAll(/<h([1-6])[\s>]/g)].map((m) => Number(m[1]));
    expect(levels[0]).toBe(1);
    for (let i = 1; i < levels.length; i++) expect(levels[i] - levels[i - 1]).toBeLessThanOrEqual(1);

    // Every table has a caption as its first child, and header cells have a scope.
    const tables = [...html.matchAll(/<table>([\s\S]*?)<\/table>/g)].map((m) => m[1]);
    expect(tables.length).toBeGreaterThan(documentedOperations(doc).length);
    for (const t of tables) expect(t.trimStart().startsWith('<caption>')).toBe(true);
    const ths = html.match(/<th\b[^>]*>/g) ?? [];
    expect(ths.length).toBeGreaterThan(0);
    for (const th of ths) expect(th).toMatch(/scope="(row|col)"/);

    // Every in-page link has its target, and ids are unique.
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [, target] of html.matchAll(/href="#([^"]+)"/g)) expect(ids, `#${target}`).toContain(target);

    // Self-contained: no scripts, no external resources.
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link[\s>]/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
  });

  it('escapes the strings it inserts', () => {
    // Descriptions contain quotes and angle brackets (the Link header example, q syntax): none leaks as markup.
    expect(html).toContain('&lt;https://example.org/context.jsonld&gt;');
    expect(html).not.toContain('<https://');
    expect(html).toContain('&quot;');
  });
});
