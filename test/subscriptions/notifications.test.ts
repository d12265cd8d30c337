/**
 * Notifications through the public API to a real HTTP receiver on loopback: every trigger, the
 * filters (q, geoQ, scopeQ, idPattern, type selection), formats and projections, showChanges,
 * sysAttrs, lang, throttling, timeInterval, expiry, isActive, failure and recovery, and in-process
 * receivers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, linkHeader, startServer, type TestServer } from '../helpers/server.js';
import { startReceiver, type Receiver } from './receiver.js';

let server: TestServer;
let receiver: Receiver;

beforeAll(async () => {
  server = await startServer();
  receiver = await startReceiver();
});

afterAll(async () => {
  await server?.close();
  await receiver?.close();
});

/** Creates a subscription notifying `<receiver>/<path>`; returns its id. */
async function subscribe(path: string, members: Record<string, unknown>, notification: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<string> {
  const res = await server.request('POST', `${API}/subscriptions`, {
    headers,
    body: { type: 'Subscription', ...members, notification: { ...notification, endpoint: { uri: `${receiver.url}/${path}`, ...((notification.endpoint as object) ?? {}) } } },
  });
  expect(res.status, res.text).toBe(201);
  return decodeURIComponent(res.headers.get('location')!.split('/').pop()!);
}

const at = (path: string) => receiver.received.filter((r) => r.path === `/notify/${path}`);
const dataAt = (path: string) => at(path).flatMap((r) => r.body.data);
const waitData = (path: string, n: number) => receiver.waitFor(() => dataAt(path).length >= n, 15_000, `${n} data items at ${path}`).then(() => dataAt(path));

async function ok(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<void> {
  const res = await server.request(method, `${API}${url}`, { body, headers });
  expect(res.status, `${method} ${url}: ${res.text}`).toBeLessThan(300);
}

describe('notification triggers', () => {
  it('fires each trigger for exactly the changes it names, with the spec default when absent', async () => {
    const triggers = ['entityCreated', 'entityUpdated', 'entityDeleted', 'attributeCreated', 'attributeUpdated', 'attributeDeleted'];
    for (const t of triggers) await subscribe(`trig-${t}`, { entities: [{ type: 'Trig' }], notificationTrigger: [t] });
    await subscribe('trig-default', { entities: [{ type: 'Trig' }] });
    await subscribe('trig-watched', { entities: [{ type: 'Trig' }], watchedAttributes: ['humidity'], notificationTrigger: ['entityUpdated'] });

    await ok('POST', '/entities', { id: 'urn:ngsi-ld:Trig:1', type: 'Trig', temperature: { type: 'Property', value: 1 } }); // a
    await ok('PATCH', '/entities/urn:ngsi-ld:Trig:1/attrs', { temperature: { type: 'Property', value: 2 } }); // b
    await ok('POST', '/entities/urn:ngsi-ld:Trig:1/attrs', { humidity: { type: 'Property', value: 5 } }); // c
    await ok('DELETE', '/entities/urn:ngsi-ld:Trig:1/attrs/humidity'); // d
    await ok('DELETE', '/entities/urn:ngsi-ld:Trig:1'); // e

    const label = (d: any) =>
      d.deletedAt ? 'e' : d.humidity?.value === 'urn:ngsi-ld:null' ? 'd' : d.humidity ? 'c' : d.temperature.value === 2 ? 'b' : 'a';
    const expected: Record<string, string[]> = {
      'trig-entityCreated': ['a'],
      'trig-entityUpdated': ['b', 'c', 'd'],
      'trig-entityDeleted': ['e'],
      'trig-attributeCreated': ['a', 'c'],
      'trig-attributeUpdated': ['b'],
      'trig-attributeDeleted': ['d'],
      'trig-default': ['a', 'b', 'c'],
      'trig-watched': ['c', 'd'],
    };
    for (const [path, labels] of Object.entries(expected)) {
      const data = await waitData(path, labels.length);
      expect(data.map(label), path).toEqual(labels);
    }
    const deleted = dataAt('trig-entityDeleted')[0];
    expect(deleted).toEqual({ id: 'urn:ngsi-ld:Trig:1', type: 'Trig', deletedAt: expect.any(String) });
    const attrDeleted = dataAt('trig-attributeDeleted')[0];
    expect(attrDeleted.humidity).toEqual({ type: 'Property', value: 'urn:ngsi-ld:null', deletedAt: expect.any(String) });
  });

  it('sends Notifications shaped as the spec says, with the context in a Link header', async () => {
    const id = await subscribe('shape', { entities: [{ id: 'urn:ngsi-ld:Shape:1' }] });
    await ok('POST', '/entities', { id: 'urn:ngsi-ld:Shape:1', type: 'Shape', speed: { type: 'Property', value: 3, unitCode: 'KMH' } });
    await waitData('shape', 1);
    const [n] = at('shape');
    expect(n.headers['content-type']).toMatch(/^application\/json/);
    expect(n.headers.link).toContain('ngsi-ld-core-context');
    expect(n.body).toEqual({
      id: expect.stringMatching(/^urn:ngsi-ld:Notification:[0-9a-f-]{36}$/),
      type: 'Notification',
      subscriptionId: id,
      notifiedAt: expect.any(String),
      data: [{ id: 'urn:ngsi-ld:Shape:1', type: 'Shape', speed: { type: 'Property', value: 3, unitCode: 'KMH' } }],
    });
  });
});

describe('filters', () => {
  it('applies q, geoQ, scopeQ, idPattern and type selections (matching and not)', async () => {
    await subscribe('f-q', { entities: [{ type: 'Filt' }], q: 'speed>50;status=="moving"' });
    await subscribe('f-geo', { entities: [{ type: 'Filt' }], geoQ: { geometry: 'Point', coordinates: [-3.7, 40.4], georel: 'near;maxDistance==2000' } });
    await subscribe('f-scope', { entities: [{ type: 'Filt' }], scopeQ: '/Madrid/#' });
    await subscribe('f-idpattern', { entities: [{ idPattern: '^urn:ngsi-ld:Filt:A' }] });
    await subscribe('f-and', { entities: [{ type: 'Filt;Bus' }] });
    await subscribe('f-or', { entities: [{ type: 'Tram|Bus' }] });
    const entity = (id: string, types: string[], speed: number, status: string, lon: number, scope?: string) => ({
      id: `urn:ngsi-ld:Filt:${id}`,
      type: types,
      speed: { type: 'Property', value: speed },
      status: { type: 'Property', value: status },
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [lon, 40.4] } },
      ...(scope ? { scope } : {}),
    });
    // Non-matching first: the queues are FIFO, so anything wrongly matched would arrive before the rest.
    await ok('POST', '/entities', entity('B1', ['Filt'], 10, 'moving', 2.1, '/Barcelona'));
    await ok('POST', '/entities', entity('B2', ['Filt'], 80, 'parked', 2.1));
    await ok('POST', '/entities', entity('A1', ['Filt', 'Bus'], 80, 'moving', -3.7, '/Madrid/Centro'));
    await ok('POST', '/entities', entity('A2', ['Tram'], 90, 'moving', -3.71, '/Madrid'));
    const ids = async (path: string, n: number) => (await waitData(path, n)).map((d: any) => d.id.split(':').pop());
    expect(await ids('f-q', 1)).toEqual(['A1']);
    expect(await ids('f-geo', 1)).toEqual(['A1']);
    expect(await ids('f-scope', 1)).toEqual(['A1']);
    expect(await ids('f-idpattern', 2)).toEqual(['A1', 'A2']);
    expect(await ids('f-and', 1)).toEqual(['A1']);
    expect(await ids('f-or', 2)).toEqual(['A1', 'A2']);
  });
});

