import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, CORE_V19, linkHeader, startServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => {
  await s.close();
});

const E = (id: string) => `${API}/entities/${encodeURIComponent(id)}`;

/** An entity with one attribute of every kind. */
function everyKind(id: string) {
  return {
    id,
    type: 'Building',
    temperature: { type: 'Property', value: 21.5, unitCode: 'CEL', observedAt: '2024-05-01T10:00:00Z', accuracy: { type: 'Property', value: 0.1 } },
    owner: { type: 'Relationship', object: 'urn:ngsi-ld:Person:alice' },
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [13.35, 52.51] } },
    name: { type: 'LanguageProperty', languageMap: { en: 'Town hall', zh: '市政厅' } },
    category: { type: 'VocabProperty', vocab: 'office' },
    settings: { type: 'JsonProperty', json: { mode: 'eco', levels: [1, 2] } },
    readings: { type: 'ListProperty', valueList: [1, 2, 3] },
    sensors: { type: 'ListRelationship', objectList: [{ object: 'urn:ngsi-ld:Sensor:1' }, { object: 'urn:ngsi-ld:Sensor:2' }] },
  };
}

describe('POST /entities and GET /entities/{id}', () => {
  it('creates an entity with every attribute kind and returns it normalized', async () => {
    const id = 'urn:ngsi-ld:Building:every-kind';
    const created = await s.request('POST', `${API}/entities`, { body: everyKind(id) });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`${API}/entities/${id}`);
    const got = await s.request('GET', E(id));
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toMatch(/^application\/json/);
    expect(got.headers.get('link')).toBe(linkHeader(CORE_V19));
    expect(got.json).toEqual(everyKind(id));
  });

  it('renders keyValues and concise', async () => {
    const id = 'urn:ngsi-ld:Building:every-kind';
    const kv = await s.request('GET', `${E(id)}?options=keyValues`);
    expect(kv.json).toEqual({
      id,
      type: 'Building',
      temperature: 21.5,
      owner: 'urn:ngsi-ld:Person:alice',
      location: { type: 'Point', coordinates: [13.35, 52.51] },
      name: { languageMap: { en: 'Town hall', zh: '市政厅' } },
      category: { vocab: 'office' },
      settings: { json: { mode: 'eco', levels: [1, 2] } },
      readings: { valueList: [1, 2, 3] },
      sensors: { objectList: ['urn:ngsi-ld:Sensor:1', 'urn:ngsi-ld:Sensor:2'] },
    });
    const concise = await s.request('GET', `${E(id)}?format=concise`);
    expect(concise.json.temperature).toEqual({ value: 21.5, unitCode: 'CEL', observedAt: '2024-05-01T10:00:00Z', accuracy: 0.1 });
    expect(concise.json.owner).toEqual({ object: 'urn:ngsi-ld:Person:alice' });
    expect(concise.json.location).toEqual({ type: 'Point', coordinates: [13.35, 52.51] });
    // A concise representation can be sent back as it is and means the same entity.
    const copy = { ...concise.json, id: 'urn:ngsi-ld:Building:concise-copy' };
    expect((await s.request('POST', `${API}/entities`, { body: copy })).status).toBe(201);
    const back = await s.request('GET', E('urn:ngsi-ld:Building:concise-copy'));
    expect(back.json).toEqual({ ...everyKind('urn:ngsi-ld:Building:concise-copy') });
  });

  it('adds createdAt and modifiedAt with options=sysAttrs', async () => {
    const id = 'urn:ngsi-ld:Building:every-kind';
    const got = await s.request('GET', `${E(id)}?options=sysAttrs`);
    expect(Date.parse(got.json.createdAt)).not.toBeNaN();
    expect(Date.parse(got.json.modifiedAt)).not.toBeNaN();
    expect(Date.parse(got.json.temperature.createdAt)).not.toBeNaN();
    expect(got.json.temperature.modifiedAt).toBeDefined();
    const plain = await s.request('GET', E(id));
    expect(plain.json.createdAt).toBeUndefined();
  });

  it('rejects a second entity with the same id (409 AlreadyExists) and keeps the first', async () => {
    const id = 'urn:ngsi-ld:Building:dup';
    expect((await s.request('POST', `${API}/entities`, { body: { id, type: 'Building', a: 1 } })).status).toBe(201);
    const again = await s.request('POST', `${API}/entities`, { body: { id, type: 'Building', a: 2 } });
    expect(again.status).toBe(409);
    expect(again.json.type).toBe('https://uri.etsi.org/ngsi-ld/errors/AlreadyExists');
    expect((await s.request('GET', `${E(id)}?options=keyValues`)).json.a).toBe(1);
  });

  it('answers 404 ResourceNotFound for an unknown entity', async () => {
    const r = await s.request('GET', E('urn:ngsi-ld:Building:nowhere'));
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ type: 'https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound', status: 404 });
    expect(r.json.detail).toContain('urn:ngsi-ld:Building:nowhere');
  });
});

