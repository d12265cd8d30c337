/**
 * q and geoQ over the PostgreSQL history mean what they mean over current entities: with one
 * recorded instance per attribute, the history holds exactly the current state, so every query
 * must select the same entities from /temporal/entities as from /entities (values of every kind:
 * numbers, strings, arrays, relationships, date-times, language maps, booleans, sub-attributes,
 * multi-attributes, geometries). After an update, the history also matches the old value, and an
 * entity deleted since is still selected by what was recorded of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';

const T = '/ngsi-ld/v1/temporal/entities';
const E = '/ngsi-ld/v1/entities';

let s: TestServer;

const point = (lon: number, lat: number) => ({ type: 'GeoProperty', value: { type: 'Point', coordinates: [lon, lat] } });

beforeAll(async () => {
  s = await startServer();
  const entities = [
    {
      id: 'urn:ngsi-ld:Sensor:q-1',
      type: 'Sensor',
      temperature: { type: 'Property', value: 21.5, accuracy: { type: 'Property', value: 0.5 } },
      name: { type: 'Property', value: 'Plaza Mayor' },
      tags: { type: 'Property', value: ['north', 'air'] },
      station: { type: 'Relationship', object: 'urn:ngsi-ld:Station:1' },
      installed: { type: 'Property', value: { '@type': 'DateTime', '@value': '2025-03-01T10:00:00Z' } },
      label: { type: 'LanguageProperty', languageMap: { en: 'Bridge', es: 'Puente' } },
      active: { type: 'Property', value: true },
      power: [
        { type: 'Property', value: 1, datasetId: 'urn:ngsi-ld:Dataset:a' },
        { type: 'Property', value: 5, datasetId: 'urn:ngsi-ld:Dataset:b' },
      ],
      location: point(-3.7038, 40.4168),
    },
    {
      id: 'urn:ngsi-ld:Sensor:q-2',
      type: 'Sensor',
      temperature: { type: 'Property', value: 12, accuracy: { type: 'Property', value: 2 } },
      name: { type: 'Property', value: 'Puerta del Sol' },
      tags: { type: 'Property', value: ['south'] },
      station: { type: 'Relationship', object: 'urn:ngsi-ld:Station:2' },
      installed: { type: 'Property', value: { '@type': 'DateTime', '@value': '2026-06-01T10:00:00Z' } },
      active: { type: 'Property', value: false },
      location: point(2.1734, 41.3851),
    },
    { id: 'urn:ngsi-ld:Sensor:q-3', type: 'Sensor', temperature: { type: 'Property', value: 30 }, location: point(-3.71, 40.42) },
  ];
  for (const body of entities) expect((await s.request('POST', E, { body })).status).toBe(201);
});

afterAll(async () => {
  await s.close();
});

const ids = (r: { json: Array<{ id: string }> }) => r.json.map((e) => e.id).sort();

describe('q and geoQ over the history', () => {
  const queries = [
    'temperature>20',
    'temperature==21.5',
    'temperature!=21.5',
    'temperature==10..25',
    'name=="Plaza Mayor"',
    'name~=Pla.*',
    'name~=(?i)puerta',
    'tags=="north"',
    'tags!="north"',
    'tags',
    '!tags',
    'station=="urn:ngsi-ld:Station:1"',
    'installed>2026-01-01T00:00:00Z',
    'label=="Puente"',
    'active==true',
    'active==false',
    'temperature.accuracy<1',
    'power>4',
    'power==1',
    '(temperature>25|name=="Plaza Mayor");temperature<40',
  ];
  it.each(queries)('q=%s selects the same entities as over current entities', async (q) => {
    const current = await s.request('GET', `${E}?type=Sensor&q=${encodeURIComponent(q)}`);
    expect(current.status).toBe(200);
    // createdAt: every instance has one (observedAt was not given).
    const history = await s.request('GET', `${T}?type=Sensor&timeproperty=createdAt&q=${encodeURIComponent(q)}`);
    expect(history.status).toBe(200);
    expect(ids(history)).toEqual(ids(current));
  });

  it('geoQ selects the same entities as over current entities', async () => {
    const geo = [
      `georel=${encodeURIComponent('near;maxDistance==2000')}&geometry=Point&coordinates=${encodeURIComponent('[-3.7038,40.4168]')}`,
      `georel=${encodeURIComponent('near;minDistance==2000')}&geometry=Point&coordinates=${encodeURIComponent('[-3.7038,40.4168]')}`,
      `georel=within&geometry=Polygon&coordinates=${encodeURIComponent('[[[-4,40],[-3,40],[-3,41],[-4,41],[-4,40]]]')}`,
    ];
    for (const g of geo) {
      const current = await s.request('GET', `${E}?type=Sensor&${g}`);
      const history = await s.request('GET', `${T}?type=Sensor&timeproperty=createdAt&${g}`);
      expect(history.status).toBe(200);
      expect(ids(history)).toEqual(ids(current));
      expect(ids(history).length).toBeGreaterThan(0);
    }
  });

  it('selects an entity deleted since by its history: type, q and geoQ on what was recorded', async () => {
    const id = 'urn:ngsi-ld:Sensor:q-gone';
    const body = { id, type: 'Sensor', temperature: { type: 'Property', value: 99, accuracy: { type: 'Property', value: 0.1 } }, tags: { type: 'Property', value: ['gone'] }, location: point(10, 10) };
    expect((await s.request('POST', E, { body })).status).toBe(201);
    expect((await s.request('DELETE', `${E}/${id}`)).status).toBe(204);
    const near = `georel=${encodeURIComponent('near;maxDistance==1000')}&geometry=Point&coordinates=${encodeURIComponent('[10,10]')}`;
    for (const query of ['q=temperature==99', 'q=tags=="gone"', `q=${encodeURIComponent('temperature.accuracy<0.2')}`, near]) {
      expect((await s.request('GET', `${E}?type=Sensor&${query}`)).json).toEqual([]);
      const history = await s.request('GET', `${T}?type=Sensor&timeproperty=createdAt&${query}`);
      expect(ids(history), query).toEqual([id]);
    }
  });

  it('after an update, the history matches the old value and the new one', async () => {
    const before = new Date().toISOString();
    expect((await s.request('POST', `${E}/urn:ngsi-ld:Sensor:q-3/attrs`, { body: { temperature: { type: 'Property', value: 5 } } })).status).toBe(204);
    const old = await s.request('GET', `${T}?type=Sensor&timeproperty=createdAt&q=temperature==30`);
    expect(ids(old)).toEqual(['urn:ngsi-ld:Sensor:q-3']);
    const recent = await s.request('GET', `${T}?type=Sensor&timeproperty=createdAt&timerel=after&timeAt=${encodeURIComponent(before)}&q=temperature==30`);
    expect(recent.json).toEqual([]);
    expect((await s.request('GET', `${E}?type=Sensor&q=temperature==30`)).json).toEqual([]);
  });
});