describe('rendering', () => {
  const sensor = {
    id: 'urn:ngsi-ld:Render:1',
    type: 'Render',
    temperature: { type: 'Property', value: 20, unitCode: 'CEL' },
    name: { type: 'LanguageProperty', languageMap: { en: 'Park', es: 'Parque' } },
    owner: { type: 'Relationship', object: 'urn:ngsi-ld:Person:1' },
  };

  it('renders normalized, concise and keyValues, projects notification.attributes, adds sysAttrs and picks lang', async () => {
    await subscribe('r-concise', { entities: [{ type: 'Render' }] }, { format: 'concise', attributes: ['temperature'] });
    await subscribe('r-kv', { entities: [{ type: 'Render' }] }, { format: 'keyValues' });
    await subscribe('r-sys', { entities: [{ type: 'Render' }], lang: 'es' }, { sysAttrs: true, attributes: ['name'] });
    await ok('POST', '/entities', sensor);
    expect((await waitData('r-concise', 1))[0]).toEqual({ id: sensor.id, type: 'Render', temperature: { value: 20, unitCode: 'CEL' } });
    expect((await waitData('r-kv', 1))[0]).toEqual({ id: sensor.id, type: 'Render', temperature: 20, name: { languageMap: { en: 'Park', es: 'Parque' } }, owner: 'urn:ngsi-ld:Person:1' });
    const sys = (await waitData('r-sys', 1))[0];
    expect(sys.createdAt).toEqual(expect.any(String));
    expect(sys.name).toEqual({ type: 'Property', value: 'Parque', lang: 'es', createdAt: expect.any(String), modifiedAt: expect.any(String) });
    expect(sys.temperature).toBeUndefined();
  });

  it('adds previousValue / previousObject with showChanges', async () => {
    await subscribe('r-changes', { entities: [{ type: 'Change' }], notificationTrigger: ['attributeUpdated'] }, { showChanges: true });
    await ok('POST', '/entities', { ...sensor, id: 'urn:ngsi-ld:Change:1', type: 'Change' });
    await ok('PATCH', '/entities/urn:ngsi-ld:Change:1/attrs', { temperature: { type: 'Property', value: 25, unitCode: 'CEL' }, owner: { type: 'Relationship', object: 'urn:ngsi-ld:Person:2' } });
    const [d] = await waitData('r-changes', 1);
    expect(d.temperature).toEqual({ type: 'Property', value: 25, unitCode: 'CEL', previousValue: 20 });
    expect(d.owner).toEqual({ type: 'Relationship', object: 'urn:ngsi-ld:Person:2', previousObject: 'urn:ngsi-ld:Person:1' });
    expect(d.name.previousLanguageMap).toBeUndefined();
  });

  it('sends application/ld+json with the subscription @context, receiverInfo headers and the tenant', async () => {
    const ctx = { '@vocab': 'https://example.org/city#', speed: 'https://example.org/city#velocity' };
    await subscribe(
      'r-ld',
      { entities: [{ type: 'Car' }], '@context': ctx },
      { endpoint: { accept: 'application/ld+json', receiverInfo: [{ key: 'X-Api-Key', value: 'k1' }] } },
      { 'content-type': 'application/ld+json', 'NGSILD-Tenant': 'city2' },
    );
    await ok('POST', '/entities', { id: 'urn:ngsi-ld:Car:1', type: 'Car', speed: { type: 'Property', value: 7 }, '@context': ctx }, { 'content-type': 'application/ld+json', 'NGSILD-Tenant': 'city2' });
    // Same entity in the default tenant: not notified.
    await ok('POST', '/entities', { id: 'urn:ngsi-ld:Car:1', type: 'Car', speed: { type: 'Property', value: 1 } });
    await waitData('r-ld', 1);
    const [n] = at('r-ld');
    expect(n.headers['content-type']).toMatch(/^application\/ld\+json/);
    expect(n.headers['x-api-key']).toBe('k1');
    expect(n.headers['ngsild-tenant']).toBe('city2');
    expect(n.body['@context']).toEqual([ctx, 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld']);
    expect(n.body.data).toEqual([{ id: 'urn:ngsi-ld:Car:1', type: 'Car', speed: { type: 'Property', value: 7 } }]);
  });

  it('expands terms with the subscription context given by Link or jsonldContext', async () => {
    const sdm = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/context.jsonld';
    await subscribe('r-link', { entities: [{ type: 'AirQualityObserved' }], watchedAttributes: ['no2'] }, {}, { link: linkHeader(sdm) });
    await subscribe('r-jsonld', { entities: [{ type: 'AirQualityObserved' }], jsonldContext: sdm }, { format: 'keyValues' });
    await ok('POST', '/entities', { id: 'urn:ngsi-ld:AirQualityObserved:1', type: 'AirQualityObserved', no2: { type: 'Property', value: 40 } }, { link: linkHeader(sdm) });
    const [d] = await waitData('r-link', 1);
    expect(d.no2).toEqual({ type: 'Property', value: 40 });
    expect(at('r-link')[0].headers.link).toContain(sdm);
    expect((await waitData('r-jsonld', 1))[0]).toEqual({ id: 'urn:ngsi-ld:AirQualityObserved:1', type: 'AirQualityObserved', no2: 40 });
  });
});

describe('timing and lifecycle', () => {
  it('throttling holds notifications and sends them together, never dropping one', async () => {
    await subscribe('t-throttle', { entities: [{ id: 'urn:ngsi-ld:Thr:1' }], throttling: 2 }, { format: 'keyValues' });
    await ok('POST', '/entities', { id: 'urn:ngsi-ld:Thr:1', type: 'Thr', n: { type: 'Property', value: 0 } });
    for (let i = 1; i <= 5; i++) await ok('PATCH', '/entities/urn:ngsi-ld:Thr:1/attrs', { n: { type: 'Property', value: i } });
    const data = await waitData('t-throttle', 6);
    expect(data.map((d: any) => d.n)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(at('t-throttle').length).toBeLessThan(6);
  });

  it('timeInterval sends the matching entities periodically, without changes', async () => {
    await ok('POST', '/entities', { id: 'urn:ngsi-ld:Per:1', type: 'Per', n: { type: 'Property', value: 1 } });
    await ok('POST', '/entities', { id: 'urn:ngsi-ld:Per:2', type: 'Per', n: { type: 'Property', value: 50 } });
    await subscribe('t-periodic', { entities: [{ type: 'Per' }], timeInterval: 1, q: 'n<10' }, { format: 'keyValues' });
    await receiver.waitFor(() => at('t-periodic').length >= 2, 10_000, 'two periodic notifications');
    for (const n of at('t-periodic').slice(0, 2)) expect(n.body.data).toEqual([{ id: 'urn:ngsi-ld:Per:1', type: 'Per', n: 1 }]);
  });

  it('an expired subscription shows status expired and sends nothing more', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const id = await subscribe('t-expiring', { entities: [{ id: 'urn:ngsi-ld:Exp:1' }], expiresAt });
    await subscribe('t-expiry-witness', { entities: [{ id: 'urn:ngsi-ld:Exp:1' }] });
    expect((await server.request('GET', `${API}/subscriptions/${id}`)).json.status).toBe('active');
    await new Promise((r) => setTimeout(r, 1600));
    expect((await server.request('GET', `${API}/subscriptions/${id}`)).json.status).toBe('expired');
    await ok('POST', '/entities', { id: 'urn:ngsi-ld:Exp:1', type: 'Exp', n: { type: 'Property', value: 1 } });
    await waitData('t-expiry-witness', 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(at('t-expiring')).toEqual([]);
  });

  it('isActive false pauses a subscription; reactivating it resumes notifications', async () => {
    const id = await subscribe('t-paused', { entities: [{ id: 'urn:ngsi-ld:Pause:1' }], isActive: false }, { format: 'keyValues' });
    await subscribe('t-pause-witness', { entities: [{ id: 'urn:ngsi-ld:Pause:1' }] });
    expect((await server.request('GET', `${API}/subscriptions/${id}`)).json.status).toBe('paused');
    await ok('POST', '/entities', { id: 'urn:ngsi-ld:Pause:1', type: 'Pause', n: { type: 'Property', value: 1 } });
    await waitData('t-pause-witness', 1);
    await ok('PATCH', `/subscriptions/${id}`, { isActive: true });
    expect((await server.request('GET', `${API}/subscriptions/${id}`)).json.status).toBe('active');
    await ok('PATCH', '/entities/urn:ngsi-ld:Pause:1/attrs', { n: { type: 'Property', value: 2 } });
    expect((await waitData('t-paused', 1)).map((d: any) => d.n)).toEqual([2]);
  });

  it('records a failing endpoint in the status, retries, and recovers', async () => {
    const failing = await startReceiver();
    failing.mode = 500;
    try {
      const res = await server.request('POST', `${API}/subscriptions`, {
        body: { type: 'Subscription', entities: [{ id: 'urn:ngsi-ld:Fail:1' }], notification: { endpoint: { uri: failing.url }, format: 'keyValues' } },
      });
      const url = res.headers.get('location')!;
      await ok('POST', '/entities', { id: 'urn:ngsi-ld:Fail:1', type: 'Fail', n: { type: 'Property', value: 1 } });
      const deadline = Date.now() + 15_000;
      let n: any;
      do {
        await new Promise((r) => setTimeout(r, 50));
        n = (await server.request('GET', url)).json.notification;
      } while (n.status !== 'failed' && Date.now() < deadline);
      expect(n).toMatchObject({ status: 'failed', timesFailed: expect.any(Number), lastFailure: expect.any(String) });
      expect(n.lastSuccess).toBeUndefined();
      failing.mode = 'ok';
      await failing.waitFor((r) => r.length >= 1);
      expect(failing.data()).toEqual([{ id: 'urn:ngsi-ld:Fail:1', type: 'Fail', n: 1 }]);
      await new Promise((r) => setTimeout(r, 100));
      const after = (await server.request('GET', url)).json.notification;
      expect(after).toMatchObject({ status: 'ok', lastSuccess: expect.any(String) });
      expect(after.timesSent).toBeGreaterThan(after.timesFailed);
    } finally {
      await failing.close();
    }
  });
});

describe('in-process receivers', () => {
  it('deliver through the same queues, retrying until the receiver takes them', async () => {
    const got: any[] = [];
    let fail = true;
    await server.request('POST', `${API}/subscriptions`, {
      body: { type: 'Subscription', entities: [{ type: 'Live' }], notification: { endpoint: { uri: 'urn:urbis:internal:live-view' }, format: 'keyValues' } },
    });
    // Written before any receiver is registered: kept in the queue.
    await ok('POST', '/entities', { id: 'urn:ngsi-ld:Live:1', type: 'Live', n: { type: 'Property', value: 1 } });
    server.urbis.app.subscriptions.registerInternalReceiver('live-view', async (notification) => {
      if (fail) {
        fail = false;
        throw new Error('not ready yet');
      }
      got.push(notification);
    });
    await ok('PATCH', '/entities/urn:ngsi-ld:Live:1/attrs', { n: { type: 'Property', value: 2 } });
    const deadline = Date.now() + 15_000;
    while (got.flatMap((n) => n.data).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(got.flatMap((n) => n.data).map((d) => d.n)).toEqual([1, 2]);
    expect(got[0]).toMatchObject({ type: 'Notification', subscriptionId: expect.stringMatching(/^urn:ngsi-ld:Subscription:/) });
  });
});