describe('bad input is a 400 that names the fault, and nothing is written', () => {
  const cases: Array<[string, unknown, string]> = [
    ['an id that is not a URI', { id: 'not a uri', type: 'T' }, 'entity id'],
    ['a missing type', { id: 'urn:ngsi-ld:T:1' }, 'entity type'],
    ['a forbidden character in an attribute name', { id: 'urn:ngsi-ld:T:2', type: 'T', 'bad(name)': 1 }, 'forbidden character'],
    ['a forbidden character in a type', { id: 'urn:ngsi-ld:T:3', type: 'T<x>' }, 'forbidden character'],
    ['a Property without value', { id: 'urn:ngsi-ld:T:4', type: 'T', a: { type: 'Property' } }, '"value"'],
    ['a Relationship whose object is not a URI', { id: 'urn:ngsi-ld:T:5', type: 'T', r: { type: 'Relationship', object: 'nope' } }, 'object'],
    ['a null value', { id: 'urn:ngsi-ld:T:6', type: 'T', a: null }, 'null'],
    ['an unknown attribute type', { id: 'urn:ngsi-ld:T:7', type: 'T', a: { type: 'Proprety', value: 1 } }, 'Proprety'],
    ['an invalid observedAt', { id: 'urn:ngsi-ld:T:8', type: 'T', a: { type: 'Property', value: 1, observedAt: 'yesterday' } }, 'observedAt'],
    ['a location that is not a GeoProperty', { id: 'urn:ngsi-ld:T:9', type: 'T', location: { type: 'Property', value: 'here' } }, 'GeoProperty'],
    ['an invalid geometry', { id: 'urn:ngsi-ld:T:10', type: 'T', location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [200, 10] } } }, 'longitude 200'],
    ['two default instances', { id: 'urn:ngsi-ld:T:11', type: 'T', a: [{ type: 'Property', value: 1 }, { type: 'Property', value: 2 }] }, 'default instance'],
    ['an invalid language tag', { id: 'urn:ngsi-ld:T:12', type: 'T', n: { type: 'LanguageProperty', languageMap: { 'not a tag': 'x' } } }, 'language tag'],
    ['a body that is an array', [{ id: 'urn:ngsi-ld:T:13', type: 'T' }], 'JSON object'],
  ];
  for (const [what, body, mention] of cases) {
    it(`rejects ${what}`, async () => {
      const r = await s.request('POST', `${API}/entities`, { body });
      expect(r.status).toBe(400);
      expect(r.json.type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
      expect(r.json.detail).toContain(mention);
      const id = Array.isArray(body) ? undefined : (body as { id?: string }).id;
      if (id && id.startsWith('urn:')) expect((await s.request('GET', E(id))).status).toBe(404);
    });
  }

  it('rejects malformed JSON as an InvalidRequest', async () => {
    const r = await s.request('POST', `${API}/entities`, { rawBody: '{"id": "urn:x:1", "type": ', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.json.type).toBe('https://uri.etsi.org/ngsi-ld/errors/InvalidRequest');
    expect(r.json.detail).toMatch(/not valid JSON/);
  });

  it('rejects a body over the size limit', async () => {
    const big = { id: 'urn:ngsi-ld:T:big', type: 'T', blob: { type: 'Property', value: 'x'.repeat(1024 * 1024 + 10) } };
    const r = await s.request('POST', `${API}/entities`, { body: big });
    expect(r.status).toBe(400);
    expect(r.json.detail).toContain('limit');
    expect((await s.request('GET', E('urn:ngsi-ld:T:big'))).status).toBe(404);
  });

  it('rejects an unsupported Content-Type with 415', async () => {
    const r = await s.request('POST', `${API}/entities`, { rawBody: 'id=1', headers: { 'content-type': 'text/plain' } });
    expect(r.status).toBe(415);
    expect(r.json.status).toBe(415);
  });

  it('requires @context in an application/ld+json body and forbids it in application/json', async () => {
    const noCtx = await s.request('POST', `${API}/entities`, { body: { id: 'urn:ngsi-ld:T:ld', type: 'T' }, headers: { 'content-type': 'application/ld+json' } });
    expect(noCtx.status).toBe(400);
    expect(noCtx.json.detail).toContain('@context');
    const ctxInJson = await s.request('POST', `${API}/entities`, { body: { id: 'urn:ngsi-ld:T:ld', type: 'T', '@context': CORE_V19 } });
    expect(ctxInJson.status).toBe(400);
    expect(ctxInJson.json.detail).toContain('Link header');
  });

  it('answers 406 when no acceptable representation exists', async () => {
    const r = await s.request('GET', E('urn:ngsi-ld:Building:every-kind'), { headers: { accept: 'text/html' } });
    expect(r.status).toBe(406);
  });
});

