import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, startServer, type TestServer } from '../helpers/server.js';

let s: TestServer;

/** Ids of GET /entities?<params>, sorted. */
async function ids(params: Record<string, string>): Promise<string[]> {
  const r = await s.request('GET', `${API}/entities?${new URLSearchParams(params)}`);
  expect(r.status, r.text).toBe(200);
  return (r.json as Array<{ id: string }>).map((e) => e.id).sort();
}

const point = (lon: number, lat: number) => ({ type: 'GeoProperty', value: { type: 'Point', coordinates: [lon, lat] } });

beforeAll(async () => {
  s = await startServer();
  const entities = [
    { id: 'urn:ngsi-ld:Sensor:a', type: 'Sensor', temperature: 10, status: 'ok', location: point(-3.7038, 40.4168), scope: '/Madrid/Centro',
      address: { type: 'Property', value: { city: 'Madrid', 'street.name': 'Gran Vía', parts: ['x', 'y'] } },
      observed: { type: 'Property', value: { '@type': 'DateTime', '@value': '2024-03-01T10:00:00Z' } } },
    { id: 'urn:ngsi-ld:Sensor:b', type: 'Sensor', temperature: 25.5, status: 'fault; check|later', location: point(-3.7038, 40.4258), scope: '/Madrid/Norte',
      observed: { type: 'Property', value: '2024-03-05T00:00:00+02:00' } },
    { id: 'urn:ngsi-ld:Sensor:c', type: ['Sensor', 'Camera'], temperature: 30, tags: ['red', 'blue'], location: point(2.1734, 41.3851), scope: '/Barcelona',
      refRoad: { type: 'Relationship', object: 'urn:ngsi-ld:Road:1' } },
    { id: 'urn:ngsi-ld:Camera:d', type: 'Camera', count: { type: 'Property', value: 7, observedAt: '2024-01-02T00:00:00Z' }, refRoad: { type: 'Relationship', object: 'urn:ngsi-ld:Road:2' } },
    { id: 'urn:ngsi-ld:Park:e', type: 'Park',
      location: { type: 'GeoProperty', value: { type: 'Polygon', coordinates: [[[-3.69, 40.41], [-3.68, 40.41], [-3.68, 40.42], [-3.69, 40.42], [-3.69, 40.41]]] } } },
  ];
  const r = await s.request('POST', `${API}/entityOperations/create`, { body: entities });
  expect(r.status, r.text).toBe(201);
});
afterAll(async () => {
  await s.close();
});

describe('selecting entities', () => {
  it('uses the type selection language', async () => {
    expect(await ids({ type: 'Sensor' })).toEqual(['urn:ngsi-ld:Sensor:a', 'urn:ngsi-ld:Sensor:b', 'urn:ngsi-ld:Sensor:c']);
    expect(await ids({ type: 'Camera,Park' })).toEqual(['urn:ngsi-ld:Camera:d', 'urn:ngsi-ld:Park:e', 'urn:ngsi-ld:Sensor:c']);
    expect(await ids({ type: 'Sensor;Camera' })).toEqual(['urn:ngsi-ld:Sensor:c']);
    expect(await ids({ type: '(Sensor;Camera)|Park' })).toEqual(['urn:ngsi-ld:Park:e', 'urn:ngsi-ld:Sensor:c']);
  });

  it('selects by id list and idPattern', async () => {
    expect(await ids({ id: 'urn:ngsi-ld:Sensor:a,urn:ngsi-ld:Park:e' })).toEqual(['urn:ngsi-ld:Park:e', 'urn:ngsi-ld:Sensor:a']);
    expect(await ids({ idPattern: '^urn:ngsi-ld:Sensor:[ab]$' })).toEqual(['urn:ngsi-ld:Sensor:a', 'urn:ngsi-ld:Sensor:b']);
    expect(await ids({ idPattern: 'Camera|Park' })).toEqual(['urn:ngsi-ld:Camera:d', 'urn:ngsi-ld:Park:e']);
  });

  it('rejects an idPattern prone to catastrophic backtracking', async () => {
    const r = await s.request('GET', `${API}/entities?idPattern=${encodeURIComponent('^(a+)+$')}`);
    expect(r.status).toBe(400);
    expect(r.json.detail).toContain('idPattern');
  });

  it('requires a selection unless local=true', async () => {
    const r = await s.request('GET', `${API}/entities`);
    expect(r.status).toBe(400);
    expect((await ids({ local: 'true', limit: '100' })).length).toBe(5);
  });

  it('pages with limit/offset and counts with count=true', async () => {
    const r = await s.request('GET', `${API}/entities?type=Sensor&limit=2&offset=1&count=true`);
    expect(r.headers.get('ngsild-results-count')).toBe('3');
    expect(r.json.map((e: { id: string }) => e.id)).toEqual(['urn:ngsi-ld:Sensor:b', 'urn:ngsi-ld:Sensor:c']);
    const countOnly = await s.request('GET', `${API}/entities?type=Sensor&limit=0&count=true`);
    expect(countOnly.json).toEqual([]);
    expect(countOnly.headers.get('ngsild-results-count')).toBe('3');
    const tooMany = await s.request('GET', `${API}/entities?type=Sensor&limit=100000`);
    expect(tooMany.status).toBe(403);
    expect(tooMany.json.type).toBe('https://uri.etsi.org/ngsi-ld/errors/TooManyResults');
    expect((await s.request('GET', `${API}/entities?type=Sensor&limit=-1`)).status).toBe(400);
  });

  it('requires entities to have one of attrs', async () => {
    expect(await ids({ attrs: 'count,tags' })).toEqual(['urn:ngsi-ld:Camera:d', 'urn:ngsi-ld:Sensor:c']);
  });
});

