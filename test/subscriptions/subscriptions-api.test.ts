/**
 * /ngsi-ld/v1/subscriptions through HTTP: create, retrieve, list with pagination and count,
 * merge-patch, delete, tenants, and the validation of every member (ProblemDetails, nothing
 * written).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.close();
});

const endpoint = { uri: 'http://127.0.0.1:9/notify' };
const valid = (extra: Record<string, unknown> = {}) => ({
  type: 'Subscription',
  entities: [{ type: 'Vehicle' }],
  notification: { endpoint },
  ...extra,
});

describe('subscription CRUD', () => {
  it('creates (201 + Location), retrieves with status members, and rejects a duplicate id', async () => {
    const body = valid({
      id: 'urn:ngsi-ld:Subscription:crud-1',
      subscriptionName: 'buses',
      description: 'fast buses',
      watchedAttributes: ['speed'],
      notificationTrigger: ['attributeUpdated'],
      q: 'speed>50',
      scopeQ: '/Madrid/#',
      geoQ: { geometry: 'Point', coordinates: [-3.7, 40.4], georel: 'near;maxDistance==1000' },
      lang: 'es',
      throttling: 5,
      expiresAt: '2099-01-01T00:00:00Z',
      notification: {
        attributes: ['speed'],
        format: 'keyValues',
        showChanges: true,
        sysAttrs: true,
        endpoint: { ...endpoint, accept: 'application/ld+json', receiverInfo: [{ key: 'X-Key', value: 'v' }] },
      },
    });
    const res = await server.request('POST', `${API}/subscriptions`, { body });
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('location')).toBe(`${API}/subscriptions/urn:ngsi-ld:Subscription:crud-1`);
    const got = await server.request('GET', `${API}/subscriptions/urn:ngsi-ld:Subscription:crud-1`);
    expect(got.status).toBe(200);
    expect(got.headers.get('link')).toContain('ngsi-ld-core-context');
    const { notification, ...rest } = body;
    expect(got.json).toMatchObject({ ...rest, isActive: true, status: 'active', createdAt: expect.any(String), modifiedAt: expect.any(String) });
    expect(got.json.notification).toEqual({ ...notification, timesSent: 0, timesFailed: 0 });
    const again = await server.request('POST', `${API}/subscriptions`, { body });
    expect(again.status).toBe(409);
    expect(again.json.type).toBe('https://uri.etsi.org/ngsi-ld/errors/AlreadyExists');
  });

  it('generates an id and serves application/ld+json with the @context', async () => {
    const res = await server.request('POST', `${API}/subscriptions`, { body: valid() });
    const path = res.headers.get('location')!;
    expect(path).toMatch(/\/subscriptions\/urn:ngsi-ld:Subscription:[0-9a-f-]{36}$/);
    const got = await server.request('GET', path, { headers: { accept: 'application/ld+json' } });
    expect(got.headers.get('content-type')).toMatch(/application\/ld\+json/);
    expect(got.json['@context']).toBe('https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld');
  });

  it('lists with limit, offset and count, per tenant', async () => {
    const headers = { 'NGSILD-Tenant': 'listing' };
    for (let i = 0; i < 5; i++) {
      const r = await server.request('POST', `${API}/subscriptions`, { headers, body: valid({ id: `urn:ngsi-ld:Subscription:l${i}` }) });
      expect(r.status).toBe(201);
    }
    const page = await server.request('GET', `${API}/subscriptions?limit=2&offset=1&count=true`, { headers });
    expect(page.status).toBe(200);
    expect(page.headers.get('ngsild-results-count')).toBe('5');
    expect(page.json.map((s: any) => s.id)).toEqual(['urn:ngsi-ld:Subscription:l1', 'urn:ngsi-ld:Subscription:l2']);
    const other = await server.request('GET', `${API}/subscriptions/urn:ngsi-ld:Subscription:l1`);
    expect(other.status).toBe(404);
    expect((await server.request('GET', `${API}/subscriptions?limit=5000`)).status).toBe(403);
  });

  it('merges a PATCH fragment and keeps what it does not name', async () => {
    await server.request('POST', `${API}/subscriptions`, { body: valid({ id: 'urn:ngsi-ld:Subscription:p1', q: 'speed>1', throttling: 3 }) });
    const res = await server.request('PATCH', `${API}/subscriptions/urn:ngsi-ld:Subscription:p1`, {
      body: { q: 'speed>90', throttling: null, notification: { format: 'concise' }, isActive: false },
    });
    expect(res.status, res.text).toBe(204);
    const got = (await server.request('GET', `${API}/subscriptions/urn:ngsi-ld:Subscription:p1`)).json;
    expect(got).toMatchObject({ q: 'speed>90', isActive: false, status: 'paused', entities: [{ type: 'Vehicle' }] });
    expect(got.throttling).toBeUndefined();
    expect(got.notification).toMatchObject({ format: 'concise', endpoint: { uri: endpoint.uri, accept: 'application/json' } });
    expect(Date.parse(got.modifiedAt)).toBeGreaterThanOrEqual(Date.parse(got.createdAt));

    const bad = await server.request('PATCH', `${API}/subscriptions/urn:ngsi-ld:Subscription:p1`, { body: { q: 'speed>>1', timeInterval: 5 } });
    expect(bad.status).toBe(400);
    expect((await server.request('GET', `${API}/subscriptions/urn:ngsi-ld:Subscription:p1`)).json.q).toBe('speed>90');
    expect((await server.request('PATCH', `${API}/subscriptions/urn:ngsi-ld:Subscription:nope`, { body: { q: 'a' } })).status).toBe(404);
  });

  it('deletes (204), then 404', async () => {
    await server.request('POST', `${API}/subscriptions`, { body: valid({ id: 'urn:ngsi-ld:Subscription:d1' }) });
    expect((await server.request('DELETE', `${API}/subscriptions/urn:ngsi-ld:Subscription:d1`)).status).toBe(204);
    expect((await server.request('GET', `${API}/subscriptions/urn:ngsi-ld:Subscription:d1`)).status).toBe(404);
    const again = await server.request('DELETE', `${API}/subscriptions/urn:ngsi-ld:Subscription:d1`);
    expect(again.status).toBe(404);
    expect(again.json.type).toBe('https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound');
  });
});

describe('subscription validation', () => {
  const n = (e: Record<string, unknown>) => ({ notification: { endpoint: { ...endpoint, ...e } } });
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['type missing', { type: undefined }, /type must be "Subscription"/],
    ['wrong type', { type: 'Entity' }, /type must be "Subscription"/],
    ['no notification', { notification: undefined }, /notification is required/],
    ['no endpoint', { notification: {} }, /notification.endpoint is required/],
    ['endpoint uri scheme', n({ uri: 'ftp://x/y' }), /http, https, mqtt or mqtts/],
    ['mqtt without topic', n({ uri: 'mqtt://127.0.0.1:1883' }), /names no topic/],
    ['accept', n({ accept: 'text/plain' }), /accept must be/],
    ['MQTT-QoS', n({ notifierInfo: [{ key: 'MQTT-QoS', value: '2' }] }), /MQTT-QoS/],
    ['MQTT-Version', n({ notifierInfo: [{ key: 'MQTT-Version', value: 'mqtt4' }] }), /MQTT-Version/],
    ['receiverInfo', n({ receiverInfo: { key: 'a' } }), /receiverInfo must be an array/],
    ['format', { notification: { endpoint, format: 'pretty' } }, /notification.format/],
    ['showChanges', { notification: { endpoint, showChanges: 'yes' } }, /showChanges must be true or false/],
    ['notification member', { notification: { endpoint, colour: 1 } }, /notification.colour is not a member/],
    ['unknown member', { colour: 'red' }, /colour is not a member/],
    ['id', { id: 'not a uri' }, /id must be a URI/],
    ['entities empty', { entities: [] }, /entities must be a non-empty array/],
    ['empty selector', { entities: [{}] }, /entities\[0\] needs at least one of/],
    ['selector type syntax', { entities: [{ type: 'A;;B' }] }, /entities\[0\].type/],
    ['idPattern', { entities: [{ idPattern: '(a+)+$' }] }, /idPattern/],
    ['neither entities nor watchedAttributes', { entities: undefined }, /needs entities or watchedAttributes/],
    ['watchedAttributes', { watchedAttributes: ['a b'] }, /watchedAttributes\[0\]/],
    ['trigger', { notificationTrigger: ['entityTouched'] }, /notificationTrigger\[0\] must be one of/],
    ['q', { q: 'speed>' }, /q: /],
    ['scopeQ', { scopeQ: 'Madrid' }, /scopeQ/],
    ['geoQ incomplete', { geoQ: { geometry: 'Point', georel: 'near;maxDistance==10' } }, /geoQ needs geometry, coordinates and georel/],
    ['geoQ georel', { geoQ: { geometry: 'Point', coordinates: [0, 0], georel: 'close' } }, /georel/],
    ['lang', { lang: 'en;;' }, /lang must be/],
    ['throttling', { throttling: -1 }, /throttling must be a number of seconds/],
    ['timeInterval', { timeInterval: 0 }, /timeInterval must be a number of seconds/],
    ['timeInterval with watchedAttributes', { timeInterval: 5, watchedAttributes: ['speed'] }, /timeInterval and watchedAttributes/],
    ['timeInterval with throttling', { timeInterval: 5, throttling: 5 }, /timeInterval and throttling/],
    ['expiresAt', { expiresAt: 'tomorrow' }, /expiresAt must be an ISO 8601 date-time/],
    ['isActive', { isActive: 'no' }, /isActive must be true or false/],
    ['jsonldContext', { jsonldContext: 'no uri' }, /jsonldContext must be a URI/],
  ])('rejects %s with BadRequestData naming it', async (_name, change, detail) => {
    const before = (await server.request('GET', `${API}/subscriptions?count=true&limit=0`)).headers.get('ngsild-results-count');
    const res = await server.request('POST', `${API}/subscriptions`, { body: valid(change) });
    expect(res.status, res.text).toBe(400);
    expect(res.json.type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    expect(res.json.detail).toMatch(detail);
    expect((await server.request('GET', `${API}/subscriptions?count=true&limit=0`)).headers.get('ngsild-results-count')).toBe(before);
  });

  it('rejects unsupported members with OperationNotSupported and a malformed body with InvalidRequest', async () => {
    const res = await server.request('POST', `${API}/subscriptions`, { body: valid({ temporalQ: { timerel: 'after' } }) });
    expect(res.status).toBe(422);
    expect(res.json.detail).toMatch(/temporalQ is not supported/);
    const raw = await server.request('POST', `${API}/subscriptions`, { rawBody: '{"type":', headers: { 'content-type': 'application/json' } });
    expect(raw.status).toBe(400);
    expect(raw.json.type).toBe('https://uri.etsi.org/ngsi-ld/errors/InvalidRequest');
  });
});
