/**
 * The temporal API through HTTP on a real server: history recorded by entity writes (create,
 * update, attribute and entity deletion), the temporal relations at their boundaries, each time
 * property, lastN, the selection parameters (attrs, q, type, idPattern, geoQ), the representations,
 * and the spec's pagination of instances (206 + Content-Range).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';

const T = '/ngsi-ld/v1/temporal/entities';
const E = '/ngsi-ld/v1/entities';
const at = (h: number, m = 0) => new Date(Date.UTC(2026, 0, 1, h, m)).toISOString();
const SENSOR = 'urn:ngsi-ld:Sensor:hist-1';
const VAN = 'urn:ngsi-ld:Vehicle:hist-van';

let s: TestServer;

const get = async (url: string) => {
  const r = await s.request('GET', url);
  return r;
};
const values = (instances: any[]) => instances.map((i) => i.value);

beforeAll(async () => {
  s = await startServer();
  const created = await s.request('POST', E, {
    body: {
      id: SENSOR,
      type: 'Sensor',
      temperature: { type: 'Property', value: 10, observedAt: at(0) },
      humidity: { type: 'Property', value: 50, observedAt: at(0) },
    },
  });
  expect(created.status).toBe(201);
  for (const [h, v] of [[1, 11], [2, 12], [3, 13]]) {
    const r = await s.request('PATCH', `${E}/${SENSOR}/attrs`, { body: { temperature: { type: 'Property', value: v, observedAt: at(h) } } });
    expect(r.status).toBe(204);
  }
  expect((await s.request('DELETE', `${E}/${SENSOR}/attrs/humidity`)).status).toBe(204);
  const van = await s.request('POST', E, {
    body: {
      id: VAN,
      type: 'Vehicle',
      speed: { type: 'Property', value: 30, observedAt: at(1) },
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [-3.7, 40.4] }, observedAt: at(1) },
    },
  });
  expect(van.status).toBe(201);
  await s.request('PATCH', `${E}/${VAN}/attrs`, {
    body: { speed: { type: 'Property', value: 60, observedAt: at(2) }, location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [2.17, 41.38] }, observedAt: at(2) } },
  });
});

afterAll(async () => {
  await s.close();
});

describe('recording', () => {
  it('records every created and updated instance, in time order, each with an instanceId', async () => {
    const r = await get(`${T}/${SENSOR}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('link')).toContain('ngsi-ld-core-context');
    expect(r.json.id).toBe(SENSOR);
    expect(r.json.type).toBe('Sensor');
    expect(values(r.json.temperature)).toEqual([10, 11, 12, 13]);
    expect(r.json.temperature.map((i: any) => i.observedAt)).toEqual([at(0), at(1), at(2), at(3)]);
    const ids = r.json.temperature.map((i: any) => i.instanceId);
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) expect(id).toMatch(/^urn:ngsi-ld:/);
    expect(r.json.temperature[0].type).toBe('Property');
    // The deletion of humidity has no observedAt: by observedAt only its first value is seen.
    expect(values(r.json.humidity)).toEqual([50]);
  });

  it('records an attribute deletion as urn:ngsi-ld:null with deletedAt (timeproperty=deletedAt)', async () => {
    const r = await get(`${T}/${SENSOR}?timeproperty=deletedAt`);
    expect(r.json.temperature).toBeUndefined();
    expect(r.json.humidity).toHaveLength(1);
    expect(r.json.humidity[0].value).toBe('urn:ngsi-ld:null');
    expect(Date.parse(r.json.humidity[0].deletedAt)).toBeGreaterThan(Date.parse('2026-01-01T00:00:00Z'));
  });

  it('selects by createdAt and modifiedAt (the instants the instances were recorded)', async () => {
    for (const tp of ['createdAt', 'modifiedAt']) {
      const r = await get(`${T}/${SENSOR}?timeproperty=${tp}&options=sysAttrs`);
      expect(values(r.json.temperature)).toEqual([10, 11, 12, 13]);
      expect(values(r.json.humidity)).toEqual([50, 'urn:ngsi-ld:null']);
      const times = r.json.temperature.map((i: any) => Date.parse(i[tp]));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      const recent = await get(`${T}/${SENSOR}?timeproperty=${tp}&timerel=after&timeAt=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
      expect(recent.json.temperature).toBeUndefined();
    }
  });

  it('keeps the history of a deleted entity, with the deletion of each attribute', async () => {
    const id = 'urn:ngsi-ld:Sensor:hist-deleted';
    await s.request('POST', E, { body: { id, type: 'Sensor', temperature: { type: 'Property', value: 5, observedAt: at(5) } } });
    expect((await s.request('DELETE', `${E}/${id}`)).status).toBe(204);
    expect((await get(`${E}/${id}`)).status).toBe(404);
    const r = await get(`${T}/${id}?options=sysAttrs`);
    expect(r.status).toBe(200);
    expect(values(r.json.temperature)).toEqual([5]);
    expect(r.json.deletedAt).toBeDefined();
    const deleted = await get(`${T}/${id}?timeproperty=deletedAt`);
    expect(values(deleted.json.temperature)).toEqual(['urn:ngsi-ld:null']);
  });

  it('records the instances of a batch upsert', async () => {
    const r = await s.request('POST', '/ngsi-ld/v1/entityOperations/upsert', {
      body: [1, 2, 3].map((n) => ({ id: `urn:ngsi-ld:Sensor:batch-${n}`, type: 'Sensor', temperature: { type: 'Property', value: n, observedAt: at(n) } })),
    });
    expect(r.status).toBe(201);
    const q = await get(`${T}?idPattern=${encodeURIComponent('^urn:ngsi-ld:Sensor:batch-')}&count=true`);
    expect(q.headers.get('ngsild-results-count')).toBe('3');
    expect(q.json.map((e: any) => e.temperature[0].value)).toEqual([1, 2, 3]);
  });
});

describe('temporal relations', () => {
  it('before: strictly before timeAt', async () => {
    const r = await get(`${T}/${SENSOR}?timerel=before&timeAt=${at(2)}&attrs=temperature`);
    expect(values(r.json.temperature)).toEqual([10, 11]);
    expect(r.json.humidity).toBeUndefined();
  });

  it('after: at or after timeAt', async () => {
    const r = await get(`${T}/${SENSOR}?timerel=after&timeAt=${at(2)}&attrs=temperature`);
    expect(values(r.json.temperature)).toEqual([12, 13]);
  });

  it('between: from timeAt (included) to endTimeAt (excluded)', async () => {
    const r = await get(`${T}/${SENSOR}?timerel=between&timeAt=${at(1)}&endTimeAt=${at(3)}&attrs=temperature`);
    expect(values(r.json.temperature)).toEqual([11, 12]);
  });

  it('lastN: the latest N instances, with 206 and Content-Range when cut', async () => {
    const r = await get(`${T}/${SENSOR}?lastN=2&attrs=temperature`);
    expect(r.status).toBe(206);
    expect(values(r.json.temperature)).toEqual([12, 13]);
    expect(r.headers.get('content-range')).toBe(`date-time ${at(3)}-${at(2)}/2`);
    const before = await get(`${T}/${SENSOR}?lastN=1&attrs=temperature&timerel=before&timeAt=${at(3)}`);
    expect(before.status).toBe(206);
    expect(values(before.json.temperature)).toEqual([12]);
    expect(before.headers.get('content-range')).toBe(`date-time ${at(3)}-${at(2)}/1`);
    const all = await get(`${T}/${SENSOR}?lastN=10&attrs=temperature`);
    expect(all.status).toBe(200);
    expect(all.headers.get('content-range')).toBeNull();
    expect(values(all.json.temperature)).toEqual([10, 11, 12, 13]);
  });
});

describe('selection', () => {
  it('type, id and idPattern select temporal entities', async () => {
    const byType = await get(`${T}?type=Vehicle`);
    expect(byType.status).toBe(200);
    expect(byType.json.map((e: any) => e.id)).toEqual([VAN]);
    const byId = await get(`${T}?id=${SENSOR},${VAN}&attrs=speed`);
    expect(byId.json.map((e: any) => e.id)).toEqual([VAN]);
    const byPattern = await get(`${T}?idPattern=${encodeURIComponent('^urn:ngsi-ld:Sensor:hist-1$')}`);
    expect(byPattern.json.map((e: any) => e.id)).toEqual([SENSOR]);
  });

  it('q holds when an instance within the interval satisfies it', async () => {
    const early = await get(`${T}?type=Sensor&q=temperature>12&timerel=before&timeAt=${at(3)}`);
    expect(early.json).toEqual([]);
    const late = await get(`${T}?type=Sensor&q=temperature>12&timerel=after&timeAt=${at(3)}`);
    expect(late.json.map((e: any) => e.id)).toEqual([SENSOR]);
    expect(values(late.json[0].temperature)).toEqual([13]);
  });

  it('geoQ holds when a location within the interval satisfies it', async () => {
    const madrid = `georel=${encodeURIComponent('near;maxDistance==10000')}&geometry=Point&coordinates=${encodeURIComponent('[-3.7,40.4]')}`;
    const inMadrid = await get(`${T}?${madrid}&timerel=before&timeAt=${at(2)}`);
    expect(inMadrid.json.map((e: any) => e.id)).toEqual([VAN]);
    const later = await get(`${T}?${madrid}&timerel=after&timeAt=${at(2)}`);
    expect(later.json).toEqual([]);
  });

  it('answers in application/ld+json with the @context in the body, and concise', async () => {
    const ld = await s.request('GET', `${T}/${VAN}?attrs=speed&options=concise`, { headers: { accept: 'application/ld+json' } });
    expect(ld.headers.get('content-type')).toContain('application/ld+json');
    expect(ld.json['@context']).toBeDefined();
    expect(ld.json.speed[0].type).toBeUndefined();
    expect(ld.json.speed.map((i: any) => i.value)).toEqual([30, 60]);
  });

  it('temporalValues: [value, time] pairs per attribute', async () => {
    const r = await get(`${T}/${VAN}?options=temporalValues`);
    expect(r.json.speed).toEqual({ type: 'Property', values: [[30, at(1)], [60, at(2)]] });
    expect(r.json.location.type).toBe('GeoProperty');
    expect(r.json.location.values[1]).toEqual([{ type: 'Point', coordinates: [2.17, 41.38] }, at(2)]);
  });
});

describe('pagination of instances', () => {
  it('cuts at 1000 instances per attribute with 206, and the next page continues from the range end', async () => {
    const id = 'urn:ngsi-ld:Sensor:many';
    const minute = (n: number) => new Date(Date.UTC(2026, 1, 1) + n * 60_000).toISOString();
    const speed = Array.from({ length: 1005 }, (_, n) => ({ type: 'Property', value: n, observedAt: minute(n) }));
    const fuel = [0, 500, 1002].map((n) => ({ type: 'Property', value: n, observedAt: minute(n) }));
    const created = await s.request('POST', T, { body: { id, type: 'Sensor', speed, fuel } });
    expect(created.status).toBe(201);
    const first = await get(`${T}/${id}?timerel=after&timeAt=${minute(0)}`);
    expect(first.status).toBe(206);
    expect(first.json.speed).toHaveLength(1000);
    expect(first.headers.get('content-range')).toBe(`date-time ${minute(0)}-${minute(999)}/*`);
    // Every attribute is trimmed to the same instant: fuel at minute 1002 waits for the next page.
    expect(values(first.json.fuel)).toEqual([0, 500]);
    const next = await get(`${T}/${id}?timerel=after&timeAt=${minute(1000)}`);
    expect(next.status).toBe(200);
    expect(values(next.json.speed)).toEqual([1000, 1001, 1002, 1003, 1004]);
    expect(values(next.json.fuel)).toEqual([1002]);
  });
});