describe('the q language end to end', () => {
  const q = (expr: string, type = 'Sensor,Camera') => ids({ type, q: expr });

  it('compares numbers, ranges and lists', async () => {
    expect(await q('temperature>20')).toEqual(['urn:ngsi-ld:Sensor:b', 'urn:ngsi-ld:Sensor:c']);
    expect(await q('temperature==10..26')).toEqual(['urn:ngsi-ld:Sensor:a', 'urn:ngsi-ld:Sensor:b']);
    expect(await q('temperature==10,30')).toEqual(['urn:ngsi-ld:Sensor:a', 'urn:ngsi-ld:Sensor:c']);
    expect(await q('temperature!=10')).toEqual(['urn:ngsi-ld:Sensor:b', 'urn:ngsi-ld:Sensor:c']);
  });

  it('handles quoted strings containing ; and |', async () => {
    expect(await q('status=="fault; check|later"')).toEqual(['urn:ngsi-ld:Sensor:b']);
    expect(await q('status=="ok"|temperature==30')).toEqual(['urn:ngsi-ld:Sensor:a', 'urn:ngsi-ld:Sensor:c']);
  });

  it('combines with ; and | and parentheses', async () => {
    expect(await q('(temperature>20;temperature<28)|count==7')).toEqual(['urn:ngsi-ld:Camera:d', 'urn:ngsi-ld:Sensor:b']);
    expect(await q('temperature>5;(status=="ok"|tags=="blue")')).toEqual(['urn:ngsi-ld:Sensor:a', 'urn:ngsi-ld:Sensor:c']);
  });

  it('tests existence, non-existence, patterns and arrays', async () => {
    expect(await q('tags')).toEqual(['urn:ngsi-ld:Sensor:c']);
    expect(await q('!status', 'Sensor')).toEqual(['urn:ngsi-ld:Sensor:c']);
    expect(await q('status~=^fa')).toEqual(['urn:ngsi-ld:Sensor:b']);
    expect(await q('status!~=^fa', 'Sensor')).toEqual(['urn:ngsi-ld:Sensor:a']);
    expect(await q('tags=="red"')).toEqual(['urn:ngsi-ld:Sensor:c']);
  });

  it('follows attribute paths and relationship values', async () => {
    expect(await q('address[city]=="Madrid"')).toEqual(['urn:ngsi-ld:Sensor:a']);
    expect(await q('refRoad==urn:ngsi-ld:Road:2')).toEqual(['urn:ngsi-ld:Camera:d']);
    expect(await q('count.observedAt<2024-02-01T00:00:00Z')).toEqual(['urn:ngsi-ld:Camera:d']);
  });

  it('compares date-times as instants', async () => {
    // 2024-03-05T00:00:00+02:00 is 2024-03-04T22:00:00Z
    expect(await q('observed>2024-03-04T21:00:00Z')).toEqual(['urn:ngsi-ld:Sensor:b']);
    expect(await q('observed==2024-03-01T00:00:00Z..2024-03-04T22:00:00Z')).toEqual(['urn:ngsi-ld:Sensor:a', 'urn:ngsi-ld:Sensor:b']);
  });

  it('refuses a q that is too long or too deeply nested as TooComplexQuery (403)', async () => {
    const deep = '('.repeat(40) + 'temperature>1' + ')'.repeat(40);
    const long = Array.from({ length: 500 }, (_, i) => `temperature>${i}`).join(';');
    for (const expr of [deep, long]) {
      const r = await s.request('POST', `${API}/entityOperations/query`, { body: { type: 'Query', entities: [{ type: 'Sensor' }], q: expr } });
      expect(r.status).toBe(403);
      expect(r.json.type).toBe('https://uri.etsi.org/ngsi-ld/errors/TooComplexQuery');
    }
  });

  it('rejects a q that does not parse, saying where', async () => {
    for (const bad of ['temperature>', '(temperature>1', 'temperature=1', 'temperature==1)', 'a b==1']) {
      const r = await s.request('GET', `${API}/entities?type=Sensor&q=${encodeURIComponent(bad)}`);
      expect(r.status, bad).toBe(400);
      expect(r.json.type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
      expect(r.json.detail).toMatch(/position \d+/);
    }
  });
});

describe('geo-queries', () => {
  const geo = (params: Record<string, string>) => ids({ type: 'Sensor,Park', ...params });

  it('finds points near a point, exactly by distance', async () => {
    // Sensor b is ~1.0 km north of Sensor a.
    const near = { georel: 'near;maxDistance==900', geometry: 'Point', coordinates: '[-3.7038,40.4168]' };
    expect(await geo(near)).toEqual(['urn:ngsi-ld:Sensor:a']);
    expect(await geo({ ...near, georel: 'near;maxDistance==1100' })).toEqual(['urn:ngsi-ld:Sensor:a', 'urn:ngsi-ld:Sensor:b']);
    expect(await geo({ ...near, georel: 'near;minDistance==1100' })).toEqual(['urn:ngsi-ld:Park:e', 'urn:ngsi-ld:Sensor:c']);
  });

  it('tests within, intersects and contains on the exact geometry', async () => {
    // A triangle whose bounding box holds sensor a, but the triangle itself does not.
    const triangle = JSON.stringify([[[-3.71, 40.41], [-3.70, 40.41], [-3.71, 40.42], [-3.71, 40.41]]]);
    expect(await geo({ georel: 'within', geometry: 'Polygon', coordinates: triangle })).toEqual([]);
    const square = JSON.stringify([[[-3.71, 40.41], [-3.70, 40.41], [-3.70, 40.42], [-3.71, 40.42], [-3.71, 40.41]]]);
    expect(await geo({ georel: 'within', geometry: 'Polygon', coordinates: square })).toEqual(['urn:ngsi-ld:Sensor:a']);
    expect(await geo({ georel: 'intersects', geometry: 'LineString', coordinates: '[[-3.70,40.415],[-3.67,40.415]]' })).toEqual(['urn:ngsi-ld:Park:e']);
    expect(await geo({ georel: 'contains', geometry: 'Point', coordinates: '[-3.685,40.415]' })).toEqual(['urn:ngsi-ld:Park:e']);
  });

  it('rejects incomplete or invalid geo-queries', async () => {
    const missing = await s.request('GET', `${API}/entities?type=Sensor&georel=within`);
    expect(missing.status).toBe(400);
    const bad = await s.request('GET', `${API}/entities?type=Sensor&georel=near;maxDistance==10&geometry=Point&coordinates=${encodeURIComponent('[1]')}`);
    expect(bad.status).toBe(400);
  });
});

describe('scopeQ and POST /entityOperations/query', () => {
  it('selects by scope', async () => {
    expect(await ids({ scopeQ: '/Madrid/#' })).toEqual(['urn:ngsi-ld:Sensor:a', 'urn:ngsi-ld:Sensor:b']);
    expect(await ids({ scopeQ: '/Madrid/Norte|/Barcelona' })).toEqual(['urn:ngsi-ld:Sensor:b', 'urn:ngsi-ld:Sensor:c']);
  });

  it('runs a Query body with several selectors, q and geoQ', async () => {
    const r = await s.request('POST', `${API}/entityOperations/query?count=true`, {
      body: {
        type: 'Query',
        entities: [{ type: 'Sensor', idPattern: ':a$' }, { type: 'Camera' }],
        q: 'temperature<20|count>0',
      },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json.map((e: { id: string }) => e.id).sort()).toEqual(['urn:ngsi-ld:Camera:d', 'urn:ngsi-ld:Sensor:a']);
    expect(r.headers.get('ngsild-results-count')).toBe('2');
    const geo = await s.request('POST', `${API}/entityOperations/query`, {
      body: { type: 'Query', entities: [{ type: 'Sensor' }], geoQ: { georel: 'near;maxDistance==500', geometry: 'Point', coordinates: [-3.7038, 40.4168] } },
    });
    expect(geo.json.map((e: { id: string }) => e.id)).toEqual(['urn:ngsi-ld:Sensor:a']);
  });
});