describe('entity and attribute updates', () => {
  const id = 'urn:ngsi-ld:Vehicle:bus-7';
  const kv = async () => (await s.request('GET', `${E(id)}?options=keyValues`)).json;

  beforeAll(async () => {
    const r = await s.request('POST', `${API}/entities`, {
      body: { id, type: 'Vehicle', speed: { type: 'Property', value: 30, unitCode: 'KMH' }, route: { type: 'Relationship', object: 'urn:ngsi-ld:Route:7' } },
    });
    expect(r.status).toBe(201);
  });

  it('appends attributes (POST /attrs) and reports those kept by noOverwrite (207)', async () => {
    expect((await s.request('POST', `${E(id)}/attrs`, { body: { occupancy: { type: 'Property', value: 12 } } })).status).toBe(204);
    const r = await s.request('POST', `${E(id)}/attrs?options=noOverwrite`, { body: { speed: { type: 'Property', value: 99 }, heading: { type: 'Property', value: 90 } } });
    expect(r.status).toBe(207);
    expect(r.json.updated).toEqual(['heading']);
    expect(r.json.notUpdated).toEqual([{ attributeName: 'speed', reason: expect.stringContaining('noOverwrite') }]);
    expect(await kv()).toMatchObject({ speed: 30, occupancy: 12, heading: 90 });
  });

  it('updates existing attributes only (PATCH /attrs), 207 for the missing ones', async () => {
    expect((await s.request('PATCH', `${E(id)}/attrs`, { body: { speed: { type: 'Property', value: 42 } } })).status).toBe(204);
    const r = await s.request('PATCH', `${E(id)}/attrs`, { body: { speed: { type: 'Property', value: 43 }, ghost: { type: 'Property', value: 1 } } });
    expect(r.status).toBe(207);
    expect(r.json.notUpdated[0].attributeName).toBe('ghost');
    expect((await kv()).speed).toBe(43);
    expect((await kv()).ghost).toBeUndefined();
  });

  it('partially updates one attribute, keeping its other members', async () => {
    // PATCH /attrs replaced the whole attribute (unitCode gone); put it back first.
    expect((await s.request('PATCH', `${E(id)}/attrs`, { body: { speed: { type: 'Property', value: 43, unitCode: 'KMH' } } })).status).toBe(204);
    expect((await s.request('PATCH', `${E(id)}/attrs/speed`, { body: { value: 50 } })).status).toBe(204);
    const got = (await s.request('GET', E(id))).json;
    expect(got.speed).toEqual({ type: 'Property', value: 50, unitCode: 'KMH' });
    const missing = await s.request('PATCH', `${E(id)}/attrs/altitude`, { body: { value: 1 } });
    expect(missing.status).toBe(404);
  });

  it('merges with PATCH /entities/{id}, deleting attributes set to urn:ngsi-ld:null', async () => {
    const r = await s.request('PATCH', E(id), { body: { speed: { value: 55 }, heading: 'urn:ngsi-ld:null', driver: { type: 'Relationship', object: 'urn:ngsi-ld:Person:bob' } } });
    expect(r.status).toBe(204);
    const got = (await s.request('GET', E(id))).json;
    expect(got.speed).toEqual({ type: 'Property', value: 55, unitCode: 'KMH' });
    expect(got.heading).toBeUndefined();
    expect(got.driver.object).toBe('urn:ngsi-ld:Person:bob');
    expect((await s.request('PATCH', E('urn:ngsi-ld:Vehicle:none'), { body: { speed: 1 } })).status).toBe(404);
  });

  it('keeps several instances of an attribute by datasetId and deletes them one by one or all', async () => {
    const body = {
      temperature: [
        { type: 'Property', value: 20 },
        { type: 'Property', value: 68, datasetId: 'urn:ngsi-ld:Dataset:fahrenheit' },
      ],
    };
    expect((await s.request('POST', `${E(id)}/attrs`, { body })).status).toBe(204);
    let got = (await s.request('GET', E(id))).json;
    expect(got.temperature).toEqual(body.temperature);
    expect((await s.request('DELETE', `${E(id)}/attrs/temperature?datasetId=urn:ngsi-ld:Dataset:fahrenheit`)).status).toBe(204);
    got = (await s.request('GET', E(id))).json;
    expect(got.temperature).toEqual({ type: 'Property', value: 20 });
    await s.request('POST', `${E(id)}/attrs`, { body });
    expect((await s.request('DELETE', `${E(id)}/attrs/temperature?deleteAll=true`)).status).toBe(204);
    expect((await s.request('GET', E(id))).json.temperature).toBeUndefined();
    expect((await s.request('DELETE', `${E(id)}/attrs/temperature`)).status).toBe(404);
  });

  it('replaces the whole entity with PUT, keeping createdAt', async () => {
    const before = (await s.request('GET', `${E(id)}?options=sysAttrs`)).json;
    const r = await s.request('PUT', E(id), { body: { type: 'Vehicle', speed: { type: 'Property', value: 1 } } });
    expect(r.status).toBe(204);
    const after = (await s.request('GET', `${E(id)}?options=sysAttrs`)).json;
    expect(Object.keys(after).sort()).toEqual(['createdAt', 'id', 'modifiedAt', 'speed', 'type']);
    expect(after.createdAt).toBe(before.createdAt);
    const mismatch = await s.request('PUT', E(id), { body: { id: 'urn:ngsi-ld:Vehicle:other', type: 'Vehicle' } });
    expect(mismatch.status).toBe(400);
  });

  it('deletes the entity', async () => {
    expect((await s.request('DELETE', E(id))).status).toBe(204);
    expect((await s.request('GET', E(id))).status).toBe(404);
    expect((await s.request('DELETE', E(id))).status).toBe(404);
  });
});

