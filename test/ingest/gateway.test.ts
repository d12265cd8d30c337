/**
 * The device gateway through its public API: provisioning (IoT Agent shape) CRUD and errors,
 * UltraLight and JSON measures over HTTP, expressions and unit codes, and every bad-input case
 * rejected with its reason, counted at /iot/stats, with the server still serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkHeader, startServer, type TestServer } from '../helpers/server.js';

const WEATHER = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Weather/master/context.jsonld';
const ENV = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/context.jsonld';

let s: TestServer;

const ul = (k: string, i: string, body: string) => s.request('POST', `/iot/ul?k=${k}&i=${i}`, { rawBody: body, headers: { 'content-type': 'text/plain' } });
const js = (k: string, i: string, body: string) => s.request('POST', `/iot/json?k=${k}&i=${i}`, { rawBody: body, headers: { 'content-type': 'application/json' } });
const entity = async (id: string, ctx = WEATHER, tenant?: string) =>
  (await s.request('GET', `/ngsi-ld/v1/entities/${id}`, { headers: { Link: linkHeader(ctx), ...(tenant ? { 'NGSILD-Tenant': tenant } : {}) } })).json;
const stats = async () => (await s.request('GET', '/iot/stats')).json;

beforeAll(async () => {
  s = await startServer();
  const g = await s.request('POST', '/iot/services', {
    body: {
      services: [
        {
          apikey: 'wx-key',
          entity_type: 'WeatherObserved',
          resource: '/iot/ul',
          jsonLdContext: WEATHER,
          observedAtAttribute: 'dateObserved',
          attributes: [
            { object_id: 't', name: 'temperature', type: 'Number', unitCode: 'CEL' },
            { object_id: 'f', name: 'feelsLikeTemperature', type: 'Number', unitCode: 'CEL', expression: '(f - 32) * 5 / 9' },
            { object_id: 'h', name: 'relativeHumidity', type: 'Number', expression: 'round(h / 100, 2)' },
            { object_id: 'w', name: 'weatherType', type: 'Text' },
          ],
        },
      ],
    },
  });
  expect(g.status).toBe(201);
  const d = await s.request('POST', '/iot/devices', {
    body: { devices: [{ device_id: 'st1', apikey: 'wx-key', entity_name: 'urn:ngsi-ld:WeatherObserved:st1', static_attributes: [{ name: 'location', type: 'geo:point', value: '40.41, -3.70' }] }] },
  });
  expect(d.status).toBe(201);
});
afterAll(async () => s?.close());

describe('provisioning API', () => {
  it('creates the entity with its static attributes when the device is provisioned', async () => {
    const e = await entity('urn:ngsi-ld:WeatherObserved:st1');
    expect(e.type).toBe('WeatherObserved');
    expect(e.location.value).toEqual({ type: 'Point', coordinates: [-3.7, 40.41] });
  });

  it('lists, reads, changes and deletes groups and devices; fiware-service and NGSILD-Tenant name the tenant', async () => {
    const body = { services: [{ apikey: 'crud-key', entity_type: 'AirQualityObserved', jsonLdContext: ENV, attributes: [{ object_id: 'n', name: 'no2', type: 'Number' }] }] };
    expect((await s.request('POST', '/iot/services', { body, headers: { 'fiware-service': 'city2', 'fiware-servicepath': '/air' } })).status).toBe(201);
    const list = await s.request('GET', '/iot/services', { headers: { 'NGSILD-Tenant': 'city2' } });
    expect(list.json.count).toBe(1);
    expect(list.json.services[0]).toMatchObject({ apikey: 'crud-key', entity_type: 'AirQualityObserved', service: 'city2', subservice: '/air' });
    expect((await s.request('GET', '/iot/services')).json.services.map((g: { apikey: string }) => g.apikey)).not.toContain('crud-key');
    expect((await s.request('PUT', '/iot/services?apikey=crud-key', { body: { resource: '/iot/json' }, headers: { 'fiware-service': 'city2' } })).status).toBe(204);
    expect((await s.request('GET', '/iot/services?resource=/iot/json', { headers: { 'fiware-service': 'city2' } })).json.count).toBe(1);

    const dev = await s.request('POST', '/iot/devices', { body: { devices: [{ device_id: 'aq1', apikey: 'crud-key' }] }, headers: { 'fiware-service': 'city2', 'fiware-servicepath': '/air' } });
    expect(dev.status).toBe(201);
    const got = await s.request('GET', '/iot/devices/aq1', { headers: { 'fiware-service': 'city2' } });
    expect(got.json).toMatchObject({ device_id: 'aq1', entity_name: 'urn:ngsi-ld:AirQualityObserved:aq1', entity_type: 'AirQualityObserved', service: 'city2' });
    expect((await ul('crud-key', 'aq1', 'n|41')).status).toBe(200);
    expect((await entity('urn:ngsi-ld:AirQualityObserved:aq1', ENV, 'city2')).no2.value).toBe(41);
    expect((await s.request('PUT', '/iot/devices/aq1', { body: { attributes: [{ object_id: 'n', name: 'no2', type: 'Number', unitCode: 'GQ' }] }, headers: { 'fiware-service': 'city2' } })).status).toBe(204);
    expect((await ul('crud-key', 'aq1', 'n|42')).status).toBe(200);
    expect((await entity('urn:ngsi-ld:AirQualityObserved:aq1', ENV, 'city2')).no2).toMatchObject({ value: 42, unitCode: 'GQ' });
    expect((await s.request('GET', '/iot/devices', { headers: { 'fiware-service': 'city2' } })).json.count).toBe(1);
    expect((await s.request('DELETE', '/iot/devices/aq1', { headers: { 'fiware-service': 'city2' } })).status).toBe(204);
    expect((await s.request('GET', '/iot/devices/aq1', { headers: { 'fiware-service': 'city2' } })).status).toBe(404);
    expect((await s.request('DELETE', '/iot/services?apikey=crud-key', { headers: { 'fiware-service': 'city2' } })).status).toBe(204);
    expect((await s.request('GET', '/iot/services', { headers: { 'fiware-service': 'city2' } })).json.count).toBe(0);
  });

  it('rejects bad provisioning with a ProblemDetails naming the fault', async () => {
    const post = (url: string, body: unknown, headers: Record<string, string> = {}) => s.request('POST', url, { body, headers });
    const dup = await post('/iot/services', { services: [{ apikey: 'wx-key', entity_type: 'X' }] });
    expect(dup.status).toBe(409);
    const badType = await post('/iot/services', { services: [{ apikey: 'k2', entity_type: 'X', attributes: [{ name: 'a', type: 'Nonsense' }] }] });
    expect(badType.status).toBe(400);
    expect(badType.json.detail).toContain('attributes[0]');
    const badExpr = await post('/iot/services', { services: [{ apikey: 'k3', entity_type: 'X', attributes: [{ name: 'a', type: 'Number', expression: 'a * (2' }] }] });
    expect(badExpr.status).toBe(400);
    expect(badExpr.json.detail).toContain('expression');
    const evil = await post('/iot/services', { services: [{ apikey: 'k4', entity_type: 'X', attributes: [{ name: 'a', type: 'Number', expression: 'process.exit(1)' }] }] });
    expect(evil.status).toBe(400);
    expect((await post('/iot/services', { services: [{ apikey: 'a/b', entity_type: 'X' }] })).status).toBe(400);
    expect((await post('/iot/services', {}, {})).status).toBe(400);
    const clash = await post('/iot/services', { services: [{ apikey: 'k5', entity_type: 'X' }] }, { 'fiware-service': 'a', 'NGSILD-Tenant': 'b' });
    expect(clash.status).toBe(400);
    expect((await post('/iot/devices', { devices: [{ device_id: 'st1', apikey: 'wx-key' }] })).status).toBe(409);
    expect((await post('/iot/devices', { devices: [{ device_id: 'zz', apikey: 'nokey' }] })).status).toBe(400);
    expect((await s.request('GET', '/iot/devices/nothing')).status).toBe(404);
    expect((await s.request('DELETE', '/iot/services?apikey=nothing')).status).toBe(404);
    // Nothing half-written: the failed batch left no group behind.
    expect((await s.request('GET', '/iot/services')).json.services.map((g: { apikey: string }) => g.apikey)).toEqual(['wx-key']);
  });
});

describe('measures over HTTP', () => {
  it('UltraLight: several measures, a leading timestamp, # groups; observedAt, unitCode and expressions', async () => {
    const r = await ul('wx-key', 'st1', '2026-03-01T10:00:00Z|t|21.5|h|40|w|sunny');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ entityId: 'urn:ngsi-ld:WeatherObserved:st1', dropped: [] });
    let e = await entity('urn:ngsi-ld:WeatherObserved:st1');
    expect(e.temperature).toMatchObject({ value: 21.5, unitCode: 'CEL', observedAt: '2026-03-01T10:00:00.000Z' });
    expect(e.relativeHumidity.value).toBe(0.4);
    expect(e.weatherType.value).toBe('sunny');
    expect(e.dateObserved.value).toBe('2026-03-01T10:00:00.000Z');

    expect((await ul('wx-key', 'st1', '2026-03-01T11:00:00Z|t|22#2026-03-01T12:00:00Z|t|23|f|212')).status).toBe(200);
    e = await entity('urn:ngsi-ld:WeatherObserved:st1');
    expect(e.temperature).toMatchObject({ value: 23, observedAt: '2026-03-01T12:00:00.000Z' });
    expect(e.feelsLikeTemperature.value).toBe(100);

    const before = Date.now();
    expect((await ul('wx-key', 'st1', 't|19')).status).toBe(200);
    e = await entity('urn:ngsi-ld:WeatherObserved:st1');
    expect(Date.parse(e.temperature.observedAt)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('JSON: an object of measures with TimeInstant, and an array of them', async () => {
    expect((await js('wx-key', 'st1', '{"TimeInstant":"2026-03-02T08:00:00Z","t":5.5,"w":"fog"}')).status).toBe(200);
    let e = await entity('urn:ngsi-ld:WeatherObserved:st1');
    expect(e.temperature).toMatchObject({ value: 5.5, observedAt: '2026-03-02T08:00:00.000Z' });
    expect(e.weatherType.value).toBe('fog');
    expect((await js('wx-key', 'st1', '[{"t":6},{"t":7,"h":55}]')).status).toBe(200);
    e = await entity('urn:ngsi-ld:WeatherObserved:st1');
    expect(e.temperature.value).toBe(7);
    expect(e.relativeHumidity.value).toBe(0.55);
  });

  it('each bad input is rejected with its reason and counted; the gateway keeps serving', async () => {
    const before = (await stats()).rejected;
    const unknownKey = await ul('nokey', 'st1', 't|1');
    expect(unknownKey.status).toBe(404);
    expect(unknownKey.json.detail).toMatch(/^unknownApiKey/);
    const unknownDevice = await ul('wx-key', 'ghost', 't|1');
    expect(unknownDevice.status).toBe(404);
    expect(unknownDevice.json.detail).toMatch(/^unknownDevice/);
    for (const bad of ['t|1|h', '', 'notatime|t|1', 't|1#', '|1']) {
      const r = await ul('wx-key', 'st1', bad);
      expect(r.status, bad).toBe(400);
      expect(r.json.detail).toMatch(/^malformedPayload/);
    }
    expect((await js('wx-key', 'st1', '{"t": 1')).json.detail).toMatch(/^malformedPayload/);
    const unknownAttr = await ul('wx-key', 'st1', 't|30|zz|1');
    expect(unknownAttr.status).toBe(200);
    expect(unknownAttr.json.dropped).toEqual([expect.objectContaining({ measure: 'zz', reason: 'unknownAttribute' })]);
    const wrongType = await ul('wx-key', 'st1', 't|warm');
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.detail).toMatch(/^wrongValueType/);
    expect((await js('wx-key', 'st1', '{"t":"21"}')).json.detail).toMatch(/^wrongValueType/);

    const after = await stats();
    expect(after.rejected.unknownApiKey - before.unknownApiKey).toBe(1);
    expect(after.rejected.unknownDevice - before.unknownDevice).toBe(1);
    expect(after.rejected.malformedPayload - before.malformedPayload).toBe(6);
    expect(after.rejected.unknownAttribute - before.unknownAttribute).toBe(1);
    expect(after.rejected.wrongValueType - before.wrongValueType).toBe(2);
    expect(after.recentRejections[0]).toMatchObject({ reason: 'wrongValueType', transport: 'http', deviceId: 'st1' });
    // Still serving, and the valid measure of the mixed message was written.
    expect((await entity('urn:ngsi-ld:WeatherObserved:st1')).temperature.value).toBe(30);
    expect((await s.request('GET', '/health')).status).toBe(200);
  });

  it('autoprovision groups create unknown devices on their first message', async () => {
    await s.request('POST', '/iot/services', { body: { services: [{ apikey: 'auto', entity_type: 'Thing', autoprovision: true, attributes: [{ object_id: 't', name: 'temperature', type: 'Number' }] }] } });
    expect((await ul('auto', 'new-1', 't|3|extra|x')).status).toBe(200);
    const e = (await s.request('GET', '/ngsi-ld/v1/entities/urn:ngsi-ld:Thing:new-1')).json;
    expect(e.temperature.value).toBe(3);
    expect(e.extra.value).toBe('x');
    expect((await s.request('GET', '/iot/devices/new-1')).status).toBe(200);
  });
});
