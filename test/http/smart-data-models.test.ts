/**
 * Every Smart Data Models normalized example shipped in ../shared/standards is accepted and
 * round-trips: created, then read back normalized and keyValues with its own context.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, linkHeader, startServer, type TestServer } from '../helpers/server.js';
import { SDM_DIR } from '../helpers/shared.js';

const SDM = SDM_DIR;
const CORE_PREFIX = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context';

interface Example {
  name: string;
  doc: Record<string, unknown>;
}

function examples(file: string): Example[] {
  const out: Example[] = [];
  for (const domain of readdirSync(SDM).sort()) {
    const domainDir = path.join(SDM, domain);
    if (!existsSync(path.join(domainDir, 'context.jsonld'))) continue;
    for (const model of readdirSync(domainDir).sort()) {
      const f = path.join(domainDir, model, 'examples', file);
      if (existsSync(f)) out.push({ name: `${domain}/${model}`, doc: JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown> });
    }
  }
  return out;
}

/** The keyValues form of a normalized entity: each attribute's value (or object). */
function keyValuesOf(entity: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entity)) {
    if (k === 'id' || k === 'type' || k === '@context') out[k] = v;
    else {
      const a = v as Record<string, unknown>;
      out[k] = a.type === 'Relationship' ? a.object : a.value;
    }
  }
  delete out['@context'];
  return out;
}

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => {
  await s.close();
});

// The example-normalized.json files are NGSI v2 (types Number, Text, geo:json): not NGSI-LD.
const withContext = examples('example-normalized.jsonld');

/**
 * Published examples that are not valid NGSI-LD, and the fault Urbis must name when it rejects
 * them: an attribute type "string", and a `location` that is a Property (the core context makes
 * location a GeoProperty).
 */
const INVALID: Record<string, string> = {
  'Environment/FloodMonitoring': 'attribute "floodLevelStatus": type "string" is not an attribute type',
  'Forestry/FireForestStatus': 'attribute "location" must be a GeoProperty',
};

describe('Smart Data Models normalized examples (application/ld+json, own @context)', () => {
  it('finds the examples', () => {
    expect(withContext.length).toBeGreaterThanOrEqual(14);
  });

  for (const ex of withContext.filter((e) => INVALID[e.name])) {
    it(`${ex.name} is rejected, naming its fault`, async () => {
      const r = await s.request('POST', `${API}/entities`, { body: ex.doc, headers: { 'content-type': 'application/ld+json' } });
      expect(r.status).toBe(400);
      expect(r.json.detail).toContain(INVALID[ex.name]);
    });
  }

  for (const ex of withContext.filter((e) => !INVALID[e.name])) {
    it(`${ex.name} round-trips`, async () => {
      const created = await s.request('POST', `${API}/entities`, { body: ex.doc, headers: { 'content-type': 'application/ld+json' } });
      expect(created.status, created.text).toBe(201);
      const ctx = ex.doc['@context'];
      const own = (Array.isArray(ctx) ? ctx : [ctx]).filter((c) => typeof c === 'string' && !c.startsWith(CORE_PREFIX));
      expect(own).toHaveLength(1);
      const link = linkHeader(own[0] as string);
      const url = `${API}/entities/${encodeURIComponent(ex.doc.id as string)}`;
      const { '@context': _ctx, ...expected } = ex.doc;

      const normalized = await s.request('GET', url, { headers: { link } });
      expect(normalized.status).toBe(200);
      expect(normalized.json).toEqual(expected);

      const kv = await s.request('GET', `${url}?options=keyValues`, { headers: { link } });
      expect(kv.json).toEqual(keyValuesOf(ex.doc));

      const ld = await s.request('GET', url, { headers: { link, accept: 'application/ld+json' } });
      const { '@context': returned, ...body } = ld.json;
      expect(body).toEqual(expected);
      expect(returned).toContain(own[0]);
    });
  }
});