describe('projection, languages and representations', () => {
  const id = 'urn:ngsi-ld:Building:every-kind';

  it('projects with attrs, pick and omit', async () => {
    const attrs = (await s.request('GET', `${E(id)}?attrs=temperature,owner&options=keyValues`)).json;
    expect(Object.keys(attrs).sort()).toEqual(['id', 'owner', 'temperature', 'type']);
    const pick = (await s.request('GET', `${E(id)}?pick=id,temperature&options=keyValues`)).json;
    expect(pick).toEqual({ id, temperature: 21.5 });
    const omit = (await s.request('GET', `${E(id)}?omit=type,location,name,category,settings,readings,sensors,owner&options=keyValues`)).json;
    expect(omit).toEqual({ id, temperature: 21.5 });
  });

  it('selects a language with lang', async () => {
    const zh = (await s.request('GET', `${E(id)}?attrs=name&lang=zh`)).json;
    expect(zh.name).toEqual({ type: 'Property', value: '市政厅', lang: 'zh' });
    const fallback = (await s.request('GET', `${E(id)}?attrs=name&lang=fr&options=keyValues`)).json;
    expect(['Town hall', '市政厅']).toContain(fallback.name);
  });

  it('puts @context in the body for application/ld+json', async () => {
    const r = await s.request('GET', E(id), { headers: { accept: 'application/ld+json' } });
    expect(r.headers.get('content-type')).toMatch(/^application\/ld\+json/);
    expect(r.json['@context']).toBe(CORE_V19);
    expect(r.headers.get('link')).toBeNull();
  });

  it('answers GeoJSON for application/geo+json', async () => {
    const one = await s.request('GET', E(id), { headers: { accept: 'application/geo+json' } });
    expect(one.headers.get('content-type')).toMatch(/^application\/geo\+json/);
    expect(one.json).toMatchObject({ id, type: 'Feature', geometry: { type: 'Point', coordinates: [13.35, 52.51] } });
    expect(one.json.properties.type).toBe('Building');
    const many = await s.request('GET', `${API}/entities?type=Building&options=keyValues`, { headers: { accept: 'application/geo+json' } });
    expect(many.json.type).toBe('FeatureCollection');
    expect(many.json.features.length).toBeGreaterThanOrEqual(1);
  });
});

describe('tenants', () => {
  it('isolates data per NGSILD-Tenant and creates a tenant on its first write', async () => {
    const unknown = await s.request('GET', `${API}/entities?type=T`, { headers: { 'NGSILD-Tenant': 'nowhere' } });
    expect(unknown.status).toBe(404);
    expect(unknown.json.type).toBe('https://uri.etsi.org/ngsi-ld/errors/NonexistentTenant');
    const id = 'urn:ngsi-ld:Sensor:tenanted';
    const w = await s.request('POST', `${API}/entities`, { body: { id, type: 'Sensor', v: 1 }, headers: { 'NGSILD-Tenant': 'city-a' } });
    expect(w.status).toBe(201);
    expect((await s.request('GET', E(id), { headers: { 'NGSILD-Tenant': 'city-a' } })).status).toBe(200);
    expect((await s.request('GET', E(id))).status).toBe(404);
    const types = await s.request('GET', `${API}/types`, { headers: { 'NGSILD-Tenant': 'city-a' } });
    expect(types.json.typeList).toEqual(['Sensor']);
  });
});
